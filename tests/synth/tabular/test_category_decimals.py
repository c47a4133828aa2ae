"""Numbers written with their category's decimals: whole yen beside cents in one amount column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc


def statements(n: int = 60, seed: int = 0, on_parent: bool = False, yen: bool = True) -> RelationalData:
    """bank accounts -> statement lines, amounts in the account's currency: JPY in whole yen (`yen`,
    else in cents as the others), EUR and USD in cents; the currency on each line, or on its
    account only (`on_parent`)."""
    rng = np.random.default_rng(seed)
    currency = np.array(["EUR", "USD", "JPY"])[np.arange(n) % 3]
    at = np.repeat(np.arange(n), rng.integers(5, 15, n))
    cur = currency[at]
    amount = np.where(cur == "JPY", 100 * rng.uniform(-500, 600, len(at)), rng.uniform(-500, 600, len(at)))
    amount = np.where((cur == "JPY") & yen, amount.round(0), amount.round(2))
    opening = rng.uniform(0, 5000, n) * np.where(currency == "JPY", 100, 1)
    opening = np.where((currency == "JPY") & yen, opening.round(0), opening.round(2))
    accounts = pd.DataFrame({"id": range(n), "currency": currency, "opening": opening})
    lines = pd.DataFrame({"id": range(len(at)), "account": at, "amount": amount})
    line = Table(id=PrimaryKey(), account=ForeignKey(parent="account"), amount=Numeric())
    if not on_parent:
        lines.insert(2, "currency", cur)
        line = Table(id=PrimaryKey(), account=ForeignKey(parent="account"), currency=Categorical(), amount=Numeric())
    schema = Schema(account=Table(id=PrimaryKey(), currency=Categorical(), opening=Numeric()), line=line)
    return RelationalData({"account": accounts, "line": lines}, schema)


def _fraction_share(frame: pd.DataFrame, currency: pd.Series) -> float:
    """The share of JPY amounts holding a fraction of a yen."""
    yen = frame["amount"][currency.to_numpy() == "JPY"]
    return float((yen != yen.round(0)).mean())


def test_a_number_keeps_its_rows_categorys_decimals():
    """Statement amounts in EUR and USD to the cent and in JPY to the yen, one column: decoded on the
    column's grid (2 decimals), 98 % of a small model's JPY amounts held a fraction of a yen (and so
    did the balances summed from them). Rounded to the row's currency's decimals, none does; the
    cents of the others stay."""
    data = statements(n=45)  # 15 JPY accounts (a training split's): their opening balances in yen too
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = pre.stats["category_decimals"]
    assert [(r["table"], r["column"], r["by"], r["parent"], r["decimals"]) for r in rules] == [
        ("account", "opening", "currency", False, [["JPY", 0]]),
        ("line", "amount", "currency", False, [["JPY", 0]]),
    ]
    both = pre.inverse_transform(pre.transform(data), seed=0)
    assert _fraction_share(both["account"].rename(columns={"opening": "amount"}), both["account"]["currency"]) == 0.0
    back = both["line"]
    assert _fraction_share(back, back["currency"]) == 0.0
    others = back["amount"][back["currency"] != "JPY"]
    assert (others != others.round(0)).mean() > 0.9  # still in cents
    assert (others == others.round(2)).all()


def test_a_number_keeps_its_parent_rows_categorys_decimals():
    """The currency on the account alone: the line's amount follows its account's."""
    data = statements(on_parent=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = pre.stats["category_decimals"]
    assert [(r["column"], r["by"], r["parent"]) for r in rules] == [
        ("opening", "currency", False),
        ("amount", "currency", True),
    ]
    back = pre.inverse_transform(pre.transform(data), seed=0)
    currency = back["account"].set_index("id")["currency"].reindex(back["line"]["account"])
    assert _fraction_share(back["line"], currency) == 0.0


def test_categories_written_alike_take_no_rule():
    data = statements(yen=False)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["category_decimals"] == []


def test_a_category_missing_in_every_row_is_no_candidate():
    """A category column never filled (all null) beside amounts in cents stopped the fit: its rows
    holding a label were none, and reading their decimals split an empty column into one part for
    no label (ValueError: zip() argument 2 is longer than argument 1). It is passed over now."""
    data = statements(n=45)
    lines = data["line"].assign(memo=pd.Series([None] * len(data["line"]), dtype="string"))
    line = Table(columns={**data.schema.tables["line"].columns, "memo": Categorical()})
    schema = Schema({**data.schema.tables, "line": line})
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({**data.data, "line": lines}, schema))
    rules = [(r["table"], r["column"], r["by"]) for r in pre.stats["category_decimals"]]
    assert rules == [("account", "opening", "currency"), ("line", "amount", "currency")]


def test_a_label_held_only_where_the_number_is_missing_is_no_candidate():
    """A denial's reason, held only on claims without an approved amount, left no label beside any
    value: the fit raised ValueError (zip() argument 2 is longer than argument 1). No rule now."""
    rng = np.random.default_rng(0)
    denied = rng.random(200) < 0.3
    claim = pd.DataFrame(
        {
            "id": range(200),
            "approved": np.where(denied, np.nan, rng.uniform(10, 1000, 200).round(2)),
            "reason": np.where(denied, rng.choice(["FRAUD", "LATE"], 200), None),
        }
    )
    schema = Schema(claim=Table(id=PrimaryKey(), approved=Numeric(), reason=Categorical()))
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"claim": claim}, schema))
    assert pre.stats["category_decimals"] == []


def test_a_whole_number_keeps_its_rows_categorys_tens():
    """Goods received in tens (10 to 190) beside issues of any count (-1 to -99), one quantity
    column on a step of 1: 12 % of a generated inventory's receipts were no multiple of 10."""
    rng = np.random.default_rng(0)
    kind = rng.choice(["IN", "OUT"], 400)
    qty = np.where(kind == "IN", rng.integers(1, 20, 400) * 10, -rng.integers(1, 100, 400))
    moves = pd.DataFrame({"id": range(400), "kind": kind, "qty": qty})
    schema = Schema(move=Table(id=PrimaryKey(), kind=Categorical(), qty=Integer()))
    data = RelationalData({"move": moves}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert [(r["column"], r["by"], r["decimals"]) for r in pre.stats["category_decimals"]] == [
        ("qty", "kind", [["IN", -1]])
    ]
    back = pre.inverse_transform(pre.transform(data), seed=0)["move"]
    received, issued = back["qty"][back["kind"] == "IN"], back["qty"][back["kind"] == "OUT"]
    assert (received % 10 == 0).all() and (received > 0).all() and (issued % 10 != 0).mean() > 0.5
    pre.stats["category_decimals"] = []  # without: the test can tell
    plain = pre.inverse_transform(pre.transform(data), seed=0)["move"]
    assert (plain["qty"][plain["kind"] == "IN"] % 10 != 0).mean() > 0.1  # 15 %: the values binned


def test_a_number_keeps_its_categorys_whole_tens():
    """Yen prices in whole tens beside cents, one column: rounded to the yen alone, 93 % of a small
    model's generated yen prices were no multiple of 10 (all the data's are). Their category's
    places are -1 (np.round's tens); the cents of the others stay."""
    rng = np.random.default_rng(0)
    currency = np.array(["EUR", "USD", "JPY"])[np.arange(300) % 3]
    price = np.where(currency == "JPY", (rng.gamma(2, 3000, 300) / 10).round() * 10, rng.gamma(2, 20, 300).round(2))
    frame = pd.DataFrame({"id": range(300), "currency": currency, "price": price})
    schema = Schema(listing=Table(id=PrimaryKey(), currency=Categorical(), price=Numeric()))
    data = RelationalData({"listing": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert [(r["column"], r["decimals"]) for r in pre.stats["category_decimals"]] == [("price", [["JPY", -1]])]
    back = pre.inverse_transform(pre.transform(data), seed=0)["listing"]
    yen = back["price"][back["currency"] == "JPY"]
    assert ((yen % 10) == 0).all()
    others = back["price"][back["currency"] != "JPY"]
    assert (others != others.round(0)).mean() > 0.9


def test_numbers_read_to_significant_digits_keep_them_whatever_their_category():
    """Effects of 3 significant digits, those of one assay from 1e-5, the other's from 1e-2: the
    other assay passed as 'written with 4 decimals' (the column 7), a rule of magnitudes, not of
    the category; its generated 0.0000456 (3 digits, in the other's range too) would be 0 there.
    The significant digits are the precision: no category rule."""
    rng = np.random.default_rng(0)
    assay = np.array(["a", "b"])[np.arange(800) % 2]
    low = np.where(assay == "a", -5.0, -2.0)
    effect = [float(f"{v:.2e}") for v in 10 ** rng.uniform(low, 3)]
    schema = Schema(m=Table(id=PrimaryKey(), assay=Categorical(), effect=Numeric()))
    data = RelationalData({"m": pd.DataFrame({"id": range(800), "assay": assay, "effect": effect})}, schema)
    assert TabularPreproc.from_schema(schema).fit(data).stats["category_decimals"] == []


def test_a_wide_table_codes_each_category_once_and_still_finds_the_currency(monkeypatch):
    """Each number tried every category of its row and its parent's, coded again each time (~3 ms):
    a 120-column table (40 numbers, 80 categories and flags) coded 3,200 times, 15 s of its fit.
    Each category is coded once a table, and the yen amounts still keep the currency's decimals
    beside 15 categories and 6 numbers that say nothing of them."""
    from relsynth.synth.tabular.rules import category_decimals

    rng = np.random.default_rng(0)
    data = statements(n=45)
    lines = data["line"]
    n = len(lines)
    extra = {f"c{j:02d}": rng.choice(["a", "b", "c"], n) for j in range(15)}
    extra |= {f"x{j}": rng.uniform(0, 100, n).round(2) for j in range(6)}
    frame = pd.concat([lines, pd.DataFrame(extra)], axis=1)
    kinds = {c: Categorical() for c in extra if c.startswith("c")} | {c: Numeric() for c in extra if c.startswith("x")}
    line = Table(id=PrimaryKey(), account=ForeignKey(parent="account"), currency=Categorical(), amount=Numeric(), **kinds)  # fmt: skip
    schema = Schema(account=data.schema.tables["account"], line=line)
    calls = []
    codes = category_decimals.value_codes
    monkeypatch.setattr(category_decimals, "value_codes", lambda s: calls.append(1) or codes(s))
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"account": data["account"], "line": frame}, schema))
    rules = [(r["table"], r["column"], r["by"], r["decimals"]) for r in pre.stats["category_decimals"]]
    assert ("line", "amount", "currency", [["JPY", 0]]) in rules
    assert len(calls) <= 1 + 18  # account's currency; line's 16 categories and its account's currency (120 before)


def test_a_category_holding_one_value_shows_no_grid():
    """A booking's row number (1 to 80, in bins) is one value per seat (20 beside every 20B): the
    seats of rows 10 to 80 read as numbers "in tens", a rule that rounded a row drawn 25 beside 20B
    to 30, a row no such seat has. A category's values all one value say nothing of its decimals."""
    rng = np.random.default_rng(0)
    row = rng.integers(1, 81, 4000)
    seat = [f"{r}{c}" for r, c in zip(row, rng.choice(list("AB"), 4000), strict=True)]
    frame = pd.DataFrame({"id": range(4000), "seat": seat, "row_number": row})
    schema = Schema(booking=Table(id=PrimaryKey(), seat=Categorical(), row_number=Integer()))
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"booking": frame}, schema))
    assert pre.stats["category_decimals"] == []

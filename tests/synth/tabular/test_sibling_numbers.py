"""An integer that numbers a parent's rows 1..n (an order's line numbers), declared by no key."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import (
    Categorical,
    Date,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular._references import drop_repeated_links
from relsynth.synth.tabular.rules.sibling_numbers import keep_sibling_numbers

SCHEMA = Schema(
    order=Table(id=PrimaryKey(), priority=Categorical()),
    line=Table(
        id=PrimaryKey(),
        order=ForeignKey(parent="order"),
        number=Integer(),
        qty=Numeric(),
        shipped=Date(),
        flag=Categorical(),
    ),
)


def order_lines(n: int = 300, seed: int = 0, shuffled: bool = False, gap: bool = False) -> RelationalData:
    """orders -> 1-7 lines each, numbered 1..k under their order (stored in that order, or
    `shuffled`), shipped on any day of a year (as TPC-H's lines: no sequence in time); `gap`: one
    order's numbers skip one (no numbering then)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 8, n)
    m = int(sizes.sum())
    number = np.concatenate([(rng.permutation(k) if shuffled else np.arange(k)) + 1 for k in sizes])
    if gap:
        number[np.argmax(number)] += 1
    line = pd.DataFrame(
        {
            "id": range(m),
            "order": np.repeat(np.arange(n), sizes),
            "number": number,
            "qty": rng.integers(1, 50, m).astype(float),
            "shipped": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, m), "D"),
            "flag": rng.choice(["A", "N", "R"], m),
        }
    )
    order = pd.DataFrame({"id": range(n), "priority": rng.choice(["1-URGENT", "2-HIGH"], n)})
    return RelationalData({"order": order, "line": line}, SCHEMA)


def numbered_share(df: pd.DataFrame) -> float:
    """The share of orders whose lines' numbers are 1..n, each once."""
    g = df.groupby("order")["number"]
    return float(g.apply(lambda s: sorted(s.tolist()) == list(range(1, len(s) + 1))).mean())


def test_line_numbers_counting_each_orders_lines_are_generated_one_to_one(tiny_size):
    """The model drew each line's number on its own: an untrained model repeated one of its order's
    in 187 of 818 generated lines, and 2.5 % of the orders held 1..n. The numbers now count each
    order's lines from 1, each once, as every order's in the data, whether stored in their order
    or not."""
    for shuffled in (False, True):
        data = order_lines(shuffled=shuffled)
        pre = TabularPreproc.from_schema(data.schema).fit(data)
        assert pre.stats["sibling_numbers"] == [{"table": "line", "column": "number", "start": 1}]
        torch.manual_seed(0)
        out = TabularModel.build(pre, size=tiny_size).generate(200, seed=0)["line"]
        assert len(out) > 100 and numbered_share(out) == 1.0


def test_a_number_that_skips_one_under_one_parent_numbers_nothing():
    """One order's numbers skipping one: no numbering, no rule (the model's numbers are kept)."""
    pre = TabularPreproc.from_schema(SCHEMA).fit(order_lines(gap=True))
    assert pre.stats["sibling_numbers"] == []


def test_line_numbers_outside_the_key_count_the_lines_left_after_a_repeat_is_dropped():
    """classicmodels' orderdetails (the shapes helper's case): keyed by (orderNumber, productCode),
    each order's lines numbered 1..n by orderLineNumber, read as a sibling key. A generated line
    naming its order's product again is dropped and left a gap (an order of 9 lines numbered 1, 2,
    4, ..., 10: 2 of 64 orders of a Kedro run); the lines left are numbered again, in their order."""
    rng = np.random.default_rng(0)
    products = pd.DataFrame({"code": [f"S{i:02d}_{rng.integers(1000, 9999)}" for i in range(30)],
                             "msrp": rng.gamma(2, 40, 30).round(2)})  # fmt: skip
    orders = pd.DataFrame({"id": range(1, 121), "status": rng.choice(["Shipped", "On Hold"], 120)})
    lines = []
    for o in orders["id"]:
        for k, p in enumerate(rng.choice(products["code"], rng.integers(1, 8), replace=False), 1):
            lines.append((o, p, int(rng.integers(20, 50)), k))
    lines = pd.DataFrame(lines, columns=["order_id", "product", "qty", "line_no"])
    frames = {"product": products, "order": orders, "line": lines}
    schema = Schema.infer(frames, primary_keys={"product": "code", "order": "id", "line": ["order_id", "product"]},
                          foreign_keys={"line": {"order_id": "order", "product": "product"}})  # fmt: skip
    data = RelationalData(frames, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert pre.stats["sibling_numbers"] == [{"table": "line", "column": "line_no", "start": 1}]
    tables = dict(pre.inverse_transform(pre.transform(data), seed=0).data)
    out = tables["line"]
    first = out["order_id"].iloc[0]
    # an order naming every product, its second line its first's again: no product is left to give
    # that line instead (`redeal_repeats`), so it is dropped
    codes = [tables["product"]["code"].iloc[0], *tables["product"]["code"]]
    every = out[out["order_id"] == first].iloc[[0] * len(codes)].assign(product=codes, line_no=range(1, len(codes) + 1))
    tables["line"] = out = pd.concat([out[out["order_id"] != first], every], ignore_index=True)
    drop_repeated_links(pre, tables, np.random.default_rng(0))
    left = tables["line"]
    assert len(left) == len(out) - 1
    numbers = left.groupby("order_id")["line_no"].agg(sorted)
    assert (numbers == left.groupby("order_id")["line_no"].agg(lambda s: list(range(1, len(s) + 1)))).all()


def test_line_numbers_count_the_lines_left_after_a_repeat_of_a_unique_set_is_dropped(tiny_size, caplog):
    """UNIQUE (order, side) over 3 frequent sides and a rare fourth (never generated): an order of 4
    lines repeats one side, and `keep_unique_sets` drops that line after the numbers were counted,
    which left a gap in 20 of 200 generated orders (1, 3, 4). The lines left are numbered again."""
    kept = {c: kind for c, kind in SCHEMA.tables["line"].columns.items() if c in ("id", "order", "number", "qty")}
    line_table = Table(**kept, side=Categorical(), unique=[["order", "side"]])
    schema = Schema(order=SCHEMA.tables["order"], line=line_table)
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 4, 200)
    sizes[:4] = 4  # the rare side's 4 orders
    m = int(sizes.sum())
    line = pd.DataFrame(
        {
            "id": range(m),
            "order": np.repeat(np.arange(200), sizes),
            "number": np.concatenate([rng.permutation(k) + 1 for k in sizes]),  # stored in no order
            "qty": rng.integers(1, 50, m).astype(float),
            "side": np.concatenate([[*rng.permutation(["L", "R", "C"]), "D"][:k] for k in sizes]),
        }
    )
    order = pd.DataFrame({"id": range(200), "priority": rng.choice(["1-URGENT", "2-HIGH"], 200)})
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"order": order, "line": line}, schema))
    torch.manual_seed(0)
    with caplog.at_level("WARNING"):
        out = TabularModel.build(pre, size=tiny_size).generate(200, seed=0)["line"]
    assert "dropped" in caplog.text  # lines repeating their order's side went
    assert not out[["order", "side"]].duplicated().any() and numbered_share(out) == 1.0


def test_site_codes_counting_each_trials_sites_are_generated_one_to_one(tiny_size):
    """Sites numbered S-01, S-02, ... under their trial, few trials with many sites: the codes were
    drawn as labels, the rarer high ones never, so a trial's later sites repeated a code (none
    numbered 1..n, and to_sql refused a UNIQUE (trial, site number)). They now count each trial's
    sites, written in the data's prefix and padding."""
    rng = np.random.default_rng(0)
    sizes = rng.choice([1, 2, 3, 4, 5, 6], 120, p=[0.3, 0.3, 0.2, 0.1, 0.06, 0.04])
    site = pd.DataFrame(
        {
            "id": range(int(sizes.sum())),
            "trial": np.repeat(np.arange(len(sizes)), sizes),
            "number": [f"S-{i + 1:02d}" for k in sizes for i in range(k)],
            "country": rng.choice(["US", "DE", "JP"], int(sizes.sum())),
        }
    )
    trial = pd.DataFrame({"id": range(len(sizes)), "phase": rng.choice(["I", "II", "III"], len(sizes))})
    schema = Schema(
        trial=Table(id=PrimaryKey(), phase=Categorical()),
        site=Table(id=PrimaryKey(), trial=ForeignKey(parent="trial"), number=Categorical(), country=Categorical()),
    )
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"trial": trial, "site": site}, schema))
    assert pre.stats["sibling_numbers"] == [
        {"table": "site", "column": "number", "start": 1, "prefix": "S-", "width": 2}
    ]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["site"]
    numbers = out["number"].str.extract(r"^S-(\d\d)$")[0].astype(int)
    assert len(out) > 100 and numbered_share(out.assign(order=out["trial"], number=numbers)) == 1.0


STORES = Schema(store=Table(id=PrimaryKey(), region=Categorical()))


def store_receipts(padded: bool = False, repeat: bool = False) -> RelationalData:
    """12 stores (roots) and 15-40 receipts each, numbered 1..k per store in the receipts' order: the
    store is a reference, not the receipts' parent (`padded`: written 000001; `repeat`: each store's
    second receipt numbered 1 again)."""
    rng = np.random.default_rng(0)
    sizes = rng.integers(15, 40, 12)
    stores = rng.permutation(np.repeat(np.arange(12), sizes))
    number = pd.Series(stores).groupby(stores).cumcount().to_numpy() + 1
    number[number == 2] = 1 if repeat else 2
    receipt = pd.DataFrame(
        {
            "id": range(len(stores)),
            "store": stores,
            "number": [f"{n:06d}" for n in number] if padded else number,
            "pay": rng.choice(["cash", "card"], len(stores)),
        }
    )
    store = pd.DataFrame({"id": range(12), "region": rng.choice(["N", "S"], 12)})
    kind = Categorical() if padded else Integer()
    receipts = Table(id=PrimaryKey(), store=ForeignKey(parent="store", nest=False), number=kind, pay=Categorical())
    return RelationalData({"store": store, "receipt": receipt}, Schema(store=STORES.tables["store"], receipt=receipts))


def test_receipt_numbers_counting_each_stores_receipts_are_generated_one_to_one(tiny_size):
    """A store's receipts numbered 1..n where the store is a reference, not the receipt's parent:
    the number was drawn on its own and the store dealt after, so an untrained model's numbers
    repeated and skipped within a store (UNIQUE (store, number) would refuse them). Now each
    store's generated receipts count 1..n, as plain integers and as padded codes."""
    for padded in (False, True):
        data = store_receipts(padded=padded)
        pre = TabularPreproc.from_schema(data.schema).fit(data)
        rule = [r for r in pre.stats["sibling_numbers"] if r["table"] == "receipt"]
        assert [(r["column"], r["start"], r.get("by")) for r in rule] == [("number", 1, "store")]
        torch.manual_seed(0)
        out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["receipt"]
        numbers = pd.to_numeric(out["number"]).astype(int)
        counted = numbers.groupby(out["store"].to_numpy()).apply(lambda s: sorted(s) == list(range(1, len(s) + 1)))
        assert len(out) > 50 and counted.all()
        if padded:
            assert out["number"].str.fullmatch(r"\d{6}").all()


def test_a_number_repeated_within_one_referenced_row_numbers_nothing():
    data = store_receipts(repeat=True)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["sibling_numbers"] == []


def numbered_fills(n: int = 120, seed: int = 0) -> RelationalData:
    """prescriptions -> 1 to 6 fills a week or more apart, fill_number 0, 1, 2, ... by fill date."""
    rng = np.random.default_rng(seed)
    rows = []
    for rx in range(1, n + 1):
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
        for k in range(int(rng.integers(1, 7))):
            rows.append({"rx": rx, "filled": day, "fill_number": k})
            day += pd.Timedelta(days=int(rng.integers(7, 60)))
    fills = pd.DataFrame(rows)
    fills.insert(0, "id", range(1, len(fills) + 1))
    schema = Schema(
        prescriptions=Table(id=PrimaryKey()),
        fills=Table(id=PrimaryKey(), rx=ForeignKey("prescriptions"), filled=Datetime(), fill_number=Integer()),
    )
    return RelationalData({"prescriptions": pd.DataFrame({"id": range(1, n + 1)}), "fills": fills}, schema)


def test_fill_numbers_rising_with_the_fill_date_are_generated_in_date_order():
    """Each prescription's fills were numbered 0..n-1 in the order of the numbers the model drew,
    not of their dates: a small model trained on a pharmacy database numbered 1.5 % of the
    prescriptions' fills 0, 1, 2, 4, 5, 3 by date. Where the data's numbers rise with a date of the
    row, the rows are numbered in date order, ties in the order of the numbers drawn."""
    data = numbered_fills()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = pre.stats["sibling_numbers"]
    assert rules == [{"table": "fills", "column": "fill_number", "start": 0, "dated": "filled"}]
    days = [0, 30, 61, 90, 122, 150, 0, 7, 7]
    cols = {
        "filled": pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D")),
        "fill_number": pd.Series([0, 1, 2, 4, 5, 3, 1, 2, 0]),  # as drawn, in row (date) order
    }
    keep_sibling_numbers(rules, "fills", cols, np.array([0, 0, 0, 0, 0, 0, 1, 1, 1]))
    assert cols["fill_number"].tolist() == [0, 1, 2, 3, 4, 5, 0, 2, 1]  # the tie of day 7: by the numbers drawn

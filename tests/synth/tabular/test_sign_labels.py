"""A label that follows the sign of a number of its row (a transaction's type, DEBIT where its
amount is negative and CREDIT where positive) is set from the generated number's sign: drawn as a
token of its own, 25 of 1,570 generated transactions of a small model had the other type."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import (
    Boolean,
    Categorical,
    Datetime,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.sign_labels import apply_sign_labels


def transactions(n: int = 800, seed: int = 0) -> RelationalData:
    """Signed amounts, many near 0 (a bin holding both signs), their `type`, and a `channel` in
    no relation to the sign."""
    rng = np.random.default_rng(seed)
    amount = (rng.lognormal(1, 1.5, n) * np.where(rng.random(n) < 0.6, -1, 1)).round(2)
    amount[:10] = 0.0
    tx = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "amount": amount,
            "type": np.where(amount < 0, "DEBIT", "CREDIT"),
            "channel": rng.choice(["web", "atm", "branch"], n),
        }
    )
    schema = Schema(tx=Table(id=PrimaryKey(), amount=Numeric(), type=Categorical(), channel=Categorical()))
    return RelationalData({"tx": tx}, schema)


def mismatches(data: RelationalData) -> int:
    tx = data["tx"]
    x = tx["amount"].astype(float)
    return int(((x < 0) & (tx["type"] != "DEBIT")).sum() + ((x >= 0) & (tx["type"] != "CREDIT")).sum())


def test_a_type_follows_the_sign_of_its_amount():
    data = transactions()
    pre = TabularPreproc.from_schema(data.schema, n_bins=4).fit(data)  # few bins: one holds both signs
    rules = pre.stats["sign_labels"]
    assert rules == [
        {
            "table": "tx",
            "column": "type",
            "number": "amount",
            "negative": "DEBIT",
            "positive": "CREDIT",
            "zero": "CREDIT",
        }
    ]  # not the channel
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    assert mismatches(synth) == 0
    pre.stats["sign_labels"] = []  # without: the test can tell
    assert mismatches(pre.inverse_transform(pre.transform(data), seed=0)) > 0


def test_a_label_with_both_signs_or_too_few_rows_is_left_as_generated():
    data = transactions()
    tx = data["tx"].copy()
    tx.loc[tx.index[tx["amount"] < 0][:1], "type"] = "CREDIT"  # one refund written as a credit
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({"tx": tx}, data.schema))
    assert pre.stats["sign_labels"] == []
    few = transactions(n=30)
    assert TabularPreproc.from_schema(few.schema).fit(few).stats["sign_labels"] == []


def test_labels_that_are_not_strings_keep_their_values_and_dtype():
    """A type coded 1 (debit) and 2 (credit), or a boolean is_debit: the label was written as the
    text of its category ('1', 'True') into the generated column, an int64 one turned to strings
    (a FutureWarning of pandas, an error to come)."""
    data = transactions()
    for coded, values in (
        ("code", data["tx"]["type"].map({"DEBIT": 1, "CREDIT": 2})),
        ("flag", data["tx"]["amount"] < 0),
    ):
        tx = data["tx"].assign(type=values)
        coded_data = RelationalData({"tx": tx}, data.schema)
        pre = TabularPreproc.from_schema(data.schema, n_bins=4).fit(coded_data)
        assert [r["column"] for r in pre.stats["sign_labels"]] == ["type"], coded
        synth = pre.inverse_transform(pre.transform(coded_data), seed=0)["tx"]
        assert synth["type"].dtype == coded_data["tx"]["type"].dtype, coded
        expected = np.where(
            synth["amount"].astype(float) < 0, values[tx["amount"] < 0].iloc[0], values[tx["amount"] > 0].iloc[0]
        )
        assert (synth["type"].to_numpy() == expected)[synth["amount"].astype(float) != 0].all(), coded


def matches(n: int = 600, seed: int = 0) -> RelationalData:
    """Football matches: `result` is H, D or A as the home score is above, equal to or below the
    away score; neither score alone tells it."""
    rng = np.random.default_rng(seed)
    home, away = rng.poisson(1.5, n), rng.poisson(1.1, n)
    frame = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "home_goals": home,
            "away_goals": away,
            "result": np.where(home > away, "H", np.where(home < away, "A", "D")),
        }
    )
    schema = Schema(m=Table(id=PrimaryKey(), home_goals=Integer(), away_goals=Integer(), result=Categorical()))
    return RelationalData({"m": frame}, schema)


def wrong_results(data: RelationalData) -> int:
    m = data["m"]
    diff = m["home_goals"].astype(float) - m["away_goals"].astype(float)
    expected = np.where(diff > 0, "H", np.where(diff < 0, "A", "D"))
    return int((m["result"].astype(str).to_numpy() != expected).sum())


def test_a_result_follows_the_sign_of_a_difference_of_two_numbers():
    data = matches()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["sign_labels"] == [
        {
            "table": "m",
            "column": "result",
            "number": "home_goals",
            "minus": "away_goals",
            "negative": "A",
            "positive": "H",
            "zero": "D",
        }
    ]
    scores = pre.inverse_transform(pre.transform(data), seed=0)["m"].copy()
    scores["away_goals"] = scores["away_goals"].sample(frac=1, random_state=0).to_numpy()  # pairs drawn anew
    assert wrong_results(RelationalData({"m": scores}, data.schema)) > 100
    apply_sign_labels(pre, pre.stats["sign_labels"], tables := {"m": scores})
    assert wrong_results(RelationalData(tables, data.schema)) == 0


@pytest.mark.parametrize("first", ["amount", "type"])
def test_the_columns_after_a_label_are_drawn_beside_the_label_its_sign_gives(tiny_size, first):
    """A transaction's category (salary or refund only for credits, rent or fees only for debits)
    masked by the type as drawn, the type then set from the amount's sign: an untrained model's
    transactions broke the category's pairs with the type (`_never_pairs`) in about half the rows
    (238 of 500 with the amount written first, 270 with the type first; 850 of 1,705 in a bank of
    accounts). The type and the amount are now drawn as each other's sign says where all the values
    of the amount's token give one type, and an amount a bin holding both (-0.21 to 0) put on the
    other type's side is drawn again on its type's side: 3 with the amount first and 32 with the
    type first were left before."""
    data = transactions()
    tx = data["tx"].copy()
    rng = np.random.default_rng(1)
    credit = tx["amount"] >= 0
    tx["cat"] = np.where(credit, rng.choice(["salary", "refund"], len(tx)), rng.choice(["rent", "fees"], len(tx)))
    order = ["amount", "type"] if first == "amount" else ["type", "amount"]
    columns = {"amount": Numeric(), "type": Categorical()}
    schema = Schema(
        tx=Table(id=PrimaryKey(), **{c: columns[c] for c in order}, channel=Categorical(), cat=Categorical())
    )
    data = RelationalData({"tx": tx[["id", *order, "channel", "cat"]]}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert [r["column"] for r in pre.stats["sign_labels"]] == ["type"]
    # the amount's bins a type never holds too, where the type comes first (`_never_pairs`)
    pre.stats["never_pairs"] = [r for r in pre.stats["never_pairs"] if not r.get("number")]
    assert [(r["of"], r["column"]) for r in pre.stats["never_pairs"]] == [("type", "cat")]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(500, seed=0)["tx"]
    assert mismatches(RelationalData({"tx": out}, schema)) == 0
    never = {tuple(p) for p in pre.stats["never_pairs"][0]["pairs"]}
    assert not any((t, c) in never for t, c in zip(out["type"], out["cat"], strict=True))
    layout = pre.layouts["tx"]
    edges = np.asarray(pre.slots[layout.slots[layout.fields.index("amount")]].preproc.edges)
    b = int(np.flatnonzero((edges[:-1] < 0) & (edges[1:] >= 0))[0])  # the one bin holding DEBIT and CREDIT rows
    in_bin = out["amount"].between(edges[b], edges[b + 1])
    assert set(out["type"][in_bin]) == {"DEBIT", "CREDIT"}  # the bin still drawn on both sides


def test_a_coded_label_beside_a_null_keeps_its_side():
    """A type coded 1 (debit) and 2 (credit) with one missing: pandas maps an integer column beside
    a null as floats, so keeping a drawn label's number on its side read '1.0' for the rule's '1',
    never matched, and 104 of 799 labels came back other than the source's. Now none does."""
    data = transactions()
    tx = data["tx"].assign(type=data["tx"]["type"].map({"DEBIT": 1, "CREDIT": 2}).astype("Int64"))
    tx.loc[tx.index[20], "type"] = pd.NA
    coded = RelationalData({"tx": tx}, data.schema)
    pre = TabularPreproc.from_schema(data.schema, n_bins=4).fit(coded)  # few bins: one holds both signs
    assert [(r["negative"], r["positive"]) for r in pre.stats["sign_labels"]] == [("1", "2")]
    synth = pre.inverse_transform(pre.transform(coded), seed=0)["tx"]
    held = tx["type"].notna().to_numpy()
    assert (synth["type"].to_numpy()[held] == tx["type"].to_numpy()[held]).all()


REDRAWN_SIDES = """
import hashlib
import numpy as np, pandas as pd
from relsynth.relational import Categorical, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc
from relsynth.synth.tabular.rules.sign_labels import keep_sign_sides

rng = np.random.default_rng(0)
amount = (rng.lognormal(1, 1.5, 800) * np.where(rng.random(800) < 0.6, -1, 1)).round(2)
tx = pd.DataFrame({"id": range(1, 801), "amount": amount, "type": np.where(amount < 0, "DEBIT", "CREDIT")})
data = RelationalData({"tx": tx}, Schema(tx=Table(id=PrimaryKey(), amount=Numeric(), type=Categorical())))
pre = TabularPreproc.from_schema(data.schema, n_bins=4).fit(data)  # few bins: one holds both signs
near = tx["amount"].abs() < 0.5  # rows of that bin, their type swapped: both labels' numbers drawn again
tx.loc[near, "type"] = tx.loc[near, "type"].map({"DEBIT": "CREDIT", "CREDIT": "DEBIT"})
before = tx["amount"].copy()
keep_sign_sides(pre, pre.stats["sign_labels"], "tx", tx, np.random.default_rng(0))
print(int((tx["amount"] != before).sum()), hashlib.sha1(tx["amount"].to_numpy().tobytes()).hexdigest())
"""


def test_numbers_drawn_again_on_their_labels_side_follow_the_seed_in_every_process():
    """Each label's numbers were drawn again in the order of a set of the labels, which Python orders
    by the strings' hashes, another order in each process (PYTHONHASHSEED): one seed gave other amounts
    on each run (PYTHONHASHSEED 1 and 2: 109 amounts redrawn, other values). The labels now go in the
    rule's order."""
    outputs = []
    for hash_seed in ("1", "2"):  # two orders of {"DEBIT", "CREDIT"}
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run(
            [sys.executable, "-c", REDRAWN_SIDES], capture_output=True, text=True, timeout=300, env=env
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        outputs.append(proc.stdout)
    assert int(outputs[0].split()[0]) > 0  # numbers were drawn again
    assert outputs[0] == outputs[1]


def submissions(n: int = 400, seed: int = 0) -> RelationalData:
    """Coursework submissions: `is_late` (a boolean) is true exactly where `submitted_at` is after
    `due_at`, and `status` (a label) is 'late' there and 'on time' elsewhere; no date alone tells."""
    rng = np.random.default_rng(seed)
    due = pd.Timestamp("2024-01-15 23:59") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    late = rng.random(n) < 0.3
    gap = pd.to_timedelta(rng.integers(1, 4000, n), unit="min")
    submitted = due + np.where(late, 1, -1) * gap
    frame = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "due_at": due,
            "submitted_at": submitted,
            "is_late": pd.array(late, dtype="boolean"),
            "status": np.where(late, "late", "on time"),
        }
    )
    schema = Schema(
        s=Table(id=PrimaryKey(), due_at=Datetime(), submitted_at=Datetime(), is_late=Boolean(), status=Categorical())
    )
    return RelationalData({"s": frame}, schema)


def test_a_flag_follows_the_order_of_two_dates_of_its_row():
    """A submission's late flag, true exactly when it came after its due date: drawn as a token of
    its own (a boolean, and dates were no numbers of the rule), 1,304 of 2,718 generated submissions
    of an LMS database (48 %) were flagged against their dates. The sign of the difference of two
    dates of the row now sets a label or a boolean as it does for two numbers."""
    data = submissions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = {r["column"]: r for r in pre.stats["sign_labels"]}
    assert {c: (r["number"], r.get("minus"), r["positive"]) for c, r in rules.items()} == {
        "is_late": ("due_at", "submitted_at", "False"),
        "status": ("due_at", "submitted_at", "on time"),
    }
    synth = pre.inverse_transform(pre.transform(data), seed=0)["s"].copy()
    synth["submitted_at"] = synth["submitted_at"].sample(frac=1, random_state=0).to_numpy()  # pairs drawn anew
    after = synth["submitted_at"] > synth["due_at"]
    assert ((synth["is_late"] != after).sum()) > 50
    apply_sign_labels(pre, pre.stats["sign_labels"], tables := {"s": synth})
    out = tables["s"]
    assert out["is_late"].dtype == data["s"]["is_late"].dtype
    assert (out["is_late"].to_numpy(dtype=bool) == after.to_numpy()).all()
    assert (out["status"].to_numpy() == np.where(after, "late", "on time")).all()


def test_a_wide_table_reads_differences_whole_only_where_a_few_rows_keep_the_signs(monkeypatch):
    """Beside 20 numbers before the scores and 6 labels in no relation to them (a wide table), the
    result is still found from the difference of the scores, and a difference is read on all rows
    only where its first rows keep one label a side: each label read every pair's difference
    whole, converting both columns again (5.8 s of a 100-column table's fit)."""
    from relsynth.synth.tabular.rules import sign_labels

    data = matches()
    rng = np.random.default_rng(1)
    extra = {f"x{i}": Integer() for i in range(20)}
    frame = pd.concat(
        [data["m"][["id"]], pd.DataFrame({c: rng.integers(0, 100, len(data["m"])) for c in extra})], axis=1
    )
    frame = frame.join(data["m"].drop(columns="id"))
    labels = {f"k{i}": Categorical() for i in range(6)}
    for name in labels:
        frame[name] = rng.choice(["a", "b", "c"], len(frame))
    columns = data.schema.tables["m"].columns
    schema = Schema(m=Table(id=PrimaryKey(), **extra, **{c: k for c, k in columns.items() if c != "id"}, **labels))
    calls = []
    read = sign_labels._labels_by_sign
    monkeypatch.setattr(sign_labels, "_labels_by_sign", lambda *a: calls.append(1) or read(*a))
    found = sign_labels.find_sign_labels(TabularPreproc.from_schema(schema), RelationalData({"m": frame}, schema))
    assert [(r["column"], r["number"], r.get("minus")) for r in found] == [("result", "home_goals", "away_goals")]
    assert len(calls) <= 7 * 22 + 10  # each number alone for each label, few of the 231 differences


def listings(n: int = 400, seed: int = 0, told: bool = True) -> RelationalData:
    """Listings with a top bid and a reserve price (missing in 40 % of them): 'sold' where the top
    bid reaches the reserve or there is no reserve (`told`; else a coin there), 'unsold' below it."""
    rng = np.random.default_rng(seed)
    top = np.round(rng.uniform(5, 100, n), 2)
    reserve = np.where(rng.random(n) < 0.4, np.nan, np.round(top * rng.uniform(0.5, 1.5, n), 2))
    status = np.where(np.isnan(reserve) | (top >= reserve), "sold", "unsold")
    if not told:
        status = np.where(np.isnan(reserve), rng.choice(["sold", "unsold"], n), status)
    frame = pd.DataFrame({"id": range(n), "reserve": reserve, "top": top, "status": status})
    schema = Schema(listing=Table(id=PrimaryKey(), reserve=Numeric(), top=Numeric(), status=Categorical()))
    return RelationalData({"listing": frame}, schema)


def test_a_label_held_in_every_row_missing_the_number_is_set_there():
    """A listing without a reserve price is 'sold' in every training row, but the sign rule left
    rows missing a number as generated: a trained model called 17 of 300 generated auctions without
    a reserve but with bids 'unsold'. The label the rows of that pattern all hold is set there now."""
    data = listings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    (rule,) = pre.stats["sign_labels"]
    assert rule["number"] == "reserve" and rule["minus"] == "top" and rule["missing"] == {"number": "sold"}
    drawn = data["listing"].assign(status=np.random.default_rng(1).choice(["sold", "unsold"], len(data["listing"])))
    out = {"listing": drawn.copy()}
    apply_sign_labels(pre, pre.stats["sign_labels"], out)
    assert out["listing"]["status"].tolist() == data["listing"]["status"].tolist()
    rule.pop("missing")  # without: the rows missing the reserve keep their drawn label
    out = {"listing": drawn.copy()}
    apply_sign_labels(pre, pre.stats["sign_labels"], out)
    assert (out["listing"]["status"][drawn["reserve"].isna()] == "unsold").sum() > 50
    coin = listings(told=False)
    assert "missing" not in TabularPreproc.from_schema(coin.schema).fit(coin).stats["sign_labels"][0]

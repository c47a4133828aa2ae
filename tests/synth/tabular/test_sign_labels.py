"""A label that follows the sign of a number of its row (a transaction's type, DEBIT where its
amount is negative and CREDIT where positive) is set from the generated number's sign: drawn as a
token of its own, 25 of 1,570 generated transactions of a small model had the other type."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc


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

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

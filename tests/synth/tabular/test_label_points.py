"""A label whose numbers keep to a few values (a fee of 2.50, 5.00 or 10.00 in an amount column of
payments of any size): each value too few in the whole column for a token of its own, the fees
were drawn within quantile bins, off every fee the data holds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc
from relsynth.synth.tabular.rules.label_points import label_points

FEES = (-2.5, -5.0, -10.0)


def payments(n: int = 2_000, seed: int = 0, fees: tuple[float, ...] = FEES) -> RelationalData:
    """n transactions: 6 % fees drawn from `fees`, the rest payments and deposits of any amount."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(["fee", "payment", "deposit"], n, p=[0.06, 0.6, 0.34])
    amount = np.where(
        kind == "fee",
        rng.choice(fees, n),
        np.round(rng.lognormal(4, 1.2, n) * np.where(kind == "payment", -1, 1), 2),
    )
    tx = pd.DataFrame({"id": range(1, n + 1), "kind": kind, "amount": amount})
    schema = Schema(tx=Table(id=PrimaryKey(), kind=Categorical(), amount=Numeric()))
    return RelationalData({"tx": tx}, schema)


def off_fees(data: RelationalData) -> tuple[int, int]:
    fee = data["tx"].loc[data["tx"]["kind"] == "fee", "amount"].astype(float)
    return int((~fee.isin(FEES)).sum()), len(fee)


def test_a_labels_few_values_are_written_exactly():
    data = payments()
    counts = data["tx"]["amount"].value_counts()
    assert counts[list(FEES)].max() < len(data["tx"]) / 32  # each too few for a token of its own
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    off, n = off_fees(synth)
    assert n > 100 and off == 0


def test_no_points_where_a_label_takes_many_values():
    # fees of 12 different values, or of any value: binned as the column is
    many = payments(fees=tuple(-float(v) for v in range(1, 13)))
    assert label_points(many["tx"], "amount", ["kind"], 5) == ()
    data = payments()
    assert label_points(data["tx"], "amount", ["kind"], 5) == FEES[::-1]
    assert label_points(data["tx"].assign(kind="any"), "amount", ["kind"], 5) == ()

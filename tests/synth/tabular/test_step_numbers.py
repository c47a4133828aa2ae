"""Dates whose step from the previous sibling is a number of the parent row in days, give or take a
few: a prescription's refills, each its days_supply after the fill before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Datetime, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc


def refills(seed: int = 0, n: int = 120, follows: bool = True) -> RelationalData:
    """prescriptions (days_supply 7/30/90) -> 1 to 5 fills, each `days_supply` days after the one
    before, -3 to +5 days (`follows`), else 7 to 97 days whatever the supply."""
    rng = np.random.default_rng(seed)
    supply = rng.choice([7, 30, 90], n)
    written = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D")
    rx = pd.DataFrame({"id": range(1, n + 1), "written": written, "days_supply": supply})
    rows = []
    for i in range(n):
        day = written[i] + pd.Timedelta(days=int(rng.integers(0, 5)))
        for k in range(int(rng.integers(1, 6))):
            rows.append({"rx": i + 1, "filled": day, "fill_number": k})
            gap = supply[i] + int(rng.integers(-3, 6)) if follows else int(rng.integers(7, 98))
            day = day + pd.Timedelta(days=gap)
    fills = pd.DataFrame(rows)
    fills.insert(0, "id", range(1, len(fills) + 1))
    schema = Schema(
        prescriptions=Table(id=PrimaryKey(), written=Datetime(), days_supply=Integer()),
        fills=Table(id=PrimaryKey(), rx=ForeignKey("prescriptions"), filled=Datetime(), fill_number=Integer()),
    )
    return RelationalData({"prescriptions": rx, "fills": fills}, schema)


def on_supply(synth: RelationalData) -> float:
    """The share of later fills within 5 days of their prescription's days_supply after the fill before."""
    f = synth["fills"].merge(synth["prescriptions"], left_on="rx", right_on="id").sort_values(["rx", "filled"])
    gap = f.groupby("rx")["filled"].diff().dt.days
    return float(((gap - f["days_supply"]).abs() <= 5)[gap.notna()].mean())


def test_refills_keep_their_prescriptions_days_supply_apart():
    data = refills()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = [(r["table"], r["column"], r["number"], r["low"], r["high"]) for r in pre.stats["step_numbers"]]
    assert rules == [("fills", "filled", "days_supply", -3.0, 5.0)]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")  # untrained: steps drawn whatever the supply
    kept = model.generate(120, seed=0)
    pre.stats["step_numbers"] = []
    unkept = model.generate(120, seed=0)
    assert len(kept["fills"]) > 100 and on_supply(unkept) < 0.5, on_supply(unkept)
    assert on_supply(kept) > 0.95, on_supply(kept)
    f = kept["fills"].merge(kept["prescriptions"], left_on="rx", right_on="id")
    assert (f["filled"] >= f["written"]).all()  # a first fill stays where it was: after its prescription
    assert kept["fills"].groupby("rx")["filled"].is_monotonic_increasing.all()


def test_steps_unrelated_to_the_number_fit_no_rule():
    data = refills(follows=False)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["step_numbers"] == []


def test_a_constant_step_fits_no_rule():
    data = refills()
    fills = data["fills"].copy()
    first = fills.groupby("rx")["filled"].transform("min")
    fills["filled"] = first + pd.to_timedelta(7 * fills["fill_number"], "D")  # weekly, whatever the supply
    data = RelationalData({"prescriptions": data["prescriptions"], "fills": fills}, data.schema)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["step_numbers"] == []

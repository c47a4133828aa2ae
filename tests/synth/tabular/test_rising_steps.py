"""Numbers that move one way from one of a parent's rows to the next by a step within a narrow band:
an employee's salary, 0 to 10 % above the year before (a pay cut now and then)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import Date, ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.rising_steps import keep_rising_steps


def salaries(seed: int = 0, n: int = 150, steps: str = "raises") -> RelationalData:
    """employees -> 3 to 12 yearly salaries from the hire date; `steps`: "raises" (0 to 10 % up in 9
    years of 10, else up to 2 % down), "walk" (a random walk, as often down as up) or "draws"
    (each year's salary drawn anew)."""
    rng = np.random.default_rng(seed)
    hired = pd.Timestamp("1990-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), "D")
    employees = pd.DataFrame({"emp_no": range(1, n + 1), "hire_date": hired})
    rows = []
    for i in range(n):
        k = int(rng.integers(3, 13))
        if steps == "raises":
            growth = np.where(rng.random(k) < 0.9, rng.uniform(0, 0.1, k), rng.uniform(-0.02, 0, k))
        elif steps == "walk":
            growth = rng.normal(0, 0.05, k)
        else:
            growth = rng.lognormal(0, 0.3, k) - 1  # each year's ratio to the first: no series at all
        amounts = rng.uniform(40_000, 80_000) * (np.cumprod(1 + growth) if steps != "draws" else 1 + growth)
        for year, amount in enumerate(np.round(amounts)):
            rows.append({"emp_no": i + 1, "salary": int(amount), "from_date": hired[i] + pd.DateOffset(years=year)})
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", range(1, len(frame) + 1))
    schema = Schema(
        employees=Table(emp_no=PrimaryKey(), hire_date=Date()),
        salaries=Table(id=PrimaryKey(), emp_no=ForeignKey("employees"), salary=Integer(), from_date=Date()),
    )
    return RelationalData({"employees": employees, "salaries": frame}, schema)


def growth(synth: RelationalData) -> pd.Series:
    """Each salary's growth over the employee's previous one, in date order."""
    s = synth["salaries"].sort_values(["emp_no", "from_date"], kind="stable")
    return s.groupby("emp_no")["salary"].pct_change().dropna()


def test_salaries_keep_rising_by_the_datas_raises():
    data = salaries()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [rule] = pre.stats["rising_steps"]
    assert (rule["table"], rule["column"], rule["form"]) == ("salaries", "salary", "ratio")
    assert -0.021 < rule["low"] < -0.015 and 0.095 < rule["high"] <= 0.1
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")  # untrained: each salary drawn whatever the one before
    kept = model.generate(150, seed=0)
    pre.stats["rising_steps"] = []
    unkept = model.generate(150, seed=0)
    within = (growth(kept) >= rule["low"] - 1e-4) & (growth(kept) <= rule["high"] + 1e-4)
    assert len(growth(kept)) > 500 and (growth(unkept).between(0, 0.1)).mean() < 0.3
    assert within.mean() > 0.95, within.mean()
    assert growth(kept).between(0, 0.1001).mean() > 0.8, growth(kept).between(0, 0.1001).mean()
    # the dates are the model's, and the salaries stay within the data's
    pd.testing.assert_series_equal(kept["salaries"]["from_date"], unkept["salaries"]["from_date"])
    assert kept["salaries"]["salary"].between(data["salaries"]["salary"].min(), data["salaries"]["salary"].max()).all()


@pytest.mark.parametrize("steps", ["walk", "draws"])
@pytest.mark.parametrize("seed", range(5))
def test_steps_as_often_down_as_up_fit_no_rule(steps: str, seed: int):
    data = salaries(seed, steps=steps)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["rising_steps"] == []


def test_a_step_outside_the_window_is_drawn_again_and_the_later_rows_move_with_it():
    rule = {"table": "t", "column": "x", "key": "at", "form": "ratio", "low": 0.0, "high": 0.1,
            "steps": [0.05, 0.05], "lowest": 50.0, "highest": 200.0, "grid": 1.0}  # fmt: skip
    # parent 0 in date order 100, 300 (a step of +200 %), 315; parent 1's 190, 100 (-47 %), 105 past the
    # range once moved (199.5, 209.5): scaled back into it as a whole, every step kept
    cols = {
        "x": pd.Series([300, 100, 315, 190, 100, 105], dtype="Int64"),
        "at": pd.Series(pd.to_datetime(["2001", "2000", "2002", "2000", "2001", "2002"])),
    }
    keep_rising_steps([rule], "t", cols, np.array([0, 0, 0, 1, 1, 1]), np.random.default_rng(0))
    assert cols["x"].tolist() == [105, 100, 110, 181, 190, 200]
    assert cols["x"].dtype == "Int64"


def test_a_number_at_or_below_zero_steps_by_its_difference():
    data = salaries()
    frame = data["salaries"].copy()
    frame["salary"] = frame["salary"] - 60_000  # below 0 for some: no ratio, steps of a few thousand
    schema = Schema(employees=data.schema.tables["employees"], salaries=Table(
        id=PrimaryKey(), emp_no=ForeignKey("employees"), salary=Numeric(), from_date=Date()))  # fmt: skip
    pre = TabularPreproc.from_schema(schema).fit(
        RelationalData({"employees": data["employees"], "salaries": frame}, schema)
    )
    assert [(r["column"], r["form"]) for r in pre.stats["rising_steps"]] == [("salary", "difference")]

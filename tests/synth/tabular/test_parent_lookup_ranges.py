"""Numbers kept within the range of the lookup row their parent row names: a salary history's
amounts within its employee's grade (a lookup), the amounts rising from one row to the next."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc


def payroll(seed: int = 0, n: int = 200) -> RelationalData:
    """employee -> grade, a lookup of 6 grades whose ranges overlap; salary_history under employee:
    2 to 5 amounts per employee, each at least the one before, all within the employee's grade."""
    rng = np.random.default_rng(seed)
    low = np.array([28, 34, 41, 50, 61, 75]) * 1_000
    grades = pd.DataFrame({"id": range(1, 7), "min_salary": low, "max_salary": low * 135 // 100})
    grade = rng.integers(1, 7, n)
    rows = []
    for employee, g in enumerate(grade, start=1):
        lo, hi = low[g - 1], low[g - 1] * 135 // 100
        amount = rng.uniform(lo, lo + 0.4 * (hi - lo))
        start = pd.Timestamp("2010-01-01") + pd.Timedelta(days=int(rng.integers(0, 3000)))
        for k in range(int(rng.integers(2, 6))):
            rows.append((employee, start + pd.Timedelta(days=400 * k), min(round(amount, -1), hi)))
            amount *= 1 + rng.uniform(0.02, 0.08)
    history = pd.DataFrame(rows, columns=["employee", "effective_from", "amount"])
    history.insert(0, "id", range(1, len(history) + 1))
    employee = pd.DataFrame({"id": range(1, n + 1), "grade": grade})
    schema = Schema(
        employee=Table(id=PrimaryKey(), grade=ForeignKey("grade")),
        salary_history=Table(id=PrimaryKey(), employee=ForeignKey("employee"), effective_from=Date(),
                             amount=Integer()),
        grade=Table(id=PrimaryKey(), min_salary=Integer(), max_salary=Integer()),
        lookups=["grade"],
    )  # fmt: skip
    return RelationalData({"employee": employee, "salary_history": history, "grade": grades}, schema)


def within_and_rising(synth: RelationalData) -> tuple[float, float]:
    """(share of amounts within their employee's grade's range, share of employees whose amounts
    never fall, in their stored order)."""
    history, employee = synth["salary_history"], synth["employee"].set_index("id")
    grade = employee["grade"].astype("int64").reindex(history["employee"].astype("int64").to_numpy())
    ranges = synth["grade"].set_index("id").reindex(grade.to_numpy())
    amount = history["amount"].to_numpy(dtype=np.float64)
    kept = (amount >= ranges["min_salary"].to_numpy()) & (amount <= ranges["max_salary"].to_numpy())
    rising = history.groupby("employee", sort=False)["amount"].apply(lambda s: bool((s.diff().dropna() >= 0).all()))
    return float(kept.mean()), float(rising.mean())


def test_a_childs_amounts_stay_within_its_parents_lookup_grade_and_keep_rising():
    data = payroll()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = [(r["table"], r["column"], r["parent_fk"], r["low"], r["high"]) for r in pre.stats["parent_lookup_ranges"]]
    assert rules == [("salary_history", "amount", "grade", "min_salary", "max_salary")]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")  # untrained: amounts and grades drawn apart
    kept = model.generate(150, seed=0)
    pre.stats["parent_lookup_ranges"] = []
    unkept = model.generate(150, seed=0)
    assert within_and_rising(kept) == (1.0, within_and_rising(unkept)[1]), (
        within_and_rising(kept),
        within_and_rising(unkept),
    )
    assert within_and_rising(unkept)[0] < 0.8, within_and_rising(unkept)
    amounts = kept["salary_history"]["amount"].to_numpy(dtype=np.float64)
    assert (amounts == np.round(amounts)).all()  # still whole numbers


def test_no_rule_where_a_childs_numbers_leave_the_parents_grade():
    data = payroll()
    history = data["salary_history"].copy()
    history.loc[history.index[::7], "amount"] = 20_000  # below every grade: no side holds in every row
    data = RelationalData({**data.data, "salary_history": history}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert all(r["low"] is None for r in pre.stats["parent_lookup_ranges"])


def test_no_parent_lookup_range_under_dp():
    data = payroll()
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5))
    assert pre.stats.get("parent_lookup_ranges", []) == []

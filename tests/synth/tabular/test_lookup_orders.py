"""Numbers kept within the range of their lookup row: a salary between its job's lowest and highest
where the jobs are a lookup (copied as they are, the job key a category the model writes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc


def staff(seed: int = 0, n: int = 400) -> RelationalData:
    """department -> employee; employee -> job, a lookup of 12 jobs whose salary ranges overlap;
    each salary within its job's range (whole hundreds), a hire date after the job was opened."""
    rng = np.random.default_rng(seed)
    low = rng.integers(30, 120, 12) * 1_000
    jobs = pd.DataFrame(
        {
            "id": range(1, 13),
            "min_salary": low,
            "max_salary": low + rng.integers(10, 40, 12) * 1_000,
            "opened": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 1500, 12), "D"),
        }
    )
    job = rng.integers(1, 13, n)
    place = rng.random(n)
    salary = (
        (jobs["min_salary"].to_numpy()[job - 1] + place * (jobs["max_salary"] - jobs["min_salary"]).to_numpy()[job - 1])
        // 100
        * 100
    )
    hired = jobs["opened"].to_numpy()[job - 1] + pd.to_timedelta(rng.integers(0, 2000, n), "D").to_numpy()
    employee = pd.DataFrame(
        {"id": range(1, n + 1), "department": rng.integers(1, 41, n), "job": job, "salary": salary, "hired": hired}
    )
    schema = Schema(
        department=Table(id=PrimaryKey(), size=Integer()),
        employee=Table(id=PrimaryKey(), department=ForeignKey("department"), job=ForeignKey("job"),
                       salary=Numeric(), hired=Date()),
        job=Table(id=PrimaryKey(), min_salary=Integer(), max_salary=Integer(), opened=Date()),
        lookups=["job"],
    )  # fmt: skip
    department = pd.DataFrame({"id": range(1, 41), "size": rng.integers(1, 50, 40)})
    return RelationalData({"department": department, "employee": employee, "job": jobs}, schema)


def within(synth: RelationalData) -> tuple[float, float]:
    """(share of salaries within their job's range, share of hire dates on or after its opening)."""
    jobs = synth["job"].set_index("id").reindex(synth["employee"]["job"].astype("int64"))
    salary = synth["employee"]["salary"].to_numpy(dtype=np.float64)
    kept = (salary >= jobs["min_salary"].to_numpy()) & (salary <= jobs["max_salary"].to_numpy())
    hired = synth["employee"]["hired"].to_numpy() >= jobs["opened"].to_numpy()
    return float(kept.mean()), float(hired.mean())


def test_a_salary_stays_within_its_lookup_jobs_range():
    data = staff()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = {(r["column"], r["low"], r["high"]) for r in pre.stats["lookup_orders"]}
    assert rules == {("salary", "min_salary", "max_salary"), ("hired", "opened", None)}
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")  # untrained: salaries and jobs drawn apart
    kept = model.generate(200, seed=0)
    pre.stats["lookup_orders"] = []
    unkept = model.generate(200, seed=0)
    assert within(kept) == (1.0, 1.0) and within(unkept)[0] < 0.7, (within(kept), within(unkept))
    salaries = kept["employee"]["salary"].to_numpy(dtype=np.float64)
    assert (salaries == np.round(salaries)).all()  # on the column's grid still: whole units
    assert kept["employee"]["hired"].dt.normalize().eq(kept["employee"]["hired"]).all()  # whole days


def test_no_lookup_order_under_dp():
    data = staff()
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5))
    assert pre.stats.get("lookup_orders", []) == []

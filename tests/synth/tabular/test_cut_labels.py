"""Labels on either side of a cut of a date of their row, several to a side: a policy `expired`
where it ended before the day the data was drawn, `active` or `cancelled` from that day on. Drawn
as a token of its own, 3-4 % of a small model's policies of an insurer had a status their end
contradicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Date, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc

DRAWN = pd.Timestamp("2024-01-01")  # the day the data was drawn


def policies(n: int = 400, seed: int = 0) -> RelationalData:
    """Policies starting in 2020-2023, 6 or 12 months long; `status` expired where they ended before DRAWN,
    else active (9 in 10) or cancelled; `region` in no relation to either."""
    rng = np.random.default_rng(seed)
    start = pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D"))
    months = rng.choice([6, 12], n)
    end = pd.Series([s + pd.DateOffset(months=int(m)) for s, m in zip(start, months, strict=True)])
    status = np.where(end < DRAWN, "expired", rng.choice(["active", "cancelled"], n, p=[0.9, 0.1]))
    frame = pd.DataFrame(
        {"id": range(1, n + 1), "start": start, "end": end, "status": status, "region": rng.choice(["N", "S"], n)}
    )
    schema = Schema(policy=Table(id=PrimaryKey(), start=Date(), end=Date(), status=Categorical(), region=Categorical()))
    return RelationalData({"policy": frame}, schema)


def _agrees(frame: pd.DataFrame, cut: pd.Timestamp) -> float:
    """The share of policies whose status agrees with their end's side of `cut`."""
    ended = pd.to_datetime(frame["end"]) < cut
    return float(((frame["status"] == "expired") == ended).mean())


def test_a_status_follows_its_ends_side_of_the_day_the_data_was_drawn():
    """An untrained model draws the status apart from the end (about half of them against it);
    set from the end's side of the cut, every one agrees, and the policies after it keep both of
    their labels."""
    data = policies()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = [(r["column"], r["date"], r["groups"]) for r in pre.stats["cut_labels"]]
    assert rules == [("status", "end", [["expired"], ["active", "cancelled"]])]  # not the start, nor the region
    cut = pd.Timestamp(int(pre.stats["cut_labels"][0]["cuts"][0]))  # the first end on or after it
    assert DRAWN <= cut <= DRAWN + pd.Timedelta(days=7)
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")
    kept = model.generate(300, seed=0)["policy"]
    pre.stats["cut_labels"] = []
    unkept = model.generate(300, seed=0)["policy"]
    assert _agrees(unkept, cut) < 0.8, _agrees(unkept, cut)
    assert _agrees(kept, cut) == 1.0
    assert {"active", "cancelled"} <= set(kept.loc[pd.to_datetime(kept["end"]) >= cut, "status"])


def test_labels_drawn_apart_from_the_dates_or_a_dp_fit_take_no_cut():
    """A region in no relation to the dates, a status one policy breaks (expired a day after the
    cut), ends all missing, or a DP fit: no rule."""
    data = policies()
    frame = data["policy"].copy()
    frame.loc[frame.index[frame["status"] == "active"][:1], "status"] = "expired"
    broken = RelationalData({"policy": frame}, data.schema)
    assert TabularPreproc.from_schema(data.schema).fit(broken).stats["cut_labels"] == []
    undated = RelationalData({"policy": data["policy"].assign(end=pd.NaT)}, data.schema)
    assert TabularPreproc.from_schema(data.schema).fit(undated).stats["cut_labels"] == []
    dp = DpBudget(epsilon=3.0, delta=1e-5)
    assert not TabularPreproc.from_schema(data.schema).fit(data, dp=dp).stats.get("cut_labels")

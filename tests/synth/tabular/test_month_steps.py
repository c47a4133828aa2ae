"""Month steps: a policy's end, 12 (or 6) calendar months after its start less a day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, Datetime, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularPreproc
from relsynth.synth.tabular.rules.month_steps import nearest_steps


def policies(
    n: int = 300, seed: int = 0, cancelled: float = 0.0, shift: int = 1, travel: float = 0.0
) -> RelationalData:
    """Policies starting on any day of 2019-2022, ending 12 months later (1 in 10: 6) less `shift`
    days; a `cancelled` share ends 20 to 150 days in instead; a `travel` share, of product TRAVEL,
    7 to 30 days in."""
    rng = np.random.default_rng(seed)
    start = pd.Series(pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D"))
    months = np.where(rng.random(n) < 0.1, 6, 12)
    end = pd.Series([s + pd.DateOffset(months=int(m)) for s, m in zip(start, months, strict=True)]) - pd.Timedelta(
        days=shift
    )
    early = rng.random(n) < cancelled
    end[early] = start[early] + pd.to_timedelta(rng.integers(20, 150, early.sum()), unit="D")
    product = rng.choice(["AUTO", "HOME"], n).astype(object)
    trips = np.random.default_rng(seed + 1)
    trip = trips.random(n) < travel
    product[trip] = "TRAVEL"
    end[trip] = start[trip] + pd.to_timedelta(trips.integers(7, 31, trip.sum()), unit="D")
    frame = pd.DataFrame({"id": range(n), "product": product, "start": start, "end": end})
    schema = Schema(policy=Table(id=PrimaryKey(), product=Categorical(), start=Datetime(), end=Datetime()))
    return RelationalData({"policy": frame}, schema)


def _on_steps(frame: pd.DataFrame, shift: int) -> np.ndarray:
    return nearest_steps(frame["start"], frame["end"], shift, least=1)[1] == 0


def test_a_policy_ends_a_whole_number_of_months_after_its_start_less_a_day():
    """Ends written as day offsets in bins: 92 % of 300 decoded policies ended on a month step of their
    start (64 % of a trained model's insurance policies). Moved onto the nearest step, every one does."""
    data = policies()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["month_steps"] == [
        {"table": "policy", "column": "end", "base": "start", "shift": 1, "least": 6, "max_gap": None}
        | {"not_after": [], "not_before": []}
    ]
    back = pre.inverse_transform(pre.transform(data), seed=0)["policy"]
    assert _on_steps(back, 1).all()
    assert (back["end"] > back["start"]).all()


def test_the_labels_whose_policies_end_on_a_step_keep_it_and_the_others_are_left():
    """A third of the policies are trips of 7 to 30 days: too few ends step overall, so no rule was
    kept and 16 of 195 decoded yearly policies ended off their step (3 % of an insurer's, from a
    small model). The product's labels that step name the rows that do: every such end steps, and
    no trip is moved."""
    data = policies(shift=0, travel=0.33)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["by"], r["labels"], r["max_gap"]) for r in pre.stats["month_steps"]] == [
        ("product", ["AUTO", "HOME"], None)
    ]
    back = pre.inverse_transform(pre.transform(data), seed=0)["policy"]
    yearly = back["product"] != "TRAVEL"
    assert _on_steps(back[yearly], 0).all()
    days = (back["end"] - back["start"]).dt.days[~yearly]
    assert days.between(7, 30).all()  # no trip moved onto a month step


def test_a_cancelled_policys_early_end_stays_where_it_was_drawn():
    """5 % of the ends are no step: the rule holds, and a date far from every step is not moved."""
    data = policies(cancelled=0.05, shift=0)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["shift"], r["max_gap"]) for r in pre.stats["month_steps"]] == [(0, 3)]
    back = pre.inverse_transform(pre.transform(data), seed=0)["policy"]
    days = (back["end"] - back["start"]).dt.days
    assert (days < 160).mean() > 0.02  # early ends generated and kept
    assert _on_steps(back[days >= 160], 0).mean() > 0.97


def test_a_move_keeps_a_date_of_its_row_on_its_side():
    """A policy's last active day, its end or a day up to 2 days before: an end moved back onto its
    step left 6 of 300 last days after it. A move that would is not made; most ends still step."""
    data = policies()
    rng = np.random.default_rng(2)
    frame = data["policy"]
    frame["last_active"] = frame["end"] - pd.to_timedelta(rng.choice([0, 0, 1, 2], len(frame)), unit="D")
    schema = Schema(
        policy=Table(id=PrimaryKey(), product=Categorical(), start=Datetime(), end=Datetime(), last_active=Datetime())
    )
    data = RelationalData({"policy": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert [(r["column"], r["not_after"]) for r in pre.stats["month_steps"]] == [("end", ["last_active"])]
    back = pre.inverse_transform(pre.transform(data), seed=0)["policy"]
    assert (back["last_active"] <= back["end"]).all()
    assert _on_steps(back, 1).mean() > 0.9


def test_dates_a_random_number_of_days_apart_or_a_dp_fit_take_no_step():
    rng = np.random.default_rng(1)
    data = policies()
    data["policy"]["end"] = data["policy"]["start"] + pd.to_timedelta(rng.integers(30, 400, 300), unit="D")
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["month_steps"] == []
    dp = DpBudget(epsilon=3.0, delta=1e-5)
    assert not TabularPreproc.from_schema(data.schema).fit(policies(), dp=dp).stats.get("month_steps")


def test_dates_already_datetimes_taken_as_they_are():
    """A date column already of datetimes is taken as it is, not parsed again (which maps every row
    through a cache of its distinct dates): the same values, dtype, index and name as pd.to_datetime
    gives, in any unit or zone; other columns are parsed as before."""
    from relsynth.relational.orders import datetimes

    columns = [
        pd.Series(
            pd.to_datetime(["2020-01-01", None, "2020-01-02 03:04:05"], format="mixed"), index=[4, 2, 0], name="at"
        ),
        pd.Series(np.array(["2020-01-01", "NaT"], dtype="datetime64[s]")),
        pd.Series(pd.to_datetime(["2020-01-01", None])).dt.tz_localize("UTC"),
        pd.Series(["2020-01-01", "not a date", None]),
    ]
    for values in columns:
        pd.testing.assert_series_equal(datetimes(values, errors="coerce"), pd.to_datetime(values, errors="coerce"))

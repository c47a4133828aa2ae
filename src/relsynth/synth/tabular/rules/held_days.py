"""Held days: a series' dates on the days its table's series share, none left out (a stock's
trading days: weekdays but holidays, every one of them from its listing on).

A series' date is written as its step from the previous sibling's (`orderings`), in days, so the
model never knows the weekday a step starts from: a small model's generated daily prices fell on a
weekend in 23 % of the rows and on a holiday in 1.4 %, and every ticker's series left trading days
out (the data's: none, none, none). The fit keeps, per stepped date of whole days under a parent
(`date_parts.is_stepped`, `is_parent_stepped`), the days held by `MIN_SERIES` series at least (the
*calendar*: a day only a few series hold is no shared one, and is not stored), where they are
`MIN_HELD_SHARE` of the table's days, the series number `MIN_SERIES` at least and step from one
calendar day to the next in `MIN_DENSE_SHARE` of `MIN_STEPS` steps at least (a daily panel; a weekly
one, its week's days). Decoding lays each generated series on consecutive calendar days from the
first one on or after its first date, its rows and their order as generated; a row laid past the
calendar's last day (the data's end: no series passes it) is dropped, with the rows under it, as a
sequence summed past the data's end is (`orderings.without_room`). Not fitted under DP (the days
are read from the rows).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import datetimes
from relsynth.synth.tabular.rules.date_parts import is_parent_stepped, is_stepped

log = logging.getLogger(__name__)
MIN_SERIES = 5  # series holding a day, at least, for it to be a calendar day (and stored)
MIN_HELD_SHARE = 0.95  # the table's days that are calendar days, at least
MIN_DENSE_SHARE = 0.99  # steps from one calendar day to the next, at least
MIN_STEPS = 100  # steps within series, at least: fewer say little of a calendar


def find_held_days(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "days"}]: each series of `table` steps `column` from one of `days` (ISO
    dates) to the next; see the module."""
    out = []
    for table, found in pre.orderings.items():
        edge = data.schema.parent(table)
        if edge is None:
            continue
        parent_orders = pre.orderings.get(edge.parent, {})
        for column, o in found.items():
            if not (is_stepped(o) or is_parent_stepped(o, parent_orders)):
                continue
            if column not in pre.modelled_columns(table) or column in pre.given_columns(table):
                continue
            days = _calendar(datetimes(data[table][column], errors="coerce"), data[table][edge.fk].to_numpy())
            if days is not None:
                out.append({"table": table, "column": column, "days": [d.strftime("%Y-%m-%d") for d in days]})
                log.info(
                    "%s.%s: every series steps over %d shared days, none left out: kept so", table, column, len(days)
                )
    return out


def _calendar(dates: pd.Series, parents: np.ndarray) -> pd.DatetimeIndex | None:
    """The days `MIN_SERIES` series hold, where the series step over them densely (the module), else None."""
    held = dates.notna().to_numpy()
    if getattr(dates.dtype, "tz", None) is not None or held.sum() < MIN_STEPS:
        return None
    frame = pd.DataFrame({"parent": parents[held], "day": dates[held].to_numpy()})
    if (frame["day"] != frame["day"].dt.normalize()).any() or frame.duplicated().any():
        return None  # a time of day, or a day twice in a series: no calendar of days
    series_per_day = frame.groupby("day")["parent"].nunique()
    days = pd.DatetimeIndex(series_per_day.index[series_per_day >= MIN_SERIES]).sort_values()
    if frame["parent"].nunique() < MIN_SERIES or len(days) < 2 or len(days) < MIN_HELD_SHARE * len(series_per_day):
        return None
    on = frame[frame["day"].isin(days)].sort_values(["parent", "day"])
    place = pd.Series(days.get_indexer(on["day"]), index=on.index)
    steps = place.groupby(on["parent"]).diff().dropna()
    if len(steps) < MIN_STEPS or (steps == 1).mean() < MIN_DENSE_SHARE:
        return None
    return days


def keep_held_days(rules: list[dict], table: str, cols: dict[str, pd.Series], parents: np.ndarray) -> np.ndarray:
    """Lay (in place) each generated series of `table` (rows under one parent, `parents`) on
    consecutive calendar days from the first on or after its first date, rows in their order.
    Returns the rows laid past the calendar's last day (the data's end, which no series passes)."""
    past = np.zeros(len(parents), dtype=bool)
    for r in (r for r in rules if r["table"] == table and r["column"] in cols):
        dates = cols[r["column"]]
        held = dates.notna().to_numpy()
        if not pd.api.types.is_datetime64_any_dtype(dates.dtype) or not held.any():
            continue
        frame = pd.DataFrame({"parent": np.asarray(parents)[held], "day": dates[held].dt.normalize().to_numpy()})
        frame["row"] = np.flatnonzero(held)
        frame = frame.sort_values(["parent", "day", "row"], kind="stable")
        days = pd.DatetimeIndex(pd.to_datetime(r["days"]))
        first = frame.groupby("parent")["day"].transform("min")
        place = days.searchsorted(pd.DatetimeIndex(first)) + frame.groupby("parent").cumcount().to_numpy()
        rows, on = frame["row"].to_numpy(), place < len(days)
        moved = dates.copy()
        moved.iloc[rows[on]] = days[place[on]].astype(dates.dtype)
        cols[r["column"]] = moved
        past[rows[~on]] = True
    return past

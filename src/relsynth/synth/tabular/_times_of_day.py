"""Times of day within hours: a timestamp whose rows all fall within a stretch of the day (stock
movements booked between 07:00 and 18:00, orders taken in opening hours) keeps to it.

A timestamp is written as a date and time in one number: decoded within a bin spanning days, or
summed from gaps after its previous sibling, its time of day is drawn evenly over the 24 hours (54 %
of a one-table round trip's timestamps fell outside the data's 07:00 to 17:59; in a generated
inventory, movements booked at 00:31 and 21:16). The fit keeps, per timestamp column of at least
`MIN_ROWS` values whose times of day leave a stretch of `MIN_GAP_HOURS` empty (by chance, 100 even
times leave one of about an hour), the quantiles of its times of day; generation maps each value's
time of day, read as a share of the day, through them onto the same day: a map that only moves a
value within its day and never swaps two of them, so the column's own order (siblings in time, keys
numbered by date) holds, and times spread over the day as the data's are. Windows across midnight
(a night shift) are not kept. Not a column another one is ordered against or moved within (an
order within rows, a span, a parent's end: moving it within its day could cross the other), nor a
context column. Not fitted under DP (the quantiles are read from the rows at no cost).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData

log = logging.getLogger(__name__)
MIN_ROWS = 100  # timestamps held, at least, for their empty hours to be no chance
MIN_GAP_HOURS = 4.0  # hours of the day no value falls in, at least (100 even times leave one of ~1 h)
N_QUANTILES = 65  # quantiles of the times of day the map goes through
DAY_NS = 86_400 * 10**9
GRIDS_S = (3_600, 1_800, 900, 600, 300, 60, 1)  # the coarsest every time of day lies on (seconds)


def find_times_of_day(pre, data: RelationalData, fixed: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "quantiles": [seconds after midnight], "grid": seconds, "steps"}]: `table.column`'s
    times of day all within [quantiles[0], quantiles[-1]], a window leaving `MIN_GAP_HOURS` of the
    day empty. Not context columns, nor `fixed` ((table, column) other rules read or move)."""
    out = []
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        given = pre.given_columns(table)
        for col in pre.modelled_columns(table):
            if kinds[col].kind is not Column.DATETIME or col in given or (table, col) in fixed:
                continue
            found = _window(data[table][col])
            if found is not None:
                log.info("%s.%s holds times of day within %s: kept so", table, col, _clock(found))
                out.append({"table": table, "column": col, **found})
    return out


def named_columns(schema, rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) of every column of a table a rule names (any text among its values, nested
    ones too) that the rule names too: what rules moving dates across rows read or write."""
    out = set()
    for rule in rules:
        texts = set(_texts(rule))
        out |= {(t, c) for t in texts & set(schema.tables) for c in texts & set(schema.tables[t].columns)}
    return out


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


def _window(values: pd.Series) -> dict | None:
    """{"quantiles", "grid"} of the times of day of `values` where enough are held and they leave
    `MIN_GAP_HOURS` of the day empty; None otherwise."""
    stamps = pd.to_datetime(values, errors="coerce").dropna()
    if len(stamps) < MIN_ROWS:
        return None
    ns = (stamps - stamps.dt.normalize()).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    lo, hi = int(ns.min()), int(ns.max())
    if hi == lo or DAY_NS - (hi - lo) < MIN_GAP_HOURS * 3_600 * 10**9:
        return None
    grid = next((g for g in GRIDS_S if np.all(ns % (g * 10**9) == 0)), None)
    if grid is None:  # fractions of a second: the grid of whole seconds is kept by no one here
        return None
    seconds = ns / 1e9
    if len(np.unique(seconds)) <= N_QUANTILES:  # a few times (shifts at 06:00, 14:00, 22:00): those only
        quantiles = np.quantile(seconds, np.linspace(0, 1, N_QUANTILES), method="lower")
        return {"quantiles": [float(q) for q in quantiles], "grid": grid, "steps": True}
    quantiles = np.quantile(seconds, np.linspace(0, 1, N_QUANTILES))
    return {"quantiles": [float(q) for q in quantiles], "grid": grid}


def _clock(found: dict) -> str:
    lo, hi = found["quantiles"][0], found["quantiles"][-1]
    return f"{int(lo // 3600):02d}:{int(lo % 3600 // 60):02d} to {int(hi // 3600):02d}:{int(hi % 3600 // 60):02d}"


def keep_times_of_day(windows: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Map (in place) each fitted column's times of day through its quantiles (`day_times`)."""
    for w in windows:
        frame = tables.get(w["table"])
        if frame is None or not len(frame) or w["column"] not in frame:
            continue
        frame[w["column"]] = day_times(frame[w["column"]], w["quantiles"], int(w["grid"]), w.get("steps", False))


def day_times(values: pd.Series, quantiles: list[float], grid: int, steps: bool = False) -> pd.Series:
    """`values` (timestamps) on their own days, each time of day `t` moved to the quantile at the
    share `t / 24 h` of the day (`steps`: the quantile below it, one of the data's times; else
    between the two), floored onto the `grid` (seconds) but never below the first: a map that
    never swaps two values. Missing values stay missing."""
    stamps = pd.to_datetime(values, errors="coerce")
    day = stamps.dt.normalize()
    share = (stamps - day).dt.total_seconds().to_numpy() / 86_400
    held = ~np.isnan(share)
    if steps:
        at = np.minimum((share[held] * len(quantiles)).astype(np.int64), len(quantiles) - 1)
        seconds = np.asarray(quantiles, dtype=float)[at]
    else:
        seconds = np.interp(share[held], np.linspace(0, 1, len(quantiles)), quantiles)
    seconds = np.maximum(np.floor(seconds / grid) * grid, quantiles[0])
    out = stamps.copy()
    out.iloc[np.flatnonzero(held)] = day[held] + pd.to_timedelta(seconds, unit="s")
    return out

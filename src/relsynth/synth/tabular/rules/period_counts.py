"""A whole multiple that counts the periods a span of time started: a DVD rental's payment, its
film's rate once per rental period begun (a 5-day rental of a film rented for 3 days paid twice:
the multiple is ceil(5 / 3)), a subscription billed per month begun.

`_whole_multiples` keeps the payment a multiple of the rate, but the model draws the multiple from
its tokens, a few hundred back from the rental's dates and the film's period: 41 to 79 % of the
generated payments of a rental database (small model, 6 epochs) paid the periods their rental
began, every one in the data. The fit keeps, per whole multiple of 2 values or more, the span
between two dates of its row or of the rows it nests under (the later on or after the earlier in
every row) and the positive number there (the period, in days) whose periods begun,
ceil(span / period), are the multiple in every row holding them all (`MIN_ROWS` at least, `MIN_LATE`
of them past 1), where beside a shuffled period `MIN_MISSES` rows at least would not be.
Generation sets, once every value is final, each such row's number to the number it is a multiple
of times the periods begun (1 at least). Not under DP (nor are the multiples).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import with_ancestors
from relsynth.synth.tabular.rules.numbers import as_floats, screen_rows

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows holding the multiple, both dates and the period, at least
MIN_LATE = 5  # ... of them more than one period long: else a multiple of 1 says nothing
# rows the count no longer holds beside a shuffled period, at least: an unrelated period would fit
# every row by chance in (1 - misses / rows) ** rows < e^-5 of the data at most
MIN_MISSES = 5
MAX_LEVELS = 3  # rows above searched for dates and periods: parent, grandparent, great-grandparent
SAMPLE = 20_000  # rows read, at most: the search tries every pair of dates with every period
DAY = 86_400.0
DATES = (Column.DATE, Column.DATETIME)
NUMBERS = (Column.INTEGER, Column.NUMERIC)


def find_period_counts(pre, data: RelationalData, multiples: list[dict]) -> list[dict]:
    """[{"table", "column", "of", "earlier", "later", "period"}]: a `_whole_multiples` rule's
    multiple is ceil((later - earlier) / period days) in every training row holding them."""
    out = []
    for rule in multiples:
        if len(rule["multiples"]) < 2:  # always the same multiple: nothing counted
            continue
        table = rule["table"]
        dates, periods = _columns(pre.schema, table, DATES), _columns(pre.schema, table, NUMBERS)
        periods = [p for p in periods if p not in (rule["of"], rule["column"])]
        if len(dates) < 2 or not periods:
            continue
        frame = with_ancestors(data, pre.schema, table, [rule["column"], rule["of"], *dates, *periods])
        if len(frame) > SAMPLE:
            frame = frame.iloc[screen_rows(len(frame), SAMPLE)]
        k = np.round(as_floats(frame[rule["column"]]) / as_floats(frame[rule["of"]]))
        found = _count(frame, k, dates, periods)
        if found is not None:
            earlier, later, period = found
            log.info(
                "%s.%s: %s times the %s periods begun from %s to %s",
                table,
                rule["column"],
                rule["of"],
                period,
                earlier,
                later,
            )
            out.append(
                {
                    **{key: rule[key] for key in ("table", "column", "of")},
                    "earlier": earlier,
                    "later": later,
                    "period": period,
                }
            )
    return out


def _columns(schema, table: str, kinds: tuple[Column, ...]) -> dict[str, int]:
    """The columns of `kinds` of `table` (by name) and of the rows it nests under (`<ancestor>.<column>`),
    `MAX_LEVELS` up at most, each with its level (0: its own row, 1: its parent's ...)."""
    out = {c: 0 for c, k in schema.tables[table].columns.items() if k.kind in kinds}
    edge, level = schema.parent(table), 1
    while edge is not None and level <= MAX_LEVELS:
        cols = schema.tables[edge.parent].columns.items()
        out |= {f"{edge.parent}.{c}": level for c, k in cols if k.kind in kinds}
        edge, level = schema.parent(edge.parent), level + 1
    return out


def _count(
    frame: pd.DataFrame, k: np.ndarray, dates: dict[str, int], periods: list[str]
) -> tuple[str, str, str] | None:
    """The first (earlier, later, period) whose periods begun are `k` in every row holding them all,
    two dates of one row first (a rental's own start and return, before its payment's date)."""
    seconds = {d: _seconds(frame[d]) for d in dates}
    pairs = sorted(((a, b) for a in dates for b in dates if a != b), key=lambda p: dates[p[0]] != dates[p[1]])
    for earlier, later in pairs:
        span = (seconds[later] - seconds[earlier]) / DAY
        held = ~np.isnan(span) & ~np.isnan(k)
        if held.sum() < MIN_ROWS or (span[held] < 0).any():
            continue
        for period in periods:
            if _counts(span, as_floats(frame[period]), k):
                return earlier, later, period
    return None


def _counts(span: np.ndarray, period: np.ndarray, k: np.ndarray) -> bool:
    """Whether ceil(span / period) is `k` in every row holding all three (`MIN_ROWS`, `MIN_LATE` of
    them past 1), and beside a shuffled period not in `MIN_MISSES` of them at least."""
    held = ~np.isnan(span) & ~np.isnan(period) & ~np.isnan(k)
    if held.sum() < MIN_ROWS or (period[held] <= 0).any() or (k[held] > 1).sum() < MIN_LATE:
        return False
    s, p, m = span[held], period[held], k[held]
    if not (begun(s, p) == m).all():
        return False
    other = p[np.random.default_rng(0).permutation(len(p))]
    return int((begun(s, other) != m).sum()) >= MIN_MISSES


def begun(span: np.ndarray, period: np.ndarray) -> np.ndarray:
    """The periods begun in `span` (days), 1 at least: a rental returned within its period pays one."""
    return np.maximum(np.ceil(span / period - 1e-9), 1.0)


def keep_period_counts(rules: list[dict], out: Mapping[str, pd.DataFrame], schema, preprocs: Mapping) -> None:
    """Set (in place) each generated row's number to its `of` times the periods begun between its
    dates, where it holds both dates and a positive period and `of`; `preprocs`: (table, column) ->
    the column's NumericPreproc, for its decimals."""
    for rule in rules:
        table, col = rule["table"], rule["column"]
        frame = out.get(table)
        if frame is None or not len(frame) or col not in frame:
            continue
        up = with_ancestors(out, schema, table, [rule["of"], rule["earlier"], rule["later"], rule["period"]])
        span = (_seconds(up[rule["later"]]) - _seconds(up[rule["earlier"]])) / DAY
        of, period = as_floats(up[rule["of"]]), as_floats(up[rule["period"]])
        rows = np.flatnonzero(~np.isnan(span) & (span >= 0) & (period > 0) & ~np.isnan(of))
        current = as_floats(frame[col])
        rows = rows[~np.isnan(current[rows])]
        if not len(rows):
            continue
        value = current.copy()
        value[rows] = of[rows] * begun(span[rows], period[rows])
        num = preprocs.get((table, col))
        if num is not None and getattr(num, "kind", None) == "numeric" and num.decimals is not None:
            value[rows] = np.round(value[rows], num.decimals)
        changed = int((np.abs(value[rows] - current[rows]) > 1e-9).sum())
        frame[col] = pd.Series(value, index=frame.index).astype(frame[col].dtype)
        if changed:
            log.info("%s.%s: %d generated values set to %s times the periods begun", table, col, changed, rule["of"])


def _seconds(values: pd.Series) -> np.ndarray:
    """Dates as seconds (float64), NaN where missing."""
    when = pd.to_datetime(values, errors="coerce")
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_convert("UTC").dt.tz_localize(None)
    out = when.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64) / 1e9
    out[when.isna().to_numpy()] = np.nan
    return out

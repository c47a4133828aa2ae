"""Dates whose step from the previous sibling is a number of the parent row in days, give or take
a few (a prescription's refills, each its `days_supply` after the fill before, ± 3 days).

The model writes each later sibling's date as its step from the one before (`Ordering.after_sibling`)
and must learn that the step follows a number read rows earlier; a small model does so loosely: 31 %
of a pharmacy's generated refills lay more than 5 days off their prescription's days_supply, none in
the data. The fit keeps, per such date and number of the parent row, the window of residuals (step
in days less the number) all training steps but `min_count - 1` on each side keep, where it is far
narrower than the steps' and the number's own spreads (so a constant step, or a number unrelated to
the step, never fires), and the residuals at quantiles. Decoding draws a step breaking the window
again as the number plus a residual from them, the later siblings moved with it (their own steps
kept), where the new dates stay within the column's latest date. Not under DP (an order's fit).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED, DAY_NS, as_numbers

log = logging.getLogger(__name__)
MIN_PAIRS = 20  # consecutive sibling pairs a rule needs
MAX_WIDTH_SHARE = 0.25  # the residual window at most this share of the steps' and the number's spreads
N_RESIDUALS = 21  # residual quantiles kept to draw from
_NUMBERS = (Column.NUMERIC, Column.INTEGER)


def find_step_numbers(pre, data: RelationalData, fixed: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "parent", "number", "low", "high", "residuals"}]: a date of a table whose
    step from the previous sibling (rows in date order under one parent row) less the parent row's
    `number` (both in days) lies within [low, high] in all training pairs but `min_count - 1` a side."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        edge = schema.parent(table)
        if edge is None:
            continue
        parent = data.data[edge.parent].set_index(schema.tables[edge.parent].primary_key)
        numbers = [c for c, col in schema.tables[edge.parent].columns.items() if col.kind in _NUMBERS]
        for col, order in pre.orderings.get(table, {}).items():
            kind = schema.tables[table].columns[col].kind
            if kind not in DATED or not order.after_sibling or order.sibling_base is not None or (table, col) in fixed:
                continue
            steps, named = sibling_steps(data.data[table], edge.fk, col, kind)
            windows = {
                n: _window(steps, parent[n].reindex(named).to_numpy(dtype=float), pre.min_count) for n in numbers
            }
            found = {n: w for n, w in windows.items() if w is not None}
            if not found:
                continue
            number = min(found, key=lambda n: found[n][1] - found[n][0])  # the narrowest window
            low, high, residuals = found[number]
            log.info(
                "%s.%s steps %s's %s days apart, %s to %s off: kept so", table, col, edge.parent, number, low, high
            )
            out.append({"table": table, "column": col, "parent": edge.parent, "number": number, "low": low,
                        "high": high, "residuals": residuals})  # fmt: skip
    return out


def sibling_steps(frame: pd.DataFrame, fk: str, col: str, kind: Column) -> tuple[np.ndarray, np.ndarray]:
    """The steps in days between consecutive dated rows under one parent row, in date order, and the
    parent key each step's rows share."""
    rows = frame[[fk, col]].dropna().sort_values([fk, col], kind="stable")
    days = as_numbers(rows[col], kind) / DAY_NS
    keys = rows[fk].to_numpy()
    same = keys[1:] == keys[:-1]
    return np.diff(days)[same], keys[1:][same]


def _window(steps: np.ndarray, number: np.ndarray, min_count: int) -> tuple[float, float, list[float]] | None:
    """(low, high, residual quantiles) of `steps - number` where the window is far narrower than the
    steps' and the number's spreads; None where it is not, or too few pairs hold a number."""
    held = ~np.isnan(number)
    steps, number = steps[held], number[held]
    if len(steps) < MIN_PAIRS or len(np.unique(number)) < 2:
        return None
    residual = np.sort(steps - number)
    cut = min(max(min_count - 1, 0), (len(residual) - 1) // 10)  # a few outliers a side, never a tenth
    low, high = float(residual[cut]), float(residual[len(residual) - 1 - cut])
    spread = min(_spread(steps, cut), _spread(number, cut))
    if spread <= 0 or high - low > MAX_WIDTH_SHARE * spread:
        return None
    kept = residual[(residual >= low) & (residual <= high)]
    return low, high, [float(q) for q in np.quantile(kept, np.linspace(0, 1, N_RESIDUALS), method="inverted_cdf")]


def _spread(values: np.ndarray, cut: int) -> float:
    ordered = np.sort(values)
    return float(ordered[len(ordered) - 1 - cut] - ordered[cut])


def keep_step_numbers(
    rules: list[dict],
    table: str,
    cols: dict[str, pd.Series],
    parents: np.ndarray,
    up: dict[str, pd.DataFrame],
    latest: dict[str, float | None],
    rng: np.random.Generator,
) -> None:
    """Draw again (in place) each step of a rule's date outside its window as the parent row's number
    plus a residual of the data's, moving the parent's later rows with it; `up`: the decoded parent
    tables, `parents`: each row's parent row; `latest`: a column's latest date (ns) or None."""
    for rule in rules:
        if rule["table"] != table or rule["column"] not in cols or rule["parent"] not in up:
            continue
        col = rule["column"]
        number = up[rule["parent"]][rule["number"]].to_numpy(dtype=float)[parents]
        ns = as_numbers(cols[col], Column.DATETIME)  # a date's or a timestamp's nanoseconds alike
        new = _redrawn(ns, parents, number, rule, rng)
        limit = latest.get(col)
        moved = ~np.isnan(new) & (new != ns)
        if limit is not None:
            over = pd.Series(~np.isnan(new) & (new > limit)).groupby(parents).transform("any").to_numpy()
            moved &= ~over  # a parent whose rows the move would push past the latest date keeps them
        if moved.any():
            values = cols[col].copy()
            moved_to = pd.to_datetime(np.round(new[moved]).astype(np.int64))
            if isinstance(values.dtype, pd.DatetimeTZDtype):  # nanoseconds since the epoch are UTC's
                moved_to = moved_to.tz_localize("UTC").tz_convert(values.dtype.tz)
            values.iloc[np.flatnonzero(moved)] = moved_to
            cols[col] = values
            log.debug("%s.%s: %d dates moved to their step of %s", table, col, int(moved.sum()), rule["number"])


def _redrawn(ns: np.ndarray, parents: np.ndarray, number: np.ndarray, rule: dict, rng) -> np.ndarray:
    """The dates (ns, NaN: none) with each step outside the window drawn again, later rows moved with it."""
    out = ns.copy()
    for i in range(1, len(ns)):
        if parents[i] != parents[i - 1] or np.isnan(ns[i]) or np.isnan(ns[i - 1]) or np.isnan(number[i]):
            continue
        step = (ns[i] - ns[i - 1]) / DAY_NS  # the generated step, kept where it is within the window
        if not rule["low"] <= step - number[i] <= rule["high"]:
            step = number[i] + float(rng.choice(rule["residuals"]))  # residuals the data hold: on its grid
        out[i] = out[i - 1] + step * DAY_NS if step > 0 else out[i - 1] + (ns[i] - ns[i - 1])
    return out

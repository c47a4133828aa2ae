"""Dates whose step from the previous sibling is a number of the parent row in days, give or take
a few (a prescription's refills, each its `days_supply` after the fill before, ± 3 days), or a number
of the previous sibling itself, in its unit (a track played after the one before it: its `ms_played`
after it, and a few seconds).

The model writes each later sibling's date as its step from the one before (`Ordering.after_sibling`)
and must learn that the step follows a number read rows earlier; a small model does so loosely: 31 %
of a pharmacy's generated refills lay more than 5 days off their prescription's days_supply, none in
the data. The fit keeps, per such date and number of the parent row, the window of residuals (step
in days less the number) all training steps but `min_count - 1` on each side keep, where it is far
narrower than the steps' and the number's own spreads (so a constant step, or a number unrelated to
the step, never fires), and the residuals at quantiles. Decoding draws a step breaking the window
again as the number plus a residual from them, the later siblings moved with it (their own steps
kept), where the new dates stay within the column's latest date. Not under DP (an order's fit).

A number of the previous sibling's own row (`of`: "previous") is read in each of `UNITS` (milliseconds
to days) and kept in the one of the narrowest window (in nanoseconds), on a parent's number's terms
(its spreads, 20 pairs); not one a rule sets after decoding (a total, a formula), but one a rule only
lowers to a bound of the row a key names (`only_lowering`: ms_played, at most its track's duration),
which still steps the next row at least that far. Numbers in ms step
dates kept in whole seconds: the redrawn date is put on the column's grid (`grid`), inside the window
where the grid allows. A streaming service's plays, each started its previous play's ms_played
(and 0 to 5 s) after it: 83 to 85 % of the generated plays started before the previous one ended (none in
the data), the session's end squeezing them together. A reference or a total may set that number
once every table is written (a full play's ms_played, its track's duration: 61 % of the plays), so the
steps are kept again then (`keep_previous_steps`), the parent's end moved past them again.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED, DAY_NS, as_numbers
from relsynth.synth.tabular.rules.shared_values import set_columns

log = logging.getLogger(__name__)
MIN_PAIRS = 20  # consecutive sibling pairs a rule needs
MAX_WIDTH_SHARE = 0.25  # the residual window at most this share of the steps' and the number's spreads
N_RESIDUALS = 21  # residual quantiles kept to draw from
_NUMBERS = (Column.NUMERIC, Column.INTEGER)
_LOWERING = ("reference_sides", "lookup_orders")  # rules keeping a number within a named row's bounds
UNITS = (1e6, 1e9, 60e9, 3_600e9, float(DAY_NS))  # nanoseconds in a ms, s, minute, hour, day


def find_step_numbers(
    pre, data: RelationalData, fixed: set[tuple[str, str]], lowered: set[tuple[str, str]] = frozenset()
) -> list[dict]:
    """[{"table", "column", "parent", "number", "low", "high", "residuals"[, "of", "unit", "grid"]}]: a date
    of a table whose step from the previous sibling (rows in date order under one parent row) less the
    parent row's `number` (both in days), or the previous sibling's (`of`: "previous", in `unit`
    nanoseconds), lies within [low, high] in all training pairs but `min_count - 1` a side; not a `fixed`
    date or number, but a number of the row a later rule only `lowered` (`only_lowering`) still steps the
    next row at least that far."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        edge = schema.parent(table)
        if edge is None:
            continue
        parent = data.data[edge.parent].set_index(schema.tables[edge.parent].primary_key)
        numbers = [c for c, col in schema.tables[edge.parent].columns.items() if col.kind in _NUMBERS]
        own = [
            c
            for c, col in schema.tables[table].columns.items()
            if col.kind in _NUMBERS and (table, c) not in fixed - lowered
        ]
        for col, order in pre.orderings.get(table, {}).items():
            kind = schema.tables[table].columns[col].kind
            if kind not in DATED or not order.after_sibling or order.sibling_base is not None or (table, col) in fixed:
                continue
            steps, named, before = sibling_steps(data.data[table], edge.fk, col, kind)
            windows = {
                (n, None, DAY_NS): _window(steps, parent[n].reindex(named).to_numpy(dtype=float), pre.min_count)
                for n in numbers
            }
            previous = {n: data.data[table][n].to_numpy(dtype=float, na_value=np.nan)[before] for n in own}
            windows |= {
                (n, "previous", unit): _window(steps * DAY_NS / unit, previous[n], pre.min_count)
                for n in own
                for unit in UNITS
            }
            found = {k: w for k, w in windows.items() if w is not None}
            if not found:
                continue
            key = min(found, key=lambda k: (found[k][1] - found[k][0]) * k[2])  # the narrowest window
            (number, of, unit), (low, high, residuals) = key, found[key]
            rule = {"table": table, "column": col, "parent": edge.parent, "number": number, "low": low,
                    "high": high, "residuals": residuals}  # fmt: skip
            rule |= {} if of is None else {"of": of, "unit": unit, "grid": float(order.grid or 0.0)}
            log.info(
                "%s.%s steps %s's %s apart, %s to %s off: kept so", table, col, of or edge.parent, number, low, high
            )
            out.append(rule)
    return out


def only_lowering(stats: dict) -> set[tuple[str, str]]:
    """(table, column) of the numbers a rule moves only down to a bound of a row a key names, and
    no rule sets otherwise (`reference_sides`, `lookup_orders` with no low side: a play's ms_played,
    at most its track's duration)."""
    lowering = {(r["table"], r["column"]) for k in _LOWERING for r in stats.get(k, []) if _lowers(r)}
    others = {**stats, **{k: [r for r in stats.get(k, []) if not _lowers(r)] for k in _LOWERING}}
    return lowering - set_columns(others)


def _lowers(rule: dict) -> bool:
    return rule.get("low") is None and rule.get("high") is not None


def sibling_steps(frame: pd.DataFrame, fk: str, col: str, kind: Column) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The steps in days between consecutive dated rows under one parent row, in date order, the
    parent key each step's rows share and the position in `frame` of each step's earlier row."""
    rows = frame[[fk, col]].reset_index(drop=True).dropna().sort_values([fk, col], kind="stable")
    days = as_numbers(rows[col], kind) / DAY_NS
    keys = rows[fk].to_numpy()
    same = keys[1:] == keys[:-1]
    return np.diff(days)[same], keys[1:][same], rows.index.to_numpy()[:-1][same]


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
    (or the previous sibling's) plus a residual of the data's, moving the parent's later rows with it; `up`: the decoded parent
    tables, `parents`: each row's parent row; `latest`: a column's latest date (ns) or None."""
    for rule in rules:
        previous = rule.get("of") == "previous"
        if rule["table"] != table or rule["column"] not in cols or (rule["parent"] not in up and not previous):
            continue
        col = rule["column"]
        number = _previous_numbers(cols, rule["number"], parents) if previous else _parent_numbers(up, rule, parents)
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


def keep_previous_steps(rules: list[dict], out: dict[str, pd.DataFrame], schema, orderings: dict, rng) -> set[str]:
    """`keep_step_numbers` again (in place) for the rules stepping by a previous sibling's number, once
    the references are dealt and the totals copied: either may set that number (a play's ms_played,
    its track's duration in full). `out`: the generated tables, each parent's rows together and in
    date order. The tables of such rules."""
    stepped = set()
    for rule in (r for r in rules if r.get("of") == "previous" and r["table"] in out):
        table, col = out[rule["table"]], rule["column"]
        parents = pd.factorize(table[schema.parent(rule["table"]).fk])[0]
        cols = {c: table[c] for c in (col, rule["number"]) if c in table}
        o = orderings.get(rule["table"], {}).get(col)
        latest = {col: o.extreme if o is not None and o.sign > 0 else None}
        keep_step_numbers([rule], rule["table"], cols, parents, {}, latest, rng)
        if col in cols:
            table[col] = cols[col]
            stepped.add(rule["table"])
    return stepped


def _parent_numbers(up: dict[str, pd.DataFrame], rule: dict, parents: np.ndarray) -> np.ndarray:
    """Each row's parent row's number of the rule."""
    return up[rule["parent"]][rule["number"]].to_numpy(dtype=float, na_value=np.nan)[parents]


def _previous_numbers(cols: dict[str, pd.Series], number: str, parents: np.ndarray) -> np.ndarray:
    """Each row's previous sibling's `number` (NaN for a parent's first row, or where it has none)."""
    values = cols[number].to_numpy(dtype=float, na_value=np.nan) if number in cols else np.full(len(parents), np.nan)
    out = np.r_[np.nan, values[:-1]]
    return np.where(np.r_[False, parents[1:] == parents[:-1]], out, np.nan)


def _redrawn(ns: np.ndarray, parents: np.ndarray, number: np.ndarray, rule: dict, rng) -> np.ndarray:
    """The dates (ns, NaN: none) with each step outside the window drawn again, later rows moved with it."""
    out = ns.copy()
    unit = rule.get("unit", DAY_NS)
    for i in range(1, len(ns)):
        if parents[i] != parents[i - 1] or np.isnan(ns[i]) or np.isnan(ns[i - 1]) or np.isnan(number[i]):
            continue
        step = (ns[i] - ns[i - 1]) / unit  # the generated step, kept where it is within the window
        if not rule["low"] <= step - number[i] <= rule["high"]:
            step = number[i] + float(rng.choice(rule["residuals"]))  # residuals the data hold: on its grid
            step = _on_grid(step, number[i], rule) if rule.get("grid") else step
        out[i] = out[i - 1] + step * unit if step > 0 else out[i - 1] + (ns[i] - ns[i - 1])
    return out


def _on_grid(step: float, number: float, rule: dict) -> float:
    """`step` (in the rule's unit) a whole number of the column's grid: the nearest such whose residual
    stays within the window, else the nearest (a window narrower than the grid)."""
    grid = rule["grid"] / rule["unit"]
    points = sorted({np.floor(step / grid) * grid, np.ceil(step / grid) * grid}, key=lambda p: abs(p - step))
    return next((p for p in points if rule["low"] <= p - number <= rule["high"]), points[0])

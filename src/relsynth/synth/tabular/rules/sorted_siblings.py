"""A date (or a number) a parent's rows are stored in order of, though drawn within a window rather
than one after another: a subscription's calls, numbered as they were made, at any time between its activation
and its termination (`relational.orders.sibling_key` finds no sequence: their spacing shrinks as a
subscription has more of them, so it keeps the stored order and models the date by itself).

The model writes each row's date from its place in the window, not from the previous row's, so the
generated rows were in no order: in no generated subscription did the calls follow their time
(call 2 before call 1), where every source subscription's do. The fit keeps, per table nested
under a parent and without a sibling key, each date column that never goes down from one of a
parent's stored rows to the next and goes up in half the steps at least (`MIN_ROWS` steps), where
decoding can sort it without moving another column of its row: modelled as itself and read by no
order within its row, or as its place from its parent's dates (the same for every sibling, so the
places sort as the dates do; a place counted back from the parent's end, a bid's time before its
auction's end, sorts the other way: `descending`), then each number likewise (a match's goals stored
by their minute: in 30 to 38 % of a sports league's generated matches they were not; an auction's
bids by their amount and by their time: with the amount alone kept, a trained model's bids came
after a later one in 66 to 76 % of its auctions). A number the rows keep in order only among the siblings
sharing a label of theirs, a chess clock going down for each side's moves, the moves in order of the ply
(`by`), is sorted within each parent's rows of each label, where none sorts it among them all; a
number or date that never goes up from row to row is sorted largest first likewise (`descending`). Generation gives each
parent's rows, in their generated order, its drawn dates sorted (missing ones stay where they are), so the rows and the keys numbered in their
order follow the date, as the source's do; the rows keep their other values, and the labels of a
parent's first or last row (`_edge_labels`), read in the stored order, stay there. A column that never
repeats from one of a parent's rows to the next (an auction's bid amounts and times, each above the last)
keeps its `step`, the column's grid: sorting left two equal consecutive values in 0.8 to 2.2 % of a trained
model's auctions (two draws on one minute, or one cent), so once decoded each run of equal values is spread
one step apart (`keep_strict_steps`), as far down as the previous value, its base and its bound allow (a bid
time before its auction's end, which would otherwise move), or left as it is where no place fits. A date
kept on some weekdays (`times_of_day`: a league's matches on weekends) is spread over those days alone, so
the move onto them does not tie it again (a home team in two matches of a Saturday). A number whose steps
never fall below a least one that grows with the value stepped from, and pile at it (`step_floors`: a bid's
least raise, 0.5 under 25, 1 under 100, 2.5 above), took any step on its grid once sorted (19 and 23 % of a
small model's bids raised less): each value short of its floor is raised to it, the later ones with it where
their own steps fall short (`_raised_to_floors`). Not under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import DATED, DAY_NS, as_numbers
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.orderings import Ordering
from relsynth.synth.tabular.rules.times_of_day import from_held_days, held_weekdays, on_held_days

log = logging.getLogger(__name__)
MIN_ROWS = 20  # steps from one sibling to the next holding the date, at least
NUMBERS = (Column.INTEGER, Column.NUMERIC)


def find_sorted_siblings(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "offset"[, "descending"]}]: `column` orders `table`'s rows under each
    parent row as they are stored; `offset`: sorted as its place from the parent's dates (before they
    are decoded), `descending` where that place is counted back from them."""
    out = []
    for table in pre.schema.synth_tables:
        edge = pre.schema.parent(table)
        if edge is None:
            continue
        orders, given = pre.orderings.get(table, {}), pre.given_columns(table)
        kinds = {c: k.kind for c, k in pre.schema.tables[table].columns.items()}
        dates = [c for c in pre.modelled_columns(table) if kinds.get(c) in DATED and c not in given]
        # then a number stored in its order (a match's goals by their minute), where no date is
        numbers = [c for c in pre.modelled_columns(table) if kinds.get(c) in NUMBERS and c not in given]
        labels = [c for c in pre.modelled_columns(table) if kinds.get(c) is Column.CATEGORICAL and c not in given]
        key = pre.sibling_keys.get(table)
        frame = data[table]
        for col in dates + numbers:
            if col == key or not _sortable(col, orders):  # the key orders the rows itself
                continue
            found = _sorted_by(frame, edge.fk, key, col, kinds[col], labels)
            if found is None:
                continue
            by, direction = found
            back = (direction < 0) != (col in orders and orders[col].sign < 0)  # a place back from the end flips
            step = _strict_step(frame, edge.fk, key, col, kinds[col], by, direction, orders.get(col))
            floors = None
            if step is not None and step > 0 and kinds[col] in NUMBERS:  # a bid's least raise, by its price
                floors = step_floors(*_pairs(frame, edge.fk, col, kinds[col], key, by), step, pre.min_count)
            out.append(
                {"table": table, "column": col, "offset": col in orders}
                | ({"descending": True} if back else {})
                | ({"by": by} if by is not None else {})
                | ({"step": step} if step else {})
                | ({"floors": floors} if floors else {})
            )
            within = "" if by is None else f" within each {by}"
            log.info("%s: each %s row's rows stored in order of %s%s, generated so", table, edge.parent, col, within)
    return out


def _sorted_by(
    frame: pd.DataFrame, fk: str, key: str | None, col: str, kind, labels: list[str]
) -> tuple[str | None, int] | None:
    """(None or the label within whose rows, the direction) in which `col` keeps a parent's rows in
    their order (as stored, or by the sibling key `key`): first up among them all (no key: a key
    orders the rows itself), then down, then within each label of their own."""
    if key is None and _stored_in_order(frame, fk, col, kind, key):
        return None, 1
    for by in [None, *labels]:
        for direction in (-1,) if by is None else (1, -1):
            if _stored_in_order(frame, fk, col, kind, key, by, direction):
                return by, direction
    return None


def _stored_in_order(
    df: pd.DataFrame, fk: str, col: str, kind, key: str | None = None, by: str | None = None, direction: int = 1
) -> bool:
    """Never down (`direction` -1: up) from one of a parent's rows to the next (of the same `by` label),
    in their stored order or that of `key`; up (down) in half the steps at least."""
    steps = _steps(df, fk, col, kind, key, by, direction)
    return len(steps) >= MIN_ROWS and bool((steps >= 0).all()) and float((steps > 0).mean()) >= 0.5


def _steps(
    df: pd.DataFrame, fk: str, col: str, kind, key: str | None = None, by: str | None = None, direction: int = 1
) -> np.ndarray:
    """`col`'s steps (times `direction`) from each of a parent's held rows to the next held one (of the
    same `by` label), in their stored order or that of `key`."""
    return _pairs(df, fk, col, kind, key, by, direction)[1]


def _pairs(
    df: pd.DataFrame, fk: str, col: str, kind, key: str | None = None, by: str | None = None, direction: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """(each step's previous value, the step) of `_steps`, both times `direction`."""
    frame = df[df[fk].notna() & (df[by].notna() if by is not None else True)]
    groups = frame[fk] if by is None else frame.groupby([fk, by], sort=False).ngroup()
    order, same = sibling_order(frame.assign(_group=groups.to_numpy()), "_group", key)
    values = direction * as_numbers(frame[col], kind)[order]
    pairs = same[1:] & ~np.isnan(values[1:]) & ~np.isnan(values[:-1])
    return values[:-1][pairs], values[1:][pairs] - values[:-1][pairs]


def step_floors(previous: np.ndarray, steps: np.ndarray, grid: float, min_count: int) -> list[list]:
    """[[level or None, floor], ...]: the steps from a value of `level` or more (None: any) never fall below
    `floor`, the steps pile at the floor (`min_count` of them at least, over `MIN_ROWS` such steps) and
    the floor is above the `grid` (a bid's least raise: 0.5 under 25, 1 under 100, 2.5 above). Each
    floor is a step held that often; its level the least value on the grid above every value a smaller
    step follows in the data, rounded up (`_rounded_up`).
    A floor another passes from a level as low is left out."""
    steps = np.round(steps / grid) * grid  # 0.5 written as 0.49999 by a difference of decimals
    values, counts = np.unique(steps, return_counts=True)
    out: list[list] = []
    for floor in values[(counts >= min_count) & (values > grid * (1 + 1e-6))]:
        below = previous[steps < floor - grid / 2]
        level = _rounded_up(float(below.max()) + grid) if len(below) else None  # a grid step past it
        above = previous >= level if level is not None else np.ones(len(previous), bool)
        if above.sum() < MIN_ROWS or (steps[above] == floor).sum() < min_count:
            continue
        out = [f for f in out if not _passed_by(f, level)] + [[level, float(floor)]]
    return out


def _rounded_up(x: float) -> float:
    """`x` rounded up to two significant digits: no row's own value is kept (24.9 -> 25, 99.6 -> 100)."""
    if x == 0 or not np.isfinite(x):
        return x
    unit = 10.0 ** (np.floor(np.log10(abs(x))) - 1)
    return float(np.ceil(x / unit) * unit)


def _passed_by(floor: list, level: float | None) -> bool:
    """Whether a floor from `level` (greater than `floor`'s) holds wherever `floor` does."""
    return level is None or (floor[0] is not None and floor[0] >= level)


def _strict_step(
    df: pd.DataFrame, fk: str, key: str | None, col: str, kind, by: str | None, direction: int, o: Ordering | None
) -> float | None:
    """Where `col` never repeats from one of a parent's rows to the next, its signed step (+ where it goes
    up): its order's grid, or the data's (`_whole_unit`); None where a step repeats it, or no grid is found."""
    steps = _steps(df, fk, col, kind, key, by, direction)
    if len(steps) < MIN_ROWS or not bool((steps > 0).all()):
        return None
    grid = o.grid if o is not None and o.grid > 0 else _whole_unit(as_numbers(df[col], kind), kind in DATED)
    return None if grid is None else float(direction * grid)


DATE_UNITS = (86_400e9, 3_600e9, 60e9, 1e9, 1e6, 1e3, 1.0)  # a day to a nanosecond
MAX_DECIMALS = 6


def _whole_unit(values: np.ndarray, dated: bool) -> float | None:
    """The coarsest unit every held value is a whole number of: of `DATE_UNITS` for dates (nanoseconds),
    10**-d for numbers with d decimals at most (`MAX_DECIMALS`; None: finer). A fixed unit, not the
    values' own step as `orderings.column_grid` reads it (an integer counted in 20s has the unit 1)."""
    x = values[~np.isnan(values)]
    units = DATE_UNITS if dated else [10.0**-d for d in range(MAX_DECIMALS + 1)]
    for unit in units:
        scaled = x / unit
        if np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6):
            return unit
    return None


def _sortable(col: str, orders: dict[str, Ordering]) -> bool:
    """Whether sorting `col` among siblings moves nothing else of their rows: modelled as itself and
    no base, bound, cap or fallback of its row's orders, or its place from its parent's dates (forward
    or back: the same base and bound for every sibling, so the places keep the values' order)."""
    o = orders.get(col)
    if o is None:
        return not any(
            col in (r.base, r.bound, r.cap, r.fallback, r.sibling_base) and not r.from_parent for r in orders.values()
        )
    from_parent = (o.bound is None or o.bound_from_parent) and (o.cap is None or o.cap_from_parent)
    return o.from_parent and from_parent and not (o.loose or o.after_sibling or o.near or o.first_quantiles)


def keep_sorted_siblings(pre, table: str, cols: dict[str, pd.Series], parents: np.ndarray, offset: bool) -> None:
    """Sort, in place, each rule's column of `table` among each parent's rows (`parents`: each row's
    parent position), in row order; `offset`: the rules sorted as their places, before decoding."""
    for rule in pre.table_rules("sorted_siblings", table):
        if rule["offset"] == offset and rule["column"] in cols:
            groups = _rule_groups(rule, parents, cols)
            cols[rule["column"]] = sorted_within(cols[rule["column"]], groups, rule.get("descending", False))


def _rule_groups(rule: dict, parents: np.ndarray, cols: dict[str, pd.Series]) -> np.ndarray:
    """The groups a rule's column is sorted in: each row's parent, or its parent and `by` label."""
    return parents if "by" not in rule else _label_groups(parents, cols[rule["by"]])


def _label_groups(parents: np.ndarray, labels: pd.Series) -> np.ndarray:
    """One group per parent and label of its rows (a missing label one of its own)."""
    codes = pd.factorize(labels)[0] + 1
    return parents.astype(np.int64) * (int(codes.max(initial=0)) + 1) + codes


def sorted_within(values: pd.Series, parents: np.ndarray, descending: bool = False) -> pd.Series:
    """`values` with each parent's held values sorted in row order (largest first where
    `descending`), missing ones left in place."""
    held = np.flatnonzero(values.notna().to_numpy())
    if not len(held):
        return values
    slots = held[np.lexsort((held, parents[held]))]  # each parent's rows, in row order
    numbers = to_numbers(values.iloc[held], errors="raise") if values.dtype == object else values.iloc[held]
    key = -numbers.to_numpy(dtype=float) if descending else numbers.to_numpy()
    ranked = held[np.lexsort((key, parents[held]))]  # ... in order of their value
    out = values.to_numpy().copy()
    out[slots] = values.to_numpy()[ranked]
    return pd.Series(out, index=values.index, dtype=values.dtype)


def keep_strict_steps(
    pre, table: str, cols: dict[str, pd.Series], parents: np.ndarray, orders: dict[str, Ordering], above
) -> None:
    """Spread, in place, each run of equal consecutive values of a rule's column with a `step` (sorted
    already) among a parent's rows one step apart; `above`: the parent rows' values, one per row (the
    order's base and bound). A date kept on some weekdays (`times_of_day`) in steps of whole days is
    spread over those days alone: a tie of two Saturdays spread to a Friday and that Saturday went back
    to the Saturday once moved onto the weekend, a home team then in two matches of a date."""
    for rule in pre.table_rules("sorted_siblings", table):
        if "step" not in rule or rule["column"] not in cols:
            continue
        col, step = rule["column"], rule["step"]
        groups = _rule_groups(rule, parents, cols)
        kind = pre.schema.tables[table].columns[col].kind
        lo, hi = _order_room(cols, orders.get(col), above, len(parents))
        values = as_numbers(cols[col], kind)
        held = held_weekdays(pre.stats.get("times_of_day", []), table, col) if kind in DATED else None
        if held and abs(step) % DAY_NS == 0:  # on a calendar of the held days: each a day from the last
            values, lo, hi = on_held_days(values, held), on_held_days(lo, held), on_held_days(hi, held, down=True)
        else:
            held = None
        sign = 1.0 if step > 0 else -1.0  # in `sign * values` each parent's rows go up
        room = (lo, hi) if sign > 0 else (-hi, -lo)
        spread = sign * _spread(sign * values, groups, abs(step), *room)
        if rule.get("floors") and sign > 0:  # none in older models
            spread = _raised_to_floors(spread, groups, rule["floors"], hi)
        moved = np.flatnonzero(~np.isnan(values) & (spread != values))
        if len(moved):
            new = spread[moved] if held is None else from_held_days(spread[moved], held)
            cols[col] = _with_values(cols[col], moved, new, kind, abs(step))
            log.debug("%s.%s: %d tied values moved a step apart", table, col, len(moved))


def _order_room(cols: dict[str, pd.Series], o: Ordering | None, above, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the least and greatest value its order allows (its base and its bound or cap), +-inf
    where it has none."""
    lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
    if o is None:
        return lo, hi
    kind = Column.DATETIME if o.dated else Column.TIME if o.timed else Column.NUMERIC
    sides = [(o.base, o.from_parent, 1), (o.bound, o.bound_from_parent, -1), (o.cap, o.cap_from_parent, -1)]
    for col, up, side in sides:
        where = above if up else cols
        if col is None or where is None or col not in where:
            continue
        x = as_numbers(pd.Series(where[col]).reset_index(drop=True), kind)
        if side * o.sign > 0:
            lo = np.where(np.isnan(x), lo, np.fmax(lo, x))
        else:
            hi = np.where(np.isnan(x), hi, np.fmin(hi, x))
    return lo, hi


def _spread(values: np.ndarray, groups: np.ndarray, step: float, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """`values` (going up within each group in row order, NaN where missing) with each run of k equal ones
    set `step` apart, above the previous value (and every row's `lo`) and below the next (and `hi`): ending
    on the tie where that fits (a group's top value kept), else a step higher, and so on; a run no
    placement fits stays as it is."""
    out = values.copy()
    held = np.flatnonzero(~np.isnan(values))
    held = held[np.lexsort((held, groups[held]))]  # each group's held rows, in row order
    x, g = values[held], groups[held]
    tied = (g[1:] == g[:-1]) & (x[1:] == x[:-1])  # a row repeating the one before it
    if not tied.any():
        return out
    edges = np.diff(np.concatenate([[0], tied.astype(np.int8), [0]]))
    tol = step * 1e-6
    for i, j in zip(np.flatnonzero(edges > 0), np.flatnonzero(edges < 0), strict=True):  # runs held[i..j]
        run = held[i : j + 1]
        below = out[held[i - 1]] if i > 0 and g[i - 1] == g[i] else -np.inf  # as the run before left it
        after = x[j + 1] if j + 1 < len(x) and g[j + 1] == g[i] else np.inf
        for top in range(len(run)):  # the run's last value `top` steps above the tie, the fewest first
            placed = x[i] + step * (np.arange(len(run)) - (len(run) - 1) + top)
            fits = placed[0] > below + tol and placed[-1] < after - tol
            if fits and (placed >= lo[run] - tol).all() and (placed <= hi[run] + tol).all():
                out[run] = placed
                break
    return out


def _raised_to_floors(values: np.ndarray, groups: np.ndarray, floors: list[list], hi: np.ndarray) -> np.ndarray:
    """`values` (going up within each group in row order) with each raised, where its step from the
    previous held value falls short of that value's floor (`step_floors`), to the floor above it, the
    rows after it with it where their own steps fall short, never past its row's `hi`."""
    out = values.copy()
    held = np.flatnonzero(~np.isnan(values))
    held = held[np.lexsort((held, groups[held]))]  # each group's held rows, in row order
    g = groups[held]
    starts = np.r_[True, g[1:] != g[:-1]]
    place = np.arange(len(held)) - np.maximum.accumulate(np.where(starts, np.arange(len(held)), 0))
    for k in range(1, int(place.max(initial=0)) + 1):  # the k-th row of every group at once
        rows = np.flatnonzero(place == k)
        before, now = out[held[rows - 1]], out[held[rows]]
        least = before + _floor_at(before, floors)
        out[held[rows]] = np.where(now < least, np.fmax(now, np.fmin(least, hi[held[rows]])), now)
    return out


def _floor_at(values: np.ndarray, floors: list[list]) -> np.ndarray:
    """Per value, the greatest floor whose level it reaches (0 where none)."""
    out = np.zeros(len(values))
    for level, floor in floors:
        out = np.where(values >= (-np.inf if level is None else level), np.fmax(out, floor), out)
    return out


def _with_values(values: pd.Series, rows: np.ndarray, new: np.ndarray, kind, step: float) -> pd.Series:
    """`values` with `rows` set to `new` (nanoseconds for dates), numbers rounded to the step's decimals."""
    out = values.copy()
    if kind in DATED:
        out.iloc[rows] = pd.to_datetime(np.round(new).astype(np.int64))
        return out
    decimals = max(0, int(np.ceil(-np.log10(step) - 1e-9)))
    x = np.round(new, decimals)
    out.iloc[rows] = x.astype(np.int64) if pd.api.types.is_integer_dtype(out.dtype) else x
    return out

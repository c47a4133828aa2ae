"""Orders within rows: the date and number columns of a table that never come before (or after)
another of their row, or of their parent row (shipped >= ordered, an order placed after its
customer joined, low <= high, a minimum <= its maximum).

The tabular model keeps such orders by writing a column as its offset from the one it follows
(`synth/tabular/orderings.py`); the report measures how many synthetic rows keep each order the
training rows all keep (`eval/orders.py`).

An order is taken for a column `b` and a column `a` before it of the same family (dates with
dates, numbers with numbers), an earlier column of the same table (in the given column order) or
a column of the parent row, when wherever `b` is present `a` is too, `b >= a` (or `b <= a`) in
every row and at least `MIN_ROWS` rows hold both, and the order does not follow from the values
alone: for dates, their ranges overlap; for numbers, values of the two columns drawn apart would
break it at least `MIN_BREAK` of the time (bytes >= milliseconds holds only because the units
differ: it is left alone). Of several such `a`, the one with the smallest median gap. A date is compared with a timestamp's
day (`day_base`): a review dated on its order's delivery day is not before the delivery.

A column may also have a *bound* on its other side (a lab taken after admission and before
discharge, a close between the day's low and high): an earlier column `c` that `b` never passes
where both are present (`c` may be missing: a current stay has no discharge), that the gap from
`a` alone would break: a gap drawn apart from the room `c - a` exceeds it at least `MIN_BREAK` of
the time. Of several, the one with the least room.

Times of day (`Column.TIME`) are ordered among themselves, as seconds since midnight (a store's
closing on or after its opening, where the two ranges overlap); `timed` marks their orders.

A number in no order may instead stay *near* a number of its parent row (`near_parent`: a
customer's latitude within 0.2 degrees of its city's, in a column spanning 100): wherever `b` is
present `a` is too, at least `MIN_ROWS` rows hold both, and the gap `b - a`, of either sign,
spreads at most `NEAR_SHARE` of `b`'s own spread. Of several, the one with the narrowest gaps.
So may a date near an earlier date of its own row (a submission within days of its due date, on
either side, in a column spanning years).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from relsynth.relational.columns import Column
from relsynth.relational.numbers import to_numbers
from relsynth.relational.schema import Edge, Schema

MIN_ROWS = 20  # rows holding both values that an order needs before it is trusted
MIN_BREAK = 0.05  # numbers: how often independent draws must break an order for it to be kept
MAX_SHRINK = -0.25  # siblings in sequence: how fast their spacing may shrink with their number (log-log)
GAP_FACTOR = 4  # how many times more often values drawn apart than the rows cross a kept gap (`min_gap`)
_SAMPLE = 2_000  # values of each column that estimate how often independent draws break an order
DATED = (Column.DATE, Column.DATETIME)
DAY_NS = 86_400 * 1_000_000_000
ORDERED = (*DATED, Column.NUMERIC, Column.INTEGER)
LAST_RISE_CHANCE = 1e-3  # rises all on a parent's last row: how likely at most, were they dealt to any row
WALK_SHARE = 0.1  # a number that walks: its steps between siblings spread at most this share of its own
NEAR_SHARE = 0.05  # a number near its parent's: its gaps' spread at most this share of its own (`near_parent`)
# `gap_range`: rows x the share of drawn-apart pairs past the rows' extreme gap, at least; under independence
# that product is about exponential (mean 1): ln 1000, a side kept by chance once in a thousand
RANGE_EVIDENCE = 6.9


@dataclass(frozen=True)
class RowOrder:
    """Column `column` is on or after (`sign` 1) or on or before (-1) the column `base`."""

    column: str
    base: str
    sign: int
    from_parent: bool = False  # `base` is a column of the row's parent row
    dated: bool = True  # dates (compared in nanoseconds), else numbers
    bound: str | None = None  # a column `column` never passes on the other side (sign -sign), if any
    bound_from_parent: bool = False  # `bound` is a column of the row's parent row
    day_base: bool = False  # a date after a timestamp: compared with the base's day (a review on its delivery day)
    near: bool = False  # no order: `column` stays near `base`, on either side (`near_parent`)
    timed: bool = False  # times of day (`Column.TIME`), compared in seconds since midnight

    def describe(self, parent: str | None = None) -> str:
        base = f"{parent}.{self.base}" if self.from_parent else self.base
        if self.near:
            return f"{self.column} near {base}"
        text = f"{self.column} {'>=' if self.sign > 0 else '<='} {base}"
        if self.bound is None:
            return text
        bound = f"{parent}.{self.bound}" if self.bound_from_parent else self.bound
        return f"{text} and {'<=' if self.sign > 0 else '>='} {bound}"


def row_orders(
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None = None,
    parent_kinds: Mapping[str, Column] | None = None,
) -> dict[str, RowOrder]:
    """The ordered columns among `columns` (in generation order) of one table, each with the column
    it follows; `parent`: the parent row's date and number columns (`parent_kinds`), one row per
    row of `df`."""
    out: dict[str, RowOrder] = {}
    for b, values_b, dated, candidates in _candidates(df, columns, kinds, parent, parent_kinds):
        best: tuple[float, RowOrder, np.ndarray] | None = None
        for a, base, from_parent in candidates:
            found = order_between(base, values_b, dated)
            if found is not None and (best is None or found[0] < best[0]):
                on_day = day_base(kinds[b], (parent_kinds or {}).get(a) if from_parent else kinds[a])
                order = RowOrder(b, a, found[1], from_parent, dated, day_base=on_day, timed=kinds[b] is Column.TIME)
                best = (found[0], order, base)
        if best is not None:
            out[b] = _with_bound(best[1], best[2], values_b, candidates)
    return out


def near_parent(
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None = None,
    parent_kinds: Mapping[str, Column] | None = None,
    ordered: Collection[str] = (),
) -> dict[str, RowOrder]:
    """Per number column among `columns`, the parent row's number it stays near (`NEAR_SHARE`; a
    `RowOrder` with `near`), if any, and per date column, the earlier date of its row; arguments as
    `row_orders`; `ordered`: columns in an order already, bases only (a due date after its
    enrolment). Drawn apart, a customer's latitude fell anywhere in its column's bins, degrees from
    its city: 1,274 of 1,279 generated customers more than 0.25 degrees away, in another country or
    the ocean."""
    out: dict[str, RowOrder] = {}
    for b, values_b, dated, candidates in _candidates(df, columns, kinds, parent, parent_kinds):
        if b in ordered:
            continue
        # a parent's number (a city's latitude), or a date of the row (a due date)
        near = [(a, base, up) for a, base, up in candidates if (up and not dated) or (dated and not up)]
        shares = [(near_share(base, values_b), a, up) for a, base, up in near]
        shares = [(share, a, up) for share, a, up in shares if share is not None and share <= NEAR_SHARE]
        if shares:
            _, a, up = min(shares)
            out[b] = RowOrder(b, a, 1, up, dated, near=True, timed=kinds[b] is Column.TIME)
    return out


def near_share(a: np.ndarray, b: np.ndarray) -> float | None:
    """The spread (interquartile range, else standard deviation) of `b - a` over `b`'s own, where `a`
    is present wherever `b` is and `MIN_ROWS` rows hold both; None otherwise, or where `b` does not spread."""
    has_b = ~np.isnan(b)
    if (has_b & np.isnan(a)).any() or has_b.sum() < MIN_ROWS:
        return None
    own, gap = _spread(b[has_b]), _spread(b[has_b] - a[has_b])
    return None if own == 0 else gap / own


def _spread(x: np.ndarray) -> float:
    if not len(x):
        return 0.0  # no value held (a column missing in every row): no spread to compare with
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return float(q3 - q1) if q3 > q1 else float(np.std(x))


def _with_bound(
    order: RowOrder, base: np.ndarray, values: np.ndarray, candidates: list[tuple[str, np.ndarray, bool]]
) -> RowOrder:
    """`order` with the bound on its other side that its gap alone would break (the least room), if any."""
    best: tuple[float, str, bool] | None = None
    for c, bound, from_parent in candidates:
        if (c, from_parent) == (order.base, order.from_parent):
            continue
        found = order_between(bound, values, order.dated, base_may_miss=True)  # never passed where present
        if found is None or found[1] != -order.sign:
            continue
        held = ~np.isnan(values) & ~np.isnan(bound)  # a current stay has no discharge yet
        gap, room = order.sign * (values[held] - base[held]), order.sign * (bound[held] - base[held])
        if _break_rate(gap, room, 1) < MIN_BREAK:  # how often a room drawn apart falls short of a gap
            continue
        if best is None or np.median(room) < best[0]:
            best = (float(np.median(room)), c, from_parent)
    if best is None:
        return order
    return replace(order, bound=best[1], bound_from_parent=best[2])


def row_bounds(
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None = None,
    parent_kinds: Mapping[str, Column] | None = None,
) -> list[RowOrder]:
    """What the report measures: each column's nearest lower bound and nearest upper bound among the
    orders all rows holding both values keep (arguments as `row_orders`). Unlike `row_orders`, a
    column may have both (a lab taken after admission and before discharge), and the bound may be
    missing where the column is not (the discharge of a current stay): the model keeps one order a
    column, and the report must not be blind to the other."""
    out: list[RowOrder] = []
    for b, values_b, dated, candidates in _candidates(df, columns, kinds, parent, parent_kinds):
        best: dict[int, tuple[float, RowOrder]] = {}
        for a, base, from_parent in candidates:
            found = order_between(base, values_b, dated, base_may_miss=True)
            if found is not None and (found[1] not in best or found[0] < best[found[1]][0]):
                on_day = day_base(kinds[b], (parent_kinds or {}).get(a) if from_parent else kinds[a])
                order = RowOrder(b, a, found[1], from_parent, dated, day_base=on_day, timed=kinds[b] is Column.TIME)
                best[found[1]] = (found[0], order)
        out += [best[sign][1] for sign in (1, -1) if sign in best]
    return out


def fallback_base(
    df: pd.DataFrame,
    order: RowOrder,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None = None,
    parent_kinds: Mapping[str, Column] | None = None,
) -> tuple[str, bool] | None:
    """(column, from_parent) of another base `order.column` keeps the same order with, held in every
    row (the least median gap), or None: what decoding counts the offset from where a generated row
    lacks its base (a delivery the model put under an order not shipped, whose date follows the
    shipping date in every training row: counted from the order date, not left null). Arguments as
    `row_orders`; a timestamp is no fallback for a date (that compares with its day), nor a column
    the order follows from by the ranges alone (a birth decades before: a stay's few days counted
    from it would fall decades early)."""
    for b, values, _, candidates in _candidates(df, columns, kinds, parent, parent_kinds):
        if b != order.column:
            continue
        held, best = ~np.isnan(values), None
        for a, base, from_parent in candidates:
            kind = (parent_kinds or {}).get(a) if from_parent else kinds[a]
            if (a, from_parent) == (order.base, order.from_parent) or day_base(kinds[b], kind) or np.isnan(base).any():
                continue
            gap = order.sign * (values[held] - base[held])
            if not len(gap) or (gap < 0).any() or mostly_apart(base, values, order.sign):  # far: a birth
                continue
            if best is None or np.median(gap) < best[0]:
                best = (float(np.median(gap)), a, from_parent)
        return None if best is None else (best[1], best[2])
    return None


def held_base(
    df: pd.DataFrame,
    order: RowOrder,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None = None,
    parent_kinds: Mapping[str, Column] | None = None,
) -> RowOrder | None:
    """`order` (a date's, its base held wherever it is) moved onto a tighter base of the same side
    that is missing in some rows holding the date, or None: a review created after its order's
    delivery wherever the order was delivered (`row_orders` takes no such base: no offset counts from
    a missing date, so the review stayed after the purchase only, and 40 % of a model's reviews came
    before their order's delivery). Where both are held, the date keeps its side of that base in every
    one of `MIN_ROWS` rows at least (`order_between`), values drawn apart would break it `MIN_BREAK` of
    the time at least (not `mostly_apart`), so often that all rows keep it by chance under once in a
    thousand (`RANGE_EVIDENCE`), and it lies nearer that base than `order.base` (median gap). Of
    several, the nearest. Arguments as `row_orders`."""
    if not order.dated or order.timed or order.bound is not None:
        return None
    for b, values, _, candidates in _candidates(df, columns, kinds, parent, parent_kinds):
        if b != order.column:
            continue
        base = next((v for a, v, up in candidates if (a, up) == (order.base, order.from_parent)), None)
        if base is None:
            return None
        best: tuple[float, RowOrder] | None = None
        for a, held, from_parent in candidates:
            both = ~np.isnan(held) & ~np.isnan(values)
            if not (~np.isnan(values) & np.isnan(held)).any():
                continue  # held wherever the date is: `row_orders` weighed it already
            found = order_between(held, values, True, base_may_miss=True)
            if found is None or found[1] != order.sign:
                continue
            if not _beyond_chance(held[both] - base[both], values[both] - base[both], order.sign):
                continue  # kept by chance, for gaps from the base held everywhere (a day after it, and a month)
            nearer, everywhere = order.sign * (values[both] - held[both]), order.sign * (values[both] - base[both])
            if np.median(nearer) >= np.median(everywhere):
                continue  # no nearer than the base held everywhere
            if best is None or found[0] < best[0]:
                kind = (parent_kinds or {}).get(a) if from_parent else kinds[a]
                best = (found[0], replace(order, base=a, from_parent=from_parent, day_base=day_base(kinds[b], kind)))
        return None if best is None else best[1]
    return None


def _beyond_chance(base: np.ndarray, values: np.ndarray, sign: int) -> bool:
    """Whether `values` keeping their side of `base` in every row is beyond chance: pairs drawn apart
    break it `MIN_BREAK` of the time at least (else the ranges alone keep it: `mostly_apart`), and
    as many rows all keeping it, had each broken it that often, would happen under once in a
    thousand (`RANGE_EVIDENCE`: 20 rows where 30 % of pairs break it, 140 where 5 % do). Given as
    gaps from a base both follow, the ranges of those gaps decide (dates a day and a month after one
    start: 3 % of pairs break it, 100 rows keep it by chance once in 25)."""
    p = _break_rate(base, values, sign)
    return p >= MIN_BREAK and -len(values) * np.log1p(-min(p, 1 - 1e-12)) >= RANGE_EVIDENCE


def _candidates(
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None,
    parent_kinds: Mapping[str, Column] | None,
) -> list[tuple[str, np.ndarray, bool, list[tuple[str, np.ndarray, bool]]]]:
    """Per date, time or number column b: (b, its values, dated, [(base, its values, from_parent)]),
    the bases being b's earlier columns and its parent row's, of b's family (dates, times of day or
    numbers). A timestamp base of a date b is its day (`day_values`): a date on a timestamp's day is
    not before it."""
    own = [c for c in columns if kinds[c] in ORDERED or kinds[c] is Column.TIME]
    values = {c: as_numbers(df[c], kinds[c]) for c in own}
    above = {c: (as_numbers(parent[c], parent_kinds[c]), parent_kinds[c]) for c in (parent_kinds or {})}
    out = []
    for j, b in enumerate(own):
        dated = kinds[b] in DATED

        def seen(v: np.ndarray, kind: Column, b=b) -> np.ndarray:
            return day_values(v) if day_base(kinds[b], kind) else v

        bases = [(a, seen(values[a], kinds[a]), False) for a in own[:j] if _family(kinds[a]) == _family(kinds[b])]
        bases += [(a, seen(v, kind), True) for a, (v, kind) in above.items() if _family(kind) == _family(kinds[b])]
        out.append((b, values[b], dated, bases))
    return out


def _family(kind: Column) -> int:
    """The columns an order compares: dates with dates, times of day with times, numbers with numbers."""
    return 0 if kind in DATED else 1 if kind is Column.TIME else 2


def day_base(column: Column, base: Column) -> bool:
    """Whether a `column` kept after a `base` is compared with the base's day: a date after a timestamp."""
    return column is Column.DATE and base is Column.DATETIME


def day_values(ns: np.ndarray) -> np.ndarray:
    """Nanosecond timestamps (NaN: missing) floored to their day."""
    return np.floor(ns / DAY_NS) * DAY_NS


def order_between(
    a: np.ndarray, b: np.ndarray, dated: bool, base_may_miss: bool = False, pool: np.ndarray | None = None
) -> tuple[float, int] | None:
    """(median gap, sign) when `b` follows `a` (sign 1) or precedes it (-1) in every row, else None.
    `base_may_miss`: rows with `b` and without `a` are let be (for measuring, not for offsets).
    `pool`: the values an `a` is drawn from, for whether the order follows from the values alone
    (default: `a`'s own)."""
    has_a, has_b = ~np.isnan(a), ~np.isnan(b)
    both = has_a & has_b
    if (not base_may_miss and (has_b & ~has_a).any()) or both.sum() < MIN_ROWS:  # b without a: no offset
        return None
    gap = b[both] - a[both]
    sign = 1 if (gap >= 0).all() else -1 if (gap <= 0).all() else 0
    if sign == 0:
        return None
    drawn = a[has_a] if pool is None else pool[~np.isnan(pool)]
    if not len(drawn):
        return None
    if dated:
        implied = b[has_b].min() >= drawn.max() if sign > 0 else b[has_b].max() <= drawn.min()
    else:
        implied = _break_rate(drawn, b[has_b], sign) < MIN_BREAK
    return None if implied else (float(np.median(np.abs(gap))), sign)


def apart_orders(
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None = None,
    parent_kinds: Mapping[str, Column] | None = None,
    min_count: int = 5,
) -> dict[str, tuple[RowOrder, float]]:
    """Per date column, an earlier date of its row or of its parent row that it follows (precedes)
    in every row holding both, where the ranges alone imply the order (every hire after every
    birth: `order_between` leaves it) but not the gap the rows keep: (the order, that gap, `min_gap`;
    0 where only the range of gaps is kept, `gap_range`: 300 hires 19 to 60 years after the birth).
    Of several, the one whose gap values drawn apart would cross most often. Arguments as `row_orders`."""
    out: dict[str, tuple[RowOrder, float]] = {}
    for b, values_b, dated, candidates in _candidates(df, columns, kinds, parent, parent_kinds):
        best: tuple[float, RowOrder, float] | None = None
        for a, base, from_parent in candidates:
            if not dated or order_between(base, values_b, dated, base_may_miss=True) is not None:
                continue
            held = ~np.isnan(base) & ~np.isnan(values_b)
            if held.sum() < MIN_ROWS:
                continue
            gap = values_b[held] - base[held]
            sign = 1 if (gap >= 0).all() else -1 if (gap <= 0).all() else 0
            kept = min_gap(base, values_b, sign, min_count) if sign else 0.0
            if kept <= 0 and (not sign or gap_range(base, values_b, sign) == (None, None)):
                continue  # neither a least gap nor a range of gaps (an age at hire) the rows keep
            crossed = _break_rate(base[~np.isnan(base)] + sign * kept, values_b[~np.isnan(values_b)], sign)
            if best is None or crossed > best[0]:
                on_day = day_base(kinds[b], (parent_kinds or {}).get(a) if from_parent else kinds[a])
                best = (crossed, RowOrder(b, a, sign, from_parent, dated, day_base=on_day), kept)
        if best is not None:
            out[b] = (best[1], best[2])
    return out


def min_gap(base: np.ndarray, values: np.ndarray, sign: int, min_count: int = 5) -> float:
    """The gap `sign * (values - base)` that all rows holding both but `min_count - 1` keep (the
    `min_count`-th smallest: no single row's, as with rare values), where values drawn apart from
    their bases would fall short of it at least `MIN_BREAK` of the time and `GAP_FACTOR` times as
    often as the rows do (a hire 19 years after the birth at least: 14 % of births and hires drawn
    apart, 1 % of 500 rows; a birth and a signup drawn apart in the data cross their 5th smallest
    gap about as often as the rows); else 0 (also with fewer rows)."""
    held = ~np.isnan(base) & ~np.isnan(values)
    gap = np.sort(sign * (values[held] - base[held]))
    k = max(min_count, 1)
    if len(gap) < max(k, MIN_ROWS) or gap[k - 1] <= 0:
        return 0.0
    kept = float(gap[k - 1])
    crossed = _break_rate(base[~np.isnan(base)] + sign * kept, values[~np.isnan(values)], sign)
    return kept if crossed >= max(MIN_BREAK, GAP_FACTOR * k / len(gap)) else 0.0


def gap_range(base: np.ndarray, values: np.ndarray, sign: int) -> tuple[float | None, float | None]:
    """(least, most) gap `sign * (values - base)` of dates (nanoseconds) the rows holding both keep,
    rounded outwards as in `lag_window` (`outward_gaps`: no single row's gap is stored), each None
    where the ranges alone explain it: values drawn apart from their bases fall past that side so
    rarely that `rows x that share` stays under `RANGE_EVIDENCE` (the rows' extreme of independent
    pairs gives about 1 on average, over 6.9 once in a thousand; so 139 rows at least where 5 % of
    pairs fall past it, 35 where 20 % do). 300 hires 19 to 60 years after the birth: 5.4 % of births
    and hires drawn apart fall short of 19 years, 6.0 % past 60 (16 and 18): both kept, as 6,000 and
    22,000 days. None, None with fewer than `MIN_ROWS` rows."""
    gaps = outward_gaps(base, values, sign)
    if gaps is None:
        return None, None
    short = _break_rate(gaps.bases + sign * gaps.low, gaps.drawn, sign)  # sign * (value - base) < low
    past = _break_rate(gaps.bases + sign * gaps.high, gaps.drawn, -sign)  # sign * (value - base) > high
    return (
        gaps.low if gaps.rows * short >= RANGE_EVIDENCE else None,
        gaps.high if gaps.rows * past >= RANGE_EVIDENCE else None,
    )


def held_gap(end: np.ndarray, values: np.ndarray, min_count: int = 5) -> float:
    """The gap `end - values` (dates, in nanoseconds) every row holding both keeps, where values
    drawn apart would cross it (`min_gap` counted back from `end`): a viewing 3 days before its
    listing's sale at least. Where some rows come closer than the `min_count`-th shortest gap, the
    shortest rounded down to one significant digit of days (`_coarse_days`: no single row's value),
    where it lies far from 0 for the spacing of the shortest gaps (the shortest of rows running up
    to the end is about one spacing from it: `RANGE_EVIDENCE` of them, once in a thousand), 0 under
    a day: an absence starting 23 days before its employee's termination at least, 4 of 896 rows
    under 31 days, keeps 20 days (kept none, a model's absences of up to 20 days began 1 to 7 days
    before the termination, ending past it); viewings up to the sale day, a few on it, keep none."""
    kept = min_gap(end, values, -1, min_count)
    with np.errstate(invalid="ignore"):
        gaps = end - values
    gaps = np.sort(gaps[~np.isnan(gaps)])
    if kept <= 0 or gaps[0] >= kept:
        return kept
    # the shortest far from 0 for the spacing of the shortest few: rows running up to the end (claims
    # up to a cancellation day: 2, 2, 3, 4, 4 days before it, the shortest by chance) keep no gap
    spacing = (kept - gaps[0]) / (max(min_count, 2) - 1)
    return _coarse_days(float(gaps[0])) if gaps[0] > RANGE_EVIDENCE * spacing else 0.0


def _coarse_days(ns: float) -> float:
    """`ns` rounded down to one significant digit of whole days (23 days: 20), 0 under a day."""
    days = np.floor(ns / DAY_NS)
    if days < 1:
        return 0.0
    step = 10.0 ** np.floor(np.log10(days))
    return float(np.floor(days / step) * step * DAY_NS)


def lag_window(base: np.ndarray, values: np.ndarray, sign: int) -> tuple[float | None, float | None]:
    """(least, most) gap `sign * (values - base)` of dates (nanoseconds) the rows holding both keep,
    each rounded outwards to a power of ten days (seconds) at most a tenth of the window's width
    (`_window_step`: mothers 5,845 to 16,433 days older than their child keep 5,000 to 17,000), so
    no single row's gap is stored, only the step it lies in. Each None where it says nothing the
    order alone does not: values drawn apart from their bases that keep the order fall past that
    side under `MIN_BREAK` of the time, or `rows x that share` stays under `RANGE_EVIDENCE` (as in
    `gap_range`). A ship date 1 to 30 days after its order, orders over years: (None, 30 days),
    since pairs drawn apart almost never fall within a day. None, None under `MIN_ROWS` rows."""
    gaps = outward_gaps(base, values, sign)
    if gaps is None:
        return None, None
    kept = 1.0 - _break_rate(gaps.bases, gaps.drawn, sign)  # pairs drawn apart keeping the order
    short = _break_rate(gaps.bases + sign * gaps.low, gaps.drawn, sign) - (1.0 - kept)  # 0 <= gap < low
    past = _break_rate(gaps.bases + sign * gaps.high, gaps.drawn, -sign)  # gap > high

    def meant(share: float) -> bool:
        return share >= MIN_BREAK * kept and gaps.rows * share >= RANGE_EVIDENCE

    return (gaps.low if gaps.low > 0 and meant(short) else None, gaps.high if meant(past) else None)


@dataclass(frozen=True)
class OutwardGaps:
    """The window of gaps `sign * (values - base)` the rows holding both keep, rounded outwards."""

    rows: int  # rows holding both
    low: float  # their least gap rounded down to `_window_step` of the window's width
    high: float  # their most gap rounded up
    bases: np.ndarray  # every base held, and every value held: drawn apart, they say how often
    drawn: np.ndarray  # pairs fall past a side by chance (`_break_rate`)


def outward_gaps(base: np.ndarray, values: np.ndarray, sign: int) -> OutwardGaps | None:
    """The gaps' window (dates, nanoseconds) with each side rounded outwards, so no single row's gap
    is stored, only the step it lies in (a least of 5,845 days: 5,000); None under `MIN_ROWS` rows."""
    held = ~np.isnan(base) & ~np.isnan(values)
    gap = sign * (values[held] - base[held])
    if len(gap) < MIN_ROWS:
        return None
    least, most = float(gap.min()), float(gap.max())
    step = _window_step(most - least)
    return OutwardGaps(
        rows=len(gap),
        low=float(np.floor(least / step) * step),
        high=float(np.ceil(most / step) * step),
        bases=base[~np.isnan(base)],
        drawn=values[~np.isnan(values)],
    )


def _window_step(width: float) -> float:
    """A power of ten days at most a tenth of `width` (nanoseconds), or of seconds under ten days;
    a day (a second) at least."""
    unit = DAY_NS if width >= 10 * DAY_NS else 1_000_000_000
    return unit * 10.0 ** np.floor(np.log10(max(width / unit / 10, 1.0)))


def mostly_apart(base: np.ndarray, values: np.ndarray, sign: int) -> bool:
    """Whether values drawn apart from their bases would keep the order all but `MIN_BREAK` of the
    time (an admission after the patient's birth, decades before): it follows mostly from the ranges."""
    held = ~np.isnan(base) & ~np.isnan(values)
    return bool(held.any()) and _break_rate(base[held], values[held], sign) < MIN_BREAK


def _break_rate(a: np.ndarray, b: np.ndarray, sign: int) -> float:
    """How often `b` drawn apart from `a` breaks `sign * (b - a) >= 0` (evenly spaced samples)."""
    a = np.sort(a[:: max(1, len(a) // _SAMPLE)])
    b = b[:: max(1, len(b) // _SAMPLE)]
    if sign > 0:  # b < a
        return float((len(a) - np.searchsorted(a, b, side="right")).mean() / len(a))
    return float(np.searchsorted(a, b, side="left").mean() / len(a))  # b > a


def datetimes(values: pd.Series, **options) -> pd.Series:
    """`pd.to_datetime(values, **options)`, taken as they are where they are datetimes already:
    parsing them again maps every row through a cache of their distinct dates (TPC-H sf 0.1's 600k
    line items' dates, read by a dozen rules). A new Series over the same values, as it gives."""
    if isinstance(values, pd.Series) and pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.copy(deep=False)
    return pd.to_datetime(values, **options)


def as_numbers(values: pd.Series, kind: Column) -> np.ndarray:
    """float64, NaN where missing: dates as nanoseconds since the epoch (exact enough to compare),
    times of day (`datetime.time`) as seconds since midnight."""
    if kind is Column.TIME:
        return values.map(_seconds, na_action="ignore").to_numpy(dtype=np.float64, na_value=np.nan)
    if kind not in DATED:
        return to_numbers(values).to_numpy(dtype=np.float64, na_value=np.nan)
    # already datetimes: parsing them again maps each row through a cache of its distinct dates
    ts = values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(values)
    out = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    out[ts.isna().to_numpy()] = np.nan
    return out


def _seconds(t: object) -> float:
    if not isinstance(t, dt.time):
        return np.nan
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


def parent_rows(
    tables: Mapping[str, pd.DataFrame], schema: Schema, table: str, columns: Sequence[str]
) -> pd.DataFrame | None:
    """The `columns` of each row's parent row, one row per row of `table` (None without a parent
    or columns)."""
    edge = schema.parent(table)
    if edge is None or not columns:
        return None
    parent = tables[edge.parent].set_index(schema.tables[edge.parent].primary_key)[list(columns)]
    return parent.reindex(tables[table][edge.fk].to_numpy()).reset_index(drop=True)


def with_ancestors(
    tables: Mapping[str, pd.DataFrame], schema: Schema, table: str, columns: Sequence[str]
) -> pd.DataFrame:
    """`columns` per row of `table`: its own, and `<ancestor>.<column>` (as `ancestor_ordered`
    names them) of the row it nests under that many levels up: a line's order's date, where an
    event's first date follows it (the line between holds none)."""
    own = [c for c in columns if c in tables[table].columns]
    out = tables[table][own].reset_index(drop=True)
    for name in (c for c in columns if c not in own):
        ancestor, column = ancestor_column(schema, name)
        keys = ancestor_keys(schema, tables, table, ancestor).to_numpy()
        above = tables[ancestor].drop_duplicates(schema.tables[ancestor].primary_key)
        out[name] = above.set_index(schema.tables[ancestor].primary_key)[column].reindex(keys).to_numpy()
    return out[list(columns)]


def ancestor_column(schema: Schema, name: str) -> tuple[str, str]:
    """(ancestor, column) of a name `ancestor_ordered` gave (`<ancestor>.<column>`), the longest
    table name first: a table's name may hold dots too (hr.employees, from several schemas)."""
    for table in sorted(schema.tables, key=len, reverse=True):
        column = name.removeprefix(f"{table}.")
        if column != name and column in schema.tables[table].columns:
            return table, column
    raise KeyError(f"{name!r} names no column of a table of the schema")


def ancestor_keys(schema, tables, table: str, ancestor: str) -> pd.Series:
    """Each row of `tables[table]`'s key of the `ancestor` row it nests under (its own key when
    `table` is `ancestor`), by position; `tables`: a RelationalData or a dict of frames."""
    if table == ancestor:
        return tables[table][schema.tables[table].primary_key].reset_index(drop=True)
    edge = schema.parent(table)
    keys, t = tables[table][edge.fk], edge.parent
    while t != ancestor:  # one level up: the key of the row above the row named
        edge = schema.parent(t)
        keys, t = keys.map(tables[t].set_index(schema.tables[t].primary_key)[edge.fk]), edge.parent
    return keys.reset_index(drop=True)


def parent_ordered(
    tables: Mapping[str, pd.DataFrame], schema: Schema, table: str, columns: Sequence[str] | None = None
) -> tuple[pd.DataFrame | None, dict[str, Column]]:
    """The date and number columns of `table`'s parent row (those among `columns`, when given), one
    row per row of `table`, and their kinds."""
    edge = schema.parent(table)
    if edge is None:
        return None, {}
    kinds = {c: k.kind for c, k in schema.tables[edge.parent].columns.items() if k.kind in ORDERED}
    if columns is not None:
        kinds = {c: k for c, k in kinds.items() if c in columns}
    return parent_rows(tables, schema, table, list(kinds)), kinds


def ancestor_ordered(
    tables: Mapping[str, pd.DataFrame], schema: Schema, table: str
) -> tuple[pd.DataFrame | None, dict[str, Column]]:
    """The date columns of `table`'s ancestor rows above its parent (its grandparent's and up), one
    row per row of `table`, named `<ancestor>.<column>`, and their kinds; None where it has none."""
    frames, kinds = [], {}
    edge = schema.parent(table)
    keys = None if edge is None else tables[table][edge.fk].to_numpy()
    while edge is not None and (up := schema.parent(edge.parent)) is not None:
        # each row's key of the next table up, through the rows of the one between
        between = tables[edge.parent].drop_duplicates(schema.tables[edge.parent].primary_key)
        keys = between.set_index(schema.tables[edge.parent].primary_key)[up.fk].reindex(keys).to_numpy()
        dated = {c: k.kind for c, k in schema.tables[up.parent].columns.items() if k.kind in DATED}
        if dated:
            pk = schema.tables[up.parent].primary_key
            rows = tables[up.parent].drop_duplicates(pk).set_index(pk)[list(dated)].reindex(keys)
            frames.append(rows.reset_index(drop=True).add_prefix(f"{up.parent}."))
            kinds |= {f"{up.parent}.{c}": k for c, k in dated.items()}
        edge = up
    return (pd.concat(frames, axis=1) if frames else None), kinds


def kept_share(df: pd.DataFrame, order: RowOrder, parent: pd.DataFrame | None) -> tuple[float | None, int]:
    """(share of the rows holding both values that keep `order`, those rows); None without such rows."""
    kind = Column.DATETIME if order.dated else Column.NUMERIC
    base = as_numbers(parent[order.base] if order.from_parent else df[order.base], kind)
    gap = order.sign * (as_numbers(df[order.column], kind) - (day_values(base) if order.day_base else base))
    held = ~np.isnan(gap)
    n = int(held.sum())
    return (float((gap[held] >= 0).mean()) if n else None), n


def sibling_key(df: pd.DataFrame, fk: str, columns: Sequence[str], kinds: Mapping[str, Column]) -> str | None:
    """The date column by which each parent's rows (those sharing `fk`) follow one another in time
    (an account's transactions, a patient's visits), among `columns`: a date whose siblings form a
    sequence (`_in_sequence`: each after the previous one, not draws within a window). Where the
    stored rows already follow a date or number of theirs under every parent (`_in_order`), their
    order means something: such a date, else None (a line number 1, 2, 3 they follow: the stored
    order is kept). Otherwise the date the rows follow most often from one sibling to the next
    (the first of equals). Where the rows hold no date at all, a number they follow in stored order
    under every parent, in sequence, is their time (a reading's epoch seconds, every 300). None
    without one, or with fewer than `MIN_ROWS` pairs of consecutive siblings (a few parents of long
    series are many: 19 devices of 300 readings)."""
    if not any(kinds[c] in ORDERED for c in columns) or int((df[fk].value_counts() - 1).sum()) < MIN_ROWS:
        return None
    codes = pd.factorize(df[fk])[0]
    order = np.argsort(codes, kind="stable")  # siblings together, in stored order
    same = codes[order][1:] == codes[order][:-1]
    values = {c: as_numbers(df[c], kinds[c]) for c in columns if kinds[c] in ORDERED}
    steps = {c: _sibling_steps(v[order], same) for c, v in values.items()}
    dated = [c for c in values if kinds[c] in DATED and _in_sequence(values[c], codes)]
    followed = [c for c, step in steps.items() if _in_order(step)]
    if not any(kinds[c] in DATED for c in columns):  # no date: a number the stored order follows, in sequence
        return next((c for c in followed if _in_sequence(values[c], codes)), None)
    if followed:
        return next((c for c in followed if c in dated), None)
    if not dated:
        return None
    # on the pairs holding every date: a date missing in some rows (a current stay's discharge) is
    # not ahead by the pairs it lacks, where the stored order is no order (shares near a half)
    full = same & np.all([~np.isnan(values[c][order][1:]) & ~np.isnan(values[c][order][:-1]) for c in dated], axis=0)
    if full.any():
        steps = {c: np.diff(values[c][order])[full] for c in dated}
    shares = [float((steps[c] >= 0).mean()) if len(steps[c]) else 0.0 for c in dated]
    return dated[int(np.argmax(shares))]


def previous_end(
    df: pd.DataFrame, fk: str, key: str, columns: Sequence[str], kinds: Mapping[str, Column]
) -> str | None:
    """The date column after whose value in the previous sibling each of a parent's rows starts, the
    siblings in order of their `key` date (a stay admitted after the previous stay's discharge, a
    job started after the previous one ended): a column on or after `key` in every row holding
    both and after it in some, with each row's `key` on or after the previous sibling's value in
    every one of at least `MIN_ROWS` consecutive pairs holding both. Of several, the tightest
    (smallest median gap). None without one."""
    start = as_numbers(df[key], kinds[key])
    order, same = _in_key_order(df[fk], start)
    best, best_gap = None, np.inf
    for c in columns:
        if c == key or kinds[c] not in DATED:
            continue
        end = as_numbers(df[c], kinds[c])
        held = ~np.isnan(start) & ~np.isnan(end)
        in_row = end[held] - start[held]
        if held.sum() < MIN_ROWS or (in_row < 0).any() or not (in_row > 0).any():
            continue
        step = _sibling_steps_from(end[order], start[order], same)
        if len(step) >= MIN_ROWS and (step >= 0).all() and np.median(step) < best_gap:
            best, best_gap = c, float(np.median(step))
    return best


def running_numbers(
    df: pd.DataFrame, fk: str, key: str, columns: Sequence[str], kinds: Mapping[str, Column]
) -> list[str]:
    """The number columns among `columns` that never go down from one of a parent's rows to the
    next, the rows in order of their `key` date (a meter's cumulative energy, an odometer, a count
    of events so far): in every one of at least `MIN_ROWS` consecutive pairs holding both, up in
    some (not a constant), and not only on a parent's last row (`_rises_end_series`)."""
    start = as_numbers(df[key], kinds[key])
    out = []
    for c in columns:
        if c == key or kinds[c] not in (Column.NUMERIC, Column.INTEGER):
            continue
        values = as_numbers(df[c], kinds[c])
        order, same = _in_key_order(df[fk], start, values)  # rows of one instant: any order that rises
        step = _sibling_steps(values[order], same)
        if (
            len(step) >= MIN_ROWS
            and (step >= 0).all()
            and (step > 0).any()
            and not _rises_end_series(values[order], same)
        ):
            out.append(c)
    return out


def _rises_end_series(values: np.ndarray, same: np.ndarray) -> bool:
    """Whether every rise from one sibling to the next lands on the parent's last row, far beyond
    chance (`LAST_RISE_CHANCE`, were the rises dealt to any pair): a stay's died flag, 1 on the
    patient's last stay only, is a label of the last row, not a count so far; read as one, the
    model's first 1 was carried to every later stay (8 deaths in a row of one generated patient)."""
    pairs = same & ~np.isnan(values[1:]) & ~np.isnan(values[:-1])
    rises = pairs & (values[1:] > values[:-1])
    last = pairs & ~np.append(same[1:], False)  # the pair's second row has no sibling after it
    if rises.sum() == 0 or (rises & ~last).any():
        return False
    return float(last.sum() / pairs.sum()) ** int(rises.sum()) < LAST_RISE_CHANCE


def walking_numbers(
    df: pd.DataFrame, fk: str, key: str, columns: Sequence[str], kinds: Mapping[str, Column]
) -> list[str]:
    """The number columns among `columns` that change little from one of a parent's rows to the
    next in order of their `key` date (a sensor's temperature, a battery's charge): the steps of at
    least `MIN_ROWS` consecutive pairs holding both spread `WALK_SHARE` of the column's own spread at
    most. Drawn row by row, a device's readings jumped across the column (lag-1 steps 20 times the
    source's)."""
    start = as_numbers(df[key], kinds[key])
    out = []
    for c in columns:
        if c == key or kinds[c] not in (Column.NUMERIC, Column.INTEGER):
            continue
        values = as_numbers(df[c], kinds[c])
        order, same = _in_key_order(df[fk], start)
        step, own = _sibling_steps(values[order], same), _spread(values[~np.isnan(values)])
        moves = len(step) >= MIN_ROWS and bool((step != 0).any())  # not a copy of the parent's
        if moves and own > 0 and _spread(step) <= WALK_SHARE * own:
            out.append(c)
    return out


def running_share(
    df: pd.DataFrame, fk: str, key: str, column: str, kinds: Mapping[str, Column]
) -> tuple[float | None, int]:
    """(share of consecutive siblings, in `key` order, whose `column` is on or above the previous
    sibling's (`running_numbers`), those pairs); None without such pairs."""
    values = as_numbers(df[column], kinds[column])
    order, same = _in_key_order(df[fk], as_numbers(df[key], kinds[key]), values)
    step = _sibling_steps(values[order], same)
    return (float((step >= 0).mean()) if len(step) else None), len(step)


def _in_key_order(
    parents: pd.Series, start: np.ndarray, ties: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(row positions with each parent's rows together, in order of `start`, then of `ties` where
    given; whether each row but the first in that order follows a row of the same parent). A row
    without a parent has no siblings."""
    codes = pd.factorize(parents)[0]
    order = np.lexsort((start, codes)) if ties is None else np.lexsort((ties, start, codes))
    return order, (codes[order][1:] == codes[order][:-1]) & (codes[order][1:] >= 0)


def after_previous_share(
    df: pd.DataFrame, fk: str, key: str, end: str, kinds: Mapping[str, Column]
) -> tuple[float | None, int]:
    """(share of consecutive siblings, in `key` order, whose `key` is on or after the previous
    sibling's `end` (`previous_end`), those pairs: every sibling with a `key` after another);
    None without such pairs. A previous sibling without an end (a subscription still open) has
    not ended: the pair breaks the order, as an open interval overlaps whatever follows it."""
    start = as_numbers(df[key], kinds[key])
    order, same = _in_key_order(df[fk], start)
    pairs = same & ~np.isnan(start[order][1:]) & ~np.isnan(start[order][:-1])
    step = start[order][1:][pairs] - as_numbers(df[end], kinds[end])[order][:-1][pairs]  # NaN: still open
    return (float((step >= 0).mean()) if len(step) else None), len(step)


def reference_orders(
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    referenced: pd.DataFrame,
    referenced_kinds: Mapping[str, Column],
    pool: pd.DataFrame | None = None,
) -> list[RowOrder]:
    """The orders between the dates and numbers `columns` of a table's rows and those of the rows a
    reference names (`referenced`: one row per row of `df`, NaN where none; `referenced_ordered`): per
    column and side, the tightest column of the named row it never passes, in every one of at least
    `MIN_ROWS` rows holding both, the order not following from the values alone (`order_between`):
    a payment after its rental, a salary within its job's lowest and highest. Each as a
    `from_parent` order of the named row. A sample of the rows rules most pairs out first. `pool`:
    the rows a named row is drawn from (the referenced table), whose values decide whether an order
    follows from the values alone (`order_between`; default: the named rows')."""
    sample = np.arange(0, len(df), max(1, len(df) // _SAMPLE))
    out = []
    for c in columns:
        if kinds[c] not in ORDERED:
            continue
        dated, mine = kinds[c] in DATED, as_numbers(df[c], kinds[c])
        best: dict[int, tuple[float, str]] = {}
        for p, kind in referenced_kinds.items():
            if (kind in DATED) != dated:
                continue
            theirs = as_numbers(referenced[p], kind)
            drawn = None if pool is None else as_numbers(pool[p], kind)
            if order_between(theirs[sample], mine[sample], dated, base_may_miss=True, pool=drawn) is None:
                continue
            found = order_between(theirs, mine, dated, base_may_miss=True, pool=drawn)
            if found is not None and (found[1] not in best or found[0] < best[found[1]][0]):
                best[found[1]] = (found[0], p)
        out += [RowOrder(c, best[sign][1], sign, from_parent=True, dated=dated) for sign in (1, -1) if sign in best]
    return out


def referenced_ordered(
    tables: Mapping[str, pd.DataFrame],
    schema: Schema,
    e: Edge,
    columns: Sequence[str] | None = None,
    above: bool = False,
) -> tuple[pd.DataFrame, dict[str, Column]]:
    """The date and number columns (those among `columns`, when given) of the row each row of
    `e.child` names by the reference `e`, one row per row of `e.child` (missing where it names none,
    or a row not in `tables`), and their kinds (as `parent_ordered` for a nesting key). `above`:
    with the dates of the rows the named row nests under, `<ancestor>.<column>` (`nested_dates`;
    those among `columns`, when given): a participant's consent after its site's trial started,
    the site holding no date."""
    kinds = {c: k.kind for c, k in schema.tables[e.parent].columns.items() if k.kind in ORDERED}
    if columns is not None:
        kinds = {c: k for c, k in kinds.items() if c in columns}
    pk, frame = schema.tables[e.parent].primary_key, tables[e.parent]
    dates = {c: k for c, k in nested_dates(schema, e.parent).items() if columns is None or c in columns}
    if above and dates:
        frame = pd.concat([frame.reset_index(drop=True), with_ancestors(tables, schema, e.parent, list(dates))], axis=1)
        kinds |= dates
    rows = frame.drop_duplicates(pk).set_index(pk)[list(kinds)]
    return rows.reindex(tables[e.child][e.fk].to_numpy()).reset_index(drop=True), kinds


def nested_dates(schema: Schema, table: str) -> dict[str, Column]:
    """The date columns of the tables `table` nests under (its parent and up), named
    `<ancestor>.<column>` (as `with_ancestors` reads them), and their kinds."""
    out, edge = {}, schema.parent(table)
    while edge is not None:
        dated = {c: k.kind for c, k in schema.tables[edge.parent].columns.items() if k.kind in DATED}
        out |= {f"{edge.parent}.{c}": kind for c, kind in dated.items()}
        edge = schema.parent(edge.parent)
    return out


def _in_sequence(values: np.ndarray, codes: np.ndarray) -> bool:
    """Whether each parent's values follow one another rather than fall within a window: the mean
    gap between consecutive siblings (span / (n - 1), averaged over the parents of n rows) does not
    shrink as a parent has more of them (log-log slope over n above `MAX_SHRINK`; draws within a
    window shrink it as 1 / (n + 1): TPC-H's order dates under a customer -0.93; transactions at
    exponential gaps: 0), or they follow one another at a regular step (`_regular`: readings every
    15 minutes), which draws within a window do not."""
    if _regular(values, codes):
        return True
    s = pd.Series(values).groupby(codes)
    n, span = s.count(), s.max() - s.min()
    several = n >= 2
    by_n = (span[several] / (n[several] - 1)).groupby(n[several])
    gap, parents = by_n.mean(), by_n.size()
    held = gap > 0
    if parents.sum() < MIN_ROWS or held.sum() < 2:
        return False
    slope = np.polyfit(np.log(gap.index[held]), np.log(gap[held]), 1, w=np.sqrt(parents[held]))[0]
    return bool(slope > MAX_SHRINK)


def _regular(values: np.ndarray, codes: np.ndarray, min_steps: int = 4) -> bool:
    """Whether each parent's values mostly step by one amount (a device read every 15 minutes, a
    monthly statement): over the parents of `min_steps` steps or more (at least `MIN_ROWS` times
    `min_steps` steps in all: as many from 20 parents of a few rows as from 2 long series), at
    least half their steps equal their parent's most common step above 0. The slope of
    `_in_sequence` alone misses such readings over one common period (a device read every 5 minutes
    has 12 times the readings of one read hourly, as close as draws within a window), or where the
    step differs by parent far more than a narrow range of counts can show (5 to 30 minutes,
    800-1,500 readings a device: -1.06 +- 0.60): the readings were no sequence, and 7 % of the
    generated ones repeated their device's timestamp."""
    held = ~np.isnan(values)
    frame = pd.DataFrame({"parent": codes[held], "value": values[held]}).sort_values(["parent", "value"])
    frame["step"] = frame.groupby("parent")["value"].diff()
    steps = frame.dropna(subset="step")
    many = steps.groupby("parent")["step"].transform("size") >= min_steps
    steps = steps[many]
    if len(steps) < MIN_ROWS * min_steps:
        return False
    up = steps[steps["step"] > 0]
    most = up.groupby(["parent", "step"]).size().groupby(level="parent").max()
    return bool(most.sum() >= 0.5 * len(steps))


def _sibling_steps(values: np.ndarray, same: np.ndarray) -> np.ndarray:
    """The change from each row to the next of the same parent (`same`), where both have a value."""
    return _sibling_steps_from(values, values, same)


def _sibling_steps_from(previous: np.ndarray, values: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Each row's value less the previous row's `previous` value, for rows following one of the same
    parent (`same`), where both are present."""
    pairs = same & ~np.isnan(values[1:]) & ~np.isnan(previous[:-1])
    return values[1:][pairs] - previous[:-1][pairs]


def _in_order(steps: np.ndarray) -> bool:
    """Never down from one sibling to the next, and up at least half the time (not a constant);
    at least `MIN_ROWS` steps."""
    return len(steps) >= MIN_ROWS and bool((steps >= 0).all()) and float((steps > 0).mean()) >= 0.5

"""Orders within rows, in the model: a date or number that follows another of its row or of its
parent row in every training row (`relational.orders`: shipped >= ordered, an order placed after
its customer joined, low <= high) is modelled as its offset from that column, so every generated
row keeps the order, which values drawn one by one do not (a third of TPC-H's generated line items
were received before they were shipped).

Found at fit, never under DP (the order would be read from private data at no cost). The
column's slot holds the offset `|b - a|` (seconds for dates), a number like any other (the
offsets real rows show, often a few exact values: 1 to 30 days), and decoding adds it back on the
column's own grid (whole days, minutes, cents, integers), never across the column it follows.

A column with a bound on its other side as well (`RowOrder.bound`: a lab between admission and
discharge) holds instead where it lies between the two, `(b - a) / (bound - a)` in [0, 1], so a
generated row keeps both; where a row lacks the bound (a stay not discharged yet), its gap over
the training rows' median room (`room`), which may pass 1, and decoding reads it back the same way
(a gap past every such training row's drawn again from theirs, `open_gaps`: the slot's places of 1
are the bounded rows' own);
or, where such rows run up to the data's extraction time (calls of a subscription still open), its
place from its base to the latest of them (`open_end`), in [0, 1] as a bounded row's is. Where
every row of the data keeps a gap from its bound (`bound_gap`: a viewing 3 days before its
listing's sale at least), the room stops that gap short of the bound.
A date whose gap from its base does not grow with the room (a leg's arrival, hours after its
departure, before its shipment's delivery, which the later legs push back) holds its gap instead,
the bound kept as a cap: as a place, it spreads wider than the gap (`_place_wider`).

A number's offset is counted away from its base, so it can carry the value past what the column
ever holds on that side (a discount <= its price, most often 0: a price drawn a little lower than
the one the offset was read from gives a negative discount). Where the column never holds a
value of the other sign (`Ordering.extreme`: its least value where it is never negative, or its
greatest where it is never positive), decoding stops there, as at a bound. A date's offset stops
at the column's latest date (its earliest, counted back): an offset the model pairs with another
base (300 years from a birth, MIMIC's shifted ages, added to a recent one) would carry it past any
date the column holds, or past 2262, where it would become NaT. A base already past that date (a
sibling's, summed from the gaps before it) is not pulled back onto it: the row keeps its offset.

A date whose base is so far that the two drawn apart would keep the order all but 5 % of the time
(`Ordering.loose`: an admission after the patient's birth, decades before; MIMIC's ages over 89
are births shifted 210 years back) is modelled as itself: its offset, decades wide, drawn for
another birth put 14 % of admissions and 20 % of labs past any date the column holds. Decoding only
moves it onto its base or bound where it falls past one. So is a date in no other order that never
passes a date missing in some rows (an admission never after its patient's death, most patients
alive: no offset counts from a missing date), its base that date. Where every training row keeps
its gap from the base within a range the ranges alone do not explain (`Ordering.gap_low`,
`gap_high`: a hire 19 to 60 years after the birth), a decoded gap past it is drawn again from the
training rows' gaps within it (`_within_gap_range`), not moved onto it.

Where a generated row lacks its base (a delivery the model put under an order never shipped), the
offset is counted from `Ordering.fallback`, another column held in every training row that the
column keeps the same order with (the order date), rather than leaving the value null. So is a
training row's, where the base is a nearer date missing in some rows (`_on_held_base`: a review
after its order's delivery, the purchase where the order was not delivered); 40 % of a model's
Olist reviews, counted from the purchase alone, came before their order's delivery.

A parent's children that follow one another in time (`Ordering.after_sibling`: an account's
transactions, each after the account opened) hold the offset from the previous sibling's value
(in value order, the order the rows are encoded in), the first sibling's from the parent's;
decoding sums them within each parent in generated order, so the siblings keep their order.
Where each sibling starts after the previous one ends (`Ordering.sibling_base`: a stay admitted
after the previous stay's discharge), the offset is from the previous sibling's end, and decoding
goes sibling by sibling (the first of every parent, then the second, ...), each start set from the
previous sibling's end decoded just before, so generated stays never overlap; a start past the
column's latest (the data's end) is drawn again within the room before it, and the series ends there
as the data's do: a later sibling past it is dropped (`without_room`), not squeezed in after one drawn
again (salary periods from the previous one's end ran past the data's end). Where the first
siblings' offsets from the parent's date spread wider than their dates do (`in_calendar_window`: a
year's trips of vehicles bought over 15 years), the first's offset is from the column's least value,
the parent's date its floor (`sequence_ordering`), so the series stays in its window of the calendar.

A number that never goes down from one sibling to the next in the key's order (`running_ordering`:
a meter's cumulative energy, an odometer) is held the same way, as its increase over the previous
sibling's value, the first sibling's over the column's least value (`origin`), and summed back in
generated order: values drawn one by one went down in half the steps of every generated meter.

A number in no order that stays near a number of its parent row (`RowOrder.near`: a customer's
latitude, its city's, 0.2 degrees away in a column spanning 100) holds its signed gap from it, and
decoding adds it back on the column's grid, on either side: drawn on its own, in bins a few degrees
wide, it fell anywhere between the cities. So does a date near an earlier date of its row (a
submission within 3 days of its due date, either side), in seconds: drawn in bins months wide, 49 %
of an LMS database's generated submissions came after their due date, 15 % of the source's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from relsynth.relational import Column
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import (
    DAY_NS,
    RowOrder,
    apart_orders,
    as_numbers,
    day_values,
    fallback_base,
    gap_range,
    held_base,
    held_gap,
    min_gap,
    mostly_apart,
    near_parent,
    row_bounds,
    row_orders,
)
from relsynth.synth.tabular.encoders import exact_ns, fewest_decimals, integer_step, time_grid, time_of_day

log = logging.getLogger(__name__)
_NS_PER_S = 1_000_000_000
_FLOAT_SLACK = 4_096  # ns: float64's rounding of a date's nanoseconds up to 2262 (1,024) and then some
_FIRST_NS, _LAST_NS = float(pd.Timestamp.min.value + 1024), float(pd.Timestamp.max.value - 1024)  # float-exact inside


@dataclass(frozen=True)
class Ordering(RowOrder):
    """A `RowOrder` the model keeps, with what decoding needs of its column."""

    grid: float = (
        0.0  # the column's resolution (dates: in nanoseconds, a day for dates; numbers: 10**-decimals; 0: none)
    )
    integer: bool = False  # the column holds integers
    room: float = 0.0  # with a bound: the median distance from base to bound (dates: nanoseconds)
    # with a bound, a date: its last value in the rows lacking the bound (`_open_end`: the data's extraction
    # time, a call of a subscription not terminated yet), the room of such a row is from its base to it
    open_end: float | None = None
    after_sibling: bool = False  # the offset is from the previous sibling's value; the first's from `base`
    extreme: float | None = None  # a value never decoded past: a number's least (sign -1) or greatest (+1)
    #                               where the column never holds the other sign; a date's earliest or latest
    sibling_base: str | None = None  # with after_sibling: the previous sibling's column the offset is from
    #                                  (its end: `relational.orders.previous_end`); None: this column
    origin: float | None = None  # with after_sibling: the first sibling's base, a constant (the column's least
    #                              value, nanoseconds) where no column is (`sequence_ordering`); None: `base`
    cap: str | None = None  # without a bound: a column never passed on the other side, too far to model
    #                         (a discharge before the patient's death): decoding stops there
    cap_from_parent: bool = False  # `cap` is a column of the row's parent row
    cap_day: bool = False  # a date capped by a timestamp: by its day (a prescription's end, its stay's discharge day)
    loose: bool = False  # a date far from its base (`relational.orders.mostly_apart`): modelled as itself,
    #                      decoding only keeps it on its base's side (and its bound's)
    at_extreme: float = 0.0  # the share of the training rows holding the column that hold its extreme
    #                          (a date: only where `min_count` rows hold its latest, else 0: `_share_at`)
    # with after_sibling from an `origin`: the first siblings' offsets and the later ones' steps at
    # `_FIRST_LEVELS` quantiles; a first offset is held as the step of its quantile (`_as_step`)
    first_quantiles: list[float] | None = None
    step_quantiles: list[float] | None = None
    fallback: str | None = None  # a column held in every training row that the column keeps the same order with:
    #                              the offset's base where a generated row lacks `base` (`fallback_base`)
    fallback_from_parent: bool = False  # `fallback` is a column of the row's parent row
    min_gap: float = 0.0  # a loose date: the gap from its base all training rows but `min_count - 1` keep
    #                       (`relational.orders.min_gap`: a hire 19 years after the birth), kept at decoding
    # with after_sibling: the offsets all training rows but `min_count - 1` keep, of first siblings from
    # their parent's date and of the others from the previous sibling (`sibling_gaps`: a mother 17 at her
    # first child's birth, 9 months between two children), in the offset's units, kept at decoding
    first_gap: float = 0.0
    step_gap: float = 0.0
    # with after_sibling, a number: the one offset every first sibling (every later one) holds, from
    # `MIN_GAP_ROWS` rows at least (`sibling_gaps`: a diagnosis' seq_num, 1 from the origin 1, then steps of 1)
    first_fixed: float | None = None
    step_fixed: float | None = None
    floor: str | None = None  # with an `origin`: a date of the parent row the column follows at a distance
    #                          (`relational.orders.apart_orders`: a stay after the patient's birth, 18 years
    #                          at least): the first sibling's base is the later of `origin` and it + `floor_gap`
    floor_gap: float = 0.0
    # a number of a few values, each held by `min_count` rows at least (a maximum score's 10, 20, 50,
    # 100): decoded offsets are moved onto the nearest of them on the order's side (`_levels`)
    levels: tuple[float, ...] | None = None
    # with near, a date: the base of the order it was in, far looser than its gap from `base` (a
    # submission after its term's start, near its due date), never passed at decoding (`nearer_than_orders`)
    near_floor: str | None = None
    near_floor_from_parent: bool = False
    near_floor_sign: int = 1  # the order's side of `near_floor`: 1, never before it; -1, never after it (a deadline)
    # a number that walks (`walk_ordering`): its step from the previous held sibling in order of this
    # date of its row (the first's from `origin`), decoded rank by rank within [origin, extreme]
    walk_key: str | None = None
    # with a bound, a date: the least gap from it, kept by every training row and held by `min_count` at least
    # (`_bound_gap`: a viewing 3 days before its listing's sale at least), kept at decoding
    bound_gap: float = 0.0
    # with a cap no training row lies on (`_cap_gaps`: a message 8 minutes to days before its ticket's
    # close, by the second): the gaps from the cap at `N_CAP_GAPS` quantiles, a value drawn past the cap
    # is drawn again within its room from them rather than stopped on it (`_within_cap`)
    cap_gaps: list[float] | None = None
    # without a bound, a date: the few gaps from its base every training row holds (an auction's end 1, 3, 5
    # or 7 days after its start), each by `min_count` rows and all whole multiples of a step of two grid
    # steps at least (`_gap_levels`; nanoseconds): decoded gaps are moved onto the nearest of them (`_on_gap_levels`)
    gap_levels: tuple[float, ...] | None = None
    # with a bound and no `open_end`: the gaps from the base of the training rows lacking the bound (a stay of a
    # patient alive) at `N_CAP_GAPS` quantiles (`_open_gaps`); a place over the median room that decodes past
    # the last of them is drawn again from them (`_within_open_gaps`)
    open_gaps: list[float] | None = None
    # a loose date: the least and most gap from its base every training row keeps, where the ranges alone
    # do not explain it, rounded outwards (`relational.orders.gap_range`: a hire 19 to 60 years after the birth
    # stored as 6,000 to 22,000 days; None, a side not kept), and all rows' gaps at `N_CAP_GAPS` quantiles: a
    # decoded gap past a kept side is drawn again from them (`_within_gap_range`), not moved onto the side
    # (which would pile values on it)
    gap_low: float | None = None
    gap_high: float | None = None
    range_gaps: list[float] | None = None

    def to_dict(self) -> dict:
        """The fields, those added since orders were first saved left out at their defaults: an
        order without a bound or a sibling is written as it was before they existed."""
        d = asdict(self)
        return {k: v for k, v in d.items() if k not in _ADDED or v != _ADDED[k]}


N_CAP_GAPS = 21  # the gaps from a cap no training row lies on, kept as this many quantiles (`Ordering.cap_gaps`)
MIN_CAP_ROWS = 20  # training rows holding the column and its cap, at least, for `cap_gaps`
TIGHTER = 4  # a date near another this many times closer than to its order's base is modelled near it
WIDER = 2.0  # a number whose offset from its base spreads this many times wider is modelled as itself
MAX_PLACE_SLOPE = 0.5  # a date whose gap grows slower with its room (log-log) is modelled as its gap, not its place
MAX_LEVELS = 12  # the values of a number held as a few levels (`Ordering.levels`), at most
_ADDED = {
    "bound": None,
    "bound_from_parent": False,
    "room": 0.0,
    "open_end": None,
    "after_sibling": False,
    "extreme": None,
    "at_extreme": 0.0,
    "day_base": False,
    "sibling_base": None,
    "origin": None,
    "loose": False,
    "cap": None,
    "cap_from_parent": False,
    "cap_day": False,
    "first_quantiles": None,
    "step_quantiles": None,
    "fallback": None,
    "fallback_from_parent": False,
    "min_gap": 0.0,
    "first_gap": 0.0,
    "step_gap": 0.0,
    "floor": None,
    "floor_gap": 0.0,
    "first_fixed": None,
    "step_fixed": None,
    "near": False,
    "timed": False,
    "levels": None,
    "near_floor": None,
    "near_floor_from_parent": False,
    "near_floor_sign": 1,
    "walk_key": None,
    "bound_gap": 0.0,
    "cap_gaps": None,
    "gap_levels": None,
    "open_gaps": None,
    "gap_low": None,
    "gap_high": None,
    "range_gaps": None,
}  # field -> its default


def find_orderings(
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None = None,
    parent_kinds: Mapping[str, Column] | None = None,
    min_count: int = 5,
    previous: np.ndarray | None = None,
) -> dict[str, Ordering]:
    """The ordered columns of one table among `columns` (its modelled ones, in field order), each
    with the column it follows and its grid; `parent`: the parent row's date and number columns
    (`parent_kinds`), one row per row of `df` (`relational.orders.row_orders`). A loose date keeps
    the gap from its base that all rows but `min_count - 1` keep (`Ordering.min_gap`). `previous`:
    each row's previous sibling's position in `df` in the series' order (-1 for a first one), where
    the rows are a series (`_steadier_than_offset`)."""
    found = row_orders(df, columns, kinds, parent, parent_kinds)
    # a leg's duration, not its place before its shipment's delivery
    found = {c: _gap_not_place(o, df, parent, min_count) for c, o in found.items()}
    # a review after its order's delivery where the order was delivered, after its purchase elsewhere
    found = {c: _on_held_base(o, df, columns, kinds, parent, parent_kinds) for c, o in found.items()}
    capped = _capped_only(found, df, columns, kinds, parent, parent_kinds)
    every_apart = apart_orders(df, columns, kinds, parent, parent_kinds, min_count)
    apart = {c: o for c, (o, _) in every_apart.items() if c not in found and c not in capped}
    floors = _floors(
        capped, {c: apart_gap for c, apart_gap in every_apart.items() if apart_gap[1] > 0}
    )  # a gap to keep
    capped |= apart  # implied by the ranges, the gap not: decoded as itself, kept min_gap from its base
    found = {c: found.get(c) or capped[c] for c in columns if c in found or c in capped}  # in field order
    caps = _caps(found, df, columns, kinds, parent, parent_kinds)
    fallbacks = {b: fallback_base(df, o, columns, kinds, parent, parent_kinds) for b, o in found.items()}
    ordered = {
        b: Ordering(
            **asdict(o),
            grid=column_grid(df[b], kinds[b]),
            integer=kinds[b] is Column.INTEGER,
            room=_median_room(o, df, parent) if o.bound else 0.0,
            open_end=_open_end(o, df, parent, min_count) if o.bound and o.dated else None,
            extreme=_latest(as_numbers(df[b], order_kind(o)), o.sign)
            if o.dated or o.timed  # a time of day stops at the column's last (first) one: no 25:00
            else _extreme(as_numbers(df[b], Column.NUMERIC), o.sign),
            loose=b in capped or _is_loose(o, df, parent, previous),
            cap=caps[b].base if b in caps else None,
            cap_from_parent=b in caps and caps[b].from_parent,
            cap_day=b in caps and caps[b].day_base,
            at_extreme=_share_at(df[b], o, min_count),
            fallback=fallbacks[b][0] if fallbacks[b] else None,
            fallback_from_parent=bool(fallbacks[b] and fallbacks[b][1]),
            min_gap=_min_gap(o, df, parent, min_count) if b in capped or _is_loose(o, df, parent, previous) else 0.0,
            floor=floors[b][0].base if b in floors else None,
            floor_gap=floors[b][1] if b in floors else 0.0,
            levels=None if o.dated else _levels(df[b], kinds[b], min_count),
            bound_gap=_bound_gap(o, df, parent, min_count) if o.bound and o.dated else 0.0,
            gap_levels=_gap_levels(o, df, parent, kinds[b], min_count) if not o.bound and o.dated else None,
        )
        for b, o in found.items()
    }
    near = {  # numbers in no order that stay near their parent row's: their signed gap
        b: Ordering(**asdict(o), grid=column_grid(df[b], kinds[b]), integer=kinds[b] is Column.INTEGER)
        for b, o in near_parent(df, columns, kinds, parent, parent_kinds).items()
    }
    ordered = {b: _with_open_gaps(o, df, parent) for b, o in ordered.items()}
    ordered = {b: _with_gap_range(o, df, parent) for b, o in ordered.items()}
    ordered |= nearer_than_orders(df, ordered, near, parent)
    both = {c: o for c, o in near.items() if c not in found} | ordered
    return {c: both[c] for c in columns if c in both}  # in field order


def _on_held_base(
    o: RowOrder,
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None,
    parent_kinds: Mapping[str, Column] | None,
) -> RowOrder:
    """`o` on the nearer base missing in some rows that it keeps its side of wherever that base is held
    (`relational.orders.held_base`), where a base held in every row (`fallback_base`) counts its offset in
    the rows lacking it, at fit (`with_offsets`) as at decoding; else `o`."""
    held = held_base(df, o, columns, kinds, parent, parent_kinds)
    if held is None or fallback_base(df, held, columns, kinds, parent, parent_kinds) is None:
        return o
    return held


def _gap_not_place(o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None, min_count: int) -> RowOrder:
    """`o` without its bound where a date's place between base and bound spreads wider than its gap
    from the base (`_place_wider`): the bound is then kept as a cap (`_caps`)."""
    if o.bound is None or not o.dated or not _place_wider(o, df, parent, min_count):
        return o
    return replace(o, bound=None, bound_from_parent=False)


def _place_wider(o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None, min_count: int) -> bool:
    """Whether the gap `b - a` grows with the room `bound - a` less than half as fast (the slope of
    log gap on log room below `MAX_PLACE_SLOPE`, over `MIN_GAP_ROWS` rows at least with both above
    0): the place `gap / room` then spreads wider than the gap, the room adding its own spread. A
    lab taken anywhere in its stay grows with the stay (slope 1.0): its place spreads less. A leg's
    arrival, hours after its departure, does not grow with the time left until its shipment's
    delivery (0.2), which the later legs take: as a place from 0 to 1 of it, read from a delivery a
    model draws before the legs, 70 % of a small model's legs drove at speeds no vehicle drives and
    5-7 % arrived on or before their departure. Not where `min_count` rows lie on the bound (a
    salary's last row ends on its employee's termination): their place, 1, is what the gap misses
    (held as the gap and stopped at the cap, 31-45 % of a model's terminated employees' last rows
    ended before the termination)."""
    values, base = as_numbers(df[o.column], order_kind(o)), base_values(o, df, parent)
    gap, room = o.sign * (values - base), o.sign * (as_numbers(bound_of(o, df, parent), order_kind(o)) - base)
    with np.errstate(invalid="ignore"):
        held = (gap > 0) & (room > 0)  # NaN: False
        on_bound = int((gap == room).sum())
    if held.sum() < MIN_GAP_ROWS or on_bound >= max(min_count, 1):
        return False
    gap, room = np.log(gap[held]), np.log(room[held])
    spread = float(np.var(room))
    return spread > 0 and float(np.cov(gap, room, bias=True)[0, 1]) / spread < MAX_PLACE_SLOPE


def nearer_than_orders(
    df: pd.DataFrame, ordered: Mapping[str, Ordering], near: Mapping[str, Ordering], parent: pd.DataFrame | None
) -> dict[str, Ordering]:
    """Per date in a plain order (no bound) that stays near a date of its row `TIGHTER` times closer
    than to its order's base, the near one, the order's base kept as its `near_floor`: a submission
    after its term's start (gaps spreading over 40 days), within 3 days of its due date. Written
    from the term's start, 45 % of an LMS database's generated submissions were late (the source's
    15 %). Not a near date from the order's own base: its gap is the order's, no tighter (a ship date
    5 days before its due date in every row, then kept on or after it: every generated order shipped
    on its due date)."""
    out = {}
    for b, o in ordered.items():
        n = near.get(b)
        if n is None or not (o.dated and n.dated) or o.bound is not None or o.origin is not None:
            continue
        if (n.base, n.from_parent) == (o.base, o.from_parent):
            continue
        values = as_numbers(df[b], order_kind(o))
        gap_order = _spread_of(values - base_values(o, df, parent))
        gap_near = _spread_of(values - base_values(n, df, parent))
        if gap_near * TIGHTER <= gap_order:
            out[b] = replace(n, near_floor=o.base, near_floor_from_parent=o.from_parent, near_floor_sign=o.sign)
    return out


def _steadier_than_offset(gap: np.ndarray, values: np.ndarray, previous: np.ndarray) -> bool:
    """Whether a number of a series changes `WIDER` times less from one sibling to the next than its
    offset from its base does (`previous`: each row's previous sibling, -1 for none): it is then held
    by its own previous value, which an offset drawn afresh each row loses. A day's highest
    temperature >= its lowest, the two days apart by a fresh gap (8 degrees, sd 4) around a slow
    weather anomaly, was written as tmax - tmin: a small model, which must add the previous row's
    two tokens to see yesterday's tmax, kept a lag-1 autocorrelation of the tmax anomaly of 0.35
    (the data's 0.73); modelled as itself, 0.72. Moved onto its base where it passes it, as a loose one."""
    has = previous >= 0
    gap_steps = gap[has] - gap[previous[has]]
    value_steps = values[has] - values[previous[has]]
    held = ~np.isnan(gap_steps) & ~np.isnan(value_steps)
    return bool(held.sum() >= 2) and _spread_of(gap_steps[held]) > WIDER * _spread_of(value_steps[held])


def _spread_of(x: np.ndarray) -> float:
    """The interquartile range of `x`'s values (NaN left out), else their standard deviation."""
    x = x[~np.isnan(x)]
    if not len(x):
        return 0.0
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return float(q3 - q1) if q3 > q1 else float(np.std(x))


def _floors(
    capped: Mapping[str, RowOrder], apart: Mapping[str, tuple[RowOrder, float]]
) -> dict[str, tuple[RowOrder, float]]:
    """Per date capped by a parent's later date (`_capped_only`: an admission before the death), the
    parent's earlier date it follows at a distance (`apart_orders`: the birth, 18 years before at
    least) and that gap: the capped order keeps one base, and a sequence of such dates
    (`sequence_ordering`) counted from the column's least value put 35 of 722 generated admissions
    before their patient's 18th birthday (the data: none)."""
    return {
        c: apart[c]
        for c, o in capped.items()
        if c in apart and o.sign < 0 and o.from_parent and apart[c][0].sign > 0 and apart[c][0].from_parent
    }


def _is_loose(o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None, previous: np.ndarray | None = None) -> bool:
    """A date whose base is so far that the ranges keep the order (`mostly_apart`), or a number whose
    offset from its base spreads wider than the number itself (`_offset_wider`) or, in a series
    (`previous`), steps wider from one sibling to the next than the number does (`_steadier_than_offset`)."""
    values = as_numbers(df[o.column], order_kind(o))
    if o.dated:
        return mostly_apart(base_values(o, df, parent), values, o.sign)
    if o.timed or o.bound is not None:
        return False
    gap = values - base_values(o, df, parent)
    return _offset_wider(gap, values) or (previous is not None and _steadier_than_offset(gap, values, previous))


def _offset_wider(gap: np.ndarray, values: np.ndarray) -> bool:
    """Whether a number's offset from its base spreads `WIDER` times wider than the number itself: the
    offset then holds less of the number than its own value does. A shop's daily customers <= its
    sales (both 0 on closed days, sales ~9.5 customers) and its open flag (0 or 1) <= its customers
    were written as sales - customers and customers - open, spreading like the sales and the
    customers: drawn in their bins, the decoded customers strayed by a bin's width (sales per
    customer 1.0 to 10.5 for the data's 8.2 to 10.8) and the flag anywhere, set to 0 on 48 % of
    weekdays (the data's 1 %). Modelled as itself, it is moved onto its base where it passes it."""
    held = ~np.isnan(gap) & ~np.isnan(values)
    return bool(held.any()) and _spread_of(gap[held]) > WIDER * _spread_of(values[held])


def _min_gap(o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None, min_count: int) -> float:
    """The gap from its base a loose date keeps (`relational.orders.min_gap`), on the column's grid."""
    return min_gap(base_values(o, df, parent), as_numbers(df[o.column], order_kind(o)), o.sign, min_count)


def _bound_gap(o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None, min_count: int) -> float:
    """The gap from its bound a bounded date keeps (`relational.orders.min_gap`, counted back from
    the bound): placed anywhere up to the bound, 55 of 1,251 generated viewings of sold listings
    fell on the sale day, where every viewing of the data is 3 days before it at least. Only where
    no row holds a shorter one (the `min_count`-th shortest is then the least of many rows, no single
    row's): viewings up to the sale day, a few of 300 on it, keep none rather than a day."""
    bound, values = as_numbers(bound_of(o, df, parent), order_kind(o)), as_numbers(df[o.column], order_kind(o))
    return held_gap(o.sign * bound, o.sign * values, min_count)


def sequence_ordering(df: pd.DataFrame, key: str, kind: Column, loose: Ordering | None = None) -> Ordering:
    """The order of siblings following one another by their `key` date where no date of their
    parent's row is a base (a patient's stays, the patient's birth years before): the first
    sibling's offset is from the column's least value (`origin`), the others' from the previous
    sibling's (`after_sibling`, set by the caller). `loose`: the key's own order this one replaces (a
    base too far to model, or a parent's date the key is on or before): the parent's column it never
    passes going forward (a base it is on or before, the patient's death; else its bound or cap)
    stays its cap, so no stay follows the death; a parent's date it follows at a distance (the
    birth: `_floor_of`) its floor, so no first stay comes before the patient's 18th birthday."""
    cap: tuple[str | None, bool] = (None, False)
    cap_day = False  # the loose order's own cap kept, by its day where it was so
    if loose is not None and not loose.day_base:  # a date capped by a timestamp compares with its day
        if loose.sign < 0:
            cap = (loose.base, loose.from_parent)
        elif loose.bound is not None:
            cap = (loose.bound, loose.bound_from_parent)
        else:
            cap, cap_day = (loose.cap, loose.cap_from_parent), loose.cap_day
    if not cap[1]:  # a column of the row itself may be an offset still when the key, decoded first, is
        cap = (None, False)
    floor = _floor_of(loose)
    values = as_numbers(df[key], kind)
    dated, integer = kind in (Column.DATE, Column.DATETIME), kind is Column.INTEGER  # a number key: a time of its own
    return Ordering(
        key,
        key,
        1,
        dated=dated,
        integer=integer,
        origin=float(np.nanmin(values)),
        extreme=_latest(values, 1),  # the data's end (its extraction): steps summed past it are drawn again
        grid=column_grid(df[key], kind),
        cap=cap[0],
        cap_from_parent=cap[1],
        cap_day=cap_day and cap[1],
        floor=floor[0],
        floor_gap=floor[1],
    )


def in_calendar_window(df: pd.DataFrame, o: Ordering, parent: pd.DataFrame | None, siblings: np.ndarray) -> bool:
    """Whether a sibling key counted from its parent's date (`o`: a trip after its vehicle's purchase)
    has first siblings whose offsets from that date spread `WIDER` times wider than their own dates
    (`_offset_wider`): the series lies in a window of the calendar (a year's trips of vehicles bought
    over 15 years), which the offsets, drawn in bins years wide, do not hold. Counted from the
    column's least value with the parent's date as its floor (`sequence_ordering`), 15-22 % of a fleet's
    generated trips fell in the data's 18 months, spread over 2010-2059."""
    values = as_numbers(df[o.column], order_kind(o))
    first = _first_siblings(values, _siblings(siblings, o.column))
    return _offset_wider((values - base_values(o, df, parent))[first], values[first])


def _floor_of(loose: Ordering | None) -> tuple[str | None, float]:
    """The parent's date (and gap) a sequence's first sibling keeps after: the key's own order where
    that is a loose one after a parent's date at a distance (a birth), else the floor it carries."""
    if loose is None:
        return None, 0.0
    if loose.sign > 0 and loose.from_parent and loose.loose and loose.min_gap > 0 and loose.bound is None:
        return loose.base, loose.min_gap
    return loose.floor, loose.floor_gap


def bound_as_cap(o: Ordering) -> Ordering:
    """A sibling key between its parent's dates (salary rows between the hire and the termination)
    as a sequence from the previous sibling: its parent's bound becomes its cap. Held as its place
    between base and bound, the key would be counted from its parent's date, not from the previous
    sibling's end, and siblings would overlap or leave gaps (`after_sibling` takes no bound)."""
    return replace(o, bound=None, bound_from_parent=False, room=0.0, open_gaps=None, cap=o.bound, cap_from_parent=True)


def after_itself(o: Ordering) -> bool:
    """Whether `o` orders its column after its own previous sibling's value alone (a movement
    after the one before), reading no other column of its row or its parent's."""
    others = (o.sibling_base, o.bound, o.cap, o.fallback, o.floor)
    if o.walk_key is not None:
        return True
    return o.after_sibling and o.base == o.column and not o.from_parent and all(c is None for c in others)


def running_ordering(df: pd.DataFrame, column: str, kind: Column, siblings: np.ndarray) -> Ordering:
    """The order of a number that never goes down from one sibling to the next
    (`relational.orders.running_numbers`): each sibling's increase over the previous one's value,
    the first's over the column's least value (`origin`), held as the step of its quantile where
    the steps spread (`first_quantiles`): a meter's level, thousands, and its steps, a few, in one
    slot left the levels to a bin or two (the encoding alone moved them 309 kWh at the median)."""
    values = as_numbers(df[column], kind)
    origin = float(np.nanmin(values))
    first = _first_siblings(values, _siblings(siblings, column))
    held = ~np.isnan(values)
    steps = with_offsets(
        df[[column]],
        {column: Ordering(column, column, 1, dated=False, after_sibling=True, origin=origin)},
        None,
        siblings,
    )[column].to_numpy(np.float64)
    levels = np.linspace(0.0, 1.0, _FIRST_LEVELS)
    fq = np.quantile(values[first & held] - origin, levels) if (first & held).any() else None
    sq = np.quantile(steps[~first & held], levels) if (~first & held).any() else None
    spread = fq is not None and sq is not None and bool(fq[-1] > fq[0]) and bool(sq[-1] > sq[0])
    if spread:
        fq, sq = _untied(fq), _untied(sq)
    return Ordering(
        column,
        column,
        1,
        dated=False,
        grid=column_grid(df[column], kind),
        integer=kind is Column.INTEGER,
        after_sibling=True,
        origin=origin,
        extreme=_extreme(values, 1),
        first_quantiles=[float(v) for v in fq] if spread else None,
        step_quantiles=[float(v) for v in sq] if spread else None,
    )


def _untied(quantiles: np.ndarray) -> np.ndarray:
    """`quantiles` that spread with each run of ties spread evenly up to the next value (the last
    run a millionth of the spread per level), so that first siblings' offsets map onto the steps
    and back (`_as_step`, `_from_step`): a meter's steps on a grid of 0.001 kWh repeat at some of
    129 levels, and new meters' first readings at 0 at many, and the levels were left in one slot
    with the steps, falling in its top bin (median 0.5 kWh generated, 22 real). Between two steps
    on the grid, they are binned apart from the steps' own tokens, not rounded onto one of them;
    a tie's own value maps to its run's first level and back to itself (a new meter's 0)."""
    out = quantiles.astype(np.float64)
    starts = np.flatnonzero(np.r_[True, np.diff(out) > 0])
    ends = np.r_[starts[1:], len(out)]  # each run's end (exclusive), where the next value starts
    tiny = 1e-6 * float(out[-1] - out[0])
    for a, b in zip(starts, ends, strict=True):
        rise = (out[b] - out[a]) / (b - a) if b < len(out) else tiny
        out[a:b] = out[a] + np.arange(b - a) * rise
    return out


def walk_ordering(df: pd.DataFrame, column: str, kind: Column, key: str, siblings: np.ndarray) -> Ordering:
    """The order of a number that changes little from one sibling to the next in `key` order
    (`relational.orders.walking_numbers`): its signed step from the previous held sibling's value,
    the first's from the column's least value (`origin`), held as the step of its quantile where the
    steps spread (`first_quantiles`, as `running_ordering`'s), never decoded past its least or greatest."""
    values = as_numbers(df[column], kind)
    o = Ordering(
        column,
        column,
        1,
        dated=False,
        grid=column_grid(df[column], kind),
        integer=kind is Column.INTEGER,
        origin=float(np.nanmin(values)),
        extreme=float(np.nanmax(values)),
        walk_key=key,
    )
    steps, first = _walk_offsets(df, o, siblings)
    levels = np.linspace(0.0, 1.0, _FIRST_LEVELS)
    held = ~np.isnan(steps)
    if not (first & held).any() or not (~first & held).any():
        return o
    fq, sq = np.quantile(steps[first & held], levels), np.quantile(steps[~first & held], levels)
    ramp = levels * 1e-6 * max(float(sq[-1] - sq[0]), 1e-12)  # steps on a grid repeat: kept increasing
    fq, sq = fq + ramp * max(float(fq[-1] - fq[0]), 1e-12) / max(float(sq[-1] - sq[0]), 1e-12), sq + ramp
    if not (np.all(np.diff(fq) > 0) and np.all(np.diff(sq) > 0)):
        return o
    # a device's level (12 to 27 degrees) and its steps (tenths) in one slot: the levels fell in a
    # bin or two, 20 generated devices' median 13.7 degrees (the source's 18.3)
    return replace(o, first_quantiles=[float(v) for v in fq], step_quantiles=[float(v) for v in sq])


def _walk_offsets(df: pd.DataFrame, o: Ordering, siblings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each row's value less its previous held sibling's in `o.walk_key` order, rows of one
    instant in stored order, NaN where the row holds none; whether no earlier sibling holds one,
    the row's offset then from `o.origin`)."""
    values = as_numbers(df[o.column], order_kind(o))
    key = to_numbers(as_numbers(df[o.walk_key], _key_kind(df[o.walk_key])))
    order = np.lexsort((np.arange(len(values)), key, siblings))
    held = pd.Series(values[order]).groupby(siblings[order]).ffill()
    previous = held.groupby(siblings[order]).shift(1).to_numpy(np.float64, na_value=np.nan)
    out, first = np.empty(len(values)), np.empty(len(values), dtype=bool)
    out[order] = values[order] - np.where(np.isnan(previous), o.origin, previous)
    first[order] = np.isnan(previous)
    return out, first


def _walk_steps(df: pd.DataFrame, o: Ordering, siblings: np.ndarray) -> np.ndarray:
    """`_walk_offsets`' steps, a first held value's offset held as the step of its quantile (`_as_step`)."""
    steps, first = _walk_offsets(df, o, siblings)
    return np.where(first, _as_step(o, steps), steps)


def _key_kind(s: pd.Series) -> Column:
    return Column.DATETIME if pd.api.types.is_datetime64_any_dtype(s) else Column.NUMERIC


def _walked(cols: Mapping[str, pd.Series], o: Ordering, siblings: np.ndarray) -> pd.Series:
    """A walking number from its decoded steps, summed within each parent in generated order, rank
    by rank, each value kept within [origin, extreme] before the next step is added (a battery
    charged back to 100 drains from 100); a missing step: a missing value, the level carried on."""
    step = to_numbers(cols[o.column]).to_numpy(np.float64, na_value=np.nan)
    n = len(step)
    rank = pd.Series(siblings).groupby(siblings).cumcount().to_numpy()
    previous = pd.Series(np.arange(n)).groupby(siblings).shift(1).to_numpy(np.float64, na_value=-1).astype(np.int64)
    level = np.full(n, np.nan)
    by_rank = np.argsort(rank, kind="stable")
    for r, rows in enumerate(np.split(by_rank, np.flatnonzero(np.diff(rank[by_rank])) + 1) if n else []):
        before = np.full(len(rows), np.nan) if r == 0 else level[previous[rows]]
        own = np.where(np.isnan(before), _from_step(o, step[rows]), step[rows])  # no level yet: from the origin
        walked = np.clip(np.where(np.isnan(before), o.origin, before) + np.nan_to_num(own), o.origin, o.extreme)
        level[rows] = np.where(np.isnan(before) & np.isnan(own), np.nan, walked)  # a leading missing value: none yet
    return _near_numbers(np.where(np.isnan(step), np.nan, level), o)


def sibling_gaps(
    df: pd.DataFrame, o: Ordering, parent: pd.DataFrame | None, siblings: np.ndarray, min_count: int
) -> Ordering:
    """`o` (after_sibling) with the least offsets its rows keep (`first_gap`, `step_gap`): the
    `min_count`-th smallest (no single row's), from `MIN_GAP_ROWS` rows each at least; a first
    sibling's only from its parent's date (not from the column's least value, `origin`). The model
    draws both from one slot, so a first child could come months after its mother's birth, and two
    children 171 days apart (the data's least: 17 years and 285 days). Of a number (a count: dates
    keep the gaps their offsets' bins give), where every first sibling's offset (every later one's)
    is one value, that value (`first_fixed`, `step_fixed`): a diagnosis' seq_num, 1..n under each
    stay, began at 2 under 1 of 722 generated stays. Of a date too: a session's first event at its
    start; and, after the previous sibling's end (`sibling_base`), a version valid from the second
    the previous version ends, every step 0."""
    values = with_offsets(df, {o.column: o}, parent, siblings)[o.column].to_numpy(np.float64)
    first = _first_siblings(as_numbers(df[o.column], order_kind(o)), _siblings(siblings, o.column))
    held = ~np.isnan(values)
    gaps = [_least(values[held & mine], min_count) for mine in (first, ~first)]
    # a date's first siblings on one offset too (a session starts at its first event): its bins missed 1 % of them;
    # and its later ones after the previous one's end (a version valid from it, to the second: 2 of 535 started
    # hours later), or from the previous one's date (a station's days, every step one day: drawn from the first
    # offsets' bins, 1 in 1,000 steps skipped days or months)
    fixed = [_only_value(values[held & first]), _only_value(values[held & ~first])]
    return replace(
        o,
        first_gap=gaps[0] if o.from_parent and o.origin is None else 0.0,
        step_gap=gaps[1],
        first_fixed=fixed[0] if o.first_quantiles is None else None,  # quantiles: steps, not offsets
        step_fixed=fixed[1],
    )


def counter_steps(df: pd.DataFrame, o: Ordering, siblings: np.ndarray) -> Ordering:
    """`o` (a `running_ordering`) with the one offset every first sibling holds from the origin and
    the one step every later sibling takes, where each is one value (`first_fixed`, `step_fixed`, as
    `sibling_gaps` fixes a sibling key's): a version number, 1..n under each customer, drawn from one
    slot with its first offsets (0) and its steps (1), came back 1, 2, 2 or 2, 3 under 2 of 400
    generated customers. A meter's levels and steps, which spread, keep their draws."""
    values = with_offsets(df[[o.column]], {o.column: o}, None, siblings)[o.column].to_numpy(np.float64)
    first = _first_siblings(as_numbers(df[o.column], order_kind(o)), _siblings(siblings, o.column))
    held = ~np.isnan(values)
    fixed = [_only_value(values[held & mine]) for mine in (first, ~first)]
    return replace(o, first_fixed=fixed[0] if o.first_quantiles is None else None, step_fixed=fixed[1])


MIN_GAP_ROWS = 20  # rows an offset's least value (`sibling_gaps`) is read from


def _only_value(values: np.ndarray) -> float | None:
    """The one value of `values` where there are `MIN_GAP_ROWS` at least, all equal; else None."""
    if len(values) < MIN_GAP_ROWS or values.min() != values.max():
        return None
    return float(values[0])


def _least(values: np.ndarray, min_count: int) -> float:
    """The `min_count`-th smallest of `values` where there are `MIN_GAP_ROWS` at least and it is
    above 0; else 0 (no gap kept)."""
    k = max(min_count, 1)
    if len(values) < max(k, MIN_GAP_ROWS):
        return 0.0
    return max(float(np.partition(values, k - 1)[k - 1]), 0.0)


def _at_least_gaps(o: Ordering, own: np.ndarray, held: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Decoded after_sibling offsets `own` (`held`: drawn, not missing) no shorter than the gaps the
    training siblings keep (`first_gap` for a parent's `first` row, `step_gap` for the others), and
    the one offset they all hold where they do (`first_fixed`, `step_fixed`)."""
    if o.first_gap or o.step_gap:
        own = np.where(held, np.maximum(own, np.where(first, o.first_gap, o.step_gap)), own)
    for fixed, mine in ((o.first_fixed, first), (o.step_fixed, ~first)):
        if fixed is not None:
            own = np.where(held & mine, fixed, own)
    return own


_FIRST_LEVELS = 129  # quantiles mapping first siblings' offsets onto the steps (`running_ordering`)


def _first_siblings(values: np.ndarray, siblings: np.ndarray) -> np.ndarray:
    """Whether each row is the first of its parent's rows in value order (`_previous_sibling`'s)."""
    order = np.lexsort((values, siblings))
    starts = np.r_[True, siblings[order][1:] != siblings[order][:-1]]
    out = np.empty(len(values), dtype=bool)
    out[order] = starts
    return out


def _as_step(o: Ordering, offsets: np.ndarray) -> np.ndarray:
    """First siblings' offsets from the origin held as the steps of their quantile (`running_ordering`)."""
    return offsets if o.first_quantiles is None else np.interp(offsets, o.first_quantiles, o.step_quantiles)


def _from_step(o: Ordering, held: np.ndarray) -> np.ndarray:
    """`_as_step` undone: a first sibling's decoded step back to its offset from the origin."""
    return held if o.first_quantiles is None else np.interp(held, o.step_quantiles, o.first_quantiles)


def _capped_only(
    found: Mapping[str, RowOrder],
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None,
    parent_kinds: Mapping[str, Column] | None,
) -> dict[str, RowOrder]:
    """Per date column in no order, the nearest date it never passes where that date is present
    (`relational.orders.row_bounds`), missing in some rows (an admission never after its patient's
    death, most patients alive): no offset can be counted from it, so nothing kept it, and 37 of
    1,164 generated admissions followed the death. Kept as a `loose` order: decoded as itself and
    moved onto that date (a timestamp's day, for a date: `day_base`) where it passes it."""
    out: dict[str, RowOrder] = {}
    for r in row_bounds(df, columns, kinds, parent, parent_kinds):
        if r.dated and r.column not in found and r.column not in out:
            out[r.column] = r
    return out


def _caps(
    found: Mapping[str, RowOrder],
    df: pd.DataFrame,
    columns: Sequence[str],
    kinds: Mapping[str, Column],
    parent: pd.DataFrame | None,
    parent_kinds: Mapping[str, Column] | None,
) -> dict[str, RowOrder]:
    """Per ordered column without a bound, the nearest column it never passes on the other side
    (`relational.orders.row_bounds`): too far to be its bound (`Ordering.cap`); a timestamp capping a
    date caps it by its day (`Ordering.cap_day`: a prescription ending on its stay's discharge day,
    uncapped, ended after it in 17 % of a small model's prescriptions)."""
    out = {}
    for r in row_bounds(df, columns, kinds, parent, parent_kinds):
        o = found.get(r.column)
        if o is not None and o.bound is None and r.sign == -o.sign:
            out[r.column] = r
    return out


def with_cap_gaps(found: Mapping[str, Ordering], df: pd.DataFrame, parent: pd.DataFrame | None) -> dict[str, Ordering]:
    """`found` (a table's orders, final: a sibling key's cap comes from its bound), each with a cap
    given its `cap_gaps` (`_cap_gaps`)."""
    return {c: replace(o, cap_gaps=_cap_gaps(df[c], o, df, parent)) if o.cap else o for c, o in found.items()}


def _cap_gaps(values: pd.Series, o: Ordering, df: pd.DataFrame, parent: pd.DataFrame | None) -> list[float] | None:
    """The gaps from a column's cap (nanoseconds for dates) at `N_CAP_GAPS` quantiles, where
    `MIN_CAP_ROWS` training rows hold both and none lies on the cap; None where one does (an offer on
    its listing's sale day: stopped on the cap, as the data has them), or too few rows tell."""
    cap = cap_values(o, df, parent, len(values))
    gap = o.sign * (cap - as_numbers(values, order_kind(o)))
    gap = gap[~np.isnan(gap)]
    if len(gap) < MIN_CAP_ROWS or (gap <= 0).any():
        return None
    return [float(q) for q in np.quantile(gap, np.linspace(0, 1, N_CAP_GAPS))]


def _extreme(x: np.ndarray, sign: int) -> float | None:
    """The value an offset counted away from the base (`sign`) must not pass: the least of a column
    never negative (sign -1), the greatest of one never positive (+1); None where it holds both signs."""
    x = x[~np.isnan(x)]
    if not len(x):
        return None
    end = float(x.min()) if sign < 0 else float(x.max())
    return end if sign * end <= 0 else None


def _share_at(values: pd.Series, o: RowOrder, min_count: int) -> float:
    """The share of a number column's values at its extreme (`_extreme`; 0 for none or a time), or of
    a date column's at its latest where `min_count` rows hold it (a last visit on the extraction
    day), else 0: the one row that is the latest is no pile (`_before_latest`)."""
    if o.dated:
        x = as_numbers(values, Column.DATETIME)
        x = x[~np.isnan(x)]
        at = int((x == _latest(x, o.sign)).sum()) if len(x) else 0
        return at / len(x) if at >= max(min_count, 2) else 0.0
    end = None if o.timed else _extreme(as_numbers(values, Column.NUMERIC), o.sign)
    return 0.0 if end is None else float((values.dropna() == end).mean())


def _latest(x: np.ndarray, sign: int) -> float | None:
    """A date column's last value on the side its offset is counted toward (None: no values)."""
    x = x[~np.isnan(x)]
    return (float(x.max()) if sign > 0 else float(x.min())) if len(x) else None


def _open_end(o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None, min_count: int) -> float | None:
    """A date's last value (on its offset's side) in the rows holding it but not its bound, where the
    bound is missing because the interval is still open (a subscription not terminated yet): such
    rows run from their base up to the data's extraction time, so their places over that room read
    as the bounded rows' places do (closer to them, by the largest gap between the two shares
    below a value, than their gaps over the median room: a lab of a stay whose discharge was not
    recorded lies days after its admission, not anywhere up to the extraction). Over the median room,
    a subscription still open held gaps of years, the slot's values passed 1 far and often, and a
    model sharing it with the bounded rows put 27 % of a terminated subscription's calls past its
    termination, set onto it at midnight. None with fewer than `min_count` such rows."""
    kind = order_kind(o)
    values, base = as_numbers(df[o.column], kind), base_values(o, df, parent)
    bound = as_numbers(bound_of(o, df, parent), kind)
    closed = ~np.isnan(values) & ~np.isnan(bound) & (o.sign * (bound - base) > 0)
    open_rows = ~np.isnan(values) & ~np.isnan(base) & np.isnan(bound)
    end = _latest(values[open_rows], o.sign)
    if open_rows.sum() < min_count or not closed.any() or end is None:
        return None
    places = o.sign * (values[closed] - base[closed]) / (o.sign * (bound[closed] - base[closed]))
    gaps, room = o.sign * (values[open_rows] - base[open_rows]), o.sign * (end - base[open_rows])
    over_end = np.divide(gaps, room, out=np.zeros_like(gaps), where=room > 0)
    median = _median_room(o, df, parent)
    over_median = gaps / median if median > 0 else np.full(len(gaps), np.inf)
    return end if _ks_distance(over_end, places) < _ks_distance(over_median, places) else None


def _with_gap_range(o: Ordering, df: pd.DataFrame, parent: pd.DataFrame | None) -> Ordering:
    """`o` with the range of gaps from its base its training rows keep (`Ordering.gap_low`, `gap_high`,
    `range_gaps`), where it is a loose date and either side is kept (`relational.orders.gap_range`).
    Decoded as itself and only kept on its base's side, 3-5 % of a model's employees were born
    under 18 years before their hire, and up to 1 % over 65, where the 300 training rows hold 19 to 60."""
    if not (o.loose and o.dated) or o.timed:
        return o
    base, values = base_values(o, df, parent), as_numbers(df[o.column], order_kind(o))
    low, high = gap_range(base, values, o.sign)
    if low is None and high is None:
        return o
    gap = o.sign * (values - base)
    quantiles = np.quantile(gap[~np.isnan(gap)], np.linspace(0, 1, N_CAP_GAPS))
    return replace(o, gap_low=low, gap_high=high, range_gaps=[float(q) for q in quantiles])


def _within_gap_range(
    values: np.ndarray, base: np.ndarray, stop: np.ndarray, o: Ordering, rng: np.random.Generator
) -> np.ndarray:
    """`values`, each whose gap from `base` falls past a kept side of `o`'s range (`gap_low`, or its
    `min_gap` where greater; `gap_high`) drawn again from the training rows' gaps (`range_gaps`) within
    that range and short of the row's `stop` (`_limit`; NaN: none), so none piles on a side or on the
    column's last date (a birth drawn late, its hire counted 40 years on)."""
    low = max(-np.inf if o.gap_low is None else o.gap_low, o.min_gap if o.min_gap > 0 else -np.inf)
    high = np.inf if o.gap_high is None else o.gap_high
    gap = o.sign * (values - base)
    with np.errstate(invalid="ignore"):
        past = (gap < low) | (gap > high)  # NaN: False
    if not past.any():  # no draw: the generator's stream is left as it was
        return values
    q = np.asarray(o.range_gaps)
    share = np.linspace(0, 1, len(q))
    room = o.sign * (stop[past] - base[past])
    room = np.where(np.isnan(room), np.inf, room)
    least, most = np.interp(low, q, share), np.interp(np.minimum(high, room), q, share)  # shares of rows below
    drawn = least + rng.random(int(past.sum())) * np.maximum(most - least, 0.0)
    values = values.copy()
    values[past] = base[past] + o.sign * np.interp(drawn, share, q)
    return values


def _with_open_gaps(o: Ordering, df: pd.DataFrame, parent: pd.DataFrame | None) -> Ordering:
    """`o` with its `open_gaps` where it has a bound that some rows lack and no `open_end` (`_open_gaps`)."""
    return replace(o, open_gaps=_open_gaps(o, df, parent)) if o.bound and o.open_end is None else o


def _open_gaps(o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None) -> list[float] | None:
    """The gaps from the base (nanoseconds for dates) of the training rows holding the column but not
    its bound, at `N_CAP_GAPS` quantiles; None with fewer than `MIN_CAP_ROWS` such rows. Such a row's
    place is read over the median room (`_rooms`), but the slot is shared with the bounded rows, whose
    places pile on 1 (a discharge on the patient's death): drawn for a patient alive, such a place
    decoded to a stay of exactly the median room (209 days, the data's longest 60)."""
    kind = order_kind(o)
    base, bound = base_values(o, df, parent), as_numbers(bound_of(o, df, parent), kind)
    gap = o.sign * (as_numbers(df[o.column], kind) - base)
    gap = gap[np.isnan(bound) & ~np.isnan(gap)]
    if len(gap) < MIN_CAP_ROWS:
        return None
    return [float(q) for q in np.quantile(gap, np.linspace(0, 1, N_CAP_GAPS))]


def _ks_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The largest gap between the shares of `a` and of `b` at or below a value."""
    a, b = np.sort(a), np.sort(b)
    at = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, at, "right") / len(a) - np.searchsorted(b, at, "right") / len(b)).max())


def _rooms(o: Ordering, bound: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the room an ordering with a bound spreads its place over: to the row's bound, short
    of it by the gap the data keeps from it (`bound_gap`: the data's places still span [0, 1], a
    place of 1 is the least gap, and a round trip keeps every date), else to the open end
    (`_open_end`) where that is past the base, else the median room; and whether it is that median
    room, which a place may pass."""
    room = o.sign * (bound - base)
    if o.bound_gap:  # no room where the gap takes it all: the base
        room = np.where(room > o.bound_gap, room - o.bound_gap, np.where(np.isnan(room), np.nan, 0.0))
    to_open = np.full(len(base), np.nan) if o.open_end is None else o.sign * (o.open_end - base)
    room = np.where(np.isnan(room) & (to_open > 0), to_open, room)
    usual = np.isnan(room)
    return np.where(usual, o.room, room), usual


def _median_room(o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None) -> float:
    """The median distance from base to bound over the rows holding the column and its bound."""
    kind = order_kind(o)
    room = np.abs(as_numbers(bound_of(o, df, parent), kind) - base_values(o, df, parent))
    held = ~np.isnan(as_numbers(df[o.column], kind)) & ~np.isnan(room)
    return float(np.median(room[held])) if held.any() else 0.0


def _levels(values: pd.Series, kind: Column, min_count: int) -> tuple[float, ...] | None:
    """The few values a number column holds (`MAX_LEVELS` at most, each in `min_count` rows at least:
    a maximum score's 10, 20, 50, 100), else None. Written as an offset from its base (the score),
    a maximum was decoded on its grid anywhere past it: 30, 40, 60, 70, 80, 90, 110, 120 and 130
    out of 10, 20, 50 and 100."""
    if kind not in (Column.INTEGER, Column.NUMERIC):
        return None
    counts = pd.Series(as_numbers(values, kind)).dropna().value_counts()
    if not 1 < len(counts) <= MAX_LEVELS or counts.min() < min_count:
        return None
    return tuple(float(v) for v in sorted(counts.index))


def _gap_levels(
    o: RowOrder, df: pd.DataFrame, parent: pd.DataFrame | None, kind: Column, min_count: int
) -> tuple[float, ...] | None:
    """The gaps from its base a date holds in every training row holding both (`MAX_LEVELS` at most,
    each in `min_count` rows at least), where they are whole multiples of one step of two of the date's
    grid steps at least (a whole day for a date by the minute: not a few values by chance), else None.
    Drawn as a gap of minutes, an auction's end fell 6.78 days after its start in 0.3 to 1 % of a
    trained model's auctions, where each of the data's is 1, 3, 5 or 7 days after it."""
    values, base = as_numbers(df[o.column], kind), base_values(o, df, parent)
    gaps, grid = o.sign * (values - base), column_grid(df[o.column], kind)
    if (~np.isnan(values) & np.isnan(base)).any():
        return None  # a base missing in some rows (`_on_held_base`): decoding counts those from the fallback
    gaps = gaps[~np.isnan(gaps)]
    if grid <= 0 or not len(gaps):
        return None
    steps = np.round(gaps / grid)  # float64 holds a date's nanoseconds to 256 or so: counted in grid steps
    counts = pd.Series(steps).value_counts()
    if not 1 < len(counts) <= MAX_LEVELS or counts.min() < min_count:
        return None
    if not np.allclose(steps * grid, gaps, rtol=0, atol=_FLOAT_SLACK):
        return None
    levels = np.sort(counts.index.to_numpy(np.float64))
    return tuple(float(v) for v in levels * grid) if np.gcd.reduce(levels.astype(np.int64)) >= 2 else None


def _on_gap_levels(target: np.ndarray, base: np.ndarray, cap: np.ndarray, o: Ordering) -> np.ndarray:
    """`target` moved onto the nearest of `o.gap_levels` from `base` not past `cap` (NaN: none) nor the
    column's extreme (`_limit`: an auction starting 6 days before the data's last end, its end drawn 7
    days later, was stopped on that last end, 6.78 days after its start; 5 days now); a row with no
    level there, or no base, keeps its value."""
    levels = np.asarray(o.gap_levels, dtype=np.float64)[None, :]  # (1, k)
    at = base[:, None] + o.sign * levels  # (n, k)
    stop = _limit(o, base, cap)
    with np.errstate(invalid="ignore"):
        fits = ~(o.sign * (at - stop[:, None]) > 0) & ~np.isnan(at)
    distance = np.where(fits, np.abs(at - target[:, None]), np.inf)
    nearest = at[np.arange(len(target)), np.argmin(distance, axis=1)] if len(target) else target
    return np.where(fits.any(axis=1) & ~np.isnan(target), nearest, target)


def column_grid(values: pd.Series, kind: Column) -> float:
    """The step a column's values lie on as its encoder reads it, in the unit of `as_numbers`: a day for
    a date, a datetime's time grid, an integer's or a time's common step (epoch seconds every 300), a
    number's 10**-decimals; 0 where none. An order's `grid`, what its decoded values are kept on.
    (`sorted_siblings._whole_unit` is another thing: the coarsest of a few fixed units.)"""
    if kind is Column.TIME:  # seconds since midnight, on the step they all share (half hours: 1,800)
        x = as_numbers(values, kind)
        x = x[~np.isnan(x)]
        return float(integer_step(x)) if len(x) and np.all(x == np.round(x)) else 0.0
    if kind is Column.DATE:
        return float(DAY_NS)
    if kind is Column.DATETIME:
        decimals, step = time_grid(exact_ns(values, np.array([]), "datetime"), "datetime")
        return float(10 ** (9 - decimals) if decimals else step * _NS_PER_S)
    if kind is Column.INTEGER:  # the step every value lies on (epoch seconds every 300), as its encoder's
        x = as_numbers(values, kind)
        return float(integer_step(x[~np.isnan(x)]))
    decimals = fewest_decimals(as_numbers(values, kind))
    return 0.0 if decimals is None else 10.0**-decimals


def order_kind(o: RowOrder) -> Column:
    """The kind an order's values are read as numbers in (`as_numbers`): a date's, a time's or a number's."""
    return Column.DATETIME if o.dated else Column.TIME if o.timed else Column.NUMERIC


def with_offsets(
    df: pd.DataFrame,
    orderings: Mapping[str, Ordering],
    parent: pd.DataFrame | None = None,
    siblings: np.ndarray | None = None,
) -> pd.DataFrame:
    """`df` with each ordered column replaced by its offset from its base (>= 0; seconds for
    dates); `parent`: the parent row's columns, one row per row of `df` (for `from_parent` bases);
    `siblings`: each row's parent (any labels; for `after_sibling` columns)."""
    present = {
        b: o
        for b, o in orderings.items()
        if not o.loose and b in df.columns and (o.from_parent or o.base in df.columns)
    }
    if not present:
        return df
    out = df.copy()
    for b, o in present.items():
        if o.walk_key is not None:
            out[b] = _walk_steps(df, o, _siblings(siblings, b))
            continue
        values = as_numbers(df[b], order_kind(o))
        base = _or_fallback(o, base_values(o, df, parent), values, df, parent)  # a base missing: its fallback
        if o.after_sibling:
            ends = None if o.sibling_base is None else as_numbers(df[o.sibling_base], order_kind(o))
            base = _previous_sibling(values, base, _siblings(siblings, b), ends)
        gap = o.sign * (values - base)
        if o.first_quantiles is not None:
            first = _first_siblings(values, _siblings(siblings, b))
            gap = np.where(first, _as_step(o, gap), gap)
        if o.bound:  # where it lies between base and bound (no bound: its gap over the room to the open end)
            room, _ = _rooms(o, as_numbers(bound_of(o, df, parent), order_kind(o)), base)
            out[b] = np.divide(gap, room, out=np.zeros_like(gap), where=room > 0) + np.where(np.isnan(gap), np.nan, 0.0)
        else:
            out[b] = gap / _NS_PER_S if o.dated else gap
    return out


def _or_fallback(
    o: Ordering,
    base: np.ndarray,
    values: np.ndarray,
    own: Mapping[str, pd.Series] | pd.DataFrame,
    parent: pd.DataFrame | None,
) -> np.ndarray:
    """`base`, with `o.fallback`'s value where a row holding a value (`values`, NaN: none) lacks it: a
    review's offset from its order's purchase where the order was never delivered (`_on_held_base`)."""
    lacking = ~np.isnan(values) & np.isnan(base)
    if o.fallback is None or not lacking.any():
        return base
    fallback = as_numbers(_column_of(o.fallback, o.fallback_from_parent, own, parent), order_kind(o))
    return np.where(lacking, fallback, base)


def _siblings(siblings: np.ndarray | None, col: str) -> np.ndarray:
    if siblings is None:
        raise ValueError(f"the offset of {col!r} from the previous sibling's needs each row's parent")
    return pd.factorize(np.asarray(siblings))[0]


def _previous_sibling(
    values: np.ndarray, base: np.ndarray, siblings: np.ndarray, ends: np.ndarray | None = None
) -> np.ndarray:
    """Each row's previous sibling's value (its siblings in value order, missing ones last; the
    first: `base`), or that sibling's `ends` value where it has one (`Ordering.sibling_base`)."""
    order = np.lexsort((values, siblings))
    previous = values if ends is None else np.where(np.isnan(ends), values, ends)
    prev = pd.Series(previous[order]).groupby(siblings[order]).shift(1).to_numpy(np.float64, na_value=np.nan)
    out = np.empty_like(prev)
    out[order] = prev
    return np.where(np.isnan(out), base, out)


def base_values(o: Ordering, own: Mapping[str, pd.Series] | pd.DataFrame, parent: pd.DataFrame | None) -> np.ndarray:
    """The base's values as numbers, a timestamp's day where a date follows it (`day_base`)."""
    if getattr(o, "origin", None) is not None:  # a bare RowOrder (measuring a bound's room) has none
        origin = np.full(len(own[o.column]), o.origin)
        if o.floor is None:
            return origin
        floor = as_numbers(_column_of(o.floor, True, own, parent), order_kind(o)) + o.sign * o.floor_gap
        return o.sign * np.fmax(o.sign * origin, o.sign * floor)  # no floor (NaN): the origin
    base = as_numbers(_base_of(o, own, parent), order_kind(o))
    return day_values(base) if o.day_base else base


def _base_of(o: Ordering, own: Mapping[str, pd.Series] | pd.DataFrame, parent: pd.DataFrame | None) -> pd.Series:
    return _column_of(o.base, o.from_parent, own, parent)


def bound_of(o: RowOrder, own: Mapping[str, pd.Series] | pd.DataFrame, parent: pd.DataFrame | None) -> pd.Series:
    """The row's `bound` column: its own, or its parent row's."""
    return _column_of(o.bound, o.bound_from_parent, own, parent)


def _column_of(
    col: str, from_parent: bool, own: Mapping[str, pd.Series] | pd.DataFrame, parent: pd.DataFrame | None
) -> pd.Series:
    if not from_parent:
        return own[col]
    if parent is None or col not in parent.columns:
        raise ValueError(f"the offset from the parent's {col!r} needs the parent rows' {col!r}")
    return parent[col]


def from_offsets(
    cols: dict[str, pd.Series],
    orderings: Mapping[str, Ordering],
    parent: pd.DataFrame | None = None,
    siblings: np.ndarray | None = None,
    after: Callable[[str], None] | None = None,
    calendars: Mapping[str, Callable[[pd.Series], pd.Series]] | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, int]:
    """Turn decoded offsets back into values, in place, in field order (a base may itself be
    ordered): base + offset, on the column's grid, never across its base; `parent` and `siblings`
    as in `with_offsets`, the parent rows decoded already; an `after_sibling` column: base + the
    offsets of the row and of its earlier siblings (in row order), or the previous sibling's end +
    its offset (`sibling_base`). `calendars`: per date column, a move onto its weekdays and hours
    (`_times_of_day.early_calendars`), made before the columns counted from it read it. `after`: called
    with each column once it is decoded (and moved onto its calendar), before the columns reading it
    (`_shared_values`: a value its cousins share). Returns, per number column with an extreme, how many
    values an offset carried past it (set to it). `rng`: draws a value past its cap again within its
    room (`Ordering.cap_gaps`); None: stopped on the cap."""
    past: dict[str, int] = {}
    calendars = calendars or {}
    for c in (c for c in calendars if c not in orderings and c in cols):  # a base in no order of its own
        cols[c] = calendars[c](cols[c])
    for b, o in orderings.items():
        if b not in cols or (not o.from_parent and o.base not in cols):
            continue
        if o.sibling_base is not None and o.sibling_base in cols and o.sibling_base in orderings:
            cols[b] = _after_previous_ends(cols, o, orderings[o.sibling_base], parent, _siblings(siblings, b), rng)
        elif o.loose:
            cols[b] = _kept_past(as_numbers(cols[b], order_kind(o)), base_values(o, cols, parent), cols, parent, o, rng)
        else:
            cols[b], past[b] = _decoded(cols, o, parent, siblings, rng)
        if b in calendars:
            cols[b] = _kept_on_calendar(cols, o, parent, calendars[b])
        if after is not None:
            after(b)
    return past


def _kept_on_calendar(
    cols: Mapping[str, pd.Series], o: Ordering, parent: pd.DataFrame | None, move: Callable[[pd.Series], pd.Series]
) -> pd.Series:
    """`o`'s column moved by `move` (onto its weekdays and hours); where that crosses its base (a
    booking's start moved to the morning, before its creation that day), moved from the next day away
    from the base instead, and left as it was where that crosses its base, bound or cap too."""
    before = cols[o.column]
    moved = move(before)
    crossed = ~_keeps_order(moved, cols, o, parent, base_only=True)
    if crossed.any():
        later = move(pd.to_datetime(before[crossed]) + pd.Timedelta(days=o.sign))
        moved = moved.where(~crossed, later.reindex(moved.index))
    kept = _keeps_order(moved, cols, o, parent, base_only=False)
    return moved.where(kept, pd.to_datetime(before)).astype(before.dtype)


def _keeps_order(
    values: pd.Series, cols: Mapping[str, pd.Series], o: Ordering, parent: pd.DataFrame | None, base_only: bool
) -> np.ndarray:
    """Per row, whether `values` (as `o`'s column) keep their side of its base, and of its bound and cap
    unless `base_only`; True where one is missing."""
    x = as_numbers(values, Column.DATETIME)
    with np.errstate(invalid="ignore"):
        kept = ~(o.sign * (x - base_values(o, cols, parent)) < 0)
        if not base_only:  # a missing bound or cap (NaN) keeps every row
            bound = as_numbers(bound_of(o, cols, parent), Column.DATETIME) if o.bound else np.full(len(x), np.nan)
            for stop in (bound, cap_values(o, cols, parent, len(x))):
                kept &= ~(o.sign * (x - stop) > 0)
    return kept


def without_room(
    cols: Mapping[str, pd.Series],
    orderings: Mapping[str, Ordering],
    parent: pd.DataFrame | None,
    siblings: np.ndarray | None,
) -> np.ndarray:
    """Per decoded row, whether its parent's cap left it no room (`from_offsets` decoded already):
    a sibling key capped by its parent's date (salary rows until the termination) whose previous
    sibling already ended on the cap, so it was stopped there too, a row of no length repeating
    the previous one's start (the model gave an employee more rows than the tenure holds: 47 of
    2,455 generated salary rows repeated their employee's start at the termination date, which the
    source's UNIQUE (employee_id, valid_from) refuses). Likewise a sequence from a constant origin
    summed past the column's latest value (the data's end) after a sibling on or past it, which
    `_within_latest` leaves no room before it: a store's days after its last one on the data's last
    day (10 of 286 generated days of an untrained model's two-week panel past the data's end). So does a
    row but the first started past the latest from its previous sibling's end (`sibling_base`,
    `_after_previous_ends`): the chain ends at the data's end, as the data's do, its gaps as drawn (195 of
    5,895 salary periods a weak model generated started past it)."""
    n = len(next(iter(cols.values()))) if cols else 0
    out = np.zeros(n, dtype=bool)
    for b, o in orderings.items():
        if o.after_sibling and o.extreme is not None and b in cols and siblings is not None:
            out |= _past_latest(as_numbers(cols[b], order_kind(o)), o, _siblings(siblings, b), cols)
        if not (o.after_sibling and o.cap and o.cap_from_parent and o.dated) or b not in cols or siblings is None:
            continue
        start, cap = as_numbers(cols[b], order_kind(o)), cap_values(o, cols, parent, n)
        end = start if o.sibling_base not in cols else as_numbers(cols[o.sibling_base], order_kind(o))
        end = np.where(np.isnan(end), start, end)
        previous = pd.Series(end).groupby(_siblings(siblings, b)).shift(1).to_numpy(np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            out |= (o.sign * (start - cap) >= 0) & (o.sign * (previous - cap) >= 0)
    return out


def with_ends_of_dropped_tails(
    cols: dict[str, pd.Series], orderings: Mapping[str, Ordering], siblings: np.ndarray | None, gone: np.ndarray
) -> None:
    """Give each parent's last row kept the end (`sibling_base`) of its last row, where `without_room`
    drops the rows after it (`gone`: a series cut at the data's end, `_before_the_end`), in place: that
    row's end, missing where the series is still open (a current salary), is the series' (a rule such
    as `last_nulls` set it on the generated last row). Cut without it, 81 % of current employees kept a
    current salary, 86 % before the cut. Not where only a cap dropped them (`without_room`'s other case:
    a terminated employee's salary past the termination): the kept row ends there, not open. Nor a closed
    end past the data's latest end (`_latest_end`): the kept row keeps its own."""
    if siblings is None or not gone.any():
        return
    for o in orderings.values():
        if not (o.after_sibling and o.sibling_base in cols and o.extreme is not None and o.dated):
            continue
        with np.errstate(invalid="ignore"):  # NaN: not past
            past = gone & (o.sign * (as_numbers(cols[o.column], order_kind(o)) - o.extreme) > 0)
        if not past.any():
            continue
        by_parent = pd.DataFrame({"parent": _siblings(siblings, o.column), "gone": past})
        last_row = by_parent.groupby("parent").cumcount(ascending=False).to_numpy() == 0
        kept_last = (
            ~gone
            & (by_parent.loc[~gone].groupby("parent").cumcount(ascending=False) == 0)
            .reindex(by_parent.index, fill_value=False)
            .to_numpy()
        )
        cut = by_parent.groupby("parent")["gone"].transform("any").to_numpy()
        end = cols[o.sibling_base]
        tails = pd.Series(end[last_row].to_numpy(), index=by_parent["parent"][last_row].to_numpy())
        rows = np.flatnonzero(kept_last & cut)
        carried = tails.reindex(by_parent["parent"].to_numpy()[rows])
        latest = _latest_end(orderings, o)
        with np.errstate(invalid="ignore"):  # NaN: an open end, carried
            past_end = o.sign * (as_numbers(carried, order_kind(o)) - latest) > 0
        rows, carried = rows[~past_end], carried.to_numpy()[~past_end]
        cols[o.sibling_base] = end.copy()
        cols[o.sibling_base].iloc[rows] = carried


def _latest_end(orderings: Mapping[str, Ordering], o: Ordering) -> float:
    """The latest end (`o.sibling_base`) a kept row may take from a dropped one: the data's latest end where
    the end's own ordering keeps it, else the latest start (`o.extreme`): a dropped row's closed end past it
    would end the kept row past the data (a salary kept in 2020 ending in August 2021)."""
    end = orderings.get(o.sibling_base)
    if end is not None and end.extreme is not None and end.sign == o.sign:
        return end.extreme
    return o.extreme


def _past_latest(values: np.ndarray, o: Ordering, siblings: np.ndarray, cols: Mapping[str, pd.Series]) -> np.ndarray:
    """Whether each value is past the column's latest (`o.extreme`) after any previous sibling (a date
    from the previous sibling's end: `_after_previous_ends`), or after one on or past it (a sequence from
    an `origin`: `_within_latest`); False for other orders."""
    with np.errstate(invalid="ignore"):
        past = o.sign * (values - o.extreme) > 0  # NaN: False
        if o.sibling_base is not None and o.sibling_base in cols and o.dated:
            return past & (pd.Series(values).groupby(siblings).cumcount().to_numpy() > 0)
        if o.origin is not None:
            previous = pd.Series(values).groupby(siblings).shift(1).to_numpy(np.float64, na_value=np.nan)
            return past & (o.sign * (previous - o.extreme) >= 0)
    return np.zeros(len(values), dtype=bool)


def warn_past_extremes(
    table: str, past: Mapping[str, int], orderings: Mapping[str, Ordering], n: int, parent: str | None = None
) -> None:
    """Warn where offsets carried more of `n` generated values past their column's extreme than
    the training rows hold there (5 points more at least): set to it, they pile up at one value
    (half of a weak model's prices at the least price, counted down from a distance) where a model
    that learnt the offset would have left them spread."""
    for b, k in past.items():
        o = orderings[b]
        if n and k / n > o.at_extreme + 0.05:
            base = f"{parent}.{o.base}" if o.from_parent else o.base
            side = "least" if o.sign < 0 else "greatest"
            log.warning(
                "%s.%s: %d of %d generated values (%.0f %%) were counted past the column's %s value %s from %s "
                "(%s in every training row, where %.1f %% hold that value) and set to it: the model has not learnt "
                "that offset; train it longer or on more entities, or model the column on its own "
                "(TabularPreproc keep_orders=False; Kedro: tabular_encoding.keep_orders: false)",
                table,
                b,
                k,
                n,
                100 * k / n,
                side,
                f"{o.extreme:g}",
                base,
                o.describe(parent),
                100 * o.at_extreme,
            )


def _decoded(
    cols: Mapping[str, pd.Series],
    o: Ordering,
    parent: pd.DataFrame | None,
    siblings: np.ndarray | None,
    rng: np.random.Generator | None = None,
) -> tuple[pd.Series, int]:
    """Column `o.column`'s values from its decoded offsets in `cols` (its base decoded already),
    and how many a number's offset carried past its extreme (`warn_past_extremes`)."""
    b = o.column
    if o.walk_key is not None:
        return _walked(cols, o, _siblings(siblings, b)), 0
    base = base_values(o, cols, parent)
    if o.near:  # a signed gap: no side to keep
        offset = to_numbers(cols[b]).to_numpy(np.float64, na_value=np.nan)
        if o.dated:  # seconds from a date of the row, never before the base of the order it was in
            target = base + offset * _NS_PER_S
            if o.near_floor is not None:
                floor = as_numbers(_column_of(o.near_floor, o.near_floor_from_parent, cols, parent), order_kind(o))
                past = target < floor if o.near_floor_sign > 0 else target > floor  # NaN floor: False, kept
                target = np.where(past, floor, target)
            return _near_dates(target, o), 0
        return _near_numbers(base + offset, o), 0
    if o.fallback is not None and np.isnan(base).any():  # a row the model gave no base (an order not shipped)
        base = _or_fallback(o, base, np.zeros(len(base)), cols, parent)
    cap = cap_values(o, cols, parent, len(base))
    offset = to_numbers(cols[b]).to_numpy(np.float64, na_value=np.nan)
    if o.bound:
        bound = as_numbers(bound_of(o, cols, parent), order_kind(o))
        room, usual = _rooms(o, bound, base)
        place = np.where(usual, np.maximum(offset, 0.0), np.clip(offset, 0.0, 1.0))  # the usual room may pass 1
        target = base + o.sign * place * room
        if o.open_gaps is not None and rng is not None:
            target = _within_open_gaps(target, base, usual, o, rng)
        bound = bound - o.sign * o.bound_gap  # the least gap the data keeps from it (none: 0)
    else:
        if o.after_sibling:  # a missing value adds nothing
            own = np.nan_to_num(offset)
            first = pd.Series(own).groupby(_siblings(siblings, b)).cumcount().to_numpy() == 0
            if o.first_quantiles is not None:
                own = np.where(first, _from_step(o, own), own)
            own = _at_least_gaps(o, own, ~np.isnan(offset), first)
            summed = pd.Series(own).groupby(_siblings(siblings, b)).cumsum().to_numpy()
            offset = np.where(np.isnan(offset), np.nan, summed)
        target = base + o.sign * offset * (_NS_PER_S if o.dated else 1.0)
        if o.gap_levels and not o.after_sibling:  # an end 1, 3, 5 or 7 days after its start: on one of them
            target = _on_gap_levels(target, base, cap, o)
        if o.after_sibling:  # each row decoded from its previous sibling's value (`_limit`)
            base = target - o.sign * own * (_NS_PER_S if o.dated else 1.0)
        if o.cap_gaps is not None and rng is not None:
            target, base = _within_cap(target, base, cap, o, _siblings(siblings, b) if o.after_sibling else None, rng)
        if o.after_sibling and o.origin is not None and o.extreme is not None and rng is not None:
            target, base = _within_latest(target, base, o, _siblings(siblings, b), rng)
        elif o.dated and not o.after_sibling and o.extreme is not None and not o.at_extreme and rng is not None:
            target = _before_latest(target, base, cap, o, rng)
        bound = cap
    past = (
        0 if o.dated or o.timed or o.extreme is None else int((o.sign * (target - o.extreme) > 0).sum())
    )  # NaN: False
    limit = _limit(o, base, bound)
    return (_dates(target, base, limit, o) if o.dated else _numbers(target, base, limit, o)), past


def _within_cap(
    target: np.ndarray,
    base: np.ndarray,
    cap: np.ndarray,
    o: Ordering,
    siblings: np.ndarray | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """`target` and `base`, each value on or past its cap (which no training row lies on) drawn again
    a gap before it from `o.cap_gaps` restricted to its room from `base`: stopped on the cap, a
    ticket's messages drawn past its close piled on its closing second. Siblings counted from one
    another (`siblings`: a row's parent, else None) past the cap share the room from the last one
    before it, their gaps dealt in decreasing order so they keep theirs; a room smaller than every
    gap the data holds takes a share of it; no room (a base on the cap): left to be stopped there."""
    with np.errstate(invalid="ignore"):
        past = o.sign * (target - cap) >= 0  # NaN: False
    return _drawn_within(target, base, cap, past, np.asarray(o.cap_gaps), o.sign, siblings, rng)


def _within_open_gaps(
    target: np.ndarray, base: np.ndarray, usual: np.ndarray, o: Ordering, rng: np.random.Generator
) -> np.ndarray:
    """`target`, each row lacking its bound (`usual`: its place read over the median room) whose gap
    from `base` passes every such training row's (`o.open_gaps`) drawn again from their gaps: its
    place came from the bounded rows' share of the slot (1: on the bound), meaningless without one."""
    q = np.asarray(o.open_gaps)
    with np.errstate(invalid="ignore"):
        past = usual & (o.sign * (target - base) > q[-1])  # NaN: False
    if not past.any():  # no draw: the generator's stream is left as it was
        return target
    gap = np.interp(rng.random(int(past.sum())), np.linspace(0, 1, len(q)), q)
    target = target.copy()
    target[past] = base[past] + o.sign * gap
    return target


def _within_latest(
    target: np.ndarray, base: np.ndarray, o: Ordering, siblings: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`target` and `base` of a sequence from a constant origin (`sequence_ordering`: a user's
    ratings by their unix-epoch second), each value summed past the column's latest (`extreme`, the
    data's end: no training row passes it) drawn again within the room its siblings left before it,
    as past a cap (`_within_cap`, no gaps known: uniformly). Without it a weak model's steps, summed
    over a long entity, ran past the data's latest in 23 of 2,510 generated ratings; stopped on it, they
    would pile up at one instant."""
    latest = np.full(len(target), o.extreme)
    with np.errstate(invalid="ignore"):
        past = o.sign * (target - latest) > 0  # NaN: False; on the latest is a value the data holds
    return _drawn_within(target, base, latest, past, np.empty(0), o.sign, siblings, rng)


def _before_latest(
    target: np.ndarray, base: np.ndarray, cap: np.ndarray, o: Ordering, rng: np.random.Generator
) -> np.ndarray:
    """`target`, each date without a cap that its offset carried past the column's latest (`extreme`,
    the data's end: no pile of training rows on it, `at_extreme` 0) drawn again uniformly within the
    room from its base to it. Stopped on it, a ticket's offset from its customer's signup, drawn with
    no regard to how late the signup was, put 40 of 252 generated tickets on the data's last minute,
    which one real ticket holds."""
    latest = np.full(len(target), o.extreme)
    with np.errstate(invalid="ignore"):
        past = (o.sign * (target - latest) > 0) & np.isnan(cap)  # NaN target or base: False
    return _drawn_within(target, base, latest, past, np.empty(0), o.sign, None, rng)[0]


def _drawn_within(
    target: np.ndarray,
    base: np.ndarray,
    cap: np.ndarray,
    past: np.ndarray,
    q: np.ndarray,
    sign: int,
    siblings: np.ndarray | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """`target` and `base`, the `past` rows drawn again a gap before their `cap` (from the gaps at
    quantiles `q` within their room where some fit, else a share of the room: `_within_cap`)."""
    if not past.any():
        return target, base
    rows = np.flatnonzero(past)
    start = base[rows]
    if siblings is not None:  # the later siblings' bases are past the cap too: the first one's base
        start = pd.Series(start).groupby(siblings[rows]).transform("first").to_numpy()
    room = sign * (cap[rows] - start)
    levels = np.linspace(0, 1, len(q))
    top = np.interp(room, q, levels) if len(q) else np.zeros(len(rows))  # the share of the data's gaps in the room
    u = rng.random(len(rows))
    gap = np.where(top > 0, np.interp(u * top, levels, q), u * room) if len(q) else u * room
    if siblings is not None:  # in decreasing order within each parent: siblings keep their order
        by_parent = np.lexsort((rows, siblings[rows]))
        target_order = np.lexsort((-gap, siblings[rows]))
        sorted_gap = np.empty_like(gap)
        sorted_gap[by_parent] = gap[target_order]
        gap = sorted_gap
    ok = room > 0
    target, base = target.copy(), base.copy()
    target[rows[ok]], base[rows[ok]] = cap[rows[ok]] - sign * gap[ok], start[ok]
    return target, base


def _after_previous_ends(
    cols: Mapping[str, pd.Series],
    o: Ordering,
    end: Ordering,
    parent: pd.DataFrame | None,
    siblings: np.ndarray,
    rng: np.random.Generator | None = None,
) -> pd.Series:
    """Dates `o.column` that each start after the previous sibling's `end` column (`sibling_base`;
    the first sibling: after its base, its parent's date or the column's `origin`), sibling by
    sibling in row order: each rank's starts from the previous rank's ends, decoded from their
    offsets (`end`, based on the start) just as `from_offsets` decodes them next. `rng`: a start
    drawn past its cap is drawn again within the room the previous end left before it (`_within_cap`):
    stopped on it, a stay after the previous one's discharge was admitted on the patient's death,
    of no length (13 of 1,193 stays a trained model generated)."""
    n = len(siblings)
    offset = to_numbers(cols[o.column]).to_numpy(np.float64, na_value=np.nan)
    first = base_values(o, cols, parent)
    cap = cap_values(o, cols, parent, n)
    rank = pd.Series(siblings).groupby(siblings).cumcount().to_numpy()
    previous = pd.Series(np.arange(n)).groupby(siblings).shift(1).to_numpy(np.float64, na_value=-1).astype(np.int64)
    own = (end.column, None if end.bound_from_parent else end.bound, None if end.cap_from_parent else end.cap)
    needed = [c for c in own if c is not None and c in cols]
    out = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    starts, last = np.full(n, np.nan), np.full(n, np.nan)  # `last`: a row's end, else its start, else what it followed
    squeezed = np.zeros(n, dtype=bool)  # drawn again within the room before the column's latest
    by_rank = np.argsort(rank, kind="stable")
    for r, rows in enumerate(np.split(by_rank, np.flatnonzero(np.diff(rank[by_rank])) + 1) if n else []):
        base = first[rows] if r == 0 else last[previous[rows]]
        drawn = _at_least_gaps(o, offset[rows], ~np.isnan(offset[rows]), np.full(len(rows), r == 0))
        target = base + drawn * _NS_PER_S
        if o.cap_gaps is not None and rng is not None:  # each row its own room: from its previous end
            target, _ = _within_cap(target, base, cap[rows], o, None, rng)
        limit = _limit(o, base, cap[rows])
        if o.extreme is not None and rng is not None:  # past the data's end (`_past_latest`)
            before = squeezed[previous[rows]] if r else np.zeros(len(rows), dtype=bool)  # a first's: -1, none
            target, limit, squeezed[rows] = _before_the_end(target, base, cap[rows], o, before, rng)
        decoded = _dates(target, base, limit, o)
        out.iloc[rows], starts[rows] = decoded.to_numpy(), as_numbers(decoded, order_kind(o))
        mine = {c: cols[c].iloc[rows].reset_index(drop=True) for c in needed}
        mine[o.column] = decoded
        above = None if parent is None else parent.iloc[rows].reset_index(drop=True)
        ends = as_numbers(_decoded(mine, end, above, siblings[rows])[0], order_kind(end))
        last[rows] = np.where(np.isnan(ends), np.where(np.isnan(starts[rows]), base, starts[rows]), ends)
    return out


def _before_the_end(
    target: np.ndarray, base: np.ndarray, cap: np.ndarray, o: Ordering, squeezed: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One rank of siblings from their previous ends (`_after_previous_ends`) whose starts `target` pass
    the column's latest (`o.extreme`, the data's end): drawn again within the room before it, as
    `_within_latest` does, unless the previous sibling was (`squeezed`, a first sibling's: its parent
    row, never): that one is left past it, neither piled on it nor squeezed in after it, for
    `without_room` to drop, the series ending at the data's end as the data's do, its gaps as drawn. Returns
    the targets, where decoding stops (`_limit`) and which were drawn again. A chain of salary periods
    kept no latest: 195 of 5,895 a weak model generated started past the data's end."""
    latest = np.full(len(target), o.extreme)
    with np.errstate(invalid="ignore"):
        past = o.sign * (target - latest) > 0  # NaN: False
        room = o.sign * (latest - base) > 0
    redrawn = past & ~squeezed & room
    target, _ = _drawn_within(target, base, latest, redrawn, np.empty(0), o.sign, None, rng)
    limit = np.where(past & ~redrawn, _limit(replace(o, extreme=None), base, cap), _limit(o, base, cap))
    return target, limit, redrawn


def _kept_past(
    values: np.ndarray,
    base: np.ndarray,
    cols: Mapping[str, pd.Series],
    parent: pd.DataFrame | None,
    o: Ordering,
    rng: np.random.Generator | None = None,
) -> pd.Series:
    """A `loose` date decoded as itself, moved onto its base (or bound, or cap) where it falls past it,
    its base counted `min_gap` further (a hire at 19 at least): the gap is kept first, past the column's
    latest date if need be (a birth drawn late), as an order is (`_limit`). A loose number likewise,
    on its grid and its levels (`_numbers`). A missing value stays missing (fmax took the base for it: a
    shop's unrecorded customers came back as its sales). `rng`: a gap past the range the training rows
    keep is drawn again within it first (`_within_gap_range`)."""
    bound = as_numbers(bound_of(o, cols, parent), order_kind(o)) if o.bound else cap_values(o, cols, parent, len(base))
    if o.range_gaps is not None and rng is not None:
        values = _within_gap_range(values, base, _limit(o, base, bound), o, rng)
    base = base + o.sign * o.min_gap
    target = np.where(np.isnan(base), values, o.sign * np.maximum(o.sign * values, o.sign * base))
    return (_dates if o.dated else _numbers)(target, base, _limit(o, base, bound), o)


def cap_values(o: Ordering, cols: Mapping[str, pd.Series], parent: pd.DataFrame | None, n: int) -> np.ndarray:
    """The row's `cap` values as numbers (NaN: none), a timestamp capping a date as its day (`cap_day`)."""
    if o.cap is None:
        return np.full(n, np.nan)
    cap = as_numbers(_column_of(o.cap, o.cap_from_parent, cols, parent), order_kind(o))
    return day_values(cap) if o.cap_day else cap


def _limit(o: Ordering, base: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Where decoding stops: the row's bound or cap (`stop`), else the column's extreme, but never
    short of the base (the order is kept first: a parent whose death was drawn before its birth);
    NaN: nowhere. A date's extreme stops an offset carried past the column's dates from a base
    among them, not a base already past them (a previous sibling's end, summed from gaps the model
    drew: pulled back to it, every later session of a user fell on one instant, of zero length)."""
    extreme = np.full(len(base), np.nan if o.extreme is None else o.extreme)
    if o.dated:
        extreme[o.sign * (base - extreme) >= 0] = np.nan  # NaN base: False, the extreme kept
    stop = np.where(np.isnan(stop), extreme, stop)
    return np.where(np.isnan(base) | np.isnan(stop), stop, o.sign * np.maximum(o.sign * stop, o.sign * base))


def _on_grid(target: np.ndarray, base: np.ndarray, bound: np.ndarray, o: Ordering, slack: float = 0.0) -> np.ndarray:
    """`target` rounded onto the grid toward its base's side, one step back where that crosses it;
    never past the bound (NaN: none); `slack`: how far float rounding may have moved the three."""
    if not o.grid:
        snapped = np.where(o.sign * (target - base) < 0, base, target)
    else:
        steps = np.floor((target + slack) / o.grid) if o.sign > 0 else np.ceil((target - slack) / o.grid)
        snapped = steps * o.grid
        crossed = o.sign * (snapped - base) < -slack  # a base finer than the column's grid
        snapped = np.where(crossed, snapped + o.sign * o.grid, snapped)
    return np.where(o.sign * (snapped - bound) > slack, bound, snapped)  # a bound finer than the grid


def _dates(target: np.ndarray, base: np.ndarray, bound: np.ndarray, o: Ordering) -> pd.Series:
    missing = np.isnan(target)
    t = np.where(missing, 0, _back_by_days(target, base, bound, o))
    slack = _FLOAT_SLACK if o.grid > _FLOAT_SLACK else 0.0
    snapped = _on_grid(np.round(t), np.where(missing, 0, base), np.where(missing, np.nan, bound), o, slack)
    snapped = np.clip(snapped, _FIRST_NS, _LAST_NS)  # a model saved without its latest date: no int64 overflow
    out = pd.Series(_on_grid_ns(snapped, o.grid).astype("datetime64[ns]"))
    out[missing] = pd.NaT
    return out


def _back_by_days(target: np.ndarray, base: np.ndarray, stop: np.ndarray, o: Ordering) -> np.ndarray:
    """A timestamp drawn past a stop at a day's start (a date: the patient's death) moved back by
    whole days onto the stop's side, keeping its time of day, where that keeps it on its base's side:
    set onto the stop, 43 of 722 generated admissions fell at midnight on the death's day, a time
    no admission of the data has. Elsewhere (no whole day of room, or a stop within a day) as before."""
    if o.grid >= DAY_NS:
        return target
    with np.errstate(invalid="ignore"):
        past = o.sign * (target - stop)
        moved = target - o.sign * (np.floor(past / DAY_NS) + 1) * DAY_NS
        kept = (past > 0) & (stop % DAY_NS == 0) & ~(o.sign * (moved - base) < 0)  # NaN base: kept
    return np.where(kept, moved, target)


def _on_grid_ns(ns: np.ndarray, grid: float) -> np.ndarray:
    """Float nanoseconds as int64, exactly on the grid where they lie within float rounding of it:
    past 2^62 ns (2116) a float64 holds them to 1,024 ns only, so a whole second came back 512 ns off."""
    out = ns.astype(np.int64)
    if grid <= _FLOAT_SLACK:
        return out
    steps = np.round(ns / grid)
    near = np.abs(ns - steps * grid) <= _FLOAT_SLACK
    return np.where(near, steps.astype(np.int64) * np.int64(grid), out)


def _numbers(target: np.ndarray, base: np.ndarray, bound: np.ndarray, o: Ordering) -> pd.Series:
    missing = np.isnan(target)
    if o.levels and not o.after_sibling:  # a sibling's step (a sequence's 1, 2, 3) counts on past them
        target = _on_levels(target, base, bound, o)
    target = np.where(missing, 0.0, target)
    snapped = _on_grid(
        target, np.where(missing, 0.0, base), np.where(missing, np.nan, bound), o, _number_slack(target, o)
    )
    if o.grid:  # the grid's own decimals: 0.1 * 3 is 0.30000000000000004
        snapped = np.round(snapped, _grid_decimals(o.grid))
    out = pd.Series(np.where(missing, np.nan, snapped))
    if o.timed:
        return _times(out.to_numpy(np.float64))
    return out.round().astype("Int64") if o.integer else out


def _number_slack(target: np.ndarray, o: Ordering) -> np.ndarray | float:
    """How far float rounding may have moved a decoded number off its grid point: 0.2 + 0.1 is
    0.30000000000000004 but 0.2 + (0.3 - 0.2) is 0.29999999999999993, which the grid's floor took to
    0.2 (a first weight of 0.3 decoded 0.2 from its own exact offset)."""
    return np.abs(target) * 1e-12 + o.grid * 1e-9 if o.grid else 0.0


def _on_levels(target: np.ndarray, base: np.ndarray, bound: np.ndarray, o: Ordering) -> np.ndarray:
    """`target` moved onto the nearest of `o.levels` on the base's side (NaN base: any) and not past
    `bound` (NaN: none); a row with no level there keeps its value."""
    levels = np.asarray(o.levels, dtype=np.float64)[None, :]  # (1, k)
    with np.errstate(invalid="ignore"):
        fits = ~(o.sign * (levels - base[:, None]) < 0) & ~(o.sign * (bound[:, None] - levels) < 0)  # (n, k)
    distance = np.where(fits, np.abs(levels - target[:, None]), np.inf)
    nearest = levels[0, np.argmin(distance, axis=1)] if len(target) else target
    return np.where(fits.any(axis=1) & ~np.isnan(target), nearest, target)


def _times(seconds: np.ndarray) -> pd.Series:
    """Seconds since midnight (NaN: missing) as `datetime.time` objects, as a time column holds them."""
    micros = np.round(np.nan_to_num(seconds) * 1e6).astype(np.int64)
    out = [None if np.isnan(x) else time_of_day(m) for x, m in zip(seconds, micros, strict=True)]
    return pd.Series(out, dtype=object)


def _near_numbers(target: np.ndarray, o: Ordering) -> pd.Series:
    """A near number's values (`RowOrder.near`), rounded to the nearest step of the column's grid."""
    out = pd.Series(target if not o.grid else np.round(np.round(target / o.grid) * o.grid, _grid_decimals(o.grid)))
    if o.timed:
        return _times(out.to_numpy(np.float64))
    return out.round().astype("Int64") if o.integer else out


def _near_dates(target: np.ndarray, o: Ordering) -> pd.Series:
    """A near date's values (nanoseconds, NaN: missing), on the nearest step of the column's grid."""
    missing = np.isnan(target)
    ns = np.where(missing, 0.0, target if not o.grid else np.round(target / o.grid) * o.grid)
    out = pd.Series(_on_grid_ns(np.clip(ns, _FIRST_NS, _LAST_NS), o.grid).astype("datetime64[ns]"))
    out[missing] = pd.NaT
    return out


def _grid_decimals(grid: float) -> int:
    return max(0, int(round(-np.log10(grid))))


def orderings_from_dict(d: Mapping[str, Mapping[str, Mapping]]) -> dict[str, dict[str, Ordering]]:
    return {t: {b: Ordering(**{"column": b, **o}) for b, o in cols.items()} for t, cols in d.items()}

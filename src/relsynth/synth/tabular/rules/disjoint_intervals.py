"""Intervals a parent's rows never overlap: a room's bookings (start_at to end_at), one at a time.

Orders within rows keep each row's end on or after its start, but nothing kept two siblings
apart: the model writes each row's dates on their own, and 5.6 % of a booking database's generated
bookings overlapped another of their room (none in the data). Where the siblings follow one another
as a sequence, `orderings` keeps them apart already (`Ordering.sibling_base`: a stay admitted after
the previous discharge); a room's bookings over a fixed window are no sequence (a busy room's come
closer together), so no sibling key holds them.

The fit keeps, per child table, the first pair (start, end) of an order within rows (a date on or
after another date of its row) whose intervals, sorted by start under each parent, never overlap
over at least `MIN_ROWS` consecutive pairs, where the same starts with the durations of other rows
would (`MIN_CHANCE` overlaps at least: short events far apart, which nothing could overlap, keep no
rule); where all the rows do overlap, the rows of the categorical label, of most rows, that never do
(`where`: a room's confirmed bookings, a cancelled booking's slot booked again: 665 of 3,172 generated
confirmed bookings overlapped one), with the rows of each other label of that column that never
overlap them either where, put at random starts, they would `MIN_CHANCE` times at least (a room's
no-shows, which hold the room as a confirmed booking does: 2.3 % of a hotel's generated bookings that
were not cancelled overlapped one when only the confirmed were kept apart). Generation, once the table's dates are decoded, takes each parent's rows in order of start and
moves one overlapping a row kept before by the nearest whole number of days that puts it in a free
place within the data's range, on a weekday the data's starts hold, whole weeks first where they
leave a weekday out (a Monday booking stays a Monday where it can, at its hour; 45 of 3,200 generated
bookings found no free place by whole weeks alone, none by days after them). Every date of its row ordered with
the two moves along (a booking's creation and cancellation: its lead time and orders hold). A row
with no free place is dropped where no table nests under it, else left as it is; a warning counts
either. Only where no date of the group is ordered with, or moved by a rule after, a date of
another row (a parent's, a sibling's): a move could break that. Not fitted under DP.

A copy's loans (loan_date to returned_date) are such intervals too, but each loan's date is on or
after its copy's acquisition, its due date raised to its member's joining by a later rule, and the
most recent loans are not returned yet (no end): 11-12 % of a library's generated loans overlapped
another of their copy, the open one its copy's last in 0.70-0.78 (1.0 in the data); moved one by
one to a free place, 13-15 % went past the data's last date. Where the rows' starts are only on or
after a parent's date, dates are raised by rules after only (`_raises`), and a row with no end is
always its parent's last (`_open_last`), a `sequence` rule lays each parent's overlapping rows out
again (`_relaid`): in order, the open one last, from the parent's first start to the data's last
end (last start, with an open one), with their lengths and the spread of their starts; none went
past the data's range, and only the rows of a parent whose lengths overrun the window are dropped
(1 and 4 of 2,400 loans). An open row starting before the data's earliest open one (a loan out
since long before: a fifth of the generated open loans) moves later, past it (`_open_recent`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED, DAY_NS, as_numbers
from relsynth.synth.tabular.rules.times_of_day import named_columns

log = logging.getLogger(__name__)
MIN_ROWS = 20  # consecutive sibling pairs holding both dates, at least
MIN_CHANCE = 10  # overlaps the same starts with shuffled durations give, at least: else no evidence
MAX_DAYS = 366  # days a row is moved at most each way before it has no free place
# rules that move dates across rows later in decoding: a group they read or move is left alone
MOVING = ("ancestor_orders", "lookup_orders", "reference_sides", "sibling_spans", "parent_ends", "category_gaps")


def find_disjoint_intervals(pre, data: RelationalData) -> list[dict]:
    """[{"table", "start", "end", "moved", "weekdays", "low", "high"}]: `table`'s rows under one parent
    never overlap from `start` to `end`; `moved` the dates of a row that move with them, by whole
    days, onto the `weekdays` the starts hold (Monday 0), within [`low`, `high`] (the data's first
    start, last end)."""
    moving = moved_columns(data.schema, [r for key in MOVING for r in pre.stats.get(key, [])])
    # the same but for rules that only raise a date to another row's (`_raises`): a lay-out may keep them
    breaking = moved_columns(data.schema, [r for key in MOVING for r in pre.stats.get(key, []) if not _raises(key, r)])
    out = []
    for table, found in pre.orderings.items():
        edge = data.schema.parent(table)
        if edge is None or any(o.sibling_base for o in found.values()):  # kept apart as a sequence already
            continue
        kinds = {c: k.kind for c, k in data.schema.tables[table].columns.items()}
        for o in found.values():
            if not is_interval(o, kinds):
                continue
            group, sequence = _moved_together(found, {o.base, o.column}, kinds), False
            if group is None or any((table, c) in moving for c in group):
                group, sequence = _moved_together(found, {o.base, o.column}, kinds, floors=True), True
                if group is None or any((table, c) in breaking for c in group):
                    continue
            frame = data[table]
            start, end = as_numbers(frame[o.base], kinds[o.base]), as_numbers(frame[o.column], kinds[o.column])
            parents = frame[edge.fk].to_numpy()
            where = None if _kept_apart(parents, start, end) else _label_kept_apart(frame, kinds, parents, start, end)
            if where is None and _has_open(start, end) and _open_last(parents, start, end):
                sequence = True  # rows with no end, each its parent's last (a copy rented out now): laid out in order
            if where is False or (sequence and (where is not None or not _open_last(parents, start, end))):
                continue
            days = sorted(int(d) for d in pd.to_datetime(frame[o.base]).dropna().dt.dayofweek.unique())
            rule = {"table": table, "start": o.base, "end": o.column, "moved": sorted(group), "weekdays": days}
            rule |= {"low": float(np.nanmin(start)), "high": float(np.nanmax(end))}
            rule |= {} if where is None else {"where": where}
            if sequence:  # laid out again, not moved one by one: `_relaid`
                rule |= {"sequence": True, "open": bool(np.isnan(end[~np.isnan(start)]).any()), "grid": float(o.grid)}
                rule |= {"last_start": float(np.nanmax(start))}
                opened = start[~np.isnan(start) & np.isnan(end)]
                rule |= {"open_low": float(opened.min())} if len(opened) else {}
            log.info(
                "%s: %s to %s never overlap under one %s row%s: kept apart",
                table,
                o.base,
                o.column,
                edge.parent,
                "" if where is None else f" among rows of {where[0]} {', '.join(map(repr, where[1:]))}",
            )
            out.append(rule)
            break  # one pair a table: two could push one another's rows around
    return out


def moved_columns(schema, rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) the `rules` name in the table each moves a date of (its `table`) or in the
    tables nested under it (the dates that follow a moved row's): a date of another table a rule
    only reads (a payment moved within the span of its customer's rentals) is decoded before the
    rule runs, so a lay-out of that table's rows, done at its decoding, is what the rule reads
    (Sakila's rentals of one copy overlapped 18 % of the time, their lay-out refused)."""
    out = set()
    for rule in rules:
        tables = set(schema.depth_first(rule["table"]))
        out |= {(t, c) for t, c in named_columns(schema, [rule]) if t in tables}
    return out


def _label_kept_apart(
    frame: pd.DataFrame, kinds: Mapping[str, Column], parents: np.ndarray, start: np.ndarray, end: np.ndarray
) -> list | bool:
    """[column, label, *labels] of the categorical label whose rows alone never overlap (`_kept_apart`:
    a room's confirmed bookings, a cancelled one's slot booked again), the one of most rows, then the
    other labels of its column whose rows join them (`_joins_apart`: a room's no-shows); False
    without one."""
    best, rows = False, 0
    for c in (c for c, k in kinds.items() if k is Column.CATEGORICAL):
        for label, n in frame[c].value_counts().items():
            held = _rows_of(frame[c], label)
            if n > rows and _kept_apart(parents[held], start[held], end[held]):
                best, rows = [c, _plain(label)], n
    if best is False:
        return best
    column = frame[best[0]]
    kept = _rows_of(column, best[1])
    for label in column.value_counts().index:  # most rows first
        if _plain(label) != best[1] and _joins_apart(parents, start, end, kept, held := _rows_of(column, label)):
            best, kept = [*best, _plain(label)], kept | held
    return best


def _rows_of(column: pd.Series, label) -> np.ndarray:
    """Whether each row holds `label` (a nullable code's <NA>: not the label)."""
    return (column == label).fillna(False).to_numpy(dtype=bool)


def _plain(label):
    """A label as a plain Python value (numpy's scalars are not JSON)."""
    return label.item() if hasattr(label, "item") else label


def _joins_apart(parents: np.ndarray, start: np.ndarray, end: np.ndarray, kept: np.ndarray, added: np.ndarray) -> bool:
    """Whether the `added` rows overlap neither one another nor the `kept` rows under one parent,
    where, put at starts drawn from the data's (their durations kept), they would `MIN_CHANCE` times
    at least: a few rows far apart are no evidence."""
    both = kept | added
    if count_overlaps(parents[both], start[both], end[both]) > 0:
        return False
    rows = np.flatnonzero(added & ~np.isnan(start) & ~np.isnan(end))
    starts = start[~np.isnan(start)]
    if not len(rows) or not len(starts):
        return False
    moved_start, moved_end = start.copy(), end.copy()
    moved_start[rows] = np.random.default_rng(0).choice(starts, len(rows))
    moved_end[rows] = moved_start[rows] + (end[rows] - start[rows])
    return count_overlaps(parents[both], moved_start[both], moved_end[both]) >= MIN_CHANCE


def count_overlaps(parents: np.ndarray, start: np.ndarray, end: np.ndarray) -> int:
    """Rows (holding both dates) starting before an earlier-starting sibling's latest end."""
    held = ~np.isnan(start) & ~np.isnan(end)
    codes = pd.factorize(parents[held])[0]
    order = np.lexsort((end[held], start[held], codes))
    return _overlaps(codes[order], start[held][order], end[held][order])


def is_interval(o, kinds: Mapping[str, Column]) -> bool:
    """An order making a date the end of an interval from another date of its own row."""
    own = not o.from_parent and o.base in kinds and kinds[o.base] in DATED
    return own and o.dated and o.sign > 0 and o.bound is None and not (o.loose or o.after_sibling or o.near)


def _moved_together(
    found: Mapping, group: set[str], kinds: Mapping[str, Column], floors: bool = False
) -> set[str] | None:
    """The dates of a row ordered with `group`, by orders within rows (transitively): None where one
    of them is ordered with another row's value (a parent's, a sibling's), which a move could break;
    `floors`: but a parent's date a date is only on or after (a loan after its copy's acquisition),
    which a sequence laid out from its parent's first row keeps (`_relaid`)."""
    group, grew = set(group), True
    while grew:
        grew = False
        for o in found.values():
            own = {o.column, *(c for c, up in _reads(o) if c is not None and not up)}
            if not own & group:
                continue
            if floors and _parent_floor(o):
                continue
            if o.after_sibling or o.near or any(up for c, up in _reads(o) if c is not None):
                return None
            new = {c for c in own if kinds.get(c) in DATED} - group
            grew, group = grew or bool(new), group | new
    return group


def _parent_floor(o) -> bool:
    """An order putting a date anywhere on or after its parent's date, and nothing else."""
    alone = o.bound is None and o.cap is None and o.fallback is None and o.sibling_base is None and o.floor is None
    return o.from_parent and o.sign > 0 and alone and not (o.after_sibling or o.near)


def _raises(key: str, rule: dict) -> bool:
    """A rule moving dates across rows only up to a floor another row sets (`reference_sides` with no
    high side: a loan's due date on or after its member's joining), which a later lay-out may break
    and the rule then mends."""
    return key == "reference_sides" and rule.get("high") is None and rule.get("low") is not None


def _has_open(start: np.ndarray, end: np.ndarray) -> bool:
    """Whether a row has a start and no end (a rental not returned yet)."""
    return bool((~np.isnan(start) & np.isnan(end)).any())


def _open_last(parents: np.ndarray, start: np.ndarray, end: np.ndarray) -> bool:
    """Whether each row with a start and no end (a loan not returned yet) starts after every other row
    of its parent, at most one a parent: an interval open to the data's end."""
    held = ~np.isnan(start)
    is_open = held & np.isnan(end)
    if not is_open.any():
        return True
    frame = pd.DataFrame({"p": parents[held], "s": start[held], "open": is_open[held]})
    frame["e"] = np.where(frame["open"], frame["s"], end[held])
    last = frame.groupby("p").agg(s=("s", "max"), e=("e", "max"), opens=("open", "sum"))
    own = frame[frame["open"]].set_index("p")["s"]
    return bool((last["opens"] <= 1).all() and (own >= last.loc[own.index, "e"]).all())


def _reads(o) -> list[tuple[str | None, bool]]:
    """(column, of the parent row) every column an order reads."""
    return [
        (o.base, o.from_parent),
        (o.bound, o.bound_from_parent),
        (o.cap, o.cap_from_parent),
        (o.fallback, o.fallback_from_parent),
        (o.sibling_base, False),
        (o.floor, True),
    ]


def _kept_apart(parents: np.ndarray, start: np.ndarray, end: np.ndarray) -> bool:
    """Whether no row starts before an earlier-starting sibling ends, over `MIN_ROWS` pairs at least,
    where the durations shuffled across rows would overlap `MIN_CHANCE` times at least."""
    held = ~np.isnan(start) & ~np.isnan(end)
    codes = pd.factorize(parents[held])[0]
    s, e = start[held], end[held]
    order = np.lexsort((e, s, codes))
    codes, s, e = codes[order], s[order], e[order]
    if int((codes[1:] == codes[:-1]).sum()) < MIN_ROWS or _overlaps(codes, s, e) > 0:
        return False
    shuffled = s + np.random.default_rng(0).permutation(e - s)
    return _overlaps(codes, s, shuffled) >= MIN_CHANCE


def _overlaps(codes: np.ndarray, start: np.ndarray, end: np.ndarray) -> int:
    """Rows (sorted by parent, then start) starting before an earlier sibling's latest end."""
    latest = pd.Series(end).groupby(codes).cummax().groupby(codes).shift(1).to_numpy(np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        return int((start < latest).sum())


def _weekdays(rule: dict) -> list[int]:
    """The weekdays a rule's rows may move onto: every one for a rule saved before they were kept
    (its `period` instead: a week or a day), which then moves by whole weeks first where that was a week."""
    return rule.get("weekdays", list(range(7)))


def _candidates(weekdays: list[int], weeks_first: bool = False) -> np.ndarray:
    """The moves tried (nanoseconds), nearest first, later before earlier: whole weeks before other
    days where the data's starts leave a weekday out (a move keeps the row's weekday where it can),
    or `weeks_first`."""
    steps = np.arange(1, MAX_DAYS + 1)
    days = np.stack([steps, -steps], axis=1).ravel()
    if len(weekdays) < 7 or weeks_first:
        days = np.concatenate([days[days % 7 == 0], days[days % 7 != 0]])
    return days.astype(np.float64) * DAY_NS


def _weekday(ns: np.ndarray) -> np.ndarray:
    """Monday 0 of nanoseconds since the epoch (a Thursday)."""
    return (np.floor(ns / DAY_NS).astype(np.int64) + 3) % 7


def keep_disjoint_intervals(rules: list[dict], table: str, cols: dict[str, pd.Series], parents: Sequence) -> np.ndarray:
    """Move (in place) each generated row of `table` overlapping a sibling kept before it
    (`find_disjoint_intervals`; `parents`: each row's parent row); per row, whether no free place
    was found for it."""
    stuck = np.zeros(len(next(iter(cols.values()))) if cols else 0, dtype=bool)
    for rule in (r for r in rules if r["table"] == table and r["start"] in cols and r["end"] in cols):
        start = as_numbers(cols[rule["start"]], Column.DATETIME)
        end = as_numbers(cols[rule["end"]], Column.DATETIME)
        if (where := rule.get("where")) is not None:  # rows of its labels alone (a room's confirmed bookings)
            labels = [str(label) for label in where[1:]]
            other = ~cols[where[0]].astype(str).isin(labels).to_numpy() if where[0] in cols else True
            start, end = np.where(other, np.nan, start), np.where(other, np.nan, end)
        lay_out = _relaid if rule.get("sequence") else _shifts
        shift, lost = lay_out(rule, np.asarray(parents, dtype=np.int64), start, end)
        stuck |= lost
        if shift.any():
            moved = pd.to_timedelta(shift.astype(np.int64), unit="ns")
            for c in (c for c in rule["moved"] if c in cols):
                cols[c] = (pd.to_datetime(cols[c]) + moved).astype(cols[c].dtype)
            log.info("%s: %d generated rows moved off a sibling they overlapped", table, int((shift != 0).sum()))
    return stuck


def _shifts(rule: dict, siblings: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the shift (nanoseconds) that puts it where no sibling kept before it is, and whether
    none does within `MAX_DAYS` days each way, the rule's weekdays and range."""
    shift, lost = np.zeros(len(start)), np.zeros(len(start), dtype=bool)
    weekdays = _weekdays(rule)
    candidates = _candidates(weekdays, weeks_first=rule.get("period", 0) >= 7 * DAY_NS)  # a week: an older rule's
    held = np.flatnonzero(~np.isnan(start) & ~np.isnan(end))
    order = held[np.lexsort((end[held], start[held], siblings[held]))]
    for rows in np.split(order, np.flatnonzero(np.diff(siblings[order])) + 1):
        taken_s, taken_e = np.empty(len(rows)), np.empty(len(rows))
        k = 0
        for i in rows:
            s, e = start[i], end[i]
            if _clashes(s, e, taken_s[:k], taken_e[:k]).any():
                s_c, e_c = s + candidates, e + candidates
                free = ~_clashes(s_c, e_c, taken_s[:k], taken_e[:k]) & (s_c >= rule["low"]) & (e_c <= rule["high"])
                free &= np.isin(_weekday(s_c), weekdays)
                if not free.any():
                    lost[i] = True
                    continue
                shift[i] = candidates[np.argmax(free)]
                s, e = s + shift[i], e + shift[i]
            taken_s[k], taken_e[k], k = s, e, k + 1
    return shift, lost


def _clashes(s: np.ndarray | float, e: np.ndarray | float, taken_s: np.ndarray, taken_e: np.ndarray) -> np.ndarray:
    """Per interval [s, e), whether it overlaps one of the taken ones."""
    s, e = np.atleast_1d(s)[:, None], np.atleast_1d(e)[:, None]
    return ((s < taken_e[None, :]) & (e > taken_s[None, :])).any(axis=1)


def _relaid(rule: dict, siblings: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the shift (nanoseconds) laying its parent's rows one after another where two overlap
    (a copy's loans): the earliest start stays (on or after its parent's date), the rows keep their
    order (the open one last) and durations, and share the time left up to the data's last end (last
    start, with an open one) in the spread their starts had over that window, on the rule's grid;
    per row, whether it found no room (the last closed rows of a parent too long for the window)."""
    shift, lost = np.zeros(len(start)), np.zeros(len(start), dtype=bool)
    is_open = ~np.isnan(start) & np.isnan(end) & bool(rule.get("open"))
    held = np.flatnonzero(~np.isnan(start) & (~np.isnan(end) | is_open))
    order = held[np.lexsort((start[held], is_open[held], siblings[held]))]
    grid = rule.get("grid") or 1.0
    for rows in np.split(order, np.flatnonzero(np.diff(siblings[order])) + 1):
        s = start[rows]
        length = np.where(is_open[rows], 0.0, end[rows] - s)
        if len(rows) < 2 or (s[1:] >= np.maximum.accumulate(s + length)[:-1]).all():
            continue
        low, high = s.min(), rule["last_start"] if is_open[rows].any() else rule["high"]
        room = np.flatnonzero(np.cumsum(length) <= high - low)  # the first rows whose lengths fit
        fits = np.isin(np.arange(len(rows)), room) | is_open[rows]
        lost[rows[~fits]] = True
        rows, s, length = rows[fits], s[fits], length[fits]
        free = high - low - length.sum()
        if free < 0 or high <= low:
            lost[rows] = True
            continue
        spread = np.maximum.accumulate(np.clip((s - low) / (high - low), 0.0, 1.0))
        laid = low + np.floor(spread * free / grid) * grid + np.cumsum(length) - length
        shift[rows] = laid - s
    if "open_low" in rule:
        shift[is_open] += _open_recent(rule, start[is_open] + shift[is_open])
    return shift, lost


def _open_recent(rule: dict, start: np.ndarray) -> np.ndarray:
    """The shift (nanoseconds) of each start of a row with no end that puts one earlier than every
    open row of the data (a loan out since long before its latest ones: none in a library's data,
    a quarter of the generated ones) between that and the data's last start, in the order it had
    from the data's first start on; it stays its parent's last, later only."""
    low, open_low, high = rule["low"], rule["open_low"], rule["last_start"]
    early = start < open_low
    if not early.any() or open_low <= low or high <= open_low:
        return np.zeros(len(start))
    grid = rule.get("grid") or 1.0
    spread = np.clip((start - low) / (open_low - low), 0.0, 1.0)
    moved = open_low + np.floor(spread * (high - open_low) / grid) * grid
    return np.where(early, moved - start, 0.0)

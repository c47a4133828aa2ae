"""An end its next sibling starts on: a subscription's end_date, the next subscription's start_date.

A history of plan changes, prices or employments holds one row per period, each ending the day the
next one starts, the last one open. Orders within rows keep each row's end after its start, and
`disjoint_intervals` keeps the periods apart, but nothing held them together: the model drew each
end on its own, and 92 to 97 % of a streaming service's generated plan changes left a gap (or an
overlap the lay-out moved apart) before the next period (none in the data).

The fit keeps, per table nested under a parent, a pair of date columns of one kind (start, end) where,
the parent's rows ordered by start, every row with a next sibling holding both ends on that
sibling's start, in `MIN_PAIRS` pairs at least, the periods of some length (an end after its start
in some row: two copies of one date are no period) and the shared dates not one date (`MIN_DATES`
at least); of several, the first start in column order. Not where another rule sets or moves either
date after decoding (`disjoint_intervals.MOVING`, `set_columns`, `step_numbers`; `sorted_siblings`
only sorts them before; a `sibling_spans` rule moving the end is dropped instead, one moving the start
keeps the pair out, and one only reading either reads the dates laid here: an employee's titles, each
ending the day the next starts, were held apart from every such pair by their span over the employee's
salaries' dates, and 57 % of the generated ones overlapped the next) or an order within the row reads either but the end's own (a date counted from
them would lose its gap). Generation, once the table's dates are decoded, lays each parent's rows one after another: their starts, sorted, dealt to the rows in
the order they were generated with the open ones (no end) last (a plan changing from row to row, and
the last row's plan its user's, hold in that order: dealt by the rows' own starts, 2 of 60 generated
plan changes through SQL repeated the plan before), each row's end set to the next row's start, the
parent's last row keeping its own where open (missing), else the length of the period of the latest start,
which it was dealt. Not fitted under DP.

Periods so laid cannot overlap (each ends where the next, later or on the same day, starts), so the
`disjoint_intervals` rule of the same pair is dropped (`without_joined`): its lay-out dropped the rows
it found no room for (3 and 2 of 120 generated subscriptions), each leaving its user's history with a
repeated plan or a first period after the signup day. Its lay-out also put the open row last, which
the model's order of rows does not (14 % of an untrained model's users ended on a closed period):
dealing the sorted starts with the open rows last does so here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED, as_numbers
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.rules.disjoint_intervals import MOVING
from relsynth.synth.tabular.rules.shared_values import set_columns
from relsynth.synth.tabular.rules.times_of_day import named_columns

log = logging.getLogger(__name__)
MIN_PAIRS = 20  # consecutive siblings, the earlier holding its end and the later its start, at least
MIN_DATES = 3  # distinct dates an end shares with its next sibling's start, at least


def find_next_starts(pre, data: RelationalData) -> list[dict]:
    """[{"table", "start", "end"}]: under each parent row, in order of `start`, each of `table`'s
    rows with a next sibling ends (`end`) on that sibling's `start`."""
    # a span rule reads its sibling table's dates once every table is written, so those laid here are
    # what it reads; it moves only its own column: a start so moved is busy, an end gives its span up
    # (`spans_without_joined`), as it ends where its next sibling starts
    busy = named_columns(data.schema, [r for key in MOVING if key != "sibling_spans" for r in pre.stats.get(key, [])])
    busy |= set_columns({k: v for k, v in pre.stats.items() if k not in ("sorted_siblings", "sibling_spans")})
    spanned = {(r["table"], r["column"]) for r in pre.stats.get("sibling_spans", [])}
    busy |= {(r["table"], r["column"]) for r in pre.stats.get("step_numbers", [])}
    out = []
    for table in pre.schema.synth_tables:
        edge, frame = pre.schema.parent(table), data[table]
        if edge is None or edge.fk not in frame.columns or len(frame) <= MIN_PAIRS:
            continue
        kinds = {c: k.kind for c, k in pre.schema.tables[table].columns.items() if c in frame.columns}
        orders = pre.orderings.get(table, {})
        dates = [c for c, k in kinds.items() if k in DATED and (table, c) not in busy]
        pairs = [(s, e) for s in dates for e in dates if s != e and kinds[s] is kinds[e] and (table, s) not in spanned]
        pairs = [(s, e) for s, e in pairs if not {s, e} & _read_by_orders({c: o for c, o in orders.items() if c != e})]
        found = next((p for p in pairs if _ends_on_next_start(frame, edge.fk, *p, kinds[p[0]])), None)
        if found is not None:
            log.info("%s.%s is its next sibling's %s in every row: kept so", table, found[1], found[0])
            grid = getattr(orders.get(found[0]), "grid", None) or 0.0  # the starts' grid: a period of one step
            out.append({"table": table, "start": found[0], "end": found[1], "grid": float(grid)})
    return out


def _read_by_orders(orderings: dict) -> set[str]:
    """The columns of the table an order within its rows counts another of its columns from."""
    read = set()
    for name, o in orderings.items():
        own = (o.base, not o.from_parent), (o.bound, not o.bound_from_parent), (o.cap, not o.cap_from_parent)
        own += (
            (o.fallback, not o.fallback_from_parent),
            (o.sibling_base, True),
            (o.near_floor, not o.near_floor_from_parent),
        )
        read |= {c for c, in_row in own if c is not None and in_row and c != name}
    return read


def _ends_on_next_start(frame: pd.DataFrame, fk: str, start: str, end: str, kind) -> bool:
    """Whether, by `start` under each parent, each row's `end` is its next sibling's `start` wherever
    both are held: in `MIN_PAIRS` pairs at least, over `MIN_DATES` dates, some row longer than nothing."""
    s, e = as_numbers(frame[start], kind), as_numbers(frame[end], kind)
    order, follows = sibling_order(frame, fk, start)
    now, nxt = order[np.flatnonzero(follows) - 1], order[follows]
    held = ~np.isnan(e[now]) & ~np.isnan(s[nxt])
    if held.sum() < MIN_PAIRS or (e[now][held] != s[nxt][held]).any():
        return False
    length = e - s
    return bool((length[~np.isnan(length)] > 0).any()) and len(np.unique(e[now][held])) >= MIN_DATES


def keep_next_starts(rules: list[dict], table: str, cols: dict[str, pd.Series], parents: Sequence) -> None:
    """Lay (in place) each parent row's generated rows one after another (`parents`: each row's parent
    row): their starts, sorted, dealt to the rows in the order they were generated (which the labels
    changing from row to row follow) with the open ones (no end) last, and each row's end set to the
    next row's start; the parent's last row, where closed, ends as the period of the latest start did
    (the start dealt it: its own end, drawn after another start, fell before it in 10 of 160 rows)."""
    siblings = np.asarray(parents, dtype=np.int64)
    for rule in (r for r in rules if r["table"] == table and r["start"] in cols and r["end"] in cols):
        start, end = cols[rule["start"]], cols[rule["end"]]
        held = np.flatnonzero(start.notna().to_numpy())
        when, is_open = as_numbers(start, Column.DATETIME)[held], end.isna().to_numpy()[held]
        rows = held[np.lexsort((held, is_open, siblings[held]))]  # by parent, as generated, the open ones last
        by_start = held[np.lexsort((when, siblings[held]))]  # by parent, by start
        starts = start.iloc[by_start].to_numpy()
        follows = siblings[rows][1:] == siblings[rows][:-1]
        now, nxt = rows[:-1][follows], rows[1:][follows]
        if not len(now):
            continue
        new_start = start.copy()
        new_start.iloc[rows] = _apart(starts, siblings[rows], rule.get("grid") or 0.0)
        new_end = end.copy()
        new_end.iloc[now] = new_start.iloc[nxt].to_numpy()
        last = rows[np.r_[~follows, True]]  # each parent's, in the parents' order, as `latest`
        latest = by_start[np.r_[siblings[by_start][1:] != siblings[by_start][:-1], True]]
        closed = end.iloc[last].notna().to_numpy()  # no open row under its parent: `latest` closed too
        length = end.iloc[latest[closed]].to_numpy() - start.iloc[latest[closed]].to_numpy()
        new_end.iloc[last[closed]] = new_start.iloc[last[closed]].to_numpy() + length
        changed = int((new_end.iloc[now].to_numpy() != end.iloc[now].to_numpy()).sum())
        cols[rule["start"]], cols[rule["end"]] = new_start.astype(start.dtype), new_end.astype(end.dtype)
        log.info("%s: %d generated rows' %s set to their next sibling's %s", table, changed, rule["end"], rule["start"])


def followed_rows(rules: list[dict], table: str, frame: pd.DataFrame, fk: str) -> dict[str, np.ndarray]:
    """Per end column of `table` a rule joins, whether each row of `frame` has a next sibling (by start
    under its parent, `fk`): its end is that sibling's start, never missing."""
    out = {}
    for rule in (r for r in rules if r["table"] == table and r["start"] in frame and r["end"] in frame):
        order, follows = sibling_order(frame, fk, rule["start"])
        followed = np.zeros(len(frame), dtype=bool)
        followed[order[np.flatnonzero(follows) - 1]] = True
        out[rule["end"]] = followed
    return out


def _apart(starts: np.ndarray, groups: np.ndarray, grid: float) -> np.ndarray:
    """`starts` (dates, sorted within each run of equal `groups`), each at least `grid` nanoseconds after
    the one before it in its group, moved later where not: a period of no length is none the data holds."""
    if not grid or len(starts) < 2:
        return starts
    values = pd.Series(pd.to_datetime(starts))
    ns = as_numbers(values, Column.DATETIME)
    k = pd.Series(groups).groupby(groups).cumcount().to_numpy()
    spread = pd.Series(ns - k * grid).groupby(groups).cummax().to_numpy() + k * grid
    moved = ~np.isnan(ns) & (spread > ns)
    if moved.any():
        values.iloc[np.flatnonzero(moved)] = values.iloc[np.flatnonzero(moved)] + pd.to_timedelta(
            spread[moved] - ns[moved], "ns"
        )
    return values.to_numpy()


def without_joined(disjoint: list[dict], joined: list[dict]) -> list[dict]:
    """The `disjoint_intervals` rules but those of a (table, start, end) a `next_starts` rule joins."""
    pairs = {(r["table"], r["start"], r["end"]) for r in joined}
    return [r for r in disjoint if (r["table"], r["start"], r["end"]) not in pairs]


def spans_without_joined(spans: list[dict], joined: list[dict]) -> list[dict]:
    """The `sibling_spans` rules but those moving the end of a (table, start, end) a `next_starts` rule
    joins: set to the next sibling's start, the end a span then moved would leave a gap or an overlap."""
    ends = {(r["table"], r["end"]) for r in joined}
    return [r for r in spans if (r["table"], r["column"]) not in ends]

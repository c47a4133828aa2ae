"""Intervals that never overlap among the rows naming one row by a key other than the nesting one:
a department's managers (from_date to to_date, the last open), one at a time, where each manager's
row nests under the employee; a room's bookings, a car's rentals, a seat's tickets.

`disjoint_intervals` keeps a parent's rows apart; the key here is a lookup's (modelled as a label of
the row) or a reference's (dealt after decoding), and the model writes it and the dates on their
own: 0.81 and 0.86 of the generated manager periods of an employees database overlapped the next
of their department (none in the data), 1.67 current managers a department (1).

The fit keeps, per table, the first pair (start, end) of an order within rows (a date on or after
another date of its row) and the first lookup or reference key whose rows never overlap, a row
with a start and no end open to the end of time (a current manager: one a key, after every other),
over `MIN_PAIRS` consecutive rows of a key at least, where the keys shuffled across the rows give
`MIN_CHANCE` overlaps at least, in each of `SHUFFLES` shuffles: few rows a key, or short periods far
apart, which nothing could overlap, keep no rule (none of the 71 of 300 tables of random periods
under a random key that held no overlap by chance). Not where a rule
moves the dates across rows (`disjoint_intervals.MOVING`), but a span raising the end to a floor
(a manager's end after the employee's first salary's, `_raises_only`), whose floor a cut keeps; nor
where another rule names the key (a lookup's range, a room's capacity, a total) or a scope holds it
(a department of the employee's company, `_scoped`): a deal would break it.

Generation deals the keys to the rows in order of start once every date and key is written (dealt
at the table's decoding, 0.29 and 0.38 still overlapped: the span raised their ends after): each
row keeps its own key where no row dealt it before still runs, else takes the free key with the most
rows still owed (its generated count less the rows dealt it) that no row of its parent holds, else
cuts the running period of its own key (or the one begun earliest) at its start (a manager
replaced: the data's periods end the day the next begins), else, where every running period begins
with it or its floor forbids the cut, begins where its key's running period ends, its end kept where later (`_behind`). Dealing moves no date, so the
orders of the dates, the periods' lengths and the dates' range stay as the model and the rules
wrote them, and the keys' counts near the generated ones; only where more periods run at once than
there are keys (two current managers a department) is a period cut or moved, the fewest there.
Employees (600, a small model): 0.81 / 0.86 of the manager periods overlapping the next of their
department -> 0 / 0, 1.67 current managers a department -> 1; a hotel whose bookings nest under
the guest, naming a room: 0.22 / 0.21 -> 0 / 0, nights' median and 90th percentile and the dates'
range unchanged. Not fitted under DP.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational.orders import as_numbers
from relsynth.relational.schema import Edge
from relsynth.synth.tabular.rules.disjoint_intervals import MOVING, count_overlaps, is_interval, moved_columns
from relsynth.synth.tabular.rules.sibling_spans import sibling_span, span_name
from relsynth.synth.tabular.rules.times_of_day import named_columns

log = logging.getLogger(__name__)
MIN_PAIRS = 10  # consecutive rows of one key holding a start, at least
MIN_CHANCE = 5  # overlaps each shuffle of the keys across the rows gives, at least: else no evidence
SHUFFLES = 20  # shuffles of the keys tried


def find_keyed_intervals(pre, data: RelationalData) -> list[dict]:
    """[{"table", "key", "start", "end"}]: `table`'s rows naming one row by `key` (a lookup's key or a
    reference's, not the nesting one) never overlap from `start` to `end` (none: open)."""
    schema = data.schema
    rules = [r for name in MOVING for r in pre.stats.get(name, []) if not _raises_only(name, r)]
    moving = moved_columns(schema, rules)
    read = named_columns(
        schema, [r for v in pre.stats.values() if isinstance(v, list) for r in v if isinstance(r, dict)]
    )
    out = []
    for table, found in pre.orderings.items():
        kinds = {c: k.kind for c, k in schema.tables[table].columns.items()}
        edge = schema.parent(table)
        keys = [*schema.lookup_fks(table), *(e.fk for e in schema.references(table) if e.parent != table)]
        keys = [c for c in keys if (edge is None or c != edge.fk) and (table, c) not in read]
        keys = [c for c in keys if not _scoped(pre, table, c)]
        for o in (o for o in found.values() if is_interval(o, kinds)):
            if (table, o.base) in moving or (table, o.column) in moving:
                continue
            frame = data[table]
            start, end = as_numbers(frame[o.base], kinds[o.base]), as_numbers(frame[o.column], kinds[o.column])
            key = next((c for c in keys if _kept_apart(frame[c], start, end)), None)
            if key is None:
                continue
            log.info("%s: %s to %s never overlap among rows of one %s: dealt so", table, o.base, o.column, key)
            out.append({"table": table, "key": key, "start": o.base, "end": o.column})
            break  # one pair a table: two could deal one another's keys around
    return out


def _scoped(pre, table: str, fk: str) -> bool:
    """Whether the reference `fk` names a row under its own row's ancestor (`within`: a manager's
    department, of the employee's company): the deal hands out any key, across the scope rows (12
    and 13 of 36 and 52 generated managers named another company's department, 9 and 0 without it)."""
    return bool(((pre.stats.get("references") or {}).get(f"{table}.{fk}") or {}).get("within"))


def _raises_only(name: str, rule: dict) -> bool:
    """A span moving a date only up to a floor its sibling rows set (a manager's end on or after the
    employee's first salary's end, `sibling_spans` with no high side): a cut keeps it (`_floors`)."""
    return name == "sibling_spans" and rule.get("high") is None and rule.get("low") is not None


def _kept_apart(key: pd.Series, start: np.ndarray, end: np.ndarray) -> bool:
    """Whether no row starts before an earlier-starting row of its key ends (no end: never), over
    `MIN_PAIRS` consecutive rows of a key at least, where every one of `SHUFFLES` shuffles of the keys
    across the rows overlaps `MIN_CHANCE` times at least."""
    held = ~np.isnan(start) & key.notna().to_numpy()
    codes = pd.factorize(key[held])[0]
    s, e = start[held], np.where(np.isnan(end[held]), np.inf, end[held])
    if len(codes) - len(np.unique(codes)) < MIN_PAIRS or count_overlaps(codes, s, e) > 0:
        return False
    rng = np.random.default_rng(0)
    return all(count_overlaps(rng.permutation(codes), s, e) >= MIN_CHANCE for _ in range(SHUFFLES))


def keep_keyed_intervals(rules: list[dict], out: Mapping[str, pd.DataFrame], schema: Schema, spans: list[dict]) -> None:
    """Deal (in place) the keys of each rule's generated rows so that no two rows of a key overlap
    (`find_keyed_intervals`), cutting or moving a period where every key is taken; a cut end stays
    on or after the floor a span sets it (`spans`: the `sibling_spans` rules)."""
    for rule in rules:
        frame, names = out.get(rule["table"]), [rule["key"], rule["start"], rule["end"]]
        if frame is None or not set(names) <= set(frame.columns):
            continue
        key = frame[rule["key"]]
        codes, labels = pd.factorize(key)
        old = [as_numbers(frame[c], Column.DATETIME) for c in names[1:]]
        edge = schema.parent(rule["table"])
        nest = frame[edge.fk] if edge is not None and edge.fk in frame else pd.Series(np.nan, index=frame.index)
        dealt, *new, lost = _dealt(codes, *old, _floors(rule, spans, out, schema), pd.factorize(nest)[0])
        if (moved := dealt != codes).any():
            frame[rule["key"]] = key.where(~moved, pd.Series(labels.take(dealt), index=key.index).astype(key.dtype))
        changed = [~((a == b) | np.isnan(a) & np.isnan(b)) for a, b in zip(old, new, strict=True)]
        for c, after, rows in zip(names[1:], new, changed, strict=True):
            if rows.any():
                dates = pd.Series(after.astype("datetime64[ns]"), index=frame.index).astype(frame[c].dtype)
                frame[c] = frame[c].where(~rows, dates)
        log.info(
            "%s: %d rows dealt another %s, %d periods cut or moved",
            rule["table"],
            moved.sum(),
            rule["key"],
            (changed[0] | changed[1]).sum(),
        )
        if lost.any():
            log.warning(
                "%s: %d generated rows began with every %s's open period: left overlapping",
                rule["table"],
                lost.sum(),
                rule["key"],
            )


def _floors(rule: dict, spans: list[dict], out: Mapping[str, pd.DataFrame], schema: Schema) -> np.ndarray:
    """Per row of the rule's table, the latest floor the low sides of `spans` set its end (NaN: none)."""
    table, floor = rule["table"], np.full(len(out[rule["table"]]), np.nan)
    for span in (s for s in spans if (s["table"], s["column"]) == (table, rule["end"]) and s["low"] is not None):
        if span["sibling"] not in out:
            continue
        e = Edge(table, span["fk"], schema.tables[table].columns[span["fk"]].parent)
        named, _ = sibling_span(out, schema, e, Edge(span["sibling"], span["sibling_fk"], e.parent))
        low = as_numbers(named[span_name(*span["low"])], Column.DATETIME)
        floor = np.fmax(floor, low)
    return floor


def _dealt(
    codes: np.ndarray, start: np.ndarray, end: np.ndarray, floor: np.ndarray, parents: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Each row's key code, start and end (nanoseconds, NaN: open) once dealt in order of start: its
    own code where free at its start, else the free code of most rows owed that no row of its parent
    (`parents`: codes, -1 none) holds (an employee managing one department twice: a pair the
    model never wrote), else its own (or the one begun earliest) with the running period cut at its
    start, where that begun before it and its `floor` (NaN: none) is not after it; else it begins
    later, where its key's running period ends
    (else the first that does: `_behind`), and waits its turn there; per row, whether none ends
    (every key held open)."""
    dealt, start, end, lost = codes.copy(), start.copy(), end.copy(), np.zeros(len(codes), dtype=bool)
    held = np.flatnonzero((codes >= 0) & ~np.isnan(start))
    if not len(held):
        return dealt, start, end, lost
    n = int(codes.max()) + 1
    owed = np.bincount(codes[held], minlength=n).astype(np.int64)
    free_at = np.full(n, -np.inf)  # when each key's running period ends
    began = np.full(n, -np.inf)  # when it began
    running = np.full(n, -1)  # its row
    queue = [(start[i], np.inf if np.isnan(end[i]) else end[i], int(i)) for i in held]
    holding: dict[int, set[int]] = {}  # per parent, the codes its rows hold (written or dealt)
    for p, c in zip(parents[held], codes[held], strict=True):
        if p >= 0:
            holding.setdefault(int(p), set()).add(int(c))
    heapq.heapify(queue)
    while queue:
        s, _, i = heapq.heappop(queue)
        k = codes[i]
        if free_at[k] > s:
            free = np.flatnonzero(free_at <= s)
            if parents[i] >= 0 and len(free):
                free = free[~np.isin(free, list(holding[int(parents[i])]))]
            if len(free):
                k = _most_owed(free, owed, free_at)
            elif (cuttable := (began < s) & ~(floor[np.maximum(running, 0)] > s)).any():
                k = k if cuttable[k] else int(np.argmin(np.where(cuttable, began, np.inf)))  # own, else begun first
                end[running[k]] = s
            elif np.isfinite(free_at).any():  # later: where its key frees, else the first key that does
                start[i], end[i] = _behind(start[i], end[i], free_at[k] if np.isfinite(free_at[k]) else free_at.min())
                heapq.heappush(queue, (start[i], np.inf if np.isnan(end[i]) else end[i], i))
                continue
            else:  # every key held open from its start
                lost[i] = True
                continue
        dealt[i], owed[k], running[k], began[k] = k, owed[k] - 1, i, s
        if parents[i] >= 0:
            holding[int(parents[i])].add(int(k))
        free_at[k] = np.inf if np.isnan(end[i]) else end[i]
    return dealt, start, end, lost


def _most_owed(free: np.ndarray, owed: np.ndarray, free_at: np.ndarray) -> int:
    """Of the `free` key codes (ascending), the one of most rows owed, then the latest freed, then
    the first: two linear passes, where a sort of every free key at every clash took 5.3 s of CPU
    for 40,000 rows of 8,000 keys (0.6 s so)."""
    most = free[owed[free] == owed[free].max()]
    return int(most[np.argmax(free_at[most])])


def _behind(start: float, end: float, free: float) -> tuple[float, float]:
    """A period's start and end once it begins at `free`: its end kept where after it (a start
    moved, no date past the generated ones), else its length kept."""
    if np.isnan(end) or end > free:
        return free, end
    return free, end + free - start

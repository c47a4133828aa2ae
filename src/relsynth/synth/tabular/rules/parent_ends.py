"""A parent's date that its child rows' dates never pass: a patient's date of death, on or after
the day of each of the patient's admissions and discharges (most patients alive: no date).

Orders within rows cap a child's first date at its parent's (`Ordering.cap`), but not the rows
after it, counted from the previous row's end, nor its other dates, counted from it, and a row
with children cannot be dropped (`orderings.without_room`): 25 of 300 patients a briefly trained
model generated died before their last discharge, 17 of 723 admissions began more than a day
after their patient's death. The fit keeps, per date column of a synthesised table with children
and per date column of a nested child table, the ones that every child row holding both keeps on
or before its parent's (by day where the parent's is a date and the child's a timestamp), in
`MIN_ROWS` rows at least and not by the values' ranges alone (`relational.orders.order_between`).
Generation moves each parent date that a child's date passes onto the latest of them (its day),
once every table is written: the death on the day of the last discharge, the patient's rows as
drawn; or past it by the gap every training row keeps after its children's latest date (`gap`,
`relational.orders.held_gap`: a listing sold 3 days after its last viewing at least). Where no
training row's date lies at that least gap from its children's latest (a ticket closed 8 minutes to
days after its last message, by the second), one there is a pile the data never has: the cap of
orders within rows stops a message drawn past its ticket's close on it, and 72 of 370 generated
closed tickets were closed at their last message's second. The fit keeps the gaps' quantiles then
(`after`), and a date its children pass or reach goes a gap drawn from them past their latest, on
its column's grid (`grid`). A date an order within rows counts forward from, or a total or formula reads, is left as
it is, and so is one an order keeps within a bound, unless its own row's bound alone (a policy's
cancellation, before its end: moved onto its claims' latest date, never past the end,
`until`), and a root's date a generation's context gives (`ctx_cols`). Not under DP.

A child's date capped at such a parent date (`Ordering.cap`: a leg's arrival, before its
shipment's delivery) loses the cap once the rule is fitted (`without_moved_caps`), where the move
goes by the date's own grid and to no bound of its row: the move keeps the order, where the cap
stopped the child at a parent date drawn before it.

Where the parent's date is, in every child row holding one of the child's dates (`MIN_ROWS` at
least), that date's day (a patient's death, the day of a stay's in-hospital death time: `equal`),
it is set to the latest of them wherever a child row holds one, first: 20 of 722 generated stays
had a death time and their patient no date of death, 32 another day's. Where an earlier column of
the parent row says when that date is missing (a null rule or cut: `expire_flag` 'N', no date of
death), a missing one stays missing (`fill` False): filled, 138 of 159 generated living patients
of an untrained model got a date of death.

Where the parent's date is the latest of its child rows' date in every parent row holding both
(`MIN_ROWS` at least: a shipment's delivery, the time of its last event, `delivered`), that child
date being one no other order of its row reads (`latest`), the parent's date is a copy, not a
bound: where generated, it is set to its latest child row's date first, earlier as well as later
(the events, not capped at it, keep their own span); a date after timestamps to the latest one's day
(a CRM's close date, the day of its last stage change: 46-54 % of a small model's closes were, moved
only where a change passed them). Once every rule above moved the date, the
latest child row of each generated parent holding it is moved onto it where still earlier (the
date moved past another child date): capped at the delivery, the events need not reach it, and
76 % of a small model's delivered shipments had their last event earlier; not a day's date's (set to that row's day, the row keeps its time). The move is forward
only (the date is on or after its child rows by then), so the rows keep their order; a first row
that lies at a fixed offset from its base in every training row (`Ordering.first_fixed`: a lone
event at its shipment's creation) stays (`fixed_first`).
"""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED, as_numbers, day_values, held_gap, order_between
from relsynth.synth.tabular.orderings import column_grid

log = logging.getLogger(__name__)
MIN_ROWS = 20  # child rows holding both dates, at least
N_GAPS = 21  # the gaps after the children's latest date kept as this many quantiles (`after`)


def find_parent_ends(
    pre, data: RelationalData, fixed: set[tuple[str, str]], kept_missing: set[tuple[str, str]] = frozenset()
) -> list[dict]:
    """[{"table", "column", "child", "fk", "dates", "day", "equal", "fill", "until", "gap"}]: `table.column`
    is on or after each of `child`'s `dates` of the rows nested under it (`fk`), in every training row
    holding both (`gap` after the latest of them at least), and the day of its `equal` dates; `day`: compared with the child's day (a date after
    timestamps). `fixed`: (table, column) that may not move, as a root's context columns may not;
    `kept_missing`: those whose missing
    values another rule sets (`fill` False: a missing one is not set from `equal`)."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        pk, given = schema.tables[table].primary_key, pre.given_columns(table)  # a context's date stays as given
        for column, kind in schema.tables[table].columns.items():
            if kind.kind not in DATED or (table, column) in fixed or column in given or pk is None:
                continue
            for child in schema.children(table):
                fk = schema.parent(child).fk
                ends = data[table].set_index(pk)[column].reindex(data[child][fk]).to_numpy()
                end = as_numbers(pd.Series(ends), kind.kind)
                own = {c: _day(data[child][c], k.kind, kind.kind) for c, k in schema.tables[child].columns.items() if k.kind in DATED}  # fmt: skip
                dates = [c for c, x in own.items() if _never_after(x, end)]
                equal = [c for c, x in own.items() if _always_equal(x, end)]
                if dates or equal:
                    log.info("%s.%s on or after its %s rows' %s, on their %s, in every row: kept so", table, column, child, dates, equal)  # fmt: skip
                    day = kind.kind is Column.DATE
                    rule = {"table": table, "column": column, "child": child, "fk": fk, "dates": dates, "day": day}
                    until = own_end(pre.orderings.get(table, {}).get(column))
                    gap = _least_gap([own[c] for c in dates], end, pre.min_count)
                    after = _gaps_after([own[c] for c in dates], end, gap, data[child][fk].to_numpy())
                    grid = column_grid(data[table][column], kind.kind) if after else 0.0
                    free = _unread(pre, child)  # a child's date no order of its row counts from or stops at
                    latest = [c for c in dates if c in free and c not in equal and _is_latest(own[c], end, data[child][fk])]  # fmt: skip
                    out.append({**rule, "equal": equal, "fill": (table, column) not in kept_missing, "until": until, "gap": gap, "after": after, "grid": grid, "latest": latest, "fixed_first": _fixed_first(pre, child, latest)})  # fmt: skip
    return out


def without_moved_caps(rules: list[dict], orderings: dict[str, dict]) -> dict[str, dict]:
    """`orderings` (per table, per column) without the caps that a rule's move keeps already: a
    child's date capped at its parent's date (a leg's arrival, before its shipment's delivery) that
    the rule moves past its children's latest date, on its own time grid (not by day) and up to no
    bound (`until`). Drawn before the children, the parent's date (a delivery) left the later ones
    no room: stopped on it, 5-7 % of a small model's legs arrived on or before their departure,
    where the move would have carried the delivery past them. A sibling sequence's cap (rows until
    a termination, which may leave a row no room: `orderings.without_room`) and a date decoded as
    itself (`loose`) keep theirs, unless the parent's date is its latest child row's (`latest`: a
    delivery, its last event's time): the rows then decide the date, and capped at a delivery drawn
    early, a shipment's last events stopped on it and the `delivered` one, left no room, was dropped
    (47 of 238 delivered shipments a small model generated ended at `out_for_delivery`)."""
    out = {t: dict(found) for t, found in orderings.items()}
    for r in rules:
        if r.get("until") is not None or r.get("day"):
            continue
        for c in r["dates"]:
            o = out.get(r["child"], {}).get(c)
            kept = o is not None and o.after_sibling and c not in r.get("latest", ())  # none in older models
            if o is None or (o.cap, o.cap_from_parent) != (r["column"], True) or kept or o.loose:
                continue
            out[r["child"]][c] = replace(o, cap=None, cap_from_parent=False, cap_gaps=None)
            log.info("%s.%s: no cap at its %s row's %s, moved past it instead", r["child"], c, r["table"], r["column"])
    return out


def own_end(order) -> str | None:
    """The column of its own row an order within rows keeps a date on or before (its only bound or
    cap, the date counted forward: a cancellation before its policy's end), which a move keeps it
    on or before too; None where it has none, another, or is counted back."""
    if order is None or order.sign < 0 or (order.bound is None) == (order.cap is None):
        return None
    if order.bound is not None:
        return None if order.bound_from_parent else order.bound
    return None if order.cap_from_parent else order.cap


def _day(values: pd.Series, kind: Column, end_kind: Column) -> np.ndarray:
    """`values` as numbers, floored to their day where the end they are compared with is a date."""
    x = as_numbers(values, kind)
    return day_values(x) if end_kind is Column.DATE and kind is Column.DATETIME else x


def _never_after(x: np.ndarray, end: np.ndarray) -> bool:
    """Whether `x` is on or before `end` in every row holding both (`MIN_ROWS` at least), where
    values drawn apart would not be."""
    if (~np.isnan(x) & ~np.isnan(end)).sum() < MIN_ROWS:
        return False
    found = order_between(end, x, dated=True, base_may_miss=True)
    return found is not None and found[1] < 0


def _least_gap(dates: list[np.ndarray], end: np.ndarray, min_count: int) -> float:
    """The gap every child row's latest date keeps before its parent's end (`held_gap`: a sale 3
    days after its listing's last viewing at least), which a move keeps: moved onto the latest
    viewing, 253 of 415 sold listings of the data, their sale drawn 30 days early, were sold on the
    day of a viewing; 0 where there is none, or some rows come closer."""
    return held_gap(end, np.fmax.reduce(dates, axis=0), min_count) if dates else 0.0


def _gaps_after(dates: list[np.ndarray], end: np.ndarray, gap: float, parents: np.ndarray) -> list[float] | None:
    """N_GAPS quantiles of the gaps from each parent's latest child row (`parents`: each child row's
    parent key) to the parent's end, where every one of them (MIN_ROWS parents at least) is longer
    than the least gap a move keeps (`gap`): no row at it, so a date there is a pile the data never
    has; None where some row holds it (a death on the day of the last discharge, a sale 3 days after
    the last viewing). Not every child row's gap: a ticket's earlier messages are further from its
    close, and drawn from them a moved close went 1,652 minutes past its last message at the median
    for the data's 1,118."""
    if not dates:
        return None
    gaps = end - np.fmax.reduce(dates, axis=0)
    held = ~np.isnan(gaps)
    gaps = pd.Series(gaps[held]).groupby(parents[held]).min().to_numpy()  # the latest child row's gap
    if len(gaps) < MIN_ROWS or (gaps <= gap).any():
        return None
    return [float(q) for q in np.quantile(gaps, np.linspace(0.0, 1.0, N_GAPS))]


def _drawn_gaps(r: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` gaps drawn from the rule's quantiles (`after`), up to its column's grid (never below them)."""
    q = np.asarray(r["after"], dtype=np.float64)
    gaps = np.interp(rng.random(n), np.linspace(0.0, 1.0, len(q)), q)
    grid = r.get("grid") or 0.0
    return np.ceil(gaps / grid) * grid if grid > 0 else gaps


def _is_latest(x: np.ndarray, end: np.ndarray, parents: np.ndarray) -> bool:
    """Whether `end` is the latest `x` of its child rows (`parents`: each row's parent key) in every
    parent holding both (`MIN_ROWS` at least): a shipment's delivery, its last event's time."""
    frame = pd.DataFrame({"x": x, "end": end, "parent": parents}).dropna(subset=["x"])
    per_parent = frame.groupby("parent").agg(x=("x", "max"), end=("end", "first")).dropna()
    return bool(len(per_parent) >= MIN_ROWS and (per_parent["x"] == per_parent["end"]).all())


def _fixed_first(pre, table: str, columns: list[str]) -> list[str]:
    """The `columns` whose first row under each parent lies at one offset from its base in every
    training row (`Ordering.first_fixed`: a shipment's first event at its creation), which stays."""
    orders = pre.orderings.get(table, {})
    return [c for c in columns if c in orders and orders[c].first_fixed is not None]


def _unread(pre, table: str) -> set[str]:
    """`table`'s columns that no order within its rows counts from, stops at or follows as a sibling's end."""
    orders = pre.orderings.get(table, {}).items()  # a date counted from its own previous sibling's reads no other
    read = {c for b, o in orders for c in (o.base, o.bound, o.cap, o.sibling_base) if c != b}
    return set(pre.schema.tables[table].columns) - read


def _always_equal(x: np.ndarray, end: np.ndarray) -> bool:
    """Whether `end` is held and equal to `x` in every row holding `x` (`MIN_ROWS` at least): a
    death on the day of the stay's in-hospital death time."""
    held = ~np.isnan(x)
    return bool(held.sum() >= MIN_ROWS and (x[held] == end[held]).all())


def keep_parent_ends(
    rules: list[dict], tables: dict[str, pd.DataFrame], schema, rng: np.random.Generator | None = None
) -> None:
    """Move (in place) each rule's parent date that a child row's date passes onto the latest of
    them (its day, for a date), or (`after`, with `rng`) one they pass or reach a gap drawn from the
    data's past it; a missing parent date stays missing. A copy of its latest child row's date
    (`latest`) is set to it first."""
    for r in rules:
        parent, child = tables.get(r["table"]), tables.get(r["child"])
        if parent is None or child is None or not len(child) or not len(parent):
            continue
        end_kind = schema.tables[r["table"]].columns[r["column"]].kind
        if r.get("equal"):  # on its rows' day: set wherever one holds it (none in older models)
            last = _latest(r, r["equal"], parent, child, schema, end_kind)
            held = parent[r["column"]].notna().to_numpy() | r.get("fill", True)  # a null rule's missing stays
            _move(r, parent, ~np.isnan(last) & held, last, "set to")
        if r.get("latest"):  # a copy of its latest child row's date: set from it, earlier too (none in older models)
            _set_to_latest(r, parent, child, schema, end_kind)
        if r["dates"]:
            latest = _latest(r, r["dates"], parent, child, schema, end_kind)
            last = latest + r.get("gap", 0.0)  # none in older models
            end = as_numbers(parent[r["column"]], end_kind)
            drawn = bool(r.get("after")) and rng is not None  # none in older models: onto the latest
            to = latest + _drawn_gaps(r, len(latest), rng) if drawn else last
            if r.get("until") in parent:  # none in older models: kept on or before its row's bound
                until = as_numbers(parent[r["until"]], schema.tables[r["table"]].columns[r["until"]].kind)
                last, to = np.fmin(last, until), np.fmin(to, until)
            passed = (last >= end) if drawn else (last > end)  # reached: a pile the data never has
            _move(r, parent, ~np.isnan(end) & ~np.isnan(last) & passed & (to > end), to, "moved onto")
    for r in rules:  # once every rule moved its date: the latest child row's onto it (none in older models)
        # a day's date (`day`) was set to its latest child row's day: moved onto its midnight, the row would lose its time
        if r.get("latest") and not r.get("day") and r["table"] in tables and len(tables.get(r["child"], ())):
            _latest_onto(r, tables[r["table"]], tables[r["child"]], schema)


def _set_to_latest(r: dict, parent: pd.DataFrame, child: pd.DataFrame, schema, end_kind: Column) -> None:
    """Set (in place) each held parent date to the latest of its child rows' `latest` dates (never
    past its own row's bound, `until`): a delivery is its last event's time, a copy, not a bound.
    Drawn apart, the delivery and the events each kept the data's spans (median 1.3 and 4.6 days,
    1.3 and 4.3, express and standard; 1.2 and 4.5 in the data), but moved only forward, each onto
    the later of the two, the delivery came 1.7 and 5.7 days after the creation."""
    last = _latest(r, r["latest"], parent, child, schema, end_kind)
    if r.get("until") in parent:
        last = np.fmin(last, as_numbers(parent[r["until"]], schema.tables[r["table"]].columns[r["until"]].kind))
    held = parent[r["column"]].notna().to_numpy()  # a missing date (not delivered) stays missing
    _move(r, parent, held & ~np.isnan(last), last, "set to")


def _latest_onto(r: dict, parent: pd.DataFrame, child: pd.DataFrame, schema) -> None:
    """Move (in place) each parent's latest child row's `latest` dates onto the parent's date, where
    it is held and not before them: a delivery's last event at its time."""
    pk = schema.tables[r["table"]].primary_key
    end_kind = schema.tables[r["table"]].columns[r["column"]].kind
    ends = as_numbers(parent.set_index(pk)[r["column"]].reindex(child[r["fk"]]).reset_index(drop=True), end_kind)
    for c in r["latest"]:
        x = as_numbers(child[c], schema.tables[r["child"]].columns[c].kind)
        frame = pd.DataFrame({"x": x, "parent": child[r["fk"]].to_numpy()})
        top = frame["x"].to_numpy() == frame.groupby("parent")["x"].transform("max").to_numpy()
        first = top & ~pd.Series(top).groupby(frame["parent"].to_numpy()).cumsum().gt(1).to_numpy()  # one row a parent
        rows = first & ~np.isnan(ends) & (ends >= x)
        if c in r.get("fixed_first", ()):  # a lone event at its creation stays there (none in older models)
            rows &= frame["x"].to_numpy() > frame.groupby("parent")["x"].transform("min").to_numpy()
        if rows.any():
            moved = child[c].to_numpy(dtype="datetime64[ns]", copy=True)
            moved[rows] = ends[rows].astype(np.int64).view("datetime64[ns]")
            child[c] = pd.Series(moved, index=child.index).astype(child[c].dtype)
            log.info("%s.%s: %d latest generated value(s) set to their %s row's %s", r["child"], c, int(rows.sum()), r["table"], r["column"])  # fmt: skip


def _latest(
    r: dict, dates: list[str], parent: pd.DataFrame, child: pd.DataFrame, schema, end_kind: Column
) -> np.ndarray:
    """Per parent row, the latest of its child rows' `dates` (their day, for a date; NaN: none)."""
    kinds = schema.tables[r["child"]].columns
    latest = np.fmax.reduce([_day(child[c], kinds[c].kind, end_kind) for c in dates], axis=0)
    per_parent = pd.Series(latest).groupby(child[r["fk"]].to_numpy()).max()
    pk = schema.tables[r["table"]].primary_key
    return per_parent.reindex(parent[pk].to_numpy()).to_numpy(np.float64, na_value=np.nan)


def _move(r: dict, parent: pd.DataFrame, rows: np.ndarray, last: np.ndarray, how: str) -> None:
    """Set (in place) the rule's parent date of `rows` to `last`, logging how many."""
    if not rows.any():
        return
    moved = parent[r["column"]].to_numpy(dtype="datetime64[ns]", copy=True)
    moved[rows] = last[rows].astype(np.int64).view("datetime64[ns]")
    parent[r["column"]] = pd.Series(moved, index=parent.index).astype(parent[r["column"]].dtype)
    log.info("%s.%s: %d generated value(s) %s their latest %s row's", r["table"], r["column"], int(rows.sum()), how, r["child"])  # fmt: skip

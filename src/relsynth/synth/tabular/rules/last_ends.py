"""Histories of one parent that end together: an employee's salaries, titles and departments, each a
run of periods (`next_starts`), the last of each open while the employee stays (no end) and closed on
the one day the employee left.

`next_starts` lays each table's periods one after another, the last row keeping the end the model
drew for it; nothing held the ends of sibling tables together, each drawn in its own part of the
entity: 47-54 % of the employees a small model generated had their three histories end on different
days (or some open, some closed; none in the data), and 12-15 % of the current salaries belonged to
an employee who had left.

The fit keeps, per parent table, the `next_starts` tables under it whose last period (by start) ends
as the others' do, open or on the same date, under every parent holding rows of two of them
(`MIN_PARENTS` at least), with `MIN_DATES` distinct closed ends at least: ends drawn apart would not
meet on every one of them. The table with the fewest rows a parent leads (`_by_rows`): its one period
is drawn right beside its parent, where a long history's last end is drawn many rows on. Generation,
once every table is written, ends each parent's last period of every table alike: open where the
leader's (the first table holding rows under that parent, in that order) is open, else on the latest
closed end of the tables' last periods (the leader's alone dropped a third more of the periods drawn
past it: 365 of a small model's 6,070 salaries, for 5,973 in the data, where now 212). Another
table's periods starting on or after a closed end are dropped first (salaries drawn on past the day
the employee left), but its parent's first and those of a table other rows name; the end is moved
past the latest start left where one starts on or after it (a period of one step of the starts'
grid: no period ends before it begins). Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData, Schema
from relsynth.relational.orders import as_numbers

log = logging.getLogger(__name__)
MIN_PARENTS = 20  # parents holding rows of two of the tables, at least
MIN_DATES = 3  # distinct closed ends those parents' last periods share, at least


def find_last_ends(pre, data: RelationalData) -> list[dict]:
    """[{"parent", "tables": [{"table", "fk", "start", "end", "grid"}]}]: the `next_starts` tables
    under `parent` whose last period ends as the others' do (open or on one date) under every parent
    holding both, the leader (fewest rows a parent) first."""
    schema, out = data.schema, []
    histories: dict[str, list[dict]] = {}
    for r in pre.stats.get("next_starts", []):
        edge = schema.parent(r["table"])
        histories.setdefault(edge.parent, []).append({**r, "fk": edge.fk})
    for parent, found in histories.items():
        ends = {r["table"]: last_periods(data[r["table"]], r, schema)["end"] for r in found}
        groups: list[list[dict]] = []  # each table in the first group it ends together with, or its own
        for r in _by_rows(found, data):
            group = next((g for g in groups if all(_end_together(ends[r["table"]], ends[t["table"]]) for t in g)), None)
            if group is None:
                groups.append([r])
            else:
                group.append(r)
        for group in (g for g in groups if len(g) > 1):
            tables = [{k: r[k] for k in ("table", "fk", "start", "end", "grid")} for r in group]
            log.info("%s: the last periods of %s end together in every row: kept so", parent, [r["table"] for r in tables])  # fmt: skip
            out.append({"parent": parent, "tables": tables})
    return out


def last_periods(frame: pd.DataFrame, r: dict, schema: Schema) -> pd.DataFrame:
    """Per parent key (the index), the row of its last period by start (`row`, a place in `frame`),
    its start and end as nanoseconds (NaN: open)."""
    kinds = schema.tables[r["table"]].columns
    start = as_numbers(frame[r["start"]], kinds[r["start"]].kind)
    periods = pd.DataFrame(
        {"row": np.arange(len(frame)), "start": start, "end": as_numbers(frame[r["end"]], kinds[r["end"]].kind)},
        index=frame[r["fk"]].to_numpy(),
    )
    periods = periods[~np.isnan(start)].sort_values("start", kind="stable")
    return periods[~periods.index.duplicated(keep="last")]


def _by_rows(histories: list[dict], data: RelationalData) -> list[dict]:
    """`histories`, the fewest rows a parent first (ties: as found)."""
    return sorted(histories, key=lambda r: len(data[r["table"]]) / max(1, data[r["table"]][r["fk"]].nunique()))


def _end_together(a: pd.Series, b: pd.Series) -> bool:
    """Whether the last ends `a` and `b` (per parent key, NaN: open) are equal, or both open, under
    every parent holding both (`MIN_PARENTS` at least), over `MIN_DATES` closed dates at least."""
    common = a.index.intersection(b.index)
    if len(common) < MIN_PARENTS:
        return False
    x, y = a.reindex(common).to_numpy(), b.reindex(common).to_numpy()
    same = (x == y) | (np.isnan(x) & np.isnan(y))
    return bool(same.all() and len(np.unique(x[~np.isnan(x)])) >= MIN_DATES)


def keep_last_ends(rules: list[dict], tables: dict[str, pd.DataFrame], schema: Schema) -> None:
    """Set (in place) the last period's end of each rule's tables under each parent to the leader's
    (the first of its tables holding rows there): open where it is open, else the latest closed one, each other
    table's periods starting on or after it dropped first (but its parent's first, and in a table
    other rows name), moved a grid's step past the latest start of the periods left where one starts
    on or after it."""
    for rule in rules:
        held = [r for r in rule["tables"] if len(tables.get(r["table"], ()))]
        if len(held) < 2:
            continue
        lead = _lead_ends(held, tables, schema)
        for r in (r for r in held[1:] if not _named_by_rows(schema, r["table"])):
            tables[r["table"]] = _without_late_rows(tables[r["table"]], r, lead, schema)
        last = {r["table"]: last_periods(tables[r["table"]], r, schema) for r in held}
        latest = pd.concat([last[r["table"]]["start"] + (r.get("grid") or 0.0) for r in held]).groupby(level=0).max()
        end = lead.where(lead.isna() | (lead >= latest.reindex(lead.index)), latest.reindex(lead.index))
        for r in held:
            _set_ends(tables[r["table"]], r, last[r["table"]], end)


def _lead_ends(held: list[dict], tables: dict[str, pd.DataFrame], schema: Schema) -> pd.Series:
    """Per parent key, whether the last period of the first of the `held` tables holding rows there is
    open (NaN), else the latest closed end of their last periods."""
    ends = pd.concat([last_periods(tables[r["table"]], r, schema)["end"] for r in held])
    lead = ends[~ends.index.duplicated(keep="first")]
    return lead.where(lead.isna(), ends.groupby(level=0).max().reindex(lead.index))


def _named_by_rows(schema: Schema, table: str) -> bool:
    """Whether rows of another table nest under or reference `table`'s rows (a dropped row would leave them dangling)."""
    return bool(schema.edges_into(table))


def _without_late_rows(frame: pd.DataFrame, r: dict, lead: pd.Series, schema: Schema) -> pd.DataFrame:
    """`frame` without the periods starting on or after their parent's closed `lead` end, but each
    parent's first: an employee's salaries drawn on past the day the employee left (a one-day last
    salary once its end was set past their start: 74-87 % of a small model's leavers, none in the data)."""
    start = as_numbers(frame[r["start"]], schema.tables[r["table"]].columns[r["start"]].kind)
    cut = lead.reindex(frame[r["fk"]].to_numpy()).to_numpy(np.float64, na_value=np.nan)
    first = start == pd.Series(start).groupby(frame[r["fk"]].to_numpy()).transform("min").to_numpy()
    late = ~np.isnan(cut) & (start >= cut) & ~first
    if not late.any():
        return frame
    log.info("%s: %d generated period(s) starting after their parent's last end dropped", r["table"], int(late.sum()))
    return frame[~late].reset_index(drop=True)


def _set_ends(frame: pd.DataFrame, r: dict, last: pd.DataFrame, end: pd.Series) -> None:
    """Set (in place) the end of each `last` row of `frame` to its parent's `end` (NaN: none), logging how many."""
    to = end.reindex(last.index).to_numpy()
    changed = ~((to == last["end"].to_numpy()) | (np.isnan(to) & last["end"].isna().to_numpy()))
    if not changed.any():
        return
    values = frame[r["end"]].to_numpy(dtype="datetime64[ns]", copy=True)
    rows = last["row"].to_numpy()[changed]
    values[rows] = np.where(
        np.isnan(to[changed]), np.datetime64("NaT"), np.nan_to_num(to[changed]).astype(np.int64).view("datetime64[ns]")
    )
    frame[r["end"]] = pd.Series(values, index=frame.index).astype(frame[r["end"]].dtype)
    log.info("%s.%s: %d last generated end(s) set to their parent's other histories'", r["table"], r["end"], int(changed.sum()))  # fmt: skip

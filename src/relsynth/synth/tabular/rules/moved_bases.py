"""Dates ordered from a date that decoding moves afterwards move with it.

An order within rows (`orderings`) draws a column as a gap from its base: a column of the row, of
its parent row, or of an ancestor's (`<ancestor>.<column>`). A rule that runs once every table is
written (`reference_sides`: a receipt on or after its store's opening) may move such a base after
the rows ordered from it were drawn from its old value; those rows keep their gap only when shifted
by the same amount (a return 0-30 days after its receipt, not years before it).

So do the dates of the rows nested under the moved row that track it without an order (`followers`:
a participant's visits, the screening a few days before or after the consent, the rest weeks after):
drawn beside the old value, they keep their place only when shifted with it (a consent moved after
its trial's start left 70 % to 80 % of the screenings days to years from it, against 44 % unmoved).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Column
from relsynth.relational.orders import (
    DATED,
    DAY_NS,
    ancestor_column,
    ancestor_keys,
    as_numbers,
    near_share,
    with_ancestors,
)

# a date under a moved row follows it where its gap from it spreads at most this share of its own spread: a visit
# 0-100 days from its participant's consent, in a column spanning years (0.075); apart, about 1
FOLLOW_SHARE = 0.1


def base_of(schema, table: str, ordering) -> tuple[str, str]:
    """(table, column) of the base an order of `table` reads: its own row's, its parent row's, or
    an ancestor's (`<ancestor>.<column>`)."""
    if not ordering.from_parent:
        return table, ordering.base
    parent = schema.parent(table).parent
    if ordering.base in schema.tables[parent].columns:
        return parent, ordering.base
    return ancestor_column(schema, ordering.base)


def shift_ordered_from(
    orderings: dict, tables: dict[str, pd.DataFrame], schema, table: str, column: str, before: pd.Series
) -> None:
    """Shift (in place) each dated column ordered from `tables[table][column]` by how far its base
    row's value moved from `before` (the column's values by position before it moved), and on down
    the columns ordered from those; a day-based order by whole days, keeping its gap in days."""
    by_key = _moves_by_key(tables, schema, table, column, before)
    if by_key is None:
        return
    for child, found in orderings.items():
        for o in found.values():
            if child not in tables or not o.dated or o.column not in tables[child]:
                continue
            if base_of(schema, child, o) != (table, column) or (child, o.column) == (table, column):
                continue
            keys = ancestor_keys(schema, tables, child, table).to_numpy()
            was, now = by_key["old"].reindex(keys).to_numpy(), by_key["new"].reindex(keys).to_numpy()
            if o.day_base:  # the gap counts days from the base's day
                was, now = np.floor(was / DAY_NS) * DAY_NS, np.floor(now / DAY_NS) * DAY_NS
            shift = np.nan_to_num(now - was)
            if not shift.any():
                continue
            dependant = tables[child][o.column].copy()
            tables[child][o.column] = _shifted(dependant, shift, schema.tables[child].columns[o.column].kind)
            shift_ordered_from(orderings, tables, schema, child, o.column, dependant)


def _moves_by_key(tables, schema, table: str, column: str, before: pd.Series) -> pd.DataFrame | None:
    """{"old", "new"} nanoseconds of `tables[table][column]` before (`before`, by position) and after
    it moved, indexed by the row's key (a key drawn twice: its first row, as `ancestor_keys` reads);
    None where nothing moved."""
    old, new = as_numbers(before, Column.DATETIME), as_numbers(tables[table][column], Column.DATETIME)
    if np.array_equal(old, new, equal_nan=True):
        return None
    by_key = pd.DataFrame({"old": old, "new": new}, index=tables[table][schema.tables[table].primary_key].to_numpy())
    return by_key[~by_key.index.duplicated()]


def _shifted(values: pd.Series, shift: np.ndarray, kind: Column) -> pd.Series:
    """`values` (dates) each moved by `shift` nanoseconds (whole days for a date column: it shows
    no time), missing ones left missing."""
    if kind is Column.DATE:
        shift = np.round(shift / DAY_NS) * DAY_NS
    return pd.to_datetime(values) + pd.to_timedelta(shift.astype(np.int64), unit="ns")


def followers(tables, schema, orderings: dict, table: str, column: str) -> list[list[str]]:
    """[[table, column], ...] of the dates of the tables nested under `table` (any depth) whose gap
    from their row's `table` row's `column` spreads at most `FOLLOW_SHARE` of their own
    (`near_share`: present where the column is, `MIN_ROWS` rows at least): a visit weeks after its
    participant's consent. Not a date an order within rows draws from another column (it moves with
    that one, `shift_ordered_from`); a date after its previous sibling is one (a parent's rows shift
    alike, keeping their gaps)."""
    out, below = [], list(schema.children(table))
    above = f"{table}.{column}"
    while below:
        child = below.pop(0)
        below += schema.children(child)
        drawn = orderings.get(child, {})
        dates = [c for c, k in schema.tables[child].columns.items() if k.kind in DATED]
        dates = [c for c in dates if c not in drawn or (drawn[c].base == c and not drawn[c].from_parent)]
        if not dates:
            continue
        base = with_ancestors(tables, schema, child, [above])[above]
        base_ns = as_numbers(base, schema.tables[table].columns[column].kind)
        for c in dates:
            share = near_share(base_ns, as_numbers(tables[child][c], schema.tables[child].columns[c].kind))
            if share is not None and share <= FOLLOW_SHARE:
                out.append([child, c])
    return out


def shift_followers(
    found: list, orderings: dict, tables: dict[str, pd.DataFrame], schema, table: str, column: str, before
) -> None:
    """Shift (in place) each date `found` (`followers` of `tables[table][column]`) by how far its
    row's value moved from `before` (by position), and on down the columns ordered from them."""
    by_key = _moves_by_key(tables, schema, table, column, before)
    if by_key is None:
        return
    moved = (by_key["new"] - by_key["old"]).fillna(0.0)
    for child, c in found:
        if child not in tables or c not in tables[child]:
            continue
        shift = moved.reindex(ancestor_keys(schema, tables, child, table).to_numpy()).fillna(0).to_numpy()
        if shift.any():
            dependant = tables[child][c].copy()
            tables[child][c] = _shifted(dependant, shift, schema.tables[child].columns[c].kind)
            shift_ordered_from(orderings, tables, schema, child, c, dependant)

"""Dates ordered from a date that decoding moves afterwards move with it.

An order within rows (`orderings`) draws a column as a gap from its base: a column of the row, of
its parent row, or of an ancestor's (`<ancestor>.<column>`). A rule that runs once every table is
written (`reference_sides`: a receipt on or after its store's opening) may move such a base after
the rows ordered from it were drawn from its old value; those rows keep their gap only when shifted
by the same amount (a return 0-30 days after its receipt, not years before it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Column
from relsynth.relational.orders import ancestor_column, ancestor_keys, as_numbers

_DAY = 86_400 * 10**9  # nanoseconds


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
    pk = schema.tables[table].primary_key
    old, new = as_numbers(before, Column.DATETIME), as_numbers(tables[table][column], Column.DATETIME)
    if np.array_equal(old, new, equal_nan=True):
        return
    by_key = pd.DataFrame({"old": old, "new": new}, index=tables[table][pk].to_numpy())
    by_key = by_key[~by_key.index.duplicated()]  # a key drawn twice: its first row, as `ancestor_keys` reads
    for child, found in orderings.items():
        for o in found.values():
            if child not in tables or not o.dated or o.column not in tables[child]:
                continue
            if base_of(schema, child, o) != (table, column) or (child, o.column) == (table, column):
                continue
            keys = ancestor_keys(schema, tables, child, table).to_numpy()
            was, now = by_key["old"].reindex(keys).to_numpy(), by_key["new"].reindex(keys).to_numpy()
            if o.day_base:  # the gap counts days from the base's day
                was, now = np.floor(was / _DAY) * _DAY, np.floor(now / _DAY) * _DAY
            shift = np.nan_to_num(now - was)
            if not shift.any():
                continue
            dependant = tables[child][o.column].copy()
            tables[child][o.column] = _shifted(dependant, shift, schema.tables[child].columns[o.column].kind)
            shift_ordered_from(orderings, tables, schema, child, o.column, dependant)


def _shifted(values: pd.Series, shift: np.ndarray, kind: Column) -> pd.Series:
    """`values` (dates) each moved by `shift` nanoseconds (whole days for a date column: it shows
    no time), missing ones left missing."""
    if kind is Column.DATE:
        shift = np.round(shift / _DAY) * _DAY
    return pd.to_datetime(values) + pd.to_timedelta(shift.astype(np.int64), unit="ns")

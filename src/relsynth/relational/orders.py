"""Dates in order: the date columns of a table that never come before (or after) another date of
their row, or of their parent row (shipped >= ordered, an order placed after its customer joined).

The tabular model keeps such orders by writing a date as its offset from the one it follows
(`synth/tabular/orderings.py`); the report measures how many synthetic rows keep each order the
training rows all keep (`eval/quality.py`, `order_scores`).

An order is taken for a date column `b` and a date `a` before it (an earlier column of the same
table, in the given column order, or a column of the parent row) when wherever `b` is present `a`
is too, `b >= a` (or `b <= a`) in every row, at least `MIN_ROWS` rows hold both, and their ranges
overlap (else the order follows from the values alone). Of several such `a`, the one with the
smallest median gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.relational.columns import Column
from relsynth.relational.schema import Schema

MIN_ROWS = 20  # rows holding both dates that an order needs before it is trusted
DATED = (Column.DATE, Column.DATETIME)


@dataclass(frozen=True)
class DateOrder:
    """Column `column` is on or after (`sign` 1) or on or before (-1) the date `base`."""

    column: str
    base: str
    sign: int
    from_parent: bool = False  # `base` is a column of the row's parent row

    def describe(self, parent: str | None = None) -> str:
        base = f"{parent}.{self.base}" if self.from_parent else self.base
        return f"{self.column} {'>=' if self.sign > 0 else '<='} {base}"


def date_orders(
    df: pd.DataFrame, columns: Sequence[str], kinds: Mapping[str, Column], parent: pd.DataFrame | None = None
) -> dict[str, DateOrder]:
    """The ordered date columns among `columns` (in generation order) of one table, each with the
    date it follows; `parent`: the parent row's date columns, one row per row of `df`."""
    dated = [c for c in columns if kinds[c] in DATED]
    ns = {c: as_ns(df[c]) for c in dated}
    above = {c: as_ns(parent[c]) for c in (parent.columns if parent is not None else [])}
    out: dict[str, DateOrder] = {}
    for j, b in enumerate(dated):
        candidates = [(a, ns[a], False) for a in dated[:j]] + [(a, v, True) for a, v in above.items()]
        best: tuple[float, DateOrder] | None = None
        for a, values, from_parent in candidates:
            found = _order(values, ns[b])
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], DateOrder(b, a, found[1], from_parent))
        if best is not None:
            out[b] = best[1]
    return out


def _order(a: np.ndarray, b: np.ndarray) -> tuple[float, int] | None:
    """(median gap, sign) when `b` follows `a` (sign 1) or precedes it (-1) in every row, else None."""
    has_a, has_b = ~np.isnan(a), ~np.isnan(b)
    both = has_a & has_b
    if (has_b & ~has_a).any() or both.sum() < MIN_ROWS:  # b without a: no offset to hold it
        return None
    gap = b[both] - a[both]
    sign = 1 if (gap >= 0).all() else -1 if (gap <= 0).all() else 0
    implied = b[has_b].min() >= a[has_a].max() if sign > 0 else b[has_b].max() <= a[has_a].min()
    if sign == 0 or implied:
        return None
    return float(np.median(np.abs(gap))), sign


def as_ns(values: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch as float64 (exact enough to compare), NaN where missing."""
    ts = pd.to_datetime(values)
    out = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    out[ts.isna().to_numpy()] = np.nan
    return out


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


def parent_dates(tables: Mapping[str, pd.DataFrame], schema: Schema, table: str) -> pd.DataFrame | None:
    """Every date column of `table`'s parent row, one row per row of `table`."""
    edge = schema.parent(table)
    if edge is None:
        return None
    columns = [c for c, k in schema.tables[edge.parent].columns.items() if k.kind in DATED]
    return parent_rows(tables, schema, table, columns)


def kept_share(df: pd.DataFrame, order: DateOrder, parent: pd.DataFrame | None) -> tuple[float | None, int]:
    """(share of the rows holding both dates that keep `order`, those rows); None without such rows."""
    base = parent[order.base] if order.from_parent else df[order.base]
    gap = order.sign * (as_ns(df[order.column]) - as_ns(base))
    held = ~np.isnan(gap)
    n = int(held.sum())
    return (float((gap[held] >= 0).mean()) if n else None), n

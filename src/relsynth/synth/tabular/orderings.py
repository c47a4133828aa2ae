"""Dates in order, in the model: a date that follows another of its row or of its parent row in
every training row (`relational.orders`: shipped >= ordered, an order placed after its customer
joined) is modelled as its offset from that date, so every generated row keeps the order, which
binned dates drawn one by one do not (a third of TPC-H's generated line items were received
before they were shipped).

Found at fit, never under DP (the order would be read from private data at no cost). The
column's slot holds the offset `|b - a|` in seconds, a number like any other (the offsets real
rows show, often a few exact values: 1 to 30 days), and decoding adds it back on the column's grid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from relsynth.relational import Column
from relsynth.relational.orders import as_ns, date_orders
from relsynth.synth.tabular.encoders import _exact_ns, _time_grid

_DAY_NS = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class Ordering:
    """Column `b` of a row is on or after (`sign` 1) or on or before (-1) its column `base`."""

    base: str
    sign: int
    grid_ns: int  # b's resolution: decoded values lie on it (a day for dates)
    from_parent: bool = False  # `base` is a column of the row's parent row

    def to_dict(self) -> dict:
        return asdict(self)


def find_orderings(
    df: pd.DataFrame, columns: Sequence[str], kinds: Mapping[str, Column], parent: pd.DataFrame | None = None
) -> dict[str, Ordering]:
    """The ordered columns of one table among `columns` (its modelled ones, in field order), each
    with the date it follows and its grid; `parent`: the parent row's date columns, one row per
    row of `df` (`relational.orders.date_orders`)."""
    found = date_orders(df, columns, kinds, parent)
    return {b: Ordering(o.base, o.sign, _grid_ns(df[b], kinds[b]), o.from_parent) for b, o in found.items()}


def _grid_ns(values: pd.Series, kind: Column) -> int:
    if kind is Column.DATE:
        return _DAY_NS
    decimals, step = _time_grid(_exact_ns(values, np.array([]), "datetime"), "datetime")
    return 10 ** (9 - decimals) if decimals else step * 1_000_000_000


def with_offsets(
    df: pd.DataFrame, orderings: Mapping[str, Ordering], parent: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`df` with each ordered column replaced by its offset from its base, in seconds (>= 0);
    `parent`: the parent row's columns, one row per row of `df` (needed for `from_parent` bases)."""
    present = {b: o for b, o in orderings.items() if b in df.columns and (o.from_parent or o.base in df.columns)}
    if not present:
        return df
    out = df.copy()
    for b, o in present.items():
        base = _base_of(o, df, parent)
        out[b] = o.sign * (as_ns(df[b]) - as_ns(base)) / 1e9
    return out


def _base_of(o: Ordering, own: Mapping[str, pd.Series] | pd.DataFrame, parent: pd.DataFrame | None) -> pd.Series:
    if not o.from_parent:
        return own[o.base]
    if parent is None or o.base not in parent.columns:
        raise ValueError(f"the offset from the parent's {o.base!r} needs the parent rows' {o.base!r}")
    return parent[o.base]


def from_offsets(
    cols: dict[str, pd.Series], orderings: Mapping[str, Ordering], parent: pd.DataFrame | None = None
) -> None:
    """Turn decoded offsets (seconds) back into dates, in place, in field order (a base may itself
    be ordered): base + offset, on the column's grid, never across its base; `parent` as in
    `with_offsets`, decoded already."""
    for b, o in orderings.items():
        if b not in cols or (not o.from_parent and o.base not in cols):
            continue
        base = as_ns(_base_of(o, cols, parent))
        target = base + o.sign * np.round(pd.to_numeric(cols[b], errors="coerce").to_numpy(np.float64) * 1e9)
        missing = np.isnan(target)
        t = np.where(missing, 0, target).astype(np.int64)
        snapped = (t // o.grid_ns) * o.grid_ns if o.sign > 0 else -((-t) // o.grid_ns) * o.grid_ns
        crossed = snapped < base if o.sign > 0 else snapped > base  # a base finer than b's grid
        snapped = np.where(crossed, snapped + o.sign * o.grid_ns, snapped)
        out = pd.Series(snapped.astype("datetime64[ns]"))
        out[missing] = pd.NaT
        cols[b] = out


def orderings_from_dict(d: Mapping[str, Mapping[str, Mapping]]) -> dict[str, dict[str, Ordering]]:
    return {t: {b: Ordering(**o) for b, o in cols.items()} for t, cols in d.items()}

"""Two columns of a row kept in order: an undirected edge stored once, its lower key first
(friendships (a, b) with a < b), a range's low and high.

The source declares it by a CHECK (a < b) or (a <= b) (`relational._checks.column_orders`,
public like the schema: kept under DP too and written back by to_sql), or, for two references to
one table (not under DP), every training row holding both keeps it (`MIN_ROWS` at least). The
references are drawn apart, each its own parent row, so only ~62 % of generated friendships kept
a < b. Once the references are drawn, a row holding the pair the wrong way round has its two keys
swapped (the same pair, stored the declared way), before repeated links are dropped; values
(numbers, dates) a declared order holds are swapped once every value is set, as the orders the
data shows are kept by the model (`orderings`). A row holding one value in both of a strict
pair is left, counted in a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, Schema
from relsynth.relational.data import BELOW, SQL_FORMAT, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular._references.fit import unnamed

log = logging.getLogger(__name__)
MIN_ROWS = 20  # training rows holding both keys an order between two references is read from, at least
_VALUES = (Column.NUMERIC, Column.INTEGER, Column.DATE, Column.DATETIME)


def declared_orders(formats: Mapping, table: str) -> list[dict]:
    """{"table", "low", "high", "strict"} of each CHECK (low < high) or (low <= high) the source declares on `table`."""
    return [
        {"table": table, "low": low, "high": high, "strict": bool(strict)}
        for low, fmt in (formats.get(table) or {}).items()
        for high, strict in ((fmt or {}).get(SQL_FORMAT) or {}).get(BELOW, [])
    ]


def key_orders(data: RelationalData) -> list[dict]:
    """The orders (`declared_orders`' dicts) every training row holding two references of a table
    to one table keeps, in MIN_ROWS rows at least: strict where no row names one row twice."""
    out = []
    for table in data.schema.synth_tables:
        fks = data.schema.tables[table].foreign_keys
        for a, b in ((a, b) for a in fks for b in fks if a < b and fks[a] == fks[b]):
            pair = data[table][[a, b]].dropna()
            if len(pair) < MIN_ROWS:
                continue
            for low, high in ((a, b), (b, a)):
                below = _below(pair[low], pair[high], strict=False)
                if below is not None and below.all():
                    strict = bool(_below(pair[low], pair[high], strict=True).all())
                    out.append({"table": table, "low": low, "high": high, "strict": strict})
    return out


def keep_key_orders(pre, tables: dict[str, pd.DataFrame]) -> None:
    """Swap, in place, the keys of each generated row holding a pair of references the wrong way
    round (`key_orders`, or declared between two references); a link table no table names is put
    back in its parent rows' order."""
    schema = pre.schema
    for order in _orders(pre):
        table = order["table"]
        fks = schema.tables[table].foreign_keys
        if table in tables and order["low"] in fks and order["high"] in fks:
            tables[table] = _swapped(tables[table], order)
            nest = schema.parent(table)
            if nest is not None and nest.fk in (order["low"], order["high"]) and unnamed(schema, table):
                keys = pd.Index(tables[nest.parent][schema.tables[nest.parent].primary_key])
                order_rows = np.argsort(keys.get_indexer(tables[table][nest.fk]), kind="stable")
                tables[table] = tables[table].iloc[order_rows].reset_index(drop=True)


def keep_value_orders(
    schema: Schema, tables: dict[str, pd.DataFrame], formats: Mapping, given: Mapping[str, list[str]] | None = None
) -> None:
    """Swap, in place, the values of each generated row breaking a declared order between two
    numbers or dates (`declared_orders`); `given`: table -> columns never changed."""
    for table in schema.synth_tables:
        cols = schema.tables[table].columns
        for order in declared_orders(formats, table):
            pair = (order["low"], order["high"])
            if table not in tables or not all(c in cols and cols[c].kind in _VALUES for c in pair):
                continue
            if not set(pair) & set((given or {}).get(table, [])):
                tables[table] = _swapped(tables[table], order, kinds=(cols[pair[0]].kind, cols[pair[1]].kind))


def _orders(pre) -> list[dict]:
    formats = pre.stats.get("formats") or {}
    declared = [o for t in pre.schema.synth_tables for o in declared_orders(formats, t)]
    return [*declared, *(o for o in pre.stats.get("key_orders", []) if o not in declared)]  # none in older models


def _swapped(df: pd.DataFrame, order: Mapping, kinds: tuple[Column, Column] | None = None) -> pd.DataFrame:
    """`df` with `order`'s two columns swapped in each row holding them the wrong way round, each
    value put in its new column's `kinds` (`_in_kind`); a warning counts the rows holding one value
    in a strict pair (left: no swap keeps them apart)."""
    low, high = order["low"], order["high"]
    above = _below(df[high], df[low], strict=True)
    if above is None:
        return df
    if above.any():
        df = df.copy()
        rows = df.index[above]
        to_low, to_high = df.loc[rows, high], df.loc[rows, low]
        if kinds is not None:
            to_low, to_high = _in_kind(to_low, kinds[0], down=True), _in_kind(to_high, kinds[1], down=False)
        df.loc[rows, low], df.loc[rows, high] = to_low.to_numpy(), to_high.to_numpy()
        log.info(
            "%s: %d of %d generated row(s) held %s above %s: swapped", order["table"], above.sum(), len(df), low, high
        )
    same = (df[low].notna() & df[high].notna() & (df[low] == df[high])).to_numpy(dtype=bool)
    if order["strict"] and same.any():
        log.warning(
            "%s: %d generated row(s) hold one value in %s and %s, which must be below it: left",
            order["table"],
            int(same.sum()),
            low,
            high,
        )
    return df


def _in_kind(values: pd.Series, kind: Column, down: bool) -> pd.Series:
    """Values swapped into a column of `kind`: an integer's whole number, a date's day (a CHECK (qty
    <= cap) between an INTEGER and a REAL, (ordered <= shipped) between a DATE and a TIMESTAMP),
    rounded down into the low column and up into the high one, so the order still holds."""
    if kind is Column.INTEGER and not pd.api.types.is_integer_dtype(values.dtype):  # integers stay exact past 2**53
        x = to_numbers(values, errors="raise").astype("float64")
        return np.floor(x) if down else np.ceil(x)
    if kind is Column.DATE:
        days = pd.to_datetime(values)
        return days.dt.floor("D") if down else days.dt.ceil("D")
    return values


def _below(a: pd.Series, b: pd.Series, strict: bool) -> np.ndarray | None:
    """Whether each `a` is below `b` (False where either is null); None where they do not compare."""
    held = (a.notna() & b.notna()).to_numpy(dtype=bool)
    try:
        below = (a < b) if strict else (a <= b)
    except TypeError:  # keys of mixed types
        return None
    return below.to_numpy(dtype=bool, na_value=False) & held

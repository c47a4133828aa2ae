"""Columns of a row the source keeps apart by a CHECK (a <> b) that are not keys (a shipment's
ship_from and ship_to warehouse numbers, a match's two team labels).

`from_sql` reads such a check (public like the schema) and `to_sql` refuses rows breaking it; keys
drawn as references are kept apart when drawn (`_references.fit.declared_apart`), but the model
writes values one after the other and repeats one in the next column as often as chance says (67
of 400 generated orders with ship_from = ship_to, none in the source), so the synthetic database
could not be written into the source's DDL. Once every value is set, such a row's second column
gets another of the column's generated values (drawn by its share among those that differ), or
its first where the second was given (a context's value). A warning counts the rows changed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, Schema
from relsynth.relational.data import DIFFERS_FROM, SQL_FORMAT

log = logging.getLogger(__name__)
REDRAWS = 30  # rounds of drawing from the whole pool again before the values that differ are listed
_SKIPPED = (Column.PRIMARY_KEY, Column.FOREIGN_KEY, Column.TEXT, Column.IDENTIFIER)  # keys: drawn apart; text later


def apart_pairs(schema: Schema, formats: Mapping, table: str) -> list[tuple[str, str]]:
    """The (a, b) of `table`'s CHECK (a <> b) in `formats` over two columns of values (not keys, text
    or codes; a lookup's keys are values the model writes: a bill of materials' parts, a lookup)."""
    cols = schema.tables[table].columns

    def value(c: str) -> bool:
        return c in cols and (cols[c].kind not in _SKIPPED or getattr(cols[c], "parent", None) in schema.lookups)

    return [
        (a, b)
        for a, fmt in (formats.get(table) or {}).items()
        for b in ((fmt or {}).get(SQL_FORMAT) or {}).get(DIFFERS_FROM, [])
        if value(a) and value(b)
    ]


def keep_apart(
    schema: Schema,
    tables: dict[str, pd.DataFrame],
    formats: Mapping,
    rng: np.random.Generator,
    given: Mapping[str, list[str]] | None = None,
) -> None:
    """Give, in place, every generated row holding one value in two columns a CHECK (a <> b) keeps
    apart another value in one of them (module doc). `given`: table -> columns never changed."""
    for table in schema.synth_tables:
        for a, b in apart_pairs(schema, formats, table):
            if table in tables and {a, b} <= set(tables[table].columns):
                fixed = (given or {}).get(table, [])
                if not {a, b} <= set(fixed):
                    tables[table] = _apart(tables[table], table, (a, b) if b not in fixed else (b, a), rng)


def _apart(df: pd.DataFrame, table: str, pair: tuple[str, str], rng: np.random.Generator) -> pd.DataFrame:
    """`df` with column `pair[1]` of each row equal to its `pair[0]` drawn again among the column's
    other generated values; a row left so where the column holds no other value."""
    keep, change = pair
    same = (df[keep].notna() & df[change].notna() & (df[keep] == df[change])).to_numpy(dtype=bool)
    if not same.any():
        return df
    df = df.copy()
    rows = np.flatnonzero(same)
    drawn, found = _draw_other(df[change].dropna().to_numpy(), df[keep].to_numpy()[rows], rng)
    df.iloc[rows[found], df.columns.get_loc(change)] = drawn[found]
    left = int((~found).sum())
    log.warning(
        "%s: %d of %d generated row(s) held the same value in %s and %s, which the source's CHECK (%s <> %s) "
        "refuses: %d given another %s%s",
        table,
        int(same.sum()),
        len(df),
        *pair,
        *pair,
        int(same.sum()) - left,
        change,
        f", {left} left so (the column holds no other value)" if left else "",
    )
    return df


def _draw_other(pool: np.ndarray, avoid: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per value of `avoid`, one of `pool` that differs from it, drawn by its share among those
    (drawn from the whole pool again where it equals it: the same law, without a pass over the pool
    per row, which took 3 s for 12,000 rows of 100,000), and whether one was found (none where the
    pool holds no other value)."""
    drawn = np.empty(len(avoid), dtype=pool.dtype)
    todo = np.arange(len(avoid))
    for _ in range(REDRAWS):
        if not len(todo) or not len(pool):
            break
        pick = pool[rng.integers(len(pool), size=len(todo))]
        fine = pick != avoid[todo]
        drawn[todo[fine]] = pick[fine]
        todo = todo[~fine]
    found = np.ones(len(avoid), dtype=bool)
    for i in todo:  # unlucky or impossible: the values that differ, counted once
        others = pool[pool != avoid[i]]
        if len(others):
            drawn[i] = others[rng.integers(len(others))]
        else:
            found[i] = False
    return drawn, found

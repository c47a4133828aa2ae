"""Numbers kept within the range of the lookup row their parent row names: a salary history's
amounts between the lowest and highest of its employee's grade, where `pay_grades` is a lookup and
the grade a key of the employee, not of the history row.

`lookup_orders` keeps a number within the lookup row its own row names; nothing related a child's
numbers to the lookup row of its parent, and a number written as the rise from its previous
sibling's (`orderings`) is moved by no rule: 31 % of a trained model's salary amounts left their
employee's grade range (none of the data's), and the salary, their latest, with them.

The fit keeps, per number column of a table nested under a parent and per lookup key of that
parent, the sides among the lookup row's numbers that every training row keeps
(`relational.orders.reference_orders`: at least 20 rows, not kept by the values alone).
Generation clips a value past a side onto it, once the table's rows are decoded: the rows under one
parent share one lookup row, so clipping keeps their order among siblings (amounts that never
fall stay so), where a value drawn anew would not. Columns that a total or a formula sets,
or an order within rows other than one after the column's own previous sibling, are left alone
(`skip`). Not under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import as_numbers, reference_orders, referenced_ordered
from relsynth.relational.schema import Edge

log = logging.getLogger(__name__)
NUMBERS = (Column.NUMERIC, Column.INTEGER)


def find_parent_lookup_ranges(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "parent_fk", "low", "high"}]: a number column of a nested table on or
    above the `low` number and/or on or below the `high` number of the lookup row its parent names
    by `parent_fk`, in every training row (None: no such side); `skip`: (table, column) to leave be."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        edge = schema.parent(table)
        if edge is None:
            continue
        kinds = {c: k.kind for c, k in schema.tables[table].columns.items() if k.kind in NUMBERS}
        columns = [c for c in kinds if (table, c) not in skip and c in pre.modelled_columns(table)]
        for fk, lookup in schema.lookup_fks(edge.parent).items() if columns else ():
            named, named_kinds = lookup_rows_of_parent(data.data, schema, edge, fk, lookup)
            named_kinds = {c: k for c, k in named_kinds.items() if k in NUMBERS}
            sides: dict[str, dict[int, str]] = {}
            for o in reference_orders(data[table], columns, kinds, named, named_kinds):
                sides.setdefault(o.column, {})[o.sign] = o.base
            for col, side in sides.items():
                rule = {"table": table, "column": col, "parent_fk": fk, "low": side.get(1), "high": side.get(-1)}
                log.info("%s.%s within its %s row's %s's %s: kept so", table, col, edge.parent, fk, _sides(rule))
                out.append(rule)
    return out


def lookup_rows_of_parent(
    tables: Mapping[str, pd.DataFrame], schema, edge: Edge, fk: str, lookup: str
) -> tuple[pd.DataFrame, dict[str, Column]]:
    """The number and date columns of the lookup row that each row of `edge.child`'s parent names by
    `fk`, one row per row of `edge.child` (missing where none), and their kinds."""
    named, kinds = referenced_ordered(tables, schema, Edge(edge.parent, fk, lookup))
    parents = tables[edge.parent][schema.tables[edge.parent].primary_key].to_numpy()
    named.index = pd.Index(parents)
    return named.reindex(tables[edge.child][edge.fk].to_numpy()).reset_index(drop=True), kinds


def keep_parent_lookup_ranges(rules: list[dict], tables: dict[str, pd.DataFrame], schema) -> None:
    """Clip (in place) each value of `rules`' columns past a side of its parent's lookup row onto it."""
    for rule in rules:
        table, col = rule["table"], rule["column"]
        edge = schema.parent(table)
        if table not in tables or col not in tables[table] or edge is None or edge.parent not in tables:
            continue
        lookup = schema.tables[edge.parent].columns[rule["parent_fk"]].parent
        if lookup not in tables:
            continue
        named, _ = lookup_rows_of_parent(tables, schema, edge, rule["parent_fk"], lookup)
        frame = tables[table]
        whole = pd.api.types.is_integer_dtype(frame[col].dtype)  # an integer clipped inside a fractional side
        values = as_numbers(frame[col], Column.NUMERIC)
        clipped = values.copy()
        with np.errstate(invalid="ignore"):  # a missing value or side stays as it is
            if rule["low"] is not None:
                low = as_numbers(named[rule["low"]], Column.NUMERIC)
                clipped = np.where(clipped < low, np.ceil(low) if whole else low, clipped)
            if rule["high"] is not None:
                high = as_numbers(named[rule["high"]], Column.NUMERIC)
                clipped = np.where(clipped > high, np.floor(high) if whole else high, clipped)
        rows = np.flatnonzero(~np.isnan(values) & (clipped != values))
        if len(rows):
            out = frame[col].copy()
            out.iloc[rows] = clipped[rows]
            frame[col] = out
            log.info(
                "%s.%s: %d generated value(s) clipped into their parent's lookup row's range", table, col, len(rows)
            )


def _sides(rule: dict) -> str:
    return " and ".join(f"{'at least' if s == 'low' else 'at most'} {rule[s]}" for s in ("low", "high") if rule[s])

"""Dates kept on their side of a date of a row further up than their parent (a return after its
order was placed, the return nested under the order's line, which holds no date).

Orders within rows (`orderings`) keep a date after its own row's or its parent row's, as an
offset; nothing kept one after its grandparent's: 81 of 184 generated returns of a shop (44 %)
were dated before the order they return a line of. The fit keeps, per date column of a
synthesised table and per side, the tightest date of its ancestors above its parent that every
training row keeps (`relational.orders.reference_orders` over `ancestor_ordered`: at least 20
rows, not kept by the values alone), with the quantiles of where the column lies (`_lookup_orders`:
its place between two sides, else its gap from the one). Generation moves each value that breaks
one to a place drawn from them once the table's rows are decoded, its ancestors' before it, so its
children's offsets start from the moved value. Columns an order within rows, a total or a formula
sets or reads are left alone, but for a base moved on the side that keeps its orders (as lookup
orders). Not under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import ancestor_ordered
from relsynth.synth.tabular._lookup_orders import move_within, side_rules

log = logging.getLogger(__name__)


def find_ancestor_orders(
    pre, data: RelationalData, skip: set[tuple[str, str]], movable: dict[tuple[str, str], int]
) -> list[dict]:
    """[{"table", "column", "low", "high", "place"}]: a date of a synthesised table on or after
    `low` and/or on or before `high`, dates `<ancestor>.<column>` of its rows above its parent, in
    every training row (`skip`, `movable`: as `find_lookup_orders`)."""
    out = []
    for table in data.schema.synth_tables:
        named, named_kinds = ancestor_ordered(data.data, data.schema, table)
        if named is None:
            continue
        for rule in side_rules(pre, data, table, named, named_kinds, skip, movable):
            sides = [rule[s] for s in ("low", "high") if rule[s] is not None]
            log.info("%s.%s on its side of %s in every row: kept so", table, rule["column"], sides)
            out.append(rule)
    return out


def keep_ancestor_orders(rules: list[dict], tables: dict[str, pd.DataFrame], schema, rng: np.random.Generator) -> None:
    """Move (in place) each value of `rules`' columns that is on the wrong side of its ancestor row's
    date to a place drawn from the training rows' (`find_ancestor_orders`); the others stay."""
    for rule in rules:
        if rule["table"] not in tables:
            continue
        named, _ = ancestor_ordered(tables, schema, rule["table"])
        if named is not None and (moved := move_within(rule, tables[rule["table"]], named, schema, rng)):
            sides = [rule[s] for s in ("low", "high") if rule[s] is not None]
            log.info(
                "%s.%s: %d generated value(s) moved to their side of %s", rule["table"], rule["column"], moved, sides
            )

"""Dates kept on their side of a date of a row further up than their parent (a return after its
order was placed, the return nested under the order's line, which holds no date).

Orders within rows (`orderings`) keep a date after its own row's or its parent row's, as an
offset; nothing kept one after its grandparent's: 81 of 184 generated returns of a shop (44 %)
were dated before the order they return a line of. Such a date is now mostly modelled as its
offset from the ancestor's date (`TabularPreproc._parent_values`: the orders within rows take
dates further up as bases); what is left here is a date no such order models (`keep_orders=False`,
a date far from its base). The fit keeps, per date column of a
synthesised table and per side, the tightest date of its ancestors above its parent that every
training row keeps (`relational.orders.reference_orders` over `ancestor_ordered`: at least 20
rows, not kept by the values alone), with the quantiles of where the column lies (`_lookup_orders`:
its place between two sides, else its gap from the one). Generation moves each value that breaks
one to a place drawn from them once the table's rows are decoded, its ancestors' before it, so its
children's offsets start from the moved value. Columns an order within rows, a total or a formula
sets or reads are left alone, but for a base moved on the side that keeps its orders (as lookup
orders), and for dates whose siblings follow one another from a constant origin (a line's shipment
events, the line holding no date: 45 % of generated events were dated before their order): there
all of a parent's rows move by one amount, the most any of them needs, so they keep their order
and gaps (a rule of one side only). Not under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import ancestor_ordered, as_numbers
from relsynth.synth.tabular.rules.lookup_orders import move_within, side_rules

log = logging.getLogger(__name__)


def find_ancestor_orders(
    pre,
    data: RelationalData,
    skip: set[tuple[str, str]],
    movable: dict[tuple[str, str], int],
    sequences: set[tuple[str, str]] = frozenset(),
) -> list[dict]:
    """[{"table", "column", "low", "high", "place"}]: a date of a synthesised table on or after
    `low` and/or on or before `high`, dates `<ancestor>.<column>` of its rows above its parent, in
    every training row (`skip`, `movable`: as `find_lookup_orders`; `sequences`: (table, column) of
    skipped dates whose siblings may move together, their rules marked `"siblings": True`)."""
    out = []
    for table in data.schema.synth_tables:
        named, named_kinds = ancestor_ordered(data.data, data.schema, table)
        if named is None:
            continue
        for rule in side_rules(pre, data, table, named, named_kinds, skip - sequences, movable):
            if (table, rule["column"]) in sequences:
                if rule["low"] is not None and rule["high"] is not None:
                    continue  # one amount for all siblings may not fit both sides
                rule["siblings"] = True
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
        move = _move_siblings if rule.get("siblings") else move_within
        if named is not None and (moved := move(rule, tables[rule["table"]], named, schema, rng)):
            sides = [rule[s] for s in ("low", "high") if rule[s] is not None]
            log.info(
                "%s.%s: %d generated value(s) moved to their side of %s", rule["table"], rule["column"], moved, sides
            )


def _move_siblings(rule: dict, frame: pd.DataFrame, named: pd.DataFrame, schema, rng: np.random.Generator) -> int:
    """`move_within`, then every row of a parent moved (in place) by the most any of its rows moved
    (the least, on a high side), so the siblings keep their order and gaps; how many rows broke."""
    col, fk = rule["column"], schema.parent(rule["table"]).fk
    before = frame[col].copy()
    moved = move_within(rule, frame, named, schema, rng)
    if moved:
        kind = Column.DATETIME
        delta = pd.Series(as_numbers(frame[col], kind) - as_numbers(before, kind), index=frame.index)
        shift = delta.groupby(frame[fk].to_numpy()).transform("max" if rule["low"] is not None else "min")
        frame[col] = before + pd.to_timedelta(shift.fillna(0).round().astype(np.int64), unit="ns")
    return moved

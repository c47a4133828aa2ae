"""Dates kept within the span of a sibling table's dates under the same row (a device's alarms
between its first and its last reading, alarms and readings both keyed to the device).

Orders within rows read a row's own and its ancestors' dates; nothing read the dates of another
table under the same parent row, generated in its own part of the entity (or, for a reference,
in another entity): 17-39 % of an IoT database's generated alarms lay outside their device's
readings (75-94 % where the alarms, read by `from_sql`, reference the device rather than nest
under it), 0 % in the data. The fit keeps, per date column of a synthesised table and per key of
its (its parent's, or a reference to a synthesised table), the sides of the span of another
table's dates under the row the key names (first, last) that every one of at least 20 training
rows keeps, where dates drawn apart would not (`relational.orders.reference_orders`: a relation
between columns, no values), and where the column lies, as quantiles (`_lookup_orders.side_rules`).
Decoding moves each value breaking one into its place once every table and reference is written
(`keep_sibling_spans`), the keys renumbered where they rise with the date. Only columns nothing
else reads or sets are moved (no order's base, no total or formula, no range of an ancestor); an
order within rows that writes the column from a base of one side, or an order with (a range of) the
row a reference or lookup key of its names (an alarm on or after its device's installation), is
kept: a move breaking it is undone. Not under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational.orders import DATED, as_numbers, referenced_ordered, with_ancestors
from relsynth.relational.schema import Edge
from relsynth.synth.tabular.rules.lookup_orders import move_within, side_rules

log = logging.getLogger(__name__)
AGGREGATES = ("min", "max")  # the span's sides: the first and the last of the sibling rows' dates


def find_sibling_spans(pre, data: RelationalData, fixed: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "fk", "sibling", "sibling_fk", "low", "high", "place"}]: a date of a
    synthesised table on or after `low` and/or on or before `high`, each `[column, "min" | "max"]`
    of the `sibling` table's rows whose `sibling_fk` names the row `fk` names, in every training row
    that has such rows (`fixed`: (table, column) that may not move)."""
    schema, out, done = data.schema, [], set()
    for table in schema.synth_tables:
        for e in _keys(schema, table):
            for f in (f for s in schema.synth_tables if s != table for f in _keys(schema, s) if f.parent == e.parent):
                named, kinds = sibling_span(data.data, schema, e, f)
                if not kinds:
                    continue
                for rule in side_rules(pre, data, table, named, kinds, fixed, {}):
                    if (table, rule["column"]) in done:  # one span a column: two could pull it apart
                        continue
                    done.add((table, rule["column"]))
                    sides = {s: None if rule[s] is None else list(_split(rule[s])) for s in ("low", "high")}
                    log.info("%s.%s within the span of %s's %s in every row: kept so", table, rule["column"], f.child, sides)  # fmt: skip
                    out.append({**rule, **sides, "fk": e.fk, "sibling": f.child, "sibling_fk": f.fk})
    return out


def keep_sibling_spans(
    pre, rules: list[dict], tables: dict[str, pd.DataFrame], schema: Schema, rng: np.random.Generator
) -> None:
    """Move (in place) each value of `rules`' columns outside its span to a place drawn from the
    training rows' (`find_sibling_spans`), unless the move breaks another order the column keeps."""
    for rule in rules:
        table, col = rule["table"], rule["column"]
        if table not in tables or rule["sibling"] not in tables or col not in tables[table]:
            continue
        e = Edge(table, rule["fk"], schema.tables[table].columns[rule["fk"]].parent)
        named, _ = sibling_span(tables, schema, e, Edge(rule["sibling"], rule["sibling_fk"], e.parent))
        frame, before = tables[table], tables[table][col].copy()
        sides = {s: None if rule[s] is None else span_name(*rule[s]) for s in ("low", "high")}
        if not (moved := move_within({**rule, **sides}, frame, named, schema, rng)):
            continue
        changed = as_numbers(frame[col], Column.DATETIME) != as_numbers(before, Column.DATETIME)
        broke = changed & ~_keeps_own_orders(pre, tables, schema, table, col)
        frame.loc[broke, col] = before[broke]
        if pre.stats.get("key_dates", {}).get(table) == col:  # the keys rise with the date, as the source's
            _renumber(tables, schema, table, before, frame[col])
        log.info(
            "%s.%s: %d generated value(s) moved within the span of %s's %s under their %s row",
            table,
            col,
            moved - int(broke.sum()),
            rule["sibling"],
            [rule[s][0] for s in ("low", "high") if rule[s] is not None][0],
            e.parent,
        )


def sibling_span(
    tables: Mapping[str, pd.DataFrame], schema: Schema, e: Edge, f: Edge
) -> tuple[pd.DataFrame, dict[str, Column]]:
    """Per row of `e.child`, the first and last of each date of the `f.child` rows whose key `f`
    names the row its key `e` names (NaN where there are none), named `<column> min` and `<column>
    max` (`span_name`), and their kinds."""
    dated = {c: k.kind for c, k in schema.tables[f.child].columns.items() if k.kind in DATED}
    keys = tables[e.child][e.fk].to_numpy()
    if not dated:
        return pd.DataFrame(index=range(len(keys))), {}
    sib = tables[f.child]
    frames, kinds = [], {}
    for c, kind in dated.items():
        spans = pd.Series(as_numbers(sib[c], kind), index=sib.index).groupby(sib[f.fk].to_numpy()).agg(list(AGGREGATES))
        for agg in AGGREGATES:
            at = spans[agg].reindex(keys).to_numpy(dtype=np.float64)
            frames.append(pd.Series(pd.to_datetime(at), name=span_name(c, agg)))
            kinds[span_name(c, agg)] = Column.DATETIME
    return pd.concat(frames, axis=1), kinds


def _keys(schema: Schema, table: str) -> list[Edge]:
    """`table`'s keys to other synthesised tables: the one it nests by, then its references."""
    edge = schema.parent(table)
    refs = [r for r in schema.references(table) if r.parent != table and r.parent in schema.synth_tables]
    return ([edge] if edge is not None else []) + refs


def span_name(column: str, agg: str) -> str:
    return f"{column}\x00{agg}"  # NUL: in no column name (the schema refuses it)


def _split(name: str) -> tuple[str, str]:
    column, agg = name.rsplit("\x00", 1)
    return column, agg


def _keeps_own_orders(pre, tables: Mapping[str, pd.DataFrame], schema: Schema, table: str, col: str) -> np.ndarray:
    """Per row of `table`, whether `col` keeps every order within rows that writes it from a base (of
    its row, its parent's or above) and every order with, or range of, the row a reference or lookup
    key of its names (missing values keep them)."""
    frame, ok = tables[table], np.ones(len(tables[table]), dtype=bool)
    kind = Column.DATETIME
    for o in (o for o in pre.orderings.get(table, {}).values() if o.column == col and not o.near):
        if o.from_parent:
            edge = schema.parent(table)
            parent = tables[edge.parent]
            above = with_ancestors(tables, schema, edge.parent, [o.base])
            above.index = parent[schema.tables[edge.parent].primary_key].to_numpy()
            base = as_numbers(above[o.base].reindex(frame[edge.fk].to_numpy()), kind)
        else:
            base = as_numbers(frame[o.base], kind)
        if o.day_base:
            base = np.floor(base / 86_400e9) * 86_400e9
        ok &= _kept(frame[col], base, o.sign)
    for e in schema.references(table):  # paired with rows dated no later: an alarm after its device's install
        for o in (pre.stats.get("references", {}).get(f"{table}.{e.fk}") or {}).get("orders", []):
            if len(o) == 3 and o[0] == col:  # [column, referenced column, sign]
                named, _ = referenced_ordered(tables, schema, e, [o[1]], above=True)
                ok &= _kept(frame[col], as_numbers(named[o[1]], kind), o[2])
    for rule in pre.stats.get("lookup_orders", []) + pre.stats.get("reference_sides", []):
        if (rule["table"], rule["column"]) == (table, col) and not rule.get("near"):  # within its row's range
            named = schema.tables[table].columns[rule["fk"]].parent
            rows, _ = referenced_ordered(tables, schema, Edge(table, rule["fk"], named), above=True)
            for side, sign in (("low", 1), ("high", -1)):
                if rule[side] is not None:
                    ok &= _kept(frame[col], as_numbers(rows[rule[side]], kind), sign)
    return ok


def _kept(values: pd.Series, base: np.ndarray, sign: int) -> np.ndarray:
    """Whether each value is on the `sign` side of (or on) its base; missing ones are."""
    with np.errstate(invalid="ignore"):
        return ~(sign * (as_numbers(values, Column.DATETIME) - base) < 0)


def _renumber(tables: dict[str, pd.DataFrame], schema: Schema, table: str, before: pd.Series, after: pd.Series) -> None:
    """Give (in place) `table`'s keys, numbered in the order of its dates `before`, in the order of
    its moved dates `after`, and every key naming its rows the same rows' new keys."""
    pk = schema.tables[table].primary_key
    old = tables[table][pk].reset_index(drop=True)
    rising = old.iloc[np.argsort(as_numbers(before, Column.DATETIME), kind="stable")].to_numpy()
    new = old.copy()
    new.iloc[np.argsort(as_numbers(after, Column.DATETIME), kind="stable")] = rising
    tables[table][pk] = new.to_numpy()
    renamed = dict(zip(old, new, strict=True))
    for e in schema.edges_into(table):
        tables[e.child][e.fk] = (
            tables[e.child][e.fk].map(lambda k: renamed.get(k, k)).astype(tables[e.child][e.fk].dtype)
        )

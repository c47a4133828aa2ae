"""Composite keys declared in a schema: a primary key of several columns, a foreign key naming one.

An order's lines keyed (order_id, line_no), a shipment line naming its order line by (order_id,
line_no): relsynth's keys are one column, so such keys are held as `RelationalData.from_sql` reads
them from a database's catalog (relational/sql.py, `RowKey`), here from what a schema declares
(`Table(composite_key=..., composite_fks=[...])`, `Schema.infer(primary_keys={"t": [a, b]})`, the
YAML's `primary_key: [a, b]` and `foreign_keys: [{columns: [...], table: t}]`):
- a table with a composite primary key has no primary key column; generation keeps the key unique
  and `to_sql` writes it back (its columns' SQL format: `primary_key`, NOT NULL);
- a composite foreign key a table nests by gets a *row key*: the referenced table a key numbering
  its rows, named after its key's columns ('(order_id, line_no)'), and the table a key to it, both
  added to the frames by `RelationalData` and left out by `to_sql`; the key's columns are copied
  from the row the table nests under (`row_keys.copy_row_keys`);
- any other composite foreign key keeps its columns' own kinds, and generation makes each generated
  pair one of the referenced table's rows (`keep_composite_references`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from relsynth.relational._coerce import COMPOSITE_FK, ROW_KEY, SQL_FORMAT
from relsynth.relational.errors import SchemaError


class SchemaTables(Protocol):
    """What this module reads of a `relational.schema.Schema` (which imports this module: no import back)."""

    tables: Mapping[str, Any]
    lookups: Any


def row_key_name(columns: Iterable[str]) -> str:
    """The name of the row key standing for a composite key's columns: '(order_id, line_no)'."""
    return f"({', '.join(columns)})"


@dataclass(frozen=True)
class CompositeForeignKey:
    """A foreign key of several columns (`columns`) naming a row of `table` by its composite primary
    key: `ref_columns`, the referenced columns in the order of `columns` (empty: the referenced
    table's composite key, in its order)."""

    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...] = ()

    @classmethod
    def parse(cls, spec: object) -> CompositeForeignKey:
        """From a `CompositeForeignKey`, a mapping {columns, table, ref_columns} (YAML) or a pair
        (columns, table); a `SchemaError` saying the spelling otherwise."""
        if isinstance(spec, cls):
            return spec
        if (
            isinstance(spec, Mapping)
            and {"columns", "table"} <= set(spec)
            and set(spec) <= {"columns", "table", "ref_columns"}
        ):
            columns, table, ref = spec["columns"], spec["table"], spec.get("ref_columns") or ()
        elif isinstance(spec, list | tuple) and len(spec) == 2:
            (columns, table), ref = spec, ()
        else:
            raise SchemaError(
                f"a composite foreign key is {{columns: [a, b], table: t}} (ref_columns: [...] where the names "
                f"differ from the key's), got {spec!r}"
            )
        if isinstance(columns, str) or not isinstance(columns, Iterable) or not isinstance(table, str):
            raise SchemaError(f"a composite foreign key's columns are a list and its table a name, got {spec!r}")
        return cls(tuple(str(c) for c in columns), table, tuple(str(c) for c in ref))

    def to_yaml(self) -> dict:
        out: dict = {"columns": list(self.columns), "table": self.table}
        return out | ({"ref_columns": list(self.ref_columns)} if self.ref_columns else {})


def check_key_columns(columns: tuple[str, ...], table_columns: Iterable[str], what: str) -> None:
    """A composite key's columns: two distinct ones or more, all in the table."""
    if missing := [c for c in columns if c not in table_columns]:
        raise SchemaError(f"{what} {list(columns)}: no column(s) {missing} in the table")
    if len(columns) < 2 or len(set(columns)) != len(columns):
        raise SchemaError(f"{what} {list(columns)}: a composite key is two distinct columns or more (one: its kind)")


def referenced_columns(schema: SchemaTables, fk: CompositeForeignKey) -> tuple[str, ...]:
    """The columns of `fk.table` that `fk` names, in the order of its columns."""
    return fk.ref_columns or schema.tables[fk.table].composite_key


def composite_key_problems(schema: SchemaTables) -> list[str]:
    """What the model cannot take among the schema's composite keys, each naming its table, its
    columns and the ways out: a composite foreign key to a table not in the schema, to a lookup,
    or to columns that are not the referenced table's whole composite primary key."""
    problems = []
    for name, table in schema.tables.items():
        for fk in table.composite_fks:
            what = f"{name}.{row_key_name(fk.columns)} -> {fk.table}"
            plain = "or drop it (its columns are then modelled as values that name no generated row)"
            if fk.table not in schema.tables:
                problems.append(f"{what}: no table {fk.table!r} in the schema; add it, {plain}")
                continue
            key = schema.tables[fk.table].composite_key
            if not key:
                pk = schema.tables[fk.table].primary_key
                problems.append(
                    f"{what}: {fk.table} has no composite primary key (its key: {pk or 'none'}), so a key of "
                    f"{len(fk.columns)} columns names none of its rows; declare its primary key "
                    f"({fk.table}: primary_key: [...]), name its key column alone (ForeignKey), {plain}"
                )
            elif sorted(referenced_columns(schema, fk)) != sorted(key) or len(fk.columns) != len(key):
                problems.append(
                    f"{what}: names {fk.table}'s columns {list(referenced_columns(schema, fk))}, not its whole "
                    f"composite primary key {list(key)} (ref_columns: the key's columns, in the order of "
                    f"{list(fk.columns)}); relsynth generates keys to a whole primary key only: {plain}"
                )
            elif fk.table in schema.lookups or name in schema.lookups:
                problems.append(
                    f"{what}: a lookup is copied as it is and named by a one-column key; give {fk.table} a one-column "
                    f"primary key, leave it out of the lookups, {plain}"
                )
    return problems


def row_key_fks(schema: SchemaTables) -> list[tuple[str, CompositeForeignKey]]:
    """(table, key) of the composite foreign keys that a row key stands for: the table holds a
    foreign key column named after the key's columns ('(order_id, line_no)')."""
    return [
        (name, fk)
        for name, table in schema.tables.items()
        for fk in table.composite_fks
        if row_key_name(fk.columns) in table.foreign_keys
    ]


def unnamed_pairs(
    schema: SchemaTables, frames: Mapping[str, pd.DataFrame], table: str
) -> list[tuple[CompositeForeignKey, pd.Series]]:
    """(key, rows) of `table`'s composite foreign keys that no row key stands for, with the rows whose
    values, none null (a null exempts the row, as SQL's MATCH SIMPLE), name no row of the referenced
    table; keys whose tables or columns are missing, or whose referenced rows repeat a key, are left
    to the other checks."""
    out = []
    nested = {fk for name, fk in row_key_fks(schema) if name == table}
    for fk in schema.tables[table].composite_fks:
        if fk in nested or table not in frames or fk.table not in frames:
            continue
        child, parent, ref_cols = frames[table], frames[fk.table], list(referenced_columns(schema, fk))
        if parent.empty:  # no row to name (a generation that made none there says so: `keep_composite_references`)
            continue
        if not set(fk.columns) <= set(child) or not set(ref_cols) <= set(parent) or parent.duplicated(ref_cols).any():
            continue
        pairs = child[list(fk.columns)]
        named = pd.MultiIndex.from_frame(_comparable(pairs)).isin(
            pd.MultiIndex.from_frame(_comparable(parent[ref_cols]))
        )
        unnamed = pd.Series(~named, index=child.index) & pairs.notna().all(axis=1)
        if unnamed.any():
            out.append((fk, unnamed))
    return out


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as text, whole numbers without a decimal point: a key read as labels ('1', a column
    given as categorical) names the rows whose key is the number 1."""
    out = {}
    for c in frame.columns:
        values = frame[c]
        if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
            if values.dropna().mod(1).eq(0).all():
                values = values.astype("Int64")
        out[c] = [None if pd.isna(v) else str(v) for v in values.astype(object)]
    return pd.DataFrame(out, index=frame.index)


def declared_row_keys(schema: SchemaTables) -> dict[str, set[str]]:
    """table -> its row key columns that declared composite keys stand for: `RelationalData` adds
    them, so files need not hold them (the source's tables never had them)."""
    out: dict[str, set[str]] = {}
    for name, fk in row_key_fks(schema):
        out.setdefault(name, set()).add(row_key_name(fk.columns))
        if key := schema.tables[fk.table].composite_key:
            out.setdefault(fk.table, set()).add(row_key_name(key))
    return out


def composite_formats(schema: SchemaTables) -> dict[str, dict[str, dict]]:
    """table -> column -> format (its SQL format, as `from_sql` records it from a catalog) of the
    declared composite keys, which generation keeps and `to_sql` writes back: a composite primary
    key's columns (NOT NULL, `primary_key`), each composite foreign key on its first column
    (`COMPOSITE_FK`, with the row key it nests by), each row key column (`ROW_KEY`)."""
    out: dict[str, dict[str, dict]] = {}

    def sql(table: str, column: str) -> dict:
        return out.setdefault(table, {}).setdefault(column, {}).setdefault(SQL_FORMAT, {})

    for name, table in schema.tables.items():
        for c in table.composite_key:
            sql(name, c).update({"nullable": False, "primary_key": True})
        for fk in table.composite_fks:
            ref = {"columns": list(fk.columns), "table": fk.table, "ref_columns": list(referenced_columns(schema, fk))}
            if (key := row_key_name(fk.columns)) in table.foreign_keys:
                ref[ROW_KEY] = key
                sql(name, key)[ROW_KEY] = True
                sql(fk.table, row_key_name(schema.tables[fk.table].composite_key))[ROW_KEY] = True
            sql(name, fk.columns[0]).setdefault(COMPOSITE_FK, []).append(ref)
    return out


def add_row_keys(
    schema: SchemaTables, frames: Mapping[str, pd.DataFrame], problems: list[str]
) -> dict[str, pd.DataFrame]:
    """`frames` with the row keys the schema declares and they lack: each referenced row numbered
    from 1, each referencing row the number of the row its composite key names (null where none is:
    an orphan, which `problems` gets a line for, naming the key's values)."""
    out = dict(frames)
    for name, fk in row_key_fks(schema):
        parent_key = row_key_name(schema.tables[fk.table].composite_key)
        if name not in out or fk.table not in out:
            continue
        parent, child = out[fk.table], out[name]
        ref_cols, key = list(referenced_columns(schema, fk)), row_key_name(fk.columns)
        if not set(ref_cols) <= set(parent) or not set(fk.columns) <= set(child) or parent.duplicated(ref_cols).any():
            continue  # the columns missing, the keys repeated, are named with the other problems
        if parent_key not in parent:
            out[fk.table] = parent = parent.assign(**{parent_key: np.arange(1, len(parent) + 1, dtype=np.int64)})
        if key in child:
            continue  # written with the data (`to_dir`, generation): its own
        rows = pd.MultiIndex.from_frame(parent[ref_cols]).get_indexer(pd.MultiIndex.from_frame(child[list(fk.columns)]))
        numbers = pd.Series(parent[parent_key].to_numpy()[rows], index=child.index, dtype="Int64").mask(rows < 0)
        out[name] = child.assign(**{key: numbers})
        if (orphan := rows < 0).any():
            pairs = [tuple(r) for r in child[list(fk.columns)][orphan].head(3).astype(object).to_numpy().tolist()]
            problems.append(
                f"table {name!r}: {int(orphan.sum())} row(s) whose {key} names no row of {fk.table!r}, e.g. "
                f"{', '.join(map(str, pairs))} at row(s) {', '.join(map(str, np.flatnonzero(orphan)[:3]))}: fix "
                "them, or drop them with their descendants (orphans='drop')"
            )
    return out

"""Schema and Table: the tables of a database, their columns' kinds, and the key forest.

The nesting keys form a forest. Each table nests under at most one *parent*: its first foreign
key to another synthesised table (unless marked `nest=False`); the tables without one are the
roots. Its other foreign keys to synthesised tables, including one to its own table, are
*references*: generated rows get a key drawn among the synthetic rows of the referenced table,
each referenced about as often as in the data (`references`). Foreign keys to *lookup* tables,
small tables copied as they are, are modelled as categories. Parent keys may not form a cycle
between tables; a reference key that closes one (a department's manager, an employee of the
department: the employees nest under their department) is *deferred* (`deferred_keys`): drawn as
any reference, and written null then set once its referenced table is (`sql.write_sql`).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from relsynth.relational.columns import Column, ColumnKind, ForeignKey, as_kind
from relsynth.relational.composite import (
    CompositeForeignKey,
    check_key_columns,
    composite_key_problems,
    row_key_name,
)
from relsynth.relational.copies import copied_texts
from relsynth.relational.errors import DataError, SchemaError
from relsynth.relational.files import write_text_atomic
from relsynth.relational.nesting import MIN_ROOT_ROWS, SERIES_LENGTH, key_kind, nesting_keys, reached, series_date

log = logging.getLogger(__name__)


def _near_names(missing: list[str], names: list[str]) -> str:
    """A hint for table names not found: the schema's tables, and those close to a missing name
    (a typo is as likely in the table's own name as in the name that refers to it)."""
    near = sorted({n for m in missing for n in difflib.get_close_matches(m, names, n=3, cutoff=0.75)})
    typo = f"; close to it: {', '.join(map(repr, near))} (a typo in one of the two names?)" if near else ""
    return f" (its tables: {', '.join(names)}){typo}"


class Table:
    """The columns of one table, in order, each with its kind.

    `Table(id=PrimaryKey(), artist=ForeignKey(parent="artist"), title=Column.TEXT)`
    or `Table(columns={...})` when names are not Python identifiers (or named `columns` or `unique`).
    `unique`: the sets of columns whose values no two rows repeat together, beyond the primary key
    (UNIQUE (employee_id, valid_from), (store_id, sku)); a row with a null in one is free, as in SQL.
    Generation keeps them (`relsynth.synth.tabular.rules.unique_sets`), `to_sql` declares them.
    `composite_key`: a primary key of several columns (an order's lines, (order_id, line_no)), the
    table then having no `PrimaryKey` column but the row key a table nesting under it names;
    `composite_fks`: keys of several columns naming such rows (`CompositeForeignKey`, or
    {columns: [...], table: t}); see relational/composite.py.
    """

    def __init__(
        self,
        columns: Mapping[str, ColumnKind | Column | str | dict] | None = None,
        unique: Iterable[Iterable[str]] = (),
        composite_key: Iterable[str] = (),
        composite_fks: Iterable[object] = (),
        **kw,
    ):
        if isinstance(unique, ColumnKind | Column | str | Mapping):  # a column named "unique"
            kw, unique = {"unique": unique, **kw}, ()
        if isinstance(composite_key, ColumnKind | Column | str | Mapping):  # a column named "composite_key"
            kw, composite_key = {"composite_key": composite_key, **kw}, ()
        if isinstance(composite_fks, ColumnKind | Column | str | Mapping):  # a column named "composite_fks"
            kw, composite_fks = {"composite_fks": composite_fks, **kw}, ()
        merged = {**(columns or {}), **kw}
        if not merged:
            raise SchemaError("a Table needs at least one column")
        self.columns: dict[str, ColumnKind] = {}
        for name, kind in merged.items():
            try:
                self.columns[str(name)] = as_kind(kind)
            except ValueError as exc:
                raise SchemaError(f"column {name!r}: {exc}") from None
        pks = self.cols_of(Column.PRIMARY_KEY)
        if len(pks) > 1:
            raise SchemaError(f"a table has at most one primary key, got {pks}")
        self.unique: list[tuple[str, ...]] = []
        for cols in unique:
            if isinstance(cols, str) or not isinstance(cols, Iterable):
                raise SchemaError(f"unique: each item is a list of two columns or more, got {cols!r}")
            cols = tuple(str(c) for c in cols)
            if missing := [c for c in cols if c not in self.columns]:
                raise SchemaError(f"unique {list(cols)}: no column(s) {missing} in the table")
            if len(cols) < 2 or len(set(cols)) != len(cols):
                raise SchemaError(
                    f"unique {list(cols)}: a set of two distinct columns or more (a single column's codes: the kind "
                    "identifier; a key: primary_key)"
                )
            if cols not in self.unique:
                self.unique.append(cols)
        self.composite_key: tuple[str, ...] = tuple(str(c) for c in composite_key)
        if self.composite_key:
            check_key_columns(self.composite_key, self.columns, "composite_key")
            if pks and pks != [row_key_name(self.composite_key)]:
                raise SchemaError(
                    f"a table with a composite_key {list(self.composite_key)} has no primary key column of its own "
                    f"(got {pks}): its row key only, {row_key_name(self.composite_key)!r}, where a table nests under it"
                )
        self.composite_fks: list[CompositeForeignKey] = []
        for spec in composite_fks:
            fk = CompositeForeignKey.parse(spec)
            check_key_columns(fk.columns, self.columns, "composite foreign key")
            if fk.ref_columns and len(fk.ref_columns) != len(fk.columns):
                raise SchemaError(
                    f"composite foreign key {list(fk.columns)}: ref_columns {list(fk.ref_columns)} differ in length"
                )
            if fk not in self.composite_fks:
                self.composite_fks.append(fk)

    def cols_of(self, *kinds: Column) -> list[str]:
        """Names of the columns of the given kinds, in table order."""
        return [n for n, k in self.columns.items() if k.kind in kinds]

    @property
    def primary_key(self) -> str | None:
        pks = self.cols_of(Column.PRIMARY_KEY)
        return pks[0] if pks else None

    @property
    def foreign_keys(self) -> dict[str, str]:
        """FK column -> referenced table."""
        return {n: k.parent for n, k in self.columns.items() if isinstance(k, ForeignKey)}

    @property
    def text_columns(self) -> list[str]:
        return self.cols_of(Column.TEXT)

    @property
    def all_columns(self) -> tuple[str, ...]:
        """Every column's name, keys included, in table order (aindo.rdml's name): select a
        DataFrame's schema columns with `df[list(table.all_columns)]`."""
        return tuple(self.columns)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Table)
            and self.columns == other.columns
            and self.unique == other.unique
            and self.composite_key == other.composite_key
            and self.composite_fks == other.composite_fks
        )

    def __repr__(self) -> str:
        cols = ", ".join(f"{n}={k.kind.value}" for n, k in self.columns.items())
        key = f", composite_key={list(self.composite_key)}" if self.composite_key else ""
        fks = f", composite_fks={self.composite_fks}" if self.composite_fks else ""
        return f"Table({cols}{f', unique={self.unique}' if self.unique else ''}{key}{fks})"

    def to_yaml(self) -> dict:
        out: dict = {"columns": {n: k.to_yaml() for n, k in self.columns.items()}}
        if self.unique:
            out["unique"] = [list(cols) for cols in self.unique]
        if self.composite_key:
            out["primary_key"] = list(self.composite_key)
        if self.composite_fks:
            out["foreign_keys"] = [fk.to_yaml() for fk in self.composite_fks]
        return out

    def with_columns(self, columns: Mapping[str, ColumnKind]) -> Table:
        """A table of `columns` keeping the `unique` sets and composite keys whose columns are all among them."""
        return Table(
            columns=columns,
            unique=[u for u in self.unique if set(u) <= set(columns)],
            composite_key=self.composite_key if set(self.composite_key) <= set(columns) else (),
            composite_fks=[fk for fk in self.composite_fks if set(fk.columns) <= set(columns)],
        )


_logged: set[str] = set()


def _log_once(message: str) -> None:
    """Log `message` at INFO the first time in this process: every split, subset and load builds its
    schema again, and a run repeated the same nesting choice 22 times."""
    if message not in _logged:
        _logged.add(message)
        log.info(message)


def check_name(name: object, what: str) -> None:
    """Refuse names the token grammar reserves: `#...` (a child-count slot), `<...>` (an internal
    token such as `<row>`, `<missing>`, `<rare>`), an empty name, or one that is not a string."""
    if not isinstance(name, str) or not name.strip():
        raise SchemaError(f"{what} name {name!r}: names must be non-empty strings")
    if name.startswith("#") or (name.startswith("<") and name.endswith(">")):
        raise SchemaError(
            f"{what} name {name!r} is reserved: names starting with '#' or written '<...>' mark the "
            "serialisation's own slots; rename the " + what + " (e.g. to " + repr(name.strip("#<>") or "x") + ")"
        )


def frame_problems(table: str, df: object) -> list[str]:
    """What makes `df` no table to read, one line each: not a DataFrame, a column name twice (its
    `df[name]` is a frame), or a name that is no string (a schema's names are: 5 would be '5', never
    found in the frame again)."""
    if not isinstance(df, pd.DataFrame):
        return [f"table {table!r} must be a DataFrame, got {type(df).__name__}"]
    problems = []
    if dup := sorted({str(c) for c in df.columns[df.columns.duplicated()]}):
        problems.append(f"table {table!r}: column name(s) {dup} appear more than once")
    if named := [c for c in df.columns if not isinstance(c, str)]:
        problems.append(
            f"table {table!r}: column name(s) {named[:5]} are not strings ({type(named[0]).__name__}); name every "
            "column with a string, e.g. df.columns = [str(c) for c in df.columns]"
        )
    return problems


MAX_TABLE_NAME_BYTES = 200  # a file name holds 255 bytes; `.parquet` and a save's temporary suffix come on top


def check_table_name(name: str) -> None:
    """A table's name is a file's and a folder's name too (`<table>.parquet` in `to_dir`, a text
    model's folder in the Kedro project): refuse what no file system takes, or what would lead
    outside the folder (`a/b`, `..`)."""
    bad = [c for c in ("/", "\\", "\0") if c in name]
    if bad or name in (".", ".."):
        what = f"holds {' and '.join(map(repr, bad))}" if bad else "is a folder's own name"
        raise SchemaError(
            f"table name {name!r} {what}: a table is written as the file <table>.parquet, so its name may not "
            f"hold '/', a backslash or a NUL character, nor be '.' or '..'; rename the table (e.g. to {_file_safe(name)!r})"
        )
    size = len(name.encode("utf-8"))
    if size > MAX_TABLE_NAME_BYTES:
        raise SchemaError(
            f"table name {name[:40] + '...'!r} is {size} bytes long in UTF-8: a table is written as the file "
            f"<table>.parquet, so its name may hold at most {MAX_TABLE_NAME_BYTES} bytes; rename the table"
        )


def _file_safe(name: str) -> str:
    """`name` with path separators as `_` and no NUL: a name to suggest."""
    return name.replace("/", "_").replace("\\", "_").replace("\0", "").strip(".") or "x"


@dataclass(frozen=True)
class Edge:
    """A parent foreign key: rows of `child` nest under rows of `parent` through `fk`."""

    child: str
    fk: str
    parent: str


class Schema:
    """Tables by name plus the names of the lookup tables; validated on construction.

    `Schema(artist=Table(...), album=Table(...), genre=Table(...), lookups=["genre"])`
    """

    def __init__(self, tables: Mapping[str, Table] | None = None, lookups: Iterable[str] = (), **kw: Table):
        self.inference: dict[str, dict[str, str]] = {}  # why each kind was chosen, when built by `infer`
        # lookups `from_sql` chose itself, none named by the caller: copied as they are, so a DP fit
        # refuses them until they are named (`lookups=[...]`, or this list left out of the YAML)
        self.detected_lookups: tuple[str, ...] = ()
        self.tables = {**(tables or {}), **kw}
        self.lookups = (lookups,) if isinstance(lookups, str) else tuple(lookups)  # "genre" is one table
        self._validate()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.tables == other.tables and set(self.lookups) == set(other.lookups)

    def __repr__(self) -> str:
        return f"Schema(tables={self.tables!r}, lookups={list(self.lookups)})"

    # ---- structure -------------------------------------------------------------------
    def _validate(self) -> None:
        if not self.tables:
            raise SchemaError("a schema needs at least one table")
        for name, table in self.tables.items():
            check_name(name, "table")
            check_table_name(name)
            if not isinstance(table, Table):
                raise SchemaError(f"table {name!r} must be a Table, got {type(table).__name__}")
            for col in table.columns:
                try:
                    check_name(col, "column")
                except SchemaError as exc:
                    raise SchemaError(f"table {name!r}: {exc}") from None
        unknown = [t for t in self.lookups if t not in self.tables]
        if unknown:
            raise SchemaError(
                f"lookup table(s) {unknown} are not tables of the schema{_near_names(unknown, list(self.tables))}"
            )
        for name in self.lookups:
            table = self.tables[name]
            if table.primary_key is None:
                raise SchemaError(f"lookup table {name!r} needs a primary key (its keys are the categories)")
            outside = {fk: ref for fk, ref in table.foreign_keys.items() if ref not in self.lookups}
            if outside:
                first = next(iter(outside))
                raise SchemaError(
                    f"lookup table {name!r} has foreign keys to tables that are synthesised ({outside}): a lookup is "
                    f"copied as it is, so its keys may name lookups only (itself included); read those keys as plain "
                    f"columns (e.g. {first}: integer) or leave {name!r} out of the lookups (it is then synthesised)"
                )
        for name, table in self.tables.items():
            for fk, ref in table.foreign_keys.items():
                if ref not in self.tables:
                    raise SchemaError(
                        f"{name}.{fk} references table {ref!r}, which is not in the schema"
                        f"{_near_names([ref], list(self.tables))}"
                    )
                if self.tables[ref].primary_key is None:
                    composite = self.tables[ref].composite_key
                    if composite and fk == row_key_name(composite):  # a row key: the table's rows numbered
                        raise SchemaError(
                            f"{name}.{fk} names a row of {ref!r} by its composite key {list(composite)}, and {ref} "
                            f"lacks the key numbering its rows: add {fk!r}: primary_key to its columns (first)"
                        )
                    raise SchemaError(
                        f"{name}.{fk} references {ref!r}, which has no primary key"
                        + (
                            f" column: its key is composite, {list(composite)}; name its rows by as many columns "
                            f"({name}: foreign_keys: [{{columns: [...], table: {ref}}}], or Schema.infer's "
                            f"foreign_keys={{{name!r}: {{(...): {ref!r}}}}})"
                            if composite
                            else ""
                        )
                    )
            nested = [fk for fk, kind in self._synth_fks(name) if kind.nest and kind.parent != name]
            if len(nested) > 1:
                _log_once(
                    f"table {name!r} nests under {table.foreign_keys[nested[0]]} (its first foreign key to a "
                    f"synthesised table); {', '.join(f'{fk} -> {table.foreign_keys[fk]}' for fk in nested[1:])}: "
                    "references, drawn among the synthetic rows (mark a key nest: false to choose another)"
                )
        if problems := composite_key_problems(self):
            raise SchemaError(
                f"{len(problems)} composite key(s) the model cannot take:\n" + "\n".join(f"  - {p}" for p in problems)
            )
        self._check_acyclic()

    def _synth_fks(self, table: str) -> list[tuple[str, ForeignKey]]:
        """`table`'s foreign keys to synthesised tables (not lookups), in column order."""
        return [
            (col, kind)
            for col, kind in self.tables[table].columns.items()
            if isinstance(kind, ForeignKey) and kind.parent not in self.lookups
        ]

    def _check_acyclic(self) -> None:
        """Parent keys and keys to lookups, self-references aside, never lead back to their table:
        the tables can be generated and written parents and referenced tables first (a reference
        that closes a cycle is deferred: `deferred_keys`)."""
        self._referenced_order(self.tables)

    def referenced_first(self) -> list[str]:
        """Every table, each after the tables it references or nests under (lookups first), but
        through its `deferred_keys`: the order to create and fill them in a database."""
        return self._referenced_order([*self.lookups, *self.depth_first()])

    def deferred_keys(self) -> dict[str, dict[str, str]]:
        """table -> {reference column: referenced table} of the references that would close a cycle
        of keys (a department's manager among the employees nested under it), in table and column
        order: each reference is kept in the order unless the tables it reaches lead back to it. A key
        between two lookups (a store's manager among the staff, each staff member's store) is deferred
        likewise: both tables are copied as they are, so its cycle holds in the copy as in the data."""
        fks = {t: {c: r for c, r in table.foreign_keys.items() if r != t} for t, table in self.tables.items()}
        refs = {t: {e.fk for e in self.references(t)} for t in self.tables}
        for t in self.lookups:
            refs[t] = {c for c, r in fks.get(t, {}).items() if r in self.lookups}
        kept = {t: {c: r for c, r in cols.items() if c not in refs[t]} for t, cols in fks.items()}
        out: dict[str, dict[str, str]] = {}
        for t, cols in fks.items():
            for c, r in cols.items():
                if c not in refs[t]:
                    continue
                if t in reached(kept, r):
                    out.setdefault(t, {})[c] = r
                else:
                    kept[t][c] = r
        return out

    def _referenced_order(self, starts: Iterable[str]) -> list[str]:
        """The tables reached from `starts` through their foreign keys but the deferred ones (lookups'
        too: they name lookups), each after the tables its keys name but itself; a cycle is a
        `SchemaError` naming its key columns."""
        deferred = self.deferred_keys()
        fks = {
            t: {c: r for c, r in table.foreign_keys.items() if c not in deferred.get(t, {})}
            for t, table in self.tables.items()
        }
        order = referenced_order(fks, starts)
        if isinstance(order, KeyCycle):
            raise SchemaError(
                f"foreign keys form a cycle: {order}; tables cannot nest under one another round a cycle: mark one "
                "of its keys nest: false (ForeignKey(parent=..., nest=False): a reference), leave it out, or read it "
                "as a plain column (another kind in the schema, or in from_sql's overrides)"
            )
        return order

    def parent(self, table: str) -> Edge | None:
        """The parent edge of `table`: its first foreign key to another synthesised table that is not
        marked `nest=False`; None for a root or a lookup."""
        if table in self.lookups:
            return None
        for fk, kind in self._synth_fks(table):
            if kind.nest and kind.parent != table:
                return Edge(child=table, fk=fk, parent=kind.parent)
        return None

    def references(self, table: str) -> list[Edge]:
        """`table`'s foreign keys to synthesised tables that do not nest it (a second parent, a key
        marked `nest=False`, a reference to its own table): each synthetic row's key is drawn among
        the synthetic rows of the referenced table, as many rows referenced as often as in the data."""
        if table in self.lookups:
            return []
        edge = self.parent(table)
        return [
            Edge(child=table, fk=fk, parent=kind.parent)
            for fk, kind in self._synth_fks(table)
            if edge is None or fk != edge.fk
        ]

    def children(self, table: str) -> list[str]:
        """Tables nested directly under `table`, in schema order."""
        return [t for t in self.synth_tables if (e := self.parent(t)) is not None and e.parent == table]

    def edges_into(self, table: str) -> list[Edge]:
        """The keys naming `table`'s rows: the parent keys of the tables nested under it (`children`'s
        order), then the references to it, its own among them (table, then column order)."""
        nested = [self.parent(t) for t in self.children(table)]
        return nested + [e for t in self.synth_tables for e in self.references(t) if e.parent == table]

    def lookup_fks(self, table: str) -> dict[str, str]:
        """FK column -> lookup table, for the foreign keys of `table` that point to lookups."""
        return {fk: ref for fk, ref in self.tables[table].foreign_keys.items() if ref in self.lookups}

    @property
    def synth_tables(self) -> list[str]:
        """Tables that are synthesised (all but the lookups), in schema order."""
        return [t for t in self.tables if t not in self.lookups]

    @property
    def roots(self) -> list[str]:
        return [t for t in self.synth_tables if self.parent(t) is None]

    def depth_first(self, root: str | None = None) -> list[str]:
        """Synthesised tables in depth-first order (parents before their children)."""
        order: list[str] = []

        def visit(t: str) -> None:
            order.append(t)
            for c in self.children(t):
                visit(c)

        for r in [root] if root else self.roots:
            visit(r)
        return order

    def depth(self, table: str) -> int:
        d, edge = 0, self.parent(table)
        while edge is not None:
            d, edge = d + 1, self.parent(edge.parent)
        return d

    # ---- YAML ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = {"tables": {n: t.to_yaml() for n, t in self.tables.items()}, "lookups": list(self.lookups)}
        if detected := [t for t in self.detected_lookups if t in self.lookups]:  # kept through a saved copy
            out["detected_lookups"] = detected
        return out

    @classmethod
    def from_dict(cls, spec: Mapping) -> Schema:
        if not isinstance(spec, Mapping) or "tables" not in spec:
            raise SchemaError("a schema mapping needs a 'tables' key: {tables: {name: {columns: {...}}}}")
        tables = {}
        for name, tspec in spec["tables"].items():
            if not isinstance(tspec, Mapping) or "columns" not in tspec:
                raise SchemaError(f"table {name!r} needs a 'columns' mapping")
            try:
                tables[name] = Table(
                    columns=tspec["columns"],
                    unique=tspec.get("unique") or (),
                    composite_key=_listed(tspec.get("primary_key"), "primary_key"),
                    composite_fks=_listed(tspec.get("foreign_keys"), "foreign_keys"),
                )
            except SchemaError as exc:
                raise SchemaError(f"table {name!r}: {exc}") from None
        schema = cls(tables=tables, lookups=spec.get("lookups") or ())
        schema.detected_lookups = tuple(t for t in spec.get("detected_lookups") or () if t in schema.lookups)
        return schema

    def to_yaml(self, path: str | Path | None = None) -> str:
        text = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)  # names as written, not escaped
        if path is not None:
            write_text_atomic(path, text)
        return text

    @classmethod
    def from_yaml(cls, path_or_text: str | Path) -> Schema:
        """A schema from a YAML file (a Path, or a str naming a file) or from YAML text."""
        spec, where = read_yaml(path_or_text, "schema YAML")
        try:
            return cls.from_dict(spec)
        except SchemaError as exc:
            raise SchemaError(f"{path_or_text}: {exc}") if where else exc from None

    # ---- inference -------------------------------------------------------------------
    @classmethod
    def infer(
        cls,
        data: Mapping,
        primary_keys: Mapping[str, str] | None = None,
        foreign_keys: Mapping[str, Mapping[str, str]] | None = None,
        lookups: Iterable[str] = (),
        overrides: Mapping[str, Mapping[str, ColumnKind | Column | str]] | None = None,
    ) -> Schema:
        """Build a schema from DataFrames, guessing the kind of every non-key column.

        `primary_keys`: table -> PK column; `foreign_keys`: child table -> {FK column: table};
        `lookups`: tables copied as they are; `overrides`: table -> {column: kind} to correct a guess.
        A table given no primary key gets its first column of distinct whole numbers counting its
        rows from 0 or 1 (`respondent_id` 1 to 800), in 20 rows at least, or 2 where a lookup or a
        foreign key says it has a key; else none.
        Given no `foreign_keys` (None; `{}` says there are none), a column whose name names a table
        (`artist`, `artist_id`, `ArtistId`) and whose values are all that table's keys is read as a
        foreign key to it (`relational/_infer_links.py`), its reason in `inference` and the log; one
        to its own table where its name says so (`parent_id`, `reports_to`) and its values form a tree.
        A table nests under its first key in column order whose root is large enough
        (`relational.nesting`), as `RelationalData.from_sql` chooses; its other keys are references.

        The returned schema's `inference` (table -> column -> reason) says why each kind was
        chosen; the same lines are logged at INFO. A column whose rows mostly hold values rarer
        than 5 rows is inferred as text when it is mostly unique or has more than 10 distinct
        values, not categorical: as categories those rows would all be written as a few frequent
        values. A date or integer kind is chosen only when every value reads as one (zero-padded
        codes, integers past 64 bits and dates with a word such as 'pending' are labels;
        a placeholder such as 'N/A' or 'unknown' is a missing value), so the schema reads
        the frames it was inferred from.
        """
        from relsynth.relational._infer import MIN_KEY_ROWS, counter_key, infer_kind_and_reason

        inferring = foreign_keys is None  # `{}`: the caller's word that there are none
        primary_keys, foreign_keys, overrides = primary_keys or {}, foreign_keys or {}, overrides or {}
        lookups = (lookups,) if isinstance(lookups, str) else tuple(lookups)
        for what, mapping in (("primary_keys", primary_keys), ("foreign_keys", foreign_keys), ("overrides", overrides)):
            unknown = [t for t in mapping if t not in data]
            if unknown:
                raise SchemaError(f"{what} names table(s) {unknown} that are not in the data ({list(data)})")
        if problems := [p for name, df in data.items() for p in frame_problems(name, df)]:
            raise DataError(problems)
        composite_pks, primary_keys = _composite_primary_keys(primary_keys)
        composite_fks, foreign_keys = _composite_foreign_keys(foreign_keys)
        links, link_keys = (
            _inferred_links(data, primary_keys, composite_pks, overrides, lookups) if inferring else ({}, {})
        )
        primary_keys = {**primary_keys, **{t: col for t, (col, _) in link_keys.items()}}
        foreign_keys |= {t: {c: ref for c, (ref, _) in cols.items()} for t, cols in links.items()}
        keyed = set(lookups) | {t for fks in foreign_keys.values() for t in fks.values()}  # tables that need one
        guessed = {
            name: found
            for name, df in data.items()
            if name not in primary_keys
            and name not in composite_pks
            and (
                found := counter_key(
                    df,
                    {
                        *foreign_keys.get(name, {}),
                        *overrides.get(name, {}),
                        *_composite_columns(composite_fks.get(name)),
                    },
                    2 if name in keyed else MIN_KEY_ROWS,
                )
            )
        }
        primary_keys = {**primary_keys, **{t: col for t, (col, _) in guessed.items()}}
        tables, report = {}, {}
        decided: set[tuple[str, str]] = set()  # columns whose kind was read from their values
        passed_over: dict[tuple[str, str], str] = {}
        candidates = _row_key_candidates(data, composite_pks, composite_fks, lookups)
        in_column_order = {
            t: _in_column_order(foreign_keys.get(t, {}), data[t].columns, candidates.get(t, []))
            for t in dict.fromkeys([*foreign_keys, *candidates])
        }

        def series(table: str, key: str) -> str | None:
            if key not in data[table].columns:
                return None  # a row key (`_row_key_candidates`): not a column of the frame
            keys = {primary_keys.get(table), *foreign_keys.get(table, {})}
            given = overrides.get(table, {})
            dates = [c for c in data[table].columns if c not in keys and _dated(data[table][c], given.get(c))]
            return series_date(data[table], key, dates)

        rows = {n: len(df) for n, df in data.items()}
        declared = _declared_keys(overrides, foreign_keys)  # the user's word on nesting wins over the sizes
        undeclared = {
            t: {c: r for c, r in fks.items() if c not in declared.get(t, {})} for t, fks in in_column_order.items()
        }

        def nulls(table: str, key: str) -> bool:
            return key in data[table].columns and bool(data[table][key].isna().any())

        nests = nesting_keys(undeclared, rows, set(lookups), passed_over, series, nulls)
        nests |= {t: col for t, cols in declared.items() for col, nest in cols.items() if nest is True}
        row_keys = [(t, fk) for t, fks in candidates.items() for fk in fks if nests.get(t) == row_key_name(fk.columns)]
        for name, df in data.items():
            pk, fks = primary_keys.get(name), dict(foreign_keys.get(name, {}))
            in_keys = [*composite_pks.get(name, ()), *_composite_columns(composite_fks.get(name))]
            missing = [
                c
                for c in dict.fromkeys([pk, *fks, *overrides.get(name, {}), *in_keys])
                if c is not None and c not in df
            ]
            if missing:
                raise SchemaError(f"table {name!r} has no column(s) {missing}; it has {list(df.columns)}")
            cols: dict[str, ColumnKind | Column | str] = {}
            why = report[name] = {}
            if any(fk.table == name for _, fk in row_keys):
                key = row_key_name(composite_pks[name])
                cols[key], why[key] = (
                    Column.PRIMARY_KEY,
                    (
                        f"numbers the rows of the composite primary key {key}, which a table nests under: added to the "
                        "data by RelationalData, not written back"
                    ),
                )
            for col in df.columns:
                for _, fk in (k for k in row_keys if k[0] == name and k[1].columns[0] == col):
                    key = row_key_name(fk.columns)
                    cols[key], why[key] = (
                        ForeignKey(parent=fk.table),
                        (
                            f"the row of {fk.table} that the composite key {key} names (added to the data by "
                            f"RelationalData, not written back): {name} nests under it, its columns copied from it"
                        ),
                    )
                if col == pk:
                    cols[col], why[col] = (
                        Column.PRIMARY_KEY,
                        guessed[name][1]
                        if name in guessed
                        else link_keys[name][1]
                        if name in link_keys
                        else "given in primary_keys",
                    )
                elif col in declared.get(name, {}):
                    cols[col], why[col] = overrides[name][col], f"given in overrides (-> {fks[col]})"
                elif col in fks:
                    cols[col], why[col] = key_kind(
                        col,
                        fks[col],
                        nests.get(name),
                        lookups,
                        links[name][col][1] if col in links.get(name, {}) else f"given in foreign_keys (-> {fks[col]})",
                        passed_over.get((name, col), ""),
                    )
                elif col in overrides.get(name, {}):
                    cols[col], why[col] = overrides[name][col], "given in overrides"
                else:
                    cols[col], why[col] = infer_kind_and_reason(df[col], in_lookup=name in lookups)
                    decided.add((name, col))
                    if col in in_keys and as_kind(cols[col]).kind is Column.TEXT:  # a key names, never free text
                        cols[col], why[col] = Column.CATEGORICAL, f"{why[col]}; part of a composite key: a label"
            tables[name] = Table(
                columns=cols, composite_key=composite_pks.get(name, ()), composite_fks=composite_fks.get(name, ())
            )
        schema = with_copied_texts(cls(tables=tables, lookups=lookups), data, decided, report)
        for name, table in schema.tables.items():
            for col, kind in table.columns.items():
                log.info("Schema.infer: %s.%s is %s: %s", name, col, kind.kind.value, report[name][col])
        schema.inference = report
        if links:
            _warn_small_roots(schema, rows)
        return schema


def _inferred_links(
    data: Mapping[str, pd.DataFrame],
    primary_keys: Mapping[str, str],
    composite_pks: Mapping[str, tuple[str, ...]],
    overrides: Mapping[str, Mapping[str, object]],
    lookups: Iterable[str],
) -> tuple[dict[str, dict[str, tuple[str, str]]], dict[str, tuple[str, str]]]:
    """(table -> {column: (table, why)} of the foreign keys `Schema.infer` reads from names and values
    (`relational/_infer_links.py`) when given none; table -> (key column, why) of the tables they
    name that were given no key: the keys their values were checked against). Such a key may be a
    counter in as few as 2 rows (5 media types), as where a declared key names the table, or else
    a column named as the key (`id`: 7, 14, 21...; a table of one row). Neither is a column whose
    name names another table: an `album_id` counting a track's 1:1 rows is a key to album."""
    from relsynth.relational._infer import counter_key
    from relsynth.relational._infer_links import held_key, infer_links, named_key, names_another

    skip = {t: set(cols) for t, cols in overrides.items()}  # the caller's kinds win
    keys, found = dict(primary_keys), {}
    for name, df in data.items():
        if name in keys or name in composite_pks:
            continue
        other = skip.get(name, set()) | {c for c in df.columns if names_another(c, name, data)}
        if key := counter_key(df, other, 2) or named_key(df, name, other) or held_key(df, name, data, other):
            keys[name], found[name] = key[0], key
    links = infer_links(data, keys, skip, set(lookups))
    for table, cols in links.items():
        for col, (ref, why) in cols.items():
            log.info("Schema.infer: %s.%s -> %s: %s", table, col, ref, why)
    named_by = {ref for cols in links.values() for ref, _ in cols.values()}
    return links, {t: key for t, key in found.items() if t in named_by}


def with_copied_texts(
    schema: Schema, frames: Mapping[str, pd.DataFrame], decided: set[tuple[str, str]], why: dict[str, dict[str, str]]
) -> Schema:
    """`schema` with each categorical column of `decided` that repeats a text or code of its parent row read as
    text (`relational.copies.copied_texts`), its reason in `why` (table -> column -> reason) extended."""
    copied = copied_texts(schema, frames, decided)
    if not copied:
        return schema
    tables = dict(schema.tables)
    for (name, col), (source, share) in copied.items():
        parent = schema.parent(name).parent
        tables[name] = tables[name].with_columns({**tables[name].columns, col: Column.TEXT})
        why[name][col] = (
            f"{why[name][col]}; yet its value is its parent row's {parent}.{source} in {share:.0%} of the rows: "
            "text, so the text model copies the generated parent's value (as a category it would replay training "
            "values beside parents of others)"
        )
    out = Schema(tables=tables, lookups=schema.lookups)
    out.detected_lookups = schema.detected_lookups
    return out


def small_referenced_roots(schema: Schema, rows: Mapping[str, int]) -> str:
    """What to say of the root tables of fewer than `MIN_ROOT_ROWS` rows that other tables reference
    or nest under (TPC-H's region and nation, a bank's 41 districts with its accounts and clients
    under them, read without `lookups`), or "": each is synthesised as entities of its own and gets
    its share of the generated ones (5 regions among 3,530 roots; at least one where referenced), and
    the tables under it are learnt from its few rows as examples, where a code table would be copied
    as a lookup. Not advised as a lookup: a root a time series nests under (a device's readings every
    5 minutes), which a lookup would take apart into rows of their own."""
    referenced = {e.parent for t in schema.synth_tables for e in schema.references(t)}
    under = {p: [t for t in schema.synth_tables if (e := schema.parent(t)) and e.parent == p] for p in schema.roots}
    small = [t for t in schema.roots if (t in referenced or under[t]) and rows.get(t, 0) < MIN_ROOT_ROWS]
    if not small:
        return ""
    nested = "; ".join(
        f"{', '.join(under[t])} {'nests' if len(under[t]) == 1 else 'nest'} under {t}: "
        f"learnt from its {rows.get(t, 0)} rows as examples"
        for t in small
        if under[t]
    )
    series = {t: s for t in small if (s := [c for c in under[t] if rows.get(c, 0) >= SERIES_LENGTH * rows.get(t, 1)])}
    # the whole list to pass: lookups= replaces the detected ones, which would otherwise be synthesised
    lookups, todo = set(schema.lookups), [t for t in small if t not in series]
    while todo:  # a lookup's keys name lookups only: the tables the small ones reference come too
        if (t := todo.pop()) not in lookups:
            lookups.add(t)
            todo += schema.tables[t].foreign_keys.values()
    share = sum(rows.get(t, 0) for t in small) / max(sum(rows.get(r, 0) for r in schema.roots), 1)
    listed = ", ".join(f"{t} ({rows.get(t, 0)} rows)" for t in small)
    advice = (
        f" If {'they hold' if len(small) - len(series) > 1 else 'it holds'} codes (countries, categories) rather "
        f"than people or other private records, name {'them' if len(small) - len(series) > 1 else 'it'} "
        f"lookups={sorted(lookups)!r} (copied as they are)"
        if len(lookups) > len(schema.lookups)
        else ""
    )
    kept = "; ".join(
        f"{t} is no lookup to give: {', '.join(s)} {'nests' if len(s) == 1 else 'nest'} under it as a time series, "
        f"which a lookup would take apart into rows of their own"
        for t, s in series.items()
    )
    return (
        f"{listed} {'is a root table' if len(small) == 1 else 'are root tables'} of fewer than {MIN_ROOT_ROWS} "
        f"rows that other tables reference{f' ({nested})' if nested else ''}, synthesised as entities of their "
        f"own: generation gives them their share of the entities ({share:.1%}), at least one to each table "
        f"whose rows are referenced where n_samples allows (a key naming a table that got no rows stays null)."
        f"{advice}{'; ' if advice and kept else ' ' if kept else ''}{kept}{'.' if kept else ''}"
    )


def _warn_small_roots(schema: Schema, rows: Mapping[str, int]) -> None:
    """Warn, as `from_sql` does, of the small root tables that inferred keys name (Chinook's 5
    media types, 25 genres, read from CSVs without lookups): synthesised as entities of their own,
    where code tables would be named lookups and copied."""
    if small := small_referenced_roots(schema, rows):
        log.warning("Schema.infer: %s", small)


def _declared_keys(
    overrides: Mapping[str, Mapping[str, object]], foreign_keys: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, bool]]:
    """table -> {column: nest} of the keys given in `foreign_keys` that `overrides` declares a
    `ForeignKey` to the same table: nested, or not, as declared (`overrides={"enrollment":
    {"course_id": ForeignKey("course")}}` was dropped for the key the sizes chose, 30 terms being
    too few roots). A key declared to another table than `foreign_keys` says is refused."""
    out: dict[str, dict[str, bool]] = {}
    for table, kinds in overrides.items():
        for col, kind in kinds.items():
            if not isinstance(kind, ForeignKey) or col not in foreign_keys.get(table, {}):
                continue
            if kind.parent != foreign_keys[table][col]:
                raise SchemaError(
                    f"{table}.{col} names {foreign_keys[table][col]!r} in foreign_keys but {kind.parent!r} in "
                    "overrides: give one table"
                )
            out.setdefault(table, {})[col] = kind.nest
    return out


@dataclass(frozen=True)
class KeyCycle:
    """Foreign keys leading back to their table: `keys[i]` ("table.column") goes from `tables[i]`
    to `tables[i + 1]`, the last table being the first."""

    tables: tuple[str, ...]
    keys: tuple[str, ...]

    def __str__(self) -> str:
        return f"{' -> '.join([*self.tables, self.tables[0]])} through {', '.join(self.keys)}"


def referenced_order(fks: Mapping[str, Mapping[str, str]], starts: Iterable[str]) -> list[str] | KeyCycle:
    """The tables reached from `starts` through `fks` (table -> {key column: table it names}),
    each after the tables its keys name but itself; or the first cycle found."""
    order: list[str] = []
    path: list[str] = []
    keys: list[str] = []  # keys[i]: the key column from path[i] to path[i + 1]

    def visit(t: str) -> KeyCycle | None:
        if t in path:
            i = path.index(t)
            return KeyCycle(tuple(path[i:]), tuple(keys[i:]))
        if t in order:
            return None
        path.append(t)
        for col, ref in fks.get(t, {}).items():
            if ref != t:
                keys.append(f"{t}.{col}")
                if cycle := visit(ref):
                    return cycle
                keys.pop()
        path.pop()
        order.append(t)
        return None

    for t in starts:
        if cycle := visit(t):
            return cycle
    return order


def _dated(values: pd.Series, given: ColumnKind | Column | str | None) -> bool:
    """Whether a column is a date or datetime: as `overrides` gives it, else as `Schema.infer` guesses."""
    from relsynth.relational._infer import infer_kind_and_reason

    kind = as_kind(given).kind if given is not None else infer_kind_and_reason(values)[0]
    return kind in (Column.DATE, Column.DATETIME)


def _several(key: object) -> bool:
    """Whether a key given to `Schema.infer` names several columns (a list or a tuple)."""
    return isinstance(key, list | tuple)


def _composite_primary_keys(primary_keys: Mapping) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """(table -> composite key, table -> key column) of `primary_keys`; a list of one column is that column."""
    composite = {t: tuple(k) for t, k in primary_keys.items() if _several(k) and len(k) > 1}
    single = {t: (k[0] if _several(k) else k) for t, k in primary_keys.items() if t not in composite}
    return composite, single


def _composite_foreign_keys(
    foreign_keys: Mapping[str, Mapping],
) -> tuple[dict[str, list[CompositeForeignKey]], dict[str, dict[str, str]]]:
    """(table -> composite keys, table -> {key column: table}) of `foreign_keys`, whose keys of
    several columns are tuples: {"shipment_line": {("order_id", "line_no"): "order_line"}}."""
    composite: dict[str, list[CompositeForeignKey]] = {}
    single: dict[str, dict[str, str]] = {}
    for t, fks in foreign_keys.items():
        for cols, ref in fks.items():
            if _several(cols) and len(cols) > 1:
                composite.setdefault(t, []).append(CompositeForeignKey(tuple(cols), ref))
            else:
                single.setdefault(t, {})[cols[0] if _several(cols) else cols] = ref
    return composite, single


def _composite_columns(fks: Iterable[CompositeForeignKey] | None) -> list[str]:
    """The columns of composite foreign keys `fks`, each once."""
    return list(dict.fromkeys(c for fk in fks or () for c in fk.columns))


def _row_key_candidates(
    data: Mapping[str, pd.DataFrame],
    composite_pks: Mapping[str, tuple[str, ...]],
    composite_fks: Mapping[str, list[CompositeForeignKey]],
    lookups: Iterable[str],
) -> dict[str, list[CompositeForeignKey]]:
    """table -> the composite foreign keys it may nest by (a row key, as `from_sql` reads them): to
    another synthesised table's whole composite key, never null (a null names no row to nest under)."""
    out: dict[str, list[CompositeForeignKey]] = {}
    for t, fks in composite_fks.items():
        for fk in fks:
            key = composite_pks.get(fk.table, ())
            if fk.table == t or fk.table in lookups or t in lookups or len(key) != len(fk.columns):
                continue
            if set(fk.columns) <= set(data[t].columns) and data[t][list(fk.columns)].notna().all().all():
                out.setdefault(t, []).append(fk)
    return out


def _listed(value: object, what: str) -> list:
    """A table's YAML list (`primary_key: [a, b]`, `foreign_keys: [...]`); [] where absent."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list):
        raise SchemaError(f"{what}: a list (primary_key: [order_id, line_no]), got {value!r}")
    return value


def _in_column_order(
    fks: Mapping[str, str], columns: Iterable[str], row_keys: Iterable[CompositeForeignKey] = ()
) -> dict[str, str]:
    """`fks` (column -> table) in the table's column order (a key it lacks last: refused later), each
    composite key's row key (`row_keys`) just before its first column, as `from_sql` orders them."""
    ordered: dict[str, str] = {}
    for c in columns:
        ordered |= {row_key_name(fk.columns): fk.table for fk in row_keys if fk.columns[0] == c}
        ordered |= {c: fks[c]} if c in fks else {}
    return ordered | {c: t for c, t in fks.items() if c not in ordered}


def read_yaml(path_or_text: str | Path, what: str) -> tuple[object, str]:
    """(the parsed YAML, " <file>" or "" for text) of a file or YAML text; a SchemaError naming
    `what` and the file when it does not parse."""
    text = _yaml_text(path_or_text)
    where = "" if text is path_or_text else f" {path_or_text}"
    try:
        return yaml.load(text, Loader=_NamesLoader), where  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        raise SchemaError(f"{what}{where} could not be parsed: {exc}") from None


class _NamesLoader(yaml.SafeLoader):
    """YAML's safe loader, with every mapping key kept as the text written: YAML 1.1 reads the keys
    `on`, `off`, `yes`, `no` as booleans and `2020`, `1.5`, `null` as numbers or None, which
    would turn a column `on` into a column 'True'. A quoted key is a string already."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.tag in _TYPED_SCALARS:
                key.tag = "tag:yaml.org,2002:str"
        return super().construct_mapping(node, deep=deep)


_TYPED_SCALARS = {f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "null")}


def _yaml_text(path_or_text: str | Path) -> str:
    """The YAML to parse: a file's content, or the text itself when it names no file."""
    if isinstance(path_or_text, Path):
        return path_or_text.read_text(encoding="utf-8")
    text = str(path_or_text)
    if "\n" in text or len(text) >= 4096:
        return text  # YAML text; asking the OS about it may fail (a "file name too long")
    if Path(text).is_file():
        return Path(text).read_text(encoding="utf-8")
    if text.strip().endswith((".yml", ".yaml")):
        raise SchemaError(f"no schema file {text!r}")
    return text

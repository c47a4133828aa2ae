"""Databases in and out through SQLAlchemy: what `RelationalData.from_sql` and `to_sql` do.

This module knows schemas and DataFrames only; `RelationalData` (data.py) validates what is read
and hands its tables, schema and formats over to be written.

Reading reflects each table's columns, primary key and foreign keys from the database catalog
into a `Schema`:
- a column's kind follows its SQL type (integers, decimals, floats, dates, timestamps, times,
  booleans; intervals are numbers of seconds, written back as intervals); for a string type the
  values choose between categorical labels and free text, by the rule `Schema.infer` uses;
- a referenced table without foreign keys of its own is a lookup (copied as it is) when a table
  that references it already nests under another parent: genre under track, whose parent is album,
  and it has fewer than `MIN_ROOT_ROWS` rows (a larger one may be people: synthesised);
- `overrides` gives what reflection cannot know (that a VARCHAR is a label, which tables are
  lookups, keys the catalog does not declare) and wins over it: a mapping `table -> {column:
  kind}` as in `Schema.infer`, a `Schema`, or schema YAML as in conf/base/schema_chinook.yml
  (a file or text, which may name only some tables and columns);
- several schemas (`schema_name=[...]`) are read with the keys across them, every table named
  `<schema>.<table>` (`qualified`), and `to_sql` writes each back into its schema (`target_names`).
A table's first foreign key nests it, its other keys are references (`relational/nesting.py`); a
table with a composite primary key (a link table, film_actor: film_id, actor_id; an order's lines,
order_id, line_no) is read without a primary key, its key written back by `to_sql` and kept unique
by generation; a composite foreign key to it (lineitem's (partkey, suppkey) to partsupp) keeps its
columns' own kinds, and generation makes each pair one of the referenced rows', unless its table
nests under the row it names (deliveries (order_id, line_no) under order_lines, by a key added
when read: `RowKey`). Keys the model
cannot take (a composite key to columns that are not a primary key, a key to a table that is not read) are
listed together in one `SchemaError`, each with the ways out. Rows are read
`chunk_size` at a time (a server-side cursor where the driver has one) in primary-key order, so
the same database always reads the same.

Each column's SQL type is kept in `data.formats[table][column]["sql"]` (a small JSON dict), so
it travels with the data through fitting and generation, and `to_sql` creates the same DDL.

Writing creates the tables with their primary and foreign keys, parents first, and inserts the
rows, all in one transaction: a failure anywhere leaves the target as it was. Columns PostgreSQL
makes itself (identity and serial keys, generated columns) are recreated as such on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial, wraps
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles

from relsynth.relational._checks import (
    BELOW,
    DOMAIN,
    bound,
    column_domains,
    column_orders,
    domain_check,
    enum_labels,
    merged,
)
from relsynth.relational._coerce import (
    COMPOSITE_FK,
    DIFFERS_FROM,
    ROW_KEY,
    SQL_FORMAT,
    as_strings,
    composite_references,
    to_source,
)
from relsynth.relational._infer import flag_kind_and_reason, string_kind_and_reason
from relsynth.relational.columns import Column, ColumnKind, ForeignKey, PrimaryKey, as_kind
from relsynth.relational.composite import CompositeForeignKey, row_key_name
from relsynth.relational.errors import DataError, SchemaError
from relsynth.relational.nesting import (
    MIN_ROOT_ROWS,
    NullKey,
    SeriesDate,
    key_kind,
    large_enough,
    nesting_keys,
)
from relsynth.relational.numbers import to_numbers
from relsynth.relational.progress import LogProgress, progress
from relsynth.relational.row_keys import copy_row_keys, is_row_key
from relsynth.relational.schema import (
    KeyCycle,
    Schema,
    Table,
    read_yaml,
    referenced_order,
    small_referenced_roots,
    with_copied_texts,
)
from relsynth.relational.sql_defaults import DEFAULT, declared_default, server_default

log = logging.getLogger(__name__)

Con = str | sa.URL | sa.Engine
IF_EXISTS = ("fail", "replace", "append")
KEY_ACTIONS = {"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT"}  # a foreign key's actions, written back
COMMENT = "comment"  # in a column's SQL format: its COMMENT in the source's catalog
ON_PARENT = "on_parent"  # in a foreign key's SQL format: its actions ({"ondelete": "CASCADE"}, `_key_actions`)
_TRANSACTIONAL_DDL = {"postgresql", "sqlite"}  # a CREATE TABLE can be tried in a savepoint (`_create_tables`)
CHUNK_SIZE = 10_000
IMPLIED_KEY = "implied_key"  # in a column's SQL format: a key only a composite reference implies, written without it

# duckdb-engine reflects through PostgreSQL catalog queries that DuckDB cannot answer under
# SQLAlchemy >= 2.0.45 (pg_collation, REGCLASS); DuckDB's information_schema is complete.
_INFO_SCHEMA_DIALECTS = {"duckdb"}


# ---- connections ----------------------------------------------------------------------------------
@contextmanager
def open_engine(con: Con) -> Iterator[sa.Engine]:
    """The engine for `con`; one made here from a URL is disposed of (its pool closed) at the end."""
    if isinstance(con, sa.Engine):
        yield con
        return
    if not isinstance(con, str | sa.URL):
        raise TypeError(f"con must be a database URL or an SQLAlchemy Engine, got {type(con).__name__}")
    try:
        engine = sa.create_engine(con)
    except (ModuleNotFoundError, sa.exc.NoSuchModuleError) as exc:
        raise ModuleNotFoundError(
            f"{safe_url(con)}: {exc}; install the database's driver (PostgreSQL: pip install 'psycopg[binary]', "
            "DuckDB: pip install duckdb-engine)"
        ) from None
    try:
        yield engine
    finally:
        engine.dispose()


def _dialect_name(con: Con) -> str:
    """The database kind `con` names ("postgresql" for "postgresql+psycopg://..."), without connecting."""
    if isinstance(con, sa.Engine):
        return con.dialect.name
    try:
        return sa.make_url(con).get_backend_name()
    except (sa.exc.ArgumentError, TypeError):
        return ""  # `open_engine` says what is wrong with it


def safe_url(con: Con) -> str:
    """`con` as text with its password hidden, for logs and messages."""
    url = con.url if isinstance(con, sa.Engine) else con
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<a database URL that does not parse>"


def _quoted(name: str) -> sa.sql.quoted_name:
    """A table or column name always quoted: a dialect's list of reserved words can be incomplete
    (duckdb-engine borrows PostgreSQL's, and DuckDB reserves `at`)."""
    return sa.sql.quoted_name(name, quote=True)


def _begin(conn: sa.Connection) -> None:
    """Make DDL part of the transaction on SQLite: Python's sqlite3 opens a transaction only before
    INSERT/UPDATE/DELETE, so CREATE and DROP would otherwise commit on their own."""
    dbapi = conn.connection.dbapi_connection
    if conn.dialect.driver == "pysqlite" and not dbapi.in_transaction:
        conn.exec_driver_sql("BEGIN")


# ---- SQL types: kept as small JSON dicts, turned back into SQLAlchemy types -------------------------
SQLITE_TYPE = "sqlite_type"  # in a type spec: the type as an SQLite source declared it (`_sqlite_names`)
ENUM = "enum"  # in a varchar's type spec: the source's enum type ({"name", "labels"}), recreated on PostgreSQL
_INTERVALS = (sa.Interval, postgresql.INTERVAL)  # the generic type; PostgreSQL's (and DuckDB's) reflected one
_MONTH_FIELDS = {"YEAR", "MONTH", "YEAR TO MONTH"}  # an interval of whole months (INTERVAL YEAR TO MONTH)
MONTH = 30 * 86_400  # a month's seconds, as PostgreSQL compares intervals (a year: 12 months, 360 days)


def type_spec(t: sa.types.TypeEngine) -> dict | None:
    """A JSON-able description of an SQL type (`sql_type` makes it again), or None for a type that
    relsynth has no kind for (binary, JSON, arrays, ...). A UUID is taken as a key only; an
    interval is held as seconds (its fractional digits kept, its fields not: see `_type_name`)."""
    if isinstance(t, sa.Uuid):
        return {"type": "uuid"}
    if isinstance(t, postgresql.MONEY | Money):
        return {"type": "money"}
    if isinstance(t, _INTERVALS):
        precision = getattr(t, "precision", None) if isinstance(t, postgresql.INTERVAL) else t.second_precision
        months = str(getattr(t, "fields", None) or "").upper() in _MONTH_FIELDS
        return {"type": "interval", **({"precision": precision} if precision is not None else {})} | (
            {"months": True} if months else {}
        )
    if isinstance(t, sa.Boolean):
        return {"type": "boolean"}
    if isinstance(t, sa.DateTime):
        return {"type": "datetime", "timezone": bool(t.timezone), **_fraction_digits(t)}
    if isinstance(t, sa.Date):
        return {"type": "date"}
    if isinstance(t, sa.Time):
        return {"type": "time", "timezone": bool(t.timezone), **_fraction_digits(t)}
    if isinstance(t, sa.BigInteger):  # before Integer, which they subclass
        return {"type": "bigint"}
    if isinstance(t, sa.SmallInteger):
        return {"type": "smallint"}
    if isinstance(t, sa.Integer):
        return {"type": "integer"}
    if isinstance(t, sa.Float):  # before Numeric, which it subclasses
        return {"type": "double" if isinstance(t, sa.Double) else "real" if isinstance(t, sa.REAL) else "float"}
    if isinstance(t, sa.Numeric):
        return {"type": "numeric", "precision": t.precision, "scale": t.scale}
    if isinstance(t, sa.Enum):  # a VARCHAR where the target has no such type (`_enum_type`: PostgreSQL's)
        enum = {ENUM: {"name": t.name, "labels": list(t.enums)}} if t.name else {}
        return {"type": "varchar", "length": max((len(e) for e in t.enums), default=None), **enum}
    if isinstance(t, sa.Text):
        return {"type": "text"}
    if isinstance(t, sa.CHAR):
        return {"type": "char", "length": t.length}
    if isinstance(t, sa.String):
        return {"type": "varchar", "length": t.length}
    return None


def sql_type(spec: Mapping[str, Any]) -> sa.types.TypeEngine:
    """The SQLAlchemy type a `type_spec` describes."""
    name = spec["type"]
    makers = {
        "boolean": lambda: sa.Boolean(),
        "datetime": lambda: _with_digits(sa.DateTime(timezone=bool(spec.get("timezone"))), postgresql.TIMESTAMP, spec),
        "date": lambda: sa.Date(),
        "time": lambda: _with_digits(sa.Time(timezone=bool(spec.get("timezone"))), postgresql.TIME, spec),
        "smallint": lambda: sa.SmallInteger(),
        "integer": lambda: sa.Integer(),
        "bigint": lambda: sa.BigInteger(),
        "double": lambda: sa.Double(),
        "real": lambda: sa.REAL(),
        "float": lambda: sa.Float(),
        "numeric": lambda: sa.Numeric(spec.get("precision"), spec.get("scale")),
        "text": lambda: sa.Text(),
        "char": lambda: sa.CHAR(spec.get("length")),
        "varchar": lambda: sa.String(spec.get("length")),
        "uuid": lambda: sa.Uuid(as_uuid=False),  # keys are held as strings (see _coerce._key)
        "interval": lambda: IntervalSeconds(spec.get("precision"), bool(spec.get("months"))),
        "money": lambda: Money(),
        "json": lambda: JsonText(bool(spec.get("binary"))),
        "native": lambda: NativeText(spec["name"]),
        "array": lambda: ArrayOf(spec["name"]),
    }
    if name not in makers:
        raise ValueError(f"unknown SQL type spec {dict(spec)!r}; expected one of {sorted(makers)}")
    return makers[name]()


def _fraction_digits(t: sa.types.TypeEngine) -> dict:
    """{"precision": p} for a timestamp or time declared with p digits of fractions (PostgreSQL's
    timestamp(3)), else {}: the database's default."""
    precision = getattr(t, "precision", None)
    return {"precision": precision} if isinstance(precision, int) else {}


def _with_digits(typ: sa.types.TypeEngine, pg: type, spec: Mapping[str, Any]) -> sa.types.TypeEngine:
    """A timestamp or time type with its digits of fractions on PostgreSQL (the generic types have none)."""
    if "precision" not in spec:
        return typ
    return typ.with_variant(pg(timezone=bool(spec.get("timezone")), precision=spec["precision"]), "postgresql")


class IntervalSeconds(sa.types.TypeDecorator):
    """An interval column whose values relsynth holds as seconds (floats): bound as durations where
    the database has an interval type (PostgreSQL, DuckDB), else as the seconds themselves (SQLite
    has none; SQLAlchemy's stand-in would store a date in 1970)."""

    impl = sa.Interval
    cache_ok = True

    def __init__(self, precision: int | None = None, months: bool = False):
        super().__init__()
        self.precision = precision  # digits of the seconds' fractions (PostgreSQL's INTERVAL(p))
        # whole months (INTERVAL YEAR TO MONTH): bound as the nearest months ('1 year 2 mons', not '420 days',
        # which such a column holds as 0), on PostgreSQL (`_Justified`)
        self.months = months

    def bind_expression(self, bindvalue: Any) -> Any:
        return _Justified(bindvalue) if self.months else bindvalue

    @staticmethod
    def native(dialect: sa.Dialect) -> bool:
        # a dialect with an interval type of its own maps the generic one to it; others emulate it
        return sa.Interval in dialect.colspecs

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":
            return postgresql.INTERVAL(precision=self.precision)
        return dialect.type_descriptor(sa.Interval() if self.native(dialect) else sa.Double())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None or isinstance(value, dt.timedelta):
            return value
        seconds = round(float(value) / MONTH) * MONTH if self.months and dialect.name == "postgresql" else float(value)
        return dt.timedelta(seconds=seconds) if self.native(dialect) else seconds


class _Justified(sa.sql.functions.FunctionElement):
    """An interval bound to a column of whole months: PostgreSQL's `justify_days` of it (its days as
    months of 30: 420 days -> 1 year 2 mons); elsewhere the value as it is."""

    inherit_cache = True

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.type = value.type


@compiles(_Justified)
def _justified(element: _Justified, compiler: Any, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(_Justified, "postgresql")
def _justified_pg(element: _Justified, compiler: Any, **kw: Any) -> str:
    return f"justify_days({compiler.process(next(iter(element.clauses)), **kw)})"


class IntervalRead(sa.types.TypeDecorator):
    """A reflected interval column as selected: on PostgreSQL its seconds as PostgreSQL compares
    intervals (`_PgSeconds`: a month 30 days, a year 12 months); psycopg's durations count a year as
    365 days, so '1 year 2 mons' came back as 425 days, which is not '1 year 2 mons' there."""

    impl = postgresql.INTERVAL
    cache_ok = True

    def column_expression(self, col: Any) -> Any:
        return _PgSeconds(col)


class _PgSeconds(sa.sql.functions.FunctionElement):
    """An interval column's value as read (`IntervalRead`)."""

    inherit_cache = True

    def __init__(self, col: Any) -> None:
        super().__init__(col)
        self.type = col.type


@compiles(_PgSeconds)
def _pg_seconds_any(element: _PgSeconds, compiler: Any, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(_PgSeconds, "postgresql")
def _pg_seconds(element: _PgSeconds, compiler: Any, **kw: Any) -> str:
    col = compiler.process(next(iter(element.clauses)), **kw)
    # EXTRACT(EPOCH) counts a year as 365.25 days: 5.25 days (453,600 seconds) taken off each
    return f"(EXTRACT(EPOCH FROM {col}) - EXTRACT(YEAR FROM {col}) * 453600)"


class Money(sa.types.TypeDecorator):
    """PostgreSQL's MONEY as a number: selected as NUMERIC (the driver returns money as text in the
    server's currency format, '$1,234.50') and bound as one (PostgreSQL casts a numeric to money,
    not a float); NUMERIC(19, 2) where there is no money type (the range of its cents in 64 bits)."""

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":
            return postgresql.MONEY()
        return dialect.type_descriptor(sa.Numeric(19, 2))

    def column_expression(self, col: sa.ColumnElement) -> sa.ColumnElement:
        return sa.cast(col, sa.Numeric)

    def bind_expression(self, bindvalue: sa.BindParameter) -> sa.ColumnElement:
        return sa.cast(bindvalue, sa.Numeric)


class JsonText(sa.types.TypeDecorator):
    """A JSON column (given a kind in overrides: its documents held as JSON text) written back as
    PostgreSQL's json or jsonb, each text bound as the document it holds (not as a JSON string of
    it); as TEXT where there is no such type."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, binary: bool = False):
        super().__init__()
        self.binary = binary  # jsonb

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":  # a missing value is SQL's NULL, the text 'null' JSON's
            return postgresql.JSONB(none_as_null=True) if self.binary else postgresql.JSON(none_as_null=True)
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if dialect.name != "postgresql" or not isinstance(value, str):
            return value
        try:
            document = json.loads(value)
        except ValueError:
            return value  # no document: bound as a JSON string
        return sa.JSON.NULL if document is None else document


class NativeText(sa.types.TypeDecorator):
    """A PostgreSQL type relsynth has no kind for (inet, macaddr, tsvector, ...), given one in
    overrides (its values held as their text): written back as that type on PostgreSQL, each text
    bound untyped so that the server reads it as the column's type; as TEXT elsewhere."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, name: str):
        super().__init__()
        self.name = name  # as PostgreSQL spells it: INET, MACADDR, TSVECTOR

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":
            return _StoredAsIs(self.name)
        return dialect.type_descriptor(sa.Text())


def _is_address(t: sa.types.TypeEngine) -> bool:
    """Whether `t` is PostgreSQL's inet or cidr: a host's or network's address, read as its text."""
    return isinstance(t, postgresql.INET | postgresql.CIDR)


def _postgres_type_name(t: sa.types.TypeEngine) -> str | None:
    """The name of a PostgreSQL type that `NativeText` writes back from its values' text; None for
    any other (arrays, bytea, intervals: their values' text is not the type's input)."""
    if isinstance(t, UnknownType):  # named by PostgreSQL's catalog (`_catalog_types`)
        return t.name
    if not type(t).__module__.startswith("sqlalchemy.dialects.postgresql") or isinstance(
        t, sa.ARRAY | postgresql.BYTEA | sa.LargeBinary | postgresql.INTERVAL | sa.JSON
    ):
        return None
    return t.compile(dialect=postgresql.dialect())


class ArrayText(sa.types.TypeDecorator):
    """A value bound, untyped, for an array column of a table the user created (if_exists='append'):
    an array is read as JSON text (`["a", "b2"]`, `as_strings`), which PostgreSQL's array input
    refuses ('malformed array literal'); it is sent in the array's own text form (`{"a","b2"}`),
    which the server reads as the column's array type. Other text is sent as it is."""

    impl = sa.types.NullType
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return _as_array_text(value)


class ArrayOf(sa.types.TypeDecorator):
    """An array column given a kind in overrides (its values held as JSON text, `["a", "b2"]`):
    written back as that array type on PostgreSQL (TEXT[], INTEGER[]), each value bound untyped in
    the array's own text form, which the server reads as the column's type; as TEXT elsewhere,
    holding the JSON text."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, name: str):
        super().__init__()
        self.name = name  # as PostgreSQL spells it: TEXT[], NUMERIC(12, 2)[]

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":
            return _StoredAsIs(self.name)
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        return _as_array_text(value) if dialect.name == "postgresql" else value


def _as_array_text(value: Any) -> Any:
    """A JSON array's text (`["a", "b2"]`) in PostgreSQL's text form of arrays (`{"a","b2"}`); other
    values as they are."""
    if not isinstance(value, str) or not value.lstrip().startswith("["):
        return value
    try:
        items = json.loads(value)
    except ValueError:
        return value
    return _array_literal(items) if isinstance(items, list) else value


def _array_type_name(t: sa.types.TypeEngine) -> str | None:
    """PostgreSQL's name of an array type that `ArrayOf` writes back (TEXT[]); None for any other, and
    for an array of an enum or of a type SQLAlchemy does not know, which the target may lack."""
    if not isinstance(t, sa.ARRAY):
        return None
    item = t.item_type
    if isinstance(item, sa.Enum | sa.types.NullType) or not type(item).__module__.startswith("sqlalchemy"):
        return None
    return t.compile(dialect=postgresql.dialect())


def _array_literal(items: list) -> str:
    """PostgreSQL's text form of an array of `items` (nested lists: dimensions), each element quoted."""

    def element(v: Any) -> str:
        if v is None:
            return "NULL"
        if isinstance(v, list):
            return _array_literal(v)
        text = json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else str(v)
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{" + ",".join(element(v) for v in items) + "}"


def _selected(t: sa.types.TypeEngine) -> sa.types.TypeEngine:
    """The type a reflected column is selected as (money as numbers, see `Money`)."""
    if isinstance(t, postgresql.INTERVAL):
        return IntervalRead()
    return Money() if isinstance(t, postgresql.MONEY) else t


def _seconds(v: Any) -> float:
    """A duration as seconds: a `timedelta` (psycopg, DuckDB's rows) or an Arrow month-day-nano
    interval (DuckDB's batches), its months counted as 30 days as DuckDB's own rows count them."""
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    return (v.months * 30 + v.days) * 86_400 + v.nanoseconds / 1e9


def _type_name(t: sa.types.TypeEngine, spec: Mapping[str, Any]) -> str:
    """An SQL type as the catalog has it, for `schema.inference` (`str` of an enum says VARCHAR and
    of a timestamptz TIMESTAMP, which would read as a lost type or zone)."""
    if spec["type"] == "interval":  # fields (DAY TO SECOND) are not written back; a column of months writes months
        fields, digits = getattr(t, "fields", None), f"({spec['precision']})" if "precision" in spec else ""
        name = f"INTERVAL{f' {fields.upper()}' if fields else ''}{digits}, read as seconds"
        return f"{name}, written back as INTERVAL{digits}" if fields else name
    if isinstance(t, sa.Enum):
        name = f"ENUM {t.name}" if t.name else "ENUM"
        back = f"as such on PostgreSQL, elsewhere as {sql_type(spec)}" if ENUM in spec else f"as {sql_type(spec)}"
        return f"{name} ({', '.join(map(repr, t.enums))}), written back {back}"
    if isinstance(t, sa.DateTime | sa.Time) and t.timezone:
        return f"{'TIMESTAMP' if isinstance(t, sa.DateTime) else 'TIME'} WITH TIME ZONE"
    return str(t)


def listed_kind(labels: Sequence[str]) -> Column:
    """The kind of a column whose labels its source lists (an enum type, CHECK (c IN (...))):
    categorical, or boolean where they are a flag's two spellings ('Y', 'N'; 'yes', 'no'), as
    `Schema.infer` reads such values (`flag_kind_and_reason`); written back in that spelling."""
    return Column.BOOLEAN if flag_kind_and_reason(pd.Series(list(labels), dtype=object)) else Column.CATEGORICAL


def _kind_of_type(t: sa.types.TypeEngine, spec: dict | None) -> Column | None:
    """The kind an SQL type means; None for a string type (its values decide: categorical or text)."""
    if spec is None or (
        spec["type"] in ("varchar", "char", "text", "json", "native", "array") and not isinstance(t, sa.Enum)
    ):
        return None
    if isinstance(t, sa.Enum):
        return listed_kind(t.enums)
    if spec["type"] == "numeric":
        return Column.INTEGER if spec.get("scale") == 0 else Column.NUMERIC
    return {
        "interval": Column.NUMERIC,
        "money": Column.NUMERIC,
        "boolean": Column.BOOLEAN,
        "datetime": Column.DATETIME,
        "date": Column.DATE,
        "time": Column.TIME,
        "smallint": Column.INTEGER,
        "integer": Column.INTEGER,
        "bigint": Column.INTEGER,
        "double": Column.NUMERIC,
        "real": Column.NUMERIC,
        "float": Column.NUMERIC,
    }[spec["type"]]


# ---- reflection ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ForeignKey:
    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...]
    ref_schema: str | None = None  # None: the schema read
    actions: tuple[tuple[str, str], ...] = ()  # ("ondelete", "CASCADE") ...: what a parent row's DELETE, UPDATE does


@dataclass
class _Reflected:
    """One table as the catalog describes it."""

    name: str
    types: dict[str, sa.types.TypeEngine]  # column -> SQL type, in table order
    not_null: set[str] = field(default_factory=set)
    pk: tuple[str, ...] = ()
    fks: list[_ForeignKey] = field(default_factory=list)
    unique: set[str] = field(default_factory=set)  # columns UNIQUE on their own (not the primary key)
    unique_sets: list[tuple[str, ...]] = field(default_factory=list)  # UNIQUE over several columns (`Table.unique`)
    made: dict[str, dict] = field(default_factory=dict)  # column -> how the server makes it (`_made_by_server`)
    schema: str | None = None  # the database schema it is in (None: the default one)
    differs: list[tuple[str, str]] = field(default_factory=list)  # CHECK (a <> b) pairs (`_differing_pairs`)
    domains: dict[str, dict] = field(default_factory=dict)  # column -> its single-column CHECKs (`_domains`)
    orders: list[tuple[str, str, bool]] = field(default_factory=list)  # CHECK (a < b): (low, high, strict)
    declared: dict[str, str] = field(default_factory=dict)  # column -> its type as SQLite declares it (`_sqlite_names`)
    defaults: dict[str, dict] = field(default_factory=dict)  # column -> its DEFAULT (`sql_defaults.declared_default`)
    comments: dict[str, str] = field(default_factory=dict)  # column -> its COMMENT, as a GUI shows it


SchemaNames = str | Sequence[str] | None  # `schema_name` as from_sql takes it: one schema, several, or the default
TABLE_SCHEMA = "table_schema"  # in a column's SQL format: the schema of a table read from several (`qualified`)


def read_schemas(schema_name: object) -> list[str | None]:
    """The schemas `schema_name` names: [None] (the database's default), one, or several (each table
    then named `<schema>.<table>`, see `qualified`)."""
    if schema_name is None or isinstance(schema_name, str):
        return [schema_name]
    names = list(schema_name) if isinstance(schema_name, Sequence) else None
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"schema_name must be a schema's name or a non-empty list of them, got {schema_name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"schema_name names a schema twice: {names}")
    return names


def qualified(schema: str | None, table: str, schemas: Sequence[str | None]) -> str:
    """The name a table gets in the relsynth schema: its own when one schema is read, else
    `<schema>.<table>` (hr.employees), whether or not the names clash: the same table always gets the
    same name, whatever the other schemas hold."""
    return table if len(schemas) == 1 else f"{schema}.{table}"


def located_tables(
    conn: sa.Connection, schema_name: SchemaNames, partitions: bool = False
) -> dict[str, tuple[str | None, str]]:
    """Every table of the schemas read, by the name from_sql gives it -> (schema, table); PostgreSQL's
    partitions only with `partitions` (else their rows are read through their partitioned tables)."""
    schemas, out = read_schemas(schema_name), {}
    for s in schemas:
        present = sa.inspect(conn).get_table_names(schema=s)
        if not partitions and (parts := _partitions(conn, s)):  # else their rows would be read twice
            log.info("from_sql: partitions %s are read through their partitioned tables", sorted(parts))
            present = [t for t in present if t not in parts]
        out |= {qualified(s, t, schemas): (s, t) for t in present}
    return out


def _table_names(
    conn: sa.Connection, tables: Sequence[str] | None, schema_name: SchemaNames
) -> dict[str, tuple[str | None, str]]:
    """The tables to read, by name -> (schema, table)."""
    located = located_tables(conn, schema_name, partitions=tables is not None)
    held, schemas = {s for s, _ in located.values()}, read_schemas(schema_name)
    # a schema misspelt among several would be read as empty, silently (one named alone: `_not_tables`)
    if empty := [s for s in schemas if s not in held and (len(schemas) > 1 or tables is None)]:
        where = f" in schema {' or '.join(map(repr, empty))}" if empty != [None] else ""
        raise SchemaError(f"{safe_url(conn.engine)}: no tables{where}{_schemas_with_tables(conn)}")
    if tables is None:
        return {n: located[n] for n in sorted(located)}
    tables = [tables] if isinstance(tables, str) else list(tables)
    missing = [t for t in tables if t not in located]
    if missing:
        raise SchemaError(_not_tables(conn, missing, located, schema_name))
    if len(set(tables)) != len(tables):
        raise SchemaError(f"tables names a table twice: {tables}")
    return {n: located[n] for n in tables}


def _view_names(conn: sa.Connection, schema_name: str | None) -> dict[str, str]:
    """View name -> "a view" or "a materialized view", in the schema."""
    insp = sa.inspect(conn)
    views = dict.fromkeys(insp.get_view_names(schema=schema_name), "a view")
    try:
        views |= dict.fromkeys(insp.get_materialized_view_names(schema=schema_name), "a materialized view")
    except NotImplementedError:  # a dialect without them
        pass
    return views


def _partitions(conn: sa.Connection, schema_name: str | None) -> set[str]:
    """The tables of the schema that are partitions of another (PostgreSQL's declarative partitioning)."""
    if conn.dialect.name != "postgresql":
        return set()
    query = (
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relispartition AND n.nspname = :s"
    )
    schema = schema_name or sa.inspect(conn).default_schema_name
    return set(conn.execute(sa.text(query), {"s": schema}).scalars())


def _not_tables(
    conn: sa.Connection, missing: list[str], located: Mapping[str, tuple[str | None, str]], schema_name: SchemaNames
) -> str:
    """What each name of `tables=` that is no table of the schemas read is: a view (not read: its
    rows are other tables', and it has no keys), a table named in another case or without its
    schema, or nothing."""
    schemas, present = read_schemas(schema_name), list(located)
    where = f"schema {schema_name!r}" if isinstance(schema_name, str) else "the database"
    if len(schemas) > 1:
        where = f"schemas {schemas}"
    views = {qualified(s, v, schemas): what for s in schemas for v, what in _view_names(conn, s).items()}
    out = []
    for name in missing:
        if len(schemas) > 1 and (bare := [n for n, (_, t) in located.items() if t == name]):
            out.append(f"{name!r} is not in {where}: with several schemas a table is named with its schema, {bare}")
        elif name in views:
            out.append(f"{name!r} is {views[name]}: from_sql reads tables only, with their keys")
        elif same := [t for t in present if t.casefold() == name.casefold()]:
            out.append(
                f"{name!r} is not in {where}, which has {same[0]!r} (tables= matches names exactly, case included)"
            )
        else:
            out.append(f"{name!r} is not in {where}")
    return f"tables names no table: {'; '.join(out)}. The tables are {sorted(present)}"


def _schemas_with_tables(conn: sa.Connection) -> str:
    """'; the schemas with tables are [...]', or '' where the dialect cannot list them (DuckDB's reflection)."""
    if conn.dialect.name in _INFO_SCHEMA_DIALECTS:
        return ""
    insp = sa.inspect(conn)
    try:
        schemas = [s for s in insp.get_schema_names() if s != "information_schema" and insp.get_table_names(schema=s)]
    except (NotImplementedError, sa.exc.SQLAlchemyError):
        return ""
    return f"; the schemas with tables are {sorted(schemas)}" if schemas else ""


def _reflect(conn: sa.Connection, name: str, schema_name: str | None) -> _Reflected:
    if conn.dialect.name in _INFO_SCHEMA_DIALECTS:
        found = _reflect_information_schema(conn, name, schema_name or sa.inspect(conn).default_schema_name)
        return replace(found, schema=schema_name)
    insp = sa.inspect(conn)
    cols = insp.get_columns(name, schema=schema_name)
    pk = insp.get_pk_constraint(name, schema=schema_name).get("constrained_columns") or []
    # SQLAlchemy names a referenced table's schema unless it is the default one (None), also when it is
    # `schema_name`; held here as None for the schema read, else its name (as _reflect_information_schema)
    default = insp.default_schema_name
    sqlite_actions = _sqlite_key_actions(conn, name, schema_name)
    fks = [
        _ForeignKey(
            tuple(f["constrained_columns"]),
            f["referred_table"],
            tuple(f["referred_columns"]),
            _other_schema(f["referred_schema"] or default, schema_name or default),
            _key_actions(f.get("options") or sqlite_actions.get(tuple(f["constrained_columns"]), {})),
        )
        for f in insp.get_foreign_keys(name, schema=schema_name)
    ]
    unsure = [
        c["name"] for c in cols if type(c["type"]) is sa.types.NullType or isinstance(c["type"], postgresql.DOMAIN)
    ]
    retyped = _catalog_types(conn, name, schema_name or default, unsure) if unsure else {}
    retyped |= _sqlite_declared_types(conn, name, schema_name, cols)
    types = {c["name"]: _base_type(retyped.get(c["name"], c["type"])) for c in cols}
    return _Reflected(
        name=name,
        types=types,
        not_null={c["name"] for c in cols if not c.get("nullable", True)},
        pk=tuple(pk),
        fks=fks,
        declared=_sqlite_names(conn, name, schema_name, types),
        unique=_unique_columns(conn, name, schema_name, tuple(pk)),
        unique_sets=_unique_column_sets(conn, name, schema_name, tuple(pk)),
        made=_made_by_server(conn.dialect.name, cols, tuple(pk)),
        defaults=_declared_defaults(conn.dialect.name, [(c["name"], c.get("default")) for c in cols]),
        comments={c["name"]: str(c["comment"]) for c in cols if c.get("comment")},
        schema=schema_name,
        differs=_differing_pairs(conn, name, schema_name, [c["name"] for c in cols]),
        domains=_domains(conn, name, schema_name, {c["name"]: c["type"] for c in cols}),
        orders=column_orders(_check_texts(conn, name, schema_name), [c["name"] for c in cols]),
    )


def _key_actions(options: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A foreign key's ON DELETE / ON UPDATE actions other than the default (NO ACTION), as SQLAlchemy's
    options name them ("ondelete", "onupdate")."""
    return tuple(
        (on, str(options[on]).upper())
        for on in ("ondelete", "onupdate")
        if str(options.get(on) or "").upper() in KEY_ACTIONS
    )


def _sqlite_key_actions(conn: sa.Connection, name: str, schema_name: str | None) -> dict[tuple[str, ...], dict]:
    """SQLite's foreign keys' actions (its columns -> {"ondelete": ..., "onupdate": ...}), which
    SQLAlchemy's reflection leaves out there."""
    if conn.dialect.name != "sqlite":
        return {}
    prefix = f"{conn.dialect.identifier_preparer.quote(schema_name)}." if schema_name else ""
    quoted = conn.dialect.identifier_preparer.quote(name)
    found: dict[int, tuple[list[str], dict]] = {}
    for key, _, _, column, _, on_update, on_delete, *_ in conn.exec_driver_sql(
        f"PRAGMA {prefix}foreign_key_list({quoted})"
    ):
        found.setdefault(key, ([], {"ondelete": on_delete, "onupdate": on_update}))[0].append(column)
    return {tuple(cols): actions for cols, actions in found.values()}


def _declared_defaults(dialect: str, defaults: Iterable[tuple[str, object]]) -> dict[str, dict]:
    """Column -> its DEFAULT as `to_sql` writes it back (`sql_defaults`), for the columns that have one."""
    return {c: found for c, sql in defaults if (found := declared_default(sql, dialect))}


def _quiet_display_widths(fn: Callable) -> Callable:
    """`fn` without SQLAlchemy's warning of MySQL's display widths, one a column each time a table is
    inspected, which SQLite keeps (INT(11), TINYINT(1)) and SQLAlchemy drops: they say nothing of the
    range (the declared name is read again, `_sqlite_declared_types`)."""

    @wraps(fn)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", "Could not instantiate type .* with reflected arguments", sa.exc.SAWarning
            )
            return fn(*args, **kwargs)

    return quiet


def _made_by_server(dialect: str, cols: list[dict], pk: tuple[str, ...]) -> dict[str, dict]:
    """Column -> {"generated": {sqltext, persisted} or "identity": {always}, "dialect": ...} for the
    columns PostgreSQL makes itself, recreated by `to_sql` on PostgreSQL: a generated column's
    expression is in the source's SQL, and SQLite's reflection garbles it (SQLAlchemy's regex). A
    serial key (a nextval default) comes back as an identity BY DEFAULT, which numbers it alike."""
    if dialect != "postgresql":
        return {}
    made = {}
    for c in cols:
        serial = pk == (c["name"],) and str(c.get("default") or "").startswith("nextval(")
        if c.get("computed"):
            generated = {"sqltext": str(c["computed"]["sqltext"]), "persisted": bool(c["computed"].get("persisted"))}
            made[c["name"]] = {"generated": generated, "dialect": dialect}
        elif c.get("identity") or serial:
            always = bool((c.get("identity") or {}).get("always"))
            made[c["name"]] = {"identity": {"always": always}, "dialect": dialect}
    return made


def _base_type(t: sa.types.TypeEngine) -> sa.types.TypeEngine:
    """A PostgreSQL domain's base type as SQLAlchemy has it (without its length: `_catalog_types`
    gives it where the catalog has it). Its values are the base type's, and it is written back as
    that (its CHECK, like a table's, is not recreated)."""
    while isinstance(t, postgresql.DOMAIN):
        t = t.data_type
    return t


class UnknownType(sa.types.NullType):
    """A type SQLAlchemy does not know (xml, point, a composite type), named as the catalog names it:
    a message saying 'NullType()' would say nothing of the column."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


def _catalog_types(
    conn: sa.Connection, name: str, schema: str | None, columns: list[str]
) -> dict[str, sa.types.TypeEngine]:
    """Column -> its type from PostgreSQL's information_schema, for the columns SQLAlchemy did not
    recognise (named as the catalog names them, with their modifiers: pgvector's vector(3), PostGIS'
    geometry(Point,4326), which a bare `vector` would lose when written back; qualified by its schema
    where the connection's search path does not see it) and those of a domain (the base type with its
    length, precision and scale, which SQLAlchemy's DOMAIN leaves out: varchar(5) as VARCHAR)."""
    if conn.dialect.name != "postgresql":
        return {}
    found = conn.execute(
        sa.text(
            "SELECT c.column_name, CASE WHEN c.data_type <> 'USER-DEFINED' THEN c.data_type "
            "WHEN c.domain_name IS NULL THEN format_type(a.atttypid, a.atttypmod) ELSE c.udt_name END, "
            "c.domain_name IS NOT NULL, c.character_maximum_length, c.numeric_precision, c.numeric_scale "
            "FROM information_schema.columns c JOIN pg_attribute a "
            "ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass "
            "AND a.attname = c.column_name "
            "WHERE c.table_schema = :s AND c.table_name = :t AND c.column_name = ANY(:c)"
        ),
        {"s": schema, "t": name, "c": columns},
    ).all()
    out: dict[str, sa.types.TypeEngine] = {}
    for col, typ, domain, length, precision, scale in found:
        make = _INFO_TYPES.get(str(typ).upper())
        if not domain:
            out[col] = UnknownType(typ)
        elif make:  # else SQLAlchemy's base type (a domain over an enum, say)
            out[col] = make(length, precision, scale)
    return out


def _sqlite_pragma_types(conn: sa.Connection, name: str, schema_name: str | None) -> dict[str, str]:
    """Column -> its type as SQLite's catalog holds the declaration (`TINYINT(1)`, `INT UNSIGNED`)."""
    quote = conn.dialect.identifier_preparer.quote
    prefix = f"{quote(schema_name)}." if schema_name else ""
    return {r[1]: str(r[2]) for r in conn.exec_driver_sql(f"PRAGMA {prefix}table_info({quote(name)})")}


def _sqlite_names(
    conn: sa.Connection, name: str, schema_name: str | None, types: Mapping[str, sa.types.TypeEngine]
) -> dict[str, str]:
    """Column -> its declared type, on SQLite, for the integer, date and time columns whose name is
    not the one relsynth writes (a MySQL dump's TINYINT(1), INT UNSIGNED, YEAR(4), TIMESTAMP): written
    back so into SQLite (`_sqlite_declared`), where the name is all a type is, and MySQL's tools read
    TINYINT(1) as a flag."""
    if conn.dialect.name != "sqlite":
        return {}
    declared = _sqlite_pragma_types(conn, name, schema_name)
    kept = (sa.Integer, sa.Date, sa.DateTime, sa.Time)
    written = {c: sql_type(spec).compile(dialect=sqlite.dialect()) for c, t in types.items() if (spec := type_spec(t))}
    return {
        c: declared[c]
        for c, t in types.items()
        if isinstance(t, kept) and declared.get(c) and c in written and declared[c].upper() != written[c]
    }


def _sqlite_declared_types(
    conn: sa.Connection, name: str, schema_name: str | None, cols: list[dict]
) -> dict[str, sa.types.TypeEngine]:
    """Column -> the type its declared name means, on SQLite, where SQLAlchemy's affinity rules
    read it as another: a name they do not list falls to NUMERIC (`TIMESTAMP WITH TIME ZONE`,
    `TIMESTAMPTZ`, `UUID`, whose values then failed to read as decimals), and a precision is taken
    for the zone (`TIMESTAMP(6)` as `timezone=6`)."""
    if conn.dialect.name != "sqlite":
        return {}
    declared = {  # the name without its arguments: TIMESTAMP(6) WITH TIME ZONE as TIMESTAMP WITH TIME ZONE
        c: " ".join(re.sub(r"\(.*?\)", " ", t).split()).upper()
        for c, t in _sqlite_pragma_types(conn, name, schema_name).items()
    }
    out: dict[str, sa.types.TypeEngine] = {}
    for c in cols:
        spelt = declared.get(c["name"], "")
        t, make = c["type"], _INFO_TYPES.get(spelt) or _SQLITE_MYSQL_TYPES.get(spelt)
        fallback = type(t) is sa.NUMERIC and not declared.get(c["name"], "").startswith(("NUMERIC", "DECIMAL"))
        zone = isinstance(t, sa.DateTime | sa.Time) and not isinstance(t.timezone, bool)
        if make is not None and (fallback or zone):
            out[c["name"]] = make(None, None, None)
    return out


_DIFFERS = re.compile(r'^"?([^"\s<>!=()]+)"?\s*(?:<>|!=)\s*"?([^"\s<>!=()]+)"?$')


def _differing_pairs(conn: sa.Connection, name: str, schema_name: str | None, columns: Sequence[str]) -> list:
    """The pairs of a table's columns a CHECK (a <> b) keeps apart (follows: CHECK (follower_id <>
    followee_id)), from the catalog (`_check_texts`); single-column checks are `_domains`."""
    out = []
    for text in _check_texts(conn, name, schema_name):
        inner = text.strip()
        while inner.startswith("(") and inner.endswith(")"):  # PostgreSQL's ((a <> b))
            inner = inner[1:-1].strip()
        if (m := _DIFFERS.match(inner)) and m[1] in columns and m[2] in columns and m[1] != m[2]:
            out.append((m[1], m[2]))
    return out


def _domains(
    conn: sa.Connection, name: str, schema_name: str | None, types: Mapping[str, sa.types.TypeEngine]
) -> dict[str, dict]:
    """The bounds and lists of values a table's single-column CHECKs declare (`_checks`): credit >= 0,
    score BETWEEN 0 AND 100, tier IN ('gold', 'silver'), length(code) = 6, d >= '2000-01-01'; those of
    a column's domain type (PostgreSQL's CREATE DOMAIN ... CHECK); and the labels of an enum type
    (PostgreSQL's, DuckDB's: a CHECK (mood IN (...)) keeps them where the type is not recreated)."""
    base = {c: _base_type(t) for c, t in types.items()}
    numbers = [c for c, t in base.items() if isinstance(t, sa.Numeric | sa.Integer | sa.Float)]
    dates = [c for c, t in base.items() if isinstance(t, sa.Date | sa.DateTime)]
    texts = _check_texts(conn, name, schema_name) + _domain_type_checks(conn, name, schema_name, types)
    out = column_domains(texts, list(types), numbers, dates)
    for c, t in types.items():  # an enum type's labels: a list its values are one of, as IN (...) gives
        labels = list(t.enums) if isinstance(t, sa.Enum) else enum_labels(str(getattr(t, "name", "")))
        if labels:
            out[c] = merged(out.get(c, {}), {"in": labels})
    return out


def _domain_type_checks(
    conn: sa.Connection, name: str, schema_name: str | None, types: Mapping[str, sa.types.TypeEngine]
) -> list[str]:
    """The CHECKs of the columns' PostgreSQL domain types (those of the domains they are built on
    too), each as a check of its column (`domain_check`: VALUE >= 0 as "pct" >= 0)."""
    if conn.dialect.name != "postgresql" or not any(isinstance(t, postgresql.DOMAIN) for t in types.values()):
        return []
    found = conn.execute(
        sa.text(
            "WITH RECURSIVE d(col, oid) AS ("
            " SELECT a.attname, a.atttypid FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = r.relnamespace WHERE r.relname = :t"
            " AND n.nspname = coalesce(:s, current_schema()) AND a.attnum > 0 AND NOT a.attisdropped"
            " UNION ALL SELECT d.col, t.typbasetype FROM d JOIN pg_type t ON t.oid = d.oid WHERE t.typtype = 'd')"
            " SELECT d.col, pg_get_constraintdef(c.oid) FROM d JOIN pg_constraint c ON c.contypid = d.oid"
            " WHERE c.contype = 'c'"
        ),
        {"t": name, "s": schema_name},
    ).all()
    return [domain_check(text, col) for col, text in found]


def _check_texts(conn: sa.Connection, name: str, schema_name: str | None) -> list[str]:
    """The texts of a table's CHECK constraints, from the catalog: SQLAlchemy's (SQLite's CREATE
    TABLE text, PostgreSQL's pg_constraint), DuckDB's duckdb_constraints(); none where it has none."""
    try:
        if conn.dialect.name == "duckdb":
            texts = conn.execute(
                sa.text(
                    "SELECT expression FROM duckdb_constraints() WHERE schema_name = :s AND table_name = :t "
                    "AND constraint_type = 'CHECK'"
                ),
                {"s": schema_name or sa.inspect(conn).default_schema_name, "t": name},
            ).scalars()
        else:
            texts = (c["sqltext"] for c in sa.inspect(conn).get_check_constraints(name, schema=schema_name))
        return [str(t) for t in texts]
    except (NotImplementedError, sa.exc.SQLAlchemyError):
        return []


def _unique_columns(conn: sa.Connection, name: str, schema_name: str | None, pk: tuple[str, ...]) -> set[str]:
    """The columns of a table UNIQUE on their own (`_unique_sets`), but the primary key."""
    return {cols[0] for _, cols in _unique_sets(conn, name, schema_name) if len(cols) == 1 and cols[0] not in pk}


def _unique_column_sets(
    conn: sa.Connection, name: str, schema_name: str | None, pk: tuple[str, ...]
) -> list[tuple[str, ...]]:
    """The column sets of a table's UNIQUE constraints and unique indexes over several columns
    (`_unique_sets`), each once, but those holding the whole primary key (unique anyway) and
    those on an expression (`lower(email)`)."""
    out: list[tuple[str, ...]] = []
    for _, cols in _unique_sets(conn, name, schema_name):
        key = tuple(cols)
        if len(key) > 1 and None not in key and not (pk and set(pk) <= set(key)) and key not in out:
            out.append(key)
    return out


def _target_key(conn: sa.Connection, name: str, schema_name: str | None) -> tuple[str, ...]:
    """The columns of a table's primary key (none: ()), from information_schema where SQLAlchemy's
    catalog queries fail (DuckDB)."""
    if conn.dialect.name not in _INFO_SCHEMA_DIALECTS:
        return tuple(sa.inspect(conn).get_pk_constraint(name, schema=schema_name).get("constrained_columns") or [])
    rows = conn.execute(
        sa.text(
            "SELECT k.column_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema "
            "AND k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name "
            "WHERE tc.table_schema = :s AND tc.table_name = :t AND tc.constraint_type = 'PRIMARY KEY' "
            "ORDER BY k.ordinal_position"
        ),
        {"s": schema_name or sa.inspect(conn).default_schema_name, "t": name},
    ).all()
    return tuple(r[0] for r in rows)


def _unique_sets(conn: sa.Connection, name: str, schema_name: str | None) -> list[tuple[str | None, list[str]]]:
    """(name, columns) of each UNIQUE constraint and unique index of a table (a constraint may be
    listed twice, as both)."""
    if conn.dialect.name in _INFO_SCHEMA_DIALECTS:
        rows = conn.execute(
            sa.text(
                "SELECT tc.constraint_name, k.column_name FROM information_schema.table_constraints tc "
                "JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema "
                "AND k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name "
                "WHERE tc.table_schema = :s AND tc.table_name = :t AND tc.constraint_type = 'UNIQUE' "
                "ORDER BY tc.constraint_name, k.ordinal_position"
            ),
            {"s": schema_name or sa.inspect(conn).default_schema_name, "t": name},
        ).all()
        out = [(c, [col for n, col in rows if n == c]) for c in dict.fromkeys(n for n, _ in rows)]
        return out + (_duckdb_unique_indexes(conn, name, schema_name) if conn.dialect.name == "duckdb" else [])
    insp = sa.inspect(conn)
    out = [(u["name"], u["column_names"]) for u in insp.get_unique_constraints(name, schema=schema_name)]
    out += [(i["name"], i["column_names"]) for i in insp.get_indexes(name, schema=schema_name) if _whole_unique(i)]
    if conn.dialect.name == "sqlite":  # SQLAlchemy misses a column's own UNIQUE there (an automatic index)
        out += [(None, cols) for cols in _sqlite_unique(conn, name)]
    return out


def _duckdb_unique_indexes(conn: sa.Connection, name: str, schema_name: str | None) -> list[tuple[str, list]]:
    """(name, columns) of each unique index of a DuckDB table (CREATE UNIQUE INDEX: in no
    information_schema view); a column None where the index is on an expression (`lower(email)`)."""
    rows = conn.execute(
        sa.text(
            "SELECT index_name, expressions FROM duckdb_indexes() WHERE is_unique "
            "AND schema_name = :s AND table_name = :t ORDER BY index_name"
        ),
        {"s": schema_name or sa.inspect(conn).default_schema_name, "t": name},
    ).all()
    return [(index, [_duckdb_index_column(e) for e in _DUCKDB_EXPRESSION.findall(text[1:-1])]) for index, text in rows]


# one item of duckdb_indexes().expressions, '[email, \'"First Name"\', \'(lower(email))\']': a name, bare
# or double-quoted inside single quotes, or an expression in parentheses
_DUCKDB_EXPRESSION = re.compile(r"'(?:[^']|'')*'|[^,\s][^,]*")


def _duckdb_index_column(item: str) -> str | None:
    """The column an item of a DuckDB index's expressions names, None for an expression."""
    item = item.strip()
    if item.startswith("'") and item.endswith("'"):
        item = item[1:-1].replace("''", "'")
    if re.fullmatch(r'"(?:[^"]|"")*"', item):
        return item[1:-1].replace('""', '"')
    return item if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", item) else None


def _whole_unique(index: Mapping[str, Any]) -> bool:
    """Whether a reflected index is unique over all the table's rows: a partial one (`WHERE ...`)
    lets the rows outside it repeat."""
    return bool(index.get("unique")) and not any(k.endswith("_where") for k in index.get("dialect_options", {}))


def _sqlite_unique(conn: sa.Connection, name: str) -> list[list[str]]:
    """The columns of each UNIQUE constraint of an SQLite table, from its automatic indexes."""
    quote = conn.dialect.identifier_preparer.quote
    out = []
    for _, index, unique, origin, *_ in conn.exec_driver_sql(f"PRAGMA index_list({quote(name)})").all():
        if unique and origin == "u":
            out.append([row[2] for row in conn.exec_driver_sql(f"PRAGMA index_info({quote(index)})").all()])
    return out


def _other_schema(ref_schema: str | None, read: str | None) -> str | None:
    """A referenced table's schema when it is not the one read, else None."""
    return None if ref_schema == read else ref_schema


_INFO_TYPES: dict[str, Any] = {
    **dict.fromkeys(["INTEGER", "INT", "INT4", "SIGNED", "UINTEGER"], lambda n, p, s: sa.Integer()),
    **dict.fromkeys(["BIGINT", "INT8", "LONG"], lambda n, p, s: sa.BigInteger()),
    **dict.fromkeys(
        ["SMALLINT", "INT2", "SHORT", "TINYINT", "INT1", "UTINYINT", "USMALLINT"], lambda n, p, s: sa.SmallInteger()
    ),
    **dict.fromkeys(["DOUBLE", "FLOAT8", "DOUBLE PRECISION"], lambda n, p, s: sa.Double()),
    **dict.fromkeys(["FLOAT", "FLOAT4", "REAL"], lambda n, p, s: sa.REAL()),
    **dict.fromkeys(["DECIMAL", "NUMERIC"], lambda n, p, s: sa.Numeric(p, s)),
    **dict.fromkeys(["BOOLEAN", "BOOL", "LOGICAL"], lambda n, p, s: sa.Boolean()),
    "DATE": lambda n, p, s: sa.Date(),
    "YEAR": lambda n, p, s: sa.SmallInteger(),  # MySQL's YEAR(4), in a dump moved into SQLite: whole years
    **dict.fromkeys(["TIME", "TIME WITHOUT TIME ZONE"], lambda n, p, s: sa.Time()),
    **dict.fromkeys(["TIMESTAMP", "DATETIME", "TIMESTAMP WITHOUT TIME ZONE"], lambda n, p, s: sa.DateTime()),
    **dict.fromkeys(["TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"], lambda n, p, s: sa.DateTime(timezone=True)),
    **dict.fromkeys(["VARCHAR", "CHARACTER VARYING", "STRING", "BPCHAR", "CHAR"], lambda n, p, s: sa.String(n)),
    "TEXT": lambda n, p, s: sa.Text(),
    "UUID": lambda n, p, s: sa.Uuid(),
    "INTERVAL": lambda n, p, s: sa.Interval(),
}


# Names SQLite's affinity reads as NUMERIC, in a MySQL dump moved into SQLite: ENUM and SET, their
# labels left out, are text (whose values decide); BINARY and VARBINARY bytes, which have no kind (said so)
_SQLITE_MYSQL_TYPES: dict[str, Any] = {
    **dict.fromkeys(["ENUM", "SET"], lambda n, p, s: sa.String(n)),
    **dict.fromkeys(["BINARY", "VARBINARY"], lambda n, p, s: sa.LargeBinary()),
}


def _reflect_information_schema(conn: sa.Connection, name: str, schema: str) -> _Reflected:
    """The same description from the SQL standard's information_schema views."""
    where = {"s": schema, "t": name}
    cols = conn.execute(
        sa.text(
            "SELECT column_name, data_type, is_nullable, character_maximum_length, numeric_precision, numeric_scale, "
            "column_default FROM information_schema.columns WHERE table_schema = :s AND table_name = :t ORDER BY ordinal_position"
        ),
        where,
    ).all()
    types = {}
    for col, data_type, _, length, precision, scale, _ in cols:
        make = _INFO_TYPES.get(str(data_type).split("(")[0].strip().upper())
        types[col] = make(length, precision, scale) if make else UnknownType(str(data_type))
    keys = conn.execute(
        sa.text(
            "SELECT tc.constraint_type, tc.constraint_name, k.column_name, rc.unique_constraint_schema, "
            "rc.unique_constraint_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage k ON k.constraint_schema = tc.constraint_schema "
            "AND k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name "
            "LEFT JOIN information_schema.referential_constraints rc ON rc.constraint_schema = tc.constraint_schema "
            "AND rc.constraint_name = tc.constraint_name "
            "WHERE tc.table_schema = :s AND tc.table_name = :t AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') "
            "ORDER BY tc.constraint_name, k.ordinal_position"
        ),
        where,
    ).all()
    pk = tuple(col for kind, _, col, _, _ in keys if kind == "PRIMARY KEY")
    fks = []
    for cname in dict.fromkeys(c for kind, c, *_ in keys if kind == "FOREIGN KEY"):
        rows = [r for r in keys if r[1] == cname]
        ref_schema, ref_name = rows[0][3], rows[0][4]
        ref = conn.execute(
            sa.text(
                "SELECT table_name, column_name FROM information_schema.key_column_usage "
                "WHERE constraint_schema = :s AND constraint_name = :n ORDER BY ordinal_position"
            ),
            {"s": ref_schema, "n": ref_name},
        ).all()
        ref_table = ref[0][0] if ref else ""
        other = _other_schema(ref_schema, schema)
        fks.append(_ForeignKey(tuple(r[2] for r in rows), ref_table, tuple(r[1] for r in ref), other))
    one = _unique_columns(conn, name, schema, pk)
    not_null = {c for c, _, nullable, *_ in cols if nullable == "NO"}
    differs = _differing_pairs(conn, name, schema, list(types))
    sets = _unique_column_sets(conn, name, schema, pk)
    domains = _domains(conn, name, schema, types)
    orders = column_orders(_check_texts(conn, name, schema), list(types))
    defaults = _declared_defaults(conn.dialect.name, [(c[0], c[-1]) for c in cols])
    return _Reflected(
        name,
        types,
        not_null,
        pk,
        fks,
        one,
        sets,
        schema=schema,
        differs=differs,
        domains=domains,
        orders=orders,
        defaults=defaults,
    )


# ---- from the catalog to a schema ---------------------------------------------------------------
Kinds = dict[str, dict[str, ColumnKind]]
Formats = Mapping[str, Mapping[str, Mapping[str, Any]]]  # table -> column -> format (RelationalData.formats)


def parse_overrides(spec: object) -> tuple[Kinds, tuple[str, ...] | None]:
    """(table -> {column: kind}, lookups or None) from the forms `from_sql` accepts for `overrides`."""
    if spec is None:
        return {}, None
    if isinstance(spec, Schema):
        return {t: dict(table.columns) for t, table in spec.tables.items()}, tuple(spec.lookups)
    where = ""
    if isinstance(spec, str | Path):
        spec, where = read_yaml(spec, "overrides YAML")
    if not isinstance(spec, Mapping):
        raise SchemaError(f"overrides{where} must map table -> {{column: kind}}, or be schema YAML; got {spec!r}")
    lookups = None
    if isinstance(spec.get("tables"), Mapping) and set(spec) <= {"tables", "lookups"}:  # the schema YAML shape
        lookups = tuple(spec["lookups"]) if spec.get("lookups") is not None else None
        spec = {t: (ts or {}).get("columns", {}) if isinstance(ts, Mapping) else ts for t, ts in spec["tables"].items()}
    kinds: Kinds = {}
    for table, cols in spec.items():
        if not isinstance(cols, Mapping):
            raise SchemaError(f"overrides{where}: table {table!r} must map column -> kind, got {cols!r}")
        kinds[str(table)] = {}
        for col, kind in cols.items():
            try:
                kinds[str(table)][str(col)] = as_kind(kind)
            except ValueError as exc:
                raise SchemaError(f"overrides{where}: {table}.{col}: {exc}") from None
    return kinds, lookups


def parse_exclude(spec: object) -> dict[str, list[str]]:
    """table -> columns to leave out, from `exclude` (a mapping of table to a column or a list of them)."""
    if spec is None:
        return {}
    if not isinstance(spec, Mapping):
        raise SchemaError(
            f"exclude must map table -> [columns to leave out], e.g. {{'patient': ['photo']}}; got {spec!r}"
        )
    return {str(t): [cols] if isinstance(cols, str) else [str(c) for c in cols] for t, cols in spec.items()}


def _leave_out(reflected: dict[str, _Reflected], exclude: Mapping[str, list[str]]) -> dict[str, _Reflected]:
    """The tables without their `exclude`d columns (and the foreign keys made of them), as if the
    database had none: a column of a type relsynth cannot take (binary, JSON, arrays) need not
    cost its whole table. A primary key cannot be left out (other tables' keys name it)."""
    problems = []
    for t, cols in exclude.items():
        if t not in reflected:
            problems.append(f"exclude names table {t!r}, which is not read: the tables read are {list(reflected)}")
        elif unknown := [c for c in cols if c not in reflected[t].types]:
            problems.append(f"exclude names column(s) {unknown} of {t!r}, which has {list(reflected[t].types)}")
        elif keys := [c for c in cols if c in reflected[t].pk]:
            problems.append(f"exclude names {t!r}'s primary key {keys}: a key cannot be left out, leave the table out")
    if problems:
        raise SchemaError("; ".join(problems))
    out = dict(reflected)
    for t, cols in exclude.items():
        r = reflected[t]
        out[t] = _Reflected(
            name=r.name,
            types={c: typ for c, typ in r.types.items() if c not in cols},
            not_null=r.not_null - set(cols),
            pk=r.pk,
            fks=[fk for fk in r.fks if not set(fk.columns) & set(cols)],
            unique=r.unique - set(cols),
            unique_sets=[u for u in r.unique_sets if not set(u) & set(cols)],
            made={c: m for c, m in r.made.items() if c not in cols},
            defaults={c: d for c, d in r.defaults.items() if c not in cols},
            comments={c: d for c, d in r.comments.items() if c not in cols},
            schema=r.schema,
            differs=[(a, b) for a, b in r.differs if a not in cols and b not in cols],
            domains={c: d for c, d in r.domains.items() if c not in cols},
            orders=[o for o in r.orders if o[0] not in cols and o[1] not in cols],
        )
    return out


@dataclass
class _Plan:
    """What reflection and the overrides decided, before the values are read."""

    kinds: dict[str, dict[str, ColumnKind | None]]  # None: a string column, categorical or text by its values
    why: dict[str, dict[str, str]]
    specs: dict[str, dict[str, dict]]  # table -> column -> SQL type spec (and nullable: False)
    lookups: list[str]
    row_keys: list[RowKey] = field(default_factory=list)  # keys added to nest tables under composite-key rows
    detected: list[str] = field(default_factory=list)  # lookups chosen here, not named by the caller


@dataclass(frozen=True)
class RowKey:
    """A table nesting under the rows of a composite primary key (deliveries (order_id, line_no)
    under order_lines (order_id, line_no)): relsynth's one-column keys cannot name such a row, so
    the parent gets a key numbering its rows (`parent_column`, named after its key's columns) and
    the child a key to it (`child_column`), both added when read and left out by `to_sql`, which
    writes the child's columns copied from the row it nests under (`copy_row_keys`)."""

    child: str
    columns: tuple[str, ...]  # the child's columns of the composite foreign key
    parent: str
    ref_columns: tuple[str, ...]  # the parent's columns they name, in the same order
    pk: tuple[str, ...]  # the parent's primary key, in its order

    @property
    def child_column(self) -> str:
        return f"({', '.join(self.columns)})"

    @property
    def parent_column(self) -> str:
        return f"({', '.join(self.pk)})"


def _primary_key(t: str, given: Mapping[str, ColumnKind], reflected: Mapping[str, _Reflected]) -> str | None:
    r = reflected[t]
    over = [c for c, k in given.items() if k.kind is Column.PRIMARY_KEY]
    if over:
        return over[0]
    kept = [c for c in r.pk if c not in given]
    return kept[0] if len(r.pk) == 1 and kept and not one_to_one(t, reflected) else None


def one_to_one(t: str, reflected: Mapping[str, _Reflected]) -> bool:
    """Whether the table's primary key is one column that is also its key to another table read,
    and no table read names its rows (film_category's film_id, a film's one category row): it is
    read without a primary key, as a link table is, the column a foreign key nesting it under the
    table it names, and generation gives a parent row no more rows than one (the key kept unique)."""
    r = reflected[t]
    if len(r.pk) != 1:
        return False
    parents = [fk.table for fk in r.fks if fk.columns == r.pk and fk.ref_schema is None]
    return (
        len(parents) == 1
        and parents[0] != t
        and parents[0] in reflected
        and not any(fk.table == t and fk.ref_schema is None for o in reflected.values() for fk in o.fks)
    )


LEAVE_OUT = "leave the table out (tables=[...] without it)"


def _plan(
    reflected: Mapping[str, _Reflected],
    given: Kinds,
    lookups: Sequence[str] | None,
    schemas: Sequence[str | None],
    rows: Mapping[str, int],
    row_keys: bool = True,
    series: SeriesDate | None = None,
    nulls: NullKey | None = None,
) -> _Plan:
    """Every column's kind (or None for strings) and the lookups; one `SchemaError` lists every problem.
    `row_keys`: whether a table may nest under a composite key's rows (`RowKey`); `series`: by which
    date a table's rows are a time series under a key, `nulls`: which keys hold nulls (`nesting_keys`)."""
    given, named = _row_keys_given(reflected, given)
    problems = _override_problems(reflected, given)
    pks = {t: _primary_key(t, given.get(t, {}), reflected) for t in reflected}
    own = {t: _foreign_keys(t, r, given.get(t, {}), reflected, pks, schemas, problems) for t, r in reflected.items()}
    keys = _row_key_candidates(reflected, given, pks, named) if row_keys else []
    while True:  # again without the row keys nesting did not choose: their columns then imply keys
        found = list(problems)
        fks, implied, chosen, why_lookup, nests, passed_over = _nesting(
            reflected, given, own, keys, lookups, rows, found, series, nulls
        )
        nesting = [k for k in keys if nests.get(k.child) == k.child_column]
        if nesting == keys:
            break
        keys = nesting
    problems[:] = found
    kinds, why, specs = {}, {}, {}
    for t, r in reflected.items():
        own_fks = {c: p for c, p in fks[t].items() if c in r.types}
        kinds[t], why[t], specs[t] = _column_kinds(
            t, r, given.get(t, {}), pks, own_fks, implied[t], chosen, nests.get(t), passed_over, problems
        )
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise SchemaError(f"{len(problems)} problem(s) reading the database's tables as a relsynth schema:\n{lines}")
    for t, r in reflected.items():
        _note_composite_references(t, r, reflected, given.get(t, {}), specs[t], why[t], keys)
        for a, b in r.differs:  # public like the schema: kept in generation, written back by to_sql
            specs[t].setdefault(a, {}).setdefault(DIFFERS_FROM, []).append(b)
        for c, domain in r.domains.items():  # public too: generated within, under DP too; written back
            specs[t].setdefault(c, {})[DOMAIN] = domain
        for low, high, strict in r.orders:  # CHECK (a < b): kept in generation, written back
            specs[t].setdefault(low, {}).setdefault(BELOW, []).append([high, strict])
    for t, reason in why_lookup.items():
        why[t] = {c: f"{w}; the table is a lookup: {reason}" for c, w in why[t].items()}
    for k in keys:
        for c in k.columns:
            if c not in given.get(k.child, {}) and kinds[k.child][c] is None:  # a label, as the parent's key parts
                kinds[k.child][c], why[k.child][c] = as_kind(Column.CATEGORICAL), f"{why[k.child][c]}: a label"
        why[k.parent][k.parent_column] = (
            f"numbers the rows of the composite primary key {k.parent_column}, which {k.child} nests under: added "
            "when read, not written back"
        )
        why[k.child][k.child_column] = (
            f"the row of {k.parent} that {k.child}'s composite key {k.child_column} names (added when read, not "
            f"written back): {k.child} nests under it"
        )
        specs[k.parent][k.parent_column] = specs[k.child][k.child_column] = {ROW_KEY: True}
    if len(schemas) > 1:  # where to_sql writes it back (its name alone cannot say: a table may hold a dot)
        for t, r in reflected.items():
            specs[t] = {
                c: {**specs[t].get(c, {}), TABLE_SCHEMA: r.schema} for c in dict.fromkeys([*r.types, *specs[t]])
            }
    return _Plan(kinds=kinds, why=why, specs=specs, lookups=chosen, row_keys=keys, detected=list(why_lookup))


def _nesting(
    reflected: Mapping[str, _Reflected],
    given: Kinds,
    own: Mapping[str, Mapping[str, str]],
    keys: Sequence[RowKey],
    lookups: Sequence[str] | None,
    rows: Mapping[str, int],
    problems: list[str],
    series: SeriesDate | None = None,
    nulls: NullKey | None = None,
) -> tuple:
    """(keys, implied keys, lookups, why each lookup, nesting keys, why keys were passed over) with
    the row keys `keys`: each in its table's keys just before its first column, so that column
    order decides as for any key, and among keys of one first column (a tenant_id) their next
    columns' order, not the catalog's (PostgreSQL lists keys by name); their columns imply no keys
    (they are copied from the row)."""
    implied = _implied_keys(reflected, given, own, {(k.child, k.columns) for k in keys})
    fks = {}
    for t, r in reflected.items():
        fks[t] = {}
        position = {c: i for i, c in enumerate(r.types)}
        ordered = sorted((k for k in keys if k.child == t), key=lambda k: [position[c] for c in k.columns])
        for c in r.types:
            fks[t].update({k.child_column: k.parent for k in ordered if k.columns[0] == c})
            if c in own[t] or c in implied[t]:
                fks[t][c] = own[t].get(c) or implied[t][c][0]
    chosen, why_lookup = _lookups(fks, lookups, list(reflected), problems, rows)
    unnested = {t: {c for c, k in given.get(t, {}).items() if isinstance(k, ForeignKey) and not k.nest} for t in fks}
    passed_over: dict[tuple[str, str], str] = {}
    nests = nesting_keys(
        {t: {c: r for c, r in cols.items() if c not in unnested[t]} for t, cols in fks.items()},
        rows,
        set(chosen),
        passed_over,
        series,
        nulls,
    )
    return fks, implied, chosen, why_lookup, nests, passed_over


def _row_key_candidates(
    reflected: Mapping[str, _Reflected],
    given: Kinds,
    pks: Mapping[str, str | None],
    named: Mapping[str, Mapping[str, ColumnKind]] | None = None,
) -> list[RowKey]:
    """The composite references a table might nest by (`RowKey`): to the whole primary key of
    another table read without one, every column NOT NULL (a NULL exempts a row from the key: it
    names no row to nest under) and none given in overrides, unless they name its row key too
    (`named`: a schema written from one read so), and then not as a key that does not nest."""
    out = []
    for t, r in reflected.items():
        for fk in r.fks:
            if fk.table == t or not composite_reference(fk, reflected) or not set(fk.columns) <= r.not_null:
                continue
            key = RowKey(t, tuple(fk.columns), fk.table, tuple(fk.ref_columns), tuple(reflected[fk.table].pk))
            said = (named or {}).get(t, {}).get(key.child_column)
            if said is None and any(c in given.get(t, {}) for c in fk.columns):
                continue
            if pks[fk.table] is not None or (isinstance(said, ForeignKey) and not said.nest):
                continue
            if key.child_column not in r.types and key.parent_column not in reflected[fk.table].types:
                out.append(key)
    return out


def _row_keys_given(reflected: Mapping[str, _Reflected], given: Kinds) -> tuple[Kinds, dict[str, dict]]:
    """`given` without the row keys it names (`RowKey`: a schema written from data `from_sql` read,
    `data.schema.to_yaml`, names the keys it added), and those, table -> column -> kind: else they
    were columns the database does not have, and the columns they stand for, given, nested nothing."""
    names: dict[str, set[str]] = {t: set() for t in reflected}
    for t, r in reflected.items():
        for fk in r.fks:
            if fk.table != t and composite_reference(fk, reflected):
                names[t].add(f"({', '.join(fk.columns)})")
                names[fk.table].add(f"({', '.join(reflected[fk.table].pk)})")
    rest: dict[str, dict] = {}
    named: dict[str, dict] = {}
    for t, cols in given.items():
        for c, kind in cols.items():
            row_key = t in reflected and c in names[t] and c not in reflected[t].types
            (named if row_key else rest).setdefault(t, {})[c] = kind
    return rest, named


def _implied_keys(
    reflected: Mapping[str, _Reflected],
    given: Kinds,
    fks: Mapping[str, Mapping[str, str]],
    row_keys: set[tuple[str, tuple[str, ...]]] = frozenset(),
) -> dict[str, dict[str, tuple[str, str]]]:
    """Per table, the keys its composite references imply for their columns that have none of their
    own (column -> (referenced table, why)): deliveries' (order_id, line_no) to order_lines, whose
    order_id is a key to orders, makes deliveries.order_id one too (a delivery's order is its
    line's). Read without it, deliveries were entities of their own, unrelated to any order: half
    of the generated ones were dated before their order, some under cancelled orders. Not a column
    a row key copies (a comment's tenant_id, its task's): the row's, no key of its own."""
    out: dict[str, dict[str, tuple[str, str]]] = {t: {} for t in reflected}
    copied = {(t, c) for t, cols in row_keys for c in cols}
    found = True
    while found:  # again with the keys just implied: parcels -> deliveries, whose order_id is implied
        found = False
        for t, r in reflected.items():
            for fk in r.fks:
                if fk.table == t or not composite_reference(fk, reflected) or not set(fk.columns) <= r.not_null:
                    continue  # a NULL in one column exempts the row (MATCH SIMPLE): (999, NULL) names no order
                if (t, tuple(fk.columns)) in row_keys:
                    continue
                for col, ref_col in zip(fk.columns, fk.ref_columns, strict=True):
                    parent = fks[fk.table].get(ref_col) or out[fk.table].get(ref_col, (None,))[0]
                    if parent is None or parent == t or col in fks[t] or col in given.get(t, {}) or col in out[t]:
                        continue
                    if (t, col) in copied:
                        continue
                    why = (
                        f"a foreign key to {parent}.{{pk}}, implied by the catalog's key ({', '.join(fk.columns)}) "
                        f"to {fk.table}, whose {ref_col} is one (written back without a key of its own)"
                    )
                    out[t][col], found = (parent, why), True
    return out


def _note_composite_references(
    t: str,
    r: _Reflected,
    reflected: Mapping[str, _Reflected],
    own: Mapping[str, ColumnKind],
    specs: dict,
    why: dict,
    row_keys: Sequence[RowKey] = (),
) -> None:
    """Keep table `t`'s composite references in its first column's SQL format (`COMPOSITE_FK`), for
    generation and `to_sql`, and say so in the columns' reasons; one the table nests by names its
    row key (`RowKey`), whose row the columns are copied from."""
    for fk in r.fks:
        key = next((k for k in row_keys if k.child == t and k.columns == tuple(fk.columns)), None)
        # columns given in overrides read the key as plain columns, unless the table nests by its row key
        # (a schema written from one read so names it): its columns are then copied from the row
        if (key is None and all(c in own for c in fk.columns)) or not composite_reference(fk, reflected):
            continue  # one to its own table (a sub-task's parent) too: its pair is one of the table's rows
        spec = specs.setdefault(fk.columns[0], {})
        ref = {"columns": list(fk.columns), "table": fk.table, "ref_columns": list(fk.ref_columns)}
        spec.setdefault(COMPOSITE_FK, []).append(ref if key is None else {**ref, ROW_KEY: key.child_column})
        for c in fk.columns:
            why[c] += f"; with ({', '.join(fk.columns)}) a key to {fk.table} " + (
                "(each generated pair one of its rows')"
                if key is None
                else f"(copied from the {fk.table} row the table nests under by {key.child_column})"
            )


def _override_problems(reflected: Mapping[str, _Reflected], given: Kinds) -> list[str]:
    problems = []
    for t in given:
        if t not in reflected:
            problems.append(f"overrides name table {t!r}, which is not read: the tables read are {list(reflected)}")
        elif unknown := [c for c in given[t] if c not in reflected[t].types]:
            problems.append(f"overrides name column(s) {unknown} of {t!r}, which has {list(reflected[t].types)}")
    return problems


def keyed_table(r: _Reflected) -> bool:
    """Whether the table has a composite primary key: a link table (film_actor: film_id, actor_id),
    rows numbered under their parent (order_line: order_id, line_no; country_language:
    country_code, language) or a pair other tables reference as one (partsupp: partkey, suppkey).
    It is read without a primary key, a row being told apart by its key's columns (each read as
    its kind: a foreign key nests or references, a number or label is modelled), and generation
    keeps the key unique."""
    return len(r.pk) > 1


def composite_reference(fk: _ForeignKey, reflected: Mapping[str, _Reflected]) -> bool:
    """Whether `fk` is a key of several columns to the whole composite primary key of a table read
    (lineitem's (partkey, suppkey) to partsupp): its columns keep their own kinds, and generation
    makes every generated pair one of the referenced table's (`composite_references`)."""
    ref = reflected.get(fk.table)
    return (
        len(fk.columns) > 1
        and fk.ref_schema is None
        and ref is not None
        and keyed_table(ref)
        and sorted(fk.ref_columns) == sorted(ref.pk)
    )


def _resolve_keys(reflected: Mapping[str, _Reflected], schemas: Sequence[str | None]) -> dict[str, _Reflected]:
    """The tables with each foreign key naming the table it references as it is read (hr.employees
    when several schemas are read), its `ref_schema` left only where that schema is not read."""
    names = {(r.schema, r.name): n for n, r in reflected.items()}

    def resolved(r: _Reflected, fk: _ForeignKey) -> _ForeignKey:
        schema = r.schema if fk.ref_schema is None else fk.ref_schema
        if schema not in schemas:
            return fk
        return replace(fk, table=names.get((schema, fk.table), qualified(schema, fk.table, schemas)), ref_schema=None)

    return {n: replace(r, fks=[resolved(r, fk) for fk in r.fks]) for n, r in reflected.items()}


def _other_schema_way_out(fk: _ForeignKey, schemas: Sequence[str | None]) -> str:
    """How to read a key to a table of a schema not read: read that schema too."""
    return f"add its schema (schema_name={[*schemas, fk.ref_schema]!r}; tables are then named schema.table), "


def _foreign_keys(
    t: str,
    r: _Reflected,
    own: Mapping[str, ColumnKind],
    reflected: Mapping[str, _Reflected],
    pks: Mapping[str, str | None],
    schemas: Sequence[str | None],
    problems: list[str],
) -> dict[str, str]:
    """Table `t`'s foreign keys the model can take (column -> referenced table, overrides first);
    each one it cannot take is a problem naming the ways out."""
    fks = {c: k.parent for c, k in own.items() if isinstance(k, ForeignKey)}
    for fk in r.fks:
        if all(c in own for c in _unshared_columns(fk, r)) or composite_reference(fk, reflected):
            continue  # the overrides decide these columns; a composite reference keeps their own kinds
        col = _unshared_columns(fk, r)[0]
        what = f"{t}.{col}" if len(fk.columns) == 1 else f"{t}.({', '.join(fk.columns)})"
        plain = f"read the key as a plain column (overrides={{{t!r}: {{{col!r}: 'categorical'}}}})"
        if len(fk.columns) > 1:
            problem = f"{what} is a composite foreign key to {fk.table}, " + (
                "not to its whole primary key" + (", or to a table not read" if fk.table != t else "")
            )
        elif fk.ref_schema is not None:  # a schema not read: tables= cannot name this table
            read = schemas[0] if len(schemas) == 1 else list(schemas)
            problem = (
                f"{what} references {fk.ref_schema}.{fk.table}, in another schema than the one(s) read "
                f"(schema_name={read!r}), so it cannot be read with it"
            )
        elif fk.table not in reflected:
            problem = f"{what} references {fk.table!r}, which is not read"
        elif fk.ref_columns != (pks[fk.table],):
            ref = ", ".join(fk.ref_columns)
            problem = f"{what} references {fk.table}.{ref}, not its primary key ({pks[fk.table]})"
        elif col == pks[t]:
            problem = f"{what} is both the primary key and a foreign key to {fk.table} (one-to-one)"
        else:
            fks[col] = fk.table
            continue
        add = "add it to tables=, " if fk.ref_schema is None and fk.table not in reflected else ""
        add = _other_schema_way_out(fk, schemas) if fk.ref_schema is not None and len(fk.columns) == 1 else add
        problems.append(f"{problem}: {add}{LEAVE_OUT}, or {plain}")
    return {c: fks[c] for c in r.types if c in fks}  # column order, not the catalog's: the first key nests


def _unshared_columns(fk: _ForeignKey, r: _Reflected) -> tuple[str, ...]:
    """The columns of `fk` that no other key of the table shares (a sub-task's parent_id of
    (tenant_id, parent_id), not the tenant_id its other keys hold), or all of them where each is
    shared: those that, given in overrides, read the key as plain columns and leave the others'."""
    shared = {c for other in r.fks if other is not fk for c in other.columns}
    return tuple(c for c in fk.columns if c not in shared) or tuple(fk.columns)


def _column_kinds(
    t: str,
    r: _Reflected,
    own: Mapping[str, ColumnKind],
    pks: Mapping[str, str | None],
    fks: Mapping[str, str],
    implied: Mapping[str, tuple[str, str]],
    lookups: list[str],
    nest: str | None,
    passed_over: Mapping[tuple[str, str], str],
    problems: list[str],
) -> tuple[dict[str, ColumnKind | None], dict[str, str], dict[str, dict]]:
    """(kinds, why, SQL type specs) of table `t`'s columns: overrides, then keys, then SQL types."""
    kinds: dict[str, ColumnKind | None] = {}
    why: dict[str, str] = {}
    specs: dict[str, dict] = {}
    for col, typ in r.types.items():
        spec = type_spec(typ)
        if spec is not None and spec["type"] == "interval" and col in own and own[col].kind is not Column.NUMERIC:
            spec = None  # not held as seconds (labels, given in overrides): only its NOT NULL is kept
        if spec is not None:  # a primary key is NOT NULL anyway (SQLite's catalog does not say so)
            spec = {**spec, **r.made.get(col, {}), **({SQLITE_TYPE: r.declared[col]} if col in r.declared else {})}
            specs[col] = spec if col not in r.not_null or col in r.pk else {**spec, "nullable": False}
            if pks[t] is None and col in r.pk:  # a link table's key, read without it: written back with it
                specs[col] = {**spec, "nullable": False, "primary_key": True}
        elif col in own and isinstance(typ, sa.JSON):  # JSON documents read as text: written back as JSON
            specs[col] = {"type": "json", "binary": isinstance(typ, postgresql.JSONB)}
            specs[col] |= {"nullable": False} if col in r.not_null else {}
        elif (col in own or _is_address(typ)) and (native := _postgres_type_name(typ)):  # inet, tsvector ... as text
            specs[col] = {"type": "native", "name": native} | ({"nullable": False} if col in r.not_null else {})
        elif col in own and (array := _array_type_name(typ)):  # arrays read as JSON text: written back as arrays
            specs[col] = {"type": "array", "name": array} | ({"nullable": False} if col in r.not_null else {})
        elif col in own and col in r.not_null:  # no type to keep (an interval read as labels), but its NOT NULL
            specs[col] = {"nullable": False}
        if col in specs and col in r.defaults:  # written back where the target holds it (`sql_defaults`)
            specs[col] = {**specs[col], DEFAULT: r.defaults[col]}
        if col in specs and col in r.comments:  # written back where the target holds comments
            specs[col] = {**specs[col], COMMENT: r.comments[col]}
        if col in own:
            kinds[col], why[col] = own[col], "given in overrides"
        elif col == pks[t]:
            kinds[col], why[col] = PrimaryKey(), "the primary key in the catalog"
        elif col in fks:
            catalog = f"a foreign key to {fks[col]}.{pks[fks[col]]} in the catalog"
            if col in implied:  # not written back as a key: the source's DDL has none
                catalog = implied[col][1].format(pk=pks[fks[col]])
                specs[col] = {**specs.get(col, {}), IMPLIED_KEY: True}
            kinds[col], why[col] = key_kind(col, fks[col], nest, lookups, catalog, passed_over.get((t, col), ""))
            if actions := next((fk.actions for fk in r.fks if fk.columns == (col,) and col not in implied), ()):
                specs[col] = {**specs.get(col, {}), ON_PARENT: dict(actions)}  # written back with the key
            if fks[col] in lookups:
                why[col] += f" ({fks[col]} is a lookup)"
            if col in r.pk and (len(r.pk) > 1 or pks[t] is None):
                why[col] += _key_part(r, fks)
        elif spec is not None and spec["type"] == "uuid":  # a random code naming its row: generated fresh
            kinds[col], why[col] = as_kind(Column.IDENTIFIER), "SQL type uuid: an identifier"
        elif _is_address(typ):  # labels; where none repeats, fresh addresses in the values' shapes
            kinds[col], why[col] = as_kind(Column.CATEGORICAL), f"SQL type {_postgres_type_name(typ)}: labels"
        elif spec is None:
            problems.append(
                f"{t}.{col} has SQL type {typ!r}, which relsynth has no kind for: leave the column out "
                f"(exclude={{{t!r}: [{col!r}]}}), or give its kind in overrides (the values are then read as the "
                "driver returns them)"
            )
        else:
            kind = _kind_of_type(typ, spec)
            kinds[col], why[col] = (None if kind is None else as_kind(kind)), f"SQL type {_type_name(typ, spec)}"
            if pks[t] is None and col in r.pk:
                why[col] += _key_part(r, fks)
                if kind is None:  # an identifier, never free text (a text model would leave the key empty)
                    kinds[col] = as_kind(Column.CATEGORICAL)
                    why[col] += ": a label"
    return kinds, why, specs


def _key_part(r: _Reflected, fks: Mapping[str, str]) -> str:
    if len(r.pk) == 1:  # `one_to_one`
        return f"; also the primary key ({r.pk[0]}): one row at most a {fks.get(r.pk[0])} row, read without one"
    link = " of a link table" if set(r.pk) <= set(fks) else ""
    return f"; part of the composite primary key ({', '.join(r.pk)}){link}, read without one"


def _lookups(
    fks: Mapping[str, Mapping[str, str]],
    given: Sequence[str] | None,
    names: list[str],
    problems: list[str],
    rows: Mapping[str, int],
) -> tuple[list[str], dict[str, str]]:
    """The lookup tables, given or detected, and why each was detected.

    Detected: a table without foreign keys of its own that is referenced from a table which nests
    under another table that cannot be a lookup (it has foreign keys): genre and media_type, whose
    referencing track nests under album. When a table's references are all such candidates (sale ->
    shop, sale -> kind) nothing is guessed: a lookup is copied as it is, so choosing the wrong one
    (customers rather than countries) would copy private records. That case is reported with its
    options, to name the lookups. Nor is a table that some table would nest under (`_would_nest`):
    patients, first key of their admissions, which also reference doctors; nor one of at least
    `MIN_ROOT_ROWS` rows, enough to be learnt as entities of its own: a fact table's 2,224 customers,
    referenced beside its product (a table with keys), would otherwise be copied as they are."""
    if given is not None:
        unknown = [t for t in given if t not in names]
        if unknown:
            problems.append(f"lookups names table(s) {unknown} that are not read; the tables read are {names}")
        return [t for t in given if t in names], {}
    refs = {t: {ref for ref in cols.values() if ref != t} for t, cols in fks.items()}
    referenced = set().union(*refs.values()) if refs else set()
    candidates = {t for t in names if not refs.get(t) and t in referenced}
    entities = {t for child in names if (t := _would_nest(fks[child], candidates, rows, rows.get(child, 0)))}
    why: dict[str, str] = {}
    passed: dict[str, str] = {}  # candidate too large to be taken for codes -> a table referencing it
    for child in names:
        if not refs[child] - candidates:
            continue
        # the parent named: child's first key (column order) to a table that is not a lookup
        parent = next(r for r in fks[child].values() if r != child and (r not in candidates or r in entities))
        for ref in sorted(refs[child] & candidates - entities):
            if rows.get(ref, 0) < MIN_ROOT_ROWS:
                why.setdefault(ref, f"it has no foreign keys and {child} nests under {parent}: copied as it is")
            else:
                passed.setdefault(ref, child)
    if passed:  # safe side: synthesised; a calendar or a store list may still be named a lookup
        listed = ", ".join(f"{t} ({rows.get(t, 0)} rows, referenced by {c})" for t, c in sorted(passed.items()))
        log.warning(
            f"from_sql: {listed} not detected as lookups, though referenced as code tables are: with at least "
            f"{MIN_ROOT_ROWS} rows they may be people or other private records, which a lookup would copy as they "
            "are; synthesised instead. Name them in lookups=[...] if they hold codes"
        )
    return [t for t in names if t in why], why


def _would_nest(keys: Mapping[str, str], candidates: set[str], rows: Mapping[str, int], child_rows: int) -> str | None:
    """The lookup candidate that nesting would choose as the parent of a table with these keys (in
    column order): a candidate before every other key, with enough rows to learn from
    (`large_enough`, as `nesting_keys` asks). Such a table is an entity (patients under which admissions nest), not a
    code table: copied as a lookup it would hand its real rows out."""
    for ref in keys.values():
        if ref not in candidates:
            return None
        if large_enough(rows.get(ref, 0), child_rows):
            return ref
    return None


# ---- reading ---------------------------------------------------------------------------------------
def _held(values: Sequence, kind: Column | None) -> pd.Series:
    """One chunk of a column as the driver returned it, in the dtype its kind is held in where the
    values allow it exactly (integers never pass through float64); anything else stays as objects
    for `RelationalData` to coerce or to report."""
    s = pd.Series(list(values), dtype=object)
    present = [v for v in values if v is not None]
    if kind in (Column.INTEGER, Column.PRIMARY_KEY, Column.FOREIGN_KEY):
        # none at all (an empty read, a chunk of nulls): Int64 too, or concatenated with the
        # other chunks they would make the column objects
        if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in present):
            return s.astype("Int64")
    elif kind is Column.NUMERIC and all(isinstance(v, int | float) or hasattr(v, "as_integer_ratio") for v in present):
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    elif kind is Column.NUMERIC and present and all(isinstance(v, dt.timedelta) for v in present):  # an interval
        return pd.Series([np.nan if v is None else _seconds(v) for v in values], dtype="float64")
    elif kind is Column.BOOLEAN and all(isinstance(v, bool | np.bool_) or v in (0, 1) for v in present):
        return s.astype("boolean")  # SQLite's booleans read raw (`_raw_columns`) are 0 and 1
    return s


def _sa_table(r: _Reflected, raw: Iterable[str] = ()) -> sa.TableClause:
    """The table to select from; the `raw` columns without their SQL type, so the driver's values
    reach `RelationalData` as they are stored (no SQLAlchemy result processor runs on them)."""
    raw = set(raw)
    columns = (sa.column(_quoted(c)) if c in raw else sa.column(_quoted(c), _selected(t)) for c, t in r.types.items())
    return sa.table(_quoted(r.name), *columns, schema=r.schema)


def _raw_columns(dialect: str, r: _Reflected, given: Mapping[str, ColumnKind]) -> list[str]:
    """Columns read without their SQL type: those given in overrides (their kind decides, not the
    type), SQLite's booleans, whose stored values may be text ('true', 'false', 'Y') that
    SQLAlchemy's processor would read as `bool(text)`, True for every one, and SQLite's dates and
    times, text in any pattern ('03/15/2021', '2021-03-15T10:00:00Z') that RelationalData reads in
    one pattern and to_sql writes back in it (SQLAlchemy's reads ISO only, and writes its own)."""
    own = (sa.Boolean, sa.Date, sa.DateTime, sa.Time)
    raw = [c for c, t in r.types.items() if dialect == "sqlite" and isinstance(t, own)]
    return [c for c in r.types if c in given or c in raw]


def _arrow_frame(batch: Any, names: list[str], held: Mapping[str, Column | None]) -> pd.DataFrame:
    """An Arrow record batch as `_held` would hold its rows: integers as Int64, exact numbers as
    float64, booleans as boolean, the rest as pandas converts them (dates as `datetime.date`)."""
    import pyarrow as pa

    columns = {}
    for c, arr in zip(names, batch.columns, strict=True):
        kind, typ = held[c], arr.type
        if kind in (Column.INTEGER, Column.PRIMARY_KEY, Column.FOREIGN_KEY) and pa.types.is_integer(typ):
            columns[c] = arr.to_pandas(types_mapper={typ: pd.Int64Dtype()}.get)
        elif kind is Column.NUMERIC and pa.types.is_decimal(typ):
            # through their digits: Arrow's cast scales the unscaled integer (60093 x 0.01 =
            # 600.9300000000001), not the float nearest the decimal, as every other driver reads it
            columns[c] = arr.cast(pa.string()).to_pandas().astype("float64")
        elif kind is Column.NUMERIC and pa.types.is_integer(typ):
            columns[c] = arr.cast(pa.float64()).to_pandas()
        elif kind is Column.NUMERIC and pa.types.is_interval(typ):  # months, days, nanoseconds
            columns[c] = pd.Series([np.nan if v is None else _seconds(v) for v in arr.to_pylist()], dtype="float64")
        elif kind is Column.BOOLEAN and pa.types.is_boolean(typ):
            columns[c] = arr.to_pandas(types_mapper={typ: pd.BooleanDtype()}.get)
        else:
            columns[c] = arr.to_pandas()
    return pd.DataFrame(columns, columns=names)


class StoredNaN(ValueError):
    """A number column holds NaN ('NaN' in PostgreSQL, a DOUBLE's NaN in DuckDB): a value, not a
    NULL, that float64 could only hold as a null (and `to_sql` would write back as NULL)."""

    def __init__(self, column: str, n: int):
        super().__init__(column, n)
        self.column, self.n = column, n


def _nan_count(values: Any) -> int:
    """How many of a chunk's values (the driver's Python objects, or an Arrow array) are NaN, not NULL."""
    if hasattr(values, "type"):  # Arrow: NaN and null are told apart by the validity bitmap
        import pyarrow as pa
        import pyarrow.compute as pc

        return int(pc.sum(pc.is_nan(values)).as_py() or 0) if pa.types.is_floating(values.type) else 0
    return sum(1 for v in values if isinstance(v, float | Decimal) and v != v)  # NaN, alone, is not itself


def _refuse_nan(names: list[str], columns: Iterable, held: Mapping[str, Column | None]) -> None:
    for c, values in zip(names, columns, strict=True):
        if held[c] is Column.NUMERIC and (n := _nan_count(values)):
            raise StoredNaN(c, n)


def fetch_frames(
    conn: sa.Connection, query: sa.Select, names: list[str], held: Mapping[str, Column | None], chunk_size: int
) -> Iterator[pd.DataFrame]:
    """The rows of `query`, `chunk_size` at a time: as Arrow record batches where the driver gives
    them (DuckDB: columnar, no Python object a value), else row by row through `_held`; `StoredNaN`
    where a numeric column holds NaN."""
    if ARROW_FETCH and conn.dialect.name in _ARROW_DIALECTS:
        # not streamed through SQLAlchemy: its buffered strategy fetches a first row on execute,
        # and DuckDB would then drop the rest of that row's vector from the record batches
        for batch in conn.execute(query).cursor.fetch_record_batch(chunk_size):
            _refuse_nan(names, batch.columns, held)
            yield _arrow_frame(batch, names, held)
        return
    result = conn.execution_options(stream_results=True, max_row_buffer=chunk_size).execute(query)
    for rows in result.partitions(chunk_size):
        columns = list(zip(*rows, strict=True))
        _refuse_nan(names, columns, held)
        yield pd.DataFrame({c: _held(values, held[c]) for c, values in zip(names, columns, strict=True)}, columns=names)


ARROW_FETCH = True  # tests switch it off to compare the two ways of reading
_ARROW_DIALECTS = {"duckdb"}  # drivers whose cursor gives Arrow record batches (fetch_record_batch)


def _read_table(
    conn: sa.Connection,
    table: sa.TableClause,
    kinds: Mapping[str, ColumnKind | None],
    pk: str | None,
    chunk_size: int,
    where: sa.ColumnElement[bool] | None = None,
    limit: int | None = None,
    bar: LogProgress | None = None,
    at_rows: Callable[[sa.ColumnElement[int]], sa.ColumnElement[bool]] | None = None,
    as_text: Iterable[str] = (),
    declared_key: Sequence[str] = (),
) -> pd.DataFrame:
    """`table`'s rows (those matching `where`, the first `limit`) in primary-key order, counted on `bar`.
    `at_rows`: a condition on a row's 0-based position in that order, which picks the rows instead
    of `where` (a table without a key: its rows have nothing else to be named by). A table without a
    key is read in the order of its `declared_key` (a composite primary key read without one), then
    of all its columns, the `as_text` ones (`_unordered`) as their text."""
    as_text = set(as_text)
    # a fixed order: the same database reads the same; a composite key's first, as the database keeps the
    # rows (a salary history by (emp_no, from_date): by its columns in table order, the rows of an employee
    # came by salary, and the model learnt the dates out of order)
    key = [c for c in declared_key if c in table.c]  # a key column left out (`exclude`) is not read
    columns = [*(table.c[c] for c in key), *(c for c in table.c if c.name not in key)]
    order = [table.c[pk]] if pk else [sa.cast(c, sa.Text) if c.name in as_text else c for c in columns]
    query = sa.select(table).order_by(*order)
    if at_rows is not None:
        query = _at_rows(table, order, at_rows)
    if where is not None:
        query = query.where(where)
    if limit is not None:
        query = query.limit(limit)
    names = list(kinds)
    held = {c: (None if kinds[c] is None else kinds[c].kind) for c in names}
    parts = []
    try:
        for part in fetch_frames(conn, query, names, held, chunk_size):
            parts.append(part)
            if bar is not None:
                bar.update(len(part))
    except StoredNaN as e:
        quoted = {n: '"' + n.replace('"', '""') + '"' for n in (table.schema or "", table.name, e.column)}
        where_ = f"{quoted[table.schema]}.{quoted[table.name]}" if table.schema else quoted[table.name]
        raise SchemaError(
            f"{table.name}.{e.column} holds NaN ({e.n} in the rows read first), a value that is neither a number "
            "nor NULL, which relsynth cannot hold apart from a null (it would come back as NULL); make them NULL "
            f"(UPDATE {where_} SET {quoted[e.column]} = NULL WHERE {quoted[e.column]} = 'NaN'), or leave the "
            f"column out (exclude={{{table.name!r}: [{e.column!r}]}})"
        ) from None
    except _UNREADABLE as e:  # a result processor met a value its SQL type cannot hold
        raise _unreadable(conn, table, where, e) from e
    if not parts:
        return pd.DataFrame({c: _held((), held[c]) for c in names}, columns=names)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    for c in names:
        if frame[c].dtype == "Int64" and not frame[c].isna().any():
            frame[c] = frame[c].astype("int64")  # as pandas reads whole integers: int64 unless there are nulls
    return frame


def _unordered(r: _Reflected) -> list[str]:
    """The columns of `r` a database may have no order for: PostgreSQL's json ("could not identify
    an ordering operator for type json": a keyless log holding one could not be read at all), and
    types SQLAlchemy does not know (point, xml). A keyless table is ordered by their text instead."""
    return [c for c, t in r.types.items() if isinstance(t, sa.JSON | sa.types.NullType)]


def _at_rows(
    table: sa.TableClause,
    order: list[sa.ColumnElement],
    at_rows: Callable[[sa.ColumnElement[int]], sa.ColumnElement[bool]],
) -> sa.Select:
    """`table`'s rows whose 0-based position in `order` meets `at_rows`, in that order (numbered by
    the database with ROW_NUMBER(), so that only those rows travel)."""
    position = (sa.func.row_number().over(order_by=order) - 1).label("relsynth_row_position")
    numbered = sa.select(*table.c, position).subquery()
    kept = numbered.c.relsynth_row_position
    return sa.select(*(numbered.c[c.name] for c in table.c)).where(at_rows(kept)).order_by(kept)


# a value a driver's converter cannot hold: SQLite's text in a NUMERIC column, PostgreSQL's date
# 'infinity' (psycopg: "date too large (after year 10K)", raised by the driver, the server's transaction intact)
_UNREADABLE = (TypeError, ValueError, ArithmeticError, sa.exc.DataError)


def _unreadable(
    conn: sa.Connection, table: sa.TableClause, where: sa.ColumnElement[bool] | None, error: Exception
) -> SchemaError:
    """A `SchemaError` naming every column whose stored values its SQL type's converter refused
    (SQLite keeps whatever a column is given: text in a NUMERIC column), so that one run finds them all."""
    problems = []
    for col in table.c:
        query = sa.select(col) if where is None else sa.select(col).where(where)
        try:
            conn.execute(query).fetchall()
        except sa.exc.DataError as e:  # the driver's own converter, whatever the column's kind (psycopg's by type)
            problems.append(
                f"{table.name}.{col.name}: a stored value cannot be read by the driver ({e.orig}; PostgreSQL's "
                "'infinity' dates and timestamps fit no date or time in Python); leave the column out "
                f"(exclude={{{table.name!r}: [{col.name!r}]}}), or leave the table out (tables=[...] without it)"
            )
        except _UNREADABLE as e:
            problems.append(
                f"{table.name}.{col.name}: a stored value cannot be read as its SQL type {col.type} ({e}); give "
                f"the column's kind in overrides (overrides={{{table.name!r}: {{{col.name!r}: 'categorical'}}}}, or "
                "'text', 'datetime', ...: the values are then read as they are stored), or leave the table out "
                "(tables=[...] without it)"
            )
    if not problems:
        return SchemaError(f"table {table.name!r}: a stored value could not be read ({error})")
    if len(problems) == 1:
        return SchemaError(problems[0])
    lines = "".join(f"\n  - {p}" for p in problems)
    return SchemaError(
        f"{len(problems)} columns of table {table.name!r} hold values their SQL type cannot read:{lines}"
    )


@dataclass
class Read:
    """What `read_sql` read: the tables, their schema and each column's SQL type spec."""

    tables: dict[str, pd.DataFrame]
    schema: Schema
    sql_types: dict[str, dict[str, dict]]  # table -> column -> type_spec (and nullable: False)
    where: str  # the database, password hidden
    orphans: list[str] = field(default_factory=list)  # rows whose composite key names no row to nest under


@dataclass
class Catalog:
    """What reflection and the overrides say: the tables read, their catalog entries and the plan."""

    names: list[str]
    reflected: dict[str, _Reflected]
    plan: _Plan
    tables: dict[str, sa.TableClause]  # one object a table: conditions built on it refer to the same FROM

    def primary_key(self, name: str) -> str | None:
        kinds = self.plan.kinds[name]
        return next((c for c, k in kinds.items() if k is not None and k.kind is Column.PRIMARY_KEY), None)

    def read(self, conn: sa.Connection, name: str, chunk_size: int, **how: Any) -> pd.DataFrame:
        """Table `name`'s rows (`how`: `where=`, `limit=`, `bar=` as in `_read_table`), text columns as
        strings once `schema` has decided them (as `from_sql` holds them)."""
        kinds = self.plan.kinds[name]
        pk, reflected = self.primary_key(name), self.reflected[name]
        order = {"as_text": _unordered(reflected), "declared_key": reflected.pk}  # a keyless table's order
        frame = _read_table(conn, self.tables[name], kinds, pk, chunk_size, **order, **how)
        for c, kind in kinds.items():
            if kind is not None and kind.kind in _STRING_KINDS:
                _text_as_strings(frame, c)
        return frame

    def schema(
        self, frames: Mapping[str, pd.DataFrame], later: Mapping[tuple[str, str], pd.Series] | None = None
    ) -> Schema:
        """The schema, each string column categorical or text by its values in `frames` (text
        columns of `frames` are turned into strings, as `read_table` reads them), or in `later`
        where it has the column: (table, column) -> values read further on (`SQLSource`: a
        column null throughout the first rows read)."""
        later = later or {}
        plan, tables_out = self.plan, {}
        undecided = sum(k is None for n in self.names for k in plan.kinds[n].values())
        read_from_values: set[tuple[str, str]] = set()  # string columns whose kind their values chose
        with progress(undecided, "from_sql: string kinds", "columns") as bar:  # each reads every value
            for n in self.names:
                cols: dict[str, ColumnKind] = {}
                for c, kind in plan.kinds[n].items():
                    if kind is None and "in" in self.reflected[n].domains.get(c, {}):
                        # labels the source lists (CHECK (c IN (...)), an enum): free text would break the list
                        listed = listed_kind(self.reflected[n].domains[c]["in"])
                        kind = plan.kinds[n][c] = as_kind(listed)
                        plan.why[n][c] = f"{plan.why[n][c]}, its values listed by the source (a CHECK IN or an enum)"
                        plan.why[n][c] += ": a flag's two spellings, a boolean" if listed is Column.BOOLEAN else ""
                        bar.update(1)
                    elif kind is None:  # a string type: labels or free text, by the values
                        decided, reason = string_kind_and_reason(
                            later.get((n, c), frames[n][c]),
                            in_lookup=n in plan.lookups,
                            unique=c in self.reflected[n].unique,
                            not_null=c in self.reflected[n].not_null,
                        )
                        kind, plan.kinds[n][c] = as_kind(decided), as_kind(decided)
                        plan.why[n][c] = f"{plan.why[n][c]}, {reason}"
                        read_from_values.add((n, c))
                        bar.update(1)
                    if kind.kind in _STRING_KINDS:
                        _text_as_strings(frames[n], c)
                    cols[c] = kind
                unique = [u for u in self.reflected[n].unique_sets if set(u) <= set(cols)]  # none left out
                tables_out[n] = Table(columns=_with_row_key_kinds(n, cols, plan.row_keys), unique=unique)
        tables_out = _with_composite_keys(tables_out, self.reflected, plan.specs)
        schema = Schema(tables=tables_out, lookups=plan.lookups)
        schema = with_copied_texts(schema, frames, read_from_values, plan.why)
        for n, c in read_from_values:  # the plan reads further rows (`read`) as the schema says
            if (kind := schema.tables[n].columns[c]).kind is not plan.kinds[n][c].kind:
                plan.kinds[n][c] = kind
                _text_as_strings(frames[n], c)
        schema.inference = plan.why
        schema.detected_lookups = tuple(plan.detected)
        for n, table in schema.tables.items():
            for c, kind in table.columns.items():
                log.info("from_sql: %s.%s is %s: %s", n, c, kind.kind.value, plan.why[n][c])
        if small := small_referenced_roots(schema, {n: len(f) for n, f in frames.items()}):
            log.warning("from_sql: %s", small)
        return schema


def _with_composite_keys(
    tables: Mapping[str, Table], reflected: Mapping[str, _Reflected], specs: Mapping[str, Mapping[str, dict]]
) -> dict[str, Table]:
    """`tables` declaring the composite keys read (`Table.composite_key`, `composite_fks`): the
    primary keys read without a key column, and the composite references to them. The schema then
    says them, so that its YAML reads the tables' own frames again (`RelationalData` adds the row keys)."""
    keyed = {
        n: tuple(r.pk)
        for n, r in reflected.items()
        if len(r.pk) > 1
        and set(r.pk) <= set(tables[n].columns)
        and tables[n].cols_of(Column.PRIMARY_KEY) in ([], [row_key_name(r.pk)])
    }
    out = {}
    for n, table in tables.items():
        fks = [
            CompositeForeignKey(
                tuple(ref["columns"]),
                ref["table"],
                () if tuple(ref["ref_columns"]) == keyed[ref["table"]] else tuple(ref["ref_columns"]),
            )
            for spec in specs.get(n, {}).values()
            for ref in spec.get(COMPOSITE_FK, [])
            if ref["table"] in keyed and set(ref["columns"]) <= set(table.columns)
        ]
        out[n] = Table(columns=table.columns, unique=table.unique, composite_key=keyed.get(n, ()), composite_fks=fks)
    return out


def _with_row_key_kinds(name: str, cols: Mapping[str, ColumnKind], keys: Sequence[RowKey]) -> dict[str, ColumnKind]:
    """Table `name`'s columns with its row keys (`RowKey`): a parent's first, a child's just before
    the first column of its composite key."""
    out: dict[str, ColumnKind] = {k.parent_column: PrimaryKey() for k in keys if k.parent == name}
    for c, kind in cols.items():
        out.update({k.child_column: ForeignKey(parent=k.parent) for k in keys if k.child == name and k.columns[0] == c})
        out[c] = kind
    return out


def add_row_keys(
    frames: Mapping[str, pd.DataFrame], keys: Sequence[RowKey], problems: list[str] | None = None
) -> dict[str, pd.DataFrame]:
    """`frames` with the row keys (`RowKey`) in their tables: each parent row numbered from 1, each
    child row the number of the row its composite key names (null where none is: an orphan, which
    `problems`, when given, gets a line for, naming the key's values: its row key is only null)."""
    out = dict(frames)
    for k in keys:
        parent = out[k.parent]
        if k.parent_column not in parent:
            out[k.parent] = parent = parent.assign(**{k.parent_column: np.arange(1, len(parent) + 1, dtype=np.int64)})
        rows = pd.MultiIndex.from_frame(parent[list(k.ref_columns)]).get_indexer(
            pd.MultiIndex.from_frame(out[k.child][list(k.columns)])
        )
        numbers = pd.Series(rows + 1, index=out[k.child].index, dtype="Int64").mask(rows < 0)
        out[k.child] = out[k.child].assign(**{k.child_column: numbers})
        if problems is not None and (orphan := rows < 0).any():
            pairs = list(out[k.child][list(k.columns)][orphan].head(3).itertuples(index=False, name=None))
            problems.append(
                f"table {k.child!r}: {int(orphan.sum())} row(s) whose {k.child_column} names no row of {k.parent!r}, "
                f"e.g. {', '.join(map(str, pairs))} at row(s) {', '.join(map(str, np.flatnonzero(orphan)[:3]))} (the "
                "database does not enforce the key): fix them, or drop them with their descendants (orphans='drop')"
            )
    return out


_STRING_KINDS = (Column.TEXT, Column.IDENTIFIER)  # read as strings once decided (not labels)


def _text_as_strings(frame: pd.DataFrame, column: str) -> None:
    """A text column of `frame` as strings, in place (JSON, bytes as text, see `as_strings`)."""
    held, bad = as_strings(frame[column])
    if not bad.any():  # else kept as read: RelationalData reports what does not fit
        frame[column] = held


@_quiet_display_widths
def reflect(
    conn: sa.Connection,
    tables: Sequence[str] | None,
    *,
    schema_name: SchemaNames,
    lookups: Iterable[str] | None,
    overrides: object,
    exclude: object = None,
    row_keys: bool = True,
) -> Catalog:
    """The tables' catalog entries (without the `exclude`d columns) and how they become a relsynth
    schema; one `SchemaError` lists every key the model cannot take. With several schemas
    (`schema_name=[...]`) the tables are named `<schema>.<table>` (`qualified`), keys across them
    included. `row_keys`: whether a table may nest under a composite key's rows (`RowKey`)."""
    given, yaml_lookups = parse_overrides(overrides)
    lookups = ((lookups,) if isinstance(lookups, str) else tuple(lookups)) if lookups is not None else yaml_lookups
    located, schemas = _table_names(conn, tables, schema_name), read_schemas(schema_name)
    reflected = {n: _reflect(conn, t, s) for n, (s, t) in located.items()}
    reflected = _resolve_keys(_leave_out(reflected, parse_exclude(exclude)), schemas)
    named = [s or sa.inspect(conn).default_schema_name for s in schemas]  # as the ways out name them
    rows = {n: _row_count(conn, t, s) for n, (s, t) in located.items()}
    plan = _plan(
        reflected,
        given,
        lookups,
        named,
        rows,
        row_keys,
        partial(_series_date, conn, located, reflected, given),
        partial(_null_key, conn, located, reflected),
    )
    dialect = conn.dialect.name
    tables_sa = {n: _sa_table(r, _raw_columns(dialect, r, given.get(n, {}))) for n, r in reflected.items()}
    return Catalog(list(located), reflected, plan, tables_sa)


def _series_date(
    conn: sa.Connection,
    located: Mapping[str, tuple[str | None, str]],
    reflected: Mapping[str, _Reflected],
    given: Kinds,
    table: str,
    key: str,
) -> str | None:
    """The first date or datetime column of `table` (by its SQL type or its kind in overrides) that
    no value of `key` repeats (nulls aside): by which the rows are a time series under that key."""
    kinds = given.get(table, {})
    dates = [
        c
        for c, t in reflected[table].types.items()
        if c != key
        and (kinds[c].kind in (Column.DATE, Column.DATETIME) if c in kinds else isinstance(t, sa.Date | sa.DateTime))
    ]
    schema_name, name = located[table]
    for date in dates:
        k, d = sa.column(_quoted(key)), sa.column(_quoted(date))
        repeats = (
            sa.select(k)
            .select_from(sa.table(_quoted(name), k, d, schema=schema_name))
            .where(k.is_not(None), d.is_not(None))
            .group_by(k, d)
            .having(sa.func.count() > 1)
            .limit(1)
        )
        if conn.execute(repeats).first() is None:
            return date
    return None


def _null_key(
    conn: sa.Connection,
    located: Mapping[str, tuple[str | None, str]],
    reflected: Mapping[str, _Reflected],
    table: str,
    key: str,
) -> bool:
    """Whether some row of `table` holds a null `key` (asked of the data: a key the catalog leaves
    nullable is often never null, Chinook's track album; NOT NULL, or a composite key's, never is)."""
    if key in reflected[table].not_null or key not in reflected[table].types:
        return False
    schema_name, name = located[table]
    k = sa.column(_quoted(key))
    found = sa.select(k).select_from(sa.table(_quoted(name), k, schema=schema_name)).where(k.is_(None)).limit(1)
    return conn.execute(found).first() is not None


def _row_count(conn: sa.Connection, name: str, schema_name: str | None) -> int:
    """Rows of table `name` (which tables to nest under which: `nesting_keys`)."""
    return int(
        conn.execute(sa.select(sa.func.count()).select_from(sa.table(_quoted(name), schema=schema_name))).scalar_one()
    )


def check_chunk_size(chunk_size: object) -> None:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer (rows per fetch), got {chunk_size!r}")


def read_sql(
    con: Con,
    tables: Sequence[str] | None = None,
    *,
    schema_name: SchemaNames = None,
    lookups: Iterable[str] | None = None,
    overrides: object = None,
    exclude: object = None,
    chunk_size: int = CHUNK_SIZE,
) -> Read:
    """The tables, schema and SQL types behind `RelationalData.from_sql` (see there), not yet validated."""
    check_chunk_size(chunk_size)
    with open_engine(con) as engine, engine.connect() as conn:
        catalog = reflect(conn, tables, schema_name=schema_name, lookups=lookups, overrides=overrides, exclude=exclude)
        orphans: list[str] = []
        frames = {}
        with progress(None, "from_sql: read", "rows") as bar:  # a large database reads for minutes
            for n in catalog.names:
                bar.set_postfix(table=n, refresh=False)
                frames[n] = catalog.read(conn, n, chunk_size, bar=bar)
        frames = add_row_keys(frames, catalog.plan.row_keys, orphans)
        where = safe_url(engine)
    schema = catalog.schema(frames)
    frames = {n: frames[n][list(schema.tables[n].columns)] for n in frames}  # the row keys in their places
    return Read(tables=frames, schema=schema, sql_types=catalog.plan.specs, where=where, orphans=orphans)


# ---- writing ---------------------------------------------------------------------------------------
def _default_type(kind: Column, s: pd.Series, fmt: Mapping | None = None) -> sa.types.TypeEngine:
    """The SQL type of a column without a recorded one (data that never came from a database);
    `fmt`: its source format, whose zone a datetime keeps (`_zoned`)."""
    if kind is Column.DATETIME:
        return sa.DateTime(timezone=_zoned(fmt or {}))
    if kind is Column.BOOLEAN and (spelled := _spelled_flag(fmt or {})):
        return sa.String(spelled)
    if kind in (Column.PRIMARY_KEY, Column.FOREIGN_KEY):
        if pd.api.types.is_integer_dtype(s.dtype):
            return sa.BigInteger()
        return sa.String(max(int(s.dropna().astype(str).str.len().max() or 1), 1) if s.notna().any() else 1)
    if kind is Column.CATEGORICAL:
        if pd.api.types.is_bool_dtype(s.dtype):
            return sa.Boolean()
        if pd.api.types.is_integer_dtype(s.dtype):
            return sa.BigInteger()
        if pd.api.types.is_float_dtype(s.dtype):
            return sa.Double()
        return sa.Text()
    return {
        Column.INTEGER: sa.BigInteger,
        Column.NUMERIC: sa.Double,
        Column.BOOLEAN: sa.Boolean,
        Column.DATE: sa.Date,
        Column.DATETIME: sa.DateTime,
        Column.TIME: sa.Time,
        Column.TEXT: sa.Text,
        Column.IDENTIFIER: sa.Text,
    }[kind]()


def _spelled_flag(fmt: Mapping) -> int:
    """The length of a boolean's longer spelling where its source held it as text ('T'/'F', 'Y'/'N':
    written back as text in that spelling, by `_as_stored`, not as a BOOLEAN of 1 and 0, which a
    reader of the source's `is_official = 'T'` finds nothing in); 0 where it held booleans or numbers.
    An object column of Python's own booleans (with None for nulls) is spelled True/False, booleans
    (`_coerce._bool_spelling`; as their text 'True'/'False' in formats stored before): written as BOOLEAN."""
    spellings = [fmt.get("true"), fmt.get("false")]
    if not all(isinstance(v, str) for v in spellings) or spellings == ["True", "False"]:
        return 0
    return max(len(v) for v in spellings)


def _zoned(fmt: Mapping) -> bool:
    """Whether a datetime column held zoned values at the source (held as naive UTC): a zoned
    dtype (`datetime64[ns, Europe/Berlin]`) or text with UTC offsets. A TIMESTAMP without a zone
    would take the UTC values for local times (19:51+02:00 read back as 17:51)."""
    dtype, spelled = str(fmt.get("dtype", "")), str(fmt.get("strftime", ""))
    return (dtype.startswith("datetime64[") and "," in dtype) or spelled.endswith("%z")


def _key_type(
    schema: Schema, frames: Mapping[str, pd.DataFrame], formats: Formats, parent: str, spec: Mapping | None
) -> sa.types.TypeEngine:
    """The SQL type of a key to `parent` written before the parent's table exists (one to its own
    table, one closing a cycle): its own `spec`, else the parent's primary key's."""
    pk = schema.tables[parent].primary_key
    pk_spec = formats.get(parent, {}).get(pk, {}).get(SQL_FORMAT)
    return sql_type(spec or pk_spec) if spec or pk_spec else _default_type(Column.PRIMARY_KEY, frames[parent][pk])


TargetSchemas = str | Mapping[str, str] | None  # to_sql's `schema_name`


def _source_schema(name: str, fmts: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The schema table `name` was read from when from_sql read several (`TABLE_SCHEMA`), else None."""
    found = {((f or {}).get(SQL_FORMAT) or {}).get(TABLE_SCHEMA) for f in fmts.values()} - {None}
    own = found.pop() if len(found) == 1 else None
    return own if own is not None and name.startswith(f"{own}.") else None


def target_names(
    schema: Schema, formats: Formats, schema_name: TargetSchemas, dialect: str
) -> dict[str, tuple[str | None, str]]:
    """Table -> (database schema, table) to write it as. A table read from several schemas
    (`hr.employees`) goes back into its own schema as `employees`, or into `schema_name[its schema]`
    where `schema_name` maps schemas to others; into one schema (`schema_name` a name) or SQLite,
    which has no schemas, under its whole name, one identifier (`"hr.employees"`). Other tables go
    into `schema_name` (a name; None, or a mapping: the default schema)."""
    if schema_name is not None and not isinstance(schema_name, str | Mapping):
        raise ValueError(f"schema_name must be a schema's name or a mapping of schema -> schema, got {schema_name!r}")
    one = schema_name if isinstance(schema_name, str) else None
    sources = {name: _source_schema(name, formats.get(name, {})) for name in schema.tables}
    if isinstance(schema_name, Mapping) and (unknown := sorted(set(schema_name) - set(sources.values()))):
        read = sorted({s for s in sources.values() if s is not None})
        whence = f"the tables were read from {read}" if read else "no table was read from several schemas"
        raise ValueError(
            f"schema_name maps {unknown}, but {whence}: a map names the schemas tables were read from "
            "(from_sql(schema_name=[...])); to write every table into one schema, give its name"
        )
    out = {}
    for name, own in sources.items():
        if own is None or one is not None or dialect == "sqlite":
            out[name] = (one, name)
        else:
            out[name] = ((schema_name or {}).get(own, own), name[len(own) + 1 :])
    return out


TABLE_NAME = "relsynth_name"  # in a written sa.Table's info: its table's name in the relsynth schema


def _name(table: sa.Table) -> str:
    """The relsynth name of a table `_target_tables` made (hr.employees, written as employees in hr)."""
    return table.info.get(TABLE_NAME, table.name)


def _new_column(
    col: str, comment: str | None, default: Callable, typ: sa.types.TypeEngine, *args, with_default: bool = True, **kw
) -> sa.Column:
    """A column to create: the source's `comment` on it and, `with_default`, its DEFAULT clause for
    `typ` (`default`: `_default_clause` bound to the column; none beside a server-made value)."""
    server_default = default(typ) if with_default else None
    return sa.Column(_quoted(col), typ, *args, server_default=server_default, comment=comment, **kw)


def _target_tables(
    schema: Schema,
    frames: Mapping[str, pd.DataFrame],
    formats: Formats,
    located: Mapping[str, tuple[str | None, str]],
    dialect: str = "",
    expressions: bool = True,
) -> tuple[sa.MetaData, list[sa.Table]]:
    """The tables to create, parents first, each as `located` says (`target_names`), with their keys
    and the columns' SQL types; on the `dialect` the source was read from, its identity columns as
    such, and its generated ones (`expressions`: else plain columns holding the values; see `_server_made`)."""
    metadata = sa.MetaData()
    order = _written_order(schema, formats)
    made: dict[str, sa.Table] = {}
    unkeyed: list[str] = []  # keys DuckDB cannot hold: to a table of another schema
    deferred, closing = schema.deferred_keys(), []  # closing: (table, key) of the keys closing a cycle
    dropped: list[str] = []  # DEFAULTs the target cannot hold
    unacted: list[str] = []  # foreign keys whose ON DELETE / ON UPDATE the target cannot hold
    for name in order:
        table, df, fmts = schema.tables[name], frames[name], formats.get(name, {})
        cols, own = [], []  # own: keys to the table's own rows, constrained once the table exists
        for col, kind in table.columns.items():
            if is_row_key(fmts.get(col)):  # added when read (`RowKey`): the composite key stands for it
                continue
            given = fmts.get(col, {}).get(SQL_FORMAT)
            nullable = not given or given.get("nullable", True)
            in_key = bool(given and given.get("primary_key"))  # part of a composite key, read without one
            spec = given if given and "type" in given else None  # else only a NOT NULL (a type without a kind)
            default = partial(_default_clause, given, dialect, expressions, f"{name}.{col}", dropped)
            column = partial(_new_column, col, (given or {}).get(COMMENT), default)
            actions = _written_actions(given, dialect, f"{name}.{col}", unacted)
            if isinstance(kind, ForeignKey) and kind.parent == name:
                typ = _key_type(schema, frames, formats, kind.parent, spec)
                cols.append(column(typ, nullable=nullable))
                own.append(col)
            elif isinstance(kind, ForeignKey) and col in deferred.get(name, {}):  # its table is made later
                typ = _key_type(schema, frames, formats, kind.parent, spec)
                cols.append(column(typ, nullable=nullable, primary_key=in_key))
                closing.append((name, col))
            elif isinstance(kind, ForeignKey):
                parent = made[kind.parent].c[schema.tables[kind.parent].primary_key]
                typ = _sqlite_declared(sql_type(spec), spec, dialect) if spec else parent.type
                implied = bool(given and given.get(IMPLIED_KEY))  # the source had none
                across = _across_schemas(dialect, located[name][0], parent.table.schema, name, col, unkeyed, implied)
                key = [] if implied or across else [sa.ForeignKey(parent, **actions)]
                cols.append(column(typ, *key, nullable=nullable, primary_key=in_key))
            elif kind.kind is Column.PRIMARY_KEY:
                typ = _sqlite_declared(sql_type(spec), spec, dialect) if spec else _default_type(kind.kind, df[col])
                by_server = _server_made(spec, dialect, expressions)
                auto = {} if by_server else {"autoincrement": False}  # an identity is the key's only numbering
                cols.append(column(typ, *by_server, primary_key=True, **auto))
            else:
                typ = sql_type(spec) if spec else _default_type(kind.kind, df[col], fmts.get(col))
                typ = _enum_type(typ, spec, dialect, located[name][0])
                typ = _whole_seconds_on_sqlite(typ, df[col])
                typ = _as_stored_on_sqlite(typ, kind.kind, spec, fmts.get(col, {}), dialect)
                typ = _sqlite_declared(typ, spec, dialect)
                by_server = _server_made(spec, dialect, expressions)
                cols.append(column(typ, *by_server, nullable=nullable, primary_key=in_key, with_default=not by_server))
        into, as_name = located[name]
        made[name] = sa.Table(_quoted(as_name), metadata, *cols, schema=into, info={TABLE_NAME: name})
        for a, others in ((c, (f.get(SQL_FORMAT) or {}).get(DIFFERS_FROM, [])) for c, f in fmts.items() if f):
            for b in others:  # the source's CHECK (a <> b), written back
                if a in made[name].c and b in made[name].c:
                    made[name].append_constraint(sa.CheckConstraint(made[name].c[a] != made[name].c[b]))
        for a, below in ((c, (f.get(SQL_FORMAT) or {}).get(BELOW, [])) for c, f in fmts.items() if f):
            for b, strict in below:  # the source's CHECK (a < b) or (a <= b), written back
                if a in made[name].c and b in made[name].c:
                    lo, hi = made[name].c[a], made[name].c[b]
                    made[name].append_constraint(sa.CheckConstraint(lo < hi if strict else lo <= hi))
        for c, f in fmts.items():  # the source's single-column CHECKs, written back
            if c in made[name].c and (domain := ((f or {}).get(SQL_FORMAT) or {}).get(DOMAIN)):
                if domain != {"in": getattr(made[name].c[c].type, "enums", None)}:  # an enum type holds its own
                    clause = _domain_clause(made[name].c[c], domain, f or {})
                    made[name].append_constraint(sa.CheckConstraint(clause))
        for col in own:
            made[name].append_constraint(
                sa.ForeignKeyConstraint(
                    [made[name].c[col]],
                    [made[name].c[table.primary_key]],
                    **_written_actions(fmts.get(col, {}).get(SQL_FORMAT), dialect, "", []),
                )
            )
        for unique in table.unique:  # as the source declared them (`Table.unique`): generation keeps them
            if all(c in made[name].c for c in unique):
                made[name].append_constraint(sa.UniqueConstraint(*(made[name].c[c] for c in unique)))
    if closing and dialect == "duckdb":
        log.warning(
            "to_sql: DuckDB holds no foreign keys that form a cycle: %s written without their FOREIGN KEY (their "
            "values name rows of the tables all the same)",
            ", ".join(f"{name}.{col}" for name, col in closing),
        )
        closing = []
    for name, col in closing:  # checked at commit: no order of the inserts writes every row after the rows it names
        parent = schema.tables[name].columns[col].parent
        made[name].append_constraint(
            sa.ForeignKeyConstraint(
                [made[name].c[col]],
                [made[parent].c[schema.tables[parent].primary_key]],
                use_alter=True,
                deferrable=True,
                initially="DEFERRED",
                **_written_actions(formats.get(name, {}).get(col, {}).get(SQL_FORMAT), dialect, "", []),
            )
        )
    for name, cols, parent, ref_cols in composite_references(formats):
        what = f"({', '.join(cols)})"
        if (
            name in made
            and parent in made
            and not _across_schemas(dialect, made[name].schema, made[parent].schema, name, what, unkeyed)
        ):
            made[name].append_constraint(
                sa.ForeignKeyConstraint([made[name].c[c] for c in cols], [made[parent].c[c] for c in ref_cols])
            )
    if unacted and expressions:
        log.warning(
            "to_sql: DuckDB holds no ON DELETE / ON UPDATE actions but the default: %s written without them",
            unacted,
        )
    if dropped and expressions:
        log.warning(
            "to_sql: the target cannot hold the source's DEFAULT(s) %s (an expression of another database kind, or a "
            "constant the column's type does not take): written without them",
            dropped,
        )
    if unkeyed:
        log.warning(
            "to_sql: DuckDB holds no foreign keys across schemas: %s written without their FOREIGN KEY (their values "
            "name rows of the other schema's tables all the same; from_sql reads them back as plain columns unless "
            "overrides name them keys)",
            ", ".join(unkeyed),
        )
    return metadata, [made[n] for n in order]


def _enum_type(
    typ: sa.types.TypeEngine, spec: Mapping[str, Any] | None, dialect: str, schema: str | None
) -> sa.types.TypeEngine:
    """The source's enum type, in the table's schema, where the target is PostgreSQL (created by
    `_create_enum_types` where missing); elsewhere the VARCHAR `typ`, which a CHECK (c IN (...)) keeps."""
    if dialect != "postgresql" or not spec or ENUM not in spec:
        return typ
    enum = spec[ENUM]
    return postgresql.ENUM(*enum["labels"], name=enum["name"], schema=schema, create_type=False)


def _as_text_where_lacked(conn: sa.Connection, tables: Sequence[sa.Table], warn: bool = True) -> None:
    """Columns of a type named by the source's catalog (`NativeText`, `ArrayOf`) that the target does
    not know (an extension's type, pgvector's, where it is not installed; a composite type of the
    source's own schema) are made TEXT, holding the values' text, with a warning (`warn`: not again
    for the plain tables `_create_tables` makes instead): CREATE TABLE would refuse the whole
    database for one column."""
    lacked: dict[str, list[str]] = {}
    for table in tables:
        for col in table.columns:
            if not isinstance(col.type, NativeText | ArrayOf):
                continue
            found = conn.execute(sa.text("SELECT to_regtype(:name)"), {"name": col.type.name}).scalar()
            if found is None:
                lacked.setdefault(col.type.name, []).append(f"{_name(table)}.{col.name}")
                col.type = sa.Text()
    if lacked and warn:
        log.warning(
            "to_sql: the target has no type %s: %s written as TEXT holding the values' text (create the type, or "
            "its extension: CREATE EXTENSION, in the target first to keep it)",
            ", ".join(map(repr, lacked)),
            "; ".join(f"{', '.join(cols)} ({name})" for name, cols in lacked.items()),
        )


_CHECKED_AT_ONCE = 50_000  # distinct values a query sends the server to check (`_refused_by_types`)


def _refused_by_types(conn: sa.Connection, tables: Sequence[sa.Table], frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Values of the columns written back as a type relsynth holds as text (`NativeText`, `ArrayOf`:
    inet, a range, vector(3), an array) that the type's input refuses, found by the server
    (pg_input_is_valid, PostgreSQL 16 and later) before anything is written: a generated code
    (an identifier's 10.5.0.459 for an inet) or text would otherwise stop the inserts at the first,
    named by the driver without its column."""
    if (conn.dialect.server_version_info or (0,)) < (16,):
        return []
    problems = []
    for table in tables:
        df = frames[_name(table)]
        for col in table.columns:
            if not isinstance(col.type, NativeText | ArrayOf) or col.computed is not None:
                continue
            array = isinstance(col.type, ArrayOf)  # JSON text, bound in the array's own text form
            values = [str(_as_array_text(v) if array else v) for v in df[col.name].dropna().unique()]
            check = sa.text("SELECT v FROM unnest(CAST(:v AS text[])) AS v WHERE NOT pg_input_is_valid(v, :type)")
            refused = [
                v
                for i in range(0, len(values), _CHECKED_AT_ONCE)
                for v in conn.execute(check, {"v": values[i : i + _CHECKED_AT_ONCE], "type": col.type.name}).scalars()
            ]
            if refused:
                problems.append(
                    f"table {_name(table)!r}, column {col.name!r} is {col.type.name} in the source, but "
                    f"{len(refused)} distinct value(s) are not one (e.g. {refused[0]!r}): nothing was written; give "
                    "the column a kind whose values are the source's (overrides: categorical), or leave it out "
                    "(exclude=)"
                )
    return problems


def _create_enum_types(conn: sa.Connection, tables: Sequence[sa.Table], where: str) -> None:
    """Create the enum types of `tables`' columns that the target's schemas lack; one there already
    must list every label the source's did (else its rows could not be written)."""
    made: set[tuple[str | None, str]] = set()
    for table in tables:
        for col in table.columns:
            typ = col.type
            if not isinstance(typ, postgresql.ENUM) or (typ.schema, typ.name) in made:
                continue
            made.add((typ.schema, typ.name))
            found = conn.execute(
                sa.text(
                    "SELECT t.typtype, array_remove(array_agg(e.enumlabel::text ORDER BY e.enumsortorder), NULL) "
                    "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "LEFT JOIN pg_enum e ON e.enumtypid = t.oid "
                    "WHERE t.typname = :name AND n.nspname = coalesce(:schema, current_schema()) GROUP BY t.typtype"
                ),
                {"name": typ.name, "schema": typ.schema},
            ).first()
            if found is None:
                typ.create(conn, checkfirst=False)
            elif found[0] != "e" or (missing := [v for v in typ.enums if v not in found[1]]):
                has = f"with labels {found[1]}, lacking {missing}" if found[0] == "e" else "that is no enum"
                raise ValueError(
                    f"{where} has a type {typ.name!r} {has}, which {table.name}.{col.name} was read with "
                    f"(ENUM {typ.enums}): nothing was written; add the labels (ALTER TYPE ... ADD VALUE), drop the "
                    "type, or write to another schema (schema_name=...) or database"
                )


def _across_schemas(
    dialect: str, own: str | None, other: str | None, name: str, col: str, unkeyed: list, implied: bool = False
) -> bool:
    """Whether a key of table `name` (in schema `own`) to a table of schema `other` must be written
    without its FOREIGN KEY: DuckDB refuses a key across schemas ('not supported'); noted in `unkeyed`
    unless `implied` (a key the source had not, written without one anyway)."""
    if dialect != "duckdb" or own == other or implied:
        return False
    unkeyed.append(f"{name}.{col}")
    return True


def _written_actions(given: Mapping[str, Any] | None, dialect: str, where: str, unacted: list[str]) -> dict[str, str]:
    """The foreign key's ON DELETE / ON UPDATE actions as SQLAlchemy takes them ({"ondelete": "CASCADE"});
    none into DuckDB, which refuses them (noted in `unacted`)."""
    actions = dict((given or {}).get(ON_PARENT) or {})
    if actions and dialect == "duckdb":
        unacted.append(f"{where} ({', '.join(f'ON {on[2:].upper()} {a}' for on, a in actions.items())})")
        return {}
    return {on: a for on, a in actions.items() if on in ("ondelete", "onupdate") and a in KEY_ACTIONS}


def _default_clause(
    given: Mapping[str, Any] | None,
    dialect: str,
    expressions: bool,
    where: str,
    dropped: list[str],
    typ: sa.types.TypeEngine,
) -> sa.TextClause | None:
    """The column's DEFAULT as the target holds it (`sql_defaults.server_default`); one it cannot
    hold is noted in `dropped`. None where not `expressions` (the target refused one: see `_create_tables`)."""
    declared = (given or {}).get(DEFAULT)
    if not declared or not expressions:
        return None
    declared_type = sql_type(given) if "type" in given else typ  # as the DDL names it (`_as_stored_on_sqlite`)
    clause = server_default(declared, declared_type, dialect)
    if clause is None:
        dropped.append(f"{where} DEFAULT {declared['sql']}")
    return clause


def _server_made(spec: Mapping[str, Any] | None, dialect: str, expressions: bool) -> list[sa.Computed | sa.Identity]:
    """A column's GENERATED clause when it is written to the database kind it was read from; else
    none, and the column holds the values given (a generated column's expression is in the
    source's SQL)."""
    if not spec or spec.get("dialect") != dialect:
        return []
    if "generated" in spec and expressions:
        return [sa.Computed(sa.text(spec["generated"]["sqltext"]), persisted=spec["generated"]["persisted"])]
    if "identity" in spec:
        return [sa.Identity(always=spec["identity"]["always"])]
    return []


def _written_order(schema: Schema, formats: Formats) -> list[str]:
    """`schema.referenced_first()`, each table also after those its composite references name."""
    order, composite = schema.referenced_first(), {}
    for name, cols, parent, _ in composite_references(formats):
        if name in schema.tables and parent in schema.tables:
            composite.setdefault(name, {})[f"({', '.join(cols)})"] = parent
    if not composite:
        return order
    fks = {t: {**table.foreign_keys, **composite.get(t, {})} for t, table in schema.tables.items()}
    found = referenced_order(fks, order)
    return order if isinstance(found, KeyCycle) else found  # a cycle through a composite key: the schema's order


_SQLITE_SECONDS = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"


def _whole_seconds_on_sqlite(typ: sa.types.TypeEngine, values: pd.Series) -> sa.types.TypeEngine:
    """A datetime column without fractions of a second, written to SQLite as `2009-01-01 00:00:00`
    (SQLite keeps datetimes as text, and SQLAlchemy's default appends `.000000`)."""
    if type(typ) is not sa.DateTime or not pd.api.types.is_datetime64_any_dtype(values):
        return typ
    stamps = values.dropna()
    if (stamps.dt.microsecond != 0).any() or (stamps.dt.nanosecond != 0).any():
        return typ
    return typ.with_variant(sqlite.DATETIME(storage_format=_SQLITE_SECONDS), "sqlite")


class _StoredAsIs(sa.types.UserDefinedType):
    """A SQLite column written with its declared type's name and no SQLAlchemy converter: the
    values go in as the source stored them (SQLite keeps whatever a column is given)."""

    cache_ok = True

    def __init__(self, ddl: str) -> None:
        self.ddl = ddl

    def get_col_spec(self, **kw: Any) -> str:
        return self.ddl

    def literal_processor(self, dialect: sa.Dialect) -> Callable[[Any], str]:
        """A value in the DDL (a CHECK's bound written back: `status BETWEEN 0 AND 100000` on an INT
        read as labels): a number as itself, anything else as quoted text. Without it SQLAlchemy had
        no way to write the bound and to_sql failed, even on the source's own rows (CompileError)."""

        def literal(value: Any) -> str:
            if isinstance(value, bool | np.bool_):
                return str(int(value))
            if isinstance(value, int | float | Decimal | np.integer | np.floating):
                return str(value)
            return "'" + str(value).replace("'", "''") + "'"

        return literal


class _SqliteDeclaredInteger(sa.Integer):
    """An integer column created in SQLite under the name its SQLite source declared (`TINYINT(1)`,
    `INT UNSIGNED`): an Integer still, bound and checked as one."""

    __visit_name__ = "sqlite_declared_integer"
    cache_ok = True

    def __init__(self, ddl: str) -> None:
        self.ddl = ddl


@compiles(_SqliteDeclaredInteger)
def _declared_ddl(type_: _SqliteDeclaredInteger, compiler: Any, **kw: Any) -> str:
    return type_.ddl


def _sqlite_declared(typ: sa.types.TypeEngine, spec: Mapping[str, Any] | None, dialect: str) -> sa.types.TypeEngine:
    """`typ` under the name its SQLite source declared it with (`_sqlite_names`: TINYINT(1),
    TIMESTAMP), written into SQLite: the same values, the source's name."""
    ddl = (spec or {}).get(SQLITE_TYPE)
    if dialect != "sqlite" or not ddl:
        return typ
    if isinstance(typ, _StoredAsIs):  # dates and times as the source spelled them
        return _StoredAsIs(ddl)
    return _SqliteDeclaredInteger(ddl) if isinstance(typ, sa.Integer) else typ


def _as_stored_on_sqlite(
    typ: sa.types.TypeEngine, kind: Column, spec: dict | None, fmt: Mapping, dialect: str
) -> sa.types.TypeEngine:
    """Into SQLite, a typed column whose values are not its type's (epoch seconds in a DATETIME, a
    julian day in a DATE, read through overrides) or are spelled as text ('03/15/2021' in a DATE,
    'Y'/'N' in a BOOLEAN), or a UUID, keeps its type's name but no converter, so `_as_stored` writes
    the values in the source's spelling: SQLAlchemy's would refuse them (TypeError) or respell them
    (a UUID as 32 hex digits without its dashes)."""
    if dialect != "sqlite" or spec is None or isinstance(typ, sa.String):
        return typ
    if spec["type"] == "uuid":  # SQLAlchemy's would write 32 hex digits in a CHAR(32), without the dashes
        return _StoredAsIs("UUID")
    natural = _kind_of_type(sql_type(spec), spec)
    if natural in (None, kind) and "strftime" not in fmt and "true" not in fmt:
        return typ
    return _StoredAsIs(typ.compile(dialect=sqlite.dialect()))


def case_clashes(tables: list[sa.Table]) -> list[str]:
    """Tables, and columns of one table, whose names differ only in case (ASCII letters): one name
    to a database that ignores case in names (SQLite, DuckDB, MySQL, SQL Server)."""

    def same(names: list[str]) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for n in names:
            groups.setdefault(n.translate(_ASCII_LOWER), []).append(n)
        return [g for g in groups.values() if len(g) > 1]

    out = [f"tables {' and '.join(map(repr, g))}" for g in same([_name(t) for t in tables])]
    for t in tables:
        out += [f"table {_name(t)!r}: columns {' and '.join(map(repr, g))}" for g in same([c.name for c in t.columns])]
    return out


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
CASE_BLIND = {"sqlite", "duckdb", "mysql", "mariadb", "mssql"}  # dialects whose names ignore case


def _as_stored(frames: Mapping[str, pd.DataFrame], formats: Formats, tables: list[sa.Table]) -> dict[str, pd.DataFrame]:
    """The tables with each column the target stores as a string in the source's spelling
    (`to_source`): a boolean read from a VARCHAR(3) as 'yes'/'no' goes back as 'yes'/'no', not
    True; a date or a number written as text in its pattern; a date's open end. Other columns as they are."""
    out = dict(frames)
    for table in tables:
        fmts = formats.get(_name(table), {})
        spelled = [
            c.name
            for c in table.columns
            if fmts.get(c.name) and (isinstance(c.type, sa.String | _StoredAsIs) or "open_end" in fmts[c.name])
        ]  # an open end (9999-12-31) is written as the source wrote it, whatever the type
        if spelled:
            df = out[_name(table)]
            out[_name(table)] = df.assign(**{c: to_source(df[c], fmts[c]) for c in spelled})
    return out


_UNFILLED_TEXT = (
    ": a text column, which a text model writes (TextModel.generate, or the Kedro project's text_tables); fill it "
    "before to_sql, or, if it holds codes that name their rows (e-mails such as SKING), declare it identifier "
    "(fresh codes of the source's shapes, no text model)"
)


def _empty_text(schema: Schema, frames: Mapping[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Table -> its text columns null in every one of its rows (a tabular model's output, whose
    text no text model wrote): a database full of NULL names, said rather than written silently."""
    out = {}
    for name, table in schema.tables.items():
        df = frames[name]
        if cols := [c for c in table.text_columns if len(df) and df[c].isna().all()]:
            out[name] = cols
    return out


def _zero_date_way(fmt: Mapping | None, dialect: str) -> str:
    """Why a NOT NULL date column's nulls are null: the source's MySQL zero dates (`_coerce.zero_dates`),
    which only a target storing dates as text (SQLite) writes back; "" for other nulls."""
    if not fmt or "zero_date" not in fmt:
        return ""
    return (
        f": the source's zero dates ({fmt['zero_date']!r}, no date), read as nulls, which a {dialect} date column "
        "cannot hold; write to SQLite, or into tables you created with the column nullable (if_exists='append')"
    )


def _unfit(
    frames: Mapping[str, pd.DataFrame],
    tables: list[sa.Table],
    schema: Schema | None = None,
    dialect: str = "",
    formats: Formats | None = None,
) -> list[str]:
    """Values the target's columns would refuse (nulls in NOT NULL, strings past a length, numbers
    past a NUMERIC(p, s) or a SMALLINT, rows repeating a composite primary key), found before
    anything is written. SQLite does not check lengths itself; this keeps every engine alike (it
    keeps any number in any column, so numbers are checked elsewhere only)."""
    problems = []
    texts = {(t, c) for t in schema.tables for c in schema.tables[t].text_columns} if schema else set()
    for table in tables:
        name, df = _name(table), frames[_name(table)]
        if len(key := [c.name for c in table.primary_key.columns]) > 1:  # a link table's, written back
            problems += [found] if (found := _repeats(name, df, key, "its composite PRIMARY KEY")) else []
        for a, b in _checked_pairs(table):
            problems += [found] if (found := _equal(name, df, a, b, "the source's")) else []
        for unique in schema.tables[name].unique if schema is not None and name in schema.tables else []:
            if set(unique) <= set(df.columns):  # declared by the source (`Table.unique`), written back
                problems += [found] if (found := _repeats(name, df, unique, "its UNIQUE constraint")) else []
        for col in table.columns:
            s = df[col.name]
            nulls = int(s.isna().sum())
            if col.computed is not None:  # the server computes it
                continue
            if not col.nullable and (not col.primary_key or col.foreign_keys) and nulls:  # a link table's keys
                unfilled = (name, col.name) in texts and nulls == len(s)
                zeros = _zero_date_way((formats or {}).get(name, {}).get(col.name), dialect)
                problems.append(
                    f"table {name!r}, column {col.name!r} is NOT NULL in the source, but {nulls} value(s) are null"
                    + (_UNFILLED_TEXT if unfilled else zeros)
                )
            if isinstance(col.type, sa.Integer | sa.Numeric) and (words := _not_numbers(s)).any():
                problems.append(
                    f"table {name!r}, column {col.name!r} is {col.type} in the source, but {int(words.sum())} "
                    f"value(s) are no numbers (e.g. {s[words].iloc[0]!r}), which only SQLite keeps in such a column: "
                    "write to SQLite, or into tables you created with a text column (if_exists='append')"
                )
            past = _past_int64(s) if isinstance(col.type, sa.Integer) else 0
            if past:
                problems.append(
                    f"table {name!r}, column {col.name!r}: {past} value(s) past 2**63 - 1 (e.g. {int(s.max())}), "
                    "which no SQL integer holds: give the column as text (df[col].astype(str)) in the source data"
                )
            if dialect != "sqlite" and (found := _past_range(name, col, s)):
                problems.append(found)
            length = getattr(col.type, "length", None)
            if length and isinstance(col.type, sa.String) and s.notna().any():
                lengths = s.dropna().astype(str).str.len()
                if (lengths > length).any():
                    kind = schema.tables[name].columns.get(col.name) if schema else None
                    problems.append(
                        f"table {name!r}, column {col.name!r} is {col.type} in the source, but "
                        f"{int((lengths > length).sum())} value(s) are longer (up to {int(lengths.max())} characters)"
                        + _LONGER.get(kind.kind if kind else None, _WIDER)
                    )
    return problems


_INT_BITS = ((sa.SmallInteger, 16), (sa.BigInteger, 64), (sa.Integer, 32))  # subclasses first


def _past_range(table: str, col: sa.Column, s: pd.Series) -> str | None:
    """The problem of numbers of `s` past what `col`'s type holds (a NUMERIC(5, 2): under 1,000
    once rounded to its places; a SMALLINT: -32,768 to 32,767), which PostgreSQL and DuckDB refuse
    ('numeric field overflow') and a generated number may pass (a total of more lines than any
    source row's, a range widened by DP's noise); None where every value fits."""
    typ, values = col.type, to_numbers(s).dropna().astype(float)
    if not len(values) or isinstance(typ, sa.Float) or isinstance(typ, IntervalSeconds):
        return None
    if isinstance(typ, sa.Numeric) and not isinstance(typ, sa.Integer) and typ.precision is not None:
        places = typ.scale or 0
        past = values.round(places).abs() >= 10.0 ** (typ.precision - places)
    elif isinstance(typ, sa.Integer):
        bits = next(b for t, b in _INT_BITS if isinstance(typ, t))
        if bits == 64:
            return None  # `_past_int64`
        past = (values < -(2 ** (bits - 1))) | (values > 2 ** (bits - 1) - 1)
    else:
        return None
    if not past.any():
        return None
    worst = values[past].abs().idxmax()
    return (
        f"table {table!r}, column {col.name!r} is {typ} in the source, but {int(past.sum())} value(s) are past what "
        f"it holds (e.g. {s[worst]}): write into tables you created with a wider type (if_exists='append'), or "
        "clip or drop those rows first (a new RelationalData)"
    )


_WIDER = ": write into tables you created with wider columns (if_exists='append')"
_LONGER = {  # what to do about values past a column's length, by the column's kind
    Column.TEXT: ": generate shorter texts (TextModel.generate(max_text_len=...)) or write into tables you created "
    "with wider columns (if_exists='append')",
    Column.IDENTIFIER: ": an identifier, generated fresh and never a real row's code, so where the source's codes "
    "fill the column's width (R1 to R999 in a VARCHAR(4)) fresh ones outgrow it (R1000); write into tables you "
    "created with wider columns (if_exists='append'), or read the column as categorical (overrides: the source's "
    "own codes, repeated)",
}


def _repeated_unique(conn: sa.Connection, tables: list[sa.Table], frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Rows that repeat the columns of the primary key, a UNIQUE constraint or index of the target's
    tables (if_exists 'append'), found before anything is written: relsynth keeps a key, a UNIQUE
    column of codes and the UNIQUE sets the source declares (`Table.unique`) unique, not a
    constraint only the target has (an employee's names and start date), nor a link table's key it
    was not told of (follows (follower_id, followee_id), from
    files, under DP), which the server then refused at its first repeat, in an error of thousands
    of characters."""
    problems = []
    for table in tables:
        df, pk = frames[_name(table)], tuple(c.name for c in table.primary_key.columns)
        keys = [("PRIMARY KEY", key)] if (key := _target_key(conn, table.name, table.schema)) else []
        for name, cols in keys + _distinct(_unique_sets(conn, table.name, table.schema), pk):
            if not set(cols) <= set(df.columns):
                continue  # an expression index, or a column left to the server
            named = name if name == "PRIMARY KEY" else f"UNIQUE {name!r}" if name else "unnamed UNIQUE constraint"
            if found := _repeats(_name(table), df, cols, f"the target's {named}"):
                problems.append(found)
    return problems


def _held_by_target(conn: sa.Connection, tables: list[sa.Table], frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Rows whose primary key or UNIQUE columns a row already in the target holds (if_exists
    'append' into tables that hold rows, such as the source's own), found before anything is
    written: the server refused the first with a raw UniqueViolation of thousands of characters."""
    problems = []
    for table in tables:
        df, pk = frames[_name(table)], tuple(c.name for c in table.primary_key.columns)
        keys = [("PRIMARY KEY", key)] if (key := _target_key(conn, table.name, table.schema)) else []
        for name, cols in keys + _distinct(_unique_sets(conn, table.name, table.schema), pk):
            if not len(df) or not set(cols) <= set(df.columns):
                continue
            held = _held_rows(conn, table, df, cols)
            if not held.any():
                continue
            example = ", ".join(str(v) for v in df.loc[held, list(cols)].iloc[0].tolist())
            named = name if name == "PRIMARY KEY" else f"UNIQUE {name!r}" if name else "unnamed UNIQUE constraint"
            problems.append(
                f"table {_name(table)!r}: {int(held.sum())} row(s) hold ({', '.join(cols)}) values rows already in the "
                f"target hold (e.g. ({example})), which its {named} refuses: pass shift_keys=True to move the integer "
                "keys past the target's (and leave out the lookup rows it holds), append into empty tables, or "
                "write into another schema or database"
            )
    return problems


def _held_rows(conn: sa.Connection, table: sa.Table, df: pd.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """Where `df`'s rows hold values of `cols` (all of them non-null) that a row of the target's
    `table` holds; looked up a few hundred at a time, bound as `_into_own_table` binds them."""
    into, _ = _into_own_table(conn, table)
    given = df[list(cols)].astype(object).where(df[list(cols)].notna(), None)
    wanted = list(dict.fromkeys(t for t in given.itertuples(index=False, name=None) if None not in t))
    columns = [into.c[c] for c in cols]
    found: set[tuple] = set()
    step = max(1, 900 // len(cols))  # bound values a statement: under SQLite's oldest limit (999)
    for start in range(0, len(wanted), step):
        chunk = wanted[start : start + step]
        where = columns[0].in_([v[0] for v in chunk]) if len(cols) == 1 else sa.tuple_(*columns).in_(chunk)
        found.update(tuple(r) for r in conn.execute(sa.select(*columns).where(where)))
    return np.array([t in found for t in given.itertuples(index=False, name=None)], dtype=bool)


def _shifted_keys(
    conn: sa.Connection, schema: Schema, tables: list[sa.Table], frames: Mapping[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The frames with each synthesised table's integer primary key moved past the highest key its
    target table holds (the same step for every key, so the order and gaps stay), and every
    foreign key naming it by the same step; a lookup's rows whose key the target holds left out
    (copied from the source, they are the rows the synthetic ones name), and so a calendar's whose
    keys are their days (`_day_keyed`: a key moved would say another day). A row key (`RowKey`) is
    not written, so not moved: the columns it copies are copied again from the moved rows (a task's
    tenant_id, its project's). `shift_keys=True`."""
    out, steps = dict(frames), {}
    for table in tables:
        name, df = _name(table), frames[_name(table)]
        pk = schema.tables[name].primary_key if name in schema.tables else None
        if pk is None or pk not in table.c or not len(df) or not pd.api.types.is_integer_dtype(df[pk].dtype):
            continue
        if name in schema.lookups or _day_keyed(df, pk, schema.tables[name].cols_of(Column.DATE, Column.DATETIME)):
            held = _held_rows(conn, table, df, [pk])
            out[name] = df[~held].reset_index(drop=True)
            log.info("to_sql: %s: %d row(s) whose key the target holds left out (shift_keys)", name, int(held.sum()))
            continue
        top = conn.execute(sa.select(sa.func.max(_into_own_table(conn, table)[0].c[pk]))).scalar()
        if top is not None and int(top) >= int(df[pk].min()):
            steps[name] = int(top) - int(df[pk].min()) + 1
    for name, df in out.items():
        if name not in schema.tables:
            continue
        moved = {pk: steps[name]} if (pk := schema.tables[name].primary_key) and name in steps else {}
        moved |= {c: steps[p] for c, p in schema.tables[name].foreign_keys.items() if p in steps and c in df.columns}
        if moved:
            out[name] = df.assign(**{c: df[c] + step for c, step in moved.items()})
    if steps:
        log.info("to_sql: keys moved past the target's (shift_keys): %s", steps)
    return out


def _domain_clause(col: sa.ColumnElement, domain: Mapping, fmt: Mapping) -> sa.ColumnElement[bool]:
    """The CHECK of a column's declared domain (`_checks`): its bounds and its list of values.
    `fmt`: the column's format, which spells a date's bound as its values are stored."""
    parts = []
    if low := domain.get("low"):
        parts.append(col > _bound_of(col, low[0], fmt) if low[1] else col >= _bound_of(col, low[0], fmt))
    if high := domain.get("high"):
        parts.append(col < _bound_of(col, high[0], fmt) if high[1] else col <= _bound_of(col, high[0], fmt))
    if "in" in domain:
        parts.append(col.in_(domain["in"]))
    if "length" in domain:  # the same of the text's length
        parts.append(_domain_clause(sa.func.length(col), domain["length"], {}))
    return sa.and_(*parts)


def _bound_of(col: sa.ColumnElement, value: Any, fmt: Mapping) -> Any:
    """A bound as the column's type writes it: a date's ISO text (naive UTC) as a date or timestamp,
    or, where the values are stored as text (SQLite's dates, `_as_stored_on_sqlite`), as a text
    spelled as they are."""
    if not isinstance(value, str):
        return value
    ts = bound(value)
    if not isinstance(col.type, sa.Date | sa.DateTime):
        date = ((fmt.get(SQL_FORMAT) or {}).get("type")) == "date"
        spelled = fmt.get("strftime") or ("%Y-%m-%d" if date else "%Y-%m-%d %H:%M:%S")
        return sa.literal(ts.strftime(spelled), sa.String())
    if isinstance(col.type, sa.Date) and not isinstance(col.type, sa.DateTime):
        return ts.date()
    return ts.tz_localize("UTC").to_pydatetime() if col.type.timezone else ts.to_pydatetime()


def _day_keyed(df: pd.DataFrame, pk: str, dates: Sequence[str]) -> bool:
    """Whether every row's integer key `pk` is the yyyymmdd of one of its `dates` (a calendar's date_key)."""
    keys = df[pk].astype("Int64")
    for c in dates:
        d = pd.to_datetime(df[c], errors="coerce")
        if d.notna().all() and ((d.dt.year * 10_000 + d.dt.month * 100 + d.dt.day).astype("Int64") == keys).all():
            return True
    return False


def _checked_pairs(table: sa.Table) -> list[tuple[str, str]]:
    """The (a, b) of each CHECK (a <> b) `_target_tables` gave `table`."""
    out = []
    for c in table.constraints:
        expr = c.sqltext if isinstance(c, sa.CheckConstraint) else None
        if isinstance(expr, sa.BinaryExpression) and expr.operator is sa.sql.operators.ne:
            out.append((expr.left.name, expr.right.name))
    return out


def _equal_where_checked(conn: sa.Connection, tables: list[sa.Table], frames: Mapping[str, pd.DataFrame]) -> list[str]:
    """Rows whose two columns a CHECK (a <> b) of the target's tables keeps apart are equal
    (if_exists 'append'; `_differing_pairs`), found before anything is written: relsynth keeps a
    pair apart where its source declares it (from_sql) or its data never has them equal, not one
    read from files under DP (a follow's follower and followee), which the server refused with
    a raw IntegrityError."""
    problems = []
    for table in tables:
        df, own = frames[_name(table)], set(_checked_pairs(table))
        for a, b in _differing_pairs(conn, table.name, table.schema, list(df.columns)):
            if (a, b) not in own and (found := _equal(_name(table), df, a, b, "the target's")):
                problems.append(found)
    return problems


def _equal(table: str, df: pd.DataFrame, a: str, b: str, whose: str) -> str | None:
    """The problem of `df`'s rows holding the same value in `a` and `b`, which `whose` CHECK (a <> b)
    refuses; None where none do."""
    same = df[df[a].notna() & (df[a] == df[b])]
    if not len(same):
        return None
    rows = ", ".join(str(i) for i in same.index[:5]) + (" ..." if len(same) > 5 else "")
    return (
        f"table {table!r}: {len(same)} row(s) hold the same value in {a} and {b} (rows {rows}, e.g. "
        f"{same[a].iloc[0]}), which {whose} CHECK ({a} <> {b}) refuses: drop them first "
        f"(df[df[{a!r}] != df[{b!r}]] in a new RelationalData), or write into tables without it"
    )


def _repeats(table: str, df: pd.DataFrame, cols: Sequence[str], named: str) -> str | None:
    """The problem of `df`'s rows repeating `cols`, which `named` refuses; None where none do."""
    held = df[list(cols)].dropna()  # a NULL is distinct from every value (NULLS DISTINCT)
    repeated = held[held.duplicated(keep="first")]
    if not len(repeated):
        return None
    example = ", ".join(str(v) for v in repeated.iloc[0].tolist())
    return (
        f"table {table!r}: {len(repeated)} row(s) repeat ({', '.join(cols)}), which {named} refuses (e.g. "
        f"({example})); relsynth keeps keys, UNIQUE codes and the UNIQUE sets the source declares "
        "unique, a link table's key where the source declares it or its data never repeats it, not this constraint: drop the repeats first "
        "(df.drop_duplicates(subset=[...]) in a new RelationalData), or write into tables without it"
    )


def _distinct(
    found: list[tuple[str | None, list[str]]], pk: tuple[str, ...]
) -> list[tuple[str | None, tuple[str, ...]]]:
    """(name, columns) of each UNIQUE constraint or index once (PostgreSQL lists a constraint as an
    index too), the primary key's left out (relsynth keeps it unique)."""
    out: dict[tuple[str, ...], str | None] = {}
    for name, cols in found:
        if tuple(cols) != pk and None not in cols:
            out[tuple(cols)] = out.get(tuple(cols)) or name
    return [(name, cols) for cols, name in out.items()]


def _not_numbers(s: pd.Series) -> pd.Series:
    """Where a column holds text that is no number (labels read from SQLite's INTEGER column,
    'n/a' among numbers, through overrides)."""
    if not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
        return pd.Series(False, index=s.index)
    return s.notna() & to_numbers(s.astype(object)).isna()


def _past_int64(s: pd.Series) -> int:
    """How many values of an unsigned integer column (uint64 ids) no signed 64-bit integer holds."""
    return int((s.dropna() > np.iinfo(np.int64).max).sum()) if s.dtype.kind == "u" else 0


def _native(values: pd.Series, typ: sa.types.TypeEngine) -> list:
    """A column as the Python values DB-API drivers bind: None for every kind of null, no numpy scalars."""
    out = []
    is_date = isinstance(typ, sa.Date) and not isinstance(typ, sa.DateTime)
    utc = isinstance(typ, sa.DateTime) and typ.timezone  # datetimes are held as naive UTC (see _coerce)
    utc_time = isinstance(typ, sa.Time) and typ.timezone  # so are times with a time zone
    # a float bound for a NUMERIC as the decimal of its shortest spelling: PostgreSQL casts a float8
    # to numeric with 15 significant digits (0.09090909090909091 stored as 0.0909090909090909)
    exact = isinstance(typ, sa.Numeric) and not isinstance(typ, sa.Float)
    for v in values.tolist():
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        elif exact and isinstance(v, float):
            out.append(Decimal(repr(v)))
        elif isinstance(v, pd.Timestamp):
            v = v.tz_localize("UTC") if utc and v.tzinfo is None else v
            # a driver binds microseconds: nanoseconds (parquet's) rounded, not cut with pandas' bare warning
            out.append(v.date() if is_date else v.round("us").to_pydatetime())
        elif utc_time and isinstance(v, dt.time) and v.tzinfo is None:
            out.append(v.replace(tzinfo=dt.UTC))  # not the session's zone, which the server would assume
        elif isinstance(v, np.generic):
            out.append(v.item())
        else:
            out.append(v)
    return out


def _later_rows(table: sa.Table, df: pd.DataFrame, chunk_size: int) -> dict[str, pd.Series]:
    """Column -> the rows whose key to `table`'s own primary key names a row not written before
    their insert (a question's accepted answer, written after it; on DuckDB, which checks a
    statement's rows against the rows before it, any row of the same chunk): inserted as they are,
    they break the foreign key where the server checks it (PostgreSQL, DuckDB), and no order of
    the rows writes two rows naming each other. They are inserted null and set afterwards
    (`_set_later_rows`). Of a composite key (a sub-task's (tenant_id, parent_id)), the column not
    in the primary key is: a null in one column exempts the row (MATCH SIMPLE)."""
    pk = [c.name for c in table.primary_key.columns]
    if not pk:
        return {}
    out, position = {}, pd.MultiIndex.from_frame(df[pk].astype(object))
    for fk in table.foreign_key_constraints:
        naming = {e.column.name: e.parent.name for e in fk.elements}  # its column naming each key column
        if fk.referred_table is not table or set(naming) != set(pk):
            continue
        cols = [naming[c] for c in pk]
        nulled = [c for c in cols if c not in pk and table.c[c].nullable]
        if len(nulled) != 1 or position.has_duplicates:
            continue
        named = position.get_indexer(pd.MultiIndex.from_frame(df[cols].astype(object)))
        written = np.arange(len(df)) // chunk_size * chunk_size  # rows written before each row's insert
        later = pd.Series((named >= written) & df[cols].notna().all(axis=1).to_numpy(), index=df.index)
        if later.any():
            out[nulled[0]] = later
    return out


def _closing_rows(table: sa.Table, df: pd.DataFrame, deferred: Mapping[str, str]) -> dict[str, pd.Series]:
    """Column -> the rows whose key closing a cycle (`Schema.deferred_keys`: a store's manager, a
    table written later) is set: inserted null and set once every table is written (`_set_later_rows`),
    where the column may be null and the table has a one-column primary key to set it by; else as
    they are (checked at commit where relsynth made the constraint)."""
    if len(table.primary_key.columns) != 1:
        return {}
    return {c: df[c].notna() for c in deferred if c in table.c and table.c[c].nullable and df[c].notna().any()}


def _set_later_rows(
    conn: sa.Connection, table: sa.Table, into, df: pd.DataFrame, later: dict[str, pd.Series], chunk_size: int
) -> None:
    """Set the keys `_later_rows` left null, now that every row of the table is written."""
    if not later:  # nothing left null, and a table without a primary key (a log) has no row to name
        return
    pk = list(table.primary_key.columns)  # one column, or a composite key's (tenant_id, id)
    for col, rows in later.items():
        part = df[rows.to_numpy()]
        keys = [_native(part[c.name], c.type) for c in pk]
        values = _native(part[col], table.c[col].type)
        where = sa.and_(*(into.c[c.name] == sa.bindparam(f"_h_key{i}") for i, c in enumerate(pk)))
        update = into.update().where(where).values({col: sa.bindparam("_h_value")})
        pairs = [
            {**{f"_h_key{i}": k for i, k in enumerate(key)}, "_h_value": v}
            for *key, v in zip(*keys, values, strict=True)
        ]
        for start in range(0, len(pairs), chunk_size):
            conn.execute(update, pairs[start : start + chunk_size])


@dataclass(frozen=True)
class _OwnColumns:
    """What the catalog says of the columns of a table the user created (if_exists='append') beyond
    their types: those the server fills itself, and those a sequence numbers."""

    generated: frozenset[str] = frozenset()  # GENERATED ALWAYS AS (...): the server computes them
    always: frozenset[str] = frozenset()  # GENERATED ALWAYS AS IDENTITY: a given value needs OVERRIDING
    sequenced: frozenset[str] = frozenset()  # identity or serial: its sequence continues after the keys written


def _own_columns(conn: sa.Connection, name: str, schema_name: str | None) -> _OwnColumns:
    if conn.dialect.name in _INFO_SCHEMA_DIALECTS:  # SQLAlchemy's reflection fails there (above)
        return _OwnColumns()
    cols = sa.inspect(conn).get_columns(name, schema=schema_name)
    identity = {c["name"]: c["identity"] for c in cols if c.get("identity")}
    serial = {c["name"] for c in cols if str(c.get("default") or "").startswith("nextval(")}
    return _OwnColumns(
        generated=frozenset(c["name"] for c in cols if c.get("computed")),
        always=frozenset(n for n, i in identity.items() if i.get("always")),
        sequenced=frozenset(identity) | frozenset(serial),
    )


def _own_of(table: sa.Table) -> tuple[sa.TableClause, _OwnColumns]:
    """`table`, created by `to_sql`, to insert into: without its generated columns, which the server computes."""
    identity = {c.name: c.identity for c in table.columns if c.identity is not None}
    own = _OwnColumns(
        generated=frozenset(c.name for c in table.columns if c.computed is not None),
        always=frozenset(n for n, i in identity.items() if i.always),
        sequenced=frozenset(identity),
    )
    kept = [sa.column(_quoted(c.name), c.type) for c in table.columns if c.name not in own.generated]
    return sa.table(_quoted(table.name), *kept, schema=table.schema), own


def _into_own_table(conn: sa.Connection, table: sa.Table) -> tuple[sa.TableClause, _OwnColumns]:
    """`table` to insert into a table of the same name that the user created (if_exists='append'):
    a column whose type there is one relsynth does not write (an enum, jsonb, an array, ...) is
    bound untyped, so the server reads the value as its column's type; bound as the VARCHAR relsynth
    holds it, an enum column would refuse it. A generated column there is left out: the server
    computes it, and refuses a value for it."""
    theirs, own = _reflect(conn, table.name, table.schema).types, _own_columns(conn, table.name, table.schema)

    def own_type(col: sa.Column) -> bool:
        typ = theirs.get(col.name)
        interval = isinstance(typ, _INTERVALS) and not isinstance(col.type, IntervalSeconds)  # labels, not seconds
        return typ is not None and (type_spec(typ) is None or isinstance(typ, sa.Enum) or interval)

    kept = [c for c in table.columns if c.name not in own.generated]
    if skipped := [c.name for c in table.columns if c.name in own.generated]:
        log.info("to_sql: %s.%s generated by the database, not written", _name(table), skipped)

    def bound(col: sa.Column) -> sa.ColumnClause:
        if isinstance(theirs.get(col.name), postgresql.MONEY):  # as a number: PostgreSQL casts no float to money
            return sa.column(_quoted(col.name), Money())
        if isinstance(theirs.get(col.name), sa.ARRAY):  # JSON text in the array's own text form
            return sa.column(_quoted(col.name), ArrayText())
        return sa.column(_quoted(col.name)) if own_type(col) else sa.column(_quoted(col.name), col.type)

    columns = [bound(c) for c in kept]
    return sa.table(_quoted(table.name), *columns, schema=table.schema), own


@contextmanager
def _refused_by_own_ddl(table: sa.Table, own: bool) -> Iterator[None]:
    """Into tables the user created (`own`, if_exists='append'), a row their DDL refuses beyond what
    relsynth checks first (a CHECK (credit >= 0), a partial unique index, a trigger) is a
    `DataError` naming the table and the server's reason, not the driver's error of thousands of
    characters listing every bound row; the transaction is rolled back, so nothing was written."""
    try:
        yield
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
        if not own:
            raise
        reason = " ".join(str(exc.orig).split())
        reason = reason if len(reason) <= 400 else reason[:400] + " ..."
        raise DataError(
            [
                f"table {_name(table)!r}: the target refused a row: {reason}; nothing was written (one transaction): "
                "drop or change such rows first (a new RelationalData), or write into tables that take them"
            ]
        ) from exc


def _insert_rows(
    conn: sa.Connection,
    table: sa.Table,
    into: sa.TableClause,
    own: _OwnColumns,
    stored: pd.DataFrame,
    chunk_size: int,
    bar: LogProgress,
) -> None:
    """Insert `stored`'s rows into `into`, `chunk_size` at a time, each chunk counted on `bar`. On
    DuckDB a chunk goes in as one Arrow table (`_insert_arrow`): duckdb-engine's executemany runs
    the INSERT once a row (7k rows/s against 43k on SQLite)."""
    statement, binds = _insert(conn, into, own)
    for start in range(0, len(stored), chunk_size):
        part = stored.iloc[start : start + chunk_size]
        columns = [_native(part[c.name], table.c[c.name].type) for c in into.c]
        if not (conn.dialect.name == "duckdb" and _insert_arrow(conn, into, columns)):
            conn.execute(statement, [dict(zip(binds, values, strict=True)) for values in zip(*columns, strict=True)])
        bar.update(len(part))


def _insert_arrow(conn: sa.Connection, into: sa.TableClause, columns: list[list]) -> bool:
    """Insert the rows of `columns` (`_native` values, one list a column of `into`) into a DuckDB
    table in one INSERT ... SELECT from an Arrow table of them, each value first bound as its
    column's type binds it (an interval's seconds as a duration); DuckDB casts each Arrow column to
    its column's type as it casts a bound value. False, with nothing written, where Arrow cannot
    hold a column's values (mixed types, a Python object): the caller inserts them row by row."""
    import pyarrow as pa

    try:
        arrays = {}
        for i, (col, values) in enumerate(zip(into.c, columns, strict=True)):
            bind = col.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
            arrays[f"c{i}"] = pa.array([bind(v) for v in values] if bind else values, from_pandas=True)
        rows = pa.table(arrays)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return False
    prep, name = conn.dialect.identifier_preparer, "_relsynth_rows"
    names = ", ".join(prep.quote(c.name) for c in into.c)
    raw = conn.connection.driver_connection  # duckdb-engine's wrapper of the DuckDB connection
    raw.register(name, rows)
    try:
        selected = ", ".join(f"c{i}" for i in range(len(columns)))
        conn.exec_driver_sql(f"INSERT INTO {prep.format_table(into)} ({names}) SELECT {selected} FROM {name}")
    finally:
        raw.unregister(name)
    return True


def _insert(conn: sa.Connection, into: sa.TableClause, own: _OwnColumns) -> tuple[sa.Executable, list[str]]:
    """The INSERT for `into` and its parameters' names, column by column. Into a GENERATED ALWAYS
    identity column, PostgreSQL takes the keys given (children reference them) only with OVERRIDING
    SYSTEM VALUE, which SQLAlchemy's insert() cannot say: a text statement with typed parameters."""
    names = [c.name for c in into.c]
    if conn.dialect.name != "postgresql" or not own.always & set(names):
        return into.insert(), names
    quote, binds = conn.dialect.identifier_preparer.quote, [f"p{i}" for i in range(len(names))]
    statement = sa.text(
        f"INSERT INTO {conn.dialect.identifier_preparer.format_table(into)} ({', '.join(map(quote, names))}) "
        f"OVERRIDING SYSTEM VALUE VALUES ({', '.join(':' + b for b in binds)})"
    ).bindparams(*(sa.bindparam(b, type_=c.type) for b, c in zip(binds, into.c, strict=True)))
    return statement, binds


def _continue_sequences(conn: sa.Connection, into: sa.TableClause, own: _OwnColumns) -> None:
    """Move each identity or serial sequence of `into` past the largest key now in the table (never
    back): keys inserted as given leave it where it was, and the next INSERT of the user's own would
    take key 1 again (duplicate key)."""
    if conn.dialect.name != "postgresql":
        return
    table = conn.dialect.identifier_preparer.format_table(into)
    for col in sorted(own.sequenced & {c.name for c in into.c}):
        conn.execute(
            sa.text(
                "SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence(:t, :c) AS s, "
                f"(SELECT max({conn.dialect.identifier_preparer.quote(col)}) FROM {table}) AS m) x "
                "WHERE s IS NOT NULL AND m IS NOT NULL AND m >= COALESCE(pg_sequence_last_value(s::regclass), 0)"
            ),
            {"t": table, "c": col},
        )


def _drop_closing_keys(
    conn: sa.Connection, deferred: Mapping[str, Mapping[str, str]], existing: list[sa.Table]
) -> None:
    """Drop the foreign key constraints of the keys closing a cycle (`Schema.deferred_keys`) between
    tables about to be replaced (if_exists='replace'): tables naming each other cannot be dropped
    one after the other (PostgreSQL: 'constraint store_manager_fkey on table store depends on table
    staff'). SQLite checks them at commit, and DuckDB holds none."""
    if conn.dialect.name in ("sqlite", "duckdb"):
        return
    insp, prep = sa.inspect(conn), conn.dialect.identifier_preparer
    drop = "DROP FOREIGN KEY" if conn.dialect.name in ("mysql", "mariadb") else "DROP CONSTRAINT"
    replaced = {t.name for t in existing}
    for target in existing:
        if not (columns := deferred.get(_name(target))):
            continue
        table = prep.format_table(sa.Table(_quoted(target.name), sa.MetaData(), schema=target.schema))
        for fk in insp.get_foreign_keys(target.name, schema=target.schema):
            if fk["name"] and fk["referred_table"] in replaced and set(fk["constrained_columns"]) & set(columns):
                conn.execute(sa.text(f"ALTER TABLE {table} {drop} {prep.quote(fk['name'])}"))


def _drop_table(conn: sa.Connection, table: sa.Table, where: str) -> None:
    """Drop `table` (if_exists='replace'); where something of the user's depends on it (a view,
    a foreign key of another table), say what, not the server's 'use DROP ... CASCADE'."""
    name = _name(table)
    try:
        conn.execute(sa.schema.DropTable(sa.Table(_quoted(table.name), sa.MetaData(), schema=table.schema)))
    except sa.exc.DBAPIError as exc:
        diag = getattr(exc.orig, "diag", None)  # psycopg's: the DETAIL lists what depends on the table
        detail = getattr(diag, "message_detail", None) or str(exc.orig).splitlines()[0]
        raise ValueError(
            f"{where}: cannot drop table {name!r} to replace it: {'; '.join(detail.splitlines())}; nothing was "
            "written. Drop or change what depends on it first, or write to another schema (schema_name=...) or "
            "database"
        ) from exc


def _create_tables(
    conn: sa.Connection,
    metadata: sa.MetaData,
    tables: list[sa.Table],
    plain: Callable[[], tuple[sa.MetaData, list[sa.Table]]],
) -> list[sa.Table]:
    """Create `tables` and return them; where a generated column's expression or a DEFAULT fails on the
    target (it names what the target lacks: an enum type of the source, written as VARCHAR, or a
    function of its own; a constant its type refuses), the `plain` tables instead, whose generated
    columns hold the values, without DEFAULTs, with a warning."""
    computed = [f"{t.name}.{c.name}" for t in tables for c in t.columns if c.computed is not None]
    defaults = [
        f"{t.name}.{c.name}" for t in tables for c in t.columns if isinstance(c.server_default, sa.DefaultClause)
    ]
    if (not computed and not defaults) or conn.dialect.name not in _TRANSACTIONAL_DDL:
        metadata.create_all(conn, checkfirst=False)
        return tables
    try:
        with conn.begin_nested():
            metadata.create_all(conn, checkfirst=False)
        return tables
    except sa.exc.DBAPIError as exc:
        failed = exc
    metadata, tables = plain()
    metadata.create_all(conn, checkfirst=False)  # fails too where the expressions were not the cause
    reason = str(failed.orig).splitlines()[0] if failed.orig is not None else str(failed)
    what = [f"the generated column(s) {computed}"] if computed else []
    what += [f"the DEFAULT(s) of {defaults}"] if defaults else []
    log.warning(
        "to_sql: %s could not be recreated (%s): written as plain columns holding the values, without DEFAULTs, "
        "instead",
        " and ".join(what),
        reason,
    )
    return tables


@_quiet_display_widths
def write_sql(
    schema: Schema,
    frames: Mapping[str, pd.DataFrame],
    formats: Formats,
    con: Con,
    *,
    schema_name: TargetSchemas = None,
    if_exists: str = "fail",
    chunk_size: int = CHUNK_SIZE,
    shift_keys: bool = False,
) -> None:
    """What `RelationalData.to_sql` does (see there), for validated tables, their schema and formats."""
    if if_exists not in IF_EXISTS:
        raise ValueError(f"if_exists must be one of {IF_EXISTS}, got {if_exists!r}")
    if not isinstance(shift_keys, bool) or (shift_keys and if_exists != "append"):
        raise ValueError(
            f"shift_keys=True moves keys past the rows of tables appended into (if_exists='append'), "
            f"got shift_keys={shift_keys!r} with if_exists={if_exists!r}"
        )
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer (rows per insert), got {chunk_size!r}")
    dialect = _dialect_name(con)
    located = target_names(schema, formats, schema_name, dialect)
    frames = copy_row_keys(schema, frames, formats)  # a composite key names the row its table nests under
    metadata, tables = _target_tables(schema, frames, formats, located, dialect)
    frames = _as_stored(frames, formats, tables)
    problems = _unfit(frames, tables, schema, dialect, formats)
    if problems:
        raise DataError(problems)
    if empty := _empty_text(schema, frames):
        log.warning(
            "to_sql: text column(s) %s hold no value in any row: a text model writes them (TextModel.generate, "
            "or the Kedro project's text_tables); they are written as NULL",
            empty,
        )
    with open_engine(con) as engine:
        clashes = case_clashes(tables) if engine.dialect.name in CASE_BLIND else []
        if clashes:
            raise SchemaError(
                f"{engine.dialect.name} treats names that differ only in case as one name, so it cannot hold "
                f"{'; '.join(clashes)}: nothing was written; rename one of each (a new RelationalData with the frames' "
                "columns renamed, or another schema), or write to a database that tells them apart (PostgreSQL)"
            )
    with open_engine(con) as engine, engine.begin() as conn:  # one transaction: all of it or nothing
        _begin(conn)
        schemas = list(dict.fromkeys(t.schema for t in tables))
        if conn.dialect.name != "sqlite":
            for target in schemas:
                if target is not None:
                    conn.execute(sa.schema.CreateSchema(target, if_not_exists=True))
        present = {(s, n) for s in schemas for n in sa.inspect(conn).get_table_names(schema=s)}
        views = {(s, n) for s in schemas for n in _view_names(conn, s)}
        existing = [t for t in tables if (t.schema, t.name) in present]
        named = [s for s in schemas if s is not None]
        where = safe_url(engine) + (f", schema {named[0]!r}" if len(named) == 1 and len(schemas) == 1 else "")
        where += f", schemas {named}" if len(schemas) > 1 else ""
        if if_exists != "append" and (viewed := [_name(t) for t in tables if (t.schema, t.name) in views]):
            raise ValueError(
                f"{where} has view(s) {viewed} named as tables to write: nothing was written; drop or rename them, or "
                "write to another schema (schema_name=...) or database"
            )
        if if_exists == "fail" and existing:
            raise ValueError(
                f"{where} already has table(s) {[_name(t) for t in existing]}: nothing was written; pass "
                "if_exists='replace' to drop and recreate them, or 'append' to insert into them"
            )
        if if_exists == "append":
            missing = [_name(t) for t in tables if (t.schema, t.name) not in present]
            if missing:
                raise ValueError(f"if_exists='append': {where} has no table(s) {missing}; nothing was written")
            if shift_keys:
                frames = copy_row_keys(schema, _shifted_keys(conn, schema, tables, frames), formats)
            checks = (_repeated_unique, _equal_where_checked, _held_by_target)
            if repeats := [p for check in checks for p in check(conn, tables, frames)]:
                raise DataError(repeats)
        else:
            _drop_closing_keys(conn, schema.deferred_keys(), existing)
            for table in reversed(existing):  # children before parents
                _drop_table(conn, table, where)
            if conn.dialect.name == "postgresql":
                _as_text_where_lacked(conn, tables)
                if refused := _refused_by_types(conn, tables, frames):
                    raise DataError(refused)
                _create_enum_types(conn, tables, where)

            def plain() -> tuple[sa.MetaData, list[sa.Table]]:  # generated columns as plain ones
                made = _target_tables(schema, frames, formats, located, dialect, False)
                if conn.dialect.name == "postgresql":
                    _as_text_where_lacked(conn, made[1], warn=False)
                return made

            tables = _create_tables(conn, metadata, tables, plain)
        deferred, ahead = schema.deferred_keys(), []
        with progress(sum(len(frames[_name(t)]) for t in tables), "to_sql: write", "rows") as bar:
            for table in tables:
                bar.set_postfix(table=_name(table), refresh=False)
                df = frames[_name(table)]
                into, own = _into_own_table(conn, table) if if_exists == "append" else _own_of(table)
                later = _later_rows(table, df, chunk_size)  # keys naming a row not yet written: set once it is
                # keys closing a cycle name a table written later: set once every table is (their own DDL may check them)
                closing = _closing_rows(table, df, deferred.get(_name(table), {}))
                ahead.append((table, into, df, closing))
                stored = df.assign(**{c: df[c].mask(m) for c, m in (later | closing).items()})
                with _refused_by_own_ddl(table, if_exists == "append"):
                    _insert_rows(conn, table, into, own, stored, chunk_size, bar)
                    _set_later_rows(conn, table, into, df, later, chunk_size)
                _continue_sequences(conn, into, own)
        for table, into, df, closing in ahead:
            with _refused_by_own_ddl(table, if_exists == "append"):
                _set_later_rows(conn, table, into, df, closing, chunk_size)
        log.info("to_sql: wrote %s to %s", {_name(t): len(frames[_name(t)]) for t in tables}, where)

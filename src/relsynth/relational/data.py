"""RelationalData: the tables of one database with their schema, validated on construction."""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from relsynth.relational._blanks import blanks
from relsynth.relational._checks import BELOW, DOMAIN, bound, within  # noqa: F401 (declared domains and orders, for synth)
from relsynth.relational._coerce import (
    CSV_NUMBER,
    DIFFERS_FROM,
    EXCEL_CONVERSION,
    NUMBER_AS_CODE,
    SQL_FORMAT,
    STRING,
    coerce,
    csv_number_format,
    day_first_too,
    excel_dates,
    leading_zeros,
    open_end,
    source_format,
    text_datetime_format,
    to_source,
    zero_dates,
    zero_padded_width,
)
from relsynth.relational._coerce import composite_references as composite_references  # read by generation
from relsynth.relational._versioned import entity_table, versioned_keys
from relsynth.relational.columns import Column, day_first
from relsynth.relational.composite import (
    add_row_keys,
    composite_formats,
    declared_row_keys,
    referenced_columns,
    row_key_name,
    unnamed_pairs,
)
from relsynth.relational.errors import DataError, SchemaError
from relsynth.relational.files import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    atomic_dir,
    read_csv,
    read_json,
    read_parquet,
    write_parquet,
    write_text_atomic,
)
from relsynth.relational.numbers import to_numbers
from relsynth.relational.row_keys import copy_row_keys as copy_row_keys  # read by generation
from relsynth.relational.schema import Schema, frame_problems

log = logging.getLogger(__name__)
SCHEMA_FILE = "schema.yaml"
# formats of numbers written as text in a locale's spelling ('1.234,56') or with a CSV's decimals ('5.00')
SPELLINGS_FILE = "number_spellings.json"
CSV_NUMBERS = "csv_numbers"  # a frame's attrs key: column -> format of the numbers a CSV wrote as text (`read_table`)
SQL_TYPES_FILE = "sql_types.json"  # formats' SQL types (from a database), which parquet files cannot hold
PART_FILE = "part.json"  # written for a part of a database (`partial`): its references may point outside it
_N_EXAMPLES = 5


def _hint(kind: Column, bad: pd.Series, table: str, col: str) -> str:
    """Why such values do not fit, when it is not plain, or what to do (said beside the examples of a problem)."""
    if kind in (Column.CATEGORICAL, Column.TEXT, Column.IDENTIFIER) and any(
        isinstance(v, bytes | bytearray | memoryview) for v in bad
    ):
        return (
            " (binary values that are not UTF-8 text: relsynth has no kind for them; leave the column out of the "
            "data (from_sql: exclude={table: [column]}))"
        )
    text = bad.astype(str).str.strip().str.lower()
    if kind not in (Column.CATEGORICAL, Column.TEXT, Column.IDENTIFIER) and (text == "").all():  # a legacy "missing"
        quoted = {n: '"' + n.replace('"', '""') + '"' for n in (table, col)}
        return (
            " (blank strings are values, not nulls: make them null (in a database: UPDATE "
            f"{quoted[table]} SET {quoted[col]} = NULL WHERE TRIM({quoted[col]}) = ''), or declare the column "
            "categorical to keep them)"
        )
    if kind in (Column.NUMERIC, Column.INTEGER) and text.isin(["inf", "-inf", "+inf", "infinity", "-infinity"]).any():
        return " (±inf is refused: numbers must be finite; replace it with null or a bound)"
    if kind is Column.INTEGER and (to_numbers(bad).abs() >= 2.0**63).any():
        return " (integers must fit in 64 bits, |x| < 2**63; declare larger ones identifier, categorical or text)"
    numbers = to_numbers(bad).notna()
    if kind in (Column.DATE, Column.DATETIME) and numbers.all() and not pd.api.types.is_datetime64_any_dtype(bad.dtype):
        return (
            " (numbers are not read as dates: relsynth does not guess whether they are yyyymmdd, epoch seconds or "
            "days; convert the column first, e.g. pd.to_datetime(df[col].astype(str), format='%Y%m%d') or "
            f"pd.to_datetime(df[col], unit='s'){_excel_way(bad)}, or declare it integer)"
        )
    if kind in (Column.NUMERIC, Column.INTEGER) and pd.api.types.is_datetime64_any_dtype(bad.dtype):
        return " (datetimes are not numbers: declare the column datetime or date)"
    if kind in (Column.NUMERIC, Column.INTEGER) and pd.api.types.is_timedelta64_dtype(bad.dtype):
        return (
            " (durations are not numbers until given a unit: convert the column, e.g. df[col].dt.total_seconds(), "
            "and declare it numeric)"
        )
    if kind is Column.TIME and text.str.fullmatch(r"-?\d{1,3}:\d{2}(?::\d{2}(?:\.\d+)?)?").all():
        # MySQL's TIME spans -838:59:59 to 838:59:59: a duration, which no time of day is
        return (
            " (times past 24:00 or below 00:00 are durations, not times of day (MySQL's TIME holds both): declare the "
            f"column categorical to keep them as written (from_sql: overrides={{{table!r}: {{{col!r}: 'categorical'}}}}), "
            "or convert them to seconds and declare it numeric)"
        )
    if kind in (Column.DATE, Column.DATETIME) and text.str.match(r"^\d{4}-(?:00-\d{2}|\d{2}-00)(?:$|[ t])").all():
        # MySQL keeps a date with a zero month or day (a year or a month known only) unless NO_ZERO_IN_DATE
        quoted = {n: '"' + n.replace('"', '""') + '"' for n in (table, col)}
        return (
            " (dates with a zero month or day, as MySQL keeps them, name no day: make them null (in a database: "
            f"UPDATE {quoted[table]} SET {quoted[col]} = NULL WHERE {quoted[col]} LIKE '%-00%'), or declare the "
            "column categorical or text to keep them as written)"
        )
    # a date of another era: year-month-day with a real month and day (not a phone number, 25-989-741-2988)
    ymd = text.str.extract(r"^(-?\d{1,6})-(\d{1,2})-(\d{1,2})(?:$|[ t])").apply(to_numbers)
    real = ymd[1].between(1, 12) & ymd[2].between(1, 31)
    years = ymd[0].where(real)
    if kind in (Column.DATE, Column.DATETIME) and ((years < 1678) | (years > 2261)).any():
        # one far value in many rows: a sentinel ('no end yet'), which a null says as well and the
        # column stays a date (as text, valid_from <= valid_to would no longer be kept)
        sentinel = text[(years < 1678) | (years > 2261)]
        if sentinel.nunique() == 1 and len(sentinel) > 1:
            quoted = {n: '"' + n.replace('"', '""') + '"' for n in (table, col)}
            value = str(bad[(years < 1678) | (years > 2261)].iloc[0])
            return (
                " (dates are held as datetime64[ns], which spans 1677-09-21 to 2262-04-11 only; the one value "
                f"{value!r} in {len(sentinel)} rows marks no date (an open end): make it null (in a database: "
                f"UPDATE {quoted[table]} SET {quoted[col]} = NULL WHERE {quoted[col]} = '{value}', or a view) to "
                "keep the column a date, or declare it categorical or text)"
            )
        return (
            " (dates are held as datetime64[ns], which spans 1677-09-21 to 2262-04-11 only; "
            "declare the column categorical or text to keep such dates)"
        )
    qualified = text.str.fullmatch(r"(?:[<>]=?|[≤≥])\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")
    if kind in (Column.NUMERIC, Column.INTEGER) and qualified.all():  # a lab's '<0.1': below what it measures
        return (
            " (numbers with a qualifier, below or above what was measured, are not numbers: declare the column "
            f"text to keep them as written (from_sql: overrides={{{table!r}: {{{col!r}: 'text'}}}}; categorical "
            "keeps only values seen min_count times, the others generated missing), or write the qualifier in a "
            "categorical column of its own and the number here)"
        )
    if kind in (Column.NUMERIC, Column.INTEGER) and any(
        isinstance(v, str) for v in bad
    ):  # SQLite's INTEGER holding 'n/a'
        return (
            f" (text in a number column: declare the column categorical to keep such values "
            f"(from_sql: overrides={{{table!r}: {{{col!r}: 'categorical'}}}}), or make them null)"
        )
    return ""


def _spaced_names(unknown: list, absent: list[str]) -> dict[str, str]:
    """The data's column names among `unknown` that are a schema's name of `absent` but for spaces
    around them, each with that name."""
    return {c: c.strip() for c in unknown if isinstance(c, str) and c != c.strip() and c.strip() in absent}


def _excel_way(numbers: pd.Series) -> str:
    """The conversion of numbers that could be Excel's serial days (`excel_dates`), said first."""
    if (span := excel_dates(numbers)) is None:
        return ""
    first, last = (d.strftime("%Y-%m-%d") for d in span)
    return f", or, as Excel's serial days ({first} to {last}), {EXCEL_CONVERSION}"


def _warn_lost_zeros(table: str, col: str, values: pd.Series) -> None:
    """Numbers written with leading zeros ("007") of several widths: no width to write them back in."""
    zeros = leading_zeros(values)
    if len(zeros) and zero_padded_width(values) is None:
        log.warning(
            "table %r, column %r: %d number(s) written with leading zeros (e.g. %r) come back without them, "
            "the column's numbers having several widths; declare it categorical to keep them",
            table, col, len(zeros), zeros.iloc[0],
        )  # fmt: skip


def _duplicates_way_out(rows: pd.DataFrame, pk: str) -> str:
    """What to do with the rows that share a primary key: drop the copies where each repeats a
    whole row (a legacy export appending some twice), else give them keys or keep one per key."""
    copies = int(rows.astype(str).duplicated().sum())  # as text: a null equals a null
    if copies == len(rows) - rows[pk].nunique():
        return f"; {copies} row(s) repeat another whole: drop the copies (pandas: df.drop_duplicates())"
    return (
        "; rows under one key differ: give each row a key of its own, or keep one row per key "
        f"(pandas: df.drop_duplicates(subset=[{pk!r}]))"
    )


def _examples(values: pd.Series | np.ndarray | list) -> str:
    vals = list(pd.Series(values).drop_duplicates()[:_N_EXAMPLES])
    return ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in vals)


def _rows(mask: pd.Series) -> str:
    """The first few row numbers where `mask` holds (for nulls, which have no value to show)."""
    rows = np.flatnonzero(mask.to_numpy(bool))
    more = ", ..." if len(rows) > _N_EXAMPLES else ""
    return ", ".join(str(r) for r in rows[:_N_EXAMPLES]) + more


def _near_keys(orphans: pd.Series, known: pd.Series, ref: str) -> tuple[str, int]:
    """What to say of orphan string keys that name a key of `ref` but for case, surrounding spaces or
    leading zeros ('c0056 ' for 'C0056', as legacy exports and hand-typed sheets write them; '123' for
    '00123', a spreadsheet's number), and how many they are: keys are matched exactly, so such rows
    would be dropped or lose their parent."""
    if orphans.dtype != STRING or known.dtype != STRING:
        return "", 0
    folded = known.dropna().drop_duplicates()
    parents = dict(zip(_folded(folded), folded, strict=True))
    matches = _folded(orphans).map(parents)
    n = int(matches.notna().sum())
    if not n:
        return "", 0
    pairs = pd.Series(list(zip(orphans[matches.notna()], matches.dropna(), strict=True))).drop_duplicates()
    shown = ", ".join(f"{a!r} for {b!r}" for a, b in pairs[:3])
    return (
        f"; {n} of them name a key of {ref!r} but for case, surrounding spaces or leading zeros ({shown}): keys "
        "match exactly, as in SQL; write each key as its parent row's in both tables (strip the spaces, one case; "
        "codes read as text keep their zeros: pd.read_csv(file, dtype=str))",
        n,
    )


def _folded(keys: pd.Series) -> pd.Series:
    """String keys as `_near_keys` compares them: stripped, case folded, without leading zeros."""
    return keys.str.strip().str.casefold().str.replace(r"^0+(?=\d)", "", regex=True)


def _align_key(values: pd.Series, dtype: object) -> tuple[pd.Series, pd.Series]:
    """A foreign key in the dtype of the key it references, and where a value cannot be such a key.

    Keys are Int64 or string (see _coerce._key); without this, text "7" would never match 7 and a
    single typo in an integer FK would report every row as an orphan. A blank or placeholder ('NULL',
    `_blanks`) among integer keys is a null key.
    """
    none = pd.Series(False, index=values.index)
    if values.dtype == dtype:
        return values, none
    if dtype == STRING:
        return values.astype(STRING), none
    numbers = to_numbers(values.astype(object)).astype("float64")
    unfit = values.notna() & ~blanks(values) & ~(numbers % 1 == 0)  # 'NULL' spells no integer key: a null one
    return numbers.where(~unfit).astype("Int64"), unfit


@dataclass(frozen=True)
class Whole:
    """What a sample of a larger database (`SQLSource.sample`) knows of the whole of it, counted
    inside the database: a preprocessor fitted on the sample, then encoding every partition, takes
    from it what the sample alone gets wrong."""

    # table -> categorical column or lookup key -> rows per value (a null under a null index entry)
    value_counts: Mapping[str, Mapping[str, pd.Series]]
    rows: Mapping[str, int]  # each synthesised table's rows
    # table -> identifier column -> each code length's lowest and highest code: the ends of the codes'
    # numbers, which fresh codes must count on past (`synth.tabular._identifiers`)
    code_ends: Mapping[str, Mapping[str, list[str]]]
    child_counts: Mapping[str, pd.Series]  # nested table -> its parent rows per count of its rows (0 included)
    nulls: Mapping[str, Mapping[str, int]]  # table -> column -> its nulls


class RelationalData:
    """Tables (`data[name]` is a DataFrame) that fit `schema`.

    Construction checks every table and column, coerces dtypes to the declared kinds and raises
    one `DataError` listing every problem: missing or extra tables and columns, values that do
    not fit their kind, null or duplicate primary keys, orphan foreign keys.
    """

    def __init__(
        self,
        data: Mapping[str, pd.DataFrame],
        schema: Schema,
        orphans: str = "error",
        formats: Mapping[str, Mapping[str, dict]] | None = None,
        partial: bool = False,
    ):
        """`orphans="drop"` is for messy keys: rows whose parent key is null or unknown are
        dropped with their descendants, unknown lookup keys become null; a warning counts them
        (`self.dropped`). The default, "error", reports them like every other problem.

        Columns are held in their kind's canonical dtype; how the source spelled them (booleans
        as "Y"/"N", int64 keys, dates as text, ...) is kept in `self.formats` (table -> column ->
        format, detected here; `formats` adds to it) and restored by `to_source` and `to_dir`.

        `partial`: the data is a part of a database (`split`, `subset`), so a reference (a foreign
        key that does not nest its rows, see `Schema.references`) may name a row of another part."""
        if not isinstance(schema, Schema):
            raise TypeError(f"schema must be a Schema, got {type(schema).__name__}")
        if orphans not in ("error", "drop"):
            raise ValueError(f"orphans must be 'error' or 'drop', got {orphans!r}")
        self.schema, self.orphans, self.partial = schema, orphans, bool(partial)
        self.dropped: dict[str, int] = {}
        self.formats: dict[str, dict[str, dict]] = {}
        # a sample of a larger database (`SQLSource.sample`): what it knows of the whole; None for data
        # that is all there is (a split or subset of a sample is the data it encodes)
        self.whole: Whole | None = None
        problems: list[str] = []
        # a composite key's row keys (relational/composite.py), which the frames lack unless written with them
        data = add_row_keys(schema, data, problems if orphans == "error" else [])
        self.data = self._coerce_all(data, problems, formats or {})
        # Keys are checked even when columns failed, so one error lists every problem found;
        # parents first, so rows dropped as orphans take their descendants with them.
        order = [t for t in schema.depth_first() if t in self.data] + [t for t in self.data if t in schema.lookups]
        for name in order:
            self._check_primary_key(name, problems)
            self._check_foreign_keys(name, problems, references=False)
        for name in order:  # after every row dropped as an orphan is gone
            self._check_foreign_keys(name, problems, references=True)
            self._check_composite_references(name, problems)
        if self.dropped:
            warnings.warn(f"orphans dropped or nulled: {self.dropped}", stacklevel=2)
        if problems:
            raise DataError(problems)
        if not partial and (roots := _unnested_composite_keys(schema, self.data)):
            warnings.warn(_unnested_warning(schema, roots), stacklevel=2)
        for table, cols in composite_formats(schema).items():  # declared by the schema: kept by generation
            for col, fmt in cols.items():
                if table in self.data and col in self.data[table]:
                    self.formats.setdefault(table, {}).setdefault(col, {}).setdefault(SQL_FORMAT, {}).update(
                        fmt[SQL_FORMAT]
                    )
        for table, cols in (formats or {}).items():
            if table in self.data:
                self.formats.setdefault(table, {}).update(
                    {c: dict(f) for c, f in cols.items() if c in self.data[table]}
                )

    # ---- validation ----------------------------------------------------------------------
    def _coerce_all(
        self, data: Mapping[str, pd.DataFrame], problems: list[str], formats: Mapping[str, Mapping[str, dict]]
    ) -> dict[str, pd.DataFrame]:
        missing = [t for t in self.schema.tables if t not in data]
        extra = [t for t in data if t not in self.schema.tables]
        if missing:
            problems.append(f"table(s) {missing} are in the schema but not in the data")
        if extra:
            problems.append(  # aindo.rdml ignored them; relsynth reads nothing it was not told about, so says so
                f"table(s) {extra} are in the data but not in the schema: add them to the schema or leave them "
                f"out of the data"
            )
        out = {}
        for name in self.schema.tables:
            if name in data:
                df = self._coerce_table(name, data[name], problems, formats.get(name) or {})
                if df is not None:
                    out[name] = df
        return out

    def _coerce_table(
        self, name: str, df: object, problems: list[str], formats: Mapping[str, dict]
    ) -> pd.DataFrame | None:
        """The table with every schema column in its kind's dtype; None when it cannot be read
        (`formats`: the given ones, whose number spellings read their columns: `to_dir`'s output)."""
        if unreadable := frame_problems(name, df):
            problems.extend(unreadable)
            return None
        table = self.schema.tables[name]
        absent = [c for c in table.columns if c not in df.columns]
        unknown = [c for c in df.columns if c not in table.columns]
        spaced = _spaced_names(unknown, absent)  # a CSV header 'id ,x': the schema's names but for spaces
        if spaced:
            problems.append(
                f"table {name!r}: column name(s) {list(spaced)} are the schema's {list(spaced.values())} with "
                "spaces around them: strip them, e.g. df.columns = df.columns.str.strip()"
            )
            absent = [c for c in absent if c not in spaced.values()]
            unknown = [c for c in unknown if c not in spaced]
        if absent:
            problems.append(
                f"table {name!r}: column(s) {absent} are in the schema but not in the data{_row_key_hint(absent, df)}"
            )
        if unknown:
            problems.append(
                f"table {name!r}: column(s) {unknown} are in the data but not in the schema: add them to the "
                f"schema or leave them out, e.g. df[list(schema.tables[{name!r}].all_columns)]"
            )
        cols = {}
        for col, kind in table.columns.items():
            if col not in df.columns:
                continue
            values, ended = self._open_end(df[col], kind.kind, name, col)
            first = day_first(kind)  # declared: 03/05/2021 is 3 May
            date_format = text_datetime_format(values, first) if kind.kind in (Column.DATE, Column.DATETIME) else None
            dated = kind.kind in (Column.DATE, Column.DATETIME)
            if dated and not first and (both := day_first_too(values, date_format)):
                log.warning(
                    "table %r, column %r: every date written like %r reads both month first and day first; read "
                    "month first: if it is day first, declare it so (%s(day_first=True), in a schema YAML "
                    "{%s: {day_first: true}})",
                    name,
                    col,
                    both,
                    type(kind).__name__,
                    kind.kind.value,
                )
            if kind.kind in (Column.INTEGER, Column.NUMERIC):
                _warn_lost_zeros(name, col, df[col])
            series, bad = coerce(values, kind.kind, date_format, (formats.get(col) or {}).get("number"), first)
            if bad.any():
                problems.append(
                    f"table {name!r}, column {col!r} ({kind.kind.value}): {int(bad.sum())} value(s) do not "
                    f"fit the kind, e.g. {_examples(df[col][bad])}{_hint(kind.kind, df[col][bad], name, col)}"
                )
            fmt = source_format(values, kind.kind, date_format, first)
            fmt = {**(fmt or {"dtype": str(df[col].dtype)}), **ended} if ended else fmt
            written = df.attrs.get(CSV_NUMBERS, {}).get(col)  # '5.00' read from a CSV as 5.0 (`read_table`)
            # whole numbers guessed floats ('5' beside '5.0', '5.00'): as the CSV wrote them, not as 5.0
            fmt = written if written and (not fmt or fmt == {"dtype": str(df[col].dtype)}) else fmt
            precision = df.attrs.get(DECIMAL_PRECISION, {}).get(col)
            if fmt is not None and "decimal_places" in fmt and precision:
                # the declared type: its scale is the places (public, like the schema: a DP fit keeps it)
                fmt[DECIMAL_PRECISION] = int(precision)
                fmt["decimal_places"] = int(df.attrs.get(DECIMAL_SCALE, {}).get(col, fmt["decimal_places"]))
            if fmt is not None:
                self.formats.setdefault(name, {})[col] = fmt
            cols[col] = series.reset_index(drop=True)
        return pd.DataFrame(cols, index=pd.RangeIndex(len(df)))

    @staticmethod
    def _open_end(values: pd.Series, kind: Column, table: str, col: str) -> tuple[pd.Series, dict]:
        """`values` with a date column's open end (`_coerce.open_end`: 9999-12-31 in every current
        SCD2 row) or MySQL's zero dates (`_coerce.zero_dates`) made null, and its format; else
        `values` as they are and {}."""
        if kind not in (Column.DATE, Column.DATETIME) or values.dtype == "datetime64[ns]":  # holds no far date
            return values, {}
        _, bad = coerce(values, kind)
        found = zero_dates(values, bad) or open_end(values, bad)
        if found is None:
            return values, {}
        where, fmt = found
        if "zero_date" in fmt and values.isna().any():  # one null for two things: both come back as NULL
            log.warning(
                "table %r, column %r: %d zero date(s) %r read as nulls; the column holds %d NULL(s) too, so they "
                "come back as NULL (make them NULL, or the NULLs zero dates, to keep one meaning)",
                table, col, int(where.sum()), fmt["zero_date"], int(values.isna().sum()),
            )  # fmt: skip
            fmt = {}
        return values.mask(where), fmt

    def _check_primary_key(self, name: str, problems: list[str]) -> None:
        self._check_composite_key(name, problems)
        df, pk = self.data[name], self.schema.tables[name].primary_key
        if pk is None or pk not in df.columns:
            return
        nulls = df[pk].isna()
        if nulls.any():
            problems.append(
                f"table {name!r}, primary key {pk!r}: {int(nulls.sum())} null value(s), at row(s) {_rows(nulls)}"
            )
        dup = df[pk][df[pk].duplicated(keep=False) & ~nulls]
        if len(dup):
            problems.append(
                f"table {name!r}, primary key {pk!r}: {dup.nunique()} duplicated value(s) in {len(dup)} rows, "
                f"e.g. {_examples(dup)}{_duplicates_way_out(df[df[pk].isin(dup)], pk)}"
            )

    def _check_composite_key(self, name: str, problems: list[str]) -> None:
        """Table `name`'s composite primary key (`Table.composite_key`): no null, no pair repeated."""
        df, key = self.data[name], list(self.schema.tables[name].composite_key)
        if not key or not set(key) <= set(df.columns):
            return
        nulls = df[key].isna().any(axis=1)
        if nulls.any():
            problems.append(
                f"table {name!r}, composite primary key {key}: {int(nulls.sum())} row(s) with a null in it, at row(s) "
                f"{_rows(nulls)}"
            )
        dup = df.duplicated(key, keep=False) & ~nulls
        if dup.any():
            pairs = [tuple(r) for r in df.loc[dup, key].drop_duplicates().head(3).astype(object).to_numpy().tolist()]
            problems.append(
                f"table {name!r}, composite primary key {key}: {int(dup.sum())} rows repeat a key, e.g. "
                f"{', '.join(map(str, pairs))}: fix them, or declare a key that tells the rows apart"
            )

    def _check_foreign_keys(self, name: str, problems: list[str], references: bool) -> None:
        """The parent and lookup keys of table `name`, or (`references`) its references."""
        df, edge = self.data[name], self.schema.parent(name)
        referencing = {e.fk for e in self.schema.references(name)}
        for fk, ref in self.schema.tables[name].foreign_keys.items():
            if (fk in referencing) != references:
                continue
            ref_pk = self.schema.tables[ref].primary_key
            if fk not in df.columns or ref not in self.data or ref_pk not in self.data[ref].columns:
                continue  # already reported as a missing table or column
            where = f"table {name!r}, foreign key {fk!r} -> {ref}.{ref_pk}"
            known, given = self.data[ref][ref_pk], df[fk]
            values, unfit = _align_key(given, known.dtype)
            df[fk] = values  # our own frame, built in _coerce_table: no chained assignment
            if unfit.any():
                problems.append(
                    f"{where}: {int(unfit.sum())} value(s) are not integers, as the keys of {ref!r} are, "
                    f"e.g. {_examples(given[unfit])}"
                )
            nulls = values.isna() & ~unfit
            orphan = values.notna() & ~values.isin(pd.Index(known.dropna()))
            if references and self.partial:  # a row of another part of the database
                continue
            is_parent = edge is not None and edge.fk == fk
            if self.orphans == "drop" and (orphan.any() or (is_parent and nulls.any())):
                df = self._drop_orphans(name, fk, orphan, nulls if is_parent else None)
                continue
            if is_parent and nulls.any():
                problems.append(
                    f"{where}: {int(nulls.sum())} null value(s), at row(s) {_rows(nulls)}; "
                    f"every row must belong to a parent row{self._null_parent_way_out(ref)}"
                )
            if orphan.any():
                drop = "drops those rows with their descendants" if is_parent else "makes them null"
                near, misspelt = _near_keys(values[orphan], known, ref)
                way_out = "" if misspelt == int(orphan.sum()) else f" (orphans='drop' {drop})"
                problems.append(
                    f"{where}: {int(orphan.sum())} orphan value(s) not in {ref!r}, e.g. {_examples(values[orphan])}"
                    f"{way_out}{near}"
                )

    def _check_composite_references(self, name: str, problems: list[str]) -> None:
        """Table `name`'s composite foreign keys that do not nest it (a line's (partkey, suppkey)):
        pairs naming no row of the referenced table, which generation would learn as pairs it then
        replaces; `orphans="drop"` makes the columns no other key holds null (a null exempts the row)."""
        if self.partial:  # a row of another part of the database
            return
        for fk, unnamed in unnamed_pairs(self.schema, self.data, name):
            keys = {*self.schema.tables[name].foreign_keys, *self.schema.tables[name].composite_key}
            own = [c for c in fk.columns if c not in keys]
            if self.orphans == "drop" and own:
                self.data[name].loc[unnamed, own] = None
                self.dropped[f"{name}.{row_key_name(fk.columns)}"] = int(unnamed.sum())
                continue
            pairs = [
                tuple(r)
                for r in self.data[name].loc[unnamed, list(fk.columns)].head(3).astype(object).to_numpy().tolist()
            ]
            way_out = f" (orphans='drop' makes {own} null)" if own else ""
            problems.append(
                f"table {name!r}: {int(unnamed.sum())} row(s) whose {row_key_name(fk.columns)} names no row of "
                f"{fk.table!r}, e.g. {', '.join(map(str, pairs))} at row(s) {_rows(unnamed)}{way_out}"
            )

    def _null_parent_way_out(self, ref: str) -> str:
        """The ways out of null parent keys: `ref` named a lookup when it can be one (no keys of its
        own: a code table, such as countries, in which null means unknown), or those rows dropped."""
        drop = "or drop those rows (orphans='drop')"
        if self.schema.tables[ref].foreign_keys:
            return f": {drop}"
        return (
            f": if {ref!r} is a code table that a null key leaves unknown (countries, categories), name it a lookup "
            f"(lookups=[{ref!r}] in from_sql, or the schema's lookups; a lookup is copied as it is, so never a table "
            f"of people or other private records), {drop}"
        )

    def _drop_orphans(self, name: str, fk: str, orphan: pd.Series, null_parent: pd.Series | None) -> pd.DataFrame:
        """Drop rows without a parent (parent key) or null unknown lookup keys; returns the table."""
        df = self.data[name]
        key = f"{name}.{fk}"
        if null_parent is None:  # a lookup key: the row stays, the unknown value goes
            df[fk] = df[fk].mask(orphan)
            self.dropped[key + " (nulled)"] = int(orphan.sum())
        else:
            bad = orphan | null_parent
            df = df[~bad.to_numpy()].reset_index(drop=True)
            self.dropped[key + " (rows dropped)"] = int(bad.sum())
        self.data[name] = df
        return df

    # ---- access --------------------------------------------------------------------------
    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.data[table]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def items(self):
        return self.data.items()

    def __len__(self) -> int:
        return len(self.data)

    def n_rows(self) -> dict[str, int]:
        return {t: len(df) for t, df in self.data.items()}

    def __repr__(self) -> str:
        rows = ", ".join(f"{t}: {n}" for t, n in self.n_rows().items())
        return f"RelationalData({rows})"

    # ---- entities ------------------------------------------------------------------------
    def descendants(self, root_table: str, root_keys: pd.Series | np.ndarray | list) -> dict[str, pd.DataFrame]:
        """Rows of `root_table` with these keys and every row nested under them.

        A root table without a primary key has no descendants; give row positions as its keys.
        """
        pk, df = self.schema.tables[root_table].primary_key, self.data[root_table]
        if pk is None:
            return {root_table: df.iloc[np.sort(np.asarray(root_keys, dtype=np.int64))]}
        keep = {root_table: df[df[pk].isin(list(root_keys))]}
        for table in self.schema.depth_first(root_table)[1:]:
            edge = self.schema.parent(table)
            parent_keys = keep[edge.parent][self.schema.tables[edge.parent].primary_key]
            df = self.data[table]
            keep[table] = df[df[edge.fk].isin(parent_keys)]
        return keep

    def subset(self, root_keys: Mapping[str, pd.Series | np.ndarray | list]) -> RelationalData:
        """The entities of the given root keys (per root table), lookups copied whole.

        For a root table without a primary key, the keys are row positions.
        """
        parts: dict[str, pd.DataFrame] = {t: self.data[t] for t in self.schema.lookups}
        for root in self.schema.roots:
            parts.update(self.descendants(root, root_keys.get(root, [])))
        return RelationalData(
            {t: parts[t].reset_index(drop=True) for t in self.schema.tables},
            self.schema,
            formats=self.formats,
            partial=True,
        )

    def split(self, ratio: float = 0.1, seed: int = 0) -> tuple[RelationalData, RelationalData]:
        """(train, test): a share `ratio` of each root table's entities goes to test.

        Every descendant follows its root; lookup tables are copied to both parts.
        """
        if isinstance(ratio, bool) or not isinstance(ratio, int | float | np.number) or not 0.0 < ratio < 1.0:
            raise ValueError(f"ratio must be between 0 and 1 (exclusive), got {ratio!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise TypeError(f"seed must be an integer, got {seed!r}")
        rng = np.random.default_rng(seed)
        train_keys, test_keys = {}, {}
        for root in self.schema.roots:
            pk = self.schema.tables[root].primary_key
            keys = self.data[root][pk].to_numpy() if pk else np.arange(len(self.data[root]))
            perm = rng.permutation(len(keys))
            n_test = int(round(ratio * len(keys)))
            if len(keys) >= 2:
                n_test = min(max(n_test, 1), len(keys) - 1)
            test_keys[root] = keys[perm[:n_test]]
            train_keys[root] = keys[perm[n_test:]]
        return self.subset(train_keys), self.subset(test_keys)

    # ---- files ---------------------------------------------------------------------------
    def to_source(self, table: str) -> pd.DataFrame:
        """`table` in its source's representation: dtypes and spellings as they came in (`formats`)."""
        fmts = self.formats.get(table, {})
        df = self.data[table]
        return pd.DataFrame({c: to_source(df[c], fmts.get(c)) for c in df.columns}, index=df.index)

    def _stored(self, table: str) -> pd.DataFrame:
        """`to_source(table)` with a CSV's numbers as numbers ('5.00' as 5.0): a parquet file holds them
        as the float they were read as, and its decimals file (`SPELLINGS_FILE`) how to write them."""
        out = self.to_source(table)
        fmts = self.formats.get(table, {})
        numbers = [c for c in out.columns if (fmts.get(c) or {}).get(CSV_NUMBER)]
        # ints beside 'N/A' (pd.read_excel's): a parquet column holds one type, so the nulls stay nulls
        numbers += [c for c in out.columns if (fmts.get(c) or {}).get("blanks") and _values_beside_text(out[c])]
        return out.assign(**{c: self.data[table][c] for c in numbers}) if numbers else out

    def to_dir(self, path: str | Path) -> None:
        """Write one parquet file per table, in the source's representation (`to_source`), and the
        schema as `schema.yaml`, atomically: `path` holds the whole database or its previous content.

        A non-empty `path` without a `schema.yaml` is refused (it was not written here)."""
        with atomic_dir(path, marker=SCHEMA_FILE) as tmp:
            added = declared_row_keys(self.schema)  # the declared keys stand for them: read back, they are added
            for name in self.data:
                frame = self._stored(name).drop(columns=sorted(added.get(name, ())))
                write_parquet(frame, tmp / f"{name}.parquet", self._decimal_types(name))
            write_text_atomic(tmp / SCHEMA_FILE, self.schema.to_yaml())
            sql_types = {
                t: {c: f[SQL_FORMAT] for c, f in cols.items() if SQL_FORMAT in f} for t, cols in self.formats.items()
            }
            spellings = {  # read back in them: generated values may read two ways alone ('1,500'); a CSV's decimals
                t: {
                    c: {k: v for k, v in f.items() if k != SQL_FORMAT}
                    for c, f in cols.items()
                    if f and ("number" in f or f.get(CSV_NUMBER))
                }
                for t, cols in self.formats.items()
            }
            if any(spellings.values()):
                write_text_atomic(tmp / SPELLINGS_FILE, json.dumps({t: c for t, c in spellings.items() if c}, indent=1))
            if any(sql_types.values()):
                write_text_atomic(tmp / SQL_TYPES_FILE, json.dumps({t: c for t, c in sql_types.items() if c}, indent=1))
            if self.partial:
                write_text_atomic(tmp / PART_FILE, json.dumps({"partial": True}))

    def _decimal_types(self, table: str) -> dict[str, tuple[int, int]]:
        """Column -> (precision, scale) of the source's parquet decimals."""
        fmts = self.formats.get(table, {})
        return {
            c: (f[DECIMAL_PRECISION], f["decimal_places"])
            for c, f in fmts.items()
            if f and DECIMAL_PRECISION in f and "decimal_places" in f
        }

    @classmethod
    def from_dir(cls, path: str | Path, schema: Schema | None = None, orphans: str = "error") -> RelationalData:
        """Read `<table>.parquet` or `<table>.csv` for each table of the schema.

        The schema defaults to `schema.yaml` in the same directory. Files of tables that are not
        in the schema are left alone.
        """
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"no directory {path}")
        if schema is None:
            if not (path / SCHEMA_FILE).is_file():
                raise SchemaError(f"no schema given and no {SCHEMA_FILE} in {path}")
            schema = Schema.from_yaml(path / SCHEMA_FILE)
        data = {
            name: read_table(
                path,
                name,
                text_columns=_text_columns(t),
                code_columns=_code_columns(t),
                number_columns=_numbers(t),
                whole_columns=_wholes(t),
            )
            for name, t in schema.tables.items()
        }
        partial = (path / PART_FILE).is_file() and read_json(path / PART_FILE, "part file").get("partial") is True
        spelled = read_json(path / SPELLINGS_FILE, "number spellings file") if (path / SPELLINGS_FILE).is_file() else {}
        out = cls(data, schema, orphans=orphans, partial=partial, formats=spelled)
        if (path / SQL_TYPES_FILE).is_file():  # written by to_dir for data read from a database
            out._add_sql_types(read_json(path / SQL_TYPES_FILE, "SQL types file"))
        return out

    def not_null_columns(self, table: str) -> list[str]:
        """The columns of `table` its source database declares NOT NULL (none for files), less those
        whose 'no value' is held as null and written back as its own value (an open end, 9999-12-31;
        MySQL's zero date): their nulls are to be generated."""
        formats = self.formats.get(table, {})
        return [
            c
            for c, f in formats.items()
            if ((f or {}).get(SQL_FORMAT) or {}).get("nullable") is False and not {"open_end", "zero_date"} & set(f)
        ]

    def differing_columns(self, table: str) -> list[tuple[str, str]]:
        """The pairs of `table`'s columns its source database keeps apart by a CHECK (a <> b), or
        a strict order, CHECK (a < b) (`from_sql`; none for files): a follow's follower and followee."""
        formats = self.formats.get(table, {})
        sql = {c: (f or {}).get(SQL_FORMAT) or {} for c, f in formats.items()}
        strict = {c: [b for b, is_strict in s.get(BELOW, []) if is_strict] for c, s in sql.items()}
        return [
            (c, other)
            for c, s in sql.items()
            for other in [*s.get(DIFFERS_FROM, []), *strict[c]]
            if other in formats or other in self.data.get(table, {})
        ]

    def _add_sql_types(self, sql_types: Mapping[str, Mapping[str, dict]]) -> None:
        """Record each column's SQL type (table -> column -> spec) in `formats`, beside its dtype."""
        for table, cols in sql_types.items():
            for col, spec in cols.items():
                if table in self.data and col in self.data[table]:
                    self.formats.setdefault(table, {}).setdefault(col, {})[SQL_FORMAT] = spec

    # ---- databases (SQLAlchemy; relsynth.relational.sql) ------------------------------------
    @classmethod
    def from_sql(
        cls,
        con: object,
        tables: Sequence[str] | None = None,
        *,
        schema_name: str | Sequence[str] | None = None,
        lookups: Iterable[str] | None = None,
        overrides: object = None,
        exclude: object = None,
        chunk_size: int = 10_000,
        orphans: str = "error",
    ) -> RelationalData:
        """Read a database through SQLAlchemy: its tables, keys and kinds from the catalog.

        `con`: a URL (`"postgresql+psycopg://user:pw@host/db"`, `"sqlite:///chinook.sqlite"`,
        `"duckdb:///x.duckdb"`) or an `sqlalchemy.Engine`. `tables`: the tables to read, in the
        schema's order (default: every table of `schema_name`, the database's default schema when
        None). `schema_name` may list several schemas (`["person", "hr", "sales"]`): their tables are
        then all named `<schema>.<table>` (`hr.employees`, also in `tables`, `lookups`, `overrides`
        and `exclude`), whether or not their names clash, and keys across them are read as any
        other; a key to a schema not listed stops the read, naming it. Primary and foreign keys come from the catalog; column kinds from the SQL types, a
        string type being categorical or text by its values. `lookups`: the lookup tables (default:
        detected, see `relsynth.relational.sql`; `[]`: none). `overrides` wins over reflection: a
        mapping `table -> {column: kind}` as in `Schema.infer`, a `Schema`, or schema YAML (a file
        such as conf/base/schema_chinook.yml, or text) naming any tables and columns, whose
        `lookups` apply when `lookups` is not given. `exclude`: columns to leave out, as if the
        database had none, `{table: [column, ...]}` (a binary, JSON or array column relsynth has no
        kind for). Rows are fetched `chunk_size` at a time in primary-key order. `orphans` as in
        the constructor.

        Keys the model cannot take (composite keys, self-references, two parents, a key to a table
        not read) stop it with one `SchemaError` listing each with the ways out. `schema.inference`
        says why each column got its kind; each column's SQL type is kept in `formats` for `to_sql`.
        """
        from relsynth.relational.sql import read_sql

        read = read_sql(
            con,
            tables,
            schema_name=schema_name,
            lookups=lookups,
            overrides=overrides,
            exclude=exclude,
            chunk_size=chunk_size,
        )
        if read.orphans and orphans == "error":  # else their rows go, named by the null key added to them
            raise DataError(read.orphans)
        data = cls(read.tables, read.schema, orphans=orphans)
        data._add_sql_types(read.sql_types)
        log.info("from_sql: read %s from %s", data.n_rows(), read.where)
        for table, key, start, end in versioned_keys(data.schema, data.data):
            log.warning(
                "from_sql: %r.%r repeats across rows whose (%s, %s) never overlap: versions of one entity (a slowly "
                "changing dimension), generated as rows of their own unless nested: nest_versions(data, %r, %r) "
                "(relsynth.relational.versions) nests them under a table %r",
                table, key, start, end, table, key, entity_table(table, key),
            )  # fmt: skip
        return data

    def to_sql(
        self,
        con: object,
        *,
        schema_name: str | Mapping[str, str] | None = None,
        if_exists: str = "fail",
        chunk_size: int = 10_000,
        shift_keys: bool = False,
    ) -> None:
        """Write the tables to a database with their primary and foreign keys, in one transaction.

        `con`: a URL or an `sqlalchemy.Engine`; `schema_name`: the database schema to write into
        (created when missing; SQLite has none). Tables read from several schemas (`hr.employees`)
        go back into their own schemas (`employees` in `hr`, created when missing) when
        `schema_name` is None, or into others it maps theirs to (`{"hr": "hr_synth"}`); into one
        schema (`schema_name` a name) or SQLite, which has no schemas, each keeps its whole name
        as one identifier (`"hr.employees"`). Tables are created parents first with the SQL
        types they were read with (`from_sql`), or types that hold their kinds, then the rows are
        inserted `chunk_size` at a time. `if_exists`: "fail" (default: refuse when any table
        exists), "replace" (drop and recreate those tables), "append" (insert into tables you
        created). Everything happens in one transaction: a failure leaves the target as it was.
        Values a column would refuse (nulls in a NOT NULL column, strings past its length; with
        "append", rows repeating a UNIQUE constraint of the target, or the key or UNIQUE values of
        a row already there) are listed in a `DataError` before anything is written.
        `shift_keys=True` (with "append": into tables that hold rows, the source's own) moves each
        synthesised table's integer keys, and the foreign keys naming them, past the highest key
        its target table holds, and leaves out the lookup rows whose key the target holds (and the
        days the target holds of a calendar keyed by their yyyymmdd, whose keys stay).
        """
        from relsynth.relational.sql import write_sql

        write_sql(
            self.schema,
            self.data,
            self.formats,
            con,
            schema_name=schema_name,
            if_exists=if_exists,
            chunk_size=chunk_size,
            shift_keys=shift_keys,
        )


def read_table(
    directory: Path,
    name: str,
    text_columns: list[str] | tuple[str, ...] = (),
    code_columns: list[str] | tuple[str, ...] = (),
    number_columns: list[str] | tuple[str, ...] = (),
    whole_columns: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """One table from `<name>.parquet` or `<name>.csv` (empty fields are nulls, "NA" is text).

    From a CSV, `text_columns` are read as strings: left to guessing, a text "007" would become 7.
    `code_columns` (categories, keys and identifiers) are read as guessing reads them, except where a value is
    a number written in a way its number loses (`NUMBER_AS_CODE`): the zip code "00501" stays "00501".
    `number_columns` (numeric) are read as guessing reads them; where that gives floats, their decimals as
    the CSV writes them ('5.00', '0.040') are kept in `df.attrs[CSV_NUMBERS]` (`csv_number_format`), as
    they are for `whole_columns` (integer) that some value writes with a point ('5' beside '5.0').
    """
    parquet, csv = directory / f"{name}.parquet", directory / f"{name}.csv"
    if parquet.is_file():
        return read_parquet(parquet, what=f"table {name!r}")
    if csv.is_file():
        how = {"what": f"table {name!r}", "keep_default_na": False, "na_values": [""]}
        df = read_csv(csv, dtype={c: STRING for c in text_columns}, **how)
        codes = [c for c in code_columns if c in df.columns and c not in text_columns]
        floats = [
            c for c in [*number_columns, *whole_columns] if c in df.columns and pd.api.types.is_float_dtype(df[c].dtype)
        ]
        if codes or floats:  # as text too: where guessing would lose how a value is written, the text stays
            as_text = read_csv(csv, dtype=str, usecols=[*codes, *floats], **how)
            for c in codes:
                if as_text[c].dropna().str.contains(NUMBER_AS_CODE).any():
                    df[c] = as_text[c]
            pointed = {c for c in whole_columns if c in floats and as_text[c].str.contains(".", regex=False).any()}
            floats = [c for c in floats if c not in whole_columns or c in pointed]
            written = {c: csv_number_format(as_text[c], df[c]) for c in floats}
            df.attrs[CSV_NUMBERS] = {c: f for c, f in written.items() if f}
        return df
    raise FileNotFoundError(
        f"table {name!r}: neither {parquet.name} nor {csv.name} in {directory}{_other_files(directory, name)}"
    )


def _other_files(directory: Path, name: str) -> str:
    """What to do with a file that holds table `name` under another name or format (a spreadsheet's
    `name.xlsx`, a legacy export's `NAME.CSV` or `name.txt`), or "" where there is none."""
    found = sorted(f for f in directory.glob("*") if f.stem.casefold() == name.casefold() and f.is_file())
    if not found:
        return ""
    f = found[0]
    if f.suffix.lower() in (".csv", ".parquet"):
        return f"; {f.name} is there: names are matched exactly: rename {f.name} to {name}{f.suffix.lower()}"
    if f.suffix.lower() in (".xlsx", ".xls", ".xlsm", ".ods"):
        how = f"pd.read_excel(file, dtype=str).to_csv('{name}.csv', index=False)"  # as text: a code keeps its zeros
        return f"; {f.name} is there: only <table>.csv and <table>.parquet are read: save {f.name} as {name}.csv (pandas: {how})"
    return f"; {f.name} is there: only <table>.csv and <table>.parquet are read: rename or save {f.name} as {name}.csv"


def _values_beside_text(s: pd.Series) -> bool:
    """Whether an object column holds text (a placeholder, 'N/A') beside values of another type."""
    kinds = {isinstance(v, str) for v in s.dropna()} if s.dtype == object else set()
    return len(kinds) == 2


def _text_columns(table) -> list[str]:
    """The columns of a table read from a CSV as strings: text, and flags, whose spelling ('TRUE' and
    'false', 'Y' and 'N', '1' and '0') comes back only if pandas does not read some of them as bools first."""
    return [*table.text_columns, *(c for c, k in table.columns.items() if k.kind is Column.BOOLEAN)]


def _code_columns(table) -> list[str]:
    """The columns of a table read as codes from a CSV: categories, keys and identifiers (a zip code
    `00501` is generated in its padded shape only if read so)."""
    return [c for c, k in table.columns.items() if k.names_row or k.kind is Column.CATEGORICAL]


def _numbers(table) -> list[str]:
    """The numeric columns of a table, whose decimals a CSV writes ('5.00') and a float loses."""
    return [c for c, k in table.columns.items() if k.kind is Column.NUMERIC]


def _wholes(table) -> list[str]:
    """The integer columns of a table, which a CSV may write with a point ('5.0') a float loses."""
    return [c for c, k in table.columns.items() if k.kind is Column.INTEGER]


def _unnested_composite_keys(schema: Schema, frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, object]]:
    """(table, key) of the root tables whose composite foreign key names a synthesised table's whole
    composite key, in every row, with no row key standing for it (a hand-written YAML's
    `foreign_keys`): nested under that row they would be one entity with it; as declared they are
    roots of their own, their rows paired with generated ones, and `n_samples` counts them as entities."""
    out = []
    for name, table in schema.tables.items():
        if name in schema.lookups or schema.parent(name) is not None or name not in frames:
            continue
        for fk in table.composite_fks:
            ref = schema.tables.get(fk.table)
            if (
                ref is not None
                and fk.table not in schema.lookups
                and fk.table != name
                and set(referenced_columns(schema, fk)) == set(ref.composite_key)
                and row_key_name(fk.columns) not in table.foreign_keys
                and frames[name][list(fk.columns)].notna().all().all()
            ):
                out.append((name, fk))
                break
    return out


# the schema's own warning (`_unnested_warning`): said where the user's data is read, not again for
# each database generated from it (`generated_data`)
UNNESTED_MESSAGE = r"'[^']*' is a root table of its own"


@contextlib.contextmanager
def generated_data() -> Iterator[None]:
    """Within it, a RelationalData built of generated tables does not repeat the warnings its
    schema gave when the source data was read (a YAML composite key leaving a table a root)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=UNNESTED_MESSAGE, category=UserWarning)
        yield


def _unnested_warning(schema: Schema, roots: list[tuple[str, object]]) -> str:
    """The warning naming the root tables `_unnested_composite_keys` found and the lines that nest them."""
    return "; ".join(
        f"{name!r} is a root table of its own: its composite key {row_key_name(fk.columns)} pairs its generated rows "
        f"with generated {fk.table!r} rows, not nested under them (n_samples counts its rows as entities beside the "
        f"other roots'); to nest it, add {row_key_name(fk.columns)!r}: {{foreign_key: {fk.table}}} to its "
        f"columns and {row_key_name(schema.tables[fk.table].composite_key)!r}: primary_key to {fk.table!r}'s "
        "(Schema.infer chooses so)"
        for name, fk in roots
    )


def _row_key_hint(absent: list[str], df: pd.DataFrame) -> str:
    """Where the columns missing are row keys `from_sql` adds for a composite key ('(tenant_id, id)',
    named after the key's columns, which the frame holds: a schema it wrote, given plain frames), what
    they are and the way out; else nothing."""
    keys = [c for c in absent if c.startswith("(") and c.endswith(")")]
    keys = [c for c in keys if all(part in df.columns for part in c[1:-1].split(", "))]
    if not keys:
        return ""
    return (
        f": {keys} name the rows of composite keys, columns RelationalData.from_sql adds when it reads the keys "
        "from the database's catalog (tables nest by them, copying the keys' shared columns), not the frames' "
        "own, and this schema does not declare the keys they stand for: declare them beside the table's columns "
        "(primary_key: [tenant_id, id]; foreign_keys: [{columns: [tenant_id, project_id], table: projects}], as "
        "the schema of from_sql's data writes them), read the data with from_sql, or with from_dir from to_dir's "
        "output, which keeps them"
    )

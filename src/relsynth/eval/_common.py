"""What every evaluation shares: column roles, column encodings, warnings and score arithmetic.

A column takes part in the distribution scores as *continuous* (numeric, integer, date,
datetime, time: compared through numbers, dates as nanoseconds, times as seconds) or as
*discrete* (categorical, boolean, and foreign keys to lookup tables: compared as categories,
a null being a category of its own). Primary keys, parent foreign keys (structure, compared
through children counts) and text columns (compared by `text_scores`) take no part.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational.numbers import to_numbers

CONTINUOUS = "continuous"
DISCRETE = "discrete"
NULL = "<null>"  # the category a null becomes in discrete comparisons
GENERATION = "generation"  # the part a generation warning is listed under in a report's `warnings`
TRAINING = "training"  # the part a warning of the models' fit or training is listed under
_CONTINUOUS_KINDS = {Column.NUMERIC, Column.INTEGER, Column.DATE, Column.DATETIME, Column.TIME}
_DISCRETE_KINDS = {Column.CATEGORICAL, Column.BOOLEAN}


class EvalWarning(UserWarning):
    """A score could not be computed as asked (empty table, all-null column...); it was set to a fallback."""


class Notes:
    """Collects the warnings of one evaluation: each is raised as an `EvalWarning` and kept in a list."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def warn(self, message: str) -> None:
        self.messages.append(message)
        warnings.warn(message, EvalWarning, stacklevel=3)


def column_roles(schema: Schema, table: str) -> dict[str, str]:
    """Column -> CONTINUOUS or DISCRETE for the columns of `table` that distribution scores compare."""
    lookup_fks = schema.lookup_fks(table)
    roles = {}
    for col, kind in schema.tables[table].columns.items():
        if kind.kind in _CONTINUOUS_KINDS:
            roles[col] = CONTINUOUS
        elif kind.kind in _DISCRETE_KINDS or col in lookup_fks:
            roles[col] = DISCRETE
    return roles


def label_column(schema: Schema, lookup: str) -> str | None:
    """The column that names a lookup's rows (genre "Rock"): its first text or categorical column."""
    for col, kind in schema.tables[lookup].columns.items():
        if kind.kind in (Column.TEXT, Column.CATEGORICAL):
            return col
    return None


def lookup_labels(data: RelationalData, table: str) -> dict[str, dict[str, str]]:
    """Lookup FK column of `table` -> {key as its category string -> the lookup row's label}.

    Keys are written as `as_category` writes them, so the map applies to encoded columns. A label
    shared by two keys keeps its key in brackets, so two bars never carry the same name.
    """
    out = {}
    for fk, lookup in data.schema.lookup_fks(table).items():
        col, pk = label_column(data.schema, lookup), data.schema.tables[lookup].primary_key
        if col is None or pk is None:
            continue
        keys = as_category(data[lookup][pk]).tolist()
        names = [str(v) if pd.notna(v) else k for v, k in zip(data[lookup][col], keys, strict=True)]
        repeated = {n for n, c in Counter(names).items() if c > 1}
        out[fk] = {k: f"{n} ({k})" if n in repeated else n for k, n in zip(keys, names, strict=True)}
    return out


def check_same_schema(reference: RelationalData, other: RelationalData, what: str) -> None:
    """Raise if `other` lacks a table or column of `reference`, or declares one with another kind."""
    problems = []
    for name, table in reference.schema.tables.items():
        if name not in other.schema.tables:
            problems.append(f"table {name!r} is missing")
            continue
        theirs = other.schema.tables[name].columns
        for col, kind in table.columns.items():
            if col not in theirs:
                problems.append(f"column {name}.{col} is missing")
            elif theirs[col].kind != kind.kind:
                problems.append(f"column {name}.{col} is {theirs[col].kind.value}, expected {kind.kind.value}")
    if problems:
        raise ValueError(f"{what} does not have the schema of the real data: " + "; ".join(problems))


def as_float(s: pd.Series) -> np.ndarray:
    """A continuous column as float64 (NaN for nulls): dates as nanoseconds, times as seconds."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
        out[s.isna().to_numpy()] = np.nan
        return out
    if s.dtype == object and s.map(lambda v: isinstance(v, dt.time)).any():
        return s.map(_seconds).to_numpy(dtype="float64")
    return to_numbers(s).astype("float64").to_numpy(dtype="float64", na_value=np.nan)


def _seconds(v: object) -> float:
    if isinstance(v, dt.time):
        return v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6
    return np.nan


def as_category(s: pd.Series) -> pd.Series:
    """A discrete column as strings, nulls as the `NULL` category (so they count as a value)."""
    out = s.astype(object).where(s.notna(), None)
    return out.map(_category).astype(object)


def _category(v: object) -> str:
    if v is None:
        return NULL
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))  # 3.0 from a float column with nulls is the category 3
    return str(v)


def encode(df: pd.DataFrame, roles: dict[str, str]) -> pd.DataFrame:
    """The compared columns of `df`: continuous as float64 (NaN nulls), discrete as strings (NULL nulls)."""
    cols = {}
    for col, role in roles.items():
        cols[col] = as_float(df[col]) if role == CONTINUOUS else as_category(df[col]).to_numpy()
    return pd.DataFrame(cols, index=pd.RangeIndex(len(df)))


def subsample(df: pd.DataFrame, n_max: int, seed: int) -> pd.DataFrame:
    """At most `n_max` rows of `df`, the same ones for the same seed."""
    if len(df) <= n_max:
        return df
    return df.sample(n=n_max, random_state=seed).reset_index(drop=True)


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None/NaN, or None when there are none."""
    vals = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return round(float(np.mean(vals)), 4) if vals else None


def pct(score: float | None) -> float | None:
    """A 0–1 score as a float on the 0–100 scale (None stays None)."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return None
    return round(100.0 * float(np.clip(score, 0.0, 1.0)), 4)


def rnd(value: float | None, digits: int = 6) -> float | None:
    """A plain Python float (or None), rounded for a readable JSON."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, digits)


def plain(tree: object) -> object:
    """`tree` with numpy scalars as Python numbers and NaN/inf as None, so `json.dumps` writes valid JSON."""
    if isinstance(tree, dict):
        return {str(k): plain(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [plain(v) for v in tree]
    if isinstance(tree, np.generic):
        tree = tree.item()
    if isinstance(tree, float) and not math.isfinite(tree):
        return None
    return tree

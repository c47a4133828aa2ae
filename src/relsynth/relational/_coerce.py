"""Coerce a column to the dtype of its kind, reporting values that do not fit.

Each function returns (coerced series, mask of non-null inputs that could not be read).
Dtypes are explicit so the code behaves the same under pandas 2 and 3.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from relsynth.relational.columns import Column

STRING = pd.StringDtype()
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _key(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Keys stay integers when every value is an integer, else become strings."""
    if ptypes.is_integer_dtype(s.dtype):
        return s.astype("Int64"), pd.Series(False, index=s.index)
    numbers = pd.to_numeric(s, errors="coerce")
    if s.notna().any() and numbers[s.notna()].notna().all() and (numbers.dropna() % 1 == 0).all():
        return numbers.astype("Int64"), pd.Series(False, index=s.index)
    return s.astype(STRING), pd.Series(False, index=s.index)


def _numeric(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = pd.to_numeric(s, errors="coerce") if not ptypes.is_numeric_dtype(s.dtype) else s
    out = out.astype("float64")
    return out, s.notna() & out.isna()


def _integer(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    num, bad = _numeric(s)
    fractional = num.notna() & (num % 1 != 0)
    return num.where(~fractional).round().astype("Int64"), bad | fractional


def _datetime(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_datetime64_any_dtype(s.dtype):
        out = s
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pd.to_datetime(s, errors="coerce", format="mixed")
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    out = out.astype("datetime64[ns]")
    return out, s.notna() & out.isna()


def _date(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = _datetime(s)
    return out.dt.normalize(), bad


def _time(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    def parse(v: object) -> dt.time | None:
        if isinstance(v, dt.time):
            return v
        try:
            return dt.time.fromisoformat(str(v).strip())
        except ValueError:
            return None

    out = s.map(lambda v: parse(v) if pd.notna(v) else None).astype(object)
    return out, s.notna() & out.isna()


def _boolean(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_bool_dtype(s.dtype):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    low = s.astype(STRING).str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[low.isin(_TRUE).fillna(False).to_numpy(bool)] = True
    out[low.isin(_FALSE).fillna(False).to_numpy(bool)] = False
    return out, s.notna() & out.isna()


def _categorical(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype):
        return s.astype(STRING), pd.Series(False, index=s.index)
    return s, pd.Series(False, index=s.index)


def _text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    return s.astype(STRING), pd.Series(False, index=s.index)


COERCERS = {
    Column.PRIMARY_KEY: _key,
    Column.FOREIGN_KEY: _key,
    Column.NUMERIC: _numeric,
    Column.INTEGER: _integer,
    Column.DATETIME: _datetime,
    Column.DATE: _date,
    Column.TIME: _time,
    Column.BOOLEAN: _boolean,
    Column.CATEGORICAL: _categorical,
    Column.TEXT: _text,
}


def coerce(s: pd.Series, kind: Column) -> tuple[pd.Series, np.ndarray]:
    out, bad = COERCERS[kind](s)
    return out, bad.to_numpy(dtype=bool)

"""Coerce a column to the dtype of its kind, reporting values that do not fit.

Each function returns (coerced series, mask of non-null inputs that could not be read).
Dtypes are explicit so the code behaves the same under pandas 2 and 3.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from relsynth.relational.columns import Column

STRING = pd.StringDtype()
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _none_bad(s: pd.Series) -> pd.Series:
    return pd.Series(False, index=s.index)


def _key(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Keys stay integers when every value is an integer, else become strings."""
    if ptypes.is_integer_dtype(s.dtype):
        return s.astype("Int64"), _none_bad(s)
    ints = _as_int_keys(s)
    return (ints if ints is not None else s.astype(STRING)), _none_bad(s)


def _as_int_keys(s: pd.Series) -> pd.Series | None:
    """The keys as Int64 when every value is an integer written plainly ("7", 7.0), else None.

    A string such as "07" keeps the column textual: reading it as 7 would merge it with "7".
    """
    vals = s.dropna()
    if vals.empty:
        return None
    numbers = pd.to_numeric(vals, errors="coerce").astype("float64")
    if not (numbers % 1 == 0).all():  # NaN (not a number) and inf also fail here
        return None
    ints = pd.to_numeric(vals, errors="coerce").astype("Int64")
    if not ptypes.is_numeric_dtype(s.dtype) and not (vals.astype(str).str.strip() == ints.astype(str)).all():
        return None
    return pd.to_numeric(s, errors="coerce").astype("Int64")


def _numeric(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = pd.to_numeric(s, errors="coerce") if not ptypes.is_numeric_dtype(s.dtype) else s
    out = out.astype("float64")
    return out, s.notna() & out.isna()


def _integer(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Integers go straight to Int64: a detour through float64 loses digits past 2**53.
    if ptypes.is_integer_dtype(s.dtype):
        return s.astype("Int64"), _none_bad(s)
    if not ptypes.is_numeric_dtype(s.dtype):
        exact = pd.to_numeric(s, errors="coerce")
        if ptypes.is_integer_dtype(exact.dtype):
            return exact.astype("Int64"), _none_bad(s)
    num, bad = _numeric(s)
    fractional = num.notna() & (num % 1 != 0)  # inf % 1 is NaN, so inf counts as fractional
    return num.where(~fractional).round().astype("Int64"), bad | fractional


_NS_MIN, _NS_MAX = pd.Timestamp.min, pd.Timestamp.max


def _datetime(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_datetime64_any_dtype(s.dtype):
        out = s.dt.tz_convert("UTC").dt.tz_localize(None) if s.dt.tz is not None else s
        out = out.where((out >= _NS_MIN) & (out <= _NS_MAX))  # beyond what datetime64[ns] holds
    else:
        # utc=True reads values with different offsets into one column; naive values keep their wall time.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = pd.to_datetime(s, errors="coerce", format="mixed", utc=True).dt.tz_localize(None)
    out = out.astype("datetime64[ns]")
    return out, s.notna() & out.isna()


def _date(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = _datetime(s)
    return out.dt.normalize(), bad


_SHORT_HOUR = re.compile(r"^\d:\d\d")


def _parse_time(v: object) -> dt.time | None:
    """A time of day from a `time`, a datetime (its time part) or an ISO string ("9:30" too)."""
    if isinstance(v, dt.datetime):
        return v.time()
    if isinstance(v, dt.time):
        return v
    text = str(v).strip()
    if _SHORT_HOUR.match(text):  # fromisoformat wants two-digit hours; infer accepts one
        text = "0" + text
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        return None


def _time(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = pd.Series([_parse_time(v) if pd.notna(v) else None for v in s], index=s.index, dtype=object)
    return out, s.notna() & out.isna()


def _boolean(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_bool_dtype(s.dtype):
        return s.astype("boolean"), _none_bad(s)
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    if ptypes.is_numeric_dtype(s.dtype):
        # 1/0 read from a CSV with gaps arrive as 1.0/0.0; their text would not match "1"/"0".
        num = s.astype("float64")
        out[(num == 1).to_numpy(bool)] = True
        out[(num == 0).to_numpy(bool)] = False
        return out, s.notna() & out.isna()
    low = s.astype(STRING).str.strip().str.lower()
    out[low.isin(_TRUE).fillna(False).to_numpy(bool)] = True
    out[low.isin(_FALSE).fillna(False).to_numpy(bool)] = False
    return out, s.notna() & out.isna()


def _categorical(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype):
        return s.astype(STRING), _none_bad(s)
    return s, _none_bad(s)


def _text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    return s.astype(STRING), _none_bad(s)


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

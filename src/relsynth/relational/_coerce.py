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
    if not (numbers % 1 == 0).all() or (numbers.abs() >= 2.0**63).any():  # NaN, inf, beyond int64: text
        return None
    ints = pd.to_numeric(vals, errors="coerce").astype("Int64")
    if not ptypes.is_numeric_dtype(s.dtype) and not (vals.astype(str).str.strip() == ints.astype(str)).all():
        return None
    return pd.to_numeric(s, errors="coerce").astype("Int64")


def _numeric(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Finite float64: text that is no number, and ±inf (no place in a bin), do not fit."""
    out = pd.to_numeric(s, errors="coerce") if not ptypes.is_numeric_dtype(s.dtype) else s
    out = out.astype("float64")
    infinite = np.isinf(out.to_numpy(dtype="float64", na_value=np.nan))
    return out.mask(infinite), (s.notna() & out.isna()) | infinite


def _integer(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Integers go straight to Int64: a detour through float64 loses digits past 2**53.
    if ptypes.is_integer_dtype(s.dtype) and _fits_int64(s):
        return s.astype("Int64"), _none_bad(s)
    if not ptypes.is_numeric_dtype(s.dtype):
        exact = pd.to_numeric(s, errors="coerce")
        if ptypes.is_integer_dtype(exact.dtype) and _fits_int64(exact):
            return exact.astype("Int64"), _none_bad(s)
    num, bad = _numeric(s)
    fractional = num.notna() & (num % 1 != 0)
    too_big = num.abs() >= 2.0**63  # beyond int64: listed as a problem, never a cast error
    unfit = fractional | too_big
    return num.where(~unfit).round().astype("Int64"), bad | unfit


def _fits_int64(s: pd.Series) -> bool:
    if s.dtype.kind != "u" and not (ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)):
        return True
    vals = s.dropna()
    return bool(len(vals) == 0 or vals.max() < 2**63)


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


# ---- the source's representation: detected on the way in, restored on the way out --------------
# A format is a small JSON-able dict: {"dtype": the source's dtype} plus, for booleans written as
# text or numbers, {"true": spelling, "false": spelling}, and for dates and times held as text,
# {"strftime": pattern}. None: the canonical dtype is the source's.
_PAIRS = {"y": "n", "yes": "no", "t": "f", "true": "false", "1": "0"}
_PAIRS.update({v: k for k, v in _PAIRS.items()})
_STRFTIME = [
    (r"^\d{4}-\d{2}-\d{2}$", "%Y-%m-%d"),
    (r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", "%Y-%m-%d %H:%M:%S"),
    (r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", "%Y-%m-%dT%H:%M:%S"),
    (r"^\d{2}:\d{2}:\d{2}$", "%H:%M:%S"),
    (r"^\d{2}:\d{2}$", "%H:%M"),
]
_CANONICAL = {
    Column.PRIMARY_KEY: ("Int64", "string"),
    Column.FOREIGN_KEY: ("Int64", "string"),
    Column.NUMERIC: ("float64",),
    Column.INTEGER: ("Int64",),
    Column.BOOLEAN: ("boolean",),
    Column.CATEGORICAL: (),  # categories keep their own dtype (see _categorical)
    Column.TEXT: ("string",),
    Column.DATE: ("datetime64[ns]",),
    Column.DATETIME: ("datetime64[ns]",),
    Column.TIME: ("object",),
}


SQL_FORMAT = "sql"  # a format's key for the column's SQL type, read from a database (relational/sql.py)


def source_format(s: pd.Series, kind: Column) -> dict | None:
    """How the source spells column `s` of this kind, when that differs from the canonical dtype."""
    dtype = str(s.dtype)
    if kind is Column.BOOLEAN and not ptypes.is_bool_dtype(s.dtype):
        return _bool_spelling(s)
    if kind in (Column.DATE, Column.DATETIME, Column.TIME) and (
        ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)
    ):
        vals = s.dropna()
        if len(vals) and all(isinstance(v, str) for v in vals):
            for pattern, fmt in _STRFTIME:
                if vals.str.match(pattern).all():
                    return {"dtype": dtype, "strftime": fmt}
        return None
    if kind is Column.CATEGORICAL:  # numbers stay as they are; text becomes "string" in memory
        return {"dtype": dtype} if ptypes.is_object_dtype(s.dtype) else None
    if dtype in _CANONICAL[kind]:
        return None
    if dtype in ("float64", "float32") and kind in (Column.INTEGER, Column.PRIMARY_KEY, Column.FOREIGN_KEY):
        return None  # integers with gaps, read from a CSV: they stay integers (Int64)
    return {"dtype": dtype}


def _bool_spelling(s: pd.Series) -> dict | None:
    if ptypes.is_numeric_dtype(s.dtype):
        return {"dtype": str(s.dtype), "true": 1, "false": 0}
    vals = s.dropna().astype(str)
    if vals.empty:
        return None
    low = vals.str.strip().str.lower()
    spell = {}
    for side, words in (("true", _TRUE), ("false", _FALSE)):
        seen = vals[low.isin(words)]
        if len(seen):
            spell[side] = str(seen.value_counts().index[0])
    for side, other in (("true", "false"), ("false", "true")):  # only one value seen: its partner, same case
        if side not in spell and other in spell:
            partner = _PAIRS.get(spell[other].strip().lower(), side)
            word = spell[other]
            spell[side] = partner.upper() if word.isupper() else partner.title() if word.istitle() else partner
    return {"dtype": str(s.dtype), **spell} if spell else None


def to_source(s: pd.Series, fmt: dict | None) -> pd.Series:
    """A canonical column back in its source's representation (unchanged when that cannot hold it)."""
    if not fmt:
        return s
    if "true" in fmt:
        out = s.astype(object).map({True: fmt["true"], False: fmt["false"]}, na_action="ignore")
        return _as_dtype(out.where(s.notna(), None), fmt["dtype"], s)
    if "strftime" in fmt:
        if ptypes.is_datetime64_any_dtype(s.dtype):
            out = s.dt.strftime(fmt["strftime"])
        else:
            out = s.map(lambda t: t.strftime(fmt["strftime"]), na_action="ignore")
        return _as_dtype(out.astype(object).where(s.notna(), None), fmt["dtype"], s)
    return _as_dtype(s, fmt["dtype"], s) if "dtype" in fmt else s  # e.g. only an SQL type (relational.sql)


def _as_dtype(out: pd.Series, dtype: str, fallback: pd.Series) -> pd.Series:
    if dtype.startswith(("int", "uint", "bool")) and out.isna().any():
        return fallback  # a numpy int or bool cannot hold nulls: the nullable canonical dtype stays
    try:
        return out.astype(dtype)
    except (TypeError, ValueError):
        return fallback

"""Values read as numbers: the one place the library calls `pd.to_numeric`.

pandas 2.3's C number parser kills the process (a segfault, no exception) on a string whose exponent
passes 32 bits, which a hexadecimal hash may spell: "6991e59055083123824fa0..." is digits, an e and a
14-digit exponent (pandas-dev/pandas#63089). `to_numeric` and `astype` of text go through that parser;
Python's `float` does not. Every column a user's data may hold is read through `to_numbers`, which
gives such strings to `float` (inf, or 0.0 for a negative exponent) and the rest to pandas, as before.
`tests/relational/test_number_reader.py` fails where `pd.to_numeric` is called anywhere else.
"""

from __future__ import annotations

import re
from typing import Literal, TypeVar

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

# An exponent of 10 digits or more: past 2**31 from 2147483648 on (the parser's int overflows), and
# 1e1000000000 is inf either way. Searched anywhere in the value: what float cannot read stays NaN.
_HUGE_EXPONENT = re.compile(r"[eE][+-]?\d{10,}")

Values = TypeVar("Values", pd.Series, pd.Index, np.ndarray)


def to_numbers(values: Values, errors: Literal["coerce", "raise"] = "coerce") -> Values:
    """`pd.to_numeric(values, errors=errors)` (a Series, an Index or an array, returned as one), without pandas'
    crash on huge exponents: values holding one are read by Python's float."""
    if not isinstance(values, pd.Series):  # an array, an Index or a list: returned as pandas would
        if np.asarray(values).dtype.kind in "biuf":  # numbers already: nothing for the text parser to see
            return pd.to_numeric(values, errors=errors)
        out = to_numbers(pd.Series(np.asarray(values, dtype=object)), errors)
        return pd.Index(out) if isinstance(values, pd.Index) else out.to_numpy()
    if ptypes.is_numeric_dtype(values.dtype) or ptypes.is_bool_dtype(values.dtype):
        return pd.to_numeric(values, errors=errors)
    huge = values.map(lambda v: isinstance(v, str) and _HUGE_EXPONENT.search(v) is not None).to_numpy(dtype=bool)
    if not huge.any():
        return pd.to_numeric(values, errors=errors)
    out = pd.to_numeric(values.astype(object).mask(huge, None), errors=errors).astype("float64")
    out[huge] = [_python_float(v, errors) for v in values[huge]]
    return out


def is_huge_exponent(text: str) -> bool:
    """Whether pandas' number parser would crash on `text` (an exponent of 10 digits or more)."""
    return _HUGE_EXPONENT.search(text) is not None


def _python_float(text: str, errors: str) -> float:
    """`text` as Python's float reads it; NaN (or a ValueError, errors="raise") where pandas would find no
    number (float alone would also read 1_000e1234567890)."""
    try:
        if "_" in text:
            raise ValueError(f"Unable to parse string {text!r}")
        return float(text)
    except ValueError:
        if errors == "raise":
            raise
        return np.nan

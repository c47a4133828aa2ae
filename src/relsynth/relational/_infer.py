"""Guess a column's kind from its values (used by `Schema.infer`)."""

from __future__ import annotations

import warnings

import pandas as pd
from pandas.api import types as ptypes

from relsynth.relational.columns import Column

_TRUE_FALSE = {"true", "false", "yes", "no", "t", "f", "y", "n"}
_TIME_PATTERN = r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"
_DATE_LIKE = r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"


def infer_kind(values: pd.Series, in_lookup: bool = False) -> Column:
    """The most plausible kind for a non-key column (never text in a lookup table)."""
    kind = _guess(values)
    # A lookup is copied, never written by the text model: its values are labels (genre names).
    return Column.CATEGORICAL if in_lookup and kind is Column.TEXT else kind


def _guess(values: pd.Series) -> Column:
    s = values.dropna()
    if ptypes.is_bool_dtype(values.dtype):
        return Column.BOOLEAN
    if ptypes.is_datetime64_any_dtype(values.dtype):
        return _date_or_datetime(pd.to_datetime(s))
    if ptypes.is_numeric_dtype(values.dtype):
        if len(s) and (s.astype(float) % 1 == 0).all():
            return Column.INTEGER
        return Column.NUMERIC
    if len(s) == 0:
        return Column.CATEGORICAL
    text = s.astype(str).str.strip()
    if text.str.lower().isin(_TRUE_FALSE).all() and text.str.lower().nunique() <= 2:
        return Column.BOOLEAN
    if text.str.match(_TIME_PATTERN).all():
        return Column.TIME
    if text.str.match(_DATE_LIKE).mean() > 0.99:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        if parsed.notna().mean() > 0.99:
            return _date_or_datetime(parsed.dropna())
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        return Column.INTEGER if (numbers % 1 == 0).all() else Column.NUMERIC
    return _categorical_or_text(text)


def _date_or_datetime(s: pd.Series) -> Column:
    if len(s) and (s.dt.normalize() == s).all():
        return Column.DATE
    return Column.DATETIME


def _categorical_or_text(text: pd.Series) -> Column:
    """Text: mostly unique values of several words or long strings; else categorical."""
    unique_share = text.nunique() / len(text)
    words = text.str.split().str.len().mean()
    if unique_share > 0.5 and (words >= 1.5 or text.str.len().mean() >= 20):
        return Column.TEXT
    return Column.CATEGORICAL

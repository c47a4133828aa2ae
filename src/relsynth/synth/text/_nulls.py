"""Which rows' texts are null: the null rate per value of the one column of the row that best
tells (`null_by`: a forum's answers have no title, its questions always one), so generation
writes a text where rows like it have one (`row_null_rates`), not at one rate for every row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Column
from relsynth.synth.core.nulls import telling_column

MIN_ROWS = 20  # a value tells a rate only when this many rows hold it (as rare categories are protected)
NULL_KEY = "<null>"  # the key of a missing value
NAMING = {Column.PRIMARY_KEY, Column.IDENTIFIER, Column.FOREIGN_KEY}  # only their nulls tell: values are fresh


def value_keys(values: pd.Series, kind: Column) -> np.ndarray:
    """Each value as the string `null_by` keys it by: `NULL_KEY` for a missing one, only missing or
    not for keys and codes (a generated row's are fresh), numbers as floats (1 and 1.0 alike)."""
    missing = values.isna().to_numpy()
    if kind in NAMING:
        return np.where(missing, NULL_KEY, "")
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        text = values.astype("Float64").astype(object).map(lambda v: NULL_KEY if pd.isna(v) else repr(float(v)))
    else:
        text = values.astype(object).map(lambda v: NULL_KEY if pd.isna(v) else str(v))
    return text.to_numpy(dtype=object).astype(str)


def null_by(frame: pd.DataFrame, kinds: dict[str, Column], null: np.ndarray) -> list:
    """[column, [[value key, null rate], ...]]: the column of `kinds` whose values best tell which
    rows' texts are `null` (`core.nulls.telling_column`), with the rate of each value held by
    `MIN_ROWS` rows at least; [] where none does."""
    found = telling_column(((c, value_keys(frame[c], kind)) for c, kind in kinds.items()), null, MIN_ROWS)
    return [] if found is None else [found[0], [[str(k), rate] for k, rate in found[1]]]


def row_null_rates(fitted: list, frame: pd.DataFrame, kinds: dict[str, Column], overall: float) -> np.ndarray:
    """Each row of `frame`'s chance that its text is null: its value's rate in the column that
    tells (`null_by`), else the `overall` rate (also for a column the frame lacks)."""
    out = np.full(len(frame), overall, dtype=np.float64)
    if not fitted or fitted[0] not in frame.columns or fitted[0] not in kinds:
        return out
    col, rates = fitted
    lookup = {str(k): float(r) for k, r in rates}
    keys = value_keys(frame[col], kinds[col])
    known = np.isin(keys, list(lookup))
    out[known] = [lookup[k] for k in keys[known]]
    return out

"""A text column that writes a number of its row: a lab result's `value_text` is its `value_num`
as written (129.93, 4.1, 12) wherever the number is held, and a qualifier ('<0.1') where it is
not. The text model sees the number in its context rounded (`digits`), so it wrote other digits:
1,534 of 1,629 generated lab texts of a clinical database disagreed with their own number. The
fit keeps the number column whose every held value (`MIN_ROWS` at least) the text writes in its
shortest form (`written`); generation writes the text so wherever the row holds the number, the
model's own text elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column

MIN_ROWS = 20  # rows holding the number, at least


def written(values: pd.Series) -> list[str]:
    """Each number in its shortest form: 129.93, 4.1, 12 (not 12.0), -0.5."""
    return [np.format_float_positional(float(v), trim="-") for v in values]


def number_written(df: pd.DataFrame, text: str, kinds: Mapping[str, Column]) -> str | None:
    """The number column of `df` (`kinds`: each column's kind) whose every held value the text
    column writes (`written`), in `MIN_ROWS` rows at least; None where there is none."""
    for col, kind in kinds.items():
        if kind not in (Column.NUMERIC, Column.INTEGER) or col not in df:
            continue
        held = df[col].notna().to_numpy()
        if held.sum() < MIN_ROWS:
            continue
        texts = df[text].to_numpy(dtype=object)[held]
        if all(isinstance(t, str) for t in texts) and texts.tolist() == written(df[col][held]):
            return col
    return None


def write_numbers(values: np.ndarray, df: pd.DataFrame, col: str | None) -> int:
    """Set (in place) `values` (the texts, one per row of `df`) to their row's number `col` written,
    where the row holds it; the rows so written."""
    if col is None or col not in df:
        return 0
    held = df[col].notna().to_numpy()
    values[held] = written(df[col][held])
    return int(held.sum())

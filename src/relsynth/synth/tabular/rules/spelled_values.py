"""A text column that spells a number of its row wherever that number is present: a lab result's
`value` ('141', '0.94', or a label where no number is: '<0.5', 'POS') beside its `valuenum`.

The text is a categorical column whose numbers are mostly rare (a value each), so the model drew
one of its few frequent ones and the number apart from it: 1,610 of 2,908 generated lab results
of a hospital database spelt another number than their `valuenum` (a white-cell count of '141',
the sodium's frequent value, its number 141 too). The fit keeps, per categorical column and
number column of its row, the spelling (`SPELLINGS`: the shortest, or a fixed number of
decimals) in which the text is the number in every training row holding the number (`MIN_ROWS`
at least). Its `<rare>` token is then generated (`CategoricalPreproc.rare_spelled`: it stands for
a number, which the row's number column spells, so no rare value is replayed), and generation
writes the text from the generated number wherever the row holds one. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows holding the number (and so its spelling), at least
SCREEN = 200  # rows a spelling is tried on before the whole column (TPC-H sf 0.01's fit: 15.6 s of 38.6 s here)
SPELLINGS = ["shortest", *(f"{d}f" for d in range(7))]  # '0.94' / '141'; or always 2 decimals: '141.00'


def spell(x: pd.Series, spelling: str) -> pd.Series:
    """Numbers `x` as text in `spelling` (missing stays missing)."""
    v = pd.to_numeric(x, errors="coerce").astype("float64")
    if spelling == "shortest":  # repr's digits, a whole number without its '.0'
        text = v.map(lambda n: _shortest(n), na_action="ignore")
    else:
        text = v.map(lambda n: f"{n + 0.0:.{spelling}}", na_action="ignore")
    return text.astype("string")


def _shortest(n: float) -> str:
    text = repr(float(n) + 0.0)  # + 0.0: no '-0'
    return text[:-2] if text.endswith(".0") else text


def find_spelled_values(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "number", "spelling"}]: `table.column` (categorical) is `spell(number,
    spelling)` in every row where `number` (a number column of its row) is present. Not a root's
    context columns."""
    out = []
    for table in data.schema.synth_tables:
        columns = data.schema.tables[table].columns
        given = pre.given_columns(table)
        texts = [c for c, k in columns.items() if k.kind is Column.CATEGORICAL and c not in given]
        numbers = pre.float_numbers(table, columns)
        screens: dict[tuple[str, str], np.ndarray] = {}  # a wide table's numbers spelt once, not once a text column
        for col in texts:
            for number in numbers:
                if (spelling := _spelling(data[table][col], data[table][number], screens)) is not None:
                    log.info(
                        "%s.%s spells %s.%s (%s) where it is present: written so", table, col, table, number, spelling
                    )
                    out.append({"table": table, "column": col, "number": number, "spelling": spelling})
                    break
    return out


def _spelling(
    text: pd.Series, number: pd.Series, screens: dict[tuple[str, str], np.ndarray] | None = None
) -> str | None:
    """The first of `SPELLINGS` in which `text` is `number` in every row holding the number.
    `screens`: (number's name, spelling) -> its first held rows spelt, kept across calls."""
    held = number.notna().to_numpy()
    if held.sum() < MIN_ROWS or (text := text[held]).isna().any():
        return None
    numbers, words = number[held], None
    head = _words(text.iloc[:SCREEN])  # the first rows first: spelling (and stripping) every row is slow
    screens = {} if screens is None else screens
    for spelling in SPELLINGS:  # and most pairs differ at once
        key = (str(number.name), spelling)
        if key not in screens:
            screens[key] = spell(numbers.iloc[:SCREEN], spelling).to_numpy(dtype=object)
        if bool((screens[key] == head).all()):
            words = _words(text) if words is None else words
            if _spelt(numbers, words, spelling):
                return spelling
    return None


def _words(text: pd.Series) -> np.ndarray:
    return text.astype("string").str.strip().to_numpy(dtype=object)


def _spelt(numbers: pd.Series, words, spelling: str) -> bool:
    return bool((spell(numbers, spelling).to_numpy(dtype=object) == words).all())


def spelled_columns(rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) of the text columns the rules write."""
    return {(r["table"], r["column"]) for r in rules}


def apply_spelled_values(rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Write (in place) each rule's text from its row's number where the row holds one; elsewhere
    the generated label stays (`<rare>` drawn without a number: missing)."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame):
            continue
        held = frame[r["number"]].notna().to_numpy()
        text = spell(frame[r["number"]], r["spelling"])
        column = frame[r["column"]]
        if isinstance(column.dtype, pd.CategoricalDtype):  # a label the categories lack: the column as text
            column = column.astype("string")
        frame[r["column"]] = column.where(~held, text).astype(column.dtype)
        if held.any():
            log.debug("%s.%s: %d value(s) written from %s", r["table"], r["column"], int(held.sum()), r["number"])

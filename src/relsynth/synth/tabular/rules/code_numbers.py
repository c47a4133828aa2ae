"""An integer that is the number written inside a code of its row: a booking's `row_number` 12
beside its seat `12C`, a flight's number 1935 beside its code `BA1935`.

The model draws the two as separate tokens (the code as a label, or fresh in its format where it is
an identifier), so they disagree in some generated rows: a small model gave 8 to 10 % of an
airline's bookings a row number their seat does not hold. The fit keeps, per integer column modelled
as itself (no total, formula or numbering sets it), the first categorical or identifier column of
its table whose every value holds one run of digits (`12C`, `BA1935`, `S-007`) equal to the integer
in every row holding the code, over `MIN_ROWS` rows and `MIN_VALUES` distinct integers at least (so
not by chance: a constant 1 beside codes `X1`). Decoding sets the integer to the code's number in
each row holding one, before the rules reading the integer (a fare class from its row) run: the
code holds the number and more, so it is the one kept. Not fitted under DP.
"""

from __future__ import annotations

import logging

import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows holding the code the equality is seen in, at least
MIN_VALUES = 3  # distinct integers, at least: one or two values may match a code's digits by chance
DIGITS = r"^\D*(\d+)\D*$"  # a code of one run of digits: the number it writes


def find_code_numbers(pre, data: RelationalData, set_elsewhere: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "code"}]: `column` is the integer written in `code` in every row of
    `table` holding the code; `set_elsewhere`: (table, column) another rule sets (not modelled)."""
    out = []
    for table in pre.schema.synth_tables:
        df, kinds = data[table], pre.schema.tables[table].columns
        given = set(pre.given_columns(table))
        codes = [c for c in df.columns if c in kinds and kinds[c].kind in (Column.CATEGORICAL, Column.IDENTIFIER)]
        # each code's numbers read once, not once per integer beside it: a survey's 34 integers
        # beside 7 labels read them 232 times (0.8 CPU s; 2.7 s at 127 columns, now 0.03)
        written = {c: w for c in codes if c not in given and (w := _written(df[c])) is not None}
        for col in pre.modelled_columns(table):
            if kinds[col].kind is not Column.INTEGER or col in given or (table, col) in set_elsewhere:
                continue
            code = next((c for c, w in written.items() if _writes(w, df[col])), None)
            if code is not None:
                out.append({"table": table, "column": col, "code": code})
                log.info("%s.%s is the number written in its row's %s: generated so", table, col, code)
    return out


def code_number(codes: pd.Series) -> pd.Series:
    """The number each code writes as its one run of digits (Int64; missing where it has none or two)."""
    digits = codes.astype("string").str.extract(DIGITS)[0]
    return to_numbers(digits).astype("Int64")


def _written(codes: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """(which rows hold a code, the number each held code writes), where every one of `MIN_ROWS`
    held codes at least writes one; else None."""
    held = codes.notna()
    if held.sum() < MIN_ROWS:
        return None
    written = code_number(codes[held])
    return None if written.isna().any() else (held, written)


def _writes(written: tuple[pd.Series, pd.Series], numbers: pd.Series) -> bool:
    """Whether every held code (`written`: `_written`'s rows and numbers) writes its row's integer,
    over enough rows and values."""
    held, by_code = written
    number = to_numbers(numbers[held])
    if number.isna().any():
        return False
    return bool((by_code.to_numpy("int64") == number.to_numpy("float64")).all()) and number.nunique() >= MIN_VALUES


def apply_code_numbers(rules: list[dict], table: str, df: pd.DataFrame) -> None:
    """Set (in place) each rule's integer of `table` to the number its row's code writes, where it writes one."""
    for rule in rules:
        col, code = rule["column"], rule["code"]
        if rule["table"] != table or col not in df.columns or code not in df.columns:
            continue
        written = code_number(df[code]).reset_index(drop=True)
        held = written.notna().to_numpy()
        values = df[col].astype("Int64").reset_index(drop=True)
        values[held] = written[held]
        df[col] = pd.Series(values.to_numpy(), index=df.index).astype(df[col].dtype)

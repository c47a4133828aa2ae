"""How files write a missing date, number or flag: a blank string, or a placeholder word.

Spreadsheets and legacy exports write `''`, `NULL`, `N/A` or `-` where a value is missing. In a
date, number or boolean column such a string is no value: it is read as a null, and the column's
nulls are written back in its most frequent spelling where the source had no real null.
"""

from __future__ import annotations

import pandas as pd
from pandas.api import types as ptypes

# Placeholders for "missing" (compared stripped and in lower case); only ever read so in a column
# of dates, numbers or flags, where they can be no value (a country column's 'NA' stays Namibia).
# The words as well as the marks: a survey's ages with 'Unknown' in a quarter of the rows were read
# as identifiers, drawn as fresh two-digit codes with no 'Unknown' left.
MISSING_WORDS = frozenset(
    {"null", "n/a", "na", "#n/a", "none", "nan", "nil", "-", "--", "?"}
    | {"unknown", "unk", "missing", "n.a.", "not available", "not applicable"}
)


def is_blank(v: object) -> bool:
    """Whether `v` is a string that writes a missing value: blank ('' or spaces) or a placeholder."""
    return isinstance(v, str) and (not v.strip() or v.strip().lower() in MISSING_WORDS)


def blanks(s: pd.Series) -> pd.Series:
    """Where a text column holds a blank or a placeholder (`is_blank`); False in a typed column."""
    if not (ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)):
        return pd.Series(False, index=s.index)
    return pd.Series([is_blank(v) for v in s.to_numpy(dtype=object)], index=s.index, dtype=bool)


def filled_strings(values: pd.Series) -> pd.Series | None:
    """The values of a text column that write one, stripped (nulls, blanks and placeholders left
    out), where every non-null value is a string and one at least writes a value; else None: what
    each reader of a spelling (dates, durations, numbers with units) reads."""
    text = values.dropna()
    if text.empty or not all(isinstance(v, str) for v in text):
        return None
    text = text[~blanks(text)].str.strip()
    return None if text.empty else text


def missing_spellings(s: pd.Series) -> list[str]:
    """The column's blanks and placeholders as written (stripped: '' for spaces), the most frequent
    first (ties in the order they first appear)."""
    counts = s[blanks(s)].astype(str).str.strip().value_counts(sort=False)
    return sorted(counts.index, key=lambda spelling: -counts[spelling])


def blank_format(s: pd.Series) -> dict:
    """A format's keys for a text date, number or flag column that writes its missing values as a
    blank or placeholder: it holds some and no null (one with both writes nulls, that spelling lost).
    {"blanks": True} writes them blank; "missing" names another spelling ('NULL')."""
    if not blanks(s).any() or s.isna().any():
        return {}
    spelling = missing_spellings(s)[0]
    return {"blanks": True, **({"missing": spelling} if spelling else {})}


def missing_value(fmt: dict) -> str | None:
    """What a column of this format writes for a null: its blank or placeholder, else a null."""
    return fmt.get("missing", "") if fmt.get("blanks") else None

"""The character shape of codes (`INV-2019-00042` -> `AAA-9999-99999`): what tells an identifier
column from labels and free text (`_infer`), and the format its fresh values are drawn in
(`synth/tabular/_identifiers.py`)."""

from __future__ import annotations

import re

import pandas as pd

DIGIT, UPPER, LOWER, HEX, UPPER_HEX = "9", "A", "a", "x", "X"
CLASSES = {
    DIGIT: "0123456789",
    UPPER: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    LOWER: "abcdefghijklmnopqrstuvwxyz",
    HEX: "0123456789abcdef",
    UPPER_HEX: "0123456789ABCDEF",
}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_HEX_LOWER = re.compile(r"^[0-9a-f]*$")
_HEX_UPPER = re.compile(r"^[0-9A-F]*$")
_HAS_HEX_LETTER = re.compile(r"[a-fA-F]")
_TABLE = str.maketrans({**{c: DIGIT for c in CLASSES[DIGIT]}, **{c: UPPER for c in CLASSES[UPPER]}})
_TABLE.update({ord(c): LOWER for c in CLASSES[LOWER]})
_HEX_TABLES = {case: str.maketrans({c: case for c in CLASSES[case]}) for case in (HEX, UPPER_HEX)}


def hex_case(values: pd.Series) -> str | None:
    """HEX or UPPER_HEX when the values are hexadecimal strings (hashes, `3f9a0c...`): every
    character a hex digit of one case and most values holding a letter a-f; None otherwise."""
    if not len(values):
        return None
    for case, pattern in ((HEX, _HEX_LOWER), (UPPER_HEX, _HEX_UPPER)):
        if values.str.match(pattern).all() and values.str.contains(_HAS_HEX_LETTER).mean() > 0.5:
            return case
    return None


def code_shapes(values: pd.Series, min_count: int) -> tuple[pd.Series, str | None]:
    """The values' shapes (`char_shapes`) and the hex case they were read with: as hexadecimal
    only where that puts more values in shapes of at least `min_count` values (a hash, whose letters
    and digits change places), else plainly (`C001`, whose C is a capital)."""
    plain = char_shapes(values)
    hex_digits = hex_case(values)
    if hex_digits is None:
        return plain, None
    as_hex = char_shapes(values, hex_digits)
    return (as_hex, hex_digits) if shared_share(as_hex, min_count) > shared_share(plain, min_count) else (plain, None)


def shared_share(shapes: pd.Series, min_count: int) -> float:
    """The share of values whose shape at least `min_count` values have."""
    counts = shapes.value_counts()
    return float(counts[counts >= max(min_count, 1)].sum() / len(shapes)) if len(shapes) else 0.0


def char_class(c: str) -> str:
    """One character's class (`9`, `A`, `a`), or the character itself."""
    return c.translate(_TABLE)


def char_shapes(values: pd.Series, hex_digits: str | None = None) -> pd.Series:
    """Each string's shape: a digit as `9`, an ASCII capital as `A`, a small letter as `a` (with
    `hex_digits`, every hex digit as it), any other character as itself."""
    table = _HEX_TABLES[hex_digits] if hex_digits else _TABLE
    return values.map(lambda v: v.translate(table))

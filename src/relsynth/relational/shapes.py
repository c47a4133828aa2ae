"""The character shape of codes (`INV-2019-00042` -> `AAA-9999-99999`): what tells an identifier
column from labels and free text (`_infer`), and the format its fresh values are drawn in
(`synth/tabular/_identifiers.py`)."""

from __future__ import annotations

import re

import pandas as pd

DIGIT, UPPER, LOWER, HEX, UPPER_HEX, ALNUM = "9", "A", "a", "x", "X", "N"
CLASSES = {
    DIGIT: "0123456789",
    UPPER: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    LOWER: "abcdefghijklmnopqrstuvwxyz",
    HEX: "0123456789abcdef",
    UPPER_HEX: "0123456789ABCDEF",
    ALNUM: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_HEX_LOWER = re.compile(r"^[0-9a-f]*$")
_HEX_UPPER = re.compile(r"^[0-9A-F]*$")
_HAS_HEX_LETTER = re.compile(r"[a-fA-F]")
_TABLE = str.maketrans({**{c: DIGIT for c in CLASSES[DIGIT]}, **{c: UPPER for c in CLASSES[UPPER]}})
_TABLE.update({ord(c): LOWER for c in CLASSES[LOWER]})
_HEX_TABLES = {case: str.maketrans({c: case for c in CLASSES[case]}) for case in (HEX, UPPER_HEX)}
_MIXED_RUN = re.compile(r"[0-9A-Z]*(?:[0-9][A-Z]|[A-Z][0-9])[0-9A-Z]*")  # capitals and digits mixed


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
        mixed = alnum_shapes(values, plain, min_count)
        return (mixed if shared_share(mixed, min_count) > shared_share(plain, min_count) else plain), None
    as_hex = char_shapes(values, hex_digits)
    return (as_hex, hex_digits) if shared_share(as_hex, min_count) > shared_share(plain, min_count) else (plain, None)


def alnum_shapes(values: pd.Series, plain: pd.Series, min_count: int) -> pd.Series:
    """`plain` (the values' `char_shapes`), but for the values whose shape fewer than `min_count`
    share: each run of capitals and digits mixed at random (a UPS tracking number's `1Z` and 16 of
    either: each its own plain shape) read as ALNUM, a character every value of that reading holds
    at its place kept as it is (the `1Z`), where `min_count` values share the reading; else plain."""
    counts = plain.map(plain.value_counts())
    rare = counts < max(min_count, 1)
    if not rare.any():
        return plain
    masks = values[rare].map(lambda v: _MIXED_RUN.sub(lambda m: ALNUM * len(m.group()), v))
    masks = pd.Series(
        [_mixed_mask(v, m, p) for v, m, p in zip(values[rare], masks, plain[rare], strict=True)], index=masks.index
    )
    out = plain.copy()
    for mask, rows in masks.groupby(masks).groups.items():
        if len(rows) < max(min_count, 1) or ALNUM not in mask:
            continue
        group = values[rows]
        out[rows] = "".join(_kept_char(group, i) if c == ALNUM else c for i, c in enumerate(mask))
    return out


def _mixed_mask(value: str, mask: str, plain: str) -> str:
    """`plain` with the places `mask` reads as ALNUM (a mixed run of `value`) written so."""
    return (
        "".join(ALNUM if m == ALNUM else p for m, p in zip(mask, plain, strict=True))
        if len(mask) == len(value)
        else plain
    )


def _kept_char(group: pd.Series, i: int) -> str:
    """The character every value of `group` holds at place `i`, where it is no class's letter; else ALNUM."""
    chars = group.str[i].unique()
    return str(chars[0]) if len(chars) == 1 and chars[0] not in CLASSES else ALNUM


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

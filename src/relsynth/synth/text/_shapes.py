"""Texts of a few fixed shapes (phone numbers `+1 (555) 010-4477`, codes `AB-12345`, declared text rather than
identifiers): the model writes their digits a token at a time, so a briefly trained one drops or adds a digit
(`+1 (74) 352-9994`, `+1 (543) 552-331`): 27 of 180 generated phones of a contacts table had no shape of the data
(Kedro's text model, 4 epochs). Where nearly every text of a column has one of a few shapes (a digit written 9, a
letter a or A, any other character as itself), generation samples a text of another shape again, as it does a JSON
document that does not parse (`_json`). Free text never qualifies: its shapes are as many as its texts."""

from __future__ import annotations

import re
from collections import Counter

MIN_TEXTS = 20  # non-empty texts, at least, for a column to be one of fixed shapes
MAX_SHAPES = 8  # shapes kept at most (the most used first)
MIN_ROWS = 5  # texts of a shape, at least, for it to be kept (a shape one row writes is no pattern)
MIN_SHARE = 0.99  # share of the non-empty texts the kept shapes must hold
_LOWER, _UPPER, _DIGIT = re.compile(r"[^\W\d_A-Z]"), re.compile(r"[A-Z]"), re.compile(r"\d")


def shape(text: str) -> str:
    """`text` with each digit written 9, each ASCII capital A and each other letter a."""
    return _LOWER.sub("a", _UPPER.sub("A", _DIGIT.sub("9", text)))


def text_shapes(values: list[str]) -> list[str]:
    """The shapes of a column whose non-empty texts (MIN_TEXTS at least) are, in MIN_SHARE of them, of at most
    MAX_SHAPES shapes each held by MIN_ROWS texts; [] for any other column."""
    filled = [v for v in values if v != ""]
    if len(filled) < MIN_TEXTS:
        return []
    kept = [(s, n) for s, n in Counter(map(shape, filled)).most_common(MAX_SHAPES) if n >= MIN_ROWS]
    return sorted(s for s, _ in kept) if sum(n for _, n in kept) >= MIN_SHARE * len(filled) else []

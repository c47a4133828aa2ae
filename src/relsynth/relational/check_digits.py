"""Check digits of identifier codes: where every code of a column passes a standard check (an IBAN's
ISO 7064 mod 97-10, a GTIN's or ISBN-13's mod 10 with weights 3 and 1, a card number's Luhn), the
drawn codes, random digits otherwise, get theirs set so (an untrained model's IBANs passed mod 97 in
6 of 300, card numbers Luhn in 24 of 300). A random code passes one in 10 (97) checks, so
`MIN_CODES` codes all passing is no chance.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

MIN_CODES = 20  # codes that all pass a check, at least
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_SEPARATORS = re.compile(r"[ -]")


def _digits(code: str) -> str | None:
    """The code's digits where it is digits and separators (spaces, hyphens) only."""
    digits = _SEPARATORS.sub("", code)
    return digits if digits.isdigit() else None


def _iban_number(code: str) -> int:
    """The code with its first four characters moved last, letters as 10..35 (ISO 13616)."""
    return int("".join(str(int(c, 36)) for c in code[4:] + code[:4]))


def _iban_valid(code: str) -> bool:
    return bool(_IBAN.match(code)) and _iban_number(code) % 97 == 1


def _iban_fixed(code: str) -> str:
    if not _IBAN.match(code):
        return code
    check = 98 - _iban_number(code[:2] + "00" + code[4:]) % 97
    return f"{code[:2]}{check:02d}{code[4:]}"


def _weighted_check(body: str, weights: tuple[int, int], luhn: bool) -> int:
    """The mod 10 check digit of `body`, weighting its digits from the right (the check's left)."""
    total = 0
    for i, d in enumerate(reversed(body)):
        v = int(d) * weights[i % 2]
        total += v - 9 if luhn and v > 9 else v
    return (10 - total % 10) % 10


def _mod10(weights: tuple[int, int], luhn: bool, lengths: set[int] | None) -> tuple[Callable, Callable]:
    """(valid, fixed) of a mod 10 check on the last digit, the code's digits `lengths` long."""

    def fits(code: str) -> str | None:
        digits = _digits(code)
        return (
            digits if digits is not None and len(digits) >= 8 and (lengths is None or len(digits) in lengths) else None
        )

    def valid(code: str) -> bool:
        digits = fits(code)
        return digits is not None and _weighted_check(digits[:-1], weights, luhn) == int(digits[-1])

    def fixed(code: str) -> str:
        digits = fits(code)
        if digits is None:
            return code
        last = max(i for i, c in enumerate(code) if c.isdigit())
        return code[:last] + str(_weighted_check(digits[:-1], weights, luhn)) + code[last + 1 :]

    return valid, fixed


CHECKS: dict[str, tuple[Callable[[str], bool], Callable[[str], str]]] = {
    "iban_mod97": (_iban_valid, _iban_fixed),
    "gtin": _mod10((3, 1), False, {8, 12, 13, 14}),  # EAN-13, ISBN-13, UPC-A
    "luhn": _mod10((2, 1), True, None),  # card numbers, IMEI
}


def find_check(codes: pd.Series) -> str | None:
    """The first check (`CHECKS`) every code passes, MIN_CODES codes at least; None where none does."""
    s = codes.dropna().astype(str)
    if len(s) < MIN_CODES:
        return None
    return next((name for name, (valid, _) in CHECKS.items() if all(map(valid, s))), None)


def with_check(codes: pd.Series, check: str) -> pd.Series:
    """`codes` with their check digits set by `check` (nulls stay)."""
    fixed = CHECKS[check][1]
    return codes.map(lambda c: c if pd.isna(c) else fixed(c), na_action="ignore").astype(codes.dtype)

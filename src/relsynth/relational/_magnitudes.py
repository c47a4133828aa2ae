"""Numbers written with a magnitude suffix, as dashboards and social media write counts: `666`,
`1.2k`, `3.4M`. A column is read so where every value is a number, some with a suffix, each
suffixed one at least 1 of its unit below 1000 of it (1.2k, never 1200k), each plain one below
1000, in MIN_DISTINCT distinct values at least: a handful of labels such as race distances
(`5K`, `10K`) stays labels.
"""

from __future__ import annotations

import re

import pandas as pd

from relsynth.relational._blanks import filled_strings

_POWERS = {"k": 3, "K": 3, "M": 6, "B": 9, "G": 9, "T": 12}
UNITS = {u: 10.0**p for u, p in _POWERS.items()}
MIN_DISTINCT = 20
_VALUE = re.compile(r"^(?P<sign>-?)(?P<digits>\d+(?:\.(?P<places>\d+))?)(?P<space> ?)(?P<unit>[kKMBGT]?)$")


def _parts(values: pd.Series) -> pd.DataFrame | None:
    if (text := filled_strings(values)) is None:
        return None
    parts = text.str.extract(_VALUE)
    if parts["digits"].isna().any():
        return None
    return parts


def magnitude_numbers(values: pd.Series) -> pd.Series | None:
    """The numbers a column of counts with magnitude suffixes holds (NaN where blank), else None."""
    parts = _parts(values)
    if parts is None or parts["digits"].nunique() < MIN_DISTINCT:
        return None
    suffixed = parts["unit"] != ""
    mantissa = parts["digits"].astype("float64")
    if not suffixed.any() or parts.loc[suffixed, "unit"].str.upper().nunique() < parts.loc[suffixed, "unit"].nunique():
        return None  # one unit written two ways (k and K): no one spelling
    if not mantissa[suffixed].between(1, 1000, inclusive="left").all() or (mantissa[~suffixed] >= 1000).any():
        return None
    if parts["space"][suffixed].nunique() > 1:
        return None
    return signed_numbers(parts, parts["unit"].map(lambda u: _POWERS.get(u, 0)).astype(str), values.index)


def signed_numbers(parts: pd.DataFrame, powers: pd.Series, index: pd.Index) -> pd.Series:
    """The number of each value's `parts` (its "sign" and "digits") times ten to its `powers` (text),
    on `index`, NaN where a value has no parts (a blank): 1.2e3 reads 1200 exactly, not 1.2 * 1000."""
    numbers = (parts["digits"] + "e" + powers).astype("float64")
    numbers = numbers.where(parts["sign"] != "-", -numbers)
    out = pd.Series(float("nan"), index=index, dtype="float64")
    out[numbers.index] = numbers
    return out


def magnitude_format(values: pd.Series) -> dict:
    """How such a column writes its numbers: its units, the space before them, the decimals of
    suffixed and of plain values, and whether each has as few as it needs (1.5k beside 2k)."""
    parts = _parts(values)
    suffixed = parts["unit"] != ""
    places = parts["places"].fillna("").str.len()
    trimmed = places[suffixed].nunique() > 1 and not parts["places"][suffixed].fillna("").str.endswith("0").any()
    return {
        "units": sorted(parts.loc[suffixed, "unit"].unique(), key=lambda u: UNITS[u]),
        "space": str(parts.loc[suffixed, "space"].iloc[0]),
        "decimals": int(places[suffixed].max()),
        "plain_decimals": int(places[~suffixed].max()) if (~suffixed).any() else 0,
        "trim": bool(trimmed),
    }


def write_magnitude(value: float, fmt: dict) -> str:
    """`value` in the column's spelling (`magnitude_format`): 1234 -> 1.2k, 666 -> 666."""
    size, sign = abs(value), "-" if value < 0 else ""
    unit = next((u for u in reversed(fmt["units"]) if size >= UNITS[u]), None)
    if unit is None:
        text = f"{size:.{fmt['plain_decimals']}f}"
        # 999.7 written plainly would read 1000: the first unit's
        if float(text) < 1000 or not fmt["units"]:
            return sign + text
        unit = fmt["units"][0]
    text = f"{size / UNITS[unit]:.{fmt['decimals']}f}"
    if fmt["trim"] and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{text}{fmt['space']}{unit}"

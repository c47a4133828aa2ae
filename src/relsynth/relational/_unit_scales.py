"""Numbers written in a few units of one scale, each value in the largest unit it reaches, as a
file manager writes sizes (`500 MB` beside `1.2 GB`) or a log writes times (`850 ms`, `2.5 s`). A
column is read so, in the smallest unit it writes, where every value is a number with a unit of one SCALES
entry, two units at least, one spacing, each value at least 1 of its unit (but in the smallest
unit) and below 1 of the next unit the column writes (1.2 GB, never 1200 MB, which then stays
text: no one rule tells the unit), in MIN_DISTINCT distinct numbers at least, as magnitudes. Units
of no such scale, or a column breaking the rule, stay labels.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from relsynth.relational._blanks import filled_strings
from relsynth.relational._magnitudes import MIN_DISTINCT, signed_numbers

# the size of each unit in the scale's smallest, exact in decimal (1 KB = 1000 B: a binary 1024
# writes 1010 MB below 1 GB, which breaks the rule, so such a column stays text)
SCALES = [
    {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15},
    {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15},
    {"ns": 1, "µs": 1e3, "ms": 1e6, "s": 1e9},
    {"mm": 1, "cm": 10, "m": 1e3, "km": 1e6},
    {"µg": 1, "mg": 1e3, "g": 1e6, "kg": 1e9, "t": 1e12},
    {"ml": 1, "l": 1e3},
    {"mL": 1, "L": 1e3},
    {"Hz": 1, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9},
    {"W": 1, "kW": 1e3, "MW": 1e6},
    {"Wh": 1, "kWh": 1e3, "MWh": 1e6},
]
_VALUE = re.compile(r"^(?P<sign>-?)(?P<digits>\d+(?:\.(?P<places>\d+))?)(?P<space> ?)(?P<unit>[A-Za-zµ]+)$")


def _parts(values: pd.Series) -> tuple[pd.DataFrame, dict] | None:
    """Each non-blank value's parts and the scale its units belong to, else None."""
    if (text := filled_strings(values)) is None:
        return None
    parts = text.str.extract(_VALUE)
    if parts["digits"].isna().any() or parts["space"].nunique() > 1:
        return None
    units = set(parts["unit"])
    scale = next((s for s in SCALES if units <= s.keys()), None)
    return (parts, scale) if scale is not None and len(units) > 1 else None


def _used(parts: pd.DataFrame, scale: dict) -> list[str]:
    return sorted(set(parts["unit"]), key=scale.__getitem__)


def scaled_numbers(values: pd.Series) -> pd.Series | None:
    """The numbers, in the smallest unit it writes, of a column written in a few of its units (NaN
    where blank), else None."""
    found = _parts(values)
    if found is None:
        return None
    parts, scale = found
    if parts["digits"].nunique() < MIN_DISTINCT:
        return None
    used = _used(parts, scale)
    mantissa = parts["digits"].astype("float64")
    for low, high in zip(used, used[1:] + [None], strict=True):  # each value in the largest unit it reaches
        held = mantissa[parts["unit"] == low]
        if low != used[0] and (held < 1).any() or high and (held >= scale[high] / scale[low]).any():
            return None
    powers = parts["unit"].map(lambda u: str(round(math.log10(scale[u] / scale[used[0]]))))
    return signed_numbers(parts, powers, values.index)  # in the smallest unit the column writes


def scale_format(values: pd.Series) -> dict:
    """How such a column writes its numbers: its units and their sizes, the space before them, the
    decimals of each unit, and whether each value has as few as it needs (1.5 GB beside 2 GB)."""
    parts, scale = _parts(values)
    places = parts["places"].fillna("").str.len()
    used = _used(parts, scale)
    # each unit's decimals apart (MB whole beside 1.2 GB): as few as each value needs where one unit's vary
    varied = any(places[parts["unit"] == u].nunique() > 1 for u in used)
    trimmed = varied and not parts["places"].fillna("").str.endswith("0").any()
    return {
        "units": {u: scale[u] / scale[used[0]] for u in used},  # the size of each in the smallest
        "space": str(parts["space"].iloc[0]),
        "decimals": {u: int(places[parts["unit"] == u].max()) for u in used},
        "trim": bool(trimmed),
    }


def write_scaled(value: float, fmt: dict) -> str:
    """`value` (in the smallest unit) in the column's spelling (`scale_format`): 1200 MB -> 1.2 GB."""
    size, sign = abs(value), "-" if value < 0 else ""
    units = list(fmt["units"])
    i = max([k for k, u in enumerate(units) if size >= fmt["units"][u]], default=0)
    while True:
        unit = units[i]
        text = f"{size / fmt['units'][unit]:.{fmt['decimals'][unit]}f}"
        # 999.97 MB written with one decimal would read 1000.0 MB: the next unit's
        if i + 1 == len(units) or float(text) * fmt["units"][unit] < fmt["units"][units[i + 1]]:
            break
        i += 1
    if fmt["trim"] and "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{text}{fmt['space']}{unit}"

"""Durations written as ISO 8601 text (`PT5M`, `PT2H33M57S`, `P1DT4H`), as APIs and JSON exports
write them: read as numbers of seconds and written back in the same units. Left to guessing, a
column of them was read as codes (an identifier), and its generated values, fresh codes of their
shape, were no durations (`PT29M678S`); as labels, every distinct duration a category.

Only days, hours, minutes and seconds are read: a year or a month (`P1Y2M`) has no fixed length.
"""

from __future__ import annotations

import re

import pandas as pd

from relsynth.relational._blanks import blanks, filled_strings

_DURATION = re.compile(r"^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
UNITS = {"D": 86400, "H": 3600, "M": 60, "S": 1}


def _parts(text: pd.Series) -> pd.DataFrame | None:
    """The days, hours, minutes and seconds each value of `text` (strings, none blank) writes, as
    strings (NaN where a value leaves a unit out); None where a value is no ISO 8601 duration."""
    parts = text.str.extract(_DURATION)
    if parts.isna().all(axis=1).any():
        return None
    parts.columns = list(UNITS)
    return parts


def iso_durations(values: pd.Series) -> pd.Series | None:
    """`values` in seconds (floats, NaN where blank) where every non-blank value is an ISO 8601
    duration of days, hours, minutes and seconds (strings, one at least); else None."""
    if (text := filled_strings(values)) is None or (parts := _parts(text)) is None:
        return None
    seconds = sum(parts[u].astype(float).fillna(0.0) * n for u, n in UNITS.items())
    out = pd.Series(float("nan"), index=values.index, dtype="float64")
    out[text.index] = seconds
    return out


def duration_units(values: pd.Series) -> dict:
    """How a column of ISO 8601 durations writes them: the largest and smallest unit any value
    writes (`PT90M` where no value writes hours: minutes past 60), the most digits after a second's
    point."""
    text = values.dropna()
    parts = _parts(text[~blanks(text)].str.strip())
    used = [u for u in UNITS if parts[u].notna().any()]
    fraction = parts["S"].dropna().str.extract(r"\.(\d+)$", expand=False).str.len()
    return {"largest": used[0], "smallest": used[-1], "decimals": int(fraction.max()) if fraction.notna().any() else 0}


def write_duration(seconds: float, units: dict) -> str:
    """`seconds` as an ISO 8601 duration in `units` (`duration_units`): from the largest unit down to
    the smallest, rounded to it (to its decimals for seconds), units of 0 left out, `PT0S`-like
    (`P0D`, `PT0M`) for nothing."""
    order = list(UNITS)
    use = order[order.index(units["largest"]) : order.index(units["smallest"]) + 1]
    smallest = UNITS[use[-1]]
    decimals = units.get("decimals", 0) if use[-1] == "S" else 0
    rest = round(abs(float(seconds)) / smallest, decimals) * smallest
    sign = "-" if seconds < 0 and rest else ""
    written = {}
    for u in use:
        n = UNITS[u]
        if u == use[-1]:
            amount = round(rest / n, decimals)
            written[u] = f"{amount:.{decimals}f}".rstrip("0").rstrip(".") if decimals else str(int(round(amount)))
        else:
            whole = int(rest // n)
            written[u], rest = str(whole), rest - whole * n
    date = "".join(f"{written[u]}D" for u in use if u == "D" and written[u] not in ("0", ""))
    time = "".join(f"{written[u]}{u}" for u in use if u != "D" and written[u] not in ("0", ""))
    if not date and not time:  # nothing: zero in the smallest unit
        return f"P0{use[-1]}" if use[-1] == "D" else f"PT0{use[-1]}"
    return f"{sign}P{date}" + (f"T{time}" if time else "")

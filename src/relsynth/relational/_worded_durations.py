"""Durations written in words, as people and trackers write them: `1 day` beside `5 days`, `45 min`
beside `2 h`, `1h 30m`, `2 hours 5 minutes`, `3 wks`. Read as seconds and written back in the
column's spelling: its unit words (one for 1, one for other amounts), the space before them, what
joins the parts of a value. As labels, every distinct duration was a category (its rare ones
merged away, the distribution one of labels).

A column is read so only where every non-blank value is one or more (amount, unit) parts, units
of weeks, days, hours, minutes or seconds in descending order, each unit written in one word for
1 and one for other amounts (in any case, `Days`, `HRS`, but a letter alone in lower case: an `M`
is a magnitude's; an abbreviation of two letters or more may end in a dot, `hrs.`, in every value
of its unit), one spacing and one joint, and in MIN_DISTINCT distinct durations at
least, as magnitudes. Values in one unit each (`45 min` beside `2 h`) are each in the largest unit
they reach (`90 min` beside `2 h`: no one rule tells the unit, labels); values of several parts
leave parts of 0 out (`2h`, `1h 5m`) or write every unit (`2h 0m`), and no part reaches its next
unit (`1h 75m`: labels). Minutes (or seconds) after hours (or minutes) alone may be written bare in
two digits, `2h30` beside `3h`, or on a clock face with the unit after both, `1:30 h`, `2:05 min`:
every value of the column so. Minutes and seconds may be prime marks, `1'30"`, but not where every
value's seconds are below 12: feet and inches (`5'11"`). A column in one word of one unit (`5 days`) is a number with a unit
(`read_units`), read before this. Months and years have no fixed length: not read.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd

from relsynth.relational._blanks import filled_strings
from relsynth.relational._magnitudes import MIN_DISTINCT

SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}  # the units, largest first
# each unit's words (lower case), each as it is written for 1: its plural, or itself
_WORDS = {
    "w": {"week": "weeks", "wk": "wks", "w": "w"},
    "d": {"day": "days", "d": "d"},
    "h": {"hour": "hours", "hr": "hrs", "h": "h"},
    "m": {"minute": "minutes", "min": "mins", "m": "m", "'": "'"},
    "s": {"second": "seconds", "sec": "secs", "s": "s", '"': '"', "''": "''"},
}
UNIT_OF = {w: u for u, words in _WORDS.items() for one, many in words.items() for w in (one, many)}
_SINGULAR = {many: one for words in _WORDS.values() for one, many in words.items()}
# a word, perhaps abbreviated with a dot (`min.`), or a prime mark (`1'30"`)
_PART = r"(\d+(?:\.\d+)?)( ?)([A-Za-z]+\.?|'{1,2}|\")"
_PRIMES = {"'", "''", '"'}
# inches below 12 in every value: feet and inches (`5'11"`), no minutes and seconds
_FEET_INCHES = 12
_JOINTS = r"(, | and | |)"
_VALUE = re.compile(
    rf"^(-?){_PART}(?:{_JOINTS}{_PART})?(?:{_JOINTS}{_PART})?(?:{_JOINTS}{_PART})?(?:{_JOINTS}{_PART})?(\d\d)?$"
)
BARE = {"h": "m", "m": "s"}  # a unit and the one of 60 below it that `2h30`, `3m05` write bare
_CLOCK = re.compile(r"^(-?)(\d+):(\d\d)( ?)([A-Za-z]+)$")  # `1:30 h`, `2:05min`: the unit after both


def _unit_of(word: str) -> str | None:
    """The unit (a SECONDS key) a word names, in any case but one letter's (`Days`, `HRS`; an `M` or
    `H` alone is a magnitude's or a code's letter), else None."""
    word = word.removesuffix(".") if len(word) > 2 else word  # `min.`, `h.`; `m.` alone: no unit
    return UNIT_OF.get(word.lower() if len(word) > 1 else word)


def _units(parts: list[tuple[str, str, str]]) -> list[str]:
    """The unit of each part of a parsed value: a bare last part's (`2h30`) is the one below its
    neighbour's (`BARE`)."""
    units = [_unit_of(w) for _, _, w in parts if w]
    return units + [BARE[units[-1]]] if len(units) < len(parts) else units


def _parse(text: str) -> tuple[str, list[tuple[str, str, str]], set[str]] | None:
    """(sign, [(amount, space, unit word)...], joints) of one value, None where it is no such duration."""
    if (clock := _CLOCK.match(text)) is not None:  # `1:30 h`: hours, then bare minutes (a ":" joint)
        sign, amount, tail, space, word = clock.groups()
        return (sign, [(amount, space, word), (tail, "", "")], {":"}) if _unit_of(word) in BARE else None
    m = _VALUE.match(text)
    if m is None:
        return None
    groups = m.groups()
    sign, parts, joints = groups[0], [], set()
    for k in range(5):  # groups: sign, then (joint,) amount, space, word of each part
        amount, space, word = groups[4 * k + 1 : 4 * k + 4]
        if amount is None:
            break
        if k:
            joints.add(groups[4 * k])
        if _unit_of(word) is None:
            return None
        parts.append((amount, space, word))
    if (tail := groups[-1]) is not None:  # `2h30`: minutes in two digits, no word, after hours alone
        if len(parts) > 1 or _unit_of(parts[0][2]) not in BARE:
            return None
        parts.append((tail, "", ""))
    return sign, parts, joints


def _read(values: pd.Series) -> tuple[pd.Series, dict] | None:
    """(each non-blank value's seconds, the column's spelling), else None."""
    if (text := filled_strings(values)) is None:
        return None
    if not text.str.match(r"-?\d").all():  # most text columns: no value read one by one
        return None
    parsed = {}
    for v in text.unique():
        if (found := _parse(v)) is None:
            return None
        parsed[v] = found
    if (fmt := _spelling(list(parsed.values()))) is None:
        return None
    seconds = {v: _seconds(p, fmt) for v, p in parsed.items()}
    if any(s is None for s in seconds.values()) or len(set(seconds.values())) < MIN_DISTINCT:
        return None
    return text.map(seconds).astype("float64"), fmt


def _spelling(parsed: list[tuple]) -> dict | None:
    """The one spelling (`worded_format`) the parsed values share, else None."""
    order = list(SECONDS)
    if len({":" in joined for _, _, joined in parsed}) > 1:
        return None  # `1:30 h` beside `2h30` or `2 h`
    spaces, joints, counts, fractions = set(), set(), set(), []
    words = {u: (set(), set()) for u in SECONDS}  # unit: (its words for 1, for other amounts)
    for _, parts, joined in parsed:
        units = _units(parts)
        if any(order.index(a) >= order.index(b) for a, b in zip(units, units[1:], strict=False)):
            return None  # units out of order, or one twice: no duration
        joints |= joined
        counts.add(len(parts))
        for (amount, space, word), unit in zip(parts, units, strict=True):
            if word:  # a bare part (`2h30`) writes no unit, so no space before one
                spaces.add(space)
            words[unit][amount != "1" or ":" in joined].add(word)  # `1:30 h`: more than 1 h
            fractions.append(amount.partition(".")[2])
    if len(spaces) > 1 or len(joints) > 1 or any(len(w) > 1 for pair in words.values() for w in pair):
        return None
    if any(len({w.endswith(".") for w in one | other}) > 1 for one, other in words.values()):
        return None  # `1 hr.` beside `2 hrs`: an abbreviation's dot now written, now not
    used = [u for u in SECONDS if any(words[u])]
    if max(counts) == 1 and len(used) == 1 and len(words[used[0]][0] | words[used[0]][1]) == 1:
        return None  # one word of one unit (`5 days`): a number with a unit, `read_units`'
    inches = [float(a) for _, parts, _ in parsed for a, _, w in parts if w in _PRIMES and _unit_of(w) == "s"]
    if inches and max(inches) < _FEET_INCHES and any(w in _PRIMES for w in words["m"][0] | words["m"][1]):
        return None  # `5'11"`: a height
    places = {u: 0 for u in used}
    for _, parts, _ in parsed:
        for (amount, _, _), unit in zip(parts, _units(parts), strict=True):
            places[unit] = max(places[unit], len(amount.partition(".")[2]))
    return {
        "units": used,
        "words": {u: _word_pair(*words[u]) for u in used},
        "space": spaces.pop(),
        "joint": joints.pop() if joints else " ",
        "parts": "one" if max(counts) == 1 else "all" if counts == {len(used)} else "nonzero",
        "decimals": places,
        # each amount with as few decimals as it needs (`1.5 h` beside `2 h`), not all with the most
        "trim": len({len(f) for f in fractions}) > 1 and not any(f.endswith("0") for f in fractions),
        # `1h 05m` (a bare part, `2h05`, is in two digits anyway)
        "pad": any(re.match(r"0\d", a) for _, parts, _ in parsed for a, _, w in parts[1:] if w),
    }


def _word_pair(one: set[str], other: set[str]) -> list[str]:
    """[word for 1, word for other amounts] of a unit from the words the column writes with each,
    an abbreviation's dot kept on both (`hr.`, `hrs.`)."""
    if any(w.endswith(".") for w in one | other):
        return [w + "." for w in _word_pair({w[:-1] for w in one}, {w[:-1] for w in other})]
    many, single = next(iter(other), None), next(iter(one), None)
    if "" in one | other:  # a bare unit (`2h30`)
        return ["", ""]
    if many is None:
        return [single, _cased(_WORDS[_unit_of(single)].get(single.lower(), single.lower()), single)]
    return [single or _cased(_SINGULAR.get(many.lower(), many.lower()), many), many]


def _cased(word: str, like: str) -> str:
    """`word` (lower case) in the case `like` is written in (`Days`: `Day`, `HRS`: `HR`)."""
    return word.upper() if like.isupper() and len(like) > 1 else word.capitalize() if like[0].isupper() else word


def _seconds(parsed: tuple, fmt: dict) -> float | None:
    """The seconds of one parsed value, None where it breaks the column's rule (`_read`)."""
    sign, parts, _ = parsed
    used, total = fmt["units"], Decimal(0)
    units = _units(parts)
    if fmt["parts"] != "one" and any("." in a for (a, _, _), u in zip(parts, units, strict=True) if u != used[-1]):
        return None  # a fraction before the last unit (`1.5h 30m`)
    if any(re.match(r"0\d", a) for a, _, _ in parts[:1]):
        return None  # `007 days`: a code
    bare = fmt["words"][used[-1]] == ["", ""]
    for k, ((amount, _, _), u) in enumerate(zip(parts, units, strict=True)):
        n = float(amount)
        above = used[used.index(u) - 1] if u != used[0] else None
        if above and n * SECONDS[u] >= SECONDS[above]:
            return None  # `90 min` beside `2 h`, `1h 75m`: no one rule tells the unit
        if fmt["parts"] == "nonzero" and n == 0 and len(parts) > 1 and not (bare and k == 0):
            return None  # `1h 0m` beside `5m`; `0h45` is how bare minutes write less than an hour
        if fmt["parts"] == "one" and u != used[-1] and n < 1:
            return None  # `0.5 h` beside `20 min`: the smaller unit's
        if k and fmt["pad"] and len(amount.partition(".")[0]) != 2:  # a bare part is in two digits
            return None  # `1h 05m` beside `1h 5m`
        total += Decimal(amount) * SECONDS[u]  # exact: 1.1 h is 3960 s, not 3960.0000000000005
    return -float(total) if sign else float(total)


def worded_seconds(values: pd.Series) -> pd.Series | None:
    """`values` in seconds (floats, NaN where blank) where every non-blank value is a duration
    written in words in one spelling (the module's rule), else None."""
    found = _read(values)
    if found is None:
        return None
    out = pd.Series(float("nan"), index=values.index, dtype="float64")
    out[found[0].index] = found[0]
    return out


def worded_format(values: pd.Series) -> dict:
    """How such a column writes its durations (`write_worded`): its units (largest first), the
    words of each for 1 and for other amounts, the space before a unit, the joint between parts,
    which parts a value writes ("one": one unit each, the largest it reaches; "nonzero": those not
    0; "all": every unit), and each unit's decimals."""
    return _read(values)[1]


def write_worded(seconds: float, fmt: dict) -> str:
    """`seconds` in the column's spelling (`worded_format`): 5400 -> `1h 30m` or `1.5 h` or `90 mins`."""
    size, sign = abs(float(seconds)), "-" if seconds < 0 else ""
    units, decimals = fmt["units"], fmt["decimals"]
    if fmt["parts"] == "one":
        parts = [_one_unit(size, units, decimals)]
    else:
        bare = fmt["words"][units[-1]] == ["", ""]
        parts = _several_units(size, units, decimals[units[-1]], fmt["parts"] == "all" or bare)
        if bare and fmt["parts"] != "all":  # `0h45` and `2h`: the hours always, never a bare `45`
            parts = parts[:1] + [(a, u) for a, u in parts[1:] if float(a) != 0]
    if all(float(a) == 0 for a, _ in parts):
        sign = ""
    if fmt.get("trim"):
        parts = [(a.rstrip("0").rstrip(".") if "." in a else a, u) for a, u in parts]
    if fmt.get("pad"):
        parts = parts[:1] + [
            (a.zfill(2) if "." not in a else a.zfill(len(a) + 2 - a.index(".")), u) for a, u in parts[1:]
        ]
    if fmt["joint"] == ":":  # `1:30 h`: the unit after both
        return sign + f"{parts[0][0]}:{parts[1][0].zfill(2)}{fmt['space']}{fmt['words'][units[0]][1]}"
    worded = [(a, u) for a, u in parts if fmt["words"][u][0]]
    tail = "".join(a.zfill(2) for a, u in parts if not fmt["words"][u][0])  # `2h30`: bare, no joint
    return sign + fmt["joint"].join(f"{a}{fmt['space']}{fmt['words'][u][a != '1']}" for a, u in worded) + tail


def _one_unit(size: float, units: list[str], decimals: dict) -> tuple[str, str]:
    """(amount, unit) of `size` seconds in the largest unit it reaches, rounded to that unit's
    decimals; 59.7 min written whole would read 60 min: 1 h."""
    k = max([i for i, u in enumerate(units) if size >= SECONDS[u]], default=len(units) - 1)
    while True:
        u = units[k]
        amount = f"{size / SECONDS[u]:.{decimals[u]}f}"
        if k == 0 or float(amount) * SECONDS[u] < SECONDS[units[k - 1]]:
            return amount, u
        k -= 1


def _several_units(size: float, units: list[str], places: int, every: bool) -> list[tuple[str, str]]:
    """[(amount, unit)...] of `size` seconds from the largest unit down to the smallest, rounded to
    the smallest's `places`; parts of 0 left out unless `every` (a 0 of the smallest where none is left)."""
    smallest = SECONDS[units[-1]]
    rest = round(size / smallest, places) * smallest
    parts = []
    for u in units[:-1]:
        whole = int(rest // SECONDS[u])
        rest -= whole * SECONDS[u]
        parts.append((str(whole), u))
    last = f"{rest / smallest:.{places}f}"
    parts.append((last, units[-1]))
    if every:
        return parts
    kept = [(a, u) for a, u in parts if float(a) != 0]
    return kept or [parts[-1]]

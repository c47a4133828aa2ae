"""Numbers written as a locale or a report writes them: `1,234.56`, `1.234,56`, `-1 234,50`,
`$1,234.00`, `(1,234.00)`, `12,5 %`. A column is read so only where every value is a number in
one spelling (one thousands separator, one decimal mark, one prefix and suffix, one way to write
a negative); where its values read as different numbers in two spellings (`1,234` alone: 1234 or
1.234) and nothing in the column tells which, it is not read as numbers. A unit written after
every number is such a suffix (`12.3 kg`, `25°C`, `5 yrs`: `read_units`), in MIN_DISTINCT
distinct numbers at least, as magnitudes: as labels its rare values were lost.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace

import pandas as pd

from relsynth.relational._blanks import filled_strings
from relsynth.relational._magnitudes import MIN_DISTINCT
from relsynth.relational.numbers import to_numbers

_CURRENCY = r"[$€£¥₹]|USD|EUR|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|PLN|CZK"
_SPACE = "[ \u00a0\u202f]"  # a space, a no-break space, a narrow no-break space (French exports)
_VALUE = re.compile(
    rf"^(?P<open>\()?(?P<sign>-)?(?P<prefix>(?:{_CURRENCY}){_SPACE}?)?(?P<inner>-)?"
    rf"(?P<body>\d(?:[\d.,'\u00a0\u202f ]*\d)?)(?P<suffix>{_SPACE}?(?:%|{_CURRENCY}))?(?P<close>\))?$"
)
_AFFIX = re.compile(rf"^{_SPACE}?(?:%|{_CURRENCY})$")  # what _VALUE reads after a number: no unit
# A unit after every number: a word of letters, perhaps with a degree, a power, a '/' or a second
# word (`kg`, `°C`, `m²`, `km/h`, `mg/dL`, `sq ft`, `yrs.`). Written with a space, any such word of
# two letters or more is one (`5 yrs`, `3 pcs`); written against the number, or of one letter, only
# a unit of KNOWN_UNITS is (`12A`, `12 B` are codes' shapes; k, M, B... are magnitudes' suffixes);
# or a prime mark, minutes or feet (`45'`), seconds or inches (`12"`, `12''`)
_WORD = r"(?:'{1,2}|\"|°[A-Za-z]?|[µμ]?[A-Za-z]+(?:[/.]?[A-Za-z]+)*[²³]?(?:/[A-Za-z]+[²³]?)?\.?)"
_UNIT = re.compile(rf"^(?P<number>.*\d)(?P<space>{_SPACE}?)(?P<unit>{_WORD}(?: {_WORD})?)$")
KNOWN_UNITS = frozenset(
    "mg g kg lb lbs oz ct µg μg t mm cm m km µm μm nm in ft yd mi ml mL cl cL dl dL l L gal "
    "kB KB MB GB TB PB Kb Mb Gb kbps Mbps Gbps Hz kHz MHz GHz W kW MW Wh kWh MWh V mV kV mA mAh "
    "°C °F ° s ms µs ns sec secs min mins h hr hrs d yr yrs y mo wk px pt rpm bpm psi bar Pa kPa hPa mmHg "
    "cal kcal J kJ dB mph kph km/h m/s m² m³ cm² cm³ km² ft² sqft ha ac x ' '' \"".split()
)
# words after a number that do not make it a quantity: times of day, days of a month, ordinals
NOT_UNITS = frozenset(
    "am pm AM PM a.m. p.m. st nd rd th jan feb mar apr may jun jul aug sep sept oct nov dec "
    "january february march april june july august september october november december".split()
)
THOUSANDS = ["", ",", ".", " ", "\u00a0", "\u202f", "'"]
DECIMAL_MARKS = [".", ","]


@dataclass(frozen=True)
class Spelling:
    """How a column writes its numbers (kept in its format as `number`, written back by `write`)."""

    thousands: str  # "" (none), ",", ".", a space, "'"
    decimal: str  # "." or ","
    prefix: str = ""  # "$", "€ ", "USD "
    suffix: str = ""  # " %", "%", " €"
    parens: bool = False  # negatives written (1,234.00)
    sign_inside: bool = False  # "$-5.00" rather than "-$5.00"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, spec: dict) -> Spelling:
        return cls(**spec)

    def describe(self) -> str:
        parts = [f"{self.thousands!r} between thousands" if self.thousands else "no thousands separator"]
        parts.append(f"{self.decimal!r} before decimals")
        parts += [f"prefix {self.prefix!r}"] * bool(self.prefix) + [f"suffix {self.suffix!r}"] * bool(self.suffix)
        parts += ["negatives in parentheses"] * self.parens
        return ", ".join(parts)

    def write(self, value: float | int, decimals: int | None, trim: bool = False) -> str:
        """`value` spelled so, with `decimals` digits after the mark (None: as few as it needs;
        `trim`: at most `decimals`, as few as it needs, as `12.5%` beside `20%`)."""
        if isinstance(value, int):
            pad = decimals and not trim
            digits, negative = str(abs(value)) + ("." + "0" * decimals if pad else ""), value < 0
        else:
            digits = f"{abs(value):.{decimals}f}" if decimals is not None else _shortest(abs(value))
            digits = digits.rstrip("0").rstrip(".") if trim and "." in digits else digits
            negative = value < 0 and float(digits) != 0
        whole, _, fraction = digits.partition(".")
        if self.thousands:
            whole = f"{int(whole):,}".replace(",", self.thousands)
        text = whole + (self.decimal + fraction if fraction else "")
        if not negative:
            return self.prefix + text + self.suffix
        if self.parens:
            return f"({self.prefix}{text}{self.suffix})"
        return f"{self.prefix}-{text}{self.suffix}" if self.sign_inside else f"-{self.prefix}{text}{self.suffix}"


def _shortest(v: float) -> str:
    text = repr(float(v))
    return f"{v:f}".rstrip("0").rstrip(".") if "e" in text else text.removesuffix(".0")


def _body_pattern(thousands: str, decimal: str) -> re.Pattern:
    # grouped, or not at all (a sheet's cells formatted apart: `1,234.50` beside `2345.00`)
    whole = r"0|[1-9]\d*" if not thousands else rf"0|[1-9]\d{{0,2}}(?:{re.escape(thousands)}\d{{3}})+|[1-9]\d*"
    return re.compile(rf"^(?:{whole})(?:{re.escape(decimal)}(\d+))?$")


_BODIES = {(t, d): _body_pattern(t, d) for t in THOUSANDS for d in DECIMAL_MARKS if t != d}


@dataclass
class Reading:
    """What `read_spelling` found: the spelling (None: the values are not read as numbers) and
    the sentence the inference says of it (empty where the values are no numbers at all)."""

    spelling: Spelling | None
    why: str = ""
    numbers: pd.Series | None = None  # the values read (NaN where blank)
    decimals: int = 0  # the most digits after the mark
    trim: bool = False  # each value with as few decimals as it needs (`12.5%` beside `20%`), not all with the most


def read_spelling(values: pd.Series) -> Reading:
    """The one spelling every non-blank value of `values` (strings) is a number in."""
    if (text := filled_strings(values)) is None:
        return Reading(None)
    parts, unit = text.str.extract(_VALUE), ""
    if parts["body"].isna().any() and (unit := read_units(text)):  # 12.3 kg: the number before the unit
        parts = text.str.slice(0, -len(unit)).str.extract(_VALUE)
    if parts["body"].isna().any():
        return Reading(None)
    affixes = _affixes(parts)
    if affixes is None or unit and (affixes["prefix"] or affixes["suffix"]):
        return Reading(None)
    if unit and parts["body"].nunique() < MIN_DISTINCT:
        return Reading(None)  # a few sizes (`5 kg`, `10 kg`, `25 kg`): labels, as users expect them
    affixes["suffix"] = affixes["suffix"] or unit
    readings = _readings(parts["body"])
    if not readings:
        return Reading(None)
    if len(readings) > 1:  # two spellings, two sets of numbers: one whose decimals are all alike
        even = [r for r in readings if r[2].nunique() == 1]
        readings = even if len(even) == 1 else readings
    if len(readings) > 1:
        example = next(b for b in parts["body"] if any(c in b for c in ".,"))
        (t1, d1, _, n1), (t2, d2, _, n2) = readings[0], readings[1]
        v1, v2 = (n[parts["body"] == example].iloc[0] for n in (n1, n2))
        return Reading(
            None,
            f"values such as {example!r} read as {_plain(v1)} ({_roles(t1, d1)}) or as {_plain(v2)} "
            f"({_roles(t2, d2)}), and no value tells which: not read as numbers (convert the column first)",
        )
    thousands, decimal, places, body_numbers = readings[0]
    if thousands.strip() == "" and thousands and places.max() == 0 and not any(affixes.values()):
        widths = parts["body"].str.count(r"\d")
        if widths.nunique() == 1 and widths.iloc[0] >= 6:  # "555 123 456": a phone number's groups, not thousands
            return Reading(None)
    decimal = decimal if (places > 0).any() else ("," if thousands in (".", " ", "\u00a0", "\u202f") else ".")
    spelling = Spelling(thousands, decimal, **affixes)
    if spelling == Spelling("", "."):
        return Reading(None)  # plain numbers: read as such elsewhere
    negative = parts["open"].notna() | parts["sign"].notna() | parts["inner"].notna()
    numbers = body_numbers.where(~negative, -body_numbers)
    out = pd.Series(float("nan"), index=values.index, dtype="float64")
    out[numbers.index] = numbers
    # a column written with as many decimals as each value needs (`12.5%`, `20%`) has no mark left
    # with a 0 after it: written back padded to the most (`20.0%`) it would not read as the source
    trim = places.nunique() > 1 and not parts["body"].str.contains(rf"{re.escape(decimal)}\d*0$").any()
    why = f"every value is a number written with {spelling.describe()}"
    return Reading(spelling, why, out, int(places.max()), bool(trim))


def read_units(text: pd.Series) -> str:
    """The unit every value of `text` (stripped strings, none blank) writes after its number, with
    the space before it (`" kg"` of `12.3 kg`, `"°C"` of `25°C`), else ""."""
    found = text.str.extract(_UNIT)
    if found["unit"].isna().any() or found["space"].nunique() > 1 or found["unit"].nunique() > 1:
        return ""
    space, unit = found["space"].iloc[0], found["unit"].iloc[0]
    if unit in NOT_UNITS or unit.lower() in NOT_UNITS or unit.rstrip(".").lower() in NOT_UNITS:
        return ""
    if unit not in KNOWN_UNITS and (not space or len(unit.rstrip(".")) < 2):
        return ""
    return space + unit


def _unit(spelling: Spelling) -> str:
    """The unit `spelling` writes after its numbers (`read_units`), else "" (none, or % or a currency)."""
    return spelling.suffix if spelling.suffix and not _AFFIX.match(spelling.suffix) else ""


def read_in(values: pd.Series, spelling: Spelling) -> pd.Series:
    """`values` (strings) read in `spelling`: floats, NaN where a value is blank or not so written."""
    text = values.where(values.map(lambda v: isinstance(v, str)).astype(bool)).astype(object).str.strip()
    if unit := _unit(spelling):  # 12.3 kg: the number before the unit, read as one without it
        text = text.where(text.str.endswith(unit, na=False)).str.slice(0, -len(unit))
        spelling = replace(spelling, suffix="")
    parts = text.str.extract(_VALUE)
    bodies = parts["body"].fillna("")
    fits = (
        bodies.str.match(_BODIES[(spelling.thousands, spelling.decimal)])
        & (parts["prefix"].fillna("") == spelling.prefix)
        & (parts["suffix"].fillna("") == spelling.suffix)
        & (parts["open"].isna() == parts["close"].isna())
    )
    plain = bodies.str.replace(spelling.thousands, "", regex=False) if spelling.thousands else bodies
    numbers = to_numbers(plain.str.replace(spelling.decimal, ".", regex=False)).astype("float64")
    negative = parts["open"].notna() | parts["sign"].notna() | parts["inner"].notna()
    return numbers.where(~negative, -numbers).where(fits)


def _affixes(parts: pd.DataFrame) -> dict | None:
    """The prefix, suffix and way to write negatives every value shares, else None."""
    if (parts["open"].isna() != parts["close"].isna()).any():
        return None
    parens, sign, inner = (bool(parts[c].notna().any()) for c in ("open", "sign", "inner"))
    if parens + sign + inner > 1:
        return None
    prefixes, suffixes = (parts[c].fillna("").unique() for c in ("prefix", "suffix"))
    if len(prefixes) > 1 or len(suffixes) > 1:
        return None
    return {"prefix": prefixes[0], "suffix": suffixes[0], "parens": bool(parens), "sign_inside": bool(inner)}


def _readings(bodies: pd.Series) -> list[tuple[str, str, pd.Series, pd.Series]]:
    """(thousands, decimal mark, digits after the mark, numbers) of each spelling every body
    reads in, one per distinct set of numbers (a separator no value holds preferred absent)."""
    out: dict[tuple, tuple] = {}
    for (t, d), pattern in _BODIES.items():
        found = bodies.str.extract(pattern)
        matched = bodies.str.match(pattern)
        if not matched.all():
            continue
        places = found[0].fillna("").str.len()
        plain = bodies.str.replace(t, "", regex=False) if t else bodies
        numbers = to_numbers(plain.str.replace(d, ".", regex=False)).astype("float64")
        used_t = bool(t) and bodies.str.contains(t, regex=False).any()
        key = tuple(numbers.round(12))
        if key not in out or (used_t and not out[key][4]):
            out[key] = (t, d, places, numbers, used_t)
    return [r[:4] for r in out.values()]


def _roles(thousands: str, decimal: str) -> str:
    return f"{thousands!r} between thousands" if thousands else f"{decimal!r} before decimals"


def _plain(v: float) -> str:
    return str(int(v)) if v == int(v) else repr(float(v))

"""Coerce a column to the dtype of its kind, reporting values that do not fit.

Each function returns (coerced series, mask of non-null inputs that could not be read).
Dtypes are explicit so the code behaves the same under pandas 2 and 3.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from relsynth.relational._blanks import blank_format, blanks, filled_strings, missing_value
from relsynth.relational._durations import duration_units, iso_durations, write_duration
from relsynth.relational._magnitudes import magnitude_format, magnitude_numbers, write_magnitude
from relsynth.relational._spelled_numbers import Reading, Spelling, read_in, read_spelling
from relsynth.relational._unit_scales import scale_format, scaled_numbers, write_scaled
from relsynth.relational._worded_durations import worded_format, worded_seconds, write_worded
from relsynth.relational.columns import Column
from relsynth.relational.numbers import to_numbers

STRING = pd.StringDtype()
# A number written in a way its value loses (a leading zero, a plus sign, a space): a code such as
# the zip "00501" or the key "007", kept as text ("007" read as 7 would also merge with "7")
NUMBER_AS_CODE = re.compile(r"^\s|\s$|^[+-]?0\d|^\+")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _none_bad(s: pd.Series) -> pd.Series:
    return pd.Series(False, index=s.index)


def _key(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Keys stay integers when every value is an integer, else become strings."""
    if ptypes.is_integer_dtype(s.dtype) and _fits_int64(s):
        return s.astype("Int64"), _none_bad(s)
    ints = _as_int_keys(s)  # None past int64 (uint64 ids): such keys are text, as from a CSV
    return (ints if ints is not None else s.astype(STRING)), _none_bad(s)


def _as_int_keys(s: pd.Series) -> pd.Series | None:
    """The keys as Int64 when every value is an integer written plainly ("7", 7.0), else None.

    A string such as "07" keeps the column textual: reading it as 7 would merge it with "7".
    """
    vals = s.dropna()
    if vals.empty:
        return None
    numbers = to_numbers(vals).astype("float64")
    if not (numbers % 1 == 0).all() or (numbers.abs() >= 2.0**63).any():  # NaN, inf, beyond int64: text
        return None
    ints = to_numbers(vals).astype("Int64")
    if not ptypes.is_numeric_dtype(s.dtype) and not (vals.astype(str).str.strip() == ints.astype(str)).all():
        return None
    return to_numbers(s).astype("Int64")


def _numeric(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Finite float64: text that is no number, and ±inf (no place in a bin), do not fit; nor do
    datetimes and durations (pandas would read them as nanoseconds, silently)."""
    if ptypes.is_datetime64_any_dtype(s.dtype) or ptypes.is_timedelta64_dtype(s.dtype):
        return pd.Series(np.nan, index=s.index, dtype="float64"), s.notna()
    out = to_numbers(s) if not ptypes.is_numeric_dtype(s.dtype) else s
    out = out.astype("float64")
    infinite = np.isinf(out.to_numpy(dtype="float64", na_value=np.nan))
    return out.mask(infinite), (s.notna() & ~blanks(s) & out.isna()) | infinite


def _integer(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Integers go straight to Int64: a detour through float64 loses digits past 2**53.
    if ptypes.is_timedelta64_dtype(s.dtype):  # to_numeric would read durations as nanoseconds, silently
        return _numeric(s)
    if ptypes.is_integer_dtype(s.dtype) and _fits_int64(s):
        return s.astype("Int64"), _none_bad(s)
    if not ptypes.is_numeric_dtype(s.dtype) and not ptypes.is_datetime64_any_dtype(s.dtype):
        exact = to_numbers(s)
        if ptypes.is_integer_dtype(exact.dtype) and _fits_int64(exact):
            return exact.astype("Int64"), _none_bad(s)
    num, bad = _numeric(s)
    fractional = num.notna() & (num % 1 != 0)
    too_big = num.abs() >= 2.0**63  # beyond int64: listed as a problem, never a cast error
    unfit = fractional | too_big
    return num.where(~unfit).round().astype("Int64"), bad | unfit


def _numbers(s: pd.Series) -> pd.Series:
    """Where `s` holds a number (not text, not a bool)."""
    if ptypes.is_bool_dtype(s.dtype):
        return pd.Series(False, index=s.index)
    if ptypes.is_numeric_dtype(s.dtype):
        return s.notna()
    return s.map(lambda v: isinstance(v, int | float | np.number) and not isinstance(v, bool) and not pd.isna(v))


def _fits_int64(s: pd.Series) -> bool:
    if s.dtype.kind != "u" and not (ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)):
        return True
    vals = s.dropna()
    return bool(len(vals) == 0 or vals.max() < 2**63)


_NS_MIN, _NS_MAX = pd.Timestamp.min, pd.Timestamp.max


_FIND = object()  # a text date column's pattern not given: `text_datetime_format` finds it


def _datetime(s: pd.Series, fmt: str | None | object = _FIND, day_first: bool = False) -> tuple[pd.Series, pd.Series]:
    """`fmt`: the column's text pattern (`text_datetime_format`; None: none reads every value);
    `day_first`: the column is declared written day first (`columns.Date`)."""
    original = s
    if ptypes.is_datetime64_any_dtype(s.dtype):
        out = s.dt.tz_convert("UTC").dt.tz_localize(None) if s.dt.tz is not None else s
        out = out.where((out >= _NS_MIN) & (out <= _NS_MAX))  # beyond what datetime64[ns] holds
    elif compact_dates(s, min_distinct=1):  # 20240305, in a column declared a date
        out = _compact(s)
        s = s.where(~blanks(s))
    elif excel_serial(s):  # declared a date: its numbers are a spreadsheet's serial days
        s = s.where(~blanks(s))  # a blank or placeholder ('NULL') is a missing date, not a bad one
        days = to_numbers(s.astype(object)).astype("float64")
        out = pd.Timestamp(EXCEL_ORIGIN) + pd.to_timedelta(days, unit="D")
    else:
        fmt = text_datetime_format(s, day_first) if fmt is _FIND else fmt
        # utc=True reads values with different offsets into one column; naive values keep their wall time.
        # a number has no date of its own (yyyymmdd? epoch seconds? days?): pandas would read nanoseconds
        blank = blanks(s)
        s = s.where(~_numbers(s) & ~blank)
        by_shape = shape_formats(s, day_first) if fmt is None else None
        out = _read_dates(s, fmt) if by_shape is None else _read_by_shape(s, by_shape)
        s = original.where(~blank)  # a blank is a missing date
    out = out.astype("datetime64[ns]")
    return out, s.notna() & out.isna()


def _read_dates(s: pd.Series, fmt: str | None) -> pd.Series:
    """Text dates in pattern `fmt` (None: value by value), as naive UTC."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.to_datetime(s, errors="coerce", format=fmt or "mixed", utc=True).dt.tz_localize(None)


def _read_by_shape(s: pd.Series, by_shape: dict[str, str]) -> pd.Series:
    """Text dates, each in its shape's pattern (`shape_formats`)."""
    shapes = date_shapes(s.astype(object).where(s.map(lambda v: isinstance(v, str)), ""))
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    for shape, fmt in by_shape.items():
        mask = (shapes == shape).to_numpy(dtype=bool)
        out.iloc[mask] = _read_dates(s[mask], fmt).astype("datetime64[ns]")
    return out


# month and weekday names as the field each writes in a date's shape (`date_shapes`); May, a full
# name and an abbreviation both, is shaped as an abbreviation (`_may_in_full` joins it to its column's full names)
_FULL_MONTH = r"\b(?:january|february|march|april|june|july|august|september|october|november|december)\b"
_SHORT_MONTH = r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\b"
_NAMED_FIELDS = (
    (_FULL_MONTH, "B"),
    (_SHORT_MONTH, "b"),
    (r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", "A"),
    (r"\b(?:mon|tue|wed|thu|fri|sat|sun)\b", "a"),
)


def date_shapes(s: pd.Series) -> pd.Series:
    """Each text date's shape: its digits as `Y` (3 or more) or `d` (1 or 2), its month and weekday
    names as `B`, `b`, `A`, `a` (full, short), around its other characters (`2021-03-15`: `Y-d-d`;
    `5/3/2021` and `05/03/2021`: `d/d/Y`; `5 Mar 2021`: `d b Y`)."""
    text = s.astype(str).str.strip()
    for pattern, field in _NAMED_FIELDS:
        text = text.str.replace(pattern, field, regex=True, flags=re.IGNORECASE)
    return text.str.replace(r"\d{3,}", "Y", regex=True).str.replace(r"\d{1,2}", "d", regex=True)


_DATE_START = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"  # a value shaped as a date, which shape_formats reads
_NAMED_DATE = (
    rf"(?:{_FULL_MONTH}|{_SHORT_MONTH}).*\b\d{{4}}\b|\b\d{{4}}\b.*(?:{_FULL_MONTH}|{_SHORT_MONTH})"  # 5 Mar 2021
)
_MAX_SHAPES = 6  # more shapes than this: not a column of dates in a few spellings


def shape_formats(s: pd.Series, day_first: bool = False) -> dict[str, str] | None:
    """Where no one pattern reads a text date column whole but each of its few shapes has one (a
    column merged from two exports: `2021-03-15` beside `05/03/2021`): shape -> the first of
    `DATETIME_FORMATS` that reads every value of that shape, so each spelling is read one way (its
    `05/03` never May 3 beside a `25/03`; each read day first where `day_first`); else None."""
    if (vals := filled_strings(s)) is None or not (
        vals.str.match(_DATE_START) | vals.str.contains(_NAMED_DATE, flags=re.IGNORECASE)
    ).all():
        return None
    shapes = date_shapes(vals)
    if not 1 < shapes.nunique() <= _MAX_SHAPES:
        return None
    out, groups = {}, dict(list(vals.groupby(shapes, sort=False)))
    for shape, group in groups.items():
        if (fmt := text_datetime_format(group, day_first)) is None:
            return None
        out[str(shape)] = fmt
    # a shape read month first only because its days are all 12 or less is read day first where
    # another shape's dates, written in the same order, are (05/03/2021 beside 25/03/2021 11:00)
    day_first = {_swapped(f)[:8] for f in out.values() if f.startswith("%d")}
    for shape, fmt in out.items():
        if fmt[:8] in day_first and _reads_all(groups[shape], _swapped(fmt)):
            out[shape] = _swapped(fmt)
    return out


def _swapped(fmt: str) -> str:
    """A date pattern with its month and day exchanged (its minutes, %M, kept)."""
    return re.sub(r"%[md]", lambda field: "%d" if field[0] == "%m" else "%m", fmt)


def _spellings(s: pd.Series, by_shape: dict[str, str]) -> dict:
    """{"spellings": [...]} of a text date column written in several patterns (`shape_formats`):
    each pattern's `_spelling` and "share" of the written values (shapes of one pattern together:
    `5/3/2021` and `25/12/2021`), most frequent first; {} where one pattern writes them all."""
    vals = s.dropna()
    vals = vals[~blanks(vals)].astype(str).str.strip()
    patterns = _may_in_full(vals, date_shapes(vals).map(by_shape))
    if patterns.nunique() < 2:
        return {}
    counts = patterns.value_counts()
    return {
        "spellings": [
            {**_spelling(vals[patterns == fmt], fmt), "share": round(int(n) / len(vals), 6)}
            for fmt, n in counts.items()
        ]
    }


def _may_in_full(vals: pd.Series, patterns: pd.Series) -> pd.Series:
    """Each text date's pattern, with dates of May read in a short-name pattern (`May 5, 2021`:
    `%b %d, %Y`) given its full-name twin where the column writes other months in full (`March 5,
    2021`): one spelling, whose other months a generated May must not write short."""
    for fmt in patterns.unique():
        full = fmt.replace("%b", "%B")
        if full != fmt and full in set(patterns) and vals[patterns == fmt].str.contains(r"(?i)\bmay\b").all():
            patterns = patterns.replace(fmt, full)
    return patterns


def _spelling(vals: pd.Series, fmt: str) -> dict:
    """How text dates written in pattern `fmt` are written: the pattern and what strftime cannot say alone."""
    return {"strftime": fmt, **_fraction_and_offset(vals, fmt), **_trimmed_fraction(vals, fmt), **_unpadded(vals, fmt)}


# a format's keys that say how one spelling of text dates is written (`_spelling`)
_SPELLING_KEYS = ("strftime", "fraction_digits", "zulu", "offset_colon", "offset", "zone", "trim_fraction", "unpadded")
_GOLDEN = (5**0.5 - 1) / 2


def spelling_of_rows(s: pd.Series, spellings: list[dict]) -> np.ndarray:
    """Which of a format's `spellings` writes each date of `s`: the k-th row's by the k-th point of
    the golden-ratio sequence, so every run of rows holds each spelling in its share (within a few
    rows) in no order a column follows; among the spellings that write all of its time of day
    (`_resolution`: not a date alone for 10:30, nor minutes for 10:30:15), or else the finest."""
    points = (np.arange(1, len(s) + 1) * _GOLDEN) % 1
    shares = np.array([float(sp["share"]) for sp in spellings])
    written = np.array([_spelled_resolution(sp["strftime"]) for sp in spellings])
    needed = np.minimum(_resolution(s), written.max())
    choice = np.zeros(len(s), dtype=np.int64)
    for level in np.unique(needed):
        rows, kept = needed == level, shares * (written >= level)
        choice[rows] = np.searchsorted(np.cumsum(kept) / kept.sum(), points[rows], side="right")
    return np.minimum(choice, len(spellings) - 1)


def _resolution(s: pd.Series) -> np.ndarray:
    """How much of its time of day each datetime needs written: 0 none (midnight), 1 minutes, 2 seconds, 3 a fraction."""
    fraction = (s.dt.microsecond.fillna(0) + s.dt.nanosecond.fillna(0)) > 0
    seconds, clock = s.dt.second.fillna(0) > 0, s.notna() & (s != s.dt.normalize())
    return np.select([m.to_numpy(dtype=bool) for m in (fraction, seconds, clock)], [3, 2, 1], 0)


def _spelled_resolution(fmt: str) -> int:
    """How much of a time of day a date pattern writes (`_resolution`)."""
    return 3 if "%f" in fmt else 2 if "%S" in fmt else 1 if "%H" in fmt else 0


def _in_spellings(s: pd.Series, fmt: Mapping) -> pd.Series:
    """Datetimes written as text in a format's several spellings (`_spellings`), each in its share."""
    base = {k: v for k, v in fmt.items() if k not in _SPELLING_KEYS and k != "spellings"}
    choice = spelling_of_rows(s, fmt["spellings"])
    out = pd.Series(None, index=s.index, dtype=object)
    for i, spelling in enumerate(fmt["spellings"]):
        rows = (choice == i) & s.notna().to_numpy(dtype=bool)
        if rows.any():
            written = {k: v for k, v in spelling.items() if k != "share"}
            out[rows] = to_source(s[rows], {**base, **written}).astype(object).to_numpy()
    return _as_dtype(out.where(s.notna(), missing_value(fmt)), fmt["dtype"], s)


def _main_shape(s: pd.Series, by_shape: dict[str, str]) -> tuple[str, pd.Series]:
    """The pattern of the most frequent shape of a text date column, and its values."""
    vals = s.dropna()
    vals = vals[~blanks(vals)]
    shapes = date_shapes(vals)
    main = str(shapes.value_counts(sort=False).idxmax())
    return by_shape[main], vals[shapes == main]


# The patterns of dates and datetimes written as text, tried in this order: the first that reads every
# value of a column is the column's, so each value is read the same way ("05/03/2020" is never 5 March
# in one row and May 3 in the next) and to_dir writes them back in it. Month first before day first
# where both read every value (as pandas does); a column that no pattern reads whole is read value by value.
_DATE_PARTS = ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%m-%d-%Y", "%d-%m-%Y"]
# dates a report or a spreadsheet writes with the month's English name: Mar 5, 2024, 05-Mar-2024, 5 March 2024,
# Mar 5 2024 (a log's or JavaScript's toDateString, no comma), 2024-Mar-05 (Oracle's and some exports' year first)
_NAMED_MONTHS = [
    "%b %d, %Y",
    "%B %d, %Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%y",
    "%b %d %Y",
    "%B %d %Y",
    "%Y-%b-%d",
]
# with the weekday's name too: an e-mail's or HTTP's date (Fri, 05 Mar 2021), a report's long date
# (Friday, March 5, 2021; Friday, 5 March 2021), JavaScript's toDateString (Fri Mar 05 2021)
_NAMED_MONTHS += ["%a, %d %b %Y", "%a, %b %d, %Y", "%A, %B %d, %Y", "%A, %d %B %Y", "%a %b %d %Y"]
_DATE_PARTS += _NAMED_MONTHS
_DATE_PARTS += ["%G-W%V-%u"]  # an ISO 8601 week date: 2021-W09-5, the Friday of 2021's 9th week
# a two-digit year (05/03/21), month first before day first as above: tried only where its century is
# plain (`_plain_centuries`)
_SHORT_YEARS = ["%m/%d/%y", "%d/%m/%y", "%m-%d-%y", "%d-%m-%y"]  # not 1.10.20: a version
_DATE_PARTS += _SHORT_YEARS
_TIME_PARTS = ["", " %H:%M:%S", "T%H:%M:%S", " %H:%M", "T%H:%M", " %H:%M:%S.%f", "T%H:%M:%S.%f"]
DATETIME_FORMATS = [d + t + z for d in _DATE_PARTS for t in _TIME_PARTS for z in ("", "%z") if t or not z]
_MONTH_NAME = re.compile(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b")
_WEEKDAY = re.compile(r"(?i)\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
_FORMAT_SAMPLE = 500  # values a pattern is tried on before the whole column
# A month without its day, tried after those where every value has exactly this shape: a card's
# expiry `03/27` (read as its month's first day; strptime alone would read `3/7` too)
MONTH_FORMATS = {"%m/%y": r"(?:0[1-9]|1[0-2])/\d{2}", "%m/%Y": r"(?:0[1-9]|1[0-2])/\d{4}"}


# Excel stores a date as its count of days since 1899-12-30 (44636: 2022-03-16); a spreadsheet's
# export may write that number. Read so only by hand: a count of days is a number too.
EXCEL_ORIGIN = "1899-12-30"
EXCEL_CONVERSION = f"pd.to_datetime(df[col].astype(float), unit='D', origin='{EXCEL_ORIGIN}')"
_EXCEL_SPAN = (25569, 73050)  # 1970-01-01 to 2099-12-31: the dates such a column would plausibly hold


def excel_dates(numbers: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """(first, last) date that numbers would be as Excel's serial days, where they all could be
    recent ones (1970 to 2099, more than 10 values, not all round tens as salaries are), else None."""
    x = to_numbers(numbers).dropna().astype("float64")
    if x.nunique() <= 10 or not x.between(*_EXCEL_SPAN).all() or (x % 10 == 0).all():
        return None
    first, last = (pd.Timestamp(EXCEL_ORIGIN) + pd.Timedelta(days=float(v)) for v in (x.min(), x.max()))
    return first.normalize(), last.normalize()


# A date written as the number yyyymmdd (20240305: a data warehouse's date key, a legacy system's
# date field): read so where every value is one, of years 1900 to 2099, in MIN_COMPACT distinct
# values at least (counters and amounts of 8 digits fall off the calendar within a month's days),
# or in any number where the column is declared a date or named as one (`date_named`)
COMPACT_DATE = "%Y%m%d"
MIN_COMPACT = 20
_DATE_NAME = re.compile(r"(?i)date|(?:^|_)dt$")  # order_date, OrderDate, dt, order_dt
_COMPACT = r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"


def date_named(name: object) -> bool:
    """Whether a column's name says it holds dates (`order_date`, `OrderDate`, `order_dt`)."""
    return isinstance(name, str) and _DATE_NAME.search(name) is not None


def compact_dates(s: pd.Series, min_distinct: int = MIN_COMPACT) -> bool:
    """Whether a column's values are all whole numbers (or their text) that read as dates yyyymmdd,
    `min_distinct` of them at least (1: the column is declared a date)."""
    if ptypes.is_bool_dtype(s.dtype) or ptypes.is_datetime64_any_dtype(s.dtype):
        return False
    held = s.where(~blanks(s)).dropna()
    if ptypes.is_float_dtype(held.dtype) and not (held % 1 == 0).all():
        return False
    if ptypes.is_numeric_dtype(held.dtype):
        digits = held.astype("int64").astype(str)
    elif _all_of(held, str):
        digits = held.str.strip()
    else:
        return False
    if held.nunique() < max(min_distinct, 1) or not digits.str.fullmatch(_COMPACT).all():
        return False
    return bool(pd.to_datetime(digits, format=COMPACT_DATE, errors="coerce").notna().all())


def _compact(s: pd.Series) -> pd.Series:
    """Dates written yyyymmdd (`compact_dates`), blanks as missing."""
    held = s.where(~blanks(s))
    digits = held.map(
        lambda v: str(int(v)) if isinstance(v, int | float | np.number) else str(v).strip(), na_action="ignore"
    )
    return pd.to_datetime(digits, format=COMPACT_DATE, errors="coerce")


def excel_serial(s: pd.Series) -> bool:
    """Whether a column holds numbers only (and blanks), all of them recent Excel serial days
    (`excel_dates`): a column declared a date that holds them is read, and written back, so."""
    held = s.where(~blanks(s)).dropna()
    numbers = held if ptypes.is_numeric_dtype(held.dtype) else to_numbers(held.astype(object))
    return (
        bool(len(held))
        and not ptypes.is_bool_dtype(held.dtype)
        and numbers.notna().all()
        and excel_dates(numbers) is not None
    )


def text_datetime_format(s: pd.Series, day_first: bool = False) -> str | None:
    """The first of `DATETIME_FORMATS` that reads every non-null, non-blank value of `s` (strings), else
    None; where `day_first` (the column declared so), its day-first twin where that reads them too."""
    if (vals := filled_strings(s)) is None:
        return None
    sample = vals.iloc[:: max(1, len(vals) // _FORMAT_SAMPLE)]
    named = bool(re.search(_MONTH_NAME, sample.iloc[0]))  # no text column of words tries a month's name
    weekday, week = bool(re.search(_WEEKDAY, sample.iloc[0])), "-W" in sample.iloc[0]
    short_years = _plain_centuries(vals)
    for fmt in DATETIME_FORMATS:
        if fmt[:8] in _SHORT_YEARS and not short_years:
            continue
        if ("%b" in fmt or "%B" in fmt) and not named or ("%a" in fmt or "%A" in fmt) and not weekday:
            continue
        if "%G" in fmt and not week:
            continue
        if _reads_all(sample, fmt) and (len(sample) == len(vals) or _reads_all(vals, fmt)):
            return _swapped(fmt) if day_first and _month_first_too(vals, fmt) else fmt
    return next((fmt for fmt, shape in MONTH_FORMATS.items() if vals.str.fullmatch(shape).all()), None)


# two-digit years strptime reads in a century no other reading would give: 00-40 as 2000-2040, 69-99 as
# 1969-1999 (41-68 could be either: a birth date's 52 read as 2052), in MIN_COMPACT distinct values
# at least (codes shaped 1/2/03 fall off the calendar within a few)
_SHORT_YEAR = r"\d{1,2}([-/])\d{1,2}\1(\d{2})(?:[ T].*)?"
_PLAIN_CENTURY = (40, 69)


def _plain_centuries(vals: pd.Series) -> bool:
    """Whether text dates written with a two-digit year (`_SHORT_YEAR`) plainly say their century."""
    years = vals.str.extract(f"^{_SHORT_YEAR}$")[1]
    if years.isna().any() or vals.nunique() < MIN_COMPACT:
        return False
    yy = years.astype(int)
    return bool(((yy <= _PLAIN_CENTURY[0]) | (yy >= _PLAIN_CENTURY[1])).all())


def day_first_too(s: pd.Series, fmt: str | None) -> str | None:
    """A value of a text date column that is read month first but reads day first as well, where
    every value of its spelling does (their days all 12 or less), else None. `fmt`: the column's
    pattern (`text_datetime_format`); None: each spelling's (`shape_formats`), so one `03/02/2024`
    among ISO dates is not read as 2 March without a word."""
    if fmt is None:
        by_shape = shape_formats(s) or {}
        vals = filled_strings(s)
        shapes = date_shapes(vals) if by_shape else None
        groups = ((vals[shapes == shape], f) for shape, f in by_shape.items())
    else:
        groups = iter([(s.dropna().astype(str).str.strip(), fmt)])
    return next((str(group.iloc[0]) for group, f in groups if _month_first_too(group, f)), None)


def _month_first_too(vals: pd.Series, fmt: str) -> bool:
    """Whether dates read month first (`fmt`) read day first as well: every day is 12 or less."""
    if "%m" not in fmt:
        return False
    swapped = _swapped(fmt)
    later = swapped in DATETIME_FORMATS and DATETIME_FORMATS.index(swapped) > DATETIME_FORMATS.index(fmt)
    return later and _reads_all(vals, swapped)


def _reads_all(vals: pd.Series, fmt: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read = pd.to_datetime(vals, errors="coerce", format=fmt, utc=True)
    return bool(read.notna().all()) and _own_weekdays(vals, fmt, read)


def _own_weekdays(vals: pd.Series, fmt: str, read: pd.Series) -> bool:
    """Whether dates written with a weekday's name (`Fri, 5 Mar 2021`) name their own: strptime
    reads the name unchecked, and one naming another day is no date this column would write back."""
    if "%a" not in fmt and "%A" not in fmt:
        return True
    named = vals.astype(str).str.extract(_WEEKDAY, expand=False).str.lower()
    return bool(named.eq(read.dt.strftime("%a").str.lower()).all())


def _date(s: pd.Series, fmt: str | None | object = _FIND, day_first: bool = False) -> tuple[pd.Series, pd.Series]:
    if isinstance(s.dtype, pd.DatetimeTZDtype):  # a zoned date is its zone's (20:00 in New York: next day in UTC)
        s = s.dt.tz_localize(None)
    out, bad = _datetime(s, fmt, day_first)
    return out.dt.normalize(), bad


_SHORT_HOUR = re.compile(r"^\d:\d\d")
# a 12-hour time of day (3:45 PM, 11:05:30am): its hour, the rest, and which half of the day
MERIDIEM = r"(?P<hour>0?[1-9]|1[0-2]):(?P<rest>[0-5]\d(?::[0-5]\d)?)(?P<space> ?)(?P<half>[AaPp])[Mm]"
_MERIDIEM = re.compile(MERIDIEM)


def _parse_time(v: object) -> dt.time | None:
    """A time of day from a `time`, a datetime (its time part) or an ISO string ("9:30" too); one
    with a UTC offset (SQL `time with time zone`, "09:00+02:00") as its naive UTC time, as zoned
    datetimes are held (the model has no offset to learn: 09:00+02 was generated as 09:00+00)."""
    if isinstance(v, dt.datetime):
        return v.time()
    if not isinstance(v, dt.time):
        text = str(v).strip()
        if (half := _MERIDIEM.fullmatch(text)) is not None:  # 3:45 PM: 15:45
            hour = int(half["hour"]) % 12 + (12 if half["half"].lower() == "p" else 0)
            text = f"{hour:02d}:{half['rest']}"
        elif _SHORT_HOUR.match(text):  # fromisoformat wants two-digit hours; infer accepts one
            text = "0" + text
        try:
            v = dt.time.fromisoformat(text)
        except ValueError:
            return None
    offset = v.utcoffset()
    if offset is None:
        return v
    moment = dt.datetime.combine(dt.date(2000, 1, 1), v.replace(tzinfo=None)) - offset
    return moment.time()


def _time(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = pd.Series([_parse_time(v) if pd.notna(v) else None for v in s], index=s.index, dtype=object)
    return out, s.notna() & out.isna()


def _boolean(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_bool_dtype(s.dtype):
        return s.astype("boolean"), _none_bad(s)
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    if ptypes.is_numeric_dtype(s.dtype):
        # 1/0 read from a CSV with gaps arrive as 1.0/0.0; their text would not match "1"/"0".
        num = s.astype("float64")
        out[(num == 1).to_numpy(bool)] = True
        out[(num == 0).to_numpy(bool)] = False
        return out, s.notna() & out.isna()
    low = s.astype(STRING).str.strip().str.lower()
    out[low.isin(_TRUE).fillna(False).to_numpy(bool)] = True
    out[low.isin(_FALSE).fillna(False).to_numpy(bool)] = False
    return out, s.notna() & ~blanks(s) & out.isna()  # a blank or 'NULL' is a missing flag


def _categorical(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype):
        return as_strings(s)
    return s, _none_bad(s)


def _text(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    return as_strings(s)


_STRUCTURED = (dict, list, tuple)  # a database's JSON and array values, as its driver returns them
_BINARY = (bytes, bytearray, memoryview)


def as_strings(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Strings; JSON and array values as JSON text (astype would store Python's repr, {'a': 1},
    which a database cannot read back as JSON), bytes as UTF-8 text (bytes that are not do not fit)."""
    if not ptypes.is_object_dtype(s.dtype) or not any(isinstance(v, _STRUCTURED + _BINARY) for v in s):
        return s.astype(STRING), _none_bad(s)
    out = s.map(_string, na_action="ignore")
    return out.astype(STRING), s.notna() & out.isna()


def _string(v: object) -> object:
    if isinstance(v, _STRUCTURED):
        return json.dumps(v, ensure_ascii=False, default=str)  # keys in the stored order
    if isinstance(v, _BINARY):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return v


COERCERS = {
    Column.PRIMARY_KEY: _key,
    Column.FOREIGN_KEY: _key,
    Column.NUMERIC: _numeric,
    Column.INTEGER: _integer,
    Column.DATETIME: _datetime,
    Column.DATE: _date,
    Column.TIME: _time,
    Column.BOOLEAN: _boolean,
    Column.CATEGORICAL: _categorical,
    Column.TEXT: _text,
    Column.IDENTIFIER: _text,
}


def spelled_numbers(s: pd.Series) -> Reading | None:
    """`read_spelling` of a text column of numbers that are not all written plainly (`1,234.56`,
    `1234,56`, `$5.00`), else None (numbers, plain text numbers, or no text at all)."""
    if ptypes.is_numeric_dtype(s.dtype) or not _all_of(s, str):
        return None
    solid = s.where(~blanks(s)).dropna()
    if solid.empty or to_numbers(solid).notna().all():
        return None
    found = read_spelling(s)
    return found if found.spelling is not None else None


def coerce(
    s: pd.Series,
    kind: Column,
    date_format: str | None | object = _FIND,
    spelling: Mapping | None = None,
    day_first: bool = False,
) -> tuple[pd.Series, np.ndarray]:
    """(the column in its kind's dtype, where a non-null value does not fit); `date_format`: a text
    date column's pattern (`text_datetime_format`), found once for reading and writing back. A
    number column written in a locale's or a report's spelling (`spelled_numbers`) is read in it,
    or in `spelling` (a format's "number", as `to_dir` wrote it) where given. `day_first`: a date
    column declared written day first (`columns.Date`), whose `03/05/2021` is 3 May."""
    if kind in (Column.NUMERIC, Column.INTEGER) and spelling and _all_of(s, str):
        numbers = read_in(s, Spelling.from_dict(spelling))
        s = numbers.astype(object).where(numbers.notna() | blanks(s), s)  # what does not read: shown as it is
    elif kind in (Column.NUMERIC, Column.INTEGER) and (seconds := iso_durations(s)) is not None:
        s = seconds  # PT2H33M57S: 9237 seconds
    elif kind in (Column.NUMERIC, Column.INTEGER) and (spelled := spelled_numbers(s)) is not None:
        s = spelled.numbers
    elif kind in (Column.NUMERIC, Column.INTEGER) and (counts := magnitude_numbers(s)) is not None:
        s = counts  # 1.2k: 1200
    elif kind in (Column.NUMERIC, Column.INTEGER) and (scaled := scaled_numbers(s)) is not None:
        s = scaled  # 1.2 GB beside 500 MB: 1200 (MB)
    elif kind in (Column.NUMERIC, Column.INTEGER) and (seconds := worded_seconds(s)) is not None:
        s = seconds  # 1h 30m: 5400 seconds
    dated = kind in (Column.DATE, Column.DATETIME)
    out, bad = COERCERS[kind](s, date_format, day_first) if dated else COERCERS[kind](s)
    return out, bad.to_numpy(dtype=bool)


# An open end: the one far date a validity column writes for "no end yet" (an SCD2 valid_to of
# 9999-12-31), past what datetime64[ns] holds, in this many rows at least
OPEN_END_MIN_ROWS = 2


def open_end(s: pd.Series, bad: np.ndarray) -> tuple[pd.Series, dict] | None:
    """(where, format) of a date column's open end: its values that did not read (`bad`) are one
    date out of datetime64[ns]'s range in OPEN_END_MIN_ROWS rows or more, and the column holds no
    null (which would then say two things). Read as nulls, written back as the value
    (`source_format`'s "open_end", its ISO form; "open_end_text", as a text column spelled it)."""
    if bad.sum() < OPEN_END_MIN_ROWS or s.isna().any():
        return None
    values = s[bad].map(lambda v: v.strip() if isinstance(v, str) else v)
    if values.nunique() != 1:
        return None
    raw = values.iloc[0]
    when = _far_date(raw)
    if when is None:
        return None
    text = {"open_end_text": s[bad].iloc[0]} if isinstance(raw, str) else {}
    return pd.Series(bad, index=s.index) & s.notna(), {"open_end": when.isoformat(), **text}


# MySQL's zero date, its "no date" (the default of a NOT NULL DATETIME), as a dump read as text holds
# it: no calendar has it, so it is read as null and written back so where the column holds no NULL
_ZERO_DATE = re.compile(r"0000-00-00(?:[ T]00:00:00(?:\.0+)?)?")


def zero_dates(s: pd.Series, bad: np.ndarray) -> tuple[pd.Series, dict] | None:
    """(where, format) of a date column's zero dates ('0000-00-00 00:00:00'): every value that did
    not read (`bad`) is one spelling of it, in one row or more. The format, {"zero_date": spelling},
    writes the column's nulls back as it (`with_open_end`); its caller drops it where the column
    holds nulls too, which then say both (written back as NULL)."""
    if not bad.any():
        return None
    values = s[bad]
    if not _all_of(values, str) or values.nunique() != 1 or not _ZERO_DATE.fullmatch(values.iloc[0]):
        return None
    return pd.Series(bad, index=s.index) & s.notna(), {"zero_date": values.iloc[0]}


def _far_date(v: object) -> dt.date | None:
    """`v` as a date or datetime where it is one out of datetime64[ns]'s range, else None."""
    if isinstance(v, str):
        v = next((t for f in DATETIME_FORMATS if (t := _strptime(v, f)) is not None), None)
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, np.datetime64):
        v = v.astype("datetime64[us]").astype(object)
    if not isinstance(v, dt.date) or _NS_MIN.year < v.year < _NS_MAX.year:
        return None
    return v


def _strptime(v: str, fmt: str) -> dt.date | None:
    """`v` read in `fmt`: a date where the pattern has no time of day."""
    try:
        when = dt.datetime.strptime(v, fmt)
    except ValueError:
        return None
    return when if "%H" in fmt else when.date()


def with_open_end(out: pd.Series, s: pd.Series, fmt: Mapping) -> pd.Series:
    """`out` (column `s` in its source's representation) with `s`'s nulls written as the open end
    the source wrote for them (`open_end`), or its zero date (`zero_dates`)."""
    empty = s.isna()
    if not empty.any():
        return out
    if "zero_date" in fmt:  # MySQL's, as text: no date type holds it
        return out.astype(object).where(~empty.to_numpy(), fmt["zero_date"])
    iso = fmt["open_end"]
    when = dt.datetime.fromisoformat(iso) if "T" in iso else dt.date.fromisoformat(iso)
    if "open_end_text" in fmt or "strftime" in fmt:
        value: object = fmt.get("open_end_text") or when.strftime(fmt["strftime"])
    elif ptypes.is_datetime64_any_dtype(out.dtype) and out.dt.tz is None:  # a unit that holds it (datetime64[us])
        out = out.astype("datetime64[us]")
        value = np.datetime64(iso if "T" in iso else f"{iso}T00:00:00", "us")
    elif isinstance(when, dt.datetime) or not fmt.get("date_objects"):
        value = when if isinstance(when, dt.datetime) else dt.datetime.combine(when, dt.time())
    else:
        value = when
    out = out.astype(object) if out.dtype != "datetime64[us]" else out
    out = out.copy()
    out[empty.to_numpy()] = value
    return out


# ---- the source's representation: detected on the way in, restored on the way out --------------
# A format is a small JSON-able dict: {"dtype": the source's dtype} plus, for booleans written as
# text or numbers, {"true": spelling, "false": spelling}, and for dates and times held as text,
# {"strftime": pattern}. None: the canonical dtype is the source's.
_PAIRS = {"y": "n", "yes": "no", "t": "f", "true": "false", "1": "0"}
_PAIRS.update({v: k for k, v in _PAIRS.items()})
_TIME_STRFTIME = [(r"^\d{2}:\d{2}:\d{2}$", "%H:%M:%S"), (r"^\d{2}:\d{2}$", "%H:%M")]
_TIME_FRACTION = r"^\d{2}:\d{2}:\d{2}\.(\d{1,9})$"  # 10:34:04.048: its fraction's digits
_SHORT_HOURS = [(r"^\d{1,2}:\d{2}:\d{2}$", "%H:%M:%S"), (r"^\d{1,2}:\d{2}$", "%H:%M")]  # 9:30 beside 14:05
_FRACTION = re.compile(r":\d{2}\.(\d{1,9})")  # the fraction of the seconds (not the dots of 05.03.2020)
_OFFSET = re.compile(r"[+-]\d{2}:\d{2}$")
_ANY_OFFSET = r"([+-]\d{2}):?(\d{2})$"


_PADDED = ("%d", "%m", "%H", "%I")  # the fields strftime writes with a leading zero (05), a source may not (5)
_MARK = "\x1f"  # put before a field written without its zero, to find it in strftime's text


def _unpadded(s: pd.Series, fmt: str) -> dict:
    """The fields of a text date pattern that the column writes without a leading zero
    (`Mar 5, 2024`, `5/3/2024`: %d, %m), which strftime pads: some value writes the field in one
    digit, none with a leading zero."""
    if not _PADDED_IN.search(fmt):  # 2021-W09-5: no field strftime pads
        return {}
    vals = s.dropna().astype(str).str.strip()
    vals = vals[~blanks(vals)]
    parts = vals.str.extract(_field_regex(fmt))
    if parts.empty or parts.isna().all(axis=None):
        return {}
    fields = []
    for i, field in enumerate(_PADDED_IN.findall(fmt)):
        if field in _PADDED and parts[i].str.len().eq(1).any() and not parts[i].str.match(r"0\d").any():
            fields.append(field)
    return {"unpadded": sorted(set(fields))} if fields else {}


_PADDED_IN = re.compile(r"%[dmHI]")
_FIELD_TEXT = {"%Y": r"\d{4}", "%y": r"\d{2}", "%b": r"[A-Za-z]+", "%B": r"[A-Za-z]+", "%M": r"\d{2}", "%S": r"\d{2}"}
_FIELD_TEXT |= {"%f": r"\d+", "%z": r".*", "%p": r"[AaPp]\.?[Mm]\.?", "%%": "%"}


def _field_regex(fmt: str) -> str:
    """A regex of a strftime pattern's text, a group around each field that strftime pads (`_PADDED`)."""
    pieces = re.split(r"(%.)", fmt)
    out = []
    for piece in pieces:
        if piece in _PADDED:
            out.append(r"(\d{1,2})")
        elif piece.startswith("%") and len(piece) == 2:
            out.append(f"(?:{_FIELD_TEXT.get(piece, '.*?')})")
        else:
            out.append(re.escape(piece))
    return "^" + "".join(out) + "$"


def _strip_zeros(text: pd.Series) -> pd.Series:
    """strftime's text with the leading zero of each field marked by `_MARK` dropped (05 -> 5)."""
    return text.str.replace(_MARK + "0", "", regex=False).str.replace(_MARK, "", regex=False)


def _all_of(s: pd.Series, cls: type) -> bool:
    """Whether `s` holds values and every non-null one is a `cls` (strings, dates, decimals), as objects."""
    vals = s.dropna()
    text_or_objects = ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)
    return bool(len(vals)) and text_or_objects and all(isinstance(v, cls) for v in vals)


def _fraction_and_offset(s: pd.Series, fmt: str) -> dict:
    """How a text datetime column writes what strftime cannot say alone: its digits of a second
    (`.%f` writes six), whether its UTC offsets have a colon (`%z` writes none), and the one offset
    every value has, if any (`2021-03-15T12:00:00+02:00`), or else the zone whose offsets they have
    (`zone`: -05:00 in winter, -04:00 in summer), to write the values in (else UTC)."""
    vals = s.dropna().astype(str).str.strip()
    out = {}
    if ".%f" in fmt:  # the most digits any value has: nothing is cut (a shorter one gets zeros)
        out["fraction_digits"] = int(min(vals.str.extract(_FRACTION, expand=False).str.len().max(), 6))
    if fmt.endswith("%z"):
        if vals.str.endswith("Z").all():
            out["zulu"] = True
        elif vals.str.contains(_OFFSET).any():
            out["offset_colon"] = True
        parts = vals.str.extract(_ANY_OFFSET)
        offsets = (parts[0] + parts[1]).unique()
        if len(offsets) == 1 and isinstance(offsets[0], str) and offsets[0] not in ("+0000", "-0000"):
            out["offset"] = offsets[0]
        elif len(offsets) > 1 and all(isinstance(o, str) for o in offsets):
            zone = offsets_zone(vals, fmt, parts[0] + parts[1])
            out |= {"zone": zone} if zone is not None else {}
    return out


def _trimmed_fraction(s: pd.Series, fmt: str) -> dict:
    """`trim_fraction` where a text datetime column writes its seconds' fraction as short as each
    value needs (10:00:00.5Z beside 10:00:00.25Z and 10:00:00Z, as JavaScript and JSON encoders
    do): fractions of several lengths, or some seconds written without one, none ending in 0."""
    if ".%f" not in fmt:
        return {}
    vals = s.dropna().astype(str).str.strip()
    fractions = vals.str.extract(_FRACTION, expand=False)
    held = fractions.dropna()
    varies = held.str.len().nunique() > 1 or fractions.isna().any()
    if not len(held) or not varies or held.str.endswith("0").any():
        return {}
    # the digits of the longest fraction of any spelling (.125 is a shape of its own beside .5)
    return {"trim_fraction": True, "fraction_digits": int(min(held.str.len().max(), 6))}


_NO_PLACES = ("Etc/", "SystemV/", "US/", "posix/", "right/")  # aliases and fixed offsets: a named place first
# where several zones give the offsets (Africa/Ceuta, Europe/Berlin), the one users most likely meant first
_MAIN_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Anchorage",
    "America/Halifax", "America/St_Johns", "America/Mexico_City", "America/Santiago", "America/Sao_Paulo",
    "America/Asuncion", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Athens", "Europe/Lisbon",
    "Europe/Dublin", "Australia/Sydney", "Australia/Adelaide", "Australia/Lord_Howe", "Pacific/Auckland",
    "Pacific/Chatham", "Asia/Jerusalem", "Asia/Beirut", "Africa/Cairo", "America/Havana", "Atlantic/Azores",
)  # fmt: skip


def offsets_zone(vals: pd.Series, fmt: str, offsets: pd.Series) -> str | None:
    """The time zone whose UTC offset at each value's instant is the offset it is written with
    (`2022-12-12 02:10:51-05:00` and `2022-07-01 09:00:00-04:00`: America/New_York's winter and
    summer), so values written in it keep the source's local times; None where no zone gives them
    all (each row in its own customer's offset). Of the zones that do, the first place by name."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    instants = pd.to_datetime(vals, format=fmt, utc=True, errors="coerce")
    minutes = offsets.str[0].map({"+": 1, "-": -1}) * (offsets.str[1:3].astype(int) * 60 + offsets.str[3:5].astype(int))
    pairs = pd.DataFrame({"t": instants, "m": minutes}).dropna().drop_duplicates()
    if pairs.empty:
        return None
    naive = pd.DatetimeIndex(pairs["t"]).tz_localize(None)
    probe = pairs.drop_duplicates("m").index  # one value of each offset: most zones fail on these already
    order = {z: i for i, z in enumerate(_MAIN_ZONES)}
    for zone in sorted(
        available_timezones(), key=lambda z: (order.get(z, len(order)), z.startswith(_NO_PLACES) or "/" not in z, z)
    ):
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        for rows in (pairs.index.isin(probe), slice(None)):
            utc = pd.DatetimeIndex(pairs["t"][rows])
            local = utc.tz_convert(tz).tz_localize(None)
            if not ((local - naive[rows]) / pd.Timedelta(minutes=1) == pairs["m"][rows].to_numpy()).all():
                break
        else:
            return zone
    return None


def _zone(name: str) -> dt.tzinfo:
    """The IANA time zone `name` (a format's `zone`), as zoneinfo reads it."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def _fixed_zone(offset: str) -> dt.timezone:
    """The zone of a UTC offset written `+0200`."""
    minutes = int(offset[1:3]) * 60 + int(offset[3:5])
    return dt.timezone(dt.timedelta(minutes=-minutes if offset[0] == "-" else minutes))


_CANONICAL = {
    Column.PRIMARY_KEY: ("Int64", "string"),
    Column.FOREIGN_KEY: ("Int64", "string"),
    Column.NUMERIC: ("float64",),
    Column.INTEGER: ("Int64",),
    Column.BOOLEAN: ("boolean",),
    Column.CATEGORICAL: (),  # categories keep their own dtype (see _categorical)
    Column.TEXT: ("string",),
    Column.IDENTIFIER: ("string",),
    Column.DATE: ("datetime64[ns]",),
    Column.DATETIME: ("datetime64[ns]",),
    Column.TIME: ("object",),
}


SQL_FORMAT = "sql"  # a format's key for the column's SQL type, read from a database (relational/sql.py)
# a format's key: a number a CSV wrote as text ('5.00') and reading guessed as a float: written as that text
# (`to_source`), stored as the number (`RelationalData.to_dir`'s parquet)
CSV_NUMBER = "csv_number"
DIFFERS_FROM = "differs_from"  # in a column's SQL format: the columns a CHECK (a <> b) keeps it apart from
COMPOSITE_FK = "foreign_keys"  # in the SQL format of a composite key's first column: [{columns, table, ref_columns}]
# in a composite reference the table nests by: its row key column (relational/sql.py's RowKey); in the
# SQL format of a row key column: True (added when read, not written back)
ROW_KEY = "row_key"


def composite_references(formats: Mapping) -> list[tuple[str, list[str], str, list[str]]]:
    """(table, columns, referenced table, its columns) of every composite reference `formats` keep."""
    return [
        (table, ref["columns"], ref["table"], ref["ref_columns"])
        for table, cols in formats.items()
        for fmt in cols.values()
        for ref in ((fmt or {}).get(SQL_FORMAT) or {}).get(COMPOSITE_FK, [])
    ]


# the kinds whose blanks and placeholders ('N/A') are read as nulls (`coerce`): written back so
_READS_BLANKS = (Column.NUMERIC, Column.INTEGER, Column.BOOLEAN, Column.DATE, Column.DATETIME)


def source_format(
    s: pd.Series, kind: Column, date_format: str | None | object = _FIND, day_first: bool = False
) -> dict | None:
    """How the source spells column `s` of this kind, when that differs from the canonical dtype
    (`date_format`: a text date column's pattern, when the caller found it already; `day_first`: a
    date column declared written day first)."""
    dtype = str(s.dtype)
    if isinstance(s.dtype, pd.StringDtype) and dtype == "string" and s.dtype.storage == "pyarrow":
        dtype = "string[pyarrow]"  # held as "string" (python storage): its own name tells them apart
    if kind is Column.BOOLEAN and not ptypes.is_bool_dtype(s.dtype):
        return _bool_spelling(s)
    if kind is Column.DATE and _all_of(s, dt.date) and not _all_of(s, dt.datetime):  # parquet date32, SQL DATE
        return {"dtype": dtype, "date_objects": True}
    if kind is Column.IDENTIFIER and _all_of(s, dt.date) and not _all_of(s, dt.datetime):
        return {"dtype": dtype, "date_objects": True}  # parquet date32 past datetime64[ns]'s range: held as text
    if kind is Column.DATE and isinstance(s.dtype, pd.DatetimeTZDtype):  # held as its zone's dates (`_date`)
        return {"dtype": dtype, "zoned_dates": True}
    if kind in (Column.NUMERIC, Column.INTEGER) and _all_of(s, decimal.Decimal):  # parquet or SQL DECIMAL(p, s)
        places = [max(-v.as_tuple().exponent, 0) for v in s.dropna() if v.is_finite()]
        return {"dtype": dtype, "decimal_places": int(max(places, default=0))}
    if kind in (Column.DATE, Column.DATETIME) and compact_dates(s, min_distinct=1):  # 20240305, in the source's dtype
        return {"dtype": dtype, "strftime": COMPACT_DATE, **blank_format(s)}
    if kind in (Column.DATE, Column.DATETIME) and excel_serial(s):  # serial days, as a spreadsheet wrote them
        whole = bool((to_numbers(s.where(~blanks(s)).dropna().astype(object)).astype("float64") % 1 == 0).all())
        return {"dtype": dtype, "excel_days": "whole" if whole else "fraction", **blank_format(s)}
    if kind in (Column.DATE, Column.DATETIME) and (ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)):
        fmt = text_datetime_format(s, day_first) if date_format is _FIND else date_format
        spelled = s.where(~blanks(s))
        mixed = {}
        if fmt is None and (by_shape := shape_formats(s, day_first)) is not None:  # two spellings: the main one's
            fmt, spelled = _main_shape(s, by_shape)
            mixed = _spellings(s, by_shape)  # and each one's share, which generated rows keep
        if fmt is None and not _all_of(spelled, str) and (blank := blank_format(s)):  # datetimes beside 'N/A'
            return {"dtype": dtype, **blank}
        return (
            None
            if fmt is None
            else {
                "dtype": dtype,
                "strftime": fmt,
                **_fraction_and_offset(spelled, fmt),
                **_trimmed_fraction(s.where(~blanks(s)), fmt),
                **_unpadded(spelled, fmt),
                **blank_format(s),
                **mixed,
            }
        )
    if kind is Column.TIME and (ptypes.is_object_dtype(s.dtype) or ptypes.is_string_dtype(s.dtype)):
        if _all_of(s, str):
            for pattern, fmt in _TIME_STRFTIME:
                if s.dropna().str.match(pattern).all():
                    return {"dtype": dtype, "strftime": fmt}
            # 10:34:04.048 in as many digits as the longest fraction, not str(time)'s 10:34:04.048000
            digits = s.dropna().str.extract(_TIME_FRACTION, expand=False)
            if digits.notna().all():
                return {
                    "dtype": dtype,
                    "strftime": "%H:%M:%S.%f",
                    "fraction_digits": min(int(digits.str.len().max()), 6),
                }
            if (twelve := _twelve_hours(s.dropna())) is not None:  # 3:45 PM, not 15:45:00
                return {"dtype": dtype, **twelve}
            # 9:30 beside 14:05, no hour written 09: not str(time)'s 09:30:00
            if s.dropna().str.match(r"^\d:").any() and not s.dropna().str.match(r"^0\d:").any():
                for pattern, fmt in _SHORT_HOURS:
                    if s.dropna().str.match(pattern).all():
                        return {"dtype": dtype, "strftime": fmt, "short_hour": True}
        return None
    if kind in (Column.NUMERIC, Column.INTEGER) and iso_durations(s) is not None:
        # "PT2H33M57S", held as seconds: written back so, in the units the column writes
        return {"dtype": dtype, "duration": duration_units(s), **blank_format(s)}
    if kind in (Column.NUMERIC, Column.INTEGER) and (spelled := spelled_numbers(s)) is not None:
        # "1.234,56", "$1,234.00": written back in that spelling, with as many decimals
        trim = {"trim": True} if spelled.trim else {}  # 12.5% and 20%, not 20.0%
        return {
            "dtype": dtype,
            "decimals": spelled.decimals,
            "number": spelled.spelling.to_dict(),
            **trim,
            **blank_format(s),
        }
    if kind in (Column.NUMERIC, Column.INTEGER) and magnitude_numbers(s) is not None:  # 666 beside 1.2k
        return {"dtype": dtype, "magnitude": magnitude_format(s), **blank_format(s)}
    if kind in (Column.NUMERIC, Column.INTEGER) and scaled_numbers(s) is not None:  # 500 MB beside 1.2 GB
        return {"dtype": dtype, "scale": scale_format(s), **blank_format(s)}
    if kind in (Column.NUMERIC, Column.INTEGER) and worded_seconds(s) is not None:  # 1 day beside 5 days, 1h 30m
        return {"dtype": dtype, "worded_duration": worded_format(s), **blank_format(s)}
    if kind in (Column.NUMERIC, Column.INTEGER) and _all_of(s, str) and (sci := _scientific(s.where(~blanks(s)))):
        return {"dtype": dtype, **sci, **blank_format(s)}  # 1.2e-05, as a lab's or a sensor's export writes it
    if kind in (Column.NUMERIC, Column.INTEGER) and _all_of(s, str) and not s.dropna().str.contains("[eE]").any():
        # "12.50": written back as text with 2 decimals (1.5e-05: as numbers, its spelling is not kept)
        spelled = s.where(~blanks(s))
        # float: with no decimal point anywhere the lengths are an object column of NaN
        places = spelled.dropna().str.strip().str.extract(r"\.(\d*)$", expand=False).str.len().astype(float).fillna(0)
        decimals = places.max()
        width = zero_padded_width(spelled)  # codes of one width ("00501"): their zeros come back
        values = spelled.dropna().str.strip()
        if _mostly_without_point(values):  # 5 beside 5.0: written as most values are, not all 5.0
            decimals = 0
        # 4.547 beside 10.0 (a float column pandas wrote): as few decimals as each needs, whole numbers with '.0'
        point = {"trim": True, "whole_point": True} if _float_written(values, places) else {}
        return {
            "dtype": dtype,
            "decimals": 0 if pd.isna(decimals) else int(decimals),
            **({"width": width} if width else {}),
            **({"trim": True} if _shortest(values, places) else point),
            **blank_format(s),
        }
    if kind in (Column.PRIMARY_KEY, Column.FOREIGN_KEY) and _all_of(s, str):
        # keys written as text ("10") are held as integers when they all read as one (`_key`): text again on the way out
        return {"dtype": dtype, "text_keys": True}
    if kind is Column.CATEGORICAL:  # numbers stay as they are; text becomes "string" in memory
        return {"dtype": dtype} if ptypes.is_object_dtype(s.dtype) or dtype == "string[pyarrow]" else None
    if dtype in _CANONICAL[kind]:
        return None
    if dtype in ("float64", "float32") and kind in (Column.INTEGER, Column.PRIMARY_KEY, Column.FOREIGN_KEY):
        # integers with gaps, read from a CSV, stay integers (Int64); whole floats with none were floats
        # in the source (a parquet float64 of whole yen, a CSV's `-141550.0`): written back as floats
        return {"dtype": dtype} if kind is Column.INTEGER and len(s) and s.notna().all() else None
    if kind in _READS_BLANKS:  # Python ints beside 'N/A' (pd.read_excel's): the 'N/A' comes back, not NaN
        return {"dtype": dtype, **blank_format(s)}
    return {"dtype": dtype}


_SCIENTIFIC = re.compile(r"[+-]?\d(?:\.(?P<digits>\d+))?(?P<e>[eE])(?P<sign>[+-]?)(?P<power>\d+)")


def _scientific(s: pd.Series) -> dict | None:
    """The spelling of numbers every one of which is written in scientific notation with one digit
    before the point (`1.2e-05`, `3.40E+02`): the mantissa's decimals (`scientific`), the exponent's
    letter, digits at least and '+' on a positive one; None where a value is written otherwise (a
    float column's repr writes 4e-05 beside 0.0036: as numbers)."""
    vals = s.dropna().astype(str).str.strip()
    parts = vals.str.extract(f"^{_SCIENTIFIC.pattern}$")
    if vals.empty or parts["e"].isna().any():
        return None
    places = parts["digits"].str.len().fillna(0)
    positive = parts["power"].astype(int).gt(0) & parts["sign"].ne("-")
    return {
        "scientific": int(places.max()),
        "exponent": str(parts["e"].mode().iloc[0]),
        "exponent_digits": int(parts["power"].str.len().min()),
        **({"exponent_plus": True} if positive.any() and parts["sign"][positive].eq("+").all() else {}),
        **({"trim": True} if _shortest(parts["digits"].fillna(""), places) else {}),  # 1e5 beside 2.5e10
    }


def write_scientific(v: float, fmt: Mapping) -> str:
    """A number in a column's scientific spelling (`_scientific`): 1.6e-06, 3.40E+02."""
    mantissa, power = f"{v:.{fmt['scientific']}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if fmt.get("trim") and "." in mantissa else mantissa
    sign = "-" if power.startswith("-") else "+" if fmt.get("exponent_plus") else ""
    return f"{mantissa}{fmt['exponent']}{sign}{str(abs(int(power))).zfill(fmt['exponent_digits'])}"


def _mostly_without_point(values: pd.Series) -> bool:
    """Whether whole numbers are written mostly without a point and some with one (`5` beside
    `5.0`, an integer column merged from a float export), whose one spelling is the most values'."""
    whole = values.str.fullmatch(r"[+-]?\d+(?:\.0+)?")
    pointed = values.str.contains(".", regex=False)
    return bool(len(values)) and bool(whole.all()) and bool(pointed.any()) and pointed.mean() < 0.5


def _float_written(values: pd.Series, places: pd.Series) -> bool:
    """Whether decimal numbers are written as a float writes them (4.547, 2.38, 10.0: as few decimals as
    each needs, a whole number with '.0', its only trailing zero), not all with the most (10.000, 2.380)."""
    whole = values.str.fullmatch(r"[+-]?\d+\.0")
    return (
        places.nunique() > 1
        and bool(whole.any())
        and values.str.contains(".", regex=False).all()
        and not values[~whole].str.contains(r"\.\d*0$").any()
    )


def _twelve_hours(vals: pd.Series) -> dict | None:
    """The format of 12-hour times of day (`3:45 PM`, `03:45:10pm`): strftime's %I and %p, the
    hour's zero dropped (`short_hour`) where no value writes it, the half of the day in lower case
    (`lower_half`) where every value writes it so; None where a value is no such time, or the
    values mix spellings (with and without seconds, or a space)."""
    parts = vals.astype(str).str.strip().str.extract(f"^{MERIDIEM}$")
    if parts.empty or parts["hour"].isna().any():
        return None
    seconds, space = parts["rest"].str.len().gt(2), parts["space"]
    if seconds.nunique() > 1 or space.nunique() > 1:
        return None
    out = {"strftime": f"%I:%M{':%S' if seconds.iloc[0] else ''}{space.iloc[0]}%p"}
    if parts["half"].str.islower().all():
        out["lower_half"] = True
    if parts["hour"].str.len().eq(1).any() and not parts["hour"].str.startswith("0").any():
        out["short_hour"] = True
    return out


def csv_number_format(text: pd.Series, numbers: pd.Series) -> dict | None:
    """The format of a numeric column a CSV wrote as `text` and reading guessed as the floats `numbers`:
    its decimals ('5.00', '0.040'; as few as each needs where the CSV writes them so), which the floats
    lose; None where a float writes every value as the CSV does (0.99, 10.0: a float column pandas
    wrote, whose '10.0' beside '4.547' is no padding) or the text is no plain number (1.5e-05)."""
    written = text.dropna().str.strip()
    if written.eq(numbers[written.index].map(lambda v: repr(float(v)))).all():
        return None
    fmt = source_format(text, Column.NUMERIC)
    if fmt and "scientific" in fmt:  # 1.2e-05: its mantissa's digits, which 1.2e-05 read as a float keeps not
        return {**fmt, "dtype": str(numbers.dtype), CSV_NUMBER: True}
    if not fmt or "decimals" not in fmt or set(fmt) - {"dtype", "decimals", "trim", "whole_point"}:
        return None
    return {**fmt, "dtype": str(numbers.dtype), CSV_NUMBER: True}


def _shortest(values: pd.Series, places: pd.Series) -> bool:
    """Whether decimal numbers are written in their shortest form (100.2, 129.93, 12: as many
    decimals as each needs, none ending in 0), not all with the most decimals (100.20, 12.00)."""
    return places.nunique() > 1 and not values.str.contains(r"\.\d*0$|\.$").any()


def leading_zeros(s: pd.Series) -> pd.Series:
    """The values of a text column of whole numbers that are written with a leading zero ("007")."""
    vals = s.dropna().astype(str).str.strip()
    return vals[vals.str.fullmatch(r"\d+") & vals.str.match(r"0\d")] if _all_of(s, str) else vals[:0]


def zero_padded_width(s: pd.Series) -> int | None:
    """The width of a text column of whole numbers all written with as many digits, some of them
    with leading zeros (zip codes "00501", "02134"), which a number loses; else None."""
    vals = s.dropna().astype(str).str.strip()
    if leading_zeros(s).empty or not vals.str.fullmatch(r"\d+").all() or vals.str.len().nunique() != 1:
        return None
    return int(vals.str.len().iloc[0])


def _bool_spelling(s: pd.Series) -> dict | None:
    if ptypes.is_numeric_dtype(s.dtype):
        return {"dtype": str(s.dtype), "true": 1, "false": 0}
    if _all_of(s.where(~blanks(s)), (bool, np.bool_)):  # Python's booleans beside 'N/A' or None (pd.read_excel's)
        return {"dtype": str(s.dtype), "true": True, "false": False, **blank_format(s)}  # not their text
    vals = s.dropna().astype(str)
    if vals.empty:
        return None
    low = vals.str.strip().str.lower()
    spell = {}
    for side, words in (("true", _TRUE), ("false", _FALSE)):
        seen = vals[low.isin(words)]
        if len(seen):
            spell[side] = str(seen.value_counts().index[0])
    for side, other in (("true", "false"), ("false", "true")):  # only one value seen: its partner, same case
        if side not in spell and other in spell:
            partner = _PAIRS.get(spell[other].strip().lower(), side)
            word = spell[other]
            spell[side] = partner.upper() if word.isupper() else partner.title() if word.istitle() else partner
    return {"dtype": str(s.dtype), **spell, **blank_format(s)} if spell else None


def to_source(s: pd.Series, fmt: dict | None) -> pd.Series:
    """A canonical column back in its source's representation (unchanged when that cannot hold it)."""
    if not fmt:
        return s
    if "open_end" in fmt or "zero_date" in fmt:
        rest = {k: v for k, v in fmt.items() if k not in ("open_end", "open_end_text", "zero_date")}
        return with_open_end(to_source(s, rest or None), s, fmt)
    if "true" in fmt:
        out = s.astype(object).map({True: fmt["true"], False: fmt["false"]}, na_action="ignore")
        return _as_dtype(out.where(s.notna(), missing_value(fmt)), fmt["dtype"], s)
    if "spellings" in fmt and ptypes.is_datetime64_any_dtype(s.dtype):  # 2021-03-05 beside 05/03/2021
        return _in_spellings(s, fmt)
    if "strftime" in fmt:
        if ptypes.is_datetime64_any_dtype(s.dtype):
            # values with a UTC offset were read as UTC: they are written in the one offset they all
            # had (+02:00), or in the zone whose offsets they had (`offsets_zone`), else in UTC (+00:00)
            zoned = s.dt.tz_localize("UTC") if fmt["strftime"].endswith("%z") else s
            zoned = zoned.dt.tz_convert(_fixed_zone(fmt["offset"])) if "offset" in fmt else zoned
            zoned = zoned.dt.tz_convert(_zone(fmt["zone"])) if "zone" in fmt else zoned  # -05:00, -04:00 in summer
            out = _strip_zeros(zoned.dt.strftime(_marked(fmt["strftime"], fmt.get("unpadded", []))))
            if "fraction_digits" in fmt:
                out = out.str.replace(rf"(:\d{{2}}\.\d{{{fmt['fraction_digits']}}})\d*", r"\1", n=1, regex=True)
            if fmt.get("trim_fraction"):  # 10:00:00.5, 10:00:00: the fraction's trailing zeros dropped
                out = out.str.replace(r"(:\d{2})(\.\d*?)0+(?!\d)", _fraction_kept, n=1, regex=True)
            if fmt.get("offset_colon"):
                out = out.str.replace(r"([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)
            if fmt.get("zulu"):
                out = out.str.replace(r"\+0000$", "Z", regex=True)
        else:
            out = s.map(lambda t: t.strftime(fmt["strftime"]), na_action="ignore")
            if "fraction_digits" in fmt:  # a time's .%f writes six digits
                out = out.str.replace(rf"(:\d{{2}}\.\d{{{fmt['fraction_digits']}}})\d*", r"\1", n=1, regex=True)
            if fmt.get("short_hour"):  # %H writes 09: the source wrote 9
                out = out.str.replace(r"^0(\d:)", r"\1", n=1, regex=True)
            if fmt.get("lower_half"):  # %p writes PM: the source wrote pm
                out = out.str.replace(r"([AP])M$", lambda m: m[1].lower() + "m", n=1, regex=True)
        return _as_dtype(out.astype(object).where(s.notna(), missing_value(fmt)), fmt["dtype"], s)
    if "excel_days" in fmt and ptypes.is_datetime64_dtype(s.dtype):  # 44636, not 2022-03-15
        days = (s - pd.Timestamp(EXCEL_ORIGIN)) / pd.Timedelta(days=1)
        out = days.round().astype("Int64") if fmt["excel_days"] == "whole" else days
        if not fmt["dtype"].lower().startswith(("int", "uint", "float")):  # text: '44636', as the file had it
            out = out.astype("string")  # not map(str): an Int64 beside a null maps as floats, '44636.0'
        return _as_dtype(out.astype(object).where(s.notna(), missing_value(fmt)), fmt["dtype"], out)
    if fmt.get("zoned_dates") and ptypes.is_datetime64_dtype(s.dtype):  # midnight in its zone, not in UTC
        zone = ptypes.pandas_dtype(fmt["dtype"]).tz
        local = s.dt.tz_localize(zone, ambiguous=np.ones(len(s), bool), nonexistent="shift_forward")
        return _as_dtype(local, fmt["dtype"], s)
    if fmt.get("date_objects") and ptypes.is_datetime64_any_dtype(s.dtype):
        return s.dt.date.astype(object).where(s.notna(), None)
    if fmt.get("date_objects") and (ptypes.is_string_dtype(s.dtype) or ptypes.is_object_dtype(s.dtype)):
        return s.astype(object).map(_date_object, na_action="ignore").where(s.notna(), None)  # 2500-01-01, as text
    if "decimal_places" in fmt:
        step, wide = decimal.Decimal(1).scaleb(-fmt["decimal_places"]), decimal.Context(prec=80)  # DECIMAL(38, 18)
        out = s.astype(object).map(lambda v: decimal.Decimal(str(v)).quantize(step, context=wide), na_action="ignore")
        return out.where(s.notna(), None)
    if fmt.get("text_keys") and ptypes.is_integer_dtype(s.dtype):
        out = s.astype(object).map(lambda v: str(int(v)), na_action="ignore")
        return _as_dtype(out.where(s.notna(), None), fmt["dtype"], s)
    if "duration" in fmt:  # seconds written as ISO 8601 durations (`iso_durations`)
        out = s.astype(object).map(lambda v: write_duration(float(v), fmt["duration"]), na_action="ignore")
        return _as_dtype(out.astype(object).where(s.notna(), missing_value(fmt)), fmt["dtype"], s)
    if "magnitude" in fmt:  # 1.2k (`magnitude_numbers`)
        out = s.astype(object).map(lambda v: write_magnitude(float(v), fmt["magnitude"]), na_action="ignore")
        return _as_dtype(out.astype(object).where(s.notna(), missing_value(fmt)), fmt["dtype"], s)
    if "scale" in fmt:  # 1.2 GB beside 500 MB (`scaled_numbers`)
        out = s.astype(object).map(lambda v: write_scaled(float(v), fmt["scale"]), na_action="ignore")
        return _as_dtype(out.astype(object).where(s.notna(), missing_value(fmt)), fmt["dtype"], s)
    if "worded_duration" in fmt:  # 1h 30m (`worded_seconds`)
        out = s.astype(object).map(lambda v: write_worded(float(v), fmt["worded_duration"]), na_action="ignore")
        return _as_dtype(out.astype(object).where(s.notna(), missing_value(fmt)), fmt["dtype"], s)
    if "scientific" in fmt:  # 1.2e-05 (`_scientific`)
        out = s.astype(object).map(lambda v: write_scientific(float(v), fmt), na_action="ignore")
        out = out.astype(object).where(s.notna(), missing_value(fmt))
        return out if fmt.get(CSV_NUMBER) else _as_dtype(out, fmt["dtype"], s)
    if "number" in fmt:  # a locale's or a report's spelling (`spelled_numbers`)
        spelling, d = Spelling.from_dict(fmt["number"]), fmt["decimals"]
        whole = ptypes.is_integer_dtype(s.dtype)  # exact past 2**53, never through a float
        trim = bool(fmt.get("trim"))
        out = s.astype(object).map(lambda v: spelling.write(int(v) if whole else float(v), d, trim), na_action="ignore")
        return _as_dtype(out.astype(object).where(s.notna(), missing_value(fmt)), fmt["dtype"], s)
    if "decimals" in fmt:
        if ptypes.is_integer_dtype(s.dtype):  # exact past 2**53, never through a float
            width, d = fmt.get("width") or 0, fmt.get("decimals") or 0
            point = "." + "0" * d if d and not fmt.get("trim") else ""  # 12.0: whole numbers written with a point
            out = s.astype(object).map(lambda v: str(int(v)).zfill(width) + point, na_action="ignore")
        else:
            d = fmt["decimals"]  # None (a DP fit's column with no grid): each value's shortest spelling
            out = s.astype("float64").map(
                lambda v: f"{v:.{d}f}" if d is not None else repr(float(v)), na_action="ignore"
            )
            if fmt.get("trim") and d:  # 100.2 and 12 as the source wrote them, not 100.20 and 12.00
                out = out.map(lambda t: t.rstrip("0").rstrip("."), na_action="ignore")
            if fmt.get("whole_point") and d:  # 10.0, as a float writes it
                out = out.map(lambda t: t if "." in t else f"{t}.0", na_action="ignore")
        if fmt.get(CSV_NUMBER):  # text, as the CSV wrote it (to_dir stores the number)
            return out.astype(object).where(s.notna(), missing_value(fmt))
        return _as_dtype(out.astype(object).where(s.notna(), missing_value(fmt)), fmt["dtype"], s)
    if fmt.get("blanks"):  # values of their own type beside a placeholder ('N/A'): an object column
        return s.astype(object).where(s.notna(), missing_value(fmt))
    return _as_dtype(s, fmt["dtype"], s) if "dtype" in fmt else s  # e.g. only an SQL type (relational.sql)


def _fraction_kept(m: re.Match) -> str:
    """The seconds and what is left of their fraction past its trailing zeros (none: no point)."""
    return m[1] + (m[2] if len(m[2]) > 1 else "")


def _marked(pattern: str, fields: list[str]) -> str:
    """A strftime pattern whose `fields` (a format's "unpadded") are marked for `_strip_zeros`."""
    for field in fields:
        pattern = pattern.replace(field, _MARK + field)
    return pattern


def _date_object(text: object) -> object:
    """A date written yyyy-mm-dd as a date object (of any year: an identifier holds days out of
    datetime64[ns]'s range as text); anything else as it is."""
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) else text
    except ValueError:
        return text


def _as_dtype(out: pd.Series, dtype: str, fallback: pd.Series) -> pd.Series:
    if dtype.startswith(("int", "uint", "bool")) and out.isna().any():
        return fallback  # a numpy int or bool cannot hold nulls: the nullable canonical dtype stays
    if dtype.startswith("datetime64[") and ", " in dtype and ptypes.is_datetime64_dtype(out.dtype):
        # a zoned column (any unit) was read as UTC wall times: back in its zone
        try:
            return out.dt.tz_localize("UTC").dt.tz_convert(pd.api.types.pandas_dtype(dtype).tz).astype(dtype)
        except (TypeError, ValueError):
            return fallback
    try:
        return out.astype(dtype)
    except (TypeError, ValueError):
        return fallback

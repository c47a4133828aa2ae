"""Guess a column's kind from its values (used by `Schema.infer`)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from relsynth.relational._blanks import missing_spellings
from relsynth.relational._coerce import (
    COERCERS,
    EXCEL_CONVERSION,
    MERIDIEM,
    MIN_COMPACT,
    NUMBER_AS_CODE,
    as_strings,
    blanks,
    coerce,
    compact_dates,
    date_named,
    excel_dates,
    open_end,
    shape_formats,
    text_datetime_format,
    zero_dates,
)
from relsynth.relational._durations import iso_durations
from relsynth.relational._magnitudes import magnitude_numbers
from relsynth.relational._spelled_numbers import read_spelling
from relsynth.relational._unit_scales import scale_format, scaled_numbers
from relsynth.relational._worded_durations import worded_seconds
from relsynth.relational.check_digits import find_check
from relsynth.relational.columns import Column
from relsynth.relational.numbers import to_numbers
from relsynth.relational.shapes import UUID, code_shapes, shared_share

_TRUE_FALSE = {"true", "false", "yes", "no", "t", "f", "y", "n"}
# one pair's spellings, short or long, may mix in a column (a form's 'Y', 'N' beside a clerk's 'Yes');
# words of two pairs ('T', 'F', 'N') are no flags
_FLAG_PAIRS = ({"yes", "no", "y", "n"}, {"true", "false", "t", "f"})
_TIME_PATTERN = r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$"
_DATE_LIKE = r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"


MIN_COUNT = 5  # TabularPreproc's default: rarer categories are never generated
MIN_IDENTIFIERS = 20  # fewer values than this are never read as identifiers (a small table's labels are unique too)
IDENTIFIER_UNIQUE = 0.9  # share of distinct values an identifier column has at least
IDENTIFIER_SHAPED = 0.9  # share of its values whose shape at least MIN_COUNT values share
MAX_IDENTIFIER_CHARS = 64
LETTER_CODE = r"[A-Z]{2,3}"  # codes of capitals alone that name their rows, unique (ISO country codes)
MIN_KEY_ROWS = 20  # rows a table needs for a counter to be read as its key, unless keys or lookups say it has one
RARE_DOCUMENTS = 0.05  # share of rows holding a rare JSON document above which the column is text
JSON_CHECKED = 10_000  # values parsed to tell JSON documents (the others must open as one)
_GROUP = r"(?:\S*\d\S*|\*+|#+|•+|X{2,}|x{2,})"  # a group of a spaced code: one with a digit, or a mask (`****`)
_DIGIT_GROUPS = rf"{_GROUP}(?: {_GROUP})*"  # codes written in spaced groups (phone numbers, masked cards)


def counter_key(df: pd.DataFrame, skip: set[str], min_rows: int = MIN_KEY_ROWS) -> tuple[str, str] | None:
    """(column, reason) of a table given no primary key: its first column (not in `skip`) of distinct
    whole numbers counting its rows from 0 or 1, at most twice as high as its rows (a few deleted),
    in `min_rows` rows at least. Modelled as a number, a survey's respondent_id came back repeated
    (46 of 300 generated rows); as the key, generated rows get fresh keys."""
    if len(df) < max(min_rows, 2):
        return None
    for col in df.columns:
        if col in skip or (values := _counter(df[col])) is None:
            continue
        lo, hi = int(values.min()), int(values.max())
        if lo in (0, 1) and hi < 2 * len(df) and values.is_unique:
            return col, f"distinct whole numbers {lo} to {hi} in {len(df)} rows: the table's key (primary_keys chooses)"
    return None


def _counter(values: pd.Series) -> pd.Series | None:
    """The values as integers where every one is a whole number written plainly (no `007`); else None."""
    if values.isna().any() or ptypes.is_bool_dtype(values.dtype):
        return None
    if ptypes.is_integer_dtype(values.dtype):
        return values
    if not ptypes.is_string_dtype(values.dtype) or not values.map(lambda v: isinstance(v, str)).all():
        return None
    if not values.str.fullmatch(r"0|[1-9]\d{0,17}").all():
        return None
    return values.astype(np.int64)


def infer_kind(values: pd.Series, in_lookup: bool = False) -> Column:
    """The most plausible kind for a non-key column (never text in a lookup table)."""
    return infer_kind_and_reason(values, in_lookup)[0]


def infer_kind_and_reason(values: pd.Series, in_lookup: bool = False) -> tuple[Column, str]:
    """The kind `infer_kind` chooses, and why (the line of `Schema.infer`'s report)."""
    kind, why = _guess(values)
    # A lookup is copied, never written by the text model: its values are labels (genre names).
    if in_lookup and kind in (Column.TEXT, Column.IDENTIFIER):
        return Column.CATEGORICAL, f"{why}, but a lookup table is copied as it is: categorical"
    return kind, why


def _number_notes(x: pd.Series, integer: bool) -> str:
    """What the reason must say of numbers the kind does not keep as they are: ±inf (refused when
    the data is read) and integers past 2**53 (binned: only frequent values exact)."""
    notes = ""
    infinite = int(np.isinf(x).sum())
    if infinite:
        notes += f"; {infinite} value(s) are ±inf, which the data refuses: replace them with null or a bound"
    if integer and len(x) and np.abs(x[np.isfinite(x)]).max() > 2**53:
        notes += (
            "; values past 2**53 (9e15) are binned as numbers (values several rows hold come back exact, others "
            "are drawn in their bin past float64's precision): declare it identifier where it names its row "
            "(fresh codes of its shape), or categorical"
        )
    return notes


def string_kind_and_reason(
    values: pd.Series, in_lookup: bool = False, unique: bool = False, not_null: bool = False
) -> tuple[Column, str]:
    """Categorical, text, identifier, boolean, or time or date for a column a database declares as a
    string type (`RelationalData.from_sql`): the type says it holds text, so only the choice between
    labels, free text and codes is read from the values, and flags ('Y'/'N', as `Schema.infer` reads
    them) and dates and times written as text (SQLite has no date type: `03/15/2021`,
    `2021-03-15T10:00:00Z`), which are written back in their spelling or pattern.
    `unique`: the catalog declares the column UNIQUE, so its values name their rows (e-mails such as
    SKING): an identifier unless they hold whitespace. `not_null`: the catalog declares it NOT NULL,
    so labels none of which is seen `MIN_COUNT` times (every row generated missing, which the column
    refuses: Sakila's 4 staff's first names) are text."""
    s = values.dropna()
    if len(s) == 0:
        return Column.CATEGORICAL, "all values null: nothing to read a kind from"
    if in_lookup:
        return Column.CATEGORICAL, "a lookup table is copied as it is: categorical"
    text = s.astype(str).str.strip()
    if (flag := flag_kind_and_reason(text, nulls=values.isna().any())) is not None:  # written back in its spelling
        return flag
    if (when := _time_or_date(text, nulls=values.isna().any())) is not None:
        return when
    if (lasting := _durations(text, nulls=values.isna().any())) is not None:
        return lasting
    number, note = _spelled(text, nulls=values.isna().any())
    if number is not None:
        return number, note
    if (lasting := _worded(text, nulls=values.isna().any())) is not None:
        return lasting
    kind, why = _string_labels(text, unique, not_null)
    return kind, f"{note}: {why}" if note else why


def _string_labels(text: pd.Series, unique: bool, not_null: bool) -> tuple[Column, str]:
    """`string_kind_and_reason`'s choice between labels, free text and codes."""
    if unique and len(text) >= MIN_IDENTIFIERS and not text.str.contains(r"\s").any():
        return Column.IDENTIFIER, "UNIQUE in the catalog, single words: an identifier (generated fresh in its format)"
    kind, why = _categorical_or_text(text)
    if not_null and kind is Column.CATEGORICAL and text.value_counts().max() < MIN_COUNT:
        return Column.TEXT, (
            f"{why}, but none seen {MIN_COUNT} times, so as categories every row would be generated missing, "
            "which NOT NULL in the catalog refuses: text, so the column is generated"
        )
    return kind, why


def _guess(values: pd.Series) -> tuple[Column, str]:
    if ptypes.is_object_dtype(values.dtype) and any(isinstance(v, bytes | bytearray | memoryview) for v in values):
        # bytes are read as the data holds them (`as_strings`): UTF-8 text, or values it refuses
        strings, undecodable = as_strings(values)
        if undecodable.any():
            return Column.CATEGORICAL, (
                f"{int(undecodable.sum())} binary value(s) that are not UTF-8 text, e.g. "
                f"{values[undecodable].iloc[0]!r}: relsynth has no kind for them and the data refuses them; "
                "leave the column out"
            )
        values = strings.astype(object).where(strings.notna(), None)
    s = values.dropna()
    if ptypes.is_bool_dtype(values.dtype):
        return Column.BOOLEAN, f"dtype {values.dtype}"
    if ptypes.is_datetime64_any_dtype(values.dtype):
        return _date_or_datetime(pd.to_datetime(s), f"dtype {values.dtype}")
    if ptypes.is_numeric_dtype(values.dtype):
        x = s.astype(float)
        finite = x[np.isfinite(x)]
        if len(finite) and (finite % 1 == 0).all():
            if compact_dates(values, _compact_bar(values)):
                return Column.DATE, f"dtype {values.dtype}, {_compact_why(values)}"
            if len(finite) == len(x) and (checked := _checked_codes(x.astype(np.int64).astype(str))):
                return Column.IDENTIFIER, f"dtype {values.dtype}, {checked}"
            notes = _number_notes(x, integer=True) + _excel_note(x)
            return Column.INTEGER, f"dtype {values.dtype}, every value whole" + notes
        why = ", some values fractional" if len(finite) else ", all null" if not len(s) else ""
        return Column.NUMERIC, f"dtype {values.dtype}{why}" + _number_notes(x, integer=False)
    if len(s) == 0:
        return Column.CATEGORICAL, "all values null: nothing to read a kind from"
    text, nulls = s.astype(str).str.strip(), bool(values.isna().any())
    if (flag := flag_kind_and_reason(text, nulls)) is not None:
        return flag
    if (when := _time_or_date(text, nulls=nulls)) is not None:
        return when
    if (lasting := _durations(text, nulls)) is not None:
        return lasting
    solid = text[~blanks(text)]  # blanks: how legacy files write a missing date or number
    blank = _blank_note(text, nulls)
    numbers = to_numbers(solid)
    if len(solid) and numbers.notna().all():
        if solid.str.contains(NUMBER_AS_CODE).any():
            example = solid[solid.str.contains(NUMBER_AS_CODE)].iloc[0]
            return _labels(text, f"numbers written as codes (e.g. {example!r}, whose leading zero a number loses)")
        if (numbers % 1 == 0).all():
            if COERCERS[Column.INTEGER](solid)[1].any():
                return _labels(text, "whole numbers past 64-bit integers (identifiers)")
            if checked := _checked_codes(solid):
                return Column.IDENTIFIER, f"whole numbers written as text, {checked}"
            if compact_dates(solid, _compact_bar(values)):
                return Column.DATE, f"whole numbers written as text, {_compact_why(solid)}" + blank
            return Column.INTEGER, "every value is a whole number written as text" + blank + _excel_note(numbers)
        if not COERCERS[Column.NUMERIC](solid)[1].any():
            return Column.NUMERIC, "every value is a number written as text" + blank + _thousands_note(solid)
    number, note = _spelled(text, nulls)
    if number is not None:
        return number, note
    if (counts := _magnitudes(text, nulls)) is not None:
        return counts
    if (scaled := _scaled(text, nulls)) is not None:
        return scaled
    if (lasting := _worded(text, nulls)) is not None:
        return lasting
    return _labels(text, note) if note else _categorical_or_text(text)


def _compact_bar(values: pd.Series) -> int:
    """The distinct values whole numbers need to be read as dates yyyymmdd (`compact_dates`): 2 where
    the column is named as dates (`order_date`), whose name says what its digits are, else MIN_COMPACT."""
    return 2 if date_named(values.name) else MIN_COMPACT


def _compact_why(values: pd.Series) -> str:
    """Why whole numbers are dates yyyymmdd (`compact_dates`): as integers, 4 in 100 generated were no day."""
    example = values.dropna().iloc[0]
    return f"every one a date written yyyymmdd (e.g. {int(float(example))}): a date, written back so"


def flag_kind_and_reason(text: pd.Series, nulls: bool = False) -> tuple[Column, str] | None:
    """Boolean, and why, where the non-null `text` spells true/false ('Y'/'N', 'yes'/'no',
    'T'/'F', 'true'/'false'; `_TRUE_FALSE`), else None. The one rule both readers take (`_guess` for
    frames, `string_kind_and_reason` for a database's string columns): read only by `Schema.infer`,
    a survey's VARCHAR(1) 'Y'/'N' answers were booleans from files but labels from the database,
    so a rule keyed on booleans (an 'any of these?' gate over its options) fitted on one path only."""
    text = text.astype(str).str.strip()
    flags = text[~blanks(text)].str.lower()
    if not len(flags) or not (flags.nunique() <= 2 and flags.isin(_TRUE_FALSE).all() or _one_pair(flags)):
        return None
    spelled = sorted(text[~blanks(text)].unique())[:4]
    return Column.BOOLEAN, f"values {spelled} spell true/false" + _blank_note(text, nulls)


def _one_pair(flags: pd.Series) -> bool:
    """Whether lower-cased values are all spellings of one true/false pair (`_FLAG_PAIRS`)."""
    return any(flags.isin(pair).all() for pair in _FLAG_PAIRS)


def _excel_note(numbers: pd.Series) -> str:
    """What the reason says of whole numbers that could be a spreadsheet's dates (`excel_dates`)."""
    if (span := excel_dates(numbers)) is None:
        return ""
    first, last = (d.strftime("%Y-%m-%d") for d in span)
    return (
        f"; read as Excel's serial days they would be dates from {first} to {last}: if they are, declare the "
        "column date (read as such and written back as serial days) or convert it first "
        f"({EXCEL_CONVERSION}) so that it is modelled as a date"
    )


def _checked_codes(digits: pd.Series) -> str:
    """Why whole numbers are codes, not quantities (card numbers, ISBN-13s: modelled as integers,
    9 in 10 generated ones failed their check digit), or "": mostly unique, MIN_IDENTIFIERS at
    least, every one passing a standard check digit (`check_digits`)."""
    if len(digits) < MIN_IDENTIFIERS or digits.nunique() < IDENTIFIER_UNIQUE * len(digits):
        return ""
    check = find_check(digits)
    return (
        f"each passing the {check} check digit: codes, an identifier (generated fresh in that format)" if check else ""
    )


def _thousands_note(solid: pd.Series) -> str:
    """What the reason says of numbers read with a decimal point that read as whole thousands too
    (`12.345`, `1.500`: European thousands?), which nothing in the column tells apart."""
    if not solid.str.fullmatch(r"-?[1-9]\d{0,2}(?:\.\d{3})?").all() or not solid.str.contains(".", regex=False).any():
        return ""
    example = solid[solid.str.contains(".", regex=False)].iloc[0]
    return (
        f"; read with '.' before decimals, though each such value (e.g. {example!r}) has 3 digits after it and "
        "reads as whole thousands too (European '.' between thousands): convert the column first if so"
    )


def _durations(text: pd.Series, nulls: bool = False) -> tuple[Column, str] | None:
    """Integer or numeric seconds, and why, for ISO 8601 durations (`PT5M`, `PT2H33M57S`): as codes
    their generated values were no durations (`PT29M678S`); None for values that are not all one."""
    if (seconds := iso_durations(text)) is None:
        return None
    example = text[seconds.notna()].iloc[0]
    why = f"every value is an ISO 8601 duration (e.g. {example!r}: {seconds[text == example].iloc[0]:g} s): "
    return _number_kind(seconds, why + "seconds, written back so", text, nulls)


def _magnitudes(text: pd.Series, nulls: bool = False) -> tuple[Column, str] | None:
    """Integer or numeric, and why, for counts written with a magnitude suffix (`666` beside `1.2k`):
    as labels, most of them rare, their distribution was lost (KS 0.34 of 4,220 page views)."""
    if (counts := magnitude_numbers(text)) is None:
        return None
    example = text[~blanks(text) & to_numbers(text).isna()].iloc[0]
    why = (
        f"every value is a number, some with a magnitude suffix (e.g. {example!r}: {counts[example == text].iloc[0]:g})"
    )
    return _number_kind(counts, why + ", written back so", text, nulls)


def _scaled(text: pd.Series, nulls: bool = False) -> tuple[Column, str] | None:
    """Integer or numeric, and why, for numbers in a few units of one scale (`500 MB` beside
    `1.2 GB`): as labels, most of them rare, their distribution was lost."""
    if (numbers := scaled_numbers(text)) is None:
        return None
    example = text[~blanks(text)].iloc[0]
    unit = next(iter(scale_format(text)["units"]))  # the smallest, the numbers'
    why = f"every value is a number in a unit of one scale (e.g. {example!r}: {numbers[example == text].iloc[0]:g} {unit})"
    return _number_kind(numbers, why + ", written back so", text, nulls)


def _worded(text: pd.Series, nulls: bool = False) -> tuple[Column, str] | None:
    """Integer or numeric seconds, and why, for durations written in words (`1 day` beside `5 days`,
    `1h 30m`, `45 min` beside `2 h`): as labels, each distinct duration was a category."""
    if (seconds := worded_seconds(text)) is None:
        return None
    example = text[seconds.notna()].iloc[0]
    why = f"every value is a duration in words (e.g. {example!r}: {seconds[text == example].iloc[0]:g} s): "
    return _number_kind(seconds, why + "seconds, written back so", text, nulls)


def _number_kind(numbers: pd.Series, why: str, text: pd.Series, nulls: bool) -> tuple[Column, str]:
    """Integer where every one of `numbers` (read from `text`) is whole, else numeric, and `why` with
    what the blanks of `text` become: the ending of every reader of numbers written as text."""
    whole = (numbers.dropna() % 1 == 0).all()
    return (Column.INTEGER if whole else Column.NUMERIC), why + _blank_note(text, nulls)


def _spelled(text: pd.Series, nulls: bool = False) -> tuple[Column | None, str]:
    """Integer or numeric, and why, for numbers in one locale's or report's spelling (`1.234,56`,
    `$1,234.00`, `12,5 %`); (None, why they are not read) for values that read as numbers two ways
    (`1,234`: 1234 or 1.234); (None, "") for values that are no such numbers."""
    found = read_spelling(text)
    if found.spelling is None:
        return None, found.why
    numbers = found.numbers.dropna()
    spelled = text[~blanks(text) & to_numbers(text).isna()]  # an example that is not written plainly
    example = spelled.iloc[0]
    why = f"{found.why} (e.g. {example!r}: {float(found.numbers[spelled.index[0]])!r}), written back so"
    why += _blank_note(text, nulls)
    if (numbers % 1 == 0).all() and numbers.abs().max() < 2**53:
        return Column.INTEGER, why
    return Column.NUMERIC, why


def _time_or_date(text: pd.Series, nulls: bool = False) -> tuple[Column, str] | None:
    """Time, date or datetime where every value reads as one in one pattern, labels where nearly
    every value looks like a date but some read as none; None for values that are not dates.
    `text`: the column's values less its nulls, where `nulls` (then no far date is an open end)."""
    if text.str.match(_TIME_PATTERN).all():
        return Column.TIME, "every value is a time of day (HH:MM[:SS])"
    if text.str.strip().str.fullmatch(MERIDIEM).all():
        return Column.TIME, "every value is a 12-hour time of day (H:MM AM or PM), written back so"
    unread = coerce(text, Column.DATETIME)[1]
    zeros = zero_dates(text, unread)  # MySQL's '0000-00-00': no date
    ended = zeros or (None if nulls else open_end(text, unread))  # 9999-12-31: no end yet
    if zeros:
        back = "as NULL, as the column's other nulls" if nulls else "so"
        note = f"; {int(zeros[0].sum())} zero date(s) {zeros[1]['zero_date']!r} read as nulls (written back {back})"
    else:
        note = (
            f"; {int(ended[0].sum())} value(s) {ended[1]['open_end_text']!r} read as nulls (an open end)"
            if ended
            else ""
        )
    text = text.mask(ended[0]) if ended else text
    fmt = text_datetime_format(text)
    by_shape = shape_formats(text) if fmt is None else None
    if fmt is None and by_shape is None and text.str.match(_DATE_LIKE).mean() <= 0.99:
        return None
    parsed, bad = coerce(text, Column.DATETIME, fmt)  # the reading RelationalData will apply
    bad = pd.Series(bad, index=text.index)
    if not bad.any() and parsed.notna().any():
        how = " or ".join(repr(f) for f in by_shape.values()) + ", each spelling in one" if by_shape else None
        why = f"every value reads as a date ({fmt or how or 'ISO 8601'}){_blank_note(text, nulls)}{note}"
        return _date_or_datetime(parsed.dropna(), why)
    return _labels(text, f"{int(bad.sum())} value(s) read as no date (e.g. {text[bad].iloc[0]!r}; as nulls: date)")


def _blank_note(text: pd.Series, nulls: bool = False) -> str:
    """What the inference says of a date, number or flag column's blanks and placeholders
    (`_blanks.blanks`); `nulls`: the column holds nulls too, which they are then written back as."""
    n = int(blanks(text).sum())
    if not n:
        return ""
    spellings = missing_spellings(text)
    back = "as nulls, as the column's other missing values" if nulls else repr(spellings[0])
    if spellings == [""]:
        return f"; {n} blank value(s) read as nulls (written back {'blank' if not nulls else back})"
    shown = ", ".join(repr(s) for s in spellings[:4]) + (", ..." if len(spellings) > 4 else "")
    return f"; {n} blank or placeholder value(s) ({shown}) read as nulls (written back {back})"


def _identifier_shapes(text: pd.Series, letters: bool = False) -> str | None:
    """How codes that name their rows look (`'AAA-9999'`, `'UUID'`), or None when `text` (mostly
    unique strings) is not such codes: too few values, whitespace other than between groups that
    each hold a digit or mask one (`+33 612 345 6789`, `**** **** **** 1234`, not `12 Main St`), too long, shapes that few values share
    (e-mails, words), or values without digits (names), but, with `letters`, capitals of one short
    length (`_letter_codes`)."""
    if len(text) < MIN_IDENTIFIERS or text.str.len().max() > MAX_IDENTIFIER_CHARS:
        return None
    if text.str.contains(r"\s").any() and not text.str.fullmatch(_DIGIT_GROUPS).all():
        return None
    if text.str.match(UUID).all():
        return "UUID"
    shapes, hex_digits = code_shapes(text, MIN_COUNT)
    if (
        hex_digits is None
        and text.str.contains(r"\d").mean() < IDENTIFIER_SHAPED
        and not (letters and _letter_codes(text))
    ):
        return None
    if shared_share(shapes, MIN_COUNT) < IDENTIFIER_SHAPED:
        return None
    counts = shapes.value_counts()
    return " or ".join(repr(s) for s in counts.index[:2]) + (", ..." if len(counts) > 2 else "")


def _letter_codes(text: pd.Series) -> bool:
    """Whether every value is capitals of one length, two or three (a country's ISO code 'AW', a
    currency's 'EUR', an airport's 'LAX'): codes, where names hold lower case or vary in length. As
    text, a text model wrote them repeated, of other lengths, or real ones."""
    return bool(text.str.fullmatch(LETTER_CODE).all()) and text.str.len().nunique() == 1


def _labels(text: pd.Series, why: str) -> tuple[Column, str]:
    """Categorical or text, saying first why the values are not the kind they look like."""
    kind, how = _categorical_or_text(text)
    return kind, f"{why}: {how}"


def _json_documents(text: pd.Series) -> bool:
    """Whether every value is a JSON object or array (the first `JSON_CHECKED` parsed)."""
    if not len(text) or not text.str.match(r"\s*[\[{]").all():
        return False
    try:
        for value in text.head(JSON_CHECKED):
            json.loads(value)
    except ValueError:  # JSONDecodeError, and a lone surrogate escape
        return False
    return True


def _date_or_datetime(s: pd.Series, why: str) -> tuple[Column, str]:
    if len(s) and (s.dt.normalize() == s).all():
        return Column.DATE, f"{why}, all at midnight"
    return Column.DATETIME, f"{why}, with times of day"


def _categorical_or_text(text: pd.Series) -> tuple[Column, str]:
    """Text: mostly unique values of several words or long strings, or values that are mostly
    rarer than `MIN_COUNT` (as categories those rows would all be written as one of the few
    frequent values: TPC-H's o_clerk, 944 clerks in 3,000 orders, 79 % of the rows a clerk of
    fewer than 5), or JSON documents of which more than `RARE_DOCUMENTS` of the rows hold a rare
    one (an event's payload holding its amount: a record of the row, not a label, which as a
    category would be another row's document, of another kind of event); else categorical."""
    unique_share = text.nunique() / len(text)
    words = text.str.split().str.len().mean()
    rare_share = float((text.map(text.value_counts()) < MIN_COUNT).mean())
    stats = f"{text.nunique()} distinct values in {len(text)} ({unique_share:.0%} unique), {words:.1f} words on average"
    codes = _identifier_shapes(text, letters=True) if unique_share >= IDENTIFIER_UNIQUE else None
    if codes is not None:
        return Column.IDENTIFIER, f"{stats}, codes of the shape {codes}: identifier (generated fresh in that format)"
    if unique_share > 0.5 and (words >= 1.5 or text.str.len().mean() >= 20):
        return Column.TEXT, f"{stats}: free text"
    if rare_share > RARE_DOCUMENTS and _json_documents(text):
        return Column.TEXT, (
            f"{stats}; JSON documents, {rare_share:.0%} of the rows one seen fewer than {MIN_COUNT} times, which as "
            "categories would be written as another row's document: text, so each row's document is generated"
        )
    if rare_share > 0.5 and (repeated := _repeated_codes(text)) is not None:
        return Column.IDENTIFIER, (
            f"{stats}; {rare_share:.0%} of the rows hold a value seen fewer than {MIN_COUNT} times, codes of the "
            f"shape {repeated}: an identifier of something the database holds no table of (generated fresh in "
            "that format, never a real row's code)"
        )
    if rare_share > 0.5 and (unique_share > 0.5 or text.nunique() > 2 * MIN_COUNT):  # not a few labels of a small table
        return Column.TEXT, (
            f"{stats}; {rare_share:.0%} of the rows hold a value seen fewer than {MIN_COUNT} times, which as "
            "categories would be generated as missing: text, so the column is generated"
        )
    return Column.CATEGORICAL, f"{stats}: labels that repeat"


def _repeated_codes(text: pd.Series) -> str | None:
    """The shapes of codes that repeat across rows (an enrollment's student 'S1234567', 43 % distinct,
    each in a few courses), or None: their distinct values read as identifiers (`_identifier_shapes`).
    As text, the text model wrote 95 % of them as real training codes (a leak) and some a digit short;
    as categories, rare ones would be generated missing. Dates beside a placeholder word (`unknown`)
    are no codes: their digits are a date's, which fresh codes would not keep."""
    if text.str.match(_DATE_LIKE).mean() > 0.5:
        return None
    return _identifier_shapes(pd.Series(text.unique()))

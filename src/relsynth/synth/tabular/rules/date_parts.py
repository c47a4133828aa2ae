"""Columns that are a part of a date of their row: a calendar's day name, month name, quarter, year
and weekend flag, all read off its date (a warehouse's dim_date: 2024-01-31, 'Wednesday',
'January', 1, 2024, False).

The model writes each as a token of its own, beside the date's bins: a small model's 516
generated calendar days named the right weekday in 14 %, the right month in 59 %, the right
quarter in 73 %. The fit keeps, per categorical, integer or boolean column of a table, the first
date (or timestamp) of its row and the first part of it (`PARTS`: numbers, English names and
their 3-letter abbreviations, as written or in upper or lower case) that it equals in every
training row holding both, with at least `MIN_ROWS` such rows and two values at least (a constant
is no evidence). Generation sets the column from the generated date, once every date is set.
Not fitted under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED
from relsynth.synth.tabular.rules.apart_values import apart_pairs

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows holding both the column and the date, at least
SCREEN = 200  # rows each part is tried on before all rows
_KINDS = (Column.CATEGORICAL, Column.INTEGER, Column.BOOLEAN)


def _parts() -> dict[str, Callable[[pd.Series], pd.Series]]:
    """part name -> the part of datetime64 values (NaT in, missing out)."""
    return {
        "year": lambda d: d.dt.year,
        "quarter": lambda d: d.dt.quarter,
        "month": lambda d: d.dt.month,
        "day": lambda d: d.dt.day,
        "weekday": lambda d: d.dt.dayofweek,  # Monday 0
        "isoweekday": lambda d: d.dt.dayofweek + 1,  # Monday 1
        "dayofyear": lambda d: d.dt.dayofyear,
        "isoweek": lambda d: d.dt.isocalendar().week.astype("Int64"),
        "yyyymm": lambda d: d.dt.year * 100 + d.dt.month,
        "yyyymmdd": lambda d: d.dt.year * 10_000 + d.dt.month * 100 + d.dt.day,
        "is_weekend": lambda d: (d.dt.dayofweek >= 5).where(d.notna()),
        "day_name": lambda d: d.dt.day_name(),
        "day_abbr": lambda d: d.dt.day_name().str[:3],
        "month_name": lambda d: d.dt.month_name(),
        "month_abbr": lambda d: d.dt.month_name().str[:3],
    }


PARTS = _parts()
CASES: dict[str, Callable[[str], str]] = {"as is": str, "upper": str.upper, "lower": str.lower}


def find_date_parts(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "date", "part", "case"}]: `table.column` is `PARTS[part]` of `date`, as
    text in `case` (a categorical column) or as the number or flag. Not context columns (given at
    generation), whose dates are read from all the same (a calendar of given days)."""
    out = []
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        given = pre.given_columns(table)
        modelled = pre.modelled_columns(table)
        dates = [c for c in modelled if kinds[c].kind in DATED]
        if not dates:
            continue
        frame = data[table]
        screens = _Screens(frame)  # one table's parts on its screened rows, shared by all its columns
        for col in (c for c in modelled if c not in given and kinds[c].kind in _KINDS):
            found = _first_part(frame, dates, frame[col], kinds[col].kind, screens)
            if found is not None:
                out.append({"table": table, "column": col, **found})
                log.info("%s.%s is the %s of %s in every row: kept so", table, col, found["part"], found["date"])
    return out


class _Screens:
    """Each date of a table as datetimes, and its parts on the screened rows as `_equal` compares
    them, read once for all the columns that hold the same rows (most do): a wide table read every
    date's parts again for each of its columns. One screen a date is kept (a column holding other
    rows replaces it), so memory stays a few hundred values a part."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.dates: dict[str, pd.Series] = {}
        self.parts: dict[str, tuple[bytes, dict[tuple[str, str | None], np.ndarray]]] = {}

    def date(self, name: str) -> pd.Series:
        if name not in self.dates:
            self.dates[name] = pd.to_datetime(self.frame[name], errors="coerce")
        return self.dates[name]

    def part(self, date: str, part: str, case: str | None, rows: np.ndarray) -> np.ndarray:
        screen = rows.tobytes()
        if self.parts.get(date, (None,))[0] != screen:
            self.parts[date] = (screen, {})
        read = self.parts[date][1]
        if (part, case) not in read:
            read[part, case] = _part_values(PARTS[part](self.date(date).iloc[rows]), case)
        return read[part, case]


def _first_part(
    frame: pd.DataFrame, dates: list[str], values: pd.Series, kind: Column, screens: _Screens | None = None
) -> dict | None:
    """{"date", "part", "case"} of the first date and part that `values` equal wherever both are held."""
    if values.nunique(dropna=True) < 2:
        return None
    screens = screens or _Screens(frame)
    cases = CASES if kind is Column.CATEGORICAL else (None,)
    for date in dates:
        d = screens.date(date)
        held = d.notna().to_numpy() & values.notna().to_numpy()
        if held.sum() < MIN_ROWS:
            continue
        screen = np.flatnonzero(held)[:SCREEN]  # most parts fail on a few rows already
        screened = _own_values(values.iloc[screen], kind)
        for part, of in PARTS.items():
            for case in cases:
                if _equal(screens.part(date, part, case, screen), screened) and _equal(
                    _part_values(of(d[held]), case), _own_values(values[held], kind)
                ):
                    return {"date": date, "part": part, "case": case}
    return None


def _part_values(part: pd.Series, case: str | None) -> np.ndarray:
    """A date's part as `_equal` compares it: as text in `case` (None: as numbers, NaN for none)."""
    if case is None:
        return _numbers(part)
    return part.astype(object).map(lambda v: CASES[case](str(v))).to_numpy()


def _own_values(values: pd.Series, kind: Column) -> np.ndarray:
    """A column's values as `_equal` compares them: labels as text, numbers and flags as numbers."""
    return values.astype(str).to_numpy() if kind is Column.CATEGORICAL else _numbers(values)


def _numbers(x: pd.Series) -> np.ndarray:
    return pd.to_numeric(x.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _equal(part: np.ndarray, values: np.ndarray) -> bool:
    """Whether every value is its row's part (`_part_values`, `_own_values`): as text for labels,
    else as numbers or flags (NaN, a part or a value that is no number, never equal)."""
    if part.dtype.kind == "f":
        return bool(np.array_equal(part, values))
    return bool((part == values).all())


def apply_date_parts(pre, rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Set (in place) each fitted column of the generated `tables` from its row's generated date;
    a missing date leaves the value as generated. A label is written as the column's category of
    that text (`_categories`), a number or flag in the column's dtype."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame):
            continue
        d = pd.to_datetime(frame[r["date"]], errors="coerce")
        rows = d.notna().to_numpy()
        part = PARTS[r["part"]](d[rows])
        column = frame[r["column"]].astype(object).to_numpy().copy()
        if r["case"] is not None:
            as_category = _categories(pre, r["table"], r["column"])
            texts = [CASES[r["case"]](str(v)) for v in part]
            column[rows] = [as_category.get(t, t) for t in texts]
        else:
            column[rows] = part.astype(object).to_numpy()
        frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)


def moved_date_parts(schema, rules: list[dict], formats) -> list[dict]:
    """The rules whose column no UNIQUE set nor CHECK (a <> b) of its table holds: set again once
    those sets and checks may have moved a date (a store's repeated sales day), which they change
    no such column of (a part they changed themselves stays, so the set stays free)."""
    held = {
        (t, c)
        for t in schema.synth_tables
        for group in [*schema.tables[t].unique, *apart_pairs(schema, formats, t)]
        for c in group
    }
    return [r for r in rules if (r["table"], r["column"]) not in held]


def _categories(pre, table: str, col: str) -> dict[str, object]:
    """The categories of a generated column, by their text (a rule keeps the text)."""
    return {str(c): c for c in pre.column_categories(table, col)}

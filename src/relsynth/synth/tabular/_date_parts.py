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
from relsynth.synth.tabular._apart_values import apart_pairs

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
        for col in (c for c in modelled if c not in given and kinds[c].kind in _KINDS):
            found = _first_part(frame, dates, frame[col], kinds[col].kind)
            if found is not None:
                out.append({"table": table, "column": col, **found})
                log.info("%s.%s is the %s of %s in every row: kept so", table, col, found["part"], found["date"])
    return out


def _first_part(frame: pd.DataFrame, dates: list[str], values: pd.Series, kind: Column) -> dict | None:
    """{"date", "part", "case"} of the first date and part that `values` equal wherever both are held."""
    if values.nunique(dropna=True) < 2:
        return None
    for date in dates:
        d = pd.to_datetime(frame[date], errors="coerce")
        held = d.notna().to_numpy() & values.notna().to_numpy()
        if held.sum() < MIN_ROWS:
            continue
        screen = np.flatnonzero(held)[:SCREEN]  # most parts fail on a few rows already
        for part, of in PARTS.items():
            for case in CASES if kind is Column.CATEGORICAL else (None,):
                if _equal(of(d.iloc[screen]), values.iloc[screen], case) and _equal(of(d[held]), values[held], case):
                    return {"date": date, "part": part, "case": case}
    return None


def _equal(part: pd.Series, values: pd.Series, case: str | None) -> bool:
    """Whether every value is its row's part: as text in `case` for labels, else as numbers or flags."""
    if case is None:
        a = pd.to_numeric(part.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        b = pd.to_numeric(values.astype(object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return bool(np.array_equal(a, b))  # NaN (a part or a value that is no number) never equal
    texts = part.astype(object).map(lambda v: CASES[case](str(v)))
    return bool((texts.to_numpy() == values.astype(str).to_numpy()).all())


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
    layout = pre.layouts.get(table)
    if layout is None or col not in layout.fields:
        return {}
    return {str(c): c for c in getattr(pre.slots[layout.slots[layout.fields.index(col)]].preproc, "categories", [])}

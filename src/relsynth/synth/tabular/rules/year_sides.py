"""Dates kept on their side of a year a whole number of their row or parent row holds: a library
copy acquired no earlier than its book's publication year (`books.year`, an integer, above
`copies.acquired_date`).

Orders within rows and across rows compare a date with dates, a number with numbers; a year
written as a whole number is neither, so nothing kept a date after it: 10 % of a library's
generated copies were acquired years before their book was published (none of the data's).

The fit keeps, per modelled date column of a synthesised table and per integer column of its row
or its parent row whose values are all calendar years (`YEARS`), each side the date's year keeps
in every one of at least `MIN_ROWS` training rows holding both, where the years shuffled across
rows would break it `MIN_CHANCE` times at least (a date after every year of the column keeps no
rule), with the quantiles of each date's place between its year's side (1 January, or 31
December before) and the column's latest (earliest) date. Generation, once the table's rows are
written (its parent's before it, so its children's offsets start from the moved value), moves a
date in a year past a side to a place drawn from them (on a day, at midnight): moved into the year
itself, 12 % of a library's generated copies were acquired in their book's year, 4 % of the data's.
Columns an order within their own row sets or reads, a total or a formula sets (`skip`) are left
alone; a date its child rows' orders read is not: they are decoded after it, from the moved value
(a loan after its copy's acquisition). Not under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import DATED, DAY_NS, as_numbers, parent_rows

log = logging.getLogger(__name__)
YEARS = (1000, 2999)  # an integer column whose values all lie within: calendar years
MIN_ROWS = 20  # rows holding the date and the year, at least
N_QUANTILES = 21  # quantiles of a date's place between its side and the column's end
MIN_CHANCE = 10  # rows the years shuffled across rows put past the side, at least: else no evidence
Operand = tuple[str | None, str]  # (None, column): of the row; (fk, column): of the parent row its key names


def find_year_sides(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "fk", "year", "sign"}]: the date `table.column` is in the year of the
    integer `year` (of the row, `fk` None, or of the parent row `fk` names) or later (`sign` 1), or
    earlier (-1), in every training row; `skip`: (table, column) to leave be, with the columns the
    table's own orders within rows set or read (`_own_orders`)."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        kinds = schema.tables[table].columns
        dates = [
            c
            for c in pre.modelled_columns(table)
            if kinds[c].kind in DATED
            and (table, c) not in skip
            and c not in pre.given_columns(table)
            and c not in _own_orders(pre, table)
        ]
        years = _year_columns(data, table) if dates else {}
        for col in dates:
            written = pd.to_datetime(data[table][col], errors="coerce").dt.year.to_numpy(np.float64, na_value=np.nan)
            for (fk, year), values in years.items():
                for sign in (1, -1):
                    if _kept(written, values, sign):
                        rule = {"table": table, "column": col, "fk": fk, "year": year, "sign": sign}
                        rule |= _places(data[table][col], values, sign)
                        log.info("%s.%s never %s %s's year: kept so", table, col, _side(sign), _name(fk, year))
                        out.append(rule)
    return out


def _own_orders(pre, table: str) -> set[str]:
    """The columns `table`'s orders within rows set or read of its own row (a move would break them)."""
    out = set()
    for o in pre.orderings.get(table, {}).values():
        out |= {o.column} | {o.base} if not o.from_parent else {o.column}
        out |= {c for c in (o.bound, o.cap, o.fallback, o.sibling_base) if c is not None}
    return out


def _year_columns(data: RelationalData, table: str) -> dict[Operand, np.ndarray]:
    """The integer columns of `table`'s rows and its parent rows whose values are all calendar
    years, one value per row of `table` (NaN: none)."""
    schema, out = data.schema, {}
    frame = data[table]
    for col, kind in schema.tables[table].columns.items():
        if kind.kind is Column.INTEGER and _years(frame[col]):
            out[(None, col)] = to_numbers(frame[col]).to_numpy(np.float64, na_value=np.nan)
    edge = schema.parent(table)
    if edge is not None:
        parent = data[edge.parent]
        for col, kind in schema.tables[edge.parent].columns.items():
            if kind.kind is Column.INTEGER and _years(parent[col]):
                out[(edge.fk, col)] = _parent_years(data.data, schema, table, col)
    return out


def _years(values: pd.Series) -> bool:
    """Whether every value held is a whole number within `YEARS`, `MIN_ROWS` of them at least."""
    x = to_numbers(values).dropna()
    return len(x) >= MIN_ROWS and bool(((x >= YEARS[0]) & (x <= YEARS[1]) & (x == np.round(x))).all())


def _parent_years(tables, schema, table: str, col: str) -> np.ndarray:
    """The parent row's year `col`, one per row of `table` (NaN where none: `parent_rows`)."""
    values = parent_rows(tables, schema, table, [col])[col]
    return to_numbers(values).to_numpy(np.float64, na_value=np.nan)


def _places(dates: pd.Series, years: np.ndarray, sign: int) -> dict:
    """{"end", "place"}: the column's latest date (`sign` 1; else earliest), nanoseconds, and the
    quantiles of each date's place between its year's side and it (0 on the side, 1 at the end)."""
    ns = as_numbers(dates, Column.DATETIME)
    end = float(np.nanmax(ns) if sign > 0 else np.nanmin(ns))
    side = _side_of(years, sign)
    with np.errstate(invalid="ignore", divide="ignore"):
        where = (ns - side) / (end - side)
    where = where[np.isfinite(where)]
    place = np.quantile(np.clip(where, 0.0, 1.0), np.linspace(0, 1, N_QUANTILES)) if len(where) else [0.0]
    return {"end": end, "place": [float(q) for q in place]}


def _side_of(years: np.ndarray, sign: int) -> np.ndarray:
    """Per row, its year's first instant (`sign` 1) or last day (-1), nanoseconds (NaN: no year)."""
    held = ~np.isnan(years)
    out = np.full(len(years), np.nan)
    firsts = pd.to_datetime(pd.DataFrame({"year": years[held] + (sign < 0), "month": 1, "day": 1}))
    out[held] = as_numbers(firsts, Column.DATETIME) - (sign < 0) * DAY_NS
    return out


def _kept(written: np.ndarray, years: np.ndarray, sign: int) -> bool:
    """Whether the `written` years are on `sign`'s side of `years` in every row holding both, at least
    `MIN_ROWS`, where the years shuffled would put `MIN_CHANCE` of them past it."""
    held = ~np.isnan(written) & ~np.isnan(years)
    w, y = written[held], years[held]
    if len(w) < MIN_ROWS or (sign * (w - y) < 0).any():
        return False
    shuffled = np.random.default_rng(0).permutation(y)
    return int((sign * (w - shuffled) < 0).sum()) >= MIN_CHANCE


def keep_year_sides(rules: list[dict], tables: dict[str, pd.DataFrame], schema, rng: np.random.Generator) -> None:
    """Move (in place) each generated date of `rules`' columns in a year past its side to a place
    drawn between the side and the column's end (`_places`)."""
    for rule in rules:
        table, col, fk = rule["table"], rule["column"], rule["fk"]
        frame = tables.get(table)
        edge = schema.parent(table)
        if frame is None or col not in frame or (fk is not None and (edge is None or edge.parent not in tables)):
            continue
        if fk is None:
            years = to_numbers(frame[rule["year"]]).to_numpy(np.float64, na_value=np.nan)
        else:
            years = _parent_years(tables, schema, table, rule["year"])
        written = pd.to_datetime(frame[col], errors="coerce").dt.year.to_numpy(np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(rule["sign"] * (written - years) < 0)  # NaN on either side: kept
        if not len(rows):
            continue
        side = _side_of(years[rows], rule["sign"])
        place = np.interp(rng.random(len(rows)), np.linspace(0, 1, len(rule["place"])), rule["place"])
        end = np.where(rule["sign"] * (rule["end"] - side) > 0, rule["end"], side)  # a year past the end: on it
        moved = pd.Series(pd.to_datetime(np.floor((side + place * (end - side)) / DAY_NS) * DAY_NS))
        column = frame[col].copy()
        if column.dtype.kind == "M":  # the column's own unit and zone
            moved = moved.dt.tz_localize(column.dt.tz) if column.dt.tz is not None else moved
            column.iloc[rows] = moved.astype(column.dtype).to_numpy()
        else:
            column.iloc[rows] = moved.to_numpy()
        frame[col] = column
        log.info("%s.%s: %d generated date(s) moved past their %s's year", table, col, len(rows), rule["year"])


def _side(sign: int) -> str:
    return "before" if sign > 0 else "after"


def _name(fk: str | None, col: str) -> str:
    return col if fk is None else f"{fk}->{col}"

"""Dates within the period a year of the referenced row names: a match played in its season (the
season's `year`, an integer: August of that year to May of the next), an invoice in its fiscal year.

Orders across a reference compare a date with dates, a number with numbers (`reference_orders`,
`lag_windows`); a year written as a whole number is neither, so the key was dealt with no regard to
the date: 10 % of a league's generated matches named the season their date lies in (all of the
data's). The fit keeps, per date of the referencing row and integer column of the referenced row
whose values are all calendar years, the least and most gap from 1 January of the year to the date,
rounded outwards (`year_periods`; no training row's exact date is stored) where every one of at least `MIN_ROWS` rows lies within it, the window is one
year long at most (the period a year names, not a lag of years: a hire 19 to 60 years after the
birth year) and the years shuffled across the rows would put `MIN_CHANCE` rows outside at least.
Generation pairs rows so, as a window of gaps of an order (`with_periods`: the year as its 1
January, under a name of its own), then moves a row the dealt degrees left outside to a referenced
row whose period holds its date, where one does and no cap on a row's degree forbids it
(`in_period_keys`), and later swaps of the key for a rule fitted on it (`unique_under`: a home
team's season once a round) try the rows of one period first (`period_scope`). The referenced rows
are generated apart from the rows naming them (a season, a root row of its own), so where the data's
never share a year their years are first set to the years whose periods hold the most generated
dates naming them (`cover_periods`), else few dates would lie in any. A league (12
seasons, a small model, 300 steps): of the generated matches whose date lies in a
generated season's period, 23 / 26 % (seeds 0 / 1) named it, 70 / 86 % do. Not fitted under DP
(references' pairings are not).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import DATED, DAY_NS, as_numbers, outward_gaps
from relsynth.relational.schema import Edge

YEARS = (1000, 2999)  # an integer column whose values all lie within: calendar years
MIN_ROWS = 20  # rows holding the date and a named row's year, at least
MIN_CHANCE = 10  # rows the years shuffled across rows put outside the window, at least: else no evidence
MOST_DAYS = 366  # the widest window: the period one year names
MAX_CHANCE_ROWS = 5_000  # rows the shuffled years are tried on, at most (a sample beyond)


def year_periods(data: RelationalData, e: Edge, pos: np.ndarray, skip=frozenset()) -> list[list]:
    """[[date column, year column, least, most, distinct], ...]: each date of `e.child` whose gap
    from 1 January of the year of the row `e` names (`pos`: each row's referenced row, -1: none)
    lies within [least, most] (nanoseconds) in every row; `distinct`: no two referenced rows hold
    one year (a league's seasons; a saved rule without it: False); `skip`: columns set after
    generation, as (table, column)."""
    schema = data.schema
    if e.parent == e.child:
        return []
    dates = [c for c, k in schema.tables[e.child].columns.items() if k.kind in DATED and (e.child, c) not in skip]
    years = [c for c in year_columns(data, e.parent) if (e.parent, c) not in skip]
    held = pos >= 0
    out = []
    for c in dates:
        at = as_numbers(data[e.child][c], schema.tables[e.child].columns[c].kind)
        for y in years:
            start = np.full(len(pos), np.nan)
            start[held] = starts_of_years(data[e.parent][y])[pos[held]]
            window = period_window(at, start)
            if window is not None:
                out.append([c, y, *window, not data[e.parent][y].dropna().duplicated().any()])
    return out


def year_columns(data: RelationalData, table: str) -> list[str]:
    """The integer columns of `table` (its key aside) whose values held, two at least, are all
    calendar years (a league's 12 seasons: the rows naming them are the evidence)."""
    spec = data.schema.tables[table]
    out = []
    for c, k in spec.columns.items():
        if k.kind is not Column.INTEGER or c == spec.primary_key:
            continue
        x = to_numbers(data[table][c]).dropna()
        if len(x) >= 2 and bool(((x >= YEARS[0]) & (x <= YEARS[1]) & (x == np.round(x))).all()):
            out.append(c)
    return out


def year_starts(years: np.ndarray) -> np.ndarray:
    """Nanoseconds since the epoch of 1 January of each year (float, NaN: none)."""
    out = np.full(len(years), np.nan)
    ok = ~np.isnan(years)
    first = (years[ok].astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[ns]")
    out[ok] = first.astype(np.int64).astype(np.float64)
    return out


def starts_of_years(years: pd.Series) -> np.ndarray:
    """`year_starts` of a column of years as written (read as numbers; NaN: none)."""
    return year_starts(to_numbers(years).to_numpy(np.float64, na_value=np.nan))


def period_window(at: np.ndarray, start: np.ndarray) -> tuple[float, float] | None:
    """(least, most) of `at - start`, rounded outwards as a loose date's gaps are (`outward_gaps`: a
    least of 212 days is stored as 210, so no single row's date is), where the rows holding both,
    `MIN_ROWS` at least, keep a window one year long at most (before rounding) that the starts
    shuffled across the rows would leave `MIN_CHANCE` times (measured at the stored window)."""
    both = ~np.isnan(at) & ~np.isnan(start)
    if both.sum() < MIN_ROWS:
        return None
    gap = at[both] - start[both]
    if float(gap.max() - gap.min()) > MOST_DAYS * DAY_NS or len(np.unique(start[both])) < 2:
        return None
    window = outward_gaps(start[both], at[both], 1)
    if window is None:
        return None
    low, high = window.low, window.high
    return (low, high) if shuffled_outside(at[both], start[both], low, high) >= MIN_CHANCE else None


def shuffled_outside(at: np.ndarray, start: np.ndarray, low: float, high: float) -> float:
    """Rows expected outside [low, high] were each row's start drawn among all rows' starts."""
    if len(at) > MAX_CHANCE_ROWS:  # a fixed sample: the same fit twice gives the same rule
        at = at[np.random.default_rng(0).choice(len(at), MAX_CHANCE_ROWS, replace=False)]
    values, counts = np.unique(start, return_counts=True)
    gap = at[:, None] - values[None, :]
    outside = (gap < low) | (gap > high)
    return float((outside * (counts / counts.sum())[None, :]).sum()) * (len(start) / len(at))


def with_periods(
    tables: dict[str, pd.DataFrame],
    e: Edge,
    fitted: dict,
    orders: list,
    own_orders: list,
    windows: list | None,
    named: pd.DataFrame,
) -> tuple[list, list, list | None, pd.DataFrame]:
    """`orders`, `own_orders` (as `with_parent_columns` names them), `windows` and the referenced rows
    `named` with each fitted `year_periods` window added as an order of the date after 1 January of
    the year (a column of its own, "#year <column>"), its window of gaps kept."""
    periods = [p for p in fitted.get("year_periods") or [] if p[1] in tables[e.parent].columns]
    if not periods:
        return orders, own_orders, windows, named
    starts = {f"#year {y}": pd.to_datetime(starts_of_years(named[y])) for y in dict.fromkeys(p[1] for p in periods)}
    named = named.assign(**{name: pd.Series(v, index=named.index) for name, v in starts.items()})
    added = [[c, f"#year {y}", 1] for c, y, *_ in periods]
    windows = [*(windows or []), *([c, f"#year {y}", 1, lo, hi] for c, y, lo, hi, *_ in periods)]
    return [*orders, *added], [*own_orders, *added], windows, named


def in_period_keys(
    schema, tables: dict[str, pd.DataFrame], e: Edge, keys: pd.Series, fitted: dict, drawn: pd.Series, rng
) -> pd.Series:
    """`drawn` (the reference's generated keys, by label) with each row whose named row's period
    (`year_periods`) leaves out its date moved to a random referenced row whose period holds it,
    where one does: pairing keeps them only as far as the dealt degrees allow (a block of matches
    dealt the seasons of other years)."""
    out = drawn.reindex(tables[e.child].index)  # by label, as the table takes it: positions are its rows'
    for c, y, low, high, *_ in [p for p in fitted.get("year_periods") or [] if p[1] in tables[e.parent].columns]:
        at = as_numbers(tables[e.child][c], schema.tables[e.child].columns[c].kind)
        start = starts_of_years(tables[e.parent][y])
        named = pd.Index(keys).get_indexer(out.to_numpy())
        gap = at - np.where(named >= 0, start[np.maximum(named, 0)], np.nan)
        broken = out.notna().to_numpy() & ~np.isnan(at) & ~((gap >= low) & (gap <= high))
        order = np.argsort(start, kind="stable")  # NaN last
        ranked = start[order]
        first = np.searchsorted(ranked, at - high, side="left")
        last = np.searchsorted(ranked, at - low, side="right")
        able = broken & (last > first)
        pick = first[able] + (rng.random(int(able.sum())) * (last[able] - first[able])).astype(np.int64)
        out.iloc[np.flatnonzero(able)] = keys.iloc[order[pick]].to_numpy()
    return out


def period_scope(schema, tables: dict[str, pd.DataFrame], e: Edge, fitted: dict, scope: pd.Series) -> pd.Series:
    """`scope` (each row's scope of later swaps of the key, by position) split by the year whose
    period (`year_periods`) holds the row's date, so that a swap (`unique_with_rows`: a home team's
    season once a round) moves no key out of its period; a row in no period joins the rest of its scope."""
    out = scope.reset_index(drop=True).astype(str)
    for c, _, low, high, *_ in fitted.get("year_periods") or []:
        at = as_numbers(tables[e.child][c], schema.tables[e.child].columns[c].kind)
        out = out + "\x00" + pd.Series(period_years(at, low, high)).astype(str)
    return out


def period_years(at: np.ndarray, low: float, high: float) -> np.ndarray:
    """The year whose period [low, high] after its 1 January holds each date `at` (nanoseconds;
    NaN: none, or no date). The window is one year long at most: the latest such year."""
    held = ~np.isnan(at)
    year = np.full(len(at), np.nan)
    year[held] = (at[held] - low).astype("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970
    gap = at - year_starts(year)
    year[~((gap >= low) & (gap <= high))] = np.nan
    return year


def cover_periods(pre, tables: dict[str, pd.DataFrame]) -> None:
    """Each year column of distinct years that a reference's `year_periods` reads (a league's
    seasons) set, in place, to the years whose periods hold the most of the referencing rows'
    generated dates, one a row, given to the rows in the order of their own generated years. The
    seasons are root rows drawn apart from their matches (their years repeated, and ~35 % of a
    league's generated match dates lay in any generated season's period), so no pairing of keys
    could put a match in a season of its date. Not a year the generation's context gives."""
    schema, fitted = pre.schema, pre.stats.get("references", {})
    dated: dict[tuple[str, str], Counter] = {}
    for table in schema.synth_tables:
        for e in schema.references(table):
            for c, y, low, high, *distinct in (fitted.get(f"{table}.{e.fk}") or {}).get("year_periods") or []:
                if not (distinct and distinct[0]) or y not in tables[e.parent] or y in pre.given_columns(e.parent):
                    continue
                years = period_years(as_numbers(tables[table][c], schema.tables[table].columns[c].kind), low, high)
                dated.setdefault((e.parent, y), Counter()).update(years[~np.isnan(years)].astype(np.int64).tolist())
    for (table, y), counts in dated.items():
        tables[table][y] = covering_years(tables[table][y], counts)


def covering_years(years: pd.Series, counts: Counter) -> pd.Series:
    """`years` (one table's generated column, distinct in the data) replaced by the distinct years of
    the most `counts` (dates in each year's period), ranked as the generated values were; rows past
    the years holding dates take the free year nearest their own. Missing years stay missing."""
    x = to_numbers(years).to_numpy(np.float64, na_value=np.nan)
    rows = np.flatnonzero(~np.isnan(x))
    taken = set(sorted(counts, key=lambda year: (-counts[year], year))[: len(rows)])
    for own in x[rows][: len(rows) - len(taken)] if len(taken) < len(rows) else []:
        taken.add(_nearest_free(int(own), taken))
    out = x.copy()
    out[rows[np.argsort(x[rows], kind="stable")]] = sorted(taken)
    if years.dtype == object:  # written as the column wrote them: whole numbers
        return years.where(np.isnan(out), pd.Series([None if np.isnan(v) else int(v) for v in out], index=years.index))
    return pd.Series(out, index=years.index).astype(years.dtype)


def _nearest_free(year: int, taken: set[int]) -> int:
    """The year nearest `year` not `taken` (the later one first)."""
    step = 0
    while year + step in taken and year - step in taken:
        step += 1
    return year + step if year + step not in taken else year - step

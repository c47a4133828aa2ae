"""Times of day within hours: a timestamp whose rows all fall within a stretch of the day (stock
movements booked between 07:00 and 18:00, orders taken in opening hours) keeps to it.

A timestamp is written as a date and time in one number: decoded within a bin spanning days, or
summed from gaps after its previous sibling, its time of day is drawn evenly over the 24 hours (54 %
of a one-table round trip's timestamps fell outside the data's 07:00 to 17:59; in a generated
inventory, movements booked at 00:31 and 21:16). The fit keeps, per timestamp column of at least
`MIN_ROWS` values whose times of day leave a stretch of `MIN_GAP_HOURS` empty (by chance, 100 even
times leave one of about an hour), the quantiles of its times of day; generation maps each value's
time of day, read as a share of the day, through them onto the same day: a map that only moves a
value within its day and never swaps two of them, so the column's own order (siblings in time, keys
numbered by date) holds, and times spread over the day as the data's are. Windows across midnight
(a night shift) are not kept. Not a column another one is moved within (a span, a parent's end),
nor a context column.

A timestamp whose values never fall on some weekdays, over `MIN_DAYS` distinct days at least (a
booking's start, Monday to Friday: 30 days miss two given weekdays by chance 4e-5 of the time),
keeps the weekdays it holds too (`weekdays`): a generated value on another is moved on to the next
weekday it holds, at its time of day (a room booked for a Saturday, 20 % of a booking database's
generated bookings, goes to the Monday). Not a column in a sequence of its siblings (a move of days
could pass a later sibling), but for a DATE whose siblings lie `MIN_APART_DAYS` apart at least in
every series and that no other date of its row is counted from (`siblings_by`; a move that would
reach the next sibling's date, a step the model drew shorter than the data's, is not made): a
stock's quarterly dividends, ex-dividend on a trading day, fell on a weekend in 25 % of a small
model's generated rows.

A DATE column keeps its weekdays so too (a league's matches on weekends: 29 % of a generated league's
matches were). Its day is its whole value, so a date moved joins that day's rows: it goes to the
first held day of the week ahead holding fewer rows than the data's fullest day (`most`), else to
the one of them holding fewest; moved to the next held day, the Friday matches of 12 teams made a
Saturday hold 7, and the references kept unique with the date (a team once a date) then repeated a
fixture in a season.

A column an order within rows reads or writes (a booking's start, counted from its creation by its
lead time, and its end counted from the start) moved once every column is written would cross the
other; such a column is kept within its hours and weekdays as its table's orders are decoded
(`early`, `early_calendars`): right after it is decoded, before the columns counted from it, a move
undone where it crosses its own base or bound (a start moved before its creation). Mapped where it is
counted from a base that keeps no hours or weekdays of its own, or from none (its offset spread its
times over the day); one counted from a base in hours (a booking's end, from its start by the
booking's length) is only clipped into its hours (`clip`: a booking from 19:00 of two hours, which
the model wrote not knowing the start's hour, ends at 20:00; 0.94 % of generated bookings ended past
it). Neither in a sequence of its siblings nor moved by a rule across rows: 31 % of a booking
database's generated bookings had started before 08:00 and 21 % fell on a weekend (the start
counted from a creation at any hour by a lead time in seconds). Not fitted under DP (the quantiles
are read from the rows at no cost).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from functools import partial

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DAY_NS, datetimes

log = logging.getLogger(__name__)
MIN_ROWS = 100  # timestamps held, at least, for their empty hours to be no chance
MIN_GAP_HOURS = 4.0  # hours of the day no value falls in, at least (100 even times leave one of ~1 h)
N_QUANTILES = 65  # quantiles of the times of day the map goes through
MIN_DAYS = 30  # distinct days a column's weekdays are read from, at least
MIN_APART_DAYS = 7  # days between a series' dates, at least, for a move onto a held weekday to pass none
WEEKDAY_CHANCE = 0.001  # how likely days on any weekday leave out as many weekdays as the column's, at most
GRIDS_S = (3_600, 1_800, 900, 600, 300, 60, 1)  # the coarsest every time of day lies on (seconds)


def find_times_of_day(
    pre,
    data: RelationalData,
    fixed: set[tuple[str, str]],
    early: Mapping[tuple[str, str], str] | None = None,
    hours_only: set[tuple[str, str]] = frozenset(),
) -> list[dict]:
    """[{"table", "column", "quantiles": [seconds after midnight], "grid": seconds, "steps", "weekdays",
    "early"}]: `table.column`'s times of day all within [quantiles[0], quantiles[-1]], a window leaving
    `MIN_GAP_HOURS` of the day empty, and/or its values on `weekdays` only (Monday 0). Not context
    columns, nor `fixed` ((table, column) other rules read or move) but the `early` ones, kept as their
    table's orders are decoded: mapped ("map"), or clipped into their hours alone ("clip": `clip`).
    `hours_only` (`after_whole_days`): kept within their hours, never moved to another weekday."""
    out, early = [], early or {}
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        given = pre.given_columns(table)
        for col in pre.modelled_columns(table):
            in_order = (table, col) in early
            if (
                kinds[col].kind not in (Column.DATETIME, Column.DATE)
                or col in given
                or ((table, col) in fixed and not in_order)
            ):
                continue
            found = (_window(data[table][col]) if kinds[col].kind is Column.DATETIME else None) or {}
            clipped = early.get((table, col)) == "clip"  # counted from a base in hours: its hours alone
            in_sequence = col in pre.orderings.get(table, {}) and not in_order  # a sibling's successor
            in_sequence = in_sequence and not _moves_past_none(pre, data, table, col)
            days = None if in_sequence or clipped or (table, col) in hours_only else weekdays(data[table][col])
            if not found and days is None:
                continue
            rule = {"table": table, "column": col, **found}
            rule |= ({"weekdays": days} if days is not None else {}) | ({"early": True} if in_order else {})
            if days is not None and kinds[col].kind is Column.DATE:  # a day is its whole value: moves merge them
                rule |= {"most": most_on_a_day(data[table][col])}
            rule |= {"clip": True} if clipped else {}
            if days is not None and col in pre.orderings.get(table, {}) and not in_order:  # a sequence's date
                rule |= {"siblings_by": data.schema.parent(table).fk}
            log.info("%s.%s holds %s: kept so", table, col, _described(rule))
            out.append(rule)
    return out


def _moves_past_none(pre, data: RelationalData, table: str, col: str) -> bool:
    """Whether a move of the DATE `col`, in a sequence of its siblings, onto a held weekday (six days
    at most) passes nothing: every two of its dates under one parent row `MIN_APART_DAYS` apart at
    least, and no other column of its row counted from it."""
    orders = pre.orderings.get(table, {}).values()
    frame, parents = data[table], pre._siblings(data[table], table)
    if data.schema.tables[table].columns[col].kind is not Column.DATE or parents is None:
        return False
    if any(o.base == col and o.column != col for o in orders):
        return False
    days = pd.DataFrame({"parent": parents, "day": datetimes(frame[col], errors="coerce")}).dropna()
    steps = days.sort_values(["parent", "day"]).groupby("parent")["day"].diff().dropna()
    return bool(len(steps)) and steps.min() >= pd.Timedelta(days=MIN_APART_DAYS)


def after_whole_days(data: RelationalData, moving_rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) of the timestamps that `moving_rules` (rules moving dates across rows) name only
    as the column kept on or after a referenced row's date of whole days (a receipt on or after its
    store's opening day): a map within the day keeps every value on its day, so on or after that
    date, and times of day still hold for them (39 % of a shop's generated receipts, moved after
    their store's opening, fell outside its 08:00 to 21:59). Not one kept before a date too (a value
    at its midnight mapped to 08:00 would pass it), nor one a rule reads as another's bound."""
    schema = data.schema
    named = named_columns(schema, moving_rules)
    kept = set()
    for rule in moving_rules:
        low, high, fk = rule.get("low"), rule.get("high"), rule.get("fk")
        parent = schema.tables[rule["table"]].foreign_keys.get(fk) if "column" in rule and fk else None
        if high is None and isinstance(low, str) and parent and low in schema.tables[parent].columns:
            if _whole_days(data[parent][low]):
                kept.add((rule["table"], rule["column"]))
    others = named_columns(schema, [r for r in moving_rules if (r.get("table"), r.get("column")) not in kept])
    return {tc for tc in kept & named if tc not in others and tc not in _bounds(schema, moving_rules)}


def _bounds(schema, rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) every rule reads as a bound of its column: the referenced row's, or its own."""
    out = set()
    for rule in rules:
        parent = schema.tables[rule["table"]].foreign_keys.get(rule.get("fk")) if "table" in rule else None
        for side in (rule.get("low"), rule.get("high")):
            for t in (parent, rule.get("table")):
                if isinstance(side, str) and t in schema.tables and side in schema.tables[t].columns:
                    out.add((t, side))
    return out


def _whole_days(values: pd.Series) -> bool:
    """Whether every value held is a date at midnight (a DATE column, or timestamps of whole days)."""
    stamps = datetimes(values, errors="coerce")
    return bool(stamps.notna().any() and (stamps.dropna() == stamps.dropna().dt.normalize()).all())


def weekdays(values: pd.Series) -> list[int] | None:
    """The weekdays (Monday 0) the values of a timestamp column fall on, where they leave one out
    over `MIN_DAYS` distinct days at least and days on any weekday would have left out as many but
    `WEEKDAY_CHANCE` of the time (a weekend over 30 days; a single weekday over 58: 30 or 40 days on
    any weekday left one out 6 % and 2 % of the time, and their values were moved off it); None
    otherwise."""
    days = datetimes(values, errors="coerce").dropna().dt.normalize().drop_duplicates()
    held = sorted(int(d) for d in days.dt.dayofweek.unique())
    if len(days) < MIN_DAYS or len(held) == 7:
        return None
    chance = math.comb(7, 7 - len(held)) * (len(held) / 7) ** len(days)  # some such weekdays left out
    return held if chance <= WEEKDAY_CHANCE else None


def most_on_a_day(values: pd.Series) -> int:
    """The most rows of `values` (dates) on one day."""
    return int(datetimes(values, errors="coerce").dropna().dt.normalize().value_counts().max())


def keeps_calendar(values: pd.Series) -> bool:
    """Whether a timestamp column holds times of day within hours or leaves a weekday out."""
    return _window(values) is not None or weekdays(values) is not None


def _described(rule: dict) -> str:
    parts = [f"times of day within {_clock(rule)}"] if "quantiles" in rule else []
    if "weekdays" in rule:
        parts.append("weekdays " + ", ".join(str(d) for d in rule["weekdays"]) + " (Monday 0)")
    return " and ".join(parts)


def named_columns(schema, rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) of every column of a table a rule names (any text among its values, nested
    ones too) that the rule names too: what rules moving dates across rows read or write."""
    out = set()
    for rule in rules:
        texts = set(_texts(rule))
        out |= {(t, c) for t in texts & set(schema.tables) for c in texts & set(schema.tables[t].columns)}
    return out


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


def _window(values: pd.Series) -> dict | None:
    """{"quantiles", "grid"} of the times of day of `values` where enough are held and they leave
    `MIN_GAP_HOURS` of the day empty; None otherwise."""
    stamps = datetimes(values, errors="coerce").dropna()
    if len(stamps) < MIN_ROWS:
        return None
    ns = (stamps - stamps.dt.normalize()).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    lo, hi = int(ns.min()), int(ns.max())
    if hi == lo or DAY_NS - (hi - lo) < MIN_GAP_HOURS * 3_600 * 10**9:
        return None
    grid = next((g for g in GRIDS_S if np.all(ns % (g * 10**9) == 0)), None)
    if grid is None:  # fractions of a second: the grid of whole seconds is kept by no one here
        return None
    seconds = ns / 1e9
    if len(np.unique(seconds)) <= N_QUANTILES:  # a few times (shifts at 06:00, 14:00, 22:00): those only
        quantiles = np.quantile(seconds, np.linspace(0, 1, N_QUANTILES), method="lower")
        return {"quantiles": [float(q) for q in quantiles], "grid": grid, "steps": True}
    quantiles = np.quantile(seconds, np.linspace(0, 1, N_QUANTILES))
    return {"quantiles": [float(q) for q in quantiles], "grid": grid}


def _clock(found: dict) -> str:
    lo, hi = found["quantiles"][0], found["quantiles"][-1]
    return f"{int(lo // 3600):02d}:{int(lo % 3600 // 60):02d} to {int(hi // 3600):02d}:{int(hi % 3600 // 60):02d}"


def keep_times_of_day(windows: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Map (in place) each fitted column's times of day through its quantiles (`day_times`), after
    moving it onto the weekdays it holds; not the `early` ones (`early_calendars`)."""
    for w in windows:
        frame = tables.get(w["table"])
        if w.get("early") or frame is None or not len(frame) or w["column"] not in frame:
            continue
        moved = on_calendar(frame[w["column"]], w)
        by = w.get("siblings_by")
        frame[w["column"]] = moved if by not in frame else kept_in_order(frame[w["column"]], moved, frame[by])


def keep_weekdays_first(
    windows: list[dict], table: str, cols: dict[str, pd.Series], parents: np.ndarray | None = None
) -> None:
    """Move (in place) `table`'s decoded columns that keep their weekdays (not the `early` ones, moved
    as its orders are decoded) onto them now, before its keys are numbered in a date's order: moved
    once the keys were, a Saturday order taken on to Monday came before that Monday's earlier orders
    (32 of 500 generated keys fell with their date). `keep_times_of_day` moves them again at the end:
    none by days, within their day by their hours. A sequence's date (`siblings_by`) is kept before
    its next sibling (`parents`: each row's parent row)."""
    for w in windows:
        if w["table"] == table and "weekdays" in w and not w.get("early") and w["column"] in cols:
            moved = on_weekdays(cols[w["column"]], w["weekdays"], w.get("most"))
            if w.get("siblings_by") and parents is not None:
                moved = kept_in_order(cols[w["column"]], moved, pd.Series(parents))
            cols[w["column"]] = moved.astype(cols[w["column"]].dtype)


def kept_in_order(before: pd.Series, moved: pd.Series, parents: pd.Series) -> pd.Series:
    """`moved` (dates moved on, never back), but `before` where the move reaches the next sibling's
    date (rows of one `parents` value, in date order): a step the model drew shorter than the data's
    shortest (a dividend a day after the one before) stays in order, on its day."""
    frame = pd.DataFrame({"parent": parents.to_numpy(), "day": pd.to_datetime(before).to_numpy()})
    ordered = frame.sort_values(["parent", "day"], kind="stable")
    after = ordered.groupby("parent")["day"].shift(-1).reindex(frame.index).to_numpy()
    reaches = pd.to_datetime(moved).to_numpy() >= after  # NaT compares False: a last sibling moves
    return pd.Series(
        np.where(reaches, pd.to_datetime(before).to_numpy(), pd.to_datetime(moved).to_numpy()), index=moved.index
    )


def early_calendars(windows: list[dict], table: str) -> dict[str, Callable[[pd.Series], pd.Series]]:
    """Column -> its move onto its weekdays and hours (`on_calendar`), for `table`'s `early` rules:
    applied as the table's orders within rows are decoded (`orderings.from_offsets`)."""
    return {w["column"]: partial(on_calendar, rule=w) for w in windows if w["table"] == table and w.get("early")}


def on_calendar(values: pd.Series, rule: dict) -> pd.Series:
    """`values` moved onto the rule's weekdays (`on_weekdays`), then their times of day within its
    hours (`day_times`), or only clipped into them (`clip`)."""
    if rule.get("clip"):
        return within_hours(values, rule["quantiles"][0], rule["quantiles"][-1])
    if "weekdays" in rule:
        values = on_weekdays(values, rule["weekdays"], rule.get("most"))
    if "quantiles" in rule:
        values = day_times(values, rule["quantiles"], int(rule["grid"]), rule.get("steps", False))
    return values


def within_hours(values: pd.Series, first: float, last: float) -> pd.Series:
    """`values` (timestamps) whose time of day is before `first` or after `last` (seconds after
    midnight) set to it on their own day (a booking's end past 20:00 to 20:00); missing stay missing."""
    stamps = pd.to_datetime(values, errors="coerce")
    day = stamps.dt.normalize()
    seconds = np.clip((stamps - day).dt.total_seconds().to_numpy(), first, last)
    return day + pd.to_timedelta(seconds, unit="s")


def on_weekdays(values: pd.Series, held: list[int], most: int | None = None) -> pd.Series:
    """`values` (timestamps) on a weekday not `held` moved on to the next held one, at the same time
    of day; missing values stay missing. With `most` (a DATE column's most rows on one day), a value
    goes to the first held day of the week ahead still holding fewer (`_days_with_room`)."""
    ahead = np.array([next(k for k in range(7) if (d + k) % 7 in held) for d in range(7)])
    stamps = pd.to_datetime(values, errors="coerce")
    days = ahead[stamps.dt.dayofweek.fillna(0).astype(np.int64).to_numpy()]
    if most is not None:
        days = _days_with_room(stamps, days, held, most)
    return stamps + pd.to_timedelta(days, unit="D")


def held_weekdays(windows: list[dict], table: str, column: str) -> list[int] | None:
    """The weekdays `table.column`'s rule keeps it on (`weekdays`), None where it keeps none."""
    return next(
        (w["weekdays"] for w in windows if (w["table"], w["column"]) == (table, column) and "weekdays" in w), None
    )


def on_held_days(ns: np.ndarray, held: list[int], down: bool = False) -> np.ndarray:
    """Timestamps (nanoseconds, NaN and +-inf kept) as places on a calendar of the `held` weekdays
    alone, one `DAY_NS` a held day, the time of day kept: a day not held read as the next held one
    (`on_weekdays`' move), or with `down`, as the last instant of the held day before it (a bound)."""
    week = _held_week(held)
    out = np.array(ns, dtype=np.float64)
    ok = np.isfinite(out)
    day = np.floor(out[ok] / DAY_NS)
    offset = day % 7
    place = np.floor(day / 7) * len(week) + np.searchsorted(week, offset)
    rest = out[ok] - day * DAY_NS
    if down:  # not held: the end of the held day before it
        off = ~np.isin(offset, week)
        place, rest = np.where(off, place - 1, place), np.where(off, DAY_NS - 1, rest)
    out[ok] = place * DAY_NS + rest
    return out


def _held_week(held: list[int]) -> np.ndarray:
    """The `held` weekdays' places in a week counted from a Thursday (day 0, 1970-01-01)."""
    return np.array([k for k in range(7) if (k + 3) % 7 in held])


def from_held_days(places: np.ndarray, held: list[int]) -> np.ndarray:
    """Timestamps (nanoseconds) of places on the `held` weekdays' calendar (`on_held_days`)."""
    week = _held_week(held)
    out = np.array(places, dtype=np.float64)
    ok = np.isfinite(out)
    place = np.floor(out[ok] / DAY_NS)
    day = np.floor(place / len(week)) * 7 + week[(place % len(week)).astype(np.int64)]
    out[ok] = day * DAY_NS + (out[ok] - place * DAY_NS)
    return out


def _days_with_room(stamps: pd.Series, ahead: np.ndarray, held: list[int], most: int) -> np.ndarray:
    """Days each value moves by: those to move (`ahead` > 0), earliest first, to the first held day
    of the week ahead holding fewer than `most` rows, else to the one of them holding fewest. A day
    moved onto takes that day's value: a date the data keep unique with a key (a team once a date)
    held more rows than it had keys for (7 matches of 12 teams on one Saturday, a fixture then twice)."""
    held_day = stamps.notna().to_numpy()
    day = np.where(held_day, stamps.dt.normalize().to_numpy().astype("datetime64[D]").astype(np.int64), 0)
    weekday = (day + 3) % 7  # day 0, 1970-01-01, a Thursday
    staying, n_staying = np.unique(day[held_day & (ahead == 0)], return_counts=True)
    counts = dict(zip(staying.tolist(), n_staying.tolist(), strict=True))  # rows per day (days since 1970)
    out = ahead.copy()
    moving = np.flatnonzero(held_day & (ahead > 0))
    for i in moving[np.argsort(day[moving], kind="stable")]:
        options = [k for k in range(1, 8) if (weekday[i] + k) % 7 in held]
        past = [max(counts.get(day[i] + k, 0) + 1 - most, 0) for k in options]  # rows past `most` there
        out[i] = options[int(np.argmin(past))]  # the first with room, else the least full
        counts[day[i] + out[i]] = counts.get(day[i] + out[i], 0) + 1
    return out


def day_times(values: pd.Series, quantiles: list[float], grid: int, steps: bool = False) -> pd.Series:
    """`values` (timestamps) on their own days, each time of day `t` moved to the quantile at the
    share `t / 24 h` of the day (`steps`: the quantile below it, one of the data's times; else
    between the two), floored onto the `grid` (seconds) but never below the first: a map that
    never swaps two values. Missing values stay missing."""
    stamps = pd.to_datetime(values, errors="coerce")
    day = stamps.dt.normalize()
    share = (stamps - day).dt.total_seconds().to_numpy() / 86_400
    held = ~np.isnan(share)
    if steps:
        at = np.minimum((share[held] * len(quantiles)).astype(np.int64), len(quantiles) - 1)
        seconds = np.asarray(quantiles, dtype=float)[at]
    else:
        seconds = np.interp(share[held], np.linspace(0, 1, len(quantiles)), quantiles)
    seconds = np.maximum(np.floor(seconds / grid) * grid, quantiles[0])
    out = stamps.copy()
    out.iloc[np.flatnonzero(held)] = day[held] + pd.to_timedelta(seconds, unit="s")
    return out

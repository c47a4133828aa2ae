"""Month steps: a date a whole number of calendar months after another date of its row, or that
less a day (a policy's end, 12 months after its start less a day: 2023-03-15 to 2024-03-14; a
loan's maturity; a subscription's renewal).

An order within rows writes such a date as its offset in days, drawn in bins, and a calendar
month holds 28 to 31 days, so the offsets the data holds (364 and 365 days, 181 to 184) land on
starts they do not fit: 64 % of a small model's generated policies ended on a month step of their
start, 100 % in the data. The fit keeps, per pair of dates at midnight of a table, the later one
that is a step of 1 month or more after the earlier, less `shift` days (0 or 1), in at least
`MIN_SHARE` of at least `MIN_ROWS` rows holding both, and `max_gap`: where every row is on a step,
none (a date the model drew far off, 2,000 days after a 12-month policy's start, is no end the
data holds either); else `MAX_GAP` days, less where its other rows lie nearer a step (an early
cancellation stays where it was drawn). Decoding moves a generated date within `max_gap` of a step
onto it (never fewer months than the data's least), as soon as its table's
dates are written, before the rows under it read them, unless the move would put another date
of its row on the side of it the data's never are (a cancellation after its policy's end: the
fit keeps `not_after` and `not_before`). Where too few rows step, the labels of a categorical of
the row under which `MIN_SHARE` of them do, `MIN_ROWS` rows at least, each label `MIN_LABEL_ROWS`
(an insurer's home, motor and life policies, a year long, beside travel policies of 7 to 30 days:
97 % of a small model's annual policies ended on their step, 100 % in the data), name the rows
that step (`by`, `labels`), the column whose labels name the most such rows; only those move.
Context columns are left as given. Not fitted under DP.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import DATED, datetimes
from relsynth.synth.tabular.encoders import label_texts
from relsynth.synth.tabular.rules.columns import categoricals

log = logging.getLogger(__name__)
MIN_SHARE = 0.9  # rows on a month step of the earlier date, at least
MIN_ROWS = 20  # rows holding both dates, at least
MAX_GAP = 3  # days from a step a generated date is moved across, at most
MIN_LABEL_ROWS = 5  # rows of a label that steps, at least: fewer may step by chance
_DAY = pd.Timedelta(days=1)


def find_month_steps(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "base", "shift", "least", "max_gap", "by", "labels"}]: `table.column` is
    `base` plus a whole number of months (`least` at least) less `shift` days in most rows, or in
    most rows of the `labels` of its column `by` (no such keys: of every row; see the module)."""
    out = []
    for table in data.schema.synth_tables:
        kinds, given = data.schema.tables[table].columns, pre.given_columns(table)
        dates = [c for c in pre.modelled_columns(table) if kinds[c].kind in DATED]
        labels = [(c, label_texts(data[table][c])) for c, _ in categoricals(pre, data, table)] if len(dates) > 1 else []
        days: dict[str, pd.Series] = {}  # each date column parsed once, not once per pair
        for base, col in itertools.permutations(dates, 2):
            if col in given or any(r["table"] == table and r["column"] == col for r in out):
                continue
            for c in (base, col):
                days[c] = days[c] if c in days else _days(data[table][c])
            rule = _steps(days[base], days[col])
            rule = _labelled_steps(days[base], days[col], labels) if rule is None else rule
            if rule is not None:
                log.info("%s.%s is a whole number of months after %s: kept so", table, col, base)
                sides = _sides(data[table], col, [d for d in dates if d not in (col, base)])
                out.append({"table": table, "column": col, "base": base, **rule, **sides})
    return out


def _labelled_steps(base: pd.Series, later: pd.Series, labels: list[tuple[str, np.ndarray]]) -> dict | None:
    """`_steps`' rule, with {"by", "labels"}, over the rows of the labels (as text) of one column of `labels`
    under which `later` steps in `MIN_SHARE` of the rows holding both dates (each `MIN_LABEL_ROWS`
    at least), of the column whose labels hold the most such rows; else None."""
    held = (base.notna() & later.notna()).to_numpy()
    if held.sum() < MIN_ROWS:
        return None
    on = np.zeros(len(base), dtype=bool)  # rows on a step, for either shift
    for shift in (0, 1):
        on[held] |= _day_fits(base[held], later[held], shift)
    if on.sum() < MIN_ROWS:
        return None  # too few rows step under any label: no column's labels to read
    best, most = None, 0
    for by, values in labels:
        frame = pd.DataFrame({"label": values[held], "on": on[held]}).dropna(subset=["label"])
        share = frame.groupby("label")["on"].agg(["mean", "size"])
        stepping = share[(share["mean"] >= MIN_SHARE) & (share["size"] >= MIN_LABEL_ROWS)]
        if not len(stepping) or len(stepping) == len(share) or stepping["size"].sum() <= most:
            continue
        rows = held & np.isin(values, stepping.index.to_numpy())
        rule = _steps(base[rows], later[rows])
        if rule is not None:
            best, most = rule | {"by": by, "labels": sorted(stepping.index)}, stepping["size"].sum()
    return best


def _sides(frame: pd.DataFrame, col: str, others: list[str]) -> dict[str, list[str]]:
    """{"not_after": [...], "not_before": [...]}: the row's other dates never after (before) `col`
    in the rows holding both (a cancellation on or before the policy's end), which a move keeps."""
    x, out = datetimes(frame[col], errors="coerce"), {"not_after": [], "not_before": []}
    for other in others:
        y = datetimes(frame[other], errors="coerce")
        held = x.notna() & y.notna()
        if held.any():
            out["not_after"] += [other] if (y[held] <= x[held]).all() else []
            out["not_before"] += [other] if (y[held] >= x[held]).all() else []
    return out


def _days(values: pd.Series) -> pd.Series:
    """The values as datetime64, NaT where not a date at midnight (a time of day steps by no month)."""
    d = datetimes(values, errors="coerce")
    return d.where(d == d.dt.normalize())


def _steps(base: pd.Series, later: pd.Series) -> dict | None:
    """{"shift", "least", "max_gap"} where `later` is a month step of `base` less `shift` days in
    `MIN_SHARE` of the rows holding both, else None."""
    held = base.notna() & later.notna()
    if held.sum() < MIN_ROWS:
        return None
    base, later = base[held].reset_index(drop=True), later[held].reset_index(drop=True)
    for shift in (0, 1):
        if _day_fits(base, later, shift).mean() < MIN_SHARE:
            continue  # too few rows on a month step: no need to find each row's nearest
        months, gap = nearest_steps(base, later, shift, least=1)
        on = gap == 0
        if on.mean() >= MIN_SHARE:
            least = int(months[on].min())
            off = nearest_steps(base[~on], later[~on], shift, least)[1]  # from the steps decoding moves onto
            if not len(off):
                return {"shift": shift, "least": least, "max_gap": None}  # every row steps: so does every date
            max_gap = int(min(MAX_GAP, off.min() - 1))  # the data's others stay off
            return {"shift": shift, "least": least, "max_gap": max_gap} if max_gap > 0 else None
    return None


def _day_fits(base: pd.Series, later: pd.Series, shift: int) -> np.ndarray:
    """Whether each `later`, plus `shift` days, falls on `base`'s day of the month (its month's last
    where shorter) in a later month: so does every row on a step (`nearest_steps`' gap 0), at a
    fraction of its cost (a line item's ship and receipt dates, 600k rows, mostly no step)."""
    end = later + pd.Timedelta(days=shift)
    day = np.minimum(base.dt.day.to_numpy(), end.dt.days_in_month.to_numpy())
    months = (end.dt.year - base.dt.year) * 12 + end.dt.month - base.dt.month
    return (end.dt.day.to_numpy() == day) & (months.to_numpy() >= 1)


def nearest_steps(base: pd.Series, later: pd.Series, shift: int, least: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the whole months (`least` at least) whose step of `base`, less `shift` days, is
    nearest `later`, and that step's gap from `later` in days."""
    guess = ((later.dt.year - base.dt.year) * 12 + later.dt.month - base.dt.month).to_numpy()
    best, gaps = np.full(len(base), least), np.full(len(base), np.inf)
    for k in (-1, 0, 1):
        months = np.maximum(guess + k, least)
        gap = np.abs((later - _stepped(base, months, shift)).dt.days.to_numpy(dtype=float))
        better = gap < gaps
        best, gaps = np.where(better, months, best), np.where(better, gap, gaps)
    return best, gaps


def _stepped(base: pd.Series, months: np.ndarray, shift: int) -> pd.Series:
    """`base` plus `months` calendar months each (the month's last day where it has no such day, as
    pandas' DateOffset), less `shift` days."""
    index = (base.dt.year * 12 + base.dt.month - 1).to_numpy() + months
    first = pd.to_datetime(pd.DataFrame({"year": index // 12, "month": index % 12 + 1, "day": 1}))
    day = np.minimum(base.dt.day.to_numpy(), first.dt.days_in_month.to_numpy())
    return pd.Series((first + pd.to_timedelta(day - 1 - shift, unit="D")).to_numpy(), index=base.index)


def keep_month_steps(rules: list[dict], table: str, cols: dict[str, pd.Series]) -> None:
    """Move (in place) each rule's generated dates of `table` within `max_gap` days (None: any) of a
    month step onto it."""
    for rule in (r for r in rules if r["table"] == table):
        if rule["column"] not in cols or rule["base"] not in cols:
            continue
        base, later = _days(cols[rule["base"]]), _days(cols[rule["column"]])
        held = (base.notna() & later.notna()).to_numpy()
        if rule.get("by") is not None:  # none in older models
            if rule["by"] not in cols:
                continue
            held &= np.isin(label_texts(cols[rule["by"]]), rule["labels"])
        if not held.any():
            continue
        months, gap = nearest_steps(base[held], later[held], int(rule["shift"]), int(rule["least"]))
        near = gap <= (np.inf if rule["max_gap"] is None else rule["max_gap"])
        stepped = _stepped(base[held], months, int(rule["shift"]))
        column = cols[rule["column"]].copy()
        near &= _kept_sides(rule, cols, stepped, np.flatnonzero(held))
        rows = np.flatnonzero(held)[near]
        column.iloc[rows] = stepped.to_numpy()[near].astype(column.dtype) if column.dtype.kind == "M" else stepped[near]
        cols[rule["column"]] = column


def _kept_sides(rule: dict, cols: dict[str, pd.Series], stepped: pd.Series, rows: np.ndarray) -> np.ndarray:
    """Whether each step (of `rows`) keeps the row's other dates on their side (`_sides`): a
    cancellation drawn on the day of a policy's end stays on or before it."""
    ok = np.ones(len(rows), dtype=bool)
    for key, keeps in (("not_after", np.less_equal), ("not_before", np.greater_equal)):
        for other in rule.get(key, []):  # none in older models
            if other in cols:
                y = pd.to_datetime(cols[other], errors="coerce").iloc[rows].reset_index(drop=True)
                ok &= (y.isna() | pd.Series(keeps(y, stepped.reset_index(drop=True)))).to_numpy()
    return ok

"""A calendar label the model reads beside a series' stepped date (a store's weeks: their month).

A series' date is written as its step from the previous sibling's (`orderings`: a store's weeks,
each 7 days after the one before), so the model never sees where in the calendar a row lies when it
writes the row's other columns: a Walmart-like panel's generated temperature followed the season at
a correlation of 0.30 (the data's 0.85), and markdowns the stores began on one date were missing
after it in 80 % of the generated weeks (the data's 8 %). The fit adds to such a table a field the
schema does not hold, right after the date: a categorical label of the date's month (`yyyymm`; the
month of the year, `month`, where the dates span more than `MAX_MONTHS`), where the series span
`MIN_MONTHS` months at least (the median series) with steps of at most `MAX_STEP_DAYS` days (the
median step: a label over several rows of a series). Encoding derives it from the date
(`with_calendars`); generation sets it from the date the step tokens give, as a date part
(`date_parts.stepped_parts`), wherever the date is known; decoding leaves it out (a field outside
the schema). An integer label would be stepped itself. Not fitted under DP (no orders there);
older models have none.

A series whose first date is counted from a date of its parent row (a station's days from its
opening: `date_parts.is_parent_stepped`) gets a `yyyymm` label too: that date is a bin's token, so
generation draws it within the bin to set the labels, and decoding draws it again within the bin
where the first child's date lands in the month its labels say (`pinned_bases`). Without the label a
weather series' generated July was as cold as its January (July - January mean tmax: data 22.6,
generated -0.5 and 0.5; the month means' correlation -0.16 and 0.11); with it 18.9 and 23.1 (0.992, 0.998).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import datetimes
from relsynth.synth.tabular.rules.date_parts import PARTS, is_parent_stepped, is_stepped

log = logging.getLogger(__name__)
MIN_MONTHS = 3  # months a series spans (the median's), at least: fewer labels say little
MAX_MONTHS = 60  # months of `yyyymm` labels at most; beyond, the month of the year
MAX_STEP_DAYS = 16  # a series' median step at most: two rows a month at least


def find_series_calendars(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "date", "part", "case"}] (a `date_parts` rule): `column`, a field outside
    the schema, is `part` of the stepped `date` of `table`, as text. Read once the orders are found."""
    out = []
    for table, found in pre.orderings.items():
        for date, o in found.items():
            edge = data.schema.parent(table)
            parent_orders = pre.orderings.get(edge.parent, {}) if edge is not None else {}
            stepped = is_stepped(o) or (edge is not None and is_parent_stepped(o, parent_orders))
            if not stepped or date not in pre.modelled_columns(table):
                continue
            part = _grain(datetimes(data[table][date]), pre._siblings(data[table], table))
            if part is None or (part != "yyyymm" and not is_stepped(o)):
                continue  # a month of the year does not say which year decoding places a parent's date in
            column = f"{date}@{part}"
            if column in data.schema.tables[table].columns:
                continue
            out.append({"table": table, "column": column, "date": date, "part": part, "case": "as is"})
            log.info("%s.%s is a series' stepped date: the model reads its %s (%s)", table, date, part, column)
    return out


def _grain(dates: pd.Series, siblings: np.ndarray | None) -> str | None:
    """The part a label of `dates` holds, from their series' spans and steps; None: no label."""
    held = dates.notna().to_numpy()
    if siblings is None or held.sum() < 2:
        return None
    frame = pd.DataFrame({"parent": np.asarray(siblings)[held], "date": dates[held].to_numpy()})
    frame["month"] = frame["date"].dt.year * 12 + frame["date"].dt.month
    series = frame.sort_values(["parent", "date"]).groupby("parent")
    spans = series["month"].agg(lambda m: m.max() - m.min() + 1)  # months each series spans
    steps = series["date"].diff().dropna().dt.days
    if spans.median() < MIN_MONTHS or not len(steps) or steps.median() > MAX_STEP_DAYS:
        return None
    n_months = int(frame["month"].max() - frame["month"].min()) + 1
    return "yyyymm" if n_months <= MAX_MONTHS else "month"


def calendar_label(dates: pd.Series, part: str) -> pd.Series:
    """The label of each date (missing where the date is), as `date_parts.part_token` writes it:
    a zoned date's at its UTC instant, as generation counts its steps."""
    dates = datetimes(dates)
    if getattr(dates.dtype, "tz", None) is not None:
        dates = dates.dt.tz_convert(None)
    values = PARTS[part](dates).astype("Int64")
    return values.astype("string")


def with_calendars(df: pd.DataFrame, rules: list[dict], table: str) -> pd.DataFrame:
    """`df` (rows of `table`, dates as themselves) with the calendar labels of its rules as columns."""
    mine = [r for r in rules if r["table"] == table and r["date"] in df.columns]
    if not mine:
        return df
    return df.assign(**{r["column"]: calendar_label(df[r["date"]], r["part"]) for r in mine})


# ---- at decoding: a parent's date drawn where its first child's calendar labels put it ------------
def pinned_bases(pre, table: str, cols: dict[str, pd.Series], ids: dict, headers: dict, parents: dict, rng) -> None:
    """Draw again (in place) each binned date of `table`'s rows that a child series counts its first
    date from (`date_parts.is_parent_stepped`: a station's days from its opening), within its bin,
    where the child's first date then lands in the month its calendar labels say: generation set
    them from a date it drew in the same bins (`date_parts.stepped_date`), and the model wrote the
    rows' other columns by them (a day's temperature by its month). A bin no such date fits keeps its draw."""
    for r in pre.stats.get("series_calendars", []):
        child, edge = r["table"], pre.schema.parent(r["table"])
        o = pre.orderings.get(child, {}).get(r["date"])
        if edge is None or edge.parent != table or o is None or o.base not in ids or not headers.get(child):
            continue
        if not is_parent_stepped(o, pre.orderings.get(table, {})) or r["part"] != "yyyymm":
            continue
        base_pre = pre.slots[pre.layouts[table].slots[pre.layouts[table].fields.index(o.base)]].preproc
        dates = cols[o.base]
        if getattr(dates.dtype, "tz", None) is not None or not base_pre.n_bins_used:
            continue
        layout, mat = pre.layouts[child], np.stack(headers[child])
        labels = _labels(pre, layout, mat, r["column"])
        date_slot = pre.slots[layout.slots[layout.fields.index(r["date"])]]
        offsets = mat[:, layout.fields.index(r["date"])] - date_slot.offset
        owner = np.asarray(parents[child], dtype=np.int64)
        values = dates.to_numpy(dtype="datetime64[ns]").copy()
        for p in np.unique(owner[owner >= 0]):
            b = int(ids[o.base][p]) - 1 - len(base_pre.points)
            if not 0 <= b < base_pre.n_bins_used:
                continue  # a point (exact) or missing: nothing to move
            rows = np.flatnonzero(owner == p)
            window = _first_date_window(o, labels[rows])
            step = _step_range(o, date_slot.preproc, int(offsets[rows[0]]))
            if window is None or step is None:
                continue
            lo = max(base_pre.edges[b], window[0] - o.sign * (step[1] if o.sign > 0 else step[0]))
            hi = min(base_pre.edges[b + 1], window[1] - o.sign * (step[0] if o.sign > 0 else step[1]))
            grid = base_pre.grid or 1.0
            lo, hi = np.ceil(lo / grid) * grid, np.floor(hi / grid) * grid
            if lo <= hi:
                at = lo + grid * int(rng.integers(0, int((hi - lo) // grid) + 1))
                values[p] = np.datetime64(int(round(at * 1e9)), "ns")
        cols[o.base] = pd.Series(values, index=dates.index).astype(dates.dtype)


def _labels(pre, layout, mat: np.ndarray, column: str) -> np.ndarray:
    """Each row's calendar label as a month count (year * 12 + month - 1); -1 where it has none."""
    slot = pre.slots[layout.slots[layout.fields.index(column)]]
    texts = [
        "" if i < 2 else str(slot.preproc.categories[i - 2]) for i in mat[:, layout.fields.index(column)] - slot.offset
    ]
    return np.array([int(t[:-2]) * 12 + int(t[-2:]) - 1 if t.isdigit() and len(t) >= 5 else -1 for t in texts])


def _month_start(months: int) -> float:
    """Seconds of the first day of a month count (year * 12 + month - 1)."""
    return pd.Timestamp(year=months // 12, month=months % 12 + 1, day=1).value / 1e9


def _first_date_window(o, months: np.ndarray) -> tuple[float, float] | None:
    """[from, to] (seconds) the first row's date lies in, by its series' labels: its own label's
    month, narrowed, where the steps are fixed forward ones, by the first row with the next label
    (its date is the first of that month's rows: k fixed steps after the first row's)."""
    if months[0] < 0:
        return None
    lo, hi = _month_start(months[0]), _month_start(months[0] + 1) - 1
    if o.step_fixed and o.sign > 0:
        later = np.flatnonzero(months != months[0])
        if len(later) and months[later[0]] == months[0] + 1:
            k, start = int(later[0]), _month_start(months[0] + 1)
            lo, hi = max(lo, start - k * o.step_fixed), min(hi, start - (k - 1) * o.step_fixed - 1)
    return (lo, hi) if lo <= hi else None


def _step_range(o, preproc, local: int) -> tuple[float, float] | None:
    """[least, most] (seconds) of a first row's step from its parent's date, as decoding draws it."""
    if o.first_fixed is not None:
        return float(o.first_fixed), float(o.first_fixed)
    if 1 <= local <= len(preproc.points):
        low = high = float(preproc.points[local - 1])
    elif len(preproc.points) < local < preproc.n_tokens:
        b = local - 1 - len(preproc.points)
        low, high = float(preproc.edges[b]), float(preproc.edges[b + 1])
    else:
        return None
    return max(low, o.first_gap), max(high, o.first_gap)

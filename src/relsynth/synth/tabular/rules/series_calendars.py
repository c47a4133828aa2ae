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
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import datetimes
from relsynth.synth.tabular.rules.date_parts import PARTS, is_stepped

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
            if not is_stepped(o) or date not in pre.modelled_columns(table):
                continue
            part = _grain(datetimes(data[table][date]), pre._siblings(data[table], table))
            if part is None:
                continue
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

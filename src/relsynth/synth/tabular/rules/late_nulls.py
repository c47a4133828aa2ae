"""Columns missing only past a date of their row, held at will there too: an order's shipped_date
NULL only on the last orders (not shipped yet when the data was drawn), a ticket's closed_at only
on those opened in its last weeks, an e-mail missing only before a form asked for it.

No token of the date says which side of the cut a row lies on (an order's date is an offset from
the customer's previous order), so the model spread the nulls over every date: a Northwind-like
database's 20 unshipped orders, all in its last two weeks, came out as 24 and 32 orders from any
month, none in the last three. The fit keeps, per nullable column and date of its row, the side of
the date's values that every missing row lies on (`find_late_nulls`), where chance would not put
them all there: `k` missing rows among rows of which a share `s` lies on that side have a chance
of about s^k, kept below `ALPHA`, and where the missing rate jumps at the cut rather than rises
smoothly past it (`_rate_jumps`; a rate rising from 0 over the dates put its first nulls late by
chance and fired on 143 of 200 seeds); and the share of that side's rows missing it. Decoding
(`keep_late_nulls`) fills a row missing it on the other side from a generated row holding it (a
date its gap from the row's date, else its value) and makes as many of the side's rows miss it
as that share says. Not on a column another rule makes missing or that an order of its row reads
(a delivery after the shipment), nor under DP (no rules fitted there).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import binom

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED, as_numbers

log = logging.getLogger(__name__)
ALPHA = 1e-6  # chance, at most, that the missing rows all fall on the side by chance
MIN_NULLS = 10  # missing rows, at least
MIN_ROWS = 20  # rows holding the column on the other side, at least
FLAT_ALPHA = 1e-3  # chance, at most, that a side missing at one rate looks rising from its cut


def find_late_nulls(pre, data: RelationalData, ruled: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of", "after", "cut", "share"}]: `column` of `table` is held in every row
    whose date `of` lies before `cut` (after it where not `after`) and missing in `share` of the rows
    on the cut's other side. Not on columns another rule makes missing (`ruled`: (table, column)),
    keys, context columns, nor a column an order of its row reads."""
    out = []
    for table in pre.layouts:
        frame, kinds = data[table], pre.schema.tables[table].columns
        modelled = [c for c in pre.modelled_columns(table) if c in frame.columns and c not in pre.given_columns(table)]
        dates = [c for c in modelled if kinds[c].kind in DATED]
        read = _read_by_orders(pre, table)
        nanoseconds: dict[str, np.ndarray] = {}  # each date read once a table, where a column is tried against it
        for col in modelled:
            missing = frame[col].isna().to_numpy()
            if (table, col) in ruled or col in read or kinds[col].kind is Column.FOREIGN_KEY:
                continue
            if missing.sum() < MIN_NULLS:
                continue
            for of in (d for d in dates if d != col):
                if of not in nanoseconds:
                    nanoseconds[of] = as_numbers(frame[of], Column.DATETIME)
                if (side := missing_side(nanoseconds[of], missing)) is not None:
                    out.append({"table": table, "column": col, "of": of, **side})
                    log.info("%s.%s is missing only %s %s", table, col, "after" if side["after"] else "before", of)
                    break
    return out


def missing_side(x: np.ndarray, missing: np.ndarray) -> dict | None:
    """{"after", "cut", "share"}: the side of `x` (a date in nanoseconds, NaN where unknown) that every
    `missing` row lies on, `MIN_ROWS` rows at least holding the column on the other side, beyond
    chance, and the share of that side's rows missing; else None. The cut lies halfway between the
    missing rows' nearest value and the last value before it of a row held."""
    known = ~np.isnan(x)
    x, missing = x[known], missing[known]
    k = int(missing.sum())
    if k < MIN_NULLS or k == len(x):
        return None
    for after in (True, False):
        edge = x[missing].min() if after else x[missing].max()
        beyond = x < edge if after else x > edge  # the rows on the other side: all held
        if beyond.sum() < MIN_ROWS or k * math.log1p(-beyond.mean()) >= math.log(ALPHA):
            continue
        if not _rate_jumps(x, missing, beyond, after):
            continue
        nearest = x[beyond].max() if after else x[beyond].min()
        on_side = ~beyond
        return {"after": after, "cut": float((edge + nearest) / 2), "share": float(missing[on_side].mean())}
    return None


def _rate_jumps(x: np.ndarray, missing: np.ndarray, beyond: np.ndarray, after: bool) -> bool:
    """Whether the missing rate jumps at the edge rather than rises smoothly past it, from the `w` rows
    just past the edge (the first missing row, there by its choice as the edge, not counted): at their
    rate, the `w` held rows nearest the edge on the `beyond` side would all be held with a chance below
    `ALPHA`; and their rate is no lower than the whole side's beyond chance (`FLAT_ALPHA`). A rate
    rising from 0 with the date (no cut in truth) has a few missing rows just past its first one, far
    fewer than further on; a cut has its side's share from the cut on."""
    side = np.flatnonzero(~beyond)
    w = min(int(beyond.sum()), len(side) - 1)
    nearest = side[np.argsort(x[side] if after else -x[side], kind="stable")[: w + 1]]
    near_missing = int(missing[nearest].sum()) - 1
    rate, share = near_missing / w, (int(missing[side].sum()) - 1) / (len(side) - 1)
    held_by_chance = rate < 1 and w * math.log1p(-rate) >= math.log(ALPHA)
    return not held_by_chance and binom.cdf(near_missing, w, share) >= FLAT_ALPHA


def keep_late_nulls(
    rules: list[dict],
    table: str,
    frame: pd.DataFrame,
    rng: np.random.Generator,
    kept: Mapping[str, np.ndarray] | None = None,
) -> None:
    """Per rule, in place: each row of `frame` (rows of `table`) missing the column on the held side
    of the cut filled from a generated row holding it, and the rows of the other side made to miss it
    at the rule's share (held rows cleared, or missing ones filled, at random), none of the rows
    `kept` names for the column cleared (a period's end a next one starts on: `next_starts`)."""
    for rule in (r for r in rules if r["table"] == table and r["of"] in frame and r["column"] in frame):
        col = rule["column"]
        keep = (kept or {}).get(col, np.zeros(len(frame), dtype=bool))
        x = as_numbers(frame[rule["of"]], Column.DATETIME)
        with np.errstate(invalid="ignore"):
            side = x > rule["cut"] if rule["after"] else x < rule["cut"]
        missing = frame[col].isna().to_numpy()
        held_side = ~side & ~np.isnan(x)
        if not (~missing).any():
            continue  # nothing to fill from
        fill = held_side & missing
        target = round(rule["share"] * side.sum())
        on_side = np.flatnonzero(side & missing)
        held_on_side = np.flatnonzero(side & ~missing & ~keep)
        clear = np.zeros(len(frame), dtype=bool)
        if len(on_side) > target:  # too many missing there: fill some
            fill[rng.choice(on_side, len(on_side) - target, replace=False)] = True
        elif len(on_side) < target:  # too few: clear some held ones
            clear[rng.choice(held_on_side, min(target - len(on_side), len(held_on_side)), replace=False)] = True
        if fill.any():
            frame[col] = _filled(frame, col, rule["of"], fill, ~missing, rng)
        if clear.any():
            frame[col] = frame[col].mask(clear)


def _filled(
    frame: pd.DataFrame, col: str, of: str, fill: np.ndarray, donors: np.ndarray, rng: np.random.Generator
) -> pd.Series:
    """`frame[col]` with the `fill` rows taken from random `donors` rows: a date as the donor's gap from
    its date `of` added to the row's (a shipment that many days after its order), else the donor's value.
    A donor missing its date gives no gap: only donors holding it where any does (else a filled row stayed
    missing, on the side the rule holds it)."""
    rows = np.flatnonzero(fill)
    values = frame[col].copy()
    dated = donors & frame[of].notna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(values.dtype) and values.dtype == frame[of].dtype and dated.any():
        picked = rng.choice(np.flatnonzero(dated), len(rows))
        gaps = values.iloc[picked].to_numpy() - frame[of].iloc[picked].to_numpy()
        values.iloc[rows] = (frame[of].iloc[rows] + gaps).to_numpy()
    else:
        values.iloc[rows] = values.iloc[rng.choice(np.flatnonzero(donors), len(rows))].to_numpy()
    return values


def _read_by_orders(pre, table: str) -> set[str]:
    """The columns an order of `table`'s rows reads: another date follows, or is bounded by, them."""
    orders = pre.orderings.get(table, {}).values()
    return {c for o in orders for c in (o.base, o.bound, o.cap, o.sibling_base) if c is not None}

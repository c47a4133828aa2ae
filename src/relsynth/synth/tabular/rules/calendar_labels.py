"""Labels a calendar sets: every row of one date holds one value, whichever entity it is under (a
holiday week, the same for every store of a chain; a chain-wide promotion day of all its shops).

The model writes each store's rows in its own entity, so nothing tied one store's flag for a date to
another's: a small model's generated weekly rows of 30 stores agreed on the holiday weeks in 80 % of
the rows (the data: every row). The fit keeps, per categorical, integer or boolean column of a table
and the first date of its row such that every row of one date held by `min_count` root entities at
least holds one value (missing counting as one), in `MIN_DATES` such dates, where values drawn by
their shares would have broken it in `MIN_BREAKS` dates at least (a column nearly always one value
agrees by chance), the map from those dates to their values: each date is shared by `min_count`
entities, so no one entity's value is kept. Generation sets the column of every row on one of those
dates, once every date is set; a row on another date keeps the model's value. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED
from relsynth.synth.tabular.rules.shared_values import _ancestor_keys, text_codes

log = logging.getLogger(__name__)
MIN_DATES = 20  # dates shared by `min_count` entities at least, at least
MIN_BREAKS = 5.0  # dates that values drawn by their shares would have broken, at least
_KINDS = (Column.CATEGORICAL, Column.INTEGER, Column.BOOLEAN)


def find_calendar_labels(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "date", "dates": [ns since the epoch], "values": [value or None]}]:
    every row of `table` on one of `dates` holds its value of `values` in `column`. Not `skip`'s
    columns (set by another rule) nor context columns."""
    out = []
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        modelled = [c for c in pre.modelled_columns(table) if c in data[table].columns]
        dates = [c for c in modelled if kinds[c].kind in DATED]
        if not dates:
            continue
        frame = data[table].reset_index(drop=True)
        roots = _root_codes(pre, data, table)
        given = pre.given_columns(table)
        for col in modelled:
            if kinds[col].kind not in _KINDS or col in given or (table, col) in skip:
                continue
            for date in dates:
                found = _calendar(frame[date], frame[col], roots, pre.min_count)
                if found is not None:
                    out.append({"table": table, "column": col, "date": date, **found})
                    log.info("%s.%s holds one value on each date of %s across entities: kept so", table, col, date)
                    break
    return out


def _root_codes(pre, data: RelationalData, table: str) -> np.ndarray:
    """Per row of `table`, a code of the highest row above it its keys reach (itself for a root)."""
    above = _ancestor_keys(pre, data, table)
    return above[-1][2] if above else np.arange(len(data[table]))


def _calendar(dates: pd.Series, values: pd.Series, roots: np.ndarray, min_count: int) -> dict | None:
    """{"dates", "values"} where every row of each date of `min_count` entities at least holds one
    value, in `MIN_DATES` such dates breaking `MIN_BREAKS` by chance, else None."""
    day = pd.to_datetime(dates, errors="coerce")
    held = day.notna().to_numpy()
    if held.sum() < 2 * MIN_DATES:
        return None
    frame = pd.DataFrame(
        {"d": day[held].to_numpy(), "r": roots[held], "v": text_codes(values)[held], "i": np.flatnonzero(held)}
    )
    groups = frame.groupby("d", sort=True).agg(n=("v", "size"), values=("v", "nunique"), roots=("r", "nunique"))
    shared = groups[groups["roots"] >= max(min_count, 2)]
    if len(shared) < MIN_DATES or (shared["values"] > 1).any():
        return None
    rows = frame[frame["d"].isin(shared.index)]
    first = rows.groupby("d", sort=True)[["v", "i"]].first()
    if first["v"].nunique() < 2:
        return None  # one value on every date: nothing the calendar sets
    shares = rows["v"].value_counts(normalize=True).to_numpy()
    same = (shares[None, :] ** shared["n"].to_numpy()[:, None]).sum(axis=1)  # chance a date's rows all agree
    if float((1.0 - same).sum()) < MIN_BREAKS:
        return None
    ns = first.index.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return {"dates": [int(d) for d in ns], "values": [_plain(values.iloc[i]) for i in first["i"]]}


def _plain(v):
    """A value as JSON holds it (None: missing)."""
    if pd.isna(v):
        return None
    return v.item() if hasattr(v, "item") else v


def apply_calendar_labels(rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Set (in place) each fitted column of the generated `tables` on the rule's dates to their value;
    rows on other dates or without one keep theirs. Written in the column's dtype."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame) or r["column"] not in frame.columns:
            continue
        day = pd.to_datetime(frame[r["date"]], errors="coerce")
        ns = day.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        where = pd.Index(np.asarray(r["dates"], dtype=np.int64)).get_indexer(ns)
        on = (where >= 0) & day.notna().to_numpy()
        if not on.any():
            continue
        column = frame[r["column"]].astype(object).to_numpy().copy()
        column[on] = np.asarray(r["values"], dtype=object)[where[on]]
        frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)

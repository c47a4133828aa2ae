"""Dates a fixed time after another date of their row, the time set by a category of the row or of
its parent row (a loan due 14 days after it is lent to an adult member, 21 days to a child).

The model writes the later date as its offset from the earlier one, in bins, beside a category it
does not see as setting it: 1.2 to 2.6 % of a library's generated loans were due after the other
type's period. The fit keeps, per date of a table, the first earlier date of its row it always
follows by one of 2 to `MAX_GAPS` times (`MIN_ROWS` rows away from the commonest), each category of
one categorical column (the row's own, then its parent row's) giving one of them in every row
holding the three values (`MIN_PER_CATEGORY` rows a category on average); generation sets the date
to the earlier one plus its category's time. Dates other rules set, or orders within rows read
(`skip`), are left alone. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import DATED, datetimes
from relsynth.synth.tabular.rules.columns import categoricals

log = logging.getLogger(__name__)
MAX_GAPS = 12  # distinct times a date keeps after its base, at most
MIN_ROWS = 20  # rows holding the date, its base and the category, at least, and away from the commonest time
MIN_PER_CATEGORY = 5  # rows per category, on average, at least


def find_category_gaps(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "base", "by", "from_parent", "gaps": {category: seconds}}]."""
    out = []
    for table in pre.layouts:
        kinds, modelled = data.schema.tables[table].columns, set(pre.modelled_columns(table))
        given = pre.given_columns(table)
        dates = [c for c, k in kinds.items() if c in modelled and k.kind in DATED]
        frame = data[table].reset_index(drop=True)
        labels = _labels(pre, data, table, frame)
        for i, col in enumerate(dates):
            if col in given or (table, col) in skip:
                continue
            for base in dates[:i]:
                gap = (datetimes(frame[col]) - datetimes(frame[base])).dt.total_seconds().to_numpy()
                rule = _gap_rule(gap, labels)
                if rule is not None:
                    by, from_parent, gaps = rule
                    log.info("%s.%s is %s plus a time its %s sets", table, col, base, by)
                    out.append({"table": table, "column": col, "base": base, "by": by, "from_parent": from_parent,
                                "gaps": gaps})  # fmt: skip
                    break
    return out


def _labels(pre, data: RelationalData, table: str, frame: pd.DataFrame) -> list[tuple[str, bool, pd.Series]]:
    """(column, from its parent row, its value per row of `frame`): the row's categories, then its
    parent row's."""
    out = [(c, False, frame[c].reset_index(drop=True)) for c, _ in categoricals(pre, data, table)]
    edge = data.schema.parent(table)
    if edge is not None and edge.parent in pre.layouts:
        parent = data[edge.parent].set_index(data.schema.tables[edge.parent].primary_key)
        for c, _ in categoricals(pre, data, edge.parent):
            out.append((c, True, parent[c].reindex(frame[edge.fk].to_numpy()).reset_index(drop=True)))
    return out


def _gap_rule(gap: np.ndarray, labels: list[tuple[str, bool, pd.Series]]) -> tuple[str, bool, dict] | None:
    """(column, from parent, {category: seconds}) of the first category that sets `gap`, or None."""
    held = ~np.isnan(gap)
    distinct, counts = np.unique(gap[held], return_counts=True)
    if not 2 <= len(distinct) <= MAX_GAPS or (distinct <= 0).any() or held.sum() - counts.max() < MIN_ROWS:
        return None  # a time nearly always the same follows from anything by chance
    for by, from_parent, values in labels:
        rows = held & values.notna().to_numpy()
        if rows.sum() < MIN_ROWS:
            continue
        per = pd.Series(gap[rows]).groupby(values[rows].astype(str).to_numpy()).agg(["nunique", "first"])
        if len(per) * MIN_PER_CATEGORY > rows.sum():  # categories of a row or two set any time
            continue
        if (per["nunique"] == 1).all() and per["first"].nunique() >= 2:
            return by, from_parent, {str(k): float(v) for k, v in per["first"].items()}
    return None


def keep_category_gaps(
    rules: list[dict], frame: pd.DataFrame, parent: pd.DataFrame | None, rows: np.ndarray | None
) -> None:
    """Set (in place) each rule's date of generated `frame` to its base plus its category's time;
    `parent`: the parent table's generated rows, `rows`: each row's parent position."""
    for r in rules:
        if r["from_parent"] and (parent is None or rows is None):
            continue
        labels = parent[r["by"]].iloc[rows].reset_index(drop=True) if r["from_parent"] else frame[r["by"]]
        seconds = labels.astype(str).map(r["gaps"]).to_numpy(dtype=float, na_value=np.nan)
        base = pd.to_datetime(frame[r["base"]]).reset_index(drop=True)
        moved = base + pd.to_timedelta(seconds, unit="s")
        keep = ~np.isnan(seconds) & base.notna().to_numpy() & frame[r["column"]].notna().to_numpy()
        column = frame[r["column"]].copy()
        column.iloc[np.flatnonzero(keep)] = moved[keep].astype(column.dtype).to_numpy()
        frame[r["column"]] = column

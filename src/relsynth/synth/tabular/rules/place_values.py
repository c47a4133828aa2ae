"""A number of a nested row that its place among its parent row's rows and their count decide in
every training row: an assessment's weight, 0.3, 0.3, 0.4 of an enrolment's three assessments and
0.2, 0.2, 0.2, 0.4 of four; an instalment plan's shares.

The model draws a parent row's count of rows in its header and each row's value many tokens later,
so a briefly trained one mixes the patterns: half of a small model's enrolments on a school
database held weights adding to 0.9 or 1.1 (0.3, 0.3, 0.2, 0.4), and the final grade their
weighted sum set from them was off the weighted mean as much. The fit keeps, per number of a
nested table (never missing, two values at least), the value at each place of each count of rows
that every parent row of that count holds there, where each count held by `min_count` parent rows
at least decides every place so, two such counts at least (one count alone is a column constant
by place, which chance gives few values more easily), and their rows hold 90 % of the table's;
decoding sets the values of the rows whose parent holds one of those counts (`keep_place_values`),
the others as drawn, and again once a constant sum has rescaled them (`apply_place_values`). A label
by place (a trial's visits, a deal's stages) is left to the ordered, edge and chained labels' rules.
Places as encoded (`_assemble.sibling_order`). Not a column a rule sets (a
number numbering its rows: `sibling_numbers`), nor one another column's order within rows reads (its
own, a weight never below the one before, is kept: the values set keep it). Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.encoders import plain_scalar

log = logging.getLogger(__name__)
MIN_COUNTS = 2  # counts of rows, each of min_count parent rows, that decide every place
MIN_SHARE = 0.9  # of the table's rows under parents of those counts, at least
# numbers only: a label by place (a trial's visit, a deal's stage) is the ordered, edge and chained labels'
# rules' to keep, and set after them it could break their chains
_KINDS = (Column.INTEGER, Column.NUMERIC)


def find_place_values(pre, data: RelationalData, skip: set[tuple[str, str]] = frozenset()) -> list[dict]:
    """[{"table", "column", "values": {count: [value at place 1, 2, ...]}}] (counts as text keys)
    of the columns of nested tables whose value each place of those counts decides (`skip`: (table,
    column) set or read as offsets elsewhere)."""
    out = []
    for table in pre.schema.synth_tables:
        edge = pre.schema.parent(table)
        df = data[table]
        if edge is None or edge.fk not in df.columns or len(df) < pre.min_count * MIN_COUNTS:
            continue
        order, _ = sibling_order(df, edge.fk, pre.sibling_keys.get(table))
        parents = df[edge.fk].to_numpy()[order]
        groups = pd.Series(parents).groupby(parents, sort=False)
        counts = groups.transform("size").to_numpy()
        places = groups.cumcount().to_numpy()
        kinds = pre.schema.tables[table].columns
        orderings = pre.orderings.get(table, {})
        for col in pre.modelled_columns(table):
            if (table, col) in skip or _read_by_orders(orderings, col) or kinds[col].kind not in _KINDS:
                continue
            values = df[col].iloc[order].reset_index(drop=True)
            if values.isna().any() or values.nunique() < 2:
                continue
            if (found := _decided(values, parents, counts, places, pre.min_count)) is not None:
                log.info("%s.%s is decided by its row's place among its %s row's rows and their count: kept so",
                         table, col, edge.parent)  # fmt: skip
                out.append({"table": table, "column": col, "values": found})
    return out


def _read_by_orders(orderings: dict, col: str) -> bool:
    """Whether an order within rows of another column reads `col` (an offset from it, a bound): it is
    read before this rule sets it. Its own order (a weight never below the sibling's before) is not."""
    return any(
        getattr(o, field, None) == col
        for c, o in orderings.items()
        if c != col
        for field in ("base", "bound", "cap", "fallback", "sibling_base", "near_floor", "walk_key")
    )


def _decided(values: pd.Series, parents, counts: np.ndarray, places: np.ndarray, min_count: int) -> dict | None:
    """{count: [value at each place]} where every count of `min_count` parent rows or more decides
    each place's value, `MIN_COUNTS` counts at least holding `MIN_SHARE` of the rows, two values
    among them; else None."""
    parents_of = pd.Series(parents).groupby(counts).nunique()
    frequent = [int(c) for c, n in parents_of.items() if n >= min_count]
    if len(frequent) < MIN_COUNTS or np.isin(counts, frequent).mean() < MIN_SHARE:
        return None
    out, seen = {}, set()
    for count in frequent:
        held = counts == count
        by_place = values[held].groupby(places[held]).agg(["nunique", "first"])
        if (by_place["nunique"] != 1).any():
            return None
        out[str(count)] = [plain_scalar(v) for v in by_place["first"]]
        seen.update(map(str, out[str(count)]))
    return out if len(seen) >= 2 else None


def keep_place_values(rules: list[dict], table: str, cols: dict[str, pd.Series], parents: np.ndarray) -> None:
    """Set (in place) each rule's column of `table` at the rows whose parent (`parents`: each row's
    parent position, its rows together in generated order) holds one of the rule's counts of rows."""
    for rule in rules:
        if rule["table"] != table or rule["column"] not in cols or not len(parents):
            continue
        groups = pd.Series(parents).groupby(parents, sort=False)
        counts, places = groups.transform("size").to_numpy(), groups.cumcount().to_numpy()
        col = cols[rule["column"]]
        values = col.astype(object).to_numpy(copy=True)
        for count, by_place in rule["values"].items():
            held = counts == int(count)
            values[held] = np.asarray(by_place, dtype=object)[places[held]]
        cols[rule["column"]] = pd.Series(values, index=col.index).astype(col.dtype)


def apply_place_values(pre, rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """`keep_place_values` on the written tables (in place), each row's parent read from its key:
    again once a rule across rows has moved the values (a constant sum's scaling, off a pattern that
    sums to the whole already)."""
    for rule in rules:
        frame, edge = tables.get(rule["table"]), pre.schema.parent(rule["table"])
        if frame is None or edge is None or edge.fk not in frame or rule["column"] not in frame:
            continue
        cols = {rule["column"]: frame[rule["column"]]}
        keep_place_values([rule], rule["table"], cols, pd.factorize(frame[edge.fk])[0])
        frame[rule["column"]] = cols[rule["column"]]

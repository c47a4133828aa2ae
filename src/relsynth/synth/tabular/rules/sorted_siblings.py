"""A date (or a number) a parent's rows are stored in order of, though drawn within a window rather
than one after another: a subscription's calls, numbered as they were made, at any time between its activation
and its termination (`relational.orders.sibling_key` finds no sequence: their spacing shrinks as a
subscription has more of them, so it keeps the stored order and models the date by itself).

The model writes each row's date from its place in the window, not from the previous row's, so the
generated rows were in no order: in no generated subscription did the calls follow their time
(call 2 before call 1), where every source subscription's do. The fit keeps, per table nested
under a parent and without a sibling key, each date column that never goes down from one of a
parent's stored rows to the next and goes up in half the steps at least (`MIN_ROWS` steps), where
decoding can sort it without moving another column of its row: modelled as itself and read by no
order within its row, or as its place from its parent's dates (the same for every sibling, so the
places sort as the dates do; a place counted back from the parent's end, a bid's time before its
auction's end, sorts the other way: `descending`), then each number likewise (a match's goals stored
by their minute: in 30 to 38 % of a sports league's generated matches they were not; an auction's
bids by their amount and by their time: with the amount alone kept, a trained model's bids came
after a later one in 66 to 76 % of its auctions). A number the rows keep in order only among the siblings
sharing a label of theirs, a chess clock going down for each side's moves, the moves in order of the ply
(`by`), is sorted within each parent's rows of each label, where none sorts it among them all; a
number or date that never goes up from row to row is sorted largest first likewise (`descending`). Generation gives each
parent's rows, in their generated order, its drawn dates sorted (missing ones stay where they are), so the rows and the keys numbered in their
order follow the date, as the source's do; the rows keep their other values, and the labels of a
parent's first or last row (`_edge_labels`), read in the stored order, stay there. Not under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import DATED, as_numbers
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.orderings import Ordering

log = logging.getLogger(__name__)
MIN_ROWS = 20  # steps from one sibling to the next holding the date, at least
NUMBERS = (Column.INTEGER, Column.NUMERIC)


def find_sorted_siblings(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "offset"[, "descending"]}]: `column` orders `table`'s rows under each
    parent row as they are stored; `offset`: sorted as its place from the parent's dates (before they
    are decoded), `descending` where that place is counted back from them."""
    out = []
    for table in pre.schema.synth_tables:
        edge = pre.schema.parent(table)
        if edge is None:
            continue
        orders, given = pre.orderings.get(table, {}), pre.given_columns(table)
        kinds = {c: k.kind for c, k in pre.schema.tables[table].columns.items()}
        dates = [c for c in pre.modelled_columns(table) if kinds.get(c) in DATED and c not in given]
        # then a number stored in its order (a match's goals by their minute), where no date is
        numbers = [c for c in pre.modelled_columns(table) if kinds.get(c) in NUMBERS and c not in given]
        labels = [c for c in pre.modelled_columns(table) if kinds.get(c) is Column.CATEGORICAL and c not in given]
        key = pre.sibling_keys.get(table)
        frame = data[table]
        for col in dates + numbers:
            if col == key or not _sortable(col, orders):  # the key orders the rows itself
                continue
            found = _sorted_by(frame, edge.fk, key, col, kinds[col], labels)
            if found is None:
                continue
            by, direction = found
            back = (direction < 0) != (col in orders and orders[col].sign < 0)  # a place back from the end flips
            out.append(
                {"table": table, "column": col, "offset": col in orders}
                | ({"descending": True} if back else {})
                | ({"by": by} if by is not None else {})
            )
            within = "" if by is None else f" within each {by}"
            log.info("%s: each %s row's rows stored in order of %s%s, generated so", table, edge.parent, col, within)
    return out


def _sorted_by(
    frame: pd.DataFrame, fk: str, key: str | None, col: str, kind, labels: list[str]
) -> tuple[str | None, int] | None:
    """(None or the label within whose rows, the direction) in which `col` keeps a parent's rows in
    their order (as stored, or by the sibling key `key`): first up among them all (no key: a key
    orders the rows itself), then down, then within each label of their own."""
    if key is None and _stored_in_order(frame, fk, col, kind, key):
        return None, 1
    for by in [None, *labels]:
        for direction in (-1,) if by is None else (1, -1):
            if _stored_in_order(frame, fk, col, kind, key, by, direction):
                return by, direction
    return None


def _stored_in_order(
    df: pd.DataFrame, fk: str, col: str, kind, key: str | None = None, by: str | None = None, direction: int = 1
) -> bool:
    """Never down (`direction` -1: up) from one of a parent's rows to the next (of the same `by` label),
    in their stored order or that of `key`; up (down) in half the steps at least."""
    frame = df[df[fk].notna() & (df[by].notna() if by is not None else True)]
    groups = frame[fk] if by is None else frame.groupby([fk, by], sort=False).ngroup()
    order, same = sibling_order(frame.assign(_group=groups.to_numpy()), "_group", key)
    values = direction * as_numbers(frame[col], kind)[order]
    pairs = same[1:] & ~np.isnan(values[1:]) & ~np.isnan(values[:-1])
    steps = values[1:][pairs] - values[:-1][pairs]
    return len(steps) >= MIN_ROWS and bool((steps >= 0).all()) and float((steps > 0).mean()) >= 0.5


def _sortable(col: str, orders: dict[str, Ordering]) -> bool:
    """Whether sorting `col` among siblings moves nothing else of their rows: modelled as itself and
    no base, bound, cap or fallback of its row's orders, or its place from its parent's dates (forward
    or back: the same base and bound for every sibling, so the places keep the values' order)."""
    o = orders.get(col)
    if o is None:
        return not any(
            col in (r.base, r.bound, r.cap, r.fallback, r.sibling_base) and not r.from_parent for r in orders.values()
        )
    from_parent = (o.bound is None or o.bound_from_parent) and (o.cap is None or o.cap_from_parent)
    return o.from_parent and from_parent and not (o.loose or o.after_sibling or o.near or o.first_quantiles)


def keep_sorted_siblings(pre, table: str, cols: dict[str, pd.Series], parents: np.ndarray, offset: bool) -> None:
    """Sort, in place, each rule's column of `table` among each parent's rows (`parents`: each row's
    parent position), in row order; `offset`: the rules sorted as their places, before decoding."""
    for rule in pre.stats.get("sorted_siblings", []):  # none in older models, nor under DP
        if rule["table"] == table and rule["offset"] == offset and rule["column"] in cols:
            groups = parents if "by" not in rule else _label_groups(parents, cols[rule["by"]])
            cols[rule["column"]] = sorted_within(cols[rule["column"]], groups, rule.get("descending", False))


def _label_groups(parents: np.ndarray, labels: pd.Series) -> np.ndarray:
    """One group per parent and label of its rows (a missing label one of its own)."""
    codes = pd.factorize(labels)[0] + 1
    return parents.astype(np.int64) * (int(codes.max(initial=0)) + 1) + codes


def sorted_within(values: pd.Series, parents: np.ndarray, descending: bool = False) -> pd.Series:
    """`values` with each parent's held values sorted in row order (largest first where
    `descending`), missing ones left in place."""
    held = np.flatnonzero(values.notna().to_numpy())
    if not len(held):
        return values
    slots = held[np.lexsort((held, parents[held]))]  # each parent's rows, in row order
    numbers = pd.to_numeric(values.iloc[held]) if values.dtype == object else values.iloc[held]
    key = -numbers.to_numpy(dtype=float) if descending else numbers.to_numpy()
    ranked = held[np.lexsort((key, parents[held]))]  # ... in order of their value
    out = values.to_numpy().copy()
    out[slots] = values.to_numpy()[ranked]
    return pd.Series(out, index=values.index, dtype=values.dtype)

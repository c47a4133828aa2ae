"""Values a row shares with its cousins: every row under one row two or more levels up that holds
one label holds one value (a submission's due date, kind and maximum points: the same for every
student's submission of one course's assignment, stored on the submissions under the students'
enrolments, a property of the course and the assignment).

The model writes a row's value from its own ancestors and siblings, and a cousin's value lies in
another branch of the entity: an LMS database's generated submissions (small model, 30 epochs)
agreed on their course and assignment's due date in 0.6 % of the groups, on its kind in 65 %, on
its maximum points in 49 % (the source's all 100 %). The fit keeps, per column of a table nested
two levels down or more, the highest ancestor and the label column of the row (or none) such that
every group of rows under one ancestor row holding one label holds one value, in `MIN_GROUPS`
groups of rows under two parent rows or more, where values drawn by their shares among the label's
rows would have differed in `MIN_BREAKS` groups at least (a value that follows from the label
alone is not one of the group). A label is an exact column (a category, a number of exact values)
or a whole number held as its step from the previous sibling's (an assignment's number), never
itself such a value; a value another exact column of its row sets (a track's price, by its genre)
is left to that column.

Generation gives a later row of a group the token its first row took where the token is the value
(not an offset) and the label is written before it, so the row's later columns follow it (a score
drawn against the maximum it is out of); decoding sets every later row's value to the first row's
(a number drawn within its bin). A value held as an offset (a due date after the previous one) is
set once its offsets are decoded and before the columns reading it are (a submission near its due
date), from the group's first row whose value keeps the column's order with every row's base (a
due date on or after each cousin's own enrolment), and its later siblings keep their gaps from it.
A value held as its offset from another column of its row (a maximum score from the row's score)
is not shared: the offset was drawn for another value. Columns other rules set, move or sort row
by row (totals, formulas, labels of a number, parts of a date, dates kept within a span) are left
alone; not fitted under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import as_numbers
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc
from relsynth.synth.tabular.orderings import (
    Ordering,
    after_itself,
    base_values,
    bound_of,
    cap_values,
    from_offsets,
    order_kind,
)
from relsynth.synth.tabular.rules.columns import is_exact

log = logging.getLogger(__name__)
MIN_GROUPS = 20  # groups of rows under two parent rows or more holding the value, at least
MIN_BREAKS = 5.0  # groups that values drawn by their shares would have broken, at least
# rules (`TabularPreproc.fit`'s stats) that set their column from other values of its row after decoding,
# or move or sort it row by row: a value copied to a group would not stay the group's
SET_BY = ("category_gaps", "month_steps", "date_parts", "sign_labels", "range_labels", "interval_labels",
          "spelled_values", "last_labels", "sorted_siblings", "null_cuts", "ancestor_orders", "lookup_orders",
          "reference_sides", "sibling_spans", "parent_ends", "times_of_day", "inequalities", "sibling_numbers",
          "calendar_labels", "linear_pairs", "cut_labels", "extreme_labels",
          "parent_extremes", "place_values", "child_labels")  # fmt: skip


def find_shared_values(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "level", "label"}]: `table.column` holds one value in every group of
    rows under one row `level` levels up (2: the grandparent) holding one `label` (None: any)."""
    out = []
    for table, layout in pre.layouts.items():
        above = ancestor_row_codes(pre, data, table)
        if len(above) < 2:
            continue
        orders = pre.orderings.get(table, {})
        fields = {c: pre.slots[s].preproc for c, s in zip(layout.fields, layout.slots, strict=False)}
        fields = {c: p for c, p in fields.items() if c in data[table].columns and c != above[0][1]}
        exact = {c: _label_codes(p, data[table][c]) for c, p in fields.items() if is_exact(p) and c not in orders}
        ranks = {c: _rank_codes(data[table][c]) for c in fields if c in orders and _ranked(orders[c])}
        labels = {**exact, **{c: v for c, v in ranks.items() if v is not None}}
        values = {c: text_codes(data[table][c]) for c in fields}
        ruled: set[str] = set()  # a rule's column is no label, a label no rule's column
        used: set[str] = set()
        groups: dict[tuple[int, str | None], tuple[np.ndarray, np.ndarray]] = {}  # read once, not per column
        held_labels = {c: _grouped(codes) for c, codes in exact.items()}
        for col, preproc in fields.items():
            if (table, col) in skip or col in pre.given_columns(table) or col in used:
                continue
            if not _modelled(preproc, orders.get(col)) or _follows_other(held_labels, values[col], col):
                continue  # a value one of the row's labels sets is the model's to write from that label
            found = _shared_rule(above, {c: v for c, v in labels.items() if c not in ruled}, values, col, groups)
            if found is not None:
                level, label = found
                ruled.add(col)
                used |= {label} if label else set()
                where = f" holding one {label}" if label else ""
                log.info("%s.%s holds one value in the rows under each %s row%s: kept so", table, col, above[level - 1][0], where)  # fmt: skip
                out.append({"table": table, "column": col, "level": level, "label": label})
    return out


def set_columns(stats: Mapping[str, list]) -> set[tuple[str, str]]:
    """(table, column) that rules of `stats` (`SET_BY`) set, move or sort after decoding."""
    return {(r["table"], r["column"]) for key in SET_BY for r in stats.get(key, []) if "column" in r}


def text_codes(values: pd.Series) -> np.ndarray:
    """`pd.factorize(values.astype(str))`'s codes (a missing value is its text, "nan"), with each
    distinct value written as text once, not each row (a line item's 600k prices took 0.3 s each)."""
    if values.dtype != object and not _negative_zero(values):  # else equal values may be written apart
        codes, uniques = pd.factorize(values.reset_index(drop=True), use_na_sentinel=False)
        texts = pd.Series(uniques, dtype=values.dtype).astype(str)
        if texts.is_unique:  # distinct values written alike ("<NA>" as text and missing) are one code
            return codes
    return pd.factorize(values.astype(str).reset_index(drop=True))[0]


def _negative_zero(values: pd.Series) -> bool:
    """Whether a float column holds -0.0, equal to 0.0 but written apart."""
    if values.dtype.kind != "f":
        return False
    x = values.to_numpy()
    return bool(((x == 0) & np.signbit(x)).any())


def ancestor_row_codes(pre, data: RelationalData, table: str) -> list[tuple[str, str, np.ndarray]]:
    """(ancestor table, `table`'s parent key, per row of `table`: the code of its row there, -1
    missing) of each level up, its parent's first; up to a key of more than one column."""
    edge = pre.schema.parent(table)
    if edge is None or edge.fk not in data[table].columns:
        return []
    keys, out = data[table][edge.fk].reset_index(drop=True), []
    while True:
        out.append((edge.parent, pre.schema.parent(table).fk, pd.factorize(keys)[0]))
        pk, up, parent = pre.schema.tables[edge.parent].primary_key, pre.schema.parent(edge.parent), data[edge.parent]
        if up is None or not isinstance(pk, str) or pk not in parent.columns or up.fk not in parent.columns:
            return out
        keys = keys.map(parent.drop_duplicates(pk).set_index(pk)[up.fk])  # the row above the row named
        edge = up


def _label_codes(preproc, values: pd.Series) -> np.ndarray:
    """Each row's label as its token (local id), -1 where it names no one value (missing, `<rare>`)."""
    ids = preproc.encode(values.reset_index(drop=True))
    return np.where(_valid_label(preproc, ids), ids, -1)


def _ranked(o: Ordering) -> bool:
    """Whether a number held as an offset is a label all the same: one that follows its own previous
    sibling alone (an assignment's number, 1, 2, 3 under each enrolment), decoded from its own offsets."""
    return not o.dated and not o.timed and after_itself(o)


def _rank_codes(values: pd.Series) -> np.ndarray | None:
    """Each row's whole number as a code (-1: missing); None where a value is not whole."""
    x = to_numbers(values).to_numpy(dtype=np.float64, na_value=np.nan)
    held = ~np.isnan(x)
    if not held.any() or (x[held] != np.round(x[held])).any():
        return None
    codes = np.full(len(x), -1, dtype=np.int64)
    codes[held] = pd.factorize(x[held])[0]
    return codes


def _valid_label(preproc, ids: np.ndarray) -> np.ndarray:
    """Whether each local token id names one value: a category, or an exact number."""
    if isinstance(preproc, CategoricalPreproc):
        return ids >= 2
    return (ids >= 1) & (ids <= len(preproc.points))


def _modelled(preproc, order: Ordering | None) -> bool:
    """Whether a column's value can be shared as decoded: a category or number held as itself, or
    as an offset decoded in one pass from a row above or its own previous sibling, reading no other
    column of its row (a maximum score held as its offset from the row's score: the offset drawn for
    one score, the value copied for another, 40 % of them moved, the scores' shares of it skewed)."""
    if not isinstance(preproc, CategoricalPreproc | NumericPreproc):
        return False
    if order is None:
        return True
    own = [c for c, up in ((order.base, order.from_parent), (order.bound, order.bound_from_parent), (order.cap, order.cap_from_parent), (order.fallback, order.fallback_from_parent)) if c is not None and not up]  # fmt: skip
    return order.sibling_base is None and order.walk_key is None and all(c == order.column for c in own)


def _follows_other(labels: dict[str, tuple[np.ndarray, np.ndarray]], value: np.ndarray, col: str) -> bool:
    """Whether another exact column of the row sets `value` in every row holding one of its values
    (a track's price, 1.99 for the TV genres: each artist's tracks sharing one is that column's doing;
    `labels`: each column's `_grouped` codes)."""
    for other, (held, first) in labels.items():
        if other != col and len(first) and _constant_within(first, value[held]):
            return True
    return False


def _grouped(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the rows holding a code >= 0, per such row the first of them holding its code): taken once
    per label, not once per column checked against it (a wide table's columns times its labels
    times its levels are many checks: TPC-H sf 0.1's line items, 130 of 600k rows hashed)."""
    held = codes >= 0
    group = pd.factorize(codes[held])[0]  # numbered in order of first appearance
    before = np.maximum.accumulate(np.concatenate([[-1], group[:-1]])) if len(group) else group
    return held, np.flatnonzero(group > before)[group]  # a code's first row: above every earlier code


def _constant_within(first: np.ndarray, value: np.ndarray) -> bool:
    """Whether each group holds one value: every row (of `_grouped`'s) the value of its group's first row."""
    return bool((value == value[first]).all())


def _shared_rule(
    above: list[tuple[str, str, np.ndarray]],
    labels: dict[str, np.ndarray],
    values: dict[str, np.ndarray],
    col: str,
    groups: dict[tuple[int, str | None], tuple[np.ndarray, np.ndarray]],
) -> tuple[int, str | None] | None:
    """(levels up, label) of the highest ancestor under which `col` holds one value per label (no
    label first), or None. `groups`: each (level, label)'s `_grouped` pairs, filled as first
    needed and kept for the table's other columns."""
    parent = above[0][2]
    for level in range(len(above), 1, -1):
        for label in [None, *(c for c in labels if c != col)]:
            codes = np.zeros(len(parent), dtype=np.int64) if label is None else labels[label]
            if (level, label) not in groups:
                groups[level, label] = _grouped(_pairs_or_none(above[level - 1][2], codes))
            if _one_value(above[level - 1][2], parent, codes, values[col], groups[level, label]):
                return level, label
    return None


def _pairs_or_none(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One code per (a, b) pair of codes >= 0, -1 where either is missing."""
    held, out = (a >= 0) & (b >= 0), np.full(len(a), -1, dtype=np.int64)
    out[held] = _pairs(a[held], b[held])
    return out


def _one_value(
    ancestor: np.ndarray,
    parent: np.ndarray,
    label: np.ndarray,
    value: np.ndarray,
    grouped: tuple[np.ndarray, np.ndarray],
) -> bool:
    """Whether every group of rows of one (`ancestor`, `label`) holds one `value`, in `MIN_GROUPS`
    groups under two parent rows or more, which values drawn by their shares among the label's rows
    would have broken in `MIN_BREAKS` groups at least (`grouped`: the pairs' `_grouped` codes)."""
    held, first = grouped
    if len(first) < 2 * MIN_GROUPS:
        return False
    if not _constant_within(first, value[held]):  # most columns end here, cheaply
        return False
    frame = pd.DataFrame({"a": ancestor[held], "l": label[held], "p": parent[held], "v": value[held]})
    groups = frame.groupby(["a", "l"], sort=False).agg(
        n=("v", "size"), values=("v", "nunique"), parents=("p", "nunique")
    )
    if (groups["values"] > 1).any() or (groups["parents"] > 1).sum() < MIN_GROUPS:
        return False
    if frame.groupby(["a", "l"], sort=False)["v"].first().nunique() < 2:
        return False  # one value everywhere
    shares = frame.groupby("l")["v"].value_counts(normalize=True).rename("share").reset_index()
    many = groups.loc[groups["n"] > 1, ["n"]].reset_index()
    drawn = many.merge(shares, on="l")  # per group and value of its label: the chance all its rows hold it
    same = (drawn["share"] ** drawn["n"]).groupby([drawn["a"], drawn["l"]]).sum()
    return float((1.0 - same).sum()) >= MIN_BREAKS


def _pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One code per (a, b) pair of codes >= 0."""
    if not len(b):
        return np.zeros(0, dtype=np.int64)
    return pd.factorize(a.astype(np.int64) * (int(b.max()) + 1) + b)[0]


def shared_positions(pre, rules: list[dict]) -> dict[str, list[tuple[int, int, int, frozenset[int]]]]:
    """table -> [(header position of the column, levels up, of the label (-1: none), the label's
    tokens naming one value)] of the rules whose column's token is its value (no offset) and whose
    label is written before it: a row's token there is its group's first row's."""
    out: dict[str, list[tuple[int, int, int, frozenset[int]]]] = {}
    for r in rules:
        layout, col, orders = pre.layouts.get(r["table"]), r["column"], pre.orderings.get(r["table"], {})
        if layout is None or col not in layout.fields or col in orders or r["label"] in orders:
            continue  # an offset's token is no value: decoding alone sets it
        j, k, tokens = layout.fields.index(col), -1, frozenset()
        if r["label"] is not None:
            if r["label"] not in layout.fields or (k := layout.fields.index(r["label"])) > j:
                continue
            slot = pre.slots[layout.slots[k]]
            local = np.arange(slot.preproc.n_tokens)
            tokens = frozenset((slot.offset + local[_valid_label(slot.preproc, local)]).tolist())
        out.setdefault(r["table"], []).append((j, int(r["level"]), k, tokens))
    return out


def shared_groups(
    pre, rules: list[dict], table: str, mat: np.ndarray, cols: Mapping[str, pd.Series], parents: Mapping[str, list[int]]
) -> dict[str, np.ndarray]:
    """column -> each generated row of `table`'s group (-1: none) of its rule: its ancestor row and
    label (`mat`: the rows' tokens, `cols`: their decoded values, `parents`: each table's rows'
    parent rows)."""
    layout, out = pre.layouts[table], {}
    siblings = np.asarray(parents[table], dtype=np.int64)
    for r in (r for r in rules if r["table"] == table and r["column"] in layout.fields):
        above, t = np.arange(len(mat)), table
        for _ in range(int(r["level"])):
            above, t = np.asarray(parents[t], dtype=np.int64)[above], pre.schema.parent(t).parent
        label = np.zeros(len(mat), dtype=np.int64)
        if r["label"] is not None:
            if r["label"] not in layout.fields:
                continue
            label = _generated_label(pre, table, r["label"], mat, cols, siblings)
        held, group = (above >= 0) & (label >= 0), np.full(len(mat), -1, dtype=np.int64)
        group[held] = _pairs(above[held], label[held])
        out[r["column"]] = group
    return out


def _generated_label(
    pre, table: str, col: str, mat: np.ndarray, cols: Mapping[str, pd.Series], siblings: np.ndarray
) -> np.ndarray:
    """Each generated row's label: its token where that names one value, else (a number held as its
    step from the previous sibling's) its value decoded from its own offsets; -1 where none."""
    layout, order = pre.layouts[table], pre.orderings.get(table, {}).get(col)
    if order is None:
        slot = pre.slots[layout.slots[layout.fields.index(col)]]
        ids = mat[:, layout.fields.index(col)] - slot.offset
        return np.where(_valid_label(slot.preproc, ids), ids, -1)
    own = {col: cols[col]}  # a copy: the column itself is decoded with the others (`from_offsets`)
    from_offsets(own, {col: order}, None, siblings)
    codes = _rank_codes(own[col])
    return np.full(len(mat), -1, dtype=np.int64) if codes is None else codes


def keep_shared_values(groups: Mapping[str, np.ndarray], cols: dict[str, pd.Series], columns) -> None:
    """Set (in place) each of `columns`' value in every later row of a group to its first row's."""
    for col in columns:
        if col in groups and col in cols:
            cols[col] = cols[col].iloc[_first_of(groups[col])].reset_index(drop=True)


def sharing_offsets(
    groups: Mapping[str, np.ndarray],
    cols: dict[str, pd.Series],
    orders: Mapping[str, Ordering],
    parent: pd.DataFrame | None,
    siblings: np.ndarray,
) -> Callable[[str], None]:
    """What `orderings.from_offsets` calls once it decoded a column: a shared column held as an offset
    takes its group's first row's value where that keeps its order with its base, before the columns
    reading it are decoded; its later siblings keep their gaps from it (`after_sibling`)."""

    def share(col: str) -> None:
        if col not in groups or col not in cols or col not in orders:
            return
        o, rows = orders[col], np.arange(len(cols[col]))
        take = _first_kept(o, groups[col], cols, parent, siblings)
        take = np.where(
            _keeps_order(o, cols[col].iloc[take].reset_index(drop=True), cols, parent, siblings), take, rows
        )
        if not o.after_sibling:
            cols[col] = cols[col].iloc[take].reset_index(drop=True)
            return
        source, add = _sibling_shifts(as_numbers(cols[col], order_kind(o)), take, siblings)
        values = cols[col].iloc[source].reset_index(drop=True)
        if o.dated:
            cols[col] = values + pd.to_timedelta(np.round(add).astype(np.int64), unit="ns")
        elif not o.timed:
            cols[col] = (values.astype("float64") + add).astype(cols[col].dtype)
        else:  # times of day: copied, no gap kept
            cols[col] = cols[col].iloc[take].reset_index(drop=True)

    return share


def _sibling_shifts(old: np.ndarray, take: np.ndarray, siblings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's value as (a row, an amount added to its value), once a row copies row `take` (its
    own: none) and every other row keeps its gap from its previous sibling as finally set (none
    where either is missing): both come before it, so passes from the first row settle it (one per
    link of the longest chain of copies and gaps)."""
    rows = np.arange(len(old))
    previous = pd.Series(rows).groupby(siblings).shift(1).to_numpy(np.float64, na_value=-1).astype(np.int64)
    copied, p = take != rows, np.maximum(previous, 0)
    source, add = rows.copy(), np.zeros(len(old))
    for _ in range(len(old)):
        gap = np.nan_to_num(old[source[p]] + add[p] - old[p]) * (previous >= 0)
        settled = (np.where(copied, source[take], rows), np.where(copied, add[take], gap))
        if np.array_equal(settled[0], source) and np.array_equal(settled[1], add):
            break
        source, add = settled
    return source, add


def _first_kept(o: Ordering, group: np.ndarray, cols: Mapping[str, pd.Series], parent, siblings: np.ndarray) -> np.ndarray:  # fmt: skip
    """Each row's group's first row whose value keeps `o` in every row of the group (a due date on or
    after each cousin's own enrolment, the cousins' own dates being drawn after their own); the first
    row where none does (`_keeps_order` then refuses it where it breaks)."""
    x = o.sign * as_numbers(cols[o.column], order_kind(o))
    low, high = _sides(o, cols, parent, siblings)
    held = (group >= 0) & ~np.isnan(x)
    frame = pd.DataFrame({"g": group[held], "low": low[held], "high": high[held]})
    sides = frame.groupby("g").agg(low=("low", "max"), high=("high", "min"))  # NaN: no side
    g = group[held]
    with np.errstate(invalid="ignore"):
        fits = ~(x[held] < sides["low"].reindex(g).to_numpy()) & ~(x[held] > sides["high"].reindex(g).to_numpy())
    take = _first_of(group)
    first = pd.Series(np.flatnonzero(held)[fits]).groupby(g[fits]).min()
    at = np.flatnonzero(held)
    chosen = first.reindex(g).to_numpy(np.float64, na_value=np.nan)
    take[at] = np.where(np.isnan(chosen), take[at], chosen).astype(np.int64)
    return take


def _sides(o: Ordering, cols: Mapping[str, pd.Series], parent, siblings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Per row, the least and greatest value (times `o.sign`) `o` lets it hold: its base (a first
    sibling's only, where later ones follow the previous sibling), its bound and cap; NaN: none."""
    n = len(siblings)
    if o.near:
        return np.full(n, np.nan), np.full(n, np.nan)
    low = o.sign * base_values(o, cols, parent)
    if o.after_sibling:
        low[pd.Series(siblings).groupby(siblings).cumcount().to_numpy() > 0] = np.nan
    high = o.sign * cap_values(o, cols, parent, n)
    if o.bound is not None:
        high = np.fmin(high, o.sign * as_numbers(bound_of(o, cols, parent), order_kind(o)))
    return low, high


def _keeps_order(o: Ordering, values: pd.Series, cols: Mapping[str, pd.Series], parent, siblings: np.ndarray) -> np.ndarray:  # fmt: skip
    """Whether each row's `values` keep `o` with the row's base, bound and cap (`_sides`)."""
    x = o.sign * as_numbers(values, order_kind(o))
    low, high = _sides(o, cols, parent, siblings)
    with np.errstate(invalid="ignore"):
        return ~(x < low) & ~(x > high)


def _first_of(group: np.ndarray) -> np.ndarray:
    """Each row's group's first row (its own where it is in none)."""
    rows, held = np.arange(len(group)), group >= 0
    first = np.zeros(int(group.max()) + 1 if held.any() else 0, dtype=np.int64)
    uniq, at = np.unique(group[held], return_index=True)
    first[uniq] = rows[held][at]
    out = rows.copy()
    out[held] = first[group[held]]
    return out

"""Columns missing only in their parent's last row: the current subscription has no end, a stay
not discharged yet is the patient's latest, each earlier one ended.

The model writes a row's missing token from the row's own values and its earlier siblings, not
knowing that more siblings follow, so it ends some generated users with every subscription
closed and leaves others open before a later one (37 of 145 generated subscriptions were open
and followed by another: an open interval overlapping the next). The parent's child counts are
drawn before its children, so generation knows which row is the last of its parent: the fit
keeps, per table nested under a parent, each column with a `<missing>` token that is missing in
no row but the last of its parent (in the order the rows are encoded in: by the sibling key,
`TabularPreproc.sibling_keys`, else as stored), in `MIN_NULLS` rows at least and not by chance
(all of them on last rows would happen with independent nulls `CHANCE` of the time at most).
Generation bans `<missing>` at that column in every row that is not its parent's last, and
forces it in the last where every training parent's last row is missing (`always`). Where only
some are, a column of the parent row missing in just the same parents (`parent`: the current
salary row has no end where its employee has no termination date) decides it in the last row
too: forced where the generated parent's is missing, banned where it is not (the model, not
knowing a row is the last, left 255 of 433 active employees' current salary rows closed). Where
nothing of the parent row tells, the model decides the last row, but its `<missing>` probability
was learned over all rows, most of them not last, where it is never missing: banned there and
left as drawn in the last, it fell short (19 % of generated users' last subscription open for the
data's 51 %; 47 of 3,049 generated rentals open for 84 of 3,100, now 2.4-2.8 % of them, the
data's 2.7 %). Its probability in a last row is then scaled so that the last rows generated so
far average the data's share there (`share`, `_last_shares`): rows the model finds likelier to be
open stay likelier. Where
such a column is modelled between its base and that parent column as its bound (`orderings`) and
every last row holding the bound ends on it (a terminated employee's last salary row ends on the
termination date), generation writes it there in the last row (`at_bound`: that place, 1, has a
token of its own wherever `min_count` rows hold it, `NumericPreproc.fit`'s `keep`).

The other way round, a column held in no row but its parent's last (`held_last`: a stay's death
time, on the patient's last stay only) is forced `<missing>` in every other row: the model, not
knowing more stays follow, wrote death times on two stays of 11 of 300 generated patients. Not
fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import as_numbers
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows that are not their parent's last, at least
MIN_NULLS = 5  # missing values, all on last rows, at least
CHANCE = 0.001  # how likely independent nulls would all fall on last rows, at most


def find_last_nulls(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "always"[, "parent"]}]: `column` of `table` is missing in no row but its
    parent's last (in encoded order); `always`: in every parent's last row; `parent`: a column of
    the parent row missing in exactly the parents whose last row misses `column`."""
    out = []
    for table, layout in pre.layouts.items():
        edge = pre.schema.parent(table)
        if edge is None or edge.fk not in data[table].columns:
            continue
        last = last_rows(data[table], edge.fk, pre.sibling_keys.get(table))
        if (~last).sum() < MIN_ROWS:
            continue
        for col, slot in zip(layout.fields, layout.slots, strict=False):
            preproc = pre.slots[slot].preproc
            if not isinstance(preproc, (CategoricalPreproc, NumericPreproc)) or not preproc.has_missing:
                continue
            if col not in data[table].columns:
                continue
            if _only_last(data[table][col].notna().to_numpy(), last):
                log.info("%s.%s is held only in its %s row's last row: kept so", table, col, edge.parent)
                out.append({"table": table, "column": col, "always": False, "held_last": True})
                continue
            if not _only_last(data[table][col].isna().to_numpy(), last):
                continue
            always = bool(data[table][col][last].isna().all())
            rule = {"table": table, "column": col, "always": always}
            if not always and (with_parent := _same_nulls(pre, data, edge, data[table][last], col)) is not None:
                rule["parent"] = with_parent
                if _ends_on_bound(pre, data, edge, data[table][last], col, with_parent):
                    rule["at_bound"] = True
            elif not always:  # the model decides the last row: at the data's share (`_last_shares`)
                rule["share"] = round(float(data[table][col][last].isna().mean()), 6)
            log.info(
                "%s.%s is missing only in its %s row's last row%s: kept so",
                table,
                col,
                edge.parent,
                " and always there" if always else f", there where {edge.parent}.{rule.get('parent')} is missing",
            )
            out.append(rule)
    return out


def _same_nulls(pre, data: RelationalData, edge, last: pd.DataFrame, col: str) -> str | None:
    """The first column of the parent's layout that may be generated missing and is missing in
    exactly the parent rows whose last row (`last`) misses `col`, `MIN_NULLS` times at least
    either way (a termination date, missing where the current row has no end); None: none."""
    child = last[col].isna().to_numpy()
    if min(child.sum(), (~child).sum()) < MIN_NULLS:
        return None
    pk = pre.schema.tables[edge.parent].primary_key
    if pk is None:
        return None
    parents = data[edge.parent].set_index(pk)
    layout = pre.layouts[edge.parent]
    for p, slot in zip(layout.fields, layout.slots, strict=False):
        preproc = pre.slots[slot].preproc
        if p not in parents.columns or not isinstance(preproc, (CategoricalPreproc, NumericPreproc)):
            continue
        if preproc.has_missing and (parents[p].reindex(last[edge.fk]).isna().to_numpy() == child).all():
            return p
    return None


def last_rows(df: pd.DataFrame, fk: str, key: str | None) -> np.ndarray:
    """Whether each row is its parent's last in encoded order (`_assemble._sort_under_parents`: by
    the sibling `key` date, missing ones last, ties as stored; no key: as stored)."""
    order, same = sibling_order(df, fk, key)
    out = np.empty(len(df), dtype=bool)
    out[order] = np.r_[~same[1:], True]  # the next row in that order is another parent's
    return out & df[fk].notna().to_numpy()  # a row without a parent is no parent's last


def _only_last(missing: np.ndarray, last: np.ndarray) -> bool:
    """Missing (or held) in `MIN_NULLS` last rows at least and in no other row, where nulls placed at
    random would all have fallen on last rows `CHANCE` of the time at most."""
    k = int(missing.sum())
    if k < MIN_NULLS or missing[~last].any():
        return False
    return float(last.mean()) ** k <= CHANCE


def _ends_on_bound(pre, data: RelationalData, edge, last: pd.DataFrame, col: str, bound: str) -> bool:
    """Whether `col`, modelled between its base and its parent row's `bound` (`orderings`), equals
    the bound in every last row holding it, so that its place there, 1, is a token of its own."""
    o = pre.orderings.get(edge.child, {}).get(col)
    if o is None or o.loose or o.bound != bound or not o.bound_from_parent:
        return False
    slot = pre.slots[pre.layouts[edge.child].slots[pre.layouts[edge.child].fields.index(col)]]
    if not isinstance(slot.preproc, NumericPreproc) or 1.0 not in slot.preproc.points:
        return False
    parents = data[edge.parent].set_index(pre.schema.tables[edge.parent].primary_key)[bound]
    theirs = as_numbers(parents.reindex(last[edge.fk]).reset_index(drop=True), Column.DATETIME)
    mine = as_numbers(last[col].reset_index(drop=True), Column.DATETIME)
    held = ~np.isnan(theirs)
    return bool(held.sum() >= MIN_NULLS and (mine[held] == theirs[held]).all())


def last_null_positions(pre, rules: list[dict]) -> dict[str, list[tuple[int, int, bool, int, int, int, bool]]]:
    """table -> [(header position, `<missing>` token, always, the parent row's header position of
    `parent` and its `<missing>` token (-1, -1: none), the token of the place 1, on the bound, where
    the last row ends there (`at_bound`; -1: none), held only in the last row (`held_last`))] of its
    `find_last_nulls` columns (one with a `share`: `_last_shares`)."""
    out: dict[str, list[tuple[int, int, bool, int, int, int, bool]]] = {}
    for r in rules:
        layout = pre.layouts.get(r["table"])
        if layout is None or r["column"] not in layout.fields:
            continue
        j = layout.fields.index(r["column"])
        i, parent_missing = -1, -1
        edge = pre.schema.parent(r["table"])
        above = pre.layouts.get(edge.parent) if edge is not None else None
        if r.get("parent") and above is not None and r["parent"] in above.fields:
            i = above.fields.index(r["parent"])
            parent_missing = pre.slots[above.slots[i]].offset
        slot = pre.slots[layout.slots[j]]
        points = getattr(slot.preproc, "points", [])
        on_bound = slot.offset + 1 + points.index(1.0) if r.get("at_bound") and 1.0 in points else -1
        out.setdefault(r["table"], []).append(
            (j, slot.offset, bool(r["always"]), i, parent_missing, on_bound, bool(r.get("held_last")))
        )
    return out

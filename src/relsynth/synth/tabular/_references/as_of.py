"""References that name the row valid at their date: a fact naming the dimension's version valid
when it happened (an order's `customer_sk`, the customer's version with the latest `valid_from`
on or before the order's time: an as-of join over a slowly changing dimension).

Pairing draws each referenced row's count first and then keeps dates in order where it can, so a
reference kept among its customer's versions still named a version that had ended, or had not
begun, at the order's time: 318 of 998 generated orders (133 before, 185 after). The fit keeps,
for a reference kept under a scope row (`within`), the date of the referencing row and the date of
the referenced row such that every referencing row (20 at least, 20 of them with two rows or more
to choose among) names, of its scope row's referenced rows, the one with the latest date on or
before its own (`as_of`); generation names that row, or, before all of them, the earliest. Not
fitted under DP (references' pairings are not).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import ancestor_keys, as_numbers
from relsynth.relational.schema import Edge

MIN_ROWS = 20  # referencing rows, and of them rows with a choice, at least
DATED = (Column.DATE, Column.DATETIME)


def as_of(data: RelationalData, e: Edge, pos: np.ndarray, scope: dict, skip=frozenset()) -> list[str] | None:
    """[referencing date, referenced date] where every referencing row names the referenced row of
    its scope row with the latest date on or before its own (`pos`: each row's referenced row)."""
    schema, table = data.schema, e.child
    if scope.get("within") in (None, table) or e.parent == table:
        return None
    mine, theirs = _scopes(schema, data, e, scope)
    dates = {
        t: [c for c, k in schema.tables[t].columns.items() if k.kind in DATED and (t, c) not in skip]
        for t in (table, e.parent)
    }
    for c in dates[table]:
        for p in dates[e.parent]:
            picked, choice = _latest_before(
                mine,
                as_numbers(data[table][c], schema.tables[table].columns[c].kind),
                theirs,
                as_numbers(data[e.parent][p], schema.tables[e.parent].columns[p].kind),
            )
            held = pos >= 0
            if held.sum() < MIN_ROWS or (choice & held).sum() < MIN_ROWS:
                continue
            if (picked[held] == pos[held]).all():
                return [c, p]
    return None


def _scopes(schema, tables, e: Edge, scope: dict) -> tuple[pd.Series, pd.Series]:
    """Each referencing row's scope key and each referenced row's (`within`, or `within_via`)."""
    mine = ancestor_keys(schema, tables, e.child, scope["within"]).reset_index(drop=True)
    via = scope.get("within_via")
    theirs = tables[e.parent][via] if via else ancestor_keys(schema, tables, e.parent, scope["within"])
    return mine, theirs.reset_index(drop=True)


def _latest_before(
    mine: pd.Series, at: np.ndarray, theirs: pd.Series, since: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(each referencing row's referenced row, positions: of its scope key, the latest `since` on or
    before its `at`, else the earliest; -1: none), whether its scope key holds two rows or more."""
    left = pd.DataFrame({"k": mine.astype(str).to_numpy(), "t": at, "i": np.arange(len(at))})
    right = pd.DataFrame({"k": theirs.astype(str).to_numpy(), "t": since, "j": np.arange(len(since))})
    left, right = (
        left[left["t"].notna() & mine.notna().to_numpy()],
        right[right["t"].notna() & theirs.notna().to_numpy()],
    )
    out = np.full(len(at), -1, dtype=np.int64)
    if len(left) and len(right):
        ordered = right.sort_values("t")
        merged = pd.merge_asof(left.sort_values("t"), ordered, on="t", by="k", direction="backward")
        first = ordered.groupby("k")["j"].first()
        j = merged["j"].fillna(merged["k"].map(first)).fillna(-1).to_numpy(np.int64)
        out[merged["i"].to_numpy()] = j
    sizes = right.groupby("k").size()
    choice = mine.astype(str).map(sizes).fillna(0).to_numpy() >= 2
    return out, choice


def as_of_keys(schema, tables: dict[str, pd.DataFrame], keys: pd.Series, e: Edge, fitted: dict, drawn: pd.Series):
    """`drawn` (the reference's generated keys) with each named row replaced by the row of its scope
    row valid at the row's date (`as_of`); a row drawn null, or with no such row, keeps its draw."""
    c, p = fitted["as_of"]
    mine, theirs = _scopes(schema, tables, e, fitted)
    kinds = (schema.tables[e.child].columns[c].kind, schema.tables[e.parent].columns[p].kind)
    picked, _ = _latest_before(
        mine, as_numbers(tables[e.child][c], kinds[0]), theirs, as_numbers(tables[e.parent][p], kinds[1])
    )
    out = drawn.reindex(tables[e.child].index)  # by label, as the table takes it: positions are its rows'
    use = (picked >= 0) & out.notna().to_numpy()
    out.iloc[np.flatnonzero(use)] = keys.iloc[picked[use]].to_numpy()
    return out

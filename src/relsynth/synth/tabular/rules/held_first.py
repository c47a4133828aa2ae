"""A parent's rows stored with the rows holding a value first and the rows without it after: a
journal entry's debit lines before its credit lines (each line's debit held, or blank and its
credit held), an order's priced lines before its free ones.

The model writes each row from the rows before it and may write a debit line after a credit line:
32 of 200 generated journal entries of a ledger (small model, 6 epochs) had one, none of the data's
200. The fit keeps, per table nested under a parent and stored in no other order (no sibling key but a line number
counting its rows 1..n under each parent, `row_numbers`, in whose order its rows are then read; no
order within rows, no rule reading its rows' order: `ORDER_RULES`), with no table under it or
referencing it, the first column whose held rows come before its blank ones (missing, or 0 for a
number) under every parent row (`first`: "held"), or after them ("blank"), in `MIN_PARENTS` parent
rows holding both at least (rows in a random order would keep it by chance under (1/2)**MIN_PARENTS
of the time). Generation moves, within each generated parent row, the rows holding it before the
others (stably), the keys, line numbers and codes staying in their places, so the keys still rise
with the rows (the held rows taking the lowest line numbers).
Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular._assemble import sibling_order

log = logging.getLogger(__name__)
MIN_PARENTS = 20  # parent rows holding both held and blank rows, at least
# rules that read the order of a table's rows under their parent: such a table's rows never move
ORDER_RULES = (
    "running_sums",
    "sorted_siblings",
    "edge_labels",
    "last_nulls",
    "last_labels",
    "ordered_labels",
    "changed_rows",
    "carried_values",
    "sibling_spans",
)
NUMBERS = (Column.INTEGER, Column.NUMERIC)


def find_held_first(pre, data: RelationalData) -> list[dict]:
    """[{"table", "fk", "column", "first"}]: under each parent row, `table`'s rows holding `column`
    come before (`first` "held") or after ("blank") those without it, as stored."""
    schema = data.schema
    referenced = {e.parent for t in schema.synth_tables for e in schema.references(t)}
    read = {r["table"] for key in ORDER_RULES for r in pre.stats.get(key, []) if isinstance(r, dict) and "table" in r}
    out = []
    for table in schema.synth_tables:
        edge = schema.parent(table)
        if edge is None or schema.children(table) or table in referenced | read:
            continue
        number = (pre.stats.get("row_numbers") or {}).get(table, {}).get("column")
        if pre.sibling_keys.get(table) not in (None, number) or set(pre.orderings.get(table, {})) - {number}:
            continue
        frame = data[table][data[table][edge.fk].notna()]
        if len(frame) < 2 * MIN_PARENTS:  # too few rows for MIN_PARENTS parents holding both
            continue
        order, same = sibling_order(frame, edge.fk, number)  # a line number's order, else as stored
        group = np.cumsum(~same)
        kinds = schema.tables[table].columns
        for col in [c for c in pre.modelled_columns(table) if c != number]:
            first = _first(blank_rows(frame[col], kinds[col].kind in NUMBERS)[order], group)
            if first is not None:
                log.info("%s: rows %s %s first under each %s row: kept so", table, first, col, edge.parent)
                numbered = {"number": number} if number is not None else {}
                out.append({"table": table, "fk": edge.fk, "column": col, "first": first, **numbered})
                break  # one order per table: a second could contradict it
    return out


def blank_rows(values: pd.Series, number: bool) -> np.ndarray:
    """Whether each value is blank: missing, or 0 for a number."""
    blank = values.isna().to_numpy()
    if number:
        blank |= (to_numbers(values) == 0).fillna(False).to_numpy(dtype=bool)
    return blank


def _first(blank: np.ndarray, group: np.ndarray) -> str | None:
    """ "held" where every group (rows in order, numbered 1, 2 ... in runs) has its held rows before
    its blank ones, "blank" where after, in MIN_PARENTS groups holding both at least; else None."""
    b = blank.astype(np.int8)
    inside = group[1:] == group[:-1]
    step = (b[1:] - b[:-1])[inside]
    mixed = pd.Series(b).groupby(group).agg(["min", "max"])
    if ((mixed["min"] == 0) & (mixed["max"] == 1)).sum() < MIN_PARENTS:
        return None
    if not (step < 0).any():  # never from a blank row back to a held one
        return "held"
    if not (step > 0).any():
        return "blank"
    return None


def keep_held_first(rules: list[dict], out: dict[str, pd.DataFrame], schema, identifiers: dict, skip: set) -> None:
    """Move (in place) each parent's generated rows holding the rule's column before (or after) the
    others, stably; the primary key, the parent key and the codes stay in their places. Tables in
    `skip` (rows later sorted by a date their keys rise with) are left as they are."""
    for r in rules:
        table = r["table"]
        frame = out.get(table)
        if frame is None or len(frame) < 2 or table in skip:
            continue
        n = len(frame)
        group = pd.factorize(frame[r["fk"]])[0]
        blank = blank_rows(frame[r["column"]], schema.tables[table].columns[r["column"]].kind in NUMBERS)
        rank = np.where(group < 0, 0, blank if r["first"] == "held" else ~blank).astype(np.int8)
        at = np.arange(n)
        number = r.get("number")  # the rows' line numbers (1..n), which stay in their places: their order
        places = at if number is None else np.lexsort((at, frame[number].to_numpy(dtype=float, na_value=np.inf)))
        place = np.empty(n, dtype=np.int64)
        place[places] = at
        src = np.lexsort((place, rank, group))  # each group's rows, held first, else as they were
        dst = np.lexsort((place, group))  # each group's places, in order
        perm = np.empty(n, dtype=np.int64)
        perm[dst] = src
        if (perm == at).all():
            continue
        fixed = {schema.tables[table].primary_key, r["fk"], number, *identifiers.get(table, {})}
        for col in [c for c in frame.columns if c not in fixed]:
            moved = frame[col].iloc[perm]
            moved.index = frame.index
            frame[col] = moved

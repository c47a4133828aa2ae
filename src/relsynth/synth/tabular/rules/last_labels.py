"""Labels of a row that its last child row holds: an order's status is the type of its last event
(created, paid, shipped: `shipped`), a ticket's state its last update's.

The model writes the row's label before its children, and each child's label from the rows
before it, so the two drift apart: 8 of 143 orders of a briefly trained model had a status that
was not their last event's type. The fit keeps, per categorical column of a table with a primary
key, the first categorical column of one of its child tables that the row's last child (in the
encoded order: by the sibling key, `TabularPreproc.sibling_keys`, else as stored) holds in every
row with children, `MIN_ROWS` of them at least and two values at least; generation draws the
last child row with its parent's label (`last_label_forcing`: the parent's columns that follow the
label, drawn before the children, stay right), then sets the column, in every generated row with
children, to its last generated child's value (a row without any keeps its own), and clears,
in a row whose label that changed, the columns a null rule says the new label lacks: a delivery
date drawn for a `delivered` status whose last event was dropped where the date left it no room
(the status set to `in_transit` kept it in 46 of 300 shipments of a small model). A context column, given at generation, is never set: its last child row is
drawn with it. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.synth.tabular.rules.last_nulls import last_rows

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows with children the match is read from, at least


def find_last_labels(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "rows", "fk", "of"}]: `table.column` is, in every row with rows of
    `rows` under it (through their key `fk`), the value `of` of the last of them."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        pk = schema.tables[table].primary_key
        labels = _labels(pre, table, with_given=True)
        if pk is None or not labels:
            continue
        for rows in schema.children(table):
            fk, key = schema.parent(rows).fk, pre.sibling_keys.get(rows)
            last = data[rows][last_rows(data[rows], fk, key)].set_index(fk)
            held = data[table][pk].isin(last.index).to_numpy()
            if held.sum() < MIN_ROWS:
                continue
            parents = data[table][held]
            for col in labels:
                of = next((c for c in _labels(pre, rows) if _same(parents[col], last[c].reindex(parents[pk]))), None)
                if of is not None and col not in {r["column"] for r in out if r["table"] == table}:
                    log.info("%s.%s is the %s of its last %s row: kept so", table, col, of, rows)
                    out.append({"table": table, "column": col, "rows": rows, "fk": fk, "of": of})
    return out


def _labels(pre, table: str, with_given: bool = False) -> list[str]:
    """`table`'s modelled categorical columns, context columns (given at generation) only `with_given`."""
    given = set() if with_given else pre.given_columns(table)
    kinds = pre.schema.tables[table].columns
    return [c for c in pre.modelled_columns(table) if c not in given and kinds[c].kind is Column.CATEGORICAL]


def _same(a: pd.Series, b: pd.Series) -> bool:
    """Whether the two columns (row by row) hold the same values, two at least, none missing."""
    x, y = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
    if pd.isna(x).any() or pd.isna(y).any() or pd.Series(x).nunique() < 2:
        return False
    return bool((pd.Series(x).astype(str).to_numpy() == pd.Series(y).astype(str).to_numpy()).all())


def last_label_forcing(pre, rules: list[dict]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
    """child table -> [(the parent header position of `column`, the header position of `of`, (vocab,)
    the token of the same label after each parent token, -1: none)]: a parent's last child row is
    drawn with the parent's label, so the label the parent's other columns followed as drawn (a
    refund held by refunded orders) stays; `apply_last_labels` then changes nothing."""
    out: dict[str, list[tuple[int, int, np.ndarray]]] = {}
    for r in rules:
        above, layout = pre.layouts.get(r["table"]), pre.layouts.get(r["rows"])
        if above is None or layout is None or r["column"] not in above.fields or r["of"] not in layout.fields:
            continue
        i, j = above.fields.index(r["column"]), layout.fields.index(r["of"])
        out.setdefault(r["rows"], []).append((i, j, pre.same_label_tokens(above.slots[i], layout.slots[j])))
    return out


def apply_last_labels(rules: list[dict], tables: dict[str, pd.DataFrame], pre, given=None) -> None:
    """Set (in place) each rule's column of the generated rows with children to their last child's
    value (in generated order, by the sibling key where the table has one); `given`: table ->
    columns whose values were given (a context's), never set."""
    for r in rules:
        if r["column"] in (given or {}).get(r["table"], ()):
            continue
        frame, rows = tables[r["table"]], tables[r["rows"]]
        pk = pre.schema.tables[r["table"]].primary_key
        last = rows[last_rows(rows, r["fk"], pre.sibling_keys.get(r["rows"]))].set_index(r["fk"])[r["of"]]
        values = last.reindex(frame[pk]).to_numpy(dtype=object)
        held = ~pd.isna(values)
        if held.any():
            column = frame[r["column"]].astype(object)
            changed = held & (column.astype(str).to_numpy() != pd.Series(values, dtype=object).astype(str).to_numpy())
            column.iloc[np.flatnonzero(held)] = values[held]
            frame[r["column"]] = column.astype(frame[r["column"]].dtype)
            _clear_missing(pre.stats.get("null_rules", []), r, frame, changed)


def _clear_missing(null_rules: list[dict], rule: dict, frame: pd.DataFrame, changed: np.ndarray) -> None:
    """Clear (in place) the columns a null rule says the `changed` rows' new label lacks: a status
    set to its last event's `in_transit` keeps no delivery date drawn for the status the model wrote
    (its last event, `delivered`, dropped where its shipment's date left it no room)."""
    for n in null_rules:
        if n["table"] != rule["table"] or n["of"] != rule["column"] or n["column"] not in frame.columns:
            continue
        lacks = changed & frame[rule["column"]].astype(str).isin([str(v) for v in n["missing"]]).to_numpy()
        if lacks.any():
            column = frame[n["column"]].copy()
            column.iloc[np.flatnonzero(lacks)] = None
            frame[n["column"]] = column

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

A label may also follow from its last child's by a fixed map rather than be it (a shipment's status
`in_transit` while its last event is `picked_up`, `in_transit` or `out_for_delivery`; `delivered`,
`exception` or `returned` as its last event): the child label whose every value, MIN_PER_VALUE rows
at least each, is followed by one parent label in every row, where values drawn apart would agree
so with a chance below CHANCE (`_label_map`, `"map"`), unless a label of its row set so decides it
(an order's closed flag, its status's: a dependency keeps it). The column is set to the mapped value of its
last generated child's (one no training row held leaves the row's own), and the last child row is
drawn with the one label mapped to its parent's, where only one is: 37 % of a small model's
delivered shipments held no `delivered` event, as the status and delivery date had been drawn
before the events.

Where every row without a child row holds one label (a ticket with no status change, `open`: the
state its changes start from), MIN_PER_VALUE rows at least and beyond chance (`_empty_label`), the
rule keeps it (`"empty"`), and a generated row left without children is set to it, the columns a null
rule says it lacks cleared: a row without children keeps no label its changes would have set, and
6 to 47 % of a small model's tickets without changes were pending, solved or closed.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.synth.tabular.rules.last_nulls import last_rows

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows with children the match is read from, at least
MIN_PER_VALUE = 5  # rows holding each value of the last child's label that a map reads
CHANCE = 1e-6  # a map agreeing with every row more likely than this for labels drawn apart is none


def find_last_labels(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "rows", "fk", "of"[, "map"]}]: `table.column` is, in every row with rows of
    `rows` under it (through their key `fk`), the value `of` of the last of them (mapped by `map`:
    {child label: parent label}, where the labels are not the same)."""
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
                if col in {r["column"] for r in out if r["table"] == table}:
                    continue
                of = next((c for c in _labels(pre, rows) if _same(parents[col], last[c].reindex(parents[pk]))), None)
                if of is not None:
                    log.info("%s.%s is the %s of its last %s row: kept so", table, col, of, rows)
                    empty = _empty_label(data[table][col], held)
                    out.append(
                        {"table": table, "column": col, "rows": rows, "fk": fk, "of": of}
                        | ({} if empty is None else {"empty": empty})
                    )
                    continue
                if any(_decides(parents[r["column"]], parents[col]) for r in out if r["table"] == table):
                    continue  # a flag its row's status decides follows it (a dependency), not the events
                for c in _labels(pre, rows):
                    if (mapped := _label_map(parents[col], last[c].reindex(parents[pk]))) is not None:
                        log.info("%s.%s follows from the %s of its last %s row by %s: kept so", table, col, c, rows, mapped)  # fmt: skip
                        out.append({"table": table, "column": col, "rows": rows, "fk": fk, "of": c, "map": mapped})
                        break
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


def _label_map(parent: pd.Series, last: pd.Series) -> dict[str, str] | None:
    """{last child's label: parent's label} where each value of `last` (MIN_PER_VALUE rows at least)
    comes with one value of `parent` in every row, two at least, none missing, and labels drawn
    apart would agree so with a chance below CHANCE (the product over the child's values of the
    chance that all its rows draw one parent label); else None."""
    x, y = parent.astype(object), last.astype(object)
    if x.isna().any() or y.isna().any() or x.nunique() < 2:
        return None
    x, y = x.astype(str).to_numpy(), y.astype(str).to_numpy()
    pairs = pd.DataFrame({"x": x, "y": y})
    per_value = pairs.groupby("y")["x"].agg(["nunique", "first", "size"])
    if (per_value["nunique"] > 1).any() or (per_value["size"] < MIN_PER_VALUE).any():
        return None
    shares = pairs["x"].value_counts(normalize=True).to_numpy()
    log_chance = sum(np.log(np.sum(shares ** float(n))) for n in per_value["size"])
    if log_chance >= np.log(CHANCE):
        return None
    return {str(k): str(v) for k, v in per_value["first"].items()}


def _empty_label(labels: pd.Series, with_rows: np.ndarray) -> str | None:
    """The label (as text) every row without child rows holds (`with_rows` False), MIN_PER_VALUE rows
    at least, where labels drawn at their shares would all be it with a chance below CHANCE; else None."""
    texts = labels.astype(object).where(labels.notna()).astype(str).where(labels.notna())
    empty = texts[~with_rows]
    if len(empty) < MIN_PER_VALUE or empty.isna().any() or empty.nunique() != 1:
        return None
    share = float((texts == empty.iloc[0]).mean())
    return str(empty.iloc[0]) if len(empty) * np.log(share) < np.log(CHANCE) else None


def _decides(label: pd.Series, other: pd.Series) -> bool:
    """Whether each value of `label` comes with one value of `other` in every row (missing ones too)."""
    pairs = pd.DataFrame({"a": label.astype(object).astype(str), "b": other.astype(object).astype(str)})
    return bool((pairs.groupby("a")["b"].nunique() <= 1).all())


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
        tokens = _mapped_tokens(pre, above.slots[i], layout.slots[j], r["map"]) if "map" in r else None
        out.setdefault(r["rows"], []).append((i, j, pre.same_label_tokens(above.slots[i], layout.slots[j]) if tokens is None else tokens))  # fmt: skip
    return out


def _mapped_tokens(pre, source: int, target: int, mapped: dict[str, str]) -> np.ndarray:
    """(vocab,): for each token of slot `source`'s labels, the token of the one label of slot
    `target` that `mapped` takes to it, -1 where none or several do (`in_transit`, after three)."""
    ids = pre.slots[target].category_tokens()
    token = np.full(pre.vocab_size, -1, dtype=np.int64)
    for label, t in pre.slots[source].category_tokens().items():
        onto = [c for c, p in mapped.items() if p == label]
        if len(onto) == 1:
            token[t] = ids.get(onto[0], -1)
    return token


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
        if "map" in r:  # a label no training row's last child held, or a rare one, leaves the row's own
            texts = pre.category_texts(r["table"], r["column"])
            values = np.array([texts.get(r["map"].get(str(v))) if not pd.isna(v) else None for v in values], dtype=object)  # fmt: skip
        held = ~pd.isna(values)
        if held.any():
            _set_rows(r, frame, held, values, pre)
        if (empty := pre.category_texts(r["table"], r["column"]).get(r.get("empty"))) is not None:
            # the one label every training row without children holds: a ticket with no status change is `open`
            childless = ~frame[pk].isin(rows[r["fk"]]).to_numpy()
            _set_rows(r, frame, childless, np.full(len(frame), empty, dtype=object), pre)


def _set_rows(rule: dict, frame: pd.DataFrame, at: np.ndarray, values: np.ndarray, pre) -> None:
    """Set (in place) the rule's column of the rows `at` to their `values` (one a row of `frame`), the
    columns a null rule says it lacks cleared where it changed."""
    column = frame[rule["column"]].astype(object)
    changed = at & (column.astype(str).to_numpy() != pd.Series(values, dtype=object).astype(str).to_numpy())
    column.iloc[np.flatnonzero(at)] = values[at]
    frame[rule["column"]] = column.astype(frame[rule["column"]].dtype)
    _clear_missing(pre.stats.get("null_rules", []), rule, frame, changed)


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

"""A label held once at most under a row above the parent, and by every such row of some labels of
its own: a sold listing's one accepted offer, its offers nested under its viewings.

`once_labels` keeps a label once under the parent row; under a viewing an offer is alone, so
nothing kept a listing's offers from holding two accepted ones or none: a small model left 251 of
411 generated sold listings without an accepted offer and gave 48 two or more (every sold listing
holds one in the data, no other listing any). The fit keeps, per categorical column of a table
nested two levels down or more and per frequent value, the highest row above the parent under
which no row repeats the value, where chance would have repeated it `MIN_REPEATS` times in rows of
different parents (`_sibling_pairs`), and the labels of that row's categorical column that decide
whether it holds the value at all (`_unique_labels.split_by_labels`), if any; only where the
column's commonest other value repeats under such a row (a marker among values that repeat, not
one of labels all kept apart). Decoding, once every table is written, leaves the value in one row
under each such row (the last, where the data's is the last in `LAST_SHARE` of them), writes it
into the last row under a row of those labels that holds it nowhere, and takes it from the rows
under any other row, the column's commonest other value written instead. A row of those labels
with no rows under it stays without (a sold listing whose viewings drew no offer). Not under DP
(not fitted).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Edge, RelationalData
from relsynth.relational.orders import ancestor_keys
from relsynth.synth.tabular.encoders import plain_scalar, plain_texts
from relsynth.synth.tabular.rules.columns import categoricals, value_codes
from relsynth.synth.tabular.rules.unique_labels import MIN_REPEATS, MIN_ROWS, split_by_labels

log = logging.getLogger(__name__)
LAST_SHARE = 0.9  # the rows above whose one such value is their last row's, at least, to write it there


def find_ancestor_once_labels(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "value", "other", "ancestor", "last", "exactly_by": [column, labels] or
    None}]: `table.column` holds `value` once at most under an `ancestor` row (above the parent)."""
    out = []
    for table in pre.layouts:
        edge = pre.schema.parent(table)
        if edge is None or pre.schema.parent(edge.parent) is None:
            continue
        above: dict[str, tuple] = {}  # each row above's rows, once a table, not once a value (`_under`)
        for col, preproc in categoricals(pre, data, table):
            label = data[table][col].reset_index(drop=True)
            text = plain_texts(label)
            counts = text.value_counts()
            for value in (str(c) for c in preproc.categories):
                if value not in counts or len(counts) < 2:
                    continue
                rule = _highest_once(pre, data, table, edge, text, value, above)
                other = str(counts.drop(value).index[0])
                # a marker among values that repeat (accepted among refused offers), not one of labels all kept
                # apart (a seat in its flight, `ancestor_unique_labels`), which the other written instead would repeat
                if rule is not None and _repeated(_under(pre, data, table, rule["ancestor"], above)[0], text, other):
                    rule |= {"table": table, "column": col, "value": value, "other": other}
                    log.info(
                        "%s.%s holds %s once at most under one %s row: kept so", table, col, value, rule["ancestor"]
                    )
                    out.append(rule)
    return out


def _highest_once(pre, data, table: str, edge: Edge, text: pd.Series, value: str, above: dict) -> dict | None:
    """{"ancestor", "last", "exactly_by"} of the highest row above `edge.parent` under which `value`
    is never repeated, where chance would have repeated it in rows of different parents; None where
    none is (`above`: `_under`'s)."""
    best = None
    marked = (text == value).to_numpy()
    share = float(marked.mean())
    up = pre.schema.parent(edge.parent)
    while up is not None:
        keys, held, k, p, sizes = _under(pre, data, table, up.parent, above)
        most = np.bincount(p, weights=marked[held].astype(np.float64), minlength=len(k))
        pairs = float((sizes * (sizes - 1) / 2).sum()) - _sibling_pairs(data[table][edge.fk], held)
        if held.sum() < MIN_ROWS or most.max(initial=0) > 1 or pairs * share**2 < MIN_REPEATS:
            break
        by = split_by_labels(pre, data, up.parent, keys, text, [value]).get(value)
        best = {"ancestor": up.parent, "last": _last_share(marked[held], p) >= LAST_SHARE, "exactly_by": by}
        up = pre.schema.parent(up.parent)
    return best


def _under(pre, data, table: str, ancestor: str, above: dict) -> tuple:
    """(each row of `table`'s key of its `ancestor` row, whether it has one, those keys' distinct
    values, each held row's among them, their rows): read once per table and ancestor, kept in
    `above` for its columns and values (TPC-H sf 0.1: 600k line items' customers mapped and sorted
    again for each of 14 labels)."""
    if ancestor not in above:
        keys = ancestor_keys(pre.schema, data, table, ancestor)
        held = keys.notna().to_numpy()
        k, p = np.unique(keys[held].to_numpy(), return_inverse=True)
        above[ancestor] = (keys, held, k, p, np.bincount(p).astype(np.float64))
    return above[ancestor]


def _sibling_pairs(parent_keys: pd.Series, held: np.ndarray) -> float:
    """The pairs of `held` rows under one parent row: a value never repeated under the row above
    never is under its parent either, which the parent's own rules keep (a release's tag, once a
    repo), so those pairs are no chance of a repeat the row above alone would explain. Counted
    in, a tag 27 of 319 releases held, never twice under one user, was kept once a user (5.6
    repeats by chance, 2.4 of them in rows of different repos), and decoding wrote the commonest
    other tag over its repeats: a repo's releases v0.3.0, v0.2.1, v0.3.0."""
    sizes = parent_keys.reset_index(drop=True)[held].value_counts().to_numpy(dtype=np.float64)
    return float((sizes * (sizes - 1) / 2).sum())


def _repeated(keys: pd.Series, text: pd.Series, value: str) -> bool:
    """Whether some row above (`keys`: each row's `ancestor_keys`) holds `value` twice among its rows."""
    return bool(keys[(text == value).to_numpy()].duplicated().any())


def _last_share(marked: np.ndarray, groups: np.ndarray) -> float:
    """Of the rows above holding the value (`marked` rows, each above row's `groups` code), the
    share whose last row in order holds it."""
    if not marked.any():
        return 0.0
    last = np.zeros(groups.max() + 1, dtype=np.int64)
    last[groups] = np.arange(len(groups))  # fancy assignment keeps the last position of each group
    rows = np.flatnonzero(marked)
    return float((last[groups[rows]] == rows).mean())


def apply_ancestor_once_labels(pre, rules: list[dict], out: dict[str, pd.DataFrame]) -> None:
    """Keep (in place) each rule's value once under each of its rows above (`find_ancestor_once_labels`)."""
    for rule in rules:
        table, col, ancestor = rule["table"], rule["column"], rule["ancestor"]
        if table not in out or col not in out[table] or ancestor not in out or not len(out[table]):
            continue
        value, other = _category(pre, table, col, rule["value"]), _category(pre, table, col, rule["other"])
        keys = ancestor_keys(pre.schema, out, table, ancestor)
        frame = out[table]
        text = frame[col].map(plain_scalar).astype(str).where(frame[col].notna()).to_numpy()
        groups, _ = value_codes(keys)
        want = _wanted(pre, rule, out, keys)  # 1: once, 0: never, -1: at most once
        labels = frame[col].to_numpy(dtype=object).copy()
        for g in np.unique(groups[groups >= 0]):
            rows = np.flatnonzero(groups == g)
            held = rows[text[rows] == rule["value"]]
            keep = held[-1:] if rule["last"] else held[:1]
            if want[rows[0]] == 0:
                keep = keep[:0]
            labels[np.setdiff1d(held, keep)] = other
            if want[rows[0]] == 1 and not len(held):
                labels[rows[-1] if rule["last"] else rows[0]] = value
        frame[col] = pd.Series(labels, index=frame.index).astype(frame[col].dtype)


def _category(pre, table: str, col: str, text: str):
    """The category of `table.col` written `text` (a flag's True for 'True')."""
    slot = pre.slots[pre.layouts[table].slots[pre.layouts[table].fields.index(col)]]
    return next((c for c in slot.preproc.categories if str(plain_scalar(c)) == text), text)


def _wanted(pre, rule: dict, out: dict[str, pd.DataFrame], keys: pd.Series) -> np.ndarray:
    """Per row, whether its row above must hold the value once (1), never (0), or at most once (-1)."""
    if not rule.get("exactly_by"):
        return np.full(len(keys), -1)
    by, labels = rule["exactly_by"]
    pk = pre.schema.tables[rule["ancestor"]].primary_key
    above = out[rule["ancestor"]].drop_duplicates(pk).set_index(pk)[by].reindex(keys.to_numpy())
    text = above.map(plain_scalar, na_action="ignore").astype(str).to_numpy()
    return np.where(np.isin(text, labels), 1, 0)

"""Rows that always change something from the row before them: a customer's versions (a slowly
changing dimension, type 2), each a new address or segment; a record's revisions, each a new state.

The model writes each row's labels from the rows before it, but nothing tells it that a row
repeating every label of the previous one is never seen: a small model gave 23 of 536 generated
versions of a customer the city and segment of the version before (the source: none of 552).
The fit keeps, per table nested under a parent, the fewest categorical columns that no row holds
all the same as its previous sibling (in the encoded order: by the sibling key, else as stored),
in `MIN_PAIRS` pairs of siblings at least and not by chance: pairs agreeing on each column as
often as the data's do, each on its own, would have repeated them all in one pair at least but
`CHANCE` of the time; a single column that never repeats (a chess move's colour, w after b after w) is
judged against its labels drawn at random by their shares, as the pairs' own agreement is then none.
Generation masks, at the last of those columns, the previous sibling's
token where the row's earlier ones all repeat the previous sibling's (`_Cursor.previous_sibling`),
unless that leaves nothing. Not fitted under DP.

A parent's last row takes the parent's label where the parent's label is its last child's
(`last_labels`: a user's plan, its current subscription's), and that forced label overrode the
mask: a user whose plan alternates free and premium from one subscription to the next got the
plan of the subscription before its current one in 20 of 81 generated pairs (none in the data).
For a one-column rule whose column the last row takes so, generation also bans, at that column,
the labels from which the rows left could not change label at every row and still end on the
parent's (`unreachable_labels`: of two labels, the one of the wrong parity; of more, only the
parent's own in the row before the last).
"""

from __future__ import annotations

import logging

import numpy as np

from relsynth.relational import RelationalData
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.rules.columns import nested_categories

log = logging.getLogger(__name__)
MIN_PAIRS = 20  # pairs of consecutive siblings, at least
CHANCE = 0.001  # how likely pairs agreeing column by column would have all agreed in none, at most


def find_changed_rows(pre, data: RelationalData) -> list[dict]:
    """[{"table", "columns"}]: the fewest categorical columns of a nested table of which every
    row changes one at least from its previous sibling (none where a row repeats them all)."""
    tables: dict[str, dict[str, np.ndarray]] = {}
    chances: dict[str, dict[str, float]] = {}
    same: dict[str, np.ndarray] = {}
    for table, edge, col, preproc in nested_categories(pre, data):
        frame = data[table]
        if len(frame) < MIN_PAIRS:
            continue
        if table not in same:
            order, follows = sibling_order(frame, edge.fk, pre.sibling_keys.get(table))
            same[table] = order[follows]  # rows that follow a sibling, in encoded order
            tables[table] = {"_previous": order[np.flatnonzero(follows) - 1]}
        tokens = preproc.encode(frame[col])  # as generation compares them: two rare values are one token
        row, previous = tokens[same[table]], tokens[tables[table]["_previous"]]
        tables[table][col] = row == previous
        chances.setdefault(table, {})[col] = _chance_agreement(row, previous)
    out = []
    for table, equal in tables.items():
        equal.pop("_previous")
        if (columns := _fewest_changed(equal, chances[table])) is not None:
            log.info("%s rows always change one of %s from their previous sibling: kept so", table, columns)
            out.append({"table": table, "columns": columns})
    return out


def _chance_agreement(row: np.ndarray, previous: np.ndarray) -> float:
    """How often a row's token would equal its previous sibling's, each drawn by its side's shares."""
    n = len(row)
    if not n:
        return 1.0  # no pairs: nothing is told apart from chance
    values, inverse = np.unique(np.concatenate([row, previous]), return_inverse=True)
    rows, previous_rows = (np.bincount(side, minlength=len(values)) for side in (inverse[:n], inverse[n:]))
    return float(rows @ previous_rows) / (n * n)


def _fewest_changed(equal: dict[str, np.ndarray], chance: dict[str, float]) -> list[str] | None:
    """The fewest columns (dropping, one by one, those that change most often while the rest still
    change in every pair) none of whose pairs (`equal`: column -> whether each pair agrees) agrees
    on all, where agreeing each as often but independently would have; None where there are none.
    One column left never agrees in any pair: its agreement by chance is its labels' (`chance`)."""
    if not equal or len(next(iter(equal.values()))) < MIN_PAIRS:
        return None
    if np.logical_and.reduce(list(equal.values())).any():
        return None  # a row repeats its previous sibling's every label
    kept = list(equal)
    for col in sorted(equal, key=lambda c: float(equal[c].mean())):  # the most changing first
        rest = [c for c in kept if c != col]
        if rest and not np.logical_and.reduce([equal[c] for c in rest]).any():
            kept = rest
    n = len(equal[kept[0]])
    agree = float(np.prod([equal[c].mean() for c in kept]))  # a pair agreeing on all, by chance
    if len(kept) == 1:  # never agreeing: its own agreement says nothing of chance, its labels' shares do
        agree = chance[kept[0]]
    if (1.0 - agree) ** n > CHANCE:
        return None
    return kept


def changed_row_positions(pre, rules: list[dict]) -> dict[str, tuple[list[int], int]]:
    """table -> (header positions of the rule's columns but the last, the last's position)."""
    out: dict[str, tuple[list[int], int]] = {}
    for r in rules:
        layout = pre.layouts.get(r["table"])
        if layout is None or not all(c in layout.fields for c in r["columns"]):
            continue
        positions = sorted(layout.fields.index(c) for c in r["columns"])
        out[r["table"]] = (positions[:-1], positions[-1])
    return out


def repeated_token(rule: tuple[list[int], int], header: np.ndarray, previous: list[int] | None) -> int | None:
    """The token the row may not take at the rule's last column: its previous sibling's, where the
    row's other columns of the rule all repeat the previous sibling's (None: no ban)."""
    earlier, last = rule
    if previous is None or any(header[j] != previous[j] for j in earlier):
        return None
    return int(previous[last])


def changed_ahead(
    pre, rules: list[dict], forcing: dict[str, list]
) -> dict[str, list[tuple[int, np.ndarray, np.ndarray]]]:
    """table -> [(the parent header position whose label the last row takes, (vocab,) the token forced
    after each parent token, -1: none, the column's label tokens)] for each one-column rule whose column
    a parent's last row takes from its parent (`forcing`: `last_labels.last_label_forcing`)."""
    out: dict[str, list[tuple[int, np.ndarray, np.ndarray]]] = {}
    for table, (earlier, last) in changed_row_positions(pre, rules).items():
        if earlier:
            continue
        labels = np.array(list(pre.slots[pre.layouts[table].slots[last]].category_tokens().values()), dtype=np.int64)
        out[table] = [(i, token, labels) for i, j, token in forcing.get(table, ()) if j == last]
    return {t: found for t, found in out.items() if found}


def ahead_bans(ahead: list[tuple[int, np.ndarray, np.ndarray]], parent: list[int], rows_left: int) -> list[int]:
    """The tokens a row with `rows_left` rows of its table left (itself included) may not take at the
    rule's column, its parent row's header `parent`: those from which the last row's forced label
    cannot be reached changing label at every row."""
    banned: list[int] = []
    for i, token, labels in ahead:
        if rows_left >= 2 and i < len(parent) and (target := int(token[parent[i]])) >= 0:
            banned += unreachable_labels(labels, target, rows_left - 1).tolist()
    return banned


def unreachable_labels(labels: np.ndarray, target: int, steps: int) -> np.ndarray:
    """The tokens of `labels` from which no `steps` changes of label, each to another of `labels`,
    end on `target`: of two labels, by parity; of more, `target` itself one step before."""
    if target not in labels or steps < 1:
        return np.empty(0, dtype=np.int64)
    if len(labels) == 2:
        return labels[labels == target] if steps % 2 else labels[labels != target]
    return labels[labels == target] if steps == 1 else np.empty(0, dtype=np.int64)

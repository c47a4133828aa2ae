"""A label of a row that its previous sibling holds at another column: a leg's origin depot, the
previous leg's destination; a transfer's source account, the previous transfer's target.

The model writes each row from the rows before it, but nothing holds a chain the data never
breaks: a small model started 3 to 4 % of a shipment's later legs at another depot than the one
the leg before ended at. The fit keeps, per table nested under a parent, a categorical column
(set by no other rule, not a context column) equal to another categorical column of its previous
sibling (in the encoded order: by the sibling key, else as stored) in every pair of consecutive
siblings holding both, `MIN_PAIRS` pairs at least, where labels drawn at random (each column's
shares) would have matched in every pair less than once in `10**CHANCE`; of several, the first in
header order. Generation masks every other token of the column's slot in a row with a previous
sibling, where that sibling's label is one of the column's categories (a `<rare>` or missing one
bans nothing). Not fitted under DP.

The chain carries a label into the next row, whose place may rule it out there (`edge_labels`: a
ticket's `from solved` held by its last change only): drawn two rows or more before the last, a
change `to solved` forced the next row to a label its place bans, and one of the two masks gave
way, breaking the chain in 10 to 11 % of a trained model's steps. Generation bans, at the column
the chain reads (`of`) of a row with a next sibling, the labels whose chained label that sibling's
place bans (`chained_ahead_bans`); it yields to every mask on the position itself.
"""

from __future__ import annotations

import logging

import numpy as np

from relsynth.relational import RelationalData
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.encoders import CategoricalPreproc, label_texts
from relsynth.synth.tabular.rules.edge_labels import banned_at

log = logging.getLogger(__name__)
MIN_PAIRS = 20  # pairs of consecutive siblings holding both labels, at least
CHANCE = 9  # labels at random matching in every pair at most once in 10**CHANCE


def find_chained_labels(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of"}]: `table.column` is, in every row with a previous sibling, that
    sibling's `of`; not the `skip` columns other rules set."""
    out = []
    for table, layout in pre.layouts.items():
        edge, frame = pre.schema.parent(table), data[table]
        if edge is None or edge.fk not in frame.columns or len(frame) <= MIN_PAIRS:  # an empty table too
            continue
        order, follows = sibling_order(frame, edge.fk, pre.sibling_keys.get(table))
        now, before = order[follows], order[np.flatnonzero(follows) - 1]
        if len(now) < MIN_PAIRS:
            continue
        given = pre.given_columns(table)
        labels = {
            c: label_texts(frame[c])
            for c, s in zip(layout.fields, layout.slots, strict=False)
            if isinstance(pre.slots[s].preproc, CategoricalPreproc) and c in frame.columns
        }
        for column in (c for c in labels if (table, c) not in skip and c not in given):
            of = next((b for b in labels if b != column and _chained(labels[column], labels[b], now, before)), None)
            if of is not None:
                log.info("%s.%s is its previous sibling's %s in every row: kept so", table, column, of)
                out.append({"table": table, "column": column, "of": of})
    return out


def chained_positions(pre, rules: list[dict]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
    """table -> [(header position of the column, of the previous sibling's label it takes, (vocab,)
    the column's token for each token of that label, -1: none)]."""
    out: dict[str, list[tuple[int, int, np.ndarray]]] = {}
    for r in rules:
        layout = pre.layouts.get(r["table"])
        if layout is None or not {r["column"], r["of"]} <= set(layout.fields):
            continue
        i, j = layout.fields.index(r["column"]), layout.fields.index(r["of"])
        out.setdefault(r["table"], []).append((i, j, pre.same_label_tokens(layout.slots[j], layout.slots[i])))
    return out


def chained_token(rules: list[tuple[int, int, np.ndarray]], position: int, previous: list[int] | None) -> int | None:
    """The token a row must take at header `position`: its previous sibling's label of the rule
    (None: any, or no previous sibling)."""
    if previous is None:
        return None
    for column, of, token in rules:
        if column == position and 0 <= previous[of] < len(token) and token[previous[of]] >= 0:
            return int(token[previous[of]])
    return None


def chained_ahead_bans(
    rules: list[tuple[int, int, np.ndarray]], edges: dict[int, dict[str, np.ndarray]], position: int, rows_left: int
) -> np.ndarray:
    """The tokens a row may not take at header `position`, a rule's `of`, with `rows_left` rows of
    its table left under its parent row (itself included): those whose chained label its next
    sibling's place bans (`edges`: `edge_label_bans`' positions of the table; a change `to solved`
    two rows before the last, whose next row's `from solved` only a last row holds). None without a
    next sibling."""
    banned = [
        np.flatnonzero(np.isin(token, banned_at(edges[column], first=False, last=rows_left == 2)))
        for column, of, token in rules
        if of == position and column in edges and rows_left >= 2
    ]
    return np.unique(np.concatenate(banned)) if banned else np.empty(0, dtype=np.int64)


def _chained(a: np.ndarray, b: np.ndarray, now: np.ndarray, before: np.ndarray) -> bool:
    """Whether `a` of each row in `now` is `b` of the row `before` it, wherever both are held, in
    `MIN_PAIRS` pairs at least and beyond chance."""
    x, y = a[now], b[before]
    held = np.array([u is not None and v is not None for u, v in zip(x, y, strict=True)], dtype=bool)
    if held.sum() < MIN_PAIRS or (x[held] != y[held]).any():
        return False
    share_a = _shares(a)
    share_b = _shares(b)
    match = sum(p * share_b.get(label, 0.0) for label, p in share_a.items())  # two labels at random equal
    return match < 1 and int(held.sum()) * -np.log10(match) >= CHANCE


def _shares(labels: np.ndarray) -> dict[str, float]:
    """Each held label's share of the held rows."""
    held = [v for v in labels if v is not None]
    values, counts = np.unique(np.asarray(held, dtype=object).astype(str), return_counts=True)
    return dict(zip(values.tolist(), (counts / counts.sum()).tolist(), strict=True))

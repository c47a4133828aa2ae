"""Values a row carries over from the row before while a label stays the same: a customer's credit
limit, kept from one version to the next unless the segment changes (a new address keeps it).

The model writes each row's values from the rows before it, but nothing holds a value that the
data only ever changes beside another: a small model changed the credit limit of 57 to 116 of
536 generated versions that kept their segment (the source: none of 552). The fit keeps, per
table nested under a parent, a column (a category or a number, set by no other rule) equal to
its previous sibling's (in the encoded order: by the sibling key, else as stored) in every pair
of siblings whose categorical `label` is equal, in `MIN_PAIRS` such pairs at least, where it
changes in `MIN_PAIRS` pairs too and changes falling on pairs at random would have spared every
pair keeping the label `CHANCE` of the time at most; of such labels, the one kept in the most
pairs. Decoding sets it, in generated order, to the previous sibling's value where the label's
token repeats the previous sibling's.

Likewise a label kept wherever an earlier label of the row changes (`when: "changed"`): a version's
segment, kept whenever its city changes (one of the two a version; with `_changed_rows` masking
the previous segment where the city stays, exactly one changes). A model trained 20 epochs
changed both in 97 of 546 generated versions. Generation masks every other token of its slot
where the earlier label's token differs from the previous sibling's (`carried_token`); the rule
read the other way (the city kept while the segment changes) is left out, the segment not yet
written when the city is. Not fitted under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc

log = logging.getLogger(__name__)
MIN_PAIRS = 20  # pairs of consecutive siblings keeping the label, and changing the value, at least
CHANCE = 0.001  # how likely changes at random would have spared every pair keeping the label, at most


def find_carried_values(pre, data: RelationalData, skip: set[tuple[str, str]], changed: list[dict]) -> list[dict]:
    """[{"table", "column", "label", "when"}]: a column of a nested table that stays its previous
    sibling's wherever the categorical `label` does (`when` "same"), or else wherever it changes
    ("changed"); not the `skip` columns other rules set, and of the columns `changed` rows must
    change one of, only while another changes."""
    out = []
    for table, layout in pre.layouts.items():
        edge = pre.schema.parent(table)
        frame = data[table]
        if edge is None or edge.fk not in frame.columns or len(frame) < 2 * MIN_PAIRS:
            continue
        order, follows = sibling_order(frame, edge.fk, pre.sibling_keys.get(table))
        now, before = order[follows], order[np.flatnonzero(follows) - 1]
        if len(now) < 2 * MIN_PAIRS:
            continue
        ordered = set(pre.orderings.get(table, {}))
        must_change = {c for r in changed if r["table"] == table for c in r["columns"]}
        labels, values = {}, {}
        for col, slot in zip(layout.fields, layout.slots, strict=False):
            preproc = pre.slots[slot].preproc
            if col == edge.fk or col not in frame.columns:
                continue
            if isinstance(preproc, CategoricalPreproc):
                tokens = preproc.encode(frame[col])
                labels[col] = tokens[now] == tokens[before]
            if (
                isinstance(preproc, CategoricalPreproc | NumericPreproc)
                and col not in ordered
                and (table, col) not in skip
            ):
                values[col] = _same(frame[col], now, before)
        for col, same in values.items():
            others = {k: v for k, v in labels.items() if k != col}
            # kept while a label stays (a limit, while the segment), or while another changes (the city, while the
            # segment does: one of the two a version); one a changed row must change one of: only the latter
            # generated as tokens, while an earlier label changes (`carried_tokens`): a label only
            earlier = {
                k: ~v for k, v in others.items() if col in labels and layout.fields.index(k) < layout.fields.index(col)
            }
            for when, at in (("same", others), ("changed", earlier)):
                if when == "same" and col in must_change:
                    continue
                if (label := _carrying_label(same, at)) is not None:
                    log.info("%s.%s stays its previous sibling's wherever %s is %s: kept so", table, col, label, when)
                    out.append({"table": table, "column": col, "label": label, "when": when})
                    break
    return out


def _same(values: pd.Series, now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Whether each row's value (missing ones alike) equals its previous sibling's."""
    a, b = values.iloc[now].reset_index(drop=True), values.iloc[before].reset_index(drop=True)
    return ((a == b) | (a.isna() & b.isna())).fillna(False).to_numpy(dtype=bool)


def _carrying_label(same: np.ndarray, labels: Mapping[str, np.ndarray]) -> str | None:
    """The label kept in the most pairs of those in every pair keeping which the value is kept
    (`MIN_PAIRS` each way, not by chance); None where there is none."""
    changes = int((~same).sum())
    if changes < MIN_PAIRS:
        return None
    best, most = None, 0
    for label, kept in labels.items():
        n = int(kept.sum())
        if n < MIN_PAIRS or n <= most or (kept & ~same).any():
            continue
        if (1.0 - kept.mean()) ** changes <= CHANCE:  # changes at random would have hit a kept label
            best, most = label, n
    return best


def keep_carried_values(
    rules: list[dict], table: str, cols: dict[str, pd.Series], ids: Mapping[str, np.ndarray], siblings: np.ndarray
) -> None:
    """Set (in place) each rule's column of `table`'s decoded rows (`cols`, in generated order;
    `siblings`: each row's parent) to its previous sibling's value where the label's token
    (`ids`) repeats the previous sibling's, sibling after sibling (a run carries its first value)."""
    for r in rules:
        if r["table"] != table or r["column"] not in cols or r["label"] not in ids or not len(siblings):
            continue
        if r.get("when", "same") != "same":  # generated so (`carried_token`)
            continue
        previous = pd.Series(np.arange(len(siblings))).groupby(siblings).shift(1).to_numpy(np.float64, na_value=np.nan)
        has = ~np.isnan(previous)
        before = np.where(has, previous, 0).astype(np.int64)
        label = np.asarray(ids[r["label"]])
        source = np.where(has & (label == label[before]), before, np.arange(len(siblings)))
        while not np.array_equal(hop := source[source], source):  # each row to the first of its run
            source = hop
        cols[r["column"]] = cols[r["column"]].iloc[source].reset_index(drop=True)


def carried_token_positions(pre, rules: list[dict]) -> dict[str, list[tuple[int, int]]]:
    """table -> [(header position of the label, of the column carried while it changes)]."""
    out: dict[str, list[tuple[int, int]]] = {}
    for r in rules:
        layout = pre.layouts.get(r["table"])
        if r.get("when") != "changed" or layout is None or not {r["label"], r["column"]} <= set(layout.fields):
            continue
        out.setdefault(r["table"], []).append((layout.fields.index(r["label"]), layout.fields.index(r["column"])))
    return out


def carried_token(rules: list[tuple[int, int]], position: int, header: np.ndarray, previous: list[int] | None):
    """The token a row must take at header `position`: its previous sibling's, where a rule's label
    (written before it) changed from the previous sibling's (None: any)."""
    if previous is None:
        return None
    for label, column in rules:
        if column == position and header[label] != previous[label]:
            return int(previous[column])
    return None

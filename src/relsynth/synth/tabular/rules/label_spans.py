"""Labels held only within a span of an earlier number of their row: a tertiary education from
age 18 on, a secondary one from 12, employment from 15 to 69.

The model writes the number's token (an exact value or a quantile bin), then the label as a token
of its own, so a briefly trained one pairs them as no training row does: a household survey's
tiny model gave 5-10 % of its persons an education or a job their age never holds (a child of 3
employed, one of 8 with a secondary education). The fit keeps, per categorical column of a table
and per number written before it in its row, the least and greatest number each frequent label
is held with, where the rows beyond that bound would have held the label in `MIN_EXPECTED` rows
at least had the two been independent (the label's share of the rows times the rows beyond: none
of them e^-10 of the time by chance), labels of `MIN_ROWS` rows at least, in columns of
`MAX_LABELS` labels at most. Generation bans the label after a token of the number whose
every value lies beyond one of its bounds (`span_bans`), and decoding draws a number of a bin across
a bound again inside its bin on the label's side (`keep_label_spans`, as `null_cuts` does); a row
left with nothing to draw keeps its logits, a bin wholly beyond it (the model's choice) its value. Not a number set after generation
(a total, a formula) or written as an offset (`orderings`): its token is not its value. Not
fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc
from relsynth.synth.tabular.rules.dependencies import _categoricals, _exact_values
from relsynth.synth.tabular.rules.null_cuts import _token_ranges, range_of, redraw_in_bins

log = logging.getLogger(__name__)
# rows independent columns would have given the label beyond its bound, at least: a table of many
# labels and numbers tries thousands of (label, number, side), so e^-10 each, not never_pairs' e^-5
MIN_EXPECTED = 10.0
MIN_ROWS = 20  # a label's rows, at least: a span of fewer is the range of a small sample
# a column of more labels is left alone: a small model draws it far from the data, and each of its
# labels holds few rows (Chinook's composers), as never_pairs leaves a source of that many
MAX_LABELS = 30
KINDS = ("numeric", "integer")  # numbers whose tokens are values (dates: their own orders)


def find_label_spans(
    pre, data: RelationalData, skip: set[tuple[str, str]] = frozenset(), labelled: set[tuple[str, str]] = frozenset()
) -> list[dict]:
    """[{"table", "column", "of", "spans": {label: [least or None, greatest or None]}}]: in every
    row of `table` holding `label` at `column`, the number `of` (earlier in the row) lies within
    the label's span; a bound is None where the rows beyond it are too few to tell (`skip`:
    (table, column) numbers set or read elsewhere; `labelled`: label columns a rule sets from a
    number, a sign's DEBIT; never a context column, given at generation)."""
    out = []
    for table, layout in pre.layouts.items():
        frame, given = data[table], pre.given_columns(table)
        fields = {c: pre.slots[s].preproc for c, s in zip(layout.fields, layout.slots, strict=False)}
        order = {c: i for i, c in enumerate(layout.fields)}
        numbers = [
            c
            for c, p in fields.items()
            if isinstance(p, NumericPreproc)
            and p.kind in KINDS
            and c in frame.columns
            and (table, c) not in skip
            and c not in pre.orderings.get(table, {})
            and c not in given
        ]
        for col, col_pre in _categoricals(pre, data, table):
            if col in given or (table, col) in labelled or len(col_pre.categories) > MAX_LABELS:
                continue
            for of in (c for c in numbers if order[c] < order[col]):
                if (spans := _spans(frame[of], frame[col], col_pre)) is not None:
                    log.info("%s.%s held within spans of %s.%s: %s", table, col, table, of, spans)
                    out.append({"table": table, "column": col, "of": of, "spans": spans})
    return out


def _spans(of: pd.Series, labels: pd.Series, col_pre: CategoricalPreproc) -> dict | None:
    """{label: [least, greatest]} of the frequent labels of `MIN_ROWS` rows at least with a bound
    chance would have broken in `MIN_EXPECTED` rows at least (the other side None), None where no
    label has one."""
    x = pd.to_numeric(of, errors="coerce").to_numpy(np.float64, na_value=np.nan)
    held = ~np.isnan(x) & labels.notna().to_numpy()
    if held.sum() < MIN_EXPECTED:
        return None
    x, names = x[held], _exact_values(labels[held], col_pre).astype(str).to_numpy()
    known = {str(v): v for v in col_pre.categories}
    out = {}
    for name in np.unique(names):
        if name not in known:  # a rare label is no token
            continue
        mine = x[names == name]
        if len(mine) < MIN_ROWS:
            continue
        share = len(mine) / len(x)
        low = mine.min() if share * (x < mine.min()).sum() >= MIN_EXPECTED else None
        high = mine.max() if share * (x > mine.max()).sum() >= MIN_EXPECTED else None
        if low is not None or high is not None:
            out[str(known[name])] = [None if low is None else float(low), None if high is None else float(high)]
    return out or None


def span_bans(pre, rules: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(position, token), each (n, vocab) for the n (rule, label) pairs of `rules`, in the format
    of `dependencies.banning_tables`: after a token of the number `of` whose every value lies below
    the label's least or above its greatest, the header position of `column` and the label's token
    (-1: none)."""
    pairs = [(r, label, span) for r in rules for label, span in r["spans"].items()]
    position = np.full((len(pairs), pre.vocab_size), -1, dtype=np.int64)
    token = np.full((len(pairs), pre.vocab_size), -1, dtype=np.int64)
    for n, (rule, label, (least, greatest)) in enumerate(pairs):
        layout = pre.layouts[rule["table"]]
        if rule["of"] not in layout.fields or rule["column"] not in layout.fields:
            continue
        j_of, j = layout.fields.index(rule["of"]), layout.fields.index(rule["column"])
        of_slot, labels = pre.slots[layout.slots[j_of]], pre.slots[layout.slots[j]].category_tokens()
        if j_of > j or label not in labels:
            continue
        lows, highs = _token_ranges(of_slot.preproc)
        beyond = np.zeros(len(lows), dtype=bool)
        if least is not None:
            beyond |= highs < least
        if greatest is not None:
            beyond |= lows > greatest
        ids = of_slot.offset + 1 + np.flatnonzero(beyond)  # local id 0: <missing>, left to the model
        position[n, ids], token[n, ids] = j, labels[label]
    return position, token


def keep_label_spans(pre, rules: list[dict], table: str, frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Draw again, in place, inside its bin and within its row's label's span, each binned number
    of `frame` (rows of `table`) beyond it: a bin across the bound (12 to 17, a tertiary education
    from 18) decoded anywhere in it. Exact values and bins with no room on that side are left."""
    for rule in (r for r in rules if r["table"] == table and r["of"] in frame and r["column"] in frame):
        layout = pre.layouts[table]
        if rule["of"] not in layout.fields:
            continue
        p = pre.slots[layout.slots[layout.fields.index(rule["of"])]].preproc
        if not p.n_bins_used:
            continue
        x = frame[rule["of"]].to_numpy(dtype=np.float64, na_value=np.nan)
        held = frame[rule["column"]]
        labels = held.astype(object).map(str).where(held.notna(), None).to_numpy()  # None: no label
        fixed, ranged = x.copy(), range_of(pre, table, rule["of"], frame)  # an age within its relation's range
        for label, (least, greatest) in rule["spans"].items():
            mine = labels == label
            if least is not None:
                redraw_in_bins(p, fixed, mine & (fixed < least), rng, bottom=least, ranged=ranged)
            if greatest is not None:
                redraw_in_bins(p, fixed, mine & (fixed > greatest), rng, top=greatest, ranged=ranged)
        if not np.array_equal(fixed, x, equal_nan=True):
            frame[rule["of"]] = pd.Series(fixed, index=frame.index).astype(frame[rule["of"]].dtype)

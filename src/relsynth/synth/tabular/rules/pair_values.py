"""A number that a pair of categories of its row decides: a leg's distance, the same for every leg
from one depot to another (two keys to a depots lookup), a fare per origin and destination.

The model draws the number as a bin and a place within it, so the pairs it has seen many times
come back with other values: 67 % of a small model's generated legs held a distance no leg between
those two depots ever had. The fit keeps, per binned number of a synthesised table, the first
pair of its row's categorical columns (header order) under which the rows sharing a pair hold one
value in every training row: `MIN_REPEATS` rows at least repeat a pair, `SHARE_REPEATED` of the
rows holding all three, and their agreement would come by chance less than once in `10**CHANCE`
(a number of few values may agree under any pair). A pair that one of its columns alone decides
is a single category's lookup, left to the model. Decoding sets the number of each generated row
whose pair the training rows hold to its value there, before the formulas and orders that read
it; a pair never seen keeps the model's. Columns another rule sets (totals, formulas, orders
within rows) and the root's context columns are left as they are. Not under DP: the values are
the rows' own.
"""

from __future__ import annotations

import logging
from itertools import combinations

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc, label_texts

log = logging.getLogger(__name__)
MIN_REPEATS = 20  # rows holding a pair an earlier row holds already, at least
SHARE_REPEATED = 0.8  # of the rows holding the number and both categories, in a pair held twice at least
CHANCE = 9  # the repeats' agreement under chance (value collision ** repeats) at most 10**-CHANCE


def find_pair_values(pre, data: RelationalData, fixed: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "by": [a, b], "values": [[a's label, b's label, value], ...]}]: `table.column`
    holds one value per pair of `by`'s labels in every training row; `fixed`: (table, column) another
    rule sets, left alone."""
    out = []
    for table in data.schema.synth_tables:
        given, frame = pre.given_columns(table), data[table]
        labels = {c: label_texts(frame[c]) for c in _categoricals(pre, table) if c in frame.columns}
        codes = {c: pd.factorize(x, use_na_sentinel=True)[0] for c, x in labels.items()}  # -1: missing
        for column in _numbers(pre, table):
            if (table, column) in fixed or column in given or column not in frame.columns:
                continue
            rule = _first_pair(frame[column], labels, codes)
            if rule is not None:
                log.info("%s.%s is one value per pair of %s in every row: set from the pair", table, column, rule[0])
                out.append({"table": table, "column": column, "by": list(rule[0]), "values": rule[1]})
    return out


def keep_pair_values(rules: list[dict], table: str, cols: dict[str, pd.Series]) -> None:
    """Set (in place) each rule's number of `table`'s decoded rows whose pair the training rows hold
    to its value there; other rows keep theirs."""
    for r in (r for r in rules if r["table"] == table):
        a, b = r["by"]
        if r["column"] not in cols or a not in cols or b not in cols or not len(cols[r["column"]]):
            continue
        known = {(x, y): v for x, y, v in r["values"]}
        keys = zip(label_texts(cols[a]), label_texts(cols[b]), strict=True)
        values = np.array([known.get(k, np.nan) for k in keys], dtype=np.float64)
        held = ~np.isnan(values)
        if held.any():
            column = cols[r["column"]].astype(np.float64).to_numpy(copy=True)
            column[held] = values[held]
            cols[r["column"]] = pd.Series(column, index=cols[r["column"]].index).astype(cols[r["column"]].dtype)


def _first_pair(
    values: pd.Series, labels: dict[str, np.ndarray], codes: dict[str, np.ndarray]
) -> tuple[tuple[str, str], list] | None:
    """The first pair of `labels`' columns deciding `values`, with its [a, b, value] triples; else None.
    `codes`: each column's labels as integer codes, -1 where missing."""
    number = to_numbers(values).to_numpy(dtype=np.float64, na_value=np.nan)
    if pd.Series(number).nunique() < 3:  # a constant or a flag follows from anything
        return None
    # a wide table's pairs are many (80 categories: 3,160 a number), and most hold two values under
    # some pair: integer codes rule those out in one sort each before _decided's groupby
    held = ~np.isnan(number)
    value = np.full(len(number), -1, dtype=np.int64)
    value[held] = np.unique(number[held], return_inverse=True)[1].ravel()
    alone = {c for c, x in labels.items() if _may_decide(value, [codes[c]]) and _decided(number, [x]) is not None}
    # a pair holds one value a combination only where its combinations are as many as the values of
    # the rows holding all three, of which the rows missing a label lose at most one each: a number of
    # 600 values beside two categories of 7 labels is no pair's, whatever its rows
    n_values = len(np.unique(value[held]))
    n_labels = {c: int(k.max(initial=-1)) + 1 for c, k in codes.items()}
    lost = {c: int((held & (k < 0)).sum()) for c, k in codes.items()}
    for a, b in combinations(labels, 2):
        if a in alone or b in alone or n_values - lost[a] - lost[b] > n_labels[a] * n_labels[b]:
            continue
        if not _may_decide(value, [codes[a], codes[b]]):
            continue
        found = _decided(number, [labels[a], labels[b]])
        if found is not None:
            return (a, b), found
    return None


def _may_decide(value: np.ndarray, keys: list[np.ndarray]) -> bool:
    """False where some combination of `keys`' codes (-1: missing) holds two of `value`'s codes
    (-1: missing) in the rows holding all, which `_decided` refuses; True otherwise (it may accept)."""
    held = value >= 0
    for k in keys:
        held &= k >= 0
    combo = np.zeros(int(held.sum()), dtype=np.int64)
    for k in keys:
        combo = combo * (int(k.max()) + 1) + k[held]
    order = np.lexsort((value[held], combo))  # by combination, then value: two values of one show side by side
    combo, v = combo[order], value[held][order]
    return not np.any((combo[1:] == combo[:-1]) & (v[1:] != v[:-1]))


def _decided(number: np.ndarray, keys: list[np.ndarray]) -> list | None:
    """[[*labels, value]] per combination of `keys`' labels where one value goes with each in every
    row holding all, repeated enough and beyond chance (module docstring); else None."""
    held = ~np.isnan(number)
    for k in keys:
        held &= pd.notna(k)
    frame = pd.DataFrame({f"k{i}": k[held] for i, k in enumerate(keys)} | {"v": number[held]})
    if len(frame) < MIN_REPEATS:
        return None
    groups = frame.groupby([f"k{i}" for i in range(len(keys))], sort=False)["v"]
    size, distinct = groups.size(), groups.nunique()
    repeats = int((size - 1).sum())
    if repeats < MIN_REPEATS or size[size > 1].sum() < SHARE_REPEATED * len(frame) or (distinct > 1).any():
        return None
    collision = float((frame["v"].value_counts(normalize=True) ** 2).sum())  # two rows' values equal by chance
    if collision > 0 and repeats * -np.log10(collision) < CHANCE:
        return None
    first = groups.first()
    return [[*(k if isinstance(k, tuple) else (k,)), float(v)] for k, v in first.items()]


def _categoricals(pre, table: str) -> list[str]:
    """`table`'s modelled categorical columns (lookup keys included), in header order."""
    layout = pre.layouts[table]
    return [c for c, s in zip(layout.fields, layout.slots, strict=False) if isinstance(pre.slots[s].preproc, CategoricalPreproc)]  # fmt: skip


def _numbers(pre, table: str) -> list[str]:
    """`table`'s binned numbers (not offsets of an order within rows), in header order."""
    layout, orders = pre.layouts[table], pre.orderings.get(table, {})
    return [
        c
        for c, s in zip(layout.fields, layout.slots, strict=False)
        if isinstance(p := pre.slots[s].preproc, NumericPreproc)
        and p.kind in ("numeric", "integer")
        and c not in orders
    ]

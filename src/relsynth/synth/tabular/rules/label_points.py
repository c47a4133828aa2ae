"""Exact values a label's numbers keep to: a transaction's fee is 2.50, 5.00 or 10.00, in an
amount column whose other kinds (deposits, card payments) take any value.

A number's value has a token of its own where it holds a bin's share of the column's rows
(`NumericPreproc`: 1/32), so the fee's three values, each in 68 of 2,415 transactions, fell in
quantile bins with the card payments beside them, and a fee was drawn anywhere in its bin: 7 of
69 generated fees of a ledger were no fee the data holds (-8.30, -6.80, -4.50). The fit gives a
value its own token too where a label of a categorical column of the row keeps its numbers to a
few values (`MAX_POINTS` at most, each held by `min_count` of the label's rows at least, together
`MIN_SHARE` of them, over `MIN_ROWS` rows), so the model writes the label's value exactly. Only a
value `min_count` rows hold is given a token, as for any value: none is a single record's. Not
under DP (the DP fit draws its bins and points its own way).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational.numbers import to_numbers

MAX_POINTS = 5  # a label keeping to more values than this is binned as the column is
MIN_SHARE = 0.95  # of a label's rows its few values hold, at least
MIN_ROWS = 20  # rows of a label holding the number, at least


def label_points(frame: pd.DataFrame, col: str, labels: list[str], min_count: int) -> tuple[float, ...]:
    """The values of `frame[col]` some label of a `labels` column keeps its rows to, sorted."""
    x = to_numbers(frame[col]).astype(float).to_numpy()
    held = ~np.isnan(x)
    if held.sum() < MIN_ROWS:
        return ()
    values, codes = np.unique(x[held], return_inverse=True)
    common = np.bincount(codes)[codes] >= min_count  # a row whose value the column holds min_count times
    out: set[float] = set()
    for name in labels:
        label, kinds = pd.factorize(frame[name].to_numpy()[held], use_na_sentinel=True)
        ok = label >= 0
        rows = np.bincount(label[ok], minlength=len(kinds))
        share = np.bincount(label[ok], weights=common[ok], minlength=len(kinds)) / np.maximum(rows, 1)
        for k in np.flatnonzero((rows >= MIN_ROWS) & (share >= MIN_SHARE)):  # screened at once, read per label
            out |= _few_values(codes[label == k], values, min_count)
    return tuple(sorted(out))


def _few_values(codes: np.ndarray, values: np.ndarray, min_count: int) -> set[float]:
    """The values (by their `codes`) one label's rows keep to, where at most MAX_POINTS, each held
    by `min_count` of its rows, hold MIN_SHARE of them; else none."""
    found, counts = np.unique(codes, return_counts=True)
    kept = counts >= min_count
    if not kept.any() or kept.sum() > MAX_POINTS or counts[kept].sum() < MIN_SHARE * len(codes):
        return set()
    return {float(v) for v in values[found[kept]]}

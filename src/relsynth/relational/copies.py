"""Whole values a row repeats from its parent row: an order's ship address is its customer's address
in most rows (Northwind), an invoice's billing address its customer's in every row (Chinook).

`copied_share` says whether one column of the child rows holds the other column of their parent
rows clearly more often than two independent values would (Cohen's kappa), and in which share of
the rows. The text model copies the generated parent's value into that share of the rows.
"""

from __future__ import annotations

import pandas as pd

MIN_SHARE = 0.5  # a column copies another when it equals it in this share of the rows holding both, at least
MIN_KAPPA = 0.5  # ... and at least half way from two independent values' chance to always (Cohen's kappa)
MIN_ROWS = 20  # rows holding both values that the share is read from, at least


def copied_share(mine: pd.Series, theirs: pd.Series) -> float | None:
    """The share of the rows holding both values where `mine` equals `theirs` (aligned by position: each
    row beside its parent row's value), or None where that is no copy: fewer than `MIN_ROWS` such rows, a
    share under `MIN_SHARE`, or one independent values would nearly reach (kappa under `MIN_KAPPA`)."""
    mine, theirs = mine.reset_index(drop=True), theirs.reset_index(drop=True)
    both = mine.notna() & theirs.notna()
    if both.sum() < MIN_ROWS:
        return None
    a, b = mine[both].astype(str), theirs[both].astype(str)
    share = float((a.to_numpy() == b.to_numpy()).mean())
    if share < MIN_SHARE:
        return None
    luck = chance(a, b)
    if luck >= 1 or (share - luck) / (1 - luck) < MIN_KAPPA:
        return None
    return share


def chance(a: pd.Series, b: pd.Series) -> float:
    """How often two independent draws, one from each column, are equal."""
    pa, pb = a.value_counts(normalize=True), b.value_counts(normalize=True)
    common = pa.index.intersection(pb.index)
    # reindex, not pa[common]: an index of flags (False, True) would be read as a mask
    return float((pa.reindex(common) * pb.reindex(common)).sum())

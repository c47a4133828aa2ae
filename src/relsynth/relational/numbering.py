"""An integer that numbers each parent row's rows start, start + 1, ..., start + n - 1 (an order's
line numbers, a repository's issue numbers): the tabular fit keeps such a column numbered
(`synth/tabular/rules/sibling_numbers.py`), and `key_like` knows it for a counter, not a key."""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_PAIRS = 20  # pairs of siblings (rows after their parent's first) the numbering is seen in, at least


def numbering_start(parents: pd.Series, values: pd.Series, min_pairs: int = MIN_PAIRS) -> int | None:
    """The one start from which `values` number the rows of each parent (`parents`) one to one, else
    None (a missing value or parent, a gap, a repeat, two starts, fewer than `min_pairs` pairs)."""
    if values.isna().any() or parents.isna().any() or len(values) - parents.nunique() < min_pairs:
        return None
    numbers = values.to_numpy(np.float64)
    if not np.array_equal(numbers, np.round(numbers)):
        return None
    lowest = pd.Series(numbers).groupby(parents.to_numpy()).transform("min").to_numpy()
    if lowest.min() != lowest.max():
        return None
    places = pd.Series(numbers).groupby(parents.to_numpy()).rank(method="first").to_numpy()
    return int(lowest[0]) if np.array_equal(numbers - lowest + 1, places) else None

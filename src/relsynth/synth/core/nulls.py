"""Which rows' values are null: the one column of the rows whose values best tell (a forum's
answers have no title and always a parent post, its questions the other way round), so that
generation writes a null where rows like it hold one, not at one rate for every row. Shared by the
tabular model's references (`tabular._references`, by token) and the text model's columns
(`text._nulls`, by value)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np

MIN_GAIN = 0.1  # a column tells which values are null when it takes this share of the null rate's entropy away


def entropy(p: np.ndarray) -> np.ndarray:
    """Binary entropy (nats) of each rate in `p`."""
    q = np.clip(p, 1e-12, 1 - 1e-12)
    return -(q * np.log(q) + (1 - q) * np.log(1 - q))


def telling_column(
    columns: Iterable[tuple[Hashable, np.ndarray]], null: np.ndarray, min_rows: int
) -> tuple[Hashable, list[tuple[object, float]]] | None:
    """(name, [(value, null rate), ...]) of the column, among `columns` ((name, values): one value
    a row), whose values best tell which rows are `null`: the one leaving the least entropy of the
    null rate given its value, and at least `MIN_GAIN` of it taken away; with the rate of each value
    held by `min_rows` rows at least (a rarer value tells nothing: it keeps the overall rate). None
    where no row or every row is null, or no column tells."""
    overall = float(null.mean()) if len(null) else 0.0
    if overall in (0.0, 1.0):
        return None
    best, best_left = None, (1.0 - MIN_GAIN) * float(entropy(np.array([overall]))[0])
    for name, values in columns:
        keys, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
        rates = np.where(counts >= min_rows, np.bincount(inverse, weights=null) / counts, overall)
        left = float((counts * entropy(rates)).sum() / len(null))
        if left < best_left:
            kept = [(k, round(float(r), 4)) for k, r, n in zip(keys, rates, counts, strict=True) if n >= min_rows]
            best, best_left = (name, kept), left
    return best

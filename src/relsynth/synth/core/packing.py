"""Packing variable-length samples into the rows of a batch (first fit, longest first).

A padded batch of samples whose lengths vary wastes most of its tokens on padding (the longest
sample sets the width). Packing places several samples in one row, kept apart by a segment mask
(`transformer.segment_mask`), so a step computes on about as many positions as there are tokens.
Which samples form a batch is unchanged: only their layout is.
"""

from __future__ import annotations

import numpy as np


def pack_rows(lengths: np.ndarray, capacity: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(row, offset) of each sample and the number of rows, no row holding more than `capacity`.

    First fit decreasing: within 22% of the fewest rows possible. A sample longer than
    `capacity` is an error."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(lengths) and lengths.max() > capacity:
        raise ValueError(f"a sample of {int(lengths.max())} tokens does not fit a row of {capacity}")
    row = np.zeros(len(lengths), dtype=np.int64)
    offset = np.zeros(len(lengths), dtype=np.int64)
    free: list[int] = []  # room left in each row
    for i in np.argsort(-lengths, kind="stable"):
        n = int(lengths[i])
        r = next((k for k, room in enumerate(free) if room >= n), len(free))
        if r == len(free):
            free.append(capacity)
        row[i], offset[i] = r, capacity - free[r]
        free[r] -= n
    return row, offset, len(free)

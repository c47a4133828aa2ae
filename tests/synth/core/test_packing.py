"""Packing samples into rows: every sample placed once, no overlap, no row over capacity."""

from __future__ import annotations

import numpy as np
import pytest

from relsynth.synth.core.packing import pack_rows


@pytest.mark.parametrize("seed", range(5))
def test_rows_hold_every_sample_without_overlap(seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 60, size=50)
    row, offset, n_rows = pack_rows(lengths, 64)
    used = np.zeros((n_rows, 64), dtype=int)
    for r, o, n in zip(row, offset, lengths, strict=True):
        assert o + n <= 64
        used[r, o : o + n] += 1
    assert used.max() == 1 and used.sum() == lengths.sum()
    assert n_rows <= int(np.ceil(lengths.sum() / 64 * 1.23)) + 1  # first fit decreasing is near optimal


def test_a_sample_longer_than_a_row_is_an_error():
    with pytest.raises(ValueError, match="does not fit a row of 8"):
        pack_rows(np.array([3, 9]), 8)

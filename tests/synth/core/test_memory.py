"""Peak memory of one call, as the batch-size rule measures it."""

from __future__ import annotations

import numpy as np

from relsynth.synth.core.memory import measure_peak_mb


def test_a_large_temporary_allocation_is_seen():
    def allocate() -> None:
        block = np.ones(200 * 2**20 // 8)  # 200 MB, touched, then freed
        assert block.sum() > 0

    small = measure_peak_mb(lambda: np.ones(10))
    big = measure_peak_mb(allocate)
    assert big > 150 and small < 50

"""Measure the peak memory of one call: CUDA's allocator peak, or the process's RSS high-water mark.

On Linux the RSS peak (VmHWM) can be reset by writing 5 to /proc/self/clear_refs, so the
peak of one training step is measured, not guessed. Elsewhere we fall back to the RSS growth.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_mb(field: str) -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _reset_rss_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def measure_peak_mb(fn: Callable[[], object], device: str = "cpu") -> float:
    """Extra memory (MB) that `fn()` needed at its peak, above what was in use before."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / 2**20
    before = _status_mb("VmRSS") or 0.0
    resettable = _reset_rss_peak()
    fn()
    after = _status_mb("VmHWM" if resettable else "VmRSS") or before
    return max(after - before, 0.0)

"""Measure the peak memory of one call: CUDA's allocator peak, or the process's RSS high-water mark.

On Linux the RSS peak (VmHWM) can be reset by writing 5 to /proc/self/clear_refs, so the
peak of one training step is measured, not guessed. Elsewhere we fall back to the RSS growth.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

_STATUS = Path("/proc/self/status")
_MEMINFO = Path("/proc/meminfo")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_mb(field: str) -> float | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def available_mb() -> float | None:
    """The memory (MB) the system can still give without swapping (`MemAvailable`); None where
    /proc/meminfo does not say (off Linux)."""
    try:
        for line in _MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_rss_peak() -> bool:
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


def measure_peak_mb(fn: Callable[[], object], device: torch.device | str = "cpu") -> float:
    """Extra memory (MB) that `fn()` needed at its peak, above what was in use before: on a CUDA
    `device`, the peak of the allocator's tensors there (`torch.cuda.max_memory_allocated`);
    elsewhere the process's resident set."""
    device = torch.device(device)
    if device.type == "cuda":
        return _cuda_peak_mb(fn, device)
    before = _status_mb("VmRSS") or 0.0
    resettable = _reset_rss_peak()
    fn()
    after = _status_mb("VmHWM" if resettable else "VmRSS") or before
    return max(after - before, 0.0)


def _cuda_peak_mb(fn: Callable[[], object], device: torch.device) -> float:
    if device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    fn()
    torch.cuda.synchronize(device)
    return max(torch.cuda.max_memory_allocated(device) - before, 0) / 2**20

"""CPU threads for torch: one per core that other work leaves free.

torch's threads meet at the end of every operation. When another process holds one of the cores
they run on, the thread there is descheduled and the others wait for it: on a 2-core machine with
one core busy elsewhere, training at 2 threads ran 9x slower than at 1 (`benchmarks/README.md`,
torchrun section). `free_cores` measures how many cores other processes keep busy over a short
interval (Linux `/proc/stat`, minus this process's own CPU time) and `use_free_cores` sets
torch's thread count to the cores left.
"""

from __future__ import annotations

import logging
import os
import time

import torch

log = logging.getLogger(__name__)
AUTO = "auto"
SAMPLE_SECONDS = 0.3  # how long free_cores watches the machine


def usable_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _machine_busy_ticks() -> int | None:
    """Clock ticks all cores spent busy since boot (not idle, not waiting for I/O), or None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(ticks) - ticks[3] - ticks[4]


def _own_ticks() -> int | None:
    """Clock ticks this process (all its threads) spent on a CPU, or None off Linux."""
    try:
        with open("/proc/self/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()  # the fields after the command name
    except (OSError, IndexError):
        return None
    return int(rest[11]) + int(rest[12])  # utime, stime: fields 14 and 15


def busy_elsewhere(seconds: float = SAMPLE_SECONDS) -> float | None:
    """Cores' worth of CPU time other processes used over the next `seconds` (None off Linux)."""
    before, own_before = _machine_busy_ticks(), _own_ticks()
    if before is None or own_before is None:
        return None
    start = time.monotonic()
    time.sleep(seconds)
    after, own_after = _machine_busy_ticks(), _own_ticks()
    elapsed = time.monotonic() - start
    if after is None or own_after is None:
        return None
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    return max(0.0, ((after - before) - (own_after - own_before)) / ticks_per_second / elapsed)


def free_cores(seconds: float = SAMPLE_SECONDS) -> int:
    """Usable cores minus those other work keeps busy (at least 1; all of them off Linux)."""
    usable = usable_cores()
    busy = busy_elsewhere(seconds)
    if busy is None:
        return usable
    total = os.cpu_count() or usable
    return max(1, min(usable, total - round(busy)))


def use_free_cores(threads: int | str = AUTO, seconds: float = SAMPLE_SECONDS) -> int:
    """Set torch's CPU thread count and return it: `"auto"` one per free core (`free_cores`), or
    the number given."""
    if threads == AUTO:
        n = free_cores(seconds)
        usable = usable_cores()
        if n < usable:
            log.warning(
                "other work keeps the cores busy: torch uses %d thread(s) for %d free of %d cores (more would wait "
                "on the busy ones; set threads to a number to override)",
                n,
                n,
                usable,
            )
    elif isinstance(threads, int) and not isinstance(threads, bool) and threads >= 1:
        n = threads
    else:
        raise ValueError(f'threads must be "auto" or an integer >= 1, got {threads!r}')
    torch.set_num_threads(n)
    log.info("torch uses %d CPU thread(s)", n)
    return n

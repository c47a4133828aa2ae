"""Progress of a long loop: a tqdm bar where a person watches, a periodic log line elsewhere.

A bar redraws itself with carriage returns, which fill log files and CI output with noise, so
`progress` draws one only on a terminal (`sys.stderr.isatty()`). Elsewhere (a log file, a Kedro
run piped to a file, CI) it logs `desc: n/total unit (rate/s, eta ...)` at most every
`LOG_EVERY_S` seconds, and a closing line if it logged any: a short loop logs nothing.
Reading and writing a database, training, generation, text and encoding all take their progress
from here (it lives in `relational`, the lowest layer, so that all of them can).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from tqdm.auto import tqdm

log = logging.getLogger(__name__)
LOG_EVERY_S = 15.0  # seconds between two log lines of one loop (read at each call, so tests may lower it)


class LogProgress:
    """The subset of tqdm's API the loops use (`n`, `update`, `set_postfix`, `close`), as log lines."""

    def __init__(self, total: int | None, desc: str, unit: str, every: float):
        self.total, self.desc, self.unit, self.every = total, desc, unit, every
        self.n = 0
        self.postfix: dict[str, Any] = {}
        self.start = self.last = time.monotonic()
        self.logged = False

    def update(self, n: int = 1) -> None:
        """Count `n` more units done; log a line if the last one is `every` seconds old."""
        self.n += n
        self.refresh()

    def set_postfix(self, postfix: dict[str, Any] | None = None, refresh: bool = True, **kwargs: Any) -> None:
        """Values shown after the counts (e.g. the latest loss), as tqdm's `set_postfix`."""
        self.postfix = {**(postfix or {}), **kwargs}
        if refresh:
            self.refresh()

    def refresh(self) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._log(now, done=False)

    def close(self) -> None:
        """A closing line, only if the loop was long enough to log while it ran."""
        if self.logged:
            self._log(time.monotonic(), done=True)
            self.logged = False  # closing twice logs once

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _log(self, now: float, done: bool) -> None:
        log.info("%s", self.line(now - self.start, done))
        self.logged = True

    def line(self, elapsed: float, done: bool = False) -> str:
        """`desc: n/total unit (rate/s, eta t)`, or `... in t (rate/s)` once done."""
        counts = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        rate = self.n / elapsed if elapsed > 0 else 0.0
        if done:
            timing = f"in {duration(elapsed)}, {rate:.3g}/s"
        elif self.total and rate > 0:
            timing = f"{rate:.3g}/s, eta {duration(max(self.total - self.n, 0) / rate)}"
        else:
            timing = f"{rate:.3g}/s"
        post = "".join(f" {k}={v}" for k, v in self.postfix.items())
        return f"{self.desc}: {counts} {self.unit} ({timing}){post}"


class NoProgress(LogProgress):
    """Counts and says nothing (`progress=False`)."""

    def refresh(self) -> None:
        pass


def progress(total: int | None, desc: str, unit: str = "it", show: bool | None = None) -> tqdm | LogProgress:
    """A progress display for a loop of `total` units: call `.update(n)` and `.close()` (or use `with`).

    `show=None`: a tqdm bar on a terminal, log lines otherwise; `True`: a bar wherever stderr goes
    (a notebook's widget, say); `False`: nothing at all.
    """
    if show is False:
        return NoProgress(total, desc, unit, every=float("inf"))
    if show or sys.stderr.isatty():
        return tqdm(total=total, desc=desc, unit=unit, leave=False)
    return LogProgress(total, desc, unit, every=LOG_EVERY_S)


def duration(seconds: float) -> str:
    """`42 s`, `3 min 05 s`, `1 h 02 min`: durations a person reads in a log."""
    s = round(seconds)
    if s < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"

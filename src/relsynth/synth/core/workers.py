"""Parts of one job in forked worker processes, one torch thread each.

Generation is one decode step after another over a pool of sequences; its matrices are small, so
torch's threads gain little from a second core (Chinook 10x: 1.3x at 2 threads) while a second
process generating other entities gains nearly 2x. `run_forked` runs `task(i, count)` for each
part i in a process forked from this one (the model is shared copy-on-write, never pickled),
collects the results in order, adds the units each worker counts to the caller's progress
display, and raises in the parent what failed in a worker, naming it.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import traceback
from collections.abc import Callable
from typing import Any

import torch

log = logging.getLogger(__name__)
POLL_S = 0.2  # how often the parent updates the progress display and checks that workers live

Task = Callable[[int, Callable[[int], None]], Any]
_task: Task | None = None  # set by run_forked just before forking: the children inherit it


def can_fork() -> bool:
    """Whether this platform starts processes by fork (Linux, macOS; not Windows)."""
    return "fork" in mp.get_all_start_methods()


def run_forked(task: Task, n_parts: int, bar) -> list[Any]:
    """[task(0, count), ..., task(n_parts - 1, count)], each part in its own forked process.

    `count(k)` in a worker adds k units to `bar` (anything with `update(k)`) in the parent. A
    worker that raises or dies makes this raise RuntimeError with its part, its error and its
    traceback; the other workers are stopped.
    """
    global _task
    if not can_fork():
        raise RuntimeError("worker processes need the fork start method (Linux or macOS)")
    ctx = mp.get_context("fork")
    done, results = ctx.Value("q", 0), ctx.Queue()
    _task = task
    try:
        procs = [ctx.Process(target=_work, args=(i, done, results), daemon=True) for i in range(n_parts)]
        for p in procs:
            p.start()
    finally:
        _task = None
    out: dict[int, Any] = {}
    shown, exited = 0, set()
    try:
        while len(out) < n_parts:
            try:
                i, ok, value = results.get(timeout=POLL_S)
            except queue.Empty:
                # ended without a result: killed (exit code < 0), or exited a poll ago and nothing came
                dead = [
                    i
                    for i, p in enumerate(procs)
                    if i not in out and p.exitcode is not None and (p.exitcode != 0 or i in exited)
                ]
                if dead:
                    i = dead[0]
                    raise RuntimeError(f"worker {i} of {n_parts} died (exit code {procs[i].exitcode})") from None
                exited = {i for i, p in enumerate(procs) if p.exitcode is not None}
            else:
                if not ok:
                    raise RuntimeError(f"worker {i} of {n_parts} failed:\n{value}")
                out[i] = value
            shown = _show(bar, done, shown)
    finally:
        for p in procs:
            if p.is_alive() and len(out) < n_parts:
                p.terminate()
            p.join()
    _show(bar, done, shown)
    return [out[i] for i in range(n_parts)]


def _show(bar, done, shown: int) -> int:
    """Add to `bar` what the workers counted since the last call."""
    now = done.value
    if now > shown:
        bar.update(now - shown)
    return now


def _work(i: int, done, results) -> None:
    torch.set_num_threads(1)  # one core each; also keeps the child out of the parent's thread pool

    def count(k: int) -> None:
        with done.get_lock():
            done.value += k

    sent = False
    try:
        assert _task is not None
        results.put((i, True, _task(i, count)))
        sent = True
    except BaseException as e:  # noqa: BLE001 - whatever it was, the parent must hear of it
        results.put((i, False, f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
        sent = True
    finally:
        results.close()
        results.join_thread()  # the result is in the pipe before the process ends
        os._exit(0 if sent else 1)  # no atexit handlers or finalizers inherited from the parent

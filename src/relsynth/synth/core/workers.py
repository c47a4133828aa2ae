"""Parts of one job in forked worker processes, one torch thread each (Linux).

Generation is one decode step after another over a pool of sequences; its matrices are small, so
torch's threads gain little from a second core (TPC-H sf 0.01: 1.1x at 2 threads) while a second
process generating other entities gains 1.7x. `run_forked` runs `task(i, progress)` for each part i
in a process forked from this one (the model is shared copy-on-write, never pickled), collects
the results in order, adds the units each worker counts to the caller's progress display, and
raises in the parent what failed in a worker, naming it.

Linux only: forking a process that has started threads is unsafe on macOS (Python spawns there),
and a worker asks the kernel to end it when the parent dies (`PR_SET_PDEATHSIG`), so a killed
parent leaves no worker blocked on a full pipe.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import pickle
import queue
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

import torch

log = logging.getLogger(__name__)
POLL_S = 0.2  # how often the parent updates the progress display and checks that workers live
STOP_S = 5.0  # how long a stopped worker may take to end before it is killed
PR_SET_PDEATHSIG = 1  # prctl option: a signal for this process when its parent ends

Task = Callable[[int, "WorkerProgress"], Any]


def can_fork() -> bool:
    """Whether worker processes are available here: Linux, with the fork start method."""
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def run_forked(task: Task, n_parts: int, bar) -> list[Any]:
    """[task(0, progress), ..., task(n_parts - 1, progress)], each part in its own forked process.

    `progress.update(k)` in a worker adds k units to `bar` (anything with `update(k)`) in the
    parent, so a loop that takes a progress display takes it as it is. A
    worker that raises or dies makes this raise RuntimeError with its part, its error and its
    traceback; the other workers are stopped. Safe to call from several threads at once: the
    task goes to its workers with their process, not through shared state.
    """
    if not can_fork():
        raise RuntimeError("worker processes need Linux (the fork start method)")
    ctx = mp.get_context("fork")
    done = ctx.Array("q", n_parts, lock=False)  # units counted per worker, each slot written by one
    results = ctx.Queue()
    procs: list[Any] = []
    out: dict[int, Any] = {}
    shown, exited = 0, set()
    try:
        for i in range(n_parts):  # forked: the arguments are inherited, never pickled
            procs.append(ctx.Process(target=_work, args=(task, i, done, results, os.getpid()), daemon=True))
            procs[-1].start()
        while len(out) < n_parts:
            try:
                i, ok, payload = results.get(timeout=POLL_S)
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
                    raise RuntimeError(f"worker {i} of {n_parts} failed:\n{payload}")
                out[i] = pickle.loads(payload)
            shown = _show(bar, done, shown)
    finally:
        _stop(procs, finished=len(out) == n_parts)
    _show(bar, done, shown)
    return [out[i] for i in range(n_parts)]


def _show(bar, done, shown: int) -> int:
    """Add to `bar` what the workers counted since the last call (read without a lock: a worker
    killed while counting cannot leave one held)."""
    now = sum(done)
    if now > shown:
        bar.update(now - shown)
    return now


def _stop(procs: list, finished: bool) -> None:
    """Wait for the workers to end; after a failure, end them (SIGTERM, then SIGKILL)."""
    for p in procs:
        if p.is_alive() and not finished:
            p.terminate()
    for p in procs:
        p.join(timeout=STOP_S)
        if p.is_alive():
            p.kill()
            p.join()


def _work(task: Task, i: int, done, results, parent: int) -> None:
    _end_with(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handlers are not this worker's
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    torch.set_num_threads(1)  # one core each; also keeps the child out of the parent's thread pool

    sent = False
    try:
        results.put((i, True, pickle.dumps(task(i, WorkerProgress(done, i)), protocol=pickle.HIGHEST_PROTOCOL)))
        sent = True
    except BaseException as e:  # noqa: BLE001 - whatever it was, the parent must hear of it
        results.put((i, False, f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
        sent = True
    finally:
        results.close()
        results.join_thread()  # the result is in the pipe before the process ends
        os._exit(0 if sent else 1)  # no atexit handlers or finalizers inherited from the parent


class WorkerProgress:
    """A worker's progress display: `update(k)` counts k units in its slot, which the parent adds
    to its own display."""

    def __init__(self, done, slot: int):
        self.done, self.slot = done, slot

    def update(self, k: int = 1) -> None:
        self.done[self.slot] += k


def _end_with(parent: int) -> None:
    """Have the kernel kill this process when the parent ends (else a worker whose result fills
    the pipe would wait for a reader forever)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # no prctl: the parent's daemon flag still ends us on a clean exit
        log.debug("prctl(PR_SET_PDEATHSIG) unavailable")
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)

"""Parts of one job in worker processes, forked (one torch thread each) or spawned (Linux).

Generation is one decode step after another over a pool of sequences; its matrices are small, so
torch's threads gain little from a second core (TPC-H sf 0.01: 1.1x at 2 threads) while a second
process generating other entities gains 1.7x. `run_forked` runs `task(i, progress)` for each part i
in a process forked from this one (the model is shared copy-on-write, never pickled), collects
the results in order, adds the units each worker counts to the caller's progress display, and
raises in the parent what failed in a worker, naming it: relsynth's own errors (`RunawayEntity`,
`SchemaError`, ...) as themselves, so a caller catches them by type as without workers. What a
worker warned through relsynth's loggers or `warnings.warn` is logged and warned again in the
parent, once per job (`relay`), where the caller's handlers and filters see it.

A forked worker inherits every lock of this process as it was at the fork, held or not, but none
of the threads that would release it: after this process ran an OpenMP team of several threads
(libgomp's, under torch and MKL), a forked worker that starts a team of two waits forever at its
barrier for pool threads it does not have (`gomp_team_barrier_wait_end`, zero CPU). A forked worker
therefore runs at one torch thread, where no team starts. `run_spawned` starts fresh interpreters
instead, safe whatever this process runs, at any thread count, for a start-up of an import of
torch and the parts pickled (text training: models and datasets, small). Either way a worker that
stops using the CPU for `STALL_S` raises `WorkerHung`, never a job that waits forever.

Linux only: forking a process that has started threads is unsafe on macOS (Python spawns there),
a worker asks the kernel to end it when the parent dies (`PR_SET_PDEATHSIG`), so a killed parent
leaves no worker blocked on a full pipe, and the watchdog reads a worker's CPU time in /proc.
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
import time
import traceback
import types
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any

import torch

from relsynth.synth.core.relay import caught_for_parent, replay

log = logging.getLogger(__name__)
POLL_S = 0.2  # how often the parent updates the progress display and checks that workers live
STOP_S = 5.0  # how long a stopped worker may take to end before it is killed
STALL_S = 30.0  # a worker alive without a result that used no CPU this long is hung (a lock nobody releases)
PR_SET_PDEATHSIG = 1  # prctl option: a signal for this process when its parent ends

Task = Callable[[int, "WorkerProgress"], Any]


class WorkerHung(RuntimeError):
    """A worker used no CPU for `STALL_S` without a result: blocked for good (the caller may do its
    part itself)."""


def can_fork() -> bool:
    """Whether worker processes are available here: Linux, with the fork start method."""
    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods()


def can_spawn() -> bool:
    """Whether spawned worker processes are available here: Linux (the watchdog reads /proc)."""
    return sys.platform.startswith("linux") and "spawn" in mp.get_all_start_methods()


def run_forked(task: Task, n_parts: int, bar) -> list[Any]:
    """[task(0, progress), ..., task(n_parts - 1, progress)], each part in its own forked process.

    `progress.update(k)` in a worker adds k units to `bar` (anything with `update(k)`) in the
    parent, so a loop that takes a progress display takes it as it is. A
    worker that raises one of relsynth's own errors makes this raise that error (its type and
    message; the cause, a RuntimeError, names the worker and holds its traceback), one that raises
    another error or dies a RuntimeError with its part, its error and its traceback, one that hangs
    (no CPU for `STALL_S`) `WorkerHung`; the other workers are stopped.
    Safe to call from several threads at once: the task goes to its workers with their process,
    not through shared state. Each worker runs at one torch thread (see the module's docstring).
    """
    if not can_fork():
        raise RuntimeError("worker processes need Linux (the fork start method)")
    return _run(mp.get_context("fork"), task, [(i,) for i in range(n_parts)], bar)  # forked: inherited, not pickled


def run_spawned(task: Callable[..., Any], parts: Sequence[tuple], bar) -> list[Any]:
    """[task(*parts[0], progress), ..., task(*parts[-1], progress)], each part in a spawned process.

    A fresh interpreter, not a copy of this one: safe whatever threads this process runs and
    whatever locks they hold, at any torch thread count (`task` sets its own; the worker starts at
    one). `task` must be a module-level function of an importable module (not the main script,
    which the worker does not run again) and each part's arguments picklable; they are pickled
    here, once, as the results are in the workers. Progress, failures, deaths and `WorkerHung` as
    `run_forked`.
    """
    if not can_spawn():
        raise RuntimeError("spawned worker processes need Linux")
    # plain bytes: torch's reducers would move the caller's tensors to shared memory to send them
    blobs = [pickle.dumps(tuple(part), protocol=pickle.HIGHEST_PROTOCOL) for part in parts]
    return _run(mp.get_context("spawn"), task, blobs, bar)


def _run(ctx, task: Callable[..., Any], parts: list, bar) -> list[Any]:
    """Each part in a process of `ctx` (its arguments a tuple, or that tuple pickled), the results in order."""
    n_parts = len(parts)
    done = ctx.Array("q", n_parts, lock=False)  # units counted per worker, each slot written by one
    results = ctx.Queue()
    procs: list[Any] = []
    out: dict[int, Any] = {}
    shown, exited = 0, set()
    seen: set = set()  # the warnings the workers relayed, each replayed once (`relay.replay`)
    watch = _Watchdog(procs)
    try:
        for i in range(n_parts):
            proc = ctx.Process(target=_work, args=(task, parts[i], i, done, results, os.getpid()), daemon=True)
            with _main_unseen(ctx):
                proc.start()
            procs.append(proc)
        while len(out) < n_parts:
            try:
                i, ok, payload, caught = results.get(timeout=POLL_S)
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
                watch.check(out)
            else:
                replay(pickle.loads(caught), seen)
                if not ok:
                    raise _failure(i, n_parts, *payload)
                out[i] = pickle.loads(payload)
            shown = _show(bar, done, shown)
    finally:
        _stop(procs, finished=len(out) == n_parts)
    _show(bar, done, shown)
    return [out[i] for i in range(n_parts)]


@contextmanager
def _main_unseen(ctx):
    """A spawned worker runs the parent's main script again (as `__mp_main__`, for functions defined
    there) unless the main module has no file: its task and arguments come from relsynth, and a
    script calling the library without an `if __name__ == "__main__"` guard would run again in each
    worker. Its start sees an empty main module (the swap lasts the start: the prepared data is read then)."""
    if ctx.get_start_method() == "fork":
        yield
        return
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


class _Watchdog:
    """Raises `WorkerHung` for a worker, alive and without a result, whose CPU time has not moved
    for `STALL_S`: a worker waiting for a lock no thread will release sleeps on it at zero CPU, while
    one that works, even on a loaded machine, is given some CPU every few seconds."""

    def __init__(self, procs: list):
        self.procs = procs
        self.seen: dict[int, tuple[float, float]] = {}  # worker -> (CPU seconds, when they last moved)

    def check(self, finished: dict) -> None:
        now = time.monotonic()
        for i, p in enumerate(self.procs):
            cpu = _cpu_seconds(p.pid)
            if i in finished or cpu is None:
                continue
            last = self.seen.get(i)
            if last is None or cpu != last[0]:
                self.seen[i] = (cpu, now)
            elif now - last[1] > STALL_S:
                raise WorkerHung(
                    f"worker {i} of {len(self.procs)} used no CPU for {STALL_S:.0f} s without a result: it is "
                    "blocked (a lock held when it started)"
                )


def _cpu_seconds(pid: int | None) -> float | None:
    """The CPU time (user + system) process `pid` has used; None when it cannot be read (ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    except (OSError, IndexError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


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


def _work(task: Callable[..., Any], args: tuple | bytes, i: int, done, results, parent: int) -> None:
    _end_with(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handlers are not this worker's
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops us
    torch.set_num_threads(1)  # one core each; also keeps the child out of the parent's thread pool

    sent = False
    with caught_for_parent() as caught:  # relsynth's warnings go to the parent with the result
        try:
            args = pickle.loads(args) if isinstance(args, bytes) else args
            result = pickle.dumps(task(*args, WorkerProgress(done, i)), protocol=pickle.HIGHEST_PROTOCOL)
            ok, payload = True, result
        except BaseException as e:  # noqa: BLE001 - whatever it was, the parent must hear of it
            ok, payload = False, (f"{type(e).__name__}: {e}\n{traceback.format_exc()}", _own_error(e))
    try:
        results.put((i, ok, payload, pickle.dumps(caught, protocol=pickle.HIGHEST_PROTOCOL)))
        sent = True
    finally:
        results.close()
        results.join_thread()  # the result is in the pipe before the process ends
        os._exit(0 if sent else 1)  # no atexit handlers or finalizers inherited from the parent


def _own_error(e: BaseException) -> bytes | None:
    """`e` pickled when it is one of relsynth's own errors, which callers catch by type, and comes back
    from its pickle as it was; else None. An exception is pickled as its class called with `args`: one
    whose `__init__` takes other arguments fails to come back or comes back garbled."""
    if type(e).__module__.split(".")[0] != "relsynth":
        return None
    try:
        blob = pickle.dumps(e, protocol=pickle.HIGHEST_PROTOCOL)
        back = pickle.loads(blob)
    except Exception:  # noqa: BLE001 - an error that cannot be pickled reaches the parent as text
        return None
    return blob if type(back) is type(e) and str(back) == str(e) else None


def _failure(i: int, n_parts: int, text: str, own: bytes | None) -> BaseException:
    """What the parent raises for worker i's error: relsynth's own as itself, caused by a RuntimeError
    naming the worker with its traceback (as concurrent.futures does); any other that RuntimeError."""
    failed = RuntimeError(f"worker {i} of {n_parts} failed:\n{text}")
    if own is None:
        return failed
    error = pickle.loads(own)  # came back in the worker, which runs the same relsynth
    error.__cause__ = failed
    return error


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

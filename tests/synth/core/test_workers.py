"""Worker processes: results in order, progress counted in the parent, failures raised by name."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from types import SimpleNamespace

import pytest

from relsynth.relational.errors import DataError, SchemaError
from relsynth.relational.progress import NoProgress
from relsynth.synth.core import workers
from relsynth.synth.core.files import warn_untrained
from relsynth.synth.core.workers import WorkerHung, can_fork, can_spawn, run_forked, run_spawned

pytestmark = pytest.mark.skipif(not can_fork(), reason="worker processes need fork")


def silent() -> NoProgress:
    """A progress display that counts and shows nothing (the tests read what the workers return)."""
    return NoProgress(None, "t", "it", every=float("inf"))


def test_results_come_back_in_part_order_and_progress_is_counted():
    def task(i, progress):
        progress.update(i + 1)
        return {"part": i, "pid": os.getpid()}

    bar = NoProgress(6, "t", "it", every=float("inf"))
    out = run_forked(task, 3, bar)
    assert [o["part"] for o in out] == [0, 1, 2]
    assert os.getpid() not in {o["pid"] for o in out} and len({o["pid"] for o in out}) == 3
    assert bar.n == 1 + 2 + 3


def test_a_worker_that_raises_is_named_with_its_error():
    def task(i, progress):
        if i == 1:
            raise ValueError("bad part")
        return i

    with pytest.raises(RuntimeError, match=r"(?s)worker 1 of 3 failed:\nValueError: bad part.*Traceback"):
        run_forked(task, 3, silent())


def test_a_worker_that_raises_a_relsynth_error_raises_it_in_the_caller():
    """A caller catches relsynth's own errors by type (`except DataError`) with workers as without."""

    def task(i, progress):
        if i == 1:
            raise SchemaError("table t: no primary key")
        return i

    with pytest.raises(SchemaError, match=r"^table t: no primary key$") as raised:
        run_forked(task, 3, silent())
    assert re.match(r"(?s)worker 1 of 3 failed:\nSchemaError: table t.*Traceback", str(raised.value.__cause__))


def test_a_data_error_in_a_worker_is_raised_in_the_caller_with_its_problems():
    """DataError takes a list of problems: pickled as its class called with its message, it came back
    garbled (the message split into letters) and reached the caller as a RuntimeError."""

    def task(i, progress):
        raise DataError(["table t: column c holds text", "table u: 2 orphan keys"])

    with pytest.raises(DataError, match=r"^2 problem\(s\) in the data:\n  - table t: column c") as raised:
        run_forked(task, 1, silent())
    assert raised.value.problems == ["table t: column c holds text", "table u: 2 orphan keys"]


def test_a_relsynth_error_that_does_not_survive_pickling_is_named_with_its_text(monkeypatch):
    """An error class whose pickle does not give it back (here DataError without its own __reduce__)
    reaches the caller as its text, as other errors do, never garbled."""
    monkeypatch.setattr(DataError, "__reduce__", ValueError.__reduce__)

    def task(i, progress):
        raise DataError(["table t: column c holds text"])

    with pytest.raises(RuntimeError, match=r"(?s)worker 0 of 1 failed:\nDataError: 1 problem.*column c holds text"):
        run_forked(task, 1, silent())


def test_a_worker_that_dies_is_an_error_not_a_hang():
    def task(i, progress):
        if i == 0:
            os._exit(3)
        return i

    with pytest.raises(RuntimeError, match=r"worker 0 of 2 died \(exit code 3\)"):
        run_forked(task, 2, silent())


def test_a_worker_killed_while_counting_is_reported_not_waited_for():
    def task(i, progress):
        if i == 0:
            progress.update(1)
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.05)
        return i

    with pytest.raises(RuntimeError, match=r"worker 0 of 2 died \(exit code -9\)"):
        run_forked(task, 2, silent())


def test_a_result_that_cannot_be_sent_is_an_error_of_its_worker():
    with pytest.raises(RuntimeError, match=r"(?s)worker 0 of 1 failed:.*pickle"):
        run_forked(lambda i, progress: lambda: None, 1, silent())


def test_calls_from_two_threads_get_their_own_results():
    """The task travels with its workers, not through shared state a second caller could overwrite."""
    got: dict[str, list] = {}

    def call(name: str) -> None:
        for _ in range(5):
            out = run_forked(lambda i, progress: (name, i), 2, silent())
            assert out == [(name, 0), (name, 1)]
        got[name] = out

    threads = [threading.Thread(target=call, args=(n,)) for n in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == ["A", "B"]


def test_a_failure_stops_the_other_workers_even_under_a_sigterm_handler():
    """A server's SIGTERM handler is the parent's, not the workers': a failure does not wait for
    the other parts to finish."""

    def task(i, progress):
        if i == 0:
            raise ValueError("bad part")
        time.sleep(60)

    previous = signal.signal(signal.SIGTERM, lambda *a: None)
    try:
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="worker 0 of 2 failed"):
            run_forked(task, 2, silent())
        assert time.monotonic() - started < 30
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_workers_end_when_their_parent_is_killed(tmp_path):
    """A killed parent (out of memory, kill -9) leaves no worker behind, even one whose result
    is too big for the pipe."""
    script = tmp_path / "parent.py"
    script.write_text(
        "import os, sys, time, numpy as np\n"
        "from relsynth.relational.progress import NoProgress\n"
        "from relsynth.synth.core.workers import run_forked\n"
        "def task(i, progress):\n"
        f"    open({str(tmp_path)!r} + f'/pid{{i}}.tmp', 'w').write(str(os.getpid()))\n"
        f"    os.rename({str(tmp_path)!r} + f'/pid{{i}}.tmp', {str(tmp_path)!r} + f'/pid{{i}}')\n"
        "    time.sleep(2)  # the parent is killed meanwhile\n"
        "    return np.zeros(2_000_000)  # 16 MB: more than a pipe holds\n"
        "run_forked(task, 2, NoProgress(None, 't', 'it', every=float('inf')))\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("pid?"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        pids = [int(p.read_text()) for p in tmp_path.glob("pid?")]
        assert len(pids) == 2
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie (ended, not yet reaped by init) is not alive
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_a_worker_blocked_on_a_lock_held_at_the_fork_raises_instead_of_hanging(monkeypatch):
    """A lock another thread of this process holds when the workers are forked stays held in them,
    with no thread to release it: the worker sleeps on it at zero CPU. The watchdog turns that into
    WorkerHung after STALL_S, the other workers stopped."""
    monkeypatch.setattr(workers, "STALL_S", 1.0)
    lock, held, release = threading.Lock(), threading.Event(), threading.Event()

    def holder():
        with lock:
            held.set()
            release.wait()

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    held.wait()

    def task(i, progress):
        with lock:  # held by a thread the worker does not have
            return i

    try:
        started = time.monotonic()
        with pytest.raises(WorkerHung, match="used no CPU for 1 s without a result"):
            run_forked(task, 2, silent())
        assert time.monotonic() - started < 30
    finally:
        release.set()
        thread.join()


def _part_sum(a: int, b: int, progress) -> tuple[int, int]:
    progress.update(1)
    return a + b, os.getpid()


@pytest.mark.skipif(not can_spawn(), reason="spawned workers need Linux")
def test_spawned_parts_get_their_own_arguments():
    bar = NoProgress(2, "t", "it", every=float("inf"))
    out = run_spawned(_part_sum, [(1, 2), (10, 20)], bar)
    assert [s for s, _ in out] == [3, 30]
    assert len({pid for _, pid in out} | {os.getpid()}) == 3
    assert bar.n == 2


def _warn_like_the_library(part: int, progress) -> int:
    """A part that logs a warning on a relsynth logger and has relsynth's code raise a Python
    warning (the untrained model's), the same in every worker, then an INFO line and a warning of
    code outside relsynth, which stay the worker's."""
    logging.getLogger("relsynth.synth.tabular.test").warning("rows dropped: %d", 3)
    warn_untrained(SimpleNamespace(trained=False), "TabularTrainer")
    logging.getLogger("relsynth.synth.tabular.test").info("part %d done", part)
    warnings.warn("a warning of the caller's own code", UserWarning, stacklevel=1)
    return part


def _relayed(run, caplog) -> tuple[list[str], list[str]]:
    """What `run()` (a job in workers) logged on relsynth's loggers at WARNING, and warned, in this process."""
    with caplog.at_level(logging.INFO), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run()
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("relsynth") and r.levelno >= logging.WARNING]
    return logged, [str(w.message) for w in caught]


@pytest.mark.parametrize("start", ["forked", "spawned"])
def test_relsynth_warnings_of_workers_reach_the_caller_once_per_job(start, caplog):
    """What the library warns inside a worker reaches the caller's logging and warnings, where the
    report's collector, a test's caplog or a user's filters see it: once, though two workers warned it."""
    if start == "spawned" and not can_spawn():
        pytest.skip("spawned workers need Linux")
    if start == "forked":
        job = lambda: run_forked(_warn_like_the_library, 2, silent())  # noqa: E731
    else:
        job = lambda: run_spawned(_warn_like_the_library, [(0,), (1,)], silent())  # noqa: E731
    logged, warned = _relayed(job, caplog)
    assert logged == ["rows dropped: 3"]
    assert len(warned) == 1 and "SimpleNamespace was built but neither trained nor loaded" in warned[0]
    assert not any("part 0 done" in r.getMessage() for r in caplog.records)  # INFO lines are not relayed


def test_a_worker_that_fails_still_relays_what_it_warned_before(caplog):
    def task(i, progress):
        logging.getLogger("relsynth.synth.tabular.test").warning("runaway entity cut")
        raise SchemaError("table t: no primary key")

    with caplog.at_level(logging.WARNING), pytest.raises(SchemaError):
        run_forked(task, 1, silent())
    assert [r.getMessage() for r in caplog.records if r.name.startswith("relsynth")] == ["runaway entity cut"]


@pytest.mark.skipif(not can_spawn(), reason="spawned workers need Linux")
def test_a_relayed_warning_obeys_the_callers_logger_level(caplog):
    """A spawned worker starts with logging's defaults (WARNING passes); the caller that set relsynth's
    loggers to ERROR does not get its warnings back."""
    logging.getLogger("relsynth.synth.tabular.test").setLevel(logging.ERROR)
    try:
        logged, _ = _relayed(lambda: run_spawned(_warn_like_the_library, [(0,)], silent()), caplog)
    finally:
        logging.getLogger("relsynth.synth.tabular.test").setLevel(logging.NOTSET)
    assert logged == []

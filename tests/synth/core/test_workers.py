"""Worker processes: results in order, progress counted in the parent, failures raised by name."""

from __future__ import annotations

import os

import pytest

from relsynth.synth.core.progress import NoProgress
from relsynth.synth.core.workers import can_fork, run_forked

pytestmark = pytest.mark.skipif(not can_fork(), reason="worker processes need fork")


def test_results_come_back_in_part_order_and_progress_is_counted():
    def task(i, count):
        count(i + 1)
        return {"part": i, "pid": os.getpid()}

    bar = NoProgress(6, "t", "it", every=float("inf"))
    out = run_forked(task, 3, bar)
    assert [o["part"] for o in out] == [0, 1, 2]
    assert os.getpid() not in {o["pid"] for o in out} and len({o["pid"] for o in out}) == 3
    assert bar.n == 1 + 2 + 3


def test_a_worker_that_raises_is_named_with_its_error():
    def task(i, count):
        if i == 1:
            raise ValueError("bad part")
        return i

    with pytest.raises(RuntimeError, match=r"(?s)worker 1 of 3 failed:\nValueError: bad part.*Traceback"):
        run_forked(task, 3, NoProgress(None, "t", "it", every=float("inf")))


def test_a_worker_that_dies_is_an_error_not_a_hang():
    def task(i, count):
        if i == 0:
            os._exit(3)
        return i

    with pytest.raises(RuntimeError, match=r"worker 0 of 2 died \(exit code 3\)"):
        run_forked(task, 2, NoProgress(None, "t", "it", every=float("inf")))

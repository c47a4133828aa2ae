"""torch threads: one per core other work leaves free (on 2 cores with one busy, 2 threads ran 9x slower)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import torch

from relsynth.hooks import ThreadsHook
from relsynth.synth.core import threads
from relsynth.synth.core.threads import busy_elsewhere, free_cores, use_free_cores

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture(autouse=True)
def keep_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(("busy", "expected"), [(0.0, 4), (0.3, 4), (1.0, 3), (2.6, 1), (9.0, 1), (None, 4)])
def test_free_cores_are_the_usable_ones_minus_those_busy_elsewhere(monkeypatch, busy, expected):
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(threads, "busy_elsewhere", lambda seconds: busy)
    assert free_cores() == expected


def test_use_free_cores_sets_torch_threads_and_refuses_bad_values(monkeypatch):
    assert use_free_cores(1) == 1 and torch.get_num_threads() == 1
    monkeypatch.setattr(threads, "free_cores", lambda seconds: 1)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    torch.set_num_threads(2)
    assert use_free_cores("auto") == 1 and torch.get_num_threads() == 1
    for bad in (0, -2, "many", 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            use_free_cores(bad)


@linux
def test_a_process_spinning_elsewhere_is_seen_busy():
    spin = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time() + 3\nwhile time.time() < t: pass"])
    try:
        time.sleep(0.3)  # the child is up and spinning
        busy = busy_elsewhere(0.5)
    finally:
        spin.kill()
        spin.wait()
    assert busy is not None and busy >= 0.7


def test_the_kedro_hook_reads_the_threads_parameter():
    class Catalog(dict):
        def load(self, name):
            return self[name]

    ThreadsHook().before_pipeline_run({}, None, Catalog({"params:threads": 1}))
    assert torch.get_num_threads() == 1

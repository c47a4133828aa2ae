"""train_text_models: several tables' text models trained side by side in worker processes come
out exactly as one after another with the run's threads shared out (two threads, two workers: one
each), also after this process ran torch at several threads, and a hung worker leaves them to this process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from relsynth.synth.core.workers import WorkerHung, can_spawn
from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer, trainer
from relsynth.synth.text.trainer import _cost, _shares, train_text_models

OPTIONS = {"n_steps": 6, "n_epochs": None, "batch_size": 8, "progress": False}


def _runs(data, size) -> list:
    runs = []
    for table in ("band", "song"):
        preproc = TextPreproc.from_schema_table(data.schema, table, vocab_size=300).fit(data)
        torch.manual_seed(0)
        model = TextModel.build(preproc, size=size, block_size=64)
        runs.append((model, TextDataset.from_data(data, preproc, block_size=64), dict(OPTIONS)))
    return runs


@pytest.mark.skipif(not can_spawn(), reason="worker processes need Linux")
def test_side_by_side_trains_the_models_one_after_another_would(make_songs, tiny_size) -> None:
    data = make_songs()
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = _runs(data, tiny_size)
        expected = [TextTrainer(model).train(ds, **options) for model, ds, options in alone]
    finally:
        torch.set_num_threads(threads)
    together = _runs(data, tiny_size)
    try:
        torch.set_num_threads(2)  # shared out: one thread each of the two workers
        results = train_text_models(together, workers=2)
    finally:
        torch.set_num_threads(threads)
    assert [r.n_steps for r in results] == [r.n_steps for r in expected] == [6, 6]
    assert [r.history for r in results] == [r.history for r in expected]
    for (a, _, _), (b, _, _) in zip(alone, together, strict=True):
        assert b.trained and not b.training
        assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_hooks_are_refused_before_any_work(make_songs, tiny_size) -> None:
    runs = _runs(make_songs(n_bands=4), tiny_size)
    runs[0][2]["hooks"] = [object()]
    with pytest.raises(ValueError, match="train without hooks and read the result's history"):
        train_text_models(runs, workers=2)


def test_runs_are_shared_out_longest_first() -> None:
    assert _shares([5.0, 1.0, 2.0, 3.0], 2) == [[0, 1], [2, 3]]  # 5 + 1 beside 3 + 2
    assert _shares([6.0, 1.0, 1.0, 1.0], 2) == [[0], [1, 2, 3]]


class Windows:
    """What `_cost` reads of a dataset: `n` windows of `length` tokens."""

    def __init__(self, n: int, length: int) -> None:
        self.lengths = np.full(n, length)

    def __len__(self) -> int:
        return len(self.lengths)


def test_a_run_costs_the_steps_it_trains_so_the_longest_runs_go_to_different_workers() -> None:
    auto = {"n_epochs": "auto", "n_steps": None, "batch_size": 32}
    # 2,700 texts: 8 epochs of 85 steps; 8,000: 44,000 texts' worth (5.5 epochs of 250); 1,000: min_steps (300)
    costs = [_cost(Windows(n, 20), auto) for n in (2_700, 8_000, 1_000, 1_000)]
    assert costs == [680 * 32 * 20, 1_375 * 32 * 20, 300 * 32 * 20, 300 * 32 * 20]
    assert _shares(costs, 2) == [[1], [0, 2, 3]]  # 1,375 steps beside 1,280, not 1,675 beside 980
    assert _cost(Windows(100, 20), {"n_epochs": None, "n_steps": 50, "batch_size": 32}) == 50 * 32 * 20
    assert _cost(Windows(1_000, 20), {"n_epochs": 12, "n_steps": None, "batch_size": 32}) == 12 * 32 * 32 * 20


class ThreadsSeen(TextDataset):
    """A dataset that fails a batch collated at another torch thread count than `expected`."""

    expected = 0

    def collate(self, indices, pack=False):
        if torch.get_num_threads() != self.expected:
            raise AssertionError(f"trained at {torch.get_num_threads()} thread(s), not {self.expected}")
        return super().collate(indices, pack)


@pytest.mark.slow  # spawned workers (two threads each): an import of torch each, ~30 s under load
@pytest.mark.skipif(not can_spawn(), reason="worker processes need Linux")
def test_the_run_threads_are_shared_among_the_workers(make_songs, tiny_size) -> None:
    """Four threads, two tables: each worker trains at two (a bigger model on a bigger machine
    keeps the threads it had one table after another)."""
    runs = _runs(make_songs(n_bands=4), tiny_size)
    for _, dataset, options in runs:
        dataset.__class__ = ThreadsSeen
        dataset.expected = 2
        options["n_steps"] = 2
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(4)
        assert [r.n_steps for r in train_text_models(runs)] == [2, 2]
    finally:
        torch.set_num_threads(threads)


AFTER_A_TEAM = """
import sys, torch
sys.path.insert(0, {here!r})
from conftest import TINY, make_songs
from test_text_trainer_together import OPTIONS
from relsynth.synth.text import TextDataset, TextModel, TextPreproc
from relsynth.synth.text.trainer import train_text_models
torch.set_num_threads(2)
torch.randn(4_000_000).exp()  # an OpenMP team of two threads in this process
data = make_songs(n_bands=4)
for threads in (2, 4):  # two workers: one thread each (forked), two each (spawned)
    runs = []
    for table in ("band", "song"):
        preproc = TextPreproc.from_schema_table(data.schema, table, vocab_size=300).fit(data)
        model = TextModel.build(preproc, size=TINY, block_size=64)
        runs.append((model, TextDataset.from_data(data, preproc, block_size=64), dict(OPTIONS, n_steps=2)))
    torch.set_num_threads(threads)
    print(threads, [r.n_steps for r in train_text_models(runs, workers=2)], flush=True)
"""


@pytest.mark.slow
@pytest.mark.skipif(not can_spawn(), reason="worker processes need Linux")
def test_workers_train_after_this_process_ran_an_openmp_team(tmp_path) -> None:
    """libgomp is not fork-safe: a worker forked after this process ran an OpenMP team of two
    threads hung for ever at the barrier of its own first team of two (f04dc0d's two threads a
    worker, in a pytest process whose earlier tests ran torch at two threads). The script has no
    `__main__` guard either: spawned workers must not run it again."""
    script = tmp_path / "after_a_team.py"
    script.write_text(AFTER_A_TEAM.format(here=str(Path(__file__).parent)))
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=_env_without_omp()
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:2] == ["2 [2, 2]", "4 [2, 2]"]


def _env_without_omp() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}  # the script sets its threads
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    return env


def test_a_hung_worker_falls_back_to_one_after_another(make_songs, tiny_size, monkeypatch, caplog) -> None:
    """A worker the watchdog finds hung leaves the models to this process, trained as alone."""
    data = make_songs(n_bands=4)
    alone = _runs(data, tiny_size)
    for model, ds, options in alone:
        TextTrainer(model).train(ds, **options)

    def hang(parts, bar):
        raise WorkerHung("worker 0 of 2 used no CPU for 30 s without a result")

    monkeypatch.setattr(trainer, "_run_parts", hang)
    together = _runs(data, tiny_size)
    with caplog.at_level(logging.WARNING, logger=trainer.__name__):
        assert [r.n_steps for r in train_text_models(together, workers=2)] == [6, 6]
    assert "one after another in this process" in caplog.text
    for (a, _, _), (b, _, _) in zip(alone, together, strict=True):
        assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())

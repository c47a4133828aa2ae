"""Progress: a tqdm bar on a terminal only; elsewhere periodic log lines and no carriage returns."""

from __future__ import annotations

import io
import logging

import pytest
import torch
from tqdm import tqdm

from relsynth.relational import progress as progress_module
from relsynth.relational.progress import LogProgress, NoProgress, duration, progress
from relsynth.synth import TabularDataset, TabularModel, TabularTrainer, Trainer

LOGGER = "relsynth.relational.progress"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def every_call(monkeypatch):
    """Log a line at every update instead of every LOG_EVERY_S seconds (the loops here take ~1 s)."""
    monkeypatch.setattr(progress_module, "LOG_EVERY_S", 0.0)


def _lines(caplog, prefix: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.getMessage().startswith(prefix)]


def test_a_terminal_gets_a_bar_anything_else_log_lines(monkeypatch):
    monkeypatch.setattr("sys.stderr", _Terminal())
    assert isinstance(progress(10, "x", "rows"), tqdm)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert isinstance(progress(10, "x", "rows"), LogProgress)
    assert isinstance(progress(10, "x", "rows", show=True), tqdm)
    assert isinstance(progress(10, "x", "rows", show=False), NoProgress)


def test_a_bar_on_a_terminal_draws_with_carriage_returns(monkeypatch):
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    with progress(10, "x", "rows") as bar:
        bar.update(10)
    assert "\r" in term.getvalue()


def test_log_lines_say_counts_rate_and_eta_at_most_every_interval(caplog, monkeypatch):
    clock = iter([0.0, 1.0, 20.0, 21.0, 40.0])  # start, update (too soon), update, update (too soon), close
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(clock))
    bar = LogProgress(100, "encode", "rows", every=15.0)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        bar.update(10)
        bar.update(30)  # 40 rows in 20 s: 2/s, 60 left: eta 30 s
        bar.set_postfix({"loss": "0.5"}, refresh=False)
        bar.update(10)
        bar.close()  # 50 rows in 40 s
    assert _lines(caplog, "encode") == [
        "encode: 40/100 rows (2/s, eta 30 s)",
        "encode: 50/100 rows (in 40 s, 1.25/s) loss=0.5",
    ]


def test_a_short_loop_logs_nothing_and_no_progress_says_nothing(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        with LogProgress(5, "short", "rows", every=15.0) as bar:
            bar.update(5)
        with NoProgress(5, "silent", "rows", every=0.0) as quiet:
            quiet.update(5)
    assert caplog.records == []


def test_durations_read_as_a_person_writes_them():
    assert [duration(s) for s in (2.34, 42, 185, 3725)] == ["2.3 s", "42 s", "3 min 05 s", "1 h 02 min"]


def test_generating_1000_roots_off_a_terminal_logs_lines_and_no_carriage_return(
    shop_preproc, tiny_size, capfd, caplog, every_call
):
    torch.manual_seed(0)
    model = TabularModel.build(shop_preproc, size=tiny_size)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        model.generate(1000, seed=0)
    err = capfd.readouterr().err
    assert "\r" not in err and "generate" not in err
    lines = _lines(caplog, "generate: ")
    assert lines and "entities" in lines[0] and "eta" in lines[0]
    assert "entities (in " in lines[-1]  # the closing line


def test_training_off_a_terminal_logs_steps_with_the_loss(shop, shop_preproc, tiny_size, capfd, caplog, every_call):
    torch.manual_seed(0)
    model = TabularModel.build(shop_preproc, size=tiny_size)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        Trainer(model).train(TabularDataset.from_data(shop, shop_preproc), n_steps=4, batch_size=8, lr=1e-3)
    assert "\r" not in capfd.readouterr().err
    lines = _lines(caplog, "train: ")
    assert lines and "/4 steps" in lines[0] and "loss=" in lines[0]


def test_progress_false_trains_silently(shop, shop_preproc, tiny_size, caplog, every_call):
    model = TabularModel.build(shop_preproc, size=tiny_size)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        Trainer(model).train(
            TabularDataset.from_data(shop, shop_preproc), n_steps=2, batch_size=8, lr=1e-3, progress=False
        )
    assert _lines(caplog, "train: ") == []


def test_the_count_calibration_after_training_says_its_progress_too(shop, shop_preproc, tiny_size, caplog, every_call):
    # TPC-H sf 0.01: 200 training steps took 48 s, then the calibration's pass over 6,244 samples
    # 36 s more without a line in the log
    model = TabularModel.build(shop_preproc, size=tiny_size)
    ds = TabularDataset.from_data(shop, shop_preproc)
    with caplog.at_level(logging.INFO, logger=LOGGER):
        TabularTrainer(model).train(ds, n_steps=2, batch_size=8, lr=1e-3)
    lines = _lines(caplog, "calibrate counts: ")
    assert lines and f"/{len(ds)} samples" in lines[0]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        TabularTrainer(model).train(ds, n_steps=2, batch_size=8, lr=1e-3, progress=False)
    assert _lines(caplog, "calibrate counts: ") == []

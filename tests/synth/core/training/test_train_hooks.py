"""Training hooks: when they fire, cleanup after errors, metrics and TensorBoard."""

from __future__ import annotations

import pytest
from train_helpers import BATCH, Counting, Crash

from relsynth.synth import MetricsHook, Trainer, Validation
from relsynth.synth.core.training import hooks


# ---- hooks -------------------------------------------------------------------------------------
def test_step_hook_fires_every_each_steps(ds, make_model):
    hook = Counting(each=3, trigger="step")
    Trainer(make_model()).train(ds, n_steps=10, batch_size=BATCH, lr=1e-3, hooks=[hook])
    assert hook.calls == [(3, 3), (6, 6), (9, 9)]
    assert hook.setups == 1 and hook.statuses == [True]


def test_epoch_hook_fires_at_epoch_ends(ds, make_model):
    every, second = Counting(trigger="epoch"), Counting(each=2, trigger="epoch")
    Trainer(make_model()).train(ds, n_epochs=3, batch_size=BATCH, lr=1e-3, hooks=[every, second])
    assert every.calls == [(1, 7), (2, 14), (3, 21)]
    assert second.calls == [(2, 14)]


def test_hooks_are_cleaned_up_after_an_error(ds, make_model):
    hook = Counting()
    with pytest.raises(RuntimeError, match="crash at step 2"):
        Trainer(make_model()).train(ds, n_steps=5, batch_size=BATCH, lr=1e-3, hooks=[hook, Crash(2)])
    assert hook.statuses == [False]


def test_metrics_hook_hands_over_each_record_once(ds, make_model):
    records = []
    trainer = Trainer(make_model())
    result = trainer.train(ds, n_epochs=3, batch_size=BATCH, lr=1e-3, hooks=[MetricsHook(records.append)])
    assert records == result.history and len(records) == 3
    assert [r["epoch"] for r in records] == [1, 2, 3]


def test_hook_options_are_checked():
    with pytest.raises(ValueError, match="each"):
        Counting(each=0)
    with pytest.raises(ValueError, match="trigger"):
        Counting(trigger="batch")
    with pytest.raises(ValueError, match="trigger"):
        Validation(dataset=None, trigger="batch")
    with pytest.raises(ValueError, match="early_stop mode"):
        Validation(dataset=None, early_stop="eager")


class _FakeWriter:
    """Stands in for torch's SummaryWriter: records the scalars."""

    instances: list = []

    def __init__(self, log_dir: str):
        self.log_dir, self.scalars, self.closed = log_dir, [], False
        _FakeWriter.instances.append(self)

    def add_scalar(self, key: str, value: float, global_step: int) -> None:
        self.scalars.append((key, global_step, value))

    def close(self) -> None:
        self.closed = True


def test_tensorboard_gets_each_validation_record(tmp_path, monkeypatch, ds, make_model):

    monkeypatch.setattr(hooks, "tensorboard_writer", lambda: _FakeWriter)
    _FakeWriter.instances.clear()
    valid = Validation(ds, tensorboard=tmp_path / "tb")
    result = Trainer(make_model()).train(ds, n_epochs=2, batch_size=BATCH, lr=1e-3, valid=valid)
    (writer,) = _FakeWriter.instances
    assert writer.log_dir == str(tmp_path / "tb") and writer.closed
    logged = {(k, s) for k, s, _ in writer.scalars}
    for record in result.history:
        assert {("valid_loss", record["step"]), ("train_loss", record["step"]), ("lr", record["step"])} <= logged


def test_tensorboard_without_the_package_is_a_clear_error_before_training(monkeypatch, ds):
    import builtins

    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError("No module named 'tensorboard'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(ImportError, match="pip install tensorboard"):
        Validation(ds, tensorboard="runs")

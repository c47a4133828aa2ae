"""The training loop: arguments, batch size rule, learning rate, hooks, validation, resume, DDP."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

from relsynth.synth import (
    CheckpointHook,
    EarlyStop,
    LrSchedule,
    MetricsHook,
    TabularDataset,
    TabularModel,
    TabularPreproc,
    TabularTrainer,
    Trainer,
    TrainHook,
    Validation,
)
from relsynth.synth.training import choose_batch_size

BATCH = 8  # 52 samples -> 7 batches per epoch


@pytest.fixture(scope="module")
def ds(shop, shop_preproc) -> TabularDataset:
    return TabularDataset.from_data(shop, shop_preproc)


@pytest.fixture
def make_model(shop_preproc, tiny_size):
    def make(block: str = "free") -> TabularModel:
        torch.manual_seed(0)
        return TabularModel.build(shop_preproc, size=tiny_size, block=block)

    return make


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


class Counting(TrainHook):
    def __init__(self, each: int = 1, trigger: str = "step"):
        super().__init__(each=each, trigger=trigger)
        self.calls: list[tuple[int, int]] = []
        self.setups, self.statuses = 0, []

    def _setup(self) -> None:
        self.setups += 1

    def _hook(self, n: int) -> None:
        self.calls.append((n, self.trainer.step))

    def _cleanup(self) -> None:
        self.statuses.append(self.hook_status)


class Crash(TrainHook):
    def __init__(self, at_step: int):
        super().__init__(each=1, trigger="step")
        self.at_step = at_step

    def _hook(self, n: int) -> None:
        if self.trainer.step == self.at_step:
            raise RuntimeError(f"crash at step {self.at_step}")


# ---- arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 8}, "exactly one of n_epochs and n_steps"),
        ({"n_epochs": 1, "n_steps": 3, "batch_size": 8}, "exactly one of n_epochs and n_steps"),
        ({"n_steps": 3}, "exactly one of batch_size and memory"),
        ({"n_steps": 3, "batch_size": 8, "memory": 100}, "exactly one of batch_size and memory"),
        ({"n_steps": 0, "batch_size": 8}, "n_steps must be a positive integer"),
        ({"n_steps": 3, "memory": -1}, "memory must be positive"),
        ({"n_steps": 3, "batch_size": 8, "dp_step": object()}, "dp_budget"),
        ({"n_steps": 3, "batch_size": 8, "world_size": 100_000}, "world_size=100000 but only"),
    ],
)
def test_bad_arguments_are_clear_errors(ds, make_model, kwargs, match):
    model = make_model()
    before = _state(model)
    with pytest.raises(ValueError, match=match):
        Trainer(model).train(ds, lr=1e-3, **kwargs)
    _assert_same_state(before, _state(model))


# ---- batch size --------------------------------------------------------------------------------
def _fake_peak(b: int) -> float:
    """A deterministic step peak: 20 MB plus 3 MB per sample."""
    return 20.0 + 3.0 * b


@pytest.mark.parametrize("n_samples", [30, 500, 5_000, 100_000])
def test_choose_batch_size_rule(n_samples):
    previous = 0
    for memory in np.linspace(23, 2000, 60):
        b = choose_batch_size(n_samples, memory, _fake_peak)
        assert b & (b - 1) == 0 and 1 <= b <= 256, b
        assert _fake_peak(b) <= memory
        if n_samples >= 50:
            assert n_samples // b >= 50, "fewer than 50 steps per epoch"
        assert b >= previous, "more memory gave a smaller batch"
        previous = b
        bigger = 2 * b  # the rule picks the largest size that satisfies it
        assert bigger > 256 or n_samples // bigger < 50 or _fake_peak(bigger) > memory


def test_choose_batch_size_examples():
    assert choose_batch_size(100_000, 10_000, _fake_peak) == 256
    assert choose_batch_size(100_000, 120, _fake_peak) == 32  # 20 + 3*32 = 116 <= 120
    assert choose_batch_size(1_000, 10_000, _fake_peak) == 16  # 1000 // 16 = 62 steps >= 50
    with pytest.raises(MemoryError, match="batch size 1"):
        choose_batch_size(1_000, 10, _fake_peak)


def test_find_batch_size_measures_real_steps(make_shop, tiny_size):
    data = make_shop(n_customers=400, n_suppliers=12, seed=1)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    big = TabularDataset.from_data(data, pre)
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    before = _state(model)
    b = Trainer(model).find_batch_size(big, memory=10_000)
    assert b == 2 ** int(math.log2(len(big) // 50))  # plenty of memory: the steps-per-epoch limit decides
    _assert_same_state(before, _state(model))
    result = Trainer(model).train(big, n_steps=1, memory=10_000, lr=1e-3)
    assert result.batch_size == b


# ---- learning rate -----------------------------------------------------------------------------
def test_lr_none_runs_the_range_test_and_leaves_the_model_untouched(ds, make_model):
    model = make_model()
    before = _state(model)
    rng_before = torch.get_rng_state()
    lr = Trainer(model).find_lr(ds, BATCH)
    assert 1e-4 <= lr <= 1e-2
    _assert_same_state(before, _state(model))
    assert torch.equal(rng_before, torch.get_rng_state())
    result = Trainer(model).train(ds, n_steps=1, batch_size=BATCH, lr=None)
    assert result.lr == lr


# ---- training ----------------------------------------------------------------------------------
@pytest.mark.parametrize("block", ["free", "lstm"])
def test_training_lowers_the_loss(ds, make_model, block):
    model = make_model(block)
    trainer = TabularTrainer(model)
    before = trainer.evaluate(ds)
    result = trainer.train(ds, n_epochs=12, batch_size=BATCH, lr=1e-2)
    after = trainer.evaluate(ds)
    assert after < 0.8 * before, (before, after)
    assert result.n_steps == 12 * 7 and result.n_epochs == 12
    assert all(math.isfinite(r["train_loss"]) for r in result.history)
    assert not model.training


def test_training_is_deterministic_given_a_seed(ds, make_model):
    states = []
    for seed in (1, 1, 2):
        model = make_model()
        Trainer(model).train(ds, n_steps=10, batch_size=BATCH, lr=1e-2, seed=seed)
        states.append(_state(model))
    _assert_same_state(states[0], states[1])
    assert not torch.equal(states[0]["head.weight"], states[2]["head.weight"])


def test_accumulate_grad_counts_optimizer_steps(ds, make_model):
    result = Trainer(make_model()).train(ds, n_epochs=2, batch_size=BATCH, lr=1e-3, accumulate_grad=3)
    assert result.n_steps == 2 * math.ceil(7 / 3)


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


# ---- validation --------------------------------------------------------------------------------
class Snapshots(TrainHook):
    """The weights after every step."""

    def __init__(self):
        super().__init__(each=1, trigger="step")
        self.states: dict[int, dict] = {}

    def _hook(self, n: int) -> None:
        self.states[self.trainer.step] = _state(self.trainer.model)


def _fake_validation(trainer: Trainer, losses: list[float]) -> None:
    it = iter(losses)
    trainer.evaluate = lambda dataset, batch_size=64: next(it)


def test_early_stop_stops_and_restores_the_best_weights(tmp_path, ds, make_model):
    model = make_model()
    trainer = Trainer(model)
    _fake_validation(trainer, [3.0, 2.0, 1.0, 1.5, 1.6, 1.7, 1.8, 1.9])
    snaps = Snapshots()
    valid = Validation(ds, each=1, trigger="step", early_stop=EarlyStop(patience=2), save_best=tmp_path / "best.pt")
    result = trainer.train(ds, n_steps=20, batch_size=BATCH, lr=5e-2, valid=valid, hooks=[snaps])
    assert result.stopped_early and result.n_steps == 5
    assert result.best_valid_loss == 1.0
    assert [r["valid_loss"] for r in result.history] == [3.0, 2.0, 1.0, 1.5, 1.6]
    assert not torch.equal(snaps.states[5]["head.weight"], snaps.states[3]["head.weight"])
    _assert_same_state(snaps.states[3], _state(model))
    saved = torch.load(tmp_path / "best.pt", weights_only=True)
    assert saved["best_valid_loss"] == 1.0
    _assert_same_state(snaps.states[3], saved["model"])


def test_early_stop_on_a_real_diverging_run(shop, shop_preproc, ds, make_model):
    """A far too high rate makes the validation loss go up: training stops before n_epochs."""
    model = make_model()
    valid = Validation(ds, each=1, trigger="epoch", early_stop="quick")
    result = Trainer(model).train(ds, n_epochs=30, batch_size=BATCH, lr=3.0, valid=valid, lr_decay="none")
    assert result.stopped_early and result.n_epochs < 30
    best = min(r["valid_loss"] for r in result.history)
    assert result.best_valid_loss == best
    assert Trainer(model).evaluate(ds, batch_size=32) == pytest.approx(best, rel=1e-5)  # as validation did


def test_lr_schedule_reduces_the_rate_on_a_plateau(ds, make_model):
    trainer = Trainer(make_model())
    _fake_validation(trainer, [1.0] * 10)
    valid = Validation(ds, each=1, trigger="step", lr_schedule=LrSchedule(factor=0.5, patience=1))
    result = trainer.train(ds, n_steps=8, batch_size=BATCH, lr=1e-2, valid=valid)
    rates = [r["lr"] for r in result.history]
    assert rates[-1] < rates[0] and min(rates) >= 1e-2 * 0.01
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False))


# ---- checkpoints -------------------------------------------------------------------------------
def test_resume_after_a_crash_ends_with_the_weights_of_an_uninterrupted_run(tmp_path, ds, make_model):
    kw = dict(n_steps=16, batch_size=BATCH, lr=1e-2, seed=3)  # crosses two epoch ends
    straight = make_model()
    Trainer(straight).train(ds, **kw)

    ckpt = tmp_path / "ckpt" / "last.pt"
    crashed = make_model()
    with pytest.raises(RuntimeError, match="crash at step 9"):
        Trainer(crashed).train(ds, hooks=[CheckpointHook(ckpt, each=1, trigger="step"), Crash(9)], **kw)
    assert ckpt.is_file() and not list(ckpt.parent.glob("*.tmp"))

    resumed = make_model()  # a fresh process: same architecture, initial weights
    steps = Counting()
    result = Trainer(resumed).train(ds, resume=ckpt, hooks=[steps], **kw)
    assert result.n_steps == 16 and len(steps.calls) == 16 - 9
    _assert_same_state(_state(straight), _state(resumed))


def test_hooks_keep_their_steps_after_a_resume(tmp_path, ds, make_model):
    ckpt = tmp_path / "last.pt"
    kw = dict(n_steps=16, batch_size=BATCH, lr=1e-2)
    with pytest.raises(RuntimeError, match="crash at step 8"):
        Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step"), Crash(8)], **kw)
    every_third, per_epoch = Counting(each=3), Counting(trigger="epoch")
    Trainer(make_model()).train(ds, resume=ckpt, hooks=[every_third, per_epoch], **kw)
    assert every_third.calls == [(9, 9), (12, 12), (15, 15)]
    assert per_epoch.calls == [(2, 14)]


def test_resume_from_a_missing_checkpoint_is_an_error(tmp_path, ds, make_model):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        Trainer(make_model()).train(ds, n_steps=2, batch_size=BATCH, lr=1e-3, resume=tmp_path / "none.pt")


# ---- distributed -------------------------------------------------------------------------------
@pytest.mark.slow
def test_world_size_two_on_cpu_trains(ds, make_model):
    model = make_model()
    before = _state(model)
    started = time.perf_counter()
    result = Trainer(model).train(ds, n_steps=4, batch_size=BATCH, lr=1e-2, world_size=2)
    assert result.n_steps == 4
    assert all(math.isfinite(r["train_loss"]) for r in result.history)
    assert not torch.equal(before["head.weight"], model.state_dict()["head.weight"])
    assert math.isfinite(Trainer(model).evaluate(ds))
    print(f"world_size=2 took {time.perf_counter() - started:.1f} s")


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
    from relsynth.synth import hooks

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

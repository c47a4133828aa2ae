"""The training loop: arguments, training, accumulation, validation, early stopping."""

from __future__ import annotations

import math

import pytest
import torch
from train_helpers import BATCH, assert_same_state, state_of

from relsynth.synth import (
    EarlyStop,
    LrSchedule,
    NonFiniteLoss,
    TabularDataset,
    TabularPreproc,
    TabularTrainer,
    Trainer,
    TrainHook,
    Validation,
)
from relsynth.synth.core.training import config, strategy


# ---- arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 8}, "exactly one of n_epochs and n_steps"),
        (
            {"n_epochs": 1, "n_steps": 3, "batch_size": 8},
            r"exactly one of n_epochs and n_steps.*got n_epochs=1, n_steps=3",
        ),
        ({"n_steps": 3}, "exactly one of batch_size and memory"),
        ({"n_steps": 3, "batch_size": 8, "memory": 100}, "exactly one of batch_size and memory"),
        ({"n_steps": 0, "batch_size": 8}, "n_steps must be a positive integer"),
        ({"n_steps": 3, "memory": -1}, "memory must be a positive, finite"),
        ({"n_steps": 3, "memory": float("nan")}, "memory must be a positive, finite"),
        ({"n_steps": 3, "batch_size": 8, "lr": 0.0}, "lr must be a positive, finite"),
        ({"n_steps": 3, "batch_size": 8, "lr": float("inf")}, "lr must be a positive, finite"),
        ({"n_steps": 3, "batch_size": 8, "lr_decay": "linear"}, "lr_decay must be one of"),
        ({"n_steps": 3, "batch_size": 8, "accumulate_grad": 0}, "accumulate_grad must be a positive integer"),
        ({"n_steps": 3.5, "batch_size": 8}, "n_steps must be a positive integer"),
        ({"n_epochs": "many", "batch_size": 8}, 'n_epochs must be a positive integer or "auto"'),
        ({"n_steps": 3, "batch_size": 8, "dp_step": object()}, "dp_budget"),
        ({"n_steps": 3, "batch_size": 8, "world_size": 100_000}, "world_size=100000 but only"),
    ],
)
def test_bad_arguments_are_clear_errors(ds, make_model, kwargs, match):
    model = make_model()
    before = state_of(model)
    with pytest.raises(ValueError, match=match):
        Trainer(model).train(ds, **{"lr": 1e-3, **kwargs})
    assert_same_state(before, state_of(model))


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
        states.append(state_of(model))
    assert_same_state(states[0], states[1])
    assert not torch.equal(states[0]["head.weight"], states[2]["head.weight"])


def test_accumulate_grad_counts_optimizer_steps(ds, make_model):
    result = Trainer(make_model()).train(ds, n_epochs=2, batch_size=BATCH, lr=1e-3, accumulate_grad=3)
    assert result.n_steps == 2 * math.ceil(7 / 3)


@pytest.mark.parametrize(
    ("n_samples", "epochs"),
    [(100, 60), (1_000, 16), (16_000, 1), (1_000_000, 1)],  # small: capped; large: one pass, never less
)
def test_auto_epochs_follow_the_data_size(n_samples, epochs):
    steps_per_epoch = math.ceil(n_samples / 16)
    assert config.AutoEpochs().steps(n_samples, steps_per_epoch) == math.ceil(epochs * steps_per_epoch)


@pytest.mark.parametrize("n_epochs", [2, "auto"])
def test_min_steps_lifts_a_run_in_epochs_not_one_in_steps(monkeypatch, ds, make_model, n_epochs):
    monkeypatch.setattr(Trainer, "auto_epochs", config.AutoEpochs(samples=2 * len(ds)))
    monkeypatch.setattr(Trainer, "min_steps", 5 * 7)  # 2 epochs of 7 steps are 14
    assert Trainer(make_model()).train(ds, n_epochs=n_epochs, batch_size=BATCH, lr=1e-3).n_steps == 5 * 7
    assert Trainer(make_model()).train(ds, n_steps=3, batch_size=BATCH, lr=1e-3).n_steps == 3  # steps as asked
    monkeypatch.setattr(Trainer, "min_steps", 10)  # below the epochs' steps: no change
    assert Trainer(make_model()).train(ds, n_epochs=n_epochs, batch_size=BATCH, lr=1e-3).n_steps == 2 * 7


def test_n_epochs_auto_trains_the_steps_the_data_size_asks_for(monkeypatch, ds, make_model):
    monkeypatch.setattr(Trainer, "auto_epochs", config.AutoEpochs(samples=3 * len(ds)))
    result = Trainer(make_model()).train(ds, n_epochs="auto", batch_size=BATCH, lr=1e-3)
    assert result.n_steps == 3 * 7 and result.n_epochs == 3


# ---- validation --------------------------------------------------------------------------------
class Snapshots(TrainHook):
    """The weights after every step."""

    def __init__(self):
        super().__init__(each=1, trigger="step")
        self.states: dict[int, dict] = {}

    def _hook(self, n: int) -> None:
        self.states[self.trainer.step] = state_of(self.trainer.model)


def _fake_validation(monkeypatch, losses: list[float]) -> None:
    """Validation losses as given, in order (the plain strategy's evaluate is replaced)."""
    it = iter(losses)
    monkeypatch.setattr(strategy, "evaluate", lambda model, dataset, batch_size=64, **options: next(it))


def test_early_stop_stops_and_restores_the_best_weights(tmp_path, monkeypatch, ds, make_model):
    model = make_model()
    trainer = Trainer(model)
    _fake_validation(monkeypatch, [3.0, 2.0, 1.0, 1.5, 1.6, 1.7, 1.8, 1.9])
    snaps = Snapshots()
    valid = Validation(ds, each=1, trigger="step", early_stop=EarlyStop(patience=2), save_best=tmp_path / "best.pt")
    result = trainer.train(ds, n_steps=20, batch_size=BATCH, lr=5e-2, valid=valid, hooks=[snaps])
    assert result.stopped_early and result.n_steps == 5
    assert result.best_valid_loss == 1.0
    assert [r["valid_loss"] for r in result.history] == [3.0, 2.0, 1.0, 1.5, 1.6]
    assert not torch.equal(snaps.states[5]["head.weight"], snaps.states[3]["head.weight"])
    assert_same_state(snaps.states[3], state_of(model))
    saved = torch.load(tmp_path / "best.pt", weights_only=True)
    assert saved["best_valid_loss"] == 1.0
    assert_same_state(snaps.states[3], saved["model"])


def test_early_stop_on_a_real_diverging_run(shop, shop_preproc, ds, make_model):
    """A far too high rate makes the validation loss go up: training stops before n_epochs."""
    model = make_model()
    valid = Validation(ds, each=1, trigger="epoch", early_stop="quick")
    result = Trainer(model).train(ds, n_epochs=30, batch_size=BATCH, lr=3.0, valid=valid, lr_decay="none")
    assert result.stopped_early and result.n_epochs < 30
    best = min(r["valid_loss"] for r in result.history)
    assert result.best_valid_loss == best
    assert Trainer(model).evaluate(ds, batch_size=32) == pytest.approx(best, rel=1e-5)  # as validation did


@pytest.mark.parametrize(
    ("n_steps", "validated_at"),
    [
        (70, list(range(4, 71, 4))),  # every ceil(70 / 20) = 4 steps
        (14, list(range(2, 15, 2))),  # at most 4 an epoch: every ceil(7 / 4) = 2 steps
        (280, list(range(7, 281, 7))),  # at most one an epoch: each epoch
    ],
)
def test_auto_validation_runs_about_twenty_times_a_run_one_to_four_times_an_epoch(
    monkeypatch, ds, make_model, n_steps, validated_at
):
    _fake_validation(monkeypatch, [1.0] * 100)
    valid = Validation(ds, trigger="auto")
    result = Trainer(make_model()).train(ds, n_steps=n_steps, batch_size=BATCH, lr=1e-3, valid=valid)
    assert [r["step"] for r in result.history if "valid_loss" in r] == validated_at  # 7 steps an epoch
    assert valid.trigger == "auto"  # the caller's object is left as given


def test_auto_validation_takes_no_interval():
    with pytest.raises(ValueError, match="chooses the interval itself"):
        Validation(None, each=5, trigger="auto")


def test_lr_schedule_reduces_the_rate_on_a_plateau(monkeypatch, ds, make_model):
    trainer = Trainer(make_model())
    _fake_validation(monkeypatch, [1.0] * 10)
    valid = Validation(ds, each=1, trigger="step", lr_schedule=LrSchedule(factor=0.5, patience=1))
    result = trainer.train(ds, n_steps=8, batch_size=BATCH, lr=1e-2, valid=valid)
    rates = [r["lr"] for r in result.history]
    assert rates[-1] < rates[0] and min(rates) >= 1e-2 * 0.01
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False))


def test_a_non_finite_loss_stops_training_naming_the_step_and_keeps_the_weights(ds, make_model):
    """The error is NonFiniteLoss, caught by its public name (and as the FloatingPointError it was)."""
    model = make_model()
    with pytest.raises(NonFiniteLoss, match=r"training stopped at step \d+ .*the loss is (nan|inf)") as err:
        Trainer(model).train(ds, n_steps=20, batch_size=BATCH, lr=1e30, lr_decay="none")
    assert "Lower the learning rate" in str(err.value)
    assert all(torch.isfinite(p).all() for p in model.parameters())  # the step that failed was not applied


def test_datasets_encoded_by_another_preprocessor_are_refused_before_any_work(make_shop, ds, make_model):
    other_data = make_shop(n_customers=30, n_suppliers=5, seed=9)
    other = TabularDataset.from_data(other_data, TabularPreproc.from_schema(other_data.schema).fit(other_data))
    with pytest.raises(ValueError, match="valid.dataset was encoded with another preprocessor"):
        Trainer(make_model()).train(ds, n_epochs=1, batch_size=BATCH, lr=1e-3, valid=Validation(other))
    with pytest.raises(ValueError, match="dataset was encoded with another preprocessor"):
        Trainer(make_model()).train(other, n_epochs=1, batch_size=BATCH, lr=1e-3)

"""Differential privacy: budget never exceeded, exact per-sample gradients, the errors, a DP fit
that never replays a value seen once."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from shop_data import RARE_SEGMENTS, make_shop

from relsynth.relational import RelationalData, Schema
from relsynth.synth import (
    DpBudget,
    DpStep,
    DpValid,
    TabularDataset,
    TabularModel,
    TabularPreproc,
    TabularTrainer,
    Validation,
)
from relsynth.synth.core.training.accounting import calibrate_noise, epsilon_of
from relsynth.synth.tabular import truncate_children

BUDGET = DpBudget(epsilon=8.0, delta=1e-5, preproc_share=0.1)


@pytest.fixture(scope="module")
def people() -> RelationalData:
    """One table of 2,000 customers (one row per entity): 'platinum' once, 'diamond' twice."""
    shop = make_shop(n_customers=2000, seed=3)
    return RelationalData({"customer": shop["customer"]}, Schema(customer=shop.schema.tables["customer"]))


@pytest.fixture(scope="module")
def dp_preproc(people):
    return TabularPreproc.from_schema(people.schema, min_count=1).fit(people, dp=BUDGET)


@pytest.fixture(scope="module")
def dp_ds(people, dp_preproc):
    return TabularDataset.from_data(people, dp_preproc)


def _model(preproc, tiny_size, block="free"):
    torch.manual_seed(0)
    return TabularModel.build(preproc, size=tiny_size, block=block)


# ---- accounting ------------------------------------------------------------------------------
@pytest.mark.slow  # measured > 5 s (pytest --durations)
@pytest.mark.parametrize(
    ("eps", "delta", "epochs", "batch", "noise", "accountant"),
    [
        (1.0, 1e-5, 2, 64, None, "rdp"),
        (8.0, 1e-6, 1, 128, None, "rdp"),
        (3.0, 1e-5, 3, 32, 0.8, "rdp"),  # fixed noise: stops before the budget is exceeded
        (3.0, 1e-5, 1, 64, None, "prv"),
    ],
)
def test_epsilon_spent_never_exceeds_the_budget(people, dp_ds, tiny_size, eps, delta, epochs, batch, noise, accountant):
    budget = DpBudget(eps, delta, accountant=accountant, preproc_share=0.1)
    pre = TabularPreproc.from_schema(people.schema).fit(people, dp=budget)
    ds = TabularDataset.from_data(people, pre)
    trainer = TabularTrainer(_model(pre, tiny_size), dp_budget=budget)
    result = trainer.train(ds, n_epochs=epochs, batch_size=batch, lr=3e-3, dp_step=DpStep(noise_multiplier=noise))
    asked = epochs * int(np.ceil(len(ds) / batch))
    assert result.epsilon is not None and result.epsilon <= eps + 1e-9
    assert result.delta == delta and result.accountant == accountant
    assert result.count_calibration is None  # one table: no DP child-count histogram to calibrate to
    if noise is None:  # calibrated: the whole budget, all the steps
        assert result.n_steps == asked and result.epsilon >= 0.97 * eps
    else:  # too little noise for the steps asked: stops early, one more step would exceed
        assert 0 < result.n_steps < asked
        q = batch / len(ds)
        pre_eps = pre.stats["dp"]["epsilon"]
        over = epsilon_of([(noise, q, result.n_steps + 1)], delta - budget.preproc_part[1])
        assert pre_eps + over > eps


def test_noise_calibration_matches_opacus():
    from opacus.accountants.utils import get_noise_multiplier

    ours = calibrate_noise(2.0, 1e-5, lambda s: [(s, 0.01, 1000)], "rdp")
    theirs = get_noise_multiplier(target_epsilon=2.0, target_delta=1e-5, sample_rate=0.01, steps=1000)
    assert ours == pytest.approx(theirs, rel=0.02)
    assert epsilon_of([(ours, 0.01, 1000)], 1e-5) <= 2.0


@pytest.mark.slow  # measured > 5 s (pytest --durations)
def test_noisy_validation_is_accounted_for(people, dp_preproc, dp_ds, tiny_size):
    with_valid = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET).train(
        dp_ds,
        n_steps=40,
        batch_size=64,
        lr=3e-3,
        valid=Validation(dp_ds, each=20, trigger="step", dp=DpValid(noise_multiplier=2.0)),
        dp_step=DpStep(noise_multiplier=None),
    )
    without = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET).train(
        dp_ds, n_steps=40, batch_size=64, lr=3e-3, dp_step=DpStep(noise_multiplier=None)
    )
    assert with_valid.epsilon <= BUDGET.epsilon + 1e-9
    assert sum("valid_loss" in h for h in with_valid.history) == 2
    assert with_valid.noise_multiplier > without.noise_multiplier  # validation took a share of the budget


def test_the_training_loss_of_private_batches_is_not_released_under_dp(dp_preproc, dp_ds, tiny_size):
    # the history (the JSON summary, MLflow's train_loss, TensorBoard) held each epoch's mean loss of
    # the Poisson batches, read from the private entities without noise: outside the epsilon reported
    trainer = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET)
    result = trainer.train(dp_ds, n_epochs=2, batch_size=256, lr=3e-3, dp_step=DpStep(noise_multiplier=None))
    assert [h["epoch"] for h in result.history] == [1, 2]  # the steps and rates are still recorded
    assert not any("train_loss" in h for h in result.history)
    assert np.isnan(trainer.last_loss)


@pytest.mark.slow  # measured > 5 s (pytest --durations)
def test_virtual_steps_keep_the_privacy(dp_preproc, dp_ds, tiny_size):
    """accumulate_grad and max_batch_size change the physical batches, never q or the noise."""
    runs = [
        dict(batch_size=64),
        dict(batch_size=32, accumulate_grad=2),
        dict(batch_size=64, dp_step=DpStep(noise_multiplier=None, max_batch_size=5)),
    ]
    sigmas, eps = [], []
    for kw in runs:
        kw.setdefault("dp_step", DpStep(noise_multiplier=None))
        trainer = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET)
        r = trainer.train(dp_ds, n_steps=8, lr=3e-3, **kw)
        sigmas.append(r.noise_multiplier)
        eps.append(r.epsilon)
        assert trainer.strategy.q == pytest.approx(64 / len(dp_ds))
    assert max(sigmas) == pytest.approx(min(sigmas)) and max(eps) <= BUDGET.epsilon + 1e-9


def test_memory_derived_batch_under_dp(dp_preproc, dp_ds, tiny_size):
    trainer = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET)
    r = trainer.train(dp_ds, n_steps=3, memory=4000, lr=3e-3, dp_step=DpStep(noise_multiplier=2.0))
    assert r.batch_size >= 1 and trainer.strategy.physical == r.batch_size and r.epsilon <= BUDGET.epsilon


# ---- per-sample gradients --------------------------------------------------------------------
@pytest.mark.parametrize("block", ["free", "lstm"])
def test_per_sample_gradients_equal_single_sample_gradients(shop, shop_preproc, tiny_size, block):
    from opacus import GradSampleModule

    ds = TabularDataset.from_data(shop, shop_preproc)  # entities of different lengths: padding
    model = _model(shop_preproc, tiny_size, block).dp_copy()
    idx = np.array([0, 3, 7, 12])
    gsm = GradSampleModule(model, loss_reduction="mean")
    _, loss = gsm(ds.collate(idx), reduction="samples")
    loss.backward()
    per_sample = {n: p.grad_sample.detach().clone() for n, p in model.named_parameters()}
    gsm._close()
    for p in model.parameters():
        p.grad_sample, p.grad = None, None
    for b, i in enumerate(idx):
        model.zero_grad()
        _, single = model(ds.collate(np.array([i])), reduction="samples")
        single.backward()
        for n, p in model.named_parameters():
            torch.testing.assert_close(per_sample[n][b], p.grad, rtol=1e-4, atol=1e-6, msg=f"{block} {n}")


def test_lstm_trains_through_a_dp_copy_and_the_callers_model_keeps_its_layers(dp_preproc, dp_ds, tiny_size, tmp_path):
    """opacus needs DPLSTM: the trainer trains a DP-ready copy and writes its weights back, so the
    caller's model keeps its own modules (never swapped behind its back) and gets the weights."""
    from opacus.layers import DPLSTM

    model = _model(dp_preproc, tiny_size, "lstm")
    lstm, before = model.body.lstm, model.body.lstm.weight_ih_l0.detach().clone()
    TabularTrainer(model, dp_budget=BUDGET).train(dp_ds, n_steps=2, batch_size=16, lr=3e-3)
    assert model.body.lstm is lstm and not isinstance(lstm, DPLSTM) and not model.config.dp_layers
    assert not torch.equal(before, model.body.lstm.weight_ih_l0)  # the trained weights came back
    assert isinstance(model.dp_copy().body.lstm, DPLSTM)
    model.save(tmp_path / "m")
    again = TabularModel.load(tmp_path / "m")
    assert torch.equal(again.body.lstm.weight_ih_l0, model.body.lstm.weight_ih_l0)
    assert len(again.generate(5, seed=0)["customer"]) == 5


# ---- the preprocessor ------------------------------------------------------------------------
def test_a_value_seen_once_is_never_generated(people, dp_preproc, dp_ds, tiny_size):
    counts = people["customer"]["segment"].value_counts()
    assert counts[RARE_SEGMENTS[0]] == 1
    public = TabularPreproc.from_schema(people.schema, min_count=1).fit(people)
    assert RARE_SEGMENTS[0] in public.slots[0].preproc.categories  # without DP it would be kept
    cats = dp_preproc.slots[dp_preproc.layouts["customer"].slots[0]].preproc.categories
    assert not set(RARE_SEGMENTS) & set(cats) and {"retail", "pro", "student"} <= set(cats)
    assert dp_preproc.stats["dp"]["epsilon"] <= BUDGET.preproc_part[0] + 1e-9
    model = _model(dp_preproc, tiny_size)
    TabularTrainer(model, dp_budget=BUDGET).train(dp_ds, n_steps=10, batch_size=32, lr=3e-3)
    synth = model.generate(400, seed=1)["customer"]
    assert not set(RARE_SEGMENTS) & set(synth["segment"].dropna())


def test_dp_fit_keeps_the_numbers_usable(people, dp_preproc):
    slot = {s.column: s.preproc for s in dp_preproc.slots}
    age = people["customer"]["age"].dropna()
    edges = slot["age"].edges
    assert len(edges) >= 4 and edges[0] <= age.quantile(0.1) and edges[-1] >= age.quantile(0.9)
    assert slot["age"].decimals == 0 and dp_preproc.stats["pk_formats"]["customer"]["type"] == "int"


def test_child_counts_use_the_public_bound(shop):
    with pytest.raises(ValueError, match="max_children=1"):
        TabularPreproc.from_schema(shop.schema).fit(shop, dp=DpBudget(5.0, 1e-5, max_children=1, preproc_share=0.1))
    cut = truncate_children(shop, 1)
    pre = TabularPreproc.from_schema(shop.schema).fit(cut, dp=DpBudget(5.0, 1e-5, max_children=1, preproc_share=0.1))
    counts = [s.preproc for s in pre.slots if s.is_count]
    assert counts and all(c.n_tokens == 2 for c in counts)


# ---- errors ----------------------------------------------------------------------------------
def test_errors(shop, shop_preproc, dp_preproc, dp_ds, tiny_size):
    with pytest.raises(ValueError, match="dp_budget"):
        TabularTrainer(_model(dp_preproc, tiny_size)).train(dp_ds, n_steps=1, batch_size=4, dp_step=DpStep())
    trainer = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET)
    with pytest.raises(ValueError, match="give lr"):
        trainer.train(dp_ds, n_steps=1, batch_size=4)
    with pytest.raises(ValueError, match="DpValid"):
        trainer.train(dp_ds, n_steps=1, batch_size=4, lr=1e-3, valid=Validation(dp_ds))
    with pytest.raises(ValueError, match="world_size"):
        trainer.train(dp_ds, n_steps=1, batch_size=4, lr=1e-3, world_size=2)
    with pytest.raises(ValueError, match="fitted without DP"):
        TabularTrainer(_model(shop_preproc, tiny_size), dp_budget=BUDGET).train(
            TabularDataset.from_data(shop, shop_preproc), n_steps=1, batch_size=4, lr=1e-3
        )
    windows = TabularDataset.from_data(shop, shop_preproc, block_size=64)
    public = DpBudget(1.0, 1e-5, preproc_share=0)  # preproc declared public: the windows are the error
    with pytest.raises(ValueError, match="block_size=None"):
        TabularTrainer(_model(shop_preproc, tiny_size), dp_budget=public).train(
            windows, n_steps=1, batch_size=4, lr=1e-3
        )
    with pytest.raises(ValueError, match="epsilon"):
        DpBudget(0.0, 1e-5, preproc_share=0.1)
    with pytest.raises(ValueError, match="delta"):
        DpBudget(1.0, 1.0, preproc_share=0.1)
    with pytest.raises(ValueError, match="noise_multiplier"):
        DpStep(noise_multiplier=0.0)
    with pytest.raises(TypeError, match="DpBudget"):
        TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=(1.0, 1e-5))
    with pytest.raises(ValueError, match="exactly once"):
        DpBudget(1.0, 1e-5, eps=2.0, preproc_share=0.1)


def test_a_noise_the_budget_cannot_pay_for_is_an_error_before_training(dp_preproc, dp_ds, tiny_size):
    """A fixed noise multiplier far too small for the budget: not one step fits, so the run is
    refused (naming the noise that would fit) instead of leaving a model at its initial weights."""
    model = _model(dp_preproc, tiny_size)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = TabularTrainer(model, dp_budget=BUDGET)
    with pytest.raises(ValueError, match=r"cannot pay for a single step at noise_multiplier=0.01 .* fit at noise_mul"):
        trainer.train(dp_ds, n_steps=20, batch_size=64, lr=1e-3, dp_step=DpStep(noise_multiplier=0.01))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not trainer.dp_trained


def test_aindo_spelling_eps_is_the_same_budget():
    assert (
        DpBudget(eps=3.0, delta=1e-5, preproc_share=0.1)
        == DpBudget(epsilon=3.0, delta=1e-5, preproc_share=0.1)
        == DpBudget(3.0, 1e-5, preproc_share=0.1)
    )
    assert DpBudget(eps=3.0, delta=1e-5, preproc_share=0.1).eps == 3.0


@pytest.mark.slow  # measured > 5 s (pytest --durations)
def test_the_dp_preset_trains_within_the_budget(dp_preproc, dp_ds, tiny_size):
    preset = DpStep.preset(len(dp_ds))
    assert preset["batch_size"] == min(256, len(dp_ds) // 4) and preset["dp_step"].noise_multiplier is None
    assert DpStep.preset(40)["batch_size"] == 10 and DpStep.preset()["batch_size"] == 256
    r = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET).train(dp_ds, **{**preset, "n_epochs": 1})
    assert r.batch_size == preset["batch_size"] and r.epsilon <= BUDGET.epsilon + 1e-9 and r.n_steps >= 1


@pytest.mark.slow  # measured > 5 s (pytest --durations)
def test_auto_preproc_share_is_paid_from_the_same_budget(people, tiny_size):
    budget = DpBudget(2.0, 1e-5, preproc_share="auto")
    pre = TabularPreproc.from_schema(people.schema).fit(people, dp=budget)
    ds = TabularDataset.from_data(people, pre)
    trainer = TabularTrainer(_model(pre, tiny_size), dp_budget=budget)
    r = trainer.train(ds, n_steps=3, batch_size=64, lr=3e-3, dp_step=DpStep(noise_multiplier=None))
    assert trainer.strategy.pre_eps == pytest.approx(pre.stats["dp"]["epsilon"]) and 0 < pre.stats["dp"]["share"] < 1
    assert 0.97 * budget.epsilon <= r.epsilon <= budget.epsilon + 1e-9


def test_a_delta_of_one_over_n_or_more_is_refused(people, dp_preproc, dp_ds, tiny_size):
    """delta >= 1/n (n root entities) was accepted: a 'guarantee' that allows publishing an entity."""
    loose = DpBudget(3.0, 1 / 1000, preproc_share=0.1)  # 2,000 entities
    with pytest.raises(ValueError, match=r"delta=0.001 is not below 1/n = 0.0005 for the 2000 root entities"):
        TabularPreproc.from_schema(people.schema).fit(people, dp=loose)
    with pytest.raises(ValueError, match="well below 1/n"):
        TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=loose).train(dp_ds, n_steps=1, batch_size=4, lr=1e-3)
    DpBudget(3.0, 1 / 3000, preproc_share=0.1).check_entities(len(dp_ds))


def test_a_model_already_trained_is_refused_under_dp(dp_preproc, dp_ds, tiny_size, tmp_path):
    """A second DP run on a model reported each run's epsilon alone: two runs of budget 8 (the
    preprocessor paid once) reported 8 each, for ~15 spent; its weights already hold the first run.
    A model trained without DP, or loaded, holds what it learnt outside the budget: refused alike."""
    model = _model(dp_preproc, tiny_size)
    TabularTrainer(model, dp_budget=BUDGET).train(dp_ds, n_steps=1, batch_size=64, lr=1e-3)
    model.train()  # opacus' own check (training mode) must not be what stops it
    with pytest.raises(ValueError, match=r"already trained or loaded.*TabularModel.build"):
        TabularTrainer(model, dp_budget=BUDGET).train(dp_ds, n_steps=1, batch_size=64, lr=1e-3)
    plain = _model(dp_preproc, tiny_size)
    TabularTrainer(plain).train(dp_ds, n_steps=1, batch_size=64, lr=1e-3)
    with pytest.raises(ValueError, match="already trained or loaded"):
        TabularTrainer(plain, dp_budget=BUDGET).train(dp_ds, n_steps=1, batch_size=64, lr=1e-3)
    plain.save(tmp_path / "m")
    with pytest.raises(ValueError, match="already trained or loaded"):
        TabularTrainer(TabularModel.load(tmp_path / "m"), dp_budget=BUDGET).train(
            dp_ds, n_steps=1, batch_size=64, lr=1e-3
        )


def test_budget_numbers_of_any_numeric_type_and_clear_errors_for_others():
    """np.float32(3) was refused as 'epsilon must be positive and finite, got 3.0', the string "3"
    as '... got 3', and True passed as epsilon 1."""
    budget = DpBudget(np.float32(3.0), np.float64(1e-5))
    assert budget == DpBudget(3.0, 1e-5) and type(budget.epsilon) is float and type(budget.delta) is float
    assert DpBudget(np.int64(2), 1e-5).epsilon == 2.0
    with pytest.raises(TypeError, match=r"epsilon must be a number, got '3' \(str\)"):
        DpBudget("3", 1e-5)
    with pytest.raises(TypeError, match=r"epsilon must be a number, got True \(bool\)"):
        DpBudget(True, 1e-5)
    with pytest.raises(TypeError, match=r"delta must be a number, got '1e-5' \(str\)"):
        DpBudget(1.0, "1e-5")


def test_a_budget_the_preprocessor_spent_whole_leaves_nothing_for_training(people, tiny_size):
    """Training under the budget the preprocessor spent whole left epsilon 2e-15, and the error was
    'no noise multiplier fits epsilon=2.16e-15: the validations alone (DpValid) ...' with no validation."""
    pre = TabularPreproc.from_schema(people.schema).fit(people, dp=DpBudget(2.0, 1e-5, preproc_share=0.25))
    assert 0 < 0.5 - pre.stats["dp"]["epsilon"] < 1e-12  # its quarter, to a rounding
    spent = DpBudget(0.5, 1e-5)
    with pytest.raises(ValueError, match="nothing left for training"):
        TabularTrainer(_model(pre, tiny_size), dp_budget=spent).train(
            TabularDataset.from_data(people, pre), n_steps=1, batch_size=64, lr=1e-3, dp_step=DpStep(None)
        )


def test_validations_that_spend_the_budget_alone_are_named(dp_preproc, dp_ds, tiny_size):
    """15 epochs of the DP preset, validated each epoch at DpValid's noise 10, on 600 patients at
    epsilon 3 failed with 'no noise multiplier fits epsilon=1.5: the validations alone (DpValid) or
    the number of steps use it up': which, and by how much, was not said."""
    trainer = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET)
    valid = Validation(dp_ds, each=1, trigger="step", dp=DpValid(noise_multiplier=2.0))
    with pytest.raises(
        ValueError, match=r"the 30 noisy validations planned .* alone spend epsilon [\d.]+, and the budget leaves 7\.2 "
    ):
        trainer.train(dp_ds, n_steps=30, batch_size=64, lr=1e-3, valid=valid, dp_step=DpStep(None))


def test_a_validation_whose_noise_swamps_the_loss_is_warned(people, dp_preproc, dp_ds, tiny_size, caplog):
    """60 validation entities at DpValid noise 40 (a trial's held-out patients) measured the loss
    to about +-19 nats: the noisy sum clipped to 0, best_valid_loss 0.0 and early stopping on noise,
    without a word."""
    few = TabularDataset.from_data(
        RelationalData({"customer": people["customer"].iloc[:60]}, people.schema), dp_preproc
    )
    trainer = TabularTrainer(_model(dp_preproc, tiny_size), dp_budget=BUDGET)
    with caplog.at_level("WARNING", logger="relsynth.synth.core.training.dp"):
        trainer.train(
            dp_ds, n_steps=2, batch_size=64, lr=1e-3, valid=Validation(few, dp=DpValid(noise_multiplier=40.0))
        )
    assert "measures the loss to about +-19 nats" in caplog.text


def _dp_release(data: RelationalData, tiny_size, budget: DpBudget) -> tuple[TabularPreproc, dict, RelationalData]:
    """The fitted preprocessor, trained weights and generated tables of one DP run, every seed fixed."""
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=budget)
    model = _model(pre, tiny_size)
    TabularTrainer(model, dp_budget=budget).train(
        TabularDataset.from_data(data, pre), n_steps=3, batch_size=16, lr=3e-3
    )
    return pre, model.state_dict(), model.generate(n_samples=30, seed=0)


def _same_tables(a: RelationalData, b: RelationalData) -> bool:
    return list(a) == list(b) and all(a[t].equals(b[t]) for t in a)


@pytest.mark.slow  # measured > 5 s (pytest --durations)
def test_a_dp_run_with_the_same_seeds_gives_the_same_database(tiny_size):
    """Every seed fixed, a DP run gave another database each time (the fit's noise, DP-SGD's
    sampling and noise were always secret): DpBudget(seed=) now fixes them; None stays secret."""
    data = make_shop(n_customers=200, seed=5)
    pre, weights, tables = _dp_release(data, tiny_size, DpBudget(20.0, 1e-5, max_children=10, seed=7))
    pre2, weights2, tables2 = _dp_release(data, tiny_size, DpBudget(20.0, 1e-5, max_children=10, seed=7))
    assert pickle.dumps(pre) == pickle.dumps(pre2) and all(torch.equal(weights[k], weights2[k]) for k in weights)
    assert _same_tables(tables, tables2)
    _, other_weights, other_tables = _dp_release(data, tiny_size, DpBudget(20.0, 1e-5, max_children=10, seed=8))
    assert any(not torch.equal(weights[k], other_weights[k]) for k in weights)
    assert not _same_tables(tables, other_tables)
    secret = DpBudget(20.0, 1e-5, max_children=10)  # no seed: the noise differs from fit to fit
    fits = [pickle.dumps(TabularPreproc.from_schema(data.schema).fit(data, dp=secret)) for _ in range(2)]
    assert fits[0] != fits[1]
    with pytest.raises(TypeError, match="seed must be an integer or None"):
        DpBudget(20.0, 1e-5, seed="7")
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        DpBudget(20.0, 1e-5, seed=-1)

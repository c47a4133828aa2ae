"""`train(precision=...)` and the device path, on the CPU (the CUDA run of the same code is test_cuda.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from relsynth.synth import DpBudget, TabularDataset, TabularModel, TabularTrainer
from relsynth.synth.core.memory import measure_peak_mb
from relsynth.synth.core.training.config import RunConfig
from relsynth.synth.core.training.precision import FP32, Precision, resolve_precision
from relsynth.synth.core.training.strategy import on_device, to_device

OPTIONS = dict(n_epochs=None, n_steps=2, batch_size=4, memory=None, lr=1e-3, accumulate_grad=1, seed=0)


def test_precision_is_checked_when_the_run_is_configured(ds, make_model):
    with pytest.raises(ValueError, match=r"precision must be one of \('fp32', 'bf16', 'auto'\), got 'fp16'"):
        RunConfig(**OPTIONS, lr_decay="cosine", world_size=0, precision="fp16")
    with pytest.raises(ValueError, match="precision must be one of"):
        TabularTrainer(make_model()).train(ds, n_steps=1, batch_size=4, lr=1e-3, precision="half")


def test_auto_is_float32_on_the_cpu_and_bf16_autocasts_there():
    assert resolve_precision("auto", "cpu") == FP32
    assert resolve_precision("fp32", torch.device("cpu")) == FP32
    bf16 = resolve_precision("bf16", "cpu")
    assert bf16 == Precision("bf16", "cpu")
    a = torch.randn(4, 8)
    with bf16.autocast():
        assert (a @ a.T).dtype == torch.bfloat16
    with FP32.autocast():
        assert (a @ a.T).dtype == torch.float32


def test_a_checkpoint_that_predates_precision_resumes_at_its_default():
    config = RunConfig(**OPTIONS, lr_decay="cosine", world_size=0)
    older = {k: v for k, v in config.to_dict().items() if k != "precision"}
    assert config.differences(older) == []
    assert RunConfig(**OPTIONS, lr_decay="cosine", world_size=0, precision="bf16").differences(older) == [
        "precision: 'fp32' -> 'bf16'"
    ]


@pytest.mark.parametrize("block", ["free", "lstm"])
def test_bf16_autocast_trains_with_float32_weights(ds, make_model, block):
    model = make_model(block)
    result = TabularTrainer(model, calibrate_counts=False).train(
        ds, n_steps=4, batch_size=8, lr=3e-3, precision="bf16", progress=False
    )
    assert result.n_steps == 4 and all(np.isfinite(h["train_loss"]) for h in result.history)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert model.generate(3, seed=0).data  # generation (float32) runs after a bf16 run


def test_bf16_close_to_fp32_on_the_first_step(ds, make_model):
    """Autocast changes the arithmetic, not the loss: bf16 keeps ~3 significant digits."""
    losses = {}
    for precision in ("fp32", "bf16"):
        r = TabularTrainer(make_model(), calibrate_counts=False).train(
            ds, n_steps=1, batch_size=8, lr=1e-3, precision=precision, progress=False
        )
        losses[precision] = r.history[-1]["train_loss"]
    assert losses["bf16"] == pytest.approx(losses["fp32"], rel=0.02)


def test_memory_search_runs_in_the_runs_precision(ds, make_model):
    result = TabularTrainer(make_model(), calibrate_counts=False).train(
        ds, n_steps=1, memory=4000, lr=1e-3, precision="bf16", progress=False
    )
    assert result.batch_size >= 1


def test_dp_training_refuses_bf16(shop, shop_preproc, tiny_size):
    model = TabularModel.build(shop_preproc, size=tiny_size)
    trainer = TabularTrainer(model, dp_budget=DpBudget(8.0, 1e-5))
    with pytest.raises(ValueError, match="DP training runs in float32"):
        trainer.train(TabularDataset.from_data(shop, shop_preproc), n_steps=1, batch_size=4, lr=1e-3, precision="bf16")


def test_batches_stay_where_they_are_on_the_cpu_and_move_elsewhere(ds, make_model):
    batch = ds.collate(np.arange(4))
    assert on_device(batch, make_model()) is batch  # no copy for a CPU model
    moved = to_device(batch, torch.device("meta"))  # a device without memory: the copy path, no pinning
    assert moved.keys() == batch.keys() and {v.device.type for v in moved.values()} == {"meta"}


def test_memory_is_measured_on_the_device_given_as_a_torch_device():
    assert measure_peak_mb(lambda: np.ones(200 * 2**20 // 8).sum(), device=torch.device("cpu")) > 150

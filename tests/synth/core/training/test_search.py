"""Batch size from a memory budget and the learning-rate range test."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from train_helpers import BATCH, assert_same_state, state_of

from relsynth.synth import TabularDataset, TabularModel, TabularPreproc, Trainer
from relsynth.synth.core.training import search
from relsynth.synth.core.training.search import choose_batch_size


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
    before = state_of(model)
    b = search.find_batch_size(model, big, 10_000, per_sample_grads=False)
    assert b == 2 ** int(math.log2(len(big) // 50))  # plenty of memory: the steps-per-epoch limit decides
    assert_same_state(before, state_of(model))
    result = Trainer(model).train(big, n_steps=1, memory=10_000, lr=1e-3)
    assert result.batch_size == b


# ---- learning rate -----------------------------------------------------------------------------
def test_lr_none_runs_the_range_test_and_leaves_the_model_untouched(ds, make_model):
    model = make_model()
    before = state_of(model)
    rng_before = torch.get_rng_state()
    lr = search.find_lr(model, ds, BATCH)
    assert 1e-4 <= lr <= 1e-2
    assert_same_state(before, state_of(model))
    assert torch.equal(rng_before, torch.get_rng_state())
    result = Trainer(model).train(ds, n_steps=1, batch_size=BATCH, lr=None)
    assert result.lr == lr

"""DistributedDataParallel on CPU (gloo)."""

from __future__ import annotations

import math
import time

import pytest
import torch
from train_helpers import BATCH, state_of

from relsynth.synth import Trainer


# ---- distributed -------------------------------------------------------------------------------
@pytest.mark.slow
def test_world_size_two_on_cpu_trains(ds, make_model):
    model = make_model()
    before = state_of(model)
    started = time.perf_counter()
    result = Trainer(model).train(ds, n_steps=4, batch_size=BATCH, lr=1e-2, world_size=2)
    assert result.n_steps == 4
    assert all(math.isfinite(r["train_loss"]) for r in result.history)
    assert not torch.equal(before["head.weight"], model.state_dict()["head.weight"])
    assert math.isfinite(Trainer(model).evaluate(ds))
    print(f"world_size=2 took {time.perf_counter() - started:.1f} s")

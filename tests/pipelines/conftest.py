"""Fixtures for the pipeline tests: one torch thread, tiny parameter groups, a fitted preproc."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from relsynth.relational import RelationalData
from relsynth.synth import TabularModelSize, TabularPreproc


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The test machines' cores are shared: one thread each is faster than contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def params() -> dict[str, dict[str, Any]]:
    """The parameter groups of conf/base, made tiny: a few optimizer steps of a one-layer model."""
    return {
        "tabular_encoding": {"n_bins": 4, "min_count": 2, "max_exact_count": 10, "ctx_cols": None},
        "tabular_dataset": {"on_disk": False, "chunk_size": 4, "block_size": None},
        "tabular_architecture": {"size": TabularModelSize(n_layers=1, h=2, d=16), "block": "free", "dropout": 0.0},
        "tabular_training": {"n_epochs": 2, "n_steps": None, "batch_size": 4, "memory": None, "lr": 3e-3, "seed": 0},
        "tabular_validation": {"each": 1, "trigger": "epoch", "early_stop": "normal", "lr_schedule": {"factor": 0.5}},
        "tabular_generation": {"n_samples": None, "temp": 1.0, "seed": 0, "batch_size": 0, "max_block_size": 0},
    }


@pytest.fixture
def tiny_parts(tiny_database: RelationalData) -> tuple[RelationalData, RelationalData]:
    """(train, valid) of the tiny database, split by root entity."""
    return tiny_database.split(ratio=0.3, seed=0)


@pytest.fixture
def tiny_preproc(tiny_parts: tuple[RelationalData, RelationalData]) -> TabularPreproc:
    return TabularPreproc.from_schema(tiny_parts[0].schema, n_bins=4, min_count=2).fit(tiny_parts[0])

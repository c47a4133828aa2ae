"""Fixtures for the pipeline tests: one torch thread, tiny parameter groups, a fitted preproc, a few
steps of tiny text models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from relsynth.pipelines.text_training.nodes import (
    build_text_model,
    encode_text_dataset,
    fit_text_preproc,
    train_text_model,
)
from relsynth.relational import RelationalData
from relsynth.synth import TabularModelSize, TabularPreproc, TextModel


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
        "dp": None,
    }


@pytest.fixture
def tiny_parts(tiny_database: RelationalData) -> tuple[RelationalData, RelationalData]:
    """(train, valid) of the tiny database, split by root entity."""
    return tiny_database.split(ratio=0.3, seed=0)


@pytest.fixture
def tiny_preproc(tiny_parts: tuple[RelationalData, RelationalData]) -> TabularPreproc:
    return TabularPreproc.from_schema(tiny_parts[0].schema, n_bins=4, min_count=2).fit(tiny_parts[0])


@pytest.fixture
def text_params() -> dict[str, dict[str, Any]]:
    """The text groups of conf/base, made tiny: a few optimizer steps of a one-layer model."""
    return {
        "text_preproc": {"vocab_size": 300, "min_frequency": 2},
        "text_architecture": {"size": {"n_layers": 1, "h": 2, "d": 16}, "block_size": 32, "dropout": 0.0},
        "text_training": {"n_epochs": None, "n_steps": 2, "batch_size": 4, "memory": None, "lr": 3e-3, "seed": 0},
        "text_generation": {"batch_size": 0, "max_text_len": 8, "temp": 1.0, "top_p": 1.0, "seed": 0},
    }


@pytest.fixture
def train_text_table(text_params: dict) -> Callable[..., TextModel]:
    """`train(database, table, params=text_params)`: the four nodes of `text_training.<table>`, in order."""

    def train(database: RelationalData, table: str, params: dict | None = None) -> TextModel:
        params = params or text_params
        preproc = fit_text_preproc(database, params["text_preproc"], table=table)
        dataset = encode_text_dataset(database, preproc, params["text_architecture"]["block_size"])
        model = build_text_model(preproc, params["text_architecture"], params["text_training"].get("seed", 0))
        return train_text_model(model, dataset, params["text_training"])

    return train


@pytest.fixture
def text_models(tiny_database: RelationalData, train_text_table: Callable) -> dict[str, TextModel]:
    """A briefly trained text model for each table of the tiny database with text (artist, album)."""
    return {table: train_text_table(tiny_database, table) for table in ("artist", "album")}

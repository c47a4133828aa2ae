"""tabular_training: the training node on the tiny database, validation parameters, the summary
metrics, the pipeline's interface."""

from __future__ import annotations

import json

import pytest

from relsynth.pipelines.tabular_training import create_pipeline
from relsynth.pipelines.tabular_training.nodes import build_validation, train_tabular_model, training_metrics
from relsynth.relational import RelationalData
from relsynth.synth import EarlyStop, LrSchedule, TabularDataset, TabularModel, TabularPreproc


@pytest.fixture
def datasets(
    tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc
) -> tuple[TabularDataset, TabularDataset]:
    train, valid = tiny_parts
    return TabularDataset.from_data(train, tiny_preproc), TabularDataset.from_data(valid, tiny_preproc)


def train(preproc: TabularPreproc, datasets: tuple, params: dict, **changes) -> tuple[TabularModel, dict]:
    groups = {g: params[g] for g in ("tabular_architecture", "tabular_training", "tabular_validation")} | changes
    return train_tabular_model(preproc, *datasets, **groups)


def test_train_tabular_model(tiny_preproc: TabularPreproc, datasets: tuple, params: dict) -> None:
    model, summary = train(tiny_preproc, datasets, params)
    assert isinstance(model, TabularModel)
    assert (model.config.n_layers, model.config.d, model.config.block_size) == (1, 16, None)
    assert summary["batch_size"] == 4 and summary["lr"] == 3e-3
    assert summary["n_steps"] == 2 * -(-len(datasets[0]) // 4)  # two epochs of ceil(samples / 4) steps
    assert [r["epoch"] for r in summary["history"]] == [1, 2]
    assert all("train_loss" in r and "valid_loss" in r for r in summary["history"])
    assert summary["best_valid_loss"] == min(r["valid_loss"] for r in summary["history"])
    assert summary["n_parameters"] > 0 and summary["seconds"] > 0
    json.dumps(summary)  # catalogued as JSON


def test_training_is_reproducible_with_its_seed(tiny_preproc: TabularPreproc, datasets: tuple, params: dict) -> None:
    losses = [train(tiny_preproc, datasets, params)[1]["history"][-1]["train_loss"] for _ in range(2)]
    other = train(tiny_preproc, datasets, params, tabular_training={**params["tabular_training"], "seed": 1})
    assert losses[0] == losses[1]  # initial weights and batch order follow the seed
    assert other[1]["history"][-1]["train_loss"] != losses[0]


def test_train_with_steps_and_no_validation(tiny_preproc: TabularPreproc, datasets: tuple, params: dict) -> None:
    steps = {**params["tabular_training"], "n_epochs": None, "n_steps": 3}
    _, summary = train(tiny_preproc, datasets, params, tabular_training=steps, tabular_validation=None)
    assert summary["n_steps"] == 3
    assert summary["best_valid_loss"] is None
    assert "best_valid_loss" not in training_metrics(summary)


def test_train_uses_the_datasets_block_size(
    tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc, params: dict
) -> None:
    windows = tuple(TabularDataset.from_data(part, tiny_preproc, block_size=12) for part in tiny_parts)
    model, _ = train(tiny_preproc, windows, params)
    assert model.config.block_size == 12


def test_train_names_a_misspelt_key(tiny_preproc: TabularPreproc, datasets: tuple, params: dict) -> None:
    with pytest.raises(ValueError, match=r"params:tabular_training has unknown key\(s\) \['epochs'\]"):
        train(tiny_preproc, datasets, params, tabular_training={"epochs": 2, "batch_size": 4})
    with pytest.raises(ValueError, match=r"params:tabular_architecture has unknown key"):
        train(tiny_preproc, datasets, params, tabular_architecture={"layers": 2})


def test_build_validation(datasets: tuple) -> None:
    valid = build_validation(
        datasets[1],
        {"each": 2, "early_stop": {"delta": 0.01, "patience": 3}, "lr_schedule": {"factor": 0.3, "patience": 1}},
    )
    assert valid.dataset is datasets[1] and valid.each == 2
    assert valid.early_stop == EarlyStop(delta=0.01, patience=3)
    assert valid.lr_schedule == LrSchedule(factor=0.3, patience=1)
    assert build_validation(datasets[1], {"early_stop": "quick", "lr_schedule": None}).early_stop.patience == 2
    assert build_validation(datasets[1], None) is None
    with pytest.raises(ValueError, match=r"params:tabular_validation.lr_schedule has unknown key\(s\) \['decay'\]"):
        build_validation(datasets[1], {"lr_schedule": {"decay": 0.5}})


def test_training_metrics() -> None:
    summary = {"batch_size": 16, "lr": 0.003, "n_steps": 40, "stopped_early": True, "seconds": 1.5, "history": [{}]}
    assert training_metrics(summary) == {
        "batch_size": {"value": 16.0, "step": 0},
        "lr": {"value": 0.003, "step": 0},
        "n_steps": {"value": 40.0, "step": 0},
        "stopped_early": {"value": 1.0, "step": 0},
        "seconds": {"value": 1.5, "step": 0},
    }


def test_pipeline_interface() -> None:
    pipe = create_pipeline()
    assert pipe.inputs() == {
        "tabular_preproc",
        "tabular_dataset_train",
        "tabular_dataset_valid",
        "params:tabular_architecture",
        "params:tabular_training",
        "params:tabular_validation",
    }
    assert pipe.outputs() == {"tabular_model", "tabular_training_metrics"}
    assert {n.name for n in pipe.nodes} == {
        "tabular_training.train_tabular_model",
        "tabular_training.select_training_metrics",
    }

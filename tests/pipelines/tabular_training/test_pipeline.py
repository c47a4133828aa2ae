"""tabular_training: the build and train nodes on the tiny database, validation parameters, the
summary metrics, the pipeline's interface."""

from __future__ import annotations

import json

import pytest
import torch

from relsynth.pipelines.tabular_training import create_pipeline
from relsynth.pipelines.tabular_training.nodes import (
    build_tabular_model,
    build_validation,
    train_tabular_model,
    training_metrics,
)
from relsynth.relational import RelationalData
from relsynth.synth import (
    DpStep,
    EarlyStop,
    LrSchedule,
    TabularDataset,
    TabularModel,
    TabularPreproc,
    TabularTrainer,
    TrainResult,
)


@pytest.fixture
def datasets(
    tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc
) -> tuple[TabularDataset, TabularDataset]:
    train, valid = tiny_parts
    return TabularDataset.from_data(train, tiny_preproc), TabularDataset.from_data(valid, tiny_preproc)


def train(preproc: TabularPreproc, datasets: tuple, params: dict, **changes) -> tuple[TabularModel, dict]:
    """Both nodes as the pipeline runs them: build (seeded by tabular_training.seed), then train."""
    groups = {g: params[g] for g in ("tabular_architecture", "tabular_training", "tabular_validation", "dp")}
    groups |= changes
    model = build_tabular_model(
        preproc, datasets[0], groups["tabular_architecture"], groups["tabular_training"].get("seed", 0)
    )
    return train_tabular_model(model, *datasets, groups["tabular_training"], groups["tabular_validation"], groups["dp"])


def test_build_tabular_model(tiny_preproc: TabularPreproc, datasets: tuple, params: dict) -> None:
    model = build_tabular_model(tiny_preproc, datasets[0], params["tabular_architecture"], 0)
    assert isinstance(model, TabularModel) and model.preproc is tiny_preproc
    assert (model.config.n_layers, model.config.d, model.config.block_size) == (1, 16, None)
    again = build_tabular_model(tiny_preproc, datasets[0], params["tabular_architecture"], 0)
    other = build_tabular_model(tiny_preproc, datasets[0], params["tabular_architecture"], 1)
    first = model.tok_emb.weight
    assert torch.equal(first, again.tok_emb.weight)  # the seed fixes the initial weights
    assert not torch.equal(first, other.tok_emb.weight)


def test_build_takes_a_size_mapping(tiny_preproc: TabularPreproc, datasets: tuple) -> None:
    model = build_tabular_model(tiny_preproc, datasets[0], {"size": {"n_layers": 1, "h": 2, "d": 8}}, 0)
    assert (model.config.n_layers, model.config.h, model.config.d) == (1, 2, 8)
    with pytest.raises(ValueError, match=r"params:tabular_architecture.size has unknown key\(s\) \['d_model'\]"):
        build_tabular_model(tiny_preproc, datasets[0], {"size": {"n_layers": 1, "h": 2, "d_model": 8}}, 0)


def test_train_tabular_model(tiny_preproc: TabularPreproc, datasets: tuple, params: dict) -> None:
    model, summary = train(tiny_preproc, datasets, params)
    assert isinstance(model, TabularModel)
    assert summary["batch_size"] == 4 and summary["lr"] == 3e-3
    assert summary["n_steps"] == 2 * -(-len(datasets[0]) // 4)  # two epochs of ceil(samples / 4) steps
    assert [r["epoch"] for r in summary["history"]] == [1, 2]
    assert all("train_loss" in r and "valid_loss" in r for r in summary["history"])
    assert summary["best_valid_loss"] == min(r["valid_loss"] for r in summary["history"])
    assert summary["n_parameters"] == model.n_params() > 0 and summary["seconds"] > 0
    assert summary["epsilon"] is None  # dp: null
    json.dumps(summary)  # catalogued as JSON


def test_training_is_reproducible_with_its_seed(tiny_preproc: TabularPreproc, datasets: tuple, params: dict) -> None:
    losses = [train(tiny_preproc, datasets, params)[1]["history"][-1]["train_loss"] for _ in range(2)]
    other = train(tiny_preproc, datasets, params, tabular_training={**params["tabular_training"], "seed": 1})
    assert losses[0] == losses[1]  # initial weights and batch order follow the seed
    assert other[1]["history"][-1]["train_loss"] != losses[0]


def test_the_summary_says_the_thread_count_the_weights_depend_on(
    tiny_preproc: TabularPreproc, datasets: tuple, params: dict
) -> None:
    """`threads: auto` follows the machine's load and torch's sums split by thread, so a rerun matches the
    weights only at the run's thread count: the summary and its MLflow metrics must say it."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        _, summary = train(tiny_preproc, datasets, params)
    finally:
        torch.set_num_threads(before)
    assert summary["threads"] == 2
    assert training_metrics(summary)["threads"] == {"value": 2.0, "step": 0}


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


def test_dp_inside_tabular_training_points_to_the_dp_group(
    tiny_preproc: TabularPreproc, datasets: tuple, params: dict
) -> None:
    training = {**params["tabular_training"], "dp": {"epsilon": 3.0, "delta": 1e-5}}
    with pytest.raises(ValueError, match=r"tabular_training.dp has moved to the top-level `dp` group"):
        train(tiny_preproc, datasets, params, tabular_training=training)


def test_the_dp_preset_reaches_the_trainer(
    tiny_preproc: TabularPreproc, datasets: tuple, params: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`dp.preset: true`: DpStep.preset's settings replace tabular_training's in the trainer's call."""
    calls = []

    def fake_train(self, **kwargs) -> TrainResult:
        calls.append(kwargs)
        return TrainResult()

    monkeypatch.setattr(TabularTrainer, "train", fake_train)
    dp = {"epsilon": 3.0, "delta": 1e-5, "max_batch_size": 2, "preset": True, "public": {"track.composer": ["Bach"]}}
    train(tiny_preproc, datasets, params, dp=dp)
    preset = DpStep.preset(len(datasets[0]))
    (kwargs,) = calls
    assert {k: kwargs[k] for k in ("batch_size", "lr", "n_epochs", "n_steps", "memory")} == {
        "batch_size": preset["batch_size"],
        "lr": preset["lr"],
        "n_epochs": preset["n_epochs"],
        "n_steps": None,
        "memory": None,
    }
    assert kwargs["seed"] == params["tabular_training"]["seed"]  # the rest of tabular_training stays
    assert kwargs["dp_step"] == DpStep(noise_multiplier=None, max_grad_norm=1.0, max_batch_size=2)


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
        "params:tabular_training.seed",
        "params:tabular_validation",
        "params:dp",
    }
    assert pipe.outputs() == {"tabular_model", "tabular_training_metrics"}
    assert "tabular_training.untrained_tabular_model" in pipe.all_outputs()  # in memory, build -> train
    assert {n.name for n in pipe.nodes} == {
        "tabular_training.build_tabular_model",
        "tabular_training.train_tabular_model",
        "tabular_training.select_training_metrics",
    }

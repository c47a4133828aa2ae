"""tabular_training under differential privacy: the `dp` parameters, epsilon in the metrics."""

from __future__ import annotations

import pytest

from relsynth.pipelines.tabular_training.nodes import dp_settings, train_tabular_model, training_metrics
from relsynth.relational import RelationalData
from relsynth.synth import DpBudget, DpStep, DpValid, TabularDataset, TabularPreproc

DP = {"epsilon": 5.0, "delta": 1e-5, "noise_multiplier": None, "max_batch_size": 2}


def test_dp_settings() -> None:
    assert dp_settings(None) == (None, None)
    budget, step = dp_settings(DP)
    assert budget == DpBudget(5.0, 1e-5) and step == DpStep(noise_multiplier=None, max_batch_size=2)
    with pytest.raises(ValueError, match="tabular_training.dp"):
        dp_settings({**DP, "epsilonn": 1.0})


def test_train_with_dp_logs_epsilon(tiny_parts: tuple[RelationalData, RelationalData], params: dict) -> None:
    train, valid = tiny_parts
    preproc = TabularPreproc.from_schema(train.schema).fit(train, dp=DpBudget(5.0, 1e-5))
    datasets = (TabularDataset.from_data(train, preproc), TabularDataset.from_data(valid, preproc))
    training = {**params["tabular_training"], "dp": DP}
    validation = {**params["tabular_validation"], "dp": {"noise_multiplier": 5.0}}
    _, summary = train_tabular_model(preproc, *datasets, params["tabular_architecture"], training, validation)
    assert 0 < summary["epsilon"] <= 5.0
    assert training_metrics(summary)["epsilon"]["value"] == summary["epsilon"]
    assert DpValid(noise_multiplier=5.0).max_loss > 0

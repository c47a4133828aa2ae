"""Nodes of the tabular_training pipeline: build and train a `TabularModel`, summarise the run."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

import torch

from relsynth.hooks import MlflowMetricsHook
from relsynth.pipelines._params import call
from relsynth.synth import (
    DpBudget,
    DpStep,
    DpValid,
    EarlyStop,
    LrSchedule,
    TabularDataset,
    TabularModel,
    TabularPreproc,
    TabularTrainer,
    Validation,
)

log = logging.getLogger(__name__)

METRICS_PREFIX = "tabular_training"  # MLflow metric names: tabular_training.train_loss, ...
SUMMARY_METRICS = (
    "batch_size",
    "lr",
    "n_steps",
    "n_epochs",
    "best_valid_loss",
    "stopped_early",
    "seconds",
    "n_parameters",
    "epsilon",  # privacy spent (preprocessor + training + validation), DP runs only
)
DP_STEP_KEYS = ("noise_multiplier", "max_grad_norm", "max_batch_size")  # tabular_training.dp keys for DpStep


def train_tabular_model(
    preproc: TabularPreproc,
    dataset_train: TabularDataset,
    dataset_valid: TabularDataset,
    tabular_architecture: dict[str, Any],
    tabular_training: dict[str, Any],
    tabular_validation: dict[str, Any] | None,
) -> tuple[TabularModel, dict[str, Any]]:
    """Build a model for `preproc`, train it on `dataset_train`, validate on `dataset_valid`.

    Parameter groups: `tabular_architecture` (`TabularModel.build`: size, block, dropout,
    count_weight; the block size is the training dataset's), `tabular_training`
    (`TabularTrainer.train`: n_epochs or n_steps, batch_size or memory, lr (null: range test),
    accumulate_grad, seed), `tabular_validation` (`Validation`: each, trigger, early_stop,
    lr_schedule; null: no validation). Returns the trained model (best validation weights) and a
    summary of the run: the choices the trainer made, the timing and the per-epoch history.
    """
    tabular_training = dict(tabular_training or {})
    budget, dp_step = dp_settings(tabular_training.pop("dp", None))
    seed = int(tabular_training.get("seed", 0))
    with torch.random.fork_rng():  # the seed fixes the initial weights too
        torch.manual_seed(seed)
        model = call(
            TabularModel.build,
            "tabular_architecture",
            tabular_architecture,
            preproc=preproc,
            block_size=dataset_train.block_size,
        )
    log.info("tabular model: %s, %d parameters", model.config, model.n_params())
    result = call(
        TabularTrainer(model, dp_budget=budget).train,
        "tabular_training",
        tabular_training,
        dataset=dataset_train,
        valid=build_validation(dataset_valid, tabular_validation),
        hooks=[MlflowMetricsHook(prefix=METRICS_PREFIX)],
        **({"dp_step": dp_step} if dp_step is not None else {}),
    )
    if result.epsilon is not None:
        log.info(
            "DP: epsilon %.3f spent at delta %.2g (noise multiplier %.3f)",
            result.epsilon,
            result.delta,
            result.noise_multiplier,
        )
    summary = {**asdict(result), "n_parameters": model.n_params()}
    log.info(
        "trained %d steps (%.1f epochs) in %.0f s: batch size %d, lr %.2e, best valid loss %s%s",
        result.n_steps,
        result.n_epochs,
        result.seconds,
        result.batch_size,
        result.lr,
        result.best_valid_loss,
        ", stopped early" if result.stopped_early else "",
    )
    return model, summary


def dp_settings(params: dict[str, Any] | None) -> tuple[DpBudget | None, DpStep | None]:
    """`DpBudget` and `DpStep` from the `tabular_training.dp` mapping; (None, None) when it is null (no DP).

    Budget keys: epsilon, delta, preproc_share, accountant, max_children; step keys: noise_multiplier
    (null: calibrated to spend the budget), max_grad_norm, max_batch_size.
    """
    if params is None:
        return None, None
    params = dict(params)
    step = {k: params.pop(k) for k in DP_STEP_KEYS if k in params}
    return call(DpBudget, "tabular_training.dp", params), call(DpStep, "tabular_training.dp", step)


def build_validation(dataset: TabularDataset, params: dict[str, Any] | None) -> Validation | None:
    """`Validation` on `dataset` from the `tabular_validation` group; None when the group is null.

    `early_stop` is a mode name (precise, normal, quick), a mapping of `EarlyStop` fields or
    null; `lr_schedule` a mapping of `LrSchedule` fields or null (a constant rate).
    """
    if params is None:
        return None
    params = dict(params)
    if isinstance(params.get("early_stop"), dict):
        params["early_stop"] = call(EarlyStop, "tabular_validation.early_stop", params["early_stop"])
    if isinstance(params.get("dp"), dict):
        params["dp"] = call(DpValid, "tabular_validation.dp", params["dp"])
    if isinstance(params.get("lr_schedule"), dict):
        params["lr_schedule"] = call(LrSchedule, "tabular_validation.lr_schedule", params["lr_schedule"])
    return call(Validation, "tabular_validation", params, dataset=dataset)


def training_metrics(summary: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The summary's numbers as metrics for kedro-mlflow's `MlflowMetricsHistoryDataset`
    (`{name: {"value": v, "step": 0}}`); unset ones (no validation: no best loss) are left out."""
    return {
        name: {"value": float(summary[name]), "step": 0} for name in SUMMARY_METRICS if summary.get(name) is not None
    }

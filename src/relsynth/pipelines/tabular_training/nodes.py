"""Nodes of the tabular_training pipeline: build a `TabularModel`, train it, summarise the run."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

import torch

from relsynth.hooks import MlflowMetricsHook
from relsynth.pipelines._params import call, dp_preset, dp_settings, with_model_size
from relsynth.synth import (
    DpValid,
    EarlyStop,
    LrSchedule,
    TabularDataset,
    TabularModel,
    TabularPreproc,
    TabularTrainer,
    TrainResult,
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
    "threads",  # torch CPU threads: the same seed gives the same weights only at the same count
)


def build_tabular_model(
    preproc: TabularPreproc, dataset_train: TabularDataset, tabular_architecture: dict[str, Any], seed: int
) -> TabularModel:
    """A fresh `TabularModel` for `preproc`, its initial weights drawn with `seed`.

    `tabular_architecture` is the parameter group of `TabularModel.build`: size (a name or a
    mapping {n_layers, h, d, d_ff, kv_heads}), block, dropout, count_weight. The block size is the training dataset's (`tabular_dataset.block_size`);
    `seed` is `tabular_training.seed`, which fixes the batch order too.
    """
    with torch.random.fork_rng():  # the seed fixes the initial weights; the global RNG is left alone
        torch.manual_seed(int(seed))
        model = call(
            TabularModel.build,
            "tabular_architecture",
            with_model_size(tabular_architecture, "tabular_architecture"),
            preproc=preproc,
            block_size=dataset_train.block_size,
        )
    log.info("tabular model: %s, %d parameters", model.config, model.n_params())
    return model


def train_tabular_model(
    model: TabularModel,
    dataset_train: TabularDataset,
    dataset_valid: TabularDataset,
    tabular_training: dict[str, Any],
    tabular_validation: dict[str, Any] | None,
    dp: dict[str, Any] | None,
) -> tuple[TabularModel, dict[str, Any]]:
    """Train `model` on `dataset_train`, validating on `dataset_valid`.

    Parameter groups: `tabular_training` (`TabularTrainer.train`: n_epochs or n_steps,
    batch_size or memory, lr (null: range test), accumulate_grad, seed), `tabular_validation`
    (`Validation`: each, trigger, dp, early_stop, lr_schedule; null: no validation) and `dp`
    (null: no DP; the preprocessing pipeline reads the same group; with `preset: true`,
    `DpStep.preset` replaces tabular_training's batch_size, lr, n_epochs, n_steps and memory and
    chooses the noise and clipping). Returns the trained model
    (best validation weights) and a summary of the run: the choices the trainer made, the timing,
    the per-epoch history, the torch CPU threads it trained at and, under DP, the privacy spent.
    """
    if "dp" in (tabular_training or {}):
        raise ValueError(
            "params:tabular_training.dp has moved to the top-level `dp` group (conf/base/parameters_dp.yml), "
            "which the preprocessing pipeline reads too: move it there"
        )
    budget, dp_step = dp_settings(dp)
    preset, preset_step = dp_preset(dp, len(dataset_train))
    if preset:
        log.info("DP preset (DpStep.preset): %s, %s instead of tabular_training's settings", preset, preset_step)
    result = call(
        TabularTrainer(model, dp_budget=budget).train,
        "tabular_training",
        {**(tabular_training or {}), **preset},
        dataset=dataset_train,
        valid=build_validation(dataset_valid, tabular_validation),
        hooks=[MlflowMetricsHook(prefix=METRICS_PREFIX)],
        dp_step=preset_step or dp_step,
    )
    _log_result(result)
    # `threads: auto` follows the machine's load, and torch's sums split by thread: 1 and 2 threads trained
    # other weights from one seed, so a rerun that must match says the count this run had
    return model, {**asdict(result), "n_parameters": model.n_params(), "threads": torch.get_num_threads()}


def build_validation(dataset: TabularDataset, params: dict[str, Any] | None) -> Validation | None:
    """`Validation` on `dataset` from the `tabular_validation` group; None when the group is null.

    `early_stop` is a mode name (precise, normal, quick), a mapping of `EarlyStop` fields or
    null; `lr_schedule` a mapping of `LrSchedule` fields or null (cosine decay); `dp` a mapping
    of `DpValid` fields (noisy, accounted validation under DP) or null.
    """
    if params is None:
        return None
    params = dict(params)
    configs = {"early_stop": EarlyStop, "dp": DpValid, "lr_schedule": LrSchedule}
    for key, config in configs.items():
        if isinstance(params.get(key), dict):
            params[key] = call(config, f"tabular_validation.{key}", params[key])
    return call(Validation, "tabular_validation", params, dataset=dataset)


def training_metrics(summary: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The summary's numbers as metrics for kedro-mlflow's `MlflowMetricsHistoryDataset`
    (`{name: {"value": v, "step": 0}}`); unset ones (no validation: no best loss) are left out."""
    return {
        name: {"value": float(summary[name]), "step": 0} for name in SUMMARY_METRICS if summary.get(name) is not None
    }


def _log_result(result: TrainResult) -> None:
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
    if result.epsilon is not None:
        log.info(
            "DP: epsilon %.3f spent at delta %.2g (noise multiplier %.3f)",
            result.epsilon,
            result.delta,
            result.noise_multiplier,
        )

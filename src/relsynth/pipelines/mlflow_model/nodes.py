"""Nodes of the mlflow_model pipeline: the run's models as one MLflow model, registered by name.

The node logs to MLflow itself (as the training nodes' `MlflowMetricsHook` does) instead of
returning the model to a kedro-mlflow `MlflowModelTrackingDataset`: that dataset takes its
arguments from the catalog, and the model's artifacts (the saved models, one per text table) and
its registered name (a parameter) are known only in the run. kedro-mlflow's `pipeline_ml_factory`
does not fit either: see `relsynth.mlflow_model` and the README.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import mlflow

from relsynth.mlflow_model import TABULAR_OPTIONS, TEXT_OPTIONS, log_synthesizer
from relsynth.pipelines._params import call
from relsynth.synth import TabularModel, TextModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MlflowModelParams:
    """The `mlflow_model` parameter group."""

    log: bool = True  # log the models as one MLflow model in the run
    register: bool = True  # and register it: a new version of `name` each run
    name: str = "relsynth"  # the model's name in the run and in the registry (models:/<name>/latest)

    def __post_init__(self) -> None:
        if not isinstance(self.log, bool) or not isinstance(self.register, bool):
            raise ValueError(
                f"params:mlflow_model log and register must be true or false, got {self.log!r}, {self.register!r}"
            )
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"params:mlflow_model name must be a non-empty string, got {self.name!r}")


def log_synthesizer_model(
    tabular_model: TabularModel,
    evaluation_scores: dict[str, Any],
    mlflow_model: dict[str, Any],
    tabular_generation: dict[str, Any],
    text_generation: dict[str, Any],
    *text_models: TextModel,
) -> None:
    """Log `tabular_model` and `text_models` as one MLflow pyfunc in the run kedro-mlflow opened,
    register it as `mlflow_model.name` (with `register`), and tag that version with the run's
    headline evaluation scores (`evaluation.quality`, ...).

    The generation groups give the options the model keeps (`TABULAR_OPTIONS`, `TEXT_OPTIONS`);
    a request sets the row count, seed and temperatures. Without an active MLflow run (tracking
    disabled, a test) nothing is logged and the run goes on.
    """
    params = call(MlflowModelParams, "mlflow_model", mlflow_model)
    if not params.log:
        log.info("params:mlflow_model log is false: no MLflow model logged")
        return
    if mlflow.active_run() is None:
        log.info("no active MLflow run (tracking disabled for this pipeline?): no MLflow model logged")
        return
    info = log_synthesizer(
        tabular_model,
        text_models,
        name=params.name,
        registered_model_name=params.name if params.register else None,
        tabular_options={k: v for k, v in (tabular_generation or {}).items() if k in TABULAR_OPTIONS},
        text_options={k: v for k, v in (text_generation or {}).items() if k in TEXT_OPTIONS},
    )
    version = info.registered_model_version
    if version is not None:
        client = mlflow.MlflowClient()
        for key, value in (evaluation_scores or {}).get("overall", {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                client.set_model_version_tag(params.name, str(version), f"evaluation.{key}", str(value))
    log.info(
        "MLflow model %s logged%s",
        info.model_uri,
        f", registered as models:/{params.name}/{version}" if version else "",
    )

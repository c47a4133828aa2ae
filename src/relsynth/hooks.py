"""Kedro-side training hooks: the library's `TrainHook`s wired to the tools of the Kedro project.

The library never imports MLflow; a node that trains a model adds `MlflowMetricsHook` to the
trainer's hooks, and each new training record (step, epoch, learning rate, train and valid
loss) becomes MLflow metrics of the run that kedro-mlflow opened for `kedro run`.
"""

from __future__ import annotations

import math

import mlflow

from relsynth.synth import MetricsHook
from relsynth.synth.core.training.hooks import Trigger


class MlflowMetricsHook(MetricsHook):
    """Log each training record as `<prefix>.<name>` metrics at the record's optimizer step.

    Outside an active MLflow run (a test, a notebook) it logs nothing, so nodes can always add it.
    """

    def __init__(self, prefix: str, each: int = 1, trigger: Trigger = "epoch"):
        super().__init__(log=self.log_record, each=each, trigger=trigger)
        self.prefix = prefix

    def log_record(self, record: dict) -> None:
        """Send one history record (`{step, epoch, lr, train_loss, valid_loss}`) to MLflow."""
        if mlflow.active_run() is None:
            return
        metrics = {
            f"{self.prefix}.{name}": float(value)
            for name, value in record.items()
            if name != "step" and value is not None and math.isfinite(float(value))
        }
        mlflow.log_metrics(metrics, step=int(record["step"]))

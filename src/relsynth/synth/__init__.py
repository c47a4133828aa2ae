"""Synthesis: preprocessing, datasets, models, the training loop and generation."""

import logging

from relsynth.synth._encoders import CategoricalPreproc, ColumnPreproc, CountPreproc, NumericPreproc
from relsynth.synth.dataset import TabularDataset
from relsynth.synth.dp import DpBudget, DpStep, DpValid
from relsynth.synth.hooks import CheckpointHook, MetricsHook, ProgressHook, TrainHook
from relsynth.synth.model import Size, TabularModel, TabularModelSize
from relsynth.synth.preproc import TabularPreproc
from relsynth.synth.text import TextDataset, TextModel, TextModelSize, TextPreproc, TextTrainer
from relsynth.synth.training import EarlyStop, LrSchedule, Trainer, TrainResult, Validation

log = logging.getLogger(__name__)


class TabularTrainer(Trainer):
    """The training loop for a `TabularModel`; after training it calibrates the child counts.

    `calibrate_counts=False` skips the calibration (it reads the training data again). Under DP
    (`dp_budget`) it is always skipped: it reads the training counts without noise.
    """

    def train(self, dataset, *args, calibrate_counts: bool = True, **kwargs) -> TrainResult:
        result = super().train(dataset, *args, **kwargs)
        if self.dp_budget is not None:
            log.info("DP: child-count calibration skipped (it would read the private counts without noise)")
        elif calibrate_counts and hasattr(self.model, "calibrate_counts"):
            result.count_calibration = self.model.calibrate_counts(dataset)
        return result


__all__ = [
    "CategoricalPreproc",
    "CheckpointHook",
    "ColumnPreproc",
    "CountPreproc",
    "DpBudget",
    "DpStep",
    "DpValid",
    "EarlyStop",
    "LrSchedule",
    "MetricsHook",
    "NumericPreproc",
    "ProgressHook",
    "Size",
    "TabularDataset",
    "TabularModel",
    "TabularModelSize",
    "TabularPreproc",
    "TabularTrainer",
    "TextDataset",
    "TextModel",
    "TextModelSize",
    "TextPreproc",
    "TextTrainer",
    "TrainHook",
    "TrainResult",
    "Trainer",
    "Validation",
]

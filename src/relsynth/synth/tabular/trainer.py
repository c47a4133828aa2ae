"""TabularTrainer: the shared training loop, then the calibration of the child counts."""

from __future__ import annotations

import logging

from torch import nn

from relsynth.synth.core.training import Trainer, TrainResult
from relsynth.synth.core.training.dp import DpBudget
from relsynth.synth.core.training.strategy import TrainDataset

log = logging.getLogger(__name__)


class TabularTrainer(Trainer):
    """`TabularTrainer(model).train(dataset, n_epochs=..., batch_size=...)` for a `TabularModel`.

    After training it calibrates the child counts (`TabularModel.calibrate_counts`: it reads the
    training data once more); `calibrate_counts=False` skips that. Under DP (`dp_budget`) it is
    always skipped: it would read the training counts without noise.
    """

    def __init__(self, model: nn.Module, dp_budget: DpBudget | None = None, *, calibrate_counts: bool = True):
        super().__init__(model, dp_budget=dp_budget)
        self.calibrate_counts = calibrate_counts

    def _after_train(self, dataset: TrainDataset, result: TrainResult) -> TrainResult:
        if self.dp_budget is not None:
            log.info("DP: child-count calibration skipped (it would read the private counts without noise)")
        elif self.calibrate_counts:
            result.count_calibration = self.model.calibrate_counts(dataset)
        return result

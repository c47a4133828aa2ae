"""TabularTrainer: the shared training loop, then the calibration of the child counts."""

from __future__ import annotations

import logging

from torch import nn

from relsynth.synth.core.training import Trainer, TrainResult
from relsynth.synth.core.training.dp import DpBudget
from relsynth.synth.core.training.strategy import TrainDataset
from relsynth.synth.tabular._dp_counts import calibrate_counts_dp

log = logging.getLogger(__name__)


class TabularTrainer(Trainer):
    """`TabularTrainer(model).train(dataset, n_epochs=..., batch_size=...)` for a `TabularModel`.

    After training it calibrates the child counts (`TabularModel.calibrate_counts`: it reads the
    training data once more); `calibrate_counts=False` skips that. Under DP (`dp_budget`) the
    training counts are not read again: the counts are calibrated to the DP preprocessor's noisy
    histograms on synthetic entities (`_dp_counts`, post-processing).
    """

    model_class = "TabularModel"

    def __init__(self, model: nn.Module, dp_budget: DpBudget | None = None, *, calibrate_counts: bool = True):
        super().__init__(model, dp_budget=dp_budget)
        self.calibrate_counts = calibrate_counts

    def _after_train(self, dataset: TrainDataset, result: TrainResult) -> TrainResult:
        if not self.calibrate_counts:
            return result
        if self.dp_budget is not None:
            result.count_calibration = calibrate_counts_dp(self.model, n_samples=len(dataset))
        else:
            result.count_calibration = self.model.calibrate_counts(dataset)
        return result

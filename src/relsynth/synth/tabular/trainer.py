"""TabularTrainer: the shared training loop, then the calibration of the child counts."""

from __future__ import annotations

import logging
from typing import Any

from torch import nn

from relsynth.synth.core.training import Trainer, TrainResult
from relsynth.synth.core.training.dp import DpBudget
from relsynth.synth.core.training.strategy import TrainDataset
from relsynth.synth.tabular._dp_counts import calibrate_counts_dp

log = logging.getLogger(__name__)
# samples the count calibration after training reads: those the run trained on, within these bounds
CALIBRATION_SAMPLES = (1_024, 16_384)


class TabularTrainer(Trainer):
    """`TabularTrainer(model).train(dataset, n_epochs=..., batch_size=...)` for a `TabularModel`.

    After training it calibrates the child counts (`TabularModel.calibrate_counts`: a forward
    pass over as many samples as the run trained on, at least `CALIBRATION_SAMPLES[0]` and at most
    `CALIBRATION_SAMPLES[1]`, fewer once each count is estimated precisely; 16,384 samples took
    88 s on the CPU after a 5-step run, now 1,024); `calibrate_counts=False` skips that. Under DP (`dp_budget`) the
    training counts are not read again: the counts are calibrated to the DP preprocessor's noisy
    histograms on synthetic entities (`_dp_counts`, post-processing).
    """

    model_class = "TabularModel"

    def __init__(self, model: nn.Module, dp_budget: DpBudget | None = None, *, calibrate_counts: bool = True):
        super().__init__(model, dp_budget=dp_budget)
        self.calibrate_counts = calibrate_counts

    def train(self, dataset: TrainDataset, **kwargs: Any) -> TrainResult:
        """`Trainer.train`; see there for the options. A model built without `block_size` takes
        the windowed dataset's, so that generation restarts its context where training did."""
        _fit_block_size(self.model, dataset)
        return super().train(dataset, **kwargs)

    def _after_train(self, dataset: TrainDataset, result: TrainResult, progress: bool | None = None) -> TrainResult:
        if not self.calibrate_counts:
            return result
        if self.dp_budget is not None:
            result.count_calibration = calibrate_counts_dp(self.model, n_samples=len(dataset))
        else:
            lo, hi = CALIBRATION_SAMPLES  # a short run gets a cheap calibration, never more than it needs
            samples = min(max(result.n_steps * result.batch_size, lo), hi)
            result.count_calibration = self.model.calibrate_counts(dataset, max_samples=samples, progress=progress)
        return result


def _fit_block_size(model: nn.Module, dataset: TrainDataset) -> None:
    """Give `model` the block size of the windows it is trained on, and the previous siblings they
    keep: without a block size, generation keeps a whole entity in its context (a cache as long as
    the longest entity), at distances training never showed; with another one, it restarts
    elsewhere than training did."""
    windows = getattr(dataset, "block_size", None)
    if windows is None:
        return
    built = model.config.block_size
    if built is None:
        log.info("the model takes the dataset's block_size=%d: generation restarts its context at that length", windows)
        model.config.block_size = windows
    elif built != windows:
        raise ValueError(
            f"the dataset's windows are block_size={windows} tokens but the model was built with block_size={built}: "
            f"generation would restart its context every {built} tokens, not as in training; build the model and "
            f"the datasets with the same block_size"
        )
    model.config.sibling_context = getattr(dataset, "sibling_context", 0)

"""TextTrainer: the shared training loop, without differential privacy."""

from __future__ import annotations

from typing import Any

from relsynth.synth.training import Trainer, TrainResult

_NO_DP = (
    "text models are trained without differential privacy: free text can hold identifying details that DP-SGD "
    "on a language model does not protect well here; train the TextModel without {what}, or leave the text "
    "columns out of a DP release"
)


class TextTrainer(Trainer):
    """`TextTrainer(text_model).train(dataset, n_epochs=..., batch_size=...)`; the loop of `Trainer`."""

    def __init__(self, model, dp_budget: Any = None):
        if dp_budget is not None:
            raise ValueError(_NO_DP.format(what="dp_budget"))
        super().__init__(model)

    def train(self, dataset, *args, dp_step: Any = None, **kwargs) -> TrainResult:
        """See `Trainer.train`; `dp_step` is refused."""
        if dp_step is not None:
            raise ValueError(_NO_DP.format(what="dp_step"))
        return super().train(dataset, *args, **kwargs)

"""TextTrainer: the shared training loop, without differential privacy, with the text model's defaults."""

from __future__ import annotations

import logging
import math
from typing import Any

from relsynth.synth.core.training import Trainer, TrainResult

log = logging.getLogger(__name__)
DEFAULT_LR = 3e-3  # tuned on Chinook's names and titles (the range test chose rates that never end a text)
MIN_STEPS = 300  # a small table's epochs are few steps: 8 epochs of 250 artist names are 64, too few to end texts


class TextTrainer(Trainer):
    """`TextTrainer(text_model).train(dataset, n_epochs=..., batch_size=...)`; the loop of `Trainer`,
    with `lr=3e-3` by default (`lr=None` runs the range test) and at least `min_steps` steps."""

    supports_dp = False

    def train(
        self, dataset, *, lr: float | None = DEFAULT_LR, min_steps: int = MIN_STEPS, **kwargs: Any
    ) -> TrainResult:
        """`Trainer.train` with the text model's default learning rate; see there for the options.

        `n_epochs` at a given `batch_size` that come to fewer than `min_steps` optimizer steps (a
        small table) train for `min_steps` steps instead (0: exactly the epochs asked)."""
        if not isinstance(min_steps, int) or min_steps < 0:
            raise ValueError(f"min_steps must be an integer >= 0, got {min_steps!r}")
        n_epochs, batch_size = kwargs.get("n_epochs"), kwargs.get("batch_size")
        if min_steps and n_epochs and batch_size and kwargs.get("n_steps") is None and not kwargs.get("resume"):
            steps = n_epochs * math.ceil(math.ceil(len(dataset) / batch_size) / kwargs.get("accumulate_grad", 1))
            if steps < min_steps:
                log.info("%d epochs are %d steps: training %d steps (min_steps)", n_epochs, steps, min_steps)
                kwargs = {**kwargs, "n_epochs": None, "n_steps": min_steps}
        return super().train(dataset, lr=lr, **kwargs)

    @staticmethod
    def no_dp_message(what: str) -> str:
        return (
            "text models are trained without differential privacy: free text can hold identifying details that "
            f"DP-SGD on a language model does not protect well here; train the TextModel without {what}, or leave "
            "the text columns out of a DP release"
        )

"""TextTrainer: the shared training loop, without differential privacy, with the text model's defaults."""

from __future__ import annotations

import logging
from typing import Any

from relsynth.synth.core.training import AutoEpochs, Trainer, TrainResult

log = logging.getLogger(__name__)
DEFAULT_LR = 3e-3  # tuned on Chinook's names and titles (the range test chose rates that never end a text)
MIN_STEPS = 300  # a small table's epochs are few steps: 8 epochs of 250 artist names are 64, too few to end texts
# n_epochs="auto": the 8 epochs tuned on Chinook's 2,732 track names (benchmarks/text.py) up to 5,500 texts, then
# 44,000 texts' worth, down to one pass (at least MIN_STEPS steps, as any run given in epochs). TPC-H sf 0.01's
# 13,500 order comments: 3.3 epochs, 56 s against 161 s for 8, length KS 0.91 against 0.95 (22,000 texts' worth:
# 0.90 and 7 texts cut, not 4)
TEXT_AUTO_EPOCHS = AutoEpochs(samples=44_000, min_epochs=1.0, max_epochs=8.0)


class TextTrainer(Trainer):
    """`TextTrainer(text_model).train(dataset, n_epochs=..., batch_size=...)`; the loop of `Trainer`,
    with `lr=3e-3` by default (`lr=None` runs the range test) and at least `min_steps` steps.
    `n_epochs="auto"` (`TEXT_AUTO_EPOCHS`) is 8 epochs up to 5,500 texts, then as many as 44,000
    texts make, down to one pass."""

    supports_dp = False
    auto_epochs = TEXT_AUTO_EPOCHS
    model_class = "TextModel"

    def train(
        self, dataset, *, lr: float | None = DEFAULT_LR, min_steps: int = MIN_STEPS, **kwargs: Any
    ) -> TrainResult:
        """`Trainer.train` with the text model's default learning rate; see there for the options.

        `n_epochs` (a number, or "auto") that come to fewer than `min_steps` optimizer steps (a
        small table) train for `min_steps` steps instead (0: exactly the epochs asked)."""
        _check_min_steps(min_steps)
        self.min_steps = min_steps
        _check_windows_fit(dataset, self.model.max_block_size)
        return super().train(dataset, lr=lr, **kwargs)

    @classmethod
    def check_options(cls, options) -> None:
        super().check_options(options)
        _check_min_steps(options.get("min_steps", MIN_STEPS))

    @staticmethod
    def no_dp_message(what: str) -> str:
        return (
            "text models are trained without differential privacy: free text can hold identifying details that "
            f"DP-SGD on a language model does not protect well here; train the TextModel without {what}, or leave "
            "the text columns out of a DP release"
        )


def _check_windows_fit(dataset: Any, block_size: int) -> None:
    """Refuse, before the first step, a dataset whose windows the model cannot read (else training
    fails at whichever step first draws a long one)."""
    lengths = getattr(dataset, "lengths", None)
    if lengths is not None and len(lengths) and int(max(lengths)) > block_size:
        raise ValueError(
            f"the dataset's windows are up to {int(max(lengths))} tokens (TextDataset block_size={dataset.block_size}), "
            f"longer than the model's block_size={block_size}: build the TextDataset with "
            f"block_size={block_size}, the model's"
        )


def _check_min_steps(min_steps: object) -> None:
    if isinstance(min_steps, bool) or not isinstance(min_steps, int) or min_steps < 0:
        raise ValueError(f"min_steps must be an integer >= 0, got {min_steps!r}")

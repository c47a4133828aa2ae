"""TextTrainer: the shared training loop, without differential privacy, with the text model's defaults."""

from __future__ import annotations

from typing import Any

from relsynth.synth.core.training import Trainer, TrainResult

DEFAULT_LR = 3e-3  # tuned on Chinook's names and titles (the range test chose rates that never end a text)


class TextTrainer(Trainer):
    """`TextTrainer(text_model).train(dataset, n_epochs=..., batch_size=...)`; the loop of `Trainer`,
    with `lr=3e-3` by default (`lr=None` runs the range test)."""

    supports_dp = False

    def train(self, dataset, *, lr: float | None = DEFAULT_LR, **kwargs: Any) -> TrainResult:
        """`Trainer.train` with the text model's default learning rate; see there for the options."""
        return super().train(dataset, lr=lr, **kwargs)

    @staticmethod
    def no_dp_message(what: str) -> str:
        return (
            "text models are trained without differential privacy: free text can hold identifying details that "
            f"DP-SGD on a language model does not protect well here; train the TextModel without {what}, or leave "
            "the text columns out of a DP release"
        )

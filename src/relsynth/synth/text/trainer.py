"""TextTrainer: the shared training loop, without differential privacy."""

from __future__ import annotations

from relsynth.synth.core.training import Trainer


class TextTrainer(Trainer):
    """`TextTrainer(text_model).train(dataset, n_epochs=..., batch_size=...)`; the loop of `Trainer`."""

    supports_dp = False

    @staticmethod
    def no_dp_message(what: str) -> str:
        return (
            "text models are trained without differential privacy: free text can hold identifying details that "
            f"DP-SGD on a language model does not protect well here; train the TextModel without {what}, or leave "
            "the text columns out of a DP release"
        )

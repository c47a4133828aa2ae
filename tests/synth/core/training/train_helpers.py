"""Helpers shared by the training-loop tests: hooks that count and crash, weight snapshots."""

from __future__ import annotations

import torch

from relsynth.synth import TrainHook

BATCH = 8  # 52 samples -> 7 batches per epoch


def state_of(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0, msg=k)


class Counting(TrainHook):
    def __init__(self, each: int = 1, trigger: str = "step"):
        super().__init__(each=each, trigger=trigger)
        self.calls: list[tuple[int, int]] = []
        self.setups, self.statuses = 0, []

    def _setup(self) -> None:
        self.setups += 1

    def _hook(self, n: int) -> None:
        self.calls.append((n, self.trainer.step))

    def _cleanup(self) -> None:
        self.statuses.append(self.hook_status)


class Crash(TrainHook):
    def __init__(self, at_step: int):
        super().__init__(each=1, trigger="step")
        self.at_step = at_step

    def _hook(self, n: int) -> None:
        if self.trainer.step == self.at_step:
            raise RuntimeError(f"crash at step {self.at_step}")

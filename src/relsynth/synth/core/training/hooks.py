"""Training hooks: the base `TrainHook` and the built-in ones (progress, checkpoint, metrics).

A hook only routes an event to a small named method; the trainer calls `hook()` after every
optimizer step (trigger "step") or every epoch (trigger "epoch"), and the hook runs `_hook(n)`
each `each` calls. Built-ins are hooks like any user's.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from relsynth.relational.progress import progress

log = logging.getLogger(__name__)
Trigger = Literal["step", "epoch"]


class TrainHook:
    """Base class: override `_hook(n)` and, if needed, `_setup()` and `_cleanup()`."""

    def __init__(self, each: int = 1, trigger: Trigger = "step"):
        if each < 1:
            raise ValueError(f"each must be >= 1, got {each}")
        if trigger not in ("step", "epoch"):
            raise ValueError(f"trigger must be 'step' or 'epoch', got {trigger!r}")
        self.each, self.trigger = each, trigger
        self.n = 0
        self.trainer: Any = None  # the running `Trainer` (set by `setup`)
        self.hooks: list[TrainHook] = []

    def setup(self, trainer: Any, hooks: list[TrainHook]) -> None:
        """Called once before training with the trainer and all its hooks."""
        # a resumed run counts on from its checkpoint, so `each` keeps firing at the same steps
        self.n = getattr(trainer, "step" if self.trigger == "step" else "epoch", 0)
        self.trainer, self.hooks = trainer, hooks
        self._setup()

    def hook(self) -> None:
        """Called by the trainer at each step or epoch end; runs `_hook` each `each` steps or epochs."""
        self.n += 1
        if self.n % self.each == 0:
            self._hook(self.n)

    def cleanup(self, hook_status: bool) -> None:
        """Called once at the end; `hook_status` is False when training stopped on an error."""
        self.hook_status = hook_status
        self._cleanup()

    def _setup(self) -> None:
        """Prepare state before the first step."""

    def _hook(self, n: int) -> None:
        """Do the hook's work; `n` counts the steps (or epochs) done, as `trainer.step` (or `.epoch`)."""

    def _cleanup(self) -> None:
        """Release what `_setup` took."""


class ProgressHook(TrainHook):
    """Progress over optimizer steps with the latest losses: a tqdm bar on a terminal, periodic log
    lines elsewhere (`relational.progress`); `disable=True` shows nothing, `False` a bar anywhere."""

    def __init__(self, each: int = 1, disable: bool | None = None):
        super().__init__(each=each, trigger="step")
        self.disable = disable
        self.bar: Any = None  # a tqdm bar or a LogProgress

    def _setup(self) -> None:
        show = None if self.disable is None else not self.disable
        self.bar = progress(self.trainer.total_steps, "train", "steps", show=show)

    def _hook(self, n: int) -> None:
        t = self.trainer
        self.bar.n = t.step
        post = {"loss": f"{t.last_loss:.4f}"} if not math.isnan(t.last_loss) else {}  # none under DP
        if t.last_valid_loss is not None:
            post["valid"] = f"{t.last_valid_loss:.4f}"
        self.bar.set_postfix(post, refresh=True)

    def _cleanup(self) -> None:
        if self.bar is not None:
            self.bar.close()


class CheckpointHook(TrainHook):
    """Save a resumable checkpoint (weights, optimizer, position) every `each` steps/epochs, and
    the last finished step when training stops on Ctrl-C or an error between two saves."""

    def __init__(self, path: str | Path, each: int = 1, trigger: Trigger = "epoch"):
        super().__init__(each=each, trigger=trigger)
        self.path = Path(path)
        self.saved_step: int | None = None

    def _setup(self) -> None:
        self.saved_step = None

    def _hook(self, n: int) -> None:
        self.trainer.save_checkpoint(self.path)
        self.saved_step = self.trainer.step

    def _cleanup(self) -> None:
        # an epoch of a large database can be hours: a stop between two saves keeps its steps
        step = self.trainer.step
        if self.hook_status or step == 0 or step == self.saved_step:
            return
        try:
            self._hook(self.n)
        except BaseException as e:  # a second Ctrl-C or a full disk: the first error is the one to raise
            log.warning("training stopped at step %d; its checkpoint could not be saved to %s: %r", step, self.path, e)
            return
        log.warning(
            "training stopped at step %d: checkpoint saved to %s; continue with train(..., resume=%s)",
            step,
            self.path,
            self.path,
        )


class MetricsHook(TrainHook):
    """Hand each new history record (step, epoch, losses, lr) to `log`, e.g. an MLflow logger."""

    def __init__(self, log: Callable[[dict], None], each: int = 1, trigger: Trigger = "epoch"):
        super().__init__(each=each, trigger=trigger)
        self.log = log
        self._sent = 0

    def _setup(self) -> None:
        self._sent = 0

    def _hook(self, n: int) -> None:
        self._flush()

    def _flush(self) -> None:
        for record in self.trainer.history[self._sent :]:
            self.log(record)
        self._sent = len(self.trainer.history)

    def _cleanup(self) -> None:
        self._flush()


class TensorboardHook(MetricsHook):
    """Write each history record's numbers as TensorBoard scalars under `log_dir` (needs `tensorboard`)."""

    def __init__(self, log_dir: str | Path, each: int = 1, trigger: Trigger = "epoch"):
        self.writer_class = tensorboard_writer()
        self.log_dir = Path(log_dir)
        self.writer = None
        super().__init__(log=self._write, each=each, trigger=trigger)

    def _setup(self) -> None:
        super()._setup()
        self.writer = self.writer_class(log_dir=str(self.log_dir))

    def _write(self, record: dict) -> None:
        for key, value in record.items():
            if key != "step" and isinstance(value, int | float):
                self.writer.add_scalar(key, value, global_step=record["step"])

    def _cleanup(self) -> None:
        super()._cleanup()
        if self.writer is not None:
            self.writer.close()


def tensorboard_writer():
    """torch's SummaryWriter, or a clear error when the optional `tensorboard` package is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ImportError(
            "Validation(tensorboard=...) needs the optional tensorboard package: pip install tensorboard"
        ) from None
    return SummaryWriter

"""What a training run is asked to do (frozen configs) and what it did (`TrainResult`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from relsynth.synth.core.training import hooks
from relsynth.synth.core.training.hooks import Trigger
from relsynth.synth.core.training.precision import check_precision

LR_DECAYS = ("cosine", "none")
AUTO: Literal["auto"] = "auto"


@dataclass(frozen=True)
class AutoEpochs:
    """`n_epochs="auto"`: as many passes as `samples` training samples make, between `min_epochs`
    and `max_epochs`. A small database is seen many times; a large one about once: its loss
    levels off within the first pass, and more passes cost time without a better model
    (TPC-H sf 0.01, 3.8k entities: the validation loss flattens after ~1,000 steps of 16)."""

    samples: int = 16_000  # Chinook (273 samples an epoch) gets ~59 epochs, as its tuned 60
    min_epochs: float = 1.0
    max_epochs: float = 60.0

    def steps(self, n_samples: int, steps_per_epoch: int) -> int:
        epochs = min(max(self.samples / max(n_samples, 1), self.min_epochs), self.max_epochs)
        return max(1, math.ceil(epochs * steps_per_epoch))


AUTO_EPOCHS = AutoEpochs()
VALIDATIONS_PER_RUN = 20  # Validation(trigger="auto"): about this many over a run, 1 to 4 an epoch


@dataclass(frozen=True)
class LrSchedule:
    """Reduce the learning rate by `factor` when validation stops improving."""

    factor: float = 0.5  # multiply the rate by this on a plateau
    patience: int = 2  # validations without improvement before reducing
    threshold: float = 1e-3  # relative improvement that counts
    cooldown: int = 0  # validations to wait after a reduction
    lr_min_ratio: float = 0.01  # never below this share of the initial rate

    def __post_init__(self) -> None:
        if not 0 < self.factor < 1:
            raise ValueError(f"LrSchedule factor must be in (0, 1), got {self.factor}")
        if self.patience < 0 or self.cooldown < 0:
            raise ValueError(f"LrSchedule patience and cooldown must be >= 0, got {self.patience}, {self.cooldown}")


@dataclass(frozen=True)
class EarlyStop:
    """Stop after `patience` validations without an improvement larger than `delta`."""

    delta: float = 0.0
    patience: int = 5

    def __post_init__(self) -> None:
        if self.delta < 0 or self.patience < 1:
            raise ValueError(f"EarlyStop needs delta >= 0 and patience >= 1, got {self.delta}, {self.patience}")


# frozen presets: handing one out never lets a caller change it for everyone else
EARLY_STOP_MODES = {
    "precise": EarlyStop(delta=0.0, patience=10),
    "normal": EarlyStop(delta=0.0, patience=5),
    "quick": EarlyStop(delta=1e-3, patience=2),
}


@dataclass
class Validation:
    """Evaluate on `dataset` each `each` epochs or steps; optionally schedule, stop and keep the best.

    `trigger="auto"`: every epoch while epochs are short, else about `VALIDATIONS_PER_RUN` times
    over the run and at most 4 times an epoch (so early stopping and the best weights act within
    long epochs); under differential privacy, every epoch."""

    dataset: Any
    each: int = 1
    trigger: Trigger | Literal["auto"] = "epoch"
    lr_schedule: LrSchedule | None = None
    early_stop: EarlyStop | Literal["precise", "normal", "quick"] | None = None
    save_best: str | Path | None = None  # checkpoint path for the best weights (restored at the end)
    tensorboard: str | Path | None = None  # log directory (needs the tensorboard package)
    dp: Any = None  # DpValid: noisy validation under differential privacy

    def __post_init__(self) -> None:
        if self.trigger not in ("step", "epoch", AUTO):
            raise ValueError(f"Validation trigger must be 'step', 'epoch' or 'auto', got {self.trigger!r}")
        if isinstance(self.each, bool) or not isinstance(self.each, int) or self.each < 1:
            raise ValueError(f"Validation each must be an integer >= 1, got {self.each!r}")
        if self.trigger == AUTO and self.each != 1:
            raise ValueError(f"Validation trigger='auto' chooses the interval itself: leave each at 1, got {self.each}")
        if self.tensorboard is not None:
            hooks.tensorboard_writer()  # fail here, before any work, when the package is missing
        if isinstance(self.early_stop, str):
            if self.early_stop not in EARLY_STOP_MODES:
                raise ValueError(f"early_stop mode {self.early_stop!r} unknown; options: {sorted(EARLY_STOP_MODES)}")
            self.early_stop = EARLY_STOP_MODES[self.early_stop]
        if self.early_stop is not None and not isinstance(self.early_stop, EarlyStop):
            raise TypeError(f"early_stop must be an EarlyStop, a mode name or None, got {self.early_stop!r}")

    def resolved(self, steps_per_epoch: int, planned_steps: int) -> Validation:
        """This validation with `trigger="auto"` replaced by the concrete interval for a run."""
        if self.trigger != AUTO:
            return self
        # ~VALIDATIONS_PER_RUN over the run, but never more than 4 an epoch: a short run of long
        # epochs would otherwise spend more time validating than training
        every = max(math.ceil(planned_steps / VALIDATIONS_PER_RUN), math.ceil(steps_per_epoch / 4))
        if every >= steps_per_epoch:
            return replace(self, trigger="epoch", each=1)
        return replace(self, trigger="step", each=max(every, 1))


@dataclass(frozen=True)
class RunConfig:
    """The options of one `train()` call that decide its result; a checkpoint stores them, and
    `resume=` refuses to continue a run under other ones."""

    n_epochs: int | Literal["auto"] | None  # "auto": see AutoEpochs
    n_steps: int | None
    batch_size: int | None
    memory: float | None
    lr: float | None
    accumulate_grad: int
    seed: int
    lr_decay: str
    world_size: int
    precision: str = "fp32"  # "fp32", "bf16" (autocast) or "auto" (bf16 on CUDA, fp32 on CPU); see precision.py

    def __post_init__(self) -> None:
        for a, b in (("n_epochs", "n_steps"), ("batch_size", "memory")):
            if (getattr(self, a) is None) == (getattr(self, b) is None):
                raise ValueError(
                    f"give exactly one of {a} and {b}{' (MB)' if b == 'memory' else ''}, the other None (null in a "
                    f"Kedro parameters file); got {a}={getattr(self, a)!r}, {b}={getattr(self, b)!r}"
                )
        for name in ("n_epochs", "n_steps", "batch_size", "accumulate_grad"):
            value = getattr(self, name)
            if name == "n_epochs" and value == AUTO:
                continue
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                extra = ' or "auto"' if name == "n_epochs" else ""
                raise ValueError(f"{name} must be a positive integer{extra}, got {value!r}")
        if self.memory is not None and not (
            isinstance(self.memory, int | float) and math.isfinite(self.memory) and self.memory > 0
        ):
            raise ValueError(f"memory must be a positive, finite number of MB, got {self.memory!r}")
        if self.lr is not None and not (isinstance(self.lr, int | float) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive, finite number (or None for a range test), got {self.lr!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if self.lr_decay not in LR_DECAYS:
            raise ValueError(f"lr_decay must be one of {LR_DECAYS}, got {self.lr_decay!r}")
        if isinstance(self.world_size, bool) or not isinstance(self.world_size, int) or self.world_size < 0:
            raise ValueError(f"world_size must be an integer >= 0, got {self.world_size!r}")
        check_precision(self.precision)

    def to_dict(self) -> dict:
        return asdict(self)

    def planned_steps(self, n_samples: int, steps_per_epoch: int, auto: AutoEpochs = AUTO_EPOCHS) -> int:
        if self.n_steps is not None:
            return self.n_steps
        if self.n_epochs == AUTO:
            return auto.steps(n_samples, steps_per_epoch)
        return self.n_epochs * steps_per_epoch

    def differences(self, saved: dict) -> list[str]:
        """'name: saved -> now' for every option that differs from a checkpoint's (an option the
        checkpoint predates counts at its default)."""
        now = self.to_dict()
        was = {f.name: saved.get(f.name, None if f.default is MISSING else f.default) for f in fields(self)}
        return [f"{k}: {was[k]!r} -> {now[k]!r}" for k in now if was[k] != now[k]]


@dataclass
class TrainResult:
    """What a training run did: its history and the choices it made."""

    history: list[dict] = field(default_factory=list)
    batch_size: int = 0
    lr: float = 0.0
    n_steps: int = 0
    n_epochs: float = 0.0
    best_valid_loss: float | None = None
    stopped_early: bool = False
    seconds: float = 0.0
    epsilon: float | None = None  # privacy spent, for DP runs: preprocessor + training + validation
    delta: float | None = None  # the delta epsilon is spent at (the budget's), for DP runs
    noise_multiplier: float | None = None  # DP-SGD noise used (given or calibrated), for DP runs
    count_calibration: dict | None = None  # mean predicted / real child count per edge, before calibration
    accountant: str | None = None  # the accountant epsilon was computed with (rdp, prv), for DP runs


def check_run_options(options: Mapping[str, Any], defaults: Mapping[str, Any]) -> RunConfig:
    """The `RunConfig` that `train(**options)` would run under (`defaults`: train()'s own), so its
    options are checked before any work (a Kedro run checks its parameter groups at the start)."""
    names = [f.name for f in fields(RunConfig)]
    return RunConfig(**{n: options[n] if n in options else defaults[n] for n in names})

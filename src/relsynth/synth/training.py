"""One training loop for every model (tabular and text).

A model implements `forward(batch) -> (logits, loss)`; a dataset implements `__len__()` and
`collate(indices) -> batch`. `Trainer.train` picks the batch size (given, or the largest that
fits `memory`), the learning rate (given, or found by a range test), runs AdamW with gradient
clipping and accumulation, validates, schedules the rate, stops early, restores the best
weights, fires hooks and checkpoints, and can run DistributedDataParallel.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from relsynth.synth import _memory
from relsynth.synth.hooks import ProgressHook, TrainHook, Trigger

log = logging.getLogger(__name__)


class TrainDataset(Protocol):
    def __len__(self) -> int: ...
    def collate(self, indices: np.ndarray) -> dict[str, Tensor]: ...


# ---- configuration ---------------------------------------------------------------------------
@dataclass
class LrSchedule:
    """Reduce the learning rate by `factor` when validation stops improving."""

    factor: float = 0.5  # multiply the rate by this on a plateau
    patience: int = 2  # validations without improvement before reducing
    threshold: float = 1e-3  # relative improvement that counts
    cooldown: int = 0  # validations to wait after a reduction
    lr_min_ratio: float = 0.01  # never below this share of the initial rate


@dataclass
class EarlyStop:
    """Stop after `patience` validations without an improvement larger than `delta`."""

    delta: float = 0.0
    patience: int = 5


EARLY_STOP_MODES = {
    "precise": EarlyStop(delta=0.0, patience=10),
    "normal": EarlyStop(delta=0.0, patience=5),
    "quick": EarlyStop(delta=1e-3, patience=2),
}


@dataclass
class Validation:
    """Evaluate on `dataset` each `each` epochs or steps; optionally schedule, stop and keep the best."""

    dataset: Any
    each: int = 1
    trigger: Trigger = "epoch"
    lr_schedule: LrSchedule | None = None
    early_stop: EarlyStop | Literal["precise", "normal", "quick"] | None = None
    save_best: str | Path | None = None  # checkpoint path for the best weights (restored at the end)
    tensorboard: str | Path | None = None  # log directory (needs the tensorboard package)
    dp: Any = None  # DpValid: noisy validation under differential privacy

    def __post_init__(self) -> None:
        if self.trigger not in ("step", "epoch"):
            raise ValueError(f"Validation trigger must be 'step' or 'epoch', got {self.trigger!r}")
        if self.each < 1:
            raise ValueError(f"Validation each must be >= 1, got {self.each}")
        if self.tensorboard is not None:
            from relsynth.synth.hooks import tensorboard_writer

            tensorboard_writer()  # fail here, before any work, when the package is missing
        if isinstance(self.early_stop, str):
            if self.early_stop not in EARLY_STOP_MODES:
                raise ValueError(f"early_stop mode {self.early_stop!r} unknown; options: {sorted(EARLY_STOP_MODES)}")
            self.early_stop = EARLY_STOP_MODES[self.early_stop]


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


# ---- batch size and learning rate ------------------------------------------------------------
def choose_batch_size(n_samples: int, memory_mb: float, peak_mb: Callable[[int], float], max_size: int = 256) -> int:
    """The largest power of two <= max_size giving >= 50 steps per epoch whose step peak fits.

    `peak_mb(b)` measures one training step at batch size b. Sizes are tried upward and the
    search stops at the first that does not fit, so more memory never gives a smaller batch.
    """
    limit = max(1, min(max_size, n_samples // 50))
    best = 1
    b = 1
    while b <= limit:
        if peak_mb(b) > memory_mb:
            break
        best, b = b, b * 2
    if best == 1 and peak_mb(1) > memory_mb:
        raise MemoryError(f"one training step at batch size 1 needs more than memory={memory_mb} MB")
    return best


def lr_range_test(step_loss: Callable[[float], float], lr_min: float = 1e-5, lr_max: float = 1.0, n: int = 40) -> float:
    """Exponential learning-rate sweep; returns a tenth of the rate with the lowest smoothed loss."""
    rates = np.geomspace(lr_min, lr_max, n)
    smooth, best_loss, best_lr = None, math.inf, rates[0]
    for i, rate in enumerate(rates):
        loss = step_loss(float(rate))
        if not math.isfinite(loss):
            break
        smooth = loss if smooth is None else 0.7 * smooth + 0.3 * loss
        if i >= 3 and smooth > 4 * best_loss:
            break
        if smooth < best_loss:
            best_loss, best_lr = smooth, rate
    return float(np.clip(best_lr / 10, 1e-4, 1e-2))


# ---- the trainer -----------------------------------------------------------------------------
class Trainer:
    """Trains `model`; see `train`. State (step, epoch, losses, history) is readable by hooks."""

    def __init__(self, model: nn.Module, dp_budget: Any = None):
        """`dp_budget=DpBudget(epsilon, delta)`: DP-SGD over entities (see `relsynth.synth.dp`)."""
        from relsynth.synth.dp import DpBudget, check_dp_model

        self.model = model
        self.dp_budget = dp_budget
        self.dp = None  # DpSession during a DP run
        if dp_budget is not None:
            if not isinstance(dp_budget, DpBudget):
                raise TypeError(f"dp_budget must be a DpBudget, got {type(dp_budget).__name__}")
            check_dp_model(model)
        self._reset_state()

    def _reset_state(self) -> None:
        self.step, self.epoch, self.batch_in_epoch = 0, 0, 0
        self.total_steps = 0
        self.last_loss, self.last_valid_loss = math.nan, None
        self.history: list[dict] = []
        self.best_valid_loss: float | None = None
        self.best_state: dict | None = None
        self.stale_validations = 0
        self.stop_requested = False
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: Any = None
        self.rank, self.world_size = 0, 1

    # -- public --------------------------------------------------------------------------------
    def train(
        self,
        dataset: TrainDataset,
        n_epochs: int | None = None,
        n_steps: int | None = None,
        batch_size: int | None = None,
        memory: float | None = None,
        lr: float | None = None,
        valid: Validation | None = None,
        hooks: Sequence[TrainHook] = (),
        accumulate_grad: int = 1,
        dp_step: Any = None,
        world_size: int = 0,
        resume: str | Path | None = None,
        seed: int = 0,
        lr_decay: Literal["cosine", "none"] = "cosine",
        progress: bool | None = None,
    ) -> TrainResult:
        """Train for `n_epochs` or `n_steps` (exactly one) with `batch_size` or `memory` MB (exactly one).

        `lr=None` runs a short range test on a copy of the model. Unless `valid` schedules the
        rate on plateaus, `lr_decay="cosine"` warms up then decays it to a tenth over the run: a
        constant rate leaves the last steps noisy, which shows most on the child-count tokens. `valid` evaluates, schedules the
        rate, stops early and restores the best weights. `resume` continues from a checkpoint
        written by `CheckpointHook`. `world_size > 1` trains with DistributedDataParallel.
        """
        self._check_args(dataset, n_epochs, n_steps, batch_size, memory, accumulate_grad, dp_step, world_size)
        if self.dp_budget is not None:
            self._check_dp_args(dataset, lr, valid, dp_step, world_size, resume)
        if lr_decay not in ("cosine", "none"):
            raise ValueError(f"lr_decay must be 'cosine' or 'none', got {lr_decay!r}")
        self.lr_decay = lr_decay
        # a progress bar unless the caller gave one: shown on a terminal, or when asked for
        self.progress = progress if progress is not None else sys.stderr.isatty()
        if world_size > 1:
            from relsynth.synth._distributed import train_distributed

            return train_distributed(
                self,
                world_size,
                dict(
                    dataset=dataset,
                    n_epochs=n_epochs,
                    n_steps=n_steps,
                    batch_size=batch_size,
                    memory=memory,
                    lr=lr,
                    valid=valid,
                    hooks=hooks,
                    accumulate_grad=accumulate_grad,
                    resume=resume,
                    seed=seed,
                ),
            )
        if self.dp_budget is not None:
            from relsynth.synth.dp import DpStep, set_loss_reduction

            self.dp_step = dp_step or DpStep()
            with set_loss_reduction(self.model, "samples"):
                return self._train(
                    dataset, n_epochs, n_steps, batch_size, memory, lr, valid, hooks, accumulate_grad, resume, seed
                )
        return self._train(
            dataset, n_epochs, n_steps, batch_size, memory, lr, valid, hooks, accumulate_grad, resume, seed
        )

    def evaluate(self, dataset: TrainDataset, batch_size: int = 64) -> float:
        """Mean loss over `dataset` (weighted by samples per batch), without gradients."""
        was_training = self.model.training
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(dataset), batch_size):
                idx = np.arange(start, min(start + batch_size, len(dataset)))
                _, loss = self.model(on_device(dataset.collate(idx), self.model))
                total, count = total + float(loss) * len(idx), count + len(idx)
        self.model.train(was_training)
        return total / max(count, 1)

    def find_batch_size(self, dataset: TrainDataset, memory: float) -> int:
        """The batch size rule of `choose_batch_size`, with each step's peak measured."""
        order = _longest_first(dataset)

        def peak(b: int) -> float:
            model = copy.deepcopy(self.model)
            opt = _adamw(model, 1e-4)
            if self.dp_budget is not None:  # per-sample gradients take memory too
                from opacus import GradSampleModule

                model = GradSampleModule(model)
            device = str(model_device(model))
            return _memory.measure_peak_mb(lambda: _one_step(model, opt, dataset.collate(order[:b])), device=device)

        size = choose_batch_size(len(dataset), memory, peak)
        log.info("batch size %d chosen for memory=%s MB", size, memory)
        return size

    def find_lr(self, dataset: TrainDataset, batch_size: int, seed: int = 0) -> float:
        """A short learning-rate range test on a copy of the model (the model is untouched)."""
        model = copy.deepcopy(self.model)
        model.train()
        opt = _adamw(model, 1e-5)
        rng = np.random.default_rng(seed)

        def step_loss(rate: float) -> float:
            for group in opt.param_groups:
                group["lr"] = rate
            idx = rng.choice(len(dataset), size=min(batch_size, len(dataset)), replace=False)
            return _one_step(model, opt, dataset.collate(np.sort(idx)))

        with torch.random.fork_rng():
            rate = lr_range_test(step_loss)
        log.info("learning rate %.2e chosen by a range test", rate)
        return rate

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, path: str | Path) -> None:
        """Weights, optimizer and position, written atomically (never a half-written file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "model": self._bare_model().state_dict(),
            "optimizer": self.optimizer.state_dict() if self.optimizer else None,
            "scheduler": self.scheduler.state_dict() if self.scheduler else None,
            "position": {"step": self.step, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch},
            "history": self.history,
            "best_valid_loss": self.best_valid_loss,
            "best_state": self.best_state,
            "stale_validations": self.stale_validations,
            "torch_rng": torch.get_rng_state(),
        }
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as tmp:
            torch.save(state, tmp.name)
        os.replace(tmp.name, path)

    def _load_checkpoint(self, path: str | Path) -> None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint at {path} to resume from")
        state = torch.load(path, weights_only=True)
        self._bare_model().load_state_dict(state["model"])
        if state["optimizer"] is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        if state["scheduler"] is not None and self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        pos = state["position"]
        self.step, self.epoch, self.batch_in_epoch = pos["step"], pos["epoch"], pos["batch_in_epoch"]
        self.history = list(state["history"])
        self.best_valid_loss, self.best_state = state["best_valid_loss"], state["best_state"]
        self.stale_validations = state["stale_validations"]
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed from %s at step %d (epoch %d)", path, self.step, self.epoch)

    # -- the loop ------------------------------------------------------------------------------
    def _train(
        self, dataset, n_epochs, n_steps, batch_size, memory, lr, valid, hooks, accumulate_grad, resume, seed
    ) -> TrainResult:
        started = time.perf_counter()
        torch.manual_seed(seed)
        self._reset_state_keep_dist()
        self.batch_size = batch_size or self.find_batch_size(dataset, memory)
        self.accumulate_grad = accumulate_grad
        steps_per_epoch = self._steps_per_epoch(len(dataset))
        self.total_steps = n_steps if n_steps is not None else n_epochs * steps_per_epoch
        self.lr = lr if lr is not None else self.find_lr(dataset, self.batch_size, seed)
        self.model.train()
        self.optimizer = _adamw(self.model, self.lr)
        self.scheduler = _plateau(self.optimizer, valid, self.lr)
        if resume is not None:
            self._load_checkpoint(resume)
        if self.dp_budget is not None:
            self._start_dp(len(dataset), steps_per_epoch, valid)
            try:
                return self._train_loop(dataset, valid, hooks, seed, steps_per_epoch, started)
            finally:
                self.dp.close()
        return self._train_loop(dataset, valid, hooks, seed, steps_per_epoch, started)

    def _train_loop(self, dataset, valid, hooks, seed, steps_per_epoch, started) -> TrainResult:
        all_hooks = list(hooks) if self.rank == 0 else []
        if self.rank == 0 and getattr(self, "progress", False) and not any(isinstance(h, ProgressHook) for h in hooks):
            all_hooks.append(ProgressHook())
        if self.rank == 0 and valid is not None and valid.tensorboard is not None:
            from relsynth.synth.hooks import TensorboardHook

            all_hooks.append(TensorboardHook(valid.tensorboard, each=1, trigger=valid.trigger))
        for h in all_hooks:
            h.setup(self, all_hooks)
        ok = False
        try:
            self._run(dataset, seed, valid, all_hooks)
            ok = True
        finally:
            for h in all_hooks:
                h.cleanup(ok)
        if self.best_state is not None:
            self._bare_model().load_state_dict(self.best_state)
            if valid is not None and valid.save_best is not None and self.rank == 0:
                self._save_best(valid.save_best)
        self.model.eval()
        return TrainResult(
            history=self.history,
            batch_size=self.batch_size,
            lr=self.lr,
            n_steps=self.step,
            n_epochs=self.step / steps_per_epoch,
            best_valid_loss=self.best_valid_loss,
            stopped_early=self.stop_requested,
            seconds=time.perf_counter() - started,
            **self._dp_result(),
        )

    # -- differential privacy ------------------------------------------------------------------
    def _start_dp(self, n_samples: int, steps_per_epoch: int, valid: Validation | None) -> None:
        """DP-SGD for this run: expected logical batch = batch_size x accumulate_grad entities."""
        from relsynth.synth.dp import DpSession

        if self.dp is not None:
            raise RuntimeError("this trainer already trained under its DP budget: build a new model and trainer")

        def n_valid(k: int) -> int:
            if valid is None:
                return 0
            return k // valid.each if valid.trigger == "step" else (k // steps_per_epoch) // valid.each

        expected = min(self.batch_size * self.accumulate_grad, n_samples)
        self.dp = DpSession(
            self.model,
            self.optimizer,
            self.dp_budget,
            self.dp_step,
            _preproc_spend(self.model, self.dp_budget),
            n_samples,
            expected,
            self.dp_step.max_batch_size or self.batch_size,
            self.total_steps,
            n_valid,
            valid.dp if valid is not None else None,
        )
        self.dp_planned_steps = self.total_steps
        self.total_steps = self.dp.max_steps

    def _dp_result(self) -> dict:
        if self.dp is None:
            return {}
        return {"epsilon": self.dp.spent(), "delta": self.dp_budget.delta, "noise_multiplier": self.dp.sigma}

    def _check_dp_args(self, dataset, lr, valid, dp_step, world_size, resume) -> None:
        from relsynth.synth.dp import DpStep, DpValid

        if dp_step is not None and not isinstance(dp_step, DpStep):
            raise TypeError(f"dp_step must be a DpStep, got {type(dp_step).__name__}")
        if lr is None:
            raise ValueError("under DP give lr: the learning-rate range test would read the private data without noise")
        if world_size > 1:
            raise ValueError("DP training runs on one process: use world_size <= 1 with dp_budget")
        if resume is not None:
            raise ValueError("DP training cannot resume (the accountant is not checkpointed): train from the start")
        if valid is not None and not isinstance(valid.dp, DpValid):
            raise ValueError(
                "under DP the validation data is private too: give Validation(..., dp=DpValid(...)) or no validation"
            )
        for ds in (dataset, valid.dataset if valid is not None else None):
            if ds is not None and (
                getattr(ds, "block_size", None) is not None or len(ds) != getattr(ds, "n_entities", len(ds))
            ):
                raise ValueError(
                    "DP training protects one root entity per sample: build the datasets with block_size=None "
                    "(windows would split an entity over several samples)"
                )

    def _reset_state_keep_dist(self) -> None:
        rank, world = self.rank, self.world_size
        self._reset_state()
        self.rank, self.world_size = rank, world

    def _steps_per_epoch(self, n_samples: int) -> int:
        if self.dp_budget is not None:  # one Poisson batch of expected batch_size x accumulate_grad per step
            return max(1, math.ceil(n_samples / (self.batch_size * self.accumulate_grad)))
        return max(1, math.ceil(math.ceil(n_samples / self.batch_size) / self.accumulate_grad))

    def _run(self, dataset, seed: int, valid: Validation | None, hooks: list[TrainHook]) -> None:
        step_hooks = [h for h in hooks if h.trigger == "step"]
        epoch_hooks = [h for h in hooks if h.trigger == "epoch"]
        losses: list[float] = []
        while self.step < self.total_steps and not self.stop_requested:
            if self.dp is None:
                batches, per_step = (
                    _epoch_batches(len(dataset), self.batch_size, seed, self.epoch),
                    self.accumulate_grad,
                )
            else:  # one Poisson batch per step (accumulation happens inside the DP step)
                batches, per_step = self.dp.epoch_batches(), 1
            while self.batch_in_epoch < len(batches) and self.step < self.total_steps:
                group = batches[self.batch_in_epoch : self.batch_in_epoch + per_step]
                self.batch_in_epoch += len(group)
                losses.append(self._optimizer_step(dataset, group))
                self.step += 1
                self.last_loss = losses[-1]
                if valid is not None and valid.trigger == "step" and self.step % valid.each == 0:
                    self._record(losses, valid)
                    losses = []
                for h in step_hooks:
                    h.hook()
                if self.stop_requested:
                    break
            if self.batch_in_epoch >= len(batches):
                self.epoch, self.batch_in_epoch = self.epoch + 1, 0
                run_valid = valid is not None and valid.trigger == "epoch" and self.epoch % valid.each == 0
                if losses or run_valid:
                    self._record(losses, valid if run_valid else None)
                    losses = []
                for h in epoch_hooks:
                    h.hook()
        if losses:
            self._record(losses, None)
        if self.dp is not None and self.step < getattr(self, "dp_planned_steps", 0):
            log.warning("DP: stopped after %d steps: the next step would exceed the budget", self.step)

    def _optimizer_step(self, dataset, group: list[np.ndarray]) -> float:
        if self.dp is not None:
            return self.dp.step(dataset, group[0], self._set_lr)
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for idx in group:
            idx = idx[self.rank :: self.world_size] if self.world_size > 1 else idx
            _, loss = self.model(on_device(dataset.collate(idx), self.model))
            (loss / len(group)).backward()
            total += float(loss.detach()) / len(group)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self._set_lr()
        self.optimizer.step()
        return total

    def _set_lr(self) -> None:
        if self.scheduler is None and getattr(self, "lr_decay", "none") == "cosine":
            for group in self.optimizer.param_groups:
                group["lr"] = self.lr * cosine_factor(self.step, self.total_steps)

    def _record(self, losses: list[float], valid: Validation | None) -> None:
        record = {"step": self.step, "epoch": self.epoch, "lr": self.optimizer.param_groups[0]["lr"]}
        if losses:
            record["train_loss"] = float(np.mean(losses))
        if valid is not None:
            record["valid_loss"] = self._validate(valid)
        self.history.append(record)
        log.info("step %d epoch %d: %s", self.step, self.epoch, {k: v for k, v in record.items() if "loss" in k})

    def _validate(self, valid: Validation) -> float:
        if self.dp is not None:
            loss = self.dp.validate(self.model, valid.dataset, batch_size=max(self.batch_size, 32))
        else:
            loss = self.evaluate(valid.dataset, batch_size=max(self.batch_size, 32))
        self.last_valid_loss = loss
        if self.scheduler is not None:
            self.scheduler.step(loss)
        stop = valid.early_stop
        delta = stop.delta if stop is not None else 0.0
        if self.best_valid_loss is None or loss < self.best_valid_loss - delta:
            self.best_valid_loss, self.stale_validations = loss, 0
            self.best_state = {k: v.detach().clone() for k, v in self._bare_model().state_dict().items()}
        else:
            self.stale_validations += 1
            if stop is not None and self.stale_validations >= stop.patience:
                log.info("early stop: no improvement in %d validations", self.stale_validations)
                self.stop_requested = True
        return loss

    def _save_best(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"model": self.best_state, "best_valid_loss": self.best_valid_loss}, path)

    def _bare_model(self) -> nn.Module:
        return getattr(self.model, "module", self.model)

    # -- arguments -----------------------------------------------------------------------------
    def _check_args(self, dataset, n_epochs, n_steps, batch_size, memory, accumulate_grad, dp_step, world_size) -> None:
        if (n_epochs is None) == (n_steps is None):
            raise ValueError("give exactly one of n_epochs and n_steps")
        if (batch_size is None) == (memory is None):
            raise ValueError("give exactly one of batch_size and memory (MB)")
        for name, value in (("n_epochs", n_epochs), ("n_steps", n_steps), ("batch_size", batch_size)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if memory is not None and memory <= 0:
            raise ValueError(f"memory must be positive (MB), got {memory}")
        if accumulate_grad < 1:
            raise ValueError(f"accumulate_grad must be >= 1, got {accumulate_grad}")
        if dp_step is not None and self.dp_budget is None:
            raise ValueError(
                "dp_step was given but the trainer has no dp_budget: build it with dp_budget=DpBudget(...)"
            )
        if len(dataset) == 0:
            raise ValueError("the training dataset is empty")
        if world_size < 0:
            raise ValueError(f"world_size must be >= 0, got {world_size}")


# ---- small helpers ---------------------------------------------------------------------------
def cosine_factor(step: int, total: int, warmup_share: float = 0.02, floor: float = 0.1) -> float:
    """Learning-rate multiplier: linear warm-up, then cosine decay from 1 to `floor`."""
    warmup = max(1, int(warmup_share * total))
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def _adamw(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    try:  # fused AdamW is several times faster on CPU
        return torch.optim.AdamW(params, lr=lr, weight_decay=0.01, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(params, lr=lr, weight_decay=0.01)


def _plateau(optimizer, valid: Validation | None, lr: float):
    if valid is None or valid.lr_schedule is None:
        return None
    s = valid.lr_schedule
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        factor=s.factor,
        patience=s.patience,
        threshold=s.threshold,
        cooldown=s.cooldown,
        min_lr=lr * s.lr_min_ratio,
    )


def model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def on_device(batch: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
    """The batch on the model's device (datasets collate on the CPU)."""
    device = model_device(model)
    return batch if device.type == "cpu" else {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def _one_step(model: nn.Module, opt: torch.optim.Optimizer, batch: dict[str, Tensor]) -> float:
    opt.zero_grad(set_to_none=True)
    _, loss = model(on_device(batch, model))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return float(loss.detach())


def _epoch_batches(n: int, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """Random batches for one epoch, the same for a (seed, epoch) so resuming replays them."""
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [np.sort(order[i : i + batch_size]) for i in range(0, n, batch_size)]


def _longest_first(dataset) -> np.ndarray:
    lengths = getattr(dataset, "lengths", None)
    if lengths is None:
        return np.arange(len(dataset))
    return np.argsort(-np.asarray(lengths), kind="stable")


def _preproc_spend(model: nn.Module, budget) -> tuple[float, float]:
    """(epsilon, delta) the model's preprocessor spent; a preproc fitted without DP is an error
    unless the budget declares it public (preproc_share=0)."""
    preproc = getattr(model, "preproc", None)
    spent = (getattr(preproc, "stats", None) or {}).get("dp") if preproc is not None else None
    if spent is not None:
        return float(spent["epsilon"]), float(spent["delta"])
    if preproc is not None and budget.preproc_share > 0:
        raise ValueError(
            "the model's preprocessor was fitted without DP, so its vocabularies and bins reveal the private data: "
            "fit it with TabularPreproc.fit(data, dp=budget), or set DpBudget(preproc_share=0) if it was fitted "
            "on public data"
        )
    return 0.0, 0.0

"""How one optimizer step runs: the plain strategy, which DP and distributed training extend.

The loop (`loop.Trainer`) owns the schedule, validation bookkeeping, hooks and checkpoints; a
strategy owns what differs between plain, differentially private and distributed training:
which samples form the batches of an epoch, how a step computes and applies its gradient, how
a validation loss is measured and what the run adds to its result. The loop calls it at fixed
points and never branches on the kind of training.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import torch
from torch import Tensor, nn

from relsynth.synth.core.training.precision import FP32, Precision


class TrainDataset(Protocol):
    def __len__(self) -> int: ...
    def collate(self, indices: np.ndarray) -> dict[str, Tensor]: ...


class Strategy:
    """Plain single-process training: shuffled batches, gradient accumulation, clipping."""

    rank, world_size = 0, 1
    precision: Precision = FP32  # the loop sets the run's (`train(precision=...)`); DP keeps float32
    per_sample_grads = False  # a step computes per-sample gradients (more memory: the batch-size search measures it)
    releases_loss = True  # the loop records the training loss (DP's, of private batches without noise, it does not)

    def setup(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        n_samples: int,
        batch_size: int,
        accumulate_grad: int,
        n_steps: int,
    ) -> int:
        """Prepare for a run; returns the number of steps the run may take (DP may allow fewer)."""
        self.model, self.optimizer = model, optimizer
        self.batch_size, self.accumulate_grad = batch_size, accumulate_grad
        self.pack = packs_samples(model)
        return n_steps

    def steps_per_epoch(self, n_samples: int, batch_size: int, accumulate_grad: int) -> int:
        return max(1, math.ceil(math.ceil(n_samples / batch_size) / accumulate_grad))

    def epoch_batches(self, n_samples: int, seed: int, epoch: int) -> tuple[list[np.ndarray], int]:
        """The epoch's batches and how many of them one optimizer step takes."""
        return epoch_batches(n_samples, self.batch_size, seed, epoch), self.accumulate_grad

    def step(self, dataset: TrainDataset, group: list[np.ndarray]) -> float:
        """One optimizer step over the batches of `group` (the loop has set its learning rate); returns the mean loss."""
        self.optimizer.zero_grad(set_to_none=True)
        losses = []
        for idx in group:
            batch = on_device(collate(dataset, self.shard(idx), self.pack), self.model)
            with self.precision.autocast():
                _, loss = self.model(batch)
            (loss / len(group)).backward()
            losses.append(loss.detach())
        total = float(torch.stack(losses).double().mean())  # one device sync a step, not one a batch
        check_finite(total)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return total

    def shard(self, idx: np.ndarray) -> np.ndarray:
        """The part of a batch this process computes (all of it on one process)."""
        return idx

    def validate(self, dataset: TrainDataset, batch_size: int) -> float:
        return evaluate(self.model, dataset, batch_size, pack=self.pack, precision=self.precision)

    def result(self) -> dict:
        """What the strategy adds to `TrainResult` (privacy spent, ...)."""
        return {}

    def close(self) -> None:
        """Release what `setup` took (also after an error)."""


# ---- helpers every strategy and the loop use ------------------------------------------------
class NonFiniteLoss(FloatingPointError):
    """Training stopped: a step's loss was NaN or infinite; raised before the optimizer applies it."""


def check_finite(loss: float) -> None:
    if not math.isfinite(loss):
        raise NonFiniteLoss(loss)


def packs_samples(model: nn.Module) -> bool:
    """Whether batches for `model` (or the module it wraps) may pack several samples per row."""
    return bool(getattr(getattr(model, "module", model), "supports_packing", False))


def collate(dataset: TrainDataset, idx: np.ndarray, pack: bool) -> dict[str, Tensor]:
    """The batch of samples `idx`, packed when the model allows it (same samples, fewer positions)."""
    return dataset.collate(idx, pack=True) if pack else dataset.collate(idx)


def evaluate(
    model: nn.Module, dataset: TrainDataset, batch_size: int = 64, pack: bool = False, precision: Precision = FP32
) -> float:
    """Mean loss over `dataset` (weighted by samples per batch), without gradients."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(dataset), batch_size):
            idx = np.arange(start, min(start + batch_size, len(dataset)))
            batch = on_device(collate(dataset, idx, pack), model)
            with precision.autocast():
                _, loss = model(batch)
            total, count = total + float(loss) * len(idx), count + len(idx)
    model.train(was_training)
    return total / max(count, 1)


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """Random batches for one epoch, the same for a (seed, epoch) so resuming replays them."""
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [np.sort(order[i : i + batch_size]) for i in range(0, n, batch_size)]


def adamw(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    try:  # fused AdamW is several times faster on CPU
        return torch.optim.AdamW(params, lr=lr, weight_decay=0.01, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(params, lr=lr, weight_decay=0.01)


def one_step(
    model: nn.Module, opt: torch.optim.Optimizer, batch: dict[str, Tensor], precision: Precision = FP32
) -> float:
    """A plain optimizer step on one batch (batch-size and learning-rate searches)."""
    opt.zero_grad(set_to_none=True)
    batch = on_device(batch, model)
    with precision.autocast():
        _, loss = model(batch)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return float(loss.detach())


def model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def on_device(batch: dict[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
    """The batch on the model's device (datasets collate on the CPU). To CUDA, each tensor is
    copied into pinned (page-locked) memory and from there without blocking: the host goes on
    queueing the step while the copy runs."""
    return to_device(batch, model_device(model))


def to_device(batch: dict[str, Tensor], device: torch.device) -> dict[str, Tensor]:
    """`batch` on `device`; see `on_device`."""
    if device.type == "cpu":
        return batch
    if device.type != "cuda":
        return {k: v.to(device) for k, v in batch.items()}
    return {k: _pinned(v).to(device, non_blocking=True) for k, v in batch.items()}


def _pinned(t: Tensor) -> Tensor:
    """`t` in page-locked host memory (a copy unless it already is there or on a device)."""
    return t.pin_memory() if t.device.type == "cpu" and not t.is_pinned() else t

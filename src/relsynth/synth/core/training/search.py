"""Choosing the batch size (from a memory budget) and the learning rate (range test), and the
learning-rate schedules. Searches run on copies of the model: the caller's is untouched."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from relsynth.synth.core import memory
from relsynth.synth.core.training.config import Validation
from relsynth.synth.core.training.precision import FP32, Precision
from relsynth.synth.core.training.strategy import TrainDataset, adamw, model_device, one_step

log = logging.getLogger(__name__)


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


def find_batch_size(
    model: nn.Module, dataset: TrainDataset, memory_mb: float, per_sample_grads: bool, precision: Precision = FP32
) -> int:
    """The rule of `choose_batch_size`, each step's peak measured on a copy of `model` with the
    dataset's longest samples (`per_sample_grads`: as opacus computes them under DP) in the run's
    `precision`. On CUDA the peak is the allocator's (`torch.cuda.max_memory_allocated`), on the
    CPU the process's resident set."""
    order = _longest_first(dataset)

    def peak(b: int) -> float:
        trial = copy.deepcopy(model)
        opt = adamw(trial, 1e-4)
        if per_sample_grads:
            from opacus import GradSampleModule

            trial = GradSampleModule(trial)
        step = lambda: one_step(trial, opt, dataset.collate(order[:b]), precision)  # noqa: E731
        return memory.measure_peak_mb(step, device=model_device(trial))

    size = choose_batch_size(len(dataset), memory_mb, peak)
    log.info("batch size %d chosen for memory=%s MB", size, memory_mb)
    return size


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


def find_lr(
    model: nn.Module, dataset: TrainDataset, batch_size: int, seed: int = 0, precision: Precision = FP32
) -> float:
    """A short learning-rate range test on a copy of `model`, in the run's `precision`."""
    trial = copy.deepcopy(model)
    trial.train()
    opt = adamw(trial, 1e-5)
    rng = np.random.default_rng(seed)

    def step_loss(rate: float) -> float:
        for group in opt.param_groups:
            group["lr"] = rate
        idx = rng.choice(len(dataset), size=min(batch_size, len(dataset)), replace=False)
        return one_step(trial, opt, dataset.collate(np.sort(idx)), precision)

    with torch.random.fork_rng():
        rate = lr_range_test(step_loss)
    log.info("learning rate %.2e chosen by a range test", rate)
    return rate


def cosine_factor(step: int, total: int, warmup_share: float = 0.02, floor: float = 0.1) -> float:
    """Learning-rate multiplier: linear warm-up, then cosine decay from 1 to `floor`."""
    warmup = max(1, int(warmup_share * total))
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def plateau_scheduler(optimizer: torch.optim.Optimizer, valid: Validation | None, lr: float):
    """ReduceLROnPlateau from `valid.lr_schedule`, or None (then the loop's cosine decay applies)."""
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


def _longest_first(dataset) -> np.ndarray:
    lengths = getattr(dataset, "lengths", None)
    if lengths is None:
        return np.arange(len(dataset))
    return np.argsort(-np.asarray(lengths), kind="stable")

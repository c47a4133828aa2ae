"""Differential privacy: the budget, DP-SGD steps, noisy validation and the privacy accounting.

**Unit of privacy.** One training sample is one root entity with all its descendants (a whole
artist with its albums and tracks). Poisson sampling and per-sample clipping act on entities, so
the guarantee is entity-level (add/remove one root entity and everything under it) for the
whole database. Windows (`block_size`) split an entity over several samples and would break
this, so DP training requires `block_size=None`. The dataset size is treated as public, as in
opacus.

**Budget split.** `DpBudget(epsilon, delta, preproc_share=0.1)`: `preproc_share` of epsilon and
of delta go to fitting the preprocessor (`TabularPreproc.fit(data, dp=budget)`: noisy,
thresholded category counts, DP quantile bins, public child-count bounds), the rest to training.
The two parts compose by basic composition (epsilons and deltas add). Inside training, the
DP-SGD steps and the noisy validations (`DpValid`) are composed in one accountant (RDP or PRV).
`TrainResult.epsilon` is the total: preprocessor plus training plus validation, at `delta`.
"""

from __future__ import annotations

import logging
import math
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)
ACCOUNTANTS = ("rdp", "prv")


@dataclass
class DpBudget:
    """An (epsilon, delta) budget for everything fitted on the private data."""

    epsilon: float
    delta: float
    preproc_share: float = 0.1  # share of epsilon and delta for the preprocessor fit (0: preproc is public)
    accountant: Literal["rdp", "prv"] = "rdp"  # DP-SGD accountant (opacus)
    max_children: int = 100  # public bound on children per parent; counts above it are an error at fit

    def __post_init__(self) -> None:
        if not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            raise ValueError(f"DpBudget epsilon must be positive and finite, got {self.epsilon}")
        if not 0 < self.delta < 1:
            raise ValueError(f"DpBudget delta must be in (0, 1), got {self.delta}")
        if not 0 <= self.preproc_share < 1:
            raise ValueError(f"DpBudget preproc_share must be in [0, 1), got {self.preproc_share}")
        if self.accountant not in ACCOUNTANTS:
            raise ValueError(f"DpBudget accountant must be one of {ACCOUNTANTS}, got {self.accountant!r}")
        if self.max_children < 1:
            raise ValueError(f"DpBudget max_children must be >= 1, got {self.max_children}")

    @property
    def preproc_part(self) -> tuple[float, float]:
        """(epsilon, delta) spent by the preprocessor fit."""
        return self.epsilon * self.preproc_share, self.delta * self.preproc_share


@dataclass
class DpStep:
    """DP-SGD settings. `noise_multiplier=None`: calibrated so the run spends exactly the budget."""

    noise_multiplier: float | None = 1.0  # Gaussian noise std / max_grad_norm
    max_grad_norm: float = 1.0  # per-sample (per-entity) gradient clipping norm
    max_batch_size: int = 0  # physical batch cap (memory only); 0: batch_size, or the one `memory` gives

    def __post_init__(self) -> None:
        if self.noise_multiplier is not None and not self.noise_multiplier > 0:
            raise ValueError(f"DpStep noise_multiplier must be positive or None, got {self.noise_multiplier}")
        if not self.max_grad_norm > 0:
            raise ValueError(f"DpStep max_grad_norm must be positive, got {self.max_grad_norm}")
        if self.max_batch_size < 0:
            raise ValueError(f"DpStep max_batch_size must be >= 0, got {self.max_batch_size}")


@dataclass
class DpValid:
    """Noisy validation: a Gaussian mechanism on the clipped validation loss.

    Each validation entity i gives u_i = (min(loss_i, max_loss) / max_loss, 1) / sqrt(2) (norm <= 1);
    the released value is sum_i u_i + N(0, noise_multiplier^2 I), and the loss estimate is
    max_loss * (noisy sum of losses) / (noisy count). One validation is one Gaussian mechanism of
    sensitivity 1, composed in the training accountant as a step with sample rate 1; the number
    of validations a run can do is known in advance and included when the noise or the number
    of steps is planned (early stopping only spends less).
    """

    noise_multiplier: float = 10.0
    max_loss: float = 20.0  # per-entity loss clipped to [0, max_loss] (nats per token)

    def __post_init__(self) -> None:
        if not self.noise_multiplier > 0:
            raise ValueError(f"DpValid noise_multiplier must be positive, got {self.noise_multiplier}")
        if not self.max_loss > 0:
            raise ValueError(f"DpValid max_loss must be positive, got {self.max_loss}")


# ---- accounting ------------------------------------------------------------------------------
RDP_ORDERS = [1 + x / 100 for x in range(1, 10)] + [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 256))
History = list[tuple[float, float, int]]  # (noise_multiplier, sample_rate, steps), opacus' format


def epsilon_of(history: History, delta: float, accountant: str = "rdp") -> float:
    """Epsilon at `delta` of a composition of (subsampled) Gaussian mechanisms."""
    history = [h for h in history if h[2] > 0]
    if not history:
        return 0.0
    if accountant == "rdp":
        from opacus.accountants import RDPAccountant

        acc = RDPAccountant()
    else:
        from opacus.accountants import PRVAccountant

        acc = PRVAccountant()
    acc.history = list(history)
    if accountant == "rdp":  # opacus' orders plus finer ones near 1 (large epsilons) and larger ones
        with warnings.catch_warnings():  # an order at the edge gives a looser bound, still a valid one
            warnings.filterwarnings("ignore", message="Optimal order is the")
            return float(acc.get_epsilon(delta=delta, alphas=RDP_ORDERS))
    return float(acc.get_epsilon(delta=delta))


def calibrate_noise(
    epsilon: float, delta: float, plan: Callable[[float], History], accountant: str = "rdp", tol: float = 0.005
) -> float:
    """The smallest noise multiplier (to `tol` relative) whose `plan(sigma)` spends at most epsilon."""

    def spent(s: float) -> float:
        return epsilon_of(plan(s), delta, accountant)

    lo, hi = 0.1, 1.0
    while spent(hi) > epsilon:
        lo, hi = hi, hi * 2
        if hi > 1e4:
            raise ValueError(
                f"no noise multiplier fits epsilon={epsilon:.3g}: the validations alone (DpValid) or the "
                "number of steps use it up; validate less often, raise DpValid.noise_multiplier or the budget"
            )
    if spent(lo) <= epsilon:
        return lo
    while hi / lo > 1 + tol:
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if spent(mid) <= epsilon else (mid, hi)
    return hi


def affordable_steps(
    epsilon: float, delta: float, plan: Callable[[int], History], n_steps: int, accountant: str
) -> int:
    """The largest k <= n_steps whose `plan(k)` spends at most epsilon (binary search)."""
    if epsilon_of(plan(n_steps), delta, accountant) <= epsilon:
        return n_steps
    lo, hi = 0, n_steps  # spent(lo) <= epsilon < spent(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if epsilon_of(plan(mid), delta, accountant) <= epsilon else (lo, mid)
    return lo


def truncate_children(data, max_children: int):
    """`data` with at most `max_children` children per parent row (the first ones, with their descendants):
    the public bound `DpBudget.max_children` must hold for the DP fit."""
    from relsynth.synth._dp_fit import truncate_children as truncate

    return truncate(data, max_children)


# ---- zCDP for the preprocessor fit -----------------------------------------------------------
def zcdp_rho(epsilon: float, delta: float) -> float:
    """The largest rho with rho-zCDP => (epsilon, delta)-DP (Bun & Steinke 2016, Prop. 1.3)."""
    log_d = math.log(1 / delta)
    return (math.sqrt(log_d + epsilon) - math.sqrt(log_d)) ** 2


def zcdp_epsilon(rho: float, delta: float) -> float:
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))


# ---- DP-SGD during training ------------------------------------------------------------------
class DpSession:
    """DP-SGD for one run: Poisson-sampled entities, per-entity clipping, noise, accounting.

    The logical batch of a step holds each entity independently with probability
    q = expected_batch / n (its size is binomial); it is cut into physical batches of at most
    `physical` entities whose clipped per-sample gradients are summed before one noisy step
    (virtual steps: `accumulate_grad` and `memory` change the memory used, never the privacy).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        budget: DpBudget,
        step: DpStep,
        spent_before: tuple[float, float],
        n_samples: int,
        expected_batch: int,
        physical: int,
        n_steps: int,
        n_valid: Callable[[int], int],
        valid: DpValid | None,
    ):
        from opacus import GradSampleModule
        from opacus.optimizers import DPOptimizer

        self.budget, self.cfg, self.valid = budget, step, valid
        self.n, self.expected, self.physical = n_samples, expected_batch, max(1, physical)
        self.q = min(1.0, expected_batch / n_samples)
        self.steps_per_epoch = max(1, math.ceil(n_samples / expected_batch))
        self.pre_eps, self.pre_delta = spent_before
        self.eps, self.delta = budget.epsilon - self.pre_eps, budget.delta - self.pre_delta
        if self.eps <= 0 or self.delta <= 0:
            raise ValueError(
                f"the preprocessor spent ({self.pre_eps:.3g}, {self.pre_delta:.3g}) of the budget "
                f"({budget.epsilon}, {budget.delta}): nothing left for training"
            )
        self.n_valid = n_valid
        self.sigma = step.noise_multiplier
        if self.sigma is None:
            self.sigma = calibrate_noise(self.eps, self.delta, lambda s: self._plan(s, n_steps), budget.accountant)
            log.info("DP: noise multiplier %.3f calibrated to spend the budget in %d steps", self.sigma, n_steps)
        self.max_steps = affordable_steps(
            self.eps, self.delta, lambda k: self._plan(self.sigma, k), n_steps, budget.accountant
        )
        if self.max_steps < n_steps:
            log.warning(
                "DP: the budget (epsilon=%.3g for training) allows %d of the %d steps asked for: training "
                "stops before the step that would exceed it",
                self.eps,
                self.max_steps,
                n_steps,
            )
        self.history: History = []
        self.model = model
        self.params = [p for p in model.parameters() if p.requires_grad]
        # secret randomness for sampling and noise: with a known seed, anyone could replay the
        # batches (no amplification) and subtract the noise; `seed` fixes the initial weights only
        self.rng = np.random.default_rng()
        self.generator = torch.Generator(device=self.params[0].device).manual_seed(secrets.randbits(63))
        self.gsm = GradSampleModule(model, batch_first=True, loss_reduction="mean", strict=True)
        self.optimizer = DPOptimizer(
            optimizer,
            noise_multiplier=self.sigma,
            max_grad_norm=step.max_grad_norm,
            expected_batch_size=expected_batch,
            loss_reduction="mean",
            generator=self.generator,
        )

    def _plan(self, sigma: float, k: int) -> History:
        out = [(sigma, self.q, k)]
        if self.valid is not None:
            out.append((self.valid.noise_multiplier, 1.0, self.n_valid(k)))
        return out

    # -- sampling -------------------------------------------------------------------------------
    def epoch_batches(self) -> list[np.ndarray]:
        """The logical batches of one "epoch" (n / expected steps): each holds every entity
        independently with probability q (a binomial size, then a uniform subset of that size)."""
        sizes = self.rng.binomial(self.n, self.q, size=self.steps_per_epoch)
        return [np.sort(self.rng.choice(self.n, size=int(k), replace=False)) for k in sizes]

    # -- one noisy step --------------------------------------------------------------------------
    def step(self, dataset, idx: np.ndarray, set_lr: Callable[[], None]) -> float:
        """Clip per entity, sum over the physical batches, add noise, one optimizer step."""
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for start in range(0, len(idx), self.physical):
            chunk = idx[start : start + self.physical]
            _, loss = self.gsm(dataset.collate(chunk))
            with warnings.catch_warnings():  # opacus' hooks on the embeddings, whose inputs need no grad
                warnings.filterwarnings("ignore", message="Full backward hook is firing")
                loss.backward()
            self.optimizer.clip_and_accumulate()
            total += float(loss.detach()) * len(chunk)
            for p in self.params:
                p.grad_sample, p.grad = None, None
        if len(idx) == 0:  # an empty Poisson batch is still a (pure noise) step
            for p in self.params:
                p.summed_grad = torch.zeros_like(p)
        self.optimizer.add_noise()
        for p in self.params:
            p.grad = p.grad / self.expected
            p.summed_grad = None
        set_lr()
        self.optimizer.original_optimizer.step()
        self.history.append((self.sigma, self.q, 1))
        return total / max(len(idx), 1)

    # -- noisy validation -----------------------------------------------------------------------
    @torch.no_grad()
    def validate(self, model: nn.Module, dataset, batch_size: int) -> float:
        """The DpValid estimate of the mean validation loss (see DpValid); accounted."""
        if self.valid is None:
            raise RuntimeError("validation under DP needs Validation(dp=DpValid(...))")
        c, sigma = self.valid.max_loss, self.valid.noise_multiplier
        was = model.training
        model.eval()
        total = 0.0
        with set_loss_reduction(model, "none"):
            for start in range(0, len(dataset), batch_size):
                _, losses = model(dataset.collate(np.arange(start, min(start + batch_size, len(dataset)))))
                total += float(losses.clamp(0, c).sum()) / c
        model.train(was)
        noise = torch.randn(2, generator=self.generator, device=self.params[0].device).cpu().numpy() * sigma
        s, n = (total / math.sqrt(2) + noise[0]), (len(dataset) / math.sqrt(2) + noise[1])
        self.history.append((sigma, 1.0, 1))
        return float(c * np.clip(s / max(n, 1 / math.sqrt(2)), 0.0, 1.0))

    # -- results --------------------------------------------------------------------------------
    def spent(self) -> float:
        """Total epsilon at the budget's delta: preprocessor + training + validation."""
        return self.pre_eps + epsilon_of(_merge(self.history), self.delta, self.budget.accountant)

    def close(self) -> None:
        for p in self.params:
            p.grad_sample = None
            p.summed_grad = None
        self.gsm._close()


def _merge(history: History) -> History:
    merged: dict[tuple[float, float], int] = {}
    for s, q, k in history:
        merged[(s, q)] = merged.get((s, q), 0) + k
    return [(s, q, k) for (s, q), k in merged.items()]


class set_loss_reduction:  # noqa: N801 - used as a context manager
    """Temporarily set `model.loss_reduction` ("tokens", "samples" or "none")."""

    def __init__(self, model: nn.Module, value: str):
        self.model, self.value = model, value

    def __enter__(self):
        if not hasattr(self.model, "loss_reduction"):
            raise TypeError(
                f"{type(self.model).__name__} has no loss_reduction: DP training needs a model whose loss "
                "is a mean of per-sample losses (TabularModel)"
            )
        self.old = self.model.loss_reduction
        self.model.loss_reduction = self.value
        return self.model

    def __exit__(self, *exc):
        self.model.loss_reduction = self.old


def check_dp_model(model: nn.Module) -> None:
    """Swap in DP layers (DPLSTM) and check that opacus computes exact per-sample gradients."""
    from opacus.validators import ModuleValidator

    if hasattr(model, "use_dp_layers"):
        model.use_dp_layers()
    errors = ModuleValidator.validate(model, strict=False)
    if errors:
        raise ValueError(f"this model cannot be trained with DP (opacus): {errors}")

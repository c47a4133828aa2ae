"""Differential privacy: the budget, and DP-SGD as a training strategy (`DpStrategy`).

**Unit of privacy.** One training sample is one root entity with all its descendants (a whole
artist with its albums and tracks). Poisson sampling and per-sample clipping act on entities, so
the guarantee is entity-level (add/remove one root entity and everything under it) for the
whole database. Windows (`block_size`) split an entity over several samples and would break
this, so DP training requires `block_size=None`. The dataset size is treated as public, as in
opacus.

**Budget split.** `DpBudget(epsilon, delta, preproc_share="auto")`: `preproc_share` of epsilon and
of delta ("auto": epsilon's share chosen at the fit by need, see `auto_part`) go to fitting the preprocessor (`TabularPreproc.fit(data, dp=budget)`: noisy,
thresholded category counts, DP quantile bins, public child-count bounds), the rest to training.
The two parts compose by basic composition (epsilons and deltas add). Inside training, the
DP-SGD steps and the noisy validations (`DpValid`) are composed in one accountant (RDP or PRV).
`TrainResult.epsilon` is the total: preprocessor plus training plus validation, at `delta`.

**The caller's model.** A model whose layers opacus cannot differentiate per sample (an LSTM)
offers `dp_copy()`: the strategy trains that DP-ready copy and writes its weights back into the
caller's model at the end, so the caller's modules are never swapped behind their back.
"""

from __future__ import annotations

import logging
import math
import numbers
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import nn

from relsynth.synth.core.training.accounting import (
    ACCOUNTANTS,
    History,
    affordable_steps,
    calibrate_noise,
    epsilon_of,
)
from relsynth.synth.core.training.config import Validation
from relsynth.synth.core.training.strategy import Strategy, TrainDataset, check_finite

log = logging.getLogger(__name__)


AUTO_NOISE_RATIO = 40.0  # preproc_share="auto": noise sigma at most n_entities / this
AUTO_SHARE = (0.05, 0.5)  # ... with epsilon's share kept in this range
AUTO_DELTA_SHARE = 0.1  # ... and this share of delta


@dataclass(frozen=True, init=False)
class DpBudget:
    """An (epsilon, delta) budget for everything fitted on the private data.

    `DpBudget(epsilon=3, delta=1e-5)`; aindo.rdml's spelling `DpBudget(eps=3, delta=1e-5)` works too.
    `seed=`: a reproducible release (see the field); none: secret randomness, never reproducible.
    """

    epsilon: float
    delta: float
    # share of epsilon and delta for the preprocessor fit (0: preproc is public); "auto" (default):
    # epsilon's share by need (see `auto_part`), delta's AUTO_DELTA_SHARE. A fixed 0.1 left a small
    # database's child counts and numbers unreleased (Chinook's 234 artists at epsilon 3: quality
    # 27.1 / 34.5 over two seeds, against 52.2 / 52.0 with "auto", benchmarks/dp.py --data tree)
    preproc_share: float | Literal["auto"] = "auto"
    accountant: Literal["rdp", "prv"] = "rdp"  # DP-SGD accountant (opacus)
    max_children: int = 100  # public bound on children per parent; counts above it are an error at fit
    # the seed of the noise and of the sampling (the fit's and the training's, `random_stream`). None
    # (default): secret randomness from the OS, a different release each run, never reproducible. An
    # integer: the same seeds give the same preprocessor, weights and tables; it must then be kept as
    # secret as the data, for whoever knows it can replay the batches and subtract the noise
    seed: int | None = field(default=None, repr=False)  # not in logs or error messages

    def __init__(
        self,
        epsilon: float | None = None,
        delta: float | None = None,
        *,
        eps: float | None = None,
        preproc_share: float | Literal["auto"] = "auto",
        accountant: Literal["rdp", "prv"] = "rdp",
        max_children: int = 100,
        seed: int | None = None,
    ):
        if (epsilon is None) == (eps is None):
            raise ValueError("DpBudget needs epsilon (or its alias eps), exactly once")
        if delta is None:
            raise ValueError("DpBudget needs delta")
        values = dict(
            epsilon=_number("epsilon", epsilon if eps is None else eps),
            delta=_number("delta", delta),
            preproc_share=preproc_share,
            accountant=accountant,
            max_children=max_children,
            seed=seed,
        )
        for name, value in values.items():
            object.__setattr__(self, name, value)
        self._check()

    def _check(self) -> None:
        if not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            raise ValueError(f"DpBudget epsilon must be positive and finite, got {self.epsilon}")
        if not 0 < self.delta < 1:
            raise ValueError(f"DpBudget delta must be in (0, 1), got {self.delta}")
        if self.preproc_share != "auto" and not (
            isinstance(self.preproc_share, int | float) and 0 <= self.preproc_share < 1
        ):
            raise ValueError(f"DpBudget preproc_share must be in [0, 1) or 'auto', got {self.preproc_share!r}")
        if self.accountant not in ACCOUNTANTS:
            raise ValueError(f"DpBudget accountant must be one of {ACCOUNTANTS}, got {self.accountant!r}")
        if not isinstance(self.max_children, int) or self.max_children < 1:
            raise ValueError(f"DpBudget max_children must be an integer >= 1, got {self.max_children}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral)):
            raise TypeError(f"DpBudget seed must be an integer or None (secret randomness), got {self.seed!r}")
        if self.seed is not None and self.seed < 0:  # numpy's seed sequence refuses it only at the fit
            raise ValueError(f"DpBudget seed must be a non-negative integer or None, got {self.seed}")

    def random_stream(self, mechanism: str) -> np.random.Generator:
        """The random numbers of one DP mechanism ("preproc": the fit's noise; "training": DP-SGD's
        sampling and noise): drawn from `seed` and the mechanism's name, so that the fit and the
        training never share noise; without a seed, from the OS's secret randomness."""
        if self.seed is None:
            return np.random.default_rng()
        return np.random.default_rng([int(self.seed), zlib.crc32(mechanism.encode())])

    def check_entities(self, n_entities: int) -> None:
        """A delta of 1/n or more, for n root entities, allows a mechanism that publishes one whole
        entity (its rows in every table) as it is: no guarantee worth the name."""
        if self.delta * n_entities >= 1:
            raise ValueError(
                f"DpBudget delta={self.delta:g} is not below 1/n = {1 / max(n_entities, 1):.3g} for the {n_entities} "
                "root entities: such a delta lets a release publish a whole entity's records; give a delta well "
                f"below 1/n (1e-5, or 1/n**1.1 = {1 / max(n_entities, 2) ** 1.1:.2g})"
            )

    @property
    def eps(self) -> float:
        """aindo.rdml's name for `epsilon`."""
        return self.epsilon

    @property
    def preproc_part(self) -> tuple[float, float]:
        """(epsilon, delta) spent by the preprocessor fit (with "auto": known at the fit, `auto_part`)."""
        if self.preproc_share == "auto":
            raise ValueError("DpBudget(preproc_share='auto'): the preprocessor's part is chosen at its fit (auto_part)")
        return self.epsilon * self.preproc_share, self.delta * self.preproc_share

    def auto_part(self, n_entities: int, n_histograms: float) -> tuple[float, float]:
        """The preprocessor's (epsilon, delta) chosen by need: enough for a noise of at most
        n_entities / AUTO_NOISE_RATIO on each of its histograms (a cell holding an eighth of the
        entities then stands ~5 sigma above the noise), its epsilon share kept within AUTO_SHARE.
        Uses only public quantities: the number of root entities (public, as in opacus) and the
        schema's number of histograms."""
        from relsynth.synth.core.training.accounting import zcdp_epsilon

        delta = self.delta * AUTO_DELTA_SHARE
        sigma = max(n_entities, 1) / AUTO_NOISE_RATIO
        need = zcdp_epsilon(max(n_histograms, 1) / (2 * sigma**2), delta / 2)
        lo, hi = AUTO_SHARE
        return self.epsilon * min(max(need / self.epsilon, lo), hi), delta


def _number(name: str, value: object) -> float:
    """A budget figure as a float: any real number (numpy's too), never a bool or text, whose
    printed value looked valid ("epsilon must be positive and finite, got 3" for np.float32(3) or "3")."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"DpBudget {name} must be a number, got {value!r} ({type(value).__name__})")
    return float(value)


@dataclass(frozen=True)
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

    @staticmethod
    def preset(n_samples: int | None = None) -> dict:
        """Training settings for DP-SGD, as `trainer.train(dataset, **DpStep.preset(len(dataset)))`.

        Measured on Chinook tracks at epsilon=3 (benchmarks/dp.py, see benchmarks/README.md):
        batch 256 (DP-SGD wants large batches: the noise per step is divided by the batch) with
        lr 6e-3, 15 epochs, clipping norm 1 and the noise calibrated to the budget, against the
        non-private settings (batch 64, lr 3e-3). `n_samples` (root entities, public as in opacus)
        caps the batch at a quarter of them, so sampling still amplifies privacy on small data."""
        batch = 256 if n_samples is None else max(1, min(256, n_samples // 4))
        return {
            "batch_size": batch,
            "lr": 6e-3,
            "n_epochs": 15,
            "dp_step": DpStep(noise_multiplier=None, max_grad_norm=1.0),
        }


@dataclass(frozen=True)
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


class DpStrategy(Strategy):
    """DP-SGD for one run: Poisson-sampled entities, per-entity clipping, noise, accounting.

    The logical batch of a step holds each entity independently with probability
    q = expected_batch / n (its size is binomial); it is cut into physical batches of at most
    `physical` entities whose clipped per-sample gradients are summed before one noisy step
    (virtual steps: `accumulate_grad` and `memory` change the memory used, never the privacy).
    The model's forward takes `reduction=`: "samples" (a mean of per-entity means, so each
    entity's gradient depends on it alone) in steps, "none" (per-entity losses) in validation.
    """

    per_sample_grads = True
    # a step's loss is the mean over a private batch without noise, outside the epsilon: not recorded
    releases_loss = False

    def __init__(
        self,
        budget: DpBudget,
        step: DpStep,
        spent_before: tuple[float, float],
        valid: Validation | None,
    ):
        """`valid`: the run's validation, whose noisy releases (`valid.dp`) are planned into the budget."""
        self.budget, self.cfg = budget, step
        self.valid = valid.dp if valid is not None else None
        self.valid_each = valid.each if valid is not None else 1
        self.valid_per_step = valid is not None and valid.trigger == "step"
        self.pre_eps, self.pre_delta = spent_before
        self.eps, self.delta = budget.epsilon - self.pre_eps, budget.delta - self.pre_delta
        # a rounding's worth is nothing: a preprocessor that spent the whole budget left 2e-15, and
        # the noise calibration failed on it naming validations the run did not have
        if self.eps <= 1e-9 * budget.epsilon or self.delta <= 1e-9 * budget.delta:
            raise ValueError(
                f"the preprocessor spent ({self.pre_eps:.3g}, {self.pre_delta:.3g}) of the budget "
                f"({budget.epsilon}, {budget.delta}): nothing left for training"
            )
        if self.valid is not None:
            _warn_noisy_validation(self.valid, len(valid.dataset))
        self.history: History = []
        self.sigma: float | None = step.noise_multiplier
        self.gsm = None

    # -- the model -------------------------------------------------------------------------------
    def prepare(self, model: nn.Module) -> nn.Module:
        """The module to train: `model`, or its DP-ready copy when it has layers opacus cannot use."""
        from opacus.validators import ModuleValidator

        work = model.dp_copy() if hasattr(model, "dp_copy") else model
        errors = ModuleValidator.validate(work, strict=False)
        if errors:
            raise ValueError(f"this model cannot be trained with DP (opacus): {errors}")
        return work

    def finish(self, model: nn.Module, work: nn.Module) -> None:
        """Write the trained weights of the DP-ready copy back into the caller's model."""
        if work is not model:
            missing, unexpected = model.load_state_dict(work.state_dict(), strict=False)
            if missing:
                raise RuntimeError(f"DP copy lacks weights {missing} of the model")

    # -- the run ---------------------------------------------------------------------------------
    def setup(self, model, optimizer, n_samples, batch_size, accumulate_grad, n_steps) -> int:
        from opacus import GradSampleModule
        from opacus.optimizers import DPOptimizer

        super().setup(model, optimizer, n_samples, batch_size, accumulate_grad, n_steps)
        self.pack = False  # a row must hold one entity: per-sample gradients are per row
        expected = min(batch_size * accumulate_grad, n_samples)
        self.n, self.expected = n_samples, expected
        self.physical = max(1, self.cfg.max_batch_size or batch_size)
        self.q = min(1.0, expected / n_samples)
        self.per_epoch = max(1, math.ceil(n_samples / expected))
        self._check_validations_fit(n_steps)
        if self.sigma is None:
            self.sigma = calibrate_noise(self.eps, self.delta, lambda s: self._plan(s, n_steps), self.budget.accountant)
            log.info("DP: noise multiplier %.3f calibrated to spend the budget in %d steps", self.sigma, n_steps)
        max_steps = affordable_steps(
            self.eps, self.delta, lambda k: self._plan(self.sigma, k), n_steps, self.budget.accountant
        )
        if max_steps == 0:  # training would leave the initial weights: refuse before any work
            fits = calibrate_noise(self.eps, self.delta, lambda s: self._plan(s, n_steps), self.budget.accountant)
            raise ValueError(
                f"DP: the budget (epsilon={self.budget.epsilon:g}, delta={self.budget.delta:g}; {self.eps:.3g} left for "
                f"training after the preprocessor) cannot pay for a single step at noise_multiplier={self.sigma:g} "
                f"(sampling rate {self.q:.3g}). The {n_steps} steps asked for fit at noise_multiplier={fits:.3g}: "
                "give that, or noise_multiplier=None (calibrated to the budget), or a larger epsilon"
            )
        if max_steps < n_steps:
            log.warning(
                "DP: the budget (epsilon=%.3g for training) allows %d of the %d steps asked for: training "
                "stops before the step that would exceed it",
                self.eps,
                max_steps,
                n_steps,
            )
        self.params = [p for p in model.parameters() if p.requires_grad]
        # sampling and noise from the budget's seed, else secret: with a known seed, anyone could replay
        # the batches (no amplification) and subtract the noise; the training's `seed` fixes the initial weights only
        self.rng = self.budget.random_stream("training")
        self.generator = torch.Generator(device=self.params[0].device).manual_seed(int(self.rng.integers(2**63)))
        self.gsm = GradSampleModule(model, batch_first=True, loss_reduction="mean", strict=True)
        self.dp_optimizer = DPOptimizer(
            optimizer,
            noise_multiplier=self.sigma,
            max_grad_norm=self.cfg.max_grad_norm,
            expected_batch_size=expected,
            loss_reduction="mean",
            generator=self.generator,
        )
        return max_steps

    def _check_validations_fit(self, n_steps: int) -> None:
        """The planned noisy validations alone must leave some epsilon for the steps (else no
        noise fits, and the error could not tell the steps from the validations)."""
        n_valid = self._n_valid(n_steps) if self.valid is not None else 0
        if n_valid == 0:
            return
        alone = epsilon_of([(self.valid.noise_multiplier, 1.0, n_valid)], self.delta, self.budget.accountant)
        if alone >= self.eps:
            raise ValueError(
                f"DP: the {n_valid} noisy validations planned (DpValid noise_multiplier={self.valid.noise_multiplier:g}, "
                f"every {self.valid_each} {'step' if self.valid_per_step else 'epoch'}(s)) alone spend epsilon "
                f"{alone:.3g}, and the budget leaves {self.eps:.3g} for training (epsilon={self.budget.epsilon:g} less "
                f"{self.pre_eps:.3g} for the preprocessor): validate less often (Validation(each=...)), raise "
                "DpValid.noise_multiplier or the budget, or train without validation"
            )

    def _plan(self, sigma: float, k: int) -> History:
        out = [(sigma, self.q, k)]
        if self.valid is not None:
            out.append((self.valid.noise_multiplier, 1.0, self._n_valid(k)))
        return out

    def _n_valid(self, k: int) -> int:
        """Validations in the first k steps."""
        return k // self.valid_each if self.valid_per_step else (k // self.per_epoch) // self.valid_each

    def steps_per_epoch(self, n_samples: int, batch_size: int, accumulate_grad: int) -> int:
        # one Poisson batch of expected batch_size x accumulate_grad entities per step
        return max(1, math.ceil(n_samples / (batch_size * accumulate_grad)))

    def epoch_batches(self, n_samples: int, seed: int, epoch: int) -> tuple[list[np.ndarray], int]:
        """The logical batches of one "epoch" (n / expected steps): each holds every entity
        independently with probability q (a binomial size, then a uniform subset of that size)."""
        sizes = self.rng.binomial(self.n, self.q, size=self.per_epoch)
        return [np.sort(self.rng.choice(self.n, size=int(k), replace=False)) for k in sizes], 1

    def step(self, dataset: TrainDataset, group: list[np.ndarray]) -> float:
        """Clip per entity, sum over the physical batches, add noise, one optimizer step."""
        (idx,) = group
        self.dp_optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for start in range(0, len(idx), self.physical):
            chunk = idx[start : start + self.physical]
            _, loss = self.gsm(dataset.collate(chunk), reduction="samples")
            with warnings.catch_warnings():  # opacus' hooks on the embeddings, whose inputs need no grad
                warnings.filterwarnings("ignore", message="Full backward hook is firing")
                loss.backward()
            self.dp_optimizer.clip_and_accumulate()
            total += float(loss.detach()) * len(chunk)
            for p in self.params:
                p.grad_sample, p.grad = None, None
        check_finite(total)
        if len(idx) == 0:  # an empty Poisson batch is still a (pure noise) step
            for p in self.params:
                p.summed_grad = torch.zeros_like(p)
        self.dp_optimizer.add_noise()
        for p in self.params:
            p.grad = p.grad / self.expected
            p.summed_grad = None
        self.dp_optimizer.original_optimizer.step()
        self.history.append((self.sigma, self.q, 1))
        return total / max(len(idx), 1)

    @torch.no_grad()
    def validate(self, dataset: TrainDataset, batch_size: int) -> float:
        """The DpValid estimate of the mean validation loss (see DpValid); accounted."""
        if self.valid is None:
            raise RuntimeError("validation under DP needs Validation(dp=DpValid(...))")
        model = self.model
        c, sigma = self.valid.max_loss, self.valid.noise_multiplier
        was = model.training
        model.eval()
        total = 0.0
        for start in range(0, len(dataset), batch_size):
            _, losses = model(
                dataset.collate(np.arange(start, min(start + batch_size, len(dataset)))), reduction="none"
            )
            total += float(losses.clamp(0, c).sum()) / c
        model.train(was)
        noise = torch.randn(2, generator=self.generator, device=self.params[0].device).cpu().numpy() * sigma
        s, n = (total / math.sqrt(2) + noise[0]), (len(dataset) / math.sqrt(2) + noise[1])
        self.history.append((sigma, 1.0, 1))
        return float(c * np.clip(s / max(n, 1 / math.sqrt(2)), 0.0, 1.0))

    def spent(self) -> float:
        """Total epsilon at the budget's delta: preprocessor + training + validation."""
        return self.pre_eps + epsilon_of(_merge(self.history), self.delta, self.budget.accountant)

    def result(self) -> dict:
        return {
            "epsilon": self.spent(),
            "delta": self.budget.delta,
            "noise_multiplier": self.sigma,
            "accountant": self.budget.accountant,
        }

    def close(self) -> None:
        if self.gsm is None:
            return
        for p in self.params:
            p.grad_sample = None
            p.summed_grad = None
        self.gsm._close()


NOISY_VALID_NATS = 0.5  # a noisy validation loss less precise than this (its std) is worth a warning


def _warn_noisy_validation(valid: DpValid, n_entities: int) -> None:
    """Say when DpValid's noise swamps the loss it measures: the estimate's std is about
    sqrt(2) max_loss noise_multiplier / n nats for n validation entities (public), so 60 entities
    at noise 40 gave losses of 0.0 (the noisy sum clipped), kept as the best weights by early stopping."""
    std = math.sqrt(2) * valid.max_loss * valid.noise_multiplier / max(n_entities, 1)
    if std > NOISY_VALID_NATS:
        log.warning(
            "DP validation: with %d validation entities, DpValid(noise_multiplier=%g, max_loss=%g) measures the loss "
            "to about +-%.2g nats: early stopping, the learning-rate schedule and the best weights will follow the "
            "noise. Validate on more entities (%d for +-%g), lower max_loss or noise_multiplier, or train without "
            "validation",
            n_entities,
            valid.noise_multiplier,
            valid.max_loss,
            std,
            math.ceil(math.sqrt(2) * valid.max_loss * valid.noise_multiplier / NOISY_VALID_NATS),
            NOISY_VALID_NATS,
        )


def _merge(history: History) -> History:
    merged: dict[tuple[float, float], int] = {}
    for s, q, k in history:
        merged[(s, q)] = merged.get((s, q), 0) + k
    return [(s, q, k) for (s, q), k in merged.items()]


def preproc_spend(model: nn.Module, budget: DpBudget) -> tuple[float, float]:
    """(epsilon, delta) the model's preprocessor spent; a preproc fitted without DP is an error
    unless the budget declares it public (preproc_share=0)."""
    preproc = getattr(model, "preproc", None)
    spent = (getattr(preproc, "stats", None) or {}).get("dp") if preproc is not None else None
    if spent is not None:
        return float(spent["epsilon"]), float(spent["delta"])
    if preproc is not None and budget.preproc_share != 0:
        raise ValueError(
            "the model's preprocessor was fitted without DP, so its vocabularies and bins reveal the private data: "
            "fit it with TabularPreproc.fit(data, dp=budget), or set DpBudget(preproc_share=0) if it was fitted "
            "on public data"
        )
    return 0.0, 0.0


def check_dp_model(model: nn.Module) -> None:
    """The model computes the per-sample losses DP-SGD needs (`forward(batch, reduction=...)`)."""
    import inspect

    if "reduction" not in inspect.signature(model.forward).parameters:
        raise TypeError(
            f"{type(model).__name__}.forward takes no reduction=: DP training needs a model whose loss is a mean "
            "of per-sample losses (TabularModel)"
        )

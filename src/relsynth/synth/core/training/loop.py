"""One training loop for every model (tabular and text).

A model implements `forward(batch) -> (logits, loss)`; a dataset implements `__len__()` and
`collate(indices) -> batch`. `Trainer.train` resolves the batch size (given, or the largest that
fits `memory`) and the learning rate (given, or found by a range test), then runs AdamW with
warm-up and cosine decay (or a plateau schedule), validation, early stopping, hooks and
checkpoints, and restores the best weights. What differs between plain, differentially private
and distributed training is a `Strategy` (see `strategy.py`) that the loop calls at fixed
points.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from relsynth.synth.core.training import checkpoint, distributed, search
from relsynth.synth.core.training.config import (
    AUTO,
    AUTO_EPOCHS,
    RunConfig,
    TrainResult,
    Validation,
    check_run_options,
)
from relsynth.synth.core.training.dp import DpBudget, DpStep, DpStrategy, DpValid, check_dp_model, preproc_spend
from relsynth.synth.core.training.hooks import ProgressHook, TensorboardHook, TrainHook
from relsynth.synth.core.training.precision import resolve_precision
from relsynth.synth.core.training.strategy import (
    NonFiniteLoss,
    Strategy,
    TrainDataset,
    adamw,
    evaluate,
    model_device,
)

log = logging.getLogger(__name__)


class Trainer:
    """Trains `model`; see `train`. State (step, epoch, losses, history) is readable by hooks.

    `dp_budget=DpBudget(epsilon, delta)`: DP-SGD over entities (see `core.training.dp`).
    """

    supports_dp = True  # a subclass for models that must not be trained under DP sets False
    auto_epochs = AUTO_EPOCHS  # what n_epochs="auto" means (a subclass may set its own)
    min_steps = 0  # a run given in epochs trains at least this many steps (a subclass may set its own)
    model_class = "the model's class"  # what loads the models it trains (named in errors)

    def __init__(self, model: nn.Module, dp_budget: DpBudget | None = None):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}")
        if dp_budget is not None:
            if not self.supports_dp:
                raise ValueError(self.no_dp_message("dp_budget"))
            if not isinstance(dp_budget, DpBudget):
                raise TypeError(f"dp_budget must be a DpBudget, got {type(dp_budget).__name__}")
            check_dp_model(model)
        self.model = model
        self.dp_budget = dp_budget
        self.dp_trained = False
        self.strategy: Strategy | None = None  # the run's strategy (plain, DP, distributed), set by train
        self._work: nn.Module = model  # the module being trained: the model, its DDP wrapper or DP copy
        self._reset_state()

    def __repr__(self) -> str:
        dp = f", dp_budget={self.dp_budget!r}" if self.dp_budget is not None else ""
        return f"{type(self).__name__}(model={type(self.model).__name__}{dp})"

    def _reset_state(self) -> None:
        """Everything hooks may read, defined before and after a run."""
        self.step, self.epoch, self.batch_in_epoch = 0, 0, 0
        self.total_steps = 0
        self.batch_size, self.accumulate_grad, self.lr = 0, 1, 0.0
        self.last_loss, self.last_valid_loss = math.nan, None
        self.history: list[dict] = []
        self.best_valid_loss: float | None = None
        self.best_state: dict | None = None
        self.stale_validations = 0
        self.stop_requested = False
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: Any = None
        self.config: RunConfig | None = None
        self.rank, self.world_size = 0, 1

    @staticmethod
    def no_dp_message(what: str) -> str:
        return f"this trainer does not train under differential privacy: remove {what}"

    # -- public --------------------------------------------------------------------------------
    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Raise what `train(dataset, **options)` would raise for these options' values, without a
        dataset or any work: a Kedro run checks its parameter groups before the first node."""
        defaults: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):  # a subclass's train() may change a default (TextTrainer: lr)
            if "train" in vars(klass):
                params = inspect.signature(vars(klass)["train"]).parameters.values()
                defaults |= {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}
        check_run_options(options, defaults)

    def train(
        self,
        dataset: TrainDataset,
        *,
        n_epochs: int | Literal["auto"] | None = None,
        n_steps: int | None = None,
        batch_size: int | None = None,
        memory: float | None = None,
        lr: float | None = None,
        valid: Validation | None = None,
        hooks: Sequence[TrainHook] = (),
        accumulate_grad: int = 1,
        dp_step: DpStep | None = None,
        world_size: int = 0,
        resume: str | Path | None = None,
        seed: int = 0,
        lr_decay: Literal["cosine", "none"] = "cosine",
        precision: Literal["fp32", "bf16", "auto"] = "fp32",
        progress: bool | None = None,
    ) -> TrainResult:
        """Train for `n_epochs` or `n_steps` (exactly one) with `batch_size` or `memory` MB (exactly one).

        `n_epochs="auto"` follows the data size (`self.auto_epochs`; `AutoEpochs`: ~16,000 samples, 1 to 60 epochs).
        `lr=None` runs a short range test on a copy of the model. Unless `valid` schedules the
        rate on plateaus, `lr_decay="cosine"` warms up then decays it to a tenth over the run: a
        constant rate leaves the last steps noisy, which shows most on the child-count tokens.
        `valid` evaluates, schedules the rate, stops early and restores the best weights.
        `resume` continues from a checkpoint written by `CheckpointHook` under the same options.
        `world_size > 1` trains with DistributedDataParallel in that many spawned processes; in a
        script started by `torchrun --nproc-per-node=N`, every process calls `train` and they train
        together (leave `world_size` at 0). `precision="bf16"` runs each forward pass under bfloat16
        autocast (weights and optimizer stay float32); `"auto"` does so on a CUDA device with bf16
        and stays in float32 on the CPU, where autocast was measured slower; DP training is float32.
        The batches go to the model's device (move the model with `model.to("cuda")` first). `progress`:
        None, a bar on a terminal and periodic log lines elsewhere; True, a bar anywhere; False, nothing.
        """
        config = RunConfig(
            n_epochs, n_steps, batch_size, memory, lr, accumulate_grad, seed, lr_decay, world_size, precision
        )
        self._check_inputs(dataset, valid, hooks, dp_step)
        if self.dp_budget is not None:
            self._check_dp_args(dataset, config, valid, resume)
            if valid is not None and valid.trigger == AUTO:  # DP accounts its validations up front: one an epoch
                valid = dataclasses.replace(valid, trigger="epoch")
        run = dict(dataset=dataset, config=config, valid=valid, hooks=list(hooks), resume=resume, progress=progress)
        if distributed.launched_by_torchrun():
            if world_size > 1:
                raise ValueError(
                    "this process was started by torchrun (or joined a process group): leave world_size at 0, "
                    "the launcher's processes train together"
                )
            result = distributed.train_launched(self, run)
        elif world_size > 1:
            result = distributed.train_distributed(self, run)
        elif self.dp_budget is None:
            result = self._run(work=self.model, strategy=Strategy(), **run)
        else:
            strategy = self._dp_strategy(dp_step or DpStep(), config, valid)
            work = strategy.prepare(self.model)
            result = self._run(work=work, strategy=strategy, **run)
            strategy.finish(self.model, work)
            self.dp_trained = True
        self.model.trained = True  # the model's generate no longer warns that its weights are random
        return self._after_train(dataset, result, progress)

    def _after_train(self, dataset: TrainDataset, result: TrainResult, progress: bool | None = None) -> TrainResult:
        """Called once a run ended well; a model-specific trainer adds its last step here
        (`progress` as `train` was given it)."""
        return result

    def evaluate(self, dataset: TrainDataset, batch_size: int = 64) -> float:
        """Mean loss over `dataset` (weighted by samples per batch), without gradients."""
        return evaluate(self.model, dataset, batch_size)

    # -- aindo.rdml's trainer.save / Trainer.load: relsynth saves the model, and resumes from checkpoints
    def save(self, path: str | Path) -> None:
        """Not a relsynth call (aindo.rdml's `trainer.save`): raises, saying what to call instead."""
        raise NotImplementedError(_no_trainer_files(type(self).__name__, type(self.model).__name__))

    @classmethod
    def load(cls, path: str | Path) -> Trainer:
        """Not a relsynth call (aindo.rdml's `Trainer.load`): raises, saying what to call instead."""
        raise NotImplementedError(_no_trainer_files(cls.__name__, cls.model_class))

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self, path: str | Path) -> None:
        """Weights, optimizer, position and run config, written atomically."""
        checkpoint.save_checkpoint(path, self.checkpoint_state())

    def checkpoint_state(self) -> dict:
        return {
            "config": self.config.to_dict() if self.config else None,
            "resolved": {"batch_size": self.batch_size, "lr": self.lr},
            "model": self._bare_model().state_dict(),
            "optimizer": self.optimizer.state_dict() if self.optimizer else None,
            "scheduler": self.scheduler.state_dict() if self.scheduler else None,
            "position": {"step": self.step, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch},
            "history": self.history,
            "best_valid_loss": self.best_valid_loss,
            "best_state": self.best_state,
            "stale_validations": self.stale_validations,
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": _cuda_rng(self._bare_model()),
        }

    def _restore(self, state: dict, path: str | Path) -> None:
        try:
            self._bare_model().load_state_dict(state["model"])
        except RuntimeError as e:  # torch names the tensors; say what it means first
            raise ValueError(
                f"the checkpoint {path} holds the weights of another architecture than this model (its size, "
                f"block or key/value heads: small and medium share one key/value head since they were given "
                f"kv_heads=1, so a checkpoint of an earlier one resumes into ModelSize(..., kv_heads=None)): {e}"
            ) from e
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
        device = model_device(self._bare_model())
        if state.get("cuda_rng") is not None and device.type == "cuda":  # dropout on CUDA draws from its own generator
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        log.info("resumed from %s at step %d (epoch %d)", path, self.step, self.epoch)

    # -- the run -------------------------------------------------------------------------------
    def _run(
        self, *, work: nn.Module, strategy: Strategy, dataset, config: RunConfig, valid, hooks, resume, progress
    ) -> TrainResult:
        """One run on `work` (the model, its DDP wrapper or its DP-ready copy) with `strategy`."""
        started = time.perf_counter()
        torch.manual_seed(config.seed)
        self._reset_state()
        self.config, self.rank, self.world_size = config, strategy.rank, strategy.world_size
        self._work = work
        if self.dp_budget is None:  # DP steps (opacus' per-sample gradients) stay in float32
            strategy.precision = resolve_precision(config.precision, model_device(work))
        precision = strategy.precision
        saved = self._read_resume(resume, config)
        self.accumulate_grad = config.accumulate_grad
        if saved is not None:  # the choices the interrupted run made, never measured again
            self.batch_size, self.lr = saved["resolved"]["batch_size"], saved["resolved"]["lr"]
        else:
            self.batch_size = config.batch_size or search.find_batch_size(
                work, dataset, config.memory, per_sample_grads=strategy.per_sample_grads, precision=precision
            )
            self.lr = (
                config.lr
                if config.lr is not None
                else search.find_lr(work, dataset, self.batch_size, config.seed, precision=precision)
            )
        steps_per_epoch = strategy.steps_per_epoch(len(dataset), self.batch_size, config.accumulate_grad)
        planned = config.planned_steps(len(dataset), steps_per_epoch, self.auto_epochs)
        if config.n_steps is None and planned < self.min_steps:  # a small table's epochs are few steps
            log.info("%s epochs are %d steps: training %d steps (min_steps)", config.n_epochs, planned, self.min_steps)
            planned = self.min_steps
        valid = valid.resolved(steps_per_epoch, planned) if valid is not None else None
        work.train()
        self.optimizer = adamw(work, self.lr)
        self.scheduler = search.plateau_scheduler(self.optimizer, valid, self.lr)
        if saved is not None:
            self._restore(saved, resume)
        self.strategy = strategy
        try:
            self.total_steps = strategy.setup(
                work, self.optimizer, len(dataset), self.batch_size, config.accumulate_grad, planned
            )
            self._loop_with_hooks(dataset, config.seed, valid, self._all_hooks(hooks, valid, progress))
        finally:
            strategy.close()
        if self.step < planned and not self.stop_requested:
            log.warning("stopped after %d of %d steps: the privacy budget allows no more", self.step, planned)
        if self.best_state is not None:
            self._bare_model().load_state_dict(self.best_state)
            if valid is not None and valid.save_best is not None and self.rank == 0:
                self._save_best(valid.save_best)
        work.eval()
        return TrainResult(
            history=self.history,
            batch_size=self.batch_size,
            lr=self.lr,
            n_steps=self.step,
            n_epochs=self.step / steps_per_epoch,
            best_valid_loss=self.best_valid_loss,
            stopped_early=self.stop_requested,
            seconds=time.perf_counter() - started,
            **strategy.result(),
        )

    def _read_resume(self, resume, config: RunConfig) -> dict | None:
        if resume is None:
            return None
        state = checkpoint.load_checkpoint(resume)
        diff = config.differences(state["config"] or {})
        if diff:
            raise ValueError(
                f"cannot resume from {resume}: it was written by a run with other options ({'; '.join(diff)}); "
                "resume with the same options, or train from the start"
            )
        return state

    def _all_hooks(self, hooks: list[TrainHook], valid: Validation | None, progress: bool | None) -> list[TrainHook]:
        if self.rank != 0:
            return []
        out = list(hooks)
        if progress is not False and not any(isinstance(h, ProgressHook) for h in hooks):
            out.append(ProgressHook(disable=None if progress is None else not progress))
        if valid is not None and valid.tensorboard is not None:
            out.append(TensorboardHook(valid.tensorboard, each=1, trigger=valid.trigger))
        return out

    def _loop_with_hooks(self, dataset, seed: int, valid: Validation | None, hooks: list[TrainHook]) -> None:
        for h in hooks:
            h.setup(self, hooks)
        ok = False
        try:
            self._loop(dataset, seed, valid, hooks)
            ok = True
        finally:
            for h in hooks:
                h.cleanup(ok)

    def _loop(self, dataset, seed: int, valid: Validation | None, hooks: list[TrainHook]) -> None:
        step_hooks = [h for h in hooks if h.trigger == "step"]
        epoch_hooks = [h for h in hooks if h.trigger == "epoch"]
        losses: list[float] = []
        while self.step < self.total_steps and not self.stop_requested:
            batches, per_step = self.strategy.epoch_batches(len(dataset), seed, self.epoch)
            while self.batch_in_epoch < len(batches) and self.step < self.total_steps:
                group = batches[self.batch_in_epoch : self.batch_in_epoch + per_step]
                self._set_lr()
                loss = self._step(dataset, group)
                if self.strategy.releases_loss:  # under DP it would leave the guarantee (history, MLflow, logs)
                    losses.append(loss)
                    self.last_loss = loss
                # the position moves with the step, so a stop inside one checkpoints the step before
                self.batch_in_epoch += len(group)
                self.step += 1
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
                if losses or run_valid or not self.strategy.releases_loss:  # DP, no loss: still its step and lr
                    self._record(losses, valid if run_valid else None)
                    losses = []
                for h in epoch_hooks:
                    h.hook()
        if losses:
            self._record(losses, None)

    def _step(self, dataset, group: list[np.ndarray]) -> float:
        try:
            return self.strategy.step(dataset, group)
        except NonFiniteLoss as e:
            raise NonFiniteLoss(
                f"training stopped at step {self.step + 1} (epoch {self.epoch + 1}): the loss is {e.args[0]}; the "
                f"weights are those before this step (and the last checkpoint, if any, is intact). Lower the "
                f"learning rate (lr={self.optimizer.param_groups[0]['lr']:.3g}) or check the data for extreme values"
            ) from None

    def _set_lr(self) -> None:
        """The rate of the coming step: cosine decay unless a plateau schedule drives it."""
        if self.scheduler is None and self.config.lr_decay == "cosine":
            for group in self.optimizer.param_groups:
                group["lr"] = self.lr * search.cosine_factor(self.step, self.total_steps)

    def _record(self, losses: list[float], valid: Validation | None) -> None:
        record = {"step": self.step, "epoch": self.epoch, "lr": self.optimizer.param_groups[0]["lr"]}
        if losses:
            record["train_loss"] = float(np.mean(losses))
        if valid is not None:
            record["valid_loss"] = self._validate(valid)
        self.history.append(record)
        log.info("step %d epoch %d: %s", self.step, self.epoch, {k: v for k, v in record.items() if "loss" in k})

    def _validate(self, valid: Validation) -> float:
        loss = self.strategy.validate(valid.dataset, batch_size=max(self.batch_size, 32))
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
        state = {"kind": "relsynth.best_weights", "format_version": checkpoint.FORMAT_VERSION}
        checkpoint.save_torch_atomic({**state, "model": self.best_state, "best_valid_loss": self.best_valid_loss}, path)

    def _bare_model(self) -> nn.Module:
        return getattr(self._work, "module", self._work)

    # -- differential privacy ------------------------------------------------------------------
    def _dp_strategy(self, dp_step: DpStep, config: RunConfig, valid: Validation | None) -> DpStrategy:
        if self.dp_trained:
            raise RuntimeError("this trainer already trained under its DP budget: build a new model and trainer")
        return DpStrategy(self.dp_budget, dp_step, preproc_spend(self.model, self.dp_budget), valid)

    def _check_dp_args(self, dataset, config: RunConfig, valid: Validation | None, resume) -> None:
        if config.lr is None:
            raise ValueError("under DP give lr: the learning-rate range test would read the private data without noise")
        if config.world_size > 1 or distributed.launched_by_torchrun():
            raise ValueError(
                "DP training runs on one process: use world_size <= 1 with dp_budget, and do not start it with torchrun"
            )
        if resume is not None:
            raise ValueError("DP training cannot resume (the accountant is not checkpointed): train from the start")
        if getattr(self.model, "trained", False):  # its weights hold a spend this run's accountant never saw
            raise ValueError(
                "under DP the model must start untrained, but it was already trained or loaded: what its weights "
                "learnt then is outside this run's epsilon (a second DP run reports its own epsilon alone, not the "
                "sum). Build a new model from the preprocessor: TabularModel.build(preproc, ...)"
            )
        if config.precision == "bf16":
            raise ValueError(
                "DP training runs in float32 (per-sample gradients and their clipping): use precision='fp32' or 'auto'"
            )
        self.dp_budget.check_entities(len(dataset))
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

    # -- arguments -----------------------------------------------------------------------------
    def _check_inputs(self, dataset, valid, hooks, dp_step) -> None:
        if dp_step is not None:
            if not self.supports_dp:
                raise ValueError(self.no_dp_message("dp_step"))
            if self.dp_budget is None:
                raise ValueError(
                    "dp_step was given but the trainer has no dp_budget: build it with dp_budget=DpBudget(...)"
                )
            if not isinstance(dp_step, DpStep):
                raise TypeError(f"dp_step must be a DpStep, got {type(dp_step).__name__}")
        if not hasattr(dataset, "collate") or not hasattr(dataset, "__len__"):
            raise TypeError(f"dataset must be a training dataset (len and collate), got {type(dataset).__name__}")
        if len(dataset) == 0:
            raise ValueError("the training dataset is empty")
        if valid is not None and not isinstance(valid, Validation):
            raise TypeError(f"valid must be a Validation, got {type(valid).__name__}")
        if valid is not None and (not hasattr(valid.dataset, "collate") or not hasattr(valid.dataset, "__len__")):
            raise TypeError(  # else a run shorter than an epoch never validated, and said nothing
                f"valid.dataset must be a dataset encoded like the training one ({type(dataset).__name__}.from_data("
                f"data_valid, preproc)), got {type(valid.dataset).__name__}"
            )
        if isinstance(hooks, TrainHook) or not isinstance(hooks, Iterable):
            raise TypeError(f"hooks must be a list of TrainHook, got {type(hooks).__name__}")
        for name, ds in (("dataset", dataset), ("valid.dataset", valid.dataset if valid is not None else None)):
            if ds is not None and not _same_preproc(getattr(self.model, "preproc", None), getattr(ds, "preproc", None)):
                raise ValueError(
                    f"{name} was encoded with another preprocessor than the model's: build the model and both "
                    "datasets from the same fitted preprocessor"
                )
        bad = [type(h).__name__ for h in hooks if not isinstance(h, TrainHook)]
        if bad:
            raise TypeError(f"hooks must be TrainHook instances, got {bad}")


def _no_trainer_files(trainer: str, model: str) -> str:
    return (
        f"a {trainer} is not saved or loaded in relsynth: save the trained model (trainer.model.save(path)) and "
        f"read it back with {model}.load(path), then build a new trainer around it; to continue an interrupted "
        f"run, train with hooks=[CheckpointHook(path)] and call train(..., resume=path) with the same options"
    )


def _cuda_rng(model: nn.Module) -> torch.Tensor | None:
    """The random state of the CUDA device `model` is on (None on the CPU)."""
    device = model_device(model)
    return torch.cuda.get_rng_state(device) if device.type == "cuda" else None


def _same_preproc(a, b) -> bool:
    """True unless both are preprocessors whose vocabularies differ (checked before any work)."""
    if a is None or b is None or a is b or not hasattr(a, "fingerprint") or not hasattr(b, "fingerprint"):
        return True
    return a.fingerprint() == b.fingerprint()

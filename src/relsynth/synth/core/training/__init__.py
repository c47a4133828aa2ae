"""The one training loop (`Trainer`), its configs, hooks and strategies (plain, DP, distributed)."""

from relsynth.synth.core.training.config import AutoEpochs, EarlyStop, LrSchedule, RunConfig, TrainResult, Validation
from relsynth.synth.core.training.dp import DpBudget, DpStep, DpValid
from relsynth.synth.core.training.hooks import CheckpointHook, MetricsHook, ProgressHook, TrainHook
from relsynth.synth.core.training.loop import Trainer
from relsynth.synth.core.training.strategy import NonFiniteLoss

__all__ = [
    "AutoEpochs",
    "CheckpointHook",
    "DpBudget",
    "DpStep",
    "DpValid",
    "EarlyStop",
    "LrSchedule",
    "MetricsHook",
    "NonFiniteLoss",
    "ProgressHook",
    "RunConfig",
    "TrainHook",
    "TrainResult",
    "Trainer",
    "Validation",
]

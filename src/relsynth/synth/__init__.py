"""Synthesis: the public API of the tabular and the text model (aindo.rdml's names).

synth/core/      the causal transformer and KV cache, the sampler, saved directories and
                 on-disk arrays, memory measurement, CPU threads, the one training loop (core/training/)
synth/tabular/   a database as token sequences, the tabular model, its trainer, generation
synth/text/      the text model: tokenizer and contexts, model, trainer, generation
"""

from relsynth.synth.core.training import (
    CheckpointHook,
    DpBudget,
    DpStep,
    DpValid,
    EarlyStop,
    LrSchedule,
    MetricsHook,
    NonFiniteLoss,
    ProgressHook,
    Trainer,
    TrainHook,
    TrainResult,
    Validation,
)
from relsynth.synth.core.transformer import ModelSize
from relsynth.synth.tabular import (
    CategoricalPreproc,
    ColumnPreproc,
    CountPreproc,
    NumericPreproc,
    RunawayEntity,
    Size,
    TabularDataset,
    TabularModel,
    TabularModelSize,
    TabularPreproc,
    TabularTrainer,
)
from relsynth.synth.text import TextDataset, TextModel, TextModelSize, TextPreproc, TextTrainer, fill_texts

__all__ = [
    "CategoricalPreproc",
    "CheckpointHook",
    "ColumnPreproc",
    "CountPreproc",
    "DpBudget",
    "DpStep",
    "DpValid",
    "EarlyStop",
    "LrSchedule",
    "MetricsHook",
    "ModelSize",
    "NonFiniteLoss",
    "NumericPreproc",
    "ProgressHook",
    "RunawayEntity",
    "Size",
    "TabularDataset",
    "TabularModel",
    "TabularModelSize",
    "TabularPreproc",
    "TabularTrainer",
    "TextDataset",
    "TextModel",
    "TextModelSize",
    "TextPreproc",
    "TextTrainer",
    "TrainHook",
    "TrainResult",
    "Trainer",
    "Validation",
    "fill_texts",
]

"""The tabular model: a database as token sequences (`TabularPreproc`, `TabularDataset`), the
model over them (`TabularModel`), its trainer (`TabularTrainer`) and generation, which stops with
`RunawayEntity` when an entity grows far past the longest of the fit."""

from relsynth.synth.tabular._dp_fit import truncate_children
from relsynth.synth.tabular._generate import RunawayEntity
from relsynth.synth.tabular.dataset import TabularDataset
from relsynth.synth.tabular.encoders import CategoricalPreproc, ColumnPreproc, CountPreproc, NumericPreproc
from relsynth.synth.tabular.model import Size, TabularModel, TabularModelConfig, TabularModelSize
from relsynth.synth.tabular.preproc import TabularPreproc
from relsynth.synth.tabular.trainer import TabularTrainer

__all__ = [
    "CategoricalPreproc",
    "ColumnPreproc",
    "CountPreproc",
    "NumericPreproc",
    "RunawayEntity",
    "Size",
    "TabularDataset",
    "TabularModel",
    "TabularModelConfig",
    "TabularModelSize",
    "TabularPreproc",
    "TabularTrainer",
    "truncate_children",
]

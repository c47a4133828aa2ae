"""The small tabular model the modelling benchmarks train: fitted on `data`, `steps` steps of 16
entities on one thread, seeded (date_order.py, two_bounds.py, row_formulas.py)."""

from __future__ import annotations

import torch

from relsynth.relational import RelationalData
from relsynth.synth import TabularDataset, TabularModel, TabularPreproc, TabularTrainer


def trained_small(data: RelationalData, steps: int, seed: int) -> TabularModel:
    torch.set_num_threads(1)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(seed)
    model = TabularModel.build(pre, size="small")
    TabularTrainer(model).train(TabularDataset.from_data(data, pre), n_steps=steps, batch_size=16, seed=seed)
    return model

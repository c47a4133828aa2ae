"""Fixtures of the training-loop tests: the shop as a dataset and a tiny model factory."""

from __future__ import annotations

import pytest
import torch

from relsynth.synth import TabularDataset, TabularModel


@pytest.fixture(scope="module")
def ds(shop, shop_preproc) -> TabularDataset:
    return TabularDataset.from_data(shop, shop_preproc)


@pytest.fixture
def make_model(shop_preproc, tiny_size):
    def make(block: str = "free") -> TabularModel:
        torch.manual_seed(0)
        return TabularModel.build(shop_preproc, size=tiny_size, block=block)

    return make

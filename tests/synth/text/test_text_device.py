"""The text model off the default path: bf16 autocast (CPU, always) and CUDA (skipped without a GPU)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.synth.text import TextDataset, TextModel, TextTrainer

cuda = pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA device (run benchmarks/gpu_check.sh there)"
)


def titles(data) -> pd.Series:
    return data["song"]["title"]


def test_bf16_autocast_trains_the_text_model_on_the_cpu(songs, song_preproc, tiny_size):
    torch.manual_seed(0)
    model = TextModel.build(song_preproc, size=tiny_size, block_size=64)
    ds = TextDataset.from_data(songs, song_preproc, block_size=64)
    r = TextTrainer(model).train(ds, n_steps=6, batch_size=16, precision="bf16", min_steps=0, progress=False)
    assert all(np.isfinite(h["train_loss"]) for h in r.history)
    assert {p.dtype for p in model.parameters()} == {torch.float32}


@pytest.mark.cuda
@cuda
def test_trains_and_generates_on_cuda(songs, song_preproc, tiny_size):
    torch.manual_seed(0)
    model = TextModel.build(song_preproc, size=tiny_size, block_size=64).to("cuda")
    ds = TextDataset.from_data(songs, song_preproc, block_size=64)
    precision = "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    r = TextTrainer(model).train(ds, n_steps=20, batch_size=16, precision=precision, min_steps=0, progress=False)
    assert all(np.isfinite(h["train_loss"]) for h in r.history)
    synth = model.generate(songs, seed=0, max_text_len=12, batch_size=8)
    assert titles(synth).notna().sum() > 0


@pytest.mark.cuda
@cuda
def test_cuda_and_cpu_generate_the_same_greedy_texts(songs, trained: TextModel):
    """Random draws come from a CPU generator, so the device changes no token; greedy (temp=0)
    texts of the same weights agree unless two logits tie within float error."""
    on_gpu = copy.deepcopy(trained).to("cuda")
    a = trained.generate(songs, seed=1, temp=0.0)
    b = on_gpu.generate(songs, seed=1, temp=0.0)
    assert (titles(a).fillna("") == titles(b).fillna("")).mean() > 0.9

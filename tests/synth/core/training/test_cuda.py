"""The GPU path: a model moved to CUDA trains (fp32 and bf16), measures `memory=` with CUDA's
allocator statistics, resumes, calibrates and generates with every tensor on its device.

Skipped without CUDA; `bash benchmarks/gpu_check.sh` runs these (`pytest -m cuda`) on a GPU machine.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from train_helpers import BATCH, Crash

from relsynth.synth import CheckpointHook, TabularTrainer, Trainer, Validation
from relsynth.synth.core import memory
from relsynth.synth.core.memory import measure_peak_mb
from relsynth.synth.core.training.precision import resolve_precision
from relsynth.synth.core.training.strategy import on_device
from relsynth.synth.tabular import _generate as generation

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run benchmarks/gpu_check.sh there)"),
]
CUDA = torch.device("cuda")


def on_cuda(model):
    return model.to(CUDA)


def test_batches_arrive_on_the_device_through_pinned_memory(ds, make_model):
    batch = on_device(ds.collate(np.arange(BATCH)), on_cuda(make_model()))
    assert {v.device.type for v in batch.values()} == {"cuda"}
    torch.cuda.synchronize()
    cpu = ds.collate(np.arange(BATCH))
    for k, v in batch.items():
        torch.testing.assert_close(v.cpu(), cpu[k], rtol=0, atol=0)


@pytest.mark.parametrize("block", ["free", "lstm"])
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_trains_calibrates_and_generates_on_cuda(shop, ds, make_model, block, precision):
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    model = on_cuda(make_model(block))
    valid = Validation(ds, trigger="step", each=4)
    result = TabularTrainer(model).train(
        ds, n_steps=8, batch_size=BATCH, lr=3e-3, valid=valid, precision=precision, progress=False
    )
    assert np.isfinite(result.best_valid_loss) and result.count_calibration
    assert {p.device.type for p in model.parameters()} == {"cuda"}
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    out = model.generate(10, seed=0)
    assert set(out.data) >= set(shop.schema.synth_tables)


def test_auto_precision_is_bf16_on_a_gpu_that_has_it():
    expected = "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    assert resolve_precision("auto", CUDA).name == expected


def test_memory_search_uses_the_allocators_peak(ds, make_model, monkeypatch):
    def allocate() -> None:
        block = torch.ones(64 * 2**20 // 4, device=CUDA)  # 64 MB on the device, freed on return
        assert float(block.sum()) > 0

    assert 60 < measure_peak_mb(allocate, device=CUDA) < 80
    assert measure_peak_mb(allocate, device="cuda:0") > 60
    seen = []

    def spy(fn, device="cpu"):
        seen.append((torch.device(device).type, measure_peak_mb(fn, device)))
        return seen[-1][1]

    monkeypatch.setattr(memory, "measure_peak_mb", spy)
    result = TabularTrainer(on_cuda(make_model()), calibrate_counts=False).train(
        ds, n_steps=1, memory=4000, lr=1e-3, precision="auto", progress=False
    )
    assert result.batch_size >= 1 and seen and all(kind == "cuda" and mb > 0 for kind, mb in seen)


def test_resume_on_cuda_continues_the_interrupted_run(tmp_path, ds, make_model):
    ckpt = tmp_path / "ckpt.pt"
    kw = dict(n_steps=10, batch_size=BATCH, lr=1e-2, progress=False)
    straight = on_cuda(make_model())
    Trainer(straight).train(ds, **kw)
    with pytest.raises(RuntimeError, match="crash at step 5"):
        Trainer(on_cuda(make_model())).train(ds, hooks=[CheckpointHook(ckpt, trigger="step"), Crash(5)], **kw)
    resumed = on_cuda(make_model())
    result = Trainer(resumed).train(ds, resume=ckpt, **kw)
    assert result.n_steps == 10
    # CUDA kernels need not be bitwise deterministic (the CPU test asserts equal weights): equal losses
    assert Trainer(resumed).evaluate(ds) == pytest.approx(Trainer(straight).evaluate(ds), rel=1e-3)
    cpu = make_model()  # a checkpoint written on CUDA resumes on the CPU too
    Trainer(cpu).train(ds, resume=ckpt, **kw)
    assert {p.device.type for p in cpu.parameters()} == {"cpu"}
    assert Trainer(cpu).evaluate(ds) == pytest.approx(Trainer(straight).evaluate(ds), rel=1e-3)


def test_small_max_block_size_reprefixes_on_cuda(shop, make_model, monkeypatch):
    calls = []
    original = generation._reprefix
    monkeypatch.setattr(generation, "_reprefix", lambda *a, **k: calls.append(1) or original(*a, **k))
    out = on_cuda(make_model()).generate(12, seed=2, max_block_size=18)
    assert calls and set(out.data) >= set(shop.schema.synth_tables)

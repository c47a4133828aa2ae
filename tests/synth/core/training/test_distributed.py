"""DistributedDataParallel on CPU (gloo)."""

from __future__ import annotations

import math
import time

import pytest
import torch
from train_helpers import BATCH, state_of

from relsynth.synth import Trainer


# ---- distributed -------------------------------------------------------------------------------
@pytest.mark.slow
def test_world_size_two_on_cpu_trains(ds, make_model):
    model = make_model()
    before = state_of(model)
    started = time.perf_counter()
    result = Trainer(model).train(ds, n_steps=4, batch_size=BATCH, lr=1e-2, world_size=2)
    assert result.n_steps == 4
    assert all(math.isfinite(r["train_loss"]) for r in result.history)
    assert not torch.equal(before["head.weight"], model.state_dict()["head.weight"])
    assert math.isfinite(Trainer(model).evaluate(ds))
    print(f"world_size=2 took {time.perf_counter() - started:.1f} s")


# ---- the standard launcher ---------------------------------------------------------------------
TORCHRUN_SCRIPT = """
import hashlib, json, os, sys
import torch
sys.path.insert(0, {tests!r})
from shop_data import make_shop
from relsynth.synth import ModelSize, TabularDataset, TabularModel, TabularPreproc, TabularTrainer

shop = make_shop()
pre = TabularPreproc.from_schema(shop.schema).fit(shop)
ds = TabularDataset.from_data(shop, pre)
torch.manual_seed(0)  # the same initial weights in every process
model = TabularModel.build(pre, size=ModelSize(n_layers=1, h=2, d=16))
before = model.head.weight.detach().clone()
result = TabularTrainer(model).train(ds, n_steps=4, batch_size=8, lr=1e-2)
digest = hashlib.sha256(b"".join(v.detach().numpy().tobytes() for v in model.state_dict().values())).hexdigest()
out = dict(rank=int(os.environ["RANK"]), n_steps=result.n_steps, digest=digest,
           changed=not torch.equal(before, model.head.weight))
with open(os.path.join({out!r}, "rank%d.json" % out["rank"]), "w") as f:
    json.dump(out, f)
"""


@pytest.mark.slow
def test_a_script_started_by_torchrun_trains_in_every_process_to_the_same_weights(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parents[2]  # tests/synth, where shop_data lives
    script = tmp_path / "train.py"
    script.write_text(TORCHRUN_SCRIPT.format(tests=str(tests), out=str(tmp_path)))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", str(script)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["n_steps"] for r in ranks] == [4, 4]
    assert all(r["changed"] for r in ranks)
    assert ranks[0]["digest"] == ranks[1]["digest"]  # DDP kept the replicas equal


def test_world_size_under_torchrun_is_refused(monkeypatch, ds, make_model):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(ValueError, match="started by torchrun"):
        Trainer(make_model()).train(ds, n_steps=1, batch_size=BATCH, lr=1e-2, world_size=2)

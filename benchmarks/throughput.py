"""Training and generation speed of the tabular model: Chinook and TPC-H at several scale factors.

For each database x size x thread count it prints training tokens/s (scored tokens over a fixed
number of steps at the project's defaults: batch 16, lr 3e-3, block 256), optionally the seconds
to the early-stopping point (patience 5; `--schedule auto`: the Kedro defaults, n_epochs and validation interval
following the data size; `--schedule fixed`: 60 epochs validated each epoch, the defaults before), and
generation rows/s (as many root entities as the training part has, and 10x that). One table with
the commit it ran on; run the same command on another commit (e.g. from a git worktree with
PYTHONPATH=<worktree>/src) for a before/after comparison on the same machine.

    python benchmarks/throughput.py --data chinook tpch:0.01 --sizes small medium --threads 1 2
    python benchmarks/throughput.py --data chinook tpch:0.01 --sizes small --threads 2 --to-early-stop

TPC-H needs the bench extra (pip install -e ".[bench]").
"""

from __future__ import annotations

import argparse
import inspect
import json
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from relsynth.relational import RelationalData, Schema  # noqa: E402
from relsynth.synth import (  # noqa: E402
    TabularDataset,
    TabularModel,
    TabularPreproc,
    TabularTrainer,
    Trainer,
    Validation,
)
from relsynth.synth.tabular.model import SIZES  # noqa: E402

BATCH, LR, BLOCK = 16, 3e-3, 256
# no progress bar; older commits (measured from a worktree for before/after) lack the option
QUIET = {"progress": False} if "progress" in inspect.signature(Trainer.train).parameters else {}


def load(name: str) -> RelationalData:
    if name == "chinook":
        schema = Schema.from_yaml(ROOT / "conf/base/schema_chinook.yml")
        return RelationalData.from_dir(ROOT / "data/01_raw/chinook", schema=schema)
    if name.startswith("tpch:"):
        from tpch import load_tpch

        return load_tpch(float(name.split(":", 1)[1]))
    raise SystemExit(f"unknown database {name!r}: chinook or tpch:<scale factor>")


def scored_tokens(ds: TabularDataset, chunk: int = 4096) -> int:
    """Target tokens of one epoch (prefix and padding excluded)."""
    total = 0
    for start in range(0, len(ds), chunk):
        batch = ds.collate(np.arange(start, min(start + chunk, len(ds))))
        total += int((batch["targets"] != -100).sum())
    return total


def commit() -> str:
    import relsynth

    src = Path(relsynth.__file__).resolve().parents[2]
    out = subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def size_with_kv_heads(size: str, kv_heads: int):
    """The preset `size`, or its `ModelSize` with `kv_heads` key/value heads when that is not 0
    (commits before kv_heads lack the field: give 0 there)."""
    return replace(SIZES[size], kv_heads=kv_heads) if kv_heads else size


def run(
    name: str,
    data: RelationalData,
    size: str,
    threads: int,
    steps: int,
    early_stop: bool,
    gen_factors: list[int],
    schedule: str = "auto",
    device: str = "cpu",
    precision: str = "fp32",
    dropout: float = 0.0,
    kv_heads: int = 0,
    workers: int = 1,
) -> dict:
    torch.set_num_threads(threads)
    preset = size_with_kv_heads(size, kv_heads)
    opts = QUIET | ({"precision": precision} if precision != "fp32" else {})  # older commits lack precision
    train, valid = data.split(ratio=0.1, seed=0)
    pre = TabularPreproc.from_schema(train.schema).fit(train)
    ds = TabularDataset.from_data(train, pre, block_size=BLOCK)
    dv = TabularDataset.from_data(valid, pre, block_size=BLOCK)
    per_epoch = scored_tokens(ds)
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=preset, block_size=BLOCK, dropout=dropout).to(device)
    r = TabularTrainer(model).train(ds, n_steps=steps, batch_size=BATCH, lr=LR, seed=0, **opts)
    out = {
        "data": name,
        "size": f"{size} kv_heads={kv_heads}" if kv_heads else size,
        "threads": threads,
        "rows": sum(len(df) for df in train.data.values()),
        "tokens_per_epoch": per_epoch,
        "train_tok_s": round(r.n_epochs * per_epoch / r.seconds),
    }
    if device != "cpu" or precision != "fp32":
        out |= {"device": device, "precision": precision}
    if dropout:
        out["dropout"] = dropout
    if workers > 1:
        out["gen_workers"] = workers
    if early_stop:
        torch.manual_seed(0)
        model = TabularModel.build(pre, size=preset, block_size=BLOCK, dropout=dropout).to(device)
        # fixed: the Kedro defaults before the data-size-aware schedule (60 epochs, validation each epoch)
        n_epochs, trigger = (60, "epoch") if schedule == "fixed" else ("auto", "auto")
        valid = Validation(dv, trigger=trigger, early_stop="normal")
        r = TabularTrainer(model).train(ds, n_epochs=n_epochs, batch_size=BATCH, lr=LR, seed=0, valid=valid, **opts)
        out |= {
            "schedule": schedule,
            "early_stop_s": round(r.seconds, 1),
            "epochs": round(r.n_epochs, 1),
            "valid_loss": round(r.best_valid_loss, 4),
        }
    if gen_factors:
        n_roots = sum(len(train[t]) for t in train.schema.roots)
        for factor in gen_factors:
            started = time.perf_counter()
            synth = model.generate(n_roots * factor, seed=0, **({"workers": workers} if workers > 1 else {}))
            seconds = time.perf_counter() - started
            rows = sum(len(synth[t]) for t in train.schema.synth_tables)
            out[f"gen_rows_s_{factor}x"] = round(rows / seconds)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", default=["chinook", "tpch:0.01"])
    ap.add_argument("--sizes", nargs="+", default=["small"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--steps", type=int, default=40, help="training steps timed for tokens/s")
    ap.add_argument("--to-early-stop", action="store_true", help="also train to the early-stopping point")
    ap.add_argument(
        "--schedule",
        choices=["auto", "fixed"],
        default="auto",
        help='to early stop with n_epochs="auto" and validation trigger "auto" (the defaults), or 60 epochs '
        "validated each epoch (the defaults before; the only choice on commits without auto)",
    )
    ap.add_argument("--gen-factors", nargs="*", type=int, default=[1, 10], help="generate k x the training roots")
    ap.add_argument("--json", type=Path, default=None, help="append the rows as JSON lines here")
    ap.add_argument("--device", default="cpu", help="where the model trains and generates (cuda, cuda:1, ...)")
    ap.add_argument("--precision", choices=["fp32", "bf16", "auto"], default="fp32", help="train(precision=...)")
    ap.add_argument("--dropout", type=float, default=0.0, help="TabularModel.build(dropout=...); the Kedro job: 0.1")
    ap.add_argument("--kv-heads", type=int, default=0, help="the preset with this many key/value heads; 0: as it is")
    ap.add_argument("--workers", type=int, default=1, help="generate(workers=...): processes generating side by side")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    rows = []
    for name in args.data:
        data = load(name)
        for size in args.sizes:
            for threads in args.threads:
                row = run(
                    name,
                    data,
                    size,
                    threads,
                    args.steps,
                    args.to_early_stop,
                    args.gen_factors,
                    args.schedule,
                    args.device,
                    args.precision,
                    args.dropout,
                    args.kv_heads,
                    args.workers,
                )
                row["commit"] = commit()
                rows.append(row)
                print(json.dumps(row), flush=True)
                if args.json:
                    with args.json.open("a") as f:
                        f.write(json.dumps(row) + "\n")
    keys = [k for k in rows[0] if k not in ("commit",)]
    print(f"\ncommit {rows[0]['commit']}")
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(str(row.get(k, "")) for k in keys))


if __name__ == "__main__":
    main()

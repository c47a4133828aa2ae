"""Training tokens/s with one process or several under `torchrun` (CPU, gloo), same global batch.

Each configuration trains the small model for --steps steps at the project's defaults (batch 16,
lr 3e-3, block 256) on the same data, started by `python -m torch.distributed.run --standalone
--nproc-per-node=P`; with P > 1 every process takes its shard of each batch (DDP) and gradients
are averaged through gloo. Printed: processes x threads each, seconds, tokens/s (scored tokens of
the steps run over the wall time of training, rank 0's clock) and the ratio to the first row.

    python benchmarks/processes.py --data tpch:0.01 --configs 1x1 1x2 2x1
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def worker(args: argparse.Namespace) -> None:
    """One process of a run under torchrun: train and, on rank 0, write the figures."""
    import numpy as np
    import torch
    from throughput import BATCH, BLOCK, LR, load

    from relsynth.synth import TabularDataset, TabularModel, TabularPreproc, TabularTrainer

    torch.set_num_threads(args.threads)
    train, _ = load(args.data).split(ratio=0.1, seed=0)
    pre = TabularPreproc.from_schema(train.schema).fit(train)
    ds = TabularDataset.from_data(train, pre, block_size=BLOCK)
    torch.manual_seed(0)  # the same initial weights in every process
    model = TabularModel.build(pre, size="small", block_size=BLOCK)
    trainer = TabularTrainer(model, calibrate_counts=False)
    r = trainer.train(ds, n_steps=args.steps, batch_size=BATCH, lr=LR, seed=0, progress=False)
    if int(os.environ.get("RANK", "0")) == 0:
        scored = float(np.mean(ds.lengths)) * BATCH * args.steps  # windows drawn uniformly
        Path(args.out).write_text(json.dumps({"seconds": r.seconds, "tokens_s": scored / r.seconds}))


def launch(args: argparse.Namespace, processes: int, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rank0.json"
        cmd = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={processes}",
            __file__,
            "--_worker",
            "--data",
            args.data,
            "--steps",
            str(args.steps),
            "--threads",
            str(threads),
            "--out",
            str(out),
        ]
        env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
        subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
        return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="tpch:0.01", help="chinook or tpch:<scale factor>")
    ap.add_argument("--configs", nargs="+", default=["1x1", "1x2", "2x1"], help="PROCESSESxTHREADS each")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--_worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._worker:
        worker(args)
        return
    from throughput import commit

    print(f"# {args.data}, {args.steps} steps of batch 16, commit {commit()}")
    print("| processes x threads | seconds | tokens/s | ratio |\n|---|---:|---:|---:|")
    first = None
    for config in args.configs:
        processes, threads = (int(x) for x in config.split("x"))
        r = launch(args, processes, threads)
        first = first or r["tokens_s"]
        print(f"| {processes} x {threads} | {r['seconds']:.1f} | {r['tokens_s']:,.0f} | {r['tokens_s'] / first:.2f} |")


if __name__ == "__main__":
    main()

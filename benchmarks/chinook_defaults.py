"""Chinook quality and privacy with the training defaults of a commit, one seed per call: a
before/after check that a change keeps quality (run the old commit from a git worktree).

    python benchmarks/chinook_defaults.py 0 auto                                  # this checkout
    PYTHONPATH=/tmp/before/src python benchmarks/chinook_defaults.py 0 fixed     # a worktree

Split: rest/test 0.1 (seed 0), train/valid 0.1 (seed 1); small model (--size), batch 16, lr 3e-3, early
stop "normal"; `fixed`: 60 epochs validated each epoch (the defaults before n_epochs and the
validation trigger became "auto"), `auto`: the defaults now. Prints one JSON line: quality, column
pairs, cardinality, exact copies, the share of synthetic rows closer to a training than to a
held-out row and that share's baseline, rows generated per table.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import torch
from throughput import load, size_with_kv_heads  # benchmarks/, this script's folder

from relsynth.eval.privacy import privacy_scores
from relsynth.eval.quality import quality_scores
from relsynth.synth import TabularDataset, TabularModel, TabularPreproc, TabularTrainer, Validation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("seed", type=int)
    ap.add_argument("schedule", choices=["auto", "fixed"])
    ap.add_argument("--gen-block", type=int, default=0, help="generate(max_block_size=...); 0: the training block size")
    ap.add_argument("--size", default="small", help="the preset: small, medium, large")
    ap.add_argument("--kv-heads", type=int, default=0, help="key/value heads of the preset; 0: the preset's")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    rest, test = load("chinook").split(ratio=0.1, seed=0)
    train, valid = rest.split(ratio=0.1, seed=1)
    pre = TabularPreproc.from_schema(train.schema).fit(train)
    ds = TabularDataset.from_data(train, pre, block_size=256)
    dv = TabularDataset.from_data(valid, pre, block_size=256)
    torch.manual_seed(args.seed)
    model = TabularModel.build(pre, size=size_with_kv_heads(args.size, args.kv_heads), dropout=0.1, block_size=256)
    n_epochs, trigger = (60, "epoch") if args.schedule == "fixed" else ("auto", "auto")
    wall, cpu = time.perf_counter(), time.process_time()
    result = TabularTrainer(model).train(
        ds,
        n_epochs=n_epochs,
        batch_size=16,
        lr=3e-3,
        seed=args.seed,
        valid=Validation(dv, trigger=trigger, early_stop="normal"),
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n_roots = sum(len(train[t]) for t in train.schema.roots)
    gen = time.perf_counter()
    synth = model.generate(n_roots, seed=args.seed, max_block_size=args.gen_block)
    gen = time.perf_counter() - gen
    quality = quality_scores(test, synth)["overall"]
    privacy = privacy_scores(train, test, synth)["overall"]
    print(
        json.dumps(
            {
                "schedule": args.schedule,
                "gen_block": args.gen_block or model.config.block_size,
                "size": args.size,
                "kv_heads": model.config.kv_heads or model.config.h,
                "seed": args.seed,
                "train_wall_s": round(wall),
                "train_cpu_s": round(cpu),
                "epochs": round(result.n_epochs, 1),
                "quality": round(quality["quality"], 2),
                "pairs": round(quality["column_pairs"], 2),
                "cardinality": round(quality["cardinality"], 2),
                "exact_copies": privacy["exact_copy_rate"],
                "dcr_train_closer": round(privacy["dcr_share_train_closer"], 3),
                "dcr_baseline": round(privacy["dcr_baseline"], 3),
                "rows": {t: len(synth[t]) for t in synth.schema.synth_tables},
                "generate_s": round(gen, 2),
            }
        )
    )


if __name__ == "__main__":
    main()

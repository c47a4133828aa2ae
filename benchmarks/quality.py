"""Quality, time and speed of the tabular model on Chinook, against the held-out ceiling.

Trains on the train split, generates as many root rows, and prints per-table column-shape,
column-pair and children-per-parent (cardinality) similarity of synthetic vs held-out, beside
the same scores of held-out vs train (the ceiling), plus training time and generation rows/s,
for each size x block x seed. Timings are only comparable within one run.

    python benchmarks/quality.py --sizes small medium --blocks free lstm --seeds 0 1 2 --minutes 3
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import torch

from relsynth.eval import privacy_scores, quality_scores
from relsynth.relational import RelationalData, Schema
from relsynth.synth import EarlyStop, TabularDataset, TabularModel, TabularPreproc, TabularTrainer, Validation

ROOT = Path(__file__).resolve().parents[1]


def load_chinook() -> RelationalData:
    schema = Schema.from_yaml(ROOT / "conf/base/schema_chinook.yml")
    return RelationalData.from_dir(ROOT / "data/01_raw/chinook", schema=schema)


def headline(scores: dict) -> dict:
    out = {"quality": scores["overall"]["quality"], "cardinality": scores["overall"]["cardinality"]}
    for t, s in scores["tables"].items():
        if s["column_shapes"] is not None:  # tables with only keys and text have no columns to score
            out[f"{t}.shapes"] = s["column_shapes"]
        if s["column_pairs"] is not None:
            out[f"{t}.pairs"] = s["column_pairs"]
    for e, s in scores["edges"].items():
        out[f"{e}.card"] = s["cardinality"]
    return out


def run_one(train, valid, test, size: str, block: str, seed: int, minutes: float, block_size: int) -> dict:
    torch.manual_seed(seed)
    preproc = TabularPreproc.from_schema(train.schema).fit(train)
    ds_train = TabularDataset.from_data(train, preproc, block_size=block_size)
    ds_valid = TabularDataset.from_data(valid, preproc, block_size=block_size)
    model = TabularModel.build(preproc, size=size, block=block, block_size=block_size)
    # a step budget from a short timing run, so every configuration gets the same wall time
    probe = time.perf_counter()
    TabularTrainer(
        TabularModel.build(preproc, size=size, block=block, block_size=block_size), calibrate_counts=False
    ).train(ds_train, n_steps=10, batch_size=16, lr=3e-3, seed=seed)
    per_step = (time.perf_counter() - probe) / 10
    n_steps = max(50, int(minutes * 60 / per_step))
    started = time.perf_counter()
    result = TabularTrainer(model).train(
        ds_train,
        n_steps=n_steps,
        batch_size=16,
        lr=3e-3,
        seed=seed,
        valid=Validation(ds_valid, each=max(1, len(ds_train) // 16), trigger="step", early_stop=EarlyStop(patience=6)),
    )
    train_s = time.perf_counter() - started
    n_roots = len(train[train.schema.roots[0]])
    started = time.perf_counter()
    synth = model.generate(n_samples=n_roots, seed=seed)
    gen_s = time.perf_counter() - started
    rows = sum(len(synth[t]) for t in synth.schema.synth_tables)
    scores = headline(quality_scores(test, synth))
    privacy = privacy_scores(train, test, synth)["overall"]
    # generation speed at scale: ten times the training entities, one pass
    started = time.perf_counter()
    big = model.generate(n_samples=10 * n_roots, seed=seed)
    gen10_s = time.perf_counter() - started
    rows10 = sum(len(big[t]) for t in big.schema.synth_tables)
    return {
        "size": size,
        "block": block,
        "seed": seed,
        "train_s": round(train_s, 1),
        "steps": result.n_steps,
        "gen_rows_s": round(rows / gen_s),
        "gen10x_rows_s": round(rows10 / gen10_s),
        "exact_copy_rate": round(privacy["exact_copy_rate"], 4),
        "exact_copy_rate_test": round(privacy["exact_copy_rate_test"], 4),
        "dcr_share_train_closer": round(privacy["dcr_share_train_closer"], 3),
        "dcr_baseline": round(privacy["dcr_baseline"], 3),
        "rows": {t: len(synth[t]) for t in synth.schema.synth_tables},
        **{k: round(v, 1) if v is not None else None for k, v in scores.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["small"])
    ap.add_argument("--blocks", nargs="+", default=["free"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--minutes", type=float, default=3.0, help="training wall time per run")
    ap.add_argument("--block-size", type=int, default=256)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="write all results as JSON here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    data = load_chinook()
    train_all, test = data.split(ratio=0.1, seed=0)
    train, valid = train_all.split(ratio=0.1, seed=1)
    ceiling = headline(quality_scores(train_all, test))
    print("ceiling (held-out vs train):", {k: round(v, 1) for k, v in ceiling.items() if v is not None})
    print("real rows:", {t: len(train[t]) for t in data.schema.synth_tables}, "(train part used for fitting)")
    results = []
    for size in args.sizes:
        for block in args.blocks:
            for seed in args.seeds:
                r = run_one(train, valid, test, size, block, seed, args.minutes, args.block_size)
                results.append(r)
                print(json.dumps(r), flush=True)
    keys = [k for k in results[0] if k not in ("size", "block", "seed", "rows")]
    print("\nmean ± std over seeds (ceiling in brackets)")
    for size in args.sizes:
        for block in args.blocks:
            rs = [r for r in results if r["size"] == size and r["block"] == block]
            cells = []
            for k in keys:
                v = np.array([r[k] for r in rs if r[k] is not None], dtype=float)
                c = ceiling.get(k)
                cells.append(f"{k}={v.mean():.4g}±{v.std():.2g}" + (f" [{c:.1f}]" if c is not None else ""))
            print(f"{size}/{block}: " + ", ".join(cells))
    if args.out:
        args.out.write_text(json.dumps({"ceiling": ceiling, "results": results}, indent=1))


if __name__ == "__main__":
    main()

"""Differential privacy on one real table: quality against the held-out ceiling, and time overhead.

Chinook's track table as a one-table schema (the album foreign key dropped; genre and media type
stay lookups), split train / test. For each epsilon the preprocessor is fitted with DP
(`preproc_share` of the budget) and the model trained with DP-SGD, the noise calibrated so the
epochs spend the rest; epsilon = inf is the same training without DP (plain preprocessor). All
runs share batch size, epochs and learning rate, so the time per step compares DP with non-DP
in one run. Quality is `relsynth.eval.quality_scores` of synthetic vs held-out; the ceiling is
held-out vs train.

    python benchmarks/dp.py --eps 1 3 10 inf --epochs 15 --block free
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from pathlib import Path

import torch

from relsynth.eval import quality_scores
from relsynth.relational import RelationalData, Schema
from relsynth.synth import DpBudget, DpStep, TabularDataset, TabularModel, TabularPreproc, TabularTrainer

ROOT = Path(__file__).resolve().parents[1]


def load_tracks() -> RelationalData:
    full = Schema.from_yaml(ROOT / "conf/base/schema_chinook.yml")
    data = RelationalData.from_dir(ROOT / "data/01_raw/chinook", schema=full)
    d = full.to_dict()
    d["tables"] = {t: d["tables"][t] for t in ("track", "genre", "media_type")}
    del d["tables"]["track"]["columns"]["album"]
    schema = Schema.from_dict(d)
    return RelationalData({t: data[t].drop(columns=["album"], errors="ignore") for t in schema.tables}, schema)


def score(real: RelationalData, synth: RelationalData) -> dict:
    s = quality_scores(real, synth)
    t = s["tables"]["track"]
    return {"quality": s["overall"]["quality"], "shapes": t["column_shapes"], "pairs": t["column_pairs"]}


def run_one(train, test, eps: float, args) -> dict:
    torch.manual_seed(args.seed)
    budget = None if math.isinf(eps) else DpBudget(eps, args.delta, preproc_share=args.preproc_share)
    preproc = TabularPreproc.from_schema(train.schema).fit(train, dp=budget)
    ds = TabularDataset.from_data(train, preproc)
    model = TabularModel.build(preproc, size=args.size, block=args.block)
    trainer = TabularTrainer(model, dp_budget=budget)
    kw = {"dp_step": DpStep(noise_multiplier=None, max_grad_norm=args.clip)} if budget else {}
    started = time.perf_counter()
    result = trainer.train(ds, n_epochs=args.epochs, batch_size=args.batch, lr=args.lr, seed=args.seed, **kw)
    train_s = time.perf_counter() - started
    synth = model.generate(n_samples=len(train["track"]), seed=args.seed)
    return {
        "epsilon": eps,
        "spent": None if result.epsilon is None else round(result.epsilon, 3),
        "sigma": None if result.noise_multiplier is None else round(result.noise_multiplier, 3),
        "steps": result.n_steps,
        "train_s": round(train_s, 1),
        "ms_per_step": round(1000 * train_s / max(result.n_steps, 1), 1),
        "final_loss": round(result.history[-1]["train_loss"], 3) if result.history else None,
        **{k: round(v, 1) for k, v in score(test, synth).items() if v is not None},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eps", nargs="+", type=float, default=[1.0, 3.0, 10.0, math.inf])
    ap.add_argument("--delta", type=float, default=1e-5)
    ap.add_argument("--preproc-share", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--size", default="small")
    ap.add_argument("--block", default="free")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    train, test = load_tracks().split(ratio=0.15, seed=0)
    ceiling = {k: round(v, 1) for k, v in score(test, train).items() if v is not None}
    print(f"tracks: {len(train['track'])} train, {len(test['track'])} test; ceiling (held-out vs train): {ceiling}")
    results = []
    for eps in args.eps:
        r = run_one(train, test, eps, args)
        results.append(r)
        print(json.dumps(r), flush=True)
    base = next((r for r in results if math.isinf(r["epsilon"])), None)
    print("\n| epsilon | spent | sigma | quality | shapes | pairs | steps | ms/step | DP time overhead |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        over = f"{r['ms_per_step'] / base['ms_per_step']:.2f}x" if base else "-"
        print(
            f"| {r['epsilon']} | {r['spent']} | {r['sigma']} | {r.get('quality')} | {r.get('shapes')} | "
            f"{r.get('pairs')} | {r['steps']} | {r['ms_per_step']} | {over} |"
        )
    print(f"| ceiling | | | {ceiling.get('quality')} | {ceiling.get('shapes')} | {ceiling.get('pairs')} | | | |")
    if args.out:
        args.out.write_text(json.dumps({"ceiling": ceiling, "results": results}, indent=1))


if __name__ == "__main__":
    main()

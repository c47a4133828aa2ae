"""Differential privacy on Chinook: quality against the non-private run and the held-out ceiling.

Two data sets, each split train / test by root entity:
* `--data table` (default): Chinook's track table as a one-table schema (the album foreign key
  dropped; genre and media type stay lookups); the unit of privacy is one track.
* `--data tree`: the whole artist -> album -> track tree; the unit of privacy is one artist with
  all its albums and tracks (entity-level DP). Counts above `--max-children` are cut first
  (`truncate_children`, reported), since the DP preprocessor uses it as the public bound.

For each epsilon the preprocessor is fitted with DP (its share of the budget) and the model
trained with DP-SGD, the noise calibrated so the epochs spend the rest; epsilon = inf is the
same model trained without DP (plain preprocessor, the non-private settings). Quality is
`relsynth.eval.quality_scores` of synthetic vs held-out; the ceiling is held-out vs train.

`--ablation` splits the cost of DP at each epsilon into its two parts, per column:
  (a) public preproc + DP training  (preprocessor fitted non-privately: an ablation, never a release)
  (b) DP preproc + non-private training
  (c) both private (what a release does)
  (d) neither (the non-private run)

    python benchmarks/dp.py --eps 1 3 10 inf --seeds 0 1 2
    python benchmarks/dp.py --data tree --eps 1 3 10 inf
    python benchmarks/dp.py --ablation --eps 3 --preset legacy
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import statistics
import time
from pathlib import Path

import torch

from relsynth.eval import quality_scores
from relsynth.relational import RelationalData, Schema
from relsynth.synth import DpBudget, DpStep, TabularDataset, TabularModel, TabularPreproc, TabularTrainer
from relsynth.synth.tabular import truncate_children

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {"a": (False, True), "b": (True, False), "c": (True, True), "d": (False, False)}  # (DP preproc, DP train)
VARIANT_NAMES = {
    "a": "public preproc + DP training",
    "b": "DP preproc + plain training",
    "c": "both private",
    "d": "neither",
}
# training settings: "legacy" is the setting tuned for non-private training the first DP figures used
PRESETS = {
    "legacy": {"batch": 64, "lr": 3e-3, "clip": 1.0, "epochs": 15, "share": 0.1},
    # DpStep.preset: batch 256, at most a quarter of the entities (the tree's 234 artists: 58)
    "dp": {"batch": 256, "lr": 6e-3, "clip": 1.0, "epochs": 15, "share": 0.1},
}


def load(kind: str) -> RelationalData:
    full = Schema.from_yaml(ROOT / "conf/base/schema_chinook.yml")
    data = RelationalData.from_dir(ROOT / "data/01_raw/chinook", schema=full)
    if kind == "tree":
        return data
    d = full.to_dict()
    d["tables"] = {t: d["tables"][t] for t in ("track", "genre", "media_type")}
    del d["tables"]["track"]["columns"]["album"]
    schema = Schema.from_dict(d)
    return RelationalData({t: data[t].drop(columns=["album"], errors="ignore") for t in schema.tables}, schema)


def score(real: RelationalData, synth: RelationalData) -> dict:
    s = quality_scores(real, synth)
    out = {
        "quality": s["overall"]["quality"],
        "shapes": s["overall"]["column_shapes"],
        "pairs": s["overall"]["column_pairs"],
        "cardinality": s["overall"]["cardinality"],
    }
    for t, tq in s["tables"].items():
        for col, c in tq["columns"].items():
            if c.get("score") is not None:
                out[f"{t}.{col}"] = c["score"]
                out[f"{t}.{col}:null"] = c.get("null_rate_synth")
        if tq.get("n_rows_synth") is not None:
            out[f"{t}:rows"] = tq["n_rows_synth"]
    for edge, e in s["edges"].items():  # children per parent: the public bound's effect on counts
        out[f"{edge}:children"] = e.get("children_mean_synth")
        out[f"{edge}:children_real"] = e.get("children_mean_real")
        out[f"{edge}:cardinality"] = e.get("cardinality")
    return {
        k: (round(100 * v, 1) if k.endswith(":null") else round(v, 2 if "children" in k else 1))
        if isinstance(v, float)
        else v
        for k, v in out.items()
        if v is not None
    }


def run_one(train, test, eps: float, args, dp_pre: bool, dp_train: bool, seed: int) -> dict:
    """One fit + train + generate; `dp_pre` / `dp_train` say which parts run under DP at `eps`."""
    torch.manual_seed(seed)
    p = PRESETS[args.preset] if dp_train else PRESETS["legacy"]  # training settings
    share = PRESETS[args.preset]["share"] if args.preproc_share is None else args.preproc_share
    pre_budget = DpBudget(eps, args.delta, preproc_share=share, max_children=args.max_children) if dp_pre else None
    preproc = TabularPreproc.from_schema(train.schema).fit(train, dp=pre_budget)
    if dp_train:  # the training's budget; with a public preproc (ablation a) all of it
        budget = pre_budget or DpBudget(eps, args.delta, preproc_share=0, max_children=args.max_children)
    else:
        budget = None
    ds = TabularDataset.from_data(train, preproc)
    model = TabularModel.build(preproc, size=args.size, block=args.block)
    trainer = TabularTrainer(model, dp_budget=budget)
    kw = {"dp_step": DpStep(noise_multiplier=None, max_grad_norm=p["clip"])} if budget else {}
    started = time.perf_counter()
    epochs = args.epochs or p["epochs"]
    batch = p["batch"] if args.preset == "legacy" or not dp_train else DpStep.preset(len(ds))["batch_size"]
    result = trainer.train(ds, n_epochs=epochs, batch_size=batch, lr=p["lr"], seed=seed, **kw)
    train_s = time.perf_counter() - started
    roots = train.schema.roots[0]
    synth = model.generate(n_samples=len(train[roots]), seed=seed)
    return {
        "epsilon": eps,
        "dp_pre": dp_pre,
        "dp_train": dp_train,
        "seed": seed,
        "spent": None if result.epsilon is None else round(result.epsilon, 3),
        "sigma": None if result.noise_multiplier is None else round(result.noise_multiplier, 3),
        "steps": result.n_steps,
        "batch": batch,
        "train_s": round(train_s, 1),
        "ms_per_step": round(1000 * train_s / max(result.n_steps, 1), 1),
        **score(test, synth),
    }


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.mean(vals), 1) if vals else None


def _spread(rows: list[dict], key: str) -> str:
    vals = [r[key] for r in rows if r.get(key) is not None]
    if not vals:
        return "-"
    if len(vals) == 1:
        return f"{vals[0]}"
    return f"{statistics.mean(vals):.1f} ± {statistics.stdev(vals):.1f}"


def print_main(results: list[dict], ceiling: dict, n_real: dict) -> None:
    by_eps: dict[float, list[dict]] = {}
    for r in results:
        by_eps.setdefault(r["epsilon"], []).append(r)
    base = by_eps.get(math.inf)
    base_q = _mean(base, "quality") if base else None
    extra = [k for k in ("cardinality",) if any(r.get(k) is not None for r in results)]
    print(
        "\n| epsilon | spent | sigma | quality | vs non-private | shapes | pairs | "
        + "".join(f"{k} | " for k in extra)
        + "rows | steps |"
    )
    print("|---|---|---|---|---|---|---|" + "---|" * len(extra) + "---|---|")
    for eps, rows in by_eps.items():
        q = _mean(rows, "quality")
        gap = f"{q - base_q:+.1f}" if base_q is not None and q is not None and not math.isinf(eps) else ""
        nrows = ", ".join(f"{t}: {_mean(rows, f'{t}:rows')}" for t in n_real)
        print(
            f"| {eps} | {_mean(rows, 'spent') or '-'} | {_mean(rows, 'sigma') or '-'} | {_spread(rows, 'quality')} | "
            f"{gap} | {_spread(rows, 'shapes')} | {_spread(rows, 'pairs')} | "
            + "".join(f"{_spread(rows, k)} | " for k in extra)
            + f"{nrows} | {rows[0]['steps']} |"
        )
    print(
        f"| ceiling | | | {ceiling.get('quality')} | | {ceiling.get('shapes')} | {ceiling.get('pairs')} | "
        + "".join(f"{ceiling.get(k)} | " for k in extra)
        + ", ".join(f"{t}: {n}" for t, n in n_real.items())
        + " (real train) | |"
    )


def print_edges(results: list[dict], ceiling: dict) -> None:
    """Children per parent (mean, synthetic vs real train) and the cardinality score per edge."""
    edges = sorted({k.split(":")[0] for r in results for k in r if k.endswith(":children")})
    if not edges:
        return
    print(
        "\n| epsilon | "
        + " | ".join(f"{e} children (real {ceiling.get(e + ':children')})" for e in edges)
        + " | "
        + " | ".join(f"{e} cardinality" for e in edges)
        + " |"
    )
    print("|---|" + "---|" * 2 * len(edges))
    by_eps: dict[float, list[dict]] = {}
    for r in results:
        by_eps.setdefault(r["epsilon"], []).append(r)
    for eps, rows in by_eps.items():
        cells = [_spread(rows, f"{e}:children") for e in edges] + [_spread(rows, f"{e}:cardinality") for e in edges]
        print(f"| {eps} | " + " | ".join(cells) + " |")
    print(
        "| ceiling | "
        + " | ".join(["-"] * len(edges))
        + " | "
        + " | ".join(str(ceiling.get(f"{e}:cardinality")) for e in edges)
        + " |"
    )


def print_ablation(results: list[dict], columns: list[str]) -> None:
    head = ["quality", "shapes", "pairs", *columns]
    print("\n| epsilon | variant | " + " | ".join(head) + " |")
    print("|---|---|" + "---|" * len(head))
    groups: dict[tuple, list[dict]] = {}
    for r in results:
        groups.setdefault((r["epsilon"], r["dp_pre"], r["dp_train"]), []).append(r)
    for (eps, dp_pre, dp_train), rows in groups.items():
        name = next(k for k, v in VARIANTS.items() if v == (dp_pre, dp_train))
        cells = []
        for k in head:
            v = _mean(rows, k)
            null = _mean(rows, f"{k}:null")
            cells.append(f"{v}" + (f" ({null:.0f}% null)" if null else "") if v is not None else "-")
        label = "-" if name == "d" else eps
        print(f"| {label} | ({name}) {VARIANT_NAMES[name]} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", choices=["table", "tree"], default="table")
    ap.add_argument("--eps", nargs="+", type=float, default=[1.0, 3.0, 10.0, math.inf])
    ap.add_argument("--delta", type=float, default=1e-5)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="legacy", help="DP training settings")
    ap.add_argument(
        "--preproc-share",
        type=lambda v: v if v == "auto" else float(v),
        default=None,
        help="override the preset's share: a number or auto (DpBudget(preproc_share='auto'))",
    )
    ap.add_argument("--epochs", type=int, default=None, help="override the presets' epochs")
    ap.add_argument("--max-children", type=int, default=100)
    ap.add_argument("--ablation", action="store_true", help="variants (a)-(d) at each finite epsilon")
    ap.add_argument("--variants", default="abcd", help="with --ablation: which of (a)-(d) to run")
    ap.add_argument("--size", default="small")
    ap.add_argument("--block", default="free")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    data = load(args.data)
    if args.data == "tree":
        before = {t: len(data[t]) for t in data.schema.synth_tables}
        data = truncate_children(data, args.max_children)
        cut = {t: before[t] - len(data[t]) for t in before if before[t] != len(data[t])}
        print(f"truncate_children({args.max_children}): rows removed {cut or 'none'}")
    train, test = data.split(ratio=0.15, seed=0)
    n_real = {t: len(train[t]) for t in train.schema.synth_tables}
    ceiling = score(test, train)
    print(f"{args.data}: train {n_real}, test { {t: len(test[t]) for t in n_real} }; ceiling {ceiling}")
    finite = [e for e in args.eps if not math.isinf(e)]
    jobs = []
    for seed in args.seeds:
        if args.ablation:
            jobs += [(eps, *VARIANTS[v], seed) for eps in finite for v in args.variants if v != "d"]
            if "d" in args.variants:
                jobs.append((math.inf, False, False, seed))
        else:
            jobs += [(eps, not math.isinf(eps), not math.isinf(eps), seed) for eps in args.eps]
    results = []
    for eps, dp_pre, dp_train, seed in jobs:
        r = run_one(train, test, eps, args, dp_pre, dp_train, seed)
        results.append(r)
        print(json.dumps(r), flush=True)
    if args.ablation:
        cols = [k for k in ceiling if "." in k and not k.endswith(":null")]
        print_ablation(results, cols)
        print(
            "| ceiling | held-out vs train | "
            + " | ".join(str(ceiling.get(k)) for k in ["quality", "shapes", "pairs", *cols])
            + " |"
        )
    else:
        print_main(results, ceiling, n_real)
        print_edges(results, ceiling)
    if args.out:
        args.out.write_text(
            json.dumps({"args": vars(args) | {"out": str(args.out)}, "ceiling": ceiling, "results": results}, indent=1)
        )


if __name__ == "__main__":
    main()

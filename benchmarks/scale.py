"""A database larger than memory on one laptop: TPC-H read from DuckDB, encoded onto disk, trained
from disk and generated, each phase in a fresh process with its peak RSS.

Phases (run in order; each reads what the one before wrote under --workdir):
- make:     the TPC-H DuckDB file at --sf with its keys declared (tpch.write_tpch_duckdb; not
            measured: DuckDB's generator, in memory)
- fit:      `SQLSource.sample(--fit-entities)` (random customers with all their orders and lines)
            and `TabularPreproc.fit` on it
- encode:   `TabularDataset.from_source`: every partition of --chunk-size customers read from
            DuckDB (never the whole database in pandas) and encoded onto disk; `--workers N` on
            a local Dask cluster of N processes
- train:    `TabularDataset.from_disk` (memory-mapped) and --steps training steps of the small
            model at the project's defaults (batch 16, lr 3e-3, block 256), windows drawn from
            the whole file; steps/s, tokens/s and the time one epoch would take at that rate
- generate: --generate customers with all their orders and lines from the trained model

Peak RSS is the process's `ru_maxrss` (imports, data, file pages of the memory map included).

    python benchmarks/scale.py --sf 1.3 --workdir /tmp/scale
    python benchmarks/scale.py --sf 0.1 --workdir /tmp/scale-small --phases make fit encode --workers 2

Needs the bench extra (duckdb, the tpch extension) and, for --workers, the dask extra.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("make", "fit", "encode", "train", "generate")
BATCH, LR, BLOCK = 16, 3e-3, 256


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sf", type=float, default=1.3, help="TPC-H scale factor (1.3: about 10M rows)")
    p.add_argument("--workdir", type=Path, required=True, help="where the database, dataset and model go")
    p.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES)
    p.add_argument("--fit-entities", type=int, default=20_000, help="customers the preprocessor is fitted on")
    p.add_argument("--chunk-size", type=int, default=5_000, help="customers a partition")
    p.add_argument("--workers", type=int, default=0, help="encode on a local Dask cluster of this many processes")
    p.add_argument("--steps", type=int, default=300, help="training steps")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--generate", type=int, default=10_000, help="customers to generate")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--_phase", default=None, help=argparse.SUPPRESS)  # internal: run one phase
    return p.parse_args(argv)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def database(args: argparse.Namespace) -> Path:
    return args.workdir / f"tpch_{args.sf:g}.duckdb"


def source(args: argparse.Namespace):
    from relsynth.relational.sql_source import SQLSource

    # read-only: Dask workers open the same file at once
    return SQLSource(f"duckdb:///{database(args)}?access_mode=read_only", lookups=["nation"])


# ---- phases: each returns its figures ---------------------------------------------------------------
def make(args: argparse.Namespace) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from tpch import write_tpch_duckdb

    if database(args).exists():
        return {"note": f"{database(args)} exists"}
    counts = write_tpch_duckdb(args.sf, str(database(args)))
    return {"rows": sum(counts.values()), **counts}


def fit(args: argparse.Namespace) -> dict:
    from relsynth.synth import TabularPreproc

    src = source(args)
    sample = src.sample(args.fit_entities, seed=0)
    pre = TabularPreproc.from_schema(sample.schema).fit(sample)
    pre.save(args.workdir / "preproc")
    return {"entities": sum(src.n_entities().values()), "fit_rows": sum(sample.n_rows().values())}


def encode(args: argparse.Namespace) -> dict:
    import shutil

    from relsynth.synth import TabularDataset, TabularPreproc

    pre = TabularPreproc.load(args.workdir / "preproc")
    shutil.rmtree(args.workdir / "dataset", ignore_errors=True)
    src = source(args)
    if args.workers:
        from distributed import Client, LocalCluster

        with (
            LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            ds = TabularDataset.from_source(
                src,
                pre,
                path=args.workdir / "dataset",
                chunk_size=args.chunk_size,
                block_size=BLOCK,
                executor=client.get_executor(),
            )
    else:
        ds = TabularDataset.from_source(
            src, pre, path=args.workdir / "dataset", chunk_size=args.chunk_size, block_size=BLOCK
        )
    return {
        "entities": ds.n_entities,
        "rows": len(ds.arrays["row_start"]),
        "tokens": len(ds.arrays["tokens"]),
        "samples": len(ds),
        "disk_mb": round(sum(f.stat().st_size for f in (args.workdir / "dataset").iterdir()) / 2**20),
    }


def train(args: argparse.Namespace) -> dict:
    import numpy as np
    import torch

    from relsynth.synth import TabularDataset, TabularModel, TabularPreproc, TabularTrainer

    torch.set_num_threads(args.threads)
    pre = TabularPreproc.load(args.workdir / "preproc")
    ds = TabularDataset.from_disk(pre, args.workdir / "dataset")
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small", block_size=BLOCK)
    r = TabularTrainer(model).train(ds, n_steps=args.steps, batch_size=BATCH, lr=LR, seed=0, progress=False)
    model.save(args.workdir / "model")
    lengths = ds.lengths
    tokens_per_step = BATCH * float(np.mean(lengths))  # windows drawn uniformly: the mean window a sample
    steps_per_epoch = len(ds) / BATCH
    return {
        "steps": args.steps,
        "steps_s": round(args.steps / r.seconds, 2),
        "tokens_s": round(args.steps * tokens_per_step / r.seconds),
        "train_loss_last": round(float(np.mean([h["train_loss"] for h in r.history[-10:] if "train_loss" in h])), 4),
        "epoch_h_at_this_rate": round(steps_per_epoch / (args.steps / r.seconds) / 3600, 1),
    }


def generate(args: argparse.Namespace) -> dict:
    from relsynth.synth import TabularModel

    model = TabularModel.load(args.workdir / "model")
    started = time.perf_counter()
    synth = model.generate(args.generate, seed=0, progress=False)
    seconds = time.perf_counter() - started
    rows = {t: len(synth[t]) for t in synth.schema.synth_tables}
    return {"generate_s": round(seconds, 1), "rows_s": round(sum(rows.values()) / seconds), **rows}


RUN = {"make": make, "fit": fit, "encode": encode, "train": train, "generate": generate}


def run_phase(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    out = RUN[args._phase](args)
    out = {
        "phase": args._phase,
        "seconds": round(time.perf_counter() - started, 1),
        **out,
        "peak_rss_mb": round(peak_rss_mb()),
    }
    print(json.dumps(out), flush=True)


def commit() -> str:
    out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args._phase:
        run_phase(args)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = []
    print(f"# TPC-H sf {args.sf:g}, commit {commit()}", flush=True)
    for phase in args.phases:
        given = argv if argv is not None else sys.argv[1:]
        cmd = [sys.executable, __file__, *_without_phases(given), "--_phase", phase]
        line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        results.append(json.loads(line))
        print(line, flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def _without_phases(argv: list[str]) -> list[str]:
    """`argv` without `--phases a b c` (each phase runs alone)."""
    out, skipping = [], False
    for a in argv:
        if a == "--phases":
            skipping = True
            continue
        if skipping and not a.startswith("--"):
            continue
        skipping = False
        out.append(a)
    return out


if __name__ == "__main__":
    main()

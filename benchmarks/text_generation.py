"""Text generation speed: texts/s of the Kedro job's text models on its synthetic tables.

Run `kedro run` first (it writes data/06_models/text_models/<table> and
data/07_model_output/synthetic_tabular). Each model writes its column for every row of the
synthetic table, `--runs` times (seeds 0, 1, ...); the median and the best run are printed. One
thread is timed in CPU seconds (steadier on a shared machine), more threads in wall seconds.
For a before/after comparison run the same command with PYTHONPATH=<worktree>/src.

    python benchmarks/text_generation.py --tables track --threads 1 2
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import torch
from throughput import commit  # benchmarks/, this script's folder

from relsynth.relational import RelationalData
from relsynth.synth import TextModel

ROOT = Path(__file__).resolve().parents[1]


def texts_per_second(model: TextModel, data: RelationalData, table: str, runs: int, threads: int) -> list[float]:
    torch.set_num_threads(threads)
    clock = time.process_time if threads == 1 else time.perf_counter
    n, rates = len(data[table]), []
    for seed in range(runs):
        started = clock()
        model.generate(data, seed=seed)
        rates.append(n / (clock() - started))
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", nargs="+", default=["track"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # the per-column truncation notes are not what is measured here
    print(f"commit {commit()}")
    data = RelationalData.from_dir(ROOT / "data/07_model_output/synthetic_tabular")
    print("table | threads | texts | median texts/s | best texts/s")
    for table in args.tables:
        model = TextModel.load(ROOT / "data/06_models/text_models" / table)
        # the parent's texts are part of a text's context: write them first, as the Kedro job does
        for parent in _ancestors(data, table):
            data = TextModel.load(ROOT / "data/06_models/text_models" / parent).generate(data, seed=0)
        for threads in args.threads:
            rates = texts_per_second(model, data, table, args.runs, threads)
            print(f"{table} | {threads} | {len(data[table])} | {np.median(rates):.0f} | {max(rates):.0f}")


def _ancestors(data: RelationalData, table: str) -> list[str]:
    """The tables above `table` that have a text model, root first."""
    chain, edge = [], data.schema.parent(table)
    while edge is not None:
        chain.insert(0, edge.parent)
        edge = data.schema.parent(edge.parent)
    return [t for t in chain if (ROOT / "data/06_models/text_models" / t).is_dir()]


if __name__ == "__main__":
    main()

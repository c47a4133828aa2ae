"""Memory and speed of `TabularDataset.from_data`: in RAM vs on disk, and reading an epoch from disk.

A synthetic 3-table database: N customers -> ~3 orders each -> ~3 lines per order (so ~9N rows
in the largest table), with numeric, integer, categorical and datetime columns and nulls. Each
phase runs in a fresh Python process, so phases do not inherit each other's memory:

- hold:    read the tables and validate them (RelationalData): the baseline of holding the data
- fit:     TabularPreproc.fit on the whole database (then saved for the other phases)
- ram:     TabularDataset.from_data in RAM
- disk:    TabularDataset.from_data(on_disk=True, chunk_size=C)
- iterate: TabularDataset.from_disk, then collate every batch of one shuffled epoch

For each phase: seconds of the measured call, peak RSS of the process (VmHWM, includes the
data and the file pages of memory maps), extra peak over the RSS just before the call (the
high-water mark is reset there), and the peak of anonymous memory (sampled every 10 ms:
without the page cache of memory-mapped files, which the kernel can drop).

    python benchmarks/dataset_memory.py --roots 10000 100000 1000000
    python benchmarks/dataset_memory.py --roots 100000 --chunk-size 10000 50000
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

PHASES = ("hold", "fit", "ram", "disk", "iterate")
TABLES = ("customer", "order", "line")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--roots", nargs="+", type=int, default=[10_000, 100_000], help="root entities (customers)")
    p.add_argument("--chunk-size", nargs="+", type=int, default=[10_000], help="root entities per on-disk chunk")
    p.add_argument("--batch-size", type=int, default=256, help="batch size of the iterate phase")
    p.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES)
    p.add_argument("--workdir", type=Path, default=None, help="where data and datasets go (default: a temp dir)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--_phase", default=None, help=argparse.SUPPRESS)  # internal: run one phase
    p.add_argument("--_dir", type=Path, default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ---- the database --------------------------------------------------------------------------------
def schema():
    from relsynth.relational import Categorical, Datetime, ForeignKey, Integer, Numeric, PrimaryKey, Schema, Table

    return Schema(
        customer=Table(id=PrimaryKey(), segment=Categorical(), signup=Datetime(), age=Integer(), score=Numeric()),
        order=Table(
            id=PrimaryKey(),
            customer=ForeignKey(parent="customer"),
            placed=Datetime(),
            amount=Numeric(),
            channel=Categorical(),
        ),
        line=Table(
            id=PrimaryKey(), order=ForeignKey(parent="order"), qty=Integer(), price=Numeric(), sku=Categorical()
        ),
    )


def _with_nulls(rng: np.random.Generator, values: pd.Series, share: float) -> pd.Series:
    return values.mask(rng.random(len(values)) < share)


def make_tables(n: int, seed: int) -> dict[str, pd.DataFrame]:
    """customer -> Poisson(3) orders -> Poisson(3) lines, children stored in random order."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2020-01-01").value // 10**9
    segments = np.array(["retail", "pro", "student", "senior", "staff"], dtype=object)
    customer = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "segment": _with_nulls(rng, pd.Series(segments[rng.integers(0, 5, n)]), 0.1),
            "signup": _with_nulls(rng, pd.Series(pd.to_datetime(t0 + rng.integers(0, 10**8, n), unit="s")), 0.05),
            "age": _with_nulls(rng, pd.Series(rng.integers(18, 90, n)), 0.1).astype("Int64"),
            "score": _with_nulls(rng, pd.Series(np.round(rng.normal(50, 20, n), 2)), 0.1),
        }
    )
    per = rng.poisson(3, n)
    m = int(per.sum())
    channels = np.array(["web", "shop", "phone"], dtype=object)
    order = pd.DataFrame(
        {
            "id": np.arange(1, m + 1),
            "customer": np.repeat(customer["id"].to_numpy(), per),
            "placed": pd.to_datetime(t0 + rng.integers(0, 10**8, m), unit="s"),
            "amount": np.round(rng.gamma(2.0, 30.0, m), 2),
            "channel": _with_nulls(rng, pd.Series(channels[rng.integers(0, 3, m)]), 0.02),
        }
    ).sample(frac=1.0, random_state=seed)
    per = rng.poisson(3, m)
    k = int(per.sum())
    skus = np.array([f"SKU-{i:04d}" for i in range(500)], dtype=object)
    line = pd.DataFrame(
        {
            "id": np.arange(1, k + 1),
            "order": np.repeat(np.sort(order["id"].to_numpy()), per),
            "qty": _with_nulls(rng, pd.Series(rng.integers(1, 10, k)), 0.05).astype("Int64"),
            "price": np.round(rng.uniform(1, 200, k), 2),
            "sku": skus[np.minimum(rng.zipf(1.3, k), 500) - 1],
        }
    )
    return {"customer": customer, "order": order.reset_index(drop=True), "line": line}


def write_data(n: int, seed: int, directory: Path) -> dict[str, int]:
    directory.mkdir(parents=True, exist_ok=True)
    tables = make_tables(n, seed)
    for name, df in tables.items():
        df.to_parquet(directory / f"{name}.parquet", index=False)
    return {name: len(df) for name, df in tables.items()}


def read_data(directory: Path):
    from relsynth.relational import RelationalData

    tables = {name: pd.read_parquet(directory / f"{name}.parquet") for name in TABLES}
    return RelationalData(tables, schema())


# ---- measuring -----------------------------------------------------------------------------------
def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class AnonPeak:
    """Samples RssAnon every 10 ms in a thread; `.peak` is the largest value seen (MB)."""

    def __init__(self):
        self.peak, self._stop = _status_mb("RssAnon"), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, _status_mb("RssAnon"))

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _status_mb("RssAnon"))


def release_free_memory() -> None:
    """Hand freed heap back to the system, so RSS before a call is what is really in use."""
    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:
        pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def measure(fn):
    """(result, seconds, figures): freed memory is released and VmHWM reset first, so the peak is this call's."""
    release_free_memory()
    before = _status_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    with AnonPeak() as anon:
        started = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")
    figures = {"rss_before_mb": before, "peak_rss_mb": peak, "extra_peak_mb": peak - before, "peak_anon_mb": anon.peak}
    return out, seconds, figures


# ---- phases (each in its own process) ----------------------------------------------------------------
def run_phase(phase: str, args: argparse.Namespace) -> dict:
    import torch

    from relsynth.synth import TabularDataset, TabularPreproc

    torch.set_num_threads(1)
    d: Path = args._dir
    if phase == "iterate":
        pre = TabularPreproc.load(d / "preproc")
        ds, open_s, _ = measure(lambda: TabularDataset.from_disk(pre, d / f"ds-{args.chunk_size[0]}"))
        order = np.random.default_rng(0).permutation(len(ds))
        batches = [np.sort(order[i : i + args.batch_size]) for i in range(0, len(ds), args.batch_size)]
        n_tokens, seconds, fig = measure(lambda: sum(int(ds.collate(b)["inputs"].numel()) for b in batches))
        return {"seconds": seconds, "open_seconds": open_s, "batches": len(batches), "padded_tokens": n_tokens, **fig}
    data, load_s, fig = measure(lambda: read_data(d / "data"))
    rows = sum(len(data[t]) for t in TABLES)
    if phase == "hold":
        return {"seconds": load_s, "rows": rows, "rss_mb": _status_mb("VmRSS"), **fig}
    if phase == "fit":
        pre, seconds, fig = measure(lambda: TabularPreproc.from_schema(data.schema).fit(data))
        pre.save(d / "preproc")
        return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds, **fig}
    pre = TabularPreproc.load(d / "preproc")
    if phase == "ram":
        ds, seconds, fig = measure(lambda: TabularDataset.from_data(data, pre))
    else:
        chunk = args.chunk_size[0]
        path = d / f"ds-{chunk}"
        shutil.rmtree(path, ignore_errors=True)
        ds, seconds, fig = measure(
            lambda: TabularDataset.from_data(data, pre, on_disk=True, path=path, chunk_size=chunk)
        )
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds, "tokens": len(ds.arrays["tokens"]), **fig}


def spawn(phase: str, directory: Path, args: argparse.Namespace, chunk: int) -> dict:
    cmd = [sys.executable, __file__, "--_phase", phase, "--_dir", str(directory), "--chunk-size", str(chunk)]
    cmd += ["--batch-size", str(args.batch_size)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"phase {phase} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    args = parse_args(argv)
    if args._phase:
        print(json.dumps(run_phase(args._phase, args)))
        return
    root = args.workdir or Path(tempfile.mkdtemp(prefix="relsynth-bench-"))
    results = []
    try:
        for n in args.roots:
            directory = root / f"n{n}"
            started = time.perf_counter()
            rows = write_data(n, args.seed, directory / "data")
            print(f"\n== {n:,} roots: {rows} rows (made in {time.perf_counter() - started:.1f} s)", flush=True)
            for phase in args.phases:
                for chunk in args.chunk_size if phase in ("disk", "iterate") else [args.chunk_size[0]]:
                    r = {"roots": n, "phase": phase, "chunk_size": chunk if phase in ("disk", "iterate") else None}
                    r |= {f"rows_{t}": rows[t] for t in TABLES} | spawn(phase, directory, args, chunk)
                    results.append(r)
                    print(_line(r), flush=True)
            shutil.rmtree(directory, ignore_errors=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def _line(r: dict) -> str:
    what = r["phase"] + (f" (chunk {r['chunk_size']:,})" if r["chunk_size"] else "")
    speed = f"{r['rows_per_s'] / 1e3:7.0f}k rows/s" if "rows_per_s" in r else " " * 15
    return (
        f"{what:<20} {r['seconds']:8.2f} s  {speed}  peak RSS {r['peak_rss_mb']:7.0f} MB  "
        f"(+{r['extra_peak_mb']:6.0f} over {r['rss_before_mb']:6.0f})  peak anon {r['peak_anon_mb']:7.0f} MB"
    )


if __name__ == "__main__":
    main()

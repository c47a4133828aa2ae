"""How faithfully the numeric encoding keeps heavy-tailed columns: fit on one half, encode the
other half and decode it (a perfect model at the token level), then compare the decoded values
with the real ones. This isolates the encoding from the model.

Columns: a log-normal "file size" in bytes (exp N(8, 3)), a value spanning 50 orders of magnitude
with both signs (±10**U(-25, 25)), a Pareto tail (alpha 1.2), a plain normal (a column the tail
handling must not change), Chinook's track bytes and milliseconds, and, with the bench extra,
TPC-H lineitem extendedprice. For each: the KS complement (1 - KS distance) on the raw values and
on log10|x|, the median error in decades of the 1st..99th percentiles and the largest one among
the extreme percentiles (0.05..0.5 and 99.5..99.95), with the within-bin
decoding uniform (before) and chosen per interval (after: linear or log-uniform).

    python benchmarks/numeric_tails.py [--tpch 0.01] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from relsynth.synth.tabular.encoders import NumericPreproc  # noqa: E402


def columns(n: int, rng: np.random.Generator, tpch: float | None) -> dict[str, tuple[np.ndarray, str]]:
    cols = {
        "lognormal bytes": (np.round(np.exp(rng.normal(8, 3, n))), "integer"),
        "±10^U(-25,25)": (rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-25, 25, n), "numeric"),
        "pareto 1.2": ((rng.pareto(1.2, n) + 1) * 10, "numeric"),
        "normal": (rng.normal(100, 15, n).round(2), "numeric"),
    }
    track = pd.read_csv(ROOT / "data/01_raw/chinook/track.csv")
    cols["chinook bytes"] = (track["bytes"].to_numpy(np.float64), "integer")
    cols["chinook milliseconds"] = (track["milliseconds"].to_numpy(np.float64), "integer")
    if tpch:
        from tpch import load_tpch

        cols["tpch extendedprice"] = (load_tpch(tpch)["lineitem"]["l_extendedprice"].to_numpy(np.float64), "numeric")
    return cols


def ks(a: np.ndarray, b: np.ndarray) -> float:
    """1 - the two-sample Kolmogorov-Smirnov distance."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return 1 - float(np.abs(fa - fb).max())


def decades_off(real: np.ndarray, synth: np.ndarray, q: np.ndarray, how=np.median) -> float:
    """|log10 of the ratio| of matching percentiles `q` (same-sign ones), summarised by `how`."""
    r, s = np.percentile(real, q), np.percentile(synth, q)
    ok = (r * s) > 0
    return float(how(np.abs(np.log10(np.abs(s[ok]) / np.abs(r[ok]))))) if ok.any() else float("nan")


BULK = np.linspace(1, 99, 99)  # percentiles 1..99
TAILS = np.array([0.05, 0.1, 0.2, 0.5, 99.5, 99.8, 99.9, 99.95])


def measure(x: np.ndarray, kind: str, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(x))
    fit_part, test = x[perm[: len(x) // 2]], x[perm[len(x) // 2 :]]
    pre = NumericPreproc(kind=kind).fit(pd.Series(fit_part))
    ids = pre.encode(pd.Series(test))
    out = {}
    for label, log_sub in (("before", []), ("after", pre.log_sub)):
        pre.log_sub = log_sub
        dec = pre.decode(ids, np.random.default_rng(seed)).to_numpy(np.float64)
        logs = lambda v: np.log10(np.abs(v) + 1e-300)  # noqa: E731
        out |= {
            f"ks_{label}": ks(test, dec),
            f"ks_log_{label}": ks(logs(test), logs(dec)),
            f"decades_{label}": decades_off(test, dec, BULK),
            f"tail_decades_{label}": decades_off(test, dec, TAILS, np.max),
        }
    out["log_intervals"] = float(np.mean(log_sub)) if log_sub else 0.0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="values per generated column")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--tpch", type=float, default=None, help="also TPC-H lineitem at this scale factor")
    args = ap.parse_args()
    cols = columns(args.n, np.random.default_rng(0), args.tpch)
    keys = ["ks", "ks_log", "decades", "tail_decades"]
    print("| column | share of intervals log-scaled | " + " | ".join(f"{k} before → after" for k in keys) + " |")
    print("|---|---:|" + "---:|" * len(keys))
    for name, (x, kind) in cols.items():
        runs = pd.DataFrame([measure(x, kind, s) for s in args.seeds]).mean()
        cells = [f"{runs[f'{k}_before']:.3f} → {runs[f'{k}_after']:.3f}" for k in keys]
        print(f"| {name} | {runs['log_intervals']:.2f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

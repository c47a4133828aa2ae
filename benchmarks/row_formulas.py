"""Numbers computed from others of their row: does a generated row keep amount = quantity x
unit_price, net = amount - discount, tax = 0.2 x net, gross = net + tax, share = discount / amount x 100?

A generated table of 2,000 order lines (quantity 1-10, unit price from a gamma, a discount of
0-20 % of the amount, a 20 % tax; the money columns in cents, the share in hundredths), the small
tabular model trained `--steps` steps on one thread, then as many lines generated. Prints, for
real and synthetic lines, the share of rows where each identity holds (to the column's decimals,
among rows holding its values), and each number's KS complement (1: the same distribution).
Run it on two commits to compare:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/row_formulas.py --steps 300
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from small_model import trained_small

from relsynth.relational import Categorical, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table

# column -> (its value computed from its row, its decimals)
IDENTITIES = {
    "amount": (lambda d: d["quantity"] * d["unit_price"], 2),
    "net": (lambda d: d["amount"] - d["discount"], 2),
    "tax": (lambda d: 0.2 * d["net"], 2),
    "gross": (lambda d: d["net"] + d["tax"], 2),
    "discount_pct": (lambda d: d["discount"] / d["amount"] * 100, 2),
}
NUMBERS = ["quantity", "unit_price", "amount", "discount", "net", "tax", "gross", "discount_pct"]


def lines_table(seed: int, n: int = 2000) -> RelationalData:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"id": range(n), "channel": rng.choice(["web", "shop", "phone"], n)})
    d["quantity"] = rng.integers(1, 11, n)
    d["unit_price"] = rng.gamma(2, 20, n).round(2) + 0.5
    d["amount"] = (d["quantity"] * d["unit_price"]).round(2)
    d["discount"] = (d["amount"] * rng.choice([0, 0.05, 0.1, 0.2], n)).round(2)
    d["net"] = (d["amount"] - d["discount"]).round(2)
    d["tax"] = (d["net"] * 0.2).round(2)
    d["gross"] = (d["net"] + d["tax"]).round(2)
    d["discount_pct"] = (d["discount"] / d["amount"] * 100).round(2)
    d.loc[rng.random(n) < 0.1, "discount"] = np.nan  # unknown discount: no net, tax, gross, share either
    d.loc[d["discount"].isna(), ["net", "tax", "gross", "discount_pct"]] = np.nan
    kinds = {c: Numeric() for c in NUMBERS} | {"quantity": Integer()}
    schema = Schema(lines=Table(id=PrimaryKey(), channel=Categorical(), **kinds))
    return RelationalData({"lines": d}, schema)


def identity_share(d: pd.DataFrame, col: str) -> float:
    """The share of rows holding the values where `col` equals its formula to its decimals."""
    f, decimals = IDENTITIES[col]
    expected = f(d).astype(float)
    both = d[col].notna() & expected.notna()
    gap = (d[col][both].astype(float) - expected[both].round(decimals)).abs()
    return float((gap <= 0.5 * 10.0**-decimals + 1e-9).mean()) if both.any() else float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data = lines_table(args.seed)
    model = trained_small(data, args.steps, args.seed)
    real, synth = data["lines"], model.generate(n_samples=len(data["lines"]), seed=args.seed)["lines"]
    rows = [
        {"lines": n, "rows": len(d)} | {c: f"{identity_share(d, c):.3f}" for c in IDENTITIES}
        for n, d in (("real", real), ("synthetic", synth))
    ]
    print("share of rows where the identity holds:")
    print(pd.DataFrame(rows).to_string(index=False))
    ks = {c: 1 - ks_2samp(real[c].dropna().astype(float), synth[c].dropna().astype(float)).statistic for c in NUMBERS}
    print("KS complement:", ", ".join(f"{c} {v:.3f}" for c, v in ks.items()))
    print(
        "null share real/synthetic:",
        ", ".join(
            f"{c} {real[c].isna().mean():.2f}/{synth[c].isna().mean():.2f}" for c in ("discount", "net", "gross")
        ),
    )


if __name__ == "__main__":
    main()

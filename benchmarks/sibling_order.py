"""Siblings in time order: do a generated account's transactions follow one another as real ones do?

A generated accounts -> transactions database (`--accounts` accounts opened on some day, each with
5-30 transactions whose dates increase from the opening date by exponential gaps of mean 5 days,
and an amount), the transactions stored in a random row order (`shuffled`) or in date order
(`sorted`); the small tabular model trained `--steps` steps on one thread, then as many accounts
generated. Prints, per row order, the KS complement (1: the same distribution) of the gaps between
consecutive sibling dates (each account's transactions sorted by date), of each account's span
(last - first date), of the first transaction's offset from the opening date, and of the
transaction count, and the share of accounts whose transactions, in row order, are out of date
order (real and synthetic). Run it on two commits to compare:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sibling_order.py --steps 300
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
import torch
from scipy.stats import ks_2samp

from relsynth.relational import Date, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularDataset, TabularModel, TabularPreproc, TabularTrainer


def accounts_database(seed: int, n_accounts: int, shuffled: bool) -> RelationalData:
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 1500, n_accounts), "D")
    n = rng.integers(5, 31, n_accounts)
    acct = np.repeat(np.arange(n_accounts), n)
    gaps = rng.exponential(5.0, len(acct))
    days = pd.Series(gaps).groupby(acct).cumsum().round().to_numpy()
    tx = pd.DataFrame(
        {
            "id": range(len(acct)),
            "acct": acct,
            "date": opened[acct] + pd.to_timedelta(days, "D"),
            "amount": rng.gamma(2, 40, len(acct)).round(2),
        }
    )
    if shuffled:
        tx = tx.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    schema = Schema(
        acct=Table(id=PrimaryKey(), opened=Date()),
        tx=Table(id=PrimaryKey(), acct=ForeignKey(parent="acct"), date=Date(), amount=Numeric()),
    )
    return RelationalData({"acct": pd.DataFrame({"id": range(n_accounts), "opened": opened}), "tx": tx}, schema)


def figures(data: RelationalData) -> dict[str, np.ndarray | float]:
    """Per account: gaps between consecutive sorted dates, span, first offset, count; share out of order."""
    opened = data["acct"].set_index("id")["opened"]
    tx = data["tx"].dropna(subset=["date"])
    day = (tx["date"] - pd.Timestamp("2000-01-01")).dt.days.astype("int64")
    by = day.groupby(tx["acct"].to_numpy(), sort=False)
    out_of_order = by.apply(lambda s: bool((np.diff(s.to_numpy()) < 0).any()))
    srt = pd.DataFrame({"acct": tx["acct"].to_numpy(), "day": day.to_numpy()}).sort_values(["acct", "day"])
    gaps = srt.groupby("acct")["day"].diff().dropna().to_numpy()
    g = srt.groupby("acct")["day"]
    first = g.min() - (opened.reindex(g.min().index) - pd.Timestamp("2000-01-01")).dt.days
    return {
        "gaps": gaps,
        "span": (g.max() - g.min()).to_numpy(),
        "first": first.to_numpy(),
        "count": data["tx"].groupby("acct").size().reindex(data["acct"]["id"], fill_value=0).to_numpy(),
        "unordered": float(out_of_order.mean()),
    }


def ks(a: np.ndarray, b: np.ndarray) -> float:
    return 1 - ks_2samp(a, b).statistic


def run(shuffled: bool, args: argparse.Namespace) -> dict[str, str]:
    data = accounts_database(args.seed, args.accounts, shuffled)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(args.seed)
    model = TabularModel.build(pre, size="small")
    dataset = TabularDataset.from_data(data, pre)
    TabularTrainer(model).train(dataset, n_steps=args.steps, batch_size=16, seed=args.seed)
    generated = model.generate(n_samples=args.accounts, seed=args.seed)
    real, synth = figures(data), figures(generated)
    row = {"rows": "shuffled" if shuffled else "sorted"}
    row |= {f"KS {k}": f"{ks(real[k], synth[k]):.3f}" for k in ("gaps", "span", "first", "count")}
    row |= {
        "median gap real/syn": f"{np.median(real['gaps']):.0f}/{np.median(synth['gaps']):.0f}",
        "median span real/syn": f"{np.median(real['span']):.0f}/{np.median(synth['span']):.0f}",
        "unordered real/syn": f"{real['unordered']:.2f}/{synth['unordered']:.2f}",
    }
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--accounts", type=int, default=300)
    p.add_argument("--order", choices=["both", "shuffled", "sorted"], default="both")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    orders = {"both": [True, False], "shuffled": [True], "sorted": [False]}[args.order]
    print(pd.DataFrame([run(s, args) for s in orders]).to_string(index=False))


if __name__ == "__main__":
    main()

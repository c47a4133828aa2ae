"""Dates in order: does a generated row keep joined <= ordered <= shipped <= received and opened <= closed?

A generated customers -> orders database (400 customers who joined on some day, 3,000 orders
placed 0-399 days after their customer joined; shipped 1-119 days after ordered, received 1-29 days
after shipped, closed an exponential number of minutes after opened, 20 % never closed; a status
flag `late`, written before the dates, is "O" when the order was received after 2022-06-01, as
TPC-H's line status follows its ship date), the small tabular model trained `--steps` steps on one thread, then as many
customers generated. Prints, for real and synthetic orders, the share of rows out of order, the
share whose flag agrees with its received date, and each date column's KS complement (1: the
same distribution). Run it on two commits to compare:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/date_order.py --steps 300
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from small_model import trained_small

from relsynth.relational import (
    Categorical,
    Date,
    Datetime,
    ForeignKey,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)

CUTOFF = pd.Timestamp("2022-06-01")  # the flag's date: "O" when received after it
PAIRS = [("joined", "ordered"), ("ordered", "shipped"), ("shipped", "received"), ("opened", "closed")]


def orders_database(seed: int, n_customers: int = 400, n_orders: int = 3000) -> RelationalData:
    rng = np.random.default_rng(seed)
    joined = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 1500, n_customers), "D")
    cust = rng.integers(0, n_customers, n_orders)
    ordered = joined[cust] + pd.to_timedelta(rng.integers(0, 400, n_orders), "D")
    shipped = ordered + pd.to_timedelta(rng.integers(1, 120, n_orders), "D")
    opened = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n_orders), "min")
    closed = opened + pd.to_timedelta(rng.exponential(600, n_orders).round(), "min")
    received = shipped + pd.to_timedelta(rng.integers(1, 30, n_orders), "D")
    orders = pd.DataFrame(
        {
            "late": np.where(received > CUTOFF, "O", "F"),
            "id": range(n_orders),
            "cust": cust,
            "ordered": ordered,
            "shipped": shipped,
            "received": received,
            "amount": rng.gamma(2, 50, n_orders).round(2),
            "opened": opened,
            "closed": closed.where(rng.random(n_orders) > 0.2),
        }
    )
    customers = pd.DataFrame(
        {"id": range(n_customers), "seg": rng.choice(["a", "b", "c"], n_customers), "joined": joined}
    )
    schema = Schema(
        cust=Table(id=PrimaryKey(), seg=Categorical(), joined=Date()),
        orders=Table(
            id=PrimaryKey(),
            cust=ForeignKey(parent="cust"),
            late=Categorical(),
            ordered=Date(),
            shipped=Date(),
            received=Date(),
            amount=Numeric(),
            opened=Datetime(),
            closed=Datetime(),
        ),
    )
    return RelationalData({"cust": customers, "orders": orders}, schema)


def with_joined(data: RelationalData) -> pd.DataFrame:
    """The orders, each with its customer's `joined` date."""
    joined = data["cust"].set_index("id")["joined"]
    return data["orders"].assign(joined=joined.reindex(data["orders"]["cust"]).to_numpy())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data = orders_database(args.seed)
    model = trained_small(data, args.steps, args.seed)
    generated = model.generate(n_samples=len(data["cust"]), seed=args.seed)
    real, synth = with_joined(data), with_joined(generated)
    rows = []
    for name, d in (("real", real), ("synthetic", synth)):
        row = {"orders": name, "rows": len(d)}
        row |= {f"{b} < {a}": f"{(d[b] < d[a]).mean():.3f}" for a, b in PAIRS}
        rows.append(row)
    print(pd.DataFrame(rows).to_string(index=False))
    for name, d in (("real", real), ("synthetic", synth)):
        agree = ((d["received"] > CUTOFF) == (d["late"] == "O")).mean()
        print(f"{name}: flag agrees with the received date in {agree:.3f} of the rows")
    ks = {
        c: 1 - ks_2samp(real[c].dropna().astype("int64"), synth[c].dropna().astype("int64")).statistic
        for c in ("ordered", "shipped", "received", "opened", "closed")
    }
    print("KS complement:", ", ".join(f"{c} {v:.3f}" for c, v in ks.items()))


if __name__ == "__main__":
    main()

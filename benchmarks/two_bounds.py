"""Values between two bounds: does a generated row keep a lab taken between its stay's admission and
discharge, and a day's closing price between its low and its high?

Two generated databases, each trained on one thread (the small model, `--steps` steps) and
generated at its size:
- stays: 300 patients -> 1-3 stays (admitted, discharged 1-20 days later) -> 1-6 labs, each
  taken at a uniform time within its stay (to the minute);
- prices: 800 trading days of 40 stocks, open / high / low / close (cents), the close uniform
  between the day's low and high.

Prints, for real and synthetic rows, the share that breaks each bound, and the KS complement (1:
the same distribution) of the bounded value's gap from its lower bound and of its place within its
bounds ((value - low) / (high - low)). Run it on two commits to compare:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/two_bounds.py --seed S
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


def stays_database(seed: int, n_patients: int = 300) -> RelationalData:
    rng = np.random.default_rng(seed)
    patients = pd.DataFrame({"id": range(n_patients), "sex": rng.choice(["f", "m"], n_patients)})
    patient = np.repeat(np.arange(n_patients), rng.integers(1, 4, n_patients))
    n = len(patient)
    admitted = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), "D")
    los = rng.integers(1, 21, n)
    stays = pd.DataFrame(
        {"id": range(n), "patient": patient, "admitted": admitted, "discharged": admitted + pd.to_timedelta(los, "D")}
    )
    stay = np.repeat(np.arange(n), rng.integers(1, 7, n))
    minutes = (rng.random(len(stay)) * los[stay] * 1440).round()
    labs = pd.DataFrame(
        {
            "id": range(len(stay)),
            "stay": stay,
            "taken": stays["admitted"].to_numpy()[stay] + pd.to_timedelta(minutes, "min"),
            "value": rng.normal(5, 1, len(stay)).round(1),
        }
    )
    schema = Schema(
        patient=Table(id=PrimaryKey(), sex=Categorical()),
        stay=Table(id=PrimaryKey(), patient=ForeignKey("patient"), admitted=Date(), discharged=Date()),
        lab=Table(id=PrimaryKey(), stay=ForeignKey("stay"), taken=Datetime(), value=Numeric()),
    )
    return RelationalData({"patient": patients, "stay": stays, "lab": labs}, schema)


def prices_database(seed: int, n_stocks: int = 40, n_days: int = 20) -> RelationalData:
    rng = np.random.default_rng(seed)
    stocks = pd.DataFrame({"id": range(n_stocks), "sector": rng.choice(["tech", "energy", "retail"], n_stocks)})
    stock = np.repeat(np.arange(n_stocks), n_days)
    n = len(stock)
    opened = (rng.lognormal(4, 1, n_stocks)[stock] * rng.lognormal(0, 0.05, n)).round(2)
    high = (opened * (1 + rng.exponential(0.02, n))).round(2)
    low = (opened * (1 - rng.exponential(0.02, n).clip(0, 0.5))).round(2)
    close = (low + rng.random(n) * (high - low)).round(2)
    days = pd.DataFrame({"id": range(n), "stock": stock, "open": opened, "high": high, "low": low, "close": close})
    schema = Schema(
        stock=Table(id=PrimaryKey(), sector=Categorical()),
        day=Table(
            id=PrimaryKey(), stock=ForeignKey("stock"), open=Numeric(), high=Numeric(), low=Numeric(), close=Numeric()
        ),
    )
    return RelationalData({"stock": stocks, "day": days}, schema)


def lab_bounds(data: RelationalData) -> pd.DataFrame:
    """value, low, high of each lab (taken, its stay's admission and discharge), as nanoseconds."""
    stays = data["stay"].set_index("id")
    at = data["lab"]["stay"].to_numpy()
    as_ns = lambda s: pd.to_datetime(s).to_numpy("datetime64[ns]").astype(np.int64).astype(float)  # noqa: E731
    return pd.DataFrame(
        {
            "value": as_ns(data["lab"]["taken"]),
            "low": as_ns(stays["admitted"].reindex(at)),
            "high": as_ns(stays["discharged"].reindex(at)),
        }
    )


def close_bounds(data: RelationalData) -> pd.DataFrame:
    day = data["day"].astype({c: float for c in ("close", "low", "high")})
    return pd.DataFrame({"value": day["close"], "low": day["low"], "high": day["high"]})


def generated(data: RelationalData, root: str, steps: int, seed: int) -> RelationalData:
    model = trained_small(data, steps, seed)
    for table, found in model.preproc.orderings.items():
        parent = data.schema.parent(table)
        print(f"  {table}: " + ", ".join(o.describe(parent and parent.parent) for o in found.values()))
    return model.generate(n_samples=len(data[root]), seed=seed)


def scores(real: pd.DataFrame, synth: pd.DataFrame) -> list[dict]:
    rows = []
    for name, d in (("real", real), ("synthetic", synth)):
        d = d.dropna()
        row = {"rows": name, "n": len(d), "below low": (d["value"] < d["low"]).mean()}
        row["above high"] = (d["value"] > d["high"]).mean()
        rows.append(row)
    gap = [d["value"] - d["low"] for d in (real.dropna(), synth.dropna())]
    place = [
        ((d["value"] - d["low"]) / (d["high"] - d["low"])).replace([np.inf, -np.inf], np.nan).dropna()
        for d in (real, synth)
    ]
    rows[1]["KS gap"] = 1 - ks_2samp(*gap).statistic
    rows[1]["KS place"] = 1 - ks_2samp(*place).statistic
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for name, data, root, bounds in (
        ("labs within their stay", stays_database(args.seed), "patient", lab_bounds),
        ("close within the day's low and high", prices_database(args.seed), "stock", close_bounds),
    ):
        print(name)
        synth = generated(data, root, args.steps, args.seed)
        print(pd.DataFrame(scores(bounds(data), bounds(synth))).to_string(index=False, float_format="%.3f"))


if __name__ == "__main__":
    main()

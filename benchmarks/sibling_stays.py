"""Siblings that follow one another as intervals: does a generated patient's next stay begin after
the previous one ended, as every real one does?

A generated patients -> stays database: `--patients` patients, each with 1-6 stays; each stay
admitted 1 + an exponential number of days (mean 90) after the previous stay's discharge and
lasting 1-20 days, a kind of admission, the rows stored in a random order; the patients with a
birth date decades before any stay (`born`) or with no date (`no date`). The small tabular model
trained `--steps` steps on one thread, then as many patients generated. Prints, real and
synthetic, the share of stays admitted before the same patient's previous stay was discharged
(stays in admission order), the share of patients whose stays are out of date order in row order,
and the KS complement (1: the same distribution) of the gaps between a discharge and the next
admission, of the lengths of stay and of each patient's first admission date. Run it on two
commits to compare:

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sibling_stays.py --seed S
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp
from small_model import trained_small

from relsynth.relational import Categorical, Date, ForeignKey, PrimaryKey, RelationalData, Schema, Table


def stays_database(seed: int, n_patients: int, born: bool) -> RelationalData:
    rng = np.random.default_rng(seed)
    patient = np.repeat(np.arange(n_patients), rng.integers(1, 7, n_patients))
    los = rng.integers(1, 21, len(patient))
    gap = rng.exponential(90, len(patient)).round() + 1
    before = pd.Series(gap + los).groupby(patient).cumsum().to_numpy() - los  # days from the first day
    first = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 1500, n_patients), "D")
    admitted = first[patient] + pd.to_timedelta(before, "D")
    stay = pd.DataFrame(
        {
            "id": range(len(patient)),
            "patient": patient,
            "admitted": admitted,
            "discharged": admitted + pd.to_timedelta(los, "D"),
            "kind": rng.choice(["EMERGENCY", "ELECTIVE", "URGENT"], len(patient)),
        }
    ).sample(frac=1.0, random_state=seed)
    people = pd.DataFrame({"id": range(n_patients), "gender": rng.choice(["F", "M"], n_patients)})
    columns = {"id": PrimaryKey(), "gender": Categorical()}
    if born:
        people["born"] = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 20_000, n_patients), "D")
        columns["born"] = Date()
    schema = Schema(
        patient=Table(**columns),
        stay=Table(
            id=PrimaryKey(),
            patient=ForeignKey(parent="patient"),
            admitted=Date(),
            discharged=Date(),
            kind=Categorical(),
        ),
    )
    return RelationalData({"patient": people, "stay": stay.reset_index(drop=True)}, schema)


def figures(stay: pd.DataFrame) -> dict[str, np.ndarray | float]:
    s = stay.dropna(subset=["admitted"]).sort_values(["patient", "admitted"], kind="stable")
    previous = s.groupby("patient")["discharged"].shift(1)
    follows = previous.notna()
    unordered = stay.groupby("patient", sort=False)["admitted"].apply(lambda d: not d.is_monotonic_increasing)
    return {
        "overlap": float((s["admitted"][follows] < previous[follows]).mean()),
        "unordered": float(unordered.mean()),
        "gap": ((s["admitted"] - previous)[follows] / pd.Timedelta("1D")).to_numpy(),
        "stay": ((s["discharged"] - s["admitted"]).dropna() / pd.Timedelta("1D")).to_numpy(),
        "first": (s.groupby("patient")["admitted"].min() - pd.Timestamp("2015-01-01")).dt.days.to_numpy(),
    }


def run(born: bool, args: argparse.Namespace) -> dict[str, str]:
    data = stays_database(args.seed, args.patients, born)
    model = trained_small(data, args.steps, args.seed)
    real, synth = figures(data["stay"]), figures(model.generate(n_samples=args.patients, seed=args.seed)["stay"])
    row = {"patients": "born" if born else "no date"}
    row |= {f"{k} real/syn": f"{real[k]:.3f}/{synth[k]:.3f}" for k in ("overlap", "unordered")}
    row |= {f"KS {k}": f"{1 - ks_2samp(real[k], synth[k]).statistic:.3f}" for k in ("gap", "stay", "first")}
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--patients", type=int, default=300)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(pd.DataFrame([run(born, args) for born in (True, False)]).to_string(index=False))


if __name__ == "__main__":
    main()

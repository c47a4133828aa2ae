"""The robustness cases' small database: a parent table of every tabular kind and a child with text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import (
    Boolean,
    Categorical,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    Schema,
    Table,
    Text,
)
from relsynth.synth import ModelSize

TINY = ModelSize(n_layers=1, h=2, d=16)


def frames(n: int = 30, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    parent = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "seg": rng.choice(["pro", "retail"], n),
            "amount": np.round(rng.gamma(2.0, 10.0, n), 2),
            "visits": rng.integers(0, 9, n),
            "vip": np.where(rng.random(n) < 0.3, "Y", "N"),
            "since": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
        }
    )
    m = 2 * n
    child = pd.DataFrame(
        {
            "id": np.arange(1, m + 1),
            "parent": rng.integers(1, n + 1, m),
            "qty": rng.integers(1, 5, m),
            "note": [f"note number {i}" for i in range(m)],
        }
    )
    return {"parent": parent, "child": child}


def schema() -> Schema:
    return Schema(
        parent=Table(
            id=PrimaryKey(), seg=Categorical(), amount=Numeric(), visits=Integer(), vip=Boolean(), since=Date()
        ),
        child=Table(id=PrimaryKey(), parent=ForeignKey(parent="parent"), qty=Integer(), note=Text()),
    )

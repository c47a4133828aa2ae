"""Labels held only within a span of an earlier number of their row: an education by age."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Boolean, Categorical, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc


def persons(n: int = 1_500, seed: int = 0) -> RelationalData:
    """A secondary education from 12 on, a tertiary one from 18, work from 15 to 69; a sex and a
    region whatever the age."""
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 91, n)
    top = np.select([age < 12, age < 18], [1, 2], 3)
    education = np.array(["Primary", "Secondary", "Tertiary"])[rng.integers(0, 3, n) % top]
    employed = (age >= 15) & (age < 70) & (rng.random(n) < 0.6)
    frame = pd.DataFrame(
        {
            "id": range(n),
            "age": age,
            "sex": rng.choice(["M", "F"], n),
            "education": education,
            "employed": np.where(employed, "Y", "N"),
            "region": rng.choice(["N", "S", "E", "W"], n),
        }
    )
    schema = Schema(
        person=Table(
            id=PrimaryKey(),
            age=Integer(),
            sex=Categorical(),
            education=Categorical(),
            employed=Boolean(),
            region=Categorical(),
        )
    )
    return RelationalData({"person": frame}, schema)


def test_the_spans_of_labels_are_found_and_no_other():
    data = persons()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["label_spans"] == [
        {
            "table": "person",
            "column": "education",
            "of": "age",
            "spans": {"Secondary": [12.0, None], "Tertiary": [18.0, None]},
        },
        {"table": "person", "column": "employed", "of": "age", "spans": {"True": [15.0, 69.0]}},
    ]


def test_an_untrained_models_labels_keep_their_ages(tiny_size):
    """The model's coin pairs a child with any education and job (before: about a quarter of the
    rows against their age); now a label is banned after an age bin wholly beyond its span and the
    age drawn again inside a bin across it."""
    data = persons()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(1_000, seed=0)["person"]
    age = out["age"].astype(float)
    assert not ((out["education"] == "Secondary") & (age < 12)).any()
    assert not ((out["education"] == "Tertiary") & (age < 18)).any()
    assert not (out["employed"].fillna(False).astype(bool) & ((age < 15) | (age > 69))).any()
    assert (out["education"] == "Tertiary").any() and out["employed"].fillna(False).astype(bool).any()

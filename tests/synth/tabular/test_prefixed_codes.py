"""A code that extends another code of its row (a company's domain, its name and `.com`) is generated from it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from shop_data import TINY

from relsynth.relational import Categorical, Identifier, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc

SCHEMA = Schema(company=Table(id=PrimaryKey(), name=Identifier(), domain=Identifier(), industry=Categorical()))


def companies(n: int, seed: int, suffix=None) -> RelationalData:
    rng = np.random.default_rng(seed)
    names = [f"{w}{i}" for i, w in enumerate(rng.choice(["acme", "globex", "hooli", "initech"], n))]
    tlds = rng.choice([".com", ".io", ".net"], n) if suffix is None else [suffix(rng) for _ in range(n)]
    frame = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "name": names,
            "domain": [a + t for a, t in zip(names, tlds, strict=True)],
            "industry": rng.choice(["retail", "software"], n),
        }
    )
    return RelationalData({"company": frame}, SCHEMA)


def test_a_domain_is_generated_as_its_rows_name_and_a_suffix_of_the_data():
    # codes were drawn each on their own: 3 of 300 generated domains (1 %) began with their row's name
    pre = TabularPreproc.from_schema(schema=SCHEMA).fit(companies(200, seed=0))
    assert pre.stats["prefixed_codes"]["company"]["domain"]["prefix"] == "name"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an untrained model
        out = TabularModel.build(pre, size=TINY).generate(n_samples=300, seed=0)["company"]
    rests = [d[len(n) :] for n, d in zip(out["name"], out["domain"], strict=True) if d.startswith(n)]
    assert len(rests) == len(out) and set(rests) == {".com", ".io", ".net"}
    assert out["domain"].is_unique


def test_no_rule_where_the_suffixes_are_one_rows_own():
    data = companies(200, seed=0, suffix=lambda rng: f"-{rng.integers(10**6)}.com")  # each its own number
    assert TabularPreproc.from_schema(schema=SCHEMA).fit(data).stats["prefixed_codes"] == {}

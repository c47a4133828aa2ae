"""Category points: a number some labels of an earlier category fix to one value (Antarctica's population, 0)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc

CONTINENTS = ["Asia", "Europe", "Africa", "Oceania", "Americas", "Antarctica"]


def countries(n: int = 240, seed: int = 0, zeros_elsewhere: float = 0.0) -> RelationalData:
    """country (continent, population): Antarctica's 6 territories of population 0, the others' in
    millions (`zeros_elsewhere`: this share of them 0 too, so Antarctica's zeros could be chance)."""
    rng = np.random.default_rng(seed)
    continent = np.array(["Antarctica"] * 6 + list(rng.choice(CONTINENTS[:-1], n - 6)))
    population = np.round(np.exp(rng.normal(15, 2, n)), -3).astype(np.int64) + 1000
    population[rng.random(n) < zeros_elsewhere] = 0
    population[continent == "Antarctica"] = 0
    order = rng.permutation(n)
    frame = pd.DataFrame({"id": range(n), "continent": continent[order], "population": population[order]})
    schema = Schema(country=Table(id=PrimaryKey(), continent=Categorical(), population=Integer()))
    return RelationalData({"country": frame}, schema)


def test_antarcticas_population_is_generated_zero(tiny_size):
    """An untrained model draws Antarctica's population at random among the column's values (30 of the
    31 Antarctic rows of 300 generated countries peopled before); every one is 0 now, no other one."""
    data = countries()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["column"], r["of"], r["pairs"]) for r in pre.stats["category_points"]] == [
        ("population", "continent", [["Antarctica", 0.0]])
    ]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["country"]
    antarctic = out["continent"].astype(str) == "Antarctica"
    assert antarctic.sum() >= 5
    assert (out.loc[antarctic, "population"] == 0).all()
    assert (out.loc[~antarctic, "population"] > 0).all()


def test_a_point_only_its_labels_hold_is_never_drawn_under_another(tiny_size):
    """Population 0 is Antarctica's alone: an untrained model drew it for other continents' countries
    too (5 of 269); never now. Where other countries hold 0 too, the point stays free there."""
    data = countries()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [r["only"] for r in pre.stats["category_points"]] == [[0.0]]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["country"]
    others = out["continent"].astype(str) != "Antarctica"
    assert (out.loc[others, "population"] == 0).sum() == 0
    shared = countries(n=2000, zeros_elsewhere=0.004)  # a few zeros elsewhere: Antarctica still fixes them
    assert [r["only"] for r in TabularPreproc.from_schema(shared.schema).fit(shared).stats["category_points"]] == [[]]


def test_zeros_a_label_holds_by_chance_or_a_dp_fit_keep_no_point():
    """Where 60 % of the other countries hold 0 too, Antarctica's 6 zeros are no evidence (0.6 ** 6 is
    0.05); nor does a DP fit read the rule."""
    common = countries(zeros_elsewhere=0.6)
    assert TabularPreproc.from_schema(common.schema).fit(common).stats["category_points"] == []
    dp = DpBudget(epsilon=10.0, delta=1e-5)
    assert not TabularPreproc.from_schema(countries().schema).fit(countries(), dp=dp).stats.get("category_points")

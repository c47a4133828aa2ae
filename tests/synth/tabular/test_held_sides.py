"""Columns held only on one side of a number of their row, missing at will there: a day's snow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.held_sides import held_side, keep_held_sides


def days(n: int = 2_000, seed: int = 0) -> RelationalData:
    """Snow only on wet days below 2 °C (some cold days dry); a quality flag missing at random."""
    rng = np.random.default_rng(seed)
    tmax = np.round(rng.normal(8, 7, n), 1)
    precip = np.where(rng.random(n) < 0.4, np.round(rng.gamma(0.8, 6, n), 1) + 0.1, 0.0)
    snow = np.where((tmax < 2) & (precip > 0), np.round(precip * rng.uniform(0.8, 1.5, n), 1), np.nan)
    flag = np.where(rng.random(n) < 0.1, rng.choice(["E", "S"], n), None)
    frame = pd.DataFrame({"id": range(n), "tmax": tmax, "precip": precip, "snow": snow, "flag": flag})
    schema = Schema(r=Table(id=PrimaryKey(), tmax=Numeric(), precip=Numeric(), snow=Numeric(), flag=Categorical()))
    return RelationalData({"r": frame}, schema)


def test_a_column_held_below_a_number_only_is_found_and_no_column_held_at_random():
    data = days()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = {(r["column"], r["of"], r["below"]) for r in pre.stats["held_sides"]}
    assert found == {("snow", "tmax", True), ("snow", "precip", False)}  # nothing of the flag
    cut = next(r["cut"] for r in pre.stats["held_sides"] if r["of"] == "tmax")
    r = data["r"]
    assert r["tmax"][r["snow"].notna()].max() < cut < 2.0


def test_a_column_held_at_random_leaves_rows_beyond_its_highest_by_chance_only():
    """A column held in 1 row of 10, independent of the number: about 10 rows lie above the highest
    number it is held at, all missing, a chance of 0.35: no side."""
    rng = np.random.default_rng(1)
    found = [held_side(rng.normal(0, 1, 5_000), rng.random(5_000) < 0.1) for _ in range(50)]
    assert found == [None] * 50


def test_the_column_is_cleared_past_the_cut():
    data = days()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rule = {"table": "r", "column": "snow", "of": "precip", "below": False, "cut": 0.05}
    frame = pd.DataFrame({"precip": [0.0, 5.0, 0.0, np.nan], "snow": [2.0, 4.0, np.nan, 1.0]})
    keep_held_sides(pre, [rule], "r", frame, np.random.default_rng(0))
    assert frame["snow"].isna().tolist() == [True, False, True, False]  # a dry day (an exact 0) loses its snow


def test_a_number_whose_bin_reaches_the_held_side_is_drawn_again_there():
    """Decoding draws a value anywhere in its bin: one past the cut, in a bin reaching below it,
    beside snow, is drawn again below the cut, in its bin; one in a bin wholly past it keeps its value."""
    data = days()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rule = next(r for r in pre.stats["held_sides"] if r["of"] == "tmax")
    layout = pre.layouts["r"]
    edges = np.asarray(pre.slots[layout.slots[layout.fields.index("tmax")]].preproc.edges)
    b = np.searchsorted(edges, rule["cut"]) - 1
    assert edges[b] < rule["cut"] < edges[b + 1]  # a bin straddling the cut: the case at stake
    above = (rule["cut"] + edges[b + 1]) / 2
    frame = pd.DataFrame({"tmax": [above, 20.0], "snow": [3.0, 3.0]})
    keep_held_sides(pre, [rule], "r", frame, np.random.default_rng(0))
    assert edges[b] <= frame["tmax"][0] <= rule["cut"] and frame["snow"][0] == 3.0
    assert frame["tmax"][1] == 20.0 and np.isnan(frame["snow"][1])


def test_snow_is_generated_on_cold_days_only(tiny_size):
    """An untrained model drew snow beside any temperature: now none above the cut."""
    data = days()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(1_000, seed=0)["r"]
    held = out["snow"].notna()
    assert held.sum() > 20
    assert (out["tmax"][held] < 2.0).all() and (out["precip"][held] > 0).all()

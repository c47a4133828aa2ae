"""A number one pair of categories of its row decides: a leg's distance, the same for every leg
from one depot to another (two keys to a depots lookup)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import RelationalData, Schema
from relsynth.synth import DpBudget, TabularModel, TabularPreproc


def trips(n: int = 120, seed: int = 0, decided: bool = True) -> RelationalData:
    """shipments -> legs (from, to: depots, distance: per pair of depots where `decided`, else its own)."""
    rng = np.random.default_rng(seed)
    depots = pd.DataFrame({"id": range(1, 9), "x": rng.uniform(0, 900, 8).round(1)})
    ship = np.repeat(np.arange(1, n + 1), rng.integers(1, 6, n))
    a = rng.integers(1, 9, len(ship))
    b = (a + rng.integers(1, 8, len(ship)) - 1) % 8 + 1  # never a itself
    x = depots.set_index("id")["x"]
    distance = (np.abs(x[a].to_numpy() - x[b].to_numpy()) * 1.3 + 20).round(1)
    if not decided:
        distance = rng.uniform(20, 1200, len(ship)).round(1)
    legs = pd.DataFrame({"shipment_id": ship, "from_depot": a, "to_depot": b, "distance_km": distance})
    shipments = pd.DataFrame({"id": range(1, n + 1), "weight": rng.gamma(2, 300, n).round(1)})
    frames = {"depots": depots, "shipments": shipments, "legs": legs}
    schema = Schema.infer(
        frames,
        primary_keys={"depots": "id", "shipments": "id"},
        foreign_keys={"legs": {"shipment_id": "shipments", "from_depot": "depots", "to_depot": "depots"}},
        lookups=["depots"],
    )
    return RelationalData(frames, schema)


def off_pair(out: RelationalData, like: RelationalData) -> float:
    """Share of the generated legs whose distance no training leg between the same depots had."""
    seen = set(zip(like["legs"]["from_depot"], like["legs"]["to_depot"], like["legs"]["distance_km"], strict=True))
    legs = out["legs"]
    held = [(a, b, round(float(d), 1)) in seen for a, b, d in zip(legs["from_depot"], legs["to_depot"], legs["distance_km"], strict=True)]  # fmt: skip
    return 1 - float(np.mean(held))


def test_a_distance_per_pair_of_depots_is_generated_as_the_pairs(tiny_size):
    """Drawn as the depot's values (never-pairs) or in its bins, 31 % of an untrained model's legs
    held a distance no leg between the two depots had; set from the pair, none (every pair is held
    by the training legs)."""
    data = trips()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [rule] = pre.stats["pair_values"]
    assert (rule["table"], rule["column"], rule["by"]) == ("legs", "distance_km", ["from_depot", "to_depot"])
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    out = model.generate(120, seed=0)
    assert len(out["legs"]) > 100 and off_pair(out, data) == 0
    pre.stats["pair_values"] = []  # without: the test can tell
    assert off_pair(model.generate(120, seed=0), data) > 0.2


def test_no_rule_for_a_distance_of_its_own_or_one_depot_decides_or_under_dp():
    assert TabularPreproc.from_schema(trips().schema).fit(trips(decided=False)).stats["pair_values"] == []
    data = trips()
    legs = data["legs"].assign(distance_km=data["legs"]["from_depot"] * 10.0)  # one depot alone: not a pair's
    alone = RelationalData({**data.data, "legs": legs}, data.schema)
    assert TabularPreproc.from_schema(data.schema).fit(alone).stats["pair_values"] == []
    dp = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(3.0, 1e-5))
    assert dp.stats.get("pair_values", []) == []


def test_a_wide_table_tests_few_pairs_in_full_and_still_finds_the_deciding_one(monkeypatch):
    """40 categories beside 6 numbers are 4,680 pairs, each grouped in full (a DataFrame and a
    groupby, ~6 ms) before: a 120-column table's fit spent ~13 minutes here. Pairs that hold two
    values under one combination are ruled out first, and the deciding pair is still found after
    39 columns that decide nothing."""
    from relsynth.synth.tabular.rules import pair_values

    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"id": range(1, n + 1)})
    for j in range(40):
        frame[f"c{j:02d}"] = rng.choice(["a", "b", "c", "d"], n)
    for j in range(5):
        frame[f"x{j}"] = rng.normal(0, 1, n).round(3)
    values = {(a, b): float(v) for (a, b), v in zip([(a, b) for a in "abcd" for b in "abcd"], rng.uniform(10, 99, 16).round(1), strict=True)}  # fmt: skip
    frame["fare"] = [values[a, b] for a, b in zip(frame["c38"], frame["c39"], strict=True)]
    data = RelationalData({"t": frame}, Schema.infer({"t": frame}, primary_keys={"t": "id"}))
    calls, screened = [], []
    decided, may_decide = pair_values._decided, pair_values._may_decide
    monkeypatch.setattr(pair_values, "_decided", lambda *a: calls.append(1) or decided(*a))
    monkeypatch.setattr(pair_values, "_may_decide", lambda *a: screened.append(1) or may_decide(*a))
    rules = TabularPreproc.from_schema(data.schema).fit(data).stats["pair_values"]
    assert [(r["column"], r["by"]) for r in rules] == [("fare", ["c38", "c39"])]
    assert len(calls) < 50  # 4,920 before: every pair of every number grouped
    # the numbers of ~400 values are no pair's of 16 combinations: each category alone (40 a number)
    # and the fare's 780 pairs are sorted, 1,020 (4,920 before)
    assert len(screened) <= 1_020

"""A label that the previous sibling holds at another column: a leg's origin depot is the previous
leg's destination, so a shipment's legs make one chain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import RelationalData, Schema
from relsynth.synth import DpBudget, TabularModel, TabularPreproc


def legs(n: int = 120, seed: int = 0, chained: bool = True) -> RelationalData:
    """shipments -> legs (leg_no, from, to: a 10-depot lookup; from: the previous leg's to where `chained`)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(1, n + 1):
        at = int(rng.integers(1, 11))
        for k in range(1, int(rng.integers(1, 6)) + 1):
            to = int((at + rng.integers(1, 10) - 1) % 10 + 1)  # never `at`
            rows.append((s, k, at, to))
            at = to if chained else int(rng.integers(1, 11))
    frames = {
        "depots": pd.DataFrame({"id": range(1, 11), "city": [f"city {i}" for i in range(1, 11)]}),
        "shipments": pd.DataFrame({"id": range(1, n + 1), "weight": rng.gamma(2, 300, n).round(1)}),
        "legs": pd.DataFrame(rows, columns=["shipment_id", "leg_no", "from_depot", "to_depot"]),
    }
    schema = Schema.infer(
        frames,
        primary_keys={"depots": "id", "shipments": "id"},
        foreign_keys={"legs": {"shipment_id": "shipments", "from_depot": "depots", "to_depot": "depots"}},
        lookups=["depots"],
    )
    return RelationalData(frames, schema)


def broken(data: RelationalData) -> int:
    """Legs starting elsewhere than where the shipment's previous leg (by leg_no) ended."""
    t = data["legs"].sort_values(["shipment_id", "leg_no"])
    previous = t.groupby("shipment_id")["to_depot"].shift(1)
    held = previous.notna()
    return int((t["from_depot"][held] != previous[held]).sum())


def test_a_legs_origin_is_the_previous_legs_destination(tiny_size):
    """An untrained model started 214 of 241 later legs elsewhere (the depot drawn at random);
    masked to the previous leg's destination, none."""
    data = legs()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["chained_labels"] == [{"table": "legs", "column": "from_depot", "of": "to_depot"}]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    out = model.generate(120, seed=0)
    assert len(out["legs"]) > 200 and broken(out) == 0
    pre.stats["chained_labels"] = []  # without: the test can tell
    assert broken(model.generate(120, seed=0)) > 50


def test_no_rule_for_legs_starting_anywhere_or_under_dp():
    assert TabularPreproc.from_schema(legs().schema).fit(legs(chained=False)).stats["chained_labels"] == []
    dp = TabularPreproc.from_schema(legs().schema).fit(legs(), dp=DpBudget(3.0, 1e-5))
    assert dp.stats.get("chained_labels", []) == []

"""A lookup key whose lookup row's number never falls below a number of the row's parent: a leg's
vehicle carries its shipment's weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import RelationalData, Schema
from relsynth.synth import DpBudget, TabularModel, TabularPreproc

CAPACITY = {"van": 1200, "truck": 8000, "semi": 24000}


def fleet(n: int = 150, seed: int = 0, carried: bool = True) -> RelationalData:
    """shipments (weight) -> legs (vehicle: a 12-row lookup of three capacities, one that carries
    the weight where `carried`, else any)."""
    rng = np.random.default_rng(seed)
    kinds = ["van"] * 6 + ["truck"] * 4 + ["semi"] * 2
    vehicles = pd.DataFrame({"id": range(1, 13), "type": kinds, "capacity_kg": [CAPACITY[k] for k in kinds]})
    weight = np.minimum(rng.lognormal(6.5, 1.3, n), 20000).round(1)
    ship = np.repeat(np.arange(1, n + 1), rng.integers(1, 5, n))
    ok = [vehicles["id"][vehicles["capacity_kg"] >= weight[s - 1]].to_numpy() for s in ship]
    vehicle = [int(rng.choice(v)) if carried else int(rng.integers(1, 13)) for v in ok]
    frames = {
        "vehicles": vehicles,
        "shipments": pd.DataFrame({"id": range(1, n + 1), "weight_kg": weight}),
        "legs": pd.DataFrame(
            {"shipment_id": ship, "vehicle_id": vehicle, "km": rng.uniform(50, 900, len(ship)).round(1)}
        ),
    }
    schema = Schema.infer(
        frames,
        primary_keys={"vehicles": "id", "shipments": "id"},
        foreign_keys={"legs": {"shipment_id": "shipments", "vehicle_id": "vehicles"}},
        lookups=["vehicles"],
    )
    return RelationalData(frames, schema)


def overloaded(data: RelationalData) -> int:
    """Legs on a vehicle whose capacity is below their shipment's weight."""
    legs = data["legs"]
    need = legs["shipment_id"].map(data["shipments"].set_index("id")["weight_kg"])
    have = legs["vehicle_id"].map(data["vehicles"].set_index("id")["capacity_kg"])
    return int((have < need).sum())


def test_a_legs_vehicle_carries_its_shipments_weight(tiny_size):
    """An untrained model put legs on vehicles too small for their shipment; drawn again among those
    that carry it, none."""
    data = fleet()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["lookup_capacities"] == [
        {"table": "legs", "key": "vehicle_id", "lookup": "vehicles", "capacity": "capacity_kg", "number": "weight_kg"}
    ]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    out = model.generate(150, seed=0)
    assert len(out["legs"]) > 200 and overloaded(out) == 0
    pre.stats["lookup_capacities"] = []  # without: the test can tell
    assert overloaded(model.generate(150, seed=0)) > 30


def test_no_rule_for_vehicles_of_any_capacity_or_under_dp():
    assert TabularPreproc.from_schema(fleet().schema).fit(fleet(carried=False)).stats["lookup_capacities"] == []
    dp = TabularPreproc.from_schema(fleet().schema).fit(fleet(), dp=DpBudget(3.0, 1e-5))
    assert dp.stats.get("lookup_capacities", []) == []

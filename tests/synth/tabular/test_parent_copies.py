"""Values a row copies from its parent row: an order's shipping city is its customer's city."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc

CITIES = [f"city{i}" for i in range(30)]


def shop(n: int = 200, same: float = 1.0, seed: int = 0) -> RelationalData:
    """customers -> 1-5 orders each, shipped to the customer's city in `same` of the orders, else
    to another city at random."""
    rng = np.random.default_rng(seed)
    city = rng.choice(CITIES, n)
    sizes = rng.integers(1, 6, n)
    owner = np.repeat(np.arange(n), sizes)
    ship = np.where(rng.random(len(owner)) < same, city[owner], rng.choice(CITIES, len(owner)))
    customer = pd.DataFrame({"id": range(n), "city": city})
    order = pd.DataFrame(
        {"id": range(len(owner)), "customer": owner, "ship_city": ship, "amount": rng.gamma(2, 50, len(owner))}
    )
    schema = Schema(
        customer=Table(id=PrimaryKey(), city=Categorical()),
        order=Table(id=PrimaryKey(), customer=ForeignKey("customer"), ship_city=Categorical(), amount=Numeric()),
    )
    return RelationalData({"customer": customer, "order": order}, schema)


def shipped_home(data: RelationalData) -> float:
    city = data["order"]["customer"].map(data["customer"].set_index("id")["city"])
    return float((data["order"]["ship_city"] == city).mean())


def test_a_value_every_row_copies_from_its_parent_is_copied(tmp_path, tiny_size):
    """An untrained model writes each order's city at random (1 in 30 its customer's); now every
    generated order ships to its customer's city, as every training order does."""
    data = shop()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["parent_copies"] == {"order": [["ship_city", "city", 1.0]]}
    torch.manual_seed(0)
    TabularModel.build(pre, size=tiny_size).save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(150, seed=0)
    assert len(out["order"]) > 100 and shipped_home(out) == 1.0


def test_a_share_of_copies_is_made_up_not_exceeded(tiny_size):
    """Orders shipped home 70 % of the time: the rows the model already matched count toward that
    share, the copies make up the rest, no more."""
    data = shop(same=0.7)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [[col, source, share]] = pre.stats["parent_copies"]["order"]
    assert (col, source) == ("ship_city", "city") and 0.65 < share < 0.8
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=1)
    assert abs(shipped_home(out) - share) < 0.06

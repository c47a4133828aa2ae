"""Values a row copies from its parent row: an order's shipping city is its customer's city."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular._references.copies import copy_values, decided_by

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


def test_a_parent_value_the_column_never_holds_is_not_copied(tiny_size):
    """Orders ship to their customer's city, but a hub city's customers always ship elsewhere: a hub
    is no city an order ships to. Copies made up for an untrained model wrote hubs into 39 of 894
    generated orders; a copy now leaves a row whose parent value the column never holds as it is,
    and the rows it may reach make up the data's share (0.887; 0.890 generated)."""
    data = shop(n=300)
    rng = np.random.default_rng(1)
    customer, order = data["customer"].copy(), data["order"].copy()
    hub = rng.random(len(customer)) < 0.1
    customer.loc[hub, "city"] = rng.choice(["hub0", "hub1", "hub2"], hub.sum())
    data = RelationalData({"customer": customer, "order": order}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [[col, source, share]] = pre.stats["parent_copies"]["order"]
    assert (col, source) == ("ship_city", "city") and 0.8 < share < 0.95
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)
    hubs = out["order"]["customer"].map(out["customer"].set_index("id")["city"]).str.startswith("hub")
    assert hubs.sum() > 20  # customers of a hub whose orders a copy could have reached
    assert not out["order"]["ship_city"].str.startswith("hub").any()
    assert abs(shipped_home(out) - share) < 0.03  # made up on the rows a copy may reach


def test_a_copy_keeps_the_value_an_earlier_column_of_its_row_decides(tiny_size):
    """Orders ship to a city, whose country follows from it, in the customer's country 9 times in
    10: copying the customer's country onto an order shipped to a city of another country gave an
    impossible pair (a Northwind-like database: 43 % of generated orders); no copy makes one now."""
    rng = np.random.default_rng(0)
    countries = [f"country{i}" for i in range(6)]
    country_of = {f"city{i}": countries[i % 6] for i in range(18)}
    cities_in = {c: [city for city, k in country_of.items() if k == c] for c in countries}
    n = 300
    country = rng.choice(countries, n)
    sizes = rng.integers(1, 6, n)
    owner = np.repeat(np.arange(n), sizes)
    home = rng.random(len(owner)) < 0.9
    dest = np.where(home, country[owner], rng.choice(countries, len(owner)))
    ship_city = np.array([rng.choice(cities_in[c]) for c in dest])
    customer = pd.DataFrame({"id": range(n), "country": country})
    order = pd.DataFrame(
        {
            "id": range(len(owner)),
            "customer": owner,
            "ship_city": ship_city,
            "ship_country": [country_of[c] for c in ship_city],
        }
    )
    schema = Schema(
        customer=Table(id=PrimaryKey(), country=Categorical()),
        order=Table(
            id=PrimaryKey(), customer=ForeignKey("customer"), ship_city=Categorical(), ship_country=Categorical()
        ),
    )
    data = RelationalData({"customer": customer, "order": order}, schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["parent_copies"]["order"][0][:2] == ["ship_country", "country"]
    assert [(d["column"], d["of"]) for d in pre.stats["dependencies"]] == [("ship_country", "ship_city")]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["order"]
    assert len(out) > 300
    assert (out["ship_city"].map(country_of) == out["ship_country"]).all()


def test_a_copy_moves_the_deciding_value_with_it_where_it_may():
    """Every order copies its customer's country; the cities a model drew lie in other countries.
    Where the city decides nothing else it moves to a city of the copied country, drawn by the
    cities' shares, so the copies make up their share and every pair stays one the data holds;
    where it may not move (it decides a region too), the copy is not made."""
    pairs = [["Lyon", "FR"], ["Paris", "FR"], ["Berlin", "DE"], ["Munich", "DE"]]
    parent = pd.DataFrame({"id": [0, 1], "country": ["FR", "DE"]})
    child = pd.DataFrame({"customer": [0, 0, 0, 1, 1], "ship_city": ["Berlin", "Munich", "Paris", "Lyon", "Berlin"]})
    child["ship_country"] = child["ship_city"].map(dict(pairs))
    rules = [{"table": "order", "column": "ship_country", "of": "ship_city", "pairs": pairs}]
    copies = [["ship_country", "country", 1.0]]
    moved = child.copy()
    copy_values(
        copies,
        moved,
        parent,
        moved["customer"],
        "id",
        np.random.default_rng(0),
        True,
        None,
        False,
        decided_by(rules, "order"),
    )
    assert moved["ship_country"].tolist() == ["FR", "FR", "FR", "DE", "DE"]
    assert (moved["ship_city"].map(dict(pairs)) == moved["ship_country"]).all()
    assert moved["ship_city"][2] == "Paris" and moved["ship_city"][4] == "Berlin"  # rows already home keep theirs
    regions = [
        *rules,
        {"table": "order", "column": "region", "of": "ship_city", "pairs": [[a, "r" + b] for a, b in pairs]},
    ]
    kept = child.copy()
    copy_values(
        copies,
        kept,
        parent,
        kept["customer"],
        "id",
        np.random.default_rng(0),
        True,
        None,
        False,
        decided_by(regions, "order"),
    )
    assert kept.equals(child)

"""Texts a row repeats whole from its parent row (an order's ship address, its customer's address):
fitted with their share and the column deciding them, copied from the generated parent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import Categorical, ForeignKey, Identifier, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.relational.copies import copied_share
from relsynth.synth.text import TextModel, TextPreproc
from relsynth.synth.text._whole_copies import fit_parent_copy

COUNTRIES = ["France", "Spain", "Italy"]
STREETS = ["Rue Royale", "Calle Mayor", "Via Roma", "Main Street", "High Street", "Oak Lane"]


def shop(n_customers: int = 40, seed: int = 0) -> RelationalData:
    """Customers with an address and a country; their orders, 9 in 10 shipped to the customer's country and
    then to its address, the others to another country and another address."""
    rng = np.random.default_rng(seed)
    addresses = [f"{rng.integers(1, 99)} {rng.choice(STREETS)} {i}" if i else None for i in range(n_customers)]
    customers = pd.DataFrame(
        {
            "id": range(n_customers),
            "address": addresses,
            "country": rng.choice(COUNTRIES, n_customers),
            "code": [f"C-{i:04d}" for i in range(n_customers)],
        }
    )
    rows = []
    for c in range(n_customers):
        for _ in range(int(rng.integers(3, 9))):
            home = rng.random() < 0.9
            country = customers.country[c] if home else rng.choice([k for k in COUNTRIES if k != customers.country[c]])
            address = addresses[c] if home else f"{rng.integers(1, 99)} {rng.choice(STREETS)} depot"
            rows.append((c, country, address, customers.code[c] if home else f"D-{rng.integers(9999):04d}"))
    orders = pd.DataFrame(rows, columns=["customer", "ship_country", "ship_address", "ship_code"])
    orders.insert(0, "id", range(len(orders)))
    schema = Schema(
        customer=Table(id=PrimaryKey(), address=Text(), country=Categorical(), code=Identifier()),
        orders=Table(
            id=PrimaryKey(),
            customer=ForeignKey(parent="customer"),
            ship_country=Categorical(),
            ship_address=Text(),
            ship_code=Text(),
        ),
    )
    return RelationalData({"customer": customers, "orders": orders}, schema)


def _copied(data: RelationalData) -> np.ndarray:
    """Per order, whether its ship address is its customer's address (False where either is missing)."""
    address = data["orders"].customer.map(dict(zip(data["customer"].id, data["customer"].address, strict=True)))
    mine = data["orders"].ship_address
    return (mine.notna() & address.notna() & (mine.astype(str) == address.astype(str))).to_numpy()


def _share(data: RelationalData) -> float:
    """The share of the orders whose customer has an address that ship to it."""
    known = data["orders"].customer.map(dict(zip(data["customer"].id, data["customer"].address.notna(), strict=True)))
    return float(_copied(data)[known.to_numpy(dtype=bool)].mean())


def test_the_fit_keeps_the_parent_text_a_column_repeats_and_the_column_deciding_it():
    data = shop()
    preproc = TextPreproc.from_schema_table(data.schema, "orders", vocab_size=300).fit(data)
    rule = preproc.config.stats["ship_address"].parent_copy
    assert rule["column"] == "address"
    assert rule["share"] == pytest.approx(_share(data), abs=1e-3)
    assert rule["by"] == ["ship_country", "country"] and rule["shares"] == [1.0, 0.0]
    assert preproc.config.stats["ship_code"].parent_copy["column"] == "code"  # a code the tabular model writes


def test_a_column_agreeing_with_its_parent_by_chance_is_no_copy():
    """Two columns that nearly always hold one frequent value agree in most rows by chance alone: no copy."""
    rng = np.random.default_rng(1)
    common = pd.Series(np.where(rng.random(300) < 0.9, "none", "some"))
    other = pd.Series(np.where(rng.random(300) < 0.9, "none", "some"))
    assert (common == other).mean() > 0.7 and copied_share(common, other) is None
    assert copied_share(common, common) == 1.0


def test_generated_orders_copy_their_generated_customers_address_in_the_datas_share(tiny_size):
    """The share of ship addresses equal to their customer's (0.9 in the data) holds in generated orders, the
    value is the synthetic customer's (never a training address), and an order shipped to another country
    than its customer's never takes the customer's address."""
    data = shop()
    preproc = TextPreproc.from_schema_table(data.schema, "orders", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=64)
    customers = data["customer"].assign(address=[f"{i} Synthetic Road" if i else None for i in range(40)])
    synth = RelationalData(
        {"customer": customers, "orders": data["orders"].assign(ship_address=None, ship_code=None)}, data.schema
    )
    out = model.generate(synth, seed=0, max_text_len=8)
    copied = _copied(out)
    assert _share(out) == pytest.approx(_share(data), abs=0.06)
    assert not set(out["orders"].ship_address[copied]) & set(data["customer"].address)
    home = out["orders"].ship_country.to_numpy() == out["orders"].customer.map(
        dict(zip(customers.id, customers.country, strict=True))
    )
    held = out["orders"].customer.to_numpy() != 0  # customer 0 has no address to copy
    assert copied[home & held].mean() > 0.95 and not copied[~home | ~held].any()
    assert model.last_generation["ship_address"]["copied_from_parent"] == copied.sum()


def test_the_deciding_label_is_one_of_the_parents_labels_not_its_text():
    """An order's ship town (a label) agreeing with its customer's town (a text) tells the copied rows best, but
    generation cannot make a label agree with a generated text (Northwind: 7 % of the orders copied, not 93 %):
    the deciding pair is the ship country and the customer's country, two labels."""
    rng = np.random.default_rng(0)
    n = 400
    parent = pd.DataFrame(
        {
            "address": [f"{i} Main Street" for i in range(n)],
            "town": [f"Town {i % 150}" for i in range(n)],
            "country": rng.choice(COUNTRIES, n),
        }
    )
    home = rng.random(n) < 0.8
    same_country = home | (rng.random(n) < 0.5)  # half the other addresses are in the customer's country
    values = pd.Series(np.where(home, parent.address, "depot"))
    row = pd.DataFrame(
        {
            "ship_town": np.where(home, parent.town, "Elsewhere"),
            "ship_country": np.where(same_country, parent.country, "Nowhere"),
        }
    )
    rule = fit_parent_copy(values, row, parent, ["address", "town"])
    assert rule["column"] == "address" and rule["by"] == ["ship_country", "country"]


def test_a_copied_text_is_missing_where_its_parents_is(tiny_size):
    """A billing state is missing exactly where its customer's is (Chinook, half the invoices): the fit keeps
    it, and generated orders leave the address missing where their synthetic customer has none, and only there."""
    data = shop()
    gone = data["orders"].customer.isin(range(12)).to_numpy()  # a third of the customers have no address
    customers = data["customer"].assign(address=data["customer"].address.where(data["customer"].id >= 12))
    orders = data["orders"].assign(ship_address=data["orders"].ship_address.where(~gone))
    data = RelationalData({"customer": customers, "orders": orders}, data.schema)
    preproc = TextPreproc.from_schema_table(data.schema, "orders", vocab_size=300).fit(data)
    assert preproc.config.stats["ship_address"].parent_copy["nulls"] == [1.0, 0.0]
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=64)
    synth_customers = customers.assign(address=[f"{i} Synthetic Road" if i % 3 else None for i in range(40)])
    synth = RelationalData(
        {"customer": synth_customers, "orders": orders.assign(ship_address=None, ship_code=None)}, data.schema
    )
    out = model.generate(synth, seed=0, max_text_len=8)["orders"]
    none = out.customer.map(dict(zip(synth_customers.id, synth_customers.address.isna(), strict=True))).to_numpy()
    assert out.ship_address[none].isna().all() and out.ship_address[~none].notna().all()

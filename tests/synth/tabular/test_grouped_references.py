"""A number whose rows a reference's key groups: a city's listings share its price level
(`synth/tabular/_references/grouped.py`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc
from relsynth.synth.tabular._references.grouped import BLOCKING, UNBLOCKING, explained, group_keys


def listings(seed: int = 0, n_cities: int = 8, n_listings: int = 600, levelled: bool = True) -> RelationalData:
    """cities (8 rows: too few for their numbers to tell them apart) and listings referencing one
    (a second root, so the key is a reference), whose price per m2 is the city's level +- 15 %."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(2500, 6000, n_cities) if levelled else np.full(n_cities, 4000.0)
    city = rng.integers(0, n_cities, n_listings)
    cities = pd.DataFrame({"id": np.arange(1, n_cities + 1), "population": rng.integers(100, 900, n_cities) * 1000})
    homes = pd.DataFrame(
        {
            "id": np.arange(1, n_listings + 1),
            "city_id": city + 1,
            "rooms": rng.integers(1, 7, n_listings),
            "price_per_m2": (level[city] * rng.uniform(0.85, 1.15, n_listings)).round(),
        }
    )
    schema = Schema(
        cities=Table(id=PrimaryKey(), population=Integer()),
        listings=Table(
            id=PrimaryKey(), city_id=ForeignKey("cities", nest=False), rooms=Integer(), price_per_m2=Numeric()
        ),
    )
    return RelationalData({"cities": cities, "listings": homes}, schema)


def city_share(data: RelationalData) -> float:
    homes = data["listings"]
    return explained(homes["price_per_m2"].to_numpy(dtype=float), homes["city_id"].to_numpy())


def test_listings_of_one_generated_city_share_a_price_level_as_the_datas_do():
    data = listings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["references"]["listings.city_id"]["grouped"][0] == "price_per_m2"
    real = city_share(data)
    assert real > 0.7
    for seed in (0, 1, 2):
        synth = pre.inverse_transform(pre.transform(data), seed=seed)
        assert synth["listings"]["city_id"].isin(synth["cities"]["id"]).all()
        assert real - 0.15 < city_share(synth) < 1.0  # dealt with no regard to the price: about 0.01


def test_a_number_the_key_does_not_group_is_left_to_the_plain_draw():
    data = listings(levelled=False)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["references"]["listings.city_id"]["grouped"] is None


def test_dealing_keeps_each_key_as_often_as_drawn_and_nulls_where_they_were():
    rng = np.random.default_rng(0)
    keys = pd.Series([3, 1, None, 2, 3, 1, 3, 2, None, 1], dtype="Int64")
    values = pd.Series(np.arange(10.0))
    out = group_keys(keys, values, 0.99, rng)
    assert out.isna().tolist() == keys.isna().tolist()
    assert out.value_counts().sort_index().equals(keys.value_counts().sort_index())
    held = out.dropna()
    assert explained(values[held.index].to_numpy(), held.to_numpy()) > 0.8  # runs of like values


def test_every_fitted_reference_rule_is_known_to_block_the_grouped_deal_or_not():
    """A rule fitted on a reference later must say whether moving its keys among rows breaks it;
    left unlisted, grouping would run beside it unchecked."""
    data = listings()
    stats = TabularPreproc.from_schema(data.schema).fit(data).stats["references"]["listings.city_id"]
    assert sorted(set(stats) - set(BLOCKING) - set(UNBLOCKING)) == []

"""A number kept near the number of the row its key names (a listing's coordinates, its city's)
is bounded by no number of its own row (`preproc`'s inequalities, `rules/lookup_orders.py`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc

CITIES = [(38.72, -9.14), (41.15, -8.61), (40.42, -3.70), (39.47, -0.38), (45.76, 4.84), (44.84, -0.58),
          (45.07, 7.69), (45.46, 9.19)]  # fmt: skip


def listings(seed: int = 0, n_listings: int = 600) -> RelationalData:
    """8 cities whose longitudes all stay under a fifth of their latitudes (a coincidence of 8 rows),
    and listings referencing one, within 0.15 degrees of its centre."""
    rng = np.random.default_rng(seed)
    lat, lon = np.array(CITIES).T
    city = rng.integers(0, len(CITIES), n_listings)
    cities = pd.DataFrame({"id": np.arange(1, 9), "latitude": lat, "longitude": lon})
    homes = pd.DataFrame(
        {
            "id": np.arange(1, n_listings + 1),
            "city_id": city + 1,
            "latitude": (lat[city] + rng.uniform(-0.15, 0.15, n_listings)).round(5),
            "longitude": (lon[city] + rng.uniform(-0.15, 0.15, n_listings)).round(5),
            "rooms": rng.integers(1, 7, n_listings),
        }
    )
    schema = Schema(
        cities=Table(id=PrimaryKey(), latitude=Numeric(), longitude=Numeric()),
        listings=Table(
            id=PrimaryKey(), city_id=ForeignKey("cities", nest=False), latitude=Numeric(), longitude=Numeric(),
            rooms=Integer(),
        ),
    )  # fmt: skip
    return RelationalData({"cities": cities, "listings": homes}, schema)


def far_from_city(data: RelationalData) -> int:
    homes = data["listings"].assign(city_id=lambda f: f["city_id"].astype("Int64"))
    both = homes.merge(data["cities"], left_on="city_id", right_on="id", suffixes=("", "_city"))
    gap = np.maximum(
        (both["latitude"] - both["latitude_city"]).abs(), (both["longitude"] - both["longitude_city"]).abs()
    )
    return int((gap > 0.2).sum())


def test_a_listing_stays_near_its_generated_city_whatever_its_own_latitude_allows():
    data = listings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert far_from_city(data) == 0
    assert not [r for r in pre.stats["inequalities"] if r["table"] == "listings"]
    for seed in range(6):
        assert far_from_city(pre.inverse_transform(pre.transform(data), seed=seed)) == 0

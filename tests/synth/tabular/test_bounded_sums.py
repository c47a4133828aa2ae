"""Bounded sums: a country's cities' populations, at most the country's own population."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tabular_checks import decoded_copies, populations

from relsynth.relational import Categorical, ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularPreproc


def countries(n: int = 150, seed: int = 0, bounded: bool = True, city_share: tuple = (0.05, 0.6)) -> RelationalData:
    """country (population, lognormal) -> 1 to 6 cities whose populations add up to `city_share` of
    it (`bounded=False`: each city its own share of it, so some countries' cities sum past it)."""
    rng = np.random.default_rng(seed)
    population = np.round(np.exp(rng.normal(15, 2, n))).astype(np.int64) + 1000
    rows = []
    for c in range(n):
        k = int(rng.integers(1, 7))
        parts = rng.dirichlet(np.ones(k)) * rng.uniform(*city_share) if bounded else rng.uniform(0.1, 0.5, k)
        for p in parts:
            rows.append((len(rows), c, max(1, int(p * population[c]))))
    city = pd.DataFrame(rows, columns=["id", "country", "population"])
    schema = Schema(
        country=Table(id=PrimaryKey(), population=Integer()),
        city=Table(id=PrimaryKey(), country=ForeignKey(parent="country"), population=Integer()),
    )
    return RelationalData({"country": pd.DataFrame({"id": range(n), "population": population}), "city": city}, schema)


def _sums_past(data: RelationalData) -> int:
    sums = data["city"].groupby("country")["population"].sum()
    return int((sums > data["country"].set_index("id")["population"].reindex(sums.index)).sum())


def test_a_countrys_cities_never_sum_past_its_population():
    """Whatever the model writes, no country's cities add up past its population (before: decoding
    cities of 10 % to 50 % of their country each, 81 of 150 countries past it); each city stays at
    most its country's population, their sums a share of it the data hold."""
    data = countries()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = [(r["table"], r["of"], r["parent"], r["by"]) for r in pre.stats["bounded_sums"]]
    assert rules == [("city", "population", "country", "population")]
    drawn = countries(bounded=False)
    assert _sums_past(drawn) > 60
    back = pre.inverse_transform(pre.transform(drawn), seed=0)
    assert _sums_past(back) == 0
    city, population = back["city"], back["country"].set_index("id")["population"]
    assert (city["population"] >= 1).all() and (city["population"] == city["population"].round()).all()
    assert (city["population"] <= city["country"].map(population)).all()
    shares = city.groupby("country")["population"].sum() / population
    assert shares.dropna().between(0.05, 1.0).all()  # cut to the data's shares, not to nothing


def test_sums_that_pass_the_number_or_keep_it_by_chance_or_a_dp_fit_keep_no_bound():
    """Cities summing past their country in some rows hold no bound; nor do sums a tiny share of
    numbers that no other country's would break either (every sum below every population); nor a DP fit."""
    unbounded = countries(bounded=False)
    assert TabularPreproc.from_schema(unbounded.schema).fit(unbounded).stats["bounded_sums"] == []
    data = countries()
    city = data["city"].assign(population=np.random.default_rng(1).integers(1, 5, len(data["city"])))
    tiny = RelationalData({"country": data["country"], "city": city}, data.schema)
    assert TabularPreproc.from_schema(tiny.schema).fit(tiny).stats["bounded_sums"] == []
    dp = DpBudget(epsilon=10.0, delta=1e-5)
    assert not TabularPreproc.from_schema(countries().schema).fit(countries(), dp=dp).stats.get("bounded_sums")


def _copies_and_bound(n: int = 200, seed: int = 0, scale: float = 1.0) -> RelationalData:
    """order (price, cap) -> 2 to 5 lines whose amount is the order's price where `kind` is 'copy'
    (`flagged_copies`) and whose amounts sum to at most the order's cap; `scale`: amounts drawn that
    many times higher (the copies set back to the price by decoding)."""
    rng = np.random.default_rng(seed)
    price = rng.integers(100, 300, n).astype(float)
    rows = []
    for o in range(n):
        for _ in range(int(rng.integers(2, 6))):
            copy = bool(rng.random() < 0.4)
            rows.append((len(rows), o, "copy" if copy else "free", price[o] if copy else float(rng.integers(10, 300))))
    line = pd.DataFrame(rows, columns=["id", "order", "kind", "amount"])
    cap = np.ceil(line.groupby("order")["amount"].sum().to_numpy() * rng.uniform(1.0, 1.3, n))
    line["amount"] *= scale
    schema = Schema(
        order=Table(id=PrimaryKey(), price=Numeric(), cap=Numeric()),
        line=Table(id=PrimaryKey(), order=ForeignKey(parent="order"), kind=Categorical(), amount=Numeric()),
    )
    return RelationalData({"order": pd.DataFrame({"id": range(n), "price": price, "cap": cap}), "line": line}, schema)


def test_a_number_a_flagged_copy_sets_keeps_the_copy():
    """A line's amount that is its order's price where its kind says so (`flagged_copies`, set first
    in decoding) is no part a bound scales after: before, the bound on the lines' sum scaled 351 of
    436 copies off their price where the amounts were drawn high."""
    copied, expected = decoded_copies(_copies_and_bound, "line", "amount", "order", "price", scale=2.0)
    assert len(copied) > 100
    assert (copied == expected).all()


def regions(n: int = 40, seed: int = 0, bounded: bool = True) -> RelationalData:
    """region (population) -> 2 to 5 countries -> 1 to 5 cities, each level's populations adding up
    to a share of their parent's (`bounded=False`: each its own share, so some sums pass it); the
    tables listed cities first, as a database's alphabetical catalog lists them."""
    rng = np.random.default_rng(seed)
    region = np.round(np.exp(rng.normal(18, 1, n))).astype(np.int64)
    countries, cities = [], []
    for r in range(n):
        k = int(rng.integers(2, 6))
        shares = rng.dirichlet(np.ones(k)) * rng.uniform(0.3, 0.9) if bounded else rng.uniform(0.3, 0.7, k)
        for s in shares:
            people = max(10, int(s * region[r]))
            countries.append((len(countries), r, people))
            m = int(rng.integers(1, 6))
            parts = rng.dirichlet(np.ones(m)) * rng.uniform(0.2, 0.8) if bounded else rng.uniform(0.3, 0.7, m)
            cities += [(len(cities) + j, len(countries) - 1, max(1, int(p * people))) for j, p in enumerate(parts)]
    return populations(cities, countries, region)


def test_a_bound_scaled_down_itself_bounds_the_rows_under_it_as_scaled():
    """Cities under countries under regions, the catalog listing cities first: the cities were
    scaled to their country's population before the countries were scaled to their region's, so
    the cities of a country scaled down then summed past it. (With orders within rows kept, a
    city's population counts down from its country's, which no bound then lowers.)"""
    data = regions()
    pre = TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data)
    assert {(r["table"], r["parent"]) for r in pre.stats["bounded_sums"]} == {
        ("city", "country"),
        ("country", "region"),
    }
    back = pre.inverse_transform(pre.transform(regions(bounded=False)), seed=0)
    for child, parent, fk in (("city", "country", "country"), ("country", "region", "region")):
        sums = back[child].groupby(fk)["population"].sum()
        bound = back[parent].set_index("id")["population"].reindex(sums.index)
        assert (sums <= bound).all(), f"{int((sums > bound).sum())} {parent} rows summed past"

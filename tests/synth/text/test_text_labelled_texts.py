"""Texts that decide a label of their row (a customer's city, its country): fitted where the shared texts agree
on their label beyond chance, and never generated beside another label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextModel, TextPreproc
from relsynth.synth.text._labelled_texts import fit_labelled_texts, mislabelled

COUNTRIES = ["France", "Spain", "Italy", "Chile"]
SHARED = {"Paris": "France", "Lyon": "France", "Madrid": "Spain", "Rome": "Italy", "Milan": "Italy", "Lima": "Chile"}
SYLLABLES = ["ka", "lo", "mi", "ra", "tan", "bu", "el", "sa", "vo", "ni", "ga", "ri", "do", "me", "zu"]


def customers(n_own: int = 60, per_city: int = 3, seed: int = 0) -> RelationalData:
    """Customers with a city and a country: each shared city has `per_city` customers, all of its country; the
    other customers each live in a city of their own (a made-up word) in any country."""
    rng = np.random.default_rng(seed)
    own = ["".join(rng.choice(SYLLABLES, 3)).capitalize() + f"{'ville' if i % 2 else 'burg'}" for i in range(n_own)]
    cities = [c for c in SHARED for _ in range(per_city)] + own
    countries = [SHARED[c] for c in SHARED for _ in range(per_city)] + list(rng.choice(COUNTRIES, n_own))
    frame = pd.DataFrame({"id": range(len(cities)), "city": cities, "country": countries})
    return RelationalData(
        {"customer": frame}, Schema(customer=Table(id=PrimaryKey(), city=Text(), country=Categorical()))
    )


def test_the_fit_keeps_the_shared_texts_and_the_label_they_decide(tmp_path):
    data = customers()
    preproc = TextPreproc.from_schema_table(data.schema, "customer", vocab_size=300).fit(data)
    rules = [["country", {c: {k: 3} for c, k in SHARED.items()}]]  # each city's customers, all of its country
    assert preproc.config.stats["city"].labelled_texts == rules
    preproc.save(tmp_path / "preproc")
    assert TextPreproc.load(tmp_path / "preproc").config.stats["city"].labelled_texts == rules


def test_texts_shared_across_labels_by_chance_decide_nothing():
    """First names shared by customers of any country, and a label nearly every row holds, agree with their
    texts no more than shuffled labels do: no rule (a false rule would bar real texts from most rows)."""
    rng = np.random.default_rng(1)
    n = 300
    names = pd.Series(rng.choice(["Anna", "Luis", "Marco", "Paul", "Eva", "Ines"], n))
    labels = pd.DataFrame({"country": rng.choice(COUNTRIES, n), "active": np.where(rng.random(n) < 0.97, "Y", "N")})
    assert fit_labelled_texts(names, labels, np.arange(n), k=2) == []
    # one entity's many rows are one witness: five orders of one customer agree with themselves
    cities = pd.Series(["Paris"] * 5 + ["Lyon"] * 5 + [f"Town {i}" for i in range(20)])
    countries = pd.DataFrame({"country": ["France"] * 5 + ["Spain"] * 5 + list(rng.choice(COUNTRIES, 20))})
    entity = np.array([0] * 5 + [1] * 5 + list(range(2, 22)))
    assert fit_labelled_texts(cities, countries, entity, k=2) == []


def test_a_row_may_not_write_a_text_given_another_label_only():
    rules = [["country", {"Paris": {"France": 4}, "Nice": {"France": 2, "Chile": 3}, "Lima": {"Chile": 2}}]]
    frame = pd.DataFrame({"country": ["France", "Chile", None, "Peru"]})
    assert mislabelled(rules, frame) == [
        frozenset({"Lima"}),
        frozenset({"Paris"}),
        frozenset(),  # a missing label: nothing to agree with
        frozenset({"Paris", "Nice", "Lima"}),  # a label no shared text was given
    ]


def test_a_generated_city_that_names_a_shared_city_lies_in_its_country(tiny_size):
    """Spelled cities are replaced by vocabulary words of their shape (most cities are one customer's): the
    replacement named a shared city beside any country. Now every generated shared city is in its country, and
    generation still writes shared cities (those rows' own)."""
    data = customers()
    preproc = TextPreproc.from_schema_table(data.schema, "customer", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=32)
    rng = np.random.default_rng(2)
    n = 400
    synth = RelationalData(
        {"customer": pd.DataFrame({"id": range(n), "city": None, "country": rng.choice(COUNTRIES, n)})}, data.schema
    )
    out = model.generate(synth, seed=0, max_text_len=6)["customer"]
    named = out.city.isin(list(SHARED)).to_numpy()
    assert named.sum() >= 10  # shared cities are still written
    assert (out.country[named] == out.city[named].map(SHARED)).all()
    assert model.last_generation["city"]["mislabelled"] == 0


def test_where_every_city_is_shared_a_mislabelled_one_becomes_one_of_its_countrys(tiny_size):
    """Cities that are nearly categories (Northwind's customers: 91 in 30 cities): the model writes a shared city
    in most rows, often of another country, and sampling again left 74 of 400 in the wrong one. Such a row now
    writes a city of its own country (drawn by how many customers live there): every row still names a shared
    city, now its country's, and no rarer text takes its place."""
    cities = {"Paris": "France", "Lyon": "France", "Madrid": "Spain", "Seville": "Spain", "Lima": "Chile"}
    rows = [(c, k) for c, k in cities.items() for _ in range(6)]
    frame = pd.DataFrame({"id": range(len(rows)), "city": [c for c, _ in rows], "country": [k for _, k in rows]})
    data = RelationalData({"customer": frame}, customers().schema)
    preproc = TextPreproc.from_schema_table(data.schema, "customer", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=32)
    n = 400
    countries = np.random.default_rng(2).choice(["France", "Spain", "Chile"], n)
    synth = RelationalData(
        {"customer": pd.DataFrame({"id": range(n), "city": None, "country": countries})}, data.schema
    )
    out = model.generate(synth, seed=0, max_text_len=6)["customer"]
    assert out.city.isin(list(cities)).all()
    assert (out.country == out.city.map(cities)).all()
    assert model.last_generation["city"]["relabelled"] > 0 and model.last_generation["city"]["mislabelled"] == 0
    lima = out.country == "Chile"
    assert (out.city[lima] == "Lima").all()  # Chile's only city

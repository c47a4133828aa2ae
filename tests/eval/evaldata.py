"""Small relational data for the evaluation tests (imported by conftest and the tests): customer -> order -> item, country as a lookup.

Every kind the evaluation compares is here: numeric, integer, categorical, boolean, datetime,
date, text, a lookup foreign key, nulls, and customers without orders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import (
    Boolean,
    Categorical,
    Date,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
    Text,
)

WORDS = ["red", "blue", "green", "fast", "slow", "big", "small", "happy", "quiet", "loud", "new", "old"]

SCHEMA = Schema(
    customer=Table(id=PrimaryKey(), segment=Categorical(), signup=Datetime(), vip=Boolean(), name=Text()),
    order=Table(
        id=PrimaryKey(),
        customer=ForeignKey(parent="customer"),
        amount=Numeric(),
        n_items=Integer(),
        status=Categorical(),
        country=ForeignKey(parent="country"),
        placed=Date(),
        note=Text(),
    ),
    item=Table(
        id=PrimaryKey(), order=ForeignKey(parent="order"), price=Numeric(), qty=Integer(), product=Categorical()
    ),
    country=Table(id=PrimaryKey(), name=Categorical()),
    lookups=["country"],
)


def _text(rng: np.random.Generator, n: int, n_words: tuple[int, int]) -> list[str]:
    return [" ".join(rng.choice(WORDS, size=rng.integers(*n_words))) for _ in range(n)]


def make_data(
    seed: int = 0, n_customers: int = 120, key_offset: int = 0, orders_per_customer: float = 1.5
) -> RelationalData:
    """A sample of the test database's distribution; `key_offset` moves every primary key."""
    rng = np.random.default_rng(seed)
    k = key_offset
    vip = rng.random(n_customers) < 0.3
    customer = pd.DataFrame(
        {
            "id": np.arange(n_customers) + k,
            "segment": rng.choice(["a", "b", "c"], size=n_customers, p=[0.5, 0.3, 0.2]),
            "signup": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n_customers), unit="D"),
            "vip": vip,
            "name": _text(rng, n_customers, (1, 4)),
        }
    )
    customer.loc[rng.random(n_customers) < 0.1, "signup"] = pd.NaT
    n_orders = rng.poisson(orders_per_customer + 1.5 * vip)  # some customers have none
    owner = np.repeat(np.arange(n_customers), n_orders)
    n = len(owner)
    n_items = rng.integers(1, 5, n)
    amount = n_items * rng.gamma(4.0, 10.0, n) + 50 * vip[owner]
    order = pd.DataFrame(
        {
            "id": np.arange(n) + k,
            "customer": owner + k,
            "amount": np.where(rng.random(n) < 0.05, np.nan, amount),
            "n_items": n_items,
            "status": np.where(amount > 120, "big", rng.choice(["open", "closed"], size=n)),
            "country": rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1]),
            "placed": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "note": [t if rng.random() < 0.7 else None for t in _text(rng, n, (2, 8))],
        }
    )
    item_owner = np.repeat(np.arange(n), n_items)
    m = len(item_owner)
    item = pd.DataFrame(
        {
            "id": np.arange(m) + k,
            "order": item_owner + k,
            "price": rng.lognormal(2.0, 0.5, m),
            "qty": rng.integers(1, 4, m),
            "product": rng.choice(["p1", "p2", "p3", "p4"], size=m),
        }
    )
    country = pd.DataFrame({"id": [1, 2, 3], "name": ["it", "fr", "de"]})
    return RelationalData({"customer": customer, "order": order, "item": item, "country": country}, SCHEMA)


def rekey(data: RelationalData, offset: int) -> RelationalData:
    """The same rows with every synthesised primary key (and the parent keys pointing to it) moved."""
    tables = {}
    for name, df in data.items():
        df = df.copy()
        if name not in data.schema.lookups:
            df["id"] = df["id"] + offset
            edge = data.schema.parent(name)
            if edge is not None:
                df[edge.fk] = df[edge.fk] + offset
        tables[name] = df
    return RelationalData(tables, data.schema)


def replace(data: RelationalData, **tables: pd.DataFrame) -> RelationalData:
    return RelationalData({**data.data, **tables}, data.schema)

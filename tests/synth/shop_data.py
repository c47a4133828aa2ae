"""Test data for the synthesis tests: a generated 4-level shop with two roots, and a reference
depth-first order written independently of the encoder.

`shop`: customer -> order -> item -> note (note holds keys only), a second root supplier ->
shipment, and a store lookup. Columns cover nulls, rare categories, datetimes, dates, times,
booleans, integers and floats; some customers have no order and some orders no item.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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
    Time,
)
from relsynth.synth import ModelSize

ROOT = Path(__file__).resolve().parents[2]
TINY = ModelSize(n_layers=1, h=2, d=16, kv_heads=1)  # one key/value head, as the small and medium presets
RARE_SEGMENTS = ["platinum", "diamond"]  # appear once or twice: below min_count=5


def shop_schema() -> Schema:
    return Schema(
        customer=Table(
            id=PrimaryKey(),
            name=Text(),
            segment=Categorical(),
            signup=Datetime(),
            birth=Date(),
            vip=Boolean(),
            age=Integer(),
            score=Numeric(),
        ),
        order=Table(
            id=PrimaryKey(),
            customer=ForeignKey(parent="customer"),
            store=ForeignKey(parent="store"),
            placed=Datetime(),
            total=Numeric(),
            channel=Categorical(),
        ),
        item=Table(
            id=PrimaryKey(),
            order=ForeignKey(parent="order"),
            qty=Integer(),
            price=Numeric(),
            at=Time(),
        ),
        note=Table(id=PrimaryKey(), item=ForeignKey(parent="item")),
        supplier=Table(id=PrimaryKey(), country=Categorical(), rating=Integer()),
        shipment=Table(id=PrimaryKey(), supplier=ForeignKey(parent="supplier"), weight=Numeric()),
        store=Table(id=PrimaryKey(), city=Categorical()),
        lookups=["store"],
    )


def make_shop(n_customers: int = 40, n_suppliers: int = 12, seed: int = 0) -> RelationalData:
    """A database whose child tables are shuffled (not grouped by parent); rows 1-3 hold the rare segments."""
    rng = np.random.default_rng(seed)
    n = n_customers
    segment = rng.choice(["retail", "pro", "student"], size=n).astype(object)
    segment[rng.random(n) < 0.1] = None
    segment[1:4] = [RARE_SEGMENTS[0], RARE_SEGMENTS[1], RARE_SEGMENTS[1]]
    age = pd.array(rng.integers(18, 90, size=n), dtype="Int64")
    age[rng.random(n) < 0.15] = pd.NA
    score = np.round(rng.normal(50, 20, size=n), 2)
    score[rng.random(n) < 0.1] = np.nan
    customer = pd.DataFrame(
        {
            "id": np.arange(100, 100 + n),
            "name": [f"customer {i}" for i in range(n)],
            "segment": segment,
            "signup": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**8, size=n), unit="s"),
            "birth": pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 20000, size=n), unit="D"),
            "vip": pd.array(rng.random(n) < 0.3, dtype="boolean"),
            "age": age,
            "score": score,
        }
    )
    customer.loc[rng.random(n) < 0.1, "signup"] = pd.NaT
    # orders: customers 0, 5, 10, ... have none
    per_customer = np.where(np.arange(n) % 5 == 0, 0, rng.integers(1, 4, size=n))
    order_customer = np.repeat(customer["id"].to_numpy(), per_customer)
    m = len(order_customer)
    order = pd.DataFrame(
        {
            "id": np.arange(1, m + 1),
            "customer": order_customer,
            "store": rng.choice([1, 2, 3], size=m),
            "placed": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 10**7, size=m), unit="s"),
            "total": np.round(rng.gamma(2.0, 30.0, size=m), 2),
            "channel": rng.choice(["web", "shop", "phone"], size=m, p=[0.6, 0.3, 0.1]),
        }
    )
    per_order = np.where(np.arange(m) % 4 == 0, 0, rng.integers(1, 4, size=m))
    item_order = np.repeat(order["id"].to_numpy(), per_order)
    k = len(item_order)
    qty = pd.array(rng.integers(1, 6, size=k), dtype="Int64")
    qty[rng.random(k) < 0.1] = pd.NA
    item = pd.DataFrame(
        {
            "id": [f"IT{i:05d}" for i in range(k)],
            "order": item_order,
            "qty": qty,
            "price": np.round(rng.uniform(1, 100, size=k), 2),
            "at": [dt.time(int(h), int(mi), int(s)) for h, mi, s in rng.integers(0, 60, size=(k, 3)) % [24, 60, 60]],
        }
    )
    per_item = rng.integers(0, 3, size=k)
    note = pd.DataFrame({"id": np.arange(1, per_item.sum() + 1), "item": np.repeat(item["id"].to_numpy(), per_item)})
    supplier = pd.DataFrame(
        {
            "id": np.arange(1, n_suppliers + 1),
            "country": rng.choice(["FR", "DE", "IT"], size=n_suppliers),
            "rating": rng.integers(1, 6, size=n_suppliers),
        }
    )
    per_supplier = np.where(np.arange(n_suppliers) % 3 == 0, 0, rng.integers(1, 5, size=n_suppliers))
    shipment = pd.DataFrame(
        {
            "id": np.arange(1, per_supplier.sum() + 1),
            "supplier": np.repeat(supplier["id"].to_numpy(), per_supplier),
            "weight": np.round(rng.exponential(10, size=per_supplier.sum()), 1),
        }
    )
    store = pd.DataFrame({"id": [1, 2, 3], "city": ["Paris", "Lyon", "Nice"]})
    tables = {"customer": customer, "order": order, "item": item, "note": note}
    tables |= {"supplier": supplier, "shipment": shipment, "store": store}
    # shuffle every child table: the encoder must group children under parents itself
    for t in ("order", "item", "note", "shipment"):
        tables[t] = tables[t].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return RelationalData(tables, shop_schema())


def customers_only(data: RelationalData) -> RelationalData:
    """The shop without the supplier tree: one root table (for ctx_cols)."""
    schema = Schema(
        {t: data.schema.tables[t] for t in ("customer", "order", "item", "note", "store")}, lookups=["store"]
    )
    return RelationalData({t: data[t] for t in schema.tables}, schema)


# ---- a reference serialisation order, written independently of the encoder -----------------------
def dfs_rows(data: RelationalData) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Per table: original row positions in depth-first order, and each row's parent (its position
    in the parent's depth-first list; -1 for roots). Children keep their order in the data."""
    schema = data.schema
    kids: dict[tuple[str, object], list[int]] = {}
    for t in schema.synth_tables:
        edge = schema.parent(t)
        if edge is not None:
            for i, key in enumerate(data[t][edge.fk]):
                kids.setdefault((t, key), []).append(i)
    rows = {t: [] for t in schema.synth_tables}
    parents = {t: [] for t in schema.synth_tables}

    def visit(t: str, i: int, parent: int) -> None:
        rows[t].append(i)
        parents[t].append(parent)
        me = len(rows[t]) - 1
        key = data[t][schema.tables[t].primary_key].iloc[i] if schema.tables[t].primary_key else None
        for c in schema.children(t):
            for j in kids.get((c, key), []):
                visit(c, j, me)

    for r in schema.roots:
        for i in range(len(data[r])):
            visit(r, i, -1)
    return rows, parents

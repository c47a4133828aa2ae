"""A slowly changing dimension nested by versions (`relational.versions`) is generated as versions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from shop_data import TINY

from relsynth.relational import RelationalData, Schema
from relsynth.relational.versions import nest_versions, unnest_versions
from relsynth.synth import TabularModel, TabularPreproc


def scd_star(n: int = 60, seed: int = 0) -> RelationalData:
    """`n` customers of 1-3 contiguous versions (the current one ending 9999-12-31), sales in each."""
    rng = np.random.default_rng(seed)
    versions, sales = [], []
    for c in range(n):
        start, name, city = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 400))), f"name {c % 7}", "Lyon"
        n_versions = int(rng.integers(1, 4))
        for v in range(n_versions):
            end = (
                dt.date(9999, 12, 31) if v == n_versions - 1 else start + dt.timedelta(days=int(rng.integers(60, 300)))
            )
            sk = len(versions) + 1
            versions.append((sk, f"C{c:04d}", name, city, start, end, int(v == n_versions - 1)))
            for _ in range(int(rng.integers(1, 5))):
                sales.append((len(sales) + 1, sk, start + dt.timedelta(days=int(rng.integers(0, 50)))))
            if v < n_versions - 1:
                start, city = end + dt.timedelta(days=1), str(rng.choice(["Lyon", "Paris", "Nice"]))
    cols = ["customer_sk", "customer_id", "name", "city", "valid_from", "valid_to", "is_current"]
    frames = {
        "dim_customer": pd.DataFrame(versions, columns=cols),
        "fact_sales": pd.DataFrame(sales, columns=["sale_id", "customer_sk", "sold"]),
    }
    schema = Schema.infer(frames, primary_keys={"dim_customer": "customer_sk", "fact_sales": "sale_id"},
                          foreign_keys={"fact_sales": {"customer_sk": "dim_customer"}})  # fmt: skip
    return RelationalData(frames, schema)


def test_a_generated_customer_has_versions_of_one_name_and_sales_within_them() -> None:
    """Read as it is, dim_customer's business key was rare labels: every generated row a customer of
    its own (0 of 150 customers with two versions, a trained small model on 1,100 versions of 500
    customers). Nested by versions, an untrained model's customers have several versions under one
    name, the current one ending 9999-12-31 again, and sales dated within their version."""
    nested = nest_versions(scd_star(), "dim_customer", "customer_id")
    pre = TabularPreproc.from_schema(schema=nested.schema).fit(data=nested)
    synth = unnest_versions(TabularModel.build(pre, size=TINY).generate(n_samples=40, seed=0))
    customers, sales = synth["dim_customer"], synth["fact_sales"]
    assert list(customers.columns) == list(scd_star()["dim_customer"].columns)
    per_customer = customers.groupby("customer_id")
    assert (per_customer.size() > 1).sum() >= 10, per_customer.size().value_counts()
    assert (per_customer["name"].nunique() == 1).all()
    assert "9999-12-31" in set(synth.to_source("dim_customer")["valid_to"].astype(str))
    dated = sales.merge(customers, on="customer_sk")
    assert len(dated) == len(sales) and (dated["sold"] >= dated["valid_from"]).all()

"""A column whose values repeat its parent row's text (an invoice's billing address, its customer's) is read
as text, by `Schema.infer` and `from_sql`: as a category it replays training addresses beside other customers."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational.copies import copied_share
from relsynth.relational.errors import DataError

STREETS = ["Rue Royale", "Calle Mayor", "Via Roma", "Main Street", "High Street", "Oak Lane"]


def billing(n_customers: int = 60, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Customers with a (unique) address, a tier and a city; 7 invoices each, billed to the customer's address and
    city in 9 of 10, and a label drawn apart from the customer's."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame(
        {
            "customer_id": range(1, n_customers + 1),
            "address": [f"{rng.integers(1, 99)} {rng.choice(STREETS)} {i}" for i in range(n_customers)],
            "tier": rng.choice(["gold", "silver"], n_customers),
            "city": [f"Town {k}" for k in rng.integers(0, 30, n_customers)],  # ~2 customers each
            "postcode": [f"PC-{k:05d}" for k in rng.choice(99999, n_customers, replace=False)],  # a code
        }
    )
    rows = []
    for c, address, city, code in customers[["customer_id", "address", "city", "postcode"]].itertuples(index=False):
        for _ in range(7):
            home = rng.random() < 0.9
            elsewhere = f"{rng.integers(1, 99)} {rng.choice(STREETS)} depot"
            label = rng.choice(["gold", "silver"])
            rows.append((c, address if home else elsewhere, city if home else "Depot", code if home else "PC-0", label))
    invoices = pd.DataFrame(
        rows, columns=["customer_id", "billing_address", "billing_city", "billing_postcode", "channel"]
    )
    invoices.insert(0, "invoice_id", range(1, len(invoices) + 1))
    return {"customers": customers, "invoices": invoices}


def test_schema_infer_reads_a_column_repeating_its_parents_text_as_text():
    frames = billing()
    plain = Schema.infer({"invoices": frames["invoices"]}, primary_keys={"invoices": "invoice_id"})
    assert plain.tables["invoices"].columns["billing_address"].kind is Column.CATEGORICAL  # alone: labels that repeat
    schema = Schema.infer(
        frames,
        primary_keys={"customers": "customer_id", "invoices": "invoice_id"},
        foreign_keys={"invoices": {"customer_id": "customers"}},
    )
    invoices = schema.tables["invoices"].columns
    assert schema.tables["customers"].columns["address"].kind is Column.TEXT
    assert invoices["billing_address"].kind is Column.TEXT
    assert "customers.address" in schema.inference["invoices"]["billing_address"]
    assert invoices["channel"].kind is Column.CATEGORICAL  # labels, no copy of any text
    # a text many customers share is a label: kept with the row's other labels by the tabular model
    assert schema.tables["customers"].columns["city"].kind is Column.TEXT
    assert invoices["billing_city"].kind is Column.CATEGORICAL
    # a customer's code (generated fresh) repeated: text, which copies the generated customer's
    assert schema.tables["customers"].columns["postcode"].kind is Column.IDENTIFIER
    assert invoices["billing_postcode"].kind is Column.TEXT


def test_a_kind_the_user_gives_is_kept():
    schema = Schema.infer(
        billing(),
        primary_keys={"customers": "customer_id", "invoices": "invoice_id"},
        foreign_keys={"invoices": {"customer_id": "customers"}},
        overrides={"invoices": {"billing_address": "categorical"}},
    )
    assert schema.tables["invoices"].columns["billing_address"].kind is Column.CATEGORICAL


def test_from_sql_reads_it_as_text_too(tmp_path):
    frames, path = billing(), tmp_path / "billing.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(
            "CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, address VARCHAR(60), tier VARCHAR(10), city TEXT, postcode TEXT);"
            "CREATE TABLE invoices (invoice_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),"
            " billing_address VARCHAR(60), billing_city TEXT, billing_postcode TEXT, channel VARCHAR(10));"
        )
        for name, df in frames.items():
            con.executemany(
                f"INSERT INTO {name} VALUES ({','.join('?' * df.shape[1])})", df.astype(object).values.tolist()
            )
    data = RelationalData.from_sql(f"sqlite:///{path}")
    assert data.schema.tables["invoices"].columns["billing_address"].kind is Column.TEXT
    assert data.schema.tables["invoices"].columns["channel"].kind is Column.CATEGORICAL
    assert data["invoices"].billing_address.map(type).eq(str).all()


def test_a_share_chance_reaches_is_no_copy():
    """Two columns nearly always holding one value agree in most rows by chance alone (Cohen's kappa ~0)."""
    rng = np.random.default_rng(1)
    a = pd.Series(np.where(rng.random(300) < 0.9, "none", "some"))
    b = pd.Series(np.where(rng.random(300) < 0.9, "none", "some"))
    assert (a == b).mean() > 0.7 and copied_share(a, b) is None
    assert copied_share(a, a) == 1.0 and copied_share(a.head(10), a.head(10)) is None  # too few rows


def test_a_repeated_parent_key_is_refused_as_data_not_by_pandas():
    """A customer key held twice names no one row: `Schema.infer` failed on it with pandas'
    `InvalidIndexError` (reading which customer's address an invoice repeats), where it read the
    schema before and `RelationalData` refused the key with a `DataError` saying how to fix it."""
    frames = billing()
    frames["customers"].loc[1, "customer_id"] = 1  # customers 1 and 2 share a key
    keys = {"primary_keys": {"customers": "customer_id", "invoices": "invoice_id"}}
    schema = Schema.infer(frames, **keys, foreign_keys={"invoices": {"customer_id": "customers"}})
    with pytest.raises(DataError, match="duplicated value"):
        RelationalData(frames, schema)

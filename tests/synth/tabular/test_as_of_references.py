"""A fact naming the dimension's version valid when it happened: an order's `customer_sk`, the
customer's version valid from before the order (an as-of join over an SCD type 2 dimension);
pairing left 318 of 998 generated orders on a version ended or not yet begun."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, Datetime, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc


def warehouse(n: int = 200, seed: int = 0, as_of: bool = True) -> RelationalData:
    """customers -> versions (1-4, each valid from a date to the next one's, the last open) and orders (0-5, each
    naming the version valid at its date, or any version of its customer)."""
    rng = np.random.default_rng(seed)
    cust = np.repeat(np.arange(n), rng.integers(1, 5, n))
    rank = pd.Series(cust).groupby(cust).cumcount().to_numpy()
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D")
    days = pd.Series(np.where(rank == 0, 0, rng.integers(30, 200, len(cust)))).groupby(cust).cumsum().to_numpy()
    versions = pd.DataFrame(
        {"id": range(len(cust)), "customer": cust, "valid_from": start[cust] + pd.to_timedelta(days, "D")}
    )
    versions["valid_to"] = versions.groupby("customer")["valid_from"].shift(-1)  # the current one: open
    o_cust = np.repeat(np.arange(n), rng.integers(0, 6, n))
    placed = start[o_cust] + pd.to_timedelta(rng.integers(0, 900 * 1440, len(o_cust)), "min")  # a time of day
    orders = pd.DataFrame({"id": range(len(o_cust)), "customer": o_cust, "placed": placed})
    orders["amount"] = rng.gamma(2.0, 30.0, len(orders)).round(2)
    valid = pd.merge_asof(
        orders.sort_values("placed"),
        versions.sort_values("valid_from"),
        left_on="placed",
        right_on="valid_from",
        by="customer",
        suffixes=("", "_v"),
    )
    orders["version"] = orders["id"].map(valid.set_index("id")["id_v"])
    if not as_of:  # any version of the customer's
        orders["version"] = [rng.choice(versions.index[versions["customer"] == c]) for c in o_cust]
    schema = Schema(
        customer=Table(id=PrimaryKey()),
        version=Table(id=PrimaryKey(), customer=ForeignKey("customer"), valid_from=Date(), valid_to=Date()),
        orders=Table(
            id=PrimaryKey(),
            customer=ForeignKey("customer"),
            placed=Datetime(),
            amount=Numeric(),
            version=ForeignKey("version"),
        ),
    )
    # each order's events from its time: a date other rows count from, which no rule moves onto its version
    ev_order = np.repeat(orders["id"].to_numpy(), 2)
    steps = pd.to_timedelta(np.tile([0, 1], len(orders)) * rng.integers(60, 5000, len(ev_order)), "min")
    events = pd.DataFrame(
        {"id": range(len(ev_order)), "order": ev_order, "at": orders["placed"].to_numpy()[ev_order] + steps}
    )
    schema = Schema(**schema.tables, event=Table(id=PrimaryKey(), order=ForeignKey("orders"), at=Datetime()))
    frames = {"customer": pd.DataFrame({"id": range(n)}), "version": versions, "orders": orders, "event": events}
    return RelationalData(frames, schema)


def off_version(data: RelationalData) -> int:
    """Orders naming a version that is not their customer's latest valid on or before their date."""
    o, v = data["orders"], data["version"]
    valid = pd.merge_asof(
        o.sort_values("placed"),
        v.sort_values("valid_from"),
        left_on="placed",
        right_on="valid_from",
        by="customer",
        suffixes=("", "_v"),
    )
    return int((valid["version"] != valid["id_v"]).sum())


def test_a_fact_names_the_version_valid_at_its_date(tiny_size):
    data = warehouse()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    fitted = pre.stats["references"]["orders.version"]
    assert fitted["within"] == "customer" and fitted["as_of"] == ["placed", "valid_from"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: dates and degrees drawn at random
    assert off_version(model.generate(200, seed=0)) == 0
    fitted["as_of"] = None  # without: the test can tell
    assert off_version(model.generate(200, seed=0)) > 50


def test_no_as_of_where_facts_name_any_version():
    pre = TabularPreproc.from_schema(warehouse().schema).fit(warehouse(as_of=False))
    assert pre.stats["references"]["orders.version"]["as_of"] is None

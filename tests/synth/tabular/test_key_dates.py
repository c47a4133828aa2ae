"""Keys numbered in the order of a date, as the source's are (ids given as rows were created)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular._tables import key_date


def shop(n: int = 120, seed: int = 0) -> RelationalData:
    """customers (ids in order of joining) -> 1-6 orders each (ids in order of ordering, across
    customers), every table stored in random row order; a due date in no order."""
    rng = np.random.default_rng(seed)
    joined = np.sort(pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"))
    customers = pd.DataFrame({"id": range(1, n + 1), "joined": joined})
    cust = np.repeat(np.arange(n), rng.integers(1, 7, n))
    ordered = joined[cust] + pd.to_timedelta(rng.integers(0, 400, len(cust)), "D")
    order = np.argsort(ordered, kind="stable")
    orders = pd.DataFrame(
        {
            "id": np.arange(1, len(cust) + 1),
            "customer": cust[order] + 1,
            "ordered": ordered[order],
            "due": pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 700, len(cust)), "D"),
            "amount": rng.gamma(2, 30, len(cust)).round(2),
        }
    )
    schema = Schema(
        customer=Table(id=PrimaryKey(), joined=Date()),
        order=Table(id=PrimaryKey(), customer=ForeignKey("customer"), ordered=Date(), due=Date(), amount=Numeric()),
    )
    tables = {"customer": customers.sample(frac=1, random_state=1), "order": orders.sample(frac=1, random_state=2)}
    return RelationalData({t: df.reset_index(drop=True) for t, df in tables.items()}, schema)


def rank_corr(df: pd.DataFrame, date: str) -> float:
    return float(df["id"].rank().corr(df[date].rank()))


def test_the_date_numbered_keys_follow_is_found():
    orders = shop()["order"]
    assert key_date(orders, "id", ["due", "ordered"]) == "ordered"
    assert key_date(orders, "id", ["due"]) is None  # drawn apart from the keys
    coded = orders.assign(id="ORD-" + orders["id"].astype(str).str.zfill(5))
    assert key_date(coded, "id", ["ordered"]) == "ordered"  # the number in a code
    assert key_date(orders.head(15), "id", ["ordered"]) is None  # too few rows


def test_a_date_that_never_changes_is_no_key_date_and_warns_nothing():
    """A snapshot date, the same in every row: no order to follow (was numpy's "invalid value
    encountered in divide" from a correlation with a constant, on every fit)."""
    orders = shop()["order"].assign(snapshot=pd.Timestamp("2023-01-01"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert key_date(orders, "id", ["snapshot"]) is None


def test_generated_keys_rise_with_the_date_the_sources_follow():
    data = shop()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["key_dates"] == {"customer": "joined", "order": "ordered"}
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")  # untrained: dates drawn in any order
    synth = model.generate(100, seed=0)
    assert rank_corr(synth["order"], "ordered") > 0.99 and rank_corr(synth["customer"], "joined") > 0.99
    assert synth["order"]["id"].is_monotonic_increasing  # rows stored in key order
    orders = synth["order"].merge(synth["customer"], left_on="customer", right_on="id", suffixes=("", "_c"))
    assert len(orders) == len(synth["order"])  # every order still names its customer
    pre.stats["key_dates"] = {}
    plain = model.generate(100, seed=0)
    assert rank_corr(plain["order"], "ordered") < 0.5

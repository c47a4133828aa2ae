"""Children of one parent that follow one another in time (an account's transactions) are encoded
in date order, whatever order the table stores them in."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Column, Date, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.relational.orders import sibling_key
from relsynth.synth import DpBudget, TabularPreproc


def accounts(n: int = 60, seed: int = 0, shuffled: bool = True, due: bool = True) -> RelationalData:
    """accounts (opened) -> transactions 2-6 each, weekly from the opening day (few offsets: each
    is a token of its own, so a round trip gives the dates back), and (`due`) a date in no order."""
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    acct = np.repeat(np.arange(n), rng.integers(2, 7, n))
    days = 7 * pd.Series(acct).groupby(acct).cumcount().to_numpy()
    tx = pd.DataFrame(
        {
            "id": range(len(acct)),
            "acct": acct,
            "due": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, len(acct)), "D"),
            "date": opened[acct] + pd.to_timedelta(days, "D"),
            "amount": rng.gamma(2, 40, len(acct)).round(2),
        }
    )
    if shuffled:
        tx = tx.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cols = {"id": PrimaryKey(), "acct": ForeignKey(parent="acct"), "due": Date(), "date": Date(), "amount": Numeric()}
    if not due:
        tx, cols = tx.drop(columns="due"), {c: k for c, k in cols.items() if c != "due"}
    schema = Schema(acct=Table(id=PrimaryKey(), opened=Date()), tx=Table(**cols))
    return RelationalData({"acct": pd.DataFrame({"id": range(n), "opened": opened}), "tx": tx}, schema)


def out_of_order(tx: pd.DataFrame) -> float:
    """Share of accounts whose transactions, in row order, are not in date order."""
    return float(tx.groupby("acct", sort=False)["date"].apply(lambda s: not s.is_monotonic_increasing).mean())


def test_the_siblings_date_is_the_one_the_stored_rows_follow_most_often():
    kinds = {"due": Column.DATE, "date": Column.DATE, "amount": Column.NUMERIC}
    stored = accounts(shuffled=False)["tx"]
    assert sibling_key(stored, "acct", ["due", "date", "amount"], kinds) == "date"  # stored in date order
    shuffled = accounts()["tx"]
    assert sibling_key(shuffled, "acct", ["due", "date", "amount"], kinds) in {"due", "date"}
    assert sibling_key(shuffled, "acct", ["amount"], kinds) is None  # no date
    few = stored[stored["acct"] < 10]  # 10 parents with two rows or more: too few
    assert sibling_key(few, "acct", ["due", "date"], kinds) is None


def test_each_parents_rows_are_encoded_in_date_order_and_the_key_is_saved(tmp_path):
    data = accounts(due=False)
    assert out_of_order(data["tx"]) > 0.8
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.sibling_keys == {"tx": "date"}
    back = pre.inverse_transform(pre.transform(data), seed=1)["tx"]
    assert len(back) == len(data["tx"]) and out_of_order(back) == 0.0  # what the model sees: time order
    pre.save(tmp_path / "pre")
    loaded = TabularPreproc.load(tmp_path / "pre")
    assert loaded.sibling_keys == {"tx": "date"} and loaded.fingerprint() == pre.fingerprint()
    unsorted = TabularPreproc.from_dict(pre.to_dict())
    unsorted.sibling_keys = {}
    assert unsorted.fingerprint() != pre.fingerprint()  # a dataset encoded in stored order is told apart


def test_no_sibling_order_under_dp_or_without_orders():
    data = accounts()
    assert TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5)).sibling_keys == {}
    assert TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data).sibling_keys == {}

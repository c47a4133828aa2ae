"""Children of one parent that follow one another in time (an account's transactions) are encoded
in date order, whatever order the table stores them in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import Column, Date, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.relational.orders import sibling_key
from relsynth.synth import DpBudget, TabularPreproc
from relsynth.synth.tabular.orderings import Ordering, from_offsets, with_offsets


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
    assert sibling_key(shuffled, "acct", ["due", "date", "amount"], kinds) == "date"
    assert sibling_key(shuffled, "acct", ["due", "amount"], kinds) is None  # dates drawn within a window
    assert sibling_key(shuffled, "acct", ["amount"], kinds) is None  # no date
    lines = shuffled.assign(line=shuffled.groupby("acct").cumcount() + 1)  # stored in line order (TPC-H)
    assert sibling_key(lines, "acct", ["due", "date", "line"], kinds | {"line": Column.INTEGER}) is None
    dated = stored.assign(line=stored.groupby("acct").cumcount() + 1)  # both: the date
    assert sibling_key(dated, "acct", ["line", "due", "date"], kinds | {"line": Column.INTEGER}) == "date"
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


def test_offsets_from_the_previous_sibling_sum_back_within_each_parent():
    opened = pd.Series(pd.to_datetime(["2020-01-01", "2020-03-01"]))
    df = pd.DataFrame(
        {
            "acct": [1, 0, 1, 0, 0, 1],
            "date": pd.to_datetime(["2020-03-09", "2020-01-05", "2020-03-02", "2020-01-02", None, "2020-03-02"]),
        }
    )
    parent = pd.DataFrame({"opened": opened[df["acct"]].to_numpy()})
    order = Ordering("date", "opened", 1, from_parent=True, grid=86_400 * 10**9, after_sibling=True)
    gaps = with_offsets(df, {"date": order}, parent, df["acct"].to_numpy())["date"] / 86_400
    assert gaps.tolist()[:4] == [7, 3, 1, 1] and np.isnan(gaps[4]) and gaps[5] == 0  # ties: no gap
    in_order = df.sort_values(["acct", "date"], kind="stable").index.to_numpy()
    cols = {"date": (gaps[in_order] * 86_400).reset_index(drop=True)}
    from_offsets(cols, {"date": order}, parent.iloc[in_order].reset_index(drop=True), df["acct"].to_numpy()[in_order])
    assert cols["date"].tolist() == df["date"][in_order].tolist()
    with pytest.raises(ValueError, match="previous sibling's needs each row's parent"):
        with_offsets(df, {"date": order}, parent)


def test_dates_after_the_parents_are_modelled_from_the_previous_sibling_and_decoded_in_order():
    data = accounts(due=False)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["tx"]["date"].after_sibling
    back = pre.inverse_transform(pre.transform(data), seed=1)
    opened = back["acct"].set_index("id")["opened"].reindex(back["tx"]["acct"]).to_numpy()
    real = data["acct"].set_index("id")["opened"].reindex(data["tx"]["acct"]).to_numpy()
    days = (back["tx"]["date"].to_numpy() - opened) / pd.Timedelta("1D")  # weekly: exact tokens
    assert sorted(days) == sorted((data["tx"]["date"].to_numpy() - real) / pd.Timedelta("1D"))
    assert out_of_order(back["tx"]) == 0.0 and days.min() == 0
    gaps = pd.Series(np.random.default_rng(0).exponential(3 * 86_400, 50))  # any offsets: summed in order
    cols = {"date": gaps}
    siblings = np.repeat(np.arange(10), 5)
    parent = pd.DataFrame({"opened": data["acct"]["opened"].to_numpy()[siblings]})
    from_offsets(cols, pre.orderings["tx"], parent, siblings)
    assert out_of_order(pd.DataFrame({"acct": siblings, "date": cols["date"]})) == 0.0

"""Sibling sums: an order's payments adding up to its items' price plus freight, two tables under one order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularPreproc
from relsynth.synth.tabular.rules import sibling_sums
from relsynth.synth.tabular.rules.sibling_sums import apply_sibling_sums
from relsynth.synth.tabular.rules.totals import sum_over


def orders(n: int = 150, seed: int = 0, paid_in_full: bool = True) -> RelationalData:
    """order -> item (price, freight), order -> payment (value): 1 to 3 items, 1 to 3 payments a
    order whose values add up to the items' price + freight (`paid_in_full`; else drawn apart);
    every tenth order has no items (unavailable) and one payment of its own amount."""
    rng = np.random.default_rng(seed)
    items, payments = [], []
    for o in range(n):
        total = 0.0
        for _ in range(0 if o % 10 == 9 else int(rng.integers(1, 4))):
            price, freight = round(float(rng.lognormal(4, 0.8)), 2), round(float(rng.uniform(5, 30)), 2)
            items.append((len(items), o, price, freight))
            total += price + freight
        total = round(total, 2) if total and paid_in_full else round(float(rng.lognormal(4.5, 0.8)), 2)
        parts = np.round(rng.dirichlet(np.ones(int(rng.integers(1, 4)))) * total, 2)
        parts[-1] = round(total - parts[:-1].sum(), 2)
        for value in parts:
            payments.append((len(payments), o, str(rng.choice(["card", "voucher"])), float(value)))
    schema = Schema(
        orders=Table(id=PrimaryKey(), channel=Categorical()),
        items=Table(id=PrimaryKey(), order_id=ForeignKey(parent="orders"), price=Numeric(), freight=Numeric()),
        payments=Table(id=PrimaryKey(), order_id=ForeignKey(parent="orders"), type=Categorical(), value=Numeric()),
    )
    frames = {
        "orders": pd.DataFrame({"id": range(n), "channel": rng.choice(["web", "app"], n)}),
        "items": pd.DataFrame(items, columns=["id", "order_id", "price", "freight"]),
        "payments": pd.DataFrame(payments, columns=["id", "order_id", "type", "value"]),
    }
    return RelationalData(frames, schema)


def _paid_in_full(back: dict[str, pd.DataFrame]) -> pd.Series:
    """Per order with items and payments: whether its payments add up to its items' price + freight."""
    items, payments = back["items"], back["payments"]
    due = (items["price"] + items["freight"]).groupby(items["order_id"]).sum()
    paid = payments["value"].groupby(payments["order_id"]).sum()
    both = pd.concat([due.rename("due"), paid.rename("paid")], axis=1).dropna()
    return (both["due"] - both["paid"]).abs() <= 0.005


def test_an_orders_payments_add_up_to_its_items_price_and_freight():
    """Payments written in bins, blind to the items under the same order: 0 of 135 decoded orders
    were paid in full (0 of 748 generated Olist-like orders), every one in the data. Scaled to the
    items' sum, every one is, to the cent, each payment still positive; an order without items
    keeps its payments."""
    data = orders()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["table"], r["of"], r["rows"], r["terms"]) for r in pre.stats["sibling_sums"]] == [
        ("payments", "value", "items", [["price"], ["freight"]])
    ]
    back = pre.inverse_transform(pre.transform(data), seed=0)
    assert _paid_in_full(back).mean() == 1.0
    value = back["payments"]["value"]
    assert (value == value.round(2)).all() and (value > 0).all()
    without_items = ~back["payments"]["order_id"].isin(back["items"]["order_id"])  # nothing to sum: kept
    assert without_items.sum() >= 15 and (value[without_items] > 0).all()


def test_sums_drawn_apart_or_a_dp_fit_keep_no_sibling_sum():
    """Payments of their own amount hold no sum of the items; a DP fit reads no such rule."""
    apart = orders(paid_in_full=False)
    assert TabularPreproc.from_schema(apart.schema).fit(apart).stats["sibling_sums"] == []
    data = orders()
    dp = DpBudget(epsilon=10.0, delta=1e-5)
    assert not TabularPreproc.from_schema(data.schema).fit(data, dp=dp).stats.get("sibling_sums")


def test_an_order_whose_items_hold_no_price_keeps_its_payments():
    """An order whose generated items hold no price nor freight has nothing for its payments to add up
    to: its payments were scaled to a sum of 0 (each 0.00, below the data's least payment). Now they
    keep their values, as an order without items does; the other orders are still paid in full."""
    data = orders()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    decoded = pre.inverse_transform(pre.transform(data), seed=0)
    back = {t: decoded[t].copy() for t in ("items", "payments")}
    blank = back["items"]["order_id"].isin([0, 1, 2])  # three orders' items drawn without a number
    back["items"].loc[blank, ["price", "freight"]] = np.nan
    before = back["payments"]["value"].copy()
    apply_sibling_sums(pre.stats["sibling_sums"], back)
    theirs = back["payments"]["order_id"].isin([0, 1, 2])
    assert theirs.sum() >= 3
    assert (back["payments"]["value"][theirs] == before[theirs]).all()
    assert _paid_in_full(back).drop([0, 1, 2], errors="ignore").mean() == 1.0


def test_the_fit_sums_each_column_of_a_sibling_once(monkeypatch):
    """The fit tries, for every number of a table, each sibling column, every two added and every two
    multiplied; each sum of two summed its columns again, so a column of 8 was summed over the rows
    9 times (16 numbers of 300,000 rows: 200 sums, 5.7-7.3 CPU s; /tmp/mends_work/sib_bench.py).
    Now each table's column (and product of two) is summed once: 74 sums, 4.7-5.0 CPU s there."""
    rng = np.random.default_rng(0)
    n_orders, n_rows, width = 100, 500, 6
    frames = {"order": pd.DataFrame({"id": range(n_orders)})}
    for table, prefix in (("item", "x"), ("pay", "p")):
        frame = pd.DataFrame({"id": range(n_rows), "order": np.sort(rng.integers(0, n_orders, n_rows))})
        for k in range(width):
            frame[f"{prefix}{k}"] = np.round(rng.gamma(2, 20, n_rows), 2)
        frames[table] = frame
    schema = Schema(
        order=Table(id=PrimaryKey()),
        item=Table(id=PrimaryKey(), order=ForeignKey(parent="order"), **{f"x{k}": Numeric() for k in range(width)}),
        pay=Table(id=PrimaryKey(), order=ForeignKey(parent="order"), **{f"p{k}": Numeric() for k in range(width)}),
    )
    data = RelationalData(frames, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    summed = []

    def counted(rows, fk, of, keys):
        summed.append((frozenset(rows.columns), tuple(of)))
        return sum_over(rows, fk, of, keys)

    monkeypatch.setattr(sibling_sums, "sum_over", counted)
    assert sibling_sums.find_sibling_sums(pre, data, set(), set()) == []  # sums drawn apart: every pair tried
    assert len(summed) == len(set(summed))
    assert len({s for s in summed if len(s[1]) == 1}) == 2 * width

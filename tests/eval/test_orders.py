"""The report's orders within rows: the share of synthetic rows keeping each order all training rows keep."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.eval import report
from relsynth.eval.orders import order_scores
from relsynth.relational import Categorical, Date, ForeignKey, PrimaryKey, RelationalData, Schema, Table

SCHEMA = Schema(
    cust=Table(id=PrimaryKey(), seg=Categorical(), joined=Date()),
    orders=Table(id=PrimaryKey(), cust=ForeignKey(parent="cust"), ordered=Date(), shipped=Date(), due=Date()),
)


def database(n_cust: int, seed: int, broken: float = 0.0) -> RelationalData:
    """ordered >= the customer's joined, shipped >= ordered; `broken`: the share of orders shipped a
    week before they were ordered (and placed before the customer joined). due: no order."""
    rng = np.random.default_rng(seed)
    joined = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, n_cust), "D")
    n = 4 * n_cust
    cust = rng.integers(0, n_cust, n)
    ordered = joined[cust] + pd.to_timedelta(rng.integers(0, 100, n), "D")
    shipped = ordered + pd.to_timedelta(rng.integers(0, 20, n), "D")
    bad = rng.random(n) < broken
    ordered = ordered.where(~bad, joined[cust] - pd.Timedelta("3D"))
    shipped = shipped.where(~bad, ordered - pd.Timedelta("7D"))
    orders = pd.DataFrame(
        {"id": range(n), "cust": cust, "ordered": ordered, "shipped": shipped,
         "due": pd.Timestamp("2020-06-01") + pd.to_timedelta(rng.integers(-200, 200, n), "D")}
    )  # fmt: skip
    customers = pd.DataFrame({"id": range(n_cust), "seg": rng.choice(["a", "b"], n_cust), "joined": joined})
    return RelationalData({"cust": customers, "orders": orders}, SCHEMA)


def test_each_order_of_the_training_rows_is_measured_on_synthetic_and_held_out_rows():
    scores = order_scores(database(60, 0), database(20, 1), database(50, 2, broken=0.25))
    by_order = {o["order"]: o for o in scores["orders"]}
    assert set(by_order) == {"ordered >= cust.joined", "shipped >= ordered"}  # due follows nothing
    for o in by_order.values():
        assert 0.6 < o["kept"] < 0.9 and o["kept_ceiling"] == 1.0 and o["rows"] == 200 and o["rows_ceiling"] == 80
    assert scores["overall"]["kept"] == np.mean([o["kept"] for o in by_order.values()])


def test_the_report_shows_the_orders_and_leaves_them_out_without_any(tmp_path):
    out = report(database(60, 0), database(20, 1), database(50, 2, broken=0.25), n_resamples=2, return_html=True)
    assert 0.6 < out["overall"]["orders_kept"] < 0.9 and out["overall"]["orders_kept_ceiling"] == 1.0
    assert 'id="orders"' in out["html"] and "shipped &gt;= ordered" in out["html"]
    assert "rows keeping the orders of their dates and numbers" in out["html"]
    plain = SCHEMA.tables["orders"]
    schema = Schema(cust=Table(id=PrimaryKey(), seg=Categorical()), orders=plain)
    shuffled = database(60, 0)
    rows = shuffled["orders"].assign(shipped=shuffled["orders"]["shipped"].sample(frac=1, random_state=0).to_numpy())
    no_order = RelationalData({"cust": shuffled["cust"].drop(columns="joined"), "orders": rows}, schema)
    out = report(no_order, no_order, no_order, n_resamples=2, return_html=True)
    assert out["overall"]["orders_kept"] is None and out["orders"]["orders"] == []
    assert 'id="orders"' not in out["html"] and "rows keeping the orders of their dates and numbers" not in out["html"]


def test_an_upper_bound_with_nulls_is_measured_too():
    """Lab results taken after their admission's discharge went unmeasured: taken_at's order was the
    one the model keeps (>= admitted), and discharged_at <= nothing else was looked for, a discharge
    being null for current stays. The report said 100 % of rows kept their orders while 27 % of the
    synthetic lab results of a hospital database were taken after discharge."""
    schema = Schema(
        adm=Table(id=PrimaryKey(), admitted=Date(), discharged=Date()),
        lab=Table(id=PrimaryKey(), adm=ForeignKey(parent="adm"), taken=Date()),
    )

    def hospital(n: int, seed: int, late: float = 0.0) -> RelationalData:
        rng = np.random.default_rng(seed)
        admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D")
        discharged = pd.Series(admitted + pd.to_timedelta(rng.integers(1, 20, n), "D")).where(rng.random(n) > 0.1)
        adm = rng.integers(0, n, 3 * n)
        stay = (discharged.fillna(admitted.to_series().reset_index(drop=True) + pd.Timedelta("2D")) - admitted).dt.days
        taken = admitted[adm] + pd.to_timedelta((rng.random(3 * n) * stay.to_numpy()[adm]).astype(int), "D")
        taken = taken.where(rng.random(3 * n) >= late, taken + pd.Timedelta("30D"))
        return RelationalData(
            {"adm": pd.DataFrame({"id": range(n), "admitted": admitted, "discharged": discharged}),
             "lab": pd.DataFrame({"id": range(3 * n), "adm": adm, "taken": taken})}, schema,
        )  # fmt: skip

    scores = order_scores(hospital(80, 0), hospital(30, 1), hospital(60, 2, late=0.3))
    by_order = {o["order"]: o for o in scores["orders"]}
    assert {"taken >= adm.admitted", "taken <= adm.discharged"} <= set(by_order)
    late = by_order["taken <= adm.discharged"]
    assert late["kept_ceiling"] == 1.0 and 0.6 < late["kept"] < 0.8


def test_orders_with_a_referenced_row_and_with_the_previous_sibling_are_measured_too():
    """A salary within its job's range (a reference, not the row's parent) and a stay admitted after
    the patient's previous discharge were kept by generation but never measured: the report was
    blind to salaries outside their job's range and to overlapping stays."""
    schema = Schema(
        job=Table(id=PrimaryKey(), low=Date(), high=Date()),
        patient=Table(id=PrimaryKey()),
        stay=Table(id=PrimaryKey(), patient=ForeignKey(parent="patient"), job=ForeignKey(parent="job", nest=False),
                   admitted=Date(), discharged=Date()),
    )  # fmt: skip

    def hospital(n: int, seed: int, broken: float = 0.0) -> RelationalData:
        rng = np.random.default_rng(seed)
        patient = np.repeat(np.arange(n), rng.integers(2, 5, n))
        los, gap = rng.integers(1, 10, len(patient)), rng.integers(1, 40, len(patient))
        gap = np.where(rng.random(len(patient)) < broken, -15, gap)  # admitted before the previous discharge
        days = pd.Series(gap + los).groupby(patient).cumsum() - los  # the previous discharge + gap
        admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(days, "D")
        low = pd.Timestamp("2019-06-01") + pd.to_timedelta(np.sort(rng.integers(0, 300, 10)), "D")
        low = low.where(np.arange(10) > 0, pd.Timestamp("2019-06-01"))
        # each stay's job one whose low is before its admission; `broken`: one after it, at times
        eligible = np.searchsorted(low.to_numpy(), admitted.to_numpy(), side="right")
        job = (rng.random(len(patient)) * eligible).astype(int)
        late = (rng.random(len(patient)) < broken) & (eligible < 10)
        job = np.where(late, eligible, job)
        tables = {
            "job": pd.DataFrame({"id": range(10), "low": low, "high": low + pd.Timedelta("2000D")}),
            "patient": pd.DataFrame({"id": range(n)}),
            "stay": pd.DataFrame({"id": range(len(patient)), "patient": patient, "job": job, "admitted": admitted,
                                  "discharged": admitted + pd.to_timedelta(los, "D")}),
        }  # fmt: skip
        return RelationalData(tables, schema)

    scores = order_scores(hospital(80, 0), hospital(30, 1), hospital(60, 2, broken=0.3))
    by_order = {o["order"]: o for o in scores["orders"]}
    assert {"admitted >= job->low", "admitted >= previous discharged"} <= set(by_order)
    for name in ("admitted >= job->low", "admitted >= previous discharged"):
        assert by_order[name]["kept_ceiling"] == 1.0 and by_order[name]["kept"] < 0.95, by_order[name]


SUBS = Schema(
    user=Table(id=PrimaryKey()),
    sub=Table(id=PrimaryKey(), user=ForeignKey(parent="user"), start=Date(), end=Date()),
)


def subscriptions(n: int, seed: int, open_early: float = 0.0) -> RelationalData:
    """Each subscription starts after the previous one ended, the current one open (no end);
    `open_early`: the share open, yet followed by another."""
    rng = np.random.default_rng(seed)
    user = np.repeat(np.arange(n), rng.integers(2, 5, n))
    length, gap = rng.integers(20, 200, len(user)), rng.integers(0, 30, len(user))
    days = pd.Series(gap + length).groupby(user).cumsum() - length
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(days, "D")
    last = np.r_[user[1:] != user[:-1], True]
    still_open = last | (rng.random(len(user)) < open_early)
    end = (start + pd.to_timedelta(length, "D")).where(~still_open)
    tables = {
        "user": pd.DataFrame({"id": range(n)}),
        "sub": pd.DataFrame({"id": range(len(user)), "user": user, "start": start, "end": end}),
    }
    return RelationalData(tables, SUBS)


def test_a_sibling_still_open_before_another_breaks_the_order_with_the_previous_sibling():
    """Each subscription starts after the previous one ended, the current one open (no end). A
    synthetic user with an open subscription followed by another (an open interval overlapping the
    next) was left out of the pairs measured: 37 such pairs of 87 read 'kept 1.0 on 50 pairs'."""
    scores = order_scores(subscriptions(80, 0), subscriptions(30, 1), subscriptions(60, 2, open_early=0.4))
    kept = {o["order"]: o for o in scores["orders"]}["start >= previous end"]
    synth = subscriptions(60, 2, open_early=0.4)["sub"]
    pairs = int((synth["user"].diff() == 0).sum())
    assert kept["kept_ceiling"] == 1.0 and kept["rows"] == pairs, kept
    assert 0.5 < kept["kept"] < 0.75, kept  # ~40 % of the pairs follow an open subscription


def test_the_report_says_what_an_order_across_rows_reads():
    """The section was headed 'Orders within rows' and explained only those, above rows such as
    'start >= previous end' counted in pairs of siblings, which it never explained."""
    out = report(subscriptions(80, 0), subscriptions(30, 1), subscriptions(60, 2), n_resamples=2, return_html=True)
    assert {o["order"]: o["across"] for o in out["orders"]["orders"]} == {
        "end >= start": "row",
        "start >= previous end": "sibling",
    }
    assert "<h2>Orders within and across rows</h2>" in out["html"]
    assert "pairs of consecutive siblings" in out["html"] and "fk-&gt;column" not in out["html"]
    within = report(database(60, 0), database(20, 1), database(50, 2), n_resamples=2, return_html=True)["html"]
    assert "<h2>Orders within rows</h2>" in within and "pairs of consecutive siblings" not in within

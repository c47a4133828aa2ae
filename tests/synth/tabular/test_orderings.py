"""Dates that follow one another in a row stay in order (shipped <= received, opened <= closed)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import (
    Categorical,
    Column,
    Date,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
    Time,
)
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular.orderings import Ordering, find_orderings, from_offsets, with_offsets

DAY = pd.Timedelta("1D")


def shipments(n: int = 300, seed: int = 0) -> RelationalData:
    """customers -> orders: ordered <= shipped <= received (days), opened <= closed (minutes, 20 % open),
    due: before or after shipping (no order)."""
    rng = np.random.default_rng(seed)
    ordered = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    shipped = ordered + pd.to_timedelta(rng.integers(0, 60, n), "D")
    opened = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), "min")
    closed = (opened + pd.to_timedelta(rng.exponential(300, n).round(), "min")).where(rng.random(n) > 0.2)
    orders = pd.DataFrame(
        {
            "id": range(n),
            "cust": rng.integers(0, 40, n),
            "ordered": ordered,
            "shipped": shipped,
            "due": ordered + pd.to_timedelta(rng.integers(20, 40, n), "D"),
            "received": shipped + pd.to_timedelta(rng.integers(1, 30, n), "D"),
            "opened": opened,
            "closed": closed,
        }
    )
    schema = Schema(
        cust=Table(id=PrimaryKey(), seg=Categorical()),
        orders=Table(
            id=PrimaryKey(),
            cust=ForeignKey(parent="cust"),
            ordered=Date(),
            shipped=Date(),
            due=Date(),
            received=Date(),
            opened=Datetime(),
            closed=Datetime(),
        ),
    )
    cust = pd.DataFrame({"id": range(40), "seg": rng.choice(["a", "b"], 40)})
    return RelationalData({"cust": cust, "orders": orders}, schema)


def test_each_date_follows_the_tightest_earlier_date_it_never_crosses():
    df = shipments()["orders"]
    kinds = {c: Column.DATE for c in ("ordered", "shipped", "due", "received")} | {
        "opened": Column.DATETIME,
        "closed": Column.DATETIME,
    }
    found = find_orderings(df, list(kinds), kinds)
    last, first = (float(df[c].max().value) for c in ("shipped", "closed")), float(df["shipped"].min().value)
    assert found["shipped"] == Ordering("shipped", "ordered", 1, grid=86_400 * 10**9, extreme=next(last))
    assert found["due"].base == "ordered"  # not after shipped in every row
    assert found["received"].base == "shipped"  # tighter than ordered or due
    closed = Ordering("closed", "opened", 1, grid=60 * 10**9, extreme=next(last))
    assert found["closed"] == closed  # nulls in the later column are fine
    reverse = find_orderings(df, ["received", "shipped"], kinds)
    assert reverse == {"shipped": Ordering("shipped", "received", -1, grid=86_400 * 10**9, extreme=first)}
    opened = find_orderings(df, ["closed", "opened"], kinds)["opened"]  # opened without closed: no offset,
    assert opened.loose and (opened.base, opened.sign) == ("closed", -1)  # kept before it at decoding


def test_an_order_that_the_ranges_imply_or_few_rows_show_is_not_taken():
    early = pd.Timestamp("2000-01-01") + pd.to_timedelta(np.arange(50), "D")
    later = early[::-1] + pd.Timedelta("3650D")  # no gap kept beyond what the ranges give (`min_gap`)
    df = pd.DataFrame({"a": early, "b": later})
    kinds = {"a": Column.DATE, "b": Column.DATE}
    assert find_orderings(df, ["a", "b"], kinds) == {}  # every b after every a: nothing to keep
    df = pd.DataFrame({"a": early[:10], "b": early[:10] + DAY})
    assert find_orderings(df, ["a", "b"], kinds) == {}  # 10 rows: too few to trust


def hires(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """Employees hired 2005-2023 at 30 +- 7 years old, 19 at least (a tenth at 19): every hire
    after every birth, so the ranges alone imply the order, not the age; one hired at 17."""
    rng = np.random.default_rng(seed)
    hire = pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 6700, n), "D")
    age = np.maximum(rng.normal(30, 7, n), 19) * 365.25
    age[0] = 17 * 365.25  # one record alone: never the gap kept
    return pd.DataFrame({"birth": hire - pd.to_timedelta(age.astype(int), "D"), "hire": hire})


def test_a_date_the_ranges_keep_after_its_base_keeps_the_least_gap_the_rows_keep():
    """HR: hires all after births, so no order was taken, birth and hire were drawn apart, and
    10-17 of 400-500 generated employees were hired before 16 (aged 1-9 at the youngest) where the
    data's least age at hire is 19. The hire is now decoded as itself and moved to the least gap
    that all rows but `min_count - 1` keep (19 years, not the one record's 17) after the birth."""
    df = hires()
    kinds = {"birth": Column.DATE, "hire": Column.DATE}
    found = find_orderings(df, ["birth", "hire"], kinds, min_count=5)["hire"]
    gaps = np.sort((df["hire"] - df["birth"]).to_numpy())
    assert found.loose and (found.base, found.sign) == ("birth", 1)
    assert found.min_gap == gaps[4].astype("int64") == int(19 * 365.25) * 86_400 * 10**9
    drawn = pd.Series(df["hire"].sample(frac=1, random_state=0).to_numpy())  # drawn apart from the births
    assert ((drawn - df["birth"]).dt.days < 19 * 365).sum() > 20
    cols = {"birth": df["birth"], "hire": drawn.copy()}
    from_offsets(cols, {"hire": found})
    age = cols["hire"] - df["birth"]
    assert (age >= pd.Timedelta(found.min_gap, "ns")).all()
    assert (cols["hire"] == drawn)[age > pd.Timedelta(found.min_gap, "ns")].all()  # only those too young move
    saved = Ordering(**{"column": "hire", **json.loads(json.dumps(found.to_dict()))})
    assert saved == found
    apart = df.assign(birth=df["birth"].sample(frac=1, random_state=1).to_numpy())  # births unrelated to hires
    assert "hire" not in find_orderings(apart, ["birth", "hire"], kinds, min_count=5)


def test_offsets_go_back_to_the_same_dates_on_their_grid():
    df = shipments()["orders"]
    kinds = {c: Column.DATE for c in ("ordered", "shipped", "received")}
    found = find_orderings(df, list(kinds), kinds)
    offsets = with_offsets(df, found)
    assert (offsets["shipped"] >= 0).all() and (offsets["received"] % 86_400 == 0).all()
    cols = {c: offsets[c] for c in kinds}
    cols["received"] = cols["received"] + 3_600.0  # a drawn offset off the day grid
    from_offsets(cols, found)
    assert cols["shipped"].tolist() == df["shipped"].tolist()
    assert (cols["received"] == df["received"]).all() or (cols["received"] - df["received"]).abs().max() <= DAY
    assert (cols["received"] == cols["received"].dt.normalize()).all() and (cols["received"] >= cols["shipped"]).all()


def test_decoded_rows_keep_their_order_and_the_orders_are_saved(tmp_path):
    data = shipments()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert set(pre.orderings["orders"]) == {"shipped", "due", "received", "closed"}
    out = pre.inverse_transform(pre.transform(data), seed=1)["orders"]  # binned offsets are drawn in their bins
    assert (out["shipped"] >= out["ordered"]).all() and (out["received"] > out["shipped"]).all()
    assert (out["closed"].dropna() >= out["opened"][out["closed"].notna()]).all()
    assert (out["closed"].dropna().dt.second == 0).all() and out["closed"].isna().mean() == pytest.approx(0.2, abs=0.1)
    pre.save(tmp_path / "pre")
    assert TabularPreproc.load(tmp_path / "pre").orderings == pre.orderings
    spec = json.loads((tmp_path / "pre" / "preproc.json").read_text())
    spec.get("payload", spec).pop("orderings")  # a preprocessor saved before orderings
    (tmp_path / "pre" / "preproc.json").write_text(json.dumps(spec))
    assert TabularPreproc.load(tmp_path / "pre").orderings == {}


def test_no_order_is_read_under_dp_or_for_a_column_given_its_own_preprocessor():
    data = shipments()
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5))
    assert pre.orderings == {}
    from relsynth.synth import NumericPreproc

    own = TabularPreproc.from_schema(data.schema, preprocessors={"orders": {"received": NumericPreproc(kind="date")}})
    assert "received" not in own.fit(data).orderings["orders"]


def test_a_childs_date_follows_its_parents_date():
    """An order is placed on or after its customer joined: the order date is modelled as an offset
    from the parent row's date, and decoded rows keep it (the parent is decoded first)."""
    data = shipments()
    rng = np.random.default_rng(1)
    cust = data["cust"].assign(joined=pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 700, 40), "D"))
    orders = data["orders"].copy()
    joined = cust.set_index("id")["joined"].reindex(orders["cust"]).to_numpy()
    gap = orders["shipped"] - orders["ordered"]
    orders["ordered"] = joined + pd.to_timedelta(rng.integers(0, 400, len(orders)), "D")
    orders["shipped"] = orders["ordered"] + gap
    orders["received"] = orders["shipped"] + DAY
    schema = Schema(
        cust=Table(id=PrimaryKey(), seg=Categorical(), joined=Date()),
        orders=data.schema.tables["orders"],
    )
    data = RelationalData({"cust": cust, "orders": orders}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    last = float(orders["ordered"].max().value)
    expected = Ordering("ordered", "joined", 1, from_parent=True, grid=86_400 * 10**9, extreme=last)
    assert pre.orderings["orders"]["ordered"] == expected
    assert pre.parent_bases("orders") == ["joined"]
    out = pre.inverse_transform(pre.transform(data), seed=2)
    parent_joined = out["cust"].set_index("id")["joined"].reindex(out["orders"]["cust"]).to_numpy()
    assert (out["orders"]["ordered"].to_numpy() >= parent_joined).all()
    assert (out["orders"]["shipped"] >= out["orders"]["ordered"]).all()


def prices(n: int = 400, seed: int = 0) -> RelationalData:
    """accounts -> days: low <= open <= high (cents), shipped <= ordered units (integers), a day's
    spend <= its account's limit; bytes >= milliseconds only because the units differ."""
    rng = np.random.default_rng(seed)
    limit = rng.integers(100, 1000, 30).astype(float)
    account = rng.integers(0, 30, n)
    low = np.round(rng.uniform(10, 100, n), 2)
    high = np.round(low + rng.exponential(5, n), 2)
    ordered_units = rng.integers(1, 50, n)
    ms = rng.integers(100_000, 400_000, n)
    days = pd.DataFrame(
        {
            "id": range(n),
            "account": account,
            "low": low,
            "open": np.round(low + (high - low) * rng.random(n), 2),
            "high": high,
            "ordered_units": ordered_units,
            "shipped_units": (ordered_units * rng.random(n)).astype(int),
            "spend": np.round(limit[account] * rng.random(n), 2),
            "ms": ms,
            "bytes": ms * 32 + rng.integers(0, 1000, n),
        }
    )
    schema = Schema(
        account=Table(id=PrimaryKey(), limit=Numeric()),
        days=Table(
            id=PrimaryKey(),
            account=ForeignKey(parent="account"),
            low=Numeric(),
            open=Numeric(),
            high=Numeric(),
            ordered_units=Integer(),
            shipped_units=Integer(),
            spend=Numeric(),
            ms=Integer(),
            bytes=Integer(),
        ),
    )
    return RelationalData({"account": pd.DataFrame({"id": range(30), "limit": limit}), "days": days}, schema)


def test_numbers_in_order_keep_it_on_their_grid_and_units_apart_are_left_alone():
    data = prices()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["days"]
    assert {b: (o.base, o.sign, o.from_parent) for b, o in found.items()} == {
        "open": ("low", 1, False),
        "high": ("open", 1, False),
        "shipped_units": ("ordered_units", -1, False),
        "spend": ("limit", -1, True),
    }  # bytes >= ms in every row, but drawn apart they would too: not an order to keep
    assert found["open"].grid == pytest.approx(0.01) and found["shipped_units"].integer
    out = pre.inverse_transform(pre.transform(data), seed=3)
    days = out["days"]
    assert (days["low"] <= days["open"]).all() and (days["open"] <= days["high"]).all()
    assert (days["shipped_units"] <= days["ordered_units"]).all() and str(days["shipped_units"].dtype) == "Int64"
    assert np.allclose(days["open"] * 100, np.round(days["open"] * 100))  # cents stay cents
    limit = out["account"].set_index("id")["limit"].reindex(days["account"]).to_numpy()
    assert (days["spend"].to_numpy() <= limit).all()


def test_a_number_below_its_base_keeps_the_sign_it_always_has(tmp_path, caplog):
    """A discount is at most its price and never negative, a third of them 0: counted down from a
    price decoded a little lower than the one its offset was read from, a zero discount came out
    negative (a sixth of the rows). The column's least value stops it, as a bound would."""
    rng = np.random.default_rng(5)
    n = 600
    price = rng.gamma(2, 20, n).round(2)
    discount = (price * np.where(rng.random(n) < 0.35, 0.0, rng.uniform(0.2, 0.9, n))).round(2)
    lines = pd.DataFrame({"id": range(n), "price": price, "discount": discount})
    data = RelationalData({"line": lines}, Schema(line=Table(id=PrimaryKey(), price=Numeric(), discount=Numeric())))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["line"]["discount"]
    assert (found.base, found.sign, found.extreme) == ("price", -1, 0.0)
    pre.save(tmp_path / "pre")
    pre = TabularPreproc.load(tmp_path / "pre")
    for seed in range(3):
        out = pre.inverse_transform(pre.transform(data), seed=seed)["line"]
        assert (out["discount"] >= 0).all() and (out["discount"] <= out["price"]).all()
        assert (out["discount"] == 0).mean() > 0.1  # zeros are kept, not spread around 0
    assert "were counted past" not in caplog.text  # a third of the data's discounts are 0: no pile-up to warn of
    lines["discount"] -= 5  # below the price, and of either sign: nothing more to keep
    kinds = {"price": Column.NUMERIC, "discount": Column.NUMERIC}
    assert find_orderings(lines, ["price", "discount"], kinds)["discount"].extreme is None


def test_values_piled_up_at_the_extreme_an_offset_passes_are_warned_of(caplog, tiny_size):
    """A price below its flight's distance in every row (of different units: the order holds by
    chance of the scales), its least value held once: an untrained model's offsets count half the
    prices past it, and all of them became that one price without a word; now a warning names the
    column, the share and the way out."""
    rng = np.random.default_rng(0)
    n = 300
    distance = rng.uniform(300, 9000, n).round()
    flights = pd.DataFrame(
        {"id": range(n), "distance": distance, "price": (distance * rng.uniform(0.1, 0.8, n)).round(2)}
    )
    data = RelationalData(
        {"flight": flights}, Schema(flight=Table(id=PrimaryKey(), distance=Numeric(), price=Numeric()))
    )
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["flight"]["price"]
    assert (found.base, found.sign, found.extreme) == ("distance", -1, flights["price"].min())
    assert found.at_extreme == pytest.approx(1 / n)
    model = TabularModel.build(pre, size=tiny_size)
    with caplog.at_level("WARNING"):
        out = model.generate(n, seed=0)["flight"]
    piled = (out["price"] == found.extreme).mean()
    assert piled > 0.1
    assert f"flight.price: {int((out['price'] == found.extreme).sum())} of {n} generated values" in caplog.text
    assert "tabular_encoding.keep_orders: false" in caplog.text


def shop_days(n_shops: int = 30, n_days: int = 60, seed: int = 0) -> RelationalData:
    """shops -> days: a closed day (Sundays, 1 % of the others) holds 0 sales, 0 customers and open 0;
    an open day ~9.5 sales a customer, ~700 customers."""
    rng = np.random.default_rng(seed)
    n = n_shops * n_days
    is_open = np.where((np.arange(n) % 7 == 6) | (rng.random(n) < 0.01), 0, 1)
    customers = np.round(np.exp(rng.normal(6.5, 0.4, n))).astype(int) * is_open
    sales = np.round(customers * rng.normal(9.5, 0.8, n)).astype(int)
    days = pd.DataFrame(
        {"id": range(n), "shop": np.repeat(np.arange(n_shops), n_days), "sales": sales}
        | {"customers": customers, "open": is_open}
    )
    schema = Schema(
        shop=Table(id=PrimaryKey()),
        day=Table(
            id=PrimaryKey(), shop=ForeignKey(parent="shop"), sales=Integer(), customers=Integer(), open=Integer()
        ),
    )
    return RelationalData({"shop": pd.DataFrame({"id": range(n_shops)}), "day": days}, schema)


def test_a_number_whose_offset_spreads_wider_than_itself_is_modelled_as_itself():
    """customers <= sales and open <= customers hold in every row only through the closed days'
    zeros: written as sales - customers and customers - open, each decoded within its bin, a round
    trip (no model) closed 48 % of a Rossmann-like chain's open days (open share 0.44, the data's
    0.85) and its sales per customer fell to 4.5 (the data's 8 at least). Modelled as themselves and
    moved onto their base where they pass it, both come back, their order kept."""
    data = shop_days()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["day"]
    assert {c: (found[c].base, found[c].loose) for c in ("customers", "open")} == {
        "customers": ("sales", True),
        "open": ("customers", True),
    }
    days = pre.inverse_transform(pre.transform(data), seed=0)["day"]
    real = data["day"]
    assert days["open"].mean() == pytest.approx(real["open"].mean())
    assert ((days["sales"] == 0) == (days["open"] == 0)).all()
    assert (days["customers"] <= days["sales"]).all() and (days["open"] <= days["customers"]).all()
    ratio = (days["sales"] / days["customers"])[days["open"] == 1]
    assert ratio.quantile(0.05) > 0.8 * (real["sales"] / real["customers"])[real["open"] == 1].quantile(0.05)


def station_days(steady_high: bool, n_stations: int = 12, n_days: int = 150, seed: int = 0) -> RelationalData:
    """stations -> days, stored shuffled, each day's low <= high. `steady_high`: the high is a slow
    anomaly (AR(1), 0.75) and the low lies a fresh gap (~8, sd 4) below it; else the low is that
    slow series and the high a small fresh gap (~0.5) above it."""
    rng = np.random.default_rng(seed)
    rows = []
    for station in range(n_stations):
        slow = np.zeros(n_days)
        for i in range(1, n_days):
            slow[i] = 0.75 * slow[i - 1] + rng.normal(0, 2.0)
        slow += rng.normal(15, 5)
        gap = rng.gamma(4, 2.0, n_days) if steady_high else rng.gamma(2, 0.25, n_days)
        low, high = (slow - gap, slow) if steady_high else (slow, slow + gap)
        day = pd.Timestamp("2021-01-01") + pd.to_timedelta(np.arange(n_days), unit="D")
        rows.append(pd.DataFrame({"station": station, "day": day, "low": low.round(1), "high": high.round(1)}))
    days = pd.concat(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    days.insert(0, "id", range(len(days)))
    schema = Schema(
        station=Table(id=PrimaryKey()),
        day=Table(id=PrimaryKey(), station=ForeignKey(parent="station"), day=Date(), low=Numeric(), high=Numeric()),
    )
    return RelationalData({"station": pd.DataFrame({"id": range(n_stations)}), "day": days}, schema)


def test_a_number_steadier_from_day_to_day_than_its_offset_is_modelled_as_itself():
    """A day's high >= its low, the high a slow weather anomaly and the low a fresh gap below it:
    written as high - low, a small model lost most of the high's day-to-day persistence (lag-1
    autocorrelation of a weather database's tmax anomaly 0.35, the data's 0.73), having to add the
    previous day's two tokens to read it. Its steps from one day to the next (in the days' order,
    not the stored one) spread far less than the gap's: modelled as itself, its order kept by moving
    it onto the low where it passes it. Where the low is the slow series and the gap is small, the
    offset is the steadier part and stays an offset."""
    data = station_days(steady_high=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["day"]["high"]
    assert (found.base, found.loose) == ("low", True)
    days = pre.inverse_transform(pre.transform(data), seed=0)["day"]
    assert (days["low"] <= days["high"]).all()
    steady_low = station_days(steady_high=False)
    found = TabularPreproc.from_schema(steady_low.schema).fit(steady_low).orderings["day"]["high"]
    assert (found.base, found.loose) == ("low", False)


def test_a_loose_number_left_missing_stays_missing():
    """A loose number is moved onto its base where it passes it: a missing one was too (`np.fmax`
    takes the number over NaN), so a chain's 194 days of 1,800 with no customers recorded came back
    with customers, each its day's sales, in a round trip."""
    data = shop_days()
    days = data["day"].copy()
    days["customers"] = days["customers"].astype("Int64").mask(np.random.default_rng(5).random(len(days)) < 0.1)
    data = RelationalData({"shop": data["shop"], "day": days}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["day"]["customers"].loose
    back = pre.inverse_transform(pre.transform(data), seed=0)["day"]
    assert back["customers"].isna().sum() == days["customers"].isna().sum() == 194
    held = back["customers"].notna()
    assert (back["customers"][held] <= back["sales"][held]).all()


def stays(n: int = 400, seed: int = 0, discharged: bool = True, open_share: float = 0.0) -> RelationalData:
    """stays (admitted, discharged 1-20 days later, a referral that expires 30-60 days after
    admission) -> labs, each taken at a uniform minute of its stay."""
    rng = np.random.default_rng(seed)
    admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    los = rng.integers(1, 21, n)
    stay = pd.DataFrame(
        {
            "id": range(n),
            "admitted": admitted,
            "discharged": admitted + pd.to_timedelta(los, "D"),
            "expires": admitted + pd.to_timedelta(rng.integers(30, 61, n), "D"),
        }
    )
    at = np.repeat(np.arange(n), rng.integers(1, 6, n))
    taken = admitted[at] + pd.to_timedelta((rng.random(len(at)) * los[at] * 1440).round(), "min")
    lab = pd.DataFrame({"id": range(len(at)), "stay": at, "taken": taken})
    schema = Schema(
        stay=Table(id=PrimaryKey(), admitted=Date(), discharged=Date(), expires=Date()),
        lab=Table(id=PrimaryKey(), stay=ForeignKey(parent="stay"), taken=Datetime()),
    )
    stay["discharged"] = stay["discharged"].where(rng.random(n) >= open_share)  # not discharged yet
    if not discharged:
        stay = stay.drop(columns="discharged")
        schema = Schema(stay=Table(id=PrimaryKey(), admitted=Date(), expires=Date()), lab=schema.tables["lab"])
    return RelationalData({"stay": stay, "lab": lab}, schema)


def test_a_value_between_two_bounds_keeps_both(tmp_path):
    """A lab is taken after admission and before discharge: modelled as where it lies within the
    stay, so every decoded lab keeps both (with the admission alone, ~1-10 % fell after discharge).
    The referral's expiry is never passed either, but no gap from admission comes near it: not a bound."""
    data = stays()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["lab"]["taken"]
    assert (found.base, found.sign, found.from_parent) == ("admitted", 1, True)
    assert (found.bound, found.bound_from_parent) == ("discharged", True)
    assert found.room == pytest.approx(10 * 86_400 * 10**9, rel=0.15)  # the median stay: ~10 days
    assert found.describe("stay") == "taken >= stay.admitted and <= stay.discharged"
    assert pre.parent_bases("lab") == ["admitted", "discharged"]
    unbounded = stays(discharged=False)
    without = TabularPreproc.from_schema(unbounded.schema).fit(unbounded)
    assert without.orderings["lab"]["taken"].base == "admitted" and without.orderings["lab"]["taken"].bound is None
    for seed in range(3):
        out = pre.inverse_transform(pre.transform(data), seed=seed)
        stay = out["stay"].set_index("id").reindex(out["lab"]["stay"])
        taken = out["lab"]["taken"].to_numpy()
        assert (taken >= stay["admitted"].to_numpy()).all() and (taken <= stay["discharged"].to_numpy()).all()
        assert (out["lab"]["taken"].dt.second == 0).all()  # still whole minutes
    pre.save(tmp_path / "pre")
    assert TabularPreproc.load(tmp_path / "pre").orderings == pre.orderings


def test_a_bound_missing_in_some_rows_is_kept_where_present():
    """A fifth of the stays are not discharged yet: the discharge still bounds the labs of the
    others (it was not taken, and 5 % of generated labs fell after discharge); a lab of an open
    stay keeps its gap from admission (its place over the median stay)."""
    data = stays(open_share=0.2)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["lab"]["taken"]
    assert (found.bound, found.bound_from_parent) == ("discharged", True)
    out = pre.inverse_transform(pre.transform(data), seed=0)
    stay = out["stay"].set_index("id").reindex(out["lab"]["stay"])
    taken, discharged = out["lab"]["taken"].to_numpy(), stay["discharged"].to_numpy()
    closed = ~pd.isna(discharged)
    assert (~closed).sum() > 50 and (taken[closed] <= discharged[closed]).all()
    real = data["stay"].set_index("id").reindex(data["lab"]["stay"])
    real_open = (data["lab"]["taken"] - real["admitted"].to_numpy())[real["discharged"].isna().to_numpy()]
    synth_open = pd.Series(taken[~closed] - stay["admitted"].to_numpy()[~closed])
    assert abs(synth_open.median() - real_open.median()) < pd.Timedelta("1D")


def test_a_generated_row_without_its_bound_lies_within_the_usual_room():
    data = stays()
    orderings = find_orderings(data["lab"], ["taken"], {"taken": Column.DATETIME}, *stay_rows(data))
    parent = stay_rows(data)[0]
    cols = {"taken": with_offsets(data["lab"], orderings, parent)["taken"]}
    assert cols["taken"].between(0, 1).all()
    parent.loc[:99, "discharged"] = pd.NaT  # the model wrote no discharge for these stays
    from_offsets(cols, orderings, parent)
    room = pd.Timedelta(orderings["taken"].room, "ns")
    assert (cols["taken"] - parent["admitted"])[:100].between(pd.Timedelta(0), room).all()
    assert (cols["taken"][100:] == data["lab"]["taken"][100:]).all()


def deaths(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """stays (admit, discharge up to 20 days later) and each stay's patient (deceased, missing for the
    85 % alive): a fifth of the deaths in the stay (discharged on it), the others 100-400 days after."""
    rng = np.random.default_rng(seed)
    admit = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), "min")
    stay = pd.to_timedelta(rng.integers(60, 20 * 1440, n), "min")
    died = rng.random(n) < 0.15
    in_stay = died & (rng.random(n) < 0.2)
    deceased = pd.Series(admit + stay + pd.to_timedelta(rng.integers(100, 400, n), "D")).where(died)
    deceased[in_stay] = (admit + stay * 0.5)[in_stay]
    stays = pd.DataFrame({"admit": admit, "discharge": pd.Series(admit + stay).where(~in_stay, deceased)})
    return stays, pd.DataFrame({"deceased": deceased})


def test_a_row_without_its_bound_stays_within_the_gaps_of_such_rows():
    """A discharge never passes the patient's death, held as its place between admission and death;
    a patient alive reads it over the median room (240 days). A place of 1 (a death in the stay) drawn
    for a patient alive decoded to a stay of exactly that room, past the 20 days of every such stay:
    it is drawn again from the gaps of the rows lacking the bound."""
    stays, parent = deaths()
    kinds = {"admit": Column.DATETIME, "discharge": Column.DATETIME}
    found = find_orderings(stays, ["admit", "discharge"], kinds, parent, {"deceased": Column.DATETIME})
    assert (found["discharge"].base, found["discharge"].bound) == ("admit", "deceased")
    alive = parent["deceased"].isna().to_numpy()
    cols = dict(with_offsets(stays, found, parent).items())
    cols["discharge"] = pd.Series(np.where(alive, 1.0, cols["discharge"]))  # on the bound, as a death in the stay
    from_offsets(cols, found, parent, rng=np.random.default_rng(0))
    longest = (stays["discharge"] - stays["admit"])[alive].max()
    gaps = (cols["discharge"] - stays["admit"])[alive]
    assert gaps.max() <= longest and gaps.nunique() > len(gaps) / 2  # not piled on one length
    assert (cols["discharge"][~alive] == stays["discharge"][~alive]).all()  # the bounded rows as they were


def subscriptions(n: int = 300, seed: int = 0) -> RelationalData:
    """subscriptions (activated, terminated 30-900 days later, most not yet) -> calls, each at a
    uniform second from the activation to the termination, or to the extraction time where the
    subscription is still open: its calls run up to then."""
    rng = np.random.default_rng(seed)
    extracted = pd.Timestamp("2023-01-01")
    activated = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1400, n), "D")
    terminated = (activated + pd.to_timedelta(rng.integers(30, 901, n), "D")).where(rng.random(n) < 0.3)
    end = terminated.fillna(extracted).to_numpy()
    sub = pd.DataFrame({"id": range(n), "activated": activated, "terminated": terminated})
    at = np.repeat(np.arange(n), rng.integers(1, 8, n))
    seconds = rng.random(len(at)) * (end[at] - activated[at].to_numpy()) / pd.Timedelta("1s")
    call = pd.DataFrame(
        {"id": range(len(at)), "sub": at, "start": activated[at] + pd.to_timedelta(seconds.round(), "s")}
    )
    schema = Schema(
        sub=Table(id=PrimaryKey(), activated=Date(), terminated=Date()),
        call=Table(id=PrimaryKey(), sub=ForeignKey(parent="sub"), start=Datetime()),
    )
    return RelationalData({"sub": sub, "call": call}, schema)


def test_a_row_whose_bound_is_still_open_lies_between_its_base_and_the_latest_open_row():
    """Calls of a subscription not terminated run up to the extraction time: held as their place
    from the activation to the latest such call, in [0, 1] as a terminated one's place is. Over
    the median room (501 days) a quarter of them passed 1 (up to 2.8: years of calls), and a model sharing the slot
    with the terminated subscriptions' places put 27 % of their calls on the termination, at midnight.
    Where the open rows stay near their base (labs of stays whose discharge was not recorded), the
    median room reads them better and is kept."""
    data = subscriptions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["call"]["start"]
    assert (found.base, found.bound) == ("activated", "terminated")
    parent = data["sub"].set_index("id").reindex(data["call"]["sub"]).reset_index(drop=True)
    still_open = parent["terminated"].isna().to_numpy()
    assert found.open_end == data["call"]["start"][still_open].max().value
    places = with_offsets(data["call"], pre.orderings["call"], parent[["activated", "terminated"]])["start"]
    assert places.between(0, 1).all() and places[still_open].quantile(0.9) > 0.8
    cols = {"start": pd.Series(np.full(len(places), 1.5))}  # a place drawn past the end of every room
    from_offsets(cols, pre.orderings["call"], parent[["activated", "terminated"]])  # in place
    ends = parent["terminated"].fillna(pd.Timestamp(found.open_end))
    assert (cols["start"] <= ends).all() and (cols["start"] >= parent["activated"]).all()
    out = pre.inverse_transform(pre.transform(data), seed=0)  # values redrawn within their bins
    sub = out["sub"].set_index("id").reindex(out["call"]["sub"])
    ends = sub["terminated"].fillna(pd.Timestamp(found.open_end)).to_numpy()
    assert (out["call"]["start"].to_numpy() <= ends).all()
    labs = stays(open_share=0.2)
    assert TabularPreproc.from_schema(labs.schema).fit(labs).orderings["lab"]["taken"].open_end is None


def transport(n: int = 200, seed: int = 0) -> RelationalData:
    """shipments -> 1-4 legs one after another, each arriving its distance (50-900 km) at 60-90 km/h
    after it departs, the next departing 1-12 hours later; delivered 1-6 hours after the last
    arrival: a leg's duration is its own, and the time left until the delivery the later legs'."""
    rng = np.random.default_rng(seed)
    ships, legs = [], []
    for s in range(n):
        created = pd.Timestamp("2024-01-01") + pd.Timedelta(minutes=int(rng.integers(0, 300 * 1440)))
        t = created + pd.Timedelta(minutes=int(rng.integers(60, 1440)))
        for _ in range(int(rng.integers(1, 5))):
            km = float(rng.integers(50, 900))
            arrived = t + pd.Timedelta(minutes=round(km / rng.uniform(60, 90) * 60))
            legs.append((len(legs), s, t, arrived, km))
            t = arrived + pd.Timedelta(minutes=int(rng.integers(60, 720)))
        ships.append((s, created, arrived + pd.Timedelta(minutes=int(rng.integers(60, 360)))))
    schema = Schema(
        shipment=Table(id=PrimaryKey(), created=Datetime(), delivered=Datetime()),
        leg=Table(
            id=PrimaryKey(),
            shipment=ForeignKey(parent="shipment"),
            departed=Datetime(),
            arrived=Datetime(),
            km=Numeric(),
        ),
    )
    frames = {
        "shipment": pd.DataFrame(ships, columns=["id", "created", "delivered"]),
        "leg": pd.DataFrame(legs, columns=["id", "shipment", "departed", "arrived", "km"]),
    }
    return RelationalData(frames, schema)


def test_a_duration_is_modelled_as_its_gap_not_its_place_before_a_parent_date():
    """A leg arrives hours after it departs, never after its shipment's delivery, which the later
    legs push back: its duration does not grow with the time left until the delivery (log-log slope
    0.4), so its place between the two (0 to 1 of hours to days) spreads wider than the duration.
    Held as that place, read from a delivery a model draws before the legs, a small model's legs
    drove at speeds no vehicle drives (70 %) or arrived on or before they departed (5-7 %). The
    duration is modelled, the delivery kept as a cap: a delivery drawn earlier than the data's
    leaves each arrival it does not pass as it was (with the place: none). A lab taken anywhere in
    its stay keeps its place (`test_a_value_between_two_bounds_keeps_both`)."""
    data = transport()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["leg"]["arrived"]
    assert (found.base, found.from_parent, found.sign, found.bound) == ("departed", False, 1, None)
    parent = data["shipment"].set_index("id").reindex(data["leg"]["shipment"]).reset_index(drop=True)
    hours = with_offsets(data["leg"], {"arrived": found}, parent)["arrived"] / 3600
    assert hours.between(0.5, 15).all()  # the durations themselves
    earlier = parent.assign(delivered=parent["delivered"] - pd.Timedelta(hours=12))
    cols = {"departed": data["leg"]["departed"], "arrived": hours * 3600}
    from_offsets(cols, {"arrived": found}, earlier, rng=np.random.default_rng(0))
    room = data["leg"]["arrived"] <= earlier["delivered"]
    assert room.sum() > 200 and (cols["arrived"][room] == data["leg"]["arrived"][room]).all()


def test_a_duration_is_not_cut_at_a_parent_date_moved_past_it(tiny_size):
    """The delivery a leg's arrival never passes is moved past the shipment's legs once they are
    written (`parent_ends`): its cap stopped arrivals at a delivery drawn before the legs, or drew
    them again before it, and 10-17 of the ~488 legs an untrained model generated lasted shorter
    or longer than any of the data's (73-80 as a place), one arriving as it departed. Without the
    cap, every generated duration is within the data's, and every delivery still follows its legs."""
    data = transport()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["leg"]["arrived"].cap is None
    assert [(r["column"], r["child"]) for r in pre.stats["parent_ends"]] == [("delivered", "leg")]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(200, seed=0)
    legs = out["leg"]
    assert ((legs["arrived"] - legs["departed"]) / pd.Timedelta(hours=1)).between(0.5, 15).all()  # 17 outside
    delivered = out["shipment"].set_index("id")["delivered"].reindex(legs["shipment"]).to_numpy()
    assert len(legs) > 400 and (legs["arrived"].to_numpy() <= delivered).all()


def stay_rows(data: RelationalData) -> tuple[pd.DataFrame, dict]:
    """Each lab's stay's dates, and their kinds."""
    parent = data["stay"].set_index("id").reindex(data["lab"]["stay"]).reset_index(drop=True)
    kinds = {c: Column.DATE for c in ("admitted", "discharged", "expires")}
    return parent[list(kinds)], kinds


def test_keep_orders_false_models_every_column_as_itself(tmp_path):
    data = shipments()
    pre = TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data)
    assert pre.orderings == {}
    slots = [s for s in pre.slots if s.table == "orders" and s.column == "received"]
    assert slots[0].preproc.kind == "date"  # the date itself, not an offset
    pre.save(tmp_path / "pre")
    assert TabularPreproc.load(tmp_path / "pre").keep_orders is False
    with pytest.raises(TypeError, match="keep_orders must be True or False"):
        TabularPreproc.from_schema(data.schema, keep_orders="yes")


def test_a_dataset_encoded_with_other_orders_is_told_apart_by_the_fingerprint():
    """The same vocabulary means other values once a column is an offset: a saved dataset must not be reused."""
    from relsynth.synth.core.files import fingerprint

    data = shipments()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    moved = TabularPreproc.from_dict(pre.to_dict())
    moved.orderings = {t: dict(cols) for t, cols in pre.orderings.items()}
    column, order = next(iter(moved.orderings["orders"].items()))
    moved.orderings["orders"][column] = Ordering(**{**order.to_dict(), "sign": -order.sign})
    assert moved.to_dict()["slots"] == pre.to_dict()["slots"] and moved.fingerprint() != pre.fingerprint()
    plain = TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data)
    assert plain.fingerprint() == fingerprint(plain.to_dict()["slots"])  # without orders: as saved before


def test_a_date_after_a_timestamp_is_kept_after_its_day():
    """Olist-like reviews are dated (a DATE) on or after their order's delivery (a TIMESTAMP), often on
    the delivery day itself, so 'created >= delivered' failed on those rows, no order was kept, and
    44 % of generated reviews came before their delivery day. A date is compared with a timestamp's day."""
    rng = np.random.default_rng(0)
    n = 300
    delivered = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 300 * 86_400, n), unit="s")
    orders = pd.DataFrame({"id": range(1, n + 1), "delivered": delivered})
    per = rng.integers(1, 3, n)
    order_of = np.repeat(orders["id"].to_numpy(), per)
    created = delivered.normalize()[order_of - 1] + pd.to_timedelta(rng.integers(0, 4, len(order_of)), unit="D")
    reviews = pd.DataFrame({"id": range(1, len(order_of) + 1), "order": order_of, "created": created,
                            "score": rng.integers(1, 6, len(order_of))})  # fmt: skip
    schema = Schema(
        order=Table(id=PrimaryKey(), delivered=Column.DATETIME),
        review=Table(id=PrimaryKey(), order=ForeignKey("order"), created=Column.DATE, score=Integer()),
    )
    data = RelationalData({"order": orders, "review": reviews}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    o = pre.orderings["review"]["created"]
    assert (o.base, o.from_parent, o.sign, o.day_base) == ("delivered", True, 1, True)
    assert Ordering(**o.to_dict()) == o  # saved and read back
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    day = synth["review"]["order"].map(synth["order"].set_index("id")["delivered"]).dt.normalize()
    assert (synth["review"]["created"] >= day).all()
    assert (synth["review"]["created"] == day).mean() > 0.1  # the delivery day itself, as in the data


def old_patients(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Admissions after their patient's birth, a quarter before the death; 5 % of the births
    shifted 210 years back (MIMIC's ages over 89): each admission's patient row, and the admissions."""
    rng = np.random.default_rng(seed)
    admitted = pd.Timestamp("2130-01-01") + pd.to_timedelta(rng.integers(0, 60 * 365, n), "D")
    dob = admitted - pd.to_timedelta(rng.integers(20 * 365, 89 * 365, n), "D")
    dob = dob.where(rng.random(n) > 0.05, dob - pd.DateOffset(years=210))
    died = (admitted + pd.to_timedelta(rng.integers(1, 900, n), "D")).where(rng.random(n) < 0.25)
    return pd.DataFrame({"dob": dob, "dod": died}), pd.DataFrame({"admitted": admitted})


@pytest.mark.parametrize("bounded", [True, False])
def test_a_date_decoded_far_from_its_base_stays_within_the_columns_dates(bounded):
    """An admission's offset from its patient's birth is 20-89 years, or ~300 for MIMIC's shifted
    births: the model pairing such an offset with a recent birth gave an admission past 2262,
    which went to NaT in a column never null (and to_sql refused it: 5 of 187 admissions, 57 of
    2,954 labs). Decoding stops at the column's latest date, never before the base."""
    parent, adm = old_patients()
    kinds = {"dob": Column.DATETIME, "dod": Column.DATETIME}
    if not bounded:
        parent, kinds = parent[["dob"]], {"dob": Column.DATETIME}
    found = find_orderings(adm, ["admitted"], {"admitted": Column.DATE}, parent, kinds)["admitted"]
    assert (found.base, found.bound) == ("dob", "dod" if bounded else None)
    orderings = {"admitted": replace(found, loose=False)}  # an offset, as a base nearer than a birth gives
    offsets = with_offsets(adm, orderings, parent)["admitted"]
    old = (parent["dob"] < pd.Timestamp("1950-01-01")).to_numpy()
    cols = {"admitted": pd.Series(np.where(old.any(), offsets[old].max(), 0.0), index=adm.index)}  # all old
    from_offsets(cols, orderings, parent)
    out = cols["admitted"]
    assert out.notna().all() and (out >= parent["dob"]).all()
    dod = parent["dod"] if bounded else pd.Series(pd.NaT, index=adm.index)
    assert (out[dod.isna()] <= adm["admitted"].max()).all() and (out[dod.notna()] <= dod[dod.notna()]).all()


def test_timestamps_past_2116_decode_on_their_grid():
    """Past 2^62 ns (2116) a float64 holds nanoseconds to 1,024 only: MIMIC's shifted stays (2130-2190)
    decoded from their offsets came back 512 ns off whole seconds (half of them: 1,523 of 2,980 labs,
    written to SQLite as 11:53:46.999999 for 11:53:47). Decoded dates are exact on the column's grid."""
    rng = np.random.default_rng(3)
    n = 400
    admitted = pd.Timestamp("2150-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365 * 86_400, n), "s")
    stays = pd.DataFrame(
        {"admitted": admitted, "discharged": admitted + pd.to_timedelta(rng.integers(60, 10**6, n), "s")}
    )
    kinds = {"admitted": Column.DATETIME, "discharged": Column.DATETIME}
    orderings = find_orderings(stays, list(kinds), kinds)
    assert orderings["discharged"].grid == 10**9
    cols = {c: with_offsets(stays, orderings)[c] for c in kinds}
    from_offsets(cols, orderings)
    assert (cols["discharged"] == stays["discharged"]).all()
    assert (cols["discharged"].astype("int64") % 10**9 == 0).all()


def test_a_date_decades_after_its_base_is_modelled_as_itself_and_kept_past_it(tmp_path):
    """Admissions (2130-2190) follow their patient's birth by 20-89 years (300 for MIMIC's shifted
    ages over 89): dates drawn apart would break that 2 % of the time. Modelled as offsets from
    the birth, the decades-wide offsets drawn for other births put 14 % of generated admissions and
    20 % of labs past the column's latest date (1993 to 2234 for 2130-2190). Such a date keeps its
    own values; decoding moves one that falls before its birth (or after its death) onto it."""
    parent, adm = old_patients()
    kinds = {"dob": Column.DATETIME, "dod": Column.DATETIME}
    found = find_orderings(adm, ["admitted"], {"admitted": Column.DATE}, parent, kinds)["admitted"]
    assert found.loose and (found.base, found.bound) == ("dob", "dod")
    assert (with_offsets(adm, {"admitted": found}, parent)["admitted"] == adm["admitted"]).all()  # itself
    drawn = pd.Series(adm["admitted"].sample(frac=1, random_state=0).to_numpy())  # drawn apart from the births
    cols = {"admitted": drawn.copy()}
    from_offsets(cols, {"admitted": found}, parent)
    out, dod = cols["admitted"], parent["dod"]
    moved = out != drawn
    assert 0 < moved.sum() < 0.4 * len(out)  # only those past their birth or death move
    assert (out >= parent["dob"].dt.normalize()).all() and (out[dod.notna()] <= dod[dod.notna()]).all()
    stays_found = find_orderings(*stays_and_labs())
    assert not any(o.loose for o in stays_found.values())  # a lab within its stay: days apart, an offset


def stays_and_labs() -> tuple:
    data = stays()
    return data["lab"], ["taken"], {"taken": Column.DATETIME}, *stay_rows(data)


def test_a_date_never_after_a_far_date_of_its_parent_stops_there():
    """A discharge follows its admission by days and precedes the patient's death, years later:
    too far to be its bound, so nothing kept it, and half the generated admissions of patients who
    died were discharged after the death (an admission drawn near the death day, its stay added).
    The death caps the decoded discharge (`Ordering.cap`); a death drawn before the admission lets
    the admission stand."""
    rng = np.random.default_rng(2)
    n = 300
    admitted = pd.Timestamp("2150-01-01") + pd.to_timedelta(rng.integers(0, 20 * 365 * 86_400, n), "s")
    stay = pd.to_timedelta(rng.integers(3_600, 20 * 86_400, n), "s")
    dod = pd.Series((admitted + stay + pd.to_timedelta(rng.integers(30, 2_000, n), "D")).normalize())
    dod = dod.where(rng.random(n) < 0.3)
    parent = pd.DataFrame({"dod": dod})
    adm = pd.DataFrame({"admitted": admitted, "discharged": admitted + stay})
    kinds = {"admitted": Column.DATETIME, "discharged": Column.DATETIME}
    found = find_orderings(adm, list(kinds), kinds, parent, {"dod": Column.DATETIME})
    assert (found["discharged"].base, found["discharged"].bound) == ("admitted", None)
    assert (found["discharged"].cap, found["discharged"].cap_from_parent) == ("dod", True)
    cols = {c: with_offsets(adm, found, parent)[c] for c in kinds}
    dead = dod.notna()
    cols["admitted"] = adm["admitted"].where(~dead, dod - pd.Timedelta("1h"))  # drawn an hour before the death
    cols["admitted"][dead.idxmax()] = dod[dead.idxmax()] + DAY  # a death drawn before the admission
    from_offsets(cols, found, parent)
    out = cols["discharged"]
    assert (out >= cols["admitted"]).all()
    capped = dead & (cols["admitted"] <= dod)
    assert capped.sum() > 50 and (out[capped] <= dod[capped]).all()
    assert (out[~dead] == adm["discharged"][~dead]).all()  # the others as they were


def test_a_date_never_after_its_parents_timestamp_day_stops_on_that_day():
    """A prescription starts within its stay and ends on or before the discharge day, its end dated
    (a DATE) and the discharge a TIMESTAMP: the end, counted from the start, was capped by no column
    (a timestamp capping a date was refused), and 17 % of a small model's prescriptions of a hospital
    database ended after their discharge day. The end is capped by the discharge's day
    (`Ordering.cap_day`), on midnight, and the rows within it are left as they were."""
    rng = np.random.default_rng(5)
    n = 300
    admitted = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 24 * 60, n), "min")
    discharged = admitted + pd.to_timedelta(rng.integers(24 * 60, 30 * 24 * 60, n), "min")
    start = admitted.normalize() + pd.to_timedelta(rng.integers(0, 2, n), "D")
    end = np.minimum(start + pd.to_timedelta(rng.integers(0, 6, n), "D"), discharged.normalize())
    parent = pd.DataFrame({"admitted": admitted, "discharged": discharged})
    rx = pd.DataFrame({"start": start, "end": end})
    kinds = {"start": Column.DATE, "end": Column.DATE}
    found = find_orderings(rx, list(kinds), kinds, parent, {"admitted": Column.DATETIME, "discharged": Column.DATETIME})
    o = found["end"]
    assert (o.base, o.cap, o.cap_from_parent, o.cap_day) == ("start", "discharged", True, True)
    assert Ordering(**o.to_dict()) == o  # saved and read back
    cols = with_offsets(rx, found, parent)
    cols = {c: cols[c] for c in kinds}
    cols["end"] = cols["end"] + 40 * 86_400  # drawn 40 days too long: past every discharge
    from_offsets(cols, found, parent)
    day = discharged.normalize()
    assert (cols["end"] <= day).all() and (cols["end"] >= cols["start"]).all()
    assert (cols["end"] == cols["end"].dt.normalize()).all()  # a date, not the discharge's time
    assert (cols["end"] == day).all()  # stopped on the discharge day


@pytest.mark.parametrize("day", [False, True])
def test_a_date_never_after_a_parent_date_most_rows_lack_is_kept_before_it(day):
    """Admissions follow their patient's birth by decades (the ranges keep that) and precede the
    death of the 10 % who died: an offset cannot be counted from a death most patients lack, so no
    order held the admission, and 37 of 1,164 generated admissions of a clinical database followed
    their patient's death. The admission keeps its own values and is moved onto the death where it
    passes it; the other rows stay as drawn. `day`: admission dates and a death's timestamp, compared
    with its day."""
    rng = np.random.default_rng(4)
    n = 400
    dob = pd.Series(pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.integers(0, 80 * 365, n), "D"))
    admitted = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365 * 24 * 60, n), "min")
    dod = pd.Series(admitted + pd.to_timedelta(rng.integers(1, 900 * 24 * 60, n), "min")).where(rng.random(n) < 0.1)
    admitted, dod = (admitted.normalize(), dod) if day else (admitted, dod.dt.normalize())
    parent, adm = pd.DataFrame({"dob": dob, "dod": dod}), pd.DataFrame({"admitted": admitted})
    kinds = {"dob": Column.DATE, "dod": Column.DATETIME if day else Column.DATE}
    found = find_orderings(adm, ["admitted"], {"admitted": Column.DATE if day else Column.DATETIME}, parent, kinds)
    found = found["admitted"]
    assert (found.base, found.from_parent, found.sign, found.loose, found.day_base) == ("dod", True, -1, True, day)
    assert Ordering(**found.to_dict()) == found  # saved and read back
    assert (with_offsets(adm, {"admitted": found}, parent)["admitted"] == adm["admitted"]).all()  # itself
    drawn = pd.Series(adm["admitted"].sample(frac=1, random_state=0).to_numpy())  # drawn apart from the deaths
    cols = {"admitted": drawn.copy()}
    from_offsets(cols, {"admitted": found}, parent)
    out, dead, dod_day = cols["admitted"], dod.notna(), dod.dt.normalize()
    assert (drawn[dead] > dod_day[dead]).sum() > 5  # the case: drawn after the death
    assert (out[dead] <= dod_day[dead]).all()
    assert (out[~dead] == drawn[~dead]).all()  # the living as drawn


def test_a_generated_row_without_its_base_counts_its_offset_from_another_base():
    """A delivery follows its order's shipping date in every training row (only shipped orders have
    deliveries), so its date was modelled as an offset from it; a delivery the model put under an
    order not shipped came back with no date at all, a NULL in a NOT NULL column that stopped
    to_sql (2 of 405 on an ERP). The offset is counted from the order date instead, which the
    delivery also follows in every row."""
    rng = np.random.default_rng(0)
    n = 200
    ordered = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    shipped = pd.Series(ordered + pd.to_timedelta(rng.integers(0, 30, n), "D"))
    delivered = shipped + pd.to_timedelta(rng.integers(0, 5, n), "D")
    parent = pd.DataFrame({"ordered": ordered, "shipped": shipped})
    kinds = {"ordered": Column.DATE, "shipped": Column.DATE}
    found = find_orderings(
        pd.DataFrame({"delivered": delivered}), ["delivered"], {"delivered": Column.DATE}, parent, kinds
    )
    o = found["delivered"]
    assert (o.base, o.from_parent, o.fallback, o.fallback_from_parent) == ("shipped", True, "ordered", True)
    assert Ordering(**{"column": "delivered", **json.loads(json.dumps(o.to_dict()))}) == o
    cols = {"delivered": with_offsets(pd.DataFrame({"delivered": delivered}), found, parent)["delivered"]}
    generated = parent.assign(shipped=parent["shipped"].where(np.arange(n) >= 20))  # 20 orders not shipped
    from_offsets(cols, found, generated)
    assert cols["delivered"].notna().all()
    assert (cols["delivered"] >= parent["ordered"]).all()
    assert (cols["delivered"][20:] == delivered[20:]).all()


def places(n_cities: int = 40, per_city: int = 15, seed: int = 0) -> RelationalData:
    """cities (worldwide lat/lon, 6 decimals) -> customers within 0.2 degrees of their city, with a
    spend of no order; a population the customers' numbers are nowhere near."""
    rng = np.random.default_rng(seed)
    cities = pd.DataFrame(
        {
            "id": range(n_cities),
            "lat": rng.uniform(-45, 60, n_cities).round(6),
            "lon": rng.uniform(-125, 150, n_cities).round(6),
            "population": rng.integers(10**5, 10**7, n_cities),
        }
    )
    city = np.repeat(np.arange(n_cities), per_city)
    customers = pd.DataFrame(
        {
            "id": range(len(city)),
            "city": city,
            "lat": (cities["lat"].to_numpy()[city] + rng.uniform(-0.2, 0.2, len(city))).round(6),
            "lon": (cities["lon"].to_numpy()[city] + rng.uniform(-0.2, 0.2, len(city))).round(6),
            "spend": rng.gamma(2, 30, len(city)).round(2),
        }
    )
    schema = Schema(
        city=Table(id=PrimaryKey(), lat=Numeric(), lon=Numeric(), population=Integer()),
        customer=Table(id=PrimaryKey(), city=ForeignKey(parent="city"), lat=Numeric(), lon=Numeric(), spend=Numeric()),
    )
    return RelationalData({"city": cities, "customer": customers}, schema)


def test_a_number_near_its_parents_stays_near_it_on_either_side(tmp_path):
    """A customer's latitude and longitude lie within 0.2 degrees of its city's, on either side, in
    columns spanning 100 degrees and more: drawn on their own, within quantile bins degrees wide, a
    generated customer fell anywhere between the cities (in a round trip alone, most of them more
    than 0.25 degrees from their city). Each is modelled as its signed gap from the city's, and
    decoded on its grid (6 decimals, negative longitudes kept)."""
    data = places()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["customer"]
    assert {b: (o.base, o.from_parent, o.near) for b, o in found.items()} == {
        "lat": ("lat", True, True),
        "lon": ("lon", True, True),
    }  # not the spend, nowhere near the population
    assert found["lat"].describe("city") == "lat near city.lat"
    pre.save(tmp_path / "pre")
    pre = TabularPreproc.load(tmp_path / "pre")
    for seed in range(2):
        out = pre.inverse_transform(pre.transform(data), seed=seed)
        city = out["city"].set_index("id").reindex(out["customer"]["city"])
        for axis in ("lat", "lon"):
            gap = (out["customer"][axis].to_numpy() - city[axis].to_numpy()).astype(float)
            assert np.abs(gap).max() <= 0.2 + 1e-6
            assert (gap < 0).mean() > 0.3 and (gap > 0).mean() > 0.3  # both sides, not clipped to the city's
        lon = out["customer"]["lon"].to_numpy(np.float64)
        assert (lon < 0).any() and np.allclose(lon, np.round(lon, 6))


def test_a_closing_time_after_the_opening_time_stays_after_it(tmp_path, tiny_size):
    """A store closes 1 to 10 hours after it opens (half hours, 05:00 to 14:30 and 06:00 to 23:00:
    the ranges overlap), but times of day took no part in the orders within rows: drawn apart, 10
    of 202 stores a 300-step model generated closed before they opened (an untrained model here,
    a third). The closing time is modelled as its offset from the opening, in seconds since
    midnight, and decoded as a time of day on the half-hour grid, never past the latest closing."""
    rng = np.random.default_rng(0)
    n = 300
    opens = rng.integers(10, 30, n) * 1800  # seconds since midnight
    closes = np.minimum(opens + rng.integers(2, 21, n) * 1800, 23 * 3600)
    as_time = [dt.time(int(x) // 3600, int(x) // 60 % 60) for x in (*opens, *closes)]
    store = pd.DataFrame({"id": range(n), "opens": as_time[:n], "closes": as_time[n:]})
    data = RelationalData({"store": store}, Schema(store=Table(id=PrimaryKey(), opens=Time(), closes=Time())))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    out = TabularModel.build(pre, size=tiny_size).generate(n, seed=0)["store"]
    assert all(isinstance(t, dt.time) for t in (*out["opens"], *out["closes"]))
    assert (out["closes"] >= out["opens"]).all()
    assert (out["closes"] <= dt.time(23)).all()
    assert all(t.minute in (0, 30) and t.second == 0 for t in out["closes"])
    found = pre.orderings["store"]["closes"]
    assert (found.base, found.sign, found.timed, found.grid) == ("opens", 1, True, 1800.0)
    pre.save(tmp_path / "pre")
    assert TabularPreproc.load(tmp_path / "pre").orderings["store"]["closes"] == found


def scores(n: int = 500, seed: int = 0) -> RelationalData:
    """Scores out of a maximum of 10, 20, 50 or 100: the maximum, never below the score, is written
    as its offset from it."""
    rng = np.random.default_rng(seed)
    top = rng.choice([10, 20, 50, 100], n)
    frame = pd.DataFrame({"id": range(1, n + 1), "score": (rng.uniform(0, 1, n) * top).round().astype(int)})
    frame["max_score"] = top
    schema = Schema(s=Table(id=PrimaryKey(), score=Integer(), max_score=Integer()))
    return RelationalData({"s": frame}, schema)


def test_a_number_of_a_few_values_written_as_an_offset_keeps_them():
    """A maximum score of 10, 20, 50 or 100 decoded from its offset past the score was any number
    on its grid past it: 30, 40, 60, 70, 80, 90, 110, 120, 130 in an LMS database, values no
    training row holds. It is now moved onto the nearest of its values on the order's side."""
    data = scores()
    pre = TabularPreproc.from_schema(data.schema, n_bins=4).fit(data)  # wide bins: the offsets drawn far apart
    order = pre.orderings["s"]["max_score"]
    assert (order.base, order.sign, tuple(order.levels)) == ("score", 1, (10.0, 20.0, 50.0, 100.0))
    assert pre.orderings["s"]["max_score"].to_dict()["levels"] == (10.0, 20.0, 50.0, 100.0)
    out = pre.inverse_transform(pre.transform(data), seed=0)["s"]
    assert set(out["max_score"]) <= {10, 20, 50, 100}
    assert (out["score"] <= out["max_score"]).all()
    pre.orderings["s"]["max_score"] = replace(order, levels=None)  # without: the test can tell
    assert not set(pre.inverse_transform(pre.transform(data), seed=0)["s"]["max_score"]) <= {10, 20, 50, 100}


def due_and_submitted(n: int = 400, seed: int = 0) -> RelationalData:
    """Assignments opened over four years and due 1 to 20 days later, each handed in up to 3 days
    before its due date (before it opened, now and then) or, one in five, up to 3 days after: no
    order, but never far from it."""
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2020-01-10") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    due = opened + pd.to_timedelta(rng.integers(1, 21, n), unit="D") - pd.Timedelta(minutes=1)
    gap = pd.to_timedelta(rng.integers(1, 3 * 24 * 60, n), unit="min") * np.where(rng.random(n) < 0.2, 1, -1)
    frame = pd.DataFrame({"id": range(n), "opened_at": opened, "due_at": due, "submitted_at": due + gap})
    schema = Schema(s=Table(id=PrimaryKey(), opened_at=Datetime(), due_at=Datetime(), submitted_at=Datetime()))
    return RelationalData({"s": frame}, schema)


def test_a_date_near_another_date_of_its_row_stays_near_it_on_either_side(tmp_path):
    """A submission handed in within 3 days of its due date, on either side, in a column spanning
    years: drawn on its own, in bins months wide, 49 % of the generated submissions of an LMS
    database came after their due date (15 % of the source's), weeks from it. It is modelled as
    its signed gap from the due date, in seconds, and decoded on its grid (whole minutes), the due
    date decoded first from its own offset."""
    data = due_and_submitted()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = pre.orderings["s"]
    assert {b: (o.base, o.from_parent, o.near, o.dated) for b, o in found.items()} == {
        "due_at": ("opened_at", False, False, True),
        "submitted_at": ("due_at", False, True, True),  # near a date that is in an order itself
    }
    pre.save(tmp_path / "pre")
    pre = TabularPreproc.load(tmp_path / "pre")
    out = pre.inverse_transform(pre.transform(data), seed=0)["s"]
    assert str(out["submitted_at"].dtype) == "datetime64[ns]"
    gap = (out["submitted_at"] - out["due_at"]) / pd.Timedelta(days=1)
    assert gap.abs().max() <= 3 and 0.1 < (gap > 0).mean() < 0.3  # both sides, as the source's
    assert (out["submitted_at"].dt.second == 0).all()


def test_a_date_in_an_order_far_looser_than_its_gap_from_a_near_date_is_modelled_near_it():
    """A submission on or after its assignment's opening (5 to 60 days before the due date) in every
    row, within 3 days of its due date: written from the opening, as the order says, its gap from
    the due date was drawn apart (in an LMS database, from the term's start: 45 % of generated
    submissions late, the source's 15 %). It is now modelled near the due date, the opening kept
    as a floor it never passes."""
    rng = np.random.default_rng(0)
    n = 400
    opened = pd.Timestamp("2020-01-10") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    due = opened + pd.to_timedelta(rng.integers(5, 61, n), unit="D") - pd.Timedelta(minutes=1)
    gap = pd.to_timedelta(rng.integers(1, 3 * 24 * 60, n), unit="min") * np.where(rng.random(n) < 0.2, 1, -1)
    frame = pd.DataFrame({"id": range(n), "opened_at": opened, "due_at": due, "submitted_at": due + gap})
    schema = Schema(s=Table(id=PrimaryKey(), opened_at=Datetime(), due_at=Datetime(), submitted_at=Datetime()))
    data = RelationalData({"s": frame}, schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    o = pre.orderings["s"]["submitted_at"]
    assert (o.base, o.near, o.near_floor, o.near_floor_from_parent) == ("due_at", True, "opened_at", False)
    out = pre.inverse_transform(pre.transform(data), seed=0)["s"]
    late = (out["submitted_at"] - out["due_at"]) / pd.Timedelta(days=1)
    assert late.abs().max() <= 3 and 0.1 < (late > 0).mean() < 0.3
    assert (out["submitted_at"] >= out["opened_at"]).all()
    out["opened_at"] = out["due_at"] - pd.Timedelta(days=1)  # a floor past the drawn date: set onto it
    cols = {c: out[c] for c in out.columns}
    cols["submitted_at"] = pd.Series((out["submitted_at"] - out["due_at"]) / pd.Timedelta(seconds=1))
    from_offsets(cols, {"submitted_at": o})
    assert (cols["submitted_at"] >= out["opened_at"]).all()


def test_a_ship_date_a_fixed_gap_before_its_due_date_keeps_its_gap():
    """AdventureWorks' orders: due 12 days and shipped (and modified) 7 days after the order date, in
    every row. The ship date, on or before its due date, was also modelled near the due date, that
    order's own base, kept as a floor it never passes: every round-tripped order shipped on its due
    date (1,099 of 1,099 at 12 days)."""
    rng = np.random.default_rng(0)
    n = 400
    ordered = pd.Timestamp("2011-05-31") + pd.to_timedelta(rng.integers(0, 1120, n), unit="D")
    frame = pd.DataFrame({"id": range(n), "ordered": ordered, "due": ordered + pd.Timedelta(days=12),
                          "shipped": ordered + pd.Timedelta(days=7), "modified": ordered + pd.Timedelta(days=7)})  # fmt: skip
    schema = Schema(o=Table(id=PrimaryKey(), ordered=Date(), due=Date(), shipped=Date(), modified=Date()))
    data = RelationalData({"o": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    out = pre.inverse_transform(pre.transform(data), seed=0)["o"]
    for c, days in [("due", 12), ("shipped", 7), ("modified", 7)]:
        assert ((out[c] - out["ordered"]) == pd.Timedelta(days=days)).all(), c


def test_a_date_near_another_keeps_to_its_deadline_side():
    """A near date whose order is on or before its base (a deadline) is kept on or before it, not on or
    after it as a floor."""
    days = pd.Series(pd.to_datetime(["2020-01-01", "2020-01-01"]))
    o = Ordering("paid", "invoiced", 1, near=True, grid=86_400e9, near_floor="due", near_floor_sign=-1)
    cols = {"invoiced": days, "due": days + pd.Timedelta(days=30), "paid": pd.Series([3 * 86_400.0, 40 * 86_400.0])}
    from_offsets(cols, {"paid": o})
    assert list(cols["paid"] - days) == [pd.Timedelta(days=3), pd.Timedelta(days=30)]


def viewings(n: int = 300, least: int = 3, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each viewing's listing (listed, sold 15-240 days later; a date) and the viewing, on a uniform
    day from the listing up to `least` days before the sale."""
    rng = np.random.default_rng(seed)
    listed = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    sold = listed + pd.to_timedelta(rng.integers(15, 241, n), "D")
    days = rng.integers(0, (sold - listed).days.to_numpy() - least + 1)
    return pd.DataFrame({"listed": listed, "sold": sold}), pd.DataFrame({"viewed": listed + pd.to_timedelta(days, "D")})


def test_a_date_before_its_bound_keeps_the_least_gap_the_data_keeps_from_it():
    """Every viewing of a sold listing is 3 days before the sale at least: a place drawn near the
    bound (a weak model's, here every place within the last tenth of the room) put the viewing on
    the sale day (55 of 1,251 viewings a small model generated). The bound's gap is kept; where the
    data holds viewings on the sale day, a place at the bound still lands there."""
    kinds = {"listed": Column.DATE, "sold": Column.DATE}
    for least in (3, 0):
        parent, df = viewings(least=least)
        found = find_orderings(df, ["viewed"], {"viewed": Column.DATE}, parent, kinds)
        assert found["viewed"].bound == "sold"
        cols = {"viewed": with_offsets(df, found, parent)["viewed"]}
        assert cols["viewed"].between(0, 1).all()
        from_offsets(cols, found, parent)
        assert (cols["viewed"] == df["viewed"]).all()  # a round trip keeps every date
        near = {"viewed": pd.Series(np.random.default_rng(1).uniform(0.9, 1.0, len(df)))}
        near["viewed"].iloc[0] = 1.0
        from_offsets(near, found, parent)
        gaps = parent["sold"] - near["viewed"]
        assert (gaps >= least * DAY).all() and (near["viewed"] >= parent["listed"]).all()
        assert gaps.min() == least * DAY


def test_a_stores_days_never_run_past_the_datas_last_day(tiny_size):
    """A store's days, one or two apart from the first day on, are steps from the previous one, and
    the data's last day is the extraction's: a sequence summed past it is drawn again within the room
    its earlier days left, but a store whose last day already lay on it had none, and its further
    days stayed past the data's end (10 of 286 days of an untrained model, a like panel). Such days go, as a row
    without room before its parent's cap does."""
    rng = np.random.default_rng(0)
    rows = []
    for store in range(40):
        day = 0
        while day < 14:
            rows.append((store, pd.Timestamp("2015-03-01") + pd.Timedelta(days=day)))
            day += int(rng.choice([1, 2], p=[0.6, 0.4]))
    sales = pd.DataFrame(rows, columns=["store_id", "day"]).sample(frac=1, random_state=0).reset_index(drop=True)
    sales.insert(0, "id", range(len(sales)))
    schema = Schema(
        store=Table(id=PrimaryKey(), region=Categorical()),
        sales=Table(id=PrimaryKey(), store_id=ForeignKey(parent="store"), day=Date()),
    )
    store = pd.DataFrame({"id": range(40), "region": rng.choice(["n", "s"], 40)})
    data = RelationalData({"store": store, "sales": sales}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    out = TabularModel.build(pre, size=tiny_size).generate(40, seed=0)["sales"]
    assert len(out) > 100 and (out["day"] <= sales["day"].max()).all()


def listings(n: int = 300, seed: int = 0, days=(1, 3, 5, 7)) -> RelationalData:
    """listings starting at any minute of a month, ending a whole number of days later, one of `days`
    (None: any minute of the week after), those ended by the month's end (the data's extraction)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 30 * 1440, n), "min")
    gap = pd.to_timedelta(rng.choice(days, n), "D") if days else pd.to_timedelta(rng.integers(1, 7 * 1440, n), "min")
    listing = pd.DataFrame({"start": start, "end": start + gap, "kind": rng.choice(["a", "b"], n)})
    listing = listing[listing["end"] < pd.Timestamp("2023-01-31")].reset_index(drop=True).rename_axis("id")
    listing = listing.reset_index()
    schema = Schema(listing=Table(id=PrimaryKey(), start=Datetime(), end=Datetime(), kind=Categorical()))
    return RelationalData({"listing": listing}, schema)


def test_a_date_a_few_whole_days_after_its_base_is_generated_on_one_of_them(tiny_size):
    """An auction ends 1, 3, 5 or 7 days after its start in every training row: drawn as a gap of
    minutes, the end fell off them in 0.3 to 1 % of a trained model's auctions (6.78 days: a 7-day end
    stopped on the data's last end). The order keeps the few gaps (`gap_levels`), and a decoded gap is
    moved onto the nearest one short of the column's last date (here 3.4 % of the ends were off before,
    drawn again before it); none under DP."""
    data = listings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    o = pre.orderings["listing"]["end"]
    assert o.gap_levels == tuple(d * 86_400e9 for d in (1, 3, 5, 7))
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: any gap
    out = model.generate(1000, seed=0)["listing"]
    days = (out["end"] - out["start"]) / DAY
    assert days.isin([1, 3, 5, 7]).all() and days.nunique() == 4
    assert out["end"].max() <= data["listing"]["end"].max()
    pre.orderings["listing"]["end"] = replace(o, gap_levels=None)
    out = model.generate(1000, seed=0)["listing"]
    off = ~((out["end"] - out["start"]) / DAY).isin([1, 3, 5, 7])
    last = data["listing"]["end"].max()  # drawn again before the last end, not stopped on it (`_before_latest`)
    assert off.mean() > 0.02 and (out["end"][off] < last).all() and out["end"][off].nunique() == off.sum()
    assert TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5)).orderings == {}


def test_no_gap_levels_where_the_gaps_spread_or_lie_on_the_dates_own_grid():
    """Gaps of any minute of a week, or of 1 to 6 days between dates by the day: no levels."""
    assert find_orderings(*_listing_args(listings(days=None)))["end"].gap_levels is None
    data = listings(days=(1, 2, 3, 4, 5, 6))
    frame = data["listing"].assign(start=data["listing"]["start"].dt.floor("D"))
    frame["end"] = frame["start"] + (data["listing"]["end"] - data["listing"]["start"]).dt.floor("D")
    found = find_orderings(frame, ["start", "end"], {"start": Column.DATE, "end": Column.DATE})
    assert found["end"].gap_levels is None


def _listing_args(data: RelationalData) -> tuple:
    return data["listing"], ["start", "end"], {"start": Column.DATETIME, "end": Column.DATETIME}


def ages_at_hire(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Employees hired 2008-2023 at 19 to 60 years old (uniform): every hire after every birth; the
    least gap too near the ages drawn apart for `min_gap` at 300 rows, the range of ages not."""
    rng = np.random.default_rng(seed)
    hire = pd.Timestamp("2008-01-01") + pd.to_timedelta(rng.integers(0, 5800, n), "D")
    age = (rng.uniform(19, 60, n) * 365.25).astype(int)
    return pd.DataFrame({"birth": hire - pd.to_timedelta(age, "D"), "hire": hire})


def test_a_date_keeps_the_range_of_gaps_from_its_base_every_row_keeps():
    """HR: 300 employees hired 19 to 60 years after their birth: no least gap was kept (`min_gap`
    declines at 300 rows), birth and hire were drawn apart, and 3-5 % of a model's employees were
    hired under 18, up to 1 % over 65. The hire is now kept within the range of ages every row
    keeps, a gap past it drawn again from the rows' gaps: none on the bounds. The range is stored
    rounded outwards to whole thousands of days (a tenth of its width at most): the youngest and the
    oldest hire's own ages are not in the model."""
    df = ages_at_hire()
    kinds = {"birth": Column.DATE, "hire": Column.DATE}
    found = find_orderings(df, ["birth", "hire"], kinds, min_count=5)["hire"]
    gaps = (df["hire"] - df["birth"]).to_numpy().astype("int64")
    assert found.loose and (found.base, found.sign) == ("birth", 1)
    thousand_days = 1000 * 86_400 * 10**9
    assert (found.gap_low, found.gap_high) == (6000 * 86_400 * 10**9, 22000 * 86_400 * 10**9)
    assert found.gap_low < gaps.min() < found.gap_low + thousand_days
    assert found.gap_high - thousand_days < gaps.max() < found.gap_high
    drawn = pd.Series(df["hire"].sample(frac=1, random_state=0).to_numpy())  # drawn apart from the births
    age = (drawn - df["birth"]).to_numpy().astype("int64")
    low = max(found.gap_low, found.min_gap)  # the least gap kept too, if any
    outside = (age < low) | (age > found.gap_high)
    assert outside.sum() > 20
    cols = {"birth": df["birth"], "hire": drawn.copy()}
    from_offsets(cols, {"hire": found}, rng=np.random.default_rng(0))
    kept = (cols["hire"] - df["birth"]).to_numpy().astype("int64")
    assert ((kept >= low) & (kept <= found.gap_high)).all()
    assert (kept == age)[~outside].all()  # only those outside move
    on_bounds = np.minimum(kept - gaps.min(), gaps.max() - kept) <= 30 * 86_400 * 10**9  # within a month
    assert on_bounds[outside].mean() < 0.1  # drawn again, not stopped on a bound
    saved = Ordering(**{"column": "hire", **json.loads(json.dumps(found.to_dict()))})
    assert saved == found


def test_no_range_of_gaps_where_a_row_breaks_it_rows_are_few_or_dates_unrelated():
    kinds = {"birth": Column.DATE, "hire": Column.DATE}
    df = ages_at_hire()
    apart = df.assign(birth=df["birth"].sample(frac=1, random_state=1).to_numpy())  # births unrelated to hires
    assert "hire" not in find_orderings(apart, ["birth", "hire"], kinds, min_count=5)
    broken = df.copy()
    broken.loc[0, "birth"] = broken.loc[0, "hire"] + DAY  # one birth after its hire: no order, no range
    assert "hire" not in find_orderings(broken, ["birth", "hire"], kinds, min_count=5)
    few = ages_at_hire(n=40)  # about 5 % of pairs drawn apart fall past each side: 40 rows are too few
    assert "hire" not in find_orderings(few, ["birth", "hire"], kinds, min_count=5)


def test_an_absence_keeps_the_weeks_before_its_employees_termination_that_every_absence_keeps(tiny_size):
    """Every absence starts 24 days or more before its employee's termination (its 1-20 days end
    before it), a few rows under the fifth shortest (24, 25, 26, 28, 30): a gap of 20 days is kept,
    where none was (the fifth shortest being no gap all rows keep), and an untrained model's absences
    began days before the termination, ending past it."""
    rng = np.random.default_rng(0)
    hire = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 4000, 200), "D")
    term = hire + pd.to_timedelta(rng.integers(400, 1200, 200), "D")
    term = term.where(rng.random(200) < 0.6)  # the others still employed
    who = np.repeat(np.arange(200), 5)
    stop = term.fillna(pd.Timestamp("2022-06-30"))[who]
    span = (stop - hire[who]).days.to_numpy()
    start = hire[who] + pd.to_timedelta((rng.random(len(who)) * (span - 23)).astype(int), "D")
    frames = {
        "employees": pd.DataFrame({"id": range(200), "hire_date": hire, "termination_date": term}),
        "absences": pd.DataFrame({"id": range(len(who)), "employee_id": who, "start_date": start}),
    }
    keys = {"employees": "id", "absences": "id"}
    data = RelationalData(
        frames, Schema.infer(frames, primary_keys=keys, foreign_keys={"absences": {"employee_id": "employees"}})
    )
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["absences"]["start_date"].bound_gap == 20 * 86_400e9
    synth = TabularModel.build(pre, size=tiny_size).generate(200, seed=0)
    rows = synth["absences"].merge(synth["employees"], left_on="employee_id", right_on="id")
    left = (pd.to_datetime(rows["termination_date"]) - pd.to_datetime(rows["start_date"])).dt.days.dropna()
    assert len(left) and (left >= 20).all(), sorted(left)[:5]


def extract(n: int = 80, seed: int = 0) -> RelationalData:
    """accounts opened over 2005-2024, a quarter in 2024 -> their transactions of one extract, 2024 only: the first on or
    after the opening and after 1 January 2024, the others a few days apart."""
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 6_900, n), "D")
    recent = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 150, n), "D")
    opened = opened.where(rng.random(n) > 0.25, recent)  # a quarter opened in the extract's year
    acc = np.repeat(np.arange(1, n + 1), rng.integers(5, 20, n))
    first = opened.where(opened > pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01"))
    first = first + pd.to_timedelta(rng.integers(0, 20, n), "D")
    steps = pd.Series(rng.integers(1, 10, len(acc))).groupby(acc).cumsum().to_numpy()
    booked = first[acc - 1] + pd.to_timedelta(steps, "D")
    tx = pd.DataFrame({"id": range(1, len(acc) + 1), "account": acc, "booked": booked, "amount": rng.gamma(2, 50, len(acc)).round(2)})  # fmt: skip
    schema = Schema(
        account=Table(id=PrimaryKey(), opened=Date()),
        tx=Table(id=PrimaryKey(), account=ForeignKey("account"), booked=Date(), amount=Numeric()),
    )
    return RelationalData({"account": pd.DataFrame({"id": range(1, n + 1), "opened": opened}), "tx": tx}, schema)


def test_a_series_in_a_calendar_window_is_counted_from_its_first_date_after_the_parents():
    """A year's transactions of accounts opened over 19 years: counted from each account's opening, the
    first transaction's offset spreads over years and the model, drawing it in bins years wide apart
    from the opening, put the series anywhere from the opening on (15-22 % of a fleet's generated trips
    in the data's months). Counted from the data's first date, the opening a floor, offsets drawn apart
    keep the window."""
    data = extract()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    o = pre.orderings["tx"]["booked"]
    assert o.after_sibling and o.origin is not None and o.floor == "opened"
    tx, accounts = data["tx"], data["account"].set_index("id")
    parent = accounts.reindex(tx["account"]).reset_index(drop=True)
    offsets = with_offsets(tx, {"booked": o}, parent, tx["account"].to_numpy())["booked"]
    first = ~tx["account"].duplicated().to_numpy()  # rows stored in date order under each account
    drawn = offsets.copy()
    drawn[first] = np.random.default_rng(1).permutation(offsets[first].to_numpy())  # drawn apart from the opening
    cols = {"booked": drawn}
    from_offsets(cols, {"booked": o}, parent, tx["account"].to_numpy())
    booked = pd.to_datetime(cols["booked"])
    assert (booked >= parent["opened"]).all()  # never before the opening
    assert booked.between(tx["booked"].min(), tx["booked"].max() + pd.Timedelta("31D")).mean() > 0.95


def signups_and_tickets(n: int = 300, seed: int = 0, on_last_day: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """customers signed up over two years, each ticket at a uniform minute from its customer's signup
    to the data's extraction; `on_last_day`: the share of tickets stamped at the extraction itself."""
    rng = np.random.default_rng(seed)
    extracted = pd.Timestamp("2025-01-01 17:30")
    signup = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    minutes = rng.random(n) * (extracted - signup) / pd.Timedelta("1min")
    created = (signup + pd.to_timedelta(minutes.round(), "min")).where(rng.random(n) >= on_last_day, extracted)
    return pd.DataFrame({"signup": signup}), pd.DataFrame({"created": created})


def test_a_date_carried_past_the_datas_end_is_drawn_again_before_it_not_piled_on_it():
    """A ticket's offset from its customer's signup, drawn with no regard to how late the signup
    was, carried it past the data's last minute, where decoding stopped it: 40 of 252 tickets of a
    trained model lay on that minute, which one real ticket holds. Such a date is drawn again
    within the room from its base to the latest, kept after its base."""
    parent, tickets = signups_and_tickets()
    found = find_orderings(tickets, ["created"], {"created": Column.DATETIME}, parent, {"signup": Column.DATETIME})
    order = found["created"]
    assert (order.base, order.from_parent, order.at_extreme) == ("signup", True, 0.0)
    offsets = with_offsets(tickets, found, parent)["created"]
    cols = {"created": pd.Series(np.full(len(tickets), offsets.max()))}  # the longest gap, for every customer
    from_offsets(cols, found, parent, rng=np.random.default_rng(0))
    out, latest = cols["created"], tickets["created"].max()
    assert (out <= latest).all() and (out >= parent["signup"]).all()
    assert (out == latest).sum() <= 3 and out.nunique() > len(out) / 2


def test_a_date_many_rows_hold_at_the_datas_end_is_still_stopped_there():
    """A fifth of the tickets stamped at the extraction itself: the latest is a value the data piles
    on, so a date carried past it stays on it."""
    parent, tickets = signups_and_tickets(on_last_day=0.2)
    found = find_orderings(tickets, ["created"], {"created": Column.DATETIME}, parent, {"signup": Column.DATETIME})
    assert 0.15 < found["created"].at_extreme < 0.25
    offsets = with_offsets(tickets, found, parent)["created"]
    cols = {"created": pd.Series(np.full(len(tickets), offsets.max()))}
    from_offsets(cols, found, parent, rng=np.random.default_rng(0))
    assert (cols["created"] == tickets["created"].max()).all()


def reviews(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders, one review each): purchased, delivered (missing for 20 % not delivered); a review
    created at midnight the day after its delivery, or 20 to 40 days after the purchase where the
    order was never delivered."""
    rng = np.random.default_rng(seed)
    purchased = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 700 * 86_400, n), "s")
    delivered = pd.Series(purchased + pd.to_timedelta(rng.integers(86_400, 20 * 86_400, n), "s"))
    delivered = delivered.where(rng.random(n) > 0.2)
    late = pd.Series(purchased.normalize() + pd.to_timedelta(rng.integers(20, 40, n), "D"))
    created = (delivered.dt.normalize() + DAY).fillna(late)
    return pd.DataFrame({"purchased": purchased, "delivered": delivered}), pd.DataFrame({"created": created})


def test_a_date_after_a_parent_date_some_rows_lack_is_counted_from_it_where_held():
    """A review is created after its order's delivery wherever the order was delivered: no offset
    could count from a delivery some orders lack, so the review was counted from the purchase
    only and 40 % of a model's Olist reviews came before their order's delivery. Counted from the
    delivery where the order has one, from the purchase (held in every row) elsewhere; the orders'
    missing deliveries stay missing and their reviews keep their side of the purchase."""
    parent, rv = reviews()
    kinds = {"purchased": Column.DATETIME, "delivered": Column.DATETIME}
    o = find_orderings(rv, ["created"], {"created": Column.DATETIME}, parent, kinds)["created"]
    assert (o.base, o.from_parent, o.sign, o.loose) == ("delivered", True, 1, False)
    assert (o.fallback, o.fallback_from_parent) == ("purchased", True)
    assert Ordering(**{"column": "created", **json.loads(json.dumps(o.to_dict()))}) == o
    offsets = with_offsets(rv, {"created": o}, parent)["created"]
    held = parent["delivered"].notna()
    assert offsets.notna().all() and (offsets[held] <= 86_400).all()  # within a day of the delivery
    cols = {"created": offsets.copy()}
    from_offsets(cols, {"created": o}, parent)
    assert (cols["created"] == rv["created"]).all()  # back to the same dates
    drawn = {"created": offsets.sample(frac=1, random_state=0).reset_index(drop=True)}  # offsets drawn apart
    from_offsets(drawn, {"created": o}, parent)
    assert drawn["created"].notna().all()
    assert (drawn["created"][held] >= parent["delivered"][held]).all()
    assert (drawn["created"] >= parent["purchased"]).all()


def test_a_date_kept_after_a_date_some_rows_lack_by_chance_stays_on_the_base_held_everywhere():
    """Not where the rows holding both keep the order by chance: a date a month after its start,
    the other (missing in half the rows) a day at most after it, keep their order in every row by
    their gaps' ranges alone; nor a date independent of the other, which breaks it in half the rows."""
    rng = np.random.default_rng(1)
    n = 400
    start = pd.Series(pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 700 * 1440, n), "min"))
    missing = rng.random(n) < 0.5
    soon = (start + pd.to_timedelta(rng.integers(0, 1440, n), "min")).where(~missing)
    later = start + pd.to_timedelta(rng.integers(2 * 1440, 60 * 1440, n), "min")
    df = pd.DataFrame({"start": start, "soon": soon, "later": later})
    kinds = {c: Column.DATETIME for c in df.columns}
    assert (df["later"][~missing] >= df["soon"][~missing]).all()  # the case: kept in every row holding both
    assert find_orderings(df, list(df.columns), kinds)["later"].base == "start"
    df["other"] = start + pd.to_timedelta(rng.integers(0, 1440, n), "min")  # after start, beside `soon`
    kinds["other"] = Column.DATETIME
    found = find_orderings(df, ["start", "soon", "other"], kinds)
    assert found["other"].base == "start"

"""Numbers kept within the range of their lookup row: a salary between its job's lowest and highest
where the jobs are a lookup (copied as they are, the job key a category the model writes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import (
    Date,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.lookup_orders import move_within


def staff(seed: int = 0, n: int = 400) -> RelationalData:
    """department -> employee; employee -> job, a lookup of 12 jobs whose salary ranges overlap;
    each salary within its job's range (whole hundreds), a hire date after the job was opened."""
    rng = np.random.default_rng(seed)
    low = rng.integers(30, 120, 12) * 1_000
    jobs = pd.DataFrame(
        {
            "id": range(1, 13),
            "min_salary": low,
            "max_salary": low + rng.integers(10, 40, 12) * 1_000,
            "opened": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 1500, 12), "D"),
        }
    )
    job = rng.integers(1, 13, n)
    place = rng.random(n)
    salary = (
        (jobs["min_salary"].to_numpy()[job - 1] + place * (jobs["max_salary"] - jobs["min_salary"]).to_numpy()[job - 1])
        // 100
        * 100
    )
    hired = jobs["opened"].to_numpy()[job - 1] + pd.to_timedelta(rng.integers(0, 2000, n), "D").to_numpy()
    employee = pd.DataFrame(
        {"id": range(1, n + 1), "department": rng.integers(1, 41, n), "job": job, "salary": salary, "hired": hired}
    )
    schema = Schema(
        department=Table(id=PrimaryKey(), size=Integer()),
        employee=Table(id=PrimaryKey(), department=ForeignKey("department"), job=ForeignKey("job"),
                       salary=Numeric(), hired=Date()),
        job=Table(id=PrimaryKey(), min_salary=Integer(), max_salary=Integer(), opened=Date()),
        lookups=["job"],
    )  # fmt: skip
    department = pd.DataFrame({"id": range(1, 41), "size": rng.integers(1, 50, 40)})
    return RelationalData({"department": department, "employee": employee, "job": jobs}, schema)


def within(synth: RelationalData) -> tuple[float, float]:
    """(share of salaries within their job's range, share of hire dates on or after its opening)."""
    jobs = synth["job"].set_index("id").reindex(synth["employee"]["job"].astype("int64"))
    salary = synth["employee"]["salary"].to_numpy(dtype=np.float64)
    kept = (salary >= jobs["min_salary"].to_numpy()) & (salary <= jobs["max_salary"].to_numpy())
    hired = synth["employee"]["hired"].to_numpy() >= jobs["opened"].to_numpy()
    return float(kept.mean()), float(hired.mean())


def test_a_salary_stays_within_its_lookup_jobs_range():
    data = staff()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = {(r["column"], r["low"], r["high"]) for r in pre.stats["lookup_orders"]}
    assert rules == {("salary", "min_salary", "max_salary"), ("hired", "opened", None)}
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")  # untrained: salaries and jobs drawn apart
    kept = model.generate(200, seed=0)
    pre.stats["lookup_orders"] = []
    # nor the salary bins a job never holds (`_never_pairs`), which keep most salaries in range too
    pre.stats["never_pairs"] = [r for r in pre.stats["never_pairs"] if not r.get("number")]
    unkept = model.generate(200, seed=0)
    assert within(kept) == (1.0, 1.0) and within(unkept)[0] < 0.7, (within(kept), within(unkept))
    salaries = kept["employee"]["salary"].to_numpy(dtype=np.float64)
    assert (salaries == np.round(salaries)).all()  # on the column's grid still: whole units
    assert kept["employee"]["hired"].dt.normalize().eq(kept["employee"]["hired"]).all()  # whole days


def test_no_lookup_order_under_dp():
    data = staff()
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5))
    assert pre.stats.get("lookup_orders", []) == []


def priced_lines(seed: int = 0, n_orders: int = 150) -> RelationalData:
    """order -> line; line -> product, a lookup of 30 products: a line's unit price its product's
    list price or a discount of it (never above), its amount on or after the unit price (a few
    units, a rebate: no formula of the row)."""
    rng = np.random.default_rng(seed)
    products = pd.DataFrame({"id": range(1, 31), "list_price": np.round(np.exp(rng.uniform(1, 6, 30)), 2)})
    n = 3 * n_orders
    product = rng.integers(1, 31, n)
    listed = products["list_price"].to_numpy()[product - 1]
    unit = np.where(rng.random(n) < 0.7, listed, np.round(listed * rng.uniform(0.7, 0.95, n), 2))
    qty = rng.integers(1, 4, n)
    line = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "order": np.repeat(np.arange(1, n_orders + 1), 3),
            "product": product,
            "unit_price": unit,
            "amount": np.round(qty * unit * rng.uniform(0.97, 1.0, n), 2),
        }
    )
    line["amount"] = np.maximum(line["amount"], line["unit_price"])
    schema = Schema(
        order=Table(id=PrimaryKey(), placed=Date()),
        line=Table(id=PrimaryKey(), order=ForeignKey("order"), product=ForeignKey("product"),
                   unit_price=Numeric(), amount=Numeric()),
        product=Table(id=PrimaryKey(), list_price=Numeric()),
        lookups=["product"],
    )  # fmt: skip
    order = pd.DataFrame({"id": range(1, n_orders + 1), "placed": pd.Timestamp("2023-01-01")})
    return RelationalData({"order": order, "line": line, "product": products}, schema)


def test_a_unit_price_that_an_amount_follows_stays_at_most_its_products_list_price():
    data = priced_lines()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["line"]["amount"].base == "unit_price"  # the amount is written as its offset
    rules = {(r["column"], r["low"], r["high"]) for r in pre.stats["lookup_orders"]}
    assert ("unit_price", None, "list_price") in rules
    torch.manual_seed(0)
    synth = TabularModel.build(pre, size="small").generate(100, seed=0)  # untrained: prices and products apart
    lines = synth["line"]
    listed = synth["product"].set_index("id")["list_price"].reindex(lines["product"].astype("int64")).to_numpy()
    unit = lines["unit_price"].to_numpy(dtype=np.float64)
    assert (unit <= listed).all(), f"{(unit > listed).mean():.0%} of lines priced above their product's list price"
    assert (lines["amount"].to_numpy(dtype=np.float64) >= unit).all()  # the amount's order kept too
    assert (np.round(unit, 2) == unit).all()  # cents still


def test_a_price_moved_under_a_cheap_products_list_price_stays_positive():
    """The gap below a list price is drawn as a share of it: a 900.00 product's discount taken from
    an 11.19 one would price it at -79.51."""
    data = priced_lines()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    synth = TabularModel.build(pre, size="small").generate(100, seed=0)
    lines = synth["line"]
    listed = synth["product"].set_index("id")["list_price"].reindex(lines["product"].astype("int64")).to_numpy()
    unit = lines["unit_price"].to_numpy(dtype=np.float64)
    assert (unit > 0).all(), f"{(unit <= 0).sum()} of {len(unit)} lines priced at or below 0"
    assert (unit <= listed).all()


def test_a_base_that_is_also_an_orders_fallback_moves_only_the_way_keeping_both():
    """A line's price is the base of `total >= price` (lowering it keeps that) and the fallback of
    `cost <= list_price` (a cost counted from the price where a generated line has no list price:
    cost <= price in every line). Lowering the price may break the cost's order, yet the price was
    movable down, the fallback unread (`_movable_bases`: every order that reads a column)."""
    from relsynth.synth.tabular.orderings import Ordering

    schema = Schema(line=Table(id=PrimaryKey(), price=Numeric(), list_price=Numeric(), total=Numeric(), cost=Numeric()))
    pre = TabularPreproc.from_schema(schema)
    pre.orderings = {
        "line": {
            "total": Ordering("total", "price", 1, dated=False),
            "cost": Ordering("cost", "list_price", -1, dated=False, fallback="price"),
        }
    }
    movable = pre._movable_bases(set())
    assert ("line", "price") not in movable  # down keeps total >= price, up keeps cost <= price: not both
    assert movable[("line", "list_price")] == 1  # cost <= list_price: a higher list price keeps it
    pre.orderings["line"]["cost"] = Ordering("cost", "list_price", 1, dated=False, fallback="price")
    assert pre._movable_bases(set())[("line", "price")] == -1  # cost >= price too: down keeps both


def test_a_date_a_row_further_up_reads_is_not_moved_the_way_breaking_it():
    """An order's date, written from its customer's signup, may move later where it reads no other
    order (`written`); but a return two levels down is written from it ("order.placed", the line
    between holding no date), which a later order date would leave before its order."""
    from relsynth.synth.tabular.orderings import Ordering

    schema = Schema(
        customer=Table(id=PrimaryKey(), joined=Date()),
        order=Table(id=PrimaryKey(), customer=ForeignKey("customer"), placed=Date()),
        line=Table(id=PrimaryKey(), order=ForeignKey("order"), qty=Integer()),
        ret=Table(id=PrimaryKey(), line=ForeignKey("line"), at=Date()),
    )
    pre = TabularPreproc.from_schema(schema)
    pre.orderings = {"order": {"placed": Ordering("placed", "joined", 1, from_parent=True, dated=True)}}
    assert pre._movable_bases(set(), True)[("order", "placed")] == 1
    pre.orderings["ret"] = {"at": Ordering("at", "order.placed", 1, from_parent=True, dated=True)}
    movable = pre._movable_bases(set(), True)
    assert ("order", "placed") not in movable and movable[("customer", "joined")] == -1
    assert ("line", "order.placed") not in movable


def test_a_date_a_row_further_up_reads_is_found_in_tables_named_with_a_dot():
    """Tables named `<schema>.<table>` (from_sql over several schemas): "sales.order.placed" was
    split at its first dot, so the order's date stayed movable though a return reads it."""
    from relsynth.synth.tabular.orderings import Ordering

    schema = Schema(
        {
            "sales.customer": Table(id=PrimaryKey(), joined=Date()),
            "sales.order": Table(id=PrimaryKey(), customer=ForeignKey("sales.customer"), placed=Date()),
            "sales.line": Table(id=PrimaryKey(), order=ForeignKey("sales.order"), qty=Integer()),
            "sales.ret": Table(id=PrimaryKey(), line=ForeignKey("sales.line"), at=Date()),
        }
    )
    pre = TabularPreproc.from_schema(schema)
    pre.orderings = {
        "sales.order": {"placed": Ordering("placed", "joined", 1, from_parent=True, dated=True)},
        "sales.ret": {"at": Ordering("at", "sales.order.placed", 1, from_parent=True, dated=True)},
    }
    movable = pre._movable_bases(set(), True)
    assert ("sales.order", "placed") not in movable and movable[("sales.customer", "joined")] == -1
    assert ("sales.line", "sales.order.placed") not in movable


def test_a_number_near_its_lookup_rows_stays_near_it(tiny_size):
    """A customer's latitude and longitude lie within 0.2 degrees of its city's, where the cities
    are a lookup (copied as they are, the city key a category): drawn as numbers of their own, a third
    of the customers a 300-step model generated were more than 0.25 degrees from their city, nine in
    ten stores. A value outside the training rows' gaps is moved to its city's plus a drawn gap."""
    rng = np.random.default_rng(0)
    n_cities, n = 40, 500
    cities = pd.DataFrame(
        {"id": range(1, n_cities + 1), "lat": rng.uniform(-45, 60, n_cities).round(6),
         "lon": rng.uniform(-125, 150, n_cities).round(6)}
    )  # fmt: skip
    city = rng.integers(1, n_cities + 1, n)
    customers = pd.DataFrame(
        {"id": range(1, n + 1), "city": city,
         "lat": (cities["lat"].to_numpy()[city - 1] + rng.uniform(-0.2, 0.2, n)).round(6),
         "lon": (cities["lon"].to_numpy()[city - 1] + rng.uniform(-0.2, 0.2, n)).round(6),
         "spend": rng.gamma(2, 30, n).round(2)}
    )  # fmt: skip
    schema = Schema(
        city=Table(id=PrimaryKey(), lat=Numeric(), lon=Numeric()),
        customer=Table(id=PrimaryKey(), city=ForeignKey("city"), lat=Numeric(), lon=Numeric(), spend=Numeric()),
        lookups=["city"],
    )
    data = RelationalData({"city": cities, "customer": customers}, schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = {(r["column"], r["low"], r.get("near")) for r in pre.stats["lookup_orders"]}
    assert rules == {("lat", "lat", True), ("lon", "lon", True)}  # not the spend
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)
    named = out["city"].set_index("id").reindex(out["customer"]["city"].astype("int64"))
    for axis in ("lat", "lon"):
        gap = out["customer"][axis].to_numpy(np.float64) - named[axis].to_numpy()
        assert np.abs(gap).max() <= 0.2 + 1e-6
        assert (gap < 0).mean() > 0.2 and (gap > 0).mean() > 0.2  # both sides
        values = out["customer"][axis].to_numpy(np.float64)
        assert np.allclose(values, np.round(values, 6))


def fixtures(n_teams: int = 12, seasons: int = 3, seed: int = 0) -> RelationalData:
    """teams (a lookup, with a stadium's capacity) and matches naming a home and an away team, never
    one, each team once a date (a round a week), the attendance at most the home team's capacity."""
    rng = np.random.default_rng(seed)
    teams = pd.DataFrame({"id": range(1, n_teams + 1), "capacity": rng.integers(50, 700, n_teams) * 100})
    rows = []
    for s in range(seasons):
        ids = list(rng.permutation(n_teams) + 1)
        for r in range(2 * (n_teams - 1)):
            day = pd.Timestamp(f"{2020 + s}-08-01") + pd.Timedelta(days=7 * r)
            for i in range(n_teams // 2):
                home, away = ids[i], ids[n_teams - 1 - i]
                rows.append((home, away, day) if (r + i) % 2 else (away, home, day))
            ids = [ids[0], ids[-1], *ids[1:-1]]
    match = pd.DataFrame(rows, columns=["home", "away", "played_on"])
    capacity = teams.set_index("id")["capacity"].reindex(match["home"]).to_numpy()
    match["attendance"] = (capacity * rng.uniform(0.4, 1.0, len(match))).astype(np.int64)
    match.insert(0, "id", range(len(match)))
    schema = Schema(
        teams=Table(id=PrimaryKey(), capacity=Integer()),
        match=Table(
            id=PrimaryKey(), home=ForeignKey("teams"), away=ForeignKey("teams"), played_on=Date(), attendance=Integer()
        ),
        lookups=["teams"],
    )
    return RelationalData({"teams": teams, "match": match}, schema)


def over_capacity(data: RelationalData) -> int:
    capacity = data["teams"].set_index("id")["capacity"].reindex(data["match"]["home"].astype("int64")).to_numpy()
    return int((data["match"]["attendance"].to_numpy(dtype=np.float64) > capacity).sum())


def test_an_attendance_stays_within_the_capacity_of_a_home_team_swapped_after(tiny_size):
    """The attendance was kept at most its home team's capacity when the row was decoded, but the
    home team was then swapped to keep each team once a date (lookup slots) and the away team
    redrawn off the home team (lookup links): 18 to 21 of 432 matches of a sports league (teams a
    lookup, 6 epochs) over their home team's capacity. The values are kept again after the swaps."""
    data = fixtures()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [r["high"] for r in pre.stats["lookup_orders"]] == ["capacity"]
    assert {r["column"] for r in pre.stats["lookup_slots"]} == {"home", "away"}
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(len(data["match"]), seed=0)  # untrained: teams at random
    assert over_capacity(out) == 0
    assert not (out["match"]["home"] == out["match"]["away"]).any()


def test_a_datetime_moved_into_a_span_shorter_than_an_hour_lands_inside_it():
    """Alarms moved into their device's readings' span (08:15-08:55, every 5 minutes): the grid they
    were put on was read from the one alarm left in place (09:00: an hour), and no hour lies in the
    span, so every moved alarm landed on 08:00, outside it."""
    schema = Schema(
        device=Table(id=PrimaryKey()),
        alarm=Table(id=PrimaryKey(), device=ForeignKey("device"), ts=Datetime()),
    )
    rule = {"table": "alarm", "column": "ts", "low": "first", "high": "last", "place": [0.0, 0.5, 1.0]}
    day = pd.Timestamp("2023-04-22")
    short = [day + pd.Timedelta("08:15:00"), day + pd.Timedelta("08:55:00")]
    named = pd.DataFrame([[day + pd.Timedelta("08:00:00"), day + pd.Timedelta("10:00:00")]] + [short] * 30)
    named.columns = ["first", "last"]
    for drawn in ("12:05:00", "12:00:00"):  # drawn on 5 minutes; drawn on whole hours, as the one left
        frame = pd.DataFrame({"ts": [day + pd.Timedelta("09:00:00")] + [day + pd.Timedelta(drawn)] * 30})
        assert move_within(rule, frame, named, schema, np.random.default_rng(0)) == 30
        ts = frame["ts"]
        assert ((ts >= named["first"]) & (ts <= named["last"])).all(), ts.value_counts()
        if drawn == "12:05:00":  # on the grid the drawn values show
            assert (ts.dt.minute % 5 == 0).all(), ts.value_counts()

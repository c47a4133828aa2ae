"""Child tables whose presence a category of their parent row decides: a pending order's shipment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular.encoders import CategoricalPreproc
from relsynth.synth.tabular.rules.count_rules import count_tables, decided_values

STATUSES = ["pending", "shipped", "delivered", "returned", "cancelled"]


def shop(n: int = 300, seed: int = 0) -> RelationalData:
    """orders -> shipments, returns: a shipped, delivered or returned order has one shipment, a
    pending or cancelled one none; a returned order has 1 or 2 returns, others none; a gift-wrap
    flag unrelated to either."""
    rng = np.random.default_rng(seed)
    status = rng.choice(STATUSES, n, p=[0.2, 0.3, 0.3, 0.1, 0.1])
    shipped = np.isin(status, ["shipped", "delivered", "returned"])
    n_returns = np.where(status == "returned", rng.integers(1, 3, n), 0)
    order = pd.DataFrame({"id": range(n), "status": status, "gift": rng.choice(["Y", "N"], n)})
    shipment = pd.DataFrame({"id": range(int(shipped.sum())), "order": np.flatnonzero(shipped)})
    shipment["carrier"] = rng.choice(["ups", "dhl"], len(shipment))
    ret = pd.DataFrame({"id": range(int(n_returns.sum())), "order": np.repeat(np.arange(n), n_returns)})
    ret["qty"] = rng.integers(1, 4, len(ret))
    schema = Schema(
        order=Table(id=PrimaryKey(), status=Categorical(), gift=Categorical()),
        shipment=Table(id=PrimaryKey(), order=ForeignKey(parent="order"), carrier=Categorical()),
        ret=Table(id=PrimaryKey(), order=ForeignKey(parent="order"), qty=Integer()),
    )
    return RelationalData({"order": order, "shipment": shipment, "ret": ret}, schema)


def decided(values: pd.Series, has: np.ndarray, categories: list) -> tuple[list, list] | None:
    return decided_values(CategoricalPreproc(categories=categories).encode(values), has, categories)


def test_child_tables_a_category_decides_are_generated_so(tmp_path, tiny_size):
    """An untrained model draws each count at random (about half the pending orders shipped, half
    the returned ones without a return); now every order has the shipments and returns its status
    says, and the gift flag, which decides nothing, keeps no rule."""
    data = shop()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = {(r["column"], r["child"]): (sorted(r["none"]), sorted(r["some"])) for r in pre.stats["count_rules"]}
    assert rules == {
        ("status", "shipment"): (["cancelled", "pending"], ["delivered", "returned", "shipped"]),
        ("status", "ret"): (["cancelled", "delivered", "pending", "shipped"], ["returned"]),
    }
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(300, seed=0)
    orders = out["order"].set_index("id")
    shipments = orders.index.isin(out["shipment"]["order"])
    returns = orders.index.isin(out["ret"]["order"])
    status = orders["status"].astype(str)
    assert shipments.any() and returns.any() and (status == "returned").any()
    assert (shipments == status.isin(["shipped", "delivered", "returned"]).to_numpy()).all()
    assert (returns == (status == "returned").to_numpy()).all()


def test_no_rule_where_one_row_breaks_it_or_chance_explains_it():
    data = shop()
    ship = data["shipment"]
    pending = data["order"].index[data["order"]["status"] == "pending"][0]
    extra = pd.DataFrame({"id": [len(ship)], "order": [pending], "carrier": ["ups"]})  # one pending order shipped
    broken = RelationalData({**data.data, "shipment": pd.concat([ship, extra], ignore_index=True)}, data.schema)
    rules = TabularPreproc.from_schema(data.schema).fit(broken).stats["count_rules"]
    assert [(r["child"], r["none"]) for r in rules if r["child"] == "shipment"] == [("shipment", ["cancelled"])]
    # 6 rows all with children, where 90 % of the others have some: chance, not a rule
    has = np.r_[np.ones(6, bool), np.random.default_rng(0).random(200) < 0.9]
    assert decided(pd.Series(["a"] * 6 + ["b"] * 200), has, ["a", "b"]) is None


def test_small_values_without_children_by_chance_keep_no_rule():
    """40 cities of 8 orders, 1 order in 20 with a complaint whatever its city: most cities have
    none, by chance (the others some and some not), so no city is read as never having one."""
    rng = np.random.default_rng(0)
    cities = pd.Series(np.repeat([f"c{k}" for k in range(40)], 8))
    has = rng.random(len(cities)) < 0.05
    assert cities[~has].nunique() == 40 and cities[has].nunique() < 20
    assert decided(cities, has, [f"c{k}" for k in range(40)]) is None


def test_a_column_that_decides_every_row_keeps_its_rarer_values():
    """30 cancelled orders without a return are chance alone where 9 in 10 orders have none; beside
    30 returned orders, each with one, and every other value's orders without, they are a rule."""
    status = pd.Series(["returned"] * 30 + ["cancelled"] * 30 + ["shipped"] * 240)
    has = (status == "returned").to_numpy()
    assert decided(status, has, ["cancelled", "returned", "shipped"]) == (["cancelled", "shipped"], ["returned"])
    has[-1] = True  # one shipped order returned: the column no longer decides, cancelled is chance again
    assert decided(status, has, ["cancelled", "returned", "shipped"]) == ([], ["returned"])


def test_integer_codes_with_missing_values_keep_their_rules():
    """A status coded 0-4 in a nullable Int64 column, 7 pending orders without one: pandas reads
    its values as 2.0 where the categories are 2, so no rule was found; the rules follow the
    column's tokens."""
    data = shop()
    order = data["order"].copy()
    pending = order.index[order["status"] == "pending"][:7]
    order["status"] = order["status"].map({s: i for i, s in enumerate(STATUSES)}).astype("Int64")
    order.loc[pending, "status"] = pd.NA
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({**data.data, "order": order}, data.schema))
    rules = {r["child"]: (r["none"], r["some"]) for r in pre.stats["count_rules"]}
    assert rules == {"shipment": ([0, 4], [1, 2, 3]), "ret": ([0, 1, 2, 4], [3])}


def airline(n: int = 150, seed: int = 0) -> RelationalData:
    """flights -> bookings (1 to 4) -> boardings: a cancelled flight's bookings have no boarding,
    every other booking one (the flight's status is two levels above the boardings)."""
    rng = np.random.default_rng(seed)
    status = rng.choice(["flown", "cancelled"], n, p=[0.8, 0.2])
    sizes = rng.integers(1, 5, n)
    booking = pd.DataFrame({"id": range(int(sizes.sum())), "flight": np.repeat(np.arange(n), sizes)})
    booking["fare"] = rng.choice(["economy", "business"], len(booking))
    boarded = status[booking["flight"]] == "flown"
    boarding = pd.DataFrame({"id": range(int(boarded.sum())), "booking": np.flatnonzero(boarded)})
    boarding["gate"] = rng.choice(["A1", "B2"], len(boarding))
    schema = Schema(
        flight=Table(id=PrimaryKey(), status=Categorical()),
        booking=Table(id=PrimaryKey(), flight=ForeignKey(parent="flight"), fare=Categorical()),
        boarding=Table(id=PrimaryKey(), booking=ForeignKey(parent="booking"), gate=Categorical()),
    )
    flight = pd.DataFrame({"id": range(n), "status": status})
    return RelationalData({"flight": flight, "booking": booking, "boarding": boarding}, schema)


def test_a_parent_rows_category_decides_its_rows_children(tiny_size):
    """An untrained model boarded 171 of 244 bookings of cancelled flights and left 32 of 144 others
    unboarded; now no booking of a cancelled flight has a boarding and every other one has."""
    data = airline()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = [(r["table"], r["parent"], r["column"], r["child"], r["none"], r["some"]) for r in pre.stats["count_rules"]]
    assert rules == [("booking", "flight", "status", "boarding", ["cancelled"], ["flown"])]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(150, seed=0)
    status = out["booking"]["flight"].map(out["flight"].set_index("id")["status"].astype(str))
    boarded = out["booking"]["id"].isin(out["boarding"]["booking"])
    assert (status == "cancelled").any() and (status == "flown").any()
    assert (boarded == (status == "flown")).all()


def histories(n: int = 300, seed: int = 0, per: tuple[int, int] = (2, 5), poisson: float = 0.0) -> RelationalData:
    """orders -> their status events, `per` (low, high) each (every order created and then paid or
    cancelled: two at least), or a Poisson number of mean `poisson`."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(poisson, n) if poisson else rng.integers(*per, n)
    order = pd.DataFrame({"id": range(n), "channel": rng.choice(["web", "app"], n)})
    event = pd.DataFrame({"id": range(int(counts.sum())), "order": np.repeat(np.arange(n), counts)})
    event["state"] = rng.choice(["a", "b", "c"], len(event))
    schema = Schema(
        order=Table(id=PrimaryKey(), channel=Categorical()),
        event=Table(id=PrimaryKey(), order=ForeignKey(parent="order"), state=Categorical()),
    )
    return RelationalData({"order": order, "event": event}, schema)


def test_no_parent_gets_fewer_children_than_every_parent_has(tiny_size):
    pre = TabularPreproc.from_schema(histories().schema).fit(histories())
    count = next(s.preproc for s in pre.slots if s.is_count)
    assert count.least == 2
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: counts drawn at random over 0..4

    def too_few(out: RelationalData) -> int:
        return int((out["order"]["id"].map(out["event"]["order"].value_counts()).fillna(0) < 2).sum())

    assert too_few(model.generate(300, seed=0)) == 0
    count.least = 0  # without: the test can tell
    model = TabularModel.build(pre, size=tiny_size)
    assert too_few(model.generate(300, seed=0)) > 50


def test_counts_spread_down_to_a_few_parents_or_under_dp_keep_their_least_possible():
    pre = TabularPreproc.from_schema(histories(poisson=10.0).schema).fit(histories(poisson=10.0))
    assert next(s.preproc for s in pre.slots if s.is_count).least == 0  # 10 events at the mean, 1 or 2 at 3
    dp = TabularPreproc.from_schema(histories().schema).fit(histories(), dp=DpBudget(3.0, 1e-5))
    assert next(s.preproc for s in dp.slots if s.is_count).least == 0


def deals(n: int = 300, seed: int = 0) -> RelationalData:
    """A sales CRM's opportunities -> stage changes: an opportunity in the funnel's k-th stage has
    k changes (prospecting none, qualification one, ... closed_won four), a lost one 1 to 4."""
    rng = np.random.default_rng(seed)
    funnel = ["prospecting", "qualification", "proposal", "negotiation", "closed_won"]
    stage = rng.choice([*funnel, "closed_lost"], n)
    k = np.array([funnel.index(s) if s in funnel else int(rng.integers(1, 5)) for s in stage])
    opp = pd.DataFrame({"id": range(n), "stage": stage})
    change = pd.DataFrame({"id": range(int(k.sum())), "opp": np.repeat(np.arange(n), k)})
    change["by"] = rng.choice(["rep", "manager"], len(change))
    schema = Schema(
        opp=Table(id=PrimaryKey(), stage=Categorical()),
        change=Table(id=PrimaryKey(), opp=ForeignKey(parent="opp"), by=Categorical()),
    )
    return RelationalData({"opp": opp, "change": change}, schema)


def off_count(data: RelationalData, counts: dict[str, int]) -> int:
    """Opportunities whose number of changes is not the one their stage has in every training row."""
    n = data["change"].groupby("opp").size().reindex(data["opp"]["id"]).fillna(0).to_numpy()
    want = data["opp"]["stage"].astype(str).map(counts)
    return int((want.notna() & (want.to_numpy() != n)).sum())


def test_a_number_of_children_a_category_decides_is_generated_so(tiny_size):
    """A CRM's opportunity in `proposal` has two stage changes in every training row, one in
    `negotiation` three: the rules kept only none or some, and 2-3 of ~320 opportunities a small
    model generated had another number (a `qualification` with four changes, its history broken).
    Each such category's count is forced now; a lost one, 1 to 4, keeps `some` only."""
    data = deals()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [rule] = pre.stats["count_rules"]
    counts = {"closed_won": 4, "negotiation": 3, "proposal": 2, "qualification": 1}
    assert dict(rule["exact"]) == counts and rule["none"] == ["prospecting"] and "closed_lost" in rule["some"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: counts drawn at random
    out = model.generate(300, seed=0)
    assert off_count(out, counts) == 0
    lost = out["opp"]["id"][out["opp"]["stage"] == "closed_lost"]
    assert lost.isin(out["change"]["opp"]).all()  # still some, not one count
    pre.stats["count_rules"] = [{k: v for k, v in rule.items() if k != "exact"}]  # without: the test can tell
    assert off_count(model.generate(300, seed=0), counts) > 50


def test_no_exact_count_where_the_rows_are_at_it_by_chance():
    """Every order has one shipment whatever its status: no status decides that count (each
    status's rows all at it, as every other row is), though a returned order's 1-2 returns keep `some`."""
    data = shop()
    shipment = pd.DataFrame({"id": range(300), "order": range(300), "carrier": "ups"})
    ones = RelationalData({"order": data["order"], "shipment": shipment, "ret": data["ret"]}, data.schema)
    rules = TabularPreproc.from_schema(data.schema).fit(ones).stats["count_rules"]
    assert [(r["child"], r["some"], r.get("exact")) for r in rules] == [("ret", ["returned"], None)]


def territories(n: int = 240, seed: int = 0, tied: bool = True) -> RelationalData:
    """country -> city: a sixth of the countries uninhabited, population 0 and no city; the others
    in the millions, each with 1 to 6 cities. `tied` False: the cities dealt blind to the population."""
    rng = np.random.default_rng(seed)
    empty = rng.random(n) < 1 / 6
    population = np.where(empty, 0, rng.lognormal(14, 2, n).round()).astype(np.int64)
    per = np.where(empty, 0, rng.integers(1, 7, n))
    per = per if tied else rng.permutation(per)
    country = pd.DataFrame({"id": range(n), "population": population})
    city = pd.DataFrame({"id": range(int(per.sum())), "country": np.repeat(np.arange(n), per)})
    city["size"] = rng.integers(1, 100, len(city))
    schema = Schema(
        country=Table(id=PrimaryKey(), population=Integer()),
        city=Table(id=PrimaryKey(), country=ForeignKey(parent="country"), size=Integer()),
    )
    return RelationalData({"country": country, "city": city}, schema)


def test_a_country_with_people_is_generated_with_a_city(tiny_size):
    """Every country holding a population off its exact values (the millions, binned) has a city:
    an untrained model drew the city count blind to it (a small model left 3 and 7 of 239 countries
    of a world-shaped database people and no city, seeds 0/1, none in the data); now its count 0 is
    banned after such a population. Cities dealt blind to the population keep no rule."""
    data = territories()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = [(r["column"], r["child"], r["none"], r["some"]) for r in pre.stats["count_rules"]]
    assert rules == [("population", "city", [], ["<binned>"])]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)
    country = out["country"]
    has_city = country["id"].isin(out["city"]["country"])
    assert (country["population"] > 0).sum() > 100
    assert has_city[country["population"] > 0].all()
    blind = territories(tied=False)
    assert TabularPreproc.from_schema(blind.schema).fit(blind).stats["count_rules"] == []


def test_a_rule_on_an_integer_point_above_2_53_bans_that_point_and_not_its_neighbour():
    """Codes 2**53 (always with a child) and 2**53 + 1 (half the time) are two points of their own
    (the encoder keeps integers exact), but the rule named its value as a float and the tokens were
    keyed by `str(float)`: both spelled 9007199254740992.0, the ban fell on 2**53 + 1's token, whose
    rows may have no child, and 2**53 kept none. The ban now falls on 2**53's token alone."""
    rng = np.random.default_rng(0)
    big = 2**53
    codes = np.repeat([big, big + 1], 40)
    has = np.r_[np.ones(40, bool), rng.random(40) < 0.5]
    parent = pd.DataFrame({"id": range(80), "code": codes})
    child = pd.DataFrame({"id": range(int(has.sum())), "parent": np.flatnonzero(has)})
    schema = Schema(
        parent=Table(id=PrimaryKey(), code=Integer()),
        child=Table(id=PrimaryKey(), parent=ForeignKey(parent="parent")),
    )
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"parent": parent, "child": child}, schema))
    rules = pre.stats["count_rules"]
    assert [(r["column"], r["child"], r["some"]) for r in rules] == [("code", "child", [big])]
    layout = pre.layouts["parent"]
    slot = pre.slots[layout.slots[layout.fields.index("code")]]
    assert slot.preproc.points == [big, big + 1]
    _, _, ban_pos, _ = count_tables(pre, rules)
    banned = set(np.flatnonzero(ban_pos[0] >= 0) - slot.offset - 1)  # local point ids: 0 is 2**53
    assert banned == {0}

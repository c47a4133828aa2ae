"""Split sums: a claim's approved amount, paid in parts; an approved claim not yet paid has none."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tabular_checks import decoded_copies, populations

from relsynth.relational import (
    Categorical,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import DpBudget, TabularPreproc
from relsynth.synth.tabular.rules.split_sums import split_units


def claims(
    n: int = 200, seed: int = 0, signed: bool = False, partly: bool = False, channel: bool = False
) -> RelationalData:
    """claims -> payments: a paid claim's 1 to 3 payments add up to its approved amount (cents), at
    most its claimed amount; an approved one has none yet (`partly`: all but the last of its 2 to 4),
    an open one no approved amount. `channel`: a label before the status, `web` for some paid claims
    only, `phone` or `branch` for the others."""
    rng, channels = np.random.default_rng(seed), np.random.default_rng(seed + 1)
    claim, payment = [], []
    for c in range(n):
        claimed = round(float(rng.uniform(100, 5000)), 2)
        status = str(rng.choice(["OPEN", "APPROVED", "PAID"], p=[0.2, 0.3, 0.5]))
        approved = round(claimed * float(rng.uniform(0.5, 1.0)), 2) if status != "OPEN" else np.nan
        web = status == "PAID" and channels.random() < 0.4
        claim.append((c, claimed, "web" if web else str(channels.choice(["phone", "branch"])), status, approved))
        if status == "PAID" or (partly and status == "APPROVED"):
            cents = int(round(approved * 100))
            k = int(rng.integers(1, 4)) + (status == "APPROVED")
            cuts = np.sort(rng.choice(np.arange(1, cents), k - 1, replace=False))
            for part in (np.diff(np.concatenate([[0], cuts, [cents]])) / 100)[: k - (status == "APPROVED")]:
                payment.append((len(payment), c, -part if signed and rng.random() < 0.1 else part))
    columns = ["id", "claimed", "channel", "status", "approved"]
    claim_table = pd.DataFrame(claim, columns=columns)[columns if channel else [c for c in columns if c != "channel"]]
    schema = Schema(
        claim=Table(
            id=PrimaryKey(),
            claimed=Numeric(),
            **({"channel": Categorical()} if channel else {}),
            status=Categorical(),
            approved=Numeric(),
        ),
        payment=Table(id=PrimaryKey(), claim=ForeignKey(parent="claim"), amount=Numeric()),
    )
    frames = {"claim": claim_table, "payment": pd.DataFrame(payment, columns=["id", "claim", "amount"])}
    return RelationalData(frames, schema)


def _paid_in_full(tables: dict[str, pd.DataFrame]) -> float:
    """The share of claims with payments whose payments add up to their approved amount, to the cent."""
    sums = tables["payment"].groupby("claim")["amount"].sum()
    approved = tables["claim"].set_index("id")["approved"].reindex(sums.index)
    return float(((sums - approved).abs() < 0.005).mean())


def test_a_claims_payments_add_up_to_its_approved_amount():
    """Payments drawn in bins, one after the other: 27 % of 112 decoded paid claims added up (20 % of
    those of a model trained on an insurance database). Scaled to their claim's approved amount, every one does, in cents, each still
    positive and at most the claim's approved amount, which stays at most its claimed amount."""
    data = claims()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["split_sums"] == [
        {"table": "claim", "column": "approved", "child": "payment", "fk": "claim", "of": "amount", "decimals": 2}
        | {"least": 2.06, "by": None, "full": None}
    ]
    back = pre.inverse_transform(pre.transform(data), seed=0)
    assert _paid_in_full(back) == 1.0
    amount = back["payment"]["amount"]
    assert (amount == amount.round(2)).all() and (amount >= 0).all()
    claim = back["claim"].set_index("id")
    assert (amount.to_numpy() <= claim.loc[back["payment"]["claim"], "approved"].to_numpy() + 1e-9).all()
    assert (claim["approved"].dropna() <= claim.loc[claim["approved"].notna(), "claimed"]).all()


def test_a_claim_partly_paid_stays_within_its_approved_amount():
    """An approved claim paid in part so far: its payments add up to less. Paid claims' payments
    add up (29 % of 116 decoded ones before), and no claim's pass its approved amount (29 % of 162 did)."""
    data = claims(partly=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["by"], r["full"]) for r in pre.stats["split_sums"]] == [("status", ["PAID"])]
    assert 0.3 < pre.stats["split_sums"][0]["short"] < 0.9
    back = pre.inverse_transform(pre.transform(data), seed=0)
    sums = back["payment"].groupby("claim")["amount"].sum()
    claim = back["claim"].set_index("id").loc[sums.index]
    assert ((sums - claim["approved"]).abs() < 0.005)[claim["status"] == "PAID"].all()
    assert (sums <= claim["approved"] + 0.005).all()
    assert ((sums - claim["approved"]).abs() > 0.005)[claim["status"] == "APPROVED"].all()  # still partly paid


def test_the_label_that_tells_which_claims_are_paid_in_full_is_kept_not_the_first():
    """A label before the status that only some paid claims hold (`web`) also names claims all paid
    in full; kept as the rule's label, the paid claims by phone or at a branch were cut to a part
    of their approved amount (an insurer's claims: 68 % of a small model's paid claims added up,
    100 % in the data, where a rare claim type came before the status). The status tells every
    claim, and every paid one adds up."""
    data = claims(partly=True, channel=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["by"], r["full"]) for r in pre.stats["split_sums"]] == [("status", ["PAID"])]
    back = pre.inverse_transform(pre.transform(data), seed=0)
    sums = back["payment"].groupby("claim")["amount"].sum()
    claim = back["claim"].set_index("id").loc[sums.index]
    assert ((sums - claim["approved"]).abs() < 0.005)[claim["status"] == "PAID"].all()


def test_signed_parts_or_a_dp_fit_split_nothing():
    """A refund among the payments is no share of a whole; a DP fit reads no rule from many rows."""
    signed = claims(signed=True)
    assert TabularPreproc.from_schema(signed.schema).fit(signed).stats["split_sums"] == []
    data = claims()
    dp = DpBudget(epsilon=3.0, delta=1e-5)
    assert not TabularPreproc.from_schema(data.schema).fit(data, dp=dp).stats.get("split_sums")


def test_units_split_by_shares_and_the_largest_remainders():
    """10.00 split 1:1:1 is 3.34, 3.33, 3.33; nothing written splits equally; the total is kept exactly."""
    x = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 5.0])
    total = np.array([10.0, 10.0, 10.0, 7.0, 7.0, 2.5])
    got = split_units(x, total, np.array([0, 0, 0, 1, 1, 2]), 2)
    assert got.tolist() == [3.34, 3.33, 3.33, 3.5, 3.5, 2.5]


def shipments(n: int = 120, seed: int = 0) -> RelationalData:
    """order -> line (qty); order -> shipment -> shipment_line, which names the line it ships (a
    reference, not its nesting parent): a shipped order's lines ship their qty in one or two parts
    (over its one or two shipments); an open order's lines have none, their qty free."""
    rng = np.random.default_rng(seed)
    lines, ships, parts = [], [], []
    for o in range(n):
        shipped, two = rng.random() < 0.8, rng.random() < 0.4
        if shipped:
            ships += [(len(ships) + k, o) for k in range(1 + two)]
        for _ in range(int(rng.integers(1, 4))):
            qty = int(rng.integers(1, 10))
            lines.append((len(lines), o, qty))
            split = [qty // 2, qty - qty // 2] if two and qty > 1 else [qty]
            parts += [(len(parts) + k, len(ships) - len(split) + k, len(lines) - 1, q) for k, q in enumerate(split)]
            if not shipped:
                del parts[len(parts) - len(split) :]
    schema = Schema(
        order=Table(id=PrimaryKey(), size=Integer()),
        line=Table(id=PrimaryKey(), order=ForeignKey(parent="order"), qty=Integer()),
        shipment=Table(id=PrimaryKey(), order=ForeignKey(parent="order")),
        shipment_line=Table(
            id=PrimaryKey(),
            shipment=ForeignKey(parent="shipment"),
            line=ForeignKey(parent="line", nest=False),
            shipped_qty=Integer(),
        ),
    )
    frames = {
        "order": pd.DataFrame({"id": range(n), "size": rng.integers(1, 5, n)}),
        "line": pd.DataFrame(lines, columns=["id", "order", "qty"]),
        "shipment": pd.DataFrame(ships, columns=["id", "order"]),
        "shipment_line": pd.DataFrame(parts, columns=["id", "shipment", "line", "shipped_qty"]),
    }
    return RelationalData(frames, schema)


def _lines_shipped_in_full(tables: dict[str, pd.DataFrame]) -> float:
    """The share of lines with shipment lines whose shipped quantities add up to their qty."""
    sums = tables["shipment_line"].groupby("line")["shipped_qty"].sum()
    return float((sums == tables["line"].set_index("id")["qty"].reindex(sums.index)).mean())


def test_rows_referencing_a_row_split_its_number():
    """Shipment lines nest under their shipment and name the order line they ship: the line's qty,
    their shipped quantities' sum wherever it has any, had no rule (split sums read only nested
    rows), so 56 % of a model's generated shipped lines added up (100 % in the data). Read over the
    rows referencing it too, every decoded one does."""
    data = shipments()
    assert _lines_shipped_in_full({t: data[t] for t in data}) == 1.0
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["table"], r["column"], r["child"], r["fk"], r["of"]) for r in pre.stats["split_sums"]] == [
        ("line", "qty", "shipment_line", "line", "shipped_qty")
    ]
    tables = {t: data[t].copy() for t in data}  # quantities written as a model does, not adding up
    tables["shipment_line"]["shipped_qty"] = np.random.default_rng(1).permutation(
        tables["shipment_line"]["shipped_qty"]
    )
    encoded = pre.transform(RelationalData(tables, data.schema))
    assert _lines_shipped_in_full(pre.inverse_transform(encoded, seed=0)) == 1.0
    pre.stats["split_sums"] = []  # without: the test can tell
    assert _lines_shipped_in_full(pre.inverse_transform(encoded, seed=0)) < 0.5


def test_a_number_its_rows_copy_is_not_split():
    """A booking's price copied by each of its tickets: one ticket mostly, sums equal in 97 % of
    bookings; the 1 in 40 with two tickets, each copying it, sum to twice it. Read as a split,
    decoding halved those fares (7.6 % of tickets off their price, none in the data): a rule now
    needs the rows of two or more to add up as well."""
    rng = np.random.default_rng(0)
    price = rng.gamma(2, 50, 300).round(2)
    u = rng.random(300)
    booking = np.repeat(np.arange(300), np.where(u < 0.025, 2, np.where(u < 0.2, 0, 1)))
    schema = Schema(
        booking=Table(id=PrimaryKey(), price=Numeric()),
        ticket=Table(id=PrimaryKey(), booking=ForeignKey(parent="booking"), fare=Numeric()),
    )
    frames = {
        "booking": pd.DataFrame({"id": range(300), "price": price}),
        "ticket": pd.DataFrame({"id": range(len(booking)), "booking": booking, "fare": price[booking]}),
    }
    pre = TabularPreproc.from_schema(schema).fit(RelationalData(frames, schema))
    assert pre.stats["split_sums"] == []


def test_no_part_below_the_datas_least_where_the_total_allows():
    """A line of 3 shipped in parts written 1 and 9 came out 0 and 3: no shipment of the data ships 0
    (4 of 321 generated parts so, of lines with as many units as parts). Each part now gets the
    data's least first (1 and 2); a line of 1 in two parts cannot, and splits as before."""
    x, groups = np.array([1.0, 9.0, 1.0, 1.0]), np.array([0, 0, 1, 1])
    total = np.array([3.0, 3.0, 1.0, 1.0])
    assert split_units(x, total, groups, 0).tolist() == [0.0, 3.0, 1.0, 0.0]
    assert split_units(x, total, groups, 0, least=1.0).tolist() == [1.0, 2.0, 1.0, 0.0]


def ballots(n: int = 150, seed: int = 0) -> RelationalData:
    """precincts -> results: a precinct's valid ballots are its ballots cast less the invalid ones,
    and its 3 to 6 parties' votes add up to them."""
    rng = np.random.default_rng(seed)
    precincts, results = [], []
    for p in range(n):
        cast = int(rng.integers(300, 2500))
        invalid = int(rng.binomial(cast, 0.02))
        precincts.append((p, cast, invalid, cast - invalid))
        for votes in rng.multinomial(cast - invalid, rng.dirichlet(np.ones(int(rng.integers(3, 7))) * 3)):
            results.append((len(results), p, int(votes)))
    schema = Schema(
        precinct=Table(id=PrimaryKey(), cast=Integer(), invalid=Integer(), valid=Integer()),
        result=Table(id=PrimaryKey(), precinct=ForeignKey(parent="precinct"), votes=Integer()),
    )
    frames = {
        "precinct": pd.DataFrame(precincts, columns=["id", "cast", "invalid", "valid"]),
        "result": pd.DataFrame(results, columns=["id", "precinct", "votes"]),
    }
    return RelationalData(frames, schema)


def test_a_sum_that_its_row_computes_too_keeps_both_its_formula_and_its_rows_sum():
    """valid = cast - invalid in every precinct, and the sum of its votes. Set from the votes as a
    total, it broke its row: 0 of 500 precincts of a trained model kept valid = cast - invalid.
    Kept as its row's formula, with the votes scaled to it, every decoded precinct keeps both."""
    data = ballots()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(t["table"], t["column"]) for t in pre.stats["totals"]] == []
    assert [(f["column"], f["of"], f["op"]) for f in pre.stats["formulas"]] == [("valid", ["cast", "invalid"], "-")]
    assert [(r["column"], r["child"], r["of"]) for r in pre.stats["split_sums"]] == [("valid", "result", "votes")]
    back = pre.inverse_transform(pre.transform(data), seed=0)
    precinct = back["precinct"].set_index("id")
    assert (precinct["valid"] == precinct["cast"] - precinct["invalid"]).all()
    sums = back["result"].groupby("precinct")["votes"].sum()
    assert (sums == precinct["valid"].reindex(sums.index)).all()
    assert (back["result"]["votes"] >= 0).all()


def test_a_sum_whose_rows_an_order_reads_stays_a_total_set_from_them():
    """Each result's votes at most its `counted` ballots (an order within rows reads the votes), so
    no split may scale them: the valid ballots stay the total of the votes, not their row's formula,
    and every decoded precinct's votes add up to them, as before formulas were tried on totals."""
    data = ballots()
    rng = np.random.default_rng(1)
    result = data["result"].assign(counted=lambda r: r["votes"] + rng.integers(0, 50, len(r)))
    schema = Schema(
        precinct=data.schema.tables["precinct"],
        result=Table(id=PrimaryKey(), precinct=ForeignKey(parent="precinct"), votes=Integer(), counted=Integer()),
    )
    pre = TabularPreproc.from_schema(schema).fit(
        RelationalData({"precinct": data["precinct"], "result": result}, schema)
    )
    assert [(t["table"], t["column"]) for t in pre.stats["totals"]] == [("precinct", "valid")]
    assert pre.stats["formulas"] == [] and pre.stats["split_sums"] == []
    back = pre.inverse_transform(
        pre.transform(RelationalData({"precinct": data["precinct"], "result": result}, schema)), seed=0
    )
    sums = back["result"].groupby("precinct")["votes"].sum()
    assert (sums == back["precinct"].set_index("id")["valid"].reindex(sums.index)).all()


def _copies_split(n: int = 200, seed: int = 0, scale: float = 1.0) -> RelationalData:
    """claim (fee, approved) -> 2 to 5 payments whose `paid` is the claim's fee where `kind` is 'copy'
    (`flagged_copies`) and which add up to its approved amount; a third of the claims have no
    payments yet (their own approved amount: a split, no total); `scale`: payments drawn that many
    times higher (the copies set back to the fee by decoding)."""
    rng = np.random.default_rng(seed)
    fee = rng.integers(5, 20, n).astype(float)
    approved, rows = [], []
    for c in range(n):
        if rng.random() < 0.3:
            approved.append(float(rng.integers(10, 60)))
            continue
        copies = [bool(rng.random() < 0.4) for _ in range(int(rng.integers(1, 5)))]
        parts = [fee[c] if copy else float(rng.integers(1, 20)) for copy in copies] + [float(rng.integers(1, 30))]
        approved.append(sum(parts))
        for copy, paid in zip([*copies, False], parts, strict=True):
            rows.append((len(rows), c, "copy" if copy else "free", paid * scale))
    schema = Schema(
        claim=Table(id=PrimaryKey(), fee=Numeric(), approved=Numeric()),
        payment=Table(id=PrimaryKey(), claim=ForeignKey(parent="claim"), kind=Categorical(), paid=Numeric()),
    )
    claim = pd.DataFrame({"id": range(n), "fee": fee, "approved": approved})
    payment = pd.DataFrame(rows, columns=["id", "claim", "kind", "paid"])
    return RelationalData({"claim": claim, "payment": payment}, schema)


def test_a_number_a_flagged_copy_sets_keeps_the_copy():
    """A payment that is its claim's fee where its kind says so (`flagged_copies`, set first in
    decoding) is no part a split scales after: before, scaling the payments to the approved amount
    moved 103 of 110 copies off their fee where the payments were drawn high."""
    copied, expected = decoded_copies(_copies_split, "payment", "paid", "claim", "fee", scale=1.5)
    assert len(copied) > 100
    assert (copied == expected).all()


def nested_splits(n: int = 60, seed: int = 0, exact: bool = True) -> RelationalData:
    """region (population) -> 0 to 5 countries -> 0 to 4 cities, each population split exactly
    among the rows under it where it has any (a quarter of the regions and some countries have
    none: no totals); `exact=False`: each drawn on its own. The tables listed cities first, as an
    alphabetical catalog lists them."""
    rng = np.random.default_rng(seed)
    region = rng.integers(10**6, 10**8, n)
    countries, cities = [], []

    def parts(total: int, k: int) -> np.ndarray:
        if not exact:
            return rng.integers(total // 20 + 1, total // 2 + 2, k)
        out = np.floor(rng.dirichlet(np.ones(k)) * total).astype(np.int64)
        out[-1] = total - out[:-1].sum()
        return out

    for r in range(n):
        for people in parts(int(region[r]), int(rng.integers(1, 6))) if r % 4 else []:
            countries.append((len(countries), r, int(people)))
            m = int(rng.integers(0, 5))
            cities += [
                (len(cities) + j, len(countries) - 1, int(v)) for j, v in enumerate(parts(people, m) if m else [])
            ]
    return populations(cities, countries, region)


def test_a_number_split_among_its_rows_is_final_before_it_is_split_itself():
    """Countries splitting their region's population, cities their country's, the catalog listing
    cities first: the cities were scaled to their country's population, then the countries to their
    region's, and every country's cities (104 of 104) no longer added up to it. (With orders within
    rows kept, a city's population counts down from its country's, which no split then scales.)"""
    data = nested_splits()
    pre = TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data)
    found = {(r["table"], r["child"]) for r in pre.stats["split_sums"]}
    assert found == {("country", "city"), ("region", "country")}
    back = pre.inverse_transform(pre.transform(nested_splits(exact=False)), seed=0)
    for child, parent, fk in (("city", "country", "country"), ("country", "region", "region")):
        sums = back[child].groupby(fk)["population"].sum()
        number = back[parent].set_index("id")["population"].reindex(sums.index)
        assert len(sums) > 20 and (sums == number).all(), (
            f"{int((sums != number).sum())} {parent} rows off their rows' sum"
        )


def bounded_then_split(n: int = 60, seed: int = 0, exact: bool = True) -> RelationalData:
    """region (population) -> 1 to 5 countries summing to at most it (a bound) -> 0 to 4 cities
    splitting their country's population exactly where it has any; `exact=False`: each drawn on
    its own, the countries past their region's."""
    rng = np.random.default_rng(seed)
    region = rng.integers(10**6, 10**8, n)
    countries, cities = [], []
    for r in range(n):
        k = int(rng.integers(1, 6))
        if exact:
            pops = (rng.dirichlet(np.ones(k)) * region[r] * rng.uniform(0.3, 0.9)).astype(np.int64)
        else:
            pops = rng.integers(region[r] // 5, region[r] // 1.5, k)
        for p in pops:
            countries.append((len(countries), r, int(p)))
            m = int(rng.integers(0, 5))
            if not m:
                continue
            if exact:
                parts = np.floor(rng.dirichlet(np.ones(m)) * p).astype(np.int64)
                parts[-1] = p - parts[:-1].sum()
            else:
                parts = rng.integers(p // 20 + 1, p // 2 + 2, m)
            cities += [(len(cities) + j, len(countries) - 1, int(v)) for j, v in enumerate(parts)]
    return populations(cities, countries, region)


def test_a_number_its_rows_split_is_bounded_before_the_split():
    """Cities splitting their country's population, the countries summing to at most their region's:
    decoding split first, and the bound then lowered the countries, whose cities (136 of 156) added
    up to the populations they had. The bound now comes first, and both hold."""
    data = bounded_then_split()
    pre = TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data)
    assert [(r["table"], r["child"]) for r in pre.stats["split_sums"]] == [("country", "city")]
    assert [(r["table"], r["parent"]) for r in pre.stats["bounded_sums"]] == [("country", "region")]
    back = pre.inverse_transform(pre.transform(bounded_then_split(exact=False)), seed=0)
    sums = back["city"].groupby("country")["population"].sum()
    number = back["country"].set_index("id")["population"].reindex(sums.index)
    assert len(sums) > 100 and (sums == number).all(), f"{int((sums != number).sum())} countries off their cities' sum"
    sums = back["country"].groupby("region")["population"].sum()
    assert (sums <= back["region"].set_index("id")["population"].reindex(sums.index)).all()


def shares_split(n: int = 60, seed: int = 0, exact: bool = True) -> RelationalData:
    """region -> 2 to 5 countries whose shares (%) add up to 100 -> 0 to 4 cities splitting their
    country's share exactly where it has any; `exact=False`: each share drawn on its own."""
    rng = np.random.default_rng(seed)
    countries, cities = [], []

    def parts(whole: float, k: int) -> np.ndarray:
        out = np.round(rng.dirichlet(np.ones(k)) * whole, 2)
        out[-1] = round(whole - out[:-1].sum(), 2)
        return out

    for r in range(n):
        k = int(rng.integers(2, 6))
        for p in parts(100.0, k) if exact else np.round(rng.uniform(10, 60, k), 2):
            countries.append((len(countries), r, float(p)))
            m = int(rng.integers(0, 5))
            if m:
                split = parts(p, m) if exact else np.round(rng.uniform(0.5, p / 2 + 1, m), 2)
                cities += [(len(cities) + j, len(countries) - 1, float(v)) for j, v in enumerate(split)]
    schema = Schema(
        city=Table(id=PrimaryKey(), country=ForeignKey(parent="country"), share=Numeric()),
        country=Table(id=PrimaryKey(), region=ForeignKey(parent="region"), share=Numeric()),
        region=Table(id=PrimaryKey(), area=Numeric()),
    )
    frames = {
        "city": pd.DataFrame(cities, columns=["id", "country", "share"]),
        "country": pd.DataFrame(countries, columns=["id", "region", "share"]),
        "region": pd.DataFrame({"id": range(n), "area": rng.lognormal(10, 1, n)}),
    }
    return RelationalData(frames, schema)


def test_a_number_its_rows_split_is_scaled_to_its_whole_before_the_split():
    """Cities splitting their country's share of its region, the shares adding up to 100: decoding
    split first, and the constant sum then rescaled the shares, every country's cities (164 of 164)
    adding up to the share it had. The split now comes after the sums to a whole or under a cap."""
    data = shares_split()
    pre = TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data)
    assert [(r["table"], r["child"]) for r in pre.stats["split_sums"]] == [("country", "city")]
    assert [(r["table"], r["of"]) for r in pre.stats["constant_sums"]] == [("country", "share")]
    back = pre.inverse_transform(pre.transform(shares_split(exact=False)), seed=0)
    sums = back["city"].groupby("country")["share"].sum()
    share = back["country"].set_index("id")["share"].reindex(sums.index)
    assert len(sums) > 100 and np.allclose(sums, share, atol=0.005), f"{int((abs(sums - share) > 0.005).sum())} off"
    assert np.allclose(back["country"].groupby("region")["share"].sum(), 100.0, atol=0.005)


def journal(n: int = 200, seed: int = 0, exact: bool = True) -> RelationalData:
    """entry (amount) -> none (a quarter) or 1-2 debit lines and 1-2 credit lines, the debits and the
    credits each adding up to the amount; `exact=False`: each line drawn on its own."""
    rng = np.random.default_rng(seed)
    amounts, rows = np.round(rng.uniform(100, 1000, n), 2), []
    for e in range(n):
        for side in ("debit", "credit") if e % 4 else ():
            k = int(rng.integers(1, 3))
            if exact:
                parts = np.round(rng.dirichlet(np.ones(k)) * amounts[e], 2)
                parts[-1] = round(amounts[e] - parts[:-1].sum(), 2)
            else:
                parts = np.round(rng.uniform(50, 600, k), 2)
            sides = [(float(v), None) if side == "debit" else (None, float(v)) for v in parts]
            rows += [(len(rows) + j, e, *pair) for j, pair in enumerate(sides)]
    schema = Schema(
        entry=Table(id=PrimaryKey(), amount=Numeric()),
        line=Table(id=PrimaryKey(), entry=ForeignKey(parent="entry"), debit=Numeric(), credit=Numeric()),
    )
    frames = {
        "entry": pd.DataFrame({"id": range(n), "amount": amounts}),
        "line": pd.DataFrame(rows, columns=["id", "entry", "debit", "credit"]),
    }
    return RelationalData(frames, schema)


def test_every_part_that_splits_a_number_is_kept_not_the_first():
    """An entry's debits and its credits each add up to its amount: only the debits were kept as its
    split, and the balance (`balanced_sums`) closed after raised the debits where the credits were
    more, 50 of 150 entries' debits then off their amount. Both sides split it now, and balance."""
    data = journal()
    pre = TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data)
    assert [r["of"] for r in pre.stats["split_sums"]] == ["debit", "credit"]
    assert [r["of"] for r in pre.stats["balanced_sums"]] == [["debit", "credit"]]
    back = pre.inverse_transform(pre.transform(journal(exact=False)), seed=0)
    amount = back["entry"].set_index("id")["amount"]
    for side in ("debit", "credit"):
        sums = back["line"].groupby("entry")[side].sum()
        assert len(sums) > 100 and np.allclose(sums, amount.reindex(sums.index), atol=0.005), side

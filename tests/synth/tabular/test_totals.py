"""Totals: a number that sums the numbers of the rows under it, referencing it, or beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from relsynth.relational import ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc

ROOT = Path(__file__).resolve().parents[3]


def orders(seed: int = 0, n: int = 300, paid: bool = False) -> RelationalData:
    """order (its total: the sum of its items' price x quantity) -> item; `paid`: the total is not on
    the order but on a payment beside the items (order -> payment)."""
    rng = np.random.default_rng(seed)
    n_items = rng.integers(1, 6, n)
    order_of = np.repeat(np.arange(1, n + 1), n_items)
    price = rng.gamma(2, 10, len(order_of)).round(2)
    qty = rng.integers(1, 4, len(order_of))
    items = pd.DataFrame({"id": range(1, len(order_of) + 1), "order": order_of, "price": price, "qty": qty})
    due = items.assign(v=price * qty).groupby("order")["v"].sum().round(2)
    ordered = pd.DataFrame({"id": range(1, n + 1), "total": due.to_numpy(), "weight": rng.gamma(2, 1, n).round(1)})
    item = Table(id=PrimaryKey(), order=ForeignKey("order"), price=Numeric(), qty=Integer())
    if not paid:
        schema = Schema(order=Table(id=PrimaryKey(), total=Numeric(), weight=Numeric()), item=item)
        return RelationalData({"order": ordered, "item": items}, schema)
    payments = pd.DataFrame({"id": range(1, n + 1), "order": range(1, n + 1), "amount": due.to_numpy()})
    payment = Table(id=PrimaryKey(), order=ForeignKey("order"), amount=Numeric())
    schema = Schema(order=Table(id=PrimaryKey(), weight=Numeric()), item=item, payment=payment)
    return RelationalData({"order": ordered.drop(columns="total"), "item": items, "payment": payments}, schema)


def due(data: RelationalData) -> pd.Series:
    items = data["item"]
    values = items["price"].astype(float) * items["qty"].astype(float)
    return values.groupby(items["order"].to_numpy()).sum().round(2)


def test_a_total_is_the_sum_of_its_generated_rows():
    data = orders()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(t["table"], t["column"], t["rows"], t["of"], t["by"]) for t in pre.stats["totals"]] == [
        ("order", "total", "item", ["price", "qty"], "id")
    ]  # not the weight
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    total = synth["order"].set_index("id")["total"].astype(float)
    assert np.allclose(total, due(synth).reindex(total.index, fill_value=0.0), atol=0.005)
    pre.stats["totals"] = []  # without: the test can tell
    plain = pre.inverse_transform(pre.transform(data), seed=0)
    total = plain["order"].set_index("id")["total"].astype(float)
    assert np.isclose(total, due(plain).reindex(total.index, fill_value=0.0), atol=0.005).mean() < 0.2


def test_an_amount_beside_the_rows_it_sums_is_their_sum():
    data = orders(paid=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(t["table"], t["column"], t["by"]) for t in pre.stats["totals"]] == [("payment", "amount", "order")]
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    paid = synth["payment"]["amount"].astype(float).to_numpy()
    assert np.allclose(paid, due(synth).reindex(synth["payment"]["order"]).fillna(0.0).to_numpy(), atol=0.005)


def test_chinook_invoice_totals_sum_their_lines():
    data = RelationalData.from_sql(f"sqlite:///{ROOT / 'data/01_raw/chinook/chinook.sqlite'}")
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(t["table"], t["column"], t["rows"]) for t in pre.stats["totals"]] == [("invoice", "total", "invoice_line")]
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    lines = synth["invoice_line"]
    sums = (
        (lines["unit_price"].astype(float) * lines["quantity"].astype(float)).groupby(lines["invoice"].to_numpy()).sum()
    )
    total = synth["invoice"].set_index("id")["total"].astype(float)
    assert np.allclose(total, sums.reindex(total.index, fill_value=0.0), atol=0.005)


def test_a_value_copied_from_a_total_is_the_total_set():
    """A payment (under the customer) references its invoice and pays its total: the copy is made
    once the total is the sum of the generated lines, not of the value the model wrote."""
    rng = np.random.default_rng(0)
    data = orders()
    ordered = data["order"].assign(customer=rng.integers(1, 101, len(data["order"])))
    n = len(ordered)
    payments = pd.DataFrame(
        {"id": range(1, n + 1), "customer": ordered["customer"], "order": ordered["id"], "amount": ordered["total"]}
    )
    schema = Schema(
        customer=Table(id=PrimaryKey(), age=Integer()),
        order=Table(id=PrimaryKey(), customer=ForeignKey("customer"), total=Numeric(), weight=Numeric()),
        item=data.schema.tables["item"],
        payment=Table(
            id=PrimaryKey(), customer=ForeignKey("customer"), order=ForeignKey("order", nest=False), amount=Numeric()
        ),
    )
    customers = pd.DataFrame({"id": range(1, 101), "age": rng.integers(18, 90, 100)})
    tables = {"customer": customers, "order": ordered, "item": data["item"], "payment": payments}
    data = RelationalData(tables, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert pre.stats["references"]["payment.order"]["copies"] == [["amount", "total", 1.0]]
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    paid = synth["payment"].merge(synth["order"], left_on="order", right_on="id", suffixes=("", "_order"))
    assert np.allclose(paid["amount"].astype(float), paid["total"].astype(float))


def test_a_total_is_not_taken_for_an_order_and_every_total_beside_it_is_kept():
    """A payment's amount equal to its order's total was read as an order (amount >= total, offset 0),
    which left neither a total: both are sums of the order's items, and both are kept."""
    data = orders(paid=True)
    tables = {t: data[t].copy() for t in data}
    tables["order"]["total"] = due(data).reindex(tables["order"]["id"]).to_numpy()
    schema = Schema(
        order=Table(id=PrimaryKey(), total=Numeric(), weight=Numeric()),
        item=data.schema.tables["item"],
        payment=data.schema.tables["payment"],
    )
    data = RelationalData(tables, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert {(t["table"], t["column"]) for t in pre.stats["totals"]} == {("order", "total"), ("payment", "amount")}
    assert "amount" not in pre.orderings.get("payment", {})
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    total = synth["order"].set_index("id")["total"].astype(float)
    paid = synth["payment"].set_index("order")["amount"].astype(float)
    assert np.allclose(paid, total.reindex(paid.index), atol=0.005)


def test_a_column_left_unmodelled_is_summed_by_no_total():
    """With the items' quantity left unmodelled (preprocessors={"item": {"qty": None}}: not
    generated), the order's total was still fitted as the sum of price x qty and every generated
    total set to 0, the sum of nulls."""
    data = orders()
    pre = TabularPreproc.from_schema(data.schema, preprocessors={"item": {"qty": None}}).fit(data)
    assert all("qty" not in t["of"] for t in pre.stats["totals"])
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    assert (synth["order"]["total"].astype(float) > 0).mean() > 0.9


def rated(seed: int = 0, n: int = 200) -> RelationalData:
    """listing (its average rating: the mean of its reviews' ratings to one decimal, null without
    reviews; its top bid: the greatest of its bids) -> review, -> bid."""
    rng = np.random.default_rng(seed)
    reviews = pd.DataFrame({"listing": np.repeat(np.arange(1, n + 1), rng.integers(0, 5, n))})
    reviews = reviews.assign(id=range(1, len(reviews) + 1), rating=rng.integers(1, 6, len(reviews)))
    bids = pd.DataFrame({"listing": np.repeat(np.arange(1, n + 1), rng.integers(1, 4, n))})
    bids = bids.assign(id=range(1, len(bids) + 1), amount=rng.gamma(2, 20, len(bids)).round(2))
    listings = pd.DataFrame({"id": range(1, n + 1), "price": rng.gamma(2, 20, n).round(2)})
    listings["avg_rating"] = listings["id"].map(reviews.groupby("listing")["rating"].mean().round(1))
    listings["top_bid"] = listings["id"].map(bids.groupby("listing")["amount"].max())
    schema = Schema(
        listing=Table(id=PrimaryKey(), price=Numeric(), avg_rating=Numeric(), top_bid=Numeric()),
        review=Table(id=PrimaryKey(), listing=ForeignKey("listing"), rating=Integer()),
        bid=Table(id=PrimaryKey(), listing=ForeignKey("listing"), amount=Numeric()),
    )
    return RelationalData({"listing": listings, "review": reviews, "bid": bids}, schema)


def test_an_average_and_a_greatest_are_kept_over_the_generated_rows():
    """A listing's average rating (the mean of its reviews', one decimal) and top bid (the greatest
    of its bids) were no sums, so no rule: a marketplace's generated averages matched their
    reviews in 26 % of the listings. Decoded from rows whose ratings and bids changed, both are
    set from the rows, and an average of no reviews is null whatever was written."""
    data = rated()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = {(t["column"], t["rows"], tuple(t["of"]), t.get("how")) for t in pre.stats["totals"]}
    assert found == {("avg_rating", "review", ("rating",), "mean"), ("top_bid", "bid", ("amount",), "max")}
    rng = np.random.default_rng(1)
    tables = {t: data[t].copy() for t in data}
    tables["review"]["rating"] = rng.permutation(tables["review"]["rating"].to_numpy())
    tables["bid"]["amount"] = rng.permutation(tables["bid"]["amount"].to_numpy())
    tables["listing"]["avg_rating"] = tables["listing"]["avg_rating"].fillna(3.0)  # written without reviews
    synth = pre.inverse_transform(pre.transform(RelationalData(tables, data.schema)), seed=0)
    listing, review, bid = synth["listing"].set_index("id"), synth["review"], synth["bid"]
    mean = review["rating"].astype(float).groupby(review["listing"].to_numpy()).mean().round(1)
    assert listing["avg_rating"].astype(float).equals(mean.reindex(listing.index).astype(float))
    top = bid["amount"].astype(float).groupby(bid["listing"].to_numpy()).max()
    assert np.allclose(listing["top_bid"].astype(float), top.reindex(listing.index), atol=0.005)


def customers(n: int = 200, seed: int = 0) -> RelationalData:
    """customer (its first and last order's time kept on it, null without orders) -> order."""
    rng = np.random.default_rng(seed)
    n_orders = rng.poisson(2.0, n)
    of = np.repeat(np.arange(1, n + 1), n_orders)
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 600, n), unit="D")
    at = start[of - 1] + pd.to_timedelta(rng.integers(0, 300 * 86400, len(of)), unit="s")
    ordered = pd.DataFrame({"id": range(1, len(of) + 1), "customer": of, "at": at, "amount": rng.gamma(2, 9, len(of)).round(2)})  # fmt: skip
    by = ordered.groupby("customer")["at"]
    ids = pd.Index(range(1, n + 1))
    customer = pd.DataFrame({"id": ids, "since": start, "first_at": by.min().reindex(ids).to_numpy(), "last_at": by.max().reindex(ids).to_numpy()})  # fmt: skip
    schema = Schema.infer({"customer": customer, "order": ordered}, primary_keys={"customer": "id", "order": "id"}, foreign_keys={"order": {"customer": "customer"}})  # fmt: skip
    return RelationalData({"customer": customer, "order": ordered}, schema)


def reviewed(n: int = 80, seed: int = 0, counted: bool = True) -> RelationalData:
    """product (its review count: the reviews referencing it) <- review, under customer."""
    rng = np.random.default_rng(seed)
    product = pd.DataFrame({"id": range(1, n + 1), "price": rng.gamma(2, 20, n).round(2)})
    m = 4 * n
    review = pd.DataFrame({"id": range(1, m + 1), "customer": rng.integers(1, n + 1, m), "product": rng.integers(1, n + 1, m), "stars": rng.integers(1, 6, m)})  # fmt: skip
    counts = review["product"].value_counts().reindex(product["id"], fill_value=0).to_numpy()
    product["review_count"] = counts if counted else rng.permutation(counts)
    customer = pd.DataFrame({"id": range(1, n + 1), "age": rng.integers(18, 80, n)})
    tables = {"customer": customer, "product": product, "review": review}
    schema = Schema.infer(tables, primary_keys={t: "id" for t in tables}, foreign_keys={"review": {"customer": "customer", "product": "product"}})  # fmt: skip
    return RelationalData(tables, schema)


def wrong_counts(data) -> int:
    product = data["product"].set_index("id")
    counts = data["review"]["product"].value_counts().reindex(product.index, fill_value=0)
    return int((product["review_count"].astype(float) != counts.astype(float)).sum())


def test_a_count_of_the_rows_referencing_a_row_is_their_generated_number(tiny_size):
    """A product's review count (the reviews naming it, nested under their customers) had no rule:
    4 of 39 products generated by an untrained model had their reviews' number. Set from the reviews
    dealt to it."""
    data = reviewed()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = [(t["column"], t["rows"], t["fk"], t.get("how")) for t in pre.stats["totals"]]
    assert found == [("review_count", "review", "product", "count")]
    model = TabularModel.build(pre, size=tiny_size)  # untrained: counts drawn at random
    synth = model.generate(100, seed=0)
    assert len(synth["product"]) > 20 and wrong_counts(synth) == 0
    pre.stats["totals"] = []
    plain = model.generate(100, seed=0)
    assert wrong_counts(plain) > len(plain["product"]) / 2


def test_a_number_beside_a_count_of_references_is_no_count():
    data = reviewed(counted=False)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["totals"] == []


def school(n: int = 150, seed: int = 0, summed: bool = True) -> RelationalData:
    """student (its credits: the sum of its courses' credits, read through its enrollments) ->
    enrollment -> course, a lookup."""
    rng = np.random.default_rng(seed)
    course = pd.DataFrame({"id": range(1, 31), "credits": rng.choice([2, 3, 4, 6], 30), "dept": rng.choice(["math", "art"], 30)})  # fmt: skip
    of = np.repeat(np.arange(1, n + 1), rng.integers(1, 7, n))
    enrollment = pd.DataFrame({"id": range(1, len(of) + 1), "student": of, "course": rng.integers(1, 31, len(of)), "grade": rng.choice([2.0, 2.7, 3.3, 4.0], len(of))})  # fmt: skip
    credits = course.set_index("id")["credits"].reindex(enrollment["course"]).to_numpy()
    total = pd.Series(credits).groupby(of).sum().to_numpy()
    student = pd.DataFrame({"id": range(1, n + 1), "year": rng.integers(1, 5, n), "credits": total if summed else rng.permutation(total)})  # fmt: skip
    tables = {"student": student, "enrollment": enrollment, "course": course}
    schema = Schema.infer(tables, primary_keys={t: "id" for t in tables}, foreign_keys={"enrollment": {"student": "student", "course": "course"}}, lookups=["course"])  # fmt: skip
    return RelationalData(tables, schema)


def wrong_credits(data) -> int:
    enrollment, student = data["enrollment"], data["student"].set_index("id")
    credits = data["course"].set_index("id")["credits"].reindex(enrollment["course"]).to_numpy(dtype=float)
    total = pd.Series(credits).groupby(enrollment["student"].to_numpy()).sum().reindex(student.index, fill_value=0.0)
    return int((student["credits"].astype(float) != total).sum())


def test_a_sum_of_a_lookup_number_through_the_rows_is_their_generated_sum(tiny_size):
    """A student's credits (the sum of its enrolled courses' credits, a lookup's column) had no rule:
    12 of 300 students generated by an untrained model had their courses' credits. Summed through
    the generated enrollments' courses."""
    data = school()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = [(t["column"], t["rows"], t["of"], t.get("via")) for t in pre.stats["totals"]]
    assert found == [("credits", "enrollment", ["course.credits"], {"course.credits": ["course", "course", "id", "credits"]})]  # fmt: skip
    model = TabularModel.build(pre, size=tiny_size)  # untrained: credits drawn at random
    synth = model.generate(100, seed=0)
    assert len(synth["enrollment"]) > 100 and wrong_credits(synth) == 0
    pre.stats["totals"] = []
    assert wrong_credits(model.generate(100, seed=0)) > 50


def test_a_number_beside_a_lookup_sum_is_no_total():
    data = school(summed=False)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["totals"] == []


def last_amounts(data) -> int:
    """Customers whose last amount is not their latest order's amount (null without orders)."""
    orders = data["order"].assign(at=pd.to_datetime(data["order"]["at"])).sort_values("at", kind="stable")
    last = orders.groupby("customer")["amount"].last()
    kept = data["customer"].set_index("id")["last_amount"].astype(float)
    found = last.reindex(kept.index).astype(float)
    return int((~(np.isclose(kept, found) | (kept.isna() & found.isna()))).sum())


def test_a_number_of_the_latest_row_is_its_generated_latest_rows():
    """A customer's last order amount (its latest order's) had no rule: decoded from shuffled
    amounts, 177 of 177 customers with orders had another. Set from the order with the latest date."""
    data = customers()
    tables = {t: data[t].copy() for t in data}
    orders = tables["order"].sort_values("at", kind="stable")
    last = orders.groupby("customer")["amount"].last()
    tables["customer"]["last_amount"] = last.reindex(tables["customer"]["id"]).to_numpy()
    schema = Schema.infer(tables, primary_keys={"customer": "id", "order": "id"}, foreign_keys={"order": {"customer": "customer"}})  # fmt: skip
    data = RelationalData(tables, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    found = {(t["column"], tuple(t["of"]), t.get("how"), t.get("latest")) for t in pre.stats["totals"]}
    assert ("last_amount", ("amount",), "last", "at") in found
    tables["order"]["amount"] = np.random.default_rng(1).permutation(tables["order"]["amount"].to_numpy())
    shuffled = RelationalData(tables, schema)
    assert last_amounts(pre.inverse_transform(pre.transform(shuffled), seed=0)) == 0
    pre.stats["totals"] = [t for t in pre.stats["totals"] if t["column"] != "last_amount"]
    assert last_amounts(pre.inverse_transform(pre.transform(shuffled), seed=0)) > 50


def test_a_date_its_rows_copy_is_kept_on_a_row_without_rows():
    """A project's start date, which its tasks copy: a project without tasks (3 % of them) keeps the
    start the model wrote, as the data's do, rather than none."""
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 500, 200), "D")
    n = np.where(np.arange(200) % 33 == 0, 0, rng.integers(1, 4, 200))
    of = np.repeat(np.arange(200), n)
    task = pd.DataFrame({"id": range(len(of)), "project": of, "opened": start[of], "hours": rng.integers(1, 40, len(of))})  # fmt: skip
    project = pd.DataFrame({"id": range(200), "start": start})
    tables = {"project": project, "task": task}
    schema = Schema.infer(tables, primary_keys={"project": "id", "task": "id"}, foreign_keys={"task": {"project": "project"}})  # fmt: skip
    data = RelationalData(tables, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    alone = ~synth["project"]["id"].isin(synth["task"]["project"])
    assert alone.sum() > 0 and synth["project"]["start"][alone].notna().all()

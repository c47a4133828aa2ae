"""Identifier columns: codes that name a row (invoice numbers, phone numbers, hashes, UUIDs) come back
fresh, in the source's format, unique where the source's are, and never as a real row's code."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
import uuid

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from relsynth.relational import (
    Categorical,
    Column,
    DataError,
    Date,
    ForeignKey,
    Identifier,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.relational.shapes import ALNUM, code_shapes
from relsynth.synth import DpBudget, TabularPreproc
from relsynth.synth.tabular._identifiers import identifier_format, known_codes, new_identifiers
from relsynth.synth.tabular.encoders import NumericPreproc


def customers(n: int = 300, seed: int = 0) -> RelationalData:
    """customer (an invoice-like code, a phone number, a hash, a UUID that is sometimes missing) -> orders (a reference)."""
    rng = np.random.default_rng(seed)
    years = rng.integers(2015, 2022, n)
    frame = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "code": [f"C-{y}-{i:05d}" for i, y in zip(rng.permutation(n) + 1, years, strict=True)],
            "phone": [f"{a}-{b}-{c}" for a, b, c in rng.integers([200, 100, 1000], [999, 999, 9999], (n, 3))],
            "token": [f"{v:016x}" for v in rng.integers(0, 2**62, n)],
            "uid": [str(uuid.UUID(int=int(v))) if i % 10 else None for i, v in enumerate(rng.integers(0, 2**62, n))],
            "age": rng.integers(18, 90, n),
        }
    )
    orders = pd.DataFrame(
        {
            "id": range(1, 2 * n + 1),
            "customer": rng.integers(1, n + 1, 2 * n),
            "ref": [f"ORD{i:06d}" for i in rng.permutation(2 * n) + 1],
            "amount": rng.gamma(2, 10, 2 * n).round(2),
        }
    )
    schema = Schema.infer(
        {"customer": frame, "orders": orders},
        primary_keys={"customer": "id", "orders": "id"},
        foreign_keys={"orders": {"customer": "customer"}},
    )
    return RelationalData({"customer": frame, "orders": orders}, schema)


SHAPES = {
    ("customer", "code"): r"C-20(1[5-9]|2[01])-\d{5}",
    ("customer", "phone"): r"\d{3}-\d{3}-\d{4}",
    ("customer", "token"): r"[0-9a-f]{16}",
    ("customer", "uid"): r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
    ("orders", "ref"): r"ORD\d{6}",
}


def test_codes_are_inferred_as_identifiers_and_come_back_fresh_in_their_format():
    data = customers()
    kinds = {(t, c): k.kind for t in data.schema.tables for c, k in data.schema.tables[t].columns.items()}
    assert [key for key, kind in kinds.items() if kind is Column.IDENTIFIER] == list(SHAPES)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert "code" not in pre.modelled_columns("customer") and "ref" not in pre.modelled_columns("orders")
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    for (table, col), shape in SHAPES.items():
        real, fake = data[table][col].dropna(), synth[table][col]
        assert fake.dropna().str.fullmatch(shape).all(), (col, fake.head(3).tolist())
        assert fake.dropna().is_unique, col
        assert not fake.isin(set(real)).any(), col  # never a real row's code
    assert synth["customer"]["uid"].isna().mean() == pytest.approx(0.1, abs=0.05)
    assert synth["customer"]["code"].notna().all()
    years = synth["customer"]["code"].str[2:6].astype(int)
    assert years.nunique() == 7  # the years the codes hold, not random digits


def test_a_shape_that_few_codes_have_is_never_written():
    codes = pd.Series([f"AB-{i:04d}" for i in range(200)] + ["SPECIAL-ONE-9"])
    fmt = identifier_format(codes, min_count=5)
    out = new_identifiers(2000, fmt, "code", np.random.default_rng(0))
    assert out.str.fullmatch(r"AB-\d{4}").all() and not out.str.contains("SPECIAL").any()


def test_numbers_past_int64_are_drawn_without_a_leading_zero_no_value_has():
    """Whole numbers past 64 bits (uint64 ids, 20 to 22 digits, some negative) are identifiers drawn
    digit by digit: 1 in 10 came out with a leading zero (-0030919144387224955670), a spelling no value has."""
    rng = np.random.default_rng(0)
    codes = pd.Series(
        [
            str(int(x) * 10**12 + int(y))
            for x, y in zip(rng.integers(10**9, 10**10, 200), rng.integers(0, 10**12, 200), strict=True)
        ]
    )
    codes = codes.where(rng.random(200) < 0.7, "-" + codes)  # 22 digits, some negative
    out = new_identifiers(2000, identifier_format(codes, min_count=5), "id", np.random.default_rng(0))
    assert out.str.fullmatch(r"-?\d{22}").all(), out.head(5).tolist()
    assert not out.str.fullmatch(r"-?0\d*").any() and out.str.fullmatch(r"-?9\d*").any()
    # a code whose digits some value starts with 0 keeps its leading zeros
    padded = pd.Series([f"{int(x):020d}" for x in rng.integers(0, 10**18, 200)])
    assert (
        new_identifiers(2000, identifier_format(padded, min_count=5), "id", np.random.default_rng(0))
        .str.startswith("0")
        .any()
    )


def test_a_letter_part_that_takes_a_few_values_keeps_them():
    # course codes CS101, MATH350, PHYS418 (department, number): generated ones spelled the departments
    # with letters drawn one by one among those seen, EOTP248, BGO355, NON321
    rng = np.random.default_rng(0)
    depts = rng.choice(["CS", "MATH", "PHYS", "CHEM", "HIST", "BIO", "ENG"], 300)
    codes = pd.Series([f"{d}{n}" for d, n in zip(depts, rng.permutation(np.arange(100, 500))[:300], strict=True)])
    out = new_identifiers(500, identifier_format(codes, min_count=5), "code", np.random.default_rng(0))
    assert set(out.str.extract(r"^([A-Z]+)")[0]) == set(depts), out.head(5).tolist()
    assert out.str.fullmatch(r"[A-Z]{2,4}\d{3}").all() and out.is_unique and not out.isin(set(codes)).any()
    shares = out.str.extract(r"^([A-Z]+)")[0].value_counts(normalize=True)
    assert shares["CS"] == pytest.approx((depts == "CS").mean(), abs=0.06)  # as often as in the data
    # a part too varied to be a few labels (two random letters) is still drawn letter by letter
    pairs = pd.Series([f"{a}{b}{i:03d}" for i, (a, b) in enumerate(rng.choice(list("ABCDEFGH"), (300, 2)))])
    drawn = new_identifiers(300, identifier_format(pairs, min_count=5), "ref", np.random.default_rng(0))
    assert drawn.str[:2].nunique() > 40 and drawn.str.fullmatch(r"[A-H]{2}\d{3}").all()


def test_phone_numbers_written_in_spaced_groups_come_back_in_their_groups():
    # "+33 612 345 6789" was free text (whitespace): the text model wrote "+22杨 900 2015", "+96 371 2019"
    rng = np.random.default_rng(0)
    n = 200
    phones = [f"+{c} {a} {b} {d}" for c, a, b, d in rng.integers([1, 100, 100, 1000], [99, 999, 999, 9999], (n, 4))]
    frame = pd.DataFrame({"id": range(1, n + 1), "phone": phones, "age": rng.integers(18, 90, n)})
    data = RelationalData({"seller": frame}, Schema.infer({"seller": frame}, primary_keys={"seller": "id"}))
    assert data.schema.tables["seller"].columns["phone"].kind is Column.IDENTIFIER
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    fake = pre.inverse_transform(pre.transform(data), seed=0)["seller"]["phone"]
    assert fake.str.fullmatch(r"\+\d{1,2} \d{3} \d{3} \d{4}").all(), fake.head(3).tolist()
    assert fake.is_unique and not fake.isin(set(phones)).any()


def test_numbers_written_without_padding_count_on_as_one_number():
    # SKU-1 ... SKU-299 were three shapes (1, 2 and 3 digits), each its own counter: the 1- and 2-digit
    # ones ran past their width into SKU-10, SKU-100..., 30 of 100 fresh codes real rows' codes, and SKU-00
    codes = pd.Series([f"SKU-{i}" for i in range(1, 300)])
    out = new_identifiers(100, identifier_format(codes, min_count=5), "sku", np.random.default_rng(0))
    assert not out.isin(set(codes)).any() and out.is_unique
    assert out.str.fullmatch(r"SKU-[1-9]\d*").all(), sorted(out)[:5]  # never zero-padded
    assert sorted(out.str[4:].astype(int)) == list(range(300, 400))  # counting on after the highest
    # a number some values pad keeps its width; unpadded runs of varied width draw in the source's range
    padded = new_identifiers(
        50, identifier_format(pd.Series([f"A{i:03d}" for i in range(40)]), 5), "a", np.random.default_rng(0)
    )
    assert padded.str.fullmatch(r"A\d{3}").all()
    phones = pd.Series([f"+{c} {n}" for c, n in zip([1, 7, 33, 44, 49] * 20, range(1000, 1100), strict=True)])
    fresh = new_identifiers(200, identifier_format(phones, 5), "p", np.random.default_rng(1))
    assert fresh.str.fullmatch(r"\+[1-9]\d? \d{4}").all() and fresh.str.extract(r"\+(\d+)")[0].astype(int).max() <= 49


def test_codes_without_a_shared_shape_are_numbered_and_a_format_without_room_warns(caplog):
    fmt = identifier_format(pd.Series([f"x{i}y{'z' * i}" for i in range(30)]), min_count=5)
    assert new_identifiers(3, fmt, "code", np.random.default_rng(0)).tolist() == ["code_1", "code_2", "code_3"]
    counted = identifier_format(pd.Series([f"{c}{d:02d}" for c in "AB" for d in range(10)] * 3), min_count=5)
    assert new_identifiers(100, counted, "seat", np.random.default_rng(0)).is_unique  # a counter goes on: A10, B11...
    digit = identifier_format(pd.Series([f"{c}{d}" for c in "AB" for d in range(10)] * 3), min_count=5)
    assert new_identifiers(100, digit, "seat", np.random.default_rng(0)).str.fullmatch(r"[AB]\d").all()  # no counter
    small = identifier_format(pd.Series([a + b for a in "ABQX" for b in "ABQX"]), min_count=5)  # letters: no counter
    with caplog.at_level(logging.WARNING):
        out = new_identifiers(100, small, "seat", np.random.default_rng(0))
    assert len(out) == 100 and out.str.fullmatch(r"[ABQX]{2}").all()  # 16 codes for 100 rows: they repeat, said
    assert any("too little room" in r.getMessage() for r in caplog.records)


def test_codes_numbered_in_their_rows_key_order_count_on_in_that_order():
    # TPC-H's c_name 'Customer#000000042' names customer 42: generated customers 1, 2, 3 were named
    # Customer#000001502, #000001570, #000001569 (counted on after the highest, in random order)
    frame = pd.DataFrame({"id": range(1, 201), "name": [f"Customer#{i:09d}" for i in range(1, 201)]})
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)  # row order is not key order
    frame["ref"] = [f"R{i:05d}" for i in np.random.default_rng(0).permutation(200) + 1]  # numbered at random
    schema = Schema(customer=Table(id=PrimaryKey(), name=Identifier(), ref=Identifier()))
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"customer": frame}, schema))
    synth = pre.inverse_transform(pre.transform(RelationalData({"customer": frame}, schema)), seed=0)["customer"]
    numbers = synth.sort_values("id")["name"].str[-9:].astype(int)
    assert numbers.is_monotonic_increasing and numbers.min() > 200  # fresh, in the keys' order
    refs = synth.sort_values("id")["ref"].str[1:].astype(int)
    assert not refs.is_monotonic_increasing and refs.min() > 200  # fresh, in random order as in the data


def test_a_counter_near_the_top_of_its_width_stays_in_the_width(caplog):
    # 5-digit invoice numbers 01014..99000 (1,800 codes, rising with the rows' keys): 1,600 generated ones counted
    # on after the highest, 601 with 6 digits (counted on after 99926) and to_sql refused them for the VARCHAR(5)
    rng = np.random.default_rng(0)
    source = pd.Series([f"{z:05d}" for z in np.sort(rng.choice(np.arange(1014, 99001), 1800, replace=False))])
    fmt = identifier_format(source, min_count=5, keys=pd.Series(range(1800)))
    assert fmt["shapes"][0]["runs"][0]["counter"]
    out = new_identifiers(1600, fmt, "account", np.random.default_rng(0))
    assert out.str.fullmatch(r"\d{5}").all() and out.is_unique and not out.isin(source).any()
    with caplog.at_level(logging.WARNING):
        codes = pd.Series([f"{i:04d}" for i in [*range(100, 300), 9950]])  # 149 free codes outside 0100..9950
        keys = pd.Series(range(len(codes)))  # they number the rows in the keys' order: a counter, though sparse
        over = new_identifiers(1100, identifier_format(codes, 1, keys=keys), "z", rng)
    assert over.is_unique and (over.str.len() == 4).sum() == 149  # both sides' room first, then past the width
    assert any("pass the width" in r.getMessage() for r in caplog.records)


def test_a_counter_of_any_width_keeps_to_the_columns_declared_length(tmp_path, caplog):
    # codes x900..x999 under CHECK (length(code) = 4) in a VARCHAR(10), and xxx900..xxx999 in a VARCHAR(6):
    # fresh codes counted on to x1000 and xxx1000, and the source's database refused every one of them
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'src.sqlite'}"
    with sa.create_engine(url).begin() as c:
        c.exec_driver_sql(
            "CREATE TABLE t (id int PRIMARY KEY, code varchar(10) CHECK (length(code) = 4), c6 varchar(6))"
        )
        for i in range(900, 1000):
            c.exec_driver_sql(f"INSERT INTO t VALUES ({i}, 'x{i}', 'xxx{i}')")
    data = RelationalData.from_sql(url)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    out = synth["t"]
    assert out["code"].str.fullmatch(r"x[1-9]\d{2}").all() and out["code"].is_unique, out["code"].head(3).tolist()
    assert out["c6"].str.fullmatch(r"xxx[1-9]\d{2}").all() and not out["c6"].isin(set(data["t"]["c6"])).any()
    synth.to_sql(f"sqlite:///{tmp_path / 'out.sqlite'}")  # into the source's DDL, its CHECK and widths
    # a declared length leaves no room for more codes: the counter says so, the codes as short as allowed
    fmt = identifier_format(pd.Series([f"x{i}" for i in range(100, 1000)]), 5, lengths=(4, 4))
    with caplog.at_level(logging.WARNING):
        over = new_identifiers(50, fmt, "code", np.random.default_rng(0))
    assert over.str.len().min() >= 4 and any("pass the width" in r.getMessage() for r in caplog.records)


def test_identifiers_go_through_a_model_the_privacy_scores_and_sql(tmp_path):
    from relsynth.eval._common import Notes
    from relsynth.eval.privacy import table_privacy

    data = customers(n=120)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=1)
    # the round trip copies every row's modelled values: a copy rate that read the fresh codes would say 0
    scores = table_privacy(data, data, synth, "customer", Notes(), max_rows=1000, seed=0)
    assert scores["exact_copy_rate"] > 0.9
    url = f"sqlite:///{tmp_path / 'out.sqlite'}"
    synth.to_sql(url)
    back = RelationalData.from_sql(url)
    assert back.schema.tables["customer"].columns["code"].kind is Column.IDENTIFIER
    assert back["customer"]["code"].tolist() == synth["customer"]["code"].tolist()


def test_a_dp_fit_reads_no_code_and_writes_public_ones():
    data = customers(n=200)
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(3.0, 1e-5))
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    assert synth["orders"]["ref"].str.fullmatch(r"ref_\d+").all() and synth["orders"]["ref"].is_unique
    assert "ORD" not in str(pre.stats)


def test_a_declared_identifier_that_is_an_integer_column_comes_back(tmp_path):
    frame = pd.DataFrame({"id": range(50), "ssn": np.arange(100_000_000, 100_000_050) * 7, "x": np.linspace(0, 1, 50)})
    schema = Schema(person=Table(id=PrimaryKey(), ssn=Identifier(), x=Numeric()))
    data = RelationalData({"person": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    out = pre.inverse_transform(pre.transform(data), seed=0)["person"]["ssn"]
    assert out.str.fullmatch(r"\d{9}").all() and out.is_unique and not out.isin(set(data["person"]["ssn"])).any()


def test_a_lookup_code_column_is_copied_as_a_label():
    frames = {
        "country": pd.DataFrame({"id": range(30), "iso": [f"C{i:02d}X" for i in range(30)]}),
        "city": pd.DataFrame({"id": range(300), "country": np.arange(300) % 30, "pop": np.arange(300)}),
    }
    schema = Schema.infer(frames, primary_keys={"country": "id", "city": "id"}, foreign_keys={"city": {"country": "country"}}, lookups=["country"])  # fmt: skip
    assert schema.tables["country"].columns["iso"].kind is Column.CATEGORICAL


def test_identifiers_are_not_a_text_context():
    from relsynth.synth import TextPreproc

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": range(60), "sku": [f"SKU-{i:05d}" for i in rng.permutation(60)], "genre": ["a", "b"] * 30,
                          "title": [f"a song called {w}" for w in rng.choice(["love", "night", "road"], 60)]})  # fmt: skip
    schema = Schema(song=Table(id=PrimaryKey(), sku=Identifier(), genre=Column.CATEGORICAL, title=Column.TEXT))
    pre = TextPreproc.from_schema_table(schema, "song")
    assert [c for _, _, c in pre.context_columns()] == ["genre"]
    assert re.fullmatch(r"genre=[ab]", pre.contexts(RelationalData({"song": frame}, schema))[0])


def test_an_exponent_past_32_bits_does_not_crash_inference_or_coercion():
    """pandas 2.3's parser segfaults on "2669e72251418251" (a hex hash can spell it)."""
    values = pd.Series(["1", "2669e72251418251", "15e8307173839373"] + [f"{i:016x}" for i in range(30)])
    assert Schema.infer({"t": pd.DataFrame({"h": values})}).tables["t"].columns["h"].kind is not None
    with pytest.raises(DataError, match="column 'h'"):  # the hashes are no integers: said, not a crash
        RelationalData({"t": pd.DataFrame({"h": values})}, Schema(t=Table(h=Integer())))


def test_labels_of_codes_whose_shapes_differ_in_run_lengths_are_drawn_among_the_real_ones():
    """E-mail addresses are each of their own shape (`aaaa.aaaaaa7@aaaa.aaaaaaa.aaa`): few shapes held
    min_count values, so their domain was drawn letter by letter (48 % of generated addresses ended in
    `.gcc`, `.rgo`...). A run's labels are counted over the shapes differing only in run lengths."""
    rng = np.random.default_rng(0)
    letters = list("abcdefghijklmnopqrstuvwxyz")
    names = ["".join(rng.choice(letters, int(rng.integers(3, 9)))) for _ in range(600)]
    domains = [("mail", "com"), ("post", "org"), ("web", "net")]
    mails = pd.Series(
        [
            f"{names[2 * i]}.{names[2 * i + 1]}{i}@{d}.example.{t}"
            for i, (d, t) in enumerate(domains[i % 3] for i in range(300))
        ]
    )
    out = new_identifiers(400, identifier_format(mails, min_count=5), "email", np.random.default_rng(1))
    domain, tld = out.str.extract(r"@(\w+)\.example\.(\w+)$").T.to_numpy()
    assert set(domain) == {"mail", "post", "web"} and set(tld) == {"com", "org", "net"}
    assert out.is_unique and not out.isin(set(mails)).any()  # still fresh addresses


@pytest.mark.parametrize("code", ["Customer#{:09d}", "SKU-{}"])
def test_codes_fitted_on_a_sample_count_on_past_the_whole_databases(tmp_path, code: str) -> None:
    """Fitted on an SQLSource sample of 40 of 2,000 customers, a counter counted on past the sample's
    highest code: 23 of 200 fresh names were real customers' (Customer#000001978 on); of 8, too few
    codes for their room, all 200 were drawn among the real ones. The sample now holds the ends of the
    whole database's codes and its rows: none is real, in a padded counter or an unpadded one."""
    import sqlalchemy as sa

    from relsynth.relational import SQLSource

    url, real = f"sqlite:///{tmp_path / 'shop.sqlite'}", [code.format(i) for i in range(1, 2001)]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, age INTEGER)")
        conn.exec_driver_sql(
            "INSERT INTO customer VALUES " + ", ".join(f"({i}, '{c}', {20 + i % 50})" for i, c in enumerate(real, 1))
        )
    engine.dispose()
    source = SQLSource(url)
    assert source.schema.tables["customer"].columns["name"].kind is Column.IDENTIFIER
    for n in (40, 8):
        sample = source.sample(n, seed=0)
        pre = TabularPreproc.from_schema(sample.schema).fit(sample)
        fresh = new_identifiers(200, pre.stats["identifiers"]["customer"]["name"], "name", np.random.default_rng(0))
        assert not set(fresh) & set(real)
        assert set(fresh) == {code.format(i) for i in range(2001, 2201)}  # counted on, not drawn


def order_events(n: int = 200, seed: int = 0) -> RelationalData:
    """orders -> events, a tracking number on the `shipped` events only (null on every other)."""
    rng = np.random.default_rng(seed)
    types = rng.choice(["created", "paid", "shipped"], size=4 * n, p=[0.4, 0.35, 0.25])
    events = pd.DataFrame(
        {
            "id": range(1, 4 * n + 1),
            "order": rng.integers(1, n + 1, 4 * n),
            "kind": types,
            "tracking": [
                f"1Z{v}" if t == "shipped" else None
                for t, v in zip(types, rng.integers(10**9, 10**10, 4 * n), strict=True)
            ],  # fmt: skip
        }
    )
    orders = pd.DataFrame({"id": range(1, n + 1), "total": rng.gamma(2, 10, n).round(2)})
    schema = Schema(
        orders=Table(id=PrimaryKey(), total=Numeric()),
        events=Table(id=PrimaryKey(), order=ForeignKey("orders"), kind=Column.CATEGORICAL, tracking=Identifier()),
    )
    return RelationalData({"orders": orders, "events": events}, schema)


def test_an_identifier_null_by_its_rows_kind_is_null_for_that_kind():
    """An event log's tracking numbers are held by shipped events only, but codes were drawn null at
    the overall rate (75 %) whatever the row: on 300 events of a generated log, 70 of 380 events that
    were not shipped had a tracking number and 80 of 106 shipped ones none. The fit keeps the null rate
    per value of the row's field that tells (`null_by`, as references do)."""
    data = order_events()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    events = pre.inverse_transform(pre.transform(data), seed=0)["events"]
    shipped = events["kind"] == "shipped"
    assert events.loc[shipped, "tracking"].notna().all() and events.loc[~shipped, "tracking"].isna().all()
    assert events["tracking"].dropna().str.fullmatch(r"1Z\d{10}").all()


def order_lines(n: int = 200, seed: int = 0) -> RelationalData:
    """orders (online or not) -> lines, a carrier's tracking number on the lines of offline orders only."""
    rng = np.random.default_rng(seed)
    online = rng.random(n) < 0.6
    order = np.repeat(np.arange(1, n + 1), rng.integers(1, 6, n))
    lines = pd.DataFrame(
        {
            "id": range(1, len(order) + 1),
            "order": order,
            "qty": rng.integers(1, 4, len(order)),
            "tracking": [None if online[o - 1] else f"{rng.integers(1000, 9999)}-4A" for o in order],
        }
    )
    orders = pd.DataFrame({"id": range(1, n + 1), "online": online, "total": rng.gamma(2, 10, n).round(2)})
    schema = Schema(
        orders=Table(id=PrimaryKey(), online=Column.BOOLEAN, total=Numeric()),
        lines=Table(id=PrimaryKey(), order=ForeignKey("orders"), qty=Integer(), tracking=Identifier()),
    )
    return RelationalData({"orders": orders, "lines": lines}, schema)


def test_an_identifier_null_by_its_parent_rows_flag_is_null_under_that_flag():
    """An order line's carrier tracking number is null exactly on online orders (the parent order's
    flag), but the null rate was kept per token of the line's own fields only (none tells): 700 of
    2,700 lines of an AdventureWorks-like database's tiny model broke it. The fit reads the parent
    row's fields too (`referencing_tokens`), and generation the generated parent row's."""
    data = order_lines()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    out = pre.inverse_transform(pre.transform(data), seed=0)
    online = out["lines"]["order"].map(out["orders"].set_index("id")["online"]).astype(bool)
    assert (out["lines"]["tracking"].isna() == online).all()


def accounts(n: int = 400, seed: int = 0) -> RelationalData:
    """customers of three countries whose IBAN, phone and postcode are written in their country's format."""
    rng = np.random.default_rng(seed)
    country = rng.choice(["DE", "FR", "GB"], n, p=[0.5, 0.3, 0.2])
    digits = lambda k: "".join(rng.choice(list("0123456789"), k))  # noqa: E731
    iban = {
        "DE": lambda: f"DE{digits(20)}",
        "FR": lambda: f"FR{digits(25)}",
        "GB": lambda: f"GB{digits(2)}NWBK{digits(14)}",
    }
    phone = {
        "DE": lambda: f"+49 {digits(2)} {digits(7)}",
        "FR": lambda: f"+33 {digits(1)} {digits(2)} {digits(2)} {digits(2)}",
        "GB": lambda: f"+44 20 {digits(4)} {digits(4)}",
    }
    post = {"DE": lambda: digits(5), "FR": lambda: digits(5), "GB": lambda: f"SW{digits(1)}A {digits(1)}AA"}
    frame = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "country": country,
            "segment": rng.choice(["retail", "business"], n),  # tells nothing of the codes
            "iban": [iban[c]() for c in country],
            "phone": [phone[c]() for c in country],
            "postcode": [post[c]() for c in country],
        }
    )
    schema = Schema.infer({"customer": frame}, primary_keys={"customer": "id"})
    return RelationalData({"customer": frame}, schema)


def test_codes_whose_format_a_label_of_the_row_tells_follow_the_generated_label():
    # an IBAN's country, a phone's +49, a postcode's shape follow the customer's country: drawn in one format for
    # every row, 113 of 300 generated IBANs began with their customer's country, 116 phones, 193 postcodes
    data = accounts()
    assert {c for c, k in data.schema.tables["customer"].columns.items() if k.kind is Column.IDENTIFIER} == {
        "iban",
        "phone",
        "postcode",
    }
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert {f.get("by") for f in pre.stats["identifiers"]["customer"].values()} == {"country"}
    synth = pre.inverse_transform(pre.transform(data), seed=0)["customer"]
    synth["country"] = synth["country"].sample(frac=1.0, random_state=0).to_numpy()  # any country: a model's
    from relsynth.synth.tabular._decode import _dependent_identifiers

    _dependent_identifiers(pre, {"customer": synth}, np.random.default_rng(7))
    prefix = {"DE": r"\+49 \d{2} \d{7}", "FR": r"\+33 \d \d{2} \d{2} \d{2}", "GB": r"\+44 20 \d{4} \d{4}"}
    ibans = {"DE": r"DE\d{20}", "FR": r"FR\d{25}", "GB": r"GB\d{2}NWBK\d{14}"}
    posts = {"DE": r"\d{5}", "FR": r"\d{5}", "GB": r"SW\dA \dAA"}
    for col, shapes in (("phone", prefix), ("iban", ibans), ("postcode", posts)):
        fits = [bool(re.fullmatch(shapes[c], v)) for c, v in zip(synth["country"], synth[col], strict=True)]
        assert all(fits), (col, synth.loc[~np.array(fits), ["country", col]].head(3))
    assert synth["iban"].is_unique and not synth["iban"].isin(set(data["customer"]["iban"])).any()


def test_a_label_that_tells_nothing_of_the_codes_is_not_their_group():
    rng = np.random.default_rng(0)
    codes = pd.Series([f"INV-{i:05d}" for i in rng.permutation(500)])
    labels = pd.DataFrame({"segment": rng.choice(["a", "b", "c"], 500), "flag": rng.choice(["x", "y"], 500)})
    assert "by" not in identifier_format(codes, 5, labels=labels)


def test_a_single_digit_run_keeps_its_width():
    # UK postcodes SW1A 1AA: each one-digit run was read as a number of any width, counted on past 9,
    # and every one of 300 generated postcodes broke the shape (NW0C 199BD, NW5A 285AB)
    rng = np.random.default_rng(0)
    areas, letters, ends = (
        rng.choice(["SW", "EC", "NW", "SE"], 300),
        rng.choice(list("ABC"), 300),
        rng.choice(["AA", "AB", "BD"], 300),
    )
    digits = rng.integers(0, 10, (300, 2))
    codes = pd.Series([f"{a}{d}{b} {e}{c}" for a, b, c, (d, e) in zip(areas, letters, ends, digits, strict=True)])
    out = new_identifiers(300, identifier_format(codes.drop_duplicates(), 5), "postcode", rng)
    assert out.str.fullmatch(r"[A-Z]{2}\d[ABC] \d[A-Z]{2}").all(), out.head(3).tolist()


def test_counters_of_a_labels_groups_never_draw_one_code_twice():
    # region N's codes N-00042 and rows of no region (N- too) counted each on from their own highest: N-00400 twice
    rng = np.random.default_rng(0)
    region = rng.choice(["N", "S", "E", None], 400)
    codes = pd.Series([f"{r or 'N'}-{i:05d}" for i, r in zip(rng.permutation(400), region, strict=True)])
    fmt = identifier_format(codes, 5, labels=pd.DataFrame({"region": region}))
    assert fmt["by"] == "region"
    rows = pd.DataFrame({"region": rng.choice(["N", "S", "E", None], 600)})
    out = new_identifiers(600, fmt, "code", np.random.default_rng(1), rows)
    assert out.is_unique and not out.isin(set(codes)).any()


def test_a_digit_run_that_is_a_part_of_the_rows_date_is_written_from_it():
    # INV-2023-000123 holds its invoice date's year: drawn between the lowest and highest year, 169 of 861
    # generated invoices (an untrained model) held their date's year
    rng = np.random.default_rng(0)
    n = 300
    dates = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    frame = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "date": dates,
            "invoice_no": [f"INV-{d.year}-{i:06d}" for i, d in zip(rng.permutation(n) + 1, dates, strict=True)],
            "ref": [f"R{d:%Y%m%d}-{i:04d}" for i, d in zip(rng.permutation(n), dates, strict=True)],
        }
    )
    schema = Schema(invoice=Table(id=PrimaryKey(), date=Date(), invoice_no=Identifier(), ref=Identifier()))
    data = RelationalData({"invoice": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)["invoice"]
    synth["date"] = (synth["date"] + pd.to_timedelta(rng.integers(-400, 400, n), unit="D")).to_numpy()  # a model's
    from relsynth.synth.tabular._decode import _dependent_identifiers

    _dependent_identifiers(pre, {"invoice": synth}, np.random.default_rng(7))
    years = pd.to_datetime(synth["date"]).dt.year.astype(str)
    assert (synth["invoice_no"].str[4:8] == years).all(), synth.head(3)
    assert (synth["ref"].str[1:9] == pd.to_datetime(synth["date"]).dt.strftime("%Y%m%d")).all(), synth.head(3)
    assert synth["invoice_no"].is_unique and not synth["invoice_no"].isin(set(frame["invoice_no"])).any()


def courses(n: int = 120, seed: int = 0, depts: tuple[str, ...] = ("CS", "MATH", "HIST", "BIO")) -> pd.DataFrame:
    """Course codes whose hundreds are the course's level (CS301 is level 3), a department's letters first."""
    rng = np.random.default_rng(seed)
    number = rng.choice([k for k in range(101, 500) if k % 100], n, replace=False)  # CS101 to CS499, distinct
    level, dept = number // 100, rng.choice(list(depts), n)
    return pd.DataFrame(
        {
            "id": range(1, n + 1),
            "dept": dept,
            "code": [f"{d}{k}" for d, k in zip(dept, number, strict=True)],
            "credits": rng.choice([3, 4], n),
            "level": level,
        }
    )


@pytest.mark.parametrize("depts", [("CS",), ("CS", "MATH", "HIST", "BIO")])
def test_a_codes_leading_digits_that_are_an_integer_of_the_row_are_written_from_it(depts):
    # a course code's hundreds are its level: drawn in the codes' range on their own, the generated level
    # was the code's first digit in 33 % of a trained model's courses (the school database, seeds 0/1)
    frame = courses(depts=depts)  # several: the codes' letters are told by the department, a format each
    schema = Schema(
        course=Table(id=PrimaryKey(), dept=Categorical(), code=Identifier(), credits=Integer(), level=Integer())
    )
    data = RelationalData({"course": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)["course"]
    synth["level"] = np.random.default_rng(1).permutation(synth["level"].to_numpy())  # a model's levels
    from relsynth.synth.tabular._decode import _dependent_identifiers

    _dependent_identifiers(pre, {"course": synth}, np.random.default_rng(7))
    digits = synth["code"].str.extract(r"^[A-Z]+(\d)(\d\d)$")
    assert digits.notna().all().all(), synth.head(3)
    assert (digits[0].astype(int) == synth["level"].astype(int)).all(), synth.head(3)
    assert (synth["code"].str.extract(r"^([A-Z]+)")[0] == synth["dept"].astype(str)).all()
    assert synth["code"].is_unique


def test_a_digit_run_an_integer_of_the_row_never_tells_stays_drawn():
    # the credits (3 or 4) and the ids are no leading digits of the codes: the codes are drawn as before
    frame = courses().assign(level=lambda f: np.random.default_rng(2).permutation(f["level"].to_numpy()))
    fmt = identifier_format(frame["code"], 5, integers=frame[["id", "credits", "level"]])
    runs = [r for shape in fmt["shapes"] for r in shape["runs"]]
    assert not any("integer" in r for r in runs), runs


def test_unique_codes_whose_shape_has_no_room_left_take_another_shape():
    # e-mails first.last@uni.edu of 24 first and 22 last names: each pair of name lengths its own
    # shape, some of a few pairs only (ben.hall: 3 and 4 letters), so redrawn in their own shape 0 to
    # 5 of 300 fresh addresses (seeds 0-9: 9 in all) still repeated, in a column the source declares UNIQUE
    rng = np.random.default_rng(0)
    first = ["anna", "ben", "carla", "david", "emma", "felix", "grace", "hugo", "ines", "jack", "kate", "liam"]
    first += ["maya", "noah", "olga", "paul", "rosa", "sam", "tara", "victor", "wendy", "yusuf", "zoe", "omar"]
    last = ["smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "clark", "lewis", "young", "hall"]
    last += ["allen", "king", "wright", "scott", "green", "baker", "adams", "nelson", "hill", "ramirez", "campbell"]
    pairs = rng.permutation([f"{a}.{b}" for a in first for b in last])[:300]
    fmt = identifier_format(pd.Series([f"{p}@uni.edu" for p in pairs]), 5)
    assert fmt["unique"]
    for seed in range(10):
        out = new_identifiers(300, fmt, "email", np.random.default_rng(seed))
        assert out.is_unique, (seed, out[out.duplicated()].tolist())
        assert out.str.fullmatch(r"[a-z]+\.[a-z]+@uni\.edu").all()


def _luhn_ok(code: str) -> bool:
    digits = [int(c) for c in code if c.isdigit()][::-1]
    return sum(d if i % 2 == 0 else (2 * d - 9 if d > 4 else 2 * d) for i, d in enumerate(digits)) % 10 == 0


def _with_luhn(body: str) -> str:
    return next(body + str(d) for d in range(10) if _luhn_ok(body + str(d)))


def test_codes_that_all_pass_a_check_digit_come_back_passing_it():
    # an untrained model's IBANs passed mod 97 in 6 of 300, card numbers Luhn in 24 of 300, ISBN-13s 99 of 861
    rng = np.random.default_rng(0)
    digits = lambda k: "".join(rng.choice(list("0123456789"), k))  # noqa: E731

    def iban(cc: str) -> str:
        bban = digits(18)
        check = 98 - int("".join(str(int(c, 36)) for c in bban + cc + "00")) % 97
        return f"{cc}{check:02d}{bban}"

    def isbn() -> str:
        body = "978" + digits(9)
        return body + str(-sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10)

    cards = [_with_luhn("4" + digits(14)) for _ in range(200)]
    columns = {
        "iban": ([iban(c) for c in rng.choice(["DE", "AT"], 200)], "iban_mod97"),
        "isbn": ([isbn() for _ in range(200)], "gtin"),
        "card": ([" ".join(c[i : i + 4] for i in range(0, 16, 4)) for c in cards], "luhn"),
    }
    for col, (codes, check) in columns.items():
        fmt = identifier_format(pd.Series(codes), 5)
        assert fmt.get("check") == check, col
        out = new_identifiers(300, fmt, col, np.random.default_rng(1))
        assert not out.isin(set(codes)).any() and out.is_unique
        assert out.str.fullmatch(r"[A-Z]{2}\d{20}|978\d{10}|4\d{3} \d{4} \d{4} \d{4}").all(), out.head(3).tolist()
        if col == "iban":
            assert out.map(lambda c: int("".join(str(int(x, 36)) for x in c[4:] + c[:4])) % 97 == 1).all()
        elif col == "isbn":
            assert out.map(lambda c: sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(c)) % 10 == 0).all()
        else:
            assert out.map(_luhn_ok).all(), out.head(3).tolist()
    assert "check" not in identifier_format(pd.Series([digits(16) for _ in range(200)]), 5)  # random digits: none


def test_masked_card_numbers_keep_their_mask_and_their_width():
    # '**** **** **** 1234' was free text (a group without a digit); read as codes, its last four, filling their
    # width (0003 to 9995), counted on past it: '**** **** **** 10026' in 242 of 300 generated rows
    rng = np.random.default_rng(0)
    last = rng.integers(0, 10_000, 600)
    first = rng.integers(400_000, 500_000, 600)
    frame = pd.DataFrame(
        {
            "id": range(1, 601),
            "masked": [f"**** **** **** {v:04d}" for v in last],
            "bin_masked": [f"{f // 100} {f % 100:02d}** **** {v:04d}" for f, v in zip(first, last, strict=True)],
        }
    )
    data = RelationalData({"customer": frame}, Schema.infer({"customer": frame}, primary_keys={"customer": "id"}))
    assert {k.kind for c, k in data.schema.tables["customer"].columns.items() if c != "id"} == {Column.IDENTIFIER}
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)["customer"]
    assert synth["masked"].str.fullmatch(r"\*{4} \*{4} \*{4} \d{4}").all(), synth["masked"].head(3).tolist()
    assert synth["bin_masked"].str.fullmatch(r"4\d{3} \d{2}\*\* \*{4} \d{4}").all(), (
        synth["bin_masked"].head(3).tolist()
    )


def test_a_digit_part_that_takes_a_few_values_keeps_them():
    # +49 30 1234567, +33 12 3456789, +39 ...: the calling code was drawn between 33 and 49, +41, +36 (no country's)
    rng = np.random.default_rng(0)
    calling = rng.choice(["49", "33", "39"], 400)
    phones = pd.Series([f"+{c} {rng.integers(10, 99)} {rng.integers(10**6, 10**7)}" for c in calling])
    out = new_identifiers(300, identifier_format(phones, 5), "phone", np.random.default_rng(1))
    assert set(out.str[1:3]) == {"49", "33", "39"}, out.str[:3].value_counts().head().to_dict()
    assert out.str.fullmatch(r"\+\d{2} \d{2} \d{7}").all() and not out.isin(set(phones)).any()


def test_a_digit_prefix_a_label_tells_follows_the_label():
    # +49 30 1234567 of a German customer, +33 12 3456789 of a French one, one shape: drawn apart from the
    # country, 15 of 300 generated phones called their customer's country
    rng = np.random.default_rng(0)
    country = rng.choice(["DE", "FR", "IT"], 400)
    calling = {"DE": "+49", "FR": "+33", "IT": "+39"}
    phones = pd.Series([f"{calling[c]} {rng.integers(10, 99)} {rng.integers(10**6, 10**7)}" for c in country])
    labels = pd.DataFrame({"country": country, "segment": rng.choice(["a", "b"], 400)})
    fmt = identifier_format(phones, 5, labels=labels)
    assert fmt["by"] == "country"
    rows = pd.DataFrame({"country": rng.choice(["DE", "FR", "IT"], 300)})
    out = new_identifiers(300, fmt, "phone", np.random.default_rng(1), rows)
    assert (out.str[:3] == rows["country"].map(calling)).all()


def test_a_shape_of_a_few_numbers_that_count_nothing_is_drawn_among_them():
    # a call's destination: mobile numbers, and the short codes 150, 999, 111 and 123 (a tenth of the calls):
    # the short codes' one digit run, not counting, was drawn anywhere in 111-999 (908, 379, ...: 395
    # distinct short codes in 534 generated ones, none of them the source's four)
    rng = np.random.default_rng(0)
    mobiles = [f"+44 7{rng.integers(100, 1000):03d} {rng.integers(0, 10**6):06d}" for _ in range(2000)]
    shorts = ["150", "999", "111", "123"]
    values = pd.Series(mobiles + list(rng.choice(shorts, 200))).sample(frac=1, random_state=0)
    out = new_identifiers(3000, identifier_format(values, 5), "destination", np.random.default_rng(1))
    short = out[out.str.len() == 3]
    assert len(short) > 150 and short.isin(shorts).all() and short.nunique() == 4
    assert out[out.str.len() > 3].str.fullmatch(r"\+44 7\d{3} \d{6}").all()
    counted = pd.Series([f"{n:03d}" for n in rng.permutation(900)[:400] + 100])  # many numbers: still a range
    assert counted.isin(new_identifiers(400, identifier_format(counted, 5), "code", rng)).mean() < 0.9


def test_codes_follow_a_lookup_key_that_tells_their_format():
    # customers naming a row of a countries lookup (country_id 1, 2, 3): no category told the IBANs, and 61 of
    # 200 generated customers (an untrained model) had an IBAN of their country
    rng = np.random.default_rng(0)
    countries = pd.DataFrame({"id": [1, 2, 3], "code": ["DE", "FR", "GB"]})
    country = rng.choice([1, 2, 3], 300)
    digits = lambda k: "".join(rng.choice(list("0123456789"), k))  # noqa: E731
    frame = pd.DataFrame(
        {
            "id": range(1, 301),
            "country_id": country,
            "iban": [f"{['DE', 'FR', 'GB'][c - 1]}{digits(20 + 5 * (c == 2))}" for c in country],
        }
    )
    schema = Schema(
        country=Table(id=PrimaryKey(), code=Categorical()),
        customer=Table(id=PrimaryKey(), country_id=ForeignKey(parent="country"), iban=Identifier()),
        lookups=["country"],
    )
    data = RelationalData({"country": countries, "customer": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert pre.stats["identifiers"]["customer"]["iban"]["by"] == "country_id"
    synth = pre.inverse_transform(pre.transform(data), seed=0)["customer"]
    synth["country_id"] = synth["country_id"].sample(frac=1.0, random_state=0).to_numpy()  # a model's
    from relsynth.synth.tabular._decode import _dependent_identifiers

    _dependent_identifiers(pre, {"customer": synth}, np.random.default_rng(7))
    codes = synth["country_id"].map({1: "DE", 2: "FR", 3: "GB"})
    assert (synth["iban"].str[:2] == codes).all() and (synth["iban"].str.len() == 22 + 5 * (codes == "FR")).all()


def test_codes_follow_a_label_of_their_parent_row_that_tells_their_format():
    # an invoice's payer IBAN starts with its customer's country (the parent row's): drawn by its share, 132 of
    # 386 generated invoices (an untrained model) had an IBAN of their customer's country
    rng = np.random.default_rng(0)
    country = rng.choice(["DE", "FR", "GB"], 200)
    customers = pd.DataFrame({"id": range(1, 201), "country": country})
    parent = rng.integers(1, 201, 500)
    digits = ["".join(rng.choice(list("0123456789"), 20)) for _ in range(500)]
    invoices = pd.DataFrame(
        {
            "id": range(1, 501),
            "customer": parent,
            "iban": [country[p - 1] + d for p, d in zip(parent, digits, strict=True)],
        }
    )
    schema = Schema(
        customer=Table(id=PrimaryKey(), country=Categorical()),
        invoice=Table(id=PrimaryKey(), customer=ForeignKey(parent="customer"), iban=Identifier()),
    )
    data = RelationalData({"customer": customers, "invoice": invoices}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert pre.stats["identifiers"]["invoice"]["iban"]["by"] == "<parent>.country"
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    out = {t: synth[t].copy() for t in ("customer", "invoice")}
    out["customer"]["country"] = out["customer"]["country"].sample(frac=1.0, random_state=0).to_numpy()  # a model's
    from relsynth.synth.tabular._decode import _dependent_identifiers

    _dependent_identifiers(pre, out, np.random.default_rng(7))
    joined = out["invoice"].merge(out["customer"], left_on="customer", right_on="id", suffixes=("", "_customer"))
    assert len(joined) == len(out["invoice"]) and (joined["iban"].str[:2] == joined["country"]).all()


def test_codes_that_follow_their_rows_label_keep_the_nulls_another_field_tells():
    """A customer's IBAN in the format of the customer's country (drawn once the country is final)
    and held by account customers only (null for cash-only ones): the two rules were written apart,
    and merged the codes drawn later had to keep the null each row drew from its field."""
    data = accounts()
    frame = data["customer"].copy()
    frame["pays"] = np.where(np.arange(len(frame)) % 3 == 0, "cash", "account")
    frame["iban"] = frame["iban"].where(frame["pays"] == "account")
    data = RelationalData({"customer": frame}, Schema.infer({"customer": frame}, primary_keys={"customer": "id"}))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    fmt = pre.stats["identifiers"]["customer"]["iban"]
    assert fmt["by"] == "country" and fmt.get("null_by")
    out = pre.inverse_transform(pre.transform(data), seed=0)["customer"]
    account = out["pays"] == "account"
    assert out.loc[account, "iban"].notna().all() and out.loc[~account, "iban"].isna().all()
    assert (out.loc[account, "iban"].str[:2] == out.loc[account, "country"]).all()


def test_codes_drawn_from_a_range_are_drawn_in_it_not_counted_on():
    """Zip codes drawn at random (293 distinct of 300 customers, 00526..09972) filled 1 % of their
    room, so they were read as numbered rows: every generated zip counted on past the highest real one
    (09973, 09974...). A counter now needs codes filling a fifth of their run's range, or rising with
    the rows' keys; codes drawn from a range are drawn in it."""
    rng = np.random.default_rng(0)
    zips = pd.Series([f"{z:05d}" for z in rng.integers(500, 9999, 300)])
    out = new_identifiers(300, identifier_format(zips, 5), "zip", np.random.default_rng(1)).astype(int)
    real = zips.astype(int)
    assert real.min() <= out.min() and out.max() <= real.max()
    assert abs(out.median() - real.median()) < 1000, out.median()
    # numbered rows a few apart (a fifth of them deleted) still count on, fresh
    refs = pd.Series([f"ORD{i:06d}" for i in rng.permutation(np.arange(1, 1001))[:800]])
    fresh = new_identifiers(300, identifier_format(refs, 5), "ref", np.random.default_rng(1))
    assert not fresh.isin(set(refs)).any() and fresh.is_unique


@pytest.mark.parametrize("per_type", [6, 30])
def test_account_codes_keep_their_types_leading_digit_and_their_step(per_type: int):
    """A chart of accounts numbers each type's accounts by tens in its own thousand (assets 1000,
    1010 ..., income 4000 ...). Declared identifier, the codes were drawn between 1000 and 5290
    whatever the row's type (18-20 % in their type's thousand) and off the step (7-23 % multiples
    of 10). A code's first character now tells a label too (a format per type), and a digit run
    whose numbers all lie on a step from the lowest (5 at least) is drawn and counted on it."""
    types = ["asset", "liability", "equity", "income", "expense"]
    frame = pd.DataFrame(
        {
            "id": range(1, 5 * per_type + 1),
            "code": [str(1000 * (t + 1) + 10 * k) for t in range(5) for k in range(per_type)],
            "type": np.repeat(types, per_type),
        }
    )
    schema = Schema(accounts=Table(id=PrimaryKey(), code=Identifier(), type=Categorical()))
    data = RelationalData({"accounts": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)["accounts"]
    codes = synth["code"].astype(int)
    thousand = synth["type"].map({t: i + 1 for i, t in enumerate(types)})
    assert (codes // 1000 == thousand).all(), synth.head(3)
    assert (codes % 10 == 0).all() and codes.is_unique and not synth["code"].isin(set(frame["code"])).any()
    # drawn in their range, not counted on (a twentieth of it), still on the step
    rng = np.random.default_rng(0)
    sparse = pd.Series([f"GL-{v:05d}" for v in 10 * rng.choice(1000, 50, replace=False) + 3])
    drawn = new_identifiers(200, identifier_format(sparse, 5), "gl", rng).str[3:].astype(int)
    assert (drawn % 10 == 3).all() and drawn.max() <= sparse.str[3:].astype(int).max()


def test_account_codes_count_on_in_their_types_thousand_whatever_order_the_types_come_in():
    """The types' groups are counted in the order the fit lists them, and each counted on after the
    highest code of the groups before: with more equity accounts than any other type (3000-3290), the
    assets were counted on from 3300, the liabilities from 3600 ... (41 % of a ledger's generated
    codes in their type's thousand). Groups whose numbers lie apart, with room for their fresh codes
    below the next group's, each count on after their own highest."""
    types = ["asset", "liability", "equity", "income", "expense"]
    sizes = [10, 12, 30, 14, 16]
    frame = pd.DataFrame(
        {
            "id": range(1, sum(sizes) + 1),
            "code": [str(1000 * (t + 1) + 10 * k) for t in range(5) for k in range(sizes[t])],
            "type": np.repeat(types, sizes),
        }
    )
    schema = Schema(accounts=Table(id=PrimaryKey(), code=Identifier(), type=Categorical()))
    data = RelationalData({"accounts": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert list(pre.stats["identifiers"]["accounts"]["code"]["groups"])[0] == "equity"
    for seed in range(2):
        synth = pre.inverse_transform(pre.transform(data), seed=seed)["accounts"]
        codes = synth["code"].astype(int)
        assert (codes // 1000 == synth["type"].map({t: i + 1 for i, t in enumerate(types)})).all(), seed
        assert codes.is_unique and not synth["code"].isin(set(frame["code"])).any()
    # assets at the top of their thousand (1900-1990) have no room for fresh codes below 2000: they count
    # on after every group's highest, the other types still in their own thousand
    full = frame.assign(
        code=[str(int(c) + 900) if t == "asset" else c for c, t in zip(frame["code"], frame["type"], strict=True)]
    )
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"accounts": full}, schema))
    synth = pre.inverse_transform(pre.transform(data), seed=0)["accounts"]
    codes, others = synth["code"].astype(int), synth["type"] != "asset"
    assert (codes[others] // 1000 == synth["type"][others].map({t: i + 1 for i, t in enumerate(types)})).all()
    assert codes.is_unique and not synth["code"].isin(set(full["code"])).any()
    # groups whose fresh codes would meet count on across the groups, as before: never one code twice
    crowded = frame.assign(code=[str(1000 + 10 * i) for i in range(len(frame))])
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"accounts": crowded}, schema))
    synth = pre.inverse_transform(pre.transform(data), seed=0)["accounts"]
    assert synth["code"].is_unique and not synth["code"].isin(set(crowded["code"])).any()


def test_codes_of_a_labels_narrow_range_stay_in_it_where_the_column_counts_nothing():
    # a city's 25 postcodes within 59037 to 59999 (its prefix 59) filled 3 % of their own range: read
    # as a counter, counted on after every city's highest, Lille's generated postcodes read 94218, and
    # 268 of 519 generated customers' postcodes lost their city's prefix
    rng = np.random.default_rng(0)
    prefixes = [f"{p:02d}" for p in rng.choice(np.arange(1, 96), 30, replace=False)]
    city = rng.integers(0, 30, 750)
    # half the cities write 59123, half 591-2345: the city tells the shape, so the codes are grouped by it
    codes = pd.Series(
        [f"{prefixes[c]}{rng.integers(0, 1000):03d}" if c < 15 else f"{prefixes[c]}1-{rng.integers(0, 10**4):04d}"
         for c in city]
    )  # fmt: skip
    labels = pd.DataFrame({"city": [f"c{c}" for c in city]})
    fmt = identifier_format(codes, 5, labels=labels)
    assert fmt["by"] == "city"
    rows = pd.DataFrame({"city": [f"c{c}" for c in rng.integers(0, 30, 600)]})
    out = new_identifiers(600, fmt, "postcode", np.random.default_rng(1), rows)
    expected = rows["city"].str[1:].astype(int).map(dict(enumerate(prefixes)))
    assert (out.str[:2] == expected).all(), out[out.str[:2] != expected].head(3).tolist()
    assert out.str.fullmatch(r"\d{5}|\d{3}-\d{4}").all()


@pytest.mark.parametrize("n_courses", [99, 600])
def test_course_codes_whose_numbers_repeat_across_departments_stay_in_their_range(n_courses: int):
    """Course codes CS-101, MATH-234 (department, level and number 101..498): 97 numbers in 99 courses
    filled a fifth of 101..498, so the run was read as a counter and 62 % of an LMS's generated codes
    were numbered past 498 (MATH-534, a level no course has). Numbers that the departments share name
    no row by themselves: they count only where each department's fill half their room, as per-project
    counters do (PROJ-1..137, WEB-1..42), which still count on."""
    rng = np.random.default_rng(0)
    depts = ["CS", "MATH", "PHYS", "ENG", "HIST", "BIO"]
    numbers = rng.integers(1, 5, n_courses) * 100 + rng.integers(1, 99, n_courses)
    codes = pd.Series([f"{d}-{n}" for d, n in zip(rng.choice(depts, n_courses), numbers, strict=True)])
    out = new_identifiers(300, identifier_format(codes, 5), "code", np.random.default_rng(1))
    drawn = out.str.extract(r"-(\d+)$")[0].astype(int)
    assert drawn.min() >= numbers.min() and drawn.max() <= numbers.max(), drawn.max()
    levels = (drawn // 100).value_counts(normalize=True)
    assert sorted(levels.index) == [1, 2, 3, 4] and levels.min() > 0.15, levels.to_dict()
    tickets = pd.Series([f"{p}-{i}" for p, k in [("PROJ", 137), ("WEB", 42), ("OPS", 30)] for i in range(1, k + 1)])
    fresh = new_identifiers(100, identifier_format(tickets, 5), "key", np.random.default_rng(1))
    assert fresh.is_unique and not fresh.isin(set(tickets)).any()


def test_codes_that_repeat_across_rows_come_back_fresh_repeating_as_often_and_never_twice_in_a_parent():
    # an enrollment's student 'S1234567' (no students table): as text, 95 % came back real training ids
    rng = np.random.default_rng(0)
    students = [f"S{n:07d}" for n in rng.choice(9_000_000, 150, replace=False) + 1_000_000]
    course = pd.DataFrame({"course_id": range(1, 61), "credits": rng.integers(1, 5, 60)})
    rows = [(c, s) for c in course.course_id for s in rng.choice(students, rng.integers(4, 11), replace=False)]
    enrollment = pd.DataFrame(rows, columns=["course_id", "student_id"])
    enrollment.insert(0, "enrollment_id", range(1, len(enrollment) + 1))
    schema = Schema.infer(
        {"course": course, "enrollment": enrollment},
        primary_keys={"course": "course_id", "enrollment": "enrollment_id"},
        foreign_keys={"enrollment": {"course_id": "course"}},
    )
    assert schema.tables["enrollment"].columns["student_id"].kind is Column.IDENTIFIER
    data = RelationalData({"course": course, "enrollment": enrollment}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    fake = pre.inverse_transform(pre.transform(data), seed=0)["enrollment"]
    assert fake.student_id.str.fullmatch(r"S\d{7}").all()
    assert not fake.student_id.isin(set(students)).any()  # never a real student's code
    share = enrollment.student_id.nunique() / len(enrollment)
    assert fake.student_id.nunique() / len(fake) == pytest.approx(share, abs=0.08)  # each in a few courses
    assert not fake.duplicated(["course_id", "student_id"]).any()  # never twice in one course


def test_dates_past_the_range_of_pandas_come_back_as_real_days_in_their_spelling(tmp_path):
    """Days before 1677 or after 2262 (a battle's 1066-10-14, a lease's 2300s) do not fit
    datetime64[ns]: Schema.infer reads them as identifiers, and fresh ones were drawn digit by digit,
    6 of 200 no real day (2301-09-31, 1609-02-29), and a parquet date32 column came back as text
    (gaps repro far_dates.py). Now they are real days within the source's range, yyyy-mm-dd, date32
    where the source's were."""
    rng = np.random.default_rng(0)
    far = [dt.date(2300, 1, 1) + dt.timedelta(days=int(x)) for x in rng.integers(0, 3650, 200)]
    old = [(dt.date(1600, 1, 1) + dt.timedelta(days=int(x))).isoformat() for x in rng.integers(0, 3650, 200)]
    pq.write_table(
        pa.table({"id": np.arange(200), "far": pa.array(far, pa.date32()), "old": old}), tmp_path / "t.parquet"
    )
    raw = pd.read_parquet(tmp_path / "t.parquet")
    data = RelationalData.from_dir(tmp_path, schema=Schema.infer({"t": raw}, primary_keys={"t": "id"}))
    assert data.schema.tables["t"].columns["far"] == Identifier()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    pre.inverse_transform(pre.transform(data), seed=0).to_dir(tmp_path / "out")
    assert pq.read_schema(tmp_path / "out" / "t.parquet").field("far").type == pa.date32()
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert all(isinstance(d, dt.date) and dt.date(2300, 1, 1) <= d <= max(far) for d in back["far"])
    days = [dt.date.fromisoformat(d) for d in back["old"]]  # raises on a day no calendar has
    assert min(old) <= min(days).isoformat() and max(days).isoformat() <= max(old)


def test_ipv4_addresses_stay_valid_addresses():
    # 400 hosts' addresses 10.a.b.c: any 400 last octets fill 0..249, so that run counted and wrote 10.6.8.310
    # and 10.2.2.519 (98.5 % of them), which no inet column holds; they are drawn octet by octet in range
    rng = np.random.default_rng(0)
    n = 400
    octets = zip(rng.integers(0, 7, n), rng.integers(0, 13, n), rng.permutation(n) % 250, strict=True)
    source = pd.Series([f"10.{a}.{b}.{c}" for a, b, c in octets])
    out = new_identifiers(n, identifier_format(source, min_count=5), "ip", np.random.default_rng(0))
    octet = r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    assert out.str.fullmatch(rf"10\.[0-6]\.([0-9]|1[0-2])\.{octet}").all(), out.head(3).tolist()
    assert out.is_unique
    # hosts numbered in a block (10.0.0.1 to 10.0.1.244): fresh ones count on after the highest, as addresses
    block = pd.Series([f"10.0.{i // 256}.{i % 256}" for i in range(1, 501)])
    counted = new_identifiers(300, identifier_format(block, min_count=5), "ip", np.random.default_rng(1))
    assert counted.str.fullmatch(rf"10\.0\.[1-3]\.{octet}").all() and counted.is_unique
    assert not counted.isin(set(block)).any()
    # with their netmasks (an inet's 10.a.b.c/24 or /32): 98.5 % were 10.0.4.332/32 and the like
    masked = source + pd.Series(rng.choice(["/24", "/32"], n))
    drawn = new_identifiers(n, identifier_format(masked, min_count=5), "net", np.random.default_rng(2))
    assert drawn.str.fullmatch(rf"10\.[0-6]\.([0-9]|1[0-2])\.{octet}/(2[4-9]|3[0-2])").all(), drawn.head(3).tolist()


def test_networks_stay_networks():
    # a cidr column's networks (10.a.b.c/p with no bit set past the prefix): drawn octet by octet and prefix
    # apart, half of them were 10.3.177.192/25 or 10.6.37.0/23, which PostgreSQL's cidr refuses (to_sql failed)
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 27, 400)
    hosts = zip(rng.integers(0, 7, 400), rng.integers(0, 256, 400), rng.integers(0, 256, 400), lengths, strict=True)
    source = pd.Series(
        sorted({str(ipaddress.IPv4Network(f"10.{a}.{b}.{c}/{p}", strict=False)) for a, b, c, p in hosts})
    )
    drawn = new_identifiers(400, identifier_format(source, min_count=5), "net", np.random.default_rng(1))
    assert [str(ipaddress.IPv4Network(code)) for code in drawn] == drawn.tolist()  # raises on a host bit set
    assert drawn.str.fullmatch(r"10\.[0-6]\.\d{1,3}\.\d{1,3}/2[0-6]").all() and drawn.is_unique
    # an inet's addresses with their netmask keep their host bits
    inet = pd.Series([f"10.0.{i % 7}.{i}/24" for i in range(1, 200)])
    assert not identifier_format(inet, min_count=5)["shapes"][0].get("network")


def hosts(n: int = 300, seed: int = 0) -> RelationalData:
    """host (a name srv-web042 and an address 10.a.b.c, each held once, declared categorical; a kind; a load)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "name": [f"srv-{w}{i:03d}" for w, i in zip(rng.choice(["web", "db", "app"], n), rng.permutation(n), strict=True)],
            "ip": [f"10.{a}.{b}.{c}" for a, b, c in zip(rng.integers(0, 7, n), rng.integers(0, 13, n), rng.permutation(n) % 250, strict=True)],
            "kind": rng.choice(["a", "b"], n),
            "load": rng.gamma(2, 1, n).round(2),
        }
    )  # fmt: skip
    schema = Schema(
        host=Table(id=PrimaryKey(), name=Categorical(), ip=Categorical(), kind=Categorical(), load=Numeric())
    )
    return RelationalData({"host": frame}, schema)


def test_a_category_no_value_of_which_is_frequent_is_drawn_fresh_in_its_shapes(tmp_path, caplog):
    # no host name or address appears 5 times: no category to write but <rare>, so both came back all missing
    data = hosts()
    with caplog.at_level(logging.WARNING):
        pre = TabularPreproc.from_schema(data.schema).fit(data)
    said = [r.getMessage() for r in caplog.records if "fresh codes in its values' shapes" in r.getMessage()]
    assert [m.split(":")[0] for m in said] == ["host.name", "host.ip"]
    assert pre.modelled_columns("host") == ["kind", "load"]
    synth = pre.inverse_transform(pre.transform(data), seed=0)["host"]
    real = data["host"]
    assert synth["name"].str.fullmatch(r"srv-(web|db|app)\d{3}").all() and synth["name"].is_unique
    assert not synth["name"].isin(set(real["name"])).any()  # counted on: never a real host's name
    assert synth["ip"].str.fullmatch(r"10\.[0-6]\.\d{1,2}\.\d{1,3}").all()
    assert synth["ip"].str.split(".").map(lambda octets: max(map(int, octets))).max() <= 255
    pre.save(tmp_path / "pre")
    again = TabularPreproc.load(tmp_path / "pre").inverse_transform(pre.transform(data), seed=0)["host"]
    assert again["name"].tolist() == synth["name"].tolist()
    dp = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(3.0, 1e-5))  # read from the values: not so
    assert "name" in dp.modelled_columns("host")


def test_a_category_its_source_lists_with_no_frequent_value_is_drawn_among_the_list(tmp_path):
    # 60 zones CHECK (zone IN (...)), each in 2 of 120 rows, NOT NULL: all missing, decoding stopped on the NOT NULL
    import sqlalchemy as sa

    zones = [f"zone{k:02d}" for k in range(60)]
    url = f"sqlite:///{tmp_path / 'src.sqlite'}"
    listed = ", ".join(f"'{z}'" for z in zones)
    with sa.create_engine(url).begin() as c:
        c.exec_driver_sql(
            f"CREATE TABLE t (id int PRIMARY KEY, zone varchar(10) NOT NULL CHECK (zone IN ({listed})), x real)"
        )
        for i in range(120):
            c.exec_driver_sql(f"INSERT INTO t VALUES ({i}, '{zones[i % 60]}', {i * 0.5})")
    data = RelationalData.from_sql(url)
    assert data.schema.tables["t"].columns["zone"].kind is Column.CATEGORICAL
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    zone = synth["t"]["zone"]
    assert zone.notna().all() and zone.isin(zones).all() and zone.nunique() > 30
    synth.to_sql(f"sqlite:///{tmp_path / 'out.sqlite'}")


def test_a_category_whose_shape_would_write_its_rare_values_whole_stays_a_category():
    # labels L0..L9, 3 rows each: drawn in their shape (L and a digit 0..9) every code would be a rare label
    frame = pd.DataFrame({"id": range(30), "label": [f"L{i % 10}" for i in range(30)], "x": np.arange(30.0)})
    schema = Schema(t=Table(id=PrimaryKey(), label=Categorical(), x=Numeric()))
    with pytest.warns(UserWarning, match="generated as missing"):
        pre = TabularPreproc.from_schema(schema).fit(RelationalData({"t": frame}, schema))
    assert "label" in pre.modelled_columns("t") and not pre.stats["identifiers"]


def test_a_not_null_category_whose_shape_would_write_its_rare_values_is_drawn_fresh_not_null(tmp_path):
    # the same labels NOT NULL in the source: kept a category, every row came back null and to_sql refused the
    # whole database. Drawn fresh instead: never null, never one of the protected labels, and written
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'src.sqlite'}"
    with sa.create_engine(url).begin() as c:
        c.exec_driver_sql("CREATE TABLE t (id int PRIMARY KEY, label varchar(12) NOT NULL, note text, x real)")
        for i in range(30):
            note = f"'N{i % 10}'" if i % 2 else "NULL"
            c.exec_driver_sql(f"INSERT INTO t VALUES ({i}, 'L{i % 10}', {note}, {i})")
    overrides = {"t": {"label": "categorical", "note": "categorical"}}
    data = RelationalData.from_sql(url, overrides=overrides)
    with pytest.warns(UserWarning, match="'t.note': no value appears 5"):  # nullable: missing, as before
        pre = TabularPreproc.from_schema(data.schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    label = synth["t"]["label"]
    assert label.notna().all() and not label.isin({f"L{k}" for k in range(10)}).any()
    assert synth["t"]["note"].isna().all()
    synth.to_sql(f"sqlite:///{tmp_path / 'out.sqlite'}")
    assert (
        RelationalData.from_sql(f"sqlite:///{tmp_path / 'out.sqlite'}", overrides=overrides)["t"]["label"].notna().all()
    )


def test_a_not_null_category_whose_fresh_codes_its_type_cannot_hold_is_named_at_fit(tmp_path, caplog):
    # tiers 'A' to 'D' in a VARCHAR(1), 6 rows each, at min_count=10: drawn fresh as tier_<n>, which to_sql
    # refused only once the model was trained; the fit says so, with the ways out
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'src.sqlite'}"
    with sa.create_engine(url).begin() as c:
        c.exec_driver_sql("CREATE TABLE shop (id int PRIMARY KEY, tier varchar(1) NOT NULL, code varchar(9) NOT NULL)")
        for i in range(24):
            c.exec_driver_sql(f"INSERT INTO shop VALUES ({i}, '{'ABCD'[i % 4]}', '{'ABCD'[i % 4]}')")
    data = RelationalData.from_sql(url)
    with caplog.at_level(logging.WARNING):
        TabularPreproc.from_schema(data.schema, min_count=10).fit(data)
    said = {
        r.getMessage().split(":")[0]: r.getMessage()
        for r in caplog.records
        if "NOT NULL in its source" in r.getMessage()
    }
    assert set(said) == {"shop.tier", "shop.code"}  # code_1 fits its VARCHAR(9): not named
    assert "tier_1 and on are longer than the 1 characters" in said["shop.tier"] and "longer" not in said["shop.code"]


def test_a_category_drawn_fresh_on_a_sample_counts_on_past_the_whole_databases(tmp_path):
    # 2,000 SKUs, each once, declared categorical, sampled 200: on the sample alone they filled a tenth of their range,
    # so they were no counter, every draw in range a real one a tenth of the time, and the column stayed all null
    import sqlalchemy as sa

    from relsynth.relational import SQLSource

    url = f"sqlite:///{tmp_path / 'src.sqlite'}"
    with sa.create_engine(url).begin() as c:
        c.exec_driver_sql("CREATE TABLE item (id int PRIMARY KEY, sku varchar(12) NOT NULL, w real)")
        c.execute(
            sa.text("INSERT INTO item VALUES (:i, :sku, :w)"),
            [{"i": i, "sku": f"SKU-{100000 + i}", "w": i % 17 * 0.5} for i in range(2000)],
        )
    data = SQLSource(url, overrides={"item": {"sku": "categorical"}}).sample(200, seed=0)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    sku = pre.inverse_transform(pre.transform(data), seed=0)["item"]["sku"]
    assert sku.notna().all() and sku.is_unique and sku.str.fullmatch(r"SKU-\d{6}").all()
    assert not sku.isin({f"SKU-{100000 + i}" for i in range(2000)}).any()  # none of the whole database's


def test_a_category_of_numbers_or_dates_no_value_of_which_is_frequent_is_binned_as_numbers(caplog):
    # an all-distinct integer code, a score and a day declared categorical: all came back missing
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "id": range(300),
            "code": rng.permutation(np.arange(100_000, 106_000, 20))[:300],
            "score": rng.normal(50, 10, 300).round(3),
            "day": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.permutation(2000)[:300], "D"),
            "kind": rng.choice(["a", "b"], 300),
        }
    )
    schema = Schema(
        t=Table(id=PrimaryKey(), code=Categorical(), score=Categorical(), day=Categorical(), kind=Categorical())
    )
    data = RelationalData({"t": frame}, schema)
    with caplog.at_level(logging.WARNING):
        pre = TabularPreproc.from_schema(schema).fit(data)
    said = [r.getMessage().split(":")[0] for r in caplog.records if "binned" in r.getMessage()]
    assert said == ["t.code", "t.score", "t.day"]
    synth = pre.inverse_transform(pre.transform(data), seed=0)["t"]
    for col in ("code", "score", "day"):
        assert synth[col].notna().all() and synth[col].between(frame[col].min(), frame[col].max()).all()
    assert (synth["code"] % 20 == 0).all()  # on the values' step
    assert synth["score"].isin(set(frame["score"])).mean() < 0.05  # drawn within bins, not replayed
    assert synth["kind"].isin(["a", "b"]).all()
    dp = TabularPreproc.from_schema(schema).fit(data, dp=DpBudget(3.0, 1e-5))  # read from the values: not so
    assert not any(isinstance(p, NumericPreproc) for p in dp.overrides.get("t", {}).values())


def test_an_sql_integer_declared_categorical_no_value_of_which_is_frequent_is_binned_and_written_back(tmp_path):
    # read as text ('2221'), every row a rare label: all missing, and its NOT NULL refused the write
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'src.sqlite'}"
    codes = np.random.default_rng(0).permutation(5000)[:200]
    with sa.create_engine(url).begin() as c:
        c.exec_driver_sql("CREATE TABLE t (id int PRIMARY KEY, status int NOT NULL, x real)")
        for i, code in enumerate(codes):
            c.exec_driver_sql(f"INSERT INTO t VALUES ({i}, {code}, {i * 0.5})")
    data = RelationalData.from_sql(url, overrides={"t": {"status": "categorical"}})
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    status = pre.inverse_transform(pre.transform(data), seed=0)["t"]["status"]
    assert status.notna().all() and status.str.fullmatch(r"\d+").all()
    assert status.astype(int).between(codes.min(), codes.max()).all()
    pre.inverse_transform(pre.transform(data), seed=0).to_sql(f"sqlite:///{tmp_path / 'out.sqlite'}")


def test_days_declared_categorical_no_value_of_which_is_frequent_are_binned_as_days():
    # date objects in a categorical column are held as texts 2023-12-03: every row a rare label, all missing
    rng = np.random.default_rng(0)
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=int(k)) for k in rng.permutation(3000)[:300]]
    frame = pd.DataFrame({"id": range(300), "day": days, "kind": rng.choice(["a", "b"], 300)})
    schema = Schema(t=Table(id=PrimaryKey(), day=Categorical(), kind=Categorical()))
    data = RelationalData({"t": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    day = pre.inverse_transform(pre.transform(data), seed=0)["t"]["day"]
    assert day.notna().all() and day.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert day.between(str(min(days)), str(max(days))).all() and day.nunique() > 100


def test_handles_whose_numbers_repeat_across_names_keep_their_two_digits():
    """Handles `@ana_92` (a name and two digits, the numbers shared between names): their prefixes
    `@`, name, `_` were joined on NUL, which pandas hashes only up to, so every handle had the one
    prefix `@`, its 86 numbers in 10..99 filled that prefix's room and were read as a counter, and 95 %
    of a social network's generated handles counted on past 99 (`@gus_146`)."""
    rng = np.random.default_rng(0)
    names = ["ana", "ben", "carla", "dev", "eli", "fatima", "gus", "hana", "ivan", "jo", "kai", "lena"]
    handles = pd.Series([f"@{n}_{k}" for n, k in zip(rng.choice(names, 600), rng.integers(10, 100, 600), strict=True)])
    handles = handles.drop_duplicates().iloc[:300]
    out = new_identifiers(300, identifier_format(handles, 5), "handle", np.random.default_rng(1))
    assert out.is_unique
    assert out.str.fullmatch(r"@[a-z]+_\d{2}").all(), out[~out.str.fullmatch(r"@[a-z]+_\d{2}")].head(3).tolist()


def students(n: int = 200, seed: int = 0) -> RelationalData:
    """student (an e-mail first.last@uni.edu of 24 first and 22 last names, unique): 200 of 528 name pairs."""
    rng = np.random.default_rng(seed)
    first = "anna ben carla david emma felix grace hugo ines jack kate liam maya noah olga paul rosa sam tara".split()
    first += "victor wendy yusuf zoe omar".split()
    last = "smith jones garcia miller davis lopez wilson clark lewis young hall allen king wright scott green".split()
    last += "baker adams nelson hill ramirez campbell".split()
    pairs = rng.permutation([f"{a}.{b}@uni.edu" for a in first for b in last])[:n]
    frame = pd.DataFrame({"student_id": np.arange(1, n + 1), "email": pairs, "year": rng.integers(2018, 2024, n)})
    schema = Schema(student=Table(student_id=PrimaryKey(), email=Identifier(), year=Integer()))
    return RelationalData({"student": frame}, schema)


def test_fresh_codes_are_never_a_real_persons_and_the_fit_keeps_none_in_clear():
    data = students()
    real = set(data["student"]["email"])
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    fmt = pre.stats["identifiers"]["student"]["email"]
    assert not any(code in str(pre.stats) for code in real)  # hashes only
    for seed in range(3):
        out = new_identifiers(200, fmt, "email", np.random.default_rng(seed))
        assert out.str.fullmatch(r"[a-z]+\.[a-z]+@uni\.edu").all() and out.is_unique
        assert not out.isin(real).any()  # drawn piece by piece, a third of them were real students'
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    assert not synth["student"]["email"].isin(real).any()


def test_a_format_with_no_code_left_that_is_none_of_the_datas_writes_numbered_ones_and_warns(caplog):
    codes = pd.Series([a + b for a in "ABQX" for b in "ABQX"] * 2)  # every code of the format is a real one
    fmt = {**identifier_format(codes, min_count=2), **known_codes(codes)}
    with caplog.at_level(logging.WARNING):
        out = new_identifiers(20, fmt, "seat", np.random.default_rng(0))
    assert out.str.fullmatch(r"seat_\d+").all() and not out.isin(set(codes)).any()
    assert any("none of the data's" in r.getMessage() for r in caplog.records)


def test_uuids_keep_no_hashes_and_a_counter_past_the_real_range_is_left_as_drawn():
    assert known_codes(pd.Series([str(uuid.UUID(int=i)) for i in range(1, 50)])) == {}
    codes = pd.Series([f"INV-{i:06d}" for i in range(1, 301)])
    fmt = identifier_format(codes, min_count=5)
    plain = new_identifiers(50, fmt, "invoice", np.random.default_rng(0))
    checked = new_identifiers(50, {**fmt, **known_codes(codes)}, "invoice", np.random.default_rng(0))
    assert checked.tolist() == plain.tolist() and plain.str[4:].astype(int).min() > 300


TRACKING = {"UPS": r"1Z[0-9A-Z]{16}", "DHL": r"\d{10}", "DPAG": r"[A-Z]{2}\d{9}DE"}


def parcels(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Shipments with their carrier and its tracking number: UPS's `1Z` and 16 capitals and digits
    mixed at random, DHL's 10 digits, Deutsche Post's 2 capitals, 9 digits and `DE`."""
    rng = np.random.default_rng(seed)
    carriers = rng.choice(list(TRACKING), n, p=[0.4, 0.35, 0.25])
    alnum = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")

    def number(carrier: str) -> str:
        if carrier == "UPS":
            return "1Z" + "".join(rng.choice(alnum, 16))
        if carrier == "DHL":
            return "".join(rng.choice(list("0123456789"), 10))
        return "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), 2)) + str(rng.integers(10**8, 10**9)) + "DE"

    return pd.DataFrame({"id": range(1, n + 1), "carrier": carriers, "tracking": [number(c) for c in carriers]})


def test_codes_of_capitals_and_digits_mixed_at_random_are_identifiers_in_their_format():
    """Parcel tracking numbers: UPS's `1Z` + 16 capitals and digits mixed at random, each its own
    plain shape, so the column (40 % of them UPS's) was read as free text, generated as missing
    without a text model. Such a run is read as one class of capitals and digits (`ALNUM`, a place
    every code holds alike kept: `1Z`), the column an identifier whose UPS codes are drawn so."""
    frame = parcels()
    shapes, _ = code_shapes(frame["tracking"], 5)
    assert set(shapes) == {"1Z" + ALNUM * 16, "9" * 10, "AA" + "9" * 9 + "AA"}
    schema = Schema.infer({"shipment": frame}, primary_keys={"shipment": "id"})
    assert schema.tables["shipment"].columns["tracking"].kind is Column.IDENTIFIER
    data = RelationalData({"shipment": frame}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert pre.stats["identifiers"]["shipment"]["tracking"]["by"] == "carrier"
    synth = pre.inverse_transform(pre.transform(data), seed=0)["shipment"]
    fits = [bool(re.fullmatch(TRACKING[c], v)) for c, v in zip(synth["carrier"], synth["tracking"], strict=True)]
    assert all(fits) and synth["tracking"].is_unique and not synth["tracking"].isin(set(frame["tracking"])).any()
    assert (synth["carrier"] == "UPS").sum() > 50


def test_codes_whose_plain_shapes_are_shared_are_read_plainly():
    codes = pd.Series([f"AB{i:04d}" for i in range(100)] + [f"{i:03d}XY" for i in range(100)] + ["Q1W2E3"])
    shapes, _ = code_shapes(codes, 5)
    assert ALNUM not in "".join(shapes)  # the one rare mixed code alone is no shape of its own

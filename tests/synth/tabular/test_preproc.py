"""TabularPreproc: the database -> tokens -> database round trip, rare values, options, save/load."""

from __future__ import annotations

import json
import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from shop_data import RARE_SEGMENTS
from tabular_checks import slot_of

from relsynth.relational import (
    Boolean,
    Categorical,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import DpBudget, NumericPreproc, TabularModel, TabularPreproc
from relsynth.synth.tabular import _decode
from relsynth.synth.tabular._tables import pk_format


def test_rare_categories_become_null_only_through_rare(shop, shop_preproc):
    pre = shop_preproc
    j, slot = slot_of(pre, "customer", "segment")
    assert not set(RARE_SEGMENTS) & set(slot.preproc.categories)
    assert 1 in slot.preproc.forbidden  # the model may never emit <rare>
    seg = shop["customer"]["segment"]
    local = pre.encode_columns("customer", shop["customer"])[:, j] - slot.offset
    rare = seg.isin(RARE_SEGMENTS).to_numpy()
    assert (local[rare] == 1).all() and (local[~rare] != 1).all()
    back = pre.inverse_transform(pre.transform(shop))["customer"]["segment"]  # roots keep their order
    assert back.isna().tolist() == (seg.isna() | seg.isin(RARE_SEGMENTS)).tolist()
    assert back[seg.notna() & ~seg.isin(RARE_SEGMENTS)].tolist() == seg[seg.notna() & ~seg.isin(RARE_SEGMENTS)].tolist()
    every = slot.preproc.decode(np.arange(slot.preproc.n_tokens), np.random.default_rng(0))
    assert not every.isin(RARE_SEGMENTS).any()


def test_unseen_category_warns_and_becomes_rare(shop, shop_preproc):
    tables = {t: shop[t].copy() for t in shop.schema.tables}
    tables["customer"].loc[0, "segment"] = "gold"
    data = RelationalData(tables, shop.schema)
    with pytest.warns(UserWarning, match=r"customer\.segment.*unseen.*gold"):
        enc = shop_preproc.transform(data)
    j, slot = slot_of(shop_preproc, "customer", "segment")
    assert enc.tokens[enc.offsets[0] + j] == slot.offset + 1


def test_seen_values_do_not_warn(shop, shop_preproc):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shop_preproc.transform(shop)


@pytest.mark.filterwarnings("ignore:orphans dropped")  # the empty roots take their trees with them
def test_an_empty_child_table_stays_empty_and_an_empty_root_is_a_clear_error(shop, tiny_size, caplog):
    tables = {t: shop[t] for t in shop.schema.tables}
    tables["note"] = shop["note"].iloc[:0]
    data = RelationalData(tables, shop.schema)
    with caplog.at_level(logging.WARNING):
        pre = TabularPreproc.from_schema(shop.schema).fit(data)
    assert "table 'note' is empty: it stays empty" in caplog.text
    out = TabularModel.build(pre, size=tiny_size).generate(20, seed=0)
    assert len(out["note"]) == 0 and list(out["note"].columns) == list(shop["note"].columns)
    assert len(out["order"]) > 0  # the rest of the tree is generated
    roots = {t: (shop[t].iloc[:0] if shop.schema.parent(t) is None else shop[t]) for t in shop.schema.tables}
    with pytest.raises(ValueError, match=r"root table\(s\) \['customer', 'supplier'\] are empty"):
        TabularPreproc.from_schema(shop.schema).fit(RelationalData(roots, shop.schema, orphans="drop"))


def test_an_empty_child_table_under_dp_is_a_clear_error_not_rows_of_columns_never_seen(shop):
    """Under DP a child's counts are drawn over the public 0..max_children: an empty table's rows were
    generated (a random database's three empty levels under 5 roots: minutes of rows nobody had, while
    the fit said the table "stays empty"). Refused, as an empty root is, with the way out."""
    tables = {t: shop[t] for t in shop.schema.tables}
    tables["note"] = shop["note"].iloc[:0]
    data = RelationalData(tables, shop.schema)
    with pytest.raises(ValueError, match=r"\['note'\] are empty: under DP.*leave them out"):
        TabularPreproc.from_schema(shop.schema).fit(data, dp=DpBudget(3.0, 1e-5, preproc_share=0.1))


@pytest.mark.filterwarnings("ignore:orphans dropped")  # the empty root takes its tree with it
def test_an_empty_root_beside_others_stays_empty(shop, tiny_size, caplog):
    """A legacy database's unused archive table, a root of its own: fit refused the whole database
    ("root table 'archive' is empty: there is no entity to learn from"). It stays empty, as an
    empty child does; under DP, where its share of the entities would be noisy, it is refused with
    the way out."""
    tables = {t: shop[t] for t in shop.schema.tables}
    tables["supplier"] = shop["supplier"].iloc[:0]
    data = RelationalData(tables, shop.schema, orphans="drop")
    with caplog.at_level(logging.WARNING):
        pre = TabularPreproc.from_schema(shop.schema).fit(data)
    assert "table 'supplier' is empty: it stays empty" in caplog.text
    out = TabularModel.build(pre, size=tiny_size).generate(20, seed=0)
    assert len(out["supplier"]) == len(out["shipment"]) == 0 and len(out["customer"]) == 20
    assert list(out["supplier"].columns) == list(shop["supplier"].columns)
    with pytest.raises(ValueError, match=r"\['supplier'\] are empty: under DP.*leave them out"):
        TabularPreproc.from_schema(shop.schema).fit(data, dp=DpBudget(3.0, 1e-5, preproc_share=0.1))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"preprocessors": {"customer": {"nope": None}}}, r"customer\.nope"),
        ({"preprocessors": {"store": {"city": None}}}, "'store'"),
        ({"preprocessors": {"customer": {"age": "bins"}}}, "ColumnPreproc"),
        ({"ctx_cols": ["nope"]}, r"\['nope'\].*options"),
        ({"ctx_cols": ["name"]}, r"\['name'\]"),  # a text column is not modelled
    ],
)
def test_bad_options_are_clear_errors(customers, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        TabularPreproc.from_schema(customers.schema, **kwargs)


def test_ctx_cols_need_one_root(shop):
    with pytest.raises(ValueError, match="one root"):
        TabularPreproc.from_schema(shop.schema, ctx_cols=["segment"])


def test_preprocessors_override_and_ignore(shop):
    pre = TabularPreproc.from_schema(
        shop.schema, preprocessors={"customer": {"score": None, "age": NumericPreproc(n_bins=3, kind="integer")}}
    ).fit(shop)
    assert "score" not in pre.layouts["customer"].fields
    _, slot = slot_of(pre, "customer", "age")
    assert slot.preproc.n_tokens <= 1 + 3
    back = pre.inverse_transform(pre.transform(shop))
    assert back["customer"]["score"].isna().all()


def test_save_load_gives_identical_transform_without_rare_values(tmp_path, shop, shop_preproc):
    shop_preproc.save(tmp_path)
    text = (tmp_path / "preproc.json").read_text()
    for value in RARE_SEGMENTS:
        assert value not in text
    loaded = TabularPreproc.load(tmp_path)
    assert loaded.fingerprint() == shop_preproc.fingerprint()
    a, b = shop_preproc.transform(shop), loaded.transform(shop)
    for name in ("tokens", "slots", "offsets", "row_start", "row_table", "row_parent"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    x, y = shop_preproc.inverse_transform(a, seed=3), loaded.inverse_transform(b, seed=3)
    for t in shop.schema.tables:
        pd.testing.assert_frame_equal(x[t], y[t])


def test_saved_chinook_preproc_holds_no_rare_category(tmp_path, chinook, chinook_preproc):
    chinook_preproc.save(tmp_path)
    text = (tmp_path / "preproc.json").read_text()
    counts = chinook["track"]["composer"].value_counts()
    rare = counts.index[counts < chinook_preproc.min_count]
    assert len(rare) > 100
    leaked = [v for v in rare if json.dumps(v) in text]
    assert not leaked, leaked[:5]


def test_load_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="preproc.json"):
        TabularPreproc.load(tmp_path)


def test_select_ctx(customers):
    pre = TabularPreproc.from_schema(customers.schema, ctx_cols=["vip", "segment"]).fit(customers)
    assert pre.modelled_columns("customer")[:2] == ["vip", "segment"]
    ctx = pre.select_ctx(customers, [3, 0])
    assert list(ctx.columns) == ["vip", "segment"]
    expected = customers["customer"][["vip", "segment"]].iloc[[3, 0]].reset_index(drop=True)
    pd.testing.assert_frame_equal(ctx, expected)
    assert len(pre.select_ctx(customers)) == len(customers["customer"])


def test_select_ctx_without_ctx_cols_is_an_error(shop, shop_preproc):
    with pytest.raises(ValueError, match="ctx_cols"):
        shop_preproc.select_ctx(shop)


def test_transform_before_fit_and_other_schema_are_errors(shop, customers, shop_preproc):
    with pytest.raises(RuntimeError, match="not fitted"):
        TabularPreproc.from_schema(shop.schema).transform(shop)
    with pytest.raises(ValueError, match="schema differs"):
        shop_preproc.transform(customers)


def test_fit_stats_match_the_encoding(shop, shop_preproc):
    enc = shop_preproc.transform(shop)
    assert shop_preproc.stats["max_entity_len"] == int(np.diff(enc.offsets).max())
    shares = shop_preproc.stats["root_shares"]
    assert shares == pytest.approx({"customer": 40 / 52, "supplier": 12 / 52})


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["INV0001", "INV0002", "INV0150"], {"type": "pattern", "prefix": "INV", "width": 4}),  # zero-padded
        (["u-0", "u-7", "u-49"], {"type": "pattern", "prefix": "u-", "width": 1}),  # not padded: as they come
        (["A001", "A999", "A1000"], {"type": "pattern", "prefix": "A", "width": 3}),  # padded, then past the pad
        (
            ["NCT95041446", "NCT43896025", "NCT37905875", "NCT36479338", "NCT30663767"],  # every number 8 digits
            {"type": "pattern", "prefix": "NCT", "width": 8},
        ),
        (["K10", "K27", "K35"], {"type": "pattern", "prefix": "K", "width": 1}),  # too few keys to tell a fixed width
    ],
)
def test_string_keys_are_regenerated_padded_as_the_source_pads_them(keys, expected):
    assert pk_format(pd.Series(keys, dtype="string")) == expected


def test_fixed_width_string_keys_are_regenerated_at_their_width():
    """Trial ids NCT + 8 digits (none starting with 0) came back as NCT1, NCT2, ...: a key a registry
    lookup or a format check refuses. Every generated key now has the source's 8 digits."""
    keys = pd.Series([f"NCT{n}" for n in np.random.default_rng(0).integers(10**7, 10**8, 12)], dtype="string")
    generated = _decode._new_keys(30, pk_format(keys), np.random.default_rng(0))
    assert generated.str.fullmatch(r"NCT\d{8}").all() and generated.is_unique


def test_hash_keys_are_regenerated_as_fresh_hashes_of_their_length_and_case():
    rng = np.random.default_rng(0)
    hashes = [rng.bytes(16).hex() for _ in range(60)]  # md5-like: letters and digits change places
    customer = pd.DataFrame({"customer_id": hashes[:20], "age": rng.integers(20, 70, 20)})
    order = pd.DataFrame({"order_id": hashes[20:], "customer_id": np.repeat(hashes[:20], 2)})
    order["total"] = rng.integers(1, 100, 40)
    schema = Schema(
        customer=Table(customer_id=PrimaryKey(), age=Integer()),
        order=Table(order_id=PrimaryKey(), customer_id=ForeignKey(parent="customer"), total=Integer()),
    )
    data = RelationalData({"customer": customer, "order": order}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    for table, key in (("customer", "customer_id"), ("order", "order_id")):
        keys = synth[table][key]
        assert keys.str.fullmatch("[0-9a-f]{32}").all() and keys.is_unique  # not id_1, id_2...
        assert not keys.isin(hashes).any()  # fresh
    assert synth["order"]["customer_id"].isin(synth["customer"]["customer_id"]).all()
    assert pk_format(pd.Series(["3F9A", "0B1C", "A1B2"], dtype="string"))["alphabet"] == "0123456789ABCDEF"


def test_letter_keys_of_several_lengths_are_regenerated_as_letters_of_those_lengths():
    """Stock tickers (3 to 5 capitals) came back as id_1, id_2, ...: no ticker a user or a format
    check accepts. Each generated key is now capitals, at the source's lengths, in their shares."""
    rng = np.random.default_rng(0)
    letters = list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    tickers = list(dict.fromkeys("".join(rng.choice(letters, k)) for k in rng.choice([3, 4, 4, 5], 80)))[:60]
    ticker = pd.DataFrame({"ticker": tickers, "beta": rng.normal(1, 0.3, 60).round(2)})
    price = pd.DataFrame({"ticker": np.repeat(tickers, 3), "close": rng.lognormal(3, 1, 180).round(2)})
    schema = Schema(
        ticker=Table(ticker=PrimaryKey(), beta=Numeric()),
        price=Table(ticker=ForeignKey(parent="ticker"), close=Numeric()),
    )
    data = RelationalData({"ticker": ticker, "price": price}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    keys = synth["ticker"]["ticker"]
    assert keys.str.fullmatch("[A-Z]{3,5}").all() and keys.is_unique
    assert keys.str.len().value_counts(normalize=True).get(4, 0) > 0.3  # half the source's are 4 letters
    assert synth["price"]["ticker"].isin(keys).all()
    assert pk_format(pd.Series(["ab", "abc", "x9"], dtype="string"))["type"] == "pattern"  # a digit: no word


def test_whole_dates_from_a_csv_decode_as_dates_and_are_written_back_unchanged(tmp_path):
    from relsynth.relational import Datetime, PrimaryKey, Schema, Table

    rng = np.random.default_rng(0)
    day = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, 200), "D")
    (tmp_path / "src").mkdir()
    pd.DataFrame({"id": np.arange(200), "day": day}).to_csv(tmp_path / "src" / "t.csv", index=False)  # 2015-03-04
    schema = Schema(t=Table(id=PrimaryKey(), day=Datetime()))
    data = RelationalData.from_dir(tmp_path / "src", schema=schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    assert (synth["t"]["day"] == synth["t"]["day"].dt.normalize()).all()  # no random times of day
    synth.to_dir(tmp_path / "out")
    back = RelationalData.from_dir(tmp_path / "out")["t"]["day"]
    assert back.tolist() == synth["t"]["day"].tolist()  # the written database is the generated one


def test_repr_names_the_tables_the_context_and_whether_it_is_fitted(shop, customers):
    assert (
        repr(TabularPreproc.from_schema(shop.schema)) == f"TabularPreproc(tables={list(shop.schema.tables)}, unfitted)"
    )
    pre = TabularPreproc.from_schema(customers.schema, ctx_cols=["segment"]).fit(customers)
    assert (
        repr(pre)
        == f"TabularPreproc(tables={list(customers.schema.tables)}, ctx_cols=['segment'], vocab={pre.vocab_size})"
    )


def test_lookup_keys_too_rare_for_a_category_come_back_as_the_lookups_other_keys(tmp_path):
    """60 suppliers over 25 nations (a lookup), 2 or 3 each, NOT NULL: no key reached min_count, so every
    generated supplier's nation was null and `to_sql` refused the column (TPC-H at a small scale). A
    lookup key's <rare> is now one of the lookup's keys no category is (public, as the lookup is), drawn
    evenly, and the model is saved with them."""
    import sqlite3

    import torch

    source = tmp_path / "db.sqlite"
    with sqlite3.connect(source) as con:
        con.executescript(
            "CREATE TABLE nation (n_id INTEGER PRIMARY KEY, n_name TEXT NOT NULL);"
            "CREATE TABLE supplier (s_id INTEGER PRIMARY KEY,"
            " s_nation INTEGER NOT NULL REFERENCES nation(n_id), s_bal REAL NOT NULL);"
        )
        con.executemany("INSERT INTO nation VALUES (?, ?)", [(i, f"N{i}") for i in range(25)])
        con.executemany("INSERT INTO supplier VALUES (?, ?, ?)", [(i, i % 25, i / 7) for i in range(60)])
    data = RelationalData.from_sql(f"sqlite:///{source}", lookups=["nation"])
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    synth = TabularModel.build(pre, size="small").generate(40, seed=0)
    nations = synth["supplier"]["s_nation"]
    assert nations.notna().all() and nations.isin(range(25)).all() and nations.nunique() > 5
    synth.to_sql(f"sqlite:///{tmp_path / 'out.sqlite'}")  # refused before: 40 nulls in a NOT NULL column
    pre.save(tmp_path / "pre")
    loaded = TabularPreproc.load(tmp_path / "pre")
    assert (
        slot_of(loaded, "supplier", "s_nation")[1].preproc.rare_keys
        == slot_of(pre, "supplier", "s_nation")[1].preproc.rare_keys
    )
    assert len(slot_of(pre, "supplier", "s_nation")[1].preproc.rare_keys) == 25


def test_a_lookup_key_with_a_few_frequent_keys_still_comes_back_as_its_other_keys():
    """220 stock lines over 79 products (a lookup), 4 of them in 5 lines or more: <rare> was forbidden
    where any key was a category, so every generated line stocked one of the 4 (and the
    (warehouse, product) pairs repeated: 190 of 214). It is now one of the lookup's other keys."""

    products = pd.DataFrame({"id": range(1, 81), "sku": [f"SKU-{i:05d}" for i in range(1, 81)]})
    ids = np.r_[np.repeat([1, 2, 3, 4], 6), np.repeat(np.arange(5, 80), 2), 80]
    lines = pd.DataFrame({"id": range(1, len(ids) + 1), "product": ids, "qty": np.arange(len(ids)) % 7})
    schema = Schema(
        product=Table(id=PrimaryKey(), sku=Categorical()),
        line=Table(id=PrimaryKey(), product=ForeignKey("product"), qty=Integer()),
        lookups=["product"],
    )
    data = RelationalData({"product": products, "line": lines}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    preproc = slot_of(pre, "line", "product")[1].preproc
    assert preproc.categories == [1, 2, 3, 4] and preproc.rare_keys == list(range(5, 81)) and 1 not in preproc.forbidden
    synth = pre.inverse_transform(pre.transform(data), seed=0)["line"]["product"]
    assert synth.notna().all() and synth.nunique() > 40 and synth.isin(range(5, 81)).mean() > 0.8


def test_a_boolean_never_null_with_no_frequent_value_is_generated_as_a_boolean():
    """A staff table's `active` (NOT NULL), true in its 2 rows: fewer rows than `min_count`, so its
    value was protected as `<rare>` and generated as missing, and `to_sql` refused the database.
    A boolean's two values are public as its type is: `<rare>` is one of them, drawn evenly (no
    row's value is learnt from fewer than `min_count` rows), and a column with nulls keeps them."""
    staff = pd.DataFrame({"id": [1, 2], "active": [True, True], "on_leave": pd.array([True, None], "boolean")})
    schema = Schema(staff=Table(id=PrimaryKey(), active=Boolean(), on_leave=Boolean()))
    data = RelationalData({"staff": staff}, schema)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nor a warning that it will be generated as missing
        pre = TabularPreproc.from_schema(schema).fit(data)
    active = slot_of(pre, "staff", "active")[1].preproc
    assert active.categories == [] and 0 in active.forbidden and 1 not in active.forbidden
    synth = pd.concat([pre.inverse_transform(pre.transform(data), seed=s)["staff"] for s in range(20)])
    assert synth["active"].notna().all() and set(synth["active"]) == {False, True}
    assert synth["on_leave"].isna().any() and synth["on_leave"].notna().any()


def test_integers_past_2_53_are_left_out_of_the_rules_that_read_numbers_as_floats():
    # v = 9007199254740993 + g (g = 1, 2, 3 of each account's events) was read as a running sum
    # starting at the float 9007199254740992.0: generated v came back ...992, ...994, ...996, never the
    # source's ...994, ...995, ...996; amounts near 2**60 within a region's float range were multiples of 256
    from relsynth.relational import ForeignKey, Integer, PrimaryKey, Schema, Table

    big, n = 9007199254740993, 120
    acct = pd.DataFrame(
        {
            "id": pd.array(range(1, n + 1), dtype="Int64"),
            "region": pd.array([f"r{i % 4}" for i in range(n)]),
            "amt": pd.array([2**60 + (i % 4) * 10**9 + i * 7919 for i in range(n)], dtype="Int64"),
        }
    )
    g = np.tile([1, 2, 3], n)
    ev = pd.DataFrame(
        {
            "id": pd.array(range(1, 3 * n + 1), dtype="Int64"),
            "acct": pd.array(np.repeat(np.arange(1, n + 1), 3), dtype="Int64"),
            "n": pd.array(g, dtype="Int64"),
            "v": pd.array([big + int(x) for x in g], dtype="Int64"),
        }
    )
    schema = Schema(
        acct=Table(id=PrimaryKey(), region=Categorical(), amt=Integer()),
        ev=Table(id=PrimaryKey(), acct=ForeignKey("acct"), n=Integer(), v=Integer()),
    )
    data = RelationalData({"acct": acct, "ev": ev}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    back = pre.inverse_transform(pre.transform(data), seed=0)
    assert set(back["ev"]["v"]) <= set(ev["v"]), sorted(set(back["ev"]["v"]))
    assert back["acct"]["amt"].astype("int64").mod(256).nunique() > 10  # not float64's spacing
    assert pre.float_numbers("ev", ["n", "v"]) == ["n"]


def _labelled(distinct: bool, n: int = 300) -> RelationalData:
    """A name (text) and a code (numbers) declared categorical: each value once (`distinct`: no category,
    so the fit draws the names fresh and bins the codes), or three labels each."""
    rng = np.random.default_rng(0)
    if distinct:
        name = [f"srv-{w}{i:03d}" for w, i in zip(rng.choice(["web", "db"], n), rng.permutation(n), strict=True)]
        code = rng.permutation(np.arange(100_000, 106_000, 20))[:n]
    else:
        name, code = rng.choice(["web", "db", "app"], n), rng.choice([100_000, 100_020, 100_040], n)
    frame = pd.DataFrame({"id": range(n), "name": name, "code": code, "kind": rng.choice(["a", "b"], n)})
    schema = Schema(t=Table(id=PrimaryKey(), name=Categorical(), code=Categorical(), kind=Categorical()))
    return RelationalData({"t": frame}, schema)


def test_a_fit_is_a_function_of_its_data_not_of_an_earlier_fit(tmp_path):
    # fitted on all-distinct names and codes, then on labels: the names stayed left out (all missing) and
    # the codes binned, the first fit's choices, where a fresh fit on the labels keeps both as categories
    first, labels = _labelled(distinct=True), _labelled(distinct=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = TabularPreproc.from_schema(labels.schema, preprocessors={"t": {"kind": None}}).fit(labels)
        again = TabularPreproc.from_schema(labels.schema, preprocessors={"t": {"kind": None}}).fit(first)
        assert again.modelled_columns("t") == ["code"]  # the name drawn fresh, the code binned
        again.save(tmp_path / "first")
        loaded = TabularPreproc.load(tmp_path / "first")
        for pre in (again, loaded):
            pre.fit(labels)
            assert pre.to_dict() == fresh.to_dict()
            assert pre.inverse_transform(pre.transform(labels), seed=0)["t"]["name"].notna().all()

"""TabularPreproc: the database -> tokens -> database round trip, rare values, options, save/load."""

from __future__ import annotations

import datetime as dt
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from shop_data import RARE_SEGMENTS

from relsynth.relational import RelationalData
from relsynth.synth import CategoricalPreproc, NumericPreproc, TabularPreproc
from relsynth.synth.tabular.grammar import PLACEHOLDER


def _slot(pre: TabularPreproc, table: str, col: str):
    layout = pre.layouts[table]
    j = layout.fields.index(col)
    return j, pre.slots[layout.slots[j]]


def _expected_tokens(pre: TabularPreproc, table: str, tokens: np.ndarray) -> np.ndarray:
    """Tokens of the original data with <rare> replaced by <missing>: what decoding gives back."""
    out = tokens.copy()
    layout = pre.layouts[table]
    for j, slot_id in enumerate(layout.slots[: layout.n_fields]):
        slot = pre.slots[slot_id]
        if isinstance(slot.preproc, CategoricalPreproc):
            out[tokens[:, j] == slot.offset + 1, j] = slot.offset
    return out


@pytest.mark.filterwarnings("ignore:column 'track.composer'")  # tiny_database: no frequent composer
@pytest.mark.parametrize("name", ["shop", "chinook", "tiny_database"])
def test_round_trip_keeps_children_per_parent_and_values_up_to_bins(request, dfs_rows, name):
    data: RelationalData = request.getfixturevalue(name)
    schema = data.schema
    pre = TabularPreproc.from_schema(schema).fit(data)
    back = pre.inverse_transform(pre.transform(data))
    rows, parents = dfs_rows(data)
    for t in schema.synth_tables:
        out = back[t]
        assert len(out) == len(data[t]), t
        edge = schema.parent(t)
        if edge is not None:  # the same parent for every row, children in the same order
            parent_keys = back[edge.parent][schema.tables[edge.parent].primary_key]
            assert pd.Index(parent_keys).get_indexer(out[edge.fk]).tolist() == parents[t], t
        original = data[t].iloc[rows[t]].reset_index(drop=True)
        expected = _expected_tokens(pre, t, pre.encode_columns(t, original))
        np.testing.assert_array_equal(pre.encode_columns(t, out), expected, err_msg=t)
        for col in schema.tables[t].text_columns:
            assert out[col].isna().all()
        assert out[schema.tables[t].primary_key].is_unique
    for lookup in schema.lookups:
        pd.testing.assert_frame_equal(back[lookup].reset_index(drop=True), data[lookup], check_dtype=False)


def test_round_trip_numbers_within_their_bin_and_dtypes_kept(shop, shop_preproc, dfs_rows):
    pre = shop_preproc
    back = pre.inverse_transform(pre.transform(shop))
    rows, _ = dfs_rows(shop)
    for t, cols in {"customer": ["age", "score"], "order": ["total"], "item": ["qty", "price"]}.items():
        original = shop[t].iloc[rows[t]].reset_index(drop=True)
        for col in cols:
            _, slot = _slot(pre, t, col)
            x, y = original[col].astype("float64"), back[t][col].astype("float64")
            assert (x.isna() == y.isna()).all(), f"{t}.{col}: nulls moved"
            width = np.diff(slot.preproc.edges).max() if slot.preproc.edges else 0.0
            assert (abs(x - y)[x.notna()] <= width + 1e-9).all(), f"{t}.{col}"
            exact = x.isin(slot.preproc.points)
            assert (x[exact] == y[exact]).all(), f"{t}.{col}: a value with its own token changed"
    assert back["customer"]["age"].dtype == "Int64"
    assert back["item"]["qty"].dtype == "Int64"
    assert back["supplier"]["rating"].dtype == "Int64"
    assert back["customer"]["vip"].dtype == "boolean"
    assert back["customer"]["vip"].tolist() == shop["customer"]["vip"].tolist()  # two values: exact
    assert pd.api.types.is_datetime64_any_dtype(back["customer"]["signup"])
    birth = back["customer"]["birth"].dropna()
    assert (birth == birth.dt.normalize()).all(), "a date decoded with a time of day"
    assert all(isinstance(v, dt.time) for v in back["item"]["at"].dropna())
    assert back["customer"]["signup"].isna().tolist() == shop["customer"]["signup"].isna().tolist()


def test_chinook_integers_stay_integers(chinook, chinook_preproc):
    back = chinook_preproc.inverse_transform(chinook_preproc.transform(chinook))
    for col in ("bytes", "milliseconds"):
        assert back["track"][col].dtype == "Int64"
        assert back["track"][col].notna().all()


def test_leaf_with_only_keys_gets_a_placeholder_token(shop, shop_preproc):
    layout = shop_preproc.layouts["note"]
    assert layout.fields == [PLACEHOLDER] and layout.children == []
    notes = shop_preproc.inverse_transform(shop_preproc.transform(shop))["note"]
    assert list(notes.columns) == ["id", "item"] and len(notes) == len(shop["note"])


def test_rare_categories_become_null_only_through_rare(shop, shop_preproc):
    pre = shop_preproc
    j, slot = _slot(pre, "customer", "segment")
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
    j, slot = _slot(shop_preproc, "customer", "segment")
    assert enc.tokens[enc.offsets[0] + j] == slot.offset + 1


def test_seen_values_do_not_warn(shop, shop_preproc):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shop_preproc.transform(shop)


def test_empty_table_is_a_clear_error(shop):
    tables = {t: shop[t] for t in shop.schema.tables}
    tables["note"] = shop["note"].iloc[:0]
    data = RelationalData(tables, shop.schema)
    with pytest.raises(ValueError, match="'note' is empty"):
        TabularPreproc.from_schema(shop.schema).fit(data)


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
    _, slot = _slot(pre, "customer", "age")
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

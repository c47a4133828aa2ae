"""Serialisation and its inverse: database -> tokens (depth first, vectorised) -> database."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from tabular_checks import expected_tokens, slot_of

from relsynth.relational import RelationalData
from relsynth.synth import TabularPreproc
from relsynth.synth.tabular.grammar import PLACEHOLDER


@pytest.mark.filterwarnings("ignore:column 'track.composer'")  # tiny_database: no frequent composer
@pytest.mark.parametrize("name", ["shop", "chinook", "tiny_database"])
@pytest.mark.parametrize("max_exact_count", [100, 2])  # 2: most child counts are range tokens
def test_round_trip_keeps_children_per_parent_and_values_up_to_bins(request, dfs_rows, name, max_exact_count):
    data: RelationalData = request.getfixturevalue(name)
    schema = data.schema
    pre = TabularPreproc.from_schema(schema, max_exact_count=max_exact_count).fit(data)
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
        expected = expected_tokens(pre, t, pre.encode_columns(t, original))
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
            _, slot = slot_of(pre, t, col)
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

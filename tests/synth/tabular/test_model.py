"""TabularModel and generation: grammar masks, valid keys, context, re-prefixing, save/load, seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from shop_data import RARE_SEGMENTS

from relsynth.relational import RelationalData
from relsynth.synth import CategoricalPreproc, TabularModel, TabularPreproc
from relsynth.synth.tabular import _generate as generation

N = 40


def _build(pre: TabularPreproc, tiny_size, block: str = "free", **kw) -> TabularModel:
    torch.manual_seed(0)
    return TabularModel.build(pre, size=tiny_size, block=block, **kw)


def _check_valid(out: RelationalData, like: RelationalData) -> None:
    """Revalidates the tables and checks every key explicitly."""
    schema = like.schema
    assert out.schema == schema
    RelationalData({t: out[t] for t in schema.tables}, schema)  # raises on any key or dtype problem
    for t in schema.synth_tables:
        pk = schema.tables[t].primary_key
        assert out[t][pk].notna().all() and out[t][pk].is_unique, t
        edge = schema.parent(t)
        if edge is not None:
            parent_keys = out[edge.parent][schema.tables[edge.parent].primary_key]
            assert out[t][edge.fk].notna().all() and out[t][edge.fk].isin(parent_keys).all(), t
        for fk, lookup in schema.lookup_fks(t).items():
            assert out[t][fk].dropna().isin(like[lookup][schema.tables[lookup].primary_key]).all(), f"{t}.{fk}"
    for lookup in schema.lookups:
        pd.testing.assert_frame_equal(out[lookup].reset_index(drop=True), like[lookup], check_dtype=False)


def _never_null(pre: TabularPreproc, data: RelationalData) -> list[tuple[str, str]]:
    return [
        (s.table, s.column)
        for s in pre.slots
        if not s.is_count and s.column in data.schema.tables[s.table].columns and data[s.table][s.column].notna().all()
    ]


@pytest.mark.parametrize("block", ["free", "lstm"])
def test_untrained_model_generates_a_valid_deep_database(shop, shop_preproc, tiny_size, block):
    model = _build(shop_preproc, tiny_size, block)
    out = model.generate(N, seed=0)
    _check_valid(out, shop)
    assert len(out["customer"]) + len(out["supplier"]) == N
    assert len(out["customer"]) > 0 and len(out["supplier"]) > 0
    # deep trees and entities without children both occur
    assert len(out["note"]) > 0
    assert (~out["customer"]["id"].isin(out["order"]["customer"])).any()
    assert (~out["order"]["id"].isin(out["item"]["order"])).any()
    for t, col in _never_null(shop_preproc, shop):
        assert out[t][col].notna().all(), f"{t}.{col} is never null in the data but was generated null"
    assert not out["customer"]["segment"].isin(RARE_SEGMENTS).any()
    assert out["customer"]["name"].isna().all()  # text is left to the text model


def test_masks_hold_against_a_model_that_prefers_forbidden_tokens(shop, shop_preproc, tiny_size):
    """PAD, BOS, <rare> and <missing> of never-null columns get a huge logit: still never emitted."""
    pre = shop_preproc
    model = _build(pre, tiny_size)
    bad = [0, 1]
    for s in pre.slots:
        bad += [s.offset + f for f in s.preproc.forbidden]
        if isinstance(s.preproc, CategoricalPreproc):
            bad.append(s.offset + 1)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
        model.head.bias[bad] = 50.0
    out = model.generate(N, seed=1)
    _check_valid(out, shop)
    for t, col in _never_null(pre, shop):
        assert out[t][col].notna().all(), f"{t}.{col}"


@pytest.mark.parametrize("block", ["free", "lstm"])
def test_context_columns_are_forced(customers, tiny_size, block):
    pre = TabularPreproc.from_schema(customers.schema, ctx_cols=["segment", "vip"]).fit(customers)
    model = _build(pre, tiny_size, block)
    idx = [0, 1, 2, 5, 6, 7, 8, 9, 3]  # 1-3 hold rare segments
    ctx = pre.select_ctx(customers, idx)
    out = model.generate(ctx=ctx, seed=0)
    _check_valid(out, customers)
    got = out["customer"]
    assert len(got) == len(ctx)
    assert got["vip"].tolist() == ctx["vip"].tolist()
    seg = ctx["segment"].where(~ctx["segment"].isin(RARE_SEGMENTS))  # rare values are never replayed
    assert got["segment"].isna().tolist() == seg.isna().tolist()
    assert got["segment"].dropna().tolist() == seg.dropna().tolist()


def test_ctx_needs_the_preprocessors_ctx_cols(shop, customers, shop_preproc, tiny_size):
    model = _build(shop_preproc, tiny_size)
    with pytest.raises(ValueError, match="ctx_cols"):
        model.generate(ctx=pd.DataFrame({"segment": ["pro"]}))
    pre = TabularPreproc.from_schema(customers.schema, ctx_cols=["segment", "vip"]).fit(customers)
    with pytest.raises(ValueError, match=r"missing \['vip'\]"):
        _build(pre, tiny_size).generate(ctx=pd.DataFrame({"segment": ["pro"]}))


def test_small_max_block_size_reprefixes_and_stays_valid(monkeypatch, shop, shop_preproc, tiny_size):
    calls = []
    original = generation._reprefix

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(generation, "_reprefix", counting)
    model = _build(shop_preproc, tiny_size)
    out = model.generate(N, seed=2, max_block_size=18)
    assert calls, "max_block_size=18 never forced a re-prefix"
    _check_valid(out, shop)
    assert len(out["note"]) > 0
    with pytest.raises(ValueError, match="max_block_size=8 is too small"):
        model.generate(N, seed=2, max_block_size=8)


def test_n_samples_and_ctx_both_or_neither_are_errors(shop, shop_preproc, tiny_size):
    model = _build(shop_preproc, tiny_size)
    with pytest.raises(ValueError, match="exactly one of n_samples and ctx"):
        model.generate()
    with pytest.raises(ValueError, match="exactly one of n_samples and ctx"):
        model.generate(3, ctx=pd.DataFrame({"segment": ["pro"]}))
    with pytest.raises(ValueError, match="n_samples"):
        model.generate(0)


def test_unknown_size_and_block_list_the_options(shop_preproc):
    with pytest.raises(ValueError, match=r"unknown tabular model size 'huge'.*small.*medium.*large"):
        TabularModel.build(shop_preproc, size="huge")
    with pytest.raises(ValueError, match=r"unknown block 'gru'.*free.*lstm"):
        TabularModel.build(shop_preproc, block="gru")


@pytest.mark.parametrize("block", ["free", "lstm"])
def test_save_load_generates_the_same_with_the_same_seed(tmp_path, shop, shop_preproc, tiny_size, block):
    model = _build(shop_preproc, tiny_size, block)
    with torch.no_grad():
        model.count_bias[shop_preproc.slots[shop_preproc.layouts["order"].slots[-1]].offset] = 1.0
    model.save(tmp_path / "m")
    loaded = TabularModel.load(tmp_path / "m")
    assert loaded.config == model.config
    a, b = model.generate(20, seed=5), loaded.generate(20, seed=5)
    for t in shop.schema.tables:
        pd.testing.assert_frame_equal(a[t], b[t])


def test_load_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no TabularModel at .*model.json is missing"):
        TabularModel.load(tmp_path)


def test_generation_is_deterministic_with_a_seed(shop, shop_preproc, tiny_size):
    model = _build(shop_preproc, tiny_size)
    a, b, c = model.generate(20, seed=7), model.generate(20, seed=7), model.generate(20, seed=8)
    for t in shop.schema.tables:
        pd.testing.assert_frame_equal(a[t], b[t])
    assert any(not a[t].equals(c[t]) for t in shop.schema.synth_tables)


def test_batch_size_does_not_change_validity(shop, shop_preproc, tiny_size):
    model = _build(shop_preproc, tiny_size)
    out = model.generate(N, seed=3, batch_size=7)
    _check_valid(out, shop)
    assert len(out["customer"]) + len(out["supplier"]) == N


def test_forward_loss_ignores_padding_and_prefix(shop, shop_preproc, tiny_size):
    from relsynth.synth import TabularDataset

    model = _build(shop_preproc, tiny_size)
    ds = TabularDataset.from_data(shop, shop_preproc, block_size=18)
    batch = ds.collate(np.arange(8))
    logits, loss = model(batch)
    assert logits.shape[:2] == batch["inputs"].shape and torch.isfinite(loss)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


@pytest.mark.parametrize("block", ["free", "lstm"])
def test_a_pool_smaller_than_the_request_refills_rows_with_new_entities(shop, shop_preproc, tiny_size, block):
    """Continuous batching: a finished row takes the next entity; every entity is generated once,
    and the result does not depend on which rows ran beside it (masks hide the old keys)."""
    model = _build(shop_preproc, tiny_size, block)
    out = model.generate(n_samples=N, batch_size=3, seed=5)
    _check_valid(out, shop)
    assert sum(len(out[r]) for r in shop.schema.roots) == N
    # greedy-like low temperature makes each entity a function of its own tokens only
    cold_pool = model.generate(n_samples=6, batch_size=2, temp=1e-4, seed=0)
    cold_all = model.generate(n_samples=6, batch_size=6, temp=1e-4, seed=0)
    for t in shop.schema.synth_tables:
        assert len(cold_pool[t]) == len(cold_all[t]), t


def test_save_is_atomic_and_never_deletes_a_folder_of_other_files(tmp_path, monkeypatch, shop_preproc, tiny_size):
    model = _build(shop_preproc, tiny_size)
    model.save(tmp_path / "m")
    model.save(tmp_path / "m")  # a second save replaces the first
    before = sorted(p.name for p in (tmp_path / "m").iterdir())

    from relsynth.synth.tabular import model as model_module

    def broken_save_file(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(model_module, "save_file", broken_save_file)
    with pytest.raises(OSError, match="disk full"):
        model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == before  # the previous model is intact
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temporary directory left behind
    TabularModel.load(tmp_path / "m")

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="holds no model.json"):
        model.save(tmp_path / "notes")
    assert (tmp_path / "notes" / "todo.txt").read_text() == "mine"

"""TabularDataset: in RAM and on disk agree, atomic writes, ancestor-prefixed windows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularDataset, TabularPreproc
from relsynth.synth.core.arrays import FileArray
from relsynth.synth.tabular.dataset import IGNORE

ARRAYS = ("tokens", "slots", "offsets", "row_start", "row_table", "row_parent")


def _assert_same(a: TabularDataset, b: TabularDataset) -> None:
    for name in ARRAYS:
        np.testing.assert_array_equal(np.asarray(a.arrays[name]), np.asarray(b.arrays[name]), err_msg=name)
    assert len(a) == len(b)
    for name in ("start", "end", "anchor", "sibling", "sibling_len"):
        np.testing.assert_array_equal(getattr(a.windows, name), getattr(b.windows, name), err_msg=name)
    for idx in (np.arange(len(a)), np.array([0, 3, len(a) - 1])):
        x, y = a.collate(idx), b.collate(idx)
        for key in x:
            assert torch.equal(x[key], y[key]), key


@pytest.mark.parametrize("block_size", [None, 24])
def test_in_ram_and_on_disk_give_identical_tokens_and_batches(tmp_path, shop, shop_preproc, block_size):
    ram = TabularDataset.from_data(shop, shop_preproc, block_size=block_size)
    disk = TabularDataset.from_data(
        shop, shop_preproc, on_disk=True, path=tmp_path / "ds", chunk_size=7, block_size=block_size
    )
    assert ram.path is None and disk.path == tmp_path / "ds"
    assert ram.n_entities == disk.n_entities == len(shop["customer"]) + len(shop["supplier"])
    _assert_same(ram, disk)
    # read from the file: sample tokens a slice at a time, the rows' index memory-mapped
    assert isinstance(disk.arrays["tokens"], FileArray) and isinstance(disk.arrays["offsets"], np.memmap)


def test_chunk_size_does_not_change_the_encoding(tmp_path, shop, shop_preproc):
    one = TabularDataset.from_data(shop, shop_preproc, on_disk=True, path=tmp_path / "a", chunk_size=1)
    all_ = TabularDataset.from_data(shop, shop_preproc, on_disk=True, path=tmp_path / "b")
    _assert_same(one, all_)


def test_from_disk_reopens(tmp_path, shop, shop_preproc):
    path = tmp_path / "ds"
    written = TabularDataset.from_data(shop, shop_preproc, on_disk=True, path=path, chunk_size=5, block_size=24)
    reopened = TabularDataset.from_disk(shop_preproc, path)
    assert reopened.block_size == 24
    _assert_same(written, reopened)


def test_from_disk_with_another_preproc_is_an_error(tmp_path, shop, shop_preproc):
    TabularDataset.from_data(shop, shop_preproc, on_disk=True, path=tmp_path / "ds")
    other = TabularPreproc.from_schema(shop.schema, n_bins=4).fit(shop)
    with pytest.raises(ValueError, match="another preprocessor"):
        TabularDataset.from_disk(other, tmp_path / "ds")


def test_writing_over_a_dataset_is_an_error(tmp_path, shop, shop_preproc):
    TabularDataset.from_data(shop, shop_preproc, on_disk=True, path=tmp_path / "ds")
    with pytest.raises(FileExistsError, match="already holds"):
        TabularDataset.from_data(shop, shop_preproc, on_disk=True, path=tmp_path / "ds")


def test_interrupted_write_leaves_nothing_from_disk_accepts(tmp_path, monkeypatch, shop, shop_preproc):
    calls = []
    original = TabularPreproc.transform_tables

    def failing(self, tables):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("interrupted while writing chunk 2")
        return original(self, tables)

    monkeypatch.setattr(TabularPreproc, "transform_tables", failing)
    with pytest.raises(KeyboardInterrupt):
        TabularDataset.from_data(shop, shop_preproc, on_disk=True, path=tmp_path / "ds", chunk_size=5)
    assert len(calls) == 2
    with pytest.raises(FileNotFoundError, match="no TabularDataset at .*arrays.json is missing"):
        TabularDataset.from_disk(shop_preproc, tmp_path / "ds")
    assert list(tmp_path.iterdir()) == [], "a partial or temporary directory was left behind"
    monkeypatch.setattr(TabularPreproc, "transform_tables", original)
    ds = TabularDataset.from_data(shop, shop_preproc, on_disk=True, path=tmp_path / "ds", chunk_size=5)
    assert ds.n_entities == len(shop["customer"]) + len(shop["supplier"])


def _ancestor_headers(ds: TabularDataset, row: int) -> list[int]:
    """Tokens of the headers of `row`'s ancestors, root first, read from the row index."""
    a = ds.arrays
    out, r = [], int(a["row_parent"][row])
    while r >= 0:
        start = int(a["row_start"][r])
        out = list(a["tokens"][start : start + int(ds.header_len[a["row_table"][r]])]) + out
        r = int(a["row_parent"][r])
    return out


def _sibling_headers(ds: TabularDataset, row: int, block_size: int) -> list[int]:
    """Tokens of the headers of `row`'s last previous siblings (same parent, earlier rows) that fit
    together in a quarter of the block and beside the row with its ancestors, oldest first."""
    a = ds.arrays
    parent = int(a["row_parent"][row])
    if parent < 0:
        return []
    own = ds.header_len[a["row_table"]]
    cap = min(block_size // 4, block_size - len(_ancestor_headers(ds, row)) - int(own[row]))
    out = []
    for r in reversed(np.flatnonzero(a["row_parent"][:row] == parent)):
        if len(out) + own[r] > cap:
            break
        start = int(a["row_start"][r])
        out = list(a["tokens"][start : start + int(own[r])]) + out
    return out


@pytest.mark.parametrize("block_size", [18, 24, 40])
def test_windows_fit_block_size_keep_ancestors_and_cover_every_token_once(shop, shop_preproc, block_size):
    ds = TabularDataset.from_data(shop, shop_preproc, block_size=block_size)
    whole = TabularDataset.from_data(shop, shop_preproc)
    a = ds.arrays
    assert len(ds) > whole.n_entities, "no entity was long enough to be split: the test is vacuous"
    assert ds.lengths.max() <= block_size
    covered = np.zeros(len(a["tokens"]), dtype=np.int64)
    row_starts = set(a["row_start"].tolist())
    for i in range(len(ds)):
        tokens, slots, n_prefix = ds.sample_tokens(i)
        s, e, anchor = int(ds.windows.start[i]), int(ds.windows.end[i]), int(ds.windows.anchor[i])
        assert len(tokens) <= block_size
        assert s in row_starts, "a window starts inside a row"
        expected_prefix = (
            _ancestor_headers(ds, anchor) + _sibling_headers(ds, anchor, block_size) if anchor >= 0 else []
        )
        assert tokens[:n_prefix].tolist() == expected_prefix
        np.testing.assert_array_equal(tokens[n_prefix:], a["tokens"][s:e])
        covered[s:e] += 1
    assert (covered == 1).all(), "a token is a target in no window or in several"
    batch = ds.collate(np.arange(len(ds)))
    targets = batch["targets"][batch["targets"] != IGNORE]
    assert len(targets) == len(a["tokens"])
    assert sorted(targets.tolist()) == sorted(np.asarray(a["tokens"]).tolist())


def test_window_prefixes_are_the_ancestor_tables_root_first(shop, shop_preproc):
    pre = shop_preproc
    ds = TabularDataset.from_data(shop, pre, block_size=18)
    seen = set()
    for i in np.flatnonzero(ds.windows.anchor >= 0):
        table = pre.tables[ds.arrays["row_table"][ds.windows.anchor[i]]]
        ancestors, edge = [], shop.schema.parent(table)
        while edge is not None:
            ancestors.insert(0, edge.parent)
            edge = shop.schema.parent(edge.parent)
        _, slots, n_prefix = ds.sample_tokens(int(i))
        prefix_tables = [pre.slots[s].table for s in slots[:n_prefix]]
        assert list(dict.fromkeys(prefix_tables)) == ancestors
        assert n_prefix == sum(pre.layouts[t].header_len for t in ancestors)
        seen.add(table)
    assert {"order", "item"} <= seen


def test_collate_shifts_inputs_and_masks_the_prefix(shop, shop_preproc):
    ds = TabularDataset.from_data(shop, shop_preproc, block_size=18)
    i = int(np.flatnonzero(ds.windows.anchor >= 0)[0])
    tokens, slots, n_prefix = ds.sample_tokens(i)
    b = ds.collate(np.array([i]))
    n = len(tokens)
    assert b["inputs"][0, 0] == 1 and b["inputs"][0, 1:n].tolist() == tokens[:-1].tolist()
    assert (b["targets"][0, :n_prefix] == IGNORE).all()
    assert b["targets"][0, n_prefix:n].tolist() == tokens[n_prefix:].tolist()
    assert b["slots"][0, :n].tolist() == slots.tolist()


def test_block_size_too_small_is_an_error(shop, shop_preproc):
    with pytest.raises(ValueError, match="block_size=8 must be larger than the longest row with its ancestors"):
        TabularDataset.from_data(shop, shop_preproc, block_size=8)


def test_block_size_on_one_table_is_an_error():
    schema = Schema(t=Table(id=PrimaryKey(), x=Numeric()))
    data = RelationalData({"t": pd.DataFrame({"id": range(20), "x": np.arange(20.0)})}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert len(TabularDataset.from_data(data, pre)) == 20
    with pytest.raises(ValueError, match="multi-table"):
        TabularDataset.from_data(data, pre, block_size=16)


def test_bad_arguments_are_errors(tmp_path, shop, shop_preproc):
    with pytest.raises(ValueError, match="chunk_size"):
        TabularDataset.from_data(shop, shop_preproc, on_disk=True, chunk_size=0)
    with pytest.raises(ValueError, match="on_disk=True"):
        TabularDataset.from_data(shop, shop_preproc, path=tmp_path / "ds")
    with pytest.raises(RuntimeError, match="not fitted"):
        TabularDataset.from_data(shop, TabularPreproc.from_schema(shop.schema))


def test_temporary_directory_is_removed_at_exit(tmp_path):
    """Without `path`, the files live in a temporary directory that is gone when the process ends."""
    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parents[1])!r})
from shop_data import make_shop
from relsynth.synth import TabularDataset, TabularPreproc
data = make_shop(n_customers=10, n_suppliers=3)
ds = TabularDataset.from_data(data, TabularPreproc.from_schema(data.schema).fit(data), on_disk=True, chunk_size=4)
assert ds.path is not None and (ds.path / "arrays.json").is_file()
print(ds.path)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    path = Path(out.stdout.strip().splitlines()[-1])
    assert path.name and not path.exists() and not path.parent.exists()


@pytest.mark.parametrize("block_size", [None, 24])
def test_a_packed_batch_gives_the_loss_and_gradients_of_the_padded_one(shop, shop_preproc, block_size):
    """Packing changes the layout of a batch, never what the model learns from it."""
    from relsynth.synth import ModelSize, TabularModel

    ds = TabularDataset.from_data(shop, shop_preproc, block_size=block_size)
    idx = np.arange(0, len(ds), 3)
    padded, packed = ds.collate(idx), ds.collate(idx, pack=True)
    assert packed["inputs"].shape[0] < padded["inputs"].shape[0]  # fewer rows
    assert int((packed["targets"] != IGNORE).sum()) == int((padded["targets"] != IGNORE).sum())
    torch.manual_seed(0)
    model = TabularModel.build(shop_preproc, size=ModelSize(n_layers=2, h=2, d=16), block_size=block_size)
    grads = []
    for batch in (padded, packed):
        model.zero_grad()
        _, loss = model(batch)
        loss.backward()
        grads.append((float(loss), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}))
    assert grads[0][0] == pytest.approx(grads[1][0], rel=1e-5)
    for name, g in grads[0][1].items():
        torch.testing.assert_close(g, grads[1][1][name], rtol=1e-4, atol=1e-6, msg=name)

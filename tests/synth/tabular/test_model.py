"""TabularModel and generation: grammar masks, valid keys, context, re-prefixing, save/load, seeds."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.synth import TabularDataset, TabularModel, TabularPreproc, TabularTrainer
from relsynth.synth.core.files import LoadError
from relsynth.synth.core.transformer import KVCache

N = 40


def _build(pre: TabularPreproc, tiny_size, block: str = "free", **kw) -> TabularModel:
    torch.manual_seed(0)
    return TabularModel.build(pre, size=tiny_size, block=block, **kw)


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


def test_a_prefill_of_the_last_position_alone_gives_its_numbers_and_the_whole_cache(shop_preproc, tiny_size):
    """Generation's re-prefix asks for the next token's logits alone (`last_only`): the last
    position's logits of the full pass, every position's keys and values cached as by it, so the
    decode steps after it see the same context."""
    model = _build(shop_preproc, tiny_size).eval()
    torch.manual_seed(1)
    V, S = model.config.vocab_size, model.config.n_slots
    inputs, slots = torch.randint(0, V, (3, 6)), torch.randint(0, S, (3, 6))
    valid = torch.ones(3, 6, dtype=torch.bool)
    valid[0, :2] = valid[2, :4] = False  # left padding, as the re-prefix's contexts of several lengths
    pos = (valid.cumsum(1) - 1).clamp_min(0)
    caches = [KVCache(model.body.cfg, 3, 16) for _ in range(2)]
    with torch.inference_mode():
        full = model.logits(inputs, slots, pos, caches[0], valid=valid)
        last = model.logits(inputs, slots, pos, caches[1], valid=valid, last_only=True)
        assert last.shape == (3, 1, V)
        torch.testing.assert_close(last, full[:, -1:], rtol=1e-5, atol=1e-5)
        assert caches[0].length == caches[1].length == 6
        torch.testing.assert_close(caches[1].k[:, :, :, :6], caches[0].k[:, :, :, :6])
        torch.testing.assert_close(caches[1].v[:, :, :, :6], caches[0].v[:, :, :, :6])
        new, at = torch.randint(0, V, (3,)), pos[:, -1] + 1
        after = [model.step_logits(new, slots[:, 0], at, cache) for cache in caches]
    torch.testing.assert_close(after[1], after[0], rtol=1e-5, atol=1e-5)


def test_shared_key_value_heads_save_load_and_old_saves_keep_theirs(tmp_path, shop, shop_preproc, tiny_size):
    """A model with one key/value head saves and loads it; a model.json written before the field
    existed (every head its own keys) loads as such and generates as it did."""
    import dataclasses
    import json

    shared = _build(shop_preproc, dataclasses.replace(tiny_size, kv_heads=1))
    assert shared.config.kv_heads == 1 and shared.body.blocks[0].attn.n_kv == 1
    shared.save(tmp_path / "shared")
    assert TabularModel.load(tmp_path / "shared").config.kv_heads == 1
    old = _build(shop_preproc, dataclasses.replace(tiny_size, kv_heads=None))
    old.save(tmp_path / "old")
    config_file = tmp_path / "old" / "model.json"
    saved = json.loads(config_file.read_text())
    del saved["config"]["kv_heads"]
    config_file.write_text(json.dumps(saved))
    loaded = TabularModel.load(tmp_path / "old")
    assert loaded.config.kv_heads is None and loaded.body.blocks[0].attn.n_kv == tiny_size.h
    a, b = old.generate(10, seed=3), loaded.generate(10, seed=3)
    for t in shop.schema.tables:
        pd.testing.assert_frame_equal(a[t], b[t])


def test_load_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no TabularModel at .*model.json is missing"):
        TabularModel.load(tmp_path)


def test_forward_loss_ignores_padding_and_prefix(shop, shop_preproc, tiny_size):
    from relsynth.synth import TabularDataset

    model = _build(shop_preproc, tiny_size)
    ds = TabularDataset.from_data(shop, shop_preproc, block_size=18)
    batch = ds.collate(np.arange(8))
    logits, loss = model(batch)  # the logits of the scored positions only
    assert logits.shape == (int((batch["targets"] != -100).sum()), shop_preproc.vocab_size) and torch.isfinite(loss)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_save_is_atomic_and_never_deletes_a_folder_of_other_files(tmp_path, monkeypatch, shop_preproc, tiny_size):
    model = _build(shop_preproc, tiny_size)
    model.save(tmp_path / "m")
    model.save(tmp_path / "m")  # a second save replaces the first
    before = sorted(p.name for p in (tmp_path / "m").iterdir())

    def broken_save_file(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("safetensors.torch.save_model", broken_save_file)
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


@pytest.mark.parametrize(
    ("file", "edit", "match"),
    [
        ("model.json", lambda d: {**d, "kind": "TextModel"}, "holds a 'TextModel', not a TabularModel"),
        ("model.json", lambda d: {**d, "format_version": 0}, "format_version 0"),
        ("model.json", lambda d: {**d, "config": {**d["config"], "heads": 3}}, r"unknown fields \['heads'\]"),
        ("preproc/preproc.json", lambda d: {**d, "n_bins": None, "extra": 1}, r"unknown keys \['extra'\]"),
    ],
)
def test_a_tampered_config_is_refused_naming_the_file(tmp_path, shop_preproc, tiny_size, file, edit, match):
    import json

    _build(shop_preproc, tiny_size).save(tmp_path / "m")
    path = tmp_path / "m" / file
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    with pytest.raises(LoadError, match=match) as err:
        TabularModel.load(tmp_path / "m")
    assert str(path) in str(err.value)


def test_truncated_weights_are_refused_naming_the_file(tmp_path, shop_preproc, tiny_size):
    _build(shop_preproc, tiny_size).save(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(LoadError, match="model.safetensors: unreadable weights"):
        TabularModel.load(tmp_path / "m")


def test_count_calibration_of_a_large_dataset_reads_a_random_sample_of_it(make_shop, tiny_size):
    """A large database is calibrated on `max_samples` samples drawn from all of it, not read
    whole again after training; the estimate stays that of the whole."""
    from relsynth.synth import TabularDataset

    shop = make_shop(600, 150)
    shop_preproc = TabularPreproc.from_schema(shop.schema).fit(shop)
    ds = TabularDataset.from_data(shop, shop_preproc)
    read: list[np.ndarray] = []
    collate = ds.collate
    ds.collate = lambda idx, **kw: (read.append(np.asarray(idx)), collate(idx, **kw))[1]
    whole = _build(shop_preproc, tiny_size).calibrate_counts(ds)
    assert sum(len(i) for i in read) == len(ds)
    read.clear()
    sampled = _build(shop_preproc, tiny_size).calibrate_counts(ds, max_samples=len(ds) // 2)
    seen = np.concatenate(read)
    assert len(seen) == len(ds) // 2 and len(np.unique(seen)) == len(seen)
    assert seen.max() > 0.75 * len(ds)  # drawn from the whole dataset, not its start
    assert whole.keys() == sampled.keys()
    for edge, ratio in whole.items():
        assert sampled[edge] == pytest.approx(ratio, rel=0.12)


def test_count_calibration_reads_no_more_samples_than_its_precision_needs(make_shop, tiny_size):
    """Calibration read 16,384 samples whatever the counts needed (88 s after a 5-step run): it
    now stops once every child count has `min_tokens` tokens, the samples read being a random part
    of the dataset, and the estimate stays that of the whole."""
    from relsynth.synth import TabularDataset

    shop = make_shop(600, 150)
    shop_preproc = TabularPreproc.from_schema(shop.schema).fit(shop)
    ds = TabularDataset.from_data(shop, shop_preproc)
    read: list[np.ndarray] = []
    collate = ds.collate
    ds.collate = lambda idx, **kw: (read.append(np.asarray(idx)), collate(idx, **kw))[1]
    model = _build(shop_preproc, tiny_size)
    whole = model.calibrate_counts(ds, batch_size=16)
    assert sum(len(i) for i in read) == len(ds)  # 600 entities hold fewer than 4,096 of each count
    read.clear()
    early = model.calibrate_counts(ds, batch_size=16, min_tokens=60)
    seen = np.concatenate(read)
    assert len(seen) < 0.6 * len(ds) and seen.max() > 0.75 * len(ds)
    _, real = model.count_sums(TabularDataset.from_data(shop, shop_preproc), max_samples=len(seen), seed=0)
    counts = [real[s.offset : s.offset + s.preproc.n_tokens].sum() for s in shop_preproc.slots if s.is_count]
    assert min(counts) >= 60
    for edge, ratio in whole.items():
        assert early[edge] == pytest.approx(ratio, rel=0.15)


def test_the_calibration_after_a_short_run_reads_as_many_samples_as_the_run(make_shop, tiny_size, monkeypatch):
    """A 5-step run of 16 samples was followed by a calibration over 16,384 (88 s): the trainer now
    reads as many as the run trained on, within `CALIBRATION_SAMPLES`."""
    from relsynth.synth import TabularDataset, TabularTrainer
    from relsynth.synth.tabular import trainer

    shop = make_shop(600, 150)
    shop_preproc = TabularPreproc.from_schema(shop.schema).fit(shop)
    ds = TabularDataset.from_data(shop, shop_preproc)
    monkeypatch.setattr(trainer, "CALIBRATION_SAMPLES", (100, 400))
    for steps, expected in [(3, 100), (20, 320), (40, 400)]:
        model = _build(shop_preproc, tiny_size)
        model.calibrate_counts = _counting_samples(model.calibrate_counts, read := [])
        result = TabularTrainer(model).train(ds, n_steps=steps, batch_size=16, lr=1e-3, progress=False)
        assert result.count_calibration and sum(read) == expected


def _counting_samples(calibrate, read: list[int]):
    """`calibrate` (a model's calibrate_counts) that appends to `read` the samples of each batch it reads."""

    def reading(dataset, **kw):
        collate = dataset.collate
        dataset.collate = lambda idx, **k: (read.append(len(idx)), collate(idx, **k))[1]
        try:
            return calibrate(dataset, **kw)
        finally:
            dataset.collate = collate

    return reading


def test_generating_before_training_warns_until_trained_or_loaded(tmp_path, shop, shop_preproc, tiny_size):
    # a built model's weights are random: its output looks like data but is noise, so say so
    from relsynth.synth import TabularDataset, TabularTrainer

    model = _build(shop_preproc, tiny_size)
    with pytest.warns(UserWarning, match=r"TabularModel was built but neither trained nor loaded.*TabularTrainer") as w:
        model.generate(3, seed=0)
    assert w[0].filename == __file__  # the user's line, not torch's inference_mode wrapper
    model.save(tmp_path / "m")
    loaded = TabularModel.load(tmp_path / "m")
    TabularTrainer(model, calibrate_counts=False).train(
        TabularDataset.from_data(shop, shop_preproc), n_steps=1, batch_size=4, lr=1e-3, progress=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.generate(3, seed=0)
        loaded.generate(3, seed=0)


def test_a_model_built_without_block_size_takes_its_windowed_datasets(shop, shop_preproc, tiny_size):
    """A model built without `block_size` but trained on windows generated with a cache as long as
    the longest entity (15,948 tokens for a device with 3,985 readings, 2.1 GB): it takes
    the dataset's block size, so generation restarts where training did; another one is refused."""
    ds = TabularDataset.from_data(shop, shop_preproc, block_size=18)
    model = _build(shop_preproc, tiny_size)
    TabularTrainer(model).train(ds, n_steps=1, batch_size=4, lr=1e-3, progress=False)
    assert model.config.block_size == 18
    with pytest.raises(ValueError, match="block_size=18 tokens but the model was built with block_size=32"):
        TabularTrainer(_build(shop_preproc, tiny_size, block_size=32)).train(ds, n_steps=1, batch_size=4, lr=1e-3)

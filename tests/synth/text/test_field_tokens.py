"""Field tokens: a context value that several rows hold is read as one input-only token."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import RelationalData, Schema
from relsynth.synth.core.files import LoadError
from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer


def test_a_shared_context_value_is_one_token_label_included_and_a_rare_one_is_spelt(songs: RelationalData):
    pre = TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320).fit(songs)
    plain = TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320, field_tokens=False).fit(songs)
    contexts = pre.contexts(songs)
    assert contexts == plain.contexts(songs)  # the same strings, read in fewer tokens
    ids, plain_ids = pre.encode_contexts(contexts), plain.encode_contexts(contexts)
    assert plain.n_field_values == 0 and all(i < plain.vocab_size for c in plain_ids for i in c)
    assert sum(map(len, ids)) < 0.8 * sum(map(len, plain_ids))
    fields = {tuple(fv) for fv in pre.config.field_values}
    assert ("genre", "Rock") in fields and ("band.country", "JP") in fields  # held by many rows
    genre = pre.config.field_values.index(["genre", "Rock"])
    rock = [c for c in contexts if "genre=Rock;" in c][0]
    assert pre.vocab_size + genre in pre.encode_contexts([rock])[0]
    unseen = "; ".join(f"seconds={98765}" if f.startswith("seconds=") else f for f in rock.split("; "))
    assert ("seconds", "98765") not in fields
    (encoded,) = pre.encode_contexts([unseen])  # a value no training row held: its label, then its pieces
    assert pre.token_id("; seconds=") in encoded and pre.vocab_size + genre in encoded
    assert pre.n_input_tokens == pre.vocab_size + len(fields)
    assert pre.encode(["genre=Rock"]) == plain.encode(["genre=Rock"])  # texts are never field tokens


def test_the_parents_text_stays_spelt_for_its_words(songs: RelationalData):
    pre = TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320).fit(songs)
    assert not [fv for fv in pre.config.field_values if fv[0] == "band.name"]


def test_a_model_reads_field_tokens_and_never_writes_one(tmp_path, songs: RelationalData, tiny_size):
    pre = TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320).fit(songs)
    assert pre.n_field_values > 0
    torch.manual_seed(0)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    assert model.head.out_features == pre.vocab_size  # field ids are input only: no logit to sample them
    ds = TextDataset.from_data(songs, pre, block_size=64)
    assert int(np.asarray(ds.tokens).max()) >= pre.vocab_size
    TextTrainer(model).train(ds, n_epochs=20, batch_size=16, lr=1e-2, min_steps=0)
    assert model.field_embed.weight.grad is not None and model.field_embed.weight.grad.abs().sum() > 0
    out = model.generate(songs, seed=0)
    titles = out["song"]["title"].dropna()
    assert len(titles) and all(isinstance(t, str) and "\ufffd" not in t for t in titles)
    model.save(tmp_path / "m")
    again = TextModel.load(tmp_path / "m")
    assert again.config.field_values == pre.n_field_values
    pd.testing.assert_frame_equal(again.generate(songs, seed=0)["song"], out["song"])


def test_from_pretrained_carries_the_field_tokens_both_preprocs_know(tmp_path, songs, make_songs, tiny_size):
    pre = TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320).fit(songs)
    torch.manual_seed(0)
    TextModel.build(pre, size=tiny_size, block_size=64).save(tmp_path / "m")
    other = make_songs(n_bands=8, seed=3)
    new_pre = TextPreproc.from_schema_table(other.schema, "song", vocab_size=320).fit(other)
    old = TextModel.load(tmp_path / "m")
    new = TextModel.build_from_pretrained(new_pre, tmp_path / "m")
    i_new = new_pre.config.field_values.index(["genre", "Rock"])
    i_old = pre.config.field_values.index(["genre", "Rock"])
    torch.testing.assert_close(new.field_embed.weight[i_new], old.field_embed.weight[i_old])


def test_a_table_of_a_hundred_columns_trains_in_the_kedro_block(tiny_size):
    """Each column once as `; col_12=value`: 100 columns spelt filled 256 tokens and left no room for
    the text; as field tokens they take 100."""
    rng = np.random.default_rng(0)
    n = 120
    item = pd.DataFrame({f"col_{i}": rng.choice(["alpha one", "beta two", "gamma three"], n) for i in range(100)})
    item.insert(0, "id", range(n))
    item["note"] = [" ".join(rng.choice(["red", "blue", "green", "small", "large"], 4)) for _ in range(n)]
    schema = Schema.infer({"item": item}, primary_keys={"item": "id"}, overrides={"item": {"note": "text"}})
    data = RelationalData({"item": item}, schema)
    plain = TextPreproc.from_schema_table(schema, "item", field_tokens=False).fit(data)
    with pytest.raises(ValueError, match="leaves no room for text"):
        TextDataset.from_data(data, plain, block_size=256)
    pre = TextPreproc.from_schema_table(schema, "item").fit(data)
    ds = TextDataset.from_data(data, pre, block_size=256)
    assert int(np.max(ds.prefix)) <= 102  # bos, 100 fields, the column marker
    model = TextModel.build(pre, size=tiny_size, block_size=256)
    result = TextTrainer(model).train(ds, n_steps=3, n_epochs=None, batch_size=16, min_steps=0)
    assert result.n_steps == 3


def test_a_dataset_encoded_with_field_tokens_is_refused_by_a_preproc_without_them(tmp_path, songs):
    pre = TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320).fit(songs)
    plain = TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320, field_tokens=False).fit(songs)
    TextDataset.from_data(songs, pre, on_disk=True, path=tmp_path / "ds")
    assert TextDataset.from_disk(pre, tmp_path / "ds").n_samples > 0
    with pytest.raises(LoadError, match="another tokenizer"):
        TextDataset.from_disk(plain, tmp_path / "ds")

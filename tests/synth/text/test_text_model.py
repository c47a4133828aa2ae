from __future__ import annotations

import dataclasses
import logging
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from relsynth.relational import PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextDataset, TextModel, TextModelSize, TextPreproc, TextTrainer, _generate
from relsynth.synth.text._generate import cut_to_length
from relsynth.synth.text.dataset import IGNORE
from relsynth.synth.text.trainer import MIN_STEPS, TEXT_AUTO_EPOCHS


def eval_loss(model: TextModel, ds: TextDataset) -> float:
    return TextTrainer(model).evaluate(ds)


def titles(data: RelationalData) -> pd.Series:
    return data["song"]["title"]


# ---- build -----------------------------------------------------------------------------------
def test_build_sizes_and_unknown_size(song_preproc: TextPreproc, tiny_size):
    small = TextModel.build(song_preproc, size="small")
    assert small.config.n_layers == 2 and small.config.d == 128 and small.max_block_size == 256
    custom = TextModel.build(song_preproc, size=TextModelSize(n_layers=1, h=2, d=32), block_size=32, tie_weights=False)
    assert custom.head.weight is not custom.embed.weight
    custom.max_block_size = 48
    assert custom.config.block_size == 48
    with pytest.raises(ValueError, match="'huge'.*small.*medium.*large"):
        TextModel.build(song_preproc, size="huge")


def test_forward_refuses_a_batch_longer_than_the_block(songs, song_preproc, tiny_size):
    model = TextModel.build(song_preproc, size=tiny_size, block_size=8)
    ds = TextDataset.from_data(songs, song_preproc, block_size=64)
    assert int(ds.lengths[:4].max()) > 8
    with pytest.raises(ValueError, match="block_size=8"):
        model(ds.collate(np.arange(4)))


# ---- training --------------------------------------------------------------------------------
def test_training_lowers_the_loss(songs, song_preproc, trained: TextModel, tiny_size):
    ds = TextDataset.from_data(songs, song_preproc, block_size=64)
    fresh = TextModel.build(song_preproc, size=tiny_size, block_size=64)
    before, after = eval_loss(fresh, ds), eval_loss(trained, ds)
    assert after < 0.6 * before


@pytest.mark.parametrize("pack", [False, True])
def test_training_loss_and_gradients_are_those_of_the_full_head(songs, song_preproc, tiny_size, pack):
    """In training the transformer's last block and the head run at the scored positions only: the
    loss and every gradient are those of the plain cross-entropy over all positions' logits."""
    torch.manual_seed(0)
    model = TextModel.build(song_preproc, size=tiny_size, block_size=64, dropout=0.0).train()
    batch = TextDataset.from_data(songs, song_preproc, block_size=64).collate(np.arange(10), pack=pack)
    logits, loss = model(batch)
    assert len(logits) == int((batch["target"] != IGNORE).sum())
    fast = torch.autograd.grad(loss, list(model.parameters()))
    pos = batch.get("pos", torch.arange(batch["input"].shape[1]).expand_as(batch["input"]))
    full = model.head(model.transformer(model.embed_input(batch["input"]), pos, segments=batch.get("segments")))
    plain = F.cross_entropy(full.flatten(0, 1), batch["target"].flatten(), ignore_index=IGNORE)
    torch.testing.assert_close(loss, plain, rtol=1e-5, atol=1e-6)
    for a, b in zip(fast, torch.autograd.grad(plain, list(model.parameters())), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    ("n_texts", "steps"),
    [(250, 300), (2_732, 8 * 86), (11_000, 4 * 344), (60_000, 1_875), (1_000_000, 31_250)],
)
def test_text_auto_epochs_keep_chinooks_eight_and_shrink_for_large_tables(n_texts, steps):
    """Chinook's tables train as with the tuned 8 epochs and 300 steps at least; a large table
    gets fewer passes (44,000 texts' worth), never less than one."""
    assert max(TEXT_AUTO_EPOCHS.steps(n_texts, math.ceil(n_texts / 32)), MIN_STEPS) == steps


def test_text_trainer_n_epochs_auto_and_its_min_steps(songs, song_preproc, tiny_size):
    ds = TextDataset.from_data(songs, song_preproc, block_size=64)
    per_epoch = math.ceil(len(ds) / 16)
    runs = {
        m: TextTrainer(TextModel.build(song_preproc, size=tiny_size, block_size=64)).train(
            ds, n_epochs="auto", batch_size=16, min_steps=m, progress=False
        )
        for m in (0, 3 * 8 * per_epoch)
    }
    assert runs[0].n_steps == 8 * per_epoch  # a small table: the 8 epochs
    assert runs[3 * 8 * per_epoch].n_steps == 3 * 8 * per_epoch  # lifted to min_steps
    fixed = TextTrainer(TextModel.build(song_preproc, size=tiny_size, block_size=64)).train(
        ds, n_epochs=2, batch_size=16, min_steps=3 * 8 * per_epoch, progress=False
    )
    assert fixed.n_steps == 3 * 8 * per_epoch  # a number of epochs is lifted the same way


def test_dp_is_refused(trained):
    with pytest.raises(ValueError, match="text models are trained without differential privacy"):
        TextTrainer(trained, dp_budget=object())
    with pytest.raises(ValueError, match="without differential privacy"):
        TextTrainer(trained).train(None, n_steps=1, batch_size=1, dp_step=object())


# ---- generation ------------------------------------------------------------------------------
def test_generation_fills_the_column_respects_nulls_and_never_writes_empty(songs, trained, make_songs, genre_words):
    big = make_songs(n_bands=60, songs_per_band=6, seed=1)
    blank = big["song"].assign(title=pd.Series([None] * len(big["song"]), dtype="string"))
    synth = trained.generate(RelationalData({**big.data, "song": blank}, big.schema), seed=0)
    out = titles(synth)
    assert isinstance(synth, RelationalData) and len(out) == len(blank)
    assert abs(out.isna().mean() - titles(songs).isna().mean()) < 0.08  # fit rate 0.25
    assert (out.dropna().str.len() > 0).all()
    assert synth["band"].equals(big["band"])  # other tables untouched
    # a title follows its genre: most words come from the genre's vocabulary
    genre = synth["song"]["genre"]
    ok = [any(w in t for w in genre_words[g]) for t, g in zip(out, genre, strict=True) if isinstance(t, str)]
    assert np.mean(ok) > 0.8


def test_generation_fills_an_absent_text_column(songs, trained: TextModel):
    tables = dict(songs.schema.tables)
    tables["song"] = Table(columns={c: k for c, k in tables["song"].columns.items() if c != "title"})
    schema = Schema(tables=tables, lookups=songs.schema.lookups)
    data = RelationalData({**songs.data, "song": songs["song"].drop(columns="title")}, schema)
    synth = trained.generate(data, seed=0)
    assert list(synth["song"].columns) == list(songs["song"].columns)
    assert synth.schema == songs.schema


def test_generation_never_reads_more_than_the_block(songs, trained: TextModel, monkeypatch):
    """A block just larger than the context: texts must slide through several windows."""
    prefix = int(TextDataset.from_data(songs, trained.preproc).prefix.max())
    seen, written = [], []
    decode = trained.preproc.decode_batch
    monkeypatch.setattr(
        trained.preproc, "decode_batch", lambda ids, copies=None: written.extend(ids) or decode(ids, copies)
    )

    def spy(module, args, kwargs, output):
        cache = kwargs.get("cache")
        if cache is not None:
            seen.append(int(cache.valid[:, : cache.length].sum(1).max()))

    old = trained.max_block_size
    trained.max_block_size = prefix + 2
    handle = trained.transformer.register_forward_hook(spy, with_kwargs=True)
    try:
        synth = trained.generate(songs, max_text_len=12, batch_size=8, seed=0, temp=1.5)
    finally:
        handle.remove()
        trained.max_block_size = old
    assert max(seen) <= prefix + 2
    lengths = [len(ids) for ids in written]
    assert len(lengths) >= titles(synth).notna().sum()  # texts longer than any title are sampled again
    assert max(lengths) <= 12 and max(lengths) > 2  # longer than one window's text (word tokens: short)


def test_generation_is_reproducible_and_survives_save_load(tmp_path, songs, trained: TextModel):
    a = trained.generate(songs, seed=3, temp=0.8, top_p=0.9)
    trained.save(tmp_path / "m")
    loaded = TextModel.load(tmp_path / "m")
    b = loaded.generate(songs, seed=3, temp=0.8, top_p=0.9)
    pd.testing.assert_series_equal(titles(a), titles(b))
    c = trained.generate(songs, seed=4, temp=0.8, top_p=0.9)
    assert not titles(a).equals(titles(c))
    with pytest.raises(ValueError, match="top_p"):
        trained.generate(songs, top_p=0.0)


def test_generating_before_training_warns_until_trained_loaded_or_pretrained(
    tmp_path, songs, song_preproc, trained, tiny_size
):
    fresh = TextModel.build(song_preproc, size=tiny_size, block_size=64)
    with pytest.warns(UserWarning, match=r"TextModel was built but neither trained nor loaded.*TextTrainer") as w:
        fresh.generate(songs, seed=0, max_text_len=4)
    assert w[0].filename == __file__
    trained.save(tmp_path / "m")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trained.generate(songs, seed=0, max_text_len=4)
        TextModel.load(tmp_path / "m").generate(songs, seed=0, max_text_len=4)
        TextModel.build_from_pretrained(song_preproc, tmp_path / "m").generate(songs, seed=0, max_text_len=4)


# ---- from pretrained -------------------------------------------------------------------------
def test_from_pretrained_continues_training_on_new_data(tmp_path, trained: TextModel, make_songs):
    trained.save(tmp_path / "m")
    new = make_songs(n_bands=10, songs_per_band=5, null_every=0, seed=7)
    new = RelationalData(
        {**new.data, "song": new["song"].assign(title=new["song"]["title"].str.upper())}, new.schema
    )  # another spelling, another tokenizer
    pre = TextPreproc.from_schema_table(new.schema, "song", vocab_size=300).fit(new)
    assert pre.vocab() != trained.preproc.vocab()
    model = TextModel.build_from_pretrained(pre, tmp_path / "m")
    shared = [t for t in pre.vocab() if t in trained.preproc.vocab()]
    tok = shared[-1]
    assert torch.equal(model.embed.weight[pre.vocab()[tok]], trained.embed.weight[trained.preproc.vocab()[tok]])
    ds = TextDataset.from_data(new, pre, block_size=64)
    before = eval_loss(model, ds)
    TextTrainer(model).train(ds, n_epochs=10, batch_size=16, lr=5e-3)
    assert eval_loss(model, ds) < 0.8 * before


def test_from_pretrained_bad_paths(tmp_path, trained, song_preproc):
    with pytest.raises(FileNotFoundError, match="no TextModel at"):
        TextModel.build_from_pretrained(song_preproc, tmp_path / "missing")
    song_preproc.save(tmp_path / "pre")
    with pytest.raises(FileNotFoundError, match="no TextModel at"):
        TextModel.build_from_pretrained(song_preproc, tmp_path / "pre")
    trained.save(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text('{"kind": "TabularModel", "config": {}}')
    with pytest.raises(ValueError, match="not a TextModel"):
        TextModel.load(tmp_path / "m")


def test_cached_batched_sampling_matches_a_plain_forward(songs, trained: TextModel):
    """Greedy texts from the left-padded, KV-cached batch equal those of a naive uncached loop."""
    from relsynth.synth.text._generate import Sampler
    from relsynth.synth.text.dataset import sample_prefixes

    pre = trained.preproc
    prompts = sample_prefixes(pre, pre.encode_contexts(pre.contexts(songs)[:7]), "title")
    prompts[3] = prompts[3][:2] + prompts[3][-1:]  # a much shorter prompt: heavy left padding
    sampler = Sampler(trained, limit=10, temp=0.0, top_p=1.0, gen=torch.Generator(), allow_empty=False)
    batched = sampler.sample(prompts, batch_size=4)
    trained.eval()
    for prompt, got in zip(prompts, batched, strict=True):
        seq, text = list(prompt), []
        with torch.no_grad():
            while len(text) < 10:
                logits = trained({"input": torch.tensor([seq])})[0][0, -1]
                logits[sampler.banned] = -torch.inf
                if not text:
                    logits[pre.end_id] = -torch.inf
                tok = int(logits.argmax())
                if tok == pre.end_id:
                    break
                seq.append(tok)
                text.append(tok)
        assert got == text


def test_generated_texts_keep_the_sources_formats(songs, trained: TextModel):
    """Filling the texts keeps how the source wrote each column (booleans, keys, dates), for to_dir."""
    out = trained.generate(songs, seed=0)
    assert out.formats == songs.formats


def test_avoid_resamples_texts_equal_to_one_entitys_training_value(songs, trained: TextModel):
    """With `avoid`, a generated text equal to a value of that column there that fewer than
    word_k root entities hold is sampled again (it would name a record); one that many hold is
    not (a templated text, "Intro": avoiding it pushed texts away from the common ones)."""
    plain = trained.generate(songs, seed=1, temp=0.5)["song"]["title"]
    common = plain.value_counts().index[0]  # the title the model writes most often
    song = songs["song"]
    one = song["title"].where(song.index == 0, "a title every entity has").where(song.index != 0, common)
    avoid = RelationalData({**songs.data, "song": song.assign(title=one)}, songs.schema)  # one song holds it
    out = trained.generate(songs, seed=1, temp=0.5, avoid=avoid)["song"]["title"]
    left = trained.last_generation["title"]["copies"]
    assert int((out == common).sum()) == left < int((plain == common).sum())
    shared = RelationalData({**songs.data, "song": song.assign(title=common)}, songs.schema)  # every entity's
    again = trained.generate(songs, seed=1, temp=0.5, avoid=shared)["song"]["title"]
    assert again.tolist() == plain.tolist() and trained.last_generation["title"]["copies"] == 0
    with pytest.raises(TypeError, match="avoid must be a RelationalData"):
        trained.generate(songs, avoid=songs["song"])


def test_a_text_cut_to_length_into_a_value_to_avoid_is_counted_as_a_copy(songs, trained: TextModel, monkeypatch):
    """A text still too long after its resamplings is cut to length; where the cut leaves one entity's
    training value ('Night Night Night' -> 'Night Night'), `last_generation` counts it among the copies."""
    value = trained.generate(songs, seed=1, temp=0.5)["song"]["title"].dropna().iloc[0]
    song = songs["song"]
    one = song["title"].where(song.index == 0, "a title every entity has").where(song.index != 0, value)
    avoid = RelationalData({**songs.data, "song": song.assign(title=one)}, songs.schema)  # one song holds it
    monkeypatch.setattr(_generate, "cut_to_length", lambda texts, length: ([value] * len(texts), len(texts)))
    out = trained.generate(songs, seed=1, temp=0.5, avoid=avoid)["song"]["title"]
    assert trained.last_generation["title"]["copies"] == int((out == value).sum()) > 0


class SureToEnd(torch.nn.Module):
    """An LM head that puts nearly all the mass on `end` wherever it may come (a one-word album title the
    artist's context makes certain: Chinook's `Acústico`, 98 % on `end` after its word)."""

    def __init__(self, head: torch.nn.Module, end: int):
        super().__init__()
        self.inner, self.end = head, end

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        logits = self.inner(h).clone()
        logits[..., self.end] += 30.0
        return logits


def test_avoid_never_ends_a_text_where_it_spells_one_entitys_value(tiny_size):
    """A model sure to end after one word wrote a training title at every retry, at top_p 0.95 as at 1:
    resampling at the same settings cannot leave a nucleus of `end` alone. Retries may not end a text
    where it spells a value to avoid, so none is written while another token may follow; the texts
    are still the column's words."""
    words = ["Live", "Acoustic", "Rome", "Blues", "Night", "Gold", "River", "Storm", "Dance", "Dream"]
    pairs = [f"{a} {b}" for k in (1, 2) for a, b in zip(words, words[k:] + words[:k], strict=True)]
    # each held by one entity; each word, first or after a space, by two at least: word tokens; texts up to 5 words
    titles = [*words, *pairs, " ".join(words[:5])]
    data = RelationalData(
        {"t": pd.DataFrame({"id": range(1, len(titles) + 1), "title": titles})},
        Schema(t=Table(id=PrimaryKey(), title=Text())),
    )
    preproc = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=32)
    model.head = SureToEnd(model.head, preproc.end_id)
    model.trained = True
    for top_p in (0.95, 1.0):
        out = model.generate(data, seed=0, top_p=top_p, avoid=data)["t"]["title"]
        assert model.last_generation["title"]["copies"] == 0 and not out.isin(titles).any()
        assert all(w in words for t in out for w in t.split())  # words of the column, two or more
        assert (out.str.split().str.len() >= 2).all() and out.nunique() > 5


def test_avoid_draws_again_replacement_words_that_write_one_entitys_value(tiny_size, monkeypatch):
    """In a column of mostly rare words (names), the model spells and each spelled word is replaced by a
    vocabulary word of its shape: a spelled one-word name became `Acoustics`, one entity's whole name,
    as often as the words that are some entity's whole name outnumber the others, at every retry.
    Retries draw such replacements again, so none is left while another word of the shape is not one.
    (Four words of the case are too few to replace with, so generation would keep new spellings instead,
    `NewSpellings`: that is turned off here to test the replacements.)"""
    from relsynth.synth.text import _rare_words

    monkeypatch.setattr(_rare_words, "MIN_SHAPE_WORDS", 0)
    rng = np.random.default_rng(0)
    made_up = [
        "".join(rng.choice(list("bdfgklmnprstvz")) + rng.choice(list("aeiou")) for _ in range(3)).title()
        for _ in range(110)
    ]
    solo = ["Acoustics", "Serenade", "Nocturne"]  # one entity's whole name each
    names = [*solo, *(f"{w} Vrank" for w in [*solo, "Symphony", "Symphony"])]
    names += [f"{a} {b}" for a, b in zip(made_up[::2], made_up[1::2], strict=True)]
    data = RelationalData(
        {"t": pd.DataFrame({"id": range(1, len(names) + 1), "name": names})},
        Schema(t=Table(id=PrimaryKey(), name=Text())),
    )
    preproc = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    assert {*solo, "Symphony"} <= set(preproc.config.words) and preproc.config.stats["name"].rare_word_rate > 0.5
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=32)
    model.head = SureToEnd(model.head, preproc.end_id)  # one spelled piece, then the end: one word
    model.trained = True
    out = model.generate(data, seed=0, top_p=0.95, avoid=data)["t"]["name"]
    assert model.last_generation["name"]["copies"] == 0 and not out.isin(solo).any()  # 5 of 63 before
    assert (out == "Symphony").mean() > 0.9  # the one word of that shape no entity holds alone


def support_mails(n: int = 48) -> RelationalData:
    """Each customer writes its own address, glued from words every customer uses: 4 x 4 x 10 addresses."""
    rng = np.random.default_rng(0)
    first, last = ["anna", "ben", "carl", "dora"], ["smith", "weiss", "dubois", "garcia"]
    mails = [f"{rng.choice(first)}.{rng.choice(last)}{rng.integers(10)}@mail.com" for _ in range(n)]
    body = [f"Please write to {m} today." for m in mails]
    return RelationalData(
        {"t": pd.DataFrame({"id": range(1, n + 1), "body": body})}, Schema(t=Table(id=PrimaryKey(), body=Text()))
    )


def one_entitys_mails(texts, data: RelationalData) -> int:
    """How many texts write an address that one training customer alone wrote."""
    mails = pd.Series(data["t"]["body"].str.split().str[3].str.rstrip("."))
    once = set(mails[~mails.duplicated(keep=False)])
    return sum(any(w.rstrip(".") in once for w in t.split()) for t in texts)


def test_avoid_resamples_texts_writing_one_entitys_glued_string_whole(tiny_size):
    """A support message wrote a customer's e-mail address whole (soren.kruger7@mail.example.com): each
    piece (soren . kruger 7 @ ...) is a word token many customers use. With `avoid`, a text holding a
    glued word fewer than word_k entities wrote is sampled again; those left are counted."""
    data = support_mails()
    preproc = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    assert {"anna", "smith", "7", "@"} <= {w.strip() for w in preproc.config.words}  # the pieces are words
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=TextModelSize(n_layers=1, h=2, d=32), block_size=48)
    TextTrainer(model).train(TextDataset.from_data(data, preproc, block_size=48), n_steps=150, batch_size=16, lr=1e-2)
    plain = model.generate(data, seed=0)["t"]["body"]
    assert one_entitys_mails(plain, data) > 0  # written whole without avoid
    out = model.generate(data, seed=0, avoid=data)["t"]["body"]
    left = model.last_generation["body"]["rare_words"]
    assert one_entitys_mails(out, data) <= left < one_entitys_mails(plain, data) / 4  # left: any rare string
    assert out.str.contains("@mail.com").mean() > 0.5  # still addresses, made up ones


def test_a_column_of_distinct_values_is_generated_without_repeats(songs, make_songs, trained: TextModel, caplog):
    """Sample codes are all distinct in the data; generated, 5 of 661 repeated another. A column
    whose values are all distinct at fit (`stats.unique`) has its repeats sampled again, and the
    ones left counted and logged. Titles of 12 word pairs per genre cannot all be distinct."""
    assert not trained.preproc.config.stats["title"].unique  # titles repeat in the data
    bands = make_songs(n_bands=30)  # "The Band 1" ... "The Band 30"
    assert TextPreproc.from_schema_table(bands.schema, "band").fit(bands).config.stats["name"].unique
    plain = trained.generate(songs, seed=1, temp=0.5)["song"]["title"].dropna()
    stats = trained.preproc.config.stats
    trained.preproc.config.stats = {**stats, "title": dataclasses.replace(stats["title"], unique=True)}
    try:
        with caplog.at_level(logging.WARNING):
            out = trained.generate(songs, seed=1, temp=0.5)["song"]["title"].dropna()
    finally:
        trained.preproc.config.stats = stats
    repeats = len(out) - out.nunique()
    assert repeats == trained.last_generation["title"]["repeats"] < len(plain) - plain.nunique()
    assert out.nunique() > plain.nunique() and "repeat another" in caplog.text


def test_a_text_declared_unique_with_its_parent_key_is_not_repeated_under_one_parent(songs, trained: TextModel, caplog):
    """A repository's name is UNIQUE with its owner (owner_id, name), repeated across owners: the tabular
    model keeps such sets but leaves the text column, written later, to the text model, which kept only
    columns distinct throughout, so a generated owner held two repositories of one name, which the
    source's DDL refuses. The texts repeating one of their group are sampled again, the rest counted."""
    plain = trained.generate(songs, seed=1, temp=0.5)["song"]
    assert plain.dropna(subset="title").duplicated(["band", "title"]).sum() > 0  # few words: repeats in a band
    tables = {
        **songs.schema.tables,
        "song": Table(columns=songs.schema.tables["song"].columns, unique=[("band", "title")]),
    }
    declared = RelationalData(songs.data, Schema(tables=tables, lookups=songs.schema.lookups), formats=songs.formats)
    with caplog.at_level(logging.WARNING):
        out = trained.generate(declared, seed=1, temp=0.5)["song"]
    repeats = int(out.dropna(subset="title").duplicated(["band", "title"]).sum())
    assert repeats == trained.last_generation["title"]["repeats"]
    assert repeats < plain.dropna(subset="title").duplicated(["band", "title"]).sum() / 4
    assert out["title"].dropna().duplicated().any()  # across bands they still repeat
    assert _generate.unique_groups(declared.schema, "song", "title", out) == [
        list(zip(out["band"].tolist(), strict=True))
    ]
    assert _generate.unique_groups(declared.schema, "song", "seconds", out) == []  # no set of that column


def _titles_unique_under_band(trained: TextModel, songs, temp: float) -> pd.DataFrame:
    """The generated songs with a title, the fit having found titles never repeating under their band."""
    stats = trained.preproc.config.stats
    trained.preproc.config.stats = {**stats, "title": dataclasses.replace(stats["title"], unique_under="band")}
    try:
        return trained.generate(songs, seed=1, temp=temp)["song"].dropna(subset="title")
    finally:
        trained.preproc.config.stats = stats


def test_a_text_the_fit_found_unique_under_its_parent_is_not_repeated_under_one_parent(songs, trained: TextModel):
    """The same kept where no UNIQUE is declared (a schema inferred from frames) but the fit found the
    values never repeating under their parent where chance would (`ColumnStats.unique_under`)."""
    plain = trained.generate(songs, seed=1, temp=0.5)["song"].dropna(subset="title")
    out = _titles_unique_under_band(trained, songs, temp=0.5)
    repeats = int(out.duplicated(["band", "title"]).sum())
    assert repeats == trained.last_generation["title"]["repeats"] < plain.duplicated(["band", "title"]).sum()


def test_texts_still_repeating_their_group_trade_places_with_other_rows(songs, trained: TextModel):
    """Where the model draws few texts (a cold temperature here; a 3-token repository name, most of whose
    values avoid= bans), resampling left 4 of 57 titles repeating their band (37 of 221 repository names
    their owner). Such a text trades places with another band's text that neither band then repeats: the
    texts drawn are kept, each title count as it was."""
    out = _titles_unique_under_band(trained, songs, temp=0.1)
    assert out.duplicated(["band", "title"]).sum() == trained.last_generation["title"]["repeats"] == 0
    bands, rows, cut = [1, 1, 1, 2, 2], [_generate.RowWords("", [])] * 5, np.zeros(5, dtype=bool)
    texts = ["a", "a", "b", "c", "d"]
    assert _generate._swap_repeats(texts, cut, rows, [bands], np.random.default_rng(0)) == 1
    assert sorted(texts) == ["a", "a", "b", "c", "d"] and texts[:3].count("a") == texts[3:].count("a") == 1
    texts = ["a", "a", "b", "c", "a"]  # band 2 holds an "a" already: no trade frees band 1's
    assert _generate._swap_repeats(texts, cut, rows, [bands], np.random.default_rng(0)) == 0


def test_a_repeat_spelling_its_rows_context_trades_only_with_a_row_whose_context_holds_it():
    """A repository name spelling its owner's login ("alice-site": the rare-word replacer keeps a spelled word
    of the row's context) moved to carol's row named the wrong owner; it stays with a row holding that word
    and is left to the number (`_number_repeats`). A word of the vocabulary is no tie: it may move."""
    owners = [1, 1, 2, 3]
    rows = [_generate.RowWords(f"login {name}", []) for name in ["alice", "alice", "bob", "carol"]]
    texts, cut = ["alice-site", "alice-site", "bob-notes", "new-app"], np.zeros(4, dtype=bool)
    assert _generate._swap_repeats(texts, cut, rows, [owners], np.random.default_rng(0)) == 0  # no vocabulary
    assert texts == ["alice-site", "alice-site", "bob-notes", "new-app"]
    rows[3] = _generate.RowWords("login carol alice", [])  # carol's row names alice too: the name may go there
    assert _generate._swap_repeats(texts, cut, rows, [owners], np.random.default_rng(0), {"site"}) == 1
    assert texts[3] == "alice-site" and texts[:2].count("alice-site") == 1
    texts = ["alice-site", "alice-site", "bob-notes", "new-app"]
    rows[3] = _generate.RowWords("login carol", [])
    assert _generate._swap_repeats(texts, cut, rows, [owners], np.random.default_rng(0), {"alice", "site"}) == 1
    assert texts[:2].count("alice-site") == 1 and texts[2] == "bob-notes"  # "bob" spelled: it stays with bob


def test_texts_still_repeating_their_group_after_trades_get_a_number(songs, trained: TextModel):
    """Where neither redraws nor trades free a text (nearly greedy decoding here; the few names of a large
    owner's model), it gets the first free number after its own separator: a declared UNIQUE (owner_id, name)
    broken by 1-3 names made to_sql refuse the whole database."""
    out = _titles_unique_under_band(trained, songs, temp=0.01)
    assert out.duplicated(["band", "title"]).sum() == 0
    texts = ["blue sky", "blue sky", "blue sky 2", "fast-parser", "fast-parser", "abc", "abc", "abc"]
    group = [1, 1, 1, 1, 1, 2, 2, 2]
    assert _generate._number_repeats(texts, [group], avoid={"abc2"}, max_chars=None) == 4
    assert texts == ["blue sky", "blue sky 3", "blue sky 2", "fast-parser", "fast-parser-2", "abc", "abc3", "abc4"]
    texts = ["abcdef", "abcdef"]
    assert _generate._number_repeats(texts, [[(), ()]], avoid=set(), max_chars=6) == 1
    assert texts == ["abcdef", "abcde2"]  # within the column's length


class _CountingRng:
    """A generator that counts the random values it hands out."""

    def __init__(self, seed: int):
        self.rng, self.drawn = np.random.default_rng(seed), 0

    def __getattr__(self, name):
        def draw(*args, **kwargs):
            out = getattr(self.rng, name)(*args, **kwargs)
            self.drawn += int(np.size(out))
            return out

        return draw


def test_swapping_repeats_apart_draws_no_more_per_repeat_as_the_rows_grow():
    """Each text repeating its group tries at most `MAX_SWAP_TRIES` rows: drawing a permutation of every
    row per repeat made the swaps quadratic (5,000 repeats among 200,000 rows: 29 s, 3 s drawing only
    the rows tried)."""
    n, pairs = 20_000, 500
    owners = (np.arange(n) // 2).tolist()  # two rows per owner, the first `pairs` owners' rows one name
    texts = [f"name{i - i % 2 if i < 2 * pairs else i}" for i in range(n)]
    rng = _CountingRng(0)
    swaps = _generate._swap_repeats(texts, np.zeros(n, dtype=bool), [_generate.RowWords("", [])] * n, [owners], rng)
    assert swaps > 0 and not _generate._repeats(texts, False, [owners])
    assert rng.drawn <= pairs * _generate.MAX_SWAP_TRIES


def test_texts_fit_the_columns_declared_sql_length(songs, trained: TextModel):
    """A VARCHAR(n) text column gets texts of at most n characters (sampled again, then cut at a
    space, and counted): the database the synthetic data is written back to would refuse a longer
    one, after all training."""
    plain = trained.generate(songs, seed=1)["song"]["title"].dropna()
    formats = {
        **songs.formats,
        "song": {**songs.formats.get("song", {}), "title": {"sql": {"type": "varchar", "length": 9}}},
    }
    declared = RelationalData(songs.data, songs.schema, formats=formats)
    out = trained.generate(declared, seed=1)["song"]["title"].dropna()
    assert (plain.str.len() > 9).any() and out.str.len().max() <= 9
    assert trained.last_generation["title"]["cut_to_length"] <= int((plain.str.len() > 9).sum())
    texts = ["hello world foo", "abcdefghijklmnop", "short", "hello world", "hello worl d"]
    assert cut_to_length(texts, 11) == (["hello world", "abcdefghijk", "short", "hello world", "hello worl"], 3)


def test_a_text_cut_to_length_splits_no_character_as_a_reader_sees_it():
    """Cut per code point, a text without spaces could end in a dangling joiner (a family emoji's
    first person and U+200D), half a flag, or a letter without its accent or skin tone."""
    family, flags = "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea"
    texts = [family, flags, "Cafe\u0301x", "e\u0301\u0301abc", "ab\U0001f44d\U0001f3fd", "abcdef"]
    cut, n = cut_to_length(texts, 3)
    assert n == 6 and cut == [family[:3], flags[:2], "Caf", "e\u0301\u0301", "ab", "abc"]  # two people joined: whole
    assert cut_to_length([family], 2)[0] == ["\U0001f468"] and cut_to_length([family], 4)[0] == [family[:3]]
    assert cut_to_length(["e\u0301\u0301abc"], 2)[0] == [""]  # an e without its accents would be another letter


def test_a_dataset_with_windows_longer_than_the_model_is_refused_before_training(songs, song_preproc, tiny_size):
    model = TextModel.build(song_preproc, size=tiny_size, block_size=16)
    ds = TextDataset.from_data(songs, song_preproc)  # block_size 256: windows of the whole samples
    with pytest.raises(ValueError, match=r"windows are up to \d+ tokens .* block_size=16: build the TextDataset"):
        TextTrainer(model).train(ds, n_steps=1, batch_size=4)


def test_contexts_longer_than_the_block_are_cut_with_a_warning_not_an_error(songs, trained: TextModel, caplog):
    """A synthetic context can outgrow every training one; generation keeps going, saying so."""
    expected = trained.generate(songs, seed=0)["song"]["title"].notna().sum()
    block = trained.max_block_size
    trained.max_block_size = 16  # shorter than the songs' contexts (a synthetic parent's long text does this)
    try:
        with caplog.at_level(logging.WARNING):
            out = trained.generate(songs, seed=0)
    finally:
        trained.max_block_size = block
    assert "context(s) of up to" in caplog.text and "were cut to their last 12 tokens" in caplog.text
    assert out["song"]["title"].notna().sum() == expected


def test_no_text_is_longer_than_the_longest_training_text(songs, trained: TextModel):
    """A text longer than any real one reads as made up: it is sampled again, then cut at a space."""
    longest = int(songs["song"]["title"].dropna().str.len().max())
    assert trained.preproc.config.stats["title"].max_chars == longest
    out = trained.generate(songs, seed=0, temp=2.0)["song"]["title"].dropna()  # hot: long texts come out
    assert out.str.len().max() <= longest
    stats = trained.preproc.config.stats["title"]
    saved, stats.max_chars = stats.max_chars, 0  # a preproc saved before max_chars: no limit
    try:
        unlimited = trained.generate(songs, seed=0, temp=2.0)["song"]["title"].dropna()
    finally:
        stats.max_chars = saved
    assert unlimited.str.len().max() > longest


def test_a_text_null_for_one_kind_of_row_stays_null_for_it(make_songs, tiny_size):
    """A forum's answers have no title and its questions always one, but texts were written null at
    one overall rate whatever the row: 65 % of generated questions had no title and 38 % of answers
    one. The fit keeps the null rate per value of the row's column that tells (`null_by`), here
    the genre: instrumentals (genre 3) have no title."""
    songs = make_songs(n_bands=30, null_every=0)
    song = songs["song"].assign(title=songs["song"]["title"].where(songs["song"]["genre"] != 3))
    songs = RelationalData({**songs.data, "song": song}, songs.schema)
    pre = TextPreproc.from_schema_table(songs.schema, "song", vocab_size=320).fit(songs)
    assert pre.config.stats["title"].null_by[0] == "genre"
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    TextTrainer(model).train(TextDataset.from_data(songs, pre, block_size=64), n_steps=2, batch_size=16, min_steps=0)
    out = model.generate(songs, seed=0, max_text_len=8)["song"]
    assert out["title"].isna().eq(out["genre"] == 3).all()


# ---- run-ons: texts that reached the token limit without their end -----------------------------
class ScriptedSampler:
    """A stand-in for `Sampler`: each `sample` call returns its next round of texts (one string per
    prompt, as token "ids" the decoder below reads back), flagging in `cut` those given as run-ons."""

    def __init__(self, rounds: list[list[tuple[str, bool]]]):
        self.rounds, self.cut = list(rounds), np.zeros(0, dtype=bool)

    def sample(self, prompts, batch_size, rows=None, avoid=frozenset()):
        drawn = self.rounds.pop(0)
        assert len(drawn) == len(prompts)
        self.cut = np.array([run_on for _, run_on in drawn], dtype=bool)
        return [[text] for text, _ in drawn]


def _resampled(texts: list[str], cut: list[bool], rounds, avoid=frozenset(), max_chars=None) -> tuple[list[str], list]:
    sampler = ScriptedSampler(rounds)
    flags = np.array(cut, dtype=bool)
    rows = [_generate.RowWords("", []) for _ in texts]
    texts = list(texts)
    _generate._resample_unwanted(
        texts,
        flags,
        [[0]] * len(texts),
        rows,
        set(avoid),
        sampler,
        lambda ids, found, avoid=(): [i[0] for i in ids],
        batch_size=8,
        max_chars=max_chars,
    )
    return texts, flags.tolist()


def test_a_text_cut_at_the_token_limit_is_drawn_again():
    """A text that reached the token limit without its end ran on (under `avoid`, the end of a training
    value is banned: 'Vertex Inc - new deal Ltd'); it is drawn again rather than kept cut."""
    rounds = [[("Vertex Inc - renewal", False)]] + [[("unused", False)]] * (_generate.COPY_RETRIES - 1)
    texts, cut = _resampled(["Stark LLC - new deal", "Vertex Inc - new deal Ltd"], [False, True], rounds)
    assert texts == ["Stark LLC - new deal", "Vertex Inc - renewal"]
    assert cut == [False, False]


def test_a_run_on_is_kept_over_a_redraw_no_better():
    """A redraw that runs on too, is a value to avoid or is too long (cut to length, it often reads as a
    training value again) does not replace a run-on: copies do not rise for fewer cut texts."""
    avoid = {"Vertex Inc - new deal"}
    worse = [("Vertex Inc - new deal", False), ("Vertex Inc - new deal expansion", False), ("Vertex Inc - Labs", True)]
    rounds = [[worse[k % len(worse)]] for k in range(_generate.COPY_RETRIES)]
    texts, cut = _resampled(["Vertex Inc - new deal Ltd"], [True], rounds, avoid=avoid, max_chars=25)
    assert texts == ["Vertex Inc - new deal Ltd"]
    assert cut == [True]  # still counted as cut (`last_generation[column]["truncated"]`)

    better = [[("Vertex Inc - new deal", False)], [("Vertex Inc - expansion", False)]]
    texts, cut = _resampled(["Vertex Inc - new deal Ltd"], [True], better + rounds[2:], avoid=avoid, max_chars=25)
    assert texts == ["Vertex Inc - expansion"]
    assert cut == [False]


# ---- texts longer than the longest training text ----------------------------------------------
def test_a_name_a_little_past_the_longest_of_few_is_kept_whole():
    """With 19 names seen, the longest 11 characters, a generated 12-character name still too long after
    the resamplings is kept whole rather than cut to its first name; a declared SQL length stays a hard cap,
    and with many texts seen the longest one is the cap again."""
    from relsynth.synth.text.preproc import TextColumnStats

    few = TextColumnStats(n_rows=19, max_chars=11)
    resample, cut_above = _generate.length_limits(few, None)
    assert resample == 11  # still sampled again past the longest training text
    assert cut_to_length(["Chloe Moreau", "Ana Khan"], cut_above) == (["Chloe Moreau", "Ana Khan"], 0)
    assert cut_to_length(["Chloe Moreau Khan Silva"], cut_above) == (["Chloe Moreau"], 1)  # a run-on is cut
    _, declared = _generate.length_limits(few, 11)
    assert cut_to_length(["Chloe Moreau"], declared) == (["Chloe"], 1)  # VARCHAR(11) holds no more
    _, many = _generate.length_limits(TextColumnStats(n_rows=10_000, max_chars=11), None)
    assert many == 11

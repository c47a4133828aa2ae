"""A row's text columns see each other: each text is written seeing its row's texts written before it (the
shortest column first), so a post's body names the language its tags give, as the data's rows do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer
from relsynth.synth.text.dataset import ROW_TEXT_TOKENS, row_text_tokens, sample_prefixes

LANGS = ["python", "java", "rust", "go"]


def posts(n: int = 200, seed: int = 0) -> RelationalData:
    """A body names its post's tag, the only thing that tells which; the tag is the shorter text."""
    rng = np.random.default_rng(seed)
    tags = rng.choice(LANGS, size=n)
    body = [f"how do i read a file in {t} today" for t in tags]
    frame = pd.DataFrame({"id": range(n), "body": body, "tag": tags})
    return RelationalData({"post": frame}, Schema(post=Table(id=PrimaryKey(), body=Text(), tag=Text())))


def agreement(df: pd.DataFrame) -> float:
    rows = df[df["tag"].notna() & df["body"].notna()]
    return float(np.mean([str(t) in str(b).split() for t, b in zip(rows["tag"], rows["body"], strict=True)]))


def trained(data: RelationalData, pre: TextPreproc, tiny_size) -> TextModel:
    torch.manual_seed(0)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    TextTrainer(model).train(TextDataset.from_data(data, pre, block_size=64), n_steps=120, batch_size=32)
    return model


def test_a_body_names_the_tag_its_row_was_given(tiny_size):
    data = posts()
    pre = TextPreproc.from_schema_table(data.schema, "post", vocab_size=300).fit(data)
    assert pre.config.row_texts == ["tag", "body"]  # the shorter text first, whatever the schema's order
    assert pre.config.row_copies == {"body": ["tag"]}  # a body repeats its tag's word: copied, not guessed
    out = trained(data, pre, tiny_size).generate(data, seed=0)["post"]
    older = TextPreproc.from_schema_table(data.schema, "post", vocab_size=300).fit(data)
    older.config.row_texts, older.config.row_copies = [], {}  # an older save's: each text sees the context alone
    alone = trained(data, older, tiny_size).generate(data, seed=0)["post"]
    assert agreement(data["post"]) == 1.0
    assert agreement(alone) < 0.5  # chance: a quarter
    assert agreement(out) > 0.9


def test_earlier_texts_are_cut_to_fit_the_block():
    data = posts(20)
    pre = TextPreproc.from_schema_table(data.schema, "post", vocab_size=300).fit(data)
    tag, body = pre.column_id("tag"), pre.column_id("body")
    ctx, long = [7, 7, 7], list(range(100))
    (wide,) = sample_prefixes(pre, [ctx], "body", [{"tag": long}], block_size=256)
    assert wide == [pre.bos_id, *ctx, tag, *long[:ROW_TEXT_TOKENS], body]
    (short,) = sample_prefixes(pre, [ctx], "body", [{"tag": long}], block_size=24)
    assert short == [pre.bos_id, *ctx, tag, *long[: row_text_tokens(3, 1, 24)], body] and len(short) <= 12
    assert sample_prefixes(pre, [ctx], "body", [{}], block_size=256) == [[pre.bos_id, *ctx, body]]  # a null tag
    assert sample_prefixes(pre, [ctx], "tag", [{}], block_size=256) == [[pre.bos_id, *ctx, tag]]  # written first


NOUNS = [f"{a}{b}" for a in ("zor", "mip", "tal", "vek", "dun", "sha") for b in ("ka", "lo", "ren", "ust", "im")]


def questions(n: int = 300, seed: int = 0) -> RelationalData:
    """A body repeats the two rare words of its title, and both texts hold "the" in every row (as titles and bodies
    "a", "the" in nearly every row), so that the whole columns share a word beside any other row's too."""
    rng = np.random.default_rng(seed)
    pairs = [rng.choice(NOUNS, size=2, replace=False) for _ in range(n)]
    title = [f"how do i fix the {a} of {b}" for a, b in pairs]
    body = [f"the {b} is broken and the {a} fails every time" for a, b in pairs]
    frame = pd.DataFrame({"id": range(n), "title": title, "body": body})
    return RelationalData({"q": frame}, Schema(q=Table(id=PrimaryKey(), title=Text(), body=Text())))


def repeats_title(df: pd.DataFrame) -> float:
    """The share of rows whose body holds every rare word of its title."""
    rows = df[df["title"].notna() & df["body"].notna()]
    return float(
        np.mean(
            [
                all(w in str(b).split() for w in str(t).split() if w in NOUNS)
                and any(w in NOUNS for w in str(t).split())
                for t, b in zip(rows["title"], rows["body"], strict=True)
            ]
        )
    )


def test_a_body_repeats_its_titles_rare_words_though_both_hold_common_ones(tiny_size):
    data = questions()
    pre = TextPreproc.from_schema_table(data.schema, "q", vocab_size=300).fit(data)
    assert pre.config.row_copies == {"body": ["title"]}  # judged on the rare words: "the" is in every row of both
    assert {"how", "the"} <= set(pre.config.row_copy_skip["body"]["title"])  # common words are never copy words
    out = trained(data, pre, tiny_size).generate(data, seed=0)["q"]
    assert repeats_title(data["q"]) == 1.0
    assert repeats_title(out) > 0.8  # chance: 1 in 435


def test_texts_sharing_only_common_words_do_not_copy():
    """An email and a website hold "com" in every row and their other words at random: no copies between them."""
    rng = np.random.default_rng(0)
    n = 300
    email = [f"{rng.choice(NOUNS)}{rng.integers(1, 99)}@mail.com" for _ in range(n)]
    site = [f"https://www.{rng.choice(NOUNS)}.com/about" for _ in range(n)]
    frame = pd.DataFrame({"id": range(n), "email": email, "site": site})
    data = RelationalData({"c": frame}, Schema(c=Table(id=PrimaryKey(), email=Text(), site=Text())))
    pre = TextPreproc.from_schema_table(data.schema, "c", vocab_size=300, copy_slots=8).fit(data)
    assert pre.config.row_copies == {} and pre.config.row_copy_skip == {}

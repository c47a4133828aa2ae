"""Rare words replaced by word tokens of the same shape (`spell_words="replace"` / `"auto"`)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from relsynth.synth.text._generate import spelling_mode
from relsynth.synth.text._rare_words import RareWordReplacer, context_words, shape

WORDS = ["The", " Rock", " Guitars", " Orchestra", " Symphony", " of", " the", "Live", " 1999", " ROCK", " a"]


def test_unknown_words_become_word_tokens_of_their_shape_and_known_ones_stay():
    replacer = RareWordReplacer(WORDS)
    rng = np.random.default_rng(0)
    out, n = replacer("The Zorblax of the Quintessentialities", rng)
    pieces = re.findall(r" ?[^\W\d_]+| ?\d+", out)
    assert n == 2 and out.startswith("The ") and " of the " in out
    assert all(p in WORDS for p in pieces)  # every word written is a word token
    assert pieces[1] == " Guitars" and shape(pieces[1]) == shape(" Zorblax")  # title case, 5-7 letters
    assert pieces[-1] in (" Orchestra", " Symphony")  # a long title-case word for a long one


def test_numbers_take_a_real_number_or_random_digits_of_the_same_count():
    rng = np.random.default_rng(0)
    assert RareWordReplacer(WORDS)(" 2024", rng)[0] == " 1999"
    out, n = RareWordReplacer(["Live"])(" 123456", rng)
    assert n == 1 and re.fullmatch(r" [1-9]\d{5}", out) and out != " 123456"


def test_a_number_keeps_its_count_of_digits_and_its_zero_padding():
    rng = np.random.default_rng(0)
    replacer = RareWordReplacer(["Customer", "Tel", "1800", " 13", " 25"])
    for _ in range(20):
        out, n = replacer("Customer#000000145-989", rng)  # no 9- or 3-digit number word: drawn digits
        assert n == 2 and re.fullmatch(r"Customer#000000[1-9]\d\d-[1-9]\d\d", out), out
    assert replacer("Tel 41", rng)[0] in ("Tel 13", "Tel 25")  # a 2-digit number word


def test_numbers_come_from_the_texts_numbers_not_from_the_rounded_contexts():
    import pandas as pd

    from relsynth.relational import Numeric, PrimaryKey, RelationalData, Schema, Table, Text
    from relsynth.synth.text import TextPreproc

    n = 40
    frame = pd.DataFrame(
        {
            "id": range(n),
            "amount": [5_900 + i for i in range(n)],  # every context says amount=5900 (2 significant digits)
            "note": [f"Room {4200 + i % 2} of {1000 + i}" for i in range(n)],  # 4200, 4201 shared; the rest one each
        }
    )
    data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), amount=Numeric(), note=Text())))
    pre = TextPreproc.from_schema_table(data.schema, "t", vocab_size=300).fit(data)
    assert "5900" in pre.config.words and "5900" not in pre.config.text_numbers  # a context's rounded number
    assert {" 4200", " 4201"} <= set(pre.config.text_numbers)
    replacer = RareWordReplacer(pre.config.words, numbers=pre.config.text_numbers)
    rng = np.random.default_rng(0)
    assert {replacer(" 9999", rng)[0] for _ in range(30)} == {" 4200", " 4201"}


def test_a_word_without_any_real_word_of_its_kind_is_left_out_never_kept():
    out, n = RareWordReplacer([" 1999"])("Zorblax", np.random.default_rng(0))
    assert out == "" and n == 1


def test_a_spelled_word_of_the_rows_context_stays_and_other_rare_words_go():
    rng = np.random.default_rng(0)
    context = "year=1971; band.name=Led Zeppelin"
    out, n = RareWordReplacer(WORDS)(" Zeppelin Zorblax 1971 Zep", rng, context)
    assert out.startswith(" Zeppelin ") and " 1971 " in out  # copied from the context: kept
    assert n == 2 and "Zorblax" not in out and not out.endswith(" Zep")  # a prefix of a context word is no copy
    assert RareWordReplacer(WORDS)(" Zeppelin", rng)[0] != " Zeppelin"  # without that context: replaced
    assert context_words(context) == {"year", "1971", "band", "name", "Led", "Zeppelin"}


@pytest.mark.parametrize(
    ("mode", "rate", "expected"), [("auto", 0.64, "replace"), ("auto", 0.36, False), (True, 0.9, True)]
)
def test_auto_replaces_only_where_most_words_were_rare(mode, rate, expected):
    assert spelling_mode(mode, rate) == expected


def test_generation_with_replace_writes_only_word_tokens_or_words_of_the_rows_context(trained, songs):
    words = set(trained.preproc.config.words)
    out = trained.generate(songs, seed=0, spell_words="replace", temp=1.5)
    contexts = trained.preproc.contexts(out)
    titles = out["song"]["title"]
    pieces = [
        (p, c)
        for t, c in zip(titles, contexts, strict=True)
        if isinstance(t, str)
        for p in re.findall(r" ?[^\W\d_]+", t)
    ]
    assert pieces and all(p in words or p.lstrip(" ") in context_words(c) for p, c in pieces)
    with pytest.raises(TypeError, match="spell_words"):
        trained.generate(songs, seed=0, spell_words="sometimes")


# " Zorb" (title case, 3-4 letters) has eight words of its shape; two pair with "The"
TITLE_WORDS = ["The", " Best", " Moon", " Fire", " Rain", " Blue", " Soul", " Gold", " Star", " Orchestra", " Symphony"]
PAIRS = {"the best": 3, "the moon": 1}


def _pair_rate(replacer: RareWordReplacer, n: int = 400) -> float:
    rng = np.random.default_rng(0)
    return float(np.mean([replacer("The Zorb", rng)[0] in ("The Best", "The Moon") for _ in range(n)]))


def test_replaced_words_form_the_pairs_real_texts_use_as_often_as_real_texts_reuse_pairs():
    for share in (0.5, 0.8):  # above the 2 in 8 that uniform choices give
        assert abs(_pair_rate(RareWordReplacer(TITLE_WORDS, PAIRS, pair_share=share)) - share) < 0.02
    replacer = RareWordReplacer(TITLE_WORDS, PAIRS, pair_share=1.0)
    rng = np.random.default_rng(0)
    chosen = [replacer("The Zorb", rng)[0] for _ in range(400)]
    assert set(chosen) == {"The Best", "The Moon"}
    assert 0.65 < chosen.count("The Best") / 400 < 0.85  # weighted by the entities using each pair: 3 to 1
    assert replacer.pairs_total == 400 and replacer.pairs_seen == 400


def test_without_pairs_or_a_share_every_word_of_the_shape_is_equally_likely():
    for replacer in (RareWordReplacer(TITLE_WORDS), RareWordReplacer(TITLE_WORDS, PAIRS, pair_share=0.0)):
        assert 0.18 < _pair_rate(replacer, 800) < 0.32  # 2 in 8


def test_a_replaced_word_pairs_with_the_known_word_after_it_and_keeps_its_shape():
    replacer = RareWordReplacer(TITLE_WORDS + [" Symphonic"], {"symphony orchestra": 2}, pair_share=1.0)
    rng = np.random.default_rng(0)
    assert replacer("The Zorblax Orchestra", rng)[0] == "The Symphony Orchestra"
    out = replacer("Zorblax Orchestra", rng)[0]  # no word of its shape (no leading space) pairs: any word
    assert out == "The Orchestra"


def test_a_contraction_is_no_word_to_replace():
    out, n = RareWordReplacer(WORDS)("Zorblax's Rock", np.random.default_rng(0))
    assert out.endswith("'s Rock") and n == 1  # "'s" is the tokenizer's piece, not the word "s"


def test_generation_passes_each_columns_word_pairs_to_its_replacer(trained, songs):
    from relsynth.synth.text._generate import RowWords, _decoder

    words = [w for w in trained.preproc.config.words if re.fullmatch(r" [A-Z][a-z]+", w)]  # " Rock", " Blue"
    a, b = words[0].strip().lower(), words[1].strip().lower()
    stats = replace(trained.preproc.config.stats["title"], word_pairs={f"{a} {b}": 2}, pair_share=1.0)  # a copy
    ids = trained.preproc.encode([f"{words[0]} Zq"])[0]
    decode = _decoder(trained.preproc, stats, np.random.default_rng(0))
    texts = decode([ids] * 20, [RowWords("", [])] * 20)
    assert set(texts) == {words[0] + words[1]}  # every replaced word pairs with the one before

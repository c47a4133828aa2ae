"""Rare words replaced by word tokens of the same shape (`spell_words="replace"` / `"auto"`)."""

from __future__ import annotations

import re

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

"""Rare words replaced by real ones of the same shape.

When the model may spell words (the sub-word fallback), the texts get the length and structure of
the real ones — a one-word artist name is one word, then the end — but the spelled words are
invented ("Olelaconon") or, worse, may rebuild a word that fewer than `word_k` entities used.
`RareWordReplacer` swaps every letter or number piece that is not a word token for a word token
of the same shape: leading space, letters or digits, case pattern (Title, UPPER, lower) and a
similar length. Every word of the result is then one at least `word_k` entities used, as with
word tokens only, while the text keeps the shape the model gave it.

A spelled word that its row's context holds (a parent's name the model copied: the album "Led
Zeppelin IV" of the artist "Led Zeppelin") is kept: it repeats a value of the data being filled,
not a word of the training texts, and real texts copy their parent's words that way.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from relsynth.synth.text.preproc import WORD_PIECE


def _case(word: str) -> str:
    if word.isupper() and len(word) > 1:
        return "upper"
    if word[:1].isupper():
        return "title"
    return "lower" if word.islower() else "other"


def _length_class(n: int) -> int:
    return 0 if n <= 2 else 1 if n <= 4 else 2 if n <= 7 else 3


def shape(piece: str) -> tuple:
    """(leading space, digits?, case, length class) of a letter or number piece."""
    word = piece.lstrip(" ")
    digits = word.isdigit()
    return (piece.startswith(" "), digits, "digits" if digits else _case(word), _length_class(len(word)))


def context_words(context: str) -> frozenset[str]:
    """The letter and number words of a row's context string (without their leading space)."""
    return frozenset(p.lstrip(" ") for p in WORD_PIECE.findall(context)) if context else frozenset()


class RareWordReplacer:
    """Replaces the pieces of a text that are not among `words` by words of the same shape."""

    def __init__(self, words: list[str]):
        self.known = set(words)
        self.by_shape: dict[tuple, list[str]] = defaultdict(list)
        self.by_coarse: dict[tuple, list[str]] = defaultdict(list)  # without the length class
        self.by_kind: dict[tuple, list[str]] = defaultdict(list)  # leading space, digits? only
        for w in words:
            if WORD_PIECE.fullmatch(w):
                s = shape(w)
                self.by_shape[s].append(w)
                self.by_coarse[s[:3]].append(w)
                self.by_kind[s[:2]].append(w)

    def __call__(self, text: str, rng: np.random.Generator, context: str = "") -> tuple[str, int]:
        """The text with its unknown words replaced, and how many were; words `context` holds stay."""
        replaced = 0
        given = context_words(context)

        def swap(m: re.Match) -> str:
            nonlocal replaced
            piece = m.group(0)
            if piece in self.known or piece.lstrip(" ") in given:
                return piece
            s = shape(piece)
            pool = self.by_shape.get(s) or self.by_coarse.get(s[:3]) or self.by_kind.get(s[:2])
            replaced += 1
            if pool:
                return pool[int(rng.integers(len(pool)))]
            if s[1]:  # no real number to take: random digits of the same count (no leading zero)
                n = len(piece.lstrip(" "))
                digits = "".join(map(str, rng.integers(0, 10, n)))
                return piece[: len(piece) - n] + str(rng.integers(1, 10)) + digits[1:]
            return ""  # no real word at all: leave it out rather than write a spelled one

        return WORD_PIECE.sub(swap, text), replaced

"""Rare words replaced by real ones of the same shape.

When the model may spell words (the sub-word fallback), the texts get the length and structure of
the real ones — a one-word artist name is one word, then the end — but the spelled words are
invented ("Olelaconon") or, worse, may rebuild a word that fewer than `word_k` entities used.
`RareWordReplacer` swaps every letter or number piece that is not a word token for a word token
of the same shape: leading space, letters or digits, script (never a Latin word in an Arabic or
Chinese text; none of it: the word is left out), case pattern (Title, UPPER, lower) and a
similar length; a number, as many digits (a number word of that count that the texts use, else
random digits after the spelled number's leading zeros: `Customer#000000145` stays 9 digits; the
contexts' numbers, rounded to 5900, are no text's numbers). Every word of the result is then one at least `word_k` entities used, as with
word tokens only, while the text keeps the shape the model gave it.

Replacement words also keep word order real texts use, at the rate real texts do: where the
column's texts so far reuse fewer adjacent word pairs (of >= `word_k` entities) than unseen real
texts reuse (`TextColumnStats.pair_share`, measured at fit by leaving each entity out), a word is
chosen among those of its shape (failing that, of its case at any length) that form such a pair
with its neighbours ("Best" after "The"), weighted by how many entities use the pair; else any word
of its shape. Uniform choices alone give
word salad ("Frank of The One the"); pairs every time would stitch training phrases together.

A spelled word that its row's context holds (a parent's name the model copied: the album "Led
Zeppelin IV" of the artist "Led Zeppelin") is kept: it repeats a value of the data being filled,
not a word of the training texts, and real texts copy their parent's words that way.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict

import numpy as np

from relsynth.synth.text.preproc import PIECES, WORD_PIECE


def _case(word: str) -> str:
    if word.isupper() and len(word) > 1:
        return "upper"
    if word[:1].isupper():
        return "title"
    return "lower" if word.islower() else "other"


def _length_class(n: int) -> int:
    return 0 if n <= 2 else 1 if n <= 4 else 2 if n <= 7 else 3


def _script(word: str) -> str:
    """The writing system of a word, as the first word of its first letter's Unicode name: LATIN,
    CYRILLIC, ARABIC, DEVANAGARI, CJK, ... (a replacement stays in it: no Latin in a Chinese column)."""
    return unicodedata.name(word[0], "").split(" ")[0] if word else ""


def shape(piece: str) -> tuple:
    """(leading space, digits?, script, case, length class) of a letter or number piece."""
    word = piece.lstrip(" ")
    digits = word.isdigit()
    script = "" if digits else _script(word)
    return (piece.startswith(" "), digits, script, "digits" if digits else _case(word), _length_class(len(word)))


def context_words(context: str) -> frozenset[str]:
    """The letter and number words of a row's context string (without their leading space)."""
    return frozenset(p.lstrip(" ") for p in WORD_PIECE.findall(context)) if context else frozenset()


def _key(piece: str) -> str:
    """How a word pair names a piece: lower-cased, without its leading space (as `preproc.text_words`)."""
    return piece.lstrip(" ").lower()


class RareWordReplacer:
    """Replaces the pieces of a text that are not among `words` by words of the same shape.

    `pairs` ("a b" -> entities, `TextColumnStats.word_pairs`) and `pair_share` (the rate to aim at)
    make the choice prefer words that pair with their neighbours while the texts it has written so
    far (one instance per column) reuse fewer pairs than that; without them every choice is uniform."""

    def __init__(
        self,
        words: list[str],
        pairs: dict[str, int] | None = None,
        pair_share: float = 0.0,
        numbers: list[str] | None = None,
    ):
        """`numbers`: the number words a spelled number may become (`TextPreprocConfig.text_numbers`);
        None: every number among `words`."""
        self.known = set(words)
        allowed_numbers = None if numbers is None else set(numbers)
        self.by_shape: dict[tuple, list[str]] = defaultdict(list)
        self.by_coarse: dict[tuple, list[str]] = defaultdict(list)  # without the length class
        self.by_kind: dict[tuple, list[str]] = defaultdict(list)  # leading space, digits?, script only
        self.by_key: dict[str, list[tuple[str, tuple]]] = defaultdict(list)  # a pair's word -> word tokens, shapes
        self.by_digits: dict[tuple[bool, int], list[str]] = defaultdict(list)  # numbers by (space, digit count)
        for w in words:
            if WORD_PIECE.fullmatch(w):
                s = shape(w)
                if s[1] and (allowed_numbers is None or w in allowed_numbers):
                    self.by_digits[(w.startswith(" "), len(w.lstrip(" ")))].append(w)
                self.by_shape[s].append(w)
                self.by_coarse[s[:4]].append(w)
                self.by_kind[s[:3]].append(w)
                self.by_key[_key(w)].append((w, s))
        self.after: dict[str, dict[str, int]] = defaultdict(dict)  # word -> {next word: entities}
        self.before: dict[str, dict[str, int]] = defaultdict(dict)  # word -> {previous word: entities}
        for pair, n in (pairs or {}).items():
            a, b = pair.split(" ")
            self.after[a][b] = self.before[b][a] = n
        self.pair_share = pair_share
        self.pairs_seen = self.pairs_total = 0  # adjacent word pairs written so far, and those in `pairs`
        self._candidates: dict[tuple, tuple[list[str], np.ndarray] | None] = {}  # memo of `_paired`

    def __call__(self, text: str, rng: np.random.Generator, context: str = "") -> tuple[str, int]:
        """The text with its unknown words replaced, and how many were; words `context` holds stay."""
        given = context_words(context)
        # the tokenizer's pieces: a contraction ("'s") is no word to replace, nor part of one
        pieces = PIECES.findall(text)
        is_word = [bool(WORD_PIECE.fullmatch(p)) for p in pieces]
        found = [p for p, w in zip(pieces, is_word, strict=True) if w]
        keep = [p in self.known or p.lstrip(" ") in given for p in found]
        out, previous, replaced, i = [], None, 0, 0
        for piece, word in zip(pieces, is_word, strict=True):
            if not word:
                out.append(piece)
                continue
            if not keep[i]:
                following = _key(found[i + 1]) if i + 1 < len(found) and keep[i + 1] else None
                piece = self._replacement(piece, previous, following, rng)
                replaced += 1
            out.append(piece)
            i += 1
            if piece:
                previous = self._count(previous, _key(piece))
        return "".join(out), replaced

    def _count(self, previous: str | None, word: str) -> str:
        if previous is not None:
            self.pairs_total += 1
            self.pairs_seen += word in self.after.get(previous, ())
        return word

    def _replacement(self, piece: str, previous: str | None, following: str | None, rng) -> str:
        s = shape(piece)
        if s[1]:  # a number keeps its count of digits: a 9-digit account number never becomes 1800
            return self._number(piece, rng)
        if self.pairs_seen < self.pair_share * (self.pairs_total + 1):  # fewer pairs than real texts reuse
            paired = self._paired(previous, following, s)
            if paired is not None:
                words, p = paired
                return words[int(rng.choice(len(words), p=p))]
        pool = self.by_shape.get(s) or self.by_coarse.get(s[:4]) or self.by_kind.get(s[:3])
        if pool:
            return pool[int(rng.integers(len(pool)))]
        return ""  # no real word of its script at all: leave it out rather than write a spelled one

    def _number(self, piece: str, rng) -> str:
        """A number word of as many digits, else random digits: the spelled number's leading zeros
        (zero padding: 000000145), then a non-zero digit and random ones."""
        digits = piece.lstrip(" ")
        pool = self.by_digits.get((piece.startswith(" "), len(digits)))
        if pool:
            return pool[int(rng.integers(len(pool)))]
        zeros = len(digits) - len(digits.lstrip("0"))
        rest = len(digits) - zeros
        drawn = (str(rng.integers(1, 10)) + "".join(map(str, rng.integers(0, 10, rest - 1)))) if rest else ""
        return piece[: len(piece) - len(digits)] + "0" * zeros + drawn

    def _paired(self, previous: str | None, following: str | None, s: tuple) -> tuple[list[str], np.ndarray] | None:
        """The word tokens of shape `s` (else of its case, any length) that pair with a neighbour, and
        their probabilities (by the entities using those pairs); None when no word pairs."""
        memo = (previous, following, s)
        if memo not in self._candidates:
            self._candidates[memo] = None
            for same in (lambda t: t == s, lambda t: t[:4] == s[:4]):
                weight: dict[str, int] = defaultdict(int)
                for neighbours in (self.after.get(previous, {}), self.before.get(following, {})):
                    for key, n in neighbours.items():
                        for w, t in self.by_key.get(key, ()):
                            if same(t):
                                weight[w] += n
                if weight:
                    p = np.fromiter(weight.values(), dtype=float)
                    self._candidates[memo] = (list(weight), p / p.sum())
                    break
        return self._candidates[memo]

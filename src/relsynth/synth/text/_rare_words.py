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

Where the vocabulary holds fewer than `MIN_SHAPE_WORDS` words of a spelled word's case and script (a table of
a dozen departments, whose only word two entities use is the cost centres' "CC"), replacing would write those
few words in every row ("CC" as every department's name). There, given the training texts (`avoid`, as the
Kedro pipeline passes them: `NewSpellings`) and where the column's words of that case are mostly ones the
vocabulary lacks, a spelled word that copies none of the training words is kept, and one that does is
respelled from two of the column's words joined at a letter they share ("Rese|arch" and "Fin|ance" ->
"Reseance") until it copies none: a new word, which no entity used (the k-anonymous rule holds: no word
fewer than `word_k` entities used is written). Without the training texts a spelled word cannot be told
new, so it is replaced as before, and generation warns where those few words stand for most spelled words.
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property

import numpy as np

from relsynth.synth.text.preproc import PIECES, WORD_PIECE

MIN_SHAPE_WORDS = 8  # vocabulary words of a spelled word's case and script (any length) below which replacing it
#                     would write a handful of words everywhere: a new spelling is kept there (`NewSpellings`)
COPY_SHARE = 0.7  # a new spelling copies a training word where they share a run of this share of its letters
MIN_COPY_LETTERS = 4  # ... or of this many letters, whichever is more (shorter runs: any two words share them)
MOSTLY_SPELLED = 0.5  # share of a column's words of a case that the vocabulary lacks from which its spelled words
#                      of that case get new spellings (the share auto replaces a column's words from, by column)
SPLICE_TRIES = 100  # draws of two training words to join before a copied spelling is replaced as before


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


def context_spelled(text: str, context: str, known: set[str] | frozenset[str]) -> frozenset[str]:
    """The words of `text` that are no vocabulary word (`known`, as `RareWordReplacer.known`) but a word of its
    row's `context`: kept as spelled from the row's own data (a repository name spelling its owner's login,
    "alice-site"), so the text names that row's parent and no other's."""
    unknown = [p for p in PIECES.findall(text) if p not in known and WORD_PIECE.fullmatch(p)] if context else []
    if not unknown:  # most texts: no context to read
        return frozenset()
    given = context_words(context)
    return frozenset(w for p in unknown if (w := p.lstrip(" ")) in given)


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
        spellings: NewSpellings | None = None,
    ):
        """`numbers`: the number words a spelled number may become (`TextPreprocConfig.text_numbers`);
        None: every number among `words`. `spellings`: what tells a spelled word new (the training texts'
        words), where the vocabulary holds too few words of its case to replace it with; None: replaced."""
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
        self.spellings = spellings
        self.spelled = 0  # spelled words of letters given a replacement
        self.thin = 0  # ... with fewer than MIN_SHAPE_WORDS vocabulary words of their case and script (and, given
        #                `spellings`, a case whose words the vocabulary mostly lacks)
        self.thin_replaced = 0  # ... replaced by one of those few (no new spelling could be made, or none asked)

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
        self.spelled += 1
        few = len(self.by_coarse.get(s[:4], ())) < MIN_SHAPE_WORDS  # a handful of words would stand for every one
        if few and (self.spellings is None or self.spellings.mostly_spelled(piece)):
            self.thin += 1
            new = self.spellings.spelling(piece, rng) if self.spellings is not None else None
            if new is not None:
                return new
            self.thin_replaced += 1
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


class NewSpellings:
    """Spelled words that copy no word of the training texts: the spelled word itself where it copies none,
    else two of the column's training words joined at a letter they share.

    `column_words`: every word the column's training texts write, as written, as often as written; those
    `vocabulary` lacks are what is joined, and where they are most of the words of a case and script
    (`mostly_spelled`: a department's Title-case name, not Chinook's few lower-case "feat" or "von" among the
    many "of" and "the") new spellings are given at all. `training_words`: every training text's words the
    vocabulary lacks (what a spelling must not copy), or a callable giving them, called at the first check. A spelling copies a word where it equals it, holds it whole (of MIN_COPY_LETTERS letters at least), or they
    share a run of letters of COPY_SHARE of the spelling's length (at least MIN_COPY_LETTERS): "Saleses",
    "Financie" and "Salesering" copy "Sales" and "Finance", "Operales" none. A spelling shorter than the
    column's words of its case and script ("Su" where the shortest is "Sales") is no name of it either: it
    is respelled too, no longer than their longest. A spelling written before is respelled at the share of
    the column's words that are distinct (a column of names each its own repeats none; the model, trained on
    a dozen of them, wrote one new word several times)."""

    def __init__(
        self,
        column_words: list[str],
        training_words: Iterable[str] | Callable[[], Iterable[str]],
        vocabulary: Iterable[str],
    ):
        self._training_words = training_words  # a callable: read at the first word checked (`taken`)
        known = {w.lstrip(" ") for w in vocabulary}
        letters = [w for w in column_words if WORD_PIECE.fullmatch(w) and not w.isdigit()]
        spelled = [w for w in letters if w not in known]
        self.distinct_share = len(set(spelled)) / len(spelled) if spelled else 0.0
        self.written: set[str] = set()  # the spellings given so far
        by_case: dict[tuple, set[str]] = defaultdict(set)
        counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])  # (script, case) -> [words, spelled words]
        for w in letters:
            case = shape(w)[2:4]
            counts[case][0] += 1
            if w not in known:
                counts[case][1] += 1
                by_case[case].add(w)
        self.spelled_share = {case: n_spelled / n for case, (n, n_spelled) in counts.items()}
        self.shortest = {case: min(map(len, ws)) for case, ws in by_case.items()}
        self.longest = {case: max(map(len, ws)) for case, ws in by_case.items()}
        # (script, case) -> the words to join: of two letters at least (a start, and a letter to join at)
        self.by_case = {case: sorted(w for w in ws if len(w) > 1) for case, ws in by_case.items()}
        self._runs: dict[int, frozenset[str]] = {}  # run length -> every run of letters of that length

    @cached_property
    def taken(self) -> frozenset[str]:
        """Every training word, lower-cased: read once, when a spelled word is first checked (most
        columns never are: their vocabulary holds enough words of each case)."""
        words = self._training_words() if callable(self._training_words) else self._training_words
        return frozenset(w.lower() for w in words)

    def mostly_spelled(self, piece: str) -> bool:
        """Whether most of the column's words of `piece`'s script and case are ones the vocabulary lacks (or the
        column has none of them: no word of it known either)."""
        return self.spelled_share.get(shape(piece)[2:4], 1.0) >= MOSTLY_SPELLED

    def copies(self, word: str) -> bool:
        """Whether `word` (without its leading space) copies a training word (see the class)."""
        low = word.lower()
        whole = (low[i:j] for i in range(len(low)) for j in range(i + MIN_COPY_LETTERS, len(low) + 1))
        if low in self.taken or any(part in self.taken for part in whole):
            return True
        n = max(MIN_COPY_LETTERS, math.ceil(COPY_SHARE * len(low)))
        if n > len(low):
            return False
        if n not in self._runs:
            self._runs[n] = frozenset(w[i : i + n] for w in self.taken for i in range(len(w) - n + 1))
        return any(low[i : i + n] in self._runs[n] for i in range(len(low) - n + 1))

    def spelling(self, piece: str, rng: np.random.Generator) -> str | None:
        """`piece` where its word copies no training word; else the start of one of the column's words of its
        script and case and the end of another, joined at a letter they share, that copies none and has its
        shape and a length of theirs; None where SPLICE_TRIES draws found none (one word of that case)."""
        word = piece.lstrip(" ")
        space, case = piece[: len(piece) - len(word)], shape(word)
        repeat = None  # a spelling that copies no word but was written before: given where no fresh one is found
        if len(word) >= self.shortest.get(case[2:4], 0) and not self.copies(word):
            if self._fresh(word, rng):
                return self._written(piece)
            repeat = piece
        sources = self.by_case.get(case[2:4], [])
        for _ in range(SPLICE_TRIES if len(sources) > 1 else 0):
            first, second = (sources[int(i)] for i in rng.choice(len(sources), 2, replace=False))
            cut = int(rng.integers(1, len(first)))  # the first's start: at least one letter, never the whole word
            joins = [j for j in range(1, len(second)) if second[j].lower() == first[cut].lower()]
            if not joins:
                continue
            new = first[:cut] + second[joins[int(rng.integers(len(joins)))] :]
            fits = self.shortest[case[2:4]] <= len(new) <= self.longest[case[2:4]]
            if fits and shape(new)[2:4] == case[2:4] and not self.copies(new):
                if self._fresh(new, rng):
                    return self._written(space + new)
                repeat = repeat or space + new
        return repeat

    def _fresh(self, word: str, rng: np.random.Generator) -> bool:
        """Whether `word` may be written: one not written yet, or a repeat at the column's share of repeats."""
        return word not in self.written or rng.random() >= self.distinct_share

    def _written(self, piece: str) -> str:
        self.written.add(piece.lstrip(" "))
        return piece

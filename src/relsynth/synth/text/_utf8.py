"""Valid text by construction: which tokens may come next, given the bytes written so far.

A byte-level tokenizer can emit bytes that do not form UTF-8 (decoded as U+FFFD), split a
multi-byte character, or write a control character. `Utf8Mask` tracks, per row being sampled,
the *pending* bytes of an unfinished character (0 to 3 bytes) as a small integer state, and
gives the tokens allowed in that state: those whose bytes continue or complete a valid UTF-8
sequence and write no forbidden character. A forbidden character is one of Unicode category
C* (control, format, surrogate, private use, unassigned) or U+FFFD that the column's training
texts never held; a token may leave bytes pending only if some character they begin is allowed
(F1 A4 81 begins only unassigned code points: nothing could follow it). `end` is allowed only
when nothing is pending. States are discovered lazily
(texts are mostly ASCII: a handful of states), each costing one pass over the vocabulary.

With `word_ids` (the word tokens), letters come from word tokens only: a token that is not a
word may write no letter (nor a multi-byte character it does not complete), and a word token
without a leading space may not follow a letter. Every generated word is then a vocabulary
word (used by >= k entities), recombined, never a spelt-out fragment. The state also records
whether the last character written was a letter a word would join (not a Han character, each a word).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache

import numpy as np
import torch

REJECT = -1


def forbidden_char(ch: str, allowed: str | frozenset[str] = "") -> bool:
    """Whether `ch` is a character generated text must not hold unless the column had it."""
    return ch not in allowed and (ch == "\ufffd" or unicodedata.category(ch).startswith("C"))


def unusual_chars(texts) -> str:
    """The characters of `texts` that `forbidden_char` would forbid (sorted, as one string)."""
    seen = set()
    for t in texts:
        seen.update(t)
    return "".join(sorted(c for c in seen if forbidden_char(c)))


_EMBEDDINGS = "\u202a\u202b\u202d\u202e"  # LRE, RLE, LRO, RLO: closed by PDF
_ISOLATES = "\u2066\u2067\u2068"  # LRI, RLI, FSI: closed by PDI (which closes the embeddings opened inside too)
_PDF, _PDI = "\u202c", "\u2069"
_PARAGRAPH = "\n\r\x1c\x1d\x1e\x85\u2029"  # where every open embedding and isolate ends (UAX #9)
_BIDI = frozenset(_EMBEDDINGS + _ISOLATES + _PDF + _PDI)


def paired_bidi(text: str) -> str:
    """`text` without the bidi embeddings and isolates it opens and never closes within their
    paragraph, nor closers of nothing open. The model writes these controls one token at a time,
    so it can open `RLI world` and end the text: pasted before other text, such a value turns it
    right to left too. Dropping (not closing) them never makes a text longer than its column allows."""
    if not _BIDI.intersection(text):
        return text
    drop, open_at = set(), []  # positions of the openers not yet closed
    for i, ch in enumerate(text):
        if ch in _PARAGRAPH:
            drop.update(open_at)
            open_at = []
        elif ch in _EMBEDDINGS or ch in _ISOLATES:
            open_at.append(i)
        elif ch == _PDI:
            isolates = [k for k, j in enumerate(open_at) if text[j] in _ISOLATES]
            if isolates:
                open_at = open_at[: isolates[-1]]  # the embeddings inside close with it (UAX #9)
            else:
                drop.add(i)
        elif ch == _PDF:
            if open_at and text[open_at[-1]] in _EMBEDDINGS:
                open_at.pop()
            else:
                drop.add(i)
    drop.update(open_at)
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # CJK unified and compatibility ideographs
_HAN = re.compile(f"[{HAN}]")


def is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def is_mark(ch: str) -> bool:
    """A combining mark (accent, vowel sign, variation selector): it belongs to the character before it."""
    return unicodedata.category(ch)[0] == "M"


def marks_attached(text: str, base: bool) -> bool:
    """Whether every combining mark of `text` follows a character it can combine with (`base`: the
    character before `text` can; at a text's start or after whitespace a mark would stand alone)."""
    for ch in text:
        if is_mark(ch) and not base:
            return False
        base = not ch.isspace()
    return True


def joins_words(ch: str) -> bool:
    """Whether a word written right after `ch` would make one word with it: after a letter, but
    not after a Han character, each of which is a word of its own (`preproc.WORD_PIECE`)."""
    return is_letter(ch) and not _HAN.match(ch)


def step(pending: bytes, token: bytes, allowed: frozenset[str]) -> tuple[bytes, str] | None:
    """(pending bytes, characters completed) after writing `token` with `pending` unfinished, or
    None when invalid."""
    if not token:
        return pending, ""
    buf = pending + token
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        text = dec.decode(buf, final=False)
    except UnicodeDecodeError:
        return None
    if any(forbidden_char(c, allowed) for c in text):
        return None
    rest = dec.getstate()[0]
    if len(rest) >= 2 and rest[0] == 0xED and rest[1] >= 0xA0:  # a surrogate half: never valid UTF-8
        return None
    return rest, text


_LENGTH_OF_LEAD = ((0xC0, 2, 0x1F), (0xE0, 3, 0x0F), (0xF0, 4, 0x07))  # lead byte mask, length, value bits


@lru_cache(maxsize=256)
def completable(pending: bytes, allowed: frozenset[str], mark_ok: bool = True) -> bool:
    """Whether the unfinished character `pending` (a valid UTF-8 prefix) can end as a character
    that is not forbidden (nor a combining mark unless `mark_ok`): one code point of the range it
    begins must be allowed."""
    lead = pending[0]
    length, bits = next((n, b) for m, n, b in reversed(_LENGTH_OF_LEAD) if lead & m == m)
    value = lead & bits
    for b in pending[1:]:
        value = value << 6 | (b & 0x3F)
    missing = length - len(pending)
    lo, hi = value << 6 * missing, (value << 6 * missing) | ((1 << 6 * missing) - 1)
    return any(
        not forbidden_char(chr(c), allowed) and (mark_ok or not is_mark(chr(c)))
        for c in range(lo, min(hi, 0x10FFFF) + 1)
        if not 0xD800 <= c <= 0xDFFF
    )


class Utf8Mask:
    """Allowed-token masks and state transitions over a vocabulary given as bytes per token.

    `token_bytes[i]` is the bytes token i writes (b"" for special tokens, which the caller bans
    or handles itself). State 0 is "nothing pending", at a text's start.

    A state is (pending bytes, last character a letter a word would join, last character one a
    combining mark may follow): a mark never starts a text nor follows whitespace (a lone accent or
    vowel sign), neither written by one token nor completed from pending bytes.
    """

    def __init__(
        self,
        token_bytes: list[bytes],
        allowed_chars: str = "",
        device: torch.device | str = "cpu",
        word_ids: frozenset[int] | None = None,
    ):
        self.token_bytes = token_bytes
        self.allowed = frozenset(allowed_chars)
        self.device = device
        self.word_ids = word_ids
        self.states: list[tuple[bytes, bool, bool]] = [(b"", False, False)]  # (pending, after letter, after base)
        self.ids: dict[tuple[bytes, bool, bool], int] = {(b"", False, False): 0}
        self.next: list[np.ndarray | None] = [None]  # per state: next state of each token (REJECT: banned)
        self._table: torch.Tensor | None = None  # (built states, V) banned masks, stacked

    def _state(self, key: tuple[bytes, bool, bool]) -> int:
        if key not in self.ids:
            self.ids[key] = len(self.states)
            self.states.append(key)
            self.next.append(None)
        return self.ids[key]

    def _build(self, s: int) -> None:
        pending, after_letter, after_base = self.states[s]
        nxt = np.full(len(self.token_bytes), REJECT, dtype=np.int64)
        words = self.word_ids
        for i, tb in enumerate(self.token_bytes):
            if not tb:
                nxt[i] = s
                continue
            res = step(pending, tb, self.allowed)
            if res is None:
                continue
            rest, text = res
            base = not text[-1].isspace() if text else after_base
            if not marks_attached(text, after_base) or (rest and not completable(rest, self.allowed, base)):
                continue
            if words is not None:
                if i in words:
                    if after_letter and joins_words(text[0]):
                        continue
                elif rest or any(is_letter(c) for c in text):
                    continue
            nxt[i] = self._state((rest, joins_words(text[-1]) if text else after_letter, base))
        self.next[s] = nxt

    def _ready(self, states: np.ndarray) -> None:
        todo = [int(s) for s in np.unique(states) if self.next[int(s)] is None]
        for s in todo:
            self._build(s)
        if todo or self._table is None or len(self._table) < len(self.states):
            empty = np.zeros(len(self.token_bytes), dtype=np.int64)  # a state not built yet: never indexed
            rows = [n if n is not None else empty for n in self.next]
            self._table = torch.from_numpy(np.stack(rows) == REJECT).to(self.device)

    def pending(self, states: np.ndarray) -> np.ndarray:
        """Whether each state has bytes of an unfinished character pending (`end` must wait)."""
        return np.array([bool(self.states[int(s)][0]) for s in states], dtype=bool)

    def banned(self, states: np.ndarray) -> torch.Tensor:
        """(B, V) boolean: True where a token may not follow the row's state."""
        self._ready(states)
        return self._table[torch.from_numpy(np.asarray(states, dtype=np.int64)).to(self.device)]

    def advance(self, states: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """The states after each row wrote its token (which `banned` allowed)."""
        self._ready(states)
        return np.array([self.next[int(s)][int(t)] for s, t in zip(states, tokens, strict=True)], dtype=np.int64)

    def run(self, tokens: list[int]) -> int:
        """The state after `tokens` from state 0 (REJECT if they are invalid)."""
        s = 0
        for t in tokens:
            self._ready(np.array([s]))
            s = int(self.next[s][t])
            if s == REJECT:
                return REJECT
        return s

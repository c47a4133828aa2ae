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
without a leading space may not follow a letter (a copy token may: it writes the row's parent's
word, such as the pieces of its code, `acme` + `290`). Every generated word is then a vocabulary
word (used by >= k entities), recombined, never a spelt-out fragment. The state also records
whether the last character written was a letter a word would join (not a Han character, each a word).

With `scripts` (the sets of writing systems the column's texts hold together, `text_scripts`), the state
also records the scripts of the letters written so far, and a token may not add a script no training
text holds with them: an Arabic review never takes a Hebrew or Cyrillic word, a Chinese one no Thai.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import lru_cache

import numpy as np
import torch

REJECT = -1
State = tuple[bytes, bool, bool, frozenset[str]]


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


def script(ch: str) -> str | None:
    """The writing system of a letter, as the first word of its Unicode name (LATIN, CYRILLIC, ARABIC,
    CJK, HIRAGANA, ...); None for anything else (digits, punctuation, emoji, marks: no script of their own)."""
    if unicodedata.category(ch)[0] != "L":
        return None
    return unicodedata.name(ch, "").split(" ")[0] or None


def text_scripts(texts) -> list[list[str]]:
    """The sets of scripts `texts` write together, sorted, keeping only those no other set holds (a text
    in Japanese holds CJK, HIRAGANA and KATAKANA; one of CJK alone fits in it)."""
    found = {frozenset(s for s in map(script, t) if s) for t in texts}
    widest = [s for s in found if s and not any(s < other for other in found)]
    return sorted(sorted(s) for s in widest)


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
def completable(
    pending: bytes,
    allowed: frozenset[str],
    mark_ok: bool = True,
    written: frozenset[str] = frozenset(),
    held: tuple[frozenset[str], ...] | None = None,
) -> bool:
    """Whether the unfinished character `pending` (a valid UTF-8 prefix) can end as a character
    that is not forbidden (nor a combining mark unless `mark_ok`, nor a letter of a script that no set
    of `held` holds with the scripts `written`; None: any): one code point of the range it begins must
    be allowed."""
    lead = pending[0]
    length, bits = next((n, b) for m, n, b in reversed(_LENGTH_OF_LEAD) if lead & m == m)
    value = lead & bits
    for b in pending[1:]:
        value = value << 6 | (b & 0x3F)
    missing = length - len(pending)
    lo, hi = value << 6 * missing, (value << 6 * missing) | ((1 << 6 * missing) - 1)
    return any(
        not forbidden_char(chr(c), allowed) and (mark_ok or not is_mark(chr(c))) and _fits(chr(c), written, held)
        for c in range(lo, min(hi, 0x10FFFF) + 1)
        if not 0xD800 <= c <= 0xDFFF
    )


def _fits(ch: str, written: frozenset[str], held: tuple[frozenset[str], ...] | None) -> bool:
    """Whether `ch` may follow letters of the scripts `written` (`held`: the sets texts hold; None: any)."""
    s = script(ch) if held is not None else None
    return s is None or s in written or any(written | {s} <= h for h in held)


class Utf8Mask:
    """Allowed-token masks and state transitions over a vocabulary given as bytes per token.

    `token_bytes[i]` is the bytes token i writes (b"" for special tokens, which the caller bans
    or handles itself). State 0 is "nothing pending", at a text's start.

    A state is (pending bytes, last character a letter a word would join, last character one a
    combining mark may follow, scripts written): a mark never starts a text nor follows whitespace (a lone
    accent or vowel sign), neither written by one token nor completed from pending bytes. `scripts` (the
    column's `text_scripts`; None or empty: any) bans a token whose letters would make the text's scripts
    a set no training text holds; tokens from `script_free` on (copy tokens: a word of the row's parent,
    whatever its script) count none.
    """

    def __init__(
        self,
        token_bytes: list[bytes],
        allowed_chars: str = "",
        device: torch.device | str = "cpu",
        word_ids: frozenset[int] | None = None,
        scripts: list[list[str]] | None = None,
        script_free: int | None = None,
    ):
        self.token_bytes = token_bytes
        self.allowed = frozenset(allowed_chars)
        self.device = device
        self.word_ids = word_ids
        # one set (a column in one script): every token its texts are written with keeps to it, nothing to mask
        self.scripts = tuple(frozenset(s) for s in scripts) if scripts and len(scripts) > 1 else None
        self.script_free = len(token_bytes) if script_free is None else script_free
        start: State = (b"", False, False, frozenset())  # (pending, after letter, after base, scripts written)
        self.states: list[State] = [start]
        self.ids: dict[State, int] = {start: 0}
        self.next: list[np.ndarray | None] = [None]  # per state: next state of each token (REJECT: banned)
        self._table: torch.Tensor | None = None  # (built states, V) banned masks, stacked
        self._move_cache: dict[tuple[bytes, bool, bool], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._keys: list[tuple[bytes, bool, bool]] = []  # (pending, after letter, after base) of the moves
        self._key_ids: dict[tuple[bytes, bool, bool], int] = {}
        self._sets: list[frozenset[str]] = [frozenset()]  # the scripts a token's letters are written in
        self._set_ids: dict[frozenset[str], int] = {frozenset(): 0}

    def _state(self, key: State) -> int:
        if key not in self.ids:
            self.ids[key] = len(self.states)
            self.states.append(key)
            self.next.append(None)
        return self.ids[key]

    def _build(self, s: int) -> None:
        """The next state of every token from state `s`: its moves without scripts (built once per
        (pending, after letter, after base), `_moves`), then the scripts they add, checked per set."""
        pending, after_letter, after_base, written = self.states[s]
        ok, nxt3, added = self._moves((pending, after_letter, after_base))
        nxt = np.full(len(self.token_bytes), REJECT, dtype=np.int64)
        pairs, where = np.unique(np.stack([nxt3[ok], added[ok]]), axis=1, return_inverse=True)
        targets = np.array([self._target(self._keys[k], written, self._sets[a]) for k, a in pairs.T], dtype=np.int64)
        nxt[ok] = targets[where.reshape(-1)]
        self.next[s] = nxt

    def _target(self, key: tuple[bytes, bool, bool], written: frozenset[str], added: frozenset[str]) -> int:
        """The state after a move to `key` that writes letters of the scripts `added` (REJECT: no training
        text holds them with those `written`, now or once the pending character completes)."""
        scripts = written | added
        if self.scripts is not None and added - written and not any(scripts <= held for held in self.scripts):
            return REJECT
        rest, base = key[0], key[2]
        if rest and self.scripts is not None and not completable(rest, self.allowed, base, scripts, self.scripts):
            return REJECT
        return self._state((*key, scripts if self.scripts is not None else written))

    def _moves(self, key: tuple[bytes, bool, bool]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per token from (pending, after letter, after base): allowed, the (pending, after letter, after
        base) it leads to (index into `_keys`) and the scripts of the letters it writes (into `_sets`)."""
        if key in self._move_cache:
            return self._move_cache[key]
        pending, after_letter, after_base = key
        n = len(self.token_bytes)
        ok, nxt3, added = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        words = self.word_ids
        for i, tb in enumerate(self.token_bytes):
            if not tb:
                ok[i], nxt3[i] = True, self._key_id(key)
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
                    # a copy token (from script_free on) may: it writes its row's parent's word, not a word token
                    # recombined, and a parent's code glues its pieces (`acme` + `290` of `acme290.com`)
                    if after_letter and joins_words(text[0]) and i < self.script_free:
                        continue
                elif rest or any(is_letter(c) for c in text):
                    continue
            ok[i], nxt3[i] = True, self._key_id((rest, joins_words(text[-1]) if text else after_letter, base))
            if i < self.script_free:  # a copy token writes its row's word: no script of its own
                added[i] = self._set_id(frozenset(sc for sc in map(script, text) if sc))
        self._move_cache[key] = ok, nxt3, added
        return ok, nxt3, added

    def _key_id(self, key: tuple[bytes, bool, bool]) -> int:
        if key not in self._key_ids:
            self._key_ids[key] = len(self._keys)
            self._keys.append(key)
        return self._key_ids[key]

    def _set_id(self, scripts: frozenset[str]) -> int:
        if scripts not in self._set_ids:
            self._set_ids[scripts] = len(self._sets)
            self._sets.append(scripts)
        return self._set_ids[scripts]

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


ZWJ = "\u200d"
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_FLAGS = range(0x1F1E6, 0x1F200)  # regional indicators: a flag is two of them
_TAGS = range(0xE0020, 0xE0080)  # a subdivision flag: black flag, tag letters, cancel tag (U+E007F)
_BLACK_FLAG = "\U0001f3f4"


def _pictograph(ch: str) -> bool:
    """A character an emoji sequence joins (its Unicode category is a symbol: So)."""
    return unicodedata.category(ch) == "So"


def _joinable(ch: str) -> bool:
    """What may stand before a joiner in an emoji sequence: a pictograph, its skin tone or its emoji
    presentation selector (U+FE0F)."""
    return _pictograph(ch) or ord(ch) in _SKIN_TONES or ch == "\ufe0f"


def whole_emoji(text: str) -> str:
    """`text` without the parts of emoji sequences the model left broken, one token at a time: a joiner
    (U+200D) that joins no two pictographs (nor two letters, as in Indic and Arabic scripts), a skin tone
    after no pictograph, the odd regional indicator of a run (half a flag), tags not closing a black
    flag's subdivision. Each shows as a stray box or as nothing; dropping never makes a text longer."""
    if not any(ch == ZWJ or ord(ch) in _SKIN_TONES or ord(ch) in _FLAGS or ord(ch) in _TAGS for ch in text):
        return text
    keep = [True] * len(text)
    run = 0  # regional indicators in a row
    for i, ch in enumerate(text):
        prev, nxt, o = text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else "", ord(ch)
        if ch == ZWJ:
            emoji = bool(prev and nxt) and _joinable(prev) and _pictograph(nxt)
            letters = bool(prev and nxt) and is_letter(prev) | is_mark(prev) and is_letter(nxt) | is_mark(nxt)
            keep[i] = emoji or letters
        elif o in _SKIN_TONES:
            keep[i] = bool(prev) and _pictograph(prev)
        run = run + 1 if o in _FLAGS else 0
        if o in _FLAGS and run % 2 and not (nxt and ord(nxt) in _FLAGS):
            keep[i] = False  # the last of an odd run
    i = 0
    while i < len(text):  # tag runs: after a black flag, ended by the cancel tag
        if ord(text[i]) in _TAGS:
            j = i
            while j < len(text) and ord(text[j]) in _TAGS:
                j += 1
            if not (i and text[i - 1] == _BLACK_FLAG and text[j - 1] == "\U000e007f" and j - i > 1):
                keep[i:j] = [False] * (j - i)
            i = j
        else:
            i += 1
    return "".join(ch for ch, k in zip(text, keep, strict=True) if k)

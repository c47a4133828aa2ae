"""JSON documents held in a text column (a product's attributes, a profile): the model writes them
token by token like any text, so a generated one may not parse (a broken `\\u` escape, a missing
brace); generation samples those again where every training value is one. A key whose number is,
in every training document, a number of the row or of its parent row (a payment event's amount,
its order's total) is written from that number (`document_numbers`).

Documents written with their non-ASCII characters escaped (`"\\u0627\\u0644"`, Python's `json.dumps`
default) are modelled with the characters themselves (`unescaped`): escapes are ASCII tokens, so the
model spelt Arabic or Chinese code point by code point, outside the word tokens that keep every word
one many entities use, and 67 of 76 words it wrote so were no word of the data (none of 439 in
documents written plainly). Generation escapes them again in the column's share (`escaped`)."""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np
import pandas as pd

from relsynth.relational.numbers import to_numbers


def is_document(text: str) -> bool:
    """Whether `text` parses as a JSON object or array (a bare number or string is no document)."""
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:  # JSONDecodeError, and a lone surrogate escape that no string can hold
        return False
    return True


def all_documents(values: list[str]) -> bool:
    """Whether every non-empty value is a JSON document (and at least one is)."""
    filled = [v for v in values if v != ""]
    return bool(filled) and all(is_document(v) for v in filled)


_ESCAPE = re.compile(r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|.)")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _plain(ch: str) -> bool:
    """A non-ASCII character a JSON string may hold as itself: a letter, mark, symbol or space, not
    a control, format, private or line separator character (kept escaped, as the source wrote it)."""
    return ord(ch) >= 0x80 and unicodedata.category(ch)[0] not in "CZ"


def unescaped(text: str) -> str:
    """`text` (a JSON document) with each `\\u` escape of a plain non-ASCII character (a surrogate pair
    for one past U+FFFF) written as the character: the same document (`json.loads` gives it back
    equal); other escapes (`\\n`, `\\"`, `\\u0022`, a lone surrogate) stay as they are."""
    if "\\u" not in text:
        return text

    def plain(m: re.Match) -> str:
        high, low, one = m.groups()
        if one is None and high is None:
            return m.group(0)  # \\, \", \n ...: left as written
        ch = chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + int(low, 16) - 0xDC00) if high else chr(int(one, 16))
        return ch if not 0xD800 <= ord(ch) <= 0xDFFF and _plain(ch) else m.group(0)

    return _ESCAPE.sub(plain, text)


def escapes(text: str) -> bool | None:
    """Whether a JSON document writes its plain non-ASCII characters escaped (None: it holds none)."""
    plain = unescaped(text)
    if not _NON_ASCII.search(plain):
        return None
    return plain != text


def escaped(text: str) -> str:
    """`text` with every non-ASCII character written as a `\\u` escape, as `json.dumps` writes it (a joiner
    between two escaped emoji too: left as itself, a document would be half escaped)."""

    def escape(m: re.Match) -> str:
        c = ord(m.group(0))
        if c <= 0xFFFF:
            return f"\\u{c:04x}"
        c -= 0x10000
        return f"\\u{0xD800 + (c >> 10):04x}\\u{0xDC00 + (c & 0x3FF):04x}"

    return _NON_ASCII.sub(escape, text)


def escaped_share(values: list[str]) -> float:
    """The share of the documents holding a plain non-ASCII character that write them escaped."""
    found = [e for e in map(escapes, values) if e is not None]
    return float(np.mean(found)) if found else 0.0


MIN_ROWS = 20  # documents holding a key, at least, for its number to be read as a column's


def document_numbers(texts: list[str | None], numbers: pd.DataFrame) -> list[list[str]]:
    """[[key, column], ...]: each top-level key of the documents (`texts`, one per row of `numbers`,
    None: null) whose number is, in every document holding it (`MIN_ROWS` at least), the row's
    number `column` (its own, or its parent's: `numbers`' columns): a paid event's amount, its
    order's total. The model writes the digits it learnt, not the row's (0 of 120 generated
    payloads held their order's total); generation writes them from the row (`write_document_numbers`)."""
    held: dict[str, list[tuple[int, float]]] = {}
    for i, doc in enumerate(_parsed(texts)):
        for key, value in doc.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                held.setdefault(key, []).append((i, float(value)))
    out = []
    for key, pairs in held.items():
        if len(pairs) < MIN_ROWS:
            continue
        rows, values = np.array([r for r, _ in pairs]), np.array([v for _, v in pairs])
        for col in numbers.columns:
            x = to_numbers(numbers[col]).to_numpy(dtype=np.float64, na_value=np.nan)[rows]
            if np.isclose(values, x, rtol=1e-9, atol=1e-9).all():  # a missing number matches nothing
                out.append([key, str(col)])
                break
    return out


def write_document_numbers(texts: np.ndarray, numbers: pd.DataFrame, rules: list[list[str]]) -> int:
    """Set (in place) in each document of `texts` (one per row of `numbers`) the number of each
    rule's key to its row's number, written as JSON writes it, where the row holds it and the key
    is written once in the text (a nested key of the same name is left as it is); the numbers so written."""
    done = 0
    for i, doc in enumerate(_parsed(list(texts))):
        for key, col in rules:
            value = numbers[col].iloc[i] if col in numbers else None
            if key not in doc or pd.isna(value) or texts[i].count(json.dumps(key)) != 1:
                continue
            number = json.dumps(int(value) if float(value).is_integer() and isinstance(doc[key], int) else float(value))
            pattern = re.compile("(" + re.escape(json.dumps(key)) + r"\s*:\s*)-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
            texts[i], n = pattern.subn(lambda m, number=number: m.group(1) + number, texts[i], count=1)
            done += n
    return done


def _parsed(texts: list[str | None]) -> list[dict]:
    """Each text as a JSON object ({} where it is null, not one, or no object)."""
    out = []
    for t in texts:
        doc = json.loads(t) if isinstance(t, str) and is_document(t) else {}
        out.append(doc if isinstance(doc, dict) else {})
    return out

"""JSON documents held in a text column (a product's attributes, a profile): the model writes them
token by token like any text, so a generated one may not parse (a broken `\\u` escape, a missing
brace); generation samples those again where every training value is one. A key whose number is,
in every training document, a number of the row or of its parent row (a payment event's amount,
its order's total) is written from that number (`document_numbers`)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd


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
            x = pd.to_numeric(numbers[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)[rows]
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

"""JSON documents held in a text column (a product's attributes, a profile): the model writes them
token by token like any text, so a generated one may not parse (a broken `\\u` escape, a missing
brace); generation samples those again where every training value is one."""

from __future__ import annotations

import json


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

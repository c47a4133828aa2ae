"""HTML or XML markup held in a text column (a post's body, a profile's `about_me`): the model writes its tags
token by token like any word, so a briefly trained one skips a closing tag or closes one it never opened
(`<p>Blog: <a href="...">nils: <a></p>`): 13 % of a Stack Exchange-like database's generated post bodies and
11 % of its profiles, where 1 % and none of the real ones. Where the column's texts close their tags, generation
samples a text whose tags do not nest again, as it does a JSON document that does not parse (`_json`)."""

from __future__ import annotations

import re

MIN_TEXTS = 20  # texts closing a tag, at least, for a column to be one of markup
MIN_BALANCED = 0.95  # share of the texts holding a tag whose tags nest, at least (a stray `<lambda>` in a docstring)
# elements without a closing tag in HTML (`<br>`, `<img src=...>`): never on the stack
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)(?:\s[^<>]*)?(/?)>")


def balanced(text: str) -> bool:
    """Whether every tag of `text` that opens is closed, innermost first, and none closes unopened
    (void and self-closing `<br/>` tags aside; tag names read case-insensitively)."""
    stack: list[str] = []
    for closing, name, self_closing in TAG.findall(text):
        name = name.lower()
        if self_closing or name in VOID:
            continue
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


def is_markup(values: list[str]) -> bool:
    """Whether the texts are markup whose tags nest: at least MIN_TEXTS close a tag, and at least
    MIN_BALANCED of those holding a tag are `balanced` (a list of `<python><pandas>` labels closes none)."""
    tagged = [v for v in values if TAG.search(v)]
    closing = sum(any(c for c, _, _ in TAG.findall(v)) for v in tagged)
    return closing >= MIN_TEXTS and sum(map(balanced, tagged)) >= MIN_BALANCED * len(tagged)

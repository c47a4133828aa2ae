"""A text column holding a list of labels joined by one separator: MovieLens' genres,
`Action|Adventure|Sci-Fi`, each label one of a few, none twice in a list, in alphabetical order.

The text model writes the list a word at a time, so it repeated a label or left the order in
5 % and 8.5 % of 600 generated genre lists of a MovieLens-like table (a small model, 8 epochs;
`Documentary|Documentary|Sci-Fi`) and wrote a label no row holds into 2 % (never in the data).
The fit keeps (`label_list`) the separator (`SEPARATORS`, as written with its spaces) that
`MIN_LISTS` of the texts hold, where at least `MIN_ROWS` texts split by it into labels each
used by `MIN_USES` rows at least and holding a letter (rare ones: `MAX_RARE` of the labels written
at most, left out of the kept labels so that no rare label is replayed), whether no list repeats a label
(`distinct`) and whether every list is in alphabetical order (`sorted`). Generation rewrites each
generated list: labels not kept dropped (a list left with none stays as written), repeats
dropped, sorted where the data's are (`write_label_lists`).

Labels may also be each wrapped in brackets with nothing between them (`WRAPPERS`): Stack Exchange's tags,
`<python><pandas>`, where `MIN_WRAPPED` of the texts are wholly such labels (a text of one label holds no
separator); 10.6 % of 367 generated tag lists of a Stack Exchange-like database repeated a tag
(`<numpy><numpy><numpy>`; Kedro's defaults), none of the data's.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

SEPARATORS = ("|", ";", ",", "/")
WRAPPERS = (("<", ">"), ("[", "]"))  # labels wrapped each, written one after the other: `<python><pandas>`
MIN_WRAPPED = 0.95  # share of the texts that are wholly wrapped labels, at least
MIN_ROWS = 20  # texts, at least
MIN_LISTS = 0.2  # share of the texts holding the separator (lists of two labels or more), at least
MIN_USES = 5  # rows a label is written in, at least, to be kept (as rare categories are protected)
MAX_RARE = 0.01  # share of the labels written that are rarer, at most: else the texts are no lists of labels
MAX_LABELS = 200  # distinct labels, at most


def label_list(texts: list[str]) -> dict | None:
    """{"separator", "joiner", "labels", "distinct", "sorted"} (and "wrap": [opener, closer] for wrapped labels)
    for texts that are lists of labels (see the module docstring); None otherwise."""
    texts = [t for t in texts if isinstance(t, str) and t]
    if len(texts) < MIN_ROWS:
        return None
    for sep in SEPARATORS:
        if np.mean([sep in t for t in texts]) < MIN_LISTS:
            continue
        joiners = Counter(m for t in texts for m in re.findall(rf"\s*{re.escape(sep)}\s*", t))
        rule = _labels_rule(texts, {"separator": sep, "joiner": joiners.most_common(1)[0][0]})
        if rule:
            return rule
    for wrap in WRAPPERS:
        whole = _wrapped(wrap, full=True)
        if np.mean([whole.fullmatch(t) is not None for t in texts]) >= MIN_WRAPPED:
            rule = _labels_rule(texts, {"separator": "", "joiner": "", "wrap": list(wrap)})
            if rule:
                return rule
    return None


def _labels_rule(texts: list[str], rule: dict) -> dict | None:
    """`rule` with the labels, `distinct` and `sorted` of the texts split by it, or None where they are no
    labels (rare, too many, or without a letter)."""
    lists = [_items(t, rule) for t in texts]
    uses = Counter(x for items in lists for x in set(items))
    written = sum(len(items) for items in lists)
    kept = sorted(x for x, n in uses.items() if n >= MIN_USES and x)
    rare = sum(1 for items in lists for x in items if x not in set(kept))
    if not kept or len(kept) > MAX_LABELS or rare > MAX_RARE * written or not all(map(_worded, kept)):
        return None
    return {
        **rule,
        "labels": kept,
        "distinct": all(len(set(items)) == len(items) for items in lists),
        "sorted": all(items == sorted(items) for items in lists),
    }


def _wrapped(wrap: tuple[str, str] | list[str], full: bool = False) -> re.Pattern:
    """One label wrapped by `wrap` (its text the group), or (`full`) a whole text of them."""
    o, c = map(re.escape, wrap)
    one = rf"{o}([^{o}{c}]*){c}"
    return re.compile(f"(?:{one})+" if full else one)


def _items(text: str, rule: dict) -> list[str]:
    """The labels of a text, as the rule splits it."""
    if rule.get("wrap"):
        return _wrapped(rule["wrap"]).findall(text)
    return [x.strip() for x in text.split(rule["separator"])]


def _joined(items: list[str], rule: dict) -> str:
    if rule.get("wrap"):
        o, c = rule["wrap"]
        return "".join(f"{o}{x}{c}" for x in items)
    return rule["joiner"].join(items)


def _worded(label: str) -> bool:
    """Whether a label holds a letter: a list of numbers or dates' parts ('2020/01/31') is no list of labels."""
    return any(ch.isalpha() for ch in label)


def write_label_lists(values: np.ndarray, rule: dict | None) -> int:
    """Rewrite (in place) each text of `values` as a list of the rule's labels (see the module
    docstring); the texts changed."""
    if not rule:
        return 0
    labels, changed = set(rule["labels"]), 0
    for i, text in enumerate(values):
        if not isinstance(text, str) or not text:
            continue
        items = [x for x in _items(text, rule) if x in labels]
        if not items:
            continue  # nothing of the labels: the model's text stays
        if rule["distinct"]:
            items = list(dict.fromkeys(items))
        if rule["sorted"]:
            items = sorted(items)
        new = _joined(items, rule)
        changed += new != text
        values[i] = new
    return changed

"""A row's place among its parent's rows, where its texts tell it: a ticket's first message opens it
("Good morning, my parcel has not arrived"), a later one follows up ("That solved the problem").

A context holds the row's values and its parent's, the same for a ticket's first customer message and
its later ones, so a text model wrote either anywhere: 0.65 of the generated first messages opened
their ticket and 0.64 of the later customer messages did too (real 1.0 and 0.0). Where words of the
texts are held by first rows only, or by later rows only, more often than chance would ever give
(`FIRST_CHANCE`), and they mark at least `FIRST_COVER` of those rows, the context also shows whether
the row is its parent's first in the table's order (`FIRST_LABEL`): generation writes a table's rows
in their siblings' order, so a generated first row is the one its context says.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

FIRST_LABEL = "<first>"  # the context field's label: no column name of the data (a column so named: no field)
FIRST_CHANCE = 1e-9  # a word held by n texts, all first rows (or none), where a share p of them is: p^n at most
FIRST_COVER = 0.1  # such words mark at least this share of the first (or the later) rows' texts


def first_rows(parent_keys: pd.Series) -> np.ndarray:
    """Whether each row is the first of its parent's rows in the table's order (one without a parent: True)."""
    return (~parent_keys.duplicated() | parent_keys.isna()).to_numpy()


def first_value(first: np.ndarray) -> np.ndarray:
    """The context field's value of each row: "yes" for a parent's first row, else "no"."""
    return np.where(first, "yes", "no").astype(object)


def texts_tell_first(words: list[set[str]], first: np.ndarray) -> bool:
    """Whether the words of the rows' texts (`words`, one set a row; empty: no text) tell a parent's first
    row from its later ones: words only first rows hold, or only later rows, beyond chance, marking at
    least FIRST_COVER of them."""
    held = np.array([bool(w) for w in words])
    n_first, n_later = int((first & held).sum()), int((~first & held).sum())
    if not n_first or not n_later:
        return False
    share = n_first / (n_first + n_later)
    all_rows, in_first = Counter(), Counter()
    for w, f in zip(words, first, strict=True):
        all_rows.update(w)
        if f:
            in_first.update(w)
    only_first = {w for w, n in all_rows.items() if in_first[w] == n and share**n <= FIRST_CHANCE}
    only_later = {w for w, n in all_rows.items() if not in_first[w] and (1 - share) ** n <= FIRST_CHANCE}
    marked_first = sum(bool(w & only_first) for w, f in zip(words, first, strict=True) if f)
    marked_later = sum(bool(w & only_later) for w, f in zip(words, first, strict=True) if not f)
    return marked_first >= FIRST_COVER * n_first or marked_later >= FIRST_COVER * n_later

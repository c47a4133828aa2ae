"""Texts built from other values of their row: a full name, its first and last names; initials; an email,
first.last at one of a few domains, in half the rows (`relational.derived_codes`, fitted on the text columns).

The model writes a text word by word, so a generated full name matched its row's generated first and last
names in no row. The fit keeps, per text column, the template of the row's other values (its other texts,
labels, codes, keys) that writes it beyond chance, and the share of the rows it writes; generation writes
that share of the rows from the row's *generated* values (never a training row's) and samples the rest. A
template's text sources are written first (`derived_last`): a column a template writes is never a piece of
another. A derived text holds of a training row only what its generated sources hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational.derived_codes import find_derived_codes, template_texts

MIN_COUNT = 5  # rows each label of a template's slot (an email's domain) is held by, at least


def fit_derived_texts(df: pd.DataFrame, texts: list[str], sources: list[str]) -> dict[str, dict]:
    """{text column: template} for the columns of `texts` that a template of `sources` (the row's other
    texts, labels, codes, keys) writes beyond chance (`find_derived_codes`)."""
    return find_derived_codes(df, texts, sources, MIN_COUNT, np.random.default_rng(0))


def derived_last(order: list[str], derived: dict[str, dict]) -> list[str]:
    """`order` (a row's text columns as written) with the `derived` ones last, so their sources (never
    derived themselves) are written before them."""
    return [c for c in order if c not in derived] + [c for c in order if c in derived]


def derived_rows(
    rule: dict, row: pd.DataFrame, rows: np.ndarray, unique: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Of `rows` (positions given a text), those `rule` (`fit_derived_texts`) writes from `row` (the row's
    generated values, texts written before included), and their texts: each row holding every piece's value,
    at the rule's share. Where the column's texts never repeat (`unique`), a text repeating one written
    before is left to the model."""
    columns = [p[0] for p in rule["pieces"]]
    none = rows[:0], np.array([], dtype=object)
    if not len(rows) or any(c not in row.columns for c in columns):
        return none
    values = row.iloc[rows].reset_index(drop=True)
    held = np.logical_and.reduce([(values[c].notna() & (values[c].astype(str) != "")).to_numpy() for c in columns])
    take = np.flatnonzero(held & (rng.random(len(rows)) < float(rule["share"])))
    if not len(take):
        return none
    texts = template_texts(rule, values.iloc[take], rng)
    if unique:
        first = ~pd.Series(texts, dtype=object).duplicated().to_numpy()
        take, texts = take[first], texts[first]
    return rows[take], texts

"""Whole values a row repeats from its parent row: an order's ship address is its customer's address
in most rows (Northwind), an invoice's billing address its customer's in every row (Chinook).

`copied_share` says whether one column of the child rows holds the other column of their parent
rows clearly more often than two independent values would (Cohen's kappa), and in which share of
the rows. Schema inference reads such a column as the kind of its source (a repeated address is
no label), and the text model copies the generated parent's value into that share of the rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational.columns import Column

MIN_SHARE = 0.5  # a column copies another when it equals it in this share of the rows holding both, at least
MIN_KAPPA = 0.5  # ... and at least half way from two independent values' chance to always (Cohen's kappa)
MIN_ROWS = 20  # rows holding both values that the share is read from, at least
COPIED_KINDS = (Column.TEXT, Column.IDENTIFIER)  # a parent's columns a text may repeat whole: texts, and codes
#                                                  the tabular model writes fresh (a customer's postal code)
MIN_OWN_SHARE = 0.5  # a parent's text is a record of its row where this share of its values are distinct, at least


def copied_share(mine: pd.Series, theirs: pd.Series) -> float | None:
    """The share of the rows holding both values where `mine` equals `theirs` as text (aligned by position:
    each row beside its parent row's value), or None where that is no copy (`share_beyond_chance`)."""
    mine, theirs = mine.reset_index(drop=True), theirs.reset_index(drop=True)
    both = mine.notna() & theirs.notna()
    as_text = [s[both].astype(str).reset_index(drop=True) for s in (mine, theirs)]
    return share_beyond_chance(*as_text)


def share_beyond_chance(mine: pd.Series, theirs: pd.Series) -> float | None:
    """The share of the rows holding both values (aligned by position) where `mine` equals `theirs`, or None
    where that is no copy: fewer than `MIN_ROWS` such rows, a share under `MIN_SHARE`, or one independent
    values would nearly reach (kappa under `MIN_KAPPA`)."""
    both = mine.notna() & theirs.notna()
    if both.sum() < MIN_ROWS:
        return None
    a, b = mine[both], theirs[both]
    share = float((a.to_numpy() == b.to_numpy()).mean())
    if share < MIN_SHARE:
        return None  # no copy: the chance of agreeing (shares of every value) is not needed
    luck = chance(a, b)
    if luck >= 1 or (share - luck) / (1 - luck) < MIN_KAPPA:
        return None
    return share


def equal_as_text(mine: pd.Series, theirs: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per row (aligned by position): whether both hold a value, and whether both hold the same one as
    text (a copy: an address, whatever dtype either side was read in)."""
    held = mine.notna().to_numpy() & theirs.notna().to_numpy()
    return held, held & (mine.astype(str).to_numpy() == theirs.astype(str).to_numpy())


def chance(a: pd.Series, b: pd.Series) -> float:
    """How often two independent draws, one from each column, are equal."""
    pa, pb = a.value_counts(normalize=True), b.value_counts(normalize=True)
    common = pa.index.intersection(pb.index)
    # reindex, not pa[common]: an index of flags (False, True) would be read as a mask
    return float((pa.reindex(common) * pb.reindex(common)).sum())


def copied_texts(schema, frames: Mapping[str, pd.DataFrame], decided: set[tuple[str, str]]) -> dict:
    """(table, column) -> (parent's column, share) for each categorical column of `decided` (its kind read from
    its values, not given) that repeats a text or code (`COPIED_KINDS`) of its parent row (`copied_share`) whose
    values are records of their rows (`MIN_OWN_SHARE` distinct): an invoice's billing address, its customer's
    address in every row; an order's ship postal code, its customer's (a code). As a category it would replay
    training addresses beside customers of other addresses; as text the text model copies the generated
    customer's. A text many parent rows share (Northwind's customer cities, 36 in
    91) stays a label: the tabular model keeps it with its row's other labels (a ship city in its ship country).
    Parents first, so a column read as text here may be copied further down (a shipment's address, its order's)."""
    out: dict[tuple[str, str], tuple[str, float]] = {}
    for name in schema.depth_first():
        if (edge := schema.parent(name)) is None or name not in frames or edge.parent not in frames:
            continue
        parent, pk = frames[edge.parent], schema.tables[edge.parent].primary_key
        kinds = schema.tables[edge.parent].columns
        sources = [
            c
            for c, k in kinds.items()
            if (k.kind in COPIED_KINDS or (edge.parent, c) in out) and c in parent and _own_values(parent[c])
        ]
        child = frames[name]
        # a key held twice names no one row: `RelationalData` refuses it, with how to fix it
        if not sources or pk not in parent or edge.fk not in child or not parent[pk].is_unique:
            continue
        at = pd.Index(parent[pk]).get_indexer(child[edge.fk])
        for col, kind in schema.tables[name].columns.items():
            if kind.kind is not Column.CATEGORICAL or (name, col) not in decided or col not in child:
                continue
            found = [(share, s) for s in sources if (share := copied_share(child[col], _at(parent[s], at))) is not None]
            if found:
                share, source = max(found)
                out[name, col] = (source, share)
    return out


def _at(values: pd.Series, at: np.ndarray) -> pd.Series:
    """`values` at positions `at` (-1: missing), as objects."""
    taken = values.astype(object).to_numpy()[np.maximum(at, 0)]
    return pd.Series(np.where(at >= 0, taken, None), dtype=object)


def _own_values(values: pd.Series) -> bool:
    """Whether the values are mostly distinct (`MIN_OWN_SHARE`): each a record of its row, not a shared label."""
    held = values.dropna()
    return len(held) > 0 and held.nunique() >= MIN_OWN_SHARE * len(held)

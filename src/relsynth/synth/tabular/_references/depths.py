"""Trees no deeper than the data's: a key to its own table (a category's parent) drawn among earlier
rows builds chains as deep as chance makes them, a random tree of 200 categories 7 to 12 deep where
the data's is 4. The fit reads the depth every row keeps (`max_depth`: the deepest level, held by
`min_count` rows at least, so no single row's chain); generation moves each row named at that depth
up onto an earlier row, with the rows naming it (`within_depth`)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def tree_depths(keys: pd.Series, parents: pd.Series) -> np.ndarray | None:
    """Each row's depth in the tree its key to its own table makes (1: a row naming none, or a
    row not among `keys`), None where the keys close a cycle."""
    up = pd.Index(keys).get_indexer(parents.astype(object).where(parents.notna(), None))
    depth = np.ones(len(keys), dtype=np.int64)
    cur = up.copy()
    for _ in range(len(keys) + 1):
        live = cur >= 0
        if not live.any():
            return depth
        depth[live] += 1
        cur[live] = up[cur[live]]
    return None


def max_depth(keys: pd.Series, parents: pd.Series, min_count: int, min_named: int) -> int | None:
    """The depth no row of the tree passes, where `min_count` rows at least reach it and `min_named`
    rows at least name one (a tree of some size); None otherwise, or where the keys close a cycle."""
    depth = tree_depths(keys, parents)
    if depth is None or len(depth) == 0 or int(parents.notna().sum()) < min_named:
        return None
    top = int(depth.max())
    return top if top > 1 and int((depth == top).sum()) >= min_count else None


def within_depth(
    drawn: pd.Series,
    keys: pd.Series,
    order: np.ndarray,
    cap: int,
    rng: np.random.Generator,
    name: str,
    groups: pd.Series | None = None,
    unnamed: np.ndarray | None = None,
) -> pd.Series:
    """`drawn` (keys among `keys`, row by row) with each row that other rows name and that sits at
    depth `cap` or deeper (its rows would pass it) naming instead a random row visited before it
    (`order`: positions, each row naming a row before it) two levels above `cap` at least, of its
    own group (`groups`: a scope row's key, a label) and not `unnamed`: the rows named move up with
    the rows naming them, so each keeps its degree (a leaf moved instead would pile onto the few
    rows high enough). A row with no such row to move to is left as it was and counted in a warning."""
    out = drawn.to_numpy(dtype=object).copy()
    at = pd.Index(keys).get_indexer(drawn.astype(object).where(drawn.notna(), None))
    named = np.zeros(len(keys), dtype=bool)
    named[at[at >= 0]] = True
    depth = np.zeros(len(keys), dtype=np.int64)
    group = np.zeros(len(keys), dtype=object) if groups is None else groups.to_numpy(dtype=object)
    pools: dict[object, list[int]] = {}  # rows a named row may move onto: depth cap - 2 at most
    left = 0
    for i in order:
        parent = at[i]
        if parent >= 0 and named[i] and depth[parent] + 1 >= cap:
            pool = pools.get(group[i], [])
            if pool:
                parent = pool[int(rng.integers(len(pool)))]
                out[i] = keys.iloc[parent]
            else:
                left += 1
        depth[i] = 1 if parent < 0 else depth[parent] + 1
        if depth[i] <= cap - 2 and (unnamed is None or not unnamed[i]):
            pools.setdefault(group[i], []).append(i)
    if left:
        log.warning(
            "%s: %d row(s) pass the tree's depth %d, as no earlier row above it was there to name", name, left, cap
        )
    return pd.Series(out, index=drawn.index, dtype=drawn.dtype)

"""Keys another key of their row decides: every row naming one product names one seller (an
order item's product and seller, both references; the product sold by its one seller).

Each reference is dealt on its own, by degrees and affinities, so a product's rows named any
seller: 12 % of the products of a generated Olist-like database had one seller, every one in the
data. The fit keeps, per reference, the first other reference of its table whose every value's
rows name one row of it, where enough values are named twice or more (`MIN_GROUPS`, `MIN_ROWS`)
that drawing the keys apart, at their shares, would have kept them so with a chance under
`MAX_CHANCE` (a seller holding nearly every row says nothing). Of two keys deciding each other
(one to one), the later column is decided by the earlier. Generation, once every key is dealt,
gives each deciding value's rows one key: its first row's where that key's dealt rows leave room for
them all, else the key with the most room left, so each key keeps about the rows it was dealt (the
first row's key alone left 13 to 17 % of generated sellers with no item, 3 % in the data).
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.schema import Edge

MIN_GROUPS = 10  # values of the deciding key named by two rows or more, at least
MIN_ROWS = 20  # rows under such values, at least
MAX_CHANCE = 1e-3  # the most chance may have kept every such value to one key


def deciding_key(data: RelationalData, e: Edge) -> str | None:
    """The other reference column of `e.child` that decides `e.fk` in every training row (see the
    module docstring), else None."""
    frame = data[e.child]
    others = [o.fk for o in data.schema.references(e.child) if o.fk != e.fk]
    for other in others:
        if _decides(frame[other], frame[e.fk]) and not (
            _decides(frame[e.fk], frame[other]) and list(frame.columns).index(e.fk) < list(frame.columns).index(other)
        ):
            return other
    return None


def _decides(by: pd.Series, keys: pd.Series) -> bool:
    """Whether every value of `by` holds one value of `keys` in its rows, beyond chance."""
    both = by.notna() & keys.notna()
    if not both.any():
        return False
    groups = pd.DataFrame({"by": by[both].to_numpy(), "key": keys[both].to_numpy()}).groupby("by")["key"]
    sizes, distinct = groups.size(), groups.nunique()
    repeated = sizes > 1
    if repeated.sum() < MIN_GROUPS or sizes[repeated].sum() < MIN_ROWS or (distinct > 1).any():
        return False
    shares = keys[both].value_counts(normalize=True).to_numpy()
    same = float((shares**2).sum())  # the chance two rows drawn apart name one key
    if same >= 1.0:
        return False  # one key for every row: nothing to keep
    log_chance = float(((sizes[repeated] - 1) * np.log(same)).sum())
    return log_chance < np.log(MAX_CHANCE)


def decides_another(fitted: dict[str, dict], table: str, fk: str) -> bool:
    """Whether `table`'s key `fk` decides another key of its table (a `decided_by` in `fitted`, the
    references' stats by "table.fk"): moved on one row, its value's rows would name two keys there."""
    return any(k.split(".", 1)[0] == table and (s or {}).get("decided_by") == fk for k, s in fitted.items())


def keep_decided(tables: dict[str, pd.DataFrame], e: Edge, by: str) -> None:
    """Set (in place) `e.fk` of the rows of each value of `by` to one key: the key its first row was
    dealt where that key has room left for all its rows, else the key with the most room left, a
    key's room being the rows it was dealt (`_one_key_each`): so the keys keep the degrees dealt."""
    frame = tables[e.child]
    if by not in frame or e.fk not in frame:
        return
    held = (frame[by].notna() & frame[e.fk].notna()).to_numpy()
    if not held.any():
        return
    column = frame[e.fk].copy()
    column.iloc[np.flatnonzero(held)] = _one_key_each(frame[by][held].to_numpy(), frame[e.fk][held].to_numpy())
    frame[e.fk] = column


def _one_key_each(by: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Per row, its `by` value's key (see `keep_decided`): values of the most rows placed first, so
    the keys' rooms fill the way they were dealt."""
    codes = pd.factorize(by)[0]
    key_codes, key_values = pd.factorize(keys)
    sizes = np.bincount(codes)
    firsts = key_codes[np.unique(codes, return_index=True)[1]]  # each value's first row's key
    room = np.bincount(key_codes, minlength=len(key_values)).astype(np.int64)
    heap = [(-int(r), k) for k, r in enumerate(room)]
    heapq.heapify(heap)
    chosen = np.empty(len(sizes), dtype=np.int64)
    for value in np.argsort(-sizes, kind="stable"):
        key = int(firsts[value])
        if room[key] < sizes[value]:
            while -heap[0][0] != room[heap[0][1]]:  # an entry whose room has changed since it was pushed
                heapq.heapreplace(heap, (-int(room[heap[0][1]]), heap[0][1]))
            key = heap[0][1]
        room[key] -= sizes[value]
        heapq.heappush(heap, (-int(room[key]), key))
        chosen[value] = key
    return np.asarray(key_values)[chosen[codes]]

"""Right-sized output: the generated tables hold about as many rows per root entity as training.

Entity sizes are heavy-tailed (one Chinook artist has 135 tracks), so N entities drawn
independently give table totals that wander by ±10 % and more from seed to seed, on top of
any bias of the model. `generate(n_samples=N)` therefore draws a pool of a quarter more
entities and keeps N of them (exactly as many of each root table as planned) whose row totals
per table are within `TOLERANCE` of N x the training rows per root entity: a random subset first,
then swaps of one kept and one spare entity while a swap brings the totals closer. The kept
entities are the model's own samples, unchanged; only which of them are kept is chosen.
"""

from __future__ import annotations

import math

import numpy as np

from relsynth.synth.tabular._decode import Parsed

TOLERANCE = 0.02  # relative error per table the selection aims for (the issue asks for 3 %)
POOL_SHARE = 0.25  # extra entities generated to choose from
MIN_ENTITIES = 20  # below this many entities a total is too coarse to steer: no selection


def pool_extra(n: int) -> int:
    """Extra entities to generate for a request of `n` (0: no selection)."""
    return 0 if n < MIN_ENTITIES else math.ceil(POOL_SHARE * n) + 4


def rows_per_entity(pre, parsed: Parsed, n_entities: int) -> np.ndarray:
    """(entities, tables) rows each entity holds in each table of `pre.tables`, from its parse."""
    return np.stack(
        [np.bincount(np.asarray(parsed.entities[t], dtype=np.int64), minlength=n_entities) for t in pre.tables],
        axis=1,
    )


def select_entities(
    counts: np.ndarray,
    groups: np.ndarray,
    quota: dict[int, int],
    targets: np.ndarray,
    rng: np.random.Generator,
    tolerance: float = TOLERANCE,
    max_swaps: int = 10_000,
    candidates: int = 256,
) -> np.ndarray:
    """Indices of entities to keep: `quota[g]` of each group g (root table), with column totals of
    `counts` (entities x tables) close to `targets`. Sorted, so the kept entities keep their order."""
    chosen = np.zeros(len(counts), dtype=bool)
    for g, n in quota.items():
        members = np.flatnonzero(groups == g)
        chosen[rng.choice(members, size=n, replace=False)] = True
    scale = np.maximum(targets, 1.0)
    total = counts[chosen].sum(0).astype(float)
    for _ in range(max_swaps):
        err = (total - targets) / scale
        if np.all(np.abs(err) <= tolerance):
            break
        kept, spare = np.flatnonzero(chosen), np.flatnonzero(~chosen)
        kept = rng.choice(kept, size=min(candidates, len(kept)), replace=False)
        spare = rng.choice(spare, size=min(candidates, len(spare)), replace=False)
        same = groups[kept][:, None] == groups[spare][None, :]  # a swap keeps each group's count
        delta = (counts[spare][None, :, :] - counts[kept][:, None, :]) / scale  # (kept, spare, tables)
        cost = ((err[None, None, :] + delta) ** 2).sum(-1)
        cost[~same] = np.inf
        i, j = np.unravel_index(np.argmin(cost), cost.shape)
        if not cost[i, j] < (err**2).sum():
            break  # no swap among these candidates helps
        chosen[kept[i]], chosen[spare[j]] = False, True
        total += counts[spare[j]] - counts[kept[i]]
    return np.flatnonzero(chosen)

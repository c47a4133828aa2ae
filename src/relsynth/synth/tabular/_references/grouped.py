"""A number whose rows the key of a reference groups: the listings of one city share its price
level, though the city's row holds nothing that tells it apart (8 cities, each number of theirs
one token: no affinity can form).

Generation dealt such keys with no regard to the number, so a city's generated listings held the
whole table's spread: the city explained 1-2 % of the variance of the price per m2 within a
property type, against 86 % in the data.

The fit keeps, per reference with none of the rules a swap of its keys could break (`free_of_rules`),
the number column of the referencing rows that the referenced row explains most (the share of the
variance of its ranks between the referenced rows, `explained`), where that share is at least
`MIN_SHARE` and `CHANCE_FACTOR` times what as many groups explain by chance; a column the
reference itself sets from the referenced row (a copy, a ratio) is left out. Generation then deals
the drawn keys, each as often as drawn, over the rows in the order of that number plus noise
scaled so that the keys explain about the data's share (`noise_scale`), the keys in a random
order: each referenced row gets a run of like rows. Not under DP (no references fitted there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from relsynth.relational.numbers import to_numbers

MIN_ROWS = 20  # referencing rows holding the number and a key, at least
MIN_SHARE = 0.5  # the share of the ranks' variance the referenced rows explain, at least
CHANCE_FACTOR = 5.0  # ... and this many times the share as many groups explain by chance
BLOCKING = (
    "within",
    "unique_pairs",
    "unique_beside",
    "unique_with",
    "unique_under",
    "unique_across",
    "one_each",
    "apart",
    "apart_named",
    "apart_parent",
    "affinity",
    "orders",
    "after",
    "as_of",
    "year_periods",
    "ranked",
    "same",
    "step",
    "same_values",
    "named_by",
    "capped_by",
    "within_any",
    "within_via",
    "unique_with_across",
    "unique_with_also",
    "unique_also_across",
    "acyclic_from",
    "max_depth",
    "decided_by",  # one key for all the rows of its deciding key's value: a deal over rows would break it
)
# what else a reference's stats keep, none of which a deal of the same keys over other rows breaks
# (each key named as often as before, null keys where they were); a new entry goes in one of the two
# lists (tests/synth/tabular/test_grouped_references.py fails until it does)
UNBLOCKING = (
    "parent",
    "null_share",
    "null_by",
    "null_with",
    "null_as",
    "never_null",
    "degrees",
    "groups",
    "named_once",
    "covered_with",
    "degree_effects",
    "never_named",
    "never_named_with",
    "never_named_by",
    "degree_copula",
    "copies",
    "ratios",
    "step_same",
    "step_degrees",
    "windows",
    "grouped",
)


def explained(values: np.ndarray, groups: np.ndarray) -> float:
    """The share of the variance of `values`' ranks that their `groups` explain (eta squared)."""
    ranks = pd.Series(values).rank().to_numpy()
    total = ((ranks - ranks.mean()) ** 2).sum()
    if total == 0:
        return 0.0
    means = pd.Series(ranks).groupby(groups).transform("mean").to_numpy()
    return float(1 - ((ranks - means) ** 2).sum() / total)


def free_of_rules(stats: dict) -> bool:
    """Whether a reference's fitted `stats` keep no rule that moving its keys among rows could break."""
    return not any(stats.get(name) for name in BLOCKING)


def grouped_column(child: pd.DataFrame, numbers: list[str], pos: np.ndarray, set_here: set[str]) -> list | None:
    """[column, share] of the number among `numbers` of the referencing rows `child` that the
    referenced rows (`pos`: per row, its position, -1 none) explain most, where they explain enough
    (see the module docstring); None elsewhere. `set_here`: the columns the reference sets itself."""
    best = None
    for column in numbers:
        if column in set_here:
            continue
        values = to_numbers(child[column]).to_numpy(dtype=np.float64)
        held = (pos >= 0) & np.isfinite(values)
        n, k = int(held.sum()), len(np.unique(pos[held]))
        if n < MIN_ROWS or k < 2 or n <= k:
            continue
        share = explained(values[held], pos[held])
        chance = (k - 1) / (n - 1)
        if share >= max(MIN_SHARE, CHANCE_FACTOR * chance) and (best is None or share > best[1]):
            best = [column, round(share, 4)]
    return best


def noise_scale(share: float) -> float:
    """The noise beside a number's normal scores at which sorting on their sum keeps about `share`
    of the scores' variance between the runs (the squared correlation of the two, 1 / (1 + s²))."""
    return float(np.sqrt(max(1.0 / max(share, 1e-6) - 1.0, 0.0)))


def group_keys(keys: pd.Series, values: pd.Series, share: float, rng: np.random.Generator) -> pd.Series:
    """`keys` dealt again over their rows so each key holds a run of rows of like `values` (see the
    module docstring); each key as often as before, rows with a null key or value as they were."""
    numbers = to_numbers(values).to_numpy(dtype=np.float64)
    rows = np.flatnonzero(keys.notna().to_numpy() & np.isfinite(numbers))
    if len(rows) < 2:
        return keys
    scores = ndtri((pd.Series(numbers[rows]).rank().to_numpy() - 0.5) / len(rows))
    order = rows[np.argsort(scores + noise_scale(share) * rng.standard_normal(len(rows)), kind="stable")]
    drawn = keys.iloc[rows]
    distinct = drawn.unique()
    rank = dict(zip(distinct, rng.permutation(len(distinct)), strict=True))
    dealt = drawn.iloc[np.argsort(drawn.map(rank).to_numpy(), kind="stable")].to_numpy()
    out = keys.copy()
    out.iloc[order] = dealt
    return out

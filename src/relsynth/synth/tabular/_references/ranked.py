"""Labels ranked by date among the rows naming one row: a match's round within its season (round 3
played after round 2), an instalment's number within its loan, where the row named is a reference,
not the tree parent (matches nest under their home team).

The model writes each row of a home team's entity on its own and the season is dealt afterwards,
so nothing tied one match's round to the dates of the season's other matches: half of the pairs of
a league's generated matches of one season with different rounds had the higher round the later
date (every pair of the data's). The fit keeps, per reference and pair of an integer and a date
column of the referencing table, whether within the rows naming one row a later date never holds a
lower integer (`ranked`), where `MIN_ROWS` rows hold both and the integers shuffled within the rows
naming one row would have put `MIN_CHANCE` pairs out of order (a count constant per named row, or
rarely varying, is no evidence). Generation gives the rows naming one row their own integers again,
sorted, in the order of their dates (`in_date_order`), once the key is dealt and before the swaps
keeping the rules that read the integer (a home team's season once a round). Not under DP
(references' pairings are not fitted there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import DATED, as_numbers
from relsynth.relational.schema import Edge

MIN_ROWS = 20  # rows holding a named row, the date and the integer, at least
MIN_CHANCE = 10  # pairs out of date order the integers shuffled within named rows would make, at least


def ranked_labels(data: RelationalData, e: Edge, pos: np.ndarray, skip=frozenset()) -> list[list[str]]:
    """[[integer column, date column], ...] of `e.child` such that among the rows naming one row
    (`pos`: each row's referenced row, -1: none) a later date never holds a lower integer (module
    doc); `skip`: columns set after generation, as (table, column)."""
    if e.parent == e.child:
        return []
    spec = data.schema.tables[e.child]
    dates = [c for c, k in spec.columns.items() if k.kind in DATED and (e.child, c) not in skip]
    labels = [c for c, k in spec.columns.items() if k.kind is Column.INTEGER and (e.child, c) not in skip]
    out = []
    for d in dates:
        at = as_numbers(data[e.child][d], spec.columns[d].kind)
        for c in labels:
            if is_ranked(pos, at, to_numbers(data[e.child][c]).to_numpy(np.float64, na_value=np.nan)):
                out.append([c, d])
    return out


def is_ranked(group: np.ndarray, at: np.ndarray, label: np.ndarray) -> bool:
    """Whether within each `group` (-1: none) a later `at` never holds a lower `label`, in `MIN_ROWS`
    rows at least, where shuffled labels would have broken it `MIN_CHANCE` times."""
    held = (group >= 0) & ~np.isnan(at) & ~np.isnan(label)
    if held.sum() < MIN_ROWS:
        return False
    g, a, x = group[held], at[held], label[held]
    order = np.lexsort((x, a, g))  # by group, date, then label: a tie of dates in any order
    g, x = g[order], x[order]
    same = g[1:] == g[:-1]
    if (x[1:][same] < x[:-1][same]).any():
        return False
    return _shuffled_inversions(g, a[order], x) >= MIN_CHANCE


def _shuffled_inversions(group: np.ndarray, at: np.ndarray, label: np.ndarray) -> float:
    """Pairs of rows of one group out of date order were the labels shuffled within the groups: half
    of the pairs whose dates and labels both differ."""
    frame = pd.DataFrame({"g": group, "a": at, "x": label})

    def pairs(by: list[str]) -> float:
        n = frame.groupby(by).size().to_numpy(np.float64)
        return float((n * (n - 1) / 2).sum())

    return (pairs(["g"]) - pairs(["g", "a"]) - pairs(["g", "x"]) + pairs(["g", "a", "x"])) / 2


def in_date_order(keys: pd.Series, at: np.ndarray, label: pd.Series) -> pd.Series:
    """`label` with the values of the rows naming one key (`keys`) given again, sorted, to those rows
    in the order of their dates `at`; a row without a key, a date or a label keeps its own."""
    x = to_numbers(label).to_numpy(np.float64, na_value=np.nan)
    held = np.flatnonzero(keys.notna().to_numpy() & ~np.isnan(at) & ~np.isnan(x))
    if not len(held):
        return label
    codes = pd.factorize(keys.iloc[held])[0]
    by_date = np.lexsort((x[held], at[held], codes))  # each group's rows, earliest first
    by_value = np.lexsort((x[held], codes))  # each group's labels, least first: same group sizes, same spans
    out = label.copy()
    out.iloc[held[by_date]] = label.iloc[held[by_value]].to_numpy()
    return out


def rank_labels(schema, tables: dict[str, pd.DataFrame], e: Edge, fitted: dict) -> None:
    """Each fitted `ranked` integer of `e.child` (in place) in date order among the rows naming one
    row of `e.parent` (none in older models)."""
    frame = tables[e.child]
    for c, d in fitted.get("ranked") or []:
        if c in frame.columns and d in frame.columns:
            frame[c] = in_date_order(
                frame[e.fk], as_numbers(frame[d], schema.tables[e.child].columns[d].kind), frame[c]
            )

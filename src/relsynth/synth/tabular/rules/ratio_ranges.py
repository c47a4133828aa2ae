"""Numbers kept within the range of their ratio to another number of their row, per category of the
row where the ranges differ by category (a policy's premium, a rate of its coverage limit that its
product sets: AUTO 1.08-1.32 %, HOME 0.36-0.44 %, LIFE 0.14-0.16 %).

The model writes each number in bins of its own column, so a premium is drawn beside its limit
with no tie to it: 4 % of an insurer's generated policies paid a rate past their product's (an
AUTO one up to 5 %, a HOME one up to 1.07 %), though every policy of the data keeps its product's.

The fit keeps, per synthesised table, pairs of positive numbers among `PAIR_WINDOW` near each
other in field order whose ratio is tight beside the numbers themselves (the spread of the log of
the ratio at most `TIGHT` times the moved number's, within the categories of the chosen column),
with `N_QUANTILES` quantiles of the ratio per category of `MIN_ROWS` rows at least and over all
rows. The categorical column of the row chosen is the one whose categories most narrow the
ratio's spread, where it narrows it to `SPLIT` at most; else none. Of a pair, the number moved
is a binned one, the later, unless the earlier holds `DISTINCT_FACTOR` times its distinct values
(a premium, not the limit it reads: a limit of 25,137 would be a value the data never had); each
number is in one pair at most, the tightest pairs first. Decoding
draws a binned value whose ratio to the other is outside its category's range (the pooled one for
a category without quantiles) again as the other times a ratio drawn from the category's
quantiles, on its column's grid; a value inside stays as drawn. Columns a total, a formula or an
order within rows sets or reads, and the root's context columns, are left alone. Not under DP.

The other number may also be one of a row further up (`above`: `<ancestor>.<column>`, the parent's
or higher): an offer's amount, 85-105 % of the asking price of the listing its viewing is of, was
drawn in its own bins two levels below that price, and 88 % of a real-estate database's generated
offers fell outside that range (0.16 to 8.5 times their listing's price). Only the row's own number
moves; the ancestor's is read once its table is decoded (`ancestor_numbers`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import ancestor_column, with_ancestors
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.rules.columns import categoricals, value_codes
from relsynth.synth.tabular.rules.numbers import as_floats, numbers_above, on_grid, screen_rows

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows a category needs for a range of its own (and a pair for a rule)
MIN_POSITIVE = 0.95  # share of the rows holding both numbers where both are positive
TIGHT = 0.25  # a ratio's spread (sd of its log) at most this share of the moved number's: a rule, not chance
SPLIT = 0.5  # a category column is used where it narrows the ratio's spread to this share at most
PAIR_WINDOW = 8  # a pair takes two numbers among this many in field order
MAX_CATEGORIES = 64  # categories (of `MIN_ROWS` rows) a column may have to be a ratio's `by`
DISTINCT_FACTOR = 2  # the earlier number of a pair is moved where it holds this many times the later's values
N_QUANTILES = 21  # a category's ratios kept as this many quantiles
POOLED = ""  # the quantiles of every row, for a category without its own


def find_ratio_ranges(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of", "by", "quantiles": {category or POOLED: [N_QUANTILES ratios]}}]:
    `table.column` / `table.of` stays within its row's category's (`by`'s; None: pooled only)
    range; with `"above": True`, `of` is `<ancestor>.<column>`, a number of the row `table`'s row
    nests under. `skip`: (table, column) set or read elsewhere."""
    out = []
    for table, layout in pre.layouts.items():
        given = pre.given_columns(table)
        known = pre.schema.tables[table].columns
        fields = [c for c in layout.fields if c in known and (table, c) not in skip]
        numbers = pre.float_numbers(table, fields)
        if len(numbers) < (2 if pre.schema.parent(table) is None else 1):  # one, to a number further up
            continue
        preprocs = {c: pre.slots[s].preproc for c, s in zip(layout.fields, layout.slots, strict=False)}
        frame = data[table].reset_index(drop=True)
        sample = screen_rows(len(frame))
        groups = _groups(frame.iloc[sample], [c for c, _ in categoricals(pre, data, table) if c in fields])
        values = {c: as_floats(frame[c].iloc[sample]) for c in numbers}
        found = []
        for i, a in enumerate(numbers):
            for b in numbers[max(i - PAIR_WINDOW + 1, 0) : i]:
                moved = _moved(preprocs, frame, a, b, given)
                if moved is None:
                    continue
                other = b if moved == a else a
                fit = _tightest(values[moved], values[other], groups)
                if fit is not None:
                    found.append((_partial(values[moved], values[other]), fit[0], moved, other, fit[1]))
        up = numbers_above(pre, data, table, skip)
        for a in (c for c in numbers if _moved(preprocs, frame, a, a, given) == a) if up is not None else ():
            for of in up.columns:  # a number of a row further up, which stays as its table wrote it
                other = as_floats(up[of].iloc[sample])
                fit = _tightest(values[a], other, groups)
                if fit is not None:
                    found.append((_partial(values[a], other), fit[0], a, of, fit[1]))
        used: set[str] = set()
        for _, _, col, of, by in sorted(found, key=lambda f: f[:2]):  # full pairs first, then the tightest
            if col in used or of in used:
                continue
            used |= {col, of}
            above = up is not None and of in up.columns
            rows = frame.assign(**{of: up[of].to_numpy()}) if above else frame
            rule = {"table": table, "column": col, "of": of, "by": by, "quantiles": _quantiles(rows, col, of, by)}
            out.append(rule | {"above": True} if above else rule)
            log.info("%s.%s kept within its ratio to %s's range%s", table, col, of, f" per {by}" if by else "")
    return out


def _partial(moved: np.ndarray, other: np.ndarray) -> bool:
    """Whether `other` is missing in more than 1 - `MIN_POSITIVE` of the rows holding `moved`: a pair
    that would leave those rows free comes after one that holds every row (an offer's amount is
    kept by its listing's asking price, not by a sale price only sold listings hold)."""
    held = ~np.isnan(moved)
    return bool((held & np.isnan(other)).sum() > (1 - MIN_POSITIVE) * max(held.sum(), 1))


def ancestor_numbers(
    schema, out: Mapping[str, pd.DataFrame], table: str, parents: np.ndarray, rules: list[dict]
) -> dict[str, pd.Series]:
    """The numbers further up that `rules` of `table` read (`"above"`), one per row of `table`
    being decoded: `out` holds the decoded tables above it, `parents` each row's parent row."""
    names = sorted({r["of"] for r in rules if r.get("above")})
    edge = schema.parent(table)
    if not names or edge is None:
        return {}
    own = [ancestor_column(schema, n)[1] if ancestor_column(schema, n)[0] == edge.parent else n for n in names]
    rows = with_ancestors(out, schema, edge.parent, own).iloc[np.asarray(parents, dtype=np.int64)]
    return {n: rows[c].reset_index(drop=True) for n, c in zip(names, own, strict=True)}


def _groups(frame: pd.DataFrame, columns: list[str]) -> dict[str | None, np.ndarray]:
    """None: every row in one group; each categorical column: its rows' codes, the categories of
    fewer than `MIN_ROWS` rows (and missing) together in one (so many small ones narrow nothing by
    chance), for those of 2 to `MAX_CATEGORIES` such categories."""
    out: dict[str | None, np.ndarray] = {None: np.zeros(len(frame), np.int64)}
    for c in columns:
        codes, _ = value_codes(frame[c])
        sizes = np.bincount(codes[codes >= 0], minlength=1)
        big = (codes >= 0) & (sizes[np.maximum(codes, 0)] >= MIN_ROWS)
        if 2 <= int((sizes >= MIN_ROWS).sum()) <= MAX_CATEGORIES:
            out[c] = np.where(big, codes + 1, 0)
    return out


def _moved(preprocs: Mapping, frame: pd.DataFrame, a: str, b: str, given: list[str]) -> str | None:
    """Which of `a` and its earlier `b` a rule moves: a binned number the generation writes (not
    given); where both are, the later, `a`, unless `b` holds `DISTINCT_FACTOR` times its distinct
    values (a premium before the few limits it is a rate of); None where neither is."""
    movable = [
        c for c in (a, b) if c not in given and isinstance(p := preprocs.get(c), NumericPreproc) and p.n_bins_used
    ]
    if len(movable) < 2:
        return movable[0] if movable else None
    return b if frame[b].nunique() > DISTINCT_FACTOR * frame[a].nunique() else a


def _tightest(
    moved: np.ndarray, other: np.ndarray, groups: dict[str | None, np.ndarray]
) -> tuple[float, str | None] | None:
    """(the ratio's spread over the moved number's, the grouping column) of the grouping that
    narrows the log of the ratio `moved / other` most, where the ratio is tight within it (`TIGHT`);
    None where no grouping makes it so, or too few rows hold both numbers, positive."""
    held = ~np.isnan(moved) & ~np.isnan(other)
    both = held & (moved > 0) & (other > 0)
    if both.sum() < MIN_ROWS or both.sum() < MIN_POSITIVE * held.sum():
        return None
    x = np.log(moved[both])
    r = x - np.log(other[both])
    pooled = _within_sd(r, groups[None][both])
    best: tuple[float, str | None] | None = None
    for by, codes in groups.items():
        spread = _within_sd(r, codes[both])
        if by is not None and spread > SPLIT * pooled:
            continue
        scale = _within_sd(x, codes[both])
        if scale > 0 and spread <= TIGHT * scale and (best is None or spread / scale < best[0]):
            best = (spread / scale, by)
    return best


def _within_sd(x: np.ndarray, codes: np.ndarray) -> float:
    """The standard deviation of `x` about its group's mean (groups `codes`, 0 and up)."""
    n = np.bincount(codes)
    mean = np.bincount(codes, weights=x) / np.maximum(n, 1)
    return float(np.sqrt(np.mean((x - mean[codes]) ** 2)))


def _quantiles(frame: pd.DataFrame, col: str, of: str, by: str | None) -> dict[str, list[float]]:
    """`N_QUANTILES` quantiles of `col` / `of` (rows with both positive) per category of `by` of
    `MIN_ROWS` rows at least, and of every row (`POOLED`)."""
    a, b = (to_numbers(frame[c]).to_numpy(np.float64, na_value=np.nan) for c in (col, of))
    rows = (a > 0) & (b > 0)
    ratio = pd.Series(a[rows] / b[rows])
    levels = np.linspace(0, 1, N_QUANTILES)
    out = {POOLED: [float(q) for q in ratio.quantile(levels)]}
    if by is not None:
        codes, names = value_codes(frame[by])
        for k, part in ratio.groupby(codes[rows]):
            if k >= 0 and len(part) >= MIN_ROWS:
                out[names[k]] = [float(q) for q in part.quantile(levels)]
    return out


def keep_ratio_ranges(
    rules: list[dict],
    cols: dict[str, pd.Series],
    ids: Mapping[str, np.ndarray],
    preprocs: Mapping[str, NumericPreproc],
    rng: np.random.Generator,
    above: Mapping[str, pd.Series] | None = None,
) -> None:
    """Redraw (in place) each binned value of `rules`' columns whose ratio to its row's `of` is
    outside its category's range (`find_ratio_ranges`) as `of` times a ratio drawn from the
    category's quantiles, on the column's grid. `ids`: each column's decoded tokens, `preprocs`: its
    preprocessor, `above`: the numbers further up the rules read (`ancestor_numbers`)."""
    for rule in rules:
        col, of, by = rule["column"], rule["of"], rule["by"]
        others = (above or {}) if rule.get("above") else cols
        if col not in cols or of not in others or col not in ids or (by is not None and by not in cols):
            continue
        num = preprocs[col]
        a = cols[col].to_numpy(np.float64, na_value=np.nan).copy()
        b = to_numbers(others[of]).to_numpy(np.float64, na_value=np.nan)
        binned = (num.token_bins(ids[col]) >= 0) & (a > 0) & (b > 0)
        q = _row_quantiles(rule, cols[by] if by is not None else None, len(a))
        lo, hi = q[:, 0], q[:, -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            rows = np.flatnonzero(binned & ((a / b < lo) | (a / b > hi)))
        if not len(rows):
            continue
        levels = np.linspace(0, 1, q.shape[1])
        u = rng.random(len(rows))
        ratio = np.array([np.interp(u[k], levels, q[r]) for k, r in enumerate(rows)])
        a[rows] = on_grid(num, b[rows] * ratio, b[rows] * lo[rows], b[rows] * hi[rows])
        cols[col] = pd.Series(a, index=cols[col].index).astype(cols[col].dtype)


def _row_quantiles(rule: dict, by: pd.Series | None, n: int) -> np.ndarray:
    """(n, quantiles): each row's category's ratio quantiles, the pooled ones where it has none."""
    q = rule["quantiles"]
    out = np.tile(np.asarray(q[POOLED], np.float64), (n, 1))
    if by is None:
        return out
    codes, names = value_codes(by.reset_index(drop=True))
    for k, name in enumerate(names):
        if name in q and name != POOLED:
            out[codes == k] = q[name]
    return out

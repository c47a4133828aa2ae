"""Numbers decoded within the range of their row's category (a lab value within its test's:
HbA1c 4-14 %, glucose 50-400 mg/dL, sodium 125-150 mmol/L, in one column).

A number's token is a quantile bin of the whole column, and a value is drawn inside its bin from
the column's values there. Where the categories of another column of the row hold ranges of their
own, a bin straddles two of them, and a value drawn in it lands in the other's range: decoded from
their own tokens, 47 of 1,629 lab values of a clinical database (2.9 %) left their test's range
(an HbA1c of 35.5 %, a sodium of 167 mmol/L), however well a model writes the bins.

The fit keeps, per number column of a synthesised table, the categorical column of its row whose
categories' ranges the pooled bins would break most (`_outside_share`), where they would break at
least `MIN_OUTSIDE` of the values and `BY_CHANCE` times what the categories dealt out at random
among the values break (a category drawn apart from the number passes `MIN_OUTSIDE` by the outer
bins' tails alone: 4 to 6 rules on each of 10 databases of independent random columns; a lab's
tests break 5.5 times what dealt ones do, Chinook's genres a track's bytes 1.1 times), with `N_QUANTILES` quantiles of each category's values (those of
`MIN_ROWS` rows at least). Decoding draws a binned value outside its category's range again from
the category's quantiles restricted to the bin, where the category has values there; elsewhere (a bin the category never holds, a
category without quantiles) it stays as drawn. Exact values (a dose's few, each a token of its own)
are the model's within their category's range (below). Columns a total, a formula or an order within rows sets or reads, and the root's
context columns, are left alone. Not under DP.

Exact values (a token each) are the model's within the range of their category's values, points
included (`values`: their quantiles, kept where the column has points); outside it (the model's
exact value of another category: a sodium of 2.0, a pH of 44.0, 87-90 % of the 3.6-4.4 % of a
trained model's lab values of an EHR outside their test's range) they are drawn from those
quantiles, on the column's decimals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.rules.columns import categoricals, value_codes

log = logging.getLogger(__name__)
MIN_ROWS = 20  # a category's values needed for its quantiles
MIN_OUTSIDE = 0.01  # share of a column's values the pooled bins would draw outside their category's range
N_DEALS = 5  # seeded deals of the categories among the values: what their ranges break by chance
BY_CHANCE = 2.0  # ... which the data's categories must break this many times over (the largest deal's)
N_QUANTILES = 21  # a category's values kept as this many quantiles


def find_category_ranges(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "by", "quantiles": {category: [N_QUANTILES values]}}]: a binned number
    column and the categorical column of its row whose categories' ranges its bins break most
    (`skip`: (table, column) set or read elsewhere)."""
    out = []
    for table, layout in pre.layouts.items():
        given = pre.given_columns(table)
        cats = categoricals(pre, data, table)
        coded: dict[str, tuple[np.ndarray, list]] = {}  # each category column's codes, once a table
        for col, s in zip(layout.fields, layout.slots, strict=False):
            num = pre.slots[s].preproc
            known = col in pre.schema.tables[table].columns
            if (table, col) in skip or col in given or not known or not pre.float_numbers(table, [col]):
                continue
            if not isinstance(num, NumericPreproc) or not num.n_bins_used:
                continue
            candidates = [c for c, _ in cats if c not in given]
            coded.update({by: value_codes(data[table][by]) for by in candidates if by not in coded})
            rule = _best_rule(num, data[table][col], {by: coded[by] for by in candidates})
            if rule is not None:
                log.info("%s.%s decoded within the range of its %s: kept so", table, col, rule["by"])
                out.append({"table": table, "column": col, **rule})
    return out


def _best_rule(num: NumericPreproc, values: pd.Series, candidates: dict[str, tuple[np.ndarray, list]]) -> dict | None:
    """{"by", "quantiles"} of the candidate whose categories' ranges `num`'s bins break most, if at
    least `MIN_OUTSIDE` of the values; else None. `candidates`: column -> its (codes, names), as
    `value_codes` gives them. One pass over the rows per candidate."""
    x = to_numbers(values).to_numpy(np.float64, na_value=np.nan)
    binned = ~np.isnan(x) & ~np.isin(x, num.points)
    v, edges = x[binned], np.asarray(num.edges)
    b = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    best: tuple[float, str, np.ndarray, list[str]] | None = None
    for by, (codes, names) in candidates.items():
        c = codes[binned]
        share = _outside_share(v, c, edges, b) / max(int((~np.isnan(x)).sum()), 1)
        if share >= MIN_OUTSIDE and (best is None or share > best[0]) and not _by_chance(share, v, c, edges, b, x):
            best = (share, by, c, names)
    if best is None:
        return None
    _, by, c, names = best
    rows = _counted(c)
    levels = np.linspace(0, 1, N_QUANTILES)
    table = pd.Series(v[rows]).groupby(c[rows]).quantile(levels).unstack()  # (categories, levels)
    rule = {"by": by, "quantiles": {names[k]: [float(q) for q in table.loc[k]] for k in table.index}}
    if len(num.points):  # exact values too (a token each): a category's values whole, for those drawn outside them
        every = np.where(~np.isnan(x), candidates[by][0], -1)
        rows = _counted(every)
        whole = pd.Series(x[rows]).groupby(every[rows]).quantile(levels).unstack()
        rule["values"] = {names[k]: [float(q) for q in whole.loc[k]] for k in whole.index}
    return rule


def _by_chance(share: float, v: np.ndarray, c: np.ndarray, edges: np.ndarray, b: np.ndarray, x: np.ndarray) -> bool:
    """Whether categories dealt out among the values at random break their ranges nearly as much as
    `share` (within `BY_CHANCE` times the largest of `N_DEALS` deals): the outer bins are wider than
    the values a category of a few dozen rows reaches, so a category drawn apart from the number (a
    0/1 answer beside an amount) passes `MIN_OUTSIDE` by its tails alone."""
    total = max(int((~np.isnan(x)).sum()), 1)
    dealt = max(_outside_share(v, np.random.default_rng(seed).permutation(c), edges, b) for seed in range(N_DEALS))
    return share < BY_CHANCE * dealt / total


def _counted(c: np.ndarray) -> np.ndarray:
    """The rows whose category holds `MIN_ROWS` binned values at least (codes `c`, -1: missing)."""
    sizes = np.bincount(c[c >= 0], minlength=1)
    return (c >= 0) & (sizes[np.maximum(c, 0)] >= MIN_ROWS)


def _outside_share(v: np.ndarray, c: np.ndarray, edges: np.ndarray, b: np.ndarray) -> float:
    """How much of the binned values `v` (categories `c`, bins `b`) a draw across their whole bin
    puts outside their category's range (the part of the bin past it, per value, summed); 0 where
    fewer than two categories hold `MIN_ROWS` values."""
    rows = _counted(c)
    if len(np.unique(c[rows])) < 2:
        return 0.0
    low, high = _group_extremes(v[rows], c[rows])
    lo, hi = edges[b[rows]], edges[b[rows] + 1]
    width = np.where(hi > lo, hi - lo, np.inf)
    return float(((np.maximum(low - lo, 0) + np.maximum(hi - high, 0)) / width).sum())


def _group_extremes(v: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's category's least and greatest value (`v`'s order): a pandas groupby costs ~3 ms
    however few the rows, and a wide table asks it for every number and category, N_DEALS + 1 times."""
    order = np.argsort(c, kind="stable")
    sorted_c = c[order]
    starts = np.flatnonzero(np.r_[True, sorted_c[1:] != sorted_c[:-1]])
    group = np.cumsum(np.r_[True, sorted_c[1:] != sorted_c[:-1]]) - 1  # each sorted row's category, 0..k-1
    low, high = np.empty_like(v), np.empty_like(v)
    low[order] = np.minimum.reduceat(v[order], starts)[group]
    high[order] = np.maximum.reduceat(v[order], starts)[group]
    return low, high


def keep_category_ranges(
    rules: list[dict],
    cols: dict[str, pd.Series],
    ids: Mapping[str, np.ndarray],
    preprocs: Mapping[str, NumericPreproc],
    rng: np.random.Generator,
) -> None:
    """Redraw (in place) each binned value of `rules`' columns outside its row's category's range
    inside its bin from the category's quantiles (`find_category_ranges`), where the category has
    values in that bin; a value inside the range stays as drawn from the column's own values in its
    bin, finer than a category's `N_QUANTILES` (a category in no relation to the number, whose tails
    alone pass `MIN_OUTSIDE`, then changes little). `ids`: each column's decoded tokens, `preprocs`:
    its preprocessor."""
    for rule in rules:
        col, by = rule["column"], rule["by"]
        if col not in cols or by not in cols or col not in ids:
            continue
        num = preprocs[col]
        b = num.token_bins(ids[col])  # the bin of a binned value, else < 0
        bins = b >= 0
        redrawn = cols[col].to_numpy(np.float64, na_value=np.nan).copy()
        codes, names = value_codes(cols[by][bins])  # once over the rows, not once a category
        for k in np.unique(codes[codes >= 0]):
            if (q := rule["quantiles"].get(names[k])) is not None:
                rows = np.flatnonzero(bins)[codes == k]
                rows = rows[(redrawn[rows] < q[0]) | (redrawn[rows] > q[-1])]  # inside its range: as drawn
                redrawn[rows] = _drawn_in_bins(np.asarray(q), np.asarray(num.edges), b[rows], redrawn[rows], rng)
        redrawn[bins] = num._down_to_grid(redrawn[bins], b[bins])
        if "values" in rule:  # none in older models
            _points_within(rule["values"], cols[by], redrawn, ~bins & ~np.isnan(redrawn), num.decimals, rng)
        cols[col] = pd.Series(redrawn, index=cols[col].index).astype(cols[col].dtype)


def keep_relabelled_ranges(
    rules: list[dict],
    labelled: set[tuple[str, str]],
    tables: Mapping[str, pd.DataFrame],
    decimals: Mapping[tuple[str, str], int | None],
    rng: np.random.Generator,
) -> None:
    """Draw again (in place), from its category's quantiles, each number of `rules` outside the
    range of a category a label rule set after decoding (`labelled`: (table, column) a sign, range
    or interval label writes): a booking's fare kept within the fare class the model drew, then
    the class set from the seat's row (`interval_labels`), 1.3-3.2 % of fares outside their new
    class's range. `decimals`: each number's grid (None: values kept unrounded)."""
    for rule in rules:
        table, col, by = rule["table"], rule["column"], rule["by"]
        frame = tables.get(table)
        if (table, by) not in labelled or frame is None or col not in frame or by not in frame:
            continue
        x = frame[col].to_numpy(np.float64, na_value=np.nan).copy()
        _points_within(rule["quantiles"], frame[by], x, ~np.isnan(x), decimals.get((table, col)), rng)
        frame[col] = pd.Series(x, index=frame.index).astype(frame[col].dtype)


def _points_within(
    values: dict, by: pd.Series, x: np.ndarray, points: np.ndarray, decimals: int | None, rng: np.random.Generator
) -> None:
    """Draw (in place) each exact value (a token of its own) outside the range of its row's
    category's values (`values`: their quantiles, exact ones included) from those quantiles, on the
    column's decimals: a sodium of 2.0, a pH of 44.0, another test's frequent values, 87-90 % of the
    3.6-4.4 % of a trained model's lab values of an EHR outside their test's range."""
    codes, names = value_codes(by[points].reset_index(drop=True))
    at = np.flatnonzero(points)
    for k in np.unique(codes[codes >= 0]):
        if (q := values.get(names[k])) is None:
            continue
        rows = at[codes == k]
        rows = rows[(x[rows] < q[0]) | (x[rows] > q[-1])]
        if len(rows):
            drawn = np.interp(rng.random(len(rows)), np.linspace(0, 1, len(q)), np.asarray(q))
            on_grid = drawn if decimals is None else np.round(drawn, decimals) + 0.0
            x[rows] = np.clip(on_grid, q[0], q[-1])


def within_category_ranges(
    rule: dict | None,
    by: pd.Series,
    low: np.ndarray,
    high: np.ndarray,
    drawn: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """`drawn`, values drawn between `low` and `high` for rows of categories `by`, drawn again there
    from their category's quantiles (`rule`, a `find_category_ranges` rule; None: none); kept where
    the category has none. For a rule of another module redrawing such a number (`_null_cuts`)."""
    if rule is None:
        return drawn
    out = drawn.copy()
    codes, names = value_codes(by)
    for k in np.unique(codes[codes >= 0]):
        if (q := rule["quantiles"].get(names[k])) is not None:
            rows = codes == k
            out[rows] = _drawn_between(np.asarray(q), low[rows], high[rows], out[rows], rng)
    return out


def _drawn_in_bins(
    q: np.ndarray, edges: np.ndarray, b: np.ndarray, drawn: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Values of bins `b` drawn from the quantiles `q` restricted to each bin; `drawn` kept where
    the quantiles hold nothing inside the bin."""
    return _drawn_between(q, edges[b], edges[b + 1], drawn, rng)


def _drawn_between(
    q: np.ndarray, low: np.ndarray, high: np.ndarray, drawn: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Values drawn from the quantiles `q` restricted to [low, high]; where the category holds one
    value there only (its top on a bin's lower edge: a JPY rate of 0.0064 in the bin up to USD's
    0.88), that value; `drawn` kept where the quantiles hold nothing there."""
    levels = np.linspace(0, 1, len(q))
    lo, hi = np.interp(low, q, levels), np.interp(high, q, levels)  # the interval's share of the category
    out = np.interp(lo + (hi - lo) * rng.random(len(low)), levels, q)
    bottom, top = np.maximum(low, q[0]), np.minimum(high, q[-1])  # the category's span inside the interval
    return np.where(hi > lo, out, np.where(bottom <= top, np.clip(drawn, bottom, top), drawn))

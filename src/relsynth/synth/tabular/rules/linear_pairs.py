"""Numbers kept near the line another number of their row draws them on (a price with tax, rounded,
from the price without; bytes from a duration at a fixed bitrate): y = slope * x + intercept give or
take a small residual.

The model writes each number in bins of its own column, so two numbers of a near-linear pair come
out drawn apart: a wide table's f000 = 2 * f003 + noise (correlation 0.998) was generated with a
correlation of 0.57 by a small model. The relation is not exact, so `formulas` keeps no formula;
numbers that cross zero hold no ratio, so `ratio_ranges` keeps no range.

The fit keeps, per synthesised table, pairs of numbers whose least-squares line explains the later
one almost wholly (R² at least `MIN_R2` over `MIN_ROWS` rows at least holding both, on `SAMPLE`
rows at most) with `N_QUANTILES` quantiles of its residual. The number moved is a binned one the
generation writes, the later of the pair unless only the earlier is; each number is moved by one
rule at most and a moved number reads none (no chains whose order would matter), the best fits
first. Decoding draws a binned value whose residual is outside the data's residual range again as
the line at its row's other number plus a residual drawn from the quantiles, on its column's grid;
a value inside stays as drawn, a row missing either number as it is. Columns a total, a formula, an
order within rows or an earlier number rule sets or reads, and the root's context columns, are left
alone. Not under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.rules.numbers import as_floats, on_grid, screen_rows

log = logging.getLogger(__name__)
MIN_ROWS = 50  # rows holding both numbers a pair needs: a line through fewer may fit by chance
MIN_R2 = 0.98  # share of the moved number's variance the line explains: a relation, not a correlation
MIN_DISTINCT = 10  # distinct values each number needs: a few levels are categories, which other rules keep
N_QUANTILES = 21  # the residuals kept as this many quantiles


def find_linear_pairs(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of", "slope", "intercept", "quantiles"}]: `table.column` stays within
    the data's residual range about `slope * of + intercept`. `skip`: (table, column) set or read
    elsewhere."""
    out = []
    for table, layout in pre.layouts.items():
        given = set(pre.given_columns(table))
        known = pre.schema.tables[table].columns
        fields = [c for c in layout.fields if c in known and (table, c) not in skip]
        numbers = pre.float_numbers(table, fields)
        if len(numbers) < 2:
            continue
        preprocs = {c: pre.slots[s].preproc for c, s in zip(layout.fields, layout.slots, strict=False)}
        frame = data[table].reset_index(drop=True)
        sample = screen_rows(len(frame))
        values = {c: as_floats(frame[c].iloc[sample]) for c in numbers}
        numbers = [c for c in numbers if len(np.unique(values[c][~np.isnan(values[c])])) >= MIN_DISTINCT]
        found = []
        for i, a in enumerate(numbers):
            for b in numbers[:i]:
                moved = _moved(preprocs, a, b, given)
                if moved is None:
                    continue
                other = b if moved == a else a
                r2 = _r2(values[moved], values[other])
                if r2 >= MIN_R2:
                    found.append((-r2, moved, other))
        moved_cols: set[str] = set()
        read: set[str] = set()
        for neg_r2, col, of in sorted(found):  # the best fits first
            if col in moved_cols or col in read or of in moved_cols:
                continue
            moved_cols.add(col)
            read.add(of)
            out.append({"table": table, "column": col, "of": of} | _line(frame, col, of))
            log.info("%s.%s kept near its line on %s (R² %.4f)", table, col, of, -neg_r2)
    return out


def _moved(preprocs: Mapping, a: str, b: str, given: set[str]) -> str | None:
    """Which of `a` and its earlier `b` a rule moves: a binned number the generation writes (not
    given), the later where both are; None where neither is."""
    movable = [
        c for c in (a, b) if c not in given and isinstance(p := preprocs.get(c), NumericPreproc) and p.n_bins_used
    ]
    return movable[0] if movable else None


def _r2(y: np.ndarray, x: np.ndarray) -> float:
    """The share of `y`'s variance its least-squares line on `x` explains (the squared correlation),
    over the rows holding both; 0 where fewer than `MIN_ROWS` do or either is constant there."""
    both = ~np.isnan(y) & ~np.isnan(x)
    if both.sum() < MIN_ROWS:
        return 0.0
    y, x = y[both] - y[both].mean(), x[both] - x[both].mean()
    sxx, syy = float(x @ x), float(y @ y)
    if sxx <= 0 or syy <= 0:
        return 0.0
    return float((x @ y) ** 2 / (sxx * syy))


def _line(frame: pd.DataFrame, col: str, of: str) -> dict:
    """The least-squares line of `col` on `of` over every row holding both, and `N_QUANTILES`
    quantiles of its residuals."""
    y, x = as_floats(frame[col]), as_floats(frame[of])
    both = ~np.isnan(y) & ~np.isnan(x)
    y, x = y[both], x[both]
    slope = float(((x - x.mean()) @ (y - y.mean())) / ((x - x.mean()) @ (x - x.mean())))
    intercept = float(y.mean() - slope * x.mean())
    residual = y - (slope * x + intercept)
    levels = np.linspace(0, 1, N_QUANTILES)
    return {"slope": slope, "intercept": intercept, "quantiles": [float(q) for q in np.quantile(residual, levels)]}


def keep_linear_pairs(
    rules: list[dict],
    cols: dict[str, pd.Series],
    ids: Mapping[str, np.ndarray],
    preprocs: Mapping[str, NumericPreproc],
    rng: np.random.Generator,
) -> None:
    """Redraw (in place) each binned value of `rules`' columns whose residual about its line on its
    row's `of` is outside the data's range (`find_linear_pairs`) as the line plus a residual drawn
    from the quantiles, on the column's grid. `ids`: each column's decoded tokens, `preprocs`: its
    preprocessor."""
    for rule in rules:
        col, of = rule["column"], rule["of"]
        if col not in cols or of not in cols or col not in ids:
            continue
        num = preprocs[col]
        y = cols[col].to_numpy(np.float64, na_value=np.nan).copy()
        x = to_numbers(cols[of]).to_numpy(np.float64, na_value=np.nan)
        q = np.asarray(rule["quantiles"], np.float64)
        line = rule["slope"] * x + rule["intercept"]
        binned = (num.token_bins(ids[col]) >= 0) & ~np.isnan(y) & ~np.isnan(x)
        rows = np.flatnonzero(binned & ((y - line < q[0]) | (y - line > q[-1])))
        if not len(rows):
            continue
        residual = np.interp(rng.random(len(rows)), np.linspace(0, 1, len(q)), q)
        y[rows] = on_grid(num, line[rows] + residual, line[rows] + q[0], line[rows] + q[-1])
        cols[col] = pd.Series(y, index=cols[col].index).astype(cols[col].dtype)

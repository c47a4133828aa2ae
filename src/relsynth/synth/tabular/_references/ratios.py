"""Numbers a fixed ratio of a number of the row they reference (`copies` keeps plain copies): an
order line's unit price is its product's list price, or 0.6 of it for a reseller; a price paid is
within 0.8 to 1.0 of the product's suggested price.

The model writes each row's own number in bins, and the referenced row is drawn after it
(`generate`), so the ratio is lost. The fit keeps, per reference, a number of the referencing
row whose ratio to a number of the referenced row (both positive) spans a narrow range: at most
`MAX_SPAN` of the span the same two columns give when their rows are paired at random (a shuffle),
so two merely similar columns (prices near 1) do not pass. It keeps the range and the ratios many
rows hold exactly (`factors`). Generation draws a ratio outside the range anew from the data's
(its quantiles), and moves it to its nearest factor in the share of rows that hold one; the
model's value picks that factor (a reseller's line is written lower).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.schema import Edge
from relsynth.synth.tabular._references.copies import MIN_ROWS, copy_targets, same_kind
from relsynth.synth.tabular.encoders import decimals_of

MAX_SPAN = 0.2  # the ratios' log span, at most this share of the shuffled pairs' (1 % to 99 %)
MIN_FACTOR = 0.1  # a factor: a ratio (to 4 decimals) that this share of the rows hold
MAX_FACTORS = 4  # ... at most this many, the most held
MIN_FIXED = 0.95  # rows holding one of the exact ratios, for the ratios to explain a greatest (`fixed_ratios`)
QUANTILES = 21  # the ratio's quantiles kept (0, 5, ..., 100 %): a ratio outside the range is drawn from them


def ratio_columns(pre, data: RelationalData, e: Edge, pos: np.ndarray, copies: list) -> list[dict]:
    """[{column, source, low, high, factors, shares}] for the numbers of `e.child` a narrow ratio of
    a number of the row they reference (see the module docstring); at most one source per column,
    none for a column `copies` already copies. `pos`: per referencing row, the referenced row's position."""
    known = pos >= 0
    if known.sum() < MIN_ROWS or e.child == e.parent:
        return []
    copied = {c[0] for c in copies}
    child, parent = data[e.child], data[e.parent]
    out = []
    for col in copy_targets(pre, e.child):
        if col in copied or data.schema.tables[e.child].columns[col].kind is not Column.NUMERIC:
            continue
        mine = to_numbers(child[col][known]).to_numpy(float)
        found = [
            {"column": col, "source": source, **fit}
            for source in same_kind(data.schema, e.child, col, e.parent)
            if (fit := _ratio(mine, to_numbers(parent[source]).to_numpy(float)[pos[known]]))
        ]
        if found:  # the narrowest
            best = min(found, key=lambda f: f["span"])
            out.append({k: v for k, v in best.items() if k != "span"})
    return out


def _ratio(mine: np.ndarray, theirs: np.ndarray) -> dict | None:
    """The ratio range and factors of `mine` to `theirs` (paired rows), or None where not narrow."""
    both = (mine > 0) & (theirs > 0)
    if both.sum() < MIN_ROWS:
        return None
    a, b = mine[both], theirs[both]
    logs = np.log(a / b)
    shuffled = np.log(a / np.random.default_rng(0).permutation(b))  # fixed seed: the same fit each time
    spread = float(np.quantile(shuffled, 0.99) - np.quantile(shuffled, 0.01))
    span = float(logs.max() - logs.min())
    if spread <= 0 or span > MAX_SPAN * spread:
        return None
    places = decimals_of(a)
    # a candidate to 3 decimals (0.6 from 0.5997: a price rounded to the cent), kept where the rows
    # hold it to their own decimals
    candidates = pd.Series(np.round(a / b, 3)).value_counts().index[: 4 * MAX_FACTORS]
    held = {float(f): float((a == np.round(f * b, places)).mean()) for f in candidates}
    factors = sorted((f for f in held if held[f] >= MIN_FACTOR), key=held.get, reverse=True)[:MAX_FACTORS]
    return {
        "low": float(np.exp(logs.min())),
        "high": float(np.exp(logs.max())),
        "quantiles": [round(float(q), 6) for q in np.exp(np.quantile(logs, np.linspace(0, 1, QUANTILES)))],
        "factors": factors,
        "shares": [round(held[f], 4) for f in factors],
        "decimals": places,
        "span": span / spread,
    }


def fixed_ratios(mine: np.ndarray, theirs: np.ndarray) -> bool:
    """Whether `mine` is, in `MIN_FIXED` of the paired rows, one of at least two exact ratios of
    `theirs` (a line's price, its product's list price or 0.6 of it): the greatest or least of such
    rows is the ratios' doing, not a total to set from them (`totals`)."""
    fit = _ratio(mine, theirs)
    return fit is not None and len(fit["factors"]) >= 2 and sum(fit["shares"]) >= MIN_FIXED


def scale_values(
    ratios: list[dict], child: pd.DataFrame, parent: pd.DataFrame, refs: pd.Series, parent_pk: str, rng
) -> None:
    """Set (in place) each fitted ratio's column of `child` from the row its reference `refs` names:
    its ratio to the source clipped into the fitted range, moved to the nearest factor in the share
    of rows that hold one (see the module docstring)."""
    pos = pd.Index(parent[parent_pk]).get_indexer(refs)
    for r in ratios:
        mine = to_numbers(child[r["column"]]).to_numpy(float)
        theirs = np.full(len(pos), np.nan)
        theirs[pos >= 0] = to_numbers(parent[r["source"]]).to_numpy(float)[pos[pos >= 0]]
        rows = np.flatnonzero((mine > 0) & (theirs > 0))
        if not len(rows):
            continue
        ratio = mine[rows] / theirs[rows]
        # outside the range: drawn from the data's ratios, not clipped (a third of the rows on its ends)
        out = (ratio < r["low"]) | (ratio > r["high"])
        q = r["quantiles"]
        ratio[out] = np.interp(rng.random(out.sum()), np.linspace(0, 1, len(q)), q)
        if r["factors"]:
            factors = np.asarray(r["factors"])
            nearest = factors[np.abs(np.log(ratio)[:, None] - np.log(factors)[None, :]).argmin(axis=1)]
            snap = rng.random(len(rows)) < sum(r["shares"])
            ratio = np.where(snap, nearest, ratio)
        column = child[r["column"]].copy()
        column.iloc[rows] = np.round(theirs[rows] * ratio, r.get("decimals", 6))
        child[r["column"]] = column

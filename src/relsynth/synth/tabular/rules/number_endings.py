"""Numbers whose last decimals favour a few endings (prices at .99 and .00: charm pricing; weights
in halves, .0 and .5).

A binned value is drawn on its column's grid inside its bin, so every ending of its last decimals
comes out alike: 41 % of a marketplace's prices in cents ended in .99 and 27 % in .00, 11 % of a
small model's generated ones did, each.

The fit keeps, per binned number column of a synthesised table written with decimals, the endings
(its last decimals, in units of the grid: 99 of a price in cents) that `MIN_ROWS` binned values at
least hold, in `MIN_FACTOR` times the share an even spread over the grid would give them and
`MIN_SHARE` at least, with their shares. Values of a category a rule of `_category_decimals` writes
with fewer decimals (whole yen beside cents) are left out of the shares: they are rounded anyway.
Decoding gives each binned value such an ending in its share (its whole part kept, on its side of
0), else leaves it as drawn; exact values (a token of their own: 19.99 in many rows) are the
model's. Columns a total, a formula, a running sum or an order within rows sets, and the root's
context columns, are left alone. Not under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.rules.category_decimals import rule_labels

log = logging.getLogger(__name__)
MIN_ROWS = 20  # binned values an ending needs
MIN_SHARE = 0.05  # share of the binned values an ending needs
MIN_FACTOR = 5.0  # ... and this many times its share under an even spread of endings


def find_number_endings(pre, data, skip: set[tuple[str, str]], decimals: list[dict]) -> list[dict]:
    """[{"table", "column", "decimals", "endings": [[ending, share], ...]}]: a binned number column
    of `decimals` decimals whose binned values end (in units of its last decimal) in `ending` in
    `share` of them. `skip`: (table, column) set elsewhere; `decimals`: `find_category_decimals`'."""
    out = []
    for table, layout in pre.layouts.items():
        given = pre.given_columns(table)
        for col, s in zip(layout.fields, layout.slots, strict=False):
            num = pre.slots[s].preproc
            if (table, col) in skip or col in given or col not in data[table].columns:
                continue
            if not isinstance(num, NumericPreproc) or num.kind != "numeric" or not num.decimals:
                continue
            # read to significant digits (a large value whole, a small one not): their endings follow from it
            if not num.n_bins_used or num.significant or not pre.float_numbers(table, [col]):
                continue
            values = data[table][col].reset_index(drop=True)
            binned = (num.encode(values) > len(num.points)) & ~_fewer_decimals(pre, data, table, col, decimals)
            x = to_numbers(values[binned]).to_numpy(np.float64, na_value=np.nan)
            endings = frequent_endings(x[~np.isnan(x)], int(num.decimals), int(num.step))
            if endings:
                log.info("%s.%s ends in %s in most of its values: kept so", table, col, endings)
                out.append({"table": table, "column": col, "decimals": int(num.decimals), "endings": endings})
    return out


def _fewer_decimals(pre, data, table: str, col: str, decimals: list[dict]) -> np.ndarray:
    """Whether each row of `table` is of a category `decimals` rounds `col` to fewer decimals."""
    out = np.zeros(len(data[table]), dtype=bool)
    for rule in decimals:
        if rule["table"] == table and rule["column"] == col:
            frames = {t: data[t] for t in (table, *(e.parent for e in [pre.schema.parent(table)] if e))}
            labels = rule_labels(pre, rule, frames)
            if labels is not None:
                out |= labels.isin([c for c, _ in rule["decimals"]]).to_numpy()
    return out


def frequent_endings(x: np.ndarray, decimals: int, step: int = 1) -> list[list[float]]:
    """[[ending, share], ...]: the endings of `x`'s last `decimals` decimals (in their units, on the
    grid of `step` of them) frequent enough to be a habit of the data, not chance."""
    if len(x) < MIN_ROWS:
        return []
    unit = 10**decimals
    ends = np.round(np.abs(x) * unit).astype(np.int64) % unit
    found, counts = np.unique(ends, return_counts=True)
    share = counts / len(x)
    even = step / unit  # each ending's share if they were spread evenly over the grid
    keep = (counts >= MIN_ROWS) & (share >= MIN_SHARE) & (share >= MIN_FACTOR * even)
    return [[int(e), round(float(s), 6)] for e, s in zip(found[keep], share[keep], strict=True)]


def keep_number_endings(
    rules: list[dict],
    table: str,
    cols: dict[str, pd.Series],
    ids: Mapping[str, np.ndarray],
    preprocs: Mapping[str, NumericPreproc],
    rng: np.random.Generator,
) -> None:
    """Give (in place) each binned value of `table`'s rule columns one of the data's frequent endings
    in its share (`find_number_endings`), its whole part and sign kept; other values stay as drawn."""
    for rule in rules:
        col = rule["column"]
        if rule["table"] != table or col not in cols or col not in ids:
            continue
        num = preprocs[col]
        binned = np.flatnonzero(np.asarray(ids[col]) > len(num.points))
        x = cols[col].to_numpy(np.float64, na_value=np.nan).copy()
        endings = np.array([e for e, _ in rule["endings"]], dtype=np.float64)
        shares = np.array([s for _, s in rule["endings"]], dtype=np.float64)
        pick = np.searchsorted(np.cumsum(shares), rng.random(len(binned)), side="right")  # == len: as drawn
        rows, places = binned[pick < len(endings)], int(rule["decimals"])
        ended = _with_endings(x[rows], endings[pick[pick < len(endings)]] / 10.0**places, places)
        x[rows] = _within_bins(ended, x[rows], num, num.token_bins(np.asarray(ids[col])[rows]))
        cols[col] = pd.Series(x, index=cols[col].index).astype(cols[col].dtype)


def _with_endings(x: np.ndarray, fractions: np.ndarray, places: int) -> np.ndarray:
    """`x` with its fraction replaced by `fractions`, its whole part and sign kept."""
    return np.sign(x) * np.round(np.floor(np.abs(x)) + fractions, places)


def _within_bins(ended: np.ndarray, drawn: np.ndarray, num: NumericPreproc, b: np.ndarray) -> np.ndarray:
    """`ended` moved a whole unit back into its bin `b` where the ending took it out (a bin from 1.99:
    1.45 ending in .00 is 1.00, below every value of the data), else the value `drawn`."""
    edges = np.asarray(num.edges)
    lo, hi = edges[b], edges[b + 1]
    out = np.where(ended < lo, ended + 1.0, np.where(ended > hi, ended - 1.0, ended))
    return np.where((out >= lo) & (out <= hi), out, drawn)

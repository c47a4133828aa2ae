"""Numbers written with fewer decimals where a category of their row, or of their parent row,
says so (a statement's amounts in whole yen beside euros and dollars in cents, one column).

A number is decoded on its column's grid (`NumericPreproc.decimals`: the most decimals any value
needs), so a value whose currency has none came out with cents all the same: 98 % of a small
model's generated JPY amounts (and every JPY opening balance, and the balances summed from them)
held a fraction of a yen no source row holds.

The fit keeps, per binned number column (decimals above 0) of a synthesised table, the
categorical column of its row, or else of its parent row, whose categories written with fewer
decimals (each in `MIN_ROWS` values at least, not all one value) cover the most values, with those categories'
decimals: negative ones, as `np.round` reads them, for whole tens or hundreds (yen prices in tens
beside cents: -1; a small model wrote 7 % of such prices in tens, all the data's are). Decoding rounds the values of such rows to their category's decimals, before the
formulas, running sums and totals that read them; a category the rule does not name keeps the
column's. Columns a total, a formula or a running sum sets are left to it (they follow their
operands), and so are the root's context columns. Not under DP.

Whole numbers likewise, on tens, hundreds or thousands where a category of the row says so
(decimals -1 to -3: goods received in tens beside issues of any count, one quantity column): 12 %
of a generated inventory's receipts were no multiple of 10, none in the data. A value such rounding
would make 0 keeps one step of its sign (a receipt of 4 is one of 10, not of none).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import NumericPreproc, fewest_decimals
from relsynth.synth.tabular.rules.columns import categoricals, value_codes

log = logging.getLogger(__name__)
# a category's values needed to read its decimals: cents whole in 10 values by chance once in 1e20;
# 20 left the 15 JPY accounts of a training split with cents in their opening balances
MIN_ROWS = 10
MAX_TENS = 6  # whole millions at most: a grid coarser than that is no spelling of a number


def find_category_decimals(pre, data, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "by", "parent", "decimals": [[category, decimals], ...]}]: a number
    column, the categorical column `by` of its row (`parent`: of its parent row) and the categories
    written with fewer decimals than the column (`skip`: (table, column) set by another rule)."""
    out = []
    for table, layout in pre.layouts.items():
        given = pre.given_columns(table)
        candidates = None  # the labels, read once a table holds a number to try them on
        coded: dict[tuple[str, bool], tuple[np.ndarray, list[str]]] = {}  # ... and coded once a table
        for col, s in zip(layout.fields, layout.slots, strict=False):
            num = pre.slots[s].preproc
            if (table, col) in skip or col in given or col not in data[table].columns:
                continue
            # read to significant digits, a category's decimals follow its magnitudes, not the category
            if not isinstance(num, NumericPreproc) or not _binned_grid(num) or num.significant:
                continue
            candidates = _candidates(pre, data, table) if candidates is None else candidates
            x = to_numbers(data[table][col]).to_numpy(np.float64, na_value=np.nan)
            rule = _best_rule(x, num.decimals, candidates, coded)
            if rule is not None:
                where = f"its {pre.schema.parent(table).parent} row's" if rule["parent"] else "its"
                log.info("%s.%s written with the decimals of %s %s: kept so", table, col, where, rule["by"])
                out.append({"table": table, "column": col, **rule})
    return out


def _candidates(pre, data, table: str) -> list[tuple[str, bool, pd.Series]]:
    """(column, of the parent row, its label in each of `table`'s rows): the row's categoricals,
    then its parent row's."""
    own = [(c, False, data[table][c]) for c, _ in categoricals(pre, data, table)]
    edge = pre.schema.parent(table)
    if edge is None or edge.parent not in pre.layouts or edge.fk not in data[table].columns:
        return own
    parent = data[edge.parent].set_index(pre.schema.tables[edge.parent].primary_key)
    rows = parent.index.get_indexer(data[table][edge.fk])
    theirs = [
        (c, True, pd.Series(np.where(rows >= 0, parent[c].to_numpy(object)[np.maximum(rows, 0)], None)))
        for c, _ in categoricals(pre, data, edge.parent)
    ]
    return own + theirs


def _binned_grid(num: NumericPreproc) -> bool:
    """Whether a number column's grid is one a category may coarsen: decimals, or whole numbers on
    a step of 1, where some values are drawn in bins. A column of exact values only (postal codes,
    `_code_values`) is written as the data's values: rounding one drawn beside another category
    made a code no row holds (Bordeaux's in hundreds turned 13004 into 13000)."""
    grid = num.kind == "numeric" and bool(num.decimals) or num.kind == "integer" and num.step == 1
    return grid and num.n_bins_used > 0


def _best_rule(
    x: np.ndarray, decimals: int, candidates: list[tuple[str, bool, pd.Series]], coded: dict | None = None
) -> dict | None:
    """{"by", "parent", "decimals"} of the candidate whose categories with fewer decimals than
    `decimals` hold the most values of `x`; None where no category has fewer. `coded`: each
    candidate's `value_codes` by (column, parent), kept across a table's numbers (a wide table has
    thousands of pairs, ~3 ms a coding)."""
    best: tuple[int, dict] | None = None
    held = ~np.isnan(x)
    coded = {} if coded is None else coded
    for by, parent, labels in candidates:
        if (by, parent) not in coded:
            coded[by, parent] = value_codes(labels.reset_index(drop=True))
        codes, names = coded[by, parent]
        rows = held & (codes >= 0)
        if not rows.any():  # no label beside a number (an all-null column, a denial's reason): none to read
            continue
        order = np.argsort(codes[rows], kind="stable")  # each category's values together, split once
        ks, starts = np.unique(codes[rows][order], return_index=True)
        fewer, covered = [], 0
        for k, v in zip(ks, np.split(x[rows][order], starts[1:]), strict=True):
            # one value only shows no grid: a seat 20B's row, 20 in every booking, is no number in tens
            if len(v) >= MIN_ROWS and np.ptp(v) > 0 and (d := places(v)) is not None and d < decimals:
                fewer.append([names[k], int(d)])
                covered += len(v)
        if fewer and (best is None or covered > best[0]):
            best = (covered, {"by": by, "parent": parent, "decimals": fewer})
    return None if best is None else best[1]


def places(v: np.ndarray) -> int | None:
    """The decimals `v` is written with (`fewest_decimals`), negative for whole tens, hundreds, ... as
    `np.round` reads them (prices in tens of yen: -1); None where no grid fits."""
    d = fewest_decimals(v)
    if d != 0:
        return d
    top = float(np.max(np.abs(v))) if len(v) else 0.0
    while d > -MAX_TENS and 10.0 ** (1 - d) <= top and np.allclose(np.round(v, d - 1), v, rtol=0, atol=1e-9):
        d -= 1
    return d


def keep_category_decimals(pre, rules: list[dict], out: dict[str, pd.DataFrame], tables: set[str]) -> None:
    """Round (in place) the values of `rules`' columns in `tables` to their row's category's
    decimals (`find_category_decimals`); rows of other categories, or missing ones, stay as drawn."""
    for rule in rules:
        table, col = rule["table"], rule["column"]
        if table not in tables or table not in out or col not in out[table]:
            continue
        labels = rule_labels(pre, rule, out)
        if labels is None:
            continue
        codes, names = value_codes(labels)
        places = dict(map(tuple, rule["decimals"]))
        x = out[table][col].to_numpy(np.float64, na_value=np.nan).copy()
        for k, name in enumerate(names):
            if (d := places.get(name)) is not None:
                rows = codes == k
                x[rows] = _rounded(x[rows], int(d))
        out[table][col] = pd.Series(x, index=out[table].index).astype(out[table][col].dtype)


def _rounded(x: np.ndarray, decimals: int) -> np.ndarray:
    """`x` rounded to `decimals` (below 0: tens, hundreds ...); there a value that would round to 0
    keeps one step of its sign."""
    out = np.round(x, decimals) + 0.0  # + 0.0: -0.4 rounds to -0.0
    if decimals < 0:
        out = np.where((out == 0) & (x != 0), np.sign(x) * 10.0**-decimals, out)
    return out


def rule_labels(pre, rule: dict, out: dict[str, pd.DataFrame]) -> pd.Series | None:
    """The label a rule reads (`by`: of the row, or of its parent row where `parent`) in each
    generated row of its table; None where the tables lack it. Also `number_endings`' (its rules
    name their label alike)."""
    frame, by = out[rule["table"]], rule["by"]
    if not rule["parent"]:
        return frame[by].reset_index(drop=True) if by in frame else None
    edge = pre.schema.parent(rule["table"])
    if edge is None or edge.parent not in out or by not in out[edge.parent] or edge.fk not in frame:
        return None
    parent = out[edge.parent].set_index(pre.schema.tables[edge.parent].primary_key)[by]
    return parent.reindex(frame[edge.fk].to_numpy()).reset_index(drop=True)

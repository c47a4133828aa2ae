"""Columns held only on one side of a number of their row, missing at will on the other: a day's
snow only where its highest temperature stays below 2 °C (a dry cold day has none), a reason for
overtime only above 40 hours, a Chinook track's composer never at the video price.

`null_cuts` keeps a column missing *exactly* on one side; here the held side also has rows
missing, so no token of the number says the column's state and the model drew snow on warm days:
22 % and 30 % of the snow in two generated weather databases fell on days above 2 °C (none in the
data). The fit keeps, per nullable column and number of its row, the side of the number's values
beyond which no row holds the column (`find_held_sides`), where chance would not leave so many rows
beyond it all missing: at the column's held share `p`, `k` rows beyond all missing have a chance of
(1 - p)^k, kept below `ALPHA` (a column held at random in 1 row of 10 leaves about 10 rows above its
highest held number, a chance of 0.35). Decoding keeps a row holding the column on its side
(`keep_held_sides`): a number whose bin reaches the side is drawn again there, as `null_cuts` draws
one; past it, the number is the model's choice and the column beside it the slip, cleared.
Not under DP (no rules fitted there).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.rules.columns import field_preproc
from relsynth.synth.tabular.rules.null_cuts import redraw_in_bins

log = logging.getLogger(__name__)
ALPHA = 1e-6  # chance, at most, that the rows beyond the held side are all missing by chance
MIN_ROWS = 20  # rows beyond the held side, and rows holding the column, at least
NUMBERS = (Column.NUMERIC, Column.INTEGER)


def find_held_sides(pre, data: RelationalData, ruled: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of", "below", "cut"}]: `column` is missing in every row of `table`
    whose number `of` lies past `cut` (above it where `below`: the column is held below it only).
    Not on columns another rule makes missing (`ruled`: (table, column)), keys or context columns."""
    out = []
    for table in pre.layouts:
        frame, kinds = data[table], pre.schema.tables[table].columns
        modelled = [c for c in pre.modelled_columns(table) if c in frame.columns and c not in pre.given_columns(table)]
        numbers = [c for c in modelled if kinds[c].kind in NUMBERS]
        for col in modelled:
            held = frame[col].notna().to_numpy()
            if (table, col) in ruled or held.all() or held.sum() < MIN_ROWS or kinds[col].kind is Column.FOREIGN_KEY:
                continue
            for of in (n for n in numbers if n != col):
                if (side := held_side(frame[of].to_numpy(np.float64, na_value=np.nan), held)) is not None:
                    out.append({"table": table, "column": col, "of": of, **side})
                    where = "below" if side["below"] else "above"
                    log.info("%s.%s is held only %s %s = %g", table, col, where, of, side["cut"])
    return out


def held_side(x: np.ndarray, held: np.ndarray) -> dict | None:
    """{"below", "cut"}: the side of `x` (a number, NaN where missing) that every row holding the
    column (`held`) lies on, the rows beyond it `MIN_ROWS` at least, all missing, beyond chance; else None.
    The cut lies halfway between the last held value and the first missing one past it."""
    known = ~np.isnan(x)
    x, held = x[known], held[known]
    p = held.mean() if len(x) else 0.0
    if held.sum() < MIN_ROWS or p >= 1.0:
        return None
    for below in (True, False):
        edge = x[held].max() if below else x[held].min()
        beyond = x[x > edge] if below else x[x < edge]
        if len(beyond) >= MIN_ROWS and len(beyond) * math.log1p(-p) < math.log(ALPHA):
            nearest = beyond.min() if below else beyond.max()
            return {"below": below, "cut": float((edge + nearest) / 2)}
    return None


def keep_held_sides(pre, rules: list[dict], table: str, frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Per rule, in place, the rows of `frame` (rows of `table`) holding the column with their number
    past the cut: the number drawn again inside its bin on the held side where its bin reaches it
    (decoding drew it anywhere in the bin: a track's bytes, beside its composer), else the column
    cleared. A number an order of the row reads or writes keeps its value (a move would cross it)."""
    for rule in (r for r in rules if r["table"] == table and r["of"] in frame and r["column"] in frame):
        x = frame[rule["of"]].to_numpy(np.float64, na_value=np.nan)
        held = frame[rule["column"]].notna().to_numpy()
        if _redrawable(pre, table, rule["of"]):
            side = {"top": rule["cut"]} if rule["below"] else {"bottom": rule["cut"]}
            fixed = x.copy()
            redraw_in_bins(field_preproc(pre, table, rule["of"]), fixed, held & _past(x, rule), rng, **side)
            if not np.array_equal(fixed, x, equal_nan=True):
                frame[rule["of"]] = pd.Series(fixed, index=frame.index).astype(frame[rule["of"]].dtype)
                x = fixed
        if (past := held & _past(x, rule)).any():
            frame[rule["column"]] = frame[rule["column"]].mask(past)


def _past(x: np.ndarray, rule: dict) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return x > rule["cut"] if rule["below"] else x < rule["cut"]


def _redrawable(pre, table: str, col: str) -> bool:
    """Whether `col` is a binned number of `table` drawn as itself, in no order of its row or siblings."""
    orders = pre.orderings.get(table, {})
    if col in orders or any(o.base == col or o.bound == col or o.cap == col for o in orders.values()):
        return False
    p = field_preproc(pre, table, col)
    return isinstance(p, NumericPreproc) and p.n_bins_used > 0 and col not in pre.given_columns(table)

"""Columns missing exactly on one side of a number of their row: a survey's skip logic on an age
(work hours asked from 16 on), a follow-up asked only above a score.

The fit keeps, per nullable column, the first number of its row whose values where it is missing
all lie below (or all above) those where it is held (`find_null_cuts`, `MIN_NULLS` rows each
side). The model draws the number's bin, then the column's `<missing>` token or a value; a bin
holding values of both sides (ages 15 to 17, where 15 is never asked) was decoded anywhere in it,
and 53 of 3,000 generated respondents had hours at 15 or none at 16 and 17. At generation a
number on the wrong side of its row's choice is drawn again inside its bin on the right side
(`keep_null_cuts`). Where the number comes first in the row, its token already says the side of a
bin (or exact value) wholly on one side: the column's `<missing>` token is forced after it, or
banned (`cut_tables`), as an earlier category's null rule does; a tiny model left alone gave 19 %
of a household survey's children under 15 a marital status. A bin wholly on the wrong side of a
number written after the column is the model's choice, left as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.rules.category_ranges import within_category_ranges

MIN_NULLS = 5  # rows on each side, at least
KINDS = ("numeric", "integer")  # numbers a cut is read on (dates: their own orders)


def find_null_cuts(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "of", "below", "cut": [last, first]}]: `column` is missing in every row
    of `table` whose number `of` is at most `last` and held in every one where it is at least
    `first` (`below`: the missing rows are the lower ones; else the other way round). Not on context
    columns (given at generation, never drawn again)."""
    out = []
    for table, layout in pre.layouts.items():
        frame = data[table]
        preprocs = {c: pre.slots[s].preproc for c, s in zip(layout.fields, layout.slots, strict=False)}
        given = pre.given_columns(table)
        numbers = [
            c for c, p in preprocs.items() if _binned(p) and c not in pre.orderings.get(table, {}) and c not in given
        ]
        if not numbers:
            continue
        x = np.column_stack([frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in numbers])  # (rows, k)
        for col, p in preprocs.items():
            if not getattr(p, "has_missing", False) or col not in frame.columns:
                continue
            if (cut := _first_cut(x, frame[col].isna().to_numpy(), numbers, col)) is not None:
                out.append({"table": table, "column": col, **cut})
    return out


def _binned(p) -> bool:
    return isinstance(p, NumericPreproc) and p.kind in KINDS and p.n_bins_used > 0


def _first_cut(x: np.ndarray, missing: np.ndarray, numbers: list[str], col: str) -> dict | None:
    """The first number whose values where `missing` and where not lie on two sides of a cut."""
    for k, of in enumerate(numbers):
        v = x[:, k]
        gone, held = v[missing & ~np.isnan(v)], v[~missing & ~np.isnan(v)]
        if of == col or len(gone) < MIN_NULLS or len(held) < MIN_NULLS:
            continue
        if gone.max() < held.min():
            return {"of": of, "below": True, "cut": [float(gone.max()), float(held.min())]}
        if gone.min() > held.max():
            return {"of": of, "below": False, "cut": [float(held.max()), float(gone.min())]}
    return None


def keep_null_cuts(pre, rules: list[dict], table: str, frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Draw again, in place, inside its bin and on its side, each number of `frame` (rows of
    `table`) that lies on the wrong side of a cut for its row's missing or held column; never a
    context column (a rule a model saved before `find_null_cuts` left them out may name one)."""
    given = pre.given_columns(table)
    for rule in (r for r in rules if r["table"] == table and r["of"] in frame and r["column"] in frame):
        if rule["of"] in given:
            continue
        layout = pre.layouts[table]
        p = pre.slots[layout.slots[layout.fields.index(rule["of"])]].preproc
        x = frame[rule["of"]].to_numpy(dtype=np.float64, na_value=np.nan)
        missing = frame[rule["column"]].isna().to_numpy()
        last, first = rule["cut"]
        low_side = missing if rule["below"] else ~missing  # rows whose number belongs at or below `last`
        fixed = x.copy()
        ranged = range_of(pre, table, rule["of"], frame)  # a lab value stays within its test's range
        redraw_in_bins(p, fixed, low_side & (x > last), rng, top=last, ranged=ranged)
        redraw_in_bins(p, fixed, ~low_side & (x < first), rng, bottom=first, ranged=ranged)
        if not np.array_equal(fixed, x, equal_nan=True):
            frame[rule["of"]] = pd.Series(fixed, index=frame.index).astype(frame[rule["of"]].dtype)


def cut_tables(pre, rules: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(force position, force token, ban position, ban token), each (n, vocab) for the n `rules`, as
    `dependencies.null_tables`: after a token of a number `of` written before `column`, the header
    position of `column` and its `<missing>` token, forced where every value the token decodes to
    lies on the missing side of the cut and banned where every one lies on the held side (-1: none).
    A bin straddling the cut is left to the model (its value is drawn again on decoding)."""
    shape = (len(rules), pre.vocab_size)
    force_pos, force_tok = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    ban_pos, ban_tok = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    for n, rule in enumerate(rules):
        layout = pre.layouts[rule["table"]]
        if rule["of"] not in layout.fields or rule["column"] not in layout.fields:
            continue
        j_of, j = layout.fields.index(rule["of"]), layout.fields.index(rule["column"])
        of_slot, slot = pre.slots[layout.slots[j_of]], pre.slots[layout.slots[j]]
        if j_of > j or rule["of"] in pre.given_columns(rule["table"]):  # drawn after it, or given: decoding's
            continue
        lows, highs = _token_ranges(of_slot.preproc)
        last, first = rule["cut"]
        low_side, high_side = highs <= last, lows >= first
        missing, held = (low_side, high_side) if rule["below"] else (high_side, low_side)
        ids = of_slot.offset + 1 + np.arange(len(lows))  # local id 0: <missing>, a number left to the model
        force_pos[n, ids[missing]], force_tok[n, ids[missing]] = j, slot.offset  # its local id 0: <missing>
        ban_pos[n, ids[held]], ban_tok[n, ids[held]] = j, slot.offset
    return force_pos, force_tok, ban_pos, ban_tok


def _token_ranges(p: NumericPreproc) -> tuple[np.ndarray, np.ndarray]:
    """The least and greatest value each of a number's value tokens decodes to, in token order
    (its points, then its bins between their edges, both ends included)."""
    edges = np.asarray(p.edges, dtype=np.float64)
    points = np.asarray(p.points, dtype=np.float64)
    return np.concatenate([points, edges[:-1]]), np.concatenate([points, edges[1:]])


def range_of(pre, table: str, col: str, frame: pd.DataFrame) -> tuple[dict, pd.Series] | None:
    """(the `_category_ranges` rule of `table.col`, its rows' categories), None where it has none:
    a value drawn again keeps its category's range, as it was decoded (none in older models)."""
    for r in pre.stats.get("category_ranges", []):
        if r["table"] == table and r["column"] == col and r["by"] in frame:
            return r, frame[r["by"]]
    return None


def redraw_in_bins(
    p: NumericPreproc,
    x: np.ndarray,
    rows: np.ndarray,
    rng: np.random.Generator,
    top: float = np.inf,
    bottom: float = -np.inf,
    ranged: tuple[dict, pd.Series] | None = None,
) -> None:
    """x[rows], binned values (points are exact: left), drawn again between their bin's edges
    cut to [bottom, top], from their row's category's quantiles where `ranged` (rule, categories)
    gives them; a bin with no room there is left to the model's choice."""
    edges = np.asarray(p.edges)
    rows = rows & ~np.isnan(x) & ~np.isin(x, p.points) & (x >= edges[0]) & (x <= edges[-1])
    b = np.clip(np.searchsorted(edges, x[rows], side="right") - 1, 0, p.n_bins_used - 1)
    lo, hi = np.maximum(edges[b], bottom), np.minimum(edges[b + 1], top)
    room = lo <= hi
    drawn = lo + rng.random(len(b)) * (hi - lo)
    if ranged is not None:
        drawn = within_category_ranges(ranged[0], ranged[1][rows], lo, hi, drawn, rng)
    drawn = p._down_to_grid(drawn, b)
    drawn = np.clip(drawn, lo, hi)  # the grid's floor may pass below `bottom`: kept on the side
    idx = np.flatnonzero(rows)[room]
    x[idx] = drawn[room]

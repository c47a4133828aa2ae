"""Numbers that are a whole multiple of a number of a row further up: a DVD rental's payment, its
film's rental rate once, or twice or three times for a late return (the film three levels up:
film, copy, rental, payment); a copy of such a number is its multiple 1.

The model writes the payment in its own bins, and the film's rate is a few hundred tokens back:
of 2,969 generated payments 66 were no multiple of their film's rate (2.99 for a 4.99 film, 0.59
for a 0.99 one; 106 of 3,018 after 4 epochs), none in the data. The fit keeps, per synthesised
table nested under a parent, the numbers that equal, to their decimals, a number of a row they
nest under (the nearest level first: `numbers.numbers_above`) times a whole number of 1 or more in
every row holding both (`MIN_ROWS` at least), where the same numbers beside other rows' would
have been so in `MAX_CHANCE` of the rows at most (a multiple of 1 or of a small step: chance), and
the multiples the data holds. Decoding, once the rows above are written, sets each row's number to
the number above times the nearest multiple the data holds, on the column's decimals. Numbers a
total, a formula or an order within rows sets or reads are left alone, and so are those above.
The same holds of a number of the row itself (a prescription's quantity, its days' supply times 1
or 2 tablets a day: 0.983 of generated rows kept it, all in the data), where `min_count` rows hold a
multiple above 1 at least (a copy, or a multiple of a constant 1, says nothing). Not under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.rules.numbers import as_floats, numbers_above

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows holding both numbers, the one above positive, at least
MAX_CHANCE = 0.5  # share of rows a multiple still holds beside another row's number, at most
# ... beside another row's number of its own row: rows share no number above, so each is a fresh
# chance (0.75 ** MIN_ROWS < 0.01); a prescription's quantity on a 7-, 10-, 14-, 30- or 90-day grid
# fell on another row's in 0.56 of the rows
MAX_ROW_CHANCE = 0.75
MAX_MULTIPLE = 1000  # multiples greater than this are no count of units


def find_whole_multiples(
    pre,
    data: RelationalData,
    summed: set[tuple[str, str]],
    ordered: set[tuple[str, str]] = frozenset(),
    lone: set[tuple[str, str, str]] = frozenset(),
) -> list[dict]:
    """[{"table", "column", "of", "multiples": [whole numbers], "above"}]: `column` is `of` (an
    `<ancestor>.<column>` where `above`, another column of its row else) times one of `multiples`
    in every training row holding both. `summed` and `ordered`: (table, column) set or read
    elsewhere, the latter by orders within rows; `lone`: (table, column, base) of an order a rule of
    the row may keep (`TabularPreproc._lone_orders`: a multiple of 1 or more keeps it)."""
    out, skip = [], summed | ordered
    for table, layout in pre.layouts.items():
        given = pre.given_columns(table)
        known = pre.schema.tables[table].columns
        preprocs = {c: pre.slots[s].preproc for c, s in zip(layout.fields, layout.slots, strict=False)}
        fields = [c for c in layout.fields if c in known and (table, c) not in summed and c not in given]
        numbers = [c for c in pre.float_numbers(table, fields) if isinstance(preprocs.get(c), NumericPreproc)]
        if not numbers:
            continue
        up = numbers_above(pre, data, table, skip) if pre.schema.parent(table) is not None else None
        frame = data[table].reset_index(drop=True)
        ruled: set[str] = set()  # columns a same-row rule sets or reads: no chain of them
        for col in numbers:
            if col in ruled:  # read by a same-row rule set before it: it must not move after
                continue
            values, step = as_floats(frame[col]), _step(preprocs[col])
            for of in [] if up is None or (table, col) in ordered else up.columns:
                multiples = _multiples(values, as_floats(up[of]), step)
                if multiples is not None:
                    out.append({"table": table, "column": col, "of": of, "multiples": multiples, "above": True})
                    log.info("%s.%s kept a whole multiple of %s (%s)", table, col, of, multiples)
                    break
            else:
                others = [
                    c for c in numbers if c != col and c not in ruled and _unordered(table, col, c, ordered, lone)
                ]
                rule = _row_multiple(frame, table, col, others, step, pre.min_count)
                if rule is not None:
                    out.append(rule)
                    ruled |= {col, rule["of"]}
    return out


def _unordered(table: str, a: str, b: str, ordered: set[tuple[str, str]], lone: set[tuple[str, str, str]]) -> bool:
    """Whether no order within rows writes or reads `a` nor `b`, but one between the two alone."""
    if (table, a, b) in lone or (table, b, a) in lone:
        return True
    return (table, a) not in ordered and (table, b) not in ordered


def _row_multiple(
    frame: pd.DataFrame, table: str, col: str, others: list[str], step: float, min_count: int
) -> dict | None:
    """`col` as a whole multiple of another number of its row (a prescription's quantity, its days'
    supply times 1 or 2 tablets a day), in every training row holding both, with `min_count` rows
    of a multiple above 1 at least (else a copy, or a multiple of a constant: nothing to keep)."""
    values = as_floats(frame[col])
    for of in others:
        multiples = _multiples(values, as_floats(frame[of]), step, MAX_ROW_CHANCE)
        if multiples is None:
            continue
        k = np.round(values / as_floats(frame[of]))
        if int((k > 1).sum()) >= max(min_count, 1):
            log.info("%s.%s kept a whole multiple of %s of its row (%s)", table, col, of, multiples)
            return {"table": table, "column": col, "of": of, "multiples": multiples, "above": False}
    return None


def _step(preproc: NumericPreproc) -> float:
    """Half the column's last decimal: the tolerance of a value written from a product."""
    decimals = preproc.decimals if preproc.kind == "numeric" and preproc.decimals is not None else 6
    return 0.5 * 10.0 ** -min(decimals, 6) + 1e-9


def _multiples(values: np.ndarray, of: np.ndarray, tol: float, max_chance: float = MAX_CHANCE) -> list[int] | None:
    """The whole numbers (1 or more) `values` are of `of` in every row holding both (`of` positive),
    `MIN_ROWS` at least, where beside a shuffled `of` they would be in `max_chance` of them at most;
    None otherwise."""
    held = ~np.isnan(values) & ~np.isnan(of)
    if held.sum() < MIN_ROWS or (of[held] <= 0).any():
        return None
    v, o = values[held], of[held]
    k = np.round(v / o)
    if (k < 1).any() or (k > MAX_MULTIPLE).any() or (np.abs(v - k * o) > tol * np.maximum(k, 1)).any():
        return None
    other = o[np.random.default_rng(0).permutation(len(o))]
    j = np.round(v / other)
    chance = float(((j >= 1) & (np.abs(v - j * other) <= tol * np.maximum(j, 1))).mean())
    return sorted(int(x) for x in np.unique(k)) if chance <= max_chance else None


def keep_whole_multiples(
    rules: list[dict], cols: dict[str, pd.Series], preprocs: Mapping, above: Mapping[str, pd.Series]
) -> None:
    """Set (in place) each generated value of `rules`' columns to its number above (`above`:
    `ratio_ranges.ancestor_numbers`), or of its row, times the nearest of the data's multiples, on
    its decimals."""
    for rule in rules:
        col, of = rule["column"], rule["of"]
        source = above if rule.get("above", True) else cols
        if col not in cols or of not in source:
            continue
        a = cols[col].to_numpy(np.float64, na_value=np.nan).copy()
        b = to_numbers(source[of]).to_numpy(np.float64, na_value=np.nan)
        rows = np.flatnonzero(~np.isnan(a) & (b > 0))
        if not len(rows):
            continue
        multiples = np.asarray(rule["multiples"], dtype=np.float64)
        nearest = multiples[np.abs(a[rows, None] / b[rows, None] - multiples[None, :]).argmin(axis=1)]
        num = preprocs[col]
        value = b[rows] * nearest
        if num.kind == "numeric" and num.decimals is not None:
            value = np.round(value, num.decimals)
        changed = int((np.abs(value - a[rows]) > _step(num)).sum())
        a[rows] = value
        cols[col] = pd.Series(a, index=cols[col].index).astype(cols[col].dtype)
        if changed:
            log.info("%s: %d generated values set to a whole multiple of %s", col, changed, of)

"""Category points: a number that some labels of an earlier category of its row fix to one exact
value, where the others leave it free (an Antarctic territory's population and GNP, 0; a free
plan's price, 0.00; a lab test's reference flag, 1).

`dependencies` forces a number from a category only where the category decides it in every row,
and `category_ranges` needs `MIN_ROWS` (20) of a label's values for its range, so a label of a
few rows is kept by neither: a small model gave 4 to 6 of the 5 to 7 generated Antarctic countries
of a world-like database a population (millions, where the data's 5 hold 0), and so a population
with no city where every other country holds one. The fit keeps, per number of a table written
with exact values (points) and not as an offset, the first earlier categorical column of its row
some of whose frequent labels hold one point in every row, `MIN_ROWS` rows at least, where the
point's share among the other rows would have put them all there by chance `CHANCE` of the time at
most, over the labels tried; and the points no other label's row holds (`only`), where rows dealt
at random would have put them all under those labels `CHANCE` of the time at most. Generation
forces the point's token after such a label, as `dependencies.forcing_tables` forces a decided
column, and bans an `only` point after every other label (`point_bans`: the same small model put
the 0 on 5 and 6 countries of other continents instead). Columns a rule sets after generation and
context columns are left out, as are columns `dependencies` already forces. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc
from relsynth.synth.tabular.rules.columns import categoricals
from relsynth.synth.tabular.rules.numbers import as_floats

log = logging.getLogger(__name__)
MIN_ROWS = 5  # rows of a label all at one point (and rows of the others), at least
CHANCE = 1e-3  # how likely the other rows' share of the point would have put them all there, at most


def find_category_points(pre, data: RelationalData, fixed: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of", "pairs": [[label of `of`, point of `column`], ...]}], the shape of
    `find_dependencies`' rules: every row of `table` whose `of` holds a paired label holds that point
    of `column`. `fixed`: (table, column) set after generation or already forced from a category."""
    out = []
    for table, layout in pre.layouts.items():
        at = {c: k for k, c in enumerate(layout.fields)}
        cats = categoricals(pre, data, table)
        given = pre.given_columns(table)
        encoded = None  # each category's tokens, read once a table (and only where a number is free)
        for col, slot in zip(layout.fields, layout.slots, strict=False):
            number = pre.slots[slot].preproc
            if not _free_number(number, col, table, pre, data, fixed | {(table, c) for c in given}):
                continue
            encoded = encoded or {of: of_pre.encode(data[table][of]) for of, of_pre in cats}
            x = as_floats(data[table][col])
            sources = [(of, of_pre) for of, of_pre in cats if at[of] < at[col]]
            tried = sum(_n_frequent(encoded[of], of_pre) for of, of_pre in sources)
            for of, of_pre in sources:
                tokens = encoded[of]
                pairs = _fixed_points(tokens, x, of_pre.categories, number.points, tried)
                if pairs:
                    only = _points_only_there(tokens, x, of_pre.categories, pairs)
                    log.info(
                        "%s.%s is one value under some labels of %s.%s (%s): kept so", table, col, table, of, pairs
                    )
                    out.append({"table": table, "column": col, "of": of, "pairs": pairs, "only": only})
                    break
    return out


def _free_number(p, col: str, table: str, pre, data: RelationalData, fixed: set[tuple[str, str]]) -> bool:
    """Whether `col` is a modelled number with points, written as itself (no order's offset), that no
    rule sets or forces."""
    return (
        isinstance(p, NumericPreproc)
        and bool(p.points)
        and col in data[table].columns
        and col not in pre.orderings.get(table, {})
        and (table, col) not in fixed
    )


def _points_only_there(tokens: np.ndarray, x: np.ndarray, categories: list, pairs: list[list]) -> list[float]:
    """The points of `pairs` that no row but those of their labels holds (population 0 in Antarctica
    alone), where rows dealt at random would have put them all under those labels `CHANCE` of the
    time at most."""
    out = []
    for point in sorted({p for _, p in pairs}):
        labels = [k for k, v in enumerate(categories, start=2) if [v, point] in pairs]
        under = np.isin(tokens, labels)
        at = x == point
        if not (at & ~under).any() and float(under.mean()) ** int(at.sum()) <= CHANCE:
            out.append(point)
    return out


def point_bans(pre, rules: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(force position, force token, ban position, ban token), each (n, vocab), as
    `dependencies.null_tables`: per rule and point held only under its labels (`only`), after every
    other token of `of` (`<missing>` and `<rare>` too), the header position of `column` and the
    point's token, banned (an Asian country's population never 0). Nothing forced (-1)."""
    rows = [(r, p) for r in rules for p in r.get("only", [])]  # none in models saved before
    shape = (len(rows), pre.vocab_size)
    force_pos, force_tok = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    ban_pos, ban_tok = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    for n, (r, point) in enumerate(rows):
        layout = pre.layouts[r["table"]]
        if r["of"] not in layout.fields or r["column"] not in layout.fields:
            continue
        of_slot = pre.slots[layout.slots[layout.fields.index(r["of"])]]
        j = layout.fields.index(r["column"])
        token = pre.slots[layout.slots[j]].value_tokens().get(str(float(point)))
        if token is None:
            continue
        labels = of_slot.category_tokens()
        kept = {labels[str(v)] for v, p in r["pairs"] if p == point and str(v) in labels}
        others = [t for t in range(of_slot.offset, of_slot.offset + 2 + len(labels)) if t not in kept]
        ban_pos[n, others], ban_tok[n, others] = j, token
    return force_pos, force_tok, ban_pos, ban_tok


def _n_frequent(tokens: np.ndarray, p: CategoricalPreproc) -> int:
    """The labels of `MIN_ROWS` rows at least (local tokens: `<missing>`, `<rare>`, then the categories)."""
    rows = np.bincount(tokens, minlength=len(p.categories) + 2)[2:]
    return int((rows >= MIN_ROWS).sum())


def _fixed_points(tokens: np.ndarray, x: np.ndarray, categories: list, points: list, tried: int) -> list[list]:
    """[[label, point]]: the labels whose `MIN_ROWS` rows or more all hold one of the number's `points`
    (`x`, NaN where missing), where the other rows' share of it would have put them all there
    `CHANCE / tried` of the time at most."""
    known = {float(v) for v in points}
    rows = np.bincount(tokens, minlength=len(categories) + 2)
    by_label = x[np.argsort(tokens, kind="stable")]  # each label's rows together, in token order
    starts = np.cumsum(rows) - rows
    values, counts = np.unique(x[~np.isnan(x)], return_counts=True)
    at_value = dict(zip(values.tolist(), counts.tolist(), strict=True))
    out = []
    for k in np.flatnonzero(rows >= MIN_ROWS):  # one pass over the rows in all: a label's at a time
        n = int(rows[k])
        if k < 2 or len(x) - n < MIN_ROWS:
            continue
        held = by_label[starts[k] : starts[k] + n]
        point = float(held[0])
        if np.isnan(point) or not (held == point).all() or point not in known:
            continue
        share = (at_value[point] - n) / (len(x) - n)  # the other rows' share of the point
        if share**n <= CHANCE / max(tried, 1):
            out.append([categories[k - 2], point])
    return out

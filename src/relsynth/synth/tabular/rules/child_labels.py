"""Labels of a row that its child rows decide: an auction item is `sold` iff it has bids and its
highest bid meets its reserve price (where one is set), an order `paid` iff its payments sum to its
total at least, a ticket `answered` iff it has a reply, a parent's `has_children` flag.

The model draws the label before the child rows and their numbers, so they disagree: a small model
gave 8.3 % and 10.4 % of the generated auction items (seeds 0/1) a status their bids and reserve did
not give, items sold under their reserve and unsold ones with the reserve met; none in the data.
The fit keeps, per categorical column of a table with child tables and frequent value `L` of it, the
first condition that holds in every row exactly where the row holds `L`: the row has rows of the
child table, and then (only where that alone fails) also the greatest or the sum of a number of its
child rows is at least a number of the row, where the row holds that number (no reserve: any bid
sells). Not by chance: `MIN_ROWS` rows at least, `MIN_SIDE` holding `L` and `MIN_SIDE` not, and a
label drawn blind to the condition would have matched it in every row `CHANCE` of the time at most
(1 / C(n, k) for `k` rows of `L` among `n`); for a threshold the same of the rows with children
that hold the number, `MIN_SIDE` of them missing it. Generation sets the label from the final
child rows and numbers, a row leaving `L` taking the other values' shares among the data's rows
alike, with child rows or without (an order left unpaid without payments is `open`, never
`partial`), and then clears or fills the columns of the row whose nulls the label decides in the
data (a sold item's final price and winner, missing on every unsold one): a cleared value is
missing, a filled one a value of a generated row of the same label, which the rule computing it
(`totals`, `extreme_row_keys`) then sets where one does. Not fitted under DP.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import plain_scalar, plain_texts
from relsynth.synth.tabular.rules.columns import categoricals
from relsynth.synth.tabular.rules.numbers import as_floats
from relsynth.synth.tabular.rules.totals import aggregate_over

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows of the table, at least
MIN_SIDE = 5  # rows holding the label and rows not (and rows with children below a threshold), at least
CHANCE = 1e-6  # how likely a label blind to the condition would have matched it in every row, at most
MAX_VALUES = 10  # a column's values tried as the label, at most (the most frequent)
AGGREGATES = ("max", "sum")  # what of the child rows' number a threshold compares (pandas' names)
MISSING, HELD = "missing", "held"  # a column's state in every row of one side of the label


def find_child_labels(pre, data: RelationalData, ruled: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "value", "others", "child", "fk", "of", "how", "at", "nulls"}]: each
    row of `table` holds `value` at `column` iff it has rows of `child` (by `fk`) and, where `of` is
    given, the `how` of their `of` is at least its number `at` (where held). `others`: [[value,
    share]] of the other rows with child rows, and of those without. `nulls`: {column: [state where `value`, state elsewhere]}, a state
    `MISSING`, `HELD` or None. `ruled`: (table, column) another rule sets or a dependency decides."""
    out = []
    for table, layout in pre.layouts.items():
        frame, pk = data[table], data.schema.tables[table].primary_key
        if not layout.children or pk is None or len(frame) < MIN_ROWS:
            continue
        children = {c: _child_rows(data, table, pk, c) for c in layout.children}
        counted = _counted(pre, table)
        totals: dict[tuple[str, str, str], np.ndarray] = {}  # (child, number, how): per row, read once
        for col, _ in categoricals(pre, data, table):
            if (table, col) in ruled or col in pre.given_columns(table) or frame[col].isna().any():
                continue
            if (
                rule := _first_rule(pre, data, table, col, children, ruled, totals, counted.get(col, set()))
            ) is not None:
                log.info(
                    "%s.%s is %r exactly where its %s rows say: set from them", table, col, rule["value"], rule["child"]
                )
                out.append(rule | {"nulls": _null_states(frame, col, rule["value"], {pk, col})})
    return out


def _child_rows(data: RelationalData, table: str, pk: str, child: str) -> tuple[str, np.ndarray]:
    """(the child's key to `table`, per child row: its parent row's position, -1 where none)."""
    fk = data.schema.parent(child).fk
    return fk, pd.Index(data[table][pk]).get_indexer(data[child][fk])


def _counted(pre, table: str) -> dict[str, set[str]]:
    """{column: child tables} whose rows `count_rules` already draws by the column's label (a closed
    day never has a sale): there the children follow the label, which may stay another rule's to set
    (a calendar closing every store on one date), and having children decides it no further."""
    out: dict[str, set[str]] = {}
    for r in pre.stats.get("count_rules", []):
        if r["table"] == table and not r.get("parent") and (r["none"] or r["some"]):
            out.setdefault(r["column"], set()).add(r["child"])
    return out


def _first_rule(
    pre, data, table: str, col: str, children: dict, ruled: set, totals: dict, counted: set[str]
) -> dict | None:
    """The first value of `col` and condition on its rows' children that it marks exactly, not by
    chance. `totals`: each child number's aggregate per row, filled as first read; `counted`: child
    tables whose rows already follow the label (`_counted`), whose presence alone sets no rule."""
    frame, n = data[table], len(data[table])
    labels = plain_texts(frame[col])
    numbers = [x for x in pre.generated_numbers(table) if (table, x) not in ruled and x != col]
    for value in labels.value_counts().index[:MAX_VALUES]:
        marked = (labels == value).to_numpy()
        if not MIN_SIDE <= marked.sum() <= n - MIN_SIDE:
            continue
        for child, (fk, at) in children.items():
            has = np.bincount(at[at >= 0], minlength=n) > 0
            found = {"child": child, "fk": fk, "of": None, "how": None, "at": None}
            if child in counted or not (np.array_equal(has, marked) and _beyond_chance(marked)):
                found = _threshold(pre, data, frame, col, value, marked, has, (child, fk, at), numbers, totals)
            if found is not None:
                typed = plain_scalar(_typed(frame[col], labels, value))
                others = [_shares(frame[col], labels, ~marked & has), _shares(frame[col], labels, ~marked & ~has)]
                return {"table": table, "column": col, "value": typed, "others": others} | found
    return None


def _threshold(
    pre, data, frame, col: str, value, marked, has, child_rows: tuple, numbers: list, totals: dict
) -> dict | None:
    """{"child", "fk", "of", "how", "at"}: the first number of the row `at` and aggregate `how` of a
    child number `of` such that the rows reaching it are exactly the `marked` ones, not by chance."""
    child, fk, _ = child_rows
    if not (has >= marked).all():  # a row of the label without children: no threshold helps
        return None
    nulls = _null_states(frame, col, value, set())
    keys = frame[data.schema.tables[data.schema.parent(child).parent].primary_key]  # the rows `at` counts by
    for x in [x for x in numbers if nulls.get(x) is None]:  # a number the label clears is no threshold
        bound = as_floats(frame[x])
        for of in [c for c in pre.generated_numbers(child) if c != fk]:
            for how in AGGREGATES:
                if (child, of, how) not in totals:
                    totals[(child, of, how)] = aggregate_over(data[child], fk, [of], keys, how)
                met = _met(has, totals[(child, of, how)], bound)
                if np.array_equal(met, marked) and _beyond_chance(marked[has & ~np.isnan(bound)]):
                    return {"child": child, "fk": fk, "of": of, "how": how, "at": x}
    return None


def _shares(values: pd.Series, labels: pd.Series, rows: np.ndarray) -> list[list]:
    """[[value, share]] of the labels of `rows` (typed as `values` holds them)."""
    counts = labels[rows].value_counts()
    return [[plain_scalar(_typed(values, labels, v)), float(c / counts.sum())] for v, c in counts.items()]


def _typed(values: pd.Series, labels: pd.Series, value: str):
    """The value of `values` whose text is `value` (a bool, a number or a text, as the column holds it)."""
    return values[(labels == value).to_numpy()].iloc[0]


def _met(has: np.ndarray, total: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Rows with children whose `total` is at least their `bound`, or holding none."""
    with np.errstate(invalid="ignore"):
        return has & (np.isnan(bound) | (total >= bound))


def _beyond_chance(marked: np.ndarray) -> bool:
    """Whether a label blind to the condition, `marked.sum()` rows of `len(marked)`, would have
    fallen on exactly the condition's rows `CHANCE` of the time at most, `MIN_SIDE` rows each way."""
    n, k = len(marked), int(marked.sum())
    if min(k, n - k) < MIN_SIDE:
        return False
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) >= -math.log(CHANCE)


def _null_states(frame: pd.DataFrame, col: str, value, skip: set[str]) -> dict[str, list[str | None]]:
    """{column: [its state in the rows holding `value`, in the others]} where the two differ and
    one is `MISSING` or `HELD` in every row of its side."""
    marked = (plain_texts(frame[col]) == str(value)).to_numpy()
    out = {}
    for c in frame.columns:
        if c in skip or c == col:
            continue
        missing = frame[c].isna().to_numpy()
        states = [_state(missing[marked]), _state(missing[~marked])]
        if states[0] != states[1] and MISSING in states:
            out[c] = states
    return out


def _state(missing: np.ndarray) -> str | None:
    """`MISSING` where every row is, `HELD` where none is, else None."""
    return MISSING if missing.all() else HELD if not missing.any() else None


def apply_child_labels(
    rules: list[dict],
    tables: dict[str, pd.DataFrame],
    pks: dict[str, str],
    rng: np.random.Generator,
    given: dict[str, list[str]] | None = None,
) -> set[tuple[str, str]]:
    """Set (in place) each rule's label from the generated child rows and numbers, then clear or fill
    the columns whose nulls it decides in the rows relabelled. Returns (table, column) filled, for
    the rules that compute them to set again. `given`: {table: [columns]} a context gave, kept."""
    filled = set()
    for rule in rules:
        frame, rows = tables.get(rule["table"]), tables.get(rule["child"])
        if frame is None or rows is None or rule["column"] in (given or {}).get(rule["table"], []):
            continue
        should, has = _condition(rule, frame, rows, pks[rule["table"]])
        marked = (plain_texts(frame[rule["column"]]) == str(rule["value"])).to_numpy()
        into, out_of = should & ~marked, ~should & marked
        if not (into.any() or out_of.any()):
            continue
        _relabel(frame, rule, into, out_of, has, rng)
        now = (marked & ~out_of) | into
        for col, (state, other) in rule["nulls"].items():
            if col in frame and (
                _follow(frame, col, into, state, now, rng) | _follow(frame, col, out_of, other, ~now, rng)
            ):
                filled.add((rule["table"], col))
    return filled


def _condition(rule: dict, frame: pd.DataFrame, rows: pd.DataFrame, pk: str) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `frame`: whether its child `rows` give it the rule's label, and whether it has any."""
    n = len(frame)
    at = pd.Index(frame[pk]).get_indexer(rows[rule["fk"]])
    has = np.bincount(at[at >= 0], minlength=n) > 0
    if rule["of"] is None or rule["of"] not in rows or rule["at"] not in frame:
        return has, has
    total = aggregate_over(rows, rule["fk"], [rule["of"]], frame[pk], rule["how"])
    return _met(has, total, as_floats(frame[rule["at"]])), has


def _relabel(frame: pd.DataFrame, rule: dict, into: np.ndarray, out_of: np.ndarray, has: np.ndarray, rng) -> None:
    """Write the label on the rows `into`, and one of the others on the rows `out_of`, by their shares
    among the data's rows alike (`has`: with child rows or not; either side's where the other held none)."""
    labels = frame[rule["column"]].astype(object).to_numpy(copy=True)
    labels[into] = rule["value"]
    for rows, others in zip((out_of & has, out_of & ~has), rule["others"], strict=True):
        values, shares = zip(*(others or [o for side in rule["others"] for o in side]), strict=True)
        picks = rng.choice(len(values), size=int(rows.sum()), p=np.asarray(shares) / sum(shares))
        labels[rows] = np.asarray(values, dtype=object)[picks]
    try:
        frame[rule["column"]] = pd.Series(labels, index=frame.index).astype(frame[rule["column"]].dtype)
    except (TypeError, ValueError):
        frame[rule["column"]] = pd.Series(labels, index=frame.index)


def _follow(frame: pd.DataFrame, col: str, rows: np.ndarray, state: str | None, side: np.ndarray, rng) -> bool:
    """Clear `col` in `rows` where their new label's rows hold it `MISSING`, or fill it where `HELD`
    from a row of that label holding one (drawn at random); whether any was filled. A row left
    without a donor keeps its value missing."""
    column = frame[col]
    if state == MISSING:
        frame[col] = column.mask(pd.Series(rows, index=frame.index))
        return False
    empty = rows & column.isna().to_numpy()
    donors = np.flatnonzero(side & column.notna().to_numpy())
    if state != HELD or not empty.any() or not len(donors):
        return False
    values = column.to_numpy(copy=True)
    values[empty] = column.to_numpy()[rng.choice(donors, size=int(empty.sum()))]
    frame[col] = pd.Series(values, index=frame.index, dtype=column.dtype)
    return True

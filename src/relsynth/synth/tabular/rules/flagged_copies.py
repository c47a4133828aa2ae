"""A number of the row a label marks, equal to a number of a row further up: the accepted offer's
amount is its listing's sale price (`offers.amount` where `accepted` is true, `listings.sale_price`).

The model writes the offer's amount in its own bins, nested one or two levels below the sale price,
so no generated accepted offer was the sale it made (0 of 167 sold listings of a real-estate
database, every one in the data). The fit keeps, per synthesised table nested under a parent, a
label `value` of a categorical column, a number of the table and a number of a row it nests under
(the parent's or one further up), where the number equals the one above, to 1e-9 of its size, in
every row holding the label and both numbers (`MIN_ROWS` such rows at least) and in at most
`OTHER_SHARE` of the other rows holding both (a copy the label marks, not a copy of every row), where
the numbers above dealt at random among the rows would have equalled them all `CHANCE` of the time at
most (a fee fixed at 0 under a label, beside a parent's discount 0 in 97 % of rows, was kept as a
copy of the discount on 13 of 20 seeds, and set to the few discounts that are not 0).
Decoding, once every table is written, sets the marked rows' number to the one above where it is
held. Numbers a total, a formula or an order within rows sets or reads are left alone. Not under DP.

The number copied may also be a sibling row's: a row of another table under the same parent of which
no parent row holds two (a bank account's one loan), `sibling: true`: a standing order marked as a
loan payment (k_symbol UVER) pays the account's loan's monthly payments; a small model's generated
orders never did (0 of 91, every one in the data). Decoding copies it where the parent holds one
such row, and leaves the number as drawn where it holds none.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import ancestor_column, with_ancestors
from relsynth.synth.tabular.rules.columns import categoricals, value_codes
from relsynth.synth.tabular.rules.numbers import as_floats, numbers_above

log = logging.getLogger(__name__)
MIN_ROWS = 20  # marked rows holding both numbers, at least
OTHER_SHARE = 0.5  # the unmarked rows equal at most this share of theirs: the label marks the copy
CHANCE = 1e-6  # how likely the numbers above, dealt at random, would equal every marked row's, at most


def find_flagged_copies(
    pre, data: RelationalData, skip: set[tuple[str, str]], settled: set[tuple[str, str]] = frozenset()
) -> list[dict]:
    """[{"table", "column", "of", "label", "value"}]: `table.column` equals `of`
    (`<ancestor>.<column>`) in the rows whose `label` is `value`. `skip`: (table, column) set or
    read elsewhere; `settled`: those among them a formula sets once and for all as its table's rows
    are decoded, a sibling's source all the same (copied once every table is written)."""
    out = []
    for table, layout in pre.layouts.items():
        if pre.schema.parent(table) is None:
            continue
        fields = [c for c in layout.fields if c in data[table].columns and (table, c) not in skip]
        numbers = pre.float_numbers(table, fields)
        labels = [c for c, _ in categoricals(pre, data, table) if c in fields]
        if not (numbers and labels):
            continue
        above = numbers_above(pre, data, table, skip, context=True)
        siblings = _sibling_numbers(pre, data, table, skip - settled)
        if above is None and siblings is None:
            continue
        above = pd.concat([f for f in (above, siblings) if f is not None], axis=1)
        for col in numbers:
            found = _marked_copy(as_floats(data[table][col]), above, data[table], labels)
            if found is not None:
                of, label, value = found
                log.info("%s.%s equals %s where %s is %s: kept so", table, col, of, label, value)
                rule = {"table": table, "column": col, "of": of, "label": label, "value": value}
                out.append(rule | ({"sibling": True} if siblings is not None and of in siblings else {}))
    return out


def _sibling_numbers(pre, data: RelationalData, table: str, skip: set[tuple[str, str]]) -> pd.DataFrame | None:
    """The numbers of each table nested under `table`'s parent of which no parent row holds two rows
    (`MIN_ROWS` rows at least), named `<table>.<column>`, one row per row of `table`: the number of
    the sibling row under its parent, NaN where it has none; None where there are none."""
    edge = pre.schema.parent(table)
    frames = []
    for other in pre.schema.children(edge.parent):
        frame = data[other]
        fk = pre.schema.parent(other).fk
        if other == table or len(frame) < MIN_ROWS or frame[fk].duplicated().any():
            continue
        columns = [c for c in pre.layouts[other].fields if c in pre.schema.tables[other].columns]
        numbers = [c for c in pre.float_numbers(other, columns) if (other, c) not in skip]
        if numbers:
            frames.append(_sibling_values(data, pre.schema, table, other, numbers))
    return pd.concat(frames, axis=1) if frames else None


def _sibling_values(tables, schema, table: str, other: str, columns: list[str]) -> pd.DataFrame:
    """`columns` of the row of `other` under each row of `table`'s parent row, by position of `table`'s
    rows, named `<other>.<column>`; NaN where the parent holds none or (generated) several."""
    fk, other_fk = schema.parent(table).fk, schema.parent(other).fk
    theirs = tables[other].drop_duplicates(other_fk, keep=False).set_index(other_fk)
    keys = tables[table][fk].to_numpy()
    return pd.DataFrame({f"{other}.{c}": theirs[c].reindex(keys).to_numpy() for c in columns})


def _marked_copy(
    x: np.ndarray, above: pd.DataFrame, frame: pd.DataFrame, labels: list[str]
) -> tuple[str, str, str] | None:
    """(the number above, the label column, its value) that `x` equals in every marked row; None."""
    for of in above.columns:
        y = as_floats(above[of])
        both = ~np.isnan(x) & ~np.isnan(y)
        equal = both & _equal(x, y)
        if equal.sum() < MIN_ROWS:
            continue
        for label in labels:
            codes, names = value_codes(frame[label].reset_index(drop=True))
            for k, name in enumerate(names):
                marked = both & (codes == k)
                rest = both & (codes != k)
                if (
                    marked.sum() >= MIN_ROWS
                    and equal[marked].all()
                    and equal[rest].sum() <= OTHER_SHARE * max(rest.sum(), 1)
                    and _equal_by_chance(x[marked], y[both]) < CHANCE
                ):
                    return of, label, name
    return None


def _equal(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether `x` equals `y` to 1e-9 of `y`'s size (1 at least): a copy stored through a float sum
    (0.1 + 0.2 for 0.3) is still one."""
    return np.abs(x - y) <= 1e-9 * np.maximum(np.abs(y), 1.0)


def _equal_by_chance(x: np.ndarray, y: np.ndarray) -> float:
    """The chance that the numbers above, `y` (every row holding both), dealt at random among the rows,
    would equal (`_equal`, as the copy is found) each marked row's `x` as the data's do: the product of
    the shares of `y` equal to each. A marked row's fee fixed at 0 beside a parent's discount 0 in most
    rows equals it by the zeros alone."""
    values, counts = np.unique(y, return_counts=True)
    reach = 2e-9 * np.maximum(np.abs(x), 1.0)  # holds every value `_equal` may find equal to x
    lo, hi = np.searchsorted(values, x - reach), np.searchsorted(values, x + reach, side="right")
    held = [counts[a:b][_equal(v, values[a:b])].sum() for v, a, b in zip(x, lo, hi, strict=True)]
    shares = np.asarray(held, dtype=float) / len(y)
    return float(np.exp(np.log(np.maximum(shares, 1e-300)).sum()))


def copied_columns(schema, rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) each rule sets and the one it copies from: a rule scaling either after the
    copies are set (the sums scaled to a number, a whole, a cap or a bound) would break them."""
    return {(r["table"], r["column"]) for r in rules} | {ancestor_column(schema, r["of"]) for r in rules}


def copied_rows(rules: list[dict], table: str, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Whether each row of `table` holds a number of `columns` a flagged copy set (its label marks
    it): a rule closing a sum after the copies (`balanced_sums`) moves the other rows instead."""
    held = np.zeros(len(frame), dtype=bool)
    for rule in rules:
        if rule["table"] == table and rule["column"] in columns and rule["label"] in frame:
            held |= _marked(rule, frame)
    return held


def _marked(rule: dict, frame: pd.DataFrame) -> np.ndarray:
    """Whether each row of `frame` holds the label `rule` marks its copies by."""
    codes, names = value_codes(frame[rule["label"]].reset_index(drop=True))
    return codes == (names.index(rule["value"]) if rule["value"] in names else -2)


def apply_flagged_copies(rules: list[dict], out: dict[str, pd.DataFrame], schema) -> None:
    """Set (in place) each marked row's number to the one above it (`find_flagged_copies`), where
    that one is held."""
    for rule in rules:
        table, col = rule["table"], rule["column"]
        if table not in out or col not in out[table] or rule["label"] not in out[table]:
            continue
        ancestor, column = ancestor_column(schema, rule["of"])
        if ancestor not in out or column not in out[ancestor]:
            continue
        frame = out[table]
        marked = _marked(rule, frame)
        if rule.get("sibling"):  # none in older models
            y = as_floats(_sibling_values(out, schema, table, ancestor, [column])[rule["of"]])
        else:
            y = as_floats(with_ancestors(out, schema, table, [rule["of"]])[rule["of"]])
        rows = marked & ~np.isnan(y)
        if rows.any():
            x = as_floats(frame[col]).copy()
            x[rows] = y[rows]
            frame[col] = pd.Series(x, index=frame.index).astype(frame[col].dtype)

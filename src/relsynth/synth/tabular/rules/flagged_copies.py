"""A number of the row a label marks, equal to a number of a row further up: the accepted offer's
amount is its listing's sale price (`offers.amount` where `accepted` is true, `listings.sale_price`).

The model writes the offer's amount in its own bins, nested one or two levels below the sale price,
so no generated accepted offer was the sale it made (0 of 167 sold listings of a real-estate
database, every one in the data). The fit keeps, per synthesised table nested under a parent, a
label `value` of a categorical column, a number of the table and a number of a row it nests under
(the parent's or one further up), where the number equals the one above, to 1e-9 of its size, in
every row holding the label and both numbers (`MIN_ROWS` such rows at least) and in at most
`OTHER_SHARE` of the other rows holding both (a copy the label marks, not a copy of every row).
Decoding, once every table is written, sets the marked rows' number to the one above where it is
held. Numbers a total, a formula or an order within rows sets or reads are left alone. Not under DP.
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


def find_flagged_copies(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of", "label", "value"}]: `table.column` equals `of`
    (`<ancestor>.<column>`) in the rows whose `label` is `value`. `skip`: (table, column) set or
    read elsewhere."""
    out = []
    for table, layout in pre.layouts.items():
        if pre.schema.parent(table) is None:
            continue
        fields = [c for c in layout.fields if c in data[table].columns and (table, c) not in skip]
        numbers = pre.float_numbers(table, fields)
        labels = [c for c, _ in categoricals(pre, data, table) if c in fields]
        above = numbers_above(pre, data, table, skip, context=True) if numbers and labels else None
        if above is None:
            continue
        for col in numbers:
            found = _marked_copy(as_floats(data[table][col]), above, data[table], labels)
            if found is not None:
                of, label, value = found
                log.info("%s.%s equals %s where %s is %s: kept so", table, col, of, label, value)
                out.append({"table": table, "column": col, "of": of, "label": label, "value": value})
    return out


def _marked_copy(
    x: np.ndarray, above: pd.DataFrame, frame: pd.DataFrame, labels: list[str]
) -> tuple[str, str, str] | None:
    """(the number above, the label column, its value) that `x` equals in every marked row; None."""
    for of in above.columns:
        y = as_floats(above[of])
        both = ~np.isnan(x) & ~np.isnan(y)
        equal = both & (np.abs(x - y) <= 1e-9 * np.maximum(np.abs(y), 1.0))
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
                ):
                    return of, label, name
    return None


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
        codes, names = value_codes(frame[rule["label"]].reset_index(drop=True))
        marked = codes == (names.index(rule["value"]) if rule["value"] in names else -2)
        y = as_floats(with_ancestors(out, schema, table, [rule["of"]])[rule["of"]])
        rows = marked & ~np.isnan(y)
        if rows.any():
            x = as_floats(frame[col]).copy()
            x[rows] = y[rows]
            frame[col] = pd.Series(x, index=frame.index).astype(frame[col].dtype)

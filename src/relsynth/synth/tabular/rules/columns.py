"""Not a rule: how the rules read a table's fitted columns, in one place: a modelled field's fitted
preprocessor (`field_preproc`), a table's categorical columns (`categoricals`; those of every table
nested under a parent: `nested_categories`), whether a column's tokens are its values (`is_exact`),
the values as those tokens name them (`exact_values`), and a column's values as codes
(`value_codes`). `dependencies`, `unique_labels`, `lookup_matches`, `never_pairs` and the rules
reading categories beside them read them from here, so a rule added beside them reads its columns
as they do."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.schema import Edge
from relsynth.synth.tabular.encoders import (
    CategoricalPreproc,
    ColumnPreproc,
    NumericPreproc,
    one_per_value,
    plain_scalar,
)


def field_preproc(pre, table: str, col: str) -> ColumnPreproc:
    """The fitted preprocessor of `table`'s modelled field `col` (a column the layout holds)."""
    layout = pre.layouts[table]
    return pre.slots[layout.slots[layout.fields.index(col)]].preproc


def categoricals(pre, data: RelationalData, table: str) -> list[tuple[str, CategoricalPreproc]]:
    """`table`'s modelled categorical columns in header order, with their preprocessors."""
    layout = pre.layouts[table]
    return [
        (c, pre.slots[s].preproc)
        for c, s in zip(layout.fields, layout.slots, strict=False)
        if isinstance(pre.slots[s].preproc, CategoricalPreproc) and c in data[table].columns
    ]


def is_exact(p) -> bool:
    """A categorical column, or a number of exact values only (points, no bins)."""
    if isinstance(p, NumericPreproc):
        return p.kind in ("numeric", "integer") and bool(p.points) and not p.edges
    return isinstance(p, CategoricalPreproc)


def exact_values(values: pd.Series, p) -> pd.Series:
    """The values as their tokens name them (`Slot.value_tokens`): categories, or numbers as floats."""
    if isinstance(p, CategoricalPreproc):
        return values.map(plain_scalar, na_action="ignore").astype(object)
    return values.astype("Float64").map(float, na_action="ignore").astype(object)


def value_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's value as a code (-1: missing) and the values as text, the code's index."""
    sample, spread = one_per_value(values)  # each distinct value written once where alike
    codes, uniques = pd.factorize(sample.map(plain_scalar, na_action="ignore").astype(object), use_na_sentinel=True)
    codes = spread(codes)
    return codes.astype(np.int64), [str(v) for v in uniques]


def nested_categories(pre, data: RelationalData) -> Iterator[tuple[str, Edge, str, CategoricalPreproc]]:
    """(table, its parent edge, column, its preprocessor) of each categorical column of `data`
    modelled in a table nested under a parent (not the parent key)."""
    for table, layout in pre.layouts.items():
        edge = pre.schema.parent(table)
        if edge is None or edge.fk not in data[table].columns:
            continue
        for col, slot in zip(layout.fields, layout.slots, strict=False):
            preproc = pre.slots[slot].preproc
            if col != edge.fk and isinstance(preproc, CategoricalPreproc) and col in data[table].columns:
                yield table, edge, col, preproc

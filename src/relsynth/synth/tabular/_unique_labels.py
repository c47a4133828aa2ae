"""Labels never repeated under one parent: a booking's seat within its flight, a line's product
within its order (`UNIQUE (flight_id, seat)` in the source, or just never repeated in the data).

The model writes each child row's label from the rows before it, so it can give two siblings the
same one (69 of 3,356 generated bookings shared their flight's seat with another booking). The
fit keeps, per table nested under a parent, the categorical columns that no parent repeats in the
data, where labels drawn at random by their shares would have repeated in `MIN_REPEATS` parents'
rows at least (so not by chance); generation masks, at such a column, the tokens its earlier
siblings under the same parent row took (`_generate._Cursor.sibling_tokens`), unless that leaves
no category to draw. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import CategoricalPreproc, _plain

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows under a parent holding the label, at least
MIN_REPEATS = 5.0  # pairs of siblings chance would give one label, at least


def find_unique_labels(pre, data: RelationalData) -> dict[str, list[str]]:
    """table -> its categorical columns that no row of its parent repeats among its rows (and
    that chance would have repeated)."""
    out: dict[str, list[str]] = {}
    for table, layout in pre.layouts.items():
        edge = pre.schema.parent(table)
        if edge is None or edge.fk not in data[table].columns:
            continue
        for col, slot in zip(layout.fields, layout.slots, strict=False):
            if col == edge.fk or not isinstance(pre.slots[slot].preproc, CategoricalPreproc):
                continue
            if col in data[table].columns and _never_repeated(data[table][edge.fk], data[table][col]):
                log.info("%s.%s is never repeated under one %s row: kept so", table, col, edge.parent)
                out.setdefault(table, []).append(col)
    return out


def _never_repeated(parent: pd.Series, label: pd.Series) -> bool:
    """Whether no parent key holds one label twice, where labels drawn by their shares would have
    repeated `MIN_REPEATS` times (pairs of siblings) at least."""
    held = parent.notna() & label.notna()
    if held.sum() < MIN_ROWS:
        return False
    frame = pd.DataFrame({"p": parent[held].to_numpy(), "v": label[held].map(_plain).astype(str).to_numpy()})
    if frame.duplicated().any():
        return False
    sizes = frame.groupby("p").size().to_numpy(dtype=np.float64)
    same = float((frame["v"].value_counts(normalize=True) ** 2).sum())  # chance two siblings share a label
    return float((sizes * (sizes - 1) / 2).sum()) * same >= MIN_REPEATS


def unique_positions(pre, unique: dict[str, list[str]]) -> dict[str, list[int]]:
    """table -> the header positions of its labels never repeated under one parent row."""
    return {
        t: [pre.layouts[t].fields.index(c) for c in cols if c in pre.layouts[t].fields]
        for t, cols in unique.items()
        if t in pre.layouts
    }

"""Tables nested under the rows of a composite primary key: the columns their key copies.

relsynth's keys are one column, so a table whose composite foreign key names a row of a composite
primary key (deliveries (order_id, line_no) under order_lines) nests by a key added when it is read
(`sql.RowKey`): the parent's rows numbered, the child's rows naming theirs. The columns of the
composite key are then the row's own: `copy_row_keys` writes them from it, wherever the rows were
made or moved (generation, a renumbered line, a user's edit), so that `to_sql` writes keys that
name the row each child nests under.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from relsynth.relational._coerce import COMPOSITE_FK, ROW_KEY, SQL_FORMAT
from relsynth.relational.schema import Schema


def row_key_references(formats: Mapping) -> list[tuple[str, list[str], str, list[str], str]]:
    """(table, columns, referenced table, its columns, row key column) of every composite
    reference that `formats` keep and that its table nests by."""
    return [
        (table, ref["columns"], ref["table"], ref["ref_columns"], ref[ROW_KEY])
        for table, cols in formats.items()
        for fmt in cols.values()
        for ref in ((fmt or {}).get(SQL_FORMAT) or {}).get(COMPOSITE_FK, [])
        if ref.get(ROW_KEY)
    ]


def row_key_columns(formats: Mapping, table: str) -> set[str]:
    """The columns of `table` its row keys copy from the row it nests under (tasks' tenant_id, of
    (tenant_id, project_id)): the row's, not the table's own, so they group its rows as its parent
    key does (a task id counts its tenant's tasks)."""
    return {c for name, cols, _, _, _ in row_key_references(formats) if name == table for c in cols}


def is_row_key(fmt: Mapping | None) -> bool:
    """Whether a column with this format is a row key, added when read and not written back."""
    return bool(((fmt or {}).get(SQL_FORMAT) or {}).get(ROW_KEY))


def copy_row_keys(schema: Schema, frames: Mapping[str, pd.DataFrame], formats: Mapping) -> dict[str, pd.DataFrame]:
    """`frames` with each nested table's composite key columns copied from the row its row key
    names (parents first: a row key's columns may be copied from a row that copies its own)."""
    out = dict(frames)
    refs = row_key_references(formats)
    order = {t: i for i, t in enumerate(schema.depth_first())}
    for table, cols, parent, ref_cols, key in sorted(refs, key=lambda r: order.get(r[0], len(order))):
        if table not in out or parent not in out or key not in out[table]:
            continue
        rows = pd.Index(out[parent][schema.tables[parent].primary_key]).get_indexer(out[table][key])
        named = rows >= 0
        child = out[table].copy()
        for c, rc in zip(cols, ref_cols, strict=True):
            values = child[c].to_numpy(dtype=object).copy()
            values[named] = out[parent][rc].to_numpy(dtype=object)[rows[named]]
            child[c] = _like(pd.Series(values, index=child.index), child[c].dtype)
        out[table] = child
    return out


def _like(values: pd.Series, dtype: object) -> pd.Series:
    """`values` in `dtype` where they fit it; a label the categories lack keeps them as objects."""
    if isinstance(dtype, pd.CategoricalDtype):
        return values
    try:
        return values.astype(dtype)
    except (TypeError, ValueError):
        return values.infer_objects()

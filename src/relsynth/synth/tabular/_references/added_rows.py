"""Referenced rows added where a composite key kept within its row's group names none.

A comment's (tenant_id, author_id) names a user of the comment's own tenant, the tenant copied
from the task it nests under (`keep_composite_references`). A little-trained model may generate a
tenant with tasks but no users; its comments then name no user, and a NOT NULL author_id cannot be
left null (to_sql refuses it). Such a tenant gets one user: a generated user's values (a sample of
the model, not a training row), its tenant set, its number the first of its tenant (where the
data's count their tenant's rows) or past every other. Only where the new row can hold the group's
values: the referenced table nests under the row they name (users under tenants), or is a root.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column
from relsynth.relational.numbers import to_numbers

log = logging.getLogger(__name__)


def add_missing_rows(
    pre, tables: dict[str, pd.DataFrame], table: str, values: pd.DataFrame, ref_cols: list[str], rng
) -> bool:
    """Add to `tables[table]` (in place) one row per distinct row of `values` (in `table`'s
    columns: the group, a tenant_id), numbered in `ref_cols`' other columns, its other values a
    generated row's; False (nothing added) where `table` cannot hold such rows."""
    df, schema = tables[table], pre.schema
    numbered = [c for c in ref_cols if c not in values.columns]
    if not len(df) or not _can_hold(schema, tables, table, values) or not _numberable(pre, table, numbered):
        return False
    groups = values.drop_duplicates().reset_index(drop=True)
    new = df.iloc[rng.integers(0, len(df), len(groups))].reset_index(drop=True)
    for c in groups.columns:
        new[c] = groups[c].astype(df[c].dtype).to_numpy()
    pk = schema.tables[table].primary_key
    for c in numbered + ([pk] if pk is not None else []):
        new[c] = _numbers(pre, table, df, c, len(new))
    out = pd.concat([df, new], ignore_index=True)
    if (edge := schema.parent(table)) is not None:  # under their parent rows, as generated rows are
        keys = pd.Index(tables[edge.parent][schema.tables[edge.parent].primary_key])
        out = out.iloc[np.argsort(keys.get_indexer(out[edge.fk]), kind="stable")].reset_index(drop=True)
    tables[table] = out
    log.info(
        "%s: %d row(s) added, one per %s its referencing rows name and the model generated none in",
        table,
        len(new),
        ", ".join(values.columns),
    )
    return True


def _can_hold(schema, tables: dict[str, pd.DataFrame], table: str, values: pd.DataFrame) -> bool:
    """Whether rows holding `values` can be added to `table`: a root, or nested by one of those
    columns under rows that are there (a tenant's users, under the tenant)."""
    edge = schema.parent(table)
    if edge is None:
        return True
    if edge.fk not in values.columns:
        return False
    parent_pk = schema.tables[edge.parent].primary_key
    return bool(values[edge.fk].isin(tables[edge.parent][parent_pk]).all())


def _numberable(pre, table: str, columns: list[str]) -> bool:
    """Whether every column (a user's id within its tenant) and the table's key are integers."""
    cols = pre.schema.tables[table].columns
    pk = pre.schema.tables[table].primary_key
    return all(cols[c].kind in (Column.INTEGER, Column.PRIMARY_KEY) for c in [*columns, *([pk] if pk else [])])


def _numbers(pre, table: str, df: pd.DataFrame, column: str, n: int) -> np.ndarray:
    """`n` numbers for the added rows: the first of their group where the data's count their
    group's rows (`row_numbers`), else past every number there, so none repeats."""
    numbers = pre.stats.get("row_numbers", {}).get(table, {})
    if numbers.get("column") == column:
        return np.full(n, int(numbers["start"]), dtype=np.int64)
    top = to_numbers(df[column]).max()
    return int(0 if pd.isna(top) else top) + 1 + np.arange(n, dtype=np.int64)

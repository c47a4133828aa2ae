"""Finding versions of one entity (SCD type 2) in a table: a business key over validity ranges.

Shared by `RelationalData.from_sql`, which names what it finds, and `versions`, which nests it.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from relsynth.relational.columns import Column
from relsynth.relational.schema import Schema


def entity_table(table: str, key: str) -> str:
    """The name of the table of `table`'s entities, one row per business key `key`."""
    return f"{table}.{key}"


MIN_ENTITIES = 20  # business keys repeating (two versions or more) before a column is called one


def versioned_keys(schema: Schema, frames: Mapping[str, pd.DataFrame]) -> list[tuple[str, str, str, str]]:
    """(table, business key, valid from, valid to) of each root table holding versions of entities
    (`versions.nest_versions`): a label column no key, never null, of which MIN_ENTITIES values repeat, and
    two date columns, from <= to in every row, whose ranges no value's rows overlap, its one open
    end (a null `to`, 9999-12-31 read) its last. Said by `from_sql`; nothing is nested unasked."""
    out = []
    for table in schema.roots:
        kinds = schema.tables[table].columns
        if table in schema.lookups or schema.tables[table].primary_key is None:
            continue
        dates = [c for c, k in kinds.items() if k.kind in (Column.DATE, Column.DATETIME)]
        labels = [c for c, k in kinds.items() if k.kind in _LABELS and frames[table][c].notna().all()]
        for key in labels:
            if (frames[table][key].value_counts() > 1).sum() < MIN_ENTITIES:
                continue
            pair = next((p for p in _date_pairs(dates) if _versions(frames[table], key, *p)), None)
            if pair is not None:
                out.append((table, key, *pair))
                break
    return out


_LABELS = (Column.TEXT, Column.CATEGORICAL, Column.IDENTIFIER, Column.INTEGER)


def _date_pairs(dates: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for a in dates for b in dates if a != b]


def _versions(frame: pd.DataFrame, key: str, start: str, end: str) -> bool:
    """Whether `frame`'s rows of each `key` are versions: `start` never null and never after `end`,
    each version starting after the previous one ends, only the last one open (`end` null)."""
    rows = frame[[key, start, end]].sort_values([key, start])
    if rows[start].isna().any() or (rows[start] > rows[end]).any():
        return False
    same = rows[key].eq(rows[key].shift(-1)).to_numpy(dtype=bool, na_value=False)  # a next version follows
    following = rows[start].shift(-1)
    return bool((rows[end].notna() & (following > rows[end])).to_numpy(dtype=bool, na_value=False)[same].all())

"""Integer columns that hold another table's keys without being declared a key: an audit log's
`entity_id`, naming an order where its `entity` is `order` and a customer where it is `customer`
(a polymorphic reference), or a plain key the catalog does not declare. Modelled as numbers, the
generated ones name no generated row (45 of 197 generated audit rows of orders named one, by
chance), and nothing said so. `key_like_columns` finds them, for a warning that says what to do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational._coerce import composite_references
from relsynth.relational.columns import Column
from relsynth.relational.numbering import numbering_start
from relsynth.relational.numbers import to_numbers

MIN_KEYS = 20  # distinct values a column (or one label's rows) holds, at least
MIN_COVER = 0.5  # share of the named table's keys the values hold, at least
MIN_INSIDE = 0.7  # share of the values that are its keys, at least (a training part of 80 % holds ~80 % of them)
MAX_LABELS = 10  # labels of a column a polymorphic reference is read by, at most
MAX_PAST = 0.05  # share of the values past the table's highest key (or below its lowest), at most
TOP_KEYS = (
    0.9  # quantile of a table's keys the values must reach: a count from 1 (quantity 1-30 of keys 1-50) stops short
)


def key_like_columns(data) -> list[str]:
    """One note per integer column of a synthesised table whose values (all of them, or those of
    each label of a categorical column of its row) are keys of one other synthesised table
    (`MIN_INSIDE` of them, as in a split's part), covering `MIN_COVER` of its keys: what it names,
    and how to declare it. Not a column of a composite key the source declares (a task's
    tenant_id, of (tenant_id, project_id)): declared, and copied from its row or paired so. Nor
    one numbering its parent row's rows from one start (a repository's issues 1..n): a counter."""
    schema, out = data.schema, []
    declared = {(t, c) for t, cols, _, _ in composite_references(data.formats) for c in cols}
    keys = {
        t: _integer_keys(data[t][pk]) for t in schema.synth_tables if (pk := schema.tables[t].primary_key) is not None
    }
    for table in schema.synth_tables:
        columns = schema.tables[table].columns
        labels = [c for c, k in columns.items() if k.kind is Column.CATEGORICAL]
        others = {t: k for t, k in keys.items() if t != table}  # its own keys: as likely row numbers
        edge = schema.parent(table)
        for col in [c for c, k in columns.items() if k.kind is Column.INTEGER and (table, c) not in declared]:
            values = to_numbers(data[table][col])
            if (
                edge is not None
                and edge.fk in data[table]
                and numbering_start(data[table][edge.fk], values) is not None
            ):
                continue  # issue numbers 1..148 of a repository lay among 150 user keys
            if (note := _polymorphic(data[table], table, col, values, labels, others)) is not None:
                out.append(note)
            elif (named := _named_table(values, others)) is not None:
                out.append(
                    f"{table}.{col} holds keys of {named} (every value one of its keys): modelled as a number, "
                    f"its generated values name no generated row; declare it a foreign key to {named} "
                    "(in a schema YAML or overrides: {foreign_key: ...}) if it names one"
                )
    return out


def _integer_keys(keys: pd.Series) -> set[int]:
    """The keys that read as finite numbers, as integers. Through `to_numbers`: text keys such as
    hexadecimal hashes ("6991e59055083123824fa0...") would crash pandas' own parser."""
    numbers = to_numbers(keys).dropna()
    if not pd.api.types.is_integer_dtype(numbers.dtype):  # integers as they are: a float loses digits past 2**53
        numbers = numbers[np.isfinite(numbers.astype("float64"))]
    return set(numbers.astype(np.int64).tolist())


def _polymorphic(frame: pd.DataFrame, table: str, col: str, values: pd.Series, labels: list[str], keys) -> str | None:
    """The note on `col` where each label of one of `labels` has its values name rows of one
    table, not all the same table; None where no label column does."""
    for label in labels:
        groups = values.groupby(frame[label].astype("string"), dropna=True)
        if not 2 <= groups.ngroups <= MAX_LABELS:
            continue
        named = {str(v): _named_table(g, keys) for v, g in groups}
        if all(named.values()) and len(set(named.values())) > 1:
            pairs = ", ".join(f"{v} -> {t}" for v, t in named.items())
            return (
                f"{table}.{col} names a row of another table by {table}.{label} ({pairs}): a polymorphic "
                "reference, modelled as a number, so its generated values name no generated row; write it as "
                f"one nullable foreign key per table ({', '.join(sorted(set(named.values())))}), or leave it out"
            )
    return None


def _named_table(values: pd.Series, keys: dict[str, set[int]]) -> str | None:
    """The table whose keys hold nearly every value of `values` (`MIN_INSIDE`), covering most of
    them (`MIN_COVER`), up to its highest ones (`TOP_KEYS`) and hardly past them (`MAX_PAST`): of
    those, the one holding the largest share of the values, then of its keys covered; None where
    none does. Keys counted from 1 in every table make the smaller tables' keys a part of the
    larger's: a paper's 800 ids hold all of its 600 authors' too, and covering was all that
    counted, so a citation's paper id was said to name an author."""
    held = values.dropna()
    if held.nunique() < MIN_KEYS or (held % 1 != 0).any():
        return None
    distinct = set(held.astype(np.int64).tolist())
    values_at = np.fromiter(distinct, dtype=np.int64)
    best, score = None, (0.0, MIN_COVER)
    for table, k in keys.items():
        inside = len(distinct & k)
        reaches_top = k and max(distinct) >= np.quantile(np.fromiter(k, dtype=np.int64), TOP_KEYS)
        # a key names no row past the table's keys: durations in seconds, 60 to 3,599, held most of
        # 2,992 invoice keys, but a sixth of them lay past the highest
        past = k and np.mean((values_at < min(k)) | (values_at > max(k))) > MAX_PAST
        if not reaches_top or past or inside < MIN_INSIDE * len(distinct) or inside / len(k) < MIN_COVER:
            continue
        if (found := (inside / len(distinct), inside / len(k))) >= score:
            best, score = table, found
    return best

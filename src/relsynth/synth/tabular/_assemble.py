"""Vectorised depth-first serialisation of a database into token sequences.

Every row's start offset is computed with cumulative sums (subtree sizes bottom-up, starts
top-down), then headers are scattered into one token array: no Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import as_numbers, with_ancestors
from relsynth.synth.tabular.grammar import Encoded


def assemble(pre, data: RelationalData | Mapping[str, pd.DataFrame]):
    tables = data.data if isinstance(data, RelationalData) else data
    schema, layouts = pre.schema, pre.layouts
    order = list(layouts)
    perm, parent_pos = _sort_under_parents(schema, tables, order, pre.sibling_keys)
    size, block = _subtree_sizes(schema, layouts, order, perm, parent_pos)
    start = _row_starts(schema, layouts, order, size, block, parent_pos)
    n_tokens = int(sum(size[r].sum() for r in schema.roots))
    tokens = np.zeros(n_tokens, dtype=np.int32)
    slots = np.zeros(n_tokens, dtype=np.int16)
    for t in order:
        above = _parent_rows(pre, tables, t, perm, parent_pos)
        header = _headers(pre, t, tables[t].iloc[perm[t]], parent_pos, len(perm[t]), above)
        pos = start[t][:, None] + np.arange(header.shape[1])[None, :]
        tokens[pos] = header
        slots[pos] = np.asarray(layouts[t].slots, dtype=np.int16)[None, :]
    row_start, row_table, row_parent = _row_index(schema, order, start, parent_pos)
    root_starts = np.sort(np.concatenate([start[r] for r in schema.roots]))
    offsets = np.append(root_starts, n_tokens).astype(np.int64)
    return Encoded(tokens, slots, offsets, row_start, row_table, row_parent)


def entity_lengths(pre, data: RelationalData | Mapping[str, pd.DataFrame]) -> np.ndarray:
    """Tokens of each root entity, counted without encoding (cheap: no token arrays)."""
    tables = data.data if isinstance(data, RelationalData) else data
    schema = pre.schema
    size = {t: np.full(len(tables[t]), lay.header_len, dtype=np.int64) for t, lay in pre.layouts.items()}
    for t in reversed(list(pre.layouts)):  # a table's descendants come before it: its sizes are complete
        edge = schema.parent(t)
        if edge is not None:
            keys = tables[edge.parent][schema.tables[edge.parent].primary_key]
            pos = pd.Index(keys).get_indexer(tables[t][edge.fk])
            size[edge.parent] += np.bincount(pos, weights=size.pop(t), minlength=len(keys)).astype(np.int64)
    return np.concatenate([size[r] for r in schema.roots])


def key_numbers(values: pd.Series) -> np.ndarray:
    """A sibling key's values as numbers: a date's nanoseconds, or a number where no date is the
    rows' time (`relational.orders.sibling_key`: epoch seconds)."""
    return as_numbers(values, Column.NUMERIC if pd.api.types.is_numeric_dtype(values) else Column.DATETIME)


def sibling_order(df: pd.DataFrame, fk: str, key: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(row positions with each parent's rows together, in order of the sibling date `key` (missing
    ones last, ties as stored; None: as stored), as `_sort_under_parents` encodes them; whether
    each row in that order follows a row of the same parent)."""
    parent = pd.factorize(df[fk])[0]
    if key is None:
        order = np.argsort(parent, kind="stable")
    else:  # lexsort is stable: ties keep their stored order
        order = np.lexsort((key_numbers(df[key]), parent))
    p = parent[order]
    same = np.r_[False, (p[1:] == p[:-1]) & (p[1:] >= 0)]
    return order, same


def _sort_under_parents(schema, tables, order, sibling_keys):
    """Row order of each table (children grouped by parent, stable; in order of the table's
    `sibling_keys` date within a parent, missing ones last, so the model sees siblings follow one
    another in time) and each row's parent position."""
    perm, parent_pos = {}, {}
    for t in order:
        edge = schema.parent(t)
        n = len(tables[t])
        if edge is None:
            perm[t], parent_pos[t] = np.arange(n), None
            continue
        pk = schema.tables[edge.parent].primary_key
        parent_keys = tables[edge.parent][pk].to_numpy()[perm[edge.parent]]
        pos = pd.Index(parent_keys).get_indexer(tables[t][edge.fk])
        if (pos < 0).any():
            raise ValueError(f"{t}.{edge.fk}: {int((pos < 0).sum())} row(s) have no parent among the given rows")
        key = sibling_keys.get(t)
        if key is None:
            p = np.argsort(pos, kind="stable")
        else:  # lexsort is stable: ties keep their stored order
            p = np.lexsort((key_numbers(tables[t][key]), pos))
        perm[t], parent_pos[t] = p, pos[p]
    return perm, parent_pos


def _subtree_sizes(schema, layouts, order, perm, parent_pos):
    size = {t: np.full(len(perm[t]), layouts[t].header_len, dtype=np.int64) for t in order}
    block = {}
    for t in reversed(order):
        for c in layouts[t].children:
            block[c] = np.bincount(parent_pos[c], weights=size[c], minlength=len(size[t])).astype(np.int64)
            size[t] += block[c]
    return size, block


def _row_starts(schema, layouts, order, size, block, parent_pos):
    start = {}
    base = 0
    for r in schema.roots:
        start[r] = base + np.cumsum(size[r]) - size[r]
        base += int(size[r].sum())
    for t in order:
        cursor = start[t] + layouts[t].header_len
        for c in layouts[t].children:
            within = np.cumsum(size[c]) - size[c]  # exclusive cumsum over all rows of c
            group_first = (np.cumsum(block[c]) - block[c])[parent_pos[c]]
            start[c] = cursor[parent_pos[c]] + within - group_first
            cursor = cursor + block[c]
    return start


def _parent_rows(pre, tables, table: str, perm, parent_pos) -> pd.DataFrame | None:
    """The parent row's columns that `table`'s dates follow (`pre.parent_bases`; `<ancestor>.<column>`
    of a row further up), one row per row of
    `table` in its encoding order; None when it follows none."""
    cols = pre.parent_bases(table)
    if not cols:
        return None
    parent = pre.schema.parent(table).parent
    above = with_ancestors(tables, pre.schema, parent, cols)  # a base may be a date further up
    return above.iloc[perm[parent]].iloc[parent_pos[table]].reset_index(drop=True)


def _headers(pre, table, df, parent_pos, n_rows, parent: pd.DataFrame | None = None) -> np.ndarray:
    """(n_rows, header_len) global token ids: field tokens then child-count tokens."""
    layout = pre.layouts[table]
    parts = [pre.encode_columns(table, df, parent=parent, siblings=parent_pos.get(table))]
    for c, slot_id in zip(layout.children, layout.slots[layout.n_fields :], strict=True):
        slot = pre.slots[slot_id]
        counts = np.bincount(parent_pos[c], minlength=n_rows)
        parts.append((slot.offset + slot.preproc.encode(counts))[:, None])
    return np.concatenate(parts, axis=1) if parts else np.zeros((n_rows, 0), dtype=np.int64)


def _row_index(schema, order, start, parent_pos):
    """Rows in depth-first order: start offset, table index, parent row (-1 for roots)."""
    all_start = np.concatenate([start[t] for t in order])
    all_table = np.concatenate([np.full(len(start[t]), i, dtype=np.int16) for i, t in enumerate(order)])
    base = dict(zip(order, np.cumsum([0] + [len(start[t]) for t in order])[:-1], strict=True))
    dfs = np.argsort(all_start, kind="stable")
    rank = np.empty_like(dfs)
    rank[dfs] = np.arange(len(dfs))
    parent = np.full(len(all_start), -1, dtype=np.int64)
    for t in order:
        edge = schema.parent(t)
        if edge is not None:
            parent[base[t] : base[t] + len(start[t])] = rank[base[edge.parent] + parent_pos[t]]
    return all_start[dfs], all_table[dfs], parent[dfs]

"""Two columns of a row kept in order: an undirected edge stored once, its lower key first
(friendships (a, b) with a < b), a range's low and high.

The source declares it by a CHECK (a < b) or (a <= b) (`relational._checks.column_orders`,
public like the schema: kept under DP too and written back by to_sql), or, for two references to
one table (not under DP), every training row holding both keeps it (`MIN_ROWS` at least). The
references are drawn apart, each its own parent row, so only ~62 % of generated friendships kept
a < b. Once the references are drawn, a row holding the pair the wrong way round has its two keys
swapped (the same pair, stored the declared way), before repeated links are dropped. Where the two
references play different roles (a bill of materials' part and its component: a label of the rows
they name, a raw part, held on one side only, `roles_differ`), a swap would make a component the
part, so the named table's keys are dealt again instead, in an order putting each row's low key
first (`renumbered_in_order`), where its keys follow no date and the links close no cycle. Values
(numbers, dates) a declared order holds are swapped once every value is set, as the orders the
data shows are kept by the model (`orderings`). A row holding one value in both of a strict
pair is left, counted in a warning.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, Schema
from relsynth.relational.data import BELOW, SQL_FORMAT, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular._references.fit import unnamed
from relsynth.synth.tabular._references.generate import own_date

log = logging.getLogger(__name__)
MIN_ROWS = 20  # training rows holding both keys an order between two references is read from, at least
MIN_SIDE_ROWS = 10  # rows naming a label through one key, where the other never does, that say the roles differ
_VALUES = (Column.NUMERIC, Column.INTEGER, Column.DATE, Column.DATETIME)


def declared_orders(formats: Mapping, table: str) -> list[dict]:
    """{"table", "low", "high", "strict"} of each CHECK (low < high) or (low <= high) the source declares on `table`."""
    return [
        {"table": table, "low": low, "high": high, "strict": bool(strict)}
        for low, fmt in (formats.get(table) or {}).items()
        for high, strict in ((fmt or {}).get(SQL_FORMAT) or {}).get(BELOW, [])
    ]


def key_orders(data: RelationalData) -> list[dict]:
    """The orders (`declared_orders`' dicts) every training row holding two references of a table
    to one table keeps, in MIN_ROWS rows at least: strict where no row names one row twice."""
    out = []
    for table in data.schema.synth_tables:
        fks = data.schema.tables[table].foreign_keys
        for a, b in ((a, b) for a in fks for b in fks if a < b and fks[a] == fks[b]):
            pair = data[table][[a, b]].dropna()
            if len(pair) < MIN_ROWS:
                continue
            for low, high in ((a, b), (b, a)):
                below = _below(pair[low], pair[high], strict=False)
                if below is not None and below.all():
                    strict = bool(_below(pair[low], pair[high], strict=True).all())
                    directed = roles_differ(data, table, low, high)
                    out.append({"table": table, "low": low, "high": high, "strict": strict, "directed": directed})
    return out


def roles_differ(data: RelationalData, table: str, low: str, high: str) -> bool:
    """Whether a label of the rows `low` and `high` both name (a category or flag of theirs) is named
    by one of the two keys in MIN_SIDE_ROWS rows at least and never by the other: a bill of materials'
    raw parts, only ever components, never the part built. A friendship's users, on either side by
    their ids alone, share every label."""
    named = data.schema.tables[table].foreign_keys[low]
    rows = data[named].set_index(data.schema.tables[named].primary_key)
    pair = data[table][[low, high]].dropna()
    for col in data.schema.tables[named].cols_of(Column.CATEGORICAL, Column.BOOLEAN):
        on_low, on_high = (pair[key].map(rows[col]).value_counts() for key in (low, high))
        one_side = pd.concat([on_low[~on_low.index.isin(on_high.index)], on_high[~on_high.index.isin(on_low.index)]])
        if (one_side >= MIN_SIDE_ROWS).any():
            return True
    return False


def keep_key_orders(pre, tables: dict[str, pd.DataFrame], in_place: Collection[str] = ()) -> None:
    """Swap, in place, the keys of each generated row holding a pair of references the wrong way
    round (`key_orders`, or declared between two references); a link table no table names is put
    back in its parent rows' order. A pair whose keys play different roles (`directed`) is never
    swapped: the named table's keys are dealt again (`renumbered_in_order`), or the rows left.
    `in_place`: tables whose rows stay in their order (the root rows given as context)."""
    schema = pre.schema
    for order in _orders(pre):
        table = order["table"]
        fks = schema.tables[table].foreign_keys
        if table in tables and order["low"] in fks and order["high"] in fks:
            if order.get("directed"):  # none in older models
                if not renumbered_in_order(pre, tables, order, in_place):
                    log.info("%s: keys of %s left out of order: a swap would turn their roles", table, order["low"])
                continue
            tables[table] = _swapped(tables[table], order)
            nest = schema.parent(table)
            if nest is not None and nest.fk in (order["low"], order["high"]) and unnamed(schema, table):
                keys = pd.Index(tables[nest.parent][schema.tables[nest.parent].primary_key])
                order_rows = np.argsort(keys.get_indexer(tables[table][nest.fk]), kind="stable")
                tables[table] = tables[table].iloc[order_rows].reset_index(drop=True)


def renumbered_in_order(pre, tables: dict[str, pd.DataFrame], order: Mapping, in_place: Collection[str] = ()) -> bool:
    """Deal the keys of the table `order`'s two references name again, in place, so that each row of
    `order["table"]` holds its low key below its high key, every row keeping the rows it names: the
    named rows in an order putting each row named low before the rows named high beside it (Kahn's,
    the generated order kept where it allows: a component before the assemblies built of it), each
    given the key of its place among the table's sorted keys; every key to the table follows; its rows
    then sorted by key, unless the table is `in_place` (root rows in their context's order). False,
    nothing changed, where the links close a cycle or the table's keys follow a date of its own."""
    schema = pre.schema
    named = schema.tables[order["table"]].foreign_keys[order["low"]]
    pk = schema.tables[named].primary_key
    if pk is None or named not in tables or _keys_follow_date(pre, named):
        return False
    keys = pd.Index(tables[named][pk])
    links = tables[order["table"]]
    low, high = keys.get_indexer(links[order["low"]]), keys.get_indexer(links[order["high"]])
    held = (low >= 0) & (high >= 0)
    places = _topological(len(keys), low[held], high[held])
    if places is None:
        return False
    new = tables[named][pk].sort_values(kind="stable").to_numpy()[places]  # each row its place's key
    for table, frame in tables.items():
        for col, target in schema.tables[table].foreign_keys.items() if table in schema.tables else ():
            if target == named and col in frame:
                at = keys.get_indexer(frame[col])
                frame.loc[at >= 0, col] = new[at[at >= 0]]
    tables[named][pk] = new
    if named not in in_place:
        tables[named] = tables[named].sort_values(pk, kind="stable").reset_index(drop=True)
    return True


def _keys_follow_date(pre, table: str) -> bool:
    """Whether `table`'s generated keys rise with a date (`stats["key_dates"]`, or its reference to
    itself naming earlier rows by one), which dealing them again would break."""
    return bool(pre.stats.get("key_dates", {}).get(table) or own_date(pre, table))


def _topological(n: int, low: np.ndarray, high: np.ndarray) -> np.ndarray | None:
    """The place of each of `n` rows in an order putting every `low[i]` before `high[i]`, the rows'
    own order kept where the links allow (the lowest ready row first); None where they close a cycle."""
    after = [[] for _ in range(n)]
    waiting = np.zeros(n, dtype=np.int64)
    for a, b in set(zip(low.tolist(), high.tolist(), strict=True)):
        after[a].append(b)
        waiting[b] += 1
    ready = [i for i in range(n) if waiting[i] == 0]
    heapq.heapify(ready)
    places = np.full(n, -1, dtype=np.int64)
    for place in range(n):
        if not ready:
            return None
        row = heapq.heappop(ready)
        places[row] = place
        for b in after[row]:
            waiting[b] -= 1
            if waiting[b] == 0:
                heapq.heappush(ready, b)
    return places


def keep_value_orders(
    schema: Schema, tables: dict[str, pd.DataFrame], formats: Mapping, given: Mapping[str, list[str]] | None = None
) -> None:
    """Swap, in place, the values of each generated row breaking a declared order between two
    numbers or dates (`declared_orders`); `given`: table -> columns never changed."""
    for table in schema.synth_tables:
        cols = schema.tables[table].columns
        for order in declared_orders(formats, table):
            pair = (order["low"], order["high"])
            if table not in tables or not all(c in cols and cols[c].kind in _VALUES for c in pair):
                continue
            if not set(pair) & set((given or {}).get(table, [])):
                tables[table] = _swapped(tables[table], order, kinds=(cols[pair[0]].kind, cols[pair[1]].kind))


def _orders(pre) -> list[dict]:
    formats = pre.stats.get("formats") or {}
    declared = [o for t in pre.schema.synth_tables for o in declared_orders(formats, t)]
    return [*declared, *(o for o in pre.stats.get("key_orders", []) if o not in declared)]  # none in older models


def _swapped(df: pd.DataFrame, order: Mapping, kinds: tuple[Column, Column] | None = None) -> pd.DataFrame:
    """`df` with `order`'s two columns swapped in each row holding them the wrong way round, each
    value put in its new column's `kinds` (`_in_kind`); a warning counts the rows holding one value
    in a strict pair (left: no swap keeps them apart)."""
    low, high = order["low"], order["high"]
    above = _below(df[high], df[low], strict=True)
    if above is None:
        return df
    if above.any():
        df = df.copy()
        rows = df.index[above]
        to_low, to_high = df.loc[rows, high], df.loc[rows, low]
        if kinds is not None:
            to_low, to_high = _in_kind(to_low, kinds[0], down=True), _in_kind(to_high, kinds[1], down=False)
        df.loc[rows, low], df.loc[rows, high] = to_low.to_numpy(), to_high.to_numpy()
        log.info(
            "%s: %d of %d generated row(s) held %s above %s: swapped", order["table"], above.sum(), len(df), low, high
        )
    same = (df[low].notna() & df[high].notna() & (df[low] == df[high])).to_numpy(dtype=bool)
    if order["strict"] and same.any():
        log.warning(
            "%s: %d generated row(s) hold one value in %s and %s, which must be below it: left",
            order["table"],
            int(same.sum()),
            low,
            high,
        )
    return df


def _in_kind(values: pd.Series, kind: Column, down: bool) -> pd.Series:
    """Values swapped into a column of `kind`: an integer's whole number, a date's day (a CHECK (qty
    <= cap) between an INTEGER and a REAL, (ordered <= shipped) between a DATE and a TIMESTAMP),
    rounded down into the low column and up into the high one, so the order still holds."""
    if kind is Column.INTEGER and not pd.api.types.is_integer_dtype(values.dtype):  # integers stay exact past 2**53
        x = to_numbers(values, errors="raise").astype("float64")
        return np.floor(x) if down else np.ceil(x)
    if kind is Column.DATE:
        days = pd.to_datetime(values)
        return days.dt.floor("D") if down else days.dt.ceil("D")
    return values


def _below(a: pd.Series, b: pd.Series, strict: bool) -> np.ndarray | None:
    """Whether each `a` is below `b` (False where either is null); None where they do not compare."""
    held = (a.notna() & b.notna()).to_numpy(dtype=bool)
    try:
        below = (a < b) if strict else (a <= b)
    except TypeError:  # keys of mixed types
        return None
    return below.to_numpy(dtype=bool, na_value=False) & held

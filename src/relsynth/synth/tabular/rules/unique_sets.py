"""Sets of columns the source declares UNIQUE beyond the key (`Table.unique`): an employee's
(employee_id, valid_from), a like's (user_id, post_id) in a table with its own key, a person's
(first_name, last_name, birth_date).

The model writes each row's values from the rows before it, and references are drawn apart, so
the generated rows can repeat such a set (an employee's (first, last, start) 4 times in 1,000,
DP-generated likes (user_id, post_id) twice in 1,113), which the source's DDL refuses. Where the
set is a parent key and one reference, the reference is drawn never naming a row twice under one
parent row (`unique_pairs`); a parent key and one category, the category is masked to the labels
its siblings did not take (`unique_labels`). What is left is resolved once the tables are
generated (`keep_unique_sets`): a repeating row, after the first, gets another value of one of the
set's columns, one held by the column's other generated rows that makes the set unused (the
nearest one for a number or a date, else one drawn by its share), a reference another generated
key, or, where no one column frees it, all of them drawn again; where none does and nothing names
the table's rows, the row is dropped, else an integer or a date is moved by the fewest steps (a
day, a second) that free it. The parent key is never changed (the row would move to another
parent). The schema is public, so this holds under DP too. A warning counts what was changed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, Schema
from relsynth.synth.tabular.rules.apart_values import apart_pairs

log = logging.getLogger(__name__)
MAX_TRIES = 200  # candidate values tried for one row and column
_ORDERED = (Column.NUMERIC, Column.INTEGER, Column.DATE, Column.DATETIME, Column.TIME)
_STEPS = {Column.INTEGER: 1, Column.DATE: dt.timedelta(days=1), Column.DATETIME: dt.timedelta(seconds=1)}
_SKIPPED = (Column.TEXT, Column.IDENTIFIER, Column.PRIMARY_KEY)  # written later, or unique on their own


def declared_pair(schema: Schema, child: str, parent_fk: str, column: str) -> bool:
    """Whether `child` declares UNIQUE exactly (its parent key `parent_fk`, `column`)."""
    return any(set(u) == {parent_fk, column} for u in schema.tables[child].unique)


def declared_labels(schema: Schema, columns: dict[str, list[str]]) -> dict[str, list[str]]:
    """table -> the columns of `columns` (its categorical ones) that a UNIQUE (parent key, column)
    declares never repeated under one parent row."""
    out = {}
    for table, cols in columns.items():
        edge = schema.parent(table)
        if edge is not None and (found := [c for c in cols if declared_pair(schema, table, edge.fk, c)]):
            out[table] = found
    return out


def keep_unique_sets(
    schema: Schema,
    tables: dict[str, pd.DataFrame],
    rng: np.random.Generator,
    given: Mapping[str, list[str]] | None = None,
    formats: Mapping | None = None,
) -> set[str]:
    """Make, in place, the generated rows of every table hold each of its `unique` sets once (a row
    with a null in the set is free): later repeats get another value, or are dropped (module doc).
    `given`: table -> columns whose values were given (a context's), never changed; `formats`: the
    source's, whose CHECK (a <> b) pairs a new value keeps (`_apart_values`: never its row's other one).
    Returns the tables it dropped rows of (their line numbers counted again, `renumber_siblings`)."""
    named = {ref for t in schema.tables.values() for ref in t.foreign_keys.values()}
    dropped: set[str] = set()
    for table in schema.synth_tables:
        for cols in schema.tables[table].unique:
            if table in tables and set(cols) <= set(tables[table].columns):
                fixed = (given or {}).get(table, [])
                apart = _partners(apart_pairs(schema, formats or {}, table))
                before = len(tables[table])
                tables[table] = _kept(schema, tables, table, list(cols), table not in named, fixed, rng, apart)
                if len(tables[table]) < before:
                    dropped.add(table)
    return dropped


def _kept(
    schema: Schema,
    tables: dict[str, pd.DataFrame],
    table: str,
    cols: list[str],
    leaf: bool,
    fixed: list[str],
    rng,
    apart: Mapping[str, list[str]] | None = None,
) -> pd.DataFrame:
    """`tables[table]` with the rows repeating `cols` changed or dropped, and a warning saying so:
    one column changed where one frees the set, else every changeable one drawn again."""
    df = tables[table]
    held = df[cols].notna().all(axis=1).to_numpy()
    repeated = df[cols].duplicated().to_numpy() & held
    if not repeated.any():
        return df
    df = df.copy()
    columns = {c: pool for c, pool in _changeable(schema, tables, table, cols).items() if c not in fixed}
    kinds = schema.tables[table].columns
    # a value none of the column's rows holds only where the row may not go
    steps = {} if leaf else {c: _STEPS[kinds[c].kind] for c in columns if kinds[c].kind in _STEPS}
    values = {c: df[c].tolist() for c in cols}
    used = {tuple(values[c][i] for c in cols) for i in np.flatnonzero(held)}
    changed = dict.fromkeys(columns, 0)  # rows given another value of each column
    left = []
    for i in np.flatnonzero(repeated):
        ok = _apart_from(df, i, apart or {})
        for c, pool in columns.items():
            if (v := _free_value(values, cols, i, c, pool, used, rng, ok)) is not None:
                new = {c: v}
                break
        else:  # no one column frees it: draw them all again, else step a date or an integer off its values
            new = _free_values(values, cols, i, columns, used, rng, ok) or _stepped(values, cols, i, steps, used, ok)
        if not new:
            left.append(i)
            continue
        for c, v in new.items():
            values[c][i] = v
            df.iloc[i, df.columns.get_loc(c)] = v
            changed[c] += 1
        used.add(tuple(values[k][i] for k in cols))
    dropped = len(left) if leaf else 0
    if dropped:
        df = df.drop(index=df.index[left]).reset_index(drop=True)
    what = [f"{n} given another {c}" for c, n in changed.items() if n]
    what += [f"{dropped} dropped (no table names its rows)"] if dropped else []
    what += [f"{len(left)} left repeated (rows of it are named by other tables)"] if left and not leaf else []
    log.warning(
        "%s: %d of %d generated row(s) repeated (%s), UNIQUE in the source: %s",
        table,
        int(repeated.sum()),
        len(repeated),
        ", ".join(cols),
        "; ".join(what),
    )
    return df


def _changeable(schema: Schema, tables: dict[str, pd.DataFrame], table: str, cols: list[str]) -> dict[str, tuple]:
    """Column -> (ordered, its pool of values) for the columns of `cols` a repeat may change, the
    values first (last in the set first), references then: not the parent key, text, codes nor keys."""
    t, edge = schema.tables[table], schema.parent(table)
    values, references = {}, {}
    for c in reversed(cols):
        kind = t.columns[c]
        if (edge is not None and c == edge.fk) or kind.kind in _SKIPPED:
            continue
        if c in t.foreign_keys and t.foreign_keys[c] not in schema.lookups:
            referenced = tables[t.foreign_keys[c]][schema.tables[t.foreign_keys[c]].primary_key]
            references[c] = (False, _pool(referenced, ordered=False))
        else:
            ordered = kind.kind in _ORDERED
            values[c] = (ordered, _pool(tables[table][c], ordered))
    return values | references


def _pool(s: pd.Series, ordered: bool) -> tuple[list, np.ndarray | None]:
    """(distinct values, sorted where `ordered`; their shares where not)."""
    counts = s.dropna().value_counts()
    if ordered:
        return sorted(counts.index.tolist()), None
    return counts.index.tolist(), (counts.to_numpy(np.float64) / counts.sum()) if len(counts) else None


def _partners(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Column -> the columns a CHECK (a <> b) keeps it apart from, both ways."""
    out: dict[str, list[str]] = {}
    for a, b in pairs:
        out.setdefault(a, []).append(b)
        out.setdefault(b, []).append(a)
    return out


def _apart_from(df: pd.DataFrame, i: int, apart: Mapping[str, list[str]]) -> Callable[[dict], bool]:
    """Whether new values {column: value} of row `i` leave no column equal to one a CHECK keeps it apart from."""

    def ok(new: dict) -> bool:
        def held(c: str) -> object:
            return new[c] if c in new else df[c].iat[i]

        return not any(pd.notna(held(c)) and held(c) == held(o) for c in new for o in apart.get(c, ()))

    return ok


def _free_value(
    values: dict[str, list], cols: list[str], i: int, c: str, pool: tuple, used: set, rng, ok=lambda new: True
) -> object:
    """A value of column `c` for row `i` that leaves its set unused (and `ok`), None where none of the tried is."""
    ordered, (candidates, shares) = pool
    key = [values[k][i] for k in cols]
    at = cols.index(c)
    for v in _candidates(candidates, shares, values[c][i], ordered, rng):
        key[at] = v
        if tuple(key) not in used and ok({c: v}):
            return v
    return None


def _free_values(
    values: dict[str, list], cols: list[str], i: int, columns: dict, used: set, rng, ok=lambda new: True
) -> dict:
    """Values of all the `columns` for row `i`, each drawn among its pool (by share, or alike where
    ordered), that leave its set unused; {} where none of `MAX_TRIES` draws does."""
    if len(columns) < 2:
        return {}
    rng = rng if rng is not None else np.random.default_rng(i)
    for _ in range(MAX_TRIES):
        new = {}
        for c, (_, (candidates, shares)) in columns.items():
            if not candidates:
                return {}
            new[c] = candidates[rng.choice(len(candidates), p=shares)]
        if tuple(new.get(k, values[k][i]) for k in cols) not in used and ok(new):
            return new
    return {}


def _stepped(
    values: dict[str, list], cols: list[str], i: int, steps: dict[str, object], used: set, ok=lambda new: True
) -> dict:
    """One of the `steps` columns (an integer, a date) of row `i` moved by the fewest steps that
    leave its set unused, where its generated values leave none free; {} where none does."""
    for k in range(1, MAX_TRIES + 1):
        for c, step in steps.items():
            for v in (values[c][i] + k * step, values[c][i] - k * step):
                if tuple(v if x == c else values[x][i] for x in cols) not in used and ok({c: v}):
                    return {c: v}
    return {}


def _candidates(candidates: list, shares: np.ndarray | None, current: object, ordered: bool, rng) -> Iterator:
    """Up to `MAX_TRIES` values but `current`: outwards from it where `ordered`, else drawn by share."""
    if not candidates:
        return
    if not ordered:
        n = min(MAX_TRIES, len(candidates))
        for j in rng.choice(len(candidates), size=n, replace=False, p=shares):
            if candidates[j] != current:
                yield candidates[j]
        return
    right = bisect.bisect_right(candidates, current)
    left = right - 1
    while left >= 0 and candidates[left] == current:
        left -= 1
    for _ in range(MAX_TRIES):
        if left < 0 and right >= len(candidates):
            return
        below = candidates[left] if left >= 0 else None
        above = candidates[right] if right < len(candidates) else None
        if above is None or (
            below is not None and abs(_number(current) - _number(below)) <= abs(_number(above) - _number(current))
        ):
            left -= 1
            yield below
        else:
            right += 1
            yield above


def _number(v: object) -> float:
    """A value of an ordered column as a number, to compare distances."""
    if isinstance(v, pd.Timestamp):
        return float(v.value)
    if isinstance(v, pd.Timedelta):
        return float(v.value)
    if hasattr(v, "hour") and hasattr(v, "minute"):  # a time of day
        return v.hour * 3600.0 + v.minute * 60.0 + v.second + getattr(v, "microsecond", 0) / 1e6
    if hasattr(v, "toordinal"):  # a date
        return float(v.toordinal())
    return float(v)

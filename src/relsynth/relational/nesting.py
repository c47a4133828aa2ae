"""Which foreign key each table nests under, when the schema is inferred from data.

A table nests under one parent (`Schema.parent`); its other keys to synthesised tables are
references (`Schema.references`). Nesting is what the model learns best: a parent row with its
children is one training example. But one example per root row also means a table nested under a
root of a few rows leaves the model a few examples only (customers under their 8 sales
representatives, TPC-H's 1,500 customers under 25 nations). So a table nests under its first
foreign key (in column order, as a hand-written schema does: an invoice line under its invoice,
TPC-H's line item under its order) whose tree's root is large enough: at least `MIN_ROOT_ROWS`
rows, or at least a `FANOUT`-th of the table's rows. Not the root alone: its rows are as many
examples only if every table on the way down has as many (customers under Sakila's 2 stores,
which nest under 600 addresses, fall in 2 of the address entities), so the fewest rows on the
path count. Without such a key the table is a root and every such key is a reference.

Two tables naming each other (a department's manager, an employee's department; Sakila's store
manager and a staff member's store) nest the side with more rows under the other: the employees
under their department, each with its colleagues, not each department under its manager; so does
a longer cycle (a department's head, a team's department, an employee's team): a table never
nests under one with more rows that leads back to it. The key closing the cycle is a reference,
deferred (`Schema.deferred_keys`).

Where no key's root is large enough, a time series nests under its key all the same: a table of at least `SERIES_LENGTH` rows
a parent row on average, with a date or datetime no parent row repeats (a device's readings every 5
minutes, under 20 devices). Its order in time is what a reference would lose: drawn among the
synthetic rows, each reading on its own, a device got two readings at one time and a meter that
went down; nested, long entities are learnt in windows of the model's block, so they are not
few examples. Not a table other tables nest under where its root entities would then hold more
than `ENTITY_ROWS` rows each (`_carried_by_series`): 400 shipments under 4 carriers, each at its own
minute, nested so and left their 2,349 events a reference, each event drawn on its own; as a root,
the shipments are 400 examples, their events nested under them.

A key null in some rows never nests (a journal entry's customer, none for an internal entry): such a
row names no parent row to be learnt under, and nested it was refused as an orphan; as a reference
it keeps its share of nulls. `nulls` says which keys hold any.

Nor where the parent its key names has rows enough (`MIN_ROOT_ROWS`) but a small root above it
(a stock line's movements, under 136 stock lines nested 3 or 4 a warehouse under 40 warehouses):
its rows are learnt under each parent row, as many examples as the parent has rows, and as a root
with a reference it was generated row by row (a running balance kept in 3 % of movements). So it
nests there all the same, where no key's root is large enough, when a root entity would hold at
most `ENTITY_ROWS` rows on average with the table and those that would nest under it
(`entity_rows`): 40 warehouses of 33 rows each. Where a parent table is the small one (customers
under 8 sales representatives), its rows stay few examples: not nested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import pandas as pd

from relsynth.relational.columns import ForeignKey

MIN_ROOT_ROWS, FANOUT = 50, 4
SERIES_LENGTH = 50  # rows a parent row on average for a table to be a time series under it
# rows a root entity may hold on average for a table to nest in fewer than MIN_ROOT_ROWS of them under
# a parent of enough rows: about 4 times an entity of Chinook (an artist's, 55) or TPC-H (a customer's, 51)
ENTITY_ROWS = 200

# (table, key column) -> the date or datetime column by which the table's rows are a time series
# under that key (`series_date`), or None
SeriesDate = Callable[[str, str], str | None]
# (table, key column) -> whether some row's key is null (a row naming no parent row)
NullKey = Callable[[str, str], bool]


def large_enough(examples: int, table_rows: int) -> bool:
    """Whether a table of `table_rows` rows may nest where its rows would fall in `examples` root
    entities: at least `MIN_ROOT_ROWS` examples to learn from, or at least a `FANOUT`-th of the table's rows."""
    return examples >= MIN_ROOT_ROWS or table_rows <= FANOUT * max(examples, 1)


def nesting_keys(
    fks: Mapping[str, Mapping[str, str]],
    rows: Mapping[str, int],
    lookups: set[str] | frozenset[str],
    why: dict[tuple[str, str], str] | None = None,
    series: SeriesDate | None = None,
    nulls: NullKey | None = None,
) -> dict[str, str | None]:
    """table -> the foreign-key column it nests under (None: a root), for the tables of `fks`
    (table -> {FK column: referenced table}, in column order) that are not lookups; `rows`: each
    table's row count. A key that would close a cycle is never chosen. `why`, when given, gets
    (table, column) -> why that key does not nest, for each key to a synthesised table passed over,
    and why a key nests under too few root rows: a time series (`series`, asked only then), or a
    parent of enough rows whose root entities stay short (`entity_rows`). `nulls`, when given, says
    which keys hold nulls: never nested (asked only for a key that would otherwise be weighed)."""
    why = {} if why is None else why
    chosen: dict[str, str | None] = {}
    mutual: list[tuple[str, str, str]] = []  # (table, column, ref): ref names table back and has more rows
    visiting: set[str] = set()

    def path_up(table: str) -> list[str]:
        """`table` and its ancestors up to its root."""
        path = [table]
        while (fk := decide(path[-1])) is not None:
            path.append(fks[path[-1]][fk])
        return path

    def decide(table: str) -> str | None:
        if table in chosen:
            return chosen[table]
        visiting.add(table)
        best, few = None, []  # few: (key, table, root rows) of the keys whose root is too small
        for col, ref in fks.get(table, {}).items():
            if ref in lookups or ref not in rows:
                continue
            if best is not None:
                why[table, col] = f"{table} nests under its earlier key {best}"
                continue
            if ref == table:
                why[table, col] = "a key to its own table"
                continue
            if nulls is not None and nulls(table, col):
                why[table, col] = f"null in some rows, which name no {ref} row to nest under"
                continue
            if ref in visiting:
                why[table, col] = f"nesting {table} under {ref} would close a cycle"
                continue
            if rows.get(table, 0) < rows.get(ref, 0) and table in reached(fks, ref):
                mutual.append((table, col, ref))  # said once ref's own key is chosen (`_mutual_why`)
                continue
            # the entities holding rows of ref: at most the rows of each table from ref to its root
            path = path_up(ref)
            fewest = min(path, key=lambda t: rows.get(t, 0))
            n = rows.get(fewest, 0)
            if large_enough(n, rows.get(table, 0)):
                best = col
            else:
                above = "the root above" if fewest == path[-1] else "above"
                whose = f"{fewest}'s rows" if fewest == ref else f"the rows of {fewest}, {above} {ref}"
                why[table, col] = (
                    f"under {ref}, {table}'s {rows.get(table, 0)} rows would be {n} examples to learn from ({whose}: "
                    f"fewer than {MIN_ROOT_ROWS}, and than 1/{FANOUT} of {table}'s)"
                )
                few.append((col, ref, n))
        # no key's root large enough: the first key the rows are a time series under (asked only then)
        for col, ref, n in few if best is None else ():
            if (date := _long_series(table, col, rows, rows.get(ref, 0), series)) is not None:
                if (carried := _carried_by_series(fks, rows, lookups, table, path_up(ref), n)) is not None:
                    why[table, col] += f"; nor a time series under {ref} by its {date}: {carried}"
                    continue
                best = col
                why[table, col] = (
                    f"{table}'s rows are a time series under {ref} (about {rows.get(table, 0) // max(rows.get(ref, 0), 1)} "
                    f"a {ref} row, no {ref} row repeating a {date}): nested, although {n} root rows are few examples"
                )
                break
        # nor a time series: the first key to a parent of enough rows whose root entities stay short enough
        for col, ref, n in few if best is None else ():
            if rows.get(ref, 0) < MIN_ROOT_ROWS:
                continue
            held = entity_rows(fks, rows, lookups, table, path_up(ref), n)
            if held > ENTITY_ROWS:
                why[table, col] += (
                    f"; nor a part of {ref}'s entities: each would hold about {held:.0f} rows (over {ENTITY_ROWS})"
                )
                continue
            best = col
            below = ", ".join(sorted(nested_below(fks, rows, lookups, table)))
            why[table, col] = (
                f"under {ref}, {table}'s {rows.get(table, 0)} rows fall in {n} root entities, fewer than {MIN_ROOT_ROWS}, but "
                f"they are learnt under {ref}'s {rows.get(ref, 0)} rows, and each entity would hold about {held:.0f} rows "
                f"(at most {ENTITY_ROWS}{f'; with {below}, nesting under it' if below else ''}): nested"
            )
            break
        visiting.discard(table)
        chosen[table] = best
        return best

    out = {table: decide(table) for table in fks if table not in lookups}
    for table, col, ref in mutual:
        why[table, col] = _mutual_why(table, ref, fks[ref].get(chosen.get(ref) or ""))
    return out


def entity_rows(
    fks: Mapping[str, Mapping[str, str]],
    rows: Mapping[str, int],
    lookups: set[str] | frozenset[str],
    table: str,
    path: Sequence[str],
    entities: int,
) -> float:
    """The rows each of `entities` root entities would hold on average with `table` nested at the
    foot of `path` (its parent up to the root): the path's, `table`'s and those of the tables that
    would nest under `table` (`nested_below`; other branches of the tree are not counted)."""
    held = {*path, table, *nested_below(fks, rows, lookups, table)}
    return sum(rows.get(t, 0) for t in held) / max(entities, 1)


def nested_below(
    fks: Mapping[str, Mapping[str, str]], rows: Mapping[str, int], lookups: Iterable[str], table: str
) -> set[str]:
    """The tables whose first key to another synthesised table names `table`, and theirs, down the
    tree: those that nest under `table` when it is large enough (counted before their own keys are chosen)."""
    lookups = set(lookups)
    first = {
        t: next((r for r in cols.values() if r != t and r in rows and r not in lookups), None)
        for t, cols in fks.items()
    }
    seen, todo = set(), [table]
    while todo:
        parent = todo.pop()
        for child, ref in first.items():
            if ref == parent and child not in seen and child != table:
                seen.add(child)
                todo.append(child)
    return seen


def _carried_by_series(
    fks: Mapping[str, Mapping[str, str]],
    rows: Mapping[str, int],
    lookups: set[str] | frozenset[str],
    table: str,
    path: Sequence[str],
    entities: int,
) -> str | None:
    """Why `table` must not nest as a time series at the foot of `path`, or None: the tables that
    would nest under it (`nested_below`: a shipment's events) would fall with it in `entities` root
    entities of more than `ENTITY_ROWS` rows each, too long to nest in, where as a root it gives them
    one example a row (its 400 shipments, not their 4 carriers). A series of readings nothing
    nests under is long all the same and is learnt in windows."""
    below = nested_below(fks, rows, lookups, table)
    held = entity_rows(fks, rows, lookups, table, path, entities)
    if not below or held <= ENTITY_ROWS:
        return None
    return (
        f"{', '.join(sorted(below))} would nest under {table} in {entities} root entities of about {held:.0f} rows "
        f"(over {ENTITY_ROWS}), where as a root its {rows.get(table, 0)} rows are as many examples for them"
    )


def _long_series(table: str, col: str, rows: Mapping[str, int], parents: int, series: SeriesDate | None) -> str | None:
    """The date column by which `table` is a time series under its key `col` (to `parents` rows), or None."""
    if series is None or rows.get(table, 0) < SERIES_LENGTH * max(parents, 1):
        return None
    return series(table, col)


def series_date(frame: pd.DataFrame, key: str, dates: Sequence[str]) -> str | None:
    """The first of the date or datetime columns `dates` of `frame` that no value of its column
    `key` repeats (nulls aside), that is by which the rows are a time series under `key`; or None."""
    for date in dates:
        pairs = frame[[key, date]].dropna()
        if len(pairs) and not pairs.duplicated().any():
            return date
    return None


def _mutual_why(table: str, ref: str, under: str | None) -> str:
    """Why `table` does not nest under `ref`, which leads back to it with more rows and nests under
    `under` (None: a root): not always under `table` (Sakila's staff nest under their address)."""
    where = "is a root" if under is None else f"nests under {under}"
    return f"{ref} leads back to {table} by its keys and has more rows: only {ref} may nest under the other, and it {where}"


def reached(fks: Mapping[str, Mapping[str, str]], start: str) -> set[str]:
    """The tables `start` leads to through `fks` (table -> {key column: table it names}), itself included."""
    seen, todo = {start}, [start]
    while todo:
        for ref in fks.get(todo.pop(), {}).values():
            if ref not in seen:
                seen.add(ref)
                todo.append(ref)
    return seen


def key_kind(
    col: str, ref: str, nest: str | None, lookups: Iterable[str], given: str, passed_over: str = ""
) -> tuple[ForeignKey, str]:
    """The kind of the foreign key `col` (-> `ref`) and why (`given`: where the key came from),
    given the key its table nests under (`nesting_keys`) and why this key does not (`passed_over`)."""
    if ref in lookups:
        return ForeignKey(parent=ref), given
    if col == nest:
        return ForeignKey(parent=ref), f"{given}: {passed_over}" if passed_over else given
    because = f": {passed_over}" if passed_over else ""
    return ForeignKey(parent=ref, nest=False), (
        f"{given}: a reference, not nested{because} (a table nests under its first key whose tree's root is "
        "large enough to learn from, relational/nesting.py; a reference's keys are drawn among the synthetic rows)"
    )

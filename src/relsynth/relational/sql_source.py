"""A database larger than memory, read a set of whole entities at a time (SQLAlchemy).

`SQLSource` reflects the schema as `RelationalData.from_sql` does (relsynth.relational.sql) but
never reads a table whole:
- `partitions(n)` cuts each root table's primary keys into ranges of at most n root entities,
  streaming the keys once in order (memory: one key a partition); a root table without a primary
  key (a log) has no descendants, each of its rows an entity: its ranges are of row positions in
  the order `from_sql` reads it (by every column);
- `read(partition)` reads one range's root rows, all their descendants (a child's rows chosen
  by its foreign key through its ancestors' keys, inside the database) and the lookups, as a
  validated `RelationalData`;
- `sample(n, seed)` reads n root entities drawn at random, with their descendants: what a
  preprocessor is fitted on when the whole database does not fit.
A string column's kind (categorical or text) is decided on its first `infer_rows` rows (on its
first `infer_rows` values where those rows hold none), unless `overrides` names it. A partition is a small picklable value and a source made from a URL pickles
too, so an executor (processes, a Dask cluster) can read and encode partitions in parallel; a
DuckDB file is then opened by several processes at once, which DuckDB allows read-only:
`duckdb:///file.duckdb?access_mode=read_only`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.relational._coerce import as_strings
from relsynth.relational.columns import Column
from relsynth.relational.data import RelationalData, Whole
from relsynth.relational.errors import DataError
from relsynth.relational.schema import Edge, Schema
from relsynth.relational.sql import (
    CHUNK_SIZE,
    Catalog,
    Con,
    check_chunk_size,
    fetch_frames,
    open_engine,
    reflect,
    safe_url,
)

log = logging.getLogger(__name__)
_IN_BATCH = 1_000  # root keys a sampled read names in one IN (...) list: within every driver's limits


@dataclass(frozen=True)
class Partition:
    """Root entities of `root` whose keys are in [low, high): None leaves that side open. For a root
    without a primary key, its rows at positions [low, high) of its fixed order (by every column)."""

    root: str
    low: Any
    high: Any
    n_entities: int


class SQLSource:
    """A database read in partitions of whole root entities; see the module docstring.

    `con`: a URL (picklable: what parallel readers need) or an `sqlalchemy.Engine`; `tables`,
    `schema_name`, `lookups`, `overrides` and `exclude` as in `RelationalData.from_sql`; `chunk_size`: rows a
    fetch; `orphans` as in `RelationalData`: rows whose parent key is null or unknown belong to
    no root entity, so no partition nor sample reads them; with 'error' (the default) the source
    counts them when it is made (one query a child table) and says where, with 'drop' they are left out.
    """

    def __init__(
        self,
        con: Con,
        tables: Sequence[str] | None = None,
        *,
        schema_name: str | Sequence[str] | None = None,
        lookups: Iterable[str] | None = None,
        overrides: object = None,
        exclude: object = None,
        chunk_size: int = CHUNK_SIZE,
        infer_rows: int = 10_000,
        orphans: str = "error",
    ):
        check_chunk_size(chunk_size)
        if isinstance(infer_rows, bool) or not isinstance(infer_rows, int) or infer_rows < 1:
            raise ValueError(f"infer_rows must be a positive integer, got {infer_rows!r}")
        self.con, self.chunk_size, self.orphans = con, chunk_size, orphans
        with open_engine(con) as engine, engine.connect() as conn:
            self.catalog: Catalog = reflect(
                conn,
                tables,
                schema_name=schema_name,
                lookups=lookups,
                overrides=overrides,
                exclude=exclude,
                row_keys=False,  # rows are read by their parent's one-column key
            )
            self.where = safe_url(engine)
            lookup_names = set(self.catalog.plan.lookups)
            first = {
                n: self.catalog.read(conn, n, chunk_size, limit=None if n in lookup_names else infer_rows)
                for n in self.catalog.names
            }
            # string columns whose kind the values decide, from only the first rows of a longer table
            self.sampled_kinds = {
                (n, c)
                for n in self.catalog.names
                if len(first[n]) >= infer_rows and n not in lookup_names
                for c, k in self.catalog.plan.kinds[n].items()
                if k is None
            }
            later = self._later_values(conn, first, infer_rows)
        for n, c in later:
            self.catalog.plan.why[n][c] += f", null in the first {infer_rows} rows: read from its first values"
        self.infer_rows = infer_rows
        self.schema: Schema = self.catalog.schema(first, later)  # string kinds from the first rows; lookups whole
        self.lookups = {n: first[n] for n in self.schema.lookups}
        if orphans == "error":
            with open_engine(con) as engine, engine.connect() as conn:
                _check_orphans(conn, self.catalog, self.schema)
        log.info("SQLSource: %s, roots %s", self.where, self.schema.roots)

    def _later_values(
        self, conn: sa.Connection, first: dict[str, pd.DataFrame], infer_rows: int
    ) -> dict[tuple[str, str], pd.Series]:
        """(table, column) -> the first `infer_rows` values of each string column left to its values
        that is null throughout the first rows (free text a later version of the application began
        to fill): its kind is read from them, not guessed categorical from nothing. One query a
        column, stopping at `infer_rows` values; none where the column is null throughout."""
        out = {}
        for n, c in sorted(self.sampled_kinds):
            if first[n][c].isna().all():
                rows = self.catalog.read(
                    conn, n, self.chunk_size, where=self.catalog.tables[n].c[c].is_not(None), limit=infer_rows
                )
                if len(rows):
                    out[n, c] = rows[c]
                    log.info("SQLSource: %s.%s has values only after the first %s rows", n, c, infer_rows)
        return out

    def __repr__(self) -> str:
        return f"SQLSource({self.where}, tables={self.catalog.names}, roots={self.schema.roots})"

    # ---- root keys --------------------------------------------------------------------------
    def _root_keys(self, conn: sa.Connection, root: str) -> Iterator[np.ndarray]:
        """The primary keys of `root` in order, `chunk_size` at a time; a root without one (no
        descendant can name its rows) has its rows' positions in its fixed order instead."""
        table, pk = self.catalog.tables[root], self.catalog.primary_key(root)
        if pk is None:
            n = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for start in range(0, n, self.chunk_size):
                yield np.arange(start, min(start + self.chunk_size, n), dtype=object)
            return
        query = sa.select(table.c[pk]).order_by(table.c[pk])
        for frame in fetch_frames(conn, query, [pk], {pk: Column.PRIMARY_KEY}, self.chunk_size):
            if frame[pk].isna().any():
                raise DataError(
                    [
                        f"table {root!r}, primary key {pk!r}: null value(s); SQLSource reads root entities by "
                        "ranges of their key, so a row with a null key would be in no partition nor sample: "
                        "give those rows a key or remove them"
                    ]
                )
            yield frame[pk].to_numpy(dtype=object)

    def n_entities(self) -> dict[str, int]:
        """Rows of each root table: the entities there are to read."""
        with open_engine(self.con) as engine, engine.connect() as conn:
            return {
                r: conn.execute(sa.select(sa.func.count()).select_from(self.catalog.tables[r])).scalar_one()
                for r in self.schema.roots
            }

    def partitions(self, n_entities: int) -> list[Partition]:
        """Every root entity exactly once, in key order, at most `n_entities` a partition."""
        n_entities = _positive(n_entities)
        parts: list[Partition] = []
        with open_engine(self.con) as engine, engine.connect() as conn:
            for root in self.schema.roots:
                starts, seen = [], 0
                for keys in self._root_keys(conn, root):
                    first = (-seen) % n_entities  # position in `keys` of the next partition's first key
                    starts.extend(keys[first::n_entities].tolist())
                    seen += len(keys)
                for i, low in enumerate(starts):
                    high = starts[i + 1] if i + 1 < len(starts) else None
                    size = min(n_entities, seen - i * n_entities)
                    parts.append(Partition(root, None if i == 0 else low, high, size))
        return parts

    # ---- rows --------------------------------------------------------------------------------
    def _under(self, table: str, root_rows: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        """Rows of `table` whose root entity satisfies `root_rows` (a condition on the root table)."""
        edge = self.schema.parent(table)
        if edge is None:
            return root_rows
        parent = self.catalog.tables[edge.parent]
        parent_keys = sa.select(parent.c[self.catalog.primary_key(edge.parent)]).where(
            self._under(edge.parent, root_rows)
        )
        return self.catalog.tables[table].c[edge.fk].in_(parent_keys)

    def _entity_frames(
        self, conn: sa.Connection, root: str, root_rows: sa.ColumnElement[bool]
    ) -> dict[str, pd.DataFrame]:
        """Every synthesised table's rows under the root entities `root_rows` picks (other roots'
        tables empty)."""
        if self.catalog.primary_key(root) is None:  # no descendants: its rows by their positions
            return {
                t: self.catalog.read(
                    conn, t, self.chunk_size, **({"at_rows": root_rows} if t == root else {"where": sa.false()})
                )
                for t in self.schema.synth_tables
            }
        tree = set(self.schema.depth_first(root))
        return {
            t: self.catalog.read(conn, t, self.chunk_size, where=self._under(t, root_rows) if t in tree else sa.false())
            for t in self.schema.synth_tables
        }

    def _data(self, frames: dict[str, pd.DataFrame]) -> RelationalData:
        tables = {**frames, **{n: df.copy() for n, df in self.lookups.items()}}
        # a part of the database: a reference may name a row of another part (`_check_orphans` read them all)
        try:
            data = RelationalData(
                {t: tables[t] for t in self.schema.tables}, self.schema, orphans=self.orphans, partial=True
            )
        except DataError as e:
            raise DataError(e.problems + self._kind_hints(e.problems)) from None
        data._add_sql_types(self.catalog.plan.specs)
        return data

    def _kind_hints(self, problems: list[str]) -> list[str]:
        """Where a value failed a kind the source read from a table's first rows, which and the way out."""
        hints = []
        for t, c in sorted(self.sampled_kinds):
            if any(p.startswith(f"table {t!r}, column {c!r} ") for p in problems):
                kind = self.schema.tables[t].columns[c].kind.value
                hints.append(
                    f"{t}.{c} was read as {kind} from the first {self.infer_rows} rows of {t!r} (later rows may "
                    f"hold other values): give its kind, overrides={{{t!r}: {{{c!r}: 'categorical'}}}} (or 'text'), "
                    "or decide it on more rows (infer_rows=...)"
                )
        return hints

    def read(self, partition: Partition) -> RelationalData:
        """The partition's root entities with all their descendants, and the lookups."""
        low, high = partition.low, partition.high

        def between(key: sa.ColumnElement) -> sa.ColumnElement[bool]:
            bounds = [key >= low] if low is not None else []
            return sa.and_(sa.true(), *bounds, *([key < high] if high is not None else []))

        with open_engine(self.con) as engine, engine.connect() as conn:
            return self._data(self._entity_frames(conn, partition.root, self._root_rows(partition.root, between)))

    def _root_rows(self, root: str, condition: Callable[[sa.ColumnElement], sa.ColumnElement[bool]]) -> Any:
        """`condition` on `root`'s primary key, or, for a root without one, the function of its rows'
        positions that `_entity_frames` reads them by."""
        pk = self.catalog.primary_key(root)
        return condition if pk is None else condition(self.catalog.tables[root].c[pk])

    def chunks(self, n_entities: int) -> Iterator[RelationalData]:
        """`read` of every partition of `partitions(n_entities)`, in order."""
        for part in self.partitions(n_entities):
            yield self.read(part)

    def sample(self, n_entities: int, seed: int = 0) -> RelationalData:
        """`n_entities` root entities drawn at random without replacement (shared among the roots
        by their sizes), with all their descendants and the lookups; all of them when there are
        fewer. Its `whole` holds the lookup keys' counts over the whole database, so that a
        preprocessor fitted on the sample and encoding every partition keeps the keys the sample
        missed or holds rarely (a lookup key is a category where `min_count` rows of the whole data
        hold it, as in a fit on all of it), the tables' rows and the ends of identifier codes, so
        that fresh codes count on past the whole database's (never a real row's)."""
        n_entities = _positive(n_entities)
        rng = np.random.default_rng(seed)
        sizes = self.n_entities()
        shares = _shares(n_entities, sizes)
        reads: list[dict[str, pd.DataFrame]] = []
        with open_engine(self.con) as engine, engine.connect() as conn:
            for root, size in sizes.items():
                k = shares[root]
                chosen = np.sort(rng.choice(size, size=k, replace=False)) if k < size else np.arange(size)
                keys = _keys_at(self._root_keys(conn, root), chosen)
                for i in range(0, len(keys), _IN_BATCH):
                    batch = keys[i : i + _IN_BATCH]  # keys, or a keyless root's row positions
                    reads.append(self._entity_frames(conn, root, self._root_rows(root, _among(batch))))
            if not reads:  # no entity at all: the tables' empty frames
                first = self.schema.roots[0]
                reads.append(self._entity_frames(conn, first, self._root_rows(first, lambda _: sa.false())))
            rows = self._rows(conn)
            whole = Whole(
                self._value_counts(conn),
                rows,
                self._code_ends(conn),
                self._child_counts(conn, rows),
                self._nulls(conn),
            )
        data = self._data({t: _together([r[t] for r in reads]) for t in self.schema.synth_tables})
        data.whole = whole  # what a preprocessor fitted on the sample takes from the whole database
        return data

    def _entity_rows(self, table: str, query: sa.Select) -> sa.Select:
        """`query` over `table`'s rows of entities only where orphans are dropped (no part of the data)."""
        return query.where(self._under(table, sa.true())) if self.orphans == "drop" else query

    def _rows(self, conn: sa.Connection) -> dict[str, int]:
        """Each synthesised table's rows."""
        count = sa.select(sa.func.count())
        return {
            t: conn.execute(self._entity_rows(t, count.select_from(self.catalog.tables[t]))).scalar_one()
            for t in self.schema.synth_tables
        }

    def _child_counts(self, conn: sa.Connection, rows: dict[str, int]) -> dict[str, pd.Series]:
        """Nested table -> its parent rows per count of its rows (count -> parents; the parents without
        any from `rows`): the child counts a fit on the sample encodes, as on the whole database."""
        out = {}
        for t in self.schema.synth_tables:
            if (edge := self.schema.parent(t)) is None:
                continue
            fk = self.catalog.tables[t].c[edge.fk]
            per_parent = self._entity_rows(t, sa.select(sa.func.count().label("n")).select_from(fk.table).group_by(fk))
            per_parent = per_parent.subquery()
            found = conn.execute(sa.select(per_parent.c.n, sa.func.count()).group_by(per_parent.c.n)).all()
            counts = pd.Series({int(n): int(k) for n, k in found}, dtype="int64")
            if childless := rows[edge.parent] - int(counts.sum()):
                counts.loc[0] = childless
            out[t] = counts.sort_index()
        return out

    def _nulls(self, conn: sa.Connection) -> dict[str, dict[str, int]]:
        """table -> column -> its nulls (one query a table): a column whose few nulls the sample
        missed is still generated with some, as in a fit on the whole database."""
        out = {}
        for t in self.schema.synth_tables:
            table = self.catalog.tables[t]
            cols = [c for c in self.schema.tables[t].columns if c in table.c]
            query = sa.select(*(sa.func.count() - sa.func.count(table.c[c]) for c in cols)).select_from(table)
            out[t] = dict(zip(cols, map(int, conn.execute(self._entity_rows(t, query)).one()), strict=True))
        return out

    def _code_ends(self, conn: sa.Connection) -> dict[str, dict[str, list[str]]]:
        """table -> identifier column held as text -> its lowest and highest code of each length (of one
        shape, such codes sort as their numbers do: `Customer#000000750`, `SKU-300`)."""
        out: dict[str, dict[str, list[str]]] = {}
        for t in self.schema.synth_tables:
            table, types = self.catalog.tables[t], self.catalog.reflected[t].types
            for col in self.schema.tables[t].cols_of(Column.IDENTIFIER):
                if not isinstance(types[col], sa.String):  # a uuid: drawn at random, never counted
                    continue
                c = table.c[col]
                query = sa.select(sa.func.min(c), sa.func.max(c)).where(c.is_not(None)).group_by(sa.func.length(c))
                rows = conn.execute(self._entity_rows(t, query)).all()
                out.setdefault(t, {})[col] = sorted({str(v) for row in rows for v in row})
        return out

    def _value_counts(self, conn: sa.Connection) -> dict[str, dict[str, pd.Series]]:
        """table -> categorical column or lookup key -> its rows per value over every entity (nulls
        under a null index entry), counted inside the database: what a sample's fit takes its
        categories from (a fit checks that they are the values the sample holds, as read)."""
        out: dict[str, dict[str, pd.Series]] = {}
        for t in self.schema.synth_tables:
            table = self.catalog.tables[t]
            labels = self.schema.tables[t].cols_of(Column.CATEGORICAL)
            for col in [*labels, *self.schema.lookup_fks(t)]:
                query = sa.select(table.c[col], sa.func.count()).group_by(table.c[col])
                rows = conn.execute(self._entity_rows(t, query)).all()
                counts = pd.Series(
                    [n for _, n in rows], index=pd.Index([k for k, _ in rows], dtype=object), dtype="int64"
                )
                out.setdefault(t, {})[col] = _as_read(counts) if col in labels else counts
        return out


def _as_read(counts: pd.Series) -> pd.Series:
    """A label column's counts per value as the driver returns them, keyed by the values as a read
    holds them (RelationalData's categorical coercion): an array's list, a jsonb's dict or an inet's
    IPv4Address as its text (`["a"]`, `10.0.0.1`), as the sample holds it. A key left as the driver's
    object would match no value of the sample (the fit then ignores the counts), or fail as unhashable."""
    values = pd.Series(counts.index, dtype=object).infer_objects()
    if not pd.api.types.is_object_dtype(values.dtype):  # numbers, booleans: as read
        return counts
    held, _ = as_strings(values)
    return counts.groupby(pd.Index(held, dtype=object), dropna=False).sum()


def _together(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One table's reads as one frame, as `from_sql` would read their rows: the empty ones (another
    root's entities) left out, which pandas would otherwise weigh in the columns' dtypes."""
    rows = [f for f in frames if len(f)]
    if not rows:
        return frames[0]
    return pd.concat(rows, ignore_index=True) if len(rows) > 1 else rows[0]


def _positive(n_entities: object) -> int:
    """`n_entities` as an int (numpy integers too: a chunk size computed with numpy), else an error."""
    if isinstance(n_entities, bool) or not isinstance(n_entities, int | np.integer) or n_entities < 1:
        raise ValueError(f"n_entities must be a positive integer, got {n_entities!r}")
    return int(n_entities)


def _shares(n_entities: int, sizes: dict[str, int]) -> dict[str, int]:
    """`n_entities` shared among the roots by their `sizes` (largest remainders: the shares add up
    to `n_entities` exactly, or to every entity when there are fewer)."""
    total = sum(sizes.values())
    if n_entities >= total:
        return dict(sizes)
    exact = {r: n_entities * s / total for r, s in sizes.items()}
    shares = {r: int(e) for r, e in exact.items()}
    by_remainder = sorted(sizes, key=lambda r: shares[r] - exact[r])  # stable: ties in root order
    for r in by_remainder[: n_entities - sum(shares.values())]:
        shares[r] += 1
    return shares


def _check_orphans(conn: sa.Connection, catalog: Catalog, schema: Schema) -> None:
    """Rows whose parent key is null or names no parent row belong to no root entity, so no
    partition nor sample reads them: with orphans='error' they are reported here, as `from_sql`
    reports them, not left out silently (one count a child table, inside the database)."""
    problems = []
    for name in schema.synth_tables:
        edge = schema.parent(name)
        if edge is not None and (n := _unknown_keys(conn, catalog, edge, null_is_unknown=True)):
            pk = catalog.primary_key(edge.parent)
            problems.append(
                f"table {name!r}, foreign key {edge.fk!r} -> {edge.parent}.{pk}: {n} row(s) with a null or "
                f"unknown parent key, which no partition nor sample would read; drop those rows (orphans='drop')"
            )
        for e in schema.references(name):  # a null reference is a value; an unknown one is an error
            if n := _unknown_keys(conn, catalog, e, null_is_unknown=False):
                problems.append(
                    f"table {name!r}, reference {e.fk!r} -> {e.parent}.{catalog.primary_key(e.parent)}: {n} row(s) "
                    f"name no row of {e.parent!r}; fix or null them in the database"
                )
    if problems:
        raise DataError(problems)


def _unknown_keys(conn: sa.Connection, catalog: Catalog, e: Edge, null_is_unknown: bool) -> int:
    """Rows of `e.child` whose key `e.fk` names no row of `e.parent` (and, `null_is_unknown`, whose key
    is null), counted in the database."""
    # aliased: for a key to its own table, the same table in the subquery would be the outer row
    child, parent = catalog.tables[e.child], catalog.tables[e.parent].alias("referenced")
    fk, pk = child.c[e.fk], parent.c[catalog.primary_key(e.parent)]
    unknown = ~sa.exists().where(pk == fk)
    where = sa.or_(fk.is_(None), unknown) if null_is_unknown else sa.and_(fk.is_not(None), unknown)
    return conn.execute(sa.select(sa.func.count()).select_from(child).where(where)).scalar_one()


def _among(values: list) -> Callable[[sa.ColumnElement], sa.ColumnElement[bool]]:
    """A condition that a key (or a row position) is one of `values`."""
    return lambda key: key.in_(values)


def _keys_at(keys: Iterable[np.ndarray], positions: np.ndarray) -> list:
    """The keys at the sorted `positions` of the stream of key arrays `keys`."""
    out, seen, j = [], 0, 0
    for part in keys:
        end = seen + len(part)
        k = np.searchsorted(positions, end, side="left")
        out.extend(part[positions[j:k] - seen].tolist())
        j, seen = k, end
    return out

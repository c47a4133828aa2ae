"""Kedro datasets for relsynth's objects: how the catalog loads and saves them.

Thin adapters over the library's own methods (the library never imports Kedro):
`RelationalDataDataset` for databases in files (`RelationalData.from_dir`/`to_dir`),
`SQLDatabaseDataset` for databases in a database server or file (`RelationalData.from_sql`/`to_sql`,
through SQLAlchemy; written in one transaction), and `DirectoryDataset` for every object that
saves itself as a directory (`save(path)` and `load(path)`, or `from_disk(preproc, path)` for
encoded datasets). Directories are written atomically, through
the library's one mechanism (`relsynth.relational.files.atomic_dir`): a failed save leaves the
previous version (or nothing) behind, never half a directory. Neither replaces a non-empty
directory that its kind of save did not write.
"""

from __future__ import annotations

import csv
import inspect
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from kedro.io import AbstractDataset, DatasetError
from kedro.utils import load_obj

from relsynth.relational import RelationalData, Schema
from relsynth.relational.data import SCHEMA_FILE
from relsynth.relational.sql import safe_url

log = logging.getLogger(__name__)


def _refuse_foreign_dir(path: Path, marker: str) -> None:
    """A `DatasetError` when `path` is a non-empty directory without `marker` (the file every save
    of that kind writes): a catalog entry pointing at the wrong folder must not delete its files."""
    if path.exists() and not (path.is_dir() and ((path / marker).is_file() or not any(path.iterdir()))):
        raise DatasetError(
            f"refusing to overwrite {path}: it is not empty and has no {marker}, so it was not written "
            "by this dataset; point the catalog entry at a new or dedicated directory"
        )


# ---- relational data -------------------------------------------------------------------------


class RelationalDataDataset(AbstractDataset[RelationalData, RelationalData]):
    """A `RelationalData` in a local directory: one file per table plus its schema.

    Saving writes `<table>.parquet` for every table and `schema.yaml`. Loading reads
    `<table>.parquet` or `<table>.csv` for each table of the schema, which is `schema_path`
    when given (a YAML file such as `conf/base/schema_chinook.yml`, for raw CSV directories)
    and the directory's own `schema.yaml` otherwise. Files of tables that are not in the
    schema are ignored. Loading validates the data (see `RelationalData`); `orphans: drop` loads
    a database with messy keys by dropping rows without a parent (and nulling unknown lookup
    keys), with a warning that counts them, instead of stopping with an error.

    Example catalog entry::

        raw_database:
          type: relsynth.datasets.RelationalDataDataset
          path: data/01_raw/chinook
          schema_path: conf/base/schema_chinook.yml
          orphans: error            # or drop
    """

    def __init__(
        self,
        path: str,
        schema_path: str | None = None,
        orphans: str = "error",
        metadata: dict[str, Any] | None = None,
    ):
        if orphans not in ("error", "drop"):
            raise ValueError(f"orphans must be 'error' or 'drop', got {orphans!r}")
        self._path = Path(path)
        self._schema_path = Path(schema_path) if schema_path is not None else None
        self._orphans = orphans
        self.metadata = metadata

    def _schema_file(self) -> Path:
        return self._schema_path if self._schema_path is not None else self._path / SCHEMA_FILE

    def _load(self) -> RelationalData:
        _raise_problems(self.problems())
        schema = Schema.from_yaml(self._schema_path) if self._schema_path is not None else None
        return RelationalData.from_dir(self._path, schema=schema, orphans=self._orphans)

    def problems(self) -> list[str]:
        """What in this entry's settings points nowhere (`path`, `schema_path`), one line each;
        empty when the files are there (whether they are valid, loading says)."""
        if not self._path.is_dir():
            return [_nowhere("path", self._path, "directory")]
        if self._schema_path is not None:
            return [_nowhere("schema_path", self._schema_path)] if not self._schema_path.is_file() else []
        if not self._schema_file().is_file():
            return [f"path {self._path} has no {SCHEMA_FILE}: give schema_path, the schema YAML of its tables"]
        return []

    def _save(self, data: RelationalData) -> None:
        if not isinstance(data, RelationalData):
            raise DatasetError(f"{self._path}: expected a RelationalData to save, got {type(data).__name__}")
        _refuse_foreign_dir(self._path, SCHEMA_FILE)
        data.to_dir(self._path)  # atomic: the whole database or the previous one

    def _exists(self) -> bool:
        return self._path.is_dir() and self._schema_file().is_file()

    def summary(self) -> dict[str, Any]:
        """Where the database is and its rows per table, counted from the files without loading them
        (None for a table whose file is missing or unreadable: loading will say why)."""
        rows: dict[str, int | None] = {}
        try:
            tables = list(Schema.from_yaml(self._schema_file()).tables) if self._schema_file().is_file() else []
        except ValueError:
            tables = []
        for table in tables:
            rows[table] = _count_rows(self._path, table)
        return {"path": str(self._path.resolve()), "schema_path": str(self._schema_file().resolve()), "rows": rows}

    def _describe(self) -> dict[str, Any]:
        schema_path = None if self._schema_path is None else str(self._schema_path)
        return {"path": str(self._path), "schema_path": schema_path, "orphans": self._orphans}


def _sqlite_file(con: str) -> Path | None:
    """The file of an SQLite URL, or None for a server or an in-memory database."""
    url = sa.make_url(con)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database)
    return None


def _nowhere(setting: str, path: Path, what: str = "file") -> str:
    """One line: the setting, its value and that no such file or directory exists (and where that is)."""
    resolved = "" if path.is_absolute() else f" ({path.resolve()})"
    return f"{setting}: no {what} {path}{resolved}"


def _raise_problems(problems: list[str]) -> None:
    if problems:
        raise DatasetError("; ".join(problems))


def _count_rows(directory: Path, table: str) -> int | None:
    parquet, csv_file = directory / f"{table}.parquet", directory / f"{table}.csv"
    try:
        if parquet.is_file():
            import pyarrow.parquet as pq

            return int(pq.read_metadata(parquet).num_rows)
        if csv_file.is_file():
            with csv_file.open(newline="") as f:
                return max(sum(1 for _ in csv.reader(f)) - 1, 0)
    except Exception:  # noqa: BLE001 - a damaged file: loading it names the problem
        return None
    return None


# ---- relational data in a database (SQLAlchemy) ---------------------------------------------------


class SQLDatabaseDataset(AbstractDataset[RelationalData, RelationalData]):
    """A `RelationalData` in a database reached through SQLAlchemy: loading is
    `RelationalData.from_sql` (tables, keys and kinds reflected from the catalog), saving is
    `to_sql` (the tables with their keys, rows inserted in one transaction).

    `credentials` holds `con`, an SQLAlchemy URL. One with a password belongs in
    conf/local/credentials.yml (never committed), named here by its key; an embedded SQLite file
    holds no secret and may be given inline. `schema_path`: a schema YAML in the format of
    conf/base/schema_chinook.yml whose kinds and `lookups` win over reflection (it may name only
    some tables and columns). `load_args` go to `from_sql` (tables, schema_name, lookups,
    exclude, chunk_size, orphans), `save_args` to `to_sql` (schema_name, if_exists, chunk_size).
    `load_args.sample_entities: N` reads N root entities drawn at random, each with all its rows
    in every table (`SQLSource.sample`, seeded by `sample_seed`, default 0), instead of every
    table whole: a database larger than memory trains on a random part of it. `replace_file: true`
    (an SQLite file only) writes the whole file anew, beside the old one, then puts it in its place:
    `if_exists: replace` alone replaces the tables written and keeps the file's others (a run on
    another database's), right for a schema shared with other data, not for a run's own output file.

    Example catalog entries::

        raw_database:                       # conf/local/catalog.yml
          type: relsynth.datasets.SQLDatabaseDataset
          credentials: my_db                # conf/local/credentials.yml: my_db: {con: postgresql+psycopg://...}
          schema_path: conf/local/schema_overrides.yml
          load_args: {schema_name: public, tables: [customer, order, order_line, country], lookups: [country]}

        synthetic_database_sql:
          type: relsynth.datasets.SQLDatabaseDataset
          credentials: my_synthetic_db
          save_args: {schema_name: public, if_exists: replace}
    """

    def __init__(
        self,
        credentials: dict[str, Any] | None = None,
        schema_path: str | None = None,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        replace_file: bool = False,
    ):
        con = (credentials or {}).get("con")
        if not isinstance(con, str) or not con:
            raise DatasetError(
                "SQLDatabaseDataset needs credentials with 'con', an SQLAlchemy URL: e.g. "
                "postgresql+psycopg://user:password@host:5432/db under a key of conf/local/credentials.yml "
                "(credentials: <that key>), or inline for a file: credentials: {con: sqlite:///path/to/db.sqlite}"
            )
        self._con = con
        self._schema_path = Path(schema_path) if schema_path is not None else None
        load_args = dict(load_args or {})
        self._sample = (load_args.pop("sample_entities", None), load_args.pop("sample_seed", 0))
        if self._sample[0] is not None and (
            isinstance(self._sample[0], bool) or not isinstance(self._sample[0], int) or self._sample[0] < 1
        ):
            raise DatasetError(f"load_args.sample_entities must be a positive integer, got {self._sample[0]!r}")
        self._load_args = _known_args(load_args, RelationalData.from_sql, "load_args", skip={"con", "overrides"})
        self._save_args = _known_args(save_args, RelationalData.to_sql, "save_args", skip={"con"})
        self.metadata = metadata
        if replace_file and _sqlite_file(con) is None:
            raise DatasetError(f"replace_file: true needs an SQLite file to replace, not {safe_url(con)}")
        self._replace_file = replace_file

    def _load(self) -> RelationalData:
        _raise_problems(self.problems())
        n_entities, seed = self._sample
        if n_entities is None:
            return RelationalData.from_sql(self._con, overrides=self._schema_path, **self._load_args)
        from relsynth.relational import SQLSource

        source = SQLSource(self._con, overrides=self._schema_path, **self._load_args)
        data = source.sample(n_entities, seed=seed)
        data.whole = None  # the run trains on the sample: its fit is one on all the data it encodes
        got = sum(len(data[r]) for r in data.schema.roots)  # fewer than asked: the database holds no more
        # the run log's "raw database" line counts whole tables: this says what the run reads
        log.info(
            "raw database: sampled %d root entities%s (sample_seed %d) of %s: rows %s",
            got,
            "" if got == n_entities else f" (all there are; sample_entities asks {n_entities})",
            seed,
            safe_url(self._con),
            data.n_rows(),
        )
        return data

    def problems(self) -> list[str]:
        """What in this entry's settings points nowhere (`schema_path`, an SQLite file of
        `credentials.con`), one line each; a server is not contacted (loading says why it fails)."""
        problems = []
        url = sa.make_url(self._con)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            if not Path(url.database).is_file():
                problems.append(_nowhere("credentials con", Path(url.database), "SQLite file"))
        if url.get_backend_name() == "sqlite" and self._load_args.get("schema_name") not in (None, "main"):
            problems.append(
                f"load_args.schema_name: {self._load_args['schema_name']!r}, but an SQLite file has no schemas "
                "(its tables are in 'main'): leave it out"
            )
        if self._schema_path is not None and not self._schema_path.is_file():
            problems.append(_nowhere("schema_path", self._schema_path))
        return problems

    def _save(self, data: RelationalData) -> None:
        if not isinstance(data, RelationalData):
            raise DatasetError(f"{safe_url(self._con)}: expected a RelationalData to save, got {type(data).__name__}")
        file = _sqlite_file(self._con)
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)  # SQLite makes the file, not its folder
        if not self._replace_file:
            data.to_sql(self._con, **self._save_args)
            return
        partial = file.with_name(f".{file.name}.partial")  # beside it: os.replace stays on one file system
        partial.unlink(missing_ok=True)
        try:
            data.to_sql(sa.make_url(self._con).set(database=str(partial)).render_as_string(False), **self._save_args)
            os.replace(partial, file)
        finally:
            partial.unlink(missing_ok=True)

    def _tables(self) -> list[str] | None:
        """The tables this entry reads (all of its schema when `tables` is not given), or None when
        the database cannot be reached; an SQLite file that does not exist is not created."""
        url = sa.make_url(self._con)
        if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
            return None
        present = self._located()
        if present is None:
            return None
        wanted = self._load_args.get("tables")
        return [t for t in wanted if t in present] if wanted else list(present)

    def _located(self) -> dict[str, tuple[str | None, str]] | None:
        """The tables of this entry's schemas, by the name from_sql gives them -> (schema, table), or
        None when the database cannot be reached."""
        from relsynth.relational.sql import located_tables

        schema_name = self._load_args.get("schema_name", self._save_args.get("schema_name"))
        if isinstance(schema_name, Mapping):  # to_sql's map of schemas: the tables written, in their schemas
            schema_name = sorted(set(schema_name.values())) or None
        engine = sa.create_engine(self._con)
        try:
            with engine.connect() as conn:
                return located_tables(conn, schema_name, partitions=bool(self._load_args.get("tables")))
        except sa.exc.SQLAlchemyError:
            return None
        finally:
            engine.dispose()

    def _exists(self) -> bool:
        tables, wanted = self._tables(), self._load_args.get("tables")
        return bool(tables) and (not wanted or len(tables) == len(wanted))

    def summary(self) -> dict[str, Any]:
        """Where the database is (password hidden) and the rows of each table it reads, counted by
        the database (empty when it cannot be reached: loading will say why); with sample_entities,
        `sample` says that a sample of them is read (its rows are logged when it is read)."""
        rows: dict[str, int | None] = {}
        tables = self._tables() or []
        if tables and (located := self._located()):
            engine = sa.create_engine(self._con)
            try:
                with engine.connect() as conn:
                    for t in tables:
                        schema, name = located[t]
                        count = sa.select(sa.func.count()).select_from(sa.table(name, schema=schema))
                        rows[t] = conn.execute(count).scalar()
            except sa.exc.SQLAlchemyError:
                rows = {}
            finally:
                engine.dispose()
        schema_path = None if self._schema_path is None else str(self._schema_path.resolve())
        n_entities, seed = self._sample
        sample = None if n_entities is None else {"entities": n_entities, "seed": seed}
        return {"path": safe_url(self._con), "schema_path": schema_path, "rows": rows, "sample": sample}

    def _describe(self) -> dict[str, Any]:
        schema_path = None if self._schema_path is None else str(self._schema_path)
        return {
            "con": safe_url(self._con),
            "schema_path": schema_path,
            "load_args": self._load_args,
            "save_args": self._save_args,
            "replace_file": self._replace_file,
        }


def _known_args(args: dict[str, Any] | None, method: Any, what: str, skip: set[str]) -> dict[str, Any]:
    """`args` when every key is an argument of `method`, else a `DatasetError` naming the known ones."""
    args = dict(args or {})
    known = [p for p in inspect.signature(method).parameters if p not in {"self", "cls", *skip}]
    unknown = sorted(set(args) - set(known))
    if unknown:
        raise DatasetError(f"{what} has unknown key(s) {unknown}; {method.__qualname__} takes {known}")
    return args


# ---- objects that save themselves as a directory ----------------------------------------------


class DirectoryDataset(AbstractDataset[Any, Any]):
    """A relsynth object that saves itself as a directory: a preprocessor, a model, an encoded dataset.

    `object_type` is the object's class (an import path): saving calls `obj.save(path)`, which
    writes the whole directory atomically; loading calls `<object_type>.load(path)`. Encoded
    datasets (`TabularDataset`, `TextDataset`) are reopened against their preprocessor instead:
    `<object_type>.from_disk(<preproc_type>.load(preproc_path), path, **load_args)`, and one
    encoded by another preprocessor is refused there, so a refitted preprocessor cannot be paired
    with stale tokens. `exists` looks for `<object_type>.config_file`, the file every save writes;
    a non-empty directory without it is never overwritten.

    Example catalog entries::

        tabular_model:
          type: relsynth.datasets.DirectoryDataset
          path: data/06_models/tabular_model
          object_type: relsynth.synth.TabularModel

        tabular_dataset_train:
          type: relsynth.datasets.DirectoryDataset
          path: data/05_model_input/tabular_dataset_train
          object_type: relsynth.synth.TabularDataset
          preproc_path: data/04_feature/tabular_preproc
          preproc_type: relsynth.synth.TabularPreproc
    """

    def __init__(
        self,
        path: str,
        object_type: str | type,
        preproc_path: str | None = None,
        preproc_type: str | type | None = None,
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self._path = Path(path)
        self._type = _saveable_class(object_type, "object_type")
        encoded = hasattr(self._type, "from_disk")
        if encoded and (preproc_path is None or preproc_type is None):
            raise DatasetError(
                f"{self._path}: a {self._type.__name__} is reopened against its preprocessor: "
                "give preproc_path and preproc_type (e.g. relsynth.synth.TabularPreproc)"
            )
        if not encoded and (preproc_path is not None or preproc_type is not None):
            raise DatasetError(
                f"{self._path}: preproc_path and preproc_type are for encoded datasets; "
                f"a {self._type.__name__} loads on its own"
            )
        self._preproc_path = Path(preproc_path) if preproc_path is not None else None
        self._preproc_type = _saveable_class(preproc_type, "preproc_type") if preproc_type is not None else None
        self._load_args = dict(load_args or {})
        self.metadata = metadata

    def _load(self) -> Any:
        if self._preproc_type is None:
            return self._type.load(self._path, **self._load_args)
        preproc = self._preproc_type.load(self._preproc_path)
        return self._type.from_disk(preproc, self._path, **self._load_args)

    def _save(self, obj: Any) -> None:
        if not isinstance(obj, self._type):
            raise DatasetError(f"{self._path}: expected a {self._type.__name__} to save, got {type(obj).__name__}")
        _refuse_foreign_dir(self._path, self._type.config_file)
        obj.save(self._path)

    def _exists(self) -> bool:
        return (self._path / self._type.config_file).is_file()

    def _describe(self) -> dict[str, Any]:
        return {
            "path": str(self._path),
            "object_type": _import_path(self._type),
            "preproc_path": None if self._preproc_path is None else str(self._preproc_path),
            "preproc_type": None if self._preproc_type is None else _import_path(self._preproc_type),
            "load_args": self._load_args,
        }


def _saveable_class(spec: str | type, argument: str) -> type:
    """The class named by `spec`; it must save itself as a directory (`save`, `config_file`)."""
    cls = load_obj(spec) if isinstance(spec, str) else spec
    if not isinstance(cls, type) or not hasattr(cls, "save") or not isinstance(getattr(cls, "config_file", None), str):
        raise DatasetError(
            f"{argument}={spec!r} is not a class that saves itself as a directory (a save method and a "
            "config_file), such as relsynth.synth.TabularModel"
        )
    if not (hasattr(cls, "load") or hasattr(cls, "from_disk")):
        raise DatasetError(f"{argument}={spec!r} has neither load nor from_disk: it cannot be read back")
    return cls


def _import_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"

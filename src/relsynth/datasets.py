"""Kedro datasets for relsynth's objects: how the catalog loads and saves them.

One class per kind of object, each a thin adapter over the object's own `from_dir`/`to_dir`
or `load`/`save`; the library itself never imports Kedro. Directories are written atomically:
a save goes to a temporary directory beside the target and is renamed into place at the end,
so a failed save leaves the previous version (or nothing) behind, never half a directory.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from relsynth.relational import RelationalData, Schema
from relsynth.relational.data import SCHEMA_FILE

# ---- helpers shared by the directory datasets ------------------------------------------------


def write_dir_atomically(path: Path, write: Callable[[Path], None], marker: str) -> None:
    """Call `write(tmp)` on a fresh directory beside `path`, then move it to `path`.

    An existing `path` is replaced only when it holds `marker` (a file every save writes) or is
    empty, so a catalog entry pointing at the wrong folder cannot delete unrelated files.
    """
    if path.exists() and not _is_replaceable(path, marker):
        raise DatasetError(
            f"refusing to overwrite {path}: it is not empty and has no {marker}, so it was not written "
            "by this dataset; point the catalog entry at a new or dedicated directory"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    old = None
    try:
        write(tmp)
        if path.exists():
            old = path.with_name(f"{tmp.name}.old")
            path.rename(old)
        tmp.rename(path)
    except BaseException:
        if old is not None and not path.exists():
            old.rename(path)  # put the previous version back
            old = None
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _is_replaceable(path: Path, marker: str) -> bool:
    return path.is_dir() and ((path / marker).is_file() or not any(path.iterdir()))


# ---- relational data -------------------------------------------------------------------------


class RelationalDataDataset(AbstractDataset[RelationalData, RelationalData]):
    """A `RelationalData` in a local directory: one file per table plus its schema.

    Saving writes `<table>.parquet` for every table and `schema.yaml`. Loading reads
    `<table>.parquet` or `<table>.csv` for each table of the schema, which is `schema_path`
    when given (a YAML file such as `conf/base/schema_chinook.yml`, for raw CSV directories)
    and the directory's own `schema.yaml` otherwise. Files of tables that are not in the
    schema are ignored. Loading validates the data (see `RelationalData`).

    Example catalog entry::

        raw_database:
          type: relsynth.datasets.RelationalDataDataset
          path: data/01_raw/chinook
          schema_path: conf/base/schema_chinook.yml
    """

    def __init__(self, path: str, schema_path: str | None = None, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self._schema_path = Path(schema_path) if schema_path is not None else None
        self.metadata = metadata

    def _schema_file(self) -> Path:
        return self._schema_path if self._schema_path is not None else self._path / SCHEMA_FILE

    def _load(self) -> RelationalData:
        schema = Schema.from_yaml(self._schema_path) if self._schema_path is not None else None
        return RelationalData.from_dir(self._path, schema=schema)

    def _save(self, data: RelationalData) -> None:
        if not isinstance(data, RelationalData):
            raise DatasetError(f"{self._path}: expected a RelationalData to save, got {type(data).__name__}")
        write_dir_atomically(self._path, data.to_dir, marker=SCHEMA_FILE)

    def _exists(self) -> bool:
        return self._path.is_dir() and self._schema_file().is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "schema_path": None if self._schema_path is None else str(self._schema_path)}

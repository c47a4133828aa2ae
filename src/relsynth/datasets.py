"""Kedro datasets for relsynth's objects: how the catalog loads and saves them.

One class per kind of object, each a thin adapter over the object's own `from_dir`/`to_dir`
or `load`/`save`; the library itself never imports Kedro. Directories are written atomically:
a save goes to a temporary directory beside the target and is renamed into place at the end,
so a failed save leaves the previous version (or nothing) behind, never half a directory.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from relsynth.relational import RelationalData, Schema
from relsynth.relational.data import SCHEMA_FILE
from relsynth.synth import TabularDataset, TabularModel, TabularPreproc
from relsynth.synth.core.files import atomic_dir
from relsynth.synth.text import TextModel

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
    with atomic_dir(path) as tmp:
        write(tmp)


def _is_replaceable(path: Path, marker: str) -> bool:
    return path.is_dir() and ((path / marker).is_file() or not any(path.iterdir()))


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
        schema = Schema.from_yaml(self._schema_path) if self._schema_path is not None else None
        return RelationalData.from_dir(self._path, schema=schema, orphans=self._orphans)

    def _save(self, data: RelationalData) -> None:
        if not isinstance(data, RelationalData):
            raise DatasetError(f"{self._path}: expected a RelationalData to save, got {type(data).__name__}")
        write_dir_atomically(self._path, data.to_dir, marker=SCHEMA_FILE)

    def _exists(self) -> bool:
        return self._path.is_dir() and self._schema_file().is_file()

    def _describe(self) -> dict[str, Any]:
        schema_path = None if self._schema_path is None else str(self._schema_path)
        return {"path": str(self._path), "schema_path": schema_path, "orphans": self._orphans}


# ---- tabular synthesis: preprocessor, encoded datasets, model -------------------------------


class TabularPreprocDataset(AbstractDataset[TabularPreproc, TabularPreproc]):
    """A fitted `TabularPreproc` in a local directory (`preproc.json`), saved with `save`.

    Example catalog entry::

        tabular_preproc:
          type: relsynth.datasets.TabularPreprocDataset
          path: data/04_feature/tabular_preproc
    """

    def __init__(self, path: str, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self.metadata = metadata

    def _load(self) -> TabularPreproc:
        return TabularPreproc.load(self._path)

    def _save(self, preproc: TabularPreproc) -> None:
        _check_type(self._path, preproc, TabularPreproc)
        write_dir_atomically(self._path, preproc.save, marker=TabularPreproc.config_file)

    def _exists(self) -> bool:
        return (self._path / TabularPreproc.config_file).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}


class TabularDatasetDataset(AbstractDataset[TabularDataset, TabularDataset]):
    """An encoded `TabularDataset` in a local directory: memory-mapped token arrays plus an index.

    Loading reopens it with `TabularDataset.from_disk` against the preprocessor saved at
    `preproc_path` (the `tabular_preproc` entry's path); a dataset encoded by another
    preprocessor is refused there, so a refitted preprocessor cannot be paired with stale tokens.

    Saving takes a `TabularDataset` built with `on_disk=True`, whose files the library wrote
    chunk by chunk to its temporary directory, and copies them into place atomically. The node
    thus returns the library's own object and never sees a path: the same pipeline runs with this
    entry replaced by a `MemoryDataset` (as the tests do), and memory stays bounded by the
    library's `chunk_size` whatever the catalog says. The alternative (the node returning a
    lazy spec that `_save` encodes) saves one copy but makes the node's output unusable by any
    other dataset type. A dataset encoded in RAM (`on_disk=False`) has no files to copy and is
    refused: keep it in RAM by cataloguing it as a `kedro.io.MemoryDataset` instead.

    Example catalog entry::

        tabular_dataset_train:
          type: relsynth.datasets.TabularDatasetDataset
          path: data/05_model_input/tabular_dataset_train
          preproc_path: data/04_feature/tabular_preproc
    """

    def __init__(self, path: str, preproc_path: str, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self._preproc_path = Path(preproc_path)
        self.metadata = metadata

    def _load(self) -> TabularDataset:
        return TabularDataset.from_disk(TabularPreproc.load(self._preproc_path), self._path)

    def _save(self, dataset: TabularDataset) -> None:
        _check_type(self._path, dataset, TabularDataset)
        source = dataset.path
        if source is None:
            raise DatasetError(
                f"{self._path}: this TabularDataset was encoded in RAM (on_disk=False) and has no files to save; "
                "encode it with on_disk=True, or catalog it as a kedro.io.MemoryDataset to keep it in RAM"
            )
        write_dir_atomically(self._path, lambda tmp: _copy_files(Path(source), tmp), marker=TabularDataset.config_file)

    def _exists(self) -> bool:
        return (self._path / TabularDataset.config_file).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "preproc_path": str(self._preproc_path)}


class TabularModelDataset(AbstractDataset[TabularModel, TabularModel]):
    """A trained `TabularModel` in a local directory: `model.json`, safetensors weights and its
    preprocessor (`preproc/`), so a saved model generates on its own.

    Example catalog entry::

        tabular_model:
          type: relsynth.datasets.TabularModelDataset
          path: data/06_models/tabular_model
    """

    def __init__(self, path: str, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self.metadata = metadata

    def _load(self) -> TabularModel:
        return TabularModel.load(self._path)

    def _save(self, model: TabularModel) -> None:
        _check_type(self._path, model, TabularModel)
        write_dir_atomically(self._path, model.save, marker=TabularModel.config_file)

    def _exists(self) -> bool:
        return (self._path / TabularModel.config_file).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}


class TextModelsDataset(AbstractDataset[dict, dict]):
    """Trained `TextModel`s by table in a local directory: one subdirectory per table (each
    `TextModel.save`'s config, weights and preprocessor) plus `text_models.json` listing them.

    Example catalog entry::

        text_models:
          type: relsynth.datasets.TextModelsDataset
          path: data/06_models/text_models
    """

    MARKER = "text_models.json"

    def __init__(self, path: str, metadata: dict[str, Any] | None = None):
        self._path = Path(path)
        self.metadata = metadata

    def _load(self) -> dict[str, TextModel]:
        tables = json.loads((self._path / self.MARKER).read_text())["tables"]
        return {table: TextModel.load(self._path / table) for table in tables}

    def _save(self, models: dict[str, TextModel]) -> None:
        if not isinstance(models, dict) or not all(isinstance(m, TextModel) for m in models.values()):
            raise DatasetError(
                f"{self._path}: expected a dict {{table: TextModel}} to save, got {type(models).__name__}"
            )

        def write(tmp: Path) -> None:
            for table, model in models.items():
                model.save(tmp / table)
            (tmp / self.MARKER).write_text(json.dumps({"tables": list(models)}, indent=1))

        write_dir_atomically(self._path, write, marker=self.MARKER)

    def _exists(self) -> bool:
        return (self._path / self.MARKER).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}


def _check_type(path: Path, obj: object, expected: type) -> None:
    if not isinstance(obj, expected):
        raise DatasetError(f"{path}: expected a {expected.__name__} to save, got {type(obj).__name__}")


def _copy_files(source: Path, target: Path) -> None:
    """Copy the files of the flat directory `source` into the existing directory `target`."""
    for file in source.iterdir():
        shutil.copy2(file, target / file.name)

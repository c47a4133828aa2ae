"""Kedro datasets: RelationalDataDataset (round trip, existence, CSV + schema loading, atomic saves)
and DirectoryDataset for every object that saves itself as a directory (round trips of the
tabular and text preprocessors, encoded datasets and models; refusals)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from relsynth.datasets import DirectoryDataset, RelationalDataDataset
from relsynth.relational import DataError, RelationalData, Schema
from relsynth.synth import (
    ModelSize,
    TabularDataset,
    TabularModel,
    TabularPreproc,
    TextDataset,
    TextModel,
    TextPreproc,
)


def assert_same_data(a: RelationalData, b: RelationalData) -> None:
    assert a.schema == b.schema
    assert list(a) == list(b)
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table])


def test_save_load_round_trip(tmp_path: Path, tiny_database: RelationalData) -> None:
    ds = RelationalDataDataset(path=str(tmp_path / "db"))
    assert not ds.exists()
    ds.save(tiny_database)
    assert ds.exists()
    assert sorted(p.name for p in (tmp_path / "db").iterdir()) == [
        "album.parquet",
        "artist.parquet",
        "genre.parquet",
        "schema.yaml",
        "track.parquet",
    ]
    assert_same_data(ds.load(), tiny_database)


def test_save_replaces_a_previous_save(tmp_path: Path, tiny_database: RelationalData) -> None:
    ds = RelationalDataDataset(path=str(tmp_path / "db"))
    ds.save(tiny_database)
    smaller, _ = tiny_database.split(ratio=0.5, seed=0)
    ds.save(smaller)
    assert_same_data(ds.load(), smaller)
    assert [p.name for p in tmp_path.iterdir()] == ["db"]  # no temporary directory left behind


def test_load_csv_directory_with_schema_path(tmp_path: Path, tiny_database: RelationalData) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for table, df in tiny_database.items():
        df.to_csv(raw / f"{table}.csv", index=False)
    pd.DataFrame({"x": [1]}).to_csv(raw / "not_in_schema.csv", index=False)  # ignored
    schema_path = tmp_path / "schema.yml"
    tiny_database.schema.to_yaml(schema_path)

    ds = RelationalDataDataset(path=str(raw), schema_path=str(schema_path))
    assert ds.exists()
    assert_same_data(ds.load(), tiny_database)
    assert not RelationalDataDataset(path=str(raw)).exists()  # no schema.yaml of its own


def test_save_keeps_the_decimals_a_csv_wrote(tmp_path: Path) -> None:
    # a saved database's '5.00' came back as 5.0 once read from a CSV
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "t.csv").write_text("id,price\n1,5.00\n2,242.30\n3,\n4,0.10\n")
    schema_path = tmp_path / "schema.yml"
    Schema.from_dict({"tables": {"t": {"columns": {"id": "primary_key", "price": "numeric"}}}}).to_yaml(schema_path)
    saved = RelationalDataDataset(path=str(tmp_path / "db"))
    saved.save(RelationalDataDataset(path=str(raw), schema_path=str(schema_path)).load())
    assert pd.read_parquet(tmp_path / "db" / "t.parquet")["price"].dtype == "float64"  # a number
    assert saved.load().to_source("t")["price"].tolist() == ["5.00", "242.30", None, "0.10"]


def test_load_of_a_missing_directory_says_where(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no directory"):
        RelationalDataDataset(path=str(tmp_path / "missing")).load()


def fail_midway(self: Schema, path=None) -> str:
    """Stands in for `Schema.to_yaml`: the tables are written, then the schema fails."""
    raise OSError("disk full")


def test_failed_save_leaves_nothing(tmp_path: Path, tiny_database: RelationalData, monkeypatch) -> None:
    monkeypatch.setattr(Schema, "to_yaml", fail_midway)
    ds = RelationalDataDataset(path=str(tmp_path / "db"))
    with pytest.raises(DatasetError, match="disk full"):
        ds.save(tiny_database)
    assert list(tmp_path.iterdir()) == []
    assert not ds.exists()


def test_failed_save_keeps_the_previous_version(tmp_path: Path, tiny_database: RelationalData, monkeypatch) -> None:
    ds = RelationalDataDataset(path=str(tmp_path / "db"))
    ds.save(tiny_database)
    monkeypatch.setattr(Schema, "to_yaml", fail_midway)
    smaller, _ = tiny_database.split(ratio=0.5, seed=0)
    with pytest.raises(DatasetError, match="disk full"):
        ds.save(smaller)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["db"]
    assert_same_data(ds.load(), tiny_database)


def test_refuses_to_overwrite_a_foreign_directory(tmp_path: Path, tiny_database: RelationalData) -> None:
    target = tmp_path / "db"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="refusing to overwrite"):
        RelationalDataDataset(path=str(target)).save(tiny_database)
    assert (target / "notes.txt").read_text() == "keep me"


def test_save_rejects_other_objects(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="expected a RelationalData"):
        RelationalDataDataset(path=str(tmp_path / "db")).save({"artist": pd.DataFrame()})


def test_describe_and_catalog_config(tmp_path: Path) -> None:
    from kedro.io import DataCatalog

    catalog = DataCatalog.from_config(
        {
            "raw": {
                "type": "relsynth.datasets.RelationalDataDataset",
                "path": str(tmp_path / "raw"),
                "schema_path": str(tmp_path / "schema.yml"),
                "metadata": {"kedro-viz": {"layer": "raw"}},
            }
        }
    )
    ds = catalog.get("raw")
    assert isinstance(ds, RelationalDataDataset)
    assert ds.metadata == {"kedro-viz": {"layer": "raw"}}
    assert ds._describe() == {
        "path": str(tmp_path / "raw"),
        "schema_path": str(tmp_path / "schema.yml"),
        "orphans": "error",
    }


def test_orphans_drop_loads_a_database_with_messy_keys(tmp_path: Path, tiny_database) -> None:
    RelationalDataDataset(str(tmp_path / "db")).save(tiny_database)
    album = pd.read_parquet(tmp_path / "db" / "album.parquet")
    album.loc[0, "artist"] = 10_000  # an artist that does not exist
    album.to_parquet(tmp_path / "db" / "album.parquet", index=False)
    with pytest.raises((DataError, DatasetError), match="orphan"):  # kedro wraps load errors
        RelationalDataDataset(str(tmp_path / "db")).load()
    with pytest.warns(UserWarning, match="orphans dropped"):
        data = RelationalDataDataset(str(tmp_path / "db"), orphans="drop").load()
    assert len(data["album"]) == len(tiny_database["album"]) - 1
    with pytest.raises(ValueError, match="orphans must be"):
        RelationalDataDataset(str(tmp_path / "db"), orphans="skip")


# ---- DirectoryDataset: preprocessors, encoded datasets, models -----------------------------------


@pytest.fixture
def one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def preproc(tiny_database: RelationalData) -> TabularPreproc:
    return TabularPreproc.from_schema(tiny_database.schema, n_bins=4, min_count=2).fit(tiny_database)


@pytest.fixture
def text_preproc(tiny_database: RelationalData) -> TextPreproc:
    return TextPreproc.from_schema_table(tiny_database.schema, "album", vocab_size=300).fit(tiny_database)


def directory(path: Path, object_type: str, **kwargs) -> DirectoryDataset:
    return DirectoryDataset(path=str(path), object_type=f"relsynth.synth.{object_type}", **kwargs)


def torch_equal(a, b) -> bool:
    return bool((a == b).all())


def assert_saves_and_loads(ds: DirectoryDataset, obj: object) -> object:
    """Save into a new directory, load back, save again over the first save; nothing else left."""
    assert not ds.exists()
    ds.save(obj)
    assert ds.exists()
    loaded = ds.load()
    assert type(loaded) is type(obj)
    ds.save(loaded)  # replaces its own previous save
    assert not [p.name for p in Path(ds._describe()["path"]).parent.iterdir() if p.name.startswith(".")]  # no temp
    return loaded


def test_tabular_preproc_round_trip(tmp_path: Path, preproc: TabularPreproc) -> None:
    loaded = assert_saves_and_loads(directory(tmp_path / "preproc", "TabularPreproc"), preproc)
    assert loaded.fingerprint() == preproc.fingerprint()
    assert loaded.to_dict() == preproc.to_dict()


@pytest.mark.parametrize("on_disk", [True, False])
def test_tabular_dataset_round_trip(
    tmp_path: Path, tiny_database: RelationalData, preproc: TabularPreproc, on_disk: bool
) -> None:
    directory(tmp_path / "preproc", "TabularPreproc").save(preproc)
    encoded = TabularDataset.from_data(tiny_database, preproc, on_disk=on_disk, chunk_size=3, block_size=12)
    ds = directory(
        tmp_path / "train",
        "TabularDataset",
        preproc_path=str(tmp_path / "preproc"),
        preproc_type="relsynth.synth.TabularPreproc",
    )
    loaded = assert_saves_and_loads(ds, encoded)
    assert loaded.path == tmp_path / "train"  # memory-mapped from the catalog's directory
    assert (len(loaded), loaded.n_entities, loaded.block_size) == (len(encoded), encoded.n_entities, 12)
    for name, array in encoded.arrays.items():
        np.testing.assert_array_equal(np.asarray(loaded.arrays[name]), np.asarray(array))
    batch, again = encoded.collate(np.arange(len(encoded))), loaded.collate(np.arange(len(loaded)))
    assert all(torch_equal(batch[k], again[k]) for k in batch)


def test_encoded_dataset_of_another_preproc_is_refused_at_load(
    tmp_path: Path, tiny_database: RelationalData, preproc: TabularPreproc
) -> None:
    preproc_ds = directory(tmp_path / "preproc", "TabularPreproc")
    ds = directory(
        tmp_path / "train", "TabularDataset", preproc_path=str(tmp_path / "preproc"), preproc_type=TabularPreproc
    )
    preproc_ds.save(preproc)
    ds.save(TabularDataset.from_data(tiny_database, preproc))
    preproc_ds.save(TabularPreproc.from_schema(tiny_database.schema, n_bins=8, min_count=2).fit(tiny_database))
    with pytest.raises(DatasetError, match="encoded with another preprocessor"):
        ds.load()


def test_tabular_model_round_trip(
    tmp_path: Path, tiny_database: RelationalData, preproc: TabularPreproc, one_thread
) -> None:
    model = TabularModel.build(preproc, size=ModelSize(n_layers=1, h=2, d=16), block_size=32)
    loaded = assert_saves_and_loads(directory(tmp_path / "model", "TabularModel"), model)
    assert loaded.config == model.config
    assert loaded.preproc.fingerprint() == preproc.fingerprint()
    state, again = model.state_dict(), loaded.state_dict()
    assert state.keys() == again.keys() and all(torch_equal(state[k], again[k]) for k in state)
    first, second = (m.generate(n_samples=5, seed=1) for m in (model, loaded))
    assert_same_data(first, second)


def test_text_preproc_round_trip(tmp_path: Path, text_preproc: TextPreproc) -> None:
    loaded = assert_saves_and_loads(directory(tmp_path / "text_preproc", "TextPreproc"), text_preproc)
    assert loaded.fingerprint() == text_preproc.fingerprint()
    assert loaded.encode(["album 1 of 2"]) == text_preproc.encode(["album 1 of 2"])


def test_text_dataset_round_trip(tmp_path: Path, tiny_database: RelationalData, text_preproc: TextPreproc) -> None:
    directory(tmp_path / "text_preproc", "TextPreproc").save(text_preproc)
    encoded = TextDataset.from_data(tiny_database, text_preproc, block_size=16)
    ds = directory(
        tmp_path / "texts",
        "TextDataset",
        preproc_path=str(tmp_path / "text_preproc"),
        preproc_type="relsynth.synth.TextPreproc",
        load_args={"block_size": 16},
    )
    loaded = assert_saves_and_loads(ds, encoded)
    assert (loaded.n_samples, loaded.block_size, len(loaded)) == (encoded.n_samples, 16, len(encoded))
    np.testing.assert_array_equal(np.asarray(loaded.tokens), np.asarray(encoded.tokens))


def test_text_model_round_trip(tmp_path: Path, text_preproc: TextPreproc, one_thread) -> None:
    model = TextModel.build(text_preproc, size=ModelSize(n_layers=1, h=2, d=16), block_size=32)
    loaded = assert_saves_and_loads(directory(tmp_path / "text_model", "TextModel"), model)
    assert loaded.config == model.config and loaded.preproc.table == "album"
    state, again = model.state_dict(), loaded.state_dict()
    assert state.keys() == again.keys() and all(torch_equal(state[k], again[k]) for k in state)


def test_refuses_to_overwrite_a_foreign_folder(tmp_path: Path, preproc: TabularPreproc) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    ds = directory(target, "TabularPreproc")
    with pytest.raises(DatasetError, match=r"refusing to overwrite .*model: it is not empty and has no preproc.json"):
        ds.save(preproc)
    assert [p.name for p in target.iterdir()] == ["notes.txt"] and (target / "notes.txt").read_text() == "keep me"
    assert not ds.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    directory(empty, "TabularPreproc").save(preproc)  # an empty folder is fine
    assert (empty / TabularPreproc.config_file).is_file()


@pytest.mark.parametrize(
    "object_type, kwargs, message",
    [
        ("TabularModel", {}, "expected a TabularModel to save, got dict"),
        ("TabularPreproc", {}, "expected a TabularPreproc to save, got dict"),
        (
            "TabularDataset",
            {"preproc_path": "p", "preproc_type": "relsynth.synth.TabularPreproc"},
            "expected a TabularDataset to save, got dict",
        ),
    ],
)
def test_directory_dataset_rejects_other_objects(tmp_path: Path, object_type: str, kwargs: dict, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        directory(tmp_path / "x", object_type, **kwargs).save({"not": "this"})


def test_bad_configurations_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"a TabularDataset is reopened against its preprocessor: give preproc_path"):
        directory(tmp_path, "TabularDataset")
    with pytest.raises(DatasetError, match=r"preproc_path and preproc_type are for encoded datasets"):
        directory(tmp_path, "TabularModel", preproc_path=str(tmp_path), preproc_type="relsynth.synth.TabularPreproc")
    with pytest.raises(DatasetError, match=r"is not a class that saves itself as a directory"):
        DirectoryDataset(path=str(tmp_path), object_type="relsynth.relational.Schema")
    with pytest.raises(DatasetError, match=r"is not a class that saves itself as a directory"):
        directory(tmp_path, "TabularDataset", preproc_path=str(tmp_path), preproc_type="pathlib.Path")


def test_directory_datasets_from_catalog_config(tmp_path: Path) -> None:
    from kedro.io import DataCatalog

    catalog = DataCatalog.from_config(
        {
            "preproc": {
                "type": "relsynth.datasets.DirectoryDataset",
                "path": str(tmp_path / "p"),
                "object_type": "relsynth.synth.TabularPreproc",
            },
            "train": {
                "type": "relsynth.datasets.DirectoryDataset",
                "path": str(tmp_path / "t"),
                "object_type": "relsynth.synth.TabularDataset",
                "preproc_path": str(tmp_path / "p"),
                "preproc_type": "relsynth.synth.TabularPreproc",
                "metadata": {"kedro-viz": {"layer": "model_input"}},
            },
            "{table}_text_model": {
                "type": "relsynth.datasets.DirectoryDataset",
                "path": str(tmp_path / "text_models" / "{table}"),
                "object_type": "relsynth.synth.TextModel",
            },
        }
    )
    assert catalog.get("preproc")._describe() == {
        "path": str(tmp_path / "p"),
        "object_type": "relsynth.synth.tabular.preproc.TabularPreproc",
        "preproc_path": None,
        "preproc_type": None,
        "load_args": {},
    }
    assert catalog.get("train")._describe()["preproc_path"] == str(tmp_path / "p")
    assert catalog.get("train").metadata == {"kedro-viz": {"layer": "model_input"}}
    assert catalog.get("album_text_model")._describe()["path"] == str(tmp_path / "text_models" / "album")
    assert not any(catalog.exists(name) for name in ("preproc", "train", "album_text_model"))

"""Kedro datasets: RelationalDataDataset (round trip, existence, CSV + schema loading, atomic saves)
and the tabular preproc, encoded dataset and model datasets (round trips, refusals)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from relsynth.datasets import RelationalDataDataset, TabularDatasetDataset, TabularModelDataset, TabularPreprocDataset
from relsynth.relational import DataError, RelationalData, Schema
from relsynth.synth import TabularDataset, TabularModel, TabularModelSize, TabularPreproc


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


# ---- tabular synthesis: preprocessor, encoded datasets, model ---------------------------------


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


def test_tabular_preproc_round_trip(tmp_path: Path, preproc: TabularPreproc) -> None:
    ds = TabularPreprocDataset(path=str(tmp_path / "preproc"))
    assert not ds.exists()
    ds.save(preproc)
    assert ds.exists()
    loaded = ds.load()
    assert loaded.fingerprint() == preproc.fingerprint()
    assert loaded.to_dict() == preproc.to_dict()
    ds.save(loaded)  # replaces its own previous save
    assert [p.name for p in tmp_path.iterdir()] == ["preproc"]


def test_tabular_dataset_round_trip(tmp_path: Path, tiny_database: RelationalData, preproc: TabularPreproc) -> None:
    TabularPreprocDataset(path=str(tmp_path / "preproc")).save(preproc)
    encoded = TabularDataset.from_data(tiny_database, preproc, on_disk=True, chunk_size=3, block_size=12)
    ds = TabularDatasetDataset(path=str(tmp_path / "train"), preproc_path=str(tmp_path / "preproc"))
    assert not ds.exists()
    ds.save(encoded)
    assert ds.exists()
    loaded = ds.load()
    assert loaded.path == tmp_path / "train"
    assert (len(loaded), loaded.n_entities, loaded.block_size) == (len(encoded), encoded.n_entities, 12)
    for name, array in encoded.arrays.items():
        np.testing.assert_array_equal(np.asarray(loaded.arrays[name]), np.asarray(array))
    batch, again = encoded.collate(np.arange(len(encoded))), loaded.collate(np.arange(len(loaded)))
    assert all(torch_equal(batch[k], again[k]) for k in batch)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preproc", "train"]  # no temporary directory left


def torch_equal(a, b) -> bool:
    return bool((a == b).all())


def test_tabular_dataset_refuses_a_dataset_in_ram(
    tmp_path: Path, tiny_database: RelationalData, preproc: TabularPreproc
) -> None:
    ds = TabularDatasetDataset(path=str(tmp_path / "train"), preproc_path=str(tmp_path / "preproc"))
    with pytest.raises(DatasetError, match=r"encoded in RAM \(on_disk=False\).*MemoryDataset"):
        ds.save(TabularDataset.from_data(tiny_database, preproc))
    assert list(tmp_path.iterdir()) == []


def test_tabular_dataset_of_another_preproc_is_refused_at_load(
    tmp_path: Path, tiny_database: RelationalData, preproc: TabularPreproc
) -> None:
    ds = TabularDatasetDataset(path=str(tmp_path / "train"), preproc_path=str(tmp_path / "preproc"))
    ds.save(TabularDataset.from_data(tiny_database, preproc, on_disk=True))
    refitted = TabularPreproc.from_schema(tiny_database.schema, n_bins=8, min_count=2).fit(tiny_database)
    TabularPreprocDataset(path=str(tmp_path / "preproc")).save(refitted)
    with pytest.raises(DatasetError, match="encoded with another preprocessor"):
        ds.load()


def test_tabular_model_round_trip(
    tmp_path: Path, tiny_database: RelationalData, preproc: TabularPreproc, one_thread
) -> None:
    model = TabularModel.build(preproc, size=TabularModelSize(n_layers=1, h=2, d=16), block_size=32)
    ds = TabularModelDataset(path=str(tmp_path / "model"))
    assert not ds.exists()
    ds.save(model)
    assert ds.exists()
    loaded = ds.load()
    assert loaded.config == model.config
    assert loaded.preproc.fingerprint() == preproc.fingerprint()
    state, again = model.state_dict(), loaded.state_dict()
    assert state.keys() == again.keys() and all(torch_equal(state[k], again[k]) for k in state)
    first, second = (m.generate(n_samples=5, seed=1) for m in (model, loaded))
    assert_same_data(first, second)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: TabularPreprocDataset(path=str(p)), "expected a TabularPreproc"),
        (lambda p: TabularModelDataset(path=str(p)), "expected a TabularModel"),
        (lambda p: TabularDatasetDataset(path=str(p), preproc_path=str(p)), "expected a TabularDataset"),
    ],
)
def test_tabular_datasets_reject_other_objects(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        make(tmp_path / "x").save({"not": "this"})


def test_tabular_datasets_from_catalog_config(tmp_path: Path) -> None:
    from kedro.io import DataCatalog

    catalog = DataCatalog.from_config(
        {
            "preproc": {"type": "relsynth.datasets.TabularPreprocDataset", "path": str(tmp_path / "p")},
            "train": {
                "type": "relsynth.datasets.TabularDatasetDataset",
                "path": str(tmp_path / "t"),
                "preproc_path": str(tmp_path / "p"),
            },
            "model": {"type": "relsynth.datasets.TabularModelDataset", "path": str(tmp_path / "m")},
        }
    )
    assert catalog.get("preproc")._describe() == {"path": str(tmp_path / "p")}
    assert catalog.get("train")._describe() == {"path": str(tmp_path / "t"), "preproc_path": str(tmp_path / "p")}
    assert catalog.get("model")._describe() == {"path": str(tmp_path / "m")}
    assert not any(catalog.exists(name) for name in ("preproc", "train", "model"))

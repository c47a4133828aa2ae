"""RelationalDataDataset: round trip, existence, CSV + schema loading, atomic saves."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError

from relsynth.datasets import RelationalDataDataset
from relsynth.relational import RelationalData, Schema


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
    assert ds._describe() == {"path": str(tmp_path / "raw"), "schema_path": str(tmp_path / "schema.yml")}

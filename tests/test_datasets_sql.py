"""SQLDatabaseDataset: the Kedro catalog's way to read and write a database (real SQLite files)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from kedro.io import DataCatalog, DatasetError

from relsynth.datasets import RelationalDataDataset, SQLDatabaseDataset
from relsynth.hooks import RawDataLogHook
from relsynth.relational import PrimaryKey, RelationalData, Schema, Table

ROOT = Path(__file__).resolve().parents[1]
CHINOOK = ROOT / "data" / "01_raw" / "chinook"
SCHEMA = ROOT / "conf" / "base" / "schema_chinook.yml"
TABLES = ["artist", "album", "track", "genre", "media_type"]


def chinook_sql() -> SQLDatabaseDataset:
    return SQLDatabaseDataset(
        credentials={"con": f"sqlite:///{CHINOOK / 'chinook.sqlite'}"},
        schema_path=str(SCHEMA),
        load_args={"tables": TABLES},
    )


def test_loads_the_shipped_chinook_as_the_csv_entry_does() -> None:
    from_sql = chinook_sql().load()
    from_csv = RelationalDataDataset(path=str(CHINOOK), schema_path=str(SCHEMA)).load()
    assert from_sql.schema == from_csv.schema
    for table in TABLES:
        pd.testing.assert_frame_equal(from_sql[table], from_csv[table])
    summary = chinook_sql().summary()  # what the run log's first line shows
    assert summary["rows"] == {"artist": 275, "album": 347, "track": 3503, "genre": 25, "media_type": 5}
    assert summary["path"].startswith("sqlite:///") and summary["schema_path"] == str(SCHEMA)


def test_saves_in_one_transaction_and_reads_back(tmp_path: Path, tiny_database: RelationalData) -> None:
    target = tmp_path / "out" / "synthetic.sqlite"  # the folder is made
    ds = SQLDatabaseDataset(credentials={"con": f"sqlite:///{target}"}, save_args={"if_exists": "replace"})
    assert not ds.exists() and not target.exists()  # asking does not create the file
    ds.save(tiny_database)
    ds.save(tiny_database)  # replace: the next run writes over the last
    assert ds.exists()
    back = SQLDatabaseDataset(credentials={"con": f"sqlite:///{target}"}, load_args={"lookups": ["genre"]}).load()
    for table in tiny_database:
        pd.testing.assert_frame_equal(
            back[table][tiny_database[table].columns], tiny_database[table], check_dtype=False
        )
    with pytest.raises(DatasetError, match="expected a RelationalData"):
        ds.save({"artist": tiny_database["artist"]})


def test_the_projects_sqlite_file_holds_the_last_runs_tables_only(tmp_path: Path, tiny_database) -> None:
    """A run on a hotel database after one on an HR database left the synthetic SQLite holding both
    databases' tables: `if_exists: replace` replaces the tables a run writes and keeps the others.
    With `replace_file` the file is written whole beside the old one, then put in its place."""
    target = tmp_path / "synthetic.sqlite"
    entry = {"credentials": {"con": f"sqlite:///{target}"}, "save_args": {"if_exists": "replace"}}
    other = RelationalData({"staff": pd.DataFrame({"id": [1, 2]})}, Schema(staff=Table(id=PrimaryKey())))
    SQLDatabaseDataset(**entry).save(other)
    SQLDatabaseDataset(**entry, replace_file=True).save(tiny_database)
    assert sorted(sa.inspect(sa.create_engine(f"sqlite:///{target}")).get_table_names()) == sorted(tiny_database)
    assert [p.name for p in tmp_path.iterdir()] == ["synthetic.sqlite"]  # nothing left beside it
    with pytest.raises(DatasetError, match="replace_file"):  # a server has no file to replace
        SQLDatabaseDataset(credentials={"con": "postgresql+psycopg://u@h/db"}, replace_file=True)
    catalog = (ROOT / "conf" / "base" / "catalog.yml").read_text()
    assert "replace_file: true" in catalog.split("synthetic_database_sql:")[1].split("\n\n")[0]


def test_credentials_from_the_catalog_and_no_password_shown(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "db": {
                "type": "relsynth.datasets.SQLDatabaseDataset",
                "credentials": "my_db",
                "load_args": {"tables": ["genre"]},
            }
        },
        credentials={"my_db": {"con": f"sqlite:///{CHINOOK / 'chinook.sqlite'}"}},
    )
    assert catalog.load("db").n_rows() == {"genre": 25}
    secret = SQLDatabaseDataset(credentials={"con": "postgresql+psycopg://me:s3cret@db.example:5432/shop"})
    assert "s3cret" not in repr(secret) and "s3cret" not in str(secret._describe())
    assert "me:***@db.example:5432/shop" in str(secret._describe())


def test_arguments_are_checked() -> None:
    with pytest.raises(DatasetError, match="needs credentials with 'con'"):
        SQLDatabaseDataset()
    with pytest.raises(
        DatasetError, match=r"load_args has unknown key\(s\) \['table'\]; RelationalData.from_sql takes"
    ):
        SQLDatabaseDataset(credentials={"con": "sqlite://"}, load_args={"table": ["x"]})
    with pytest.raises(DatasetError, match=r"save_args has unknown key\(s\) \['replace'\]"):
        SQLDatabaseDataset(credentials={"con": "sqlite://"}, save_args={"replace": True})


def test_sample_entities_reads_random_whole_entities() -> None:
    """A database larger than memory: N random root entities, each with all its rows."""
    whole = chinook_sql().load()
    sampled = SQLDatabaseDataset(
        credentials={"con": f"sqlite:///{CHINOOK / 'chinook.sqlite'}"},
        schema_path=str(SCHEMA),
        load_args={"tables": TABLES, "sample_entities": 60, "sample_seed": 2},
    ).load()
    assert sampled.schema == whole.schema and len(sampled["artist"]) == 60
    albums = whole["album"][whole["album"]["artist"].isin(sampled["artist"]["id"])]
    assert sorted(sampled["album"]["id"]) == sorted(albums["id"])
    assert sorted(sampled["track"]["id"]) == sorted(whole["track"][whole["track"]["album"].isin(albums["id"])]["id"])
    pd.testing.assert_frame_equal(sampled["genre"], whole["genre"])  # lookups whole
    assert sampled.whole is None  # what the run trains on: a fit on it keeps the keys it holds
    with pytest.raises(DatasetError, match="sample_entities must be a positive integer"):
        SQLDatabaseDataset(credentials={"con": "sqlite:///x.sqlite"}, load_args={"sample_entities": 0})


def test_sample_entities_the_log_says_a_sample_is_read_and_its_rows(caplog: pytest.LogCaptureFixture) -> None:
    """The run log's raw database line gave the whole tables' rows and never said a sample was read."""
    ds = SQLDatabaseDataset(
        credentials={"con": f"sqlite:///{CHINOOK / 'chinook.sqlite'}"},
        schema_path=str(SCHEMA),
        load_args={"tables": TABLES, "sample_entities": 60, "sample_seed": 2},
    )
    assert ds.summary()["sample"] == {"entities": 60, "seed": 2} and chinook_sql().summary()["sample"] is None
    catalog = DataCatalog({"raw_database": ds})
    with caplog.at_level(logging.INFO, logger="relsynth"):
        RawDataLogHook().before_pipeline_run({"env": "fast"}, None, catalog)
        data = ds.load()
    assert "the run reads a sample of 60 root entities (sample_seed 2)" in caplog.text
    assert "sampled 60 root entities (sample_seed 2) of sqlite:///" in caplog.text
    assert f"rows {data.n_rows()}" in caplog.text and data.n_rows()["artist"] == 60


def test_sample_entities_the_log_counts_the_entities_read_not_asked(caplog: pytest.LogCaptureFixture) -> None:
    """Asking for more root entities than the database holds reads them all: the log said 'sampled 10000'."""
    ds = SQLDatabaseDataset(
        credentials={"con": f"sqlite:///{CHINOOK / 'chinook.sqlite'}"},
        schema_path=str(SCHEMA),
        load_args={"tables": TABLES, "sample_entities": 10_000},
    )
    with caplog.at_level(logging.INFO, logger="relsynth"):
        data = ds.load()
    n = len(data["artist"])
    assert f"sampled {n} root entities (all there are; sample_entities asks 10000) (sample_seed 0)" in caplog.text


def test_a_catalog_entry_reads_and_writes_several_schemas(tmp_path: Path) -> None:
    """load_args.schema_name took one schema: a list of them made the entry's summary (the run log's
    first line) and exists() fail on get_table_names(schema=[...]); the tables are read and written
    back as `<schema>.<table>`, each in its schema."""
    source = f"duckdb:///{tmp_path / 'src.duckdb'}"
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        for statement in (
            "CREATE SCHEMA shop; CREATE SCHEMA staff",
            "CREATE TABLE shop.customer (id INTEGER PRIMARY KEY, city VARCHAR NOT NULL)",
            "CREATE TABLE shop.orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES shop.customer, "
            "amount DOUBLE)",
            "CREATE TABLE staff.employee (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL)",
            "INSERT INTO shop.customer SELECT i, 'city ' || (i % 3) FROM range(1, 61) t(i)",
            "INSERT INTO shop.orders SELECT i, 1 + i % 60, i * 1.5 FROM range(1, 101) t(i)",
            "INSERT INTO staff.employee SELECT i, 'name ' || (i % 4) FROM range(1, 51) t(i)",
        ):
            conn.exec_driver_sql(statement)
    engine.dispose()
    ds = SQLDatabaseDataset(credentials={"con": source}, load_args={"schema_name": ["shop", "staff"]})
    assert ds.exists()
    assert ds.summary()["rows"] == {"shop.customer": 60, "shop.orders": 100, "staff.employee": 50}
    data = ds.load()
    assert data.schema.tables["shop.orders"].foreign_keys == {"customer_id": "shop.customer"}
    target = f"duckdb:///{tmp_path / 'out.duckdb'}"
    SQLDatabaseDataset(credentials={"con": target}).save(data)
    back = SQLDatabaseDataset(credentials={"con": target}, load_args={"schema_name": ["shop", "staff"]})
    assert back.load().n_rows() == data.n_rows() and back.load().schema == data.schema


def test_a_schema_name_for_an_sqlite_file_is_refused_naming_the_setting(tmp_path: Path) -> None:
    """The README's catalog example (schema_name: public) copied for an SQLite file stopped the read
    with SQLAlchemy's '(sqlite3.OperationalError) unknown database public' and its SQL."""
    con = f"sqlite:///{tmp_path / 'db.sqlite'}"
    pd.DataFrame({"id": [1, 2]}).to_sql("t", con, index=False)
    for name in ("public", ["person", "hr"]):
        ds = SQLDatabaseDataset(credentials={"con": con}, load_args={"schema_name": name})
        (problem,) = ds.problems()
        assert problem.startswith("load_args.schema_name:") and "leave it out" in problem, problem
        with pytest.raises(DatasetError, match="load_args.schema_name"):
            ds.load()
    assert SQLDatabaseDataset(credentials={"con": con}, load_args={"schema_name": "main"}).problems() == []

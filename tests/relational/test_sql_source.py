"""SQLSource: a database read a partition of whole entities at a time, on real SQLite and DuckDB."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sql_data import CHINOOK_URL, MAIN_TABLES

from relsynth.relational import DataError, RelationalData, SQLSource, sql


def sorted_by_key(data: RelationalData, table: str) -> pd.DataFrame:
    pk = data.schema.tables[table].primary_key
    return data[table].sort_values(pk).reset_index(drop=True)


@pytest.fixture(scope="module")
def chinook() -> RelationalData:
    return RelationalData.from_sql(CHINOOK_URL, MAIN_TABLES)


@pytest.fixture(scope="module")
def chinook_duckdb(tmp_path_factory: pytest.TempPathFactory, chinook: RelationalData) -> str:
    target = f"duckdb:///{tmp_path_factory.mktemp('duck') / 'chinook.duckdb'}"
    chinook.to_sql(target)
    return target


@pytest.fixture(params=["sqlite", "duckdb"])
def url(request: pytest.FixtureRequest, chinook_duckdb: str) -> str:
    return CHINOOK_URL if request.param == "sqlite" else chinook_duckdb


def test_partitions_read_back_the_whole_database(url: str, chinook: RelationalData) -> None:
    """Every root entity lands in exactly one partition, in key order, with all its descendants:
    the partitions together are the database `from_sql` reads whole."""
    source = SQLSource(url, MAIN_TABLES)
    assert source.schema == chinook.schema
    parts = source.partitions(50)
    assert [p.n_entities for p in parts] == [50, 50, 50, 50, 50, 25]
    assert parts[0].low is None and parts[-1].high is None
    assert all(a.high == b.low for a, b in zip(parts, parts[1:], strict=False))
    chunks = [source.read(p) for p in parts]
    assert [len(c["artist"]) for c in chunks] == [p.n_entities for p in parts]
    for table in chinook.schema.synth_tables:
        together = pd.concat([c[table] for c in chunks], ignore_index=True)
        pk = chinook.schema.tables[table].primary_key
        assert together[pk].is_unique
        pd.testing.assert_frame_equal(together.sort_values(pk).reset_index(drop=True), sorted_by_key(chinook, table))
    for lookup in chinook.schema.lookups:  # whole in every chunk: rows refer to them
        pd.testing.assert_frame_equal(chunks[2][lookup], chinook[lookup])
    assert chunks[0].formats["track"]["unit_price"]["sql"]["type"] == "numeric"  # SQL types travel, for to_sql


def test_a_sample_is_whole_random_entities_and_repeats_with_its_seed(url: str, chinook: RelationalData) -> None:
    source = SQLSource(url, MAIN_TABLES)
    sample = source.sample(40, seed=3)
    assert len(sample["artist"]) == 40 and sample["artist"]["id"].is_unique
    # every album and track of a drawn artist, nothing else: the counts a preprocessor fits are real
    albums = chinook["album"][chinook["album"]["artist"].isin(sample["artist"]["id"])]
    tracks = chinook["track"][chinook["track"]["album"].isin(albums["id"])]
    assert sorted(sample["album"]["id"]) == sorted(albums["id"])
    assert sorted(sample["track"]["id"]) == sorted(tracks["id"])
    assert sorted(source.sample(40, seed=3)["artist"]["id"]) == sorted(sample["artist"]["id"])
    assert sorted(source.sample(40, seed=4)["artist"]["id"]) != sorted(sample["artist"]["id"])
    # drawn from the whole key range, not its start
    assert sample["artist"]["id"].max() > chinook["artist"]["id"].quantile(0.75)
    everything = source.sample(10_000)
    assert len(everything["artist"]) == len(chinook["artist"]) and len(everything["track"]) == len(chinook["track"])
    # the lookup keys counted over the whole database, what a fit on the sample takes its categories from
    for column in ("genre", "mediatype"):
        counts = sample.whole.value_counts["track"][column]
        assert counts.to_dict() == chinook["track"][column].value_counts().to_dict()
    assert sample.whole.rows == {t: len(chinook[t]) for t in chinook.schema.synth_tables}
    per_album = chinook["track"]["album"].value_counts().reindex(chinook["album"]["id"], fill_value=0)
    assert sample.whole.child_counts["track"].to_dict() == per_album.value_counts().sort_index().to_dict()


def test_duckdb_arrow_batches_read_as_rows_do(chinook_duckdb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB is read through Arrow record batches: the same frames as reading row by row."""
    columnar = SQLSource(chinook_duckdb, MAIN_TABLES, chunk_size=97)
    part = columnar.partitions(60)[1]
    by_arrow = columnar.read(part)
    monkeypatch.setattr(sql, "ARROW_FETCH", False)
    by_rows = SQLSource(chinook_duckdb, MAIN_TABLES, chunk_size=97).read(part)
    for table in by_rows.schema.tables:
        pd.testing.assert_frame_equal(by_arrow[table], by_rows[table])


def test_a_source_made_from_a_url_pickles_for_parallel_readers(tmp_path: Path) -> None:
    source = SQLSource(CHINOOK_URL, MAIN_TABLES)
    part = source.partitions(100)[1]
    again = pickle.loads(pickle.dumps(source))
    pd.testing.assert_frame_equal(again.read(part)["track"], source.read(part)["track"])


def test_string_kinds_come_from_the_first_rows_unless_overridden() -> None:
    source = SQLSource(CHINOOK_URL, MAIN_TABLES, infer_rows=200)
    assert source.schema.tables["artist"].columns["name"].kind.value == "text"
    assert "free text" in source.schema.inference["artist"]["name"]
    named = SQLSource(CHINOOK_URL, MAIN_TABLES, overrides={"artist": {"name": "categorical"}})
    assert named.schema.tables["artist"].columns["name"].kind.value == "categorical"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.partitions(0), "n_entities must be a positive integer"),
        (lambda s: s.sample(True), "n_entities must be a positive integer"),
        (lambda s: SQLSource(CHINOOK_URL, MAIN_TABLES, infer_rows=0), "infer_rows must be a positive integer"),
        (lambda s: SQLSource(CHINOOK_URL, MAIN_TABLES, chunk_size=-1), "chunk_size must be a positive integer"),
    ],
)
def test_arguments_are_checked(call, message: str) -> None:
    source = SQLSource(CHINOOK_URL, MAIN_TABLES)
    with pytest.raises(ValueError, match=message):
        call(source)


def sqlite_db(path: Path, *statements: str) -> str:
    import sqlalchemy as sa

    target = f"sqlite:///{path}"
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()
    return target


def test_a_root_table_without_a_primary_key_is_sampled_and_partitioned_by_its_rows(tmp_path: Path) -> None:
    """A keyless root table (a log) beside keyed entities: each of its rows is an entity (none can
    nest under it), so a sample draws its rows at random (again with the same seed) and the
    partitions read every row once; it used to refuse the whole database with a SchemaError."""
    rows = ", ".join(f"('u{i % 7}', {i})" for i in range(200))
    target = sqlite_db(
        tmp_path / "keyless.sqlite",
        "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)",
        "INSERT INTO customer VALUES " + ", ".join(f"({i}, 'c{i % 5}')" for i in range(100)),
        "CREATE TABLE audit_log (actor TEXT, n INTEGER)",
        f"INSERT INTO audit_log VALUES {rows}",
    )
    source = SQLSource(target)
    assert set(source.schema.roots) == {"customer", "audit_log"}
    sample = source.sample(30, seed=1)
    logged = sample["audit_log"]["n"]
    assert len(logged) == 20 and logged.is_unique and len(sample["customer"]) == 10  # shared by size
    assert not logged.equals(pd.Series(range(20), name="n"))  # drawn, not the first rows
    assert source.sample(30, seed=1)["audit_log"].equals(sample["audit_log"])
    parts = [p for p in source.partitions(64) if p.root == "audit_log"]
    assert [p.n_entities for p in parts] == [64, 64, 64, 8]
    together = pd.concat([source.read(p)["audit_log"] for p in parts], ignore_index=True)
    assert sorted(together["n"]) == list(range(200))


def test_a_later_value_that_does_not_fit_a_kind_read_from_the_first_rows_says_how_to_give_it(tmp_path: Path) -> None:
    """A text column of dates whose 'pending' values start after the first 10,000 of 97,500 orders
    was read as a date, and the partition holding them failed with '246 value(s) do not fit the
    kind' on a kind the user never chose: the error now says where it came from and the way out. ('unknown' is a missing value now.)"""
    rows = ", ".join(
        f"({i}, '{'pending' if i >= 30 and i % 7 == 0 else f'2020-01-{i % 28 + 1:02d}'}')" for i in range(60)
    )
    target = sqlite_db(
        tmp_path / "late.sqlite",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, promised VARCHAR(12))",
        f"INSERT INTO orders VALUES {rows}",
    )
    source = SQLSource(target, infer_rows=20)
    assert source.schema.tables["orders"].columns["promised"].kind.value == "date"
    source.read(source.partitions(30)[0])  # the first rows fit
    with pytest.raises(DataError) as err:
        source.read(source.partitions(30)[1])
    message = str(err.value)
    assert "do not fit the kind" in message and "'pending'" in message
    assert "first 20 rows" in message and "overrides={'orders': {'promised': " in message and "infer_rows" in message
    declared = SQLSource(target, infer_rows=20, overrides={"orders": {"promised": "categorical"}})
    assert declared.read(declared.partitions(30)[1])["orders"]["promised"].eq("pending").sum() == 4


def test_a_column_null_in_the_first_rows_has_its_kind_read_from_its_later_values(tmp_path: Path) -> None:
    """Free-text notes a later version of the application began to fill (null in the first 30 of 60
    rows) were guessed categorical from nothing and modelled as labels: the source now reads the
    column's first values further on, and a column null throughout stays categorical."""
    words = ["late parcel", "left at the door", "call before", "wrong size sent", "box was damaged"]
    notes = [f"'{words[i % 5]} {i} again, said the customer'" if i >= 30 else "NULL" for i in range(60)]
    rows = ", ".join(f"({i}, {note}, NULL)" for i, note in enumerate(notes))
    target = sqlite_db(
        tmp_path / "notes.sqlite",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, note VARCHAR(80), unused VARCHAR(10))",
        f"INSERT INTO orders VALUES {rows}",
    )
    source = SQLSource(target, infer_rows=20)
    kinds = source.schema.tables["orders"].columns
    assert kinds["note"].kind.value == "text" and kinds["unused"].kind.value == "categorical"
    assert "null in the first 20 rows: read from its first values" in source.schema.inference["orders"]["note"]
    assert source.read(source.partitions(30)[1])["orders"]["note"].notna().all()


def test_a_sample_of_several_roots_holds_exactly_n_entities(tmp_path: Path) -> None:
    """Two roots of 50 entities: rounding each one's share on its own drew none for 1 and 4 for 3."""
    rows = ", ".join(f"({i})" for i in range(50))
    target = sqlite_db(
        tmp_path / "two.sqlite",
        "CREATE TABLE a (id INTEGER PRIMARY KEY)",
        "CREATE TABLE b (id INTEGER PRIMARY KEY)",
        f"INSERT INTO a VALUES {rows}",
        f"INSERT INTO b VALUES {rows}",
    )
    source = SQLSource(target)
    for n in (1, 3, 5, 99):
        sample = source.sample(n, seed=0)
        assert len(sample["a"]) + len(sample["b"]) == n
    assert len(source.sample(500)["a"]) == 50


def test_rows_without_a_parent_are_reported_not_left_out(tmp_path: Path) -> None:
    """An order of no known customer is in no entity: from_sql reports it, and so does the source,
    where partitions and samples would silently never read it. An order of none (a null key) no
    longer is: a key null in some rows is a reference, its orders roots of their own, all read."""
    target = sqlite_db(
        tmp_path / "orphans.sqlite",
        "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER REFERENCES customer(id), total REAL)",
        "INSERT INTO customer VALUES (1, 'a'), (2, 'b')",
        "INSERT INTO orders VALUES (1, 1, 1.5), (2, 2, 2.5), (3, 7, 3.5)",
    )
    with pytest.raises(DataError, match=r"'orders', foreign key 'customer' -> customer.id: 1 row\(s\)"):
        SQLSource(target)
    dropped = SQLSource(target, orphans="drop")
    assert sorted(dropped.read(dropped.partitions(1)[1])["orders"]["id"]) == [2]
    nulls = sqlite_db(
        tmp_path / "nulls.sqlite",
        "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER REFERENCES customer(id), total REAL)",
        "INSERT INTO customer VALUES (1, 'a'), (2, 'b')",
        "INSERT INTO orders VALUES (1, 1, 1.5), (2, 2, 2.5), (4, NULL, 4.5)",
    )
    source = SQLSource(nulls)
    assert source.schema.parent("orders") is None
    assert sorted(i for part in source.partitions(1) for i in source.read(part)["orders"]["id"]) == [1, 2, 4]


def test_partitions_keep_references_to_rows_of_other_partitions_and_unknown_ones_are_reported(
    tmp_path: Path,
) -> None:
    """An order's product (a reference: orders nest under customers) may be a product another
    partition reads; a product that does not exist is reported, as from_sql reports it."""
    statements = [
        "CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE product (id INTEGER PRIMARY KEY, price REAL)",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER REFERENCES customer(id), "
        "product INTEGER REFERENCES product(id))",
        "INSERT INTO customer VALUES " + ", ".join(f"({i}, 'c{i}')" for i in range(1, 61)),
        "INSERT INTO product VALUES (1, 2.5), (2, 3.5), (3, 1.0)",
        "INSERT INTO orders VALUES " + ", ".join(f"({i}, {i % 60 + 1}, {i % 3 + 1})" for i in range(1, 121)),
    ]
    source = SQLSource(sqlite_db(tmp_path / "refs.sqlite", *statements))
    assert source.schema.parent("orders").parent == "customer"
    assert [e.parent for e in source.schema.references("orders")] == ["product"]
    parts = [source.read(p) for p in source.partitions(20)]
    assert all(part.partial for part in parts)
    assert sum(len(part["orders"]) for part in parts) == 120
    bad = sqlite_db(tmp_path / "bad.sqlite", *statements, "INSERT INTO orders VALUES (999, 1, 7)")
    with pytest.raises(DataError, match=r"'orders', reference 'product' -> product.id: 1 row\(s\) name no row"):
        SQLSource(bad)


def test_a_key_to_its_own_table_is_checked_against_the_other_rows_not_its_own(tmp_path: Path) -> None:
    """An employee's manager: the check compared each row's key with its own id (one table on both
    sides of the query), so Chinook's employees were 7 unknown managers and the source refused them."""
    statements = [
        "CREATE TABLE employee (id INTEGER PRIMARY KEY, manager INTEGER REFERENCES employee(id), grade INTEGER)",
        "INSERT INTO employee VALUES (1, NULL, 3), (2, 1, 2), (3, 1, 2), (4, 2, 1)",
    ]
    source = SQLSource(sqlite_db(tmp_path / "boss.sqlite", *statements))
    assert source.sample(4)["employee"]["manager"].isna().sum() == 1
    bad = sqlite_db(tmp_path / "bad.sqlite", *statements, "INSERT INTO employee VALUES (5, 9, 1)")
    with pytest.raises(DataError, match=r"reference 'manager' -> employee.id: 1 row\(s\) name no row"):
        SQLSource(bad)


def test_a_null_root_key_is_reported_not_left_out(tmp_path: Path) -> None:
    target = sqlite_db(
        tmp_path / "null_key.sqlite",
        "CREATE TABLE customer (id TEXT PRIMARY KEY, name TEXT)",
        "INSERT INTO customer VALUES ('a', 'x'), (NULL, 'y'), ('c', 'z')",
    )
    source = SQLSource(target)
    with pytest.raises(DataError, match="'customer', primary key 'id': null value"):
        source.partitions(2)
    with pytest.raises(DataError, match="null value"):
        source.sample(2)


def test_a_numpy_integer_is_a_number_of_entities() -> None:
    """from_source accepts a numpy chunk_size (a size computed with numpy) and hands it here."""
    source = SQLSource(CHINOOK_URL, MAIN_TABLES)
    assert source.partitions(np.int64(100)) == source.partitions(100)


def test_a_sample_holds_its_rows_as_from_sql_does(tmp_path: Path) -> None:
    """A sample of two roots concatenated each root's reads, in which the other root's tables are
    empty frames of objects: pandas warned (FutureWarning) and the integer columns' formats said
    'object' where from_sql says 'int64', so a model fitted on the sample wrote integers back
    otherwise. A text column read after the first rows was held as objects too."""
    shops = ", ".join(f"({i}, {i % 4}, 'a note about shop {i}, number {i * 7}')" for i in range(40))
    sales = ", ".join(f"({i}, {i % 40}, {'NULL' if i % 3 else i})" for i in range(120))
    target = sqlite_db(
        tmp_path / "two_roots.sqlite",
        "CREATE TABLE shop (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, note TEXT)",
        "CREATE TABLE sale (id INTEGER PRIMARY KEY, shop INTEGER REFERENCES shop (id), qty INTEGER)",
        "CREATE TABLE region (id INTEGER PRIMARY KEY, code INTEGER)",
        f"INSERT INTO shop VALUES {shops}",
        f"INSERT INTO sale VALUES {sales}",
        "INSERT INTO region VALUES " + ", ".join(f"({i}, {i * 10})" for i in range(40)),
    )
    whole = RelationalData.from_sql(target)
    assert whole.schema.roots == ["region", "shop"] and whole.schema.tables["shop"].columns["note"].kind.value == "text"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sample = SQLSource(target, infer_rows=10).sample(80, seed=0)
        chunked = RelationalData.from_sql(target, chunk_size=2)  # sale.qty's first chunk is all null
    assert sample.n_rows() == whole.n_rows()
    for table in whole.schema.tables:
        pd.testing.assert_frame_equal(sorted_by_key(sample, table), sorted_by_key(whole, table))
        pd.testing.assert_frame_equal(chunked[table], whole[table])
    assert sample.formats == whole.formats == chunked.formats
    assert whole.formats["sale"]["id"]["dtype"] == "int64" and "dtype" not in whole.formats["sale"]["qty"]

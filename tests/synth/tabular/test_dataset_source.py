"""TabularDataset.from_source: a database encoded onto disk a partition at a time, serially, by
processes, or by a local Dask cluster: always the bytes of encoding the database held whole."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from relsynth.relational import Column, RelationalData
from relsynth.relational.sql_source import SQLSource
from relsynth.synth.tabular.dataset import TabularDataset
from relsynth.synth.tabular.encoders import CategoricalPreproc
from relsynth.synth.tabular.preproc import TabularPreproc

CHINOOK_URL = f"sqlite:///{Path(__file__).resolve().parents[3] / 'data' / '01_raw' / 'chinook' / 'chinook.sqlite'}"
TABLES = ["artist", "album", "track", "genre", "media_type"]


@pytest.fixture(scope="module")
def source() -> SQLSource:
    return SQLSource(CHINOOK_URL, TABLES)


@pytest.fixture(scope="module")
def preproc(source: SQLSource) -> TabularPreproc:
    """Fitted on a sample of 80 artists: the rest holds values it never saw."""
    sample = source.sample(80, seed=0)
    return TabularPreproc.from_schema(sample.schema).fit(sample)


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory, preproc: TabularPreproc) -> TabularDataset:
    data = RelationalData.from_sql(CHINOOK_URL, TABLES)
    path = tmp_path_factory.mktemp("whole") / "ds"
    return TabularDataset.from_data(data, preproc, on_disk=True, path=path, chunk_size=1_000, block_size=128)


def assert_same(a: TabularDataset, b: TabularDataset) -> None:
    assert a.arrays.keys() == b.arrays.keys()
    for name in a.arrays:
        np.testing.assert_array_equal(a.arrays[name], b.arrays[name], err_msg=name)
    assert a.block_size == b.block_size and len(a) == len(b)


def test_from_source_equals_encoding_the_whole_database(tmp_path, source, preproc, whole) -> None:
    streamed = TabularDataset.from_source(source, preproc, path=tmp_path / "ds", chunk_size=37, block_size=128)
    assert_same(streamed, whole)
    assert streamed.n_entities == 275
    assert_same(TabularDataset.from_disk(preproc, tmp_path / "ds"), whole)
    with pytest.raises(FileExistsError, match="already holds"):
        TabularDataset.from_source(source, preproc, path=tmp_path / "ds")


def test_partitions_encoded_by_worker_processes_write_the_same_bytes(tmp_path, source, preproc, whole) -> None:
    with ProcessPoolExecutor(2) as pool:
        parallel = TabularDataset.from_source(
            source, preproc, path=tmp_path / "ds", chunk_size=50, block_size=128, executor=pool
        )
    assert_same(parallel, whole)


@pytest.mark.slow
def test_partitions_encoded_on_a_local_dask_cluster_write_the_same_bytes(tmp_path, source, preproc, whole) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = TabularDataset.from_source(
            source, preproc, path=tmp_path / "ds", chunk_size=50, block_size=128, executor=client.get_executor()
        )
    assert_same(on_dask, whole)


def test_sizes_are_checked(tmp_path, source, preproc) -> None:
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        TabularDataset.from_source(source, preproc, path=tmp_path / "a", chunk_size=0)
    with pytest.raises(TypeError, match="block_size must be an integer"):
        TabularDataset.from_source(source, preproc, path=tmp_path / "b", block_size=1.5)


def test_a_preprocessor_fitted_on_another_schema_is_refused_naming_the_tables(tmp_path) -> None:
    """A preprocessor fitted on from_sql's data, where deliveries nest under their order line by a
    key from_sql adds and an SQLSource does not read, failed in the middle of encoding with
    KeyError: '(order_id, line_no)'."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'lines.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in [
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, placed DATE NOT NULL)",
            "CREATE TABLE order_lines (order_id INTEGER NOT NULL REFERENCES orders (id), line_no INTEGER NOT NULL, "
            "qty INTEGER NOT NULL, PRIMARY KEY (order_id, line_no))",
            "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, line_no INTEGER NOT NULL, "
            "FOREIGN KEY (order_id, line_no) REFERENCES order_lines (order_id, line_no))",
            "INSERT INTO orders VALUES " + ", ".join(f"({o}, '2020-01-01')" for o in range(1, 61)),
            "INSERT INTO order_lines VALUES " + ", ".join(f"({o}, {n}, {n})" for o in range(1, 61) for n in (1, 2)),
            "INSERT INTO deliveries VALUES "
            + ", ".join(f"({o * 2 + n}, {o}, {n})" for o in range(1, 61) for n in (1, 2)),
        ]:
            conn.exec_driver_sql(statement)
    engine.dispose()
    data = RelationalData.from_sql(url)
    preproc = TabularPreproc.from_schema(data.schema).fit(data)
    with pytest.raises(
        ValueError, match=r"differs from the preprocessor's in table\(s\) \['deliveries', 'order_lines'\]"
    ):
        TabularDataset.from_source(SQLSource(url), preproc, path=tmp_path / "ds", chunk_size=10)


def categories(pre: TabularPreproc, table: str, column: str) -> list:
    return next(s.preproc for s in pre.slots if (s.table, s.column) == (table, column)).categories


def test_a_sample_fit_makes_categories_of_the_lookup_keys_the_whole_database_holds(tmp_path, source) -> None:
    """Fitted on 5 artists' tracks, a preprocessor had 2 of Chinook's 25 genres as categories (and 1
    of 5 media types) and encoded 2,182 of the 3,503 tracks as <rare>, though the whole database
    holds 24 genres on 5 tracks at least: never generated. Now the keys are counted over the whole
    database: the categories are a full fit's, and a genre fewer than min_count tracks hold (Opera,
    1 track) stays <rare> however the sample falls."""
    sample = source.sample(5, seed=0)
    full = TabularPreproc.from_schema(sample.schema).fit(RelationalData.from_sql(CHINOOK_URL, TABLES))
    pre = TabularPreproc.from_schema(sample.schema).fit(sample)
    assert sample["track"]["genre"].nunique() < len(categories(full, "track", "genre"))
    for column in ("genre", "mediatype"):
        assert categories(pre, "track", column) == categories(full, "track", column)
    assert 25 not in categories(pre, "track", "genre")  # Opera
    ds = TabularDataset.from_source(source, pre, path=tmp_path / "ds", chunk_size=100, block_size=128)
    slot = next(s for s in pre.slots if (s.table, s.column) == ("track", "genre"))
    rare = int((np.asarray(ds.arrays["tokens"]) == slot.offset + 1).sum())
    assert rare == 1  # the Opera track
    train, _ = sample.split(0.2, seed=0)  # the data it is: a fit on a part of the sample takes its own keys
    assert train.whole is None


def test_a_sample_fit_aims_generation_at_the_whole_databases_rows_per_entity(source) -> None:
    """Fitted on 5 Chinook artists (a sample of 36 tracks, 7.2 an artist), a preprocessor aimed
    generation at the sample's rows per artist, though the model is trained on the whole database's
    12.7: a generated database of 275 artists got ~1,980 tracks, not ~3,503 (on a shop of 3,000
    customers, 60 of them wholesale with 40-120 orders, sampled to 100: 9,781 generated orders, not
    12,059). The rows per root entity are now the whole database's, as a full fit's."""
    sample = source.sample(5, seed=0)
    full = TabularPreproc.from_schema(sample.schema).fit(RelationalData.from_sql(CHINOOK_URL, TABLES))
    pre = TabularPreproc.from_schema(sample.schema).fit(sample)
    assert len(sample["track"]) / len(sample["artist"]) < 0.8 * full.stats["rows_per_root"]["track"]
    assert pre.stats["rows_per_root"] == pytest.approx(full.stats["rows_per_root"])
    assert pre.stats["root_shares"] == full.stats["root_shares"]


def test_a_sample_fit_encodes_the_whole_databases_child_counts(tmp_path) -> None:
    """Fitted on 30 of 300 customers, a preprocessor's order counts ended at the sample's largest
    (3): the whole database's 10 customers with 23 to 50 orders were encoded, and generated, with 3
    (on 3,000 customers with up to 120 orders sampled to 100: none generated above 61). The counts are
    now read from the whole database's parents per count, as a full fit's: its range and its bins."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    orders = [(c, 20 + c // 10 if c % 30 == 0 else c % 4) for c in range(1, 301)]  # 10 large customers
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customer (id INTEGER PRIMARY KEY, age INTEGER NOT NULL)")
        conn.exec_driver_sql(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer(id), amount REAL)"
        )
        conn.exec_driver_sql("INSERT INTO customer VALUES " + ", ".join(f"({c}, {20 + c % 60})" for c, _ in orders))
        rows = [(c, k) for c, n in orders for k in range(n)]
        conn.exec_driver_sql(
            "INSERT INTO orders VALUES " + ", ".join(f"({i}, {c}, {k}.5)" for i, (c, k) in enumerate(rows, 1))
        )
    engine.dispose()
    sample = SQLSource(url).sample(30, seed=0)
    full = TabularPreproc.from_schema(sample.schema, max_exact_count=40).fit(RelationalData.from_sql(url))
    pre = TabularPreproc.from_schema(sample.schema, max_exact_count=40).fit(sample)
    counts = [next(s.preproc for s in p.slots if s.column == "#orders") for p in (pre, full)]
    assert sample["orders"].groupby("customer_id").size().max() < 50 == counts[1].max_seen
    assert counts[0].to_dict() == counts[1].to_dict()


def test_a_sample_fit_generates_the_nulls_the_sample_missed(tmp_path) -> None:
    """Fitted on 30 of 300 customers, none of the 10 whose orders have no discount, a preprocessor
    took the discount, and the order's date, for columns without nulls: the whole database's 30
    nulls were encoded but never generated. Whether a column holds nulls is now read from the whole
    database's, as a full fit's."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    orders = [(c, k) for c in range(1, 301) for k in range(3)]
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customer (id INTEGER PRIMARY KEY, age INTEGER NOT NULL)")
        conn.exec_driver_sql(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer(id), "
            "discount REAL, placed DATE)"
        )
        conn.exec_driver_sql("INSERT INTO customer VALUES " + ", ".join(f"({c}, {20 + c % 60})" for c in range(1, 301)))
        values = [
            f"({i}, {c}, {'NULL' if c % 30 == 0 else k / 10}, {'NULL' if c % 30 == 0 else repr(f'2024-01-0{k + 1}')})"
            for i, (c, k) in enumerate(orders, 1)
        ]
        conn.exec_driver_sql("INSERT INTO orders VALUES " + ", ".join(values))
    engine.dispose()
    sample = SQLSource(url).sample(30, seed=0)
    assert not sample["orders"][["discount", "placed"]].isna().any().any()
    pre = TabularPreproc.from_schema(sample.schema).fit(sample)
    full = TabularPreproc.from_schema(sample.schema).fit(RelationalData.from_sql(url))
    for col in ("discount", "placed"):
        missing = [next(s.preproc for s in p.slots if s.column == col).has_missing for p in (pre, full)]
        assert missing == [True, True]


def test_a_sample_fit_makes_categories_of_the_values_the_whole_database_holds(source) -> None:
    """A categorical column fitted on a sample had the values the sample held min_count times as
    categories: on 5 Chinook artists, 1 of the 137 composers a full fit keeps; on TPC-H sf 0.005
    sampled to 200 entities (111 of 1,000 parts), none of the 124 part types that 5 parts hold at
    least, so every generated part's type was null. The categories are now read from the whole
    database's counts, a full fit's."""
    sample = source.sample(5, seed=0)
    full = TabularPreproc.from_schema(sample.schema).fit(RelationalData.from_sql(CHINOOK_URL, TABLES))
    pre = TabularPreproc.from_schema(sample.schema).fit(sample)
    columns = [(s.table, s.column) for s in full.slots if isinstance(s.preproc, CategoricalPreproc)]
    assert ("track", "composer") in columns
    for table, column in columns:
        assert categories(pre, table, column) == categories(full, table, column), column


def test_a_sample_fit_generates_the_identifier_nulls_the_sample_missed(tmp_path) -> None:
    """An order's tracking code, null on the 30 orders of 10 of 300 customers, none of them in a
    sample of 30: whether the other columns hold nulls was read from the whole database (Whole.nulls),
    but a code's null rate from the sample only, so no generated order went without a code. Where
    the sample holds none, the whole database's rate is kept, as a full fit's."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'shop.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customer (id INTEGER PRIMARY KEY, age INTEGER NOT NULL)")
        conn.exec_driver_sql(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer(id), "
            "code VARCHAR(12))"
        )
        conn.exec_driver_sql("INSERT INTO customer VALUES " + ", ".join(f"({c}, {20 + c % 60})" for c in range(1, 301)))
        orders = [(c, k) for c in range(1, 301) for k in range(3)]
        values = [f"({i}, {c}, {'NULL' if c % 30 == 0 else repr(f'TR{i:06d}')})" for i, (c, k) in enumerate(orders, 1)]
        conn.exec_driver_sql("INSERT INTO orders VALUES " + ", ".join(values))
    engine.dispose()
    sample = SQLSource(url).sample(30, seed=0)
    assert sample.schema.tables["orders"].columns["code"].kind is Column.IDENTIFIER
    assert not sample["orders"]["code"].isna().any()
    pre = TabularPreproc.from_schema(sample.schema).fit(sample)
    assert pre.stats["identifiers"]["orders"]["code"]["null_rate"] == pytest.approx(30 / 900)

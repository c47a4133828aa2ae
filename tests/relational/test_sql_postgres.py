"""RelationalData.from_sql / to_sql against a real PostgreSQL server (see conftest.py), no mocks.

The round trip: the shipped Chinook copied into PostgreSQL with its native DDL (by SQLAlchemy, not
by relsynth), read with from_sql, a tiny model trained and sampled, the synthetic database written
back with to_sql, and the target checked: the same column types and constraints as the source, and
every foreign key holding (PostgreSQL checks each row as it is inserted, and an orphan is refused).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import torch
from sql_data import CHINOOK_URL, MAIN_TABLES, ROOT, every_kind, fitted_tenants, run_sql, tenant_db, unstorable

from relsynth.relational import (
    Categorical,
    Column,
    DataError,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    SchemaError,
    SQLSource,
    Table,
)
from relsynth.synth import (
    TabularDataset,
    TabularModel,
    TabularModelSize,
    TabularPreproc,
    TabularTrainer,
    TextDataset,
    TextModel,
    TextPreproc,
    TextTrainer,
)

CONSTRAINTS = """
    SELECT rel.relname, con.contype, pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid JOIN pg_namespace ns ON ns.oid = con.connamespace
    WHERE ns.nspname = :schema AND rel.relname = ANY(:tables) AND con.contype IN ('p', 'f')
"""
COLUMNS = """
    SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, numeric_precision,
           numeric_scale, is_nullable
    FROM information_schema.columns WHERE table_schema = :schema AND table_name = ANY(:tables)
"""


def rows(url: str, statement: str, **params) -> list[tuple]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = [tuple(r) for r in conn.execute(sa.text(statement), params).all()]
    engine.dispose()
    return out


def ddl(url: str, schema: str, tables: list[str]) -> tuple[set, set]:
    """(columns, primary and foreign keys) of `tables` in `schema`, schema names taken out of the keys."""
    cols = set(rows(url, COLUMNS, schema=schema, tables=tables))
    keys = {
        (t, kind, d.replace(f"{schema}.", "")) for t, kind, d in rows(url, CONSTRAINTS, schema=schema, tables=tables)
    }
    return cols, keys


def copy_database(source: str, target: str, schema: str) -> None:
    """Every table of `source` into `schema` of `target` with SQLAlchemy alone: reflected tables
    (generic types, keys, NOT NULLs), created and filled parents first."""
    src, dst = sa.create_engine(source), sa.create_engine(target)
    metadata = sa.MetaData()
    metadata.reflect(src)
    copy = sa.MetaData(schema=schema)
    for table in metadata.sorted_tables:
        for col in table.columns:
            col.type = col.type.as_generic()
            col.autoincrement = False  # plain INTEGER keys, as in Chinook's own PostgreSQL DDL
        table.to_metadata(copy, schema=schema)
    with dst.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
        copy.create_all(conn)
        with src.connect() as read:
            for table in metadata.sorted_tables:  # employee -> employee: managers come first by id
                values = [dict(r._mapping) for r in read.execute(sa.select(table).order_by(*table.primary_key))]
                conn.execute(copy.tables[f"{schema}.{table.name}"].insert(), values)
    src.dispose()
    dst.dispose()


def test_every_kind_round_trips_through_postgres(postgres_url: str) -> None:
    data = every_kind()
    data.to_sql(postgres_url, schema_name="synth")  # the schema is created
    back = RelationalData.from_sql(postgres_url, ["shop", "sale", "kind"], schema_name="synth", overrides=data.schema)
    for table in data:
        pd.testing.assert_frame_equal(back[table], data[table])
    assert back["sale"]["big"].tolist()[0] == 2**62 + 1
    types = {(t, c): d for t, c, _, d, *_ in rows(postgres_url, COLUMNS, schema="synth", tables=list(data.data))}
    assert types[("shop", "opened")] == "date" and types[("shop", "active")] == "boolean"
    assert (
        types[("sale", "at")] == "timestamp without time zone" and types[("sale", "slot")] == "time without time zone"
    )
    again = RelationalData.from_sql(postgres_url, schema_name="synth", lookups=["kind"])
    again.to_sql(postgres_url, schema_name="copy")
    assert ddl(postgres_url, "copy", list(data.data)) == ddl(postgres_url, "synth", list(data.data))


def test_a_failure_mid_way_leaves_postgres_as_it_was(postgres_url: str) -> None:
    every_kind().to_sql(postgres_url)
    before = rows(postgres_url, "SELECT * FROM sale ORDER BY id")
    with pytest.raises(sa.exc.IntegrityError, match="duplicate key"):
        unstorable(every_kind()).to_sql(postgres_url, if_exists="replace")
    assert rows(postgres_url, "SELECT * FROM sale ORDER BY id") == before
    with pytest.raises(sa.exc.IntegrityError):
        unstorable(every_kind()).to_sql(postgres_url, schema_name="fresh")
    assert rows(postgres_url, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'fresh'") == [(0,)]


@pytest.mark.slow
def test_chinook_round_trip_through_postgres(postgres_url: str, tmp_path: Path) -> None:
    """Chinook -> PostgreSQL -> relsynth (from_sql, a tiny model, generate) -> PostgreSQL."""
    copy_database(CHINOOK_URL, postgres_url, "chinook")
    whole = RelationalData.from_sql(postgres_url, schema_name="chinook")  # the whole database, as on SQLite
    assert whole.schema == RelationalData.from_sql(CHINOOK_URL).schema
    data = RelationalData.from_sql(postgres_url, MAIN_TABLES, schema_name="chinook")
    assert data.schema == Schema.from_yaml(ROOT / "conf" / "base" / "schema_chinook.yml")
    assert data.n_rows() == {"artist": 275, "album": 347, "track": 3503, "genre": 25, "media_type": 5}

    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        preproc = TabularPreproc.from_schema(data.schema).fit(data)
        model = TabularModel.build(preproc, size=TabularModelSize(n_layers=1, h=2, d=16))
        dataset = TabularDataset.from_data(data, preproc)
        # enough steps that children counts are no longer random (an untrained model writes thousands of tracks)
        TabularTrainer(model, calibrate_counts=False).train(
            dataset, n_steps=100, batch_size=16, lr=1e-2, progress=False
        )
        synth = model.generate(n_samples=8, seed=0)
        for table in ("artist", "album", "track"):  # parents first; album.title and track.name are NOT NULL
            text_pre = TextPreproc.from_schema_table(data.schema, table, vocab_size=300).fit(data)
            text_model = TextModel.build(text_pre, size=TabularModelSize(n_layers=1, h=2, d=16), block_size=128)
            dataset = TextDataset.from_data(data, text_pre, block_size=128)
            TextTrainer(text_model).train(dataset, n_steps=2, batch_size=8, progress=False)
            synth = text_model.generate(synth, max_text_len=8, seed=0)
    finally:
        torch.set_num_threads(threads)
    synth.to_dir(tmp_path / "synth")  # the SQL types survive the parquet files, as between Kedro nodes
    synth = RelationalData.from_dir(tmp_path / "synth")
    synth.to_sql(postgres_url, schema_name="synth")

    # the same DDL: column types, lengths, NOT NULLs, primary and foreign keys
    assert ddl(postgres_url, "synth", MAIN_TABLES) == ddl(postgres_url, "chinook", MAIN_TABLES)
    keys = ddl(postgres_url, "synth", MAIN_TABLES)[1]
    assert ("track", "f", "FOREIGN KEY (album) REFERENCES album(id)") in keys and len(keys) == 5 + 4
    # every row is there, every reference resolves, and the keys are enforced
    counts = {t: rows(postgres_url, f"SELECT count(*) FROM synth.{t}")[0][0] for t in MAIN_TABLES}
    assert counts == synth.n_rows() and counts["artist"] == 8
    for child, fk, parent in [("album", "artist", "artist"), ("track", "album", "album"), ("track", "genre", "genre")]:
        orphans = f"SELECT count(*) FROM synth.{child} c LEFT JOIN synth.{parent} p ON c.{fk} = p.id"
        assert rows(postgres_url, f"{orphans} WHERE c.{fk} IS NOT NULL AND p.id IS NULL") == [(0,)]
    with pytest.raises(sa.exc.IntegrityError, match="violates foreign key constraint"):
        rows(postgres_url, "INSERT INTO synth.album (id, artist, title) VALUES (100000, 100000, 'x')")
    back = RelationalData.from_sql(postgres_url, MAIN_TABLES, schema_name="synth", overrides=synth.schema)
    for table in MAIN_TABLES:
        pd.testing.assert_frame_equal(back[table], synth[table])


def test_a_multi_tenant_database_round_trips_through_postgres_with_its_composite_keys(postgres_url: str) -> None:
    """Every table keyed (tenant_id, id), tasks nested under their project by (tenant_id, project_id),
    their assignee and a comment's author users of the same tenant: read from PostgreSQL, generated,
    and written back into PostgreSQL, which checks every composite key and UNIQUE (tenant_id, email)
    as the rows go in. From PostgreSQL, whose catalog lists keys by name, comments nested under their
    author, not their task, and 10 of 516 generated comments named no task (/tmp/tenant_pg_nullid.py)."""
    tenant_db(postgres_url)
    synth = fitted_tenants(postgres_url)
    assert synth.schema.parent("comments").parent == "tasks"
    synth.to_sql(postgres_url, schema_name="synth")
    tables = ["tenants", "users", "projects", "tasks", "comments"]
    assert {t: rows(postgres_url, f"SELECT count(*) FROM synth.{t}")[0][0] for t in tables} == synth.n_rows()
    keys = ddl(postgres_url, "synth", tables)[1]
    assert ("tasks", "f", "FOREIGN KEY (tenant_id, assignee_id) REFERENCES users(tenant_id, id)") in keys
    assert keys == ddl(postgres_url, "public", tables)[1]
    unique = "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
    assert rows(postgres_url, f"{unique} WHERE n.nspname = 'synth' AND c.contype = 'u'") == [
        ("UNIQUE (tenant_id, email)",)
    ]
    with pytest.raises(sa.exc.IntegrityError, match="violates foreign key constraint"):
        rows(postgres_url, "INSERT INTO synth.tasks VALUES (1, 999, 1, 999, 1)")


def test_timestamps_with_time_zone_keep_their_instant(postgres_url: str) -> None:
    """timestamptz values are held as naive UTC and written back as UTC, whatever the session's zone."""
    name = sa.make_url(postgres_url).database
    rows(postgres_url, "SELECT 1")  # the database exists; give its sessions a zone far from UTC
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone = 'America/New_York'")
        conn.exec_driver_sql("CREATE TABLE ev (id INTEGER PRIMARY KEY, at TIMESTAMPTZ NOT NULL)")
        conn.exec_driver_sql("INSERT INTO ev VALUES (1, '2021-01-01 12:00:00+02'), (2, '2021-07-01 00:30:00+00')")
    engine.dispose()
    data = RelationalData.from_sql(postgres_url)
    assert data["ev"]["at"].tolist() == [pd.Timestamp("2021-01-01 10:00:00"), pd.Timestamp("2021-07-01 00:30:00")]
    data.to_sql(postgres_url, schema_name="copy")
    same = "SELECT count(*) FROM ev JOIN copy.ev c ON c.id = ev.id AND c.at = ev.at"
    assert rows(postgres_url, same) == [(2,)]
    assert rows(
        postgres_url,
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'copy' AND column_name = 'at'",
    ) == [("timestamp with time zone",)]


def _tiny_generate(data: RelationalData, seed: int, n_samples: int = 6) -> RelationalData:
    """A tiny model's synthetic database (a few steps: the keys and types matter here, not the values)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        preproc = TabularPreproc.from_schema(data.schema).fit(data)
        model = TabularModel.build(preproc, size=TabularModelSize(n_layers=1, h=2, d=16), block_size=64)
        dataset = TabularDataset.from_data(data, preproc, block_size=64)
        TabularTrainer(model, calibrate_counts=False).train(dataset, n_steps=2, batch_size=8, progress=False)
        return model.generate(n_samples=n_samples, seed=seed)
    finally:
        torch.set_num_threads(threads)


def test_uuid_keys_are_generated_as_uuids_and_written_back_as_uuid(postgres_url: str) -> None:
    """uuid keys came back as id_1, id_2 in VARCHAR columns (the child's key lost its NOT NULL), so the
    copy could not be joined with the source: they are random UUIDs, the same for the same seed."""
    run_sql(
        postgres_url,
        "CREATE TABLE dept (id uuid PRIMARY KEY, label varchar(10) NOT NULL)",
        "CREATE TABLE emp (id bigint PRIMARY KEY, dept uuid NOT NULL REFERENCES dept(id), grade smallint NOT NULL)",
        "INSERT INTO dept SELECT gen_random_uuid(), 'D' || mod(i, 3) FROM generate_series(1, 20) i",
        "INSERT INTO emp SELECT row_number() OVER (), d.id, g FROM dept d, generate_series(1, 3) g",
    )
    data = RelationalData.from_sql(postgres_url)
    synth = _tiny_generate(data, seed=3)
    keys = synth["dept"]["id"]
    assert keys.str.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}").all()
    assert keys.is_unique and set(synth["emp"]["dept"]) <= set(keys)
    assert _tiny_generate(data, seed=3)["dept"]["id"].tolist() == keys.tolist()
    synth.to_sql(postgres_url, schema_name="synth")
    types = {
        (t, c): (d, n) for t, c, _, d, _, _, _, n in rows(postgres_url, COLUMNS, schema="synth", tables=["dept", "emp"])
    }
    assert types[("dept", "id")] == ("uuid", "NO") and types[("emp", "dept")] == ("uuid", "NO")
    assert rows(postgres_url, "SELECT count(*) FROM synth.emp e JOIN public.dept d ON d.id = e.dept") == [(0,)]


def test_a_uuid_column_that_is_no_key_is_an_identifier_generated_fresh(postgres_url: str) -> None:
    """A uuid column outside the keys (a session's public id) made from_sql refuse the whole database
    ("no kind for uuid"): it is an identifier, written back as fresh uuids, null where the source is."""
    run_sql(
        postgres_url,
        "CREATE TABLE session (id integer PRIMARY KEY, public_id uuid, minutes integer NOT NULL)",
        "INSERT INTO session SELECT i, CASE WHEN mod(i, 5) = 0 THEN NULL ELSE gen_random_uuid() END, mod(i, 60) "
        "FROM generate_series(1, 60) i",
        "CREATE TABLE click (id integer PRIMARY KEY, session integer NOT NULL REFERENCES session)",
        "INSERT INTO click SELECT i, 1 + mod(i * 7, 60) FROM generate_series(1, 150) i",
    )
    data = RelationalData.from_sql(postgres_url)
    assert data.schema.tables["session"].columns["public_id"].kind is Column.IDENTIFIER
    synth = _tiny_generate(data, seed=0)
    ids = synth["session"]["public_id"].dropna()
    assert len(ids) and ids.str.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}").all()
    assert not ids.isin(set(data["session"]["public_id"].dropna())).any()
    synth.to_sql(postgres_url, schema_name="synth")
    types = {(t, c): d for t, c, _, d, _, _, _, _ in rows(postgres_url, COLUMNS, schema="synth", tables=["session"])}
    assert types[("session", "public_id")] == "uuid"


def test_a_key_to_another_schema_gives_ways_out_that_work(postgres_url: str) -> None:
    """A key to a table of another schema said 'add it to tables=', which names tables of schema_name
    only and was refused; with a same-named table in the schema read, the key was taken as a key to it."""
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE public.country (code char(2) PRIMARY KEY, name text NOT NULL)")
        conn.exec_driver_sql("CREATE SCHEMA sales")
        conn.exec_driver_sql(
            "CREATE TABLE sales.customer (id integer PRIMARY KEY, country char(2) NOT NULL REFERENCES public.country)"
        )
        conn.exec_driver_sql("INSERT INTO public.country VALUES ('FR', 'France')")
        conn.exec_driver_sql("INSERT INTO sales.customer VALUES (1, 'FR'), (2, 'FR')")
    with pytest.raises(SchemaError, match=r"customer\.country references public\.country, in another schema") as err:
        RelationalData.from_sql(postgres_url, schema_name="sales")
    assert "add it to tables=" not in str(err.value)
    data = RelationalData.from_sql(
        postgres_url, schema_name="sales", overrides={"customer": {"country": "categorical"}}
    )
    assert data["customer"]["country"].tolist() == ["FR", "FR"]
    with engine.begin() as conn:  # a table of the same name in the schema read is not the one referenced
        conn.exec_driver_sql("CREATE TABLE sales.country (code char(2) PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO sales.country VALUES ('DE')")
    engine.dispose()
    with pytest.raises(SchemaError, match=r"customer\.country references public\.country, in another schema"):
        RelationalData.from_sql(postgres_url, schema_name="sales")


def test_times_with_time_zone_keep_their_instant(postgres_url: str) -> None:
    """timetz values lost their offset (09:00+02 was written back as 09:00+00): they are held as
    naive UTC and written back as UTC, whatever the session's zone."""
    name = sa.make_url(postgres_url).database
    rows(postgres_url, "SELECT 1")
    engine = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET timezone = 'Asia/Tokyo'")
        conn.exec_driver_sql("CREATE TABLE visit (id INTEGER PRIMARY KEY, opens TIMETZ NOT NULL)")
        conn.exec_driver_sql("INSERT INTO visit VALUES (1, '09:00:00+02'), (2, '23:30:00-01')")
    engine.dispose()
    data = RelationalData.from_sql(postgres_url)
    assert data["visit"]["opens"].tolist() == [dt.time(7, 0), dt.time(0, 30)]
    data.to_sql(postgres_url, schema_name="copy")
    utc = "SELECT v.id FROM visit v JOIN copy.visit c ON c.id = v.id AND c.opens AT TIME ZONE 'UTC' = v.opens AT TIME ZONE 'UTC'"
    assert sorted(rows(postgres_url, utc)) == [(1,), (2,)]
    assert rows(postgres_url, "SELECT opens::text FROM copy.visit ORDER BY id") == [("07:00:00+00",), ("00:30:00+00",)]


def test_append_into_own_tables_with_enum_and_jsonb_columns(postgres_url: str) -> None:
    """Appending into tables created with one's own DDL (the way to keep enum types) failed: every
    value was bound as a VARCHAR parameter, which an enum column refuses ('column "status" is of
    type visit_status but expression is of type character varying'). Such columns are bound
    untyped, so the server reads each value as its column's type; a JSON text becomes jsonb."""
    run_sql(
        postgres_url,
        "CREATE TYPE visit_status AS ENUM ('open', 'closed')",
        "CREATE TABLE visit (id integer PRIMARY KEY, status visit_status NOT NULL, meta jsonb, "
        "fee numeric(10,2) NOT NULL)",
        "INSERT INTO visit VALUES (1, 'open', '{\"a\": 1}', 10.5), (2, 'closed', NULL, 3), (3, 'open', '[1]', 0)",
        "CREATE SCHEMA mine",
        "CREATE TABLE mine.visit (id integer PRIMARY KEY, status visit_status NOT NULL, meta jsonb, "
        "fee numeric(10,2) NOT NULL CHECK (fee >= 0))",
    )
    data = RelationalData.from_sql(postgres_url, tables=["visit"], overrides={"visit": {"meta": "categorical"}})
    data.to_sql(postgres_url, schema_name="mine", if_exists="append")
    assert rows(postgres_url, "SELECT id, status::text, meta, fee::text FROM mine.visit ORDER BY id") == [
        (1, "open", {"a": 1}, "10.50"),
        (2, "closed", None, "3.00"),
        (3, "open", [1], "0.00"),
    ]


def test_flags_spelled_as_text_or_an_enum_are_booleans_written_back_as_spelled(postgres_url: str) -> None:
    """A survey's 'Y'/'N' answers in a VARCHAR(1), and 'yes'/'no' in an enum type, were labels read from
    the database but booleans read from files (`Schema.infer`): both read as booleans, and written back
    in their spelling and type (the enum recreated); a declared BOOLEAN stays one."""
    run_sql(
        postgres_url,
        "CREATE TYPE yes_no AS ENUM ('yes', 'no')",
        "CREATE TABLE answer (id integer PRIMARY KEY, yn varchar(1) NOT NULL, agreed yes_no, done boolean NOT NULL)",
        "INSERT INTO answer VALUES (1, 'Y', 'yes', true), (2, 'N', NULL, false), (3, 'N', 'no', true)",
    )
    data = RelationalData.from_sql(postgres_url)
    kinds = {c: k.kind for c, k in data.schema.tables["answer"].columns.items()}
    assert [c for c, k in kinds.items() if k is Column.BOOLEAN] == ["yn", "agreed", "done"]
    data.to_sql(postgres_url, schema_name="copy")
    assert rows(postgres_url, "SELECT yn, agreed::text, done FROM copy.answer ORDER BY id") == [
        ("Y", "yes", True),
        ("N", None, False),
        ("N", "no", True),
    ]
    types = {c: d for t, c, _, d, *_ in rows(postgres_url, COLUMNS, schema="copy", tables=["answer"])}
    assert types["yn"] == "character varying" and types["agreed"] == "USER-DEFINED" and types["done"] == "boolean"


def test_columns_without_a_kind_can_be_left_out(postgres_url: str) -> None:
    """A bytea, jsonb or array column stopped from_sql, and the only way out was to leave its whole
    table out (the root table of patients, here): `exclude` leaves the columns out instead."""
    run_sql(
        postgres_url,
        'CREATE TABLE "Patient" ("Patient ID" uuid PRIMARY KEY, photo bytea, tags text[], born date NOT NULL)',
        'CREATE TABLE visit (id integer PRIMARY KEY, "Patient ID" uuid NOT NULL REFERENCES "Patient", '
        'referrer uuid REFERENCES "Patient", fee numeric(10,2) NOT NULL)',
        "INSERT INTO \"Patient\" SELECT gen_random_uuid(), '\\x00ff'::bytea, ARRAY['a'], DATE '2000-01-01' + i "
        "FROM generate_series(1, 5) i",
        'INSERT INTO visit SELECT row_number() OVER (), "Patient ID", "Patient ID", 12.5 FROM "Patient"',
    )
    with pytest.raises(
        SchemaError, match=r"""Patient\.photo has SQL type BYTEA\(\), .*exclude=\{'Patient': \['photo'\]\}"""
    ):
        RelationalData.from_sql(postgres_url)
    exclude = {"Patient": ["photo", "tags"], "visit": "referrer"}
    data = RelationalData.from_sql(postgres_url, exclude=exclude)
    assert list(data["Patient"].columns) == ["Patient ID", "born"] and list(data["visit"]) == [
        "id",
        "Patient ID",
        "fee",
    ]
    assert data.schema.roots == ["Patient"] and data.n_rows() == {"Patient": 5, "visit": 5}
    source = SQLSource(postgres_url, exclude=exclude)
    assert source.schema == data.schema and source.sample(2, seed=0).n_rows() == {"Patient": 2, "visit": 2}
    with pytest.raises(SchemaError, match=r"exclude names column\(s\) \['nope'\] of 'visit'"):
        RelationalData.from_sql(postgres_url, exclude={"visit": ["nope"]})
    with pytest.raises(SchemaError, match=r"exclude names 'visit''s primary key \['id'\]"):
        RelationalData.from_sql(postgres_url, exclude={"visit": ["id"], "Patient": ["photo", "tags"]})


def test_a_column_read_with_a_given_kind_keeps_its_not_null(postgres_url: str) -> None:
    """An interval column declared NOT NULL, read as categorical through overrides (relsynth has no
    kind for intervals), was written back as a nullable TEXT: its NOT NULL was lost with its type."""
    run_sql(
        postgres_url,
        "CREATE TABLE stay (id integer PRIMARY KEY, los interval NOT NULL, note interval)",
        "INSERT INTO stay VALUES (1, '30 minutes', NULL), (2, '1 hour', '2 hours')",
    )
    data = RelationalData.from_sql(postgres_url, overrides={"stay": {"los": "categorical", "note": "categorical"}})
    assert data.not_null_columns("stay") == ["los"]
    data.to_sql(postgres_url, schema_name="copy")
    nullable = {c: n for _, c, _, _, _, _, _, n in rows(postgres_url, COLUMNS, schema="copy", tables=["stay"])}
    assert nullable == {"id": "NO", "los": "NO", "note": "YES"}
    run_sql(
        postgres_url,
        "CREATE SCHEMA own",
        "CREATE TABLE own.stay (id integer PRIMARY KEY, los interval NOT NULL, note interval)",
    )
    data.to_sql(postgres_url, schema_name="own", if_exists="append")
    assert rows(postgres_url, "SELECT * FROM own.stay ORDER BY id") == rows(
        postgres_url, "SELECT * FROM stay ORDER BY id"
    )


def test_inference_names_enum_and_zoned_types_as_the_catalog_has_them(postgres_url: str) -> None:
    """schema.inference said 'SQL type VARCHAR(7)' for an enum column and 'SQL type TIMESTAMP' for a
    timestamptz one, as if the type or the zone had been lost on reading."""
    run_sql(
        postgres_url,
        "CREATE TYPE plan_t AS ENUM ('basic', 'premium')",
        "CREATE TABLE member (id integer PRIMARY KEY, plan plan_t, joined timestamptz, at timetz)",
        "INSERT INTO member VALUES (1, 'basic', now(), '09:00+02'), (2, 'premium', now(), NULL)",
    )
    why = RelationalData.from_sql(postgres_url).schema.inference["member"]
    assert why["plan"] == (
        "SQL type ENUM plan_t ('basic', 'premium'), written back as such on PostgreSQL, elsewhere as VARCHAR(7)"
    )
    assert why["joined"] == "SQL type TIMESTAMP WITH TIME ZONE" and why["at"] == "SQL type TIME WITH TIME ZONE"


def test_intervals_are_read_as_seconds_and_written_back_as_intervals(postgres_url: str) -> None:
    """An interval column (a stay's length) had no kind: from_sql refused it, and the kinds one
    could give refused its values or made them strings ('1 day, 1:00:00'). It is read as numeric
    seconds (as PostgreSQL compares them: a month 30 days, a year 12 months) and written back as an interval."""
    run_sql(
        postgres_url,
        "CREATE TABLE stay (id integer PRIMARY KEY, los interval NOT NULL, wait interval day to second(3), "
        "term interval year to month)",
        "INSERT INTO stay VALUES (1, '1 day 01:00:00', NULL, '1 year 2 mons'), (2, '00:30:00', '-1.5 seconds', NULL), "
        "(3, '40 days 00:00:00.25', '2 hours', '1 mon')",
    )
    data = RelationalData.from_sql(postgres_url)
    assert all(data.schema.tables["stay"].columns[c].kind is Column.NUMERIC for c in ("los", "wait", "term"))
    why = data.schema.inference["stay"]
    assert why["los"] == "SQL type INTERVAL, read as seconds"
    assert why["wait"] == "SQL type INTERVAL DAY TO SECOND(3), read as seconds, written back as INTERVAL(3)"
    assert why["term"] == "SQL type INTERVAL YEAR TO MONTH, read as seconds, written back as INTERVAL"
    assert data["stay"]["los"].tolist() == [90_000.0, 1_800.0, 40 * 86_400 + 0.25]
    assert data["stay"]["wait"].dtype == "float64" and data["stay"]["wait"].tolist()[1:] == [-1.5, 7_200.0]
    assert data["stay"]["term"].iloc[[0, 2]].tolist() == [420 * 86_400.0, 30 * 86_400.0]
    assert data["stay"]["wait"].isna().tolist() == [True, False, False] and data["stay"]["term"].isna().sum() == 1
    sample = SQLSource(postgres_url).sample(3, seed=0)
    pd.testing.assert_frame_equal(sample["stay"], data["stay"])
    assert sample.formats == data.formats
    data.to_sql(postgres_url, schema_name="copy")
    types = {c: (d, n) for _, c, _, d, *_, n in rows(postgres_url, COLUMNS, schema="copy", tables=["stay"])}
    assert types == {
        "id": ("integer", "NO"),
        "los": ("interval", "NO"),
        "wait": ("interval", "YES"),
        "term": ("interval", "YES"),
    }
    assert rows(postgres_url, "SELECT * FROM copy.stay ORDER BY id") == rows(
        postgres_url, "SELECT * FROM stay ORDER BY id"
    )


def test_rows_naming_later_rows_of_their_own_table_are_written(postgres_url: str) -> None:
    """A forum's question names its accepted answer, a later post that names the question as its
    parent: no order of the rows writes both, and PostgreSQL checks each row's keys as it is
    inserted, so to_sql of the forum read back failed (ForeignKeyViolation: accepted_answer_id=3 is
    not present). Such keys are inserted null and set once the table's rows are all written."""
    run_sql(
        postgres_url,
        "CREATE TABLE post (id integer PRIMARY KEY, parent integer REFERENCES post(id), "
        "accepted integer REFERENCES post(id), kind integer NOT NULL)",
        "ALTER TABLE post ALTER CONSTRAINT post_accepted_fkey DEFERRABLE INITIALLY DEFERRED",
        "INSERT INTO post VALUES (1, NULL, 3, 1), (2, 1, NULL, 2), (3, 1, NULL, 2), (4, 4, 4, 2)",
    )
    data = RelationalData.from_sql(postgres_url)
    data.to_sql(postgres_url, schema_name="copy")
    for target in ("copy", "own"):
        if target == "own":  # into tables of one's own, too
            run_sql(
                postgres_url,
                "CREATE SCHEMA own",
                "CREATE TABLE own.post (LIKE public.post INCLUDING ALL)",
                "ALTER TABLE own.post ADD FOREIGN KEY (accepted) REFERENCES own.post(id)",
                "ALTER TABLE own.post ADD FOREIGN KEY (parent) REFERENCES own.post(id)",
            )
            data.to_sql(postgres_url, schema_name="own", if_exists="append")
        assert rows(postgres_url, f"SELECT * FROM {target}.post ORDER BY id") == rows(
            postgres_url, "SELECT * FROM post ORDER BY id"
        )


def test_rows_naming_later_rows_by_a_composite_key_of_their_own_table_are_written(postgres_url: str) -> None:
    """A sub-task names its parent by (tenant_id, parent_id) -> subtasks (tenant_id, id). Rows
    naming a row not written yet were inserted as they were: PostgreSQL checks each row's keys, so
    the copy failed with ForeignKeyViolation. Their parent_id (the column not in the primary key:
    a null in it exempts the row) is inserted null and set once the table's rows are written."""
    run_sql(
        postgres_url,
        "CREATE TABLE tenants (id integer PRIMARY KEY)",
        "CREATE TABLE subtasks (tenant_id integer NOT NULL REFERENCES tenants(id), id integer NOT NULL, "
        "parent_id integer, PRIMARY KEY (tenant_id, id), "
        "FOREIGN KEY (tenant_id, parent_id) REFERENCES subtasks (tenant_id, id) DEFERRABLE INITIALLY DEFERRED)",
        "INSERT INTO tenants VALUES (1), (2)",
        "INSERT INTO subtasks VALUES (1, 1, 2), (1, 2, NULL), (2, 1, NULL), (2, 2, 1), (2, 3, 3)",
    )
    data = RelationalData.from_sql(postgres_url)
    data.to_sql(postgres_url, schema_name="copy")
    assert rows(postgres_url, "SELECT * FROM copy.subtasks ORDER BY tenant_id, id") == rows(
        postgres_url, "SELECT * FROM subtasks ORDER BY tenant_id, id"
    )


def test_tables_naming_each_other_are_written(postgres_url: str) -> None:
    """Sakila's store names its manager, a staff member their store: from_sql refused the cycle.
    Now it is read (the manager a reference) and written back, into new tables (the manager's key
    checked at commit) and into tables of one's own whose keys PostgreSQL checks at each insert."""
    ddl_ = (
        "CREATE TABLE {s}.store (store_id integer PRIMARY KEY, manager integer)",
        "CREATE TABLE {s}.staff (staff_id integer PRIMARY KEY, store_id integer NOT NULL REFERENCES {s}.store)",
        "ALTER TABLE {s}.store ADD FOREIGN KEY (manager) REFERENCES {s}.staff(staff_id)",
    )
    run_sql(postgres_url, *(d.format(s="public") for d in ddl_))
    run_sql(
        postgres_url,
        "INSERT INTO store VALUES (1, NULL), (2, NULL)",
        "INSERT INTO staff VALUES (1, 1), (2, 2), (3, 1)",
        "UPDATE store SET manager = store_id",
    )
    data = RelationalData.from_sql(postgres_url)
    assert data.schema.deferred_keys() == {"store": {"manager": "staff"}}
    data.to_sql(postgres_url, schema_name="copy")
    run_sql(postgres_url, "CREATE SCHEMA own", *(d.format(s="own") for d in ddl_))
    data.to_sql(postgres_url, schema_name="own", if_exists="append")
    for target in ("copy", "own"):
        for table in ("store", "staff"):
            assert rows(postgres_url, f"SELECT * FROM {target}.{table} ORDER BY 1") == rows(
                postgres_url, f"SELECT * FROM {table} ORDER BY 1"
            )
    data.to_sql(postgres_url, schema_name="copy", if_exists="replace")  # its tables name each other
    assert rows(postgres_url, "SELECT * FROM copy.store ORDER BY 1") == rows(
        postgres_url, "SELECT * FROM store ORDER BY 1"
    )


def test_append_into_own_tables_with_identity_and_generated_columns(postgres_url: str) -> None:
    """Appending into tables made with the source's own DDL (pg_dump -s) failed on the first row:
    'cannot insert a non-DEFAULT value into column "id"' for a GENERATED ALWAYS identity key, and
    likewise for a GENERATED ALWAYS AS (...) STORED column. The keys are inserted as given
    (OVERRIDING SYSTEM VALUE: children reference them), the generated column is left to the server,
    and the key's sequence continues after the keys written, so the next INSERT of one's own works."""
    table = (
        "(id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, qty smallint NOT NULL, price numeric(10,2) NOT NULL, "
        "total numeric(12,2) GENERATED ALWAYS AS (qty * price) STORED)"
    )
    run_sql(
        postgres_url,
        f"CREATE TABLE line {table}",
        "INSERT INTO line (qty, price) VALUES (2, 1.50), (1, 4), (3, 0.25)",
        "CREATE SCHEMA mine",
        f"CREATE TABLE mine.line {table}",
    )
    data = RelationalData.from_sql(postgres_url, tables=["line"])
    data["line"]["total"] = 99.0  # the server computes it, whatever relsynth holds
    data.to_sql(postgres_url, schema_name="mine", if_exists="append")
    assert rows(postgres_url, "SELECT id, qty, total::text FROM mine.line ORDER BY id") == [
        (1, 2, "3.00"),
        (2, 1, "4.00"),
        (3, 3, "0.75"),
    ]
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("INSERT INTO mine.line (qty, price) VALUES (1, 1) RETURNING id").scalar_one() == 4
    engine.dispose()


def test_money_is_read_as_a_number_and_written_back_as_money(postgres_url: str, tmp_path: Path) -> None:
    """A money column stopped from_sql ('SQL type MONEY(), which relsynth has no kind for'), and read
    through overrides as numeric every value was refused: the driver returns money as text in the
    server's currency format ('$46.62'). It is read as a number (selected as numeric) and written
    back as money to PostgreSQL, as NUMERIC(19, 2) elsewhere."""
    run_sql(
        postgres_url,
        "CREATE TABLE product (id integer PRIMARY KEY, list_price money NOT NULL, fee money)",
        "CREATE SCHEMA mine",
        "CREATE TABLE mine.product (id integer PRIMARY KEY, list_price money NOT NULL, fee money)",
        "INSERT INTO product VALUES (1, 46.62, NULL), (2, 1234.5, 0.1), (3, -3, 7)",
    )
    data = RelationalData.from_sql(postgres_url)
    assert data.schema.tables["product"].columns["list_price"].kind is Column.NUMERIC
    assert data["product"]["list_price"].tolist() == [46.62, 1234.5, -3.0]
    data.to_sql(postgres_url, schema_name="copy")
    types = {c: (d, n) for _, c, _, d, _, _, _, n in rows(postgres_url, COLUMNS, schema="copy", tables=["product"])}
    assert types["list_price"] == ("money", "NO") and types["fee"] == ("money", "YES")
    assert rows(postgres_url, "SELECT list_price::numeric, fee::numeric FROM copy.product ORDER BY id") == rows(
        postgres_url, "SELECT list_price::numeric, fee::numeric FROM product ORDER BY id"
    )
    target = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    data.to_sql(target)
    assert rows(target, "SELECT list_price, fee FROM product ORDER BY id") == [(46.62, None), (1234.5, 0.1), (-3, 7)]
    assert "NUMERIC(19, 2)" in rows(target, "SELECT sql FROM sqlite_master WHERE name = 'product'")[0][0]
    # numbers that never came from money, appended into a money column of one's own
    prices = pd.DataFrame({"id": [1, 2], "list_price": [9.99, 120.0], "fee": [None, 0.5]})
    schema = Schema(product=Table(id=PrimaryKey(), list_price=Numeric(), fee=Numeric()))
    RelationalData({"product": prices}, schema).to_sql(postgres_url, schema_name="mine", if_exists="append")
    assert rows(postgres_url, "SELECT list_price::text, fee::text FROM mine.product ORDER BY id") == [
        ("$9.99", None),
        ("$120.00", "$0.50"),
    ]


GENERATED = """
    SELECT column_name, is_identity, identity_generation, is_generated, generation_expression
    FROM information_schema.columns WHERE table_schema = :schema AND table_name = 'line' ORDER BY ordinal_position
"""


def test_identity_and_generated_columns_are_written_back_as_such(postgres_url: str, tmp_path: Path) -> None:
    """to_sql wrote a GENERATED ALWAYS AS (...) STORED column as a plain one holding the model's
    values (an order's year 2031 beside its date in 2020: nothing ties a generated value to its
    expression), and a GENERATED ALWAYS AS IDENTITY key as a plain integer without its sequence,
    so the next INSERT of one's own failed on the NULL key. Into PostgreSQL, from PostgreSQL, both
    are recreated: the server computes the column, the keys go in as generated and the identity
    continues after them. Elsewhere they are plain columns holding the values."""
    run_sql(
        postgres_url,
        "CREATE TABLE line (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamp NOT NULL, "
        "qty smallint NOT NULL, price numeric(10,2) NOT NULL, "
        "total numeric(12,2) GENERATED ALWAYS AS (qty * price) STORED, "
        "year integer NOT NULL GENERATED ALWAYS AS (extract(year FROM at)::integer) STORED)",
        "INSERT INTO line (at, qty, price) VALUES ('2020-05-01 10:00', 2, 1.50), ('2021-01-02 08:30', 1, 4)",
    )
    data = RelationalData.from_sql(postgres_url)
    data["line"]["year"] = 2031  # as a model may generate them: the server computes them
    data["line"]["total"] = None
    data.to_sql(postgres_url, schema_name="copy")
    assert rows(postgres_url, GENERATED, schema="copy") == rows(postgres_url, GENERATED, schema="public")
    assert rows(postgres_url, "SELECT id, year, total::text FROM copy.line ORDER BY id") == [
        (1, 2020, "3.00"),
        (2, 2021, "4.00"),
    ]
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        new = "INSERT INTO copy.line (at, qty, price) VALUES ('2022-03-03', 1, 1) RETURNING id, year"
        assert conn.exec_driver_sql(new).one() == (3, 2022)
    engine.dispose()
    target = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    data.to_sql(target)
    assert rows(target, "SELECT id, year, total FROM line ORDER BY id") == [(1, 2031, None), (2, 2031, None)]
    # a serial key comes back as an identity (BY DEFAULT), which numbers the rows alike
    run_sql(
        postgres_url,
        "CREATE TABLE tag (id serial PRIMARY KEY, label text NOT NULL)",
        "INSERT INTO tag (label) VALUES ('a'), ('b')",
    )
    RelationalData.from_sql(postgres_url, ["tag"]).to_sql(postgres_url, schema_name="tags")
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("INSERT INTO tags.tag (label) VALUES ('c') RETURNING id").scalar_one() == 3
    engine.dispose()


def test_tables_that_are_not_there_are_told_apart(postgres_url: str) -> None:
    """tables=[...] naming a view said it was 'not in the database' (it is, as a view, which from_sql
    rightly does not read as a table), a table named in the wrong case said the same beside the
    right name (quoted mixed-case identifiers: "Customer"), and a schema named in the wrong case
    said only 'no tables in schema 'Shop''. Each now says what it is, or which name is meant."""
    run_sql(
        postgres_url,
        'CREATE SCHEMA shop; CREATE TABLE shop."Customer" (id integer PRIMARY KEY, age smallint)',
        'CREATE VIEW shop.adults AS SELECT * FROM shop."Customer" WHERE age >= 18',
        'CREATE MATERIALIZED VIEW shop.ages AS SELECT age, count(*) FROM shop."Customer" GROUP BY 1',
    )
    with pytest.raises(SchemaError) as err:
        RelationalData.from_sql(postgres_url, ["Customer", "adults", "ages", "customer"], schema_name="shop")
    message = str(err.value)
    assert "'adults' is a view" in message and "'ages' is a materialized view" in message
    assert "'customer' is not in schema 'shop', which has 'Customer' (tables= matches names exactly" in message
    with pytest.raises(SchemaError, match=r"no tables in schema 'Shop'; the schemas with tables are \['shop'\]"):
        RelationalData.from_sql(postgres_url, schema_name="Shop")
    assert RelationalData.from_sql(postgres_url, schema_name="shop").n_rows() == {"Customer": 0}


def test_fractional_seconds_precision_of_times_is_written_back(postgres_url: str) -> None:
    """timestamp(3), time(0) and their zoned kinds came back as timestamp and time: PostgreSQL's
    default of 6 digits, so a column that held milliseconds took microseconds. Their precision is
    kept, as an interval's and a numeric's are."""
    run_sql(
        postgres_url,
        "CREATE TABLE t (id integer PRIMARY KEY, a timestamp(3), b time(0), c timestamptz(0), d timetz(2), e timestamp)",
        "INSERT INTO t VALUES (1, '2020-01-01 10:00:00.123', '10:00:01', '2020-01-01 10:00:00+02', '10:00:00.25+02', "
        "'2020-01-01 10:00:00.123456')",
    )
    RelationalData.from_sql(postgres_url).to_sql(postgres_url, schema_name="copy")
    precision = """SELECT column_name, data_type, datetime_precision FROM information_schema.columns
        WHERE table_schema = :schema AND table_name = 't' ORDER BY ordinal_position"""
    assert rows(postgres_url, precision, schema="copy") == rows(postgres_url, precision, schema="public")
    assert rows(postgres_url, "SELECT a::text, b::text, e::text FROM copy.t") == [
        ("2020-01-01 10:00:00.123", "10:00:01", "2020-01-01 10:00:00.123456")
    ]


def test_a_type_sqlalchemy_does_not_know_is_named_as_the_catalog_names_it(postgres_url: str) -> None:
    """An xml or point column stopped from_sql with 'has SQL type NullType()': SQLAlchemy's name for
    a type it does not know, which says nothing of the column. The catalog's name is given."""
    run_sql(
        postgres_url,
        "CREATE TYPE pair AS (a int, b int)",
        "CREATE TABLE t (id integer PRIMARY KEY, doc xml, at point, p pair)",
    )
    with pytest.warns(sa.exc.SAWarning), pytest.raises(SchemaError) as err:
        RelationalData.from_sql(postgres_url)
    message = str(err.value)
    assert "t.doc has SQL type xml," in message and "t.at has SQL type point," in message
    assert "t.p has SQL type pair," in message and "NullType" not in message


def test_a_generated_column_the_target_cannot_compute_holds_its_values(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A generated column whose expression names the source's enum type ((status = 'paid'::st),
    as PostgreSQL keeps it) stopped the whole write ('type "st" does not exist' in another
    database, 'operator does not exist: character varying = st' in this one): enums are written
    as VARCHAR. Its table is then made with a plain column holding the values, and a
    warning says which column and why."""
    run_sql(
        postgres_url,
        "CREATE TYPE st AS ENUM ('new', 'paid')",
        "CREATE TABLE o (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, status st NOT NULL, "
        "is_paid boolean GENERATED ALWAYS AS (status = 'paid') STORED)",
        "INSERT INTO o (status) VALUES ('new'), ('paid'), ('paid')",
    )
    with caplog.at_level("WARNING", logger="relsynth.relational.sql"):
        RelationalData.from_sql(postgres_url).to_sql(postgres_url, schema_name="copy")
    # here the type exists (the source is in the same database), but no VARCHAR = st operator
    assert "generated column(s) ['o.is_paid'] could not be recreated (operator does not exist" in caplog.text
    assert rows(postgres_url, "SELECT id, status, is_paid FROM copy.o ORDER BY id") == [
        (1, "new", False),
        (2, "paid", True),
        (3, "paid", True),
    ]
    identity = "SELECT is_identity FROM information_schema.columns WHERE table_schema = 'copy' AND column_name = 'id'"
    assert rows(postgres_url, identity) == [("YES",)]


def test_replace_says_what_depends_on_a_table_it_would_drop(postgres_url: str) -> None:
    """if_exists='replace' over a table a view depends on failed with PostgreSQL's own 'cannot drop
    table ... HINT: Use DROP ... CASCADE', advice to_sql cannot take; it now names the table and
    what depends on it, says nothing was written and how to go on."""
    every_kind().to_sql(postgres_url)
    run_sql(postgres_url, "CREATE VIEW big_sales AS SELECT * FROM sale WHERE quantity > 1")
    before = rows(postgres_url, "SELECT * FROM sale ORDER BY id")
    with pytest.raises(ValueError) as err:
        every_kind().to_sql(postgres_url, if_exists="replace")
    message = str(err.value)
    assert "cannot drop table 'sale' to replace it: view big_sales depends on table sale" in message
    assert "nothing was written" in message and "schema_name=" in message
    assert rows(postgres_url, "SELECT * FROM sale ORDER BY id") == before


def test_partitions_are_read_through_their_partitioned_table(postgres_url: str) -> None:
    """A table partitioned by year was read three times over: the partitioned table (500 rows) and
    each partition as a table of its own (ev_2020: 365, ev_2021: 135 rows, the same rows again),
    and written back as three unrelated tables. A partition is read through its table unless named."""
    run_sql(
        postgres_url,
        "CREATE TABLE cust (id integer PRIMARY KEY, age smallint)",
        "CREATE TABLE ev (id integer, cust_id integer REFERENCES cust, at date NOT NULL, score real, "
        "PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
        "CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')",
        "CREATE TABLE ev_2021 PARTITION OF ev FOR VALUES FROM ('2021-01-01') TO ('2022-01-01')",
        "INSERT INTO cust SELECT i, 20 + i %% 50 FROM generate_series(1, 100) i",
        "INSERT INTO ev SELECT i, 1 + i %% 100, DATE '2020-01-01' + (i %% 700), i %% 7 FROM generate_series(1, 500) i",
    )
    assert RelationalData.from_sql(postgres_url).n_rows() == {"cust": 100, "ev": 500}
    assert RelationalData.from_sql(postgres_url, ["cust", "ev_2021"]).n_rows() == {"cust": 100, "ev_2021": 135}


def test_a_domain_is_read_as_its_base_type(postgres_url: str) -> None:
    """A column of a domain over integer or varchar (CREATE DOMAIN posint AS integer CHECK (VALUE >
    0)) stopped from_sql: "has SQL type DOMAIN('posint', INTEGER()), which relsynth has no kind
    for". It is read, and written back, as its base type (the domain's CHECK, like a table's, is not
    recreated)."""
    run_sql(
        postgres_url,
        "CREATE DOMAIN posint AS integer CHECK (VALUE > 0)",
        "CREATE DOMAIN code AS varchar(5) NOT NULL",
        "CREATE TABLE t (id integer PRIMARY KEY, age posint, c code)",
        "INSERT INTO t VALUES (1, 30, 'ab'), (2, 41, 'cd'), (3, NULL, 'ab')",
    )
    data = RelationalData.from_sql(postgres_url)
    assert data.schema.tables["t"].columns["age"].kind is Column.INTEGER
    assert data["t"]["age"].tolist()[:2] == [30, 41] and data["t"]["c"].tolist() == ["ab", "cd", "ab"]
    data.to_sql(postgres_url, schema_name="copy")
    types = "SELECT column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_schema = 'copy' ORDER BY ordinal_position"
    assert rows(postgres_url, types) == [
        ("id", "integer", None),
        ("age", "integer", None),
        ("c", "character varying", 5),
    ]


def test_a_failure_not_of_the_expressions_is_not_blamed_on_them(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Where creating the tables failed for another reason than a generated column's expression (an
    index already named as a table to write), a warning still said the generated columns 'could not
    be recreated' before the real error; only the real error is raised now."""
    run_sql(
        postgres_url,
        "CREATE TABLE line (id integer PRIMARY KEY, qty smallint NOT NULL, "
        "total integer GENERATED ALWAYS AS (qty * 2) STORED)",
        "INSERT INTO line (id, qty) VALUES (1, 2), (2, 3)",
        "CREATE SCHEMA copy; CREATE TABLE copy.other (x integer); CREATE INDEX line ON copy.other (x)",
    )
    data = RelationalData.from_sql(postgres_url, ["line"])
    with caplog.at_level("WARNING", logger="relsynth.relational.sql"), pytest.raises(sa.exc.ProgrammingError):
        data.to_sql(postgres_url, schema_name="copy")
    assert "could not be recreated" not in caplog.text


def test_a_view_named_as_a_table_to_write_is_named(postgres_url: str) -> None:
    """A view in the target named as a table to write failed the write with the server's 'relation
    "sale" already exists' from CREATE TABLE, with if_exists='replace' too (only tables are dropped)."""
    run_sql(postgres_url, "CREATE VIEW sale AS SELECT 1 AS id")
    for if_exists in ("fail", "replace"):
        with pytest.raises(ValueError, match=r"has view\(s\) \['sale'\] named as tables to write: nothing was written"):
            every_kind().to_sql(postgres_url, if_exists=if_exists)
    assert rows(postgres_url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'") == [
        ("sale",)
    ]


# ---- several schemas (AdventureWorks' person, hr, sales, production) ---------------------------------
SCHEMAS = ["person", "hr", "sales", "production"]


def adventure_works(url: str, n_people: int = 80) -> None:
    """person.person <- hr.employees, sales.customer <- sales.orders (-> hr.employees) <- sales.order_line
    (-> production.product): keys across the four schemas, a composite key, a lookup per schema."""
    people = ", ".join(f"({i}, 'name {i % 7}', '{1950 + i % 40}-01-0{1 + i % 9}')" for i in range(1, n_people + 1))
    customers = ", ".join(f"({c}, {20 + c}, '{'NSEW'[c % 4]}')" for c in range(1, n_people - 19))
    orders = ", ".join(
        f"({o}, {1 + o % 50}, {'NULL' if o % 3 else 101 + o % 20}, '2021-0{1 + o % 9}-10')" for o in range(1, 121)
    )
    lines = ", ".join(f"({o}, {n}, {1 + (o * n) % 6}, {n})" for o in range(1, 121) for n in range(1, 1 + o % 3 + 1))
    run_sql(
        url,
        "CREATE SCHEMA person; CREATE SCHEMA hr; CREATE SCHEMA sales; CREATE SCHEMA production",
        "CREATE TABLE person.person (id integer PRIMARY KEY, name varchar(30) NOT NULL, birth date)",
        "CREATE TABLE hr.department (id smallint PRIMARY KEY, name varchar(20) NOT NULL)",
        "CREATE TABLE hr.employees (id integer PRIMARY KEY, person_id integer NOT NULL REFERENCES person.person, "
        "department_id smallint NOT NULL REFERENCES hr.department, hired date NOT NULL)",
        "CREATE TABLE production.product (id integer PRIMARY KEY, name varchar(20) NOT NULL, price numeric(8,2))",
        "CREATE TABLE sales.customer (id integer PRIMARY KEY, person_id integer NOT NULL REFERENCES person.person, "
        "territory char(1) NOT NULL)",
        "CREATE TABLE sales.orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES sales.customer, "
        "salesperson_id integer REFERENCES hr.employees, ordered date NOT NULL)",
        "CREATE TABLE sales.order_line (order_id integer REFERENCES sales.orders, line_no smallint, "
        "product_id integer NOT NULL REFERENCES production.product, qty smallint NOT NULL, PRIMARY KEY (order_id, line_no))",
        f"INSERT INTO person.person VALUES {people}",
        "INSERT INTO hr.department VALUES (1, 'Sales'), (2, 'Engineering')",
        "INSERT INTO hr.employees VALUES "
        + ", ".join(f"({100 + e}, {e}, {1 + e % 2}, '2015-03-0{1 + e % 9}')" for e in range(1, 21)),
        "INSERT INTO production.product VALUES " + ", ".join(f"({p}, 'product {p}', {p * 10}.5)" for p in range(1, 7)),
        f"INSERT INTO sales.customer VALUES {customers}",
        f"INSERT INTO sales.orders VALUES {orders}",
        f"INSERT INTO sales.order_line VALUES {lines}",
    )


def test_several_schemas_are_read_with_their_keys_across_them(postgres_url: str) -> None:
    """from_sql read one schema, and a key to another (sales.orders.salesperson_id -> hr.employees)
    stopped the read: schema_name=[...] reads them all, each table named <schema>.<table>."""
    adventure_works(postgres_url)
    lookups = ["hr.department", "production.product"]
    data = RelationalData.from_sql(postgres_url, schema_name=SCHEMAS, lookups=lookups)
    assert sorted(data.schema.tables) == [
        "hr.department", "hr.employees", "person.person", "production.product",
        "sales.customer", "sales.order_line", "sales.orders",
    ]  # fmt: skip
    keys = {t: table.foreign_keys for t, table in data.schema.tables.items()}
    assert keys["sales.orders"] == {"customer_id": "sales.customer", "salesperson_id": "hr.employees"}
    assert keys["hr.employees"] == {"person_id": "person.person", "department_id": "hr.department"}
    assert keys["sales.order_line"] == {"order_id": "sales.orders", "product_id": "production.product"}
    assert data.schema.parent("sales.orders").parent == "sales.customer"
    assert data.n_rows()["sales.orders"] == 120 and data.schema.roots == ["person.person"]
    # tables=, overrides and exclude name the tables so too; a bare name says how to name it
    some = RelationalData.from_sql(
        postgres_url, ["person.person", "hr.employees", "hr.department"], schema_name=SCHEMAS
    )
    assert some.n_rows() == {"person.person": 80, "hr.employees": 20, "hr.department": 2}
    with pytest.raises(SchemaError, match=r"'employees' is not in schemas .*named with its schema, \['hr.employees'\]"):
        RelationalData.from_sql(postgres_url, ["employees"], schema_name=SCHEMAS)
    # one schema: the tables keep their own names, and a key to another schema names the schema to add
    with pytest.raises(
        SchemaError, match=r"orders\.salesperson_id references hr\.employees.*schema_name=\['sales', 'hr'\]"
    ):
        RelationalData.from_sql(postgres_url, schema_name="sales")
    with pytest.raises(SchemaError, match=r"sales\.customer\.person_id references person\.person.*'hr', 'person'\]"):
        RelationalData.from_sql(postgres_url, schema_name=["sales", "hr"])
    assert sorted(RelationalData.from_sql(postgres_url, schema_name="person").schema.tables) == ["person"]
    with pytest.raises(ValueError, match="schema_name names a schema twice"):
        RelationalData.from_sql(postgres_url, schema_name=["hr", "hr"])


def test_several_schemas_are_written_back_into_theirs(postgres_url: str, tmp_path: Path, caplog) -> None:
    """to_sql writes each table read from several schemas into its own (created when missing), with
    its keys across them; into one schema or SQLite under its whole name; DuckDB, which refuses keys
    across schemas, without those keys, saying so."""
    adventure_works(postgres_url)
    data = RelationalData.from_sql(postgres_url, schema_name=SCHEMAS, lookups=["hr.department", "production.product"])
    data.to_dir(tmp_path / "copy")  # where each table goes survives the files, as between Kedro nodes
    data = RelationalData.from_dir(tmp_path / "copy")
    data.to_sql(postgres_url, schema_name={s: f"{s}_copy" for s in SCHEMAS})
    for s in SCHEMAS:
        tables = [t.split(".")[1] for t in data.schema.tables if t.startswith(f"{s}.")]
        columns, keys = ddl(postgres_url, f"{s}_copy", tables)
        assert columns == ddl(postgres_url, s, tables)[0]
        assert {(t, kind, re.sub(r"\w+_copy\.", "", d)) for t, kind, d in keys} == {
            (t, kind, re.sub(r"\b(person|hr|sales|production)\.", "", d))
            for t, kind, d in ddl(postgres_url, s, tables)[1]
        }
    across = rows(postgres_url, CONSTRAINTS, schema="sales_copy", tables=["orders"])
    assert ("orders", "f", "FOREIGN KEY (salesperson_id) REFERENCES hr_copy.employees(id)") in across
    back = RelationalData.from_sql(
        postgres_url,
        schema_name=[f"{s}_copy" for s in SCHEMAS],
        lookups=["hr_copy.department", "production_copy.product"],
    )
    assert back.n_rows() == {t.replace(".", "_copy.", 1): n for t, n in data.n_rows().items()}
    # into one schema, or SQLite: one identifier, the whole name
    data.to_sql(postgres_url, schema_name="flat")
    flat = RelationalData.from_sql(postgres_url, schema_name="flat", lookups=["hr.department", "production.product"])
    assert flat.schema == data.schema and flat.n_rows() == data.n_rows()
    data.to_sql(f"sqlite:///{tmp_path / 'x.sqlite'}")
    lite = RelationalData.from_sql(
        f"sqlite:///{tmp_path / 'x.sqlite'}", lookups=["hr.department", "production.product"]
    )
    assert lite.schema.tables["sales.orders"].foreign_keys == {
        "customer_id": "sales.customer",
        "salesperson_id": "hr.employees",
    }
    assert lite.n_rows() == data.n_rows()
    # DuckDB: into the schemas, the keys across them without their FOREIGN KEY
    duck = f"duckdb:///{tmp_path / 'x.duckdb'}"
    with caplog.at_level("WARNING", logger="relsynth.relational.sql"):
        data.to_sql(duck)
    assert "sales.orders.salesperson_id" in caplog.text and "no foreign keys across schemas" in caplog.text
    again = RelationalData.from_sql(duck, schema_name=SCHEMAS, lookups=["hr.department", "production.product"])
    assert again.n_rows() == data.n_rows()
    assert again.schema.tables["sales.orders"].foreign_keys == {"customer_id": "sales.customer"}


def test_a_composite_key_across_schemas_is_written_back(postgres_url: str, tmp_path: Path, caplog) -> None:
    """sales.line (part_id, supp_id) -> production.partsupp: written back across the schemas on
    PostgreSQL; DuckDB's warning named part_id and supp_id too, keys the source never had (implied
    by the composite one, written without a key anyway), beside the composite key it drops."""
    run_sql(
        postgres_url,
        "CREATE SCHEMA sales; CREATE SCHEMA production",
        "CREATE TABLE production.part (id int PRIMARY KEY, name text NOT NULL)",
        "CREATE TABLE production.supplier (id int PRIMARY KEY, name text NOT NULL)",
        "CREATE TABLE production.partsupp (part_id int REFERENCES production.part, "
        "supp_id int REFERENCES production.supplier, PRIMARY KEY (part_id, supp_id))",
        "CREATE TABLE sales.orders (id int PRIMARY KEY, placed date NOT NULL)",
        "CREATE TABLE sales.line (id int PRIMARY KEY, order_id int NOT NULL REFERENCES sales.orders, "
        "part_id int NOT NULL, supp_id int NOT NULL, FOREIGN KEY (part_id, supp_id) REFERENCES production.partsupp)",
        "INSERT INTO production.part SELECT i, 'p' || i FROM generate_series(1, 60) i",
        "INSERT INTO production.supplier SELECT i, 's' || i FROM generate_series(1, 60) i",
        "INSERT INTO production.partsupp SELECT p, 1 + (p + k) %% 60 FROM generate_series(1, 60) p, generate_series(0, 1) k",
        "INSERT INTO sales.orders SELECT i, '2021-01-01'::date + i FROM generate_series(1, 80) i",
        "INSERT INTO sales.line SELECT i, 1 + i %% 80, 1 + i %% 60, 1 + (1 + i %% 60 + i %% 2) %% 60 "
        "FROM generate_series(1, 200) i",
    )
    data = RelationalData.from_sql(postgres_url, schema_name=["sales", "production"])
    data.to_sql(postgres_url, schema_name={"sales": "sales_copy", "production": "production_copy"})
    keys = rows(postgres_url, CONSTRAINTS, schema="sales_copy", tables=["line"])
    assert ("line", "f", "FOREIGN KEY (part_id, supp_id) REFERENCES production_copy.partsupp(part_id, supp_id)") in keys
    with caplog.at_level("WARNING", logger="relsynth.relational.sql"):
        data.to_sql(f"duckdb:///{tmp_path / 'x.duckdb'}")
    assert "across schemas: sales.line.(part_id, supp_id) written without" in caplog.text


def test_unique_constraints_over_several_columns_round_trip_through_postgres(postgres_url: str) -> None:
    """UNIQUE (user_id, post_id) of likes, which has its own key, and a unique index on
    (first_name, last_name, birth_date) are read into the schema and declared again by to_sql
    (replace), so PostgreSQL refuses a repeat as the source does; a synthetic database, generated
    keeping them, is written into them."""
    run_sql(
        postgres_url,
        "CREATE TABLE person (id INTEGER PRIMARY KEY, first_name VARCHAR(10), last_name VARCHAR(10), birth_date DATE)",
        "CREATE UNIQUE INDEX same_person ON person (first_name, last_name, birth_date)",
        "INSERT INTO person VALUES "
        + ", ".join(f"({i}, 'f{i % 4}', 'l{i % 3}', '2000-01-0{1 + i // 12}')" for i in range(40)),
        "CREATE TABLE likes (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES person (id), "
        "post_id INTEGER NOT NULL, CONSTRAINT one_like UNIQUE (user_id, post_id))",
        "INSERT INTO likes VALUES " + ", ".join(f"({i}, {i % 40}, {i // 40})" for i in range(120)),
    )
    data = RelationalData.from_sql(postgres_url)
    assert data.schema.tables["person"].unique == [("first_name", "last_name", "birth_date")]
    assert data.schema.tables["likes"].unique == [("user_id", "post_id")]
    data.to_sql(postgres_url, schema_name="copy", if_exists="replace")
    assert RelationalData.from_sql(postgres_url, schema_name="copy").schema == data.schema
    statement = "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
    defs = rows(postgres_url, statement + "WHERE n.nspname = 'copy' AND c.contype = 'u'")
    assert sorted(defs) == [("UNIQUE (first_name, last_name, birth_date)",), ("UNIQUE (user_id, post_id)",)]
    synth = _tiny_generate(data, seed=0, n_samples=40)  # an untrained model: names and posts at random
    synth.to_sql(postgres_url, schema_name="copy", if_exists="replace")  # PostgreSQL takes every row
    written = rows(postgres_url, "SELECT COUNT(*) FROM copy.likes")[0][0]
    assert written == len(synth["likes"]) > 0


def test_appending_into_the_source_shifts_identity_keys_past_its_rows(postgres_url: str) -> None:
    """Appending into the source's own tables stopped at its first key with a raw UniqueViolation
    ('Key (id)=(1) already exists'), after the rows before it were sent. The keys held are listed
    first (an enum column of a UNIQUE set looked up as its type), and `shift_keys=True` writes the
    rows after the source's: serial and identity keys, the orders naming their customers, and the
    sequences continue after them."""
    run_sql(
        postgres_url,
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE TABLE customer (id serial PRIMARY KEY, mood mood NOT NULL, code varchar(5), UNIQUE (mood, code))",
        "INSERT INTO customer (mood, code) VALUES ('sad', 'c1'), ('ok', 'c2'), ('happy', 'c3'), ('sad', 'c4'), "
        "('ok', 'c5'), ('happy', 'c6')",
        "CREATE TABLE orders (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "customer_id integer NOT NULL REFERENCES customer (id), qty integer CHECK (qty > 0))",
        "INSERT INTO orders (customer_id, qty) SELECT 1 + mod(g, 6), g FROM generate_series(1, 9) g",
    )
    data = RelationalData.from_sql(postgres_url, overrides={"customer": {"code": "categorical"}})
    with pytest.raises(DataError) as caught:
        data.to_sql(postgres_url, if_exists="append")
    said = str(caught.value)
    assert "table 'customer': 6 row(s) hold (mood, code) values rows already in the target hold" in said, said
    assert "table 'orders': 9 row(s) hold (id) values" in said and "shift_keys=True" in said
    data["customer"]["code"] = [f"n{i}" for i in range(6)]
    data.to_sql(postgres_url, if_exists="append", shift_keys=True)
    assert rows(postgres_url, "SELECT min(id), max(id), count(*) FROM customer WHERE code LIKE 'n_'") == [(7, 12, 6)]
    assert rows(postgres_url, "SELECT count(*) FROM orders WHERE id > 9 AND customer_id > 6") == [(9,)]
    assert rows(postgres_url, "INSERT INTO orders (customer_id, qty) VALUES (1, 1) RETURNING id") == [(19,)]
    assert rows(postgres_url, "INSERT INTO customer (mood) VALUES ('ok') RETURNING id") == [(13,)]


def test_array_columns_are_appended_into_array_columns(postgres_url: str) -> None:
    """An array read through overrides is JSON text ('["a", "b2"]'), and appended into the
    source's own array column every value was refused: 'malformed array literal: "["a", "b2"]"'.
    Such a value is sent in the array's text form, which the server reads as the column's type."""
    table = "(id integer PRIMARY KEY, tags text[], nums integer[], grid integer[][], days date[])"
    run_sql(
        postgres_url,
        f"CREATE TABLE item {table}",
        """INSERT INTO item VALUES (1, ARRAY['a', 'b,c', 'say "hi"', 'back\\slash', NULL], ARRAY[1, NULL, 3], """
        "ARRAY[[1, 2], [3, 4]], ARRAY[date '2020-02-29']), (2, '{}', NULL, NULL, NULL)",
        "CREATE SCHEMA mine",
        f"CREATE TABLE mine.item {table}",
    )
    kinds = {"tags": "categorical", "nums": "categorical", "grid": "categorical", "days": "categorical"}
    data = RelationalData.from_sql(postgres_url, tables=["item"], overrides={"item": kinds})
    assert data["item"]["nums"][0] == "[1, null, 3]"
    data.to_sql(postgres_url, schema_name="mine", if_exists="append")
    every = "SELECT id, tags, nums, grid, days FROM {} ORDER BY id"
    assert rows(postgres_url, every.format("mine.item")) == rows(postgres_url, every.format("item"))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"credit": -1.0}, r'violates check constraint "account_credit_check"'),
        ({"code": "x", "active": True}, r'duplicate key value violates unique constraint "account_code_active"'),
    ],
)
def test_a_row_the_targets_own_ddl_refuses_is_named_and_nothing_is_written(
    postgres_url: str, change: dict, reason: str
) -> None:
    """Appending into one's own tables, a row their DDL refuses beyond what relsynth checks first (a
    CHECK (credit >= 0) broken by a value changed after reading; a partial unique index) stopped in the
    driver's raw error, thousands of characters listing every bound row. It is a DataError naming
    the table and the server's reason, and nothing is written."""
    table = (
        "(id integer PRIMARY KEY, credit numeric(12, 2) CHECK (credit >= 0), code varchar(5), active boolean NOT NULL)"
    )
    run_sql(
        postgres_url,
        f"CREATE TABLE account {table}",
        "INSERT INTO account VALUES (1, 10, 'a', true), (2, 0, 'b', false), (3, 5, 'c', true)",
        "CREATE SCHEMA mine",
        f"CREATE TABLE mine.account {table}",
        "CREATE UNIQUE INDEX account_code_active ON mine.account (code) WHERE active",
        "INSERT INTO mine.account VALUES (100, 1, 'x', true)",
    )
    data = RelationalData.from_sql(postgres_url, overrides={"account": {"code": "categorical"}})
    data["account"].loc[2, list(change)] = list(change.values())
    with pytest.raises(DataError, match=rf"table 'account': the target refused a row: .*{reason}") as caught:
        data.to_sql(postgres_url, schema_name="mine", if_exists="append")
    assert len(str(caught.value)) < 1000
    assert rows(postgres_url, "SELECT id FROM mine.account") == [(100,)]


def test_a_stored_nan_is_named_not_read_as_null(postgres_url: str) -> None:
    """PostgreSQL's numeric and double 'NaN' were read as nulls, silently, and written back as NULL:
    a value the data had became a missing one. The column is named, with the ways out."""
    run_sql(
        postgres_url,
        "CREATE TABLE m (id integer PRIMARY KEY, n numeric, f float8)",
        "INSERT INTO m VALUES (1, 'NaN', 1), (2, 1.5, 'NaN'), (3, NULL, NULL)",
    )
    for col, other in (("n", "f"), ("f", "n")):
        with pytest.raises(SchemaError) as caught:
            RelationalData.from_sql(postgres_url, exclude={"m": [other]})
        said = str(caught.value)
        assert said.startswith(f"m.{col} holds NaN (1 in the rows read first)"), said
        assert f"""SET "{col}" = NULL WHERE "{col}" = 'NaN'""" in said and f"exclude={{'m': ['{col}']}}" in said
    run_sql(postgres_url, "UPDATE m SET n = NULL, f = NULL WHERE n = 'NaN' OR f = 'NaN'")
    assert RelationalData.from_sql(postgres_url)["m"]["n"].isna().tolist() == [True, True, True]


def test_an_unbounded_numeric_keeps_every_digit_it_was_read_with(postgres_url: str) -> None:
    """An unbounded NUMERIC read as 0.09090909090909091 was bound as a float, which PostgreSQL casts
    to numeric with 15 significant digits: written back as 0.0909090909090909, read as another number."""
    run_sql(
        postgres_url,
        "CREATE TABLE r (id integer PRIMARY KEY, nu numeric, n2 numeric(30, 20))",
        "INSERT INTO r SELECT g, g / 11.0, g / 7.0 FROM generate_series(1, 30) g",
    )
    data = RelationalData.from_sql(postgres_url)
    data.to_sql(postgres_url, schema_name="copy")
    back = RelationalData.from_sql(postgres_url, schema_name="copy")
    assert back["r"]["nu"].tolist() == data["r"]["nu"].tolist()
    assert back["r"]["n2"].tolist() == data["r"]["n2"].tolist()


def test_infinite_dates_are_named_with_the_way_out(postgres_url: str) -> None:
    """A slowly changing dimension's valid_to = 'infinity' (PostgreSQL's open end) stopped from_sql
    in psycopg's raw "date too large (after year 10K): 'infinity'", naming no table nor column (and
    overrides do not help: the driver converts by the column's type). Every such column is named,
    with the way out that works."""
    run_sql(
        postgres_url,
        "CREATE TABLE price (id integer PRIMARY KEY, valid_from date NOT NULL, valid_to date NOT NULL, "
        "seen timestamptz, amount numeric(8, 2))",
        "INSERT INTO price VALUES (1, '2020-01-01', '2021-01-01', '2020-01-01 10:00+00', 1), "
        "(2, '2021-01-01', 'infinity', '-infinity', 2)",
    )
    with pytest.raises(SchemaError) as caught:
        RelationalData.from_sql(postgres_url)
    said = str(caught.value)
    assert said.startswith("2 columns of table 'price' hold values their SQL type cannot read"), said
    assert "price.valid_to: a stored value cannot be read by the driver (date too large" in said
    assert "price.seen: a stored value cannot be read by the driver" in said and "exclude={'price': ['seen']}" in said
    data = RelationalData.from_sql(postgres_url, exclude={"price": ["valid_to", "seen"]})
    assert list(data["price"].columns) == ["id", "valid_from", "amount"]


def test_single_column_checks_are_read_and_written_back(postgres_url: str) -> None:
    """PostgreSQL's catalog spells CHECK (score BETWEEN 0 AND 100) as score >= 0 AND score <= 100
    and tier IN ('gold', 'silver') as tier::text = ANY (ARRAY[...]::text[]), with casts on every
    literal: each is read as its column's declared domain, and written back."""
    run_sql(
        postgres_url,
        "CREATE TABLE customer (id integer PRIMARY KEY, credit numeric(10, 2) CHECK (credit >= 0), "
        "score integer NOT NULL CHECK (score BETWEEN 0 AND 100), tier varchar(10) CHECK (tier IN ('gold', 'silver')), "
        "rate double precision CHECK (rate > 0 AND rate < 1.5), delta integer CHECK (delta >= -5))",
        "INSERT INTO customer VALUES (1, 0, 100, 'gold', 0.5, -5), (2, 10.5, 0, 'silver', 1.2, 3), (3, 3, 50, NULL, NULL, 0)",
        "CREATE SCHEMA copy",
    )
    expected = {
        "credit": {"low": [0, False]},
        "score": {"low": [0, False], "high": [100, False]},
        "tier": {"in": ["gold", "silver"]},
        "rate": {"low": [0, True], "high": [1.5, True]},
        "delta": {"low": [-5, False]},
    }
    data = RelationalData.from_sql(postgres_url, overrides={"customer": {"tier": "categorical"}})
    assert {c: f["sql"]["domain"] for c, f in data.formats["customer"].items() if "domain" in f["sql"]} == expected
    data.to_sql(postgres_url, schema_name="copy")
    back = RelationalData.from_sql(postgres_url, schema_name="copy", overrides={"customer": {"tier": "categorical"}})
    assert {c: f["sql"]["domain"] for c, f in back.formats["customer"].items() if "domain" in f["sql"]} == expected


def test_an_enum_types_labels_are_a_declared_domain(postgres_url: str) -> None:
    """An enum column was read as VARCHAR(5) and its labels dropped: written back as VARCHAR it took
    any text, and under DP a NOT NULL mood of labels each below the threshold came back all missing
    (nothing said the labels were public). They are the column's declared domain, like a CHECK
    (mood IN (...)), which to_sql writes back with the VARCHAR."""
    run_sql(
        postgres_url,
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE TABLE t (id integer PRIMARY KEY, mood mood NOT NULL)",
        "INSERT INTO t VALUES (1, 'sad'), (2, 'ok'), (3, 'ok')",
        "CREATE SCHEMA copy",
    )
    data = RelationalData.from_sql(postgres_url, overrides={"t": {"mood": "categorical"}})
    assert data.formats["t"]["mood"]["sql"]["domain"] == {"in": ["sad", "ok", "happy"]}
    data.to_sql(postgres_url, schema_name="copy")
    with pytest.raises(sa.exc.DataError, match="invalid input value for enum"):
        run_sql(postgres_url, "INSERT INTO copy.t VALUES (9, 'angry')")


def test_an_enum_column_is_written_back_with_its_enum_type(postgres_url: str) -> None:
    """An enum column (CREATE TYPE mood AS ENUM ...) was written into a new schema as VARCHAR(5): the
    copy lost the type, its order ('sad' < 'ok' < 'happy') and the labels no row held. The type is
    created in the target schema where it is missing, and reused where it is there."""
    run_sql(
        postgres_url,
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE TABLE t (id integer PRIMARY KEY, mood mood NOT NULL, was mood)",
        "INSERT INTO t VALUES (1, 'sad', NULL), (2, 'ok', 'sad'), (3, 'ok', 'ok')",
    )
    data = RelationalData.from_sql(postgres_url, overrides={"t": {"mood": "categorical", "was": "categorical"}})
    data.to_sql(postgres_url, schema_name="copy")
    data.to_sql(postgres_url, schema_name="copy", if_exists="replace")  # the type is there: reused
    udt = "SELECT column_name, udt_schema, udt_name FROM information_schema.columns WHERE table_schema = 'copy' AND table_name = 't' ORDER BY ordinal_position"
    assert rows(postgres_url, udt) == [("id", "pg_catalog", "int4"), ("mood", "copy", "mood"), ("was", "copy", "mood")]
    labels = "SELECT enumlabel FROM pg_enum WHERE enumtypid = 'copy.mood'::regtype ORDER BY enumsortorder"
    assert rows(postgres_url, labels) == [("sad",), ("ok",), ("happy",)]
    assert rows(postgres_url, "SELECT id FROM copy.t WHERE mood > 'sad' ORDER BY id") == [(2,), (3,)]
    checks = "SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND connamespace = 'copy'::regnamespace"
    assert rows(postgres_url, checks) == [(0,)]  # the type holds the labels: no CHECK beside it
    back = RelationalData.from_sql(postgres_url, schema_name="copy", overrides=data.schema)
    assert back.formats["t"]["mood"]["sql"] == data.formats["t"]["mood"]["sql"]
    run_sql(postgres_url, "CREATE SCHEMA other", "CREATE TYPE other.mood AS ENUM ('sad', 'ok')")
    with pytest.raises(ValueError, match=r"has a type 'mood' with labels \['sad', 'ok'\], lacking \['happy'\]"):
        data.to_sql(postgres_url, schema_name="other")


def test_length_date_and_domain_type_checks_are_read_kept_and_written_back(postgres_url: str) -> None:
    """CHECK (length(code) = 6), CHECK (opened >= '2000-01-01') and a domain type's CHECK (CREATE
    DOMAIN pct AS numeric(5, 2) CHECK (VALUE <= 100)) were not read: generated percentages of 139.7
    and dates before the bound were refused by the source's DDL, and the copy lost the checks."""
    ddl = (
        "(id integer PRIMARY KEY, code varchar(6) NOT NULL CHECK (length(code) = 6), p pct NOT NULL, "
        "opened date NOT NULL CHECK (opened >= '2000-01-01'))"
    )
    run_sql(
        postgres_url,
        "CREATE DOMAIN pct AS numeric(5, 2) CONSTRAINT low CHECK (VALUE >= 0) CONSTRAINT high CHECK (VALUE <= 100)",
        f"CREATE TABLE t {ddl}",
        "INSERT INTO t SELECT i, lpad((mod(i, 7) * 1111)::text, 6, '0'), CASE WHEN mod(i, 3) = 0 THEN 100 ELSE "
        "mod(i * 37, 100) END, date '2000-01-01' + mod(i * 13, 60) FROM generate_series(1, 200) i",
        "CREATE SCHEMA same",
        f"CREATE TABLE same.t {ddl}",
    )
    data = RelationalData.from_sql(postgres_url, overrides={"t": {"code": "categorical"}})
    expected = {
        "code": {"length": {"low": [6, False], "high": [6, False]}},
        "p": {"low": [0, False], "high": [100, False]},
        "opened": {"low": ["2000-01-01 00:00:00", False]},
    }
    assert {c: f["sql"]["domain"] for c, f in data.formats["t"].items() if "domain" in f["sql"]} == expected
    data.to_sql(postgres_url, schema_name="copy")
    back = RelationalData.from_sql(postgres_url, schema_name="copy", overrides={"t": {"code": "categorical"}})
    assert {c: f["sql"]["domain"] for c, f in back.formats["t"].items() if "domain" in f["sql"]} == expected
    with pytest.raises(sa.exc.IntegrityError, match="check constraint"):
        run_sql(postgres_url, "INSERT INTO copy.t VALUES (999, '12345', 1, '2001-01-01')")
    torch.manual_seed(0)
    preproc = TabularPreproc.from_schema(data.schema).fit(data)  # an untrained model: values anywhere
    synth = TabularModel.build(preproc, size=TabularModelSize(n_layers=1, h=2, d=16)).generate(n_samples=60, seed=0)
    assert synth["t"]["p"].between(0, 100).all() and (synth["t"]["opened"] >= pd.Timestamp("2000-01-01")).all()
    synth.to_sql(postgres_url, schema_name="same", if_exists="append")  # the source's own DDL takes every row


def test_json_columns_read_as_text_are_written_back_as_json(postgres_url: str) -> None:
    """A jsonb column given a kind in overrides (its documents held as JSON text) was written back
    as TEXT: the copy's `meta->>'a'` failed ('operator does not exist: text ->> unknown'). It is
    written as json or jsonb, each document as itself (not a JSON string of its text), a missing
    value as NULL."""
    run_sql(
        postgres_url,
        "CREATE TABLE doc (id integer PRIMARY KEY, meta jsonb NOT NULL, raw json)",
        """INSERT INTO doc VALUES (1, '{"a": 1, "b": [1, 2]}', '{"x": "y"}'), (2, '"text"', NULL), """
        """(3, '[]', '[1]'), (4, '{"a": 2}', '{"x": "z"}')""",
    )
    data = RelationalData.from_sql(postgres_url, overrides={"doc": {"meta": "categorical", "raw": "text"}})
    data.to_sql(postgres_url, schema_name="copy")
    types = "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'copy' AND table_name = 'doc' ORDER BY ordinal_position"
    assert rows(postgres_url, types) == [("id", "integer", "NO"), ("meta", "jsonb", "NO"), ("raw", "json", "YES")]
    same = "SELECT d.id FROM doc d JOIN copy.doc c ON c.id = d.id AND c.meta = d.meta AND c.raw::text IS NOT DISTINCT FROM d.raw::text"
    assert sorted(rows(postgres_url, same)) == [(1,), (2,), (3,), (4,)]
    assert rows(postgres_url, "SELECT meta->>'a', raw IS NULL FROM copy.doc ORDER BY id") == [
        ("1", False),
        (None, True),
        (None, False),
        ("2", False),
    ]


def test_types_without_a_kind_given_one_are_written_back_as_their_type(postgres_url: str, tmp_path: Path) -> None:
    """inet, macaddr, tsvector and point columns given a kind in overrides (their values read as
    text) were written back as TEXT, so the copy's `ip << '10.0.0.0/24'` failed (operator does not
    exist: text << unknown). PostgreSQL gets the type back, each value read by the server from its
    text; other databases a TEXT column."""
    run_sql(
        postgres_url,
        "CREATE TABLE host (id integer PRIMARY KEY, ip inet NOT NULL, mac macaddr, words tsvector, at point)",
        "INSERT INTO host VALUES (1, '10.0.0.1', '08:00:2b:01:02:03', to_tsvector('the cat sat'), '(1,2)'), "
        "(2, '10.0.1.7', NULL, NULL, NULL)",
    )
    given = {"host": {"ip": "categorical", "mac": "categorical", "words": "text", "at": "categorical"}}
    data = RelationalData.from_sql(postgres_url, overrides=given)
    data.to_sql(postgres_url, schema_name="copy")
    types = "SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'copy' ORDER BY ordinal_position"
    assert rows(postgres_url, types) == [
        ("id", "int4", "NO"),
        ("ip", "inet", "NO"),
        ("mac", "macaddr", "YES"),
        ("words", "tsvector", "YES"),
        ("at", "point", "YES"),
    ]
    text = "SELECT id, ip::text, mac::text, words::text, at::text FROM {} ORDER BY id"
    assert rows(postgres_url, text.format("copy.host")) == rows(postgres_url, text.format("host"))
    assert rows(postgres_url, "SELECT id FROM copy.host WHERE ip << '10.0.0.0/24'") == [(1,)]
    data.to_sql(f"sqlite:///{tmp_path / 'copy.sqlite'}")
    back = RelationalData.from_sql(f"sqlite:///{tmp_path / 'copy.sqlite'}", overrides=given)
    assert back["host"]["ip"].tolist() == ["10.0.0.1", "10.0.1.7"]


def test_address_columns_are_read_without_overrides_and_their_copy_written_back(postgres_url: str) -> None:
    """An inet or cidr column (a log's client address, a subnet) stopped from_sql ('SQL type INET(), which
    relsynth has no kind for') until the user gave it a kind. They are labels: a client seen often comes
    back as itself; subnets, none of them repeated, come back as fresh networks of their shapes (host
    bits clear, as cidr requires), and the synthetic database is written back with both types."""
    run_sql(
        postgres_url,
        "CREATE TABLE subnet (id integer PRIMARY KEY, net cidr NOT NULL UNIQUE)",
        "CREATE TABLE hit (id integer PRIMARY KEY, subnet integer NOT NULL REFERENCES subnet(id), client inet)",
        "INSERT INTO subnet SELECT i, network(('10.' || mod(i, 7) || '.' || mod(i * 37, 256) || '.' || mod(i * 91, 256) "
        "|| '/' || (20 + mod(i, 7)))::inet) FROM generate_series(1, 120) i ON CONFLICT DO NOTHING",
        "INSERT INTO hit SELECT row_number() OVER (), s.id, ('192.168.0.' || i)::inet FROM generate_series(1, 3) i, subnet s",
    )
    data = RelationalData.from_sql(postgres_url)
    assert data.schema.tables["subnet"].columns["net"] == Categorical()
    assert set(data["hit"]["client"]) == {"192.168.0.1", "192.168.0.2", "192.168.0.3"}
    synth = _tiny_generate(data, seed=0, n_samples=40)
    assert (
        synth["subnet"]["net"].map(lambda n: str(ipaddress.IPv4Network(n))).tolist() == synth["subnet"]["net"].tolist()
    )
    assert set(synth["hit"]["client"].dropna()) <= set(data["hit"]["client"])
    synth.to_sql(postgres_url, schema_name="copy")
    types = "SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = 'copy' ORDER BY table_name, ordinal_position"
    assert [t for t in rows(postgres_url, types) if t[0] in ("net", "client")] == [("client", "inet"), ("net", "cidr")]


def test_array_columns_given_a_kind_are_written_back_as_arrays(postgres_url: str, tmp_path: Path) -> None:
    """text[] and integer[] columns given a kind in overrides (their values read as JSON text) were
    created as TEXT in a new schema, so the copy's `'b' = ANY(tags)` failed (op ANY/ALL (array)
    requires array on right side). PostgreSQL gets the array type back, each value the array it was read as; other
    databases (and arrays of an enum, a type the target may lack) keep the JSON text."""
    table = (
        "(id integer PRIMARY KEY, tags text[] NOT NULL, nums integer[], grid integer[][], days date[], moods mood[])"
    )
    run_sql(
        postgres_url,
        "CREATE TYPE mood AS ENUM ('ok', 'sad')",
        f"CREATE TABLE item {table}",
        """INSERT INTO item VALUES (1, ARRAY['a', 'b,c', 'say "hi"', NULL], ARRAY[1, NULL, 3], """
        "ARRAY[[1, 2], [3, 4]], ARRAY[date '2020-02-29'], ARRAY['ok'::mood]), (2, '{}', NULL, NULL, NULL, NULL)",
    )
    kinds = {c: "categorical" for c in ("tags", "nums", "grid", "days", "moods")}
    data = RelationalData.from_sql(postgres_url, tables=["item"], overrides={"item": kinds})
    data.to_sql(postgres_url, schema_name="copy")
    types = "SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'copy' ORDER BY ordinal_position"
    assert rows(postgres_url, types) == [
        ("id", "int4", "NO"),
        ("tags", "_text", "NO"),
        ("nums", "_int4", "YES"),
        ("grid", "_int4", "YES"),
        ("days", "_date", "YES"),
        ("moods", "text", "YES"),
    ]
    every = "SELECT id, tags, nums, grid, days FROM {} ORDER BY id"
    assert rows(postgres_url, every.format("copy.item")) == rows(postgres_url, every.format("item"))
    assert rows(postgres_url, "SELECT moods FROM copy.item ORDER BY id") == [("{ok}",), (None,)]
    assert rows(postgres_url, "SELECT id FROM copy.item WHERE 'b,c' = ANY(tags) AND nums[3] = 3") == [(1,)]
    data.to_sql(f"sqlite:///{tmp_path / 'copy.sqlite'}")
    back = RelationalData.from_sql(f"sqlite:///{tmp_path / 'copy.sqlite'}", overrides={"item": kinds})
    assert back["item"]["nums"].tolist() == ["[1, null, 3]", pd.NA]


def test_a_type_the_target_lacks_is_written_as_text_with_a_warning(postgres_url: str, caplog) -> None:
    """A column of a type the target lacks (an extension's, such as pgvector's, not installed there; here
    a composite type dropped after the read) given a kind in overrides made the write fail at CREATE
    TABLE (type "pair" does not exist), nothing written. Where the target lacks the type, the column is
    written as TEXT holding the values' text, and a warning names it."""
    run_sql(
        postgres_url,
        "CREATE SCHEMA src",
        "CREATE TYPE src.pair AS (a integer, b text)",
        "CREATE TABLE src.item (id integer PRIMARY KEY, p src.pair NOT NULL, ip inet)",
        "INSERT INTO src.item VALUES (1, ROW(1, 'x'), '10.0.0.1'), (2, ROW(2, 'y z'), NULL)",
    )
    data = RelationalData.from_sql(
        postgres_url, schema_name="src", overrides={"item": {"p": "categorical", "ip": "categorical"}}
    )
    run_sql(postgres_url, "DROP SCHEMA src CASCADE")  # as in another database
    with caplog.at_level("WARNING"):
        data.to_sql(postgres_url, schema_name="copy")
    types = "SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'copy' ORDER BY ordinal_position"
    assert rows(postgres_url, types) == [("id", "int4", "NO"), ("p", "text", "NO"), ("ip", "inet", "YES")]
    assert rows(postgres_url, "SELECT id, p, ip::text FROM copy.item ORDER BY id") == [
        (1, "(1,x)", "10.0.0.1/32"),
        (2, '(2,"y z")', None),
    ]
    assert "item.p" in caplog.text and "pair" in caplog.text


def test_a_type_of_another_schema_is_written_back_with_its_schema_and_modifiers(postgres_url: str) -> None:
    """A column of a type of the source's own schema (src.pair), given a kind in overrides, was
    written back as `pair`, a type the target's search path does not see; an extension's type lost
    its modifiers (pgvector's vector(3) written as vector, any length taken). The type is named as
    the catalog formats it: its schema where the search path does not see it, its modifiers."""
    vector = bool(rows(postgres_url, "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"))
    column, values = (", v vector(3)", ("'[1, 2, 3]'", "NULL")) if vector else ("", ("", ""))
    run_sql(
        postgres_url,
        *(["CREATE EXTENSION vector"] if vector else []),
        "CREATE SCHEMA src",
        "CREATE TYPE src.pair AS (a integer, b text)",
        f"CREATE TABLE src.item (id integer PRIMARY KEY, p src.pair NOT NULL{column})",
        "INSERT INTO src.item VALUES "
        + ", ".join(
            f"({i}, ROW({i}, '{b}'){', ' + v if v else ''})" for i, b, v in ((1, "x", values[0]), (2, "y z", values[1]))
        ),
    )
    given = {"p": "categorical", "v": "categorical"} if vector else {"p": "categorical"}
    data = RelationalData.from_sql(postgres_url, schema_name="src", overrides={"item": given})
    data.to_sql(postgres_url, schema_name="copy")
    types = "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'copy.item'::regclass AND attnum > 0 ORDER BY attnum"
    assert rows(postgres_url, types) == [("id", "integer"), ("p", "src.pair")] + (
        [("v", "vector(3)")] if vector else []
    )
    assert rows(postgres_url, "SELECT (p).b FROM copy.item ORDER BY id") == [("x",), ("y z",)]


def test_values_a_type_held_as_text_refuses_are_named_before_anything_is_written(postgres_url: str) -> None:
    """An inet column given the identifier kind is generated as fresh codes of the source's shape
    (10.5.0.459), which inet refuses: to_sql failed at the first insert with the driver's error,
    naming neither the column nor how many values. The server checks each such column's values
    before anything is written, and the error names them with the way out."""
    run_sql(
        postgres_url,
        "CREATE TABLE host (id integer PRIMARY KEY, ip inet NOT NULL, ports integer[], at int4range)",
        "INSERT INTO host VALUES (1, '10.0.0.1', '{80, 443}', '[1,5)'), (2, '10.0.1.7', NULL, NULL)",
    )
    given = {"ip": "identifier", "ports": "categorical", "at": "categorical"}
    data = RelationalData.from_sql(postgres_url, overrides={"host": given})
    generated = data["host"].assign(
        ip=["10.0.0.2", "10.0.1.459"], ports=['[80, "http"]', "[22]"], at=["[1,5)", "[9,2)"]
    )
    synth = RelationalData({"host": generated}, data.schema, formats=data.formats)
    with pytest.raises(DataError) as err:
        synth.to_sql(postgres_url, schema_name="copy")
    problems = err.value.problems
    assert len(problems) == 3 and "column 'ip' is INET in the source, but 1 distinct value(s)" in problems[0]
    assert "'10.0.1.459'" in problems[0] and '\'{"80","http"}\'' in problems[1] and "'[9,2)'" in problems[2]
    assert rows(postgres_url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'copy'") == [(0,)]


def test_a_sample_fits_array_json_and_inet_labels_by_their_counts_over_the_whole_database(postgres_url: str) -> None:
    """SQLSource.sample counts a categorical column's values inside the database (`whole`), as the
    driver returns them: lists for an array, dicts for jsonb, IPv4Address for an inet, where the
    sample holds their text. A fit on the sample failed (TypeError: unhashable type: 'list'), or,
    for an inet, took its categories from the sample alone. The counts are of the values as read."""
    run_sql(
        postgres_url,
        "CREATE TABLE host (id integer PRIMARY KEY, tags text[], meta jsonb, ip inet)",
        "INSERT INTO host SELECT i, ARRAY['t' || mod(i, 3)], jsonb_build_object('k', mod(i, 2)), "
        "CASE WHEN mod(i, 10) = 0 THEN '10.0.0.9' ELSE '10.0.0.' || mod(i, 4) END::inet FROM generate_series(1, 200) i",
    )
    given = {"host": {"tags": "categorical", "meta": "categorical", "ip": "categorical"}}
    sample = SQLSource(postgres_url, ["host"], overrides=given).sample(20, seed=0)
    assert sample["host"]["tags"].iloc[0].startswith('["t')
    counts = sample.whole.value_counts["host"]
    assert counts["tags"].to_dict() == {'["t0"]': 66, '["t1"]': 67, '["t2"]': 67}
    assert counts["meta"].to_dict() == {'{"k": 0}': 100, '{"k": 1}': 100}
    assert counts["ip"].to_dict() == {"10.0.0.0": 40, "10.0.0.1": 50, "10.0.0.2": 40, "10.0.0.3": 50, "10.0.0.9": 20}
    preproc = TabularPreproc.from_schema(sample.schema).fit(sample)
    ip = next(slot.preproc for slot in preproc.slots if slot.column == "ip")
    assert ip.categories == ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"]


def test_a_type_the_target_lacks_beside_a_generated_column_it_cannot_compute(postgres_url: str, caplog) -> None:
    """Where a generated column's expression failed on the target, its tables were made again with
    plain columns, and a column of a type the target lacks, made TEXT in the first tables, got its
    type back there: the write failed (schema "src" does not exist, at "p" src.pair). The plain tables
    keep TEXT."""
    run_sql(
        postgres_url,
        "CREATE SCHEMA src",
        "CREATE TYPE src.st AS ENUM ('new', 'paid')",
        "CREATE TYPE src.pair AS (a integer, b text)",
        "CREATE TABLE src.o (id integer PRIMARY KEY, status src.st NOT NULL, p src.pair, "
        "is_paid boolean GENERATED ALWAYS AS (status = 'paid') STORED)",
        "INSERT INTO src.o (id, status, p) VALUES (1, 'new', ROW(1, 'x')), (2, 'paid', NULL)",
    )
    data = RelationalData.from_sql(postgres_url, schema_name="src", overrides={"o": {"p": "categorical"}})
    run_sql(postgres_url, "DROP SCHEMA src CASCADE")  # as in another database
    with caplog.at_level("WARNING", logger="relsynth.relational.sql"):
        data.to_sql(postgres_url, schema_name="copy")
    assert "could not be recreated" in caplog.text and "the target has no type 'src.pair'" in caplog.text
    assert rows(postgres_url, "SELECT id, status::text, p, is_paid FROM copy.o ORDER BY id") == [
        (1, "new", "(1,x)", False),
        (2, "paid", None, True),
    ]


def test_a_keyless_log_is_sampled_by_its_rows_through_the_kedro_dataset(postgres_url: str) -> None:
    """`load_args.sample_entities` on a database holding a log without a primary key (beside keyed
    customers): the log's rows are drawn at random like entities, again with the same seed (the
    dataset used to refuse the whole database with a SchemaError)."""
    from relsynth.datasets import SQLDatabaseDataset

    run_sql(
        postgres_url,
        "CREATE TABLE customer (id int PRIMARY KEY, name text)",
        "INSERT INTO customer SELECT i, 'c' || (i %% 5) FROM generate_series(1, 100) i",
        "CREATE TABLE audit_log (at timestamp NOT NULL, actor text, n int)",
        "INSERT INTO audit_log SELECT timestamp '2024-01-01' + i * interval '1 hour', 'u' || (i %% 7), i "
        "FROM generate_series(1, 200) i",
    )
    dataset = SQLDatabaseDataset(credentials={"con": postgres_url}, load_args={"sample_entities": 30})
    data = dataset.load()
    assert len(data["audit_log"]) == 20 and data["audit_log"]["n"].is_unique and len(data["customer"]) == 10
    pd.testing.assert_frame_equal(dataset.load()["audit_log"], data["audit_log"])


def test_a_keyless_table_holding_json_is_read_and_sampled(postgres_url: str) -> None:
    """A log without a primary key is read in the order of all its columns, and PostgreSQL has no
    order for json ("could not identify an ordering operator for type json"): a log holding a json
    payload could not be read at all, whole or sampled. Such columns order the rows by their text."""
    run_sql(
        postgres_url,
        "CREATE TABLE customer (id int PRIMARY KEY, name text)",
        "INSERT INTO customer SELECT i, 'c' || (i %% 5) FROM generate_series(1, 100) i",
        "CREATE TABLE log (at timestamp NOT NULL, payload json, meta jsonb)",
        "INSERT INTO log SELECT timestamp '2024-01-01' + i * interval '1 hour', json_build_object('n', i), "
        "jsonb_build_object('u', 'u' || (i %% 7)) FROM generate_series(1, 200) i",
    )
    as_text = {"log": {"payload": "text", "meta": "text"}}
    data = RelationalData.from_sql(postgres_url, overrides=as_text)
    assert len(data["log"]) == 200 and data["log"]["payload"].iloc[0] == '{"n": 1}'
    sample = SQLSource(postgres_url, overrides=as_text).sample(30, seed=0)
    assert len(sample["log"]) == 20 and sample["log"]["payload"].is_unique


def test_intervals_of_months_come_back_as_months(postgres_url: str) -> None:
    """psycopg counts a year as 365 days: '1 year 2 mons' was read as 425 days, which PostgreSQL's
    own comparison says is not '1 year 2 mons' (420 days), and written back as '425 days', which an
    INTERVAL YEAR TO MONTH column holds as 0. Intervals are read as PostgreSQL compares them, and a
    column of months is written in months (the nearest, justify_days)."""
    run_sql(
        postgres_url,
        "CREATE TABLE plan (id integer PRIMARY KEY, term interval year to month, span interval)",
        "INSERT INTO plan SELECT i, (i %% 3) * interval '1 year' + (i %% 12) * interval '1 month', "
        "(i %% 3) * interval '1 year' + i * interval '1 day 1 hour' FROM generate_series(1, 40) i",
        "CREATE SCHEMA own",
        "CREATE TABLE own.plan (LIKE public.plan INCLUDING ALL)",
    )
    data = RelationalData.from_sql(postgres_url)
    assert data["plan"]["term"].iloc[0] == 13 * 30 * 86_400.0  # 1 year 1 mon
    data.to_sql(postgres_url, schema_name="copy")
    data.to_sql(postgres_url, schema_name="own", if_exists="append")  # into the source's DDL
    for target in ("copy", "own"):
        same = rows(
            postgres_url,
            f"SELECT count(*) FILTER (WHERE a.term::text = b.term::text), count(*) FILTER (WHERE a.span = b.span) "
            f"FROM plan a JOIN {target}.plan b USING (id)",
        )
        assert same == [(40, 40)], target


def test_column_defaults_are_written_back(postgres_url: str, tmp_path: Path, caplog) -> None:
    """A column's DEFAULT was not read, so the copy had none: a user's later INSERT that leaves a
    column out got NULL (or a NOT NULL failure) where the source gave 0, 'ok' or the time. Into
    PostgreSQL, from PostgreSQL, every default comes back (an expression as declared, an enum's label
    in another schema too); into SQLite the constants and now() (as CURRENT_TIMESTAMP), the rest is
    dropped with a warning naming it."""
    run_sql(
        postgres_url,
        "CREATE TYPE mood AS ENUM ('ok', 'sad')",
        "CREATE TABLE t (id serial PRIMARY KEY, n integer NOT NULL DEFAULT 0, s varchar(10) DEFAULT 'it''s', "
        "b boolean NOT NULL DEFAULT true, m mood DEFAULT 'ok', f double precision DEFAULT 1e3, "
        "made timestamptz NOT NULL DEFAULT now(), due date DEFAULT (CURRENT_DATE + 7), plain text)",
        "INSERT INTO t (n) VALUES (5), (7)",
    )
    data = RelationalData.from_sql(postgres_url)
    data.to_sql(postgres_url, schema_name="copy")
    row = "SELECT n, s, b, CAST(m AS text), f, made IS NOT NULL, due - CURRENT_DATE, plain FROM {} WHERE id = 3"
    run_sql(postgres_url, "INSERT INTO copy.t (id) VALUES (3)")
    assert rows(postgres_url, row.format("copy.t")) == [(0, "it's", True, "ok", 1000.0, True, 7, None)]
    target = f"sqlite:///{tmp_path / 'copy.sqlite'}"
    with caplog.at_level(logging.WARNING, logger="relsynth.relational.sql"):
        data.to_sql(target)
    assert "DEFAULT(s) ['t.due DEFAULT (CURRENT_DATE + 7)']" in caplog.text
    run_sql(target, "INSERT INTO t (id) VALUES (3)")
    assert rows(target, row.replace("due - CURRENT_DATE", "due").format("t")) == [
        (0, "it's", 1, "ok", 1000.0, 1, None, None)
    ]


def test_foreign_key_actions_are_written_back(postgres_url: str) -> None:
    """A foreign key's ON DELETE CASCADE was not read, so deleting a parent row of the copy was
    refused where the source deleted its children: written back, the copy deletes them too."""
    run_sql(
        postgres_url,
        "CREATE TABLE p (id integer PRIMARY KEY, name text)",
        "CREATE TABLE c (id integer PRIMARY KEY, p_id integer NOT NULL REFERENCES p ON DELETE CASCADE, "
        "q_id integer REFERENCES p ON DELETE SET NULL)",
        "INSERT INTO p VALUES (1, 'a'), (2, 'b')",
        "INSERT INTO c VALUES (1, 1, 2), (2, 2, 1)",
    )
    RelationalData.from_sql(postgres_url).to_sql(postgres_url, schema_name="copy")
    run_sql(postgres_url, "DELETE FROM copy.p WHERE id = 1")
    assert rows(postgres_url, "SELECT id, p_id, q_id FROM copy.c") == [(2, 2, None)]


def test_column_comments_are_written_back(postgres_url: str, tmp_path: Path) -> None:
    """A column's COMMENT was not read, so a user reading the synthetic database in a GUI saw none
    of the source's explanations: written back where the target holds comments (SQLite has none)."""
    run_sql(
        postgres_url,
        "CREATE TABLE p (id integer PRIMARY KEY, name text NOT NULL, score integer)",
        "COMMENT ON COLUMN p.name IS 'the person''s name'",
        "COMMENT ON COLUMN p.id IS 'a number'",
        "INSERT INTO p VALUES (1, 'a', 3), (2, 'b', 4)",
    )
    data = RelationalData.from_sql(postgres_url)
    data.to_sql(postgres_url, schema_name="copy")
    comments = sa.inspect(sa.create_engine(postgres_url)).get_columns("p", schema="copy")
    assert {c["name"]: c["comment"] for c in comments} == {"id": "a number", "name": "the person's name", "score": None}
    data.to_sql(f"sqlite:///{tmp_path / 'copy.sqlite'}")  # no comments there, and no failure
    data.to_sql(f"duckdb:///{tmp_path / 'copy.duckdb'}")  # DuckDB takes them

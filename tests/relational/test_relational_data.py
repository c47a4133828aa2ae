"""RelationalData: validation errors (table, column, count, examples) and dtype coercion."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import (
    Boolean,
    Categorical,
    Column,
    DataError,
    Date,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
    Text,
    Time,
)

ROOT = Path(__file__).resolve().parents[2]
CHINOOK = ROOT / "data" / "01_raw" / "chinook"


@pytest.fixture(scope="module")
def chinook_schema() -> Schema:
    return Schema.from_yaml(ROOT / "conf" / "base" / "schema_chinook.yml")


@pytest.fixture
def chinook_frames(chinook_schema: Schema) -> dict[str, pd.DataFrame]:
    """Fresh raw frames for each test, so a test may corrupt them."""
    return {t: pd.read_csv(CHINOOK / f"{t}.csv", keep_default_na=False, na_values=[""]) for t in chinook_schema.tables}


def problems_of(frames: dict[str, pd.DataFrame], schema: Schema) -> list[str]:
    with pytest.raises(DataError) as err:
        RelationalData(frames, schema)
    assert str(err.value).startswith(f"{len(err.value.problems)} problem(s) in the data")
    return err.value.problems


def one_problem(frames: dict[str, pd.DataFrame], schema: Schema) -> str:
    problems = problems_of(frames, schema)
    assert len(problems) == 1, problems
    return problems[0]


def family_schema() -> Schema:
    return Schema(
        parent=Table(id=PrimaryKey(), name=Text()),
        child=Table(id=PrimaryKey(), parent=ForeignKey("parent"), kind=ForeignKey("kind"), x=Numeric()),
        kind=Table(id=PrimaryKey(), label=Categorical()),
        lookups=["kind"],
    )


def family_frames() -> dict[str, pd.DataFrame]:
    return {
        "parent": pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"]}),
        "child": pd.DataFrame({"id": [10, 11, 12, 13], "parent": [1, 1, 2, 2], "kind": [1, 2, None, 1], "x": 0.5}),
        "kind": pd.DataFrame({"id": [1, 2], "label": ["k1", "k2"]}),
    }


# ---- Chinook ---------------------------------------------------------------------------------
def test_shipped_chinook_validates_with_schema_dtypes(chinook_frames: dict, chinook_schema: Schema):
    data = RelationalData(chinook_frames, chinook_schema)
    assert data.n_rows() == {"artist": 275, "album": 347, "track": 3503, "genre": 25, "media_type": 5}
    track = data["track"]
    assert {c: str(t) for c, t in track.dtypes.items()} == {
        "id": "Int64",
        "album": "Int64",
        "name": "string",
        "bytes": "Int64",
        "mediatype": "Int64",
        "unit_price": "float64",
        "composer": "string",
        "genre": "Int64",
        "milliseconds": "Int64",
    }
    assert track["composer"].isna().sum() == 978  # the empty CSV fields: nulls, not ""
    assert isinstance(track.index, pd.RangeIndex)


def test_chinook_orphan_track_is_named(chinook_frames: dict, chinook_schema: Schema):
    track = chinook_frames["track"]
    chinook_frames["track"] = track.assign(album=track["album"].mask(track["id"] == 5, 9999))
    msg = one_problem(chinook_frames, chinook_schema)
    assert "table 'track'" in msg and "foreign key 'album' -> album.id" in msg
    assert "1 orphan value(s)" in msg and "9999" in msg


def test_chinook_duplicated_album_id_is_named(chinook_frames: dict, chinook_schema: Schema):
    album = chinook_frames["album"]
    chinook_frames["album"] = album.assign(id=album["id"].mask(album["id"] == 2, 1))
    problems = problems_of(chinook_frames, chinook_schema)
    assert any(
        "table 'album'" in p and "primary key 'id'" in p and "1 duplicated value(s) in 2 rows" in p and "e.g. 1" in p
        for p in problems
    ), problems
    # tracks of the lost album 2 are orphans now: reported in the same error
    assert any("table 'track', foreign key 'album'" in p and "e.g. 2" in p for p in problems), problems


def test_chinook_text_in_numeric_column_is_named(chinook_frames: dict, chinook_schema: Schema):
    track = chinook_frames["track"]
    price = track["unit_price"].astype(object).mask(track["id"].isin([3, 7]), "cheap")
    chinook_frames["track"] = track.assign(unit_price=price)
    msg = one_problem(chinook_frames, chinook_schema)
    assert "table 'track', column 'unit_price' (numeric): 2 value(s) do not fit the kind" in msg
    assert "e.g. 'cheap'" in msg


def test_chinook_text_in_integer_column_is_named(chinook_frames: dict, chinook_schema: Schema):
    track = chinook_frames["track"]
    ms = track["milliseconds"].astype(object).mask(track["id"] == 1, "3:45").mask(track["id"] == 2, 1.5)
    chinook_frames["track"] = track.assign(milliseconds=ms)
    msg = one_problem(chinook_frames, chinook_schema)
    assert "table 'track', column 'milliseconds' (integer): 2 value(s)" in msg
    assert "'3:45'" in msg and "1.5" in msg


# ---- each validation error -------------------------------------------------------------------
def test_missing_and_extra_tables_are_named():
    frames = family_frames()
    del frames["kind"]
    frames["extra"] = pd.DataFrame({"a": [1]})
    problems = problems_of(frames, family_schema())
    assert "table(s) ['kind'] are in the schema but not in the data" in problems
    assert (
        "table(s) ['extra'] are in the data but not in the schema: add them to the schema or leave them out of the data"
        in problems
    )
    assert len(problems) == 2  # the child's FK to the missing table is not reported twice


def test_missing_and_extra_columns_are_named():
    frames = family_frames()
    frames["child"] = frames["child"].drop(columns="x").assign(y=1)
    problems = problems_of(frames, family_schema())
    assert problems == [
        "table 'child': column(s) ['x'] are in the schema but not in the data",
        "table 'child': column(s) ['y'] are in the data but not in the schema: add them to the schema or leave "
        "them out, e.g. df[list(schema.tables['child'].all_columns)]",
    ]


def test_column_names_with_spaces_around_them_are_named_so():
    # a CSV header 'id ,x': ['x '] in the data, ['x'] in the schema, with no word of the spaces
    frames = family_frames()
    frames["child"] = frames["child"].rename(columns={"x": "x "})
    problems = problems_of(frames, family_schema())
    assert problems == [
        "table 'child': column name(s) ['x '] are the schema's ['x'] with spaces around them: strip them, "
        "e.g. df.columns = df.columns.str.strip()"
    ]


def test_missing_key_column_does_not_crash_the_key_checks():
    frames = family_frames()
    frames["parent"] = frames["parent"].drop(columns="id")
    problems = problems_of(frames, family_schema())
    assert problems == ["table 'parent': column(s) ['id'] are in the schema but not in the data"]


def test_null_primary_keys_give_count_and_rows():
    frames = family_frames()
    frames["parent"] = pd.DataFrame({"id": [1, None, 2, None], "name": list("abcd")})
    msg = one_problem(frames, family_schema())
    assert msg == "table 'parent', primary key 'id': 2 null value(s), at row(s) 1, 3"


def test_duplicated_primary_keys_give_count_and_examples():
    frames = family_frames()
    frames["parent"] = pd.DataFrame({"id": [1, 2, 2, 3, 3, 3], "name": list("abcdef")})
    msg = one_problem(frames, family_schema())
    assert msg == (
        "table 'parent', primary key 'id': 2 duplicated value(s) in 5 rows, e.g. 2, 3; rows under one key differ: "
        "give each row a key of its own, or keep one row per key (pandas: df.drop_duplicates(subset=['id']))"
    )


def test_duplicated_primary_keys_of_whole_rows_repeated_say_to_drop_the_copies():
    """A legacy export appended some customers twice: the error counted the duplicated keys and
    said no more. Where every row repeating a key repeats a whole row, it says to drop the copies."""
    frames = family_frames()
    frames["parent"] = pd.DataFrame({"id": [1, 2, 2, 3, 3, 3], "name": ["a", "b", "b", "c", "c", "c"]})
    msg = one_problem(frames, family_schema())
    assert msg.endswith("e.g. 2, 3; 3 row(s) repeat another whole: drop the copies (pandas: df.drop_duplicates())")


def test_orphan_foreign_keys_give_count_and_at_most_five_examples():
    frames = family_frames()
    frames["child"] = pd.DataFrame(
        {"id": range(10), "parent": [1, 2, 91, 92, 93, 94, 95, 96, 96, 3], "kind": 1, "x": 0.0}
    )
    msg = one_problem(frames, family_schema())
    assert (
        msg
        == "table 'child', foreign key 'parent' -> parent.id: 7 orphan value(s) not in 'parent', e.g. 91, 92, 93, 94, 95 "
        "(orphans='drop' drops those rows with their descendants)"
    )


def test_orphan_keys_that_differ_from_their_parents_only_in_case_or_spaces_are_named_so():
    """A legacy export's orders named their customers 'c0056' and 'C0132 ' (customers: 'C0056',
    'C0132'): the error counted 332 of 1,500 orders as orphans and offered orphans='drop', which would
    have dropped them. It says the keys match but for case or spaces, and to write them alike."""
    parent = pd.DataFrame({"id": ["C01", "C02", "C03 "], "name": list("abc")})
    child = pd.DataFrame({"id": range(5), "parent": ["C01", "c01", "C02 ", "C03", "C09"]})
    schema = Schema(
        parent=Table(id=PrimaryKey(), name=Categorical()), child=Table(id=PrimaryKey(), parent=ForeignKey("parent"))
    )
    msg = one_problem({"parent": parent, "child": child}, schema)
    assert msg.startswith("table 'child', foreign key 'parent' -> parent.id: 4 orphan value(s) not in 'parent'")
    assert (
        "3 of them name a key of 'parent' but for case, surrounding spaces or leading zeros ('c01' for 'C01', "
        "'C02 ' for 'C02', 'C03' for 'C03 '): keys match exactly, as in SQL; write each key as its parent row's" in msg
    )
    zeros = {"parent": parent.assign(id=["00123", "00456", "A1"]), "child": child.assign(parent=["123"] * 4 + ["A1"])}
    assert "4 of them name a key of 'parent' but for case, surrounding spaces or leading zeros ('123' for '00123')" in (
        one_problem(zeros, schema)
    )  # a spreadsheet read the child's codes as numbers
    near = {"parent": parent, "child": child.assign(parent=["C01", "c01", "C02 ", "C03", "C02"])}
    assert "(orphans='drop'" not in one_problem(near, schema)  # every orphan is a key misspelt: dropping is no way out


def test_orphan_lookup_key_is_named():
    frames = family_frames()
    frames["child"] = frames["child"].assign(kind=[1, 7, 7, None])
    msg = one_problem(frames, family_schema())
    assert (
        msg
        == "table 'child', foreign key 'kind' -> kind.id: 2 orphan value(s) not in 'kind', e.g. 7 (orphans='drop' makes them null)"
    )


def test_null_parent_key_is_refused_but_null_lookup_key_is_allowed():
    frames = family_frames()
    assert RelationalData(frames, family_schema())["child"]["kind"].isna().sum() == 1
    frames["child"] = frames["child"].assign(parent=[1, None, 2, 2])
    msg = one_problem(frames, family_schema())
    assert msg.startswith("table 'child', foreign key 'parent' -> parent.id: 1 null value(s), at row(s) 1")
    assert "every row must belong to a parent row" in msg


def test_text_in_integer_foreign_key_is_named_not_every_row_an_orphan():
    frames = family_frames()
    frames["child"] = frames["child"].assign(parent=["1", "1", "2", "x"])
    msg = one_problem(frames, family_schema())
    assert (
        msg
        == "table 'child', foreign key 'parent' -> parent.id: 1 value(s) are not integers, as the keys of 'parent' are, e.g. 'x'"
    )


def test_a_placeholder_in_an_integer_foreign_key_is_a_null_key():
    """A spreadsheet's export wrote a missing lookup key as 'NULL' or 'N/A' among integer keys: the
    read stopped ("2 value(s) are not integers, as the keys of 'kind' are, e.g. 'NULL', 'N/A"),
    though no integer key can be spelt so. They are null keys, as a blank is."""
    frames = family_frames()
    frames["child"] = frames["child"].assign(kind=["1", "NULL", "2", " n/a"])
    kind = RelationalData(frames, family_schema())["child"]["kind"]
    assert kind.dtype == "Int64" and kind.isna().tolist() == [False, True, False, True]


def test_text_keys_keep_leading_zeros_and_match_their_references():
    schema = family_schema()
    frames = family_frames()
    frames["parent"] = pd.DataFrame({"id": ["07", "7", "A"], "name": ["a", "b", "c"]})
    frames["child"] = frames["child"].assign(parent=["07", "7", "7", "A"])
    data = RelationalData(frames, schema)
    assert data["parent"]["id"].tolist() == ["07", "7", "A"]
    assert str(data["child"]["parent"].dtype) == "string"
    frames["child"] = frames["child"].assign(parent=[7, 7, 7, 7])  # integers against text keys
    assert str(RelationalData(frames, schema)["child"]["parent"].dtype) == "string"


def test_integer_keys_written_as_text_become_integers():
    frames = family_frames()
    frames["parent"] = frames["parent"].assign(id=["1", "2", "3"])
    frames["child"] = frames["child"].assign(id=[10.0, 11.0, 12.0, 13.0])
    data = RelationalData(frames, family_schema())
    assert data["parent"]["id"].dtype == "Int64" and data["child"]["id"].dtype == "Int64"


def test_uint64_keys_past_int64_are_text_keys_and_come_back_as_uint64(tmp_path: Path):
    ids = np.array([2**63 + 1, 2**63 + 2, 2**64 - 1], dtype="uint64")  # 64-bit hashes or snowflake ids
    frames = family_frames()
    frames["parent"] = frames["parent"].assign(id=ids)
    frames["child"] = frames["child"].assign(parent=ids[[0, 0, 1, 2]])
    data = RelationalData(frames, family_schema())  # was pandas' TypeError: cannot safely cast uint64 to int64
    assert data["parent"]["id"].tolist() == [str(2**63 + 1), str(2**63 + 2), str(2**64 - 1)]
    assert data["child"]["parent"].tolist() == [str(2**63 + 1)] * 2 + [str(2**63 + 2), str(2**64 - 1)]
    assert data.to_source("parent")["id"].dtype == "uint64" and data.to_source("parent")["id"].tolist() == ids.tolist()


def test_every_problem_is_listed_in_one_error():
    frames = family_frames()
    frames["parent"] = pd.DataFrame({"id": [1, 1, 2], "name": list("abc")})
    frames["child"] = frames["child"].assign(x=["a", 1, 2, 3], parent=[1, 1, 2, 5])
    problems = problems_of(frames, family_schema())
    assert len(problems) == 3
    assert any(
        p.startswith("table 'child', column 'x' (numeric): 1 value(s) do not fit the kind, e.g. 'a'") for p in problems
    )
    assert any("primary key 'id': 1 duplicated" in p for p in problems)
    assert any("1 orphan value(s) not in 'parent', e.g. 5" in p for p in problems)


def test_examples_come_from_the_right_rows_with_any_index():
    frames = family_frames()
    child = frames["child"].assign(x=[1.0, "bad", 2.0, "worse"])
    frames["child"] = child.set_axis([7, 3, 9, 1])
    msg = one_problem(frames, family_schema())
    assert "2 value(s) do not fit the kind, e.g. 'bad', 'worse' (text in a number column" in msg


def test_numbers_with_a_qualifier_in_a_number_column_are_told_to_be_text():
    """Lab values below or above what the test measures ('<0.1', '>400') among numbers: the hint said
    to declare the column categorical, which keeps only values seen min_count times (of a clinical
    database's 1,281 distinct lab values, 80 % of the rows would be generated missing)."""
    frames = family_frames()
    frames["child"] = frames["child"].assign(x=[1.0, "<0.1", 2.0, ">= 400"])
    msg = one_problem(frames, family_schema())
    assert "e.g. '<0.1', '>= 400' (numbers with a qualifier" in msg
    assert "declare the column text" in msg


def test_output_index_is_reset_and_values_stay_in_order():
    frames = family_frames()
    frames["child"] = frames["child"].set_axis([7, 3, 9, 1])
    child = RelationalData(frames, family_schema())["child"]
    assert list(child.index) == [0, 1, 2, 3]
    assert child["id"].tolist() == [10, 11, 12, 13]


def test_duplicated_column_names_are_named():
    frames = family_frames()
    frames["parent"] = pd.DataFrame([[1, "a", "b"]], columns=["id", "name", "name"])
    msg = one_problem(frames, family_schema())
    assert msg == "table 'parent': column name(s) ['name'] appear more than once"


def test_a_table_that_is_not_a_dataframe_is_named():
    frames = family_frames()
    frames["kind"] = [{"id": 1}]  # type: ignore[assignment]
    problems = problems_of(frames, family_schema())
    assert problems == ["table 'kind' must be a DataFrame, got list"]


def test_schema_must_be_a_schema():
    with pytest.raises(TypeError, match="schema must be a Schema"):
        RelationalData(family_frames(), {"parent": None})  # type: ignore[arg-type]


def test_input_frames_are_not_modified():
    frames = family_frames()
    before = {t: df.copy() for t, df in frames.items()}
    RelationalData(frames, family_schema())
    for t, df in frames.items():
        pd.testing.assert_frame_equal(df, before[t])


# ---- coercion of every kind ------------------------------------------------------------------
def one_table(**columns: object) -> Schema:
    return Schema(t=Table(columns=columns))


def coerced(schema: Schema, **values: list) -> pd.DataFrame:
    return RelationalData({"t": pd.DataFrame(values)}, schema)["t"]


def test_dtypes_of_every_kind():
    schema = one_table(
        id=PrimaryKey(),
        n=Integer(),
        x=Numeric(),
        c=Categorical(),
        s=Text(),
        b=Boolean(),
        d=Date(),
        ts=Datetime(),
        tm=Time(),
    )
    df = coerced(
        schema,
        id=[1, 2],
        n=[1.0, None],
        x=["0.5", None],
        c=["a", None],
        s=["hello there", None],
        b=["yes", None],
        d=["2020-01-02", None],
        ts=["2020-01-02 03:04:05", None],
        tm=["03:04", None],
    )
    assert {c: str(t) for c, t in df.dtypes.items()} == {
        "id": "Int64",
        "n": "Int64",
        "x": "float64",
        "c": "string",
        "s": "string",
        "b": "boolean",
        "d": "datetime64[ns]",
        "ts": "datetime64[ns]",
        "tm": "object",
    }
    assert df.iloc[1].isna().drop("id").all()


def test_categorical_numbers_stay_numbers():
    df = coerced(one_table(c=Categorical()), c=[1, 2, 2])
    assert df["c"].dtype == "int64"


def test_integers_keep_every_digit():
    big = 2**60 + 1
    assert coerced(one_table(n=Integer()), n=[big, 1])["n"].tolist() == [big, 1]
    assert coerced(one_table(n=Integer()), n=[str(big), "1"])["n"].tolist() == [big, 1]


def test_boolean_coercion():
    df = coerced(one_table(b=Boolean()), b=["Yes", "no", " TRUE ", "f", "1", "0", None])
    assert df["b"].tolist() == [True, False, True, False, True, False, pd.NA]
    ones = coerced(one_table(b=Boolean()), b=[1.0, 0.0, np.nan])  # 1/0 with a gap, as read from a CSV
    assert ones["b"].tolist() == [True, False, pd.NA]
    assert coerced(one_table(b=Boolean()), b=[True, False])["b"].dtype == "boolean"


def test_boolean_that_is_not_is_named():
    msg = one_problem({"t": pd.DataFrame({"b": ["yes", "maybe", 2.0]})}, one_table(b=Boolean()))
    assert msg == "table 't', column 'b' (boolean): 2 value(s) do not fit the kind, e.g. 'maybe', 2.0"
    msg = one_problem({"t": pd.DataFrame({"b": [1, 2]})}, one_table(b=Boolean()))
    assert msg.endswith("1 value(s) do not fit the kind, e.g. 2")


def test_time_coercion():
    values = ["9:30", "12:30:15", "23:59:59.5", dt.time(7, 0), pd.Timestamp("2020-01-01 08:15"), None]
    df = coerced(one_table(tm=Time()), tm=values)
    assert df["tm"].tolist() == [
        dt.time(9, 30),
        dt.time(12, 30, 15),
        dt.time(23, 59, 59, 500000),
        dt.time(7, 0),
        dt.time(8, 15),
        None,
    ]


def test_time_that_is_not_is_named():
    msg = one_problem({"t": pd.DataFrame({"tm": ["10:00", "25:99", "noon"]})}, one_table(tm=Time()))
    assert msg == "table 't', column 'tm' (time): 2 value(s) do not fit the kind, e.g. '25:99', 'noon'"


def test_date_coercion_drops_the_time_of_day():
    df = coerced(one_table(d=Date()), d=["2007-01-01T00:00:00Z", "2008-02-29", "2009-03-01 13:00"])
    assert df["d"].tolist() == [pd.Timestamp("2007-01-01"), pd.Timestamp("2008-02-29"), pd.Timestamp("2009-03-01")]


def test_datetime_coercion_brings_offsets_to_utc():
    df = coerced(one_table(ts=Datetime()), ts=["2020-01-01T00:00:00Z", "2020-01-01 10:00", "2020-01-02T00:00:00+02:00"])
    assert df["ts"].dtype == "datetime64[ns]"
    assert df["ts"].tolist() == [
        pd.Timestamp("2020-01-01 00:00"),
        pd.Timestamp("2020-01-01 10:00"),  # naive: kept as written
        pd.Timestamp("2020-01-01 22:00"),
    ]
    aware = pd.Series(pd.to_datetime(["2020-06-01 12:00"])).dt.tz_localize("Europe/Paris")
    assert coerced(one_table(ts=Datetime()), ts=aware)["ts"].tolist() == [pd.Timestamp("2020-06-01 10:00")]


def test_datetime_of_other_resolutions_and_out_of_range():
    seconds = pd.Series(np.array(["2000-01-01", "3000-01-01", "NaT"], dtype="datetime64[s]"))
    msg = one_problem({"t": pd.DataFrame({"ts": seconds})}, one_table(ts=Datetime()))
    assert msg.startswith("table 't', column 'ts' (datetime): 1 value(s) do not fit the kind, e.g. ")
    assert "3000-01-01" in msg
    ok = coerced(one_table(ts=Datetime()), ts=seconds[:1])
    assert ok["ts"].dtype == "datetime64[ns]" and ok["ts"].tolist() == [pd.Timestamp("2000-01-01")]


def test_datetime_that_is_not_is_named():
    msg = one_problem({"t": pd.DataFrame({"ts": ["2020-01-01", "soon", "2020-13-45"]})}, one_table(ts=Datetime()))
    assert msg == "table 't', column 'ts' (datetime): 2 value(s) do not fit the kind, e.g. 'soon', '2020-13-45'"


def test_pandas_3_string_inference_and_copy_on_write(chinook_schema: Schema):
    """The options that become pandas 3's defaults change nothing in validation."""
    with pd.option_context("future.infer_string", True, "mode.copy_on_write", True):
        frames = {
            t: pd.read_csv(CHINOOK / f"{t}.csv", keep_default_na=False, na_values=[""]) for t in chinook_schema.tables
        }
        data = RelationalData(frames, chinook_schema)
        train, test = data.split(ratio=0.2, seed=0)
    assert str(data["track"]["name"].dtype) == "string"
    assert data["track"]["id"].dtype == "Int64"
    assert train.n_rows()["track"] + test.n_rows()["track"] == 3503


def _chinook_with_messy_keys():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    schema = Schema.from_yaml(root / "conf/base/schema_chinook.yml")
    data = RelationalData.from_dir(root / "data/01_raw/chinook", schema=schema)
    tables = {k: v.copy() for k, v in data.data.items()}
    orphan_album = tables["album"]["id"].iloc[0]
    tables["album"].loc[0, "artist"] = 99_999  # no such artist: the album and its tracks go
    keep_track = tables["track"].index[tables["track"]["album"] != orphan_album][0]
    tables["track"].loc[keep_track, "genre"] = 777  # no such genre: the value goes, the row stays
    return schema, tables, orphan_album, keep_track


def test_orphans_drop_cascades_to_descendants_and_nulls_unknown_lookup_keys():
    schema, tables, orphan_album, keep_track = _chinook_with_messy_keys()
    n_tracks = int((tables["track"]["album"] == orphan_album).sum())
    with pytest.raises(DataError, match="orphan"):
        RelationalData(tables, schema)
    with pytest.warns(UserWarning, match="orphans dropped or nulled"):
        data = RelationalData(tables, schema, orphans="drop")
    assert len(data["album"]) == len(tables["album"]) - 1
    assert len(data["track"]) == len(tables["track"]) - n_tracks
    assert orphan_album not in set(data["track"]["album"])
    kept = data["track"][data["track"]["id"] == tables["track"].loc[keep_track, "id"]]
    assert len(kept) == 1 and kept["genre"].isna().all()
    assert data.dropped == {
        "album.artist (rows dropped)": 1,
        "track.album (rows dropped)": n_tracks,
        "track.genre (nulled)": 1,
    }


def test_orphans_option_is_checked():
    schema, tables, _, _ = _chinook_with_messy_keys()
    with pytest.raises(ValueError, match="orphans must be 'error' or 'drop'"):
        RelationalData(tables, schema, orphans="ignore")


def test_a_value_that_is_no_date_gets_no_hint_about_the_range_of_dates() -> None:
    schema = Schema(t=Table(id=PrimaryKey(), when=Datetime()))
    with pytest.raises(DataError) as err:
        RelationalData({"t": pd.DataFrame({"id": [1, 2], "when": ["25-989-741-2988", "2020-01-01"]})}, schema)
    assert "'25-989-741-2988'" in str(err.value) and "1677" not in str(err.value)
    with pytest.raises(DataError, match="1677-09-21 to 2262-04-11"):  # a date of another era keeps it
        RelationalData({"t": pd.DataFrame({"id": [1, 2], "when": ["1500-03-01", "2020-01-01"]})}, schema)


def test_json_and_array_values_are_held_as_json_text():
    """A database's json and array values (dicts and lists, as its driver returns them) were held as
    Python's repr ({'a': 1}, True), which no database reads back as JSON."""
    schema = Schema(
        tables={"ev": Table(columns={"id": PrimaryKey(), "payload": Text(), "tags": Categorical(), "raw": Text()})}
    )
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "payload": [{"b": 1, "a": "é", "ok": True}, None],
            "tags": [["x", "y"], ["z"]],
            "raw": [b"caf\xc3\xa9", b"A"],
        }
    )
    data = RelationalData({"ev": frame}, schema)
    assert data["ev"]["payload"].tolist() == ['{"b": 1, "a": "é", "ok": true}', pd.NA]
    assert data["ev"]["tags"].tolist() == ['["x", "y"]', '["z"]']
    assert data["ev"]["raw"].tolist() == ["café", "A"]


def test_bytes_that_are_not_utf8_are_named():
    schema = Schema(tables={"ev": Table(columns={"id": PrimaryKey(), "blob": Categorical()})})
    msg = one_problem({"ev": pd.DataFrame({"id": [1, 2], "blob": [b"\xff\x00", b"A"]})}, schema)
    assert msg.startswith("table 'ev', column 'blob' (categorical): 1 value(s) do not fit the kind")
    assert "not UTF-8 text" in msg and "leave the column out" in msg


def test_times_with_a_utc_offset_are_held_as_utc():
    """The offset of a time with a time zone was kept on the value but never learnt: 09:00+02 was
    generated as 09:00 and written as 09:00+00, two hours off. It is held as UTC, as datetimes are."""
    schema = Schema(tables={"t": Table(columns={"id": PrimaryKey(), "at": Time()})})
    opens = ["09:00:00+02:00", dt.time(1, 30, tzinfo=dt.timezone(dt.timedelta(hours=3))), "10:15", None]
    data = RelationalData({"t": pd.DataFrame({"id": [1, 2, 3, 4], "at": opens})}, schema)
    assert data["t"]["at"].tolist() == [dt.time(7, 0), dt.time(22, 30), dt.time(10, 15), None]


def test_a_far_date_in_many_rows_is_named_as_an_open_end_to_make_null() -> None:
    """A warehouse's SCD2 customers end their current row on 9999-12-31: the hint said to declare
    valid_to categorical or text, which loses the date (and valid_from <= valid_to); one far value in
    many rows is named as an open end, with the UPDATE that makes it null, where the column holds
    nulls too (which the far value would then be written back as: two meanings in one)."""
    schema = Schema(c=Table(id=PrimaryKey(), valid_to=Date()))
    ends = ["2023-05-01", "9999-12-31", "9999-12-31", None, "9999-12-31"]
    with pytest.raises(DataError) as err:
        RelationalData({"c": pd.DataFrame({"id": range(5), "valid_to": ends})}, schema)
    said = str(err.value)
    assert "'9999-12-31' in 3 rows marks no date (an open end)" in said, said
    assert """UPDATE "c" SET "valid_to" = NULL WHERE "valid_to" = '9999-12-31'""" in said


@pytest.mark.parametrize(
    "ends",
    [
        ["2023-05-01", "9999-12-31", "9999-12-31", "2024-02-01", "9999-12-31"],  # SQLite's TEXT, a CSV
        [dt.date(2023, 5, 1), dt.date(9999, 12, 31), dt.date(9999, 12, 31), dt.date(2024, 2, 1), dt.date(9999, 12, 31)],
    ],
    ids=["text", "date objects"],
)
def test_an_open_end_is_read_as_null_and_written_back(ends: list, tmp_path: Path) -> None:
    """An SCD2 valid_to of 9999-12-31 in every current row stopped the read ('500 value(s) do not
    fit the kind'), as text (SQLite, CSV) or as DuckDB's and parquet's dates: the one far date a
    column holds in several rows, beside no null, is read as null (no end yet) and written back as
    it was by to_source and to_dir, so the round trip is exact."""
    schema = Schema(c=Table(id=PrimaryKey(), valid_from=Date(), valid_to=Date()))
    starts = ["2022-01-01", "2023-05-02", "2021-03-04", "2023-01-01", "2024-02-02"]
    frame = pd.DataFrame({"id": range(5), "valid_from": starts, "valid_to": ends})
    data = RelationalData({"c": frame}, schema)
    assert data["c"]["valid_to"].isna().tolist() == [False, True, True, False, True]
    assert data["c"]["valid_to"].dtype == "datetime64[ns]"
    assert data.to_source("c")["valid_to"].tolist() == ends
    data.to_dir(tmp_path / "db")
    back = RelationalData.from_dir(tmp_path / "db")
    pd.testing.assert_frame_equal(back["c"], data["c"])
    assert back.to_source("c")["valid_to"].tolist() == ends


def test_an_open_end_is_inferred_as_a_date() -> None:
    """Schema.infer called a valid_to holding 9999-12-31 labels ('3 value(s) read as no date'):
    text, generated as free strings; the open end is now read as null and the column a date."""
    ends = ["2020-01-31", "9999-12-31", "2020-12-31", "9999-12-31", "9999-12-31", "2021-01-01"]
    schema = Schema.infer({"c": pd.DataFrame({"id": range(6), "valid_to": ends})}, primary_keys={"c": "id"})
    assert schema.tables["c"].columns["valid_to"].kind is Column.DATE
    assert "3 value(s) '9999-12-31' read as nulls (an open end)" in schema.inference["c"]["valid_to"]


def test_mysql_zero_dates_are_read_as_nulls_and_written_back(tmp_path: Path) -> None:
    """A MySQL dump's DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00' (an order not yet shipped)
    stopped the read ('2 value(s) do not fit the kind'), and Schema.infer took the column for free
    text. The zero date is read as null and written back as it by to_source and to_dir."""
    shipped = ["2021-01-02 10:00:00", "0000-00-00 00:00:00", "2021-02-03 11:00:00", "0000-00-00 00:00:00"]
    frame = pd.DataFrame({"id": range(4), "shipped_at": shipped})
    schema = Schema.infer({"o": frame}, primary_keys={"o": "id"})
    assert schema.tables["o"].columns["shipped_at"].kind is Column.DATETIME
    assert "2 zero date(s) '0000-00-00 00:00:00' read as nulls (written back so)" in schema.inference["o"]["shipped_at"]
    data = RelationalData({"o": frame}, schema)
    assert data["o"]["shipped_at"].isna().tolist() == [False, True, False, True]
    assert data.to_source("o")["shipped_at"].tolist() == shipped
    data.to_dir(tmp_path / "db")
    back = RelationalData.from_dir(tmp_path / "db")
    pd.testing.assert_frame_equal(back["o"], data["o"])
    assert back.to_source("o")["shipped_at"].tolist() == shipped


def test_mysql_durations_and_partial_zero_dates_are_named_with_a_way_out() -> None:
    """MySQL's TIME holds durations ('838:59:59', '-01:00:00') and its DATE a zero month or day
    ('2020-00-00', a year known only): both stopped the read with 'do not fit the kind' and no word
    of why or what to do."""
    schema = Schema(t=Table(id=PrimaryKey(), took=Time(), born=Date()))
    frame = pd.DataFrame({"id": range(3), "took": ["10:00:00", "838:59:59", "-01:00:00"]})
    frame["born"] = ["2020-01-01", "2020-00-00", "1999-05-00"]
    with pytest.raises(DataError) as err:
        RelationalData({"t": frame}, schema)
    said = str(err.value)
    assert "times past 24:00 or below 00:00 are durations" in said and "'took': 'categorical'" in said, said
    assert """dates with a zero month or day, as MySQL keeps them""" in said
    assert """UPDATE "t" SET "born" = NULL WHERE "born" LIKE '%-00%'""" in said


def test_mysql_zero_dates_beside_nulls_come_back_as_nulls_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """A nullable DATE holding both NULL and '0000-00-00': one null cannot say both, so the zero
    dates are read as nulls, written back as NULL, and a warning says so."""
    births = ["1980-01-02", "0000-00-00", None, "1990-03-04"]
    schema = Schema(c=Table(id=PrimaryKey(), birth=Date()))
    with caplog.at_level("WARNING"):
        data = RelationalData({"c": pd.DataFrame({"id": range(4), "birth": births})}, schema)
    assert "1 zero date(s) '0000-00-00' read as nulls; the column holds 1 NULL(s) too" in caplog.text
    assert data.to_source("c")["birth"].tolist() == ["1980-01-02", None, None, "1990-03-04"]

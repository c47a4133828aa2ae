"""Numbers in a locale's or a report's spelling (`1,234.56`, `1.234,56`, `-1 234,50`, `$1,234.00`,
`12,5 %`): inferred as numbers, read as such, written back in their spelling (to_dir, to_sql);
values that read as two sets of numbers (`1,234` alone) are left as they were, saying so."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational._spelled_numbers import Spelling, read_in, read_spelling

AMOUNTS = np.random.default_rng(0).normal(0, 3000, 40).round(2)
AMOUNTS[:3] = [1234567.5, -0.25, 0.0]


def _eu(x: float) -> str:
    return f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


SPELLINGS = {  # column -> (values as written, kind, the numbers)
    "us": ([f"{x:,.2f}" for x in AMOUNTS], Column.NUMERIC, AMOUNTS),
    "eu": ([_eu(x) for x in AMOUNTS], Column.NUMERIC, AMOUNTS),
    "comma": ([f"{x:.2f}".replace(".", ",") for x in AMOUNTS], Column.NUMERIC, AMOUNTS),
    "fr": ([f"{x:,.2f}".replace(",", " ").replace(".", ",") for x in AMOUNTS], Column.NUMERIC, AMOUNTS),
    "eu_int": ([f"{int(abs(x)) * 10:,}".replace(",", ".") for x in AMOUNTS], Column.INTEGER, np.abs(AMOUNTS) // 1 * 10),
    "usd": (
        [f"${x:,.2f}" if x >= 0 else f"(${-x:,.2f})" for x in AMOUNTS],
        Column.NUMERIC,
        AMOUNTS,
    ),
    "pct": (
        [f"{abs(x) / 100:.1f}".replace(".", ",") + " %" for x in AMOUNTS],
        Column.NUMERIC,
        (np.abs(AMOUNTS) / 100).round(1),
    ),
    "euro": ([f"{x:,.0f}".replace(",", ".") + " €" for x in AMOUNTS * 100], Column.INTEGER, (AMOUNTS * 100).round()),
}


@pytest.fixture(name="frame")
def frame_fixture() -> pd.DataFrame:
    return pd.DataFrame({"id": range(len(AMOUNTS)), **{c: v for c, (v, _, _) in SPELLINGS.items()}})


@pytest.fixture(name="schema")
def schema_fixture(frame: pd.DataFrame) -> Schema:
    return Schema.infer({"t": frame}, primary_keys={"t": "id"})


@pytest.mark.parametrize("column", list(SPELLINGS))
def test_each_spelling_is_inferred_read_and_said(frame, schema, column):
    _, kind, numbers = SPELLINGS[column]
    assert schema.tables["t"].columns[column].kind is kind, schema.inference["t"][column]
    assert "every value is a number written with" in schema.inference["t"][column]
    data = RelationalData({"t": frame}, schema)
    np.testing.assert_allclose(data["t"][column].astype(float), numbers)
    assert data.formats["t"][column]["number"]["decimal"] in (".", ",")


@pytest.mark.parametrize("source", ["csv", "frame"])
def test_each_spelling_round_trips_through_from_dir_and_to_dir(tmp_path: Path, frame, schema, source):
    if source == "csv":
        (tmp_path / "in").mkdir()
        frame.to_csv(tmp_path / "in" / "t.csv", index=False)
        data = RelationalData.from_dir(tmp_path / "in", schema)
    else:
        data = RelationalData({"t": frame}, schema)
    data.to_dir(tmp_path / "out")
    written = pd.read_parquet(tmp_path / "out" / "t.parquet")
    for column in SPELLINGS:
        assert written[column].tolist() == frame[column].tolist(), column
    back = RelationalData.from_dir(tmp_path / "out")
    pd.testing.assert_frame_equal(back["t"], data["t"])
    assert back.formats == data.formats


def test_sqlite_text_columns_round_trip_in_their_spelling(tmp_path: Path, frame):
    source, target = tmp_path / "source.sqlite", tmp_path / "target.sqlite"
    with sqlite3.connect(source) as con:
        columns = ", ".join(f"{c} TEXT" for c in SPELLINGS)
        con.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, {columns})")
        con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * (len(SPELLINGS) + 1))})", frame.to_numpy().tolist())
    data = RelationalData.from_sql(f"sqlite:///{source}")
    for column, (_, kind, numbers) in SPELLINGS.items():
        assert data.schema.tables["t"].columns[column].kind is kind, data.schema.inference["t"][column]
        np.testing.assert_allclose(data["t"][column].astype(float), numbers)
    data.to_sql(f"sqlite:///{target}")
    query = "SELECT * FROM t ORDER BY id"
    with sqlite3.connect(source) as a, sqlite3.connect(target) as b:
        assert b.execute(query).fetchall() == a.execute(query).fetchall()
        assert "TEXT" in b.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()[0]


def test_values_written_back_that_read_two_ways_alone_are_read_back_in_their_spelling(tmp_path: Path):
    frame = pd.DataFrame({"id": [1, 2, 3], "x": ["1,5", "1,250", None]})  # written back "1,500", "1,250"
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    data = RelationalData({"t": frame}, schema)
    data.to_dir(tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "t.parquet")["x"].tolist() == ["1,500", "1,250", None]
    back = RelationalData.from_dir(tmp_path / "out")
    pd.testing.assert_frame_equal(back["t"], data["t"])
    assert back.formats == data.formats


def test_values_that_read_two_ways_are_left_as_they_were_saying_so():
    ambiguous = pd.DataFrame({"id": range(30), "x": [f"{i + 1},{i * 37 % 1000:03d}" for i in range(30)]})
    schema = Schema.infer({"t": ambiguous}, primary_keys={"t": "id"})
    assert schema.tables["t"].columns["x"].kind not in (Column.NUMERIC, Column.INTEGER)
    assert "read as 1 (',' before decimals) or as 1000 (',' between thousands)" in schema.inference["t"]["x"]
    plain = pd.DataFrame({"id": range(3), "x": ["12.345", "1.500", "999"]})  # plain numbers, as before
    schema = Schema.infer({"t": plain}, primary_keys={"t": "id"})
    assert schema.tables["t"].columns["x"].kind is Column.NUMERIC
    assert "reads as whole thousands too" in schema.inference["t"]["x"]


@pytest.mark.parametrize(
    ("values", "numbers"),
    [
        (["999", "1,234", "12,500"], [999, 1234, 12500]),  # groups of 3 beside whole numbers: thousands
        (["0,125", "1,250"], [0.125, 1.25]),  # a leading zero: a decimal comma
        (["1,5", "1,250"], [1.5, 1.25]),  # a group of 1 digit: a decimal comma
        (["1.234", "1.234.567"], [1234, 1234567]),  # two separators: thousands
        (["$-5.00", "$1,000.00"], [-5, 1000]),
        # some values grouped, some not (a sheet's cells formatted apart): labels, or free text, before
        (["1,234.50", "2345.00", "12.00"], [1234.5, 2345, 12]),
        (["1 234,50", "2345,00", "12,00"], [1234.5, 2345, 12]),
        (["1.234.567", "2345678"], [1234567, 2345678]),
    ],
)
def test_the_column_as_a_whole_tells_what_a_separator_is(values, numbers):
    found = read_spelling(pd.Series(values))
    assert found.spelling is not None, found.why
    assert found.numbers.tolist() == numbers
    written = pd.Series([found.spelling.write(v, found.decimals) for v in found.numbers])
    assert written.tolist() == values or read_in(written, found.spelling).tolist() == numbers  # 1,5 -> 1,500


@pytest.mark.parametrize(
    "values",
    [
        ["12.50", "3"],  # plain: read as before
        ["555 123 456", "555 987 654"],  # a phone number's groups
        ["INV 12", "INV 13"],  # a code's prefix is no currency
        ["$5", "6"],  # a prefix on some values only
        ["-5", "(6)"],  # two ways to write a negative
        ["007", "1,5"],  # a leading zero: a code
    ],
)
def test_values_in_no_one_spelling_are_not_spelled_numbers(values):
    assert read_spelling(pd.Series(values)).spelling is None


def test_a_spelling_writes_negatives_and_rounding_to_zero_as_the_source():
    assert Spelling(" ", ",", suffix=" €").write(-1234.5, 2) == "-1 234,50 €"
    assert Spelling(",", ".", prefix="$", parens=True).write(-0.001, 2) == "$0.00"
    assert Spelling(".", ",").write(2**60, 0) == f"{2**60:,}".replace(",", ".")
    assert Spelling(",", ".").write(1234.5, None) == "1,234.5"


def test_numbers_spelt_with_as_few_decimals_as_each_needs_come_back_so(tmp_path: Path):
    """Tax rates written `12.5%` beside `20%` and `0%` came back `20.0%` and `0.0%`: padded to the
    column's most decimals, 3 of 5 values no longer in the source's spelling; a column whose
    values all keep their decimals (`$5.00`) keeps padding them, and generated values are written
    the source's way too."""
    rates, prices = ["12.5%", "20%", "0%", "7.5%", None], ["$5.00", "$1,234.50", "$12.25", "$0.10", "$3.00"]
    frame = pd.DataFrame({"id": range(5), "rate": rates, "price": prices})
    data = RelationalData({"t": frame}, Schema.infer({"t": frame}, primary_keys={"t": "id"}))
    data.to_dir(tmp_path / "out")
    written = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert written["rate"].tolist() == rates and written["price"].tolist() == prices
    made = data["t"].assign(rate=[3.0, 17.5, 12.25, None, 100.0], price=[2.0, 1500.0, 0.5, 7.25, 10.0])
    out = RelationalData({"t": made}, data.schema, formats=data.formats).to_source("t")
    assert out["rate"].tolist() == ["3%", "17.5%", "12.2%", None, "100%"]  # at most the source's 1 decimal
    assert out["price"].tolist() == ["$2.00", "$1,500.00", "$0.50", "$7.25", "$10.00"]


UNIT_VALUES = np.random.default_rng(1).gamma(3, 4, 60).round(1)
UNITS = {  # column -> (values as written, kind, the numbers)
    "weight": ([f"{x:.1f} kg" for x in UNIT_VALUES], Column.NUMERIC, UNIT_VALUES),
    "temp": ([f"{x - 10:.1f}°C" for x in UNIT_VALUES], Column.NUMERIC, UNIT_VALUES - 10),
    "volume": ([f"{int(x * 100):,} ml" for x in UNIT_VALUES], Column.INTEGER, (UNIT_VALUES * 100).astype(int)),
    "wait": ([f"{int(x)}min" for x in UNIT_VALUES * 3], Column.INTEGER, (UNIT_VALUES * 3).astype(int)),
    "age": ([f"{int(x)} yrs" for x in UNIT_VALUES * 2], Column.INTEGER, (UNIT_VALUES * 2).astype(int)),
}


def test_numbers_with_a_unit_are_numbers_written_back_in_their_unit(tmp_path: Path):
    """`12.3 kg` in 288 distinct values of 1,500 was inferred categorical: its rare values came back
    as a few frequent labels or missing. A unit after every number makes them numbers of the
    unit's spelling, read, written back (to_dir, CSV) and generated in it, blanks as they were."""
    frame = pd.DataFrame({"id": range(len(UNIT_VALUES)), **{c: v for c, (v, _, _) in UNITS.items()}})
    frame.loc[[3, 7], "weight"] = "n/a"
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    (tmp_path / "in").mkdir()
    frame.to_csv(tmp_path / "in" / "t.csv", index=False)
    for data in (RelationalData({"t": frame}, schema), RelationalData.from_dir(tmp_path / "in", schema)):
        for column, (_, kind, numbers) in UNITS.items():
            assert schema.tables["t"].columns[column].kind is kind, schema.inference["t"][column]
            held = frame[column].str.contains(r"\d")
            np.testing.assert_allclose(data["t"][column][held].astype(float), numbers[held])
        written = data.to_source("t")
        for column in UNITS:
            assert written[column].tolist() == frame[column].tolist(), column
    made = data["t"].assign(
        weight=[0.5, 123.45, None] + [1.0] * (len(frame) - 3), volume=range(1000, 1000 + len(frame))
    )
    out = RelationalData({"t": made}, data.schema, formats=data.formats).to_source("t")
    assert out["weight"].tolist()[:3] == ["0.5 kg", "123.5 kg", "n/a"] and out["volume"][0] == "1,000 ml"
    data.to_dir(tmp_path / "out")
    back = RelationalData.from_dir(tmp_path / "out")
    pd.testing.assert_frame_equal(back["t"], data["t"])


@pytest.mark.parametrize(
    "shape",
    [
        "A{}",  # codes with a letter before the number
        "PROJ-{}",
        "v{}.2",
        "{}A",  # a letter after the number, which is no known unit
        "{}-20",  # a range
        "{} Jan",  # a day of a month
        "{}th",  # an ordinal
        "{} pm",  # an hour
    ],
)
def test_codes_ranges_and_dates_are_not_numbers_with_a_unit(shape):
    values = pd.Series([shape.format(i) for i in range(1, 41)] * 3)
    assert read_spelling(values).spelling is None


def test_a_few_sizes_with_a_unit_stay_labels():
    """`5 kg`, `10 kg`, `25 kg` bags: labels users expect as categories (fewer than 20 numbers, as magnitudes)."""
    values = pd.Series([f"{v} kg" for v in np.random.default_rng(0).choice([5, 10, 25], 200)])
    assert Schema.infer({"t": pd.DataFrame({"x": values})}).tables["t"].columns["x"].kind is Column.CATEGORICAL


def test_numbers_with_a_prime_mark_are_numbers_written_back_so():
    """`45'` (minutes of play, or feet), `12"` (seconds, or inches) were read as codes of the shape
    "99'": generated values fresh codes, no amount. A prime after every number is a unit."""
    minutes = [f"{int(x)}'" for x in UNIT_VALUES * 3]
    inches = [f'{int(x)}"' for x in UNIT_VALUES * 2]
    frame = pd.DataFrame({"id": range(len(UNIT_VALUES)), "minute": minutes, "inch": inches})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    for column in ("minute", "inch"):
        assert schema.tables["t"].columns[column].kind is Column.INTEGER, schema.inference["t"][column]
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["minute"].tolist() == [int(x) for x in UNIT_VALUES * 3]
    assert data.to_source("t")[["minute", "inch"]].to_dict("list") == {"minute": minutes, "inch": inches}
    made = data["t"].assign(minute=[90] * len(frame))
    assert RelationalData({"t": made}, data.schema, formats=data.formats).to_source("t")["minute"][0] == "90'"


@pytest.mark.parametrize("shape", ["{}'11\"", "1'{}", "{}'5"])  # heights in feet and inches; Swiss thousands
def test_feet_and_inches_are_no_numbers_with_a_prime(shape):
    values = pd.Series([shape.format(i) for i in range(1, 41)] * 3)
    assert read_spelling(values).spelling is None

"""RelationalData.to_dir / from_dir: parquet and schema.yaml round trip, CSV reading."""

from __future__ import annotations

import datetime as dt
import logging
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import (
    Boolean,
    Categorical,
    DataError,
    Date,
    Datetime,
    ForeignKey,
    Identifier,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    SchemaError,
    Table,
    Text,
    Time,
)
from relsynth.relational._infer import infer_kind_and_reason
from relsynth.relational.columns import Column
from relsynth.relational.files import LoadError, write_parquet

ROOT = Path(__file__).resolve().parents[2]
CHINOOK = ROOT / "data" / "01_raw" / "chinook"


def every_kind() -> RelationalData:
    """A parent and a child holding every kind, each with a null."""
    schema = Schema(
        owner=Table(id=PrimaryKey(), name=Text()),
        item=Table(
            id=PrimaryKey(),
            owner=ForeignKey("owner"),
            n=Integer(),
            x=Numeric(),
            c=Categorical(),
            s=Text(),
            b=Boolean(),
            d=Date(),
            ts=Datetime(),
            tm=Time(),
        ),
    )
    owner = pd.DataFrame({"id": ["o1", "o2"], "name": ["Ann", None]})
    item = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "owner": ["o1", "o1", "o2"],
            "n": [1, None, 2**40],
            "x": [0.5, None, -1e9],
            "c": ["red", None, "NA"],
            "s": ["a text", "", None],
            "b": [True, None, False],
            "d": ["2020-01-31", None, "1999-12-31"],
            "ts": ["2020-01-31 10:11:12.5", "2021-06-01 00:00", None],
            "tm": ["09:30", None, "23:59:59"],
        }
    )
    return RelationalData({"owner": owner, "item": item}, schema)


def test_round_trip_keeps_schema_values_and_dtypes(tmp_path: Path):
    data = every_kind()
    data.to_dir(tmp_path / "db")
    assert sorted(p.name for p in (tmp_path / "db").iterdir()) == ["item.parquet", "owner.parquet", "schema.yaml"]
    back = RelationalData.from_dir(tmp_path / "db")
    assert back.schema == data.schema
    for table in data:
        pd.testing.assert_frame_equal(back[table], data[table])
    item = back["item"]
    assert {c: str(t) for c, t in item.dtypes.items()} == {
        "id": "Int64",
        "owner": "string",
        "n": "Int64",
        "x": "float64",
        "c": "string",
        "s": "string",
        "b": "boolean",
        "d": "datetime64[ns]",
        "ts": "datetime64[ns]",
        "tm": "object",
    }
    assert item["n"].tolist() == [1, pd.NA, 2**40]
    assert item["s"].tolist() == ["a text", "", pd.NA]  # an empty text is not a null
    assert item["c"].tolist() == ["red", pd.NA, "NA"]
    assert item["tm"].tolist() == [dt.time(9, 30), None, dt.time(23, 59, 59)]
    assert item["ts"].tolist()[0] == pd.Timestamp("2020-01-31 10:11:12.5")


def test_round_trip_of_a_split_part_with_empty_tables(tmp_path: Path):
    data = every_kind()
    part = data.subset({"owner": []})
    part.to_dir(tmp_path)
    back = RelationalData.from_dir(tmp_path)
    assert back.n_rows() == {"owner": 0, "item": 0}
    assert dict(back["item"].dtypes) == dict(data["item"].dtypes)


def test_from_dir_reads_the_shipped_chinook_csvs():
    schema = Schema.from_yaml(ROOT / "conf" / "base" / "schema_chinook.yml")
    data = RelationalData.from_dir(CHINOOK, schema=schema)  # other CSVs there are left alone
    assert list(data) == ["artist", "album", "track", "genre", "media_type"]
    assert data.n_rows()["track"] == 3503
    assert data["artist"]["name"].iloc[0] == "AC/DC"


def test_from_dir_csv_reads_text_columns_as_text(tmp_path: Path):
    schema = Schema(t=Table(id=PrimaryKey(), code=Text(), n=Integer(), when=Datetime()))
    (tmp_path / "t.csv").write_text("id,code,n,when\n1,007,5,2020-01-01T10:00:00Z\n2,NA,,\n3,,7,2020-01-02 11:00\n")
    df = RelationalData.from_dir(tmp_path, schema=schema)["t"]
    assert df["code"].tolist() == ["007", "NA", pd.NA]  # zeros kept, "NA" is a text, empty is null
    assert df["n"].tolist() == [5, pd.NA, 7]
    assert df["when"].tolist() == [pd.Timestamp("2020-01-01 10:00"), pd.NaT, pd.Timestamp("2020-01-02 11:00")]


def test_from_dir_csv_keeps_codes_with_leading_zeros_and_plain_numbers_as_numbers(tmp_path: Path):
    schema = Schema(c=Table(id=PrimaryKey(), zip=Categorical(), size=Categorical()))
    (tmp_path / "c.csv").write_text("id,zip,size\n00001,00501,3\n00002,02134,\n00003,10001,5\n")
    data = RelationalData.from_dir(tmp_path, schema=schema)
    df = data["c"]
    assert df["id"].tolist() == ["00001", "00002", "00003"] and df["zip"].tolist() == ["00501", "02134", "10001"]
    assert df["size"].tolist()[::2] == [3, 5]  # plain numbers stay numbers, as pandas reads them
    data.to_dir(tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "c.parquet")["zip"].tolist() == ["00501", "02134", "10001"]


def test_integer_codes_of_one_width_keep_their_leading_zeros_and_others_are_warned_of(tmp_path: Path, caplog):
    zips = ["00501", "02134", "10001", None]  # declared integer (not the categorical Schema.infer would say)
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "zip": zips, "agent": ["007", "12", "7", "42"]})
    with caplog.at_level(logging.WARNING):
        data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), zip=Integer(), agent=Integer())))
    assert data["t"]["zip"].tolist()[:3] == [501, 2134, 10001]
    assert "column 'agent'" in caplog.text and "'007'" in caplog.text and "categorical" in caplog.text
    assert "column 'zip'" not in caplog.text
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert back["zip"].tolist() == zips  # was 501, 2134
    assert back["agent"].tolist() == ["7", "12", "7", "42"]  # widths differ: nothing to pad to (warned)


def test_pyarrow_strings_come_back_as_pyarrow_strings():
    # to_source only: pandas reads any string column of a parquet file back as string[python]
    arrow = pd.StringDtype("pyarrow")
    frame = pd.DataFrame({"id": pd.array(["a1", "b2"], dtype=arrow), "seg": pd.array(["x", None], dtype=arrow)})
    data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), seg=Categorical())))
    back = data.to_source("t")
    assert back["seg"].dtype == arrow and back["id"].dtype == arrow  # was string[python]
    assert back["seg"].tolist() == ["x", pd.NA]


def test_text_dates_and_numbers_are_read_one_way_and_written_back_in_their_pattern(tmp_path: Path):
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "day": ["28/07/2020", "05/03/2020", "13/01/2021", "01/02/2021"],  # day first: every row read so
            "at": ["2021-01-01 10:00:00.123", "2021-01-02 11:00:00.456", None, "2021-01-03 12:00:00.789"],
            "off": ["2021-03-01T10:00:00+02:00", "2021-03-02T10:00:00+02:00", None, "2021-03-03T23:30:00+02:00"],
            "price": ["12.50", "7.00", "3.99", None],
        }
    )
    schema = Schema(t=Table(id=PrimaryKey(), day=Date(), at=Datetime(), off=Datetime(), price=Numeric()))
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["day"].dt.strftime("%Y-%m-%d").tolist() == ["2020-07-28", "2020-03-05", "2021-01-13", "2021-02-01"]
    assert data["t"]["off"].iloc[3] == pd.Timestamp("2021-03-03 21:30")  # read as UTC
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    for col in ("day", "at", "price"):
        assert back[col].tolist() == frame[col].tolist(), col
    assert back["off"].tolist() == frame["off"].tolist()  # in the one offset they all have (was +00:00)
    mixed = frame.assign(
        off=["2021-03-01T10:00:00+02:00", "2021-03-02T10:00:00+01:00", None, "2021-03-03T23:30:00+02:00"]
    )
    RelationalData({"t": mixed}, schema).to_dir(tmp_path / "mixed")  # several offsets: written in UTC
    assert pd.read_parquet(tmp_path / "mixed" / "t.parquet")["off"].tolist() == [
        "2021-03-01T08:00:00+00:00",
        "2021-03-02T09:00:00+00:00",
        None,
        "2021-03-03T21:30:00+00:00",
    ]


def test_dates_in_two_spellings_read_each_spelling_one_way(tmp_path: Path):
    """A column merged from two exports held ISO dates and day-first ones: declared a date, it was
    read value by value, '05/03/2021' as May 3 beside '25/03/2021' as March 25, and Schema.infer
    called the dates labels ('5 distinct values ... labels that repeat'). Each spelling is read in one
    pattern, as a column of one spelling is, and written back in each spelling's share."""
    vals = ["05/03/2021", "25/03/2021", "2021-04-01", "07/04/2021", "2021-03-15"] * 10
    kind, why = infer_kind_and_reason(pd.Series(vals))
    assert kind is Column.DATE and "'%d/%m/%Y' or '%Y-%m-%d'" in why, why
    data = RelationalData({"t": pd.DataFrame({"id": range(50), "d": vals})}, Schema(t=Table(id=PrimaryKey(), d=Date())))
    assert data["t"]["d"].dt.strftime("%Y-%m-%d").tolist()[:5] == [
        "2021-03-05", "2021-03-25", "2021-04-01", "2021-04-07", "2021-03-15"
    ]  # fmt: skip
    data.to_dir(tmp_path)
    written = pd.read_parquet(tmp_path / "t.parquet")["d"]
    assert written.str.contains("/").sum() == 30  # 3 in 5, as in the source
    again = RelationalData({"t": pd.DataFrame({"id": range(50), "d": written})}, data.schema)
    assert again["t"]["d"].equals(data["t"]["d"])


def test_a_generated_date_column_keeps_the_share_of_each_spelling_the_source_mixed():
    """A column merged from two exports (70 % ISO dates, 30 % day first) was written back all in
    its most frequent spelling: generated rows held no 05/03/2021 at all. Each spelling now writes
    its share of the rows (within a row or two in any run of rows), and a time of day only in a
    spelling that has one."""
    days = pd.date_range("2020-01-01", periods=100, freq="7D")
    vals = [d.strftime("%d/%m/%Y %H:%M" if i % 10 < 3 else "%Y-%m-%d") for i, d in enumerate(days)]
    schema = Schema(t=Table(id=PrimaryKey(), d=Datetime()))
    data = RelationalData({"t": pd.DataFrame({"id": range(100), "d": vals})}, schema)
    made = pd.DataFrame({"id": range(1000), "d": pd.Timestamp("2022-01-01") + pd.to_timedelta(range(1000), unit="D")})
    made.loc[::50, "d"] += pd.Timedelta(hours=9, minutes=30)  # 20 times of day
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")["d"]
    day_first = out.str.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")
    assert out.str.fullmatch(r"\d{4}-\d{2}-\d{2}").sum() + day_first.sum() == 1000
    dated = made["d"] == made["d"].dt.normalize()  # the rows free to take either spelling
    assert abs(day_first[dated].mean() - 0.3) < 0.01 and abs(day_first[dated][:100].mean() - 0.3) < 0.03
    assert out[::50].str.endswith("09:30").all()
    read = pd.to_datetime(out.where(day_first), format="%d/%m/%Y %H:%M").fillna(pd.to_datetime(out.where(~day_first)))
    assert (read == made["d"]).all()


def test_dates_mixing_month_names_and_numbers_are_dates_keeping_each_spelling():
    """`2021-03-05`, `05/03/2021`, `5 Mar 2021` and `March 5, 2021` in one column (exports merged)
    were read as free text: no pattern reads them all and only numeric spellings were read each in
    its own. A month's name is now a field of the shape, so each spelling is read in its pattern and
    written back in its share; a May of the full names (`May 5, 2021`, which a short name's pattern
    reads first) is of their spelling, so no generated March is written short."""
    days = pd.date_range("2020-01-03", periods=160, freq="5D")
    spellings = ["%Y-%m-%d", "%d/%m/%Y", "%d %b %Y", "%B %d, %Y"]
    vals = [d.strftime(spellings[i % 4]) for i, d in enumerate(days)]
    kind, why = infer_kind_and_reason(pd.Series(vals, name="order_date"))
    assert kind is Column.DATE, why
    schema = Schema(t=Table(id=PrimaryKey(), d=Date()))
    data = RelationalData({"t": pd.DataFrame({"id": range(160), "d": vals})}, schema)
    assert data["t"]["d"].equals(pd.Series(days, name="d"))
    made = pd.DataFrame({"id": range(400), "d": pd.date_range("2022-01-01", periods=400, freq="D")})
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")["d"]
    for spelling, pattern in zip(
        spellings[:3], [r"\d{4}-\d\d-\d\d", r"\d\d/\d\d/\d{4}", r"\d\d [A-Z][a-z]{2} \d{4}"], strict=True
    ):
        assert abs(out.str.fullmatch(pattern).mean() - 0.25) < 0.02, spelling
    full = out[out.str.contains(",")]
    months = "January|February|March|April|May|June|July|August|September|October|November|December"
    assert abs(len(full) / 400 - 0.25) < 0.02 and full.str.match(rf"({months}) \d\d, \d{{4}}$").all()
    assert pd.to_datetime(full, format="%B %d, %Y").equals(made["d"][full.index].rename("d"))


@pytest.mark.parametrize(
    "spelling", ["%a, %d %b %Y", "%A, %B %d, %Y", "%a %b %d %Y", "%A, %d %B %Y", "%G-W%V-%u", "%a, %d %b %Y %H:%M:%S"]
)
def test_dates_written_with_their_weekday_or_as_iso_weeks_are_dates_written_back_so(spelling):
    """`Fri, 05 Mar 2021` (an e-mail's or HTTP's date), `Friday, March 5, 2021` (a report's) and
    `2021-W09-5` (an ISO 8601 week date) were read as text or identifiers: now dates, read in their
    pattern and written back in it, a generated date with its own weekday."""
    days = pd.Series(pd.date_range("2021-01-01 10:30", periods=40, freq="9D"))
    days = days if "%H" in spelling else days.dt.normalize()
    vals = days.dt.strftime(spelling)
    kind, why = infer_kind_and_reason(vals)
    assert kind is (Column.DATETIME if "%H" in spelling else Column.DATE), why
    schema = Schema(t=Table(id=PrimaryKey(), d=Datetime() if "%H" in spelling else Date()))
    data = RelationalData({"t": pd.DataFrame({"id": range(40), "d": vals})}, schema)
    assert data["t"]["d"].equals(days.rename("d")) and data.to_source("t")["d"].equals(vals.rename("d"))
    made = data["t"].assign(d=days + pd.Timedelta(days=1))
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")["d"]
    assert out.equals(made["d"].dt.strftime(spelling))


@pytest.mark.parametrize(("spelling", "first"), [("%m/%d/%y", "01/01/99"), ("%d-%m-%y %H:%M", "01-01-99 10:30")])
def test_dates_with_two_digit_years_of_a_plain_century_are_dates_written_back_so(spelling, first):
    """`12/31/99` and `05/03/21` were identifiers (codes of one shape): where every year is 00-40
    or 69-99, which strptime reads as 2000-2040 and 1969-1999 and no other reading would, they are
    dates, read and written back in their pattern, month first before day first as with four digits."""
    days = pd.Series(pd.date_range("1999-01-01 10:30", periods=40, freq="13D"))
    days = days if "%H" in spelling else days.dt.normalize()
    vals = days.dt.strftime(spelling)
    assert vals[0] == first
    kind, why = infer_kind_and_reason(vals)
    assert kind in (Column.DATE, Column.DATETIME) and spelling in why, why
    schema = Schema(t=Table(id=PrimaryKey(), d=Datetime() if "%H" in spelling else Date()))
    data = RelationalData({"t": pd.DataFrame({"id": range(40), "d": vals})}, schema)
    assert data["t"]["d"].equals(days.rename("d")) and data.to_source("t")["d"].equals(vals.rename("d"))


@pytest.mark.parametrize("start", ["1952-01-01", "2045-01-01"])
def test_dates_with_two_digit_years_of_either_century_are_left_as_they_are(start):
    """A 1950s birth date written `03/05/52` would read as 2052 (strptime's %y), and `45` is 1945 as
    well as 2045: such a column is left as it is, and so is one of too few distinct values."""
    vals = pd.Series(pd.date_range(start, periods=40, freq="13D")).dt.strftime("%m/%d/%y")
    assert infer_kind_and_reason(vals)[0] not in (Column.DATE, Column.DATETIME)
    few = pd.Series(pd.date_range("2021-01-01", periods=10, freq="13D")).dt.strftime("%m/%d/%y")
    assert infer_kind_and_reason(few)[0] not in (Column.DATE, Column.DATETIME)


def test_dates_naming_another_weekday_than_their_own_are_left_as_text():
    """strptime reads a weekday's name unchecked: `Mon, 05 Mar 2021` (a Friday) would be written
    back `Fri, 05 Mar 2021`, a value changed; such a column is left as it is."""
    vals = list(pd.date_range("2021-01-01", periods=40, freq="9D").strftime("%a, %d %b %Y"))
    assert vals[0] == "Fri, 01 Jan 2021"
    vals[0] = "Mon, 01 Jan 2021"
    assert infer_kind_and_reason(pd.Series(vals))[0] not in (Column.DATE, Column.DATETIME)


def test_dates_with_and_without_a_time_read_day_first_together():
    """A day-first column whose dates alone all had days up to 12 ('05/03/2021') beside dated times
    that did not ('25/03/2021 11:00') read the dates month first (May 3) and the times day first."""
    data = RelationalData(
        {"t": pd.DataFrame({"id": range(3), "at": ["05/03/2021", "06/04/2021 10:00", "25/03/2021 11:00"]})},
        Schema(t=Table(id=PrimaryKey(), at=Datetime())),
    )
    assert data["t"]["at"].dt.strftime("%m-%d").tolist() == ["03-05", "04-06", "03-25"]


def test_numbers_written_in_their_shortest_form_come_back_so(tmp_path: Path):
    """A CSV's doses written with as many decimals as each needs (100.2, 129.93, 12) came back
    padded to the most (100.20, 12.00); a column written with fixed decimals (12.50, 7.00) keeps
    them, and a generated value is written the source's way too."""
    frame = pd.DataFrame(
        {"id": [1, 2, 3, 4], "dose": ["100.2", "129.93", "12", None], "price": ["12.50", "7.00", "3.99", "1.10"]}
    )
    schema = Schema(t=Table(id=PrimaryKey(), dose=Numeric(), price=Numeric()))
    data = RelationalData({"t": frame}, schema)
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert back["dose"].tolist() == ["100.2", "129.93", "12", None]
    assert back["price"].tolist() == ["12.50", "7.00", "3.99", "1.10"]
    made = data["t"].assign(dose=[3.5, 40.0, 0.25, None])
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["dose"].tolist() == ["3.5", "40", "0.25", None]


def test_times_with_a_fraction_of_a_second_come_back_in_their_digits(tmp_path: Path):
    """Times of day written with milliseconds (`10:34:04.048`) had no spelling kept: every value,
    read or generated, was written back as `str(time)`, `10:34:04.048000`, and to parquet as a
    time, not as the text the source held."""
    frame = pd.DataFrame({"id": [1, 2, 3], "at": ["10:34:04.048", "23:59:59.500", None]})
    schema = Schema(t=Table(id=PrimaryKey(), at=Time()))
    data = RelationalData({"t": frame}, schema)
    data.to_dir(tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "t.parquet")["at"].tolist() == ["10:34:04.048", "23:59:59.500", None]
    made = data["t"].assign(at=[dt.time(8, 0, 1, 123456), dt.time(9, 30), None])
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["at"].tolist() == ["08:00:01.123", "09:30:00.000", None]


def test_times_written_without_a_leading_zero_come_back_so(tmp_path: Path):
    """Shop hours written `9:30` beside `14:05` had no spelling kept (only two-digit hours had one):
    written back as `str(time)`, `09:30:00`, and to parquet as times. A column that writes `09:30`
    keeps its zero."""
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "opens": ["9:30", "14:05", "0:15", None],
            "at": ["9:30:05", "14:05:00", "7:00:59", "23:59:01"],
        }
    )
    schema = Schema(t=Table(id=PrimaryKey(), opens=Time(), at=Time()))
    data = RelationalData({"t": frame}, schema)
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert back["opens"].tolist() == frame["opens"].tolist() and back["at"].tolist() == frame["at"].tolist()
    made = data["t"].assign(opens=[dt.time(8, 0), dt.time(10, 45), dt.time(0, 5), None])
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["opens"].tolist() == ["8:00", "10:45", "0:05", None]
    padded = RelationalData({"t": frame.assign(opens=["09:30", "14:05", "00:15", None])}, schema)
    assert padded.to_source("t")["opens"].tolist() == ["09:30", "14:05", "00:15", None]


def test_dates_with_a_month_name_come_back_in_their_spelling(tmp_path: Path):
    """`Mar 5, 2024` (a day without its zero) and `05-Mar-2024` are read as dates and written back
    so, a generated day too: strftime's %d alone would write `Mar 05, 2024`."""
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "signup": ["Mar 5, 2024", "Dec 25, 2023", None, "Jan 10, 2022"],
            "birth": ["05-Mar-1984", "25-Dec-1990", "01-Jan-2001", None],
            "paid": ["5/3/2024", "12/25/2023", "1/15/2022", "11/2/2021"],
        }
    )
    schema = Schema(t=Table(id=PrimaryKey(), signup=Date(), birth=Date(), paid=Date()))
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["signup"].iloc[0] == pd.Timestamp("2024-03-05")
    assert data["t"]["paid"].iloc[0] == pd.Timestamp("2024-05-03")
    assert data.to_source("t").equals(frame)
    data.to_dir(tmp_path / "out")
    assert RelationalData.from_dir(tmp_path / "out").to_source("t").equals(frame)
    day = pd.Timestamp("2024-07-08")
    made = data["t"].assign(signup=day, birth=day, paid=day)
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out.iloc[0, 1:].tolist() == ["Jul 8, 2024", "08-Jul-2024", "7/8/2024"]


def test_dates_with_a_month_name_in_other_orders_are_inferred_and_come_back_in_their_spelling(tmp_path: Path):
    """`Mar 5 2024` (no comma) and `2024-Mar-05` were inferred free text (every generated value
    missing) and codes (fresh codes of the shape `9999-Aaa-99`, no dates); read as dates, from
    frames or a CSV, they come back as written and a generated day is written so."""
    days = pd.date_range("2021-01-03", periods=60, freq="5D")
    frame = pd.DataFrame(
        {
            "id": range(60),
            "signup": [f"{d:%b} {d.day} {d:%Y}" for d in days],
            "birth": [f"{d:%Y-%b-%d}" for d in days],
            "joined": [f"{d:%B} {d.day} {d:%Y}" for d in days],
        }
    )
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    for c in ("signup", "birth", "joined"):
        assert isinstance(schema.tables["t"].columns[c], Date), schema.inference["t"][c]
    (tmp_path / "in").mkdir()
    frame.to_csv(tmp_path / "in" / "t.csv", index=False)
    for data in (RelationalData({"t": frame}, schema), RelationalData.from_dir(tmp_path / "in", schema)):
        assert data["t"]["birth"].iloc[0] == pd.Timestamp("2021-01-03")
        assert data.to_source("t").equals(frame)
    day = pd.Timestamp("2024-07-08")
    made = data["t"].assign(signup=day, birth=day, joined=day)
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out.iloc[0, 1:].tolist() == ["Jul 8 2024", "2024-Jul-08", "July 8 2024"]


def test_dates_written_as_numbers_yyyymmdd_are_dates_written_back_so(tmp_path: Path):
    """A warehouse's date key 20240305 was an integer: 4 in 100 generated values were no day
    (20240444). Inferred a date (as an int64 or as text), read as one and written back as the number."""
    days = pd.date_range("2024-01-25", periods=40, freq="3D")
    frame = pd.DataFrame(
        {"id": range(40), "day": [int(d.strftime("%Y%m%d")) for d in days], "n": range(20240101, 20240141)}
    )
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert isinstance(schema.tables["t"].columns["day"], Date)
    assert isinstance(schema.tables["t"].columns["n"], Integer)  # counting past the 31st: no dates
    text = frame.astype({"day": str})
    assert isinstance(Schema.infer({"t": text}, primary_keys={"t": "id"}).tables["t"].columns["day"], Date)
    frame.to_csv(tmp_path / "t.csv", index=False)
    for data in (
        RelationalData({"t": frame}, schema),
        RelationalData({"t": text}, schema),
        RelationalData.from_dir(tmp_path, schema),
    ):
        assert data["t"]["day"].iloc[0] == pd.Timestamp("2024-01-25")
        made = data["t"].assign(day=pd.Timestamp("2024-02-29"))
        out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
        assert out["day"].iloc[0] in (20240229, "20240229")
    assert RelationalData({"t": frame}, schema).to_source("t").equals(frame)
    assert RelationalData({"t": text}, schema).to_source("t").equals(text)


def test_a_few_dates_yyyymmdd_are_dates_where_declared_or_named_so():
    """Fewer than 20 distinct yyyymmdd numbers were no dates even in a column declared a date (every
    value refused: 'numbers are not read as dates') or named `order_date`: the declaration, or the
    name, says what the digits are, so they are read as dates and written back as the numbers; a
    column named otherwise keeps its integers."""
    values = [20210305, 20210306, 20220101, None]
    frame = pd.DataFrame({"id": range(4), "order_date": values, "amount": values})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert schema.tables["t"].columns["order_date"] == Date() and schema.tables["t"].columns["amount"] == Integer()
    declared = Schema(t=Table(id=PrimaryKey(), order_date=Date(), amount=Date()))
    data = RelationalData({"t": frame}, declared)
    assert data["t"]["amount"].tolist()[:3] == [
        pd.Timestamp("2021-03-05"),
        pd.Timestamp("2021-03-06"),
        pd.Timestamp("2022-01-01"),
    ]
    assert data.to_source("t")["amount"].tolist()[:3] == values[:3]
    made = data["t"].assign(amount=pd.Timestamp("2024-02-29"))
    assert RelationalData({"t": made}, declared, formats=data.formats).to_source("t")["amount"].iloc[0] == 20240229


def test_12_hour_times_come_back_in_their_spelling(tmp_path: Path):
    """Pickup times `3:45 PM` were read as no time (free text, generated empty): they are times of
    day (`12:05 AM` is 00:05) written back with the half of the day, the hour's zero as the source."""
    frame = pd.DataFrame(
        {"id": [1, 2, 3], "pickup": ["3:45 PM", "12:05 AM", None], "lower": ["03:45:10pm", "12:00:00pm", "11:59:59am"]}
    )
    schema = Schema(t=Table(id=PrimaryKey(), pickup=Time(), lower=Time()))
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["pickup"].tolist()[:2] == [dt.time(15, 45), dt.time(0, 5)]
    assert data["t"]["lower"].tolist()[1] == dt.time(12, 0)
    assert data.to_source("t").equals(frame)
    data.to_dir(tmp_path / "out")
    assert RelationalData.from_dir(tmp_path / "out").to_source("t").equals(frame)
    made = data["t"].assign(pickup=[dt.time(9, 5), dt.time(23, 0), None], lower=dt.time(9, 5))
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["pickup"].tolist() == ["9:05 AM", "11:00 PM", None] and out["lower"].iloc[0] == "09:05:00am"


def test_fractions_of_a_second_written_as_short_as_each_needs_come_back_so():
    """JavaScript's and JSON encoders' `10:00:00.5Z` beside `10:00:01.25Z` and `10:00:02Z`: the
    fraction was padded to the longest's digits (`.500Z`) and a whole second written `.0Z`."""
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "at": [
                "2024-03-05T10:00:00.5Z",
                "2024-03-05T10:00:01.25Z",
                "2024-03-05T10:00:02Z",
                "2024-03-05T10:00:03.125Z",
            ],
        }
    )
    schema = Schema(t=Table(id=PrimaryKey(), at=Datetime()))
    data = RelationalData({"t": frame}, schema)
    assert data.to_source("t").equals(frame)
    made = data["t"].assign(
        at=pd.to_datetime(
            ["2024-01-01 08:00:00.5", "2024-01-01 08:00:00", "2024-01-01 08:00:00.3", None], format="mixed"
        )
    )
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["at"].tolist() == ["2024-01-01T08:00:00.5Z", "2024-01-01T08:00:00Z", "2024-01-01T08:00:00.3Z", None]


@pytest.mark.parametrize("sep", ["/", "-"])
def test_dates_that_read_both_ways_are_read_month_first_with_one_warning(sep, caplog):
    frame = pd.DataFrame({"id": [1, 2], "day": [f"05{sep}03{sep}2020", f"01{sep}02{sep}2021"]})
    with caplog.at_level(logging.WARNING):
        data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), day=Date())))
    assert data["t"]["day"].dt.strftime("%m-%d").tolist() == ["05-03", "01-02"]
    assert caplog.text.count("reads both month first and day first") == 1 and "column 'day'" in caplog.text


def test_datetimes_with_minutes_that_read_both_ways_are_warned_of(caplog):
    """The month and day of a pattern with minutes (%M) were exchanged into %H:%d: a datetime column
    whose days are all 12 or less was read month first without a word."""
    frame = pd.DataFrame({"id": [1, 2], "at": ["05/03/2020 10:30", "01/02/2021 08:15"]})
    with caplog.at_level(logging.WARNING):
        RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), at=Datetime())))
    assert "column 'at'" in caplog.text and "reads both month first and day first" in caplog.text


@pytest.mark.parametrize(("kind", "written"), [(Date, "03/05/2021"), (Datetime, "03/05/2021 10:30")])
def test_dates_declared_day_first_are_read_and_written_back_day_first_without_a_warning(
    kind, written, tmp_path: Path, caplog
):
    """Dates whose days are all 12 or less read both ways: declared day first, 03/05/2021 is 3 May,
    and a generated 25 December is written 25/12/2021, through to_dir and from_dir."""
    frame = pd.DataFrame({"id": [1, 2, 3], "d": [written, written.replace("03/05", "11/02"), None]})
    schema = Schema(t=Table(id=PrimaryKey(), d=kind(day_first=True)))
    with caplog.at_level(logging.WARNING):
        data = RelationalData({"t": frame}, schema)
    assert "reads both month first" not in caplog.text
    assert data["t"]["d"].dt.strftime("%Y-%m-%d").tolist()[:2] == ["2021-05-03", "2021-02-11"]
    assert data.to_source("t")["d"].tolist() == frame["d"].tolist()
    moments = pd.Series(pd.to_datetime(["2021-12-25 10:30", "2021-01-02 10:30", None]))
    made = data["t"].assign(d=moments if kind is Datetime else moments.dt.normalize())
    generated = RelationalData({"t": made}, schema, formats=data.formats)
    generated.to_dir(tmp_path / "out")
    back = RelationalData.from_dir(tmp_path / "out")
    assert back.schema.tables["t"].columns["d"] == kind(day_first=True)
    assert back.to_source("t")["d"].tolist()[:2] == [
        written.replace("03/05", "25/12"),
        written.replace("03/05", "02/01"),
    ]
    assert back["t"]["d"].tolist()[:2] == made["d"].tolist()[:2]


def test_card_expiries_are_dates_of_their_month_written_back_so(tmp_path: Path):
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "expiry": ["03/27", "12/25", None, "01/30"], "score": ["3/7"] * 4})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert schema.tables["t"].columns["expiry"] == Date()
    assert "(%m/%y)" in schema.inference["t"]["expiry"]
    assert schema.tables["t"].columns["score"] == Categorical()  # not two digits each: no month
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["expiry"].iloc[0] == pd.Timestamp("2027-03-01")
    data.to_dir(tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "t.parquet")["expiry"].tolist() == frame["expiry"].tolist()
    pd.testing.assert_frame_equal(RelationalData.from_dir(tmp_path / "out")["t"], data["t"])


def test_fractions_of_a_second_keep_their_digits_after_a_dotted_date(tmp_path: Path):
    values = ["05.03.2020 10:00:00.5", "06.03.2020 11:00:00.123", "07.03.2020 12:00:00.25"]
    data = RelationalData(
        {"t": pd.DataFrame({"id": [1, 2, 3], "at": values})}, Schema(t=Table(id=PrimaryKey(), at=Datetime()))
    )
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")["at"].tolist()
    assert back == values  # nothing cut, and each fraction as short as the source wrote it
    padded = ["05.03.2020 10:00:00.500", "06.03.2020 11:00:00.123", "07.03.2020 12:00:00.250"]
    data = RelationalData(
        {"t": pd.DataFrame({"id": [1, 2, 3], "at": padded})}, Schema(t=Table(id=PrimaryKey(), at=Datetime()))
    )
    assert data.to_source("t")["at"].tolist() == padded


def test_number_spellings_that_cannot_be_kept_stay_numbers(tmp_path: Path):
    import decimal

    frame = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "sci": ["1.5e-05", "2.5e-06", "3.25e-07"],  # no fixed decimals: written back as the numbers
            "wide": [decimal.Decimal("12345678901.500000000000000000"), decimal.Decimal("1E-18"), None],  # (38, 18)
        }
    )
    data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), sci=Numeric(), wide=Numeric())))
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert back["sci"].astype(float).tolist() == [1.5e-05, 2.5e-06, 3.25e-07]
    assert back["wide"].tolist()[:2] == [decimal.Decimal("12345678901.500000000000000000"), decimal.Decimal("1E-18")]
    infinite = pd.DataFrame({"id": [1], "x": [decimal.Decimal("Infinity")]})
    with pytest.raises(DataError, match="±inf is refused"):
        RelationalData({"t": infinite}, Schema(t=Table(id=PrimaryKey(), x=Numeric())))


def test_csv_keys_past_64_bits_stay_text(tmp_path: Path):
    (tmp_path / "t.csv").write_text("id,x\n" + "".join(f"2000000000000000000{i},{i}\n" for i in range(5)))
    data = RelationalData.from_dir(tmp_path, schema=Schema(t=Table(id=PrimaryKey(), x=Integer())))
    assert data["t"]["id"].tolist() == [f"2000000000000000000{i}" for i in range(5)]


@pytest.mark.parametrize("unit", ["ns", "us"])
def test_a_zoned_datetime_column_comes_back_in_its_zone(tmp_path: Path, unit: str):
    when = pd.to_datetime(["2021-01-01 09:00", "2021-06-01 09:00", None]).tz_localize("Europe/Paris").as_unit(unit)
    data = RelationalData(
        {"t": pd.DataFrame({"id": [1, 2, 3], "at": when})}, Schema(t=Table(id=PrimaryKey(), at=Datetime()))
    )
    assert data["t"]["at"].iloc[0] == pd.Timestamp("2021-01-01 08:00")  # UTC in memory
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")["at"]
    assert str(back.dtype) == f"datetime64[{unit}, Europe/Paris]" and back.tolist()[:2] == when.tolist()[:2]


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo"])
def test_a_zoned_date_column_keeps_its_dates_and_comes_back_at_midnight_in_its_zone(tmp_path: Path, zone: str):
    # a date is the zone's: New York's 4 Feb at 20:00 is 5 Feb in UTC, and UTC midnight is 3 Feb 19:00 there
    when = pd.to_datetime(["2022-02-04 00:00", "2022-02-04 20:00", "2021-07-01 00:00", None]).tz_localize(zone)
    data = RelationalData(
        {"t": pd.DataFrame({"id": [1, 2, 3, 4], "on": when})}, Schema(t=Table(id=PrimaryKey(), on=Date()))
    )
    assert data["t"]["on"].dt.strftime("%Y-%m-%d").tolist()[:3] == ["2022-02-04", "2022-02-04", "2021-07-01"]
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")["on"]
    assert str(back.dtype) == f"datetime64[ns, {zone}]"
    assert back.tolist()[:3] == [pd.Timestamp(d, tz=zone) for d in ["2022-02-04", "2022-02-04", "2021-07-01"]]


def test_parquet_decimals_and_dates_come_back_as_decimals_and_dates(tmp_path: Path):
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    money = pa.array([decimal.Decimal("12.50"), decimal.Decimal("7.00"), None], pa.decimal128(15, 2))
    qty = pa.array([decimal.Decimal("17.00"), decimal.Decimal("3.00"), decimal.Decimal("1.00")], pa.decimal128(15, 2))
    day = pa.array([dt.date(2020, 1, 2), None, dt.date(2021, 5, 6)], pa.date32())
    pq.write_table(pa.table({"id": [1, 2, 3], "price": money, "qty": qty, "day": day}), tmp_path / "t.parquet")
    schema = Schema(t=Table(id=PrimaryKey(), price=Numeric(), qty=Integer(), day=Date()))
    RelationalData.from_dir(tmp_path, schema=schema).to_dir(tmp_path / "out")
    back = pq.read_table(tmp_path / "out" / "t.parquet")
    assert back.schema.field("price").type == pa.decimal128(15, 2)  # as declared, not as the values need
    assert back.schema.field("qty").type == pa.decimal128(15, 2)
    assert back.schema.field("day").type == pa.date32()
    assert back.column("price").to_pylist() == money.to_pylist() and back.column("day").to_pylist() == day.to_pylist()

    big = pd.DataFrame({"x": [decimal.Decimal("12345.67")]})  # more digits than DECIMAL(4, 2) holds
    write_parquet(big, tmp_path / "big.parquet", {"x": (4, 2)})
    assert pq.read_table(tmp_path / "big.parquet").column("x").to_pylist() == [decimal.Decimal("12345.67")]


def test_keys_written_as_number_text_stay_text(tmp_path: Path):
    """Parquet keys "10", "11" (a nullable lookup key too) are written back as text, not int64 or float64."""
    genre = pd.DataFrame({"id": ["1", "2", "3"], "name": ["Rock", "Jazz", "Pop"]})
    album = pd.DataFrame({"id": ["10", "11", "12", "13"], "genre": ["1", None, "2", "3"], "year": [1990] * 4})
    schema = Schema(
        album=Table(id=PrimaryKey(), genre=ForeignKey(parent="genre"), year=Integer()),
        genre=Table(id=PrimaryKey(), name=Categorical()),
        lookups=["genre"],
    )
    src = tmp_path / "src"
    src.mkdir()
    album.to_parquet(src / "album.parquet", index=False)
    genre.to_parquet(src / "genre.parquet", index=False)
    RelationalData.from_dir(src, schema=schema).to_dir(tmp_path / "out")
    for name, df in (("album", album), ("genre", genre)):
        back = pd.read_parquet(tmp_path / "out" / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, df, check_dtype=False)
        assert back["id"].map(type).eq(str).all()
    assert pd.read_parquet(tmp_path / "out" / "album.parquet")["genre"].tolist() == ["1", None, "2", "3"]


def test_csv_rows_ending_in_a_separator_are_refused_not_read_a_column_to_the_left(tmp_path: Path):
    """Rows of one field more than the header (a comma ending each row) were read without a word:
    pandas took their first field as the index, so `id` held the names, `name` the cities and `city`
    was null."""
    schema = Schema(t=Table(id=PrimaryKey(), name=Categorical(), city=Categorical()))
    (tmp_path / "t.csv").write_text("id,name,city\n1,ann,paris,\n2,bob,rome,\n")
    with pytest.raises(LoadError, match=r"t.csv.*2 row\(s\) have more fields than the header's 3 \(line 2 has 4"):
        RelationalData.from_dir(tmp_path, schema=schema)


@pytest.mark.parametrize("separator", [",", ";"])
def test_a_spreadsheets_separator_line_is_named_with_the_line_that_removes_it(tmp_path: Path, separator: str):
    """Excel writes (and reads) a first line 'sep=;' naming the separator: it was read as the header,
    a trailing-comma error or pandas' 'Expected 2 fields in line 3, saw 3'. The error names it and
    gives the pandas line that deletes it; the file that line writes reads."""
    schema = Schema(t=Table(id=PrimaryKey(), name=Categorical(), city=Categorical()))
    rows = ["id,name,city", "1,ann,paris", "2,bob,rome"]
    (tmp_path / "t.csv").write_text("\n".join([f"sep={separator}", *(r.replace(",", separator) for r in rows)]) + "\n")
    with pytest.raises(LoadError, match=rf"its first line 'sep={separator}' is a spreadsheet's note") as refused:
        RelationalData.from_dir(tmp_path, schema=schema)
    fix = re.search(r"pandas: (pd\.read_csv\(.*\)\.to_csv\(file, index=False\))\)", str(refused.value))[1]
    eval(fix, {"pd": pd, "file": tmp_path / "t.csv"})  # the advice, as given
    assert RelationalData.from_dir(tmp_path, schema=schema)["t"]["city"].tolist() == ["paris", "rome"]


def test_a_csv_row_with_fewer_fields_than_the_header_is_refused(tmp_path: Path):
    schema = Schema(t=Table(id=PrimaryKey(), a=Integer(), b=Text()))
    (tmp_path / "t.csv").write_text('id,a,b\n1,2,"two\nlines"\n2,3\n3,,\n')  # line 4 lacks b; line 5 has it empty
    with pytest.raises(LoadError, match=r"t.csv.*1 row\(s\) have fewer fields than the header's 3 \(line 4 has 2\)"):
        RelationalData.from_dir(tmp_path, schema=schema)


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("id,q5,q5", r"repeats the column name\(s\) \['q5'\]"),  # was: ['q5.1'] in the data, not in the schema
        ("id,q5,", r"has no name for its field\(s\) \[3\]"),  # was: ['Unnamed: 2']
    ],
)
def test_a_csv_header_repeating_or_missing_a_name_is_refused_naming_it(tmp_path: Path, header: str, named: str):
    """A survey export with two questions labelled alike, or a trailing comma: pandas renames them to
    names the file does not hold (`q5.1`, `Unnamed: 2`), which the schema's error then reported."""
    (tmp_path / "t.csv").write_text(f"{header}\n1,3,4\n2,4,5\n")
    with pytest.raises(LoadError, match=r"t.csv: not a readable CSV table 't': its header " + named):
        RelationalData.from_dir(tmp_path, schema=Schema(t=Table(id=PrimaryKey(), q5=Integer())))


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_csv_separated_by_another_character_is_named_so(tmp_path: Path, sep: str):
    """A CSV written with semicolons (a spreadsheet where the decimal mark is a comma) was read as
    one column 'id;a', and the error said the schema's columns were missing and that one was extra."""
    schema = Schema(t=Table(id=PrimaryKey(), a=Numeric()))
    (tmp_path / "t.csv").write_text(f"id{sep}a\n1{sep}2,5\n2{sep}3\n")
    with pytest.raises(
        LoadError, match=r"t.csv: not a comma-separated CSV table 't'.*separated by " + re.escape(repr(sep))
    ):
        RelationalData.from_dir(tmp_path, schema=schema)
    (tmp_path / "t.csv").write_text("id,a;b\n1,2\n")  # a name holding one: read as it is
    assert RelationalData.from_dir(tmp_path, schema=Schema(t=Table(**{"id": PrimaryKey(), "a;b": Numeric()})))[
        "t"
    ].shape == (1, 2)


@pytest.mark.parametrize("sep, encoding", [(";", "utf-8-sig"), (",", "cp1252"), ("\t", "latin-1"), ("\t", "utf-16")])
def test_the_conversion_an_unreadable_csv_error_gives_keeps_every_value(tmp_path: Path, sep: str, encoding: str):
    """A spreadsheet's export (semicolons and decimal commas, or cp1252) was refused with the way
    out `pd.read_csv(file, sep=';', decimal=...).to_csv(file, index=False)`, which read the zip code
    '00501' as 501 and wrote it back so, and 'NA' (Namibia) as a null. The conversion the error
    gives keeps every value as written; relsynth then reads the file as it would have."""
    schema = Schema(t=Table(id=PrimaryKey(), zip=Categorical(), country=Categorical(), price=Numeric(), name=Text()))
    rows = [("1", "00501", "NA", "2,5", "Müller"), ("2", "02134", "FR", "1.234,50", "Zoë")]
    text = "\n".join(sep.join(f'"{v}"' if sep in v else v for v in row) for row in [schema.tables["t"].columns, *rows])
    (tmp_path / "t.csv").write_bytes((text + "\n").encode(encoding))
    with pytest.raises(LoadError) as refused:
        RelationalData.from_dir(tmp_path, schema=schema)
    conversion = re.search(r"pandas: (pd\.read_csv\(file.*?\)\.to_csv\(file, index=False\))", str(refused.value))
    assert conversion, str(refused.value)
    eval(conversion.group(1), {"pd": pd, "file": tmp_path / "t.csv"})  # as a user pastes it
    t = RelationalData.from_dir(tmp_path, schema=schema)["t"]
    assert t["zip"].tolist() == ["00501", "02134"] and t["country"].tolist() == ["NA", "FR"]
    assert t["price"].tolist() == [2.5, 1234.5] and t["name"].tolist() == ["Müller", "Zoë"]


DECIMALS_CSV = (
    "id,price,score,rate,measured\n"
    "1,5.00,0.040,12.5,10.0\n2,242.30,0.512,20,4.547\n3,,0.300,0,\n4,10.00,0.001,7.5,0.25\n"
)


def test_csv_numbers_are_written_back_with_their_decimals(tmp_path: Path):
    # '5.00' was read as 5.0 and written back so: only the from-frames path (read as text) kept it
    (tmp_path / "t.csv").write_text(DECIMALS_CSV)
    schema = Schema(t=Table(id=PrimaryKey(), price=Numeric(), score=Numeric(), rate=Numeric(), measured=Numeric()))
    data = RelationalData.from_dir(tmp_path, schema=schema)
    assert data["t"]["price"].dtype == "float64" and data["t"]["price"].tolist()[:2] == [5.0, 242.3]  # numbers
    source = pd.read_csv(tmp_path / "t.csv", dtype=str, keep_default_na=False)
    data.to_source("t").to_csv(tmp_path / "back.csv", index=False)
    assert pd.read_csv(tmp_path / "back.csv", dtype=str, keep_default_na=False).equals(source)
    assert "measured" not in data.formats.get("t", {})  # floats as pandas writes them ('10.0'): nothing to keep
    data.to_dir(tmp_path / "out")  # parquet holds the numbers, and how to write them
    assert pd.read_parquet(tmp_path / "out" / "t.parquet")["price"].dtype == "float64"
    again = RelationalData.from_dir(tmp_path / "out")
    assert again.to_source("t")["price"].tolist() == ["5.00", "242.30", None, "10.00"]
    assert again.to_source("t")["rate"].tolist() == ["12.5", "20", "0", "7.5"]


def test_numbers_in_scientific_notation_come_back_so(tmp_path: Path):
    """Rates written `1.2e-05` (a lab's, a sensor's export) came back as Python writes floats,
    `4e-05` beside `0.0036`: read from a CSV or as text, a generated rate is written in the
    column's notation, with its mantissa's digits and exponent."""
    rates = ["1.2e-05", "3.0e-06", "5.5e-03", None]
    (tmp_path / "t.csv").write_text(
        "id,rate,big\n"
        + "".join(
            f"{i},{r or ''},{b}\n"
            for i, (r, b) in enumerate(zip(rates, ["1.50E+02", "2.00E-01", "3.25E+10", "1.00E+00"], strict=True))
        )
    )
    schema = Schema(t=Table(id=PrimaryKey(), rate=Numeric(), big=Numeric()))
    source = pd.read_csv(tmp_path / "t.csv", dtype=str, keep_default_na=False, na_values=[""])
    from_csv = RelationalData.from_dir(tmp_path, schema=schema)
    from_text = RelationalData({"t": source}, schema)
    for data in (from_csv, from_text):
        assert data["t"]["rate"].tolist()[:2] == [1.2e-05, 3e-06]
        assert data.to_source("t")["rate"].tolist() == rates
        made = data["t"].assign(rate=[4e-05, 0.0036, 0.00011, None], big=[0.5, 1234.5, 2e-7, 1e12])
        out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
        assert out["rate"].tolist() == ["4.0e-05", "3.6e-03", "1.1e-04", None]
        assert out["big"].tolist() == ["5.00E-01", "1.23E+03", "2.00E-07", "1.00E+12"]
    from_csv.to_dir(tmp_path / "out")
    assert RelationalData.from_dir(tmp_path / "out").to_source("t")["rate"].tolist() == rates


def test_counts_with_a_magnitude_suffix_are_numbers_written_back_so():
    """Page views written `666` beside `1.2k` were labels (1,112 distinct in 4,220 rows, most of
    them rare), so their distribution was lost; a handful of such labels (`5K`, `10K` races) stays one."""
    views = [str(v) if v < 1000 else f"{v / 1000:.1f}k" for v in (np.arange(40) ** 3 + 7)]
    frame = pd.DataFrame({"id": range(40), "views": views})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert isinstance(schema.tables["t"].columns["views"], Integer)
    races = pd.DataFrame({"id": range(30), "race": ["5K", "10K", "21K"] * 10})
    assert isinstance(Schema.infer({"t": races}, primary_keys={"t": "id"}).tables["t"].columns["race"], Categorical)
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["views"].tolist()[-1] == 59300 and data["t"]["views"].tolist()[9] == 736
    assert data.to_source("t").equals(frame)
    made = data["t"].assign(views=[5, 999, 1250, 2_500_000] * 10)
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["views"].tolist()[:4] == ["5", "999", "1.2k", "2500.0k"]  # the units the column writes


def test_whole_numbers_mostly_written_without_a_point_come_back_without_one(tmp_path: Path):
    """Quantities `5` beside a few `5.0` (an integer column merged from a float export) came back
    all `5.0`; written as most values are, `5`, they are the source's text in most rows. A column
    mostly written `5.0` keeps its point."""
    qty = ["5", "7", "5.0", "12", "3", None]
    frame = pd.DataFrame({"id": range(6), "qty": qty})
    frame.to_csv(tmp_path / "t.csv", index=False)
    schema = Schema(t=Table(id=PrimaryKey(), qty=Integer()))
    for data in (RelationalData({"t": frame}, schema), RelationalData.from_dir(tmp_path, schema)):
        written = [None if pd.isna(v) else str(v) for v in data.to_source("t")["qty"]]  # as a CSV writes them
        assert written == ["5", "7", "5", "12", "3", None]
    full = frame.assign(qty=["5", "7", "5.0", "12", "3", "4"])  # no gap: read from the CSV as floats, not Int64
    full.to_csv(tmp_path / "t.csv", index=False)
    assert RelationalData.from_dir(tmp_path, schema).to_source("t")["qty"].tolist() == ["5", "7", "5", "12", "3", "4"]
    pointed = frame.assign(qty=["5.0", "7.0", "5", "12.0", "3.0", None])
    assert RelationalData({"t": pointed}, schema).to_source("t")["qty"].tolist()[:3] == ["5.0", "7.0", "5.0"]


def test_numbers_a_float_wrote_come_back_as_a_float_writes_them():
    # read as text, a column pandas wrote from floats ('4.547' beside '10.0') was padded: '10.000', '2.380'
    written = ["4.547", "10.0", "2.38", "0.5", None]
    schema = Schema(t=Table(id=PrimaryKey(), v=Numeric()))
    data = RelationalData({"t": pd.DataFrame({"id": range(5), "v": written})}, schema)
    assert data.to_source("t")["v"].tolist() == written
    drawn = RelationalData({"t": pd.DataFrame({"id": range(3), "v": [3.0, 12.25, 7.5]})}, schema, formats=data.formats)
    assert drawn.to_source("t")["v"].tolist() == ["3.0", "12.25", "7.5"]


def test_integers_written_with_a_point_come_back_with_it():
    # a float column's export of whole numbers ('12.0'), declared integer, was written back '12'
    written = ["0.0", "12.0", "3.0", None]
    schema = Schema(t=Table(id=PrimaryKey(), n=Integer()))
    data = RelationalData({"t": pd.DataFrame({"id": range(4), "n": written})}, schema)
    assert data["t"]["n"].dtype == "Int64"  # held as integers
    assert data.to_source("t")["n"].tolist() == written


def test_from_dir_prefers_parquet_over_csv(tmp_path: Path):
    schema = Schema(t=Table(id=PrimaryKey()))
    (tmp_path / "t.csv").write_text("id\n1\n")
    pd.DataFrame({"id": [2]}).to_parquet(tmp_path / "t.parquet")
    assert RelationalData.from_dir(tmp_path, schema=schema)["t"]["id"].tolist() == [2]


def test_from_dir_validates(tmp_path: Path):
    data = every_kind()
    data.to_dir(tmp_path)
    pd.DataFrame({"id": ["o1", "o1"], "name": ["a", "b"]}).to_parquet(tmp_path / "owner.parquet")
    with pytest.raises(ValueError, match="table 'owner', primary key 'id': 1 duplicated value"):
        RelationalData.from_dir(tmp_path)


def test_from_dir_errors(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="no directory"):
        RelationalData.from_dir(tmp_path / "nope")
    with pytest.raises(SchemaError, match="no schema given and no schema.yaml"):
        RelationalData.from_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"table 't': neither t\.parquet nor t\.csv"):
        RelationalData.from_dir(tmp_path, schema=Schema(t=Table(id=PrimaryKey())))


@pytest.mark.parametrize(
    "name, way_out",
    [
        ("t.xlsx", r"only <table>\.csv and <table>\.parquet are read: save t\.xlsx as t\.csv \(pandas: pd\.read_excel"),
        ("T.CSV", r"names are matched exactly: rename T\.CSV to t\.csv"),
        ("t.txt", r"only <table>\.csv and <table>\.parquet are read: rename or save t\.txt as t\.csv"),
    ],
)
def test_a_table_in_a_file_of_another_name_or_format_is_named(tmp_path: Path, name: str, way_out: str):
    """A table kept as t.xlsx (a spreadsheet), T.CSV or t.txt (a legacy export) was 'neither t.parquet
    nor t.csv', as if there were none: the error names the file that is there and what to do."""
    (tmp_path / name).write_text("id\n1\n")
    with pytest.raises(FileNotFoundError, match=r"table 't': neither t\.parquet nor t\.csv .*" + way_out):
        RelationalData.from_dir(tmp_path, schema=Schema(t=Table(id=PrimaryKey())))


def test_from_dir_csv_keeps_identifier_codes_with_leading_zeros(tmp_path: Path):
    schema = Schema(r=Table(id=PrimaryKey(), zip=Identifier(), phone=Identifier()))
    (tmp_path / "r.csv").write_text("id,zip,phone\n1,00501,5551234\n2,02134,5559876\n3,10001,\n")
    data = RelationalData.from_dir(tmp_path, schema=schema)
    assert data["r"]["zip"].tolist() == ["00501", "02134", "10001"]  # was 501, 2134: the zeros lost
    data.to_dir(tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "r.parquet")["zip"].tolist() == ["00501", "02134", "10001"]
    assert data.to_source("r")["phone"].tolist()[:2] == [5551234, 5559876]  # plain numbers as pandas reads them


def test_whole_numbers_read_as_text_raise_no_pandas_warning(tmp_path: Path):
    """An org chart's CSV read as text, as `Schema.infer` asks (`dtype=str`): every integer column
    with no decimal point (a level `0`, a manager `12`) raised pandas' FutureWarning on downcasting
    object arrays in fillna, a warning no user can act on, from the number's decimals being counted."""
    (tmp_path / "employees.csv").write_text("id,manager_id,level\n1,,0\n2,1,1\n3,1,1\n4,2,2\n")
    frame = pd.read_csv(tmp_path / "employees.csv", dtype=str, keep_default_na=False, na_values=[""])
    schema = Schema.infer({"employees": frame}, {"employees": "id"}, {"employees": {"manager_id": "employees"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        data = RelationalData({"employees": frame}, schema)
        data.to_dir(tmp_path / "out")
    assert RelationalData.from_dir(tmp_path / "out")["employees"]["level"].tolist() == [0, 1, 1, 2]


def test_placeholders_for_missing_values_are_nulls_written_back_as_the_source_wrote_them(tmp_path: Path):
    """A spreadsheet's export wrote a missing age, date, amount or flag as 'NULL', 'N/A' or '-': the
    ages (72 distinct in 300 rows) were inferred as categories, and declared integer they were refused
    ('-', 'NULL' do not fit). Such placeholders are nulls in a date, number or boolean column, written
    back in the column's most frequent one."""
    n = 40
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in range(n)],
            "age": [str(20 + i) for i in range(n - 4)] + ["NULL", "-", "NULL", "N/A"],
            "since": [f"{1 + i % 28:02d}/03/2021" for i in range(n - 3)] + ["N/A", "n/a", "N/A"],
            "amount": [f"{i},5" for i in range(n - 1)] + ["NULL"],
            "vip": ["Y", "N"] * (n // 2 - 1) + ["-", "Y"],
        }
    )
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    kinds = {c: type(k).__name__ for c, k in schema.tables["t"].columns.items()}
    assert kinds == {"id": "PrimaryKey", "age": "Integer", "since": "Date", "amount": "Numeric", "vip": "Boolean"}
    assert (
        "4 blank or placeholder value(s) ('NULL', '-', 'N/A') read as nulls (written back 'NULL')"
        in (schema.inference["t"]["age"])
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    data = RelationalData.from_dir(tmp_path, schema=schema)
    assert data["t"]["age"].isna().sum() == 4 and data["t"]["age"].dtype == "Int64"
    assert data["t"]["since"].isna().sum() == 3 and data["t"]["vip"].isna().sum() == 1
    assert data["t"]["amount"].isna().sum() == 1
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert back["age"].tolist()[-4:] == ["NULL"] * 4 and back["age"].tolist()[:2] == ["20", "21"]
    assert back["since"].tolist()[-3:] == ["N/A"] * 3 and back["since"].iloc[0] == "01/03/2021"
    assert back["amount"].tolist()[-1] == "NULL" and back["vip"].tolist()[-2:] == ["-", "Y"]


def test_whole_numbers_written_as_text_are_read_without_a_pandas_warning():
    """Ages written as text ('34') made pandas warn of a deprecated downcast at every read and
    write of the column: nine FutureWarnings in one `kedro run --env fast` log, where a warning
    should be worth reading."""
    frame = pd.DataFrame({"id": [1, 2, 3], "age": ["34", "35", None]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), age=Integer())))
        assert data.to_source("t")["age"].tolist() == ["34", "35", None]


def test_flags_from_a_csv_come_back_spelled_as_the_file_spells_them(tmp_path: Path):
    """A CSV's flags written 'TRUE' and 'false' (a spreadsheet's export) were read by pandas as
    booleans and written back as booleans, while 'Y'/'N' came back as 'Y'/'N': the file's spelling
    was lost only where pandas recognised it. Every flag column of a CSV is read as text and keeps it."""
    (tmp_path / "t.csv").write_text("id,paid,vip,ok\n1,TRUE,Y,1\n2,false,N,0\n3,TRUE,,1\n")
    schema = Schema(t=Table(id=PrimaryKey(), paid=Boolean(), vip=Boolean(), ok=Boolean()))
    data = RelationalData.from_dir(tmp_path, schema=schema)
    assert data["t"]["paid"].tolist() == [True, False, True] and data["t"]["ok"].tolist() == [True, False, True]
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert back["paid"].tolist() == ["TRUE", "false", "TRUE"] and back["ok"].tolist() == ["1", "0", "1"]
    assert back["vip"].tolist()[:2] == ["Y", "N"] and back["vip"].isna().tolist() == [False, False, True]


def test_unknown_in_a_column_of_numbers_is_a_missing_value_written_back_as_the_source_wrote_it(tmp_path: Path):
    """A survey's ages held 'Unknown' in a quarter of the rows: the column was inferred an identifier
    (codes of the shape '99' or 'aaaaaaa') and generated as fresh two-digit codes, no 'Unknown' left.
    Such words are placeholders for a missing number, date or flag, as 'N/A' is."""
    n = 40
    ages = [str(18 + (7 * i) % 70) for i in range(n)]
    ages[::4] = ["Unknown"] * 10
    frame = pd.DataFrame({"id": [str(i) for i in range(n)], "age": ages, "seen": ["2021-03-04", "missing"] * 20})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert isinstance(schema.tables["t"].columns["age"], Integer)
    assert "10 blank or placeholder value(s) ('Unknown') read as nulls" in schema.inference["t"]["age"]
    assert schema.tables["t"].columns["seen"].kind is Column.DATE
    frame.to_csv(tmp_path / "t.csv", index=False)
    data = RelationalData.from_dir(tmp_path, schema=schema)
    assert data["t"]["age"].isna().sum() == 10 and data["t"]["seen"].isna().sum() == 20
    data.to_dir(tmp_path / "out")
    back = pd.read_parquet(tmp_path / "out" / "t.parquet")
    assert back["age"].tolist() == ages and back["seen"].tolist() == frame["seen"].tolist()


def test_one_spelling_of_dates_that_reads_both_ways_among_iso_dates_is_warned_of(caplog):
    frame = pd.DataFrame({"id": [1, 2, 3], "day": ["2024-01-02", "03/02/2024", "2024-03-04"]})
    with caplog.at_level(logging.WARNING):
        data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), day=Date())))
    assert data["t"]["day"].dt.strftime("%m-%d").tolist() == ["01-02", "03-02", "03-04"]
    assert "column 'day'" in caplog.text and "'03/02/2024' reads both month first and day first" in caplog.text


def test_a_spelling_whose_other_dates_show_the_day_first_is_read_so_without_a_warning(caplog):
    frame = pd.DataFrame({"id": [1, 2, 3], "day": ["2024-01-02", "03/02/2024", "25/02/2024"]})
    with caplog.at_level(logging.WARNING):
        data = RelationalData({"t": frame}, Schema(t=Table(id=PrimaryKey(), day=Date())))
    assert data["t"]["day"].dt.strftime("%m-%d").tolist() == ["01-02", "02-03", "02-25"]
    assert "reads both month first" not in caplog.text


def test_numbers_beside_a_placeholder_as_read_from_a_spreadsheet_keep_the_placeholder_in_generated_rows():
    """pd.read_excel gives Python ints (floats, datetimes) beside the 'N/A' a sheet wrote for a
    missing one: the generated column wrote NaN there, where a column of the numbers' text kept 'N/A'."""
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "age": [31, "N/A", 45, 52],
            "score": [1.5, 2.25, "N/A", 3.0],
            "seen": [dt.datetime(2024, 1, 2), dt.datetime(2024, 3, 4), dt.datetime(2024, 5, 6), "N/A"],
        }
    )
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["age"].dtype == "Int64" and data["t"]["age"].isna().sum() == 1
    made = pd.DataFrame(
        {
            "id": [7, 8, 9],
            "age": pd.array([None, 40, None], dtype="Int64"),
            "score": [None, 2.5, 1.0],
            "seen": pd.to_datetime(["2024-02-03", None, "2024-04-05"]),
        }
    )
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["age"].tolist() == ["N/A", 40, "N/A"] and out["score"].tolist() == ["N/A", 2.5, 1.0]
    assert out["seen"].tolist() == [pd.Timestamp("2024-02-03"), "N/A", pd.Timestamp("2024-04-05")]


def test_numbers_beside_a_placeholder_are_written_to_a_directory_and_read_back(tmp_path: Path):
    """A column of Python ints and 'N/A' (pd.read_excel's) comes back from `to_source` as both: a
    parquet column holds one type, so `to_dir` refused the whole database (ArrowInvalid)."""
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "age": [31, "N/A", 45, 52], "score": [1.5, 2.25, "N/A", 3.0]})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    data = RelationalData({"t": frame}, schema)
    data.to_dir(tmp_path / "db")
    back = RelationalData.from_dir(tmp_path / "db")
    assert back["t"]["age"].tolist() == [31, pd.NA, 45, 52]
    assert back["t"]["score"].isna().tolist() == [False, False, True, False] and back["t"]["score"].sum() == 6.75


def test_booleans_beside_a_placeholder_as_read_from_a_spreadsheet_are_written_back_as_booleans(tmp_path: Path):
    """pd.read_excel gives Python booleans beside the 'N/A' a sheet wrote for a missing one (or None
    for an empty cell): the generated column wrote the strings 'True' and 'False' where the source
    held booleans, so a reader's `df[df.active == True]` found nothing in it."""
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "active": [True, "N/A", False, True],
            "paid": pd.Series([False, True, None, True], dtype=object),
        }
    )
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["active"].isna().sum() == 1 and data["t"]["active"].sum() == 2
    made = pd.DataFrame(
        {
            "id": [7, 8, 9],
            "active": pd.array([None, True, False], dtype="boolean"),
            "paid": pd.array([True, None, False], dtype="boolean"),
        }
    )
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert [(v, type(v)) for v in out["active"]] == [("N/A", str), (True, bool), (False, bool)]
    assert [(v, type(v)) for v in out["paid"]] == [(True, bool), (None, type(None)), (False, bool)]
    data.to_dir(tmp_path / "db")  # a parquet column of booleans, the placeholder a null
    assert RelationalData.from_dir(tmp_path / "db")["t"]["active"].tolist() == [True, pd.NA, False, True]


def test_flags_spelled_as_text_beside_a_placeholder_keep_their_spelling():
    """Text flags ('yes'/'no', and 'True'/'False' as text) stay text: only booleans are written back as booleans."""
    frame = pd.DataFrame(
        {"id": [1, 2, 3, 4], "ok": ["yes", "N/A", "no", "yes"], "on": ["True", "N/A", "False", "True"]}
    )
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    data = RelationalData({"t": frame}, schema)
    made = pd.DataFrame(
        {"id": [7, 8], "ok": pd.array([None, True], dtype="boolean"), "on": pd.array([False, None], dtype="boolean")}
    )
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["ok"].tolist() == ["N/A", "yes"] and out["on"].tolist() == ["False", "N/A"]


def test_csv_keys_that_are_hexadecimal_hashes_are_read_without_crashing_the_process(tmp_path: Path):
    """A commit's sha "6991e59055083123824fa0..." is digits, an e and a 14-digit exponent to pandas' CSV
    parser guessing the column's type, whose exponent overflows and kills the process (pandas 2.3, a
    segfault) where no text comes before it in the column. Run apart, so the crash fails one test."""
    shas = ["6991e59055083123824fa0c016a64c8361d4dd15", "05d6816f80bc60d4e56c20cef225bed5e4161af1"]
    (tmp_path / "commits.csv").write_text("sha,additions\n" + "".join(f"{s},{i}\n" for i, s in enumerate(shas)))
    script = f"""
from relsynth.relational import Integer, PrimaryKey, RelationalData, Schema, Table
data = RelationalData.from_dir({str(tmp_path)!r}, schema=Schema(commits=Table(sha=PrimaryKey(), additions=Integer())))
print(data["commits"]["sha"].tolist(), data["commits"]["additions"].tolist())
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == f"{shas} [0, 1]"

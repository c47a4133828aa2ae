"""Durations written in words (`1 day` beside `5 days`, `45 min` beside `1.5 h`, `1h 30m`, `2 hours
5 minutes`, `3 wks`) are read as seconds and come back in the column's spelling, read from frames
or CSV files; text that merely holds such words, and columns that break the spelling, stay labels."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational._worded_durations import worded_format, worded_seconds, write_worded

RNG = np.random.default_rng(0)
DAYS = RNG.integers(1, 40, 80)
MINUTES = RNG.integers(1, 600, 80)


def assert_durations_round_trip(values: pd.Series, name: str) -> None:
    """`values` as column `name` of a table are read as a number (seconds) and written back as read."""
    frame = pd.DataFrame({"id": range(len(values)), name: values})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert schema.tables["t"].columns[name].kind is Column.INTEGER, schema.inference["t"][name]
    assert RelationalData({"t": frame}, schema).to_source("t")[name].tolist() == values.tolist()


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _short(minutes: int) -> str:
    h, m = divmod(int(minutes), 60)
    return " ".join([f"{h}h"] * (h > 0) + [f"{m}m"] * (m > 0))


def _long(minutes: int) -> str:
    h, m = divmod(int(minutes), 60)
    words = [f"{h} hour" + "s" * (h != 1)] * (h > 0) + [f"{m} minute" + "s" * (m != 1)] * (m > 0)
    return " ".join(words)


def _wait(minutes: int) -> str:
    return f"{minutes} min" if minutes < 60 else f"{minutes / 60:.1f} h".replace(".0 h", " h")


@pytest.fixture(name="frame")
def frame_fixture() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "id": range(80),
            "stay": [_days(int(d)) for d in DAYS],
            "run": [_short(int(m)) for m in MINUTES],
            "call": [_long(int(m)) for m in MINUTES],
            "wait": [_wait(int(m)) for m in MINUTES],
            "title": [f"{d} days in Paris" for d in DAYS],
        }
    )
    frame.loc[[0, 1], "stay"] = ["1 day", "n/a"]
    return frame


def test_durations_in_words_are_seconds_written_back_in_their_spelling(tmp_path: Path, frame):
    """As labels, each distinct duration was a category: rare ones merged away, no distribution of
    lengths. Read as seconds, they come back as written (frames, CSV, to_dir), and a generated
    5,400 s is `1h 30m`, `1 hour 30 minutes`, `1.5 h`; a title that holds `days` stays text."""
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    kinds = {c: schema.tables["t"].columns[c].kind for c in ("stay", "run", "call", "wait", "title")}
    assert kinds == {
        "stay": Column.INTEGER,
        "run": Column.INTEGER,
        "call": Column.INTEGER,
        "wait": Column.INTEGER,
        "title": kinds["title"],
    }, schema.inference["t"]
    assert kinds["title"] in (Column.TEXT, Column.CATEGORICAL)
    (tmp_path / "in").mkdir()
    frame.to_csv(tmp_path / "in" / "t.csv", index=False)
    for data in (RelationalData({"t": frame}, schema), RelationalData.from_dir(tmp_path / "in", schema)):
        assert data["t"]["run"].tolist() == (MINUTES * 60).tolist()
        assert data["t"]["stay"].tolist()[:3] == [86400, pd.NA, DAYS[2] * 86400]
        written = data.to_source("t")
        for c in ("stay", "run", "call", "wait"):
            assert written[c].tolist() == frame[c].tolist(), c
    made = data["t"].assign(
        stay=[86400, 172800, None] + [86400] * 77,
        run=[5400, 60, 0] + [60] * 77,
        call=[5400, 3660, 120] + [60] * 77,
        wait=[5400, 3570, 1800] + [60] * 77,  # 59.5 min would read 60 min: 1 h
    )
    out = RelationalData({"t": made}, data.schema, formats=data.formats).to_source("t")
    assert out["stay"].tolist()[:3] == ["1 day", "2 days", "n/a"]
    assert out["run"].tolist()[:3] == ["1h 30m", "1m", "0m"]
    assert out["call"].tolist()[:3] == ["1 hour 30 minutes", "1 hour 1 minute", "2 minutes"]
    assert out["wait"].tolist()[:3] == ["1.5 h", "1 h", "30 min"]
    data.to_dir(tmp_path / "out")
    back = RelationalData.from_dir(tmp_path / "out")
    pd.testing.assert_frame_equal(back["t"], data["t"])


def test_sqlite_text_columns_of_durations_round_trip_in_their_spelling(tmp_path: Path, frame):
    """A TEXT column's kind is read from its values too (`from_sql`): seconds, written back as text."""
    source, target = tmp_path / "source.sqlite", tmp_path / "target.sqlite"
    cols = ["stay", "run", "call", "wait"]
    with sqlite3.connect(source) as con:
        con.execute(f"CREATE TABLE t (id INTEGER PRIMARY KEY, {', '.join(f'{c} TEXT' for c in cols)})")
        con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", frame[["id", *cols]].to_numpy().tolist())
    data = RelationalData.from_sql(f"sqlite:///{source}")
    for c in cols:
        assert data.schema.tables["t"].columns[c].kind is Column.INTEGER, data.schema.inference["t"][c]
    assert data["t"]["call"].tolist() == (MINUTES * 60).tolist()
    data.to_sql(f"sqlite:///{target}")
    query = "SELECT * FROM t ORDER BY id"
    with sqlite3.connect(source) as a, sqlite3.connect(target) as b:
        assert b.execute(query).fetchall() == a.execute(query).fetchall()


def test_a_column_of_parts_keeps_its_zeros_and_padding():
    """`1h 05m`, `2h 00m`: every unit written, minutes in two digits."""
    values = pd.Series([f"{m // 60}h {m % 60:02d}m" for m in range(60, 600, 7)])
    fmt = worded_format(values)
    assert worded_seconds(values).tolist() == [m * 60.0 for m in range(60, 600, 7)]
    assert [write_worded(v, fmt) for v in (7200, 3900, 30)] == ["2h 00m", "1h 05m", "0h 00m"]


def test_unit_words_keep_their_case():
    """`1 Day` beside `5 Days`, `2 HRS 5 MINS`: read as `day` and `hours`, written back in their case."""
    days = pd.Series([f"{d} Day" + "s" * (d != 1) for d in range(1, 40)])
    assert worded_seconds(days).tolist() == [d * 86400.0 for d in range(1, 40)]
    assert [write_worded(v, worded_format(days)) for v in (86400, 3 * 86400)] == ["1 Day", "3 Days"]
    long = pd.Series([f"{h} HRS {m} MINS" for h in range(2, 6) for m in range(2, 12)])
    assert [write_worded(v, worded_format(long)) for v in (3600 + 60, 7500)] == ["1 HR 1 MIN", "2 HRS 5 MINS"]


@pytest.mark.parametrize(
    "values",
    [
        [f"{m} M" for m in range(1, 40)] + ["2 H"],  # one capital letter: a magnitude's or a code's
        [f"{d} days in Paris" for d in range(1, 40)],  # titles holding a duration
        ["90 min", "2 h"] + [f"{m} min" for m in range(1, 40)],  # 90 min beside 2 h: no one rule tells the unit
        ["1h 75m"] + [f"{h}h {m}m" for h in range(1, 5) for m in range(1, 10)],  # a part past its next unit
        ["1h 0m"] + [f"{h}h {m}m" for h in range(1, 5) for m in range(1, 10)] + ["5m"],  # zeros now kept, now left out
        [f"{m}m 1h" for m in range(1, 40)],  # units out of order
        [f"{m} months" for m in range(2, 40)] + ["1 month"],  # no fixed length
        ["1 day", "2 days", "3 days"] * 10,  # a few lengths: labels
        [f"{d} days" for d in range(2, 40)] + ["5 day", "1 day"],  # two words for other amounts than 1
        [f"{d} days" for d in range(1, 40)],  # one word of one unit: a number with a unit (read_units)
        [f"{h}h, {m}m" for h in range(1, 5) for m in range(1, 10)] + ["1h 2m"],  # two joints
        [f"{d:03d} days" for d in range(2, 40)] + ["1 day"],  # zero-padded: codes
    ],
)
def test_what_breaks_the_spelling_is_not_read_as_durations(values):
    assert worded_seconds(pd.Series(values)) is None


def test_hours_and_bare_two_digit_minutes_are_durations_written_back_so():
    """`2h30`, `1h05`, `0h45` beside `3h` (as timetables and French sites write them) were read as
    codes of the shape '9a99': their generated values fresh codes such as `7h81`, no duration."""
    minutes = [int(m) for m in MINUTES]
    values = pd.Series([f"{m // 60}h{m % 60:02d}" if m % 60 else f"{m // 60}h" for m in minutes] + ["0h45"])
    assert_durations_round_trip(values, "run")
    assert worded_seconds(values).tolist() == [m * 60.0 for m in minutes] + [2700.0]
    fmt = worded_format(values)
    assert [write_worded(v, fmt) for v in (9000, 3900, 2700, 7200, 30)] == ["2h30", "1h05", "0h45", "2h", "0h"]


@pytest.mark.parametrize(
    "values",
    [
        [f"{h}h{m:02d}" for h in range(1, 5) for m in range(1, 10)] + ["3x40"],  # a code beside them
        [f"{h}h{m:02d}" for h in range(1, 5) for m in range(50, 59)] + ["1h75"],  # past 60 minutes
        [f"{h}h{m:02d}" for h in range(1, 5) for m in range(1, 10)] + ["1h5"],  # minutes unpadded
        [f"{h}h{m:02d}" for h in range(1, 5) for m in range(1, 10)] + ["1h 5m"],  # minutes now bare, now worded
        [f"{h}H{m:02d}" for h in range(1, 5) for m in range(1, 10)],  # a capital letter: a code's
        [f"{h}a{m:02d}" for h in range(1, 5) for m in range(1, 10)],  # product codes
        [f"{h}d{m:02d}" for h in range(1, 5) for m in range(1, 10)],  # no unit of 60 below days
    ],
)
def test_bare_minutes_that_break_the_spelling_are_not_durations(values):
    assert worded_seconds(pd.Series(values)) is None


def test_clock_durations_with_a_unit_are_durations_written_back_so():
    """`1:30 h`, `0:45 h` (hours and minutes on a clock face, then the unit) were read as free text:
    every generated value a made-up phrase, no length. Read as seconds, written back as read."""
    minutes = [int(m) for m in MINUTES]
    values = pd.Series([f"{m // 60}:{m % 60:02d} h" for m in minutes])
    assert_durations_round_trip(values, "run")
    assert worded_seconds(values).tolist() == [m * 60.0 for m in minutes]
    fmt = worded_format(values)
    assert [write_worded(v, fmt) for v in (9000, 3900, 2700, 7200, 30)] == [
        "2:30 h",
        "1:05 h",
        "0:45 h",
        "2:00 h",
        "0:00 h",
    ]
    laps = pd.Series([f"{s // 60}:{s % 60:02d}min" for s in range(30, 900, 17)])
    assert [write_worded(v, worded_format(laps)) for v in (150, 61)] == ["2:30min", "1:01min"]


@pytest.mark.parametrize(
    "values",
    [
        [f"{h}:{m:02d} h" for h in range(1, 5) for m in range(1, 10)] + ["3:40 x"],  # no unit
        [f"{h}:{m:02d} h" for h in range(1, 5) for m in range(50, 59)] + ["1:75 h"],  # past 60 minutes
        [f"{h}:{m:02d} h" for h in range(1, 5) for m in range(1, 10)] + ["1:5 h"],  # minutes unpadded
        [f"{h}:{m:02d} h" for h in range(1, 5) for m in range(1, 10)] + ["2h30"],  # two spellings
        [f"{h}:{m:02d} h" for h in range(1, 5) for m in range(1, 10)] + ["2 h"],  # two spellings
        [f"{h}:{m:02d} d" for h in range(1, 5) for m in range(1, 10)],  # no unit of 60 below days
        [f"{h}:{m:02d}" for h in range(1, 5) for m in range(1, 10)],  # no unit: times of day
    ],
)
def test_clock_values_that_break_the_spelling_are_not_durations(values):
    assert worded_seconds(pd.Series(values)) is None


def test_minutes_and_seconds_in_prime_marks_are_durations_written_back_so():
    """`1'30"`, `12'05"` (a race's or a track's time) were read as codes of the shape "9'99\"": their
    generated values fresh codes, no time."""
    seconds = [int(s) for s in MINUTES]
    values = pd.Series([f"{s // 60}'{s % 60:02d}\"" for s in seconds])
    assert_durations_round_trip(values, "time")
    assert [write_worded(v, worded_format(values)) for v in (90, 725, 5)] == ["1'30\"", "12'05\"", "0'05\""]


@pytest.mark.parametrize(
    "values",
    [
        [f"{f}'{i}\"" for f in range(4, 7) for i in range(12)],  # heights in feet and inches
        [f"{f}'{i:02d}\"" for f in range(4, 7) for i in range(12)],  # heights, inches in two digits
        [f"{m}'{s:02d}\"" for m in range(1, 5) for s in range(20, 59, 3)] + ["1'75\""],  # past 60 seconds
    ],
)
def test_prime_marks_that_are_no_minutes_and_seconds_are_not_durations(values):
    assert worded_seconds(pd.Series(values)) is None


def test_abbreviations_with_a_dot_are_durations_written_back_so():
    """`45 min.` beside `1.5 hrs.`, `1 hr. 5 min.`: the dot of an abbreviation made the values free
    text (a column in one unit, `90 min.`, was already a number with a unit)."""
    minutes = [int(m) for m in MINUTES]
    waits = pd.Series([_wait(m).replace(" min", " min.").replace(" h", " hrs.") for m in minutes])
    waits = waits.replace("1 hrs.", "1 hr.")
    calls = pd.Series([_short(m).replace("h", " hr.").replace("m", " min.") for m in minutes])
    frame = pd.DataFrame({"id": range(len(minutes)), "wait": waits, "call": calls})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    for column in ("wait", "call"):
        assert schema.tables["t"].columns[column].kind is Column.INTEGER, schema.inference["t"][column]
    assert RelationalData({"t": frame}, schema).to_source("t")[["wait", "call"]].to_dict("list") == {
        "wait": waits.tolist(),
        "call": calls.tolist(),
    }
    assert [write_worded(v, worded_format(waits)) for v in (5400, 3600, 120)] == ["1.5 hrs.", "1 hr.", "2 min."]
    assert write_worded(3900, worded_format(calls)) == "1 hr. 5 min."


@pytest.mark.parametrize(
    "values",
    [
        [f"{m} min." for m in range(1, 40)] + ["2 hrs.", "3 hrs"],  # one word, now with a dot, now without
        [f"{m} min." for m in range(1, 40)] + ["1 hr.", "3 hrs"],  # for 1 with a dot, for others without
        [f"{m} min." for m in range(1, 40)] + ["2 h.", "3 h."],  # a letter and a dot: no unit (`5 m.`)
    ],
)
def test_units_now_with_a_dot_now_without_are_not_durations(values):
    assert worded_seconds(pd.Series(values)) is None

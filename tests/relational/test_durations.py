"""Durations written as ISO 8601 text (`PT5M`, `PT2H33M57S`) are read as seconds and come back in
their spelling, read from frames or CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational._durations import iso_durations

DURATIONS = ["PT2H33M57S", "PT51M4S", "PT5M", "PT1H", "PT45S", None] * 5


def test_iso_durations_are_seconds_written_back_in_their_units(tmp_path: Path):
    """Inferred as codes of the shape 'AA9A99A99A', their generated values were fresh codes such as
    `PT29M678S` (a minute of 678 seconds): 97 % of a SaaS database's generated event durations."""
    frame = pd.DataFrame({"id": range(len(DURATIONS)), "took": DURATIONS})
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert schema.tables["t"].columns["took"].kind is Column.INTEGER, schema.inference["t"]["took"]
    assert "ISO 8601 duration" in schema.inference["t"]["took"]
    data = RelationalData({"t": frame}, schema)
    assert data["t"]["took"].tolist()[:6] == [9237, 3064, 300, 3600, 45, pd.NA]
    data.to_dir(tmp_path / "out")
    assert pd.read_parquet(tmp_path / "out" / "t.parquet")["took"].tolist() == DURATIONS
    back = RelationalData.from_dir(tmp_path / "out")
    pd.testing.assert_frame_equal(back["t"], data["t"])
    made = data["t"].assign(took=pd.array([5400, 0, 86461, 59, None, 7200] * 5, dtype="Int64"))
    out = RelationalData({"t": made}, schema, formats=data.formats).to_source("t")
    assert out["took"].tolist()[:6] == ["PT1H30M", "PT0S", "PT24H1M1S", "PT59S", None, "PT2H"]


def test_durations_from_a_csv_keep_their_largest_unit_and_fractions(tmp_path: Path):
    """Minutes with no hours written past 60 stay minutes (`PT90M`), days stay days, and seconds keep
    their decimals."""
    (tmp_path / "in").mkdir()
    frame = pd.DataFrame(
        {
            "id": range(6),
            "wait": ["PT5M", "PT59M", "PT10M", "PT90M", "PT1M", "PT30M"],
            "span": ["P1DT2H", "PT3H", "P2D", "PT0.25S", "PT1.5S", "P1DT0.5S"],
        }
    )
    frame.to_csv(tmp_path / "in" / "t.csv", index=False)
    schema = Schema.infer({"t": pd.read_csv(tmp_path / "in" / "t.csv", dtype=str)}, primary_keys={"t": "id"})
    assert schema.tables["t"].columns["span"].kind is Column.NUMERIC
    data = RelationalData.from_dir(tmp_path / "in", Schema.from_yaml(schema.to_yaml()))
    assert data.to_source("t")["wait"].tolist() == frame["wait"].tolist()
    assert data.to_source("t")["span"].tolist() == frame["span"].tolist()
    made = data["t"].assign(wait=[3600.0, 61.0, 0.0, 7200.0, 300.0, 600.0], span=[90000.0, 0.1, 3.0, 0, 1, 2])
    out = RelationalData({"t": made}, data.schema, formats=data.formats).to_source("t")
    assert out["wait"].tolist() == ["PT60M", "PT1M", "PT0M", "PT120M", "PT5M", "PT10M"]
    assert out["span"].tolist()[:3] == ["P1DT1H", "PT0.1S", "PT3S"]


@pytest.mark.parametrize("values", [["P1Y2M", "PT5M"], ["PT", "PT5M"], ["5M", "PT5M"], ["P", "PT5M"], ["PT5M", 5]])
def test_what_is_no_duration_of_fixed_length_is_not_read_as_one(values):
    assert iso_durations(pd.Series(values, dtype=object)) is None

"""Numbers in a few units of one scale (`500 MB` beside `1.2 GB`, `850 ms` beside `2.50 s`), each in
the largest unit it reaches: inferred as numbers in the smallest unit the column writes, written back
and generated in the unit each value reaches; columns that break the rule stay labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational._unit_scales import scale_format, scaled_numbers, write_scaled

MB = np.random.default_rng(0).lognormal(6, 1.5, 80).round()
MS = np.random.default_rng(1).lognormal(6.5, 1, 80).round()


def _size(v: float) -> str:
    return f"{v:.0f} MB" if v < 1000 else f"{v / 1000:.1f} GB"


def _took(v: float) -> str:
    return f"{v:.0f} ms" if v < 1000 else f"{v / 1000:.2f} s"


@pytest.fixture(name="frame")
def frame_fixture() -> pd.DataFrame:
    frame = pd.DataFrame({"id": range(len(MB)), "size": [_size(v) for v in MB], "took": [_took(v) for v in MS]})
    frame.loc[[2, 5], "size"] = "n/a"
    return frame


def test_numbers_in_a_few_units_of_one_scale_are_numbers_written_back_in_their_units(tmp_path: Path, frame):
    """File sizes `500 MB` beside `1.2 GB` were labels, most of them rare: their distribution was lost.
    Read in MB and ms, they come back as written (frames, CSV, to_dir) and a generated 1,234 MB is 1.2 GB."""
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert schema.tables["t"].columns["size"].kind is Column.INTEGER, schema.inference["t"]["size"]
    assert schema.tables["t"].columns["took"].kind is Column.INTEGER, schema.inference["t"]["took"]
    (tmp_path / "in").mkdir()
    frame.to_csv(tmp_path / "in" / "t.csv", index=False)
    for data in (RelationalData({"t": frame}, schema), RelationalData.from_dir(tmp_path / "in", schema)):
        held = frame["size"] != "n/a"
        sizes = pd.Series([float(_size(v).split()[0]) * (1000 if "GB" in _size(v) else 1) for v in MB])
        np.testing.assert_allclose(data["t"]["size"][held].astype(float), sizes[held])
        written = data.to_source("t")
        assert written["size"].tolist() == frame["size"].tolist() and written["took"].tolist() == frame["took"].tolist()
    made = data["t"].assign(
        size=[1234, 999, None] + [5] * (len(frame) - 3), took=[999, 1500, 3] + [7] * (len(frame) - 3)
    )
    out = RelationalData({"t": made}, data.schema, formats=data.formats).to_source("t")
    assert out["size"].tolist()[:3] == ["1.2 GB", "999 MB", "n/a"]
    assert out["took"].tolist()[:3] == ["999 ms", "1.50 s", "3 ms"]
    data.to_dir(tmp_path / "out")
    back = RelationalData.from_dir(tmp_path / "out")
    pd.testing.assert_frame_equal(back["t"], data["t"])


@pytest.mark.parametrize(
    "values",
    [
        [f"{v} MB" for v in range(1000, 1030)] + ["1.2 GB"],  # 1200 MB: no one rule tells the unit
        [f"{v} MB" for v in range(2, 32)] + ["0.5 GB"],  # below 1 of its unit
        [f"{v} MB" for v in range(2, 32)] + ["12 ms"],  # units of two scales
        [f"{v} MB" for v in (5, 10, 500)] * 10 + ["1 GB", "2 GB"],  # a few sizes: labels
        [f"{v} XB" for v in range(2, 32)] + ["1 YB"],  # units of no scale
    ],
)
def test_columns_that_break_the_rule_are_not_read_in_units(values):
    assert scaled_numbers(pd.Series(values)) is None


def test_a_value_rounded_up_to_the_next_unit_is_written_in_it():
    """999.7 MB written with no decimals would read 1000 MB, which the column never writes: 1.0 GB."""
    fmt = scale_format(pd.Series(["500 MB", "1.2 GB", "-3 MB"]))
    assert [write_scaled(v, fmt) for v in (999.7, 999.4, 1234.0, -2.6, 0.2)] == [
        "1.0 GB",
        "999 MB",
        "1.2 GB",
        "-3 MB",
        "0 MB",
    ]

"""Generated numbers of a column written in a locale's or a report's spelling (`1.234,56`,
`$1,234.00`) are written back in it: they were fresh codes of its shape, unrelated to the data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Column, RelationalData, Schema
from relsynth.synth import TabularModel, TabularPreproc

PATTERNS = {"eu": r"-?\d{1,3}(?:\.\d{3})*,\d{2}", "usd": r"\$\d{1,3}(?:,\d{3})*\.\d{2}|\(\$\d{1,3}(?:,\d{3})*\.\d{2}\)"}


def test_generated_numbers_are_written_in_the_source_spelling(tmp_path: Path, tiny_size):
    amounts = np.random.default_rng(0).normal(0, 3000, 200).round(2)
    frame = pd.DataFrame(
        {
            "id": range(200),
            "eu": [f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") for x in amounts],
            "usd": [f"${x:,.2f}" if x >= 0 else f"(${-x:,.2f})" for x in amounts],
        }
    )
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    assert [schema.tables["t"].columns[c].kind for c in PATTERNS] == [Column.NUMERIC] * 2
    data = RelationalData({"t": frame}, schema)
    torch.manual_seed(0)
    out = TabularModel.build(TabularPreproc.from_schema(schema).fit(data), size=tiny_size).generate(50, seed=0)
    out.to_dir(tmp_path / "out")
    written = pd.read_parquet(tmp_path / "out" / "t.parquet")
    for column, pattern in PATTERNS.items():
        values = written[column].dropna()
        assert len(values) > 0 and values.str.fullmatch(pattern).all(), values.tolist()
        # they are the generated numbers, spread over the data's range (not codes)
        np.testing.assert_allclose(RelationalData.from_dir(tmp_path / "out")["t"][column], out["t"][column])
        assert out["t"][column].std() > 100


def test_generated_numbers_of_a_csv_keep_its_decimals(tmp_path: Path, tiny_size):
    # from_dir read '12.50' as 12.5: generated prices were written '7.3' and '12.0'
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": range(200), "price": [f"{x:.2f}" for x in rng.gamma(2, 10, 200).round(1)]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    schema = Schema.infer({"t": frame}, primary_keys={"t": "id"})
    data = RelationalData.from_dir(tmp_path, schema)
    torch.manual_seed(0)
    out = TabularModel.build(TabularPreproc.from_schema(schema).fit(data), size=tiny_size).generate(50, seed=0)
    out.to_source("t").to_csv(tmp_path / "synthetic.csv", index=False)
    written = pd.read_csv(tmp_path / "synthetic.csv", dtype=str, keep_default_na=False)["price"]
    assert len(written) > 0 and written.str.fullmatch(r"\d+\.\d0").all(), written.tolist()

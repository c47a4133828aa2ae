"""A text column that writes a number of its row (a lab result's value_text, '<0.1' where the
number is missing): generated texts write the row's own number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Numeric, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextModel, TextPreproc
from relsynth.synth.text._numbers import number_written, written


def labs(n: int = 200, seed: int = 0) -> RelationalData:
    """Lab results: the value as a number and as text (129.93, 4.1, 12), '<0.1' where too low to measure."""
    rng = np.random.default_rng(seed)
    value = np.array([round(v, int(d)) for v, d in zip(rng.uniform(0, 200, n), rng.integers(0, 3, n), strict=True)])
    value[rng.random(n) < 0.15] = np.nan
    text = [("<0.1" if np.isnan(v) else np.format_float_positional(v, trim="-")) for v in value]
    frame = pd.DataFrame(
        {"id": range(n), "test": rng.choice(["hba1c", "glucose"], n), "value_num": value, "value_text": text}
    )
    schema = Schema(lab=Table(id=PrimaryKey(), test=Categorical(), value_num=Numeric(), value_text=Text()))
    return RelationalData({"lab": frame}, schema)


def test_a_text_writing_its_rows_number_is_generated_so(tiny_size):
    """An untrained model writes any digits; now every row holding a number writes it (12, not
    12.0), and the rows without one keep the model's text."""
    data = labs()
    pre = TextPreproc.from_schema_table(data.schema, "lab", vocab_size=300).fit(data)
    assert pre.config.stats["value_text"].number_of == "value_num"
    torch.manual_seed(0)
    synth = data["lab"].copy()
    synth["value_num"] = np.where(synth["value_num"].notna(), np.round(synth["value_num"] * 1.5, 2), np.nan)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    out = model.generate(RelationalData({"lab": synth}, data.schema))
    lab = out["lab"]
    held = lab["value_num"].notna()
    assert model.last_generation["value_text"]["numbers_written"] == held.sum()
    assert lab["value_text"][held].tolist() == written(lab["value_num"][held])
    assert lab["value_text"][held].str.fullmatch(r"-?\d+(\.\d+)?").all()
    assert out["lab"]["value_text"][~held].notna().any()


def test_a_text_that_writes_no_number_keeps_none():
    """A column whose texts differ from the number in a few rows, or of too few rows, names none."""
    data = labs()
    df = data["lab"].copy()
    kinds = dict.fromkeys(["value_num"], Numeric().kind)
    assert number_written(df, "value_text", kinds) == "value_num"
    df.loc[df["value_num"].notna().idxmax(), "value_text"] = "about 3"
    assert number_written(df, "value_text", kinds) is None
    assert number_written(data["lab"].head(20), "value_text", kinds) is None  # 17 numbers: too few

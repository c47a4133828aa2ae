"""Line breaks as the column writes them: paragraphs one blank line apart stay so."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Integer, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextModel, TextPreproc
from relsynth.synth.text._breaks import kept_breaks, line_breaks

PARTS = ["Great quality.", "Fast shipping!", "Would buy again.", "Update: still fine.", "Thanks"]


def reviews(n: int = 120, seed: int = 0) -> RelationalData:
    """Reviews of one to three paragraphs, always one blank line apart ("\\n\\n")."""
    rng = np.random.default_rng(seed)
    body = ["\n\n".join(rng.choice(PARTS, size=int(rng.integers(1, 4)))) for _ in range(n)]
    df = pd.DataFrame({"id": range(1, n + 1), "rating": rng.integers(1, 6, n), "body": body})
    return RelationalData({"r": df}, Schema(r=Table(id=PrimaryKey(), rating=Integer(), body=Text())))


def test_generated_line_breaks_are_the_columns(tiny_size):
    """Written a newline token at a time, a small model's reviews whose every break was "\\n\\n"
    held "\\n", "\\n\\n\\n" or more in 6 of 13 texts with a break (an untrained one in most).
    Each generated run holding a break is one the column used."""
    data = reviews()
    preproc = TextPreproc.from_schema_table(data.schema, "r", vocab_size=300).fit(data)
    assert preproc.config.stats["body"].breaks == ["\n\n"]
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=64)
    out = model.generate(data, seed=0, temp=1.5, max_text_len=24)["r"]["body"].dropna()
    runs = [m for t in out for m in re.findall(r"\s+", t) if "\n" in m]
    assert runs and set(runs) == {"\n\n"}


def test_breaks_the_column_never_wrote_are_its_own():
    assert line_breaks(["a\r\nb", "c\r\n\r\nd", "e\r\nf", "no break"]) == ["\r\n", "\r\n\r\n"]
    assert kept_breaks("a\nb \n\n\nc\r\nd", ["\r\n", "\r\n\r\n"]) == "a\r\nb\r\nc\r\nd"
    assert kept_breaks("a\n\nb  c", []) == "a\n\nb  c"  # a column without breaks: left as written

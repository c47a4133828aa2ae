"""Empty strings beside NULLs and words in a text column: generation writes "" in the rows the data's rates say
(as it writes nulls), and samples the other texts never empty."""

from __future__ import annotations

import dataclasses

import pandas as pd
import torch

from relsynth.relational import Categorical, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer


def notes(n: int = 240) -> RelationalData:
    """A third of the notes null, a third "", a third a few words; "" only on rows of kind 'call'."""
    kinds = ["call", "mail"] * (n // 2)
    note = [None if i % 3 == 0 else "" if kinds[i] == "call" else f"note {i % 7} about the order" for i in range(n)]
    frame = pd.DataFrame({"id": range(n), "note": note, "kind": kinds})
    return RelationalData({"r": frame}, Schema(r=Table(id=PrimaryKey(), note=Text(), kind=Categorical())))


def empty_by_kind(texts: pd.Series, kinds: pd.Series) -> dict[str, float]:
    filled = texts.notna()
    return (texts[filled] == "").groupby(kinds[filled]).mean().round(2).to_dict()


def test_empty_texts_are_written_where_rows_like_them_hold_one(tiny_size):
    data = notes()
    pre = TextPreproc.from_schema_table(data.schema, "r", vocab_size=300).fit(data)
    assert pre.config.stats["note"].empty_by[0] == "kind"
    torch.manual_seed(0)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    TextTrainer(model).train(TextDataset.from_data(data, pre, block_size=64), n_steps=60, batch_size=32)
    stats = pre.config.stats
    older = dataclasses.replace(stats["note"], empty_by=None, labelled_texts=[])  # an older save's: neither rule
    pre.config.stats = {**stats, "note": older}
    try:
        plain = model.generate(data, seed=0)["r"]["note"]
    finally:
        pre.config.stats = stats
    out = model.generate(data, seed=0)["r"]["note"]
    kinds = data["r"]["kind"]
    assert empty_by_kind(plain, kinds)["mail"] > 0.3  # the model ends a mail's note at once too
    assert empty_by_kind(out, kinds) == {"call": 1.0, "mail": 0.0}
    assert model.last_generation["note"]["texts"] == int(out.notna().sum())

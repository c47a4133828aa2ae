"""JSON documents in a text column (a product's attributes as `{"color": "青", ...}`): where every
training value is one, a generated text that does not parse is sampled again, and the ones left
are counted and logged."""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np
import pandas as pd
import torch

from relsynth.relational import PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextDataset, TextModel, TextPreproc, TextTrainer
from relsynth.synth.text._json import all_documents, is_document


def products(n: int = 120, seed: int = 0) -> RelationalData:
    """Attributes as JSON, ASCII-escaped for a third of the rows (`\\u9752`, which a model breaks easily)."""
    rng = np.random.default_rng(seed)
    docs = [
        json.dumps(
            {"color": str(rng.choice(["red", "зелёный", "青", "ασπρο"])), "qty": int(rng.integers(1, 99))},
            ensure_ascii=bool(i % 3 == 0),
        )
        for i in range(n)
    ]
    names = [f"{rng.choice(['lamp', 'chair', 'scarf'])} {rng.choice(['old', 'new', 'red'])}" for _ in range(n)]
    frame = pd.DataFrame({"id": range(1, n + 1), "attrs": docs, "name": names})
    return RelationalData({"product": frame}, Schema(product=Table(id=PrimaryKey(), attrs=Text(), name=Text())))


def invalid(texts: pd.Series) -> int:
    return int((~texts.dropna().map(is_document)).sum())


def test_a_json_column_is_generated_as_json_documents(tiny_size, caplog):
    data = products()
    pre = TextPreproc.from_schema_table(data.schema, "product", vocab_size=300).fit(data)
    assert pre.config.stats["attrs"].json and not pre.config.stats["name"].json
    torch.manual_seed(0)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    TextTrainer(model).train(TextDataset.from_data(data, pre), n_steps=150, batch_size=32, lr=1e-2)
    stats = pre.config.stats
    pre.config.stats = {**stats, "attrs": dataclasses.replace(stats["attrs"], json=False)}
    try:
        plain = model.generate(data, seed=1)["product"]["attrs"]
    finally:
        pre.config.stats = stats
    with caplog.at_level(logging.WARNING):
        out = model.generate(data, seed=1)["product"]["attrs"]
    assert invalid(plain) > 5  # undertrained: broken escapes, missing braces
    assert invalid(out) == model.last_generation["attrs"]["invalid_json"] < invalid(plain) / 3
    assert (invalid(out) > 0) == ("do not parse" in caplog.text)


def test_json_documents_are_objects_or_arrays_that_parse():
    assert all_documents(['{"a": 1}', "[1, 2]", ""]) and not all_documents(["", ""])
    assert not all_documents(['{"a": 1}', "1"]) and not all_documents(['{"a": 1}', '{"a": "\\u12"}'])
    assert not is_document('"a string"') and not is_document("{'a': 1}") and is_document(' {"b": [null]} ')

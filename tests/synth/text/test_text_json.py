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

from relsynth.relational import Categorical, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table, Text
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


def payments(n: int = 150, seed: int = 0) -> RelationalData:
    """orders (total) -> events whose JSON payload holds the order's total as its amount on paid events."""
    rng = np.random.default_rng(seed)
    totals = rng.gamma(2, 40, n).round(2)
    rows = []
    for o in range(n):
        rows.append((o, "created", json.dumps({"items": int(rng.integers(1, 6))})))
        rows.append(
            (o, "paid", json.dumps({"amount": float(totals[o]), "method": str(rng.choice(["card", "paypal"]))}))
        )
    events = pd.DataFrame(rows, columns=["order", "kind", "payload"])
    events.insert(0, "id", range(len(events)))
    orders = pd.DataFrame({"id": range(n), "total": totals})
    schema = Schema(
        orders=Table(id=PrimaryKey(), total=Numeric()),
        events=Table(id=PrimaryKey(), order=ForeignKey("orders"), kind=Categorical(), payload=Text()),
    )
    return RelationalData({"orders": orders, "events": events}, schema)


def test_a_documents_number_that_is_its_parent_rows_is_written_from_it(tiny_size):
    """An event log's paid events write their order's total as the payload's amount
    (`{"amount": 72.23, "method": "card"}`), but the model wrote digits it learnt: 0 of 120 generated
    paid payloads held their order's total (correlation 0.08). The fit keeps the keys whose number is
    a number of the row or its parent row in every document (`document_numbers`); generation writes it."""
    data = payments()
    pre = TextPreproc.from_schema_table(data.schema, "events", vocab_size=300).fit(data)
    assert pre.config.stats["payload"].document_numbers == [["amount", "orders.total"]]
    torch.manual_seed(0)
    model = TextModel.build(pre, size=tiny_size, block_size=64)
    TextTrainer(model).train(TextDataset.from_data(data, pre), n_steps=60, batch_size=32, lr=1e-2)
    orders = data["orders"].assign(total=np.round(data["orders"]["total"].to_numpy() * 1.5 + 0.01, 2))  # new totals
    synth = RelationalData({"orders": orders, "events": data["events"]}, data.schema)
    events = model.generate(synth, seed=0)["events"]
    docs = events["payload"].dropna()
    docs = docs[docs.map(is_document)].map(json.loads)
    amounts = docs[docs.map(lambda d: isinstance(d, dict) and isinstance(d.get("amount"), (int, float)))]
    total = orders.set_index("id")["total"]
    expected = events.loc[amounts.index, "order"].map(total)
    assert len(amounts) > 50
    assert np.allclose(amounts.map(lambda d: d["amount"]).to_numpy(dtype=float), expected.to_numpy(dtype=float))
    assert model.last_generation["payload"]["document_numbers_written"] == len(amounts)


def test_no_document_number_where_a_key_is_not_a_rows_number():
    data = payments()
    events = data["events"].assign(payload=data["events"]["payload"].str.replace('"method"', '"m"'))
    shuffled = data["orders"].assign(total=data["orders"]["total"].sample(frac=1, random_state=0).to_numpy())
    other = RelationalData({"orders": shuffled, "events": events}, data.schema)
    pre = TextPreproc.from_schema_table(other.schema, "events", vocab_size=300).fit(other)
    assert pre.config.stats["payload"].document_numbers == []

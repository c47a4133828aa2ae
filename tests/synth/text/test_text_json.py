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
from relsynth.synth.text._generate import escape_documents
from relsynth.synth.text._json import all_documents, escaped, escapes, is_document, unescaped


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
    # escapes are modelled as the characters (no broken `\u`): fewer steps leave documents to break
    TextTrainer(model).train(TextDataset.from_data(data, pre), n_steps=70, batch_size=32, lr=1e-2)
    stats = pre.config.stats
    pre.config.stats = {**stats, "attrs": dataclasses.replace(stats["attrs"], json=False)}
    try:
        plain = model.generate(data, seed=1)["product"]["attrs"]
    finally:
        pre.config.stats = stats
    with caplog.at_level(logging.WARNING):
        out = model.generate(data, seed=1)["product"]["attrs"]
    assert invalid(plain) > 5  # undertrained: missing braces and quotes
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


def test_escaped_documents_are_modelled_with_their_characters_and_parse_the_same():
    doc = {"a": "مرة 😀 東京", "b": 'x"\\u0041\n\u200b', "c": ["👨\u200d👩\u200d👧", "\ud83d"]}
    raw = json.dumps(doc)
    plain = unescaped(raw)
    assert "مرة 😀 東京" in plain and json.loads(plain) == doc
    assert "\\\\u0041" in plain and "\\u200b" in plain and "\\ud83d" in plain  # not letters: left as written
    assert escaped(plain) == raw and escapes(raw) is True and escapes(plain) is False
    assert escapes('{"k": "plain"}') is None
    assert escaped('["👩\u200d💻"]') == json.dumps(["👩\u200d💻"])  # the joiner escaped with the emoji
    assert unescaped(r'{"a": "\\u0627"}') == r'{"a": "\\u0627"}'  # an escaped backslash, then "u0627"


def test_the_words_of_escaped_documents_are_word_tokens():
    """`json.dumps` escapes every non-ASCII character by default: the model wrote such documents code point by
    code point, outside the word tokens (a model trained 15 epochs on shop reviews' metadata: 67 of 76 words of
    the escaped notes it wrote were no word of the data, 0 of 439 in plain ones). They are modelled plainly."""
    data = products()
    preproc = TextPreproc.from_schema_table(data.schema, "product", vocab_size=300).fit(data)
    stats = preproc.config.stats["attrs"]
    assert stats.json and abs(stats.json_escapes - 1 / 3) < 0.1  # of the documents holding such a character
    vocab = preproc.vocab()
    colors = {"зелёный", "青", "ασπρο"}
    assert all(f"<w>{c}" in vocab for c in colors)
    ds = TextDataset.from_data(data=data, preproc=preproc)
    samples = [set(ds.tokens[a:b].tolist()) for a, b in zip(ds.offsets[:-1], ds.offsets[1:], strict=True)]
    written = sum(any(vocab[f"<w>{c}"] in t for c in colors) for t in samples)  # a color as its word token
    held = sum(any(c in json.loads(d)["color"] for c in colors) for d in data["product"]["attrs"])
    assert written == held


def test_generated_documents_are_escaped_in_the_share_of_the_source():
    rng = np.random.default_rng(0)
    texts = [json.dumps({"c": "青"}, ensure_ascii=False)] * 2000
    out = escape_documents(texts, 0.3, rng, None)
    assert abs(np.mean([t != texts[0] for t in out]) - 0.3) < 0.03
    assert all(json.loads(t) == {"c": "青"} for t in out)
    assert escape_documents(texts, 1.0, rng, len(texts[0])) == texts  # the escapes would pass the SQL length

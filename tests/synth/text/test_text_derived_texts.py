"""Texts built from other values of their row (a full name, its first and last names; initials; an email
first.last at one of a few domains in part of the rows): fitted as templates, written from the row's
generated texts in the data's share of the rows, after them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import Categorical, PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextModel, TextPreproc
from relsynth.synth.text._derived_texts import derived_rows

FIRST = ["Anna", "Boris", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Irene", "Jonas"]
LAST = ["Smith", "Brown", "Lopez", "Meyer", "Rossi", "Novak", "Kelly", "Weber", "Silva", "Young"]
DOMAINS = ["@mail.example.com", "@web.example.org", "@post.example.net"]
WORDS = ["sunny", "rocket", "tiger", "pixel", "river", "storm"]
EMAIL_SHARE = 0.6


def people(n: int = 240, seed: int = 0) -> RelationalData:
    """People with a first and a last name (texts), their full name and initials (always built from them), an
    email first.last at a domain in EMAIL_SHARE of the rows (else a word and digits), and a nickname of no one's."""
    rng = np.random.default_rng(seed)
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    built = rng.random(n) < EMAIL_SHARE
    frame = pd.DataFrame(
        {
            "id": range(n),
            "first": first,
            "last": last,
            "full_name": [f"{f} {s}" for f, s in zip(first, last, strict=True)],
            "initials": [f[0] + s[0] for f, s in zip(first, last, strict=True)],
            "email": [
                f"{f.lower()}.{s.lower()}{rng.choice(DOMAINS)}"
                if b
                else f"{rng.choice(WORDS)}{rng.integers(10, 999)}@x.io"
                for f, s, b in zip(first, last, built, strict=True)
            ],
            "nickname": rng.choice(WORDS, n),
            "team": rng.choice(["red", "blue"], n),
        }
    )
    texts = {c: Text() for c in ("first", "last", "full_name", "initials", "email", "nickname")}
    schema = Schema(person=Table(id=PrimaryKey(), **texts, team=Categorical()))
    return RelationalData({"person": frame}, schema)


def _emails_built(frame: pd.DataFrame) -> np.ndarray:
    pattern = "|".join(map(re.escape, DOMAINS))
    return np.array(
        [
            bool(re.fullmatch(re.escape(f"{f.lower()}.{s.lower()}") + f"({pattern})", e))
            for f, s, e in zip(
                frame["first"].astype(str), frame["last"].astype(str), frame.email.astype(str), strict=True
            )
        ]
    )


def test_the_fit_keeps_each_built_text_and_writes_it_after_its_sources():
    data = people()
    preproc = TextPreproc.from_schema_table(data.schema, "person", vocab_size=300).fit(data)
    stats = preproc.config.stats
    assert stats["full_name"].derived["pieces"] == [["first", "asis", None], ["last", "asis", None]]
    assert stats["full_name"].derived["share"] == 1.0 and stats["initials"].derived["share"] == 1.0
    assert stats["email"].derived["share"] == pytest.approx(_emails_built(data["person"]).mean(), abs=1e-3)
    assert stats["first"].derived is None and stats["nickname"].derived is None  # built from nothing of the row
    order = preproc.text_order
    for built in ("full_name", "initials", "email"):  # initials, the shortest, too: after the names
        assert order.index(built) > max(order.index("first"), order.index("last"))


def test_generated_built_texts_follow_the_rows_generated_names_in_the_datas_share(tiny_size):
    data = people()
    preproc = TextPreproc.from_schema_table(data.schema, "person", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=64)
    blank = {c: None for c in preproc.text_columns}
    out = model.generate(
        RelationalData({"person": data["person"].assign(**blank)}, data.schema), seed=0, max_text_len=8
    )
    frame = out["person"]
    first, last = frame["first"].astype(str), frame["last"].astype(str)
    held = (frame["first"].notna() & frame["last"].notna() & (first != "") & (last != "")).to_numpy()
    assert held.mean() > 0.8
    assert (frame.full_name.astype(str) == first + " " + last)[held].all()
    assert (frame.initials.astype(str) == first.str[0] + last.str[0])[held].all()
    assert _emails_built(frame)[held].mean() == pytest.approx(_emails_built(data["person"]).mean(), abs=0.1)
    assert model.last_generation["full_name"]["derived_from_row"] == held.sum()


def test_a_text_that_never_repeats_leaves_a_repeated_built_text_to_the_model():
    rule = {
        "pieces": [["first", "asis", None]],
        "slots": [{"labels": [["", 1.0]]}, {"labels": [["", 1.0]]}],
        "share": 1.0,
    }
    row = pd.DataFrame({"first": ["Anna", "Boris", "Anna", None, ""]})
    rows, texts = derived_rows(rule, row, np.arange(5), unique=True, rng=np.random.default_rng(0))
    assert rows.tolist() == [0, 1] and texts.tolist() == ["Anna", "Boris"]  # no value, no text built: the model's
    rows, _ = derived_rows(rule, row, np.arange(5), unique=False, rng=np.random.default_rng(0))
    assert rows.tolist() == [0, 1, 2]

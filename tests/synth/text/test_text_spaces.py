"""Spaces as the column writes them: no trailing or doubled space in a column that never has one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import PrimaryKey, RelationalData, Schema, Table, Text
from relsynth.synth.text import TextModel, TextPreproc
from relsynth.synth.text._generate import RowWords, _decoder, _resample_unwanted
from relsynth.synth.text._spaces import Spacing, doubles_space, ends_on_space

FIRST = ["Pia", "Raj", "Kai", "Sara", "Jade", "Uma", "Finn", "Nora"]
LAST = ["Olsen", "Berg", "Reyes", "Weber", "Silva", "Lopez", "Young", "Novak"]


def people(n: int = 60, seed: int = 0, pad: bool = False) -> RelationalData:
    """Person names "First Last"; with `pad`, some end on a space and some double it (a padded CHAR column)."""
    rng = np.random.default_rng(seed)
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(n)]
    if pad:
        names = [f"{v}  " if i % 3 == 0 else v.replace(" ", "  ") if i % 3 == 1 else v for i, v in enumerate(names)]
    df = pd.DataFrame({"id": range(1, n + 1), "name": names})
    return RelationalData({"p": df}, Schema(p=Table(id=PrimaryKey(), name=Text())))


def test_the_fit_records_the_whitespace_a_column_shows():
    assert not ends_on_space(["Pia Olsen", "Raj"]) and ends_on_space(["Pia ", "Raj"])
    assert not doubles_space(["Pia Olsen", "a\n\nb", "a \nb"])  # line breaks are _breaks'
    assert doubles_space(["Pia  Olsen"]) and doubles_space(["a\t b"])
    names = TextPreproc.from_schema_table(people().schema, "p", vocab_size=300).fit(people()).config.stats["name"]
    assert (names.end_space, names.double_space) == (False, False)
    padded = TextPreproc.from_schema_table(people().schema, "p", vocab_size=300).fit(people(pad=True))
    assert (padded.config.stats["name"].end_space, padded.config.stats["name"].double_space) == (True, True)


def test_spacing_trims_only_what_the_column_never_shows():
    never = Spacing(lead=False, end=False, double=False)
    assert never.kept(" Pia  Olsen \t") == "Pia Olsen"
    assert never.kept("a\n\nb ") == "a\n\nb"  # a paragraph break stays (`_breaks`)
    assert Spacing().kept(" Pia  Olsen ") == " Pia  Olsen "
    assert Spacing(end=False).kept("Pia  Olsen ") == "Pia  Olsen"


def test_decoded_names_hold_no_space_the_names_never_have():
    """A CRM's user names came out "Pia " or "Pia  Olsen" in 9 of 23 (a bare space before a spelled word, then
    the end or the next word's own spaced token); no training name ends on a space or doubles one."""
    data = people()
    preproc = TextPreproc.from_schema_table(data.schema, "p", vocab_size=300).fit(data)
    stats, trimmed = preproc.config.stats["name"], []
    spacing = Spacing(stats.lead_space_rate > 0, stats.end_space, stats.double_space)
    decode = _decoder(preproc, None, np.random.default_rng(0), spacing=spacing, trimmed=trimmed)
    written = ["Pia ", "Pia  Olsen", "Raj \t Berg  ", "Kai Young"]
    assert decode(preproc.encode(written), [RowWords("", [])] * 4) == ["Pia", "Pia Olsen", "Raj Berg", "Kai Young"]
    assert trimmed == [3]


def test_a_trimmed_name_that_is_a_training_name_is_drawn_again():
    """Trimming comes before the copy check: "Pia  Olsen" trimmed is the training name "Pia Olsen", drawn again
    rather than kept (nor kept as its untrimmed non-copy)."""
    spacing = Spacing(lead=False, end=False, double=False)

    class Redraw:
        cut = np.zeros(1, dtype=bool)

        def sample(self, prompts, batch_size, rows=None, avoid=frozenset()):
            return [["Kai  Young "]]

    def decode(ids, rows, avoid=()):
        return [spacing.kept(i[0]) for i in ids]

    texts = decode([["Pia  Olsen"]], [RowWords("", [])])
    left = _resample_unwanted(
        texts, np.zeros(1, dtype=bool), [[0]], [RowWords("", [])], {"Pia Olsen"}, Redraw(), decode, 8
    )
    assert texts == ["Kai Young"] and left == (0, 0, 0)


def test_a_column_that_pads_its_names_keeps_the_spaces_the_model_writes(tiny_size):
    """Trimming is only for whitespace the column never shows: a padded column's generated names keep their
    trailing and doubled spaces, and the generation log counts none trimmed."""
    data = people(pad=True)
    preproc = TextPreproc.from_schema_table(data.schema, "p", vocab_size=300).fit(data)
    torch.manual_seed(0)
    model = TextModel.build(preproc, size=tiny_size, block_size=64)
    out = model.generate(data, seed=0, temp=1.5, max_text_len=12)["p"]["name"].dropna()
    assert [t for t in out if t.endswith(" ")] and [t for t in out if "  " in t.strip()]
    assert model.last_generation["name"]["spaces_trimmed"] == 0

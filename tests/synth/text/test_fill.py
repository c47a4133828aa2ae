"""fill_texts: one text model per table, parents first, refused when models and tables disagree."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from relsynth.relational import RelationalData
from relsynth.synth import fill_texts


class WritingModel:
    """Stands in for a `TextModel`: writes `<table> text` into its table's text column."""

    def __init__(self, table: str, column: str, seen: list):
        self.preproc = SimpleNamespace(table=table, text_columns=[column])
        self.column, self.seen = column, seen

    def generate(self, data: RelationalData, *, avoid=None, **options) -> RelationalData:
        self.seen.append((self.preproc.table, options))
        tables = {name: df.copy() for name, df in data.items()}
        tables[self.preproc.table][self.column] = f"{self.preproc.table} text"
        return RelationalData(tables, data.schema)


def test_fill_texts_writes_parents_first_with_the_options(tiny_database: RelationalData) -> None:
    seen: list = []
    models = [WritingModel("album", "title", seen), WritingModel("artist", "name", seen)]
    filled = fill_texts(tiny_database, models, temp=0.5)
    assert seen == [("artist", {"temp": 0.5}), ("album", {"temp": 0.5})]
    assert (filled["album"]["title"] == "album text").all() and filled["track"].equals(tiny_database["track"])


def test_fill_texts_refuses_two_models_for_one_table(tiny_database: RelationalData) -> None:
    with pytest.raises(ValueError, match="two text models for table 'artist'"):
        fill_texts(tiny_database, [WritingModel("artist", "name", []), WritingModel("artist", "name", [])])


def test_fill_texts_refuses_a_model_of_another_table(tiny_database: RelationalData) -> None:
    with pytest.raises(ValueError, match=r"text models for \['label'\], which are not synthesised tables"):
        fill_texts(tiny_database, [WritingModel("label", "name", [])])

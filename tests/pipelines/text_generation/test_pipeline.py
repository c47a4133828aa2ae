"""text_generation: filling the synthetic tables' texts with the text models, parents first; the
check of this run's `text_tables`; the pipeline created for a list of tables."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pandas as pd
import pytest

from relsynth.pipelines.text_generation import create_pipeline
from relsynth.pipelines.text_generation.nodes import fill_texts
from relsynth.relational import RelationalData
from relsynth.synth import TextModel


def blank_texts(database: RelationalData) -> RelationalData:
    """`database` with its text columns empty, as generation leaves them."""
    tables = {name: df.copy() for name, df in database.items()}
    tables["artist"]["name"] = None
    tables["album"]["title"] = None
    return RelationalData(tables, database.schema)


def test_fill_texts_writes_the_text_columns(
    tiny_database: RelationalData, text_models: dict[str, TextModel], text_params: dict
) -> None:
    blank = blank_texts(tiny_database)
    filled, _ = fill_texts(
        blank, tiny_database, text_params["text_generation"], ["artist", "album"], *text_models.values()
    )
    assert isinstance(filled, RelationalData) and filled.schema == tiny_database.schema
    assert filled["artist"]["name"].notna().any() and filled["album"]["title"].notna().any()
    assert filled["track"].equals(tiny_database["track"])  # other tables untouched
    assert len(filled["album"]) == len(tiny_database["album"])


class FakeTextModel:
    """Stands in for a `TextModel`: writes `<table> text` and records what it saw of the parent."""

    def __init__(self, table: str, column: str, calls: list):
        self.preproc = SimpleNamespace(table=table, text_columns=[column])
        self.column, self.calls = column, calls

    def generate(
        self, data: RelationalData, *, temp: float = 1.0, avoid: RelationalData | None = None
    ) -> RelationalData:
        self.calls.append((self.preproc.table, data["artist"]["name"].notna().all()))
        tables = {name: df.copy() for name, df in data.items()}
        tables[self.preproc.table][self.column] = f"{self.preproc.table} text"
        return RelationalData(tables, data.schema)


def test_fill_texts_parents_first(tiny_database: RelationalData) -> None:
    calls: list = []
    album, artist = FakeTextModel("album", "title", calls), FakeTextModel("artist", "name", calls)
    filled, warnings = fill_texts(
        blank_texts(tiny_database), tiny_database, {"temp": 1.0}, ["album", "artist"], album, artist
    )
    assert warnings == []  # nothing warned: the report gets no generation warning
    assert calls == [("artist", False), ("album", True)]  # the album titles were written seeing the artists' names
    assert (filled["album"]["title"] == "album text").all() and (filled["artist"]["name"] == "artist text").all()


def test_fill_texts_returns_the_warnings_the_library_logged(tiny_database: RelationalData) -> None:
    class EmptyTextModel(FakeTextModel):
        def generate(self, data: RelationalData, **options) -> RelationalData:
            logging.getLogger("relsynth.synth.text._generate").warning("artist.name: 8 of 8 generated texts are empty")
            return super().generate(data, **options)

    _, warnings = fill_texts(
        blank_texts(tiny_database), tiny_database, {}, ["artist"], EmptyTextModel("artist", "name", [])
    )
    assert warnings == ["artist.name: 8 of 8 generated texts are empty"]


def test_fill_texts_without_models_copies_the_tables(tiny_database: RelationalData) -> None:
    filled, warnings = fill_texts(tiny_database, tiny_database, {}, [])
    assert warnings == []
    for table, df in tiny_database.items():
        pd.testing.assert_frame_equal(filled[table], df)


def test_fill_texts_refuses_text_tables_that_differ_from_the_models(tiny_database: RelationalData) -> None:
    model = FakeTextModel("artist", "name", [])
    with pytest.raises(ValueError, match=r"text_tables is \['album', 'artist'\] in this run, but .* for \['artist'\]"):
        fill_texts(tiny_database, tiny_database, {}, ["artist", "album"], model)


def test_fill_texts_names_a_misspelt_key(tiny_database: RelationalData) -> None:
    with pytest.raises(ValueError, match=r"params:text_generation has unknown key\(s\) \['temperature'\]"):
        fill_texts(tiny_database, tiny_database, {"temperature": 0.5}, ["artist"], FakeTextModel("artist", "name", []))


def test_pipeline_interface() -> None:
    pipe = create_pipeline(text_tables=["artist", "album"])
    assert pipe.inputs() == {
        "synthetic_tabular",
        "database_train",
        "text_model_artist",
        "text_model_album",
        "params:text_generation",
        "params:text_tables",
    }
    assert pipe.all_outputs() == {"synthetic_database", "synthetic_database_sql", "text_generation_warnings"}
    assert {n.name for n in pipe.nodes} == {"text_generation.fill_texts", "text_generation.export_database"}
    assert create_pipeline().inputs() == {
        "synthetic_tabular",
        "database_train",
        "params:text_generation",
        "params:text_tables",
    }

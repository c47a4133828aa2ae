"""text_training: a few steps of tiny text models, the texts they fill, saving them, the interface."""

from __future__ import annotations

from pathlib import Path

import pytest

from relsynth.datasets import TextModelsDataset
from relsynth.pipelines.text_training import create_pipeline
from relsynth.pipelines.text_training.nodes import fill_texts, train_text_models
from relsynth.relational import RelationalData
from relsynth.synth.text import TextModel

TEXT_PARAMS = {
    "text_models": {"tables": None},
    "text_preproc": {"vocab_size": 300, "min_frequency": 2},
    "text_architecture": {"size": {"n_layers": 1, "d_model": 16, "n_heads": 2}, "block_size": 32, "dropout": 0.0},
    "text_training": {"n_epochs": None, "n_steps": 2, "batch_size": 4, "memory": None, "lr": 3e-3, "seed": 0},
    "text_generation": {"batch_size": 0, "max_text_len": 8, "temp": 1.0, "top_p": 1.0, "seed": 0},
}


def train(database: RelationalData, **overrides) -> dict[str, TextModel]:
    groups = {**TEXT_PARAMS, **overrides}
    return train_text_models(
        database,
        groups["text_models"],
        groups["text_preproc"],
        groups["text_architecture"],
        groups["text_training"],
    )


def test_train_every_table_with_text(tiny_database: RelationalData) -> None:
    models = train(tiny_database)
    assert set(models) == {"artist", "album"}  # track has no text column in the tiny schema; genre is a lookup
    assert all(isinstance(m, TextModel) for m in models.values())
    assert models["album"].preproc.text_columns == ["title"]


def test_train_listed_tables_only(tiny_database: RelationalData) -> None:
    assert set(train(tiny_database, text_models={"tables": ["album"]})) == {"album"}


def test_fill_texts_writes_the_text_columns(tiny_database: RelationalData) -> None:
    models = train(tiny_database)
    tables = {name: df.copy() for name, df in tiny_database.items()}
    tables["artist"]["name"] = None
    tables["album"]["title"] = None
    blank = RelationalData(tables, tiny_database.schema)
    filled = fill_texts(blank, models, TEXT_PARAMS["text_generation"])
    assert isinstance(filled, RelationalData) and filled.schema == tiny_database.schema
    assert filled["artist"]["name"].notna().any() and filled["album"]["title"].notna().any()
    assert filled["track"].equals(tiny_database["track"])  # other tables untouched
    assert len(filled["album"]) == len(tiny_database["album"])


def test_text_models_dataset_round_trip(tiny_database: RelationalData, tmp_path: Path) -> None:
    models = train(tiny_database, text_models={"tables": ["artist"]})
    ds = TextModelsDataset(path=str(tmp_path / "text_models"))
    assert not ds.exists()
    ds.save(models)
    assert ds.exists()
    loaded = ds.load()
    assert set(loaded) == {"artist"}
    assert loaded["artist"].config == models["artist"].config


def test_bad_parameters_are_refused(tiny_database: RelationalData) -> None:
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['epochs'\]"):
        train(tiny_database, text_training={"epochs": 1, "batch_size": 4})


def test_pipeline_interface() -> None:
    pipe = create_pipeline()
    assert pipe.inputs() == {
        "database_train",
        "synthetic_tabular",
        *(f"params:{g}" for g in TEXT_PARAMS),
    }
    assert pipe.outputs() == {"synthetic_database"}
    assert "text_models" in pipe.all_outputs()  # saved in data/06_models, consumed by fill_texts
    assert {n.name for n in pipe.nodes} == {"text_training.train_text_models", "text_training.fill_texts"}

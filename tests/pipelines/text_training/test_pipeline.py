"""text_training: the per-table nodes on the tiny database, the pipelines created for a list of
tables (namespaces, interface), a run in memory, and the errors for tables that cannot be modelled."""

from __future__ import annotations

import logging

import pytest
import torch
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from relsynth.pipelines.text_training import create_pipeline, create_table_pipeline
from relsynth.pipelines.text_training.nodes import build_text_model, encode_text_dataset, fit_text_preproc
from relsynth.relational import ForeignKey, RelationalData, Schema, Table
from relsynth.synth import TextDataset, TextModel, TextPreproc

TABLE_NODES = ("fit_text_preproc", "encode_text_dataset", "build_text_model", "train_text_model")
COLLECT = "text_training.collect_text_training_warnings"
SHARED_PARAMS = {
    "params:text_preproc",
    "params:text_architecture",
    "params:text_architecture.block_size",
    "params:text_training",
    "params:text_training.seed",
}


def test_fit_encode_build_train(tiny_database: RelationalData, text_params: dict, train_text_table) -> None:
    preproc = fit_text_preproc(tiny_database, text_params["text_preproc"], table="album")
    assert isinstance(preproc, TextPreproc) and preproc.table == "album" and preproc.text_columns == ["title"]
    dataset = encode_text_dataset(tiny_database, preproc, 32)
    assert isinstance(dataset, TextDataset) and dataset.block_size == 32
    assert dataset.n_samples == tiny_database["album"]["title"].notna().sum()
    model = build_text_model(preproc, text_params["text_architecture"], 0)
    assert (model.config.n_layers, model.config.h, model.config.d, model.config.block_size) == (1, 2, 16, 32)
    trained = train_text_table(tiny_database, "album")
    assert isinstance(trained, TextModel) and trained.preproc.table == "album"


def test_build_is_seeded(tiny_database: RelationalData, text_params: dict) -> None:
    preproc = fit_text_preproc(tiny_database, text_params["text_preproc"], table="artist")
    weights = [
        next(iter(build_text_model(preproc, text_params["text_architecture"], seed).state_dict().values()))
        for seed in (0, 0, 1)
    ]
    assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], weights[2])


@pytest.mark.parametrize(
    "table, message",
    [
        ("customer", r"names table 'customer', which is not in the schema; the tables with text columns are "
         r"\['artist', 'album'\]"),
        ("genre", r"names table 'genre', which is a lookup table or has no text column"),
        ("track", r"names table 'track', which is a lookup table or has no text column"),
    ],
)  # fmt: skip
def test_fit_names_a_table_that_cannot_have_a_text_model(
    tiny_database: RelationalData, text_params: dict, table: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as error:
        fit_text_preproc(tiny_database, text_params["text_preproc"], table=table)
    assert "parameters_text_training.yml" in str(error.value)
    # text_tables: [] set in conf/<env> for a new database was met by "edit conf/base (or conf/local)"
    assert "`kedro run --env <env>` and `--params` cannot change it" in str(error.value)
    assert "KEDRO_ENV=<env>" in str(error.value)


def test_bad_parameters_are_refused(tiny_database: RelationalData, text_params: dict, train_text_table) -> None:
    with pytest.raises(ValueError, match=r"params:text_preproc has unknown key\(s\) \['vocab'\]"):
        fit_text_preproc(tiny_database, {"vocab": 300}, table="artist")
    with pytest.raises(ValueError, match=r"params:text_architecture.size has unknown key\(s\) \['d_model'\]"):
        train_text_table(
            tiny_database, "artist", {**text_params, "text_architecture": {"size": {"d_model": 8}, "block_size": 32}}
        )
    with pytest.raises(ValueError, match=r"params:text_training has unknown key\(s\) \['epochs'\]"):
        train_text_table(tiny_database, "artist", {**text_params, "text_training": {"epochs": 1, "batch_size": 4}})


def test_one_namespaced_pipeline_per_table() -> None:
    """Each table's tokenizer, dataset and model in its namespace; their models train in one node,
    side by side (`train_text_models`)."""
    pipe = create_pipeline(text_tables=["artist", "album"])
    assert {n.name for n in pipe.nodes} == {
        f"text_training.{t}.{n}" for t in ("artist", "album") for n in TABLE_NODES[:-1]
    } | {"text_training.train_text_models", COLLECT}
    assert {n.namespace for n in pipe.nodes} == {"text_training.artist", "text_training.album", "text_training"}
    assert pipe.inputs() == {"database_train", *SHARED_PARAMS}  # parameters shared, not namespaced
    assert pipe.outputs() == {"text_model_artist", "text_model_album", "text_training_warnings"}
    assert {"text_training.album.text_preproc", "text_training.album.text_dataset"} <= pipe.all_outputs()
    assert create_table_pipeline("album").outputs() == {
        "text_model_album",
        "text_training.album.fit_warnings",
        "text_training.album.train_warnings",
    }
    assert {n.name for n in create_table_pipeline("album").nodes} == {f"text_training.album.{n}" for n in TABLE_NODES}
    assert {n.name for n in create_pipeline(text_tables=["album"]).nodes} == {
        f"text_training.album.{n}" for n in TABLE_NODES
    } | {COLLECT}
    assert create_pipeline(text_tables=["album"]).outputs() == {"text_model_album", "text_training_warnings"}


def test_no_tables_no_model_and_no_training_warnings() -> None:
    """Without tables only the (empty) list of training warnings is written: the report reads it."""
    for pipe in (create_pipeline(), create_pipeline(text_tables=[])):
        assert {n.name for n in pipe.nodes} == {COLLECT} and pipe.outputs() == {"text_training_warnings"}
        catalog = DataCatalog({"text_training_warnings": KeptDataset()})
        SequentialRunner().run(pipe, catalog)
        assert catalog.load("text_training_warnings") == []


def test_creation_checks_the_list_of_tables() -> None:
    with pytest.raises(ValueError, match=r"params:text_tables must be a list of table names"):
        create_pipeline(text_tables="artist")
    with pytest.raises(ValueError, match=r"tables named twice \['album'\]"):
        create_pipeline(text_tables=["album", "album"])


class KeptDataset(MemoryDataset):
    """A MemoryDataset that the runner cannot release, so the test can look at it afterwards."""

    def _release(self) -> None:
        pass


def test_table_pipeline_runs_in_memory(tiny_database: RelationalData, text_params: dict) -> None:
    catalog = DataCatalog(
        {
            "database_train": MemoryDataset(tiny_database, copy_mode="assign"),
            **{f"params:{group}": MemoryDataset(value) for group, value in text_params.items()},
            "params:text_architecture.block_size": MemoryDataset(text_params["text_architecture"]["block_size"]),
            "params:text_training.seed": MemoryDataset(text_params["text_training"]["seed"]),
            "text_model_artist": KeptDataset(copy_mode="assign"),
        }
    )
    SequentialRunner().run(create_pipeline(text_tables=["artist"]), catalog)
    model = catalog.load("text_model_artist")
    assert isinstance(model, TextModel) and model.preproc.table == "artist"


def test_two_tables_train_side_by_side_in_memory(tiny_database: RelationalData, text_params: dict) -> None:
    """The models of several tables come out of one node as each table's own pipeline trains them at one thread."""
    catalog = DataCatalog(
        {
            "database_train": MemoryDataset(tiny_database, copy_mode="assign"),
            **{f"params:{group}": MemoryDataset(value) for group, value in text_params.items()},
            "params:text_architecture.block_size": MemoryDataset(text_params["text_architecture"]["block_size"]),
            "params:text_training.seed": MemoryDataset(text_params["text_training"]["seed"]),
            **{f"text_model_{t}": KeptDataset(copy_mode="assign") for t in ("artist", "album")},
        }
    )
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)  # two workers, one thread each
        SequentialRunner().run(create_pipeline(text_tables=["artist", "album"]), catalog)
        together = {t: catalog.load(f"text_model_{t}") for t in ("artist", "album")}
        torch.set_num_threads(1)
        for table in ("artist", "album"):
            SequentialRunner().run(create_pipeline(text_tables=[table]), catalog)
            alone = catalog.load(f"text_model_{table}").state_dict()
            assert together[table].trained and together[table].preproc.table == table
            assert all(torch.equal(alone[k], together[table].state_dict()[k]) for k in alone)
    finally:
        torch.set_num_threads(threads)


def test_a_table_named_with_its_schema_gets_a_text_model(tiny_database: RelationalData, text_params: dict) -> None:
    """Tables read from several schemas are named `<schema>.<table>` (from_sql): text_tables refused
    them ('hold a dot ... rename it'), a name the user cannot change. Their namespace and model
    dataset write the dot as `__` (`text_training.music__album`, `text_model_music__album`)."""
    named = {t: f"music.{t}" for t in tiny_database.schema.tables}
    schema = Schema(
        {
            named[t]: Table(
                {c: ForeignKey(named[k.parent]) if isinstance(k, ForeignKey) else k for c, k in tab.columns.items()}
            )
            for t, tab in tiny_database.schema.tables.items()
        },
        lookups=[named[t] for t in tiny_database.schema.lookups],
    )
    dotted = RelationalData({named[t]: df for t, df in tiny_database.data.items()}, schema)
    pipe = create_pipeline(text_tables=["music.album"])
    assert {n.namespace for n in pipe.nodes} == {"text_training.music__album", "text_training"}
    assert pipe.outputs() == {"text_model_music__album", "text_training_warnings"}
    catalog = DataCatalog(
        {
            "database_train": MemoryDataset(dotted, copy_mode="assign"),
            **{f"params:{group}": MemoryDataset(value) for group, value in text_params.items()},
            "params:text_architecture.block_size": MemoryDataset(text_params["text_architecture"]["block_size"]),
            "params:text_training.seed": MemoryDataset(text_params["text_training"]["seed"]),
            "text_model_music__album": KeptDataset(copy_mode="assign"),
        }
    )
    SequentialRunner().run(pipe, catalog)
    assert catalog.load("text_model_music__album").preproc.table == "music.album"
    with pytest.raises(
        ValueError, match=r"\['music.album', 'music__album'\] would share the text model text_model_music__album"
    ):
        create_pipeline(text_tables=["music.album", "music__album"])


def _catalog(database: RelationalData, params: dict, tables: tuple[str, ...]) -> DataCatalog:
    return DataCatalog(
        {
            "database_train": MemoryDataset(database, copy_mode="assign"),
            **{f"params:{group}": MemoryDataset(value) for group, value in params.items()},
            "params:text_architecture.block_size": MemoryDataset(params["text_architecture"]["block_size"]),
            "params:text_training.seed": MemoryDataset(params["text_training"]["seed"]),
            **{f"text_model_{t}": KeptDataset(copy_mode="assign") for t in tables},
            "text_training_warnings": KeptDataset(),
        }
    )


def test_what_fitting_and_training_warned_reaches_text_training_warnings_once(
    tiny_database: RelationalData, text_params: dict, monkeypatch
) -> None:
    """A text model's fit and training warnings (a column left without word tokens, a worker's warning) were
    only printed: the report never showed them. They come out as `text_training_warnings`, each once, from one
    table's nodes in this process and from several tables' models trained in worker processes."""
    from relsynth.synth.text import trainer

    train = trainer.TextTrainer.train

    def warned_train(self, *args, **kwargs):  # what any worker warns while training, the same for each table
        logging.getLogger("relsynth.synth.text.trainer").warning("a training warning")
        return train(self, *args, **kwargs)

    monkeypatch.setattr(trainer.TextTrainer, "train", warned_train)
    params = {**text_params, "text_preproc": {**text_params["text_preproc"], "word_k": 10_000}}
    threads = torch.get_num_threads()
    try:
        for tables in (("artist",), ("artist", "album")):
            torch.set_num_threads(len(tables))  # two tables: two workers
            catalog = _catalog(tiny_database, params, tables)
            SequentialRunner().run(create_pipeline(text_tables=list(tables)), catalog)
            warned = catalog.load("text_training_warnings")
            no_words = [w for w in warned if "has no word tokens" in w]
            assert [w.split("'")[1] for w in no_words] == list(tables)  # each table's fit warning
            assert warned.count("a training warning") == 1  # both workers warned it: once
            assert len(warned) == len(set(warned)) == len(tables) + 1
    finally:
        torch.set_num_threads(threads)

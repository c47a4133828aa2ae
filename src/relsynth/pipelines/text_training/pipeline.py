"""The text_training pipeline: one modular pipeline per table of `text_tables`, namespaced
`text_training.<table>` (its dots written `__`): `database_train` -> `text_training.<table>.text_preproc` ->
`.text_dataset` -> `.untrained_text_model` -> `text_model_<table>`. With several tables, one node
(`text_training.train_text_models`) trains their models side by side, one worker process per torch
thread, instead of each table's `train_text_model` node one after another. What fitting and training
warned (`.fit_warnings`, `.train_warnings`) is gathered, each warning once, into `text_training_warnings`
for the report (`collect_text_training_warnings`; an empty list without tables).

The tables are known when the pipelines are created: `pipeline_registry` reads `text_tables`
from the configuration and passes it here (Kedro's dynamic pipelines).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial, update_wrapper

from kedro.pipeline import Pipeline, node

from relsynth.pipelines._params import table_key, text_model_dataset
from relsynth.pipelines._params import text_tables as check_tables
from relsynth.pipelines._warnings import each_once, returning_warnings
from relsynth.pipelines.text_training.nodes import (
    build_text_model,
    encode_text_dataset,
    fit_text_preproc,
    train_text_model,
    train_text_models,
)

NAMESPACE = "text_training"
PARAMETERS = {
    "params:text_preproc",
    "params:text_architecture",
    "params:text_architecture.block_size",
    "params:text_training",
    "params:text_training.seed",
}


def create_pipeline(text_tables: Sequence[str] = (), **kwargs) -> Pipeline:
    """One text model per table of `text_tables`; empty without tables. Several tables' models
    train in one node, side by side (a small model's steps leave a second core idle)."""
    tables = check_tables(text_tables)
    if len(tables) < 2:
        trained = sum((create_table_pipeline(table) for table in tables), Pipeline([]))
        train_warnings = [f"{_space(table)}.train_warnings" for table in tables]
    else:
        prepared = sum((create_table_pipeline(table, train=False) for table in tables), Pipeline([]))
        trained = prepared + Pipeline([_train_together(tables)], tags=NAMESPACE)
        train_warnings = [f"{NAMESPACE}.train_warnings"]
    fit_warnings = [f"{_space(table)}.fit_warnings" for table in tables]
    return trained + Pipeline([_collect_warnings(fit_warnings + train_warnings)], tags=NAMESPACE)


def _space(table: str) -> str:
    return f"{NAMESPACE}.{table_key(table)}"


def _collect_warnings(warning_lists: list[str]):
    """The text training's warnings, each once, as `text_training_warnings` (the report lists them)."""
    return node(
        each_once,
        inputs=warning_lists or None,
        outputs="text_training_warnings",
        name="collect_text_training_warnings",
        namespace=NAMESPACE,
    )


def create_table_pipeline(table: str, train: bool = True) -> Pipeline:
    """The text model of `table`: fit the tokenizer, encode the texts, build and train the model
    (`train=False`: up to the untrained model and the dataset, `create_pipeline` trains them)."""
    nodes = _prepare_nodes(table)
    if train:
        nodes.append(
            node(
                returning_warnings(train_text_model),
                inputs=["untrained_text_model", "text_dataset", "params:text_training"],
                outputs=["text_model", "train_warnings"],
                name="train_text_model",
            )
        )
    return Pipeline(
        nodes,
        namespace=_space(table),
        inputs="database_train",
        outputs={"text_model": text_model_dataset(table)} if train else None,
        parameters=PARAMETERS if train else PARAMETERS - {"params:text_training"},
        tags=NAMESPACE,
    )


def _train_together(tables: Sequence[str]):
    """One node training every table's model: its untrained model and dataset in, `text_model_<table>` out."""
    spaces = [_space(table) for table in tables]
    return node(
        returning_warnings(train_text_models),
        inputs=["params:text_training"]
        + [f"{space}.{name}" for space in spaces for name in ("untrained_text_model", "text_dataset")],
        outputs=[text_model_dataset(table) for table in tables] + [f"{NAMESPACE}.train_warnings"],
        name="train_text_models",
        namespace=NAMESPACE,
    )


def _prepare_nodes(table: str) -> list:
    """Fit the tokenizer, encode the texts and build the model of `table` (names inside its namespace)."""
    fit = update_wrapper(partial(fit_text_preproc, table=table), fit_text_preproc)  # keeps name and docs for viz
    return [
        node(
            returning_warnings(fit),
            inputs=["database_train", "params:text_preproc"],
            outputs=["text_preproc", "fit_warnings"],
            name="fit_text_preproc",
        ),
        node(
            encode_text_dataset,
            inputs=["database_train", "text_preproc", "params:text_architecture.block_size"],
            outputs="text_dataset",
            name="encode_text_dataset",
        ),
        node(
            build_text_model,
            inputs=["text_preproc", "params:text_architecture", "params:text_training.seed"],
            outputs="untrained_text_model",
            name="build_text_model",
        ),
    ]

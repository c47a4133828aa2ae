"""The text_training pipeline: one modular pipeline per table of `text_tables`, namespaced
`text_training.<table>` (its dots written `__`): `database_train` -> `text_training.<table>.text_preproc` ->
`.text_dataset` -> `.untrained_text_model` -> `text_model_<table>`.

The tables are known when the pipelines are created: `pipeline_registry` reads `text_tables`
from the configuration and passes it here (Kedro's dynamic pipelines).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial, update_wrapper

from kedro.pipeline import Pipeline, node

from relsynth.pipelines._params import table_key, text_model_dataset
from relsynth.pipelines._params import text_tables as check_tables
from relsynth.pipelines.text_training.nodes import (
    build_text_model,
    encode_text_dataset,
    fit_text_preproc,
    train_text_model,
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
    """One text model per table of `text_tables`; empty without tables."""
    return sum((create_table_pipeline(table) for table in check_tables(text_tables)), Pipeline([]))


def create_table_pipeline(table: str) -> Pipeline:
    """The text model of `table`: fit the tokenizer, encode the texts, build and train the model."""
    fit = update_wrapper(partial(fit_text_preproc, table=table), fit_text_preproc)  # keeps name and docs for viz
    return Pipeline(
        [
            node(
                fit,
                inputs=["database_train", "params:text_preproc"],
                outputs="text_preproc",
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
            node(
                train_text_model,
                inputs=["untrained_text_model", "text_dataset", "params:text_training"],
                outputs="text_model",
                name="train_text_model",
            ),
        ],
        namespace=f"{NAMESPACE}.{table_key(table)}",
        inputs="database_train",
        outputs={"text_model": text_model_dataset(table)},
        parameters=PARAMETERS,
        tags=NAMESPACE,
    )

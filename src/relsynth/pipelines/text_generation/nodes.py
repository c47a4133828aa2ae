"""Nodes of the text_generation pipeline: fill the synthetic database's text columns."""

from __future__ import annotations

from typing import Any

from relsynth.pipelines._params import check_params
from relsynth.pipelines._warnings import collect_warnings
from relsynth.relational import RelationalData
from relsynth.synth import TextModel
from relsynth.synth import fill_texts as fill_database_texts


def fill_texts(
    synthetic_tabular: RelationalData,
    database_train: RelationalData,
    text_generation: dict[str, Any],
    text_tables: list[str],
    *text_models: TextModel,
) -> tuple[RelationalData, list[str]]:
    """`synthetic_tabular` with the text columns of each model's table written, parents first (an
    album's title is sampled after, and conditioned on, its artist's generated name).

    `text_generation` is the parameter group of `TextModel.generate`: batch_size (0: automatic),
    max_text_len (0: the longest seen at fit), temp, top_p, seed. `text_tables` is this run's
    parameter of that name, checked against the models the pipeline was created with. Tables
    without a model keep their text columns as they are. A text equal to a training value
    (`database_train`) is sampled again, so whole training texts are not replayed. Also returns the
    warnings the library logged while writing them (`text_generation_warnings`), for the report.
    """
    models = {model.preproc.table: model for model in text_models}
    if sorted(models) != sorted(text_tables):
        raise ValueError(
            f"params:text_tables is {sorted(text_tables)} in this run, but the pipelines were created with text models "
            f"for {sorted(models)}: text_tables is read when the pipelines are created, from conf/base and conf/local "
            "(or the environment named by KEDRO_ENV), so `kedro run --env <env>` and `--params` cannot change it; "
            "set it there, or run with KEDRO_ENV=<env>"
        )
    options = {}
    for model in text_models:  # a misspelt key fails here, naming the group, before any text is written
        options = check_params(model.generate, "text_generation", text_generation, "data", "avoid")
    with collect_warnings() as warnings:
        synthetic = fill_database_texts(synthetic_tabular, text_models, avoid=database_train, **options)
    return synthetic, warnings


def export_database(synthetic_database: RelationalData) -> RelationalData:
    """The synthetic database again, for the catalog to write as a database too
    (`synthetic_database_sql`: an SQLite file by default; any database through SQLDatabaseDataset)."""
    return synthetic_database

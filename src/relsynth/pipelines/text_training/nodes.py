"""Nodes of the text_training pipeline: one `TextModel` per table with text columns, and the
filling of the synthetic database's text columns with them."""

from __future__ import annotations

import logging
from typing import Any

import torch

from relsynth.hooks import MlflowMetricsHook
from relsynth.pipelines._params import call
from relsynth.relational import RelationalData
from relsynth.synth.text import TextDataset, TextModel, TextModelSize, TextPreproc, TextTrainer

log = logging.getLogger(__name__)

METRICS_PREFIX = "text_training"  # MLflow metric names: text_training.<table>.train_loss, ...


def text_tables(database: RelationalData, tables: list[str] | None) -> list[str]:
    """The tables to model: `tables`, or every non-lookup table with a text column when None."""
    schema = database.schema
    if tables is None:
        return [t for t in schema.tables if t not in schema.lookups and schema.tables[t].text_columns]
    return list(tables)


def train_text_models(
    database_train: RelationalData,
    text_models: dict[str, Any],
    text_preproc: dict[str, Any],
    text_architecture: dict[str, Any],
    text_training: dict[str, Any],
) -> dict[str, TextModel]:
    """Fit a `TextPreproc`, build and train a `TextModel` for each table with text columns.

    Parameter groups: `text_models` (`tables`: a list, null: every table with text columns),
    `text_preproc` (`TextPreproc.from_schema_table`: vocab_size, min_frequency, ...),
    `text_architecture` (`TextModel.build`: size, block_size, dropout; the dataset's windows
    have the same block size), `text_training` (`TextTrainer.train`: n_epochs or n_steps,
    batch_size or memory, lr, seed). Returns `{table: trained model}`.
    """
    arch = dict(text_architecture or {})
    if isinstance(arch.get("size"), dict):  # {n_layers, d_model, n_heads, d_ff} from YAML
        arch["size"] = call(TextModelSize, "text_architecture.size", arch["size"])
    training = dict(text_training or {})
    seed = int(training.get("seed", 0))
    block_size = int(arch.get("block_size", 256))
    models = {}
    for table in text_tables(database_train, (text_models or {}).get("tables")):
        preproc = call(
            TextPreproc.from_schema_table, "text_preproc", text_preproc, schema=database_train.schema, table=table
        ).fit(database_train)
        dataset = TextDataset.from_data(database_train, preproc, block_size=block_size)
        with torch.random.fork_rng():  # the seed fixes the initial weights too
            torch.manual_seed(seed)
            model = call(TextModel.build, "text_architecture", arch, preproc=preproc)
        result = call(
            TextTrainer(model).train,
            "text_training",
            training,
            dataset=dataset,
            hooks=[MlflowMetricsHook(prefix=f"{METRICS_PREFIX}.{table}")],
        )
        log.info(
            "text model of %s (%s): %d parameters, %d texts, %d steps in %.0f s, last train loss %s",
            table,
            ", ".join(preproc.text_columns),
            model.n_params(),
            dataset.n_samples,
            result.n_steps,
            result.seconds,
            result.history[-1].get("train_loss") if result.history else None,
        )
        models[table] = model
    return models


def fill_texts(
    synthetic_tabular: RelationalData, text_models: dict[str, TextModel], text_generation: dict[str, Any]
) -> RelationalData:
    """Write the text columns of `synthetic_tabular` with each table's text model.

    `text_generation` is the parameter group of `TextModel.generate`: batch_size (0:
    automatic), max_text_len (0: the longest seen at fit), temp, top_p, seed. Tables without a
    model keep their text columns as they are.
    """
    data = synthetic_tabular
    for table, model in text_models.items():
        model.eval()
        data = call(model.generate, "text_generation", text_generation, data=data)
        log.info("filled the text columns %s of %s (%d rows)", model.preproc.text_columns, table, len(data[table]))
    return data

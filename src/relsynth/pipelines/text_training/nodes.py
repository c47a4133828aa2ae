"""Nodes of the text_training pipeline: for one table, fit a `TextPreproc`, encode the table's texts,
build a `TextModel` and train it. The pipeline repeats them under the namespace
`text_training.<table>` for each table of the `text_tables` parameter."""

from __future__ import annotations

import logging
from typing import Any

import torch

from relsynth.hooks import MlflowMetricsHook
from relsynth.pipelines._params import call, check_params, with_model_size
from relsynth.relational import RelationalData, Schema
from relsynth.synth import TextDataset, TextModel, TextPreproc, TextTrainer
from relsynth.synth.core.training import TrainResult
from relsynth.synth.text.trainer import train_text_models as train_side_by_side

log = logging.getLogger(__name__)

METRICS_PREFIX = "text_training"  # MLflow metric names: text_training.<table>.train_loss, ...


def fit_text_preproc(database_train: RelationalData, text_preproc: dict[str, Any], *, table: str) -> TextPreproc:
    """The byte-level BPE tokenizer and context serialiser of `table`'s text columns, fitted on
    `database_train`. `text_preproc` is the parameter group of `TextPreproc.from_schema_table`:
    vocab_size, min_frequency, digits, max_value_chars. The pipeline binds `table`."""
    check_text_table(database_train.schema, table)
    preproc = call(
        TextPreproc.from_schema_table, "text_preproc", text_preproc, schema=database_train.schema, table=table
    ).fit(database_train)
    log.info("text preproc of %s (%s): %d tokens", table, ", ".join(preproc.text_columns), preproc.vocab_size)
    return preproc


def encode_text_dataset(database_train: RelationalData, preproc: TextPreproc, block_size: int) -> TextDataset:
    """Every non-null text of the preproc's table with its row's context, as training windows of
    `block_size` tokens (`text_architecture.block_size`, the model's context length)."""
    dataset = TextDataset.from_data(database_train, preproc, block_size=int(block_size))
    log.info("text dataset of %s: %d texts, longest %d tokens", preproc.table, dataset.n_samples, dataset.max_text_len)
    return dataset


def build_text_model(preproc: TextPreproc, text_architecture: dict[str, Any], seed: int) -> TextModel:
    """A fresh `TextModel` for `preproc`, its initial weights drawn with `seed` (`text_training.seed`).

    `text_architecture` is the parameter group of `TextModel.build`: size (a name or a mapping
    {n_layers, h, d, d_ff, kv_heads}), block_size, dropout.
    """
    architecture = with_model_size(text_architecture, "text_architecture")
    with torch.random.fork_rng():  # the seed fixes the initial weights; the global RNG is left alone
        torch.manual_seed(int(seed))
        model = call(TextModel.build, "text_architecture", architecture, preproc=preproc)
    log.info("text model of %s: %d parameters", preproc.table, model.n_params())
    return model


def train_text_model(model: TextModel, dataset: TextDataset, text_training: dict[str, Any]) -> TextModel:
    """`model` trained on `dataset`. `text_training` is the parameter group of `TextTrainer.train`:
    n_epochs or n_steps, batch_size or memory, lr, seed. Per-epoch losses go to MLflow as
    `text_training.<table>.train_loss`, `.lr`."""
    table = model.preproc.table
    result = call(
        TextTrainer(model).train,
        "text_training",
        text_training,
        dataset=dataset,
        hooks=[MlflowMetricsHook(prefix=f"{METRICS_PREFIX}.{table}")],
    )
    _log_trained(table, result)
    return model


def train_text_models(text_training: dict[str, Any], *models_and_datasets: TextModel | TextDataset) -> list[TextModel]:
    """Each table's model trained on its dataset (`models_and_datasets`: a table's untrained model,
    then its dataset, for each table in turn), the tables side by side in worker processes, one per
    torch thread of the run and at most one per table, the threads shared among them
    (`relsynth.synth.text.train_text_models`); each model as `train_text_model` trains it at its
    worker's threads. A text model's small steps gain little from a second thread; another table's
    model on the second core runs beside it (Chinook: track on one worker, artist then album on the
    other). Each run's losses go to MLflow as `train_text_model` sends them, once every run ended."""
    models, datasets = models_and_datasets[::2], models_and_datasets[1::2]
    options = check_params(TextTrainer(models[0]).train, "text_training", text_training, "dataset", "hooks")
    results = train_side_by_side(
        [(model, dataset, dict(options)) for model, dataset in zip(models, datasets, strict=True)]
    )
    for model, result in zip(models, results, strict=True):
        hook = MlflowMetricsHook(prefix=f"{METRICS_PREFIX}.{model.preproc.table}")
        for record in result.history:
            hook.log_record(record)
        _log_trained(model.preproc.table, result)
    return list(models)


def _log_trained(table: str, result: TrainResult) -> None:
    log.info(
        "text model of %s: %d steps in %.0f s, last train loss %s",
        table,
        result.n_steps,
        result.seconds,
        result.history[-1].get("train_loss") if result.history else None,
    )


def check_text_table(schema: Schema, table: str) -> None:
    """A `ValueError` naming the `text_tables` parameter when `table` cannot have a text model."""
    candidates = [t for t in schema.synth_tables if schema.tables[t].text_columns]
    if table not in candidates:
        what = "is not in the schema" if table not in schema.tables else "is a lookup table or has no text column"
        raise ValueError(
            f"params:text_tables names table {table!r}, which {what}; the tables with text columns are "
            f"{candidates}: edit text_tables in conf/base/parameters_text_training.yml (or conf/local); it is read "
            "when the pipelines are created, from conf/base and conf/local (or the environment named by KEDRO_ENV), "
            "so `kedro run --env <env>` and `--params` cannot change it: set it there, or run with KEDRO_ENV=<env>"
        )

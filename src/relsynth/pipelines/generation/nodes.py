"""Nodes of the generation pipeline: sample a synthetic database from the tabular model."""

from __future__ import annotations

import logging
from typing import Any

from relsynth.pipelines._params import call
from relsynth.pipelines._warnings import collect_warnings
from relsynth.relational import RelationalData
from relsynth.synth import TabularModel

log = logging.getLogger(__name__)


def generate_synthetic_database(
    model: TabularModel, database_train: RelationalData, tabular_generation: dict[str, Any]
) -> tuple[RelationalData, list[str]]:
    """Sample root entities with all their descendants; keys are fresh, foreign keys consistent.

    `tabular_generation` is the parameter group of the same name: `n_samples` (root entities;
    null: as many as `database_train` has), `temp`, `seed`, `batch_size` and `max_block_size`
    (0: automatic), `workers` (processes). Text columns come out empty: the text model fills them.
    Also returns the warnings the library logged while generating (`generation_warnings`), for the report.
    """
    params = dict(tabular_generation or {})
    n_samples = params.pop("n_samples", None)
    if n_samples is None:
        n_samples = sum(len(database_train[root]) for root in database_train.schema.roots)
    with collect_warnings() as warnings:
        synthetic = call(model.generate, "tabular_generation", params, n_samples=n_samples, ctx=None)
    log.info("synthetic: %s (train: %s)", synthetic, database_train)
    return synthetic, warnings

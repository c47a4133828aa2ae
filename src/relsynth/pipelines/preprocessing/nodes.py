"""Nodes of the preprocessing pipeline: fit the tabular preprocessor (the token vocabulary)."""

from __future__ import annotations

import logging
from typing import Any

from relsynth.pipelines._params import call
from relsynth.relational import RelationalData
from relsynth.synth import TabularPreproc

log = logging.getLogger(__name__)


def fit_tabular_preproc(database: RelationalData, tabular_encoding: dict[str, Any]) -> TabularPreproc:
    """A `TabularPreproc` for the database's schema, fitted on `database` (the training part only,
    so nothing of the validation or test entities leaks into the vocabulary).

    `tabular_encoding` is the parameter group of the same name: `TabularPreproc`'s options
    (`n_bins`, `min_count`, `max_exact_count`, `ctx_cols`, `preprocessors`).
    """
    preproc = call(TabularPreproc, "tabular_encoding", tabular_encoding, schema=database.schema).fit(database)
    log.info(
        "tabular preproc: %d slots, vocabulary %d tokens, longest entity %d tokens",
        len(preproc.slots),
        preproc.vocab_size,
        preproc.stats["max_entity_len"],
    )
    return preproc

"""Nodes of the preprocessing pipeline: fit the tabular preprocessor (the token vocabulary)."""

from __future__ import annotations

import logging
from typing import Any

from relsynth.pipelines._params import call
from relsynth.pipelines.tabular_training.nodes import dp_settings
from relsynth.relational import RelationalData
from relsynth.synth import TabularPreproc

log = logging.getLogger(__name__)


def fit_tabular_preproc(
    database: RelationalData, tabular_encoding: dict[str, Any], tabular_training: dict[str, Any] | None = None
) -> TabularPreproc:
    """A `TabularPreproc` for the database's schema, fitted on `database` (the training part only,
    so nothing of the validation or test entities leaks into the vocabulary).

    `tabular_encoding` is the parameter group of the same name: `TabularPreproc`'s options
    (`n_bins`, `min_count`, `max_exact_count`, `ctx_cols`, `preprocessors`). From the
    `tabular_training` group only `dp` is read: when set, the fit uses DP mechanisms and its
    share of that budget (an override of the group without `dp` means no DP).
    """
    budget, _ = dp_settings((tabular_training or {}).get("dp"))
    preproc = call(TabularPreproc, "tabular_encoding", tabular_encoding, schema=database.schema)
    preproc = preproc.fit(database, dp=budget) if budget is not None else preproc.fit(database)
    log.info(
        "tabular preproc: %d slots, vocabulary %d tokens, longest entity %d tokens",
        len(preproc.slots),
        preproc.vocab_size,
        preproc.stats["max_entity_len"],
    )
    return preproc

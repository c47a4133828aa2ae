"""Nodes of the preprocessing pipeline: fit the tabular preprocessor (the token vocabulary)."""

from __future__ import annotations

import logging
from typing import Any

from relsynth.pipelines._params import call, dp_public, dp_settings
from relsynth.relational import RelationalData
from relsynth.synth import TabularPreproc

log = logging.getLogger(__name__)


def fit_tabular_preproc(
    database: RelationalData, tabular_encoding: dict[str, Any], dp: dict[str, Any] | None = None
) -> TabularPreproc:
    """A `TabularPreproc` for the database's schema, fitted on `database` (the training part only,
    so nothing of the validation or test entities leaks into the vocabulary).

    `tabular_encoding` is the parameter group of the same name: `TabularPreproc`'s options
    (`n_bins`, `min_count`, `max_exact_count`, `ctx_cols`, `preprocessors`). `dp` is the `dp`
    group, which tabular_training reads too: when set, the fit uses DP mechanisms and spends its
    share (`preproc_share`) of that budget; null: no DP. Its `public` ("table.column": a list of
    categories or values, or {lo, hi}) is what the user declares known without the data, used
    at no cost (`TabularPreproc.fit(public=...)`).
    """
    budget, _ = dp_settings(dp)
    preproc = call(TabularPreproc, "tabular_encoding", tabular_encoding, schema=database.schema).fit(
        database, dp=budget, public=dp_public(dp)
    )
    log.info(
        "tabular preproc: %d slots, vocabulary %d tokens, longest entity %d tokens%s",
        len(preproc.slots),
        preproc.vocab_size,
        preproc.stats["max_entity_len"],
        f", fitted under DP (epsilon {budget.epsilon})" if budget is not None else "",
    )
    return preproc

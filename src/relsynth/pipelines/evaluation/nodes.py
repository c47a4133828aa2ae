"""Nodes of the evaluation pipeline: the quality, text and privacy report of the synthetic database."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from relsynth.eval import report
from relsynth.pipelines._params import call
from relsynth.relational import RelationalData

log = logging.getLogger(__name__)


def evaluate_synthetic_database(
    database_train: RelationalData,
    database_test: RelationalData,
    synthetic_database: RelationalData,
    tabular_training_summary: dict[str, Any],
    evaluation: dict[str, Any],
    generation_warnings: Sequence[str] = (),
    text_generation_warnings: Sequence[str] = (),
    text_training_warnings: Sequence[str] = (),
) -> tuple[dict[str, Any], str]:
    """Score `synthetic_database` against `database_test` (ceiling: test against train).

    `tabular_training_summary` (the trainer's result) tells whether the model was trained under
    DP: its epsilon, delta and accountant go on the page, or the page says it is not DP.

    `generation_warnings` and `text_generation_warnings` (what the generation nodes logged as
    warnings) go in the report's `warnings` and its section "Generation warnings"; `text_training_warnings`
    (what fitting and training the text models warned) in `warnings` and the section "Training warnings".

    `evaluation` is the parameter group of `relsynth.eval.report`: max_pairs, max_rows,
    max_rows_privacy, n_resamples, seed. Returns every result (`overall`: the headline numbers quality,
    column_shapes, ..., text, dcr_share_train_closer, exact_copy_rate, each beside its ceiling;
    then the full quality, text and privacy results) and the HTML page; the catalog writes them
    (report.json, report.html), the node writes nothing.
    """
    scores = call(
        report,
        "evaluation",
        evaluation,
        data_train=database_train,
        data_test=database_test,
        data_synth=synthetic_database,
        path=None,
        dp=dp_guarantee(tabular_training_summary),
        generation_warnings=[*generation_warnings, *text_generation_warnings],
        training_warnings=list(text_training_warnings),
        return_html=True,
    )
    page = scores.pop("html")
    log.info("evaluation: %s", ", ".join(f"{k} {v}" for k, v in scores["overall"].items()))
    for warning in scores["warnings"]:
        log.warning("evaluation: %s", warning)
    return scores, page


def dp_guarantee(summary: dict[str, Any]) -> dict[str, Any] | None:
    """{epsilon, delta, accountant} from the training summary; None when it was not trained under DP."""
    if summary.get("epsilon") is None:
        return None
    return {"epsilon": summary["epsilon"], "delta": summary["delta"], "accountant": summary.get("accountant")}


def evaluation_metrics(scores: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The headline numbers (`scores["overall"]`) as metrics for kedro-mlflow's
    `MlflowMetricsHistoryDataset` (`{name: {"value": v, "step": 0}}`); those that could not be
    computed (None) are left out."""
    return {name: {"value": float(v), "step": 0} for name, v in scores["overall"].items() if v is not None}

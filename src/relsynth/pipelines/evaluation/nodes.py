"""Nodes of the evaluation pipeline: the quality, text and privacy report of the synthetic database."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from relsynth.eval import report
from relsynth.pipelines._params import call
from relsynth.relational import RelationalData

log = logging.getLogger(__name__)


def evaluate_synthetic_database(
    database_train: RelationalData,
    database_test: RelationalData,
    synthetic_database: RelationalData,
    evaluation: dict[str, Any],
) -> tuple[dict[str, Any], str]:
    """Score `synthetic_database` against `database_test` (ceiling: test against train).

    `evaluation` is the parameter group of `relsynth.eval.report`: `path` (the HTML page; the
    JSON with every result goes beside it, `.json`), max_pairs, max_rows, max_rows_privacy,
    seed. Returns the headline numbers (`overall`: quality, column_shapes, ..., text,
    dcr_share_train_closer, exact_copy_rate, each beside its ceiling) and the HTML page's text.
    """
    params = dict(evaluation or {})
    path = Path(params.pop("path", "data/08_reporting/report.html"))
    result = call(
        report,
        "evaluation",
        params,
        data_train=database_train,
        data_test=database_test,
        data_synth=synthetic_database,
        path=path,
    )
    overall = result["overall"]
    log.info("evaluation (%s): %s", path, ", ".join(f"{k} {v}" for k, v in overall.items()))
    for warning in result["warnings"]:
        log.warning("evaluation: %s", warning)
    return overall, path.read_text(encoding="utf-8")


def evaluation_metrics(overall: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The headline numbers as metrics for kedro-mlflow's `MlflowMetricsHistoryDataset`
    (`{name: {"value": v, "step": 0}}`); those that could not be computed (None) are left out."""
    return {name: {"value": float(v), "step": 0} for name, v in overall.items() if v is not None}

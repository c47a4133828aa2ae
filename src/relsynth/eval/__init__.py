"""Evaluation of a synthetic database against real data: quality, text and privacy, and a report.

`report(data_train, data_test, data_synth, path)` runs everything and writes an HTML page plus a
JSON; `quality_scores`, `text_scores` and `privacy_scores` are its parts. Scores are on a 0–100
scale, shares and rates on 0–1. Nothing here imports Kedro or MLflow.
"""

from relsynth.eval._common import EvalWarning
from relsynth.eval.privacy import privacy_scores
from relsynth.eval.quality import quality_scores
from relsynth.eval.report import report
from relsynth.eval.text import text_scores

__all__ = ["EvalWarning", "privacy_scores", "quality_scores", "report", "text_scores"]

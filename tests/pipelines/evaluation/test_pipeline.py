"""evaluation: the report node on the tiny database, its metrics, the interface."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relsynth.pipelines.evaluation import create_pipeline
from relsynth.pipelines.evaluation.nodes import evaluate_synthetic_database, evaluation_metrics
from relsynth.relational import RelationalData

pytestmark = pytest.mark.filterwarnings("ignore::relsynth.eval.EvalWarning")


def test_evaluate_writes_the_report(tiny_parts: tuple[RelationalData, RelationalData], tmp_path: Path) -> None:
    train, test = tiny_parts
    path = tmp_path / "reporting" / "report.html"
    overall, html = evaluate_synthetic_database(train, test, train, {"path": str(path), "max_pairs": 5, "seed": 0})
    assert path.is_file() and html == path.read_text(encoding="utf-8")
    assert "<html" in html.lower()
    saved = json.loads(path.with_suffix(".json").read_text())
    assert saved["overall"] == overall
    for key in ("quality", "quality_ceiling", "text", "dcr_share_train_closer", "exact_copy_rate"):
        assert key in overall
    metrics = evaluation_metrics(overall)
    assert metrics["quality"] == {"value": float(overall["quality"]), "step": 0}
    assert all(v["value"] is not None for v in metrics.values())


def test_evaluation_metrics_leave_out_missing() -> None:
    assert evaluation_metrics({"quality": 80, "text": None}) == {"quality": {"value": 80.0, "step": 0}}


def test_bad_parameters_are_refused(tiny_parts: tuple[RelationalData, RelationalData], tmp_path: Path) -> None:
    train, test = tiny_parts
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['pairs'\]"):
        evaluate_synthetic_database(train, test, train, {"path": str(tmp_path / "r.html"), "pairs": 5})


def test_pipeline_interface() -> None:
    pipe = create_pipeline()
    assert pipe.inputs() == {"database_train", "database_test", "synthetic_database", "params:evaluation"}
    assert pipe.outputs() == {"evaluation_report", "evaluation_metrics"}

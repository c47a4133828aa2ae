"""evaluation: the report node on the tiny database (it returns the scores and the page and writes
nothing), its metrics, the interface."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relsynth.pipelines.evaluation import create_pipeline
from relsynth.pipelines.evaluation.nodes import evaluate_synthetic_database, evaluation_metrics
from relsynth.relational import RelationalData

pytestmark = pytest.mark.filterwarnings("ignore::relsynth.eval.EvalWarning")
NOT_DP = {"n_steps": 10, "epsilon": None, "delta": None, "accountant": None}  # a non-private training summary


def test_evaluate_returns_the_scores_and_the_page_and_writes_nothing(
    tiny_parts: tuple[RelationalData, RelationalData], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative path written by mistake would land here
    train, test = tiny_parts
    scores, html = evaluate_synthetic_database(train, test, train, NOT_DP, {"max_pairs": 5, "seed": 0})
    assert list(tmp_path.iterdir()) == []
    assert html.lstrip().lower().startswith("<!doctype html>") and "relsynth evaluation report" in html
    assert "html" not in scores
    json.dumps(scores, allow_nan=False)  # catalogued as JSON (report.json)
    overall = scores["overall"]
    for key in ("quality", "quality_ceiling", "text", "dcr_share_train_closer", "exact_copy_rate"):
        assert key in overall
    assert {"quality", "quality_ceiling", "text", "text_ceiling", "privacy", "n_rows", "warnings"} <= set(scores)
    metrics = evaluation_metrics(scores)
    assert metrics["quality"] == {"value": float(overall["quality"]), "step": 0}
    assert all(v["value"] is not None for v in metrics.values())


def test_the_page_shows_the_dp_guarantee_of_the_training_summary(
    tiny_parts: tuple[RelationalData, RelationalData],
) -> None:
    train, test = tiny_parts
    summary = {"n_steps": 10, "epsilon": 2.97, "delta": 1e-5, "noise_multiplier": 1.2, "accountant": "prv"}
    scores, html = evaluate_synthetic_database(train, test, train, summary, {"max_pairs": 5, "seed": 0})
    assert scores["dp"] == {"epsilon": 2.97, "delta": 1e-5, "accountant": "prv"}
    assert "ε = 2.97" in html and "δ = 1e-05" in html and "PRV accountant" in html
    scores, html = evaluate_synthetic_database(train, test, train, NOT_DP, {"max_pairs": 5, "seed": 0})
    assert scores["dp"] is None and "Not differentially private" in html


def test_the_report_lists_the_generation_warnings(tiny_parts: tuple[RelationalData, RelationalData]) -> None:
    train, test = tiny_parts
    dropped, empty = "matches: 409 of 864 generated row(s) dropped", "teams.name: 8 of 8 generated texts are empty"
    scores, html = evaluate_synthetic_database(train, test, train, NOT_DP, {"max_pairs": 5}, [dropped], [empty])
    assert scores["generation_warnings"] == [dropped, empty]
    assert scores["warnings"][:2] == [f"generation: {dropped}", f"generation: {empty}"]
    assert "Generation warnings (2)" in html and "<h2>Generation warnings</h2>" in html
    assert dropped in html and empty in html and f"generation: {dropped}" not in html  # once, in its own section
    clean, html = evaluate_synthetic_database(train, test, train, NOT_DP, {"max_pairs": 5}, [], [])
    assert clean["generation_warnings"] == [] and "Generation warnings" not in html
    assert clean["warnings"] == scores["warnings"][2:]  # the scoring's own warnings, as before


def test_the_report_lists_the_text_training_warnings_apart(tiny_parts: tuple[RelationalData, RelationalData]) -> None:
    """What fitting and training the text models warned was only printed: it is in the report's `warnings`,
    under its own heading on the page, once each, apart from what generating warned."""
    train, test = tiny_parts
    no_words = "table teams: no word of its texts is used by word_k=2 distinct root entities"
    empty = "teams.name: 8 of 8 generated texts are empty"
    warnings = ([], [empty], [no_words])
    scores, html = evaluate_synthetic_database(train, test, train, NOT_DP, {"max_pairs": 5}, *warnings)
    assert scores["training_warnings"] == [no_words] and scores["generation_warnings"] == [empty]
    assert scores["warnings"][:2] == [f"training: {no_words}", f"generation: {empty}"]
    assert "<h2>Training warnings</h2>" in html and "Training warnings (1)" in html
    assert html.count(no_words) == 1 and "<h2>Generation warnings</h2>" in html  # once, in its own section
    clean, html = evaluate_synthetic_database(train, test, train, NOT_DP, {"max_pairs": 5}, [], [], [])
    assert clean["training_warnings"] == [] and "Training warnings" not in html


def test_evaluation_metrics_leave_out_missing() -> None:
    assert evaluation_metrics({"overall": {"quality": 80, "text": None}}) == {"quality": {"value": 80.0, "step": 0}}


def test_bad_parameters_are_refused(tiny_parts: tuple[RelationalData, RelationalData]) -> None:
    train, test = tiny_parts
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['pairs'\]"):
        evaluate_synthetic_database(train, test, train, NOT_DP, {"pairs": 5})
    with pytest.raises(ValueError, match=r"may not set \['path'\]"):  # the catalog writes the files
        evaluate_synthetic_database(train, test, train, NOT_DP, {"path": "data/08_reporting/report.html"})


def test_pipeline_interface() -> None:
    pipe = create_pipeline()
    assert pipe.inputs() == {
        "database_train",
        "database_test",
        "synthetic_database",
        "tabular_training_summary",
        "params:evaluation",
        "generation_warnings",
        "text_generation_warnings",
        "text_training_warnings",
    }
    assert pipe.outputs() == {"evaluation_report", "evaluation_metrics"}
    assert "evaluation_scores" in pipe.all_outputs()  # report.json, also read by select_evaluation_metrics

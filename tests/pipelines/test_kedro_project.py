"""End to end: the Kedro CLI on a copy of the project (so the repository stays clean)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from relsynth.datasets import RelationalDataDataset
from relsynth.synth import TabularDataset, TextModel, TextPreproc

SPLIT_PARTS = ("train", "valid", "test")
TEXT_TABLES = ("artist", "album", "track")  # conf/base/parameters_text_training.yml
GENERATION_STEPS = ("generation", "text_generation")  # each writes data/07_model_output/<step>_warnings.json

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow.*")]


@pytest.fixture(scope="module")
def project(data_processing_run: tuple[Path, str]) -> Path:
    """A copy of the project with its configuration, code and raw data, nothing from conf/local, after
    `kedro run --env fast --pipelines data_processing` (the shared run of tests/conftest.py)."""
    return data_processing_run[0]


@pytest.fixture
def kedro(kedro_cli):
    """`kedro(project, *args, timeout=600)`: the output of `python -m kedro <args>` run in `project`; fails
    with it unless it succeeds (`timeout`: a hang guard, not a speed check: a text model's 300 steps
    passed 120 s on a loaded 2-core machine)."""

    def run(project: Path, *args: str, timeout: int = 600) -> str:
        env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "COLUMNS": "200"}
        env.setdefault("OMP_NUM_THREADS", "1")  # torch's threads: the test machines' cores are shared
        rc, output = kedro_cli(project, *args, env=env, timeout=timeout)
        assert rc == 0, f"kedro {' '.join(args)} failed ({rc}):\n{output[-5000:]}"
        return output

    return run


def test_kedro_run_data_processing(project: Path) -> None:
    """`kedro run --pipelines data_processing --env fast` (run by the fixture) wrote the three parts."""
    parts = {
        p: RelationalDataDataset(path=str(project / "data" / "02_intermediate" / f"database_{p}")) for p in SPLIT_PARTS
    }
    assert all(ds.exists() for ds in parts.values())
    artists = {p: set(ds.load()["artist"]["id"]) for p, ds in parts.items()}
    assert not artists["train"] & artists["valid"] and not artists["train"] & artists["test"]
    assert not artists["valid"] & artists["test"]
    assert sum(len(a) for a in artists.values()) == 275  # every Chinook artist, in one part

    run = mlflow_run(project, "data_processing")
    assert run["status"] == "FINISHED"
    assert run["params.split.test_ratio"] == "0.1"


def mlflow_run(project: Path, name: str):
    """The one MLflow run of the project named `name` (kedro-mlflow names runs after the pipeline)."""
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["relsynth"])
    runs = runs[runs["tags.mlflow.runName"] == name]
    assert len(runs) == 1, f"expected one MLflow run named {name}, found {len(runs)}"
    return runs.iloc[0]


def test_kedro_run_fast_every_pipeline(project: Path, kedro) -> None:
    """`kedro run --env fast`: the whole default pipeline, from the raw tables to a synthetic database."""
    kedro(project, "run", "--env", "fast", timeout=600)  # ~100 s on 2 idle cores (the MLflow model ~10 s); a hang guard

    data = project / "data"
    synthetic = RelationalDataDataset(path=str(data / "07_model_output" / "synthetic_database")).load()  # validates
    assert set(synthetic) == {"artist", "album", "track", "genre", "media_type"}
    assert len(synthetic["artist"]) == 40  # conf/fast/parameters_generation.yml
    assert set(synthetic["track"]["album"]) <= set(synthetic["album"]["id"])
    for path in ("04_feature/tabular_preproc/preproc.json", "06_models/tabular_model/model.safetensors"):
        assert (data / path).is_file(), path
    for part in ("train", "valid"):
        assert (data / "05_model_input" / f"tabular_dataset_{part}" / TabularDataset.config_file).is_file()
    summary = json.loads((data / "08_reporting" / "tabular_training_summary.json").read_text())
    history = summary["history"]  # conf/fast: two epochs, validated up to 4 times an epoch (trigger auto)
    validated = [r for r in history if "valid_loss" in r]
    assert 2 <= len(validated) <= 8 and history[-1]["step"] == summary["n_steps"]

    import mlflow

    run = mlflow_run(project, "__default__")
    assert run["status"] == "FINISHED"
    assert run["params.tabular_training.n_epochs"] == "2"
    assert run["metrics.tabular_training.batch_size"] == 32
    assert run["metrics.tabular_training.n_steps"] == summary["n_steps"]
    client = mlflow.MlflowClient()
    train_loss = client.get_metric_history(run["run_id"], "tabular_training.train_loss")
    assert [(m.step, m.value) for m in train_loss] == [(r["step"], r["train_loss"]) for r in summary["history"]]
    assert len(client.get_metric_history(run["run_id"], "tabular_training.valid_loss")) == len(validated)
    assert "tabular_training_summary.json" in [a.path for a in client.list_artifacts(run["run_id"])]

    for table, column in (("artist", "name"), ("album", "title"), ("track", "name")):
        assert synthetic[table][column].notna().any(), table  # text_generation filled the text columns
    for table in TEXT_TABLES:  # one text_training.<table> pipeline each
        assert (data / "04_feature" / "text_preproc" / table / TextPreproc.config_file).is_file(), table
        assert (data / "06_models" / "text_models" / table / TextModel.config_file).is_file(), table
        assert client.get_metric_history(run["run_id"], f"text_training.{table}.train_loss"), table
    for path in ("08_reporting/report.html", "08_reporting/report.json"):
        assert (data / path).is_file(), path
    report = json.loads((data / "08_reporting" / "report.json").read_text())
    logged = [json.loads((data / "07_model_output" / f"{step}_warnings.json").read_text()) for step in GENERATION_STEPS]
    assert report["generation_warnings"] == [w for step in logged for w in step]  # what generating it warned
    assert run["metrics.evaluation.quality"] == pytest.approx(report["overall"]["quality"])
    assert "<html" in (data / "08_reporting" / "report.html").read_text(encoding="utf-8").lower()
    artifacts = [a.path for a in client.list_artifacts(run["run_id"])]
    assert "report.html" in artifacts and "report.json" in artifacts

    (version,) = client.search_model_versions("name = 'relsynth'")  # conf/base/parameters_mlflow_model.yml
    assert version.run_id == run["run_id"]
    assert float(version.tags["evaluation.quality"]) == pytest.approx(report["overall"]["quality"])
    model = mlflow.pyfunc.load_model("models:/relsynth/latest")
    assert sorted(model.unwrap_python_model().text) == sorted(TEXT_TABLES)


def test_kedro_run_one_tables_text_model_with_a_params_override(project: Path, kedro) -> None:
    """The README's `kedro run --pipelines text_training.<table>` (its input from the run above), with
    `--params` changing one key of a group while conf/local holds a parameters file: the group's
    other keys stay. (Kedro 1.7 refused the pipeline name; with a conf/local parameters file,
    `--params` left the group holding the one key.)"""
    local = project / "conf" / "local"
    local.mkdir(exist_ok=True)
    (local / "parameters_probe.yml").write_text("tabular_generation: {n_samples: 10}\n")  # one key of a group
    try:
        out = kedro(project, "run", "--pipelines", "text_training.artist", "--params", "text_training.lr=0.002")
    finally:
        (local / "parameters_probe.yml").unlink()
    assert "text model of artist: 300 steps" in out  # conf/base's n_epochs auto, min 300 steps, lr from --params
    assert mlflow_run(project, "text_training.artist")["params.text_training.lr"] == "0.002"


def test_kedro_registry_lists_the_pipelines(project: Path, kedro) -> None:
    output = kedro(project, "registry", "list")
    for name in (
        "data_processing",
        "preprocessing",
        "materialisation",
        "tabular_training",
        "generation",
        "text_training",
        *(f"text_training.{table}" for table in TEXT_TABLES),
        "text_generation",
        "evaluation",
        "mlflow_model",
    ):
        assert f"- {name}\n" in output
    assert "- __default__" in output


def test_kedro_viz_build(project: Path, kedro) -> None:
    kedro(project, "viz", "build")
    build = project / "build"
    assert (build / "index.html").is_file()
    graph = json.loads((build / "api" / "main").read_text())
    layers = {n["name"]: n.get("layer") for n in graph["nodes"] if n.get("type") == "data"}
    assert layers["raw_database"] == "raw"
    assert layers["database_train"] == "intermediate"
    assert layers["tabular_preproc"] == "feature"
    assert layers["tabular_dataset_train"] == "model_input"
    assert layers["tabular_model"] == "models"
    assert layers["synthetic_database"] == "model_output"
    for table in TEXT_TABLES:  # each table's text model, from the catalog's dataset factories
        assert layers[f"text_model_{table}"] == "models"
    modular = {n["name"] for n in graph["nodes"] if n.get("type") == "modularPipeline"}
    assert {f"text_training.{table}" for table in TEXT_TABLES} <= modular

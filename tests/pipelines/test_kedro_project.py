"""End to end: the Kedro CLI on a copy of the project (so the repository stays clean)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from relsynth.datasets import RelationalDataDataset

REPO = Path(__file__).resolve().parents[2]
SPLIT_PARTS = ("train", "valid", "test")

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow.*")]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with its configuration, code and raw data; nothing from conf/local."""
    root = tmp_path_factory.mktemp("project")
    shutil.copy(REPO / "pyproject.toml", root)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
    shutil.copytree(REPO / "src", root / "src", ignore=skip)
    shutil.copytree(REPO / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    shutil.copytree(REPO / "data" / "01_raw" / "chinook", root / "data" / "01_raw" / "chinook")
    return root


def kedro(project: Path, *args: str, timeout: int = 120) -> str:
    """Run `python -m kedro <args>` in `project`; fail with its output unless it succeeds."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"kedro {' '.join(args)} failed ({proc.returncode}):\n{output[-5000:]}"
    return output


def test_kedro_run_data_processing(project: Path) -> None:
    kedro(project, "run", "--pipeline", "data_processing", "--env", "fast")

    parts = {
        p: RelationalDataDataset(path=str(project / "data" / "02_intermediate" / f"database_{p}")) for p in SPLIT_PARTS
    }
    assert all(ds.exists() for ds in parts.values())
    artists = {p: set(ds.load()["artist"]["id"]) for p, ds in parts.items()}
    assert not artists["train"] & artists["valid"] and not artists["train"] & artists["test"]
    assert not artists["valid"] & artists["test"]
    assert sum(len(a) for a in artists.values()) == 275  # every Chinook artist, in one part

    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["relsynth"])
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["status"] == "FINISHED"
    assert run["tags.mlflow.runName"] == "data_processing"
    assert run["params.split.test_ratio"] == "0.1"


def test_kedro_registry_lists_data_processing(project: Path) -> None:
    output = kedro(project, "registry", "list")
    assert "- data_processing" in output
    assert "- __default__" in output


def test_kedro_viz_build(project: Path) -> None:
    kedro(project, "viz", "build")
    build = project / "build"
    assert (build / "index.html").is_file()
    graph = json.loads((build / "api" / "main").read_text())
    layers = {n["name"]: n.get("layer") for n in graph["nodes"] if n.get("type") == "data"}
    assert layers["raw_database"] == "raw"
    assert layers["database_train"] == "intermediate"

"""The Kedro CLI with bad settings: the run stops (non-zero exit) with a message naming the file,
path or parameter, and an override in conf/local holds under `--env fast`, as the README says."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each kedro run starts Kedro and kedro-mlflow: ~20 s


@pytest.fixture(scope="module")
def project(tmp_path_factory, copy_project) -> Path:
    return copy_project(tmp_path_factory.mktemp("project"))


@pytest.fixture
def kedro(kedro_cli):
    """`kedro(project, *args, local_catalog=None)`: (exit code, output in one line) of `python -m kedro
    <args>` in `project`, with `local_catalog` as its conf/local/catalog.yml."""

    def run(project: Path, *args: str, local_catalog: str | None = None) -> tuple[int, str]:
        catalog = project / "conf" / "local" / "catalog.yml"
        catalog.unlink(missing_ok=True)
        if local_catalog is not None:
            catalog.write_text(local_catalog)
        env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "COLUMNS": "250"}
        env.setdefault("OMP_NUM_THREADS", "1")
        rc, out = kedro_cli(project, *args, env=env, timeout=300)
        return rc, " ".join(out.split())  # one line: rich wraps long ones

    return run


def _raw(path: str) -> str:
    return f"raw_database:\n  type: relsynth.datasets.RelationalDataDataset\n  path: {path}\n" \
        "  schema_path: conf/base/schema_chinook.yml\n"  # fmt: skip


def test_a_local_override_holds_under_env_fast_and_the_log_names_it(project, kedro):
    mine = project / "data" / "01_raw" / "mine"
    shutil.copytree(project / "data" / "01_raw" / "chinook", mine, dirs_exist_ok=True)
    rc, out = kedro(project, "run", "--pipelines", "data_processing", "--env", "fast", local_catalog=_raw(str(mine)))
    assert rc == 0, out[-3000:]
    # rich folds a path longer than its message column (a pytest-xdist worker's tmp path is longer): whitespace
    # and the source location of the line aside, the path follows the label
    flat = "".join(out.split())
    assert re.search(r"rawdatabase\(envfast\):(hooks\.py:\d+)?" + re.escape(str(mine.resolve())), flat), out[-3000:]
    assert "'artist': 275" in out


def test_a_missing_raw_directory_stops_the_run_naming_it(project, kedro):
    rc, out = kedro(project, "run", "--pipelines", "data_processing", local_catalog=_raw("data/01_raw/nowhere"))
    assert rc != 0 and "Error: raw_database: path: no directory" in out and "nowhere" in out
    assert "Traceback" not in out


def test_a_missing_schema_file_stops_the_run_in_one_line_naming_the_setting(project, kedro):
    local = _raw("data/01_raw/chinook").replace("schema_chinook.yml", "schema_chinok.yml")
    rc, out = kedro(project, "run", "--pipelines", "data_processing", local_catalog=local)
    assert rc != 0 and "Error: raw_database: schema_path: no file conf/base/schema_chinok.yml" in out
    assert "Traceback" not in out


def test_a_misspelt_catalog_entry_stops_the_run_in_one_line_naming_it(project, kedro):
    local = _raw("data/01_raw/chinook").replace("RelationalDataDataset", "RelationalDataDataSet")
    rc, out = kedro(project, "run", "--pipelines", "data_processing", local_catalog=local)
    assert rc != 0 and "Error: catalog entry 'raw_database' cannot be created" in out and "Traceback" not in out


def test_a_pipeline_run_before_the_one_that_writes_its_inputs_names_that_one(project, kedro):
    rc, out = kedro(project, "run", "--pipelines", "evaluation", "--env", "fast")  # no run yet: nothing written
    assert rc != 0 and "Traceback" not in out
    assert "synthetic_database" in out and "kedro run --pipelines text_generation" in out


def test_a_bad_parameter_stops_the_run_naming_its_group(project, kedro):
    rc, out = kedro(project, "run", "--pipelines", "data_processing", "--params", "split.test_ratio=2")
    assert rc != 0 and "params:split" in out and "test_ratio" in out


def test_a_bad_value_for_a_late_node_stops_the_run_before_any_node(project, kedro):
    """n_samples is read by generation, after training: the run stops at its start instead."""
    rc, out = kedro(project, "run", "--env", "fast", "--params", "tabular_generation.n_samples=0")
    assert rc != 0 and "Traceback" not in out
    assert "Error: params:tabular_generation: n_samples must be a positive integer, got 0" in out
    assert "Running node" not in out and "Completed 1 out of" not in out

"""Clean logs: third-party warnings filtered by the module that raises them (ours still warn), and
a `kedro run` log without warnings or carriage returns, with each node's time."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest
from omegaconf import OmegaConf

from relsynth.log_noise import filter_third_party_warnings


def _register_from(module: str) -> None:
    """Call omegaconf's deprecated `register_new_resolver` from code whose module is `module`."""
    code = "OmegaConf.register_new_resolver('relsynth_test', lambda: 1, replace=True)"
    exec(compile(code, f"{module}.py", "exec"), {"__name__": module, "OmegaConf": OmegaConf})  # noqa: S102


def test_the_resolver_deprecation_is_filtered_for_kedro_and_kedro_mlflow_only():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filter_third_party_warnings()
        _register_from("kedro.config.omegaconf_config")
        _register_from("kedro_mlflow.framework.hooks.mlflow_hook")
        assert caught == []
        _register_from("relsynth.config_loader")  # our own call would still warn
    assert [str(w.message).split("\n")[0] for w in caught] == [
        "register_new_resolver() is deprecated and will be removed in a future release."
    ]


@pytest.mark.slow  # a fresh interpreter importing mlflow: ~10 s
def test_kedro_init_quietens_kedro_mlflow_s_untyped_model_and_not_ours():
    script = (
        "import warnings\n"
        "from relsynth.log_noise import before_kedro_cli\n"
        "before_kedro_cli()\n"
        "print('--- ours')\n"
        "import mlflow.pyfunc\n"
        "class Ours(mlflow.pyfunc.PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return model_input\n"
    )
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "PYTHONWARNINGS": "default"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    before, after = (proc.stdout + proc.stderr).split("--- ours")
    assert "Add type hints" not in before  # kedro-mlflow's KedroPipelineModel: quiet
    assert "Add type hints" in after  # a model of ours without type hints: still warned


# ---- the log of a real `kedro run` --------------------------------------------------------------
@pytest.fixture(scope="module")
def run_log(data_processing_run) -> str:
    """The whole output of `kedro run --env fast --pipelines data_processing` in a copy of the project."""
    return data_processing_run[1]


@pytest.mark.slow  # starts Kedro and kedro-mlflow: ~30 s
def test_kedro_run_logs_no_warning(run_log):
    flagged = [line for line in run_log.splitlines() if "Warning" in line or " WARNING " in line]
    assert flagged == [], "\n".join(flagged)


@pytest.mark.slow
def test_kedro_run_logs_each_node_s_time_and_no_carriage_return(run_log):
    assert "\r" not in run_log
    for node in ("data_processing.validate_database", "data_processing.split_database_by_root_entity"):
        assert f"{node} took " in run_log


def test_a_warning_in_the_run_log_is_its_message_not_a_path_and_a_source_line(monkeypatch):
    """On an IoT database the run log's warning of a rare-label column read
    '/tmp/.../relsynth/synth/tabular/preproc.py:541: UserWarning: column ...' and ended with the
    line of code that raised it ('return pre.fit(data.rename(...))'), wrapped over 15 log lines."""
    from relsynth import log_noise

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored after the test
    log_noise.quiet_kedro_run()
    text = warnings.formatwarning(
        UserWarning("column 'sites.timezone': 18 of 24 rows hold values fewer than 5 rows hold"),
        UserWarning,
        "/srv/project/src/relsynth/synth/tabular/preproc.py",
        541,
        "    return pre.fit(data.rename(f'{table}.{col}'))",
    )
    assert (
        text
        == "UserWarning: column 'sites.timezone': 18 of 24 rows hold values fewer than 5 rows hold (preproc.py:541)\n"
    )

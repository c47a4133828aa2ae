"""How the suite itself runs: README's `pytest` (and so `.ci/run`) starts two pytest-xdist workers
(pyproject.toml's addopts) from the dev extra, each on one torch thread, to stay well within the
15 minutes the suite may take on two cores."""

from __future__ import annotations

import os
import shlex
import tomllib
from pathlib import Path

import torch

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_pytest_starts_two_workers_that_the_dev_extra_installs():
    addopts = shlex.split(PYPROJECT["tool"]["pytest"]["ini_options"].get("addopts", ""))
    assert "-n 2" in " ".join(addopts), f"addopts {addopts}: the suite runs on two workers"
    # a module's fixtures (a trained model, a Kedro run) are built once only if its tests share a worker
    assert "--dist loadscope" in " ".join(addopts), f"addopts {addopts}: whole modules to a worker"
    dev = PYPROJECT["project"]["optional-dependencies"]["dev"]
    assert any(r.replace("_", "-").startswith("pytest-xdist") for r in dev), f"no pytest-xdist in the dev extra {dev}"


def test_a_worker_runs_one_torch_thread_and_tells_its_processes_to():
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # `-n 0`: this process, threads as the user set them
    assert torch.get_num_threads() == 1
    assert os.environ["OMP_NUM_THREADS"] == "1"

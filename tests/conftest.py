"""Fixtures shared by the whole test suite: a tiny database made in memory, a copy of the project, one
`kedro run` of the data_processing pipeline in such a copy, a Kedro CLI that imports its libraries once."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import torch

from relsynth.relational import (
    Categorical,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
    Text,
)


def pytest_configure(config: pytest.Config) -> None:
    """A pytest-xdist worker (pyproject's addopts: two of them) gets one torch thread, and so do the
    processes it starts unless told otherwise: two workers of two threads each on the machines' two
    cores would fight over them."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        torch.set_num_threads(1)
        os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture
def tiny_schema() -> Schema:
    """artist -> album -> track, with genre as a lookup."""
    return Schema(
        artist=Table(id=PrimaryKey(), name=Text()),
        album=Table(id=PrimaryKey(), artist=ForeignKey(parent="artist"), title=Text()),
        track=Table(
            id=PrimaryKey(),
            album=ForeignKey(parent="album"),
            genre=ForeignKey(parent="genre"),
            milliseconds=Integer(),
            price=Numeric(),
            composer=Categorical(),
        ),
        genre=Table(id=PrimaryKey(), name=Categorical()),
        lookups=["genre"],
    )


@pytest.fixture
def tiny_database(tiny_schema: Schema) -> RelationalData:
    """10 artists with 0-2 albums each, 0-3 tracks per album, 3 genres."""
    artist = pd.DataFrame({"id": range(1, 11), "name": [f"artist {i}" for i in range(1, 11)]})
    albums = [(a, n) for a in range(1, 11) for n in range(a % 3)]  # artists 3, 6, 9 have no album
    album = pd.DataFrame(
        {
            "id": range(1, len(albums) + 1),
            "artist": [a for a, _ in albums],
            "title": [f"album {n} of {a}" for a, n in albums],
        }
    )
    tracks = [(al, n) for al in album["id"] for n in range(al % 4)]
    track = pd.DataFrame(
        {
            "id": range(1, len(tracks) + 1),
            "album": [al for al, _ in tracks],
            "genre": [1 + i % 3 for i in range(len(tracks))],
            "milliseconds": [200_000 + 1000 * i for i in range(len(tracks))],
            "price": [0.99 if i % 2 else 1.99 for i in range(len(tracks))],
            "composer": [None if i % 4 == 0 else f"composer {i % 3}" for i in range(len(tracks))],
        }
    )
    genre = pd.DataFrame({"id": [1, 2, 3], "name": ["Rock", "Jazz", "Pop"]})
    return RelationalData({"artist": artist, "album": album, "track": track, "genre": genre}, tiny_schema)


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def copy_project() -> Callable[[Path], Path]:
    """`copy_project(root)`: the project's configuration, code and raw data copied into `root`
    (nothing from conf/local), for Kedro CLI runs that leave the repository clean."""

    def copy(root: Path) -> Path:
        shutil.copy(REPO / "pyproject.toml", root)
        skip = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
        shutil.copytree(REPO / "src", root / "src", ignore=skip)
        shutil.copytree(REPO / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
        (root / "conf" / "local").mkdir()
        shutil.copytree(REPO / "data" / "01_raw" / "chinook", root / "data" / "01_raw" / "chinook")
        return root

    return copy


@pytest.fixture(scope="session")
def data_processing_run(tmp_path_factory: pytest.TempPathFactory, copy_project) -> tuple[Path, str]:
    """(a copy of the project, the run's whole output) after `kedro run --env fast --pipelines
    data_processing --params threads=1` in it: the Kedro project tests go on from that copy, the log
    tests read that output (one start of Kedro and kedro-mlflow, ~10 s of CPU, for both). Threads
    given: with threads auto, a machine busy with other work rightly warns that cores are taken."""
    root = copy_project(tmp_path_factory.mktemp("project"))
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "COLUMNS": "250"}
    env.setdefault("OMP_NUM_THREADS", "1")  # torch's threads: the test machines' cores are shared
    args = ["run", "--env", "fast", "--pipelines", "data_processing", "--params", "threads=1"]
    proc = subprocess.run(
        [sys.executable, "-m", "kedro", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"kedro {' '.join(args)} failed ({proc.returncode}):\n{out[-3000:]}"
    return root, out


@pytest.fixture(scope="session")
def kedro_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., tuple[int, str]]]:
    """`kedro_cli(project, *args, env=..., timeout=...)`: (exit code, output) of `python -m kedro <args>`
    run in `project`, each command a process of its own forked from one that imported Kedro, MLflow
    and torch once (tests/kedro_forks.py): ~3 s of CPU a command instead of ~10. `timeout` is a hang
    guard: past it the process and its command are killed, and later commands fail. Not for tests
    of what a fresh interpreter prints while it imports (tests/test_log_noise.py)."""
    logs = tmp_path_factory.mktemp("kedro_cli")
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    env.setdefault("OMP_NUM_THREADS", "1")  # torch reads it on import
    server_log = logs / "server.log"
    with server_log.open("w") as errors:
        server = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "kedro_forks.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            text=True,
            start_new_session=True,  # its own process group: a hung command is killed with it
        )
    count = 0

    def run(project: Path, *args: str, env: dict[str, str], timeout: float = 300) -> tuple[int, str]:
        nonlocal count
        count += 1
        out = logs / f"{count}.log"
        server.stdin.write(json.dumps({"cwd": str(project), "args": list(args), "env": env, "out": str(out)}) + "\n")
        server.stdin.flush()
        ready, _, _ = select.select([server.stdout], [], [], timeout)
        if not ready:
            os.killpg(server.pid, signal.SIGKILL)
            pytest.fail(f"kedro {' '.join(args)}: no exit within {timeout} s")
        line = server.stdout.readline()
        assert line, f"the Kedro CLI process ended:\n{server_log.read_text()[-3000:]}"
        return int(line), out.read_text()

    yield run
    if server.poll() is None:
        server.stdin.close()
        server.wait(timeout=60)

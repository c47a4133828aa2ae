"""relsynth.hooks: the MLflow training hook logs each record in an active run, nothing outside one;
the node timing hook logs how long each node took; settings that point nowhere, a catalog entry
that cannot be created and inputs no earlier run wrote stop a run in one line before any node."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import mlflow
import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError
from kedro.pipeline import Pipeline, node

from relsynth.hooks import (
    CatalogCheckHook,
    MissingInputsHook,
    MlflowMetricsHook,
    NodeTimingHook,
    ParamsCheckHook,
    RawDataLogHook,
    SettingsError,
)

SRC = Path(__file__).resolve().parents[1] / "src"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow.*")

HISTORY = [
    {"step": 4, "epoch": 1, "lr": 0.003, "train_loss": 2.5, "valid_loss": 2.0},
    {"step": 8, "epoch": 2, "lr": 0.0015, "train_loss": 2.1},  # no validation this epoch
]


def fake_training(hook: MlflowMetricsHook) -> None:
    """Drive the hook as the trainer does: setup, one call per epoch, cleanup."""
    trainer = SimpleNamespace(history=[])
    hook.setup(trainer, [hook])
    for record in HISTORY:
        trainer.history.append(record)
        hook.hook()
    hook.cleanup(True)


@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory):
    """One sqlite store for the module (creating one takes seconds)."""
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}")
    yield mlflow.MlflowClient()
    mlflow.set_tracking_uri(previous)


def test_logs_each_record_at_its_step(tracking: mlflow.MlflowClient) -> None:
    with mlflow.start_run() as run:
        fake_training(MlflowMetricsHook(prefix="tab"))
    history = {
        key: [(m.step, m.value) for m in tracking.get_metric_history(run.info.run_id, key)]
        for key in ("tab.train_loss", "tab.valid_loss", "tab.lr", "tab.epoch")
    }
    assert history == {
        "tab.train_loss": [(4, 2.5), (8, 2.1)],
        "tab.valid_loss": [(4, 2.0)],
        "tab.lr": [(4, 0.003), (8, 0.0015)],
        "tab.epoch": [(4, 1.0), (8, 2.0)],
    }


def test_logs_nothing_without_an_active_run(tracking: mlflow.MlflowClient) -> None:
    assert mlflow.active_run() is None
    before = len(tracking.search_runs(experiment_ids=["0"]))
    fake_training(MlflowMetricsHook(prefix="tab"))
    assert mlflow.active_run() is None  # no run was started on the side
    assert len(tracking.search_runs(experiment_ids=["0"])) == before


def test_node_timing_logs_each_node_s_time_and_the_run_s(monkeypatch, caplog) -> None:
    clock = iter([0.0, 100.0, 101.0, 103.5, 104.0, 174.0])  # created, run start, node a start/end, b start/end
    monkeypatch.setattr("relsynth.hooks.time.monotonic", lambda: next(clock))
    hook, a, b = NodeTimingHook(), SimpleNamespace(name="split"), SimpleNamespace(name="train")
    with caplog.at_level("INFO", logger="relsynth.hooks"):
        hook.before_pipeline_run()
        hook.before_node_run(a)
        hook.after_node_run(a)
        hook.before_node_run(b)
        hook.after_node_run(b)
    assert [r.getMessage() for r in caplog.records] == [
        "split took 2.5 s (run: 3.5 s so far)",
        "train took 1 min 10 s (run: 1 min 14 s so far)",
    ]


# ---- settings that point nowhere, inputs not written yet: one line, before any node ----------


def _catalog(tmp_path, **entries) -> DataCatalog:
    return DataCatalog.from_config({name: spec for name, spec in entries.items()})


def test_a_missing_schema_file_stops_the_run_in_one_line_naming_the_setting(tmp_path) -> None:
    con = f"sqlite:///{tmp_path / 'db.sqlite'}"
    pd.DataFrame({"id": [1, 2]}).to_sql("t", con, index=False)
    raw = {"type": "relsynth.datasets.SQLDatabaseDataset", "credentials": {"con": con}, "schema_path": "conf/nope.yml"}
    catalog = _catalog(tmp_path, raw_database=raw)
    with pytest.raises(SettingsError) as err:
        RawDataLogHook().before_pipeline_run({}, Pipeline([node(len, "raw_database", "n")]), catalog)
    message = err.value.format_message()
    assert "\n" not in message and "raw_database: schema_path: no file conf/nope.yml" in message
    assert "conf/local/catalog.yml" in message
    with pytest.raises(DatasetError, match="schema_path: no file conf/nope.yml"):  # from Python: the same words
        catalog.load("raw_database")


def test_a_missing_raw_directory_or_sqlite_file_is_named(tmp_path) -> None:
    files = {"type": "relsynth.datasets.RelationalDataDataset", "path": str(tmp_path / "nowhere")}
    sqlite = {"type": "relsynth.datasets.SQLDatabaseDataset", "credentials": {"con": "sqlite:///no/such.sqlite"}}
    for raw, words in [(files, "path: no directory"), (sqlite, "credentials con: no SQLite file no/such.sqlite")]:
        with pytest.raises(SettingsError, match=words):
            RawDataLogHook().before_pipeline_run({}, None, _catalog(tmp_path, raw_database=raw))
    assert not (Path("no") / "such.sqlite").exists()


def test_a_run_that_does_not_read_the_raw_database_is_not_stopped_by_it(tmp_path) -> None:
    raw = {"type": "relsynth.datasets.RelationalDataDataset", "path": str(tmp_path / "nowhere")}
    RawDataLogHook().before_pipeline_run({}, Pipeline([node(len, "other", "n")]), _catalog(tmp_path, raw_database=raw))


def test_the_mlflow_run_names_the_database_it_read(tmp_path, tracking: mlflow.MlflowClient) -> None:
    """Runs on a hotel and an HR database were told apart in MLflow only by their metrics: the raw
    database's address (password hidden) and rows are tags of a run that reads it, of no other run."""
    con = f"sqlite:///{tmp_path / 'hotel.sqlite'}"
    pd.DataFrame({"id": [1, 2, 3]}).to_sql("guests", con, index=False)
    raw = {"type": "relsynth.datasets.SQLDatabaseDataset", "credentials": {"con": con}}
    catalog = _catalog(tmp_path, raw_database=raw)
    with mlflow.start_run() as run:
        RawDataLogHook().before_pipeline_run({}, Pipeline([node(len, "raw_database", "n")]), catalog)
    tags = tracking.get_run(run.info.run_id).data.tags
    assert tags["raw_database.path"] == con and tags["raw_database.rows"] == '{"guests": 3}', tags
    with mlflow.start_run() as run:
        RawDataLogHook().before_pipeline_run({}, Pipeline([node(len, "database_train", "n")]), catalog)
    assert not any(t.startswith("raw_database") for t in tracking.get_run(run.info.run_id).data.tags)


def test_a_misspelt_catalog_entry_stops_the_command_in_one_line_naming_it(tmp_path) -> None:
    bad = {"type": "relsynth.datasets.RelationalDataDataset", "path": "x", "schema_pth": "s.yml"}
    with pytest.raises(SettingsError) as err:
        CatalogCheckHook().after_catalog_created(_catalog(tmp_path, raw_database=bad))
    message = err.value.format_message()
    assert "\n" not in message and "'raw_database'" in message and "schema_pth" in message


def test_a_pipeline_run_alone_names_the_pipeline_that_writes_its_missing_inputs(tmp_path) -> None:
    model = {"type": "relsynth.datasets.DirectoryDataset", "path": str(tmp_path / "m"), "object_type": "relsynth.synth.TabularModel"}  # fmt: skip
    catalog = _catalog(tmp_path, tabular_model=model)
    catalog["params:tabular_generation"] = {}
    training = Pipeline([node(len, "tabular_preproc", "tabular_model", name="train")])
    generation = Pipeline([node(len, ["tabular_model", "params:tabular_generation"], "synthetic", name="generate")])
    hook = MissingInputsHook(
        {"tabular_training": training, "generation": generation, "__default__": training + generation}
    )
    with pytest.raises(SettingsError) as err:
        hook.before_pipeline_run(generation, catalog)
    message = err.value.format_message()
    assert "\n" not in message and "tabular_model" in message and str(tmp_path / "m") in message
    assert "kedro run --pipelines tabular_training" in message and "params:" not in message
    hook.before_pipeline_run(training + generation, catalog)  # written by this run: nothing to say


def test_a_misspelt_params_group_stops_the_run_in_one_line_naming_the_group_it_looks_like(tmp_path) -> None:
    """`kedro run --params "tabular_trainng.n_epochs=1"` trained with the base settings, silently."""
    catalog = _catalog(tmp_path)
    catalog["params:split"] = {"seed": 0}
    catalog["params:splti"] = {"seed": 1}
    processing = Pipeline([node(len, ["raw", "params:split"], "train", name="split")])
    evaluation = Pipeline([node(len, ["train", "params:evaluation.seed"], "scores", name="evaluate")])
    hook = ParamsCheckHook({"data_processing": processing, "evaluation": evaluation})
    with pytest.raises(SettingsError) as err:
        hook.before_pipeline_run({"runtime_params": {"splti": {"seed": 1}}}, processing, catalog)
    message = err.value.format_message()
    assert "\n" not in message and "'splti'" in message and "did you mean 'split'" in message
    run = {"runtime_params": {"split": {"seed": 1}, "evaluation": {"seed": 3}, "threads": 1}}
    hook.before_pipeline_run(run, processing, catalog)  # read by a registered pipeline (or hook), if not this run


INTERRUPTED_RUN = """
import sys, time, mlflow
sys.path.insert(0, sys.argv[2])
from types import SimpleNamespace
from relsynth.hooks import InterruptHook
mlflow.set_tracking_uri(sys.argv[1])
run = mlflow.start_run()
hook = InterruptHook()
hook.before_pipeline_run()
hook.before_node_run(SimpleNamespace(name="train_tabular_model"))
print(run.info.run_id, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_run_stopped_by_a_signal_closes_its_mlflow_run_as_killed_and_names_the_node(tmp_path, sig) -> None:
    """Kedro calls no hook on Ctrl-C: mlflow's exit handler closed the run as FINISHED, like a whole one."""
    import signal
    import subprocess
    import sys

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_RUN, uri, str(SRC)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell's background job (CI started with `&`) ignores SIGINT, and its children inherit that:
        # give the run Ctrl-C as a terminal would
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    run_id = proc.stdout.readline().strip()
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == (-signal.SIGINT if sig == "SIGINT" else 143)  # Python re-raises an uncaught Ctrl-C
    assert mlflow.MlflowClient(uri).get_run(run_id).info.status == "KILLED"
    message = " ".join(err.split())
    assert (
        f"run stopped by {'Ctrl-C (SIGINT)' if sig == 'SIGINT' else 'SIGTERM'} in node train_tabular_model" in message
    )
    assert f"MLflow run {run_id} closed as KILLED" in message


def test_a_run_that_ended_leaves_its_mlflow_run_to_kedro_mlflow(tracking: mlflow.MlflowClient) -> None:
    from relsynth.hooks import InterruptHook

    hook = InterruptHook()
    with mlflow.start_run() as run:
        hook.before_pipeline_run()
        hook.after_pipeline_run()
        hook.close_interrupted()  # at exit: nothing to do
        assert mlflow.active_run() is not None
        hook.before_pipeline_run()  # a run that a later hook refuses before its first node: not interrupted
        hook.close_interrupted()
        assert mlflow.active_run() is not None
        hook.on_pipeline_error()  # this process's signal handlers back
    assert tracking.get_run(run.info.run_id).info.status == "FINISHED"


def test_an_mlflow_store_this_account_cannot_write_stops_the_run_in_one_line(tmp_path, monkeypatch) -> None:
    """A read-only mlflow.db stopped `kedro run` with ~600 lines of SQLAlchemy tracebacks."""
    import os

    from relsynth.hooks import TrackingStoreCheckHook

    store = tmp_path / "mlflow.db"
    store.write_bytes(b"")
    writable = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != store and writable(p, mode))  # root writes all
    monkeypatch.setattr(mlflow, "get_tracking_uri", lambda: f"sqlite:///{store}")
    with pytest.raises(
        SettingsError, match=rf"the MLflow store {store} cannot be written by this account: .*mlflow.yml"
    ):
        TrackingStoreCheckHook().before_pipeline_run()
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked and writable(p, mode))
    monkeypatch.setattr(mlflow, "get_tracking_uri", lambda: f"sqlite:///{locked / 'new' / 'mlflow.db'}")
    with pytest.raises(SettingsError, match=f"in a folder this account cannot write \\({locked}\\)"):
        TrackingStoreCheckHook().before_pipeline_run()
    new = (tmp_path / "new.db", tmp_path / "folder" / "mlflow.db")  # mlflow makes the file and its folders
    for fine in (*(f"sqlite:///{p}" for p in new), "sqlite:///:memory:", "http://127.0.0.1:5000"):
        monkeypatch.setattr(mlflow, "get_tracking_uri", lambda uri=fine: uri)
        TrackingStoreCheckHook().before_pipeline_run()

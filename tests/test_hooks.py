"""relsynth.hooks: the MLflow training hook logs each record in an active run, nothing outside one;
the node timing hook logs how long each node took."""

from __future__ import annotations

from types import SimpleNamespace

import mlflow
import pytest

from relsynth.hooks import MlflowMetricsHook, NodeTimingHook

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

"""Kedro-side hooks: the library's `TrainHook`s wired to the tools of the Kedro project, and the
project's own Kedro hook.

The library never imports MLflow; a node that trains a model adds `MlflowMetricsHook` to the
trainer's hooks, and each new training record (step, epoch, learning rate, train and valid
loss) becomes MLflow metrics of the run that kedro-mlflow opened for `kedro run`.
`RawDataLogHook` (registered in settings.py) logs which raw database a run reads,
`ThreadsHook` sets torch's CPU threads, and `NodeTimingHook` logs how long each node took.
"""

from __future__ import annotations

import logging
import math
import time

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node

from relsynth.synth import MetricsHook
from relsynth.synth.core.progress import duration
from relsynth.synth.core.threads import AUTO, use_free_cores
from relsynth.synth.core.training.hooks import Trigger


class MlflowMetricsHook(MetricsHook):
    """Log each training record as `<prefix>.<name>` metrics at the record's optimizer step.

    Outside an active MLflow run (a test, a notebook) it logs nothing, so nodes can always add it.
    """

    def __init__(self, prefix: str, each: int = 1, trigger: Trigger = "epoch"):
        super().__init__(log=self.log_record, each=each, trigger=trigger)
        self.prefix = prefix

    def log_record(self, record: dict) -> None:
        """Send one history record (`{step, epoch, lr, train_loss, valid_loss}`) to MLflow."""
        if mlflow.active_run() is None:
            return
        metrics = {
            f"{self.prefix}.{name}": float(value)
            for name, value in record.items()
            if name != "step" and value is not None and math.isfinite(float(value))
        }
        mlflow.log_metrics(metrics, step=int(record["step"]))


class RawDataLogHook:
    """Before every run: log the raw database's path, schema file and rows per table (counted from
    the files, without loading them), so a log always shows which data a run read."""

    dataset = "raw_database"

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        log = logging.getLogger(__name__)
        try:
            ds = catalog.get(self.dataset)
        except Exception:  # noqa: BLE001 - a catalog without the entry: say so, never fail the run
            ds = None
        summary = getattr(ds, "summary", None)
        if summary is None:
            log.info("raw database: no %r entry of type RelationalDataDataset in this catalog", self.dataset)
            return
        info = summary()
        log.info(
            "raw database (env %s): %s, schema %s, rows %s",
            run_params.get("env") or "default",
            info["path"],
            info["schema_path"],
            info["rows"],
        )
        if info.get("sample"):  # the rows above are the whole tables', not what the run reads
            log.info(
                "raw database: the run reads a sample of %d root entities (sample_seed %d) of those rows, with all "
                "their rows; the sample's rows are logged when it is read",
                info["sample"]["entities"],
                info["sample"]["seed"],
            )


class ThreadsHook:
    """Before every run: torch's CPU threads from the `threads` parameter (`parameters_runtime.yml`):
    "auto" is one per core that other work leaves free (`use_free_cores`), a number is that many."""

    parameter = "params:threads"

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        threads = catalog.load(self.parameter) if self.parameter in catalog else AUTO
        use_free_cores(threads)


class NodeTimingHook:
    """After each node: how long it took and how long the run has taken so far.

    Kedro's runner already logs each node's name when it starts and ends and "Completed i out of
    n tasks"; what a person watching a log cannot see is where the time goes.
    """

    def __init__(self) -> None:
        self.run_start = time.monotonic()
        self.started: dict[str, float] = {}

    @hook_impl
    def before_pipeline_run(self) -> None:
        self.run_start = time.monotonic()

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self.started[node.name] = time.monotonic()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        now = time.monotonic()
        took = now - self.started.pop(node.name, now)
        logging.getLogger(__name__).info(
            "%s took %s (run: %s so far)", node.name, duration(took), duration(now - self.run_start)
        )

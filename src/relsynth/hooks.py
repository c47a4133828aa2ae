"""Kedro-side hooks: the library's `TrainHook`s wired to the tools of the Kedro project, and the
project's own Kedro hook.

The library never imports MLflow; a node that trains a model adds `MlflowMetricsHook` to the
trainer's hooks, and each new training record (step, epoch, learning rate, train and valid
loss) becomes MLflow metrics of the run that kedro-mlflow opened for `kedro run`.
`RawDataLogHook` (registered in settings.py) logs which raw database a run reads (and tags its MLflow run with it),
`ThreadsHook` sets torch's CPU threads, `NodeTimingHook` logs how long each node took, and
`InterruptHook` closes the MLflow run of a run stopped by Ctrl-C or `kill` as KILLED.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import signal
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import click
import mlflow
from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node, Pipeline
from sqlalchemy.engine import make_url

from relsynth.relational.progress import duration
from relsynth.synth import MetricsHook
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


class SettingsError(click.ClickException):
    """A catalog setting that points nowhere, refused before any node runs. The Kedro CLI prints
    it as one line (`Error: ...`) and exits with 1, instead of a traceback through Kedro's runner."""


class RawDataLogHook:
    """Before every run: log the raw database's path, schema file and rows per table (counted from
    the files, without loading them), so a log always shows which data a run read; a run that reads
    it stops there, in one line naming the setting, when its `path`, `schema_path` or SQLite file
    does not exist."""

    dataset = "raw_database"

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        log = logging.getLogger(__name__)
        reads = pipeline is None or self.dataset in pipeline.inputs()
        ds = None
        if self.dataset in catalog:
            try:
                ds = catalog.get(self.dataset)
            except Exception as exc:  # noqa: BLE001 - an entry that cannot be built (a misspelt type or key)
                if reads:
                    self.refuse([" ".join(str(exc).split())])
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
        if reads and mlflow.active_run():
            mlflow.set_tags(raw_database_tags(info))
        if info.get("sample"):  # the rows above are the whole tables', not what the run reads
            log.info(
                "raw database: the run reads a sample of %d root entities (sample_seed %d) of those rows, with all "
                "their rows; the sample's rows are logged when it is read",
                info["sample"]["entities"],
                info["sample"]["seed"],
            )
        if reads and hasattr(ds, "problems"):
            self.refuse(ds.problems())

    def refuse(self, problems: list[str]) -> None:
        """A `SettingsError` listing what is wrong with the entry (nothing when `problems` is empty);
        the MLflow run that kedro-mlflow opened is closed as failed (no node ran)."""
        if problems:
            refuse_run(
                f"{self.dataset}: {'; '.join(problems)}. Fix the {self.dataset} entry of the catalog "
                "(conf/local/catalog.yml overrides conf/base/catalog.yml)"
            )


MAX_TAG_CHARS = 5000  # MLflow refuses longer tag values (8,000 characters in mlflow 3)


def raw_database_tags(info: dict) -> dict[str, str]:
    """MLflow tags naming the raw database of `RawDataLogHook`'s summary (address with the password
    hidden, schema file, rows per table, sample): runs on several databases share every parameter,
    so without them the UI could not tell which database a run synthesised."""
    tags = {"raw_database.path": info["path"], "raw_database.rows": json.dumps(info["rows"])}
    if info.get("schema_path"):
        tags["raw_database.schema_path"] = info["schema_path"]
    if info.get("sample"):
        tags["raw_database.sample"] = json.dumps(info["sample"])
    return {
        key: value if len(value) <= MAX_TAG_CHARS else value[: MAX_TAG_CHARS - 1] + "…" for key, value in tags.items()
    }


def refuse_run(message: str) -> None:
    """Stop a run before any node with a `SettingsError`, closing as failed the MLflow run that
    kedro-mlflow opened for it."""
    if mlflow.active_run() is not None:
        mlflow.end_run(status="FAILED")
    raise SettingsError(message)


class ParamsCheckHook:
    """Before every run: the parameter groups the run reads are checked, keys and values, as their
    nodes would check them (`relsynth.pipelines.checks`), so a bad `--params` value stops the run in
    one line naming its group, not after the models before its node have trained; and so is a
    `--params` group that no registered pipeline reads but one is spelt like (`tabular_trainng`)."""

    read_outside_nodes = ("threads", "text_tables")  # ThreadsHook, and pipeline_registry

    def __init__(self, pipelines: Mapping[str, Pipeline] | None = None):
        self.pipelines = pipelines  # None: the project's registered pipelines

    @hook_impl
    def before_pipeline_run(self, run_params: dict, pipeline, catalog) -> None:
        from relsynth.pipelines.checks import check_parameter_groups, unread_groups  # loaded with the run

        typos, notes = unread_groups(run_params.get("runtime_params") or {}, self.read_groups())
        for note in notes:
            logging.getLogger(__name__).warning(note)
        if typos:
            refuse_run("; ".join(typos))
        names = [n for n in sorted(pipeline.inputs()) if n.startswith("params:") and "." not in n]
        groups = {n.removeprefix("params:"): catalog.load(n) for n in names if n in catalog}
        if "dp" not in groups and "params:dp" in catalog:  # the DP preset decides what training checks
            groups["dp"] = catalog.load("params:dp")
        text = any((n.namespace or "").split(".")[0] in ("text_training", "text_generation") for n in pipeline.nodes)
        if text and "text_tables" not in groups and "params:text_tables" in catalog:  # text models under DP
            groups["text_tables"] = catalog.load("params:text_tables")
        problems = check_parameter_groups(groups)
        if problems:
            refuse_run(
                "; ".join(problems) + ". Fix the parameter in conf/base/parameters_<pipeline>.yml (or conf/local), "
                "or the --params value"
            )

    def read_groups(self) -> set[str]:
        """The parameter groups that some registered pipeline reads (`params:<group>[.<key>]`)."""
        if self.pipelines is None:
            from kedro.framework.project import pipelines as registered

            self.pipelines = dict(registered)
        inputs = {name for p in self.pipelines.values() for name in p.inputs() if name.startswith("params:")}
        return {name.removeprefix("params:").split(".")[0] for name in inputs} | set(self.read_outside_nodes)


class MissingInputsHook:
    """Before every run: a pipeline run on its own (`kedro run --pipelines generation`) whose inputs
    an earlier pipeline writes, and which are not there yet (a fresh clone, a deleted folder), stops
    in one line naming each missing input, where it is looked for and the pipeline that writes it,
    instead of a loading traceback after the first nodes ran."""

    skip = ("raw_database",)  # checked by RawDataLogHook, which names its settings

    def __init__(self, pipelines: Mapping[str, Pipeline] | None = None):
        self.pipelines = pipelines  # None: the project's registered pipelines

    @hook_impl
    def before_pipeline_run(self, pipeline, catalog) -> None:
        missing = [
            name
            for name in sorted(pipeline.inputs())
            if not name.startswith("params:") and name != "parameters" and name not in self.skip
            and name in catalog and not catalog.exists(name)
        ]  # fmt: skip
        if missing:
            refuse_run(
                "this run reads what earlier pipelines write, and it is not there yet: "
                + "; ".join(self._describe(name, catalog) for name in missing)
                + ". Run those pipelines first, or `kedro run` for everything"
            )

    def _describe(self, name: str, catalog) -> str:
        ds = catalog.get(name)
        where = getattr(ds, "_path", None) or getattr(ds, "_filepath", None)
        writers = self.writers(name)
        by = f"`kedro run --pipelines {writers[0]}` writes it" if writers else "no pipeline writes it"
        return f"{name} ({where}): {by}" if where else f"{name}: {by}"

    def writers(self, name: str) -> list[str]:
        """The registered pipelines that write `name`, smallest first (not `__default__`)."""
        if self.pipelines is None:
            from kedro.framework.project import pipelines as registered

            self.pipelines = dict(registered)
        found = [(len(p.nodes), n) for n, p in self.pipelines.items() if n != "__default__" and name in p.all_outputs()]
        return [n for _, n in sorted(found)]


class CatalogCheckHook:
    """After the catalog is created, before any plugin reads it: every entry is built, and one that
    cannot be (a misspelt `type`, an unknown key) stops the command in one line naming the entry,
    instead of a traceback through kedro-mlflow, which builds every entry next."""

    @hook_impl(tryfirst=True)
    def after_catalog_created(self, catalog) -> None:
        for name in list(catalog.keys()):
            try:
                catalog.get(name)
            except Exception as exc:  # noqa: BLE001 - any error building an entry is a setting to fix
                message = " ".join(str(exc).split())
                raise SettingsError(
                    f"catalog entry {name!r} cannot be created: {message} "
                    "(conf/local/catalog.yml overrides conf/base/catalog.yml)"
                ) from exc


class TrackingStoreCheckHook:
    """Before every run, ahead of kedro-mlflow opening its run: an MLflow store in an SQLite file that
    this account cannot write (another account's file, a read-only folder) stops the run in one line
    naming the file, instead of ~600 lines of SQLAlchemy tracebacks ending in "attempt to write a
    readonly database"."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self) -> None:
        problem = sqlite_store_problem(mlflow.get_tracking_uri())
        if problem:
            raise SettingsError(
                f"the MLflow store {problem}: make it writable, or set server.mlflow_tracking_uri in "
                "conf/local/mlflow.yml to a file of yours"
            )


def sqlite_store_problem(uri: str) -> str | None:
    """Why an `sqlite:///` tracking store cannot be written to, or None (other stores: not checked)."""
    if not uri.startswith("sqlite:"):
        return None
    database = make_url(uri).database
    if not database or database == ":memory:":
        return None
    file = Path(database).resolve()
    if file.exists() and not os.access(file, os.R_OK | os.W_OK):
        return f"{file} cannot be written by this account"
    folder = next(p for p in file.parents if p.exists())  # mlflow makes missing folders
    if not os.access(folder, os.W_OK | os.X_OK):  # SQLite writes its journal beside the file
        return f"{file} is in a folder this account cannot write ({folder})"
    return None


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


class InterruptHook:
    """A run stopped by Ctrl-C (SIGINT) or `kill` (SIGTERM) closes its MLflow run as KILLED and says
    which node it stopped in and what is kept.

    Kedro calls no hook for a `KeyboardInterrupt` (its runner catches `Exception` only), so without
    this mlflow's own exit handler closed the run as FINISHED, like a complete one. SIGTERM, which
    would end the process without unwinding, raises `SystemExit(143)` during a run instead, so the
    atomic saves in progress remove their temporary folders as they do on any error."""

    exit_code = 128 + signal.SIGTERM

    def __init__(self) -> None:
        self.running, self.node, self.reason = False, None, None
        self.registered, self.previous_sigterm = False, None

    @hook_impl
    def before_pipeline_run(self) -> None:
        self.running, self.node, self.reason = True, None, None
        if not self.registered:  # after mlflow's (imported above): exit handlers run last-registered first
            atexit.register(self.close_interrupted)
            self.registered = True
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                signal.signal(signal.SIGINT, self._on_sigint)
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                self.previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self.node = node.name

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._finished()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._finished()  # kedro-mlflow closes the run as FAILED

    def _finished(self) -> None:
        self.running = False
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) == self._on_sigint:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
                signal.signal(signal.SIGTERM, self.previous_sigterm or signal.SIG_DFL)

    def _on_sigint(self, signum, frame) -> None:
        self.reason = "stopped by Ctrl-C (SIGINT)"
        signal.default_int_handler(signum, frame)

    def _on_sigterm(self, signum, frame) -> None:
        self.reason = "stopped by SIGTERM"
        raise SystemExit(self.exit_code)

    def close_interrupted(self) -> None:
        """At exit, a run stopped by one of the signals above: its MLflow runs closed as KILLED. (A
        run refused by a hook before its first node neither completes nor fails, and is no such run.)"""
        if not self.running or self.reason is None:
            return
        self.running = False
        closed = []
        while (run := mlflow.active_run()) is not None:
            closed.append(run.info.run_id)
            mlflow.end_run(status="KILLED")
        where = f"in node {self.node}" if self.node else "before its first node"
        again = f"`kedro run --from-nodes {self.node}` to start from that node" if self.node else "`kedro run`"
        mlflow_note = f"; MLflow run {', '.join(dict.fromkeys(closed))} closed as KILLED" if closed else ""
        logging.getLogger(__name__).warning(
            "run %s %s%s. The outputs of the nodes that completed are kept, each written whole, and an output "
            "being saved was discarded; run again, or %s",
            self.reason,
            where,
            mlflow_note,
            again,
        )

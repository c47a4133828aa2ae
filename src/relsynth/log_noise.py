"""Third-party noise that every `kedro run` printed and no user can act on, silenced at its source
module, so that a warning left in a run's log means something and a log file has no bars.

- omegaconf 2.4 deprecates `register_new_resolver`, which Kedro's config loader and
  kedro-mlflow's hook still call (their fix, not ours): filtered for those two modules only.
- mlflow warns when a `PythonModel` subclass has an untyped `predict`; kedro-mlflow's
  `KedroPipelineModel` has one, and its module is imported when Kedro loads the plugin's CLI,
  before the project's settings. mlflow raises it under its own `simplefilter("once")`, which
  outranks any filter of ours, so `before_kedro_cli` (the `kedro.init` entry point in
  pyproject.toml, which Kedro calls before loading any plugin) imports that module recording its
  warnings and shows all but this one: an untyped model of our own still warns.
- A warning captured into the log is its message and file:line (`short_warning`), not Python's
  format with the whole path and the line of code that raised it.
- mlflow draws tqdm bars while it copies a model's artifacts; off a terminal they are
  carriage-return lines in the log, so they are turned off there (MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR,
  unless the environment sets it).

settings.py calls `quiet_kedro_run` for sessions created from Python too. Kedro side only: the
library (relational, synth, eval) never filters warnings.
"""

from __future__ import annotations

import os
import re
import sys
import warnings

RESOLVER_DEPRECATION = r"register_new_resolver\(\) is deprecated"
RESOLVER_CALLERS = r"(kedro\.config\.omegaconf_config|kedro_mlflow\.framework\.hooks\.mlflow_hook)$"
UNTYPED_PREDICT = re.compile(r".*Add type hints to the `predict` method")  # the message starts with a colour code
MLFLOW_BARS = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


def quiet_kedro_run() -> None:
    """The filter of omegaconf's deprecation, warnings logged as their message (`short_warning`),
    and no mlflow artifact bars off a terminal."""
    filter_third_party_warnings()
    warnings.formatwarning = short_warning
    if not sys.stderr.isatty():
        os.environ.setdefault(MLFLOW_BARS, "false")


def filter_third_party_warnings() -> None:
    """Ignore omegaconf's deprecation of `register_new_resolver` where Kedro and kedro-mlflow call it."""
    warnings.filterwarnings("ignore", message=RESOLVER_DEPRECATION, category=UserWarning, module=RESOLVER_CALLERS)


def short_warning(message, category, filename, lineno, line=None) -> str:  # noqa: ARG001 - the formatwarning signature
    """A warning as Kedro's log captures it: its category, message and file:line, without the full
    path and the source line of Python's format, which a log wraps over many lines and no user reads."""
    return f"{category.__name__}: {message} ({os.path.basename(filename)}:{lineno})\n"


def before_kedro_cli() -> None:
    """Kedro's `kedro.init` hook: `quiet_kedro_run`, and kedro-mlflow's pyfunc module imported quietly."""
    quiet_kedro_run()
    import kedro.framework.project  # noqa: F401 - its logging setup captures warnings: done first, not undone below

    with warnings.catch_warnings(record=True) as caught:
        try:
            import kedro_mlflow.mlflow  # noqa: F401 - defines KedroPipelineModel, whose predict is untyped
        except ImportError:
            pass  # kedro-mlflow not installed: nothing to quieten
    for w in caught:
        if not (_is_untyped_predict(w.message) and "mlflow" in w.filename):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _is_untyped_predict(message: Warning | str) -> bool:
    return UNTYPED_PREDICT.match(str(message)) is not None

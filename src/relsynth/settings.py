"""Project settings: Kedro's defaults except where noted.

Hooks of installed plugins (kedro-mlflow, kedro-viz) register themselves. For every setting see
https://docs.kedro.org/en/stable/configure/configuration_basics/
"""

from relsynth.config_loader import LocalUnderEnvConfigLoader
from relsynth.hooks import (
    CatalogCheckHook,
    InterruptHook,
    MissingInputsHook,
    NodeTimingHook,
    ParamsCheckHook,
    RawDataLogHook,
    ThreadsHook,
    TrackingStoreCheckHook,
)
from relsynth.log_noise import quiet_kedro_run

# Third-party warnings no user can act on, filtered by the module raising them, and no mlflow bars
# in log files (log_noise.py; the kedro.init entry point in pyproject.toml does it earlier for the CLI).
quiet_kedro_run()

# Configuration: conf/base holds every parameter; `kedro run` also reads conf/local (machine-specific
# overrides, not committed). `kedro run --env fast` reads conf/base, then conf/local, then conf/fast:
# an override in conf/local (the README's advice, e.g. another raw_database) holds in every environment.
CONFIG_LOADER_CLASS = LocalUnderEnvConfigLoader
# Parameter groups merge key by key across the layers (soft), so an override names only the keys it
# changes. Kedro's default (destructive) replaces a whole group, and it applies `--params` to each
# layer before merging them: with any parameters file in conf/local, `--params "text_training.n_epochs=8"`
# left text_training holding n_epochs alone, and the run stopped with `params:text_training.seed not found`.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "merge_strategy": {"parameters": "soft"},
}

# Every run logs which raw database it reads (path, schema, rows per table) before any node runs,
# and how long each node took. A catalog entry that cannot be created, or an input an earlier pipeline
# writes and is not there yet, stops the command in one line; so does a parameter its node would refuse.
HOOKS = (
    CatalogCheckHook(),
    RawDataLogHook(),
    ParamsCheckHook(),
    MissingInputsHook(),
    ThreadsHook(),
    NodeTimingHook(),
    InterruptHook(),
    TrackingStoreCheckHook(),
)

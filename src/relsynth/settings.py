"""Project settings: Kedro's defaults except where noted.

Hooks of installed plugins (kedro-mlflow, kedro-viz) register themselves. For every setting see
https://docs.kedro.org/en/stable/configure/configuration_basics/
"""

# Configuration: conf/base holds every parameter; `kedro run` also reads conf/local (machine-specific
# overrides, not committed); `kedro run --env fast` reads conf/fast instead, for quick runs.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}

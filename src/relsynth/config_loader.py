"""The project's config loader: Kedro's `OmegaConfigLoader` with conf/local under every environment.

Kedro merges two layers, `base` and the run's environment, so with `kedro run --env fast` the
machine's own overrides in conf/local (another `raw_database`, ...) would be ignored and the run
would quietly process the shipped data. This loader merges three: conf/base, then conf/local,
then the run's environment (conf/fast), each replacing the top-level keys of the one below, as
Kedro does between its two (or merging deeply where `merge_strategy` says "soft").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader
from omegaconf import OmegaConf


class LocalUnderEnvConfigLoader(OmegaConfigLoader):
    """`OmegaConfigLoader` whose layers are base, then `default_run_env` (local), then `env`."""

    def __getitem__(self, key: str) -> dict[str, Any]:
        run_env, local = self.env or self.default_run_env, self.default_run_env
        below_only = (
            key in self.data
            or key not in self.config_patterns
            or run_env in (self.base_env, local)
            or not local
            or not (Path(self.conf_source) / local).is_dir()
        )
        if below_only:
            return super().__getitem__(key)
        below = self._layer(key, env=local, base_env=self.base_env)  # conf/base + conf/local
        own = self._layer(key, env=None, base_env=run_env)  # conf/<env> alone
        if self.merge_strategy.get(key) == "soft":
            return OmegaConf.to_container(OmegaConf.merge(below, own), resolve=True)
        return {**below, **own}

    def _layer(self, key: str, env: str | None, base_env: str) -> dict[str, Any]:
        loader = OmegaConfigLoader(
            conf_source=self.conf_source,
            env=env,
            runtime_params=self.runtime_params,
            config_patterns=self.config_patterns,
            base_env=base_env,
            default_run_env=env or base_env,
            merge_strategy=self.merge_strategy,
        )
        return loader[key]

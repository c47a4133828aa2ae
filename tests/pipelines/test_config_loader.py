"""conf/local lies under every environment: the README's override advice holds for `--env fast`."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog

from relsynth.config_loader import LocalUnderEnvConfigLoader
from relsynth.datasets import RelationalDataDataset
from relsynth.hooks import RawDataLogHook

REPO = Path(__file__).resolve().parents[2]


def _conf(tmp_path: Path) -> Path:
    conf = tmp_path / "conf"
    for env, catalog, params in [
        ("base", "raw_database: {type: pandas.CSVDataset, filepath: shipped.csv}", "a: {x: 1}\nb: {y: 1}"),
        ("local", "raw_database: {type: pandas.CSVDataset, filepath: mine.csv}", "b: {y: 2}"),
        ("fast", "other: {type: pandas.CSVDataset, filepath: o.csv}", "a: {x: 3}"),
    ]:
        (conf / env).mkdir(parents=True)
        (conf / env / "catalog.yml").write_text(catalog)
        (conf / env / "parameters.yml").write_text(params)
    return conf


def _loader(conf: Path, env: str | None) -> LocalUnderEnvConfigLoader:
    return LocalUnderEnvConfigLoader(conf_source=str(conf), env=env, base_env="base", default_run_env="local")


def test_a_local_catalog_override_holds_under_env_fast(tmp_path):
    catalog = _loader(_conf(tmp_path), "fast")["catalog"]
    assert catalog["raw_database"]["filepath"] == "mine.csv"  # conf/local, not the shipped data
    assert catalog["other"]["filepath"] == "o.csv"


def test_layers_are_base_then_local_then_the_environment(tmp_path):
    conf = _conf(tmp_path)
    assert _loader(conf, "fast")["parameters"] == {"a": {"x": 3}, "b": {"y": 2}}
    assert _loader(conf, None)["parameters"] == {"a": {"x": 1}, "b": {"y": 2}}  # plain run: base + local
    assert _loader(conf, "local")["parameters"] == {"a": {"x": 1}, "b": {"y": 2}}


@pytest.mark.parametrize("env", [None, "fast"])
def test_params_and_local_overrides_change_only_the_keys_they_name(tmp_path, env):
    """With the project's settings, `--params "a.x=5"` and a conf/local file that sets one key of a
    group leave the group's other keys as conf/base has them (Kedro's default merge dropped them
    when conf/local held any parameters file)."""
    from relsynth import settings

    conf = tmp_path / "conf"
    for layer, params in [("base", "a: {x: 1, seed: 0}\nb: {y: 1, z: 1}"), ("local", "b: {y: 2}"), ("fast", "c: 1")]:
        (conf / layer).mkdir(parents=True)
        (conf / layer / "parameters.yml").write_text(params)
    loader = LocalUnderEnvConfigLoader(
        conf_source=str(conf), env=env, runtime_params={"a": {"x": 5}}, **settings.CONFIG_LOADER_ARGS
    )
    params = loader["parameters"]
    assert params["a"] == {"x": 5, "seed": 0}  # --params: one key changed, the seed kept
    assert params["b"] == {"y": 2, "z": 1}  # conf/local: one key changed


def test_the_project_uses_the_layered_loader():
    from relsynth import settings

    assert settings.CONFIG_LOADER_CLASS is LocalUnderEnvConfigLoader
    params = _loader(REPO / "conf", "fast")["parameters"]
    assert params["tabular_training"]["n_epochs"] == 2 and "split" in params


def test_every_run_logs_the_raw_database_path_and_rows(tmp_path, caplog):
    raw = tmp_path / "raw"
    raw.mkdir()
    pd.DataFrame({"id": [1, 2, 3]}).to_csv(raw / "t.csv", index=False)
    pd.DataFrame({"id": [1, 2], "t": [1, 1]}).to_parquet(raw / "c.parquet")
    (raw / "schema.yaml").write_text(
        "tables:\n  t: {columns: {id: primary_key}}\n  c: {columns: {id: primary_key, t: {foreign_key: t}}}\n"
    )
    catalog = DataCatalog({"raw_database": RelationalDataDataset(path=str(raw))})
    with caplog.at_level(logging.INFO, logger="relsynth.hooks"):
        RawDataLogHook().before_pipeline_run({"env": "fast"}, None, catalog)
    assert str(raw.resolve()) in caplog.text and "{'t': 3, 'c': 2}" in caplog.text and "env fast" in caplog.text

"""Project pipelines: every `pipelines/<name>/` package, and `__default__` runs them all.

text_training, text_generation and mlflow_model hold one text model per table of the `text_tables` parameter,
so that parameter is read here, when the pipelines are created (Kedro's dynamic pipelines), with
the project's config loader: from conf/base and the default environment (conf/local), or the
environment named by `KEDRO_ENV`. `kedro run --env` and `--params` come too late to change it
(the text_generation node checks that this run's `text_tables` agrees).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from pathlib import Path

from kedro.framework.project import settings
from kedro.pipeline import Pipeline
from kedro.utils import find_kedro_project

import relsynth.pipelines
from relsynth.pipelines import mlflow_model, text_generation, text_tables, text_training


def register_pipelines() -> dict[str, Pipeline]:
    """Map pipeline names to pipelines; `kedro run` without `--pipeline` runs `__default__`.

    Besides one entry per package, `text_training.<table>` runs one table's text model.
    """
    tables = configured_text_tables()
    pipelines = package_pipelines()
    pipelines["text_training"] = text_training.create_pipeline(text_tables=tables)
    pipelines["text_generation"] = text_generation.create_pipeline(text_tables=tables)
    pipelines["mlflow_model"] = mlflow_model.create_pipeline(text_tables=tables)
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    pipelines.update({f"text_training.{table}": text_training.create_table_pipeline(table) for table in tables})
    return pipelines


def package_pipelines() -> dict[str, Pipeline]:
    """`create_pipeline()` of every package under `relsynth/pipelines`, as Kedro's `find_pipelines`
    finds them. Not `find_pipelines` itself: since Kedro 1.7 it imports only the packages that
    `kedro run --pipelines` names, and refuses a name that is no package, so the README's
    `kedro run --pipelines text_training.album` stopped with an ImportError."""
    found = {}
    for module in pkgutil.iter_modules(relsynth.pipelines.__path__):
        if module.ispkg:
            found[module.name] = importlib.import_module(f"relsynth.pipelines.{module.name}").create_pipeline()
    return found


def configured_text_tables(project_path: Path | None = None, env: str | None = None) -> list[str]:
    """The `text_tables` parameter of the project at `project_path` (default: the Kedro project
    around the working directory) in `env` (default: `KEDRO_ENV`, else the default environment)."""
    project_path = project_path or find_kedro_project(Path.cwd()) or Path.cwd()
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(Path(project_path) / settings.CONF_SOURCE),
        env=env or os.getenv("KEDRO_ENV"),
        **settings.CONFIG_LOADER_ARGS,
    )
    parameters = loader["parameters"]
    if "text_tables" not in parameters:
        raise ValueError(
            f"no text_tables parameter in {Path(project_path) / settings.CONF_SOURCE}: set it in "
            "conf/base/parameters_text_training.yml to the tables that get a text model ([] for none)"
        )
    return text_tables(parameters["text_tables"])

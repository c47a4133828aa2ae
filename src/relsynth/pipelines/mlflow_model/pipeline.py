"""The mlflow_model pipeline: `tabular_model` and each table's `text_model_<table>` -> one MLflow
model in the run, registered under `params:mlflow_model`'s name.

It reads `evaluation_scores` (the registered version is tagged with them), so it runs last, after
a database was generated and scored. Like text_generation, it is created for the tables of the
`text_tables` parameter (see `pipeline_registry`).
"""

from __future__ import annotations

from collections.abc import Sequence

from kedro.pipeline import Pipeline, node

from relsynth.pipelines._params import text_model_dataset
from relsynth.pipelines._params import text_tables as check_tables
from relsynth.pipelines.mlflow_model.nodes import log_synthesizer_model

PARAMETERS = ("params:mlflow_model", "params:tabular_generation", "params:text_generation")


def create_pipeline(text_tables: Sequence[str] = (), **kwargs) -> Pipeline:
    models = [text_model_dataset(table) for table in check_tables(text_tables)]
    return Pipeline(
        [
            node(
                log_synthesizer_model,
                inputs=["tabular_model", "evaluation_scores", *PARAMETERS, *models],
                outputs=None,
                name="log_synthesizer_model",
            ),
        ],
        namespace="mlflow_model",
        inputs={"tabular_model", "evaluation_scores", *models},
        parameters=set(PARAMETERS),
        tags="mlflow_model",
    )

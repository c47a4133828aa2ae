"""The text_generation pipeline: `synthetic_tabular` and each table's `text_model_<table>`
-> `synthetic_database` (the synthetic tables with their text columns written), also written as a
database: `synthetic_database_sql`, and `text_generation_warnings` (what the library logged as warnings
meanwhile, for the report).

Like text_training, it is created for the tables of the `text_tables` parameter (see
`pipeline_registry`); without tables it copies `synthetic_tabular` as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from kedro.pipeline import Pipeline, node

from relsynth.pipelines._params import text_model_dataset
from relsynth.pipelines._params import text_tables as check_tables
from relsynth.pipelines.text_generation.nodes import export_database, fill_texts


def create_pipeline(text_tables: Sequence[str] = (), **kwargs) -> Pipeline:
    models = [text_model_dataset(table) for table in check_tables(text_tables)]
    return Pipeline(
        [
            node(
                fill_texts,
                inputs=["synthetic_tabular", "database_train", "params:text_generation", "params:text_tables", *models],
                outputs=["synthetic_database", "text_generation_warnings"],
                name="fill_texts",
            ),
            node(
                export_database, inputs="synthetic_database", outputs="synthetic_database_sql", name="export_database"
            ),
        ],
        namespace="text_generation",
        inputs={"synthetic_tabular", "database_train", *models},
        outputs={"synthetic_database", "synthetic_database_sql", "text_generation_warnings"},
        parameters={"params:text_generation", "params:text_tables"},
        tags="text_generation",
    )

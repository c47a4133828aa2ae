"""The data_processing pipeline: `raw_database` -> `database_train`, `database_valid`, `database_test`."""

from kedro.pipeline import Pipeline, node

from relsynth.pipelines.data_processing.nodes import split_database, validate_database


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                validate_database,
                inputs=["raw_database", "params:text_tables"],
                outputs="database",
                name="validate_database",
            ),
            node(
                split_database,
                inputs=["database", "params:split"],
                outputs=["database_train", "database_valid", "database_test"],
                name="split_database_by_root_entity",
            ),
        ],
        namespace="data_processing",
        inputs="raw_database",
        outputs={"database_train", "database_valid", "database_test"},
        parameters={"params:split", "params:text_tables"},
        tags="data_processing",
    )

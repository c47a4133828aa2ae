"""The materialisation pipeline: `database_train`, `database_valid` -> `tabular_dataset_train`, `tabular_dataset_valid`."""

from kedro.pipeline import Pipeline, node

from relsynth.pipelines.materialisation.nodes import encode_tabular_dataset


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                encode_tabular_dataset,
                inputs=["database_train", "tabular_preproc", "params:tabular_dataset"],
                outputs="tabular_dataset_train",
                name="encode_train_dataset",
            ),
            node(
                encode_tabular_dataset,
                inputs=["database_valid", "tabular_preproc", "params:tabular_dataset"],
                outputs="tabular_dataset_valid",
                name="encode_valid_dataset",
            ),
        ],
        namespace="materialisation",
        inputs={"database_train", "database_valid", "tabular_preproc"},
        outputs={"tabular_dataset_train", "tabular_dataset_valid"},
        parameters={"params:tabular_dataset"},
        tags="materialisation",
    )

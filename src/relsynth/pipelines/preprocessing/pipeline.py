"""The preprocessing pipeline: `database_train` -> `tabular_preproc`."""

from kedro.pipeline import Pipeline, node

from relsynth.pipelines.preprocessing.nodes import fit_tabular_preproc


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                fit_tabular_preproc,
                inputs=["database_train", "params:tabular_encoding", "params:dp"],
                outputs="tabular_preproc",
                name="fit_tabular_preproc",
            ),
        ],
        namespace="preprocessing",
        inputs="database_train",
        outputs="tabular_preproc",
        parameters={"params:tabular_encoding", "params:dp"},
        tags="preprocessing",
    )

"""The tabular_training pipeline: `tabular_preproc`, `tabular_dataset_train`, `tabular_dataset_valid` ->
`tabular_model`, `tabular_training_summary`, `tabular_training_metrics`."""

from kedro.pipeline import Pipeline, node

from relsynth.pipelines.tabular_training.nodes import build_tabular_model, train_tabular_model, training_metrics

PARAMETERS = {
    "params:tabular_architecture",
    "params:tabular_training",
    "params:tabular_training.seed",
    "params:tabular_validation",
    "params:dp",
}


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                build_tabular_model,
                inputs=[
                    "tabular_preproc",
                    "tabular_dataset_train",
                    "params:tabular_architecture",
                    "params:tabular_training.seed",
                ],
                outputs="untrained_tabular_model",
                name="build_tabular_model",
            ),
            node(
                train_tabular_model,
                inputs=[
                    "untrained_tabular_model",
                    "tabular_dataset_train",
                    "tabular_dataset_valid",
                    "params:tabular_training",
                    "params:tabular_validation",
                    "params:dp",
                ],
                outputs=["tabular_model", "tabular_training_summary"],
                name="train_tabular_model",
            ),
            node(
                training_metrics,
                inputs="tabular_training_summary",
                outputs="tabular_training_metrics",
                name="select_training_metrics",
            ),
        ],
        namespace="tabular_training",
        inputs={"tabular_preproc", "tabular_dataset_train", "tabular_dataset_valid"},
        outputs={"tabular_model", "tabular_training_summary", "tabular_training_metrics"},
        parameters=PARAMETERS,
        tags="tabular_training",
    )

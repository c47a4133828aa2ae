"""The text_training pipeline: `database_train` -> `text_models`; `synthetic_tabular`, `text_models`
-> `synthetic_database` (the synthetic tables with their text columns written)."""

from kedro.pipeline import Pipeline, node

from relsynth.pipelines.text_training.nodes import fill_texts, train_text_models


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                train_text_models,
                inputs=[
                    "database_train",
                    "params:text_models",
                    "params:text_preproc",
                    "params:text_architecture",
                    "params:text_training",
                ],
                outputs="text_models",
                name="train_text_models",
            ),
            node(
                fill_texts,
                inputs=["synthetic_tabular", "text_models", "params:text_generation"],
                outputs="synthetic_database",
                name="fill_texts",
            ),
        ],
        namespace="text_training",
        inputs={"database_train", "synthetic_tabular"},
        outputs={"text_models", "synthetic_database"},
        parameters={
            "params:text_models",
            "params:text_preproc",
            "params:text_architecture",
            "params:text_training",
            "params:text_generation",
        },
        tags="text_training",
    )

"""The generation pipeline: `tabular_model` -> `synthetic_tabular` (text columns empty: text_training
fills them) and `generation_warnings` (what the library logged as warnings meanwhile, for the report)."""

from kedro.pipeline import Pipeline, node

from relsynth.pipelines.generation.nodes import generate_synthetic_database


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                generate_synthetic_database,
                inputs=["tabular_model", "database_train", "params:tabular_generation"],
                outputs=["synthetic_tabular", "generation_warnings"],
                name="generate_synthetic_database",
            ),
        ],
        namespace="generation",
        inputs={"tabular_model", "database_train"},
        outputs={"synthetic_tabular", "generation_warnings"},
        parameters={"params:tabular_generation"},
        tags="generation",
    )

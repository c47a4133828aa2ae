"""The evaluation pipeline: `database_train`, `database_test`, `synthetic_database`,
`tabular_training_summary` (whether and how the model was trained under DP), `generation_warnings`
and `text_generation_warnings` (what generating it warned: the report lists them), `text_training_warnings`
(what fitting and training the text models warned: listed apart) ->
`evaluation_scores` (JSON), `evaluation_report` (HTML; both also MLflow artifacts),
`evaluation_metrics` (MLflow metrics)."""

from kedro.pipeline import Pipeline, node

from relsynth.pipelines.evaluation.nodes import evaluate_synthetic_database, evaluation_metrics


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(
                evaluate_synthetic_database,
                inputs=[
                    "database_train",
                    "database_test",
                    "synthetic_database",
                    "tabular_training_summary",
                    "params:evaluation",
                    "generation_warnings",
                    "text_generation_warnings",
                    "text_training_warnings",
                ],
                outputs=["evaluation_scores", "evaluation_report"],
                name="evaluate_synthetic_database",
            ),
            node(
                evaluation_metrics,
                inputs="evaluation_scores",
                outputs="evaluation_metrics",
                name="select_evaluation_metrics",
            ),
        ],
        namespace="evaluation",
        inputs={
            "database_train",
            "database_test",
            "synthetic_database",
            "tabular_training_summary",
            "generation_warnings",
            "text_generation_warnings",
            "text_training_warnings",
        },
        outputs={"evaluation_scores", "evaluation_report", "evaluation_metrics"},
        parameters={"params:evaluation"},
        tags="evaluation",
    )

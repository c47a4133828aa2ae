"""The mlflow_model pipeline: log the trained models as one MLflow model and register it."""

from relsynth.pipelines.mlflow_model.pipeline import create_pipeline

__all__ = ["create_pipeline"]

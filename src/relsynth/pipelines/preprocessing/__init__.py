"""The preprocessing pipeline: fit the tabular preprocessor on the training database."""

from relsynth.pipelines.preprocessing.pipeline import create_pipeline

__all__ = ["create_pipeline"]

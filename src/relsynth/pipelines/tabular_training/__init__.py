"""The tabular_training pipeline: build and train the tabular model."""

from relsynth.pipelines.tabular_training.pipeline import create_pipeline

__all__ = ["create_pipeline"]

"""The generation pipeline: sample a synthetic database from the trained tabular model."""

from relsynth.pipelines.generation.pipeline import create_pipeline

__all__ = ["create_pipeline"]

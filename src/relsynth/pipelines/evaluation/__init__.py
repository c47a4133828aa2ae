"""The evaluation pipeline: score the synthetic database against the held-out test part."""

from relsynth.pipelines.evaluation.pipeline import create_pipeline

__all__ = ["create_pipeline"]

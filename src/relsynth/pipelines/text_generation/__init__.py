"""The text_generation pipeline: write the text columns of the synthetic tables with the text models."""

from relsynth.pipelines.text_generation.pipeline import create_pipeline

__all__ = ["create_pipeline"]

"""The text_training pipeline: train one text model per table with text columns, fill the texts."""

from relsynth.pipelines.text_training.pipeline import create_pipeline

__all__ = ["create_pipeline"]

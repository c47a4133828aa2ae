"""The text_training pipeline: one namespaced modular pipeline per table of `text_tables`, each
training that table's text model."""

from relsynth.pipelines.text_training.pipeline import create_pipeline, create_table_pipeline

__all__ = ["create_pipeline", "create_table_pipeline"]

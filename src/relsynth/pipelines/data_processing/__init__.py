"""The data_processing pipeline: raw tables -> validated RelationalData -> train/valid/test."""

from relsynth.pipelines.data_processing.pipeline import create_pipeline

__all__ = ["create_pipeline"]

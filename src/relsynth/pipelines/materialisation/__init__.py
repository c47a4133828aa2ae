"""The materialisation pipeline: the training and validation databases encoded as token datasets."""

from relsynth.pipelines.materialisation.pipeline import create_pipeline

__all__ = ["create_pipeline"]

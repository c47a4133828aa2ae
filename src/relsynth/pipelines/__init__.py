"""Kedro pipelines: one package per pipeline, each a thin adapter over the library.

`text_tables` checks the parameter of that name, from which `pipeline_registry` creates the text
pipelines (one per table).
"""

from relsynth.pipelines._params import text_tables

__all__ = ["text_tables"]

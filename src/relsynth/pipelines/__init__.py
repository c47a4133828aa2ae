"""Kedro pipelines: one package per pipeline, each a thin adapter over the library."""

"""Tests of the Kedro pipelines, one package per pipeline."""

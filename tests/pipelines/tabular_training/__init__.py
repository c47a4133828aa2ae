"""Tests of the tabular_training pipeline."""

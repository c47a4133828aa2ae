"""Tests of the text_training pipeline."""

"""Tests of the preprocessing pipeline."""

"""Tests of the generation pipeline."""

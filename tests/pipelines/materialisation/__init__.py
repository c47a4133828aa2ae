"""Tests of the materialisation pipeline."""

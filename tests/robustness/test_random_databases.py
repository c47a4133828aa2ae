"""Random databases (`random_db.py`) through infer, fit, one epoch and a generation: the fitted
rules meet shapes nobody wrote a test for (a category never beside a number, one-row tables, a
table of no rows, integers past 2**53, every value null), and none may stop with an internal error."""

from __future__ import annotations

import time
import warnings

import pytest
import random_db
from random_db import run

# 1-4 tables, 1 to 150 roots, one table alone, 4 tables of one row, 1,515 children of 150 roots, DP at epsilon 10
SEEDS = [1, 3, 7, 8, 9, 10, 12, 14]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_a_random_database_is_synthesised(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the data's quirks warn by design (all-null columns, rare values)
        assert run(seed) == ("ok", "")


def test_a_sweep_reports_a_seed_that_never_ends_as_a_timeout_and_goes_on(monkeypatch):
    """A generation that never ended (seed 1247 under DP, before `RunawayEntity`) held the whole sweep."""
    monkeypatch.setattr(random_db, "run", lambda seed: time.sleep(30) or ("ok", ""))
    start = time.perf_counter()
    assert random_db.run_within(0, 1) == ("TIMEOUT", "still running after 1 s")
    assert time.perf_counter() - start < 5
    monkeypatch.setattr(random_db, "run", lambda seed: ("ok", ""))
    assert random_db.run_within(0, 1) == ("ok", "")
    time.sleep(1.5)  # the alarm was cancelled: nothing fires after a seed that ended in time


def test_a_generation_relsynth_stops_as_running_away_is_reported_as_stopped(monkeypatch):
    def running_away(seed):
        raise random_db.RunawayEntity("generate: an entity of t0 grew past 2,048 tokens")

    monkeypatch.setattr(random_db, "_run", running_away)
    assert run(0) == ("stopped", "generate: an entity of t0 grew past 2,048 tokens")

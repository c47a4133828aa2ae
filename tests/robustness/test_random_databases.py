"""Random databases (`random_db.py`) through infer, fit, one epoch and a generation: the fitted
rules meet shapes nobody wrote a test for (a category never beside a number, one-row tables, a
table of no rows, integers past 2**53, every value null), and none may stop with an internal error."""

from __future__ import annotations

import warnings

import pytest
from random_db import run

# 1-4 tables, 1 to 150 roots, one table alone, 4 tables of one row, 1,515 children of 150 roots, DP at epsilon 10
SEEDS = [1, 3, 7, 8, 9, 10, 12, 14]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_a_random_database_is_synthesised(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the data's quirks warn by design (all-null columns, rare values)
        assert run(seed) == ("ok", "")

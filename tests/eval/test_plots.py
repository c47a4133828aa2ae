"""The report's figures: axes a person reads without converting."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from relsynth.eval._plots import _hist_continuous
from relsynth.relational import Column


def test_an_integer_column_has_whole_ticks():
    """Counts of 0 to 3 were ticked at 0, 500m, 1, 1.5, ...: an integer axis has whole ticks only."""
    ax = Figure().subplots()
    rng = np.random.default_rng(0)
    _hist_continuous(ax, rng.integers(0, 4, 200).astype(float), rng.integers(0, 4, 200).astype(float), Column.INTEGER)
    ticks = ax.get_xticks()
    assert len(ticks) >= 2 and np.allclose(ticks, np.round(ticks))
    ax = Figure().subplots()
    _hist_continuous(ax, rng.random(200), rng.random(200), Column.NUMERIC)  # fractions keep fractional ticks
    assert not np.allclose(ax.get_xticks(), np.round(ax.get_xticks()))

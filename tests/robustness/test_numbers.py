"""Numbers at the edges of float64 are encoded and decoded without silent loss: no nulls where
the column had none, values within the fitted range, tiny values not rounded to zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relsynth.synth.tabular.encoders import MAX_ABS, NumericPreproc


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(0).random(300) * 1e-8,  # ~1e-8: all nulls before (6 decimals, edges at 0)
        np.random.default_rng(1).random(300) * 1e-300,
        np.random.default_rng(2).normal(size=300) * 1e306,  # near the top of float64
        np.concatenate([np.random.default_rng(3).random(150) * 1e-6, np.random.default_rng(4).random(150) * 1e6]),
        np.round(np.random.default_rng(5).gamma(2.0, 10.0, 300), 2),  # plain prices keep their cents
    ],
    ids=["1e-8", "1e-300", "1e306", "mixed scales", "prices"],
)
def test_edge_magnitudes_round_trip_without_nulls(values):
    pre = NumericPreproc().fit(pd.Series(values, name="t.x"))
    out = pre.decode(pre.encode(pd.Series(values)), np.random.default_rng(0)).to_numpy()
    assert np.isfinite(out).all()
    assert out.min() >= values.min() and out.max() <= values.max()
    if values.min() > 0:
        assert (out > 0).all()  # nothing rounded to zero


def test_prices_keep_two_decimals():
    values = np.round(np.random.default_rng(5).gamma(2.0, 10.0, 300), 2)
    pre = NumericPreproc().fit(pd.Series(values, name="t.x"))
    assert pre.decimals == 2
    out = pre.decode(pre.encode(pd.Series(values)), np.random.default_rng(0)).to_numpy()
    assert np.allclose(out, np.round(out, 2))


def test_the_supported_range_is_stated():
    with pytest.raises(ValueError, match=r"'t.x'.*\|x\| <= 1e\+307"):
        NumericPreproc().fit(pd.Series([0.0, 2 * MAX_ABS], name="t.x"))

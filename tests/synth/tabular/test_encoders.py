"""Column encoders: each one's vocabulary, round trip and saved description."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relsynth.synth import CategoricalPreproc, CountPreproc, NumericPreproc
from relsynth.synth.tabular.encoders import column_preproc_from_dict

RNG = np.random.default_rng(0)


def test_categories_round_trip_and_rare_values_share_a_protected_token():
    values = pd.Series(["a"] * 6 + ["b"] * 5 + ["once", None], dtype="string", name="t.c")
    pre = CategoricalPreproc(min_count=5).fit(values)
    assert pre.categories == ["a", "b"] and pre.n_tokens == 4
    ids = pre.encode(values)
    assert ids[-1] == 0 and ids[-2] == 1  # missing, <rare>
    assert 1 in pre.forbidden and 0 not in pre.forbidden  # <rare> never generated; missing was seen
    back = pre.decode(ids, RNG)
    assert back[:11].tolist() == values[:11].tolist() and back.dtype == values.dtype


def test_a_column_without_frequent_values_warns_and_can_only_be_missing():
    with pytest.warns(UserWarning, match="no value appears 5\\+ times"):
        pre = CategoricalPreproc(min_count=5).fit(pd.Series(["x", "y", "z"], name="t.c"))
    assert pre.categories == [] and pre.forbidden == [1]


@pytest.mark.parametrize("kind", ["numeric", "integer"])
def test_numbers_decode_within_their_bin_and_keep_precision(kind):
    x = np.round(RNG.gamma(2.0, 10.0, size=500), 2)
    values = pd.Series(np.round(x) if kind == "integer" else x, name="t.x")
    pre = NumericPreproc(n_bins=8, kind=kind).fit(values)
    ids = pre.encode(values)
    back = pre.decode(ids, np.random.default_rng(1)).to_numpy(dtype=float)
    assert np.array_equal(pre.encode(pd.Series(back)), ids)  # every value decodes into its own token
    assert np.allclose(back, np.round(back, 0 if kind == "integer" else 2))


def test_frequent_exact_values_get_their_own_token():
    values = pd.Series([0.0] * 300 + list(np.linspace(1, 100, 200)), name="t.x")
    pre = NumericPreproc(n_bins=4).fit(values)
    assert 0.0 in pre.points
    zero = pre.encode(pd.Series([0.0]))
    assert pre.decode(np.repeat(zero, 50), RNG).eq(0.0).all()


def test_counts_are_exact_up_to_max_exact_then_binned():
    counts = pd.Series(list(range(10)) * 20 + [150, 400])
    pre = CountPreproc(max_exact=20).fit(counts)
    ids = pre.encode(counts.to_numpy())
    assert pre.decode(ids[:10], RNG).tolist() == list(range(10))
    assert all(pre.decode(ids[-2:], RNG) > 20)


@pytest.mark.parametrize(
    "pre",
    [
        CategoricalPreproc(min_count=1).fit(pd.Series(["u", "v"], name="t.c")),
        NumericPreproc(n_bins=4).fit(pd.Series(np.arange(100.0), name="t.x")),
        CountPreproc(max_exact=5).fit(pd.Series([0, 1, 2, 9])),
    ],
)
def test_saved_description_rebuilds_the_same_encoder(pre):
    again = column_preproc_from_dict(pre.to_dict())
    assert type(again) is type(pre) and again.to_dict() == pre.to_dict() and again.n_tokens == pre.n_tokens

"""Child counts under DP: the fit's noisy histograms of children per parent, and the calibration
of an (untrained) model's counts to them on synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular import _dp_fit
from relsynth.synth.tabular._dp_counts import calibrate_counts_dp, count_targets

MAX_CHILDREN = 40


@pytest.fixture(scope="module")
def families() -> RelationalData:
    """1,000 parents with 0-6 children (mean 3), far under the public bound of 40."""
    rng = np.random.default_rng(0)
    per_parent = rng.integers(0, 7, size=1000)
    parent = pd.DataFrame({"id": np.arange(1, 1001), "age": rng.integers(20, 80, size=1000)})
    child = pd.DataFrame(
        {
            "id": np.arange(1, per_parent.sum() + 1),
            "parent": np.repeat(parent["id"].to_numpy(), per_parent),
            "age": rng.integers(0, 20, size=per_parent.sum()),
        }
    )
    schema = Schema(
        parent=Table(id=PrimaryKey(), age=Integer()),
        child=Table(id=PrimaryKey(), parent=ForeignKey(parent="parent"), age=Integer()),
    )
    return RelationalData({"parent": parent, "child": child}, schema)


@pytest.fixture(scope="module")
def dp_preproc(families) -> TabularPreproc:
    """The DP fit draws secret randomness; fixed here so a noise tail cannot flake the tests."""
    budget = DpBudget(20.0, 1e-5, preproc_share=0.5, max_children=MAX_CHILDREN)
    real = np.random.default_rng
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_dp_fit.np.random, "default_rng", lambda *a: real(12345))
        return TabularPreproc.from_schema(families.schema).fit(families, dp=budget)


def test_count_grid_doubles_up_to_the_bound() -> None:
    assert _dp_fit.count_grid(100) == [0, 1, 2, 3, 5, 9, 17, 33, 65, 101]
    assert _dp_fit.count_grid(1) == [0, 1, 2] and _dp_fit.count_grid(10) == [0, 1, 2, 3, 5, 9, 11]


def test_count_cells_are_kept_by_hysteresis() -> None:
    noisy = np.array([50.0, 100.0, 25.0, 22.0, 5.0, 0.0, 26.0, 0.0])  # sigma 10: strong 30, weak 20
    kept = _dp_fit._hysteresis(noisy, strong=30.0, weak=20.0)
    assert kept.tolist() == [True, True, True, True, False, False, False, False]  # 26 alone: noise


def test_the_dp_fit_releases_a_noisy_histogram_of_children_per_parent(families, dp_preproc) -> None:
    hist = dp_preproc.stats["dp"]["child_counts"]["parent->child"]
    assert hist["grid"] == _dp_fit.count_grid(MAX_CHILDREN)
    counts = np.asarray(hist["counts"])
    assert abs(counts.sum() - 1000) < 60  # one row per entity: every parent once, plus noise
    assert counts[5:].sum() == 0  # nothing above 8 children: those cells stay under the floor
    target = count_targets(dp_preproc)["parent->child"]
    assert len(target) == MAX_CHILDREN + 1 and target.sum() == pytest.approx(1.0)
    real = families["child"]["parent"].value_counts().reindex(families["parent"]["id"]).fillna(0).mean()
    assert (target * np.arange(len(target))).sum() == pytest.approx(real, rel=0.15)


def test_an_untrained_models_counts_are_calibrated_to_the_histogram(families, dp_preproc, tiny_size) -> None:
    torch.manual_seed(0)
    model = TabularModel.build(dp_preproc, size=tiny_size)
    before = model.generate(n_samples=100, seed=1)
    ratios = calibrate_counts_dp(model, n_samples=300, seed=0)
    after = model.generate(n_samples=300, seed=1)
    real = len(families["child"]) / len(families["parent"])  # 3 children per parent
    assert len(before["child"]) / 100 > 2 * real  # near-uniform over 0..40 at the start
    assert set(ratios) == {"parent->child"} and ratios["parent->child"] > 2
    assert len(after["child"]) / 300 == pytest.approx(real, rel=0.3)


def test_a_fit_that_releases_no_count_of_an_edge_says_so(families, caplog) -> None:
    """70 schools under DP (sigma 134) released no children per school: nothing calibrated those
    counts, the DP model drew them near uniformly over 0..100 down four levels, and a Kedro run spent
    minutes and 12 GB generating its calibration entities without a word of why."""
    few = families.subset({"parent": families["parent"]["id"].to_numpy()[:40]})
    with caplog.at_level("WARNING", logger="relsynth.synth.tabular._dp_fit"):
        pre = TabularPreproc.from_schema(few.schema).fit(few, dp=DpBudget(1.0, 1e-5, max_children=MAX_CHILDREN))
    assert not any(pre.stats["dp"]["child_counts"]["parent->child"]["counts"])
    assert "children per parent of parent->child were not released" in caplog.text
    assert "40 root entities" in caplog.text and "max_children=40" in caplog.text

"""preprocessing: the fit node on the tiny database, parameter checks, the pipeline's interface."""

from __future__ import annotations

import pytest

from relsynth.pipelines.preprocessing import create_pipeline
from relsynth.pipelines.preprocessing.nodes import fit_tabular_preproc
from relsynth.relational import RelationalData
from relsynth.synth import TabularPreproc


def test_fit_tabular_preproc(tiny_database: RelationalData, params: dict) -> None:
    preproc = fit_tabular_preproc(tiny_database, params["tabular_encoding"], params["dp"])
    assert isinstance(preproc, TabularPreproc)
    assert preproc.fitted and preproc.schema == tiny_database.schema
    assert (preproc.n_bins, preproc.min_count, preproc.max_exact_count) == (4, 2, 10)
    assert preproc.tables == ["artist", "album", "track"]  # synthesised tables, depth first; genre is a lookup
    assert preproc.stats.get("dp") is None  # dp: null


def test_fit_tabular_preproc_defaults_and_ignored_columns(tiny_database: RelationalData) -> None:
    preproc = fit_tabular_preproc(tiny_database, {"preprocessors": {"track": {"composer": None}}})
    assert preproc.n_bins == 32
    assert "composer" not in preproc.modelled_columns("track")


def test_fit_tabular_preproc_spends_its_share_of_the_dp_budget(tiny_database: RelationalData, params: dict) -> None:
    dp = {"epsilon": 3.0, "delta": 1e-5, "preproc_share": 0.1, "max_children": 10, "max_grad_norm": 1.0}
    spent = fit_tabular_preproc(tiny_database, params["tabular_encoding"], dp).stats["dp"]
    assert 0 < spent["epsilon"] <= 0.3 + 1e-9  # its share of epsilon, no more


def test_fit_tabular_preproc_uses_the_public_knowledge_of_the_dp_group(
    tiny_database: RelationalData, params: dict
) -> None:
    public = {"track.composer": ["Bach", "Satie"], "track.price": {"lo": 0, "hi": 5}}
    dp = {"epsilon": 3.0, "delta": 1e-5, "max_children": 10, "public": public}
    preproc = fit_tabular_preproc(tiny_database, params["tabular_encoding"], dp)
    assert preproc.stats["dp"]["public"] == ["track.composer", "track.price"]
    slots = {(s.table, s.column): s.preproc for s in preproc.slots}
    assert slots["track", "composer"].categories == ["Bach", "Satie"]  # the declared list, as given
    assert 0 <= min(slots["track", "price"].edges) and max(slots["track", "price"].edges) <= 5  # inside the bounds


def test_fit_tabular_preproc_names_a_misspelt_key(tiny_database: RelationalData) -> None:
    with pytest.raises(ValueError, match=r"params:tabular_encoding has unknown key\(s\) \['nbins'\]"):
        fit_tabular_preproc(tiny_database, {"nbins": 8})
    with pytest.raises(ValueError, match=r"may not set \['schema'\]"):
        fit_tabular_preproc(tiny_database, {"schema": None})
    with pytest.raises(ValueError, match=r"params:dp has unknown key\(s\) \['epsilonn'\]"):
        fit_tabular_preproc(tiny_database, {}, {"epsilonn": 1.0, "delta": 1e-5})


def test_pipeline_interface() -> None:
    pipe = create_pipeline()
    assert pipe.inputs() == {"database_train", "params:tabular_encoding", "params:dp"}
    assert pipe.outputs() == {"tabular_preproc"}
    assert {n.name for n in pipe.nodes} == {"preprocessing.fit_tabular_preproc"}

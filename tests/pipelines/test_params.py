"""pipelines._params: parameter groups checked against the library function they configure, and
the groups several pipelines share (`dp`, `text_tables`, model sizes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from relsynth.pipelines._params import (
    DP_SEED_ENV,
    accepted_keys,
    call,
    dp_preset,
    dp_public,
    dp_settings,
    text_model_dataset,
    text_tables,
    with_model_size,
)
from relsynth.synth import DpBudget, DpStep, ModelSize


class Base:
    def train(self, data, n_steps: int = 1, *, lr: float = 0.1) -> dict:
        return {"data": data, "n_steps": n_steps, "lr": lr}


class Child(Base):
    def train(self, data, *args, calibrate: bool = True, **kwargs) -> dict:
        return {**super().train(data, *args, **kwargs), "calibrate": calibrate}


def anything(**kwargs) -> dict:
    return kwargs


def test_accepted_keys_follow_kwargs_up_the_base_classes() -> None:
    assert accepted_keys(Base().train) == ["data", "n_steps", "lr"]
    assert accepted_keys(Child().train) == ["data", "calibrate", "n_steps", "lr"]
    assert accepted_keys(anything) is None  # unresolved **kwargs: any key


def test_call_passes_the_group_and_the_fixed_arguments() -> None:
    assert call(Child().train, "g", {"lr": 0.5, "calibrate": False}, data=[1]) == {
        "data": [1],
        "n_steps": 1,
        "lr": 0.5,
        "calibrate": False,
    }
    assert call(anything, "g", None, x=1) == {"x": 1}


def test_call_names_the_group_and_what_it_accepts() -> None:
    with pytest.raises(
        ValueError,
        match=r"params:g has unknown key\(s\) \['steps'\]; expected some of \['calibrate', 'n_steps', 'lr'\]",
    ):
        call(Child().train, "g", {"steps": 3}, data=[1])
    with pytest.raises(ValueError, match=r"params:g may not set \['data'\]"):
        call(Child().train, "g", {"data": [2]}, data=[1])


def test_dp_settings() -> None:
    assert dp_settings(None) == (None, None)  # dp: null, no DP
    budget, step = dp_settings({"epsilon": 5.0, "delta": 1e-5, "noise_multiplier": None, "max_batch_size": 2})
    assert budget == DpBudget(5.0, 1e-5) and step == DpStep(noise_multiplier=None, max_batch_size=2)
    assert dp_settings({"eps": 3.0, "delta": 1e-5})[0] == DpBudget(3.0, 1e-5)  # aindo.rdml's spelling
    with pytest.raises(ValueError, match=r"params:dp has unknown key\(s\) \['epsilonn'\]"):
        dp_settings({"epsilonn": 1.0, "delta": 1e-5})
    with pytest.raises(ValueError, match=r"params:dp must be null"):
        dp_settings(3.0)


def test_a_dp_seed_comes_from_the_environment_never_from_logged_parameters(monkeypatch) -> None:
    """kedro-mlflow logs every parameter, and a known seed lets anyone subtract the noise: the seed of a
    reproducible DP release is read from RELSYNTH_DP_SEED, and `dp.seed` in the parameters is refused."""
    monkeypatch.delenv(DP_SEED_ENV, raising=False)
    assert dp_settings({"epsilon": 3.0, "delta": 1e-5, "seed": None})[0].seed is None  # secret randomness
    with pytest.raises(ValueError, match=r"params:dp.seed would be logged to MLflow.*RELSYNTH_DP_SEED"):
        dp_settings({"epsilon": 3.0, "delta": 1e-5, "seed": 7})
    monkeypatch.setenv(DP_SEED_ENV, " 7 ")
    assert dp_settings({"epsilon": 3.0, "delta": 1e-5})[0] == DpBudget(3.0, 1e-5, seed=7)
    monkeypatch.setenv(DP_SEED_ENV, "-7")
    with pytest.raises(ValueError, match="RELSYNTH_DP_SEED must be a non-negative integer") as err:
        dp_settings({"epsilon": 3.0, "delta": 1e-5})
    assert "-7" not in str(err.value)  # the secret is never echoed
    monkeypatch.setenv(DP_SEED_ENV, "")
    assert dp_settings({"epsilon": 3.0, "delta": 1e-5})[0].seed is None


def test_dp_public_and_preset_are_read_beside_the_budget() -> None:
    dp = {
        "epsilon": 3.0,
        "delta": 1e-5,
        "max_batch_size": 8,
        "preset": True,
        "public": {"track.genre": ["Rock", "Jazz"], "track.price": {"lo": 0, "hi": 2}},
    }
    assert dp_settings(dp) == (DpBudget(3.0, 1e-5), DpStep(max_batch_size=8))  # neither goes to the budget
    assert dp_public(dp) == {"track.genre": ["Rock", "Jazz"], "track.price": (0, 2)}  # {lo, hi}: bounds
    assert dp_public(None) is None and dp_public({"epsilon": 3.0}) is None
    training, step = dp_preset(dp, n_samples=400)
    preset = DpStep.preset(400)
    assert training == {"n_steps": None, "memory": None, **{k: preset[k] for k in ("batch_size", "lr", "n_epochs")}}
    assert training["batch_size"] == 100  # a quarter of the entities
    assert step == DpStep(noise_multiplier=None, max_grad_norm=1.0, max_batch_size=8)
    assert dp_preset({**dp, "preset": False}, 400) == ({}, None) and dp_preset(None, 400) == ({}, None)


def test_the_documented_dp_example_is_read() -> None:
    """The example in conf/base/parameters_dp.yml's comments is a `dp` group the helpers accept."""
    text = (Path(__file__).resolve().parents[2] / "conf/base/parameters_dp.yml").read_text()
    block = re.search(r"#   dp:\n((?:#     .*\n)+)", text)
    assert block, "no commented `dp:` example in parameters_dp.yml"
    dp = yaml.safe_load("\n".join(line[6:] for line in block.group(1).splitlines()))
    budget, _ = dp_settings(dp)
    assert budget.epsilon == 3.0 and dp_preset(dp, 1000)[1] is not None
    assert all(isinstance(v, list | tuple) for v in dp_public(dp).values())


def test_dp_public_and_preset_refuse_what_they_cannot_read() -> None:
    with pytest.raises(ValueError, match=r"params:dp.public.track.price: numeric bounds are \{lo, hi\}"):
        dp_public({"public": {"track.price": {"low": 0, "high": 2}}})
    with pytest.raises(ValueError, match=r"params:dp.public.track.genre: give a list"):
        dp_public({"public": {"track.genre": "Rock"}})
    with pytest.raises(ValueError, match=r"sets \['noise_multiplier'\] beside preset: true"):
        dp_preset({"epsilon": 3.0, "delta": 1e-5, "preset": True, "noise_multiplier": 1.0}, 400)
    with pytest.raises(ValueError, match="preset must be true or false"):
        dp_preset({"epsilon": 3.0, "delta": 1e-5, "preset": "dp"}, 400)


def test_with_model_size() -> None:
    assert with_model_size({"size": "small", "dropout": 0.1}, "g") == {"size": "small", "dropout": 0.1}
    assert with_model_size({"size": {"n_layers": 1, "h": 2, "d": 8}}, "g")["size"] == ModelSize(n_layers=1, h=2, d=8)
    shared = with_model_size({"size": {"n_layers": 1, "h": 2, "d": 8, "kv_heads": 1}}, "g")["size"]
    assert shared == ModelSize(n_layers=1, h=2, d=8, kv_heads=1)
    assert with_model_size(None, "g") == {}
    with pytest.raises(ValueError, match="h=2 must be a multiple of kv_heads=3"):
        with_model_size({"size": {"n_layers": 1, "h": 2, "d": 8, "kv_heads": 3}}, "g")
    with pytest.raises(ValueError, match=r"params:g.size has unknown key\(s\) \['d_model', 'n_heads'\]"):
        with_model_size({"size": {"n_layers": 1, "d_model": 8, "n_heads": 2}}, "g")


def test_text_tables() -> None:
    assert text_tables(["artist", "album"]) == ["artist", "album"]
    assert text_tables([]) == []
    for bad in (None, "artist", ["artist", 3], [""]):
        with pytest.raises(ValueError, match=r"params:text_tables must be a list of table names"):
            text_tables(bad)
    with pytest.raises(ValueError, match=r"tables named twice \['artist'\]"):
        text_tables(["artist", "artist"])
    # a table read from several schemas (hr.employees): its dots are written __ in Kedro names
    assert text_tables(["artist", "hr.employees"]) == ["artist", "hr.employees"]
    assert text_model_dataset("hr.employees") == "text_model_hr__employees"
    with pytest.raises(ValueError, match=r"\['hr.employees', 'hr__employees'\] would share the text model"):
        text_tables(["hr.employees", "hr__employees"])
    assert text_model_dataset("album") == "text_model_album"

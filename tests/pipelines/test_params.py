"""pipelines._params: parameter groups checked against the library function they configure, and
the groups several pipelines share (`dp`, `text_tables`, model sizes)."""

from __future__ import annotations

import pytest

from relsynth.pipelines._params import (
    accepted_keys,
    call,
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


def test_with_model_size() -> None:
    assert with_model_size({"size": "small", "dropout": 0.1}, "g") == {"size": "small", "dropout": 0.1}
    assert with_model_size({"size": {"n_layers": 1, "h": 2, "d": 8}}, "g")["size"] == ModelSize(n_layers=1, h=2, d=8)
    assert with_model_size(None, "g") == {}
    with pytest.raises(ValueError, match=r"params:g.size has unknown key\(s\) \['d_model', 'n_heads'\]"):
        with_model_size({"size": {"n_layers": 1, "d_model": 8, "n_heads": 2}}, "g")


def test_text_tables() -> None:
    assert text_tables(["artist", "album"]) == ["artist", "album"]
    assert text_tables([]) == []
    for bad in (None, "artist", ["artist", 3], [""]):
        with pytest.raises(ValueError, match=r"params:text_tables must be a list of table names"):
            text_tables(bad)
    with pytest.raises(ValueError, match=r"tables named twice \['artist'\], names with a dot \['a.b'\]"):
        text_tables(["artist", "artist", "a.b"])
    assert text_model_dataset("album") == "text_model_album"

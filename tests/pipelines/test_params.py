"""pipelines._params: parameter groups checked against the library function they configure."""

from __future__ import annotations

import pytest

from relsynth.pipelines._params import accepted_keys, call


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

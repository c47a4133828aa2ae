"""The parameter groups a run reads are checked before its first node (relsynth.pipelines.checks)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from relsynth.pipelines.checks import CHECKS, check_parameter_groups, unread_groups

CONF = Path(__file__).resolve().parents[2] / "conf"


def parameters(env: str = "base") -> dict:
    params: dict = {}
    for file in sorted((CONF / env).glob("parameters_*.yml")):
        params |= yaml.safe_load(file.read_text()) or {}
    return params


@pytest.mark.parametrize("env", ["base", "fast"])
def test_the_shipped_parameters_pass(env):
    params = parameters("base")
    for group, values in parameters(env).items():
        params[group] = {**params.get(group, {}), **values} if isinstance(values, dict) else values
    assert set(CHECKS) <= set(params)
    assert check_parameter_groups(params) == []


@pytest.mark.parametrize(
    ("group", "change", "needles"),
    [
        ("tabular_generation", {"n_samples": 0}, ("n_samples must be a positive integer",)),
        ("tabular_generation", {"temp": -1}, ("temp must be a finite number > 0",)),
        ("tabular_generation", {"seeds": 1}, ("unknown key(s) ['seeds']",)),
        ("tabular_training", {"n_epochs": -1}, ('n_epochs must be a positive integer or "auto"',)),
        ("tabular_training", {"n_steps": 10}, ("give exactly one of n_epochs and n_steps",)),
        ("text_training", {"min_steps": -2}, ("min_steps must be an integer >= 0",)),
        ("text_training", {"lr": 0}, ("lr must be a positive, finite number",)),
        ("text_generation", {"top_p": 1.5}, ("top_p must be a number in (0, 1]",)),
        ("text_generation", {"spell_words": "sometimes"}, ("spell_words must be",)),
        ("tabular_architecture", {"size": "huge"}, ("unknown tabular model size 'huge'", "small")),
        ("text_architecture", {"size": {"n_layers": 2, "width": 3}}, ("text_architecture.size",)),
    ],
)
def test_a_bad_value_is_named_with_its_group(group, change, needles):
    params = parameters()
    params[group] = {**params[group], **change}
    problems = check_parameter_groups(params)
    assert len(problems) == 1 and problems[0].startswith(f"params:{group}")
    for needle in needles:
        assert needle in problems[0]


def test_the_dp_preset_leaves_the_training_values_to_the_node():
    params = parameters()
    params["dp"] = {**(params.get("dp") or {}), "epsilon": 3.0, "delta": 1e-5, "preset": True}
    params["tabular_training"] = {**params["tabular_training"], "n_steps": 10}  # replaced by the preset
    params["text_tables"] = []  # a DP release has no text models
    assert check_parameter_groups(params) == []


def test_a_dp_run_with_text_models_is_refused():
    """Text models are never trained under DP: a DP run with the shipped text_tables trained them on
    the private data without noise, while the report stated the tabular model's epsilon."""
    params = parameters()
    params["dp"] = {"epsilon": 3.0, "delta": 1e-5}
    assert params["text_tables"]
    problems = check_parameter_groups(params)
    assert len(problems) == 1 and problems[0].startswith("params:dp: text models are never trained under")
    assert "text_tables: []" in problems[0]
    assert check_parameter_groups({**params, "text_tables": []}) == []
    assert check_parameter_groups({k: v for k, v in params.items() if k != "text_tables"}) == []


def test_a_misspelt_params_group_is_named_with_the_group_it_looks_like():
    """`kedro run --params "tabular_trainng.n_epochs=1"` trained with the base settings, silently."""
    read = ["tabular_training", "text_training", "split"]
    problems, notes = unread_groups({"tabular_trainng": {"n_epochs": 1}, "split": {"seed": 1}}, read)
    assert problems == ["--params sets 'tabular_trainng', which no pipeline reads: did you mean 'tabular_training'?"]
    assert notes == []
    problems, notes = unread_groups({"for_my_catalog": "x"}, read)  # may be read by ${runtime_params:...}
    assert problems == [] and notes == ["--params sets 'for_my_catalog', which no pipeline reads: it changes no node"]

"""The parameter groups of a run, checked before its first node.

Each node checks its own group when it runs (`_params.call`), which in a full `kedro run` can be
after every model has trained: `--params "tabular_generation.n_samples=0"` failed at generation,
after training. `ParamsCheckHook` (relsynth.hooks) calls `check_parameter_groups` before the run:
every group the run reads that a library call takes is checked, keys and values, as the node
would check it, and each problem names its group.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from relsynth.pipelines._params import check_params, dp_settings, text_tables, with_model_size
from relsynth.synth import TabularModel, TabularTrainer, TextModel, TextTrainer
from relsynth.synth.core.transformer import resolve_size
from relsynth.synth.tabular import model as tabular_model
from relsynth.synth.text import model as text_model


def _bound(cls: type, name: str) -> Callable[..., Any]:
    """`cls.name` bound to an instance never initialised: `check_params` then follows the method up
    its class's MRO (TextTrainer.train passes **kwargs on to Trainer.train), and nothing runs."""
    return getattr(object.__new__(cls), name)


def _training(trainer: type, group: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], None]:
    def check(params: Mapping[str, Any], others: Mapping[str, Any]) -> None:
        options = check_params(_bound(trainer, "train"), group, params, "dataset", "hooks", "valid")
        dp = others.get("dp")
        if group == "tabular_training" and dp_settings(dp)[0] is not None and (dp or {}).get("preset"):
            return  # the DP preset replaces the epochs, batch and rate: the node checks what it runs
        trainer.check_options(options)

    return check


def _generation(model: type, group: str, fixed: tuple[str, ...]) -> Callable[..., None]:
    def check(params: Mapping[str, Any], others: Mapping[str, Any]) -> None:
        model.check_generate_options(**check_params(_bound(model, "generate"), group, params, *fixed))

    return check


def _architecture(build: Callable[..., Any], group: str, sizes: Mapping[str, Any], fixed: tuple[str, ...]):
    def check(params: Mapping[str, Any], others: Mapping[str, Any]) -> None:
        options = check_params(build, group, with_model_size(params, group), *fixed)
        resolve_size(options.get("size", "small"), dict(sizes), group.replace("_architecture", " model"))

    return check


CHECKS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], None]] = {
    "tabular_training": _training(TabularTrainer, "tabular_training"),
    "text_training": _training(TextTrainer, "text_training"),
    "tabular_generation": _generation(TabularModel, "tabular_generation", ("ctx",)),
    "text_generation": _generation(TextModel, "text_generation", ("data", "avoid")),
    "tabular_architecture": _architecture(
        TabularModel.build, "tabular_architecture", tabular_model.SIZES, ("preproc", "block_size")
    ),
    "text_architecture": _architecture(TextModel.build, "text_architecture", text_model.SIZES, ("preproc",)),
    "text_tables": lambda params, others: text_tables(params),
    "dp": lambda params, others: dp_settings(params),
}


def check_parameter_groups(groups: Mapping[str, Any]) -> list[str]:
    """One line per problem among `groups` (name -> the run's value), each naming its group."""
    problems = []
    for name, value in groups.items():
        if name in CHECKS:
            try:
                CHECKS[name](value, groups)
            except (ValueError, TypeError) as e:
                text = " ".join(str(e).split())
                problems.append(text if text.startswith(("params:", f"{name}:")) else f"params:{name}: {text}")
    problem = dp_without_text_models(groups)
    if problem is not None:
        problems.append(problem)
    return problems


def dp_without_text_models(groups: Mapping[str, Any]) -> str | None:
    """The problem with a DP run that trains or uses text models (`text_tables` not empty): they are
    never trained under DP, so their texts would be learnt from the private data outside the budget
    the report states. None when `dp` is null or the run reads no `text_tables`."""
    try:
        budget = dp_settings(groups.get("dp"))[0]
        tables = text_tables(groups["text_tables"]) if "text_tables" in groups else []
    except (ValueError, TypeError):
        return None  # named by the group's own check
    if budget is None or not tables:
        return None
    return (
        f"params:dp: text models are never trained under differential privacy, but text_tables names {tables}: "
        "their text columns would be learnt from the private data without noise, outside the epsilon the run "
        "reports. For a DP release set text_tables: [] in conf/base/parameters_text_training.yml (or conf/local)"
    )


def unread_groups(runtime_params: Mapping[str, Any], read: Iterable[str]) -> tuple[list[str], list[str]]:
    """The `--params` groups that no pipeline reads, as (problems, notes), one line each.

    Kedro adds any `--params` key as a new parameter, so `tabular_trainng.n_epochs=1` ran the base
    settings without a word. A group spelt like one that is read is a problem naming that one; any
    other is only a note, since the catalog may read it (`${runtime_params:...}`)."""
    read = sorted(set(read))
    problems, notes = [], []
    for group in sorted(set(runtime_params) - set(read)):
        close = difflib.get_close_matches(group, read, n=1, cutoff=0.8)
        if close:
            problems.append(f"--params sets {group!r}, which no pipeline reads: did you mean {close[0]!r}?")
        else:
            notes.append(f"--params sets {group!r}, which no pipeline reads: it changes no node")
    return problems, notes

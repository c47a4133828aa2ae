"""Parameter groups -> library calls: one check that names the group and the keys it accepts.

A node passes its `params:<group>` dict to `call`, which calls the library function with those
keyword arguments. A misspelt key fails before any work starts, with the group's name and the
keys the function takes, instead of a bare `TypeError` from deep inside the library. The groups
that several pipelines read (`dp`, `text_tables`) are turned into library objects here, so no
pipeline imports another's nodes.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, TypeVar

from relsynth.synth import DpBudget, DpStep, ModelSize

T = TypeVar("T")
_KEYWORDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def accepted_keys(func: Callable[..., Any]) -> list[str] | None:
    """The keyword arguments `func` takes; None when it takes any (`**kwargs` left unresolved).

    A method that passes `**kwargs` on to the same method of a base class (an override adding
    one option) is followed up its class's MRO, so its inherited keywords count too.
    """
    names: list[str] = []
    owner = getattr(func, "__self__", None)
    bases = type(owner).__mro__ if owner is not None and not isinstance(owner, type) else ()
    candidates = [func] + [k.__dict__[func.__name__] for k in bases[1:] if func.__name__ in k.__dict__]
    for f in candidates:
        params = inspect.signature(f).parameters.values()
        names += [p.name for p in params if p.kind in _KEYWORDS and p.name not in ("self", *names)]
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            return names
    return None


def call(func: Callable[..., T], group: str, params: Mapping[str, Any] | None, **fixed: Any) -> T:
    """`func(**params, **fixed)`; unknown or reserved keys in `params` raise a `ValueError`.

    `fixed` holds the arguments the node supplies itself (data, datasets, hooks); the parameter
    group may not set them.
    """
    return func(**check_params(func, group, params, *fixed), **fixed)


def check_params(func: Callable[..., Any], group: str, params: Mapping[str, Any] | None, *fixed: str) -> dict:
    """`params` as a dict, checked as `call` checks it: `fixed` names the arguments the node supplies.

    For a library function that passes the group on (`fill_texts` to each `TextModel.generate`):
    check against the function that takes the keys, then call the one that passes them on."""
    params = dict(params or {})
    reserved = sorted(set(params) & set(fixed))
    if reserved:
        raise ValueError(f"params:{group} may not set {reserved}: the pipeline supplies them")
    keys = accepted_keys(func)
    if keys is not None:
        allowed = [k for k in keys if k not in fixed]
        unknown = sorted(set(params) - set(allowed))
        if unknown:
            raise ValueError(f"params:{group} has unknown key(s) {unknown}; expected some of {allowed}")
    return params


# ---- groups shared by several pipelines -----------------------------------------------------
DP_STEP_KEYS = ("noise_multiplier", "max_grad_norm", "max_batch_size")  # the `dp` keys that go to DpStep
DP_OTHER_KEYS = ("public", "preset")  # to TabularPreproc.fit(public=) and DpStep.preset (the training node)
PRESET_TRAINING_KEYS = ("batch_size", "lr", "n_epochs", "n_steps", "memory")  # what `preset: true` sets
DP_SEED_ENV = "RELSYNTH_DP_SEED"  # a reproducible DP release's seed: from the environment, never a logged parameter


def dp_settings(dp: Mapping[str, Any] | None) -> tuple[DpBudget | None, DpStep | None]:
    """`DpBudget` and `DpStep` from the `dp` group; (None, None) when it is null (no DP).

    Budget keys: epsilon, delta, preproc_share, accountant, max_children (the seed comes from the
    environment variable `DP_SEED_ENV` only, `dp_seed_from_env`: a `seed` here is refused); step keys:
    noise_multiplier (null: calibrated to spend the budget), max_grad_norm, max_batch_size; and
    `public` (`dp_public`) and `preset` (`dp_preset`). The preprocessing and the tabular_training
    pipelines both read this one group, so DP is on for both or for neither.
    """
    if dp is None:
        return None, None
    if not isinstance(dp, Mapping):
        raise ValueError(f"params:dp must be null (no DP) or a mapping of DpBudget and DpStep fields, got {dp!r}")
    budget = {k: v for k, v in dp.items() if k not in DP_STEP_KEYS + DP_OTHER_KEYS}
    step = {k: v for k, v in dp.items() if k in DP_STEP_KEYS}
    if budget.get("seed") is not None:
        raise ValueError(
            "params:dp.seed would be logged to MLflow with the run's parameters, and whoever knows the seed can "
            f"subtract the noise: leave it null and set the environment variable {DP_SEED_ENV}=<integer> for a "
            "reproducible release (keep it as secret as the data)"
        )
    budget["seed"] = dp_seed_from_env()
    return call(DpBudget, "dp", budget), call(DpStep, "dp", step)


def dp_seed_from_env() -> int | None:
    """The DP noise's seed from the environment variable `DP_SEED_ENV`; None (secret randomness) when it is unset
    or empty. Kedro parameters may not hold it: kedro-mlflow logs every parameter. The value is never echoed."""
    raw = os.environ.get(DP_SEED_ENV, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ValueError(f"the environment variable {DP_SEED_ENV} must be a non-negative integer (the DP noise's seed)")
    return int(raw)


def dp_public(dp: Mapping[str, Any] | None) -> dict[str, list | tuple[float, float]] | None:
    """`dp.public` as `TabularPreproc.fit(public=...)` takes it: "table.column" -> a list of
    categories or values as it is, a mapping {lo, hi} as numeric bounds (lo, hi). None: nothing
    declared (or no DP). What is declared is the user's responsibility: it must not be read off
    the private data."""
    public = (dp or {}).get("public")
    if public is None:
        return None
    if not isinstance(public, Mapping):
        raise ValueError(
            f"params:dp.public must be a mapping of 'table.column' to a list or {{lo, hi}}, got {public!r}"
        )
    out: dict[str, list | tuple[float, float]] = {}
    for key, known in public.items():
        if isinstance(known, Mapping):
            if set(known) != {"lo", "hi"}:
                raise ValueError(f"params:dp.public.{key}: numeric bounds are {{lo, hi}}, got keys {sorted(known)}")
            out[key] = (known["lo"], known["hi"])
        elif isinstance(known, list | tuple):
            out[key] = list(known)
        else:
            raise ValueError(f"params:dp.public.{key}: give a list (categories, values) or {{lo, hi}}, got {known!r}")
    return out


def dp_preset(dp: Mapping[str, Any] | None, n_samples: int) -> tuple[dict[str, Any], DpStep | None]:
    """With `dp.preset: true`, `DpStep.preset(n_samples)` split as the training node uses it: the
    `tabular_training` settings it replaces (PRESET_TRAINING_KEYS) and the `DpStep` (its noise and
    clipping, the group's max_batch_size kept). ({}, None) when the preset is off or there is no DP.

    The preset sets the noise and the clipping: the group may not set noise_multiplier or
    max_grad_norm beside it."""
    if dp is None or not dp.get("preset", False):
        return {}, None
    if dp["preset"] is not True:
        raise ValueError(f"params:dp.preset must be true or false, got {dp['preset']!r}")
    clash = sorted(k for k in ("noise_multiplier", "max_grad_norm") if k in dp)
    if clash:
        raise ValueError(f"params:dp sets {clash} beside preset: true, which chooses them: remove one or the other")
    preset = DpStep.preset(n_samples)
    step = replace(preset.pop("dp_step"), max_batch_size=dp.get("max_batch_size", 0))
    return {"n_steps": None, "memory": None, **preset}, step


def with_model_size(architecture: Mapping[str, Any] | None, group: str) -> dict[str, Any]:
    """The architecture group with its `size` as the library takes it: a preset name as it is, a
    mapping {n_layers, h, d, d_ff, kv_heads} (the same keys for the tabular and the text model) as a `ModelSize`."""
    architecture = dict(architecture or {})
    if isinstance(architecture.get("size"), Mapping):
        architecture["size"] = call(ModelSize, f"{group}.size", architecture["size"])
    return architecture


def text_tables(value: object) -> list[str]:
    """The `text_tables` parameter checked: a list of distinct table names (each gets a text model).

    A name becomes part of a Kedro namespace (`text_training.<table>`), its dots written `__`
    (`table_key`): two names that would share one are refused."""
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) and t for t in value):
        raise ValueError(
            f"params:text_tables must be a list of table names (the tables with a text model; [] for none), "
            f"got {value!r}; set it in conf/base/parameters_text_training.yml"
        )
    repeated = sorted({t for t in value if list(value).count(t) > 1})
    if repeated:
        raise ValueError(f"params:text_tables: tables named twice {repeated}")
    keys: dict[str, list[str]] = {}
    for t in value:
        keys.setdefault(table_key(t), []).append(t)
    if shared := [names for names in keys.values() if len(names) > 1]:
        raise ValueError(
            "params:text_tables: "
            + "; ".join(f"{names} would share the text model {text_model_dataset(names[0])}" for names in shared)
            + " (a dot is written '__' in Kedro names): give one a text model, or rename it"
        )
    return list(value)


def table_key(table: str) -> str:
    """`table` in Kedro names, its dots written `__`: Kedro reserves the dots for namespaces, and a
    table read from several schemas is named `<schema>.<table>` (hr.employees -> hr__employees)."""
    return table.replace(".", "__")


def text_model_dataset(table: str) -> str:
    """The catalog name of `table`'s trained text model: an output of its `text_training.<table>`
    pipeline, an input of text_generation (conf/base/catalog.yml's `text_model_{table}`), the
    table's dots written `__` (`table_key`): text_generation is another namespace."""
    return f"text_model_{table_key(table)}"

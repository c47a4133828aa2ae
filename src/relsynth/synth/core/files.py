"""Saved directories: written atomically (never seen half-written), described by a config that
says what they hold (`kind`, `format_version`) and read back strictly."""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from collections.abc import Iterable
from dataclasses import MISSING, fields
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

# One mechanism for atomic writes and for load errors, shared with `RelationalData.to_dir`: it lives
# in the lowest layer, `relsynth.relational.files`.
from relsynth.relational.files import LoadError, atomic_dir, clean_stale, replace_dir

__all__ = [
    "FORMAT_VERSION", "PREPROC_DIR", "WEIGHTS_FILE", "LoadError", "atomic_dir", "clean_stale", "config_from_dict",
    "fingerprint", "load_model_weights", "read_config", "read_model_config", "replace_dir", "save_model_dir",
    "write_config",
]  # fmt: skip
T = TypeVar("T")


# ---- saved configs: every saved directory says what it holds -----------------------------------
FORMAT_VERSION = 1


def write_config(file: Path, kind: str, payload: dict) -> None:
    """`file` as JSON: `{"kind": kind, "format_version": FORMAT_VERSION, **payload}`."""
    file.write_text(
        json.dumps({"kind": kind, "format_version": FORMAT_VERSION, **payload}, indent=1, default=_json_default)
    )


def read_config(file: Path, kind: str, keys: Iterable[str] | None = None, optional: Iterable[str] = ()) -> dict:
    """The payload of a config written by `write_config`, checked strictly.

    A missing file, invalid JSON, another kind, another format version or (with `keys`) a key
    that is missing or not expected is a `LoadError` (`FileNotFoundError` when missing) naming
    the file and what was expected; `optional` keys may be absent (saved before they existed)."""
    if not file.is_file():
        raise FileNotFoundError(f"no {kind} at {file.parent}: {file.name} is missing{_what_is_there(file.parent)}")
    try:
        spec = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise LoadError(f"{file}: not valid JSON ({e}); the {kind} is damaged, save it again") from None
    if not isinstance(spec, dict) or spec.get("kind") != kind:
        found = spec.get("kind") if isinstance(spec, dict) else type(spec).__name__
        raise LoadError(f"{file}: holds a {found!r}, not a {kind}")
    if spec.get("format_version") != FORMAT_VERSION:
        raise LoadError(
            f"{file}: {kind} format_version {spec.get('format_version')!r}; this relsynth reads version "
            f"{FORMAT_VERSION}: save it again with this version"
        )
    payload = {k: v for k, v in spec.items() if k not in ("kind", "format_version")}
    if keys is not None:
        expected = set(keys)
        unknown = sorted(set(payload) - expected - set(optional))
        missing = sorted(expected - set(payload))
        if unknown or missing:
            raise LoadError(f"{file}: {kind} config with unknown keys {unknown} and missing keys {missing}")
    return payload


def _what_is_there(folder: Path) -> str:
    """What another relsynth object saved in `folder` is (a model loaded as a preproc, say), as the
    end of an error message; empty when there is none."""
    kinds = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            kind = json.loads(file.read_text()).get("kind")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(kind, str):
            kinds.append(f"{kind} ({file.name})")
    if not kinds:
        return ""
    hint = "; load it with its own class" + (
        ", its preprocessor is under preproc/" if (folder / PREPROC_DIR).is_dir() else ""
    )
    return f"; the folder holds a {', '.join(kinds)}{hint}"


def config_from_dict(cls: type[T], values: dict, file: Path) -> T:
    """`cls(**values)` for a config dataclass; unknown or missing fields are a `LoadError` naming `file`."""
    names = {f.name for f in fields(cls)}
    required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
    unknown, missing = sorted(set(values) - names), sorted(required - set(values))
    if unknown or missing:
        raise LoadError(f"{file}: {cls.__name__} with unknown fields {unknown} and missing fields {missing}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as e:
        raise LoadError(f"{file}: invalid {cls.__name__}: {e}") from None


def fingerprint(obj: object) -> str:
    """A short hash of a JSON-able object: which preprocessor encoded a dataset."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=_json_default).encode()).hexdigest()[:16]


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, pd.Timestamp):
        return o.isoformat()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


# ---- model directories: config, safetensors weights, the preprocessor ---------------------------
WEIGHTS_FILE, PREPROC_DIR = "model.safetensors", "preproc"


def save_model_dir(path: str | Path, *, kind: str, config_file: str, config: dict, model, preproc) -> None:
    """A model's directory, written atomically: `config_file` (kind, version, config), the weights
    (safetensors, tied tensors stored once) and the preprocessor under `preproc/`."""
    from safetensors.torch import save_model

    with atomic_dir(path, marker=config_file) as tmp:  # a failed save leaves the previous model, never half of one
        write_config(tmp / config_file, kind, {"config": config})
        save_model(model, str(tmp / WEIGHTS_FILE))
        preproc.save(tmp / PREPROC_DIR)


def read_model_config(path: str | Path, *, kind: str, config_file: str, config_cls: type[T]) -> T:
    """The config of a model directory written by `save_model_dir`, read strictly."""
    file = Path(path) / config_file
    return config_from_dict(config_cls, read_config(file, kind, keys=("config",))["config"], file)


def load_model_weights(model, path: str | Path):
    """`model` with the weights of the model directory `path`, in eval mode; a missing, damaged or
    mismatched weights file is an error naming it."""
    from safetensors import SafetensorError
    from safetensors.torch import load_model

    file = Path(path) / WEIGHTS_FILE
    if not file.is_file():
        raise FileNotFoundError(f"{file} is missing: the weights were not saved there")
    try:
        missing, unexpected = load_model(model, str(file), strict=False)
    except (SafetensorError, OSError, ValueError) as e:
        raise LoadError(f"{file}: unreadable weights ({e}); the model is damaged, save it again") from None
    except RuntimeError as e:  # torch: shapes that differ from the config's
        raise LoadError(f"{file}: weights do not fit the config ({e})") from None
    if missing or unexpected:
        raise LoadError(f"{file}: weights do not fit the config: missing {missing}, unexpected {unexpected}")
    model.trained = True  # weights from a file: `warn_untrained` stays quiet
    return model.eval()


def warn_untrained(model, trainer: str) -> None:
    """Warn that `model` generates from the random weights it was built with: neither a training
    run (`Trainer.train` sets `model.trained`) nor a load gave it weights."""
    if not getattr(model, "trained", True):
        warnings.warn(
            f"this {type(model).__name__} was built but neither trained nor loaded: what it generates is random; "
            f"train it first ({trainer}(model).train(dataset, ...)) or load a saved one",
            UserWarning,
            stacklevel=_outside_level(),
        )


def _outside_level() -> int:
    """The `stacklevel` of the first caller outside relsynth.synth and torch (whose decorators, such as
    `torch.inference_mode`, add frames), so a warning names the user's line."""
    frame, level = sys._getframe(2), 2  # 1: the function that warns
    while frame is not None and frame.f_globals.get("__name__", "").startswith(("relsynth.synth", "torch")):
        frame, level = frame.f_back, level + 1
    return level

"""Saved directories: atomic writes, configs with kind and format version, strict reading."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import torch

from relsynth.synth.core.files import (
    FORMAT_VERSION,
    LoadError,
    atomic_dir,
    config_from_dict,
    fingerprint,
    load_model_weights,
    read_config,
    write_config,
)


def test_atomic_dir_replaces_only_when_the_block_ends_well(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("one")
    assert (target / "a.txt").read_text() == "one"
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("two")
        raise RuntimeError("failed half-way")
    assert (target / "a.txt").read_text() == "one"  # the previous version stands
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


def test_atomic_dir_with_a_marker_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with (
        pytest.raises(FileExistsError, match="holds no model.json"),
        atomic_dir(tmp_path / "mine", marker="model.json"),
    ):
        pass
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_config_round_trip_carries_kind_and_version(tmp_path):
    file = tmp_path / "c.json"
    write_config(file, "Thing", {"a": 1, "b": [1, 2]})
    raw = json.loads(file.read_text())
    assert raw["kind"] == "Thing" and raw["format_version"] == FORMAT_VERSION
    assert read_config(file, "Thing", keys=("a", "b")) == {"a": 1, "b": [1, 2]}


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"kind": "Other", "format_version": FORMAT_VERSION, "a": 1}), "holds a 'Other', not a Thing"),
        (json.dumps({"kind": "Thing", "format_version": 99, "a": 1}), "format_version 99"),
        (json.dumps({"kind": "Thing", "a": 1}), "format_version None"),
        (json.dumps({"kind": "Thing", "format_version": FORMAT_VERSION, "a": 1, "zz": 2}), r"unknown keys \['zz'\]"),
        (json.dumps({"kind": "Thing", "format_version": FORMAT_VERSION}), r"missing keys \['a'\]"),
        (json.dumps([1, 2]), "not a Thing"),
    ],
)
def test_a_bad_config_is_an_error_naming_the_file(tmp_path, content, match):
    file = tmp_path / "c.json"
    file.write_text(content)
    with pytest.raises(LoadError, match=match) as err:
        read_config(file, "Thing", keys=("a",))
    assert str(file) in str(err.value)


def test_a_missing_config_names_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="no Thing at .*c.json is missing"):
        read_config(tmp_path / "c.json", "Thing")


@dataclass
class _Cfg:
    n: int
    name: str = "x"


def test_config_from_dict_is_strict(tmp_path):
    file = tmp_path / "c.json"
    assert config_from_dict(_Cfg, {"n": 1}, file) == _Cfg(1)
    with pytest.raises(LoadError, match=r"unknown fields \['m'\]"):
        config_from_dict(_Cfg, {"n": 1, "m": 2}, file)
    with pytest.raises(LoadError, match=r"missing fields \['n'\]"):
        config_from_dict(_Cfg, {"name": "y"}, file)


def test_damaged_or_mismatched_weights_are_an_error_naming_the_file(tmp_path):
    from safetensors.torch import save_model

    file = tmp_path / "model.safetensors"
    file.write_bytes(b"\x00\x01 not safetensors")
    with pytest.raises(LoadError, match="model.safetensors: unreadable weights"):
        load_model_weights(torch.nn.Linear(2, 2), tmp_path)
    save_model(torch.nn.Linear(2, 3), str(file))
    with pytest.raises(LoadError, match="model.safetensors: .*size mismatch|model.safetensors: weights do not fit"):
        load_model_weights(torch.nn.Linear(2, 2), tmp_path)
    with pytest.raises(FileNotFoundError, match="missing"):
        load_model_weights(torch.nn.Linear(2, 2), tmp_path / "none")


def test_fingerprint_ignores_key_order_and_sees_values():
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_saved_directories_and_files_get_the_modes_the_umask_gives(tmp_path):
    """tempfile makes its directories and files private (0700, 0600); what is kept is not: a model
    saved by one account and served by another must be readable where the umask lets it be."""
    import os
    import stat

    from relsynth.relational.files import write_text_atomic

    mask = os.umask(0o022)
    os.umask(mask)
    with atomic_dir(tmp_path / "model") as tmp:
        (tmp / "w.bin").write_bytes(b"x")
    write_text_atomic(tmp_path / "model.json", "{}")
    assert stat.S_IMODE((tmp_path / "model").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((tmp_path / "model.json").stat().st_mode) == 0o666 & ~mask


def test_loading_a_folder_of_another_kind_says_what_it_holds(tmp_path):
    # a model folder loaded as a preprocessor (or the other way round): say what is there
    (tmp_path / "m" / "preproc").mkdir(parents=True)
    write_config(tmp_path / "m" / "model.json", "TabularModel", {"config": {}})
    with pytest.raises(
        FileNotFoundError,
        match=r"no TabularPreproc at .*m: preproc\.json is missing; the folder holds a TabularModel \(model\.json\); "
        r"load it with its own class, its preprocessor is under preproc/",
    ):
        read_config(tmp_path / "m" / "preproc.json", "TabularPreproc")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"preproc\.json is missing$"):
        read_config(tmp_path / "empty" / "preproc.json", "TabularPreproc")

"""The on-disk array format shared by the tabular and the text datasets."""

from __future__ import annotations

import numpy as np
import pytest

from relsynth.synth.core.arrays import ARRAYS_FILE, open_arrays, save_arrays, write_arrays
from relsynth.synth.core.files import LoadError


def test_chunks_appended_read_back_memory_mapped(tmp_path):
    with write_arrays(tmp_path / "ds", "Kind", {"x": np.int32, "y": np.float32}) as w:
        w.append(x=np.arange(3), y=np.ones(2))
        w.append(x=np.arange(3, 5))
        w.meta = {"owner": "test"}
    arrays, meta = open_arrays(tmp_path / "ds", "Kind")
    assert meta == {"owner": "test"}
    assert arrays["x"].tolist() == [0, 1, 2, 3, 4] and arrays["x"].dtype == np.int32
    assert isinstance(arrays["x"], np.memmap) and arrays["y"].tolist() == [1.0, 1.0]


def test_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), write_arrays(tmp_path / "ds", "Kind", {"x": np.int32}) as w:
        w.append(x=np.arange(3))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_save_arrays_copies_in_chunks_and_empty_arrays_work(tmp_path):
    save_arrays(tmp_path / "a", "Kind", {"x": np.arange(10, dtype=np.int64), "e": np.zeros(0, np.int16)}, {"k": 1})
    arrays, meta = open_arrays(tmp_path / "a", "Kind")
    assert arrays["x"].tolist() == list(range(10)) and len(arrays["e"]) == 0 and meta == {"k": 1}


def test_truncated_or_foreign_arrays_are_errors_naming_the_file(tmp_path):
    save_arrays(tmp_path / "a", "Kind", {"x": np.arange(10, dtype=np.int64)}, {})
    with pytest.raises(LoadError, match="not a Other"):
        open_arrays(tmp_path / "a", "Other")
    data = (tmp_path / "a" / "x.bin").read_bytes()
    (tmp_path / "a" / "x.bin").write_bytes(data[:-8])
    with pytest.raises(LoadError, match=r"x.bin: expected 10 values of int64 \(80 bytes\), found 72 bytes"):
        open_arrays(tmp_path / "a", "Kind")
    (tmp_path / "a" / ARRAYS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="arrays.json is missing"):
        open_arrays(tmp_path / "a", "Kind")

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


def test_random_access_arrays_read_slices_from_the_file_and_pickle_as_their_path(tmp_path):
    import pickle

    from relsynth.synth.core.arrays import FileArray

    values = np.arange(10_000, dtype=np.int16) * 3
    save_arrays(tmp_path / "ds", "Kind", {"tokens": values, "offsets": np.arange(4)}, {})
    arrays, _ = open_arrays(tmp_path / "ds", "Kind", random_access=("tokens",))
    tokens = arrays["tokens"]
    assert isinstance(tokens, FileArray) and isinstance(arrays["offsets"], np.memmap)
    assert len(tokens) == 10_000 and tokens.dtype == np.int16
    for key in (slice(5, 9), slice(9_990, None), slice(None, 3), slice(-4, None), slice(7, 7), slice(1, 20, 4)):
        np.testing.assert_array_equal(tokens[key], values[key])
    assert tokens[0] == 0 and tokens[-1] == values[-1] and tokens[np.int64(12)] == 36
    np.testing.assert_array_equal(np.asarray(tokens), values)
    np.testing.assert_array_equal(tokens[np.array([3, 1])], values[[3, 1]])
    with pytest.raises(IndexError, match="out of bounds"):
        tokens[10_000]
    again = pickle.loads(pickle.dumps(tokens))  # the path, not the values: workers reopen the file
    assert len(pickle.dumps(tokens)) < 1_000
    np.testing.assert_array_equal(again[100:110], values[100:110])

"""The one on-disk format of encoded datasets: named 1-d arrays, one raw file each, plus
`arrays.json` (kind, format version, dtypes, lengths and the owner's metadata).

Written chunk by chunk into a temporary directory that replaces the target only when complete
(`atomic_dir`); reopened memory-mapped, so reading never loads a whole dataset into RAM.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from relsynth.synth.core.files import LoadError, atomic_dir, read_config, write_config

ARRAYS_FILE = "arrays.json"
_CHUNK = 1 << 22  # elements copied at a time by `save_arrays`


class ArrayWriter:
    """Appends chunks to each named array; `meta` may be updated until the block ends."""

    def __init__(self, folder: Path, dtypes: Mapping[str, np.dtype]):
        self.dtypes = {name: np.dtype(dt) for name, dt in dtypes.items()}
        self.lengths = dict.fromkeys(self.dtypes, 0)
        self.meta: dict = {}
        self._files: dict[str, BinaryIO] = {name: open(folder / f"{name}.bin", "wb") for name in self.dtypes}  # noqa: SIM115

    def append(self, **parts: np.ndarray) -> None:
        for name, arr in parts.items():
            self._files[name].write(np.ascontiguousarray(arr, dtype=self.dtypes[name]).tobytes())
            self.lengths[name] += len(arr)

    def close(self) -> None:
        for f in self._files.values():
            f.close()


@contextmanager
def write_arrays(path: str | Path, kind: str, dtypes: Mapping[str, np.dtype]) -> Iterator[ArrayWriter]:
    """A writer into a fresh directory that replaces `path` when the block ends without error."""
    with atomic_dir(path, marker=ARRAYS_FILE) as tmp:
        writer = ArrayWriter(tmp, dtypes)
        try:
            yield writer
        finally:
            writer.close()
        payload = {
            "dtypes": {n: d.name for n, d in writer.dtypes.items()},
            "lengths": writer.lengths,
            "meta": writer.meta,
        }
        write_config(tmp / ARRAYS_FILE, kind, payload)


def save_arrays(path: str | Path, kind: str, arrays: Mapping[str, np.ndarray], meta: dict) -> None:
    """Write whole arrays (in RAM or memory-mapped) in the same format, a chunk at a time."""
    with write_arrays(path, kind, {n: a.dtype for n, a in arrays.items()}) as w:
        for name, arr in arrays.items():
            for start in range(0, len(arr), _CHUNK):
                w.append(**{name: np.asarray(arr[start : start + _CHUNK])})
        w.meta = dict(meta)


class FileArray:
    """A 1-d array on disk read a slice at a time (pread), never memory-mapped: a sample drawn at
    random reads its own bytes, and nothing of the file stays counted in the process's memory (a
    mapped file keeps each page it touched resident, with the kernel's fault-around 64 KB each).
    Slices and integers give NumPy values; `np.asarray` reads it whole. Pickles as its path, so
    worker processes reopen it."""

    def __init__(self, file: str | Path, dtype: str | np.dtype, n: int):
        self.file, self.dtype, self.shape = Path(file), np.dtype(dtype), (int(n),)
        self._fd: int | None = None
        self._pid = -1

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, start: int, stop: int) -> np.ndarray:
        if self._fd is None or self._pid != os.getpid():  # opened lazily, again after a fork
            self._fd, self._pid = os.open(self.file, os.O_RDONLY), os.getpid()
        size = self.dtype.itemsize
        data = os.pread(self._fd, (stop - start) * size, start * size)
        return np.frombuffer(data, dtype=self.dtype)

    def __getitem__(self, key: int | slice | np.integer) -> np.ndarray | np.generic:
        n = len(self)
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            values = self._read(start, max(start, stop)) if step > 0 else self._read(stop + 1, start + 1)[::-1]
            return values[:: abs(step)] if abs(step) != 1 else values
        if isinstance(key, int | np.integer):
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise IndexError(f"index {key} is out of bounds for a FileArray of {n} values")
            return self._read(i, i + 1)[0]
        return np.asarray(self)[key]

    def __array__(self, dtype: np.dtype | None = None, copy: bool | None = None) -> np.ndarray:
        whole = self._read(0, len(self))
        return whole if dtype is None else whole.astype(dtype)

    def __getstate__(self) -> dict:
        return {"file": self.file, "dtype": self.dtype, "shape": self.shape}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["file"], state["dtype"], state["shape"][0])

    def __del__(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)

    def __repr__(self) -> str:
        return f"FileArray({self.file}, {self.dtype}, {len(self)} values)"


def open_arrays(path: str | Path, kind: str, random_access: Collection[str] = ()) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays written at `path` (memory-mapped, read-only) and their metadata; those named in
    `random_access`, read a little here and there, as `FileArray`s."""
    path = Path(path)
    spec = read_config(path / ARRAYS_FILE, kind, keys=("dtypes", "lengths", "meta"))
    arrays = {}
    for name, dtype in spec["dtypes"].items():
        file, n = path / f"{name}.bin", int(spec["lengths"][name])
        size = file.stat().st_size if file.is_file() else -1
        if size != n * np.dtype(dtype).itemsize:
            raise LoadError(
                f"{file}: expected {n} values of {dtype} ({n * np.dtype(dtype).itemsize} bytes), "
                f"found {'no file' if size < 0 else f'{size} bytes'}; the {kind} is damaged, write it again"
            )
        if not n:
            arrays[name] = np.zeros(0, dtype=dtype)
        elif name in random_access and hasattr(os, "pread"):  # POSIX; elsewhere mapped
            arrays[name] = FileArray(file, dtype, n)
        else:
            arrays[name] = np.memmap(file, dtype=dtype, mode="r", shape=(n,))
    return arrays, spec["meta"]

"""The one on-disk format of encoded datasets: named 1-d arrays, one raw file each, plus
`arrays.json` (kind, format version, dtypes, lengths and the owner's metadata).

Written chunk by chunk into a temporary directory that replaces the target only when complete
(`atomic_dir`); reopened memory-mapped, so reading never loads a whole dataset into RAM.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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


def open_arrays(path: str | Path, kind: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays written at `path` (memory-mapped, read-only) and their metadata."""
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
        arrays[name] = np.memmap(file, dtype=dtype, mode="r", shape=(n,)) if n else np.zeros(0, dtype=dtype)
    return arrays, spec["meta"]

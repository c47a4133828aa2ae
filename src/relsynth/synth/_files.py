"""Writing a directory so that it is never seen half-written."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def replace_dir(src: Path, dst: Path) -> None:
    """Move the finished directory `src` to `dst`, replacing what was there (never half-written)."""
    old = None
    if dst.exists():
        old = dst.with_name(f".{dst.name}.old{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dst, old)
    try:
        os.replace(src, dst)
    except BaseException:
        if old is not None:
            os.replace(old, dst)  # put the previous version back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_dir(path: str | Path, marker: str | None = None) -> Iterator[Path]:
    """A fresh directory beside `path` to write into. It replaces `path` when the block ends
    without an error and is removed otherwise, so `path` is always complete or untouched.

    With `marker` (a file every such save writes), an existing non-empty `path` without it is
    refused: saving into a folder of other files must not delete them."""
    path = Path(path)
    if marker is not None and path.is_dir() and any(path.iterdir()) and not (path / marker).exists():
        raise FileExistsError(f"{path} is not empty and holds no {marker}: save into a new or dedicated directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp"))
    try:
        yield tmp
        replace_dir(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

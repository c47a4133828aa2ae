"""Resumable checkpoints: weights, optimizer, position, history and the run's config.

A checkpoint is one torch file of tensors and plain containers (loaded with
`weights_only=True`: nothing is unpickled). It records `kind`, `format_version` and the
`RunConfig` it was written under, plus the batch size and learning rate the run resolved, so a
resumed run continues with exactly the same choices or refuses with the list of differences.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from relsynth.relational.files import as_created, clean_stale
from relsynth.synth.core.files import LoadError

KIND, FORMAT_VERSION = "relsynth.checkpoint", 1


def save_checkpoint(path: str | Path, state: dict) -> None:
    """Write `state` (see `Trainer.checkpoint_state`) atomically: never a half-written file."""
    save_torch_atomic({"kind": KIND, "format_version": FORMAT_VERSION, **state}, path)


def save_torch_atomic(obj: dict, path: str | Path) -> None:
    """`torch.save(obj, path)` through a temporary sibling renamed into place: `path` keeps its previous
    version when the save fails or is interrupted (Ctrl-C, a full disk), and the sibling is removed
    then, or by the next save when its process was killed outright."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.tmp{os.getpid()}-")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        as_created(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path) -> dict:
    """The state saved at `path`; a missing, unreadable or foreign file is an error naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path} to resume from")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # written on any device, read on any
    except Exception as e:  # torch raises several kinds for a truncated or foreign file
        raise LoadError(f"{path}: not a readable relsynth checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(state, dict) or state.get("kind") != KIND:
        raise LoadError(
            f"{path}: not a relsynth checkpoint (kind {state.get('kind') if isinstance(state, dict) else None!r})"
        )
    if state.get("format_version") != FORMAT_VERSION:
        raise LoadError(
            f"{path}: checkpoint format_version {state.get('format_version')!r}, this relsynth reads {FORMAT_VERSION}"
        )
    return state

"""Faults while writing: a process killed mid-save (SIGKILL), a disk that fills up (ENOSPC,
simulated). Nothing is lost or half-written: the previous version stays readable, and the
temporary folders a killed save leaves are removed by the next write to the same place."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from robust_data import frames, schema

from relsynth.relational import RelationalData
from relsynth.relational.files import atomic_dir, clean_stale
from relsynth.synth import TabularModel, TabularPreproc

SRC = Path(__file__).resolve().parents[2] / "src"


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(f".{path.name}."))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _kill_mid_save(path: Path, tmp_path: Path) -> None:
    """A child process starts `RelationalData.to_dir(path)`, is SIGKILLed after its first table."""
    script = textwrap.dedent(f"""
        import sys, time, pandas as pd
        sys.path.insert(0, {str(SRC)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r})
        from robust_data import frames, schema
        from relsynth.relational import RelationalData
        data = RelationalData(frames(seed=1), schema())
        original = pd.DataFrame.to_parquet
        def slow(self, *a, **k):
            original(self, *a, **k)
            print("written", flush=True)
            time.sleep(60)
        pd.DataFrame.to_parquet = slow
        data.to_dir({str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    assert proc.stdout.readline().strip() == "written"  # half-way: one table written, the rest not
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_sigkill_during_to_dir_leaves_the_previous_database_and_the_next_write_cleans_up(tmp_path):
    path = tmp_path / "db"
    before = RelationalData(frames(seed=0), schema())
    before.to_dir(path)
    _kill_mid_save(path, tmp_path)
    assert any(".tmp" in s for s in _siblings(path))  # the killed save's folder is left ...
    again = RelationalData.from_dir(path)  # ... but the database is the whole previous one
    assert again.n_rows() == before.n_rows()
    pd.testing.assert_frame_equal(again["child"], before["child"])
    RelationalData(frames(seed=2), schema()).to_dir(path)  # the next write to the same place
    assert _siblings(path) == []
    assert RelationalData.from_dir(path).n_rows() == before.n_rows()


def test_sigkill_during_a_first_save_leaves_nothing_that_loads(tmp_path):
    path = tmp_path / "db"
    _kill_mid_save(path, tmp_path)
    assert not path.exists()  # never a half database that from_dir would accept
    with pytest.raises(FileNotFoundError, match="db"):
        RelationalData.from_dir(path)


def test_a_save_killed_between_its_two_renames_is_put_back(tmp_path):
    """Killed after parking the previous version and before moving the new one in: the next
    write (or clean_stale) restores the parked, complete version instead of deleting it."""
    path = tmp_path / "db"
    RelationalData(frames(seed=0), schema()).to_dir(path)
    os.replace(path, path.with_name(f".db.old{_dead_pid()}-abcdef"))
    clean_stale(path)
    assert RelationalData.from_dir(path).n_rows()["child"] == 60 and _siblings(path) == []


def test_temporary_folders_of_a_live_writer_are_left_alone(tmp_path):
    path = tmp_path / "x"
    live = tmp_path / f".x.tmp{os.getpid()}-zzz"
    live.mkdir()
    dead = tmp_path / f".x.tmp{_dead_pid()}-zzz"
    dead.mkdir()
    with atomic_dir(path) as tmp:
        (tmp / "f").write_text("1")
    assert live.exists() and not dead.exists()


def _fill_disk_after(monkeypatch, target, name: str, n_ok: int) -> None:
    """`target.name` raises OSError(ENOSPC) after `n_ok` successful calls."""
    original, calls = getattr(target, name), []

    def full(*args, **kwargs):
        calls.append(1)
        if len(calls) > n_ok:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, full)


def test_disk_full_during_to_dir_keeps_the_previous_version(tmp_path, monkeypatch):
    path = tmp_path / "db"
    before = RelationalData(frames(seed=0), schema())
    before.to_dir(path)
    _fill_disk_after(monkeypatch, pd.DataFrame, "to_parquet", 1)
    with pytest.raises(OSError) as info:
        RelationalData(frames(seed=3), schema()).to_dir(path)
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    pd.testing.assert_frame_equal(RelationalData.from_dir(path)["parent"], before["parent"])
    assert _siblings(path) == []  # the failed write removed its own temporary folder


def test_disk_full_during_a_preproc_save_keeps_the_previous_version(tmp_path, monkeypatch, pre):
    path = tmp_path / "preproc"
    pre.save(path)
    previous = (path / "preproc.json").read_text()
    _fill_disk_after(monkeypatch, Path, "write_text", 0)
    with pytest.raises(OSError, match="No space left"):
        TabularPreproc.from_schema(pre.schema, n_bins=4).fit(RelationalData(frames(), schema())).save(path)
    monkeypatch.undo()
    assert (path / "preproc.json").read_text() == previous and _siblings(path) == []


def test_disk_full_during_a_model_save_keeps_the_previous_model(tmp_path, monkeypatch, model):
    import safetensors.torch

    path = tmp_path / "model"
    model.save(path)
    weights = (path / "model.safetensors").read_bytes()
    _fill_disk_after(monkeypatch, safetensors.torch, "save_model", 0)
    with pytest.raises(OSError, match="No space left"):
        model.save(path)
    monkeypatch.undo()
    assert (path / "model.safetensors").read_bytes() == weights and _siblings(path) == []
    TabularModel.load(path)


def test_sigkill_during_a_model_save_keeps_the_model_and_the_next_save_cleans_up(tmp_path, model):
    path = tmp_path / "model"
    model.save(path)
    weights = (path / "model.safetensors").read_bytes()
    script = textwrap.dedent(f"""
        import sys, time, torch
        sys.path.insert(0, {str(SRC)!r})
        import safetensors.torch
        from relsynth.synth import TabularModel
        model = TabularModel.load({str(path)!r})
        torch.nn.init.zeros_(next(model.parameters()))
        original = safetensors.torch.save_model
        def slow(*a, **k):
            original(*a, **k)
            print("written", flush=True)
            time.sleep(60)
        safetensors.torch.save_model = slow
        model.save({str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    assert proc.stdout.readline().strip() == "written"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert any(".tmp" in s for s in _siblings(path))
    assert (path / "model.safetensors").read_bytes() == weights  # the previous model, whole
    TabularModel.load(path).save(path)
    assert _siblings(path) == []

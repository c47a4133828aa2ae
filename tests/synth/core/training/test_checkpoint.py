"""Checkpoints: resume after a crash, hooks after a resume, refused and damaged checkpoints."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from train_helpers import BATCH, Counting, Crash, assert_same_state, state_of

from relsynth.synth import CheckpointHook, TabularModel, TabularTrainer, TextTrainer, Trainer
from relsynth.synth.core.files import LoadError
from relsynth.synth.core.training import search


# ---- checkpoints -------------------------------------------------------------------------------
def test_resume_after_a_crash_ends_with_the_weights_of_an_uninterrupted_run(tmp_path, ds, make_model):
    kw = dict(n_steps=16, batch_size=BATCH, lr=1e-2, seed=3)  # crosses two epoch ends
    straight = make_model()
    Trainer(straight).train(ds, **kw)

    ckpt = tmp_path / "ckpt" / "last.pt"
    crashed = make_model()
    with pytest.raises(RuntimeError, match="crash at step 9"):
        Trainer(crashed).train(ds, hooks=[CheckpointHook(ckpt, each=1, trigger="step"), Crash(9)], **kw)
    assert ckpt.is_file() and not list(ckpt.parent.glob("*.tmp"))

    resumed = make_model()  # a fresh process: same architecture, initial weights
    steps = Counting()
    result = Trainer(resumed).train(ds, resume=ckpt, hooks=[steps], **kw)
    assert result.n_steps == 16 and len(steps.calls) == 16 - 9
    assert_same_state(state_of(straight), state_of(resumed))


def test_ctrl_c_mid_epoch_saves_the_last_finished_step_and_resumes_as_an_uninterrupted_run(
    tmp_path, ds, make_model, caplog
):
    """Ctrl-C at step 123 of a 290-step epoch under CheckpointHook(trigger="epoch") saved nothing:
    on a large database (n_epochs="auto": about one pass) every step of the run was lost."""
    kw = dict(n_steps=12, batch_size=BATCH, lr=1e-2, seed=3)  # 7 batches an epoch: stopped inside the second
    straight = make_model()
    Trainer(straight).train(ds, **kw)

    ckpt = tmp_path / "last.pt"
    crashed = make_model()
    forward, calls = crashed.forward, []

    def interrupted(*args, **kwargs):  # Ctrl-C inside the 10th step's forward pass
        calls.append(1)
        if len(calls) == 10:
            raise KeyboardInterrupt
        return forward(*args, **kwargs)

    crashed.forward = interrupted
    with pytest.raises(KeyboardInterrupt), caplog.at_level("WARNING"):
        Trainer(crashed).train(ds, hooks=[CheckpointHook(ckpt, trigger="epoch")], **kw)
    assert ckpt.is_file() and "stopped at step 9" in caplog.text and f"resume={ckpt}" in caplog.text

    resumed = make_model()
    result = Trainer(resumed).train(ds, resume=ckpt, **kw)
    assert result.n_steps == 12
    assert_same_state(state_of(straight), state_of(resumed))


def test_a_checkpoint_save_interrupted_keeps_the_last_one_and_leaves_no_temporary_file(
    tmp_path, ds, make_model, monkeypatch
):
    """Ctrl-C while a checkpoint was written left a `tmpXXXX.tmp` beside it, one more each time;
    one left by a killed process is removed by the next save."""
    ckpt = tmp_path / "last.pt"
    kw = dict(n_steps=4, batch_size=BATCH, lr=1e-2)
    Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step")], **kw)
    before = ckpt.read_bytes()
    save = torch.save

    def interrupted(obj, f, *args, **kwargs):
        save(obj, f, *args, **kwargs)  # the whole file written, then Ctrl-C before the rename
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step")], **kw)
    monkeypatch.setattr(torch, "save", save)
    assert ckpt.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".last.pt.tmp{dead.pid}-abc").write_bytes(b"half")  # a process killed mid-save
    Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step")], **kw)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]


def test_hooks_keep_their_steps_after_a_resume(tmp_path, ds, make_model):
    ckpt = tmp_path / "last.pt"
    kw = dict(n_steps=16, batch_size=BATCH, lr=1e-2)
    with pytest.raises(RuntimeError, match="crash at step 8"):
        Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step"), Crash(8)], **kw)
    every_third, per_epoch = Counting(each=3), Counting(trigger="epoch")
    Trainer(make_model()).train(ds, resume=ckpt, hooks=[every_third, per_epoch], **kw)
    assert every_third.calls == [(9, 9), (12, 12), (15, 15)]
    assert per_epoch.calls == [(2, 14)]


def test_resume_into_another_architecture_says_so(tmp_path, ds, make_model, shop_preproc, tiny_size):
    """A checkpoint of four key heads per query head (a preset before kv_heads=1) does not load
    into a model with one: the error says why and what to build instead."""
    ckpt = tmp_path / "last.pt"
    kw = dict(n_steps=4, batch_size=BATCH, lr=1e-2, seed=1)
    with pytest.raises(RuntimeError, match="crash at step 2"):
        Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step"), Crash(2)], **kw)
    other = TabularModel.build(shop_preproc, size=replace(tiny_size, kv_heads=None if tiny_size.kv_heads else 1))
    with pytest.raises(ValueError, match=r"(?s)another architecture than this model.*kv_heads=None.*qkv"):
        Trainer(other).train(ds, resume=ckpt, **kw)


def test_resume_from_a_missing_checkpoint_is_an_error(tmp_path, ds, make_model):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        Trainer(make_model()).train(ds, n_steps=2, batch_size=BATCH, lr=1e-3, resume=tmp_path / "none.pt")


def test_resume_under_other_options_is_refused_with_the_differences(tmp_path, ds, make_model):
    ckpt = tmp_path / "last.pt"
    kw = dict(n_steps=6, batch_size=BATCH, lr=1e-2, seed=1)
    with pytest.raises(RuntimeError, match="crash at step 3"):
        Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step"), Crash(3)], **kw)
    changed = {**kw, "batch_size": 4, "seed": 2}
    with pytest.raises(ValueError, match=r"other options \(batch_size: 8 -> 4; seed: 1 -> 2\)"):
        Trainer(make_model()).train(ds, resume=ckpt, **changed)
    result = Trainer(make_model()).train(ds, resume=ckpt, **kw)
    assert result.n_steps == 6


def test_resume_with_memory_reuses_the_measured_batch_size(tmp_path, ds, make_model, monkeypatch):
    ckpt = tmp_path / "last.pt"
    kw = dict(n_steps=6, memory=10_000, lr=1e-2)
    with pytest.raises(RuntimeError, match="crash at step 2"):
        Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step"), Crash(2)], **kw)

    def no_measuring(*args, **kwargs):
        raise AssertionError("the batch size was measured again")

    monkeypatch.setattr(search, "find_batch_size", no_measuring)
    result = Trainer(make_model()).train(ds, resume=ckpt, **kw)
    assert result.n_steps == 6 and result.batch_size >= 1


@pytest.mark.parametrize("damage", ["truncate", "foreign"])
def test_a_damaged_or_foreign_checkpoint_is_an_error_naming_the_file(tmp_path, ds, make_model, damage):
    ckpt = tmp_path / "last.pt"
    kw = dict(n_steps=4, batch_size=BATCH, lr=1e-2)
    Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step")], **kw)
    if damage == "truncate":
        ckpt.write_bytes(ckpt.read_bytes()[:200])
        match = "not a readable relsynth checkpoint"
    else:
        torch.save({"weights": torch.zeros(2)}, ckpt)
        match = "not a relsynth checkpoint"
    with pytest.raises(LoadError, match=match) as err:
        Trainer(make_model()).train(ds, resume=ckpt, **kw)
    assert str(ckpt) in str(err.value)


def test_no_module_unpickles_arbitrary_objects():
    src = Path(__file__).resolve().parents[4] / "src"
    offenders = [p for p in src.rglob("*.py") if "weights_only=False" in p.read_text()]
    assert offenders == []


def test_aindos_trainer_save_and_load_say_to_save_the_model_and_resume_from_a_checkpoint(tmp_path, make_model):
    # aindo.rdml scripts call trainer.save(path) / TabularTrainer.load(path): not AttributeError, but what to call
    then = r"save the trained model \(trainer\.model\.save\(path\)\).*CheckpointHook\(path\).*resume=path"
    with pytest.raises(NotImplementedError, match=r"a TabularTrainer is not saved.*" + then) as refused:
        TabularTrainer(make_model()).save(tmp_path / "t")
    assert "read it back with TabularModel.load(path)" in str(refused.value)
    for trainer_cls, model_cls in ((TabularTrainer, "TabularModel"), (TextTrainer, "TextModel")):
        with pytest.raises(NotImplementedError, match=rf"a {trainer_cls.__name__} is not saved.*" + then) as refused:
            trainer_cls.load(tmp_path / "t")
        assert f"read it back with {model_cls}.load(path)" in str(refused.value)
    assert not (tmp_path / "t").exists()


def test_a_trainers_repr_names_its_model_and_budget(make_model):
    from relsynth.synth import DpBudget

    assert repr(TabularTrainer(make_model())) == "TabularTrainer(model=TabularModel)"
    budget = DpBudget(epsilon=3.0, delta=1e-5)
    assert repr(Trainer(make_model(), dp_budget=budget)) == f"Trainer(model=TabularModel, dp_budget={budget!r})"

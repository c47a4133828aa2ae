"""Checkpoints: resume after a crash, hooks after a resume, refused and damaged checkpoints."""

from __future__ import annotations

import pytest
from train_helpers import BATCH, Counting, Crash, assert_same_state, state_of

from relsynth.synth import CheckpointHook, Trainer


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


def test_hooks_keep_their_steps_after_a_resume(tmp_path, ds, make_model):
    ckpt = tmp_path / "last.pt"
    kw = dict(n_steps=16, batch_size=BATCH, lr=1e-2)
    with pytest.raises(RuntimeError, match="crash at step 8"):
        Trainer(make_model()).train(ds, hooks=[CheckpointHook(ckpt, trigger="step"), Crash(8)], **kw)
    every_third, per_epoch = Counting(each=3), Counting(trigger="epoch")
    Trainer(make_model()).train(ds, resume=ckpt, hooks=[every_third, per_epoch], **kw)
    assert every_third.calls == [(9, 9), (12, 12), (15, 15)]
    assert per_epoch.calls == [(2, 14)]


def test_resume_from_a_missing_checkpoint_is_an_error(tmp_path, ds, make_model):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        Trainer(make_model()).train(ds, n_steps=2, batch_size=BATCH, lr=1e-3, resume=tmp_path / "none.pt")

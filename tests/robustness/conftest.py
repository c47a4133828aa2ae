"""A small database, a fitted preprocessor and untrained tiny models for the robustness cases."""

from __future__ import annotations

import pytest
import torch
from robust_data import TINY, frames, schema

from relsynth.relational import RelationalData
from relsynth.synth import TabularModel, TabularPreproc, TextModel, TextPreproc


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def db() -> RelationalData:
    return RelationalData(frames(), schema())


@pytest.fixture(scope="session")
def pre(db) -> TabularPreproc:
    return TabularPreproc.from_schema(db.schema, ctx_cols=["seg", "amount"], min_count=1).fit(db)


@pytest.fixture(scope="session")
def model(pre) -> TabularModel:
    torch.manual_seed(0)
    return TabularModel.build(preproc=pre, size=TINY, block_size=64)


@pytest.fixture(scope="session")
def text_model(db) -> TextModel:
    tp = TextPreproc.from_schema_table(schema=db.schema, table="child", vocab_size=300).fit(data=db)
    return TextModel.build(preproc=tp, size=TINY, block_size=64)


@pytest.fixture(scope="session")
def saved(tmp_path_factory, model, pre, db) -> dict:
    """Saved copies to damage: a preprocessor, a model and a database."""
    root = tmp_path_factory.mktemp("saved")
    pre.save(root / "preproc")
    model.save(root / "model")
    db.to_dir(root / "db")
    return {"root": root}

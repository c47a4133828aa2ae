"""generation: the generation node from a briefly trained tiny model, parameters, the interface."""

from __future__ import annotations

import functools
import logging

import pytest

from relsynth.pipelines.generation import create_pipeline
from relsynth.pipelines.generation.nodes import generate_synthetic_database
from relsynth.relational import RelationalData
from relsynth.synth import TabularDataset, TabularModel, TabularModelSize, TabularPreproc, TabularTrainer
from relsynth.synth.tabular import _generate


@pytest.fixture
def tiny_model(tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc) -> TabularModel:
    model = TabularModel.build(tiny_preproc, size=TabularModelSize(n_layers=1, h=2, d=16))
    TabularTrainer(model).train(TabularDataset.from_data(tiny_parts[0], tiny_preproc), n_steps=3, batch_size=4, lr=3e-3)
    return model


def assert_valid_synthetic(synthetic: RelationalData, train: RelationalData) -> None:
    """A validated RelationalData (keys and foreign keys checked on construction) of train's schema."""
    assert isinstance(synthetic, RelationalData)
    assert synthetic.schema == train.schema
    RelationalData(dict(synthetic.items()), synthetic.schema)  # validates again, from the bare tables
    assert set(synthetic["album"]["artist"]) <= set(synthetic["artist"]["id"])
    assert set(synthetic["track"]["album"]) <= set(synthetic["album"]["id"])


def test_generate_as_many_roots_as_train(
    tiny_model: TabularModel, tiny_parts: tuple[RelationalData, RelationalData], params: dict
) -> None:
    train = tiny_parts[0]
    synthetic, warnings = generate_synthetic_database(tiny_model, train, params["tabular_generation"])
    assert warnings == []  # a clean generation: the report gets no generation warning
    assert_valid_synthetic(synthetic, train)
    assert len(synthetic["artist"]) == len(train["artist"])
    assert synthetic["artist"]["name"].isna().all()  # text columns are the text model's job


def test_generate_n_samples_reproducibly(
    tiny_model: TabularModel, tiny_parts: tuple[RelationalData, RelationalData], params: dict
) -> None:
    train = tiny_parts[0]
    group = {**params["tabular_generation"], "n_samples": 13, "seed": 3}
    first, _ = generate_synthetic_database(tiny_model, train, group)
    again, _ = generate_synthetic_database(tiny_model, train, group)
    assert_valid_synthetic(first, train)
    assert len(first["artist"]) == 13
    assert first["track"].equals(again["track"])


@pytest.mark.parametrize(
    "bad, message",
    [({"temperature": 0.5}, r"unknown key\(s\) \['temperature'\]"), ({"ctx": []}, r"may not set \['ctx'\]")],
)
def test_generate_rejects_bad_parameters(
    tiny_model: TabularModel, tiny_parts: tuple[RelationalData, RelationalData], bad: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        generate_synthetic_database(tiny_model, tiny_parts[0], bad)


def test_pipeline_interface() -> None:
    pipe = create_pipeline()
    assert pipe.inputs() == {"tabular_model", "database_train", "params:tabular_generation"}
    assert pipe.outputs() == {"synthetic_tabular", "generation_warnings"}
    assert {n.name for n in pipe.nodes} == {"generation.generate_synthetic_database"}


def test_generation_returns_the_warnings_the_library_logged(
    tiny_model: TabularModel, tiny_parts: tuple[RelationalData, RelationalData], params: dict, monkeypatch
) -> None:
    generate = tiny_model.generate

    @functools.wraps(generate)  # the same signature: the node checks its parameters against it
    def warning_generate(*args, **kwargs):
        logging.getLogger("relsynth.synth.tabular._references.generate").warning(
            "matches: %d of %d generated row(s) repeating a link dropped", 409, 864
        )
        logging.getLogger("relsynth.synth").info("not a warning")
        logging.getLogger("torch").warning("not the library's")
        return generate(*args, **kwargs)

    monkeypatch.setattr(tiny_model, "generate", warning_generate)
    synthetic, warnings = generate_synthetic_database(tiny_model, tiny_parts[0], params["tabular_generation"])
    assert warnings == ["matches: 409 of 864 generated row(s) repeating a link dropped"]
    logging.getLogger("relsynth.synth").warning("after the node")  # the handler went with the call
    assert warnings == ["matches: 409 of 864 generated row(s) repeating a link dropped"]


def test_generation_returns_what_workers_and_python_warnings_warned(
    tiny_parts: tuple[RelationalData, RelationalData], tiny_preproc: TabularPreproc, params: dict, monkeypatch
) -> None:
    """Two ways the library warns that the report missed: a warning logged inside a worker process
    (`workers=2`) and a `warnings.warn` of the library (the model was never trained)."""
    untrained = TabularModel.build(tiny_preproc, size=TabularModelSize(n_layers=1, h=2, d=16))
    run_pool = _generate._run_pool

    def warning_pool(*args, **kwargs):  # runs in each worker
        logging.getLogger("relsynth.synth.tabular._generate").warning("entity cut at %d tokens", 99)
        return run_pool(*args, **kwargs)

    monkeypatch.setattr(_generate, "_run_pool", warning_pool)
    group = {**params["tabular_generation"], "batch_size": 2, "workers": 2}
    with pytest.warns(UserWarning, match="neither trained nor loaded"):  # still shown as before
        _, warnings = generate_synthetic_database(untrained, tiny_parts[0], group)
    assert len(warnings) == 2 and "entity cut at 99 tokens" in warnings
    assert any(w.startswith("this TabularModel was built but neither trained nor loaded") for w in warnings)

"""What a user meets first: the public names, their help() and the package's entry points."""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import pkgutil
import subprocess
import sys

import pytest

import relsynth
import relsynth.eval
import relsynth.relational
import relsynth.synth

PUBLIC = [(m, n) for m in (relsynth.relational, relsynth.synth, relsynth.eval) for n in m.__all__]


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m.__name__}.{n}" for m, n in PUBLIC])
def test_every_public_name_and_its_public_methods_have_a_docstring(module, name):
    obj = getattr(module, name)
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        return
    assert (obj.__doc__ or "").strip(), f"{module.__name__}.{name} has no docstring: help() shows nothing"
    if not inspect.isclass(obj) or issubclass(obj, str):  # an enum of kinds documents its members
        return
    for attr in ("build", "load", "save", "fit", "generate", "train", "from_data", "from_schema", "split"):
        if attr in vars(obj):  # inspect.getdoc, like help(), reads an override's doc from the method it overrides
            assert (inspect.getdoc(getattr(obj, attr)) or "").strip(), f"{name}.{attr} has no docstring"


def test_the_error_generation_stops_with_can_be_caught_by_its_public_name():
    """A caller catching a runaway generation had to import it from a private module."""
    from relsynth.synth.tabular._generate import RunawayEntity

    assert relsynth.synth.RunawayEntity is RunawayEntity and "RunawayEntity" in relsynth.synth.__all__
    assert issubclass(RunawayEntity, RuntimeError)  # what callers catching RuntimeError caught before


def test_the_error_a_non_finite_loss_stops_training_with_can_be_caught_by_its_public_name():
    """Training stopped by a NaN loss raised a bare FloatingPointError; NonFiniteLoss lived in a private module."""
    from relsynth.synth.core.training.strategy import NonFiniteLoss

    assert relsynth.synth.NonFiniteLoss is NonFiniteLoss and "NonFiniteLoss" in relsynth.synth.__all__
    assert issubclass(NonFiniteLoss, FloatingPointError)  # what callers catching FloatingPointError caught before


def _library_error_classes() -> set[type]:
    """Every exception class defined in the library (relational, synth, eval), found by importing it."""
    found = set()
    for package in (relsynth.relational, relsynth.synth, relsynth.eval):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            for obj in vars(importlib.import_module(info.name)).values():
                if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__.startswith("relsynth."):
                    found.add(obj)
    return found


def _error_examples() -> list[BaseException]:
    from relsynth.eval._common import EvalWarning
    from relsynth.relational.errors import DataError, SchemaError
    from relsynth.relational.files import LoadError
    from relsynth.relational.sql import StoredNaN
    from relsynth.synth.core.training.strategy import NonFiniteLoss
    from relsynth.synth.core.workers import WorkerHung
    from relsynth.synth.tabular._generate import RunawayEntity

    return [
        DataError(["table t: 3 orphan keys", "table u: column c holds text"]),
        SchemaError("table t: no primary key"),
        LoadError("model.json: not JSON"),
        StoredNaN("price", 2),
        NonFiniteLoss("the loss is nan"),
        WorkerHung("worker 0 of 2 used no CPU for 30 s"),
        RunawayEntity("generate: an entity of t grew past 1,024 tokens"),
        EvalWarning("table t is empty"),
    ]


def test_every_library_error_comes_back_from_pickle_with_its_type_message_and_fields():
    """Errors raised in worker processes reach the caller pickled; callers catch them by type and read
    their fields (`DataError.problems`). A new error class must be added to the examples."""
    examples = _error_examples()
    assert {type(e) for e in examples} == _library_error_classes()
    for error in examples:
        back = pickle.loads(pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(back) is type(error) and str(back) == str(error) and back.args == error.args
        assert vars(back) == vars(error)


def test_import_relsynth_reaches_the_library_modules_lazily():
    # a fresh interpreter: `import relsynth` alone imports no torch, and relsynth.synth is there when asked for
    code = (
        "import sys, relsynth\n"
        "assert 'torch' not in sys.modules\n"
        "assert relsynth.synth.TabularModel.__name__ == 'TabularModel'\n"
        "assert relsynth.relational.Schema and relsynth.eval.report\n"
        "assert 'relsynth.synth' in sys.modules\n"
        "try:\n    relsynth.nothing\nexcept AttributeError as e:\n    assert 'nothing' in str(e)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert "relational" in (relsynth.__doc__ or "") and "synth" in (relsynth.__doc__ or "")

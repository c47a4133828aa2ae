"""What a user meets first: the public names, their help() and the package's entry points."""

from __future__ import annotations

import inspect

import pytest

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

"""What a user meets first: the public names, their help() and the package's entry points."""

from __future__ import annotations

import inspect
import os
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

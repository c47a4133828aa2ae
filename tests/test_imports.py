"""The package's import graph: no circle anywhere, private modules stay private, layers point one way.

Every import statement counts, at module level or inside a function: a function-level import
only hides a circle, it does not remove it.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "relsynth"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The most specific module of ours that `name` (a module or a module's attribute) lies in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """Our modules that `module` imports (a package's names resolve to the submodule they name)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == PACKAGE and (target := _resolve(name)) is not None and target != module:
                out.add(target)
    return out


GRAPH = {m: imports_of(m) for m in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_checker_sees_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_the_package():
    assert _cycles(GRAPH) == [], "import circles (each list is one circle of modules)"


def test_every_module_is_seen():
    assert "relsynth.synth.core.training.loop" in GRAPH and len(GRAPH) > 40
    assert importlib.util.find_spec("relsynth.synth.tabular._generate") is not None


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_private_modules_are_imported_only_inside_their_package(module):
    for target in GRAPH[module]:
        parts = target.split(".")
        private = [i for i, p in enumerate(parts) if p.startswith("_") and p != "__init__"]
        if private:
            owner = ".".join(parts[: private[0]])  # the package that owns the private part
            assert module.startswith(owner + ".") or module == owner, f"{module} imports private {target}"


LAYERS = {  # a package may import only these of ours (besides itself)
    "relsynth.relational": set(),
    "relsynth.eval": {"relsynth.relational"},
    "relsynth.synth.core": {"relsynth.relational"},
    "relsynth.synth.tabular": {"relsynth.relational", "relsynth.synth.core"},
    "relsynth.synth.text": {"relsynth.relational", "relsynth.synth.core"},
}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_point_one_way(layer):
    allowed = LAYERS[layer] | {layer}
    for module, targets in GRAPH.items():
        if module == layer or module.startswith(layer + "."):
            bad = [t for t in targets if not any(t == a or t.startswith(a + ".") for a in allowed)]
            assert not bad, f"{module} imports {bad}: {layer} may use only {sorted(LAYERS[layer])}"


@pytest.mark.parametrize(
    "module", sorted(m for m in GRAPH if m.startswith(("relsynth.relational", "relsynth.synth", "relsynth.eval")))
)
def test_the_library_imports_neither_kedro_nor_mlflow(module):
    tree = ast.parse(MODULES[module].read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] in ("kedro", "kedro_mlflow", "mlflow")]


SHARED_CONSTANTS = {"DAY_NS": "relsynth.relational.orders"}  # defined in one module, imported by the others


def _module_constants(module: str) -> set[str]:
    """The names a module assigns at its top level, without a leading underscore."""
    tree = ast.parse(MODULES[module].read_text())
    targets = [t for n in tree.body if isinstance(n, ast.Assign) for t in n.targets]
    targets += [n.target for n in tree.body if isinstance(n, ast.AnnAssign)]
    return {t.id.lstrip("_") for t in targets if isinstance(t, ast.Name)}


@pytest.mark.parametrize("name", sorted(SHARED_CONSTANTS))
def test_a_shared_constant_is_defined_in_one_module(name):
    """A private copy (`_DAY_NS = 86_400 * 10**9`) is one more place a unit can go wrong."""
    assert sorted(m for m in MODULES if name in _module_constants(m)) == [SHARED_CONSTANTS[name]]


def test_no_two_test_modules_outside_packages_share_a_file_name():
    """pytest imports a test module outside a package by its file name alone, so two of one name
    (tests/eval/test_orders.py beside tests/relational/test_orders.py) stop the whole suite at
    collection ("import file mismatch"), though each passes run alone."""
    tests = Path(__file__).resolve().parent
    by_name: dict[str, list[str]] = {}
    for path in tests.rglob("test_*.py"):
        if not (path.parent / "__init__.py").exists():
            by_name.setdefault(path.name, []).append(str(path.relative_to(tests)))
    assert {n: p for n, p in by_name.items() if len(p) > 1} == {}, "rename one of each"

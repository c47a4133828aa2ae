"""The rules package keeps each shared helper in one home: no two rule modules define a function
of one body (a copy drifts: a fix to one reader of floats misses the others), and no module of it,
nor of the tabular package around it, imports a name another module keeps private (a helper others
use is public, where its role says).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

RULES = Path(__file__).resolve().parents[3] / "src" / "relsynth" / "synth" / "tabular" / "rules"


def _body_key(node: ast.FunctionDef) -> str:
    """The function's body without its docstring, its arguments renamed by position: two functions
    of one key do the same thing."""
    names = {a.arg: f"arg{i}" for i, a in enumerate(node.args.args)}
    body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    module = ast.parse(ast.unparse(ast.Module(body=body, type_ignores=[])))
    for n in ast.walk(module):
        if isinstance(n, ast.Name) and n.id in names:
            n.id = names[n.id]
    return f"{len(names)}:{ast.dump(module)}"


def repeated_functions(root: Path) -> list[list[str]]:
    """Groups of `module:function` (module-level functions under `root`) that share one body."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                groups[_body_key(node)].append(f"{path.stem}:{node.name}")
    return sorted(g for g in groups.values() if len(g) > 1)


def private_imports(root: Path) -> list[str]:
    """`module: name from source` for every private name (`_x`, not a private module) a module under
    `root` imports from another module of the package."""
    out = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("relsynth"):
                for alias in node.names:
                    if alias.name.startswith("_") and not _is_module(f"{node.module}.{alias.name}"):
                        out.append(f"{path.stem}: {alias.name} from {node.module}")
    return sorted(out)


def _is_module(name: str) -> bool:
    src = RULES.parents[3]
    path = src.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_the_checks_see_a_copy_and_a_private_import(tmp_path):
    (tmp_path / "a.py").write_text(
        "from relsynth.x import _hidden, shown\n\ndef _f(s):\n    return s + 1\n\ndef g(v):\n    '''Doc.'''\n"
        "    return v + 1\n\ndef h(v):\n    return v + 2\n"
    )
    assert repeated_functions(tmp_path) == [["a:_f", "a:g"]]
    assert private_imports(tmp_path) == ["a: _hidden from relsynth.x"]


def test_no_two_rule_modules_define_one_function():
    assert repeated_functions(RULES) == [], (
        "fold each group into one helper (numbers.py: numbers; columns.py: fitted columns)"
    )


def test_rule_modules_import_no_private_name():
    assert private_imports(RULES) == [], "give each helper other modules use a public name, in its one home"


def test_no_module_of_relsynth_imports_a_private_name():
    assert private_imports(RULES.parents[2]) == [], "give each helper other modules use a public name, in its one home"

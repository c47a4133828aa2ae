"""Values read as numbers through `relational.numbers.to_numbers` only: pandas' own parser kills the
process on a hexadecimal hash ("6991e59055083123824fa0...": digits, an e, a 14-digit exponent; pandas 2.3,
pandas-dev/pandas#63089), so the library calls `pd.to_numeric` in that one place, and reads there
what pandas reads everywhere else."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.relational.numbers import to_numbers

SRC = Path(__file__).resolve().parents[2] / "src" / "relsynth"
HOME = SRC / "relational" / "numbers.py"
SHA = "6991e59055083123824fa0c016a64c8361d4dd15"


def _to_numeric_uses(path: Path) -> list[int]:
    """Lines of `path` that name `to_numeric` (a call, `.apply(pd.to_numeric)`, an import of it)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    lines = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "to_numeric"]
    lines += [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == "to_numeric"]
    lines += [n.lineno for n in ast.walk(tree) if isinstance(n, ast.alias) and n.name == "to_numeric"]
    return sorted(lines)


def test_pd_to_numeric_is_called_nowhere_but_in_the_safe_reader():
    """A new `pd.to_numeric(column)` anywhere in the library is a crash on the first hash it meets."""
    found = {
        str(p.relative_to(SRC)): lines for p in sorted(SRC.rglob("*.py")) if p != HOME if (lines := _to_numeric_uses(p))
    }
    assert found == {}, f"call relsynth.relational.numbers.to_numbers instead of pd.to_numeric: {found}"


def test_the_check_sees_every_way_of_naming_it(tmp_path):
    code = "import pandas as pd\nfrom pandas import to_numeric\nx = pd.to_numeric(s)\ny = s.apply(pd.to_numeric)\nz = to_numeric(s)\n"
    (tmp_path / "m.py").write_text(code)
    assert _to_numeric_uses(tmp_path / "m.py") == [2, 3, 4, 5]


ORDINARY = ["1", " 2.5", "-3e5", "1E-3", "007", "+4", "x", "", None, "nan", "inf", "1e308", "1e999", "12e345678"]


@pytest.mark.parametrize("dtype", [object, "string"])
def test_ordinary_values_read_as_pandas_reads_them(dtype):
    s = pd.Series(ORDINARY, dtype=dtype)
    pd.testing.assert_series_equal(to_numbers(s), pd.to_numeric(s, errors="coerce"))
    ints = pd.Series(["1", "2", None], dtype=dtype)
    pd.testing.assert_series_equal(to_numbers(ints), pd.to_numeric(ints, errors="coerce"))


def test_arrays_and_numbers_come_back_as_pandas_gives_them():
    for values in (np.array(["1", "x", "2.5"], dtype=object), np.array([1, 2]), np.array([1.5, np.nan])):
        np.testing.assert_array_equal(to_numbers(values), pd.to_numeric(values, errors="coerce"))
    pd.testing.assert_index_equal(
        to_numbers(pd.Index(["1", "x"])), pd.to_numeric(pd.Index(["1", "x"]), errors="coerce")
    )
    s = pd.Series([1, 2, 3], dtype="Int64")
    pd.testing.assert_series_equal(to_numbers(s), s)
    with pytest.raises(ValueError):
        to_numbers(pd.Series(["1", "x"], dtype=object), errors="raise")


def test_huge_exponents_read_as_python_reads_them():
    s = pd.Series([SHA, "1e12345678901", "-1E+12345678901", " 2e-12345678901 ", "1_0e12345678901", "7", None])
    out = to_numbers(s)
    assert out.iloc[0] != out.iloc[0]  # a hash: no number (the hex letters after the exponent)
    assert out.iloc[1:4].tolist() == [np.inf, -np.inf, 0.0]
    assert np.isnan(out.iloc[4])  # an underscore: no number to pandas, though Python's float reads one
    assert out.iloc[5] == 7.0 and np.isnan(out.iloc[6])
    with pytest.raises(ValueError):
        to_numbers(pd.Series([SHA]), errors="raise")
    assert to_numbers(pd.Series(["1e12345678901"]), errors="raise").tolist() == [np.inf]


def test_hashes_in_every_container_are_read_without_crashing_the_process():
    """Run apart: pandas' crash is a segfault, which would take the whole test session with it."""
    script = f"""
import numpy as np, pandas as pd
from relsynth.relational.numbers import to_numbers
sha = {SHA!r}
for values in (pd.Series([sha, "1"], dtype=object), pd.Series([sha], dtype="string"), np.array([sha, "2"], dtype=object),
               pd.Index([sha, "3"]), [sha, "4"], pd.Series(["1e2147483648"])):
    print(np.asarray(to_numbers(values), dtype=float).tolist())
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split("\n")[:6] == ["[nan, 1.0]", "[nan]", "[nan, 2.0]", "[nan, 3.0]", "[nan, 4.0]", "[inf]"]

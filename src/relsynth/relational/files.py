"""Files, written atomically and read with errors that name them: the one place for both.

It lives in the lowest layer so that `RelationalData.to_dir` shares it with every saved object
of `relsynth.synth` (`relsynth.synth.core.files` re-exports it).

- `atomic_dir(path)`: a temporary sibling directory, swapped in at the end; a failed write
  leaves the previous version. Temporary siblings left by a killed process (SIGKILL, power
  loss) are removed by the next write to the same place.
- `read_parquet`, `read_csv`, `read_json`: a damaged file is a `LoadError` naming it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from relsynth.relational.numbers import is_huge_exponent


class LoadError(ValueError):
    """A saved file that cannot be read as what was expected; the message names the file."""


def replace_dir(src: Path, dst: Path) -> None:
    """Move the finished directory `src` to `dst`, replacing what was there (never half-written)."""
    old = None
    if dst.exists():
        old = dst.with_name(f".{dst.name}.old{os.getpid()}-{os.urandom(3).hex()}")
        os.replace(dst, old)
    try:
        os.replace(src, dst)
    except BaseException:
        if old is not None:
            os.replace(old, dst)  # put the previous version back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def clean_stale(path: str | Path) -> list[Path]:
    """Remove the temporary siblings of `path` (`.<name>.tmp<pid>-...`, `.<name>.old<pid>-...`) whose
    writing process is gone; returns what was removed. A previous version parked as `.old` by a
    process killed between its two renames is put back when `path` itself is missing."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(tmp|old)(\d+)-")
    removed = []
    for sibling in sorted(path.parent.iterdir()):
        m = pattern.match(sibling.name)
        if m is None or _alive(int(m.group(2))):
            continue
        if m.group(1) == "old" and not path.exists():
            os.replace(sibling, path)  # the last complete version, never swapped back
            continue
        if sibling.is_dir():
            shutil.rmtree(sibling, ignore_errors=True)
        else:  # a single file's temporary (a checkpoint)
            sibling.unlink(missing_ok=True)
        removed.append(sibling)
    return removed


def _process_umask() -> int:
    mask = os.umask(0)  # the only way to read it: set and restore (at import, before any thread)
    os.umask(mask)
    return mask


_UMASK = _process_umask()


def as_created(path: str | Path) -> None:
    """Give a file or directory that `tempfile` made private (0600, 0700) the mode `open()` or
    `mkdir()` would have given it (the umask's), for what is kept: a saved model must be readable
    by whoever the umask lets read it (a server under another account)."""
    os.chmod(path, (0o777 if Path(path).is_dir() else 0o666) & ~_UMASK)


@contextmanager
def atomic_dir(path: str | Path, marker: str | None = None) -> Iterator[Path]:
    """A fresh directory beside `path` to write into. It replaces `path` when the block ends
    without an error and is removed otherwise, so `path` is always complete or untouched.

    With `marker` (a file every such save writes), an existing non-empty `path` without it is
    refused: saving into a folder of other files must not delete them."""
    path = Path(path)
    if marker is not None and path.is_dir() and any(path.iterdir()) and not (path / marker).exists():
        raise FileExistsError(f"{path} is not empty and holds no {marker}: save into a new or dedicated directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp{os.getpid()}-"))
    try:
        as_created(tmp)
        yield tmp
        replace_dir(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_text_atomic(file: str | Path, text: str) -> None:
    """`file` with `text`, written to a temporary sibling and renamed: never half-written."""
    file = Path(file)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.tmp{os.getpid()}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        as_created(tmp)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---- reading: every error names the file --------------------------------------------------------
DECIMAL_PRECISION = "decimal_precision"  # a frame's attrs key: column -> declared precision of a parquet decimal
DECIMAL_SCALE = "decimal_scale"  # a frame's attrs key: column -> declared scale of a parquet decimal


def read_parquet(file: Path, what: str = "table") -> pd.DataFrame:
    """A parquet file; a truncated or damaged one is a `LoadError` naming it."""
    import pyarrow
    import pyarrow.parquet

    try:
        df = pd.read_parquet(file)
        # decimals' declared precision, which their Decimal values do not carry (to_dir writes it back)
        fields = pyarrow.parquet.read_schema(file)
        df.attrs[DECIMAL_PRECISION] = {f.name: f.type.precision for f in fields if pyarrow.types.is_decimal(f.type)}
        df.attrs[DECIMAL_SCALE] = {f.name: f.type.scale for f in fields if pyarrow.types.is_decimal(f.type)}
        return df
    except (pyarrow.ArrowException, OSError, ValueError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise LoadError(f"{file}: not a readable parquet {what} ({type(e).__name__}: {e}); write it again") from None


def write_parquet(df: pd.DataFrame, file: Path, decimals: dict[str, tuple[int, int]] | None = None) -> None:
    """`df` as a parquet file; `decimals` (column -> precision, scale) are written as those decimal
    types, as the source declared them, where every value fits (else as the values make them)."""
    import pyarrow

    schema = None
    if decimals:
        schema = pyarrow.Schema.from_pandas(df, preserve_index=False)
        for col, (precision, scale) in decimals.items():
            i = schema.get_field_index(col)
            if i >= 0 and pyarrow.types.is_decimal(schema.field(i).type):
                schema = schema.set(i, pyarrow.field(col, pyarrow.decimal128(precision, scale)))
    try:
        df.to_parquet(file, index=False, schema=schema)
    except (pyarrow.ArrowInvalid, ValueError):
        if schema is None:
            raise
        df.to_parquet(file, index=False)  # a generated value needs more digits than declared: the values' own type


def read_csv(file: Path, what: str = "table", **kw) -> pd.DataFrame:
    """A CSV file; an unreadable one is a `LoadError` naming it, and so is one with a row of fewer
    or more fields than its header (pandas would read the missing ones as nulls, and rows of one more
    field each as shifted a column to the left; it refuses a row of more among others).
    A file in another encoding or separated by another character is refused with the pandas line
    that rewrites it, every value as written (`_conversion`)."""
    if (hint := _separator_hint(file)) is not None:
        sep = "" if hint == "," else f", sep={hint!r}"
        raise LoadError(
            f"{file}: not a readable CSV {what}: its first line 'sep={hint}' is a spreadsheet's note of its separator, "
            f"not a header; delete that line (pandas: pd.read_csv(file, skiprows=1{sep}, dtype=str, "
            "keep_default_na=False).to_csv(file, index=False))"
        )
    try:
        df = pd.read_csv(file, **_huge_exponents_as_text(file, kw))
    except FileNotFoundError:
        raise
    except UnicodeDecodeError as e:  # a spreadsheet's export in latin-1 or cp1252 (São Paulo), or UTF-16
        encoding = _legacy_encoding(file)
        raise LoadError(
            f"{file}: not a readable CSV {what} ({type(e).__name__}: {e}); CSV files are read as UTF-8: save it "
            f"as UTF-8 (iconv -f {encoding} -t utf-8, or pandas: {_conversion(file, encoding)}), if {encoding} "
            "is its encoding"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as e:
        raise LoadError(f"{file}: not a readable CSV {what} ({type(e).__name__}: {e})") from None
    separator = None if "usecols" in kw or len(df.columns) != 1 else _other_separator(str(df.columns[0]))
    if separator is not None:
        raise LoadError(
            f"{file}: not a comma-separated CSV {what}: its header is one field {df.columns[0]!r}, names separated "
            f"by {separator!r}; write it with commas (pandas: {_conversion(file, 'utf-8-sig')}) or as parquet"
        )
    uneven, header = _uneven_rows(file)
    if (named := _header_problem(header)) and "usecols" not in kw:
        raise LoadError(f"{file}: not a readable CSV {what}: its header {named}; give every column one name of its own")
    width = len(header)
    short, long = [(n, k) for n, k in uneven if k < width], [(n, k) for n, k in uneven if k > width]
    if long:
        # pandas reads rows of one field more than the header (a separator ending each row) without
        # a word: their first field becomes the index and every value moves one column to the left
        lines = ", ".join(f"line {n} has {k}" for n, k in long[:3])
        raise LoadError(
            f"{file}: not a readable CSV {what}: {len(long)} row(s) have more fields than the header's {width} "
            f"({lines}); a separator at the end of each row? pandas would read every value one column to the "
            "left of its name; remove it, or name the extra field in the header"
        )
    if short:
        lines = ", ".join(f"line {n} has {k}" for n, k in short[:3])
        raise LoadError(
            f"{file}: not a readable CSV {what}: {len(short)} row(s) have fewer fields than the header's {width} "
            f"({lines}); pandas would read the missing ones as nulls"
        )
    return df


def _conversion(file: Path, encoding: str) -> str:
    """The pandas line that rewrites `file` (in `encoding`) as a comma-separated UTF-8 CSV keeping
    every value as written: as text (a zip code's leading zero, 'NA', a decimal comma, which relsynth
    reads as a number in its spelling), in the separator its header uses."""
    import csv

    with open(file, encoding=encoding, errors="replace", newline="") as f:
        header = next(csv.reader(f), [])
    separator = _other_separator(header[0]) if len(header) == 1 else None
    how = "".join(
        [
            f", sep={separator!r}" if separator else "",
            f", encoding={encoding!r}" if encoding not in ("utf-8", "utf-8-sig") else "",
            ", dtype=str, keep_default_na=False",
        ]
    )
    return f"pd.read_csv(file{how}).to_csv(file, index=False)"


def _separator_hint(file: Path) -> str | None:
    """The separator a first line `sep=;` names (Excel writes it, and reads the file by it), else None."""
    try:
        with open(file, encoding="utf-8-sig", errors="replace", newline="") as f:
            first = f.readline(64).rstrip("\r\n")
    except OSError:
        return None  # pandas names what is wrong with the file
    m = re.fullmatch(r"sep=(.)", first)
    return m[1] if m else None


def _legacy_encoding(file: Path) -> str:
    """The encoding a CSV that is not UTF-8 is most likely in: UTF-16 where it starts with its byte
    order mark (a spreadsheet's "Unicode text"), else Windows' cp1252 where it decodes, else latin-1."""
    data = Path(file).read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _other_separator(header: str) -> str | None:
    """The separator a header read as one comma-separated field seems to use instead of commas (`;`, as spreadsheets
    write where the decimal mark is a comma; a tab; `|`); None if none."""
    for separator in (";", "\t", "|"):
        if len([name for name in header.split(separator) if name.strip()]) > 1:
            return separator
    return None


def _huge_exponents_as_text(file: Path, kw: dict) -> dict:
    """`kw` with each column holding a field of an exponent pandas' CSV parser would crash on (a hexadecimal
    hash's, `numbers.is_huge_exponent`) read as text (`dtype` str), where pandas would guess its type: the
    coercion to the column's kind reads its numbers safely (`numbers.to_numbers`)."""
    dtype = kw.get("dtype")
    if dtype is not None and not isinstance(dtype, dict):  # every column's type given: none guessed
        return kw
    with open(file, encoding="utf-8-sig", errors="replace") as f:
        if not any(is_huge_exponent(line) for line in f):
            return kw
    import csv

    with open(file, newline="", encoding="utf-8-sig", errors="replace") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        found = {header[i] for row in reader for i, v in enumerate(row[: len(header)]) if is_huge_exponent(v)}
    return {**kw, "dtype": {**{c: str for c in found}, **(dtype or {})}}


def _uneven_rows(file: Path) -> tuple[list[tuple[int, int]], list[str]]:
    """(line, fields) of each record with fewer or more fields than the header (blank lines aside), and the header."""
    import csv

    with open(file, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return [], []
        return [(reader.line_num, len(r)) for r in reader if r and len(r) != len(header)], header


def _header_problem(header: list[str]) -> str | None:
    """What is wrong with a header's names, or None: pandas reads a repeated name `q5` as `q5.1`
    and an empty one (a trailing comma) as `Unnamed: 2`, names the file does not hold."""
    empty = [i + 1 for i, name in enumerate(header) if not name.strip()]
    if empty:
        return f"has no name for its field(s) {empty} (a trailing comma?)"
    repeated = sorted(name for name, n in Counter(header).items() if n > 1)
    return f"repeats the column name(s) {repeated}" if repeated else None


def read_json(file: Path, what: str = "JSON file") -> object:
    """A JSON file; a missing one is a `FileNotFoundError`, a damaged one a `LoadError`, both naming it."""
    if not Path(file).is_file():
        raise FileNotFoundError(f"{file}: no such {what}")
    try:
        return json.loads(Path(file).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise LoadError(f"{file}: not valid JSON ({e}); the {what} is damaged, save it again") from None

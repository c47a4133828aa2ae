"""Single-column CHECK constraints read as declared domains: bounds and lists of values.

A source's `CHECK (credit >= 0)`, `CHECK (score BETWEEN 0 AND 100)` or `CHECK (tier IN ('gold',
'silver'))` is public like the schema: `from_sql` keeps it in the column's SQL format (`DOMAIN`),
generation keeps values within it (under DP noisy ranges crossed it: a score of 115 where the
CHECK says 100, which the source's DDL refuses) and `to_sql` writes it back. Only what is read
for sure is kept: the top-level AND-ed parts of a check that compare one column with a number,
bound it BETWEEN two, or list its values (IN, PostgreSQL's `= ANY (ARRAY[...])`), the same of a
text's length (`length(code) = 6`, char_length) and a date's or timestamp's bounds (`d >= '2000-01-01'`);
any other part (an OR, another function, two columns but an order, below) is left to the database. PostgreSQL's domain
types (CREATE DOMAIN pct AS numeric CHECK (VALUE <= 100)) are read the same (`domain_check`).

A domain is a small JSON dict: {"low": [value, strict], "high": [value, strict], "in": [values],
"length": {"low": ..., "high": ..., "in": ...}}; a date's bounds are ISO texts, naive UTC
("2000-01-01 00:00:00": held as its column's values are).

A part that orders two columns of a row (`CHECK (a < b)`, `(user_a <= user_b)`: an undirected
edge stored once, its lower key first) is read apart (`column_orders`): (low, high, strict),
kept in the low column's SQL format (`BELOW`), kept in generation and written back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

DOMAIN = "domain"  # in a column's SQL format: its declared bounds and values (module doc)

_NAME = r'"?([A-Za-z_][\w$]*)"?'
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_LITERAL = rf"(?:'(?:[^']|'')*'|{_NUMBER})"
# PostgreSQL's casts in its catalog's text: 0::numeric, 'gold'::character varying, ARRAY[...]::text[]
_CAST = re.compile(
    r"::(?:double precision|character varying|bit varying|time(?:stamp)? with(?:out)? time zone|\"?\w+\"?)"
    r"(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?"
)
_BETWEEN = re.compile(rf"(?<![\w\"]){_NAME}\s+BETWEEN\s+({_LITERAL})\s+AND\s+({_LITERAL})", re.IGNORECASE)
_COMPARE = re.compile(rf"^{_NAME}\s*(>=|<=|>|<|=)\s*({_LITERAL})$")
_COMPARED = re.compile(rf"^({_LITERAL})\s*(>=|<=|>|<|=)\s*{_NAME}$")
_IN = re.compile(rf"^{_NAME}\s+IN\s*\((.*)\)$|^{_NAME}\s*=\s*ANY\s*\(+\s*ARRAY\s*\[(.*)\]\s*\)+$", re.IGNORECASE)
_FLIPPED = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "=": "="}
_LENGTH_OF = "__length$"  # a text's length(col), read as a column of its own (`_parts`)
_LENGTH = re.compile(rf"\b(?:char_length|character_length|length)\s*\(\s*{_NAME}\s*\)", re.IGNORECASE)
_VALUE = re.compile(r"'(?:[^']|'')*'|\bVALUE\b")
_ORDERED = re.compile(rf"^{_NAME}\s*(>=|<=|>|<)\s*{_NAME}$")
BELOW = "below"  # in a column's SQL format: [[column, strict], ...] a CHECK (a < b) or (a <= b) keeps it below


def column_domains(
    texts: Iterable[str], columns: Iterable[str], numbers: Iterable[str] = (), dates: Iterable[str] = ()
) -> dict[str, dict]:
    """Each of `columns`' declared domain, from the texts of a table's CHECK constraints (as the
    catalog gives them: SQLite's, DuckDB's or PostgreSQL's spelling); columns with none left out.
    `numbers`: the columns of numbers, whose listed values quoted as text ('-1'::integer) are numbers;
    `dates`: the columns of dates and timestamps, whose bounds are read (a text's are not)."""
    names, numeric, dated, out = set(columns), set(numbers), set(dates), {}
    for text in texts:
        for name, domain in _parts(str(text)):
            length = name.startswith(_LENGTH_OF)
            name = name.removeprefix(_LENGTH_OF) if length else name
            if name not in names:
                continue
            if "in" in domain and (name in numeric or length):
                domain = {"in": [_number(v) if _is_number(v) else v for v in domain["in"]]}
            if length:
                domain = {"length": _length_bounds(domain)} if _numbers_only(domain) else {}
            elif any(isinstance(domain.get(side, [0])[0], str) for side in ("low", "high")):
                domain = _date_bounds(domain) if name in dated else {}
            if domain:
                out[name] = merged(out.get(name, {}), domain)
    return out


def domain_check(text: str, column: str) -> str:
    """A domain type's CHECK (`VALUE >= 0`, pg_get_constraintdef's `CHECK ((VALUE >= 0))`) as the
    check of a table's `column` holding that type, for `column_domains`."""
    text = re.sub(r"^\s*CHECK\b", "", text, flags=re.IGNORECASE)
    quoted = '"' + column.replace('"', '""') + '"'
    return _VALUE.sub(lambda m: quoted if m[0].upper() == "VALUE" else m[0], text)


def column_orders(texts: Iterable[str], columns: Iterable[str]) -> list[tuple[str, str, bool]]:
    """(low, high, strict) of each top-level AND-ed part of a table's CHECKs that orders two of
    `columns` (`a < b`, `b >= a`: (a, b, True), (a, b, False)); a part of anything else left out."""
    names, out = set(columns), []
    for text in texts:
        text = re.sub(r"(?<![\w\"])\((\"?[A-Za-z_][\w$]*\"?)\)", r"\1", _CAST.sub("", str(text)))  # (a) < (b)
        for part in _conjuncts(_unwrapped(text)):
            if (m := _ORDERED.match(_unwrapped(part))) and {m[1], m[3]} <= names and m[1] != m[3]:
                low, high = (m[1], m[3]) if m[2][0] == "<" else (m[3], m[1])
                if (found := (low, high, len(m[2]) == 1)) not in out:
                    out.append(found)
    return out


def enum_labels(type_name: str) -> list[str]:
    """The labels of an enum type as DuckDB's catalog names it (ENUM('sad', 'ok')); [] for any other."""
    m = re.fullmatch(r"\s*ENUM\s*\((.*)\)\s*", type_name, re.IGNORECASE | re.DOTALL)
    return [str(v) for v in (_literals(m[1]) or [])] if m else []


def merged(a: Mapping, b: Mapping) -> dict:
    """Two domains of one column as one: the tighter bound on each side, the values both list."""
    out = dict(a)
    if "length" in b:
        out["length"] = merged(out.get("length", {}), b["length"])
    for side, tighter in (("low", max), ("high", min)):
        if side in b:
            # (value, strict): at one value the strict bound is the tighter one on both sides
            key = (lambda d: (d[0], d[1])) if side == "low" else (lambda d: (d[0], -d[1]))
            out[side] = list(tighter(b[side], out.get(side, b[side]), key=key))
    if "in" in b:
        out["in"] = [v for v in out["in"] if v in b["in"]] if "in" in out else list(b["in"])
    return out


def within(value: float | pd.Timestamp, domain: Mapping) -> bool:
    """Whether a number (or a date, naive UTC) keeps `domain`'s bounds."""
    low, high = domain.get("low"), domain.get("high")
    if low is not None and (value < bound(low[0]) or (low[1] and value == bound(low[0]))):
        return False
    return high is None or not (value > bound(high[0]) or (high[1] and value == bound(high[0])))


def bound(value: float | str) -> float | pd.Timestamp:
    """A bound as its values compare with it: a number, or a date's ISO text as a timestamp."""
    return pd.Timestamp(value) if isinstance(value, str) else value


def _length_bounds(domain: Mapping) -> dict:
    """A length's domain, its `length(c) = 6` as both bounds (a length is an integer: IN is kept too)."""
    if "in" in domain and len(domain["in"]) == 1:
        return {"low": [domain["in"][0], False], "high": [domain["in"][0], False]}
    return dict(domain)


def _numbers_only(domain: Mapping) -> bool:
    values = [*domain.get("in", []), *(domain[s][0] for s in ("low", "high") if s in domain)]
    return all(isinstance(v, int | float) for v in values)


def _date_bounds(domain: Mapping) -> dict:
    """A date's or timestamp's bounds as ISO texts, naive UTC (a zoned bound moved to UTC); {}
    where one is no date."""
    out = {}
    for side in ("low", "high"):
        if side in domain:
            try:
                ts = pd.Timestamp(str(domain[side][0]))
            except (ValueError, TypeError):
                return {}
            if ts is pd.NaT:
                return {}
            ts = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts
            out[side] = [ts.isoformat(sep=" "), domain[side][1]]
    return out


def _parts(text: str) -> list[tuple[str, dict]]:
    """(column, domain) of each top-level AND-ed part of one check that `_part` reads."""
    text = _CAST.sub("", text)
    text = re.sub(r"(?<![\w\"])\((\"?[A-Za-z_][\w$]*\"?|" + _LITERAL + r")\)", r"\1", text)  # (tier), (0)
    text = _LENGTH.sub(lambda m: f"{_LENGTH_OF}{m[1]}", text)  # length(code) = 6: a bound of code's length
    text = _BETWEEN.sub(lambda m: f"{m[1]} >= {m[2]} AND {m[1]} <= {m[3]}", text)
    return [found for part in _conjuncts(_unwrapped(text)) if (found := _part(_unwrapped(part)))]


def _part(text: str) -> tuple[str, dict] | None:
    if m := _COMPARE.match(text):
        return _compared(m[1], m[2], m[3])
    if m := _COMPARED.match(text):
        return _compared(m[3], _FLIPPED[m[2]], m[1])
    if m := _IN.match(text):
        name, items = (m[1], m[2]) if m[1] else (m[3], m[4])
        values = _literals(items)
        return (name, {"in": values}) if values else None
    return None


def _compared(name: str, op: str, literal: str) -> tuple[str, dict] | None:
    value = _value(literal)
    if op == "=":
        return name, {"in": [value]}
    if isinstance(value, str) and not _is_number(value):  # a date's bound (a text's: dropped by `column_domains`)
        return name, {"low" if op[0] == ">" else "high": [value, op in (">", "<")]}
    return name, {"low" if op[0] == ">" else "high": [_number(str(value)), op in (">", "<")]}


def _literals(items: str) -> list | None:
    """The values of a list of literals ('a', 'b' or 1, 2), None where it holds anything else."""
    found = re.findall(_LITERAL, items)
    if not found or re.sub(r"[\s,]", "", "".join(found)) != re.sub(r"[\s,]", "", items):
        return None
    return [_value(v) for v in found]


def _value(literal: str) -> str | int | float:
    """A literal's value: text without its quotes (a number where the column is one: `column_domains`), or a number."""
    return literal[1:-1].replace("''", "'") if literal.startswith("'") else _number(literal)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(_NUMBER, value) is not None)


def _number(text: str | int | float) -> int | float:
    if not isinstance(text, str):
        return text
    return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)


def _unwrapped(text: str) -> str:
    """`text` without the parentheses around all of it: PostgreSQL's ((a >= 0)), DuckDB's (a >= 0)."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")") and _closing(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str) -> int:
    """Where the parenthesis opening `text` closes (-1: never)."""
    depth, quoted = 0, False
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
            if depth == 0:
                return i
    return -1


def _conjuncts(text: str) -> list[str]:
    """`text` split at its top-level ANDs (outside parentheses and quotes); [] where it holds a
    top-level OR (none of its parts holds on its own)."""
    parts, depth, quoted, start = [], 0, False, 0
    for m in re.finditer(r"'|\(|\)|\bAND\b|\bOR\b", text, re.IGNORECASE):
        token = m[0].upper()
        if token == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif token in "()":
            depth += 1 if token == "(" else -1
        elif depth == 0 and token == "OR":
            return []
        elif depth == 0:
            parts.append(text[start : m.start()])
            start = m.end()
    return [*parts, text[start:]]

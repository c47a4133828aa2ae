"""Column DEFAULTs: read from the catalog as the source declares them, written back by `to_sql`.

A user who inserts rows into the synthetic database later gets the values the source would give.
A constant (a number, a quoted text, true/false) or the SQL standard's CURRENT_TIMESTAMP,
CURRENT_DATE or CURRENT_TIME (PostgreSQL's now() is CURRENT_TIMESTAMP) is written in the target
column's type, on any database; another expression (a function of the source's dialect) only into
the database kind it was read from, as declared; elsewhere it is dropped (`to_sql` names them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

DEFAULT = (
    "default"  # in a column's SQL type spec: its DEFAULT ({"sql", "dialect"} and its constant: `declared_default`)
)

_CAST = re.compile(r"""::[\w\s".]+(\(\s*\d+(\s*,\s*\d+)?\s*\))?(\[\])*$""")  # 'a'::character varying(10)
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_NOW = {  # the standard's niladic functions every SQL database knows, and PostgreSQL's spelling of the first
    "current_timestamp": "CURRENT_TIMESTAMP",
    "current_date": "CURRENT_DATE",
    "current_time": "CURRENT_TIME",
    "now()": "CURRENT_TIMESTAMP",
}
_TRUE, _FALSE = {"true", "t", "yes", "y", "on", "1"}, {"false", "f", "no", "n", "off", "0"}
_NUMBERED_FLAGS = {"sqlite", "mysql", "mariadb", "mssql", "oracle"}  # booleans held as 1/0 there


def declared_default(sql: object, dialect: str) -> dict | None:
    """The DEFAULT spec of a column whose catalog gives `sql` as its default: {"sql": as given,
    "dialect": the source's} and, for a constant, one of "number" (its digits), "text", "flag" or
    "now" (`constant`). None for none, NULL, or a sequence's nextval (a serial column: an identity
    where it is a key, see `sql._made_by_server`; the sequence itself is not written)."""
    if sql is None:
        return None
    text = str(sql).strip()
    if not text or text.lower() == "null" or "nextval(" in text.lower():
        return None
    return {"sql": text, "dialect": dialect, **constant(text)}


def constant(sql: str) -> dict[str, Any]:
    """{"number": "1.5"}, {"text": "it's"}, {"flag": False} or {"now": "CURRENT_DATE"} for a
    default that is a constant (parentheses and PostgreSQL's casts taken off), else {}."""
    text = sql.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    while (uncast := _CAST.sub("", text).strip()) != text:
        text = uncast
    if _NUMBER.fullmatch(text):
        return {"number": text.lstrip("+")}
    if quoted := _QUOTED.fullmatch(text):
        return {"text": quoted.group(1).replace("''", "'")}
    if text.lower() in ("true", "false"):
        return {"flag": text.lower() == "true"}
    if text.lower() in _NOW:
        return {"now": _NOW[text.lower()]}
    return {}


def server_default(default: Mapping[str, Any] | None, typ: sa.types.TypeEngine, dialect: str) -> sa.TextClause | None:
    """The DEFAULT clause of a column of declared type `typ` written to `dialect`, or None: none
    declared, or one the target cannot hold (a constant its type does not take, an expression of
    another dialect)."""
    if not default:
        return None
    same = dialect == default.get("dialect")
    written = _as_declared(default) if same else _constant_sql(default, typ, dialect)
    return None if written is None else sa.text(written)


def _as_declared(default: Mapping[str, Any]) -> str:
    """The default as the source declared it, for the same database kind: a constant without
    PostgreSQL's cast (the type it names may be in another schema of the target), an expression in
    parentheses (SQLite wants them; the others take them)."""
    if "text" in default:
        return _quoted(default["text"])
    if "number" in default:
        return default["number"]
    if "flag" in default:
        return "true" if default["flag"] else "false"
    return f"({default['sql']})"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _constant_sql(default: Mapping[str, Any], typ: sa.types.TypeEngine, dialect: str) -> str | None:
    """A constant default as the target writes it in type `typ`, or None where the type does not take it."""
    flag = _as_flag(default)
    if isinstance(typ, sa.Boolean):
        if flag is None:
            return None
        return ("1" if flag else "0") if dialect in _NUMBERED_FLAGS else ("true" if flag else "false")
    number = default.get("number") or (default.get("text") if _NUMBER.fullmatch(default.get("text") or "") else None)
    if isinstance(typ, sa.Integer | sa.Numeric | sa.Float):  # (Float is no Numeric in SQLAlchemy 2.1)
        if number is not None:
            return number.lstrip("+")
        return None if flag is None else ("1" if flag else "0")
    if "now" in default:
        return default["now"] if isinstance(typ, sa.String | sa.Date | sa.DateTime | sa.Time) else None
    text = default.get("text", default.get("number"))
    if isinstance(typ, sa.Date | sa.DateTime | sa.Time) and not _iso_time(text):
        return None  # a zero date, 'now' ...: a target may refuse it (none may be tried: DuckDB's DDL)
    if isinstance(typ, sa.String | sa.Date | sa.DateTime | sa.Time) and text is not None:
        return _quoted(text)
    return None


def _iso_time(text: str | None) -> bool:
    """Whether `text` is a date, time or timestamp in ISO 8601, as every database reads one."""
    for read in (dt.date.fromisoformat, dt.time.fromisoformat, dt.datetime.fromisoformat):
        try:
            read(text or "")
            return True
        except ValueError:
            continue
    return False


def _as_flag(default: Mapping[str, Any]) -> bool | None:
    """The constant as a boolean (true, 1, 't', 'yes' ...), or None where it reads as none."""
    if "flag" in default:
        return bool(default["flag"])
    spelled = str(default.get("number", default.get("text", ""))).strip().lower()
    return True if spelled in _TRUE else False if spelled in _FALSE else None

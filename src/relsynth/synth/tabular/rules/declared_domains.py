"""Values within the domains a source's single-column CHECKs declare (`relational._checks`).

`from_sql` reads CHECK (score BETWEEN 0 AND 100), CHECK (credit >= 0), CHECK (tier IN (...)),
CHECK (length(code) = 6) and CHECK (d >= '2000-01-01') as public declarations, like the schema. The DP fit takes them as public domains (`public_domains`:
a list of values; bounds cut the noisy range released), but a value the
fit does not bound can still cross them (a bin of a one-sided range, a number set after
generation), and to_sql into the source's DDL refuses a single such row. Once every value is
set, a value outside its domain is drawn again among the column's generated values inside it
(its own distribution, on its grid), or set on the nearest bound (a value of the list) where the
column holds none. A warning counts the values changed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, Schema
from relsynth.relational.data import DOMAIN, SQL_FORMAT, bound, within

log = logging.getLogger(__name__)
_NUMBERS = (Column.NUMERIC, Column.INTEGER)
_DATES = (Column.DATE, Column.DATETIME)
_KEPT = (*_NUMBERS, *_DATES, Column.CATEGORICAL)  # keys are drawn fresh, text is written later


def declared_domain(formats: Mapping, table: str, col: str) -> dict | None:
    """The domain `col`'s source declares by its CHECKs (None: none)."""
    return ((((formats.get(table) or {}).get(col) or {}).get(SQL_FORMAT) or {}).get(DOMAIN)) or None


def declared_list(formats: Mapping, table: str, col: str) -> list[str] | None:
    """The labels `col`'s source lists as its only values (an enum type, CHECK (c IN (...))), where
    they are text; None where it lists none."""
    listed = (declared_domain(formats, table, col) or {}).get("in") or []
    return [str(v) for v in listed] if listed and all(isinstance(v, str) for v in listed) else None


def declared_lengths(formats: Mapping, table: str, col: str) -> tuple[int, int | None]:
    """(shortest, longest) a text of `col` may be by its source's type (VARCHAR(10)) and CHECKs
    (length(code) = 4): (0, None) where neither says."""
    sql = ((formats.get(table) or {}).get(col) or {}).get(SQL_FORMAT) or {}
    low, high = 0.0, float(sql.get("length") or np.inf)
    if length := (sql.get(DOMAIN) or {}).get("length"):
        lo, hi = closed_bounds(length, Column.INTEGER)
        listed = [float(v) for v in length.get("in", []) if _is_number(v)]
        low, high = max(low, lo, min(listed, default=0)), min(high, hi, max(listed, default=np.inf))
    return int(low), None if np.isinf(high) else int(high)


def public_domains(schema: Schema, formats: Mapping, modelled: Mapping[str, list[str]]) -> dict:
    """ "table.column" -> the DP fit's public domain of each modelled column a CHECK lists the values
    of (tier IN ('gold', 'silver')). Bounds are not one: a public (lo, hi) spreads the fine
    histogram's noise over all its cells (a score 0-100 of 600 rows binned 38-75), so the DP fit
    cuts its released range to them instead (`closed_bounds`)."""
    out: dict = {}
    for table, cols in modelled.items():
        for col in cols:
            kind = schema.tables[table].columns[col].kind
            if kind not in _KEPT or (domain := declared_domain(formats, table, col)) is None:
                continue
            numbers = kind in _NUMBERS
            values = [v for v in domain.get("in", []) if not numbers or (_is_number(v) and within(float(v), domain))]
            if values:
                out[f"{table}.{col}"] = values
    return out


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def closed_bounds(domain: Mapping, kind: Column) -> tuple[float, float]:
    """(lo, hi) a number keeps (-inf, inf where unbounded); an integer's strict bound moved to the
    next integer inside, a number's kept (`keep_domains` moves a value on it)."""
    lo, hi = domain.get("low"), domain.get("high")
    low = -np.inf if lo is None else _number(lo[0])
    high = np.inf if hi is None else _number(hi[0])
    if kind is Column.INTEGER:
        low = np.floor(low) + 1 if lo and lo[1] else np.ceil(low)
        high = np.ceil(high) - 1 if hi and hi[1] else np.floor(high)
    return low, high


def _number(value: float | str) -> float:
    """A bound as its column is binned: a number, or a date's ISO text as epoch seconds (`NumericPreproc`)."""
    return bound(value).value / 1e9 if isinstance(value, str) else float(value)


def keep_domains(
    schema: Schema,
    tables: dict[str, pd.DataFrame],
    formats: Mapping,
    rng: np.random.Generator,
    given: Mapping[str, list[str]] | None = None,
) -> None:
    """Draw again, in place, every generated value outside its column's declared domain (module
    doc). `given`: table -> columns never changed (a context's values)."""
    for table in schema.synth_tables:
        if table not in tables:
            continue
        for col, kind in schema.tables[table].columns.items():
            domain = declared_domain(formats, table, col)
            if domain is None or kind.kind not in _KEPT or col not in tables[table]:
                continue
            if col not in (given or {}).get(table, []):
                tables[table] = _within(tables[table], table, col, domain, kind.kind, rng)


def _within(
    df: pd.DataFrame, table: str, col: str, domain: Mapping, kind: Column, rng: np.random.Generator
) -> pd.DataFrame:
    s = df[col]
    held = s.notna().to_numpy(dtype=bool)
    inside = ~held  # a null is no value to keep in the domain (pd.NA in a list test has no truth value)
    inside[held] = [_allowed(v, domain) for v in s.to_numpy(dtype=object)[held]]
    if inside.all():
        return df
    pool = s[inside & held].to_numpy()
    out = np.flatnonzero(~inside)
    if len(pool):
        values = pool[rng.integers(len(pool), size=len(out))]
    else:
        values = np.array([_nearest(v, domain, kind) for v in s.iloc[out].to_numpy(dtype=object)], dtype=object)
    df = df.copy()
    fixed = s.copy()
    fixed.iloc[out] = pd.Series(values, dtype=s.dtype).to_numpy()
    df[col] = fixed
    log.warning(
        "%s.%s: %d of %d generated value(s) lay outside the domain its source's CHECK declares (%s): drawn again %s",
        table,
        col,
        len(out),
        int(held.sum()),
        describe(domain),
        "among the column's values inside it" if len(pool) else "on its nearest bound or listed value",
    )
    return df


def _allowed(value: object, domain: Mapping) -> bool:
    if "in" in domain and value not in domain["in"] and str(value) not in map(str, domain["in"]):
        return False
    if "length" in domain and not (isinstance(value, str) and _allowed(len(value), domain["length"])):
        return False
    if "low" in domain or "high" in domain:
        if isinstance(value, dt.date | np.datetime64):  # pd.Timestamp too
            return within(pd.Timestamp(value), domain)
        return isinstance(value, int | float | np.number) and within(float(value), domain)
    return True


def _nearest(value: object, domain: Mapping, kind: Column) -> object:
    """A value of `domain` near `value`: its bound (a strict one moved inside) or the list's first."""
    if "in" in domain:
        return domain["in"][0]
    if "low" not in domain and "high" not in domain:  # a text's length: no value of its own to take
        return value
    if kind in _DATES:  # a strict bound moved inside by a day or a microsecond
        low, high = domain.get("low"), domain.get("high")
        side, step = (low, 1) if low and pd.Timestamp(value) <= bound(low[0]) else (high, -1)
        inside = pd.Timedelta(days=step) if kind is Column.DATE else pd.Timedelta(step, "us")
        return bound(side[0]) + inside * int(side[1])
    if kind is Column.INTEGER:
        return int(np.clip(float(value), *closed_bounds(domain, kind)))
    low, high = domain.get("low"), domain.get("high")
    if low and float(value) <= low[0]:
        return np.nextafter(low[0], np.inf) if low[1] else low[0]
    return np.nextafter(high[0], -np.inf) if high[1] else high[0]


def describe(domain: Mapping) -> str:
    """A domain as its CHECK reads: >= 0 AND <= 100, IN ('gold', 'silver')."""
    parts = []
    if low := domain.get("low"):
        parts.append(f"{'>' if low[1] else '>='} {low[0]}")
    if high := domain.get("high"):
        parts.append(f"{'<' if high[1] else '<='} {high[0]}")
    if "in" in domain:
        parts.append(f"IN ({', '.join(map(repr, domain['in']))})")
    if "length" in domain:
        parts.append(f"length {describe(domain['length'])}")
    return " AND ".join(parts)

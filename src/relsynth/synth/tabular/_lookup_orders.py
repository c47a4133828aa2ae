"""Numbers and dates kept within the range a lookup row gives (an employee's salary between its
job's lowest and highest, where `jobs` is a lookup: copied as it is, its key modelled as a
category of the row).

A reference's orders are kept by pairing rows (`_references`); a lookup key is a category the
model writes, so nothing paired the salary with its job's range: 47 of 64 generated instructors
earned outside their rank's range. The fit keeps, per column of a synthesised table and per lookup
key of its row, the orders with the lookup row's columns that every training row keeps
(`relational.orders.reference_orders`: at least 20 rows, not kept by the values alone), and where
the column lies, as quantiles: its place between the two sides where both are found, else its gap
from the one. Generation moves each value that breaks one to a place drawn from those quantiles,
after the row is decoded and before the formulas read it. Columns that a total, a formula or an
order within rows sets or reads are left alone (moving them would break those), except a column
orders within rows only read as their base, on the side moving it keeps them on (a line's unit
price at most its product's list price, the line's amount on or after the unit price: lowering the
price keeps both; left alone, 35 % of generated lines were priced above their product's list
price). Not under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import ORDERED, as_numbers, reference_orders, referenced_ordered
from relsynth.relational.schema import Edge
from relsynth.synth.tabular._formulas import _places

log = logging.getLogger(__name__)
N_QUANTILES = 21  # where values lie, kept as this many quantiles: no single row's value is stored


def find_lookup_orders(
    pre, data: RelationalData, skip: set[tuple[str, str]], movable: dict[tuple[str, str], int] | None = None
) -> list[dict]:
    """[{"table", "column", "fk", "low", "high", "place"}]: a column of a synthesised table on or
    after the lookup row's `low` column and/or on or before its `high` one in every training row
    (None: no such side), with the quantiles of its place between them (both sides) or of its gap
    from the one side (`skip`: (table, column) set or read elsewhere; `movable`: those of them that
    may still move one way, -1 down or 1 up, which a rule of one side moving them that way takes)."""
    schema, out, movable = data.schema, [], movable or {}
    for table in schema.synth_tables:
        kinds = {c: k.kind for c, k in schema.tables[table].columns.items() if k.kind in ORDERED}
        columns = [
            c for c in kinds if ((table, c) not in skip or (table, c) in movable) and c in pre.modelled_columns(table)
        ]
        for fk, lookup in schema.lookup_fks(table).items():
            named, named_kinds = referenced_ordered(data.data, schema, Edge(table, fk, lookup))
            sides: dict[str, dict[int, str]] = {}
            for o in reference_orders(data[table], columns, kinds, named, named_kinds):
                sides.setdefault(o.column, {})[o.sign] = o.base
            for col, side in sides.items():
                if (table, col) in skip and list(side) != [movable[(table, col)]]:  # a high side (-1) moves it down
                    continue
                kind = Column.DATETIME if kinds[col] in (Column.DATE, Column.DATETIME) else Column.NUMERIC
                rule = {"table": table, "column": col, "fk": fk, "low": side.get(1), "high": side.get(-1)}
                values = as_numbers(data[table][col], kind)
                if kind is Column.NUMERIC and len(side) == 1 and _positive(values, named[next(iter(side.values()))]):
                    rule["share"] = True  # a gap as a share of its side: a discount scales with the price
                where = _where(values, rule, named, kind)
                where = where[~np.isnan(where)]
                if len(where):
                    rule["place"] = [float(q) for q in np.quantile(where, np.linspace(0, 1, N_QUANTILES))]
                    log.info("%s.%s within %s's %s: kept so", table, col, fk, [s for s in side.values()])
                    out.append(rule)
    return out


def _positive(values: np.ndarray, side: pd.Series) -> bool:
    """Whether a column is never negative and its one side always above 0 (prices), so a gap from the
    side is kept as a share of it: an absolute gap drawn from an expensive row's would take a cheap
    row's value below 0 (a 900.00 product's discount, an 11.19 one's price -79.51)."""
    bound = as_numbers(side, Column.NUMERIC)
    return bool((values[~np.isnan(values)] >= 0).all() and (bound[~np.isnan(bound)] > 0).all())


def _where(values: np.ndarray, rule: dict, named: pd.DataFrame, kind: Column) -> np.ndarray:
    """Each value's place between its lookup row's low and high (both sides), else its gap from the
    one side (>= 0; a share of the side where `rule["share"]`; NaN where a side is missing)."""
    low = None if rule["low"] is None else as_numbers(named[rule["low"]], kind)
    high = None if rule["high"] is None else as_numbers(named[rule["high"]], kind)
    if low is not None and high is not None:
        room = high - low
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(room > 0, (values - low) / room, np.nan)
    gap = values - low if low is not None else high - values
    return gap / (low if low is not None else high) if rule.get("share") else gap


def keep_lookup_orders(rules: list[dict], tables: dict[str, pd.DataFrame], schema, rng: np.random.Generator) -> None:
    """Move (in place) each value of `rules`' columns that breaks its lookup row's range to a place
    drawn from the training rows' (`find_lookup_orders`); values within it stay as they are."""
    for rule in rules:
        table, col = rule["table"], rule["column"]
        if table not in tables or col not in tables[table] or rule["fk"] not in tables[table]:
            continue
        frame = tables[table]
        kind = schema.tables[table].columns[col].kind
        as_kind = Column.DATETIME if kind in (Column.DATE, Column.DATETIME) else Column.NUMERIC
        named, _ = referenced_ordered(
            tables, schema, Edge(table, rule["fk"], schema.tables[table].columns[rule["fk"]].parent)
        )
        values = as_numbers(frame[col], as_kind)
        low = None if rule["low"] is None else as_numbers(named[rule["low"]], as_kind)
        high = None if rule["high"] is None else as_numbers(named[rule["high"]], as_kind)
        with np.errstate(invalid="ignore"):
            broken = np.zeros(len(values), dtype=bool)
            if low is not None:
                broken |= values < low
            if high is not None:
                broken |= values > high
        rows = np.flatnonzero(broken)
        if not len(rows):
            continue
        place = np.interp(rng.random(len(rows)), np.linspace(0, 1, len(rule["place"])), rule["place"])
        if low is not None and high is not None:
            moved = low[rows] + np.clip(place, 0.0, 1.0) * (high[rows] - low[rows])
        elif low is not None:
            moved = low[rows] + np.maximum(place, 0.0) * (low[rows] if rule.get("share") else 1.0)
        else:
            moved = high[rows] - np.maximum(place, 0.0) * (high[rows] if rule.get("share") else 1.0)
        frame[col] = _set(
            frame[col], rows, moved, kind, None if low is None else low[rows], None if high is None else high[rows]
        )
        log.info("%s.%s: %d generated value(s) moved within their %s row's range", table, col, len(rows), rule["fk"])


def _set(
    column: pd.Series,
    rows: np.ndarray,
    moved: np.ndarray,
    kind: Column,
    low: np.ndarray | None,
    high: np.ndarray | None,
) -> pd.Series:
    """`column` with `moved` (numbers; nanoseconds for dates) at `rows`, on the column's own grid
    (days, integers, the decimals its values show), one step inside where rounding crossed a side."""
    out = column.copy()
    if kind in (Column.DATE, Column.DATETIME):
        stamps = pd.to_datetime(np.round(moved).astype(np.int64))
        out.iloc[rows] = stamps.ceil("D") if kind is Column.DATE else stamps
        return out
    integer = pd.api.types.is_integer_dtype(out.dtype) or kind is Column.INTEGER
    present = out.dropna().to_numpy(dtype=np.float64)
    shown = _places(present) if len(present) and not integer else None  # the decimals the values show
    decimals = 0 if integer else (6 if shown is None else shown)
    step = 10.0**-decimals
    snapped = np.round(moved, decimals)
    if low is not None:
        snapped = np.where(snapped < low, snapped + step, snapped)
    if high is not None:
        snapped = np.where(snapped > high, snapped - step, snapped)
    out.iloc[rows] = np.round(snapped).astype(np.int64) if integer else np.round(snapped, decimals)
    return out

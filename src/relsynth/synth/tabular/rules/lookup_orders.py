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

A number in no such order that stays near a number of the lookup row (`relational.orders.near_share`:
a customer's latitude within 0.2 degrees of its city's, where `cities` is a lookup) is kept within
the signed gaps the training rows show (`near`; `low` names the lookup row's number): drawn as a
number of its own, a third of the generated customers fell more than 0.25 degrees from their city
and nine in ten stores, in another country. A value outside is moved to the lookup row's number
plus a gap drawn from the gaps' quantiles.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import (
    DATED,
    NEAR_SHARE,
    ORDERED,
    as_numbers,
    near_share,
    reference_orders,
    referenced_ordered,
)
from relsynth.relational.schema import Edge
from relsynth.synth.tabular.orderings import column_grid
from relsynth.synth.tabular.rules.moved_bases import followers
from relsynth.synth.tabular.rules.numbers import written_decimals

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
        for fk, lookup in schema.lookup_fks(table).items():
            named, named_kinds = referenced_ordered(data.data, schema, Edge(table, fk, lookup))
            for rule in side_rules(pre, data, table, named, named_kinds, skip, movable):
                log.info("%s.%s within %s's %s: kept so", table, rule["column"], fk, _sides(rule))
                out.append({**rule, "fk": fk})
    return out


def find_reference_sides(
    pre, data: RelationalData, skip: set[tuple[str, str]], movable: dict[tuple[str, str], int] | None = None
) -> list[dict]:
    """As `find_lookup_orders`, for the references to other synthesised tables (a payment on or
    after its rental, on or before its return). Pairing keeps such orders where the rows allow
    (`_references`), but a key kept under its own row (a payment's rental, one of its customer's)
    has a few rows to pair with, dated apart from the row's own: 656 of 1,378 generated Sakila
    payments came before their rental. `keep_lookup_orders` moves the values pairing left broken,
    a date with the dates under its row that track it (`followers`).
    The named row's sides include the dates of the rows it nests under (`referenced_ordered`'s
    `above`): a participant's consent on or after its site's trial's start, the site holding no
    date, broken by 53 % to 74 % of a model's participants (nothing paired or moved them)."""
    schema, out, movable = data.schema, [], movable or {}
    for table in schema.synth_tables:
        for e in schema.references(table):
            if e.parent == table:  # a row names an earlier one of its own table: dated so (`date_after`)
                continue
            named, named_kinds = referenced_ordered(data.data, schema, e, above=True)  # its site's trial's too
            for rule in side_rules(pre, data, table, named, named_kinds, skip, movable):
                log.info("%s.%s within %s's %s: kept so", table, rule["column"], e.fk, _sides(rule))
                if data.schema.tables[table].columns[rule["column"]].kind in DATED:  # the visits under a consent
                    rule["followers"] = followers(data.data, schema, pre.orderings, table, rule["column"])
                out.append({**rule, "fk": e.fk})
    return out


def side_rules(
    pre,
    data: RelationalData,
    table: str,
    named: pd.DataFrame,
    named_kinds: dict[str, Column],
    skip: set[tuple[str, str]],
    movable: dict[tuple[str, str], int],
) -> list[dict]:
    """[{"table", "column", "low", "high", "place"}] for `table`'s columns and the rows `named`
    (one per row of `table`, columns `named_kinds`), as `find_lookup_orders` says."""
    kinds = {c: k.kind for c, k in data.schema.tables[table].columns.items() if k.kind in ORDERED}
    columns = [
        c for c in kinds if ((table, c) not in skip or (table, c) in movable) and c in pre.modelled_columns(table)
    ]
    sides: dict[str, dict[int, str]] = {}
    for o in reference_orders(data[table], columns, kinds, named, named_kinds):
        sides.setdefault(o.column, {})[o.sign] = o.base
    out = []
    for col, side in sides.items():
        if (table, col) in skip and list(side) != [movable[(table, col)]]:  # a high side (-1) moves it down
            continue
        kind = Column.DATETIME if kinds[col] in (Column.DATE, Column.DATETIME) else Column.NUMERIC
        rule = {"table": table, "column": col, "low": side.get(1), "high": side.get(-1)}
        values = as_numbers(data[table][col], kind)
        if kind is Column.NUMERIC and len(side) == 1 and _positive(values, named[next(iter(side.values()))]):
            rule["share"] = True  # a gap as a share of its side: a discount scales with the price
        where = _where(values, rule, named, kind)
        where = where[~np.isnan(where)]
        if len(where):
            rule["place"] = [float(q) for q in np.quantile(where, np.linspace(0, 1, N_QUANTILES))]
            out.append(rule)
    free = [c for c in columns if c not in sides and (table, c) not in skip]
    return out + near_rules(data[table], table, free, kinds, named, named_kinds)


def near_rules(
    frame: pd.DataFrame,
    table: str,
    columns: list[str],
    kinds: dict[str, Column],
    named: pd.DataFrame,
    named_kinds: dict[str, Column],
) -> list[dict]:
    """[{"table", "column", "low", "high": None, "near": True, "place"}]: the numbers among `columns`
    that stay near a number `low` of the named row (`near_share`), with the quantiles of their signed gap."""
    out = []
    for col in (c for c in columns if kinds[c] in (Column.NUMERIC, Column.INTEGER)):
        mine = as_numbers(frame[col], kinds[col])
        shares = [
            (share, p)
            for p, kind in named_kinds.items()
            if kind in (Column.NUMERIC, Column.INTEGER)
            and (share := near_share(as_numbers(named[p], kind), mine)) is not None
            and share <= NEAR_SHARE
        ]
        if not shares:
            continue
        base = min(shares)[1]
        gap = mine - as_numbers(named[base], named_kinds[base])
        gap = gap[~np.isnan(gap)]
        place = [float(q) for q in np.quantile(gap, np.linspace(0, 1, N_QUANTILES))]
        out.append({"table": table, "column": col, "low": base, "high": None, "near": True, "place": place})
    return out


def _sides(rule: dict) -> str:
    sides = " and ".join(rule[s] for s in ("low", "high") if rule[s] is not None)
    return f"gaps from {sides}" if rule.get("near") else sides


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
    """Move (in place) each value of `rules`' columns that breaks its lookup (or referenced) row's range
    to a place drawn from the training rows' (`find_lookup_orders`, `find_reference_sides`); values
    within it stay as they are."""
    for rule in rules:
        table = rule["table"]
        if table not in tables or rule["fk"] not in tables[table]:
            continue
        lookup = schema.tables[table].columns[rule["fk"]].parent
        named, _ = referenced_ordered(tables, schema, Edge(table, rule["fk"], lookup), above=True)
        if moved := move_within(rule, tables[table], named, schema, rng):
            log.info(
                "%s.%s: %d generated value(s) moved within their %s row's range",
                table,
                rule["column"],
                moved,
                rule["fk"],
            )


def move_within(rule: dict, frame: pd.DataFrame, named: pd.DataFrame, schema, rng: np.random.Generator) -> int:
    """Move (in place) each value of `frame[rule["column"]]` that breaks the sides `rule` names in
    `named` (one row per row of `frame`) to a place drawn from `rule["place"]`; how many moved."""
    col = rule["column"]
    if col not in frame:
        return 0
    kind = schema.tables[rule["table"]].columns[col].kind
    as_kind = Column.DATETIME if kind in (Column.DATE, Column.DATETIME) else Column.NUMERIC
    values = as_numbers(frame[col], as_kind)
    if rule.get("near"):
        return _move_near(rule, frame, as_numbers(named[rule["low"]], as_kind), kind, rng)
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
        return 0
    place = np.interp(rng.random(len(rows)), np.linspace(0, 1, len(rule["place"])), rule["place"])
    if low is not None and high is not None:
        moved = low[rows] + np.clip(place, 0.0, 1.0) * (high[rows] - low[rows])
        # a row with one side missing (a rental not returned yet): onto the side it has, never NaN
        moved = np.where(np.isnan(high[rows]), low[rows], np.where(np.isnan(low[rows]), high[rows], moved))
    elif low is not None:
        moved = low[rows] + np.maximum(place, 0.0) * (low[rows] if rule.get("share") else 1.0)
    else:
        moved = high[rows] - np.maximum(place, 0.0) * (high[rows] if rule.get("share") else 1.0)
    frame[col] = _set(
        frame[col], rows, moved, kind, None if low is None else low[rows], None if high is None else high[rows]
    )
    return len(rows)


def _move_near(rule: dict, frame: pd.DataFrame, base: np.ndarray, kind: Column, rng: np.random.Generator) -> int:
    """Move (in place) each value of a `near` rule's column whose gap from `base` passes the training
    rows' least or greatest gap to `base` plus a gap drawn from their quantiles; how many moved."""
    col, place = rule["column"], rule["place"]
    low, high = base + place[0], base + place[-1]
    values = as_numbers(frame[col], kind)
    with np.errstate(invalid="ignore"):
        rows = np.flatnonzero((values < low) | (values > high))
    if not len(rows):
        return 0
    moved = base[rows] + np.interp(rng.random(len(rows)), np.linspace(0, 1, len(place)), place)
    frame[col] = _set(frame[col], rows, moved, kind, low[rows], high[rows])
    return len(rows)


def _crosses(values: np.ndarray, low: np.ndarray | None, high: np.ndarray | None) -> np.ndarray:
    """Whether each value lies below its `low` or above its `high` (a missing side crossed by none)."""
    with np.errstate(invalid="ignore"):
        below = np.zeros(len(values), dtype=bool) if low is None else values < low
        return below if high is None else below | (values > high)


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
    if kind is Column.DATE:
        out.iloc[rows] = pd.to_datetime(np.round(moved).astype(np.int64)).ceil("D")
        return out
    if kind is Column.DATETIME:  # on the seconds (or finer) the drawn values show, not to the nanosecond
        # every drawn value, the moved ones' too: those left in place may be one or two (an untrained
        # model's alarms: one at 09:00 gave an hour's grid, and no hour lay in a span of 08:15-08:55)
        present = column.dropna()
        grid = column_grid(present, kind) if len(present) else 0.0
        if grid > 0:
            on = np.round(moved / grid) * grid
            on = on if low is None else np.where(on < low, on + grid, on)
            on = on if high is None else np.where(on > high, on - grid, on)
            moved = np.where(_crosses(on, low, high), moved, on)  # no grid point between the sides: off it
        out.iloc[rows] = pd.to_datetime(np.round(moved).astype(np.int64))
        return out
    integer = pd.api.types.is_integer_dtype(out.dtype) or kind is Column.INTEGER
    present = out.dropna().to_numpy(dtype=np.float64)
    shown = written_decimals(present) if len(present) and not integer else None  # the decimals the values show
    decimals = 0 if integer else (6 if shown is None else shown)
    step = 10.0**-decimals
    snapped = np.round(moved, decimals)
    if low is not None:
        snapped = np.where(snapped < low, snapped + step, snapped)
    if high is not None:
        snapped = np.where(snapped > high, snapped - step, snapped)
    out.iloc[rows] = np.round(snapped).astype(np.int64) if integer else np.round(snapped, decimals)
    return out

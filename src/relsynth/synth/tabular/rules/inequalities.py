"""Numbers kept at most a difference, a sum or a share of other numbers of their row or of a row
further up (a claim's approved amount at most its claimed amount less its deductible; a bonus at
most 30 % of the salary; a seat's row at most its flight's aircraft's rows, two levels up).

Orders within rows (`orderings`) keep one number on its side of one other, of its row or of its
parent row; nothing kept one under a combination of two, or under a number further up than the
parent: an untrained model gave 72 of 300 claims an approved amount past their claimed amount less
the deductible, 66 of 875 employees a bonus past 30 % of their salary and 128 of 882 seats a row
their aircraft lacks.

The fit keeps, per number of a synthesised table, the bound `x`, `x - y`, `x + y` or `factor x x`
(`factor`: the greatest ratio the data holds) over the numbers of its row and of the rows it nests
under, that every training row holding both sides keeps (`MIN_ROWS` at least), that the orders
within rows do not keep already, each of whose operands matters (held at its loosest value, the
bound breaks `MIN_BROKEN` rows at least: no line number, 1 at least, in a bound a 0/1 box keeps
because of its floor alone), and that the data's values would break by chance but `BY_CHANCE`
of the time: each row's bound paired with another row's value (`N_DEALS` seeded deals), among the
pairs the column's own orders within rows allow, breaks in a share `p` of them, and `(1 - p) ** n`
of `n` rows is at most `BY_CHANCE` (a column of small numbers beside large ones: no rule). Of the
bounds found, the one breaking most often by chance. Decoding moves each value past its bound to a
place between the column's least value and the bound drawn from the upper half of the data's places
(`N_QUANTILES` quantiles: the value was drawn high), on its decimals' grid, below the bound: no pile
on the bound where the data has none. A number of the same row kept at most the moved one (a claim's paid amount, at most
approved) is scaled with it where it would pass it. A value within its bound stays as drawn. It runs
once its table is decoded, and again once references are drawn: a referenced row's range may lower
an operand then (a salary moved into its job's range, which left 3 of 900 bonuses past 30 % of it).

Columns a total, a formula or a running sum sets (they change later) are neither bounded nor read,
nor a number kept near the number of the row a key names (`lookup_orders`' `near`: a listing's
longitude under a fifth of its latitude held of 8 cities only, and moving it took 25 of 600 round-tripped
listings over 0.2 degrees from their city);
a column other orders within rows read as more than a base (a bound, a cap, a sibling's base) is
not bounded. Not under DP (read from private data at no cost).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from itertools import combinations, permutations

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import with_ancestors
from relsynth.synth.tabular.encoders import fewest_decimals
from relsynth.synth.tabular.rules.numbers import as_floats, numbers_above, screen_rows

log = logging.getLogger(__name__)

MIN_ROWS = 20  # training rows holding both sides a rule needs
BY_CHANCE = 1e-6  # a bound the data's values would keep by chance at most this often is no rule
N_DEALS = 3  # seeded deals of the bounds among the rows (the chance a value breaks one)
MIN_BROKEN = 5  # ... breaking at least this many pairs over a deal on average
N_QUANTILES = 21  # the places between the column's least value and its bound kept as this many quantiles
WINDOW = 12  # numbers of the row tried as operands, the nearest in field order
SLACK = 1e-9  # relative tolerance of a comparison in float64
NEAR, NEAR_SHARE = 0.9, 0.05  # a share's bound: this share of the rows at this share of it at least
HIGH = 0.5  # a value drawn past its bound was drawn high: its place is drawn from the data's above this quantile
SCREEN = 200  # rows a candidate bound is screened on before all are read


def find_inequalities(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of": [x] or [x, y], "op": "x", "-", "+" or "*", "factor", "low", "decimals",
    "places"}]: `table.column` at most its bound (`_bound`) in every training row; `of` names numbers
    of its row or `<ancestor>.<column>` further up. `skip`: (table, column) set after the rows are
    decoded (totals, formulas, running sums), neither bounded nor read."""
    out = []
    for table in pre.schema.synth_tables:
        if table not in pre.layouts:
            continue
        given, known = pre.given_columns(table), pre.schema.tables[table].columns
        fields = [c for c in pre.layouts[table].fields if c in known and (table, c) not in skip and c not in given]
        numbers = pre.float_numbers(table, fields)
        up = numbers_above(pre, data, table, skip)
        if not numbers or (len(numbers) < 2 and up is None):
            continue
        frame = data[table].reset_index(drop=True)
        rows = screen_rows(len(frame))
        values = {c: as_floats(frame[c].iloc[rows]) for c in numbers}
        values |= {c: as_floats(up[c].iloc[rows]) for c in (up.columns if up is not None else [])}
        found = {}
        for i, col in enumerate(numbers):
            if not _movable(pre, table, col):
                continue
            near = numbers[max(i - WINDOW, 0) : i] + numbers[i + 1 : i + 1 + WINDOW]
            operands = near + (list(up.columns) if up is not None else [])
            best = _best_bound(pre, table, col, values, operands)
            if best is not None:
                found[col] = best
        for col, (of, op, factor) in _one_way(found, frame).items():
            rule = _rule(table, col, of, op, factor, as_floats(frame[col]), _with_operands(frame, up, of))
            if rule is not None:
                out.append(rule)
                log.info("%s.%s at most %s in every row: kept so", table, col, _spelled(of, op, factor))
    return out


def _one_way(found: dict[str, tuple], frame: pd.DataFrame) -> dict[str, tuple]:
    """`found` with each inequality once: `b <= x - y` is `y <= x - b`, and of the two columns the one
    holding more distinct values moves (an approved amount, not a deductible of 4 levels, which a
    move would take off them)."""
    out = dict(found)
    for col, (of, op, _) in found.items():
        twin = found.get(of[1]) if op == "-" and of[1] in frame.columns else None
        if twin is not None and twin[1] == "-" and twin[0] == [of[0], col] and col in out and of[1] in out:
            fewer = min((col, of[1]), key=lambda c: (frame[c].nunique(), c == col))
            del out[fewer]
    return out


def _movable(pre, table: str, col: str) -> bool:
    """Whether `col` may be lowered once its table is decoded: no order within rows of its table reads it
    but as the base of one (which a lower value keeps, or whose column is scaled with it), nor keeps it
    near another or counts it from a previous sibling."""
    for o in pre.orderings.get(table, {}).values():
        if o.column == col and (o.after_sibling or o.near or o.bound is not None or o.cap is not None):
            return False
        reads = {o.bound, o.cap, o.sibling_base, o.fallback} if not o.from_parent else set()
        if col in reads or (o.base == col and not o.from_parent and (o.near or o.after_sibling or o.bound)):
            return False
    return True


def _kept_high(pre, table: str, col: str, values: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """Each row's highest value the orders within rows already allow `col` (None: no such bound of the row)."""
    o = pre.orderings.get(table, {}).get(col)
    base = _base_name(pre, table, o)
    return values[base] if base is not None and base in values else None


def _base_name(pre, table: str, o) -> str | None:
    """The name of the column an order within rows keeps `o.column` at most (`<parent>.<column>` for the
    parent row's), None where it keeps none."""
    if o is None or o.sign != -1:
        return None
    return f"{pre.schema.parent(table).parent}.{o.base}" if o.from_parent else o.base


def _best_bound(pre, table: str, col: str, values: Mapping[str, np.ndarray], operands: list[str]):
    """(of, op, factor) of the bound breaking most often by chance among those every row keeps, or None."""
    b = values[col]
    kept = _kept_high(pre, table, col, values)
    own_base = _base_name(pre, table, pre.orderings.get(table, {}).get(col))
    best, best_p = None, 0.0
    screen = {c: v[:SCREEN] for c, v in values.items()}
    for of, op in _candidates(operands):
        if op == "x" and (of[0] == own_base or "." not in of[0]):
            continue  # one number of the row (or the parent's, as its base): the orders within rows keep it
        if op in "-+x" and (b[:SCREEN] > _bound_values(screen, of, op, 1.0) + 1e-6 * np.abs(b[:SCREEN])).any():
            continue  # broken in the first rows already: most candidates, screened cheaply
        bound = _bound_values(values, of, op, 1.0)
        factor = 1.0
        if op == "*":
            with np.errstate(divide="ignore", invalid="ignore"):
                both = ~np.isnan(b) & ~np.isnan(bound)
                if (bound[both] <= 0).any() or not both.any():
                    continue
                ratio = b[both] / bound[both]
                factor = float(np.max(ratio))
            if not 0 < factor < 1 or (ratio >= NEAR * factor).sum() < max(MIN_BROKEN, NEAR_SHARE * len(ratio)):
                continue  # a share of the other number its rows come up to (not one extreme row's: a bitrate's floor)
            bound = bound * factor
        p = chance_broken(b, bound, kept)
        if p is not None and p > best_p and _each_operand_binds(b, values, of, op, factor):
            best, best_p = (list(of), op, factor), p
    return best


def _each_operand_binds(b: np.ndarray, values: Mapping[str, np.ndarray], of, op: str, factor: float) -> bool:
    """Whether each operand of the bound matters: with it held at its loosest value (its least, or its
    greatest where it is taken away) `MIN_BROKEN` rows at least break the bound. A questionnaire's
    0/1 box is at most its person's line number less its 'None of these' box in every row, but only
    because a line number is 1 at least: the box is at most 1 less the 'None' box, the line number
    plays no part, and the rule would hold the box to 0 only on first lines."""
    for i, name in enumerate(of):
        x = values[name]
        if np.isnan(x).all():
            return False
        loosest = np.nanmax(x) if op == "-" and i == 1 else np.nanmin(x)
        held = {**values, name: np.where(np.isnan(x), np.nan, loosest)}
        bound = _bound_values(held, of, op, factor)
        with np.errstate(invalid="ignore"):
            broken = b > bound + np.maximum(np.abs(b), np.abs(bound)) * SLACK
        if int(broken.sum()) < MIN_BROKEN:
            return False
    return True


def _candidates(operands: list[str]):
    """(of, op) of every bound tried: one number, a share of one, the difference and the sum of two."""
    for x in operands:
        yield (x,), "x"
        yield (x,), "*"
    for x, y in permutations(operands, 2):
        yield (x, y), "-"
    for x, y in combinations(operands, 2):
        yield (x, y), "+"


def _bound_values(values: Mapping[str, np.ndarray], of, op: str, factor: float) -> np.ndarray:
    """Each row's bound: `of`'s numbers combined by `op` (NaN where one is missing)."""
    x = values[of[0]]
    if op == "-":
        return x - values[of[1]]
    if op == "+":
        return x + values[of[1]]
    return x * factor if op == "*" else x


def chance_broken(b: np.ndarray, bound: np.ndarray, kept: np.ndarray | None) -> float | None:
    """The share of pairs of a row's bound and another row's value that break it (among those
    the column's own kept bound allows), where every row keeps its own bound and so many pairs
    breaking it make the data's keeping it by chance less likely than `BY_CHANCE`; None otherwise."""
    both = ~np.isnan(b) & ~np.isnan(bound)
    n = int(both.sum())
    if n < MIN_ROWS or both.sum() < 0.95 * (~np.isnan(b)).sum():
        return None
    b, bound = b[both], bound[both]
    scale = np.maximum(np.abs(b), np.abs(bound)) * SLACK
    if (b > bound + scale).any():
        return None
    high = kept[both] if kept is not None else None
    broken, pairs = 0, 0
    for seed in range(N_DEALS):
        deal = np.random.default_rng(seed).permutation(n)
        allowed = np.ones(n, bool) if high is None else b[deal] <= high + scale
        broken += int((allowed & (b[deal] > bound + scale)).sum())
        pairs += int(allowed.sum())
    if not pairs or broken < MIN_BROKEN * N_DEALS:
        return None
    p = broken / pairs
    return p if n * np.log1p(-min(p, 1 - 1e-12)) <= np.log(BY_CHANCE) else None


def _with_operands(frame: pd.DataFrame, up: pd.DataFrame | None, of: list[str]) -> pd.DataFrame:
    """`frame` with the numbers further up `of` names, one row per row."""
    extra = {c: up[c].to_numpy() for c in of if up is not None and c in up.columns}
    return frame.assign(**extra) if extra else frame


def _rule(table: str, col: str, of: list[str], op: str, factor: float, b: np.ndarray, frame: pd.DataFrame):
    """The rule's dict, with the data's places between the column's least value and the bound."""
    values = {c: as_floats(frame[c]) for c in of}
    bound = _bound_values(values, of, op, factor)
    held = ~np.isnan(b)
    low = float(np.nanmin(b[held])) if held.any() else 0.0
    room = (~np.isnan(bound)) & held & (bound > low)
    if room.sum() < MIN_ROWS:
        return None
    places = np.clip((b[room] - low) / (bound[room] - low), 0.0, 1.0)
    levels = np.linspace(0, 1, N_QUANTILES)
    decimals = fewest_decimals(b[held])
    return {
        "table": table,
        "column": col,
        "of": of,
        "op": op,
        "factor": factor,
        "low": low,
        "decimals": decimals,
        "places": [float(q) for q in np.quantile(places, levels)],
    }


def _spelled(of: list[str], op: str, factor: float) -> str:
    """The bound as a formula, for the log."""
    if op == "*":
        return f"{factor:.4g} x {of[0]}"
    return f" {op} ".join(of) if op in "-+" else of[0]


def keep_inequalities(pre, rules: list[dict], tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Move (in place) each value of `rules`' columns past its bound (`find_inequalities`) to a place
    between the column's least value and the bound drawn from the data's, on its grid; a number of
    its row kept at most it (an order within rows) is scaled with it where it would pass it."""
    for rule in rules:
        table, col = rule["table"], rule["column"]
        if table not in tables or col not in tables[table].columns:
            continue
        frame = tables[table]
        named = with_ancestors(tables, pre.schema, table, rule["of"])
        values = {c: as_floats(named[c]) for c in rule["of"]}
        bound = _bound_values(values, rule["of"], rule["op"], rule["factor"])
        b = as_floats(frame[col])
        scale = np.maximum(np.abs(b), np.abs(bound)) * SLACK
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(~np.isnan(b) & ~np.isnan(bound) & (b > bound + scale))
        if not len(rows):
            continue
        moved = _placed(rule, bound[rows], rng)
        old = b[rows].copy()
        b[rows] = moved
        frame[col] = _as_column(frame[col], b)
        _scale_below(pre, table, col, frame, rows, old, moved)
        log.info(
            "%s.%s: %d generated value(s) moved below %s",
            table,
            col,
            len(rows),
            _spelled(rule["of"], rule["op"], rule["factor"]),
        )


def _placed(rule: dict, bound: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Values at places drawn from the rule's upper quantiles (`HIGH`) between the column's least value and `bound`,
    rounded down onto the column's decimals (the bound itself where it is below the least value)."""
    low, levels = rule["low"], np.linspace(0, 1, len(rule["places"]))
    place = np.interp(HIGH + (1 - HIGH) * rng.random(len(bound)), levels, rule["places"])
    x = np.where(bound > low, low + place * (bound - low), bound)
    return _floor(x, rule["decimals"])


def _floor(x: np.ndarray, decimals: int | None) -> np.ndarray:
    """`x` rounded down onto `decimals` (as it is where None)."""
    if decimals is None:
        return x
    step = 10.0**-decimals
    return np.round(np.floor(x / step + 1e-9) * step, max(decimals, 0))


def _as_column(series: pd.Series, values: np.ndarray) -> pd.Series:
    """`values` in `series`' index and dtype (a nullable or integer column stays so)."""
    out = pd.Series(values, index=series.index)
    if pd.api.types.is_integer_dtype(series.dtype):
        return out.round().astype(series.dtype)
    return out.astype(series.dtype) if pd.api.types.is_float_dtype(series.dtype) else out


def _scale_below(pre, table: str, col: str, frame: pd.DataFrame, rows: np.ndarray, old: np.ndarray, new: np.ndarray):
    """Scale (in place) the numbers of `rows` an order within rows keeps at most `col` by the move's
    ratio where they now pass it (a claim's paid amount, at most its approved one), on their grid."""
    for o in pre.orderings.get(table, {}).values():
        if o.base != col or o.from_parent or o.sign != -1 or o.column not in frame.columns:
            continue
        dep = as_floats(frame[o.column])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(old > 0, new / old, 0.0)
        past = ~np.isnan(dep[rows]) & (dep[rows] > new)
        scaled = np.minimum(dep[rows] * ratio, new)
        if o.grid:
            scaled = np.floor(scaled / o.grid + 1e-9) * o.grid
        dep[rows[past]] = scaled[past]
        frame[o.column] = _as_column(frame[o.column], dep)

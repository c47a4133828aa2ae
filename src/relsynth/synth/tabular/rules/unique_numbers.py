"""Numbers no two rows of a table share: a chart of accounts' codes (1000, 1100, 1110 ... on a step
of 10), a product's article number, where the source declares no UNIQUE (from frames, or a
database without the constraint) and the codes are read as integers.

The model writes each row's number in its bin, uniformly on the data's grid, so rows of one table
draw the same value where a bin holds few grid values: all 149 account codes of a ledger were
distinct, and every generated chart repeated some. The fit keeps, per synthesised table, the
integer and numeric columns (on a grid) whose `MIN_ROWS` values or more are all binned and all
distinct, where values drawn in their bins as the model draws them would have repeated in
`MIN_REPEATS` pairs of rows at least (`_chance_repeats`; so not by chance: amounts in cents or
values spread over a wide range are left alone). Generation gives each later row repeating a value
the nearest value on the grid, within the data's range, that no row holds (a warning counts the
rows left where none is free). Columns a rule sets, moves or reads are left to it. Not under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.rules.columns import value_codes

log = logging.getLogger(__name__)
MIN_ROWS = 50  # rows holding a value, at least
MIN_REPEATS = 5  # pairs of rows drawing one value by chance, at least (none such: 0.7 % by chance)


def find_unique_numbers(
    pre, data: RelationalData, skip: Iterable[tuple[str, str]], ranges: list[dict] = ()
) -> list[dict]:
    """[{"table", "column", "grid", "decimals", "low", "high", "by", "ranges"}]: the numbers of `table`
    no two of its rows repeat (module doc), and the category of the row whose range (`by`: its
    column, `ranges`: {category: [low, high]}) a moved value stays in, where `category_ranges` keeps
    one (`ranges`: its rules). `skip`: (table, column) set, moved or read elsewhere."""
    skip = set(skip)
    within = {(r["table"], r["column"]): r for r in ranges}
    out = []
    for table, layout in pre.layouts.items():
        given = pre.given_columns(table)
        preprocs = {c: pre.slots[s].preproc for c, s in zip(layout.fields, layout.slots, strict=False)}
        for col, p in preprocs.items():
            if (table, col) in skip or col in given or col not in data[table].columns:
                continue
            if not isinstance(p, NumericPreproc) or p.kind not in ("integer", "numeric") or not p.grid:
                continue
            x = to_numbers(data[table][col]).dropna().to_numpy(np.float64)
            if len(x) < MIN_ROWS or p.points or len(np.unique(x)) < len(x):
                continue
            if _chance_repeats(x, np.asarray(p.edges, dtype=np.float64), p.grid) < MIN_REPEATS:
                continue
            rule = {"table": table, "column": col, "grid": p.grid, "decimals": p.decimals or 0}
            rule |= {"low": float(x.min()), "high": float(x.max()), "by": None, "ranges": {}}
            if (kept := within.get((table, col))) is not None:
                rule |= {"by": kept["by"], "ranges": {k: [q[0], q[-1]] for k, q in kept["quantiles"].items()}}
            out.append(rule)
            log.info("%s.%s kept unique: no two rows hold one value", table, col)
    return out


def _chance_repeats(x: np.ndarray, edges: np.ndarray, grid: float) -> float:
    """Pairs of rows expected to hold one value where each row's value is drawn uniformly on the grid
    within its bin (the model's draw): a bin of c values over g grid values gives c**2 / (2 g)."""
    if len(edges) < 2:
        return 0.0
    counts = np.bincount(
        np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2), minlength=len(edges) - 1
    )
    values = np.maximum(np.floor(np.diff(edges) / grid + 1e-9) + 1, 1)
    return float((counts.astype(np.float64) ** 2 / (2 * values)).sum())


def keep_unique_numbers(rules: list[dict], out: dict[str, pd.DataFrame]) -> None:
    """Each later generated row repeating a value of a rule's column moved, in place, to the nearest
    value of the grid within the data's range that no row holds (module doc)."""
    for rule in rules:
        df = out.get(rule["table"])
        if df is None or rule["column"] not in df.columns or df[rule["column"]].dtype == object:
            continue
        col, grid = rule["column"], rule["grid"]
        x = to_numbers(df[col]).to_numpy(np.float64)
        repeated = np.flatnonzero(pd.Series(x).duplicated().to_numpy() & ~np.isnan(x))
        if not len(repeated):
            continue
        # each row's category as category_ranges names it (its range's key), None where missing
        codes, names = value_codes(df[rule["by"]]) if rule.get("by") in df.columns else (None, [])
        by = None if codes is None else [names[k] if k >= 0 else None for k in codes]
        used = set(np.round(x[~np.isnan(x)] / grid).astype(np.int64).tolist())  # in grid units
        left = 0
        for i in repeated:
            low, high = rule["low"], rule["high"]
            if by is not None and (kept := rule["ranges"].get(by[i])) is not None:
                low, high = max(low, kept[0]), min(high, kept[1])
            low, high = int(np.ceil(low / grid - 1e-9)), int(np.floor(high / grid + 1e-9))
            unit = _nearest_free(int(round(x[i] / grid)), low, high, used)
            if unit is None:
                left += 1
                continue
            used.add(unit)
            x[i] = round(unit * grid, rule["decimals"])
        values = pd.Series(x, index=df.index)
        df[col] = values.round().astype(df[col].dtype) if _integer(df[col]) else values.astype(df[col].dtype)
        if left:
            log.warning(
                "%s.%s: %d generated row(s) repeat a value no two rows of the data share, no free value being "
                "left in its range",
                rule["table"],
                col,
                left,
            )


def _nearest_free(unit: int, low: int, high: int, used: set[int]) -> int | None:
    """The grid value nearest `unit` within [low, high] that is not `used` (the lower one first), or None."""
    unit = min(max(unit, low), high)
    for d in range(high - low + 1):
        for u in (unit - d, unit + d):
            if low <= u <= high and u not in used:
                return u
    return None


def _integer(s: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(s.dtype)

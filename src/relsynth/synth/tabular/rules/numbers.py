"""Not a rule: how the rules relating a row's numbers read them, in one place. A table's numbers as
floats (`as_floats`; on their index: `as_float_series`), the decimals they are written with
(`written_decimals`), the greatest step they are all multiples of (`common_step`), the rows a fit
screens candidates on (`screen_rows`), the numbers of the rows a table nests under
(`numbers_above`), and a moved number put back on its column's grid (`on_grid`). `ratio_ranges`,
`linear_pairs`, `inequalities`, `whole_multiples`, `flagged_copies`, `formulas`, `period_counts`,
`running_sums`, `count_sums`, `sign_labels`, `interval_labels`, `range_labels`, `constant_sums`,
`capped_sums`, `split_sums` and `lookup_orders` read them from here, so a rule added beside them
reads its numbers as they do."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import with_ancestors
from relsynth.synth.tabular.encoders import NumericPreproc

SAMPLE = 5000  # rows candidates are screened on before a rule is checked on all
MAX_ABOVE = 16  # numbers of the rows further up a table's numbers are tried against, the nearest levels first


def as_floats(values: pd.Series) -> np.ndarray:
    """The values as float64, NaN where missing."""
    return to_numbers(values).to_numpy(np.float64, na_value=np.nan)


def as_float_series(values: pd.Series) -> pd.Series:
    """The values as float64 on their own index, NaN where missing: `as_floats` where a rule still
    groups or aligns them by row."""
    return to_numbers(values).astype(float)


def common_step(x: np.ndarray, decimals: int) -> float:
    """The greatest step every value is a whole multiple of, in units of their last decimal (0.5 of
    values in halves, 5 of percents in fives; one unit where no greater)."""
    units = np.round(x[np.isfinite(x)] * 10.0**decimals)
    units = units[(units > 0) & (units < 2.0**62)].astype(np.int64)
    step = int(np.gcd.reduce(units)) if len(units) else 1
    return round(max(step, 1) * 10.0**-decimals, decimals)


def written_decimals(x: np.ndarray) -> int | None:
    """The decimals the values are written with (0 to 6); None: more (1e-8, a third), compared
    and set unrounded (`encoders.decimals_of` says 6 there: what a sum is rounded to)."""
    for d in range(7):
        if np.allclose(x, np.round(x, d), rtol=0, atol=1e-9):
            return d
    return None


def screen_rows(n: int, most: int = SAMPLE) -> np.ndarray:
    """At most `most` row positions of `n`, in order, the same on every fit of the same data."""
    if n <= most:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, most, replace=False))


def numbers_above(
    pre, data: RelationalData, table: str, skip: set[tuple[str, str]], context: bool = False
) -> pd.DataFrame | None:
    """The numbers (`MAX_ABOVE` at most) of the rows `table`'s rows nest under, parent first, one
    row per row of `table`, named `<ancestor>.<column>`; None where it nests under none. A number
    set or read elsewhere (`skip`) is left out: it may move after the table's rows are decoded; so
    is one given as context, unless `context` (a rule that only copies it: it never moves)."""
    names, edge = [], pre.schema.parent(table)
    while edge is not None and len(names) < MAX_ABOVE:
        t = edge.parent
        given = set() if context else pre.given_columns(t)
        columns = [c for c in pre.layouts[t].fields if c in pre.schema.tables[t].columns]
        names += [f"{t}.{c}" for c in pre.float_numbers(t, columns) if (t, c) not in skip and c not in given]
        edge = pre.schema.parent(t)
    if not names:
        return None
    return with_ancestors(data, pre.schema, table, names[:MAX_ABOVE])


def on_grid(num: NumericPreproc, x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """`x` rounded to the column's grid, kept within [low, high] where a grid value lies there
    (the nearest to the range's inside else: a rate of 1.2 % of 25 is 0.30, not 0.3 % off)."""
    grid = num.grid
    if not grid:
        return x
    up, down = np.ceil(low / grid - 1e-9) * grid, np.floor(high / grid + 1e-9) * grid
    out = np.round(x / grid) * grid
    out = np.where(up <= down, np.clip(out, up, down), out)
    return np.round(out, num.decimals) if num.kind == "numeric" and num.decimals is not None else out

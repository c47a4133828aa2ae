"""Split sums: a number of a row that the rows under it split among them wherever it has any (a
claim's approved amount, paid in one to three payments; an approved claim not yet paid has none).

Such a number is no total (`_totals`): rows holding it without any row under them keep their own
value, so it equals its rows' sum in too few rows to be set from them, and it is often bounded by
its row (approved at most claimed), which setting it from its rows would break. The model writes
the rows' values in bins after it, so their sums never meet it: 20 % of generated paid claims had
payments adding up to their approved amount, 100 % in the data. The fit keeps, per number of a
table and child table, the first non-negative child number whose sum under each row equals the
row's number, to its decimals, in at least `MIN_SHARE` of at least `MIN_ROWS` rows holding both,
some with two rows or more. Generation scales the rows' values to their parent's number, in
whole units of its last decimal (the largest remainders take the units the rounding left), so
each keeps its share and none passes the parent's number. Child columns another rule sets or an
order within rows reads are left out, as are context columns. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular._totals import decimals_of, sum_over

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # the number equals its rows' sum in this share of the rows holding both
MIN_ROWS = 20  # rows with a number and rows under them the share is read from, at least


def find_split_sums(pre, data: RelationalData, summed: set[tuple[str, str]], read: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "child", "fk", "of", "decimals"}]: the `child` rows under each row of
    `table` (by `fk`) that has any hold values of `of` summing to its `column`, to `decimals`.
    `summed`: (table, column) another rule sets; `read`: those an order within rows reads, which
    a part scaled would break (a part may read its parent's number: at most it, scaled or not)."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        pk = schema.tables[table].primary_key
        if pk is None or not schema.children(table):
            continue
        given = pre.given_columns(table)
        numbers = [c for c in pre.float_numbers(table, pre.modelled_columns(table)) if (table, c) not in summed]
        for col in [c for c in numbers if c not in given]:
            for child in schema.children(table):
                fk = schema.parent(child).fk
                parts = [
                    c for c in pre.float_numbers(child, pre.modelled_columns(child)) if (child, c) not in summed | read
                ]
                of = next((c for c in parts if _splits(data[table][col], data[table][pk], data[child], fk, c)), None)
                if of is not None:
                    log.info("%s.%s is split among its %s rows' %s: kept so", table, col, child, of)
                    decimals = decimals_of(_numbers(data[child][of]).dropna().to_numpy())
                    out.append(
                        {"table": table, "column": col, "child": child, "fk": fk, "of": of, "decimals": decimals}
                    )
                    break
    return out


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)


def _splits(total: pd.Series, keys: pd.Series, rows: pd.DataFrame, fk: str, of: str) -> bool:
    """Whether `rows`' non-negative `of` sum, under each row with some, to that row's `total`."""
    x, parts = _numbers(total).to_numpy(), _numbers(rows[of])
    if (parts < 0).any() or (x < 0).any():
        return False  # a signed part: no share of a whole
    counts = parts.notna().groupby(rows[fk].to_numpy()).sum().reindex(pd.Index(keys), fill_value=0).to_numpy()
    held = ~np.isnan(x) & (counts > 0)
    if held.sum() < MIN_ROWS or not (counts[held] > 1).any():
        return False  # too few to read, or one row each: a copy, not a split
    sums = sum_over(rows, fk, [of], keys)
    tolerance = 0.5 * 10.0 ** -decimals_of(x[held])
    return bool(np.isclose(x[held], sums[held], rtol=1e-6, atol=tolerance).mean() >= MIN_SHARE)


def apply_split_sums(rules: list[dict], tables: dict[str, pd.DataFrame], pks: dict[str, str]) -> None:
    """Scale (in place) each rule's child values under every row holding the number to sum to it
    (`pks`: each table's primary key)."""
    for rule in rules:
        parent, rows = tables[rule["table"]], tables[rule["child"]]
        if not len(rows) or rule["of"] not in rows or rule["column"] not in parent:
            continue
        whole = parent.set_index(pks[rule["table"]])[rule["column"]]
        total = _numbers(rows[rule["fk"]].map(whole)).to_numpy()
        x = _numbers(rows[rule["of"]]).to_numpy()
        held = ~np.isnan(total) & ~np.isnan(x)
        scaled = split_units(
            np.maximum(x[held], 0.0), total[held], rows[rule["fk"]].to_numpy()[held], int(rule["decimals"])
        )
        column = rows[rule["of"]].astype(float)
        column.iloc[np.flatnonzero(held)] = scaled
        rows[rule["of"]] = column


def split_units(x: np.ndarray, total: np.ndarray, groups: np.ndarray, decimals: int) -> np.ndarray:
    """`x` scaled within each group to sum to its `total` (the same on each of its rows), in whole
    units of `decimals`: each row its share's units rounded down, the largest remainders one more."""
    if not len(x):
        return x
    unit = 10.0**-decimals
    frame = pd.DataFrame({"g": groups, "x": x})
    sums = frame.groupby("g")["x"].transform("sum").to_numpy()
    sizes = frame.groupby("g")["x"].transform("size").to_numpy()
    share = np.where(sums > 0, x / np.where(sums > 0, sums, 1.0), 1.0 / sizes)  # nothing written: equal parts
    units = np.round(total / unit) * share
    floor = np.floor(units + 1e-9)
    left = np.round(np.round(total / unit) - pd.Series(floor).groupby(groups).transform("sum").to_numpy())
    rank = pd.Series(floor - units).groupby(groups).rank(method="first").to_numpy()  # largest remainder first
    return np.round((floor + (rank <= left)) * unit, decimals)

"""Bounded sums: a number the rows under one parent row sum to at most a number of that parent row
(a country's cities' populations, at most the country's own; a department's salaries, within its
budget; an order's shipped quantities, at most its ordered quantity).

Orders within rows keep each row under its parent's number, not their sum: the model writes each
row's value in bins after the one before it, so a country of several cities, each at most the
country's population, summed past it in 81 of 239 countries of a world-like database (a small model,
300 steps), where the data's never do. The fit keeps, per table nested under a parent and per
non-negative number of it whose values vary, the number of the parent row (`by`) that no parent
row's sum passes, where dealing the parent rows' numbers among the other parent rows would have
broken it by chance (`inequalities.chance_broken`: at most `BY_CHANCE` that the data keep it
anyway), some parent rows summing two rows or more; of several, the one breaking most often by
chance. It keeps the quantiles of the share of the bound the sums come to (`shares`), not single
sums. Generation scales each parent's rows whose sum passes the bound down to a share of it drawn
from the upper half of the data's (the model drew them high), in whole units of the data's grid
(`split_units`, no part below the data's least where the sum allows); the others are left as the
model wrote them. Lowering a value keeps each row under its parent's number too. Columns another
rule sets (a flagged copy, set before in decoding, and the number it copies: scaled, 351 of 436
copies left their order's price), an order within rows reads or writes upwards from its base, and
the parent numbers set after generation (totals, formulas) are left out. Decoding scales them before
the sums to a parent's number (`split_sums`), a fixed whole or a cap, so a number a bound lowers is
final before its own rows split it (a country's population, once its cities were split to it, was
lowered after: 136 of 156 countries' cities added up to another number); no part those scale is
a bound or bounded. The rules are kept parents
first, so a number scaled to its own parent's bound is the bound its rows are then scaled to (cities
listed first were scaled to their country's population before it was scaled to its region's, and 100
of 136 countries' cities then summed past it). Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import decimals_of
from relsynth.synth.tabular.rules.inequalities import chance_broken
from relsynth.synth.tabular.rules.numbers import as_floats, common_step
from relsynth.synth.tabular.rules.split_sums import split_units

log = logging.getLogger(__name__)
MIN_SEVERAL = 5  # parent rows summing two rows or more, at least: else a sum is each row's own bound
N_QUANTILES = 21  # the shares of the bound the sums come to, kept as this many quantiles
HIGH = 0.5  # sums past their bound were drawn high: their share is drawn from the data's above this quantile


def find_bounded_sums(
    pre, data: RelationalData, taken: set[tuple[str, str]], later: set[tuple[str, str]]
) -> list[dict]:
    """[{"table", "fk", "of", "parent", "by", "shares", "decimals", "least", "step"}]: the values of `of`
    in the rows of `table` under each row of `parent` (nested by `fk`) sum to its number `by` at most.
    `taken`: (table, column) of child numbers left as they are (set by another rule, or read by an
    order within rows); `later`: (table, column) set after generation, which no bound may be."""
    out = []
    for table in data.schema.depth_first():  # parents first: a bound scaled down bounds its children as scaled
        edge = data.schema.parent(table)
        if edge is None:
            continue
        keys = data[edge.parent][data.schema.tables[edge.parent].primary_key]
        bounds = {c: data[edge.parent][c] for c in pre.generated_numbers(edge.parent) if (edge.parent, c) not in later}
        for of in [c for c in pre.generated_numbers(table) if (table, c) not in taken]:
            rule = _bound(data[table][of], data[table][edge.fk], keys, bounds)
            if rule is not None:
                log.info("%s.%s sums to %s.%s at most under each row: kept so", table, of, edge.parent, rule["by"])
                out.append({"table": table, "fk": edge.fk, "of": of, "parent": edge.parent} | rule)
    return out


def _bound(values: pd.Series, parents: pd.Series, keys: pd.Series, bounds: dict[str, pd.Series]) -> dict | None:
    """{"by", "shares", "decimals", "least", "step"} where the non-negative `values`, which vary, sum
    under each parent (`parents`, its key per row) to at most its number `by` among `bounds` (the
    parent table's numbers, on `keys`' rows), beyond chance (see the module docstring)."""
    x = as_floats(values)
    held = ~np.isnan(x) & parents.notna().to_numpy()
    x, groups = x[held], parents.to_numpy()[held]
    if not len(x) or (x < 0).any() or np.unique(x).size < 2:
        return None  # a signed part is no share of a bound
    frame = pd.DataFrame({"g": groups, "x": x}).groupby("g")["x"].agg(["sum", "size"])
    if int((frame["size"] > 1).sum()) < MIN_SEVERAL:
        return None
    sums = frame["sum"].to_numpy()
    best: tuple[float, str, np.ndarray] | None = None
    for by, column in bounds.items():
        bound = pd.Series(as_floats(column), index=keys.to_numpy()).reindex(frame.index).to_numpy()
        p = chance_broken(sums, bound, None)
        if p is not None and (best is None or p > best[0]):
            best = (p, by, bound)
    if best is None:
        return None
    _, by, bound = best
    positive = bound > 0
    decimals = decimals_of(x)
    return {
        "by": by,
        "shares": np.quantile(sums[positive] / bound[positive], np.linspace(0, 1, N_QUANTILES)).tolist(),
        "decimals": decimals,
        "least": float(x.min()),
        "step": common_step(x, decimals),
    }


def apply_bounded_sums(
    rules: list[dict], tables: dict[str, pd.DataFrame], keys: dict[str, str | None], rng: np.random.Generator
) -> None:
    """Scale (in place) each rule's values under every parent row whose sum passes its bound down to a
    share of the bound drawn from the upper half of the data's. `keys`: each table's primary key."""
    for rule in rules:
        rows, parent = tables.get(rule["table"]), tables.get(rule["parent"])
        pk = keys.get(rule["parent"])
        if rows is None or parent is None or pk is None or not len(rows) or rule["of"] not in rows:
            continue
        x = as_floats(rows[rule["of"]])
        groups = rows[rule["fk"]]
        bound = as_floats(groups.map(pd.Series(parent[rule["by"]].to_numpy(), index=parent[pk].to_numpy())))
        held = ~np.isnan(x) & groups.notna().to_numpy()
        sums = pd.Series(np.where(held, x, 0.0)).groupby(groups.to_numpy()).transform("sum").to_numpy()
        over = held & (sums > bound + 1e-9 * np.abs(bound))  # a null bound bounds nothing
        if not over.any():
            continue
        codes, firsts = pd.factorize(groups.to_numpy()[over])
        shares = np.asarray(rule["shares"], dtype=float)
        high = shares[int(HIGH * (len(shares) - 1)) :]
        share = high[rng.integers(0, len(high), len(firsts))][codes]  # one share per parent row
        step = float(rule["step"])
        target = np.floor(np.maximum(share * bound[over], 0.0) / step + 1e-9) * step  # whole steps, not past it
        units = split_units(x[over] / step, target / step, groups.to_numpy()[over], 0, float(rule["least"]) / step)
        column = rows[rule["of"]].astype(float)
        column.iloc[np.flatnonzero(over)] = np.round(units * step, int(rule["decimals"]))
        rows[rule["of"]] = column

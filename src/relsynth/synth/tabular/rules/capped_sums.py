"""Capped sums: a number the rows under one parent row share a fixed whole with room left over (a
country's languages' percentages of its people, at most 100 %, the rest speaking others; a fund's
holdings, at most its whole 1.0).

No one whole is reached (`constant_sums` keeps those), so nothing bounds the sum, and the model
writes each row's value in bins after the one before it: 73 of 197 countries of a world-like
database (a tiny model, 5 epochs) had languages adding up to more than 100 %, up to 287 %, where
the data's never pass 99.9 %. The fit keeps, per table nested under a parent and per non-negative
number of it whose values vary, the least power of ten `cap` that no parent row's sum passes,
where the sums of parent rows of two rows or more pile against it: `MIN_PILE` of them at least
within `BAND` of it, at least half as many as in the band below (sums that thin out towards a
power of ten are a tail, not a wall; had the cap not been there, about as many would have passed
it as lie just under it, and none did). It keeps those sums' quantiles (`near`), not single sums.
Generation scales each parent's rows whose sum passes the cap down to a sum drawn from them
(`split_units`: whole units of the data's grid, no part below the data's least where the sum
allows); the others are left as the model wrote them. Columns another rule sets (a flagged copy,
set before in decoding, and the number it copies: scaled, 157 of 199 copies left their parent's
number) or an order within rows reads are left out. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import decimals_of
from relsynth.synth.tabular.rules.constant_sums import nested_sum_rules
from relsynth.synth.tabular.rules.numbers import common_step
from relsynth.synth.tabular.rules.split_sums import split_units

log = logging.getLogger(__name__)
BAND = 0.1  # share of the cap under it that the piled sums lie within
MIN_RATIO = 0.5  # ... and at least this share of the sums in the band below it: not a tail thinning out
MIN_PILE = 10  # sums of several rows within the band, at least: none past the cap by chance is then ~2**-10
MIN_ROWS = 20  # parent rows holding a value, at least
N_QUANTILES = 21  # the piled sums are kept as this many quantiles


def find_capped_sums(pre, data: RelationalData, taken: set[tuple[str, str]], constant: list[dict]) -> list[dict]:
    """[{"table", "fk", "of", "cap", "near", "decimals", "least", "step"}]: the rows of `table` under
    each row of its parent hold values of `of` (nested by `fk`) summing to `cap` at most, their sums
    piled under it (`near`: quantiles of those within `BAND` of it). `taken`: (table, column) other
    rules set or an order within rows reads; `constant`: the `constant_sums` rules, left to them."""
    out = []
    for parent, rule in nested_sum_rules(pre, data, taken | {(r["table"], r["of"]) for r in constant}, _cap):
        log.info("%s.%s sums to %s at most under each %s row: kept so", rule["table"], rule["of"], rule["cap"], parent)
        out.append(rule)
    return out


def _cap(values: pd.Series, parents: pd.Series) -> dict | None:
    """{"cap", "near", "decimals", "least", "step"} where the non-negative `values`, which vary, sum
    under each parent (`parents`, its key per row) to a power of ten at most, piled under it (see
    the module docstring)."""
    x = to_numbers(values).astype(float)
    held = x.notna() & parents.notna()
    x, groups = x[held].to_numpy(), parents[held].to_numpy()
    if not len(x) or (x < 0).any() or np.unique(x).size < 2:
        return None  # a signed part is no share of a whole
    frame = pd.DataFrame({"g": groups, "x": x}).groupby("g")["x"].agg(["sum", "size"])
    top = float(frame["sum"].max())
    if len(frame) < MIN_ROWS or top <= 0:
        return None
    decimals = decimals_of(x)
    cap = 10.0 ** np.ceil(np.log10(top) - 1e-9)
    sums = frame["sum"].to_numpy()[frame["size"].to_numpy() > 1]  # one row's value is no sum of parts
    near = sums[(sums >= (1 - BAND) * cap) & (sums <= cap + 1e-9)]
    below = sums[(sums >= (1 - 2 * BAND) * cap) & (sums < (1 - BAND) * cap)]
    if len(near) < MIN_PILE or len(near) < MIN_RATIO * len(below):
        return None  # too few against the cap to tell it, or a tail thinning out before it
    return {
        "cap": float(cap),
        "near": np.round(np.quantile(near, np.linspace(0, 1, N_QUANTILES)), decimals).tolist(),
        "decimals": decimals,
        "least": float(x.min()),
        "step": common_step(x, decimals),
    }


def apply_capped_sums(rules: list[dict], tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Scale (in place) each rule's values under every parent row whose sum passes its cap down to
    a sum drawn from the data's sums under it."""
    for rule in rules:
        rows = tables.get(rule["table"])
        if rows is None or not len(rows) or rule["of"] not in rows or rule["fk"] not in rows:
            continue
        x = to_numbers(rows[rule["of"]]).astype(float).to_numpy()
        held = ~np.isnan(x) & rows[rule["fk"]].notna().to_numpy()
        groups = rows[rule["fk"]].to_numpy()
        sums = pd.Series(np.where(held, x, 0.0)).groupby(groups).transform("sum").to_numpy()
        over = held & (sums > float(rule["cap"]) + 1e-9)
        if not over.any():
            continue
        codes, firsts = pd.factorize(groups[over])
        near = np.asarray(rule["near"], dtype=float)
        target = near[rng.integers(0, len(near), len(firsts))][codes]  # one sum per parent row
        step = float(rule["step"])
        target = np.minimum(target, np.floor(float(rule["cap"]) / step + 1e-9) * step)  # in whole steps, not past it
        units = split_units(x[over] / step, target / step, groups[over], 0, float(rule["least"]) / step)
        column = rows[rule["of"]].astype(float)
        column.iloc[np.flatnonzero(over)] = np.round(units * step, int(rule["decimals"]))
        rows[rule["of"]] = column

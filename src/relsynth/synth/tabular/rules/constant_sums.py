"""Constant sums: a number the rows under one parent row split a fixed whole among (a portfolio's
allocations, percentages adding up to 100; shares of 1.0; a budget's fixed points).

No number of the parent row holds the whole, so `_split_sums` has nothing to scale to, and the
model writes each row's value in bins after the one before it: not one of 595 generated
portfolios' allocations added up to 100 (a small model, briefly trained), every one in the data.
The fit keeps, per table nested under a parent and per non-negative number of it whose values
vary, the one whole its sum under each parent row holding any comes to, to the column's decimals,
in at least `MIN_SHARE` of at least `MIN_ROWS` parent rows, and of those with two rows or more
(some must have them: one row holding the whole is a copy, not a split). Generation scales each
parent's rows to it with `_split_sums.split_units` (whole units of the last decimal, the largest
remainders taking those the rounding left, no part below the data's least where the whole allows),
on the grid every value of the data keeps (`step`: halves of a percent, 12.5 and 37.5; fives, 25 and
45), which the model's values keep too: split in units of the last decimal, 0.21 of the decoded parts
of allocations in halves were still halves.
Columns another rule sets (a flagged copy, set before in decoding, and the number it copies:
scaled, 162 of 191 copies left their parent's number) or an order within rows reads are left out,
as are context columns and those a parent's number already splits. Not fitted under DP.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import decimals_of
from relsynth.synth.tabular.rules.numbers import as_float_series, common_step
from relsynth.synth.tabular.rules.split_sums import split_units

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # the rows' sum comes to the whole under this share of the parent rows holding any
MIN_ROWS = 20  # parent rows holding a value the share is read from, at least


def find_constant_sums(
    pre, data: RelationalData, summed: set[tuple[str, str]], read: set[tuple[str, str]], split: list[dict]
) -> list[dict]:
    """[{"table", "fk", "of", "whole", "decimals", "least", "step"}]: the rows of `table` under each row of
    its parent holding any hold values of `of` (nested by `fk`) summing to `whole`, to `decimals`.
    `summed`: (table, column) another rule sets; `read`: those an order within rows reads; `split`:
    the `_split_sums` rules, whose parts a number of their parent row already sets."""
    out = []
    for parent, rule in nested_sum_rules(pre, data, summed | read | {(r["child"], r["of"]) for r in split}, _whole):
        log.info("%s.%s sums to %s under each %s row: kept so", rule["table"], rule["of"], rule["whole"], parent)
        out.append(rule)
    return out


def nested_sum_rules(
    pre, data: RelationalData, taken: set[tuple[str, str]], fit: Callable[[pd.Series, pd.Series], dict | None]
) -> Iterator[tuple[str, dict]]:
    """(parent table, {"table", "fk", "of", **rule}) for each generated number `of` of a table nested under a parent
    (by `fk`), not in `taken`, where `fit(values, parent keys)` finds a rule on its sums (`_whole`,
    `capped_sums._cap`)."""
    for table in data.schema.synth_tables:
        edge = data.schema.parent(table)
        if edge is None:
            continue
        for of in [c for c in pre.generated_numbers(table) if (table, c) not in taken]:
            rule = fit(data[table][of], data[table][edge.fk])
            if rule is not None:
                yield edge.parent, {"table": table, "fk": edge.fk, "of": of} | rule


def _whole(values: pd.Series, parents: pd.Series) -> dict | None:
    """{"whole", "decimals", "least", "step"} where the non-negative `values`, which vary, sum under each
    parent (`parents`, its key per row) holding any to one positive whole (see `find_constant_sums`)."""
    x = as_float_series(values)
    held = x.notna() & parents.notna()
    x, groups = x[held].to_numpy(), parents[held].to_numpy()
    if not len(x) or (x < 0).any() or np.unique(x).size < 2:
        return None  # a signed part is no share of a whole; one value each: a count, not a split
    frame = pd.DataFrame({"g": groups, "x": x}).groupby("g")["x"].agg(["sum", "size"])
    if len(frame) < MIN_ROWS or not (frame["size"] > 1).any():
        return None  # too few to read, or one row each: a copy of the whole, not a split
    decimals = decimals_of(x)
    sums = frame["sum"].round(decimals)
    whole = float(sums.mode().iloc[0])
    equal = np.isclose(frame["sum"], whole, rtol=1e-9, atol=0.5 * 10.0**-decimals)
    several = (frame["size"] > 1).to_numpy()
    if whole <= 0 or equal.mean() < MIN_SHARE or equal[several].mean() < MIN_SHARE:
        return None
    return {"whole": whole, "decimals": decimals, "least": float(x.min()), "step": common_step(x, decimals)}


def apply_constant_sums(rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Scale (in place) each rule's values under every parent row to sum to its whole."""
    for rule in rules:
        rows = tables.get(rule["table"])
        if rows is None or not len(rows) or rule["of"] not in rows or rule["fk"] not in rows:
            continue
        x = as_float_series(rows[rule["of"]]).to_numpy()
        held = ~np.isnan(x) & rows[rule["fk"]].notna().to_numpy()
        groups = rows[rule["fk"]].to_numpy()[held]
        decimals = int(rule["decimals"])
        step = float(rule.get("step") or 10.0**-decimals)  # the data's grid (none in older models: the decimal's)
        whole = np.full(int(held.sum()), float(rule["whole"]) / step)
        units = split_units(np.maximum(x[held], 0.0) / step, whole, groups, 0, float(rule["least"]) / step)
        scaled = np.round(units * step, decimals)
        column = rows[rule["of"]].astype(float)
        column.iloc[np.flatnonzero(held)] = scaled
        rows[rule["of"]] = column

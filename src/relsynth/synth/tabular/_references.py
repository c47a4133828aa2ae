"""References: foreign keys that do not nest their rows (`Schema.references`), such as an
invoice line's track when the line nests under its invoice.

The model does not write them. The fit keeps, per reference, the share of rows whose key is null
and how many rows reference each row of the referenced table (its *degree*: a track bought 0, 1
or 5 times), as quantiles; generation gives each synthetic referenced row a degree drawn from
them and deals the referencing rows out so that each row gets about its degree. So the synthetic
database keeps how often rows are referenced (a few tracks bought often, most never), not which
referenced row goes with which referencing row beyond that. A reference to its own table
(an employee's manager) only names an earlier row, so the references never form a cycle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData, Schema

N_QUANTILES = 100  # degrees kept as this many quantiles: no single row's degree is stored


def reference_stats(data: RelationalData) -> dict[str, dict]:
    """ "table.fk" -> {"parent", "null_share", "degrees"} for every reference of the schema."""
    schema, out = data.schema, {}
    for table in schema.synth_tables:
        for e in schema.references(table):
            values = data[table][e.fk]
            keys = data[e.parent][schema.tables[e.parent].primary_key]
            per_key = values.dropna().value_counts()
            degrees = per_key.reindex(pd.Index(keys), fill_value=0).to_numpy(dtype=np.int64)
            levels = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
            quantiles = np.quantile(degrees, levels, method="inverted_cdf") if len(degrees) else np.zeros(0)
            out[f"{table}.{e.fk}"] = {
                "parent": e.parent,
                "null_share": float(values.isna().mean()) if len(values) else 0.0,
                "degrees": [int(d) for d in quantiles],
            }
    return out


def assign_references(
    schema: Schema, stats: dict, tables: dict[str, pd.DataFrame], keys: dict[str, pd.Series], rng: np.random.Generator
) -> None:
    """Fill every reference column of the generated `tables` (in place) with keys of the rows
    generated for its referenced table (`keys`), following the fitted `stats` (`reference_stats`;
    none: every row equally often, no nulls)."""
    for table in schema.synth_tables:
        for e in schema.references(table):
            fitted = stats.get(f"{table}.{e.fk}") or {}
            tables[table][e.fk] = draw_references(
                len(tables[table]),
                keys[e.parent],
                null_share=float(fitted.get("null_share", 0.0)),
                degrees=np.asarray(fitted.get("degrees") or [1], dtype=np.float64),
                rng=rng,
                own_table=e.parent == table,
            )


def draw_references(
    n_rows: int,
    parent_keys: pd.Series,
    null_share: float,
    degrees: np.ndarray,
    rng: np.random.Generator,
    own_table: bool = False,
) -> pd.Series:
    """`n_rows` keys among `parent_keys`: a share `null_share` null, the others dealt out so each
    parent row is named about as often as a degree drawn from `degrees` (quantiles) says.
    `own_table`: row i names an earlier row only (row 0 none)."""
    out = pd.Series([pd.NA] * n_rows, dtype=parent_keys.dtype)
    present = np.flatnonzero(rng.random(n_rows) >= null_share)
    if len(parent_keys) == 0 or len(present) == 0:
        return out
    weights = stratified(degrees, len(parent_keys), rng)
    targets = deal(len(present), weights, rng)
    if own_table:  # a row naming itself or a later row names an earlier one instead; row 0 none
        late = targets >= present
        targets[late] = (rng.random(int(late.sum())) * present[late]).astype(np.int64)
        present, targets = present[present > 0], targets[present > 0]
    out.iloc[present] = parent_keys.to_numpy()[targets]
    return out


def stratified(quantiles: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` draws from the distribution the `quantiles` describe, one from each of `n` equal slices of
    it, in random order: a small table gets the shape too (7 employees, not 7 independent draws)."""
    levels = (rng.permutation(n) + rng.random(n)) / n
    return quantiles[np.minimum((levels * len(quantiles)).astype(np.int64), len(quantiles) - 1)]


def deal(m: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`m` parent indices in random order, parent i about `weights[i] * m / sum(weights)` times:
    the share rounded at random, then the few left over (or too many) drawn by weight."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    p = weights / weights.sum()
    want = p * m
    counts = np.floor(want).astype(np.int64)
    counts += rng.random(len(want)) < want - counts
    diff = m - int(counts.sum())
    if diff > 0:
        counts += rng.multinomial(diff, p)
    elif diff < 0:  # drop -diff of the dealt slots, each equally likely
        dropped = rng.choice(np.repeat(np.arange(len(counts)), counts), size=-diff, replace=False)
        np.subtract.at(counts, dropped, 1)
    targets = np.repeat(np.arange(len(counts)), counts)
    rng.shuffle(targets)
    return targets

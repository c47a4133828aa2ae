"""A lookup key whose lookup row's number is never below a number of the row's parent: a leg's
vehicle, whose capacity carries its shipment's weight (a `vehicles` lookup, the leg nested under
the shipment).

A lookup key is a category the model writes, with no tie to a number of the parent row two
fields and a table away: 4 to 5 % of a small model's generated legs went on a vehicle too small
for their shipment, none in the data. `lookup_orders` moves a number of the row itself into its
lookup row's range; a parent's number is shared by its rows, so here the key moves instead. The
fit keeps, per lookup key of a nested table and number of its parent row, the lookup's numbers
that the named lookup row's never falls below in every training row holding both (`MIN_ROWS` at
least) where keys drawn at random by their shares would fall below in `MIN_BREAK` of the rows at
least (not the values alone). Decoding draws again, by the generated keys' shares, the key of each
row whose lookup row falls below, among the lookup rows that do not (left where none does), before
the lookup orders and formulas that read the lookup row. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers

log = logging.getLogger(__name__)
MIN_ROWS = 20  # training rows holding the key and the parent's number, at least
MIN_BREAK = 0.05  # keys at random by their shares falling below the number in this share of rows, at least
_NUMBERS = (Column.NUMERIC, Column.INTEGER)


def find_lookup_capacities(pre, data: RelationalData) -> list[dict]:
    """[{"table", "key", "lookup", "capacity", "number"}]: the lookup row `key` names holds `capacity`
    at least `table`'s parent row's `number` in every training row."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        edge, layout = schema.parent(table), pre.layouts.get(table)
        if edge is None or layout is None:
            continue
        up = data[edge.parent].set_index(schema.tables[edge.parent].primary_key)
        for key, lookup in schema.lookup_fks(table).items():
            if key not in layout.fields or key in pre.given_columns(table):
                continue
            rows = data[lookup].set_index(schema.tables[lookup].primary_key)
            named = data[table][key].to_numpy()
            for number in (c for c, k in schema.tables[edge.parent].columns.items() if k.kind in _NUMBERS):
                need = to_numbers(up[number]).reindex(data[table][edge.fk]).to_numpy(np.float64)
                for capacity in (c for c, k in schema.tables[lookup].columns.items() if k.kind in _NUMBERS):
                    have = to_numbers(rows[capacity])
                    if _carries(have, named, need):
                        log.info("%s.%s names a %s row whose %s carries its parent's %s: kept so", table, key, lookup, capacity, number)  # fmt: skip
                        out.append({"table": table, "key": key, "lookup": lookup, "capacity": capacity, "number": number})  # fmt: skip
    return out


def keep_lookup_capacities(rules: list[dict], out: dict[str, pd.DataFrame], schema, rng: np.random.Generator) -> None:
    """Draw again (in place) the key of each generated row whose lookup row falls below its parent's
    number, among the lookup rows that do not, by the generated keys' shares."""
    for r in rules:
        table, edge = out.get(r["table"]), schema.parent(r["table"])
        if table is None or not len(table) or edge is None or edge.parent not in out or r["lookup"] not in out:
            continue
        pk_up, pk_lookup = schema.tables[edge.parent].primary_key, schema.tables[r["lookup"]].primary_key
        have = to_numbers(out[r["lookup"]].set_index(pk_lookup)[r["capacity"]])
        need = to_numbers(out[edge.parent].set_index(pk_up)[r["number"]])
        need = need.reindex(table[edge.fk]).to_numpy(np.float64)
        keys = table[r["key"]]
        below = have.reindex(keys).to_numpy(np.float64) < need
        if not below.any():
            continue
        shares = keys.value_counts(normalize=True)
        column, moved = keys.astype(object).to_numpy(copy=True), 0
        for i in np.flatnonzero(below):
            fit = have.index[have.to_numpy() >= need[i]]
            if len(fit):
                p = shares.reindex(fit).fillna(0.0).to_numpy() + 1e-9
                column[i], moved = fit[rng.choice(len(fit), p=p / p.sum())], moved + 1
        table[r["key"]] = pd.Series(column, index=table.index).astype(keys.dtype)
        log.info("%s.%s: %d generated key(s) drawn again: their %s fell below the parent's %s", r["table"], r["key"], moved, r["capacity"], r["number"])  # fmt: skip


def _carries(have: pd.Series, named: np.ndarray, need: np.ndarray) -> bool:
    """Whether the named rows' `have` is at least `need` in every row holding both (`MIN_ROWS` at
    least), where keys drawn by their shares would fall below in `MIN_BREAK` of the rows."""
    held_have = have.reindex(named).to_numpy(np.float64)
    held = ~np.isnan(held_have) & ~np.isnan(need)
    if held.sum() < MIN_ROWS or (held_have[held] < need[held]).any():
        return False
    x, y = held_have[held], need[held]
    chance = float(np.mean(np.searchsorted(np.sort(x), y, side="left") / len(x)))  # a row's key at random
    return chance >= MIN_BREAK

"""Sibling sums: a number whose rows under a parent row add up to what the rows of a sibling table
under that parent row add up to (an order's payments, summing to its items' price plus freight;
an invoice's instalments, to its lines' quantity times unit price).

The parent row holds no total, so `split_sums` has nothing to scale to, and the model writes each
table's numbers in bins, blind to the other table's sum: 0 of 748 generated Olist-like orders had
payments adding up to their items' price plus freight, every one in the data. The fit keeps, per
pair of tables nested under one parent and per non-negative number `of` of the second, the first
sum of one number of the first table's rows, of two added, or of two multiplied (`terms`, each a
product of columns), which `of`'s sum equals under each parent row holding rows of both, to `of`'s
decimals, in at least `MIN_SHARE` of at least `MIN_ROWS` such parent rows, the sums varying.
Generation scales the rows of `of` under each parent row holding rows of both to the other
table's sum, with `split_units` (whole units of the last decimal, each keeping its share); a
parent row with no rows in the other table (an order unavailable, paid but with no items), or
whose rows there hold none of the terms' numbers (scaled to 0 before), keeps its values. Of two tables each summing to the other, the later one is scaled. Columns another
rule sets, scales or reads in an order are not scaled; nor are the other table's columns that a
rule sets after these sums (a total, a running sum, a balance) read. Not fitted under DP.
"""

from __future__ import annotations

import logging
from itertools import combinations

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import decimals_of
from relsynth.synth.tabular.rules.numbers import as_float_series
from relsynth.synth.tabular.rules.split_sums import split_units
from relsynth.synth.tabular.rules.totals import sum_over

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # the two sums are equal under this share of the parent rows holding rows of both
MIN_ROWS = 20  # parent rows holding rows of both tables the share is read from, at least


def find_sibling_sums(
    pre, data: RelationalData, taken: set[tuple[str, str]], settled_later: set[tuple[str, str]]
) -> list[dict]:
    """[{"table", "fk", "of", "rows", "rows_fk", "terms", "decimals", "least"}]: under each parent
    row holding rows of both, `table`'s values of `of` (nested by `fk`) sum to the sum over the
    sibling table `rows` (nested by `rows_fk`) of `terms` added, each the product of its columns.
    `taken`: (table, column) another rule sets, scales or reads, never scaled here; `settled_later`:
    those set after these sums (totals, running sums, balances), never read as terms."""
    out: list[dict] = []
    sums: dict[tuple, np.ndarray] = {}  # (table, term) -> its sums per parent key: read once for every `of`
    for parent in data.schema.synth_tables:
        children = data.schema.children(parent)
        for table in reversed(children):  # the later table is scaled where each sums to the other
            edge = data.schema.parent(table)
            for of in [c for c in pre.generated_numbers(table) if (table, c) not in taken]:
                if _is_term(out, table, of):
                    continue
                found = _first_sibling_sum(pre, data, parent, table, edge.fk, of, children, out, settled_later, sums)
                if found is not None:
                    log.info("%s.%s sums to its %s rows' %s under each %s row: kept so", table, of, found["rows"],
                             " + ".join(" * ".join(t) for t in found["terms"]), parent)  # fmt: skip
                    out.append(found)
    return out


def _is_term(rules: list[dict], table: str, column: str) -> bool:
    """Whether a rule found already reads `table.column` as a term (scaled, it would move that sum)."""
    return any(r["rows"] == table and any(column in t for t in r["terms"]) for r in rules)


def _first_sibling_sum(
    pre,
    data: RelationalData,
    parent: str,
    table: str,
    fk: str,
    of: str,
    children: list[str],
    rules: list[dict],
    settled_later: set[tuple[str, str]],
    sums: dict[tuple, np.ndarray],
) -> dict | None:
    """The rule scaling `table.of` to the first sibling table's sum of terms that it equals (see
    `find_sibling_sums`), else None. A sibling whose column a rule found already scales is no term.
    `sums`: each table's sums of a term per parent key, by (table, term), filled as they are read
    (a column's, once for every sum of two it is in, and for every `of`)."""
    keys = data[parent][data.schema.tables[parent].primary_key]
    x = as_float_series(data[table][of])
    if x.isna().all() or (x < 0).any():
        return None  # a signed part is no share of a sum
    held_of = _held(data[table], fk, of, keys)
    sums_of = _term_sums(sums, data, table, (of,), keys)
    decimals = decimals_of(x.dropna().to_numpy())
    for sibling in [c for c in children if c != table]:
        scaled = {r["of"] for r in rules if r["table"] == sibling}
        columns = [c for c in pre.generated_numbers(sibling) if (sibling, c) not in settled_later and c not in scaled]
        held = held_of & _term_sums(sums, data, sibling, (), keys).astype(bool)
        if held.sum() < MIN_ROWS:
            continue
        for terms in _candidate_terms(columns):
            whole = sum(_term_sums(sums, data, sibling, t, keys) for t in terms)
            if _equal_sums(sums_of[held], whole[held], decimals):
                least = float(x.min())
                return {"table": table, "fk": fk, "of": of, "rows": sibling} | {
                    "rows_fk": data.schema.parent(sibling).fk,
                    "terms": [list(t) for t in terms],
                    "decimals": decimals,
                    "least": least,
                }
    return None


def _term_sums(sums: dict[tuple, np.ndarray], data: RelationalData, table: str, term: tuple, keys) -> np.ndarray:
    """Per parent key (`keys`), the sum over `table`'s rows under it of the product of the columns of
    `term` (the empty product: its rows' count), read from `sums` or read once into it."""
    if (table, term) not in sums:
        sums[table, term] = sum_over(data[table], data.schema.parent(table).fk, list(term), keys)
    return sums[table, term]


def _held(rows: pd.DataFrame, fk: str, of: str, keys: pd.Series) -> np.ndarray:
    """Per parent key, whether a row under it holds a value of `of`."""
    counts = rows[of].notna().groupby(rows[fk].to_numpy()).sum()
    return counts.reindex(pd.Index(keys), fill_value=0).to_numpy() > 0


def _candidate_terms(columns: list[str]) -> list[tuple[tuple[str, ...], ...]]:
    """The sums tried, simplest first: one column, two added, two multiplied."""
    single = [((c,),) for c in columns]
    added = [((a,), (b,)) for a, b in combinations(columns, 2)]
    multiplied = [((a, b),) for a, b in combinations(columns, 2)]
    return single + added + multiplied


def _equal_sums(sums: np.ndarray, whole: np.ndarray, decimals: int) -> bool:
    """Whether `sums` equal `whole` to `decimals` in `MIN_SHARE` of the rows, the sums varying
    (equal constants, two columns of zeros, say nothing) and none negative."""
    if np.unique(np.round(whole, decimals)).size < 2 or (whole < 0).any():
        return False
    equal = np.isclose(sums, whole, rtol=1e-6, atol=0.5 * 10.0**-decimals + 1e-9)
    return bool(equal.mean() >= MIN_SHARE)


def apply_sibling_sums(rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Scale (in place) each rule's values under every parent row whose rows of the sibling table hold
    a term's number to sum to that table's sum of terms there (rows holding none: nothing to sum to)."""
    for rule in rules:
        rows, sibling = tables.get(rule["table"]), tables.get(rule["rows"])
        if rows is None or sibling is None or not len(rows) or rule["of"] not in rows:
            continue
        parents = pd.Series(sibling[rule["rows_fk"]][_holding_terms(sibling, rule["terms"])].dropna().unique())
        whole = sum(sum_over(sibling, rule["rows_fk"], t, parents) for t in rule["terms"])
        by_parent = pd.Series(np.round(whole, int(rule["decimals"])), index=parents.to_numpy())
        total = rows[rule["fk"]].map(by_parent).to_numpy(dtype=float)
        x = as_float_series(rows[rule["of"]]).to_numpy()
        held = ~np.isnan(total) & ~np.isnan(x)
        groups = rows[rule["fk"]].to_numpy()[held]
        scaled = split_units(np.maximum(x[held], 0.0), total[held], groups, int(rule["decimals"]), rule["least"])
        column = rows[rule["of"]].astype(float)
        column.iloc[np.flatnonzero(held)] = scaled
        rows[rule["of"]] = column


def _holding_terms(rows: pd.DataFrame, terms: list[list[str]]) -> np.ndarray:
    """Per row, whether it holds every column of one of `terms` (a product it adds to the sum): an
    order's items all missing their price and freight sum to nothing, not to 0."""
    held = np.zeros(len(rows), dtype=bool)
    for term in (t for t in terms if all(c in rows for c in t)):
        held |= np.logical_and.reduce([rows[c].notna().to_numpy() for c in term])
    return held

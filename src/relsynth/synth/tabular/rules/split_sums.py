"""Split sums: a number of a row that the rows under it split among them wherever it has any (a
claim's approved amount, paid in one to three payments; an approved claim not yet paid has none),
or the rows referencing it from another table (an order line's quantity, shipped by shipment lines
nested under their shipments).

Such a number is no total (`_totals`): rows holding it without any row under them keep their own
value, so it equals its rows' sum in too few rows to be set from them, and it is often bounded by
its row (approved at most claimed), which setting it from its rows would break. The model writes
the rows' values in bins after it, so their sums never meet it: 20 % of generated paid claims had
payments adding up to their approved amount, 100 % in the data. The fit keeps, per number of a
table and child table, each non-negative child number whose sum under each row equals the row's
number (an entry's debits, and its credits: with the first alone, the balance closed after moved
the debits off 50 of 150 entries' amounts), to its decimals, in at least `MIN_SHARE` of at least
`MIN_ROWS` rows holding both, some with two rows or more. Generation scales the rows' values to their parent's number, in
whole units of its last decimal (the largest remainders take the units the rounding left), so
each keeps its share and none passes the parent's number. Where the sums are never more than the
number but some less (a claim APPROVED and paid in part so far), the labels of a categorical of the
parent row under which they are equal (PAID) name the rows scaled so; the others' values are cut
only where their sum reaches it, to the median share of it the data's such rows sum to (`short`:
24.5 % of a small model's approved claims were paid in full, none in the data). Where a number
split among its rows is itself a part its row's parent splits (a country's population, of its
region's), the parent's rule comes first (`split_before_splitting`), so the rows split it as
scaled; so do the sums to a fixed whole, under a cap or a bound, decoded before the splits (a
country's share of its region, rescaled to 100 % after its cities split it, left 164 of 164
countries' cities adding up to another). Child columns another rule sets (a flagged copy, set before in decoding, and the number
it copies: scaled, 103 of 110 copies left their claim's fee) or an order within rows reads are
left out, as are context columns. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import decimals_of
from relsynth.synth.tabular.rules.columns import categoricals
from relsynth.synth.tabular.rules.formulas import find_formulas
from relsynth.synth.tabular.rules.numbers import as_float_series
from relsynth.synth.tabular.rules.totals import sum_over

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # the number equals its rows' sum in this share of the rows holding both
MIN_ROWS = 20  # rows with a number and rows under them the share is read from, at least


def find_split_sums(pre, data: RelationalData, summed: set[tuple[str, str]], read: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "child", "fk", "of", "decimals", "by", "full"}]: the `child` rows under
    or referencing each row of `table` (by `fk`, `rows_naming`) that has any hold values of `of`
    summing to its `column`, to `decimals`; or, where `full` is a list, those under a row whose label `by` is in `full` do, and
    the others' sum to at most it (a claim PAID in full, one APPROVED partly paid so far).
    `summed`: (table, column) another rule sets; `read`: those an order within rows reads, which
    a part scaled would break (a part may read its parent's number: at most it, scaled or not)."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        pk = schema.tables[table].primary_key
        if pk is None or not rows_naming(schema, table):
            continue
        given = pre.given_columns(table)
        numbers = [c for c in pre.float_numbers(table, pre.modelled_columns(table)) if (table, c) not in summed]
        labels = [(c, data[table][c]) for c, _ in categoricals(pre, data, table)]
        for col in [c for c in numbers if c not in given]:
            for child, fk in rows_naming(schema, table):
                parts = [
                    c for c in pre.float_numbers(child, pre.modelled_columns(child)) if (child, c) not in summed | read
                ]
                found = [
                    (c, rule)
                    for c in parts
                    if (rule := _splits(data[table][col], data[table][pk], data[child], fk, c, labels)) is not None
                ]
                for of, rule in found:  # each part that splits it (an entry's debits, and its credits)
                    log.info("%s.%s is split among its %s rows' %s: kept so", table, col, child, of)
                    values = as_float_series(data[child][of]).dropna().to_numpy()
                    out.append(
                        {"table": table, "column": col, "child": child, "fk": fk, "of": of}
                        | {"decimals": decimals_of(values), "least": float(values.min())}
                    )
                    out[-1].update(rule)
                if found:
                    break
    return split_before_splitting(out)


def split_before_splitting(rules: list[dict]) -> list[dict]:
    """`rules` in the order decoding applies them: a rule scaling a number (its rows' `of`) before any
    rule splitting that number among its own rows, else in the order found. A country's population
    scaled to its region's after its cities were scaled to it left them adding up to something else."""
    left, ordered = list(rules), []
    while left:
        scaled = {(r["child"], r["of"]) for r in left}
        ready = next((r for r in left if (r["table"], r["column"]) not in scaled), left[0])  # a cycle: as found
        ordered.append(ready)
        left.remove(ready)
    return ordered


def formula_totals(pre, data: RelationalData, totals: list[dict]) -> list[dict]:
    """The `totals` that a formula of earlier numbers of their own row gives too (a precinct's valid
    ballots: the sum of its parties' votes, and its ballots cast less the invalid ones): plain sums
    of one number of the rows under or naming the row by its key, which those rows may split
    instead. Set from the rows, such a total broke its row's formula (0 of 500 generated precincts
    kept valid = cast - invalid: the votes the model wrote summed to 0.2 to 4 times it); as the
    formula, with the rows scaled to it (`find_split_sums`), both hold."""
    plain = [
        t
        for t in totals
        if t.get("how", "sum") == "sum"
        and len(t["of"]) == 1
        and not t.get("via")
        and t["by"] == data.schema.tables[t["table"]].primary_key
    ]
    if not plain:
        return []
    others = {(t["table"], t["column"]) for t in totals}
    targets = {(t["table"], t["column"]) for t in plain}
    given = {(f["table"], f["column"]) for f in find_formulas(pre, data, others - targets, targets)}
    return [t for t in plain if (t["table"], t["column"]) in given]


def rows_naming(schema, table: str) -> list[tuple[str, str]]:
    """(table, its key naming a row of `table`) of the rows that may split a number of `table`: those
    nested under it, then those referencing it from another table (a shipment's lines, nested under
    the shipment, each naming the order line whose quantity they ship), not its own rows (a row
    referencing another of its table: a part scaled there would be a number split again)."""
    return [(e.child, e.fk) for e in schema.edges_into(table) if e.child != table]


def _splits(
    total: pd.Series, keys: pd.Series, rows: pd.DataFrame, fk: str, of: str, labels: list[tuple[str, pd.Series]]
) -> dict | None:
    """{"by", "full"} where `rows`' non-negative `of` sum, under each row with some, to that row's
    `total` (`full` None), or to at most it, and to it under the rows of some labels of a column of
    `labels` (see `find_split_sums`); else None."""
    x, parts = as_float_series(total).to_numpy(), as_float_series(rows[of])
    if (parts < 0).any() or (x < 0).any():
        return None  # a signed part: no share of a whole
    counts = parts.notna().groupby(rows[fk].to_numpy()).sum().reindex(pd.Index(keys), fill_value=0).to_numpy()
    held = ~np.isnan(x) & (counts > 0)
    if held.sum() < MIN_ROWS or not (counts[held] > 1).any():
        return None  # too few to read, or one row each: a copy, not a split
    sums = sum_over(rows, fk, [of], keys)
    tolerance = 0.5 * 10.0 ** -decimals_of(x[held])
    equal = np.isclose(x, sums, rtol=1e-6, atol=tolerance) & held
    split = held & (counts > 1)  # a number on one row is as much a copy as a share: read those of two or more
    if equal[held].mean() >= MIN_SHARE and equal[split].mean() >= MIN_SHARE:
        return {"by": None, "full": None}
    if any((sums[h] > x[h] + tolerance).mean() > 1 - MIN_SHARE for h in (held, split)):
        return None  # sums past the number (two rows each copying it): no share of it
    return _full_labels(equal, held, labels, sums / np.where(x > 0, x, np.nan))


def _full_labels(
    equal: np.ndarray, held: np.ndarray, labels: list[tuple[str, pd.Series]], ratio: np.ndarray
) -> dict | None:
    """{"by", "full", "short"}: of the label columns whose labels under which the sums equal the
    number in `MIN_SHARE` of the rows cover `MIN_ROWS` rows at least (a claim's status PAID), the
    one whose labels tell best which rows are equal, and the median share of the number the other
    labels' rows sum to (`ratio`: sum / number), else None. Not the first such column: a rare claim
    type whose few claims happen all to be paid in full would leave paid claims of the other types
    cut short."""
    best, best_told = None, -1.0
    for by, values in labels:
        v = values.astype(object).where(values.notna(), None).to_numpy()[held]
        frame = pd.DataFrame({"label": v, "equal": equal[held], "ratio": ratio[held]}).dropna(subset=["label"])
        share = frame.groupby("label")["equal"].agg(["mean", "size"])
        full = share[share["mean"] >= MIN_SHARE]
        if full["size"].sum() < MIN_ROWS or len(full) == len(share):
            continue
        in_full = frame["label"].isin(full.index)
        told = float((in_full == frame["equal"]).mean())  # rows whose label says whether they are equal
        if told > best_told:
            partial = frame.loc[~in_full, "ratio"].dropna()
            short = round(float(partial.median()), 3) if len(partial) else 1.0
            best = {"by": by, "full": sorted(str(k) for k in full.index), "short": min(short, 1.0)}
            best_told = told
    return best


def apply_split_sums(rules: list[dict], tables: dict[str, pd.DataFrame], pks: dict[str, str]) -> None:
    """Scale (in place) each rule's child values under every row holding the number to sum to it,
    or, under a row whose label is not one paid in `full` and whose sum reaches it, to the share
    `short` of it the data's such rows sum to (`pks`: each table's primary key)."""
    for rule in rules:
        parent, rows = tables[rule["table"]], tables[rule["child"]]
        if not len(rows) or rule["of"] not in rows or rule["column"] not in parent:
            continue
        by_key = parent.set_index(pks[rule["table"]])
        total = as_float_series(rows[rule["fk"]].map(by_key[rule["column"]])).to_numpy()
        x = as_float_series(rows[rule["of"]]).to_numpy()
        held = ~np.isnan(total) & ~np.isnan(x)
        groups = rows[rule["fk"]].to_numpy()
        if rule.get("full") is not None:  # none in older models
            label = rows[rule["fk"]].map(by_key[rule["by"]].astype(object)).astype(str).to_numpy()
            sums = pd.Series(np.where(held, x, 0.0)).groupby(groups).transform("sum").to_numpy()
            full = np.isin(label, rule["full"])
            unit = 0.5 * 10.0 ** -int(rule["decimals"])
            held &= full | (sums > total - unit)  # a partial sum reaching the number: cut to a part of it
            total = np.where(full, total, total * rule.get("short", 1.0))
        least = float(rule.get("least", 0.0))  # none in older models
        scaled = split_units(np.maximum(x[held], 0.0), total[held], groups[held], int(rule["decimals"]), least)
        column = rows[rule["of"]].astype(float)
        column.iloc[np.flatnonzero(held)] = scaled
        rows[rule["of"]] = column


def split_units(x: np.ndarray, total: np.ndarray, groups: np.ndarray, decimals: int, least: float = 0.0) -> np.ndarray:
    """`x` scaled within each group to sum to its `total` (the same on each of its rows), in whole
    units of `decimals`: each row `least` (the data's least part) where the total holds that many,
    then its share of the rest's units rounded down, the largest remainders one more."""
    if not len(x):
        return x
    unit = 10.0**-decimals
    frame = pd.DataFrame({"g": groups, "x": x})
    sums = frame.groupby("g")["x"].transform("sum").to_numpy()
    sizes = frame.groupby("g")["x"].transform("size").to_numpy()
    share = np.where(sums > 0, x / np.where(sums > 0, sums, 1.0), 1.0 / sizes)  # nothing written: equal parts
    whole = np.round(total / unit)
    base = np.round(max(least, 0.0) / unit)
    base = np.where(whole >= sizes * base, base, 0.0)  # a part the data never has (0 shipped) where avoidable
    units = (whole - sizes * base) * share
    floor = np.floor(units + 1e-9)
    left = np.round(whole - sizes * base - pd.Series(floor).groupby(groups).transform("sum").to_numpy())
    rank = pd.Series(floor - units).groupby(groups).rank(method="first").to_numpy()  # largest remainder first
    return np.round((base + floor + (rank <= left)) * unit, decimals)

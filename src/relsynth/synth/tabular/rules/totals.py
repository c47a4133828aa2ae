"""Totals: a number of a row that is the sum, over the rows under it or referencing it (or under
its parent row, in another table), of one of their numbers or of the product of two (an
invoice's total is the sum of its lines' unit price times quantity; a payment's amount, the sum
of its order's items), or its mean, least or greatest (a listing's average rating, the mean of its
reviews' ratings rounded to one decimal; an auction's winning bid, its greatest bid).

The model writes each value in bins, and the rows a total sums are written after it (children)
or dealt to it afterwards (references), so a generated total never matches its rows. The fit
keeps, per number of a table, the first such sum it equals in at least `MIN_SHARE` of at least
`MIN_ROWS` rows (a sum first, then a mean, least or greatest of one number); generation sets it
to that aggregate over the generated rows, rounded to the column's decimals, and a mean, least or
greatest of no rows to null, as the data holds none. A number may count the rows referencing its
row (a product's review count): no count token of its own keeps it, as `_count_sums` keeps a
child count, so 4 of 39 generated products had their reviews' number. A lookup's number read
through the rows' keys may be summed (a student's credits, its enrolled courses'), and a number
may be its latest row's (a customer's last order amount: `last`, by a date of the rows, where
rows of 20 parents at least differ, so that neither a mean nor a greatest tells it). Totals are found before the orders within rows (`orderings`), which then leave
them out (a total is set after generation: no offset may start from it, nor be it); context
columns, given at generation, are never totals.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import datetimes
from relsynth.synth.tabular._references.ratios import fixed_ratios
from relsynth.synth.tabular.encoders import decimals_of

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # a column is a total when it equals the sum in this share of its rows
MIN_ROWS = 20  # rows with a value the share is read from, at least
_NUMBERS = (Column.NUMERIC, Column.INTEGER)
# after the sum, what else a number may aggregate of one number of its rows (pandas' names)
AGGREGATES = ("mean", "min", "max")
_DATES = (Column.DATE, Column.DATETIME)


def find_totals(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "rows", "fk", "by", "of", "how"}]: `table.column` is the sum of the product
    of the columns `of` (one or two), or the `how` (`AGGREGATES`) of the one column, over the rows of
    `rows` whose key `fk` is the row's column `by` (its primary key: rows under it or referencing it;
    its parent key: rows under its parent)."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        for col in pre.generated_numbers(table):
            found = next(
                (
                    t
                    for rows, fk, by in summed_rows(schema, table)
                    if (
                        t := _match(
                            data,
                            table,
                            col,
                            rows,
                            fk,
                            by,
                            set(pre.float_numbers(rows, pre.modelled_columns(rows))),
                            pre,
                        )
                    )
                ),
                None,
            )
            if found is not None:
                how = found.get("how", "sum")
                log.info(
                    "%s.%s is the %s of %s over %s: kept so", table, col, how, " x ".join(found["of"]), found["rows"]
                )
                out.append(found)
    return out


def summed_rows(schema, table: str) -> list[tuple[str, str, str]]:
    """(table, its key, `table`'s column that key names) of the rows a total of `table` may sum:
    its children and the rows referencing it (by its primary key), its parent's other children (by
    its parent key)."""
    pk, nest = schema.tables[table].primary_key, schema.parent(table)
    out = [(e.child, e.fk, pk) for e in schema.edges_into(table)] if pk else []
    if nest is not None:
        out += [(c, schema.parent(c).fk, nest.fk) for c in schema.children(nest.parent) if c != table]
    return out


def date_candidates(pre, table: str) -> list[str]:
    """`table`'s modelled dates and times that may tell its latest row: not context columns."""
    given, kinds = pre.given_columns(table), pre.schema.tables[table].columns
    return [c for c in pre.modelled_columns(table) if kinds[c].kind in _DATES and c not in given]


def instants(values: pd.Series) -> pd.Series:
    """`values` as naive datetime64[ns] (UTC where they carry a zone), NaT where none."""
    x = datetimes(pd.Series(values).reset_index(drop=True), errors="coerce")
    if getattr(x.dt, "tz", None) is not None:
        x = x.dt.tz_convert("UTC").dt.tz_localize(None)
    return x.astype("datetime64[ns]")


def _match(
    data: RelationalData, table: str, col: str, rows: str, fk: str, by: str, modelled: set[str], pre
) -> dict | None:
    """The first sum over `rows` (of one number, then of a product of two of its `modelled` columns:
    another is not generated, or copied from elsewhere) that `table.col` equals, else the first
    mean, least or greatest of one number (`AGGREGATES`), else one number of the row with the latest
    of a date of `rows` (`last`)."""
    schema = data.schema
    x = to_numbers(data[table][col]).astype(float).to_numpy()
    present = ~np.isnan(x)
    if present.sum() < MIN_ROWS or np.nanstd(x) == 0:
        return None
    numbers = [c for c, k in schema.tables[rows].columns.items() if k.kind in _NUMBERS and c in modelled]
    candidates = [(of, "sum") for of in [[c] for c in numbers] + [list(p) for p in itertools.combinations(numbers, 2)]]
    via = looked_up(schema, rows)  # a course's credits, read through an enrollment's course: after the rows' own
    frame = with_looked_up(data, rows, via)
    candidates += [([v], "sum") for v in via] + [([c, v], "sum") for c in numbers for v in via]
    if _referencing(schema, rows, fk):  # a product's review count: no count token keeps it (`_count_sums`)
        candidates.append(([], "count"))
    tried = [(of, how, None) for of, how in candidates + [([c], how) for how in AGGREGATES for c in numbers]]
    # then its latest row's number (a customer's last order amount), by one of the rows' dates
    tried += [([c], "last", d) for d in date_candidates(pre, rows) for c in numbers]
    for of, how, latest in tried:
        values = aggregate_over(frame, fk, of, data[table][by], how, latest)
        equal = np.isclose(x[present], values[present], rtol=1e-6, atol=_tolerance(x[present]))
        if equal.mean() < MIN_SHARE or (how == "count" and not _counted_apart(equal, values[present])):
            continue
        if how in ("min", "max") and _referencing(schema, rows, fk) and _scaled(frame, fk, of[0], data[table], by, x):
            continue  # the rows are fixed ratios of this number (`_references.ratios`), its greatest one of them
        if how == "last" and not _last_apart(equal, frame, fk, of[0], data[table][by][present]):
            continue
        found = {"table": table, "column": col, "rows": rows, "fk": fk, "by": by, "of": of}
        found["decimals"] = decimals_of(x[present])
        if read := {c: via[c] for c in of if c in via}:
            found["via"] = read
        if how == "count":
            found["how"] = how
        elif how == "last":
            found |= {"how": how, "latest": latest, "held": bool(present[~np.isnan(values)].all())}
        elif how != "sum":  # held in every row that has rows: generated so too, where the model left it missing
            found |= {"how": how, "held": bool(present[~np.isnan(values)].all())}
        return found
    return None


def _last_apart(equal: np.ndarray, rows: pd.DataFrame, fk: str, of: str, keys: pd.Series) -> bool:
    """Whether a number equals its latest row's value in `MIN_SHARE` of the `MIN_ROWS` rows at least
    whose rows' values differ (one row, or rows alike, tell no latest from a mean or greatest)."""
    values = to_numbers(rows[of]).astype(float)
    spread = values.groupby(rows[fk].to_numpy(), dropna=True).nunique().reindex(pd.Index(keys), fill_value=0)
    apart = spread.to_numpy() > 1
    return bool(apart.sum() >= MIN_ROWS and equal[apart].mean() >= MIN_SHARE)


def last_over(rows: pd.DataFrame, fk: str, of: str, by: str, keys: pd.Series) -> np.ndarray:
    """Per value of `keys`, the number `of` of its row of `rows` with the latest date `by` (the last
    written among ties), NaN where none."""
    when = instants(rows[by]).to_numpy()
    order = np.lexsort((np.arange(len(rows)), when))  # NaT sorts first: a dated row is the latest
    values = to_numbers(rows[of]).astype(float).to_numpy()[order]
    found = pd.Series(values).groupby(rows[fk].to_numpy()[order], dropna=True).last()
    return found.reindex(pd.Index(keys)).to_numpy(dtype=float)


def looked_up(schema, rows: str) -> dict[str, list[str]]:
    """ "fk.column" -> [fk, lookup, its key, column] for the numbers of the lookup rows that `rows`'
    keys name (copied as they are, so a generated row reads the same value), none named as a column
    of `rows` is."""
    out, own = {}, schema.tables[rows].columns
    for fk, ref in schema.tables[rows].foreign_keys.items():
        key = schema.tables[ref].primary_key if ref in schema.lookups else None
        if key is not None:
            kinds = schema.tables[ref].columns.items()
            out |= {f"{fk}.{c}": [fk, ref, key, c] for c, k in kinds if k.kind in _NUMBERS and f"{fk}.{c}" not in own}
    return out


def with_looked_up(tables, rows: str, via: dict[str, list[str]]) -> pd.DataFrame:
    """`tables[rows]` with a column per entry of `via` (`looked_up`): the value of the lookup row each row names."""
    frame = tables[rows]
    read = {n: tables[ref].set_index(key)[c].reindex(frame[fk].to_numpy()).to_numpy() for n, (fk, ref, key, c) in via.items()}  # fmt: skip
    return frame.assign(**read) if read else frame


def _counted_apart(equal: np.ndarray, counts: np.ndarray) -> bool:
    """Whether a number equals the rows' counts in `MIN_SHARE` of the rows whose count is not the
    commonest too, `MIN_ROWS` of them at least: a column of zeros beside rows mostly unreferenced
    counts nothing."""
    values, n = np.unique(counts, return_counts=True)
    apart = counts != values[np.argmax(n)]
    return bool(apart.sum() >= MIN_ROWS and equal[apart].mean() >= MIN_SHARE)


def _scaled(rows: pd.DataFrame, fk: str, of: str, table: pd.DataFrame, by: str, x: np.ndarray) -> bool:
    """Whether `rows.of` is a few exact ratios of the number `x` of the row each names (`fixed_ratios`)."""
    theirs = pd.Series(x, index=pd.Index(table[by])).reindex(pd.Index(rows[fk])).to_numpy(dtype=float)
    return fixed_ratios(to_numbers(rows[of]).to_numpy(dtype=float), theirs)


def _referencing(schema, rows: str, fk: str) -> bool:
    """Whether `rows` name the row through `fk` as a reference, not the key nesting them."""
    nest = schema.parent(rows)
    return nest is None or nest.fk != fk


def aggregate_over(
    rows: pd.DataFrame, fk: str, of: list[str], keys: pd.Series, how: str = "sum", latest: str | None = None
) -> np.ndarray:
    """Per value of `keys`, over `rows` naming it through `fk`, the sum of the product of columns `of`,
    their number (`count`, `of` empty), or the `how` (`AGGREGATES`) of its one column; a sum or count
    of no rows is 0, any other aggregate NaN."""
    if how == "sum":
        return sum_over(rows, fk, of, keys)
    if how == "last":  # the value of the row with the latest date `latest`
        return last_over(rows, fk, of[0], latest, keys)
    if how == "count":
        counts = rows[fk].value_counts(dropna=True)
        return counts.reindex(pd.Index(keys), fill_value=0).to_numpy(dtype=float)
    values = to_numbers(rows[of[0]]).astype(float).to_numpy()
    found = pd.Series(values).groupby(rows[fk].to_numpy(), dropna=True).agg(how)
    return found.reindex(pd.Index(keys)).to_numpy(dtype=float)


def sum_over(rows: pd.DataFrame, fk: str, of: list[str], keys: pd.Series) -> np.ndarray:
    """Per value of `keys`, the sum over `rows` naming it through `fk` of the product of columns `of`."""
    product = np.ones(len(rows))
    for c in of:
        product = product * to_numbers(rows[c]).astype(float).fillna(0.0).to_numpy()
    sums = pd.Series(product).groupby(rows[fk].to_numpy(), dropna=True).sum()
    return sums.reindex(pd.Index(keys), fill_value=0.0).to_numpy(dtype=float)


def _tolerance(x: np.ndarray) -> float:
    """Half a unit of the values' last decimal: sums of rounded parts differ by rounding only."""
    return 0.5 * 10.0 ** -decimals_of(x)


def apply_totals(totals: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Set (in place) every fitted total of the generated `tables` to its sum (or mean, least or
    greatest) over their rows."""
    for t in totals:
        frame, how = tables[t["table"]], t.get("how", "sum")
        rows = with_looked_up(tables, t["rows"], t.get("via") or {})
        values = aggregate_over(rows, t["fk"], t["of"], frame[t["by"]], how, t.get("latest"))
        values = np.round(values, int(t["decimals"]))
        column = frame[t["column"]].copy()
        written = column.notna().to_numpy()  # a total the model left missing stays missing
        if how not in ("sum", "count"):  # a mean of no rows is none, whatever the model wrote
            column.iloc[np.flatnonzero(np.isnan(values))] = np.nan
            written = ~np.isnan(values) & (written | bool(t.get("held")))
        column.iloc[np.flatnonzero(written)] = values[written]
        frame[t["column"]] = column

"""Whole years between two dates: a visit's `age_at_visit` is the patient's age on the visit's
date, the full calendar years from the patient's birth date (a date of the parent row) to it.

The model writes such a number in bins of its own, beside the two dates, so a generated row
almost never keeps it: 7 of 930 generated visits of a clinical database had their patient's age
(39 within a year), and no difference of two dates in days or seconds (`_formulas`) gives a
calendar age. The fit keeps, per number of a table, the first pair of dates, of its row or of its
parent row, whose whole years it equals in `MIN_SHARE` of `MIN_ROWS` rows at least holding all
three (and of the rows where it is not its most common value: a column of zeros beside dates
within a year is no age); generation sets it, once every date is final, from the generated
dates. Not fitted under DP.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import DATED, datetimes
from relsynth.synth.tabular.rules.formulas import formula_holds

log = logging.getLogger(__name__)
Operand = tuple[str | None, str]  # (None, column): of the row; (fk, column): of the parent row its key names


def find_whole_years(pre, data: RelationalData, taken: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "later", "earlier"}]: `table.column` is the whole years from the date
    `earlier` to the date `later`, each [fk, column] (fk None: the row's own). Not context columns
    (given at generation) nor `taken` ((table, column) another rule sets)."""
    out = []
    for table in data.schema.synth_tables:
        kinds, modelled = data.schema.tables[table].columns, set(pre.modelled_columns(table))
        given = pre.given_columns(table)
        numbers = [c for c in pre.float_numbers(table, kinds) if c in modelled - given and (table, c) not in taken]
        dates = _dates(pre, data, table)
        if not numbers or len(dates) < 2:
            continue
        frame, parents = data[table], _parent_frames(data, table)
        parts = {d: _parts(_values(frame, parents, d)) for d in dates}
        years = {(a, b): _years(parts[a], parts[b]) for a, b in itertools.permutations(dates, 2)}
        for col in numbers:
            y = to_numbers(frame[col]).astype(float).to_numpy()
            # exactly (None): a rate within half a year of 0 (a discount of 0.05 to 0.2) is no age
            found = next(((a, b) for (a, b), v in years.items() if formula_holds(y, v, None)), None)
            if found is not None:
                later, earlier = found
                out.append({"table": table, "column": col, "later": list(later), "earlier": list(earlier)})
                log.info("%s.%s is the whole years from %s to %s: kept so", table, col, earlier[1], later[1])
    return out


def _dates(pre, data: RelationalData, table: str) -> list[Operand]:
    """The dates of the row, then of its parent row, a rule may read."""
    kinds = data.schema.tables[table].columns
    own = set(pre.modelled_columns(table))
    out: list[Operand] = [(None, c) for c, k in kinds.items() if c in own and k.kind in DATED]
    if (nest := data.schema.parent(table)) is not None and nest.parent in data.data:
        up = data.schema.tables[nest.parent].columns
        out += [(nest.fk, c) for c, k in up.items() if k.kind in DATED and c in data[nest.parent].columns]
    return out


def _parent_frames(data_or_tables, table: str, schema=None) -> dict[str, tuple[pd.DataFrame, str]]:
    """fk -> (the parent table's rows, its primary key), for the row's nesting key."""
    schema = schema or data_or_tables.schema
    nest = schema.parent(table)
    if nest is None:
        return {}
    tables = data_or_tables.data if hasattr(data_or_tables, "data") else data_or_tables
    if nest.parent not in tables or (pk := schema.tables[nest.parent].primary_key) is None:
        return {}
    return {nest.fk: (tables[nest.parent], pk)}


def _values(frame: pd.DataFrame, parents: dict[str, tuple[pd.DataFrame, str]], operand: Operand) -> pd.Series:
    """The operand's dates, one per row of `frame` (NaT: missing, or no parent row)."""
    fk, col = operand
    if fk is None:
        return frame[col].reset_index(drop=True)
    if fk not in parents:
        return pd.Series(pd.NaT, index=range(len(frame)))
    parent, pk = parents[fk]
    by_key = pd.Series(parent[col].to_numpy(), index=parent[pk].to_numpy())
    by_key = by_key[~by_key.index.duplicated()]
    return frame[fk].map(by_key).reset_index(drop=True)


def _parts(dates: pd.Series) -> np.ndarray:
    """(year, month x 100 + day) per row as floats, NaN where missing: 3 x rows."""
    d = datetimes(dates, errors="coerce")
    d = pd.Series(d.dt.tz_localize(None) if getattr(d.dt, "tz", None) is not None else d)
    return np.vstack([d.dt.year.astype(float).to_numpy(), (d.dt.month * 100 + d.dt.day).astype(float).to_numpy()])


def _years(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Full calendar years from `earlier` to `later` (an age on a date), NaN where either is missing."""
    return later[0] - earlier[0] - (later[1] < earlier[1])


def apply_whole_years(rules: list[dict], tables: dict[str, pd.DataFrame], schema) -> None:
    """Set (in place) each fitted column of the generated `tables` to the whole years between its
    generated dates; a value the model left missing, or whose dates are missing, is left as written."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame):
            continue
        parents = _parent_frames(tables, r["table"], schema)
        v = _years(
            _parts(_values(frame, parents, tuple(r["later"]))), _parts(_values(frame, parents, tuple(r["earlier"])))
        )
        column = frame[r["column"]].copy()
        rows = np.flatnonzero(column.notna().to_numpy() & ~np.isnan(v))
        column.iloc[rows] = v[rows].astype(np.int64) if pd.api.types.is_integer_dtype(column.dtype) else v[rows]
        frame[r["column"]] = column

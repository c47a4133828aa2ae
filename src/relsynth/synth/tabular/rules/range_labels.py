"""Labels that say whether a number of their row lies within a range: a lab result's flag is
'abnormal' in every row whose value is below its test's lower reference bound or above its upper
one, and missing in every row within them, the bounds two numbers of the test's lookup row (or of
the result's own row).

The model writes the flag as a token of its own, beside the value's bins, and never sees the
lookup's bounds: a briefly trained model flagged 136 of 2,821 generated lab results of a
hospital database against their value and range (a sodium of 141 'abnormal', one of 160 not).
The fit keeps, per categorical column of a table, the first number of its row and pair of bounds
(numbers of its row, or of a lookup row it names, the first never above the second) whose
outside goes with one label and inside with another (missing counting as one; `MAX_LABELS` labels
at most) in every training row holding the number and both bounds, `MIN_ROWS` on each side at
least; generation sets the label from the generated number and its row's bounds, after the rules that set numbers. Rows
without a number or a bound keep their label as generated, unless every training row without the
number (`MIN_ROWS` at least) holds one label (`absent`): a lab result written '<0.5' or 'ERROR',
no number, is never flagged, yet a trained model of an EHR flagged 27 of 291 such results
'abnormal'. Not fitted under DP.

The outside may hold a label each side (`below`, `above`): a flag 'L' below the range, 'H' above it,
'N' within, each side `MIN_ROWS` rows at least. The bounds were then left to `interval_labels`, whose
cuts per test lie at the least 'H' value seen, not at the test's bound: 1 % of a small model's lab
results of a hospital database were flagged against their value and their row's own range.

Likewise a label that says whether a date of the parent row lies within two dates of the row (an
admission's in-hospital death flag, 1 where the patient's death falls within the stay, 0 elsewhere
and where the patient lives: `absent`), the label also a flag written 0 / 1 (`FLAGS`): the number
is then [fk, date] of the parent row (set by then: `parent_ends` moved it), and 5-8 % of a trained
model's stays had a flag their patient's death contradicts, 19-36 of 400 patients two deaths.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.rules.numbers import as_floats
from relsynth.synth.tabular.rules.sign_labels import DATE_KINDS, LABEL_KINDS

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows inside and rows outside the range, each, at least
MAX_LABELS = 3  # a flag's labels (missing counting as one), at most: a few, not a column of many to try
SCREEN = 200  # rows each pair of bounds is tried on before all rows
FLAGS = {0, 1}  # the values of a whole-number column read as a flag's labels (an in-hospital death)


def find_range_labels(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "number", "low", "high", "outside", "inside"}]: `table.column` is the
    label `outside` (None: missing) where `number` is below `low` or above `high`, `inside` where
    it is within; `below` and `above` in place of `outside` where the two sides hold two labels; `low` and `high` are [fk, column]: a number of the lookup row the key `fk` names,
    or of the row itself where `fk` is None; `number` [fk, date]: a date of the parent row, between
    two dates of the row (`_dated_rules`). Not context columns (given at generation)."""
    out = []
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        modelled = pre.generated_columns(table)
        numbers = pre.float_numbers(table, modelled)
        bounds = _bound_pairs(pre, data, table, numbers)
        if not bounds:
            out += _dated_rules(pre, data, table, set())
            continue
        lows, highs = (np.vstack([b[k][:SCREEN] for b in bounds]) for k in (2, 3))  # a row per pair of bounds
        for col in (c for c in modelled if kinds[c].kind is Column.CATEGORICAL):
            labels = data[table][col]
            if labels.nunique(dropna=False) > MAX_LABELS:
                continue
            text = labels.astype("string").fillna("\x00").to_numpy(dtype=object)  # missing: a label of its own
            codes = pd.factorize(text)[0]
            for number in numbers:
                x = as_floats(data[table][number])
                passed = _sides_apart(x[:SCREEN], lows, highs, codes[:SCREEN])  # most pairs fail on a few rows
                tried = (b for b, ok in zip(bounds, passed, strict=True) if ok)
                found = next((r for low, high, lo, hi in tried if (r := _rule(text, number, low, high, lo, hi, x))), None)  # fmt: skip
                if found is not None:
                    log.info("%s.%s says whether %s is within %s and %s in every row: kept so", table, col, number, found["low"], found["high"])  # fmt: skip
                    out.append({"table": table, "column": col, "number": number, **found})
                    break
        out += _dated_rules(pre, data, table, {r["column"] for r in out if r["table"] == table})
    return out


def _dated_rules(pre, data: RelationalData, table: str, taken: set[str]) -> list[dict]:
    """Rules whose number is a date of the parent row ([fk, date]) and whose bounds are two dates of
    the row, the first never after the second: a stay's death flag. The label a category, boolean,
    or whole-number flag (`FLAGS`)."""
    edge, kinds = data.schema.parent(table), data.schema.tables[table].columns
    if edge is None or edge.fk not in data[table].columns or edge.parent not in data.schema.tables:
        return []
    modelled = pre.generated_columns(table)
    own = [c for c in modelled if kinds[c].kind in DATE_KINDS and c in data[table].columns]
    up = data.schema.tables[edge.parent]
    theirs = [c for c, k in up.columns.items() if k.kind in DATE_KINDS and c in data[edge.parent].columns]
    if len(own) < 2 or not theirs or not isinstance(up.primary_key, str):
        return []
    values = {c: _times(data[table][c]) for c in own}
    pairs = [(a, b) for a in own for b in own if a != b and _ordered(values[a], values[b])]
    rows = data[edge.parent].drop_duplicates(up.primary_key).set_index(up.primary_key)
    out = []
    for col in (c for c in modelled if c not in taken and _flag_like(kinds[c].kind, data[table][c])):
        text = data[table][col].astype("string").fillna("\x00").to_numpy(dtype=object)
        for date in theirs:
            x = _times(rows[date].reindex(data[table][edge.fk].to_numpy()).reset_index(drop=True))
            name = f"{edge.parent}.{date}"  # not a column of the row, which `_rule` refuses as its own bound
            found = next((r for a, b in pairs if (r := _rule(text, name, [None, a], [None, b], values[a], values[b], x))), None)  # fmt: skip
            if found is not None:
                log.info("%s.%s says whether %s.%s is within %s and %s in every row: kept so", table, col, edge.parent, date, found["low"][1], found["high"][1])  # fmt: skip
                out.append({"table": table, "column": col, "number": [edge.fk, date], **found})
                break
    return out


def _flag_like(kind, values: pd.Series) -> bool:
    """A category or boolean of `MAX_LABELS` labels at most, or whole numbers all 0 or 1."""
    if kind in LABEL_KINDS:
        return values.nunique(dropna=False) <= MAX_LABELS
    if kind is not Column.INTEGER:
        return False
    held = to_numbers(values).dropna()
    return len(held) > 0 and set(held.unique().tolist()) <= FLAGS


def _ordered(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether `a` is never after `b` where both are held, and before it somewhere."""
    held = ~np.isnan(a) & ~np.isnan(b)
    return bool(held.any() and (a[held] <= b[held]).all() and (a[held] < b[held]).any())


def _times(values: pd.Series) -> np.ndarray:
    """Dates as float seconds, NaN where missing (to_numbers reads NaT as -2**63)."""
    v = pd.to_datetime(values, errors="coerce")
    if getattr(v.dt, "tz", None) is not None:
        v = v.dt.tz_convert(None)
    return ((v - pd.Timestamp(0)) / pd.Timedelta(seconds=1)).astype(float).to_numpy()


def _bound_pairs(
    pre, data: RelationalData, table: str, numbers: list[str]
) -> list[tuple[list, list, np.ndarray, np.ndarray]]:
    """([fk, low], [fk, high], low's values, high's values per row of `table`): two numbers of the
    row, or of one lookup row it names, the first never above the second where both are held."""
    sources: list[tuple[str | None, list[str], pd.DataFrame]] = [(None, numbers, data[table])]
    for fk, lookup in data.schema.lookup_fks(table).items():
        lk = data.schema.tables[lookup]
        cols = [c for c in pre.float_numbers(lookup, lk.columns) if c != lk.primary_key]
        rows = data[lookup].set_index(lk.primary_key).reindex(data[table][fk].to_numpy())
        sources.append((fk, cols, rows.reset_index(drop=True)))
    out = []
    for fk, cols, frame in sources:
        values = {c: as_floats(frame[c]) for c in cols}
        for low in cols:
            for high in cols:
                a, b = values[low], values[high]
                if low == high or (a[:SCREEN] > b[:SCREEN]).any():  # most pairs are out of order in a few rows
                    continue
                held = ~np.isnan(a) & ~np.isnan(b)
                if held.any() and (a[held] <= b[held]).all() and (a[held] < b[held]).any():
                    out.append(([fk, low], [fk, high], a, b))
    return out


def _sides_apart(x: np.ndarray, lows: np.ndarray, highs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per pair of bounds (a row of `lows` and `highs`), whether the rows given (`x`, label `codes`)
    leave one label below, one above and another inside, as far as they hold any: what `_rule`
    needs of all rows, read for every pair at once (a wide table has thousands of pairs)."""
    held = ~np.isnan(x) & ~np.isnan(lows) & ~np.isnan(highs)
    sides = []
    for rows in (held & (x < lows), held & (x > highs), held & (x >= lows) & (x <= highs)):
        least = np.where(rows, codes, np.iinfo(np.int64).max).min(axis=1)
        most = np.where(rows, codes, -1).max(axis=1)
        sides.append((rows.any(axis=1), least, least == most))
    (lo_any, lo_label, lo_one), (hi_any, hi_label, hi_one), (in_any, in_label, in_one) = sides
    apart = ~(lo_any & in_any & (lo_label == in_label)) & ~(hi_any & in_any & (hi_label == in_label))
    return (lo_one | ~lo_any) & (hi_one | ~hi_any) & (in_one | ~in_any) & apart


def _rule(text: np.ndarray, number: str, low: list, high: list, lo, hi, x: np.ndarray) -> dict | None:
    """{"low", "high", "outside", "inside"} where one label (`text`, missing as "\x00") goes with
    each side of the range in every row holding the number (`x`) and both bounds, or {"low", "high",
    "below", "above", "inside"} where the outside holds one label below and another above; else None."""
    if number in (low[1], high[1]) and low[0] is None:
        return None
    held = ~np.isnan(x) & ~np.isnan(lo) & ~np.isnan(hi)
    below, above = held & (x < lo), held & (x > hi)
    split = {"below": below, "above": above, "inside": held & ~below & ~above}
    if len({label for rows in (below, above) for label in set(text[rows])}) < 2:  # one label outside
        split = {"outside": below | above, "inside": split["inside"]}
    sides = {}
    for side, rows in split.items():
        seen = set(text[rows])
        if rows.sum() < MIN_ROWS or len(seen) != 1:
            return None
        sides[side] = next(iter(seen))
    if len(set(sides.values())) < len(sides):
        return None
    if (gone := np.isnan(x)).sum() >= MIN_ROWS and len(seen := set(text[gone])) == 1:  # '<0.5': never flagged
        sides["absent"] = next(iter(seen))
    return {"low": low, "high": high, **{s: None if v == "\x00" else v for s, v in sides.items()}}


def apply_range_labels(pre, rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Set (in place) each fitted label from its row's number and bounds; a row missing one keeps
    its label as generated, or, missing the number, takes the rule's `absent` label where it has one
    (none in older models). Written as the column's category of the rule's text, in its dtype."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame):
            continue
        if isinstance(r["number"], list):  # a parent row's date, between two dates of the row
            if not all(c in frame for c in (r["number"][0], r["low"][1], r["high"][1])):
                continue
            x = _times(_parent_values(tables, pre.schema, r["table"], frame, r["number"]))
            lo, hi = (_times(frame[r[s][1]].reset_index(drop=True)) for s in ("low", "high"))
        else:
            x = as_floats(frame[r["number"]])
            lo, hi = (_bound(tables, pre.schema, r["table"], frame, r[s]) for s in ("low", "high"))
        held = ~np.isnan(x) & ~np.isnan(lo) & ~np.isnan(hi)
        below, above = held & (x < lo), held & (x > hi)
        as_category = _labels_of(pre, r["table"], r["column"], frame[r["column"]])
        column = frame[r["column"]].astype(object).to_numpy().copy()
        outside = [("below", below), ("above", above)] if "below" in r else [("outside", below | above)]
        sides = outside + [("inside", held & ~below & ~above)] + [("absent", np.isnan(x))] * ("absent" in r)
        for side, rows in sides:
            label = r[side]
            column[rows] = None if label is None else as_category.get(label, label)
        frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)


def _labels_of(pre, table: str, col: str, column: pd.Series) -> dict[str, object]:
    """A label's text -> the value written: the column's category, or a flag's 0 / 1."""
    if pre.schema.tables[table].columns[col].kind is Column.INTEGER:
        return {str(v): v for v in FLAGS}
    return pre.category_texts(table, col)


def _parent_values(tables: dict[str, pd.DataFrame], schema, table: str, frame: pd.DataFrame, where: list) -> pd.Series:
    """The column `where[1]` of the row the key `where[0]` names, per row of `frame`."""
    fk, col = where
    parent = schema.tables[table].columns[fk].parent
    rows = (
        tables[parent].drop_duplicates(schema.tables[parent].primary_key).set_index(schema.tables[parent].primary_key)
    )
    return rows[col].reindex(frame[fk].to_numpy()).reset_index(drop=True)


def _bound(tables: dict[str, pd.DataFrame], schema, table: str, frame: pd.DataFrame, where: list) -> np.ndarray:
    """A bound's values per row of `frame`: its own column, or the column of the lookup row its key names."""
    fk, col = where
    if fk is None:
        return as_floats(frame[col])
    lookup = schema.tables[table].columns[fk].parent
    rows = tables[lookup].set_index(schema.tables[lookup].primary_key)[col]
    return as_floats(rows.reindex(frame[fk].to_numpy()).reset_index(drop=True))

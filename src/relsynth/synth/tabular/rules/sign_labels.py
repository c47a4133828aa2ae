"""Labels that follow from the sign of a number of their row: a transaction's type is 'DEBIT' in
every row whose amount is negative and 'CREDIT' in every row whose amount is positive.

The model writes the number in bins, one of which may hold values of both signs, and the label
as a token of its own: a small model gave 25 of 1,570 generated transactions a type their amount's
sign never had ('DEBIT' for +48.76). The fit keeps, per categorical column of a table, the first
number of its row whose negative values go with one label and positive values with another in
every training row holding both, with `MIN_ROWS` rows of each sign at least (and zero's label,
where the rows holding zero all have one); generation sets the label from the generated number's
sign, after the formulas, running sums and totals that may set the number, a number its own bin
put on another label's side having been drawn again on its label's (`keep_sign_sides`). Not fitted under DP.

Where no number alone tells, the sign of the difference of two numbers of the row may: a football
match's result is 'H', 'D' or 'A' as its home score is above, equal to or below its away score
(`minus`: the number subtracted). Drawn as a token of its own, 427 of 888 generated matches of a
briefly trained model had a result their scores contradict (a 0-2 home win).

Two dates of the row are such a difference too, and a boolean such a label: a submission's late
flag is true exactly when it came after its due date (`submitted_at` - `due_at` positive). Drawn as
a token of its own, 1,304 of 2,718 generated submissions of an LMS database were flagged against
their dates.

Where the number (or the one subtracted) is missing, the rows of that pattern may still hold one label
in every training row: an auction's status is 'sold' wherever it has no reserve price and a winning bid
(`missing`: "number", "minus" or "both" -> label, `MIN_ROWS` rows at least, and one label in all of
them not by chance: its share of the rows to that power at most `CHANCE`). Left as generated, a
trained model called 17 of 300 generated auctions without a reserve but with bids 'unsold'.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.synth.tabular.encoders import label_texts
from relsynth.synth.tabular.rules.never_pairs import PairBan
from relsynth.synth.tabular.rules.null_cuts import range_of, redraw_in_bins
from relsynth.synth.tabular.rules.numbers import as_floats

log = logging.getLogger(__name__)
SCREEN = 200  # rows each difference of two numbers is tried on before all rows
MIN_ROWS = 20  # rows of each sign a label must be read from, at least
CHANCE = 1e-6  # labels drawn by their shares giving a missing pattern's rows one label, at most this often
LABEL_KINDS = (Column.CATEGORICAL, Column.BOOLEAN)  # a flag is a label of two values
DATE_KINDS = (Column.DATE, Column.DATETIME)  # compared with one another, never with a number


def find_sign_labels(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "number", "negative", "positive", "zero"}]: `table.column` is the label
    `negative` where `number` is below 0, `positive` where above, `zero` (None: as generated) at 0;
    with "minus": the same of `number` - `minus` (two numbers of the row, the first in column order
    first; or two dates of the row). Not context columns (given at generation)."""
    out = []
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        modelled = pre.generated_columns(table)
        numbers = pre.float_numbers(table, modelled)
        dates = [c for c in modelled if kinds[c].kind in DATE_KINDS]
        values = {n: as_floats(data[table][n]) for n in numbers}  # read once for all the table's labels
        for col in (c for c in modelled if kinds[c].kind in LABEL_KINDS):
            found = _first_sign_rule(data[table], numbers, data[table][col], dates, values)
            if found is not None:
                missing = _labels_where_missing(data[table], found, data[table][col])
                out.append({"table": table, "column": col, **found} | ({"missing": missing} if missing else {}))
                what = found["number"] + (f" - {found['minus']}" if "minus" in found else "")
                log.info("%s.%s follows the sign of %s in every row: kept so", table, col, what)
    return out


def _first_sign_rule(
    frame: pd.DataFrame,
    numbers: list[str],
    labels: pd.Series,
    dates: list[str] = (),
    values: dict[str, np.ndarray] | None = None,
) -> dict | None:
    """{"number", ("minus"), "negative", "positive", "zero"} of the first number, else the first
    difference of two numbers, else of two `dates` (labels of at most 3 values: one a sign), whose
    sign gives `labels`; `values`: the numbers as floats, where already read."""
    codes, names = pd.factorize(labels)
    values = values if values is not None else {n: as_floats(frame[n]) for n in numbers}
    for n in numbers:
        if (rule := _labels_by_sign(values[n], codes, names)) is not None:
            return {"number": n, **rule}
    if len(names) > 3:
        return None
    for i, a in enumerate(numbers):  # a wide table's pairs: most fail on a few rows already
        for b in numbers[i + 1 :]:
            if _signs_mixed(values[a][:SCREEN] - values[b][:SCREEN], codes[:SCREEN]):
                continue
            if (rule := _labels_by_sign(values[a] - values[b], codes, names)) is not None:
                return {"number": a, "minus": b, **rule}
    for i, a in enumerate(dates):
        for b in dates[i + 1 :]:
            if (rule := _labels_by_sign(_difference(frame, a, b), codes, names)) is not None:
                return {"number": a, "minus": b, **rule}
    return None


def _labels_where_missing(frame: pd.DataFrame, rule: dict, labels: pd.Series) -> dict[str, str]:
    """{"number" | "minus" | "both": label} of the rows missing the rule's number, the one it
    subtracts, or both, where every such labelled row (`MIN_ROWS` at least, none unlabelled) holds
    one label, and labels drawn by their shares would have agreed so at most `CHANCE` of the time."""
    codes, names = pd.factorize(labels)
    patterns = {
        p: _missing_rows(frame, rule, p) for p in (("number", "minus", "both") if "minus" in rule else ("number",))
    }
    shares = np.bincount(codes[codes >= 0], minlength=len(names)) / max(int((codes >= 0).sum()), 1)
    out = {}
    for pattern, rows in patterns.items():
        seen = codes[rows]
        if len(seen) < MIN_ROWS or seen.min() < 0 or seen.min() != seen.max():
            continue
        if shares[seen[0]] ** len(seen) <= CHANCE:
            out[pattern] = str(names[seen[0]])
    return out


def _signs_mixed(x: np.ndarray, codes: np.ndarray) -> bool:
    """Whether the rows given already break `_labels_by_sign`: two labels on one side of 0, or the
    same one label on both sides."""
    held = ~np.isnan(x) & (codes >= 0)
    sides = [codes[held & (x < 0)], codes[held & (x > 0)]]
    if any(len(c) and c.min() != c.max() for c in sides):
        return True
    return bool(all(len(c) for c in sides) and sides[0][0] == sides[1][0])


def _difference(frame: pd.DataFrame, a: str, b: str) -> np.ndarray:
    """`a` - `b` as floats, NaN where either is missing: of two dates in seconds, subtracted as
    datetimes (as nanosecond floats near 1.7e18, two dates a minute apart could compare equal)."""
    if pd.api.types.is_datetime64_any_dtype(frame[a]) and pd.api.types.is_datetime64_any_dtype(frame[b]):
        return ((frame[a] - frame[b]) / pd.Timedelta(seconds=1)).astype(float).to_numpy()
    return as_floats(frame[a]) - as_floats(frame[b])


def _labels_by_sign(x: np.ndarray, codes: np.ndarray, names: pd.Index) -> dict | None:
    """{"negative", "positive", "zero"} where one label (`names[codes]`, -1 missing) goes with each
    sign of `x`."""
    held = ~np.isnan(x) & (codes >= 0)
    out = {}
    for side, rows in (("negative", held & (x < 0)), ("positive", held & (x > 0))):
        seen = codes[rows]
        if len(seen) < MIN_ROWS or seen.min() != seen.max():
            return None
        out[side] = str(names[seen[0]])
    if out["negative"] == out["positive"]:
        return None
    at_zero = codes[held & (x == 0)]
    one = len(at_zero) and at_zero.min() == at_zero.max()
    return {**out, "zero": str(names[at_zero[0]]) if one else None}


def apply_sign_labels(pre, rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Set (in place) each fitted label of the generated `tables` from its number's sign; a
    missing number, or zero without a label of its own, leaves the label as generated. A rule
    holds a label's text: it is written as the column's category of that text (a type coded 1 or
    2, a flag True or False), in the column's dtype."""
    for r in rules:
        frame = tables[r["table"]]
        # the sign of a difference (a home score above the away one, a submission after its due date)
        x = _difference(frame, r["number"], r["minus"]) if "minus" in r else as_floats(frame[r["number"]])
        as_category = pre.category_texts(r["table"], r["column"])
        column = frame[r["column"]].astype(object).to_numpy().copy()
        for side, rows in (("negative", x < 0), ("positive", x > 0), ("zero", x == 0)):
            if r[side] is not None and rows.any():
                column[rows] = as_category.get(r[side], r[side])
        for pattern, label in r.get("missing", {}).items():  # none in older models
            column[_missing_rows(frame, r, pattern)] = as_category.get(label, label)
        frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)


def _missing_rows(frame: pd.DataFrame, rule: dict, pattern: str) -> np.ndarray:
    """The rows of `frame` missing the rule's number ("number"), the one it subtracts ("minus"), or both."""
    number = frame[rule["number"]].isna().to_numpy()
    minus = frame[rule["minus"]].isna().to_numpy() if "minus" in rule else np.zeros(len(frame), bool)
    return {"number": number & ~minus, "minus": minus & ~number, "both": number & minus}[pattern]


def keep_sign_sides(pre, rules: list[dict], table: str, frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Draw again, in place, inside its bin and on its label's side, each number of `frame` (rows of
    `table`) that a bin holding both signs put on the side of another label than its row's: the
    label is set from the sign after generation, and the columns written after it were drawn beside
    the label as generated (a category never paired with the other, `_never_pairs`: 32 of 500 rows
    of an untrained model broke one with the type written before the amount). Only numbers written
    by their own tokens (`sign_label_bans`); a bin with no room on that side is left as it is."""
    for r in (r for r in rules if r["table"] == table and r["number"] in frame and r["column"] in frame):
        if (found := _number_and_label(pre, r)) is None:
            continue
        p = found[0][1].preproc
        if not getattr(p, "edges", None):
            continue
        x = frame[r["number"]].to_numpy(dtype=np.float64, na_value=np.nan)
        labels = label_texts(frame[r["column"]])
        eps = p.grid or np.nextafter(0.0, 1.0)  # the least step off zero the column can write
        fixed, ranged = x.copy(), range_of(pre, table, r["number"], frame)
        # each label once, in the sides' order: a set of strings comes in another order each process
        # (PYTHONHASHSEED), and each label's redraw takes the next draws of `rng`
        for label in dict.fromkeys(r[side] for side in ("negative", "positive", "zero") if r[side] is not None):
            signs = {side for side in ("negative", "positive", "zero") if r[side] in (label, None)}
            rows = labels == label
            lo = -np.inf if "negative" in signs else (0.0 if "zero" in signs else eps)
            hi = np.inf if "positive" in signs else (0.0 if "zero" in signs else -eps)
            redraw_in_bins(p, fixed, rows & ((x < lo) | (x > hi)), rng, top=hi, bottom=lo, ranged=ranged)
        if not np.array_equal(fixed, x, equal_nan=True):
            frame[r["number"]] = pd.Series(fixed, index=frame.index).astype(frame[r["number"]].dtype)


def sign_label_bans(pre, rules: list[dict]) -> dict[str, dict[int, list[PairBan]]]:
    """table -> {header position: its `PairBan`s} of the rules, the label and its number drawn as
    each other's signs say: after a number's token whose values all give one label (a point, a bin
    on one side of 0), the other labels are masked; after a label, the number's tokens whose values
    all give another. So the columns written after the label are drawn beside the label
    `apply_sign_labels` leaves (a category never paired with it, `_never_pairs`: 850 of 1,705 rows
    of an untrained model's transactions broke one where the label was only set after
    generation). Not a difference of two numbers, nor a number set after generation (a running
    sum, a total, a formula) or written as an offset (`orderings`)."""
    out: dict[str, dict[int, list[PairBan]]] = {}
    for r in rules:
        if (found := _number_and_label(pre, r)) is None:
            continue
        (i, num_slot), (j, label_slot) = found
        ids = label_slot.category_tokens()
        labels = {side: ids.get(r[side]) if r[side] is not None else None for side in ("negative", "positive", "zero")}
        known = {v for v in labels.values() if v is not None}
        given = {t: {labels[side] for side in sides} for t, sides in _token_signs(num_slot)}
        one = {t: g.pop() for t, g in given.items() if len(g) == 1 and None not in g}  # the one label a token gives
        if i < j:  # the number first: the labels its token rules out
            banned = {t: np.asarray(sorted(known - {v}), dtype=np.int64) for t, v in one.items()}
            at, source = j, i
        else:  # the label first: the number's tokens giving another
            banned = {v: np.asarray(sorted(t for t, w in one.items() if w != v), dtype=np.int64) for v in known}
            at, source = i, j
        out.setdefault(r["table"], {}).setdefault(at, []).append(PairBan(0, source, banned))
    return out


def _number_and_label(pre, r: dict) -> tuple | None:
    """((header position, slot) of the rule's number, of its label) where the number is written by
    its own value tokens; None otherwise."""
    layout = pre.layouts.get(r["table"])
    if "minus" in r or layout is None or r["number"] not in layout.fields or r["column"] not in layout.fields:
        return None
    set_later = {
        (x["table"], x["column"]) for key in ("running_sums", "totals", "formulas") for x in pre.stats.get(key, [])
    }
    if (r["table"], r["number"]) in set_later or r["number"] in pre.orderings.get(r["table"], {}):
        return None
    i, j = layout.fields.index(r["number"]), layout.fields.index(r["column"])
    return (i, pre.slots[layout.slots[i]]), (j, pre.slots[layout.slots[j]])


def _token_signs(slot) -> list[tuple[int, set[str]]]:
    """(global token, the signs its values may hold: "negative", "zero", "positive") of a number's
    points and bins (local ids: `<missing>`, the points, the bins)."""
    p = slot.preproc
    if not hasattr(p, "edges"):
        return []
    out = [(slot.offset + 1 + k, _signs(v, v)) for k, v in enumerate(p.points)]
    for b in range(len(p.edges) - 1):
        out.append((slot.offset + 1 + len(p.points) + b, _signs(p.edges[b], p.edges[b + 1])))
    return out


def _signs(lo: float, hi: float) -> set[str]:
    """The signs of the values between `lo` and `hi`."""
    return {s for s, holds in (("negative", lo < 0), ("zero", lo <= 0 <= hi), ("positive", hi > 0)) if holds}

"""Labels that say which interval of a number, or of a share of two numbers, their row lies in:
a submission's letter grade is 'A' from 90 % of its maximum score, 'B' from 80 %, ... 'F' below
60 % (the share `score` / `max_score`), an age group follows from the age.

The model writes the label as a token of its own, beside the numbers' bins: a briefly trained
model gave 464 of 2,718 generated submissions of an LMS database (17 %) a grade their score and
maximum contradict. The fit keeps, per label column of a table (a category
or a flag, `MAX_LABELS` labels at most), the first number of its row, else the first share `a / b`
of two numbers of its row that is a part of its whole (0 <= a <= b, b > 0 in every row holding
both), whose labels hold disjoint intervals in every training row holding the number and a label,
`MIN_ROWS` rows of each label at least; a cut lies at the least value of the label above it.
Where no number does so alone, the cuts may be a category's of the row (a lab result's flag is H
above its test's upper reference bound, L below its lower one, N within, and each of 15 tests has
bounds of its own: the model flagged 47 % of generated results against their value): the first
number and categorical column `by` (`MAX_GROUPS` labels at most) whose rows of each `by` label hold
the labels in disjoint intervals, in one order of the labels across them all, where labels drawn
at random within each `by` label would have been so but `BY_CHANCE` of the time (`order_chance`).
Generation sets the label from the generated number or share, once the numbers are set; a row
without one keeps its label as generated. Labels that follow a sign or a range of their row
(`_sign_labels`, `_range_labels`) are theirs. Not fitted under DP.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy.special import gammaln

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import label_texts
from relsynth.synth.tabular.rules.numbers import as_floats
from relsynth.synth.tabular.rules.sign_labels import LABEL_KINDS

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows of each label an interval is read from, at least
MAX_LABELS = 12  # a grade's or a band's few labels, not a column of many to try
SCREEN = 2_000  # rows each number is tried on first: a large table's columns are read whole only where they pass
MAX_GROUPS = 100  # a category whose labels have cuts of their own (a lab's tests), at most this many labels
MIN_GROUP = 5  # rows of a `by` label its cuts are kept for, at least: a label seen once or twice keeps the model's
BY_CHANCE = 1e-6  # tried over every (label, number, category): far stricter than one rule's 0.1 %
BY_SCREEN = 200  # rows each (number, category) is tried on first


def find_interval_labels(pre, data: RelationalData, taken: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "number", ("of"), "cuts", "labels"}]: `table.column` is `labels[i]`
    where `number` (divided by `of`) lies in [cuts[i - 1], cuts[i]) (no lower cut for the first,
    no upper for the last). Not context columns (given at generation), nor the (table, column)
    pairs of `taken` (labels another rule sets)."""
    out = []
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        modelled = pre.generated_columns(table)
        numbers = pre.float_numbers(table, modelled)
        frame = data[table]
        labels = [c for c in modelled if kinds[c].kind in LABEL_KINDS and (table, c) not in taken]
        candidates = [c for c in labels if 2 <= frame[c].nunique() <= MAX_LABELS]
        if not candidates or not numbers:
            continue
        values = {n: as_floats(frame[n]) for n in numbers}
        scales = [{"number": n} for n in numbers] + _shares(numbers, values)
        screen = np.vstack([_scale(what, values, SCREEN) for what in scales])
        factored: dict[str, tuple[np.ndarray, pd.Index]] = {}  # each label column read once, as codes
        for col in candidates:
            if (found := _first_interval_rule(scales, values, screen, frame[col])) is not None:
                out.append({"table": table, "column": col, **found})
                what = found["number"] + (f" / {found['of']}" if "of" in found else "")
                log.info("%s.%s follows the interval of %s in every row: kept so", table, col, what)
            elif (found := _first_by_rule(frame, col, [c for c in labels if c != col], values, factored)) is not None:
                out.append({"table": table, "column": col, **found})
                log.info("%s.%s follows the interval of %s by %s: kept so", table, col, found["number"], found["by"])
    return out


def _first_by_rule(
    frame: pd.DataFrame,
    col: str,
    others: list[str],
    values: dict[str, np.ndarray],
    factored: dict[str, tuple[np.ndarray, pd.Index]],
) -> dict | None:
    """{"number", "by", "groups": {by label: {"cuts", "labels"}}} of the first number and category
    `by` (among `others`) within whose labels `col`'s labels hold disjoint intervals of the number,
    in one order, where chance would not have given it (`BY_CHANCE`); None where none does.
    `factored`: the label columns' codes and texts read so far, filled as read."""
    for c in [col, *others]:
        if c not in factored:
            factored[c] = pd.factorize(label_texts(frame[c]))
    codes, names = factored[col]
    numbers = list(values)
    whole = np.vstack([values[n] for n in numbers])
    for by in (c for c in others if 2 <= len(factored[c][1]) <= MAX_GROUPS):
        groups, group_names = factored[by]
        passed = _apart_within(whole[:, :BY_SCREEN], codes[:BY_SCREEN], groups[:BY_SCREEN], chance=False)
        if passed.any():  # then on all rows, still all numbers at once: a wide table's many pass a few rows
            passed[passed] = _apart_within(whole[passed], codes, groups)
        for number in (n for n, ok in zip(numbers, passed, strict=True) if ok):
            if (rule := _by_intervals(values[number], codes, names, groups, group_names)) is not None:
                return {"number": number, "by": by, "groups": rule}
    return None


def _apart_within(x: np.ndarray, codes: np.ndarray, groups: np.ndarray, chance: bool = True) -> np.ndarray:
    """Per row of `x` (a number's values), whether no two labels' spans meet within a group and
    (`chance`) chance would not have kept them so (`BY_CHANCE`), for all numbers at once: necessary conditions
    of `_by_intervals`, which reads one number with pandas (a wide table's labels that follow a
    category, one label a group, passed the spans alone for every number)."""
    keep = (codes >= 0) & (groups >= 0)
    if not keep.any():
        return np.zeros(len(x), dtype=bool)
    width = int(codes.max()) + 1
    combos, inverse = np.unique(groups[keep] * width + codes[keep], return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
    part = x[:, keep][:, order]
    with np.errstate(invalid="ignore"):
        lo, hi = np.fmin.reduceat(part, starts, axis=1), np.fmax.reduceat(part, starts, axis=1)
    of = combos // width  # each (group, label)'s group, ascending
    i, j = np.triu_indices(len(combos), k=1)
    i, j = i[of[i] == of[j]], j[of[i] == of[j]]  # two labels of one group
    meet = (lo[:, i] <= hi[:, j]) & (lo[:, j] <= hi[:, i])  # NaN (a label without the number): apart
    if not chance:
        return ~meet.any(axis=1)
    sizes = np.add.reduceat(~np.isnan(part), starts, axis=1).astype(float)  # rows per (group, label)
    labels = np.zeros((len(x), width))
    np.add.at(labels.T, combos % width, sizes.T)
    per_group = np.add.reduceat(sizes, np.flatnonzero(np.r_[True, np.diff(of) != 0]), axis=1)
    odds = gammaln(sizes + 1).sum(axis=1) - gammaln(per_group + 1).sum(axis=1)  # log of `order_chance`, summed
    odds += gammaln((labels > 0).sum(axis=1) + 1.0)  # the one order of the labels, any
    return ~meet.any(axis=1) & (odds <= np.log(BY_CHANCE))


def _by_intervals(
    x: np.ndarray, codes: np.ndarray, names: pd.Index, groups: np.ndarray, group_names: pd.Index
) -> dict | None:
    """Per group label, {"cuts", "labels"} of its rows (`MIN_GROUP` at least), where every group's
    labels hold disjoint intervals of `x` in one order, each label `MIN_ROWS` rows at least in all,
    and labels drawn at random within the groups would have done so but `BY_CHANCE` of the time."""
    held = ~np.isnan(x) & (codes >= 0) & (groups >= 0)
    out, before, sizes, chance = {}, set(), np.zeros(len(names), dtype=np.int64), 0.0
    for g in np.unique(groups[held]):
        rows = held & (groups == g)
        spans = _spans(x[rows], codes[rows])
        if spans is None:
            return None
        order = list(spans.index)
        before |= {(a, b) for i, a in enumerate(order) for b in order[i + 1 :]}
        sizes[order] += spans["size"].to_numpy()
        chance += order_chance(spans["size"].to_numpy())
        if rows.sum() >= MIN_GROUP:
            cuts = [float(v) for v in spans["min"].to_numpy()[1:]]
            out[str(group_names[g])] = {"cuts": cuts, "labels": [str(names[k]) for k in order]}
    if any((b, a) in before for a, b in before):
        return None  # two groups order two labels apart both ways: not one scale's
    kept = sizes[sizes > 0]
    if len(kept) < 2 or (kept < MIN_ROWS).any() or chance + np.log(math.factorial(len(kept))) > np.log(BY_CHANCE):
        return None
    return out


def order_chance(sizes: np.ndarray) -> float:
    """log of the chance that labels of these counts, drawn in random order over a group's sorted
    values, come in one given order of runs: prod(n_i!) / n!."""
    return float(sum(math.lgamma(n + 1) for n in sizes) - math.lgamma(sizes.sum() + 1))


def _first_interval_rule(
    scales: list[dict], values: dict[str, np.ndarray], screen: np.ndarray, labels: pd.Series
) -> dict | None:
    """{"number", ("of"), "cuts", "labels"} of the first number or share whose intervals give
    `labels`; `screen`: each scale's first SCREEN values (a row per scale)."""
    codes, names = pd.factorize(label_texts(labels))  # -1: missing; an Int64's 1 as '1', not '1.0'
    passed = _apart_on(screen, codes[:SCREEN])  # labels overlapping in a few rows overlap in all
    for what in (what for what, ok in zip(scales, passed, strict=True) if ok):
        if (rule := _intervals(_scale(what, values), codes, names)) is not None:
            return {**what, **rule}
    return None


def _scale(what: dict, values: dict[str, np.ndarray], rows: int | None = None) -> np.ndarray:
    """A number's values, or a share's (`of`: the whole), NaN where either is missing; the first
    `rows` only where given. Computed where needed: a wide table has thousands of shares, whole
    columns of them all at once took gigabytes on a large table."""
    x = values[what["number"]][:rows]
    if "of" not in what:
        return x
    whole = values[what["of"]][:rows]
    held = ~np.isnan(x) & ~np.isnan(whole)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(held, x / whole, np.nan)


def _shares(numbers: list[str], values: dict[str, np.ndarray]) -> list[dict]:
    """{"number": a, "of": b} of each pair that is a part and its whole in every row holding both
    (0 <= a <= b, b > 0; a score out of its maximum)."""
    out = []
    for a in numbers:
        for b in numbers:
            x, whole = values[a], values[b]
            held = ~np.isnan(x) & ~np.isnan(whole)
            if a == b or held.sum() < MIN_ROWS:
                continue
            if (x[held] >= 0).all() and (whole[held] > 0).all() and (x[held] <= whole[held]).all():
                out.append({"number": a, "of": b})
    return out


def _apart_on(x: np.ndarray, codes: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Per row of `x` (a scale's values on the screened rows), whether `_spans` finds its labels'
    spans apart (not None), for all rows at once: a wide table's hundreds of numbers and thousands
    of shares were read one pandas groupby each, for each label column."""
    kept = np.unique(codes[codes >= 0])
    out = np.ones(len(x), dtype=bool)
    for start in range(0, len(x), chunk):  # a few MB of temporaries at a time
        part = x[start : start + chunk]
        lo = np.full((len(part), len(kept)), np.nan)
        hi = lo.copy()
        for j, k in enumerate(kept):
            sub = part[:, codes == k]
            held = ~np.isnan(sub)
            some = held.any(axis=1)  # a label none of whose rows hold the number has no span
            lo[some, j] = np.where(held, sub, np.inf).min(axis=1)[some]
            hi[some, j] = np.where(held, sub, -np.inf).max(axis=1)[some]
        order = np.argsort(lo, axis=1)  # by the least, spans without rows (NaN) last
        lo, hi = np.take_along_axis(lo, order, axis=1), np.take_along_axis(hi, order, axis=1)
        out[start : start + chunk] = ((hi[:, :-1] < lo[:, 1:]) | np.isnan(lo[:, 1:])).all(axis=1)
    return out


def _spans(x: np.ndarray, codes: np.ndarray) -> pd.DataFrame | None:
    """Per label code, the least and greatest `x` and its rows ("min", "max", "size"), by the least,
    over the rows holding both; None where two labels' spans meet."""
    held = ~np.isnan(x) & (codes >= 0)
    spans = pd.Series(x[held]).groupby(codes[held]).agg(["min", "max", "size"]).sort_values("min")
    return spans if (spans["max"].to_numpy()[:-1] < spans["min"].to_numpy()[1:]).all() else None


def _intervals(x: np.ndarray, codes: np.ndarray, names: pd.Index) -> dict | None:
    """{"cuts", "labels"} where each label (`names[codes]`, -1 missing) of the rows holding `x`
    holds an interval of `x` apart from the others' (`MIN_ROWS` rows each at least); else None."""
    spans = _spans(x, codes)
    if spans is None or len(spans) < 2 or (spans["size"] < MIN_ROWS).any():
        return None
    return {"cuts": [float(v) for v in spans["min"].to_numpy()[1:]], "labels": [str(names[k]) for k in spans.index]}


def apply_interval_labels(pre, rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Set (in place) each fitted label from its row's number or share; a row without one keeps
    its label as generated. Written as the column's category of the rule's text, in its dtype."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame):
            continue
        if "by" in r:
            _apply_by(pre, r, frame)
            continue
        x = as_floats(frame[r["number"]])
        if "of" in r:
            with np.errstate(divide="ignore", invalid="ignore"):
                x = x / as_floats(frame[r["of"]])
        held = np.isfinite(x)
        at = np.searchsorted(np.asarray(r["cuts"], dtype=float), x[held], side="right")  # x >= a cut: above it
        as_category = pre.category_texts(r["table"], r["column"])
        labels = np.asarray([as_category.get(v, v) for v in r["labels"]], dtype=object)
        column = frame[r["column"]].astype(object).to_numpy().copy()
        column[held] = labels[at]
        frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)


def _apply_by(pre, r: dict, frame: pd.DataFrame) -> None:
    """Set (in place) a rule's label from its row's number by the cuts of the row's `by` label; a
    row of a `by` label without cuts (rare in the data), or without the number, keeps its label."""
    x, groups = as_floats(frame[r["number"]]), label_texts(frame[r["by"]])
    as_category = pre.category_texts(r["table"], r["column"])
    column = frame[r["column"]].astype(object).to_numpy().copy()
    for group, rule in r["groups"].items():
        rows = np.flatnonzero((groups == group) & np.isfinite(x))
        at = np.searchsorted(np.asarray(rule["cuts"], dtype=float), x[rows], side="right")
        labels = np.asarray([as_category.get(v, v) for v in rule["labels"]], dtype=object)
        column[rows] = labels[at]
    frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)

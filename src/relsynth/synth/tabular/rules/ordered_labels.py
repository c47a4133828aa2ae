"""Labels whose order their rows follow under one parent: a student's enrollments go through the
semesters in time (`2021-FA`, `2022-SP`, `2022-FA`: an order no sorting of the text gives), a
ticket's states from `open` to `closed`.

The model writes each row's label from the rows before it, so it can step back: a briefly trained
model gave 78 of 300 generated students a semester earlier than one of their earlier enrollments.
The fit reads, per categorical column of a table nested under a parent, the pairs of frequent
labels that follow each other under one parent row, the rows in their encoded order (the sibling
key's, else as stored); where no two labels follow each other both ways (the order is the data's,
whatever their text), from `MIN_STEPS` steps at least, the labels known to come before each
other (through steps between them) are kept. Generation masks, at each row, the labels that come
before one its earlier siblings took (`Cursor.sibling_tokens`).

Coming after is not following directly: an order's `created` is followed by `paid` or `cancelled`,
never by `shipped`, though `shipped` comes after it (3 of 343 generated transitions skipped a
state). Of such a column, the pairs of labels whose direct steps never go from a to b, where steps
from a landing on b as often as steps land on b anywhere would have missed it `CHANCE` of the time
at most, are kept too (`never_next`), and generation masks them after the previous labelled sibling's;
so are all the others after a label whose steps all land on one label (`_one_successor`: a month's
payslip, the next month's), where steps landing there at random would all have `CHANCE` of the time at most.
Where every label is one text around the same runs of digits (a release's v1.2.3) and the steps all
go up in those numbers, the order is made whole by them (`_numbered_order`): versions no parent row
held together (v0.3.2, v0.1.3) are ordered too, where the steps left them free (a fifth of the
generated releases came after a higher version of their repo's).
A label fewer rows can follow than its parent still has to write is masked (`rows_after`), a label
only a parent's last row holds (`edge_labels`: a parcel's `returned`) counted as followed by none.
Not fitted under DP.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import label_texts
from relsynth.synth.tabular.rules.columns import nested_categories

log = logging.getLogger(__name__)
MIN_STEPS = 20  # steps between two different labels under one parent, at least
MIN_LABELS = 3  # labels in the order, at least (two labels in order are as likely a habit)
MAX_LABELS = 2000  # categories a column is read for, at most (the order's closure is a square of them)
CHANCE = 0.001  # how likely steps from a label landing on another at random would all miss it, at most
MAX_TAIL_LABELS = 200  # labels of a column whose rows after each label are bounded, at most (a square of them)


def find_ordered_labels(pre, data: RelationalData, unique: dict[str, list[str]]) -> list[dict]:
    """[{"table", "column", "before": [[a, b], ...]}]: under each parent row, no row of `table`
    holding `b` comes before one holding `a` (frequent categories, every pair the steps imply).
    The columns `unique` keeps too: a label never repeated may still follow an order (an order's
    states, created, paid, shipped, each once), which not repeating it does not keep."""
    out = []
    for table, edge, col, preproc in nested_categories(pre, data):
        if not MIN_LABELS <= len(preproc.categories) <= MAX_LABELS:
            continue
        frame = data[table]
        order = _encoded_order(frame, edge.fk, pre.sibling_keys.get(table))
        parent = frame[edge.fk].to_numpy()[order]
        labels = label_texts(frame[col])[order]
        known = {str(v): v for v in preproc.categories}
        before = _order_of(parent, labels, list(known))
        if before is not None:
            before = _numbered_order(list(known), before)
            pairs = [[known[a], known[b]] for a, b in before]
            never = [[known[a], known[b]] for a, b in _never_next(parent, labels, list(known))]
            repeated = [known[c] for c in _repeated(parent, labels, list(known))]
            out.append({"table": table, "column": col, "before": pairs, "never_next": never, "repeated": repeated})
            log.info("%s.%s follows an order under each %s row: kept so", table, col, edge.parent)
    return out


def _encoded_order(frame: pd.DataFrame, fk: str, key: str | None) -> np.ndarray:
    """Row positions grouped by parent, each parent's rows in their encoded order."""
    columns = [fk] if key is None else [fk, key]
    return frame.reset_index(drop=True).sort_values(columns, kind="stable", na_position="last").index.to_numpy()


def _steps(parent: np.ndarray, labels: np.ndarray, categories: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(from, to) category indices of the steps between consecutive labelled rows of one parent
    (-1: a label not among `categories`), and whether each is a step between two categories."""
    index = {c: k for k, c in enumerate(categories)}
    held = pd.notna(labels)
    parent, labels = parent[held], labels[held]
    code = np.array([index.get(v, -1) for v in labels], dtype=np.int64)
    same_parent = parent[1:] == parent[:-1]
    a, b = code[:-1][same_parent], code[1:][same_parent]
    return np.stack([a, b]), (a != b) & (a >= 0) & (b >= 0)


def _repeated(parent: np.ndarray, labels: np.ndarray, categories: list[str]) -> list[str]:
    """The `categories` some row takes right after a sibling holding the same (a page view after a
    page view), which can fill any number of rows (`rows_after`)."""
    (a, b), _ = _steps(parent, labels, categories)
    return [categories[k] for k in sorted(set(a[(a == b) & (a >= 0)].tolist()))]


def _never_next(parent: np.ndarray, labels: np.ndarray, categories: list[str]) -> list[tuple[str, str]]:
    """(a, b) of the pairs of `categories` where no step goes from a to b directly, though steps
    from a landing on b as often as all steps land on b would have missed it `CHANCE` of the time
    at most (`created` -> `shipped`: `paid` between them)."""
    (a, b), step = _steps(parent, labels, categories)
    n = len(categories)
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (a[step], b[step]), 1)
    share = counts.sum(0) / max(int(counts.sum()), 1)  # how often a step lands on each label
    with np.errstate(divide="ignore"):
        missed = counts.sum(1)[:, None] * np.log1p(-np.minimum(share, 1 - 1e-12))[None, :]
    never = (counts == 0) & (missed <= np.log(CHANCE)) & ~np.eye(n, dtype=bool)
    never |= _one_successor(counts, share)[:, None] & (counts == 0) & ~np.eye(n, dtype=bool)
    return [(categories[i], categories[j]) for i, j in zip(*np.nonzero(never), strict=True)]


def _one_successor(counts: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Per label, whether all its steps land on one label, where steps landing as often as all steps
    land there would all have `CHANCE` of the time at most: a month's payslip is followed by the
    next month's, each of 70 months by one (no pair's miss alone is unlikely enough: 136 of 138
    generated employees had a month missing). Every other label is then never next after it."""
    steps = counts.sum(1)
    target = counts.argmax(1)
    with np.errstate(divide="ignore"):
        chance = steps * np.log(np.maximum(share[target], 1e-300))
    return (steps > 1) & (counts.max(1) == steps) & (chance <= np.log(CHANCE))


def _order_of(parent: np.ndarray, labels: np.ndarray, categories: list[str]) -> list[tuple[str, str]] | None:
    """(a, b) of every pair of `categories` where a comes before b through the steps between
    consecutive labelled rows of one parent; None where two labels step both ways, the steps are
    fewer than `MIN_STEPS` or the order holds fewer than `MIN_LABELS` labels."""
    (a, b), step = _steps(parent, labels, categories)
    if step.sum() < MIN_STEPS:
        return None
    n = len(categories)
    reach = np.zeros((n, n), dtype=bool)
    reach[a[step], b[step]] = True
    if (reach & reach.T).any():  # two labels stepping both ways: most columns end here
        return None
    for _ in range(int(np.ceil(np.log2(max(n, 2))))):  # transitive closure, paths doubling each time
        reach |= (reach.astype(np.float32) @ reach.astype(np.float32)) > 0
    if (reach & reach.T).any() or reach.diagonal().any():
        return None
    ordered = reach.any(0) | reach.any(1)
    if ordered.sum() < MIN_LABELS:
        return None
    return [(categories[i], categories[j]) for i, j in zip(*np.nonzero(reach), strict=True)]


def _numbered_order(categories: list[str], before: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`before` made whole by the numbers the labels are written with, where every label is one text
    around the same runs of digits (v1.2.3, v1.10.0: a release's version) and every pair of `before`
    (the steps' order) goes up in them: then two labels no parent row held together (v0.3.2, v0.1.3)
    are in that order too, which the steps alone leave free. Else `before` as it is."""
    numbers = [_numbers_of(c) for c in categories]
    if any(n is None for n in numbers) or len({n[0] for n in numbers}) != 1:
        return before
    key = {c: n[1] for c, n in zip(categories, numbers, strict=True)}
    if any(key[a] >= key[b] for a, b in before):
        return before
    return [(a, b) for a in categories for b in categories if key[a] < key[b]]


def _numbers_of(label: str) -> tuple[str, tuple[int, ...]] | None:
    """(the label's text with each run of digits as "#", the runs as integers), None without a digit."""
    runs = re.findall(r"\d+", label)
    return (re.sub(r"\d+", "#", label), tuple(int(r) for r in runs)) if runs else None


def ordered_label_bans(pre, rules: list[dict]) -> dict[str, dict[int, dict[int, np.ndarray]]]:
    """table -> {header position of `column`: {a label's token: the tokens of the labels before it,
    which a later sibling may not take}} of `find_ordered_labels`' rules."""
    out: dict[str, dict[int, dict[int, np.ndarray]]] = {}
    for r in rules:
        if (found := pre.label_tokens(r["table"], r["column"])) is None:
            continue
        j, ids = found
        earlier: dict[int, list[int]] = {}
        for a, b in r["before"]:
            if str(a) in ids and str(b) in ids:
                earlier.setdefault(ids[str(b)], []).append(ids[str(a)])
        out.setdefault(r["table"], {})[j] = {t: np.asarray(e, dtype=np.int64) for t, e in earlier.items()}
    return out


def next_label_bans(pre, rules: list[dict]) -> dict[str, dict[int, dict[int, np.ndarray]]]:
    """table -> {header position of `column`: {a label's token: the tokens of the labels never
    directly after it (`never_next`; none: empty), which the next labelled sibling may not take}}
    of `find_ordered_labels`' rules, every label of the column a key."""
    out: dict[str, dict[int, dict[int, np.ndarray]]] = {}
    for r in rules:
        if (found := pre.label_tokens(r["table"], r["column"])) is None:
            continue
        j, ids = found
        after: dict[int, list[int]] = {t: [] for t in ids.values()}
        for a, b in r.get("never_next", []):  # a model saved before: none
            if str(a) in ids and str(b) in ids:
                after[ids[str(a)]].append(ids[str(b)])
        out.setdefault(r["table"], {})[j] = {t: np.asarray(e, dtype=np.int64) for t, e in after.items()}
    return out


def repeated_label_tokens(pre, rules: list[dict]) -> dict[str, dict[int, frozenset[int] | None]]:
    """table -> {header position: the tokens of the labels the data repeats right after themselves
    (None: a model saved before, any)} of `find_ordered_labels`' rules."""
    out: dict[str, dict[int, frozenset[int] | None]] = {}
    for r in rules:
        if (found := pre.label_tokens(r["table"], r["column"])) is not None:
            j, ids = found
            repeated = r.get("repeated")
            out.setdefault(r["table"], {})[j] = (
                None if repeated is None else frozenset(ids[str(v)] for v in repeated if str(v) in ids)
            )
    return out


def rows_after(
    earlier: dict[int, np.ndarray],
    after: dict[int, np.ndarray],
    once: frozenset[int] | None,
    repeated: frozenset[int] | None = None,
    last: frozenset[int] = frozenset(),
) -> dict[int, int]:
    """{a label's token: the most rows the rules let follow it} of one ordered column, `earlier` and
    `after` as `ordered_label_bans` and `next_label_bans` give them, `once` the labels never repeated
    (None: all), `repeated` the labels the data repeats right after themselves (None: any not `once`),
    `last` the labels only a parent's last row holds, which no row follows (`edge_labels`' `only_last`:
    a parcel's `returned`, after its `exception`; with no step from them, any label was counted as
    following them, and an exception was drawn with more rows left than the process fills: 67 and 96
    of 1,075 and 1,140 steps an untrained model drew, an exception after an exception); a label that
    rows can follow without end (a page view repeated) is left out. The parent's child count is
    drawn before its rows: a session of 5 events taking `add_to_cart` second has 3 rows left and
    only checkout and purchase to fill them (13 of 100 generated sessions a funnel step back, or
    28 % purchases where nothing was left)."""
    tokens = list(after)
    n = len(tokens)
    if not 0 < n <= MAX_TAIL_LABELS:
        return {}
    index = {t: k for k, t in enumerate(tokens)}
    step = np.ones((n, n), dtype=bool)  # step[a, b]: b may come right after a
    for b, before in earlier.items():  # nothing before b after it
        step[index[b], [index[a] for a in before.tolist() if a in index]] = False
    for a, never in after.items():
        step[index[a], [index[b] for b in never.tolist() if b in index]] = False
    for t in tokens if once is None else once & set(tokens):
        step[index[t], index[t]] = False
    for t in [] if repeated is None else set(tokens) - repeated:  # a purchase the data never repeats
        step[index[t], index[t]] = False
    for t in last & set(tokens):  # a process's end: nothing follows it
        step[index[t], :] = False
    longest = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):  # a path longer than n labels goes round a circle: no bound
        longest = np.where(step, 1 + longest[None, :], 0).max(1)
    return {t: int(longest[k]) for k, t in enumerate(tokens) if longest[k] <= n}

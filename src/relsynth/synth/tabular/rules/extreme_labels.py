"""Labels that mark the row with the greatest (or least) number under its parent row: a precinct's
winning party, the result with the most votes; a race's winner, the entry with the least time; a
listing's top bid.

The model writes the label while drawing each row's number in bins, and a sum split among the rows
(`split_sums`) moves the numbers after, so the marked row is often not the extreme one: 48 % and 56 %
of the generated precincts of a small model (seeds 0/1) had their winner hold the most votes, every
one in the data. The fit keeps, per categorical column of a table nested under a parent and value
of it, the first number column of the table whose greatest (else least) value under each parent row
the rows holding that value hold, in every parent row with such a row, where `MIN_ROWS` parent rows
at least hold it beside a row of another number (a parent row of one row, or of one number, tells
nothing). Generation, once every number is final, swaps the label between a marked row not holding
its parent row's extreme number and an unmarked row holding it, so the labels' counts under each
parent row stay as drawn (one winner stays one) and no number moves.

Likewise a label of the parent row that its extreme child row holds (a precinct's winning party, the
party of its result of the most votes: `find_parent_extremes`): the model draws it before the child
rows, so it is set from the generated child row of the extreme number, as `last_labels` sets an
order's status from its last event. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import plain_texts
from relsynth.synth.tabular.rules.columns import categoricals, nested_categories
from relsynth.synth.tabular.rules.numbers import as_floats

log = logging.getLogger(__name__)
MIN_ROWS = 20  # parent rows whose marked row stands beside a row of another number, at least
MAX_VALUES = 20  # a label column's values tried as the mark, at most (the most frequent)
EXTREMES = ("max", "min")


def find_extreme_labels(pre, data: RelationalData, ruled: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "value", "fk", "of", "how"}]: under each row of its parent (by `fk`),
    the rows of `table` whose `column` is `value` hold the `how` ("max" or "min") of `of` among
    its rows, in every parent row with such a row. `ruled`: (table, column) another rule sets or
    reads beside its row's values (a dependency), never a label swapped here."""
    out = []
    extremes: dict[str, list[tuple[str, str, np.ndarray, np.ndarray]]] = {}
    for table, edge, col, _ in nested_categories(pre, data):
        if (table, col) in ruled:
            continue
        frame = data[table]
        if table not in extremes:
            numbers = [c for c in pre.generated_numbers(table) if c != edge.fk and (table, c) not in ruled]
            extremes[table] = [
                (of, how, *_extreme(frame[edge.fk], as_floats(frame[of]), how)) for of in numbers for how in EXTREMES
            ]
        labels = plain_texts(frame[col])
        keys = frame[edge.fk].to_numpy()
        for value in labels.value_counts().index[:MAX_VALUES]:
            marked = (labels == value).to_numpy()
            found = next(
                ((of, how) for of, how, at, spread in extremes[table] if _marks(keys, marked, at, spread)), None
            )
            if found is not None:
                of, how = found
                log.info("%s.%s %r marks the %s %s under its %s row: kept so", table, col, value, how, of, edge.parent)
                out.append({"table": table, "column": col, "value": str(value), "fk": edge.fk, "of": of, "how": how})
                break
    return out


def find_parent_extremes(pre, data: RelationalData, ruled: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "child", "fk", "label", "of", "how"}]: each row of `table` with rows of
    `child` under it (by `fk`) holds at `column` the `label` of a child row of the `how` of `of`,
    where `MIN_ROWS` parent rows at least hold two numbers among their rows. `ruled`: (table,
    column) another rule sets or a dependency decides, never a column set here."""
    out, done = [], set()
    for child, edge, label, _ in nested_categories(pre, data):
        parent, frame = edge.parent, data[child]
        pk = data.schema.tables[parent].primary_key
        if pk is None or (child, label) in ruled:
            continue
        keys = frame[edge.fk]
        numbers = [c for c in pre.generated_numbers(child) if c != edge.fk]
        extremes = [(of, how, *_extreme(keys, as_floats(frame[of]), how)) for of in numbers for how in EXTREMES]
        texts = plain_texts(frame[label]).to_numpy()
        for column, _ in categoricals(pre, data, parent):
            if (parent, column) in ruled or (parent, column) in done or column in pre.given_columns(parent):
                continue
            above = plain_texts(keys.map(data[parent].set_index(pk)[column])).to_numpy()
            if len(pd.unique(above[pd.notna(above)])) < 2:
                continue
            for of, how, at, spread in extremes:
                if _held_above(keys.to_numpy(), texts, above, at, spread):
                    log.info("%s.%s is its %s row's %s of the %s %s: kept so", parent, column, child, label, how, of)
                    out.append(
                        {"table": parent, "column": column, "child": child, "fk": edge.fk}
                        | {"label": label, "of": of, "how": how}
                    )
                    done.add((parent, column))
                    break
    return out


def _held_above(keys: np.ndarray, texts: np.ndarray, above: np.ndarray, at: np.ndarray, spread: np.ndarray) -> bool:
    """Whether, under every parent row with a value `above`, a row `at` its extreme holds it in
    `texts`, `MIN_ROWS` such parent rows holding two numbers or more."""
    held = pd.notna(above)
    if not held.any():
        return False
    hit = pd.Series(at & held & (texts == above)).groupby(keys).any()
    wanted = pd.Series(held).groupby(keys).any()
    if not hit[wanted].all():
        return False
    return len(pd.unique(keys[held & spread])) >= MIN_ROWS


def apply_parent_extremes(rules: list[dict], tables: dict[str, pd.DataFrame], pks: dict[str, str]) -> None:
    """Set (in place) each rule's parent column, in every parent row with child rows holding the
    number, to the label of its first child row of the extreme number."""
    for rule in rules:
        parent, rows = tables.get(rule["table"]), tables.get(rule["child"])
        if parent is None or rows is None or not len(rows) or rule["of"] not in rows or rule["column"] not in parent:
            continue
        first = rows.loc[_at_extreme(rows, rule)].drop_duplicates(rule["fk"])
        label = parent[pks[rule["table"]]].map(first.set_index(rule["fk"])[rule["label"]])
        column = parent[rule["column"]].astype(object).where(label.isna(), label.astype(object))
        try:
            parent[rule["column"]] = column.astype(parent[rule["column"]].dtype)
        except (TypeError, ValueError):
            parent[rule["column"]] = column


def _at_extreme(rows: pd.DataFrame, rule: dict) -> np.ndarray:
    """Per row of `rows`: whether its number `rule["of"]` is the `rule["how"]` of its parent row's
    (by `rule["fk"]`; a row without a key or a number never is)."""
    x = as_floats(rows[rule["of"]])
    frame = pd.DataFrame({"key": rows[rule["fk"]].to_numpy(), "x": x})
    extreme = frame.groupby("key", sort=False)["x"].transform(rule["how"]).to_numpy()
    return ~np.isnan(x) & (x == extreme)


def _extreme(keys: pd.Series, x: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Per row: whether it holds the `how` of `x` among its `keys` group's rows, and whether that
    group holds two numbers or more."""
    groups = pd.DataFrame({"key": keys.to_numpy(), "x": x}).groupby("key", sort=False, dropna=False)["x"]
    at = x == groups.transform(how).to_numpy()
    spread = (groups.transform("max") > groups.transform("min")).to_numpy()
    return at, spread


def _marks(keys: np.ndarray, marked: np.ndarray, at: np.ndarray, spread: np.ndarray) -> bool:
    """Whether every `marked` row is `at` its group's extreme, some rows go unmarked, and `MIN_ROWS`
    groups at least hold a marked row beside another number (`spread`)."""
    if not marked.any() or marked.all() or not at[marked].all():
        return False
    return len(pd.unique(keys[marked & spread])) >= MIN_ROWS


def apply_extreme_labels(rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Swap (in place) each rule's label between a marked row not holding its parent row's extreme
    number and an unmarked row holding it, under every parent row with such a pair."""
    for rule in rules:
        rows = tables.get(rule["table"])
        if rows is None or not len(rows) or rule["column"] not in rows or rule["of"] not in rows:
            continue
        at, keys = _at_extreme(rows, rule), rows[rule["fk"]].to_numpy()
        marked = (plain_texts(rows[rule["column"]]) == rule["value"]).to_numpy()
        wrong = pd.Series(np.flatnonzero(marked & ~at)).groupby(keys[marked & ~at])
        free = pd.Series(np.flatnonzero(~marked & at)).groupby(keys[~marked & at])
        free_at = {k: list(v) for k, v in free}
        labels = rows[rule["column"]].to_numpy(copy=True)
        for key, positions in wrong:
            for i, j in zip(positions, free_at.get(key, []), strict=False):
                labels[i], labels[j] = labels[j], labels[i]
        rows[rule["column"]] = pd.Series(labels, index=rows.index, dtype=rows[rule["column"]].dtype)

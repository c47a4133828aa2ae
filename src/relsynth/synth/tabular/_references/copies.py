"""Values copied across a reference: a column of the referencing row that holds a column of the
row it references (an order line's unit price is its product's price, 9 times in 10).

The model writes each row's own columns in bins, so it cannot write the exact value of another
entity's row; the references are drawn after it (`generate`). The fit keeps, per reference,
each column of the referencing table that equals a column of the referenced row (of the same
kind) in at least `MIN_SHARE` of the rows, clearly more often than two independent values would
(`chance`: Cohen's kappa at least `MIN_KAPPA`), and that share; generation then copies the referenced row's value into that share of
the rows, at random. Columns in an order (`orderings`: a date after another) are left alone:
their values are tied to their row's other columns.

Likewise down a nesting key (`fit.parent_copies`): an order's shipping city is its customer's city
(in every row of a Northwind export, where a small model wrote it for 69 % of generated orders).
The model reads the parent row but writes the child's value in its own slot; generation copies the
parent's value into as many more rows as the share asks beyond those the model already matched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.copies import MIN_ROWS, share_beyond_chance
from relsynth.relational.schema import Edge

_COPIED_KINDS = (Column.NUMERIC, Column.INTEGER, Column.CATEGORICAL, Column.BOOLEAN, Column.DATE, Column.DATETIME)


def copied_columns(pre, data: RelationalData, e: Edge, pos: np.ndarray) -> list[list]:
    """[[column of `e.child`, column of `e.parent`, share]] for the columns the referencing rows copy
    from the rows they reference (see the module docstring); at most one source per column. `pos`:
    per referencing row, the position of the row it references (-1: none)."""
    schema = data.schema
    child, parent = data[e.child], data[e.parent]
    known = pos >= 0
    if known.sum() < MIN_ROWS:
        return []
    out = []
    for col in copy_targets(pre, e.child):
        best, mine = None, child[col][known].reset_index(drop=True)
        # a key to its own table copies a value down the tree (a child's family name, its father's): the same column
        sources = [col] if e.child == e.parent else same_kind(schema, e.child, col, e.parent)
        for source in sources:
            theirs = parent[source].iloc[pos[known]].reset_index(drop=True)
            share = share_beyond_chance(mine, theirs)  # the same test as a text's copy of its parent's
            if share is not None and (best is None or share > best[2]):
                best = [col, source, round(share, 4)]
        if best is not None:
            out.append(best)
    return out


def copy_targets(pre, table: str) -> list[str]:
    """`table`'s modelled columns a value may be copied into: not keys, not context columns (given at
    generation), not in an order (a base or an ordered column of the table, nor a base its child
    tables' orders follow)."""
    ordered = {c for o in pre.orderings.get(table, {}).values() for c in (o.column, o.base, o.bound, o.cap) if c}
    ordered |= {b for child in pre.schema.children(table) for b in pre.parent_bases(child)}
    ordered |= pre.given_columns(table)
    kinds = pre.schema.tables[table].columns
    return [c for c in pre.modelled_columns(table) if c not in ordered and kinds[c].kind in _COPIED_KINDS]


def same_kind(schema, table: str, col: str, other: str) -> list[str]:
    """The columns of `other` of the same kind as `table.col` (held in the same dtype): the ones it may copy."""
    kind = schema.tables[table].columns[col].kind
    return [c for c, k in schema.tables[other].columns.items() if k.kind is kind]


@dataclass(frozen=True)
class DecidedBy:
    """A column an earlier column of its row decides (`dependencies`: a ship country, by its city):
    `pairs` maps that column's values, as text, to the value each decides, `values` gives them back
    as held; `movable`: the earlier column follows from no column and decides no other, so a copy may
    move it to a value deciding the copied one (the city, to one of the copied country's)."""

    of: str
    pairs: Mapping[str, str]
    values: Mapping[str, object]
    movable: bool


def decided_by(dependencies: list[dict], table: str) -> dict[str, DecidedBy]:
    """Column of `table` -> how the earlier column deciding it does (the fitted `dependencies` of `table`)."""
    rules = [d for d in dependencies if d["table"] == table]
    targets = {d["column"] for d in rules}
    out = {}
    for d in rules:
        deciding = sum(r["of"] == d["of"] for r in rules)
        out[d["column"]] = DecidedBy(
            of=d["of"],
            pairs={str(a): str(b) for a, b in d["pairs"]},
            values={str(a): a for a, _ in d["pairs"]},
            movable=d["of"] not in targets and deciding == 1,
        )
    return out


def _keeps_pair(of: pd.Series, copied: pd.Series, pairs: Mapping[str, str]) -> np.ndarray:
    """Per row, whether taking its `copied` value keeps the row's pair: its value of `of` decides no
    value in `pairs`, or the copied one."""
    says = of.astype(str).map(pairs).to_numpy(dtype=object)
    return pd.isna(says) | (says == copied.astype(str).to_numpy(dtype=object))


def _move_deciding(child: pd.DataFrame, col: str, rule: DecidedBy, rows: np.ndarray, rng: np.random.Generator) -> None:
    """The rows of `rows` whose earlier column `rule.of` decides another value than their copied `col`:
    that column drawn again (in place) among its values deciding the copied one, by their shares in
    `child` (one each added, so a value no row holds may be drawn)."""
    wrong = rows[~_keeps_pair(child[rule.of].iloc[rows], child[col].iloc[rows], rule.pairs)]
    if not len(wrong):
        return
    counts = child[rule.of].astype(str).value_counts()
    column = child[rule.of].copy()
    wanted = child[col].iloc[wrong].astype(str).to_numpy(dtype=object)
    for value in np.unique(wanted):
        options = [a for a, b in rule.pairs.items() if b == value]
        at = wrong[wanted == value]
        weights = np.array([counts.get(a, 0) + 1.0 for a in options])
        drawn = rng.choice(len(options), len(at), p=weights / weights.sum())
        column.iloc[at] = [rule.values[options[k]] for k in drawn]
    child[rule.of] = column


def copy_values(
    copies: list,
    child: pd.DataFrame,
    parent: pd.DataFrame,
    refs: pd.Series,
    parent_pk: str,
    rng: np.random.Generator,
    top_up: bool = False,
    held: Mapping[str, list] | None = None,
    own_table: bool = False,
    decided: Mapping[str, DecidedBy] | None = None,
) -> None:
    """Copy (in place) into `child` the referenced rows' values of each fitted copy: a share of the
    rows whose reference `refs` names a row of `parent` with a value to copy (the fit reads the
    share where both rows have one), drawn at random; `top_up`: the rows already equal to it count
    toward that share (a parent row the model read), the others copied to make it up. `held`:
    column -> the only values it may take (a category's); a parent value outside them is not copied
    (an order's status P, which its lines' status, O or F, never holds). `own_table`: `child` is
    `parent` and each copy its own column: a row copies the value its named row holds once that row's
    own copy is made, so a family name goes down every generation, not one. `decided`: column -> the
    earlier column of its row that decides it (`decided_by`): no row takes a value its own row's says
    otherwise (a ship country copied from the customer onto an order shipped to a city of another
    country), unless that column may move (`DecidedBy.movable`, not itself copied), which it then does
    to a value deciding the copied one (the city, to one of the customer's country)."""
    copied_cols = {c for c, _, _ in copies}
    pos = pd.Index(parent[parent_pk]).get_indexer(refs)
    named = np.flatnonzero(pos >= 0)  # none where the parent table got no rows (a small root)
    for col, source, share in copies:
        known = np.zeros(len(pos), dtype=bool)
        known[named] = parent[source].notna().to_numpy()[pos[named]]
        wanted = share * known.sum()  # rows equal to their parent's value, as in the data
        if values := (held or {}).get(col):  # the rows a copy may reach make them up
            known[named] &= parent[source].isin(values).to_numpy()[pos[named]]
        rule, move = (decided or {}).get(col), False
        if rule is not None and rule.of in child:
            copied = parent[source].iloc[pos[named]]
            keeps = _keeps_pair(child[rule.of].iloc[named], copied, rule.pairs)
            if move := rule.movable and rule.of not in copied_cols:  # ... or to rows whose deciding value moves
                keeps |= copied.astype(str).isin(set(rule.pairs.values())).to_numpy()
            known[named] &= keeps
        if top_up and known.any():
            same = np.zeros(len(pos), dtype=bool)
            same[known] = child[col].to_numpy()[known] == parent[source].to_numpy()[pos[known]]
            wanted -= same.sum()
            known &= ~same
        odds = min(1.0, max(0.0, wanted / known.sum())) if known.any() else 0.0
        rows = np.flatnonzero(known & (rng.random(len(pos)) < odds))
        if len(rows):
            column = child[col].copy()
            column.iloc[rows] = parent[source].iloc[pos[rows]].to_numpy()  # the same kind: the same dtype
            for _ in range(len(rows) if own_table else 0):  # one round a generation down, until none changes
                before = column.iloc[rows].reset_index(drop=True)
                column.iloc[rows] = column.iloc[pos[rows]].to_numpy()
                if column.iloc[rows].reset_index(drop=True).equals(before):
                    break
            child[col] = column
            if move:
                _move_deciding(child, col, rule, rows, rng)

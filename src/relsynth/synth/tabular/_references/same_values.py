"""Labels a referencing row shares with the row it names: a disposition's client lives in the district
of the account it names in 82 % of the rows, though a district holds 4 % of the accounts. The token
affinity keeps each (district, district) pair that meets often, but not the many pairs of other
districts, each too rare to tell from chance, so the pairing weighed a district's own accounts ~7
times and every other district's as much as chance: 21 to 30 % of generated dispositions kept their
district. The fit keeps, per pair of labels of one domain (one lookup's keys, or categories) of the
referencing row or of its parent row and of the referenced row, how much more often they are equal
than chance and how much less often unequal (`same_values`); pairing adds those log ratios
(`SameValues`) to the token affinities."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binom

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import parent_rows
from relsynth.relational.schema import Edge

MIN_ROWS = 50  # referencing rows holding both labels a share of equal ones is read from, at least
MIN_LIFT = 2.0  # equal at least this many times as often as chance
BY_CHANCE = 3e-5  # and as many equal rows at most this likely by chance (4 standard deviations' tail,
# counted exactly: with labels of a few rows each, 1 equal row in 60 passed 4 normal deviations, 2.5 % of seeds)


def label_columns(schema, table: str) -> dict[str, object]:
    """`table`'s label columns and their domain: a lookup's name for a key to it, "category" for a
    category, and a synthesised table's name for a key to it (the row it names is a label too: a
    client's district and its account's, where the districts are synthesised and both nest under one)."""
    out: dict[str, object] = {}
    for c, kind in schema.tables[table].columns.items():
        if kind.kind is Column.CATEGORICAL:
            out[c] = "category"
        elif kind.kind is Column.FOREIGN_KEY and kind.parent in schema.lookups:
            out[c] = ("lookup", kind.parent)
        elif kind.kind is Column.FOREIGN_KEY and kind.parent in schema.synth_tables:
            out[c] = ("rows", kind.parent)
    return out


def mine(tables, schema, table: str, column: str, of_parent: bool) -> pd.Series:
    """A label of each row of `table` (by position), its own or its parent row's."""
    if of_parent:
        return parent_rows(tables, schema, table, [column])[column]
    return tables[table][column].reset_index(drop=True)


def same_values(data: RelationalData, e: Edge, pos: np.ndarray) -> list[list]:
    """[column, of parent row, referenced column, log ratio when equal, log ratio when not] of each
    label of the referencing row (or of its parent row) and label of one domain of the referenced
    row that are equal in `MIN_ROWS` rows at least, `MIN_LIFT` times as often as chance and beyond
    it (`BY_CHANCE`, binomial): a disposition's client's district and its account's."""
    schema, known = data.schema, pos >= 0
    if known.sum() < MIN_ROWS or e.parent == e.child:
        return []
    theirs = label_columns(schema, e.parent)
    nest = schema.parent(e.child)
    candidates = [(c, False, d) for c, d in label_columns(schema, e.child).items() if c != e.fk]
    if nest is not None and nest.parent in schema.synth_tables:
        candidates += [(c, True, d) for c, d in label_columns(schema, nest.parent).items()]
    out = []
    for column, of_parent, domain in candidates:
        x = mine(data.data, schema, e.child, column, of_parent)[known].reset_index(drop=True)
        for other, their_domain in theirs.items():
            if their_domain != domain:
                continue
            if not set(x.dropna().unique()) & set(data[e.parent][other].dropna().unique()):
                continue  # labels of two categories that share no value (a ship mode, a brand): no rule, read fast
            y = data[e.parent][other].iloc[pos[known]].reset_index(drop=True)
            both = (x.notna() & y.notna()).to_numpy()
            if both.sum() < MIN_ROWS:
                continue
            a, b = x[both].astype(object).to_numpy(), y[both].astype(object).to_numpy()
            share = float((a == b).mean())
            pa, pb = pd.Series(a).value_counts(normalize=True), pd.Series(b).value_counts(normalize=True)
            chance = float((pa * pb.reindex(pa.index, fill_value=0.0)).sum())
            if chance <= 0 or share < MIN_LIFT * chance or share >= 1 or chance >= 1:
                continue
            if binom.sf(int((a == b).sum()) - 1, len(a), chance) >= BY_CHANCE:
                continue  # as many equal rows by chance: a few coincidences among many labels are no rule
            equal, unequal = np.log(share / chance), np.log((1 - share) / (1 - chance))
            out.append([column, of_parent, other, round(float(equal), 4), round(float(unequal), 4)])
    return out


class SameValues:
    """The log ratios `same_values` keeps, scored for generated rows: per rule, each pair of a
    referencing row and a referenced row scores its ratio when their labels are equal, else the other."""

    def __init__(self, rules: list, child: list[np.ndarray], parent: list[np.ndarray]):
        self.rules, self.child, self.parent = rules, child, parent

    @classmethod
    def of(cls, rules: list, tables, schema, e: Edge, rows: np.ndarray, targets: np.ndarray) -> SameValues | None:
        if not rules:
            return None
        child = [mine(tables, schema, e.child, r[0], r[1]).to_numpy(dtype=object)[rows] for r in rules]
        parent = [tables[e.parent][r[2]].to_numpy(dtype=object)[targets] for r in rules]
        return cls(rules, child, parent)

    def scores(self, children: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """(len(children), len(parents)) summed log ratios (positions in the rows and targets given)."""
        out = np.zeros((len(children), len(parents)))
        for rule, a, b in zip(self.rules, self.child, self.parent, strict=True):
            x, y = pd.Series(a[children]), pd.Series(b[parents])
            codes, _ = pd.factorize(pd.concat([x, y], ignore_index=True))  # a null: -1, equal to nothing
            cx, cy = codes[: len(x)], codes[len(x) :]
            equal = (cx[:, None] == cy[None, :]) & (cx[:, None] >= 0)
            out += np.where(equal, rule[3], rule[4])
        return out


class Summed:
    """Two scorers of pairs (`Affinity`, `SameValues`) as one; either may be None."""

    def __init__(self, *parts):
        self.parts = [p for p in parts if p is not None]

    @classmethod
    def of(cls, *parts) -> Summed | None:
        kept = [p for p in parts if p is not None]
        return None if not kept else kept[0] if len(kept) == 1 else cls(*kept)

    def scores(self, children: np.ndarray, parents: np.ndarray) -> np.ndarray:
        return sum(p.scores(children, parents) for p in self.parts)

"""Pairing rows by affinity: the tokens an affinity reads of a row (`feature_fields`,
`field_tokens`, a number's tokens in `n_groups` groups of neighbours by `coarse_tokens`), the
summed affinities of generated rows (`Affinity`) and the pairing of referencing rows with dealt
slots that they score (`pair_up`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from relsynth.relational import Column
from relsynth.relational.orders import DATED, as_numbers
from relsynth.synth.tabular._tables import child_counts
from relsynth.synth.tabular.encoders import CountPreproc, NumericPreproc
from relsynth.synth.tabular.grammar import PAD

BLOCK = 256  # referencing rows paired with slots per assignment
MAX_GROUPS = 32  # a number's tokens are read in at most this many groups of neighbouring values


def n_groups(n_pairs: int, min_count: int) -> int:
    """Groups a number's tokens are read in for an affinity: few for few pairs, so that a pair of
    groups is expected in `min_count` rows at least (2 to `MAX_GROUPS`)."""
    return int(np.clip(np.sqrt(n_pairs / (4 * min_count)), 2, MAX_GROUPS))


def coarse_tokens(pre, groups: int) -> np.ndarray:
    """Global token -> the token standing for it in an affinity: a number's value tokens (exact
    points and bins, in value order) fall in `groups` groups of neighbours, each read as its
    first token's id, a child count's in its powers of two (`count_groups`); every other token
    stands for itself."""
    out = np.arange(pre.vocab_size, dtype=np.int64)
    for slot in pre.slots:
        p = slot.preproc
        if isinstance(p, CountPreproc):
            out[slot.offset : slot.offset + p.n_tokens] = slot.offset + count_groups(p)
            continue
        if not isinstance(p, NumericPreproc) or p.n_tokens - 1 <= groups:
            continue
        edges = np.asarray(p.edges, dtype=np.float64)
        values = np.concatenate([np.asarray(p.points, dtype=np.float64), (edges[:-1] + edges[1:]) / 2])
        rank = np.argsort(np.argsort(values, kind="stable"), kind="stable")
        out[slot.offset + 1 : slot.offset + p.n_tokens] = slot.offset + 1 + (rank * groups) // len(values)
    return out


def count_groups(p: CountPreproc) -> np.ndarray:
    """Per token of a child count, its group: the count's power of two (0; 1; 2-3; 4-7; ...; a bin by
    its lowest count), so the few rows of a heavy tail's large counts are read together, not one by one
    nor in even slices of the counts, where nearly every row falls in the first."""
    lowest = np.concatenate([np.arange(p.n_exact), np.asarray(p.edges[:-1], dtype=np.float64)])[: p.n_tokens]
    return np.floor(np.log2(1 + lowest)).astype(np.int64)


def with_points_apart(tokens: np.ndarray, raw: np.ndarray, points) -> np.ndarray:
    """`tokens` (coarse) with each of `raw`'s exact `points` read apart from its group, as -1 - its
    token (no token id is negative): a null share then holds for the point alone."""
    points = np.asarray(list(points), dtype=np.int64)
    if not len(points):
        return tokens
    return np.where(np.isin(raw, points), -1 - raw, tokens)


def apart_points(shares) -> list[int]:
    """The exact points a null share was fitted for apart from their group (`with_points_apart`)."""
    return [-1 - int(t) for t, _ in shares if int(t) < 0]


def feature_fields(pre, table: str) -> list[int]:
    """Positions in `table`'s header of the fields an affinity reads: its modelled columns, not
    those modelled as offsets (`orderings`: their tokens mean something else in each row)."""
    offsets = {b for b, o in pre.orderings.get(table, {}).items() if not o.loose}  # a loose one holds its value
    columns = pre.schema.tables[table].columns  # not a field outside the schema (a series' calendar label)
    return [j for j, col in enumerate(pre.layouts[table].fields) if col in columns and col not in offsets]


def field_tokens(pre, table: str, df: pd.DataFrame) -> np.ndarray:
    """(rows, `feature_fields`) global token ids of `df`'s rows, as a header holds them."""
    layout = pre.layouts[table]
    cols = []
    for j in feature_fields(pre, table):
        slot = pre.slots[layout.slots[j]]
        cols.append(slot.offset + np.asarray(slot.preproc.encode(df[layout.fields[j]]), dtype=np.int64))
    return np.stack(cols, axis=1) if cols else np.zeros((len(df), 0), dtype=np.int64)


def count_fields(pre, table: str) -> list[int]:
    """Positions in `table`'s header of its child counts (one per child table, after its fields)."""
    layout = pre.layouts[table]
    return list(range(layout.n_fields, layout.header_len))


def count_tokens(pre, data, table: str) -> np.ndarray:
    """(rows, `count_fields`) global token ids of `table`'s rows' child counts in `data`, as a header holds them."""
    layout = pre.layouts[table]
    cols = []
    for j, child in zip(count_fields(pre, table), layout.children, strict=True):
        slot = pre.slots[layout.slots[j]]
        cols.append(
            slot.offset + np.asarray(slot.preproc.encode(child_counts(data, data.schema, child)), dtype=np.int64)
        )
    return np.stack(cols, axis=1) if cols else np.zeros((len(data[table]), 0), dtype=np.int64)


def with_parent_row(own: np.ndarray, parent: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(rows, fields + parent fields): a referencing row's affinity tokens (`own`) and those of the
    row it nests under (`parent`, at its position `at`; -1: none, read as PAD, in no affinity),
    which a link row holds few of its own beside (a bill of materials' component goes with the
    kind of the part it is nested under, not with its quantity)."""
    theirs = (
        np.where((at >= 0)[:, None], parent[np.maximum(at, 0)], PAD)
        if len(parent)
        else np.full((len(own), parent.shape[1]), PAD)
    )
    return np.concatenate([own, theirs], axis=1)


class Affinity:
    """How well each referencing row goes with each referenced row: the summed log ratios of their
    token pairs (`affinity`), over the generated rows' tokens."""

    def __init__(self, cells: list, child_tokens: np.ndarray, parent_tokens: np.ndarray):
        size = int(max(child_tokens.max(initial=0), parent_tokens.max(initial=0), *(max(c[:2]) for c in cells))) + 1
        index_a, index_b = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        rows, cols = sorted({int(c[0]) for c in cells}), sorted({int(c[1]) for c in cells})
        index_a[rows], index_b[cols] = np.arange(1, len(rows) + 1), np.arange(1, len(cols) + 1)
        table = np.zeros((len(rows) + 1, len(cols) + 1))  # row and column 0: no cell, no affinity
        for x, y, v in cells:
            table[index_a[int(x)], index_b[int(y)]] = v
        self.table = table
        self.child = index_a[child_tokens]  # (children, fields): rows of `table`
        self.parent = index_b[parent_tokens]  # (parents, fields): columns of `table`

    @classmethod
    def of(cls, cells: list, child_tokens: np.ndarray, parent_tokens: np.ndarray) -> Affinity | None:
        return cls(cells, child_tokens, parent_tokens) if cells else None

    def scores(self, children: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """(len(children), len(parents)) summed affinities."""
        rows = self.table[self.child[children]].sum(axis=1)  # (children, columns of `table`)
        return sum(rows[:, self.parent[parents, j]] for j in range(self.parent.shape[1]))


class ReferenceOrders:
    """Dates and numbers of a referencing row on or after (or on or before) its referenced row's
    (`reference_orders`: a payment after its rental, a salary within its job's range; a manager
    hired before their employees, `date_after`), some within a window of gaps (`lag_windows`: a
    child born 16 to 45 years after its mother): a pairing that breaks one costs `BROKEN`, more
    than any affinity and noise weigh, so they are kept where the block allows."""

    BROKEN = 1e3

    def __init__(
        self,
        child: np.ndarray,
        parent: np.ndarray,
        signs: np.ndarray,
        low: np.ndarray | None = None,
        high: np.ndarray | None = None,
    ):
        # (orders, rows) float, dates in nanoseconds (`as_numbers`), NaN: no value; (orders,) +1 / -1;
        # (orders,) the least and most gap `sign * (child - parent)` kept: 0 and inf for an order alone
        self.child, self.parent, self.signs = child, parent, signs
        self.low = np.zeros(len(signs)) if low is None else low
        self.high = np.full(len(signs), np.inf) if high is None else high

    @classmethod
    def of(
        cls,
        child: pd.DataFrame,
        parent: pd.DataFrame,
        orders: list,
        kinds: dict[str, Column],
        windows: list | None = None,
    ) -> ReferenceOrders:
        """`orders`: [child column, parent column, sign] of the columns of `child` and `parent`;
        `kinds`: the child columns' kinds (a parent column is of the same family); `windows`:
        [child column, parent column, sign, least, most] of the orders keeping a window of gaps."""
        kind = [Column.DATETIME if kinds[c] in DATED else Column.NUMERIC for c, _, _ in orders]
        window = {(c, p, s): (lo, hi) for c, p, s, lo, hi in windows or []}
        sides = [window.get((c, p, s), (None, None)) for c, p, s in orders]
        return cls(
            np.stack([as_numbers(child[c], k) for (c, _, _), k in zip(orders, kind, strict=True)]),
            np.stack([as_numbers(parent[p], k) for (_, p, _), k in zip(orders, kind, strict=True)]),
            np.array([s for _, _, s in orders], dtype=np.float64),
            np.array([0.0 if lo is None else lo for lo, _ in sides], dtype=np.float64),
            np.array([np.inf if hi is None else hi for _, hi in sides], dtype=np.float64),
        )

    def penalty(self, children: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """(len(children), len(parents)): -BROKEN per order a pairing breaks."""
        gap = self.child[:, children][:, :, None] - self.parent[:, parents][:, None, :]
        return -self.BROKEN * self._outside(
            gap, self.signs[:, None, None], self.low[:, None, None], self.high[:, None, None]
        ).sum(axis=0)

    def broken(self, children: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """(len(children),) whether child k paired with parent k breaks an order."""
        gap = self.child[:, children] - self.parent[:, parents]
        return self._outside(gap, self.signs[:, None], self.low[:, None], self.high[:, None]).any(axis=0)

    @staticmethod
    def _outside(gap: np.ndarray, signs: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """Whether each signed gap falls short of its order's least or past its most (NaN: neither)."""
        with np.errstate(invalid="ignore"):
            signed = signs * gap
            return (signed < low) | (signed > high)


def pair_up(
    rows: np.ndarray,
    targets: np.ndarray,
    affinity: Affinity | None,
    rng: np.random.Generator,
    order: ReferenceOrders | None = None,
) -> np.ndarray:
    """`targets` reordered so that target k goes with `rows[k]`: in random blocks of `BLOCK`, the
    pairing that maximises affinity plus Gumbel noise (likely pairs likely, not certain), breaking
    the `order` of dates and numbers where nothing else fits."""
    shuffled = rng.permutation(len(rows))
    out = targets.copy()
    for start in range(0, len(shuffled), BLOCK):
        block = shuffled[start : start + BLOCK]
        gain = rng.gumbel(size=(len(block), len(block)))
        if affinity is not None:
            gain = gain + affinity.scores(rows[block], targets[block])
        if order is not None:
            gain = gain + order.penalty(rows[block], targets[block])
        _, col = linear_sum_assignment(gain, maximize=True)
        out[block] = targets[block][col]
    return out

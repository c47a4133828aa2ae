"""References: foreign keys that do not nest their rows (`Schema.references`), such as an
invoice line's track when the line nests under its invoice.

The model does not write them. The fit keeps, per reference, the share of rows whose key is null,
how many rows reference each row of the referenced table (its *degree*: a track bought 0, 1 or 5
times) as quantiles, and which values of the two rows go together (*affinity*: a line's price
and its track's price): per pair of tokens, one of the referencing row and one of the referenced
row, how much more (or less) often they meet than chance, kept only where at least `min_count`
pairs are expected or seen (as rare categories are protected) and the difference is beyond
noise. Generation gives each synthetic referenced row a degree drawn from the quantiles, deals
out that many slots, and pairs the referencing rows with the slots in random blocks, each block
by an assignment that maximises the summed affinity plus Gumbel noise (a sample, not the single
best pairing). So the synthetic database keeps how often rows are referenced (a few tracks bought
often, most never) and which kind of row references which. A reference to its own table (an
employee's manager) only names an earlier row, so the references never form a cycle.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.stats import norm

from relsynth.relational import RelationalData
from relsynth.relational.schema import Edge
from relsynth.synth.tabular._copies import copied_columns, copy_values
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.grammar import PLACEHOLDER

log = logging.getLogger(__name__)

N_QUANTILES = 100  # degrees kept as this many quantiles: no single row's degree is stored
SHRINK = 1.0  # pseudo-count of an affinity's log ratio: a cell of few pairs says a little less
Z_KEPT = 2.0  # an affinity is kept when seen and expected pairs differ by this many standard deviations
BLOCK = 256  # referencing rows paired with slots per assignment
SHRINK_ROWS = 5.0  # pseudo-rows of a degree effect: a value of few rows says little
MIN_PAIRS = 20  # rows a reference needs for "no parent references a row twice" to be read from them
MAX_GROUPS = 32  # a number's tokens are read in at most this many groups of neighbouring values


def reference_stats(pre, data: RelationalData) -> dict[str, dict]:
    """ "table.fk" -> {"parent", "null_share", "degrees", "affinity"} for every reference of the schema."""
    schema, out = data.schema, {}
    for table in schema.synth_tables:
        for e in schema.references(table):
            values = data[table][e.fk]
            if data.partial:
                outside = values.notna() & ~values.isin(data[e.parent][schema.tables[e.parent].primary_key])
                if outside.mean() > 0.05:
                    log.warning(
                        "%s.%s: %.0f %% of the references name rows of another part of the database; fitted on a part "
                        "(a split, a sample), each %s row is seen referenced by this part's rows only, so rows look "
                        "less referenced than in the whole database",
                        table,
                        e.fk,
                        100 * outside.mean(),
                        e.parent,
                    )
            keys = data[e.parent][schema.tables[e.parent].primary_key]
            per_key = values.dropna().value_counts()
            degrees = per_key.reindex(pd.Index(keys), fill_value=0).to_numpy(dtype=np.int64)
            levels = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
            quantiles = np.quantile(degrees, levels, method="inverted_cdf") if len(degrees) else np.zeros(0)
            groups = n_groups(int(values.notna().sum()), pre.min_count)
            effects, rho = degree_effects(pre, e.parent, data[e.parent], degrees, coarse_tokens(pre, groups))
            out[f"{table}.{e.fk}"] = {
                "parent": e.parent,
                "null_share": float(values.isna().mean()) if len(values) else 0.0,
                "degrees": [int(d) for d in quantiles],
                "groups": groups,
                "unique_pairs": unique_pairs(data, e),
                "within": within(data, e),
                "degree_effects": effects,
                "degree_copula": rho,
                "affinity": [] if e.parent == table else affinity(pre, data, e, coarse_tokens(pre, groups)),
                "copies": copied_columns(pre, data, e),
            }
    return out


def nest_chain(schema, table: str) -> list[str]:
    """`table` and the tables it nests under, nearest first (item, order, customer)."""
    chain = [table]
    while (edge := schema.parent(chain[-1])) is not None:
        chain.append(edge.parent)
    return chain


def ancestor_keys(schema, tables, table: str, ancestor: str) -> pd.Series:
    """Each row of `tables[table]`'s key of the `ancestor` row it nests under (its own key when
    `table` is `ancestor`), by position; `tables`: a RelationalData or a dict of frames."""
    if table == ancestor:
        return tables[table][schema.tables[table].primary_key].reset_index(drop=True)
    edge = schema.parent(table)
    keys, t = tables[table][edge.fk], edge.parent
    while t != ancestor:  # one level up: the key of the row above the row named
        edge = schema.parent(t)
        keys, t = keys.map(tables[t].set_index(schema.tables[t].primary_key)[edge.fk]), edge.parent
    return keys.reset_index(drop=True)


def within(data: RelationalData, e: Edge) -> str | None:
    """The table under one row of which every reference of `e` stays in the data (an order's
    shipping address is one of its own customer's), when `e.child` and `e.parent` nest under a
    common table and at least `MIN_PAIRS` references were read: generation then keeps each
    reference under its own row of that table. None otherwise."""
    schema = data.schema
    if e.parent == e.child:
        return None
    above = set(nest_chain(schema, e.parent))
    scope = next((t for t in nest_chain(schema, e.child)[1:] if t in above), None)
    if scope is None:
        return None
    pos = pd.Index(data[e.parent][schema.tables[e.parent].primary_key]).get_indexer(data[e.child][e.fk])
    known = pos >= 0
    if known.sum() < MIN_PAIRS:
        return None
    mine = ancestor_keys(schema, data, e.child, scope).to_numpy()[known]
    theirs = ancestor_keys(schema, data, e.parent, scope).to_numpy()[pos[known]]
    return scope if bool((mine == theirs).all()) else None


def degree_effects(
    pre, table: str, rows: pd.DataFrame, degrees: np.ndarray, coarse: np.ndarray
) -> tuple[list[list[float]], float]:
    """Which values of a referenced row go with being referenced more or less often (an invoice's
    total with its number of lines): per token seen in `min_count` rows at least, the shrunk mean of
    log(1 + degree) of its rows above the overall mean; and the copula correlation at which
    generation (`ranked`) reproduces the rank correlation between a row's summed effects and its
    degree."""
    if len(rows) < 2:
        return [], 0.0
    tokens = coarse[field_tokens(pre, table, rows)]
    y = np.log1p(degrees) - np.log1p(degrees).mean()
    effects: dict[int, float] = {}
    for j in range(tokens.shape[1]):
        values, inverse, counts = np.unique(tokens[:, j], return_inverse=True, return_counts=True)
        means = np.bincount(inverse, weights=y) / (counts + SHRINK_ROWS)
        effects.update({int(v): float(m) for v, m, n in zip(values, means, counts, strict=True) if n >= pre.min_count})
    scores = effect_scores(effects, tokens)
    if np.std(scores) == 0 or np.std(degrees) == 0:
        return [], 0.0
    rho = float(pd.Series(scores).corr(pd.Series(degrees), method="spearman"))
    return [[t, round(m, 4)] for t, m in effects.items() if m], round(copula_for(scores, degrees, rho), 4)


def copula_for(scores: np.ndarray, degrees: np.ndarray, rho: float) -> float:
    """The copula correlation at which `ranked` gives the training rows' degrees a rank correlation
    `rho` with their scores (ties, as a yes/no value's, make it differ from the textbook formula)."""
    if rho <= 0:
        return 0.0
    grid = np.linspace(0.0, 0.995, 40)
    rng = np.random.default_rng(0)
    drawn = rng.permutation(degrees)  # as generation draws them: in random order
    reached = [pd.Series(scores).corr(pd.Series(ranked(drawn, scores, r, rng)), method="spearman") for r in grid]
    return float(grid[int(np.argmin(np.abs(np.asarray(reached) - rho)))])


def effect_scores(effects: dict[int, float], tokens: np.ndarray) -> np.ndarray:
    """Each row's summed degree effects (`degree_effects`) over its tokens."""
    lookup = np.vectorize(lambda t: effects.get(int(t), 0.0), otypes=[float])
    return lookup(tokens).sum(axis=1) if tokens.size else np.zeros(len(tokens))


def ranked(weights: np.ndarray, scores: np.ndarray, r: float, rng: np.random.Generator) -> np.ndarray:
    """`weights` (degrees drawn) given out by a Gaussian copula of correlation `r` with the rows'
    `scores`: larger degrees to rows of larger scores, the more so the larger `r` (`copula_for`)."""
    n = len(weights)
    if r <= 0 or n < 2 or np.std(scores) == 0:
        return weights
    rank = pd.Series(scores + rng.random(n) * 1e-9).rank().to_numpy()
    z = r * norm.ppf((rank - 0.5) / n) + np.sqrt(1 - r * r) * rng.standard_normal(n)
    out = np.empty(n)
    out[np.argsort(z, kind="stable")] = np.sort(weights)
    return out


def n_groups(n_pairs: int, min_count: int) -> int:
    """Groups a number's tokens are read in for an affinity: few for few pairs, so that a pair of
    groups is expected in `min_count` rows at least (2 to `MAX_GROUPS`)."""
    return int(np.clip(np.sqrt(n_pairs / (4 * min_count)), 2, MAX_GROUPS))


def coarse_tokens(pre, groups: int) -> np.ndarray:
    """Global token -> the token standing for it in an affinity: a number's value tokens (exact
    points and bins, in value order) fall in `groups` groups of neighbours, each read as its
    first token's id; every other token stands for itself."""
    out = np.arange(pre.vocab_size, dtype=np.int64)
    for slot in pre.slots:
        p = slot.preproc
        if not isinstance(p, NumericPreproc) or p.n_tokens - 1 <= groups:
            continue
        edges = np.asarray(p.edges, dtype=np.float64)
        values = np.concatenate([np.asarray(p.points, dtype=np.float64), (edges[:-1] + edges[1:]) / 2])
        rank = np.argsort(np.argsort(values, kind="stable"), kind="stable")
        out[slot.offset + 1 : slot.offset + p.n_tokens] = slot.offset + 1 + (rank * groups) // len(values)
    return out


def feature_fields(pre, table: str) -> list[int]:
    """Positions in `table`'s header of the fields an affinity reads: its modelled columns, not
    those modelled as offsets (`orderings`: their tokens mean something else in each row)."""
    ordered = pre.orderings.get(table, {})
    return [j for j, col in enumerate(pre.layouts[table].fields) if col != PLACEHOLDER and col not in ordered]


def field_tokens(pre, table: str, df: pd.DataFrame) -> np.ndarray:
    """(rows, `feature_fields`) global token ids of `df`'s rows, as a header holds them."""
    layout = pre.layouts[table]
    cols = []
    for j in feature_fields(pre, table):
        slot = pre.slots[layout.slots[j]]
        cols.append(slot.offset + np.asarray(slot.preproc.encode(df[layout.fields[j]]), dtype=np.int64))
    return np.stack(cols, axis=1) if cols else np.zeros((len(df), 0), dtype=np.int64)


def affinity(pre, data: RelationalData, e: Edge, coarse: np.ndarray) -> list[list[float]]:
    """[[token of the referencing row, token of the referenced row, log ratio seen / expected]] for
    the pairs of values that meet more or less often than chance (see the module docstring);
    tokens as `coarse` reads them."""
    child, parent = data[e.child], data[e.parent]
    pos = pd.Index(parent[data.schema.tables[e.parent].primary_key]).get_indexer(child[e.fk])
    known = pos >= 0  # not null, and in this part of the database
    a = coarse[field_tokens(pre, e.child, child[known])]
    b = coarse[field_tokens(pre, e.parent, parent)[pos[known]]]
    out: list[list[float]] = []
    if len(a) == 0:
        return out
    for i in range(a.shape[1]):
        ca, ia, na = np.unique(a[:, i], return_inverse=True, return_counts=True)
        for j in range(b.shape[1]):
            cb, ib, nb = np.unique(b[:, j], return_inverse=True, return_counts=True)
            observed = np.zeros((len(ca), len(cb)))
            np.add.at(observed, (ia, ib), 1)
            observed[observed < pre.min_count] = 0  # a rare pair is not told apart from none
            expected = na[:, None] * nb[None, :] / len(a)
            wide = (expected >= pre.min_count) | (observed >= pre.min_count)
            clear = np.abs(observed - expected) > Z_KEPT * np.sqrt(np.maximum(expected, 1.0))
            ratio = np.log((observed + SHRINK) / (expected + SHRINK))
            for x, y in zip(*np.nonzero(wide & clear), strict=True):
                out.append([int(ca[x]), int(cb[y]), round(float(ratio[x, y]), 4)])
    return out


def assign_references(
    pre,
    tables: dict[str, pd.DataFrame],
    keys: dict[str, pd.Series],
    headers: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> None:
    """Fill every reference column of the generated `tables` (in place) with keys of the rows
    generated for its referenced table (`keys`), following the fitted `pre.stats["references"]`
    (`reference_stats`; none: every row equally often, no nulls); `headers`: each table's rows'
    header tokens, which the affinity scores."""
    schema, stats = pre.schema, pre.stats.get("references", {})
    for table in schema.synth_tables:
        for e in schema.references(table):
            tables[table][e.fk] = assign_reference(pre, tables, keys, headers, rng, e)
            copies = (stats.get(f"{table}.{e.fk}") or {}).get("copies") or []
            pk = schema.tables[e.parent].primary_key
            copy_values(copies, tables[table], tables[e.parent], tables[table][e.fk], pk, rng)


def assign_reference(
    pre,
    tables: dict[str, pd.DataFrame],
    keys: dict[str, pd.Series],
    headers: dict[str, np.ndarray],
    rng: np.random.Generator,
    e: Edge,
) -> pd.Series:
    """The keys of reference `e` for the generated rows of `e.child` (`assign_references`)."""
    schema, table = pre.schema, e.child
    fitted = pre.stats.get("references", {}).get(f"{table}.{e.fk}") or {}
    null_share = float(fitted.get("null_share", 0.0))
    if len(keys[e.parent]) == 0 and len(tables[table]) and null_share < 1.0:
        warn_nothing_to_name(e.child, e.fk, e.parent, len(tables[table]), null_share)
    coarse = coarse_tokens(pre, int(fitted.get("groups", MAX_GROUPS)))
    pick = [
        coarse[headers[table][:, feature_fields(pre, table)]],
        coarse[headers[e.parent][:, feature_fields(pre, e.parent)]],
    ]
    cells = fitted.get("affinity") or []
    scores = effect_scores({int(t): m for t, m in fitted.get("degree_effects") or []}, pick[1])
    nest = schema.parent(table)
    groups = tables[table][nest.fk] if fitted.get("unique_pairs") and nest is not None else None

    def draw(rows: np.ndarray, targets: np.ndarray) -> pd.Series:
        """Keys for the generated rows `rows` among the referenced rows `targets` (positions)."""
        return draw_references(
            len(rows),
            keys[e.parent].iloc[targets].reset_index(drop=True),
            null_share=null_share,
            degrees=np.asarray(fitted.get("degrees") or [1], dtype=np.float64),
            rng=rng,
            own_table=e.parent == table,
            affinity=Affinity.of(cells, pick[0][rows], pick[1][targets]),
            parent_scores=scores[targets],
            copula=float(fitted.get("degree_copula", 0.0)),
            # a row can be linked once per parent row at most: never a degree above their number
            max_degree=None if groups is None else int(groups.iloc[rows].nunique()),
        )

    if scope := fitted.get("within"):
        mine, theirs = (
            ancestor_keys(schema, tables, table, scope),
            ancestor_keys(schema, tables, e.parent, scope),
        )
        drawn = draw_within(mine, theirs, draw, f"{table}.{e.fk}", scope)
    else:
        drawn = draw(np.arange(len(tables[table])), np.arange(len(keys[e.parent])))
        if groups is not None:  # unscoped only: a swap could move a key out from under its scope row
            drawn = without_repeats(groups, drawn, rng)
    return drawn


def unique_links(data: RelationalData) -> dict[str, list[str]]:
    """table -> its foreign keys, parent first, for the tables without a primary key (link tables:
    product_tag -> product, tag) that never repeat them together in `MIN_PAIRS` rows at least.
    The model writes a lookup's key as a category, so it can repeat one, and a reference dealt to
    almost every parent row can be left repeated (`without_repeats`): generation drops such rows
    (`drop_repeated_links`), which nothing references."""
    schema, out = data.schema, {}
    for table in schema.synth_tables:
        nest = schema.parent(table)
        if schema.tables[table].primary_key is not None or nest is None:
            continue
        cols = [nest.fk, *(c for c in schema.tables[table].foreign_keys if c != nest.fk)]
        pairs = data[table][cols].dropna()
        if len(cols) > 1 and len(pairs) >= MIN_PAIRS and not pairs.duplicated().any():
            out[table] = cols
    return out


def drop_repeated_links(pre, tables: dict[str, pd.DataFrame]) -> None:
    """Drop (in place) the generated rows that repeat keys `unique_links` found never repeated; a
    table without a primary key has no rows referencing it, so nothing else changes."""
    for table, cols in pre.stats.get("unique_links", {}).items():
        repeated = tables[table].duplicated(subset=cols).to_numpy() & tables[table][cols].notna().all(axis=1).to_numpy()
        if repeated.any():
            log.info(
                "%s: %d generated row(s) repeating %s dropped (the data never does)", table, int(repeated.sum()), cols
            )
            tables[table] = tables[table][~repeated].reset_index(drop=True)


def draw_within(mine: pd.Series, theirs: pd.Series, draw, name: str, scope: str) -> pd.Series:
    """References kept under their own row of the `scope` table (`within`): each generated row's
    key is drawn (`draw(rows, targets)`, positions) among the referenced rows whose scope key
    (`theirs`) is the row's own (`mine`); a row whose scope row got no referenced row draws
    among all of them, and how many did is logged."""
    codes, _ = pd.factorize(pd.concat([mine, theirs], ignore_index=True))
    own, other = codes[: len(mine)], codes[len(mine) :]
    targets = pd.Series(np.arange(len(other))).groupby(other).indices if len(other) else {}
    pieces, homeless = [], [np.flatnonzero(own < 0)]
    for code, rows in (pd.Series(np.arange(len(own))).groupby(own).indices if len(own) else {}).items():
        if code < 0:
            continue
        if code not in targets:
            homeless.append(rows)
            continue
        pieces.append(draw(rows, targets[code]).set_axis(rows))
    rows = np.concatenate(homeless)
    if len(rows) or not pieces:
        pieces.append(draw(rows, np.arange(len(other))).set_axis(rows))
        if len(rows) and len(other):
            log.warning(
                "%s: %d of %d rows' %s row got no row to name, so their keys name rows under another %s "
                "(in the data every key stays under its own)",
                name,
                len(rows),
                len(own),
                scope,
                scope,
            )
    return pd.concat(pieces).sort_index().reset_index(drop=True)


def unique_pairs(data: RelationalData, e: Edge) -> bool:
    """Whether no parent row of `e.child` references one row twice through `e` (an actor is in a film
    once), seen in at least `MIN_PAIRS` rows: then generation keeps it so."""
    nest = data.schema.parent(e.child)
    if nest is None or e.parent == e.child:
        return False
    pairs = data[e.child][[nest.fk, e.fk]].dropna()
    return len(pairs) >= MIN_PAIRS and not pairs.duplicated().any()


def without_repeats(groups: pd.Series, refs: pd.Series, rng: np.random.Generator, passes: int = 20) -> pd.Series:
    """`refs` with the references a group (a parent row) repeats swapped with those of random other
    rows where neither group then repeats one: the degrees stay as they were. Repeats that random
    partners leave (a row named by almost every group has few) are swapped with a partner searched
    among all rows."""
    g, _ = pd.factorize(groups)
    r, uniques = pd.factorize(refs)  # null: -1, left alone
    width = len(uniques) + 1

    def key(group, ref):
        return group * width + ref + 1

    count = pd.Series(key(g, r)).value_counts().to_dict()

    def swap(i: int, j: int) -> bool:
        a, b = key(g[i], r[j]), key(g[j], r[i])
        if r[j] < 0 or r[i] == r[j] or count.get(a, 0) or count.get(b, 0):
            return False
        for old, new in ((key(g[i], r[i]), a), (key(g[j], r[j]), b)):
            count[old] -= 1
            count[new] = count.get(new, 0) + 1
        r[i], r[j] = r[j], r[i]
        return True

    def repeated() -> np.ndarray:
        return np.flatnonzero(pd.Series(key(g, r)).duplicated().to_numpy() & (r >= 0))

    for _ in range(passes):
        if not len(rows := repeated()):
            break
        for i, j in zip(rows, rng.integers(0, len(r), len(rows)), strict=True):
            swap(i, j)
    for i in repeated():  # the few left: a partner whose group lacks this key, found among all rows
        taken = np.array([count.get(k, 0) > 0 for k in key(g, r[i])]) | np.array(
            [count.get(k, 0) > 0 for k in key(g[i], r)]
        )
        partners = np.flatnonzero(~taken & (r >= 0))
        if len(partners):
            swap(i, int(rng.choice(partners)))
    return pd.Series(pd.array([uniques[k] if k >= 0 else pd.NA for k in r], dtype=refs.dtype), index=refs.index)


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


def pair_up(rows: np.ndarray, targets: np.ndarray, affinity: Affinity, rng: np.random.Generator) -> np.ndarray:
    """`targets` reordered so that target k goes with `rows[k]`: in random blocks of `BLOCK`, the
    pairing that maximises affinity plus Gumbel noise (likely pairs likely, not certain)."""
    order = rng.permutation(len(rows))
    out = targets.copy()
    for start in range(0, len(order), BLOCK):
        block = order[start : start + BLOCK]
        gain = affinity.scores(rows[block], targets[block]) + rng.gumbel(size=(len(block), len(block)))
        _, col = linear_sum_assignment(gain, maximize=True)
        out[block] = targets[block][col]
    return out


def warn_nothing_to_name(table: str, fk: str, parent: str, n_rows: int, null_share: float) -> None:
    """A referenced table generated empty leaves every key of the reference null: said, not silent
    (a few entities over several root tables can give a small root none)."""
    log.warning(
        "%s.%s: no %s row was generated, so all %d of its keys are null (%.0f%% in the data): generate more "
        "entities so that %r gets rows (each root table gets its share of n_samples; ctx generates entities of "
        "the first root table only)",
        table,
        fk,
        parent,
        n_rows,
        100 * null_share,
        parent,
    )


def draw_references(
    n_rows: int,
    parent_keys: pd.Series,
    null_share: float,
    degrees: np.ndarray,
    rng: np.random.Generator,
    own_table: bool = False,
    affinity: Affinity | None = None,
    parent_scores: np.ndarray | None = None,
    copula: float = 0.0,
    max_degree: int | None = None,
) -> pd.Series:
    """`n_rows` keys among `parent_keys`: a share `null_share` null, the others dealt out so each
    parent row is named about as often as a degree drawn from `degrees` (quantiles) says, and
    (`affinity`) to rows they go with; `parent_scores`: the degrees go to the parent rows by
    their degree effects, by a copula of correlation `copula` (`ranked`); `max_degree`: no parent row
    named more often. `own_table`: row i names an earlier row only (row 0 none)."""
    out = pd.Series([pd.NA] * n_rows, dtype=parent_keys.dtype)
    present = np.flatnonzero(rng.random(n_rows) >= null_share)
    if len(parent_keys) == 0 or len(present) == 0:
        return out
    weights = stratified(degrees, len(parent_keys), rng)
    if parent_scores is not None:
        weights = ranked(weights, parent_scores, copula, rng)
    targets = deal(len(present), weights, rng, cap=max_degree)
    if affinity is not None:
        targets = pair_up(present, targets, affinity, rng)
    if own_table:  # a row naming itself or a later row names an earlier one instead; row 0 none
        late = targets >= present
        targets[late] = (rng.random(int(late.sum())) * present[late]).astype(np.int64)
        present, targets = present[present > 0], targets[present > 0]
    out.iloc[present] = parent_keys.to_numpy()[targets]
    return out


def stratified(quantiles: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` draws from the distribution the `quantiles` describe, one from each of `n` equal slices of
    it, in random order: a small table gets the shape too (7 employees, not 7 independent draws)."""
    levels = (rng.permutation(n) + rng.random(n)) / n
    return quantiles[np.minimum((levels * len(quantiles)).astype(np.int64), len(quantiles) - 1)]


def deal(m: int, weights: np.ndarray, rng: np.random.Generator, cap: int | None = None) -> np.ndarray:
    """`m` parent indices in random order, parent i about `weights[i] * m / sum(weights)` times:
    the share rounded at random, then the few left over (or too many) drawn by weight; none more
    than `cap` times where the others have room (`capped`)."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    p = weights / weights.sum()
    want = p * m
    counts = np.floor(want).astype(np.int64)
    counts += rng.random(len(want)) < want - counts
    diff = m - int(counts.sum())
    if diff > 0:
        counts += rng.multinomial(diff, p)
    elif diff < 0:  # drop -diff of the dealt slots, each equally likely
        dropped = rng.choice(np.repeat(np.arange(len(counts)), counts), size=-diff, replace=False)
        np.subtract.at(counts, dropped, 1)
    if cap is not None:
        counts = capped(counts, p, cap, rng)
    targets = np.repeat(np.arange(len(counts)), counts)
    rng.shuffle(targets)
    return targets


def capped(counts: np.ndarray, p: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    """`counts` with none above `cap` where the others have room: the excess dealt again by `p`
    to the rows below it, until none is over (the total stays the same)."""
    counts = counts.copy()
    for _ in range(100):  # each round deals the excess again; a round that overshoots leaves less
        excess, room = int(np.maximum(counts - cap, 0).sum()), np.maximum(cap - counts, 0)
        if excess == 0 or not room.any():
            break
        counts = np.minimum(counts, cap)
        q = np.where(room > 0, p, 0.0)
        q = q if q.sum() > 0 else room.astype(np.float64)
        counts += rng.multinomial(excess, q / q.sum())
    return counts

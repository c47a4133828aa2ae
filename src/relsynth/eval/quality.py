"""Distribution quality of a synthetic database against a real one, scored 0–100 with sdmetrics.

- column shapes: sdmetrics `KSComplement` (continuous) / `TVComplement` (discrete), nulls counted
  as a value of their own (a category; for continuous columns a point below every value, which
  makes the KS statistic that of the mixed distribution);
- column-pair trends: `CorrelationSimilarity` (two continuous columns) / `ContingencySimilarity`
  (otherwise, continuous columns binned on the real data's histogram edges), as in sdmetrics'
  QualityReport, on at most `max_pairs` pairs per table;
- cardinality: per parent -> child edge, `KSComplement` between the children-per-parent counts
  (parents with no child count as 0, sdmetrics' `CardinalityShapeSimilarity`), with the
  `TVComplement` of the same counts beside it;
- parent -> child trends: pair trends between a parent column and a child column on the child
  rows joined to their parent (sdmetrics' `InterTableTrends`);
- the ceiling's noise (`ceiling_noise`): a bootstrap interval over the held-out root entities of
  the column-shape and cardinality scores of held-out against training data.

Nothing in the data makes it raise: what cannot be compared scores 0 when one side has nothing
to offer, None when there is nothing to compare at all, and says why in a warning.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.stats import norm
from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity
from sdmetrics.single_column import KSComplement, TVComplement
from sdmetrics.utils import get_cardinality_distribution

from relsynth.eval._common import (
    CONTINUOUS,
    NULL,
    Notes,
    check_same_schema,
    column_roles,
    encode,
    mean,
    pct,
    plain,
    rnd,
    subsample,
)
from relsynth.relational import Edge, RelationalData

N_BINS = 10  # histogram bins of a continuous column when paired with a discrete one
MAX_CATEGORIES = 2000  # above this, TVComplement is computed vectorised


# ---- single columns ------------------------------------------------------------------------
def column_shape(real: pd.Series, synth: pd.Series, role: str) -> tuple[str, float]:
    """(metric name, 0–1 score) for one encoded column; both sides must have rows."""
    if role == CONTINUOUS:
        return "KSComplement", _ks_with_nulls(real.to_numpy(float), synth.to_numpy(float))
    return "TVComplement", tv_complement(real, synth)


def tv_complement(real: pd.Series, synth: pd.Series) -> float:
    """sdmetrics' TVComplement; past `MAX_CATEGORIES` the same formula vectorised (sdmetrics' is quadratic)."""
    if real.nunique() + synth.nunique() <= MAX_CATEGORIES:
        return float(TVComplement.compute(real, synth))
    p, q = real.value_counts(normalize=True), synth.value_counts(normalize=True)
    p, q = p.align(q, fill_value=0.0)
    return float(1.0 - 0.5 * np.abs(p - q).sum())


def _ks_with_nulls(real: np.ndarray, synth: np.ndarray) -> float:
    """KSComplement where a null is a value below all others, so null rates count too."""
    values = np.concatenate([real, synth])
    finite = values[np.isfinite(values)]
    lo, hi = (finite.min(), finite.max()) if len(finite) else (0.0, 0.0)
    sentinel = lo - (hi - lo) - 1.0
    fill = lambda a: np.where(np.isfinite(a), a, sentinel)  # noqa: E731
    return float(KSComplement.compute(fill(real), fill(synth)))


def _column_details(real: pd.DataFrame, synth: pd.DataFrame, roles: dict[str, str], where: str, notes: Notes) -> dict:
    out = {}
    for col, role in roles.items():
        null_r, null_s = _null_rate(real[col], role), _null_rate(synth[col], role)
        metric = "KSComplement" if role == CONTINUOUS else "TVComplement"
        if len(real) and len(synth):
            if (null_r == 1.0) != (null_s == 1.0):
                side = "real" if null_r == 1.0 else "synthetic"
                notes.warn(f"{where}.{col}: every {side} value is null; its shape is compared with nulls as a value")
            metric, score = column_shape(real[col], synth[col], role)
            score = pct(score)
        else:
            score = 0.0 if len(real) or len(synth) else None
        out[col] = {"metric": metric, "score": score, "null_rate_real": null_r, "null_rate_synth": null_s}
    return out


def _null_rate(s: pd.Series, role: str) -> float | None:
    if not len(s):
        return None
    nulls = s.isna() if role == CONTINUOUS else s.eq(NULL)
    return rnd(nulls.mean())


# ---- column pairs --------------------------------------------------------------------------
def pair_trend(real: pd.DataFrame, synth: pd.DataFrame, roles: dict[str, str]) -> tuple[str, float]:
    """(metric name, 0–1 score) for two encoded columns (the frames' two columns); both sides have rows."""
    a, b = real.columns
    if roles[a] == roles[b] == CONTINUOUS:
        score = _correlation(real, synth)
        if score is not None:
            return "CorrelationSimilarity", score
    real, synth = real.copy(), synth.copy()
    for col in (a, b):
        if roles[col] == CONTINUOUS:
            edges = bin_edges(real[col].to_numpy(float))
            real[col], synth[col] = np.digitize(real[col], edges), np.digitize(synth[col], edges)  # NaN: own bin
    return "ContingencySimilarity", float(ContingencySimilarity.compute(real, synth))


def bin_edges(values: np.ndarray) -> np.ndarray:
    """`N_BINS` equal-width bins over the finite real values (as sdmetrics' `discretize_column`), open-ended.

    Falls back to one bin per distinct value where the range is too narrow for `N_BINS` bins.
    """
    finite = values[np.isfinite(values)]
    try:
        edges = np.histogram_bin_edges(finite, bins=N_BINS) if len(finite) else np.array([0.0, 1.0])
    except ValueError:  # e.g. one value of large magnitude: no room for N_BINS distinct edges
        edges = np.unique(finite)
    edges = np.concatenate([[-np.inf], edges[1:-1], [np.inf]]) if len(edges) > 1 else np.array([-np.inf, np.inf])
    return edges


def _correlation(real: pd.DataFrame, synth: pd.DataFrame) -> float | None:
    """CorrelationSimilarity, or None where a correlation is undefined (constant or < 2 rows)."""
    r, s = real.dropna(), synth.dropna()
    if len(r) < 3 or len(s) < 3 or (r.nunique() < 2).any() or (s.nunique() < 2).any():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            score = float(CorrelationSimilarity.compute(r, s, coefficient="Pearson"))
        except Exception:  # sdmetrics/scipy refuse degenerate input: fall back to contingency
            return None
    return None if np.isnan(score) else score


def _pairs(pairs: list[tuple[str, str]], max_pairs: int, seed: int) -> list[tuple[str, str]]:
    if len(pairs) <= max_pairs:
        return pairs
    keep = np.random.default_rng(seed).choice(len(pairs), size=max_pairs, replace=False)
    return [pairs[i] for i in sorted(keep)]


def _pair_details(
    real: pd.DataFrame, synth: pd.DataFrame, roles: dict[str, str], pairs: list[tuple[str, str]]
) -> list[dict]:
    out = []
    for a, b in pairs:
        if len(real) and len(synth):
            metric, score = pair_trend(real[[a, b]], synth[[a, b]], roles)
            score = pct(score)
        else:
            metric, score = "", 0.0 if len(real) or len(synth) else None
        out.append({"columns": [a, b], "metric": metric, "score": score})
    return out


# ---- tables --------------------------------------------------------------------------------
def _empty_note(name: str, n_real: int, n_synth: int, notes: Notes) -> None:
    if n_real and not n_synth:
        notes.warn(f"table {name!r}: the synthetic table has no rows; its scores are 0")
    elif n_synth and not n_real:
        notes.warn(f"table {name!r}: the real table has no rows; its scores are 0")
    elif not n_real and not n_synth:
        notes.warn(f"table {name!r}: both tables are empty; nothing to score")


def table_quality(
    real: RelationalData,
    synth: RelationalData,
    table: str,
    notes: Notes,
    max_pairs: int,
    max_rows: int,
    seed: int,
    unscored: frozenset[str] = frozenset(),
) -> dict:
    """Column shapes and pair trends of one table (None for a table of `unscored`)."""
    roles = column_roles(real.schema, table)
    r, s = encode(real[table], roles), encode(synth[table], roles)
    if table not in unscored:
        _empty_note(table, len(r), len(s), notes)
    columns = _column_details(r, s, roles, table, notes)
    pairs = _pairs(list(itertools.combinations(roles, 2)), max_pairs, seed)
    pair_list = _pair_details(subsample(r, max_rows, seed), subsample(s, max_rows, seed), roles, pairs)
    if table in unscored:
        _unscore(columns.values(), pair_list)
    return {
        "n_rows_real": len(r),
        "n_rows_synth": len(s),
        "column_shapes": mean(c["score"] for c in columns.values()),
        "column_pairs": mean(p["score"] for p in pair_list),
        "n_pairs_total": len(roles) * (len(roles) - 1) // 2,
        "columns": columns,
        "pairs": pair_list,
    }


def _unscore(columns, pairs) -> None:
    for item in [*columns, *pairs]:
        item["score"] = None


# ---- edges ---------------------------------------------------------------------------------
def children_counts(data: RelationalData, edge: Edge) -> pd.Series:
    """Number of `edge.child` rows under each `edge.parent` row, parents without children included."""
    pk = data.schema.tables[edge.parent].primary_key
    counts = get_cardinality_distribution(data[edge.parent][pk], data[edge.child][edge.fk])
    return counts.astype("int64").reset_index(drop=True)


def denormalise(data: RelationalData, edge: Edge) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """Child rows joined to their parent row, compared columns encoded and named `table.column`;
    the roles of the child's columns and of the parent's, by those names (a name's prefix does not
    tell them apart: the child "order.line" of "order" has columns "order.line.qty")."""
    schema = data.schema
    child_roles, parent_roles = column_roles(schema, edge.child), column_roles(schema, edge.parent)
    pk = schema.tables[edge.parent].primary_key
    child = encode(data[edge.child], child_roles).add_prefix(f"{edge.child}.")
    parent = encode(data[edge.parent], parent_roles).add_prefix(f"{edge.parent}.")
    child["__fk"] = data[edge.child][edge.fk].to_numpy(dtype=object)
    parent["__pk"] = data[edge.parent][pk].to_numpy(dtype=object)
    joined = child.merge(parent, left_on="__fk", right_on="__pk", how="inner").drop(columns=["__fk", "__pk"])
    child_named = {f"{edge.child}.{c}": r for c, r in child_roles.items()}
    parent_named = {f"{edge.parent}.{c}": r for c, r in parent_roles.items()}
    return joined, child_named, parent_named


def edge_quality(
    real: RelationalData,
    synth: RelationalData,
    edge: Edge,
    notes: Notes,
    max_pairs: int,
    max_rows: int,
    seed: int,
    unscored: frozenset[str] = frozenset(),
    reference: bool = False,
) -> dict:
    """Children-per-parent similarity and parent -> child pair trends of one edge (None where its
    parent or child table is `unscored`). A `reference` (`Schema.references`) gets no cardinality
    score: a part of the database (held-out) references rows of the other part, so its rows are
    referenced less often than a whole synthetic database's are; its trends join the rows whose
    reference is in the part."""
    name = f"{edge.parent}->{edge.child}"
    cr, cs = children_counts(real, edge), children_counts(synth, edge)
    skip = edge.parent in unscored or edge.child in unscored
    if skip or reference:
        cardinality = cardinality_tv = None
    elif len(cr) and len(cs):
        cardinality, cardinality_tv = pct(KSComplement.compute(cr, cs)), pct(tv_complement(cr, cs))
    else:
        cardinality = cardinality_tv = 0.0 if len(cr) or len(cs) else None
        notes.warn(f"edge {name}: a parent table has no rows; its cardinality score is {cardinality}")
    jr, child_roles, parent_roles = denormalise(real, edge)
    js, _, _ = denormalise(synth, edge)
    roles = {**child_roles, **parent_roles}
    pc_pairs = [(p, c) for p in parent_roles for c in child_roles]
    pair_list = _pair_details(
        subsample(jr, max_rows, seed), subsample(js, max_rows, seed), roles, _pairs(pc_pairs, max_pairs, seed)
    )
    if skip:
        _unscore([], pair_list)
    return {
        "parent": edge.parent,
        "child": edge.child,
        "fk": edge.fk,
        "reference": reference,
        "cardinality": cardinality,
        "cardinality_tv": cardinality_tv,
        "children_mean_real": rnd(cr.mean()) if len(cr) and not reference else None,
        "children_mean_synth": rnd(cs.mean()) if len(cs) and not reference else None,
        "childless_share_real": rnd((cr == 0).mean()) if len(cr) and not reference else None,
        "childless_share_synth": rnd((cs == 0).mean()) if len(cs) and not reference else None,
        "parent_child": mean(p["score"] for p in pair_list),
        "n_pairs_total": len(pc_pairs),
        "pairs": pair_list,
    }


# ---- the whole database --------------------------------------------------------------------
def quality_scores(
    real: RelationalData,
    synth: RelationalData,
    *,
    max_pairs: int = 50,
    max_rows: int = 20_000,
    seed: int = 0,
    unscored: Iterable[str] = (),
) -> dict:
    """Scores (0–100) of `synth` against `real` per synthesised table, per parent -> child edge and overall.

    Returns `{"overall": {quality, column_shapes, column_pairs, cardinality, parent_child},
    "tables": {table: {column_shapes, column_pairs, columns: {col: {metric, score, null_rate_real,
    null_rate_synth}}, pairs: [{columns, metric, score}], n_rows_real, n_rows_synth, n_pairs_total}},
    "edges": {"parent->child": {cardinality, cardinality_tv, parent_child, children_mean_real/_synth,
    childless_share_real/_synth, pairs, ...}}, "warnings": [...]}`.
    A score is None where there is nothing to compare (no such columns); `overall.quality`, the mean of
    the four parts that have a score, is always a number. Pairs are sampled (at most `max_pairs` per
    table and per edge, rows at most `max_rows`) with `seed`. Tables of `unscored` (and their edges)
    get None: `report` passes those with too few held-out rows to judge (and says so itself).
    """
    check_same_schema(real, synth, "the synthetic data")
    notes = Notes()
    unscored = frozenset(unscored)
    tables = {
        t: table_quality(real, synth, t, notes, max_pairs, max_rows, seed, unscored) for t in real.schema.synth_tables
    }
    edges = {}
    for t in real.schema.synth_tables:
        edge = real.schema.parent(t)
        if edge is not None:
            edges[f"{edge.parent}->{edge.child}"] = edge_quality(
                real, synth, edge, notes, max_pairs, max_rows, seed, unscored
            )
        for ref in real.schema.references(t):  # a key to its own table: a row's columns against its own
            if ref.parent != t:
                edges[f"{ref.parent}->{ref.child}.{ref.fk}"] = edge_quality(
                    real, synth, ref, notes, max_pairs, max_rows, seed, unscored, reference=True
                )
    overall = {
        "column_shapes": mean(t["column_shapes"] for t in tables.values()),
        "column_pairs": mean(t["column_pairs"] for t in tables.values()),
        "cardinality": mean(e["cardinality"] for e in edges.values()),
        "parent_child": mean(e["parent_child"] for e in edges.values()),
    }
    quality = mean(overall.values())
    if quality is None:
        notes.warn("no column or edge could be compared; overall quality is 0")
    overall = {"quality": quality if quality is not None else 0.0, **overall}
    return plain({"overall": overall, "tables": tables, "edges": edges, "warnings": notes.messages})


# ---- how noisy the ceiling is --------------------------------------------------------------
def root_of_rows(data: RelationalData) -> dict[str, np.ndarray]:
    """Synthesised table -> for each row, the position of its root entity in its root table."""
    out: dict[str, np.ndarray] = {}
    for root in data.schema.roots:
        for table in data.schema.depth_first(root):
            edge = data.schema.parent(table)
            if edge is None:
                out[table] = np.arange(len(data[table]))
                continue
            pk = data.schema.tables[edge.parent].primary_key
            parent_row = pd.Index(data[edge.parent][pk]).get_indexer(data[table][edge.fk])
            out[table] = out[edge.parent][parent_row]  # RelationalData has no orphans
    return out


def _resample_rows(data: RelationalData, roots: dict[str, np.ndarray], rng: np.random.Generator | None) -> dict:
    """Table -> row positions of one bootstrap sample: root entities drawn with replacement, each
    with its whole subtree (all rows once when `rng` is None)."""
    rows = {}
    for root in data.schema.roots:
        n = len(data[root])
        times = np.bincount(rng.integers(0, n, n), minlength=n) if rng is not None and n else np.ones(n, dtype=int)
        for table in data.schema.depth_first(root):
            rows[table] = np.repeat(np.arange(len(data[table])), times[roots[table]])
    return rows


def _ks_complement(real_sorted: np.ndarray, synth: np.ndarray) -> float:
    """1 - the two-sample KS statistic (sdmetrics' KSComplement) without its p-value's cost."""
    synth = np.sort(synth)
    grid = np.concatenate([real_sorted, synth])
    f_real = np.searchsorted(real_sorted, grid, side="right") / len(real_sorted)
    f_synth = np.searchsorted(synth, grid, side="right") / len(synth)
    return float(1.0 - np.abs(f_real - f_synth).max())


def _shape_scorer(real: pd.Series, held_out: pd.Series, role: str):
    """A function of held-out row positions -> `column_shape`'s 0–1 score of those rows, in numpy."""
    if role == CONTINUOUS:
        r, h = real.to_numpy(float), held_out.to_numpy(float)
        finite = np.concatenate([r, h])
        sentinel = np.nanmin(finite) - 1.0 if np.isfinite(finite).any() else 0.0  # nulls below all values
        r, h = np.sort(np.where(np.isfinite(r), r, sentinel)), np.where(np.isfinite(h), h, sentinel)
        return lambda rows: _ks_complement(r, h[rows])
    codes, _ = pd.factorize(pd.concat([real, held_out], ignore_index=True))
    k, r, h = codes.max() + 1, codes[: len(real)], codes[len(real) :]
    p = np.bincount(r, minlength=k) / len(r)
    return lambda rows: float(1.0 - 0.5 * np.abs(p - np.bincount(h[rows], minlength=k) / len(rows)).sum())


def _ceiling_scorers(train: RelationalData, test: RelationalData, unscored: frozenset[str]) -> tuple[list, list]:
    """(table, scorers) pairs: per table a scorer per compared column, per edge one of the held-out
    children counts (its rows are the parent table's); none for `unscored` tables and their edges."""
    shapes, cards = [], []
    for table in train.schema.synth_tables:
        roles = column_roles(train.schema, table)
        if table in unscored:
            continue
        if roles and len(train[table]) and len(test[table]):
            tr, te = encode(train[table], roles), encode(test[table], roles)
            shapes.append((table, [_shape_scorer(tr[c], te[c], role) for c, role in roles.items()]))
        edge = train.schema.parent(table)
        if edge is not None and edge.parent not in unscored and len(train[edge.parent]) and len(test[edge.parent]):
            real = np.sort(children_counts(train, edge).to_numpy(float))
            held_out = children_counts(test, edge).to_numpy(float)
            cards.append((edge.parent, [lambda rows, r=real, h=held_out: _ks_complement(r, h[rows])]))
    return shapes, cards


def _score(scorers: list, rows: dict) -> float | None:
    """Mean over tables (edges) of the mean of their scorers (0–100), as `quality_scores` averages."""
    return mean(mean(pct(f(rows[t])) for f in fs) if len(rows[t]) else None for t, fs in scorers)


def ceiling_noise(
    train: RelationalData,
    test: RelationalData,
    *,
    n_resamples: int = 30,
    level: float = 0.9,
    seed: int = 0,
    unscored: Iterable[str] = (),
) -> dict:
    """How noisy the ceiling is: a bootstrap over the held-out root entities of two of its scores.

    The held-out root entities are drawn with replacement (each with all its descendants) and the
    ceiling's column-shape and cardinality scores (held-out against training rows, as
    `quality_scores` computes them) recomputed, `n_resamples` times. The interval is the score ±
    z·(standard deviation of the resampled scores), z the normal quantile of `level`: centred on the
    score, because a resample repeats rows, which by itself lowers a distance-based score (its
    percentile interval would sit below the score). Pair trends are not resampled (each pair takes
    milliseconds through sdmetrics, these take microseconds). Returns `{n_resamples, level, z,
    n_roots: {root table: n}, column_shapes, cardinality: {score, std, interval: [low, high]}, seconds}`
    (`z` the normal quantile used), a part None where its score is. Tables of `unscored` and their
    edges are left out, as `quality_scores` leaves them.
    """
    start = time.perf_counter()
    shapes, cards = _ceiling_scorers(train, test, frozenset(unscored))
    roots, rng = root_of_rows(test), np.random.default_rng(seed)
    samples = [_resample_rows(test, roots, rng) for _ in range(n_resamples)]
    z = float(norm.ppf(0.5 + level / 2.0))
    out = {
        "n_resamples": n_resamples,
        "level": level,
        "z": round(z, 4),
        "n_roots": {r: len(test[r]) for r in test.schema.roots},
    }
    for key, scorers in (("column_shapes", shapes), ("cardinality", cards)):
        score = _score(scorers, _resample_rows(test, roots, None))
        draws = np.array([v for rows in samples if (v := _score(scorers, rows)) is not None], dtype=float)
        if score is None or len(draws) < 2:
            out[key] = None
            continue
        std = float(draws.std(ddof=1))
        interval = [rnd(max(score - z * std, 0.0), 2), rnd(min(score + z * std, 100.0), 2)]
        out[key] = {"score": score, "std": rnd(std, 2), "interval": interval}
    return plain({**out, "seconds": round(time.perf_counter() - start, 3)})

"""The preprocessor's fit under differential privacy (`TabularPreproc.fit(data, dp=budget)`).

Every statistic the fit reads from the private data goes through a Gaussian mechanism; all of
them share one noise scale sigma and one zCDP budget (`budget.preproc_part`):

* Contribution bounding: each root entity contributes at most ONE row per table (a row drawn at
  random among its rows of that table), so every column histogram has sensitivity 1 under
  adding or removing one entity (entity-level DP, as the training).
* Categories: noisy counts of the values seen, kept when the noisy count reaches
  tau = 1 + sigma * z(1 - delta_t) (and `min_count`): a value of one entity passes with
  probability <= delta_t. Everything else is `<rare>`, never generated.
* Numbers, dates, times: exact "point" tokens by the same thresholded counts; the range from a
  noisy histogram over a fixed sign-log grid (data-independent), then bins and within-bin
  quantiles from a noisy histogram of 128 cells over that range (DP quantiles).
* Child counts: no statistic at all, the public bound `budget.max_children` (data above it is
  an error: `truncate_children`). Entity length (generation buffer) and root shares: noisy
  histograms. Key formats: not read (integer keys, or "id_<n>"). Lookup tables are reference
  data, copied as public.
* Lookup foreign keys: categories are all keys of the lookup table (public), at no cost.
* Column preprocessors given already fitted (categories or edges set) are public domains: they
  are kept as they are and cost nothing.

k histograms with noise sigma are rho = k / (2 sigma^2) zCDP; with n thresholded releases,
delta is split half for the zCDP conversion, half over the thresholds.
"""

from __future__ import annotations

import logging
import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData, Schema
from relsynth.synth.core.training.accounting import zcdp_epsilon, zcdp_rho
from relsynth.synth.core.training.dp import DpBudget
from relsynth.synth.tabular._assemble import entity_lengths
from relsynth.synth.tabular._tables import child_counts, pk_format, records, root_order
from relsynth.synth.tabular.encoders import (
    CategoricalPreproc,
    ColumnPreproc,
    CountPreproc,
    NumericPreproc,
    _decimals,
    _plain,
    _to_number,
    log_scaled_intervals,
)

log = logging.getLogger(__name__)
LOG_STEPS = 4  # sign-log grid: 4 cells per decade
LOG_LOW, LOG_HIGH = -6, 16  # magnitudes 1e-6 .. 1e16 (smaller: zero)
FINE_CELLS = 128  # at most; fewer when the noisy count is small (about 5 sigma per cell)
RANGE_Q = (0.005, 0.995)  # the range keeps these noisy quantiles of the sign-log histogram


def fit_dp(pre, data: RelationalData, budget: DpBudget):
    """Fit `pre` (a TabularPreproc) with DP mechanisms spending `budget.preproc_part`."""

    eps, delta = budget.preproc_part
    if eps <= 0:
        raise ValueError("DpBudget(preproc_share=0) declares the preprocessor public: fit it without dp")
    pre._check_data(data)
    _check_children(data, pre.schema, budget.max_children)
    rng = np.random.default_rng()  # secret randomness: a known seed would let anyone remove the noise
    rows = _one_row_per_entity(data, pre.schema, rng)
    plan = _plan(pre, data)
    n_hist = plan["hist"] + (1 if any(pre.schema.children(t) for t in pre.schema.roots) else 0)
    n_hist += 1 if len(pre.schema.roots) > 1 else 0
    n_thr = max(plan["thr"], 1)
    rho = zcdp_rho(eps, delta / 2)
    sigma = math.sqrt(max(n_hist, 1) / (2 * rho))
    tau = 1 + sigma * NormalDist().inv_cdf(1 - delta / 2 / n_thr)
    noise = _Noise(sigma, tau, rng)

    def fit_column(table: str, col: str) -> ColumnPreproc:
        if col in pre.schema.lookup_fks(table):  # public domain: the lookup's keys
            return _lookup_categories(data, pre.schema, table, col)
        p = pre.overrides.get(table, {}).get(col) or pre._default_preproc(table, col)
        if not _is_public(p):
            _fit_column(p, rows[table][col], noise)
        return p

    def public_count(table: str, child: str) -> ColumnPreproc:  # counts clipped to a public maximum
        return CountPreproc(max_exact=budget.max_children, max_seen=budget.max_children)

    pre._build_layouts(data, fit_column, public_count)
    pre.fitted = True
    pre.stats = {
        "max_entity_len": _entity_len(pre, entity_lengths(pre, data), noise),
        "root_shares": _root_shares(pre.schema, data, noise),
        "pk_formats": {
            t: pk_format(pd.Series([1]) if _int_keys(data[t][pk]) else pd.Series(["x"]))
            for t in pre.schema.synth_tables
            if (pk := pre.schema.tables[t].primary_key) is not None
        },
        "lookups": {t: records(data[t]) for t in pre.schema.lookups},
        "formats": data.formats,  # dtypes and spellings (Y/N), public like the schema
        "dp": {
            "epsilon": zcdp_epsilon(max(n_hist, 1) / (2 * sigma**2), delta / 2),
            "delta": delta,
            "sigma": sigma,
            "threshold": tau,
            "n_histograms": n_hist,
            "unit": "root entity (one row per table)",
        },
    }
    log.info(
        "DP preproc fit: epsilon=%.3g delta=%.2g, noise sigma=%.2f, category threshold %.1f", eps, delta, sigma, tau
    )
    return pre


# ---- the data seen by the mechanisms ---------------------------------------------------------
def _check_children(data: RelationalData, schema: Schema, max_children: int) -> None:

    for t in schema.synth_tables:
        for child in schema.children(t):
            if len(data[child]) and child_counts(data, schema, child).max() > max_children:
                raise ValueError(
                    f"some {t} rows have more than max_children={max_children} {child} rows: the public bound on "
                    "children must hold; raise DpBudget(max_children=...) or cut the data with "
                    "relsynth.synth.tabular.truncate_children(data, max_children)"
                )


def truncate_children(data: RelationalData, max_children: int) -> RelationalData:
    """Keep the first `max_children` children of every parent (and their descendants)."""
    schema = data.schema
    tables = {t: data[t] for t in schema.tables}
    for root in schema.roots:
        for t in schema.depth_first(root)[1:]:
            edge = schema.parent(t)
            parent_keys = tables[edge.parent][schema.tables[edge.parent].primary_key]
            df = tables[t][tables[t][edge.fk].isin(parent_keys)]
            tables[t] = df[df.groupby(edge.fk).cumcount() < max_children]
    return RelationalData(tables, schema, formats=data.formats)


def _one_row_per_entity(data: RelationalData, schema: Schema, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Per table, one random row of each root entity that has rows there."""

    out = {}
    for root in schema.roots:
        for t, entity in root_order(data, root).items():
            order = rng.permutation(len(entity))
            _, first = np.unique(entity[order], return_index=True)
            out[t] = data[t].iloc[np.sort(order[first])]
    return out


def _plan(pre, data: RelationalData) -> dict[str, int]:
    """How many histograms (numeric: 3, categorical: 1) and thresholded releases the fit makes."""
    hist = thr = 0
    for table in pre.schema.depth_first():
        for col in pre.modelled_columns(table):
            p = pre.overrides.get(table, {}).get(col) or pre._default_preproc(table, col)
            if _is_public(p) or col in pre.schema.lookup_fks(table):
                continue
            hist += 3 if isinstance(p, NumericPreproc) else 1
            thr += 1
    return {"hist": hist, "thr": thr}


def _lookup_categories(data: RelationalData, schema: Schema, table: str, col: str) -> CategoricalPreproc:
    """A lookup foreign key: every key of the (public) lookup table is a category, at no cost."""
    lookup = schema.lookup_fks(table)[col]
    keys = data[lookup][schema.tables[lookup].primary_key].dropna()
    cats = sorted((_plain(v) for v in keys.unique()), key=lambda v: (str(type(v)), v))
    return CategoricalPreproc(categories=cats, dtype=str(data[table][col].dtype), has_missing=True)


def _is_public(p: ColumnPreproc) -> bool:
    return bool(getattr(p, "categories", None) or getattr(p, "edges", None) or getattr(p, "points", None))


# ---- mechanisms ------------------------------------------------------------------------------
class _Noise:
    def __init__(self, sigma: float, tau: float, rng: np.random.Generator):
        self.sigma, self.tau, self.rng = sigma, tau, rng

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        return np.asarray(counts, dtype=np.float64) + self.rng.normal(0.0, self.sigma, np.shape(counts))


def _fit_column(p: ColumnPreproc, values: pd.Series, noise: _Noise) -> None:
    if isinstance(p, CategoricalPreproc):
        _fit_categorical(p, values, noise)
    elif isinstance(p, NumericPreproc):
        _fit_numeric(p, values, noise)
    else:
        raise TypeError(f"no DP fit for {type(p).__name__} ({values.name}): give it fitted, as a public domain")


def _fit_categorical(p: CategoricalPreproc, values: pd.Series, noise: _Noise) -> None:
    """Thresholded noisy counts (one histogram: the values seen plus the missing cell)."""
    counts = values.dropna().value_counts()
    noisy = noise(np.append(counts.to_numpy(), values.isna().sum()))
    keep = noisy[:-1] >= max(noise.tau, p.min_count)
    p.categories = sorted((_plain(v) for v in counts.index[keep]), key=lambda v: (str(type(v)), v))
    p.dtype = str(values.dtype)
    p.has_missing = bool(noisy[-1] >= noise.tau) or not p.categories
    p._seen = None  # encode warnings would name rare values


def _fit_numeric(p: NumericPreproc, values: pd.Series, noise: _Noise) -> None:
    """Range from a sign-log histogram, exact points by thresholded counts, bins as DP quantiles."""
    x = _to_number(values, p.kind)
    p.dtype = str(values.dtype)
    missing = np.isnan(x)
    x = x[~missing]
    # 1. sign-log histogram (+ missing cell): the total and the range
    coarse = noise(np.append(np.bincount(_log_cell(x), minlength=_N_LOG), missing.sum()))
    p.has_missing = bool(coarse[-1] >= noise.tau)
    coarse = np.where(coarse[:-1] >= noise.tau, coarse[:-1], 0.0)  # known grid: post-processing
    total = coarse.sum()
    # 2. frequent exact values
    uniq, counts = np.unique(x, return_counts=True)
    noisy = noise(counts)
    frequent = noisy >= max(noise.tau, total / p.n_bins)
    p.points = uniq[frequent].tolist()
    rest = x[~np.isin(x, uniq[frequent])]
    p.decimals = 0 if p.kind != "numeric" else (_decimals(np.asarray(p.points)) if p.points else 2)
    # 3. range, then a fine noisy histogram over it: DP quantiles
    n_rest_bins = max(p.n_bins - len(p.points), 1)
    p.edges, p.sub_edges, p.log_sub = [], [], []
    lohi = _range(coarse)
    if lohi is not None:
        lo, hi = lohi
        n_cells = int(np.clip(total / (5 * noise.sigma), 8, FINE_CELLS))
        cell = np.clip(((rest - lo) / (hi - lo) * n_cells).astype(np.int64), 0, n_cells - 1)
        fine = noise(np.bincount(cell, minlength=n_cells))
        fine = np.where(fine >= 2 * noise.sigma, fine, 0.0)
        if fine.sum() >= noise.tau:
            grid = np.linspace(lo, hi, n_cells + 1)
            cdf = np.append(0.0, np.cumsum(fine)) / fine.sum()
            edges = np.unique(p._on_grid(_inverse_cdf(grid, cdf, np.linspace(0, 1, n_rest_bins + 1))))
            if len(edges) >= 2:
                p.edges = edges.tolist()
                p.sub_edges = _sub_edges(grid, cdf, edges, p.n_sub)
                p.log_sub = log_scaled_intervals(p.sub_edges, None)  # from the released edges only
    if not p.points and not p.edges:
        p.has_missing = True  # nothing released: the column is generated as missing
        log.warning("DP fit: %s has too few values for its noise: generated as missing", values.name)


_N_LOG = 2 * (LOG_STEPS * (LOG_HIGH - LOG_LOW)) + 1


def _log_cell(x: np.ndarray) -> np.ndarray:
    """Index on a fixed sign-log grid: K + sign * k, k = 0 for |x| < 1e-6."""
    K = LOG_STEPS * (LOG_HIGH - LOG_LOW)
    a = np.abs(x)
    with np.errstate(divide="ignore"):
        k = np.floor(LOG_STEPS * (np.log10(np.maximum(a, 1e-300)) - LOG_LOW)).astype(np.int64) + 1
    k = np.where(a < 10.0**LOG_LOW, 0, np.clip(k, 1, K))
    return (K + np.sign(x).astype(np.int64) * k).astype(np.int64)


def _cell_bounds(i: int) -> tuple[float, float]:
    K = LOG_STEPS * (LOG_HIGH - LOG_LOW)
    k = abs(i - K)
    if k == 0:
        return -(10.0**LOG_LOW), 10.0**LOG_LOW
    lo, hi = 10.0 ** ((k - 1) / LOG_STEPS + LOG_LOW), 10.0 ** (k / LOG_STEPS + LOG_LOW)
    return (lo, hi) if i > K else (-hi, -lo)


def _range(coarse: np.ndarray) -> tuple[float, float] | None:
    if coarse.sum() <= 0:
        return None
    cdf = np.cumsum(coarse) / coarse.sum()
    i_lo = int(np.searchsorted(cdf, RANGE_Q[0]))
    i_hi = int(min(np.searchsorted(cdf, RANGE_Q[1]), len(coarse) - 1))
    lo, hi = _cell_bounds(i_lo)[0], _cell_bounds(i_hi)[1]
    return (lo, hi) if hi > lo else None


def _inverse_cdf(grid: np.ndarray, cdf: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Quantiles of the piecewise-linear CDF through (grid, cdf)."""
    keep = np.append(True, np.diff(cdf) > 0)  # np.interp needs increasing x
    return np.interp(p, cdf[keep], grid[keep])


def _sub_edges(grid: np.ndarray, cdf: np.ndarray, edges: np.ndarray, n_sub: int) -> list[list[float]]:
    if n_sub < 2:
        return []
    out = []
    f = np.interp(edges, grid, cdf)
    for i in range(len(edges) - 1):
        q = _inverse_cdf(grid, cdf, np.linspace(f[i], f[i + 1], n_sub + 1))
        q = np.clip(q, edges[i], edges[i + 1])
        q[0], q[-1] = edges[i], edges[i + 1]
        out.append(np.maximum.accumulate(q).tolist())
    return out


def _entity_len(pre, lengths: np.ndarray, noise: _Noise) -> int:
    """Longest entity for the generation buffer: exact when public (no child tables), else the top
    of the highest noisy log2 cell that passes the threshold."""
    if not any(pre.schema.children(t) for t in pre.schema.roots):
        return int(max(pre.layouts[r].header_len for r in pre.schema.roots))
    cells = np.bincount(np.ceil(np.log2(np.maximum(lengths, 1))).astype(np.int64), minlength=40)[:40]
    passed = np.flatnonzero(noise(cells) >= noise.tau)
    return int(2 ** (passed.max() if len(passed) else 6))


def _root_shares(schema: Schema, data: RelationalData, noise: _Noise) -> dict[str, float]:
    roots = schema.roots
    if len(roots) == 1:
        return {roots[0]: 1.0}
    n = np.maximum(noise(np.array([len(data[r]) for r in roots])), 1.0)
    return {r: float(v / n.sum()) for r, v in zip(roots, n, strict=True)}


def _int_keys(keys: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(keys.dtype)

"""The preprocessor's fit under differential privacy (`TabularPreproc.fit(data, dp=budget)`).

Every statistic the fit reads from the private data goes through a Gaussian mechanism; all of
them share one noise scale sigma and one zCDP budget (`budget.preproc_part`):

* Contribution bounding: each root entity contributes at most ONE row per table (a row drawn at
  random among its rows of that table), so every column histogram has sensitivity 1 under
  adding or removing one entity (entity-level DP, as the training).
* Categories: noisy counts of the values seen, kept when the noisy count reaches
  tau = 1 + sigma * z(1 - delta_t) (and `min_count`): a value of one entity passes with
  probability <= delta_t. Everything else is `<rare>`, generated and decoded as missing
  (`rare_as_missing`), so the columns after it stay conditioned on a row that had a value; in a
  column whose missing cell is not kept (no nulls released) it has nothing to decode to and is
  never generated (post-processing: the model draws among the kept categories).
* Numbers, dates, times: exact "point" tokens by the same thresholded counts; the range from a
  noisy histogram over a fixed grid (data-independent: sign-log for numbers, mirrored about
  zero; for dates and times, whose zero is arbitrary, linear calendar or clock cells over their
  whole domain, as fine as the public noise-to-entities ratio allows), then bins and within-bin
  quantiles from a noisy histogram of up to 128 cells over that range (DP quantiles; linear for
  dates and times). Cells of a fixed grid (and every "missing" cell) are kept above
  FLOOR_Z * sigma, not tau: their domain is public, so the threshold only filters noise. When no
  single cell of the range grid passes, neighbouring cells are merged (2, 4, 8, ... at a time)
  until some do (a time of day then takes the whole day); a cell far from the others, that
  would more than double the range, is kept only above a floor of a 0.1 % false-positive rate
  (`_drop_far`); the fine histogram's cells count from 1 sigma, or above 0 next to a counted one
  (`_kept_fine`); when it is too noisy, the bins split the range evenly: a populated column with a range is never generated as missing.
  Integers: -INTEGER_DOMAIN .. INTEGER_DOMAIN are a public domain, each with a noisy count whether
  held or not, a token of its own above a public floor (INTEGER_FALSE), not tau; a range is cut to
  the integers its cells hold, and one inside that domain has the points and the fine histogram
  both on its integers (their mean, noise sigma / sqrt(2)), binned only where the integers without
  a token hold more than noise (`_fit_small_integers`): same histograms, same cost.
* Public knowledge (`public=`, the user's declaration, spending nothing): a categorical column's
  list of categories (all kept, no threshold), a numeric column's bounds `(lo, hi)` (no range
  histogram) or its list of values (the points, no bins). Only the null share is then measured
  (one noisy histogram: null, outside the list, inside; rows outside above the noise are
  warned of, `_public_cells`). The user answers for it being public: a list read off the private data is a
  leak no accountant can see.
* Child counts: the vocabulary is the public bound `budget.max_children` (data above it is an
  error: `truncate_children`); per parent -> child edge one noisy histogram of the children of
  one parent row per entity, at COUNT_NOISE times the others' noise (the generated rows follow
  it), on a public doubling grid (0, 1, 2, 3-4, 5-8, ...), cells kept
  above FLOOR_Z * sigma or above COUNT_FLOOR_Z * sigma next to a kept cell, the others 0: `stats["dp"]["child_counts"]`, the target the trainer
  calibrates the generated counts to (`_dp_counts`) instead of the model's near-uniform start.
  Its floors drop the thin tail where a mean's mass is (a few parents with many children), so per
  edge two noisy sums over the same parent rows give the mean: their children, clipped per parent
  at a bound the histogram sets (`_total_clip`), and the parents, at TOTAL_NOISE times the others'
  noise: `stats["dp"]["child_totals"]`, the mean the target is tilted to (`_dp_counts.with_mean`),
  so that the synthetic database has the data's size. Entity length (generation buffer) and root shares: noisy
  histograms. Key formats: not read (integer keys, or "id_<n>"). Lookup tables are reference
  data, copied as public: named by the user, never ones `from_sql` chose itself (refused:
  `_check_detected_lookups`).
* Source formats (`stats["formats"]`, how the synthetic database is written back): what the
  schema declares (dtypes, SQL types, a declared DECIMAL(p, s) or parquet decimal scale) and how
  the column is spelt (boolean words such as Y/N, a date pattern, text keys) are kept as public;
  the digits the values hold (the decimals of numbers written as text, the places of Decimal
  values without a declared scale, the digits of a second of text datetimes) are not read:
  they are the DP preprocessor's own decimals (`_public_formats`); a text date column's several
  patterns are kept, each written in an even share (their shares are counts of rows).
* Lookup foreign keys: categories are all keys of the lookup table (public); one histogram of
  the keys and nulls over all of the table's rows, each entity's counts scaled to an L2 norm of
  at most its table's rows per entity by the released child counts, the noise scaled with it
  (`_lookup_marginal`: one histogram's cost): the null share and the target the generated keys
  are calibrated to (`_dp_counts`).
* A column's single-column CHECKs (`from_sql`, public like the schema): a list of values
  (tier IN (...)) is its public domain, as if given by `public=` (the user's list wins); bounds
  (score BETWEEN 0 AND 100, credit >= 0) cut the released range and points (`_fit_numeric(within=)`),
  post-processing at no cost (`_declared_domains`).
* A column the source declares NOT NULL (`from_sql`, public like the schema) is never generated
  missing: its rare values' token is forbidden rather than decoded as missing (`_never_missing`).
* A column left generated all missing (nothing of it above the noise, or free text: no text model
  trains under DP) is named in a warning with what would release it (`_warn_all_missing`).
* References (`Schema.references`): the null share from one noisy histogram (null, not null),
  its cells kept above FLOOR_Z * sigma (none where the source declares the key NOT NULL);
  every generated row is then referenced equally often, rows paired at random: degrees and
  affinities are read from many entities at once, which no mechanism here bounds; a CHECK (a <> b)
  the source declares between two keys to one table (`declared_apart`, public) keeps them apart. A link table's
  composite primary key, where the source declares it (`from_sql`), is public like the schema: its
  keys are never repeated together (`declared_links`; the data is not read for it), and its one
  integer column not a key (a user's id within its tenant) numbers each group's rows 1..n
  (`declared_numbers`), whatever the model wrote there.
* Column preprocessors given already fitted (categories or edges set) are public domains: they
  are kept as they are and cost nothing.

k histograms with noise sigma are rho = k / (2 sigma^2) zCDP (a child-count histogram, at
COUNT_NOISE * sigma, counts as 1 / COUNT_NOISE^2 of them; an edge's totals, the children at
TOTAL_NOISE * sigma per unit of their clip and the parents at PARENTS_NOISE times that, as
(1 + 1 / PARENTS_NOISE^2) / TOTAL_NOISE^2); with n thresholded releases,
delta is split half for the zCDP conversion, half over the thresholds.
"""

from __future__ import annotations

import copy
import functools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational.data import SQL_FORMAT, composite_references
from relsynth.relational.files import DECIMAL_PRECISION
from relsynth.synth.core.training.accounting import zcdp_epsilon, zcdp_rho
from relsynth.synth.core.training.dp import DpBudget
from relsynth.synth.tabular._assemble import entity_lengths
from relsynth.synth.tabular._references import declared_apart, declared_links, declared_not_null, declared_numbers
from relsynth.synth.tabular._tables import child_counts, pk_format, records, root_order
from relsynth.synth.tabular.encoders import (
    CategoricalPreproc,
    ColumnPreproc,
    CountPreproc,
    NumericPreproc,
    fewest_decimals,
    log_scaled_intervals,
    plain_scalar,
    to_number,
)
from relsynth.synth.tabular.rules.declared_domains import closed_bounds, declared_domain, public_domains
from relsynth.synth.tabular.rules.unique_labels import declared_unique_labels
from relsynth.synth.tabular.rules.unique_sets import declared_pair

log = logging.getLogger(__name__)
LOG_STEPS = 4  # sign-log grid: 4 cells per decade
LOG_LOW, LOG_HIGH = -6, 16  # magnitudes 1e-6 .. 1e16 (smaller: zero)
FINE_CELLS = 128  # at most; fewer when the noisy count is small (about 5 sigma per cell)
RANGE_Q = (0.005, 0.995)  # the range keeps these noisy quantiles of the range histogram
FLOOR_Z = 3.0  # a cell of a public grid counts when its noisy count reaches FLOOR_Z * sigma (more on big grids)
RANGE_NOISE_Z = 2.0  # a coarser grouping is chosen when it keeps more than this many sigmas of noise would,
RANGE_WIDEN = 4  # ... or when it widens the range at most this many times (`_within_noise`)
MAX_GROUP = 8  # the range may merge up to this many sign-log cells (two decades) to find thin data
FALSE_CELLS = 0.05  # ... so that an empty grid lets a cell through with at most this probability
# a kept range cell (or group) apart from the rest, that alone would more than FAR_WIDEN-fold the
# range, counts only at a false-positive rate of FAR_FALSE_CELLS over the grid (`_drop_far`): one
# noise cell at the floor stretched ages 18-85 to 18-563 and 2021 dates to 1750-2043
FAR_WIDEN = 2.0
FAR_FALSE_CELLS = 0.001
# dates and times: a range group next to the kept ones counts from EDGE_Z * sigma (its noise's
# sigma): the data's end groups are mostly part-filled (births from 1940 on 10-year cells: 1938-1948
# holds 1940-1947), and at the floor alone births 1940-2005 began in 1948 in 9 fits of 16 (2,000
# people, sigma 62). Not numbers: a noise cell beside Likert answers 1-5 added 6-9 in 1 fit of 40 more
EDGE_Z = 2.0
# dates' and times' range grid: linear cells (months of dates, seconds of a day) of the finest width
# on which data spread evenly over LINEAR_SPAN (a century of birth dates, a whole day) is still found
# in groups of MAX_GROUP cells, with LINEAR_MARGIN to spare (a group at the floor passes half the
# time); `_linear_grid`. Groups go up to LINEAR_MAX_GROUP cells, so that dates spread over three
# centuries are found too (1850-2150, 20,000 entities at sigma 93: KS complement 0.77 with groups
# of up to 32 cells, 0.89 up to 64; benchmarks/dp_dates.py; dates within decades unchanged).
# Dates' widths end at 50 years: birth dates 1940-2005 of 1,000 entities at sigma 132 (epsilon 1, 2
# columns) were lost in 35 fits out of 100 on 20-year cells, none on 50-year ones
LINEAR_WIDTHS = {"date": (1, 3, 12, 24, 60, 120, 240, 600), "time": (300, 900, 3600, 3 * 3600)}
LINEAR_SPAN = {"date": 1200, "time": 86_400}
LINEAR_MARGIN = 1.5
LINEAR_MAX_GROUP = 64
# child-count histograms, by hysteresis: a cell counts when its noisy count reaches FLOOR_Z * sigma,
# or COUNT_FLOOR_Z * sigma next to a cell that counts (Chinook's tree at epsilon 3: a 3-sigma floor
# alone lost the tails, rows 47-65 % short; a 2-sigma floor alone let an isolated noise cell of
# 65-100 children in, 10x the albums)
COUNT_FLOOR_Z = 2.0
# the child-count histograms' noise relative to the other histograms' (the rows generated follow
# them; simulated on the tree's counts at epsilon 3: noise 12.5 -> 7.7 moves the median albums per
# artist from -44 % to -27 %, tracks per album from -19 % to -3 %; the other histograms' noise +22 %)
COUNT_NOISE = 0.5
# child-count totals: per edge, a noisy sum of the children (each parent's clipped at a bound the
# released histogram sets, `_total_clip`) and of the parents, at TOTAL_NOISE times the others' noise:
# the mean the generated counts are calibrated to (`_dp_counts`), so that the synthetic database has
# the data's size. The histograms' floors drop their thin tails (Chinook's tree at epsilon 3: 5 of 234
# artists held 22 % of the albums, in cells under the floor; albums -41 %, tracks -31 % to -61 %)
TOTAL_NOISE = 0.5
# the clip: the largest that keeps the released mean's noise within this share of the histogram's mean
TOTAL_REL = 0.25
# the parents' sum, at PARENTS_NOISE times the children's noise unit: a quarter of its cost
PARENTS_NOISE = 2.0
# integer columns' public candidate values: each gets a noisy count whether the data holds it or
# not, kept at a floor that lets a value nobody holds through in INTEGER_FALSE of the columns
# (flags, Likert scales, ages, codes such as -9 and 99; `_frequent_values`)
INTEGER_DOMAIN = 100
INTEGER_FALSE = 0.001

Public = Mapping[str, Sequence | tuple[float, float]]  # "table.column" -> categories / values / (lo, hi)


def fit_dp(pre, data: RelationalData, budget: DpBudget, public: Public | None = None):
    """Fit `pre` (a TabularPreproc) with DP mechanisms spending `budget.preproc_part`;
    `public`: what the user declares known without the data (see the module docstring)."""

    if budget.preproc_share == 0:
        raise ValueError("DpBudget(preproc_share=0) declares the preprocessor public: fit it without dp")
    pre._check_data(data)
    _check_detected_lookups(pre.schema)  # the model's schema: one the user wrote declares its lookups
    if empty := [r for r in pre.schema.roots if len(data[r]) == 0]:  # a noisy share would generate its rows
        raise ValueError(
            f"root table(s) {empty} are empty: under DP their share of the entities is noisy, so rows of columns "
            "never seen would be generated; leave them out of the data (from_sql: tables=[...])"
        )
    if empty := [t for t in pre.schema.synth_tables if pre.schema.parent(t) is not None and len(data[t]) == 0]:
        raise ValueError(  # counts over the public 0..max_children: an empty shop's notes came back 535,299 rows
            f"table(s) {empty} are empty: under DP a child's counts are drawn over the public 0..max_children, so "
            "rows of columns never seen would be generated; leave them out of the data (from_sql: tables=[...])"
        )
    n_entities = sum(len(data[r]) for r in pre.schema.roots)  # public (as for the auto share)
    budget.check_entities(n_entities)
    modelled = {
        t: [c for c in pre.modelled_columns(t) if c not in pre.schema.lookup_fks(t)] for t in pre.schema.synth_tables
    }
    declared = public_domains(pre.schema, data.formats, modelled)  # the source's CHECKs: public like the schema
    public = _check_public(pre, {**declared, **(public or {})})
    _check_children(data, pre.schema, budget.max_children)
    rng = budget.random_stream("preproc")  # secret unless budget.seed: a known seed lets anyone remove the noise
    rows = _one_row_per_entity(data, pre.schema, rng)
    plan = _plan(pre, public)
    edges = [(t, child) for t in pre.schema.depth_first() for child in pre.schema.children(t)]
    n_hist = plan["hist"] + len(edges) + (1 if any(pre.schema.children(t) for t in pre.schema.roots) else 0)
    n_hist += 1 if len(pre.schema.roots) > 1 else 0
    references = [e for t in pre.schema.synth_tables for e in pre.schema.references(t)]
    n_hist += len(references)  # a reference's null share: one histogram (null, not null) each
    # zCDP cost in units of one histogram at noise sigma: a child-count histogram at
    # COUNT_NOISE * sigma costs 1 / COUNT_NOISE^2 of them
    weight = n_hist - len(edges) + len(edges) * (1 / COUNT_NOISE**2 + (1 + PARENTS_NOISE**-2) / TOTAL_NOISE**2)
    if budget.preproc_share == "auto":  # by need: the number of entities is public, as in opacus
        eps, delta = budget.auto_part(n_entities, weight)
    else:
        eps, delta = budget.preproc_part
    n_thr = max(plan["thr"], 1)
    rho = zcdp_rho(eps, delta / 2)
    sigma = math.sqrt(max(weight, 1) / (2 * rho))
    tau = 1 + sigma * NormalDist().inv_cdf(1 - delta / 2 / n_thr)
    noise = _Noise(sigma, tau, rng)
    count_noise = _Noise(COUNT_NOISE * sigma, tau, rng)

    fitted: dict[tuple[str, str], ColumnPreproc] = {}
    not_null = {t: data.not_null_columns(t) for t in pre.schema.synth_tables}  # declared by the source: public

    def fit_column(table: str, col: str) -> ColumnPreproc:
        fitted[table, col] = p = _fit_one(table, col)
        return p

    def _fit_one(table: str, col: str) -> ColumnPreproc:
        values = rows[table][col].rename(f"{table}.{col}")
        if col in pre.schema.lookup_fks(table):  # public domain: the lookup's keys; nulls by `_lookup_marginal`
            return _lookup_categories(data, pre.schema, table, col)
        p = pre._column_preproc(table, col)
        if f"{table}.{col}" in public:
            _fit_public(p, values, public[f"{table}.{col}"], noise)
        elif isinstance(p, NumericPreproc) and not _is_public(p):
            kind = pre.schema.tables[table].columns[col].kind
            domain = declared_domain(data.formats, table, col)
            within = closed_bounds(domain, kind) if domain else (-np.inf, np.inf)
            not_null_col = col in not_null.get(table, ())
            _fit_numeric(p, values, noise, entities=n_entities, within=within, not_null=not_null_col)
        elif not _is_public(p):
            _fit_column(p, values, noise, n_entities)
        if col in not_null.get(table, ()):
            _never_missing(p)
        return p

    def public_count(table: str, child: str) -> ColumnPreproc:  # counts clipped to a public maximum
        return CountPreproc(max_exact=budget.max_children, max_seen=budget.max_children)

    pre._build_layouts(data, fit_column, public_count)
    pre.fitted = True
    links = declared_links(data)
    count_histograms = {
        f"{t}->{child}": _child_count_histogram(data, pre.schema, rows, t, child, count_noise, budget.max_children)
        for t, child in edges
    }
    _warn_unreleased_counts(count_histograms, count_noise.sigma, n_entities, budget.max_children)
    total_noise = _Noise(TOTAL_NOISE * sigma, tau, rng)
    count_totals = {
        f"{t}->{child}": _child_count_total(
            data, pre.schema, rows, t, child, count_histograms[f"{t}->{child}"], total_noise, budget.max_children
        )
        for t, child in edges
    }
    entity_rows = _rows_per_entity(pre.schema, count_histograms)  # released counts: the clip of lookup marginals
    pre.stats = {
        "max_entity_len": _entity_len(pre, entity_lengths(pre, data), noise),
        "root_shares": _root_shares(pre.schema, data, noise),
        "pk_formats": {
            t: _public_pk_format(data, t, pk)
            for t in pre.schema.synth_tables
            if (pk := pre.schema.tables[t].primary_key) is not None
        },
        "identifiers": {  # their format would be read from the values: fresh public codes instead
            t: {c: _public_identifier_format(data, t, c) for c in cols}
            for t in pre.schema.synth_tables
            if (cols := pre.schema.tables[t].cols_of(Column.IDENTIFIER))
        },
        "lookups": {t: records(data[t]) for t in pre.schema.lookups},
        "formats": _public_formats(data, pre.schema, fitted),  # public like the schema, no digits of values
        "references": {
            f"{e.child}.{e.fk}": _reference_dp(e, rows, noise, links, data, _declared_pair(pre.schema, e))
            for e in references
        },
        "unique_links": links,  # declared by the source (public): a repeated pair would break its key
        "row_numbers": declared_numbers(data, links),  # their numbers 1..n in each group (public)
        "unique_labels": declared_unique_labels(pre, data),  # UNIQUE (parent key, label) declared (public)
        "dp": {
            "epsilon": zcdp_epsilon(max(weight, 1) / (2 * sigma**2), delta / 2),
            "delta": delta,
            "sigma": sigma,
            "threshold": tau,
            "n_histograms": n_hist,
            "share": eps / budget.epsilon,  # of the budget's epsilon (preproc_share, or chosen by need)
            "unit": "root entity (one row per table)",
            "public": sorted(public),  # columns whose domain the user declared public
            "child_counts": count_histograms,
            "child_totals": count_totals,
        },
    }
    pre.stats["dp"]["lookup_marginals"] = {
        f"{t}.{c}": _lookup_marginal(data, pre.schema, fitted[t, c], t, c, noise, entity_rows[t], c in not_null[t])
        for t in pre.schema.synth_tables
        for c in pre.schema.lookup_fks(t)
        if (t, c) in fitted
    }
    _log_left_out(pre.schema)
    numbered = {(t, n["column"]) for t, n in pre.stats["row_numbers"].items()}  # set after generation
    drawn = {  # a NOT NULL composite key's pair is drawn among the rows it names (`keep_composite_references`)
        (t, c)
        for t, cols, _, _ in composite_references(data.formats)
        if declared_not_null(data.formats, t, cols)
        for c in cols
    }
    kept = {k: p for k, p in fitted.items() if k not in numbered | drawn}
    _warn_all_missing(pre.schema, kept, not_null, n_entities, tau)
    log.info(
        "DP preproc fit (share %s): epsilon=%.3g delta=%.2g, noise sigma=%.2f, category threshold %.1f",
        budget.preproc_share,
        eps,
        delta,
        sigma,
        tau,
    )
    return pre


def _warn_all_missing(
    schema: Schema,
    fitted: Mapping[tuple[str, str], ColumnPreproc],
    not_null: Mapping[str, Sequence[str]],
    n_entities: int,
    tau: float,
) -> None:
    """Name every column the DP fit leaves generated all missing, with what would release it (one warning
    for all the columns of values, one per text column): a
    category or number none of whose values stood above the noise, and free text (no text model
    trains under DP). 300 people at epsilon 10 got a NOT NULL first name and a title 100 % null
    with no word of either; a NOT NULL one is said to be, as to_sql refuses its nulls."""
    empty = [
        f"{table}.{col}"
        + (" (NOT NULL in its source: to_sql refuses its nulls)" if col in not_null.get(table, ()) else "")
        for (table, col), p in fitted.items()
        if (isinstance(p, CategoricalPreproc) and not p.categories)
        or (isinstance(p, NumericPreproc) and not p.points and not p.edges)
    ]  # one warning for all: a 120-column survey had 104 of them, one line each
    if empty:
        first = empty[0].split(" ")[0]
        log.warning(
            "DP fit: %d column(s) are generated all missing: none of their values stands above the noise (a value "
            "needs ~%.0f of the %d root entities, the preprocessor's budget being shared by every column): %s. More "
            "root entities, a larger epsilon (or DpBudget(preproc_share=...)) or their domains declared public "
            "(fit(..., public={'%s': [values] or (lo, hi), ...})) release them",
            len(empty),
            tau,
            n_entities,
            ", ".join(empty),
            first,
        )
    for table in schema.synth_tables:
        for col in schema.tables[table].cols_of(Column.TEXT):
            log.warning(
                "DP fit: %s.%s%s is free text, generated all missing: no text model trains under DP (its texts would "
                "be learnt outside the budget). Declare it categorical with public categories (overrides and "
                "public={'%s.%s': [...]}; epsilon and more root entities do not help a text column) or leave it out",
                table,
                col,
                ", NOT NULL in its source (to_sql refuses its nulls)," if col in not_null.get(table, ()) else "",
                table,
                col,
            )


def _log_left_out(schema: Schema) -> None:
    """Say what a DP fit leaves out that a plain fit would read (each from many rows at once, which
    no mechanism here bounds), and what it copies as public, so a synthetic database without them
    is not a surprise."""
    left_out = [
        "orders within rows (a date after another), totals (a number summing or averaging its rows'), formulas (a number computed "
        "from its row's), running sums (a balance after each transaction), labels of a number's sign (DEBIT, CREDIT), times of day "
        "within hours (07:00 to 18:00)"
    ]
    if any(schema.references(t) for t in schema.synth_tables):
        left_out.append("how often each row is referenced, which rows go together, values copied across references")
    log.info("DP fit: not fitted under DP: %s", "; ".join(left_out))
    if schema.lookups:
        log.info(
            "DP fit: lookup tables %s are copied as they are: public by declaration, outside the guarantee",
            list(schema.lookups),
        )


# ---- the data seen by the mechanisms ---------------------------------------------------------
def _declared_pair(schema: Schema, e) -> bool:
    """Whether reference `e`'s table declares UNIQUE (its parent key, `e.fk`) (public: the schema's)."""
    nest = schema.parent(e.child)
    return nest is not None and declared_pair(schema, e.child, nest.fk, e.fk)


def _reference_dp(
    e,
    rows: Mapping[str, pd.DataFrame],
    noise: _Noise,
    links: Mapping[str, list[str]],
    data: RelationalData,
    declared: bool = False,
) -> dict:
    """A reference under DP: its null share from one noisy histogram (null, not null) of one row per
    entity, each cell kept above the floor like every missing cell (else a share of pure noise: a
    key never null came out null in 16 to 92 % of Chinook's customers), none where the source
    declares the column NOT NULL (`not_null`: public, like the schema). How often each row is
    referenced, and which rows go together, are read from the references of many entities at
    once, which no mechanism here bounds: every generated row is referenced equally often, paired
    at random (`_references` with no degrees nor affinity). A link table's declared key (`links`,
    public), or a UNIQUE (parent key, reference) the source declares (`declared`), makes a parent
    row name a row once at most, a declared CHECK (a <> b) (`declared_apart`, public) keeps it
    apart from the row's other key: a follow's followee, never its follower."""
    not_null = e.fk in data.not_null_columns(e.child)
    values = rows[e.child][e.fk] if e.child in rows else pd.Series([], dtype=object)
    cells = noise(np.array([values.isna().sum(), values.notna().sum()], dtype=float))
    null, present = np.where(cells >= noise.floor, cells, 0.0)
    share = float(null / (null + present)) if null + present > 0 else 0.0
    out = {"parent": e.parent, "null_share": 0.0 if not_null else share}
    key = links.get(e.child, [])  # the parent key, then the others
    if (len(key) == 2 and key[1] == e.fk) or declared:
        out["unique_pairs"] = True
    if apart := declared_apart(data, e):
        out["apart"] = apart
    return out


def _lookup_marginal(
    data: RelationalData,
    schema: Schema,
    p: CategoricalPreproc,
    table: str,
    col: str,
    noise: _Noise,
    clip: float,
    not_null: bool,
) -> dict[str, list[float] | float]:
    """A lookup key's noisy counts over all of its table's rows (each of the lookup's keys, `p`'s
    categories, then missing), each root entity's counts scaled to an L2 norm of at most `clip`,
    with noise `clip * sigma`: one entity added or removed moves the sum by `clip` at most, so it
    costs one histogram at sigma, as the missing cell alone did. `clip` is the table's rows per
    entity by the released child counts: one row per entity weighs entities, not rows (Chinook's
    genres by artist: TV complement 0.47 against the tracks' at best, with no noise at all).
    Sets `p.has_missing` (the missing cell above the floor, never where the source declares the
    column NOT NULL); cells below one noise sd are 0 (the target the generated keys are calibrated
    to, `_dp_counts`)."""
    root = next(r for r in schema.roots if table in schema.depth_first(r))
    entity = root_order(data, root)[table]
    values = data[table][col]
    code = np.where(
        values.isna(),
        len(p.categories),
        pd.Index(p.categories).get_indexer(values.map(plain_scalar, na_action="ignore")),
    )
    rows = pd.DataFrame({"entity": entity, "code": code})[code >= 0].value_counts()  # (entity, code) -> rows
    counts = rows.to_numpy(dtype=np.float64)
    norm = np.sqrt(pd.Series(counts**2).groupby(rows.index.get_level_values(0).to_numpy()).transform("sum").to_numpy())
    summed = np.bincount(
        rows.index.get_level_values(1).to_numpy(),
        weights=counts * np.minimum(1.0, clip / norm),
        minlength=len(p.categories) + 1,
    )
    noisy = _Noise(noise.sigma * clip, noise.tau, noise.rng)(summed)
    p.has_missing = bool(noisy[-1] >= noise.floor * clip) and not not_null
    kept = np.where(noisy >= noise.sigma * clip, noisy, 0.0)
    return {
        "counts": [round(float(c), 3) for c in kept[:-1]],
        "missing": round(float(kept[-1]), 3) if p.has_missing else 0.0,
        "clip": round(clip, 3),
    }


def _rows_per_entity(schema: Schema, child_counts: Mapping[str, dict]) -> dict[str, float]:
    """Each table's rows per root entity by the released children per parent (a cell's mass at
    its middle count), at least 1; an edge that released nothing counts 1 child a parent row."""

    def children(hist: dict | None) -> float:
        counts = np.asarray((hist or {}).get("counts") or [0.0])
        if counts.sum() <= 0:
            return 1.0
        grid = np.asarray(hist["grid"], dtype=np.float64)
        return float((counts * (grid[:-1] + grid[1:] - 1) / 2).sum() / counts.sum())

    out: dict[str, float] = {}
    for table in schema.depth_first():
        edge = schema.parent(table)
        out[table] = 1.0 if edge is None else out[edge.parent] * children(child_counts.get(f"{edge.parent}->{table}"))
    return {t: max(n, 1.0) for t, n in out.items()}


def _check_detected_lookups(schema: Schema) -> None:
    """Refuse lookups `from_sql` chose itself (`Schema.detected_lookups`): a lookup is copied as it
    is, public by declaration, and a small table of people with no keys of its own passes for one
    (30 doctors with their salaries came out whole in a DP synthetic database). Named by the user,
    they are declared public."""
    detected = sorted(t for t in getattr(schema, "detected_lookups", ()) if t in schema.lookups)
    if detected:
        raise ValueError(
            f"under DP, lookup table(s) {detected} would be copied as they are, outside the guarantee, but from_sql "
            f"chose them itself (small tables without keys of their own): none was named public. If they hold public "
            f"codes, name them (from_sql(..., lookups={detected}), or the schema YAML's lookups without its "
            "detected_lookups); if they hold private rows, have them synthesised (lookups=[] or without them)"
        )


def _check_children(data: RelationalData, schema: Schema, max_children: int) -> None:

    for t in schema.synth_tables:
        for child in schema.children(t):
            if len(data[child]) and child_counts(data, schema, child).max() > max_children:
                raise ValueError(
                    f"some {t} rows have more than max_children={max_children} {child} rows: the public bound on "
                    "children must hold; raise DpBudget(max_children=...) or cut the data with "
                    "relsynth.synth.tabular.truncate_children(data, max_children)"
                )


def count_grid(max_children: int) -> list[int]:
    """The public doubling grid of child counts: cells [0, 1), [1, 2), [2, 3), [3, 5), [5, 9), ...
    up to max_children (the last cell ends at max_children + 1)."""
    grid = [0, 1, 2, 3]
    while grid[-1] <= max_children:
        grid.append(2 * grid[-1] - 1)
    return [g for g in grid if g <= max_children] + [max_children + 1]


def _child_count_histogram(
    data: RelationalData, schema: Schema, rows: dict, parent: str, child: str, noise: _Noise, max_children: int
) -> dict[str, list]:
    """Children per parent row, one parent row per entity (`rows`: sensitivity 1), as a noisy
    histogram on `count_grid`; cells that do not count (`_hysteresis`) are 0 (all of them when
    none does: no target)."""
    grid = count_grid(max_children)
    noisy = noise(np.histogram(_sampled_counts(data, schema, rows, parent, child), bins=grid)[0])
    kept = np.where(_hysteresis(noisy, FLOOR_Z * noise.sigma, COUNT_FLOOR_Z * noise.sigma), noisy, 0.0)
    return {"grid": grid, "counts": [round(float(c), 3) for c in kept]}


def _sampled_counts(data: RelationalData, schema: Schema, rows: dict, parent: str, child: str) -> np.ndarray:
    """The children of each parent row in `rows` (one per entity that has one)."""
    if parent not in rows:
        return np.zeros(0)
    fk, pk = schema.parent(child).fk, schema.tables[parent].primary_key
    per_parent = data[child][fk].value_counts()
    return per_parent.reindex(rows[parent][pk].to_numpy()).fillna(0).to_numpy(dtype=np.float64)


def _child_count_total(
    data: RelationalData, schema: Schema, rows: dict, parent: str, child: str, hist: dict, noise: _Noise, most: int
) -> dict[str, float]:
    """Over the parent rows `hist` counted (one per entity), two noisy sums: their children, each
    parent's clipped at `_total_clip` (sensitivity: the clip), with noise `noise.sigma` times the
    clip (one histogram's cost at `noise.sigma`), and the parents (sensitivity 1), with noise
    PARENTS_NOISE * `noise.sigma` (1 / PARENTS_NOISE^2 of one). The clip comes from `hist`, already
    released (post-processing). Nothing is released (clip 0) where `hist` kept nothing: no mean
    to scale the clip by."""
    clip = _total_clip(hist, noise.sigma, most)
    if clip == 0:
        return {"clip": 0, "children": 0.0, "parents": 0.0}
    counts = np.minimum(_sampled_counts(data, schema, rows, parent, child), clip)
    children = counts.sum() + noise.rng.normal(0.0, noise.sigma * clip)
    parents = len(counts) + noise.rng.normal(0.0, noise.sigma * PARENTS_NOISE)
    return {"clip": clip, "children": round(float(children), 3), "parents": round(float(parents), 3)}


def _total_clip(hist: dict, sigma: float, most: int) -> int:
    """The clip of a child-count total: the largest whose noise on the mean (sigma * clip over the
    parents) stays within TOTAL_REL of the mean `hist` released, at most `most` (the public
    max_children); 0 where it kept nothing. The counts above the clip are `hist`'s (`_dp_counts`)."""
    counts, grid = np.asarray(hist["counts"]), np.asarray(hist["grid"])
    if counts.sum() <= 0:
        return 0
    children = float((counts * (grid[:-1] + grid[1:] - 1) / 2).sum())  # a cell's mass at its middle count
    return int(min(most, max(1, math.floor(TOTAL_REL * children / sigma))))


def _warn_unreleased_counts(child_counts: Mapping[str, dict], sigma: float, n_entities: int, max_children: int) -> None:
    """Name the edges whose histogram kept no cell: nothing then calibrates their counts
    (`_dp_counts`), and a model DP-SGD barely moves draws them near uniformly over 0..max_children,
    multiplied down the tree (70 schools, 4 levels: 56 calibration entities took 4.5 min and 12 GB)."""
    lost = [edge for edge, hist in child_counts.items() if not any(hist["counts"])]
    if lost:
        log.warning(
            "DP fit: the children per parent of %s were not released (no cell of their histogram stands above "
            "the noise, sigma %.3g, for %d root entities): their counts will be the DP model's own, near uniform "
            "over 0..max_children=%d after a short training, and rows multiply down the tree (a slow, large "
            "generation). More root entities, a larger epsilon, more of it for the fit (a larger DpBudget(preproc_share=...) "
            "than preproc_share='auto', the default, chooses) or a lower max_children release them",
            ", ".join(lost),
            sigma,
            n_entities,
            max_children,
        )


def _hysteresis(noisy: np.ndarray, strong: float, weak: float) -> np.ndarray:
    """Cells at or above `strong`, grown through neighbouring cells at or above `weak`."""
    return _grown(noisy >= strong, noisy >= weak)


def _grown(keep: np.ndarray, joinable: np.ndarray) -> np.ndarray:
    """The cells `keep`, grown through neighbouring `joinable` ones."""
    grown = True
    while grown:
        near = np.zeros_like(keep)
        near[1:] |= keep[:-1]
        near[:-1] |= keep[1:]
        new = keep | (near & joinable)
        grown = bool((new != keep).any())
        keep = new
    return keep


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
    return RelationalData(tables, schema, formats=data.formats, partial=True)  # references to dropped rows


def _one_row_per_entity(data: RelationalData, schema: Schema, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Per table, one random row of each root entity that has rows there."""

    out = {}
    for root in schema.roots:
        for t, entity in root_order(data, root).items():
            order = rng.permutation(len(entity))
            _, first = np.unique(entity[order], return_index=True)
            out[t] = data[t].iloc[np.sort(order[first])]
    return out


def _plan(pre, public: dict) -> dict[str, int]:
    """How many histograms and thresholded releases the fit makes: a categorical column 1 (its
    counts with the missing cell); a numeric 3 (range + missing, points, fine), 2 with public
    bounds (points, fine + missing); a lookup key or a public list 1 (the missing cell)."""
    hist = thr = 0
    for table in pre.schema.depth_first():
        for col in pre.modelled_columns(table):
            p = pre._column_preproc(table, col)
            known = public.get(f"{table}.{col}")
            if col in pre.schema.lookup_fks(table) or (known is not None and not _is_bounds(known, p)):
                hist += 1
            elif known is not None:  # numeric bounds
                hist, thr = hist + 2, thr + 1
            elif not _is_public(p):
                hist, thr = hist + (3 if isinstance(p, NumericPreproc) else 1), thr + 1
    return {"hist": hist, "thr": thr}


def _is_bounds(known, p: ColumnPreproc) -> bool:
    return isinstance(p, NumericPreproc) and isinstance(known, tuple)


def _check_public(pre, public: Public) -> dict:
    """`public` checked against the schema: "table.column" of a modelled column, a list of values
    (categorical or numeric) or a (lo, hi) tuple (numeric)."""
    out = {}
    # looked up whole: a name may hold dots itself ("sales.2024.amount" is table "sales.2024")
    names = {f"{t}.{c}": (t, c) for t in pre.schema.synth_tables for c in pre.modelled_columns(t)}
    for key, known in public.items():
        if str(key) not in names:
            raise ValueError(
                f"public names {key!r}, not a modelled column: give 'table.column' of a synthesised table's "
                "categorical or numeric column"
            )
        table, col = names[str(key)]
        if col in pre.schema.lookup_fks(table):
            raise ValueError(f"public names {key!r}, a lookup key: its categories are the lookup's keys already")
        p = pre._column_preproc(table, col)
        if isinstance(known, tuple):
            if not isinstance(p, NumericPreproc) or len(known) != 2:
                raise ValueError(f"public[{key!r}]: a tuple is (lo, hi) bounds of a numeric column; give a list")
            lo, hi = to_number(pd.Series(list(known)), p.kind)
            if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
                raise ValueError(f"public[{key!r}]: bounds {known} must be finite with lo < hi")
            out[key] = (float(lo), float(hi))
        elif isinstance(known, Sequence | set | np.ndarray | pd.Index) and not isinstance(known, str):
            if len(known) == 0:
                raise ValueError(f"public[{key!r}] is an empty list")
            out[key] = list(known)
        else:
            raise ValueError(f"public[{key!r}] must be a list of values or a (lo, hi) tuple, got {known!r}")
    return out


def _lookup_categories(data: RelationalData, schema: Schema, table: str, col: str) -> CategoricalPreproc:
    """A lookup foreign key: every key of the (public) lookup table is a category, at no cost."""
    lookup = schema.lookup_fks(table)[col]
    keys = data[lookup][schema.tables[lookup].primary_key].dropna()
    cats = sorted((plain_scalar(v) for v in keys.unique()), key=lambda v: (str(type(v)), v))
    return CategoricalPreproc(categories=cats, dtype=str(data[table][col].dtype), has_missing=True)


def _is_public(p: ColumnPreproc) -> bool:
    return bool(getattr(p, "categories", None) or getattr(p, "edges", None) or getattr(p, "points", None))


# ---- mechanisms ------------------------------------------------------------------------------
class _Noise:
    """Gaussian noise of one scale; `tau` keeps a value of a data-dependent domain (seen values),
    `floor` a cell of a public one (a fixed grid, a missing cell)."""

    def __init__(self, sigma: float, tau: float, rng: np.random.Generator):
        self.sigma, self.tau, self.rng = sigma, tau, rng
        self.floor = FLOOR_Z * sigma

    def grid_floor(self, n_cells: int) -> float:
        """The floor for n cells tested (z-scores, each against its own noise): an empty grid
        passes one with probability <= FALSE_CELLS (Bonferroni)."""
        return max(self.floor, self.sigma * NormalDist().inv_cdf(1 - FALSE_CELLS / max(n_cells, 1)))

    def __call__(self, counts: np.ndarray) -> np.ndarray:
        return np.asarray(counts, dtype=np.float64) + self.rng.normal(0.0, self.sigma, np.shape(counts))


def _fit_column(p: ColumnPreproc, values: pd.Series, noise: _Noise, entities: int) -> None:
    if isinstance(p, CategoricalPreproc):
        _fit_categorical(p, values, noise)
    elif isinstance(p, NumericPreproc):
        _fit_numeric(p, values, noise, entities=entities)
    else:
        raise TypeError(f"no DP fit for {type(p).__name__} ({values.name}): give it fitted, as a public domain")


def _fit_categorical(p: CategoricalPreproc, values: pd.Series, noise: _Noise) -> None:
    """Thresholded noisy counts (one histogram: the values seen plus the missing cell)."""
    counts = values.dropna().value_counts()
    noisy = noise(np.append(counts.to_numpy(), values.isna().sum()))
    keep = noisy[:-1] >= max(noise.tau, p.min_count)
    p.categories = sorted((plain_scalar(v) for v in counts.index[keep]), key=lambda v: (str(type(v)), v))
    p.take_dtype(values.dtype)
    p.has_missing = bool(noisy[-1] >= noise.floor) or not p.categories
    p.rare_as_missing = True
    p._seen = None  # encode warnings would name rare values


def _never_missing(p: ColumnPreproc) -> None:
    """A column its source declares NOT NULL (public, like the schema) is never generated missing:
    no missing token, and a rare value's token is not decoded as missing but never generated (the
    DP fit's `rare_as_missing` wrote nulls that `to_sql` refused). Where nothing of the column was
    released it can only be missing: `_warn_all_missing` says so, with the ways out."""
    if not _is_public(p):
        return
    p.has_missing = False
    if isinstance(p, CategoricalPreproc):
        p.rare_as_missing = False


def _fit_public(p: ColumnPreproc, values: pd.Series, known, noise: _Noise) -> None:
    """A column whose domain the user declared: only its null share (or, with numeric bounds,
    its points and quantiles inside them) is read from the data."""
    p.dtype = str(values.dtype)
    if isinstance(p, CategoricalPreproc):
        _check_public_types(values, known)
        p.categories = sorted({plain_scalar(v) for v in known}, key=lambda v: (str(type(v)), v))
        p.take_dtype(values.dtype)
        p.has_missing = _public_cells(values, values.map(plain_scalar, na_action="ignore").isin(p.categories), noise)
        p.rare_as_missing = True  # values outside the list are <rare>: decoded as missing (if nulls are)
        p._seen = None
    elif isinstance(p, NumericPreproc) and isinstance(known, tuple):
        _fit_numeric(p, values, noise, bounds=known)
    elif isinstance(p, NumericPreproc):
        pts = np.unique(to_number(pd.Series(list(known)), p.kind))
        p.points, p.edges, p.sub_edges, p.log_sub = pts[~np.isnan(pts)].tolist(), [], [], []
        p.decimals = 0 if p.kind != "numeric" else fewest_decimals(np.asarray(p.points))
        p.step = 1  # whole seconds: a coarser grid is not read from the data, as the sub-second one is not
        inside = pd.Series(np.isin(to_number(values, p.kind), p.points), index=values.index)
        p.has_missing = _public_cells(values, inside, noise) or not p.points
    else:
        raise TypeError(f"public: no public domain for {type(p).__name__} ({values.name})")


def _public_cells(values: pd.Series, inside: pd.Series, noise: _Noise) -> bool:
    """Whether a column of a public list has nulls worth generating, from one noisy histogram of
    its rows (null, outside the list, inside it: one cell an entity, as the null cell alone), with
    a warning where the rows outside stand above the noise: a list spelt unlike the data (Gold for
    gold, 10 for 1) turned every value into a listed one or a null, without a word."""
    null, outside, held = noise(np.array([values.isna().sum(), (values.notna() & ~inside).sum(), inside.sum()]))
    _warn_outside_public(values.name, outside, held, "values", noise)
    return bool(null >= noise.floor)


def _warn_outside_public(name: object, outside: float, inside: float, what: str, noise: _Noise) -> None:
    """Warn where the noisy count of a column's rows outside its public values or bounds stands
    above the noise (post-processing of a released cell)."""
    if outside >= noise.floor:
        log.warning(
            "DP fit: ~%.0f %% of %s's values are outside its public %s (noisy count ~%.0f): they are generated as "
            "values %s. Check the public %s against the data (spelling, type, unit)",
            100 * outside / max(outside + max(inside, 0.0), 1.0),
            name,
            what,
            outside,
            "of the list or missing" if what == "values" else "within them",
            what,
        )


def _value_type(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "boolean"
    return "number" if isinstance(v, int | float | np.number) else "text" if isinstance(v, str) else type(v).__name__


def _check_public_types(values: pd.Series, known) -> None:
    """Public categories none of which is of the column's type (its dtype, not its values) would
    match no row, and every value would be generated missing: YAML reads yes/no/on/off as
    booleans and 007 as 7, so ["yes", "no"] written unquoted lists True and False."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        column = "boolean"
    elif pd.api.types.is_numeric_dtype(dtype):
        column = "number"
    elif pd.api.types.is_string_dtype(dtype):
        column = "text"
    else:
        return
    given = {_value_type(v) for v in known}
    if column not in given:
        raise ValueError(
            f"public[{values.name!r}] lists {'/'.join(sorted(given))} values ({list(known)[:5]}) but the column "
            f"holds {column} values ({dtype}): none could match a row, so every value would be generated missing. "
            "Give them as the column holds them; in YAML yes/no/on/off read as booleans and 007 as 7 unless quoted "
            "('yes', '007')"
        )


def _fit_numeric(
    p: NumericPreproc,
    values: pd.Series,
    noise: _Noise,
    bounds: tuple | None = None,
    entities: int = 0,
    within: tuple[float, float] = (-np.inf, np.inf),
    not_null: bool = False,
) -> None:
    """Range from a histogram on a public grid (sign-log for numbers; for dates and times a linear
    one as fine as the noise allows for `entities`, the public number of root entities, 0: the
    coarsest) or public `bounds`, exact points by thresholded counts, bins as DP quantiles of a fine
    histogram over the range (evenly spaced when it is too noisy). `within`: public bounds (a CHECK
    (score BETWEEN 0 AND 100); -inf, inf: none) the released range is cut to. `not_null`: the source
    declares the column NOT NULL, so where no range stands above the noise, `within` is the range
    (a speakers.n of 0-6 over 150 countries, CHECK (n BETWEEN 0 AND 6), came back all missing in 3
    DP fits of 30 at epsilon 5, which to_sql refused)."""
    x = to_number(values, p.kind)
    p.dtype = str(values.dtype)
    missing = np.isnan(x)
    x = x[~missing]
    linear = _is_linear(p.kind)
    if bounds is None:  # 1. histogram on the range grid (+ missing cell): the total and the range
        grid = _linear_grid(p.kind, entities, noise) if linear else _SIGN_LOG
        coarse = noise(np.append(np.bincount(grid.cell(x), minlength=grid.n), missing.sum()))
        p.has_missing = bool(coarse[-1] >= noise.floor)
        edge_z = EDGE_Z if linear else math.inf
        lohi, total = _range(coarse[:-1], noise.grid_floor(grid.n_tests), grid, noise.sigma, edge_z)
        if lohi is None and not_null and np.isfinite(within).all():  # a value it must have, within public bounds
            lohi = within
        if lohi is None and p.kind == "time":  # too thin to narrow: the whole day (its fine histogram is paid for)
            lohi = (grid.bounds(0)[0], grid.bounds(grid.n - 1)[1])
    else:  # values past them are left out of the points and bins, and counted (`_warn_outside_public`)
        lohi, total = bounds, None
        within = (max(within[0], bounds[0]), min(within[1], bounds[1]))
    if lohi is not None and bounds is None:  # noise may pass a cell past a declared bound: post-processing
        lohi = _cut(_integer_range(*lohi) if p.kind == "integer" else lohi, within)
    if (
        lohi is not None
        and p.kind == "integer"
        and bounds is None
        and -INTEGER_DOMAIN <= lohi[0] <= lohi[1] <= INTEGER_DOMAIN
    ):
        _fit_small_integers(p, x, lohi, total, noise)  # 2. and 3. on the public integers
        p.points = [v for v in p.points if within[0] <= v <= within[1]]
        return _missing_if_empty(p)
    # 2. frequent exact values
    found, found_counts = _frequent_values(x, p.kind, noise, (total or 0.0) / p.n_bins)
    inside = (found >= within[0]) & (found <= within[1])
    p.points, point_counts = found[inside].tolist(), found_counts[inside]
    rest = x[~np.isin(x, p.points)]
    p.decimals = 0 if p.kind != "numeric" else (fewest_decimals(np.asarray(p.points)) if p.points else 2)
    p.step = 1  # datetimes, times: whole seconds, no grid read from the private values
    # 3. a fine noisy histogram over the range: DP quantiles
    n_rest_bins = max(p.n_bins - len(p.points), 1)
    p.edges, p.sub_edges, p.log_sub = [], [], []
    if lohi is not None:
        lo, hi = lohi
        n_cells = FINE_CELLS if total is None else _n_cells(total, noise.sigma)
        grid = _fine_grid(lo, hi, FINE_CELLS, linear)  # the finest grid; merged below when fewer cells
        step = FINE_CELLS // n_cells
        cell = np.clip(np.searchsorted(grid, rest, side="right") - 1, 0, FINE_CELLS - 1) // step
        beyond = (rest < lo) | (rest > hi)  # none without public bounds: the range holds every value
        counts = np.bincount(cell[~beyond], minlength=n_cells)
        fine, merged = noise(counts if bounds is None else np.append(counts, [missing.sum(), beyond.sum()])), 1
        if bounds is not None:  # the missing and outside cells ride with the fine histogram; its total sets the cells
            p.has_missing, outside, fine = bool(fine[-2] >= noise.floor), fine[-1], fine[:-2]
            _warn_outside_public(values.name, outside, fine[fine >= noise.floor].sum(), "bounds", noise)
            merged = FINE_CELLS // _n_cells(max(fine.sum(), 0.0), noise.sigma)
            fine = fine.reshape(-1, merged).sum(axis=1)
            n_cells = len(fine)
        rest_sum = fine.sum()  # every cell's noisy count, none left out yet: as much noise above 0 as below
        fine = _kept_fine(fine, noise.sigma * math.sqrt(merged))
        grid = grid[:: FINE_CELLS // n_cells]
        rest_sd = noise.sigma * math.sqrt(n_cells)
        if (
            bounds is None
            and not linear
            and _only_points(lohi, p.points, point_counts, total, (rest_sum, rest_sd), noise)
        ):
            lohi = None  # a price of 0.99 binned over [0.56, 1.0): bins of values nobody holds
        elif fine.sum() >= noise.floor:
            cdf = np.append(0.0, np.cumsum(fine)) / fine.sum()
        elif p.kind == "integer" and p.points:  # the rest is noise: the points alone, no bins of never-seen values
            lohi = None
        else:  # too noisy for quantiles: bins split the range evenly
            cdf = np.linspace(0.0, 1.0, n_cells + 1)
    if lohi is not None:
        lo, hi = lohi
        edges = np.unique(p._on_grid(_inverse_cdf(grid, cdf, np.linspace(0, 1, n_rest_bins + 1))))
        if len(edges) < 2:
            edges = np.unique(p._on_grid(np.array([lo, hi])))
        if len(edges) >= 2:
            p.edges = edges.tolist()
            p.sub_edges = _sub_edges(grid, cdf, edges, p.n_sub)
            # from the released edges only; never for times: their zero (1970, midnight) is no origin of a scale
            p.log_sub = [] if linear else log_scaled_intervals(p.sub_edges, None)
    _missing_if_empty(p)


def _kept_fine(fine: np.ndarray, noise_sd: float) -> np.ndarray:
    """The fine histogram's noisy counts, 0 where mostly noise: below one `noise_sd` (a cell's noise),
    unless next to a kept cell and above 0. A cell of data beside others is mostly data however thin:
    at the fewest cells (8) a 3-hour cell of 1,000 times of day at epsilon 1 holds 1.3 sigma, and the
    cut at 1 sigma alone lost the hours before 03:00 or 06:00 in 7 fits of 20 (KS complement median
    0.867, now 0.909). A lone thin cell apart from the kept ones is still left out."""
    return np.where(_grown(fine >= noise_sd, fine > 0), fine, 0.0)


def _cut(lohi: tuple[float, float] | None, within: tuple[float, float]) -> tuple[float, float] | None:
    """A released range cut to declared bounds (a score's noisy range to 115 to its CHECK's 100);
    None where it lies wholly outside them (or none was released)."""
    if lohi is None:
        return None
    lo, hi = max(lohi[0], within[0]), min(lohi[1], within[1])
    return (lo, hi) if lo <= hi else None


def _missing_if_empty(p: NumericPreproc) -> None:
    if not p.points and not p.edges:
        p.has_missing = True  # nothing released: the column is generated as missing (`_warn_all_missing`)


def _fit_small_integers(
    p: NumericPreproc, x: np.ndarray, lohi: tuple[float, float], total: float, noise: _Noise
) -> None:
    """An integer column whose released range lies among the public integers (INTEGER_DOMAIN: flags,
    Likert answers, ages, codes such as -9 and 99): the points histogram and the fine one are both
    noisy counts of every public integer (the values outside them seen, thresholded at tau, in the
    first), two measurements of the same counts whose mean has noise sigma / sqrt(2). An integer
    whose mean passes the public floor (INTEGER_FALSE) gets its own token; the others of the range
    are binned on whole integers only where their total stands above its noise (FLOOR_Z standard
    deviations): a flag 0/1 or a Likert 1-5 column gets no bins of values nobody holds (0/1 flags
    generated 0-56, Likert answers 6-57: bins over a noisy sign-log range). Two histograms, as the
    plan counts for any numeric column; the range is released already."""
    lo, hi = lohi
    public = np.arange(-INTEGER_DOMAIN, INTEGER_DOMAIN + 1, dtype=np.float64)
    uniq, counts = np.unique(x, return_counts=True)
    inside = np.isin(uniq, public)
    exact = np.zeros(len(public))
    exact[np.searchsorted(public, uniq[inside])] = counts[inside]
    mean = (noise(exact) + noise(exact)) / 2  # the points histogram's public cells and the fine histogram
    sd = noise.sigma / math.sqrt(2)
    share = total / p.n_bins
    own = mean >= max(sd * NormalDist().inv_cdf(1 - INTEGER_FALSE / len(public)), share)
    seen = uniq[~inside][noise(counts[~inside]) >= max(noise.tau, share)]  # the points histogram's other cells
    p.points = np.sort(np.concatenate([public[own], seen])).tolist()
    p.decimals, p.step = 0, 1
    p.edges, p.sub_edges, p.log_sub = [], [], []
    span = (public >= lo) & (public <= hi)
    rest = np.where(own, 0.0, mean)[span]  # the range's integers without a token of their own
    n_rest = int(np.count_nonzero(~own[span]))
    left = total - mean[own & span].sum()  # the range's released total less the tokens'
    n_range = int(np.ptp(_log_cell(np.asarray(lohi, dtype=np.float64)))) + 1  # the range's sign-log cells
    left_sd = math.sqrt(noise.sigma**2 * n_range + sd**2 * int(np.count_nonzero(own & span)))
    if n_rest == 0 or (p.points and not _rest_held(rest.sum(), sd * math.sqrt(len(rest)), left, left_sd)):
        return  # the rest is noise: the points alone
    width = math.ceil(len(rest) / _n_cells(max(total, 0.0), noise.sigma))
    cells = np.add.reduceat(rest, np.arange(0, len(rest), width))
    cells = np.where(cells >= sd * math.sqrt(width), cells, 0.0)  # mostly noise below
    grid = np.append(lo + width * np.arange(len(cells)), hi + 1)  # cells of whole integers
    if cells.sum() >= noise.floor:
        cdf = np.append(0.0, np.cumsum(cells)) / cells.sum()
    else:  # too noisy for quantiles: bins split the range evenly
        cdf = (grid - lo) / (hi + 1 - lo)
    n_bins = max(p.n_bins - len(p.points), 1)
    edges = np.unique(np.clip(p._on_grid(_inverse_cdf(grid, cdf, np.linspace(0, 1, n_bins + 1))), lo, hi))
    if len(edges) >= 2:
        p.edges = edges.tolist()
        p.sub_edges = _sub_edges(grid, cdf, edges, p.n_sub)
        p.log_sub = log_scaled_intervals(p.sub_edges, None)
    elif lo not in p.points:  # a range of one integer: its token
        p.points = sorted([*p.points, lo])


def _rest_held(rest: float, rest_sd: float, left: float, left_sd: float) -> bool:
    """Whether a range's values without a token of their own hold more than noise: by their own
    noisy counts (`rest`, noise `rest_sd`), or by the range's released total less the tokens'
    (`left`, noise `left_sd`: that of the range's few sign-log cells and the tokens', not that of
    every value's cell). The sum of 80 ages' counts (2,100 of 3,000 respondents, the rest 98 and 99
    codes) has noise 6.3 sigma, so 1 fit in 13 fell below its floor and every generated age was a
    code. Post-processing of released counts: no privacy cost."""
    return rest >= FLOOR_Z * rest_sd or left >= FLOOR_Z * left_sd


def _only_points(
    lohi: tuple[float, float],
    points: list[float],
    counts: np.ndarray,
    total: float,
    rest: tuple[float, float],
    noise: _Noise,
) -> bool:
    """Whether a number's released range (on the sign-log grid) is no more than its points: every
    cell of it holds a point, and neither the fine histogram's noisy total of the other values
    (`rest`: it and its noise) nor the range's total less the points' noisy counts (`counts`)
    stands above the noise (`_rest_held`). Chinook's unit_price at epsilon 3 (234 artists, sigma 17): 0.99 got its
    token, the 1.99s' cell stayed under the floor, and the range [0.56, 1.0) of 0.99's cell was
    binned all the same, so most generated prices were 0.57 to 0.98, which no track costs.
    Post-processing of released counts: no privacy cost."""
    if not points:
        return False
    cells = _range_cells(lohi)
    if not set(cells.tolist()) <= set(_log_cell(np.asarray(points, dtype=np.float64)).tolist()):
        return False  # a cell without a point was kept for values of its own
    held = (lohi[0] <= np.asarray(points)) & (np.asarray(points) <= lohi[1])
    left_sd = noise.sigma * math.sqrt(len(cells) + int(held.sum()))
    return not _rest_held(*rest, total - float(counts[held].sum()), left_sd)


def _range_cells(lohi: tuple[float, float]) -> np.ndarray:
    """The sign-log cells a range (lo, hi) overlaps; one integer's range (lo == hi) is its cell's."""
    lo, hi = lohi
    first, last = _log_cell(np.array([lo, hi], dtype=np.float64))
    if lo == hi:
        return np.array([first])
    return np.array([i for i in range(first, last + 1) if min(hi, _cell_bounds(i)[1]) > max(lo, _cell_bounds(i)[0])])


def _frequent_values(x: np.ndarray, kind: str, noise: _Noise, share: float) -> tuple[np.ndarray, np.ndarray]:
    """The values with a token of their own and their noisy counts: those whose noisy count
    reaches `share` (a bin's share of the noisy total) and the threshold tau of a domain read from
    the data (the values seen), except the integers of INTEGER_DOMAIN, a public domain: each has a noisy count, seen or not,
    kept at a public floor (INTEGER_FALSE: an integer nobody holds passes in that share of the
    columns at most), so flags, Likert answers and missing-value codes pass at ~4.4 sigma where
    a seen value needs tau (~5.7 sigma at delta 1e-5). One histogram of one row per entity
    (sensitivity 1) either way: the same cost and the same single thresholded release."""
    uniq, counts = np.unique(x, return_counts=True)
    if kind != "integer":
        noisy = noise(counts)
        own = noisy >= max(noise.tau, share)
        return uniq[own], noisy[own]
    public = np.arange(-INTEGER_DOMAIN, INTEGER_DOMAIN + 1, dtype=np.float64)
    inside = np.isin(uniq, public)
    on_public = np.zeros(len(public))
    on_public[np.searchsorted(public, uniq[inside])] = counts[inside]
    floor = noise.sigma * NormalDist().inv_cdf(1 - INTEGER_FALSE / len(public))
    noisy_public, noisy_seen = noise(on_public), noise(counts[~inside])
    kept = noisy_public >= max(floor, share)
    seen = noisy_seen >= max(noise.tau, share)
    values = np.concatenate([public[kept], uniq[~inside][seen]])
    order = np.argsort(values)
    return values[order], np.concatenate([noisy_public[kept], noisy_seen[seen]])[order]


def _integer_range(lo: float, hi: float) -> tuple[float, float] | None:
    """The integers a released range holds: it ends on sign-log cells, [lo, hi) above zero,
    (lo, hi] below it (`_log_cell`), and a cell [3.16, 5.62) holds 4 and 5, not the 6 its end was
    rounded up to (Likert answers 1-5 generated up to 6). Post-processing: no privacy cost."""
    first = math.ceil(lo) if lo >= 0 else math.floor(lo) + 1
    last = math.floor(hi) if hi <= 0 else math.ceil(hi) - 1
    return (float(first), float(last)) if last >= first else None


def _fine_grid(lo: float, hi: float, n: int, linear: bool = False) -> np.ndarray:
    """n cells over [lo, hi]: evenly spaced on a log scale when the range is one-signed and spans
    more than a decade (quantiles of skewed data need the resolution where the data is), else, or
    when `linear` (dates, times), evenly spaced."""
    if not linear and lo > 0 and hi / lo > 10:
        return np.geomspace(lo, hi, n + 1)
    if not linear and hi < 0 and lo / hi > 10:
        return -np.geomspace(-lo, -hi, n + 1)
    return np.linspace(lo, hi, n + 1)


def _is_linear(kind: str) -> bool:
    """Dates, datetimes and times: seconds since an arbitrary zero (1970, midnight), binned on a
    linear scale; a sign-log scale around that zero put a 1969 birth date and a 1940 one
    in cells of wildly different widths, and dates on either side of 1970 in different halves."""
    return kind in ("datetime", "date", "time")


def _n_cells(total: float, sigma: float) -> int:
    """Cells of the fine histogram: a power of two in [8, FINE_CELLS], about 5 sigma of data each."""
    return int(2 ** math.floor(math.log2(np.clip(total / (5 * sigma), 8, FINE_CELLS))))


_N_LOG = 2 * (LOG_STEPS * (LOG_HIGH - LOG_LOW)) + 1


@dataclass(frozen=True, eq=False)
class _RangeGrid:
    """A public grid the range is looked for on (fixed before any data is seen): `cell` maps values
    to cells 0 .. n-1 (values beyond the ends to the end cells), `bounds(i)` is cell i's (lo, hi),
    `groupings` the ways `_range` merges neighbouring cells to find thin data, finest first, each
    as the first cell of every group."""

    n: int
    cell: Callable[[np.ndarray], np.ndarray]
    bounds: Callable[[int], tuple[float, float]]
    groupings: tuple[np.ndarray, ...]

    @property
    def n_tests(self) -> int:
        """Every cell and group `_range` tests (sign-log: 177 + 91 + 47 + 25): the floor splits
        FALSE_CELLS over all of them, not over one grouping's cells (each grouping at 5 % let an
        empty grid through 7.9 % of the time)."""
        return sum(len(starts) for starts in self.groupings)


def _sizes(most: int) -> list[int]:
    """Group sizes 1, 2, 4, ... up to `most`."""
    return [2**i for i in range(int(math.log2(most)) + 1)]


def _edges_grid(edges: np.ndarray, most: int) -> _RangeGrid:
    """A range grid of the cells between increasing `edges`, merged up to `most` at a time."""
    n = len(edges) - 1
    return _RangeGrid(
        n,
        lambda x: np.clip(np.searchsorted(edges, x, side="right") - 1, 0, n - 1),
        lambda i: (float(edges[i]), float(edges[i + 1])),
        tuple(np.arange(0, n, size) for size in _sizes(most)),
    )


def _sign_log_starts(size: int) -> np.ndarray:
    """Groups of `size` sign-log cells mirrored about the zero cell (a group of its own): magnitudes
    k = 1 .. size-1, then size .. 2 size-1, ... on either side, so -x is merged as x is (groups
    counted from the most negative cell covered exact decades below zero but not above it: a column
    in [-300, -3] lost its tail where its mirror did not, KS 0.76 against 0.89)."""
    k = np.arange(_N_LOG) - _N_LOG // 2  # signed magnitude index of every cell
    key = np.sign(k) * (np.abs(k) // size + 1)  # 0 for the zero cell
    return np.flatnonzero(np.append(True, np.diff(key) != 0))


@functools.cache
def _calendar_edges(months: int) -> np.ndarray:
    """Epoch seconds of the first of a month every `months` months from 1 January 1678, between the
    first and the last whole day a datetime column holds (1677-09-22 .. 2262-04-11, pandas'
    nanoseconds): every date falls in a cell, whatever its century."""
    first, last = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
    starts = np.arange(np.datetime64(f"{first.year + 1}-01"), np.datetime64(last.strftime("%Y-%m")), months)
    inner = starts.astype("datetime64[s]").astype(np.int64)
    return np.concatenate([[first.value // 10**9], inner, [last.value // 10**9]]).astype(np.float64)


def _linear_grid(kind: str, entities: int, noise: _Noise) -> _RangeGrid:
    """The range grid of a date, datetime or time column: the finest of its widths (LINEAR_WIDTHS)
    on which data spread evenly over LINEAR_SPAN (a century of dates, a whole day) would still be
    found by merging MAX_GROUP cells. From public numbers only: `entities` (the root entities: a
    table's rows, one per entity, are at most as many) and the noise; a finer grid for data
    concentrated in a month would lose data spread over decades in noise (a yearly grid left
    birth dates 1940-2005 of 1,000 entities at sigma 31 all missing in 8 fits out of 10)."""
    unit = "time" if kind == "time" else "date"
    widths, span = LINEAR_WIDTHS[unit], LINEAR_SPAN[unit]
    for width in widths:
        grid = _unit_grid(unit, width)
        spread = entities * min(MAX_GROUP * width / span, 1.0)  # what a group holds of such data
        if spread >= LINEAR_MARGIN * noise.grid_floor(grid.n_tests) * math.sqrt(MAX_GROUP):
            return grid
    return _unit_grid(unit, widths[-1])


@functools.cache
def _unit_grid(unit: str, width: int) -> _RangeGrid:
    """Cells of `width` months ("date") or seconds ("time", of a day) over the unit's whole domain."""
    if unit == "time":
        return _edges_grid(np.arange(0.0, 86_400.0 + width, width), LINEAR_MAX_GROUP)
    return _edges_grid(_calendar_edges(width), LINEAR_MAX_GROUP)


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


def _range(
    coarse: np.ndarray, floor: float, grid: _RangeGrid, sigma: float, edge_z: float = math.inf
) -> tuple[tuple[float, float] | None, float]:
    """(lo, hi) holding the RANGE_Q noisy quantiles of the histogram `coarse` on `grid`, and the
    noisy total. Cells count above `floor`; data spread thinly over many cells passes none of them,
    so groups of neighbouring cells are tried too (`grid.groupings`; sign-log: 2, 4 and 8 cells, two
    decades; the floor grows with the noise of a group, the square root of its size; larger groups
    would mostly add noise; `floor` covers all of them: `grid_floor(grid.n_tests)`), and the
    finest grouping that keeps 95 % of the most any grouping keeps is used (a second value worth
    7 % in the next cell, a price of 1.99 beside 0.99, stays inside the range), or whose shortfall
    is within the noise of the cells the most keeps beyond it (`_within_noise`); a cell or group
    far from the others counts only above a higher floor (`_drop_far`), one next to the chosen
    grouping's kept ones above `edge_z` sigma (inf: none; EDGE_Z for dates): post-processing of one
    released histogram, no extra privacy cost."""
    levels = []
    far = max(floor, sigma * NormalDist().inv_cdf(1 - FAR_FALSE_CELLS / grid.n_tests))
    for starts in grid.groupings:
        groups = np.add.reduceat(coarse, starts)
        width = np.diff(np.append(starts, len(coarse)))  # cells per group: its noise grows as the square root
        kept = np.where(groups >= floor * np.sqrt(width), groups, 0.0)
        kept = _drop_far(kept, starts, len(coarse), far * np.sqrt(width))
        levels.append((starts, kept, np.repeat(kept > 0, width), groups, width))  # ... and the cells it keeps
    _, best_kept, best_cells, _, _ = max(levels, key=lambda level: level[1].sum())
    best = best_kept.sum()
    if best <= 0:
        return None, 0.0
    starts, kept, _, groups, width = next(
        level
        for level in levels
        if level[1].sum() >= 0.95 * best or _within_noise(best - level[1].sum(), best_cells, level[2], sigma)
    )
    kept = np.where(_grown(kept > 0, groups >= edge_z * sigma * np.sqrt(width)), groups, 0.0)  # part-filled ends
    ends = np.append(starts[1:], len(coarse)) - 1  # each group's last cell
    cdf = np.cumsum(kept) / kept.sum()
    g_lo = int(np.searchsorted(cdf, RANGE_Q[0]))
    g_hi = int(min(np.searchsorted(cdf, RANGE_Q[1]), len(kept) - 1))
    lo, hi = grid.bounds(int(starts[g_lo]))[0], grid.bounds(int(ends[g_hi]))[1]
    return ((lo, hi) if hi > lo else None), float(kept.sum())


def _drop_far(kept: np.ndarray, starts: np.ndarray, n: int, far: np.ndarray) -> np.ndarray:
    """`kept` (groups starting at cells `starts` of a grid of `n`) without its outermost groups
    that lie apart from the others, widening their span more than FAR_WIDEN-fold in cells of the
    grid (its scale: sign-log for numbers, linear for dates), and stand under the `far` floor
    (FAR_FALSE_CELLS). At FALSE_CELLS an empty grid lets a cell through in 5 % of fits, harmless
    next to the data (a cell wider), not away from it: 600 ages of 18-85 got ranges up to 1e14.
    Post-processing of the released histogram: no extra privacy cost."""
    bounds = np.stack([starts, np.append(starts[1:], n)], axis=1)  # each group's first cell, last + 1
    kept = kept.copy()
    while np.count_nonzero(kept) >= 2:
        idx = np.flatnonzero(kept)
        for end, rest in ((idx[0], idx[1:]), (idx[-1], idx[:-1])):
            inner = bounds[rest[-1], 1] - bounds[rest[0], 0]
            whole = max(bounds[rest[-1], 1], bounds[end, 1]) - min(bounds[rest[0], 0], bounds[end, 0])
            if whole > FAR_WIDEN * inner and kept[end] < far[end]:
                kept[end] = 0.0
                break
        else:
            return kept
    return kept


def _within_noise(shortfall: float, best_cells: np.ndarray, cells: np.ndarray, sigma: float) -> bool:
    """Whether a grouping keeping `cells` falls short of the one keeping `best_cells` by no more
    than the noise of the cells they differ in (RANGE_NOISE_Z standard deviations: both sums hold
    the same noisy cells, so a coarse group's extra is only its cells the finer grouping left out),
    where the best's range would be over RANGE_WIDEN times as wide. Compared with 95 % of the best
    sum alone, the 64 cells of a coarse group around one populated cell won by their noise: 600
    visit dates of 2021-2023 (sigma 21) got ranges of 40 to 586 years in 59 % of fits (1970-2189),
    decoded evenly over them. A range a few times wider is kept as before: thin data (a time of
    day spread over 24 h) is as faint as noise, and losing it costs more than a wider range."""
    if not cells.any() or _span(best_cells) <= RANGE_WIDEN * _span(cells):
        return False
    return shortfall < RANGE_NOISE_Z * sigma * math.sqrt(np.count_nonzero(best_cells != cells))


def _span(cells: np.ndarray) -> int:
    """Cells from the first kept one to the last."""
    kept = np.flatnonzero(cells)
    return int(kept[-1] - kept[0] + 1)


_SIGN_LOG = _RangeGrid(_N_LOG, _log_cell, _cell_bounds, tuple(_sign_log_starts(size) for size in _sizes(MAX_GROUP)))


def _inverse_cdf(grid: np.ndarray, cdf: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Quantiles of the piecewise-linear CDF through (grid, cdf). Empty cells at either end are
    left out alike: quantile 0 is where the data starts as quantile 1 is where it ends (the first
    grid point was kept, so the lowest edge fell at the range's far end: -5623 for data from
    -1000, whose mirror ended at 1000)."""
    start = max(int(np.argmax(cdf > cdf[0])) - 1, 0)  # the last point before the CDF rises
    grid, cdf = grid[start:], cdf[start:]
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


def _public_pk_format(data: RelationalData, table: str, pk: str) -> dict:
    """The keys' format from public facts only (their dtype, the SQL type), never their values:
    integers, UUIDs for a database's uuid column, else `id_1`-like strings."""
    if _int_keys(data[table][pk]):
        return pk_format(pd.Series([1]))
    if ((data.formats.get(table, {}).get(pk) or {}).get("sql") or {}).get("type") == "uuid":
        return {"type": "uuid"}
    return {"type": "pattern", "prefix": "id_", "width": 1}


def _public_identifier_format(data: RelationalData, table: str, column: str) -> dict:
    """An identifier's format from public facts only: UUIDs for a database's uuid column, else
    `<column>_1`, `<column>_2`... and never null (the null share is not released)."""
    if ((data.formats.get(table, {}).get(column) or {}).get("sql") or {}).get("type") == "uuid":
        return {"uuid": True, "unique": True, "null_rate": 0.0}
    return {"shapes": [], "unique": True, "null_rate": 0.0}


def _public_formats(data: RelationalData, schema: Schema, fitted: Mapping[tuple[str, str], ColumnPreproc]) -> dict:
    """`data.formats` with public facts only: a digit count read from the values (one entity's
    12.34567 made a column of prices written back with 5 decimals) becomes the DP preprocessor's
    own `decimals` (what the generated values are rounded to), or the declared scale of a
    DECIMAL(p, s) (SQL type) or parquet decimal. Lookup tables are public: kept whole."""
    out = {}
    for table, cols in data.formats.items():
        out[table] = {}
        for col, fmt in cols.items():
            fmt = copy.deepcopy(fmt)
            p = fitted.get((table, col))
            if table not in schema.lookups and fmt:
                _public_digits(fmt, p.decimals if isinstance(p, NumericPreproc) else None)
            out[table][col] = fmt
    return out


def _public_digits(fmt: dict, decimals: int | None) -> None:
    """`fmt`'s digit counts in place from `decimals` (the DP fit's, None: none, values as drawn)."""
    if "decimals" in fmt:  # a number written as text: text again, on the generated values' grid
        fmt["decimals"] = decimals
    fmt.pop("trim_fraction", None)  # whether fractions vary in length: read from the values' digits
    for spelling in fmt.get("spellings", []):  # text dates in several patterns: each one's digits alike,
        _public_digits(spelling, decimals)
        spelling["share"] = 1 / len(fmt["spellings"])  # and its share, a count of rows, even
    if "fraction_digits" in fmt:  # a text datetime's digits of a second (at least one: ".%f" needs it)
        if decimals is None:
            del fmt["fraction_digits"]  # ".%f" writes six
        else:
            fmt["fraction_digits"] = min(max(decimals, 1), 6)
    if "scientific" in fmt:  # a mantissa's digits (1.23456e-05): as few as each needs, up to 6
        fmt.update(scientific=6, trim=True)
    if "magnitude" in fmt:  # 1.2k: one decimal to a unit, as few as each needs; plain values on the DP grid
        fmt["magnitude"] |= {"decimals": 1, "plain_decimals": decimals or 0, "trim": True}
    if "scale" in fmt:  # 1.2 GB: one decimal to a unit, as few as each needs
        fmt["scale"] |= {"decimals": dict.fromkeys(fmt["scale"]["decimals"], 1), "trim": True}
    if "worded_duration" in fmt:  # 1.5 h: one decimal to a unit, as few as each needs; 1h 30m: whole minutes
        worded = fmt["worded_duration"]
        places = 1 if worded["parts"] == "one" else 0
        worded |= {"decimals": dict.fromkeys(worded["decimals"], places), "trim": True}
    if "decimal_places" in fmt:
        scale = (fmt.get(SQL_FORMAT) or {}).get("scale")
        if isinstance(scale, int):  # DECIMAL(p, s) declared by the database
            fmt["decimal_places"] = scale
        elif DECIMAL_PRECISION not in fmt:  # a parquet decimal's places are its declared scale (read_table)
            if decimals is None:
                del fmt["decimal_places"]  # written as floats
            else:
                fmt["decimal_places"] = decimals

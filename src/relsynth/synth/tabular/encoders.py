"""Column preprocessors: each turns one column into tokens of its own small vocabulary.

Every preprocessor has `fit(values)`, `encode(values) -> local ids`, `decode(ids, rng) ->
values`, `n_tokens`, `forbidden` (local ids the model may never emit, e.g. the protected
`<rare>` token) and a JSON round trip (`to_dict` / `column_preproc_from_dict`).
"""

from __future__ import annotations

import datetime as dt
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relsynth.relational.numbers import to_numbers

MISSING = "<missing>"
RARE = "<rare>"


class ColumnPreproc(ABC):
    """Base class of the column preprocessors (pass a fitted or unfitted one in `preprocessors=`)."""

    name = "base"

    @abstractmethod
    def fit(self, values: pd.Series) -> ColumnPreproc:
        """Learn the vocabulary from a column's values; returns self."""

    @abstractmethod
    def encode(self, values: pd.Series) -> np.ndarray:
        """Local token ids (0 .. n_tokens-1) of the values."""

    @abstractmethod
    def decode(self, ids: np.ndarray, rng: np.random.Generator) -> pd.Series:
        """Values for local token ids (sampling within bins with `rng`)."""

    @property
    @abstractmethod
    def n_tokens(self) -> int:
        """Size of this column's vocabulary."""

    @property
    def forbidden(self) -> list[int]:
        """Local ids the model may never generate."""
        return []

    @abstractmethod
    def to_dict(self) -> dict:
        """A JSON-able description, read back by `column_preproc_from_dict`."""


# ---- categories --------------------------------------------------------------------------------
MAX_RARE_SHARE = 0.5  # rows of rare values, at most, before the fit says the column will lose them


def _warn_mostly_rare(name: object, counts: pd.Series, min_count: int, kept: int) -> None:
    """Warn where values rarer than `min_count` hold most of a column's rows: protected as `<rare>`,
    they are generated as the few frequent ones (30 sites' 10 time zones, 4 or fewer sites each but
    Europe/Paris: every generated site in Europe/Paris), which nothing else would tell the user."""
    rare = int(counts[counts < min_count].sum())
    if rare <= MAX_RARE_SHARE * counts.sum():
        return
    warnings.warn(
        f"column {name!r}: {rare} of {int(counts.sum())} rows hold values fewer than {min_count} rows hold; "
        f"they are protected (never generated), so the generated rows take the {kept} frequent value(s) "
        "instead; lower min_count where these values may be repeated (public labels), or declare the column "
        "text if it holds free text",
        stacklevel=3,
    )


@dataclass
class CategoricalPreproc(ColumnPreproc):
    """Categories seen at least `min_count` times; the rest share a protected `<rare>` token.

    `<rare>` is never generated while a frequent category exists, so no rare value can be
    replayed; a column with no frequent category is generated as missing (with a warning at fit),
    unless `TabularPreproc` draws it fresh as an identifier instead (`_shapeless_columns`), or bins
    it as numbers where its values are numbers or dates (`_binned_categories`).
    `rare_as_missing=True` (set by the DP fit, where most values may be rare): in a column with
    nulls, `<rare>` is generated like any token and decoded as missing, so the columns after it
    are conditioned on the value the row really had (not on "missing", which would skew them to
    the rows without one). A column without nulls has nothing to decode it to: there it stays
    forbidden (the model's choice among the kept categories), else a briefly trained model wrote
    nulls into a column that has none.
    """

    min_count: int = 5
    categories: list = field(default_factory=list)  # frequent values, as JSON-able scalars
    dtype: str = "string"
    has_missing: bool = False
    rare_as_missing: bool = False  # generate <rare> and decode it as missing where nulls are (DP fit)
    # a lookup key's: the lookup's keys no category is (public, as the lookup table is), <rare> decoded as one
    # of them, drawn evenly; given before the fit as all the lookup's keys (`TabularPreproc.fit`). Without them
    # the column came back all null: TPC-H's 25 nations, 2 to 4 suppliers each at a small scale, a NOT NULL
    # column which `to_sql` refused; and where a few keys were categories, the rows of all the others went to
    # those few (an inventory's 220 stock lines over 79 products, 4 of them in 5 lines or more: every generated
    # line stocked one of the 4). None where no row holds a rare key: <rare> stays forbidden
    rare_keys: list | None = None
    # <rare> stands for a number its row's number column spells (`_spelled_values`): generated, decoded as
    # missing, then written from that number; a lab value's '141', '0.94' beside its labels '<0.5', 'POS'
    rare_spelled: bool = False
    # the values the column's type allows, public as the schema is (a boolean's False, True): where no value
    # is frequent, <rare> is one of them drawn evenly (as `rare_keys`), not missing. Without them a
    # staff table's NOT NULL `active`, 1 in both its rows, came back null and `to_sql` refused the database
    type_values: list | None = None
    ordered: bool = False  # a pandas category dtype's: its categories are in its order (`take_dtype`)
    name = "categorical"

    def fit(self, values: pd.Series, whole: pd.Series | None = None) -> CategoricalPreproc:
        """`whole`: where `values` are a sample of a larger data that will be encoded (`SQLSource`),
        its rows per value (a null value counting its nulls): the categories are the values it holds
        `min_count` times, as a fit on all of it gives, not those the sample happened to hold. Unused
        where it does not hold the sample's values as they were read (`_typed`: a database's 1 for a
        read True), whose categories would then match no value."""
        counts = values.dropna().value_counts()
        nulls = bool(values.isna().any())
        held = None if whole is None else whole[whole.index.notna() & (whole > 0)]
        if held is not None and _typed(counts.index) <= _typed(held.index):
            nulls |= bool(whole[whole.index.isna()].sum())
            counts = held
            self._seen = {plain_scalar(v) for v in counts.index} | {plain_scalar(v) for v in values.dropna().unique()}
        else:
            self._seen = {plain_scalar(v) for v in counts.index}
        self.categories = [plain_scalar(v) for v in counts.index[counts >= self.min_count]]
        self.categories.sort(key=lambda v: (str(type(v)), v))
        self.take_dtype(values.dtype)
        if self.rare_keys is not None:  # a lookup key's <rare>: one of its keys no category is
            self.rare_keys = _other_keys(self.rare_keys, self.categories, bool((counts < self.min_count).any()))
        elif self.type_values is not None and not self.categories and len(counts):
            self.rare_keys = [plain_scalar(v) for v in self.type_values]  # none frequent: one of the type's
        self.has_missing = nulls or not (self.categories or self.rare_keys)
        if not self.categories and not self.rare_keys and len(counts):
            warnings.warn(
                f"column {values.name!r}: no value appears {self.min_count}+ times, so it will be generated as "
                "missing; lower min_count, or declare it text if it holds free text, or identifier if its values are "
                "codes that name their rows (postal codes, phone numbers: generated fresh in their shapes)",
                stacklevel=2,
            )
        elif self.categories and not self.rare_keys:
            _warn_mostly_rare(values.name, counts, self.min_count, len(self.categories))
        return self

    def take_dtype(self, dtype: object) -> None:
        """The column's dtype, decoded into; a pandas category dtype's order (XS < S < M) and
        `ordered` are kept, for the categories kept (its rare and unused ones would reveal values)."""
        self.dtype = str(dtype)
        if isinstance(dtype, pd.CategoricalDtype):
            rank = {plain_scalar(v): i for i, v in enumerate(dtype.categories)}
            self.categories.sort(key=lambda v: rank.get(v, len(rank)))
            self.ordered = bool(dtype.ordered)

    # token layout: [<missing>, <rare>, categories...]
    @property
    def n_tokens(self) -> int:
        return 2 + len(self.categories)

    @property
    def forbidden(self) -> list[int]:
        if self.rare_keys or self.rare_spelled:  # <rare>: one of the lookup's other keys, or a number spelt
            return [] if self.has_missing else [0]
        if not self.categories:  # nothing else to emit: missing stays allowed
            return [] if self.rare_as_missing else [1]
        if not self.has_missing:  # no nulls: neither <missing> nor <rare>, decoded as missing
            return [1, 0]
        return [] if self.rare_as_missing else [1]

    def encode(self, values: pd.Series) -> np.ndarray:
        sample, spread = one_per_value(values)  # each distinct value looked up once
        codes = spread(pd.Categorical(sample.map(plain_scalar, na_action="ignore"), categories=self.categories).codes)
        ids = np.where(codes >= 0, codes + 2, 1).astype(np.int64)
        ids[values.isna().to_numpy()] = 0
        return ids

    def decode(self, ids: np.ndarray, rng: np.random.Generator) -> pd.Series:
        ids = np.asarray(ids)
        cats = np.array([None, None, *self.categories], dtype=object)
        out = pd.Series(cats[ids], dtype=object)
        if self.rare_keys and (rare := ids == 1).any():  # a lookup's other keys, evenly
            out[rare] = np.array(self.rare_keys, dtype=object)[rng.integers(len(self.rare_keys), size=int(rare.sum()))]
        if self.dtype == "category":  # astype("category") would sort them, unordered
            return out.astype(pd.CategoricalDtype(self.categories, ordered=self.ordered))
        return _restore_dtype(out, self.dtype)

    def unseen(self, values: pd.Series) -> pd.Series:
        """Non-null values never seen at fit (they encode as `<rare>`). Known only in the fitting
        process: the set of seen values is never saved, since it would reveal rare values."""
        seen = getattr(self, "_seen", None)
        if seen is None:
            return values[:0]
        v = values.dropna()
        return v[~v.map(plain_scalar).isin(seen)]

    def to_dict(self) -> dict:
        return {
            "type": self.name,
            "min_count": self.min_count,
            "categories": self.categories,
            "dtype": self.dtype,
            "has_missing": self.has_missing,
            "rare_as_missing": self.rare_as_missing,
            "rare_keys": self.rare_keys,
            "rare_spelled": self.rare_spelled,
            "type_values": self.type_values,
            "ordered": self.ordered,
        }


# ---- numbers -----------------------------------------------------------------------------------
@dataclass
class NumericPreproc(ColumnPreproc):
    """Frequent exact values get their own token; the rest fall in quantile bins, each holding
    `min_count` rows at least (a small table's 20 salaries: 4 bins, not 32 of one value each).

    A value needs `min_count` rows for a token of its own (as a category does), however few
    distinct values the column has, and where it has many a bin's share of the rows too, unless it
    is among the END_CODES lowest or highest (missing-value codes such as -9 or 98 and 99, a cap,
    which a bin would spread across the gap to the other values); a value one record holds (an outlier
    salary) is binned with the other rare values, or, alone, in a bin over its gap to the exact values
    beside it, drawn evenly there, so no single record's value is replayed.

    A value is decoded exactly for its own token, else within its bin: in one of `n_sub` quantile
    intervals of the bin, uniformly or, where the values inside were spread evenly on a log scale
    (a heavy tail spanning decades), log-uniformly (`log_sub`), and never in a bin's empty gap
    between two clusters of its values (`gaps`: junk ages 105 and 1995 in the bin of age 64); then
    rounded to the precision seen
    at fit (integers stay integers, on the step all the values share: 12, 24 ... 60 months). `kind`
    converts dates and times to numbers. Integers are held exactly as int64 where it matters past
    2**53 (float64 holds every other integer there): their values with a token of their own are
    exact, a binned one's digits below float64's precision are drawn (`_exact_integers`).
    """

    n_bins: int = 32
    kind: str = "numeric"  # numeric | integer | datetime | date | time
    min_count: int = 5  # rows a value needs for its own token (read by fit; a loaded one keeps its points)
    points: list[float] = field(default_factory=list)  # values with their own token
    edges: list[float] = field(default_factory=list)  # bin edges of the other values
    decimals: int | None = 0  # the data's grid is 10**-decimals; None: no grid (values kept as drawn)
    # datetimes and times of whole seconds: their grid in seconds (60, 3600, 86400: minutes, hours, days);
    # integers: the step every value is a multiple of (12: loan terms of 12, 24 ... 60 months); other
    # numbers: the same in units of their last decimal (5 of 0.1: shoe sizes in half sizes)
    step: int = 1
    has_missing: bool = False
    dtype: str = "float64"
    n_sub: int = 4  # within-bin quantiles: decoding follows a piecewise-linear CDF, not a flat one
    sub_edges: list[list[float]] = field(default_factory=list)
    log_sub: list[list[bool]] = field(default_factory=list)  # per bin and interval: decode log-uniformly
    # per bin: its empty gaps [a, b], no value strictly between, each much wider than the values around it
    # (`_empty_gaps`); a draw in one moves to the values' side nearer it. [] (a DP fit, older models): none
    gaps: list[list[list[float]]] = field(default_factory=list)
    # numbers read to a fixed number of significant digits (3.21e-17, 4.05e+3): binned draws rounded to
    # as many; 0: none such (the grid alone)
    significant: int = 0
    name = "numeric"

    def fit(self, values: pd.Series, keep: tuple[float, ...] = ()) -> NumericPreproc:
        """`keep`: values that get a token of their own wherever `min_count` rows hold them, however
        many rows the column has (an ordered column's place on its bound, `orderings`)."""
        x = to_number(values, self.kind)
        _check_range(x, values.name)
        self.dtype = str(values.dtype)
        self.has_missing = bool(np.isnan(x).any()) or bool(np.isnan(x).all())
        x = x[~np.isnan(x)]
        if len(x) == 0:
            self.points, self.edges = [], []
            return self
        # integers counted and compared as int64: past 2**53 two values can be one float
        exact = _whole(values) if self.kind == "integer" else x
        uniq, counts = np.unique(exact, return_counts=True)
        # few distinct values: each frequent one exactly; many: those holding a bin's share of the rows
        frequent = counts >= max(self.min_count, 1 if len(uniq) <= self.n_bins else len(x) / self.n_bins)
        frequent |= np.isin(uniq, keep) & (counts >= self.min_count)
        frequent |= _end_codes(counts, self.min_count)
        if self.kind == "integer":
            frequent |= _code_values(uniq, counts, self.min_count, self.n_bins)
        self.points = uniq[frequent].tolist()
        rest = exact[~np.isin(exact, uniq[frequent])].astype(np.float64)
        # each bin min_count rows at least: a bin of one or two values has its quantiles on them, replayed
        n_rest_bins = max(min(self.n_bins - len(self.points), len(rest) // max(self.min_count, 1)), 1)
        if self.kind == "numeric":
            self.decimals = fewest_decimals(x)
            if self.decimals is not None:  # the step every value is a multiple of, in units of the last decimal
                self.step = integer_step(np.round(x * 10.0**self.decimals))
            self.significant = _significant_digits(x, self.decimals)
        elif self.kind in _SUBSECOND:
            self.decimals, self.step = time_grid(exact_ns(values, x, self.kind), self.kind)
        else:  # integers, dates: their fixed grid
            self.decimals = 0
        if self.kind == "integer":
            self.step = integer_step(exact)
        # edges on the data's grid (whole units, seconds, days, decimals): the same bins for the
        # data, and a decoded value rounded down to the grid stays in its bin
        quantiles = np.quantile(rest, np.linspace(0, 1, n_rest_bins + 1)) if len(rest) else np.array([])
        edges = self._on_grid(quantiles)
        if self.significant:  # edges of the data's digits: a draw moved onto one keeps them
            edges = round_significant(edges, self.significant)
        edges = np.unique(edges)
        self.edges = edges.tolist() if len(edges) >= 2 else []
        if not self.points and not self.edges:  # one value, in fewer than min_count rows (a tiny table's constant)
            self.points = np.unique(rest).tolist()  # its own token: nothing else could be written
        elif len(rest) and not self.edges:  # one rare value beside exact ones: a bin over its gap to them
            self.edges = _gap_around(float(rest[0]), self.points)
            rest = rest[:0]  # drawn evenly across the gap: the bin's quantiles would sit on the value
        self.sub_edges = _within_bin_quantiles(rest, self.edges, self.n_sub)
        self.log_sub = log_scaled_intervals(self.sub_edges, rest)
        self.gaps = _empty_gaps(rest, self.edges, self.grid * max(self.min_count - 1, 1))
        return self

    @property
    def grid(self) -> float:
        """The data's resolution: decoded values are multiples of it (0: no grid)."""
        if self.kind in _SUBSECOND:  # datetimes and times: the micro- or milliseconds seen, or seconds ... days
            return 10.0**-self.decimals if self.decimals else float(self.step)
        if self.kind == "integer":
            return float(self.step)
        if self.kind in _GRID:
            return _GRID[self.kind]
        return 0.0 if self.decimals is None else self.step * 10.0**-self.decimals

    def _on_grid(self, x: np.ndarray) -> np.ndarray:
        """The smallest multiples of the grid >= x."""
        if not self.grid:
            return x
        out = np.ceil(x / self.grid - 1e-9) * self.grid + 0.0  # + 0.0: the ceiling of -0.3 is -0.0
        return np.round(out, self.decimals) + 0.0 if self.kind == "numeric" else out

    # token layout: [<missing>, points..., bins...]
    @property
    def n_bins_used(self) -> int:
        return max(len(self.edges) - 1, 0)

    @property
    def n_tokens(self) -> int:
        return 1 + len(self.points) + self.n_bins_used

    @property
    def forbidden(self) -> list[int]:
        return [] if self.has_missing else [0]

    def token_bins(self, ids: np.ndarray) -> np.ndarray:
        """The bin of each token of `ids` (0..n_bins_used - 1), negative for `<missing>` and points."""
        return np.asarray(ids) - 1 - len(self.points)

    def encode(self, values: pd.Series) -> np.ndarray:
        x = to_number(values, self.kind)
        ids = np.zeros(len(x), dtype=np.int64)
        ok = ~np.isnan(x)
        integer = self.kind == "integer"
        points = _int64(self.points) if integer else np.asarray(self.points)
        is_point = np.zeros(len(x), dtype=bool)
        if len(points):
            held = _whole(values) if integer else x[ok]  # integers compared exactly
            pos = np.clip(np.searchsorted(points, held), 0, len(points) - 1)
            hit = points[pos] == held
            is_point[np.flatnonzero(ok)[hit]] = True
            ids[np.flatnonzero(ok)[hit]] = 1 + pos[hit]
        binned = ok & ~is_point
        if self.n_bins_used:
            b = np.clip(np.searchsorted(self.edges, x[binned], side="right") - 1, 0, self.n_bins_used - 1)
            ids[binned] = 1 + len(self.points) + b
        elif binned.any() and len(points):  # no bins: snap to the nearest point (none at all: missing)
            ids[binned] = 1 + np.abs(points[None, :] - x[binned][:, None]).argmin(axis=1)
        return ids

    def decode(self, ids: np.ndarray, rng: np.random.Generator) -> pd.Series:
        ids = np.asarray(ids)
        x = np.full(len(ids), np.nan)
        n_pts = len(self.points)
        is_point = (ids >= 1) & (ids <= n_pts)
        x[is_point] = np.asarray(self.points)[ids[is_point] - 1] if n_pts else np.nan
        is_bin = ids > n_pts
        if is_bin.any():
            b = ids[is_bin] - 1 - n_pts
            if self.sub_edges:  # a random within-bin quantile interval, then uniform inside it
                sub = np.asarray(self.sub_edges)
                k = rng.integers(0, sub.shape[1] - 1, len(b))
                lo, hi = sub[b, k], sub[b, k + 1]
                log = np.asarray(self.log_sub, dtype=bool)[b, k] if self.log_sub else np.zeros(len(b), bool)
            else:
                lo, hi = np.asarray(self.edges)[b], np.asarray(self.edges)[b + 1]
                log = np.zeros(len(b), dtype=bool)
            drawn = _draw_between(lo, hi, log, rng.random(len(b)))
            x[is_bin] = self._down_to_grid(_out_of_gaps(drawn, b, self.gaps, self.edges, rng), b)
        if self.kind == "integer":  # read as text (an SQL integer declared categorical): written back as text
            out = self._exact_integers(x, ids, is_point, rng)
            return out.astype("string") if self.dtype == "string" else out
        out = _from_number(x, self.kind, self.dtype, self.decimals if self.kind in _SUBSECOND else 0)
        if self.kind == "date" and self.dtype == "string":  # days held as texts (a categorical's): written so
            return out.dt.strftime("%Y-%m-%d").astype("string")
        return out

    def _exact_integers(
        self, x: np.ndarray, ids: np.ndarray, is_point: np.ndarray, rng: np.random.Generator
    ) -> pd.Series:
        """Decoded integers as int64: a point's exact value; a binned value past 2**53, where float64
        holds only every 2nd, 4th ... integer, with its digits below that drawn evenly, kept on the
        step and inside its bin (the bin's edges as integers)."""
        out = _int64(np.nan_to_num(x))
        if is_point.any():
            out[is_point] = _int64(self.points)[ids[is_point] - 1]
        big = np.flatnonzero((ids > len(self.points)) & (np.abs(np.nan_to_num(x)) > 2.0**53))
        if len(big):
            b = ids[big] - 1 - len(self.points)
            low = np.floor(rng.random(len(big)) * np.spacing(np.abs(x[big]))).astype(np.int64)
            drawn = np.where(out[big] <= np.iinfo(np.int64).max - low, out[big] + low, out[big])  # no wrap past int64
            drawn -= drawn % self.step
            edges = _int64(self.edges)
            top = np.where(b < self.n_bins_used - 1, edges[b + 1] - self.step, edges[b + 1])
            out[big] = np.clip(drawn, edges[b], np.maximum(top, edges[b]))
        missing = np.isnan(x)
        return pd.Series(pd.array(np.where(missing, 0, out), dtype="Int64").astype("Int64")).mask(missing)

    def _down_to_grid(self, x: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Round down to the grid, kept inside bin b (right-open but the last, whose top is the maximum)."""
        edges = np.asarray(self.edges)
        if not self.grid:  # continuous: inside the bin, right-open but the last
            top = np.where(b < self.n_bins_used - 1, np.nextafter(edges[b + 1], -np.inf), edges[b + 1])
            return self._to_significant(np.clip(x, edges[b], np.maximum(top, edges[b])), b)
        x = np.floor(x / self.grid + 1e-9) * self.grid
        top = np.where(b < self.n_bins_used - 1, edges[b + 1] - self.grid, edges[b + 1])
        x = np.clip(x, edges[b], np.maximum(top, edges[b]))
        return self._to_significant(np.round(x, self.decimals), b) if self.kind == "numeric" else x

    def _to_significant(self, x: np.ndarray, b: np.ndarray) -> np.ndarray:
        """`x` rounded to the data's significant digits where it has such a precision, kept in bin b."""
        if not self.significant:
            return x
        return _keep_in_bin(round_significant(x, self.significant), x, self.edges, b)

    def to_dict(self) -> dict:
        return {
            "type": self.name,
            "n_bins": self.n_bins,
            "kind": self.kind,
            "min_count": self.min_count,
            "points": self.points,
            "edges": self.edges,
            "decimals": self.decimals,
            "step": self.step,
            "has_missing": self.has_missing,
            "dtype": self.dtype,
            "n_sub": self.n_sub,
            "sub_edges": self.sub_edges,
            "log_sub": self.log_sub,
            "gaps": self.gaps,
            "significant": self.significant,
        }


# ---- child counts ------------------------------------------------------------------------------
@dataclass
class CountPreproc(ColumnPreproc):
    """Children per parent: exact tokens for 0..max_exact, quantile bins for larger counts, each
    bin holding at least `min_count` parents (as a number's bin does), so no single parent's count
    is replayed: fewer larger counts than that (one parent with 3,000 children) share one bin from
    max_exact + 1 up, and a generated count is drawn in it. Counts below the least every parent
    holds, where `LEAST_PARENTS` parents hold that least (every customer has a version, every
    order two events at least: not the tail of a spread), are never generated (`least`): a small
    model gave 1 of 1,005 orders a single `delivered` event, 1 of 400 customers no version.

    Larger counts that `min_count` parents each hold, with too few parents at other large counts for
    a bin of their own, are a bin each (`_single_edges`): a panel's stores of 120 or 150 days, one bin
    from 120 to 150, were generated with any number of days in it (a store of 137 days ends at a date
    no store of the data ends at). A rare count among them is written as the nearest such count, as
    a rare number is; the bins between them are held by no parent and never generated (`empty`).

    A count is drawn in its bin as a binned number is, in one of `n_sub` quantile intervals of the
    counts inside it (`sub_edges`), not evenly over the bin: a long tail's one bin from 112 to 600
    sessions a user, most of them near 150, gave a median of 384 drawn evenly, against 152."""

    max_exact: int = 100
    n_bins: int = 16
    max_seen: int = 0
    edges: list[float] = field(default_factory=list)
    min_count: int = 5  # parents a bin of larger counts needs (read by fit)
    least: int = 0  # the fewest children generated (fit; 0 in a DP fit, which never reads it, and in older models)
    empty: list[int] = field(default_factory=list)  # bins between single counts, never generated (older: none)
    n_sub: int = 4  # within-bin quantile intervals a count is drawn in (`sub_edges`)
    # per bin: n_sub + 1 quantiles of the counts inside it; [] (a DP fit, which may not look, and older
    # models): drawn evenly over the bin
    sub_edges: list[list[float]] = field(default_factory=list)
    name = "count"

    def fit(self, values: pd.Series, whole: pd.Series | None = None) -> CountPreproc:
        """`whole`: where `values` are a sample's (`SQLSource.sample`), the whole data's parents per
        count (count -> parents), which the range and bins are read from: fitted on the sample
        alone, a larger count of the whole data was encoded as the sample's largest."""
        if whole is None:
            x = np.asarray(values, dtype=np.int64)
            self.max_seen = int(x.max()) if len(x) else 0
            self.least = _least_count(pd.Series(x).value_counts())
            big = x[x > self.max_exact]
        else:
            held = whole[whole > 0]
            self.max_seen = int(held.index.max()) if len(held) else 0
            self.least = _least_count(held)
            held = held[held.index > self.max_exact]
            big = np.repeat(held.index.to_numpy(np.int64), held.to_numpy(np.int64))  # the few large ones only
        self.edges, self.empty, self.sub_edges = [], [], []
        if (singles := _single_edges(big, self.min_count, self.n_bins)) is not None:
            self.edges, self.empty = singles
        elif len(big) < self.min_count:  # too few to bin apart: one bin from the exact counts' end
            self.edges = [float(self.max_exact + 1), float(big.max() + 1)] if len(big) else []
        else:
            n_bins = min(self.n_bins, len(big) // max(self.min_count, 1))
            edges = np.unique(np.quantile(big, np.linspace(0, 1, n_bins + 1)).round())
            edges[-1] += 1  # right-open bins must hold the maximum
            self.edges = edges.tolist() if len(edges) >= 2 else [float(big.min()), float(big.max() + 1)]
            # bins of min_count parents each: their quantiles replay no single parent's count (a lone one's bin
            # above is drawn evenly)
            self.sub_edges = _within_bin_quantiles(big.astype(np.float64), self.edges, self.n_sub)
        return self

    @property
    def n_exact(self) -> int:
        return min(self.max_seen, self.max_exact) + 1

    @property
    def forbidden(self) -> list[int]:
        """The exact counts below `least`, and the bins no parent holds."""
        return list(range(min(self.least, self.n_exact - 1))) + [self.n_exact + b for b in self.empty]

    @property
    def n_tokens(self) -> int:
        return self.n_exact + max(len(self.edges) - 1, 0)

    def encode(self, values) -> np.ndarray:
        x = np.asarray(values, dtype=np.int64)
        ids = np.minimum(x, self.n_exact - 1)
        big = x > self.max_exact
        if big.any() and self.edges:
            b = np.clip(np.searchsorted(self.edges, x[big], side="right") - 1, 0, len(self.edges) - 2)
            if self.empty:  # a rare count between single ones: the nearest single's
                b = _nearest_single(x[big], b, self.edges, self.empty)
            ids[big] = self.n_exact + b
        return ids

    def decode(self, ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        out = ids.copy()
        big = ids >= self.n_exact
        if big.any():
            b = ids[big] - self.n_exact
            lo, hi = np.asarray(self.edges)[b], np.asarray(self.edges)[b + 1]
            top = hi - 1  # right-open bins
            if self.sub_edges:  # a random within-bin quantile interval, then evenly inside it
                sub = np.asarray(self.sub_edges)
                k = rng.integers(0, sub.shape[1] - 1, len(b))
                lo, hi = sub[b, k], np.maximum(sub[b, k + 1], sub[b, k] + 1)  # + 1: a point's interval holds it
            out[big] = np.clip(np.floor(lo + rng.random(len(b)) * (hi - lo)), np.asarray(self.edges)[b], top)
        return out

    def to_dict(self) -> dict:
        return {
            "type": self.name,
            "max_exact": self.max_exact,
            "n_bins": self.n_bins,
            "max_seen": self.max_seen,
            "edges": self.edges,
            "min_count": self.min_count,
            "least": self.least,
            "empty": self.empty,
            "n_sub": self.n_sub,
            "sub_edges": self.sub_edges,
        }


def _single_edges(big: np.ndarray, min_count: int, n_bins: int) -> tuple[list[float], list[int]] | None:
    """(edges, empty bins) giving each large count `min_count` parents hold a bin of its own, where
    there are `n_bins` such counts at most and the parents at other large counts are too few for a
    bin (`min_count`); else None."""
    values, parents = np.unique(big, return_counts=True)
    frequent = values[parents >= min_count]
    if not 0 < len(frequent) <= n_bins or parents[parents < min_count].sum() >= min_count:
        return None
    edges = sorted({float(v) for v in frequent} | {float(v) + 1 for v in frequent})
    empty = [i for i in range(len(edges) - 1) if edges[i] not in frequent]
    return edges, empty


def _nearest_single(x: np.ndarray, b: np.ndarray, edges: list[float], empty: list[int]) -> np.ndarray:
    """Bins `b` of counts `x`, those in an empty bin (or past the last) moved to the nearest single count's."""
    singles = np.asarray([i for i in range(len(edges) - 1) if i not in set(empty)])
    starts = np.asarray(edges)[singles]
    nearest = singles[np.argmin(np.abs(x[:, None] - starts[None, :]), axis=1)]
    off = np.isin(b, empty) | (x < edges[0]) | (x >= edges[-1])
    return np.where(off, nearest, b)


LEAST_PARENTS = 20  # parents holding the least count, at least, for fewer children never to be generated


def _least_count(parents: pd.Series) -> int:
    """The least count of `parents` (count -> parents holding it) where `LEAST_PARENTS` parents hold
    it (a floor, not the thin end of a spread: Poisson counts of mean 10 start with a parent or two),
    else 0."""
    held = parents[parents > 0]
    if not len(held):
        return 0
    least = int(held.index.min())
    return least if held.loc[least] >= LEAST_PARENTS else 0


_TYPES = {"categorical": CategoricalPreproc, "numeric": NumericPreproc, "count": CountPreproc}


def column_preproc_from_dict(d: dict) -> ColumnPreproc:
    d = dict(d)
    cls = _TYPES[d.pop("type")]
    return cls(**d)


# ---- conversions -------------------------------------------------------------------------------
_NS_PER_S = 1_000_000_000
_GRID = {"integer": 1.0, "datetime": 1.0, "time": 1.0, "date": 86_400.0}  # numeric: 10**-decimals
END_CODES = 3  # the most values at either end of a number that get a token of their own (`_end_codes`)
CODE_BINS = 4  # integers a token each: at most this many times n_bins distinct values (`_code_values`) ...
RARE_CODES = 0.01  # ... the rows holding a value rarer than min_count at most this share ...
CODE_SPARSITY = 4  # ... and the values at most 1/CODE_SPARSITY of the integers between the least and greatest
MIN_STEP_ROWS = 20  # values an integer column needs before a step is read from them
_SUBSECOND = ("datetime", "time")  # kinds whose grid follows the resolution seen (days ... microseconds)
# the grids tried, coarsest first: (ns, decimals, step in seconds); times of day stop at hours
# a schedule's 30, 15, 10 or 5 minutes (departures at 08:35, appointments at 10:15) between hours and minutes
_SLOTS = tuple((m * 60 * _NS_PER_S, 0, m * 60) for m in (30, 15, 10, 5))
_STEPS = {
    "datetime": ((86_400 * _NS_PER_S, 0, 86_400), (3_600 * _NS_PER_S, 0, 3_600), *_SLOTS, (60 * _NS_PER_S, 0, 60)),
    "time": ((3_600 * _NS_PER_S, 0, 3_600), *_SLOTS, (60 * _NS_PER_S, 0, 60)),
}
_FINE = ((_NS_PER_S, 0, 1), (1_000_000, 3, 1))  # whole seconds, milliseconds (else microseconds)


def time_grid(ns: np.ndarray, kind: str) -> tuple[int, int]:
    """(decimals, step): the coarsest grid every value (`ns`: exact integer nanoseconds) lies on:
    whole days, hours, 30/15/10/5 minutes, minutes or seconds (decimals 0, `step` in seconds), milli- or microseconds
    (decimals 3 or 6). Saved encoders without them hold (0, 1): whole seconds, as before."""
    for unit, decimals, step in _STEPS[kind] + _FINE:
        if np.all(ns % unit == 0):  # exact: float epoch seconds cannot tell 1 ms from 0 within ~1e-6
            return decimals, step
    return 6, 1


def integer_step(x: np.ndarray) -> int:
    """The greatest common divisor of the integers `x` (no missing values; int64, exact, or floats:
    1 beyond float64's exact integers), where at least `MIN_STEP_ROWS` rows show it (loan terms of
    12 ... 60 months: 12; a rare term binned between two others was decoded as 19 or 22 months), else 1."""
    if len(x) < MIN_STEP_ROWS or not len(x) or (x.dtype.kind == "f" and np.abs(x).max() > 2**53):
        return 1
    step = int(np.gcd.reduce(np.abs(x.astype(np.int64))))  # |int64's least| wraps to itself: gcd's sign
    return max(abs(step), 1)


def _whole(values: pd.Series) -> np.ndarray:
    """The non-null values of an integer column as int64, exact past 2**53 (never through a float
    where they are integers already)."""
    s = pd.Series(values).dropna()
    if pd.api.types.is_integer_dtype(s.dtype):
        return s.to_numpy(dtype=np.int64)
    return _int64(to_numbers(s).dropna().to_numpy(dtype=np.float64))


def _int64(values: list | np.ndarray) -> np.ndarray:
    """Integers (Python ints, exact) or floats (rounded, kept inside int64: float64 holds its ends as
    2**63, past them) as int64."""
    a = np.asarray(values)
    if a.dtype.kind in "iu":
        return a.astype(np.int64)
    if a.dtype == object:  # Python ints past float64's precision
        return np.array([int(v) for v in a], dtype=np.int64)
    return np.clip(np.round(a.astype(np.float64)), -(2.0**63), np.nextafter(2.0**63, 0)).astype(np.int64)


def exact_ns(values: pd.Series, x: np.ndarray, kind: str) -> np.ndarray:
    """The non-null values as integer nanoseconds (since the epoch; times: since midnight), read from
    the values themselves where float epoch seconds (`x`) lose them."""
    if kind == "datetime":
        ts = pd.to_datetime(values)
        return ts[ts.notna()].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return np.round(x[~np.isnan(x)] * 1e6).astype(np.int64) * 1_000  # seconds of a day hold microseconds exactly


def to_number(values: pd.Series, kind: str) -> np.ndarray:
    """Numbers for binning: epoch seconds for datetimes, seconds since midnight for times."""
    if kind in ("datetime", "date"):
        ts = pd.to_datetime(values)
        out = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64) / _NS_PER_S
        out[ts.isna().to_numpy()] = np.nan
        return out
    if kind == "time":
        return (
            values.map(
                lambda t: (
                    t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6 if isinstance(t, dt.time) else np.nan
                ),
                na_action="ignore",
            )
            .astype(np.float64)
            .to_numpy()
        )
    return to_numbers(values).astype(np.float64).to_numpy()


def _from_number(x: np.ndarray, kind: str, dtype: str, decimals: int = 0) -> pd.Series:
    """`decimals` (datetimes, times): the digits of a second to keep, each value rounded to them
    (in integers: float64 epoch seconds times 1e9 are 256 ns apart)."""
    if kind in ("datetime", "date"):
        # rounded to the grid, then scaled in integers (never truncated: 1.993 s is not 1.992999936 s)
        ns = np.round(np.nan_to_num(x) * 10.0**decimals).astype(np.int64) * 10 ** (9 - decimals)
        out = pd.Series(ns.astype("datetime64[ns]"))
        out[np.isnan(x)] = pd.NaT
        return out.dt.normalize() if kind == "date" else out
    if kind == "time":
        micros = pd.Series(np.round(np.nan_to_num(x) * 1e6 / 10 ** (6 - decimals)) * 10 ** (6 - decimals))
        return micros.where(~np.isnan(x)).map(time_of_day, na_action="ignore").astype(object).where(~np.isnan(x), None)
    if kind == "integer":  # float64 holds int64's ends as 2**63: kept inside the range (digits past 2**53 are float's)
        return pd.Series(np.clip(np.round(x), -(2.0**63), np.nextafter(2.0**63, 0))).astype("Int64")
    return pd.Series(x + 0.0, dtype="float64")  # never -0.0 (rounded from a small negative): written "-0.0"


def time_of_day(micros: float) -> dt.time:
    """Microseconds since midnight (any day's: taken modulo a day) as a time of day."""
    us = int(micros) % (86_400 * 10**6)
    return dt.time(us // 3_600_000_000, us // 60_000_000 % 60, us // 1_000_000 % 60, us % 1_000_000)


def _other_keys(keys: list, categories: list, rare_rows: bool) -> list | None:
    """A lookup's keys (`keys`, saved as JSON: ints and texts) that no category is, where there
    are no categories or some row holds a rare key (`rare_rows`); else None."""
    taken = set(categories)
    others = [k for k in map(plain_scalar, keys) if isinstance(k, int | str) and k not in taken]
    return others or None if rare_rows or not categories else None


def _code_values(uniq: np.ndarray, counts: np.ndarray, min_count: int, n_bins: int) -> np.ndarray:
    """Which of the sorted distinct integers `uniq` get a token each where the column is a set of
    codes: at most `CODE_BINS` times `n_bins` values, nearly every row (all but `RARE_CODES`) holding
    one of `min_count` rows at least (postal codes, 59 of them in 802 listings), spread apart (at
    most 1 / `CODE_SPARSITY` of the integers between the least and the greatest). Binned, a value was
    drawn between two of them, a code no row holds: 59006 in Lille, whose codes are 59000, 59160,
    59260, 59777 and 59800, and 13.9 % of generated listings had a code not of their city. Dense
    integers (ages 12 to 90, quantities 1 to 50) stay binned: any value drawn is one rows hold, and
    rules read their bins (a survey's skip logic below an age, `_null_cuts`)."""
    held = counts >= max(min_count, 1)
    span = float(uniq[-1]) - float(uniq[0]) + 1 if len(uniq) else 0.0
    if (
        len(counts) > CODE_BINS * n_bins
        or counts[~held].sum() > RARE_CODES * counts.sum()
        or len(uniq) * CODE_SPARSITY > span
    ):
        return np.zeros(len(counts), dtype=bool)
    return held


def _end_codes(counts: np.ndarray, min_count: int) -> np.ndarray:
    """Which of the sorted distinct values are among the END_CODES lowest or highest, each held by
    `min_count` rows with every value between it and its end: missing-value codes (-9, -8; 98, 99;
    99999999), caps. Binned, a bin's quantiles would spread them across the gap to the other values."""
    held = counts >= max(min_count, 1)
    k = min(END_CODES, len(counts))
    low = np.logical_and.accumulate(held[:k])
    high = np.logical_and.accumulate(held[::-1][:k])
    out = np.zeros(len(counts), dtype=bool)
    out[:k] |= low
    out[len(counts) - k :] |= high[::-1]
    return out


def _gap_around(value: float, points: list[float]) -> list[float]:
    """The edges of a bin for a value too rare for a token of its own and alone outside the points:
    from the nearest point below it to the nearest above (the value itself where none is), so the
    value keeps the column's range and is drawn across its gap, not replaced by a point."""
    p = np.asarray(points)
    below, above = p[p < value], p[p > value]
    return [float(below.max()) if len(below) else value, float(above.min()) if len(above) else value]


def _within_bin_quantiles(x: np.ndarray, edges: list[float], n_sub: int) -> list[list[float]]:
    """n_sub+1 quantiles of the values inside each bin (the bin's edges when it is empty)."""
    if len(edges) < 2 or n_sub < 2:
        return []
    e = np.asarray(edges)
    b = np.clip(np.searchsorted(e, x, side="right") - 1, 0, len(e) - 2)
    out = []
    for i in range(len(e) - 1):
        inside = x[b == i]
        q = np.quantile(inside, np.linspace(0, 1, n_sub + 1)) if len(inside) else np.linspace(e[i], e[i + 1], n_sub + 1)
        q[0], q[-1] = e[i], max(q[-1], e[i]) if i < len(e) - 2 else e[i + 1]
        out.append(np.maximum.accumulate(q).tolist())
    return out


# a bin's empty gap (`_empty_gaps`): this many times wider than its values' other spread, and this many
# times on a log scale (a heavy tail's values thin out evenly there). Five values spread evenly leave one
# of 20/21 of their spread between their 2nd and 3rd about once in 10**4 bins ((1/21)**3; 2 of 24296 bins
# of small samples of normal, log-normal, Pareto, exponential and uniform columns)
GAP_FACTOR, LOG_GAP_FACTOR = 20.0, 5.0


def _empty_gaps(x: np.ndarray, edges: list[float], min_width: float) -> list[list[list[float]]]:
    """Per bin, its empty gaps between clusters of the values inside it, each cluster `min_width` wide
    at least (min_count steps of the data's grid); [] where no bin has one."""
    if len(edges) < 2 or not len(x):
        return []
    e = np.asarray(edges)
    b = np.clip(np.searchsorted(e, x, side="right") - 1, 0, len(e) - 2)
    gaps = [_split_at_gaps(np.unique(x[b == i]), min_width) for i in range(len(e) - 1)]
    return gaps if any(gaps) else []


def _split_at_gaps(v: np.ndarray, min_width: float) -> list[list[float]]:
    """The gaps [a, b] between sorted distinct values `v` that are GAP_FACTOR times wider than the
    rest of their spread, on a linear scale and, for positive values, on a log scale too (a heavy
    tail's values thin out evenly there). Each side keeps two distinct values at least, `min_width`
    apart or more: a cluster of one value, or of 1995 and 1996, would be drawn on its records' values."""
    if len(v) < 4:
        return []
    i = 1 + int(np.argmax(np.diff(v)[1:-1]))  # the widest gap with two values at least on either side
    if min(v[i] - v[0], v[-1] - v[i + 1]) < min_width:  # v distinct: both sides wider than 0
        return []
    log_gap, log_span = np.log([v[i + 1] / v[i], v[-1] / v[0]]) if v[0] > 0 else (np.inf, np.inf)
    if not _wide(v[i + 1] - v[i], v[-1] - v[0], GAP_FACTOR) or not _wide(log_gap, log_span, LOG_GAP_FACTOR):
        return []
    left, right = _split_at_gaps(v[: i + 1], min_width), _split_at_gaps(v[i + 1 :], min_width)
    return left + [[float(v[i]), float(v[i + 1])]] + right


def _wide(gap: float, span: float, factor: float) -> bool:
    return bool(gap >= factor * (span - gap)) if np.isfinite(gap) else True


def _out_of_gaps(
    y: np.ndarray, b: np.ndarray, gaps: list[list[list[float]]], edges: list[float], rng: np.random.Generator
) -> np.ndarray:
    """Draws `y` in bins `b` moved out of their bin's empty gaps: one in a gap's lower half is drawn
    again evenly over the values below it (back to the bin's edge or the previous gap), one in the
    upper half over those above it. The quantile intervals of a bin of few values interpolate across
    such a gap (64, 105, 105, 1995, 2014, 2014: 105 to 1050 to 2009), half their draws in it."""
    y = y.copy()
    for i, bin_gaps in enumerate(gaps):
        if not bin_gaps:
            continue
        bounds = [edges[i], *np.ravel(bin_gaps).tolist(), edges[i + 1]]  # cluster j: bounds[2j] to bounds[2j + 1]
        for j, (a, c) in enumerate(bin_gaps):
            inside = np.flatnonzero((b == i) & (y > a) & (y < c))
            if not len(inside):
                continue
            upper = y[inside] >= (a + c) / 2
            lo = np.where(upper, c, bounds[2 * j])
            hi = np.where(upper, bounds[2 * j + 3], a)
            y[inside] = lo + rng.random(len(inside)) * (hi - lo)
    return y


def log_scaled_intervals(sub_edges: list[list[float]], x: np.ndarray | None, min_values: int = 8) -> list[list[bool]]:
    """For each within-bin interval, whether to decode it log-uniformly: it does not contain zero
    and the values inside (`x`, the binned training values) sit closer to uniform on a log scale
    than on a linear one (Kolmogorov-Smirnov distance). With fewer than `min_values` values
    inside (or `x=None`: the DP fit, which may not look), only intervals spanning more than
    two decades are log-scaled — uniform draws there would all land in the top decade."""
    if not sub_edges:
        return []
    sub = np.asarray(sub_edges, dtype=np.float64)  # (bins, n_sub + 1)
    lo, hi = sub[:, :-1], sub[:, 1:]
    one_sign = ((lo > 0) | (hi < 0)) & (hi > lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(one_sign, np.abs(hi) / np.abs(lo), 1.0)
        ratio = np.where(hi < 0, 1 / ratio, ratio)
    out = one_sign & (ratio > 100)
    if x is not None and len(x):
        for i, j in zip(*np.nonzero(one_sign & (ratio > 1.5)), strict=True):
            inside = x[(x >= lo[i, j]) & (x <= hi[i, j])]
            if len(inside) >= min_values:
                linear = (inside - lo[i, j]) / (hi[i, j] - lo[i, j])
                logged = np.log(inside / lo[i, j]) / np.log(hi[i, j] / lo[i, j])
                out[i, j] = _ks_uniform(logged) < _ks_uniform(linear)
    return out.tolist()


def _ks_uniform(u: np.ndarray) -> float:
    """Kolmogorov-Smirnov distance of positions in [0, 1] from the uniform distribution."""
    u = np.sort(np.clip(u, 0.0, 1.0))
    n = len(u)
    steps = np.arange(1, n + 1) / n
    return float(max((steps - u).max(), (u - (steps - 1 / n)).max()))


def _draw_between(lo: np.ndarray, hi: np.ndarray, log: np.ndarray, u: np.ndarray) -> np.ndarray:
    """lo + u (hi - lo), or, where `log`, the same on a log scale (lo and hi of one sign)."""
    out = lo + u * (hi - lo)
    if log.any():
        a, b = lo[log], hi[log]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[log] = a * np.exp(u[log] * np.log(b / a))  # b / a > 0: same sign
    return out


MAX_ABS = 1e307  # beyond this, a bin's width (top - bottom) overflows float64


def _check_range(x: np.ndarray, name: object) -> None:
    """Finite numbers within ±MAX_ABS, else a ValueError naming the column and the supported range."""
    bad = np.isinf(x) | (np.abs(np.nan_to_num(x)) > MAX_ABS)
    if bad.any():
        raise ValueError(
            f"column {name!r}: {int(bad.sum())} value(s) such as {x[bad][0]!r} are outside the supported range "
            f"(finite, |x| <= {MAX_ABS:g}); replace ±inf with null or a bound, or store the column in other units"
        )


def decimals_of(x: np.ndarray) -> int:
    """The decimals the values are written with (0 to 6; 2: prices in cents): what a sum, total or
    ratio of them is rounded to."""
    for d in range(7):
        if np.allclose(x, np.round(x, d), rtol=0, atol=1e-9):
            return d
    return 6


def fewest_decimals(x: np.ndarray, n_significant: int = 6) -> int | None:
    """The fewest decimals that hold the values (relative error 1e-9), scale-aware: up to
    `n_significant` digits past the smallest non-zero magnitude, so 1e-8 is not rounded to 0.
    None when no such grid fits float64's 53 bits beside the largest value (keep values as drawn)."""
    sample = x[np.isfinite(x)][:10_000]
    nonzero = np.abs(sample[sample != 0])
    if not len(nonzero):
        return 0
    most = max(n_significant, int(-np.floor(np.log10(nonzero.min()))) + n_significant)
    fits = int(np.floor(53 * np.log10(2.0) - np.log10(nonzero.max())))  # grid steps stay exact integers
    for d in range(0, min(most, fits, 300) + 1):
        if np.allclose(np.round(sample, d), sample, rtol=1e-9, atol=0):
            return d
    # no grid found: the scale-aware cap when float64 holds it, else none (a coarser one would zero small values)
    return most if most <= min(fits, 300) else None


MAX_SIGNIFICANT = 6  # more digits than an instrument reads: the values' grid is their precision
MIN_SIGNIFICANT_ROWS = 20  # non-zero values a significant-digit precision is read from
MIN_SIGNIFICANT_DECADES = 3  # decades the values of all its digits lie in


def _significant_digits(x: np.ndarray, decimals: int | None) -> int:
    """The fewest significant digits (1 .. MAX_SIGNIFICANT) every non-zero value of `x` is written
    with, where values of all n digits lie in MIN_SIGNIFICANT_DECADES decades at least (a relative
    precision, not a grid: cents beside whole yen are two) and the decimal grid (`decimals`) would
    let MIN_SIGNIFICANT_ROWS of them hold more; else 0 (prices in cents: the grid says it)."""
    nonzero = np.abs(x[np.isfinite(x) & (x != 0)])[:10_000]
    if len(nonzero) < MIN_SIGNIFICANT_ROWS:
        return 0
    for n in range(1, MAX_SIGNIFICANT + 1):
        if np.allclose(round_significant(nonzero, n), nonzero, rtol=1e-9, atol=0):
            decades = np.floor(np.log10(nonzero))
            full = (
                ~np.isclose(round_significant(nonzero, n - 1), nonzero, rtol=1e-9, atol=0)
                if n > 1
                else decades == decades
            )
            if len(np.unique(decades[full])) < MIN_SIGNIFICANT_DECADES:
                return 0
            if decimals is None:  # no grid: the digits are all there is
                return n
            grid_digits = decades + 1 + decimals  # the digits the grid lets each value hold
            return n if np.count_nonzero(grid_digits > n) >= MIN_SIGNIFICANT_ROWS else 0
    return 0


def round_significant(x: np.ndarray, n: int) -> np.ndarray:
    """`x` rounded to `n` significant digits, each the float nearest its decimal (1.23e-25, not
    1.2300000000000001e-25): by exact powers of ten where they are exact, else through its text."""
    x = np.asarray(x, dtype=np.float64)
    out = x.copy()
    ok = np.isfinite(x) & (x != 0)
    k = np.zeros(len(x), dtype=np.int64)
    k[ok] = n - 1 - np.floor(np.log10(np.abs(x[ok]))).astype(np.int64)  # decimals kept
    up = ok & (k >= 0) & (k <= 22)  # 10**k exact in float64 up to 22
    out[up] = np.round(x[up] * 10.0 ** k[up]) / 10.0 ** k[up]
    down = ok & (k < 0) & (k >= -22)
    out[down] = np.round(x[down] / 10.0 ** -k[down]) * 10.0 ** -k[down]
    rest = ok & ~up & ~down
    out[rest] = [float(f"{v:.{n - 1}e}") for v in x[rest]]
    return out


def _keep_in_bin(rounded: np.ndarray, drawn: np.ndarray, edges: list[float], b: np.ndarray) -> np.ndarray:
    """`rounded` where it stays in its bin `b` (right-open but the last), else the bin's nearer edge
    (a data value, of the data's digits): a re-encoded value keeps its token."""
    e = np.asarray(edges)
    lo, hi = e[b], e[b + 1]
    last = b == len(e) - 2
    inside = (rounded >= lo) & ((rounded < hi) | (last & (rounded <= hi)))
    edge = np.where(np.abs(drawn - lo) <= np.abs(hi - drawn), lo, np.where(last, hi, lo))
    return np.where(inside, rounded, edge)


def plain_scalar(v):
    """A JSON-able Python scalar for a category value."""
    return v.item() if hasattr(v, "item") else v


def label_texts(s: pd.Series) -> np.ndarray:
    """Each value of a category column as text (`str` of its plain value; missing: None),
    read through objects: an integer column beside a null maps its values as floats ('1.0' for 1),
    which no category's text is. Missing as None: pd.NA compares to no bool."""
    sample, spread = one_per_value(s)  # each distinct value written once where alike
    texts = spread(sample.astype(object).map(lambda v: str(plain_scalar(v)), na_action="ignore").to_numpy(dtype=object))
    texts[pd.isna(texts)] = None
    return texts


def plain_texts(values: pd.Series) -> pd.Series:
    """`values.map(plain_scalar).astype(str).where(values.notna())`: each value's plain value as text,
    NaN where missing, written once per distinct value where that is the same (`one_per_value`)."""
    sample, spread = one_per_value(values)
    texts = spread(sample.map(plain_scalar).astype(str).where(sample.notna()).to_numpy(dtype=object))
    return pd.Series(texts, index=values.index, name=values.name, dtype=object)


def one_per_value(values: pd.Series) -> tuple[pd.Series, Callable[[np.ndarray], np.ndarray]]:
    """(the rows of `values` to write, `spread`: what was written for them, an array of one item a
    row, put back on every row of `values`): one row per distinct value where that writes every row
    as writing each would (`distinct_rows`), else every row, so a costly map runs once a value."""
    if (found := distinct_rows(values)) is None:
        return values, np.asarray
    at, rows = found
    return values.iloc[rows], lambda written: np.asarray(written)[at]


def distinct_rows(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(per row, the position in `rows` of a row holding its value; `rows`: the first row of each
    distinct value, then the first missing row if any), so that mapping `values.iloc[rows]` maps
    every row as mapping the rows one by one would (600k line items' labels took 0.3 s a column,
    `plain_scalar` called per row): equal values are written alike, and the missing row keeps what a
    missing value changes in the map (an Int64 column with one maps its values as floats). None
    where equal values may be written apart: objects other than text (1, 1.0 and True are equal), a
    float column holding -0.0, dates, pandas categories."""
    if not _alike_when_equal(values):
        return None
    codes = pd.factorize(values, use_na_sentinel=True)[0]  # in order of first appearance
    before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]])) if len(codes) else codes
    first = np.flatnonzero(codes > before)  # a value's first row: a code above every earlier one
    missing = np.flatnonzero(codes < 0)[:1]
    return np.where(codes >= 0, codes, len(first)), np.concatenate([first, missing])


def _alike_when_equal(values: pd.Series) -> bool:
    """Whether equal values of `values` are always written alike, and missing ones alike (`distinct_rows`)."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        return True
    if pd.api.types.is_object_dtype(dtype):
        return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty") and _one_missing_kind(values)
    if isinstance(dtype, pd.CategoricalDtype) or dtype.kind not in "iubf":
        return False
    return dtype.kind != "f" or not _has_negative_zero(values)


def _one_missing_kind(values: pd.Series) -> bool:
    """Whether an object column's missing values are all of one type (None, NaN or pd.NA)."""
    missing = values[values.isna()]
    return missing.map(type).nunique() <= 1


def _has_negative_zero(values: pd.Series) -> bool:
    """Whether a column of floats holds -0.0, equal to 0.0 but written apart."""
    x = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return bool(((x == 0) & np.signbit(x)).any())


def _typed(values: pd.Index) -> set[tuple[type, object]]:
    """The values as (type, value) pairs, so that True and 1 differ."""
    return {(type(p), p) for p in map(plain_scalar, values)}


def _restore_dtype(s: pd.Series, dtype: str) -> pd.Series:
    """`s` in the fitted column's dtype; with missing values, in its nullable twin (int64 -> Int64,
    bool -> boolean), since numpy's cannot hold them and the codes would otherwise stay objects."""
    if s.isna().any() and dtype.startswith(("int", "uint")):
        dtype = dtype[0].upper() + dtype[1:] if dtype.startswith("int") else "U" + dtype[1].upper() + dtype[2:]
    elif s.isna().any() and dtype == "bool":
        dtype = "boolean"
    try:
        return s.astype(dtype)
    except (TypeError, ValueError):
        return s

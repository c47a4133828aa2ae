"""The report's figures as inline SVG, drawn on matplotlib's SVG canvas (no pyplot, no JavaScript).

Text stays text in the SVG (searchable, sharp at any zoom) and math parsing is off, so a label
from the data ("Ke$ha") is drawn as written. Lookup foreign keys are drawn with their lookup's
labels (genre "Rock", not "1"); a positive numeric column spread over orders of magnitude gets a
log axis (`log_axis`).
"""

from __future__ import annotations

import io
import itertools
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, MaxNLocator, ScalarFormatter
from scipy.stats import skew
from scipy.stats.contingency import association

from relsynth.eval._common import CONTINUOUS, NULL, encode, lookup_labels
from relsynth.eval.quality import bin_edges
from relsynth.relational import Column, RelationalData

REAL, SYNTH = "#1f77b4", "#ff7f0e"
MAX_PANELS = 24  # column histograms per table
MAX_HEATMAP = 15  # columns in a correlation heatmap
ANNOTATE_HEATMAP = 8  # up to this many columns, each cell shows its value
TOP_CATEGORIES = 12  # bars per categorical histogram
LOG_MAX_MEDIAN = 20.0  # a log axis when max / median reaches this ...
LOG_SKEW = 2.0  # ... or the sample skewness does (positive values only)
_NS_PER_DAY = 86_400e9
MAX_TICKS = 6  # x ticks per panel at most: a 3.6-inch panel fits six labels such as "2.5M" or "1950"
ENG_FROM = 10_000  # values from this magnitude are written 10k, 1.5M; below it as they are (a year: 1950)
_RC = {
    "svg.fonttype": "none",  # text as <text>: searchable, drawn by the browser
    "text.parse_math": False,  # "$" in a label is a dollar sign
    "font.sans-serif": ["DejaVu Sans"],  # one name per <text>, the browser falls back to sans-serif
    "font.size": 8,
    "axes.titlesize": 9,
}
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}  # no RDF block, no URLs


@contextmanager
def _style() -> Iterator[None]:
    """matplotlib settings while a figure is built and saved."""
    with mpl.rc_context(_RC):
        yield


def svg(fig: Figure, name: str) -> str:
    """The figure as an `<svg>` element to inline in HTML (no XML declaration, no DOCTYPE), its ids
    prefixed with `name`: every figure numbers its parts from 1 ("axes_1"), and ids must be unique
    in a page where clip paths and markers are referenced by id."""
    FigureCanvasSVG(fig)
    buf = io.StringIO()
    with warnings.catch_warnings():  # the browser draws the text (svg.fonttype none), in its own fonts: a label
        # in a script DejaVu lacks (台灯, 椅子) is only measured with a stand-in here, not drawn as boxes
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        fig.savefig(buf, format="svg", metadata=_NO_METADATA)  # constrained layout fits it: no second, "tight" draw
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    prefix = re.sub(r"[^\w-]+", "-", name)
    text = re.sub(r'\bid="', f'id="{prefix}-', text)
    return re.sub(r'(url\(#|href="#)', rf"\g<1>{prefix}-", text)


def _grid(n: int, ncols: int = 3, size: tuple[float, float] = (3.6, 2.6)) -> tuple[Figure, list]:
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(size[0] * min(n, ncols), size[1] * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, min(n, ncols))).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def log_axis(values: np.ndarray) -> bool:
    """Whether to draw `values` on a log axis: all positive and spread over orders of magnitude
    (max / median >= `LOG_MAX_MEDIAN` or skewness >= `LOG_SKEW`); on a linear axis such a column
    is one tall bar at the left."""
    v = values[np.isfinite(values)]
    if len(v) < 10 or v.min() <= 0 or v.max() == v.min():
        return False
    return bool(v.max() / np.median(v) >= LOG_MAX_MEDIAN or skew(v) >= LOG_SKEW)


def _as_axis(values: np.ndarray, kind: Column) -> tuple[np.ndarray, str]:
    """Continuous values in plotting units: dates as matplotlib's days since 1970 (ticked as dates
    by `_ticks`), times as hours."""
    if kind in (Column.DATE, Column.DATETIME):
        return values / _NS_PER_DAY, "date"
    if kind == Column.TIME:
        return values / 3600.0, "hour"
    return values, ""


def _ticks(ax, values: np.ndarray, kind: Column, log: bool) -> None:
    """Labels that read at a glance and never run together: dates as dates at any span (years, or
    months and days), numbers without an offset ("+2.023e3"), large ones short (1.5M), others as
    written (a year 1950, not 1.95k), integers on whole ticks."""
    if kind in (Column.DATE, Column.DATETIME):
        locator = AutoDateLocator(minticks=3, maxticks=MAX_TICKS)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        return
    if log:
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
        return
    ax.xaxis.set_major_locator(MaxNLocator(nbins=MAX_TICKS - 1, integer=kind == Column.INTEGER))
    if np.abs(values).max() >= ENG_FROM:
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 10k, 1M rather than an offset "1e6"
    else:
        ax.xaxis.set_major_formatter(ScalarFormatter(useOffset=False))


def _hist_continuous(ax, real: np.ndarray, synth: np.ndarray, kind: Column) -> bool:
    """Shares of real and synthetic values per bin; returns whether the axis is logarithmic."""
    (r, unit), (s, _) = _as_axis(real, kind), _as_axis(synth, kind)
    r, s = r[np.isfinite(r)], s[np.isfinite(s)]
    log = not unit and log_axis(r)
    both = np.concatenate([r, s])
    both = both[both > 0] if log else both
    if not len(both):
        ax.text(0.5, 0.5, "all null", ha="center", transform=ax.transAxes)
        return False
    lo, hi = np.quantile(both, [0.005, 0.995])
    hi = hi if hi > lo else lo + 1.0
    bins = np.geomspace(lo, hi, 31) if log else np.linspace(lo, hi, 31)
    for vals, color, label in ((r, REAL, "real"), (s, SYNTH, "synthetic")):
        if len(vals):
            weights = np.full(len(vals), 1.0 / len(vals))  # share per bin: comparable on any axis
            ax.hist(np.clip(vals, lo, hi), bins=bins, weights=weights, alpha=0.5, color=color, label=label)
    if log:
        ax.set_xscale("log")
    _ticks(ax, both, kind, log)
    ax.set_xlabel("(log scale)" if log else "" if unit == "date" else unit)
    return log


def _bars(ax, real: pd.Series, synth: pd.Series, labels: dict[str, str], kind: Column) -> None:
    """Shares of the most frequent values, each bar named as the column writes its value."""
    p, q = real.value_counts(normalize=True), synth.value_counts(normalize=True)
    top = (p.add(q, fill_value=0.0)).sort_values(ascending=False).index[:TOP_CATEGORIES]
    if pd.api.types.is_numeric_dtype(top.dtype):
        top = top.sort_values()
    x = np.arange(len(top))
    ax.bar(x - 0.2, p.reindex(top, fill_value=0.0), width=0.4, color=REAL, label="real")
    ax.bar(x + 0.2, q.reindex(top, fill_value=0.0), width=0.4, color=SYNTH, label="synthetic")
    names = [_short("null" if c == NULL else labels[str(c)] if str(c) in labels else _value_name(c, kind)) for c in top]
    if max(map(len, names), default=0) > 5:  # long names slant so they do not overlap
        ax.set_xticks(x, names, rotation=45, ha="right", rotation_mode="anchor", fontsize=7)
    else:
        ax.set_xticks(x, names, fontsize=7)
    n = len(p.index.union(q.index))
    if n > len(top):
        ax.set_xlabel(f"the {len(top)} most frequent of {n} values", fontsize=7)


def _value_name(value: object, kind: Column) -> str:
    """A bar's value as the column writes it: a continuous column with few values is drawn as bars
    of its encoded floats (`as_float`), which would name a date by its nanoseconds (-1.97e+17) and
    a star rating 4.0."""
    if isinstance(value, str):
        return value
    if kind == Column.DATE:
        return pd.Timestamp(int(value)).strftime("%Y-%m-%d")
    if kind == Column.DATETIME:
        stamp = pd.Timestamp(int(value))
        return stamp.strftime("%Y-%m-%d" if stamp == stamp.normalize() else "%Y-%m-%d %H:%M")
    if kind == Column.TIME:
        minutes, seconds = divmod(round(float(value)), 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}" + (f":{seconds:02d}" if seconds else "")
    return str(int(value)) if float(value).is_integer() else f"{float(value):g}"


def _short(text: str, n: int = 16) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def column_histograms(
    real: RelationalData, synth: RelationalData, table: str, roles: dict[str, str]
) -> tuple[str | None, list[str]]:
    """One panel per compared column of `table`, real vs synthetic: (SVG or None, columns on a log axis)."""
    cols = list(roles)[:MAX_PANELS]
    if not cols:
        return None, []
    r, s = encode(real[table], roles), encode(synth[table], roles)
    kinds, labels = real.schema.tables[table].columns, lookup_labels(real, table)
    logs = []
    with _style():
        fig, axes = _grid(len(cols))
        for ax, col in zip(axes, cols, strict=True):
            few = pd.concat([r[col], s[col]]).nunique() <= TOP_CATEGORIES  # e.g. an integer with few values
            if roles[col] == CONTINUOUS and not few:
                if _hist_continuous(ax, r[col].to_numpy(float), s[col].to_numpy(float), kinds[col].kind):
                    logs.append(col)
            else:
                _bars(ax, r[col], s[col], labels.get(col, {}), kinds[col].kind)
            ax.set_ylabel("share", fontsize=7)
            ax.set_title(col)
        axes[0].legend(fontsize=7)
        return svg(fig, f"{table}-columns"), logs


def association_matrix(df: pd.DataFrame, roles: dict[str, str], bins: dict[str, np.ndarray]) -> pd.DataFrame:
    """Pearson correlation for two continuous columns, Cramér's V (continuous ones binned) otherwise."""
    cols = list(roles)
    out = pd.DataFrame(np.eye(len(cols)), index=cols, columns=cols)
    binned = {c: np.digitize(df[c], bins[c]) if roles[c] == CONTINUOUS else df[c].to_numpy() for c in cols}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for a, b in itertools.combinations(cols, 2):
            if roles[a] == roles[b] == CONTINUOUS:
                v = df[a].corr(df[b]) if len(df) > 2 else np.nan
            else:
                v = _cramer(binned[a], binned[b])
            out.loc[a, b] = out.loc[b, a] = v
    return out


def _cramer(a: np.ndarray, b: np.ndarray) -> float:
    table = pd.crosstab(pd.Series(a, dtype=object), pd.Series(b, dtype=object)).to_numpy()
    if min(table.shape, default=0) < 2:
        return np.nan
    try:
        return float(association(table, method="cramer"))
    except (ValueError, ZeroDivisionError):
        return np.nan


def heatmaps(real: RelationalData, synth: RelationalData, table: str, roles: dict[str, str]) -> str | None:
    """Real and synthetic association matrices of `table` side by side (vector cells, values written
    in them when there are few columns)."""
    roles = dict(list(roles.items())[:MAX_HEATMAP])
    if len(roles) < 2:
        return None
    r, s = encode(real[table], roles), encode(synth[table], roles)
    bins = {c: bin_edges(r[c].to_numpy(float)) for c, role in roles.items() if role == CONTINUOUS}
    n, names = len(roles), list(roles)
    with _style():
        fig = Figure(figsize=(2.0 + 0.5 * n * 2, 1.2 + 0.5 * n), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, df, title in ((axes[0], r, "real"), (axes[1], s, "synthetic")):
            m = association_matrix(df, roles, bins).to_numpy(float)
            mesh = ax.pcolormesh(np.ma.masked_invalid(m), vmin=-1, vmax=1, cmap="coolwarm")
            if n <= ANNOTATE_HEATMAP:
                for (i, j), v in np.ndenumerate(m):
                    if np.isfinite(v):
                        ax.text(j + 0.5, i + 0.5, f"{v:.2f}", ha="center", va="center", fontsize=6)
            ax.set_xticks(np.arange(n) + 0.5, names, rotation=45, ha="right", rotation_mode="anchor", fontsize=7)
            ax.set_yticks(np.arange(n) + 0.5, names, fontsize=7)
            ax.invert_yaxis()
            ax.set_aspect("equal")
            ax.set_title(title)
        fig.colorbar(mesh, ax=list(axes), shrink=0.8)
        return svg(fig, f"{table}-heatmaps")


def children_histogram(counts_real: pd.Series, counts_synth: pd.Series, title: str) -> str:
    """Share of parents with 0, 1, 2, ... children (the tail folded into the last bar)."""
    top = int(max(np.quantile(counts_real, 0.99) if len(counts_real) else 0, 1)) + 1
    with _style():
        fig = Figure(figsize=(min(3.0 + 0.18 * top, 10.8), 2.6), layout="constrained")
        ax = fig.subplots()
        x = np.arange(top + 1)
        for counts, shift, color, label in ((counts_real, -0.2, REAL, "real"), (counts_synth, 0.2, SYNTH, "synthetic")):
            share = np.bincount(np.clip(counts.to_numpy(int), 0, top), minlength=top + 1) / max(len(counts), 1)
            ax.bar(x + shift, share, width=0.4, color=color, label=label)
        step = max(1, (top + 1) // 25)  # at most ~25 tick labels
        ticks = [i for i in x if i % step == 0 or i == top]
        ax.set_xticks(ticks, [str(i) if i < top else f"{top}+" for i in ticks], fontsize=7)
        ax.set_xlabel("children per parent")
        ax.set_ylabel("share of parents", fontsize=7)
        ax.set_title(title)
        ax.legend(fontsize=7)
        return svg(fig, f"{title}-children")


def text_length_histograms(real: RelationalData, synth: RelationalData, columns: list[tuple[str, str]]) -> str | None:
    """Character-length distribution of each text column, real vs synthetic."""
    if not columns:
        return None
    with _style():
        fig, axes = _grid(len(columns))
        for ax, (table, col) in zip(axes, columns, strict=True):
            r = real[table][col].dropna().astype(str).str.len().to_numpy(float)
            s = synth[table][col].dropna().astype(str).str.len().to_numpy(float)
            log = _hist_continuous(ax, r, s, Column.INTEGER)
            ax.set_xlabel("characters (log scale)" if log else "characters")
            ax.set_ylabel("share", fontsize=7)
            ax.set_title(f"{table}.{col}")
        axes[0].legend(fontsize=7)
        return svg(fig, "text-lengths")

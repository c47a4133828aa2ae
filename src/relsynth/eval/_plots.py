"""The report's figures, drawn with matplotlib's Agg canvas (no pyplot, no global state) as base64 PNG."""

from __future__ import annotations

import base64
import io
import itertools
import warnings

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.stats.contingency import association

from relsynth.eval._common import CONTINUOUS, encode
from relsynth.eval.quality import bin_edges
from relsynth.relational import Column, RelationalData

REAL, SYNTH = "#1f77b4", "#ff7f0e"
MAX_PANELS = 24  # column histograms per table
MAX_HEATMAP = 15  # columns in a correlation heatmap
TOP_CATEGORIES = 12  # bars per categorical histogram
_NS_PER_YEAR = 365.25 * 86_400e9


def png(fig: Figure) -> str:
    """The figure as a base64 PNG string (for an `<img src="data:image/png;base64,...">`)."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=72, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _grid(n: int, ncols: int = 3, size: tuple[float, float] = (3.6, 2.6)) -> tuple[Figure, list]:
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _as_axis(values: np.ndarray, kind: Column) -> tuple[np.ndarray, str]:
    """Continuous values in readable units: dates as decimal years, times as hours."""
    if kind in (Column.DATE, Column.DATETIME):
        return values / _NS_PER_YEAR + 1970.0, "year"
    if kind == Column.TIME:
        return values / 3600.0, "hour"
    return values, ""


def _hist_continuous(ax, real: np.ndarray, synth: np.ndarray, kind: Column) -> None:
    (r, unit), (s, _) = _as_axis(real, kind), _as_axis(synth, kind)
    r, s = r[np.isfinite(r)], s[np.isfinite(s)]
    both = np.concatenate([r, s])
    if not len(both):
        ax.text(0.5, 0.5, "all null", ha="center", transform=ax.transAxes)
        return
    lo, hi = np.quantile(both, [0.005, 0.995])
    bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 31)
    for vals, color, label in ((r, REAL, "real"), (s, SYNTH, "synthetic")):
        if len(vals):
            ax.hist(np.clip(vals, bins[0], bins[-1]), bins=bins, density=True, alpha=0.5, color=color, label=label)
    ax.set_xlabel(unit)


def _bars(ax, real: pd.Series, synth: pd.Series) -> None:
    p, q = real.value_counts(normalize=True), synth.value_counts(normalize=True)
    top = (p.add(q, fill_value=0.0)).sort_values(ascending=False).index[:TOP_CATEGORIES]
    if pd.api.types.is_numeric_dtype(top.dtype):
        top = top.sort_values()
    x = np.arange(len(top))
    ax.bar(x - 0.2, p.reindex(top, fill_value=0.0), width=0.4, color=REAL, label="real")
    ax.bar(x + 0.2, q.reindex(top, fill_value=0.0), width=0.4, color=SYNTH, label="synthetic")
    ax.set_xticks(x, [str(c)[:14] for c in top], rotation=60, ha="right", fontsize=7)


def column_histograms(real: RelationalData, synth: RelationalData, table: str, roles: dict[str, str]) -> str | None:
    """One panel per compared column of `table`: real vs synthetic distribution."""
    cols = list(roles)[:MAX_PANELS]
    if not cols:
        return None
    r, s = encode(real[table], roles), encode(synth[table], roles)
    kinds = real.schema.tables[table].columns
    fig, axes = _grid(len(cols))
    for ax, col in zip(axes, cols, strict=True):
        few = pd.concat([r[col], s[col]]).nunique() <= TOP_CATEGORIES  # e.g. an integer with few values
        if roles[col] == CONTINUOUS and not few:
            _hist_continuous(ax, r[col].to_numpy(float), s[col].to_numpy(float), kinds[col].kind)
        else:
            _bars(ax, r[col], s[col])
        ax.set_title(col, fontsize=9)
    axes[0].legend(fontsize=7)
    return png(fig)


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
    """Real and synthetic association matrices of `table` side by side."""
    roles = dict(list(roles.items())[:MAX_HEATMAP])
    if len(roles) < 2:
        return None
    r, s = encode(real[table], roles), encode(synth[table], roles)
    bins = {}
    for c, role in roles.items():
        if role == CONTINUOUS:
            bins[c] = bin_edges(r[c].to_numpy(float))
    n = len(roles)
    fig = Figure(figsize=(2.0 + 0.45 * n * 2, 1.5 + 0.45 * n), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, df, title in ((axes[0], r, "real"), (axes[1], s, "synthetic")):
        m = association_matrix(df, roles, bins).to_numpy(float)
        im = ax.imshow(m, vmin=-1, vmax=1, cmap="coolwarm")
        ax.set_xticks(range(n), list(roles), rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(n), list(roles), fontsize=7)
        ax.set_title(f"{table}: {title}", fontsize=9)
    fig.colorbar(im, ax=list(axes), shrink=0.8)
    return png(fig)


def children_histogram(counts_real: pd.Series, counts_synth: pd.Series, title: str) -> str:
    """Share of parents with 0, 1, 2, ... children (the tail folded into the last bar)."""
    top = int(max(np.quantile(counts_real, 0.99) if len(counts_real) else 0, 1)) + 1
    fig = Figure(figsize=(6, 2.8), layout="constrained")
    ax = fig.subplots()
    x = np.arange(top + 1)
    for counts, shift, color, label in ((counts_real, -0.2, REAL, "real"), (counts_synth, 0.2, SYNTH, "synthetic")):
        share = np.bincount(np.clip(counts.to_numpy(int), 0, top), minlength=top + 1) / max(len(counts), 1)
        ax.bar(x + shift, share, width=0.4, color=color, label=label)
    ax.set_xticks(x, [str(i) for i in x[:-1]] + [f"{top}+"], fontsize=7)
    ax.set_xlabel("children per parent")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    return png(fig)


def text_length_histograms(real: RelationalData, synth: RelationalData, columns: list[tuple[str, str]]) -> str | None:
    """Character-length distribution of each text column, real vs synthetic."""
    if not columns:
        return None
    fig, axes = _grid(len(columns))
    for ax, (table, col) in zip(axes, columns, strict=True):
        r = real[table][col].dropna().astype(str).str.len().to_numpy(float)
        s = synth[table][col].dropna().astype(str).str.len().to_numpy(float)
        _hist_continuous(ax, r, s, Column.INTEGER)
        ax.set_xlabel("characters")
        ax.set_title(f"{table}.{col}", fontsize=9)
    axes[0].legend(fontsize=7)
    return png(fig)

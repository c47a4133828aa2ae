"""The report's figures: axes a person reads without converting."""

from __future__ import annotations

import itertools
import re
import warnings

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from relsynth.eval._plots import _bars, _hist_continuous, _style, svg
from relsynth.relational import Column


def test_an_integer_column_has_whole_ticks():
    """Counts of 0 to 3 were ticked at 0, 500m, 1, 1.5, ...: an integer axis has whole ticks only."""
    ax = Figure().subplots()
    rng = np.random.default_rng(0)
    _hist_continuous(ax, rng.integers(0, 4, 200).astype(float), rng.integers(0, 4, 200).astype(float), Column.INTEGER)
    ticks = ax.get_xticks()
    assert len(ticks) >= 2 and np.allclose(ticks, np.round(ticks))
    ax = Figure().subplots()
    _hist_continuous(ax, rng.random(200), rng.random(200), Column.NUMERIC)  # fractions keep fractional ticks
    assert not np.allclose(ax.get_xticks(), np.round(ax.get_xticks()))


def _labels(ax) -> tuple[list[str], str]:
    """The x tick labels as drawn (and the axis' offset text), after a draw places them."""
    FigureCanvasAgg(ax.figure).draw()
    lo, hi = ax.get_xlim()
    shown = [t for t, x in zip(ax.get_xticklabels(), ax.get_xticks(), strict=True) if lo <= x <= hi]
    boxes = [t.get_window_extent() for t in shown]
    assert all(a.x1 <= b.x0 for a, b in itertools.pairwise(boxes)), "tick labels overlap"
    return [t.get_text() for t in shown], ax.xaxis.get_offset_text().get_text()


def test_years_written_as_integers_read_as_years():
    """A school's founding year (1890-2014) was ticked '1.89k1.905k1.92k...', nine labels run together."""
    ax = Figure(figsize=(3.6, 2.6)).subplots()
    rng = np.random.default_rng(0)
    _hist_continuous(
        ax, rng.integers(1890, 2015, 60).astype(float), rng.integers(1890, 2015, 60).astype(float), Column.INTEGER
    )
    labels, offset = _labels(ax)
    assert len(labels) >= 3 and all(re.fullmatch(r"\d{4}", t) for t in labels) and not offset, labels


def test_large_amounts_keep_short_labels():
    ax = Figure(figsize=(3.6, 2.6)).subplots()
    rng = np.random.default_rng(0)
    _hist_continuous(ax, rng.uniform(1e6, 4e6, 60), rng.uniform(1e6, 4e6, 60), Column.NUMERIC)
    labels, offset = _labels(ax)
    assert all(t.endswith("M") for t in labels) and not offset, labels


def test_dates_within_a_few_weeks_are_ticked_as_dates():
    """Class start dates over three weeks of September 2023 were ticked 0.67, 0.68, ... with '+2.023e3'
    beside them (decimal years and an offset)."""
    ax = Figure(figsize=(3.6, 2.6)).subplots()
    days = pd.Timestamp("2023-09-01").value + np.arange(0, 21) * 86_400e9
    _hist_continuous(ax, np.repeat(days, 3), days, Column.DATE)
    labels, offset = _labels(ax)
    assert "e3" not in offset and "2023" in offset + "".join(labels), (labels, offset)
    assert all(re.fullmatch(r"(Sep|\d{1,2}|\d{2}:\d{2})", t) for t in labels) and len(labels) >= 3, labels
    ax = Figure(figsize=(3.6, 2.6)).subplots()  # decades: years
    years = pd.to_datetime(["1995-01-01", "2005-06-01", "2019-12-31"]).astype("int64").to_numpy(float)
    _hist_continuous(ax, np.repeat(years, 10), years, Column.DATE)
    labels, offset = _labels(ax)
    assert all(re.fullmatch(r"\d{4}", t) for t in labels) and len(labels) >= 3, labels


def test_labels_in_scripts_the_font_lacks_are_svg_text_without_warnings():
    """A report on Chinese or Hebrew labels warned once per character ("Glyph 25206 missing from
    font(s) DejaVu Sans"), 10 lines on a small marketplace, while the browser draws them fine."""
    with _style(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure(figsize=(3, 2), layout="constrained")
        ax = fig.subplots()
        ax.bar(["台灯 复古", "מנורה צמר", "Lampe"], [3, 2, 1])
        out = svg(fig, "labels")
    assert "台灯 复古" in out and "מנורה צמר" in out
    assert not [w for w in caught if "missing from font" in str(w.message)], [str(w.message) for w in caught]


def test_bars_of_few_dates_and_whole_numbers_name_the_values():
    """A hotels table's opening dates (12 rows, so drawn as bars) were labelled '-1.973376e+17',
    their nanoseconds, and its star ratings '1.0', '4.0': a bar names its value as the column writes it."""
    real = pd.Series(pd.to_datetime(["2004-09-15", "1975-03-20", "1975-03-20"]).astype("int64").astype(float))
    synth = pd.Series(pd.to_datetime(["1966-02-24", "2004-09-15"]).astype("int64").astype(float))
    ax = Figure().subplots()
    _bars(ax, real, synth, {}, Column.DATE)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1966-02-24", "1975-03-20", "2004-09-15"]
    ax = Figure().subplots()
    _bars(ax, pd.Series([1.0, 4.0, 4.0]), pd.Series([4.0, 5.0, 2.5]), {}, Column.NUMERIC)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2.5", "4", "5"]
    ax = Figure().subplots()
    hours = pd.Series([9 * 3600.0, 17 * 3600.0 + 30 * 60])
    _bars(ax, hours, hours, {}, Column.TIME)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["09:00", "17:30"]

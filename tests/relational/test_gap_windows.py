"""relational.orders: the window of gaps a date keeps from another (`lag_window`, `gap_range`)."""

from __future__ import annotations

import numpy as np

from relsynth.relational.orders import DAY_NS, gap_range, lag_window


def days(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64) * DAY_NS


def shipped(seed: int = 0, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Order dates over four years, each shipped 1 to 30 days after."""
    rng = np.random.default_rng(seed)
    ordered = rng.integers(0, 4 * 365, n)
    return days(ordered), days(ordered + rng.integers(1, 31, n))


def test_a_ship_date_keeps_its_most_gap_from_the_order_date_not_its_least():
    """Shipped 1 to 30 days after orders placed over years: pairs drawn apart fall past 30 days most
    of the time, so the most is kept; they fall within a day of the order (before its least) almost
    never, so the least is left to the order itself."""
    ordered, ship = shipped()
    assert lag_window(ordered, ship, 1) == (None, 30 * DAY_NS)
    assert lag_window(ship, ordered, -1) == (None, 30 * DAY_NS)  # the order date, counted back from the ship date


def test_a_window_is_rounded_outwards_so_no_single_rows_gap_is_stored():
    """Mothers 5,845 to 16,433 days older: 5,000 to 17,000 (steps of 1,000 days, a tenth of the
    width at most); moving the oldest mother by a few days stores the same window."""
    rng = np.random.default_rng(1)
    born = rng.integers(0, 200 * 365, 300)
    gap = np.r_[5845, 16433, rng.integers(5900, 16400, 298)]
    window = lag_window(days(born), days(born + gap), 1)
    assert window == (5000 * DAY_NS, 17000 * DAY_NS)
    gap[1] = 16440
    assert lag_window(days(born), days(born + gap), 1) == window


def test_no_window_where_dates_drawn_apart_would_keep_it_too():
    """Accounts opened within three days, each used 0 to 300 days later: a pair drawn apart falls
    within the same 0 to 300 days, so the window says nothing the order does not."""
    rng = np.random.default_rng(2)
    opened = rng.integers(0, 3, 300)
    assert lag_window(days(opened), days(opened + rng.integers(0, 301, 300)), 1) == (None, None)


def test_no_window_from_fewer_rows_than_an_order_needs():
    ordered, ship = shipped(n=10)
    assert lag_window(ordered, ship, 1) == (None, None)
    base = np.r_[ordered, np.full(30, np.nan)]  # rows without a base are no gap
    assert lag_window(base, np.r_[ship, days(np.arange(30))], 1) == (None, None)


def hires(seed: int = 3, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Births over 60 years, each hired 19 to 60 years (6,940 to 21,915 days) after, those extremes held
    by one row each."""
    rng = np.random.default_rng(seed)
    born = rng.integers(0, 60 * 365, n)
    gap = np.r_[6940, 21915, rng.integers(6941, 21915, n - 2)]
    return days(born), days(born + gap)


def test_a_gap_range_stores_its_sides_rounded_outwards_not_a_rows_gap():
    """The least and most hire gap are one row's each: the stored sides are the whole thousands of
    days beyond them (a tenth of the width at most), and moving either row within its step stores the
    same range. A gap that is itself a whole step is stored as it is."""
    born, hired = hires()
    assert gap_range(born, hired, 1) == (6000 * DAY_NS, 22000 * DAY_NS)
    assert gap_range(hired, born, -1) == (6000 * DAY_NS, 22000 * DAY_NS)  # the birth, counted back from the hire
    moved = hired.copy()
    moved[:2] += days([50, 80])
    assert gap_range(born, moved, 1) == (6000 * DAY_NS, 22000 * DAY_NS)
    whole = born + np.clip(hired - born, days(7000), days(21000))  # 7,000 to 21,000 days, both whole steps
    assert gap_range(born, whole, 1) == (7000 * DAY_NS, 21000 * DAY_NS)

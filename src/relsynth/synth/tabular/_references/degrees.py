"""Dealing degrees out: how many times each generated referenced row is named, drawn from the fitted
quantiles (`stratified`), given to rows by their degree effects (`ranked`) and dealt as slots
(`deal`, `capped`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm


def stratified(quantiles: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` draws from the distribution the `quantiles` describe, one from each of `n` equal slices of
    it, in random order: a small table gets the shape too (7 employees, not 7 independent draws)."""
    levels = (rng.permutation(n) + rng.random(n)) / n
    return quantiles[np.minimum((levels * len(quantiles)).astype(np.int64), len(quantiles) - 1)]


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


def deal(m: int, weights: np.ndarray, rng: np.random.Generator, cap: int | np.ndarray | None = None) -> np.ndarray:
    """`m` parent indices in random order, parent i about `weights[i] * m / sum(weights)` times:
    the share rounded at random, then the few left over (or too many) drawn by weight; none more
    than `cap` times (one for all, or one a parent) where the others have room (`capped`)."""
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


def capped(counts: np.ndarray, p: np.ndarray, cap: int | np.ndarray, rng: np.random.Generator) -> np.ndarray:
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

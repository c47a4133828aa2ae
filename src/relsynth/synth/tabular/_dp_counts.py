"""Child counts under DP: the generated counts calibrated to the preprocessor's noisy histograms.

A model trained with DP-SGD on a few hundred entities stays near its initial weights, whose count
tokens are spread evenly over 0..max_children: every parent would get ~max_children / 2 children
(Chinook's artist -> album -> track tree at epsilon 3: 170 times the real rows). The DP fit
releases, per parent -> child edge, a noisy histogram of children per parent
(`_dp_fit._child_count_histogram`, paid from the preprocessor's share). Here it becomes a target
distribution over the count tokens (a cell's mass spread evenly over its counts), and the model is
calibrated to it on *synthetic* data, so nothing private is read again (post-processing).
The histogram's floors drop its thin tail, where much of the mean is (5 of Chinook's 234 artists
held 22 % of the albums), so the target is tilted to the mean the fit released as two noisy sums
(`_dp_fit._child_count_total`: children clipped per parent, and parents; `with_mean`):

1. the count bias is set to log(target) and up to MAX_SAMPLES entities are generated (an edge
   without a histogram: 0 to 2 children, so that no edge makes them large);
2. `TabularModel.calibrate_counts(those entities, target=...)` matches the model's mean predicted
   count distribution on them to the target (bias = log target - log predicted).

An edge whose histogram kept nothing (too much noise for the entities) keeps the model's own
counts; a warning gives them, measured on the same entities, and the entity size they make.

A lookup key's generated values are calibrated the same way, in the same pass, to the marginal
the fit released of it (`_dp_fit._lookup_marginal`, over all of its table's rows): DP-SGD's few
steps at a large noise leave the model's keys near its start (Chinook's tree at epsilon 3: genres
at TV complement 0.35, media types 0.70).
"""

from __future__ import annotations

import logging

import numpy as np
import torch

log = logging.getLogger(__name__)
MAX_SAMPLES = 2048  # entities generated to measure the model's own count predictions
# children per row (0, 1 or 2, evenly) of the entities generated as contexts where an edge has no
# target: the model's own counts there (up to max_children per row, at every level) would make
# the calibration's entities as large as max_children ** depth
CONTEXT_CHILDREN = 3
# a count's share before the tilt to the released mean (`with_mean`), so that it reaches the counts
# the histogram's floor dropped
TAIL_FLOOR = 1e-3


def count_targets(preproc) -> dict[str, np.ndarray]:
    """Per count slot ("table->child"), the target distribution over its tokens (token k: k
    children), from the DP fit's noisy histograms; edges whose histogram kept nothing are left out."""
    dp = (preproc.stats or {}).get("dp") or {}
    hists, totals = dp.get("child_counts") or {}, dp.get("child_totals") or {}
    out = {}
    for slot in preproc.slots:
        hist = hists.get(slot.name) if slot.is_count else None
        if hist is None or sum(hist["counts"]) <= 0:
            continue
        target = np.zeros(slot.preproc.n_tokens)
        grid = hist["grid"]
        for lo, hi, mass in zip(grid[:-1], grid[1:], hist["counts"], strict=True):
            hi = min(hi, len(target))
            if hi > lo:
                target[lo:hi] = mass / (hi - lo)
        target /= target.sum()
        total = totals.get(slot.name)
        if total and total["clip"] > 0 and total["parents"] > 0:
            target = with_mean(target, released_mean(target, total), int(total["clip"]))
        out[slot.name] = target
    return out


def released_mean(target: np.ndarray, total: dict) -> float:
    """Children per parent: the released total's (counts clipped at its clip) plus what the
    histogram (`target`) holds above the clip, the part the clip cut off."""
    above = np.maximum(np.arange(len(target)) - total["clip"], 0)
    return total["children"] / total["parents"] + float((target * above).sum())


def with_mean(target: np.ndarray, mean: float, clip: int) -> np.ndarray:
    """`target` (a distribution over counts 0, 1, ...) exponentially tilted to `mean` (p_k ∝
    (target_k + TAIL_FLOOR) e^(lam k), over counts 0..the clip or the highest `target` holds), so
    that the generated rows number the released total. The floor lets the tilt reach the counts
    the histogram dropped under its noise floor, where the mean's missing mass was; counts above
    both stay out (the data's there are in no release)."""
    support = np.arange(min(max(clip, int(np.flatnonzero(target)[-1]), 1), len(target) - 1) + 1)
    base = target[support] + TAIL_FLOOR
    mean = float(np.clip(mean, 1e-3, support[-1] - 1e-3))  # noise may leave the counts' range

    def tilted(lam: float) -> np.ndarray:
        w = np.log(base) + lam * support
        p = np.exp(w - w.max())
        return p / p.sum()

    lo, hi = -50.0, 50.0  # the tilted mean grows with lam: bisection
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if (tilted(mid) * support).sum() < mean else (lo, mid)
    out = np.zeros_like(target)
    out[support] = tilted((lo + hi) / 2)
    return out


def lookup_targets(preproc) -> dict[str, np.ndarray]:
    """Per lookup key slot ("table.column"), the target distribution over its tokens
    ([<missing>, <rare>, keys...]) from the DP fit's released marginal; one that kept nothing is left out."""
    marginals = ((preproc.stats or {}).get("dp") or {}).get("lookup_marginals") or {}
    out = {}
    for slot in preproc.slots:
        marginal = None if slot.is_count else marginals.get(slot.name)
        if marginal is None or sum(marginal["counts"]) <= 0:
            continue
        target = np.array([marginal["missing"], 0.0, *marginal["counts"]], dtype=np.float64)
        out[slot.name] = target / target.sum()
    return out


@torch.no_grad()
def calibrate_counts_dp(model, n_samples: int, seed: int = 0) -> dict[str, float] | None:
    """Calibrate `model`'s child counts to the DP fit's histograms and its lookup keys to the
    fit's marginals, in one pass (see the module docstring); returns, per edge, the mean count the
    model predicted before over the target's mean, or None when the preprocessor released neither. Edges without one keep the model's own
    counts, which a warning gives with the entity size they make."""
    from relsynth.synth.tabular.dataset import TabularDataset

    pre = model.preproc
    targets, fields = count_targets(pre), lookup_targets(pre)
    counts = [s for s in pre.slots if s.is_count]
    if not counts and not fields:
        return None
    model.count_bias.zero_()
    for slot in counts:
        n = slot.preproc.n_tokens
        target = targets.get(slot.name)
        if target is None:  # the contexts only: a few children, whatever the model's own counts
            t = torch.zeros(n, dtype=torch.float64)
            t[: min(CONTEXT_CHILDREN, n)] = 1.0
        else:
            t = torch.as_tensor(target + 1e-6 / n)
        model.count_bias[slot.offset : slot.offset + n] = (t / t.sum()).log().float()
    synth = model.generate(n_samples=max(1, min(n_samples, MAX_SAMPLES)), seed=seed)
    dataset = TabularDataset.from_data(synth, pre)
    ratios = model.calibrate_counts(dataset, target=targets | fields) if targets or fields else None
    if fields:
        log.info("DP: lookup keys %s calibrated to the preprocessor's noisy marginals", ", ".join(fields))
    if targets:
        log.info(
            "DP: child counts calibrated to the preprocessor's noisy histograms (predicted / target mean: %s)", ratios
        )
    elif not fields:
        model.count_bias.zero_()
    missing = [s for s in counts if s.name not in targets]
    if missing:
        _warn_uncalibrated(pre, targets, _mean_counts(model, dataset, missing))
    return ratios


def uncalibrated_edges(model) -> list[str]:
    """The edges of a model fitted under DP whose generated counts are the model's own: the fit
    released no histogram for them, so the calibration left their bias at zero."""
    if "dp" not in (model.preproc.stats or {}):
        return []
    targets = count_targets(model.preproc)
    return [
        s.name
        for s in model.preproc.slots
        if s.is_count and s.name not in targets and not model.count_bias[s.offset : s.offset + s.preproc.n_tokens].any()
    ]


def _mean_counts(model, dataset, slots) -> dict[str, float]:
    """The model's own mean child count per edge of `slots`, on the synthetic contexts `dataset`."""
    pred, _ = model.count_sums(dataset)
    out = {}
    for slot in slots:
        p = pred[slot.offset : slot.offset + slot.preproc.n_tokens]
        out[slot.name] = float((p * torch.arange(len(p), dtype=p.dtype)).sum() / p.sum()) if p.sum() > 0 else 0.0
    return out


def _entity_rows(pre, means: dict[str, float]) -> dict[str, float]:
    """Expected rows of an entity per root table, for mean children per edge `means` ("table->child")."""

    def rows(table: str) -> float:
        return 1.0 + sum(means.get(f"{table}->{c}", 0.0) * rows(c) for c in pre.layouts[table].children)

    return {r: rows(r) for r in pre.schema.roots}


def _warn_uncalibrated(pre, targets: dict[str, np.ndarray], own: dict[str, float]) -> None:
    """Say which edges keep the model's own counts, how many children they make and how large
    the entities then are: a model little trained spreads its counts evenly over 0..max_children."""
    means = {e: float((t * np.arange(len(t))).sum()) for e, t in targets.items()} | own
    sizes = _entity_rows(pre, means)
    log.warning(
        "DP: the fit released no child counts for %s (their noisy histograms kept nothing): the generated counts "
        "there are the model's own, %s children per row on average (max_children=%d), so an entity has about %s "
        "rows (the generation's time grows with it), not in the data's proportions. Raise epsilon, give the fit more of it "
        "(a larger DpBudget(preproc_share=...) than preproc_share='auto', the default, chooses), or lower DpBudget(max_children=...)",
        ", ".join(own),
        ", ".join(f"{m:.1f}" for m in own.values()),
        max(s.preproc.n_tokens - 1 for s in pre.slots if s.is_count),
        ", ".join(f"{n:,.0f} ({r})" for r, n in sizes.items()),
    )

"""Child counts under DP: the generated counts calibrated to the preprocessor's noisy histograms.

A model trained with DP-SGD on a few hundred entities stays near its initial weights, whose count
tokens are spread evenly over 0..max_children: every parent would get ~max_children / 2 children
(Chinook's artist -> album -> track tree at epsilon 3: 170 times the real rows). The DP fit
releases, per parent -> child edge, a noisy histogram of children per parent
(`_dp_fit._child_count_histogram`, paid from the preprocessor's share). Here it becomes a target
distribution over the count tokens (a cell's mass spread evenly over its counts), and the model is
calibrated to it on *synthetic* data, so nothing private is read again (post-processing):

1. the count bias is set to log(target) and up to MAX_SAMPLES entities are generated;
2. `TabularModel.calibrate_counts(those entities, target=...)` matches the model's mean predicted
   count distribution on them to the target (bias = log target - log predicted).
"""

from __future__ import annotations

import logging

import numpy as np
import torch

log = logging.getLogger(__name__)
MAX_SAMPLES = 2048  # entities generated to measure the model's own count predictions


def count_targets(preproc) -> dict[str, np.ndarray]:
    """Per count slot ("table->child"), the target distribution over its tokens (token k: k
    children), from the DP fit's noisy histograms; edges whose histogram kept nothing are left out."""
    hists = ((preproc.stats or {}).get("dp") or {}).get("child_counts") or {}
    out = {}
    for slot in preproc.slots:
        hist = hists.get(f"{slot.table}->{slot.column[1:]}") if slot.is_count else None
        if hist is None or sum(hist["counts"]) <= 0:
            continue
        target = np.zeros(slot.preproc.n_tokens)
        grid = hist["grid"]
        for lo, hi, mass in zip(grid[:-1], grid[1:], hist["counts"], strict=True):
            hi = min(hi, len(target))
            if hi > lo:
                target[lo:hi] = mass / (hi - lo)
        out[f"{slot.table}->{slot.column[1:]}"] = target / target.sum()
    return out


@torch.no_grad()
def calibrate_counts_dp(model, n_samples: int, seed: int = 0) -> dict[str, float] | None:
    """Calibrate `model`'s child counts to the DP fit's histograms (see the module docstring);
    returns, per edge, the mean count the model predicted before over the target's mean, or
    None when the preprocessor released no histogram."""
    from relsynth.synth.tabular.dataset import TabularDataset

    targets = count_targets(model.preproc)
    if not targets:
        return None
    model.count_bias.zero_()
    for slot in model.preproc.slots:
        name = f"{slot.table}->{slot.column[1:]}"
        if name in targets:
            t = torch.as_tensor(targets[name] + 1e-6 / len(targets[name]))
            model.count_bias[slot.offset : slot.offset + slot.preproc.n_tokens] = (t / t.sum()).log().float()
    synth = model.generate(n_samples=max(1, min(n_samples, MAX_SAMPLES)), seed=seed)
    ratios = model.calibrate_counts(TabularDataset.from_data(synth, model.preproc), target=targets)
    log.info("DP: child counts calibrated to the preprocessor's noisy histograms (predicted / target mean: %s)", ratios)
    return ratios

"""Choosing tokens: the one sampler both models use (temperature, nucleus, inverse-CDF draws), and
left-padded prompts for batched prefill into a `KVCache`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def sample_tokens(logits: Tensor, gen: torch.Generator, *, temp: float = 1.0, top_p: float = 1.0) -> Tensor:
    """One token per row of `logits` (B, V) from softmax(logits / temp) cut to its top-p nucleus.

    `temp=0` is greedy. Sampling inverts each row's cumulative distribution at one uniform number
    drawn on the CPU from `gen`, so a seed gives the same tokens on any device (B random numbers a
    step, not B x V as Gumbel-max needs). Disallowed tokens are expected as -inf in `logits`; a row
    keeps at least its most likely token.
    """
    if temp == 0:
        return logits.argmax(dim=-1)
    if temp != 1.0:
        logits = logits / temp
    order = None
    if top_p < 1.0:
        logits, order = logits.sort(dim=-1, descending=True)
    p = torch.softmax(logits.float(), dim=-1)
    if bool(torch.isnan(p[:, 0]).any()):  # softmax of a row of -inf
        raise ValueError("a row of logits allows no token (all -inf): the caller's masks left nothing to draw")
    cdf = p.cumsum(-1)
    if order is not None:  # keep the nucleus: the smallest prefix of probability >= top_p (at least one token)
        inside = (cdf - p <= top_p).sum(-1, keepdim=True)
        total = cdf.gather(-1, inside - 1)
    else:
        total = cdf[:, -1:]
    u = torch.rand(len(p), 1, generator=gen, dtype=torch.float64).to(p.device)
    picked = torch.searchsorted(cdf, (u * total).to(cdf.dtype), right=True)
    if order is not None:
        picked = torch.minimum(picked, inside - 1)  # u * total rounded up to the nucleus' last cdf value
        return order.gather(-1, picked).squeeze(-1)
    picked = picked.clamp_(max=p.shape[-1] - 1)
    off = p.gather(-1, picked) == 0  # rounded up past the last allowed token (rare): take the most likely
    if off.any():
        picked = torch.where(off, p.argmax(-1, keepdim=True), picked)
    return picked.squeeze(-1)


def left_pad(rows: Sequence[Sequence[int]], pad: int, width: int | None = None) -> tuple[Tensor, Tensor]:
    """(tokens (B, W), valid (B, W)): each row right-aligned in `width` (default: the longest) columns,
    so the last position of every row is the one whose logits come next."""
    W = width if width is not None else max(len(r) for r in rows)
    x = torch.full((len(rows), W), pad, dtype=torch.long)
    valid = torch.zeros(len(rows), W, dtype=torch.bool)
    for b, r in enumerate(rows):
        if len(r):
            x[b, W - len(r) :] = torch.as_tensor(list(r), dtype=torch.long)
            valid[b, W - len(r) :] = True
    return x, valid

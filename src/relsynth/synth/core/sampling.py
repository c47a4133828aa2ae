"""Choosing tokens: the one sampler both models use (temperature, nucleus, inverse-CDF draws), and
left-padded prompts for batched prefill into a `KVCache`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor


def sample_tokens(logits: Tensor, gen: torch.Generator, *, temp: float = 1.0, top_p: float = 1.0) -> Tensor:
    """One token per row of `logits` (B, V) from softmax(logits / temp) cut to its top-p nucleus.

    `temp=0` is greedy. Each row's cumulative distribution is inverted at one uniform number drawn
    on the CPU from `gen`, so a seed gives the same tokens on any device: B random numbers a step,
    where Gumbel-max needs B x V and two logarithms of them. Disallowed tokens are expected as -inf
    in `logits`; a row keeps at least its most likely token.
    """
    if temp == 0:
        return logits.argmax(dim=-1)
    if temp != 1.0:
        logits = logits / temp
    if top_p < 1.0 and _allows_none(logits):  # the nucleus cannot cut an empty row
        raise ValueError(NOTHING_ALLOWED)
    p = torch.softmax(logits.float(), dim=-1)
    if top_p < 1.0:
        p = nucleus(p, top_p)
    cdf = p.cumsum(-1)
    u = torch.rand(len(p), 1, generator=gen, dtype=torch.float64)
    if u.device != p.device:
        u = u.to(p.device)
    picked = torch.searchsorted(cdf, (u * cdf[:, -1:]).to(cdf.dtype), right=True).clamp_(max=p.shape[-1] - 1)
    # the drawn token's probability is 0 where u * total rounded up past the last allowed token (rare: the
    # most likely is taken), and NaN on a row of -inf only (its softmax): one reduction checks both, so the
    # common step pays no separate check of its logits (a tenth of a small batch's draw)
    drawn = p.gather(-1, picked) > 0
    if not bool(drawn.all()):
        if _allows_none(logits):
            raise ValueError(NOTHING_ALLOWED)
        picked = torch.where(drawn, picked, p.argmax(-1, keepdim=True))
    return picked.squeeze(-1)


NOTHING_ALLOWED = "a row of logits allows no token (all -inf): the caller's masks left nothing to draw"


def _allows_none(logits: Tensor) -> bool:
    """Whether a row of `logits` (B, V) is -inf everywhere: one reduction, not isinf + all over (B, V)."""
    return bool((logits.amax(-1) == float("-inf")).any())


def nucleus(p: Tensor, top_p: float) -> Tensor:
    """Probabilities `p` (B, V) with every token outside the smallest set of probability >= top_p at 0.

    The set is every token at least as likely as the one that crosses top_p (a tie with it stays
    in). Only the sorted probabilities are needed, not the order: on the CPU numpy sorts values
    alone about 8x faster than `torch.sort`, which was a quarter of a text generation step."""
    desc = _sorted_descending(p)
    before = desc.cumsum(-1) - desc  # mass of the more likely tokens; the most likely always stays
    n_kept = (before <= top_p).sum(-1, keepdim=True)
    threshold = desc.gather(-1, n_kept - 1)
    return p.masked_fill(p < threshold, 0.0)


def _sorted_descending(p: Tensor) -> Tensor:
    if p.device.type != "cpu":
        return p.sort(dim=-1, descending=True).values
    return torch.from_numpy(-np.sort(-p.detach().numpy(), axis=-1))


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

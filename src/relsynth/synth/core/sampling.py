"""Choosing tokens: the one sampler both models use (temperature, nucleus, Gumbel-max), and
left-padded prompts for batched prefill into a `KVCache`."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def sample_tokens(logits: Tensor, gen: torch.Generator, *, temp: float = 1.0, top_p: float = 1.0) -> Tensor:
    """One token per row of `logits` (B, V) from softmax(logits / temp) cut to its top-p nucleus.

    `temp=0` is greedy. Sampling is Gumbel-max (faster than multinomial) with the noise drawn on
    the CPU from `gen`, so a seed gives the same tokens on any device. Disallowed tokens are
    expected as -inf in `logits`; a row keeps at least its most likely token.
    """
    if temp == 0:
        return logits.argmax(dim=-1)
    if temp != 1.0:
        logits = logits / temp
    if bool(torch.isinf(logits).all(-1).any()):
        raise ValueError("a row of logits allows no token (all -inf): the caller's masks left nothing to draw")
    if top_p < 1.0:
        logits = nucleus(logits, top_p)
    u = torch.rand(logits.shape, generator=gen).clamp_(1e-10, 1.0).to(logits.device)
    return (logits - torch.log(-torch.log(u))).argmax(dim=-1)


def nucleus(logits: Tensor, top_p: float) -> Tensor:
    """`logits` with every token outside the smallest set of probability >= top_p set to -inf."""
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    p = torch.softmax(sorted_logits, dim=-1)
    outside = p.cumsum(-1) - p > top_p  # the most likely token always stays
    sorted_logits = sorted_logits.masked_fill(outside, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


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

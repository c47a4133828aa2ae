"""Choosing tokens: the one sampler both models use (temperature, nucleus, Gumbel-max), and
left-padded prompts for batched prefill into a `KVCache`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
    if bool((logits.amax(-1) == float("-inf")).any()):  # one reduction, not isinf + all over (B, V)
        raise ValueError("a row of logits allows no token (all -inf): the caller's masks left nothing to draw")
    if top_p < 1.0:
        logits = nucleus(logits, top_p)
    u = torch.rand(logits.shape, generator=gen).clamp_(1e-10, 1.0).to(logits.device)
    return (logits - torch.log(-torch.log(u))).argmax(dim=-1)


def nucleus(logits: Tensor, top_p: float) -> Tensor:
    """`logits` with every token outside the smallest set of probability >= top_p set to -inf.

    The set is every token at least as likely as the one that crosses top_p (a tie with it stays
    in). Only the sorted probabilities are needed, not the order: on the CPU numpy sorts values
    alone about 8x faster than `torch.sort`, which was a quarter of a text generation step."""
    p = torch.softmax(logits, dim=-1)
    desc = _sorted_descending(p)
    before = desc.cumsum(-1) - desc  # mass of the more likely tokens; the most likely always stays
    n_kept = (before <= top_p).sum(-1, keepdim=True)
    threshold = desc.gather(-1, n_kept - 1)
    return logits.masked_fill(p < threshold, float("-inf"))


def _sorted_descending(p: Tensor) -> Tensor:
    if p.device.type != "cpu":
        return p.sort(dim=-1, descending=True).values
    return torch.from_numpy(-np.sort(-p.detach().float().numpy(), axis=-1)).to(p.dtype)


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

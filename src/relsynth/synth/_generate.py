"""The generation loop: sample entities token by token under the grammar.

Each sequence has a `_Cursor` that knows the slot of its next token (the grammar) and is
advanced once per token; the model runs once per step for the whole batch with a KV cache
(transformer) or carried state (LSTM). Finished entities leave the batch. When a sequence
reaches `max_block_size`, the batch restarts from each row's ancestor headers, exactly like
the training windows.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from relsynth.relational import RelationalData
from relsynth.synth._transformer import KVCache
from relsynth.synth.preproc import BOS, PAD, TabularPreproc

log = logging.getLogger(__name__)
_AUTO_BATCH = 256


class _Cursor:
    """Grammar state of one entity: the row being written and the ancestors' pending children."""

    def __init__(self, pre: TabularPreproc, root: str, forced: dict[int, int] | None = None):
        self.pre, self.forced = pre, forced or {}
        self.tokens: list[int] = []
        self.frames: list[list] = []  # [table, header, remaining counts per child]
        self.done = False
        self._start_row(root)

    def _start_row(self, table: str) -> None:
        self.table, self.layout, self.header = table, self.pre.layouts[table], []

    @property
    def next_slot(self) -> int:
        return self.layout.slots[len(self.header)]

    def forced_token(self) -> int | None:
        return self.forced.get(len(self.header)) if not self.frames and not self.tokens[len(self.header) :] else None

    def push(self, token: int) -> None:
        self.tokens.append(token)
        self.header.append(token)
        if len(self.header) == self.layout.header_len:
            self._end_row()

    def _end_row(self) -> None:
        lay = self.layout
        counts = [
            _count(self.pre, lay.slots[lay.n_fields + k], self.header[lay.n_fields + k])
            for k in range(len(lay.children))
        ]
        self.frames.append([self.table, self.header, counts])
        self.forced = {}
        while self.frames:
            table, _, remaining = self.frames[-1]
            children = self.pre.layouts[table].children
            k = next((i for i, n in enumerate(remaining) if n > 0), None)
            if k is not None:
                remaining[k] -= 1
                self._start_row(children[k])
                return
            self.frames.pop()
        self.done = True

    def context(self) -> tuple[list[int], list[int]]:
        """Ancestor headers plus the current partial row: tokens and their slots."""
        tokens, slots = [], []
        for table, header, _ in self.frames:
            tokens += header
            slots += self.pre.layouts[table].slots
        tokens += self.header
        slots += self.layout.slots[: len(self.header)]
        return tokens, slots


def _count(pre: TabularPreproc, slot_id: int, token: int) -> int:
    from relsynth.synth._decode import _count as decode_count

    return decode_count(pre, slot_id, token)


def generate(model, n_samples, ctx, batch_size, max_block_size, temp, seed, progress) -> RelationalData:
    pre = model.preproc
    if (n_samples is None) == (ctx is None):
        raise ValueError("give exactly one of n_samples and ctx")
    if temp <= 0:
        raise ValueError(f"temp must be positive, got {temp}")
    if batch_size < 0 or max_block_size < 0:
        raise ValueError("batch_size and max_block_size must be >= 0 (0 = automatic)")
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    roots, forced = _plan(pre, n_samples, ctx, rng)
    batch_size = batch_size or min(max(len(roots), 1), _AUTO_BATCH)
    capacity = max_block_size or model.config.block_size or max(pre.stats.get("max_entity_len", 0) + 1, 64)
    model.eval()
    sequences: list[list[int]] = [[] for _ in roots]
    show = progress if progress is not None else len(roots) >= 1000
    bar = tqdm(total=len(roots), desc="generate", unit="entity", disable=not show, leave=False)
    for lo in range(0, len(roots), batch_size):
        idx = range(lo, min(lo + batch_size, len(roots)))
        cursors = [_Cursor(pre, roots[i], forced[i] if forced else None) for i in idx]
        _run_batch(model, cursors, capacity, temp, gen)
        for i, c in zip(idx, cursors, strict=True):
            sequences[i] = c.tokens
        bar.update(len(cursors))
    bar.close()
    return pre.decode_entities([np.asarray(s, dtype=np.int64) for s in sequences], roots, seed=int(rng.integers(2**31)))


def _plan(pre: TabularPreproc, n_samples, ctx, rng) -> tuple[list[str], list[dict[int, int]] | None]:
    """Root table of each entity (shares as in training) and the forced context tokens."""
    schema = pre.schema
    if ctx is not None:
        if not isinstance(ctx, pd.DataFrame):
            raise TypeError("ctx must be a DataFrame of context columns (see preproc.select_ctx)")
        missing = [c for c in pre.ctx_cols if c not in ctx.columns]
        if not pre.ctx_cols or missing:
            raise ValueError(f"ctx must hold the preprocessor's ctx_cols {pre.ctx_cols}; missing {missing}")
        root = schema.roots[0]
        tokens = pre.encode_columns(root, ctx[pre.ctx_cols].reset_index(drop=True), n_fields=len(pre.ctx_cols))
        forced = [{j: int(t) for j, t in enumerate(row)} for row in tokens]
        return [root] * len(ctx), forced
    if not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    shares = pre.stats.get("root_shares") or {r: 1 / len(schema.roots) for r in schema.roots}
    names = list(shares)
    counts = np.floor(np.array([shares[r] for r in names]) * n_samples).astype(int)
    counts[0] += n_samples - counts.sum()
    return [r for r, c in zip(names, counts, strict=True) for _ in range(c)], None


def _run_batch(model, cursors: list[_Cursor], capacity: int, temp: float, gen: torch.Generator) -> None:
    free = model.config.block == "free"
    active = list(range(len(cursors)))
    state = KVCache(model.body.cfg, len(active), capacity) if free else {}
    inputs = torch.full((len(active),), BOS, dtype=torch.long)
    pos = torch.zeros(len(active), dtype=torch.long)
    allowed, bias = model.allowed_gen, model.count_bias
    n_done = 0
    while len(active) > n_done:
        slots = torch.tensor([0 if cursors[i].done else cursors[i].next_slot for i in active], dtype=torch.long)
        if free and state.length + 1 > capacity:
            state, logits, pos = _reprefix(model, [cursors[i] for i in active], slots, capacity)
        else:
            logits = model.logits(inputs[:, None], slots[:, None], pos[:, None], state)[:, -1]
        logits = (logits + bias).masked_fill(~allowed[slots], float("-inf")) / temp
        tokens = _sample(logits, gen)
        for j, i in enumerate(active):
            c = cursors[i]
            if c.done:
                continue
            forced = c.forced.get(len(c.header)) if not c.frames else None
            if forced is not None:
                tokens[j] = forced
            c.push(int(tokens[j]))
            n_done += c.done
        inputs, pos = tokens, pos + 1
        # finished rows leave the batch in groups: compacting the cache costs a copy of it
        if n_done and (n_done >= len(active) // 4 or n_done == len(active)):
            keep = [j for j, i in enumerate(active) if not cursors[i].done]
            rows = torch.tensor(keep, dtype=torch.long)
            active, n_done = [active[j] for j in keep], 0
            inputs, pos = inputs[rows], pos[rows]
            if free:
                state.keep(rows)
            elif "hc" in state:
                state["hc"] = tuple(s[:, rows] for s in state["hc"])


def _sample(logits: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """One token per row from softmax(logits), by the Gumbel-max trick (faster than multinomial)."""
    u = torch.rand(logits.shape, generator=gen).clamp_(1e-10, 1.0)
    return (logits - torch.log(-torch.log(u))).argmax(dim=-1)


def _reprefix(model, cursors: list[_Cursor], slots: torch.Tensor, capacity: int):
    """Restart the cache from each sequence's ancestor headers (as the training windows do)."""
    contexts = [c.context() for c in cursors]
    T = max(len(t) for t, _ in contexts) + 1
    if T > capacity:
        raise ValueError(f"max_block_size={capacity} is too small for a row with its ancestors ({T} tokens)")
    B = len(cursors)
    inputs = torch.full((B, T), PAD, dtype=torch.long)
    slot_in = torch.zeros((B, T), dtype=torch.long)
    pos = torch.zeros((B, T), dtype=torch.long)
    valid = torch.zeros((B, T), dtype=torch.bool)
    for b, (tok, slt) in enumerate(contexts):
        m = len(tok)
        pad = T - (m + 1)
        inputs[b, pad:] = torch.tensor([BOS, *tok], dtype=torch.long)
        slot_in[b, pad:] = torch.tensor([*slt, int(slots[b])], dtype=torch.long)
        pos[b, pad:] = torch.arange(m + 1)
        valid[b, pad:] = True
    cache = KVCache(model.body.cfg, B, capacity)
    logits = model.logits(inputs, slot_in, pos, cache, valid=valid)[:, -1]
    return cache, logits, pos[:, -1] + 1

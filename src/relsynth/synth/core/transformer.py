"""The causal transformer shared by the tabular and the text model.

Pre-LN blocks, rotary position embeddings (relative positions: a window that starts deep in
a long entity looks the same as one at its start) and `F.scaled_dot_product_attention`.
Every parameter lives in `nn.Linear` / `nn.LayerNorm`, so opacus computes exact per-sample
gradients. Generation uses a preallocated `KVCache`: growing it by `torch.cat` each step is
quadratic.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass(frozen=True, kw_only=True)
class ModelSize:
    """Depth and width of a model; the same names for the tabular and the text model."""

    n_layers: int  # blocks
    h: int  # attention heads (d / h must be even)
    d: int  # width of the residual stream
    d_ff: int | None = None  # hidden width of each block's MLP; None: 4 * d
    kv_heads: int | None = None  # key/value heads, each shared by h / kv_heads query heads; None: h

    def __post_init__(self) -> None:
        for name in ("n_layers", "h", "d"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ModelSize {name} must be a positive integer, got {value!r}")
        if self.d_ff is not None and (isinstance(self.d_ff, bool) or not isinstance(self.d_ff, int) or self.d_ff < 1):
            raise ValueError(f"ModelSize d_ff must be a positive integer or None, got {self.d_ff!r}")
        check_heads(self.d, self.h, self.kv_heads, "ModelSize ")


@dataclass(frozen=True)
class TransformerConfig:
    n_layers: int = 2  # number of blocks
    h: int = 4  # attention heads; d must divide by it into heads of even size
    d: int = 64  # width of the residual stream
    d_ff: int = 256  # hidden width of each block's MLP
    dropout: float = 0.0  # on each head's output per position, and on the attention and MLP outputs
    kv_heads: int | None = None  # key/value heads (grouped-query attention); None: one per query head

    def __post_init__(self) -> None:
        check_heads(self.d, self.h, self.kv_heads)

    @property
    def n_kv(self) -> int:
        return self.kv_heads or self.h

    @classmethod
    def of(cls, size: ModelSize, dropout: float = 0.0) -> TransformerConfig:
        return cls(size.n_layers, size.h, size.d, size.d_ff or 4 * size.d, dropout, size.kv_heads)


def check_heads(d: int, h: int, kv_heads: int | None, who: str = "") -> None:
    """d splits into h heads of even size, and h query heads into groups over kv_heads key/value heads."""
    if d % h or (d // h) % 2:
        raise ValueError(f"{who}d={d} must split into h={h} heads of even size")
    if kv_heads is not None and (isinstance(kv_heads, bool) or not isinstance(kv_heads, int) or kv_heads < 1):
        raise ValueError(f"{who}kv_heads must be a positive integer or None, got {kv_heads!r}")
    if kv_heads is not None and h % kv_heads:
        raise ValueError(f"{who}h={h} must be a multiple of kv_heads={kv_heads}")


def resolve_size(size: str | ModelSize, presets: dict[str, ModelSize], what: str) -> ModelSize:
    """A preset by name ("small", ...) or a `ModelSize` as it is; presets are frozen, never shared mutably."""
    if isinstance(size, ModelSize):
        return size
    if isinstance(size, str) and str(size) in presets:
        return presets[str(size)]
    raise ValueError(f"unknown {what} size {size!r}; options: {list(presets)} or ModelSize(n_layers=, h=, d=)")


def rotary(pos: Tensor, head_dim: int, base: float = 10_000.0) -> Tensor:
    """The rotations e^(i pos theta_j) as a complex tensor (B, 1, T, head_dim/2) for integer positions (B, T)."""
    inv_freq = base ** (-torch.arange(0, head_dim, 2, device=pos.device, dtype=torch.float32) / head_dim)
    angles = pos.to(torch.float32)[:, None, :, None] * inv_freq  # (B, 1, T, hd/2)
    return torch.complex(angles.cos(), angles.sin())


def apply_rotary(x: Tensor, rot: Tensor) -> Tensor:
    """Rotate each pair (x[2j], x[2j+1]) of the last dim by `rot`: one complex product, the same
    numbers as (x1 cos - x2 sin, x1 sin + x2 cos) computed on strided halves and restacked (4-5x
    faster on CPU, which the decode loop calls twice a layer per token)."""
    if x.dtype not in (torch.float32, torch.float64):  # no complex bf16: rotate in float32 (under autocast)
        return apply_rotary(x.float(), rot).to(x.dtype)
    pairs = torch.view_as_complex(x.unflatten(-1, (-1, 2)))  # (B, H, T, hd/2): x[2j] + i x[2j+1]
    return torch.view_as_real(pairs * rot).flatten(-2)


class KVCache:
    """Keys and values of every layer for a batch, preallocated to `capacity` positions.

    `valid[b, t]` says whether slot t of row b holds a real token (rows may start with
    padding when their prompts differ in length). It holds `kv_heads` heads, not `h`: reading
    the cache is most of a decode step's time at large batches, and one shared head reads a
    quarter of four.
    """

    def __init__(self, cfg: TransformerConfig, batch: int, capacity: int, device: torch.device | str = "cpu"):
        hd = cfg.d // cfg.h
        shape = (cfg.n_layers, batch, cfg.n_kv, capacity, hd)
        self.k = torch.zeros(shape, device=device)
        self.v = torch.zeros(shape, device=device)
        self.valid = torch.zeros(batch, capacity, dtype=torch.bool, device=device)
        self.length = 0
        self.padded = False  # some slot holds padding: attention needs a mask

    @property
    def capacity(self) -> int:
        return self.k.shape[3]

    def keep(self, rows: Tensor) -> None:
        """Keep only these batch rows (finished sequences leave the batch)."""
        self.k, self.v, self.valid = self.k[:, rows], self.v[:, rows], self.valid[rows]

    def clear(self) -> None:
        """Empty, for the same batch rows, keeping the buffers: allocating them again cost generation
        more than the steps between two restarts. Every slot below `length` is written (with its
        `valid`) before it is read, so nothing of the previous round is seen."""
        self.length = 0
        self.padded = False


class Attention(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.n_heads, self.n_kv, self.dropout = cfg.h, cfg.n_kv, cfg.dropout
        hd = cfg.d // cfg.h
        self.qkv = nn.Linear(cfg.d, cfg.d + 2 * self.n_kv * hd)
        self.proj = nn.Linear(cfg.d, cfg.d)

    def forward(
        self, x: Tensor, rot: Tensor, cache: KVCache | None, layer: int, mask: Tensor | None, at: Tensor | None = None
    ) -> Tensor:
        """(B, T, d); with `at` (B, S) positions, (B, S, d): every position's keys and values are
        computed (and go to the cache), queries only at those positions."""
        B, T, d = x.shape
        H, KV = self.n_heads, self.n_kv
        heads = self.qkv(x).view(B, T, H + 2 * KV, d // H).transpose(1, 2)  # (B, H + 2 KV, T, hd)
        q, k, v = heads.split((H, KV, KV), dim=1)  # (B, H, T, hd), (B, KV, T, hd) twice
        gqa = KV < H
        rot_q = rot
        if at is not None:  # only these queries are ever read: rotate them alone and attend with them alone
            q, rot_q = pick(q, at), pick(rot, at)
            if mask is not None:
                mask = pick(mask, at)
            elif cache is None:  # is_causal would take the first S rows: give the picked ones
                mask = causal_rows(at, T)
        q, k = apply_rotary(q, rot_q), apply_rotary(k, rot)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None, enable_gqa=gqa)
            if self.training and self.dropout:
                y = y * head_dropout_mask(B, self.n_heads, q.shape[2], self.dropout, y.device)
        else:
            start = cache.length
            cache.k[layer, :, :, start : start + T] = k
            cache.v[layer, :, :, start : start + T] = v
            k_all, v_all = cache.k[layer, :, :, : start + T], cache.v[layer, :, :, : start + T]
            if gqa and q.shape[2] == 1:  # a decode step: a key head's query heads as its queries, one pass over it
                y = F.scaled_dot_product_attention(q.reshape(B, KV, H // KV, -1), k_all, v_all, attn_mask=mask)
                y = y.view(B, H, 1, -1)
            else:
                y = F.scaled_dot_product_attention(q, k_all, v_all, attn_mask=mask, enable_gqa=gqa)
        return self.proj(y.transpose(1, 2).reshape(B, q.shape[2], d))  # (B, T or S, d)


def pick(t: Tensor, at: Tensor) -> Tensor:
    """`t` (B, X, T, Y) at the positions `at` (B, S) of its third dimension: (B, X, S, Y)."""
    B, X, _, Y = t.shape
    return t.gather(2, at[:, None, :, None].expand(B, X, at.shape[1], Y))


def causal_rows(at: Tensor, T: int) -> Tensor:
    """(B, 1, S, T) boolean: the rows of the causal mask at the query positions `at` (B, S)."""
    return (torch.arange(T, device=at.device) <= at[..., None])[:, None]


def head_dropout_mask(B: int, H: int, T: int, p: float, device: torch.device) -> Tensor:
    """(B, H, T, 1): 0 where a head's output at a position is dropped, else 1 / (1 - p).

    Dropout here instead of on the attention weights (`dropout_p` of SDPA), which sends SDPA to its
    unfused path and draws T times more random numbers. At the Kedro defaults (dropout 0.1, small,
    2 threads) training went from 7.7k to 13.8k tokens/s on Chinook and 11.1k to 30.6k on TPC-H
    sf 0.01, for the same regularisation: Chinook quality 72.91 vs 73.09 over 6 seeds
    (benchmarks/chinook_defaults.py), text held-out loss 4.50 vs 4.48 over 2 seeds; without
    dropout on the attention at all, the text loss was 4.56."""
    return F.dropout(torch.ones(B, H, T, 1, device=device), p, training=True)


class Block(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d), nn.LayerNorm(cfg.d)
        self.attn = Attention(cfg)
        self.mlp = nn.Sequential(nn.Linear(cfg.d, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self, x: Tensor, rot: Tensor, cache: KVCache | None, layer: int, mask: Tensor | None, at: Tensor | None = None
    ) -> Tensor:
        """(B, T, d); with `at` (B, S) positions, the outputs there only (B, S, d)."""
        y = self.attn(self.ln1(x), rot, cache, layer, mask, at)
        x = (x if at is None else x.gather(1, at[..., None].expand(-1, -1, x.shape[2]))) + self.drop(y)
        return x + self.drop(self.mlp(self.ln2(x)))


def _block_step(
    x: Tensor, rot: Tensor, cache: KVCache, layer: int, mask: Tensor | None, w: tuple, eps: tuple, cfg
) -> Tensor:
    """One new position per row through a block, in eval mode (no dropout): `x` (B, d), `rot`
    (B, 1, hd/2) in, (B, d) out, on the tensors `w` of one `StepWeights` layer. The numbers of
    `Block.forward` with T=1, in fewer and flatter calls: a decode step at a small batch is all call
    overhead. A key head's query heads are its queries: one pass over its cache."""
    ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, up_w, up_b, down_w, down_b = w
    B, d = x.shape
    H, KV = cfg.h, cfg.n_kv
    heads = torch.view_as_complex(
        F.linear(torch.layer_norm(x, (d,), ln1_w, ln1_b, eps[0]), qkv_w, qkv_b).view(B, H + 2 * KV, -1, 2)
    )
    qk = torch.view_as_real(heads[:, : H + KV] * rot).flatten(-2)  # rotated queries and keys (B, H + KV, hd)
    at = cache.length
    keys, values = cache.k[layer], cache.v[layer]
    keys[:, :, at] = qk[:, H:]
    values[:, :, at] = torch.view_as_real(heads[:, H + KV :]).flatten(-2)
    y = F.scaled_dot_product_attention(
        qk[:, :H].reshape(B, KV, H // KV, -1), keys[:, :, : at + 1], values[:, :, : at + 1], attn_mask=mask
    )
    x = x + F.linear(y.reshape(B, d), proj_w, proj_b)
    return x + F.linear(F.gelu(F.linear(torch.layer_norm(x, (d,), ln2_w, ln2_b, eps[1]), up_w, up_b)), down_w, down_b)


def segment_mask(segments: Tensor) -> Tensor:
    """(B, 1, T, T) boolean: position t sees position s <= t of its own segment. Padding (its own
    segment id) sees padding, so no query row is empty."""
    T = segments.shape[1]
    causal = torch.ones(T, T, dtype=torch.bool, device=segments.device).tril()
    return (segments[:, None, :, None] == segments[:, None, None, :]) & causal


@dataclass(frozen=True)
class StepWeights:
    """The tensors a decode step reads, taken from the modules once for a whole generation
    (`Transformer.step_weights`): per layer (ln1 weight, bias, qkv weight, bias, proj weight, bias,
    ln2 weight, bias, mlp up weight, bias, mlp down weight, bias), then the final LayerNorm's weight
    and bias. They are the modules' own tensors, not copies: a step sees weights changed in place;
    a module replaced after they were taken it does not, so take them anew for each generation."""

    layers: tuple[tuple[Tensor, ...], ...]
    final: tuple[Tensor, Tensor]
    eps: tuple[float, ...]  # each layer's two LayerNorms', then the final one's


class Transformer(nn.Module):
    """A stack of causal blocks over embeddings: (B, T, d) in, (B, T, d) out (final LayerNorm applied)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d)
        self._rotation_table: Tensor | None = None  # `step`'s rotations by position, built on first use

    def forward(
        self,
        x: Tensor,
        pos: Tensor,
        cache: KVCache | None = None,
        valid: Tensor | None = None,
        segments: Tensor | None = None,
        last_only: bool = False,
        outputs: Tensor | None = None,
    ) -> Tensor:
        """`pos` (B, T): rotary positions. Without a cache the attention is plain causal over
        the T positions, or, with `segments` (B, T), causal within each segment: a row packs
        several sequences, which never see each other. With a cache, the T new positions are
        appended after `cache.length` and `valid` (B, T) marks which of them are real tokens
        (False = left padding).

        `outputs` (B, S): the positions whose outputs are wanted, (B, S, d) out; the last block
        computes the other positions' keys and values (for the attention, and the cache) and
        nothing else. Training a text model scores the text tokens only (a fifth of a track
        name's window), and a prompt's prefill wants the next token only: `last_only` is
        `outputs` = the last position, (B, 1, d)."""
        B, T = x.shape[:2]
        if last_only:
            if outputs is not None:
                raise ValueError("give last_only or outputs, not both")
            if T > 1:  # one position (a decode step) is its own last: nothing to pick
                outputs = torch.full((B, 1), T - 1, dtype=torch.long, device=x.device)
        rot = rotary(pos, self.cfg.d // self.cfg.h)
        mask = None
        if cache is not None:
            mask = self._cache_mask(cache, T, valid)
        elif segments is not None:
            mask = segment_mask(segments)
        for i, block in enumerate(self.blocks):
            x = block(x, rot, cache, i, mask, at=outputs if i == len(self.blocks) - 1 else None)
        if cache is not None:
            cache.length += T
        return self.ln_f(x)

    def step(self, x: Tensor, pos: Tensor, cache: KVCache, weights: StepWeights | None = None) -> Tensor:
        """One decode step in eval mode: the embeddings (B, d) of each row's newest token at the
        positions `pos` (B,) in, (B, d) out (final LayerNorm applied), appended to `cache`. The
        numbers of `forward(x[:, None], pos[:, None], cache)[:, 0]`, at about half its time for a
        small batch, where a step is all Python and call overhead (Chinook 1x generation ends with
        one long entity, one row for a thousand steps): no T dimension, positions' rotations read
        from a table, no dropout calls, no mask unless a row's cache holds padding. `weights`
        (`step_weights`, taken once for a generation): the same numbers without reading two dozen
        parameters through the modules each step, a fifth of a small batch's step."""
        if self.training:
            raise RuntimeError("Transformer.step is for generation: call eval() first (dropout is skipped)")
        if cache.length + 1 > cache.capacity:
            raise RuntimeError(f"KV cache full: {cache.length}+1 > capacity {cache.capacity}")
        cache.valid[:, cache.length] = True
        mask = cache.valid[:, None, None, : cache.length + 1] if cache.padded else None  # (B, 1, 1, S)
        rot = self._rotations(int(pos.max()) + 1, pos.device)[pos][:, None]  # (B, 1, hd/2)
        if weights is None:
            weights = self.step_weights()
        for i, layer in enumerate(weights.layers):
            x = _block_step(x, rot, cache, i, mask, layer, weights.eps[2 * i : 2 * i + 2], self.cfg)
        cache.length += 1
        return torch.layer_norm(x, x.shape[-1:], *weights.final, weights.eps[-1])

    def step_weights(self) -> StepWeights:
        """The tensors `step` reads, from the modules as they are now (see `StepWeights`)."""
        layers, eps = [], []
        for block in self.blocks:
            attn, up, down = block.attn, block.mlp[0], block.mlp[2]
            layers.append(
                (block.ln1.weight, block.ln1.bias, attn.qkv.weight, attn.qkv.bias, attn.proj.weight, attn.proj.bias)
                + (block.ln2.weight, block.ln2.bias, up.weight, up.bias, down.weight, down.bias)
            )
            eps += [block.ln1.eps, block.ln2.eps]
        return StepWeights(tuple(layers), (self.ln_f.weight, self.ln_f.bias), (*eps, self.ln_f.eps))

    def _rotations(self, n: int, device: torch.device) -> Tensor:
        """`rotary` of the positions 0..n-1 (at least), (n, hd/2), kept and grown by doubling."""
        table = self._rotation_table
        if table is None or table.shape[0] < n or table.device != device:
            size = max(n, 256, 2 * table.shape[0] if table is not None else 0)
            table = rotary(torch.arange(size, device=device)[None], self.cfg.d // self.cfg.h)[0, 0]
            self._rotation_table = table
        return table

    @staticmethod
    def _cache_mask(cache: KVCache, T: int, valid: Tensor | None) -> Tensor | None:
        """(B, 1, T, length+T) boolean: causal over the new positions, padding keys hidden."""
        start = cache.length
        if start + T > cache.capacity:
            raise RuntimeError(f"KV cache full: {start}+{T} > capacity {cache.capacity}")
        cache.valid[:, start : start + T] = True if valid is None else valid
        cache.padded = cache.padded or (valid is not None and not bool(valid.all()))
        if T == 1 and not cache.padded:
            return None  # one new query may see every cached key: no mask needed (and faster)
        keys = cache.valid[:, : start + T]  # (B, S)
        if T == 1 and valid is None:  # the decode step: one real query that sees every real key
            return keys[:, None, None, :]
        causal = torch.ones(T, start + T, dtype=torch.bool, device=keys.device).tril(diagonal=start)
        mask = keys[:, None, None, :] & causal[None, None]  # (B, 1, T, S)
        # A padding query with no visible key would give NaN: let it see itself.
        eye = torch.zeros_like(mask)
        new = torch.arange(T, device=keys.device)
        eye[..., new, start + new] = True
        return mask | eye

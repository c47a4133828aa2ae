"""TabularModel: embeddings -> causal blocks ("free" transformer or "lstm") -> grammar-masked head.

Input at position t is the previous token plus the slot (table, column or child count) of the
token to predict; the output layer scores only that slot's vocabulary slice, so every sampled
sequence follows the grammar. Child-count tokens can be weighted up in the loss: they are one
token per parent but decide the structure of the whole database.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from relsynth.relational import RelationalData
from relsynth.relational.progress import progress as show_progress
from relsynth.synth.core.files import (
    PREPROC_DIR,
    load_model_weights,
    read_model_config,
    save_model_dir,
    warn_untrained,
)
from relsynth.synth.core.training.strategy import on_device
from relsynth.synth.core.transformer import ModelSize, Transformer, TransformerConfig, resolve_size
from relsynth.synth.tabular import _generate
from relsynth.synth.tabular.dataset import IGNORE
from relsynth.synth.tabular.preproc import TabularPreproc

CONFIG_FILE, KIND = "model.json", "TabularModel"


TabularModelSize = ModelSize  # aindo.rdml's name; one size class for both models


class Size(StrEnum):
    """The preset model sizes (aindo.rdml's names): `size=Size.SMALL` is `size="small"`."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


# small and medium: one key/value head for their four query heads (grouped-query attention).
# Reading the KV cache was most of a large generation's time; with one head Chinook 10x generated
# 1.6x the rows/s and TPC-H sf 0.01 1x 1.6x, with the same quality (Chinook small 73.4 vs 73.0 over
# 6 seeds, medium 73.5 vs 72.0 over 4, TPC-H validation loss 1.3807 vs 1.3805; benchmarks/README.md).
# large keeps a key head per query head: not measured.
SIZES = {
    Size.SMALL.value: ModelSize(n_layers=2, h=4, d=64, kv_heads=1),
    Size.MEDIUM.value: ModelSize(n_layers=3, h=4, d=128, kv_heads=1),
    Size.LARGE.value: ModelSize(n_layers=4, h=8, d=256),
}
BLOCKS = ("free", "lstm")
REDUCTIONS = ("tokens", "samples", "none")
# tokens of each child count the calibration reads before it stops: a count value held by 5 % of
# the parents is then estimated within sqrt(0.95 / (0.05 * 4096)) = 7 % (relative standard error)
COUNT_TOKENS = 4_096

log = logging.getLogger(__name__)


@dataclass
class TabularModelConfig:
    vocab_size: int
    n_slots: int
    n_layers: int = 2
    h: int = 4
    d: int = 64
    block: str = "free"  # "free" (transformer) or "lstm"
    dropout: float = 0.0
    count_weight: float = 1.0  # loss weight of child-count tokens relative to field tokens
    block_size: int | None = None  # training window (tokens); generation re-prefixes at this length
    dp_layers: bool = False  # "lstm" built from opacus.layers.DPLSTM (per-sample gradients for DP training)
    kv_heads: int | None = None  # "free": key/value heads shared by the query heads; None (saves before it): h
    # tokens of previous siblings' headers a generation restart keeps after the ancestors, as the training
    # windows did (`TabularDataset.sibling_context`, set by the trainer); 0 (saves before it, whole entities): none
    sibling_context: int = 0

    def size(self) -> ModelSize:
        return ModelSize(n_layers=self.n_layers, h=self.h, d=self.d, kv_heads=self.kv_heads)


class TabularModel(nn.Module):
    """The generative model of a whole database's non-text columns, one root entity a sequence.

    `TabularModel.build(preproc, size="small", block="free")` from a fitted `TabularPreproc`;
    train with `TabularTrainer(model).train(dataset, ...)`; `generate(n_samples)` (or `ctx=`)
    samples a `RelationalData` with fresh keys and the text columns empty (`TextModel` fills
    them); `save(path)` / `TabularModel.load(path)`.
    """

    def __init__(self, cfg: TabularModelConfig, preproc: TabularPreproc):
        super().__init__()
        self.config, self.preproc = cfg, preproc
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d)
        self.slot_emb = nn.Embedding(cfg.n_slots, cfg.d)
        if cfg.block == "free":
            self.body = Transformer(TransformerConfig.of(cfg.size(), cfg.dropout))
        else:
            self.body = _LSTMBody(cfg.d, cfg.n_layers, cfg.dropout, dp=cfg.dp_layers)
        self.head = nn.Linear(cfg.d, cfg.vocab_size)
        self.register_buffer("allowed", torch.from_numpy(preproc.allowed_mask()), persistent=False)
        self.register_buffer("allowed_gen", torch.from_numpy(preproc.allowed_mask(generation=True)), persistent=False)
        weights = torch.tensor([cfg.count_weight if s.is_count else 1.0 for s in preproc.slots])
        self.register_buffer("slot_weight", weights, persistent=False)
        # log-ratio added to child-count logits at generation (see calibrate_counts); under DP to a
        # lookup key's logits too (its released marginal, `_dp_counts`)
        self.register_buffer("count_bias", torch.zeros(cfg.vocab_size))
        self.trained = False  # set by a training run or a load; generate warns while it is False

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        preproc: TabularPreproc,
        *,
        size: str | Size | ModelSize = "small",
        block: str = "free",
        dropout: float = 0.0,
        count_weight: float = 1.0,
        block_size: int | None = None,
    ) -> TabularModel:
        """A fresh (untrained) model for the fitted `preproc`.

        `size`: "small", "medium", "large" (or `Size.*`) or a `TabularModelSize(n_layers, h, d)`;
        `block`: "free" (a causal transformer) or "lstm"; `dropout` in [0, 1); `count_weight`: the
        loss weight of the child-count tokens against the field tokens; `block_size`: the
        training window in tokens (None: whole entities), which generation re-prefixes at.
        """
        if not isinstance(preproc, TabularPreproc):
            raise TypeError(f"preproc must be a fitted TabularPreproc, got {type(preproc).__name__}")
        preproc._check_fitted()
        if block not in BLOCKS:
            raise ValueError(f"unknown block {block!r}; options: {list(BLOCKS)}")
        if not isinstance(dropout, int | float) or not 0.0 <= dropout < 1.0:  # nan fails the comparison too
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        if not isinstance(count_weight, int | float) or not math.isfinite(count_weight) or count_weight < 0:
            raise ValueError(f"count_weight must be a finite number >= 0, got {count_weight!r}")
        if block_size is not None and (
            isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2
        ):
            raise ValueError(f"block_size must be an integer >= 2 or None, got {block_size!r}")
        s = resolve_size(size, SIZES, "tabular model")
        cfg = TabularModelConfig(
            preproc.vocab_size,
            len(preproc.slots),
            s.n_layers,
            s.h,
            s.d,
            block,
            dropout,
            count_weight,
            block_size,
            kv_heads=s.kv_heads,
        )
        return cls(cfg, preproc)

    # ---- training --------------------------------------------------------------------------
    @property
    def supports_packing(self) -> bool:
        """Batches may pack several samples per row (`collate(..., pack=True)`): the transformer
        keeps them apart with a segment mask; an LSTM cannot."""
        return self.config.block == "free"

    def hidden(
        self,
        inputs: Tensor,
        slots: Tensor,
        pos: Tensor,
        state=None,
        valid: Tensor | None = None,
        segments: Tensor | None = None,
        last_only: bool = False,
    ) -> Tensor:
        """The body's output (B, T, d) for the previous tokens and the slots of the tokens to predict;
        `last_only`: the last position's alone (B, 1, d), the others' keys and values still cached."""
        x = self.tok_emb(inputs) + self.slot_emb(slots)  # (B, T, d)
        if self.config.block == "free":
            return self.body(x, pos, cache=state, valid=valid, segments=segments, last_only=last_only)
        h = self.body(x, state)
        return h[:, -1:] if last_only else h

    def logits(
        self,
        inputs: Tensor,
        slots: Tensor,
        pos: Tensor,
        state=None,
        valid: Tensor | None = None,
        last_only: bool = False,
    ) -> Tensor:
        """(B, T, V), or (B, 1, V) for the last position alone (`last_only`: a prefill wants the next
        token's only, so its last block and the head skip the others: half of generation's re-prefix
        time, the same numbers)."""
        return self.head(self.hidden(inputs, slots, pos, state, valid, last_only=last_only))

    def step_logits(self, inputs: Tensor, slots: Tensor, pos: Tensor, state, weights=None) -> Tensor:
        """(B, V): `logits(inputs[:, None], slots[:, None], pos[:, None], state)[:, -1]` for one new
        token per row (B,) in eval mode, through the free block's lean decode step (`weights`: the
        body's `step_weights`, taken once for a generation)."""
        if self.config.block != "free" or self.training:
            return self.logits(inputs[:, None], slots[:, None], pos[:, None], state)[:, -1]
        h = self.body.step(self.tok_emb.weight[inputs] + self.slot_emb.weight[slots], pos, state, weights)
        return F.linear(h, self.head.weight, self.head.bias)

    def forward(self, batch: dict[str, Tensor], reduction: str = "tokens") -> tuple[Tensor, Tensor]:
        """(logits, loss). `reduction`: "tokens" (mean over the batch's scored tokens; the logits are
        those of the scored positions only, (N, V): prefix and padding never reach the head),
        "samples" (mean of per-sample means, so each sample's gradient depends on it alone: DP
        training) or "none" (per-sample losses (B,)); both with logits (B, T, V)."""
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        slots, targets = batch["slots"], batch["targets"]
        if "segments" in batch and reduction != "tokens":
            raise ValueError("a packed batch mixes samples in a row: per-sample losses need collate(pack=False)")
        h = self.hidden(batch["inputs"], slots, batch["pos"], segments=batch.get("segments"))  # (B, T, d)
        if reduction == "tokens":
            scored = targets != IGNORE
            s = slots[scored]
            logits = self.head(h[scored]).masked_fill(~self.allowed[s], float("-inf"))  # (N, V)
            w = self.slot_weight[s]
            ce = F.cross_entropy(logits, targets[scored], reduction="none")
            return logits, (ce * w).sum() / w.sum().clamp_min(1.0)
        logits = self.head(h).masked_fill(~self.allowed[slots], float("-inf"))  # (B, T, V)
        V = logits.shape[-1]
        ce = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=IGNORE, reduction="none")
        w = self.slot_weight[slots] * (targets != IGNORE)
        per_sample = (ce.view(targets.shape) * w).sum(1) / w.sum(1).clamp_min(1.0)  # (B,)
        return logits, per_sample if reduction == "none" else per_sample.mean()

    def dp_copy(self) -> TabularModel:
        """A copy whose layers opacus can differentiate per sample (an "lstm" body rebuilt with
        DPLSTM, same weights); this model is left as it is. The DP trainer trains the copy and
        loads its weights back here."""
        if self.config.block != "lstm" or self.config.dp_layers:
            return self
        copy = TabularModel(replace(self.config, dp_layers=True), self.preproc)
        copy.load_state_dict(_with_aliases(copy, dict(self.state_dict())))
        return copy.train(self.training)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # ---- calibration -----------------------------------------------------------------------
    @torch.no_grad()
    def calibrate_counts(
        self,
        dataset,
        batch_size: int = 64,
        smoothing: float = 0.5,
        max_samples: int = 16_384,
        seed: int = 0,
        target: Mapping[str, np.ndarray] | None = None,
        progress: bool | None = None,
        min_tokens: int = COUNT_TOKENS,
    ) -> dict[str, float]:
        """Match the mean predicted child-count distribution to the counts seen in `dataset`.

        Child counts are one token per parent among many field tokens, so a model with a good
        loss can still generate too few or too many children; the error compounds down the
        tree. Under teacher forcing we average the predicted distribution of each count slot,
        compare it with the real frequencies and store the log-ratio as a generation-time bias.
        Samples are read in a random order (with `seed`) until every count slot has `min_tokens`
        tokens (a count value held by 5 % of the parents is then estimated within ~7 %) or
        `max_samples` are read: the same estimate, without a forward pass over a whole large
        database (the cost: a forward pass a sample, about a third of a training step's per sample;
        on the CPU a small model read 16,384 TPC-H windows in 88 s; `TabularTrainer(model,
        calibrate_counts=False)` skips it).
        `target` ("table->child": a distribution over that count slot's tokens) is matched instead
        of the dataset's counts; the slots it leaves out get no bias (under DP: the preprocessor's
        noisy counts, matched on synthetic data, `_dp_counts`). It may name field slots too
        ("table.column": under DP a lookup key's released marginal), matched the same way.
        Returns, per count slot, the mean count predicted before calibration over the real one.
        `progress` as in `TabularTrainer.train`.
        """
        self.count_bias.zero_()
        slots = [s for s in self.preproc.slots if s.is_count or (target is not None and s.name in target)]
        pred, real = self.count_sums(dataset, batch_size, max_samples, seed, progress, min_tokens, slots=slots)
        device = pred.device
        ratios = {}
        for slot in slots:
            lo, hi = slot.offset, slot.offset + slot.preproc.n_tokens
            p, r = pred[lo:hi], real[lo:hi]
            name = slot.name
            if target is not None:
                if name not in target:
                    continue
                r = torch.as_tensor(np.asarray(target[name], dtype=np.float64), device=device)
                r = r + 1e-6 / len(r)  # a token the target leaves out stays possible, if barely
            if r.sum() == 0 or p.sum() == 0:
                continue
            p, r = p / p.sum(), (r + smoothing / len(r)) / (r.sum() + smoothing) if target is None else r / r.sum()
            self.count_bias[lo:hi] = (r.log() - p.clamp_min(1e-12).log()).float()
            if slot.is_count:
                k = torch.arange(hi - lo, dtype=torch.float64, device=device)
                ratios[name] = float((p * k).sum() / (r * k).sum().clamp_min(1e-12))
        return ratios

    @torch.no_grad()
    def count_sums(
        self,
        dataset,
        batch_size: int = 64,
        max_samples: int = 16_384,
        seed: int = 0,
        progress: bool | None = None,
        min_tokens: int | None = None,
        slots: Sequence | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Over the child-count tokens of `dataset` (or those of `slots`; samples in an order
        drawn with `seed`, at most `max_samples`, and no more once every such slot has `min_tokens`
        tokens), under teacher forcing and without `count_bias`: the sum of the model's predicted distributions and the
        tokens' counts, (vocab_size,) each (float64). `progress` as in `TabularTrainer.train`: a
        forward pass over up to 16,384 samples takes as long as many training steps, so it says so."""
        was_training = self.training
        self.eval()
        V = self.config.vocab_size
        device = self.head.weight.device
        pred = torch.zeros(V, dtype=torch.float64, device=device)
        real = torch.zeros(V, dtype=torch.float64, device=device)
        slots = [s for s in self.preproc.slots if s.is_count] if slots is None else slots
        chosen = {id(s) for s in slots}
        summed = torch.tensor([id(s) in chosen for s in self.preproc.slots], device=device)  # per slot
        samples = np.random.default_rng(seed).permutation(len(dataset))[:max_samples]  # a random part, any length
        ranges = [(s.offset, s.offset + s.preproc.n_tokens) for s in slots]
        with show_progress(len(samples), "calibrate counts", "samples", show=progress) as bar:
            for start in range(0, len(samples), batch_size):
                if min_tokens is not None and ranges and all(real[lo:hi].sum() >= min_tokens for lo, hi in ranges):
                    log.info("calibrate counts: %s samples held %s+ tokens of each count", start, min_tokens)
                    break
                batch = on_device(dataset.collate(np.sort(samples[start : start + batch_size])), self)
                logits, _ = self(batch)  # (scored positions, V)
                scored = batch["targets"] >= 0
                sel = summed[batch["slots"][scored]]
                if sel.any():
                    pred += torch.softmax(logits[sel], dim=-1).sum(0).double()
                    real += torch.bincount(batch["targets"][scored][sel], minlength=V).double()
                bar.update(len(samples[start : start + batch_size]))
        self.train(was_training)
        return pred, real

    # ---- generation ------------------------------------------------------------------------
    @torch.inference_mode()  # no autograd bookkeeping: ~10 % of a small decode step
    def generate(
        self,
        n_samples: int | None = None,
        *,
        ctx: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
        batch_size: int = 0,
        max_block_size: int | None = 0,
        temp: float = 1.0,
        seed: int | None = None,
        progress: bool | None = None,
        workers: int = 1,
    ) -> RelationalData:
        """Sample root entities with all their descendants: exactly one of `n_samples` and `ctx`.

        `ctx` holds the root-table context columns chosen at preproc time (`preproc.select_ctx`),
        as a DataFrame or aindo.rdml's `{root_table: DataFrame}`; one entity is generated per row, the root
        rows in their order with their values. `batch_size=0` and `max_block_size=0` are automatic;
        so is `max_block_size=None`, the `block_size` of a dataset built without one.
        `workers` > 1 splits the entities among that many forked processes of one thread each (CPU,
        Linux; at least one batch of entities each): on as many free cores, up to that many times
        faster (TPC-H sf 0.01: 1.7x with 2). The same seed and workers give the same data; another
        number of workers gives other data from the same model.
        The result passes `RelationalData` validation: fresh keys, consistent foreign keys.
        """
        warn_untrained(self, "TabularTrainer")
        return _generate.generate(self, n_samples, ctx, batch_size, max_block_size, temp, seed, progress, workers)

    @staticmethod
    def check_generate_options(
        n_samples: int | None = None,
        *,
        batch_size: int = 0,
        max_block_size: int | None = 0,
        temp: float = 1.0,
        seed: int | None = None,
        progress: bool | None = None,
        workers: int = 1,
    ) -> None:
        """Raise what `generate(**options)` would raise for these values, without a model or any
        work (a Kedro run checks its parameter groups before the first node)."""
        _generate.check_generate_args(n_samples, batch_size, max_block_size, temp, seed, workers)

    # ---- save / load -----------------------------------------------------------------------
    config_file = CONFIG_FILE  # what `save` writes: the mark of a saved model

    def save(self, path: str | Path) -> None:
        """`model.json`, safetensors weights and the preprocessor under `preproc/`, written atomically."""
        save_model_dir(
            path, kind=KIND, config_file=CONFIG_FILE, config=asdict(self.config), model=self, preproc=self.preproc
        )

    @classmethod
    def load(cls, path: str | Path) -> TabularModel:
        """The model `save` wrote at `path`, with its preprocessor, in eval mode; a missing, damaged
        or foreign file is an error naming it."""
        cfg = read_model_config(path, kind=KIND, config_file=CONFIG_FILE, config_cls=TabularModelConfig)
        return load_model_weights(cls(cfg, TabularPreproc.load(Path(path) / PREPROC_DIR)), path)


class _LSTMBody(nn.Module):
    """Multi-layer LSTM over the embeddings; `state` (h, c) carries over between generation steps."""

    def __init__(self, d: int, n_layers: int, dropout: float, dp: bool = False):
        super().__init__()
        self.lstm = _lstm(d, n_layers, dropout, dp)
        self.ln = nn.LayerNorm(d)

    def forward(self, x: Tensor, state: dict | None = None) -> Tensor:
        hc = None if state is None else state.get("hc")
        with torch.autocast(x.device.type, enabled=False):  # the recurrence in float32 under bf16 autocast too:
            out, hc = self.lstm(x.float(), hc)  # oneDNN has no bf16 LSTM on CPUs without native bf16
        if state is not None:
            state["hc"] = hc
        return self.ln(out)


def _lstm(d: int, n_layers: int, dropout: float, dp: bool) -> nn.Module:
    if dp:
        from opacus.layers import DPLSTM

        return DPLSTM(d, d, num_layers=n_layers, batch_first=True, dropout=dropout if n_layers > 1 else 0.0)
    return nn.LSTM(d, d, num_layers=n_layers, batch_first=True, dropout=dropout if n_layers > 1 else 0.0)


def _with_aliases(model: nn.Module, state: dict[str, Tensor]) -> dict[str, Tensor]:
    """`state` plus the other names `model` gives the same tensors (DPLSTM lists its weights twice)."""
    groups: dict[int, list[str]] = {}
    for k, v in model.state_dict().items():
        groups.setdefault(v.data_ptr(), []).append(k)
    for names in groups.values():
        present = [k for k in names if k in state]
        for k in names:
            if present and k not in state:
                state[k] = state[present[0]]
    return state

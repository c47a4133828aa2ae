"""TextModel: a small GPT-style language model that writes a table's text columns.

Token embedding (and an input-only embedding of the preproc's field tokens, ids from
`vocab_size` on) -> the shared causal `Transformer` (RoPE, pre-LN) -> LM head (tied to the
embedding by default). It reads `[bos] context [column marker]` and writes the text and `end`;
see `relsynth.synth.text.dataset` for the sequences and `relsynth.synth.text._generate` for
sampling.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from relsynth.relational import RelationalData
from relsynth.synth.core.files import (
    PREPROC_DIR,
    load_model_weights,
    read_model_config,
    save_model_dir,
    warn_untrained,
)
from relsynth.synth.core.transformer import ModelSize, Transformer, TransformerConfig, resolve_size
from relsynth.synth.text import _generate, _hf
from relsynth.synth.text.dataset import IGNORE
from relsynth.synth.text.preproc import TextPreproc

log = logging.getLogger(__name__)
CONFIG_FILE, KIND = "config.json", "TextModel"


TextModelSize = ModelSize  # one size class for both models

SIZES = {
    "small": ModelSize(n_layers=2, h=4, d=128),
    "medium": ModelSize(n_layers=4, h=8, d=256),
    "large": ModelSize(n_layers=6, h=8, d=384),
}


@dataclass
class TextModelConfig:
    vocab_size: int  # tokens of the preproc's tokenizer
    n_layers: int = 2  # transformer blocks
    h: int = 4  # attention heads
    d: int = 128  # width of the residual stream
    d_ff: int = 512  # MLP hidden width
    dropout: float = 0.0  # dropout in the blocks (training only)
    block_size: int = 256  # longest input window in tokens (context + text)
    tie_weights: bool = True  # the LM head shares the token embedding matrix
    kv_heads: int | None = None  # key/value heads shared by the query heads; None: h
    field_values: int = 0  # the preproc's field tokens (context values read as one token); 0 in older saves

    def transformer(self) -> TransformerConfig:
        return TransformerConfig(self.n_layers, self.h, self.d, self.d_ff, self.dropout, self.kv_heads)


class TextModel(nn.Module):
    """`TextModel.build(preproc, size="small", block_size=256)`; train with `TextTrainer`, then
    `generate(data)` fills the text columns of the preproc's table."""

    def __init__(self, config: TextModelConfig, preproc: TextPreproc):
        super().__init__()
        if not preproc.is_fitted:
            raise RuntimeError("the TextPreproc is not fitted: call preproc.fit(data) before building a TextModel")
        if preproc.vocab_size != config.vocab_size:
            raise ValueError(f"config.vocab_size={config.vocab_size} but the preproc has {preproc.vocab_size} tokens")
        if preproc.n_field_values != config.field_values:
            raise ValueError(
                f"config.field_values={config.field_values} but the preproc has {preproc.n_field_values} field tokens"
            )
        self.config = config
        self.preproc = preproc
        self.embed = nn.Embedding(config.vocab_size, config.d)
        self.field_embed = nn.Embedding(config.field_values, config.d) if config.field_values else None
        self.transformer = Transformer(config.transformer())
        self.head = nn.Linear(config.d, config.vocab_size, bias=False)
        if config.tie_weights:
            self.head.weight = self.embed.weight
        self.apply(_init_weights)
        self.last_generation: dict[str, dict[str, int]] = {}  # per column of the last generate: texts, truncated
        self.trained = False  # set by a training run, a load or pretrained weights; generate warns while False

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        preproc: TextPreproc,
        *,
        size: str | ModelSize = "small",
        block_size: int = 256,
        dropout: float = 0.1,
        tie_weights: bool = True,
    ) -> TextModel:
        """A fresh model for `preproc`; `size` is "small", "medium", "large" or a `ModelSize`."""
        s = resolve_size(size, SIZES, "text model")
        _check_block_size(block_size)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        config = TextModelConfig(
            vocab_size=preproc.vocab_size,
            n_layers=s.n_layers,
            h=s.h,
            d=s.d,
            d_ff=s.d_ff or 4 * s.d,
            dropout=dropout,
            block_size=block_size,
            tie_weights=tie_weights,
            kv_heads=s.kv_heads,
            field_values=preproc.n_field_values,
        )
        return cls(config, preproc)

    @classmethod
    def build_from_pretrained(
        cls, preproc: TextPreproc, path: str | Path, *, block_size: int | None = None
    ) -> TextModel:
        """Start from the TextModel saved at `path`, for (possibly another) `preproc`, or from a
        local Hugging Face GPT-2-family directory (`save_pretrained` output, tokenizer included;
        needs `pip install 'relsynth[hf]'`; nothing is downloaded).

        The transformer is copied. When the vocabularies differ, the embedding (and head) rows of
        tokens both tokenizers know are copied by token string; the others start fresh (from a
        Hugging Face model: the mean of the rows of their tokenization by its tokenizer).
        """
        if _hf.is_hf_dir(path):
            return cls._from_hf(preproc, path, block_size)
        old = cls.load(path)
        config = TextModelConfig(
            **{**asdict(old.config), "vocab_size": preproc.vocab_size, "field_values": preproc.n_field_values}
        )
        if block_size is not None:
            _check_block_size(block_size)
            config.block_size = block_size
        model = cls(config, preproc)
        state = {k: v for k, v in old.state_dict().items() if not k.startswith(("embed.", "head.", "field_embed."))}
        model.load_state_dict(state, strict=False)
        new_vocab, old_vocab = preproc.vocab(), old.preproc.vocab()
        pairs = [(i, old_vocab[t]) for t, i in new_vocab.items() if t in old_vocab]
        new_ids = torch.tensor([p[0] for p in pairs], dtype=torch.long)
        old_ids = torch.tensor([p[1] for p in pairs], dtype=torch.long)
        with torch.no_grad():
            model.embed.weight[new_ids] = old.embed.weight[old_ids]
            if not config.tie_weights:
                model.head.weight[new_ids] = old.head.weight[old_ids]
            field_pairs = _field_pairs(preproc, old.preproc)
            if field_pairs:
                new_fields, old_fields = (torch.tensor(ids, dtype=torch.long) for ids in zip(*field_pairs, strict=True))
                model.field_embed.weight[new_fields] = old.field_embed.weight[old_fields]
        log.info(
            "text model from %s: %d of %d tokens and %d of %d field tokens carried over",
            path,
            len(pairs),
            preproc.vocab_size,
            len(field_pairs),
            preproc.n_field_values,
        )
        model.trained = True  # a trained model's weights, to fine-tune or to generate from as they are
        return model

    @classmethod
    def _from_hf(cls, preproc: TextPreproc, path: str | Path, block_size: int | None) -> TextModel:
        hf, tokenizer = _hf.load_hf(path)
        c = hf.config
        block = block_size if block_size is not None else min(int(c.n_positions), 256)
        _check_block_size(block)
        config = TextModelConfig(
            vocab_size=preproc.vocab_size,
            n_layers=c.n_layer,
            h=c.n_head,
            d=c.n_embd,
            d_ff=c.n_inner or 4 * c.n_embd,
            dropout=0.1,
            block_size=block,
            tie_weights=True,
            field_values=preproc.n_field_values,
        )
        model = cls(config, preproc)
        _hf.copy_transformer(model, hf)
        exact = _hf.copy_embeddings(model, hf, tokenizer)
        log.info("text model from the Hugging Face model at %s: %d of %d tokens exact", path, exact, preproc.vocab_size)
        model.trained = True
        return model

    @property
    def max_block_size(self) -> int:
        """Longest input window (context + text) the model reads; generation slides past it."""
        return self.config.block_size

    @max_block_size.setter
    def max_block_size(self, value: int) -> None:
        _check_block_size(value)
        self.config.block_size = int(value)

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # ---- forward ---------------------------------------------------------------------------
    def embed_input(self, ids: Tensor) -> Tensor:
        """Embeddings of input ids: tokens, and field tokens (ids from vocab_size on) where the preproc has them."""
        if self.field_embed is None:
            return self.embed(ids)
        is_field = ids >= self.config.vocab_size
        tokens = self.embed(ids.masked_fill(is_field, 0))
        fields = self.field_embed((ids - self.config.vocab_size).clamp(min=0))
        return torch.where(is_field[..., None], fields, tokens)

    supports_packing = True  # batches may pack several windows per row (`TextDataset.collate(pack=True)`)

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """(logits, mean cross-entropy over the scored targets) of a `TextDataset` batch (packed or
        not). Logits are (B, T, V), except in training mode with targets: (N, V) at the N scored
        positions only (the head is not computed over the contexts)."""
        x, target = batch["input"], batch.get("target")
        B, T = x.shape
        if T > self.config.block_size:
            raise ValueError(
                f"a batch of {T} tokens is longer than the model's block_size={self.config.block_size}: build the "
                "TextDataset with the same block_size as the model"
            )
        device = self.embed.weight.device
        x = x.to(device)
        pos = batch.get("pos")
        pos = torch.arange(T, device=device).expand(B, T) if pos is None else pos.to(device)  # (B, T)
        seg = None if batch.get("segments") is None else batch["segments"].to(device)
        if target is None:
            return self.head(self.transformer(self.embed_input(x), pos, segments=seg)), torch.zeros((), device=device)
        target = target.to(device)
        if self.training:  # outputs and head only where a token is scored (contexts are most positions): (N, V)
            scored = target != IGNORE
            at, kept = scored_positions(scored)
            h = self.transformer(self.embed_input(x), pos, segments=seg, outputs=at)  # (B, S, d)
            logits = self.head(h[kept])  # (N, V), in the row-major order of target[scored]
            return logits, F.cross_entropy(logits, target[scored]) if len(logits) else logits.sum()
        logits = self.head(self.transformer(self.embed_input(x), pos, segments=seg))  # (B, T, V)
        loss = F.cross_entropy(logits.reshape(B * T, -1), target.reshape(B * T), ignore_index=IGNORE)
        return logits, loss

    # ---- generation ------------------------------------------------------------------------
    def generate(
        self,
        data: RelationalData,
        *,
        batch_size: int = 0,
        max_text_len: int = 0,
        temp: float = 1.0,
        top_p: float = 1.0,
        seed: int | None = None,
        spell_words: bool | Literal["replace", "auto"] = "auto",
        avoid: RelationalData | None = None,
    ) -> RelationalData:
        """A copy of `data` whose preproc table has every text column written by the model.

        Each text is sampled given its row's context; nulls appear at the rate seen at fit in rows
        holding the row's value of the column that best tells (`_nulls`: an answer has no title).
        `batch_size=0` picks one; `max_text_len=0` caps each text at the longest seen at fit
        (in tokens); `temp=0` is greedy; `top_p < 1` samples from the nucleus. Every text is
        valid UTF-8 with no control character its column never had. Words come from the word
        tokens only (real words, each used by >= `word_k` entities); `spell_words=True` lets the
        sub-word fallback also spell words the vocabulary lacks; `spell_words="replace"` lets it
        spell (so the texts take the shape the model learnt: a one-word name stays one word) and
        then swaps each spelled word for a word token of the same shape (case, length, digits),
        keeping a spelled word its row's context holds (a parent's name copied into a title);
        `"auto"` (the default) is "replace" for a column where most words were spelled at fit
        (names: Chinook's artist names 64 %, album titles 54 %) and False for the others (track
        names 36 %). Texts cut at `max_text_len`
        are counted in `self.last_generation[column]["truncated"]` (and logged).

        `avoid` (the training data): a text equal to one of that column's values there is sampled
        again (up to `COPY_RETRIES` times), so whole training values are not replayed: a text sampled
        again is never ended where it spells one while another token may follow, and its replaced words
        (`spell_words="replace"`) are drawn again while they write one; copies
        left are counted in `self.last_generation[column]["copies"]` (and logged); so is a text
        writing whole a string between spaces that fewer than `word_k` entities wrote there and the
        tokenizer cuts in pieces (an e-mail address, `ORD-123456`: each piece a common word token),
        those left counted in `["rare_words"]`. The values are read at the call only, never stored in the model. In a column whose values were all
        distinct at fit (codes: `stats.unique`), a text repeating another generated one is sampled
        again the same way; repeats left are counted in `["repeats"]` (and logged). A text sampled never
        empty whose every word was left out (each used by fewer than `word_k` entities, with no word of
        its shape to replace it: a table of a few rows whose every name is its own) is counted in
        `["emptied"]` (and logged). Where the vocabulary holds fewer than `MIN_SHAPE_WORDS` words of a
        spelled word's case (a dozen departments, whose only shared word is the cost centres' "CC"),
        replacing would write those few in every row: with `avoid`, a spelled word that copies no
        training word is kept, one that does is respelled from two of the column's words joined at a
        letter they share ("Reseance"), a new word no entity used (`_rare_words.NewSpellings`); the
        spelled words still written as one of those few (none could be made, or no `avoid`) are counted
        in `["few_words"]` (and logged).
        """
        warn_untrained(self, "TextTrainer")
        return _generate.generate(self, data, batch_size, max_text_len, temp, top_p, seed, spell_words, avoid)

    @staticmethod
    def check_generate_options(
        *,
        batch_size: int = 0,
        max_text_len: int = 0,
        temp: float = 1.0,
        top_p: float = 1.0,
        seed: int | None = None,
        spell_words: bool | Literal["replace", "auto"] = "auto",
    ) -> None:
        """Raise what `generate(data, **options)` would raise for these values, without a model or
        data (a Kedro run checks its parameter groups before the first node)."""
        _generate.check_generate_args(batch_size, max_text_len, temp, top_p, spell_words)

    # ---- files -----------------------------------------------------------------------------
    config_file = CONFIG_FILE  # what `save` writes: the mark of a saved model

    def save(self, path: str | Path) -> None:
        """Write `config.json`, `model.safetensors` and `preproc/` to the directory `path` (atomically)."""
        save_model_dir(
            path, kind=KIND, config_file=CONFIG_FILE, config=asdict(self.config), model=self, preproc=self.preproc
        )

    @classmethod
    def load(cls, path: str | Path) -> TextModel:
        """The model `save` wrote at `path`, with its preprocessor, in eval mode; a missing, damaged
        or foreign file is an error naming it."""
        config = read_model_config(path, kind=KIND, config_file=CONFIG_FILE, config_cls=TextModelConfig)
        return load_model_weights(cls(config, TextPreproc.load(Path(path) / PREPROC_DIR)), path)


def scored_positions(scored: Tensor) -> tuple[Tensor, Tensor]:
    """(at, kept) of a (B, T) boolean: `at` (B, S) the positions of each row's True entries, in
    order and left-aligned (S: the most in a row; other positions fill the rest), and `kept`
    (B, S) which of them are True ones, so `h[kept]` lists them in the row-major order of `scored`."""
    counts = scored.sum(1)
    at = torch.argsort((~scored).to(torch.int8), dim=1, stable=True)[:, : int(counts.max()) if len(counts) else 0]
    return at, torch.arange(at.shape[1], device=at.device) < counts[:, None]


def _field_pairs(new: TextPreproc, old: TextPreproc) -> list[tuple[int, int]]:
    """(new, old) field token index of each [label, value] both preprocs read as one token."""
    old_index = {tuple(fv): i for i, fv in enumerate(old.config.field_values[: old.n_field_values])}
    pairs = [(i, old_index.get(tuple(fv))) for i, fv in enumerate(new.config.field_values[: new.n_field_values])]
    return [(i, j) for i, j in pairs if j is not None]


def _check_block_size(block_size: int) -> None:
    if not isinstance(block_size, int) or block_size < 8:
        raise ValueError(f"block_size must be an integer >= 8, got {block_size!r}")


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear | nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)

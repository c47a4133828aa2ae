"""A TextModel started from a local Hugging Face GPT-2-family directory (optional `transformers`).

The directory holds what `save_pretrained` writes: `config.json` (model_type "gpt2"), the
weights and the tokenizer. Nothing is downloaded (`local_files_only`). The GPT-2 blocks map onto
the shared `Transformer` one to one (pre-LN, fused q/k/v, a 4d MLP; GPT-2's Conv1D weights are
transposed); GPT-2's learned absolute positions are dropped for the rotary ones, so a short
fine-tune re-learns them. The token embeddings use the HF tokenizer: a token of the preproc
whose byte string the GPT-2 vocabulary has takes its row; another (a word token, say) takes the
mean of the rows of its HF tokenization; special tokens start fresh.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import torch

from relsynth.synth.text.preproc import bytes_to_unicode

log = logging.getLogger(__name__)
SUPPORTED = ("gpt2",)


def is_hf_dir(path: str | Path) -> bool:
    """Whether `path` looks like a Hugging Face model directory (a config.json with a model_type)."""
    file = Path(path) / "config.json"
    if not file.is_file():
        return False
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(raw, dict) and "model_type" in raw and "kind" not in raw


def _transformers():
    try:
        import transformers
    except ImportError:
        raise ImportError(
            "starting a TextModel from a Hugging Face directory needs the optional transformers package: "
            "pip install 'relsynth[hf]'"
        ) from None
    return transformers


def load_hf(path: str | Path):
    """(model, tokenizer) of a local GPT-2-family directory, never downloading."""
    tf = _transformers()
    hf = tf.AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
    if hf.config.model_type not in SUPPORTED:
        raise ValueError(
            f"{path}: a {hf.config.model_type!r} model; build_from_pretrained supports the GPT-2 family {SUPPORTED}"
        )
    tokenizer = tf.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    return hf, tokenizer


def copy_transformer(model, hf) -> None:
    """GPT-2's blocks and final LayerNorm into `model.transformer` (Conv1D weights transposed)."""
    g = hf.transformer
    with torch.no_grad():
        for block, h in zip(model.transformer.blocks, g.h, strict=True):
            pairs = [
                (block.ln1, h.ln_1, False),
                (block.ln2, h.ln_2, False),
                (block.attn.qkv, h.attn.c_attn, True),
                (block.attn.proj, h.attn.c_proj, True),
                (block.mlp[0], h.mlp.c_fc, True),
                (block.mlp[2], h.mlp.c_proj, True),
            ]
            for ours, theirs, conv in pairs:
                ours.weight.copy_(theirs.weight.T if conv else theirs.weight)
                ours.bias.copy_(theirs.bias)
        model.transformer.ln_f.weight.copy_(g.ln_f.weight)
        model.transformer.ln_f.bias.copy_(g.ln_f.bias)


def copy_embeddings(model, hf, tokenizer) -> int:
    """Token rows from GPT-2's embedding (by byte string, else the mean over its tokenization); returns
    how many tokens were carried over exactly."""
    to_char = bytes_to_unicode()
    wte = hf.get_input_embeddings().weight
    vocab = tokenizer.get_vocab()
    exact = 0
    with torch.no_grad():
        for i, tb in enumerate(model.preproc.token_bytes()):
            if not tb:
                continue  # special tokens start fresh
            key = "".join(to_char[b] for b in tb)
            if key in vocab and vocab[key] < len(wte):
                model.embed.weight[i] = wte[vocab[key]]
                exact += 1
                continue
            try:
                ids = tokenizer(tb.decode("utf-8"), add_special_tokens=False)["input_ids"]
            except UnicodeDecodeError:
                continue
            ids = [t for t in ids if t < len(wte)]
            if ids:
                model.embed.weight[i] = wte[ids].mean(0)
    return exact

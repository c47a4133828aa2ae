"""TextModel.build_from_pretrained from a local Hugging Face GPT-2 directory, offline: a tiny
randomly initialised GPT-2 and a byte-level tokenizer that the test creates and saves itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from relsynth.synth.text import TextDataset, TextModel, TextTrainer
from relsynth.synth.text._hf import is_hf_dir

transformers = pytest.importorskip("transformers")
pytestmark = pytest.mark.slow  # importing transformers alone takes seconds


@pytest.fixture(scope="module")
def hf_dir(tmp_path_factory, songs):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    path = tmp_path_factory.mktemp("tiny-gpt2")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tok.train_from_iterator([str(t) for t in songs["song"]["title"].dropna()], trainer)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>")
    fast.save_pretrained(path)
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        n_layer=1, n_head=2, n_embd=32, vocab_size=tok.get_vocab_size(), n_positions=64, bos_token_id=0, eos_token_id=0
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(path)
    return path


def test_a_hf_gpt2_directory_starts_a_text_model(hf_dir, songs, song_preproc):
    assert is_hf_dir(hf_dir)
    model = TextModel.build_from_pretrained(song_preproc, hf_dir)
    hf = transformers.GPT2LMHeadModel.from_pretrained(hf_dir, local_files_only=True)
    assert (model.config.n_layers, model.config.h, model.config.d, model.config.block_size) == (1, 2, 32, 64)
    block, h = model.transformer.blocks[0], hf.transformer.h[0]
    assert torch.equal(block.attn.qkv.weight, h.attn.c_attn.weight.T)
    assert torch.equal(block.mlp[2].bias, h.mlp.c_proj.bias)
    vocab = transformers.AutoTokenizer.from_pretrained(hf_dir, local_files_only=True).get_vocab()
    shared = [(i, vocab[t]) for t, i in song_preproc.vocab().items() if t in vocab and i < song_preproc.n_bpe]
    i, j = shared[-1]
    assert torch.equal(model.embed.weight[i], hf.transformer.wte.weight[j])
    ds = TextDataset.from_data(songs, song_preproc, block_size=64)
    result = TextTrainer(model).train(ds, n_steps=3, batch_size=16, progress=False)
    assert np.isfinite(result.history[-1]["train_loss"])
    out = model.generate(songs, seed=0, max_text_len=8)
    assert not any("\ufffd" in t for t in out["song"]["title"].dropna())


def test_a_non_gpt2_directory_is_refused(tmp_path, song_preproc):
    config = transformers.LlamaConfig(
        hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, vocab_size=50
    )
    transformers.LlamaForCausalLM(config).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="GPT-2 family"):
        TextModel.build_from_pretrained(song_preproc, tmp_path)

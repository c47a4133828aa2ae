"""The shared causal transformer: the KV cache gives the same outputs as a full forward pass."""

from __future__ import annotations

import pytest
import torch

from relsynth.synth.core.transformer import (
    Attention,
    KVCache,
    ModelSize,
    Transformer,
    TransformerConfig,
    apply_rotary,
    head_dropout_mask,
    resolve_size,
    rotary,
)


@pytest.mark.parametrize("kv_heads", [None, 1])
def test_incremental_decoding_with_the_cache_equals_the_full_pass(kv_heads):
    torch.manual_seed(0)
    cfg = TransformerConfig(n_layers=2, h=2, d=16, d_ff=32, kv_heads=kv_heads)
    model = Transformer(cfg).eval()
    x = torch.randn(3, 7, 16)
    pos = torch.arange(7).expand(3, 7)
    full = model(x, pos)
    cache = KVCache(cfg, batch=3, capacity=8)
    steps = [model(x[:, :4], pos[:, :4], cache=cache)]
    for t in range(4, 7):
        steps.append(model(x[:, t : t + 1], pos[:, t : t + 1], cache=cache))
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kv_heads", [None, 1])
def test_a_decode_step_gives_the_forward_pass_numbers_and_cache(kv_heads):
    """`step` (generation's lean decode step) after a left-padded prefill: the outputs and cache of
    `forward` with one position, at positions beyond any table it kept before (1,000)."""
    torch.manual_seed(0)
    cfg = TransformerConfig(n_layers=2, h=4, d=16, d_ff=32, kv_heads=kv_heads)
    model = Transformer(cfg).eval()
    x, valid = torch.randn(2, 3, 16), torch.tensor([[False, True, True], [True, True, True]])
    pos = torch.tensor([[0, 0, 1], [0, 1, 2]])
    caches = [KVCache(cfg, batch=2, capacity=8) for _ in range(2)]
    for cache in caches:
        model(x, pos, cache=cache, valid=valid)
    for t, start in enumerate([3, 4, 998]):
        new, at = torch.randn(2, 16), torch.tensor([start - 1, start]) + 1
        full = model(new[:, None], at[:, None], cache=caches[0])[:, 0]
        torch.testing.assert_close(model.step(new, at, caches[1]), full, rtol=1e-5, atol=1e-5)
        assert caches[1].length == caches[0].length == 4 + t
    torch.testing.assert_close(caches[1].k[:, :, :, :6], caches[0].k[:, :, :, :6])
    torch.testing.assert_close(caches[1].v[:, :, :, :6], caches[0].v[:, :, :, :6])
    with pytest.raises(RuntimeError, match="eval"):
        model.train().step(torch.randn(2, 16), torch.tensor([6, 6]), caches[1])


@pytest.mark.parametrize("kv_heads", [None, 1])
def test_left_padding_does_not_change_a_rows_output(kv_heads):
    torch.manual_seed(0)
    cfg = TransformerConfig(n_layers=1, h=2, d=8, d_ff=16, kv_heads=kv_heads)
    model = Transformer(cfg).eval()
    x = torch.randn(1, 3, 8)
    alone = model(x, torch.arange(3)[None], cache=KVCache(cfg, 1, 4))
    padded_x = torch.cat([torch.zeros(1, 2, 8), x], dim=1)
    pos = torch.tensor([[0, 0, 0, 1, 2]])
    valid = torch.tensor([[False, False, True, True, True]])
    padded = model(padded_x, pos, cache=KVCache(cfg, 1, 6), valid=valid)
    torch.testing.assert_close(padded[:, 2:], alone, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kv_heads", [None, 1])
def test_a_cleared_cache_decodes_like_a_new_one(kv_heads):
    """Generation restarts a full cache in place (`clear`): left-padded prefill and padded decode steps
    must not see what the previous round left in the buffers, whatever it was (NaN included)."""
    torch.manual_seed(0)
    cfg = TransformerConfig(n_layers=2, h=2, d=16, d_ff=32, kv_heads=kv_heads)
    model = Transformer(cfg).eval()
    used = KVCache(cfg, batch=2, capacity=8)
    model(torch.randn(2, 8, 16) * 50, torch.arange(8).expand(2, 8), cache=used)  # fill it with other keys
    used.clear()
    x, valid = torch.randn(2, 3, 16), torch.tensor([[False, True, True], [True, True, True]])
    pos = torch.tensor([[0, 0, 1], [0, 1, 2]])
    poisoned = KVCache(cfg, batch=2, capacity=8)  # slots never written may hold anything, NaN included
    poisoned.k.fill_(float("nan")), poisoned.v.fill_(float("nan"))
    outs = []
    for cache in (used, poisoned, KVCache(cfg, batch=2, capacity=8)):
        steps = [model(x, pos, cache=cache, valid=valid)[:, 1:]]
        for t in range(2):
            steps.append(
                model(
                    torch.randn(2, 1, 16, generator=torch.Generator().manual_seed(t)), pos[:, -1:] + 1 + t, cache=cache
                )
            )
        outs.append(torch.cat(steps, dim=1))
    torch.testing.assert_close(outs[0], outs[2], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(outs[1], outs[2], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kv_heads", [None, 1])
def test_last_only_prefill_gives_the_last_output_and_the_same_cache(kv_heads):
    """Prefill with `last_only`: the last position's output as the full pass gives it, and a cache
    from which the next step decodes exactly as after a full prefill (left padding included)."""
    torch.manual_seed(0)
    cfg = TransformerConfig(n_layers=2, h=2, d=16, d_ff=32, kv_heads=kv_heads)
    model = Transformer(cfg).eval()
    x, nxt = torch.randn(2, 5, 16), torch.randn(2, 1, 16)
    pos = torch.tensor([[0, 0, 0, 1, 2], [0, 1, 2, 3, 4]])
    valid = torch.tensor([[False, False, True, True, True], [True] * 5])
    full_cache, last_cache = KVCache(cfg, 2, 8), KVCache(cfg, 2, 8)
    full = model(x, pos, cache=full_cache, valid=valid)
    last = model(x, pos, cache=last_cache, valid=valid, last_only=True)
    assert last.shape == (2, 1, 16)
    torch.testing.assert_close(last, full[:, -1:], rtol=1e-5, atol=1e-5)
    step = [model(nxt, pos[:, -1:] + 1, cache=c) for c in (full_cache, last_cache)]
    torch.testing.assert_close(step[0], step[1], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(model(x, pos, last_only=True), model(x, pos)[:, -1:], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="last_only or outputs"):
        model(x, pos, last_only=True, outputs=torch.zeros(2, 1, dtype=torch.long))


@pytest.mark.parametrize("packed", [False, True])
def test_outputs_at_chosen_positions_are_the_full_pass_outputs_there(packed):
    """`outputs` (training a text model scores its text tokens only): the last block's queries at
    those positions alone give the full pass's outputs there, causal or within packed segments,
    with rows that want different numbers of positions."""
    torch.manual_seed(0)
    model = Transformer(TransformerConfig(n_layers=2, h=2, d=16, d_ff=32)).eval()
    x = torch.randn(2, 7, 16)
    segments = torch.tensor([[0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, -1, -1]]) if packed else None
    pos = torch.tensor([[0, 1, 2, 0, 1, 2, 3], [0, 1, 2, 3, 4, 0, 1]]) if packed else torch.arange(7).expand(2, 7)
    at = torch.tensor([[1, 2, 5, 6], [3, 4, 4, 4]])  # row 1 wants two positions (the rest repeats one)
    full = model(x, pos, segments=segments)
    picked = model(x, pos, segments=segments, outputs=at)
    assert picked.shape == (2, 4, 16)
    torch.testing.assert_close(picked, full.gather(1, at[..., None].expand(-1, -1, 16)), rtol=1e-5, atol=1e-5)


def test_shared_key_value_heads_attend_as_copied_heads():
    """kv_heads=2 of h=4: query heads 0-1 read key/value head 0 and heads 2-3 head 1, in training
    and in a cached decode step alike: the same numbers as four heads whose keys and
    values are those two copied."""
    torch.manual_seed(0)
    gqa = Attention(TransformerConfig(n_layers=1, h=4, d=16, d_ff=32, kv_heads=2)).eval()
    mha = Attention(TransformerConfig(n_layers=1, h=4, d=16, d_ff=32)).eval()
    assert gqa.qkv.out_features == 16 + 2 * 2 * 4  # queries, then 2 key and 2 value heads of 4
    w, b = gqa.qkv.weight.data.view(8, 4, 16), gqa.qkv.bias.data.view(8, 4)
    copied = torch.tensor([0, 1, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7])  # q heads; k head 0,0,1,1; v head 0,0,1,1
    mha.qkv.weight.data, mha.qkv.bias.data = w[copied].reshape(48, 16), b[copied].reshape(48)
    mha.proj.load_state_dict(gqa.proj.state_dict())
    x, pos = torch.randn(2, 6, 16), torch.arange(6).expand(2, 6)
    rot = rotary(pos, 4)
    torch.testing.assert_close(gqa(x, rot, None, 0, None), mha(x, rot, None, 0, None), rtol=1e-5, atol=1e-5)
    cache = KVCache(TransformerConfig(n_layers=1, h=4, d=16, d_ff=32, kv_heads=2), batch=2, capacity=8)
    cache.valid[:, :6] = True
    gqa(x[:, :5], rot[:, :, :5], cache, 0, torch.ones(5, 5, dtype=torch.bool).tril())  # prefill, causal
    cache.length = 5
    assert cache.k.shape == (1, 2, 2, 8, 4)  # the cache holds the shared heads only
    step = gqa(x[:, 5:], rot[:, :, 5:], cache, 0, None)  # the decode path: one query per head group
    torch.testing.assert_close(step, mha(x, rot, None, 0, None)[:, 5:], rtol=1e-5, atol=1e-5)


def test_sizes_are_frozen_keyword_only_and_checked():
    size = ModelSize(n_layers=1, h=2, d=16)
    with pytest.raises(AttributeError):
        size.d = 32  # a preset handed out cannot be changed for everyone
    with pytest.raises(TypeError):
        ModelSize(1, 2, 16)  # keyword-only: no silent swap of h and d
    with pytest.raises(ValueError, match="heads of even size"):
        ModelSize(n_layers=1, h=3, d=16)
    with pytest.raises(ValueError, match="n_layers must be a positive integer"):
        ModelSize(n_layers=0, h=2, d=16)
    with pytest.raises(ValueError, match="multiple of kv_heads=3"):
        ModelSize(n_layers=1, h=4, d=16, kv_heads=3)
    with pytest.raises(ValueError, match="kv_heads must be a positive integer"):
        ModelSize(n_layers=1, h=4, d=16, kv_heads=0)
    presets = {"small": size}
    assert resolve_size("small", presets, "x") is size and resolve_size(size, presets, "x") is size
    with pytest.raises(ValueError, match="unknown x size 'big'"):
        resolve_size("big", presets, "x")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_rotary_turns_each_pair_by_its_position_angle(dtype):
    """Pairs (x[2j], x[2j+1]) turn by pos * base^(-2j/hd): the numbers saved models were trained with."""
    B, H, T, hd = 2, 3, 5, 8
    x = torch.randn(B, T, 3, H, hd).permute(2, 0, 3, 1, 4)[1].to(dtype)  # a strided view, as k is in attention
    pos = torch.randint(0, 300, (B, T))
    theta = pos.double()[:, None, :, None] * 10_000.0 ** (-torch.arange(0, hd, 2).double() / hd)
    x1, x2 = x[..., 0::2].double(), x[..., 1::2].double()
    expected = torch.stack((x1 * theta.cos() - x2 * theta.sin(), x1 * theta.sin() + x2 * theta.cos()), -1).flatten(-2)
    out = apply_rotary(x, rotary(pos, hd))
    assert out.dtype == dtype and out.shape == x.shape
    tol = 1e-2 if dtype == torch.bfloat16 else 1e-5
    torch.testing.assert_close(out.double(), expected, rtol=tol, atol=tol)


def test_dropout_drops_whole_head_outputs_in_training_only():
    torch.manual_seed(0)
    mask = head_dropout_mask(64, 4, 32, 0.25, torch.device("cpu"))
    assert mask.shape == (64, 4, 32, 1)
    assert torch.equal(mask.unique(), torch.tensor([0.0, 4 / 3]))  # dropped, or kept and scaled by 1 / (1 - p)
    assert abs(float((mask == 0).float().mean()) - 0.25) < 0.03
    attention = Attention(TransformerConfig(n_layers=1, h=2, d=16, d_ff=32, dropout=0.5))
    x, rot = torch.randn(3, 10, 16), rotary(torch.arange(10).expand(3, 10), 8)
    attention.train()
    assert not torch.allclose(attention(x, rot, None, 0, None), attention(x, rot, None, 0, None))  # regularised
    attention.eval()
    assert torch.equal(attention(x, rot, None, 0, None), attention(x, rot, None, 0, None))


def test_step_weights_taken_once_give_the_steps_numbers_and_follow_weights_changed_in_place():
    """Generation takes the tensors a decode step reads once (`step_weights`): the same numbers as
    reading them through the modules each step, bit for bit, and still the same after the weights
    change in place (a further training epoch, `load_state_dict`), as they are the modules' own."""
    torch.manual_seed(0)
    cfg = TransformerConfig(n_layers=2, h=4, d=16, d_ff=32, kv_heads=1)
    model = Transformer(cfg).eval()
    weights = model.step_weights()
    caches = [KVCache(cfg, batch=3, capacity=8) for _ in range(2)]
    for t in range(5):
        if t == 3:
            with torch.no_grad():
                model.load_state_dict(Transformer(cfg).state_dict())  # other weights, copied in place
        x, pos = torch.randn(3, 16), torch.full((3,), t)
        assert torch.equal(model.step(x, pos, caches[0], weights), model.step(x, pos, caches[1]))
    assert torch.equal(caches[0].k, caches[1].k) and torch.equal(caches[0].v, caches[1].v)

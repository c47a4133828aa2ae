"""The one token sampler of both models, and left-padded prompts."""

from __future__ import annotations

import pytest
import torch

from relsynth.synth.core import sampling
from relsynth.synth.core.sampling import left_pad, nucleus, sample_tokens


def _draws(logits: torch.Tensor, n: int = 4000, **kw) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    return sample_tokens(logits.expand(n, -1), gen, **kw)


def test_sampling_follows_the_softmax():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))
    freq = torch.bincount(_draws(logits), minlength=3) / 4000
    assert torch.allclose(freq, torch.tensor([0.5, 0.3, 0.2]), atol=0.03)


def test_temperature_sharpens_and_zero_is_greedy():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.2]]))
    cold = torch.bincount(_draws(logits, temp=0.3), minlength=3) / 4000
    assert cold[0] > 0.75
    assert (_draws(logits, n=10, temp=0) == 0).all()


def test_top_p_keeps_the_nucleus_only_and_always_the_best_token():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert set(_draws(logits, top_p=0.7).tolist()) == {0, 1}
    assert set(_draws(logits, top_p=0.01).tolist()) == {0}
    kept = nucleus(torch.softmax(logits, -1), 0.7)
    assert (kept[0, 2:] == 0).all() and (kept[0, :2] > 0).all()


@pytest.mark.parametrize("top_p", [0.3, 0.9, 0.99])
def test_the_nucleus_is_the_most_likely_tokens_up_to_top_p(top_p):
    """Checked against the definition: sort, keep the tokens whose more likely tokens hold <= top_p."""
    logits = torch.randn(300, 700, generator=torch.Generator().manual_seed(1)) * 3
    logits[:, ::7] = float("-inf")  # masked tokens never come back
    p = torch.softmax(logits, -1)
    desc, order = p.sort(-1, descending=True)
    inside = torch.zeros_like(p, dtype=torch.bool).scatter(-1, order, desc.cumsum(-1) - desc <= top_p)
    assert torch.equal(nucleus(p, top_p) > 0, inside)
    assert torch.equal(nucleus(p, top_p)[inside], p[inside])


def test_disallowed_tokens_are_never_drawn_and_a_seed_repeats():
    logits = torch.zeros(1, 5)
    logits[0, [1, 3]] = float("-inf")
    draws = _draws(logits)
    assert not set(draws.tolist()) & {1, 3}
    assert torch.equal(draws, _draws(logits))


def test_left_pad_right_aligns_rows():
    x, valid = left_pad([[1, 2, 3], [4], []], pad=0)
    assert x.tolist() == [[1, 2, 3], [0, 0, 4], [0, 0, 0]]
    assert valid.tolist() == [[True] * 3, [False, False, True], [False] * 3]
    x, _ = left_pad([[7]], pad=9, width=3)
    assert x.tolist() == [[9, 9, 7]]


@pytest.mark.parametrize("top_p", [1.0, 0.9])
def test_a_row_that_allows_no_token_is_an_error_not_a_silent_token(top_p):
    logits = torch.zeros(2, 4)
    logits[1] = float("-inf")
    with pytest.raises(ValueError, match="allows no token"):
        sample_tokens(logits, torch.Generator(), top_p=top_p)


def test_a_draw_at_the_top_of_the_distribution_never_lands_on_a_disallowed_token(monkeypatch):
    logits = torch.zeros(2, 6)
    logits[:, [0, 4, 5]] = float("-inf")  # allowed: 1, 2, 3
    assert set(_draws(logits[:1], n=20000).tolist()) == {1, 2, 3}
    ones = lambda *shape, **kw: torch.full(shape, 1 - 1e-12, dtype=kw.get("dtype"))  # noqa: E731
    monkeypatch.setattr(sampling.torch, "rand", ones)  # u * total rounds to the last cdf value
    gen = torch.Generator()
    assert set(sample_tokens(logits, gen).tolist()) <= {1, 2, 3}
    assert set(sample_tokens(logits, gen, top_p=0.5).tolist()) <= {1, 2, 3}


def test_draws_follow_the_nucleus_distribution():
    """200k draws over a 50-token distribution cut at top_p=0.9: frequencies match the renormalised nucleus."""
    logits = torch.randn(1, 50, generator=torch.Generator().manual_seed(3)) * 2
    q = nucleus(torch.softmax(logits, -1), 0.9)[0]
    freq = torch.bincount(_draws(logits, n=200_000, top_p=0.9), minlength=50) / 200_000
    assert (freq[q == 0] == 0).all()
    assert 0.5 * (freq - q / q.sum()).abs().sum() < 0.01  # total variation

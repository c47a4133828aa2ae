"""Tokens that only a parent's last row takes, drawn there at the data's share: a copy's open
rental (`<missing>` return date, `_last_nulls`), a subscription's `active` status (`_edge_labels`).

Generation bans such a token before the last row, as the child counts tell which row is the last,
but the model learned its probability over every row, most of them not last, where it never
appears: left as drawn in the last row, it fell short (19-22 % of generated users' last
subscription open for the data's 51 %; `active` on 89-96 of 300 generated last subscriptions for
189 of 300). In a last row the model's probability of each such token is scaled so that the last
rows drawn so far, these included, hold it in the data's share (the rows another rule decided
counted as they went, and what a row's probabilities cut to 1 lost made up), so rows the model finds likelier
to hold it stay likelier; where the model does tell last rows, the scale is near 1. Not fitted
under DP (neither rule is).
"""

from __future__ import annotations

import numpy as np


class LastRowShares:
    """`groups`: per group, the tokens (k,) only a last row takes at one header position and the
    data's share of last rows holding each (k,); `at`: table -> header position -> group."""

    def __init__(self, groups: list[tuple[np.ndarray, np.ndarray]], at: dict[str, dict[int, int]]):
        self.groups, self.at = groups, at
        self.held = [np.zeros(len(t)) for t, _ in groups]  # expected last rows holding each token so far
        self.rows = [0] * len(groups)

    def decide(
        self, g: int, p: np.ndarray, free: np.ndarray, forced: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Per last row of group `g` (`p`: (n, k) the model's probabilities of its tokens; `free`:
        no other rule decided the row; `forced`: the token one forced, -1: none), the token it takes
        (-1: none of the group's, and in every row that is not free). Each token's odds are scaled,
        alike in every row (`_odds_scales`), so that the rows so far are expected to hold it in the
        data's share, the rows other rules gave it counted: a row the model is sure of stays sure."""
        tokens, targets = self.groups[g]
        p = np.where(free[:, None], p, 0.0)
        self.rows[g] += len(p)
        self.held[g] += (forced[:, None] == tokens[None, :]).sum(0)
        wanted = np.maximum(targets * self.rows[g] - self.held[g], 0.0)
        q = _scaled(p, _odds_scales(p, wanted))
        self.held[g] += q.sum(0)
        pick = (rng.random(len(p))[:, None] >= np.cumsum(q, 1)).sum(1)  # k: none of them
        return np.where(free & (pick < len(tokens)), tokens[np.minimum(pick, len(tokens) - 1)], -1)


def _scaled(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(n, k) the probabilities `p` of k tokens with their odds against the row's other tokens
    scaled by `c` (k,): a logit bias of log c."""
    up = p * c
    return up / np.maximum(up.sum(1, keepdims=True) + 1.0 - p.sum(1, keepdims=True), 1e-12)


def _odds_scales(p: np.ndarray, wanted: np.ndarray, rounds: int = 8) -> np.ndarray:
    """Scales (k,) that give the rows `p` (n, k) about `wanted` (k,) of each token in sum, found
    token by token on a log scale (bisection, from 1e-4 to 1e4), a few rounds."""
    c = np.ones(p.shape[1])
    for _ in range(rounds):
        for t in range(p.shape[1]):
            if p[:, t].sum() <= 0:
                continue
            lo, hi = -4.0, 4.0
            for _ in range(30):
                c[t] = 10.0 ** ((lo + hi) / 2)
                if _scaled(p, c)[:, t].sum() < wanted[t]:
                    lo = (lo + hi) / 2
                else:
                    hi = (lo + hi) / 2
            c[t] = 10.0 ** ((lo + hi) / 2)
    return c


def last_row_shares(pre, null_rules: list[dict], edge_rules: list[dict]) -> LastRowShares:
    """The groups of `_last_nulls`' rules holding a `share` and `_edge_labels`' holding
    `last_shares` (none in older models), one per header position."""
    found: dict[tuple[str, int], dict[int, float]] = {}
    for r in null_rules:
        layout = pre.layouts.get(r["table"])
        if "share" in r and layout is not None and r["column"] in layout.fields:
            j = layout.fields.index(r["column"])
            found.setdefault((r["table"], j), {})[pre.slots[layout.slots[j]].offset] = float(r["share"])
    for r in edge_rules:
        if not r.get("last_shares") or (labels := pre.label_tokens(r["table"], r["column"])) is None:
            continue
        j, ids = labels
        for label, share in r["last_shares"].items():
            if str(label) in ids:
                found.setdefault((r["table"], j), {})[ids[str(label)]] = float(share)
    groups, at = [], {}
    for (table, j), shares in found.items():
        at.setdefault(table, {})[j] = len(groups)
        groups.append((np.asarray(list(shares), dtype=np.int64), np.asarray(list(shares.values()), dtype=np.float64)))
    return LastRowShares(groups, at)

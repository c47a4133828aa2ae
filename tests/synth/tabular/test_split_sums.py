"""Split sums: a claim's approved amount, paid in parts; an approved claim not yet paid has none."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularPreproc
from relsynth.synth.tabular._split_sums import split_units


def claims(n: int = 200, seed: int = 0, signed: bool = False, partly: bool = False) -> RelationalData:
    """claims -> payments: a paid claim's 1 to 3 payments add up to its approved amount (cents), at
    most its claimed amount; an approved one has none yet (`partly`: all but the last of its 2 to 4),
    an open one no approved amount."""
    rng = np.random.default_rng(seed)
    claim, payment = [], []
    for c in range(n):
        claimed = round(float(rng.uniform(100, 5000)), 2)
        status = str(rng.choice(["OPEN", "APPROVED", "PAID"], p=[0.2, 0.3, 0.5]))
        approved = round(claimed * float(rng.uniform(0.5, 1.0)), 2) if status != "OPEN" else np.nan
        claim.append((c, claimed, status, approved))
        if status == "PAID" or (partly and status == "APPROVED"):
            cents = int(round(approved * 100))
            k = int(rng.integers(1, 4)) + (status == "APPROVED")
            cuts = np.sort(rng.choice(np.arange(1, cents), k - 1, replace=False))
            for part in (np.diff(np.concatenate([[0], cuts, [cents]])) / 100)[: k - (status == "APPROVED")]:
                payment.append((len(payment), c, -part if signed and rng.random() < 0.1 else part))
    schema = Schema(
        claim=Table(id=PrimaryKey(), claimed=Numeric(), status=Categorical(), approved=Numeric()),
        payment=Table(id=PrimaryKey(), claim=ForeignKey(parent="claim"), amount=Numeric()),
    )
    frames = {
        "claim": pd.DataFrame(claim, columns=["id", "claimed", "status", "approved"]),
        "payment": pd.DataFrame(payment, columns=["id", "claim", "amount"]),
    }
    return RelationalData(frames, schema)


def _paid_in_full(tables: dict[str, pd.DataFrame]) -> float:
    """The share of claims with payments whose payments add up to their approved amount, to the cent."""
    sums = tables["payment"].groupby("claim")["amount"].sum()
    approved = tables["claim"].set_index("id")["approved"].reindex(sums.index)
    return float(((sums - approved).abs() < 0.005).mean())


def test_a_claims_payments_add_up_to_its_approved_amount():
    """Payments drawn in bins, one after the other: 27 % of 112 decoded paid claims added up (20 % of
    those of a model trained on an insurance database). Scaled to their claim's approved amount, every one does, in cents, each still
    positive and at most the claim's approved amount, which stays at most its claimed amount."""
    data = claims()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["split_sums"] == [
        {"table": "claim", "column": "approved", "child": "payment", "fk": "claim", "of": "amount", "decimals": 2}
        | {"by": None, "full": None}
    ]
    back = pre.inverse_transform(pre.transform(data), seed=0)
    assert _paid_in_full(back) == 1.0
    amount = back["payment"]["amount"]
    assert (amount == amount.round(2)).all() and (amount >= 0).all()
    claim = back["claim"].set_index("id")
    assert (amount.to_numpy() <= claim.loc[back["payment"]["claim"], "approved"].to_numpy() + 1e-9).all()
    assert (claim["approved"].dropna() <= claim.loc[claim["approved"].notna(), "claimed"]).all()


def test_a_claim_partly_paid_stays_within_its_approved_amount():
    """An approved claim paid in part so far: its payments add up to less. Paid claims' payments
    add up (29 % of 116 decoded ones before), and no claim's pass its approved amount (29 % of 162 did)."""
    data = claims(partly=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["by"], r["full"]) for r in pre.stats["split_sums"]] == [("status", ["PAID"])]
    assert 0.3 < pre.stats["split_sums"][0]["short"] < 0.9
    back = pre.inverse_transform(pre.transform(data), seed=0)
    sums = back["payment"].groupby("claim")["amount"].sum()
    claim = back["claim"].set_index("id").loc[sums.index]
    assert ((sums - claim["approved"]).abs() < 0.005)[claim["status"] == "PAID"].all()
    assert (sums <= claim["approved"] + 0.005).all()
    assert ((sums - claim["approved"]).abs() > 0.005)[claim["status"] == "APPROVED"].all()  # still partly paid


def test_signed_parts_or_a_dp_fit_split_nothing():
    """A refund among the payments is no share of a whole; a DP fit reads no rule from many rows."""
    signed = claims(signed=True)
    assert TabularPreproc.from_schema(signed.schema).fit(signed).stats["split_sums"] == []
    data = claims()
    dp = DpBudget(epsilon=3.0, delta=1e-5)
    assert not TabularPreproc.from_schema(data.schema).fit(data, dp=dp).stats.get("split_sums")


def test_units_split_by_shares_and_the_largest_remainders():
    """10.00 split 1:1:1 is 3.34, 3.33, 3.33; nothing written splits equally; the total is kept exactly."""
    x = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 5.0])
    total = np.array([10.0, 10.0, 10.0, 7.0, 7.0, 2.5])
    got = split_units(x, total, np.array([0, 0, 0, 1, 1, 2]), 2)
    assert got.tolist() == [3.34, 3.33, 3.33, 3.5, 3.5, 2.5]

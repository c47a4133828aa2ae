"""Child counts a number of the parent row caps: a prescription's fills, at most its refills + 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc


def prescriptions(n: int = 200, seed: int = 0, capped: bool = True) -> RelationalData:
    """prescriptions with refills 0-5 -> 1 to refills + 1 fills (`capped`), else 1 to 6 whatever the refills."""
    rng = np.random.default_rng(seed)
    refills = rng.integers(0, 6, n)
    counts = rng.integers(1, refills + 2) if capped else rng.integers(1, 7, n)
    rx = pd.DataFrame({"id": range(1, n + 1), "refills": refills})
    fills = pd.DataFrame({"rx": np.repeat(rx["id"], counts), "amount": rng.integers(5, 50, int(counts.sum()))})
    fills.insert(0, "id", range(1, len(fills) + 1))
    schema = Schema(
        prescriptions=Table(id=PrimaryKey(), refills=Integer()),
        fills=Table(id=PrimaryKey(), rx=ForeignKey("prescriptions"), amount=Integer()),
    )
    return RelationalData({"prescriptions": rx, "fills": fills}, schema)


def within_cap(synth: RelationalData) -> float:
    counts = synth["fills"].groupby("rx").size().reindex(synth["prescriptions"]["id"], fill_value=0)
    return float((counts.to_numpy() <= synth["prescriptions"]["refills"].to_numpy() + 1).mean())


def test_fills_never_pass_their_prescriptions_refills():
    data = prescriptions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["count_caps"] == [{"table": "fills", "parent": "prescriptions", "number": "refills", "extra": 1}]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")  # untrained: counts drawn whatever the refills
    kept = model.generate(200, seed=0)
    pre.stats["count_caps"] = []
    unkept = model.generate(200, seed=0)
    assert within_cap(unkept) < 0.9 and within_cap(kept) == 1.0, (within_cap(unkept), within_cap(kept))
    assert len(kept["fills"]) > 200 and kept["fills"]["rx"].isin(kept["prescriptions"]["id"]).all()


def test_counts_the_number_does_not_cap_fit_no_rule():
    data = prescriptions(capped=False)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["count_caps"] == []

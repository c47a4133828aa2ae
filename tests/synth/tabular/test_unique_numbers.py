"""Numbers no two rows of a table share (`rules/unique_numbers.py`): a chart of accounts' codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularPreproc


def chart(seed: int = 0, n_types: int = 5) -> RelationalData:
    """~150 accounts, each type's codes in its thousands on a step of 10 (1000, 1100, 1110 ...), all
    distinct, beside a balance in cents (distinct too, by chance alone)."""
    rng = np.random.default_rng(seed)
    codes, types = [], []
    for t in range(n_types):
        picked = np.sort(rng.choice(np.arange(100), 30, replace=False))
        codes += [(t + 1) * 1000 + 10 * k for k in picked]
        types += [f"type{t}"] * 30
    n = len(codes)
    accounts = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "code": codes,
            "type": types,
            "balance": np.round(rng.uniform(0, 1e6, n), 2),
        }
    )
    schema = Schema(accounts=Table(id=PrimaryKey(), code=Integer(), type=Categorical(), balance=Numeric()))
    return RelationalData({"accounts": accounts}, schema)


def test_account_codes_never_repeat():
    """150 distinct codes on a step of 10, each type's in its thousands: drawn in their bins, 25 to 35
    generated codes repeated another (seeds 0-2); the fit keeps the codes unique, a repeat moved to
    the nearest free code on their step, as many as before outside their type's range (those the
    bins drew there). The balances, distinct by chance, are left alone."""
    data = chart()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = pre.stats["unique_numbers"]
    assert [r["column"] for r in rules] == ["code"]
    real = data["accounts"]
    low, high = real.groupby("type")["code"].min(), real.groupby("type")["code"].max()

    def generated(seed: int, kept: bool) -> pd.DataFrame:
        pre.stats["unique_numbers"] = rules if kept else []
        return pre.inverse_transform(pre.transform(data), seed=seed)["accounts"]

    for seed in range(3):
        out, before = generated(seed, True), generated(seed, False)
        assert out["code"].is_unique and before["code"].duplicated().sum() >= 20, seed
        assert (out["code"] % 10 == 0).all() and out["code"].between(1000, 5990).all()
        outside = [(~t["code"].between(t["type"].map(low), t["type"].map(high))).sum() for t in (out, before)]
        assert outside[0] <= outside[1], seed
        assert out["balance"].equals(before["balance"])


def test_a_moved_code_stays_in_its_category_range():
    """Where category_ranges keeps the codes in their type's range, a repeat moves within it: the
    nearest free code of the range, not the nearest of the column."""
    from relsynth.synth.tabular.rules.unique_numbers import keep_unique_numbers

    rule = {"table": "a", "column": "code", "grid": 10.0, "decimals": 0, "low": 1000.0, "high": 2990.0}
    rule |= {"by": "type", "ranges": {"x": [1000.0, 1990.0], "y": [2000.0, 2990.0]}}
    out = {"a": pd.DataFrame({"code": pd.array([1990, 1990, 2000, 2000], dtype="Int64"), "type": ["x", "x", "y", "y"]})}
    keep_unique_numbers([rule], out)
    assert out["a"]["code"].tolist() == [1990, 1980, 2000, 2010]


def test_numbers_distinct_by_chance_or_few_are_not_kept_unique():
    """Codes spread over a range wide enough that drawing them would rarely repeat one, a table of
    fewer than MIN_ROWS rows, or a DP fit: no rule."""
    data = chart()
    wide = data["accounts"].assign(code=data["accounts"]["code"] * 1000 + np.arange(len(data["accounts"])) % 7)
    for frame in (wide, data["accounts"].head(40)):
        pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({"accounts": frame}, data.schema))
        assert pre.stats["unique_numbers"] == []
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=10.0, delta=1e-5))
    assert not pre.stats.get("unique_numbers")

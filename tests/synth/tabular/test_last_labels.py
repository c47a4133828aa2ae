"""Labels of a row that its last child row holds: an order's status is its last event's type; drawn
before the events, 8 of 143 orders of a briefly trained model had another status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import (  # fmt: skip
    Categorical,
    Datetime,
    ForeignKey,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import DpBudget, TabularModel, TabularPreproc

PATHS = [["created", "paid", "shipped", "delivered"], ["created", "cancelled"], ["created", "paid", "refunded"]]


def shop(n: int = 300, seed: int = 0, status: bool = True) -> RelationalData:
    """orders (status: the last event's type, or at random) -> events (type, at), events stored newest first."""
    rng = np.random.default_rng(seed)
    paths = [PATHS[int(rng.choice(3, p=[0.6, 0.2, 0.2]))] for _ in range(n)]
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D")
    rows = [
        (o, kind, start[o] + pd.Timedelta(hours=6 * k)) for o, path in enumerate(paths) for k, kind in enumerate(path)
    ]
    events = pd.DataFrame(rows[::-1], columns=["order", "kind", "at"])  # the sibling key (at) gives the order
    events.insert(0, "id", range(len(events)))
    labels = ["created", "paid", "shipped", "delivered", "cancelled", "refunded"]
    orders = pd.DataFrame(
        {
            "id": range(n),
            "status": [p[-1] for p in paths] if status else rng.choice(labels, n),
            "total": rng.gamma(2, 40, n).round(2),
        }
    )
    schema = Schema(
        orders=Table(id=PrimaryKey(), status=Categorical(), total=Numeric()),
        events=Table(id=PrimaryKey(), order=ForeignKey(parent="orders"), kind=Categorical(), at=Datetime()),
    )
    return RelationalData({"orders": orders, "events": events}, schema)


def mismatched(data: RelationalData) -> int:
    events = data["events"].sort_values(["order", "at"])
    last = events.groupby("order")["kind"].last()
    orders = data["orders"].set_index("id")
    return int((orders["status"].reindex(last.index).astype(str) != last.astype(str)).sum())


def test_a_status_that_is_the_last_events_type_is_generated_so(tiny_size):
    data = shop()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["last_labels"] == [{"table": "orders", "column": "status", "rows": "events", "fk": "order", "of": "kind"}]  # fmt: skip
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: statuses and events drawn at random
    out = model.generate(300, seed=0)
    assert len(out["events"]) > 300 and mismatched(out) == 0
    assert out["orders"]["status"].notna().all()
    pre.stats["last_labels"] = []  # without: the test can tell
    assert mismatched(model.generate(300, seed=0)) > 50


def test_no_rule_where_the_status_is_not_the_last_events_or_under_dp():
    data = shop(status=False)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["last_labels"] == []
    dp = TabularPreproc.from_schema(shop().schema).fit(shop(), dp=DpBudget(3.0, 1e-5))
    assert dp.stats.get("last_labels", []) == []

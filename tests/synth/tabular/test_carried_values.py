"""Values a row carries over from the row before while a label stays: a customer's credit limit,
kept from one version to the next unless the segment changes; a small model changed it in 57 to
116 of 536 generated versions that kept their segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Date, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc

CITIES = ["Berlin", "Hamburg", "Munich", "Cologne", "Leipzig"]
SEGMENTS = ["consumer", "business", "vip"]
LIMITS = [500, 1000, 2000, 5000]


def versions(n: int = 300, seed: int = 0, carried: bool = True) -> RelationalData:
    """customers -> 1-4 versions valid from a date, each a new city or a new segment; a new segment
    draws the credit limit again, a new city keeps it (`carried`), or every version draws it."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        city, segment, limit = rng.choice(CITIES), rng.choice(SEGMENTS), int(rng.choice(LIMITS))
        start = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 300)))
        for v in range(int(rng.integers(1, 5))):
            if v and rng.random() < 0.5:
                city = rng.choice([x for x in CITIES if x != city])
            elif v:
                segment, limit = rng.choice([x for x in SEGMENTS if x != segment]), int(rng.choice(LIMITS))
            if not carried:
                limit = int(rng.choice(LIMITS))
            rows.append((c, start, city, segment, limit))
            start += pd.Timedelta(days=int(rng.integers(30, 300)))
    frame = pd.DataFrame(rows, columns=["customer", "valid_from", "city", "segment", "credit_limit"])
    frame.insert(0, "id", range(len(frame)))
    schema = Schema(
        customers=Table(id=PrimaryKey(), gender=Categorical()),
        versions=Table(
            id=PrimaryKey(),
            customer=ForeignKey(parent="customers"),
            valid_from=Date(),
            city=Categorical(),
            segment=Categorical(),
            credit_limit=Integer(),
        ),
    )
    customers = pd.DataFrame({"id": range(n), "gender": rng.choice(["F", "M"], n)})
    return RelationalData({"customers": customers, "versions": frame}, schema)


def changed_alone(data: RelationalData) -> int:
    """Versions whose credit limit differs from the version before though their segment does not."""
    v = data["versions"].sort_values(["customer", "valid_from", "id"])
    same = v["customer"].eq(v["customer"].shift()) & v["segment"].astype(str).eq(v["segment"].astype(str).shift())
    return int((same & v["credit_limit"].ne(v["credit_limit"].shift())).sum())


def test_a_value_is_carried_while_its_label_stays(tiny_size):
    data = versions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rule = {"table": "versions", "column": "credit_limit", "label": "segment", "when": "same"}
    assert rule in pre.stats["carried_values"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: limits drawn at random
    out = model.generate(300, seed=0)
    assert changed_alone(out) == 0 and out["versions"]["credit_limit"].nunique() == len(LIMITS)
    pre.stats["carried_values"] = []  # without: the test can tell
    assert changed_alone(model.generate(300, seed=0)) > 50


def both_changed(data: RelationalData) -> int:
    """Versions whose city and segment both differ from the version before's."""
    v = data["versions"].sort_values(["customer", "valid_from", "id"])
    both = v["customer"].eq(v["customer"].shift())
    for col in ("city", "segment"):
        both &= v[col].astype(str).ne(v[col].astype(str).shift())
    return int(both.sum())


def test_a_label_is_carried_while_another_changes(tiny_size):
    """Each version a new city or a new segment, never both: a small model changed both in 290 of
    547 generated versions."""
    data = versions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = [r for r in pre.stats["carried_values"] if r["when"] == "changed"]
    assert [(r["column"], r["label"]) for r in rules] == [("segment", "city")]  # the label written first
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: labels drawn at random
    out = model.generate(300, seed=0)
    assert both_changed(out) == 0 and out["versions"]["city"].nunique() == len(CITIES)
    pre.stats["carried_values"] = []  # without: the test can tell
    assert both_changed(model.generate(300, seed=0)) > 50


def test_no_rule_where_values_change_on_their_own_or_under_dp():
    own = TabularPreproc.from_schema(versions().schema).fit(versions(carried=False)).stats["carried_values"]
    assert [r for r in own if r["column"] == "credit_limit"] == []
    dp = TabularPreproc.from_schema(versions().schema).fit(versions(), dp=DpBudget(3.0, 1e-5))
    assert dp.stats.get("carried_values", []) == []

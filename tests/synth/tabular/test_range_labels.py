"""Labels that say whether a number of their row lies within a range, the bounds two numbers of a
lookup row the row names (a lab result's flag, 'abnormal' outside its test's reference range and
missing within it), are set from the generated number: drawn as a token of their own, 136 of
2,821 lab results a briefly trained model generated were flagged against their value and range."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc


def results(n: int = 600, seed: int = 0) -> RelationalData:
    """Lab results of three tests of a lookup with their reference ranges, flagged 'H' outside."""
    rng = np.random.default_rng(seed)
    tests = pd.DataFrame({"id": [1, 2, 3], "name": ["sodium", "glucose", "wbc"], "low": [135.0, 70, 4], "high": [145.0, 100, 11]})  # fmt: skip
    test = rng.integers(1, 4, n)
    low, high = tests.set_index("id").loc[test, "low"].to_numpy(), tests.set_index("id").loc[test, "high"].to_numpy()
    value = ((low + high) / 2 + rng.normal(0, 1, n) * (high - low) * 0.7).round(1)
    flag = pd.Series(np.where((value < low) | (value > high), "H", None), dtype="string")
    frame = pd.DataFrame({"id": range(n), "test_id": test, "value": value, "flag": flag})
    schema = Schema(
        test=Table(id=PrimaryKey(), name=Categorical(), low=Numeric(), high=Numeric()),
        result=Table(id=PrimaryKey(), test_id=ForeignKey(parent="test"), value=Numeric(), flag=Categorical()),
        lookups=["test"],
    )
    return RelationalData({"test": tests, "result": frame}, schema)


def consistent(data: RelationalData) -> float:
    r = data["result"].merge(data["test"], left_on="test_id", right_on="id")
    outside = (r["value"] < r["low"]) | (r["value"] > r["high"])
    return float(((r["flag"] == "H").fillna(False) == outside).mean())


def test_a_flag_outside_a_lookup_rows_range_is_set_from_the_generated_number(tiny_size):
    data = results()
    assert consistent(data) == 1.0
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["range_labels"] == [
        {
            "table": "result",
            "column": "flag",
            "number": "value",
            "low": ["test_id", "low"],
            "high": ["test_id", "high"],
            "outside": "H",
            "inside": None,
        }
    ]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    assert consistent(model.generate(300, seed=0)) == 1.0
    pre.stats["range_labels"] = []
    assert consistent(model.generate(300, seed=0)) < 0.8  # untrained, without the rule: 0.45


def test_a_flag_one_row_breaks_is_left_to_the_model():
    data = results(n=300)
    result = data["result"].copy()
    result.loc[result["flag"].isna().idxmax(), "flag"] = "H"  # one row flagged within its range
    pre = TabularPreproc.from_schema(data.schema).fit(
        RelationalData({"test": data["test"], "result": result}, data.schema)
    )
    assert pre.stats["range_labels"] == []


def test_a_wide_table_screens_every_pair_of_bounds_at_once(monkeypatch):
    """Beside 20 ordered numbers (190 pairs that could be bounds) and 6 flags in no relation to
    them (a wide table), the lab flag is still found, and a pair's rows are read whole only where
    the pair passes a screen of all pairs at once: reading every flag x number x pair whole took
    70 s of a 100-column table's 256 s fit."""
    from relsynth.synth.tabular.rules import range_labels

    data = results()
    rng = np.random.default_rng(1)
    frame = data["result"].copy()
    extra = {f"p{i}": Numeric() for i in range(20)} | {f"k{i}": Categorical() for i in range(6)}
    for i in range(20):
        frame[f"p{i}"] = rng.integers(0, 50, len(frame)) + 100.0 * (i + 1)  # each below the next ones
    for i in range(6):
        frame[f"k{i}"] = rng.choice(["Y", "N"], len(frame))
    schema = Schema(
        test=data.schema.tables["test"], result=Table(**data.schema.tables["result"].columns, **extra), lookups=["test"]
    )
    calls = []
    rule = range_labels._rule
    monkeypatch.setattr(range_labels, "_rule", lambda *a: calls.append(1) or rule(*a))
    pre = TabularPreproc.from_schema(schema)
    found = range_labels.find_range_labels(pre, RelationalData({"test": data["test"], "result": frame}, schema))
    assert [(r["column"], r["number"], r["low"], r["high"]) for r in found] == [
        ("flag", "value", ["test_id", "low"], ["test_id", "high"])
    ]
    assert len(calls) <= 5  # not 7 flags x 21 numbers x 191 pairs


def test_a_result_without_a_number_keeps_the_label_every_such_row_holds(tiny_size):
    """A result written '<0.5' has no number and is never flagged in the data; its flag was left
    as drawn, so an untrained model flagged some of them 'H'. It is now missing as in the data."""
    data = results()
    result = data["result"].copy()
    censored = np.random.default_rng(2).random(len(result)) < 0.15
    result.loc[censored, ["value", "flag"]] = [np.nan, pd.NA]
    data = RelationalData({"test": data["test"], "result": result}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    (rule,) = pre.stats["range_labels"]
    assert "absent" in rule and rule["absent"] is None
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["result"]
    assert out["value"].isna().sum() > 10
    assert out.loc[out["value"].isna(), "flag"].isna().all()  # untrained, without `absent`: 14 of 26 flagged
    result.loc[np.flatnonzero(censored)[0], "flag"] = "H"  # one such row flagged: the label is left to the model
    pre = TabularPreproc.from_schema(data.schema).fit(
        RelationalData({"test": data["test"], "result": result}, data.schema)
    )
    assert "absent" not in pre.stats["range_labels"][0]

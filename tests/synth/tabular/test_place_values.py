"""Values a row's place among its parent's rows and their count decide: an assessment's weight."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc

WEIGHTS = {3: [0.3, 0.3, 0.4], 4: [0.2, 0.2, 0.2, 0.4]}


def assessments(n: int = 200, seed: int = 0, decided: bool = True) -> RelationalData:
    """enrolments -> 3 or 4 grades each, weighted 0.3, 0.3, 0.4 or 0.2, 0.2, 0.2, 0.4 by place
    (`decided`), else each weight drawn from those values whatever its place."""
    rng = np.random.default_rng(seed)
    counts = rng.choice([3, 4], n)
    enrolments = pd.DataFrame({"id": range(1, n + 1), "hours": rng.integers(20, 60, n)})
    weights = np.concatenate([WEIGHTS[k] if decided else rng.choice([0.2, 0.3, 0.4], k) for k in counts])
    grades = pd.DataFrame(
        {
            "enrolment_id": np.repeat(enrolments["id"], counts),
            "weight": weights,
            "score": rng.integers(0, 101, len(weights)),
        }
    )
    grades.insert(0, "id", range(1, len(grades) + 1))
    schema = Schema(
        enrolments=Table(id=PrimaryKey(), hours=Integer()),
        grades=Table(id=PrimaryKey(), enrolment_id=ForeignKey("enrolments"), weight=Numeric(), score=Integer()),
    )
    return RelationalData({"enrolments": enrolments, "grades": grades}, schema)


def weights_as_fitted(synth: RelationalData) -> float:
    """The share of enrolments of 3 or 4 grades whose weights are their count's, place by place."""
    held = synth["grades"].groupby("enrolment_id")["weight"].agg(list)
    kept = [w == WEIGHTS[len(w)] for w in held if len(w) in WEIGHTS]
    return float(np.mean(kept))


def test_weights_decided_by_place_and_count_are_generated_so():
    data = assessments()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["place_values"] == [
        {"table": "grades", "column": "weight", "values": {"3": WEIGHTS[3], "4": WEIGHTS[4]}}
    ]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size="small")  # untrained: each weight drawn apart from its place
    kept = model.generate(200, seed=0)
    pre.stats["place_values"] = []
    unkept = model.generate(200, seed=0)
    assert weights_as_fitted(unkept) < 0.5 and weights_as_fitted(kept) == 1.0
    assert len(kept["grades"]) == len(unkept["grades"])  # no row added nor dropped


def test_weights_any_place_may_hold_fit_no_rule():
    data = assessments(decided=False)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["place_values"] == []


def test_one_count_of_rows_alone_fits_no_rule():
    """Every enrolment of three grades: one count is a column constant by place, no more."""
    data = assessments()
    three = data["grades"].groupby("enrolment_id").cumcount() < 3
    grades = data["grades"][three].reset_index(drop=True)
    grades["weight"] = np.tile(WEIGHTS[3], len(grades) // 3)
    one = RelationalData({"enrolments": data["enrolments"], "grades": grades}, data.schema)
    assert TabularPreproc.from_schema(one.schema).fit(one).stats["place_values"] == []


def test_labels_by_place_are_left_to_the_label_rules():
    """A label each place holds (a trial's visits) is the ordered, edge and chained labels' to keep."""
    data = assessments()
    grades = data["grades"].assign(weight=data["grades"]["weight"].map({0.2: "low", 0.3: "mid", 0.4: "high"}))
    schema = Schema(
        enrolments=data.schema.tables["enrolments"],
        grades=Table(id=PrimaryKey(), enrolment_id=ForeignKey("enrolments"), weight=Categorical(), score=Integer()),
    )
    labelled = RelationalData({"enrolments": data["enrolments"], "grades": grades}, schema)
    assert TabularPreproc.from_schema(schema).fit(labelled).stats["place_values"] == []

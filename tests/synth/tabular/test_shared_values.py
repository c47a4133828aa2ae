"""Values a row shares with its cousins: every row under one row two levels up or more that holds
one label holds one value (a submission's due date, kind and maximum points per course and
assignment, stored on the submissions under the students' enrolments)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import (
    Categorical,
    Date,
    Datetime,
    ForeignKey,
    Integer,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import DpBudget, ModelSize, TabularModel, TabularPreproc

KINDS = ["quiz", "essay", "project", "lab"]


def lms(seed: int = 0, n_courses: int = 60, numbered: bool = False, drawn: str = "") -> RelationalData:
    """Courses, their enrolments (3 to 8), and each enrolment's submissions of the course's 2 to 5
    assignments: the due date (a week apart), kind and maximum points are the course's per assignment,
    submitted within 3 days of the due date, scored at most the maximum. `numbered`: assignments
    numbered 1, 2 ... (a number held as its step from the previous), else labelled A1, A2 ...;
    `drawn`: a column drawn per submission instead (`kind`), or per enrolment (`due_at`: days later)."""
    rng = np.random.default_rng(seed)
    courses, enrols, subs = [], [], []
    for cid in range(1, n_courses + 1):
        start = pd.Timestamp("2022-01-10") + pd.Timedelta(days=int(rng.integers(0, 700)))
        courses.append({"id": cid, "dept": str(rng.choice(["CS", "MATH", "BIO"])), "start_date": start})
        plan = [
            (start + pd.Timedelta(days=int(7 * k + rng.integers(0, 7)), hours=23, minutes=59), str(rng.choice(KINDS)),
             int(rng.choice([10, 20, 25, 50, 100])))
            for k in range(1, int(rng.integers(2, 6)))
        ]  # fmt: skip
        for _ in range(int(rng.integers(3, 9))):
            eid = len(enrols) + 1
            enrols.append(
                {"id": eid, "course": cid, "enrolled_on": start - pd.Timedelta(days=int(rng.integers(1, 20)))}
            )
            later = pd.Timedelta(days=int(rng.integers(0, 3)))
            for k, (due, kind, points) in enumerate(plan, start=1):
                due = due + later if drawn == "due_at" else due
                subs.append({"id": len(subs) + 1, "enrolment": eid, "assignment": k if numbered else f"A{k}",
                             "kind": str(rng.choice(KINDS)) if drawn == "kind" else kind, "max_points": points,
                             "due_at": due, "submitted_at": due + pd.Timedelta(minutes=int(rng.integers(-4000, 900))),
                             "score": int(rng.integers(0, points + 1))})  # fmt: skip
    schema = Schema(
        course=Table(id=PrimaryKey(), dept=Categorical(), start_date=Date()),
        enrolment=Table(id=PrimaryKey(), course=ForeignKey(parent="course"), enrolled_on=Date()),
        submission=Table(
            id=PrimaryKey(),
            enrolment=ForeignKey(parent="enrolment"),
            assignment=Integer() if numbered else Categorical(),
            kind=Categorical(),
            max_points=Integer(),
            due_at=Datetime(),
            submitted_at=Datetime(),
            score=Integer(),
        ),
    )
    frames = {"course": pd.DataFrame(courses), "enrolment": pd.DataFrame(enrols), "submission": pd.DataFrame(subs)}
    return RelationalData(frames, schema)


def shared(data: RelationalData, column: str) -> float:
    """The share of (course, assignment) groups of two submissions or more holding one `column` value."""
    s = data["submission"]
    course = s["enrolment"].map(data["enrolment"].set_index("id")["course"]).to_numpy()
    groups = s[column].astype(str).groupby([course, s["assignment"].astype(str).to_numpy()])
    return float((groups.nunique()[groups.size() > 1] == 1).mean())


def untrained(pre: TabularPreproc) -> TabularModel:
    torch.manual_seed(0)
    return TabularModel.build(pre, size=ModelSize(n_layers=1, h=2, d=16), block_size=64)


def test_values_cousins_share_per_assignment_are_generated_shared():
    """Drawn row by row, an LMS database's generated submissions agreed on their course and
    assignment's due date in 0.4 % of the groups, its kind in 7 %, its maximum points in 4 %: a
    category, a number and a date (held as its offset from the previous due date) now each hold one
    value per group, and the columns written from them keep their orders (a score at most its
    maximum, a submission within days of its due date, an enrolment's due dates in assignment order)."""
    data = lms()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert {"due_at", "submitted_at", "score"} <= set(pre.orderings["submission"])  # offsets of and from them
    synth = untrained(pre).generate(n_samples=40, seed=0)
    for column in ("kind", "max_points", "due_at"):
        assert shared(synth, column) == 1.0, column
    s = synth["submission"]
    assert (s["score"] <= s["max_points"]).all()
    assert ((s["submitted_at"] - s["due_at"]).abs() <= pd.Timedelta(days=4)).all()
    by_label = s.sort_values(["enrolment", "assignment"]).groupby("enrolment")["due_at"]
    assert by_label.apply(lambda due: due.is_monotonic_increasing).all()  # each enrolment's in assignment order
    rules = [(r["column"], r["level"], r["label"]) for r in pre.stats["shared_values"]]
    assert rules == [("kind", 2, "assignment"), ("max_points", 2, "assignment"), ("due_at", 2, "assignment")]


def test_a_numbered_assignment_held_as_its_step_groups_its_due_dates():
    """Assignments numbered 1, 2 ... under each enrolment are held as steps from the previous number:
    decoded, they still name each submission's assignment, whose due date its cousins share."""
    data = lms(numbered=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert "assignment" in pre.orderings["submission"]
    synth = untrained(pre).generate(n_samples=40, seed=0)
    assert shared(synth, "due_at") == 1.0


def test_values_cousins_do_not_share_keep_no_rule():
    """A kind drawn per submission, a due date a few days later for some enrolments, a value one label
    of the row sets (the kind, from a label of its own): no rule for them, none under DP."""
    kind = TabularPreproc.from_schema(lms().schema).fit(lms(drawn="kind")).stats["shared_values"]
    assert kind  # the maximum points and due date still
    assert "kind" not in {r["column"] for r in kind}
    due = TabularPreproc.from_schema(lms().schema).fit(lms(drawn="due_at")).stats["shared_values"]
    assert "due_at" not in {r["column"] for r in due}
    data = lms()
    s = data["submission"].copy()
    s["kind_code"] = s["kind"].str.upper()  # a label of the row that sets the kind
    schema = Schema(
        course=data.schema.tables["course"],
        enrolment=data.schema.tables["enrolment"],
        submission=Table({**data.schema.tables["submission"].columns, "kind_code": Categorical()}),
    )
    labelled = RelationalData({"course": data["course"], "enrolment": data["enrolment"], "submission": s}, schema)
    rules = TabularPreproc.from_schema(schema).fit(labelled).stats["shared_values"]
    assert not {"kind", "kind_code"} & {r["column"] for r in rules}
    dp = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=1.0, delta=1e-5))
    assert not dp.stats.get("shared_values")


def test_values_are_coded_by_their_text_as_before():
    """The fit codes a column's distinct values as text, not each row's: the codes stay those of
    every row's text, where values equal as text are not equal values or the reverse."""
    from relsynth.synth.tabular.rules.shared_values import text_codes

    columns = [
        pd.Series([0.0, -0.0, np.nan, 1.5, 0.0]),  # equal values, written apart
        pd.Series(["<NA>", None, "a", None], dtype="string"),  # a missing value written as a value's text
        pd.Series([1, None, 2, 1], dtype="Int64"),
        pd.Series(pd.to_datetime(["2020-01-01", None, "2020-01-01 00:00:01"], format="mixed")),
        pd.Series([True, None, False], dtype="boolean"),
        pd.Series([1, "1", 1.0, None], dtype=object),  # mixed types: as every row's text
        pd.Series(pd.Categorical(["b", None, "a", "b"])),
        pd.Series([1, 2**60, 2**60 + 1, 1], index=[5, 3, 1, 0]),
    ]
    for values in columns:
        expected = pd.factorize(values.astype(str).reset_index(drop=True))[0]
        np.testing.assert_array_equal(text_codes(values), expected)


def test_groups_holding_one_value_as_hashed():
    """Each label's groups are read once and a column checked against them by its groups' first
    rows: the same answer as hashing every (group, value) pair, on groups and values in any order."""
    from relsynth.synth.tabular.rules.shared_values import _constant_within, _grouped

    rng = np.random.default_rng(0)
    for n_groups, n_values in ((1, 1), (3, 2), (50, 3), (400, 40)):
        codes = rng.integers(-1, n_groups, 2_000)
        for value in (rng.integers(0, n_values, 2_000), np.maximum(codes, 0) % n_values):
            held, first = _grouped(codes)
            g = pd.factorize(codes[held])[0]
            hashed = len(pd.unique(g * (int(value.max()) + 1) + value[held])) == int(g.max()) + 1
            assert _constant_within(first, value[held]) == hashed

"""A label that says which interval of a number, or of a share of two numbers, its row lies in (a
letter grade from the share of the maximum score) is set from the generated numbers: drawn as a
token of its own, 464 of 2,718 generated submissions of an LMS database had a grade their score
and maximum contradict."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc
from relsynth.synth.tabular.rules.interval_labels import apply_interval_labels

CUTS = [(0.9, "A"), (0.8, "B"), (0.7, "C"), (0.6, "D"), (0.0, "F")]


def letter(share: float) -> str:
    return next(g for cut, g in CUTS if share >= cut)


def submissions(n: int = 600, seed: int = 0) -> RelationalData:
    """Scores out of a maximum of 10, 20, 50 or 100, their letter `grade` by the share, a `band`
    by the score alone (low below 30, high from 30) and a `room` in no relation to either."""
    rng = np.random.default_rng(seed)
    top = rng.choice([10, 20, 50, 100], n)
    score = np.clip(np.round(rng.uniform(0.3, 1.05, n) * top), 0, top).astype(int)
    frame = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "score": score,
            "max_score": top,
            "grade": [letter(s / m) for s, m in zip(score, top, strict=True)],
            "band": np.where(score < 30, "low", "high"),
            "room": rng.choice(["r1", "r2", "r3"], n),
        }
    )
    schema = Schema(
        s=Table(
            id=PrimaryKey(),
            score=Integer(),
            max_score=Integer(),
            grade=Categorical(),
            band=Categorical(),
            room=Categorical(),
        )
    )
    return RelationalData({"s": frame}, schema)


def wrong(frame: pd.DataFrame) -> tuple[int, int]:
    """(grades, bands) their numbers contradict."""
    share = frame["score"].astype(float) / frame["max_score"].astype(float)
    grades = (frame["grade"].astype(str).to_numpy() != np.array([letter(x) for x in share])).sum()
    bands = (frame["band"].astype(str).to_numpy() != np.where(frame["score"] < 30, "low", "high")).sum()
    return int(grades), int(bands)


def test_a_grade_follows_the_interval_of_its_share_of_the_maximum():
    data = submissions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = {r["column"]: r for r in pre.stats["interval_labels"]}
    assert set(rules) == {"grade", "band"}  # not the room
    assert (rules["grade"]["number"], rules["grade"]["of"], rules["grade"]["labels"]) == (
        "score",
        "max_score",
        ["F", "D", "C", "B", "A"],
    )
    assert rules["grade"]["cuts"] == [0.6, 0.7, 0.8, 0.9]
    assert (rules["band"]["number"], "of" in rules["band"], rules["band"]["labels"]) == (
        "score",
        False,
        ["low", "high"],
    )
    synth = pre.inverse_transform(pre.transform(data), seed=0)["s"].copy()
    synth["score"] = np.minimum(synth["score"].sample(frac=1, random_state=0).to_numpy(), synth["max_score"])
    assert min(wrong(synth)) > 50  # pairs drawn anew
    apply_interval_labels(pre, pre.stats["interval_labels"], tables := {"s": synth})
    assert wrong(tables["s"]) == (0, 0)
    assert tables["s"]["grade"].dtype == data["s"]["grade"].dtype


def test_labels_whose_intervals_overlap_or_are_too_few_are_left_as_generated():
    data = submissions()
    frame = data["s"].copy()
    frame.loc[frame.index[frame["grade"] == "A"][:1], "grade"] = "C"  # one grade entered by hand
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({"s": frame}, data.schema))
    assert "grade" not in {r["column"] for r in pre.stats["interval_labels"]}
    few = submissions(n=60)  # grades of fewer than 20 rows each, bands of more
    assert [r["column"] for r in TabularPreproc.from_schema(few.schema).fit(few).stats["interval_labels"]] == ["band"]


def test_grades_coded_as_integers_beside_a_null_are_set_as_their_categories():
    """Grades coded 0 (F) to 4 (A) with one missing: read through pandas' map, an integer column
    beside a null reads '4.0', no category's text, and the rule's labels were written as such."""
    data = submissions()
    frame = data["s"].assign(grade=data["s"]["grade"].map(dict(zip("FDCBA", range(5), strict=True))).astype("Int64"))
    frame.loc[frame.index[3], "grade"] = pd.NA
    coded = RelationalData({"s": frame}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(coded)
    rule = next(r for r in pre.stats["interval_labels"] if r["column"] == "grade")
    assert rule["labels"] == ["0", "1", "2", "3", "4"]
    synth = pre.inverse_transform(pre.transform(coded), seed=0)["s"]
    assert str(synth["grade"].dtype) == "Int64" and set(synth["grade"].dropna()) <= {0, 1, 2, 3, 4}


def test_a_wide_table_screens_its_numbers_and_shares_at_once(monkeypatch):
    """Beside 20 ordered numbers (190 shares that are a part of a whole) and 8 labels in no relation
    to them (a wide table), the grade and band are still found, and a label's spans are read per
    scale only for the few scales passing the screen, all screened at once: one pandas groupby for
    each label and each of thousands of shares took 9 s of a 100-column table's fit, and every
    share's whole column was held at once."""
    from relsynth.synth.tabular.rules import interval_labels

    data = submissions()
    rng = np.random.default_rng(1)
    frame = data["s"].copy()
    extra = {f"p{i}": Integer() for i in range(20)} | {f"k{i}": Categorical() for i in range(8)}
    for i in range(20):
        frame[f"p{i}"] = rng.integers(0, 50, len(frame)) + 100 * (i + 1)  # each below the next ones
    for i in range(8):
        frame[f"k{i}"] = rng.choice(["a", "b", "c"], len(frame))
    schema = Schema(s=Table(**data.schema.tables["s"].columns, **extra))
    calls = []
    spans = interval_labels._spans
    monkeypatch.setattr(interval_labels, "_spans", lambda *a: calls.append(1) or spans(*a))
    pre = TabularPreproc.from_schema(schema)
    rules = interval_labels.find_interval_labels(pre, RelationalData({"s": frame}, schema), set())
    assert {r["column"]: (r["number"], r.get("of")) for r in rules} == {
        "grade": ("score", "max_score"),
        "band": ("score", None),
    }
    assert len(calls) <= 10  # the passing scales' whole columns, not 11 labels x 212 scales


BOUNDS = {
    "GLU": (3.9, 7.8, 3.0, 15.0),
    "HGB": (12.0, 16.0, 8.0, 18.0),
    "NA": (135, 145, 125, 150),
    "CRP": (0, 5, 0.1, 150),
}


def lab_results(n: int = 800, seed: int = 0, random_flags: bool = False) -> RelationalData:
    """Results of four tests, each with reference bounds of its own and a value range of its own,
    flagged L below the lower bound, H above the upper one, N within (CRP is never L); or flagged
    at random in the same shares."""
    rng = np.random.default_rng(seed)
    tests = rng.choice(list(BOUNDS), n)
    value = np.array([round(rng.uniform(BOUNDS[t][2], BOUNDS[t][3]), 1) for t in tests])
    flag = np.array([flag_of(t, v) for t, v in zip(tests, value, strict=True)])
    if random_flags:
        flag = rng.permutation(flag)
    frame = pd.DataFrame({"id": range(1, n + 1), "test": tests, "value": value, "flag": flag})
    schema = Schema(r=Table(id=PrimaryKey(), test=Categorical(), value=Numeric(), flag=Categorical()))
    return RelationalData({"r": frame}, schema)


def flag_of(test: str, value: float) -> str:
    low, high = BOUNDS[test][:2]
    return "L" if value < low else "H" if value > high else "N"


def test_a_flag_follows_the_interval_of_its_value_by_the_row_test():
    """Each test's flag has cuts of its own: no one set of cuts holds, and a briefly trained model
    flagged 47 % of a clinical database's generated lab results against their value (1,275 of 2,387)."""
    data = lab_results()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rule = next(r for r in pre.stats["interval_labels"] if r["column"] == "flag")
    assert (rule["number"], rule["by"]) == ("value", "test")
    assert rule["groups"]["CRP"]["labels"] == ["N", "H"] and rule["groups"]["NA"]["labels"] == ["L", "N", "H"]
    synth = pre.inverse_transform(pre.transform(data), seed=0)["r"].copy()
    synth["value"] = synth["value"].sample(frac=1, random_state=0).to_numpy()  # values drawn anew, any test's
    apply_interval_labels(pre, pre.stats["interval_labels"], tables := {"r": synth})
    wrong = [f != flag_of(t, v) for t, v, f in tables["r"][["test", "value", "flag"]].itertuples(index=False)]
    assert sum(wrong) == 0


def test_flags_drawn_at_random_within_tests_keep_no_rule():
    data = lab_results(random_flags=True)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["interval_labels"] == []

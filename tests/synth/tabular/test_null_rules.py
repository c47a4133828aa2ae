"""Columns missing exactly where an earlier category of their row says: a cancelled flight's delay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Datetime, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc


def flights(n: int = 400, seed: int = 0) -> RelationalData:
    """flights: cancelled Y (1 in 10) has no delay and no actual departure, N always both; a gate
    missing at random, whatever the flight."""
    rng = np.random.default_rng(seed)
    cancelled = np.where(rng.random(n) < 0.1, "Y", "N")
    delay = np.where(cancelled == "N", rng.integers(0, 90, n), -1)
    departure = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h")
    flight = pd.DataFrame(
        {
            "id": range(n),
            "cancelled": cancelled,
            "gate": np.where(rng.random(n) < 0.3, None, rng.choice(["A1", "B2", "C3"], n)),
            "delay": pd.array(np.where(delay < 0, None, delay), dtype="Int64"),
            "actual_departure": departure.where(cancelled == "N"),
        }
    )
    schema = Schema(
        flight=Table(
            id=PrimaryKey(), cancelled=Categorical(), gate=Categorical(), delay=Integer(), actual_departure=Datetime()
        )
    )
    return RelationalData({"flight": flight}, schema)


def test_columns_missing_where_a_category_says_are_generated_so(tmp_path, tiny_size):
    """An untrained model draws the delay's <missing> token at random (about half the cancelled
    flights get a delay, some flown ones none); now every cancelled flight has neither, every
    flown one both, and the gate, missing at random, stays missing at random."""
    data = flights()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = {(r["column"], r["of"]): (r["missing"], r["held"]) for r in pre.stats.get("null_rules", [])}
    assert rules == {("delay", "cancelled"): (["Y"], ["N"]), ("actual_departure", "cancelled"): (["Y"], ["N"])}
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(400, seed=0)["flight"]
    cancelled = out["cancelled"].astype(str) == "Y"
    assert 0 < cancelled.sum() < len(out)
    assert out.loc[cancelled, ["delay", "actual_departure"]].isna().all().all()
    assert out.loc[~cancelled, ["delay", "actual_departure"]].notna().all().all()
    assert out["gate"].isna().any() and out["gate"].notna().any()


def test_no_rule_where_one_row_breaks_it():
    data = flights()
    df = data["flight"].copy()
    df.loc[df.index[df["cancelled"] == "Y"][0], "delay"] = 5  # one cancelled flight with a delay
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({"flight": df}, data.schema))
    assert [r["column"] for r in pre.stats["null_rules"]] == ["actual_departure"]


def test_columns_missing_where_a_score_says_are_generated_so(tmp_path, tiny_size):
    """A survey's skip logic on a score 1 to 5 (an integer of exact values, no bins): the reason
    and its rating asked at 1 or 2 only, a count after a 0/1 checkbox. Drawn one by one they were
    answered, or not, against the score (4 of 1,000 generated respondents of a trained model;
    an untrained one at random)."""
    rng = np.random.default_rng(1)
    n = 600
    sat, other = rng.integers(1, 6, n), rng.integers(0, 2, n)
    survey = pd.DataFrame({"id": range(n), "sat": sat, "why_low": np.where(sat <= 2, rng.choice(["price", "staff"], n), None),
                           "rate_low": pd.array(np.where(sat <= 2, rng.integers(1, 11, n), None), dtype="Int64"),
                           "other": other, "count": pd.array(np.where(other == 1, rng.integers(1, 4, n), None), dtype="Int64")})  # fmt: skip
    schema = Schema(s=Table(id=PrimaryKey(), sat=Integer(), why_low=Categorical(), rate_low=Integer(), other=Integer(),
                            count=Integer()))  # fmt: skip
    data = RelationalData({"s": survey}, schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    rules = {(r["column"], r["of"]): (r["missing"], r["held"]) for r in pre.stats.get("null_rules", [])}
    assert rules == {
        ("why_low", "sat"): ([3.0, 4.0, 5.0], [1.0, 2.0]),
        ("rate_low", "sat"): ([3.0, 4.0, 5.0], [1.0, 2.0]),
        ("count", "other"): ([0.0], [1.0]),
    }
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(400, seed=0)["s"]
    low = out["sat"].astype(float) <= 2
    assert 0 < low.sum() < len(out)
    assert (out["why_low"].notna() == low).all() and (out["rate_low"].notna() == low).all()
    assert (out["count"].notna() == (out["other"].astype(float) == 1)).all()


def claims(n: int = 400, seed: int = 0) -> RelationalData:
    """claims: a closed date written before the status, missing exactly while the claim is OPEN."""
    rng = np.random.default_rng(seed)
    status = rng.choice(["OPEN", "APPROVED", "DENIED", "PAID"], n, p=[0.2, 0.2, 0.2, 0.4])
    filed = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    claim = pd.DataFrame({"id": range(n), "closed": filed.where(status != "OPEN"), "status": status})
    schema = Schema(claim=Table(id=PrimaryKey(), closed=Datetime(), status=Categorical()))
    return RelationalData({"claim": claim}, schema)


def test_a_later_category_follows_an_earlier_columns_missing_value(tmp_path, tiny_size):
    """The closed date is drawn first, the status after it: an untrained model gave an open claim
    a closed date, or a paid one none (55 of 400 claims). The status now takes a label of the
    date's side: OPEN where it is missing, any other where it is held."""
    data = claims()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["later_null_rules"] == [
        {
            "table": "claim",
            "column": "closed",
            "of": "status",
            "missing": ["OPEN"],
            "held": ["APPROVED", "DENIED", "PAID"],
        }
    ]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(400, seed=0)["claim"]
    labelled = out["status"].notna()
    assert ((out["status"] == "OPEN") == out["closed"].isna())[labelled].all()
    assert out["closed"].isna().any() and (out["status"] != "OPEN")[labelled].any()


def stays(n: int = 400, seed: int = 0) -> RelationalData:
    """stays: a discharge location written before the died flag (0 / 1), missing exactly where it is 1."""
    rng = np.random.default_rng(seed)
    died = (rng.random(n) < 0.15).astype(int)
    location = pd.Series(rng.choice(["HOME", "REHAB", "NURSING HOME"], n), dtype=object).where(died == 0)
    stay = pd.DataFrame({"id": range(n), "location": location, "died": died})
    schema = Schema(stay=Table(id=PrimaryKey(), location=Categorical(), died=Integer()))
    return RelationalData({"stay": stay}, schema)


def test_a_later_flag_of_exact_numbers_follows_an_earlier_columns_missing_value(tiny_size):
    """A stay's discharge location is missing exactly where its died flag, a whole number 0 / 1
    written after it, is 1: later rules read categories only, and 2 % of a small model's stays of
    a hospital database had a location and died, or neither. The flag now takes the location's side."""
    data = stays()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["later_null_rules"] == [
        {"table": "stay", "column": "location", "of": "died", "missing": [1.0], "held": [0.0]}
    ]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(400, seed=0)["stay"]
    assert (out["location"].isna() == (out["died"] == 1)).all()  # untrained, without the rule: 0.54
    assert out["location"].isna().any() and out["location"].notna().any()


def test_a_column_missing_where_an_earlier_one_is_is_generated_so(tmp_path, tiny_size):
    """A seller's reply and its date (an offset after the review's), both missing or both held, no
    value of the row telling which: drawn one by one, 8 of 1,050 reviews of a trained model held
    one without the other, an untrained one at random. The date now follows the reply's missing
    token; a column missing at random besides takes no rule."""
    rng = np.random.default_rng(2)
    n = 400
    created = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300 * 24, n), unit="h")
    replied = rng.random(n) < 0.3
    review = pd.DataFrame({"id": range(n), "rating": rng.integers(1, 6, n), "created_at": created,
                           "reply": np.where(replied, rng.choice(["Thanks!", "Sorry", "Glad you like it"], n), None),
                           "replied_at": (created + pd.to_timedelta(rng.integers(1, 200, n), unit="h")).where(replied),
                           "note": np.where(rng.random(n) < 0.3, None, rng.choice(["a", "b"], n))})  # fmt: skip
    schema = Schema(r=Table(id=PrimaryKey(), rating=Integer(), created_at=Datetime(), reply=Categorical(),
                            replied_at=Datetime(), note=Categorical()))  # fmt: skip
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"r": review}, schema))
    assert [(r["column"], r["of"], r.get("missing_alike")) for r in pre.stats["null_rules"]] == [
        ("replied_at", "reply", True)
    ]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(400, seed=0)["r"]
    assert 0 < out["reply"].isna().sum() < len(out)
    assert (out["reply"].isna() == out["replied_at"].isna()).all()
    assert (out["replied_at"].dropna() >= out["created_at"][out["replied_at"].notna()]).all()


def test_a_wide_table_reads_each_category_once_and_still_finds_the_rule(monkeypatch):
    """Each column with nulls was asked against every earlier category, which read that category's
    values again and grouped the nulls by them (~9 ms a pair): a 120-column table (30 columns with
    nulls, 80 categories and flags) spent 22 s of its fit there. A category's values are read once
    a table, a pair that mixes missing and held rows under one value is dropped in a bincount, and
    the cancelled flights' rule is still found after 20 categories missing at random."""
    from relsynth.synth.tabular.rules import dependencies

    rng = np.random.default_rng(0)
    flight = flights()["flight"]
    n = len(flight)
    noise = {f"c{j:02d}": np.where(rng.random(n) < 0.2, None, rng.choice(["a", "b", "c"], n)) for j in range(20)}
    frame = pd.concat([pd.DataFrame(noise), flight], axis=1)
    schema = Schema(
        flight=Table(
            id=PrimaryKey(),
            **{c: Categorical() for c in noise},
            cancelled=Categorical(),
            gate=Categorical(),
            delay=Integer(),
            actual_departure=Datetime(),
        )
    )
    calls = []
    exact = dependencies.exact_values
    monkeypatch.setattr(dependencies, "exact_values", lambda v, p: calls.append(1) or exact(v, p))
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"flight": frame[list(schema.tables["flight"].columns)]}, schema))  # fmt: skip
    rules = {(r["column"], r["of"]) for r in pre.stats["null_rules"]}
    assert rules == {("delay", "cancelled"), ("actual_departure", "cancelled")}
    assert len(calls) < 100  # 505 before: each category again for each column with nulls


def tickets(n: int = 400, seed: int = 0) -> RelationalData:
    """tickets: open ones unanswered two times in five (no agent took them), every other status answered."""
    rng = np.random.default_rng(seed)
    status = rng.choice(["open", "pending", "solved", "closed"], n, p=[0.3, 0.2, 0.2, 0.3])
    created = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 90 * 24, n), unit="h")
    unanswered = (status == "open") & (rng.random(n) < 0.4)
    ticket = pd.DataFrame(
        {
            "id": range(n),
            "status": status,
            "created": created,
            "answered": (created + pd.to_timedelta(rng.integers(1, 48, n), unit="h")).where(~unanswered),
        }
    )
    schema = Schema(ticket=Table(id=PrimaryKey(), status=Categorical(), created=Datetime(), answered=Datetime()))
    return RelationalData({"ticket": ticket}, schema)


def test_a_column_never_missing_under_some_labels_is_held_there_and_missing_at_will_elsewhere(tiny_size):
    """A ticket's first response is missing under `open` only (no agent took it), and not always
    there: no null rule (`open` is no value of all-missing rows), so the model drew it missing at
    will, and 1 to 3 % of a trained model's solved and closed tickets had none. The fit keeps the
    labels never missing it (`held_rules`); generation bans the `<missing>` token after them."""
    data = tickets()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["null_rules"] == []
    rules = {(r["column"], r["of"]): sorted(r["held"]) for r in pre.stats["held_rules"]}
    assert rules == {("answered", "status"): ["closed", "pending", "solved"]}
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(400, seed=0)["ticket"]  # untrained: missing at will
    opened = out["status"].astype(str) == "open"
    assert out.loc[~opened, "answered"].notna().all() and out.loc[opened, "answered"].isna().any()


def test_no_held_labels_where_a_row_breaks_them_or_chance_could_explain_them():
    data = tickets()
    df = data["ticket"].copy()
    df.loc[df.index[df["status"] == "solved"][0], "answered"] = pd.NaT  # one solved ticket unanswered
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({"ticket": df}, data.schema))
    assert sorted(pre.stats["held_rules"][0]["held"]) == ["closed", "pending"]
    few = tickets(n=40)  # 4 unanswered of 40: 8 solved tickets all answered is no sign
    pre = TabularPreproc.from_schema(few.schema).fit(few)
    assert pre.stats["held_rules"] == []

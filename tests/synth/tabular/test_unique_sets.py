"""Sets of columns the source declares UNIQUE (`Table.unique`) are kept by generation."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Date, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.unique_sets import keep_unique_sets

FIRST, LAST = ["Ann", "Bob", "Cy", "Di"], ["Lee", "Ray", "Sun"]
STARTS = pd.to_datetime([f"2020-0{m}-01" for m in range(1, 5)])  # 4 x 3 x 4 = 48 sets of names and start


def company(n: int = 40, seed: int = 0) -> RelationalData:
    """employee (first, last, start: UNIQUE, few values) -> salary (employee_id, valid_from:
    UNIQUE, 4 dates) and like (user_id nesting, post_id a reference, its own key: UNIQUE
    (user_id, post_id), 10 posts); nothing repeats in the data."""
    rng = np.random.default_rng(seed)
    sets = rng.choice(len(FIRST) * len(LAST) * len(STARTS), n, replace=False)
    employee = pd.DataFrame(
        {
            "id": range(n),
            "first": [FIRST[s % 4] for s in sets],
            "last": [LAST[(s // 4) % 3] for s in sets],
            "start": STARTS[sets // 12],
        }
    )
    k = rng.integers(1, 4, n)
    salary = pd.DataFrame(
        {
            "id": range(int(k.sum())),
            "employee_id": np.repeat(np.arange(n), k),
            "valid_from": np.concatenate([np.sort(rng.choice(STARTS, j, replace=False)) for j in k]),
            "amount": rng.integers(1, 9, int(k.sum())) * 1000,
        }
    )
    posts = pd.DataFrame({"id": range(10), "topic": ["a", "b"] * 5})
    j = rng.integers(1, 4, n)
    like = pd.DataFrame(
        {
            "id": range(int(j.sum())),
            "user_id": np.repeat(np.arange(n), j),
            "post_id": np.concatenate([rng.choice(10, m, replace=False) for m in j]),
        }
    )
    schema = Schema(
        employee=Table(
            id=PrimaryKey(), first=Categorical(), last=Categorical(), start=Date(), unique=[["first", "last", "start"]]
        ),
        salary=Table(
            id=PrimaryKey(),
            employee_id=ForeignKey(parent="employee"),
            valid_from=Date(),
            amount=Integer(),
            unique=[["employee_id", "valid_from"]],
        ),
        post=Table(id=PrimaryKey(), topic=Categorical()),
        like=Table(
            id=PrimaryKey(),
            user_id=ForeignKey(parent="employee"),
            post_id=ForeignKey(parent="post", nest=False),
            unique=[["user_id", "post_id"]],
        ),
    )
    return RelationalData({"employee": employee, "salary": salary, "post": posts, "like": like}, schema)


def repeats(data: RelationalData) -> dict[str, int]:
    return {
        t: int(data[t][list(u)].dropna().duplicated().sum())
        for t in data.schema.tables
        for u in data.schema.tables[t].unique
    }


def test_declared_unique_sets_are_kept_by_generation(tmp_path, tiny_size, caplog):
    """An untrained model draws names, dates and posts at random: employees repeated their (first,
    last, start), salaries their employee's valid_from, likes their (user_id, post_id). Now none
    does, a warning counting what was changed."""
    data = company()
    assert repeats(data) == {"employee": 0, "salary": 0, "like": 0}
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["references"]["like.post_id"]["unique_pairs"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    with caplog.at_level(logging.WARNING):
        out = TabularModel.load(tmp_path / "model").generate(40, seed=0)
    assert repeats(out) == {"employee": 0, "salary": 0, "like": 0}
    assert len(out["salary"]) > 40 and len(out["like"]) > 0
    assert "repeated (first, last, start), UNIQUE in the source" in caplog.text


def test_declared_unique_sets_are_kept_under_dp(tiny_size):
    """The declaration is schema, public: under DP too, at no privacy cost."""
    data = company()
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(3.0, 1e-5, preproc_share=0.1))
    assert pre.stats["references"]["like.post_id"]["unique_pairs"]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(40, seed=0)
    assert repeats(out) == {"employee": 0, "salary": 0, "like": 0}


def test_a_repeat_with_no_free_value_is_dropped_from_a_leaf_table_and_nudged_to_the_nearest_date(caplog):
    """A salary repeating its employee's date gets the nearest date no row of the employee holds;
    where every date is taken, the row goes (nothing names salaries), said in the warning."""
    schema = company().schema
    dates = pd.to_datetime(["2020-01-01", "2020-02-01", "2020-06-01"])
    salary = pd.DataFrame(
        {
            "id": range(6),
            "employee_id": [0, 0, 1, 1, 1, 1],
            "valid_from": dates[[0, 0, 0, 1, 2, 2]],
            "amount": [1] * 6,
        }
    )
    tables = {"employee": pd.DataFrame({"id": [0, 1]}), "salary": salary}
    with caplog.at_level(logging.WARNING):
        keep_unique_sets(Schema(employee=Table(id=PrimaryKey()), salary=schema.tables["salary"]), tables, None)
    assert tables["salary"]["valid_from"].tolist() == list(dates[[0, 1, 0, 1, 2]])
    assert "2 of 6 generated row(s) repeated (employee_id, valid_from)" in caplog.text
    assert "1 given another valid_from; 1 dropped (no table names its rows)" in caplog.text


def test_a_repeat_of_a_named_row_with_no_free_value_is_moved_by_a_day(caplog):
    """Employees (named by salaries, so none may go) repeating their (first, last, start) where
    every generated value is taken: the start moves by the fewest days that free the set."""
    schema = company().schema
    employee = pd.DataFrame(
        {"id": range(3), "first": ["Ann"] * 3, "last": ["Lee"] * 3, "start": pd.to_datetime(["2020-01-01"] * 3)}
    )
    tables = {"employee": employee, "salary": company()["salary"].iloc[:0]}
    with caplog.at_level(logging.WARNING):
        keep_unique_sets(schema, tables, np.random.default_rng(0))
    assert tables["employee"]["start"].dt.strftime("%m-%d").tolist() == ["01-01", "01-02", "12-31"]
    assert "2 given another start" in caplog.text


def test_a_value_freeing_a_unique_set_keeps_a_check_apart():
    """A league's matches, UNIQUE (round, home) and (round, away), CHECK (home <> away): the rows
    drawn apart (`keep_apart`) then had a repeated home or away team replaced by any free one, so 18
    of 300 generated matches (random teams, as DP's) ended home = away, which to_sql into the
    source's DDL refuses. A value freeing a set is never the one its row's other column of a CHECK holds."""
    from relsynth.relational.data import DIFFERS_FROM, SQL_FORMAT
    from relsynth.synth.tabular.rules.apart_values import keep_apart

    schema = Schema(
        rnd=Table(id=PrimaryKey()),
        match=Table(
            id=PrimaryKey(),
            rnd=ForeignKey(parent="rnd"),
            home=Categorical(),
            away=Categorical(),
            unique=[["rnd", "home"], ["rnd", "away"]],
        ),
    )
    rng = np.random.default_rng(0)
    teams = list("ABCDEF")
    match = pd.DataFrame(
        {
            "id": range(300),
            "rnd": np.repeat(range(100), 3),
            "home": rng.choice(teams, 300),
            "away": rng.choice(teams, 300),
        }
    )
    formats = {"match": {"home": {SQL_FORMAT: {DIFFERS_FROM: ["away"]}}}}
    tables = {"rnd": pd.DataFrame({"id": range(100)}), "match": match}
    keep_apart(schema, tables, formats, rng)
    keep_unique_sets(schema, tables, rng, formats=formats)
    out = tables["match"]
    assert not out.duplicated(["rnd", "home"]).any() and not out.duplicated(["rnd", "away"]).any()
    assert not (out["home"] == out["away"]).any()

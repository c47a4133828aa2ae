"""Columns of values (not keys) a source's CHECK (a <> b) keeps apart are generated apart."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
from shop_data import TINY

from relsynth.relational import Categorical, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.apart_values import keep_apart

DDL = (
    "CREATE TABLE shipment (id INTEGER PRIMARY KEY, ship_from SMALLINT NOT NULL, ship_to SMALLINT NOT NULL, "
    "home TEXT, away TEXT, CHECK (ship_from <> ship_to), CHECK (home <> away));"
)


def test_values_a_check_keeps_apart_are_generated_apart_and_written_into_the_source_ddl(tmp_path: Path, caplog):
    """A model wrote ship_from = ship_to where the source never does (67 of 400 orders of a small
    trained one; DP, which fits no pairs of categories never seen together, also home = away),
    which the source's CHECK (ship_from <> ship_to) refuses: to_sql into the source's DDL stopped
    on them. Such a row's second value is drawn again among the others; the CHECK is public, so
    under DP too."""
    for name in ("src", "target"):
        with sqlite3.connect(tmp_path / f"{name}.sqlite") as con:
            con.executescript(DDL)
    teams = ["ab", "cd", "ef"]
    with sqlite3.connect(tmp_path / "src.sqlite") as con:
        con.executemany(
            "INSERT INTO shipment VALUES (?, ?, ?, ?, ?)",
            [(i, i % 5, (i % 5 + 1 + i % 3) % 6, teams[i % 3], teams[(i + 1) % 3]) for i in range(300)],
        )
    data = RelationalData.from_sql(
        f"sqlite:///{tmp_path / 'src.sqlite'}", overrides={"shipment": {"home": "categorical", "away": "categorical"}}
    )
    assert sorted(data.differing_columns("shipment")) == [("home", "away"), ("ship_from", "ship_to")]
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5))
    with caplog.at_level(logging.WARNING):
        synth = TabularModel.build(pre, size=TINY).generate(n_samples=300, seed=0)
    rows = synth["shipment"]
    assert len(rows) == 300
    assert not (rows["ship_from"] == rows["ship_to"]).any() and not (rows["home"] == rows["away"]).any()
    warned = [r.getMessage() for r in caplog.records]
    assert any("CHECK (ship_from <> ship_to) refuses" in m for m in warned), warned
    assert any("CHECK (home <> away) refuses" in m for m in warned), warned
    synth.to_sql(f"sqlite:///{tmp_path / 'target.sqlite'}", if_exists="append")


def test_a_row_is_left_as_it_is_where_the_column_holds_no_other_value() -> None:
    schema = Schema(t=Table(id=PrimaryKey(), a=Integer(), b=Integer(), c=Categorical()))
    formats = {"t": {"a": {"sql": {"differs_from": ["b"]}}}}
    tables = {"t": pd.DataFrame({"id": [1, 2, 3], "a": [1, 2, None], "b": [1, 1, 1], "c": ["x", "y", "z"]})}
    keep_apart(schema, tables, formats, np.random.default_rng(0))
    assert tables["t"]["b"].tolist() == [1, 1, 1]  # only 1s to draw from: row 0 stays, row 2's NULL passes
    tables = {"t": pd.DataFrame({"id": [1, 2, 3], "a": [1, 2, 3], "b": [1, 3, 2], "c": ["x", "y", "z"]})}
    keep_apart(schema, tables, formats, np.random.default_rng(0), given={"t": ["b"]})
    assert tables["t"]["a"].tolist() != [1, 2, 3] and tables["t"]["b"].tolist() == [1, 3, 2]  # the given one stays


def test_two_keys_to_one_lookup_a_check_keeps_apart_are_generated_apart(tmp_path: Path, caplog):
    """A bill of materials over 30 parts read as a lookup: its parent and child part keys are
    lookup keys, modelled as labels, so neither drawn apart as references are nor kept apart as
    values (keys were skipped): an untrained model linked 1 of 120 parts to itself (a model trained
    10 steps 2 of 123), and to_sql into the source's DDL stopped on its CHECK (parent <> child). A
    lookup's keys are kept apart as other values are."""
    ddl = (
        "CREATE TABLE part (id INTEGER PRIMARY KEY, kind TEXT NOT NULL); CREATE TABLE bom (id INTEGER PRIMARY KEY, "
        "parent INTEGER NOT NULL REFERENCES part(id), child INTEGER NOT NULL REFERENCES part(id), CHECK (parent <> child));"
    )
    for name in ("src", "target"):
        with sqlite3.connect(tmp_path / f"{name}.sqlite") as con:
            con.executescript(ddl)
    with sqlite3.connect(tmp_path / "src.sqlite") as con:
        con.executemany("INSERT INTO part VALUES (?, ?)", [(i, "abc"[i % 3]) for i in range(1, 31)])
        con.executemany(
            "INSERT INTO bom VALUES (?, ?, ?)", [(i, 1 + i % 30, 1 + (i + 1 + i // 30) % 30) for i in range(120)]
        )
    data = RelationalData.from_sql(f"sqlite:///{tmp_path / 'src.sqlite'}", lookups=["part"])
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    with caplog.at_level(logging.WARNING):
        synth = TabularModel.build(pre, size=TINY).generate(n_samples=120, seed=0)
    assert not (synth["bom"]["parent"] == synth["bom"]["child"]).any()
    assert any("CHECK (parent <> child) refuses" in r.getMessage() for r in caplog.records)
    synth.to_sql(f"sqlite:///{tmp_path / 'target.sqlite'}", if_exists="append")

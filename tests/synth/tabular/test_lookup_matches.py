"""Lookup rows chosen to match their row: a goal's scorer plays for one of its match's two teams
(players and teams lookups); drawn as a category of its own, 1,623 of 2,489 goals of a briefly
trained model had a scorer of neither team."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc


def league(n: int = 300, seed: int = 0) -> RelationalData:
    """teams, players (lookups) and matches -> goals, each goal scored by a player of the home or
    the away team."""
    rng = np.random.default_rng(seed)
    teams = pd.DataFrame({"team_id": range(1, 7), "city": list("ABCDEF")})
    players = pd.DataFrame({"player_id": range(1, 31), "team_id": np.repeat(np.arange(1, 7), 5)})
    home = rng.integers(1, 7, n)
    away = (home + rng.integers(1, 6, n) - 1) % 6 + 1
    match = pd.DataFrame({"id": range(n), "home": home, "away": away})
    per_match = rng.integers(0, 4, n)
    at = np.repeat(np.arange(n), per_match)
    side = np.where(rng.random(len(at)) < 0.5, home[at], away[at])
    scorer = (side - 1) * 5 + rng.integers(1, 6, len(at))
    goal = pd.DataFrame({"id": range(len(at)), "match": at, "minute": rng.integers(1, 91, len(at)), "scorer": scorer})
    schema = Schema(
        teams=Table(team_id=PrimaryKey(), city=Categorical()),
        players=Table(player_id=PrimaryKey(), team_id=ForeignKey(parent="teams")),
        match=Table(id=PrimaryKey(), home=ForeignKey(parent="teams"), away=ForeignKey(parent="teams")),
        goal=Table(
            id=PrimaryKey(), match=ForeignKey(parent="match"), minute=Integer(), scorer=ForeignKey(parent="players")
        ),
        lookups=["teams", "players"],
    )
    return RelationalData({"teams": teams, "players": players, "match": match, "goal": goal}, schema)


def strangers(data: RelationalData) -> int:
    g = data["goal"].merge(data["match"], left_on="match", right_on="id", suffixes=("", "_m"))
    g = g.merge(data["players"], left_on="scorer", right_on="player_id")
    return int(((g["team_id"] != g["home"]) & (g["team_id"] != g["away"])).sum())


def test_a_scorer_plays_for_one_of_the_two_teams_of_the_match(tiny_size):
    data = league()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["lookup_matches"] == [
        {"table": "goal", "column": "scorer", "lookup": "players", "via": "team_id", "of": ["home", "away"], "level": 1}
    ]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: scorers drawn at random
    out = model.generate(300, seed=0)
    assert len(out["goal"]) > 100 and out["goal"]["scorer"].nunique() > 20
    assert strangers(out) == 0
    pre.stats["lookup_matches"] = []  # without: the test can tell
    assert strangers(model.generate(300, seed=0)) > 100


def test_no_rule_where_a_row_breaks_it():
    data = league()
    goal = data["goal"].copy()
    m = data["match"].set_index("id")
    row = goal.index[0]
    off = ({1, 2, 3, 4, 5, 6} - {m.loc[goal.loc[row, "match"], "home"], m.loc[goal.loc[row, "match"], "away"]}).pop()
    goal.loc[row, "scorer"] = (off - 1) * 5 + 1  # a scorer of a third team
    broken = RelationalData({**{t: data[t] for t in data.schema.tables}, "goal": goal}, data.schema)
    assert TabularPreproc.from_schema(data.schema).fit(broken).stats["lookup_matches"] == []

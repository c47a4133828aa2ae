"""A round in date order among its season's matches, where the season is a reference (matches nest
under their home club): the model wrote each round on its own and the season was dealt afterwards,
so half of a league's generated pairs of one season's matches had the higher round the earlier date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular._references.ranked import in_date_order, is_ranked


def league(n_seasons: int = 6, seed: int = 0, shuffled: bool = False) -> RelationalData:
    """clubs -> matches (nested under the home club), each naming a season; round r of a season is
    played r - 1 weeks after its first Saturday (or any round: `shuffled`)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_seasons):
        start = pd.Timestamp(f"{2000 + s}-08-05")
        for r in range(1, 15):
            for home in rng.choice(8, 4):  # a club at home twice in a round too: no key swaps for a round
                rows.append((s, r, start + pd.Timedelta(days=7 * (r - 1) + int(rng.integers(0, 2))), home))
    season, rnd, played, club = map(np.array, zip(*rows, strict=True))
    matches = pd.DataFrame(
        {
            "id": range(len(rows)),
            "club": club,
            "season": season,
            "round": rng.permutation(rnd) if shuffled else rnd,
            "played": pd.to_datetime(played),
            "goals": rng.poisson(1.4, len(rows)),
        }
    )
    schema = Schema(
        club=Table(id=PrimaryKey()),
        season=Table(id=PrimaryKey(), year=Integer()),
        matches=Table(
            id=PrimaryKey(),
            club=ForeignKey("club"),
            season=ForeignKey("season"),
            round=Integer(),
            played=Date(),
            goals=Integer(),
        ),
    )
    frames = {
        "club": pd.DataFrame({"id": range(8)}),
        "season": pd.DataFrame({"id": range(n_seasons), "year": 2000 + np.arange(n_seasons)}),
        "matches": matches,
    }
    return RelationalData(frames, schema)


def out_of_order(matches: pd.DataFrame) -> int:
    """Pairs of one season's matches where the later date holds the lower round."""
    broken = 0
    for _, m in matches.groupby("season"):
        day = pd.to_datetime(m["played"]).to_numpy()
        r = m["round"].to_numpy()
        broken += int(((day[:, None] > day[None, :]) & (r[:, None] < r[None, :])).sum())
    return broken


def test_a_round_is_generated_in_date_order_within_its_season(tiny_size):
    pre = TabularPreproc.from_schema(league().schema).fit(league())
    fitted = pre.stats["references"]["matches.season"]
    assert fitted["ranked"] == [["round", "played"]]  # not the goals
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: rounds and dates drawn at random
    synth = model.generate(20, seed=0)
    assert len(synth["matches"]) > 200 and out_of_order(synth["matches"]) == 0
    fitted["ranked"] = []  # without: the test can tell
    assert out_of_order(model.generate(20, seed=0)["matches"]) > 1000


def test_no_rank_where_rounds_are_any_date_of_the_season():
    pre = TabularPreproc.from_schema(league().schema).fit(league(shuffled=True))
    assert pre.stats["references"]["matches.season"]["ranked"] == []


def test_a_label_constant_within_a_group_is_no_evidence():
    group = np.repeat(np.arange(10), 5)
    at = np.tile(np.arange(5.0), 10)
    assert not is_ranked(group, at, group.astype(float))  # each season's own number: never out of order
    assert is_ranked(group, at, at + 1)


def test_labels_given_again_in_date_order_within_each_key():
    keys = pd.Series([1, 1, 2, 1, None, 2])
    at = np.array([30.0, 10.0, 5.0, 20.0, 0.0, 1.0])
    label = pd.Series([1, 2, 7, 3, 9, 4])
    assert in_date_order(keys, at, label).tolist() == [3, 1, 7, 2, 9, 4]

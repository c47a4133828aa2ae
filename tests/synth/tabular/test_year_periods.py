"""A date within the period a year of its referenced row names: a match played in its season
(`seasons.year`, August of the year to May of the next); the key was dealt with no regard to the
date, so only ~10 % of a league's generated matches lay in the season they named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc


def league(n_seasons: int = 10, seed: int = 0, in_season: bool = True) -> RelationalData:
    """clubs -> matches (nested under the home club), each naming a season whose `year` holds its date
    (1 August of the year to 31 May of the next), or any season (`in_season` False)."""
    rng = np.random.default_rng(seed)
    seasons = pd.DataFrame({"id": range(n_seasons), "year": 2000 + np.arange(n_seasons)})
    n = 40 * n_seasons
    season = rng.integers(0, n_seasons, n)
    start = pd.to_datetime((2000 + season).astype(str) + "-08-01")
    date = start + pd.to_timedelta(rng.integers(0, 300, n), "D")
    matches = pd.DataFrame(
        {
            "id": range(n),
            "club": rng.integers(0, 8, n),
            "season": season if in_season else rng.integers(0, n_seasons, n),
            "played": date,
            "goals": rng.poisson(1.4, n),
        }
    )
    schema = Schema(
        club=Table(id=PrimaryKey()),
        season=Table(id=PrimaryKey(), year=Integer()),
        matches=Table(
            id=PrimaryKey(), club=ForeignKey("club"), season=ForeignKey("season"), played=Date(), goals=Integer()
        ),
    )
    frames = {"club": pd.DataFrame({"id": range(8)}), "season": seasons, "matches": matches}
    return RelationalData(frames, schema)


def in_named_season(data: RelationalData) -> tuple[float, int]:
    """Of the matches whose date lies in some season, the share naming that season, and their count."""
    m, s = data["matches"], data["season"]
    played = pd.to_datetime(m["played"])
    belongs = np.where(played.dt.month >= 8, played.dt.year, played.dt.year - 1)  # Aug..May: its season's year
    in_some = (played.dt.month.isin([6, 7]) == False) & pd.Series(belongs).isin(s["year"]).to_numpy()  # noqa: E712
    named = m["season"].map(s.set_index("id")["year"]).to_numpy()
    return float((named[in_some] == belongs[in_some]).mean()), int(in_some.sum())


def test_a_match_names_the_season_its_date_lies_in(tiny_size):
    data = league()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    fitted = pre.stats["references"]["matches.season"]
    [[column, year, least, most]] = fitted["year_periods"]
    assert (column, year) == ("played", "year")
    # 1 August (day 212 of a common year, 213 of a leap one), then up to 299 days on: 212 to 512 days,
    # rounded outwards to 10 days (a tenth of the width, at most)
    assert pd.Timedelta(least, "ns").days == 210 and pd.Timedelta(most, "ns").days == 520
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: dates and degrees drawn at random
    share, held = in_named_season(model.generate(30, seed=0))  # 0.99 (339 matches)
    assert held > 200 and share > 0.95
    fitted["year_periods"] = None  # without: the test can tell
    share, held = in_named_season(model.generate(30, seed=0))  # 0.17
    assert held > 200 and share < 0.5


def test_the_window_stores_no_match_s_own_date():
    """The stored window is rounded outwards: it holds every match's gap from 1 January of its
    season's year, and neither side is one match's exact gap (one match's exact date)."""
    data = league()
    [[_, _, least, most]] = (
        TabularPreproc.from_schema(data.schema).fit(data).stats["references"]["matches.season"]["year_periods"]
    )
    year = data["matches"]["season"].map(data["season"].set_index("id")["year"])
    gap = (data["matches"]["played"] - pd.to_datetime(year.astype(str) + "-01-01")).to_numpy().astype(np.int64)
    assert least <= gap.min() and most >= gap.max()
    assert least not in set(gap.tolist()) and most not in set(gap.tolist())


def test_no_period_where_a_match_names_any_season():
    pre = TabularPreproc.from_schema(league().schema).fit(league(in_season=False))
    assert pre.stats["references"]["matches.season"]["year_periods"] == []


def test_no_period_for_a_window_of_years():
    """A hire 19 to 60 years after the birth year is a lag, not the period one year names."""
    data = league()
    frame = data["matches"].copy()
    frame["played"] += pd.to_timedelta(np.random.default_rng(1).integers(0, 40 * 365, len(frame)), "D")
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({**data.data, "matches": frame}, data.schema))
    assert pre.stats["references"]["matches.season"]["year_periods"] == []

"""A date within the period a year of its referenced row names: a match played in its season
(`seasons.year`, August of the year to May of the next); the key was dealt with no regard to the
date, so only ~10 % of a league's generated matches lay in the season they named."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular._references.periods import covering_years


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
    [[column, year, least, most, distinct]] = fitted["year_periods"]
    assert (column, year, distinct) == ("played", "year", True)
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
    [[_, _, least, most, _]] = (
        TabularPreproc.from_schema(data.schema).fit(data).stats["references"]["matches.season"]["year_periods"]
    )
    year = data["matches"]["season"].map(data["season"].set_index("id")["year"])
    gap = (data["matches"]["played"] - pd.to_datetime(year.astype(str) + "-01-01")).to_numpy().astype(np.int64)
    assert least <= gap.min() and most >= gap.max()
    assert least not in set(gap.tolist()) and most not in set(gap.tolist())


def in_some_season(data: RelationalData) -> float:
    """The share of matches whose date lies in the period of some season's year (August to May)."""
    played = pd.to_datetime(data["matches"]["played"])
    belongs = np.where(played.dt.month >= 8, played.dt.year, played.dt.year - 1)
    return float((~played.dt.month.isin([6, 7]) & pd.Series(belongs).isin(data["season"]["year"])).mean())


def test_the_generated_seasons_years_are_those_of_their_matches_dates(tiny_size):
    """Seasons are root rows drawn apart from their matches: their years repeated and missed the
    matches' dates, so no dealing of keys could put a match in a season of its date."""
    pre = TabularPreproc.from_schema(league().schema).fit(league())
    torch.manual_seed(0)
    synth = TabularModel.build(pre, size=tiny_size).generate(20, seed=0)  # 11 seasons, 397 matches
    years = synth["season"]["year"]
    assert years.is_unique  # before: 2005, 2006 (three times) and 2008 repeated
    assert in_some_season(synth) > 0.85  # 0.92 (the untrained model's June and July dates in none); before: 0.59


def test_years_of_the_most_dates_given_in_the_generated_order():
    years = pd.Series([2001, 2001, 2005, None], dtype="Int64")
    covered = covering_years(years, Counter({2003: 5, 2004: 2}))  # two rows for 2003 and 2004 ...
    assert covered.tolist() == [2001, 2003, 2004, pd.NA]  # ... the third its own year, free; the missing one stays
    fewer = covering_years(years.iloc[:2], Counter({2003: 5, 2010: 1, 2004: 2}))
    assert fewer.tolist() == [2003, 2004]  # the years of the most dates


def test_repeated_years_are_left_as_drawn():
    """Two divisions a year: a season is not the one row of its year, so its year is not set by its matches."""
    data = league()
    seasons = pd.concat([data["season"], data["season"].assign(id=data["season"]["id"] + 100)], ignore_index=True)
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({**data.data, "season": seasons}, data.schema))
    [[*_, distinct]] = pre.stats["references"]["matches.season"]["year_periods"]
    assert distinct is False


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

"""Categories never equal to an earlier one of their row: a flight's origin and destination."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc

AIRPORTS = ["JFK", "LHR", "CDG", "FRA"]


def flights(n: int = 300, seed: int = 0) -> RelationalData:
    """flights with two keys to the airport lookup, never the same airport, and a gate and a
    terminal drawn independently from one set of labels (they meet by chance)."""
    rng = np.random.default_rng(seed)
    legs = np.array([rng.choice(len(AIRPORTS), 2, replace=False) for _ in range(n)])
    labels = ["A", "B", "C"]
    flight = pd.DataFrame(
        {
            "id": range(n),
            "origin": np.array(AIRPORTS)[legs[:, 0]],
            "destination": np.array(AIRPORTS)[legs[:, 1]],
            "gate": rng.choice(labels, n),
            "terminal": rng.choice(labels, n),
            "seats": rng.integers(50, 300, n),
        }
    )
    airport = pd.DataFrame({"iata": AIRPORTS, "country": ["US", "UK", "FR", "DE"]})
    schema = Schema(
        airport=Table(iata=PrimaryKey(), country=Categorical()),
        flight=Table(
            id=PrimaryKey(),
            origin=ForeignKey(parent="airport"),
            destination=ForeignKey(parent="airport"),
            gate=Categorical(),
            terminal=Categorical(),
            seats=Integer(),
        ),
        lookups=["airport"],
    )
    return RelationalData({"airport": airport, "flight": flight}, schema)


def test_a_column_never_equal_to_an_earlier_one_is_generated_so(tmp_path, tiny_size):
    """An untrained model draws the destination at random (about 1 in 4 the origin); no generated
    flight lands where it took off, and the columns that meet by chance stay free to."""
    data = flights()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats.get("distinct") == [{"table": "flight", "column": "destination", "of": "origin"}]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(400, seed=0)["flight"]
    assert len(out) == 400 and (out["origin"].astype(str) == out["destination"].astype(str)).sum() == 0
    assert out["origin"].notna().all() and out["destination"].notna().all()
    assert (out["origin"].astype(str) != out["destination"].astype(str)).all()
    assert out["destination"].nunique() == len(AIRPORTS)
    assert (out["gate"].astype(str) == out["terminal"].astype(str)).any()


def test_never_equal_by_chance_is_not_kept():
    """Twenty rows of four values each side, never equal: chance would give five equal rows, so
    kept; among columns of mostly different values (one equal row expected), nothing is."""
    data = flights(n=20)
    pre = TabularPreproc.from_schema(data.schema, min_count=1).fit(data)
    assert [d["column"] for d in pre.stats["distinct"]] == ["destination"]
    rare = data["flight"].copy()
    rare["destination"] = np.where(np.arange(20) < 19, "XXX", rare["destination"])
    airport = pd.concat([data["airport"], pd.DataFrame({"iata": ["XXX"], "country": ["ZZ"]})], ignore_index=True)
    pre = TabularPreproc.from_schema(data.schema, min_count=1).fit(
        RelationalData({"airport": airport, "flight": rare}, data.schema)
    )
    assert pre.stats["distinct"] == []


def routes(n_airports: int = 12, seed: int = 0) -> RelationalData:
    """airports -> flights nested under their origin, the destination a reference to another airport."""
    rng = np.random.default_rng(seed)
    airport = pd.DataFrame({"iata": range(n_airports), "size": rng.choice(["hub", "regional"], n_airports)})
    origin = np.repeat(np.arange(n_airports), rng.integers(5, 20, n_airports))
    shift = rng.integers(1, n_airports, len(origin))
    flight = pd.DataFrame({"id": range(len(origin)), "origin": origin, "destination": (origin + shift) % n_airports})
    schema = Schema(
        airport=Table(iata=PrimaryKey(), size=Categorical()),
        flight=Table(id=PrimaryKey(), origin=ForeignKey(parent="airport"), destination=ForeignKey(parent="airport")),
    )
    return RelationalData({"airport": airport, "flight": flight}, schema)


def test_a_reference_never_naming_the_rows_parent_is_drawn_so(tiny_size):
    """Airports synthesised: a flight nests under its origin and names its destination among the
    generated airports, about one in 6 its own origin when drawn at random; now none (swapped with
    another flight's destination, so each airport is named as often)."""
    data = routes()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["references"]["flight.destination"]["apart"] == ["origin"]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(6, seed=0)["flight"]
    assert len(out) > 20 and out["destination"].notna().all()
    assert (out["origin"] != out["destination"]).all()


def prerequisites(n_courses: int = 200, seed: int = 0) -> RelationalData:
    """courses -> prerequisites (a link table of course pairs, nested under the course), each a
    course of a lower level: never the course itself, though with 200 courses chance would rarely
    pair one with itself (0.3 rows), too rarely for `never_equal`."""
    rng = np.random.default_rng(seed)
    level = rng.integers(1, 5, n_courses)
    course = pd.DataFrame({"id": range(n_courses), "level": level * 100})
    pairs = {
        (c, int(p))
        for c in range(n_courses)
        for p in rng.choice(np.flatnonzero(level < level[c]), min(2, int((level < level[c]).sum())), replace=False)
    }
    link = pd.DataFrame(sorted(pairs), columns=["course_id", "prereq_id"])
    schema = Schema(
        course=Table(id=PrimaryKey(), level=Integer()),
        prerequisite=Table(course_id=ForeignKey(parent="course"), prereq_id=ForeignKey(parent="course")),
    )
    return RelationalData({"course": course, "prerequisite": link}, schema)


def test_a_link_never_pairing_a_row_with_itself_is_drawn_so():
    """A course was its own prerequisite in 6 of 715 generated links (5 seeds), as drawn: the data
    never pairs a course with itself, but chance over 200 courses would give 0.3 such rows, so the
    rule was not read. Keys to one table, never equal in `MIN_PAIRS` rows, are now kept apart."""
    data = prerequisites()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["references"]["prerequisite.prereq_id"]["apart"] == ["course_id"]
    for seed in range(5):
        out = pre.inverse_transform(pre.transform(data), seed=seed)["prerequisite"]
        assert len(out) > 100 and (out["course_id"] != out["prereq_id"]).all(), seed


def leagues(n: int = 30, seed: int = 0, games: tuple[int, int] = (30, 50)) -> RelationalData:
    """leagues -> teams, leagues -> matches (`games`: 30-50 each) between two different teams of the league:
    the home and away keys are references kept within the league, the away team never the home one."""
    rng = np.random.default_rng(seed)
    league = pd.DataFrame({"id": range(n), "level": rng.choice(["pro", "amateur"], n)})
    team_league = np.repeat(np.arange(n), rng.integers(4, 8, n))
    played = []
    for lg in range(n):
        teams = np.flatnonzero(team_league == lg)
        played += [(lg, *rng.choice(teams, 2, replace=False)) for _ in range(rng.integers(*games))]
    m = np.array(played)
    schema = Schema(
        league=Table(id=PrimaryKey(), level=Categorical()),
        team=Table(id=PrimaryKey(), league=ForeignKey(parent="league")),
        match=Table(
            id=PrimaryKey(),
            league=ForeignKey(parent="league"),
            home=ForeignKey(parent="team"),
            away=ForeignKey(parent="team"),
        ),
    )
    frames = {
        "league": league,
        "team": pd.DataFrame({"id": range(len(team_league)), "league": team_league}),
        "match": pd.DataFrame({"id": range(len(m)), "league": m[:, 0], "home": m[:, 1], "away": m[:, 2]}),
    }
    return RelationalData(frames, schema)


def test_an_away_team_swapped_off_the_home_team_stays_in_its_league(tiny_size):
    """The away key, drawn within the match's league, was swapped off the home team with any other
    match's, of any league: 376 of 562 generated matches had an away team of another league where
    172 had such a home team (leagues given no team by an untrained model); swaps now stay within
    the league, so only those."""
    data = leagues()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    fitted = pre.stats["references"]["match.away"]
    assert (fitted["within"], fitted["apart"]) == ("league", ["home"])
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(20, seed=0)
    match, league_of = out["match"], out["team"].set_index("id")["league"]
    away_out = league_of.reindex(match["away"]).to_numpy() != match["league"].to_numpy()
    home_out = league_of.reindex(match["home"]).to_numpy() != match["league"].to_numpy()
    assert len(match) > 100 and home_out.sum() < len(match) / 2
    assert not (away_out & ~home_out).any()


def test_teams_never_meeting_themselves_within_a_league_are_found_with_few_matches():
    """300 matches among 165 teams: drawn at random over all teams, about 2 would pit a team against
    itself, too few to read 'never' from, so the away key was not kept apart (32 of 162 generated
    matches had one team twice); drawn as the data's are, within their league of 4-7 teams, about 50
    would, which the fit now counts."""
    data = leagues(games=(5, 15))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    fitted = pre.stats["references"]["match.away"]
    assert (fitted["within"], fitted["apart"]) == ("league", ["home"])


def test_a_ban_leaving_no_token_keeps_the_rows_logits(tiny_size):
    """A hub: flights from B all go to A, flights from A to 150 airports each too rare for a token
    of its own, so A is the destination's one category; banned after origin A (never equal), it left
    nothing to draw and generation stopped ('a row of logits allows no token'); the row now keeps
    its logits, as a row whose siblings took every label does."""
    rng = np.random.default_rng(0)
    origin = rng.choice(["A", "B"], 300)
    rare = np.array([f"X{i}" for i in rng.integers(0, 5000, 300)])
    flight = pd.DataFrame({"id": range(300), "origin": origin, "destination": np.where(origin == "B", "A", rare)})
    schema = Schema(flight=Table(id=PrimaryKey(), origin=Categorical(), destination=Categorical()))
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"flight": flight}, schema))
    assert pre.stats["distinct"] == [{"table": "flight", "column": "destination", "of": "origin"}]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(100, seed=0)["flight"]
    assert len(out) == 100 and (out["origin"].astype(str) == "A").any()


def test_ranks_never_repeated_in_a_row_are_generated_so(tmp_path, tiny_size):
    """A survey's ranking question: five items ranked 1 to 5, integers, each row a permutation.
    Only categories were read for this: a trained model ranked two items alike in 76 of 2,000
    generated rows (an untrained one in most); now none, and a score alike by chance stays free."""
    rng = np.random.default_rng(0)
    ranks = np.array([rng.permutation(5) + 1 for _ in range(300)])
    frame = pd.DataFrame({"id": range(300), **{f"rank_{i}": ranks[:, i] for i in range(5)}})
    frame["score"] = rng.integers(1, 6, 300)  # meets rank_0 about one row in five
    schema = Schema(r=Table(id=PrimaryKey(), score=Integer(), **{f"rank_{i}": Integer() for i in range(5)}))
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"r": frame}, schema))
    assert len(pre.stats["distinct"]) == 10 and all(r["of"] != "score" for r in pre.stats["distinct"])
    torch.manual_seed(0)
    TabularModel.build(pre, size=tiny_size).save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(300, seed=0)["r"]
    assert (out[[f"rank_{i}" for i in range(5)]].nunique(axis=1) == 5).all()
    assert (out["score"] == out["rank_0"]).any()

"""A label held once at most under a row above the parent, and by every such row of some labels:
a sold listing's one accepted offer, its offers nested under its viewings."""

from __future__ import annotations

import pandas as pd
import torch
from test_flagged_copies import listings

from relsynth.relational import RelationalData, Schema
from relsynth.synth import TabularModel, TabularPreproc


def _accepted_per_listing(data) -> tuple:
    """(accepted offers per sold listing with offers, per other listing with offers)."""
    offer = data["offer"].assign(listing=data["offer"]["viewing"].map(data["viewing"].set_index("id")["listing"]))
    accepted = offer["accepted"].astype(bool).groupby(offer["listing"]).sum()
    sold = accepted.index.map(data["listing"].set_index("id")["status"]).to_numpy() == "sold"
    return accepted[sold], accepted[~sold]


def test_a_label_held_once_under_each_row_further_up_of_some_labels(tiny_size):
    """Under a viewing an offer is alone, so nothing kept a listing's offers from two accepted or
    none: an untrained model's sold listings held 0 to 3 (68 of 94 not one). Now every generated
    sold listing with offers holds exactly one accepted offer, and no other listing any."""
    data = listings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(200, seed=0)
    sold, other = _accepted_per_listing(out)
    assert len(sold) > 30 and (sold == 1).all()
    assert len(other) > 5 and (other == 0).all()
    (rule,) = pre.stats["ancestor_once_labels"]
    assert (rule["table"], rule["column"], rule["value"], rule["ancestor"]) == ("offer", "accepted", "True", "listing")
    assert rule["exactly_by"] == ["status", ["sold"]] and rule["last"]


def test_a_label_repeated_under_some_rows_further_up_takes_no_rule():
    data = listings()
    offer = data["offer"]
    listing = offer["viewing"].map(data["viewing"].set_index("id")["listing"])
    twice = listing[listing.duplicated(keep=False)].index[:12]  # a few listings with every offer accepted
    offer.loc[twice, "accepted"] = True
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["ancestor_once_labels"] == []


def test_rows_above_read_once_a_table(monkeypatch):
    """Each row above's rows are read once per table, not once per column and value (TPC-H sf 0.1's
    600k line items were mapped to their customers and sorted again for each of 14 labels): the
    same rule, with the keys of the listing above read once."""
    from relsynth.synth.tabular.rules import ancestor_once

    calls = []
    read = ancestor_once.ancestor_keys
    monkeypatch.setattr(ancestor_once, "ancestor_keys", lambda *a: calls.append(a[2:]) or read(*a))
    data = listings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    (rule,) = pre.stats["ancestor_once_labels"]
    assert (rule["table"], rule["column"], rule["value"], rule["ancestor"]) == ("offer", "accepted", "True", "listing")
    assert calls.count(("offer", "listing")) == 1


def _releases() -> RelationalData:
    """Users, their repos, the repos' releases: each repo tags v0.1.0, v0.2.0 and on to v0.3.0 to
    v0.5.0, once each; 40 users own one repo each, 3 own a second whose tags go on from v0.2.0 (no
    user holds v0.1.0 twice, only because no second repo starts there)."""
    users, repos, releases = [], [], []
    for u in range(1, 44):
        users.append({"id": u, "login": f"user{u}"})
        for first in [1] if u <= 40 else [1, 2]:
            repos.append({"id": len(repos) + 1, "owner_id": u})
            for minor in range(first, 3 + u % 4):
                releases.append({"id": len(releases) + 1, "repo_id": len(repos), "tag": f"v0.{minor}.0"})
    db = {"users": pd.DataFrame(users), "repos": pd.DataFrame(repos), "releases": pd.DataFrame(releases)}
    schema = Schema.infer(
        db,
        primary_keys={"users": "id", "repos": "id", "releases": "id"},
        foreign_keys={"repos": {"owner_id": "users"}, "releases": {"repo_id": "repos"}},
    )
    return RelationalData(data=db, schema=schema)


def test_a_label_once_under_its_parent_takes_no_rule_further_up_from_its_siblings_alone():
    """A repo tags each version once, so a user's releases repeat no tag of one repo: chance counted
    those pairs too (a version 27 of 319 releases held kept once a user, 5.6 repeats by chance, 2.4
    of them across a user's repos), and decoding wrote the commonest other tag over the value where
    a user held it again: a repo's releases v0.3.0, v0.2.1, v0.3.0. Here v0.1.0, once a repo, is
    never twice under a user only by chance (3 users of two repos); no rule keeps it so."""
    data = _releases()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [r["value"] for r in pre.stats["ancestor_once_labels"]] == []

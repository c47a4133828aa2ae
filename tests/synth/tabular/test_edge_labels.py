"""Labels kept to or off the first and last of a parent's rows: an order's events start with
`created` and only there, `cancelled` and `refunded` end them; drawn not knowing whether more rows
follow, a briefly trained model started an order with `paid` and wrote `delivered` after `cancelled`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, ForeignKey, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularModel, TabularPreproc

PATHS = [
    ["created", "paid", "shipped", "delivered"],
    ["created", "paid", "shipped", "shipped", "delivered"],  # in two parcels: a state may repeat
    ["created", "cancelled"],
    ["created", "paid", "refunded"],
]


def event_log(n: int = 300, seed: int = 0, shuffle: bool = False) -> RelationalData:
    """orders -> events through a state machine, stored in their order (or shuffled: no order)."""
    rng = np.random.default_rng(seed)
    rows = [(o, state) for o in range(n) for state in PATHS[int(rng.choice(4, p=[0.3, 0.2, 0.25, 0.25]))]]
    events = pd.DataFrame(rows, columns=["order", "state"])
    if shuffle:
        events = events.sample(frac=1, random_state=0).reset_index(drop=True)
    events.insert(0, "id", range(len(events)))
    orders = pd.DataFrame({"id": range(n), "channel": rng.choice(["web", "app"], n)})
    schema = Schema(
        orders=Table(id=PrimaryKey(), channel=Categorical()),
        events=Table(id=PrimaryKey(), order=ForeignKey(parent="orders"), state=Categorical()),
    )
    return RelationalData({"orders": orders, "events": events}, schema)


def off_place(data: RelationalData) -> int:
    """Events holding a start state past their order's first row, or an end state before its last."""
    events = data["events"].sort_values("id")
    k = events.groupby("order").cumcount()
    n = events.groupby("order")["id"].transform("size")
    state = events["state"].astype(str)
    return int(((state == "created") & (k > 0)).sum() + (state.isin(["cancelled", "refunded"]) & (k < n - 1)).sum())


def test_start_and_end_states_are_generated_at_their_place(tiny_size):
    data = event_log()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    (rule,) = pre.stats["edge_labels"]
    assert rule["only_first"] == ["created"] and sorted(rule["only_last"]) == ["cancelled", "delivered", "refunded"]
    assert "created" in rule["never_last"] and "paid" in rule["never_first"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: states drawn at random
    out = model.generate(300, seed=0)
    first = out["events"].sort_values("id").groupby("order")["state"].first().astype(str)
    assert off_place(out) == 0 and (first == "created").mean() > 0.95  # a single row is first and last
    pre.stats["edge_labels"] = []  # without: the test can tell
    assert off_place(model.generate(300, seed=0)) > 100


def test_no_places_where_the_rows_are_stored_in_no_order_or_under_dp():
    data = event_log(shuffle=True)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["edge_labels"] == []
    dp = TabularPreproc.from_schema(data.schema).fit(event_log(), dp=DpBudget(3.0, 1e-5))
    assert dp.stats.get("edge_labels", []) == []


def subscriptions(n: int = 300, seed: int = 0) -> RelationalData:
    """users -> 1-4 subscriptions, stored in order; every one closed but the last, which is
    `active` (60 %), `paused` (20 %) or `closed` (20 %)."""
    rng = np.random.default_rng(seed)
    user = np.repeat(np.arange(n), rng.integers(1, 5, n))
    last = np.r_[user[1:] != user[:-1], True]
    status = np.where(last, rng.choice(["active", "paused", "closed"], len(user), p=[0.6, 0.2, 0.2]), "closed")
    subs = pd.DataFrame({"id": range(len(user)), "user": user, "status": status})
    users = pd.DataFrame({"id": range(n), "country": rng.choice(["DE", "US"], n)})
    schema = Schema(
        users=Table(id=PrimaryKey(), country=Categorical()),
        subs=Table(id=PrimaryKey(), user=ForeignKey(parent="users"), status=Categorical()),
    )
    return RelationalData({"users": users, "subs": subs}, schema)


def test_a_label_only_the_last_row_holds_is_drawn_there_at_the_datas_share(tiny_size):
    """`active` and `paused` are held by a user's last subscription only, but the model does not
    tell a last row: banned before it and left as drawn in it, an untrained model made 28-29 % of the
    generated last subscriptions active (a trained one, 10 epochs: 89-96 of 300 for the data's
    189). Each is now drawn there at the data's share of last rows."""
    data = subscriptions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    shares = pre.stats["edge_labels"][0]["last_shares"]
    assert sorted(shares) == ["active", "paused"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    for seed in (0, 1):
        subs = model.generate(300, seed=seed)["subs"].sort_values("id")
        last = subs.groupby("user")["status"].last().astype(str)
        for label, share in shares.items():
            assert abs((last == label).mean() - share) < 0.1, (seed, label)
        before = subs[subs.duplicated("user", keep="last")]["status"].astype(str)
        assert before.isin(["closed"]).all()  # still never before the last


def test_labels_counted_at_a_place_as_crosstab():
    """A column's labels are coded once for both places and counted on and off each: the labels
    kept to and off a place are those a crosstab of the labels' text and the place gives."""
    from relsynth.synth.tabular.encoders import label_texts
    from relsynth.synth.tabular.rules.edge_labels import CHANCE, MIN_ROWS, _coded, _kept_to

    rng = np.random.default_rng(0)
    at = rng.random(3_000) < 0.3
    values = pd.Series(np.where(at, rng.choice(["start", "both"], 3_000), rng.choice(["mid", "both", "7"], 3_000)))
    values[rng.random(3_000) < 0.05] = None
    labels = label_texts(values)
    held = pd.notna(labels)
    counts = pd.crosstab(pd.Series(labels[held].astype(str)), pd.Series(at[held]))
    share = float(at[held].mean())
    only = [c for c in counts.index if counts.at[c, False] == 0 and counts.at[c, True] >= MIN_ROWS and share ** counts.at[c, True] < CHANCE]  # fmt: skip
    never = [c for c in counts.index if counts.at[c, True] == 0 and counts.at[c, False] >= MIN_ROWS and (1 - share) ** counts.at[c, False] < CHANCE]  # fmt: skip
    assert (only, never) == (["start"], ["7", "mid"])
    assert _kept_to(_coded(labels), at, ["7", "both", "mid", "start", "unseen"]) == (only, never)

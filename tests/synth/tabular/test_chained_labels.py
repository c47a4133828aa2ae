"""A label that the previous sibling holds at another column: a leg's origin depot is the previous
leg's destination, so a shipment's legs make one chain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import RelationalData, Schema
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular import _generate as generation


def legs(n: int = 120, seed: int = 0, chained: bool = True) -> RelationalData:
    """shipments -> legs (leg_no, from, to: a 10-depot lookup; from: the previous leg's to where `chained`)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(1, n + 1):
        at = int(rng.integers(1, 11))
        for k in range(1, int(rng.integers(1, 6)) + 1):
            to = int((at + rng.integers(1, 10) - 1) % 10 + 1)  # never `at`
            rows.append((s, k, at, to))
            at = to if chained else int(rng.integers(1, 11))
    frames = {
        "depots": pd.DataFrame({"id": range(1, 11), "city": [f"city {i}" for i in range(1, 11)]}),
        "shipments": pd.DataFrame({"id": range(1, n + 1), "weight": rng.gamma(2, 300, n).round(1)}),
        "legs": pd.DataFrame(rows, columns=["shipment_id", "leg_no", "from_depot", "to_depot"]),
    }
    schema = Schema.infer(
        frames,
        primary_keys={"depots": "id", "shipments": "id"},
        foreign_keys={"legs": {"shipment_id": "shipments", "from_depot": "depots", "to_depot": "depots"}},
        lookups=["depots"],
    )
    return RelationalData(frames, schema)


def broken(data: RelationalData) -> int:
    """Legs starting elsewhere than where the shipment's previous leg (by leg_no) ended."""
    t = data["legs"].sort_values(["shipment_id", "leg_no"])
    previous = t.groupby("shipment_id")["to_depot"].shift(1)
    held = previous.notna()
    return int((t["from_depot"][held] != previous[held]).sum())


def test_a_legs_origin_is_the_previous_legs_destination(tiny_size):
    """An untrained model started 214 of 241 later legs elsewhere (the depot drawn at random);
    masked to the previous leg's destination, none."""
    data = legs()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["chained_labels"] == [{"table": "legs", "column": "from_depot", "of": "to_depot"}]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    out = model.generate(120, seed=0)
    assert len(out["legs"]) > 200 and broken(out) == 0
    pre.stats["chained_labels"] = []  # without: the test can tell
    assert broken(model.generate(120, seed=0)) > 50


def test_no_rule_for_legs_starting_anywhere_or_under_dp():
    assert TabularPreproc.from_schema(legs().schema).fit(legs(chained=False)).stats["chained_labels"] == []
    dp = TabularPreproc.from_schema(legs().schema).fit(legs(), dp=DpBudget(3.0, 1e-5))
    assert dp.stats.get("chained_labels", []) == []


def status_changes(n: int = 150, seed: int = 0) -> RelationalData:
    """tickets -> changes (from_status, to_status): open and pending in turn from `open`, then for most
    tickets `solved` and, for half of those, `closed`: a change from `solved` is only ever a last row."""
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(1, n + 1):
        path = ["pending", "open"] * int(rng.integers(0, 3))
        path += ["solved", "closed"][: int(rng.choice([0, 1, 2], p=[0.2, 0.4, 0.4]))]
        at = "open"
        for k, to in enumerate(path or ["pending"], start=1):
            rows.append((t, k, at, to))
            at = to
    frames = {
        "tickets": pd.DataFrame({"id": range(1, n + 1), "channel": rng.choice(["email", "chat"], n)}),
        "changes": pd.DataFrame(rows, columns=["ticket_id", "seq", "from_status", "to_status"]),
    }
    schema = Schema.infer(frames, primary_keys={"tickets": "id"}, foreign_keys={"changes": {"ticket_id": "tickets"}})
    return RelationalData(frames, schema)


def broken_changes(data: RelationalData) -> int:
    """Changes from another status than the one the ticket's previous change (by seq) went to."""
    t = data["changes"].sort_values(["ticket_id", "seq"])
    previous = t.groupby("ticket_id")["to_status"].shift(1)
    held = previous.notna()
    return int((t["from_status"][held] != previous[held]).sum())


def test_a_label_the_next_rows_place_bans_is_not_chained_into_it(tiny_size, monkeypatch):
    """A change `to solved` two rows or more before a ticket's last forces the next row `from solved`,
    which only a last row holds (`edge_labels`): one mask gave way, and 10 to 11 % of a trained
    model's steps broke the chain. Such a label is banned where the next row's place bans what it
    chains to (`chained_ahead`)."""
    data = status_changes()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["chained_labels"] == [{"table": "changes", "column": "from_status", "of": "to_status"}]
    edges = {r["column"]: r for r in pre.stats["edge_labels"] if r["table"] == "changes"}
    assert edges["from_status"]["only_last"] == ["solved"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    out = model.generate(150, seed=0)
    assert len(out["changes"]) > 300 and broken_changes(out) == 0
    monkeypatch.setattr(
        generation, "MASK_PRECEDENCE", tuple(k for k in generation.MASK_PRECEDENCE if k != "chained_ahead")
    )
    assert broken_changes(model.generate(150, seed=0)) > 5  # without: the test can tell

"""Dates ordered from a date that decoding moves afterwards move with it: a return stays 0-30 days
after its receipt when the receipt's date is moved on or after its store's opening."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import ForeignKey, RelationalData, Schema
from relsynth.synth import TabularModel, TabularPreproc


def retail(seed: int = 0) -> RelationalData:
    """stores -> receipts (a reference: each issued 0-700 days after its store opened) -> lines ->
    returns (each 0-30 days after its line's receipt)."""
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 2500, 12), "D")
    stores = pd.DataFrame({"store_id": range(1, 13), "opened_on": opened.strftime("%Y-%m-%d")})
    store = rng.integers(1, 13, 300)
    issued = opened[store - 1] + pd.to_timedelta(rng.integers(0, 700 * 24, 300), "h")
    receipts = pd.DataFrame(
        {"receipt_id": range(1, 301), "store_id": store, "issued_at": issued.strftime("%Y-%m-%d %H:%M:%S")}
    )
    receipt = np.repeat(np.arange(1, 301), rng.integers(1, 4, 300))
    lines = pd.DataFrame(
        {"line_id": range(1, len(receipt) + 1), "receipt_id": receipt, "quantity": rng.integers(1, 9, len(receipt))}
    )
    returned = lines.sample(frac=0.3, random_state=seed).sort_values("line_id")
    at = issued[returned["receipt_id"].to_numpy() - 1].normalize() + pd.to_timedelta(
        rng.integers(0, 31, len(returned)), "D"
    )
    returns = pd.DataFrame(
        {"return_id": range(1, len(returned) + 1), "line_id": returned["line_id"].to_numpy(), "returned_at": at}
    )
    returns["returned_at"] = returns["returned_at"].dt.strftime("%Y-%m-%d")
    frames = {"stores": stores, "receipts": receipts, "receipt_lines": lines, "returns": returns}
    keys = {"stores": "store_id", "receipts": "receipt_id", "receipt_lines": "line_id", "returns": "return_id"}
    links = {"receipts": {"store_id": "stores"}, "receipt_lines": {"receipt_id": "receipts"},
             "returns": {"line_id": "receipt_lines"}}  # fmt: skip
    return RelationalData(frames, Schema.infer(frames, primary_keys=keys, foreign_keys=links))


def days_after_receipt(synth: RelationalData) -> pd.Series:
    """Each generated return's days after its receipt's day."""
    rows = synth["returns"].merge(synth["receipt_lines"], on="line_id").merge(synth["receipts"], on="receipt_id")
    issued = pd.to_datetime(rows["issued_at"]).dt.normalize()
    return (pd.to_datetime(rows["returned_at"]) - issued).dt.days


def test_a_return_stays_after_its_receipt_when_the_receipt_is_moved_after_its_store_opened(tiny_size):
    data = retail()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["reference_sides"]  # a receipt on or after its store's opening, kept once stores are drawn
    synth = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)  # untrained: stores at random
    opened = synth["stores"].set_index("store_id")["opened_on"].reindex(synth["receipts"]["store_id"])
    assert (pd.to_datetime(synth["receipts"]["issued_at"]).to_numpy() >= pd.to_datetime(opened).to_numpy()).all()
    gaps = days_after_receipt(synth)
    assert len(gaps) and gaps.between(0, 30).all(), gaps[~gaps.between(0, 30)].tolist()


def trials(seed: int = 0) -> RelationalData:
    """trials -> sites; participants name a site (a reference), each consenting 0-200 days after its
    site's trial started (the site holds no date); visits under a participant, the first 3 days
    before to 19 after the consent, the rest weeks after it."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 2500, 12), "D")
    trial_rows = pd.DataFrame({"trial_id": range(1, 13), "start_date": start})
    site_trial = np.repeat(np.arange(1, 13), rng.integers(2, 5, 12))
    sites = pd.DataFrame({"site_id": range(1, len(site_trial) + 1), "trial_id": site_trial})
    site = rng.integers(1, len(sites) + 1, 300)
    consent = start[site_trial[site - 1] - 1] + pd.to_timedelta(rng.integers(0, 201, 300), "D")
    people = pd.DataFrame({"participant_id": range(1, 301), "site_id": site, "consent_date": consent})
    who = np.repeat(np.arange(1, 301), 3)
    first = consent[who - 1] + pd.to_timedelta(rng.integers(-3, 20, len(who)), "D")
    visit_date = first + pd.to_timedelta(np.tile([0, 28, 56], 300), "D")
    visits = pd.DataFrame({"visit_id": range(1, len(who) + 1), "participant_id": who, "visit_date": visit_date})
    frames = {"trials": trial_rows, "sites": sites, "participants": people, "visits": visits}
    keys = {"trials": "trial_id", "sites": "site_id", "participants": "participant_id", "visits": "visit_id"}
    links = {"sites": {"trial_id": "trials"}, "participants": {"site_id": "sites"},
             "visits": {"participant_id": "participants"}}  # fmt: skip
    schema = Schema.infer(
        frames,
        primary_keys=keys,
        foreign_keys=links,
        overrides={"participants": {"site_id": ForeignKey("sites", nest=False)}},
    )
    return RelationalData(frames, schema)


def gaps_from_consent(synth: RelationalData) -> pd.Series:
    """Each generated visit's days from its participant's consent, by visit key."""
    rows = synth["visits"].merge(synth["participants"], on="participant_id").set_index("visit_id")
    return (pd.to_datetime(rows["visit_date"]) - pd.to_datetime(rows["consent_date"])).dt.days.sort_index()


def test_a_consent_stays_after_its_sites_trial_started_and_its_visits_move_with_it(tiny_size):
    data = trials()
    assert data.schema.parent("participants") is None  # the site is a reference: no nesting orders the consent
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["column"], r["low"]) for r in pre.stats["reference_sides"]] == [("consent_date", "trials.start_date")]
    torch.manual_seed(0)  # untrained: consents at random; some weights draw no site at all
    model = TabularModel.build(pre, size=tiny_size)
    synth = model.generate(120, seed=0)
    rows = synth["participants"].merge(synth["sites"].merge(synth["trials"], on="trial_id"), on="site_id")
    assert len(rows) and (pd.to_datetime(rows["consent_date"]) >= pd.to_datetime(rows["start_date"])).all()
    pre.stats["reference_sides"] = []  # nothing moved: the visits' gaps from their consent as drawn
    drawn = model.generate(120, seed=0)
    pd.testing.assert_series_equal(gaps_from_consent(synth), gaps_from_consent(drawn))

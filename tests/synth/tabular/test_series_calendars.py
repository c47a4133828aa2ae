"""A series' stepped date gets a calendar label the model reads (`series_calendars`): written as steps
from the previous sibling's date, the date's place in the calendar was unknown to the row's other
columns (a Walmart-like panel's temperature followed the season at 0.29, the data's 0.85)."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Date, ForeignKey, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import DpBudget, TabularDataset, TabularModel, TabularPreproc, TabularTrainer
from relsynth.synth.core.transformer import ModelSize
from relsynth.synth.tabular import _generate
from relsynth.synth.tabular.rules import series_calendars
from relsynth.synth.tabular.rules.date_parts import part_token

PROMO_MONTHS = [2, 5, 8, 11]


def _stations(n: int = 40, weeks: int = 52, freq: str = "7D") -> RelationalData:
    """Stations' weekly readings over a year, from one of 8 first weeks on, stored in any order, each
    labelled `promo` in the months of `PROMO_MONTHS` (a label of the date's month: no part of it)."""
    rng = np.random.default_rng(0)
    rows = []
    for s in range(n):
        days = pd.date_range(
            pd.Timestamp("2015-01-05") + pd.Timedelta(weeks=int(rng.integers(0, 8))), periods=weeks, freq=freq
        )
        rows.append(pd.DataFrame({"station_id": s, "week": days, "kind": _kinds(pd.Series(days))}))
    readings = pd.concat(rows, ignore_index=True).sample(frac=1, random_state=0).reset_index(drop=True)
    readings.insert(0, "id", range(len(readings)))
    schema = Schema(
        station=Table(id=PrimaryKey(), region=Categorical()),
        reading=Table(id=PrimaryKey(), station_id=ForeignKey(parent="station"), week=Date(), kind=Categorical()),
    )
    stations = pd.DataFrame({"id": range(n), "region": rng.choice(["n", "s"], n)})
    return RelationalData({"station": stations, "reading": readings}, schema)


def _kinds(days: pd.Series) -> np.ndarray:
    return np.where(days.dt.month.isin(PROMO_MONTHS), "promo", "regular")


def test_a_series_rows_read_the_month_of_their_stepped_date():
    """Trained briefly, a model that never saw the dates (only each week's step) labelled 91 % of
    the generated weeks as their month says; reading the month's label beside the date, 99 %."""
    data = _stations()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.layouts["reading"].fields == ["week", "week@yyyymm", "kind"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=ModelSize(n_layers=1, h=2, d=16), block_size=128)
    ds = TabularDataset.from_data(data, pre, block_size=128)
    TabularTrainer(model).train(ds, n_epochs=3, batch_size=8, lr=1e-2, progress=False)
    out = model.generate(40, seed=0, progress=False)["reading"]
    assert list(out.columns) == list(data.schema.tables["reading"].columns)  # the label stays inside
    assert len(out) > 1000 and (out["kind"].to_numpy() == _kinds(out["week"])).mean() > 0.97


def test_generation_sets_the_label_from_the_date_the_steps_give(tiny_size, monkeypatch):
    """An untrained model's label would be any month: generation sets it from the date its series'
    steps give (`date_parts.stepped_parts`), and decoding leaves it out of the tables."""
    data = _stations(n=20, weeks=30)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    set_labels = []

    def spy(parts, table, rule, ns):
        token = part_token(parts, table, rule, ns)
        if rule["column"] == "week@yyyymm" and token is not None:
            set_labels.append((pd.Timestamp(ns), token))
        return token

    monkeypatch.setattr(_generate, "part_token", spy)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(10, seed=0)["reading"]
    assert out.columns.tolist() == ["id", "station_id", "week", "kind"]
    j, tokens = pre.label_tokens("reading", "week@yyyymm")
    label = {t: text for text, t in tokens.items()}
    assert len(set_labels) > 10 and all(label[t] == f"{d.year}{d.month:02d}" for d, t in set_labels)


def test_no_label_for_short_or_sparse_series_nor_under_dp():
    """A label of one or two months says little, nor one a month's rows seldom share (monthly
    steps); a DP fit reads no orders, so it adds none."""
    assert not TabularPreproc.from_schema((d := _stations(weeks=5)).schema).fit(d).stats["series_calendars"]
    sparse = _stations(weeks=12, freq="35D")
    assert not TabularPreproc.from_schema(sparse.schema).fit(sparse).stats["series_calendars"]
    data = _stations()
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(3.0, 1e-5, preproc_share=0.1))
    assert not pre.stats.get("series_calendars") and "week@yyyymm" not in pre.layouts["reading"].fields


def test_a_model_saved_with_or_without_labels_loads_and_generates_as_before(tiny_size, tmp_path, monkeypatch):
    data = _stations(n=20, weeks=30)
    for name, found in (("with", series_calendars.find_series_calendars), ("older", lambda pre, data: [])):
        monkeypatch.setattr("relsynth.synth.tabular.preproc.find_series_calendars", found)
        pre = TabularPreproc.from_schema(data.schema).fit(data)
        if name == "older":  # saved before the labels: no stats entry, no field
            del pre.stats["series_calendars"]
        torch.manual_seed(0)
        model = TabularModel.build(pre, size=tiny_size)
        model.save(tmp_path / name)
        again = TabularModel.load(tmp_path / name)
        assert ("week@yyyymm" in again.preproc.layouts["reading"].fields) == (name == "with")
        pd.testing.assert_frame_equal(model.generate(10, seed=0)["reading"], again.generate(10, seed=0)["reading"])


def _opened_stations(n: int = 24, days: int = 90) -> RelationalData:
    """Stations' daily readings, each station's from a few days after its own opening (a date of the
    station row, over two years): the readings' dates are counted from the parent's date."""
    rng = np.random.default_rng(1)
    opened = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    rows = []
    for s in range(n):
        start = opened[s] + pd.Timedelta(days=int(rng.integers(0, 12)))
        day = pd.date_range(start, periods=days, freq="D")
        rows.append(pd.DataFrame({"station_id": s, "day": day, "kind": _kinds(pd.Series(day))}))
    readings = pd.concat(rows, ignore_index=True)
    readings.insert(0, "id", range(len(readings)))
    schema = Schema(
        station=Table(id=PrimaryKey(), opened=Date()),
        reading=Table(id=PrimaryKey(), station_id=ForeignKey(parent="station"), day=Date(), kind=Categorical()),
    )
    stations = pd.DataFrame({"id": range(n), "opened": opened})
    return RelationalData({"station": stations, "reading": readings}, schema)


def test_a_series_counted_from_its_parents_date_reads_its_month(tiny_size, monkeypatch):
    """A station's days counted from its opening (a parent's date, binned: no token says where in
    the year it lies) got no month label, so a model never saw the season (a weather series' July as
    cold as its January). Now they get one: generation draws the opening within its token's bin and
    sets the labels from it, and decoding draws the opening again where the labels put the first day."""
    data = _opened_stations()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.layouts["reading"].fields[:2] == ["day", "day@yyyymm"]
    parsed = {}
    decode = _generate.decode_parsed

    def spy(pre_, p, *args, **kwargs):
        parsed["p"] = p
        return decode(pre_, p, *args, **kwargs)

    monkeypatch.setattr(_generate, "decode_parsed", spy)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(24, seed=0)
    days = out["reading"]
    assert days.columns.tolist() == ["id", "station_id", "day", "kind"]  # the label stays inside
    j, tokens = pre.label_tokens("reading", "day@yyyymm")
    label = {t: text for text, t in tokens.items()}
    headers = np.stack(parsed["p"].headers["reading"])
    first = ~pd.Series(parsed["p"].parents["reading"]).duplicated().to_numpy()
    assert len(days) == len(headers) and first.sum() > 10
    written = [label.get(int(t)) for t in headers[first, j]]
    decoded = days["day"][first].dt.strftime("%Y%m").tolist()
    assert np.mean([w == d for w, d in zip(written, decoded, strict=True)]) > 0.9


def test_a_first_day_counted_from_its_parents_date_is_drawn_from_the_generations_seed(tiny_size, monkeypatch):
    """The opening a station's first day counts from is drawn within its token's bin: the draws came
    from a generator seeded 0 whatever the generation's seed, so every generation put its k-th first
    day at the same place in its bin. Now they follow the seed: other seeds draw other offsets, the
    same seed the same tables."""
    data = _opened_stations()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.layouts["reading"].fields[:2] == ["day", "day@yyyymm"]
    first_draws = []
    stepped_parts = _generate.stepped_parts

    def spy(*args, **kwargs):
        parts = stepped_parts(*args, **kwargs)
        assert parts.parent_bases == {"reading": 0}  # the day counted from the station's opening
        first_draws.append(copy.deepcopy(parts.rng).random(8))  # the draws this generation will make
        return parts

    monkeypatch.setattr(_generate, "stepped_parts", spy)
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    a, b, again = (model.generate(24, seed=s) for s in (0, 1, 1))
    assert len(first_draws) == 3
    assert not np.array_equal(first_draws[0], first_draws[1])
    np.testing.assert_array_equal(first_draws[1], first_draws[2])
    for t in ("station", "reading"):
        pd.testing.assert_frame_equal(b[t], again[t])
    assert (
        a["reading"].groupby("station_id")["day"].min().tolist()
        != b["reading"].groupby("station_id")["day"].min().tolist()
    )

"""A number that never goes down from one of a parent's rows to the next in time (a meter's
cumulative energy, an odometer) is modelled as its increase over the previous sibling's value, so
generated siblings never go down either: drawn one by one, half the steps of every generated meter
went down."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from relsynth.eval.orders import order_scores
from relsynth.relational import (
    Column,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.relational.orders import running_numbers
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.orderings import from_offsets


def meters(n: int = 40, seed: int = 0, dips: int = 0) -> RelationalData:
    """devices -> 5-15 readings each, every 15 minutes from a start, stored shuffled: a cumulative
    `energy` from a random start (kWh, 3 decimals; `dips` readings set below the previous one), a
    `count` of events so far (an integer) and a `temp` in no order."""
    rng = np.random.default_rng(seed)
    dev = np.repeat(np.arange(n), rng.integers(5, 16, n))
    rank = pd.Series(dev).groupby(dev).cumcount().to_numpy()
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "h")
    energy = rng.uniform(0, 5_000, n)[dev] + pd.Series(rng.gamma(2.0, 0.5, len(dev))).groupby(dev).cumsum().to_numpy()
    reading = pd.DataFrame(
        {
            "id": range(len(dev)),
            "device": dev,
            "ts": start[dev] + pd.to_timedelta(15 * rank, "min"),
            "energy": energy.round(3),
            "count": pd.Series(rng.integers(0, 3, len(dev))).groupby(dev).cumsum().to_numpy(),
            "temp": rng.normal(20, 5, len(dev)).round(1),
        }
    )
    later = np.flatnonzero(rank > 0)[:dips]
    reading.loc[later, "energy"] = reading["energy"].to_numpy()[later - 1] - 1.0
    schema = Schema(
        device=Table(id=PrimaryKey()),
        reading=Table(
            id=PrimaryKey(),
            device=ForeignKey(parent="device"),
            ts=Datetime(),
            energy=Numeric(),
            count=Integer(),
            temp=Numeric(),
        ),
    )
    shuffled = reading.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    return RelationalData({"device": pd.DataFrame({"id": range(n)}), "reading": shuffled}, schema)


def stays(sticky: bool, n: int = 200, seed: int = 0) -> pd.DataFrame:
    """patients -> 1-5 stays a month apart; `died` 1 on the last stay of 30 % of patients only, or
    (`sticky`) a flag that stays 1 from a random stay on (a diagnosis so far)."""
    rng = np.random.default_rng(seed)
    patient = np.repeat(np.arange(n), rng.integers(1, 6, n))
    rank = pd.Series(patient).groupby(patient).cumcount().to_numpy()
    last = np.append(patient[1:] != patient[:-1], True)
    if sticky:
        died = pd.Series((rng.random(len(patient)) < 0.2).astype(int)).groupby(patient).cummax().to_numpy()
    else:
        died = (last & (rng.random(len(patient)) < 0.3)).astype(int)
    admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(30 * rank + patient, "D")
    return pd.DataFrame({"patient": patient, "admitted": admitted, "died": died})


def test_a_flag_that_rises_on_a_parents_last_row_only_is_no_running_number():
    """A stay's died flag is 0, then 1 on the patient's last stay only: it never goes down, but each
    rise ends the series, a label of the last row, not a count so far. Modelled as the increase, a
    small model's first 1 was carried to every later stay (8 deaths in a row of one generated patient
    of a hospital database). A flag that stays 1 from a stay on rises mid-series too, and runs."""
    kinds = {"admitted": Column.DATETIME, "died": Column.INTEGER}
    assert running_numbers(stays(sticky=False), "patient", "admitted", ["died"], kinds) == []
    assert running_numbers(stays(sticky=True), "patient", "admitted", ["died"], kinds) == ["died"]


def downs(reading: pd.DataFrame, column: str) -> int:
    """Steps of `column` that go down from one reading of a device to the next, in time order."""
    s = reading.sort_values(["device", "ts"], kind="stable")
    return int((s.groupby("device")[column].diff() < 0).sum())


def test_numbers_that_never_go_down_across_siblings_are_found():
    kinds = {"ts": Column.DATETIME, "energy": Column.NUMERIC, "count": Column.INTEGER, "temp": Column.NUMERIC}
    reading = meters()["reading"]
    assert running_numbers(reading, "device", "ts", ["ts", "energy", "count", "temp"], kinds) == ["energy", "count"]
    dipped = meters(dips=1)["reading"]  # one step down: no running number
    assert running_numbers(dipped, "device", "ts", ["energy", "count"], kinds) == ["count"]
    few = reading[reading["device"] == 0]  # fewer than 20 steps
    assert running_numbers(few, "device", "ts", ["energy", "count"], kinds) == []


def test_a_running_number_is_modelled_as_its_increase_and_never_goes_down():
    data = meters()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    energy, count = pre.orderings["reading"]["energy"], pre.orderings["reading"]["count"]
    assert energy.after_sibling and energy.origin == data["reading"]["energy"].min() and not energy.integer
    assert count.after_sibling and count.integer and "temp" not in pre.orderings["reading"]
    assert list(pre.orderings["reading"])[0] == "ts"  # the key decoded first
    back = pre.inverse_transform(pre.transform(data), seed=1)["reading"]
    assert len(back) == len(data["reading"]) and downs(back, "energy") == 0 and downs(back, "count") == 0
    rng = np.random.default_rng(0)  # any increases, as a model may write them: never down, on the grid
    siblings = np.repeat(np.arange(30), rng.integers(1, 12, 30))
    cols = {
        "ts": pd.Series(rng.exponential(900, len(siblings))),
        "energy": pd.Series(rng.exponential(3.0, len(siblings))),
        "count": pd.Series(rng.exponential(1.0, len(siblings))),
    }
    from_offsets(cols, pre.orderings["reading"], None, siblings)
    generated = pd.DataFrame({"device": siblings, **cols})
    assert downs(generated, "energy") == 0 and downs(generated, "count") == 0
    assert (generated["energy"] == generated["energy"].round(3)).all() and generated["count"].dtype == "Int64"
    assert generated["energy"].min() >= data["reading"]["energy"].min()


def test_the_report_measures_running_numbers_across_siblings():
    train, test, synth = meters(seed=0), meters(seed=1), meters(seed=2, dips=10)
    rows = {o["order"]: o for o in order_scores(train, test, synth)["orders"] if o["across"] == "sibling"}
    assert rows["energy >= previous energy"]["kept_ceiling"] == 1.0
    assert 0.9 < rows["energy >= previous energy"]["kept"] < 1.0 and rows["count >= previous count"]["kept"] == 1.0


def test_a_running_number_keeps_its_level_through_the_encoding():
    """A meter's level (0 to 5,000 kWh) and its steps (about 1 kWh) shared one slot: the levels fell
    in its top bin, and encoding and decoding alone moved a device's first reading by hundreds of kWh
    and made steps of thousands; the first reading is now held as the step of its quantile."""
    data = meters(n=120)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    back = pre.inverse_transform(pre.transform(data), seed=1)["reading"]

    def first(r: pd.DataFrame) -> pd.Series:
        return r.sort_values(["device", "ts"]).groupby("device")["energy"].first()

    moved = np.abs(np.sort(first(back)) - np.sort(first(data["reading"])))  # keys are drawn anew: by rank
    assert np.median(moved) < 50 and moved.max() < 400
    steps = back.sort_values(["device", "ts"]).groupby("device")["energy"].diff().dropna()
    assert steps.max() < 5 * data["reading"].sort_values(["device", "ts"]).groupby("device")["energy"].diff().max()


def test_a_running_number_on_a_coarse_grid_keeps_its_level_through_the_encoding():
    """A meter read to 0.1 kWh: its steps (about 1 kWh) repeat at many of the quantiles its first
    readings are mapped onto, so the levels were left in one slot with the steps, and encoding and
    decoding alone made steps of hundreds of kWh (an IoT database's meters: levels of median 0.5
    kWh generated, 22 real). Ties among the steps' quantiles are spread up to the next value."""
    data = meters(n=120)
    reading = data["reading"].assign(energy=data["reading"]["energy"].round(1))
    data = RelationalData({"device": data["device"], "reading": reading}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    back = pre.inverse_transform(pre.transform(data), seed=1)["reading"]

    def first(r: pd.DataFrame) -> pd.Series:
        return r.sort_values(["device", "ts"]).groupby("device")["energy"].first()

    moved = np.abs(np.sort(first(back)) - np.sort(first(reading)))  # keys are drawn anew: by rank
    assert np.median(moved) < 40 and moved.max() < 400
    steps = back.sort_values(["device", "ts"]).groupby("device")["energy"].diff().dropna()
    assert steps.max() < 2 * reading.sort_values(["device", "ts"]).groupby("device")["energy"].diff().max()
    assert pre.orderings["reading"]["energy"].first_quantiles is not None  # the levels mapped onto the steps


def test_new_meters_at_zero_keep_their_levels_through_the_encoding():
    """A fifth of the meters new, their first reading 0 kWh, the others at any level: the first
    readings' quantiles repeat, so the levels were left in one slot with the steps, and encoding
    and decoding alone moved them by a median of 86 kWh and made steps of 900 kWh. Ties among the
    first readings' quantiles are spread as the steps' are; the new meters still start at 0."""
    data = meters(n=120)
    reading = data["reading"].copy()
    first = reading.sort_values(["device", "ts"]).groupby("device")["energy"].first()
    new = reading["device"].isin(first.index[np.random.default_rng(1).random(len(first)) < 0.2])
    reading.loc[new, "energy"] = (reading["energy"] - reading["device"].map(first))[new].round(3)
    data = RelationalData({"device": data["device"], "reading": reading}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    back = pre.inverse_transform(pre.transform(data), seed=1)["reading"]

    def firsts(r: pd.DataFrame) -> pd.Series:
        return r.sort_values(["device", "ts"]).groupby("device")["energy"].first()

    moved = np.abs(np.sort(firsts(back)) - np.sort(firsts(reading)))  # keys are drawn anew: by rank
    assert np.median(moved) < 40 and (firsts(back) == 0).sum() == (firsts(reading) == 0).sum() > 10
    steps = back.sort_values(["device", "ts"]).groupby("device")["energy"].diff().dropna()
    assert steps.max() < 2 * reading.sort_values(["device", "ts"]).groupby("device")["energy"].diff().max()


def epoch_meters(n: int = 40) -> RelationalData:
    """`meters` with its time as epoch seconds (an integer every 900), stored in time order, and no date."""
    data = meters(n)
    reading = data["reading"].sort_values(["device", "ts"]).reset_index(drop=True)
    reading["ts"] = (reading["ts"] - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    columns = {**data.schema.tables["reading"].columns, "ts": Integer()}
    schema = Schema(device=data.schema.tables["device"], reading=Table(columns=columns))
    return RelationalData({"device": data["device"], "reading": reading}, schema)


def test_epoch_seconds_are_the_time_of_rows_holding_no_date():
    """IoT readings timed in epoch seconds (an integer, no date column): no sibling key was found,
    so neither the time nor the cumulative meter was an order; generated, 5 % of a device's steps
    went back in time or stood still, 9 % were the 5 minutes of every real step, and the meter went
    down in half of them. A number the stored rows follow under every parent, in sequence, is
    their time where they hold no date: the readings' key, the meter summed in its order."""
    data = epoch_meters()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.sibling_keys == {"reading": "ts"}
    ts, energy = pre.orderings["reading"]["ts"], pre.orderings["reading"]["energy"]
    assert ts.after_sibling and not ts.dated and ts.integer and energy.after_sibling
    back = pre.inverse_transform(pre.transform(data), seed=1)["reading"]
    assert downs(back, "energy") == 0 and downs(back, "count") == 0
    steps = back.groupby("device")["ts"].diff().dropna()
    assert (steps > 0).all() and back["ts"].dtype == "Int64"
    # a number a parent's rows do not follow in stored order (shuffled) is no time: no key, as before
    shuffled = data["reading"].sample(frac=1.0, random_state=0).reset_index(drop=True)
    pre = TabularPreproc.from_schema(data.schema).fit(RelationalData({**data.data, "reading": shuffled}, data.schema))
    assert pre.sibling_keys == {}


def test_an_ordered_integer_is_decoded_on_the_step_its_values_share():
    """Epoch seconds every 900 (`epoch_meters`): the readings' time, summed from its first value's
    offset from the column's least, was decoded on a grid of 1 second, so a device whose first
    offset the model drew between two bins had every reading off the 15-minute grid (31 % of
    generated readings off the 5-minute grid of an IoT database). An ordered integer is decoded on
    the step every value of its column lies on, as its encoder draws it."""
    data = epoch_meters()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["reading"]["ts"].grid == 900.0 and pre.orderings["reading"]["count"].grid == 1.0
    rng = np.random.default_rng(0)  # any offsets, as a model may write them
    siblings = np.repeat(np.arange(30), rng.integers(1, 12, 30))
    cols = {
        "ts": pd.Series(rng.exponential(900, len(siblings))),
        "energy": pd.Series(rng.exponential(3.0, len(siblings))),
        "count": pd.Series(rng.exponential(1.0, len(siblings))),
    }
    from_offsets(cols, pre.orderings["reading"], None, siblings)
    assert (cols["ts"] % 900 == 0).all()


def numbered_versions(n: int = 300, seed: int = 0) -> RelationalData:
    """customers -> 1-5 versions each, valid from a date, numbered 1..n in that order."""
    rng = np.random.default_rng(seed)
    cust = np.repeat(np.arange(n), rng.integers(1, 6, n))
    rank = pd.Series(cust).groupby(cust).cumcount().to_numpy()
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    versions = pd.DataFrame(
        {
            "id": range(len(cust)),
            "customer": cust,
            "valid_from": start[cust] + pd.to_timedelta(90 * rank + rng.integers(0, 60, len(cust)), "D"),
            "version_no": rank + 1,
        }
    )
    schema = Schema(
        customer=Table(id=PrimaryKey()),
        version=Table(
            id=PrimaryKey(), customer=ForeignKey(parent="customer"), valid_from=Datetime(), version_no=Integer()
        ),
    )
    return RelationalData({"customer": pd.DataFrame({"id": range(n)}), "version": versions}, schema)


def misnumbered(data: RelationalData) -> int:
    """Customers whose versions, in order of their date, are not numbered 1, 2, ..., n."""
    v = data["version"].sort_values(["customer", "valid_from", "id"])
    expected = v.groupby("customer").cumcount() + 1
    return int(v.loc[v["version_no"].to_numpy() != expected.to_numpy(), "customer"].nunique())


def test_a_version_number_counts_its_rows_from_one(tiny_size):
    data = numbered_versions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    o = pre.orderings["version"]["version_no"]
    assert (o.first_fixed, o.step_fixed) == (0.0, 1.0)  # from its origin 1, by ones
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: first offsets and steps drawn at random
    assert misnumbered(model.generate(300, seed=0)) == 0
    pre.orderings["version"]["version_no"] = replace(o, first_fixed=None, step_fixed=None)  # without: the test can tell
    # ... nor the numbering of siblings 1..n (`sibling_numbers`), which sets such a column too since cbef409
    assert [r["column"] for r in pre.stats["sibling_numbers"]] == ["version_no"]
    pre.stats["sibling_numbers"] = []
    assert misnumbered(model.generate(300, seed=0)) > 50


def test_a_meter_keeps_its_drawn_steps():
    o = TabularPreproc.from_schema(meters().schema).fit(meters()).orderings["reading"]["energy"]
    assert (o.first_fixed, o.step_fixed) == (None, None)


def test_a_running_number_on_a_decimal_grid_decodes_to_its_own_values():
    """A level that never goes down (0.3, 0.3, 0.5, ...) is held as its step over the previous one, the
    first as its offset over the least value (0.2): 0.3 - 0.2 is 0.09999999999999998, and back 0.2 +
    that is 0.29999999999999993, which the grid's floor took to 0.2. A plain encode/decode (the school
    database's assessment weights) turned every first 0.3 into 0.2."""
    rng = np.random.default_rng(0)
    sizes = rng.integers(3, 6, 120)
    enrol = np.repeat(np.arange(120), sizes)
    rank = pd.Series(enrol).groupby(enrol).cumcount().to_numpy() + 1
    steps = np.where(rank == 1, rng.choice([0.2, 0.3], len(enrol)), rng.choice([0.0, 0.1, 0.2], len(enrol)))
    weights = pd.Series(steps).groupby(enrol).cumsum().round(1).to_numpy()
    schema = Schema(
        enrolments=Table(id=PrimaryKey()),
        grades=Table(
            id=PrimaryKey(), enrolment_id=ForeignKey(parent="enrolments"), assessment=Integer(), weight=Numeric()
        ),
    )
    data = RelationalData(
        {
            "enrolments": pd.DataFrame({"id": np.arange(120)}),
            "grades": pd.DataFrame(
                {"id": np.arange(len(enrol)), "enrolment_id": enrol, "assessment": rank, "weight": weights}
            ),
        },
        schema,
    )
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert pre.orderings["grades"]["weight"].after_sibling  # held as steps over the previous weight
    back = pre.inverse_transform(pre.transform(data), seed=0)["grades"].sort_values("id")
    assert np.allclose(back["weight"].to_numpy(float), weights)

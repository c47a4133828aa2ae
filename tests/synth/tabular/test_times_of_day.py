"""Times of day within hours: timestamps the data holds between 07:00 and 18:00 only are generated there."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, Datetime, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.times_of_day import day_times, kept_in_order, on_weekdays, weekdays, within_hours


def stamps(rng, n: int, first_hour: int = 7, last_hour: int = 17) -> pd.Series:
    """`n` timestamps over two years, on whole minutes between `first_hour`:00 and `last_hour`:59."""
    days = pd.to_timedelta(rng.integers(0, 700, n), "D")
    minutes = pd.to_timedelta(rng.integers(first_hour * 60, (last_hour + 1) * 60, n), "min")
    return pd.Series(pd.Timestamp("2023-01-01") + days + minutes)


def outside(values: pd.Series, first_hour: int = 7, last_hour: int = 17) -> float:
    hours = pd.to_datetime(values).dt.hour
    return float(((hours < first_hour) | (hours > last_hour)).mean())


def one_table(at: pd.Series, **more) -> RelationalData:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"id": range(1, len(at) + 1), "at": at, "x": rng.normal(size=len(at)), **more})
    kinds = {c: Datetime() for c in more}
    return RelationalData({"t": df}, Schema(t=Table(id=PrimaryKey(), at=Datetime(), x=Numeric(), **kinds)))


def test_timestamps_within_opening_hours_are_generated_within_them():
    data = one_table(stamps(np.random.default_rng(0), 500))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [found] = pre.stats["times_of_day"]
    first, last = pd.to_datetime(data["t"]["at"]).dt.time.agg(["min", "max"])
    assert (found["column"], found["grid"]) == ("at", 60) and (first.hour, last.hour) == (7, 17)
    assert found["quantiles"][0] == 7 * 3600 and found["quantiles"][-1] == last.hour * 3600 + last.minute * 60
    synth = pre.inverse_transform(pre.transform(data), seed=0)["t"]
    assert outside(synth["at"]) == 0 and (pd.to_datetime(synth["at"]).dt.second == 0).all()
    hours = pd.to_datetime(synth["at"]).dt.hour
    assert hours.min() == 7 and hours.max() == 17 and hours.nunique() == 11  # spread over the hours, not piled up
    pre.stats["times_of_day"] = []  # without: the test can tell
    assert outside(pre.inverse_transform(pre.transform(data), seed=0)["t"]["at"]) > 0.3


def test_movements_each_after_the_one_before_keep_their_order_and_hours():
    rng = np.random.default_rng(2)
    line = np.repeat(np.arange(1, 81), rng.integers(3, 12, 80))  # lines of 3 to 11 movements
    start = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 2000, 80), "D")
    days = pd.Series(rng.integers(0, 20, len(line))).groupby(line).cumsum().to_numpy()  # each after the one before
    minutes = rng.integers(7 * 60, 18 * 60, len(line))
    at = start[line - 1] + pd.to_timedelta(days, "D") + pd.to_timedelta(minutes, "min")
    at = pd.Series(at).groupby(line).transform(lambda s: s.sort_values().to_numpy())
    moves = pd.DataFrame({"id": range(1, len(line) + 1), "line": line, "at": at, "qty": rng.normal(size=len(line))})
    schema = Schema(
        line=Table(id=PrimaryKey()),
        move=Table(id=PrimaryKey(), line=ForeignKey("line"), at=Datetime(), qty=Numeric()),
    )
    data = RelationalData({"line": pd.DataFrame({"id": range(1, 81)}), "move": moves}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert pre.orderings["move"]["at"].after_sibling and [f["column"] for f in pre.stats["times_of_day"]] == ["at"]
    synth = pre.inverse_transform(pre.transform(data), seed=0)["move"]
    assert outside(synth["at"]) == 0
    assert (synth.groupby("line")["at"].diff().dropna() >= pd.Timedelta(0)).all()
    pre.stats["times_of_day"] = []  # without: summed from gaps, the times fall all over the day
    assert outside(pre.inverse_transform(pre.transform(data), seed=0)["move"]["at"]) > 0.3


def test_no_window_for_times_all_over_the_day_nor_for_a_timestamp_counted_from_one_in_hours():
    """A shipment counted from its order, placed in hours, by a time: its times are the order's and
    the offset's (the order's window is kept as the orders are decoded, before the shipment reads it)."""
    rng = np.random.default_rng(3)
    assert (
        TabularPreproc.from_schema((d := one_table(stamps(rng, 300, 0, 23))).schema).fit(d).stats["times_of_day"] == []
    )
    placed = stamps(rng, 300)
    data = one_table(placed, shipped=placed + pd.to_timedelta(rng.integers(60, 600, 300), "min"))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["t"]["shipped"].base == "at"
    assert [(f["column"], f.get("early")) for f in pre.stats["times_of_day"]] == [("at", True)]
    synth = pre.inverse_transform(pre.transform(data), seed=0)["t"]
    assert outside(synth["at"]) == 0 and (synth["shipped"] >= synth["at"]).all()


def bookings(n: int = 400, seed: int = 5) -> RelationalData:
    """Bookings of a room on weekdays, starting on the quarter hour between 08:00 and 17:45, each
    made 10 minutes to 10 days before it (any time of day or week) and lasting 15 minutes to 2 hours."""
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2025-01-06") + pd.to_timedelta(rng.integers(0, 26, n) // 5 * 7 + rng.integers(0, 5, n), "D")
    start = pd.Series(days + pd.to_timedelta(15 * rng.integers(32, 72, n), "min"))
    created = start - pd.to_timedelta(rng.integers(600, 864_000, n), "s")
    end = start + pd.to_timedelta(15 * rng.integers(1, 9, n), "min")
    df = pd.DataFrame({"id": range(1, n + 1), "created": created, "start": start, "end": end})
    return RelationalData(
        {"b": df}, Schema(b=Table(id=PrimaryKey(), created=Datetime(), start=Datetime(), end=Datetime()))
    )


def test_a_start_counted_from_its_creation_keeps_its_hours_and_weekdays():
    """A booking's start, counted from its creation (any hour, any day) by a lead time in seconds,
    had its times of day all over the day and fell on weekends (a round trip without the rule: 219 of
    400 outside 08:00 to 17:59, 24 on a weekend); now kept within both as the orders are decoded,
    before the end counted from it, and never before its creation."""
    data = bookings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["b"]["start"].base == "created" and pre.orderings["b"]["end"].base == "start"
    rule, end = pre.stats["times_of_day"]
    assert (rule["column"], rule["weekdays"], rule["early"]) == ("start", [0, 1, 2, 3, 4], True)
    assert (end["column"], end["clip"], "weekdays" in end) == ("end", True, False)  # counted from the start
    synth = pre.inverse_transform(pre.transform(data), seed=0)["b"]
    start = pd.to_datetime(synth["start"])
    assert outside(start, 8, 17) == 0 and (start.dt.dayofweek < 5).all()
    assert (synth["created"] <= synth["start"]).all() and (synth["start"] <= synth["end"]).all()
    lengths = (synth["end"] - synth["start"]) / pd.Timedelta(minutes=15)
    assert lengths.isin(range(1, 9)).all()  # the end still counted from the start kept
    pre.stats["times_of_day"] = []  # without: the test can tell
    start = pd.to_datetime(pre.inverse_transform(pre.transform(data), seed=0)["b"]["start"])
    assert outside(start, 8, 17) > 0.3 and (start.dt.dayofweek >= 5).sum() > 10


def test_a_time_moves_within_its_day_and_never_past_another():
    values = pd.Series(
        pd.to_datetime(["2024-01-01 00:00", "2024-01-01 12:00", "2024-01-01 23:59", None, "2024-01-02 06:00"])
    )
    moved = day_times(values, [25200.0, 36000.0, 64740.0], 60)
    assert moved.dt.strftime("%H:%M").tolist()[:3] == ["07:00", "10:00", "17:58"] and moved.isna().tolist()[3]
    assert (
        moved.dropna().dt.normalize() == values.dropna().dt.normalize()
    ).all() and moved.dropna().is_monotonic_increasing


def test_shifts_starting_at_a_few_times_start_at_those_times_only():
    rng = np.random.default_rng(4)
    days = pd.to_timedelta(rng.integers(0, 700, 300), "D")
    at = pd.Series(pd.Timestamp("2023-01-01") + days + pd.to_timedelta(rng.choice([6, 14, 20], 300), "h"))
    data = one_table(at)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [found] = pre.stats["times_of_day"]
    assert found["steps"] and found["grid"] == 3600
    synth = pre.inverse_transform(pre.transform(data), seed=0)["t"]
    assert set(pd.to_datetime(synth["at"]).dt.hour) == {6, 14, 20}


def test_an_end_counted_from_a_start_in_hours_is_clipped_into_its_own():
    """A booking's end, counted from its start by a length the model writes without the start's hour,
    ended past the data's last end (0.94 % of a booking database's generated bookings past 20:00):
    clipped to it on its own day, the start and every end within hours left as they are."""
    values = pd.Series(pd.to_datetime(["2025-01-06 19:00", "2025-01-06 21:15", "2025-01-07 07:00", None]))
    clipped = within_hours(values, 8 * 3600 + 900, 20 * 3600)
    assert clipped.dt.strftime("%Y-%m-%d %H:%M").tolist()[:3] == [
        "2025-01-06 19:00",
        "2025-01-06 20:00",
        "2025-01-07 08:15",
    ]
    assert clipped.isna().tolist()[3]


def test_keys_numbered_by_a_weekday_timestamp_still_rise_with_it(tiny_size):
    rng = np.random.default_rng(0)
    at = stamps(rng, 600, 8, 17)
    at = at[at.dt.dayofweek < 5].sort_values().reset_index(drop=True)  # orders numbered as placed, Monday to Friday
    data = one_table(at)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["key_dates"] == {"t": "at"} and pre.stats["times_of_day"][0]["weekdays"] == [0, 1, 2, 3, 4]
    torch.manual_seed(0)
    synth = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["t"].sort_values("id")
    stamps_ = pd.to_datetime(synth["at"])
    assert (stamps_.dt.dayofweek < 5).all()
    assert int((stamps_.diff() < pd.Timedelta(0)).sum()) == 0  # 16 before: moved to Monday once numbered


def test_weekdays_left_out_by_chance_are_not_kept():
    """40 days drawn on any weekday happened to hold no Wednesday (as 2 % of such draws do): the values
    were moved off Wednesdays. A weekend left out over 30 days is no chance and is kept."""
    rng = np.random.default_rng(0)
    days = pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.choice(2000, 400, replace=False), "D"))
    days = days[days.dt.dayofweek != 2].iloc[:40].reset_index(drop=True)
    at = days + pd.to_timedelta(rng.integers(0, 86_400, 40), "s")
    assert weekdays(at) is None  # [0, 1, 3, 4, 5, 6] before
    drawn = pd.Series(pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.choice(2000, 400, replace=False), "D"))
    weekdays_only = drawn[drawn.dt.dayofweek < 5].iloc[:30].reset_index(drop=True)
    assert weekdays(weekdays_only + pd.Timedelta("10h")) == [0, 1, 2, 3, 4]


def test_a_sale_kept_after_its_shops_opening_day_keeps_its_hours_too():
    """A sale on or after its shop's opening day (a date), the shop a reference: a rule moving it
    after that day reads it, yet a map within its day keeps it on the day and so after the opening."""
    rng = np.random.default_rng(4)
    opened = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, 10), "D")
    shop = rng.integers(0, 10, 400)
    at = (
        opened[shop]
        + pd.to_timedelta(rng.integers(0, 700, 400), "D")
        + pd.to_timedelta(rng.integers(480, 1320, 400), "min")
    )
    frames = {
        "shop": pd.DataFrame({"shop_id": range(1, 11), "opened_on": opened.strftime("%Y-%m-%d")}),
        "sale": pd.DataFrame(
            {"sale_id": range(1, 401), "shop_id": shop + 1, "at": at, "amount": rng.gamma(2, 10, 400)}
        ),
    }
    keys = {"shop": "shop_id", "sale": "sale_id"}
    schema = Schema.infer(frames, primary_keys=keys, foreign_keys={"sale": {"shop_id": "shop"}})
    data = RelationalData(frames, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert [(r["column"], r["low"]) for r in pre.stats["reference_sides"]] == [("at", "opened_on")]
    [found] = pre.stats["times_of_day"]
    assert found["column"] == "at" and "weekdays" not in found  # a move by days could pass the opening
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    sale = synth["sale"].merge(synth["shop"], on="shop_id")
    assert outside(sale["at"], 8, 21) == 0
    assert (pd.to_datetime(sale["at"]) >= pd.to_datetime(sale["opened_on"])).all()
    pre.stats["times_of_day"] = []  # without: the times fall all over the day
    assert outside(pre.inverse_transform(pre.transform(data), seed=0)["sale"]["at"], 8, 21) > 0.3


def test_a_date_column_on_weekends_only_keeps_its_weekdays():
    # a league's match dates, Saturdays and Sundays (a DATE, no time of day): 29 % of a league's
    # generated matches on a weekend before, the rule read timestamps only
    rng = np.random.default_rng(0)
    weeks = pd.Timestamp("2020-08-01") + pd.to_timedelta(7 * rng.integers(0, 200, 400), "D")  # Saturdays
    played = pd.Series(weeks + pd.to_timedelta(rng.integers(0, 2, 400), "D"))
    data = RelationalData(
        {"m": pd.DataFrame({"id": range(1, 401), "played": played, "goals": rng.poisson(1.4, 400)})},
        Schema(m=Table(id=PrimaryKey(), played=Date(), goals=Numeric())),
    )
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    most = int(played.value_counts().max())  # a day's matches at most: a moved one goes to a day with room
    assert pre.stats["times_of_day"] == [{"table": "m", "column": "played", "weekdays": [5, 6], "most": most}]
    synth = pre.inverse_transform(pre.transform(data), seed=0)["m"]
    days = pd.to_datetime(synth["played"])
    assert days.dt.dayofweek.isin([5, 6]).all() and (days == days.dt.normalize()).all()
    assert synth["played"].dtype == data["m"]["played"].dtype


def test_dates_moved_onto_their_weekdays_fill_a_day_no_fuller_than_the_data_did():
    # a DATE's day is its whole value: three Friday matches moved to a Saturday holding two made it
    # hold five, more than any day of the data (3): a team once a date then had too few teams
    days = pd.Series(pd.to_datetime(["2024-05-03"] * 3 + ["2024-05-04"] * 2 + ["2024-05-06"]))  # Fri, Sat, Mon
    moved = on_weekdays(days, [5, 6], most=3)
    assert moved.dt.dayofweek.isin([5, 6]).all()
    assert moved.value_counts().max() <= 3 and moved.iloc[3:5].eq(days.iloc[3:5]).all()
    assert (moved.iloc[:3] >= days.iloc[:3]).all() and (moved - days).max() <= pd.Timedelta(days=7)
    assert on_weekdays(days, [5, 6]).value_counts().max() == 5  # without: the next held weekday, however full


def _dividends(every_days: int) -> RelationalData:
    """Tickers' ex-dividend dates, each `every_days` after the one before, moved onto a weekday."""
    rng = np.random.default_rng(0)
    rows = []
    for t in range(30):
        days = pd.Timestamp("2021-01-04") + pd.to_timedelta(rng.integers(0, 60) + every_days * np.arange(8), "D")
        days = days + pd.to_timedelta(np.maximum(0, 7 - days.dayofweek) % 7 * (days.dayofweek >= 5), "D")
        rows.append(pd.DataFrame({"ticker_id": t, "ex_date": days, "amount": np.round(rng.uniform(0.1, 1), 2)}))
    dividends = pd.concat(rows, ignore_index=True)
    dividends.insert(0, "id", range(len(dividends)))
    schema = Schema(
        ticker=Table(id=PrimaryKey(), beta=Numeric()),
        dividend=Table(id=PrimaryKey(), ticker_id=ForeignKey(parent="ticker"), ex_date=Date(), amount=Numeric()),
    )
    return RelationalData(
        {"ticker": pd.DataFrame({"id": range(30), "beta": rng.normal(1, 0.3, 30)}), "dividend": dividends}, schema
    )


def test_a_series_of_dates_far_apart_keeps_its_weekdays_and_its_order():
    # quarterly ex-dividend dates, each the previous one's plus a step: 25 % of a small model's
    # generated ones fell on a weekend, the rule read no sibling sequence (a move could pass a sibling)
    data = _dividends(every_days=91)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["dividend"]["ex_date"].after_sibling
    assert [(r["column"], r["weekdays"]) for r in pre.stats["times_of_day"]] == [("ex_date", [0, 1, 2, 3, 4])]
    synth = pre.inverse_transform(pre.transform(data), seed=0)["dividend"]
    days = pd.to_datetime(synth["ex_date"])
    assert days.dt.dayofweek.lt(5).all()
    assert days.groupby(synth["ticker_id"]).diff().dropna().gt(pd.Timedelta(0)).all()  # still in order
    daily = _dividends(every_days=1)  # daily steps: a move could pass the next one
    assert TabularPreproc.from_schema(daily.schema).fit(daily).stats["times_of_day"] == []


def test_a_move_onto_a_weekday_never_reaches_the_next_siblings_date():
    # a model drew a dividend a day after the one before (the data's: 91 days): the Saturday one
    # moved to Monday came after the Sunday one, and amounts rising by date fell
    before = pd.Series(pd.to_datetime(["2024-04-20", "2024-04-21", "2024-04-20", "2024-07-20"]))  # Sat Sun Sat Sat
    moved = on_weekdays(before, [0, 1, 2, 3, 4])
    kept = kept_in_order(before, moved, pd.Series([1, 1, 2, 2]))
    assert kept.tolist() == list(pd.to_datetime(["2024-04-20", "2024-04-22", "2024-04-22", "2024-07-22"]))

"""Columns that are a part of a date of their row (a calendar's day name, month name, quarter, year,
weekend flag) are set from the generated date: drawn as tokens of their own, a small model's 516
generated calendar days named the right weekday in 14 %, the right month in 59 %."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import (
    Boolean,
    Categorical,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.date_parts import stepped_date, stepped_parts


def calendar(n: int = 400, seed: int = 0) -> RelationalData:
    """Days of two years, shuffled, with their parts, an upper-case month abbreviation and a
    `promo_week` flag in no relation to the date."""
    rng = np.random.default_rng(seed)
    d = pd.Series(pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.permutation(730)[:n], unit="D"))
    days = pd.DataFrame(
        {
            "id": range(1, n + 1),
            "full_date": d,
            "day_of_week": d.dt.day_name(),
            "month": d.dt.month_name().str[:3].str.upper(),
            "quarter": d.dt.quarter,
            "year": d.dt.year,
            "is_weekend": d.dt.dayofweek >= 5,
            "promo_week": rng.random(n) < 0.5,
        }
    )
    schema = Schema(
        day=Table(
            id=PrimaryKey(),
            full_date=Date(),
            day_of_week=Categorical(),
            month=Categorical(),
            quarter=Integer(),
            year=Integer(),
            is_weekend=Boolean(),
            promo_week=Boolean(),
        )
    )
    return RelationalData({"day": days}, schema)


def consistent(day: pd.DataFrame) -> dict[str, float]:
    d = pd.to_datetime(day["full_date"])
    return {
        "day_of_week": float((d.dt.day_name() == day["day_of_week"]).mean()),
        "month": float((d.dt.month_name().str[:3].str.upper() == day["month"]).mean()),
        "quarter": float((d.dt.quarter == day["quarter"].astype(int)).mean()),
        "year": float((d.dt.year == day["year"].astype(int)).mean()),
        "is_weekend": float(((d.dt.dayofweek >= 5) == day["is_weekend"].astype(bool)).mean()),
    }


def test_the_parts_of_a_date_are_set_from_the_generated_date():
    data = calendar()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = [(r["column"], r["date"], r["part"], r["case"]) for r in pre.stats["date_parts"]]
    assert found == [
        ("day_of_week", "full_date", "day_name", "as is"),
        ("month", "full_date", "month_abbr", "upper"),
        ("quarter", "full_date", "quarter", None),
        ("year", "full_date", "year", None),
        ("is_weekend", "full_date", "is_weekend", None),
    ]  # not the promotion flag
    synth = pre.inverse_transform(pre.transform(data), seed=0)["day"]
    assert consistent(synth) == dict.fromkeys(["day_of_week", "month", "quarter", "year", "is_weekend"], 1.0)
    assert synth["quarter"].dtype == data["day"]["quarter"].dtype
    pre.stats["date_parts"] = []  # without: the test can tell
    plain = pre.inverse_transform(pre.transform(data), seed=0)["day"]
    assert min(consistent(plain).values()) < 0.9


def test_a_constant_or_a_column_that_is_no_part_is_left_alone():
    data = calendar(n=100)
    day = data["day"].assign(year=2024, day_of_week=lambda f: f["day_of_week"].where(f["id"] != 5, "Funday"))
    data = RelationalData({"day": day}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert {r["column"] for r in pre.stats["date_parts"]} == {"month", "quarter", "is_weekend"}


def test_a_key_that_is_its_dates_yyyymmdd_is_generated_so_on_distinct_days(tiny_size):
    """A warehouse's dim_date keyed by date_key = 20240131 got keys 1, 2, 3...: a fact's date_key
    no longer said its day (BETWEEN 20240101 AND 20240131 found no sale), and 138 of 491 generated
    days repeated another's date. The keys are now their row's yyyymmdd, the days distinct, and the
    facts nested under them name them."""
    rng = np.random.default_rng(0)
    d = pd.Series(pd.date_range("2023-01-01", periods=120, freq="D"))
    day = pd.DataFrame({"date_key": d.dt.strftime("%Y%m%d").astype(int), "full_date": d, "quarter": d.dt.quarter})
    at = rng.integers(0, len(day), 600)
    sale = pd.DataFrame({"id": range(600), "date_key": day["date_key"].to_numpy()[at], "qty": rng.integers(1, 9, 600)})
    schema = Schema(
        day=Table(date_key=PrimaryKey(), full_date=Date(), quarter=Integer()),
        sale=Table(id=PrimaryKey(), date_key=ForeignKey(parent="day"), qty=Integer()),
    )
    data = RelationalData({"day": day, "sale": sale}, schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["pk_formats"]["day"] == {"type": "date", "column": "full_date"}
    assert pre.stats["pk_formats"]["sale"] == {"type": "int", "start": 1}
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(200, seed=0)  # untrained: dates repeat
    gen = out["day"]
    assert len(gen) == 200 and gen["full_date"].is_unique
    assert (gen["date_key"] == gen["full_date"].dt.strftime("%Y%m%d").astype(int)).all()
    assert out["sale"]["date_key"].isin(gen["date_key"]).all()
    assert (gen["quarter"] == gen["full_date"].dt.quarter).all()


def test_a_date_moved_to_keep_a_unique_set_has_its_parts_set_again(tiny_size):
    """A store's daily sales, UNIQUE (store_id, day), name the day's weekday: an untrained model
    repeated days under a store and the unique sets moved 16 of 217 of them to another day once the
    weekdays were set, so 16 rows named a weekday not their day's. The parts are set again from the
    moved dates."""
    rng = np.random.default_rng(0)
    rows = []
    for s in range(40):
        for d in np.sort(rng.choice(60, rng.integers(3, 9), replace=False)):
            rows.append((s, pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(d)), float(rng.gamma(2, 100))))
    sales = pd.DataFrame(rows, columns=["store_id", "day", "revenue"]).assign(weekday=lambda f: f["day"].dt.day_name())
    schema = Schema(
        store=Table(id=PrimaryKey(), region=Categorical()),
        sales=Table(
            id=PrimaryKey(),
            store_id=ForeignKey(parent="store"),
            day=Date(),
            weekday=Categorical(),
            revenue=Numeric(),
            unique=[["store_id", "day"]],
        ),
    )
    frames = {
        "store": pd.DataFrame({"id": range(40), "region": rng.choice(["n", "s"], 40)}),
        "sales": sales.assign(id=range(len(sales)))[list(schema.tables["sales"].columns)],
    }
    pre = TabularPreproc.from_schema(schema).fit(RelationalData(frames, schema))
    assert [r["column"] for r in pre.stats["date_parts"]] == ["weekday"]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(40, seed=0)["sales"]
    assert len(out) > 100 and not out.duplicated(["store_id", "day"]).any()
    assert (out["day"].dt.day_name() == out["weekday"]).all()


def test_the_parts_of_a_date_given_as_context_are_set_from_it(tiny_size):
    """A calendar generated from given dates (ctx_cols=["full_date"]): the fit left context columns
    out as dates to read parts from, so the day names were drawn at random beside the given dates
    (an untrained model: 32 of 40 rows of another rule's test wrong). A given date is read from as a
    generated one is; the parts themselves are never context columns."""
    data = calendar()
    pre = TabularPreproc.from_schema(data.schema, ctx_cols=["full_date"]).fit(data)
    assert {r["column"] for r in pre.stats["date_parts"]} == {"day_of_week", "month", "quarter", "year", "is_weekend"}
    torch.manual_seed(0)
    ctx = data["day"][["full_date"]].head(60)
    out = TabularModel.build(pre, size=tiny_size).generate(ctx=ctx, seed=0)["day"]
    assert (out["full_date"].to_numpy() == ctx["full_date"].to_numpy()).all()
    assert consistent(out) == dict.fromkeys(["day_of_week", "month", "quarter", "year", "is_weekend"], 1.0)
    pre = TabularPreproc.from_schema(data.schema, ctx_cols=["day_of_week"]).fit(data)
    assert "day_of_week" not in {r["column"] for r in pre.stats["date_parts"]}  # given: kept as given


def test_a_wide_table_reads_each_dates_parts_once_for_all_its_columns(monkeypatch):
    """Beside 40 labels and numbers that are no part (a wide table), the calendar's parts are still
    found, and each part of each date is read once on the screened rows, not again for every
    column tried against it: that took 3 s of a 50-column table's fit, growing as columns x dates."""
    from relsynth.synth.tabular.rules import date_parts

    data = calendar()
    rng = np.random.default_rng(2)
    day = data["day"].assign(other_date=data["day"]["full_date"] + pd.to_timedelta(rng.integers(0, 99, 400), "D"))
    extra = {f"k{i}": Categorical() for i in range(20)} | {f"n{i}": Integer() for i in range(20)}
    for name in extra:
        day[name] = rng.choice(["a", "b", "c"], len(day)) if name[0] == "k" else rng.integers(0, 40, len(day))
    schema = Schema(day=Table(**data.schema.tables["day"].columns, other_date=Date(), **extra))
    reads = []

    def counting(part: str, of):
        return lambda d: reads.append(part) or of(d)

    counted = {part: counting(part, of) for part, of in date_parts.PARTS.items()}
    monkeypatch.setattr(date_parts, "PARTS", counted)
    rules = date_parts.find_date_parts(TabularPreproc.from_schema(schema), RelationalData({"day": day}, schema))
    found = {r["column"]: (r["date"], r["part"]) for r in rules}
    assert found == {
        "day_of_week": ("full_date", "day_name"),
        "month": ("full_date", "month_abbr"),
        "quarter": ("full_date", "quarter"),
        "year": ("full_date", "year"),
        "is_weekend": ("full_date", "is_weekend"),
    }
    # per date, each part once on the screen (x 3 cases for labels), once on all rows per column found
    assert len(reads) <= 2 * len(counted) * 4 + len(found)


def _daily_stores(n_stores: int = 30, n_days: int = 14) -> RelationalData:
    """Stores' days from a Sunday on, stored in any order, each naming its weekday (1 Monday .. 7
    Sunday) and closed on Sundays: the weekday is a part of the day, `open` follows from the weekday
    (two weeks: too few dates for a calendar's labels, which would set `open` from the date itself)."""
    rng = np.random.default_rng(0)
    days = pd.date_range("2015-03-01", periods=n_days, freq="D")
    sales = pd.DataFrame(
        {
            "store_id": np.repeat(np.arange(n_stores), n_days),
            "day": np.tile(days, n_stores),
            "day_of_week": np.tile(days.day_name(), n_stores),
        }
    )
    sales["open"] = np.where(sales["day_of_week"] == "Sunday", "closed", "open")
    sales = sales.sample(frac=1, random_state=0).reset_index(drop=True).assign(id=lambda f: range(len(f)))
    schema = Schema(
        store=Table(id=PrimaryKey(), region=Categorical()),
        sales=Table(
            id=PrimaryKey(),
            store_id=ForeignKey(parent="store"),
            day=Date(),
            day_of_week=Categorical(),
            open=Categorical(),
        ),
    )
    frames = {
        "store": pd.DataFrame({"id": range(n_stores), "region": rng.choice(["n", "s"], n_stores)}),
        "sales": sales[list(schema.tables["sales"].columns)],
    }
    return RelationalData(frames, schema)


def test_a_stepped_days_weekday_is_set_before_the_rows_other_columns_read_it(tiny_size):
    """A panel's days are written as steps from the previous day, so the model never sees the date
    and wrote its own weekday, which the row's other columns then read: a small model's weekday was
    the day's in 52 % of a Rossmann-like panel's generated days, and stores closed on Sundays were
    open on 12-22 % of them (7 % in the data). Set from the day as soon as its step is drawn, the
    weekday the row's other columns read is the day's: here `open` follows from it (a dependency),
    so an untrained model's stores are closed on every Sunday and open on every other day."""
    data = _daily_stores()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [r["column"] for r in pre.stats["date_parts"]] == ["day_of_week"]
    torch.manual_seed(0)
    assert not pre.stats["calendar_labels"]
    out = TabularModel.build(pre, size=tiny_size).generate(30, seed=0)["sales"]
    sunday = out["day"].dt.dayofweek == 6
    assert len(out) > 100 and sunday.any()
    assert (out.loc[sunday, "open"] == "closed").all() and (out.loc[~sunday, "open"] == "open").all()


def test_no_part_is_set_from_a_stepped_day_drawn_again_past_the_datas_last_day():
    """A series' steps summed past the data's last day, with room left before it, are drawn again
    at decoding (`orderings._within_latest`): a weekday set from the day the steps gave is not the
    day decoded (an untrained model's two-week panel of days a day or two apart: 5 of 286 rows
    closed on the Friday a Sunday was drawn again on). Such a day sets no part; past a last day
    left no room the rows keep their days (they are not drawn again, or go: `without_room`), so their parts."""
    data = _daily_stores()
    sales = data["sales"]
    data = RelationalData({"store": data["store"], "sales": sales[sales["day"] != "2015-03-05"]}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    parts = stepped_parts(pre, pre.stats["date_parts"], np.random.default_rng(0))
    (position,) = parts.at["sales"]
    slot = pre.slots[pre.layouts["sales"].slots[position]]
    one, two = (slot.offset + 1 + list(slot.preproc.points).index(d * 86400.0) for d in (1, 2))
    day, last = 86400 * 10**9, pd.Timestamp("2015-03-14").value
    assert stepped_date(pre, parts, "sales", position, one, last - day) == last
    assert stepped_date(pre, parts, "sales", position, two, last - day) is None  # drawn again within its day of room
    assert stepped_date(pre, parts, "sales", position, one, last) == last + day  # no room: kept past it

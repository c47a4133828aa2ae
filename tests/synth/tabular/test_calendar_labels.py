"""Calendar labels: a holiday week, the same for every store of a chain (Walmart's weekly sales)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import (
    Boolean,
    Categorical,
    Date,
    ForeignKey,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import DpBudget, ModelSize, TabularModel, TabularPreproc

HOLIDAYS = ("2010-02-12", "2010-09-10", "2010-11-26", "2010-12-31", "2011-02-11", "2011-09-09")


def weekly(n_stores: int = 25, n_weeks: int = 60, seed: int = 0, per_store: bool = False) -> RelationalData:
    """stores -> weeks: one row per store and Friday, `is_holiday` on the same weeks for every store
    (`per_store`: each store's own weeks, 8 % of them); stored in any order."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2010-02-05", periods=n_weeks, freq="7D")
    holiday = np.isin(dates, pd.to_datetime(list(HOLIDAYS)))
    rows = pd.DataFrame(
        {
            "store": np.repeat(np.arange(n_stores), n_weeks),
            "date": np.tile(dates, n_stores),
            "is_holiday": rng.random(n_stores * n_weeks) < 0.08 if per_store else np.tile(holiday, n_stores),
            "sales": rng.lognormal(10, 0.3, n_stores * n_weeks).round(2),
        }
    ).sample(frac=1, random_state=seed)
    rows.insert(0, "id", range(len(rows)))
    stores = pd.DataFrame({"id": range(n_stores)})
    schema = Schema(
        store=Table(id=PrimaryKey()),
        week=Table(
            id=PrimaryKey(), store=ForeignKey(parent="store"), date=Date(), is_holiday=Boolean(), sales=Numeric()
        ),
    )
    return RelationalData({"store": stores, "week": rows.reset_index(drop=True)}, schema)


def _mixed_dates(weeks: pd.DataFrame) -> int:
    """Dates whose rows do not all hold one holiday flag."""
    return int((weeks.groupby("date")["is_holiday"].nunique() > 1).sum())


def test_every_store_holds_the_holiday_weeks_of_the_data():
    """Each store's weeks are written in its own entity: an untrained model's 25 stores disagreed on
    the holiday flag of all 60 weeks (a small model trained 40 epochs on 30 stores: 38 of 100 weeks).
    Set from the generated date, every store holds the data's holiday weeks."""
    data = weekly()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["table"], r["column"], r["date"], len(r["dates"])) for r in pre.stats["calendar_labels"]] == [
        ("week", "is_holiday", "date", 60)
    ]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=ModelSize(n_layers=1, h=2, d=16), block_size=128)
    weeks = model.generate(n_samples=25, seed=0)["week"]
    assert _mixed_dates(weeks) == 0
    real = data["week"].groupby("date")["is_holiday"].first()
    assert (weeks["is_holiday"].to_numpy() == real.reindex(weeks["date"]).to_numpy()).all()


def test_a_flag_of_each_stores_own_weeks_or_a_dp_fit_keeps_no_calendar():
    data = weekly(per_store=True)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["calendar_labels"] == []
    data = weekly()
    dp = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(eps=10.0, delta=1e-5))
    assert not dp.stats.get("calendar_labels")


def test_a_date_few_stores_share_keeps_no_calendar():
    """Each week held by 3 stores (fewer than `min_count` entities): no store's week is kept."""
    data = weekly(n_stores=3, n_weeks=200)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["calendar_labels"] == []


def promoted(n_stores: int = 25, n_weeks: int = 60, seed: int = 0, follows: bool = False) -> RelationalData:
    """`weekly` with each row's promotion written before its holiday flag: `holiday_sale` or `regular`
    on the holiday weeks, `regular` or `clearance` on the others (`follows`: `holiday_sale` on every
    holiday week's row, so the flag follows from the promotion)."""
    data = weekly(n_stores, n_weeks, seed)
    rows = data["week"].copy()
    rng = np.random.default_rng(seed + 1)
    half = (rng.random(len(rows)) < 0.5) & ~(follows & rows["is_holiday"].to_numpy())
    rows.insert(3, "promo", np.where(half, "regular", np.where(rows["is_holiday"], "holiday_sale", "clearance")))
    schema = Schema(
        store=Table(id=PrimaryKey()),
        week=Table(
            id=PrimaryKey(),
            store=ForeignKey(parent="store"),
            date=Date(),
            promo=Categorical(),
            is_holiday=Boolean(),
            sales=Numeric(),
        ),
    )
    return RelationalData({"store": data["store"], "week": rows}, schema)


def _unseen_pairs(weeks: pd.DataFrame) -> int:
    """Rows holding a promotion beside a holiday flag no row of the data holds it with."""
    holiday = weeks["is_holiday"].astype(bool)
    return int((((weeks["promo"] == "holiday_sale") & ~holiday) | ((weeks["promo"] == "clearance") & holiday)).sum())


def test_a_calendar_label_makes_no_pair_the_data_never_holds():
    """The flag set from the date ignored the promotion the model drew before it, which never_pairs
    kept to the flag the model drew: an untrained model's rows held a promotion beside a flag no row
    of the data holds it with in 820 of 1,500 rows (none before the flag was set). Where the date's
    value would make such a pair, the row keeps the model's."""
    data = promoted()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [r["column"] for r in pre.stats["calendar_labels"]] == ["is_holiday"]
    assert any(r["column"] == "is_holiday" and r["of"] == "promo" for r in pre.stats["never_pairs"])
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=ModelSize(n_layers=1, h=2, d=16), block_size=128)
    weeks = model.generate(n_samples=25, seed=0)["week"]
    assert _unseen_pairs(weeks) == 0
    real = data["week"].groupby("date")["is_holiday"].first().reindex(weeks["date"]).to_numpy()
    free = (weeks["promo"] == "regular").to_numpy()  # beside either flag: the date's
    assert free.sum() > 300 and (weeks["is_holiday"].to_numpy()[free] == real[free]).all()


def test_a_calendar_label_breaks_no_value_following_from_an_earlier_one():
    """The flag follows from the promotion drawn before it (`dependencies`), which the calendar's flag
    ignored: an untrained model's flags did not follow their promotion in 856 of 1,500 rows."""
    data = promoted(follows=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [r["column"] for r in pre.stats["calendar_labels"]] == ["is_holiday"]
    assert [(r["column"], r["of"]) for r in pre.stats["dependencies"]] == [("is_holiday", "promo")]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=ModelSize(n_layers=1, h=2, d=16), block_size=128)
    weeks = model.generate(n_samples=25, seed=0)["week"]
    assert ((weeks["promo"] == "holiday_sale") == weeks["is_holiday"].astype(bool)).all()
    real = data["week"].groupby("date")["is_holiday"].first().reindex(weeks["date"]).to_numpy()
    free = (weeks["promo"] == "regular").to_numpy() & ~real  # a flag its promotion and its date agree on
    assert free.sum() > 100 and not weeks["is_holiday"].to_numpy()[free].any()


def closed_days(n_stores: int = 25, n_days: int = 60, seed: int = 0) -> RelationalData:
    """stores -> days -> sales: every store closed (`open` N) on the same 6 dates, without a sale,
    open (Y) with 1 to 3 sales on the others."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2010-02-05", periods=n_days, freq="7D")
    closed = np.tile(np.isin(np.arange(n_days), [3, 14, 25, 36, 47, 58]), n_stores)
    days = pd.DataFrame(
        {
            "id": range(n_stores * n_days),
            "store": np.repeat(np.arange(n_stores), n_days),
            "date": np.tile(dates, n_stores),
        }
        | {"open": np.where(closed, "N", "Y")}
    )
    n = np.where(closed, 0, rng.integers(1, 4, len(days)))
    sales = pd.DataFrame(
        {"id": range(n.sum()), "day": np.repeat(days["id"], n), "amount": rng.lognormal(3, 0.5, n.sum())}
    )
    schema = Schema(
        store=Table(id=PrimaryKey()),
        day=Table(id=PrimaryKey(), store=ForeignKey(parent="store"), date=Date(), open=Categorical()),
        sale=Table(id=PrimaryKey(), day=ForeignKey(parent="day"), amount=Numeric()),
    )
    return RelationalData({"store": pd.DataFrame({"id": range(n_stores)}), "day": days, "sale": sales}, schema)


def test_a_calendar_label_keeps_to_the_child_rows_drawn_for_the_row():
    """A closed day has no sale (`count_rules`); the model drew each day's sales for the flag it drew,
    which the calendar then set from the date: an untrained model's stores had 66 closed days with
    sales and 764 open days without one (data: none)."""
    data = closed_days()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["table"], r["column"]) for r in pre.stats["calendar_labels"]] == [("day", "open")]
    assert [(r["column"], r["child"], r["none"]) for r in pre.stats["count_rules"]] == [("open", "sale", ["N"])]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=ModelSize(n_layers=1, h=2, d=16), block_size=256)
    out = model.generate(n_samples=25, seed=0)
    sold = out["day"]["id"].isin(out["sale"]["day"])
    assert not ((out["day"]["open"] == "N") & sold).any() and not ((out["day"]["open"] == "Y") & ~sold).any()

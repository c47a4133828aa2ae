"""A series' dates on the days its table's series share, none left out (`held_days`): a stock's
daily prices, written as steps in days from the previous row's, fell on weekends and holidays and
left trading days out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Date, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularDataset, TabularModel, TabularPreproc, TabularTrainer
from relsynth.synth.core.transformer import ModelSize
from relsynth.synth.tabular.rules.held_days import find_held_days, keep_held_days

HOLIDAYS = pd.to_datetime(["2024-01-15", "2024-02-19", "2024-03-29"])
TRADING_DAYS = pd.bdate_range("2024-01-02", "2024-04-30").difference(HOLIDAYS)


def _market(n: int = 24, every_day: bool = True) -> RelationalData:
    """Tickers' closes on every trading day from their first (most the calendar's first), or, not
    `every_day`, on a random 70 % of the trading days (a series with gaps: no calendar to keep)."""
    rng = np.random.default_rng(0)
    rows = []
    for t in range(n):
        days = TRADING_DAYS[int(rng.choice([0, 0, 0, 10, 30])) :]
        days = days if every_day else days[rng.random(len(days)) < 0.7]
        close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
        rows.append(pd.DataFrame({"ticker_id": t, "trade_date": days, "close": close.round(2)}))
    prices = pd.concat(rows, ignore_index=True)
    prices.insert(0, "id", range(len(prices)))
    schema = Schema(
        ticker=Table(id=PrimaryKey(), beta=Numeric()),
        price=Table(id=PrimaryKey(), ticker_id=ForeignKey(parent="ticker"), trade_date=Date(), close=Numeric()),
    )
    tickers = pd.DataFrame({"id": range(n), "beta": rng.normal(1, 0.3, n).round(2)})
    return RelationalData({"ticker": tickers, "price": prices}, schema)


def test_generated_daily_prices_fall_on_every_trading_day_and_no_other():
    """Trained briefly, a model put 32 % of its generated prices off the trading days (29 % on a
    weekend), and every one of 24 series left trading days out; laid on the days the data's series
    share, none does (13 of 1,731 rows laid past the data's end dropped)."""
    data = _market()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=ModelSize(n_layers=1, h=2, d=16), block_size=128)
    ds = TabularDataset.from_data(data, pre, block_size=128)
    TabularTrainer(model).train(ds, n_steps=30, batch_size=8, lr=1e-2, progress=False)
    out = model.generate(24, seed=0, progress=False)["price"]
    days = pd.to_datetime(out["trade_date"])
    assert len(out) > 500 and days.isin(TRADING_DAYS).all()  # no weekend, no holiday, not past the data's end
    for _, series in days.groupby(out["ticker_id"]):
        on = TRADING_DAYS[(TRADING_DAYS >= series.min()) & (TRADING_DAYS <= series.max())]
        assert series.is_unique and len(on) == len(series)  # every trading day from the first, once


def test_series_with_gaps_or_of_their_own_days_keep_no_calendar():
    """Series that skip days the others hold, or share no days (each its own stretch), are left as drawn."""
    gaps = _market(every_day=False)
    assert find_held_days(TabularPreproc.from_schema(gaps.schema).fit(gaps), gaps) == []
    data = _market()
    frame = data["price"]
    shifted = frame.assign(trade_date=frame["trade_date"] + pd.to_timedelta(frame["ticker_id"] * 400, "D"))
    own = RelationalData({"ticker": data["ticker"], "price": shifted}, data.schema)
    assert find_held_days(TabularPreproc.from_schema(own.schema).fit(own), own) == []


def test_a_series_is_laid_from_its_first_date_and_rows_past_the_calendar_go():
    rule = {"table": "price", "column": "trade_date", "days": ["2024-01-05", "2024-01-08", "2024-01-09"]}
    cols = {"trade_date": pd.Series(pd.to_datetime(["2024-01-06", "2024-01-07", "2024-01-20", "2024-01-04"]))}
    past = keep_held_days([rule], "price", cols, np.array([0, 0, 0, 1]))
    assert cols["trade_date"][:2].tolist() == list(pd.to_datetime(["2024-01-08", "2024-01-09"]))
    assert past.tolist() == [False, False, True, False] and cols["trade_date"][3] == pd.Timestamp("2024-01-05")

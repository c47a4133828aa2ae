"""Columns missing only past a date of their row, held at will there: an order not shipped yet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import (
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
from relsynth.synth.tabular.rules.late_nulls import keep_late_nulls, missing_side

LAST_WEEKS = pd.Timestamp("2021-12-10")


def orders(n: int = 1_000, seed: int = 0) -> RelationalData:
    """Orders over two years, shipped 1 to 30 days later, but most of those of the last three weeks
    not yet (a shipped_date NULL); a note missing at random."""
    rng = np.random.default_rng(seed)
    ordered = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    shipped = ordered + pd.to_timedelta(rng.integers(1, 31, n), unit="D")
    pending = (ordered >= LAST_WEEKS) & (rng.random(n) < 0.8)
    frame = pd.DataFrame(
        {
            "id": range(n),
            "order_date": ordered,
            "shipped_date": pd.Series(shipped).mask(pending),
            "freight": np.round(rng.gamma(2, 20, n), 2),
            "note": np.where(rng.random(n) < 0.1, rng.choice(["fragile", "gift"], n), None),
        }
    )
    schema = Schema(
        o=Table(id=PrimaryKey(), order_date=Date(), shipped_date=Date(), freight=Numeric(), note=Categorical())
    )
    return RelationalData({"o": frame}, schema)


def test_a_column_missing_after_a_date_only_is_found_and_no_column_missing_at_random():
    data = orders()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = [(r["column"], r["of"], r["after"]) for r in pre.stats["late_nulls"]]
    assert found == [("shipped_date", "order_date", True)]  # nothing of the note
    rule = pre.stats["late_nulls"][0]
    o = data["o"]
    late = o["order_date"] >= o["order_date"][o["shipped_date"].isna()].min()
    assert rule["share"] == o["shipped_date"][late].isna().mean()


def test_a_column_missing_at_random_lies_on_no_side_of_a_date():
    """Nulls at random among dates: the rows before the first null's date are few, their chance of
    all being held large: no side."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 10**6, 2_000).astype(float)
    assert [missing_side(x, rng.random(2_000) < p) for p in (0.01, 0.05, 0.3)] == [None] * 3


def test_early_nulls_are_filled_from_a_held_row_and_late_rows_miss_at_the_share():
    rule = {"table": "o", "column": "shipped", "of": "ordered", "after": True, "cut": 0.0, "share": 0.5}
    ordered = pd.to_datetime(["2021-01-01", "2021-01-05", "2021-12-20", "2021-12-21", "2021-12-22", "2021-12-23"])
    shipped = pd.to_datetime(["2021-01-04", None, "2021-12-22", "2021-12-23", "2021-12-25", "2021-12-24"])
    frame = pd.DataFrame({"ordered": ordered, "shipped": shipped})
    rule["cut"] = float(pd.Timestamp("2021-12-01").value)
    keep_late_nulls([rule], "o", frame, np.random.default_rng(0))
    gaps = (frame["shipped"] - frame["ordered"]).dt.days
    assert frame["shipped"][1] >= frame["ordered"][1] and gaps[1] in {3, 2, 4, 1}  # a held row's gap
    assert frame["shipped"][2:].isna().sum() == 2  # half of the four late orders, none of the early ones
    assert frame["shipped"][:2].notna().all()


def test_an_early_row_is_filled_from_a_row_holding_both_dates():
    # most rows holding a shipment miss their order's date: a gap from them is none (NaT), the row stayed unshipped
    order = pd.to_datetime(["2020-01-01", "2020-01-02", None, None, None, "2020-12-30"])
    shipped = pd.to_datetime([None, "2020-01-04", "2020-01-05", "2020-01-06", "2020-01-07", None])
    cut = float(pd.Timestamp("2020-06-01").value)
    rule = {"table": "o", "column": "shipped", "of": "order_date", "after": True, "cut": cut, "share": 1.0}
    for seed in range(20):
        frame = pd.DataFrame({"order_date": order, "shipped": shipped})
        keep_late_nulls([rule], "o", frame, np.random.default_rng(seed))
        assert frame["shipped"].iloc[0] == pd.Timestamp("2020-01-03")  # the one gap known: two days


def test_unshipped_orders_are_generated_among_the_last_only(tiny_size):
    """An untrained model drew a missing shipped_date beside any order date: now only past the cut,
    about as many as the data's share there."""
    data = orders()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(1_000, seed=0)["o"]
    missing = out["shipped_date"].isna()
    assert missing.sum() > 0
    assert (out["order_date"][missing] > LAST_WEEKS - pd.Timedelta(days=7)).all()
    late = out["order_date"] > pd.Timestamp(pre.stats["late_nulls"][0]["cut"])
    assert abs(missing[late].mean() - pre.stats["late_nulls"][0]["share"]) < 0.15
    assert (out["shipped_date"][~missing] >= out["order_date"][~missing]).all()


def test_a_column_another_ones_missing_follows_keeps_that_pair(tiny_size):
    """shipped_date missing exactly where ship_via is (a null rule): ship_via, missing late only, was
    filled and cleared after the rule had written shipped_date, so orders held one of the two only."""
    data = orders()
    frame = data["o"].assign(ship_via=np.where(data["o"]["shipped_date"].isna(), None, "air"))
    frame.loc[frame["shipped_date"].notna() & (frame["id"] % 2 == 0), "ship_via"] = "sea"
    schema = Schema(
        o=Table(id=PrimaryKey(), order_date=Date(), ship_via=Categorical(), shipped_date=Date(), freight=Numeric())
    )
    data = RelationalData({"o": frame[["id", "order_date", "ship_via", "shipped_date", "freight"]]}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(1_000, seed=0)["o"]
    assert (out["ship_via"].isna() == out["shipped_date"].isna()).all()


def test_a_missing_rate_rising_smoothly_with_the_date_has_no_cut_but_a_jump_has():
    """A rate rising from 0 to 20 % over the dates puts no null before its first by chance, on a side
    few rows long: no cut (a rule would flatten the trend into a step); nulls on the last orders only
    still have one."""
    t = np.linspace(0, 1, 5_000)
    x = t * 1e18
    rising = [missing_side(x, np.random.default_rng(s).random(5_000) < 0.2 * t) for s in range(20)]
    assert rising == [None] * 20
    last = np.zeros(5_000, dtype=bool)
    last[-100:] = np.random.default_rng(0).random(100) < 0.5
    assert missing_side(x, last)["after"]


def pay_history(n: int = 80, seed: int = 0) -> RelationalData:
    """employees -> salaries: a row a year or so from hire, each ending the day the next starts, the
    last open (closed on the leaving day for 15 % of them); the pay rises but for a few cuts, and the
    rows are stored by pay, as a composite key (emp_id, amount) reads them: the last stored row is not
    the open one, and the ends are missing only in the last year."""
    rng = np.random.default_rng(seed)
    now = pd.Timestamp("2025-01-01")
    hired = now - pd.to_timedelta(rng.integers(400, 3000, n), "D")
    rows = []
    for e in range(n):
        stays = rng.random() >= 0.15
        last = now if stays else hired[e] + pd.Timedelta(days=int(rng.integers(380, (now - hired[e]).days)))
        starts = [hired[e]]
        while starts[-1] + pd.Timedelta(days=375) < last:
            starts.append(starts[-1] + pd.Timedelta(days=int(rng.integers(355, 375))))
        pay = float(rng.integers(40_000, 70_000))
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else (pd.NaT if stays else last)
            rows.append((e, start, end, int(pay)))
            pay *= 1 + (rng.uniform(0, 0.1) if rng.random() < 0.9 else rng.uniform(-0.02, 0.0))
    salaries = pd.DataFrame(rows, columns=["emp_id", "from_date", "to_date", "amount"])
    salaries = salaries.sort_values(["emp_id", "amount"], ignore_index=True)
    salaries.insert(0, "id", range(len(salaries)))
    schema = Schema(
        employees=Table(id=PrimaryKey(), hired=Date()),
        salaries=Table(
            id=PrimaryKey(), emp_id=ForeignKey(parent="employees"), from_date=Date(), to_date=Date(), amount=Integer()
        ),
    )
    return RelationalData({"employees": pd.DataFrame({"id": range(n), "hired": hired}), "salaries": salaries}, schema)


def test_a_period_a_next_one_starts_on_keeps_its_end(tiny_size):
    """A salary history (`next_starts`: each row ends the day the next starts) whose ends are missing
    only in the last year: the cut's share of missing ends was met by clearing ends at random among the
    late rows, rows with a next salary among them: 91 and 116 of an untrained model's salaries followed
    by another had no end (an open period overlapping the next; none in the data). Such rows now keep
    their end, and only a last row is cleared."""
    data = pay_history()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["table"], r["column"]) for r in pre.stats["late_nulls"]] == [("salaries", "to_date")]
    assert [(r["table"], r["end"]) for r in pre.stats["next_starts"]] == [("salaries", "to_date")]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    for seed in (0, 1):
        out = model.generate(80, seed=seed)["salaries"].sort_values(["emp_id", "from_date"], kind="stable")
        followed = out["emp_id"].eq(out["emp_id"].shift(-1))
        assert followed.sum() > 200 and out["to_date"][followed].notna().all()
        assert out["to_date"][~followed].isna().mean() > 0.5  # the last ones still open at the cut's share

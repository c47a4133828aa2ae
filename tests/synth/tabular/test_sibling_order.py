"""Children of one parent that follow one another in time (an account's transactions) are encoded
in date order, whatever order the table stores them in."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from relsynth.relational import (
    Categorical,
    Column,
    Date,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.relational.orders import previous_end, sibling_key
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular.orderings import (
    Ordering,
    from_offsets,
    with_ends_of_dropped_tails,
    with_offsets,
    without_room,
)


def accounts(n: int = 60, seed: int = 0, shuffled: bool = True, due: bool = True) -> RelationalData:
    """accounts (opened) -> transactions 2-6 each, weekly from the opening day (few offsets: each
    is a token of its own, so a round trip gives the dates back), and (`due`) a date in no order."""
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    acct = np.repeat(np.arange(n), rng.integers(2, 7, n))
    days = 7 * pd.Series(acct).groupby(acct).cumcount().to_numpy()
    tx = pd.DataFrame(
        {
            "id": range(len(acct)),
            "acct": acct,
            "due": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, len(acct)), "D"),
            "date": opened[acct] + pd.to_timedelta(days, "D"),
            "amount": rng.gamma(2, 40, len(acct)).round(2),
        }
    )
    if shuffled:
        tx = tx.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    cols = {"id": PrimaryKey(), "acct": ForeignKey(parent="acct"), "due": Date(), "date": Date(), "amount": Numeric()}
    if not due:
        tx, cols = tx.drop(columns="due"), {c: k for c, k in cols.items() if c != "due"}
    schema = Schema(acct=Table(id=PrimaryKey(), opened=Date()), tx=Table(**cols))
    return RelationalData({"acct": pd.DataFrame({"id": range(n), "opened": opened}), "tx": tx}, schema)


def out_of_order(tx: pd.DataFrame) -> float:
    """Share of accounts whose transactions, in row order, are not in date order."""
    return float(tx.groupby("acct", sort=False)["date"].apply(lambda s: not s.is_monotonic_increasing).mean())


def test_the_siblings_date_is_the_one_the_stored_rows_follow_most_often():
    kinds = {"due": Column.DATE, "date": Column.DATE, "amount": Column.NUMERIC}
    stored = accounts(shuffled=False)["tx"]
    assert sibling_key(stored, "acct", ["due", "date", "amount"], kinds) == "date"  # stored in date order
    shuffled = accounts()["tx"]
    assert sibling_key(shuffled, "acct", ["due", "date", "amount"], kinds) == "date"
    assert sibling_key(shuffled, "acct", ["due", "amount"], kinds) is None  # dates drawn within a window
    assert sibling_key(shuffled, "acct", ["amount"], kinds) is None  # no date
    lines = shuffled.assign(line=shuffled.groupby("acct").cumcount() + 1)  # stored in line order (TPC-H)
    assert sibling_key(lines, "acct", ["due", "date", "line"], kinds | {"line": Column.INTEGER}) is None
    dated = stored.assign(line=stored.groupby("acct").cumcount() + 1)  # both: the date
    assert sibling_key(dated, "acct", ["line", "due", "date"], kinds | {"line": Column.INTEGER}) == "date"
    few = stored[stored["acct"] < 10]  # 10 parents with two rows or more: too few
    assert sibling_key(few, "acct", ["due", "date"], kinds) is None


def test_each_parents_rows_are_encoded_in_date_order_and_the_key_is_saved(tmp_path):
    data = accounts(due=False)
    assert out_of_order(data["tx"]) > 0.8
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.sibling_keys == {"tx": "date"}
    back = pre.inverse_transform(pre.transform(data), seed=1)["tx"]
    assert len(back) == len(data["tx"]) and out_of_order(back) == 0.0  # what the model sees: time order
    pre.save(tmp_path / "pre")
    loaded = TabularPreproc.load(tmp_path / "pre")
    assert loaded.sibling_keys == {"tx": "date"} and loaded.fingerprint() == pre.fingerprint()
    unsorted = TabularPreproc.from_dict(pre.to_dict())
    unsorted.sibling_keys = {}
    assert unsorted.fingerprint() != pre.fingerprint()  # a dataset encoded in stored order is told apart


def test_no_sibling_order_under_dp_or_without_orders():
    data = accounts()
    assert TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5)).sibling_keys == {}
    assert TabularPreproc.from_schema(data.schema, keep_orders=False).fit(data).sibling_keys == {}


def test_offsets_from_the_previous_sibling_sum_back_within_each_parent():
    opened = pd.Series(pd.to_datetime(["2020-01-01", "2020-03-01"]))
    df = pd.DataFrame(
        {
            "acct": [1, 0, 1, 0, 0, 1],
            "date": pd.to_datetime(["2020-03-09", "2020-01-05", "2020-03-02", "2020-01-02", None, "2020-03-02"]),
        }
    )
    parent = pd.DataFrame({"opened": opened[df["acct"]].to_numpy()})
    order = Ordering("date", "opened", 1, from_parent=True, grid=86_400 * 10**9, after_sibling=True)
    gaps = with_offsets(df, {"date": order}, parent, df["acct"].to_numpy())["date"] / 86_400
    assert gaps.tolist()[:4] == [7, 3, 1, 1] and np.isnan(gaps[4]) and gaps[5] == 0  # ties: no gap
    in_order = df.sort_values(["acct", "date"], kind="stable").index.to_numpy()
    cols = {"date": (gaps[in_order] * 86_400).reset_index(drop=True)}
    from_offsets(cols, {"date": order}, parent.iloc[in_order].reset_index(drop=True), df["acct"].to_numpy()[in_order])
    assert cols["date"].tolist() == df["date"][in_order].tolist()
    with pytest.raises(ValueError, match="previous sibling's needs each row's parent"):
        with_offsets(df, {"date": order}, parent)


def test_dates_after_the_parents_are_modelled_from_the_previous_sibling_and_decoded_in_order():
    data = accounts(due=False)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.orderings["tx"]["date"].after_sibling
    back = pre.inverse_transform(pre.transform(data), seed=1)
    opened = back["acct"].set_index("id")["opened"].reindex(back["tx"]["acct"]).to_numpy()
    real = data["acct"].set_index("id")["opened"].reindex(data["tx"]["acct"]).to_numpy()
    days = (back["tx"]["date"].to_numpy() - opened) / pd.Timedelta("1D")  # weekly: exact tokens
    assert sorted(days) == sorted((data["tx"]["date"].to_numpy() - real) / pd.Timedelta("1D"))
    assert out_of_order(back["tx"]) == 0.0 and days.min() == 0
    gaps = pd.Series(np.random.default_rng(0).exponential(3 * 86_400, 50))  # any offsets: summed in order
    cols = {"date": gaps}
    siblings = np.repeat(np.arange(10), 5)
    parent = pd.DataFrame({"opened": data["acct"]["opened"].to_numpy()[siblings]})
    from_offsets(cols, pre.orderings["tx"], parent, siblings)
    assert out_of_order(pd.DataFrame({"acct": siblings, "date": cols["date"]})) == 0.0


def stays(n: int = 80, seed: int = 0, born: bool = False, overlapping: bool = False) -> RelationalData:
    """patients -> 1-5 stays each, stored shuffled, each admitted 1-60 days after the previous
    stay's discharge (`overlapping`: 0-9 days before it, some of the time), staying 1-12 days;
    (`born`) a birth date decades before any stay."""
    rng = np.random.default_rng(seed)
    pid = np.repeat(np.arange(n), rng.integers(1, 6, n))
    los, gap = rng.integers(1, 13, len(pid)), rng.integers(1, 61, len(pid))
    if overlapping:
        gap = np.where(rng.random(len(pid)) < 0.3, -rng.integers(0, 10, len(pid)), gap)
    before = pd.Series(gap + los).groupby(pid).cumsum().to_numpy() - los  # days from the first day to admission
    first = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    admitted = first[pid] + pd.to_timedelta(before, "D")
    stay = pd.DataFrame(
        {
            "id": range(len(pid)),
            "patient": pid,
            "admitted": admitted,
            "discharged": admitted + pd.to_timedelta(los, "D"),
        }
    ).sample(frac=1.0, random_state=seed)
    patient = pd.DataFrame({"id": range(n)})
    pcols = {"id": PrimaryKey()}
    if born:
        patient["born"], pcols["born"] = (
            pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 9000, n), "D"),
            Date(),
        )
    schema = Schema(
        patient=Table(**pcols),
        stay=Table(id=PrimaryKey(), patient=ForeignKey(parent="patient"), admitted=Date(), discharged=Date()),
    )
    return RelationalData({"patient": patient, "stay": stay.reset_index(drop=True)}, schema)


def overlaps(stay: pd.DataFrame) -> int:
    """Stays admitted before the patient's previous stay (in admission order) was discharged."""
    s = stay.sort_values(["patient", "admitted"], kind="stable")
    return int((s["admitted"] < s.groupby("patient")["discharged"].shift(1)).sum())


def test_the_column_each_sibling_starts_after_in_the_previous_one_is_found():
    kinds = {"admitted": Column.DATE, "discharged": Column.DATE}
    found = stays()["stay"]
    assert previous_end(found, "patient", "admitted", ["discharged"], kinds) == "discharged"
    assert previous_end(stays(overlapping=True)["stay"], "patient", "admitted", ["discharged"], kinds) is None
    assert previous_end(found, "patient", "admitted", [], kinds) is None
    assert previous_end(found[found["patient"] < 5], "patient", "admitted", ["discharged"], kinds) is None  # few


@pytest.mark.parametrize("born", [False, True])
def test_stays_are_modelled_from_the_previous_stays_discharge_and_never_overlap(born):
    data = stays(born=born)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    admitted = pre.orderings["stay"]["admitted"]
    assert admitted.after_sibling and admitted.sibling_base == "discharged"
    assert admitted.origin == data["stay"]["admitted"].min().value  # a birth decades before is no base
    assert list(pre.orderings["stay"]) == ["admitted", "discharged"]  # the start decoded first
    back = pre.inverse_transform(pre.transform(data), seed=1)["stay"]  # a round trip: offsets within their bins
    assert len(back) == len(data["stay"]) and overlaps(back) == 0
    stayed = [sorted((s["discharged"] - s["admitted"]).dt.days) for s in (back, data["stay"])]
    # 12 lengths, each a token of its own: the same but where a last stay reached the latest discharge
    assert np.mean(np.array(stayed[0]) != np.array(stayed[1])) < 0.1
    rng = np.random.default_rng(0)  # any offsets, as a model may write them: never an overlap
    siblings = np.repeat(np.arange(30), rng.integers(1, 6, 30))
    cols = {
        "admitted": pd.Series(rng.exponential(20 * 86_400, len(siblings))),
        "discharged": pd.Series(rng.exponential(5 * 86_400, len(siblings))),
    }
    from_offsets(cols, pre.orderings["stay"], None, siblings)
    generated = pd.DataFrame({"patient": siblings, **cols})
    assert overlaps(generated) == 0 and (generated["discharged"] >= generated["admitted"]).all()
    assert generated["admitted"].min() >= data["stay"]["admitted"].min()


def test_stays_that_overlap_are_not_kept_apart():
    data = stays(n=200, overlapping=True)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.sibling_keys and all(o.sibling_base is None for o in pre.orderings["stay"].values())
    back = pre.inverse_transform(pre.transform(data), seed=1)["stay"]
    assert len(back) == len(data["stay"]) and overlaps(back) > 0


def stays_until_death(days_below: int, born: bool = False) -> RelationalData:
    """`stays` of 90 patients, each patient dying 0 to `days_below` - 1 days after their last discharge."""
    data = stays(n=90, born=born)
    patient, stay = data["patient"].copy(), data["stay"]
    last = stay.groupby("patient")["discharged"].max().reindex(patient["id"]).to_numpy()
    patient["died"] = last + pd.to_timedelta(np.random.default_rng(1).integers(0, days_below, len(patient)), "D")
    columns = {"id": PrimaryKey(), **({"born": Date()} if born else {}), "died": Date()}
    schema = Schema(patient=Table(**columns), stay=data.schema.tables["stay"])
    return RelationalData({"patient": patient, "stay": stay}, schema)


def stays_capped_by_death(data: RelationalData, mean_gap_days: float) -> tuple[pd.DataFrame, pd.Series]:
    """Fit on `data` (`stays_until_death`), check the admission is modelled from the previous
    discharge with the death as its cap, and decode random offsets (gaps of `mean_gap_days` on
    average), as a model may write them: (the stays, each stay's patient's death)."""
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    admitted = pre.orderings["stay"]["admitted"]
    assert admitted.after_sibling and admitted.sibling_base == "discharged" and admitted.origin is not None
    assert (admitted.cap, admitted.cap_from_parent) == ("died", True)
    rng = np.random.default_rng(0)
    siblings = np.repeat(np.arange(90), data["stay"].groupby("patient").size().to_numpy())
    cols = {
        "admitted": pd.Series(rng.exponential(mean_gap_days * 86_400, len(siblings))),
        "discharged": pd.Series(rng.exponential(5 * 86_400, len(siblings))),
    }
    parent = pd.DataFrame({"died": data["patient"]["died"].to_numpy()[siblings]})
    from_offsets(cols, pre.orderings["stay"], parent, siblings)
    return pd.DataFrame({"patient": siblings, **cols}), parent["died"]


def test_stays_modelled_from_the_previous_one_are_never_after_the_patients_death():
    """A patient's death, days to a decade after the last discharge, is too far from the stays to be
    their base (`loose`): the stays follow one another from the first admission, and the death stays
    the admissions' cap."""
    generated, died = stays_capped_by_death(stays_until_death(4000, born=True), mean_gap_days=600)
    assert (generated["admitted"] <= died).all() and (generated["discharged"] <= died).all()


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_current_stays_without_a_discharge_leave_the_admission_the_key(seed):
    """A quarter of the patients' last stays not yet discharged (NULL): the stays stored shuffled,
    the discharge followed from one stored sibling to the next a little more often over the fewer
    pairs holding it, so it was the key (3 of 6 seeds), the admission no sequence, and even a round
    trip of the data overlapped 11-14 stays."""
    data = stays(seed=seed)
    stay = data["stay"].copy()
    current = stay.index[stay["admitted"] == stay.groupby("patient")["admitted"].transform("max")][::4]
    stay.loc[current, "discharged"] = pd.NaT
    data = RelationalData({"patient": data["patient"], "stay": stay}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.sibling_keys == {"stay": "admitted"}
    assert pre.orderings["stay"]["admitted"].sibling_base == "discharged"
    back = pre.inverse_transform(pre.transform(data), seed=1)["stay"]
    assert overlaps(back) == 0 and back["discharged"].isna().sum() == len(current)


def test_a_salary_dropped_at_the_termination_leaves_the_last_kept_one_closed():
    """A row dropped because its parent's cap (the termination) left it no room is no series cut at
    the data's end: its open end (a current salary) was handed to the row kept before it, and a
    terminated employee's last salary came out still current."""
    o = Ordering(
        column="from_date",
        base="hired",
        sign=1,
        from_parent=True,
        after_sibling=True,
        sibling_base="to_date",
        cap="terminated",
        cap_from_parent=True,
        extreme=float(pd.Timestamp("2030-01-01").value),  # the data's end, far off
    )
    cols = {
        "from_date": pd.Series(pd.to_datetime(["2019-01-01", "2019-06-01", "2019-12-31"])),
        "to_date": pd.Series(pd.to_datetime(["2019-05-31", "2019-12-31", None])),
    }
    parent = pd.DataFrame({"terminated": pd.to_datetime(["2019-12-31"] * 3)})  # each row's parent row
    siblings = np.array([1, 1, 1])
    gone = without_room(cols, {"from_date": o}, parent, siblings)
    assert gone.tolist() == [False, False, True]
    with_ends_of_dropped_tails(cols, {"from_date": o}, siblings, gone)
    assert cols["to_date"][1] == pd.Timestamp("2019-12-31")  # still ends at the termination
    late = replace(o, extreme=float(pd.Timestamp("2019-12-01").value))  # cut at the data's end: still open
    cols["to_date"] = pd.Series(pd.to_datetime(["2019-05-31", "2019-12-31", None]))
    with_ends_of_dropped_tails(cols, {"from_date": late}, siblings, gone)
    assert pd.isna(cols["to_date"][1])


def test_a_series_cut_at_the_datas_end_keeps_no_end_past_it():
    """A series cut at the data's end whose dropped last row was closed: the kept row took that
    row's end, which lies past the dropped row's start, itself past the data's last date (a salary
    kept in 2020 ending in August 2021, the data's last start in December 2020). An open end (a current
    salary) is the series' to carry, and a closed one within the data (a termination: test_last_nulls);
    one past the data's latest end leaves the kept row its own."""
    o = Ordering(
        column="from_date",
        base="hired",
        sign=1,
        after_sibling=True,
        sibling_base="to_date",
        extreme=float(pd.Timestamp("2020-12-31").value),  # the data's last start
        dated=True,
    )
    starts = pd.to_datetime(["2020-01-01", "2020-06-01", "2021-02-01"] * 2)
    cols = {
        "from_date": pd.Series(starts),
        "to_date": pd.Series(
            pd.to_datetime(["2020-05-31", "2020-12-20", "2021-08-01"] + ["2020-05-31", "2020-12-20", None])
        ),
    }
    siblings, gone = np.array([7, 7, 7, 8, 8, 8]), np.array([False, False, True] * 2)
    with_ends_of_dropped_tails(cols, {"from_date": o}, siblings, gone)
    assert cols["to_date"][1] == pd.Timestamp("2020-12-20")  # closed: its own end, not 2021-08-01
    assert pd.isna(cols["to_date"][4])  # open: still current
    assert cols["to_date"][[0, 3]].tolist() == [pd.Timestamp("2020-05-31")] * 2


def test_siblings_summed_past_the_columns_latest_date_are_not_pulled_back_onto_it():
    """A user's sessions, each from the previous one's end: where the gaps the model drew summed
    past the latest start of the training rows, every later session was pulled back onto the
    latest end, zero-length, all at one instant (13 of 750 generated sessions, 38 events). Nor do
    they pass it now: the first past it is drawn again within the room before it, the series ends
    there, as the data's do, those after it dropped (`without_room`), the others' gaps as drawn."""
    data = stays()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    latest = data["stay"]["admitted"].max()
    siblings = np.repeat(np.arange(20), 6)
    days = np.random.default_rng(0).integers(1, 13, len(siblings))
    cols = {  # gaps of 400 days: past the latest discharge by the third stay
        "admitted": pd.Series(np.full(len(siblings), 400.0 * 86_400)),
        "discharged": pd.Series(days * 86_400.0),
    }
    from_offsets(cols, pre.orderings["stay"], None, siblings, rng=np.random.default_rng(0))
    gone = without_room(cols, pre.orderings["stay"], None, siblings)
    assert (gone == (np.arange(len(siblings)) % 6 >= 3)).all()  # two fit, one drawn again before it, no more
    admitted, discharged = cols["admitted"][~gone], cols["discharged"][~gone]
    assert (admitted <= latest).all() and (admitted == latest).sum() <= 1
    lengths = (discharged - admitted).dt.days.to_numpy()  # a stay drawn in late: stopped at the latest discharge
    assert (lengths <= days[~gone]).all() and (lengths == days[~gone]).mean() > 0.9
    step = cols["admitted"].groupby(siblings).diff().to_numpy()[np.arange(len(siblings)) % 6 == 1]
    assert (step == (400 + days.reshape(20, 6)[:, 0]) * np.timedelta64(1, "D")).all()  # gap + stay
    assert (admitted.to_numpy()[1:] >= discharged.to_numpy()[:-1])[np.diff(siblings[~gone]) == 0].all()
    tx = accounts(
        due=False
    )  # each transaction a week after the previous one's date, the first on the account's opening
    pre = TabularPreproc.from_schema(tx.schema).fit(tx)
    siblings = np.repeat(np.arange(10), 120)  # 119 weeks: past the latest date
    cols = {"date": pd.Series(np.full(len(siblings), 7.0 * 86_400))}
    parent = pd.DataFrame({"opened": tx["acct"]["opened"].to_numpy()[siblings]})
    from_offsets(cols, pre.orderings["tx"], parent, siblings)
    assert (cols["date"] > tx["tx"]["date"].max()).any()
    step = cols["date"].groupby(siblings).diff().dropna()
    assert (step > pd.Timedelta(0)).all() and (step == pd.Timedelta("7D")).mean() > 0.7  # one may stop at the latest


def test_stays_before_a_near_death_follow_one_another_and_never_pass_it():
    """Each patient died 0-30 days after their last discharge: the admission's nearest parent date
    is the death after it (admitted <= died, no base before it), which left the stays without a
    sequence (the key's order ran the wrong way), so they could overlap; now modelled from the
    previous discharge, the death their cap."""
    generated, died = stays_capped_by_death(stays_until_death(31), mean_gap_days=60)
    assert overlaps(generated) == 0 and (generated["admitted"] <= died).all()


def test_readings_at_a_regular_step_that_differs_by_device_are_a_sequence():
    """Devices read over the same two days every 5 to 60 minutes: the more readings a device has,
    the closer they are, as dates drawn within a window would be, so the slope of `_in_sequence`
    (-1) took them for such draws; on an IoT database (5 to 30 minutes, 800-1,500 readings a device,
    -1.06 +- 0.60) 7 % of the generated readings repeated their device's timestamp and the energy
    counter went down in half the steps. Readings at one step are a sequence; dates drawn within a
    window still are not."""
    rng = np.random.default_rng(0)
    step = rng.choice([5, 10, 15, 30, 60], 30)
    dev = np.repeat(np.arange(30), 2 * 24 * 60 // step)
    minutes = pd.Series(step[dev]).groupby(dev).cumsum().to_numpy()
    minutes[rng.random(len(dev)) < 0.02] += 1  # a late reading now and then
    reading = pd.DataFrame({"dev": dev, "ts": pd.Timestamp("2023-01-01") + pd.to_timedelta(minutes, "min")})
    kinds = {"ts": Column.DATETIME}
    assert sibling_key(reading.sample(frac=1.0, random_state=0), "dev", ["ts"], kinds) == "ts"
    drawn = reading.assign(ts=pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 2880, len(dev)), "min"))
    assert sibling_key(drawn.sample(frac=1.0, random_state=0), "dev", ["ts"], kinds) is None


def test_a_sequence_under_a_row_without_dates_starts_from_a_date_further_up():
    """Shipment events under order lines (no date) under orders: their first date was counted from
    the column's least value, so generated events fell 148-229 days after their order at the
    median against 2; it now follows the order's date, two levels up, as its base."""
    rng = np.random.default_rng(0)
    n = 120
    order = pd.DataFrame(
        {"id": range(n), "placed": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")}
    )
    lines = np.repeat(np.arange(n), rng.integers(1, 4, n))
    line = pd.DataFrame({"id": range(len(lines)), "order": lines, "qty": rng.integers(1, 5, len(lines))})
    events = np.repeat(np.arange(len(lines)), rng.integers(2, 5, len(lines)))
    rank = pd.Series(events).groupby(events).cumcount().to_numpy()
    start = order["placed"].to_numpy()[lines] + pd.to_timedelta(rng.integers(1, 72, len(lines)), "h")  # per line
    event = pd.DataFrame(
        {"id": range(len(events)), "line": events, "ts": start[events] + pd.to_timedelta(rank * 20, "h")}
    )
    schema = Schema(
        order=Table(id=PrimaryKey(), placed=Datetime()),
        line=Table(id=PrimaryKey(), order=ForeignKey("order"), qty=Integer()),
        event=Table(id=PrimaryKey(), line=ForeignKey("line"), ts=Datetime()),
    )
    data = RelationalData({"order": order, "line": line, "event": event}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    ts = pre.orderings["event"]["ts"]
    assert (ts.base, ts.from_parent, ts.after_sibling) == ("order.placed", True, True)
    back = pre.inverse_transform(pre.transform(data), seed=0)
    placed = (
        back["event"]["line"].map(back["line"].set_index("id")["order"]).map(back["order"].set_index("id")["placed"])
    )
    gap = (back["event"]["ts"] - placed).dt.total_seconds() / 3600
    real = (event["ts"] - order["placed"].to_numpy()[lines[events]]).dt.total_seconds() / 3600
    assert gap.min() >= 0 and abs(gap.median() - real.median()) < 12


def salary_history(n: int = 120, seed: int = 0) -> RelationalData:
    """employees (hired; a quarter terminated) -> salary rows, each from the day after the previous
    one's end, the first from the hire date; the last one ends on the termination, else is current
    (NULL): effective-dated rows, contiguous, stored shuffled."""
    rng = np.random.default_rng(seed)
    hired = pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), "D")
    emp = np.repeat(np.arange(n), rng.integers(1, 6, n))
    days = rng.integers(200, 700, len(emp))
    ends = pd.Series(days).groupby(emp).cumsum().to_numpy()  # days from the hire to each row's end
    starts = ends - days
    last = pd.Series(emp).groupby(emp).cumcount(ascending=False).to_numpy() == 0
    terminated = rng.random(n) < 0.25
    left = hired + pd.to_timedelta(np.bincount(emp, weights=days).astype(int) - 1, "D")
    row = pd.DataFrame(
        {
            "id": range(len(emp)),
            "employee": emp,
            "valid_from": hired[emp] + pd.to_timedelta(starts, "D"),
            "valid_to": (hired[emp] + pd.to_timedelta(ends - 1, "D")).where(~last | terminated[emp]),
        }
    ).sample(frac=1.0, random_state=seed)
    employee = pd.DataFrame({"id": range(n), "hired": hired, "terminated": left.where(terminated)})
    schema = Schema(
        employee=Table(id=PrimaryKey(), hired=Date(), terminated=Date()),
        salary=Table(id=PrimaryKey(), employee=ForeignKey(parent="employee"), valid_from=Date(), valid_to=Date()),
    )
    return RelationalData({"employee": employee, "salary": row.reset_index(drop=True)}, schema)


def not_contiguous(salary: pd.DataFrame) -> int:
    """Rows not starting the day after their employee's previous row (in start order) ended."""
    s = salary.sort_values(["employee", "valid_from"], kind="stable")
    previous = s.groupby("employee")["valid_to"].shift(1)
    return int((previous.notna() & (s["valid_from"] != previous + pd.Timedelta("1D"))).sum())


def test_intervals_until_a_termination_follow_the_previous_interval_and_never_pass_it():
    """Effective-dated salary rows under employees, some terminated: the start's base was the hire
    date with the termination its bound, so it was held as its place between the two and the rows
    were no sequence: a round trip of the data left 303 of 349 rows off the day after the previous
    row's end (gaps and overlaps). The termination is now the sequence's cap, as a death is."""
    data = salary_history()
    assert not_contiguous(data["salary"]) == 0
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    start = pre.orderings["salary"]["valid_from"]
    assert start.after_sibling and start.sibling_base == "valid_to" and start.bound is None
    assert (start.base, start.from_parent, start.cap, start.cap_from_parent) == ("hired", True, "terminated", True)
    back = pre.inverse_transform(pre.transform(data), seed=1)
    assert len(back["salary"]) == len(data["salary"]) and not_contiguous(back["salary"]) == 0
    rng = np.random.default_rng(0)  # any offsets, as a model may write them: never past the termination
    siblings = np.repeat(np.arange(len(data["employee"])), data["salary"].groupby("employee").size().to_numpy())
    cols = {
        "valid_from": pd.Series(rng.exponential(300 * 86_400, len(siblings))),
        "valid_to": pd.Series(rng.random(len(siblings))),
    }
    parent = data["employee"].iloc[siblings].reset_index(drop=True)
    from_offsets(cols, pre.orderings["salary"], parent, siblings)
    left = parent["terminated"]
    assert (cols["valid_from"] >= parent["hired"]).all() and not (cols["valid_from"] > left).any()
    assert not (cols["valid_to"] > left).any() and (cols["valid_to"].dropna() >= cols["valid_from"]).all()


def admissions(n: int = 150, seed: int = 0) -> RelationalData:
    """patients (registered; 30 % deceased, 1-300 days after their last discharge) -> 1-4 stays of
    1 hour to 20 days each, 1-300 days after the previous discharge (the first: after registering)."""
    rng = np.random.default_rng(seed)
    registered = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D")
    pid = np.repeat(np.arange(n), rng.integers(1, 5, n))
    stays = pd.to_timedelta(rng.integers(60, 20 * 1440, len(pid)), "min")
    ends = pd.Series(pd.to_timedelta(rng.integers(1, 300, len(pid)), "D") + stays).groupby(pid).cumsum()
    discharge = registered[pid] + pd.to_timedelta(ends.to_numpy())
    last = pd.Series(discharge).groupby(pid).max().to_numpy()
    deceased = pd.Series(last + pd.to_timedelta(rng.integers(1, 300, n), "D")).where(rng.random(n) < 0.3)
    patient = pd.DataFrame({"id": range(n), "registered": registered, "deceased": deceased})
    stay = pd.DataFrame({"id": range(len(pid)), "patient": pid, "admit": discharge - stays, "discharge": discharge})
    schema = Schema(
        patient=Table(id=PrimaryKey(), registered=Date(), deceased=Datetime()),
        stay=Table(id=PrimaryKey(), patient=ForeignKey(parent="patient"), admit=Datetime(), discharge=Datetime()),
    )
    return RelationalData({"patient": patient, "stay": stay}, schema)


def test_a_stay_drawn_past_the_death_with_room_before_it_is_drawn_again_within_it():
    """A patient's second stay drawn past the death, with room between the first discharge and the
    death: stopped on the death, it was admitted there, of no length, as no stay of the data is (13
    of 1,193 stays a trained model generated for an EHR). It is drawn again a gap before the death,
    from the gaps the data's stays keep from it (`Ordering.cap_gaps`)."""
    data = admissions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    admit = pre.orderings["stay"]["admit"]
    assert (admit.sibling_base, admit.cap) == ("discharge", "deceased") and admit.cap_gaps is not None
    dead = data["patient"][data["patient"]["deceased"].notna()].reset_index(drop=True)
    siblings = np.repeat(np.arange(len(dead)), 2)  # two stays each, a day apart, a day long
    parent = dead.iloc[siblings].reset_index(drop=True)
    cols = {
        "admit": pd.Series(np.tile([86_400.0, 10_000 * 86_400.0], len(dead))),  # the second: 27 years on
        "discharge": pd.Series(np.full(len(siblings), 86_400.0)),
    }
    from_offsets(cols, pre.orderings["stay"], parent, siblings, rng=np.random.default_rng(0))
    second = pd.DataFrame(cols).iloc[1::2]
    assert (second["admit"] < parent["deceased"].iloc[1::2]).all()
    assert (second["admit"] > pd.DataFrame(cols)["discharge"].iloc[::2].to_numpy()).all()


def test_rows_a_termination_leaves_no_room_for_are_dropped(caplog, tiny_size):
    """An employee given more salary rows than the tenure holds: each row past the termination
    was stopped on it, rows of no length repeating the previous start (47 of 2,455 generated
    salary rows, which the source's UNIQUE (employee_id, valid_from) refuses). Those rows are
    dropped (nothing nests under them), saying so; an untrained model makes many."""
    data = salary_history()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    with caplog.at_level(logging.INFO, logger="relsynth.synth.tabular._decode"):
        out = TabularModel.build(pre, size=tiny_size).generate(120, seed=0)
    assert "generated rows dropped" in caplog.text
    salary = out["salary"]
    assert len(salary) > 100 and not salary.duplicated(["employee", "valid_from"]).any()
    left = salary["employee"].map(out["employee"].set_index("id")["terminated"])
    assert not (salary["valid_from"] > left).any() and not (salary["valid_to"] > left).any()


def test_a_few_devices_of_long_series_are_a_sequence():
    """19 devices of 300-600 readings every 5 minutes (an IoT database's training part): fewer than
    20 parents of two rows, so no sibling key; generated, 30 % of a device's steps repeated or went
    back before its previous reading and its energy meter went down in half the steps (20 devices:
    none). Thousands of steps are as many pairs to trust as 20 parents' few: the key is read from
    the pairs of consecutive siblings, and a regular step from the steps."""
    rng = np.random.default_rng(0)
    dev = np.repeat(np.arange(3), rng.integers(300, 600, 3))
    minutes = 5 * pd.Series(dev).groupby(dev).cumcount().to_numpy()
    reading = pd.DataFrame({"dev": dev, "ts": pd.Timestamp("2023-01-01") + pd.to_timedelta(minutes, "min")})
    kinds = {"ts": Column.DATETIME}
    assert sibling_key(reading.sample(frac=1.0, random_state=0), "dev", ["ts"], kinds) == "ts"
    drawn = reading.assign(ts=pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 2880, len(dev)), "min"))
    assert sibling_key(drawn.sample(frac=1.0, random_state=0), "dev", ["ts"], kinds) is None
    few = reading.groupby("dev").head(8)  # 21 pairs, a regular step over fewer than 80 steps: too few
    assert sibling_key(few.sample(frac=1.0, random_state=0), "dev", ["ts"], kinds) is None


def families(n: int = 300, seed: int = 0) -> RelationalData:
    """people -> their children, 0 to 4, born from 17 to 30 years after their parent and at least
    285 days after their previous sibling."""
    rng = np.random.default_rng(seed)
    born = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, n), "D")
    parent = np.repeat(np.arange(n), rng.choice(5, n, p=[0.2, 0.25, 0.3, 0.15, 0.1]))
    rank = pd.Series(parent).groupby(parent).cumcount().to_numpy()
    first = rng.integers(17 * 365, 30 * 365, len(parent))
    steps = np.where(rank == 0, first, 285 + rng.gamma(2.0, 300, len(parent)).astype(int))
    days = pd.Series(steps).groupby(parent).cumsum().to_numpy()
    schema = Schema(
        person=Table(id=PrimaryKey(), born=Date()),
        child=Table(id=PrimaryKey(), parent=ForeignKey("person"), born=Date()),
    )
    child = pd.DataFrame(
        {"id": range(len(parent)), "parent": parent, "born": born[parent] + pd.to_timedelta(days, "D")}
    )
    return RelationalData({"person": pd.DataFrame({"id": range(n), "born": born}), "child": child}, schema)


def doses(n: int = 300, seed: int = 0) -> RelationalData:
    """patients -> vaccine doses, 1 to 4: the first within 2 weeks of the birth, the others 28 to
    90 days after the previous one."""
    rng = np.random.default_rng(seed)
    born = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), "D")
    patient = np.repeat(np.arange(n), rng.integers(1, 5, n))
    rank = pd.Series(patient).groupby(patient).cumcount().to_numpy()
    steps = np.where(rank == 0, rng.integers(0, 15, len(patient)), rng.integers(28, 91, len(patient)))
    days = pd.Series(steps).groupby(patient).cumsum().to_numpy()
    schema = Schema(
        patient=Table(id=PrimaryKey(), born=Date()),
        dose=Table(id=PrimaryKey(), patient=ForeignKey("patient"), given=Date()),
    )
    dose = pd.DataFrame(
        {"id": range(len(patient)), "patient": patient, "given": born[patient] + pd.to_timedelta(days, "D")}
    )
    return RelationalData({"patient": pd.DataFrame({"id": range(n), "born": born}), "dose": dose}, schema)


def least_gaps(
    out: RelationalData, parent: str, child: str, fk: str, col: str, latest: pd.Timestamp | None = None
) -> tuple[float, float]:
    """(the least days from a parent's date to its first child's, the least days between siblings,
    leaving out a sibling on the `latest` date, where decoding stops one drawn past it)."""
    parents = out[parent].rename(columns={"id": fk, "born": "parent_born"})
    rows = out[child].merge(parents, on=fk).sort_values([fk, col])
    first = rows.groupby(fk).head(1)
    steps = rows.assign(step=rows.groupby(fk)[col].diff().dt.days)
    steps = steps[steps[col] < latest] if latest is not None else steps  # pulled back onto the latest date
    return (first[col] - first["parent_born"]).dt.days.min(), steps["step"].min()


def test_siblings_from_their_parents_date_keep_the_least_gaps_the_data_keeps(tiny_size):
    """A first child's offset from its parent's birth and a later child's from its previous
    sibling are drawn from one slot: an untrained model had mothers 2 years old at their first
    child's birth (the data: 17 at least), and vaccine doses 1 day apart (28 at least); now each
    keeps the data's least gap but 4 rows' (the 5th smallest), but a sibling drawn past the data's
    latest date, stopped on it."""
    for data, (parent, child, fk, col) in [
        (families(), ("person", "child", "parent", "born")),
        (doses(), ("patient", "dose", "patient", "given")),
    ]:
        pre = TabularPreproc.from_schema(data.schema).fit(data)
        o = pre.orderings[child][col]
        assert o.after_sibling and o.step_gap > 0 and (o.first_gap > 0) == (child == "child")  # a dose: 0 days
        real = least_gaps(data, parent, child, fk, col)
        torch.manual_seed(0)
        out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)
        first, step = least_gaps(out, parent, child, fk, col, latest=data[child][col].max())
        assert first >= o.first_gap / 86_400 >= real[0], child
        assert step >= o.step_gap / 86_400 >= real[1], child


def timed_stays_until_death() -> RelationalData:
    """`stays_until_death` with admissions and discharges at a minute of the day (timestamps, never
    at midnight), each patient's death (a date) 1-30 days after the last discharge's day."""
    data = stays(n=90)
    rng = np.random.default_rng(2)
    stay = data["stay"].copy()
    for c in ("admitted", "discharged"):
        stay[c] = stay[c] + pd.to_timedelta(rng.integers(60, 23 * 60, len(stay)), "min")
    last = stay.groupby("patient")["discharged"].max().dt.normalize().reindex(data["patient"]["id"]).to_numpy()
    patient = data["patient"].assign(died=last + pd.to_timedelta(rng.integers(1, 31, len(last)), "D"))
    schema = Schema(
        patient=Table(id=PrimaryKey(), died=Date()),
        stay=Table(id=PrimaryKey(), patient=ForeignKey(parent="patient"), admitted=Datetime(), discharged=Datetime()),
    )
    return RelationalData({"patient": patient, "stay": stay}, schema)


def test_timestamps_capped_by_a_date_keep_their_time_of_day():
    """An admission (a timestamp) never after the patient's death (a date): one the model drew
    past the death was set onto it, its midnight, a time of day no admission of the data has (43
    of 722 generated admissions at 00:00). It is moved back by whole days instead, keeping its time,
    where the previous discharge leaves it a day."""
    generated, died = stays_capped_by_death(timed_stays_until_death(), mean_gap_days=600)
    admitted = generated["admitted"]
    assert (admitted > died - pd.Timedelta("1D")).sum() > 10  # many drawn past the death
    assert (admitted <= died).all() and overlaps(generated) == 0
    s = generated.assign(died=died).sort_values(["patient", "admitted"], kind="stable")
    previous = s.groupby("patient")["discharged"].shift(1)
    room = previous.isna() | (previous < s["died"] - pd.Timedelta("1D"))  # a day before the death at least
    assert room.sum() > 80 and (s["admitted"] != s["admitted"].dt.normalize())[room].all()  # none at midnight


def adults_until_death(n: int = 150) -> RelationalData:
    """patients born 1925-1999 -> 1-4 stays each, the first 0-3 years after the later of the 18th
    birthday and 2010, each 1-60 days after the previous discharge; a fifth die 1-300 days after the
    last discharge (a date missing in most rows: the stays' cap)."""
    rng = np.random.default_rng(4)
    born = pd.Timestamp("1925-01-01") + pd.to_timedelta(rng.integers(0, 365 * 75, n), "D")
    start = (born + pd.Timedelta(days=365 * 18 + 5)).where(born > "1992-01-01", pd.Timestamp("2010-01-01"))
    pid = np.repeat(np.arange(n), rng.integers(1, 5, n))
    los, gap = rng.integers(1, 13, len(pid)), rng.integers(1, 61, len(pid))
    before = pd.Series(gap + los).groupby(pid).cumsum().to_numpy() - los - gap
    first = start + pd.to_timedelta(rng.integers(0, 3 * 365, n), "D")
    admitted = first[pid] + pd.to_timedelta(before, "D")
    stay = pd.DataFrame({"id": range(len(pid)), "patient": pid, "admitted": admitted})
    stay["discharged"] = stay["admitted"] + pd.to_timedelta(los, "D")
    last = stay.groupby("patient")["discharged"].max().to_numpy()
    died = pd.Series(last + pd.to_timedelta(rng.integers(1, 300, n), "D")).where(rng.random(n) < 0.2)
    schema = Schema(
        patient=Table(id=PrimaryKey(), born=Date(), died=Date()),
        stay=Table(id=PrimaryKey(), patient=ForeignKey(parent="patient"), admitted=Date(), discharged=Date()),
    )
    return RelationalData({"patient": pd.DataFrame({"id": range(n), "born": born, "died": died}), "stay": stay}, schema)


def test_a_sequence_capped_by_the_death_keeps_its_distance_from_the_birth():
    """Stays, a sequence from the column's earliest admission capped by the patient's death, were
    counted from no date of the patient but the death: a young patient's first stay, drawn from
    2010 on, came before the 18th birthday (35 of 722 generated admissions; the data: none). The
    birth is now the sequence's floor: the first stay counts from the later of the two."""
    data = adults_until_death()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    admitted = pre.orderings["stay"]["admitted"]
    assert admitted.after_sibling and admitted.origin is not None and admitted.cap == "died"
    assert admitted.floor == "born" and admitted.floor_gap >= 18 * 365 * 86_400e9
    rng = np.random.default_rng(0)  # any offsets, as a model may write them
    siblings = np.repeat(np.arange(150), rng.integers(1, 5, 150))
    cols = {
        "admitted": pd.Series(rng.exponential(300 * 86_400, len(siblings))),
        "discharged": pd.Series(rng.exponential(5 * 86_400, len(siblings))),
    }
    parent = data["patient"][["born", "died"]].iloc[siblings].reset_index(drop=True)
    from_offsets(cols, pre.orderings["stay"], parent, siblings)
    age = (cols["admitted"] - parent["born"]).dt.days
    assert (age >= 18 * 365).all() and overlaps(pd.DataFrame({"patient": siblings, **cols})) == 0
    back = pre.inverse_transform(pre.transform(data), seed=1)  # a round trip: 6 of 386 stays before 18
    stay = back["stay"].merge(back["patient"], left_on="patient", right_on="id")
    assert len(stay) > 350 and ((stay["admitted"] - stay["born"]).dt.days >= 18 * 365).all()


def test_a_count_from_one_under_each_parent_is_generated_one_to_n():
    """A diagnosis' seq_num, 1..n under each stay, is a sequence from its least value (1), each row
    the previous one's plus its offset; offsets a model draws for the first row (0 in every
    training row) or the steps (1 in every one) gave a stay's diagnoses 2, 3 (1 of 722 generated
    stays). An offset every training row of its kind holds is now the one decoded."""
    rng = np.random.default_rng(5)
    stay = np.repeat(np.arange(200), rng.integers(1, 6, 200))
    seq = pd.Series(stay).groupby(stay).cumcount().to_numpy() + 1
    dx = pd.DataFrame(
        {"id": range(len(stay)), "stay": stay, "seq_num": seq, "code": rng.choice(list("ABCDE"), len(stay))}
    )
    schema = Schema(
        stay=Table(id=PrimaryKey()),
        dx=Table(id=PrimaryKey(), stay=ForeignKey(parent="stay"), seq_num=Integer(), code=Categorical()),
    )
    data = RelationalData({"stay": pd.DataFrame({"id": range(200)}), "dx": dx}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    o = pre.orderings["dx"]["seq_num"]
    assert o.after_sibling and (o.first_fixed, o.step_fixed) == (0.0, 1.0)
    siblings = np.repeat(np.arange(50), rng.integers(1, 6, 50))
    cols = {"seq_num": pd.Series(rng.choice([0.0, 1.0, 2.0], len(siblings), p=[0.4, 0.5, 0.1]))}  # as a model may
    from_offsets(cols, pre.orderings["dx"], None, siblings)
    expected = pd.Series(siblings).groupby(siblings).cumcount().to_numpy() + 1
    assert (cols["seq_num"].to_numpy() == expected).all()


def sessions(n: int = 200, seed: int = 0) -> RelationalData:
    """sessions -> events, 1 to 6: the first at the session's start to the second, the others
    1 second to 30 minutes after the previous one."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90 * 86_400, n), "s")
    session = np.repeat(np.arange(n), rng.integers(1, 7, n))
    rank = pd.Series(session).groupby(session).cumcount().to_numpy()
    steps = np.where(rank == 0, 0, rng.integers(1, 1800, len(session)))
    seconds = pd.Series(steps).groupby(session).cumsum().to_numpy()
    schema = Schema(
        session=Table(id=PrimaryKey(), started=Datetime()),
        event=Table(id=PrimaryKey(), session=ForeignKey("session"), at=Datetime()),
    )
    event = pd.DataFrame(
        {"id": range(len(session)), "session": session, "at": start[session] + pd.to_timedelta(seconds, "s")}
    )
    return RelationalData({"session": pd.DataFrame({"id": range(n), "started": start}), "event": event}, schema)


def test_first_siblings_all_on_their_parents_date_are_generated_there(tiny_size):
    """A session starts at its first event: every first event's offset from its session's start is
    0, but a date's offset is drawn from its bins, so a clickstream model put 4 of 365 sessions'
    first events 31 s to 3 min after the start. A date's first siblings on one offset keep it
    (`first_fixed`), as a number sequence's did."""
    data = sessions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    o = pre.orderings["event"]["at"]
    assert o.after_sibling and o.from_parent and o.first_fixed == 0.0
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)
    first = out["event"].groupby("session")["at"].min()
    assert (first == out["session"].set_index("id")["started"].reindex(first.index)).all()
    assert out["event"].groupby("session")["at"].diff().dt.total_seconds().min() >= 1


def timed_versions(n: int = 200, seed: int = 0) -> RelationalData:
    """customers -> 1 to 5 versions, each valid from the previous one's end to the second (the first
    from a time after the signup), the last one open (valid_to null)."""
    rng = np.random.default_rng(seed)
    signup = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900 * 86_400, n), "s")
    cust = np.repeat(np.arange(n), rng.integers(1, 6, n))
    rank = pd.Series(cust).groupby(cust).cumcount().to_numpy()
    gaps = np.where(rank == 0, rng.integers(0, 86_400, len(cust)), rng.integers(30 * 86_400, 400 * 86_400, len(cust)))
    start = signup[cust] + pd.to_timedelta(pd.Series(gaps).groupby(cust).cumsum().to_numpy(), "s")
    versions = pd.DataFrame({"id": range(len(cust)), "customer": cust, "valid_from": start})
    versions["valid_to"] = versions.groupby("customer")["valid_from"].shift(-1)
    schema = Schema(
        customer=Table(id=PrimaryKey(), signup=Datetime()),
        version=Table(id=PrimaryKey(), customer=ForeignKey("customer"), valid_from=Datetime(), valid_to=Datetime()),
    )
    return RelationalData({"customer": pd.DataFrame({"id": range(n), "signup": signup}), "version": versions}, schema)


def test_versions_valid_from_the_previous_end_are_generated_contiguous(tiny_size):
    """A version is valid from the second its previous version ends: every later sibling's offset
    from the previous `valid_to` is 0, but a date's steps were drawn from their bins, so 2 of 535
    generated versions of a warehouse's customers started hours after the previous one ended."""
    data = timed_versions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    o = pre.orderings["version"]["valid_from"]
    assert o.sibling_base == "valid_to" and o.step_fixed == 0.0

    def gaps(out: RelationalData) -> int:
        v = out["version"].sort_values(["customer", "valid_from", "id"])
        nxt = v.groupby("customer")["valid_from"].shift(-1)
        return int((nxt.notna() & (nxt != v["valid_to"])).sum())

    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)  # untrained: offsets drawn at random
    assert gaps(model.generate(300, seed=0)) == 0
    pre.orderings["version"]["valid_from"] = replace(o, step_fixed=None)  # without: the test can tell
    assert gaps(model.generate(300, seed=0)) > 50


def test_unix_epoch_seconds_summed_past_the_datas_latest_are_drawn_again_within_it():
    """Users' ratings by their unix-epoch second (an integer, not read as a date), each user's from
    the previous one's: steps a weak model drew long, summed over a long user, ran past the data's
    latest second (23 of 2,510 generated MovieLens ratings); now drawn again within the room the
    user's earlier ratings left, still integers, in order, none past the latest."""
    rng = np.random.default_rng(0)
    n = 60
    user = np.repeat(np.arange(n), rng.integers(3, 9, n))
    start = rng.integers(1_000_000_000, 1_500_000_000, n)
    steps = rng.exponential(86_400 * 30, len(user)).astype(np.int64)
    ts = start[user] + pd.Series(steps).groupby(user).cumsum().to_numpy()
    ratings = pd.DataFrame({"user": user, "ts": ts, "stars": rng.integers(1, 6, len(user))})
    schema = Schema(
        users=Table(id=PrimaryKey()), ratings=Table(user=ForeignKey("users"), ts=Integer(), stars=Integer())
    )
    data = RelationalData({"users": pd.DataFrame({"id": range(n)}), "ratings": ratings}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    o = pre.orderings["ratings"]["ts"]
    assert o.after_sibling and o.origin is not None
    siblings = np.repeat(np.arange(20), 8)
    steps = rng.uniform(300, 900, len(siblings)) * 86_400  # 8 steps of 300-900 days: past the latest
    cols = {"ts": pd.Series(steps)}
    from_offsets(cols, {"ts": o}, None, siblings, rng=np.random.default_rng(0))
    out = cols["ts"]
    assert out.max() <= ts.max() and out.min() >= ts.min() and (out == ts.max()).sum() <= 1
    assert (out == out.round()).all() and out.groupby(siblings).is_monotonic_increasing.all()
    assert out.nunique() > len(out) // 2  # spread within the room, not piled on the latest second


def test_rows_a_termination_leaves_no_room_for_go_with_the_rows_under_them(caplog, tiny_size):
    """As above, with payslips under each salary row: rows with rows nested under them were never
    dropped, so those past the termination stayed on it, of no length (an EHR's stays at the
    patient's death, 36 of 1,216 a trained model generated). They go with their payslips, and every
    payslip left names a salary row left."""
    data = salary_history()
    rng = np.random.default_rng(1)
    at = np.repeat(data["salary"]["id"].to_numpy(), rng.integers(1, 4, len(data["salary"])))
    slips = pd.DataFrame({"id": range(len(at)), "salary": at, "amount": rng.integers(1_000, 5_000, len(at))})
    schema = Schema(
        **data.schema.tables,
        payslip=Table(id=PrimaryKey(), salary=ForeignKey(parent="salary"), amount=Integer()),
    )
    data = RelationalData({**data.data, "payslip": slips}, schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    with caplog.at_level(logging.INFO, logger="relsynth.synth.tabular._decode"):
        out = TabularModel.build(pre, size=tiny_size).generate(120, seed=0)
    salary = out["salary"]
    assert len(salary) > 100 and not salary.duplicated(["employee", "valid_from"]).any()
    assert "generated rows dropped" in caplog.text
    assert len(out["payslip"]) > 100 and out["payslip"]["salary"].isin(salary["id"]).all()


def daily_readings(n: int = 12, seed: int = 0) -> RelationalData:
    """stations (opened) -> one reading a day, with no gap, from 0-60 days after the opening: the
    first offsets spread over two months, every later step one day."""
    rng = np.random.default_rng(seed)
    opened = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D")
    station = np.repeat(np.arange(n), rng.integers(20, 40, n))
    first = rng.integers(0, 60, n)
    days = first[station] + pd.Series(station).groupby(station).cumcount().to_numpy()
    daily = pd.DataFrame(
        {
            "station": station,
            "day": opened[station] + pd.to_timedelta(days, "D"),
            "tmax": rng.normal(15, 5, len(station)),
        }
    )
    schema = Schema(
        station=Table(id=PrimaryKey(), opened=Date()),
        daily=Table(station=ForeignKey(parent="station"), day=Date(), tmax=Numeric()),
    )
    return RelationalData({"station": pd.DataFrame({"id": range(n), "opened": opened}), "daily": daily}, schema)


def test_a_series_stepping_one_day_in_every_training_row_keeps_its_days_contiguous():
    """A station's daily readings, every step one day, the first 0-60 days after the opening: the
    steps were drawn from the bins they share with the first offsets, so 1 in 1,000 generated steps
    skipped days or weeks (gaps of 4, 5, 45 and 52 days in two generated databases of 15 stations)."""
    data = daily_readings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    siblings = np.repeat(np.arange(4), 30)
    drawn = np.where(np.arange(len(siblings)) % 30 == 7, 45.0, 1.0) * 86_400  # one step a station from a far bin
    cols = {"day": pd.Series(drawn)}
    parent = pd.DataFrame({"opened": data["station"]["opened"].to_numpy()[siblings]})
    from_offsets(cols, pre.orderings["daily"], parent, siblings)
    step = cols["day"].groupby(siblings).diff().dropna()
    assert (step == pd.Timedelta("1D")).all()
    first = cols["day"].groupby(siblings).first().to_numpy() - parent["opened"].groupby(siblings).first().to_numpy()
    assert (first == pd.Timedelta("1D")).all()  # a first offset keeps its draw


def yearly_salaries(n: int = 150, seed: int = 0) -> RelationalData:
    """employees hired 2008-2017 -> a salary period a year long each, from the previous one's end
    (contiguous), until the data's end (2020-01-01: the last period, current, has no end): the
    later the hire, the fewer the periods, none starting past the data's end."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2020-01-01")
    hired = pd.Timestamp("2008-01-01") + pd.to_timedelta(rng.integers(0, 3650, n), "D")
    counts = ((end - hired).days // 365 + 1).to_numpy()
    emp = np.repeat(np.arange(n), counts)
    rank = pd.Series(emp).groupby(emp).cumcount().to_numpy()
    start = hired[emp] + pd.to_timedelta(rank * 365, "D")
    current = rank == counts[emp] - 1
    salary = pd.DataFrame(
        {"emp": emp, "from_date": start, "to_date": (start + pd.Timedelta("365D")).where(~current)}
    ).sample(frac=1.0, random_state=seed)
    schema = Schema(
        employee=Table(id=PrimaryKey(), hired=Date()),
        salary=Table(emp=ForeignKey(parent="employee"), from_date=Date(), to_date=Date()),
    )
    employee = pd.DataFrame({"id": range(n), "hired": hired})
    return RelationalData({"employee": employee, "salary": salary.reset_index(drop=True)}, schema)


def test_periods_from_the_previous_ones_end_never_start_past_the_datas_end(tiny_size):
    """Salary periods each from the previous one's end (an employees database read in its key's
    order): the chain kept no latest date, so a model giving an employee more periods than the
    data's end leaves room for summed them past it (195 of 5,895 generated salary rows started
    after the data's last date, which no real row does). The first past it is drawn again within
    the room before it; those after it are dropped, as rows a cap leaves no room for are, the last
    one kept taking the series' open end (the current salary); an untrained model makes many."""
    data = yearly_salaries()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    o = pre.orderings["salary"]["from_date"]
    assert o.after_sibling and o.sibling_base == "to_date"
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(150, seed=0)["salary"]
    assert len(out) > 300
    assert not (out["from_date"] > data["salary"]["from_date"].max()).any()
    s = out.sort_values(["emp", "from_date"], kind="stable")
    assert not s.duplicated(["emp", "from_date"]).any()
    assert (s["from_date"] >= s.groupby("emp")["to_date"].shift(1).fillna(s["from_date"])).all()
    assert s.drop_duplicates("emp", keep="last")["to_date"].isna().all()  # cut there, still open: a current salary
    assert s.groupby("emp")["to_date"].count().sum() == len(s) - s["emp"].nunique()  # the others closed

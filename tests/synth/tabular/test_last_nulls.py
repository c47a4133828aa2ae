"""Columns missing only in their parent's last row: the current subscription has no end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import Categorical, Datetime, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc

SCHEMA = Schema(
    user=Table(id=PrimaryKey(), country=Categorical()),
    sub=Table(id=PrimaryKey(), user=ForeignKey(parent="user"), start=Datetime(), end=Datetime(), plan=Categorical()),
)


def subscriptions(n: int = 80, seed: int = 0, churned: float = 0.0) -> RelationalData:
    """1-4 subscriptions a user, each starting after the previous one ended; the last one open
    (no end), except for `churned` users, whose last one ended too; stored in random order."""
    rng = np.random.default_rng(seed)
    user = np.repeat(np.arange(n), rng.integers(1, 5, n))
    length, gap = rng.integers(20, 200, len(user)), rng.integers(0, 30, len(user))
    days = pd.Series(gap + length).groupby(user).cumsum() - length
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(days * 86_400 + rng.integers(0, 86_400, len(user)), "s")
    last = np.r_[user[1:] != user[:-1], True]
    still_open = last & (rng.random(n) >= churned)[user]
    end = (start + pd.to_timedelta(length, "D")).where(~still_open)
    sub = pd.DataFrame({"id": range(len(user)), "user": user, "start": start, "end": end,
                        "plan": rng.choice(["basic", "pro"], len(user))})  # fmt: skip
    users = pd.DataFrame({"id": range(n), "country": rng.choice(["DE", "US"], n)})
    return RelationalData({"user": users, "sub": sub.sample(frac=1, random_state=seed)}, SCHEMA)


def test_a_column_missing_only_in_the_last_sibling_is_generated_so(tmp_path, tiny_size):
    """The model drew each subscription's missing end on its own: generated users had no open
    subscription, or several, some open before a later one (37 of 145 subscriptions open and
    followed by another, a trained small model). Now only the last of a user's subscriptions is
    open, and always."""
    data = subscriptions()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert pre.stats["last_nulls"] == [{"table": "sub", "column": "end", "always": True}]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    model.save(tmp_path / "model")
    out = TabularModel.load(tmp_path / "model").generate(80, seed=0)["sub"].sort_values(["user", "start"])
    last = np.r_[out["user"].to_numpy()[1:] != out["user"].to_numpy()[:-1], True]
    assert (out["user"].value_counts() > 1).sum() >= 10
    assert out["end"][last].isna().all() and out["end"][~last].notna().all()
    assert (out["start"] >= out.groupby("user")["end"].shift()).sum() == (~last).sum()  # none overlaps


def test_only_banned_before_the_last_where_some_last_rows_ended():
    """Churned users' last subscription ended: an end is still never missing before the last row,
    but the last one may have it."""
    pre = TabularPreproc.from_schema(SCHEMA).fit(subscriptions(churned=0.3))
    [rule] = pre.stats["last_nulls"]
    assert {k: rule[k] for k in ("table", "column", "always")} == {"table": "sub", "column": "end", "always": False}
    assert 0.6 < rule["share"] < 0.8  # the last rows still open: the users who stayed


def test_last_rows_are_missing_at_the_datas_share(tiny_size):
    """Half the users' last subscription is open, but the model learned its `<missing>` over every
    row, most of them not last: banned before the last row and left as drawn in it, 3 % of the
    generated last rows were open (an untrained model; trained 10 epochs, 19-22 % for 51 %). The
    model's probability there is now scaled to the data's share."""
    data = subscriptions(n=200, churned=0.5)
    pre = TabularPreproc.from_schema(SCHEMA).fit(data)
    share = pre.stats["last_nulls"][0]["share"]
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=tiny_size)
    for seed in (0, 1):
        out = model.generate(200, seed=seed)["sub"].sort_values(["user", "start"])
        last = np.r_[out["user"].to_numpy()[1:] != out["user"].to_numpy()[:-1], True]
        assert abs(out["end"][last].isna().mean() - share) < 0.1, seed
        assert out["end"][~last].notna().all()  # still never open before a later one


def test_no_rule_for_nulls_that_are_not_only_in_last_rows_or_too_few():
    data = subscriptions()
    df = data["sub"].copy()
    df.loc[df.sort_values("start").drop_duplicates("user", keep="last").index, "end"] = pd.NaT
    df.loc[df.index[df["end"].notna()][0], "end"] = pd.NaT  # one open before a later one
    assert (
        TabularPreproc.from_schema(SCHEMA).fit(RelationalData({**data.data, "sub": df}, SCHEMA)).stats["last_nulls"]
        == []
    )
    few = subscriptions(n=80, churned=0.97)  # 2 or 3 open subscriptions: chance
    assert TabularPreproc.from_schema(SCHEMA).fit(few).stats["last_nulls"] == []


def users_who_left(n: int = 80, churned: float = 0.3) -> tuple[pd.DataFrame, TabularPreproc]:
    """`subscriptions`, 30 % of the users churned, each with the date they left, the end of their
    last subscription (none for the others, whose last one is open); and its preprocessor, the
    date left a context column (an untrained model then writes both kinds of user)."""
    data = subscriptions(n=n, churned=churned)
    sub = data["sub"]
    ended = sub[sub["end"].notna()].groupby("user")["end"].max()
    closed = sub.groupby("user")["end"].apply(lambda s: s.notna().all())
    user = data["user"].assign(left=ended.where(closed).reindex(data["user"]["id"]).to_numpy())
    schema = Schema(user=Table(id=PrimaryKey(), country=Categorical(), left=Datetime()), sub=SCHEMA.tables["sub"])
    pre = TabularPreproc.from_schema(schema, ctx_cols=["left"]).fit(RelationalData({"user": user, "sub": sub}, schema))
    return user, pre


def generated_last_rows(
    user: pd.DataFrame, pre: TabularPreproc, tiny_size
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Subscriptions of an untrained model given `user`'s dates left: (them in start order, which
    is each user's last, each one's user's date left)."""
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(ctx=user[["left"]], seed=0)
    subs = out["sub"].sort_values(["user", "start"])
    last = np.r_[subs["user"].to_numpy()[1:] != subs["user"].to_numpy()[:-1], True]
    return subs, last, subs["user"].map(out["user"].set_index("id")["left"])


def test_the_last_row_is_open_exactly_where_its_parent_row_has_no_end_date(tiny_size):
    """Employees' salary rows: the current one open (no end) where the employee has no termination
    date, closed where they left. Only banned before the last row, the last row's null was the
    model's to draw, not knowing the row is the last: 255 of 433 active employees' current salary
    rows came out closed (a small trained model). The parent's missing termination now decides."""
    user, pre = users_who_left()
    [rule] = pre.stats["last_nulls"]
    assert (rule["table"], rule["column"], rule["always"], rule["parent"]) == ("sub", "end", False, "left")
    subs, last, left = generated_last_rows(user, pre, tiny_size)
    assert left[last].isna().sum() >= 5 and left[last].notna().sum() >= 5
    assert (subs["end"][last].isna() == left[last].isna()).all() and subs["end"][~last].notna().all()


def test_the_last_row_ends_on_its_parent_rows_end_date_where_the_datas_all_do(tiny_size):
    """A terminated employee's last job row ends on the termination date in every row of the data,
    the row's end modelled between its start and the termination: the model, not knowing the row
    is the last, ended some before it (5 generated HR job rows, a small model). Now written on it."""
    user, pre = users_who_left()
    assert pre.stats["last_nulls"] == [
        {"table": "sub", "column": "end", "always": False, "parent": "left", "at_bound": True}
    ]
    assert pre.orderings["sub"]["end"].bound == "left"
    subs, last, left = generated_last_rows(user, pre, tiny_size)
    ended = last & (subs["start"] <= left).to_numpy()  # an untrained model starts some after the user left
    assert ended.sum() >= 5 and (subs["end"][ended] == left[ended]).all()


def test_a_last_row_on_its_bound_in_few_rows_of_many_still_gets_its_token():
    """Few users left (3 %) among many subscriptions: the place on the bound, 1, was in fewer rows
    than a bin's share, so no token of its own, and the last rows were left to the model (25 of 77
    terminated employees' last salary rows ended before the termination). It gets its token
    wherever `min_count` rows hold it."""
    _, pre = users_who_left(n=800, churned=0.03)
    [rule] = pre.stats["last_nulls"]
    assert rule["parent"] == "left" and rule["at_bound"]
    layout = pre.layouts["sub"]
    assert 1.0 in pre.slots[layout.slots[layout.fields.index("end")]].preproc.points


def test_a_column_held_only_in_the_last_sibling_is_missing_in_every_other(tiny_size):
    """A stay's death time is on the patient's last stay only (where the patient died there): the
    model, not knowing more stays follow, wrote death times on two stays of 11 of 300 generated
    patients. A column held in no row but its parent's last is now missing in every other row."""
    data = subscriptions(n=120)
    sub = data["sub"].copy()
    last = sub["start"] == sub.groupby("user")["start"].transform("max")
    refunded = last & (np.random.default_rng(3).random(len(sub)) < 0.4)
    sub["refund"] = np.where(refunded, np.random.default_rng(4).integers(5, 50, len(sub)), np.nan)
    schema = Schema(user=SCHEMA.tables["user"], sub=Table(**SCHEMA.tables["sub"].columns, refund=Numeric()))
    pre = TabularPreproc.from_schema(schema).fit(RelationalData({"user": data["user"], "sub": sub}, schema))
    assert {"table": "sub", "column": "refund", "always": False, "held_last": True} in pre.stats["last_nulls"]
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(120, seed=0)["sub"].sort_values(["user", "start"])
    last = np.r_[out["user"].to_numpy()[1:] != out["user"].to_numpy()[:-1], True]
    assert (~last).sum() > 50 and out["refund"][last].notna().sum() > 10
    assert out["refund"][~last].isna().all()

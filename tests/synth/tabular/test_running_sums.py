"""A number that is the previous sibling's plus a number of its row (an account's balance after
each transaction, going up and down with the signed amount), the first sibling's its parent's plus
that number (the opening balance): drawn one by one, every generated balance broke the chain."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import (
    Categorical,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import TabularPreproc
from relsynth.synth.tabular.rules.running_sums import _kept_on_side, side_of_zero, without_floor_on_formulas


def bank(n: int = 60, seed: int = 0, opening: bool = True) -> RelationalData:
    """account (an opening balance, 2 decimals) -> 3-20 transactions each, stored shuffled: a
    signed `amount` (debits negative) and the `balance` after it, from the opening balance (or
    from 0 where not `opening`), and a `fee` in no chain."""
    rng = np.random.default_rng(seed)
    acc = np.repeat(np.arange(1, n + 1), rng.integers(3, 21, n))
    rank = pd.Series(acc).groupby(acc).cumcount().to_numpy()
    opened = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    start = rng.uniform(0, 5_000, n).round(2) if opening else np.zeros(n)
    amount = (rng.lognormal(4, 1, len(acc)) * np.where(rng.random(len(acc)) < 0.6, -1, 1)).round(2)
    cents = np.round(amount * 100).astype(np.int64)
    balance = (
        np.round(start * 100).astype(np.int64)[acc - 1] + pd.Series(cents).groupby(acc).cumsum().to_numpy()
    ) / 100
    tx = pd.DataFrame(
        {
            "id": range(1, len(acc) + 1),
            "account": acc,
            "booked": opened[acc - 1] + pd.to_timedelta(rank * 3 + 1, "D"),
            "amount": amount,
            "balance": balance,
            "fee": rng.choice([0.0, 0.5, 1.25], len(acc)),
        }
    ).sample(frac=1.0, random_state=seed)
    accounts = pd.DataFrame({"id": range(1, n + 1), "opened": opened, "opening": start})
    schema = Schema(
        account=Table(id=PrimaryKey(), opened=Datetime(), opening=Numeric()),
        tx=Table(
            id=PrimaryKey(),
            account=ForeignKey("account"),
            booked=Datetime(),
            amount=Numeric(),
            balance=Numeric(),
            fee=Numeric(),
        ),
    )
    return RelationalData({"account": accounts, "tx": tx}, schema)


def chain_breaks(data: RelationalData, opening: bool = True) -> tuple[int, int]:
    """(transactions whose balance is not the previous one's plus their amount, the first's the
    account's opening balance (or 0) plus it, to the cent; transactions)."""
    tx = data["tx"].sort_values(["account", "booked", "id"])
    start = data["account"].set_index("id")["opening"].astype(float) if opening else None
    previous = tx.groupby("account")["balance"].shift(1).astype(float)
    first = tx["account"].map(start) if opening else 0.0
    previous = previous.fillna(first) if opening else previous.fillna(0.0)
    expected = previous + tx["amount"].astype(float)
    return int((~np.isclose(tx["balance"].astype(float), expected, atol=0.005)).sum()), len(tx)


def test_a_balance_going_up_and_down_is_the_previous_plus_the_amount():
    data = bank()
    assert chain_breaks(data)[0] == 0
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = [(r["table"], r["column"], r["op"], r["of"], r["start"]) for r in pre.stats["running_sums"]]
    assert found == [("tx", "balance", "+", "amount", "opening")]  # not the fee
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    breaks, n = chain_breaks(synth)
    assert breaks == 0 and n > 300
    values = synth["tx"]["balance"].astype(float)
    assert np.allclose(values, values.round(2), rtol=0, atol=1e-9)  # cents, no drift over the chain
    assert (synth["tx"].sort_values(["account", "booked"]).groupby("account")["balance"].diff() < 0).any()
    pre.stats["running_sums"] = []  # without: the test can tell
    plain = pre.inverse_transform(pre.transform(data), seed=0)
    assert chain_breaks(plain)[0] > 0.5 * chain_breaks(plain)[1]


def test_a_balance_from_zero_starts_at_the_first_amount_and_survives_a_save(tmp_path):
    data = bank(opening=False)
    data = RelationalData(
        {"account": data["account"].drop(columns="opening"), "tx": data["tx"]},
        Schema(account=Table(id=PrimaryKey(), opened=Datetime()), tx=data.schema.tables["tx"]),
    )
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [(r["start"], r["constant"]) for r in pre.stats["running_sums"]] == [(None, 0.0)]
    pre.save(tmp_path / "pre")
    loaded = TabularPreproc.load(tmp_path / "pre")
    synth = loaded.inverse_transform(loaded.transform(data), seed=1)
    assert chain_breaks(synth, opening=False)[0] == 0


def unsigned_bank(debit: object, credit: object) -> RelationalData:
    """`bank` with its amounts written positive and a `kind` saying `debit` or `credit`."""
    data = bank()
    tx = data["tx"].assign(kind=np.where(data["tx"]["amount"] < 0, debit, credit), amount=data["tx"]["amount"].abs())
    schema = Schema(
        account=data.schema.tables["account"],
        tx=Table(**data.schema.tables["tx"].columns, kind=Categorical()),
    )
    return RelationalData({"account": data["account"], "tx": tx}, schema)


def test_an_unsigned_amount_is_added_or_taken_away_as_its_type_says():
    # amounts written positive, a type saying credit or debit: balance = previous + or - amount by the type
    unsigned = unsigned_bank("DEBIT", "CREDIT")
    schema = unsigned.schema
    pre = TabularPreproc.from_schema(schema).fit(unsigned)
    [found] = pre.stats["running_sums"]
    assert (found["op"], found["of"], found["sign_by"], found["signs"]) == (
        "label",
        "amount",
        "kind",
        {"CREDIT": 1.0, "DEBIT": -1.0},
    )
    synth = pre.inverse_transform(pre.transform(unsigned), seed=0)
    signed = synth["tx"]["amount"].astype(float) * np.where(synth["tx"]["kind"] == "DEBIT", -1, 1)
    fixed = RelationalData({"account": synth["account"], "tx": synth["tx"].assign(amount=signed)}, schema)
    assert chain_breaks(fixed)[0] == 0


def test_an_unsigned_amount_signed_by_a_coded_type_is_found_and_survives_a_save(tmp_path):
    """A type coded 1 (credit) and 2 (debit): the labels' signs are kept by their text ("1", as
    JSON keys are), then looked up by the raw labels (1), which found none: no running sum."""
    unsigned = unsigned_bank(2, 1)
    schema = unsigned.schema
    pre = TabularPreproc.from_schema(schema).fit(unsigned)
    [found] = pre.stats["running_sums"]
    assert (found["sign_by"], found["signs"]) == ("kind", {"1": 1.0, "2": -1.0})
    pre.save(tmp_path / "pre")
    loaded = TabularPreproc.load(tmp_path / "pre")
    synth = loaded.inverse_transform(loaded.transform(unsigned), seed=0)
    signed = synth["tx"]["amount"].astype(float) * np.where(synth["tx"]["kind"] == 2, -1, 1)
    fixed = RelationalData({"account": synth["account"], "tx": synth["tx"].assign(amount=signed)}, schema)
    assert chain_breaks(fixed)[0] == 0


def stock(n: int = 80, seed: int = 0) -> RelationalData:
    """stock line -> 4-16 movements from an empty shelf: receipts (+10 to +190) and issues taking
    part or all of what is on hand, so the balance after each is never below 0 and often 0."""
    rng = np.random.default_rng(seed)
    rows = []
    for line in range(1, n + 1):
        on_hand = 0
        for k in range(int(rng.integers(4, 17))):
            qty = (
                int(rng.integers(1, 20)) * 10
                if on_hand == 0 or rng.random() < 0.4
                else -max(1, int(on_hand * rng.choice([0.5, 1.0])))
            )
            on_hand += qty
            rows.append({"line": line, "day": k, "qty": qty, "balance": on_hand})
    moves = pd.DataFrame(rows)
    moves.insert(0, "id", range(1, len(moves) + 1))
    moves["day"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(moves["day"], "D")
    schema = Schema(
        line=Table(id=PrimaryKey()),
        move=Table(id=PrimaryKey(), line=ForeignKey("line"), day=Datetime(), qty=Integer(), balance=Integer()),
    )
    return RelationalData({"line": pd.DataFrame({"id": range(1, n + 1)}), "move": moves}, schema)


def below_zero(data: RelationalData) -> int:
    return int((data["move"]["balance"].astype(float) < 0).sum())


def test_a_balance_never_below_zero_in_the_data_is_never_below_zero_generated():
    data = stock()
    assert below_zero(data) == 0 and (data["move"]["balance"] == 0).mean() > 0.2
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [found] = pre.stats["running_sums"]
    assert (found["column"], found["of"], found["constant"], found["side"]) == ("balance", "qty", 0.0, 1)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    moves = synth["move"].sort_values(["line", "day"])
    previous = moves.groupby("line")["balance"].shift(1).fillna(0)
    assert below_zero(synth) == 0 and (moves["balance"] == previous + moves["qty"]).all()
    assert (moves["qty"] != 0).all()  # nothing on hand: the receipt before was raised, no issue of 0
    found["side"] = 0  # without: the test can tell
    assert below_zero(pre.inverse_transform(pre.transform(data), seed=0)) > 10


def test_a_step_below_zero_takes_what_is_left_or_raises_the_largest_receipt_before():
    steps = np.array([5.0, -3, -4, -2, 6, -1, -9, 4])
    group = np.array([1, 1, 1, 1, 1, 1, 2, 2])  # the second parent row opens at 0 with an issue: none before
    kept = _kept_on_side(steps, group, np.array([0.0, 0.0]))
    assert kept.tolist() == [7, -3, -2, -2, 6, -1, 0, 4]
    assert side_of_zero(np.array([0.0, 3, np.nan])) == 1 and side_of_zero(np.array([-2.0, 0])) == -1
    assert side_of_zero(np.array([-1.0, 1])) == 0


def test_no_floor_where_the_amount_is_a_formula():
    # an amount that is quantity x price is set again after the running sums: a shortened step
    # would be undone and the chain broken, so its balance keeps no side of 0
    sums = [{"table": "move", "column": "balance", "of": "amount", "side": 1}]
    formulas = [{"table": "move", "column": "amount", "of": ["qty", "price"], "op": "*"}]
    assert without_floor_on_formulas(sums, formulas)[0]["side"] == 0
    assert without_floor_on_formulas(sums, [])[0]["side"] == 1


def test_a_wide_table_reads_label_signs_only_for_numbers_a_step_can_be(monkeypatch):
    """Beside many numbers and labels in no chain (a wide table), the labelled running sum is still
    found, and the labels are read for the signs of the pair whose steps are its amounts alone: a
    search of every label for every pair of numbers took 16 s of a 50-column table's 32 s fit."""
    from relsynth.synth.tabular.rules import running_sums

    unsigned = unsigned_bank("DEBIT", "CREDIT")
    rng = np.random.default_rng(1)
    tx = unsigned["tx"].copy()
    n = len(tx)
    extra = {f"x{i}": Numeric() for i in range(8)} | {f"k{i}": Categorical() for i in range(4)}
    for name in extra:
        tx[name] = rng.normal(100, 30, n).round(2) if name[0] == "x" else rng.choice(["a", "b", "c"], n)
    schema = Schema(
        account=unsigned.schema.tables["account"], tx=Table(**unsigned.schema.tables["tx"].columns, **extra)
    )
    wide = RelationalData({"account": unsigned["account"], "tx": tx}, schema)
    calls = []
    read = running_sums._label_signs
    monkeypatch.setattr(running_sums, "_label_signs", lambda *a: calls.append(1) or read(*a))
    pre = TabularPreproc.from_schema(schema)
    pre.sibling_keys = {"tx": "booked"}  # what the fit finds first: the rows are stored shuffled
    [found] = running_sums.find_running_sums(pre, wide, set())
    assert (found["column"], found["of"], found["sign_by"], found["signs"]) == (
        "balance",
        "amount",
        "kind",
        {"CREDIT": 1.0, "DEBIT": -1.0},
    )
    assert len(calls) <= 5  # the labels (kind and k0..k3) for (balance, amount), not for 12 x 11 pairs


def overdrawn(n: int = 80, seed: int = 0, taken: tuple[float, ...] = (0.5, 1.0)) -> RelationalData:
    """account (an overdraft `limit` of 0, 500 or 1,000, an `income` no balance comes near) ->
    4-14 transactions from 0: deposits and withdrawals, a withdrawal taking a share of the room
    left (`taken`), so balances go below 0 down to minus the limit, and reach it where a share is 1."""
    rng = np.random.default_rng(seed)
    limit = rng.choice([0, 500, 1000], n)
    rows = []
    for account in range(n):
        balance = 0.0
        for k in range(int(rng.integers(4, 15))):
            room = balance + limit[account]
            amount = (
                round(float(rng.uniform(50, 800)), 2)
                if k == 0 or room < 1 or rng.random() < 0.4
                else -round(float(room * rng.choice(taken)), 2)
            )
            balance = round(balance + amount, 2)
            rows.append({"account": account + 1, "booked": k, "amount": amount, "balance": balance})
    tx = pd.DataFrame(rows)
    tx.insert(0, "id", range(1, len(tx) + 1))
    tx["booked"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(tx["booked"], "D")
    accounts = pd.DataFrame({"id": range(1, n + 1), "limit": limit, "income": rng.uniform(2e4, 9e4, n).round(0)})
    schema = Schema(
        account=Table(id=PrimaryKey(), limit=Integer(), income=Numeric()),
        tx=Table(
            id=PrimaryKey(), account=ForeignKey("account"), booked=Datetime(), amount=Numeric(), balance=Numeric()
        ),
    )
    return RelationalData({"account": accounts, "tx": tx}, schema)


def past_limit(data: RelationalData) -> int:
    limit = data["tx"]["account"].map(data["account"].set_index("id")["limit"]).astype(float)
    return int((data["tx"]["balance"].astype(float) < -limit - 0.005).sum())


def test_a_balance_within_its_accounts_overdraft_limit_stays_within_it_generated():
    data = overdrawn()
    assert past_limit(data) == 0 and (data["tx"]["balance"] < 0).sum() > 50
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [found] = pre.stats["running_sums"]
    assert (found["side"], found["floor"]) == (0, {"column": "limit", "side": 1.0})  # not the income
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    assert past_limit(synth) == 0 and chain_breaks(synth, opening=False)[0] == 0
    assert (synth["tx"]["balance"] < 0).sum() > 50  # still overdrawn, within the limit
    found["floor"] = None  # without: the test can tell
    assert past_limit(pre.inverse_transform(pre.transform(data), seed=0)) > 10


def test_no_limit_where_chance_would_keep_it():
    # an income of 20,000 at least bounds every balance, whichever account it is dealt to: no limit
    data = overdrawn()
    schema = Schema(account=Table(id=PrimaryKey(), income=Numeric()), tx=data.schema.tables["tx"])
    data = RelationalData({"account": data["account"].drop(columns="limit"), "tx": data["tx"]}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert [r["floor"] for r in pre.stats["running_sums"]] == [None]


def test_a_debt_within_its_credit_line_stays_within_it_generated():
    # the same accounts seen as owed: balances above 0 up to the limit, never past it
    data = overdrawn()
    tx = data["tx"].assign(amount=-data["tx"]["amount"], balance=-data["tx"]["balance"])
    data = RelationalData({"account": data["account"], "tx": tx}, data.schema)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [found] = pre.stats["running_sums"]
    assert found["floor"] == {"column": "limit", "side": -1.0}
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    limit = synth["tx"]["account"].map(synth["account"].set_index("id")["limit"]).astype(float)
    assert (synth["tx"]["balance"].astype(float) > limit + 0.005).sum() == 0
    assert chain_breaks(synth, opening=False)[0] == 0
    found["floor"] = None  # without: the test can tell
    plain = pre.inverse_transform(pre.transform(data), seed=0)
    limit = plain["tx"]["account"].map(plain["account"].set_index("id")["limit"]).astype(float)
    assert (plain["tx"]["balance"].astype(float) > limit + 0.005).sum() > 10


def at_limit(data: RelationalData) -> int:
    limit = data["tx"]["account"].map(data["account"].set_index("id")["limit"]).astype(float)
    return int(np.isclose(data["tx"]["balance"].astype(float), -limit, rtol=0, atol=0.005).sum())


def test_a_balance_the_data_never_draws_to_its_limit_is_not_drawn_to_it_generated():
    """Withdrawals taking 30 to 90 % of the room: no balance sits on the limit. A withdrawal
    shortened to all the room left put generated balances exactly on it; a share of it now."""
    data = overdrawn(taken=(0.3, 0.6, 0.9))
    assert at_limit(data) == 0 and at_limit(overdrawn()) > 20
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    [found] = pre.stats["running_sums"]
    assert (found["floor"], found["reached"]) == ({"column": "limit", "side": 1.0}, False)
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    assert past_limit(synth) == 0 and chain_breaks(synth, opening=False)[0] == 0
    assert at_limit(synth) <= 2  # a withdrawal with one cent of room left takes it
    found["reached"] = True  # without: the test can tell
    assert at_limit(pre.inverse_transform(pre.transform(data), seed=0)) > 10
    assert TabularPreproc.from_schema(data.schema).fit(overdrawn()).stats["running_sums"][0]["reached"]


def test_a_line_number_is_no_running_sum_of_a_flag_it_steps_over():
    """A line number 1..n steps by 1 whatever its row's 0/1 flag holds: where the flag is 1 it is the
    previous line's plus the flag, where it is 0 it is not, so it is no running sum of it."""
    rng = np.random.default_rng(0)
    per = rng.integers(1, 7, 80)
    order = pd.DataFrame({"id": range(1, 81)})
    line = pd.DataFrame(
        {
            "id": range(1, per.sum() + 1),
            "order_id": np.repeat(order["id"], per),
            "line_no": np.concatenate([np.arange(1, k + 1) for k in per]),
            "flag": rng.integers(0, 2, per.sum()),
            "shipped": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, per.sum()), "D"),
        }
    )
    schema = Schema(
        order=Table(id=PrimaryKey()),
        line=Table(
            id=PrimaryKey(), order_id=ForeignKey("order"), line_no=Integer(), flag=Integer(), shipped=Datetime()
        ),
    )
    pre = TabularPreproc.from_schema(schema=schema).fit(data=RelationalData({"order": order, "line": line}, schema))
    assert pre.stats["running_sums"] == []


def fleet(n: int = 40, seed: int = 0) -> RelationalData:
    """vehicle -> 4-15 trips each, in time order: `odometer_start` the previous trip's
    `odometer_end` (the first the vehicle's reading when bought), `odometer_end` the start plus the
    trip's `distance` (one decimal), the start column first as a user's table writes it."""
    rng = np.random.default_rng(seed)
    car = np.repeat(np.arange(1, n + 1), rng.integers(4, 16, n))
    rank = pd.Series(car).groupby(car).cumcount().to_numpy()
    distance = np.round(rng.lognormal(4, 0.7, len(car)), 1)
    tenths = np.round(distance * 10).astype(np.int64)
    first = np.round(rng.uniform(0, 80_000, n) * 10).astype(np.int64)
    end = first[car - 1] + pd.Series(tenths).groupby(car).cumsum().to_numpy()
    trips = pd.DataFrame(
        {
            "id": range(1, len(car) + 1),
            "car": car,
            "started": pd.Timestamp("2024-01-01") + pd.to_timedelta(rank * 2 + car % 3, "D"),
            "odometer_start": (end - tenths) / 10,
            "odometer_end": end / 10,
            "distance": distance,
        }
    )
    schema = Schema(
        car=Table(id=PrimaryKey()),
        trip=Table(
            id=PrimaryKey(),
            car=ForeignKey("car"),
            started=Datetime(),
            odometer_start=Numeric(),
            odometer_end=Numeric(),
            distance=Numeric(),
        ),
    )
    return RelationalData({"car": pd.DataFrame({"id": range(1, n + 1)}), "trip": trips}, schema)


def odometer_breaks(data: RelationalData) -> tuple[int, int, int]:
    """(trips not starting at the previous trip's end reading, trips whose end is not their start
    plus their distance, trips), to the tenth of a km."""
    trips = data["trip"].sort_values(["car", "started", "id"])
    previous = trips.groupby("car")["odometer_end"].shift(1).astype(float)
    held = previous.notna()
    start, end = trips["odometer_start"].astype(float), trips["odometer_end"].astype(float)
    continued = np.isclose(start[held], previous[held], rtol=0, atol=0.05)
    adds_up = np.isclose(end, start + trips["distance"].astype(float), rtol=0, atol=0.05)
    return int((~continued).sum()), int((~adds_up).sum()), len(trips)


def test_a_reading_before_each_step_is_the_previous_rows_running_sum():
    """A trip's odometer_start is the previous trip's odometer_end: set with the running sum, the
    distance kept as generated (no formula end - start undoes it), so readings continue exactly."""
    data = fleet()
    assert odometer_breaks(data)[:2] == (0, 0)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    found = [(r["column"], r["of"], r.get("before")) for r in pre.stats["running_sums"]]
    assert found == [("odometer_end", "distance", "odometer_start")]
    assert not [f for f in pre.stats["formulas"] if f["column"] == "distance"]  # the step is drawn, not computed
    synth = pre.inverse_transform(pre.transform(data), seed=0)
    breaks, sums, n = odometer_breaks(synth)
    assert breaks == 0 and sums == 0 and n > 300
    distance = synth["trip"]["distance"].astype(float)
    assert distance.min() > 0 and abs(distance.median() - data["trip"]["distance"].median()) < 10
    pre.stats["running_sums"][0]["before"] = None  # without: the starts are drawn apart from the chain
    plain = pre.inverse_transform(pre.transform(data), seed=0)
    assert odometer_breaks(plain)[0] > 0.5 * n


def test_a_column_before_no_step_is_not_read_as_the_sum_before_it():
    """A fee that equals the previous balance by accident in a few rows is no reading before the step."""
    data = bank()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    assert [r.get("before") for r in pre.stats["running_sums"]] == [None]

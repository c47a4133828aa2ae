"""Numbers that are a whole multiple of a number further up: a payment, its film's rental rate
once, or twice for a late return, the film three levels up (film, copy, rental, payment)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from relsynth.relational import ForeignKey, Integer, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc

SCHEMA = Schema(
    film=Table(id=PrimaryKey(), rate=Numeric(), length=Integer()),
    copy=Table(id=PrimaryKey(), film=ForeignKey(parent="film")),
    rental=Table(id=PrimaryKey(), copy=ForeignKey(parent="copy"), days=Integer()),
    payment=Table(id=PrimaryKey(), rental=ForeignKey(parent="rental"), amount=Numeric()),
)


def rentals(n_films: int = 60, seed: int = 0, multiple: bool = True) -> RelationalData:
    """Films at 0.99, 2.99 or 4.99, 1-3 copies each, 1-3 rentals a copy, one payment a rental: the
    rate times 1, 2 or 3 by the days kept (`multiple`), else an amount of its own."""
    rng = np.random.default_rng(seed)
    film = pd.DataFrame({"id": range(n_films), "rate": rng.choice([0.99, 2.99, 4.99], n_films),
                         "length": rng.integers(60, 180, n_films)})  # fmt: skip
    copy_film = np.repeat(film["id"], rng.integers(1, 4, n_films)).to_numpy()
    copy = pd.DataFrame({"id": range(len(copy_film)), "film": copy_film})
    rental_copy = np.repeat(copy["id"], rng.integers(1, 4, len(copy))).to_numpy()
    days = rng.integers(1, 15, len(rental_copy))
    rental = pd.DataFrame({"id": range(len(rental_copy)), "copy": rental_copy, "days": days})
    rate = film["rate"].to_numpy()[copy_film[rental_copy]]
    amount = np.round(rate * np.ceil(days / 5), 2) if multiple else np.round(rng.uniform(0.5, 15, len(days)), 2)
    payment = pd.DataFrame({"id": range(len(rental)), "rental": rental["id"], "amount": amount})
    return RelationalData({"film": film, "copy": copy, "rental": rental, "payment": payment}, SCHEMA)


def test_a_payment_is_a_whole_multiple_of_its_films_rate(tiny_size):
    """The model wrote each payment in its own bins, three levels below its film's rate: an
    untrained model's payments were whole multiples of it in 50 of 146 rows (a 2.99 for a 4.99
    film). The fit finds the rate and its multiples, and decoding sets the payment to the nearest."""
    data = rentals()
    pre = TabularPreproc.from_schema(SCHEMA).fit(data)
    [rule] = pre.stats["whole_multiples"]
    assert (rule["column"], rule["of"], rule["multiples"]) == ("amount", "film.rate", [1, 2, 3])
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(60, seed=0)
    film_of = out["rental"]["copy"].map(out["copy"].set_index("id")["film"])
    rate = out["payment"]["rental"].map(film_of.set_axis(out["rental"]["id"])).map(out["film"].set_index("id")["rate"])
    k = out["payment"]["amount"] / rate
    assert len(k) >= 100 and rate.notna().all()
    assert np.allclose(k, np.round(k), atol=1e-6) and set(np.round(k).astype(int)) <= {1, 2, 3}


def test_no_rule_for_amounts_of_their_own_or_a_constant_above():
    assert TabularPreproc.from_schema(SCHEMA).fit(rentals(multiple=False)).stats["whole_multiples"] == []
    data = rentals()
    film = data["film"].assign(rate=1.0)  # every amount a multiple of 0.01 x 100: chance, not a rule
    payment = data["payment"].assign(amount=data["payment"]["amount"].round(0))
    same = RelationalData({**data.data, "film": film, "payment": payment}, SCHEMA)
    assert TabularPreproc.from_schema(SCHEMA).fit(same).stats["whole_multiples"] == []


RX = Schema(rx=Table(id=PrimaryKey(), days=Integer(), quantity=Integer(), refills=Integer()))


def prescriptions(n: int = 300, seed: int = 0, quantity=None, days=None) -> RelationalData:
    """A prescription's supply of 7 to 90 days and its quantity, the days times 1 or 2 tablets a day
    (or `quantity`, `days` of their own)."""
    rng = np.random.default_rng(seed)
    days = rng.choice([7, 10, 14, 30, 90], n) if days is None else days
    quantity = days * rng.choice([1, 2], n) if quantity is None else quantity
    frame = pd.DataFrame({"id": range(n), "days": days, "quantity": quantity, "refills": rng.integers(0, 6, n)})
    return RelationalData({"rx": frame}, RX)


def test_a_quantity_is_a_whole_multiple_of_its_rows_days_supply(tiny_size):
    """The model wrote the quantity in its own bins beside the days' supply: an untrained model's
    quantities were a multiple of their row's days in 180 of 300 rows. The fit finds the days and
    their multiples in the row itself, and decoding sets the quantity to the nearest."""
    pre = TabularPreproc.from_schema(RX).fit(prescriptions())
    [rule] = pre.stats["whole_multiples"]
    assert (rule["column"], rule["of"], rule["multiples"], rule["above"]) == ("quantity", "days", [1, 2], False)
    torch.manual_seed(0)
    out = TabularModel.build(pre, size=tiny_size).generate(300, seed=0)["rx"]
    k = out["quantity"] / out["days"]
    assert len(out) == 300 and (out["days"] > 0).all()
    assert np.allclose(k, np.round(k)) and set(np.round(k).astype(int)) <= {1, 2}


def test_no_row_rule_for_quantities_of_their_own_copies_or_multiples_of_chance():
    rng = np.random.default_rng(1)
    own = prescriptions(quantity=rng.integers(7, 200, 300))
    copies = prescriptions(quantity=prescriptions()["rx"]["days"].to_numpy())  # a multiple of 1 alone
    # days of 1 or 2, quantities all even: a multiple of any row's days, whatever the row
    chance = prescriptions(days=rng.choice([1, 2], 300), quantity=2 * rng.integers(1, 50, 300))
    for data in (own, copies, chance):
        assert TabularPreproc.from_schema(RX).fit(data).stats["whole_multiples"] == []

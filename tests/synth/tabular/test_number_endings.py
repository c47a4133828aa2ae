"""Numbers whose last decimals favour a few endings: prices at .99 and .00 (charm pricing)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import Categorical, Numeric, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularPreproc


def listings(n: int = 600, seed: int = 0, charm: bool = True) -> RelationalData:
    """Prices in cents, heavy-tailed: 45 % at .99 and 20 % whole (`charm`, else any cents), beside
    yen prices in whole yen (one in ten rows)."""
    rng = np.random.default_rng(seed)
    base, u = np.exp(rng.normal(3.5, 0.9, n)), rng.random(n)
    price = np.where(u < 0.45, np.floor(base) + 0.99, np.where(u < 0.65, np.round(base), np.round(base, 2)))
    price = price if charm else np.round(base, 2)
    currency = np.where(np.arange(n) % 10 == 0, "JPY", "EUR")
    price = np.where(currency == "JPY", np.round(base * 150), price)
    frame = pd.DataFrame({"id": range(n), "currency": currency, "price": price})
    schema = Schema(listing=Table(id=PrimaryKey(), currency=Categorical(), price=Numeric()))
    return RelationalData({"listing": frame}, schema)


def _cents(prices: pd.Series) -> pd.Series:
    return (prices.astype(float) * 100).round().astype(int) % 100


def test_prices_keep_their_endings():
    """Drawn evenly on the grid inside their bins, a marketplace's generated prices ended in .99 in
    11 % of the rows (41 % of the data's) and in .00 in 11 % (27 %). Binned values now take the
    data's frequent endings in their shares; whole yen prices are left out of the shares."""
    data = listings()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    (rule,) = pre.stats["number_endings"]
    assert (rule["column"], [e for e, _ in rule["endings"]]) == ("price", [0, 99])
    euro = data["listing"]["currency"] == "EUR"
    assert abs(dict(rule["endings"])[0] - (_cents(data["listing"]["price"][euro]) == 0).mean()) < 0.05  # no yen
    back = pre.inverse_transform(pre.transform(data), seed=0)["listing"]
    cents, real = _cents(back["price"][back["currency"] == "EUR"]), _cents(data["listing"]["price"][euro])
    for ending in (0, 99):
        assert abs((cents == ending).mean() - (real == ending).mean()) < 0.06
    assert (_cents(back["price"][back["currency"] == "JPY"]) == 0).all()


def test_an_ending_keeps_its_value_in_its_bin():
    """Prices from 2.45: a value 2.60 drawn in the lowest bin and given .00 was 2.00, below every
    price of the data (2 of 600); moved a whole unit back into its bin, it is 3.00."""
    rng = np.random.default_rng(0)
    base, u = 2.45 + rng.gamma(1.5, 6, 600), rng.random(600)
    price = np.where(u < 0.45, np.floor(base) + 0.99, np.where(u < 0.65, np.ceil(base), np.round(base, 2)))
    price[0] = 2.45
    schema = Schema(listing=Table(id=PrimaryKey(), price=Numeric()))
    data = RelationalData({"listing": pd.DataFrame({"id": range(600), "price": price})}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert [e for e, _ in pre.stats["number_endings"][0]["endings"]] == [0, 99]
    back = pre.inverse_transform(pre.transform(data), seed=0)["listing"]["price"]
    assert back.min() >= 2.45 and back.max() <= price.max()


def test_evenly_spread_cents_take_no_rule():
    data = listings(charm=False)
    assert TabularPreproc.from_schema(data.schema).fit(data).stats["number_endings"] == []


def test_numbers_read_to_significant_digits_have_no_habit_of_endings():
    """Effects read to 3 significant digits from 1e-3 to 1e4 (8 decimals): every value from 100 up
    is whole, so 'ending .00000000' passed as a habit of 15 % of the rows and decoding set the
    fraction of drawn values to 0 (1325.42 -> 1325, 5 digits). Their endings follow from the digits."""
    rng = np.random.default_rng(0)
    effect = [float(f"{v:.2e}") for v in np.sign(rng.normal(size=800)) * 10 ** rng.uniform(-3, 4, 800)]
    schema = Schema(m=Table(id=PrimaryKey(), effect=Numeric()))
    data = RelationalData({"m": pd.DataFrame({"id": range(800), "effect": effect})}, schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    assert pre.stats["number_endings"] == []
    back = pre.inverse_transform(pre.transform(data), seed=0)["m"]["effect"].to_numpy(float)
    assert max(len(repr(abs(float(v))).split("e")[0].replace(".", "").strip("0")) for v in back) <= 3

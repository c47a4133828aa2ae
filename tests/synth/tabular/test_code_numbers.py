"""An integer that is the number written inside a code of its row (a seat 12C's row 12) is generated from the code."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from shop_data import TINY

from relsynth.relational import Categorical, Identifier, Integer, PrimaryKey, RelationalData, Schema, Table
from relsynth.synth import TabularModel, TabularPreproc
from relsynth.synth.tabular.rules import code_numbers
from relsynth.synth.tabular.rules.code_numbers import code_number

SCHEMA = Schema(booking=Table(id=PrimaryKey(), seat=Categorical(), row_number=Integer(), fare=Integer()))


def bookings(n: int, seed: int, rows: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    row = rng.integers(1, rows + 1, n)
    seats = [f"{r}{c}" for r, c in zip(row, rng.choice(list("ABCD"), n), strict=True)]
    return pd.DataFrame({"id": range(1, n + 1), "seat": seats, "row_number": row, "fare": rng.integers(50, 500, n)})


def fitted(frame: pd.DataFrame, schema: Schema = SCHEMA) -> TabularPreproc:
    return TabularPreproc.from_schema(schema=schema).fit(RelationalData({"booking": frame}, schema))


def test_a_row_number_is_generated_as_the_number_its_seat_writes():
    # drawn as two tokens (the row in bins: no category decides it), an untrained model's row
    # numbers matched their seat in few rows
    pre = fitted(bookings(800, seed=0, rows=40))
    assert pre.stats["code_numbers"] == [{"table": "booking", "column": "row_number", "code": "seat"}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an untrained model
        out = TabularModel.build(pre, size=TINY).generate(n_samples=300, seed=0)["booking"]
    assert (code_number(out["seat"]) == out["row_number"]).all()


def test_a_number_inside_an_identifier_is_read_too():
    schema = Schema(booking=Table(id=PrimaryKey(), seat=Identifier(), row_number=Integer(), fare=Integer()))
    frame = bookings(400, seed=0, rows=400).assign(seat=lambda f: [f"BA{r:04d}" for r in f["row_number"]])
    assert [r["code"] for r in fitted(frame, schema).stats["code_numbers"]] == ["seat"]


def test_no_rule_where_one_row_disagrees():
    frame = bookings(400, seed=0)
    frame.loc[7, "row_number"] = frame.loc[7, "row_number"] % 8 + 1  # one booking's row off its seat
    assert fitted(frame).stats["code_numbers"] == []


def test_no_rule_where_the_integer_takes_two_values():
    # a seat in row 1 or 2 matches a 1 or 2 drawn beside it half the time by chance: too few values to tell
    assert fitted(bookings(400, seed=0, rows=2)).stats["code_numbers"] == []


def test_codes_of_two_runs_of_digits_write_no_number():
    assert code_number(pd.Series(["12C", "BA0042", "A-1-2", "C", None])).tolist() == [12, 42, pd.NA, pd.NA, pd.NA]


def test_each_code_is_read_once_however_many_integers_sit_beside_it(monkeypatch):
    """A wide table's integers were each compared with every label's digits, read again for each
    (a survey's 34 integers beside 7 labels: 232 readings, 0.8 CPU s, 2.7 s at 127 columns):
    each label is read once, and the seat still gives its row number among ten other integers."""
    frame = bookings(400, seed=1, rows=30)
    rng = np.random.default_rng(2)
    frame = frame.assign(**{f"score{k}": rng.integers(1, 6, len(frame)) for k in range(10)}, cabin="C1")
    frame = frame.assign(region=rng.choice(["north", "south"], len(frame)))
    schema = Schema(
        booking=Table(
            id=PrimaryKey(),
            seat=Categorical(),
            row_number=Integer(),
            fare=Integer(),
            **{f"score{k}": Integer() for k in range(10)},
            cabin=Categorical(),
            region=Categorical(),
        )
    )
    pre = fitted(frame, schema)
    assert pre.stats["code_numbers"] == [{"table": "booking", "column": "row_number", "code": "seat"}]
    calls = []
    monkeypatch.setattr(code_numbers, "code_number", lambda codes: calls.append(codes.name) or code_number(codes))
    data = RelationalData({"booking": frame}, schema)
    assert code_numbers.find_code_numbers(pre, data, set()) == pre.stats["code_numbers"]
    assert sorted(calls) == ["cabin", "region", "seat"]

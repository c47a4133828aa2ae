"""A code built from other values of its row (a username from the names, a zip3 from the zip code) is
written from the generated values in the data's share of the rows, and no rule fires by chance."""

from __future__ import annotations

import re
import string
import warnings

import numpy as np
import pandas as pd
import pytest
from shop_data import TINY

from relsynth.relational import Categorical, Identifier, PrimaryKey, RelationalData, Schema, Table
from relsynth.relational.derived_codes import apply_derived_codes, find_derived_codes
from relsynth.synth import TabularModel, TabularPreproc

FIRST = ["James", "Mary", "John", "Linda", "Robert", "Susan", "David", "Karen"]
LAST = ["Smith", "Jones", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Taylor", "Moore", "Clark"]
SCHEMA = Schema(
    person=Table(
        id=PrimaryKey(),
        first_name=Categorical(),
        last_name=Categorical(),
        username=Identifier(),
        zip=Identifier(),
        zip3=Identifier(),
    )
)


def people(n: int, seed: int, derived: float = 0.6) -> RelationalData:
    """Usernames lower(first + last[:1]) and two digits in a `derived` share of the rows, free in the others;
    zip3 the zip code's first three digits in every row."""
    rng = np.random.default_rng(seed)
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    zips = [f"{z:05d}" for z in rng.choice(np.arange(10000, 99999), n, replace=False)]
    free = [f"{w}_{rng.integers(10**5)}" for w in rng.choice(["moon", "tiger", "pixel"], n)]
    users = [
        f"{(f + x[0]).lower()}{rng.integers(10, 100)}" if rng.random() < derived else u
        for i, (f, x, u) in enumerate(zip(first, last, free, strict=True))
    ]
    frame = pd.DataFrame(
        {"id": range(1, n + 1), "first_name": first, "last_name": last, "username": users, "zip": zips}
    )
    frame["zip3"] = frame["zip"].str[:3]
    frame = frame.drop_duplicates("username")  # usernames name one person each
    return RelationalData({"person": frame}, SCHEMA)


def _username_share(frame: pd.DataFrame) -> float:
    names = (frame["first_name"] + frame["last_name"].str[0]).str.lower()
    return float(
        np.mean([bool(re.fullmatch(re.escape(n) + r"\d\d", u)) for n, u in zip(names, frame["username"], strict=True)])
    )


def test_codes_built_from_their_rows_values_are_generated_so_in_the_datas_share():
    # drawn each on its own: no generated username held its row's names, no zip3 its zip's digits
    data = people(400, seed=0)
    pre = TabularPreproc.from_schema(schema=SCHEMA).fit(data)
    rules = pre.stats["derived_codes"]["person"]
    assert rules["username"]["pieces"] == [["first_name", "lower", None], ["last_name", "lower", 1]]
    assert rules["zip3"]["pieces"] == [["zip", "asis", 3]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an untrained model
        out = TabularModel.build(pre, size=TINY).generate(n_samples=600, seed=0)["person"]
    assert (out["zip3"] == out["zip"].str[:3]).all()
    real = _username_share(data["person"])
    assert abs(_username_share(out) - real) < 0.08
    assert out["username"].is_unique  # as the data's
    assert not out["username"].isin(set(data["person"]["username"])).any()  # no real username written


def test_no_rule_where_the_code_follows_its_values_no_more_than_chance():
    # codes of a small alphabet share first letters by chance: a 1-letter prefix of 3 letters in a third of rows
    fired = 0
    for seed in range(30):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(30, 400))
        letters = list(string.ascii_uppercase[: int(rng.integers(2, 5))])
        frame = pd.DataFrame({c: ["".join(rng.choice(letters, 2)) for _ in range(n)] for c in ("a", "b", "c")})
        fired += bool(find_derived_codes(frame, list(frame), list(frame), 5, np.random.default_rng(0)))
    assert fired == 0


def test_no_rule_where_few_rows_follow():
    assert "username" not in TabularPreproc.from_schema(schema=SCHEMA).fit(people(400, 0, derived=0.1)).stats[
        "derived_codes"
    ].get("person", {})


@pytest.mark.parametrize("unique", [True, False])
def test_a_written_code_repeating_another_keeps_its_drawn_one_where_codes_never_repeat(unique):
    rule = {"pieces": [["code", "asis", 2]], "slots": [{"labels": [["", 1.0]]}] * 2, "share": 1.0}
    frame = pd.DataFrame({"code": ["ABC", "ABD", "XYZ"], "code2": ["QQ", "RR", "XY"]}, dtype="string")
    apply_derived_codes({"code2": rule}, frame, {"code2": {"unique": unique}}, np.random.default_rng(0), None)
    assert frame["code2"].tolist() == (["AB", "RR", "XY"] if unique else ["AB", "AB", "XY"])


def test_no_piece_of_a_number():
    # codes numbered as their rows ('tiger_122' of row 123) wrote 'tiger_' + the new key's first two digits
    frame = pd.DataFrame({"id": range(1, 301), "code": [f"tiger_{i}" for i in range(300)]})
    assert find_derived_codes(frame, ["code"], ["id"], 5, np.random.default_rng(0)) == {}


def test_keys_of_a_shape_spread_over_it_so_a_code_of_their_first_letters_holds():
    # keys counted from AAA: 239 countries' codes began AA..AJ, so their code2 (the code's first two letters
    # in 80 % of the data's rows) repeated and 3 % of generated rows kept it
    rng = np.random.default_rng(0)
    codes = sorted({"".join(rng.choice(list(string.ascii_uppercase), 3)) for _ in range(300)})[:239]
    code2 = [c[:2] if rng.random() < 0.8 else f"{i:02d}" for i, c in enumerate(codes)]
    frame = pd.DataFrame({"code": codes, "code2": code2}).drop_duplicates("code2")
    schema = Schema(country=Table(code=PrimaryKey(), code2=Identifier()))
    data = RelationalData({"country": frame}, schema)
    pre = TabularPreproc.from_schema(schema=schema).fit(data)
    out = pre.inverse_transform(pre.transform(data), seed=0)["country"]
    assert out["code"].is_monotonic_increasing and out["code"].is_unique  # keys still rise, as counted ones did
    assert out["code"].str[0].nunique() >= 20  # over the alphabet, as the data's
    real = float((frame["code2"] == frame["code"].str[:2]).mean())
    assert out["code2"].is_unique and (out["code2"] == out["code"].str[:2]).mean() > real - 0.25


def test_a_code_that_never_repeats_keeps_the_datas_share_where_some_written_codes_would_repeat():
    # the share's rows drawn first, those repeating another's code left as drawn: 0.61 of 0.80 kept
    rng = np.random.default_rng(1)
    keys = pd.Series(sorted({"".join(rng.choice(list(string.ascii_uppercase), 3)) for _ in range(400)})[:239])
    drawn = pd.Series([f"{i:02d}" for i in range(239)], dtype="string")  # none a prefix of letters
    rule = {"pieces": [["code", "asis", 2]], "slots": [{"labels": [["", 1.0]]}] * 2, "share": 0.8}
    frame = pd.DataFrame({"code": keys, "code2": drawn}, dtype="string")
    apply_derived_codes({"code2": rule}, frame, {"code2": {"unique": True}}, rng, None)
    assert frame["code2"].is_unique
    assert (frame["code2"] == frame["code"].str[:2]).mean() > 0.75

"""Values within the domains a source's single-column CHECKs declare, under DP too."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
from shop_data import TINY

from relsynth.relational import (
    Categorical,
    Date,
    Datetime,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)
from relsynth.synth import DpBudget, TabularModel, TabularPreproc
from relsynth.synth.tabular.rules.declared_domains import keep_domains

TIERS = [f"tier_{i:02d}" for i in range(12)]
DDL = (
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100), "
    "credit REAL CHECK (credit >= 0), tier TEXT NOT NULL CHECK (tier IN (" + ", ".join(f"'{t}'" for t in TIERS) + ")));"
)


def test_dp_generates_within_the_checks_and_writes_into_the_source_ddl(tmp_path: Path) -> None:
    """Under DP a score capped at 100 by CHECK (score BETWEEN 0 AND 100), held at 100 by 40 % of
    300 customers, had its noisy range run to the end of the sign-log cell holding 100 (177), and
    a NOT NULL tier of 12 tiers, 25 customers each, all below the threshold, came back all missing:
    the synthetic database could not be written into the source's DDL. The checks are public: the
    range is cut to the bounds and the IN list is the tier's public domain."""
    for name in ("src", "target"):
        with sqlite3.connect(tmp_path / f"{name}.sqlite") as con:
            con.executescript(DDL)
    rng = np.random.default_rng(0)
    scores = np.where(rng.random(300) < 0.4, 100, rng.integers(0, 100, 300))
    with sqlite3.connect(tmp_path / "src.sqlite") as con:
        con.executemany(
            "INSERT INTO customer VALUES (?, ?, ?, ?)",
            [(i, int(scores[i]), float(rng.exponential(100)), TIERS[i % 12]) for i in range(300)],
        )
    data = RelationalData.from_sql(
        f"sqlite:///{tmp_path / 'src.sqlite'}", overrides={"customer": {"tier": "categorical"}}
    )
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5))
    assert "customer.tier" in pre.stats["dp"]["public"]
    synth = TabularModel.build(pre, size=TINY).generate(n_samples=300, seed=0)
    rows = synth["customer"]
    assert rows["score"].between(0, 100).all(), rows["score"].max()
    assert (rows["credit"].dropna() >= 0).all()
    assert rows["tier"].notna().all() and rows["tier"].isin(TIERS).all()
    synth.to_sql(f"sqlite:///{tmp_path / 'target.sqlite'}", if_exists="append")


def test_values_outside_a_domain_are_drawn_again_inside_it(caplog) -> None:
    schema = Schema(t=Table(id=PrimaryKey(), score=Integer(), rate=Numeric(), tier=Categorical()))
    formats = {
        "t": {
            "score": {"sql": {"domain": {"low": [0, False], "high": [100, True]}}},
            "rate": {"sql": {"domain": {"low": [0, True]}}},
            "tier": {"sql": {"domain": {"in": ["a", "b"]}}},
        }
    }
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "score": pd.array([5, 100, None, 120], dtype="Int64"),
            "rate": [-1.0, 0.0, -2.0, -3.0],
            "tier": ["a", "c", None, "b"],
        }
    )
    tables = {"t": frame.copy()}
    with caplog.at_level(logging.WARNING):
        keep_domains(schema, tables, formats, np.random.default_rng(0))
    out = tables["t"]
    assert out["score"].tolist()[:3] == [5, 5, pd.NA] and out["score"].iloc[3] == 5  # among the values inside
    assert str(out["score"].dtype) == "Int64"
    assert (out["rate"] > 0).all()  # none inside: on the strict bound's inside
    assert out["tier"].tolist()[1] in ("a", "b") and out["tier"].isna().tolist() == [False, False, True, False]
    assert any("2 of 3 generated value(s) lay outside" in r.getMessage() for r in caplog.records)
    tables = {"t": frame.copy()}
    keep_domains(schema, tables, formats, np.random.default_rng(0), given={"t": ["score"]})
    assert tables["t"]["score"].iloc[3] == 120  # a given value stays


def test_codes_a_check_lists_are_kept_under_dp(tmp_path: Path) -> None:
    """A survey's -9 and 99 codes held by 5 % of 3,000 respondents each fall below the DP floor of
    the public integers (~11 % of the entities at epsilon 3) and are lost; listed by the column's
    CHECK (answer IN (...)) they are public points, every one a token of its own."""
    rng = np.random.default_rng(0)
    answer = rng.integers(1, 6, 3000)
    r = rng.random(3000)
    answer[r < 0.05], answer[(r >= 0.05) & (r < 0.1)] = 99, -9
    with sqlite3.connect(tmp_path / "src.sqlite") as con:
        con.execute(
            "CREATE TABLE resp (id INTEGER PRIMARY KEY, "
            "answer INTEGER NOT NULL CHECK (answer IN (1, 2, 3, 4, 5, -9, 99)))"
        )
        con.executemany("INSERT INTO resp VALUES (?, ?)", [(i, int(v)) for i, v in enumerate(answer)])
    data = RelationalData.from_sql(f"sqlite:///{tmp_path / 'src.sqlite'}")
    pre = TabularPreproc.from_schema(data.schema).fit(data, dp=DpBudget(epsilon=3.0, delta=1e-5))
    p = next(s.preproc for s in pre.slots if s.column == "answer")
    assert p.points == [-9, 1, 2, 3, 4, 5, 99] and not p.edges and not p.has_missing


def test_dates_and_lengths_outside_a_domain_are_drawn_again_inside_it() -> None:
    """CHECK (opened >= '2000-01-01') and CHECK (length(code) = 6) were not kept: generated dates
    before the bound and codes of other lengths were refused by the source's DDL."""
    schema = Schema(t=Table(id=PrimaryKey(), opened=Date(), at=Datetime(), code=Categorical()))
    formats = {
        "t": {
            "opened": {"sql": {"domain": {"low": ["2000-01-01 00:00:00", True]}}},
            "at": {"sql": {"domain": {"high": ["2030-01-01 00:00:00", True]}}},
            "code": {"sql": {"domain": {"length": {"low": [6, False], "high": [6, False]}}}},
        }
    }
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "opened": pd.to_datetime(["1999-05-01", "2000-01-01", None]),
            "at": pd.to_datetime(["2031-01-01", "2030-01-01", "2031-06-01"]),
            "code": ["000123", "12345", "AB0001"],
        }
    )
    tables = {"t": frame}
    keep_domains(schema, tables, formats, np.random.default_rng(0))
    out = tables["t"]
    assert out["opened"].iloc[:2].eq(pd.Timestamp("2000-01-02")).all() and pd.isna(out["opened"].iloc[2])
    assert (out["at"] < pd.Timestamp("2030-01-01")).all() and str(out["at"].dtype) == "datetime64[ns]"
    assert out["code"].str.len().eq(6).all()


def test_a_listed_column_with_nulls_is_decoded(tmp_path: Path) -> None:
    # a nullable tier of CHECK (tier IN (...)) holding nulls is read as text, its nulls pd.NA: the domain's test
    # asked whether pd.NA was in the list, and decoding stopped on "boolean value of NA is ambiguous"
    with sqlite3.connect(tmp_path / "src.sqlite") as con:
        con.executescript(DDL.replace("tier TEXT NOT NULL", "tier TEXT"))
        con.executemany(
            "INSERT INTO customer VALUES (?, ?, ?, ?)",
            [(i, i % 100, float(i), None if i % 7 == 0 else TIERS[i % 6]) for i in range(120)],
        )
    data = RelationalData.from_sql(f"sqlite:///{tmp_path / 'src.sqlite'}")
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    tier = pre.inverse_transform(pre.transform(data), seed=0)["customer"]["tier"]
    assert tier.isna().sum() == data["customer"]["tier"].isna().sum() and tier.dropna().isin(TIERS[:6]).all()

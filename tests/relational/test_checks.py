"""Single-column CHECK constraints read as declared domains, in each catalog's spelling."""

from __future__ import annotations

import pytest

from relsynth.relational._checks import column_domains, column_orders, domain_check, merged, within

COLUMNS = ["credit", "score", "tier", "rate", "a", "code"]


@pytest.mark.parametrize(
    "texts",
    [
        [  # SQLite: the CREATE TABLE text
            "credit >= 0",
            "score BETWEEN 0 AND 100",
            "tier IN ('gold','silver')",
            "rate > 0 AND rate < 1.5",
            "a <> credit",
            "upper(code) = code",
        ],
        [  # DuckDB: duckdb_constraints()
            "(credit >= 0)",
            "(score BETWEEN 0 AND 100)",
            "(tier IN ('gold', 'silver'))",
            "((rate > 0) AND (rate < 1.5))",
            "(a != credit)",
        ],
        [  # PostgreSQL: pg_constraint, casts and all
            "credit >= 0::numeric",
            "score >= 0 AND score <= 100",
            "tier::text = ANY (ARRAY['gold'::character varying, 'silver'::character varying]::text[])",
            "rate > 0::double precision AND rate < 1.5::double precision",
        ],
        [
            "((tier)::text = ANY ((ARRAY['gold'::character varying, 'silver'::character varying])::text[]))",
            "0 <= credit",
            "100 >= score AND score >= 0",
            "1.5 > rate",
            "(rate > (0)::double precision)",
        ],
    ],
)
def test_bounds_and_lists_are_read_in_each_spelling(texts: list[str]) -> None:
    assert column_domains(texts, COLUMNS, numbers=["credit", "score", "rate", "a"]) == {
        "credit": {"low": [0, False]},
        "score": {"low": [0, False], "high": [100, False]},
        "tier": {"in": ["gold", "silver"]},
        "rate": {"low": [0, True], "high": [1.5, True]},
    }


def test_what_is_not_read_for_sure_is_left_to_the_database() -> None:
    texts = [
        "a >= 0 OR a IS NULL",  # an OR: neither part holds on its own
        "credit >= a",  # two columns
        "upper(code) = 'A'",  # a function other than a length
        "other >= 0",  # not a column read
        "tier >= 'b'",  # a text bound
    ]
    assert column_domains(texts, COLUMNS) == {}


def test_several_checks_of_a_column_keep_the_tightest() -> None:
    texts = ["score > 3 AND score >= 3", "score <= 50", "score < 50", "tier IN ('it''s', 'b')", "tier = 'b'"]
    assert column_domains(texts, COLUMNS) == {"score": {"low": [3, True], "high": [50, True]}, "tier": {"in": ["b"]}}
    assert merged({"in": ["x", "y"]}, {"low": [1, False]}) == {"in": ["x", "y"], "low": [1, False]}


def test_quoted_numbers_are_numbers_only_in_a_number_column() -> None:
    texts = ["a = ANY (ARRAY['-1'::integer, 2])", "a >= '-5'::integer", "code IN ('007', '1')"]
    assert column_domains(texts, COLUMNS, numbers=["a"]) == {
        "a": {"in": [-1, 2], "low": [-5, False]},
        "code": {"in": ["007", "1"]},
    }


def test_within_keeps_strict_bounds() -> None:
    domain = {"low": [0, True], "high": [100, False]}
    assert [within(v, domain) for v in (-1, 0, 0.5, 100, 100.5)] == [False, False, True, True, False]


@pytest.mark.parametrize(
    "texts",
    [
        [
            "length(code) = 6",
            "length(tier) BETWEEN 2 AND 9",
            "opened >= '2000-01-01'",
            "opened < '2030-01-01'",
        ],  # SQLite
        [  # PostgreSQL: pg_constraint
            "(length((code)::text) = 6)",
            "length(tier::text) >= 2 AND length(tier::text) <= 9",
            "opened >= '2000-01-01'::date AND opened < '2030-01-01'::date",
        ],
        [  # PostgreSQL's domain types: pg_get_constraintdef of CREATE DOMAIN ... CHECK (VALUE ...)
            domain_check("CHECK ((length((VALUE)::text) = 6))", "code"),
            domain_check("CHECK ((char_length(VALUE) >= 2))", "tier"),
            domain_check("CHECK ((character_length(VALUE) <= 9))", "tier"),
            domain_check("CHECK ((VALUE >= '2000-01-01'::date) AND (VALUE < '2030-01-01'::date))", "opened"),
        ],
    ],
)
def test_lengths_and_dates_are_read_in_each_spelling(texts: list[str]) -> None:
    """CHECK (length(code) = 6), date bounds and PostgreSQL's domain types were left to the database:
    generated codes of 7 characters and dates before the bound were refused when written back."""
    assert column_domains(texts, [*COLUMNS, "opened"], dates=["opened"]) == {
        "code": {"length": {"low": [6, False], "high": [6, False]}},
        "tier": {"length": {"low": [2, False], "high": [9, False]}},
        "opened": {"low": ["2000-01-01 00:00:00", False], "high": ["2030-01-01 00:00:00", True]},
    }


def test_a_zoned_bound_is_held_as_naive_utc_and_a_text_bound_is_not_read() -> None:
    texts = ["at >= '2000-01-01 02:00:00+02'::timestamp with time zone", "code >= '2000-01-01'", "length(code) > 'a'"]
    assert column_domains(texts, ["at", "code"], dates=["at"]) == {"at": {"low": ["2000-01-01 00:00:00", False]}}
    assert domain_check("CHECK (VALUE <> 'VALUE')", "a b") == " (\"a b\" <> 'VALUE')"


def test_two_columns_in_order_are_read_in_each_spelling() -> None:
    """An undirected edge stored once, CHECK (a < b), was not read (left to the database): a
    generated graph kept a < b in 62 % of its rows and could not be written into the source's DDL."""
    texts = [
        "user_a < user_b",  # SQLite
        "(low_price <= high_price)",  # DuckDB
        "((ends)::date >= (starts)::date) AND (score >= 0)",  # PostgreSQL, beside a bound
        "credit > a OR a IS NULL",  # an OR: not read
        "length(code) < credit",  # a function
    ]
    columns = ["user_a", "user_b", "low_price", "high_price", "starts", "ends", "score", "credit", "a", "code"]
    assert column_orders(texts, columns) == [
        ("user_a", "user_b", True),
        ("low_price", "high_price", False),
        ("starts", "ends", False),
    ]
    assert column_domains(texts, columns) == {"score": {"low": [0, False]}}

"""Single-column CHECK constraints read as declared domains, in each catalog's spelling."""

from __future__ import annotations

import pytest

from relsynth.relational._checks import column_domains, merged, within

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
            "length(code) = 5",
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
        "length(code) = 5",  # a function
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

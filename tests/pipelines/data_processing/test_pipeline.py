"""data_processing: node tests on a tiny database and a run of the whole pipeline in memory."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from relsynth.pipelines.data_processing import create_pipeline
from relsynth.pipelines.data_processing.nodes import split_database, validate_database
from relsynth.relational import Categorical, ForeignKey, Numeric, PrimaryKey, RelationalData, Schema, Table, Text

SPLIT = {"test_ratio": 0.2, "valid_ratio": 0.2, "seed": 0}
TEXT_TABLES = ["artist", "album", "track"]  # the tiny database's tables with text columns


def root_keys(part: RelationalData) -> set[int]:
    return set(part["artist"]["id"])


def assert_split_by_root_entity(database: RelationalData, parts: list[RelationalData]) -> None:
    """Disjoint roots that cover the database; every descendant with its root; lookups whole."""
    keys = [root_keys(p) for p in parts]
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            assert not keys[i] & keys[j], "a root entity is in two parts"
    assert set().union(*keys) == root_keys(database)
    for table in ("album", "track"):
        assert sum(len(p[table]) for p in parts) == len(database[table])
    for part in parts:
        assert set(part["album"]["artist"]) <= root_keys(part)
        assert set(part["track"]["album"]) <= set(part["album"]["id"])
        pd.testing.assert_frame_equal(part["genre"], database["genre"])


def test_validate_database_passes_a_valid_database_through(tiny_database: RelationalData) -> None:
    assert validate_database(tiny_database) is tiny_database


def test_validate_database_needs_three_root_entities(tiny_database: RelationalData) -> None:
    two_artists = tiny_database.subset({"artist": [1, 2]})
    with pytest.raises(ValueError, match=r"fewer than 3 rows"):
        validate_database(two_artists)


def test_a_table_with_text_but_no_text_model_is_reported_before_training(tiny_database, caplog) -> None:
    assert TEXT_TABLES  # the fixture has text
    with caplog.at_level(logging.WARNING):
        validate_database(tiny_database, TEXT_TABLES[1:])
    assert f"'{TEXT_TABLES[0]}'" in caplog.text and "stay empty" in caplog.text
    caplog.clear()
    validate_database(tiny_database, TEXT_TABLES)
    assert "stay empty" not in caplog.text
    first = TEXT_TABLES[0]
    column = tiny_database.schema.tables[first].text_columns[0]
    strict = RelationalData(dict(tiny_database.data), tiny_database.schema)
    strict._add_sql_types({first: {column: {"type": "VARCHAR", "nullable": False}}})  # as read from a database
    with pytest.raises(ValueError, match=f"'{first}.{column}'.* NOT NULL in the source.*add \\['{first}'\\]"):
        validate_database(strict, TEXT_TABLES[1:])


def test_a_root_of_few_rows_with_many_descendants_each_is_flagged_as_a_possible_lookup(tiny_database, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        validate_database(tiny_database)
    assert "name it in the schema's lookups" not in caplog.text  # a few albums per artist: a real root
    schema = Schema(
        nation=Table(id=PrimaryKey(), name=Categorical()),
        customer=Table(id=PrimaryKey(), nation=ForeignKey(parent="nation"), x=Numeric()),
    )
    nations = pd.DataFrame({"id": range(5), "name": list("abcde")})
    customers = pd.DataFrame({"id": range(400), "nation": [i % 5 for i in range(400)], "x": range(400)})
    with caplog.at_level(logging.WARNING):
        validate_database(RelationalData({"nation": nations, "customer": customers}, schema))
    assert "root table 'nation' has 5 rows, each with 80 rows of ['customer']" in caplog.text
    caplog.clear()
    referenced = Schema(
        nation=schema.tables["nation"],
        customer=Table(id=PrimaryKey(), nation=ForeignKey(parent="nation", nest=False), x=Numeric()),
    )
    with caplog.at_level(logging.WARNING):  # customers a root referencing the nations: the same warning
        validate_database(RelationalData({"nation": nations, "customer": customers}, referenced))
    assert (
        "root table 'nation' has 5 rows, each with 80 rows of ['customer'] on average (nested under it or"
        in caplog.text
    )
    caplog.clear()
    with_text = Schema(nation=Table(id=PrimaryKey(), name=Text()), customer=schema.tables["customer"])
    strict = RelationalData({"nation": nations, "customer": customers}, with_text)
    strict._add_sql_types({"nation": {"name": {"type": "VARCHAR", "nullable": False}}})
    with caplog.at_level(logging.WARNING), pytest.raises(ValueError, match="name it in lookups"):
        validate_database(strict, [])  # the lookup warning comes first, and the error names that way out too
    assert "root table 'nation' has 5 rows" in caplog.text


def test_split_database_by_root_entity(tiny_database: RelationalData) -> None:
    train, valid, test = split_database(tiny_database, SPLIT)
    assert_split_by_root_entity(tiny_database, [train, valid, test])
    assert (len(train["artist"]), len(valid["artist"]), len(test["artist"])) == (6, 2, 2)


def test_split_database_is_reproducible(tiny_database: RelationalData) -> None:
    first = [root_keys(p) for p in split_database(tiny_database, SPLIT)]
    again = [root_keys(p) for p in split_database(tiny_database, SPLIT)]
    other = [root_keys(p) for p in split_database(tiny_database, {**SPLIT, "seed": 1})]
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    "split, message",
    [
        ({"test_ratio": 0.5, "valid_ratio": 0.5, "seed": 0}, "sum to less than 1"),
        ({"test_ratio": 0.0, "valid_ratio": 0.1, "seed": 0}, "must be positive"),
        ({"test_ratio": 0.1, "valid_ratio": 0.1, "sed": 0}, "unknown key"),
    ],
)
def test_split_database_rejects_bad_parameters(tiny_database: RelationalData, split: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_database(tiny_database, split)


def test_pipeline_runs_in_memory(tiny_database: RelationalData) -> None:
    catalog = DataCatalog(
        {
            "raw_database": MemoryDataset(tiny_database),
            "params:split": MemoryDataset(SPLIT),
            "params:text_tables": MemoryDataset(TEXT_TABLES),
            **{name: MemoryDataset() for name in ("database_train", "database_valid", "database_test")},
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    parts = [catalog.load(f"database_{p}") for p in ("train", "valid", "test")]
    assert all(isinstance(p, RelationalData) for p in parts)
    assert_split_by_root_entity(tiny_database, parts)


def test_pipeline_interface() -> None:
    pipe = create_pipeline()
    assert pipe.inputs() == {"raw_database", "params:split", "params:text_tables"}
    assert pipe.outputs() == {"database_train", "database_valid", "database_test"}
    assert {n.name for n in pipe.nodes} == {
        "data_processing.validate_database",
        "data_processing.split_database_by_root_entity",
    }

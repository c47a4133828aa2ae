"""Nodes of the data_processing pipeline: check the raw database and split it by root entity."""

from __future__ import annotations

import logging
from typing import Any

from relsynth.relational import RelationalData

log = logging.getLogger(__name__)

MIN_ROOT_ENTITIES = 3  # one each for train, valid and test


def validate_database(database: RelationalData, text_tables: list[str] | None = None) -> RelationalData:
    """Check that the database can be split three ways and log what it holds.

    Keys, kinds and orphans were already checked when the `RelationalData` was built; this adds
    the checks a training run needs: every root table has at least three entities, and (with
    `text_tables`, the run's parameter) every table with text columns has a text model, or the
    user is told, before any training, that its texts stay empty: an error where the source
    declares one of them NOT NULL (writing the synthetic database back would fail at the end).
    """
    schema = database.schema
    too_small = {r: len(database[r]) for r in schema.roots if len(database[r]) < MIN_ROOT_ENTITIES}
    if too_small:
        raise ValueError(
            f"root table(s) {too_small} have fewer than {MIN_ROOT_ENTITIES} rows: a train/valid/test split "
            "needs at least one entity in each part; add data or check the schema's foreign keys"
        )
    _warn_of_few_large_entities(database)  # first: a lookup read as a root explains what follows
    if text_tables is not None:
        _check_text_tables(database, text_tables)
    log.info("valid database, roots %s, lookups %s, rows %s", schema.roots, list(schema.lookups), database.n_rows())
    return database


FEW_ENTITIES, LARGE_ENTITY = 100, 50  # a root with fewer rows, each holding more descendants on average


def _warn_of_few_large_entities(database: RelationalData) -> None:
    """A root table of a few rows with many rows under it or referencing it is most often a lookup
    read as a root (TPC-H's 25 nations above, or referenced by, customers when `lookups` is not given)."""
    schema = database.schema
    for root in schema.roots:
        below = schema.depth_first(root)[1:]
        below += [e.child for t in schema.synth_tables for e in schema.references(t) if e.parent == root]
        rows, n = sum(len(database[t]) for t in dict.fromkeys(below)), len(database[root])
        if 0 < n < FEW_ENTITIES and rows / n > LARGE_ENTITY:
            log.warning(
                "root table %r has %d rows, each with %.0f rows of %s on average (nested under it or referencing "
                "it): the model learns from that many examples only. If %r is a lookup (countries, categories: "
                "copied as it is), name it in the schema's lookups (or load_args.lookups of an SQL source)",
                root,
                n,
                rows / n,
                list(dict.fromkeys(below)),
                root,
            )


def _check_text_tables(database: RelationalData, text_tables: list[str]) -> None:
    schema = database.schema
    untexted = {
        t: schema.tables[t].text_columns
        for t in schema.synth_tables
        if schema.tables[t].text_columns and t not in text_tables
    }
    if not untexted:
        return
    not_null = [f"{t}.{c}" for t, cs in untexted.items() for c in cs if c in database.not_null_columns(t)]
    how = (
        f"add {sorted(untexted)} to text_tables (conf/local/parameters_text_training.yml; now {text_tables}) to "
        "generate them, or declare those columns categorical in the schema (or, for a lookup read as a table of "
        "its own, name it in lookups)"
    )
    if not_null:
        raise ValueError(
            f"text column(s) {not_null} are NOT NULL in the source, but their table(s) have no text model "
            f"(not in text_tables), so they would be generated empty and the synthetic database could not be "
            f"written back: {how}"
        )
    log.warning("table(s) %s have text columns but no text model: they stay empty (null); %s", untexted, how)


def split_database(
    database: RelationalData, split: dict[str, Any]
) -> tuple[RelationalData, RelationalData, RelationalData]:
    """(train, valid, test) by root entity: test first, then valid from the rest.

    `split` is the `split` parameter group: `test_ratio` and `valid_ratio` are shares of the whole
    database's root entities, `seed` makes the split reproducible.
    """
    test_ratio, valid_ratio, seed = _split_params(split)
    rest, test = database.split(ratio=test_ratio, seed=seed)
    train, valid = rest.split(ratio=valid_ratio / (1.0 - test_ratio), seed=seed + 1)
    for name, part in (("train", train), ("valid", valid), ("test", test)):
        log.info("%s: %s", name, part)
    return train, valid, test


def _split_params(split: dict[str, Any]) -> tuple[float, float, int]:
    unknown = set(split) - {"test_ratio", "valid_ratio", "seed"}
    if unknown:
        raise ValueError(f"params:split has unknown key(s) {sorted(unknown)}; expected test_ratio, valid_ratio, seed")
    test_ratio, valid_ratio = float(split.get("test_ratio", 0.1)), float(split.get("valid_ratio", 0.1))
    if test_ratio <= 0 or valid_ratio <= 0 or test_ratio + valid_ratio >= 1:
        raise ValueError(
            f"params:split: test_ratio ({test_ratio}) and valid_ratio ({valid_ratio}) must be positive "
            "and sum to less than 1"
        )
    return test_ratio, valid_ratio, int(split.get("seed", 0))

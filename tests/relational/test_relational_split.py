"""split(ratio, seed): by root entity, descendants follow their root, lookups in both parts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from relsynth.relational import (
    Categorical,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)

ROOT = Path(__file__).resolve().parents[2]


def forest() -> RelationalData:
    """Two trees: a -> b -> c (3 levels) and r -> s, plus a lookup k used by c.

    a i has i % 3 b's (so a 3, 6, ... have none); b j has j % 4 c's; r i has i % 2 s's.
    """
    schema = Schema(
        a=Table(id=PrimaryKey(), x=Numeric()),
        b=Table(id=PrimaryKey(), a=ForeignKey("a")),
        c=Table(id=PrimaryKey(), b=ForeignKey("b"), k=ForeignKey("k"), n=Integer()),
        r=Table(id=PrimaryKey()),
        s=Table(r=ForeignKey("r"), y=Categorical()),  # a leaf without a primary key
        k=Table(id=PrimaryKey(), label=Categorical()),
        lookups=["k"],
    )
    a = pd.DataFrame({"id": range(1, 31), "x": [i / 10 for i in range(30)]})
    b_parent = [i for i in range(1, 31) for _ in range(i % 3)]
    b = pd.DataFrame({"id": range(100, 100 + len(b_parent)), "a": b_parent})
    c_parent = [j for j in b["id"] for _ in range(j % 4)]
    c = pd.DataFrame({"id": range(len(c_parent)), "b": c_parent, "k": [i % 2 for i in range(len(c_parent))]})
    c["n"] = c["id"] * 2
    r = pd.DataFrame({"id": ["r" + str(i) for i in range(12)]})
    s_parent = [f"r{i}" for i in range(12) for _ in range(i % 2)]
    s = pd.DataFrame({"r": s_parent, "y": "v"})
    k = pd.DataFrame({"id": [0, 1], "label": ["even", "odd"]})
    return RelationalData({"a": a, "b": b, "c": c, "r": r, "s": s, "k": k}, schema)


@pytest.fixture(scope="module")
def data() -> RelationalData:
    return forest()


def ids(data: RelationalData, table: str) -> set:
    return set(data[table]["id"])


def test_no_root_entity_in_both_parts_and_none_lost(data: RelationalData):
    train, test = data.split(ratio=0.3, seed=1)
    for root in ("a", "r"):
        assert ids(train, root).isdisjoint(ids(test, root))
        assert ids(train, root) | ids(test, root) == ids(data, root)


def test_every_descendant_follows_its_root(data: RelationalData):
    train, test = data.split(ratio=0.3, seed=1)
    for part in (train, test):
        # each part is a valid RelationalData (no orphans), and holds every child of its roots
        roots_a, roots_r = ids(part, "a"), ids(part, "r")
        expect_b = set(data["b"].loc[data["b"]["a"].isin(roots_a), "id"])
        assert ids(part, "b") == expect_b
        assert ids(part, "c") == set(data["c"].loc[data["c"]["b"].isin(expect_b), "id"])
        assert len(part["s"]) == int(data["s"]["r"].isin(roots_r).sum())
    for table in ("a", "b", "c", "r", "s"):
        assert len(train[table]) + len(test[table]) == len(data[table])


def test_rows_keep_their_values(data: RelationalData):
    train, test = data.split(ratio=0.3, seed=1)
    both = pd.concat([train["c"], test["c"]]).sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(both, data["c"])


def test_lookups_are_copied_to_both_parts(data: RelationalData):
    train, test = data.split(ratio=0.3, seed=1)
    pd.testing.assert_frame_equal(train["k"], data["k"])
    pd.testing.assert_frame_equal(test["k"], data["k"])


def test_share_of_each_root_goes_to_test(data: RelationalData):
    train, test = data.split(ratio=0.3, seed=1)
    assert len(test["a"]) == 9 and len(train["a"]) == 21
    assert len(test["r"]) == 4 and len(train["r"]) == 8  # round(0.3 * 12)


def test_entities_with_zero_children_are_split_like_the_others(data: RelationalData):
    childless = {i for i in range(1, 31) if i % 3 == 0}
    train, test = data.split(ratio=0.5, seed=3)
    assert childless & ids(train, "a") and childless & ids(test, "a")
    assert set(train["b"]["a"]).isdisjoint(childless) and set(test["b"]["a"]).isdisjoint(childless)


def test_same_seed_same_split_other_seed_other_split(data: RelationalData):
    first, second = data.split(ratio=0.3, seed=7), data.split(ratio=0.3, seed=7)
    for table in data:
        pd.testing.assert_frame_equal(first[1][table], second[1][table])
        pd.testing.assert_frame_equal(first[0][table], second[0][table])
    other = data.split(ratio=0.3, seed=8)
    assert ids(other[1], "a") != ids(first[1], "a")


def test_parts_keep_schema_and_dtypes(data: RelationalData):
    train, test = data.split(ratio=0.3, seed=1)
    assert train.schema == data.schema and test.schema == data.schema
    for table in data:
        assert dict(test[table].dtypes) == dict(data[table].dtypes)
        assert isinstance(test[table].index, pd.RangeIndex)


def test_at_least_one_entity_on_each_side():
    data = forest()
    train, test = data.split(ratio=0.01, seed=0)
    assert len(test["a"]) == 1 and len(test["r"]) == 1
    train, test = data.split(ratio=0.99, seed=0)
    assert len(train["a"]) == 1 and len(train["r"]) == 1


@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.1, 1.5])
def test_ratio_out_of_range_is_refused(data: RelationalData, ratio: float):
    with pytest.raises(ValueError, match="ratio must be between 0 and 1"):
        data.split(ratio=ratio)


def test_single_table_without_primary_key_splits_by_row():
    schema = Schema(t=Table(x=Numeric(), y=Categorical()))
    data = RelationalData({"t": pd.DataFrame({"x": [float(i) for i in range(20)], "y": "a"})}, schema)
    train, test = data.split(ratio=0.25, seed=2)
    assert len(test["t"]) == 5 and len(train["t"]) == 15
    assert set(train["t"]["x"]).isdisjoint(test["t"]["x"])
    assert set(train["t"]["x"]) | set(test["t"]["x"]) == set(data["t"]["x"])


def test_descendants_and_subset(data: RelationalData):
    rows = data.descendants("a", [1, 2])
    assert set(rows) == {"a", "b", "c"}
    assert set(rows["b"]["a"]) == {1, 2} and len(rows["b"]) == 3  # 1 % 3 + 2 % 3
    part = data.subset({"a": [1, 2]})
    assert len(part["r"]) == 0 and len(part["s"]) == 0  # no keys given for the other root
    assert len(part["k"]) == 2


def test_chinook_split_by_artist():
    schema = Schema.from_yaml(ROOT / "conf" / "base" / "schema_chinook.yml")
    data = RelationalData.from_dir(ROOT / "data" / "01_raw" / "chinook", schema=schema)
    train, test = data.split(ratio=0.1, seed=0)
    assert len(test["artist"]) == 28  # round(0.1 * 275)
    for table in ("artist", "album", "track"):
        assert len(train[table]) + len(test[table]) == len(data[table])
        assert ids(train, table).isdisjoint(ids(test, table))
    assert set(test["album"]["artist"]) <= ids(test, "artist")
    assert len(test["genre"]) == len(train["genre"]) == 25

"""Schema.infer given no foreign keys: the keys it reads from the columns' names and values."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import Column, ForeignKey, RelationalData, Schema

ROOT = Path(__file__).resolve().parents[2]
CHINOOK = ROOT / "data" / "01_raw" / "chinook"
MAIN_JOB = ["artist", "album", "track", "genre", "media_type"]


def _chinook(tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
    names = tables or sorted(p.stem for p in CHINOOK.glob("*.csv"))
    return {t: pd.read_csv(CHINOOK / f"{t}.csv", dtype=str, keep_default_na=False, na_values=[""]) for t in names}


def _links(schema: Schema) -> dict[str, dict[str, str]]:
    return {t: table.foreign_keys for t, table in schema.tables.items() if table.foreign_keys}


def _shop(**renames: str) -> dict[str, pd.DataFrame]:
    """Categories (5 rows, fewer than a counter needs to be read as a key unless named), products, orders."""
    categories = pd.DataFrame({"id": range(1, 6), "label": list("abcde")})
    products = pd.DataFrame({"ProductId": range(1, 41), "category_id": [i % 5 + 1 for i in range(40)]})
    orders = pd.DataFrame({"id": range(1, 61), "ProductId": [i % 40 + 1 for i in range(60)], "qty": [1, 2, 3] * 20})
    frames = {"categories": categories, "products": products, "orders": orders}
    return {t: f.rename(columns=renames) for t, f in frames.items()}


def test_chinook_main_job_tree_without_declared_keys():
    schema = Schema.infer(_chinook(MAIN_JOB), lookups=["genre", "media_type"])
    assert _links(schema) == {
        "album": {"artist": "artist"},
        "track": {"album": "album", "mediatype": "media_type", "genre": "genre"},
    }
    assert schema.roots == ["artist"]
    assert schema.depth_first() == ["artist", "album", "track"]
    assert schema.tables["media_type"].primary_key == "id"  # 5 rows: keyed because track names it
    assert schema.inference["album"]["artist"].startswith("inferred foreign key (-> artist): its name names artist")


@pytest.mark.slow
def test_chinook_all_tables_give_a_valid_schema():
    frames = _chinook()
    schema = Schema.infer(frames)
    RelationalData(frames, schema)  # every inferred key's values among its table's keys
    assert _links(schema) == {
        "album": {"artist": "artist"},
        "invoice": {"customer": "customer"},
        "invoice_line": {"track": "track", "invoice": "invoice"},
        "playlist_track": {"track": "track", "playlist": "playlist"},
        "track": {"album": "album", "mediatype": "media_type", "genre": "genre"},
        "employee": {"reports_to": "employee"},  # a tree of whom each reports to
    }  # support_rep names employee by a role, its 3 values (3, 4, 5) keys of every table: left as it is
    assert schema.references("employee")[0].parent == "employee"


def test_names_singular_plural_and_primary_key_name(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, logger="relsynth.relational.schema"):
        schema = Schema.infer(_shop())
    assert _links(schema) == {"products": {"category_id": "categories"}, "orders": {"ProductId": "products"}}
    assert "named as products's primary key ProductId" in schema.inference["orders"]["ProductId"]
    assert "Schema.infer: products.category_id -> categories" in caplog.text


def test_explicit_empty_foreign_keys_infers_none():
    schema = Schema.infer(_shop(), foreign_keys={})
    assert _links(schema) == {}
    assert schema.tables["products"].columns["category_id"].kind is Column.INTEGER


def test_a_value_outside_the_named_tables_keys_is_no_key():
    frames = _shop()
    frames["products"].loc[3, "category_id"] = 9  # no category 9
    assert _links(Schema.infer(frames)) == {"orders": {"ProductId": "products"}}


def test_a_column_named_like_a_table_holding_other_values_is_no_key():
    frames = _shop()
    frames["orders"]["categories"] = ["a", "b", "c"] * 20  # labels, not category keys
    frames["orders"]["category_code"] = ["1", "2", "007"] * 20  # zero-padded codes are labels, not the whole numbers
    assert "orders" not in {t for t, fks in _links(Schema.infer(frames)).items() if set(fks) - {"ProductId"}}


def test_a_plain_id_names_no_table_and_overrides_win():
    frames = _shop()  # orders.id names a product by its primary key's name, but that name is only `id`
    frames["products"] = frames["products"].rename(columns={"ProductId": "id"})
    frames["orders"] = frames["orders"].drop(columns="id").rename(columns={"ProductId": "id"})
    assert _links(Schema.infer(frames)) == {"products": {"category_id": "categories"}}
    schema = Schema.infer(_shop(), overrides={"products": {"category_id": Column.CATEGORICAL}})
    assert schema.tables["products"].columns["category_id"].kind is Column.CATEGORICAL
    assert schema.tables["orders"].columns["ProductId"] == ForeignKey("products")


def test_no_key_to_its_own_table():
    people = pd.DataFrame({"id": range(1, 31), "people_id": [None, *range(1, 30)]})
    assert _links(Schema.infer({"people": people})) == {}


def test_small_code_tables_named_by_inferred_keys_are_advised_as_lookups(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="relsynth.relational.schema"):
        schema = Schema.infer(_chinook(MAIN_JOB))
    assert schema.lookups == ()  # never chosen for the caller: a lookup is copied as it is
    assert "lookups=['genre', 'media_type']" in caplog.text


def test_a_named_id_keys_a_table_whose_ids_count_nothing():
    teams = pd.DataFrame({"id": [7, 14, 21, 28], "name": list("abcd")})  # no counter: no key guessed alone
    players = pd.DataFrame({"id": range(1, 5), "team_id": [7, 14, 21, 28]})  # team_id counts no rows, id does
    schema = Schema.infer({"teams": teams, "players": players})
    assert _links(schema) == {"players": {"team_id": "teams"}}
    assert schema.tables["teams"].primary_key == "id"
    assert schema.inference["teams"]["id"].startswith("named as teams's key")


def test_a_one_to_one_key_counting_its_rows_is_a_key_to_its_table():
    users = pd.DataFrame({"id": range(1, 31), "name": [f"u{i}" for i in range(30)]})
    profiles = pd.DataFrame({"user_id": range(1, 31), "bio": ["x"] * 30})  # counts its rows, but names a user
    schema = Schema.infer({"users": users, "profiles": profiles})
    assert _links(schema) == {"profiles": {"user_id": "users"}}
    assert schema.tables["profiles"].primary_key is None


def _tree(parents: list[int | None], **columns: list) -> pd.DataFrame:
    return pd.DataFrame({"id": range(1, len(parents) + 1), **columns}).assign(**{"parent_id": parents})


TREE = [None, None, 1, 1, 2, 3, 3, 4, 6, 6] * 3  # three trees of ten: row 10 k + i under row 10 k + parent
TREE = [p if p is None else p + 10 * (i // 10) for i, p in enumerate(TREE)]


def test_a_parent_key_forming_a_tree_names_its_own_table():
    categories = _tree(TREE, label=[f"c{i}" for i in range(30)])
    products = pd.DataFrame({"id": range(1, 61), "category_id": [i % 30 + 1 for i in range(60)]})
    schema = Schema.infer({"categories": categories, "products": products})
    assert _links(schema) == {"categories": {"parent_id": "categories"}, "products": {"category_id": "categories"}}
    assert "following them from any row ends at a row with none" in schema.inference["categories"]["parent_id"]
    assert schema.roots == ["categories"] and schema.references("categories")[0].fk == "parent_id"
    RelationalData({"categories": categories, "products": products}, schema)


def test_a_parent_key_round_a_cycle_or_naming_another_tables_rows_is_no_key():
    cycle = _tree([2, 3, 1] + TREE[3:])  # rows 1 -> 2 -> 3 -> 1
    assert _links(Schema.infer({"categories": cycle})) == {}
    looped = _tree([1] + TREE[1:])  # a root naming itself
    assert _links(Schema.infer({"categories": looped})) == {}
    projects = pd.DataFrame({"id": range(1, 6), "title": list("abcde")})
    tasks = _tree([None] * 5 + [i % 5 + 1 for i in range(45)])  # ids 1-5 under 50 tasks: the 5 projects'
    assert "tasks" not in _links(Schema.infer({"projects": projects, "tasks": tasks}))


def test_a_persons_mother_and_father_name_rows_of_their_own_table():
    # three generations of ten: the first parentless, each later person a child of two of the one before
    mothers = [None] * 10 + [i % 5 + 1 for i in range(10)] + [i % 5 + 11 for i in range(10)]
    fathers = [None] * 10 + [i % 5 + 6 for i in range(10)] + [i % 5 + 16 for i in range(10)]
    persons = pd.DataFrame(
        {
            "id": range(1, 31),
            "mother_id": pd.array(mothers, dtype="Int64"),
            "FatherId": pd.array(fathers, dtype="Int64"),
            "mother_tongue": ["English", "Welsh", "Gaelic"] * 10,  # a kin word, but no row's
            "father_name": [f"name {i % 7}" for i in range(30)],
        }
    )
    schema = Schema.infer({"persons": persons})
    assert _links(schema) == {"persons": {"mother_id": "persons", "FatherId": "persons"}}
    assert "kin role (mother)" in schema.inference["persons"]["mother_id"]
    assert schema.tables["persons"].columns["mother_tongue"].kind == "categorical"
    RelationalData({"persons": persons}, schema)
    spouses = persons.assign(mother_id=pd.array([i + 2 if i % 2 == 0 else i for i in range(30)], dtype="Int64"))
    assert "mother_id" not in _links(Schema.infer({"persons": spouses})).get("persons", {})  # pairs naming each other


def test_a_role_word_alone_names_no_row_of_its_own_table():
    stores = pd.DataFrame({"id": range(1, 13), "manager_id": [None, 3, None, 5, None, 2, 6, None, 1, None, 4, None]})
    employees = pd.DataFrame({"id": range(1, 41), "name": [f"e{i}" for i in range(40)]})
    assert _links(Schema.infer({"stores": stores, "employees": employees})) == {}  # a tree by chance, of employees


def test_a_tables_name_after_a_role_word_names_it():
    teams = pd.DataFrame({"id": range(1, 21), "name": [f"t{i}" for i in range(20)]})
    matches = pd.DataFrame(
        {
            "id": range(1, 101),
            "HomeTeamId": [i % 20 + 1 for i in range(100)],
            "away_team_id": [(i + 3) % 20 + 1 for i in range(100)],
        }
    )
    schema = Schema.infer({"teams": teams, "matches": matches})
    assert _links(schema) == {"matches": {"HomeTeamId": "teams", "away_team_id": "teams"}}
    assert schema.inference["matches"]["away_team_id"].startswith(
        "inferred foreign key (-> teams): its name names teams in a role (away)"
    )
    assert "away_team_id" in [e.fk for e in schema.references("matches")]  # never a second parent: a reference
    RelationalData({"teams": teams, "matches": matches}, schema)


def test_a_role_names_the_longest_table_name_and_never_without_a_key_suffix():
    types = pd.DataFrame({"id": range(1, 4), "label": list("abc")})
    media_types = pd.DataFrame({"id": range(1, 6), "label": list("abcde")})
    tracks = pd.DataFrame({"id": range(1, 31), "preferred_media_type_id": [i % 3 + 1 for i in range(30)]})
    tracks["billing_media_type"] = tracks["preferred_media_type_id"]  # no key suffix: a label as well
    schema = Schema.infer({"type": types, "media_type": media_types, "tracks": tracks})
    assert _links(schema) == {"tracks": {"preferred_media_type_id": "media_type"}}


def _uuids(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [
        f"{int(x):08x}-{int(y):04x}" for x, y in zip(rng.integers(0, 2**32, n), rng.integers(0, 2**16, n), strict=True)
    ]


def test_a_roles_values_name_the_one_table_whose_keys_hold_them_beyond_chance():
    users = pd.DataFrame({"id": _uuids(40), "name": [f"u{i}" for i in range(40)]})
    members = pd.DataFrame({"id": 1000 + 7 * np.arange(50), "name": [f"m{i}" for i in range(50)]})  # no counter
    posts = pd.DataFrame(
        {
            "id": range(1, 201),
            "created_by": [users.id[i % 40] for i in range(200)],  # strings of one table's keys
            "borrower_id": [int(members.id[i % 30]) for i in range(200)],  # 30 of ids 7 apart: 1 in 7 each
        }
    )
    schema = Schema.infer({"users": users, "members": members, "posts": posts})
    assert _links(schema) == {"posts": {"created_by": "users", "borrower_id": "members"}}
    assert "40 distinct strings" in schema.inference["posts"]["created_by"]
    assert "all by chance at most" in schema.inference["posts"]["borrower_id"]
    RelationalData({"users": users, "members": members, "posts": posts}, schema)


def test_a_roles_values_a_counter_or_a_few_labels_hold_by_chance_name_no_table():
    users = pd.DataFrame({"id": range(1, 51), "name": [f"u{i}" for i in range(50)]})
    genres = pd.DataFrame({"id": range(1, 26), "name": [f"g{i}" for i in range(25)]})
    grades = pd.DataFrame({"code": list("ABCDE"), "points": [5, 4, 3, 2, 1]})
    tags = pd.DataFrame({"id": _uuids(30), "label": [f"t{i}" for i in range(30)]})
    labels = pd.DataFrame({"id": _uuids(30), "colour": ["red"] * 30})  # the same strings as tags' keys
    messages = pd.DataFrame(
        {
            "id": range(1, 501),
            "sender_id": [i % 50 + 1 for i in range(500)],  # users', but any counter of 50 rows or more holds them
            "store_id": [i % 25 + 1 for i in range(500)],  # no stores table: genres' ids by chance
            "grade_code": list("ABCDE") * 100,  # 5 labels
            "topic_id": [tags.id[i % 30] for i in range(500)],  # two tables' keys
        }
    )
    frames = {"users": users, "genres": genres, "grades": grades, "tags": tags, "labels": labels, "messages": messages}
    assert _links(Schema.infer(frames)) == {}
    nodes = pd.DataFrame({"id": 7 * np.arange(1, 41), "parent_id": [7 * ((i + 1) % 40 + 1) for i in range(40)]})
    mirror = pd.DataFrame({"id": 7 * np.arange(1, 41), "size": [5] * 40})  # the same keys as nodes'
    assert _links(Schema.infer({"nodes": nodes, "mirror": mirror})) == {}  # its own rows round a cycle, no mirror's


def test_a_roles_key_by_or_to_is_never_its_own_tables_key():
    projects = pd.DataFrame({"code": ["x", "y", "z"], "created_by": [1, 2, 3]})  # a counter in 3 rows, but a role's
    tasks = pd.DataFrame({"id": range(1, 31), "created_by": [1, 2] * 15})
    schema = Schema.infer({"projects": projects, "tasks": tasks})
    assert _links(schema) == {}  # both name users the data lacks, not projects
    assert schema.tables["projects"].primary_key is None


def _codes(n: int, seed: int = 0) -> list[str]:
    """n distinct three-letter codes (`LHR`)."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    codes: set[str] = set()
    while len(codes) < n:
        codes.add("".join(rng.choice(letters, 3)))
    return sorted(codes)


def test_codes_named_as_no_key_name_the_table_whose_one_distinct_column_holds_them():
    """An airport's IATA code, its natural key, and a flight's origin and destination among them:
    read as unrelated columns, the flights' airports were drawn as labels apart from the airports."""
    codes = _codes(40)
    airports = pd.DataFrame({"iata": codes, "city": [f"c{i // 2}" for i in range(40)], "lat": np.linspace(0, 60, 40)})
    flights = pd.DataFrame(
        {
            "id": range(1, 201),
            "origin": [codes[i % 40] for i in range(200)],
            "destination": [codes[(i * 7 + 3) % 40] for i in range(200)],
            "gate": [f"G{i % 12}" for i in range(200)],  # 12 strings: labels, no table's
        }
    )
    schema = Schema.infer({"airports": airports, "flights": flights})
    assert schema.tables["airports"].primary_key == "iata"
    assert _links(schema) == {"flights": {"origin": "airports", "destination": "airports"}}
    assert "40 distinct values" in schema.inference["flights"]["origin"]
    RelationalData({"airports": airports, "flights": flights}, schema)


def test_codes_of_a_few_strings_or_of_two_distinct_columns_name_no_table():
    codes = _codes(40)
    few = pd.DataFrame({"code": codes[:10], "label": [f"l{i}" for i in range(10)]})  # 10 codes: chance
    flights = pd.DataFrame({"id": range(1, 101), "origin": [codes[i % 10] for i in range(100)]})
    assert _links(Schema.infer({"few": few, "flights": flights})) == {}
    twins = pd.DataFrame({"code": codes, "copy": codes})  # which one is the key is unsaid
    flights = pd.DataFrame({"id": range(1, 101), "origin": [codes[i % 40] for i in range(100)]})
    assert _links(Schema.infer({"twins": twins, "flights": flights})) == {}

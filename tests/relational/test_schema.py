"""Schema, Table and column kinds: spellings, the key forest and its errors, YAML."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from relsynth.relational import (
    Boolean,
    Categorical,
    Column,
    DataError,
    Date,
    Datetime,
    Edge,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    SchemaError,
    Table,
    Text,
    Time,
)
from relsynth.relational.nesting import nesting_keys

CHINOOK_YAML = Path(__file__).resolve().parents[2] / "conf" / "base" / "schema_chinook.yml"


def chinook_schema_in_code() -> Schema:
    """The shipped Chinook schema, written with instances (as the YAML should read)."""
    return Schema(
        artist=Table(id=PrimaryKey(), name=Text()),
        album=Table(id=PrimaryKey(), artist=ForeignKey(parent="artist"), title=Text()),
        track=Table(
            id=PrimaryKey(),
            album=ForeignKey(parent="album"),
            name=Text(),
            bytes=Integer(),
            mediatype=ForeignKey(parent="media_type"),
            unit_price=Numeric(),
            composer=Categorical(),
            genre=ForeignKey(parent="genre"),
            milliseconds=Integer(),
        ),
        genre=Table(id=PrimaryKey(), name=Categorical()),
        media_type=Table(id=PrimaryKey(), name=Categorical()),
        lookups=["genre", "media_type"],
    )


def every_kind_schema() -> Schema:
    return Schema(
        parent=Table(id=PrimaryKey(), label=Categorical()),
        child=Table(
            columns={
                "id": PrimaryKey(),
                "parent id": ForeignKey(parent="parent"),  # not an identifier: needs columns={...}
                "x": Numeric(),
                "n": Integer(),
                "d": Date(),
                "t": Time(),
                "ts": Datetime(),
                "ok": Boolean(),
                "note": Text(),
                "kind": Categorical(),
            }
        ),
    )


# ---- column kinds and the Column enum ------------------------------------------------------
def test_column_enum_spelling_builds_the_same_table_as_instances():
    table = Table(id=Column.PRIMARY_KEY, name=Column.TEXT)
    assert table.columns == {"id": PrimaryKey(), "name": Text()}
    assert table == Table(id=PrimaryKey(), name=Text())
    assert table == Table(id="primary_key", name="TEXT")  # names of the enum, any case
    assert table.primary_key == "id"
    assert table.text_columns == ["name"]


def test_all_columns_names_every_column_keys_included_in_order():
    # aindo.rdml's spelling, used to keep a DataFrame's schema columns: df[list(table.all_columns)]
    table = Table(name=Column.TEXT, id=PrimaryKey(), artist=ForeignKey(parent="artist"), year=Column.INTEGER)
    assert table.all_columns == ("name", "id", "artist", "year")
    frame = pd.DataFrame({"id": [1], "extra": [0], "artist": [2], "name": ["x"], "year": [1999]})
    assert list(frame[list(table.all_columns)].columns) == ["name", "id", "artist", "year"]


@pytest.mark.parametrize(
    ("member", "cls"),
    [
        (Column.CATEGORICAL, Categorical),
        (Column.NUMERIC, Numeric),
        (Column.INTEGER, Integer),
        (Column.DATE, Date),
        (Column.TIME, Time),
        (Column.DATETIME, Datetime),
        (Column.BOOLEAN, Boolean),
        (Column.TEXT, Text),
        (Column.PRIMARY_KEY, PrimaryKey),
    ],
)
def test_every_enum_member_maps_to_its_kind(member: Column, cls: type):
    kind = Table(c=member).columns["c"]
    assert type(kind) is cls
    assert kind.kind is member
    assert kind.to_yaml() == member.value


def test_foreign_key_takes_its_parent_positionally_or_by_name():
    assert ForeignKey("artist") == ForeignKey(parent="artist")
    assert ForeignKey("artist").parent == "artist"
    assert ForeignKey("artist").kind is Column.FOREIGN_KEY
    assert repr(ForeignKey("artist")) == "ForeignKey(parent='artist')"


def test_kind_cannot_be_overridden_by_argument():
    with pytest.raises(TypeError):
        Integer(Column.TEXT)  # type: ignore[call-arg]


def test_foreign_key_without_parent_is_refused():
    with pytest.raises(ValueError, match="ForeignKey needs the referenced table"):
        ForeignKey()


def test_foreign_key_enum_member_needs_a_parent_and_names_the_column():
    with pytest.raises(SchemaError, match=r"column 'artist'.*ForeignKey\(parent="):
        Table(id=Column.PRIMARY_KEY, artist=Column.FOREIGN_KEY)


def test_unknown_kind_names_the_column_and_the_options():
    with pytest.raises(SchemaError) as err:
        Table(id=Column.PRIMARY_KEY, price="money")
    assert "'price'" in str(err.value)
    assert "'money'" in str(err.value)
    assert "categorical" in str(err.value) and "datetime" in str(err.value)


def test_table_with_two_primary_keys_is_refused():
    with pytest.raises(SchemaError, match=r"at most one primary key.*\['a', 'b'\]"):
        Table(a=PrimaryKey(), b=PrimaryKey())


def test_table_without_columns_is_refused():
    with pytest.raises(SchemaError, match="at least one column"):
        Table()


# ---- the key forest ------------------------------------------------------------------------
def test_chinook_forest_structure():
    schema = chinook_schema_in_code()
    assert schema.roots == ["artist"]
    assert schema.synth_tables == ["artist", "album", "track"]
    assert schema.parent("track") == Edge(child="track", fk="album", parent="album")
    assert schema.parent("artist") is None
    assert schema.parent("genre") is None
    assert schema.children("artist") == ["album"]
    assert schema.children("track") == []
    assert schema.depth_first() == ["artist", "album", "track"]
    assert [schema.depth(t) for t in schema.depth_first()] == [0, 1, 2]
    assert schema.lookup_fks("track") == {"mediatype": "media_type", "genre": "genre"}


def test_forest_with_two_roots_and_branches():
    schema = Schema(
        a=Table(id=PrimaryKey()),
        b=Table(id=PrimaryKey(), a=ForeignKey("a")),
        c=Table(id=PrimaryKey(), a=ForeignKey("a")),
        d=Table(id=PrimaryKey(), b=ForeignKey("b")),
        r=Table(id=PrimaryKey()),
        s=Table(r=ForeignKey("r"), x=Numeric()),  # a leaf needs no primary key
    )
    assert schema.roots == ["a", "r"]
    assert schema.children("a") == ["b", "c"]
    assert schema.depth_first() == ["a", "b", "d", "c", "r", "s"]
    assert schema.depth_first("r") == ["r", "s"]
    assert schema.depth("d") == 2


def test_lookups_given_as_one_string_mean_one_table():
    schema = Schema(g=Table(id=PrimaryKey()), t=Table(id=PrimaryKey(), g=ForeignKey("g")), lookups="g")
    assert schema.lookups == ("g",)
    assert schema.roots == ["t"]


def test_cycle_is_refused_naming_its_tables():
    with pytest.raises(SchemaError) as err:
        Schema(
            a=Table(id=PrimaryKey(), c=ForeignKey("c")),
            b=Table(id=PrimaryKey(), a=ForeignKey("a")),
            c=Table(id=PrimaryKey(), b=ForeignKey("b")),
        )
    msg = str(err.value)
    assert "cycle" in msg
    assert all(t in msg for t in ("a", "b", "c"))
    assert msg.count("->") == 3  # the cycle a -> c -> b -> a (or a rotation), closed


def test_a_reference_closing_a_cycle_is_deferred():
    """A department names its manager, an employee their department: refused as a cycle, where
    the employees nest under their department and the manager is a reference among them."""
    schema = Schema(
        departments=Table(id=PrimaryKey(), manager=ForeignKey("employees", nest=False)),
        employees=Table(id=PrimaryKey(), department=ForeignKey("departments")),
    )
    assert schema.roots == ["departments"] and schema.children("departments") == ["employees"]
    assert schema.references("departments") == [Edge("departments", "manager", "employees")]
    assert schema.deferred_keys() == {"departments": {"manager": "employees"}}
    assert schema.referenced_first() == ["departments", "employees"]


def test_the_table_with_more_rows_nests_under_the_other_of_two_naming_each_other():
    """Inferred, the first key decided: each department nested under its manager (0 or 1 a
    employee), the employees a reference; now the employees nest under their department."""
    n = 60
    departments = pd.DataFrame({"id": range(n), "manager": range(0, 3 * n, 3)})
    employees = pd.DataFrame({"id": range(3 * n), "department": np.repeat(np.arange(n), 3)})
    schema = Schema.infer(
        {"departments": departments, "employees": employees},
        primary_keys={"departments": "id", "employees": "id"},
        foreign_keys={"departments": {"manager": "employees"}, "employees": {"department": "departments"}},
    )
    assert schema.parent("employees") == Edge("employees", "department", "departments")
    assert schema.deferred_keys() == {"departments": {"manager": "employees"}}


def test_the_table_with_fewest_rows_of_a_cycle_of_three_keys_is_its_root():
    """A department names its head, a team its department, an employee their team: the department
    nested under its head (each employee 0 or 1 department), the teams a root table whose department
    was a deferred reference. Of a cycle, a table nests under none with more rows that leads back
    to it: departments hold their teams, each team its employees, the head a deferred reference."""
    departments = pd.DataFrame({"id": range(60), "head": range(0, 600, 10)})
    teams = pd.DataFrame({"id": range(120), "department": np.repeat(np.arange(60), 2)})
    employees = pd.DataFrame({"id": range(600), "team": np.repeat(np.arange(120), 5)})
    schema = Schema.infer(
        {"departments": departments, "teams": teams, "employees": employees},
        primary_keys={"departments": "id", "teams": "id", "employees": "id"},
        foreign_keys={
            "departments": {"head": "employees"},
            "teams": {"department": "departments"},
            "employees": {"team": "teams"},
        },
    )
    assert schema.roots == ["departments"]
    assert schema.parent("teams") == Edge("teams", "department", "departments")
    assert schema.parent("employees") == Edge("employees", "team", "teams")
    assert schema.deferred_keys() == {"departments": {"head": "employees"}}
    assert "leads back to departments" in schema.inference["departments"]["head"]


def test_a_second_parent_key_is_a_reference_and_nest_false_chooses_the_other():
    tables = {
        "customer": Table(id=PrimaryKey()),
        "track": Table(id=PrimaryKey()),
        "purchase": Table(id=PrimaryKey(), customer=ForeignKey("customer"), track=ForeignKey("track")),
    }
    schema = Schema(tables)
    assert schema.parent("purchase") == Edge("purchase", "customer", "customer")  # the first key nests
    assert schema.references("purchase") == [Edge("purchase", "track", "track")]
    assert schema.roots == ["customer", "track"] and schema.children("track") == []
    chosen = Schema(
        {
            **tables,
            "purchase": Table(id=PrimaryKey(), customer=ForeignKey("customer", nest=False), track=ForeignKey("track")),
        }
    )
    assert chosen.parent("purchase") == Edge("purchase", "track", "track")
    assert chosen.references("purchase") == [Edge("purchase", "customer", "customer")]
    assert Schema.from_yaml(chosen.to_yaml()) == chosen  # nest: false survives YAML
    assert "nest: false" in chosen.to_yaml()
    assert chosen.referenced_first().index("purchase") == 2


def test_a_cycle_of_parent_keys_names_its_key_columns_and_the_ways_out():
    # from a database the user did not write the schema of: which column to mark or override?
    with pytest.raises(SchemaError) as err:
        Schema(
            dept=Table(id=PrimaryKey(), head=ForeignKey("employee")),
            employee=Table(id=PrimaryKey(), boss=ForeignKey("employee"), dept=ForeignKey("dept")),
        )
    assert "through dept.head, employee.dept;" in str(err.value)
    assert "nest: false" in str(err.value) and "overrides" in str(err.value)


def test_second_foreign_key_to_a_lookup_is_allowed():
    schema = Schema(
        customer=Table(id=PrimaryKey()),
        track=Table(id=PrimaryKey()),
        purchase=Table(id=PrimaryKey(), customer=ForeignKey("customer"), track=ForeignKey("track")),
        lookups=["track"],
    )
    assert schema.parent("purchase") == Edge("purchase", "customer", "customer")
    assert schema.lookup_fks("purchase") == {"track": "track"}


def test_self_reference_is_a_reference_not_a_parent():
    schema = Schema(employee=Table(id=PrimaryKey(), reports_to=ForeignKey("employee")))
    assert schema.parent("employee") is None and schema.roots == ["employee"]
    assert schema.references("employee") == [Edge("employee", "reports_to", "employee")]


def test_foreign_key_to_unknown_table_is_refused():
    with pytest.raises(SchemaError, match=r"album\.artist references table 'artist', which is not in the schema"):
        Schema(album=Table(id=PrimaryKey(), artist=ForeignKey("artist")))


def test_foreign_key_to_table_without_primary_key_is_refused():
    with pytest.raises(SchemaError, match=r"album\.artist references 'artist', which has no primary key"):
        Schema(artist=Table(name=Text()), album=Table(id=PrimaryKey(), artist=ForeignKey("artist")))


@pytest.mark.parametrize(
    ("tables", "lookups", "pattern"),
    [
        ({"t": Table(id=PrimaryKey())}, ["genre"], r"lookup table\(s\) \['genre'\] are not tables"),
        ({"g": Table(name=Categorical())}, ["g"], r"lookup table 'g' needs a primary key"),
        (
            {"p": Table(id=PrimaryKey()), "g": Table(id=PrimaryKey(), p=ForeignKey("p"))},
            ["g"],
            r"lookup table 'g' has foreign keys to tables that are synthesised \(\{'p': 'p'\}\).*p: integer",
        ),
    ],
)
def test_bad_lookups_are_refused(tables: dict, lookups: list, pattern: str):
    with pytest.raises(SchemaError, match=pattern):
        Schema(tables=tables, lookups=lookups)


def test_empty_schema_and_non_table_are_refused():
    with pytest.raises(SchemaError, match="at least one table"):
        Schema()
    with pytest.raises(SchemaError, match="table 'a' must be a Table, got dict"):
        Schema(a={"id": "primary_key"})  # type: ignore[arg-type]


# ---- YAML ----------------------------------------------------------------------------------
def test_yaml_round_trip_of_every_kind(tmp_path: Path):
    schema = every_kind_schema()
    assert Schema.from_yaml(schema.to_yaml()) == schema
    path = tmp_path / "schema.yaml"
    schema.to_yaml(path)
    assert Schema.from_yaml(path) == schema
    assert Schema.from_yaml(str(path)) == schema
    back = Schema.from_yaml(path)
    assert list(back.tables["child"].columns) == list(schema.tables["child"].columns)  # order kept


def test_yaml_declares_dates_written_day_first():
    """A column of dates whose days are all 12 or less (03/05/2021) cannot say its order itself:
    the schema YAML, where a user declares kinds, says it, and keeps saying it when written back."""
    text = (
        "tables:\n  t:\n    columns:\n      id: primary_key\n      d: {date: {day_first: true}}\n      at: datetime\n"
    )
    schema = Schema.from_yaml(text)
    assert schema.tables["t"].columns["d"] == Date(day_first=True)
    assert schema.tables["t"].columns["at"] == Datetime() != Datetime(day_first=True)
    assert Schema.from_yaml(schema.to_yaml()) == schema
    assert yaml.safe_load(schema.to_yaml())["tables"]["t"]["columns"]["d"] == {"date": {"day_first": True}}
    with pytest.raises(ValueError, match="day_first"):
        Schema.from_yaml(text.replace("day_first: true", "dayfirst: true"))
    with pytest.raises(ValueError, match="true or false"):
        Date(day_first="yes")  # type: ignore[arg-type]


def test_yaml_round_trip_keeps_lookups():
    schema = chinook_schema_in_code()
    back = Schema.from_yaml(schema.to_yaml())
    assert back == schema
    assert set(back.lookups) == {"genre", "media_type"}


def test_yaml_keeps_unicode_names_readable(tmp_path: Path):
    """A schema YAML is edited by hand: 注文 and Kunde ä as written, not as \\u escapes."""
    schema = Schema(**{"Kunde ä": Table(id=PrimaryKey(), größe=Numeric()), "注文": Table(id=PrimaryKey())})
    schema.to_yaml(tmp_path / "schema.yaml")
    text = (tmp_path / "schema.yaml").read_bytes().decode("utf-8")
    assert "注文:" in text and "Kunde ä:" in text and "größe: numeric" in text and "\\u" not in text
    assert Schema.from_yaml(tmp_path / "schema.yaml") == schema


def test_yaml_spells_foreign_keys_as_mappings():
    spec = yaml.safe_load(chinook_schema_in_code().to_yaml())
    assert spec["tables"]["album"]["columns"] == {
        "id": "primary_key",
        "artist": {"foreign_key": "artist"},
        "title": "text",
    }
    assert spec["lookups"] == ["genre", "media_type"]


def test_shipped_chinook_yaml_reads_as_expected():
    schema = Schema.from_yaml(CHINOOK_YAML)
    assert schema == chinook_schema_in_code()
    assert schema.roots == ["artist"]
    assert schema.tables["track"].foreign_keys == {"album": "album", "mediatype": "media_type", "genre": "genre"}


def test_yaml_text_with_a_long_line_is_read_as_text():
    name = "c" * 300  # a would-be file name longer than the OS allows (a column: table names are file names)
    schema = Schema.from_yaml(f"tables:\n  t:\n    columns: {{id: primary_key, {name}: numeric}}\n")
    assert list(schema.tables["t"].columns) == ["id", name]


def test_yaml_keys_are_names_as_written():
    # YAML 1.1 reads `on`, `yes`, `off` as booleans and `2020` as a number: a column 'True' the data lacks
    schema = Schema.from_yaml(
        "tables:\n  2020:\n    columns: {id: primary_key, on: boolean, no: integer, null: numeric}\n"
    )
    assert list(schema.tables) == ["2020"]
    assert list(schema.tables["2020"].columns) == ["id", "on", "no", "null"]
    assert Schema.from_yaml(schema.to_yaml()) == schema


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("sales/2024", r"table name 'sales/2024' holds '/'.*rename the table \(e\.g\. to 'sales_2024'\)"),
        ("a\\b", "backslash"),
        ("..", r"table name '\.\.' is a folder's own name"),
        ("é" * 101, "202 bytes long in UTF-8.*at most 200 bytes"),
    ],
)
def test_a_table_name_that_cannot_be_a_file_name_is_refused(name: str, pattern: str):
    # each crashed in to_dir (pandas: "Cannot save file into a non-existent directory", "File name too long")
    with pytest.raises(SchemaError, match=pattern):
        Schema(tables={name: Table(id=PrimaryKey())})


def test_table_names_users_have_are_kept():
    names = ["My Customers.v2-é", "order", "select", "1st table", "日本", 'x<b>&"', "t" * 200]
    schema = Schema(tables={n: Table(id=PrimaryKey()) for n in names})
    assert list(Schema.from_yaml(schema.to_yaml()).tables) == names


def test_missing_yaml_file_says_so():
    with pytest.raises(SchemaError, match=r"no schema file 'conf/base/nope\.yml'"):
        Schema.from_yaml("conf/base/nope.yml")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("tables: [unclosed", "could not be parsed"),
        ("artist: {columns: {id: primary_key}}", "needs a 'tables' key"),
        ("tables:\n  artist: {id: primary_key}\n", "table 'artist' needs a 'columns' mapping"),
        ("tables:\n  artist:\n    columns: {id: primary_key, name: words}\n", r"table 'artist': column 'name'"),
        ("tables:\n  album:\n    columns: {id: primary_key, a: {foreign_key: x, y: 1}}\n", "foreign_key"),
    ],
)
def test_bad_yaml_is_a_schema_error(text: str, pattern: str):
    with pytest.raises(SchemaError, match=pattern):
        Schema.from_yaml(text)


def test_nesting_keys_choose_the_first_key_whose_root_is_large_enough():
    fks = {
        "order": {"customer": "customer", "product": "product"},
        "customer": {"rep": "employee", "country": "country"},
        "employee": {"manager": "employee"},
    }
    rows = {"order": 900, "customer": 300, "product": 80, "employee": 8, "country": 30}
    chosen = nesting_keys(fks, rows, lookups={"country"})
    assert chosen == {"order": "customer", "customer": None, "employee": None}  # 300 customers under 8 employees: no
    # with fewer customers nesting them is kept (a quarter of theirs at least); then orders under 8 employees' trees
    # are too few again, and the next key nests
    assert nesting_keys(fks, {**rows, "customer": 20}, lookups={"country"})["customer"] == "rep"
    assert nesting_keys(fks, {**rows, "customer": 20}, lookups={"country"})["order"] == "product"
    assert nesting_keys(fks, {**rows, "product": 5000}, lookups={"country"})["order"] == "customer"  # first, not most


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        # a frame built from an array is named 0, 1, 2: the schema would name its columns '0', '1', '2'
        (pd.DataFrame([[1, 2.5], [2, 3.5]]), "column name(s) [0, 1] are not strings (int)"),
        (pd.DataFrame([[1, 2.5, 3.5]], columns=["id", "x", "x"]), "column name(s) ['x'] appear more than once"),
        ([{"id": 1}], "must be a DataFrame, got list"),
    ],
)
def test_infer_names_a_frame_it_cannot_read_before_reading_it(frame: object, problem: str):
    """Schema.infer on a frame of numbered or repeated column names stopped with pandas' KeyError or
    AttributeError ('DataFrame' object has no attribute 'dtype') from deep inside; RelationalData
    named them, so infer names them the same way."""
    with pytest.raises(DataError, match=re.escape(problem)):
        Schema.infer({"t": frame})


def test_infer_reads_a_second_parent_key_as_a_reference():
    frames = {
        "customer": pd.DataFrame({"id": range(1, 101)}),
        "product": pd.DataFrame({"id": range(1, 11)}),
        "order": pd.DataFrame(
            {
                "id": range(1, 201),
                "customer": [i % 100 + 1 for i in range(200)],
                "product": [i % 10 + 1 for i in range(200)],
            }
        ),
    }
    schema = Schema.infer(
        frames,
        primary_keys={t: "id" for t in frames},
        foreign_keys={"order": {"product": "product", "customer": "customer"}},
    )
    assert schema.parent("order") == Edge("order", "customer", "customer")  # 10 products: too few for 200 orders
    assert schema.tables["order"].columns["product"] == ForeignKey("product", nest=False)
    assert "a reference, not nested" in schema.inference["order"]["product"]


def test_infer_nests_under_the_first_key_in_column_order_not_the_order_keys_were_given():
    """As `from_sql` does: the keys' order in `foreign_keys` is how a user happened to type them."""
    frames = {
        "invoice": pd.DataFrame({"id": range(1, 101)}),
        "track": pd.DataFrame({"id": range(1, 101)}),
        "line": pd.DataFrame({"id": range(1, 201), "invoice": [i % 100 + 1 for i in range(200)], "track": 1}),
    }
    for fks in ({"invoice": "invoice", "track": "track"}, {"track": "track", "invoice": "invoice"}):
        schema = Schema.infer(frames, primary_keys={t: "id" for t in frames}, foreign_keys={"line": fks})
        assert schema.parent("line") == Edge("line", "invoice", "invoice")
        assert schema.tables["line"].columns["track"] == ForeignKey("track", nest=False)


def test_nesting_keys_say_why_a_key_does_not_nest():
    fks = {"customer": {"rep": "employee"}, "order": {"customer": "customer", "product": "product"}}
    why: dict = {}
    nesting_keys(fks, {"customer": 59, "employee": 8, "order": 400, "product": 300}, set(), why)
    assert why[("customer", "rep")] == (
        "under employee, customer's 59 rows would be 8 examples to learn from (employee's rows: fewer than 50, "
        "and than 1/4 of customer's)"
    )
    assert why[("order", "product")] == "order nests under its earlier key customer"


def test_a_lookup_may_reference_itself_and_other_lookups_and_is_written_after_them(tmp_path):
    """Categories with their parent category: copied as they are, their keys stay valid."""
    from relsynth.relational import RelationalData

    schema = Schema(
        category=Table(id=PrimaryKey(), parent=ForeignKey("category"), kind=ForeignKey("kind")),
        kind=Table(id=PrimaryKey(), name=Categorical()),
        product=Table(id=PrimaryKey(), category=ForeignKey("category")),
        lookups=["category", "kind"],
    )
    assert schema.roots == ["product"] and schema.referenced_first()[:2] == ["kind", "category"]
    data = RelationalData(
        {
            "category": pd.DataFrame({"id": [1, 2, 3], "parent": [None, 1, 1], "kind": [1, 1, 2]}),
            "kind": pd.DataFrame({"id": [1, 2], "name": ["a", "b"]}),
            "product": pd.DataFrame({"id": range(10), "category": [1, 2, 3, 2, 3, 2, 3, 2, 3, 1]}),
        },
        schema,
    )
    url = f"sqlite:///{tmp_path / 'out.sqlite'}"
    data.to_sql(url)
    assert RelationalData.from_sql(url, overrides=schema).n_rows() == data.n_rows()
    # two lookups naming each other are copied as they are: the key closing the cycle is deferred
    # (written checked at commit), as a reference closing one is
    cycle = Schema(
        category=Table(id=PrimaryKey(), kind=ForeignKey("kind")),
        kind=Table(id=PrimaryKey(), category=ForeignKey("category")),
        lookups=["category", "kind"],
    )
    assert cycle.deferred_keys() == {"kind": {"category": "category"}} and cycle.referenced_first() == [
        "kind",
        "category",
    ]
    with pytest.raises(SchemaError, match="cycle: .*kind.category"):  # a synthesised one is still refused
        Schema(
            category=Table(id=PrimaryKey(), kind=ForeignKey("kind")),
            kind=Table(id=PrimaryKey(), category=ForeignKey("category")),
        )


def test_the_nesting_choice_is_logged_once_not_at_every_schema(caplog) -> None:
    """A Kedro run on a hospital database logged 'table admission nests under patient ...' 22 times:
    every split, subset and load builds the schema again. The same choice is logged once a process."""
    import logging

    spec = {
        "tables": {
            "ward_a": {"columns": {"id": "primary_key"}},
            "nurse_b": {"columns": {"id": "primary_key"}},
            "shift_c": {
                "columns": {"id": "primary_key", "w": {"foreign_key": "ward_a"}, "n": {"foreign_key": "nurse_b"}}
            },
        }
    }
    with caplog.at_level(logging.INFO, logger="relsynth.relational.schema"):
        for _ in range(3):
            Schema.from_dict(spec)
    assert sum("'shift_c' nests under ward_a" in r.getMessage() for r in caplog.records) == 1


def test_a_misspelt_table_name_is_pointed_at_whichever_side_holds_the_typo():
    """A user's typo in a table's own name showed only 'references table 'student', which is not in the
    schema', a name they had written; the error lists the schema's tables and the close one."""
    with pytest.raises(
        SchemaError,
        match=r"'student', which is not in the schema \(its tables: studnet, grade\); "
        r"close to it: 'studnet'",
    ):
        Schema(studnet=Table(id=PrimaryKey()), grade=Table(id=PrimaryKey(), student_id=ForeignKey("student")))
    with pytest.raises(
        SchemaError,
        match=r"\['subjects'\] are not tables of the schema \(its tables: subject\); "
        r"close to it: 'subject'",
    ):
        Schema(subject=Table(id=PrimaryKey()), lookups=["subjects"])


def test_a_foreign_key_written_without_its_table_in_yaml_says_how_to_write_it():
    """`teacher_id: foreign_key` in a schema YAML was answered with Python (ForeignKey(parent=...))."""
    text = "tables: {t: {columns: {id: primary_key}}, c: {columns: {id: primary_key, t_id: foreign_key}}}"
    with pytest.raises(
        SchemaError,
        match=r"column 't_id': a foreign key needs the table it references: "
        r"\{foreign_key: <table>\} in a schema YAML",
    ):
        Schema.from_yaml(text)


def test_nesting_counts_the_fewest_rows_between_the_key_and_its_root():
    """Sakila: customers nest under their store, a store under its address. With 226 addresses the
    root looked large enough, but the 220 customers fell in the 2 address entities holding a store:
    a split then put every customer and payment in the training part and none in the test part."""
    fks = {"store": {"address_id": "address"}, "customer": {"store_id": "store", "address_id": "address"}}
    rows = {"address": 226, "store": 2, "customer": 220}
    why: dict = {}
    assert nesting_keys(fks, rows, set(), why) == {"store": "address_id", "customer": "address_id"}
    assert why[("customer", "store_id")] == (
        "under store, customer's 220 rows would be 2 examples to learn from (store's rows: fewer than 50, "
        "and than 1/4 of customer's)"
    )
    # a small table between the key and a large root is named as such
    fks = {"store": {"address_id": "address"}, "shelf": {"store_id": "store"}, "item": {"shelf_id": "shelf"}}
    why = {}
    nesting_keys(fks, {"address": 226, "store": 2, "shelf": 8, "item": 400}, set(), why)
    assert "the rows of store, above shelf" in why[("item", "shelf_id")]


def test_of_two_tables_naming_each_other_the_reason_says_where_the_larger_nests():
    # Sakila: store.manager_staff_id was passed over "staff names store too and has more rows: it
    # nests under store", while staff nested under its address
    fks = {
        "address": {},
        "store": {"manager_staff_id": "staff", "address_id": "address"},
        "staff": {"address_id": "address", "store_id": "store"},
    }
    why: dict = {}
    chosen = nesting_keys(fks, {"address": 206, "store": 2, "staff": 4}, lookups=set(), why=why)
    assert chosen == {"address": None, "store": "address_id", "staff": "address_id"}
    assert why["store", "manager_staff_id"].endswith("only staff may nest under the other, and it nests under address")
    fks["staff"] = {"store_id": "store", "address_id": "address"}  # the department's employees: under it
    why = {}
    assert nesting_keys(fks, {"address": 206, "store": 80, "staff": 300}, lookups=set(), why=why)["staff"] == "store_id"
    assert why["store", "manager_staff_id"].endswith("and it nests under store")


def _readings(devices: int, per_device: int, repeat: bool = False) -> dict[str, pd.DataFrame]:
    """Devices with a reading every 5 minutes each (`repeat`: the first two of each at one time)."""
    n = devices * per_device
    minutes = [5 * (i % per_device) for i in range(n)]
    if repeat:
        minutes = [0 if m == 5 else m for m in minutes]
    return {
        "device": pd.DataFrame({"id": range(1, devices + 1), "model": ["a", "b"] * (devices // 2)}),
        "reading": pd.DataFrame(
            {
                "id": range(1, n + 1),
                "device": [1 + i // per_device for i in range(n)],
                "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(minutes, unit="min"),
                "kwh": [float(i % per_device) for i in range(n)],
            }
        ),
    }


def test_a_time_series_nests_under_its_few_parent_rows():
    """An IoT database of 20 devices with 300-600 readings each, every 5 minutes: the readings were a
    root table with a reference to their device (20 examples, fewer than 50), so each reading was
    generated on its own: 15 % of a device's generated readings at the time of another of its
    readings, 21 % five minutes after the previous one (99.5 % in the data), the cumulative meter
    going down in half of them. Rows that are a long time series under their key (a date no parent
    row repeats, 50 rows a parent row or more) nest under it whatever the root's size."""
    frames = _readings(20, 60)
    schema = Schema.infer(
        frames, primary_keys={"device": "id", "reading": "id"}, foreign_keys={"reading": {"device": "device"}}
    )
    assert schema.parent("reading") == Edge("reading", "device", "device")
    assert (
        "a time series under device (about 60 a device row, no device row repeating a ts)"
        in (schema.inference["reading"]["device"])
    )
    # a short series, or one repeating a time under a device, is no time series: a reference as before
    for short in (_readings(20, 40), _readings(20, 60, repeat=True)):
        schema = Schema.infer(
            short, primary_keys={"device": "id", "reading": "id"}, foreign_keys={"reading": {"device": "device"}}
        )
        assert schema.parent("reading") is None
        assert "examples to learn from" in schema.inference["reading"]["device"]
    # the kinds given in overrides tell the dates: a time series by a date column given as text is none
    schema = Schema.infer(
        frames,
        primary_keys={"device": "id", "reading": "id"},
        foreign_keys={"reading": {"device": "device"}},
        overrides={"reading": {"ts": "categorical"}},
    )
    assert schema.parent("reading") is None


def test_nesting_keys_ask_whether_a_table_is_a_time_series_only_where_its_root_is_too_small():
    fks = {"reading": {"device": "device"}, "order": {"customer": "customer"}}
    asked: list = []

    def series(table: str, key: str) -> str | None:
        asked.append((table, key))
        return "ts"

    rows = {"device": 20, "reading": 1_000, "customer": 300, "order": 900}
    why: dict = {}
    assert nesting_keys(fks, rows, set(), why, series) == {"reading": "device", "order": "customer"}
    assert asked == [("reading", "device")]
    # fewer than 50 rows a device on average: no series, not asked
    assert nesting_keys(fks, {**rows, "reading": 999}, set(), {}, series)["reading"] is None
    assert asked == [("reading", "device")]


def test_a_time_series_that_other_tables_nest_under_stays_a_root_where_its_entities_would_be_too_long():
    """Parcel tracking: 400 shipments under 4 carriers, each at its own minute, and 2,349 tracking
    events under the shipments. The shipments nested under their carriers as a time series (4
    examples), which left the events a reference (4 root entities of ~688 rows): each event drawn on
    its own among the generated shipments, its status order lost (17 % of generated shipments began
    with `label_created`, 100 % in the data). As a root, the shipments are 400 examples and their
    events nest under them; a series nothing nests under, or one whose entities stay short, nests as before."""
    fks = {"shipments": {"carrier_id": "carriers"}, "events": {"shipment_id": "shipments"}}
    rows = {"carriers": 4, "shipments": 400, "events": 2_349}
    why: dict = {}
    nests = nesting_keys(fks, rows, set(), why, lambda table, key: "created_at")
    assert nests == {"shipments": None, "events": "shipment_id"}
    assert (
        "nor a time series under carriers by its created_at: events would nest under shipments"
        in (why["shipments", "carrier_id"])
    )
    # no events: the shipments are a series of readings under their carriers, as before
    assert nesting_keys({"shipments": fks["shipments"]}, rows, set(), {}, lambda t, k: "created_at") == {
        "shipments": "carrier_id"
    }
    # a few alerts under the readings keep each device's entity short: the series nests, the alerts under it
    fks = {"reading": {"device": "device"}, "alert": {"reading": "reading"}}
    rows = {"device": 20, "reading": 1_000, "alert": 100}
    assert nesting_keys(fks, rows, set(), {}, lambda t, k: "ts") == {"reading": "device", "alert": "reading"}


def test_a_time_series_nests_under_a_few_parent_rows_only_where_no_key_is_large_enough():
    """Sales naming their store (10 rows, listed first) and their customer (1,000), each sale at its
    own second: nested under the customer before time series were read, they then nested under the
    store, a series of 600 sales a store (10 examples), the 1,000 customers a reference. A key whose
    root is large enough comes first; a time series only where no key's is."""
    fks = {"sales": {"store_id": "store", "customer_id": "customer"}}
    rows = {"store": 10, "customer": 1_000, "sales": 6_000}
    why: dict = {}
    assert nesting_keys(fks, rows, set(), why, lambda table, key: "sold_at") == {"sales": "customer_id"}
    assert "examples to learn from" in why["sales", "store_id"]
    # no large root: the series nests as before
    fks = {"sales": {"store_id": "store", "region_id": "region"}}
    rows = {"store": 10, "region": 3, "sales": 6_000}
    assert nesting_keys(fks, rows, set(), why, lambda table, key: "sold_at") == {"sales": "store_id"}


def test_infer_nests_a_key_where_overrides_declare_it_so():
    """An LMS's enrolments under their course, 30 terms above: too few roots, so the key was read
    as a reference, and `overrides={"enrollment": {"course_id": ForeignKey("course")}}` (nest=True)
    was dropped without a word: the keys given in `foreign_keys` took no override. A foreign key
    the overrides declare now nests, or not, as declared; the table's other keys are references."""
    frames = {
        "term": pd.DataFrame({"id": range(1, 31)}),
        "course": pd.DataFrame({"id": range(1, 101), "term": [i % 30 + 1 for i in range(100)]}),
        "room": pd.DataFrame({"id": range(1, 201)}),
        "enrollment": pd.DataFrame(
            {
                "id": range(1, 801),
                "course": [i % 100 + 1 for i in range(800)],
                "room": [i % 200 + 1 for i in range(800)],
            }
        ),
    }
    fks = {"course": {"term": "term"}, "enrollment": {"course": "course", "room": "room"}}
    keys = {t: "id" for t in frames}
    inferred = Schema.infer(frames, primary_keys=keys, foreign_keys=fks)
    assert inferred.parent("enrollment") == Edge("enrollment", "room", "room")  # 30 terms: too few above course
    declared = Schema.infer(
        frames, primary_keys=keys, foreign_keys=fks, overrides={"enrollment": {"course": ForeignKey("course")}}
    )
    assert declared.parent("enrollment") == Edge("enrollment", "course", "course")
    assert declared.tables["enrollment"].columns["room"] == ForeignKey("room", nest=False)
    assert declared.inference["enrollment"]["course"].startswith("given in overrides")
    apart = Schema.infer(
        frames, primary_keys=keys, foreign_keys=fks, overrides={"enrollment": {"room": ForeignKey("room", nest=False)}}
    )
    assert apart.tables["enrollment"].columns["room"].nest is False
    # no key's root large enough: under the 100 courses all the same, 30 term entities of 31 rows
    assert apart.parent("enrollment") == Edge("enrollment", "course", "course")


def _inventory(warehouses: int, lines: int, moves: int) -> dict[str, pd.DataFrame]:
    """Warehouses with `lines` stock lines each and `moves` movements a stock line, a running balance."""
    n_lines = warehouses * lines
    n_moves = n_lines * moves
    return {
        "warehouse": pd.DataFrame({"id": range(1, warehouses + 1), "city": ["Lyon", "Graz"] * (warehouses // 2)}),
        "stock_line": pd.DataFrame(
            {"id": range(1, n_lines + 1), "warehouse": [1 + i // lines for i in range(n_lines)]}
        ),
        "movement": pd.DataFrame(
            {
                "id": range(1, n_moves + 1),
                "stock_line": [1 + i // moves for i in range(n_moves)],
                "quantity": [10] * n_moves,
                "balance": [10 * (1 + i % moves) for i in range(n_moves)],
            }
        ),
    }


def test_a_table_nests_under_a_parent_of_enough_rows_below_a_small_root():
    """An inventory: 40 warehouses, 3 or 4 stock lines each (nested: a quarter of their rows), 8
    movements a stock line. Under their stock line the movements fell in 40 root entities, fewer
    than 50, so they were a root table with a reference: each generated on its own, the running
    balance kept in 2.6 % of generated movements and a stock line's first movement an IN in 0.4 of
    them (data 1.0). Learnt under the 136 stock lines, in entities of about 33 rows, they nest."""
    frames = _inventory(40, 4, 8)
    keys = {"primary_keys": {t: "id" for t in frames}}
    fks = {"stock_line": {"warehouse": "warehouse"}, "movement": {"stock_line": "stock_line"}}
    schema = Schema.infer(frames, **keys, foreign_keys=fks)
    assert schema.parent("stock_line") == Edge("stock_line", "warehouse", "warehouse")
    assert schema.parent("movement") == Edge("movement", "stock_line", "stock_line")
    assert (
        "movement's 1280 rows fall in 40 root entities, fewer than 50, but they are learnt under stock_line's 160 "
        "rows, and each entity would hold about 37 rows"
    ) in schema.inference["movement"]["stock_line"]
    # a root entity of more than 200 rows on average: a reference, as before, and said so
    schema = Schema.infer(_inventory(40, 4, 60), **keys, foreign_keys=fks)
    assert schema.parent("movement") is None
    assert (
        "nor a part of stock_line's entities: each would hold about 245 rows (over 200)"
        in (schema.inference["movement"]["stock_line"])
    )


def test_a_parent_of_few_rows_keeps_its_rows_few_examples_below_a_small_root():
    # Chinook: customers under 8 sales representatives are 8 examples; their invoices stay under
    # them as a root, not drawn into the representatives' entities
    fks = {"customer": {"rep": "employee"}, "invoice": {"customer": "customer"}}
    rows = {"employee": 8, "customer": 59, "invoice": 412}
    assert nesting_keys(fks, rows, set()) == {"customer": None, "invoice": "customer"}
    # 30 customers under 8 (a quarter of them at least): nested; their 412 invoices then under 30 rows: not
    assert nesting_keys(fks, {**rows, "customer": 30}, set()) == {"customer": "rep", "invoice": None}


def test_a_table_nests_under_a_small_root_only_where_no_key_is_large_enough_and_its_subtree_fits():
    fks = {"stock_line": {"warehouse": "warehouse"}, "movement": {"stock_line": "stock_line", "clerk": "clerk"}}
    rows = {"warehouse": 40, "stock_line": 136, "movement": 1_131, "clerk": 300}
    assert nesting_keys(fks, rows, set())["movement"] == "clerk"  # a key whose root is large enough comes first
    fks["movement"] = {"stock_line": "stock_line"}
    assert nesting_keys(fks, rows, set())["movement"] == "stock_line"
    # the tables that would nest under it count: with 9,000 movement lines under them a warehouse's
    # entity would hold 258 rows, so movements stay a root and their lines nest under them
    fks["movement_line"] = {"movement": "movement"}
    why: dict = {}
    chosen = nesting_keys(fks, {**rows, "movement_line": 9_000}, set(), why)
    assert chosen == {"stock_line": "warehouse", "movement": None, "movement_line": "movement"}
    assert why["movement", "stock_line"].endswith("each would hold about 258 rows (over 200)")


def _journal(n_entries: int = 200, seed: int = 0) -> dict[str, pd.DataFrame]:
    """customers -> journal entries (a customer for a third of them, none for an internal entry) ->
    their lines."""
    rng = np.random.default_rng(seed)
    customer = rng.integers(1, 101, n_entries).astype(float)
    customer[rng.random(n_entries) < 0.35] = np.nan
    entries = pd.DataFrame({"id": np.arange(1, n_entries + 1), "customer_id": pd.array(customer, dtype="Int64")})
    lines = pd.DataFrame({"id": np.arange(1, 2 * n_entries + 1), "entry_id": np.repeat(entries["id"], 2)})
    customers = pd.DataFrame({"id": np.arange(1, 101), "country": rng.choice(["US", "DE"], 100)})
    return {"customers": customers, "entries": entries, "lines": lines}


def test_a_key_null_in_some_rows_is_a_reference_not_the_key_its_table_nests_under():
    """A journal entry names its customer, or none (an internal entry): nested under customers, the
    entries with a null key were orphans, and RelationalData refused the data Schema.infer had just
    read ('725 null value(s)... every row must belong to a parent row'). A key holding nulls never
    nests: the entries are a root, their customer a reference keeping its nulls."""
    frames = _journal()
    schema = Schema.infer(
        frames,
        primary_keys={"customers": "id", "entries": "id", "lines": "id"},
        foreign_keys={"entries": {"customer_id": "customers"}, "lines": {"entry_id": "entries"}},
    )
    assert schema.parent("entries") is None and schema.parent("lines") == Edge("lines", "entry_id", "entries")
    assert schema.references("entries") == [Edge("entries", "customer_id", "customers")]
    assert "null in some rows" in schema.inference["entries"]["customer_id"]
    data = RelationalData(frames, schema)
    assert data["entries"]["customer_id"].isna().sum() == frames["entries"]["customer_id"].isna().sum()
    # a key of the same table never null nests as before
    frames["entries"]["customer_id"] = frames["entries"]["customer_id"].fillna(1)
    nested = Schema.infer(
        frames,
        primary_keys={"customers": "id", "entries": "id", "lines": "id"},
        foreign_keys={"entries": {"customer_id": "customers"}, "lines": {"entry_id": "entries"}},
    )
    assert nested.parent("entries") == Edge("entries", "customer_id", "customers")


def test_edges_into_a_table_are_its_childrens_parent_keys_then_the_references_naming_it():
    """The keys naming a table's rows, in one place (four rules built them inline): a nested table's
    parent key first, then every reference to it, its own included, in table and column order; a
    lookup's key names no synthesised row, and keys to other tables are left out."""
    schema = Schema(
        genre=Table(id=PrimaryKey(), name=Categorical()),
        customer=Table(id=PrimaryKey(), referrer=ForeignKey("customer", nest=False)),
        invoice=Table(id=PrimaryKey(), customer=ForeignKey("customer"), billed=ForeignKey("customer", nest=False)),
        ticket=Table(id=PrimaryKey(), invoice=ForeignKey("invoice"), about=ForeignKey("customer", nest=False)),
        track=Table(id=PrimaryKey(), genre=ForeignKey("genre")),
        lookups=["genre"],
    )
    assert schema.edges_into("customer") == [
        Edge("invoice", "customer", "customer"),
        Edge("customer", "referrer", "customer"),
        Edge("invoice", "billed", "customer"),
        Edge("ticket", "about", "customer"),
    ]
    assert schema.edges_into("invoice") == [Edge("ticket", "invoice", "invoice")]
    assert schema.edges_into("ticket") == [] and schema.edges_into("genre") == []

"""Composite keys declared in a schema (relational/composite.py): Schema.infer, YAML, RelationalData."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import DataError, ForeignKey, PrimaryKey, RelationalData, Schema, SchemaError
from relsynth.relational.data import SQL_FORMAT, composite_references


def orders_db(n_orders: int = 60) -> dict[str, pd.DataFrame]:
    """orders, their lines keyed (order_id, line_no), shipments naming a line by (order_id, line_no)
    and never shipping more than it ordered, and a link table keyed (sku, tag)."""
    rng = np.random.default_rng(0)
    lines = [(o, n, int(rng.integers(1, 9))) for o in range(1, n_orders + 1) for n in range(1, 2 + o % 3)]
    order_line = pd.DataFrame(lines, columns=["order_id", "line_no", "qty"])
    shipment = order_line.assign(shipped_qty=lambda d: 1 + (d["qty"] - 1) // 2)[["order_id", "line_no", "shipped_qty"]]
    return {
        "orders": pd.DataFrame({"id": range(1, n_orders + 1), "region": rng.choice(["n", "s"], n_orders)}),
        "order_line": order_line,
        "shipment": shipment.assign(id=range(1, len(shipment) + 1))[["id", "order_id", "line_no", "shipped_qty"]],
        "product_tag": pd.DataFrame({"sku": ["a", "a", "b", "c"], "tag": ["eco", "new", "eco", "eco"]}),
    }


KEYS = {
    "primary_keys": {
        "orders": "id",
        "order_line": ["order_id", "line_no"],
        "shipment": "id",
        "product_tag": ["sku", "tag"],
    },
    "foreign_keys": {"order_line": {"order_id": "orders"}, "shipment": {("order_id", "line_no"): "order_line"}},
}


def test_infer_takes_composite_keys_and_the_yaml_round_trips_them():
    """primary_keys={"order_line": ["order_id", "line_no"]} and foreign_keys={"shipment":
    {("order_id", "line_no"): "order_line"}} were refused ("Schema.infer takes keys of one
    column"), and a schema YAML could not declare them: the only way was a database's catalog
    (from_sql). Now the shipments nest under the line they name by a row key, as from_sql reads
    them, the YAML writes and reads the keys back, and RelationalData adds the row keys."""
    frames = orders_db()
    schema = Schema.infer(frames, **KEYS)
    line, ship = schema.tables["order_line"], schema.tables["shipment"]
    assert line.composite_key == ("order_id", "line_no") and line.columns["(order_id, line_no)"] == PrimaryKey()
    assert ship.columns["(order_id, line_no)"] == ForeignKey(parent="order_line")
    assert schema.parent("shipment").fk == "(order_id, line_no)" and schema.parent("order_line").parent == "orders"
    assert (
        schema.tables["product_tag"].composite_key == ("sku", "tag")
        and schema.tables["product_tag"].primary_key is None
    )
    text = schema.to_yaml()
    assert "primary_key:\n    - order_id\n    - line_no" in text and "table: order_line" in text
    assert Schema.from_yaml(text) == schema
    data = RelationalData(frames, Schema.from_yaml(text))
    assert data["order_line"]["(order_id, line_no)"].tolist() == list(range(1, len(frames["order_line"]) + 1))
    assert data["shipment"]["(order_id, line_no)"].tolist() == data["order_line"]["(order_id, line_no)"].tolist()
    assert composite_references(data.formats) == [
        ("shipment", ["order_id", "line_no"], "order_line", ["order_id", "line_no"])
    ]
    assert data.formats["product_tag"]["tag"][SQL_FORMAT] == {"nullable": False, "primary_key": True}


def test_a_composite_key_the_model_cannot_take_is_named_with_its_table_and_columns():
    frames = orders_db(10)
    to_plain = {"primary_keys": {"order_line": ["order_id", "line_no"], "orders": "id"},
                "foreign_keys": {"shipment": {("order_id", "line_no"): "orders"}}}  # fmt: skip
    with pytest.raises(
        SchemaError, match=r"shipment\.\(order_id, line_no\) -> orders: orders has no composite primary key"
    ):
        Schema.infer(frames, **to_plain)
    partial = {"shipment": {"columns": {"id": "primary_key", "order_id": "integer", "line_no": "integer"},
                            "foreign_keys": [{"columns": ["order_id", "line_no"], "table": "order_line",
                                              "ref_columns": ["order_id", "qty"]}]},
               "order_line": {"columns": {"order_id": "integer", "line_no": "integer", "qty": "integer"},
                              "primary_key": ["order_id", "line_no"]}}  # fmt: skip
    with pytest.raises(SchemaError, match=r"names order_line's columns \['order_id', 'qty'\], not its whole composite"):
        Schema.from_dict({"tables": partial})
    one_column = {
        "primary_keys": {"order_line": ["order_id", "line_no"]},
        "foreign_keys": {"shipment": {"order_id": "order_line"}},
    }
    with pytest.raises(
        SchemaError,
        match=r"shipment\.order_id references 'order_line', which has no primary key column: its key is composite",
    ):
        Schema.infer(frames, **one_column)


def test_a_repeated_composite_key_and_a_pair_naming_no_row_are_named_with_their_values():
    frames = orders_db(10)
    frames["shipment"].loc[0, "line_no"] = 9
    with pytest.raises(
        DataError,
        match=r"'shipment': 1 row\(s\) whose \(order_id, line_no\) names no row of 'order_line', e.g. \(1, 9\)",
    ):
        RelationalData(frames, Schema.infer(orders_db(10), **KEYS))
    with pytest.warns(UserWarning, match="orphans dropped"):
        assert (
            len(RelationalData(frames, Schema.infer(orders_db(10), **KEYS), orphans="drop")["shipment"])
            == len(frames["shipment"]) - 1
        )
    frames = orders_db(10)
    frames["product_tag"].loc[1, "tag"] = "eco"
    with pytest.raises(
        DataError,
        match=r"'product_tag', composite primary key \['sku', 'tag'\]: 2 rows repeat a key, e.g. \('a', 'eco'\)",
    ):
        RelationalData(frames, Schema.infer(frames, **KEYS))


def test_a_hand_written_yaml_nests_by_the_row_key_it_names_or_keeps_the_pairing():
    """A YAML declaring the keys without the row key columns pairs the shipments with generated
    lines (a composite reference); naming '(order_id, line_no)' as the shipments' foreign key
    nests them under their line, and a row key the referenced table lacks is named with the fix."""
    frames = orders_db(10)
    tables = {
        "orders": {"columns": {"id": "primary_key", "region": "categorical"}},
        "order_line": {
            "columns": {"order_id": {"foreign_key": "orders"}, "line_no": "integer", "qty": "integer"},
            "primary_key": ["order_id", "line_no"],
        },
        "shipment": {
            "columns": {"id": "primary_key", "order_id": "integer", "line_no": "integer", "shipped_qty": "integer"},
            "foreign_keys": [{"columns": ["order_id", "line_no"], "table": "order_line"}],
        },
        "product_tag": {"columns": {"sku": "categorical", "tag": "categorical"}, "primary_key": ["sku", "tag"]},
    }
    paired = RelationalData(frames, Schema.from_dict({"tables": tables}))
    assert paired.schema.parent("shipment") is None and "(order_id, line_no)" not in paired["shipment"]
    assert composite_references(paired.formats) == [
        ("shipment", ["order_id", "line_no"], "order_line", ["order_id", "line_no"])
    ]
    tables["shipment"]["columns"] = {
        "(order_id, line_no)": {"foreign_key": "order_line"},
        **tables["shipment"]["columns"],
    }
    with pytest.raises(SchemaError, match=r"add '\(order_id, line_no\)': primary_key to its columns"):
        Schema.from_dict({"tables": tables})
    tables["order_line"]["columns"] = {"(order_id, line_no)": "primary_key", **tables["order_line"]["columns"]}
    nested = RelationalData(frames, Schema.from_dict({"tables": tables}))
    assert nested.schema.parent("shipment").parent == "order_line"
    assert (nested["shipment"]["(order_id, line_no)"] == nested["order_line"]["(order_id, line_no)"]).all()


def test_a_yaml_composite_key_that_leaves_its_table_a_root_says_how_to_nest_it():
    """A YAML's `foreign_keys` without row keys left the shipments a root table of their own, in
    silence: a generation of 300 entities gave 44 clients beside 256 root allocations (types repro),
    portfolios' allocations drawn apart from them. RelationalData now warns, naming the two lines
    that nest it; Schema.infer's schema, which nests it, and a key with a null (kept paired) do not."""
    frames = orders_db(10)
    tables = {
        "orders": {"columns": {"id": "primary_key", "region": "categorical"}},
        "order_line": {
            "columns": {"order_id": {"foreign_key": "orders"}, "line_no": "integer", "qty": "integer"},
            "primary_key": ["order_id", "line_no"],
        },
        "shipment": {
            "columns": {"id": "primary_key", "order_id": "integer", "line_no": "integer", "shipped_qty": "integer"},
            "foreign_keys": [{"columns": ["order_id", "line_no"], "table": "order_line"}],
        },
    }
    frames.pop("product_tag")
    lines = (
        r"'\(order_id, line_no\)': \{foreign_key: order_line\} to its columns and '\(order_id, line_no\)': primary_key"
    )
    with pytest.warns(UserWarning, match=rf"'shipment' is a root table of its own.*add {lines}"):
        RelationalData(frames, Schema.from_dict({"tables": tables}))
    frames["shipment"].loc[0, "line_no"] = None
    infer_keys = {k: {t: v for t, v in m.items() if t != "product_tag"} for k, m in KEYS.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        RelationalData(frames, Schema.from_dict({"tables": tables}))  # a null: paired, as from_sql keeps it
        clean = {t: f for t, f in orders_db(10).items() if t != "product_tag"}
        RelationalData(clean, Schema.infer(clean, **infer_keys))


def test_to_dir_writes_the_tables_without_the_row_keys_and_from_dir_adds_them(tmp_path):
    """to_dir wrote '(order_id, line_no)' into order_line.parquet and shipment.parquet, a column
    the source's files never had; the schema's declared keys stand for it, so it is left out and
    from_dir adds it again."""
    data = RelationalData(orders_db(10), Schema.infer(orders_db(10), **KEYS))
    data.to_dir(tmp_path / "out")
    written = pd.read_parquet(tmp_path / "out" / "shipment.parquet")
    assert list(written.columns) == list(orders_db(10)["shipment"].columns)
    back = RelationalData.from_dir(tmp_path / "out")
    assert back.schema == data.schema and back.formats == data.formats
    for t in data.schema.tables:
        pd.testing.assert_frame_equal(back[t], data[t])


def test_a_pair_of_a_key_that_does_not_nest_naming_no_row_is_named_or_made_null():
    """A composite key with a null in the data keeps the pairing (no row key); its pair (1, 9),
    which order 1 does not have, was read without a word and learnt as a pair generation replaces."""
    frames = orders_db(10)
    frames["shipment"]["line_no"] = frames["shipment"]["line_no"].astype("Int64")
    frames["shipment"].loc[0, "line_no"] = pd.NA  # exempts the row, as SQL's MATCH SIMPLE
    frames["shipment"].loc[1, "line_no"] = 9
    schema = Schema.infer(frames, **KEYS)
    assert schema.parent("shipment") is None
    with pytest.raises(
        DataError,
        match=r"'shipment': 1 row\(s\) whose \(order_id, line_no\) names no row of 'order_line', e.g. \(1, 9\) at row\(s\) 1 ",
    ):
        RelationalData(frames, schema)
    with pytest.warns(UserWarning, match="orphans dropped"):
        dropped = RelationalData(frames, schema, orphans="drop")
    assert dropped["shipment"].loc[1, ["order_id", "line_no"]].isna().all() and len(dropped["shipment"]) == len(
        frames["shipment"]
    )

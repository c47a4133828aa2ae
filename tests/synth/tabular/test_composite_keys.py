"""Composite keys declared through Schema.infer (no database): generated, kept and written back."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import torch

from relsynth.relational import RelationalData, Schema
from relsynth.synth import TabularDataset, TabularModel, TabularModelSize, TabularPreproc, TabularTrainer


def parts_db(n_orders: int = 80) -> dict[str, pd.DataFrame]:
    """TPC-H's shape in small: order lines (order_id, line_no) naming a partsupp row by (partkey,
    suppkey), shipments naming their line by (order_id, line_no)."""
    rng = np.random.default_rng(0)
    partsupp = pd.DataFrame(
        sorted({(int(p), int(s)) for p in range(1, 31) for s in rng.choice(range(1, 9), 2, replace=False)}),
        columns=["partkey", "suppkey"],
    ).assign(cost=lambda d: d["partkey"] * 1.5 + d["suppkey"])
    lines = [
        (o, n, *partsupp.iloc[rng.integers(len(partsupp))][["partkey", "suppkey"]].astype(int), int(rng.integers(1, 9)))
        for o in range(1, n_orders + 1)
        for n in range(1, 2 + o % 3)
    ]
    order_line = pd.DataFrame(lines, columns=["order_id", "line_no", "partkey", "suppkey", "qty"])
    shipment = order_line[["order_id", "line_no"]].assign(shipped_qty=1 + (order_line["qty"] - 1) // 2)
    return {
        "orders": pd.DataFrame({"id": range(1, n_orders + 1), "region": rng.choice(["n", "s", "e"], n_orders)}),
        "partsupp": partsupp,
        "order_line": order_line,
        "shipment": shipment.assign(id=range(1, len(shipment) + 1)),
    }


def pairs(frame: pd.DataFrame, cols: list[str]) -> set[tuple]:
    return set(frame[cols].itertuples(index=False, name=None))


def test_composite_keys_from_infer_name_generated_rows_and_are_written_back(tmp_path: Path) -> None:
    """Before, Schema.infer refused the keys; read with none, 16 % of generated shipments named an
    (order_id, line_no) no generated line had and 35 % of those named shipped more than their line's
    qty (/tmp/composite_work/before.py). Declared, every shipment nests under its line (a row key),
    every line's (partkey, suppkey) is a generated partsupp row's, each composite key is unique and
    to_sql writes the composite PRIMARY and FOREIGN KEYs."""
    frames = parts_db()
    schema = Schema.infer(
        frames,
        primary_keys={"orders": "id", "partsupp": ["partkey", "suppkey"], "order_line": ["order_id", "line_no"]},
        foreign_keys={
            "order_line": {"order_id": "orders", ("partkey", "suppkey"): "partsupp"},
            "shipment": {("order_id", "line_no"): "order_line"},
        },
    )
    assert schema.parent("order_line").parent == "orders" and schema.parent("shipment").parent == "order_line"
    data = RelationalData(frames, Schema.from_yaml(schema.to_yaml()))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    model = TabularModel.build(pre, size=TabularModelSize(n_layers=1, h=2, d=16), block_size=64)
    TabularTrainer(model, calibrate_counts=False).train(
        TabularDataset.from_data(data, pre, block_size=64), n_steps=3, batch_size=8, progress=False
    )
    synth = model.generate(n_samples=40, seed=0)
    line, ship, ps = synth["order_line"], synth["shipment"], synth["partsupp"]
    assert len(line) and len(ship) and len(ps)
    assert not line.duplicated(["order_id", "line_no"]).any() and not ps.duplicated(["partkey", "suppkey"]).any()
    assert pairs(ship, ["order_id", "line_no"]) <= pairs(line, ["order_id", "line_no"])
    assert pairs(line, ["partkey", "suppkey"]) <= pairs(ps, ["partkey", "suppkey"])
    synth.to_sql(url := f"sqlite:///{tmp_path / 'synth.sqlite'}")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        inspected = sa.inspect(conn)
        assert inspected.get_pk_constraint("order_line")["constrained_columns"] == ["order_id", "line_no"]
        fks = [(fk["constrained_columns"], fk["referred_table"]) for fk in inspected.get_foreign_keys("shipment")]
        columns = [c["name"] for c in inspected.get_columns("shipment")]
    engine.dispose()
    assert fks == [(["order_id", "line_no"], "order_line")] and "(order_id, line_no)" not in columns


def test_a_yaml_composite_key_left_a_root_is_warned_of_once_not_again_at_generation() -> None:
    """A YAML's composite key that leaves shipments a root table of their own is warned of when the
    data is read; generation built its output with the same schema and said it again (2 warnings for
    one fit and one generation, gaps repro composite_warn.py): now once."""
    frames = parts_db(40)
    tables = {
        "orders": {"columns": {"id": "primary_key", "region": "categorical"}},
        "partsupp": {"columns": {"partkey": "integer", "suppkey": "integer", "cost": "numeric"}},
        "order_line": {
            "columns": {"order_id": {"foreign_key": "orders"}, "line_no": "integer", "qty": "integer"},
            "primary_key": ["order_id", "line_no"],
        },
        "shipment": {
            "columns": {"id": "primary_key", "order_id": "integer", "line_no": "integer", "shipped_qty": "integer"},
            "foreign_keys": [{"columns": ["order_id", "line_no"], "table": "order_line"}],
        },
    }
    frames["order_line"] = frames["order_line"].drop(columns=["partkey", "suppkey"])
    with pytest.warns(UserWarning, match="'shipment' is a root table of its own"):
        data = RelationalData(frames, Schema.from_dict({"tables": tables}))
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    torch.manual_seed(0)
    model = TabularModel.build(pre, size=TabularModelSize(n_layers=1, h=2, d=16))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = model.generate(n_samples=10, seed=0)
    assert len(out["shipment"]) > 0
    assert not [w for w in caught if "root table of its own" in str(w.message)]

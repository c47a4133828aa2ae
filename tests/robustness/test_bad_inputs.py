"""Bad inputs and damaged files at every public entry point: each case asserts the exception type
and that the message names what is wrong and where (table, column, parameter or file).

The cases are one table (`CASES`); docs/reliability.md lists the same ones with what a user gets."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from robust_data import TINY, frames, schema

from relsynth.relational import (
    DataError,
    ForeignKey,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    SchemaError,
    Table,
)
from relsynth.relational.files import LoadError
from relsynth.synth import (
    CheckpointHook,
    NonFiniteLoss,
    TabularDataset,
    TabularModel,
    TabularPreproc,
    TabularTrainer,
    Validation,
)
from relsynth.synth.core.training.checkpoint import load_checkpoint
from relsynth.synth.tabular.encoders import NumericPreproc


@dataclass
class Case:
    id: str
    call: Callable[[SimpleNamespace], Any]
    exc: type[BaseException]
    needles: tuple[str, ...]  # each must appear in the message


def _with(table: str, **cols) -> dict[str, pd.DataFrame]:
    f = frames()
    f[table] = f[table].assign(**cols)
    return f


def _data(f: dict[str, pd.DataFrame], s: Schema | None = None) -> RelationalData:
    return RelationalData(f, s or schema())


def _one_value(table: str, col: str, value, dtype=None) -> dict[str, pd.DataFrame]:
    f = frames()
    s = f[table][col].astype(dtype or object).copy()
    s.iloc[3] = value
    f[table][col] = s
    return f


def _copy(ns, name: str) -> Path:
    dst = ns.tmp / name
    shutil.copytree(ns.saved["root"] / name, dst)
    return dst


def _truncate(file: Path, keep: int = 40) -> None:
    file.write_bytes(file.read_bytes()[:keep])


def _edit_json(file: Path, edit: Callable[[dict], None]) -> None:
    spec = json.loads(file.read_text())
    edit(spec)
    file.write_text(json.dumps(spec))


def _ctx(ns, **cols) -> pd.DataFrame:
    base = ns.pre.select_ctx(ns.db, [0, 1, 2])
    return base.assign(**cols)


def _tampered_preproc(ns, edit) -> Path:
    path = _copy(ns, "preproc")
    _edit_json(path / "preproc.json", edit)
    return path


def _set_edges(spec: dict, value) -> None:
    """One value of the first numeric slot's points (or bin edges) replaced."""
    pre = next(
        s["preproc"] for s in spec["slots"] if s["preproc"]["type"] == "numeric" and len(s["preproc"]["points"]) > 2
    )
    pre["points"][1] = value


CASES = [
    # ---- names that clash with the token grammar (SchemaError at schema time) ----
    Case("column named <row>", lambda ns: Schema(t=Table(columns={"id": "primary_key", "<row>": "numeric"})),
         SchemaError, ("'<row>'", "table 't'", "reserved")),
    Case("parent column named #child", lambda ns: Schema(
        p=Table(columns={"id": "primary_key", "#c": "integer"}), c=Table(id=PrimaryKey(), p=ForeignKey("p"))),
         SchemaError, ("'#c'", "table 'p'")),
    Case("column named <missing>", lambda ns: Schema(t=Table(columns={"<missing>": "categorical"})),
         SchemaError, ("'<missing>'",)),
    Case("table named #t", lambda ns: Schema(tables={"#t": Table(x=Numeric())}), SchemaError, ("'#t'", "table")),
    Case("empty column name", lambda ns: Schema(t=Table(columns={"": "numeric"})), SchemaError, ("column", "''")),
    Case("reserved name in YAML", lambda ns: Schema.from_yaml("tables:\n  t: {columns: {'<rare>': numeric}}\n"),
         SchemaError, ("'<rare>'", "table 't'")),
    # ---- schemas ----
    Case("foreign key to unknown table", lambda ns: Schema(c=Table(id=PrimaryKey(), p=ForeignKey("nope"))),
         SchemaError, ("c.p", "'nope'")),
    Case("unknown column kind", lambda ns: Schema(t=Table(x="decimal")), SchemaError, ("'x'", "decimal")),
    Case("tables nesting under one another", lambda ns: Schema(
        a=Table(id=PrimaryKey(), b=ForeignKey("b")), b=Table(id=PrimaryKey(), a=ForeignKey("a"))),
         SchemaError, ("cycle", "a -> b -> a", "nest: false")),
    Case("damaged schema file", lambda ns: (ns.tmp / "s.yml").write_text("tables: [unclosed") and Schema.from_yaml(
        str(ns.tmp / "s.yml")), SchemaError, ("s.yml",)),
    Case("schema file missing", lambda ns: Schema.from_yaml(str(ns.tmp / "none.yml")), SchemaError, ("none.yml",)),
    Case("infer: override of unknown column", lambda ns: Schema.infer(
        frames(), overrides={"parent": {"nope": "numeric"}}), SchemaError, ("'parent'", "nope")),
    # ---- numbers at the edges (DataError listing the column, with why) ----
    Case("numeric +inf", lambda ns: _data(_one_value("parent", "amount", np.inf, float)),
         DataError, ("'parent'", "'amount'", "inf")),
    Case("numeric -inf", lambda ns: _data(_one_value("parent", "amount", -np.inf, float)),
         DataError, ("'amount'", "finite")),
    Case("numeric 'inf' text", lambda ns: _data(_one_value("parent", "amount", "inf")), DataError, ("'amount'", "±inf")),
    Case("integer above 2**63", lambda ns: _data(_one_value("parent", "visits", 2**64)),
         DataError, ("'visits'", "64 bits")),
    Case("integer below -2**63", lambda ns: _data(_one_value("parent", "visits", -(2**63) - 10)),
         DataError, ("'visits'", "64 bits")),
    Case("integer +inf", lambda ns: _data(_one_value("parent", "visits", np.inf, float)), DataError, ("'visits'", "inf")),
    Case("integer fractional", lambda ns: _data(_one_value("parent", "visits", 1.5, float)),
         DataError, ("'visits'", "1.5")),
    Case("date before 1677", lambda ns: _data(_one_value("parent", "since", "1500-01-01")),
         DataError, ("'since'", "1677", "2262")),
    # numbers that are all days yyyymmdd are read as such (compact_dates): these leave the calendar (20200136)
    Case("yyyymmdd numbers in a date column", lambda ns: _data(_with("parent", since=20200101 + 7 * np.arange(len(frames()["parent"])))),
         DataError, ("'since'", "20200101", "yyyymmdd, epoch seconds")),
    Case("an epoch number among text dates", lambda ns: _data(_one_value("parent", "since", 1600000000)),
         DataError, ("'since'", "1600000000", "not read as dates")),
    Case("datetimes in an integer column", lambda ns: _data(_with("parent", visits=pd.Timestamp("2020-01-01"))),
         DataError, ("'visits'", "datetimes are not numbers")),
    Case("date after 2262", lambda ns: _data(_one_value("parent", "since", "2300-06-01")),
         DataError, ("'since'", "2300-06-01", "categorical or text")),
    Case("durations in a numeric column", lambda ns: _data(_with("parent", amount=pd.to_timedelta(np.arange(30), "s"))),
         DataError, ("'amount'", "durations", "total_seconds")),
    Case("durations in an integer column", lambda ns: _data(_with("parent", visits=pd.to_timedelta(np.arange(30), "s"))),
         DataError, ("'visits'", "durations", "total_seconds")),
    Case("boolean not a boolean", lambda ns: _data(_one_value("parent", "vip", "maybe")),
         DataError, ("'vip'", "maybe")),
    Case("fit: inf in a numeric column", lambda ns: NumericPreproc().fit(pd.Series([1.0, np.inf], name="t.x")),
         ValueError, ("t.x", "inf")),
    Case("fit: values near 1e308", lambda ns: NumericPreproc().fit(pd.Series([-1.7e308, 1.7e308], name="t.x")),
         ValueError, ("t.x", "supported range", "1e+307")),
    # ---- data against its schema ----
    Case("duplicate primary key", lambda ns: _data(_one_value("parent", "id", 1, "int64")),
         DataError, ("'parent'", "primary key 'id'")),
    Case("null primary key", lambda ns: _data(_one_value("parent", "id", None)), DataError, ("'id'", "null")),
    Case("orphan foreign key", lambda ns: _data(_one_value("child", "parent", 999, "int64")),
         DataError, ("'child'", "'parent'", "999")),
    Case("missing table", lambda ns: _data({"parent": frames()["parent"]}), DataError, ("['child']",)),
    Case("missing column", lambda ns: _data({**frames(), "child": frames()["child"].drop(columns="qty")}),
         DataError, ("'child'", "['qty']")),
    Case("extra column", lambda ns: _data(_with("child", extra=1)), DataError, ("'child'", "['extra']")),
    Case("table not a DataFrame", lambda ns: _data({**frames(), "child": [1, 2]}), DataError, ("'child'", "DataFrame")),
    Case("schema not a Schema", lambda ns: RelationalData(frames(), {"parent": 1}), TypeError, ("schema",)),
    Case("orphans option", lambda ns: RelationalData(frames(), schema(), orphans="ignore"),
         ValueError, ("orphans", "'ignore'")),
    Case("split ratio", lambda ns: ns.db.split(ratio=1.5), ValueError, ("ratio", "1.5")),
    Case("split ratio text", lambda ns: ns.db.split(ratio="0.1"), ValueError, ("ratio", "'0.1'")),
    Case("split seed text", lambda ns: ns.db.split(ratio=0.2, seed="a"), TypeError, ("seed", "'a'")),
    # ---- files: every load error names the file ----
    Case("from_dir: no directory", lambda ns: RelationalData.from_dir(ns.tmp / "nodir"), FileNotFoundError, ("nodir",)),
    Case("from_dir: truncated parquet", lambda ns: (
        _truncate(_copy(ns, "db") / "child.parquet"), RelationalData.from_dir(ns.tmp / "db")),
         LoadError, ("child.parquet", "table 'child'")),
    Case("from_dir: undecodable CSV", lambda ns: (
        _copy(ns, "db"), (ns.tmp / "db" / "child.parquet").unlink(),
        (ns.tmp / "db" / "child.csv").write_bytes(b"id,parent\n\xff\xfe\x00,1\n"), RelationalData.from_dir(ns.tmp / "db")),
         LoadError, ("child.csv", "save it as UTF-8")),
    Case("from_dir: table file missing", lambda ns: (
        _copy(ns, "db"), (ns.tmp / "db" / "child.parquet").unlink(), RelationalData.from_dir(ns.tmp / "db")),
         FileNotFoundError, ("'child'", "child.parquet")),
    Case("from_dir: no schema.yaml", lambda ns: (
        _copy(ns, "db"), (ns.tmp / "db" / "schema.yaml").unlink(), RelationalData.from_dir(ns.tmp / "db")),
         SchemaError, ("schema.yaml",)),
    Case("from_dir: damaged schema.yaml", lambda ns: (
        _copy(ns, "db"), (ns.tmp / "db" / "schema.yaml").write_text("tables: {t: [}"),
        RelationalData.from_dir(ns.tmp / "db")), SchemaError, ("schema.yaml",)),
    Case("to_dir: into a folder of other files", lambda ns: (
        (ns.tmp / "mine").mkdir(), (ns.tmp / "mine" / "keep.txt").write_text("x"), ns.db.to_dir(ns.tmp / "mine")),
         FileExistsError, ("mine", "schema.yaml")),
    Case("preproc: missing", lambda ns: TabularPreproc.load(ns.tmp / "nothing"), FileNotFoundError, ("preproc.json",)),
    Case("preproc: truncated JSON", lambda ns: (
        _truncate(_copy(ns, "preproc") / "preproc.json"), TabularPreproc.load(ns.tmp / "preproc")),
         LoadError, ("preproc.json", "JSON")),
    Case("preproc: another kind", lambda ns: TabularPreproc.load(_tampered_preproc(
        ns, lambda s: s.update(kind="TextPreproc"))), LoadError, ("preproc.json", "TextPreproc")),
    Case("preproc: another version", lambda ns: TabularPreproc.load(_tampered_preproc(
        ns, lambda s: s.update(format_version=99))), LoadError, ("preproc.json", "99")),
    Case("preproc: tampered offsets", lambda ns: TabularPreproc.load(_tampered_preproc(
        ns, lambda s: s["slots"][1].update(offset=999))), LoadError, ("preproc.json", "slot 1")),
    Case("preproc: NaN bin edge", lambda ns: TabularPreproc.load(_tampered_preproc(
        ns, lambda s: _set_edges(s, float("nan")))), LoadError, ("preproc.json", "edges")),
    Case("preproc: decreasing bin edges", lambda ns: TabularPreproc.load(_tampered_preproc(
        ns, lambda s: _set_edges(s, -1e9))), LoadError, ("preproc.json", "increasing")),
    Case("preproc: missing key", lambda ns: TabularPreproc.load(_tampered_preproc(
        ns, lambda s: s.pop("layouts"))), LoadError, ("preproc.json", "layouts")),
    Case("model: truncated weights", lambda ns: (
        _truncate(_copy(ns, "model") / "model.safetensors"), TabularModel.load(ns.tmp / "model")),
         LoadError, ("model.safetensors",)),
    Case("model: weights missing", lambda ns: (
        (_copy(ns, "model") / "model.safetensors").unlink(), TabularModel.load(ns.tmp / "model")),
         FileNotFoundError, ("model.safetensors",)),
    Case("model: damaged config", lambda ns: (
        _truncate(_copy(ns, "model") / "model.json", 10), TabularModel.load(ns.tmp / "model")),
         LoadError, ("model.json",)),
    Case("model: unknown config field", lambda ns: (
        _edit_json(_copy(ns, "model") / "model.json", lambda s: s["config"].update(extra=1)),
        TabularModel.load(ns.tmp / "model")), LoadError, ("model.json", "extra")),
    Case("model: tampered preprocessor", lambda ns: (
        _edit_json(_copy(ns, "model") / "preproc" / "preproc.json", lambda s: s["slots"][2].update(offset=0)),
        TabularModel.load(ns.tmp / "model")), LoadError, ("preproc.json", "slot 2")),
    Case("dataset: truncated tokens", lambda ns: (
        TabularDataset.from_data(ns.db, ns.pre, block_size=64).save(ns.tmp / "ds"),
        _truncate(ns.tmp / "ds" / "tokens.bin", 6), TabularDataset.from_disk(ns.pre, ns.tmp / "ds")),
         LoadError, ("tokens.bin", "bytes")),
    Case("dataset: another preprocessor", lambda ns: (
        TabularDataset.from_data(ns.db, ns.pre, block_size=64).save(ns.tmp / "ds"),
        TabularDataset.from_disk(TabularPreproc.from_schema(ns.db.schema, n_bins=4).fit(ns.db), ns.tmp / "ds")),
         LoadError, ("arrays.json", "another preprocessor")),
    Case("checkpoint: truncated", lambda ns: (
        (ns.tmp / "ck.pt").write_bytes(b"PK\x03\x04garbage"), load_checkpoint(ns.tmp / "ck.pt")),
         LoadError, ("ck.pt",)),
    Case("checkpoint: missing", lambda ns: load_checkpoint(ns.tmp / "none.pt"), FileNotFoundError, ("none.pt",)),
    # ---- building a model or a dataset ----
    Case("build: dropout nan", lambda ns: TabularModel.build(preproc=ns.pre, size=ns.tiny, dropout=float("nan")),
         ValueError, ("dropout", "nan")),
    Case("build: count_weight inf", lambda ns: TabularModel.build(preproc=ns.pre, size=ns.tiny, count_weight=np.inf),
         ValueError, ("count_weight", "inf")),
    Case("build: block_size 1", lambda ns: TabularModel.build(preproc=ns.pre, size=ns.tiny, block_size=1),
         ValueError, ("block_size", "1")),
    Case("dataset: block_size text", lambda ns: TabularDataset.from_data(ns.db, ns.pre, block_size="64"),
         TypeError, ("block_size", "'64'")),
    Case("dataset: chunk_size 0", lambda ns: TabularDataset.from_data(ns.db, ns.pre, on_disk=True, chunk_size=0),
         ValueError, ("chunk_size", "0")),
    Case("fit: data of another schema", lambda ns: TabularPreproc.from_schema(ns.db.schema).fit(
        RelationalData({"t": pd.DataFrame({"x": [1.0]})}, Schema(t=Table(x=Numeric())))), ValueError, ("schema",)),
    Case("preproc: ctx_cols a string", lambda ns: TabularPreproc.from_schema(ns.db.schema, ctx_cols="seg"),
         TypeError, ("ctx_cols", "list", "'seg'")),
    Case("build: preproc not a TabularPreproc", lambda ns: TabularModel.build(preproc=ns.db, size=ns.tiny),
         TypeError, ("preproc", "TabularPreproc", "RelationalData")),
    Case("preproc: ctx_cols not in the root", lambda ns: TabularPreproc.from_schema(ns.db.schema, ctx_cols=["qty"]),
         ValueError, ("ctx_cols", "'qty'", "'parent'")),
    # ---- generation arguments (checked before any work, naming the parameter and value) ----
    Case("temp nan", lambda ns: ns.model.generate(n_samples=2, temp=float("nan")), ValueError, ("temp", "nan")),
    Case("temp inf", lambda ns: ns.model.generate(n_samples=2, temp=float("inf")), ValueError, ("temp", "inf")),
    Case("temp 0", lambda ns: ns.model.generate(n_samples=2, temp=0), ValueError, ("temp", "0")),
    Case("temp text", lambda ns: ns.model.generate(n_samples=2, temp="hot"), ValueError, ("temp", "'hot'")),
    Case("batch_size negative", lambda ns: ns.model.generate(n_samples=2, batch_size=-1),
         ValueError, ("batch_size", "-1")),
    Case("batch_size fractional", lambda ns: ns.model.generate(n_samples=2, batch_size=1.5),
         ValueError, ("batch_size", "1.5")),
    Case("max_block_size negative", lambda ns: ns.model.generate(n_samples=2, max_block_size=-3),
         ValueError, ("max_block_size", "-3")),
    Case("seed text", lambda ns: ns.model.generate(n_samples=2, seed="x"), TypeError, ("seed", "'x'")),
    Case("n_samples 0", lambda ns: ns.model.generate(n_samples=0), ValueError, ("n_samples", "0")),
    Case("n_samples text", lambda ns: ns.model.generate(n_samples="10"), ValueError, ("n_samples", "'10'")),
    Case("n_samples and ctx", lambda ns: ns.model.generate(n_samples=2, ctx=_ctx(ns)),
         ValueError, ("n_samples", "ctx")),
    Case("ctx not a DataFrame", lambda ns: ns.model.generate(ctx=[["pro", 1.0]]), TypeError, ("ctx", "list")),
    Case("ctx empty", lambda ns: ns.model.generate(ctx=_ctx(ns).iloc[:0]), ValueError, ("ctx", "no rows")),
    Case("ctx missing column", lambda ns: ns.model.generate(ctx=_ctx(ns).drop(columns="amount")),
         ValueError, ("ctx", "['amount']")),
    Case("ctx number of the wrong type", lambda ns: ns.model.generate(ctx=_ctx(ns, amount=["a", "b", 3.0])),
         ValueError, ("'amount'", "parent.amount", "'a'")),
    Case("ctx number out of range", lambda ns: ns.model.generate(ctx=_ctx(ns, amount=[1e9, 5.0, 6.0])),
         ValueError, ("'amount'", "1000000000.0", "numeric values in")),
    Case("ctx number inf", lambda ns: ns.model.generate(ctx=_ctx(ns, amount=[np.inf, 5.0, 6.0])),
         ValueError, ("'amount'", "inf")),
    Case("ctx category of the wrong type", lambda ns: ns.model.generate(ctx=_ctx(ns, seg=[1, 2, 3])),
         ValueError, ("'seg'", "parent.seg", "str")),
    Case("ctx on a model without ctx_cols", lambda ns: TabularModel.build(
        preproc=TabularPreproc.from_schema(ns.db.schema).fit(ns.db), size=ns.tiny).generate(ctx=_ctx(ns)),
         ValueError, ("ctx_cols",)),
    Case("text: top_p nan", lambda ns: ns.text_model.generate(ns.db, top_p=float("nan")), ValueError, ("top_p", "nan")),
    Case("text: temp inf", lambda ns: ns.text_model.generate(ns.db, temp=float("inf")), ValueError, ("temp", "inf")),
    Case("text: max_text_len negative", lambda ns: ns.text_model.generate(ns.db, max_text_len=-1),
         ValueError, ("max_text_len", "-1")),
    # ---- training arguments and silent failures (the training loop's checks) ----
    Case("train: valid.dataset not encoded", lambda ns: TabularTrainer(model=ns.fresh()).train(
        ns.ds, n_steps=1, batch_size=4, valid=Validation(dataset=ns.db)), TypeError,
         ("valid.dataset", "TabularDataset.from_data", "RelationalData")),
    Case("train: hooks a single hook", lambda ns: TabularTrainer(model=ns.fresh()).train(
        ns.ds, n_steps=1, batch_size=4, hooks=CheckpointHook(ns.tmp / "ck")), TypeError, ("hooks", "list", "CheckpointHook")),
    Case("train: lr 0", lambda ns: TabularTrainer(model=ns.fresh()).train(ns.ds, n_steps=1, batch_size=4, lr=0.0),
         ValueError, ("lr", "0")),
    Case("train: memory nan", lambda ns: TabularTrainer(model=ns.fresh()).train(
        ns.ds, n_steps=1, memory=float("nan")), ValueError, ("memory", "nan")),
    Case("train: lr inf", lambda ns: TabularTrainer(model=ns.fresh()).train(
        ns.ds, n_steps=3, batch_size=4, lr=float("inf")), ValueError, ("lr", "inf")),
    Case("train: a diverging run stops naming the step", lambda ns: TabularTrainer(model=ns.fresh()).train(
        ns.ds, n_steps=20, batch_size=4, lr=1e30, lr_decay="none"), NonFiniteLoss, ("step", "lr=")),
]  # fmt: skip


@pytest.fixture
def ns(tmp_path, db, pre, model, text_model, saved):
    def fresh() -> TabularModel:
        return TabularModel.build(preproc=pre, size=TINY, block_size=64)

    ds = TabularDataset.from_data(db, pre, block_size=64)
    return SimpleNamespace(
        tmp=tmp_path, db=db, pre=pre, model=model, text_model=text_model, saved=saved, tiny=TINY, fresh=fresh, ds=ds
    )


def test_there_are_at_least_60_cases():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_naming_what_and_where(case: Case, ns):
    with pytest.raises(case.exc) as info:
        case.call(ns)
    message = str(info.value)
    missing = [n for n in case.needles if n not in message]
    assert not missing, f"{case.id}: {missing} not in the message: {message}"

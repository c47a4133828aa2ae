"""The source's representation round-trips: a synthetic database written with `to_dir` reads
back with the dtypes and value spellings of its source, for every column kind.

A property test over random databases: each seed draws every column kind, a spelling for the
booleans (Y/N, yes/no, 1/0, T/F, true booleans), nulls or none, and a key pattern; the
"synthetic" database is the preprocessor's decode of the encoded source (fresh keys, values
drawn from the bins, the same code path as generation), so no training is needed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import (
    Boolean,
    Categorical,
    Date,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
    Text,
    Time,
)
from relsynth.synth import TabularPreproc

BOOLEANS = [("Y", "N"), ("yes", "no"), ("T", "F"), ("true", "false"), (1, 0), (True, False)]


def _source(seed: int) -> tuple[dict[str, pd.DataFrame], Schema]:
    rng = np.random.default_rng(seed)
    n, m = 30, 60
    yes, no = BOOLEANS[seed % len(BOOLEANS)]
    gaps = bool(seed % 2)
    flags = rng.random(n) < 0.5
    flag = pd.Series(np.where(flags, yes, no), dtype=bool if isinstance(yes, bool) else None)
    if isinstance(yes, int) and not isinstance(yes, bool):
        flag = pd.Series(np.where(flags, 1, 0), dtype="int64")
    count = pd.Series(rng.integers(0, 50, n), dtype="int64")
    if gaps:
        count = count.astype("Int64").mask(rng.random(n) < 0.2)  # integers with nulls stay integers
    year = rng.integers(2000, 2024, n)
    keys = [f"{y}_{chr(65 + i % 26)}{chr(65 + (i // 26) % 26)}{i % 100:02d}" for i, y in enumerate(year)]
    parent = pd.DataFrame(
        {
            "code": keys,
            "flag": flag,
            "count": count,
            "price": np.round(rng.gamma(2.0, 10.0, n), 2),
            "tiny": rng.random(n) * 1e-8,
            "segment": rng.choice(["a", "b", "c"], n).astype(object),
            "since": pd.Series(pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"))
            .dt.strftime("%Y-%m-%d")
            .astype(object),
            "seen": pd.to_datetime("2021-01-01") + pd.to_timedelta(rng.integers(0, 10**7, n), "s"),
            "opens": [dt.time(int(h), 0) for h in rng.integers(6, 12, n)],
            "about": [f"note {i} of {seed}" for i in range(n)],
        }
    )
    child = pd.DataFrame(
        {
            "id": np.arange(1, m + 1, dtype="int64"),
            "parent": rng.choice(keys, m).astype(object),
            "qty": rng.integers(1, 5, m).astype("int64"),
            "paid": np.where(rng.random(m) < 0.3, yes, no) if not isinstance(yes, bool) else rng.random(m) < 0.3,
        }
    )
    schema = Schema(
        parent=Table(
            code=PrimaryKey(), flag=Boolean(), count=Integer(), price=Numeric(), tiny=Numeric(),
            segment=Categorical(), since=Date(), seen=Datetime(), opens=Time(), about=Text(),
        ),
        child=Table(id=PrimaryKey(), parent=ForeignKey(parent="parent"), qty=Integer(), paid=Boolean()),
    )  # fmt: skip
    return {"parent": parent, "child": child}, schema


def _spelling(s: pd.Series) -> set:
    return {type(v).__name__ + ":" + str(v) for v in s.dropna().unique()} if s.dtype.kind not in "fM" else set()


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_synthetic_database_reads_back_in_the_source_representation(tmp_path, seed, fmt):
    frames, schema = _source(seed)
    src = tmp_path / "src"
    src.mkdir()
    for name, df in frames.items():
        df.to_parquet(src / f"{name}.parquet", index=False) if fmt == "parquet" else df.to_csv(
            src / f"{name}.csv", index=False
        )
    data = RelationalData.from_dir(src, schema=schema)
    pre = TabularPreproc.from_schema(schema, min_count=1).fit(data)
    synth = pre.inverse_transform(pre.transform(data), seed=seed)
    synth.to_dir(tmp_path / "out")
    raw_src = {t: pd.read_parquet(src / f"{t}.parquet") for t in frames} if fmt == "parquet" else None
    for table in frames:
        out = pd.read_parquet(tmp_path / "out" / f"{table}.parquet")
        back = RelationalData.from_dir(tmp_path / "out").data[table]
        for col in out.columns:
            if raw_src is not None:  # parquet: the very dtypes of the source files
                source_dtype = raw_src[table][col].dtype
                if not (source_dtype == "int64" and out[col].isna().any()):
                    assert out[col].dtype == source_dtype, (table, col)
            if schema.tables[table].columns[col].kind.value in ("boolean", "date", "time"):
                assert _spelling(out[col]) <= _spelling(data.to_source(table)[col]), (table, col)
            assert back[col].dtype == data[table][col].dtype, (table, col)  # canonical: identical
        pk = schema.tables[table].primary_key
        if table == "parent":  # `<year>_<code>`: the source's pattern, not id_1
            assert out[pk].str.match(r"^\d{4}_[A-Z]{2}\d{2}$").all()
        assert (out.drop(columns=["about"], errors="ignore").notna().mean() > 0).all()  # no column thrown away
    if "tiny" in out.columns:
        assert out["tiny"].notna().all()
    tiny = pd.read_parquet(tmp_path / "out" / "parent.parquet")["tiny"]
    assert tiny.notna().all() and (tiny > 0).mean() > 0.9  # 1e-8 values are not rounded to 0 or null


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_whole_floats_come_back_as_floats(tmp_path, fmt):
    """A float64 column of whole numbers (balances in whole yen) is modelled as integers and was
    written back Int64 (a parquet reader expecting float64 got another type); with no null it was
    a float column in the source, so it comes back float64. Whole numbers with gaps read from a CSV
    (pandas' floats) stay integers."""
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "yen": np.round(rng.normal(0, 1e5, n)),
            "children": np.where(rng.random(n) < 0.3, np.nan, rng.integers(0, 4, n).astype(float)),
        }
    )
    src = tmp_path / "src"
    src.mkdir()
    frame.to_parquet(src / "account.parquet", index=False) if fmt == "parquet" else frame.to_csv(
        src / "account.csv", index=False
    )
    raw = pd.read_parquet(src / "account.parquet") if fmt == "parquet" else pd.read_csv(src / "account.csv")
    schema = Schema.infer({"account": raw}, primary_keys={"account": "id"})
    assert schema.tables["account"].columns["yen"].kind.value == "integer"
    data = RelationalData.from_dir(src, schema=schema)
    pre = TabularPreproc.from_schema(schema).fit(data)
    pre.inverse_transform(pre.transform(data), seed=0).to_dir(tmp_path / "out")
    out = pd.read_parquet(tmp_path / "out" / "account.parquet")
    assert out["yen"].dtype == "float64" and (out["yen"] % 1 == 0).all()
    assert out["children"].dtype == "Int64"


def test_text_timestamps_keep_their_zones_summer_time():
    """Timestamps a CSV writes in New York's local time (-05:00 in winter, -04:00 in summer) were
    written back all in UTC (+00:00: 400 of 400), their local hours lost; written in the zone whose
    offsets they had, each gets its instant's offset, and a file of several zones' offsets a row
    (each customer's own) still comes back in UTC."""
    rng = np.random.default_rng(0)
    n = 120
    instants = pd.Timestamp("2022-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365 * 86400, n), "s")

    def spelled(zones: np.ndarray) -> list[str]:
        return [t.tz_convert(z).isoformat(sep=" ") for t, z in zip(instants, zones, strict=True)]

    for zones, expected in [
        (np.full(n, "America/New_York"), "America/New_York"),
        (rng.choice(["Europe/Paris", "Asia/Tokyo", "America/Chicago"], n), None),
    ]:
        frame = pd.DataFrame({"id": np.arange(1, n + 1), "booked_at": spelled(zones)})
        schema = Schema.infer({"txn": frame}, primary_keys={"txn": "id"})
        data = RelationalData({"txn": frame}, schema)
        assert data.formats["txn"]["booked_at"].get("zone") == expected
        pre = TabularPreproc.from_schema(schema).fit(data)
        out = pre.inverse_transform(pre.transform(data), seed=0).to_source("txn")["booked_at"]
        at = pd.to_datetime(out, utc=True)
        if expected is None:
            assert out.str.endswith("+00:00").all()
            continue
        assert set(out.str[-6:]) == {"-05:00", "-04:00"}
        assert (out.str[-6:] == at.dt.tz_convert(expected).map(lambda t: t.isoformat()[-6:])).all()

"""TPC-H as a relational database for relsynth, generated locally by DuckDB's tpch extension.

customer -> orders -> lineitem, nation as a lookup; free-text columns (names, addresses, phones,
comments) are left out, lineitem gets a row id as its primary key. sf=0.01 is about 77k rows
(1.5k customers, 15k orders, 60k line items), sf=1 about 7.7M. Needs the `bench` extra
(`pip install -e ".[bench]"`: duckdb and the duckdb-ext-tpch wheel, which ships the extension, so
nothing is downloaded).
"""

from __future__ import annotations

import glob
import math
import os
import site

import pandas as pd

from relsynth.relational import (
    Categorical,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
)

SCHEMA = Schema(
    customer=Table(
        c_custkey=PrimaryKey(),
        c_nationkey=ForeignKey(parent="nation"),
        c_acctbal=Numeric(),
        c_mktsegment=Categorical(),
    ),
    orders=Table(
        o_orderkey=PrimaryKey(),
        o_custkey=ForeignKey(parent="customer"),
        o_orderstatus=Categorical(),
        o_totalprice=Numeric(),
        o_orderdate=Date(),
        o_orderpriority=Categorical(),
        o_shippriority=Integer(),
    ),
    lineitem=Table(
        l_id=PrimaryKey(),
        l_orderkey=ForeignKey(parent="orders"),
        l_linenumber=Integer(),
        l_quantity=Numeric(),
        l_extendedprice=Numeric(),
        l_discount=Numeric(),
        l_tax=Numeric(),
        l_returnflag=Categorical(),
        l_linestatus=Categorical(),
        l_shipdate=Date(),
        l_commitdate=Date(),
        l_receiptdate=Date(),
        l_shipinstruct=Categorical(),
        l_shipmode=Categorical(),
    ),
    nation=Table(n_nationkey=PrimaryKey(), n_name=Categorical()),
    lookups=["nation"],
)


def tpch_extension() -> str:
    """The path of the tpch extension that the duckdb-ext-tpch wheel ships."""
    roots = [*site.getsitepackages(), site.getusersitepackages()]
    found = [p for r in roots for p in glob.glob(os.path.join(r, "duckdb_ext", "extensions", "*", "*", "tpch.*"))]
    if not found:
        raise ImportError("the tpch extension was not found: pip install -e '.[bench]' (duckdb-ext-tpch)")
    return found[0]


def tpch_in_memory(sf: float):
    """An in-memory DuckDB connection holding TPC-H at scale factor `sf` (dbgen's tables, as generated)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"LOAD '{tpch_extension()}'")
    con.execute(f"CALL dbgen(sf={float(sf)})")
    return con


def load_tpch(sf: float) -> RelationalData:
    """TPC-H at scale factor `sf` as a validated `RelationalData` (see the module docstring)."""
    con = tpch_in_memory(sf)
    tables = {}
    for name, table in SCHEMA.tables.items():
        cols = [c for c in table.columns if c != "l_id"]
        df = con.execute(f"SELECT {', '.join(cols)} FROM {name}").df()
        for c, kind in table.columns.items():
            if c in df and isinstance(kind, Numeric):
                df[c] = df[c].astype("float64")  # DECIMAL(15,2) arrives as object
        if name == "lineitem":
            df.insert(0, "l_id", range(1, len(df) + 1))
        tables[name] = df
    con.close()
    return RelationalData(tables, SCHEMA)


_DDL = {
    "nation": "n_nationkey INTEGER PRIMARY KEY, n_name VARCHAR NOT NULL",
    "customer": "c_custkey BIGINT PRIMARY KEY, c_nationkey INTEGER REFERENCES nation, c_acctbal DECIMAL(15,2), "
    "c_mktsegment VARCHAR",
    "orders": "o_orderkey BIGINT PRIMARY KEY, o_custkey BIGINT REFERENCES customer, o_orderstatus VARCHAR, "
    "o_totalprice DECIMAL(15,2), o_orderdate DATE, o_orderpriority VARCHAR, o_shippriority INTEGER",
    "lineitem": "l_id BIGINT PRIMARY KEY, l_orderkey BIGINT REFERENCES orders, l_linenumber INTEGER, "
    "l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2), l_tax DECIMAL(15,2), "
    "l_returnflag VARCHAR, l_linestatus VARCHAR, l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, "
    "l_shipinstruct VARCHAR, l_shipmode VARCHAR",
}


def write_tpch_duckdb(sf: float, path: str) -> dict[str, int]:
    """TPC-H at scale factor `sf` written to the DuckDB file `path` with its primary and foreign keys
    declared (the tables of SCHEMA, nation first), so `relsynth.relational` reflects them; row counts.

    dbgen takes fractions below 1 only (sf=1.3 generates sf=1): above 1, the next whole scale
    factor is generated and its first 150,000 x sf customers kept, with their orders and lines."""
    import duckdb

    whole = sf > 1 and sf != int(sf)
    customers = f"o_custkey <= {round(150_000 * sf)}" if whole else "true"
    keep = {
        "nation": "true",
        "customer": f"c_custkey <= {round(150_000 * sf)}" if whole else "true",
        "orders": customers,
        "lineitem": f"l_orderkey IN (SELECT o_orderkey FROM gen.main.orders WHERE {customers})",
    }
    con = duckdb.connect(path)
    try:
        con.execute(f"LOAD '{tpch_extension()}'")
        target = con.execute("SELECT current_database()").fetchone()[0]
        con.execute("ATTACH ':memory:' AS gen")
        con.execute("USE gen")
        con.execute(f"CALL dbgen(sf={math.ceil(sf) if whole else float(sf)})")  # in memory, copied with keys below
        con.execute(f'USE "{target}"')
        counts = {}
        for name, ddl in _DDL.items():
            cols = [c for c in SCHEMA.tables[name].columns if c != "l_id"]
            select = ", ".join(cols)
            if name == "lineitem":
                select = f"row_number() OVER (ORDER BY l_orderkey, l_linenumber) AS l_id, {select}"
            con.execute(f"CREATE TABLE {name} ({ddl})")
            con.execute(f"INSERT INTO {name} SELECT {select} FROM gen.main.{name} WHERE {keep[name]} ORDER BY 1")
            counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        return counts
    finally:
        con.close()


if __name__ == "__main__":
    data = load_tpch(0.01)
    print({t: len(df) for t, df in data.data.items()}, pd.__version__)

"""Rows per second of `RelationalData.to_sql` into DuckDB (one Arrow INSERT a chunk, and row by row as
before) and into SQLite, on TPC-H (bench extra) or a pickled RelationalData.

    python benchmarks/write_rate.py --sf 0.02
    python benchmarks/write_rate.py --pickle syn.pkl
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from pathlib import Path

import relsynth.relational.sql as sql


def rate(data, url: str) -> float:
    start = time.perf_counter()
    data.to_sql(url, if_exists="replace")
    return sum(data.n_rows().values()) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sf", type=float, default=0.02, help="TPC-H scale factor")
    ap.add_argument("--pickle", help="a pickled RelationalData instead of TPC-H")
    args = ap.parse_args()
    if args.pickle:
        data = pickle.loads(Path(args.pickle).read_bytes())
    else:
        from tpch import load_tpch

        data = load_tpch(args.sf)
    n = sum(data.n_rows().values())
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = rate(data, f"sqlite:///{tmp}/w.sqlite")
        bulk = rate(data, f"duckdb:///{tmp}/bulk.duckdb")
        bulk_insert, sql._insert_arrow = sql._insert_arrow, lambda conn, into, columns: False
        try:
            rows = rate(data, f"duckdb:///{tmp}/rows.duckdb")
        finally:
            sql._insert_arrow = bulk_insert
    print(f"{n} rows: SQLite {sqlite:,.0f} rows/s, DuckDB {bulk:,.0f} rows/s (row by row {rows:,.0f})")
    print(f"DuckDB bulk / row by row: {bulk / rows:.1f}x; DuckDB bulk / SQLite: {bulk / sqlite:.2f}x")


if __name__ == "__main__":
    main()

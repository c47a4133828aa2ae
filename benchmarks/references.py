"""References (foreign keys that do not nest their rows): how well generated keys keep the data's
structure, against two baselines drawn in the same run.

Databases: the whole Chinook (11 tables, from the shipped SQLite file: invoice lines nested under
their tracks reference their invoices, or with `--lines-under-invoices` the other way round;
customers reference their support representative; employees their manager) and TPC-H (bench
extra; `--tpch SF`) with part and supplier synthesised, so a line item nested under its order
references both. Each database is encoded by the fitted preprocessor and decoded again
(`inverse_transform`): the rows are the real ones, only the reference keys are drawn, so the
figures measure the references alone, not the model. Per reference:

- `degree KS`: KS complement of how many rows reference each referenced row, generated vs real
  (the whole database both sides: 100 = the same distribution);
- `trends`: the report's pair trends of the referencing row's columns against the referenced
  row's, generated vs real (100 = the same);
- `repeats`: pairs (parent row, referenced row) generated more than once, where the data has none.

Methods: `relsynth` (the default: degrees given out by the referenced rows' values, rows paired
by affinity, no repeated pairs where the data has none), `degrees` (degrees given out at random,
random pairing) and `uniform` (every referenced row equally likely).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/references.py --seeds 0 1 2
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/references.py --tpch 0.01
"""

from __future__ import annotations

import argparse
import copy
import logging
import sys
import time
from pathlib import Path

import numpy as np
from sdmetrics.single_column import KSComplement

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from relsynth.eval._common import Notes  # noqa: E402
from relsynth.eval.quality import children_counts, edge_quality  # noqa: E402
from relsynth.relational import RelationalData, Schema  # noqa: E402
from relsynth.synth import TabularPreproc  # noqa: E402

CHINOOK = f"sqlite:///{ROOT / 'data/01_raw/chinook/chinook.sqlite'}"


def chinook(lines_under_invoices: bool) -> RelationalData:
    over = {"invoice_line": {"track": {"foreign_key": "track", "nest": False}}} if lines_under_invoices else None
    return RelationalData.from_sql(CHINOOK, overrides=over)


def tpch(sf: float) -> RelationalData:
    """TPC-H customer -> orders -> lineitem, with part and supplier synthesised (references)."""
    from tpch import tpch_in_memory

    con = tpch_in_memory(sf)
    frames = {
        "customer": con.execute("SELECT c_custkey, c_acctbal, c_mktsegment FROM customer").df(),
        "orders": con.execute("SELECT o_orderkey, o_custkey, o_totalprice, o_orderpriority FROM orders").df(),
        "lineitem": con.execute(
            "SELECT l_orderkey * 8 + l_linenumber AS l_id, l_orderkey, l_partkey, l_suppkey, l_quantity, "
            "l_extendedprice, l_shipmode FROM lineitem"
        ).df(),
        "part": con.execute("SELECT p_partkey, p_retailprice, p_brand, p_size FROM part").df(),
        "supplier": con.execute("SELECT s_suppkey, s_acctbal FROM supplier").df(),
    }
    schema = Schema.infer(
        frames,
        primary_keys={
            "customer": "c_custkey",
            "orders": "o_orderkey",
            "lineitem": "l_id",
            "part": "p_partkey",
            "supplier": "s_suppkey",
        },
        foreign_keys={
            "orders": {"o_custkey": "customer"},
            "lineitem": {"l_orderkey": "orders", "l_partkey": "part", "l_suppkey": "supplier"},
        },
    )
    return RelationalData(frames, schema)


def degrees_ks(real: RelationalData, synth: RelationalData, edge) -> float:
    return 100 * KSComplement.compute(children_counts(real, edge), children_counts(synth, edge))


def repeats(data: RelationalData, edge) -> int:
    nest = data.schema.parent(edge.child)
    if nest is None:
        return 0
    return int(data[edge.child][[nest.fk, edge.fk]].dropna().duplicated().sum())


def variant(pre: TabularPreproc, method: str) -> TabularPreproc:
    out = copy.copy(pre)
    out.stats = copy.deepcopy(pre.stats)
    for fitted in out.stats["references"].values():
        if method in ("degrees", "uniform"):
            fitted["affinity"], fitted["unique_pairs"], fitted["degree_effects"] = [], False, []
        if method == "uniform":
            fitted["degrees"] = [1]
    return out


def measure(name: str, data: RelationalData, seeds: list[int]) -> None:
    t = time.time()
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    enc = pre.transform(data)
    print(f"\n## {name}: {data.n_rows()} (fit and encode {time.time() - t:.1f} s)")
    print("| reference | method | degree KS | trends | repeats (real) | seconds |")
    print("|---|---|---:|---:|---:|---:|")
    edges = [e for t in data.schema.synth_tables for e in data.schema.references(t)]
    for method in ("relsynth", "degrees", "uniform"):
        p = variant(pre, method)
        rows = {e: [] for e in edges}
        for seed in seeds:
            t = time.time()
            synth = p.inverse_transform(enc, seed=seed)
            spent = time.time() - t
            for e in edges:
                trends = None
                if e.parent != e.child:
                    q = edge_quality(data, synth, e, Notes(), 50, 20000, seed, reference=True)
                    trends = q["parent_child"]
                rows[e].append((degrees_ks(data, synth, e), trends, repeats(synth, e), spent))
        for e in edges:
            ks, tr, rep, sec = (np.array([r[k] for r in rows[e]], dtype=float) for k in range(4))
            trend = f"{np.nanmean(tr):.1f}" if not np.isnan(tr).all() else "-"
            print(
                f"| {e.child}.{e.fk} -> {e.parent} | {method} | {ks.mean():.1f} ± {ks.std():.1f} | {trend} | "
                f"{rep.mean():.0f} ({repeats(data, e)}) | {sec.mean():.1f} |"
            )


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--lines-under-invoices", action="store_true")
    ap.add_argument("--tpch", type=float, default=None, help="also TPC-H at this scale factor (bench extra)")
    args = ap.parse_args()
    measure("Chinook, whole", chinook(args.lines_under_invoices), args.seeds)
    if args.tpch:
        measure(f"TPC-H sf {args.tpch}", tpch(args.tpch), args.seeds)


if __name__ == "__main__":
    main()

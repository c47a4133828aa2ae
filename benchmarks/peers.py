"""relsynth beside SDV's HMA and mostlyai-engine on Chinook (artist -> album -> track), several seeds.

Every tool gets the same split (the Kedro job's: conf/base/parameters_data_processing.yml, 220
training artists) with the text columns dropped, fits on the training part, and generates as many
artists as it has. Each (tool, seed) runs in a fresh Python process with one thread, so no run
inherits another's memory or competes with it for cores. Then, per run:

- sdmetrics' multi-table QualityReport (0-1) of the synthetic tables against the held-out ones
  (and against the training ones: a generator that memorises scores high there, not on held-out);
  the held-out ceiling is the training data itself scored the same way;
- relsynth's own quality score (`relsynth.eval.quality_scores`, 0-100) against held-out;
- train and generate seconds, rows generated per table, the process's peak RSS;
- privacy (`relsynth.eval.privacy_scores`): synthetic rows that copy a training row exactly, and the
  share of synthetic rows closer to a training row than to a held-out row (DCR share) beside the
  share expected of a generator that learned the distribution, not the rows (the training share of
  the rows searched).

It prints one markdown table (mean ± sample std over seeds) with the commit it ran on, and writes
every number with --json.

How the peers run (both need the `peers` extra, in their own venv: see benchmarks/README.md):
- SDV HMA: `HMASynthesizer` refuses schemas deeper than 2 levels (`_validate_schema_complexity`);
  artist -> album -> track has 3, so a subclass skips that check. SDV samples with a fixed seed
  (73251: every seed would give the same tables) for its own RNG and for each table's copula, the
  child tables' too (one fresh copula per parent row); both are set to the run's seed. Its fit runs
  on RDT's fixed seeds. Defaults otherwise.
- mostlyai-engine models a parent -> child pair (context -> sequential target), so the tree runs as
  a chain: artist -> album, then album -> track, each a workspace through split, analyze, encode,
  train (defaults: MOSTLY_AI/Medium, its own early stopping), generate; the second model takes the
  albums the first generated as context. Rare categories are generated as frequent ones
  (`rare_category_replacement_method="SAMPLE"`, as relsynth does), not as a `_RARE_` token that
  is no genre. It validates on the same entities relsynth validates on.
- relsynth: the Kedro job's nodes with conf/base's parameters (seed overridden).

    python benchmarks/peers.py --seeds 0 1 2 --tools relsynth sdv mostlyai --json peers.json
    python benchmarks/peers.py --quick --seeds 0          # smoke test: a couple of epochs each
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from quality import load_chinook  # noqa: E402
from throughput import commit  # noqa: E402

from relsynth.relational import Column, RelationalData, Schema  # noqa: E402

TOOLS = ("relsynth", "sdv", "mostlyai")
LABELS = {
    "relsynth": "relsynth",
    "sdv": "SDV HMA (depth check bypassed)",
    "mostlyai": "mostlyai-engine (2-model chain)",
}
QUICK_EPOCHS = 2  # --quick: training epochs of relsynth and mostlyai-engine
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


# ---- data ------------------------------------------------------------------------------------
def conf_params() -> dict:
    """The parameter groups of conf/base (the Kedro job's defaults; conf/local is not read)."""
    params: dict = {}
    for path in sorted((ROOT / "conf/base").glob("parameters*.yml")):
        params |= yaml.safe_load(path.read_text()) or {}
    return params


def without_text(data: RelationalData, drop: list[str] = ()) -> RelationalData:
    """`data` with every text column dropped from the schema and the tables, and the `drop`
    columns (`table.column`) too."""
    spec = data.schema.to_dict()
    for name, table in data.schema.tables.items():
        for col in table.text_columns + [d.split(".", 1)[1] for d in drop if d.split(".", 1)[0] == name]:
            if col not in spec["tables"][name]["columns"] or table.columns[col].is_key:
                raise SystemExit(f"--drop {name}.{col}: no such non-key column")
            del spec["tables"][name]["columns"][col]
    schema = Schema.from_dict(spec)
    return RelationalData(
        {t: data[t][list(schema.tables[t].columns)] for t in schema.tables}, schema, formats=data.formats
    )


def load_split(drop: list[str] = ()) -> tuple[RelationalData, RelationalData, RelationalData]:
    """(train, valid, test) of Chinook without text (and `drop`), split as the Kedro job splits it."""
    from relsynth.pipelines.data_processing.nodes import split_database

    return split_database(without_text(load_chinook(), drop), conf_params()["split"])


def source_tables(data: RelationalData) -> dict[str, pd.DataFrame]:
    """The synthesised tables in their source dtypes (int64, object): what the peers are given."""
    return {t: data.to_source(t) for t in data.schema.synth_tables}


def value_kind(schema: Schema, table: str, col: str) -> str | None:
    """'categorical', 'numerical' or 'datetime' for a modelled column; None for a key."""
    kind = schema.tables[table].columns[col].kind
    if col in schema.lookup_fks(table) or kind in (Column.CATEGORICAL, Column.BOOLEAN, Column.TIME):
        return "categorical"
    if kind in (Column.NUMERIC, Column.INTEGER):
        return "numerical"
    if kind in (Column.DATE, Column.DATETIME):
        return "datetime"
    return None


def value_columns(schema: Schema, table: str) -> list[str]:
    return [c for c in schema.tables[table].columns if value_kind(schema, table, c) is not None]


def sdv_metadata(schema: Schema) -> dict:
    """The synthesised tables as SDV / sdmetrics metadata: keys are ids, lookup keys categorical."""
    tables = {}
    for t in schema.synth_tables:
        cols = {c: {"sdtype": value_kind(schema, t, c) or "id"} for c in schema.tables[t].columns}
        tables[t] = {"columns": cols}
        if schema.tables[t].primary_key:
            tables[t]["primary_key"] = schema.tables[t].primary_key
    relationships = [
        {"parent_table_name": e.parent, "parent_primary_key": schema.tables[e.parent].primary_key,
         "child_table_name": e.child, "child_foreign_key": e.fk}
        for t in schema.synth_tables
        if (e := schema.parent(t)) is not None
    ]  # fmt: skip
    return {"METADATA_SPEC_VERSION": "V1", "tables": tables, "relationships": relationships}


def renumber(tables: dict[str, pd.DataFrame], schema: Schema) -> dict[str, pd.DataFrame]:
    """Primary keys 0..n-1 and foreign keys following them (mostlyai-engine writes UUIDs)."""
    out, maps = {}, {}
    for t in schema.depth_first():
        df = tables[t].reset_index(drop=True).copy()
        pk, edge = schema.tables[t].primary_key, schema.parent(t)
        if edge is not None:
            df[edge.fk] = df[edge.fk].map(maps[edge.parent]).astype("int64")
        if pk:
            maps[t] = pd.Series(np.arange(len(df)), index=df[pk].to_numpy())
            df[pk] = np.arange(len(df))
        out[t] = df
    return out


def as_relational(tables: dict[str, pd.DataFrame], like: RelationalData) -> RelationalData:
    """Synthetic tables as RelationalData with `like`'s schema and lookup tables."""
    schema = like.schema
    synth = {t: tables[t][list(schema.tables[t].columns)] for t in schema.synth_tables}
    return RelationalData(synth | {t: like[t] for t in schema.lookups}, schema)


# ---- the tools (each runs in its own worker process) -------------------------------------------
def run_relsynth(train: RelationalData, valid: RelationalData, seed: int, quick: bool) -> tuple:
    """The Kedro job's nodes at conf/base's parameters: fit, encode, build, train, then generate."""
    from relsynth.pipelines.generation.nodes import generate_synthetic_database
    from relsynth.pipelines.materialisation.nodes import encode_tabular_dataset
    from relsynth.pipelines.preprocessing.nodes import fit_tabular_preproc
    from relsynth.pipelines.tabular_training.nodes import build_tabular_model, train_tabular_model

    p = conf_params()
    training = p["tabular_training"] | {"seed": seed} | ({"n_epochs": QUICK_EPOCHS, "n_steps": None} if quick else {})
    started = time.perf_counter()
    preproc = fit_tabular_preproc(train, p["tabular_encoding"], None)
    ds_train = encode_tabular_dataset(train, preproc, p["tabular_dataset"])
    ds_valid = encode_tabular_dataset(valid, preproc, p["tabular_dataset"])
    model = build_tabular_model(preproc, ds_train, p["tabular_architecture"], seed)
    model, summary = train_tabular_model(model, ds_train, ds_valid, training, p["tabular_validation"], None)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    synth, _ = generate_synthetic_database(model, train, p["tabular_generation"] | {"seed": seed})
    gen_s = time.perf_counter() - started
    info = {k: summary[k] for k in ("n_epochs", "n_steps", "seconds", "best_valid_loss", "stopped_early")}
    return source_tables(synth), train_s, gen_s, info


def run_sdv(train: RelationalData, valid: RelationalData, seed: int, quick: bool) -> tuple:
    """HMASynthesizer at its defaults, its schema-depth check skipped (Chinook's tree has 3 levels)."""
    import sdv.single_table.base
    from sdv.metadata import Metadata
    from sdv.multi_table import HMASynthesizer

    class DeepHMASynthesizer(HMASynthesizer):
        def _validate_schema_complexity(self) -> None:
            """Skipped: SDV refuses more than 2 levels; HMA itself models any depth, slowly."""

    metadata = Metadata.load_from_dict(sdv_metadata(train.schema))
    started = time.perf_counter()
    synthesizer = DeepHMASynthesizer(metadata, verbose=False)
    synthesizer.fit(source_tables(train))
    train_s = time.perf_counter() - started
    synthesizer._numpy_seed = seed  # the multi-table RNG (parents, counts); 73251 otherwise
    sdv.single_table.base.FIXED_RNG_SEED = seed  # each table's copula, read when it starts sampling
    started = time.perf_counter()
    synth = synthesizer.sample_scale(scale=1.0)
    gen_s = time.perf_counter() - started
    return synth, train_s, gen_s, {"depth_check_bypassed": metadata._get_max_schema_depth() > 2}


def run_mostlyai(train: RelationalData, valid: RelationalData, seed: int, quick: bool, work: Path) -> tuple:
    """A chain of context -> target models, one per parent -> child edge, trained on train and
    validated on valid (relsynth's validation entities); generation feeds each model the parent
    rows the previous one generated."""
    from mostlyai import engine

    engine.set_random_state(seed)
    schema = train.schema
    fit = {t: pd.concat([train.to_source(t), valid.to_source(t)], ignore_index=True) for t in schema.synth_tables}
    valid_keys = {t: set(valid[t][schema.tables[t].primary_key]) for t in schema.synth_tables}
    edges = [e for t in schema.depth_first() if (e := schema.parent(t)) is not None]
    if len(schema.roots) != 1:
        raise SystemExit("this benchmark chains one tree: the schema must have one root table")

    def ctx_cols(table: str) -> list[str]:
        return [schema.tables[table].primary_key, *value_columns(schema, table)]

    def encodings(table: str) -> dict[str, str]:
        names = {
            "categorical": "TABULAR_CATEGORICAL",
            "numerical": "TABULAR_NUMERIC_AUTO",
            "datetime": "TABULAR_DATETIME",
        }
        return {c: names[value_kind(schema, table, c)] for c in value_columns(schema, table)}

    started = time.perf_counter()
    for e in edges:
        ws = work / f"{e.parent}-{e.child}"
        val = valid_keys[e.parent]
        engine.split(
            tgt_data=fit[e.child][[schema.tables[e.child].primary_key, e.fk, *value_columns(schema, e.child)]],
            ctx_data=fit[e.parent][ctx_cols(e.parent)],
            tgt_primary_key=schema.tables[e.child].primary_key,
            ctx_primary_key=schema.tables[e.parent].primary_key,
            tgt_context_key=e.fk,
            tgt_encoding_types=encodings(e.child),
            ctx_encoding_types=encodings(e.parent),
            trn_val_split=lambda keys, val=val: (keys[~keys.isin(val)], keys[keys.isin(val)]),
            workspace_dir=ws,
        )
        engine.analyze(workspace_dir=ws)
        engine.encode(workspace_dir=ws)
        engine.train(workspace_dir=ws, max_epochs=QUICK_EPOCHS if quick else 100.0)
    train_s = time.perf_counter() - started
    started = time.perf_counter()
    root = schema.roots[0]
    synth = {root: pd.DataFrame({schema.tables[root].primary_key: np.arange(len(train[root]))})}
    for e in edges:
        ws = work / f"{e.parent}-{e.child}"
        engine.generate(
            ctx_data=synth[e.parent][ctx_cols(e.parent)], rare_category_replacement_method="SAMPLE", workspace_dir=ws
        )
        synth[e.child] = pd.read_parquet(ws / "SyntheticData")
    gen_s = time.perf_counter() - started
    return synth, train_s, gen_s, {"model": "MOSTLY_AI/Medium", "chain": [f"{e.parent}->{e.child}" for e in edges]}


def tool_version(tool: str) -> str:
    from importlib.metadata import version

    return version({"relsynth": "relsynth", "sdv": "sdv", "mostlyai": "mostlyai-engine"}[tool])


def worker(tool: str, seed: int, quick: bool, out: Path, drop: list[str]) -> None:
    """One (tool, seed): train, generate, write the synthetic tables and the timings to `out`."""
    import torch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    train, valid, _ = load_split(drop)
    if tool == "mostlyai":
        synth, train_s, gen_s, info = run_mostlyai(train, valid, seed, quick, out / "workspaces")
    else:
        runner: Callable = {"relsynth": run_relsynth, "sdv": run_sdv}[tool]
        synth, train_s, gen_s, info = runner(train, valid, seed, quick)
    for t, df in renumber(synth, train.schema).items():
        df.to_parquet(out / f"{t}.parquet", index=False)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"train_s": train_s, "gen_s": gen_s, "peak_rss_mb": peak_mb, "version": tool_version(tool), "info": info}
    (out / "result.json").write_text(json.dumps(result, default=str))


# ---- scoring ---------------------------------------------------------------------------------
def sdmetrics_quality(real: RelationalData, synth: RelationalData) -> dict:
    """sdmetrics' QualityReport over the synthesised tables: the score and its four properties."""
    from sdmetrics.reports import QualityReport

    report = QualityReport()
    report.generate(source_tables(real), source_tables(synth), sdv_metadata(real.schema), verbose=False)
    props = report.get_properties()
    return {"score": float(report.get_score())} | {r.Property: float(r.Score) for r in props.itertuples()}


def score(train: RelationalData, test: RelationalData, synth: RelationalData) -> dict:
    from relsynth.eval import privacy_scores, quality_scores

    privacy = privacy_scores(train, test, synth)
    tables = privacy["tables"]
    copies = [round(s["exact_copy_rate"] * s["n_synth"]) for s in tables.values() if s["exact_copy_rate"] is not None]
    return {
        "sdmetrics": sdmetrics_quality(test, synth),
        "sdmetrics_vs_train": sdmetrics_quality(train, synth),
        "relsynth_quality": quality_scores(test, synth)["overall"]["quality"],
        "exact_copies": sum(copies),
        "dcr_share_train_closer": privacy["overall"]["dcr_share_train_closer"],
        "dcr_baseline": privacy["overall"]["dcr_baseline"],
        "privacy_tables": tables,
        "rows": {t: len(synth[t]) for t in synth.schema.synth_tables},
    }


def ceiling(train: RelationalData, test: RelationalData) -> dict:
    """The training data scored as a synthetic database would be (its copies: held-out rows equal
    to a training row, the rate the data has by itself)."""
    from relsynth.eval import privacy_scores, quality_scores

    tables = privacy_scores(train, test, test)["tables"]
    return {
        "sdmetrics": sdmetrics_quality(test, train),
        "sdmetrics_vs_train": sdmetrics_quality(train, test),
        "relsynth_quality": quality_scores(test, train)["overall"]["quality"],
        "exact_copies": sum(
            round(s["exact_copy_rate_test"] * s["n_test"])
            for s in tables.values()
            if s["exact_copy_rate_test"] is not None
        ),
        "rows": {t: len(train[t]) for t in train.schema.synth_tables},
    }


# ---- the driver ------------------------------------------------------------------------------
def run_worker(tool: str, seed: int, quick: bool, out: Path, drop: list[str]) -> dict:
    """`worker` in a fresh process with one thread; its output goes to out/log.txt."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = (
        [sys.executable, __file__, "--worker", tool, "--seed", str(seed), "--out", str(out)]
        + ["--quick"] * quick
        + ["--drop", *drop] * bool(drop)
    )
    env = os.environ | {v: "1" for v in THREAD_VARS} | {"TOKENIZERS_PARALLELISM": "false"}
    env |= {"KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    started = time.perf_counter()
    with (out / "log.txt").open("w") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    if rc != 0:
        tail = (out / "log.txt").read_text().splitlines()[-15:]
        print(f"{tool} seed {seed} failed (exit {rc}); last lines of {out / 'log.txt'}:", *tail, sep="\n  ", flush=True)
        return {"tool": tool, "seed": seed, "error": f"exit {rc}", "log_tail": tail}
    result = json.loads((out / "result.json").read_text())
    return {"tool": tool, "seed": seed, "wall_s": time.perf_counter() - started} | result


def fmt(values: list[float], digits: int) -> str:
    v = np.array([x for x in values if x is not None], dtype=float)
    if not len(v):
        return ""
    if len(v) == 1:
        return f"{v[0]:,.{digits}f}"
    return f"{v.mean():,.{digits}f} ± {v.std(ddof=1):,.{digits}f}"


def markdown(runs: list[dict], ceil: dict, tables: list[str]) -> str:
    real = " / ".join(f"{ceil['rows'][t]:,}" for t in tables)
    baseline = next((r["dcr_baseline"] for r in runs if r.get("dcr_baseline") is not None), None)
    head = [
        "",
        "sdmetrics vs held-out",
        "sdmetrics vs train",
        "relsynth quality",
        "train s",
        "generate s",
        f"rows {' / '.join(tables)} (real {real})",
        "exact copies",
        f"DCR share train-closer (expected {baseline:.3f})" if baseline is not None else "DCR share train-closer",
        "peak RSS MB",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines.append(
        f"| held-out ceiling | {ceil['sdmetrics']['score']:.3f} | {ceil['sdmetrics_vs_train']['score']:.3f} | "
        f"{ceil['relsynth_quality']:.1f} | | | {real} | {ceil['exact_copies']} (held-out rows) | | |"
    )
    for tool in dict.fromkeys(r["tool"] for r in runs):
        ok = [r for r in runs if r["tool"] == tool and "error" not in r]
        failed = len([r for r in runs if r["tool"] == tool]) - len(ok)
        name = (
            LABELS[tool]
            + (f", {len(ok)} seeds" if len(ok) != 1 else ", 1 seed")
            + (f", {failed} failed" if failed else "")
        )
        if not ok:
            lines.append(f"| {name} |" + " |" * (len(head) - 1))
            continue
        rows = " / ".join(fmt([r["rows"][t] for r in ok], 0) for t in tables)
        cells = [
            fmt([r["sdmetrics"]["score"] for r in ok], 3),
            fmt([r["sdmetrics_vs_train"]["score"] for r in ok], 3),
            fmt([r["relsynth_quality"] for r in ok], 1),
            fmt([r["train_s"] for r in ok], 0),
            fmt([r["gen_s"] for r in ok], 1),
            rows,
            fmt(copies, 1) if len(set(copies := [r["exact_copies"] for r in ok])) > 1 else str(copies[0]),
            fmt([r["dcr_share_train_closer"] for r in ok], 3),
            fmt([r["peak_rss_mb"] for r in ok], 0),
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def git_state() -> str:
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src"], capture_output=True, text=True)
    return commit() + (" (uncommitted changes in src/)" if dirty.stdout.strip() else "")


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def versions(runs: list[dict]) -> dict:
    from importlib.metadata import version

    out = {r["tool"]: r["version"] for r in runs if "version" in r}
    return out | {p: version(p) for p in ("torch", "pandas", "numpy", "sdmetrics")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_EPOCHS} training epochs (a smoke test)")
    ap.add_argument("--json", type=Path, default=None, help="write every number here")
    ap.add_argument("--drop", nargs="+", default=[], metavar="TABLE.COLUMN", help="leave these columns out too")
    ap.add_argument("--keep", type=Path, default=None, help="keep the synthetic tables and logs in this folder")
    ap.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.seed, args.quick, args.out, args.drop)
        return
    warnings.filterwarnings("ignore")
    started, commit_at_start = time.perf_counter(), git_state()
    train, _, test = load_split(args.drop)
    ceil = ceiling(train, test)
    tables = train.schema.synth_tables
    runs = []
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
        work = args.keep or Path(tmp)
        for seed in args.seeds:
            for tool in args.tools:
                out = work / f"{tool}-{seed}"
                r = run_worker(tool, seed, args.quick, out, args.drop)
                if "error" not in r:
                    synth = {t: pd.read_parquet(out / f"{t}.parquet") for t in tables}
                    r |= score(train, test, as_relational(synth, train))
                runs.append(r)
                brief = {k: r.get(k) for k in ("train_s", "gen_s", "rows", "exact_copies", "dcr_share_train_closer")}
                print(f"{tool} seed {seed}: sdmetrics {r.get('sdmetrics', {}).get('score')}, {brief}", flush=True)
    table = markdown(runs, ceil, tables)
    at_end = git_state()
    ran_on = commit_at_start if at_end == commit_at_start else f"{commit_at_start} (at the end: {at_end})"
    head = f"commit {ran_on}, {dt.date.today()}, {machine()}, one thread per tool"
    head += (", --quick" if args.quick else "") + (f", also dropped: {' '.join(args.drop)}" if args.drop else "")
    print(f"\n{head}\n{json.dumps(versions(runs))}\n\n{table}")
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if args.json:
        doc = {"commit": ran_on, "date": str(dt.date.today()), "machine": machine(), "quick": args.quick}
        doc |= {"drop": args.drop, "versions": versions(runs), "ceiling": ceil, "runs": runs, "table": table}
        args.json.write_text(json.dumps(doc, indent=1, default=str))


if __name__ == "__main__":
    main()

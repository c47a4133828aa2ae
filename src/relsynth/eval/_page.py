"""The report's HTML page: the results and the data turned into the template's context, then rendered.

The page is `templates/report.html.j2` (Jinja2, autoescaped); everything a person reads there
(headings, the "how to read this" lines) lives in the template, and this module only hands it
numbers, sample rows and figures. Figures are inline SVG and the page needs no JavaScript, no
network and no other file.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from relsynth.eval import _plots
from relsynth.eval._common import GENERATION, TRAINING, column_roles, lookup_labels
from relsynth.eval.quality import children_counts
from relsynth.relational import Column, Edge, RelationalData

N_SAMPLE_ROWS = 5  # real and synthetic rows shown per table
CEILING_ONLY = {"bigram_reused_share"}  # text measures of the real texts alone: shown in the ceiling column
QUALITY_KEYS = ["quality", "column_shapes", "column_pairs", "cardinality", "parent_child"]
TEXT_MEASURES = [  # (key, label, format): the text section's rows
    ("vocab_seen_share", "words seen in training", "share"),
    ("bigram_seen_share", "word pairs seen in training", "share"),
    ("bigram_reused_share", "word pairs seen in training, expected of unseen texts", "share"),
    ("invalid_rate", "invalid characters", "share"),
    ("verbatim_share", "verbatim copies of training texts", "share"),
    ("consistency", "consistency: words → category", "share"),
    ("parent_word_share", "shares a word with its parent's text", "share"),
    ("length", "length (KS complement)", "score"),
    ("vocab_jaccard", "vocabulary overlap (Jaccard)", "score"),
    ("null_rate_diff", "null-rate difference", "share"),
]


def fmt(value: object, kind: str = "num") -> str:
    """A number as the page shows it: `score` 0–100 with one decimal, `share` 0–1 as a percentage,
    `num` four significant digits; None (nothing to compare) as an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "score":
        return f"{value:.1f}"
    if kind == "share":
        return f"{100 * value:.1f} %" if value >= 0.001 or value == 0 else f"{100 * value:.2g} %"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("relsynth.eval", "templates"),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt field fails the render instead of printing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    return env


def render(result: dict, train: RelationalData, test: RelationalData, synth: RelationalData, seed: int = 0) -> str:
    """The HTML page of a `report` result."""
    tables = [_table(t, result, test, synth, seed) for t in train.schema.synth_tables]
    context = {
        "result": result,
        "summary": _summary(result),
        "held_out": _held_out(result, train),
        "tables": tables,
        "edges": _edges(result, test, synth),
        "text": _text(result, test, synth),
        "privacy": result["privacy"]["tables"],
        "too_few": result["too_few_held_out"],  # table -> its held-out rows, too few to judge: not scored
        "lookups": list(train.schema.lookups),
        # the training's and the generation's own warnings have their sections beside the summary; the rest are
        # the scoring's
        "evaluation_warnings": [
            w for w in result["warnings"] if not w.startswith((f"{GENERATION}: ", f"{TRAINING}: "))
        ],
    }
    return _environment().get_template("report.html.j2").render(**context)


# ---- summary -------------------------------------------------------------------------------
def _summary(result: dict) -> list[dict]:
    o, noise = result["overall"], result["ceiling_noise"]
    rows = []
    for key in QUALITY_KEYS + ["text"]:
        band = (noise.get(key) or {}).get("interval") if key in ("column_shapes", "cardinality") else None
        rows.append({"key": key, "synth": o[key], "ceiling": o[f"{key}_ceiling"], "kind": "score", "noise": band})
    rows.append(_share_row("text_verbatim_share", o["text_verbatim_share"], o["text_verbatim_share_ceiling"]))
    if o["orders_kept"] is not None:  # only where the training rows keep some order of dates
        rows.append(_share_row("orders_kept", o["orders_kept"], o["orders_kept_ceiling"]))
    rows.append(_share_row("exact_copy_rate", o["exact_copy_rate"], o["exact_copy_rate_ceiling"]))
    rows.append(_share_row("dcr_share_train_closer", o["dcr_share_train_closer"], o["dcr_baseline"]))
    return rows


def _share_row(key: str, synth: float | None, ceiling: float | None) -> dict:
    return {"key": key, "synth": synth, "ceiling": ceiling, "kind": "share", "noise": None}


def _held_out(result: dict, train: RelationalData) -> dict:
    """The held-out part's size in root entities and rows, for the ceiling-noise line."""
    n = result["n_rows"]["test"]
    return {"roots": {r: n[r] for r in train.schema.roots}, "rows": {t: n[t] for t in train.schema.synth_tables}}


# ---- tables --------------------------------------------------------------------------------
def _table(table: str, result: dict, test: RelationalData, synth: RelationalData, seed: int) -> dict:
    q, c = result["quality"]["tables"][table], result["quality_ceiling"]["tables"][table]
    roles = column_roles(test.schema, table)
    lookups = test.schema.lookup_fks(table)
    columns = [
        {
            "name": col,
            "kind": f"lookup → {lookups[col]}" if col in lookups else test.schema.tables[table].columns[col].kind.value,
            "metric": d["metric"],
            "score": d["score"],
            "ceiling": c["columns"][col]["score"],
            "null_real": d["null_rate_real"],
            "null_synth": d["null_rate_synth"],
        }
        for col, d in q["columns"].items()
    ]
    ceiling_pairs = {tuple(p["columns"]): p["score"] for p in c["pairs"]}
    pairs = [
        {"name": " × ".join(p["columns"]), "metric": p["metric"], "score": p["score"],
         "ceiling": ceiling_pairs.get(tuple(p["columns"]))}
        for p in q["pairs"]
    ]  # fmt: skip
    histograms, log_columns = _plots.column_histograms(test, synth, table, roles)
    return {
        "name": table,
        "quality": q,
        "ceiling": c,
        "columns": columns,
        "pairs": pairs,
        "histograms": _markup(histograms),
        "log_columns": log_columns,
        "heatmaps": _markup(_plots.heatmaps(test, synth, table, roles)),
        "samples": sample_rows(test, synth, table, seed=seed),
        "too_few": result["too_few_held_out"].get(table),  # held-out rows, where too few to judge
    }


def _markup(svg: str | None) -> Markup | None:
    return Markup(svg) if svg else None  # matplotlib escapes the text it writes into the SVG


def sample_rows(real: RelationalData, synth: RelationalData, table: str, n: int = N_SAMPLE_ROWS, seed: int = 0) -> dict:
    """`n` random rows of `table` from each side, as display strings (None for a null), keys left
    out (primary, parent and reference keys differ by construction) and lookup keys shown as their labels; `numeric` says which
    columns to align right."""
    schema = real.schema
    skip = {c for c, k in schema.tables[table].columns.items() if k.kind is Column.PRIMARY_KEY}
    edge = schema.parent(table)
    skip |= {edge.fk} if edge is not None else set()
    skip |= {ref.fk for ref in schema.references(table)}  # keys of synthesised rows too: new by design
    columns = [c for c in schema.tables[table].columns if c not in skip]
    labels = lookup_labels(real, table)

    def rows(data: RelationalData) -> list[list[str | None]]:
        df = data[table]
        picked = df.sample(n=min(n, len(df)), random_state=seed).index if len(df) else df.index
        df = data.to_source(table).loc[picked]  # as the source spells them: yes/no, "00501", its date pattern
        return [
            [_cell(v, labels.get(c)) for c, v in zip(columns, row, strict=True)]
            for row in df[columns].itertuples(index=False)
        ]

    kinds = schema.tables[table].columns
    numeric = [kinds[c].kind in (Column.NUMERIC, Column.INTEGER) and c not in labels for c in columns]
    return {"columns": columns, "numeric": numeric, "real": rows(real), "synth": rows(synth)}


def _cell(value: object, labels: dict[str, str] | None) -> str | None:
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if labels is not None:
        key = str(int(value)) if isinstance(value, float | np.floating) and float(value).is_integer() else str(value)
        return labels.get(key, key)
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds").removesuffix(" 00:00:00")
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | np.integer):
        return f"{int(value):,}" if abs(value) >= SEPARATE_FROM else str(int(value))
    if isinstance(value, float | np.floating):
        return _data_number(float(value))
    return str(value)


SEPARATE_FROM = 10_000  # thousands separators from here: a year stays 2008, not 2,008


def _data_number(x: float) -> str:
    """A value of the data as a sample row shows it: with thousands separators from 10,000 and at
    most two decimals (129,300.5; 3854; 0.99), never in exponent form unless it is tiny or huge."""
    if x == 0 or not math.isfinite(x) or 1e-2 <= abs(x) < 1e15:
        spec = ",.2f" if abs(x) >= SEPARATE_FROM else ".2f"
        return format(x, spec).rstrip("0").rstrip(".") if math.isfinite(x) else str(x)
    return f"{x:.4g}"


# ---- parents and children ------------------------------------------------------------------
def _edges(result: dict, test: RelationalData, synth: RelationalData) -> list[dict]:
    out = []
    for name, e in result["quality"]["edges"].items():
        edge = Edge(child=e["child"], fk=e["fk"], parent=e["parent"])
        figure = None  # a reference's counts in a part of the database are not comparable (`edge_quality`)
        if not e.get("reference"):
            figure = _markup(_plots.children_histogram(children_counts(test, edge), children_counts(synth, edge), name))
        too_few = {t: n for t, n in result["too_few_held_out"].items() if t in (edge.parent, edge.child)}
        note = ", ".join(f"{t}: {n}" for t, n in too_few.items())  # the edge's tables too small to judge
        out.append(
            {"name": name, "e": e, "c": result["quality_ceiling"]["edges"][name], "figure": figure, "too_few": note}
        )
    return out


# ---- text ----------------------------------------------------------------------------------
def _text(result: dict, test: RelationalData, synth: RelationalData) -> dict | None:
    cols, ceiling = result["text"]["columns"], result["text_ceiling"]["columns"]
    if not cols:
        return None
    measures = [
        {
            "label": label,
            "kind": kind,
            "values": [(None if key in CEILING_ONLY else cols[n].get(key), ceiling.get(n, {}).get(key)) for n in cols],
        }
        for key, label, kind in TEXT_MEASURES
    ]
    samples = [
        {"name": n, "real": ceiling.get(n, {}).get("samples", []), "synth": cols[n].get("samples", [])} for n in cols
    ]
    names = [text_column(test, n) for n in cols]
    return {
        "columns": list(cols),
        "targets": [cols[n].get("consistency_target") for n in cols],
        "measures": measures,
        "samples": samples,
        "lengths": _markup(_plots.text_length_histograms(test, synth, names)),
    }


def text_column(data: RelationalData, name: str) -> tuple[str, str]:
    """The (table, column) a text score's `table.column` name stands for, read from the schema:
    table and column names may hold dots themselves (`"sales.2024".note`)."""
    schema = data.schema
    where = {f"{t}.{c}": (t, c) for t in schema.synth_tables for c in schema.tables[t].text_columns}
    return where[name]

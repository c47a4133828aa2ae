"""`report`: every score of a synthetic database beside its ceiling, as a dict, a JSON and an HTML page.

The synthetic data is scored against held-out real data (test). The *ceiling* is what real data
scores: the held-out rows scored the same way against the training rows, so a synthetic score is
read against what a perfect generator (another sample of the real distribution) would reach.
Privacy compares the synthetic rows with training and test rows (see `privacy`).
"""

from __future__ import annotations

import html
import json
import logging
import time
from pathlib import Path

from relsynth.eval import _plots
from relsynth.eval._common import column_roles, plain
from relsynth.eval.privacy import privacy_scores
from relsynth.eval.quality import children_counts, quality_scores
from relsynth.eval.text import text_scores
from relsynth.relational import RelationalData

log = logging.getLogger(__name__)

_QUALITY_KEYS = ["quality", "column_shapes", "column_pairs", "cardinality", "parent_child"]


def _headline(quality: dict, quality_ceiling: dict, text: dict, text_ceiling: dict, privacy: dict) -> dict:
    out = {}
    for key in _QUALITY_KEYS:
        out[key], out[f"{key}_ceiling"] = quality["overall"][key], quality_ceiling["overall"][key]
    out["text"], out["text_ceiling"] = text["overall"]["text"], text_ceiling["overall"]["text"]
    out["text_verbatim_share"] = text["overall"]["verbatim_share"]
    out["text_verbatim_share_ceiling"] = text_ceiling["overall"]["verbatim_share"]
    p = privacy["overall"]
    out["dcr_share_train_closer"], out["dcr_baseline"] = p["dcr_share_train_closer"], p["dcr_baseline"]
    out["exact_copy_rate"], out["exact_copy_rate_ceiling"] = p["exact_copy_rate"], p["exact_copy_rate_test"]
    return out


def report(
    data_train: RelationalData,
    data_test: RelationalData,
    data_synth: RelationalData,
    path: str | Path | None = None,
    *,
    max_pairs: int = 50,
    max_rows: int = 20_000,
    max_rows_privacy: int = 5_000,
    seed: int = 0,
    return_html: bool = False,
) -> dict:
    """Score `data_synth` against `data_test`, beside the ceiling `data_test` against `data_train`.

    Returns a JSON-serialisable dict: `overall` (headline numbers: quality, column_shapes,
    column_pairs, cardinality, parent_child, text — each with its `_ceiling` — text_verbatim_share(_ceiling),
    dcr_share_train_closer, dcr_baseline, exact_copy_rate, exact_copy_rate_ceiling), then the full
    results `quality`, `quality_ceiling`, `text`, `text_ceiling`, `privacy`, and `n_rows`, `seconds`
    (time to score, plots not included), `warnings`. Scores are 0–100, shares and rates 0–1, None where nothing could be compared.
    With `path`, writes a self-contained HTML page there and the dict as JSON at `path` with `.json`.
    With `return_html`, the result also holds that page's text under `html` (nothing is written
    unless `path` is given; the JSON never holds it).
    """
    if path is not None and Path(path).suffix.lower() == ".json":
        raise ValueError(f"path is the HTML report's path (the JSON goes beside it), got a .json path: {path}")
    start = time.perf_counter()
    quality = quality_scores(data_test, data_synth, max_pairs=max_pairs, max_rows=max_rows, seed=seed)
    quality_ceiling = quality_scores(data_train, data_test, max_pairs=max_pairs, max_rows=max_rows, seed=seed)
    text = text_scores(data_test, data_synth, train=data_train)
    text_ceiling = text_scores(data_train, data_test, train=data_train)
    privacy = privacy_scores(data_train, data_test, data_synth, max_rows=max_rows_privacy, seed=seed)
    parts = {"quality": quality, "quality_ceiling": quality_ceiling, "text": text, "text_ceiling": text_ceiling}
    result = {
        "overall": _headline(quality, quality_ceiling, text, text_ceiling, privacy),
        **parts,
        "privacy": privacy,
        "n_rows": {"train": data_train.n_rows(), "test": data_test.n_rows(), "synth": data_synth.n_rows()},
        "warnings": [f"{name}: {w}" for name, part in {**parts, "privacy": privacy}.items() for w in part["warnings"]],
    }
    result = plain({**result, "seconds": round(time.perf_counter() - start, 3)})
    page = _html(result, data_train, data_test, data_synth) if path is not None or return_html else None
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        path.with_suffix(".json").write_text(json.dumps(result, indent=2, allow_nan=False), encoding="utf-8")
        log.info("evaluation report written to %s (%.1f s)", path, time.perf_counter() - start)
    return {**result, "html": page} if return_html else result


# ---- HTML ----------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}img{max-width:100%}
.warn{color:#a15c00}h2{border-bottom:2px solid #ddd;padding-bottom:.2em}
"""


def _fmt(v: object) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1 else f"{v:.2f}"
    return html.escape(str(v))


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _img(b64: str | None, alt: str) -> str:
    return f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}"></p>' if b64 else ""


def _summary(result: dict) -> str:
    o = result["overall"]
    rows = [[k.replace("_", " "), o[k], o[f"{k}_ceiling"]] for k in [*_QUALITY_KEYS, "text", "text_verbatim_share"]]
    rows += [["exact copy rate", o["exact_copy_rate"], o["exact_copy_rate_ceiling"]]]
    rows += [["DCR share closer to train (baseline beside)", o["dcr_share_train_closer"], o["dcr_baseline"]]]
    n = result["n_rows"]
    sizes = [[t, n["train"][t], n["test"][t], n["synth"][t]] for t in n["train"]]
    return (
        "<h2>Summary</h2><p>Scores 0–100 (higher is closer to the real data), shares 0–1. The ceiling is the "
        "held-out real data scored against the training data: what a perfect generator reaches.</p>"
        + _table(["measure", "synthetic vs test", "ceiling (test vs train)"], rows)
        + _table(["table", "train rows", "test rows", "synthetic rows"], sizes)
    )


def _table_section(table: str, result: dict, train: RelationalData, test: RelationalData, synth: RelationalData) -> str:
    q, c = result["quality"]["tables"][table], result["quality_ceiling"]["tables"][table]
    out = f"<h2>Table {html.escape(table)}</h2>"
    out += _table(
        ["", "synthetic", "ceiling"],
        [
            ["column shapes", q["column_shapes"], c["column_shapes"]],
            ["column pairs", q["column_pairs"], c["column_pairs"]],
        ],
    )
    rows = [
        [col, d["metric"], d["score"], c["columns"][col]["score"], d["null_rate_real"], d["null_rate_synth"]]
        for col, d in q["columns"].items()
    ]
    if rows:
        out += _table(["column", "metric", "score", "ceiling", "null rate test", "null rate synthetic"], rows)
    roles = column_roles(train.schema, table)
    out += _img(_plots.column_histograms(test, synth, table, roles), f"{table} column histograms")
    if q["pairs"]:
        ceiling = {tuple(p["columns"]): p["score"] for p in c["pairs"]}
        pairs = [
            [" × ".join(p["columns"]), p["metric"], p["score"], ceiling.get(tuple(p["columns"]))] for p in q["pairs"]
        ]
        out += "<details><summary>column pairs</summary>" + _table(["pair", "metric", "score", "ceiling"], pairs)
        out += "</details>"
    out += _img(_plots.heatmaps(test, synth, table, roles), f"{table} association heatmaps")
    return out


def _edge_section(result: dict, train: RelationalData, test: RelationalData, synth: RelationalData) -> str:
    edges, ceiling = result["quality"]["edges"], result["quality_ceiling"]["edges"]
    if not edges:
        return ""
    rows = []
    for name, e in edges.items():
        c = ceiling[name]
        rows.append(
            [
                name,
                e["cardinality"],
                c["cardinality"],
                e["cardinality_tv"],
                c["cardinality_tv"],
                e["children_mean_real"],
                e["children_mean_synth"],
                e["parent_child"],
                c["parent_child"],
            ]
        )
    out = "<h2>Parents and children</h2>" + _table(
        [
            "edge",
            "cardinality (KS)",
            "ceiling",
            "cardinality (TV)",
            "ceiling",
            "children/parent test",
            "children/parent synthetic",
            "parent→child trends",
            "ceiling",
        ],
        rows,
    )
    for name, e in edges.items():
        edge = test.schema.parent(e["child"])
        out += _img(_plots.children_histogram(children_counts(test, edge), children_counts(synth, edge), name), name)
    return out


def _text_section(result: dict, test: RelationalData, synth: RelationalData) -> str:
    cols, ceiling = result["text"]["columns"], result["text_ceiling"]["columns"]
    if not cols:
        return ""
    keys = [
        "length",
        "vocab_seen_share",
        "bigram_seen_share",
        "invalid_rate",
        "verbatim_share",
        "consistency",
        "parent_word_share",
        "vocab_jaccard",
        "null_rate_diff",
    ]
    rows = [[name] + [v for k in keys for v in (d.get(k), ceiling[name].get(k))] for name, d in cols.items()]
    header = ["column"] + [h for k in keys for h in (k.replace("_", " "), "ceiling")]
    names = [tuple(n.split(".", 1)) for n in cols]
    samples = [
        [name, real, fake]
        for name, d in cols.items()
        for real, fake in zip(ceiling[name].get("samples", []), d.get("samples", []), strict=False)
    ]
    return (
        "<h2>Text</h2><p>Beside each score its ceiling: the held-out real texts scored the same way. Word-seen and "
        "bigram-seen: shares of words and adjacent word pairs found in the training texts; invalid: texts holding "
        "U+FFFD or a control character the training texts never had; verbatim: texts equal to a training text; "
        "consistency: a words-to-category classifier's accuracy on the rows; parent word: texts sharing a word with "
        "their parent's text.</p>"
        + _table(header, rows)
        + "<p>Random samples, real held-out beside synthetic:</p>"
        + _table(["column", "real", "synthetic"], samples)
        + _img(_plots.text_length_histograms(test, synth, names), "text lengths")
    )


def _privacy_section(result: dict) -> str:
    keys = [
        "dcr_share_train_closer",
        "dcr_baseline",
        "dcr_synth_train_median",
        "dcr_test_train_median",
        "exact_copy_rate",
        "exact_copy_rate_test",
    ]
    rows = [[t] + [d[k] for k in keys] for t, d in result["privacy"]["tables"].items()]
    return (
        "<h2>Privacy</h2><p>DCR: share of synthetic rows whose nearest training row is nearer than their nearest "
        "test row (ideal: the baseline, the training share of the rows searched). Exact copies: synthetic rows "
        "equal to a training row on every non-key column; beside it the same rate for test rows.</p>"
        + _table(["table", *[k.replace("_", " ") for k in keys]], rows)
    )


def _html(result: dict, train: RelationalData, test: RelationalData, synth: RelationalData) -> str:
    body = _summary(result)
    for table in train.schema.synth_tables:
        body += _table_section(table, result, train, test, synth)
    body += _edge_section(result, train, test, synth)
    body += _text_section(result, test, synth)
    body += _privacy_section(result)
    if result["warnings"]:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in result["warnings"])
        body += f'<h2>Warnings</h2><ul class="warn">{items}</ul>'
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>relsynth evaluation report</title>'
        f"<style>{_CSS}</style></head><body><h1>relsynth evaluation report</h1>{body}"
        f"<p>Computed in {result['seconds']:.1f} s.</p></body></html>"
    )

"""`report`: every score of a synthetic database beside its ceiling, as a dict, a JSON and an HTML page.

The synthetic data is scored against held-out real data (test). The *ceiling* is what real data
scores: the held-out rows scored the same way against the training rows, so a synthetic score is
read against what a perfect generator (another sample of the real distribution) would reach; how
noisy that ceiling is comes from a bootstrap over the held-out root entities (`ceiling_noise`).
Privacy compares the synthetic rows with training and test rows (see `privacy`). The page is
rendered from a Jinja2 template (`_page`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from relsynth.eval import _page
from relsynth.eval._common import GENERATION, TRAINING, plain
from relsynth.eval.orders import order_scores
from relsynth.eval.privacy import privacy_scores
from relsynth.eval.quality import ceiling_noise, quality_scores
from relsynth.eval.text import text_scores
from relsynth.relational import RelationalData

log = logging.getLogger(__name__)

_QUALITY_KEYS = ["quality", "column_shapes", "column_pairs", "cardinality", "parent_child"]
HELD_OUT = "held-out"  # the report's part that warns of tables too small in the held-out data to judge


def too_few_held_out(data_test: RelationalData, min_test_rows: int) -> dict[str, int]:
    """Synthesised tables with fewer than `min_test_rows` held-out rows -> that number. Against one
    or a few real rows a score says nothing (a one-row table's column shapes are 0 or 100, its DCR
    is the distance to that one row), so `report` leaves them and their edges out."""
    if isinstance(min_test_rows, bool) or not isinstance(min_test_rows, int) or min_test_rows < 1:
        raise ValueError(
            f"min_test_rows must be a whole number >= 1 (held-out rows a table needs), got {min_test_rows!r}"
        )
    counts = {t: len(data_test[t]) for t in data_test.schema.synth_tables}
    return {t: n for t, n in counts.items() if n < min_test_rows}


def _too_few_warning(too_few: Mapping[str, int], min_test_rows: int) -> list[str]:
    if not too_few:
        return []
    tables = ", ".join(f"{t} ({n})" for t, n in too_few.items())
    return [
        f"too few held-out rows (fewer than min_test_rows={min_test_rows}) to judge table(s) {tables}: their "
        "quality, text and DCR scores and their edges' are left out of the scores and the averages"
    ]


def _all_too_few_warning(data_test: RelationalData, min_test_rows: int) -> str:
    rows = ", ".join(f"{t} ({len(data_test[t])})" for t in data_test.schema.synth_tables)
    return (
        f"every table has fewer than min_test_rows={min_test_rows} held-out rows ({rows}): each with any is "
        "judged anyway, so the scores are noisy; hold out more rows (a larger test share) for a firm figure"
    )


def report_warnings(parts: dict[str, dict]) -> list[str]:
    """Each part's warnings as `part: warning`, a warning once: a ceiling's warning that its part
    gave word for word (a table the held-out data lacks, said of both) is not repeated."""
    out, seen = [], set()
    for name, part in parts.items():
        for w in part["warnings"]:
            if (name.removesuffix("_ceiling"), w) not in seen:
                out.append(f"{name}: {w}")
                seen.add((name.removesuffix("_ceiling"), w))
    return out


def _headline(
    quality: dict, quality_ceiling: dict, text: dict, text_ceiling: dict, orders: dict, privacy: dict
) -> dict:
    out = {}
    for key in _QUALITY_KEYS:
        out[key], out[f"{key}_ceiling"] = quality["overall"][key], quality_ceiling["overall"][key]
    out["text"], out["text_ceiling"] = text["overall"]["text"], text_ceiling["overall"]["text"]
    out["text_verbatim_share"] = text["overall"]["verbatim_share"]
    out["text_verbatim_share_ceiling"] = text_ceiling["overall"]["verbatim_share"]
    out["orders_kept"], out["orders_kept_ceiling"] = orders["overall"]["kept"], orders["overall"]["kept_ceiling"]
    p = privacy["overall"]
    out["dcr_share_train_closer"], out["dcr_baseline"] = p["dcr_share_train_closer"], p["dcr_baseline"]
    out["exact_copy_rate"], out["exact_copy_rate_ceiling"] = p["exact_copy_rate"], p["exact_copy_rate_test"]
    return out


def _dp_guarantee(dp: Mapping[str, Any] | None) -> dict | None:
    """`dp` checked: epsilon (positive) and delta (in [0, 1)) required, accountant optional."""
    if dp is None:
        return None
    missing = sorted({"epsilon", "delta"} - set(dp))
    if missing:
        raise ValueError(f"report(dp=...) needs epsilon and delta (the trainer's result has both), missing {missing}")
    epsilon, delta = float(dp["epsilon"]), float(dp["delta"])
    if not (epsilon > 0 and 0 <= delta < 1):
        raise ValueError(f"report(dp=...): epsilon must be > 0 and delta in [0, 1), got {epsilon}, {delta}")
    return {"epsilon": epsilon, "delta": delta, "accountant": dp.get("accountant")}


def report(
    data_train: RelationalData,
    data_test: RelationalData,
    data_synth: RelationalData,
    path: str | Path | None = None,
    *,
    max_pairs: int = 50,
    max_rows: int = 20_000,
    max_rows_privacy: int = 5_000,
    n_resamples: int = 50,
    seed: int = 0,
    min_test_rows: int = 10,
    dp: Mapping[str, Any] | None = None,
    generation_warnings: Sequence[str] = (),
    training_warnings: Sequence[str] = (),
    return_html: bool = False,
) -> dict:
    """Score `data_synth` against `data_test`, beside the ceiling `data_test` against `data_train`.

    Returns a JSON-serialisable dict: `overall` (headline numbers: quality, column_shapes,
    column_pairs, cardinality, parent_child, text — each with its `_ceiling` — text_verbatim_share(_ceiling),
    orders_kept(_ceiling) (the mean share of rows keeping each order of dates or numbers all training rows
    keep, `relational.orders`; None without any; per order in `orders`),
    dcr_share_train_closer, dcr_baseline, exact_copy_rate, exact_copy_rate_ceiling), then the full
    results `quality`, `quality_ceiling`, `text`, `text_ceiling`, `privacy`, `ceiling_noise` (the
    ceiling's column-shape and cardinality scores ± their bootstrap spread over `n_resamples`
    resamples of the held-out root entities), and `n_rows`, `seconds` (time to score, plots not
    included), `warnings`, and `dp`: the differential privacy the generator was trained under, as
    given (`{epsilon, delta, accountant}`, e.g. the trainer's result), or None (not differentially
    private; the page says so). `generation_warnings`: what the generation of `data_synth` warned
    (rows dropped, empty texts), kept as given under `generation_warnings` and listed in `warnings`
    as `generation: ...`; the page shows them beside the scores. `training_warnings`: what fitting and training
    the models warned (a text column left without word tokens), kept so under `training_warnings`, listed as
    `training: ...` and shown in a section of their own. Scores are 0–100, shares and rates
    0–1, None where nothing could be compared. A table with fewer than `min_test_rows` held-out rows
    (`too_few_held_out`: table -> its held-out rows) is not judged: its quality, text and DCR scores,
    its held-out exact-copy rate and its edges' scores are None, out of every average, and the page
    says "too few held-out rows (n)"; its synthetic rows' exact copies of training rows still count.
    With `path`, writes a self-contained HTML page there and the dict as JSON at `path` with `.json`.
    With `return_html`, the result also holds that page's text under `html` (nothing is written
    unless `path` is given; the JSON never holds it).
    """
    if path is not None and Path(path).suffix.lower() == ".json":
        raise ValueError(f"path is the HTML report's path (the JSON goes beside it), got a .json path: {path}")
    guarantee = _dp_guarantee(dp)
    start = time.perf_counter()
    # a table of none or a few held-out rows (a tiny root split away) can be judged neither way
    unscored = too_few_held_out(data_test, min_test_rows)
    held_out_warnings = _too_few_warning(unscored, min_test_rows)
    if unscored and len(unscored) == len(data_test.schema.synth_tables):  # none judged: a noisy score beats none
        unscored = too_few_held_out(data_test, 1)
        held_out_warnings = [_all_too_few_warning(data_test, min_test_rows), *_too_few_warning(unscored, 1)]
    scored = {"max_pairs": max_pairs, "max_rows": max_rows, "seed": seed, "unscored": unscored}
    quality = quality_scores(data_test, data_synth, **scored)
    quality_ceiling = quality_scores(data_train, data_test, **scored)
    text = text_scores(data_test, data_synth, train=data_train, unscored=unscored, novelty_of_unscored=True)
    text_ceiling = text_scores(data_train, data_test, train=data_train, unscored=unscored)
    orders = order_scores(data_train, data_test, data_synth)
    privacy = privacy_scores(data_train, data_test, data_synth, max_rows=max_rows_privacy, seed=seed, unscored=unscored)
    noise = ceiling_noise(data_train, data_test, n_resamples=n_resamples, seed=seed, unscored=unscored)
    parts = {"quality": quality, "quality_ceiling": quality_ceiling, "text": text, "text_ceiling": text_ceiling}
    result = {
        "overall": _headline(quality, quality_ceiling, text, text_ceiling, orders, privacy),
        **parts,
        "orders": orders,
        "privacy": privacy,
        "ceiling_noise": noise,
        "n_rows": {"train": data_train.n_rows(), "test": data_test.n_rows(), "synth": data_synth.n_rows()},
        "warnings": report_warnings(
            {
                TRAINING: {"warnings": training_warnings},
                GENERATION: {"warnings": generation_warnings},
                HELD_OUT: {"warnings": held_out_warnings},
                **parts,
                "privacy": privacy,
            }
        ),
        "too_few_held_out": unscored,
        "generation_warnings": list(generation_warnings),
        "training_warnings": list(training_warnings),
        "dp": guarantee,
    }
    result = plain({**result, "seconds": round(time.perf_counter() - start, 3)})
    page = (
        _page.render(result, data_train, data_test, data_synth, seed=seed) if path is not None or return_html else None
    )
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
        path.with_suffix(".json").write_text(json.dumps(result, indent=2, allow_nan=False), encoding="utf-8")
        log.info("evaluation report written to %s (%.1f s)", path, time.perf_counter() - start)
    return {**result, "html": page} if return_html else result

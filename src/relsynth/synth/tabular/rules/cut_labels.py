"""Cut labels: labels that fall on either side of a cut of a date of their row, one label or
several on a side: a policy's status is `expired` where it ended before the day the data was drawn, `active`
or `cancelled` from that day on (a contract's, a subscription's, a card's alike).

The model writes the label as a token of its own, beside the date's bins, and a date near the
cut lands on either side: 3.1 % / 3.8 % of a small model's policies of an insurer's database had
a status their end contradicts, none in the data; `interval_labels` reads numbers, each label an
interval of its own, and here two labels share one. The fit keeps, per label column of a table (a
category or a flag, `MAX_LABELS` labels at most) not set by another rule, the first date of its
row whose labels' spans, merged where they meet, fall into two groups or more, each of
`MIN_ROWS` rows at least, in every training row holding both (labels drawn at random would be
so but `CHANCE` of the time at most); a cut lies at the least date of the group above it, and
each group keeps its labels' shares. Generation, once the dates are set, gives a row whose label
is not of its date's group one of that group's labels by their shares; a row without the date or
the label keeps it. Not fitted under DP.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import DATED, as_numbers
from relsynth.synth.tabular.encoders import label_texts
from relsynth.synth.tabular.rules.interval_labels import order_chance
from relsynth.synth.tabular.rules.sign_labels import LABEL_KINDS

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows of each group a cut is read from, at least
MAX_LABELS = 12  # a status's few labels, not a column of many to try
CHANCE = 1e-6  # labels drawn at random falling into such groups, at most this often


def find_cut_labels(pre, data: RelationalData, taken: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "date", "cuts", "groups", "shares"}]: `table.column` is one of
    `groups[i]` (drawn by `shares[i]`) where `date` (as nanoseconds) lies in [cuts[i - 1], cuts[i])
    (no lower cut for the first group, no upper for the last). Not context columns, nor the
    (table, column) pairs of `taken` (labels another rule sets)."""
    out = []
    for table in data.schema.synth_tables:
        kinds, frame = data.schema.tables[table].columns, data[table]
        generated = pre.generated_columns(table)
        dates = [c for c in generated if kinds[c].kind in DATED]
        labels = [
            c
            for c in generated
            if kinds[c].kind in LABEL_KINDS and (table, c) not in taken and 2 <= frame[c].nunique() <= MAX_LABELS
        ]
        for col in labels if dates else []:
            texts = label_texts(frame[col])
            found = next(
                (
                    {"date": d, **rule}
                    for d in dates
                    if (rule := _groups(as_numbers(frame[d], kinds[d].kind), texts)) is not None
                ),
                None,
            )
            if found is not None:
                log.info("%s.%s falls on either side of cuts of %s: kept so", table, col, found["date"])
                out.append({"table": table, "column": col, **found})
    return out


def _groups(x: np.ndarray, texts: np.ndarray) -> dict | None:
    """{"cuts", "groups", "shares"} where the labels' spans of `x`, merged where they meet, make
    two groups or more of `MIN_ROWS` rows each, by more than chance; else None."""
    held = ~np.isnan(x) & pd.notna(texts)
    spans = pd.Series(x[held]).groupby(texts[held]).agg(["min", "max", "size"]).sort_values("min")
    if len(spans) < 2:
        return None  # one label, or none, beside the date
    group = np.cumsum(np.r_[True, spans["min"].to_numpy()[1:] > np.maximum.accumulate(spans["max"].to_numpy())[:-1]])
    sizes = spans["size"].groupby(group).sum().to_numpy()
    if len(sizes) < 2 or sizes.min() < MIN_ROWS or order_chance(sizes) > math.log(CHANCE):
        return None  # one group, a group too small to tell, or no more than chance
    return {
        "cuts": [float(spans["min"].to_numpy()[group == g].min()) for g in range(2, group.max() + 1)],
        "groups": [[str(k) for k in spans.index[group == g]] for g in range(1, group.max() + 1)],
        "shares": [(spans["size"][group == g] / sizes[g - 1]).round(4).tolist() for g in range(1, group.max() + 1)],
    }


def apply_cut_labels(pre, rules: list[dict], tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Give (in place) each row whose label is not of its date's group one of that group's labels,
    by the group's shares; written as the column's category of the rule's text, in its dtype."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame) or r["date"] not in frame.columns:
            continue
        kind = pre.schema.tables[r["table"]].columns[r["date"]].kind
        x, texts = as_numbers(frame[r["date"]], kind), label_texts(frame[r["column"]])
        held = np.flatnonzero(~np.isnan(x) & pd.notna(texts))
        at = np.searchsorted(np.asarray(r["cuts"], dtype=float), x[held], side="right")  # on a cut: above it
        as_category = pre.category_texts(r["table"], r["column"])
        column = frame[r["column"]].astype(object).to_numpy().copy()
        for g, (labels, shares) in enumerate(zip(r["groups"], r["shares"], strict=True)):
            wrong = held[(at == g) & ~np.isin(texts[held], labels)]
            if len(wrong):
                drawn = rng.choice(len(labels), size=len(wrong), p=np.asarray(shares) / np.sum(shares))
                column[wrong] = np.asarray([as_category.get(v, v) for v in labels], dtype=object)[drawn]
        frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)

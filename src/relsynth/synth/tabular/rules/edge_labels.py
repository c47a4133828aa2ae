"""Labels that only the first or the last of a parent's rows holds, or that it never holds: an
order's events start with `created` and only there; `cancelled` and `refunded` end them and
nothing follows (a process's start and end states).

The model draws a parent's child count before its children, but each child's label from the rows
before it, not knowing whether more follow: a briefly trained model started 1 of 138 generated
orders with `paid` and wrote `delivered` after `cancelled`. The fit keeps, per categorical column
of a table nested under a parent, the frequent labels that the parent's first row holds in no row
but the first (`only_first`), or in none (`never_first`), and the same of the last row (in the
encoded order: by the sibling key, else as stored), each in `MIN_ROWS` rows at least and not by
chance (labels placed at random would fall so `CHANCE` of the time at most). Generation bans, at
each row, the labels its place rules out (`Cursor.is_first`, `Cursor.is_last`); a row left with
nothing to draw keeps the model's choice. The model tells a first row (no sibling before it) but
not a last one, so a label only the last row holds is drawn there at the data's share of last rows
holding it (`last_shares`, `_last_shares`: `active` on 89-96 of 300 generated last subscriptions
for 189 of 300). Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular._assemble import sibling_order
from relsynth.synth.tabular.encoders import label_texts
from relsynth.synth.tabular.rules.columns import nested_categories
from relsynth.synth.tabular.rules.last_nulls import last_rows

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows of a label, and rows at and off each place, at least
CHANCE = 0.001  # how likely a label placed at random would keep to (or off) a place, at most
PLACES = ("only_first", "never_first", "only_last", "never_last")


def find_edge_labels(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "only_first", "never_first", "only_last", "never_last"}]: the labels of
    `column` held by no row but its parent's first (or last), or by no first (or last) row."""
    out, places = [], {}
    for table, edge, col, preproc in nested_categories(pre, data):
        if table not in places:  # once a table, not once a column
            places[table] = _places(data[table], edge.fk, pre.sibling_keys.get(table))
        under, first, last = places[table]
        labels = label_texts(data[table][col][under])
        coded = _coded(labels)
        rule = {"table": table, "column": col}
        for name, at in (("first", first), ("last", last)):
            only, never = _kept_to(coded, at, [str(c) for c in preproc.categories])
            rule[f"only_{name}"], rule[f"never_{name}"] = only, never
        if rule["only_last"]:  # the model does not tell a last row: drawn there at the data's share (`_last_shares`)
            held = labels[last].astype(str)
            rule["last_shares"] = {c: round(float((held == c).mean()), 6) for c in rule["only_last"]}
        if any(rule[p] for p in PLACES):
            log.info("%s.%s: labels kept to or off the first and last rows under their %s row", table, col, edge.parent)
            out.append(rule)
    return out


def _places(df: pd.DataFrame, fk: str, key: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the rows under a parent row, whether each of them is its parent's first, its last)."""
    held = df[fk].notna().to_numpy()
    frame = df[held]
    order, same = sibling_order(frame, fk, key)
    first = np.empty(len(frame), dtype=bool)
    first[order] = ~same
    return held, first, last_rows(frame, fk, key)


def _coded(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """(the rows holding a label, their labels' codes, label -> code) of `label_texts`' texts: once a
    column, for both places (a line item's labels as numpy text, per place, took 0.2 s)."""
    held = pd.notna(labels)
    codes, texts = pd.factorize(labels[held])  # texts already: as `astype(str)` writes them
    return held, codes, {str(t): k for k, t in enumerate(texts)}


def _kept_to(
    coded: tuple[np.ndarray, np.ndarray, dict[str, int]], at: np.ndarray, categories: list[str]
) -> tuple[list[str], list[str]]:
    """(the categories held at the place `at` only, those never held there), from `MIN_ROWS` rows
    of each at least, where random places would keep them so `CHANCE` of the time at most
    (`coded`: the column's `_coded` labels)."""
    held, codes, index = coded
    at = at[held]
    if min(at.sum(), (~at).sum()) < MIN_ROWS:
        return [], []
    share = float(at.mean())
    ons = np.bincount(codes[at], minlength=len(index))  # rows of each label at and off the place
    offs = np.bincount(codes[~at], minlength=len(index))
    only, never = [], []
    for c in categories:
        if c not in index:
            continue
        off, on = int(offs[index[c]]), int(ons[index[c]])
        if off == 0 and on >= MIN_ROWS and share**on < CHANCE:
            only.append(c)
        elif on == 0 and off >= MIN_ROWS and (1 - share) ** off < CHANCE:
            never.append(c)
    return only, never


def edge_label_bans(pre, rules: list[dict]) -> dict[str, dict[int, dict[str, np.ndarray]]]:
    """table -> {header position of `column`: {place: the tokens of its labels}} (`PLACES`)."""
    out: dict[str, dict[int, dict[str, np.ndarray]]] = {}
    for r in rules:
        if (found := pre.label_tokens(r["table"], r["column"])) is None:
            continue
        j, ids = found
        out.setdefault(r["table"], {})[j] = {
            p: np.asarray([ids[str(v)] for v in r.get(p, []) if str(v) in ids], dtype=np.int64) for p in PLACES
        }
    return out


def banned_at(places: dict[str, np.ndarray], first: bool, last: bool) -> np.ndarray:
    """The tokens a row at `first` and `last` (its parent's first and last row or not) may not take."""
    parts = [places["never_first"] if first else places["only_first"]]
    parts.append(places["never_last"] if last else places["only_last"])
    return np.unique(np.concatenate(parts))

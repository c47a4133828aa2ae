"""Two keys of a row to one lookup that link its rows (a bill of materials over a parts lookup: a
part and its component), in a table of its own key and no CHECK.

A lookup key is a label the model writes, so neither drawn apart as references are (`apart`), nor
kept unique as a link table's keys (`unique_links`: nested tables without a key), nor closing no
cycle (`acyclic_from`: references only), and `_dependencies.find_distinct` needs chance to have
paired many rows (66 links over 30 parts would pair 2): a model trained 200 steps linked 2 parts to
themselves, repeated 14 of 66 pairs and closed 3 cycles, none in the data. The fit keeps, per two
such keys (the later one's rule), whether the data's rows, `MIN_PAIRS` at least holding both, never
name one lookup row twice (`apart`), never repeat a pair (`unique`) and close no cycle (`acyclic`).
Once every value is set, a row breaking one gets another later key, drawn by its share among the
generated ones the rules leave (the lookup's keys where none is left); a warning counts them. Not
fitted under DP.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData, Schema
from relsynth.synth.tabular._references.cycles import back_links, upstream

log = logging.getLogger(__name__)
MIN_PAIRS = 20  # rows holding both keys a rule is read from, at least


def lookup_key_pairs(schema: Schema, table: str) -> list[tuple[str, str, str]]:
    """(earlier key, later key, lookup) of each two columns of `table` naming one lookup."""
    keys = [(c, k.parent) for c, k in schema.tables[table].columns.items() if k.kind == Column.FOREIGN_KEY]
    keys = [(c, p) for c, p in keys if p in schema.lookups]
    return [(a, b, p) for i, (a, p) in enumerate(keys) for b, q in keys[i + 1 :] if q == p]


def find_lookup_links(data: RelationalData) -> list[dict]:
    """[{"table", "source", "target", "lookup", "apart", "unique", "acyclic"}]: per two keys of a
    synthesised table to one lookup, what the data's rows holding both always keep (module doc);
    only pairs keeping one at least."""
    out = []
    for table in data.schema.synth_tables:
        for a, b, lookup in lookup_key_pairs(data.schema, table):
            held = data[table][a].notna() & data[table][b].notna()
            if held.sum() < MIN_PAIRS:
                continue
            src, dst = data[table][a][held], data[table][b][held]
            rule = {
                "apart": bool((src.to_numpy() != dst.to_numpy()).all()),
                "unique": not pd.DataFrame({"a": src, "b": dst}).duplicated().any(),
                "acyclic": len(back_links(src, dst)) == 0,
            }
            if any(rule.values()):
                log.info("%s: %s -> %s (lookup %s) keeps %s", table, a, b, lookup, [k for k, v in rule.items() if v])
                out.append({"table": table, "source": a, "target": b, "lookup": lookup, **rule})
    return out


def keep_lookup_links(
    schema: Schema,
    rules: list[dict],
    tables: dict[str, pd.DataFrame],
    rng: np.random.Generator,
    given: Mapping[str, list[str]] | None = None,
) -> None:
    """Give, in place, every generated row breaking a rule of `find_lookup_links` another later key
    (module doc); a later key given at generation (a context's) stays."""
    for r in rules:
        table, a, b = r["table"], r["source"], r["target"]
        if table not in tables or b in (given or {}).get(table, []) or r["lookup"] not in tables:
            continue
        lookup = tables[r["lookup"]][schema.tables[r["lookup"]].primary_key]
        df = tables[table]
        fixed, bad = _relinked(df[a], df[b], lookup, r, rng)
        if bad:
            df[b] = fixed
            left = int(_broken(df[a], df[b], r).sum())
            log.warning(
                "%s: %d of %d generated row(s) linked %s to %s as the data's rows never do (%s); given another %s%s",
                table,
                bad,
                len(df),
                a,
                b,
                ", ".join(k for k in ("apart", "unique", "acyclic") if r[k]),
                b,
                f", {left} left (no key the rules leave)" if left else "",
            )


def _broken(src: pd.Series, dst: pd.Series, rule: dict) -> np.ndarray:
    """Rows of the links `src -> dst` breaking `rule`: naming one row twice, repeating an earlier
    row's pair, closing a cycle (`back_links`)."""
    held = (src.notna() & dst.notna()).to_numpy()
    bad = np.zeros(len(src), dtype=bool)
    if rule["apart"]:
        bad |= held & (src.to_numpy() == dst.to_numpy())
    if rule["unique"]:
        bad |= held & pd.DataFrame({"a": src, "b": dst}).duplicated().to_numpy()
    if rule["acyclic"]:
        bad[back_links(src.reset_index(drop=True), dst.reset_index(drop=True))] = True
    return bad


def _relinked(
    src: pd.Series, dst: pd.Series, keys: pd.Series, rule: dict, rng: np.random.Generator
) -> tuple[pd.Series, int]:
    """(`dst` with each row breaking `rule` naming another key, the number of such rows): drawn by
    its share among `dst`'s other values the rule leaves the row, else among `keys`."""
    bad = _broken(src, dst, rule)
    if not bad.any():
        return dst, 0
    out = dst.copy()
    linked: defaultdict[object, set] = defaultdict(set)  # row -> the rows it links to
    into: defaultdict[object, set] = defaultdict(set)  # row -> the rows linking to it
    for s, t in zip(src[~bad], dst[~bad], strict=True):
        if pd.notna(s) and pd.notna(t):
            linked[s].add(t)
            into[t].add(s)
    pool, every = dst[~bad].dropna().to_numpy(), keys.dropna().to_numpy()
    for i in np.flatnonzero(bad):
        s = src.iloc[i]
        barred = ({s} if rule["apart"] else set()) | (linked[s] if rule["unique"] else set())
        barred |= upstream(s, into) if rule["acyclic"] else set()
        target = _draw_outside(pool, barred, rng)
        target = _draw_outside(every, barred, rng) if target is None else target
        if target is None:
            continue
        out.iloc[i] = target
        linked[s].add(target)
        into[target].add(s)
    return out, int(bad.sum())


def _draw_outside(pool: np.ndarray, barred: set, rng: np.random.Generator) -> object | None:
    """One of `pool` not in `barred`, by its share; None where none is."""
    free = pool[~pd.Series(pool).isin(list(barred)).to_numpy()] if len(pool) else pool
    return free[rng.integers(len(free))] if len(free) else None

"""Keys that name, among the rows they could name, the one of the greatest (or least) number: a
country's capital, its most populous city in 0.88 of the countries; a team's captain; an order's
main item.

A key drawn within its scope row (`within`: the rows under the row itself, or under a row both
tables nest under) is dealt by degrees and affinities that cannot tell which candidate holds the
extreme, and the numbers move after (a sum split among a country's cities), so 0.66 of the
generated capitals (seeds 0/1 of a small model) were their country's largest city, chance being
about 0.3. The fit keeps, per such reference whose fitted rules a moved key cannot break
(`BLOCKING`; nor a key deciding another, `decided`: a promo's sales, two products), the number column of the referenced rows and direction whose extreme candidate the
keys name far more often than chance (each row's chance: its scope's candidates at the extreme over
its candidates, `MIN_Z` standard deviations above and `MIN_LIFT` over it), and the share of rows
naming it, among rows whose candidates hold two numbers or more (`MIN_ROWS` at least). Generation,
once every number is final, moves as many keys not at the extreme onto it as bring the share up to
the data's, never to a row named as often as the data's rows ever are (a capital of two countries)
nor breaking an order the reference keeps (a country's population above its capital's). Not fitted
under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational.orders import ancestor_keys
from relsynth.synth.tabular._references.decided import decides_another
from relsynth.synth.tabular.rules.numbers import as_floats

log = logging.getLogger(__name__)
MIN_ROWS = 20  # referencing rows whose candidates hold two numbers or more, at least
MIN_Z = 5.0  # rows at the extreme above chance, in standard deviations of that count, at least
MIN_LIFT = 0.25  # ... and their share above the chance share, at least
EXTREMES = ("max", "min")
# fitted rules a key moved to another candidate of its scope row could break; an order is checked row by row
BLOCKING = (
    "within_via",
    "within_any",
    "copies",
    "ratios",
    "after",
    "windows",
    "year_periods",
    "ranked",
    "as_of",
    "same",
    "step",
    "named_by",
    "capped_by",
    "apart",
    "apart_named",
    "apart_parent",
    "acyclic_from",
    "covered_with",
    "unique_with",
    "unique_beside",
    "unique_across",
    "unique_under",
    "one_each",
    "unique_with_across",
    "unique_with_also",
    "unique_also_across",
    "decided_by",  # one key for all the rows of a deciding key's value (an item's seller, its product's)
)


def find_extreme_keys(pre, data) -> list[dict]:
    """[{"table", "fk", "parent", "scope", "of", "how", "share", "most"}]: the rows of `table` name by
    `fk`, among the `parent` rows under their `scope` row, the one of the `how` of `of` in a `share`
    of the rows whose candidates hold two numbers or more, far above chance; `most`: the most rows
    naming one row in the data."""
    schema, out = data.schema, []
    fitted = pre.stats.get("references") or {}
    for name, stats in fitted.items():
        table, fk = name.split(".", 1)
        scope, parent = stats.get("within"), stats.get("parent")
        if not scope or parent == table or any(stats.get(k) for k in BLOCKING) or decides_another(fitted, table, fk):
            continue
        mine = ancestor_keys(schema, data, table, scope).to_numpy()
        pos = pd.Index(data[parent][schema.tables[parent].primary_key]).get_indexer(data[table][fk])
        theirs = ancestor_keys(schema, data, parent, scope).to_numpy()
        best = None
        for of in pre.generated_numbers(parent):
            for how in EXTREMES:
                found = _excess(mine, pos, theirs, as_floats(data[parent][of]), how)
                if found is not None and (best is None or found[0] > best[0]):
                    best = (*found, of, how)
        if best is None:
            continue
        z, share, chance, of, how = best
        most = int(pd.Series(pos[pos >= 0]).value_counts().max())
        log.info(
            "%s names the %s %s of its %s row's %s rows in %.2f of its rows (chance %.2f)",
            name,
            how,
            of,
            scope,
            parent,
            share,
            chance,
        )
        out.append(
            {"table": table, "fk": fk, "parent": parent, "scope": scope, "of": of, "how": how}
            | {"share": round(float(share), 4), "most": most}
        )
    return out


def _excess(mine: np.ndarray, pos: np.ndarray, theirs: np.ndarray, x: np.ndarray, how: str):
    """(z, share, chance share) of the rows naming (`pos`, -1 none) their scope's (`mine`, among the
    candidates of `theirs`) extreme `x`, where it is far above chance; None elsewhere."""
    at, spread, odds = _candidates(theirs, x, how)
    chances = pd.Series(odds, index=theirs).groupby(level=0).first()
    rows = _counted(mine, pos, theirs, spread)
    if rows.sum() < MIN_ROWS:
        return None
    p = pd.Series(mine[rows]).map(chances).to_numpy(float)
    hits = at[pos[rows]].sum()
    sd = np.sqrt((p * (1 - p)).sum())
    z = (hits - p.sum()) / max(sd, 1e-9)
    share, chance = hits / rows.sum(), p.mean()
    return (z, share, chance) if z >= MIN_Z and share - chance >= MIN_LIFT else None


def _counted(mine: np.ndarray, pos: np.ndarray, theirs: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Per referencing row, whether the share counts it: it names (`pos`, -1 none) a row of its own
    scope row (`mine`, `theirs`: a key outside it tells nothing) whose candidates hold two numbers
    or more (`spread`, per candidate). The fit and generation count the same rows."""
    groups = pd.Series(spread, index=theirs).groupby(level=0).any()
    rows = (pos >= 0) & pd.Series(mine).isin(groups.index[groups.to_numpy()]).to_numpy()
    return rows & (theirs[np.maximum(pos, 0)] == mine)


def _candidates(scopes: np.ndarray, x: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate row: whether it holds its scope's `how` of `x`, whether its scope holds two
    numbers or more, and the share of its scope's candidates at the extreme (a row's chance)."""
    frame = pd.DataFrame({"scope": scopes, "x": x})
    groups = frame.groupby("scope", sort=False, dropna=False)["x"]
    at = x == groups.transform(how).to_numpy()  # NaN: never at it
    spread = (groups.transform("max") > groups.transform("min")).to_numpy()
    odds = pd.Series(at).groupby(frame["scope"].to_numpy()).transform("mean").to_numpy()
    return at, spread, odds


def point_at_extremes(
    rules: list[dict], tables: dict[str, pd.DataFrame], schema, rng: np.random.Generator, keeps
) -> None:
    """Move (in place) keys of each rule not at their scope's extreme onto it until the rows at it
    make the fitted share, of the rows the fit counts (`_counted`: a key outside its scope row is
    neither counted nor moved). `keeps(rule, row, target)`: whether row naming target keeps the orders."""
    for rule in rules:
        rows, named = tables.get(rule["table"]), tables.get(rule["parent"])
        if rows is None or named is None or not len(rows) or not len(named) or rule["of"] not in named:
            continue
        pk = schema.tables[rule["parent"]].primary_key
        keys = named[pk].to_numpy()
        theirs = ancestor_keys(schema, tables, rule["parent"], rule["scope"]).to_numpy()
        mine = ancestor_keys(schema, tables, rule["table"], rule["scope"]).to_numpy()
        pos = pd.Index(keys).get_indexer(rows[rule["fk"]])
        at, spread, _ = _candidates(theirs, as_floats(named[rule["of"]]), rule["how"])
        held = _counted(mine, pos, theirs, spread)
        hit = held & at[np.maximum(pos, 0)]
        wanted = int(round(rule["share"] * held.sum())) - int(hit.sum())
        if wanted <= 0:
            continue
        degree = np.bincount(pos[pos >= 0], minlength=len(keys))
        targets = pd.Series(np.flatnonzero(at)).groupby(theirs[at]).agg(list).to_dict()
        moved = pos.copy()
        for i in rng.permutation(np.flatnonzero(held & ~hit)):
            if wanted == 0:
                break
            free = [j for j in targets.get(mine[i], []) if degree[j] < rule["most"] and keeps(rule, i, j)]
            if not free:
                continue
            j = free[rng.integers(len(free))]
            degree[moved[i]] -= 1
            degree[j] += 1
            moved[i], wanted = j, wanted - 1
        if len(changed := np.flatnonzero(moved != pos)):
            column = rows[rule["fk"]].copy()  # written as `keep_decided` writes: the keys' own dtype kept
            column.iloc[changed] = keys[moved[changed]]
            rows[rule["fk"]] = column

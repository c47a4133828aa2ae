"""Re-dealing the one reference of a generated row that repeats a key a link table never repeats
(`drop_repeated_links`): a league's match repeating (home_team_id, season_id, away_team_id) gets
another away team that its home team has not met that season, where the away team's fitted rules
still hold (never the home team, once a date, once a round): swapped with a match of its date and
round where a swap frees it (every team then away as often as dealt), else drawn by how often the
generated rows name each team. Only a reference whose every fitted rule is one checked here is
re-dealt (a season tied to the match's date by its year is not); a row no key frees is left to be
dropped. 47 % of a league's generated matches were dropped so (409 of 864)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.relational.data import BELOW, DIFFERS_FROM, SQL_FORMAT
from relsynth.relational.orders import ancestor_keys
from relsynth.relational.row_keys import row_key_columns

MAX_TRIES = 256  # values tried for one row: all of a smaller pool, else this many drawn by share
# fitted fields that only shape how keys are dealt (how often, how many nulls): a re-dealt key
# drawn among the keys the column names, by their shares, keeps to them
_DEALING = {
    "parent",
    "null_share",
    "null_by",
    "null_with",
    "null_as",
    "never_null",
    "groups",
    "affinity",
    "degrees",
    "degree_copula",
    "degree_effects",
    "never_named",
    "never_named_with",
    "never_named_by",
}
# fitted fields whose rule `Slots` keeps; any other field set refuses the column (an order, a copy)
_KEPT = {"apart", "within", "unique_pairs", "unique_beside", "unique_across", "unique_with"}
_KEPT |= {"unique_with_across", "unique_with_also", "unique_also_across"}


@dataclass
class Grouping:
    """A set a key never repeats in: each row's group (by position) and the columns whose keys
    occupy it (a date's home and away teams)."""

    groups: np.ndarray
    columns: list[str]


def redeal_repeats(
    pre, tables: dict[str, pd.DataFrame], table: str, cols: list[str], rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, tuple[int, int]]]:
    """`tables[table]` with each generated row that repeats `cols` (after its first) given another
    key in one re-dealable column of `cols` (`redealable`; the one naming the most keys first) that
    frees the set and keeps the column's rules: swapped with a row of all its groups (a match of its
    date and round), so every key is named as often as dealt, else a key drawn by share; and column
    -> (rows freed, of them by a swap). Rows none frees stay repeated."""
    df = tables[table]
    held = df[cols].notna().all(axis=1).to_numpy()
    repeated = df.duplicated(subset=cols).to_numpy() & held
    # the column naming the most keys first: its row's set the most likely freed, no one key named much more
    ranked = sorted(reversed(cols), key=lambda c: -df[c].nunique())
    columns = [c for c in ranked if redealable(pre, table, c)] if repeated.any() else []
    if not columns:
        return df, {}
    df = df.copy()
    values = {c: df[c].to_numpy(dtype=object).copy() for c in df.columns}
    count = Counter(zip(*(values[c][held] for c in cols), strict=True))  # rows holding each set

    def key(i: int, c: str, v: object) -> tuple:  # row i's set with `v` in column c
        return tuple(v if k == c else values[k][i] for k in cols)

    def move(i: int, c: str, v: object) -> None:
        count[key(i, c, values[c][i])] -= 1
        count[key(i, c, v)] += 1
        values[c][i] = v

    slots = {c: _Slots.of(pre, tables, df, table, c) for c in columns}
    pools = {c: _pool(df[c]) for c in columns}
    freed, swapped = dict.fromkeys(columns, 0), dict.fromkeys(columns, 0)
    for i in np.flatnonzero(repeated):
        for c in columns:
            if count[key(i, c, values[c][i])] < 2:  # freed by an earlier row's swap
                break
            for j in slots[c].partners(i, rng):  # a swap leaves every group holding the keys it held
                a, b = values[c][i], values[c][j]
                # a partner missing a key keeps its null: swapped, row i would take it (and `a != b` fails on NA)
                if (
                    held[j]
                    and a != b
                    and not count[key(i, c, b)]
                    and not count[key(j, c, a)]
                    and slots[c].swaps(i, j, values)
                ):
                    move(i, c, b)
                    move(j, c, a)
                    freed[c], swapped[c] = freed[c] + 1, swapped[c] + 1
                    break
            else:
                free = (
                    v for v in _candidates(*pools[c], rng) if not count[key(i, c, v)] and slots[c].fits(i, v, values)
                )
                if (v := next(free, None)) is None:
                    continue
                slots[c].move(i, values[c][i], v)
                move(i, c, v)
                freed[c] += 1
            break
    for c in columns:
        df[c] = pd.array(values[c], dtype=df[c].dtype)
    return df, {c: (n, swapped[c]) for c, n in freed.items() if n}


def redealable(pre, table: str, column: str) -> bool:
    """Whether `column` of `table` is a reference whose keys may be re-dealt: not the parent key nor
    one a row key copies, to a generated table other than `table` and not a lookup, with fitted rules
    all kept by `_Slots` or shaping only the dealing, none of the table's other references' rules
    naming it, and no rule beyond them naming it."""
    schema, t = pre.schema, pre.schema.tables[table]
    nest = schema.parent(table)
    target = t.foreign_keys.get(column)
    if target is None or target == table or target in schema.lookups or (nest is not None and column == nest.fk):
        return False
    if column in row_key_columns(pre.stats.get("formats") or {}, table) or _in_sql_order(pre, table, column):
        return False
    references = pre.stats.get("references") or {}
    fitted = references.get(f"{table}.{column}")
    if fitted is None or any(v for k, v in fitted.items() if k not in _DEALING | _KEPT):
        return False
    for name, other in references.items():
        if name.startswith(f"{table}.") and name != f"{table}.{column}":
            if any(column in _leaves(v) for k, v in (other or {}).items() if k != "apart"):
                return False
    return not _named_by_rules(pre.stats, table, column)


def _in_sql_order(pre, table: str, column: str) -> bool:
    """Whether a source's CHECK keeps `column` below another column of its row or another below it
    (CHECK (a < b) on a friendship's two users): a key swapped or drawn anew would break it."""
    formats = (pre.stats.get("formats") or {}).get(table) or {}
    below = {c: [b[0] for b in ((f or {}).get(SQL_FORMAT) or {}).get(BELOW) or []] for c, f in formats.items()}
    return bool(below.get(column)) or any(column in under for under in below.values())


# fitted fields of no rule on a column's values: the bookkeeping, and what `redealable` reads itself
_NO_RULES = {"references", "formats", "unique_links", "pk_formats", "root_shares", "rows_per_root", "max_entity_len"}


def _named_by_rules(stats: dict, table: str, column: str) -> bool:
    """Whether a fitted rule other than the references' names `column` of `table` (a copy across
    it, a slot it keeps): such a rule read the key, so another key could break it."""
    for name, rules in stats.items():
        if name in _NO_RULES:
            continue
        if isinstance(rules, dict) and table in rules and column in _leaves(rules[table]):
            return True
        items = rules if isinstance(rules, list) else rules.values() if isinstance(rules, dict) else []
        for rule in items:
            leaves = _leaves(rule)
            if (table in leaves and column in leaves) or f"{table}.{column}" in leaves:
                return True
    return False


def _leaves(x: object) -> set:
    """The strings anywhere in a fitted rule (nested dicts' keys and values, lists)."""
    if isinstance(x, str):
        return {x}
    if isinstance(x, dict):
        return {*(k for k in x if isinstance(k, str)), *(s for v in x.values() for s in _leaves(v))}
    if isinstance(x, list | tuple):
        return {s for v in x for s in _leaves(v)}
    return set()


class _Slots:
    """The sets a reference's key never repeats in (`unique_with` and the rest), the columns it
    never equals (`apart`, a CHECK (a <> b)) and the scope row it stays under (`within`), for one
    generated frame: whether a row may take a key, kept up to date as keys move."""

    def __init__(self, groupings: list[Grouping], apart: list[str], scope: tuple | None, column: str, df):
        self.groupings, self.apart, self.scope, self.column = groupings, apart, scope, column
        where = np.zeros(len(df), dtype=np.int64) if scope is None else pd.factorize(scope[0])[0]
        # each row's code of all its groups and scope row: rows of one code may trade keys
        self.same = pd.MultiIndex.from_arrays([where, *(g.groups for g in groupings)]).factorize()[0]
        self.together = np.argsort(self.same, kind="stable")  # each code's rows, from `first`, `size` of them
        self.size = np.bincount(self.same)
        self.first = np.cumsum(self.size) - self.size
        self.taken = [Counter() for _ in groupings]  # (group, key) -> rows naming it there
        for g, taken in zip(groupings, self.taken, strict=True):
            for c in g.columns:
                held = df[c].notna().to_numpy()
                taken.update(zip(g.groups[held], df[c].to_numpy(dtype=object)[held], strict=True))

    @classmethod
    def of(cls, pre, tables: dict[str, pd.DataFrame], df: pd.DataFrame, table: str, column: str) -> _Slots:
        schema = pre.schema
        fitted = pre.stats["references"][f"{table}.{column}"]
        nest = schema.parent(table)
        scope = None
        if within := fitted.get("within"):  # the row's scope row, and each referenced row's
            target = schema.tables[table].foreign_keys[column]
            theirs = ancestor_keys(schema, tables, target, within)
            pk = tables[target][schema.tables[target].primary_key].to_numpy(dtype=object)
            scope = (
                ancestor_keys(schema, {**tables, table: df}, table, within).to_numpy(dtype=object),
                dict(zip(pk, theirs, strict=True)),
            )
        where = np.zeros(len(df), dtype=np.int64) if scope is None else pd.factorize(scope[0])[0]
        combos = [([nest.fk], [])] if fitted.get("unique_pairs") and nest is not None else []
        combos += [([nest.fk], fitted.get("unique_across") or [])] if fitted.get("unique_across") else []
        combos += [([fitted["unique_beside"]], [])] if fitted.get("unique_beside") else []
        if fitted.get("unique_with"):
            combos.append((fitted["unique_with"], fitted.get("unique_with_across") or []))
        across_also: dict[tuple, list[str]] = {}  # a further set, the columns sharing it (a round's home teams)
        for c, combo in fitted.get("unique_also_across") or []:
            across_also.setdefault(tuple(combo), []).append(c)
        combos += [(combo, across_also.get(tuple(combo), [])) for combo in fitted.get("unique_with_also") or []]
        combos += [([c for c in u if c != column], []) for u in schema.tables[table].unique if column in u]
        groupings = [Grouping(_group_codes(df, combo, where), [column, *across]) for combo, across in combos]
        formats = ((pre.stats.get("formats") or {}).get(table) or {}).get(column) or {}
        checked = (formats.get(SQL_FORMAT) or {}).get(DIFFERS_FROM) or []
        others = [name.split(".", 1)[1] for name, f in pre.stats["references"].items() if name.startswith(f"{table}.")]
        theirs = [c for c in others if column in ((pre.stats["references"][f"{table}.{c}"] or {}).get("apart") or [])]
        apart = list(dict.fromkeys([*(fitted.get("apart") or []), *theirs, *checked]))
        return cls(groupings, [c for c in apart if c in df.columns and c != column], scope, column, df)

    def partners(self, i: int, rng: np.random.Generator) -> np.ndarray:
        """Up to `MAX_TRIES` rows (drawn) sharing each of row `i`'s groups and its scope row, in a random order."""
        rows = self.together[self.first[self.same[i]] : self.first[self.same[i]] + self.size[self.same[i]]]
        rows = rows[rows != i]
        if len(rows) > MAX_TRIES:  # drawn, not shuffled: a table with no groups is one group of all its rows
            return rows[rng.integers(0, len(rows), MAX_TRIES)]
        return rng.permutation(rows) if len(rows) > 1 else rows

    def swaps(self, i: int, j: int, values: dict[str, np.ndarray]) -> bool:
        """Whether rows `i` and `j` (of the same groups) may trade keys: neither then equal to an apart column."""
        a, b = values[self.column][i], values[self.column][j]
        return not any(
            (pd.notna(values[c][i]) and values[c][i] == b) or (pd.notna(values[c][j]) and values[c][j] == a)
            for c in self.apart
        )

    def fits(self, i: int, key: object, values: dict[str, np.ndarray]) -> bool:
        """Whether row `i` may name `key`: under its scope row, equal to none of its apart columns,
        and free in each of its groups."""
        if self.scope is not None and self.scope[1].get(key) != self.scope[0][i]:
            return False
        if any(pd.notna(values[c][i]) and values[c][i] == key for c in self.apart):
            return False
        return all(taken[(g.groups[i], key)] == 0 for g, taken in zip(self.groupings, self.taken, strict=True))

    def move(self, i: int, old: object, new: object) -> None:
        """Row `i`'s key moved from `old` to `new`, in every group it occupies."""
        for g, taken in zip(self.groupings, self.taken, strict=True):
            taken[(g.groups[i], old)] -= 1
            taken[(g.groups[i], new)] += 1


def _group_codes(df: pd.DataFrame, combo: list[str], where: np.ndarray) -> np.ndarray:
    """Each row's group of its `combo` values under its scope row; a row missing one is alone in a group."""
    parts = pd.DataFrame({"_where": where, **{c: df[c].to_numpy(dtype=object) for c in combo}})
    codes = parts.groupby(list(parts.columns), dropna=False, sort=False).ngroup().to_numpy()
    free = parts[combo].isna().any(axis=1).to_numpy()
    return np.where(free, codes.max(initial=0) + 1 + np.arange(len(df)), codes)


def _pool(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The keys a column's generated rows name, with their shares."""
    counts = values.dropna().value_counts()
    return counts.index.to_numpy(dtype=object), counts.to_numpy(np.float64) / max(counts.sum(), 1)


def _candidates(keys: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Keys to try, drawn by share: every one of a pool up to `MAX_TRIES` keys in a weighted random
    order, else `MAX_TRIES` draws."""
    if len(keys) <= MAX_TRIES:
        order = np.argsort(-np.log(rng.random(len(keys))) / shares)  # a draw without replacement by share
        return keys[order]
    return keys[np.minimum(np.searchsorted(np.cumsum(shares), rng.random(MAX_TRIES)), len(keys) - 1)]


__all__ = ["redeal_repeats", "redealable"]

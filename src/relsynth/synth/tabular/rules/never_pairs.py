"""Pairs of categories no training row holds together, where chance would have put many rows
there: a pregnancy code of a man's diagnosis (the patient's sex two tables up), an obstetrics
stay of a man (one table up), a product's category and a size it never comes in (its own row).

The model draws a row's categories one token after another, so a briefly trained one pairs them
as no training row does (12 of 117 generated pregnancy diagnoses of a clinical database went to
men; none in the data). The fit keeps, per categorical column of a table and per categorical
column written before it (earlier in its row, or in an ancestor row), the pairs of frequent
categories no row holds together though independent columns would have put `MIN_EXPECTED` rows
there at least (none of them: e^-5 by chance), the earlier column of `MAX_SOURCE_CATEGORIES`
categories at most; and every pair no row holds where each later category is held under one
earlier category only, which rows drawn apart would do but e^-5 of the time (a region, of one
continent: `_decided_by_later`). A column that decides the later one in every row is left to `_dependencies`,
which forces its value. Generation masks the later value once the earlier one is written
(`pair_bans`); a row left with nothing to draw keeps its logits. Not fitted under DP.

A later number's tokens (its exact values and bins) are paired so too: a dose of another drug
(Aspirin 5000, a heparin dose, 13 of 1,102 generated prescriptions), an exchange rate of another
currency (a JPY line at a USD rate of 0.92: its amount in euros 150 times too large), each of a
token of its own that the category range rule (`_category_ranges`, within a bin) cannot move. Not
a number set after generation (a total, a formula) or written as an offset (`orderings`).

And a later column's categories too rare to tell one by one (each fewer than `MIN_EXPECTED` rows
by chance), with its `<rare>`, count as one value (`_rare_pool`): a culture's lab result never
holds one of the many numbers of a few rows each that a lab value's text spells, and got one
(6 of 2,856 generated lab results, 97 of 101 cultures of an untrained model).

Masking alone loses a conditional the model missed: drawing a woman's diagnosis as anyone's (her
sex two tables up), it gave each sex-specific code its share over all patients, half hers, and the
masked men's codes spread over all others, so a woman's own codes came out at half their rate
(140 sex-specific diagnoses of 271). Where the earlier value is an ancestor row's, the fit keeps
each category's share under each earlier value (`shares`, `marginal`), and generation weights the
row's draw back to its value's shares, as far as the probability the model put on banned values
says it ignored it (`ignored`, `reweigh`: a model that learnt the pairing is left as it is). A
row whose value bans nothing (a man's drugs, where a drug of men only is banned for women) takes
how far the rule's rows that banned something ignored theirs so far: his drug of men only came
out at half his rate too.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import ancestor_keys
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc
from relsynth.synth.tabular.rules.columns import field_preproc

log = logging.getLogger(__name__)
# a column of more categories masks none: a small model draws it far from the data (Chinook's
# composer, 200 categories, generated at TV 0.32), and the column it masked followed its errors
# (genre's TV to the training tracks fell from 0.79 to 0.74, /tmp/s9/ab3.py)
MAX_SOURCE_CATEGORIES = 30
MIN_EXPECTED = 5.0  # rows independent columns would have given the pair, at least (none: e^-5 by chance)


def find_never_pairs(pre, data: RelationalData, summed: set[tuple[str, str]] = frozenset()) -> list[dict]:
    """[{"table", "column", "of", "level", "pairs": [[value of `of`, value of `column`], ...],
    "rare": [values of `of` never beside `column`'s rare values]}]:
    no row of `table` holds a pair's `column` value where `of` (of its own row at `level` 0, of
    its parent row at 1, grandparent at 2 ...) holds the pair's first value; a number's value is
    one of its exact values, or a bin as its [low, high] edges (`number`: true). Not a root's
    context columns (given at generation), nor `summed` numbers (set after generation)."""
    out = []
    for table in pre.layouts:
        given = pre.given_columns(table)
        own = list(_values(pre, data, table, summed))
        above = _ancestor_sources(pre, data, table)
        for i, (col, col_pre, tokens) in enumerate(own):
            if col in given:
                continue
            # written before it: the earlier categorical columns of its row, and every ancestor row's
            earlier = [(0, c, t) for c, p, t in own[:i] if isinstance(p, CategoricalPreproc) and _source(p)]
            names = _names(col_pre)
            for level, of, of_tokens in earlier + above:
                points = len(col_pre.points) if isinstance(col_pre, NumericPreproc) else 0
                pairs = never_pairs(of_tokens, tokens, len(names), _order(col_pre), points, closed=level > 0)
                if not pairs:
                    continue
                of_pre = field_preproc(pre, (above_table := _table_at(pre, table, level)), of)
                named = [[of_pre.categories[a], names[b]] for a, b in pairs if b >= 0]
                rare = [of_pre.categories[a] for a, b in pairs if b < 0]  # its <rare>: a value too rare to name
                log.info(
                    "%s.%s: %d value pair(s) with %s.%s no row holds, kept so", table, col, len(pairs), above_table, of
                )
                rule = {"table": table, "column": col, "of": of, "level": level, "pairs": named}
                if isinstance(col_pre, NumericPreproc):
                    out.append(rule | {"number": True})
                elif level:  # an ancestor row's value, far back in the sequence: the model may draw as if unseen
                    out.append(rule | {"rare": rare} | _shares(of_tokens, tokens, of_pre, names))
                else:  # its own row's, just before: the model sees it (Chinook's genre by media type: no better)
                    out.append(rule | {"rare": rare})
    return out


def never_pairs(
    a: np.ndarray, b: np.ndarray, n_b: int, order: np.ndarray | None = None, points: int = 0, closed: bool = False
) -> list[tuple[int, int]]:
    """(category index of `a`, of `b`; -1: `b`'s `<rare>`) pairs no row holds, where independence
    would have given `MIN_EXPECTED` rows at least; from each row's local tokens (`<missing>`,
    `<rare>`, then the categories: rows holding a category in both only). None where `a` decides
    `b` in every row (`_dependencies` forces it). `order`: `b`'s values in their order on the
    number line (a number's exact values and bins), where a run of neighbours no row of a category
    holds counts as one pair (`_gaps`: a currency's rates, apart from another's by bins of 3
    expected rows); else the values too rare to tell one by one count as one, `<rare>` with them
    (`_rare_pool`: a culture's lab item, never one of the many lab numbers of a few rows each).
    `points`: a number's exact values, `b`'s first ones: a category whose values are a closed set
    (`_closed_sets`) never holds any exact value it does not hold; so too, where `closed`, any category
    it does not hold (an ancestor row's value, far back in the sequence: a country whose accounts are
    in its currency or USD only, 37 and 3 rows, never CHF, 4.4 rows by chance)."""
    held = (a >= 2) & (b >= 2)
    if held.sum() < MIN_EXPECTED:
        return []
    x, y = a[held] - 2, b[held] - 2
    n_a = int(a.max()) - 1
    counts = np.bincount(x * n_b + y, minlength=n_a * n_b).reshape(n_a, n_b)
    if ((counts > 0).sum(1) <= 1).all():
        return []
    expected = np.outer(counts.sum(1), counts.sum(0)) / held.sum()
    never = (counts == 0) & (expected >= MIN_EXPECTED)
    if order is not None:
        never[:] = False
        least = _least_run(n_a, len(order))
        never[:, order] = [_gaps(counts[i, order] == 0, expected[i, order], least) for i in range(n_a)]
        if points:  # a drug's few doses: an unseen one apart from any run of them is one too
            never[:, :points] |= _closed_sets(counts)[:, None] & (counts[:, :points] == 0) & (expected[:, :points] > 0)
    else:
        if closed:  # a country's accounts in its own currency or USD only: no CHF, though 4.4 expected
            never |= _closed_sets(counts)[:, None] & (counts == 0) & (expected > 0)
        never |= (counts == 0) & (expected > 0) & _decided_by_later(counts)  # a region: of one continent
        never = np.column_stack([np.zeros(n_a, dtype=bool), never]) | _rare_pool(a, b, n_a, n_b)
    return [(int(i), int(j) - (order is None)) for i, j in zip(*np.nonzero(never), strict=True)]


def _shares(a: np.ndarray, b: np.ndarray, of_pre: CategoricalPreproc, names: list) -> dict:
    """{"shares": {value of `a`: each category's share of `b` in its rows}, "marginal": each
    category's share in all rows}, over the rows holding a category in both: what generation
    restores where the model drew `b` without looking at `a` (`reweigh`)."""
    held = (a >= 2) & (b >= 2)
    n_a, n_b = len(of_pre.categories), len(names)
    counts = np.bincount((a[held] - 2) * n_b + b[held] - 2, minlength=n_a * n_b).reshape(n_a, n_b)
    rows = counts.sum(1)
    shares = {str(of_pre.categories[i]): np.round(counts[i] / rows[i], 4).tolist() for i in np.flatnonzero(rows)}
    return {"shares": shares, "marginal": np.round(counts.sum(0) / max(int(rows.sum()), 1), 4).tolist()}


def ignored(probs: np.ndarray, banned: np.ndarray, marginal: np.ndarray) -> np.ndarray | None:
    """How far each row of `probs` (rows, values) drew ignoring the earlier value (0 to 1): the
    probability it put on the values it bans, over their share in all rows; None where it bans none."""
    expected = float(marginal[banned].sum())
    if not expected > 0:
        return None
    return np.minimum(probs[..., banned].sum(-1).astype(np.float64) / expected, 1.0)


def reweigh(shares: np.ndarray, marginal: np.ndarray, r: float | np.ndarray) -> np.ndarray:
    """Per value of the later column, the weight that gives a row back its conditional share
    (per row, of (rows, values) `shares` and (rows, 1) `r`).

    A model that drew the column as if the earlier value were unknown gives each value its
    share over all rows (a woman's pregnancy code at half her rate: half the patients are men);
    masking the values the earlier one bans then spreads their probability over all the others,
    so an allowed value keeps the diluted rate (sex-specific diagnoses 140 of 271). With `r` how
    far it ignored the earlier value (`ignored`: 0 for a model that never draws banned values,
    nothing changes), its draw is read as the mixture (1 - r) * shares + r * marginal, and each
    value weighted by shares / mixture. A value the row's category never held but does not ban
    keeps weight 1."""
    mixture = (1 - r) * shares + r * marginal
    out = np.ones(mixture.shape)
    held = (shares > 0) & (mixture > 0)
    out[held] = np.broadcast_to(shares, mixture.shape)[held] / mixture[held]
    return out


def _decided_by_later(counts: np.ndarray) -> bool:
    """Whether each later category (a column of `counts`) is held under one earlier category at
    most (a region under its continent), of two or more earlier ones, where rows drawn apart would
    have kept every later category's rows under one earlier category but e^-MIN_EXPECTED of the
    time (each category's rows all under one: the sum over earlier ones of their share to the power
    of its rows). Pairs of few expected rows each (Asia's Central America, 2.8 of 200 countries)
    are then bans together: 5 to 10 % of a world-like database's generated countries had a region
    of another continent."""
    if not ((counts > 0).sum(0) <= 1).all() or ((counts > 0).sum(1) > 0).sum() < 2:
        return False
    shares = counts.sum(1) / max(int(counts.sum()), 1)
    rows = counts.sum(0)
    chance = sum(_log_sum_of_powers(shares[shares > 0], int(n)) for n in rows[rows > 1])
    return chance <= -MIN_EXPECTED


def _log_sum_of_powers(shares: np.ndarray, n: int) -> float:
    """log(sum(shares ** n)), in logs: a category of a thousand rows or more under a share of 0.5
    (a transaction's operation under its type) makes every power underflow to 0, whose log failed."""
    logs = n * np.log(shares)
    top = float(logs.max())
    return top + math.log(float(np.exp(logs - top).sum()))


def _closed_sets(counts: np.ndarray) -> np.ndarray:
    """Per row of `counts` (a category's rows per value), whether the values it holds are a closed
    set: none held once, and its rows would have fallen in any k values (k: those it holds) but
    e^-MIN_EXPECTED of the time, by the k commonest values' shares (C(m, k) sets of k among the m values, each at most
    that share to the power of its rows). A dose of 1,000 mg, 3 % of a column of 21 exact doses,
    expected 2 times among amoxicillin's 77 prescriptions (250, 500, 875 mg each), was no pair on
    its own, and 3 to 6 of ~880 generated prescriptions took a dose of another drug."""
    total = counts.sum(0)
    shares = np.sort(total[total > 0] / max(int(total.sum()), 1))[::-1]
    m, out = len(shares), np.zeros(len(counts), dtype=bool)
    for i, row in enumerate(counts):
        k, n = int((row > 0).sum()), int(row.sum())
        # and none of its values held once: its unseen values' share, by Good-Turing, is its values
        # held once over its rows (an agency's listings, 20 % in any city: many postal codes once each)
        if 0 < k < m and not (row == 1).any():
            sets = math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(m - k + 1)
            out[i] = sets + n * math.log(float(shares[:k].sum())) <= -MIN_EXPECTED
    return out


def _rare_pool(a: np.ndarray, b: np.ndarray, n_a: int, n_b: int) -> np.ndarray:
    """(n_a, 1 + n_b): per category of `a`, `b`'s `<rare>` and the categories it would hold fewer
    than `MIN_EXPECTED` rows of each by chance, where it holds none of them though it would hold
    `MIN_EXPECTED` of them together (none: e^-5 by chance, as a pair's)."""
    rows = (a >= 2) & (b >= 1)
    x, y = a[rows] - 2, b[rows] - 1  # y 0: <rare>
    counts = np.bincount(x * (n_b + 1) + y, minlength=n_a * (n_b + 1)).reshape(n_a, n_b + 1)
    expected = np.outer(counts.sum(1), counts.sum(0)) / max(int(rows.sum()), 1)
    pool = (expected > 0) & ((expected < MIN_EXPECTED) | (np.arange(n_b + 1) == 0))
    never = ((counts * pool).sum(1) == 0) & ((expected * pool).sum(1) >= MIN_EXPECTED)
    return pool & never[:, None]


def _least_run(n_a: int, n_values: int) -> float:
    """The expected rows a run of a number's neighbouring values no row of a category holds needs,
    to be a pair: `MIN_EXPECTED` plus the log of the runs that could have been empty (a run may
    start at any of the `n_values` values, under any of the `n_a` categories), so that chance
    leaves one of them all empty e^-MIN_EXPECTED of the time (Bonferroni). Each alone at e^-5, 3
    to 14 runs of a language's share (32 bins) under some of a country's 25 regions, drawn apart,
    were empty in 4 of 5 world-like databases, and banned."""
    return MIN_EXPECTED + math.log(max(n_a * n_values, 1))


def _gaps(empty: np.ndarray, expected: np.ndarray, least: float = MIN_EXPECTED) -> np.ndarray:
    """The values inside runs of neighbouring `empty` ones whose `expected` rows sum to `least`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], empty.astype(np.int8), [0]])))
    out = np.zeros(len(empty), dtype=bool)
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        out[start:stop] = expected[start:stop].sum() >= least
    return out


def _categories(pre, data: RelationalData, table: str, rows: np.ndarray):
    """(column, preprocessor, local tokens of `rows`; -1 where a row is -1) of `table`'s modelled
    categorical columns with categories, in header order."""
    layout = pre.layouts[table]
    for col, slot in zip(layout.fields, layout.slots, strict=False):
        col_pre = pre.slots[slot].preproc
        if isinstance(col_pre, CategoricalPreproc) and col_pre.categories and col in data[table].columns:
            tokens = col_pre.encode(data[table][col])
            yield col, col_pre, np.where(rows >= 0, tokens[np.maximum(rows, 0)], -1)


def _values(pre, data: RelationalData, table: str, summed: set[tuple[str, str]]):
    """(column, preprocessor, local tokens) of `table`'s categorical columns (`_categories`) and of
    its numbers written by their own value tokens, in header order; a number's tokens shifted by
    one so its values start at 2 as categories do (`<missing>`: 1, never paired)."""
    cats = {
        col: (col_pre, tokens) for col, col_pre, tokens in _categories(pre, data, table, np.arange(len(data[table])))
    }
    layout = pre.layouts[table]
    for col, slot in zip(layout.fields, layout.slots, strict=False):
        col_pre = pre.slots[slot].preproc
        if col in cats:
            yield col, *cats[col]
        elif col in data[table] and _written_as_value(pre, table, col, summed) and _names(col_pre):
            yield col, col_pre, col_pre.encode(data[table][col]) + 1


def _written_as_value(pre, table: str, col: str, summed: set[tuple[str, str]]) -> bool:
    """Whether `table.col` is a number whose tokens are its values: not set after generation
    (`summed`), nor an offset from another column (`orderings`)."""
    kind = pre.schema.tables[table].columns[col].kind if col in pre.schema.tables[table].columns else None
    return (
        kind in (Column.NUMERIC, Column.INTEGER)
        and (table, col) not in summed
        and col not in pre.orderings.get(table, {})
        and isinstance(field_preproc(pre, table, col), NumericPreproc)
    )


def _names(col_pre) -> list:
    """The value of each of a column's value tokens: its categories; a number's exact values, then
    its bins as [low, high]."""
    if isinstance(col_pre, CategoricalPreproc):
        return list(col_pre.categories)
    bins = [[float(lo), float(hi)] for lo, hi in zip(col_pre.edges, col_pre.edges[1:], strict=False)]
    return [float(v) for v in col_pre.points] + bins


def _order(col_pre) -> np.ndarray | None:
    """A number's `_names` in their order on the number line (an exact value before a bin starting
    on it); None for categories."""
    if isinstance(col_pre, CategoricalPreproc):
        return None
    names = _names(col_pre)
    starts = [v[0] if isinstance(v, list) else v for v in names]
    return np.lexsort(([isinstance(v, list) for v in names], starts))


def _value_ids(slot) -> dict[str, int]:
    """A slot's global token id of each value `_names` gives, by `_key`."""
    if isinstance(slot.preproc, CategoricalPreproc):
        return slot.category_tokens()
    return {_key(v, True): slot.offset + 1 + k for k, v in enumerate(_names(slot.preproc))}


def _key(value, number: bool) -> str:
    """A value's text as `_value_ids` keys it (a number's as float: 5000 and 5000.0 alike)."""
    if not number:
        return str(value)
    return str([float(v) for v in value]) if isinstance(value, list) else str(float(value))


def _ancestor_sources(pre, data: RelationalData, table: str) -> list[tuple[int, str, np.ndarray]]:
    """(level, column, local tokens per row of `table`) of the categorical columns of each ancestor
    row the grammar writes before it (parent: 1), along the nesting keys."""
    out, child, level = [], table, 0
    while (edge := pre.schema.parent(child)) is not None and edge.parent in pre.layouts and edge.fk in data[child]:
        child, level = edge.parent, level + 1
        pk = pre.schema.tables[child].primary_key
        rows = pd.Index(data[child][pk]).get_indexer(ancestor_keys(pre.schema, data, table, child))
        out += [(level, col, tokens) for col, p, tokens in _categories(pre, data, child, rows) if _source(p)]
    return out


def _source(col_pre: CategoricalPreproc) -> bool:
    """Whether a column may mask a later one: `MAX_SOURCE_CATEGORIES` at most."""
    return len(col_pre.categories) <= MAX_SOURCE_CATEGORIES


def _table_at(pre, table: str, level: int) -> str:
    """The table `level` steps up `table`'s nesting chain."""
    for _ in range(level):
        table = pre.schema.parent(table).parent
    return table


@dataclass(frozen=True)
class PairBan:
    """At a header position: the later tokens a row may not take, by the token the earlier column
    holds (`level` 0: the row's own header position `source`; 1: its parent row's ...)."""

    level: int
    source: int
    banned: dict[int, np.ndarray]
    # the later column's category tokens, and per earlier token their shares in its rows, with
    # their shares in all rows (`reweigh`; none: older models, numbers, sign labels)
    ids: np.ndarray | None = None
    shares: dict[int, np.ndarray] | None = None
    marginal: np.ndarray | None = None


def pair_bans(pre, rules: list[dict]) -> dict[str, dict[int, list[PairBan]]]:
    """table -> {header position of `column`: its `PairBan`s} of `find_never_pairs`' rules, in
    global token ids (a rule whose columns are no longer modelled: left out)."""
    out: dict[str, dict[int, list[PairBan]]] = {}
    for r in rules:
        layout = pre.layouts.get(r["table"])
        if layout is None or r["column"] not in layout.fields:
            continue
        above = pre.layouts.get(_table_at(pre, r["table"], r["level"]))
        if above is None or r["of"] not in above.fields:
            continue
        i, j = above.fields.index(r["of"]), layout.fields.index(r["column"])
        of_ids, ids = pre.slots[above.slots[i]].category_tokens(), _value_ids(pre.slots[layout.slots[j]])
        banned: dict[int, list[int]] = {}
        for a, b in r["pairs"]:
            if str(a) in of_ids and (b := _key(b, r.get("number", False))) in ids:
                banned.setdefault(of_ids[str(a)], []).append(ids[b])
        for a in r.get("rare", []):  # <rare>: local id 1
            if str(a) in of_ids:
                banned.setdefault(of_ids[str(a)], []).append(pre.slots[layout.slots[j]].offset + 1)
        ban = PairBan(r["level"], i, {a: np.asarray(b, dtype=np.int64) for a, b in banned.items()})
        out.setdefault(r["table"], {}).setdefault(j, []).append(_with_shares(ban, r, of_ids, ids))
    return out


def _with_shares(ban: PairBan, rule: dict, of_ids: dict[str, int], ids: dict[str, int]) -> PairBan:
    """`ban` with its rule's shares in global token ids (`reweigh`), where it keeps them and its
    categories are still the column's."""
    if "shares" not in rule or any(str(a) not in of_ids for a in rule["shares"]):
        return ban
    if len(ids) != len(rule["marginal"]):
        return ban
    return PairBan(
        ban.level,
        ban.source,
        ban.banned,
        np.fromiter(ids.values(), dtype=np.int64),
        {of_ids[str(a)]: np.asarray(v, dtype=float) for a, v in rule["shares"].items()},
        np.asarray(rule["marginal"], dtype=float),
    )


def pair_scope(pre, tables: dict[str, pd.DataFrame], table: str, column: str) -> list[pd.Series]:
    """Per never-pair rule between `column` and another column of its row or of an ancestor row
    (`find_never_pairs`), each row's value of that other column as text: `column`'s values swapped
    only among rows of one such value keep the pairs (`_decode`'s lookup slots: a teacher of the
    lower grades stays in their classes)."""
    out = []
    for r in pre.stats.get("never_pairs", []):
        if r["table"] != table or column not in (r["column"], r["of"]) or (r["of"] == column and r["level"]):
            continue
        if r.get("number"):  # a number's values: no scope (each row's its own)
            continue
        if r["column"] == column and r["level"]:
            above = _table_at(pre, table, r["level"])
            keys = ancestor_keys(pre.schema, tables, table, above).to_numpy()
            frame = tables[above].drop_duplicates(pre.schema.tables[above].primary_key)
            values = frame.set_index(pre.schema.tables[above].primary_key)[r["of"]].reindex(keys)
        else:
            values = tables[table][r["of"] if r["column"] == column else r["column"]]
        out.append(pd.Series(values.astype(str).to_numpy(), index=tables[table].index))
    return out

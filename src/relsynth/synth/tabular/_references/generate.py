"""Generation: the keys of every reference of the generated tables (`assign_references`), dealt
out by degree and paired by affinity (`draw_references`), kept under their scope row
(`draw_within`) or never repeated under one parent row (`without_repeats`), never the row
another key of theirs names where the data's never are (`kept_apart`), then the values
copied across them; the link rows that repeat keys the data never does, dropped
(`drop_repeated_links`), and those the data stores both ways stored so (`mirror_links`); and
the pairs of a composite key made rows of the table it names (`keep_composite_references`)."""

from __future__ import annotations

import bisect
import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.relational import Column
from relsynth.relational.data import SQL_FORMAT, composite_references, copy_row_keys
from relsynth.relational.orders import ancestor_keys, as_numbers, parent_rows, with_ancestors
from relsynth.relational.row_keys import row_key_columns
from relsynth.relational.schema import Edge
from relsynth.synth.tabular._references.added_rows import add_missing_rows
from relsynth.synth.tabular._references.as_of import as_of_keys
from relsynth.synth.tabular._references.copies import copy_values, decided_by
from relsynth.synth.tabular._references.cycles import scope_codes, without_cycles
from relsynth.synth.tabular._references.decided import keep_decided
from relsynth.synth.tabular._references.degrees import deal, ranked, stratified
from relsynth.synth.tabular._references.depths import within_depth
from relsynth.synth.tabular._references.extremes import point_at_extremes
from relsynth.synth.tabular._references.fit import child_extremes, effect_scores, unnamed
from relsynth.synth.tabular._references.grouped import group_keys
from relsynth.synth.tabular._references.pairing import (
    MAX_GROUPS,
    Affinity,
    ReferenceOrders,
    apart_points,
    coarse_tokens,
    count_fields,
    feature_fields,
    pair_up,
    with_parent_row,
    with_points_apart,
)
from relsynth.synth.tabular._references.periods import cover_periods, in_period_keys, period_scope, with_periods
from relsynth.synth.tabular._references.ranked import rank_labels
from relsynth.synth.tabular._references.ratios import scale_values
from relsynth.synth.tabular._references.redeal import redeal_repeats
from relsynth.synth.tabular._references.same_values import SameValues, Summed
from relsynth.synth.tabular._references.siblings import keep_sibling_named
from relsynth.synth.tabular.encoders import plain_scalar
from relsynth.synth.tabular.rules.sibling_numbers import renumber_siblings

log = logging.getLogger(__name__)


def assign_references(
    pre,
    tables: dict[str, pd.DataFrame],
    keys: dict[str, pd.Series],
    headers: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> None:
    """Fill every reference column of the generated `tables` (in place) with keys of the rows
    generated for its referenced table (`keys`), following the fitted `pre.stats["references"]`
    (`reference_stats`; none: every row equally often, no nulls); `headers`: each table's rows'
    header tokens, which the affinity scores. Then the values copied across them, referenced
    tables' copies first (a line copies its product's price, copied from its supplier's)."""
    schema, fitted = pre.schema, pre.stats.get("references", {})
    cover_periods(pre, tables)  # a season's year one its matches' dates name, before keys are dealt by it
    edges = [e for table in schema.synth_tables for e in schema.references(table)]

    def via(e: Edge) -> bool:
        return bool((fitted.get(f"{e.child}.{e.fk}") or {}).get("within_via"))

    # a reference kept under a row its referenced rows name through a reference of theirs (a
    # payment's rental, one of its customer's) is drawn once those keys are, referenced tables first
    order = {t: i for i, t in enumerate(schema.referenced_first())}
    later = sorted((e for e in edges if via(e)), key=lambda e: order[e.child])
    # a key to its own table drawn among the rows of another key of theirs (a manager of the employee's
    # department, `same`) once that key is drawn, whichever column comes first
    keyed = {
        (e.child, r)
        for e in edges
        for stats in [fitted.get(f"{e.child}.{e.fk}") or {}]
        for r in [stats.get("same"), (stats.get("step_same") or [None])[0]]
    }
    edges = sorted(edges, key=lambda e: (e.child, e.fk) not in keyed)
    # a key naming no row its table's own key names (a line's account, no parent account) once that key is drawn
    edges = sorted(edges, key=lambda e: bool((fitted.get(f"{e.child}.{e.fk}") or {}).get("never_named_by")))
    # a key drawn among the rows matching one of its row's keys (a goal's scorer, a player of the match's
    # home or away team: `within_any`) once those keys are drawn and kept, their swaps done
    last = [e for e in edges if (fitted.get(f"{e.child}.{e.fk}") or {}).get("within_any")]
    # and a reference kept under the row such a key names (a payment's rental, one of its customer's,
    # the rental's customer drawn among its store's) once that key is drawn and kept
    drawn_last = {(e.child, e.fk) for e in last}
    after_last = [e for e in later if (e.parent, fitted[f"{e.child}.{e.fk}"]["within_via"]) in drawn_last]
    first = [e for e in edges if e not in last and e not in after_last]
    drawn: set[tuple[str, str]] = set()
    for group in ([e for e in first if not via(e)] + [e for e in later if e in first], last, after_last):
        for e in group:
            tables[e.child][e.fk] = assign_reference(pre, tables, keys, headers, rng, e, drawn)
            if grouped := (fitted.get(f"{e.child}.{e.fk}") or {}).get("grouped"):  # none in older models
                column, share = grouped
                tables[e.child][e.fk] = group_keys(tables[e.child][e.fk], tables[e.child][column], share, rng)
            rank_labels(schema, tables, e, fitted.get(f"{e.child}.{e.fk}") or {})  # before the swaps reading them
            drawn.add((e.child, e.fk))
        keep_references(pre, tables, keys, rng, group)
    for e in edges:  # an item's seller, its product's: once every key is dealt and kept
        if by := (fitted.get(f"{e.child}.{e.fk}") or {}).get("decided_by"):  # none in older models
            keep_decided(tables, e, by)
    keep_sibling_named(pre, tables, rng)  # a tag's movie, one its user rated: once every key is drawn
    for table in schema.referenced_first():  # a row copies from rows whose own copies are made
        for e in schema.references(table):
            copy_across(pre, tables, e, rng, of_totals=False)


def keep_references(
    pre, tables: dict[str, pd.DataFrame], keys: dict[str, pd.Series], rng: np.random.Generator, edges: list[Edge]
) -> None:
    """The keys of the references `edges`, once drawn, swapped or redrawn (in place) to keep the
    fitted rules across rows: apart, acyclic, unique across two columns or with values of the row."""
    schema, fitted = pre.schema, pre.stats.get("references", {})
    for e in edges:  # once every key is drawn: a flight's destination, never its origin
        stats = fitted.get(f"{e.child}.{e.fk}") or {}
        # swapped only among the rows of one scope row: a match's away team stays one of its league's
        scope = ancestor_keys(schema, tables, e.child, stats["within"]) if stats.get("within") else None
        nest, pk = schema.parent(e.child), schema.tables[e.parent].primary_key
        # nor a swap making a parent row name one row twice where the data's never do (a user's follows)
        groups = tables[e.child][nest.fk] if stats.get("unique_pairs") and nest is not None else None
        above = parent_rows(tables, schema, e.child, stats.get("apart_parent") or [])
        keeps = order_keeps(schema, tables, e, stats)
        rules = [
            *((tables[e.child][other], None) for other in stats.get("apart") or []),
            *(  # a like's user, never its post's author
                (tables[e.child][other], dict(zip(tables[e.parent][pk], tables[e.parent][theirs], strict=True)))
                for other, theirs in stats.get("apart_named") or []
            ),
            *((above[c].set_axis(tables[e.child].index), None) for c in stats.get("apart_parent") or []),
        ]
        for others, through in rules:
            tables[e.child][e.fk] = kept_apart(
                tables[e.child][e.fk],
                others,
                rng,
                f"{e.child}.{e.fk}",
                scope,
                through=through,
                groups=groups,
                keeps=keeps,
            )
    for e in edges:  # nor a link closing a cycle where the data's never do: no part is its own component
        if other := (fitted.get(f"{e.child}.{e.fk}") or {}).get("acyclic_from"):
            links = tables[e.child]
            scopes = link_scopes(pre, tables, e)
            links[e.fk] = without_cycles(links[other], links[e.fk], keys[e.parent], rng, f"{e.child}.{e.fk}", scopes)
    for e in edges:  # every atom in a bond, where the data's are: as atom2 or atom1 of a bond of its molecule
        if other := (fitted.get(f"{e.child}.{e.fk}") or {}).get("covered_with"):
            links = tables[e.child]
            links[[other, e.fk]] = cover(links[[other, e.fk]], keys[e.parent], link_scopes(pre, tables, e), rng)
    for e in edges:  # keys no parent row names twice across two columns: a team plays once a round
        for other in (fitted.get(f"{e.child}.{e.fk}") or {}).get("unique_across") or []:
            if not any((fitted.get(f"{e.child}.{c}") or {}).get("within") for c in (e.fk, other)):
                both, groups = [other, e.fk], tables[e.child][schema.parent(e.child).fk]
                tables[e.child][both] = unique_across_rows(groups, tables[e.child][both], rng, e.child)
    for e in edges:  # nor with values of its row the data's never repeat it with: a teacher in one lesson a slot
        stats = fitted.get(f"{e.child}.{e.fk}") or {}
        if combo := stats.get("unique_with"):
            scope = ancestor_keys(schema, tables, e.child, stats["within"]) if stats.get("within") else None
            # nor a swap undoing `apart` (a match's home team, never its away team, both a team once a date)
            avoid = tables[e.child][apart_columns(fitted, e)]
            # and with each further set at once (a season's fixture): a swap for one never undoes another
            more = [slot_groups(tables[e.child], c, scope).to_numpy() for c in stats.get("unique_with_also") or []]
            tables[e.child][e.fk] = unique_with_rows(
                tables[e.child], e.fk, combo, scope, rng, f"{e.child}.{e.fk}", avoid=avoid, more=more
            )
    for e in edges:  # nor under its parent row with values of its row: a student in a course once a semester
        if combo := (stats := fitted.get(f"{e.child}.{e.fk}") or {}).get("unique_under"):
            avoid, parents = tables[e.child][apart_columns(fitted, e)], tables[e.child][schema.parent(e.child).fk]
            # and a swap keeps a match in its season (none in older models)
            swaps = period_scope(schema, tables, e, stats, parents) if stats.get("year_periods") else None
            tables[e.child][e.fk] = unique_with_rows(
                tables[e.child], e.fk, combo, parents, rng, f"{e.child}.{e.fk}", avoid=avoid, swaps=swaps
            )
    for e in edges:  # nor across two columns: a team home or away in one match a date
        stats = fitted.get(f"{e.child}.{e.fk}") or {}
        for other in stats.get("unique_with_across") or []:
            frame = tables[e.child]
            scope = ancestor_keys(schema, tables, e.child, stats["within"]) if stats.get("within") else None
            groups = slot_groups(frame, stats["unique_with"], scope)
            both = [other, e.fk]
            apart = other in apart_columns(fitted, e)
            within = f"rows of one {', '.join(stats['unique_with'])}"
            more = further_groups(fitted, frame, e.child, both, scope)
            # a further set the two share no key across either (a season's round): one group for both columns
            sets = [s for c, s in stats.get("unique_also_across") or [] if c == other]
            more += [np.tile(slot_groups(frame, s, scope).to_numpy(), 2) for s in sets]
            # a parent key stays: the rows generated under its row are its (a home team's matches)
            fixed = [other] if other == getattr(schema.parent(e.child), "fk", None) else []
            frame[both] = unique_across_rows(
                groups, frame[both], rng, e.child, apart=apart, within=within, more=more, fixed=fixed
            )


def order_keeps(schema, tables: dict[str, pd.DataFrame], e: Edge, stats: dict):
    """`keeps(i, j, key_i, key_j)`: whether rows i and j of `e.child` (positions) keep every
    `reference_orders` order of `e` once swapped (row i naming key_j, row j key_i), for `kept_apart`;
    None where `e` keeps none (or names its own table). A self-citation swapped for another
    citation's paper broke the cited paper's year <= the citing paper's (19 of 1,336 citations)."""
    if (order := reference_order(schema, tables, e, stats)) is None:
        return None
    at = pd.Index(tables[e.parent][schema.tables[e.parent].primary_key])

    def keeps(i: int, j: int, key_i: object, key_j: object) -> bool:
        named = at.get_indexer([key_j, key_i])  # row i's key after the swap, then row j's
        if (named < 0).any():  # a key of no generated row: no order to keep
            return True
        return not order.broken(np.array([i, j]), named).any()

    return keeps


def reference_order(schema, tables: dict[str, pd.DataFrame], e: Edge, stats: dict) -> ReferenceOrders | None:
    """The `reference_orders` orders of `e` over the generated rows (`ReferenceOrders.broken(rows,
    named rows)`, by position); None where `e` keeps none (or names its own table)."""
    after = stats.get("after")
    orders = stats.get("orders") or ([[*after, 1]] if after else [])
    if not (orders or stats.get("year_periods")) or e.parent == e.child:
        return None
    own, own_orders, own_kinds = with_parent_columns(schema, tables, e.child, orders)
    named = with_ancestor_dates(schema, tables, e.parent, orders)
    _, own_orders, windows, named = with_periods(tables, e, stats, orders, own_orders, stats.get("windows"), named)
    return ReferenceOrders.of(own, named, own_orders, own_kinds, windows)


def keep_extreme_keys(pre, tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Keys named at their scope's extreme number in the data's share (`extremes`), once every
    number is final, each move keeping the reference's orders."""
    rules, schema = pre.stats.get("extreme_keys") or [], pre.schema
    orders = {
        (r["table"], r["fk"]): reference_order(
            schema, tables, Edge(r["table"], r["fk"], r["parent"]), pre.stats["references"][f"{r['table']}.{r['fk']}"]
        )
        for r in rules
        if r["table"] in tables and r["parent"] in tables
    }

    def keeps(rule: dict, row: int, named: int) -> bool:
        order = orders.get((rule["table"], rule["fk"]))
        return order is None or not order.broken(np.array([row]), np.array([named])).any()

    point_at_extremes(rules, tables, schema, rng, keeps)


def link_scopes(pre, tables: dict[str, pd.DataFrame], e: Edge) -> tuple[pd.Series, pd.Series] | None:
    """Reference `e`'s rows' scope rows and its referenced rows' (`within`, by position, as
    `assign_reference` draws them), or None where it has no scope."""
    stats = pre.stats.get("references", {}).get(f"{e.child}.{e.fk}") or {}
    if not (scope := stats.get("within")) or stats.get("within_any"):
        return None
    mine = ancestor_keys(pre.schema, tables, e.child, scope)
    if via := stats.get("within_via"):
        return mine, tables[e.parent][via].reset_index(drop=True)
    return mine, ancestor_keys(pre.schema, tables, e.parent, scope)


def cover(
    links: pd.DataFrame, keys: pd.Series, scopes: tuple[pd.Series, pd.Series] | None, rng: np.random.Generator
) -> pd.DataFrame:
    """`links` (two key columns to the rows `keys`) with each row of `keys` that neither names put in
    place of a key some row names at least twice, in the second column, else the first, of a link
    under its own scope row (`scopes`: each link's and each key's, by position; None: one for all):
    the degrees move from a row named often to one named by none, as the data's rows are all named
    (`covered_with`). A row named by none holds no link, so none closes a cycle, names itself or
    repeats a pair. A row whose scope has no such link stays unnamed, counted in a warning."""
    out = links.copy()
    values = [out.iloc[:, k].to_numpy(dtype=object).copy() for k in (0, 1)]
    counts = Counter(v for col in values for v in col if not pd.isna(v))
    own, theirs = scope_codes(scopes, len(out), len(keys))
    unnamed = [i for i, k in enumerate(keys.to_numpy(dtype=object)) if not pd.isna(k) and counts[k] == 0]
    by_scope: dict[int, list[int]] = {}
    for i in rng.permutation(len(out)):
        by_scope.setdefault(int(own[i]), []).append(int(i))
    left = 0
    for i in unnamed:
        k = keys.iloc[i]
        rows = by_scope.get(int(theirs[i]), []) if scopes is not None else by_scope.get(0, [])
        placed = False
        for col in (1, 0):
            for j in rows:
                old = values[col][j]
                if not pd.isna(old) and counts[old] >= 2:
                    values[col][j], placed = k, True
                    counts[old] -= 1
                    counts[k] += 1
                    break
            if placed:
                break
        left += not placed
    if unnamed:
        log.info(
            "%s: %d generated row(s) named by no link given one, %d left",
            "/".join(links.columns),
            len(unnamed) - left,
            left,
        )
    for k, col in enumerate(out.columns):
        out[col] = pd.array(values[k], dtype=links[col].dtype)
    return out


def further_groups(
    fitted: dict, frame: pd.DataFrame, table: str, columns: list[str], scope: pd.Series | None
) -> list[np.ndarray]:
    """Each key position of `columns` (end to end, as `unique_across_rows` holds them)'s group of its
    own reference's further sets (`unique_with_also`, as the rows hold them now: a home team's season
    and away team), so swaps across the columns keep them too; a column with fewer sets, or a row
    missing a value, is a group of its own there."""
    sets = [(fitted.get(f"{table}.{c}") or {}).get("unique_with_also") or [] for c in columns]
    n, out = len(frame), []
    for k in range(max(map(len, sets), default=0)):
        parts = [
            slot_groups(frame, s[k], scope).to_numpy() + i * (n + 1) * 2 if k < len(s) else -1 - np.arange(n) - i * n
            for i, s in enumerate(sets)
        ]
        out.append(np.concatenate(parts))
    return out


def copy_totals(pre, tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """The copies (in place) whose referenced column is a total (`_totals`), left out by
    `assign_references`: made once the totals are set, else they copy the value a total replaces
    (a payment's amount, its invoice's total)."""
    for table in pre.schema.referenced_first():
        for e in pre.schema.references(table):
            copy_across(pre, tables, e, rng, of_totals=True)


def copy_across(pre, tables: dict[str, pd.DataFrame], e: Edge, rng: np.random.Generator, of_totals: bool) -> None:
    """The fitted copies of reference `e` (`copies`) whose referenced column is a total or is not (`of_totals`)."""
    totals = {(t["table"], t["column"]) for t in pre.stats.get("totals", [])}
    ref = pre.stats.get("references", {}).get(f"{e.child}.{e.fk}") or {}
    copies = [c for c in ref.get("copies") or [] if ((e.parent, c[1]) in totals) is of_totals]
    pk = pre.schema.tables[e.parent].primary_key
    decided = decided_by(pre.stats.get("dependencies", []), e.child)  # a copy keeps its row's pairs
    copy_values(
        copies,
        tables[e.child],
        tables[e.parent],
        tables[e.child][e.fk],
        pk,
        rng,
        own_table=e.child == e.parent,
        decided=decided,
    )
    # none in older models, nor under DP
    ratios = [r for r in ref.get("ratios") or [] if ((e.parent, r["source"]) in totals) is of_totals]
    scale_values(ratios, tables[e.child], tables[e.parent], tables[e.child][e.fk], pk, rng)


def assign_reference(
    pre,
    tables: dict[str, pd.DataFrame],
    keys: dict[str, pd.Series],
    headers: dict[str, np.ndarray],
    rng: np.random.Generator,
    e: Edge,
    drawn: Collection[tuple[str, str]] = (),
) -> pd.Series:
    """The keys of reference `e` for the generated rows of `e.child` (`assign_references`); `drawn`:
    the (table, key) pairs already drawn, whose nulls a key null with one of them follows (`null_with`)."""
    schema, table = pre.schema, e.child
    fitted = pre.stats.get("references", {}).get(f"{table}.{e.fk}") or {}
    null_share = float(fitted.get("null_share", 0.0))
    if len(keys[e.parent]) == 0 and len(tables[table]) and null_share < 1.0:
        warn_nothing_to_name(e.child, e.fk, e.parent, len(tables[table]), null_share)
    coarse = coarse_tokens(pre, int(fitted.get("groups", MAX_GROUPS)))
    raw = referencing_headers(pre, tables, keys, headers, table)
    pick = [coarse[raw], coarse[headers[e.parent][:, feature_fields(pre, e.parent)]]]
    cells = fitted.get("affinity") or []
    referenced = coarse[referencing_headers(pre, tables, keys, headers, e.parent)]  # its parent row's too, as fitted
    scored = coarse[degree_headers(pre, tables, keys, headers, e.parent)]
    scores = effect_scores({int(t): m for t, m in fitted.get("degree_effects") or []}, scored)
    nulls = row_null_shares(fitted.get("null_by"), pick[0], null_share, raw)
    if (table, fitted.get("null_with")) in drawn:  # null where that key was drawn null, named where it names a row
        nulls = tables[table][fitted["null_with"]].isna().to_numpy(dtype=np.float64)
    if (missing := fitted.get("null_as")) is not None and missing in tables[table]:  # none in older models
        nulls = tables[table][missing].isna().to_numpy(dtype=np.float64)  # null where that column is missing
    unnamed = np.isin(pick[1], fitted.get("never_named") or []).any(axis=1)
    for child in fitted.get("never_named_with") or []:  # a category holding products names no subcategory
        unnamed |= keys[e.parent].isin(tables[child][schema.parent(child).fk]).to_numpy()
    for own in fitted.get("never_named_by") or []:  # a line's account, no parent account (none in older models)
        unnamed |= keys[e.parent].isin(tables[e.parent][own].dropna()).to_numpy()
    nest = schema.parent(table)
    groups = tables[table][nest.fk] if fitted.get("unique_pairs") and nest is not None else None
    if (beside := fitted.get("unique_beside")) and tables[table][beside].notna().any():  # drawn before this one
        groups = tables[table][beside].reset_index(drop=True)  # a team once a season (none in older models)
    after = fitted.get("after")  # [child date, parent date] (`date_after`); none in older models
    dates = (tables[table][after[0]], tables[e.parent][after[1]]) if after else None
    # [child column, parent column, sign] (`reference_orders`); a self-reference's or an older model's: its dates
    orders = fitted.get("orders") or []
    if after and [*after, 1] not in orders:  # a self-reference's one date, or an older model's date pair
        orders = [[*after, 1], *orders]
    own, own_orders, own_kinds = with_parent_columns(schema, tables, table, orders)
    named = with_ancestor_dates(schema, tables, e.parent, orders)  # a site's trial's start
    windows = fitted.get("windows")  # the gaps some orders keep within (none in older models)
    # a match's date within its season's year (none in older models)
    orders, own_orders, windows, named = with_periods(tables, e, fitted, orders, own_orders, windows, named)
    room = degree_room(tables, schema, e.parent, fitted.get("capped_by"), len(tables[table]))
    scope = fitted.get("within")
    # a key to its own table names an earlier row, so no cycle forms, earlier by date where the data's
    # always are (`own_date`); kept among the rows naming it back (a question's accepted answer): any
    own_table = e.parent == table and scope != table
    rows = date_order(dates[0]) if dates is not None and own_table else np.arange(len(tables[table]))
    if own_table and dates is None:  # the model's rows come in no order: the ones that may be named first
        rows = named_rows_first(rows, unnamed)

    def draw(
        rows: np.ndarray, targets: np.ndarray, earlier_only: bool = own_table, degrees=None, cap: int | None = None
    ) -> pd.Series:
        """Keys for the generated rows `rows` among the referenced rows `targets` (positions); `earlier_only`:
        each names an earlier row of `targets`, the two one list; `degrees`: the targets' quantiles, if not all rows';
        `cap`: no target named more often where others have room."""
        # a row can be linked once per parent row at most: never a degree above their number
        most = None if groups is None else int(groups.iloc[rows].nunique())
        most = cap if most is None else most if cap is None else min(most, cap)
        if fitted.get("named_once"):  # none in older models
            most = 1
        return draw_references(
            len(rows),
            keys[e.parent].iloc[targets].reset_index(drop=True),
            null_share=nulls[rows],
            degrees=np.asarray(degrees or fitted.get("degrees") or [1], dtype=np.float64),
            rng=rng,
            own_table=earlier_only,
            affinity=Summed.of(
                Affinity.of(cells, pick[0][rows], referenced[targets]),
                SameValues.of(fitted.get("same_values") or [], tables, schema, e, rows, targets),
            ),
            parent_scores=scores[targets],
            unnamed=unnamed[targets],
            copula=float(fitted.get("degree_copula", 0.0)),
            max_degree=lowest(most, room, targets),
            order=ReferenceOrders.of(own.iloc[rows], named.iloc[targets], own_orders, own_kinds, windows)
            if orders
            else None,
        )

    def only(rows: np.ndarray, targets: np.ndarray) -> pd.Series:
        """Each of the generated rows `rows` names its one possible row `targets` (positions), or none."""
        out = pd.Series(keys[e.parent].iloc[targets].to_numpy(), dtype=keys[e.parent].dtype)
        out.iloc[np.flatnonzero(rng.random(len(rows)) < nulls[rows])] = pd.NA
        if own_table:  # the one row of its scope row is the row itself: it names none
            out.iloc[:] = pd.NA
        return out

    if scope and own_table:  # an earlier row under the row's own scope row (a manager of its department)
        mine = ancestor_keys(schema, tables, table, scope).iloc[rows].reset_index(drop=True)
        dated = lambda f: lambda mine, theirs: f(rows[mine], rows[theirs])  # noqa: E731  positions in date order
        drawn = draw_within(mine, mine, dated(draw), dated(only), f"{table}.{e.fk}", scope)
        drawn = drawn.set_axis(rows).sort_index()
    elif any_of := fitted.get("within_any"):  # a player of the match's home or away team
        theirs = tables[e.parent][any_of["via"]].reset_index(drop=True)
        mine = one_of_keys(schema, tables, table, any_of, theirs, rng)
        drawn = draw_within(mine, theirs, draw, only, f"{table}.{e.fk}", f"{e.parent}.{any_of['via']}")
    elif scope:
        mine = ancestor_keys(schema, tables, table, scope)
        if via := fitted.get("within_via"):  # the scope row the referenced row names (a rental's customer)
            theirs = tables[e.parent][via].reset_index(drop=True)
        else:
            theirs = ancestor_keys(schema, tables, e.parent, scope)
        # null where its own row got no row to name only where the data's key is ever null (an accepted answer,
        # older models); one never null names another row's: a staff's store, its store not generated, was null
        alone = scope == table and not fitted.get("never_null")
        drawn = draw_within(mine, theirs, draw, only, f"{table}.{e.fk}", scope, alone=alone)
    else:
        if e.parent == table and (step := fitted.get("step")):  # a row of the label its own says (level - 1)
            # each label's rows dealt its own degrees where fitted (none in older models: all rows')
            per_label = {plain_scalar(label): d for label, d in fitted.get("step_degrees") or []}

            def by_step(mine: np.ndarray, theirs: np.ndarray, target: object) -> pd.Series:  # in date order
                return draw(rows[mine], rows[theirs], earlier_only=False, degrees=per_label.get(plain_scalar(target)))

            # and of the row's own department below the top (none in older models)
            shared = fitted.get("step_same") or [None, []]
            same = tables[table][shared[0]].iloc[rows].reset_index(drop=True) if shared[0] else None
            labels = tables[table][step[0]].iloc[rows].reset_index(drop=True)
            drawn = draw_by_step(
                labels, step[1], by_step, keys[table].iloc[rows], rng, f"{table}.{e.fk}", same, shared[1]
            )
            drawn = drawn.set_axis(rows).sort_index()
        elif e.parent == table and (label := fitted.get("same")):  # an earlier row of its own label
            by_date = lambda mine, theirs: draw(rows[mine], rows[theirs])  # noqa: E731  positions in date order
            drawn = draw_by_label(tables[table][label].iloc[rows], by_date).set_axis(rows).sort_index()
        elif e.parent == table:
            drawn = draw(rows, rows).set_axis(rows).sort_index()
        elif one := fitted.get("one_each"):  # one OWNER an account: those rows deal each account once
            even_once_labels(pre, tables, keys, table, rows, len(keys[e.parent]), one, rng, f"{table}.{e.fk}")
            once, rest = once_rows(
                tables[table][one["column"]].iloc[rows], len(keys[e.parent]), one, rng, f"{table}.{e.fk}"
            )
            everyone = np.arange(len(keys[e.parent]))
            drawn = pd.concat(
                [
                    draw(rows[once], everyone, degrees=[1], cap=1).set_axis(rows[once]),
                    draw(rows[rest], everyone, degrees=one["degrees"]).set_axis(rows[rest]),
                ]
            ).sort_index()
        else:
            drawn = draw(rows, np.arange(len(keys[e.parent])))
        if groups is not None:  # unscoped only: a swap could move a key out from under its scope row
            drawn = without_repeats(groups, drawn, rng)
        if orders and e.parent != table:  # the swaps above, and pairings in blocks, break a few orders
            order = ReferenceOrders.of(own, named, own_orders, own_kinds, windows)
            drawn = kept_in_order(drawn, keys[e.parent], order, rng, groups)
        elif orders and windows:  # ... and a row late in its block names any earlier row: a mother 2 years older
            order = ReferenceOrders.of(own, named, own_orders, own_kinds, windows)
            said = [(fitted.get(k) or [None])[0] for k in ("step", "step_same")]  # a level, a department
            place = np.empty(len(rows), dtype=np.int64)
            place[rows] = np.arange(len(rows))  # each row names an earlier row
            own_rows = OwnRows(own_labels(tables[table], [*said, fitted.get("same")]), place, ~unnamed)
            drawn = retargeted(drawn, keys[e.parent], order, own_rows, rng)
    if own_table and (cap := fitted.get("max_depth")):  # no deeper than the data's tree (none in older models)
        label = fitted.get("same")  # each row moved within its scope row, and to a row of its label
        groups = ancestor_keys(schema, tables, table, scope).reset_index(drop=True) if scope else None
        if label:
            labels = tables[table][label].reset_index(drop=True).astype(object)
            groups = labels if groups is None else groups.astype(str) + "\x00" + labels.astype(str)
        drawn = within_depth(drawn, keys[table], rows, int(cap), rng, f"{table}.{e.fk}", groups, unnamed)
    if scope and fitted.get("as_of"):  # the version valid at the row's date (none in older models)
        drawn = as_of_keys(schema, tables, keys[e.parent], e, fitted, drawn)
    # a match moved to the season holding its date (none in older models), where no cap on a row's degree
    # forbids it nor the version valid at its date was named; the rows' groups kept as before
    if fitted.get("year_periods") and not any(fitted.get(k) for k in ("named_once", "capped_by", "as_of")):
        drawn = in_period_keys(schema, tables, e, keys[e.parent], fitted, drawn, rng)
        if groups is not None and not scope:
            drawn = without_repeats(groups, drawn, rng)
    if room is not None:
        warn_over_room(drawn, keys[e.parent], room, f"{table}.{e.fk}", cap_name(e.parent, fitted["capped_by"]))
    return drawn


def even_once_labels(
    pre, tables, keys, table: str, rows: np.ndarray, n_targets: int, one: dict, rng: np.random.Generator, name: str
) -> None:
    """Relabel (in place) rows of `table` (positions `rows`) so that as many hold one of `one`'s labels
    (`one_each`: an OWNER disposition) as there are rows to name once each (`n_targets`): the
    model labels each row on its own, so it wrote 314 OWNERs for 300 accounts and 14 accounts kept
    two, where every account of the data has one. A surplus takes the label the other rows hold
    most often (a DISPONENT), a shortfall takes the row's once label from other rows; rows nothing
    is nested under or references first (a card was drawn for its OWNER), then at random. Left as
    drawn where no other label was generated (`once_rows` warns of the surplus). The columns that
    follow the label in the row (`label_followers`: a disposition's rights and limit) follow it."""
    schema, column = pre.schema, one["column"]
    labels = tables[table][column].iloc[rows].reset_index(drop=True)
    plain = labels.map(plain_scalar, na_action="ignore")
    held, other = plain.isin(one["labels"]).to_numpy(), (plain.notna() & ~plain.isin(one["labels"])).to_numpy()
    surplus = int(held.sum()) - n_targets
    if surplus == 0 or not other.any() or not held.any():  # no label to give, or none to take
        return
    source, target = (held, other) if surplus > 0 else (other, held)
    new = labels[target].value_counts().index[0]  # the label the receiving side holds most often
    free = ~_named_rows(schema, tables, keys, table)[rows]
    candidates = np.flatnonzero(source)
    candidates = candidates[np.lexsort((rng.random(len(candidates)), ~free[candidates]))]  # free rows first
    moved = rows[candidates[: abs(surplus)]]
    tables[table].iloc[moved, tables[table].columns.get_loc(column)] = new
    donors = rows[np.flatnonzero(labels.eq(new).fillna(False).to_numpy(dtype=bool))]  # not moved: the other side
    follow_label(tables[table], label_followers(pre.stats, table, column), moved, donors, rng)
    log.info(
        "%s: %d generated %s row(s) relabelled %s, so that %d of %s name each of %d rows once, as the data's do",
        name,
        len(moved),
        column,
        new,
        n_targets,
        "/".join(map(str, one["labels"])),
        n_targets,
    )


# rules by which a column of a row follows a label of the same row (`level` 0)
FOLLOWING = ("dependencies", "null_rules", "held_rules", "later_null_rules", "never_pairs")


def label_followers(stats: dict, table: str, column: str) -> list[str]:
    """The columns of `table` that the fitted rules make follow `column` of their own row (a
    disposition's rights by its type: `dependencies`; its limit, missing for a DISPONENT: null
    rules; values never beside it: `never_pairs`), and those that follow them in turn."""
    rules = [r for kind in FOLLOWING for r in stats.get(kind) or [] if r["table"] == table and not r.get("level")]
    out, todo = [], [column]
    while todo:
        of = todo.pop()
        for r in rules:
            if r["of"] == of and r["column"] not in (column, *out):
                out.append(r["column"])
                todo.append(r["column"])
    return out


def follow_label(
    frame: pd.DataFrame, followers: list[str], moved: np.ndarray, donors: np.ndarray, rng: np.random.Generator
) -> None:
    """Set (in place) each of the `followers` columns of the relabelled rows `moved` whose value no
    row of their new label holds (`donors`) to the value of a donor row, one drawn per row: an OWNER
    relabelled DISPONENT kept its full rights and limit, which no DISPONENT has (10 of 288 rows)."""
    if not followers or not len(moved) or not len(donors):
        return
    drawn = donors[rng.integers(0, len(donors), len(moved))]
    for col in followers:
        values, loc = frame[col], frame.columns.get_loc(col)
        off = moved[~_held_by(values.iloc[moved], values.iloc[donors])]
        frame.iloc[off, loc] = values.iloc[drawn[np.isin(moved, off)]].to_numpy()


def _held_by(values: pd.Series, held: pd.Series) -> np.ndarray:
    """Whether each of `values` is one `held` holds: a category among them; a number or date missing
    where some of them are, else within their range."""
    missing, present = values.isna().to_numpy(), held.dropna()
    ordered = pd.api.types.is_numeric_dtype(held) or pd.api.types.is_datetime64_any_dtype(held)
    if not ordered or pd.api.types.is_bool_dtype(held) or present.empty:
        inside = values.isin(present).to_numpy(dtype=bool)
    else:
        inside = values.between(present.min(), present.max()).fillna(False).to_numpy(dtype=bool)
    return np.where(missing, bool(held.isna().any()), inside)


def _named_rows(schema, tables, keys, table: str) -> np.ndarray:
    """Whether each generated row of `table` has a row nested under it or a reference naming it."""
    named = np.zeros(len(tables[table]), dtype=bool)
    if table not in keys:
        return named
    for e in schema.edges_into(table):
        if e.fk in tables.get(e.child, {}):
            named |= keys[table].isin(tables[e.child][e.fk].dropna()).to_numpy()
    return named


def once_rows(labels: pd.Series, n_targets: int, one: dict, rng: np.random.Generator, name: str):
    """The positions of the rows of `labels` holding one of `one`'s labels (`one_each`: an OWNER
    disposition), at most `n_targets` of them, each to name its own referenced row, and of the
    others, drawn by the other rows' degrees: the model's surplus of such rows (314 OWNERs for 300
    accounts) among them, as spread as a DISPONENT, counted in a warning."""
    held = labels.map(plain_scalar, na_action="ignore").isin(one["labels"]).to_numpy()
    once = rng.permutation(np.flatnonzero(held))
    if len(once) > n_targets:
        log.warning(
            "%s: %d generated row(s) of %s %s for %d rows to name once each: %d name one named already",
            name,
            len(once),
            one["column"],
            "/".join(map(str, one["labels"])),
            n_targets,
            len(once) - n_targets,
        )
    rest = np.ones(len(labels), bool)
    rest[once[:n_targets]] = False
    return np.sort(once[:n_targets]), np.flatnonzero(rest)


def referencing_headers(
    pre, tables: dict[str, pd.DataFrame], keys: dict[str, pd.Series], headers: dict[str, np.ndarray], table: str
) -> np.ndarray:
    """(rows, fields) the header tokens of the generated rows of `table` and of their parent rows
    that an affinity reads (`fit.referencing_tokens`)."""
    own, nest = headers[table][:, feature_fields(pre, table)], pre.schema.parent(table)
    if nest is None:
        return own
    at = pd.Index(keys[nest.parent]).get_indexer(tables[table][nest.fk])
    return with_parent_row(own, headers[nest.parent][:, feature_fields(pre, nest.parent)], at)


def degree_headers(
    pre, tables: dict[str, pd.DataFrame], keys: dict[str, pd.Series], headers: dict[str, np.ndarray], table: str
) -> np.ndarray:
    """(rows, fields) the header tokens of the generated rows of `table` and of their parent rows
    that degree effects read (`fit.degree_tokens`: fields and child counts); older models hold no
    effects of child counts nor of parent rows, so they score as before."""
    own, nest = headers[table][:, feature_fields(pre, table) + count_fields(pre, table)], pre.schema.parent(table)
    if nest is None:
        return own
    at = pd.Index(keys[nest.parent]).get_indexer(tables[table][nest.fk])
    return with_parent_row(
        own, headers[nest.parent][:, feature_fields(pre, nest.parent) + count_fields(pre, nest.parent)], at
    )


def with_parent_columns(
    schema, tables: dict[str, pd.DataFrame], table: str, orders: list
) -> tuple[pd.DataFrame, list, dict[str, Column]]:
    """`table`'s rows with the columns of their parent row that `orders` name ([column, referenced
    column, sign, "parent"]: a course's level above its prerequisites') and the least or greatest
    value of their child rows' ([column, referenced column, sign, "child", child table]: the earliest
    card issued under a disposition) added under names of their own, the orders naming them so, and
    the columns' kinds."""
    kinds = {c: k.kind for c, k in schema.tables[table].columns.items()}
    wanted = list(dict.fromkeys(o[0] for o in orders if len(o) > 3 and o[3] == "parent"))
    below = list(dict.fromkeys((o[4], o[0], o[2]) for o in orders if len(o) > 3 and o[3] == "child"))
    if not wanted and not below:
        return tables[table], orders, kinds
    frame = tables[table]
    if wanted:
        nest = schema.parent(table)
        above = parent_rows(tables, schema, table, wanted).set_axis(frame.index)
        frame = frame.assign(**{f"#parent {c}": above[c] for c in wanted})  # "#" starts no column name (reserved)
        kinds |= {f"#parent {c}": schema.tables[nest.parent].columns[c].kind for c in wanted}
    for child, c, sign in below:  # on or after the named row's: its earliest; on or before: its latest
        name = f"#child {child}.{c} {sign}"
        extremes = child_extremes(tables, schema, table, child, [c], "min" if sign > 0 else "max")
        frame = frame.assign(**{name: extremes[c].set_axis(frame.index)})
        kinds[name] = schema.tables[child].columns[c].kind

    def renamed(o: list) -> list:
        if len(o) > 3 and o[3] == "child":
            return [f"#child {o[4]}.{o[0]} {o[2]}", *o[1:3]]
        return [f"#parent {o[0]}", *o[1:3]] if len(o) > 3 else o

    return frame, [renamed(o) for o in orders], kinds


def with_ancestor_dates(schema, tables: dict[str, pd.DataFrame], table: str, orders: list) -> pd.DataFrame:
    """`tables[table]`, the referenced rows, with the dates of the rows they nest under that `orders`
    name as their referenced column (`<ancestor>.<column>`: a site's trial's start, for the
    participants naming the site), by position."""
    wanted = list(dict.fromkeys(o[1] for o in orders if o[1] not in tables[table].columns))
    if not wanted:
        return tables[table]
    above = with_ancestors(tables, schema, table, wanted).set_axis(tables[table].index)
    return tables[table].assign(**{c: above[c] for c in wanted})


def degree_room(tables, schema, table: str, column: str | list[str] | None, n_rows: int) -> np.ndarray | None:
    """How often each generated row of `table` may be named: its `column` (`capped_by`: a section's
    capacity), or the [key, column] of the lookup row its key names (its room's capacity), as a whole
    number, `n_rows` where it is missing; None without a column."""
    if column is None:
        return None
    rows = tables[table]
    if isinstance(column, str):
        if column not in rows.columns:
            return None
        values = as_numbers(rows[column], schema.tables[table].columns[column].kind)
    else:
        fk, col = column
        lookup = schema.tables[table].columns[fk].parent
        named = tables[lookup]
        at = pd.Index(named[schema.tables[lookup].primary_key]).get_indexer(rows[fk])
        numbers = as_numbers(named[col], schema.tables[lookup].columns[col].kind)
        values = np.where(at >= 0, numbers[np.maximum(at, 0)], np.nan)
    values = np.floor(values)
    return np.where(np.isnan(values), n_rows, np.clip(values, 0, n_rows)).astype(np.int64)


def cap_name(table: str, column: str | list[str]) -> str:
    """`capped_by` as the log names it: sections.capacity, sections.room_id.capacity."""
    return ".".join([table, *([column] if isinstance(column, str) else column)])


def lowest(cap: int | None, room: np.ndarray | None, targets: np.ndarray) -> int | np.ndarray | None:
    """The most times each of the referenced rows `targets` (positions) may be named: `cap` for
    every row, `room` (`degree_room`) for each, the lower of the two, or None."""
    if room is None:
        return cap
    return room[targets] if cap is None else np.minimum(room[targets], cap)


def warn_over_room(drawn: pd.Series, keys: pd.Series, room: np.ndarray, name: str, column: str) -> None:
    """Says how many referenced rows are named more often than their `room` allows: more rows were
    generated than the referenced rows have room for, in total or where they may go."""
    named = drawn.value_counts().reindex(keys.to_numpy(), fill_value=0).to_numpy()
    over = named > room
    if over.any():
        log.warning(
            "%s: %d of %d referenced rows are named more often than their %s allows (never in the data), %d times "
            "over in all: %d generated rows name them, and their %s adds up to %d",
            name,
            int(over.sum()),
            len(room),
            column,
            int((named - room)[over].sum()),
            int(drawn.notna().sum()),
            column,
            int(room.sum()),
        )


def row_null_shares(
    null_by: list | None, tokens: np.ndarray, null_share: float, raw: np.ndarray | None = None
) -> np.ndarray:
    """Each generated row's chance that its key is null: its token's share in the field that tells
    (`null_by`: a question's parent post never, an answer's always), else the overall `null_share`;
    `tokens`: the rows' `feature_fields` tokens, as the fit read them (coarse), `raw` the same
    before grouping, for the exact points fitted apart (`fit.pure_points`: a credit limit of 0)."""
    out = np.full(len(tokens), null_share, dtype=np.float64)
    if null_by:
        field, shares = null_by
        lookup = dict((int(t), float(x)) for t, x in shares)
        column = tokens[:, int(field)]
        if raw is not None:
            column = with_points_apart(column, raw[:, int(field)], apart_points(shares))
        known = np.isin(column, list(lookup))
        out[known] = [lookup[int(t)] for t in column[known]]
    return out


def steps_dated_first(pre, table: str, cols: dict[str, pd.Series]) -> None:
    """Swap, in place, the dates of a few generated rows of `table` whose key to its own table names
    an earlier row (by date: `after`) of the label its own says (`step`), so each label's earliest row
    is no later than every row of the labels below it (a level 4's, 3's ... under a level 1): top
    down, a label's earliest row takes the earliest date of its and the lower labels' rows. The one
    CEO of an org chart (hired 2000, a year before the others) was generated 5 years in, as a model
    writes a single row's date, and 12 rows hired before any row of the level above had no manager.
    All the date columns of the two rows are swapped, keeping each row's own order."""
    kinds = pre.schema.tables[table].columns
    dated = [c for c in cols if c in kinds and kinds[c].kind in (Column.DATE, Column.DATETIME)]
    for e in pre.schema.references(table):
        fitted = pre.stats.get("references", {}).get(f"{table}.{e.fk}") or {}
        step, after = fitted.get("step"), fitted.get("after")
        if e.parent != table or not step or not after or step[0] not in cols or after[0] not in cols:
            continue
        names = {m: t for m, t in step[1]}
        chains = {label: _chain(names, label) for label in {*names, *names.values()}}
        if any(c is None for c in chains.values()):  # labels naming round in a circle: no top
            continue
        labels = cols[step[0]].astype(object).map(plain_scalar, na_action="ignore")
        for top in sorted(chains, key=lambda label: len(chains[label])):
            under = labels.isin([label for label, chain in chains.items() if top in chain]).to_numpy(dtype=bool)
            dates = as_numbers(cols[after[0]], Column.DATETIME)
            mine = under & labels.eq(top).fillna(False).to_numpy(dtype=bool) & ~np.isnan(dates)
            if not mine.any():
                continue
            first = np.flatnonzero(mine)[np.argmin(dates[mine])]
            known = np.flatnonzero(under & ~np.isnan(dates))
            other = known[np.argmin(dates[known])]
            if dates[other] < dates[first]:
                for c in dated:
                    values = cols[c].copy()
                    values.iloc[[first, other]] = cols[c].iloc[[other, first]].to_numpy()
                    cols[c] = values


def _chain(names: dict, label: object) -> list | None:
    """`label` and the labels it names step after step (`names`), to one naming none; None where
    they come back round."""
    chain = [label]
    while chain[-1] in names and names[chain[-1]] != chain[-1]:
        if names[chain[-1]] in chain:
            return None
        chain.append(names[chain[-1]])
    return chain


def own_date(pre, table: str) -> str | None:
    """The date column of `table` by which its reference to its own table names earlier rows
    (`date_after`: a manager hired no later than the employees they manage), or None."""
    for e in pre.schema.references(table):
        after = (pre.stats.get("references", {}).get(f"{table}.{e.fk}") or {}).get("after")
        if e.parent == table and after:
            return after[0]
    return None


def named_rows_first(rows: np.ndarray, unnamed: np.ndarray) -> np.ndarray:
    """`rows` (positions, the order a key to the row's own table names earlier rows in) with the
    rows never named (`unnamed`: an account holding transfers, a category with products) last, each
    part in its order: the model writes rows in no order, and a row whose earlier rows of its label
    are all such leaves named none, 9 to 14 roots in a chart of accounts with 5."""
    return np.concatenate([rows[~unnamed[rows]], rows[unnamed[rows]]])


def own_labels(frame: pd.DataFrame, columns: list[str | None]) -> np.ndarray:
    """Per row, one code of its values of `columns` (the labels that say which rows a key to the
    row's own table may name: a step's level, a label it shares); all 0 where no column is given."""
    held = [c for c in dict.fromkeys(columns) if c is not None]
    if not held:
        return np.zeros(len(frame), dtype=np.int64)
    labels = frame[held].astype(object).map(plain_scalar, na_action="ignore").astype(str)
    return pd.factorize(labels.agg("\x00".join, axis=1))[0]


def date_order(dates: pd.Series) -> np.ndarray:
    """Row positions by date, ties and rows without one (last) in their order."""
    return np.argsort(as_numbers(dates, Column.DATETIME), kind="stable")


def draw_by_label(labels: pd.Series, draw) -> pd.Series:
    """Keys to a row's own table (`same`: a manager of the employee's department) drawn, per label,
    among the rows of that label only (`draw(rows, targets)`, positions in `labels`' order, each
    naming an earlier one: the first row of a label names none), keys in `labels`' order."""
    codes = pd.factorize(labels)[0]
    groups = pd.Series(np.arange(len(codes))).groupby(codes).indices if len(codes) else {}
    pieces = [draw(rows, rows).set_axis(rows) for code, rows in groups.items() if code >= 0]
    rows = np.flatnonzero(codes < 0)  # no label (never in the data): among the rows without one
    if len(rows) or not pieces:
        pieces.append(draw(rows, rows).set_axis(rows))
    return pd.concat(pieces).sort_index().reset_index(drop=True)


def draw_by_step(
    labels: pd.Series,
    step: list,
    draw,
    keys: pd.Series,
    rng: np.random.Generator,
    name: str,
    same: pd.Series | None = None,
    free: list | None = None,
) -> pd.Series:
    """Keys to a row's own table (`step`: [[label, label of the row named], ...], an employee's
    level 4, its manager's 3) drawn, per label, among the rows of the label it names (`draw(rows,
    targets, label named)`, positions in `labels`' order, which is the rows' date order; `keys`
    theirs), each an earlier row, as any key to its own table (a manager is inserted first); where
    none of that label is, of the nearest label further up the steps (level 2) where one is, else
    none; none for a label `step` does not hold (the CEO's level 0). `same`: each row's label it
    shares with the row it names (`step_same`: a director's VP, of their department), unless that
    row's label is one of `free` (the VPs' CEO); a row with no earlier row of its own names one of any."""
    plain = labels.astype(object).map(plain_scalar, na_action="ignore")
    groups = None if same is None else pd.factorize(same.astype(object).map(plain_scalar, na_action="ignore"))[0]
    free_labels = {plain_scalar(label) for label in free or []}

    def rows_of(label: object) -> np.ndarray:
        return np.flatnonzero(plain.eq(label).fillna(False).to_numpy(dtype=bool))

    def parts(mine: np.ndarray, theirs: np.ndarray, target: object) -> list[tuple[np.ndarray, np.ndarray]]:
        """`mine` and `theirs` split by their `same` label, or whole where none is kept."""
        if groups is None or plain_scalar(target) in free_labels:
            return [(mine, theirs)]
        return [(mine[groups[mine] == g], theirs[groups[theirs] == g]) for g in np.unique(groups[mine])]

    names = {m: t for m, t in step}
    out = pd.Series([pd.NA] * len(labels), dtype=keys.dtype)
    position = pd.Series(np.arange(len(keys)), index=keys.to_numpy())
    skipped = 0
    for label, target in names.items():
        every, every_theirs = rows_of(label), rows_of(target)
        for mine, theirs in parts(every, every_theirs, target) if len(every) else []:
            got = draw(mine, theirs, target) if len(theirs) else pd.Series([pd.NA] * len(mine), dtype=keys.dtype)
            held = got.notna().to_numpy()
            at = np.full(len(mine), -1, dtype=np.int64)
            at[held] = position.loc[got[held].to_numpy()].to_numpy()
            # itself or a later row (or none of its own label left to draw among): an earlier one of the label
            late = (held & (at >= mine)) | (not len(theirs) and len(every_theirs) > 0)
            at[late] = earlier(mine[late], [theirs, every_theirs], rng)  # of its own group first
            seen, up = {label, target}, names.get(target)
            while (late & (at < 0)).any() and up is not None and up not in seen:
                left = late & (at < 0)
                at[left] = earlier(mine[left], [rows_of(up)], rng)
                skipped += int((left & (at >= 0)).sum())
                seen.add(up)
                up = names.get(up)
            held = (held | late) & (at >= 0)
            out.iloc[mine[held]] = keys.to_numpy()[at[held]]
    if skipped:
        log.warning("%s: %d row(s) had no earlier row of the label theirs names: named one further up", name, skipped)
    return out


def one_of_keys(
    schema,
    tables: dict[str, pd.DataFrame],
    table: str,
    rule: dict,
    theirs: pd.Series,
    rng: np.random.Generator,
) -> pd.Series:
    """Per generated row of `table` (by position), the value of one of the columns `rule["of"]` of
    its own row or of its parent row (`within_any`: the home or the away team of a goal's match),
    picked by the columns' shares among those whose value some referenced row names (`theirs`):
    a team no generated player plays for is not picked while the other has one. Where the parent's
    numbers count each side's rows (`side_counts`: a match's scores), the sides are dealt so."""
    of, n = rule["of"], len(tables[table])
    if rule["level"] == 0:
        values = tables[table][of].reset_index(drop=True)
    else:
        values = parent_rows(tables, schema, table, of)
    named = values.isin(set(theirs.dropna())).to_numpy()
    weights = np.where(named, np.asarray(rule["shares"], dtype=np.float64), 0.0)
    weights[~named.any(axis=1)] = np.asarray(rule["shares"], dtype=np.float64)  # none named: any, as drawn
    cumulative = np.cumsum(weights, axis=1)
    pick = (rng.random(n)[:, None] * cumulative[:, -1:] >= cumulative).sum(axis=1)
    pick = np.minimum(pick, len(of) - 1)
    if counted := rule.get("counted"):  # none in older models
        side = dealt_sides(schema, tables, table, counted, rng)
        pick = np.where((side >= 0) & named[np.arange(n), np.maximum(side, 0)], side, pick)
    return pd.Series(values.to_numpy(dtype=object)[np.arange(n), pick])


def dealt_sides(
    schema, tables: dict[str, pd.DataFrame], table: str, counted: dict, rng: np.random.Generator
) -> np.ndarray:
    """Per generated row of `table`, the side (0 or 1) its parent row's numbers `counted["numbers"]`
    deal it, in a random order under each parent (a 2-1 match: two goals of the home team, one of
    the away team), swapped where its `counted["flip"]` holds (an own goal: by a player of the other
    team); -1 under a parent whose numbers do not add up to its rows."""
    nest = schema.parent(table)
    parent = tables[nest.parent]
    at = pd.Index(parent[schema.tables[nest.parent].primary_key]).get_indexer(tables[table][nest.fk])
    numbers = parent[counted["numbers"]].astype("Float64").fillna(-1.0).to_numpy(dtype=np.float64)
    rows = np.bincount(at[at >= 0], minlength=len(parent))
    fits = (numbers >= 0).all(axis=1) & (numbers.sum(axis=1) == rows)
    order = np.lexsort((rng.random(len(at)), at))  # each parent's rows together, in a random order
    starts = np.r_[0, np.flatnonzero(np.diff(at[order])) + 1] if len(at) else np.zeros(0, dtype=np.int64)
    rank = np.empty(len(at), dtype=np.int64)
    rank[order] = np.arange(len(at)) - np.repeat(starts, np.diff(np.r_[starts, len(at)]))
    side = np.where(rank < numbers[np.maximum(at, 0), 0], 0, 1) if len(parent) else np.full(len(at), -1)
    side = np.where((at >= 0) & fits[np.maximum(at, 0)], side, -1) if len(parent) else side
    if counted.get("flip") and counted["flip"] in tables[table].columns:
        flipped = tables[table][counted["flip"]].fillna(False).to_numpy(dtype=bool)
        side = np.where((side >= 0) & flipped, 1 - side, side)
    return side


def keep_within_any(pre, tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Keys of a `within_any` reference whose referenced row no longer names one of its row's values
    (in place), once every value is set: a goal's scorer, drawn among the players of its match's two
    teams, then left with a team that swaps of lookup keys changed (a player's team kept apart from
    another's shirt number, a match's teams kept once a date), is drawn again among the players of
    one of the match's teams, as often as the generated rows name each (a goalkeeper who never
    scores stays so); under a parent whose numbers count the sides (`side_counts`) and no longer
    do, every row is. How many is logged."""
    schema = pre.schema
    for name, fitted in (pre.stats.get("references") or {}).items():
        rule = (fitted or {}).get("within_any")
        table, fk = name.split(".", 1)
        if not rule or table not in tables or fitted["parent"] not in tables:
            continue
        parent = tables[fitted["parent"]]
        theirs = parent.set_index(schema.tables[fitted["parent"]].primary_key)[rule["via"]]
        rows = np.flatnonzero(off_rows(schema, tables, table, fk, rule, theirs))
        if not len(rows):
            continue
        mine = one_of_keys(schema, tables, table, rule, theirs.reset_index(drop=True), rng).iloc[rows]
        named = tables[table][fk].value_counts()  # how often each referenced row is named
        weight = pd.Series(theirs.index).map(named).fillna(0.0).to_numpy(dtype=np.float64)
        pool = pd.Series(np.arange(len(theirs))).groupby(theirs.to_numpy(dtype=object)).indices
        keys = tables[table][fk].to_numpy(dtype=object)
        for row, value in zip(rows, mine, strict=True):
            if (at := pool.get(value)) is None:
                continue
            w = weight[at] if weight[at].sum() > 0 else np.ones(len(at))
            keys[row] = theirs.index[at[int(rng.choice(len(at), p=w / w.sum()))]]
        tables[table][fk] = pd.array(keys, dtype=tables[table][fk].dtype)
        log.info(
            "%s: %d key(s) drawn again among the rows of one of %s once swaps moved them", name, len(rows), rule["of"]
        )


def same_values(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Per position, whether both values are set and equal: a null equals nothing (a referenced row
    whose key generation left null names none of its row's values), and comparing a nullable column
    with pd.NA among objects raises instead."""
    both = a.notna().to_numpy() & b.notna().to_numpy()
    out = np.zeros(len(a), dtype=bool)
    out[both] = a.to_numpy(dtype=object)[both] == b.to_numpy(dtype=object)[both]
    return out


def off_rows(schema, tables: dict[str, pd.DataFrame], table: str, fk: str, rule: dict, theirs: pd.Series) -> np.ndarray:
    """Per row of `table`, whether its key `fk` names a row (`theirs`: each referenced key's value)
    of none of the values `rule["of"]` of its row, or is a row of a parent whose counting numbers
    its rows' sides no longer follow (`side_counts`)."""
    if rule["level"] == 0:
        values = tables[table][rule["of"]].reset_index(drop=True)
    else:
        values = parent_rows(tables, schema, table, rule["of"])
    named = tables[table][fk].map(theirs)
    match = [same_values(named, values[c]) for c in rule["of"]]
    off = tables[table][fk].notna().to_numpy() & ~np.logical_or.reduce(match)
    counted = rule.get("counted")
    if not counted or rule["level"] != 1:
        return off
    nest = schema.parent(table)
    parent = tables[nest.parent]
    at = pd.Index(parent[schema.tables[nest.parent].primary_key]).get_indexer(tables[table][nest.fk])
    flipped = tables[table][counted["flip"]].fillna(False).to_numpy(dtype=bool) if counted["flip"] else False
    sides = [(match[0] & ~flipped) | (match[1] & flipped), (match[1] & ~flipped) | (match[0] & flipped)]
    numbers = parent[counted["numbers"]].astype("Float64").fillna(-1.0).to_numpy(dtype=np.float64)
    rows = np.bincount(at[at >= 0], minlength=len(parent))
    dealt = (numbers >= 0).all(axis=1) & (numbers.sum(axis=1) == rows)  # parents whose sides were dealt
    wrong = np.zeros(len(parent), dtype=bool)
    for k, side in enumerate(sides):
        wrong |= np.bincount(at[side & (at >= 0)], minlength=len(parent)) != numbers[:, k]
    return off | ((at >= 0) & (dealt & wrong)[np.maximum(at, 0)])


def draw_within(
    mine: pd.Series, theirs: pd.Series, draw, only, name: str, scope: str, alone: bool = False
) -> pd.Series:
    """References kept under their own row of the `scope` table (`within`): each generated row's
    key is drawn (`draw(rows, targets)`, positions) among the referenced rows whose scope key
    (`theirs`) is the row's own (`mine`), or is that row where it is the only one (`only(rows,
    targets)`, all such rows at once: most customers have one address); a row whose scope row got
    no referenced row draws among all of them, and how many did is logged; or, `alone` (the scope
    is the row itself: a question's accepted answer among the answers naming it), stays null."""
    codes, _ = pd.factorize(pd.concat([mine, theirs], ignore_index=True))
    own, other = codes[: len(mine)], codes[len(mine) :]
    targets = pd.Series(np.arange(len(other))).groupby(other).indices if len(other) else {}
    pieces, homeless, lone = [], [np.flatnonzero(own < 0)], []
    for code, rows in (pd.Series(np.arange(len(own))).groupby(own).indices if len(own) else {}).items():
        if code < 0:
            continue
        if code not in targets:
            homeless.append(rows)
        elif len(targets[code]) == 1:
            lone.append((rows, np.full(len(rows), targets[code][0])))
        else:
            pieces.append(draw(rows, targets[code]).set_axis(rows))
    if lone:
        rows = np.concatenate([r for r, _ in lone])
        pieces.append(only(rows, np.concatenate([t for _, t in lone])).set_axis(rows))
    rows = np.concatenate(homeless)
    if len(rows) or not pieces:
        pieces.append(draw(rows, np.arange(0 if alone else len(other))).set_axis(rows))
        if len(rows) and len(other) and not alone:
            log.warning(
                "%s: %d of %d rows' %s row got no row to name, so their keys name rows under another %s "
                "(in the data every key stays under its own)",
                name,
                len(rows),
                len(own),
                scope,
                scope,
            )
    return pd.concat(pieces).sort_index().reset_index(drop=True)


def draw_references(
    n_rows: int,
    parent_keys: pd.Series,
    null_share: float | np.ndarray,
    degrees: np.ndarray,
    rng: np.random.Generator,
    own_table: bool = False,
    affinity: Affinity | None = None,
    parent_scores: np.ndarray | None = None,
    copula: float = 0.0,
    max_degree: int | np.ndarray | None = None,
    order: ReferenceOrders | None = None,
    unnamed: np.ndarray | None = None,
) -> pd.Series:
    """`n_rows` keys among `parent_keys`: a share `null_share` null (one a row, or one for all), the others dealt out so each
        parent row is named about as often as a degree drawn from `degrees` (quantiles) says, and
        (`affinity`) to rows they go with; `parent_scores`: the degrees go to the parent rows by
        their degree effects, by a copula of correlation `copula` (`ranked`); `max_degree`: no parent row
        named more often (one for all, or one a parent row). `own_table`: row i names an earlier row only (row 0 none). `order`: rows
    paired with rows whose date is not after theirs where they can (a payment after its rental).
    `unnamed`: parent rows of a kind the data never names (`never_named`), named by none where others can be."""
    out = pd.Series([pd.NA] * n_rows, dtype=parent_keys.dtype)
    present = np.flatnonzero(rng.random(n_rows) >= null_share)
    if len(parent_keys) == 0 or len(present) == 0:
        return out
    weights = stratified(degrees, len(parent_keys), rng)
    if parent_scores is not None:
        weights = ranked(weights, parent_scores, copula, rng)
    if unnamed is not None and unnamed.any() and not unnamed.all():
        weights = named_first(weights, unnamed, rng)
    targets = deal(len(present), weights, rng, cap=max_degree)
    if affinity is not None or order is not None:
        targets = pair_up(present, targets, affinity, rng, order)
    if own_table:  # a row naming itself or a later row names an earlier one instead: one dealt some
        late = targets >= present  # (a question), else any it may name; none before it (row 0): none
        may = np.arange(len(parent_keys)) if unnamed is None else np.flatnonzero(~unnamed)
        targets[late] = earlier(present[late], [np.unique(targets), may], rng)
        if max_degree is not None:  # the earlier rows drawn above took no account of it
            targets = earlier_with_room(present, targets, max_degree, len(parent_keys), rng)
        present, targets = present[targets >= 0], targets[targets >= 0]
    out.iloc[present] = parent_keys.to_numpy()[targets]
    return out


def named_first(weights: np.ndarray, unnamed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`weights` (degrees drawn for every row, those of the rows never named among them) with the
    largest given to the rows that may be named, in the order of theirs (ties at random), and none
    to the `unnamed` rows: the degrees keep their shape, where zeroing the weights drawn for the
    unnamed rows would deal their share of the slots to the others (an answered question's
    answers, 24 where the data has 5 at most)."""
    others = np.flatnonzero(~unnamed)
    order = others[np.lexsort((rng.random(len(others)), weights[others]))]
    out = np.zeros_like(weights, dtype=np.float64)
    out[order] = np.sort(weights)[len(weights) - len(others) :]
    return out if out.sum() > 0 else (~unnamed).astype(np.float64)


def earlier(rows: np.ndarray, pools: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """For each of `rows` (positions), a random earlier row of the first of `pools` (sorted
    positions) holding one, else -1 (none)."""
    out = np.full(len(rows), -1, dtype=np.int64)
    for pool in pools:
        n_before = np.searchsorted(pool, rows)  # the pool's rows before each row
        todo = (out < 0) & (n_before > 0)
        out[todo] = pool[(rng.random(int(todo.sum())) * n_before[todo]).astype(np.int64)]
    return out


def earlier_with_room(
    rows: np.ndarray, targets: np.ndarray, cap: int | np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """`targets` (each of `rows`' earlier row among `n`, by position; -1 none) with no row named more
    than `cap` times (one for all, or one a row): in row order, a row whose target is full names a
    random earlier row with room instead, else none (a commit's parent, each commit one child at most)."""
    room = np.broadcast_to(np.asarray(cap, dtype=np.int64), (n,)).copy()
    free = np.flatnonzero(room > 0).tolist()  # sorted positions with room left
    out = targets.copy()
    for i in np.argsort(rows, kind="stable"):
        t = int(out[i])
        if t >= 0 and room[t] <= 0:
            k = bisect.bisect_left(free, int(rows[i]))  # the rows with room before this one
            t = free[int(rng.integers(k))] if k else -1
            out[i] = t
        if t >= 0:
            room[t] -= 1
            if room[t] == 0:
                del free[bisect.bisect_left(free, t)]
    return out


def kept_apart(
    refs: pd.Series,
    others: pd.Series,
    rng: np.random.Generator,
    name: str,
    scope: pd.Series | None = None,
    through: dict | None = None,
    groups: pd.Series | None = None,
    passes: int = 20,
    keeps=None,
) -> pd.Series:
    """`refs` with each key equal to the row's `others` swapped with that of a random other row
    where neither row then names its `others` (those random partners leave: with one searched
    among all), so how often each row is named stays as it was.
    `scope`: each row's scope row (`within`, by position), which a swap stays under; `through`: each
    referenced key's value compared instead of the key (a post's author, for a like's user);
    `groups`: each row's parent key, under which a swap repeats no key (`without_repeats`);
    `keeps(i, j, r[i], r[j])`: whether a swap keeps the rows' orders (`order_keeps`), else none made."""
    r, o = refs.to_numpy(dtype=object).copy(), others.to_numpy(dtype=object)
    held = pd.notna(r) & pd.notna(o)
    g = None if groups is None else groups.to_numpy(dtype=object)
    taken = Counter() if g is None else Counter(zip(g, r, strict=True))  # (parent key, key) pairs named

    def repeats(i: int, j: int) -> bool:  # whether swapping rows i and j names a key twice under a parent
        return g is not None and g[i] != g[j] and (taken[(g[i], r[j])] > 0 or taken[(g[j], r[i])] > 0)

    def seen(keys):  # what a key is compared by: itself, or its row's value (null: never equal)
        if through is None:
            return keys
        found = np.array([through.get(k) if pd.notna(k) else None for k in np.atleast_1d(keys)], dtype=object)
        found = np.where(pd.isna(found), object(), found)  # a null equals nothing
        return found if np.ndim(keys) else found[0]

    codes = np.zeros(len(r), dtype=np.int64) if scope is None else pd.factorize(scope)[0] + 1  # 0: none
    by_scope = np.argsort(codes, kind="stable")  # each scope's rows together, from `first`, `size` of them
    size = np.bincount(codes)
    first = np.cumsum(size) - size

    def equal(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        # compared where both are held: a nullable integer's pd.NA (a root account's parent) has no truth value
        out = held[i] & held[j]
        both = np.flatnonzero(out)
        out[both] = np.asarray(seen(r[i[both]]) == o[j[both]], dtype=bool)
        return out

    def swapped(i: int, j: int) -> bool:  # rows i and j swapped where neither then names its `others`
        if pd.isna(r[j]) or (held[i] and seen(r[j]) == o[i]) or (held[j] and seen(r[i]) == o[j]) or repeats(i, j):
            return False
        if keeps is not None and not keeps(i, j, r[i], r[j]):
            return False
        if g is not None:
            taken.subtract([(g[i], r[i]), (g[j], r[j])])
            taken.update([(g[i], r[j]), (g[j], r[i])])
        r[i], r[j] = r[j], r[i]
        return True

    for _ in range(passes):
        bad = np.flatnonzero(equal(np.arange(len(r)), np.arange(len(r))))
        if not len(bad):
            break
        partners = by_scope[first[codes[bad]] + rng.integers(0, size[codes[bad]])]
        for i, j in zip(bad, partners, strict=True):
            swapped(i, j)
    for i in np.flatnonzero(equal(np.arange(len(r)), np.arange(len(r)))):  # the few left: searched in the scope
        scope_rows = by_scope[first[codes[i]] : first[codes[i]] + size[codes[i]]]
        if equal(np.array([i]), np.array([i]))[0]:  # not set right by an earlier swap
            next((j for j in rng.permutation(scope_rows) if swapped(i, j)), None)
    left = int(equal(np.arange(len(r)), np.arange(len(r))).sum())
    if left:
        log.warning(
            "%s: %d generated row(s) name the row another key of theirs names (the data's never do)", name, left
        )
    return pd.Series(pd.array(r, dtype=refs.dtype), index=refs.index)


def slot_groups(frame: pd.DataFrame, combo: list[str], scope: pd.Series | None) -> pd.Series:
    """Each row's group of its `combo` values (and `scope` row, by position): a match's date; a row
    missing one is a group of its own."""
    parts = pd.DataFrame(
        {"_scope": 0 if scope is None else scope.to_numpy(), **{c: frame[c].to_numpy() for c in combo}}
    )
    groups = parts.groupby(list(parts.columns), dropna=False, sort=False).ngroup().to_numpy()
    free = parts[combo].isna().any(axis=1).to_numpy()
    return pd.Series(np.where(free, groups.max(initial=0) + 1 + np.arange(len(frame)), groups))


def unique_across_rows(
    groups: pd.Series,
    refs: pd.DataFrame,
    rng: np.random.Generator,
    name: str,
    apart: bool = False,
    within: str = "their parent row's rows",
    more: list[np.ndarray] | None = None,
    fixed: list[str] = (),
) -> pd.DataFrame:
    """`refs` (key columns to one table) with their keys swapped within each column so that no group
    (a parent row) names one row twice across the columns and its rows (`unique_across`: a team in
    one match of a round, home or away), nor a row one row in two columns; what swaps leave (more
    rows under a parent than rows to name) is counted in a warning. `apart`: no swap gives a row's
    two columns one key (a match's home and away teams); `within`: what the groups are, for it;
    `more`: each position's groups of further sets its key is kept unique in (`further_groups`);
    `fixed`: columns whose keys no swap moves (a parent key), the first of `refs` (so a repeat is
    the other column's: `without_repeats` frees a group's later rows)."""
    n, k = refs.shape
    keys = pd.concat([groups.reset_index(drop=True)] * k, ignore_index=True)
    columns = np.repeat(np.arange(k), n)  # a key swapped within its column
    for i in (i for i, c in enumerate(refs.columns) if c in fixed):
        columns[i * n : (i + 1) * n] = k + i * n + np.arange(n)  # ... or, fixed, a block of its own
    # each position's place in the other column (two columns kept apart), else none
    partner = np.r_[np.arange(n) + n, np.arange(n)] if apart and k == 2 else None
    flat = pd.concat([refs[c] for c in refs.columns], ignore_index=True)
    kept = without_repeats(keys, flat, rng, within=columns, partner=partner, more=more)
    left = int((pd.DataFrame({"g": keys, "r": kept}).dropna().duplicated()).sum())
    if left:
        log.warning(
            "%s: %d generated key(s) name a row that another of %s names in %s (the data's never do)",
            name,
            left,
            within,
            " or ".join(map(str, refs.columns)),
        )
    columns = {
        c: pd.array(kept.iloc[i * n : (i + 1) * n].to_numpy(), dtype=refs[c].dtype) for i, c in enumerate(refs.columns)
    }
    return pd.DataFrame(columns, index=refs.index)


def apart_columns(fitted: dict, e: Edge) -> list[str]:
    """The columns of `e.child` that reference `e` is never equal to (`apart`), its own and those
    naming it in theirs: a match's away team is apart from its home team, and so the home team from it."""
    own = (fitted.get(f"{e.child}.{e.fk}") or {}).get("apart") or []
    theirs = [
        name.split(".", 1)[1]
        for name, stats in fitted.items()
        if name.startswith(f"{e.child}.") and e.fk in ((stats or {}).get("apart") or [])
    ]
    return list(dict.fromkeys(c for c in [*own, *theirs] if c != e.fk))


def unique_with_rows(
    df: pd.DataFrame,
    fk: str,
    combo: list[str],
    scope: pd.Series | None,
    rng: np.random.Generator,
    name: str,
    avoid: pd.DataFrame | None = None,
    more: list[np.ndarray] | None = None,
    swaps: pd.Series | None = None,
) -> pd.Series:
    """`df[fk]` with its keys swapped among the rows of one `scope` row (by position; None: all) so
    that no key repeats with the row's `combo` values (`unique_with`: a teacher in two lessons of one
    weekday and period); a row missing one of them repeats nothing. A repeat no swap frees (a teacher
    dealt more lessons than there are slots) takes a key its scope's rows name that its group does
    not; what is left (more lessons in a slot than teachers) is counted in a warning. `avoid`: columns
    of `df`'s rows that no swap gives a row's key (`apart`: a match's other team); `more`: each row's
    group of further sets the key is kept unique in too (`slot_groups`, `unique_with_also`); `swaps`:
    each row's code swaps stay within first, inside its scope (`period_scope`: a season), before any
    swap of the scope frees the repeats left."""
    where = np.zeros(len(df), dtype=np.int64) if scope is None else pd.factorize(scope.to_numpy())[0]
    groups = slot_groups(df, combo, pd.Series(where)).to_numpy()
    every = [groups, *(more or [])]
    avoid = None if avoid is None or not avoid.shape[1] else avoid.reset_index(drop=True)
    kept = df[fk].reset_index(drop=True)
    if swaps is not None:  # within them first; the repeats left, by any swap of the scope: the rule comes first
        kept = without_repeats(
            pd.Series(groups), kept, rng, within=pd.factorize(swaps.to_numpy())[0], avoid=avoid, more=more
        )
    kept = without_repeats(pd.Series(groups), kept, rng, within=where, avoid=avoid, more=more)
    for i in np.flatnonzero(_repeated_in([groups], kept)):  # further sets' repeats keep the degrees
        # no swap frees it (a teacher dealt more lessons than slots): a key its scope names that its groups do not
        free = set(kept[where == where[i]].dropna())
        for g in every:
            free -= set(kept[g == g[i]].dropna())
        free -= set() if avoid is None else set(avoid.iloc[i].dropna())
        if free:
            kept.iloc[i] = sorted(free)[int(rng.integers(len(free)))]
    left = int(pd.DataFrame({"g": groups, "r": kept.to_numpy()}).dropna().duplicated().sum())
    if more and (extra := int(_repeated_in(more, kept).sum())):
        log.warning(
            "%s: %d generated key(s) repeat with a further set of their row's values (the data's never do)", name, extra
        )
    if left:
        log.warning(
            "%s: %d generated key(s) repeat with their row's %s (the data's never do)", name, left, ", ".join(combo)
        )
    return kept.set_axis(df.index)


def _repeated_in(groupings: list[np.ndarray], refs: pd.Series) -> np.ndarray:
    """Whether each row's key (not null) repeats an earlier row's within one of its `groupings`."""
    held = refs.notna().to_numpy()
    out = np.zeros(len(refs), dtype=bool)
    for g in groupings:
        out |= pd.DataFrame({"g": g, "r": refs.to_numpy()}).duplicated().to_numpy() & held
    return out


def without_repeats(
    groups: pd.Series,
    refs: pd.Series,
    rng: np.random.Generator,
    passes: int = 20,
    within: np.ndarray | None = None,
    avoid: pd.DataFrame | None = None,
    partner: np.ndarray | None = None,
    more: list[np.ndarray] | None = None,
) -> pd.Series:
    """`refs` with the references a group (a parent row) repeats swapped with those of random other
    rows where neither group then repeats one: the degrees stay as they were. Repeats that random
    partners leave (a row named by almost every group has few) are swapped with a partner searched
    among all rows. `within`: each row's code, a swap staying among the rows of one (a column of
    several end to end, a scope row). `avoid`: values (columns, by position) a row's reference may
    not take by a swap (`apart`: a match's home team, for its away team); `partner`: each row's
    position whose key, as swaps leave it, the row's may not be (its other column's, kept apart);
    `more`: each row's codes of further groupings no swap lets a key repeat in either (a season's
    fixture, beside a date)."""
    # (n, m): each row's group in each grouping, the groupings' codes kept apart
    g = np.stack([pd.factorize(pd.Series(x))[0] for x in [groups, *(more or [])]], axis=1).astype(np.int64)
    g = g + np.concatenate([[0], np.cumsum(g.max(axis=0, initial=0) + 1)[:-1]])
    r, uniques = pd.factorize(refs)  # null: -1, left alone
    # each row's values to avoid, as codes of `refs`' values (-2: none, or a value `refs` never holds)
    banned = np.full((len(r), 0), -2, dtype=np.int64)
    if avoid is not None:
        codes = [pd.Index(uniques).get_indexer(pd.Series(avoid[c].to_numpy(dtype=object))) for c in avoid.columns]
        banned = np.where(np.stack(codes, axis=1) < 0, -2, np.stack(codes, axis=1))
    width = len(uniques) + 1
    block = np.zeros(len(r), dtype=np.int64) if within is None else pd.factorize(within)[0]
    by_block = np.argsort(block, kind="stable")  # each code's rows together, from `first`, `size` of them
    size = np.bincount(block) if len(block) else np.zeros(0, dtype=np.int64)
    first = np.cumsum(size) - size

    def key(group, ref):
        return group * width + np.expand_dims(ref, -1) + 1

    count = pd.Series(key(g, r).ravel()).value_counts().to_dict()

    def held(keys: np.ndarray) -> np.ndarray:
        return np.array([count.get(k, 0) > 0 for k in keys.ravel()], dtype=bool).reshape(keys.shape)

    def swap(i: int, j: int, kept: int) -> bool:
        # a grouping holding both rows in one group is left as it was (two matches of a date trading home teams)
        moved = g[i] != g[j]
        a, b = key(g[i], r[j]), key(g[j], r[i])
        checked = moved & (np.arange(len(moved)) < kept)
        if r[j] < 0 or r[i] == r[j] or not checked.any() or (held(a) | held(b))[checked].any():
            return False
        if (banned[i] == r[j]).any() or (banned[j] == r[i]).any():
            return False
        if partner is not None and (r[partner[i]] == r[j] or r[partner[j]] == r[i]):
            return False
        for old, new in zip((*key(g[i], r[i])[moved], *key(g[j], r[j])[moved]), (*a[moved], *b[moved]), strict=True):
            count[old] -= 1
            count[new] = count.get(new, 0) + 1
        r[i], r[j] = r[j], r[i]
        return True

    def repeated(kept: int) -> np.ndarray:
        keys = key(g, r)
        dup = np.stack([pd.Series(keys[:, k]).duplicated().to_numpy() for k in range(kept)], axis=1)
        return np.flatnonzero(dup.any(axis=1) & (r >= 0))

    def settle(kept: int) -> None:
        """Swaps freeing the repeats of the first `kept` groupings, making none of theirs."""
        for _ in range(passes):
            if not len(rows := repeated(kept)):
                break
            if within is None:
                partners = rng.integers(0, len(r), len(rows))
            else:
                partners = by_block[first[block[rows]] + rng.integers(0, size[block[rows]])]
            for i, j in zip(rows, partners, strict=True):
                swap(i, j, kept)
        for i in repeated(kept):  # the few left: a partner whose groups lack this key, found among all rows
            checked = (g != g[i]) & (np.arange(g.shape[1]) < kept)
            # a key repeated in its first group: a partner of that group frees nothing (as with one grouping)
            checked[:, 0] |= count.get(int(key(g[i, 0], r[i])[0]), 0) > 1
            taken = ((held(key(g, r[i])) | held(key(g[i], r))) & checked).any(axis=1)
            fits = ~(banned == r[i]).any(axis=1) & ~np.isin(r, banned[i])  # neither row then takes a value it avoids
            if partner is not None:
                fits &= (r[partner] != r[i]) & (r != r[partner[i]])
            partners = np.flatnonzero(~taken & (r >= 0) & (block == block[i]) & fits)
            if len(partners):
                swap(i, int(rng.choice(partners)), kept)

    settle(g.shape[1])
    if g.shape[1] > 1:  # the first grouping's repeats no swap keeping every one frees: the first alone, a swap
        settle(1)  # may then repeat a further one's (a team once a date comes before a season's fixture)
    return pd.Series(pd.array([uniques[k] if k >= 0 else pd.NA for k in r], dtype=refs.dtype), index=refs.index)


DROPPED_WARN_SHARE = 0.05  # a drop of this share of a table's generated rows is a warning: its size is off


def drop_repeated_links(pre, tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Keep the keys `unique_links` found never repeated (or the source declares) unique, in place:
    a key whose one column not a foreign key is an integer (a line number under its order) gets
    the next free numbers in its group, else a generated row repeating a key gets another key in
    one reference of it whose rules allow (`redeal_repeats`: a match's away team, one its home team
    has not met that season), and the rows no key frees are dropped, with
    the rows nested under them where a row key (`RowKey`) nests a table under its rows. A number
    that counts its group's rows in the data (`row_numbers`) counts them here too, and so, once rows
    are dropped, does one outside the key counting its parent's rows (`sibling_numbers`). The columns a
    row key copies (a task's tenant_id, from its project) are copied first: they group the rows."""
    formats = pre.stats.get("formats") or {}
    tables.update(copy_row_keys(pre.schema, tables, formats))
    for table, cols in pre.stats.get("unique_links", {}).items():
        if table in (numbers := pre.stats.get("row_numbers", {})):
            df, col = tables[table], numbers[table]["column"]
            tables[table] = number_rows(df, cols, **numbers[table])
            changed = int((df[col].to_numpy() != tables[table][col].to_numpy()).sum())
            log.info(
                "%s: %d of %d generated %s set to count each group's rows, as the data's do",
                table,
                changed,
                len(df),
                col,
            )
            continue
        df = tables[table]
        repeated = df.duplicated(subset=cols).to_numpy() & df[cols].notna().all(axis=1).to_numpy()
        if not repeated.any():
            continue
        grouping = {*pre.schema.tables[table].foreign_keys, *row_key_columns(formats, table)}
        numbered = [c for c in cols if c not in grouping]
        if len(numbered) == 1 and pre.schema.tables[table].columns[numbered[0]].kind is Column.INTEGER:
            tables[table] = _renumbered(df, repeated, [c for c in cols if c != numbered[0]], numbered[0])
            log.info("%s: %d generated row(s) repeating %s renumbered", table, int(repeated.sum()), cols)
            continue
        df, freed = redeal_repeats(pre, tables, table, cols, rng)
        left = df.duplicated(subset=cols).to_numpy() & df[cols].notna().all(axis=1).to_numpy()
        dropped = int(left.sum())
        many = dropped >= DROPPED_WARN_SHARE * len(df)
        log.log(
            logging.WARNING if many else logging.INFO,
            "%s: %d of %d generated row(s) repeating %s (the data never does): %s%d dropped%s",
            table,
            int(repeated.sum()),
            len(df),
            cols,
            "".join(f"{n} given another {c} ({k} swapped with a row of its groups), " for c, (n, k) in freed.items()),
            dropped,
            f", so the synthetic {table} holds {len(df) - dropped} rows" if many else "",
        )
        tables[table] = df[~left].reset_index(drop=True)
        if dropped:
            _drop_orphaned(pre.schema, tables, table)
    renumber_siblings(pre, tables)  # the lines left after a drop count their order's rows again


def _drop_orphaned(schema, tables: dict[str, pd.DataFrame], table: str) -> None:
    """Drop, in place, the rows nested under rows of `table` that are gone, and theirs in turn."""
    pk = schema.tables[table].primary_key
    for child in schema.children(table) if pk is not None else []:
        fk = schema.parent(child).fk
        kept = tables[child][fk].isin(tables[table][pk]).to_numpy()
        if not kept.all():
            log.info("%s: %d generated row(s) under a dropped %s row dropped", child, int((~kept).sum()), table)
            tables[child] = tables[child][kept].reset_index(drop=True)
            _drop_orphaned(schema, tables, child)


def mirror_links(pre, tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Store the pairs of the link tables `mirrored_links` found stored both ways so, in place:
    half the generated rows naming two distinct rows, drawn among those of distinct pairs, each
    with its reverse (its other values copied), so the table keeps about its generated rows, in
    its parent rows' order. No row references the rows changed (`unnamed`; a model saved before
    `mirrored_links` checked it may name such a table: left as generated)."""
    for table, (a, b) in pre.stats.get("mirrored_links", {}).items():
        if not unnamed(pre.schema, table):
            continue
        df, parent = tables[table], pre.schema.parent(table).parent
        codes = pd.factorize(pd.concat([df[a], df[b]], ignore_index=True))[0].reshape(2, -1)  # -1: null
        full = (codes >= 0).all(axis=0) & (codes[0] != codes[1])
        pairs = pd.DataFrame({"lo": codes.min(axis=0), "hi": codes.max(axis=0)})
        rows = np.flatnonzero(full & ~pairs.duplicated().to_numpy())
        kept = np.sort(rng.choice(rows, size=min(len(rows), round(full.sum() / 2)), replace=False))
        forth = df.iloc[kept]
        back = forth.assign(**{a: forth[b].array, b: forth[a].array})
        out = pd.concat([df.iloc[np.flatnonzero(~full)], forth, back], ignore_index=True)
        keys = pd.Index(tables[parent][pre.schema.tables[parent].primary_key])
        tables[table] = out.iloc[np.argsort(keys.get_indexer(out[a]), kind="stable")].reset_index(drop=True)
        log.info(
            "%s: %d generated pairs stored both ways, as the data's all are (%d rows before)", table, len(kept), len(df)
        )


def keep_composite_references(pre, tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Make every generated pair of a composite key (lineitem's partkey, suppkey) the key of a
    generated row of the table it names (partsupp), in place: a pair that is none is replaced by
    one of that table's, drawn among those with the same first column where there are (a part's
    suppliers), else among all. The columns a row key copies from the row the table nests under
    (a task's tenant_id, from its project) are the row's and stay: the pair is drawn among the
    rows holding them (a user of the task's tenant), its other columns left null where none does.
    One to its own table (a sub-task's parent) names an earlier row of its tenant (`earlier_pairs`).
    The columns keep their own kinds (each may be a key of its own); read from the source's
    declarations (`from_sql`), at no privacy cost."""
    formats = pre.stats.get("formats") or {}
    tables.update(copy_row_keys(pre.schema, tables, formats))  # nested under the row: its pair
    for table, cols, parent, ref_cols in composite_references(formats):
        if table not in tables or parent not in tables:
            continue
        if table == parent:  # a sub-task's (tenant_id, parent_id): an earlier task of its tenant
            fixed = [c for c in cols if c in row_key_columns(formats, table)] or cols[:1]
            tables[table] = earlier_pairs(table, tables[table], cols, ref_cols, fixed, rng)
            continue
        child, pairs = tables[table], tables[parent][ref_cols].dropna().drop_duplicates().set_axis(cols, axis=1)
        fixed = [c for c in cols if c in row_key_columns(formats, table)]
        full = child[cols].notna().all(axis=1).to_numpy()
        if declared_not_null(formats, table, cols):  # a null the model wrote (under DP, all): a pair all the same
            full |= child[fixed].notna().all(axis=1).to_numpy()
        known = pd.MultiIndex.from_frame(child[cols]).isin(pd.MultiIndex.from_frame(pairs))
        wrong = np.flatnonzero(full & ~known)
        if not len(wrong):
            continue
        if not len(pairs):
            log.warning("%s: no %s row was generated, so %d (%s) pair(s) name none", table, parent, len(wrong), cols)
            continue
        if fixed and _added_where_none(pre, tables, table, cols, parent, ref_cols, fixed, wrong, rng):
            pairs = tables[parent][ref_cols].dropna().drop_duplicates().set_axis(cols, axis=1)
        if fixed:
            chosen = _matching(pairs, child[fixed].iloc[wrong], rng)
        else:
            chosen = _same_first(pairs, child[cols[0]].to_numpy()[wrong], rng)
        found = chosen >= 0
        for c in cols if not fixed else [c for c in cols if c not in fixed]:
            values = pd.array(pairs[c].to_numpy()[chosen], dtype=child[c].dtype)
            values[~found] = pd.NA
            child.loc[child.index[wrong], c] = values
        log.info("%s: %d generated (%s) pair(s) made pairs of %s rows", table, len(wrong), ", ".join(cols), parent)
        if not found.all():
            log.warning(
                "%s: %d generated (%s) pair(s) name no %s row holding their row's %s, copied from the row the "
                "table nests under: the model generated none there (e.g. a tenant without users), so their other "
                "column(s) are left null, which to_sql refuses where NOT NULL; a model trained longer generates "
                "such rows, or drop these rows before to_sql",
                table,
                int((~found).sum()),
                ", ".join(cols),
                parent,
                ", ".join(fixed),
            )


def declared_not_null(formats, table: str, cols: list[str]) -> bool:
    """Whether the source declares every column of the key `cols` NOT NULL (comments' author)."""
    specs = [((formats.get(table, {}).get(c) or {}).get(SQL_FORMAT) or {}) for c in cols]
    return all(spec.get("nullable") is False for spec in specs)


def earlier_pairs(
    name: str, df: pd.DataFrame, cols: list[str], ref_cols: list[str], group: list[str], rng
) -> pd.DataFrame:
    """`df` (table `name`) with each row's composite key to its own table (`cols` naming `ref_cols`: a sub-task's
    (tenant_id, parent_id) naming (tenant_id, id)) the key of an earlier row of its `group` (its
    tenant, copied from the row it nests under), as a one-column key to its own table names an
    earlier row (no cycles, never itself): kept where it is one, else drawn among them; the other
    columns null where the row is its group's first. Rows whose pair is null stay so."""
    n, others = len(df), [c for c in cols if c not in group]
    to_ref = dict(zip(cols, ref_cols, strict=True))
    group = [c for c in group if to_ref[c] == c]  # a group column naming itself: its rows hold its value
    own = pd.MultiIndex.from_frame(df[ref_cols].astype(object))
    first = pd.Index(np.flatnonzero(~own.duplicated()))
    named = own[first].get_indexer(pd.MultiIndex.from_frame(df[cols].astype(object)))
    target = np.where(named >= 0, first.to_numpy()[np.maximum(named, 0)], -1)
    full = df[cols].notna().all(axis=1).to_numpy()
    wrong = np.flatnonzero(full & ~((target >= 0) & (target < np.arange(n))))
    if not len(wrong):
        return df
    codes = df.groupby(group, dropna=False, sort=False).ngroup().to_numpy() if group else np.zeros(n, np.int64)
    order = np.argsort(codes, kind="stable")  # each group's rows, in row order
    start = np.searchsorted(codes[order], codes[wrong], "left")
    before = pd.Series(codes).groupby(codes).cumcount().to_numpy()[wrong]  # earlier rows of the group
    pick = start + np.floor(rng.random(len(wrong)) * before).astype(np.int64)
    chosen = np.where(before > 0, order[np.minimum(pick, n - 1)], -1)
    out = df.copy()
    for c in others:
        values = pd.array(df[to_ref[c]].to_numpy()[np.maximum(chosen, 0)], dtype=df[c].dtype)
        values[chosen < 0] = pd.NA
        out.loc[out.index[wrong], c] = values
    log.info(
        "%s: %d generated (%s) pair(s) made keys of earlier rows of their %s (%d left null: the first)",
        name,
        len(wrong),
        ", ".join(cols),
        ", ".join(group) or "table",
        int((chosen < 0).sum()),
    )
    return out


def _added_where_none(pre, tables, table, cols, parent, ref_cols, fixed, wrong, rng) -> bool:
    """Add a `parent` row for each group (a tenant) of `table`'s `wrong` rows holding none of its
    rows (`add_missing_rows`): the rows name one of their group, never none; whether any was added."""
    wanted = tables[table][fixed].iloc[wrong].dropna()
    to_ref = dict(zip(cols, ref_cols, strict=True))
    there = pd.MultiIndex.from_frame(tables[parent][[to_ref[c] for c in fixed]].dropna())
    absent = wanted[~pd.MultiIndex.from_frame(wanted).isin(there)].rename(columns=to_ref)
    return bool(len(absent)) and add_missing_rows(pre, tables, parent, absent, ref_cols, rng)


def _matching(pairs: pd.DataFrame, wanted: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """For each row of `wanted`, a random row of `pairs` holding its values in `wanted`'s columns,
    -1 where none does."""
    cols = list(wanted.columns)
    both = pd.concat([pairs[cols], wanted], ignore_index=True)
    group = both.groupby(cols, dropna=False, sort=False).ngroup().to_numpy()
    have, want = group[: len(pairs)], group[len(pairs) :]
    order = np.argsort(have, kind="stable")
    lo, hi = np.searchsorted(have[order], want, "left"), np.searchsorted(have[order], want, "right")
    pick = lo + np.floor(rng.random(len(want)) * (hi - lo)).astype(np.int64)
    return np.where(hi > lo, order[np.minimum(pick, len(order) - 1)], -1)


def _same_first(pairs: pd.DataFrame, firsts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each value of `firsts`, a random row of `pairs` whose first column holds it, or any row."""
    order = np.argsort(pairs.iloc[:, 0].to_numpy(), kind="stable")
    sorted_first = pd.Index(pairs.iloc[:, 0].to_numpy()[order])
    lo = sorted_first.searchsorted(firsts, side="left")
    hi = sorted_first.searchsorted(firsts, side="right")
    count = hi - lo
    pick = lo + np.floor(rng.random(len(firsts)) * count).astype(np.int64)
    anywhere = rng.integers(0, len(pairs), len(firsts))
    return np.where(count > 0, order[np.minimum(pick, len(order) - 1)], anywhere)


def number_rows(df: pd.DataFrame, cols: list[str], column: str, start: int) -> pd.DataFrame:
    """`df` with `column` numbering the rows of each group of the other `cols` start, start + 1, ...
    in the order of their generated numbers (ties and null numbers last, in row order), as every
    group of the data is."""
    group = [df[c] for c in cols if c != column] or [pd.Series(0, index=df.index)]
    numbers = df[column].groupby(group, dropna=False).rank(method="first", na_option="bottom") + (start - 1)
    out = df.copy()
    out[column] = numbers.astype(out[column].dtype)
    return out


def _renumbered(df: pd.DataFrame, repeated: np.ndarray, group: list[str], col: str) -> pd.DataFrame:
    """`df` with `col` of the `repeated` rows set to the numbers after their group's largest."""
    out = df.copy()
    keys = [out[c] for c in group] if group else [pd.Series(0, index=out.index)]
    top = out[col].groupby(keys, dropna=False).transform("max")
    again = pd.Series(repeated, index=out.index)
    step = again.astype(int).groupby(keys, dropna=False).cumsum()
    out.loc[again, col] = (top + step)[again].astype(out[col].dtype)
    return out


def warn_nothing_to_name(table: str, fk: str, parent: str, n_rows: int, null_share: float) -> None:
    """A referenced table generated empty leaves every key of the reference null: said, not silent
    (a few entities over several root tables can give a small root none)."""
    log.warning(
        "%s.%s: no %s row was generated, so all %d of its keys are null (%.0f%% in the data): generate more "
        "entities so that %r gets rows (each root table gets its share of n_samples, and one at least where "
        "other tables reference its rows, as n_samples allows; ctx generates entities of "
        "the first root table only)",
        table,
        fk,
        parent,
        n_rows,
        100 * null_share,
        parent,
    )


def kept_in_order(
    drawn: pd.Series,
    parent_keys: pd.Series,
    order: ReferenceOrders,
    rng: np.random.Generator,
    groups: pd.Series | None = None,
) -> pd.Series:
    """`drawn` (keys among `parent_keys`, one a generated row) with each row that breaks an `order`
    (`reference_orders`: an order line dated before its product's SellStartDate) swapped with a
    random other row's key where both rows then keep every order, and (`groups`: each row's parent
    key, `unique_pairs`) neither parent row then names a key twice. Pairing in blocks and the swaps
    that keep keys apart left 157 of 2,696 lines of an AdventureWorks-like database before their
    product was sold (0 in the data). How often each row is named stays as drawn; a row no swap
    fits stays as it is (an order dated where fewer products were on sale than it has lines)."""
    at = pd.Index(parent_keys).get_indexer(drawn)
    rows = np.flatnonzero(at >= 0)
    broken = rows[order.broken(rows, at[rows])]
    if not len(broken):  # draws nothing: the pairings that keep their orders stay as drawn
        return drawn
    # each row's (parent row, key) as one code, to tell a swap naming a key twice under a parent row
    g = np.zeros(len(at), np.int64) if groups is None else pd.factorize(groups.reset_index(drop=True))[0]
    width = len(parent_keys) + 1
    pairs = g * width + at
    held = Counter(pairs[rows].tolist())  # how many rows hold each code

    def fits(k: int, others: np.ndarray) -> np.ndarray:
        """Whether row `k` may swap keys with each row of `others`: both keep every order, and
        neither parent row names a key twice."""
        ok = ~order.broken(np.full(len(others), k), at[others]) & ~order.broken(others, np.full(len(others), at[k]))
        ok &= at[others] != at[k]
        if groups is not None:
            codes = np.concatenate([g[k] * width + at[others], g[others] * width + at[k]])
            taken = np.isin(codes, pairs[rows]) if len(others) > SWAP_DRAWS else _held(held, codes)
            ok &= (g[others] == g[k]) | ~(taken[: len(others)] | taken[len(others) :])
        return ok

    late = LateRows.of(order, rows)
    for k in rng.permutation(broken):
        if not order.broken(np.array([k]), at[[k]])[0]:  # a swap before mended it
            continue
        if (j := _swap_partner(k, late.after(at[k]), fits, rng)) is not None:
            held.subtract([pairs[k], pairs[j]])
            at[k], at[j] = at[j], at[k]
            pairs[k], pairs[j] = g[k] * width + at[k], g[j] * width + at[j]
            held.update([pairs[k], pairs[j]])
    out = drawn.copy()
    out.iloc[rows] = parent_keys.to_numpy()[at[rows]]
    return out


@dataclass(frozen=True)
class OwnRows:
    """What a key to its row's own table keeps when a row is given another row to name (`retargeted`)."""

    alike: np.ndarray  # per row, a code of the labels that say which rows it may name (a level, a department)
    place: np.ndarray  # per row, its place in the order rows name earlier rows in
    may: np.ndarray  # per row, whether it may be named (not of a kind the data never names)


def retargeted(
    drawn: pd.Series, keys: pd.Series, order: ReferenceOrders, own: OwnRows, rng: np.random.Generator
) -> pd.Series:
    """`drawn` (keys to the rows' own table, `keys`) with each row that breaks an `order` naming
    instead a row it keeps every order with: an earlier row of the named row's own labels, one some
    row names already where any is (the degrees keep their shape), else one that may be named; a row
    none fits names none, as the data's earliest rows, born before any woman was 16, name no mother.
    Degrees are dealt to rows before pairing, blind to their dates: women born too late to be any
    child's mother were dealt children, and 20 % of a family history's generated persons named a
    mother 0 to 190 years older where every mother of the data is 16 to 45 years older. Swapping
    keys between rows (`kept_in_order`) mended none of 74 such rows of 386 and took 9 of 15 s for
    50,000 persons."""
    at = pd.Index(keys).get_indexer(drawn)
    rows = np.flatnonzero(at >= 0)
    pools = [np.unique(at[rows]), np.flatnonzero(own.may)]  # the rows the degrees went to first
    for k in rows[order.broken(rows, at[rows])]:
        for pool in pools:
            mates = pool[(own.alike[pool] == own.alike[at[k]]) & (own.place[pool] < own.place[k])]
            mates = mates[~order.broken(np.full(len(mates), k), mates)]
            if len(mates):
                break
        at[k] = rng.choice(mates) if len(mates) else -1
    out = drawn.copy()
    out.iloc[rows] = keys.to_numpy()[at[rows]]
    out.iloc[rows[at[rows] < 0]] = pd.NA
    return out


SWAP_DRAWS = 256  # rows drawn at once as a broken row's swap partners (`_swap_partner`)
SWAP_ROUNDS = 4  # draws before every row is tried


class LateRows:
    """The rows that keep an order's first pair of columns with a referenced row, found by halving
    rather than by a pass over every row: a row's own values never change as keys are swapped."""

    def __init__(self, order: ReferenceOrders, rows: np.ndarray, values: np.ndarray, free: np.ndarray):
        # `values`: the rows' first order column times its sign, ascending, at `rows` (those with one);
        # `free`: the rows without one, which keep it with any row
        self.order, self.rows, self.values, self.free = order, rows, values, free

    @classmethod
    def of(cls, order: ReferenceOrders, rows: np.ndarray) -> LateRows:
        values = order.signs[0] * order.child[0, rows]
        held = ~np.isnan(values)
        by = np.argsort(values[held], kind="stable")
        return cls(order, rows[held][by], values[held][by], rows[~held])

    def after(self, parent: int) -> np.ndarray:
        """The rows that keep the first order with referenced row `parent` (all where it has no value)."""
        bound = self.order.signs[0] * self.order.parent[0, parent]
        late = self.rows if np.isnan(bound) else self.rows[np.searchsorted(self.values, bound, side="left") :]
        return np.concatenate([late, self.free]) if len(self.free) else late  # a view: no pass over the rows


def _swap_partner(k: int, rows: np.ndarray, fits, rng: np.random.Generator) -> int | None:
    """A row of `rows` drawn evenly among those that `fits` row `k` (None where none does): rows drawn
    at random, the first that fits taken, so a broken row costs a few draws rather than a pass over
    every row (200k lines, 5k of them broken: a pass each took 4.5 min); where `SWAP_ROUNDS` draws
    find none, every row is tried (a line dated where few products were on sale yet)."""
    if len(rows) > SWAP_DRAWS:
        for _ in range(SWAP_ROUNDS):
            others = rows[rng.integers(0, len(rows), SWAP_DRAWS)]
            if len(hit := np.flatnonzero(fits(k, others))):
                return int(others[hit[0]])
    ok = np.flatnonzero(fits(k, rows))
    return int(rows[rng.choice(ok)]) if len(ok) else None


def _held(held: Counter, codes: np.ndarray) -> np.ndarray:
    """Whether some row holds each of `codes` (`held`: rows a code)."""
    return np.fromiter((held[c] > 0 for c in codes.tolist()), dtype=bool, count=len(codes))

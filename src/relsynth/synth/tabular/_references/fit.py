"""The statistics the fit keeps per reference (`reference_stats`): the null share, the degrees as
quantiles, the degree effects and the copula that reproduces them, the token affinities (see the
package docstring), the table a reference stays under (`within`), whether a parent row names a
row twice (`unique_pairs`), nor names one that another reference names in another of its rows
(`unique_across`), the other keys of its row to the same table it never equals
(`apart`), or keys of the row it names (`apart_named`) or of its parent row (`apart_parent`),
the number of the referenced row its degree never passes (`capped_by`), the columns copied
(`copies`), the label a row's own-table reference shares with it (`same`); and the link tables
whose keys never repeat (`unique_links`), and those storing each pair both ways
(`mirrored_links`)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.copies import chance
from relsynth.relational.data import SQL_FORMAT
from relsynth.relational.orders import (
    DATED,
    ORDERED,
    ancestor_column,
    ancestor_keys,
    as_numbers,
    lag_window,
    nested_dates,
    order_between,
    parent_ordered,
    parent_rows,
    referenced_ordered,
)
from relsynth.relational.orders import reference_orders as orders_across
from relsynth.relational.row_keys import is_row_key, row_key_columns, row_key_references
from relsynth.relational.schema import Edge
from relsynth.synth.core.nulls import telling_column
from relsynth.synth.tabular._references.as_of import as_of
from relsynth.synth.tabular._references.copies import copied_columns
from relsynth.synth.tabular._references.cycles import back_links
from relsynth.synth.tabular._references.decided import deciding_key
from relsynth.synth.tabular._references.degrees import ranked
from relsynth.synth.tabular._references.depths import max_depth
from relsynth.synth.tabular._references.grouped import free_of_rules, grouped_column
from relsynth.synth.tabular._references.pairing import (
    coarse_tokens,
    count_tokens,
    feature_fields,
    field_tokens,
    n_groups,
    with_parent_row,
    with_points_apart,
)
from relsynth.synth.tabular._references.periods import year_periods
from relsynth.synth.tabular._references.ranked import ranked_labels
from relsynth.synth.tabular._references.ratios import ratio_columns
from relsynth.synth.tabular._references.same_values import same_values
from relsynth.synth.tabular._references.siblings import named_by_sibling
from relsynth.synth.tabular.encoders import NumericPreproc, plain_scalar
from relsynth.synth.tabular.rules.unique_labels import met_across, never_repeated_sets, never_repeated_with
from relsynth.synth.tabular.rules.unique_sets import declared_pair

log = logging.getLogger(__name__)

N_QUANTILES = 100  # degrees kept as this many quantiles: no single row's degree is stored
SHRINK = 1.0  # pseudo-count of an affinity's log ratio: a cell of few pairs says a little less
Z_KEPT = 2.0  # an affinity is kept when seen and expected pairs differ by this many standard deviations
SHRINK_ROWS = 5.0  # pseudo-rows of a degree effect: a value of few rows says little
P_NEVER = 1e-3  # a value whose rows are never referenced is a rule when chance would leave them all so this rarely
MIN_PAIRS = 20  # rows a reference needs for "no parent references a row twice" to be read from them
# a key closing a cycle of keys (a store's manager, its staff naming the store) is there to name one of
# the rows naming its row back: every row of a few (Sakila's 2 stores) is evidence enough of that
MIN_CYCLE_PAIRS = 2
MIN_OFF = 5.0  # rows referenced rows drawn by their shares would have put off a `within_any`, at least


def reference_stats(pre, data: RelationalData, skip=frozenset()) -> dict[str, dict]:
    """ "table.fk" -> {"parent", "null_share", "degrees", "affinity", ...} for every reference of the
    schema; `skip`: columns set after generation, as (table, column) (`reference_orders`)."""
    schema, out = data.schema, {}
    fixed = set(skip) | pre._ordered_reads() | {(t, c) for t, found in pre.orderings.items() for c in found}
    for table in schema.synth_tables:
        for e in schema.references(table):
            values = data[table][e.fk]
            pos = referenced_rows(data, e)
            outside = values.notna().to_numpy() & (pos < 0)
            if data.partial and outside.mean() > 0.05:
                log.warning(
                    "%s.%s: %.0f %% of the references name rows of another part of the database; fitted on a part "
                    "(a split, a sample), each %s row is seen referenced by this part's rows only, so rows look "
                    "less referenced than in the whole database",
                    table,
                    e.fk,
                    100 * outside.mean(),
                    e.parent,
                )
            keys = data[e.parent][schema.tables[e.parent].primary_key]
            per_key = values.dropna().value_counts()
            degrees = per_key.reindex(pd.Index(keys), fill_value=0).to_numpy(dtype=np.int64)
            quantiles = degree_quantiles(degrees)
            groups = n_groups(int(values.notna().sum()), pre.min_count)
            coarse = coarse_tokens(pre, groups)
            effects, rho = degree_effects(pre, degree_tokens(pre, data, e.parent), degrees, coarse)
            scope = scope_of(data, e, pos)
            slot = unique_with(data, e, scope["within"])  # a teacher in one lesson a (weekday, period)
            # a key naming a row that names it back can be set only where one does: the null share of those rows
            able = named_back(data, e, scope["within_via"]) if scope["within"] == table else np.ones(len(values), bool)
            same = same_label(pre, data, e, pos) if scope["within"] is None else None
            step = label_step(pre, data, e, pos) if scope["within"] is None and same is None else None
            after = date_after(data, e, pos) if e.parent == table else None
            if step is not None:
                warn_rare_step(pre, data, e, step)
            if step is not None:  # a label the data never gives a key (the CEO's level) names none: not of the share
                able &= data[table][step[0]].map(plain_scalar).isin([m for m, _ in step[1]]).to_numpy()
            if same is not None:  # a label's first row names no earlier one of it: not of the null share
                able &= ~first_of_label(data[table][same], data[table][after[0]] if after else None)
            elif e.parent == table and scope["within"] not in (None, table):  # nor a scope row's first row
                firsts = ancestor_keys(schema, data, table, scope["within"])
                able &= ~first_of_label(firsts, data[table][after[0]] if after else None)
            null = values.isna().to_numpy()[able]
            out[f"{table}.{e.fk}"] = {
                "parent": e.parent,
                "null_share": float(null.mean()) if len(null) else 0.0,
                # null in no row, those that name nothing back too: named wherever generated (a staff's store)
                "never_null": bool(values.notna().all()),
                "null_by": null_by(pre, table, data[table][able], null, coarse),
                # a father unknown where the mother is, and known where she is (`null_with`)
                "null_with": null_with(pre, data, e),
                # an agent unassigned where the ticket has no first response, and only there (`null_as`)
                "null_as": null_as(pre, data, e),
                "degrees": [int(d) for d in quantiles],
                "groups": groups,
                "unique_pairs": unique_pairs(data, e),
                # a root table's team once a season: its key never repeats with an earlier reference's
                "unique_beside": unique_beside(data, e),
                "unique_across": unique_across(data, e),
                "unique_with": slot,
                # a student in a course once a semester, but in it again in a later one (`unique_under`)
                "unique_under": unique_under(data, e) if scope["within"] is None and not slot else None,
                # a client's district, its account's (`same_values`), where not drawn within a scope row
                "same_values": same_values(data, e, pos) if scope["within"] is None else [],
                # one OWNER disposition for every account (`one_each`): those rows deal each row once
                "one_each": one_each(data, e, pos, slot) if scope["within"] is None else None,
                "unique_with_across": (across := unique_with_across(data, e, scope["within"], slot)),
                # and a season's fixture: the home team once against each away team (`unique_with_also`)
                "unique_with_also": (also := unique_with_also(data, e, scope["within"], slot)),
                # ... and a team in one match a round, home or away (`unique_also_across`)
                "unique_also_across": unique_also_across(data, e, scope["within"], also, across),
                "capped_by": None if e.parent == table else degree_cap(data, e, degrees, skip),
                # a commit's parent in a history that never branches: no row named twice (`named_once`)
                "named_once": named_once(degrees, pre.min_count),
                "apart": apart(data, e),
                "apart_named": apart_named(data, e, pos),
                "apart_parent": apart_parent(data, e),
                "acyclic_from": acyclic_from(data, e),
                "covered_with": covered_with(data, e),  # every atom in a bond, as atom1 or atom2
                **scope,
                # a goal's scorer, a player of its match's home or away team (`within_any`)
                "within_any": None if scope["within"] else within_any(data, e, pos),
                "degree_effects": effects,
                "never_named": never_named(pre, e.parent, data[e.parent], degrees, coarse),
                # a category holding products is no category's parent: its own table's rows with child rows
                "never_named_with": never_named_with(data, e, degrees),
                # ... and a ledger's line posts to no account its own table's key names (a parent account)
                "never_named_by": never_named_by(data, e, degrees),
                # a category tree 4 deep stays so (`depths`); a step's labels keep their own depth
                "max_depth": tree_depth(pre, data, e) if step is None else None,
                "degree_copula": rho,
                "affinity": affinity(pre, data, e, coarse, pos),
                "copies": (copies := copied_columns(pre, data, e, pos)),
                # a number a fixed ratio of the referenced row's (a reseller's price, 0.6 of the list price)
                "ratios": (ratios := ratio_columns(pre, data, e, pos, copies)),
                "same": same,
                "step": step,
                # and of the row's own department below the top (a VP's, not the CEO's): [column, free labels]
                "step_same": None if step is None else step_label(pre, data, e, pos),
                # how many rows name each row of a label the step names (a manager's engineers, a VP's directors)
                "step_degrees": None if step is None else step_degrees(pre, data[e.parent][step[0]], step, degrees),
                "after": after,
                # not a number's order to the number it is a ratio of: the ratio, set after, keeps it; a key
                # to its own table, its row's own (born before the mother named died), not its parent row's
                "orders": (
                    orders := unscaled(
                        [o for o in reference_orders(data, e, pos, skip) if e.parent != table or len(o) == 3], ratios
                    )
                ),
                # the least and most gap of a date from the named row's (a mother 16 to 45 years older)
                "windows": lag_windows(data, e, orders + ([[*after, 1]] if after else [])),
                # a match's date within the season its year names (Aug. to May): kept as `windows` are
                "year_periods": year_periods(data, e, pos, skip),
                "ranked": ranked_labels(data, e, pos, skip),  # a match's round in date order within its season
                "as_of": as_of(data, e, pos, scope, skip),  # the version valid at the row's date (an order's)
                # a key one of its parent row's rows of another table names too (a tag's movie, one its user rated)
                # its date after that row's, moved so where nothing else reads or orders it (a tag after the rating)
                "named_by": named_by_sibling(data, e, fixed),
                # an order item's seller, the one its product is sold by (`decided`)
                "decided_by": deciding_key(data, e) if e.parent != table else None,
            }
            # a number whose rows the key groups (a city's listings, its price level), where no rule is in the way
            fitted = out[f"{table}.{e.fk}"]
            # not a key to its own table: a row's key moved to a later row would break its tree
            fitted["grouped"] = (
                number_grouped(data, e, pos, fitted) if e.parent != table and free_of_rules(fitted) else None
            )
    return out


def number_grouped(data: RelationalData, e: Edge, pos: np.ndarray, fitted: dict) -> list | None:
    """`grouped.grouped_column` over the numbers of `e.child` the reference sets not itself (copies, ratios)."""
    if e.parent == e.child:
        return None
    kinds = data.schema.tables[e.child].columns
    numbers = [c for c, k in kinds.items() if k.kind in (Column.INTEGER, Column.NUMERIC)]
    set_here = {c[0] for c in fitted.get("copies") or []} | {r["column"] for r in fitted.get("ratios") or []}
    return grouped_column(data[e.child], numbers, pos, set_here)


def degree_quantiles(degrees: np.ndarray) -> np.ndarray:
    """`N_QUANTILES` quantiles of the referenced rows' `degrees` (none where there are no rows)."""
    levels = (np.arange(N_QUANTILES) + 0.5) / N_QUANTILES
    return np.quantile(degrees, levels, method="inverted_cdf") if len(degrees) else np.zeros(0)


def step_degrees(pre, labels: pd.Series, step: list, degrees: np.ndarray) -> list[list]:
    """[[label, degree quantiles], ...]: per label a `step` names (a manager's), how many rows name
    each referenced row of it, where `min_count` rows at least hold it. The degrees over all rows
    are mostly the zeros of the rows no step names (an org chart's engineers, 70 % of it), so drawn
    among the managers alone they left most managers without a report and gave a few up to 41
    (the data's: 10 at most). Generation deals each label's rows these degrees instead."""
    plain = labels.map(plain_scalar, na_action="ignore")
    out = []
    for target in dict.fromkeys(t for _, t in step[1]):
        mine = degrees[plain.eq(target).fillna(False).to_numpy(dtype=bool)]
        if len(mine) >= pre.min_count:
            out.append([target, [int(d) for d in degree_quantiles(mine)]])
    return out


def reference_orders(data: RelationalData, e: Edge, pos: np.ndarray, skip=frozenset()) -> list[list]:
    """[child column, parent column, sign] of each order between a referencing row's dates or
    numbers and its referenced row's that the data keep (`relational.orders.reference_orders`: a
    payment after its rental, a salary within its job's range; a parent column `<ancestor>.<column>`:
    a date of a row the referenced row nests under, a consent after its site's trial started), and [column, parent column, sign,
    "parent"] of those of the referencing row's parent row (a course's level above its
    prerequisites'). Generation pairs rows so
    (`pair_up`). Columns set after generation (`skip`: totals and formulas, as (table, column))
    take no part; nor does a reference of fewer than `MIN_PAIRS` rows."""
    if (pos >= 0).sum() < MIN_PAIRS:
        return []
    schema = data.schema
    kinds = {c: k.kind for c, k in schema.tables[e.child].columns.items() if (e.child, c) not in skip}
    theirs = [c for c in schema.tables[e.parent].columns if (e.parent, c) not in skip]
    # and the dates of the rows it nests under: a participant consents after its site's trial started
    above = [c for c in nested_dates(schema, e.parent) if ancestor_column(schema, c) not in skip]
    named = referenced_ordered(data.data, schema, e, theirs + above, above=True)
    found = orders_across(data[e.child], list(kinds), kinds, *named)
    out = [[o.column, o.base, o.sign] for o in found]
    out += child_orders(data, e, theirs, skip)  # its children's too: a card issued after its account opened
    nest = schema.parent(e.child)
    if nest is None:
        return out
    # the row's parent row too (a course above its prerequisites, the link rows having no number of
    # their own), where drawing among all the referenced rows would break it: the named rows' values
    # can keep it by their roles alone (only lower levels are named), which drawn keys do not follow
    above, above_kinds = parent_ordered(data.data, schema, e.child)
    above_kinds = {c: k for c, k in above_kinds.items() if (nest.parent, c) not in skip}
    if above is None or not above_kinds:
        return out
    named, named_kinds = referenced_ordered(data.data, schema, e, theirs)
    found = orders_across(above, list(above_kinds), above_kinds, named, named_kinds, pool=data[e.parent])
    return out + [[o.column, o.base, o.sign, "parent"] for o in found]


def lag_windows(data: RelationalData, e: Edge, orders: list[list]) -> list[list]:
    """[child column, parent column, sign, least, most] of each plain order between a referencing
    row's date and its named row's (`orders`, [column, parent column, sign]) whose gaps keep a window
    the order alone does not (`relational.orders.lag_window`, nanoseconds; None, a side not kept): a
    child born 16 to 45 years after the mother named (drawn among any earlier women, 66-73 % of them
    were not). Generation pairs rows so where the block allows, as it keeps the orders themselves."""
    kinds = data.schema.tables[e.child].columns
    plain = {(o[0], o[1], o[2]): None for o in orders if len(o) == 3 and o[0] in kinds and kinds[o[0]].kind in DATED}
    if not plain:
        return []
    named, named_kinds = referenced_ordered(data.data, data.schema, e, [p for _, p, _ in plain], above=True)
    out = []
    for c, p, sign in plain:
        if p not in named_kinds or named_kinds[p] not in DATED:
            continue
        base, values = as_numbers(named[p], named_kinds[p]), as_numbers(data[e.child][c], kinds[c].kind)
        low, high = lag_window(base, values, sign)
        if low is not None or high is not None:
            out.append([c, p, sign, low, high])
    return out


def child_orders(data: RelationalData, e: Edge, theirs: list[str], skip=frozenset()) -> list[list]:
    """[column, referenced column, sign, "child", child table] of each order between the dates or
    numbers of the rows nested under a referencing row and its referenced row's (a card issued after
    its disposition's account was opened, the card nested under the disposition): every child row
    on or after the named row's value (its earliest, sign 1) or on or before it (its latest, sign -1).
    Generation pairs each row with a named row its children's values keep (`pair_up`), as its own."""
    named, named_kinds = referenced_ordered(data.data, data.schema, e, theirs)
    out = []
    for child in data.schema.children(e.child):
        kinds = {
            c: k.kind
            for c, k in data.schema.tables[child].columns.items()
            if k.kind in ORDERED and (child, c) not in skip
        }
        for sign, how in ((1, "min"), (-1, "max")):
            below = child_extremes(data.data, data.schema, e.child, child, list(kinds), how)
            found = orders_across(below, list(kinds), kinds, named, named_kinds, pool=data[e.parent])
            out += [[o.column, o.base, o.sign, "child", child] for o in found if o.sign == sign]
    return out


def named_once(degrees: np.ndarray, min_count: int) -> bool:
    """Whether no referenced row is named twice in the data (a commit's parent, in a history that
    never branches; a refund's payment) where as many references dealt at random among the rows would
    have named one again `min_count` times at least (so a few references among many rows say nothing)."""
    n, m = len(degrees), int(degrees.sum())
    if n == 0 or degrees.max() > 1:
        return False
    again = m - n * (1.0 - (1.0 - 1.0 / n) ** m)  # expected references to a row already named
    return bool(again >= min_count)


def child_extremes(tables, schema, table: str, child: str, columns: list[str], how: str) -> pd.DataFrame:
    """Per row of `tables[table]` (by position), the least (`how` "min") or greatest ("max") value of
    each of `columns` over its rows in the table `child` nested under it; missing without any."""
    fk, pk = schema.parent(child).fk, schema.tables[table].primary_key
    rows = tables[child][[fk, *columns]]
    by_row = rows.groupby(fk)[columns].agg(how) if len(rows) else rows.set_index(fk)[columns]
    return by_row.reindex(tables[table][pk].to_numpy()).reset_index(drop=True)


def degree_cap(data: RelationalData, e: Edge, degrees: np.ndarray, skip=frozenset()) -> str | list[str] | None:
    """The number of the referenced row that each row's degree through `e` never passes in the data
    (a section's enrollments, at most its capacity), where degrees drawn apart from it would
    (`order_between`), the one with the least room: a column of the referenced table, or [key, column]
    of the lookup row its key names (at most its room's capacity: ["room_id", "capacity"]); None
    where none is. Generation then names no row more often than it says (`generate.degree_room`).
    Columns set after generation (`skip`) take no part."""
    best: tuple[float, str | list[str]] | None = None
    for name, values in capping_numbers(data, e.parent, skip):
        found = order_between(values, degrees.astype(np.float64), dated=False)
        if found is not None and found[1] < 0 and (best is None or found[0] < best[0]):
            best = (found[0], name)
    return None if best is None else best[1]


def capping_numbers(data: RelationalData, table: str, skip=frozenset()):
    """(name, float values per row of `table`) of the numbers a row's degree may be capped by: its own
    (a column name), then those of the lookup rows its keys name ([key, lookup column]; NaN where the
    key names none)."""
    spec = data.schema.tables[table]
    for c, kind in spec.columns.items():
        if kind.kind in (Column.INTEGER, Column.NUMERIC) and (table, c) not in skip:
            yield c, as_numbers(data[table][c], kind.kind)
    for fk, lookup in data.schema.lookup_fks(table).items():
        rows = pd.Index(data[lookup][data.schema.tables[lookup].primary_key]).get_indexer(data[table][fk])
        for c, kind in data.schema.tables[lookup].columns.items():
            if kind.kind in (Column.INTEGER, Column.NUMERIC):
                values = as_numbers(data[lookup][c], kind.kind)
                yield [fk, c], np.where(rows >= 0, values[np.maximum(rows, 0)], np.nan)


def null_with(pre, data: RelationalData, e: Edge) -> str | None:
    """The table's earlier reference (in column order) whose key is null in exactly the rows `e`'s
    is, each way in `min_count` rows at least (a person's mother and father, both known or both
    unknown); None where no key's nulls are the same. Drawn each on its own, half the generated
    people had one parent and not the other, which the data never has."""
    rows = data[e.child]
    null = rows[e.fk].isna().to_numpy()
    if min(int(null.sum()), int((~null).sum())) < pre.min_count:
        return None
    for other in data.schema.references(e.child):
        if other.fk == e.fk:
            return None
        if np.array_equal(rows[other.fk].isna().to_numpy(), null):
            return other.fk
    return None


def null_as(pre, data: RelationalData, e: Edge) -> str | None:
    """The modelled column of the table (decoded before any key is drawn) missing in exactly the
    rows `e`'s key is null, each way in `min_count` rows at least (a ticket's first response, missing
    where no agent is assigned and only there); None where none is, or where an earlier key's nulls
    are the same (`null_with`). Drawn by the null share of the ticket's status, 12 to 15 % of a
    trained model's tickets had an agent and no response, or a response and no agent."""
    rows = data[e.child]
    null = rows[e.fk].isna().to_numpy()
    if min(int(null.sum()), int((~null).sum())) < pre.min_count or null_with(pre, data, e) is not None:
        return None
    for col in pre.modelled_columns(e.child):
        if col != e.fk and np.array_equal(rows[col].isna().to_numpy(), null):
            return col
    return None


def null_by(
    pre, table: str, rows: pd.DataFrame, null: np.ndarray, coarse: np.ndarray, raw: np.ndarray | None = None
) -> list | None:
    """[field, [[token, null share], ...]]: the one field of `table`'s rows (a position in
    `feature_fields`) whose tokens best tell which rows' keys are `null` (a question has no parent
    post, an answer always one; `core.nulls.telling_column`), with the null share of each of its
    tokens seen in `min_count` rows at least; None where none does. Generation then draws each
    row's key null by its own token's share, not every row by the overall one. `raw`: the rows'
    tokens where they are read with more fields than their own (`referencing_tokens`: their parent
    row's after them)."""
    raw = field_tokens(pre, table, rows) if raw is None else raw
    tokens = with_points_apart(coarse[raw], raw, pure_points(pre, table, raw, coarse, null))
    found = telling_column(((j, tokens[:, j]) for j in range(tokens.shape[1])), null, pre.min_count)
    return None if found is None else [found[0], [[int(t), share] for t, share in found[1]]]


def pure_points(pre, table: str, raw: np.ndarray, coarse: np.ndarray, null: np.ndarray) -> list[int]:
    """The exact points of `table`'s numbers (`NumericPreproc.points`) read in a group with other
    tokens (`coarse`) whose `min_count` rows at least are all null or none, while the rest of the
    group is not so (a customer with credit limit exactly 0 never has a sales rep; the lowest limits
    beside it always one): read apart from their group, so the null share of the point is its own
    (1.0, not the group's 0.438)."""
    layout, out = pre.layouts[table], []
    for j, field in enumerate(feature_fields(pre, table)):
        slot = pre.slots[layout.slots[field]]
        if not isinstance(slot.preproc, NumericPreproc):
            continue
        for t in _grouped_points(slot, coarse):
            held = raw[:, j] == t
            mine, rest = null[held], null[(coarse[raw[:, j]] == coarse[t]) & ~held]
            if len(mine) >= pre.min_count and len(rest) and mine.min() == mine.max() and (rest != mine[0]).any():
                out.append(t)
    return out


def _grouped_points(slot, coarse: np.ndarray) -> list[int]:
    """The global tokens of `slot`'s exact points that `coarse` reads in a group with other tokens."""
    ids = np.arange(slot.offset + 1, slot.offset + 1 + len(slot.preproc.points))
    ranged = coarse[slot.offset + 1 : slot.offset + slot.preproc.n_tokens]
    return [int(t) for t in ids if (ranged == coarse[t]).sum() > 1]


def apart(data: RelationalData, e: Edge) -> list[str]:
    """The keys of `e.child` to the same table as reference `e`, its parent key or an earlier
    reference, that never name the row `e` names in `MIN_PAIRS` rows holding both (a flight's
    destination airport, never its origin, the airport it nests under; a course's prerequisite,
    never the course). Not `never_equal`'s chance: among many rows the data's marginals rarely pair
    a row with itself (0.3 of 143 prerequisites over 200 courses), while the drawn keys, which do
    not follow the roles the rows play, do (6 of 715)."""
    declared = declared_apart(data, e)
    others = [c for c in _same_table_keys(data.schema, e) if c not in declared]
    return declared + [c for c in others if never_same(data[e.child][c], data[e.child][e.fk])]


def acyclic_from(data: RelationalData, e: Edge) -> str | None:
    """The key of `e.child` to the table reference `e` names (its parent key, an earlier reference)
    whose links to the row `e` names close no cycle in the data, in `MIN_PAIRS` rows at least (a bill
    of materials' part and component: no part is its own component, however deep): generation then
    closes none (`cycles.without_cycles`). None otherwise."""
    for other in _same_table_keys(data.schema, e):
        sources, targets = data[e.child][other], data[e.child][e.fk]
        if (sources.notna() & targets.notna()).sum() >= MIN_PAIRS and len(back_links(sources, targets)) == 0:
            return other
    return None


def covered_with(data: RelationalData, e: Edge) -> str | None:
    """The earlier reference of `e.child` to the table `e` names with which every referenced row is
    named by one of the two, in `MIN_PAIRS` rows at least, though each alone leaves some unnamed (a
    bond's atom1 and atom2: every atom bonded, the first atom of a chain never an atom2, its last
    never an atom1): generation then names the rows neither names (`cover`). None otherwise."""
    if len(data[e.child]) < MIN_PAIRS or e.parent == e.child:
        return None
    nest = data.schema.parent(e.child)
    keys = data[e.parent][data.schema.tables[e.parent].primary_key]
    mine = keys.isin(data[e.child][e.fk].dropna())
    for other in _same_table_keys(data.schema, e):
        if nest is not None and other == nest.fk:
            continue
        theirs = keys.isin(data[e.child][other].dropna())
        if (mine | theirs).all() and not mine.all() and not theirs.all():
            return other
    return None


def _same_table_keys(schema, e: Edge) -> list[str]:
    """The keys of `e.child` to `e.parent` drawn before reference `e`: its parent key, earlier references."""
    if e.parent == e.child:  # a row naming its own table names an earlier row, never itself
        return []
    nest = schema.parent(e.child)
    others = [nest.fk] if nest is not None and nest.parent == e.parent else []
    for r in schema.references(e.child):
        if r.fk == e.fk:
            break
        others += [r.fk] if r.parent == e.parent else []
    return others


def declared_apart(data: RelationalData, e: Edge) -> list[str]:
    """The keys of `e.child` drawn before reference `e` that its source keeps apart from it by a
    CHECK (a <> b) (`RelationalData.differing_columns`, `from_sql`): public like the schema, so
    kept under DP too, which reads no `apart` from the data (DP follows held 3 self-follows the
    source's CHECK (follower_id <> followee_id) refused)."""
    pairs = {frozenset(p) for p in data.differing_columns(e.child)}
    return [c for c in _same_table_keys(data.schema, e) if frozenset((c, e.fk)) in pairs]


def apart_named(data: RelationalData, e: Edge, pos: np.ndarray) -> list[list[str]]:
    """[column, referenced column] of each key of `e.child` (its parent key or another reference)
    and key of the row `e` names (`pos`: `referenced_rows`) to one table that never name the same
    row in `MIN_PAIRS` rows holding both (a like's user, never its post's author: nobody likes their
    own post; drawn keys did in 3 of 892 generated likes). As `apart`, not chance's test."""
    schema = data.schema
    if e.parent == e.child:
        return []
    mine = [k for k in [schema.parent(e.child), *schema.references(e.child)] if k is not None and k.fk != e.fk]
    theirs = [k for k in [schema.parent(e.parent), *schema.references(e.parent)] if k is not None]
    known = np.flatnonzero(pos >= 0)
    return [
        [m.fk, t.fk]
        for m in mine
        for t in theirs
        if m.parent == t.parent
        and never_same(
            data[e.child][m.fk].iloc[known].reset_index(drop=True),
            data[e.parent][t.fk].iloc[pos[known]].reset_index(drop=True),
        )
    ]


def apart_parent(data: RelationalData, e: Edge) -> list[str]:
    """The keys of `e.child`'s parent row to the table `e` names (its parent key or a reference)
    that never name the row `e` names, in `MIN_PAIRS` rows holding both (a like nested under its
    post: its user, never the post's author; drawn keys did in 6 of 864 generated likes). As
    `apart`, not chance's test."""
    schema, nest = data.schema, data.schema.parent(e.child)
    if nest is None or e.parent == e.child:
        return []
    keys = [k.fk for k in [schema.parent(nest.parent), *schema.references(nest.parent)] if k and k.parent == e.parent]
    above = parent_rows(data.data, schema, e.child, keys)
    return [k for k in keys if never_same(data[e.child][e.fk].reset_index(drop=True), above[k])]


def never_same(a: pd.Series, b: pd.Series) -> bool:
    """Whether two keys never name one row in the `MIN_PAIRS` rows at least that hold both."""
    held = a.notna() & b.notna()
    return int(held.sum()) >= MIN_PAIRS and not (a[held].to_numpy() == b[held].to_numpy()).any()


def date_after(data: RelationalData, e: Edge, pos: np.ndarray) -> list[str] | None:
    """[child date, parent date] where the referencing row's date is on or after the referenced
    row's in every one of at least `MIN_PAIRS` rows holding both (a payment after its rental), and
    not because their ranges do not overlap (which any pairing keeps); the tightest such pair
    (smallest median gap). Generation pairs rows so (`pair_up`). None otherwise. A reference to its
    own table (a manager hired before the employees they manage): one date column on both sides,
    which generation orders the rows by (`date_order`)."""
    schema, known = data.schema, pos >= 0
    if known.sum() < MIN_PAIRS:
        return None
    dates = (Column.DATE, Column.DATETIME)
    child_cols = [c for c, k in schema.tables[e.child].columns.items() if k.kind in dates]
    parent_cols = [c for c, k in schema.tables[e.parent].columns.items() if k.kind in dates]
    best, best_gap = None, np.inf
    for c in child_cols:
        mine = as_numbers(data[e.child][c], Column.DATETIME)[known]
        for p in [c] if e.parent == e.child else parent_cols:
            theirs = as_numbers(data[e.parent][p], Column.DATETIME)[pos[known]]
            found = order_between(theirs, mine, dated=True, base_may_miss=True)  # the orders within rows' rule
            if found is not None and found[1] == 1 and found[0] < best_gap:
                best, best_gap = [c, p], found[0]
    return best


def referenced_rows(data: RelationalData, e: Edge) -> np.ndarray:
    """Per row of `e.child`, the position of the `e.parent` row its key names (-1: null, or a row of
    another part of the database)."""
    keys = data[e.parent][data.schema.tables[e.parent].primary_key]
    return pd.Index(keys).get_indexer(data[e.child][e.fk])


def parent_copies(pre, data: RelationalData) -> dict[str, list[list]]:
    """table -> `copied_columns` of its parent row (a ship city, its customer's: see `copies`), for
    the tables nested under a parent that copy some of its values."""
    out = {}
    for table in data.schema.synth_tables:
        edge = data.schema.parent(table)
        if edge is not None and (found := copied_columns(pre, data, edge, referenced_rows(data, edge))):
            out[table] = found
    return out


def nest_chain(schema, table: str) -> list[str]:
    """`table` and the tables it nests under, nearest first (item, order, customer)."""
    chain = [table]
    while (edge := schema.parent(chain[-1])) is not None:
        chain.append(edge.parent)
    return chain


def within(data: RelationalData, e: Edge, pos: np.ndarray) -> str | None:
    """The table under one row of which every reference of `e` stays in the data (an order's
    shipping address is one of its own customer's), when `e.child` and `e.parent` nest under a
    common table, or `e.parent` under `e.child` (a department's manager is one of its employees: a
    deferred key, `Schema.deferred_keys`), and at least `MIN_PAIRS` references were read (for such
    a deferred key, `min_pairs`), or, for a key to its own table, a table it nests under (an
    employee's manager, one of the department's employees):
    generation then keeps each reference under its own row of that table. None otherwise. `pos`:
    `referenced_rows`."""
    schema = data.schema
    own = e.parent == e.child  # the table itself is no scope: every row would have to name itself
    above = set(nest_chain(schema, e.parent)[own:])
    scope = next((t for t in nest_chain(schema, e.child)[own:] if t in above), None)
    if scope is None:
        return None
    known = pos >= 0
    if known.sum() < (min_pairs(schema, e) if scope == e.child else MIN_PAIRS):  # a few common ancestors: chance
        return None
    mine = ancestor_keys(schema, data, e.child, scope).to_numpy()[known]
    theirs = ancestor_keys(schema, data, e.parent, scope).to_numpy()[pos[known]]
    return scope if bool((mine == theirs).all()) else None


def same_label(pre, data: RelationalData, e: Edge, pos: np.ndarray) -> str | None:
    """A label of the row (a category, a lookup's key, a key to another table) that the row its key to its own table
    names holds too, in at least `MIN_PAIRS` rows and every row of the data, where two rows drawn
    at random would share it at most half the time (an employee's manager is of their
    department): generation then draws each key among the rows of the row's own label. A copy
    (`copies`) would change the row's label after its child rows were written for it. None
    otherwise, and for other references (their copies keep it)."""
    known = pos >= 0
    if e.parent != e.child or known.sum() < MIN_PAIRS:
        return None
    kinds = data.schema.tables[e.child].columns
    labels = (Column.CATEGORICAL, Column.BOOLEAN, Column.FOREIGN_KEY)  # a modelled key: a lookup's
    modelled = [c for c in pre.modelled_columns(e.child) if kinds[c].kind in labels]
    for col in modelled + other_references(data.schema, e):
        mine = data[e.child][col][known].reset_index(drop=True)
        theirs = data[e.child][col].iloc[pos[known]].reset_index(drop=True)
        if mine.notna().all() and bool(mine.eq(theirs).fillna(False).all()) and chance(mine, theirs) <= 0.5:
            return col
    return None


def warn_rare_step(pre, data: RelationalData, e: Edge, step: list) -> None:
    """Warns where a `step` names a category too rare to be generated (fewer than `min_count`
    rows: the protected `<rare>`), whose rows are then generated without a key: an org chart's one
    CEO, of a title of one row, left its 6 VPs without a manager, 7 roots where the data has 1.
    The label is not named (it is what `<rare>` protects)."""
    kind = data.schema.tables[e.child].columns[step[0]].kind
    if kind not in (Column.CATEGORICAL, Column.BOOLEAN):
        return
    counts = data[e.child][step[0]].map(plain_scalar, na_action="ignore").value_counts()
    rare = {t for _, t in step[1] if counts.get(t, 0) < pre.min_count}
    if not rare:
        return
    mine = data[e.child][step[0]].map(plain_scalar, na_action="ignore").isin([m for m, t in step[1] if t in rare])
    log.warning(
        "%s.%s: %d row(s) name a row of a %s label held by fewer than min_count=%d rows, too rare to be "
        "generated (its values are protected): such generated rows get no %s, so the tree has more roots than the "
        "data's %d (a lower min_count generates such a label, protecting it less)",
        e.child,
        e.fk,
        int(mine.sum()),
        step[0],
        pre.min_count,
        e.fk,
        int(data[e.child][e.fk].isna().sum()),
    )


def step_label(pre, data: RelationalData, e: Edge, pos: np.ndarray) -> list | None:
    """[column, [label, ...]]: where a `label_step` draws a key to its own table, a label of the row
    that the row it names holds too wherever that row's label is not one of the few listed (an
    employee's manager is of their department, but the VPs' is the CEO, of the executive office),
    in at least `MIN_PAIRS` rows, where two rows drawn at random would share it at most half the time;
    the rows naming a row of a listed label share it with none (`same_label`'s rule is every row's,
    so the CEO alone left the rule out: 30-46 % of generated managers of another department).
    Generation draws each key of the step among the rows of the row's own label too. None otherwise."""
    known = pos >= 0
    kinds = data.schema.tables[e.child].columns
    labels = (Column.CATEGORICAL, Column.BOOLEAN, Column.FOREIGN_KEY)
    modelled = [c for c in pre.modelled_columns(e.child) if kinds[c].kind in labels]
    for col in modelled + other_references(data.schema, e):
        every = data[e.child][col].map(plain_scalar, na_action="ignore")
        mine = every[known].reset_index(drop=True)
        theirs = every.iloc[pos[known]].reset_index(drop=True)
        if mine.isna().any() or theirs.isna().any():
            continue
        equal = mine.eq(theirs)
        shared = equal.groupby(theirs).agg(["all", "any"])
        if (shared["any"] & ~shared["all"]).any():  # a named label some rows share and others not: no rule
            continue
        counts = every.value_counts()  # a rare label is never generated: not kept (nor revealed)
        free = [label for label, row in shared.iterrows() if not row["any"] and counts[label] >= pre.min_count]
        if int(equal.sum()) >= MIN_PAIRS and chance(mine[equal], theirs[equal]) <= 0.5:
            return [col, free]
    return None


def other_references(schema, e: Edge) -> list[str]:
    """The row's keys to other synthesised tables than its own, drawn before `e` (`assign_references`):
    labels a key to its own table may keep too, an employee's manager of their department where the
    employees are a root of their own (too few departments to nest under), not nested under it."""
    return [r.fk for r in schema.references(e.child) if r.parent != e.child and r.fk != e.fk]


def label_step(pre, data: RelationalData, e: Edge, pos: np.ndarray) -> list | None:
    """[column, [[label, label of the row named], ...]]: a label of the row (a category, a lookup's
    key, an integer) that fixes, in at least `MIN_PAIRS` rows and every row of the data, the label
    of the row its key to its own table names, not always its own (`same_label`): an employee's
    level 4, its manager's 3; where a row drawn at random would hold it at most half the time.
    Generation draws each key among the rows of the label its own says, and none for a label no
    data row with a key holds (the CEO's level 0). None otherwise, and for other references."""
    known = pos >= 0
    if e.parent != e.child or known.sum() < MIN_PAIRS:
        return None
    kinds = data.schema.tables[e.child].columns
    labels = (Column.CATEGORICAL, Column.BOOLEAN, Column.FOREIGN_KEY, Column.INTEGER)
    for col in (c for c in pre.modelled_columns(e.child) if kinds[c].kind in labels):
        every = data[e.child][col].map(plain_scalar, na_action="ignore")
        mine, theirs = every[known].reset_index(drop=True), every.iloc[pos[known]].reset_index(drop=True)
        if mine.isna().any() or theirs.isna().any() or mine.eq(theirs).all():
            continue
        pairs = pd.DataFrame({"mine": mine, "theirs": theirs}).drop_duplicates()
        if pairs["mine"].duplicated().any() or mine.value_counts().min() < 2:  # one label each, of rows seen twice
            continue
        step = dict(zip(pairs["mine"], pairs["theirs"], strict=True))
        share = every.value_counts(normalize=True)
        if float(mine.map(step).map(share).fillna(0.0).mean()) <= 0.5:
            return [col, [[m, t] for m, t in step.items()]]
    return None


def first_of_label(labels: pd.Series, dates: pd.Series | None) -> np.ndarray:
    """Per row, whether it is the first of its label (or scope row's key) in `labels` in the order
    generation draws a key to the row's own table in (by `dates`, else as stored: `generate.date_order`)."""
    order = np.arange(len(labels)) if dates is None else np.argsort(as_numbers(dates, Column.DATETIME), kind="stable")
    first = np.zeros(len(labels), dtype=bool)
    first[order] = ~labels.iloc[order].duplicated().to_numpy()
    return first


def within_via(data: RelationalData, e: Edge, pos: np.ndarray) -> tuple[str, str] | None:
    """Where `e.child` and `e.parent` nest under no common table: a reference of `e.parent` to a
    table `e.child` nests under (a rental's customer, a payment nesting under its customer) whose
    key, in at least `MIN_PAIRS` rows and every row of the data, is the referencing row's own (a
    payment's rental is one of its customer's rentals): (that table, the reference's column).
    Generation then draws each key among the rows naming the row's own. None otherwise."""
    schema = data.schema
    known = pos >= 0
    if e.parent == e.child or known.sum() < MIN_PAIRS:
        return None
    above = nest_chain(schema, e.child)[1:]
    for via in schema.references(e.parent):
        if via.parent not in above or via.child == via.parent:
            continue
        mine = ancestor_keys(schema, data, e.child, via.parent)[known].reset_index(drop=True)
        theirs = data[e.parent][via.fk].iloc[pos[known]].reset_index(drop=True)
        if bool(mine.eq(theirs).fillna(False).all()):
            return via.parent, via.fk
    return None


def within_any(data: RelationalData, e: Edge, pos: np.ndarray) -> dict | None:
    """Where no scope keeps `e`'s keys (`scope_of`): a key `via` of the referenced rows to a table
    that, in at least `MIN_PAIRS` rows and every row of the data holding it, is one of one or two
    keys `of` to that table of the referencing row (`level` 0) or of its parent row (1), where
    referenced rows drawn by their shares would have broken it in `MIN_OFF` rows at least: a goal's
    scorer, a player of its match's home or away team (players and teams synthesised, so no lookup
    match). {"via", "of", "level", "shares"} (`shares`: how often each of `of` is the one matched).
    Generation picks one of `of` per row by its share and draws the key among the rows naming its
    value. None otherwise."""
    schema = data.schema
    known = pos >= 0
    if e.parent == e.child or known.sum() < MIN_PAIRS:
        return None
    nest = schema.parent(e.child)
    sources = [
        (0, c, t, data[e.child][c])
        for c, t in schema.tables[e.child].foreign_keys.items()
        if c != e.fk and (nest is None or c != nest.fk)
    ]
    if nest is not None:
        theirs = {c: t for c, t in schema.tables[nest.parent].foreign_keys.items() if t != e.child}
        above = parent_rows(data, schema, e.child, list(theirs))
        sources += [] if above is None else [(1, c, t, above[c]) for c, t in theirs.items()]
    pk = schema.tables[e.parent].primary_key
    for via, target in schema.tables[e.parent].foreign_keys.items():
        if via == pk or target == e.parent:
            continue
        named = data[e.parent][via].map(plain_scalar, na_action="ignore").to_numpy(dtype=object)
        held = known & pd.notna(named[np.maximum(pos, 0)])
        if held.sum() < MIN_PAIRS:
            continue
        value = named[pos[held]]
        share = pd.Series(named).value_counts(normalize=True)  # a referenced row drawn at random
        for level in (0, 1):
            columns = [
                (c, v.map(plain_scalar, na_action="ignore").to_numpy(dtype=object)[held])
                for lv, c, t, v in sources
                if lv == level and t == target
            ]
            for of in [[a] for a in columns] + [[a, b] for i, a in enumerate(columns) for b in columns[i + 1 :]]:
                hits = [value == v for _, v in of]
                if not np.logical_or.reduce(hits).all():
                    continue
                chance = sum(pd.Series(v).map(share).fillna(0.0).to_numpy() for _, v in of)
                if float((1.0 - np.minimum(chance, 1.0)).sum()) < MIN_OFF:
                    continue
                counts = np.array([h.sum() for h in hits], dtype=np.float64)
                rule = {
                    "via": via,
                    "of": [c for c, _ in of],
                    "level": level,
                    "shares": [round(float(x), 4) for x in counts / counts.sum()],
                }
                return {**rule, "counted": side_counts(data, e, rule, pos) if level == 1 and len(of) == 2 else None}
    return None


def side_counts(data: RelationalData, e: Edge, rule: dict, pos: np.ndarray) -> dict | None:
    """For a `within_any` of two columns of the parent row: the parent's integer columns that count,
    in every parent row (`MIN_PAIRS` at least, some counting rows), its rows matching each column,
    the side a boolean of the row may flip (a match's home and away scores, its goals by a player of
    the home or the away team, an own goal by one of the other's): {"numbers": [column per column of
    `of`], "flip": the boolean column or None}. Generation then deals the sides as the numbers say.
    None otherwise."""
    schema = data.schema
    nest = schema.parent(e.child)
    parent = data[nest.parent]
    if len(parent) < MIN_PAIRS:
        return None
    known = pos >= 0
    named = np.where(known, data[e.parent][rule["via"]].to_numpy(dtype=object)[np.maximum(pos, 0)], None)
    above = parent_rows(data, schema, e.child, rule["of"])
    match = [pd.Series(named).eq(above[c]).fillna(False).to_numpy() for c in rule["of"]]
    at = pd.Index(parent[schema.tables[nest.parent].primary_key]).get_indexer(data[e.child][nest.fk])
    numbers = [c for c, k in schema.tables[nest.parent].columns.items() if k.kind == Column.INTEGER]
    flags = [c for c, k in schema.tables[e.child].columns.items() if k.kind == Column.BOOLEAN]
    for flip in [None, *flags]:
        flipped = np.zeros(len(at), bool) if flip is None else data[e.child][flip].fillna(False).to_numpy(dtype=bool)
        if flip is not None and not flipped.any():
            continue
        sides = [(match[0] & ~flipped) | (match[1] & flipped), (match[1] & ~flipped) | (match[0] & flipped)]
        found = []
        for side in sides:
            counts = np.bincount(at[side & (at >= 0)], minlength=len(parent))
            same = [
                c
                for c in numbers
                if c not in found and parent[c].notna().all() and bool((parent[c].to_numpy(np.int64) == counts).all())
            ]
            if not same or not counts.any():
                break
            found.append(same[0])
        if len(found) == 2:
            return {"numbers": found, "flip": flip}
    return None


def back_via(data: RelationalData, e: Edge, pos: np.ndarray) -> str | None:
    """A reference of `e.parent` to `e.child` by which, in at least `min_pairs` rows and every row
    of the data, the referenced row names the referencing row back (a question's accepted answer
    is one of the answers naming that question: posts.accepted_answer_id and posts.parent_id): its
    column. Generation then draws each key among the rows naming the row, and none where no row
    does. None otherwise, or where the other reference names its rows back by this one."""
    schema, pk = data.schema, data.schema.tables[e.child].primary_key
    known = pos >= 0
    if pk is None or known.sum() < min_pairs(schema, e):  # a link table's rows: nothing names them
        return None
    mine = data[e.child][pk][known].reset_index(drop=True)
    for via in schema.references(e.parent):
        if via.parent != e.child or (via.child, via.fk) == (e.child, e.fk):
            continue
        theirs = data[e.parent][via.fk].iloc[pos[known]].reset_index(drop=True)
        if bool(mine.eq(theirs).fillna(False).all()) and not names_back(data, via, e.fk):
            return via.fk
    return None


def min_pairs(schema, e: Edge) -> int:
    """The rows reference `e` needs for its keys' scope to be read from them (`within`, `back_via`)."""
    return MIN_CYCLE_PAIRS if e.fk in schema.deferred_keys().get(e.child, {}) else MIN_PAIRS


def names_back(data: RelationalData, e: Edge, fk: str) -> bool:
    """Whether every row `e` names (at least `MIN_PAIRS`) names the referencing row back by `fk`:
    of two such references, only one is drawn among the rows the other names (`back_via`)."""
    pos = referenced_rows(data, e)
    known = pos >= 0
    mine = data[e.child][data.schema.tables[e.child].primary_key][known].reset_index(drop=True)
    theirs = data[e.parent][fk].iloc[pos[known]].reset_index(drop=True)
    return known.sum() >= MIN_PAIRS and bool(mine.eq(theirs).fillna(False).all())


def named_back(data: RelationalData, e: Edge, via: str | None) -> np.ndarray:
    """Per row of `e.child`, whether some row of `e.parent` names it by `via` (`back_via`), or,
    `via` None, nests under it (a department with employees to be managed by: `within`)."""
    keys = data[e.child][data.schema.tables[e.child].primary_key]
    if via is None:
        return keys.isin(ancestor_keys(data.schema, data, e.parent, e.child).dropna()).to_numpy()
    return keys.isin(data[e.parent][via].dropna()).to_numpy()


def scope_of(data: RelationalData, e: Edge, pos: np.ndarray) -> dict[str, str | None]:
    """The fitted scope of reference `e`: "within", the table under one row of which its keys stay
    (`within`, else `within_via`; `e.child` itself where the referenced rows name the row back,
    `back_via`), and "within_via", the referenced table's reference column that names that row
    (None: the referenced rows nest under it)."""
    if scope := within(data, e, pos):
        return {"within": scope, "within_via": None}
    if back := back_via(data, e, pos):
        return {"within": e.child, "within_via": back}
    via = within_via(data, e, pos)
    return {"within": via[0] if via else None, "within_via": via[1] if via else None}


def unique_pairs(data: RelationalData, e: Edge) -> bool:
    """Whether no parent row of `e.child` references one row twice through `e` (an actor is in a film
    once), seen in at least `MIN_PAIRS` rows or declared UNIQUE: then generation keeps it so."""
    nest = data.schema.parent(e.child)
    if nest is None or e.parent == e.child:
        return False
    if declared_pair(data.schema, e.child, nest.fk, e.fk):  # UNIQUE (parent key, reference) in the source
        return True
    pairs = data[e.child][[nest.fk, e.fk]].dropna()
    return len(pairs) >= MIN_PAIRS and not pairs.duplicated().any()


def unique_beside(data: RelationalData, e: Edge) -> str | None:
    """The first earlier reference of a table nested under none (a league table's season, beside its
    team) whose key never repeats together with `e`'s in `MIN_PAIRS` rows holding both, where some
    key of each repeats on its own (a team in every season, a season holding every team): generation
    keeps the pairs unique as `unique_pairs` keeps a parent row's. None: no such reference, or a parent."""
    if data.schema.parent(e.child) is not None or e.parent == e.child:
        return None
    child = data[e.child]
    for r in data.schema.references(e.child):
        if r.fk == e.fk:
            return None  # only references drawn before `e`
        if r.parent == r.child:
            continue
        pairs = child[[r.fk, e.fk]].dropna()
        if (
            len(pairs) >= MIN_PAIRS
            and pairs[r.fk].duplicated().any()
            and pairs[e.fk].duplicated().any()
            and not pairs.duplicated().any()
        ):
            return r.fk
    return None


def unique_across(data: RelationalData, e: Edge) -> list[str]:
    """The earlier references of `e.child` to `e.parent` that no parent row of `e.child` shares a key
    with `e` across its rows (a team at home in one match of a round is away in none of the round's
    others), in `MIN_PAIRS` rows holding both, each never naming a row twice under it either
    (`unique_pairs`): generation keeps the two columns' keys unique together under each parent row.
    As `apart`, not chance's test."""
    nest, child = data.schema.parent(e.child), data[e.child]
    if nest is None or not unique_pairs(data, e):
        return []
    return [
        c
        for c in _same_table_keys(data.schema, e)
        if c != nest.fk
        and unique_pairs(data, Edge(child=e.child, fk=c, parent=e.parent))
        and int((child[c].notna() & child[e.fk].notna()).sum()) >= MIN_PAIRS
        and not met_across(child[nest.fk], child[c], child[e.fk])
    ]


def unique_with(data: RelationalData, e: Edge, scope: str | None) -> list[str] | None:
    """The fewest columns of `e.child` (one or two labels, integers or dates: a lesson's weekday and
    period) with which the key `e` never repeats under one row of its `scope` table (`within`: a
    school's teachers; None: anywhere), where chance would have (`_unique_labels.never_repeated_with`:
    no teacher in two lessons at once); generation keeps them so. None: no such columns."""
    if e.parent == e.child:
        return None
    where = None if scope is None else ancestor_keys(data.schema, data, e.child, scope).set_axis(data[e.child].index)
    return never_repeated_with(data.schema, e.child, data[e.child], e.fk, where)


def unique_under(data: RelationalData, e: Edge) -> list[str] | None:
    """The fewest columns of `e.child` (one or two labels, integers or dates: an enrollment's semester)
    with which the key `e` never repeats under one row of the table `e.child` nests under, where chance
    would have (`never_repeated_with`), though a parent row names one row twice (a student takes a course
    again, in another semester; where none does, `unique_pairs` keeps every key once). Generation swaps
    keys among the parent row's rows to keep it so. None: no such columns, or no parent."""
    nest = data.schema.parent(e.child)
    if nest is None or e.parent == e.child or unique_pairs(data, e):
        return None
    return never_repeated_with(data.schema, e.child, data[e.child], e.fk, data[e.child][nest.fk])


def one_each(data: RelationalData, e: Edge, pos: np.ndarray, slot: list[str] | None) -> dict | None:
    """{"column", "labels", "degrees"}: the labels of the one column `slot` (`unique_with`: a
    disposition's type, never twice on an account) whose rows name every referenced row exactly
    once, in `MIN_PAIRS` rows at least (every account has one OWNER), and the degree quantiles of
    the other rows (its DISPONENTs, 0 or 1). Dealt by the degrees of all rows, as many accounts got
    two OWNERs or none as got a DISPONENT their OWNER left room for (18 of 300 from a small model,
    none in the data); generation deals these labels' rows each referenced row once, the others by
    their own degrees. None where no label does."""
    if not slot or len(slot) != 1 or not len(data[e.parent]):
        return None
    if data.schema.tables[e.child].columns[slot[0]].kind not in (Column.CATEGORICAL, Column.BOOLEAN):
        return None  # a date or number kept once (a version's start) names no role, and its values no JSON label
    labels = data[e.child][slot[0]].map(plain_scalar, na_action="ignore")
    known = (pos >= 0) & labels.notna().to_numpy()
    n = len(data[e.parent])
    found = [
        label
        for label in labels[known].unique()
        if (mine := known & labels.eq(label).fillna(False).to_numpy(dtype=bool)).sum() >= MIN_PAIRS
        and (np.bincount(pos[mine], minlength=n) == 1).all()
    ]
    if not found:
        return None
    others = known & ~labels.isin(found).to_numpy()
    degrees = np.bincount(pos[others], minlength=n)
    return {"column": slot[0], "labels": found, "degrees": [int(d) for d in degree_quantiles(degrees)]}


def unique_with_also(data: RelationalData, e: Edge, scope: str | None, slot: list[str] | None) -> list[list[str]]:
    """The further sets of columns of `e.child` (`_unique_labels.never_repeated_sets`: labels,
    integers, dates, or the row's other references) with which the key `e` never repeats under one
    row of its `scope` table, where chance would have, beside `slot` (`unique_with`) and none holding
    it: a match's home team once a date and once a season against each away team. Generation keeps
    each so."""
    if not slot:
        return []
    child = data[e.child]
    where = None if scope is None else ancestor_keys(data.schema, data, e.child, scope).set_axis(child.index)
    refs = tuple(r.fk for r in data.schema.references(e.child) if r.fk != e.fk)
    sets = never_repeated_sets(data.schema, e.child, child, e.fk, where, also=refs)
    return [s for s in sets if not set(slot) <= set(s)]


def value_groups(child: pd.DataFrame, columns: list[str], where: pd.Series | None) -> pd.Series:
    """Each row's values of `columns` as one label (and its scope row's key, `where`); null where
    one is missing and no scope row tells it apart."""
    parts = child[columns].astype(str).agg("\x1f".join, axis=1) if len(child) else pd.Series([], dtype=object)
    return parts.where(child[columns].notna().all(axis=1)) if where is None else (where.astype(str) + "\x1e" + parts)


def unique_also_across(
    data: RelationalData, e: Edge, scope: str | None, also: list[list[str]], across: list[str]
) -> list[list]:
    """[column, set] for each key of `across` (`unique_with_across`) that shares no key with `e` across
    the rows of one value of a further set of `also` (`unique_with_also`) either, in `MIN_PAIRS` rows
    holding both: a team at home in a match of a season's round is away in none of the round's others.
    Generation keeps them so beside the slot."""
    child = data[e.child]
    where = None if scope is None else ancestor_keys(data.schema, data, e.child, scope).set_axis(child.index)
    return [
        [c, s]
        for c in across
        for s in also
        if c not in s and not met_across(value_groups(child, s, where), child[c], child[e.fk])
    ]


def unique_with_across(data: RelationalData, e: Edge, scope: str | None, slot: list[str] | None) -> list[str]:
    """The earlier references of `e.child` to `e.parent` never repeated with the same columns `slot`
    (`unique_with`) that share no key with `e` across their rows of one `slot` value (and scope row),
    in `MIN_PAIRS` rows holding both: a team at home on a date is away in none of the date's other
    matches (each column alone once a date). Generation keeps the two columns' keys unique together
    within each such value. The parent key among them (a match nested under its home team) is read
    too: generation then swaps `e`'s keys alone around it."""
    if not slot:
        return []
    child, out = data[e.child], []
    where = None if scope is None else ancestor_keys(data.schema, data, e.child, scope).set_axis(child.index)
    group = value_groups(child, slot, where)
    for c in _same_table_keys(data.schema, e):
        if unique_with(data, Edge(child=e.child, fk=c, parent=e.parent), scope) != slot:
            continue
        if int((child[c].notna() & child[e.fk].notna()).sum()) >= MIN_PAIRS and not met_across(
            group, child[c], child[e.fk]
        ):
            out.append(c)
    return out


def unique_links(data: RelationalData) -> dict[str, list[str]]:
    """table -> its foreign keys, parent first, for the tables without a primary key (link tables:
    product_tag -> product, tag) that never repeat them together in `MIN_PAIRS` rows at least.
    The model writes a lookup's key as a category, so it can repeat one, and a reference dealt to
    almost every parent row can be left repeated (`without_repeats`): generation drops such rows
    (`drop_repeated_links`), which nothing references."""
    schema, out = data.schema, {}
    for table in schema.synth_tables:
        nest = schema.parent(table)
        if schema.tables[table].primary_key is not None or nest is None:
            continue
        cols = [nest.fk, *(c for c in schema.tables[table].foreign_keys if c != nest.fk)]
        pairs = data[table][cols].dropna()
        if len(cols) > 1 and len(pairs) >= MIN_PAIRS and not pairs.duplicated().any():
            out[table] = cols
    return out


def keyed_links(data: RelationalData) -> dict[str, list[str]]:
    """table -> its foreign keys, parent first, for the tables with a primary key that no foreign
    key names (a surrogate: a bond's bond_id) and a reference to another synthesised table beside
    their parent key (the bond's atoms), that never repeat them together in `MIN_PAIRS` rows at
    least: link tables all the same, whose repeated generated rows are dropped as a keyless link
    table's are (`drop_repeated_links`): 52 of 1,723 generated bonds repeated a pair of atoms of
    their molecule (Mutagenesis-shaped, a small model), none in the data."""
    schema, out = data.schema, {}
    for table in schema.synth_tables:
        nest = schema.parent(table)
        if nest is None or schema.tables[table].primary_key is None or not unnamed(schema, table):
            continue
        if not schema.references(table):
            continue
        cols = [nest.fk, *(c for c in schema.tables[table].foreign_keys if c != nest.fk)]
        pairs = data[table][cols].dropna()
        if len(pairs) >= MIN_PAIRS and not pairs.duplicated().any():
            out[table] = cols
    return out


def declared_links(data: RelationalData) -> dict[str, list[str]]:
    """The composite primary keys the source declares for tables read without one (`from_sql`
    keeps them in `formats`, so `to_sql` writes them back and refuses a repeated key), as table ->
    the key's columns, the parent key first: a link table's foreign keys (film_actor), or a parent
    key and a number or label (order_line: order_id, line_no). Read from the declarations alone,
    at no privacy cost under DP; generation keeps them unique (`drop_repeated_links`). A table
    whose only primary key is the row key added for the tables nested under its rows (`RowKey`)
    counts as one read without one; in one nested by a row key, the columns copied from the row
    are that key (deliveries (order_id, line_no, delivery_no) under order_lines: its row key and
    delivery_no, numbered under the line)."""
    schema, out = data.schema, {}
    for table in schema.synth_tables:
        formats = data.formats.get(table, {})
        if (pk := schema.tables[table].primary_key) is not None and not is_row_key(formats.get(pk)):
            continue
        nest = schema.parent(table)
        key = [c for c, f in formats.items() if ((f or {}).get(SQL_FORMAT) or {}).get("primary_key")]
        by_row = [
            (cols, row_key)
            for name, cols, _, _, row_key in row_key_references(data.formats)
            if name == table and nest is not None and row_key == nest.fk and set(cols) <= set(key)
        ]
        for cols, row_key in by_row:  # copied from the row: unique with the row's key, even alone (one a row)
            key = [row_key, *(c for c in key if c not in cols)]
        if len(key) > 1 or (by_row and key):
            first = [nest.fk] if nest is not None and nest.fk in key else []
            out[table] = [*first, *(c for c in key if c not in first)]
    return out


def mirrored_links(data: RelationalData, links: dict[str, list[str]]) -> dict[str, list[str]]:
    """table -> [its parent key, a reference to the same table] for the link tables of `links`
    whose every pair is stored both ways (friendships: (a, b) and (b, a)), in `MIN_PAIRS` rows at
    least. Generation stores its pairs so (`mirror_links`): keys drawn apart leave almost no
    pair's reverse (4 of 796 generated friendships had theirs). Not a table whose rows another
    table names (`unnamed`)."""
    schema, out = data.schema, {}
    for table, cols in links.items():
        nest = schema.parent(table)
        if not unnamed(schema, table):
            continue
        same = [e.fk for e in schema.references(table) if nest is not None and e.parent == nest.parent]
        if nest is None or nest.fk != cols[0] or len(same) != 1 or same[0] not in cols:
            continue
        pairs = data[table][[cols[0], same[0]]].dropna()
        if len(pairs) < MIN_PAIRS or len(pairs) < len(data[table]):
            continue
        there = pd.MultiIndex.from_frame(pairs)
        back = pd.MultiIndex.from_arrays([pairs[same[0]], pairs[cols[0]]])
        if back.isin(there).all() and (pairs[cols[0]] != pairs[same[0]]).all():
            out[table] = [cols[0], same[0]]
    return out


def unnamed(schema, table: str) -> bool:
    """Whether no foreign key names `table`'s rows: its rows may be dropped, or copied with a pair
    swapped (`mirror_links`), without leaving another table's rows naming none or a repeated key
    (friendships (user_a, user_b) keyed by a row key its messages nest under)."""
    return all(table not in t.foreign_keys.values() for t in schema.tables.values())


def row_numbers(data: RelationalData, links: dict[str, list[str]]) -> dict[str, dict]:
    """table -> {"column", "start"} for the keys of `links` whose one column not a foreign key is an
    integer that numbers the rows of each group start, start + 1, ... in every group of the data
    (order lines 1..n under their order), seen in `MIN_PAIRS` rows at least. Generation numbers
    its rows so (`number_rows`): the model writes such numbers one row at a time and repeats or
    skips some, and a repeated one moved after its group's highest leaves gaps (TPC-H's lines
    numbered up to 12 in orders of 7 lines at most)."""
    out = {}
    for table, cols in links.items():
        if (col := _number_column(data, table, cols)) is None:
            continue
        group = [c for c in cols if c != col]
        df = data[table][cols].dropna()
        if len(df) < MIN_PAIRS or len(df) < len(data[table]):  # a null number: not a count of the rows
            continue
        values = df[col].astype("int64")
        ranks = values.groupby([df[c] for c in group] or np.zeros(len(df))).rank(method="first")
        if (values - values.min() + 1 == ranks).all():
            out[table] = {"column": col, "start": int(values.min())}
    return out


def declared_numbers(data: RelationalData, links: dict[str, list[str]]) -> dict[str, dict]:
    """`row_numbers` under DP: the keys the source declares (`declared_links`) whose one column not a
    foreign key is an integer (a user's id within its tenant) number each group's rows 1..n. Read
    from the declarations alone, at no privacy cost: the model's numbers are noise there (all null
    with 48 tenants), and a key's number needs only to be unique in its group."""
    return {t: {"column": col, "start": 1} for t, cols in links.items() if (col := _number_column(data, t, cols))}


def _number_column(data: RelationalData, table: str, cols: list[str]) -> str | None:
    """The one column of the key `cols` that is neither a foreign key nor copied from the row the
    table nests under, where it is an integer (a line number, a task id counting its tenant's)."""
    kinds = data.schema.tables[table]
    grouping = {*kinds.foreign_keys, *row_key_columns(data.formats, table)}  # a task id counts its tenant's
    numbered = [c for c in cols if c not in grouping]
    if len(numbered) != 1 or kinds.columns[numbered[0]].kind is not Column.INTEGER:
        return None
    return numbered[0]


def degree_effects(pre, raw: np.ndarray, degrees: np.ndarray, coarse: np.ndarray) -> tuple[list[list[float]], float]:
    """Which values of a referenced row go with being referenced more or less often (an invoice's
    total with its number of lines), and which of its child counts and its parent row's (`raw`,
    `degree_tokens`: a user who posts often is followed often, and so are the user's posts): per
    token seen in `min_count` rows at least, the shrunk mean of log(1 + degree) of its rows above the
    overall mean; and the copula correlation at which generation (`ranked`) reproduces the rank
    correlation between a row's summed effects and its degree."""
    if len(raw) < 2:
        return [], 0.0
    tokens = coarse[raw]
    y = np.log1p(degrees) - np.log1p(degrees).mean()
    effects: dict[int, float] = {}
    for j in range(tokens.shape[1]):
        values, inverse, counts = np.unique(tokens[:, j], return_inverse=True, return_counts=True)
        means = np.bincount(inverse, weights=y) / (counts + SHRINK_ROWS)
        effects.update({int(v): float(m) for v, m, n in zip(values, means, counts, strict=True) if n >= pre.min_count})
    scores = effect_scores(effects, tokens)
    if np.std(scores) == 0 or np.std(degrees) == 0:
        return [], 0.0
    rho = float(pd.Series(scores).corr(pd.Series(degrees), method="spearman"))
    return [[t, round(m, 4)] for t, m in effects.items() if m], round(copula_for(scores, degrees, rho), 4)


def never_named(pre, table: str, rows: pd.DataFrame, degrees: np.ndarray, coarse: np.ndarray) -> list[int]:
    """The tokens of referenced rows that no row of theirs is ever named by (a forum's answers, which
    no post names as its parent), each seen in `min_count` rows at least and in too many rows for
    chance (below `P_NEVER`, at the share of rows never named overall): generation names no row
    holding one, where degrees and their effects would make that only less likely."""
    unnamed = degrees == 0
    if len(degrees) == 0 or unnamed.all() or not unnamed.any():
        return []
    tokens = coarse[field_tokens(pre, table, rows)]
    out: set[int] = set()
    for j in range(tokens.shape[1]):
        values, inverse, counts = np.unique(tokens[:, j], return_inverse=True, return_counts=True)
        named = np.bincount(inverse, weights=~unnamed)
        chance = counts * np.log(unnamed.mean())  # log P(all of a token's rows unnamed by chance)
        out.update(
            int(v)
            for v, k, n, c in zip(values, named, counts, chance, strict=True)
            if k == 0 and n >= pre.min_count and c < np.log(P_NEVER)
        )
    return sorted(out)


def tree_depth(pre, data: RelationalData, e: Edge) -> int | None:
    """The depth no row of the tree a key to its own table makes passes (`depths.max_depth`), where
    `min_count` rows reach it and `MIN_PAIRS` rows name a row; None otherwise, and for other references."""
    if e.parent != e.child:
        return None
    keys = data[e.child][data.schema.tables[e.child].primary_key]
    return max_depth(keys, data[e.child][e.fk], pre.min_count, MIN_PAIRS)


def never_named_with(data: RelationalData, e: Edge, degrees: np.ndarray) -> list[str]:
    """The tables nested under `e.parent` whose rows' parent row a key to its own table never names
    (a product category tree: products only in the leaf categories, never in one that other
    categories name as their parent), in `MIN_PAIRS` rows holding such rows at least and in too many
    for chance (below `P_NEVER`, at the share of rows named overall): generation names no row
    holding one."""
    named = degrees > 0
    if e.parent != e.child or named.sum() < MIN_PAIRS or named.all():
        return []
    keys = data[e.parent][data.schema.tables[e.parent].primary_key]
    out = []
    for child in data.schema.children(e.parent):
        held = keys.isin(data[child][data.schema.parent(child).fk]).to_numpy()
        rare = held.sum() * np.log(1 - named.mean()) < np.log(P_NEVER)  # all of them unnamed by chance
        if held.sum() >= MIN_PAIRS and not (held & named).any() and rare:
            out.append(child)
    return out


def never_named_by(data: RelationalData, e: Edge, degrees: np.ndarray) -> list[str]:
    """The keys of `e.parent` to its own table whose named rows `e` never names (a journal line's
    account, a leaf of the chart: never one that other accounts name as their parent), in
    `MIN_PAIRS` such rows at least and in too many for chance (below `P_NEVER`, at the share of rows
    `e` names overall): generation names no row such a key names, drawn before (`assign_references`)."""
    named = degrees > 0
    if e.parent == e.child or named.sum() < MIN_PAIRS or named.all():
        return []
    keys = data[e.parent][data.schema.tables[e.parent].primary_key]
    out = []
    for own in data.schema.references(e.parent):
        if own.parent != e.parent:
            continue
        held = keys.isin(data[e.parent][own.fk].dropna()).to_numpy()
        rare = held.sum() * np.log(1 - named.mean()) < np.log(P_NEVER)  # all of them unnamed by chance
        if held.sum() >= MIN_PAIRS and not (held & named).any() and rare:
            out.append(own.fk)
    return out


def copula_for(scores: np.ndarray, degrees: np.ndarray, rho: float) -> float:
    """The copula correlation at which `ranked` gives the training rows' degrees a rank correlation
    `rho` with their scores (ties, as a yes/no value's, make it differ from the textbook formula)."""
    if rho <= 0:
        return 0.0
    grid = np.linspace(0.0, 0.995, 40)
    rng = np.random.default_rng(0)
    drawn = rng.permutation(degrees)  # as generation draws them: in random order
    reached = [pd.Series(scores).corr(pd.Series(ranked(drawn, scores, r, rng)), method="spearman") for r in grid]
    return float(grid[int(np.argmin(np.abs(np.asarray(reached) - rho)))])


def effect_scores(effects: dict[int, float], tokens: np.ndarray) -> np.ndarray:
    """Each row's summed degree effects (`degree_effects`) over its tokens."""
    lookup = np.vectorize(lambda t: effects.get(int(t), 0.0), otypes=[float])
    return lookup(tokens).sum(axis=1) if tokens.size else np.zeros(len(tokens))


def degree_tokens(pre, data: RelationalData, table: str) -> np.ndarray:
    """(rows, fields) the tokens of `table`'s rows that its degree effects read: its fields and child
    counts, and those of the row it nests under (`pairing.with_parent_row`)."""
    own = np.concatenate([field_tokens(pre, table, data[table]), count_tokens(pre, data, table)], axis=1)
    nest = data.schema.parent(table)
    if nest is None:
        return own
    theirs = np.concatenate(
        [field_tokens(pre, nest.parent, data[nest.parent]), count_tokens(pre, data, nest.parent)], axis=1
    )
    return with_parent_row(own, theirs, referenced_rows(data, nest))


def referencing_tokens(pre, data: RelationalData, table: str) -> np.ndarray:
    """(rows, fields) the tokens of `table`'s rows and of their parent rows that an affinity reads
    (`pairing.with_parent_row`)."""
    own, nest = field_tokens(pre, table, data[table]), data.schema.parent(table)
    if nest is None:
        return own
    at = referenced_rows(data, nest)
    return with_parent_row(own, field_tokens(pre, nest.parent, data[nest.parent]), at)


def affinity(pre, data: RelationalData, e: Edge, coarse: np.ndarray, pos: np.ndarray) -> list[list[float]]:
    """[[token of the referencing row, token of the referenced row, log ratio seen / expected]] for
    the pairs of values that meet more or less often than chance (see the package docstring);
    tokens as `coarse` reads them; `pos`: `referenced_rows`."""
    known = pos >= 0  # not null, and in this part of the database
    a = coarse[referencing_tokens(pre, data, e.child)[known]]
    # the referenced row's parent row too: a student's grade year and the level of the course of the section named
    b = coarse[referencing_tokens(pre, data, e.parent)[pos[known]]]
    out: list[list[float]] = []
    if len(a) == 0:
        return out
    for i in range(a.shape[1]):
        ca, ia, na = np.unique(a[:, i], return_inverse=True, return_counts=True)
        for j in range(b.shape[1]):
            cb, ib, nb = np.unique(b[:, j], return_inverse=True, return_counts=True)
            observed = np.zeros((len(ca), len(cb)))
            np.add.at(observed, (ia, ib), 1)
            observed[observed < pre.min_count] = 0  # a rare pair is not told apart from none
            expected = na[:, None] * nb[None, :] / len(a)
            wide = (expected >= pre.min_count) | (observed >= pre.min_count)
            clear = np.abs(observed - expected) > Z_KEPT * np.sqrt(np.maximum(expected, 1.0))
            ratio = np.log((observed + SHRINK) / (expected + SHRINK))
            for x, y in zip(*np.nonzero(wide & clear), strict=True):
                out.append([int(ca[x]), int(cb[y]), round(float(ratio[x, y]), 4)])
    return out


def unscaled(orders: list[list], ratios: list[dict]) -> list[list]:
    """`orders` less those of a number to the referenced number it is a ratio of (`ratios`): its range,
    on one side of 1 where the order holds, keeps it, and drawing the references to keep it too
    competes with their other orders (a line after its product's first sale date)."""
    scaled = {(r["column"], r["source"]) for r in ratios}
    return [o for o in orders if (o[0], o[1]) not in scaled or len(o) > 3]  # 4th: a column of the parent row

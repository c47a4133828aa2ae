"""Parse token sequences (one per root entity) back into tables with fresh keys."""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.data import generated_data
from relsynth.relational.derived_codes import apply_derived_codes
from relsynth.relational.orders import DATED, with_ancestors
from relsynth.relational.shapes import CLASSES, char_class
from relsynth.synth.tabular._identifiers import (
    PARENT,
    follows_row,
    keep_codes_apart,
    known_at,
    new_identifiers,
    parent_labels,
    repeat_codes,
    uuids,
)
from relsynth.synth.tabular._references import (
    assign_references,
    copy_totals,
    copy_values,
    date_order,
    decided_by,
    drop_repeated_links,
    keep_composite_references,
    keep_extreme_keys,
    keep_within_any,
    mirror_links,
    own_date,
    slot_groups,
    unique_with_rows,
)
from relsynth.synth.tabular._references.extreme_rows import keep_extreme_row_keys
from relsynth.synth.tabular._references.generate import row_null_shares, steps_dated_first
from relsynth.synth.tabular._references.pairing import coarse_tokens, feature_fields, with_parent_row
from relsynth.synth.tabular._tables import distinct_days, yyyymmdd
from relsynth.synth.tabular.encoders import NumericPreproc
from relsynth.synth.tabular.orderings import (
    from_offsets,
    warn_past_extremes,
    with_ends_of_dropped_tails,
    without_room,
)
from relsynth.synth.tabular.rules.ancestor_once import apply_ancestor_once_labels
from relsynth.synth.tabular.rules.ancestor_orders import keep_ancestor_orders
from relsynth.synth.tabular.rules.apart_values import keep_apart
from relsynth.synth.tabular.rules.balanced_sums import apply_balanced_sums
from relsynth.synth.tabular.rules.bounded_sums import apply_bounded_sums
from relsynth.synth.tabular.rules.calendar_labels import apply_calendar_labels, pair_rules
from relsynth.synth.tabular.rules.capped_sums import apply_capped_sums
from relsynth.synth.tabular.rules.carried_values import keep_carried_values
from relsynth.synth.tabular.rules.category_decimals import keep_category_decimals
from relsynth.synth.tabular.rules.category_gaps import keep_category_gaps
from relsynth.synth.tabular.rules.category_ranges import keep_category_ranges, keep_relabelled_ranges
from relsynth.synth.tabular.rules.child_labels import apply_child_labels
from relsynth.synth.tabular.rules.code_numbers import apply_code_numbers
from relsynth.synth.tabular.rules.constant_sums import apply_constant_sums
from relsynth.synth.tabular.rules.count_caps import past_count_caps
from relsynth.synth.tabular.rules.count_sums import apply_count_sums
from relsynth.synth.tabular.rules.cut_labels import apply_cut_labels
from relsynth.synth.tabular.rules.date_parts import apply_date_parts, moved_date_parts
from relsynth.synth.tabular.rules.declared_domains import keep_domains
from relsynth.synth.tabular.rules.disjoint_intervals import keep_disjoint_intervals
from relsynth.synth.tabular.rules.extreme_labels import apply_extreme_labels, apply_parent_extremes
from relsynth.synth.tabular.rules.flagged_copies import apply_flagged_copies
from relsynth.synth.tabular.rules.formulas import apply_formulas
from relsynth.synth.tabular.rules.held_days import keep_held_days
from relsynth.synth.tabular.rules.held_first import keep_held_first
from relsynth.synth.tabular.rules.held_sides import keep_held_sides
from relsynth.synth.tabular.rules.inequalities import keep_inequalities
from relsynth.synth.tabular.rules.interval_labels import apply_interval_labels
from relsynth.synth.tabular.rules.keyed_intervals import keep_keyed_intervals
from relsynth.synth.tabular.rules.last_ends import keep_last_ends
from relsynth.synth.tabular.rules.last_labels import apply_last_labels
from relsynth.synth.tabular.rules.late_nulls import keep_late_nulls
from relsynth.synth.tabular.rules.linear_pairs import keep_linear_pairs
from relsynth.synth.tabular.rules.lookup_capacities import keep_lookup_capacities
from relsynth.synth.tabular.rules.lookup_links import keep_lookup_links
from relsynth.synth.tabular.rules.lookup_matches import keep_lookup_matches, match_scope
from relsynth.synth.tabular.rules.lookup_orders import keep_lookup_orders
from relsynth.synth.tabular.rules.month_steps import keep_month_steps
from relsynth.synth.tabular.rules.moved_bases import shift_followers, shift_ordered_from
from relsynth.synth.tabular.rules.never_pairs import pair_scope
from relsynth.synth.tabular.rules.next_starts import followed_rows, keep_next_starts
from relsynth.synth.tabular.rules.none_boxes import keep_none_boxes
from relsynth.synth.tabular.rules.null_cuts import keep_null_cuts
from relsynth.synth.tabular.rules.number_endings import keep_number_endings
from relsynth.synth.tabular.rules.pair_orders import keep_key_orders, keep_value_orders
from relsynth.synth.tabular.rules.pair_values import keep_pair_values
from relsynth.synth.tabular.rules.parent_ends import keep_parent_ends
from relsynth.synth.tabular.rules.parent_lookup_ranges import keep_parent_lookup_ranges
from relsynth.synth.tabular.rules.period_counts import keep_period_counts
from relsynth.synth.tabular.rules.place_values import apply_place_values, keep_place_values
from relsynth.synth.tabular.rules.prefixed_codes import apply_prefixed_codes
from relsynth.synth.tabular.rules.range_labels import apply_range_labels
from relsynth.synth.tabular.rules.ratio_ranges import ancestor_numbers, keep_ratio_ranges
from relsynth.synth.tabular.rules.rising_steps import keep_rising_steps
from relsynth.synth.tabular.rules.running_sums import apply_running_sums
from relsynth.synth.tabular.rules.series_calendars import pinned_bases
from relsynth.synth.tabular.rules.shared_values import keep_shared_values, shared_groups, sharing_offsets
from relsynth.synth.tabular.rules.sibling_numbers import keep_sibling_numbers, renumber_siblings
from relsynth.synth.tabular.rules.sibling_spans import keep_sibling_spans
from relsynth.synth.tabular.rules.sibling_sums import apply_sibling_sums
from relsynth.synth.tabular.rules.sign_labels import apply_sign_labels, keep_sign_sides
from relsynth.synth.tabular.rules.sorted_siblings import keep_sorted_siblings, keep_strict_steps
from relsynth.synth.tabular.rules.spelled_values import apply_spelled_values
from relsynth.synth.tabular.rules.split_sums import apply_split_sums
from relsynth.synth.tabular.rules.step_numbers import keep_previous_steps, keep_step_numbers
from relsynth.synth.tabular.rules.times_of_day import early_calendars, keep_times_of_day, keep_weekdays_first
from relsynth.synth.tabular.rules.totals import apply_totals
from relsynth.synth.tabular.rules.unique_numbers import keep_unique_numbers
from relsynth.synth.tabular.rules.unique_sets import keep_unique_sets
from relsynth.synth.tabular.rules.whole_multiples import keep_whole_multiples
from relsynth.synth.tabular.rules.whole_years import apply_whole_years
from relsynth.synth.tabular.rules.year_sides import keep_year_sides

log = logging.getLogger(__name__)

STRING = pd.StringDtype()  # the string dtype RelationalData coerces text and key columns to


class Parsed(NamedTuple):
    """Token sequences read by the grammar, per table: the header rows (token arrays), the
    parent row (index in the parent table's rows, -1 for a root) and the entity of each."""

    headers: dict[str, list[np.ndarray]]
    parents: dict[str, list[int]]
    entities: dict[str, list[int]]


def parse_entities(pre, sequences, roots) -> Parsed:
    """Per table: header rows (list of token arrays), the parent row index of each and the entity
    (position in `sequences`) each belongs to.

    A child count above `max_exact` is a range token (its exact number was drawn when the
    sequence was written): its rows are read while rows of that child table follow. A table's
    header starts with a token of its own first slot, so the next token says whose row it is."""
    headers = {t: [] for t in pre.layouts}
    parents = {t: [] for t in pre.layouts}
    entities = {t: [] for t in pre.layouts}
    first = {t: pre.slots[layout.slots[0]] for t, layout in pre.layouts.items()}
    for e, (seq, root) in enumerate(zip(sequences, roots, strict=True)):
        seq = np.asarray(seq)
        pos = 0
        stack: list[tuple[str, int, int | None]] = [(root, -1, 1)]  # (table, parent row, rows still to read)
        while stack:
            table, parent, remaining = stack.pop()
            if remaining == 0 or (remaining is None and not _starts_row(first[table], seq, pos)):
                continue
            stack.append((table, parent, None if remaining is None else remaining - 1))
            layout = pre.layouts[table]
            h = layout.header_len
            if pos + h > len(seq):
                raise ValueError(f"a sequence ends inside a {table!r} row (position {pos}, length {len(seq)})")
            header = seq[pos : pos + h]
            pos += h
            row = len(headers[table])
            headers[table].append(header)
            parents[table].append(parent)
            entities[table].append(e)
            for child, n in reversed(list(zip(layout.children, row_child_counts(pre, table, header), strict=True))):
                stack.append((child, row, n))
        if pos != len(seq):
            raise ValueError(f"a sequence has {len(seq) - pos} token(s) after its last row")
    return Parsed(headers, parents, entities)


def _starts_row(slot, seq: np.ndarray, pos: int) -> bool:
    """Whether the token at `pos` is one of `slot`'s (a row of that slot's table starts there)."""
    return pos < len(seq) and slot.offset <= int(seq[pos]) < slot.offset + slot.preproc.n_tokens


def keep_entities(pre, parsed: Parsed, keep: np.ndarray) -> Parsed:
    """`parsed` for the entities `keep` only, in that order, renumbered: what parsing their
    sequences alone would give (right-sized generation chooses entities from rows it parsed)."""
    keep = np.asarray(keep, dtype=np.int64)
    n = 1 + max([max(e) for e in parsed.entities.values() if e] + [int(keep.max()) if len(keep) else -1])
    rank = np.full(n, -1, dtype=np.int64)
    rank[keep] = np.arange(len(keep))
    out = Parsed({}, {}, {})
    new_row: dict[str, np.ndarray] = {}
    for table in pre.layouts:  # parents before children
        r = rank[np.asarray(parsed.entities[table], dtype=np.int64)]
        rows = np.flatnonzero(r >= 0)
        rows = rows[np.argsort(r[rows], kind="stable")]  # by kept entity, each entity's rows in order
        new_row[table] = np.full(len(r), -1, dtype=np.int64)
        new_row[table][rows] = np.arange(len(rows))
        edge = pre.schema.parent(table)
        old_parents = np.asarray(parsed.parents[table], dtype=np.int64)[rows]
        out.headers[table] = [parsed.headers[table][i] for i in rows]
        out.parents[table] = (new_row[edge.parent][old_parents] if edge else old_parents).tolist()
        out.entities[table] = r[rows].tolist()
    return out


def row_child_counts(pre, table: str, header, rng: np.random.Generator | None = None) -> list[int | None]:
    """The number of rows of each child table that a `table` row's header announces. A count
    above `max_exact` is a range token: `rng` draws a number in its range (generation decides
    there how many rows to write); without one it is None, "as many rows as follow"."""
    layout = pre.layouts[table]
    out: list[int | None] = []
    for k in range(len(layout.children)):
        slot = pre.slots[layout.slots[layout.n_fields + k]]
        local = int(header[layout.n_fields + k]) - slot.offset
        if local < slot.preproc.n_exact:
            out.append(local)
        else:
            out.append(None if rng is None else int(slot.preproc.decode(np.array([local]), rng)[0]))
    return out


def decode_entities(pre, sequences, roots, rng: np.random.Generator) -> RelationalData:
    return decode_parsed(pre, parse_entities(pre, sequences, roots), rng)


def decode_parsed(pre, parsed: Parsed, rng: np.random.Generator, ctx: pd.DataFrame | None = None) -> RelationalData:
    """The tables of parsed entities, with fresh keys and consistent foreign keys; `ctx`: the root
    rows' given context values, one row per entity, which they keep (`_given_ctx`)."""
    # a table's rows a cap left no room for go (`_dropped`), with their descendants (`_without_descendants`)
    headers, parents = dict(parsed.headers), dict(parsed.parents)
    schema = pre.schema
    keys: dict[str, pd.Series] = {}
    # lookups are copied as they are: there from the start, for the formulas and composite keys that read them
    out: dict[str, pd.DataFrame] = {lk: pd.DataFrame(pre.stats["lookups"][lk]) for lk in schema.lookups}
    mats: dict[str, np.ndarray] = {}
    formulas = pre.stats.get("formulas", [])  # none in a model saved before formulas, nor under DP
    decimals = pre.stats.get("category_decimals", [])  # likewise
    for table, layout in pre.layouts.items():
        n = len(headers[table])
        mat = mats[table] = np.stack(headers[table]) if n else np.zeros((0, layout.header_len), dtype=np.int64)
        cols: dict[str, pd.Series] = {}
        ids, preprocs = {}, {}
        for j, col in enumerate(layout.fields):
            slot = pre.slots[layout.slots[j]]
            if col in schema.tables[table].columns:
                ids[col], preprocs[col] = mat[:, j] - slot.offset, slot.preproc
                cols[col] = slot.preproc.decode(ids[col], rng).reset_index(drop=True)
        # a date its children's calendar labels place (`series_calendars`: none in older models)
        pinned_bases(pre, table, cols, ids, headers, parents, rng)
        ranges = pre.table_rules("category_ranges", table)
        endings = pre.stats.get("number_endings", [])  # none in older models, nor under DP
        keep_number_endings(endings, table, cols, ids, preprocs, rng)  # before the ranges that may clip them
        keep_category_ranges(ranges, cols, ids, preprocs, rng)
        ratios = pre.table_rules("ratio_ranges", table)
        up = ancestor_numbers(schema, out, table, parents[table], ratios)  # an offer's listing's price
        keep_ratio_ranges(ratios, cols, ids, preprocs, rng, up)  # after the ranges: the other number's final value
        multiples = pre.table_rules("whole_multiples", table)
        up = ancestor_numbers(schema, out, table, parents[table], multiples)  # a payment's film's rental rate
        keep_whole_multiples([r for r in multiples if r.get("above", True)], cols, preprocs, up)
        keep_pair_values(pre.stats.get("pair_values", []), table, cols)  # none in older models, nor under DP
        keep_linear_pairs(pre.table_rules("linear_pairs", table), cols, ids, preprocs, rng)  # of no column above
        if ctx is not None and table == schema.roots[0]:
            _given_ctx(pre, table, cols, ctx)  # before the offsets and children that read them
        bases, edge = pre.parent_bases(table), schema.parent(table)
        above = with_ancestors(out, schema, edge.parent, bases) if bases else None  # a base further up too
        above = None if above is None else above.iloc[np.asarray(parents[table], dtype=np.int64)]
        above = None if above is None else above.reset_index(drop=True)
        orders, siblings = pre.orderings.get(table, {}), np.asarray(parents[table], dtype=np.int64)
        keep_carried_values(pre.stats.get("carried_values", []), table, cols, ids, siblings)  # none in older models
        keep_sorted_siblings(pre, table, cols, siblings, offset=True)  # a date stored in order: its places
        # a value its cousins share (none in older models, nor under DP): as itself now, as an offset once decoded
        groups = shared_groups(pre, pre.stats.get("shared_values", []), table, mat, cols, parents)
        keep_shared_values(groups, cols, [c for c in groups if c not in orders])
        calendars = early_calendars(pre.stats.get("times_of_day", []), table)  # a booking's start within hours
        sharing = sharing_offsets(groups, cols, orders, above, siblings)
        past = from_offsets(cols, orders, above, siblings, after=sharing, calendars=calendars, rng=rng)
        # a quantity, its days' supply times 1 or 2, once an order writes the supply from it (a multiple keeps it)
        keep_whole_multiples([r for r in multiples if not r.get("above", True)], cols, preprocs, {})
        keep_sorted_siblings(pre, table, cols, siblings, offset=False)  # ... or its values
        keep_strict_steps(pre, table, cols, siblings, orders, above)  # ties of a column that never repeats
        warn_past_extremes(table, past, orders, n, edge.parent if edge is not None else None)
        gone = without_room(cols, orders, above, siblings)
        with_ends_of_dropped_tails(cols, orders, siblings, gone)  # a series cut at the data's end: still open
        if gone.any():  # with the rows nested under them, not decoded yet
            cols, parents[table], mats[table], n = _dropped(table, gone, cols, parents[table], mats[table])
            _without_descendants(schema, table, ~gone, headers, parents)
        # a prescription's fills past its refills allowed + 1 (none in older models, nor under DP)
        past = past_count_caps(pre.stats.get("count_caps", []), table, np.asarray(parents[table], np.int64), out)
        if past.any():
            cols, parents[table], mats[table], n = _dropped(table, past, cols, parents[table], mats[table], CAPPED)
            _without_descendants(schema, table, ~past, headers, parents)
        # a stock's prices on every trading day from its first (none in older models, nor under DP)
        past = keep_held_days(pre.stats.get("held_days", []), table, cols, np.asarray(parents[table], np.int64))
        if past.any():
            cols, parents[table], mats[table], n = _dropped(table, past, cols, parents[table], mats[table], PAST_DAYS)
            _without_descendants(schema, table, ~past, headers, parents)
        # a room's bookings never overlapping (none in older models, nor under DP)
        stuck = keep_disjoint_intervals(pre.stats.get("disjoint_intervals", []), table, cols, parents[table])
        if stuck.any():
            cols, parents[table], mats[table], n = _overlapping(schema, table, stuck, cols, parents[table], mats[table])
        keep_next_starts(pre.stats.get("next_starts", []), table, cols, parents[table])  # laid apart, then joined
        # a refill its prescription's days_supply after the last (none in older models, nor under DP)
        latest = {c: o.extreme if o.sign > 0 else None for c, o in orders.items()}
        keep_step_numbers(
            pre.stats.get("step_numbers", []), table, cols, np.asarray(parents[table], np.int64), out, latest, rng
        )
        # a salary 0-10 % above the year before (none in older models, nor under DP)
        keep_rising_steps(pre.stats.get("rising_steps", []), table, cols, np.asarray(parents[table], np.int64), rng)
        # 1..n under each parent once no row of it goes (none in older models, nor under DP)
        keep_sibling_numbers(pre.stats.get("sibling_numbers", []), table, cols, np.asarray(parents[table], np.int64))
        # an assessment's weight, by its place among its enrolment's rows and their count (none in older models)
        keep_place_values(pre.stats.get("place_values", []), table, cols, np.asarray(parents[table], np.int64))
        keep_month_steps(pre.stats.get("month_steps", []), table, cols)  # before the rows under it read them
        # on their weekdays before the keys rise, a series' dates before their next sibling's
        keep_weekdays_first(pre.stats.get("times_of_day", []), table, cols, np.asarray(parents[table], np.int64))
        steps_dated_first(pre, table, cols)  # before the keys rise with the dates: the CEO hired first
        pk = schema.tables[table].primary_key
        fmt = pre.stats.get("pk_formats", {}).get(table, {"type": "int", "start": 1})
        if pk is not None and fmt["type"] == "date" and fmt["column"] in cols:  # a calendar's date_key 20240131
            cols[fmt["column"]] = distinct_days(cols[fmt["column"]])
            keys[table] = cols[pk] = yyyymmdd(cols[fmt["column"]])
        elif pk is not None:
            keys[table] = _new_keys(n, fmt if fmt["type"] != "date" else {"type": "int", "start": 1}, rng)
            if (dated := _keys_date(pre, table)) is not None:  # keys rise with the date, as the source's do
                keys[table] = keys[table].iloc[np.argsort(date_order(cols[dated]))].reset_index(drop=True)
            cols[pk] = keys[table]
        for col, fmt in pre.stats.get("identifiers", {}).get(table, {}).items():  # none in older models
            rates = _identifier_null_rates(
                pre, table, fmt, mats, None if edge is None else np.asarray(parents[table], np.int64)
            )
            if follows_row(fmt):  # drawn once the values they follow are final (`_dependent_identifiers`)
                cols[col] = _pending_codes(n, rates, rng)
            else:
                codes = new_identifiers(n, fmt, col, rng, null_rates=rates)
                cols[col] = repeat_codes(codes, fmt, rng)
        if edge is not None:
            cols[edge.fk] = keys[edge.parent].iloc[np.asarray(parents[table], dtype=np.int64)].reset_index(drop=True)
        out[table] = _in_schema_order(schema, table, cols, n)
        keep_null_cuts(pre, pre.stats.get("null_cuts", []), table, out[table], rng)  # none in older models
        keep_held_sides(pre, pre.table_rules("held_sides", table), table, out[table], rng)  # snow only below 2 °C
        # not shipped yet: late orders; a period a next one starts on keeps its end
        followed = {} if edge is None else followed_rows(pre.stats.get("next_starts", []), table, out[table], edge.fk)
        keep_late_nulls(pre.table_rules("late_nulls", table), table, out[table], rng, followed)
        keep_none_boxes(pre.stats.get("none_boxes", []), table, out[table], rng)  # none in older models, nor under DP
        keep_sign_sides(pre, pre.stats.get("sign_labels", []), table, out[table], rng)  # the label's side of 0
        if copies := pre.stats.get("parent_copies", {}).get(table):  # none in older models, nor under DP
            pk_parent = schema.tables[edge.parent].primary_key
            held = {col: pre.column_categories(table, col) for col, _, _ in copies}
            decided = decided_by(pre.stats.get("dependencies", []), table)  # a copy keeps a city in its country
            copy_values(
                copies, out[table], out[edge.parent], out[table][edge.fk], pk_parent, rng, True, held, decided=decided
            )
        capacities = pre.table_rules("lookup_capacities", table)
        keep_lookup_capacities(capacities, out, schema, rng)  # a key moved before the orders that read its row
        keep_lookup_orders(pre.table_rules("lookup_orders", table), out, schema, rng)  # before formulas
        keep_parent_lookup_ranges(pre.table_rules("parent_lookup_ranges", table), out, schema)  # ... its parent's
        keep_year_sides(pre.table_rules("year_sides", table), out, schema, rng)  # a copy after its book's year
        keep_ancestor_orders(pre.table_rules("ancestor_orders", table), out, schema, rng)
        # at most a difference, sum or share of others (none in older models, nor under DP), before formulas read it
        keep_inequalities(pre, pre.table_rules("inequalities", table), out, rng)
        keep_category_decimals(pre, decimals, out, {table})  # once its values are moved, before formulas read them
        apply_code_numbers(pre.stats.get("code_numbers", []), table, out[table])  # a seat's row (none in older models)
        gaps = pre.table_rules("category_gaps", table)
        above_rows = None if edge is None else np.asarray(parents[table], dtype=np.int64)
        keep_category_gaps(gaps, out[table], None if edge is None else out.get(edge.parent), above_rows)
        apply_formulas(pre.table_rules("formulas", table), out)  # before references copy them
    assign_references(pre, out, keys, mats, rng)
    for rule in pre.stats.get("lookup_slots", []):  # once every entity is written (none in older models)
        t, col = out[rule["table"]], rule["column"]
        scope = _swap_scope(pre, out, rule["table"], col)  # swaps among rows alike keep matches and pairs
        more = [slot_groups(t, c, scope).to_numpy() for c in rule.get("also") or []]  # none in older models
        avoid = t[_apart_lookups(pre, rule["table"], col)]  # no swap linking a home team to itself
        t[col] = unique_with_rows(t, col, rule["with"], scope, rng, f"{rule['table']}.{col}", avoid=avoid, more=more)
    given_order = {schema.roots[0]} if ctx is not None else set()  # root rows in their context rows' order
    keep_key_orders(pre, out, given_order)  # a pair stored lower key first (a < b), before a swapped pair is dropped
    drop_repeated_links(pre, out, rng)
    keep_composite_references(pre, out, rng)  # before the formulas that read the rows they name
    # values pairing left on the wrong side of the row their reference names (none in older models)
    _keep_sides_moving_ordered(pre, pre.stats.get("reference_sides", []), out, schema, rng)
    # again: a side moved an operand (a salary into its job's range, under its bonus; none in older models)
    keep_inequalities(pre, pre.stats.get("inequalities", []), out, rng)
    keep_last_ends(pre.stats.get("last_ends", []), out, schema)  # an employee's histories end together (none in older)
    keep_sibling_spans(pre, pre.stats.get("sibling_spans", []), out, schema, rng)  # every table's dates written
    # a death after the stays, a close a gap after the last message (none in older models)
    keep_parent_ends(pre.stats.get("parent_ends", []), out, schema, rng)
    # a department's managers one at a time, every date and key written (none in older models)
    keep_keyed_intervals(pre.stats.get("keyed_intervals", []), out, schema, pre.stats.get("sibling_spans", []))
    mirror_links(pre, out, rng)  # once the rows' values are kept on both rows' sides: the reverse copies them
    keep_category_decimals(pre, decimals, out, set(out))  # again: values moved or copied since
    apply_ancestor_once_labels(pre, pre.stats.get("ancestor_once_labels", []), out)  # before the copies they mark
    apply_flagged_copies(pre.stats.get("flagged_copies", []), out, schema)  # the accepted offer's, the sale price
    apply_whole_years(pre.stats.get("whole_years", []), out, schema)  # every date final (none in older models)
    apply_formulas(formulas, out)  # again: an operand may be a value copied across a reference, or its row's
    pks = {t: schema.tables[t].primary_key for t in out}  # of the parent rows the rules below read
    # child values summing to at most their parent's number (none in older models, nor under DP), before the
    # splits: a number a bound lowers is final before its rows split it (a country's population, its cities')
    apply_bounded_sums(pre.stats.get("bounded_sums", []), out, pks, rng)
    apply_constant_sums(pre.stats.get("constant_sums", []), out)  # ... or a fixed whole (none in older models)
    apply_place_values(pre, pre.stats.get("place_values", []), out)  # again: a constant sum rescaled them
    apply_capped_sums(pre.stats.get("capped_sums", []), out, rng)  # ... or at most one (none in older models)
    # ... or split their parent's number, last: a number split, a country's share, is final (before totals)
    apply_split_sums(pre.stats.get("split_sums", []), out, pks)
    apply_sibling_sums(pre.stats.get("sibling_sums", []), out)  # ... or a sibling table's sum, once its parts are final
    # before the totals and balances summing them; a gap closed off the rows a flagged copy set
    apply_balanced_sums(pre.stats.get("balanced_sums", []), out, pre.stats.get("flagged_copies", []))
    apply_running_sums(pre.stats.get("running_sums", []), out, rng)  # none in older models, nor under DP
    apply_totals(pre.stats.get("totals", []), out)  # after the rows they sum are all there
    given = {schema.roots[0]: list(pre.ctx_cols)} if ctx is not None else {}  # the context's values stay
    apply_last_labels(pre.stats.get("last_labels", []), out, pre, given)  # none in older models, nor under DP
    copy_totals(pre, out, rng)  # a copy of a total: of the total set
    apply_formulas(formulas, out)  # ... or a copy of a total
    apply_totals(pre.stats.get("totals", []), out)  # a total of such copies: set again
    apply_formulas(formulas, out)  # ... and a formula of that total (a tax, 8 % of a subtotal of scaled prices)
    # a step of a previous sibling's number a reference or total copied since (a play after the one before, in
    # full: its track's duration), its parent's end moved past the moved dates again (none in older models)
    if stepped := keep_previous_steps(pre.stats.get("step_numbers", []), out, schema, pre.orderings, rng):
        keep_parent_ends([r for r in pre.stats.get("parent_ends", []) if r["child"] in stepped], out, schema, rng)
    apply_count_sums(pre, pre.stats.get("count_sums", []), out, given)  # a binned score: the count less the other
    apply_sign_labels(pre, pre.stats.get("sign_labels", []), out)  # from the numbers set (none in older models)
    apply_range_labels(pre, pre.stats.get("range_labels", []), out)  # likewise: within a range or not
    apply_interval_labels(pre, pre.stats.get("interval_labels", []), out)  # ... or its interval (none in older models)
    apply_cut_labels(pre, pre.stats.get("cut_labels", []), out, rng)  # ... or a date's side of a cut (likewise)
    keep_times_of_day(pre.stats.get("times_of_day", []), out)  # within hours, before the parts read them
    apply_date_parts(pre, pre.stats.get("date_parts", []), out)  # from the dates set (none in older models)
    bans = pair_rules(pre.stats)  # a calendar's value makes no pair the data never holds, breaks no dependency
    apply_calendar_labels(pre.stats.get("calendar_labels", []), out, bans, schema)  # a holiday week (none in older)
    formats = pre.stats.get("formats") or {}
    keep_domains(schema, out, formats, rng, given)  # its single-column CHECKs
    keep_apart(schema, out, formats, rng, given)  # the source's CHECK (a <> b) of values
    keep_lookup_links(schema, pre.stats.get("lookup_links", []), out, rng, given)  # none in older models, nor DP
    keep_value_orders(schema, out, formats, given)  # the source's CHECK (a < b), after lookup links are redrawn
    renumber_siblings(pre, out, referenced=True)  # a store's receipts 1..n, its keys dealt (none in older models)
    # the source's UNIQUE sets, once every value is set (`Table.unique`), keeping the CHECK pairs
    dropped = keep_unique_sets(schema, out, rng, given, formats)
    keep_unique_numbers(pre.stats.get("unique_numbers", []), out)  # ... and the data's (none in older models)
    renumber_siblings(pre, out, dropped)  # a line dropped as a repeat leaves no gap in its order's 1..n
    keep_within_any(pre, out, rng)  # a scorer of the match's teams, once swaps of teams are done
    keep_lookup_matches(pre, out, schema, rng)  # ... a lookup's: a `<rare>` key drawn blind to its row
    # again: a lookup key swapped or redrawn since (a home team)
    _keep_sides_moving_ordered(pre, pre.stats.get("lookup_orders", []), out, schema, rng)
    apply_sign_labels(pre, pre.stats.get("sign_labels", []), out)  # again: a date or number they moved
    apply_interval_labels(pre, pre.stats.get("interval_labels", []), out)
    apply_cut_labels(pre, pre.stats.get("cut_labels", []), out, rng)
    # a label its child rows decide (sold: bids, the highest at the reserve), of the final numbers, before the
    # rules reading it; a total its nulls followed, filled, set again (none in older models, nor under DP)
    filled = apply_child_labels(pre.stats.get("child_labels", []), out, pks, rng, given)
    apply_totals([t for t in pre.stats.get("totals", []) if (t["table"], t["column"]) in filled], out)
    apply_extreme_labels(pre.stats.get("extreme_labels", []), out)  # numbers final (none in older models, nor DP)
    apply_parent_extremes(pre.stats.get("parent_extremes", []), out, pks)
    keep_extreme_keys(pre, out, rng)  # a capital at its largest city, of the final numbers (none in older models)
    # an auction's winner, its highest bid's bidder, of the final numbers and keys (none in older models, nor DP)
    keep_extreme_row_keys(pre.stats.get("extreme_row_keys", []), out, pks)
    _keep_relabelled_ranges(pre, out, rng)  # a number within the range of the label it was drawn beside
    parts = moved_date_parts(schema, pre.stats.get("date_parts", []), formats)
    apply_date_parts(pre, parts, out)  # again: a date the sets or checks moved
    apply_calendar_labels(moved_date_parts(schema, pre.stats.get("calendar_labels", []), formats), out, bans, schema)
    apply_spelled_values(pre.stats.get("spelled_values", []), out)  # from the numbers set (none in older models)
    _codes_apart(pre, out, rng)  # once every reference is drawn
    _dependent_identifiers(pre, out, rng)  # once the values they follow are set
    for table, rules in pre.stats.get("prefixed_codes", {}).items():  # once the codes they extend are drawn
        if table in out:
            apply_prefixed_codes(rules, out[table], rng)
    identifiers = pre.stats.get("identifiers") or {}
    for table, rules in pre.stats.get("derived_codes", {}).items():  # once their rows' values are all set
        if table in out:
            apply_derived_codes(rules, out[table], identifiers.get(table, {}), rng, known_at)
    dated = {t for t in schema.synth_tables if _keys_date(pre, t) is not None}  # their rows sorted next
    # a parent's rows holding a value before the others (debit lines first), once every value is set
    keep_held_first(pre.stats.get("held_first", []), out, schema, pre.stats.get("identifiers") or {}, dated)
    counts = pre.stats.get("period_counts", [])  # none in older models, nor under DP
    keep_period_counts(
        counts, out, schema, {(r["table"], r["column"]): _slot_preproc(pre, r["table"], r["column"]) for r in counts}
    )
    for table in schema.synth_tables:  # rows in key order: a row's earlier row is written before it
        if ctx is not None and table == schema.roots[0] and own_date(pre, table) is None:
            continue  # the root rows stay in the order of the context rows they were given (keys still rise)
        if (dated := _keys_date(pre, table)) is not None:
            out[table] = out[table].iloc[date_order(out[table][dated])].reset_index(drop=True)
    with generated_data():  # the schema's warnings were said when the source was read
        return RelationalData({t: out[t] for t in schema.tables}, schema, formats=pre.stats.get("formats"))


def _keep_relabelled_ranges(pre, out: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Numbers of `category_ranges` drawn again within the range of their row's category where a
    sign, range or interval label set that category after the number was decoded beside another."""
    kinds = ("sign_labels", "range_labels", "interval_labels", "cut_labels")
    label_rules = [r for kind in kinds for r in pre.stats.get(kind, [])]
    labelled = {(r["table"], r["column"]) for r in label_rules}
    # a number a label is set from stays: drawn again, it could leave the label's side or interval
    read = {(r["table"], v) for r in label_rules for v in r.values() if isinstance(v, str)}
    rules = [r for r in pre.stats.get("category_ranges", []) if (r["table"], r["column"]) not in read]
    grids = {}
    for r in rules:
        preproc = _slot_preproc(pre, r["table"], r["column"])
        grids[(r["table"], r["column"])] = getattr(preproc, "decimals", None)
    keep_relabelled_ranges(rules, labelled, out, grids, rng)


def _slot_preproc(pre, table: str, col: str):
    """The fitted preprocessor of `table`'s modelled `col`, None where it is no field."""
    layout = pre.layouts.get(table)
    if layout is None or col not in layout.fields:
        return None
    return pre.slots[layout.slots[layout.fields.index(col)]].preproc


def _codes_apart(pre, out: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Draw again the repeating codes paired twice with a foreign key the source never pairs them
    twice with (`keep_codes_apart`: a student enrolled twice in one course)."""
    for table, formats in pre.stats.get("identifiers", {}).items():
        for col, fmt in formats.items():
            for fk in fmt.get("apart_from", []) if table in out and not follows_row(fmt) else []:
                out[table][col] = keep_codes_apart(out[table][col], out[table][fk], fmt, col, rng)


def _dependent_identifiers(pre, out: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Draw the codes whose format follows values of their row (`follows_row`), from those values."""
    for table, formats in pre.stats.get("identifiers", {}).items():
        for col, fmt in formats.items():
            if follows_row(fmt) and table in out:
                rows = out[table]
                if str(fmt.get("by", "")).startswith(PARENT):  # a label of the parent row
                    edge = pre.schema.parent(table)
                    pk, by = pre.schema.tables[edge.parent].primary_key, fmt["by"][len(PARENT) :]
                    rows = rows.join(parent_labels(rows[edge.fk], out[edge.parent], pk, [by]))
                pending = out[table][col]  # null where its row's null was drawn (`_pending_codes`)
                rates = None if not fmt.get("null_by") else pending.isna().to_numpy(dtype=float)
                codes = new_identifiers(len(rows), fmt, col, rng, rows, null_rates=rates)
                out[table][col] = codes.set_axis(out[table].index)


def _pending_codes(n: int, null_rates: np.ndarray | None, rng: np.random.Generator) -> pd.Series:
    """The place of codes drawn later (`_dependent_identifiers`): null where each row's code is, by
    its row's rate (`_identifier_null_rates`), drawn now from the row's tokens; all null without one."""
    pending = pd.Series(pd.NA, index=range(n), dtype="string")
    if null_rates is not None:
        pending[rng.random(n) >= null_rates] = ""
    return pending


def _apart_lookups(pre, table: str, col: str) -> list[str]:
    """The lookup keys of `table` that its lookup key `col` is never equal to (`_lookup_links`' `apart`)."""
    rules = [r for r in pre.stats.get("lookup_links", []) if r["table"] == table and r["apart"]]
    return [r[side] for r in rules for side, other in (("source", "target"), ("target", "source")) if r[other] == col]


def _swap_scope(pre, tables: dict[str, pd.DataFrame], table: str, col: str) -> pd.Series | None:
    """Each row's values that the lookup key `col` must keep matching (`match_scope`: a teacher's
    subject) or keep off pairs with (`pair_scope`: a class's grade), as one text; None where none."""
    parts = [p for p in [match_scope(pre, tables, table, col), *pair_scope(pre, tables, table, col)] if p is not None]
    if not parts:
        return None
    return pd.concat(parts, axis=1).astype(str).agg("\x1f".join, axis=1)


NO_ROOM = (
    "each started where its parent row's date stops the rows, after the previous row had ended there "
    "(more rows than that parent's span holds; the data's never are)"
)
CAPPED = "each past the count its parent row's number allows (`count_caps`; the data's never are)"
PAST_DAYS = "each laid past the last of the days its series share (`held_days`: the data's end, no series passes it)"


def _dropped(
    table: str, gone: np.ndarray, cols: dict[str, pd.Series], parents: list, mat: np.ndarray, why: str | None = None
) -> tuple[dict[str, pd.Series], list, np.ndarray, int]:
    """`table`'s decoded rows but the `gone` ones (`orderings.without_room`: rows its parent's
    cap left no room for; the rows under them go too: `_without_descendants`): columns, parent rows,
    headers and the number of rows left."""
    keep = ~gone
    log.info("%s: %d of %d generated rows dropped: %s", table, int(gone.sum()), len(gone), why or NO_ROOM)
    kept = {c: v[keep].reset_index(drop=True) for c, v in cols.items()}
    return kept, np.asarray(parents, dtype=np.int64)[keep].tolist(), mat[keep], int(keep.sum())


def _without_descendants(schema, table: str, keep: np.ndarray, headers: dict, parents: dict) -> None:
    """Drop from `headers` and `parents` (in place) the rows nested, at any depth, under the rows of
    `table` not kept (`_dropped`), and number the others' parent rows anew. A stay after its
    patient's death has no room and nests labs and diagnoses: kept, 36 of 1,216 stays a trained model
    generated lay at the death's minute, admitted and discharged on it."""
    new_row = np.cumsum(keep) - 1
    for child in schema.children(table):
        at = np.asarray(parents[child], dtype=np.int64)
        kept = keep[at] if len(at) else np.zeros(0, dtype=bool)
        headers[child] = [h for h, k in zip(headers[child], kept, strict=True) if k]
        parents[child] = new_row[at[kept]].tolist()
        _without_descendants(schema, child, kept, headers, parents)


def _overlapping(
    schema, table: str, stuck: np.ndarray, cols: dict[str, pd.Series], parents: list, mat: np.ndarray
) -> tuple[dict[str, pd.Series], list, np.ndarray, int]:
    """`table`'s decoded rows but the `stuck` ones (`keep_disjoint_intervals`: overlapping a sibling,
    with no free place to move to), where no table nests under it; else all of them, counted."""
    if schema.children(table):
        log.warning("%s: %d generated rows overlap a sibling and found no free place: left so", table, int(stuck.sum()))
        return cols, parents, mat, len(stuck)
    log.warning(
        "%s: %d of %d generated rows dropped: each overlapped a sibling and found no free place within the data's "
        "range (the data's siblings never overlap)",
        table,
        int(stuck.sum()),
        len(stuck),
    )
    keep = ~stuck
    kept = {c: v[keep].reset_index(drop=True) for c, v in cols.items()}
    return kept, np.asarray(parents, dtype=np.int64)[keep].tolist(), mat[keep], int(keep.sum())


def _keys_date(pre, table: str) -> str | None:
    """The date `table`'s keys rise with: the one its rows name earlier rows of their own table by
    (`own_date`), else the one the source's numbered keys follow (`stats["key_dates"]`)."""
    return own_date(pre, table) or pre.stats.get("key_dates", {}).get(table)


def _new_keys(n: int, fmt: dict, rng: np.random.Generator) -> pd.Series:
    numbers = np.arange(fmt.get("start", 1), fmt.get("start", 1) + n)
    if fmt["type"] == "int":
        return pd.Series(numbers, dtype="Int64")
    if fmt["type"] == "uuid":
        return pd.Series(uuids(n, rng), dtype=STRING)
    if fmt["type"] == "hex":
        if n <= len(fmt["alphabet"]) ** fmt["length"]:
            return pd.Series(_hex_keys(n, fmt["alphabet"], fmt["length"], rng), dtype=STRING)
        fmt = {"prefix": "id_", "width": 1}  # too short a hash for n distinct keys
    if fmt["type"] == "shape":  # the characters seen at each position; too few keys: the whole class
        for alphabets in (fmt["alphabets"], [CLASSES.get(char_class(a[0]), a) for a in fmt["alphabets"]]):
            if n <= np.prod([len(a) for a in alphabets], dtype=float):
                return pd.Series(_spread_keys(n, alphabets, rng), dtype=STRING)
        fmt = {"prefix": "".join(a[0] for a in fmt["alphabets"]) + "_", "width": len(str(n))}
    if fmt["type"] == "words":  # the letters seen; too few keys: the whole case
        for alphabet in (fmt["alphabet"], CLASSES[char_class(fmt["alphabet"][0])]):
            if n <= sum(len(alphabet) ** length for length, _ in fmt["lengths"]) / 2:
                return pd.Series(_worded_keys(n, alphabet, fmt["lengths"], rng), dtype=STRING)
        fmt = {"prefix": fmt["alphabet"][0] * int(fmt["lengths"][0][0]) + "_", "width": len(str(n))}
    width = fmt.get("width", 1)
    return pd.Series([f"{fmt['prefix']}{i:0{width}d}" for i in numbers], dtype=STRING)


def _given_ctx(pre, table: str, cols: dict[str, pd.Series], ctx: pd.DataFrame) -> None:
    """Set (in place) the root rows' numbers and dates to the context values given for them: their
    tokens hold a bin, and decoding draws a value within it (a founding date given as 1991-01-27
    came back as 1991-01-12). Categories decode to themselves already (an unknown or rare one to
    missing, as `check_ctx` warns)."""
    layout = pre.layouts[table]
    for col, slot_id in zip(layout.fields, layout.slots, strict=False):
        if col in pre.ctx_cols and isinstance(pre.slots[slot_id].preproc, NumericPreproc):
            given, dtype = ctx[col].reset_index(drop=True), cols[col].dtype
            if pd.api.types.is_datetime64_any_dtype(dtype):  # as encoded: a zoned value at its UTC instant
                given = pd.to_datetime(given, format="mixed", utc=True)
                zone = getattr(dtype, "tz", None)
                given = given.dt.tz_localize(None) if zone is None else given.dt.tz_convert(zone)
            cols[col] = given.astype(dtype)


def _in_schema_order(schema, table: str, cols: dict, n: int) -> pd.DataFrame:
    """All schema columns in order; text and ignored columns are missing (the text model fills text)."""
    frame = {}
    for col, kind in schema.tables[table].columns.items():
        if col in cols:
            frame[col] = cols[col]
        elif kind.kind is Column.TEXT:
            frame[col] = pd.Series([pd.NA] * n, dtype=STRING)
        else:
            frame[col] = pd.Series([None] * n, dtype=object)
    return pd.DataFrame(frame)


def _hex_keys(n: int, alphabet: str, length: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct random hex strings of `length` (hashes); counted in order where random ones
    would mostly repeat (a short length)."""
    if n > len(alphabet) ** length / 2:
        return _shaped_keys(n, [alphabet] * length)
    chars = np.array(list(alphabet))
    out: dict[str, None] = {}
    while len(out) < n:  # repeats drawn again
        drawn = chars[rng.integers(0, len(chars), size=(n - len(out), length))]
        out.update(dict.fromkeys("".join(row) for row in drawn))
    return list(out)


def _spread_keys(n: int, alphabets: list[str], rng: np.random.Generator) -> list[str]:
    """`n` distinct keys of the source's shape (`_shaped_keys`) spread over its room, in rising order:
    counted from the first, 60 three-letter keys all began `AA`-`AC`, where the source's spread over the
    alphabet (a country's code2, its code's first two letters, then repeated in every row). Counted where
    the room is less than twice `n`."""
    if n > np.prod([len(a) for a in alphabets], dtype=float) / 2:
        return _shaped_keys(n, alphabets)
    drawn: set[tuple[int, ...]] = set()
    while len(drawn) < n:  # repeats drawn again
        more = n - len(drawn)
        drawn.update(zip(*(rng.integers(0, len(a), more).tolist() for a in alphabets), strict=True))
    return ["".join(a[i] for a, i in zip(alphabets, key, strict=True)) for key in sorted(drawn)]


def _worded_keys(n: int, alphabet: str, lengths: list[list], rng: np.random.Generator) -> list[str]:
    """`n` distinct random words of `alphabet`'s characters, their lengths drawn by the source's
    shares (`lengths`: [[length, share]]; tickers of 3 to 5 letters), a repeat drawn again."""
    chars = np.array(list(alphabet))
    sizes, shares = np.array([int(k) for k, _ in lengths]), np.array([float(p) for _, p in lengths])
    out: dict[str, None] = {}
    while len(out) < n:
        drawn = rng.choice(sizes, size=n - len(out), p=shares / shares.sum())
        out.update(dict.fromkeys("".join(chars[rng.integers(0, len(chars), size=k)]) for k in drawn))
    return list(out)


def _shaped_keys(n: int, alphabets: list[str]) -> list[str]:
    """`n` distinct keys of the source's shape: key i is i in mixed radix, one digit per position,
    each digit drawn from the characters seen at that position (so `2019_AB12` gives `2019_AB12`-like keys)."""
    out = []
    for i in range(n):
        chars = []
        for alphabet in reversed(alphabets):
            i, r = divmod(i, len(alphabet))
            chars.append(alphabet[r])
        out.append("".join(reversed(chars)))
    return out


def _identifier_null_rates(
    pre, table: str, fmt: dict, mats: dict[str, np.ndarray], at: np.ndarray | None
) -> np.ndarray | None:
    """Each generated row's chance that its code is null, by its token in the field that tells
    (`fmt["null_by"]`: a tracking number on shipped events only), its own row's or its parent row's
    (`at`: each row's position among the parent's rows; an order line's on offline orders only);
    None where none does (older models, DP fits: the overall rate)."""
    if not fmt.get("null_by"):
        return None
    raw, nest = mats[table][:, feature_fields(pre, table)], pre.schema.parent(table)
    if nest is not None and at is not None and nest.parent in mats:
        raw = with_parent_row(raw, mats[nest.parent][:, feature_fields(pre, nest.parent)], at)
    tokens = coarse_tokens(pre, int(fmt["null_groups"]))[raw]
    return row_null_shares(fmt["null_by"], tokens, float(fmt.get("null_rate", 0.0)), raw)


def _keep_sides_moving_ordered(pre, rules: list[dict], out: dict[str, pd.DataFrame], schema, rng) -> None:
    """`keep_lookup_orders` once every table is written, the dates ordered from a value it moved
    (a return after its receipt) and those tracking it below its row (its `followers`: a consent's
    visits) shifted with it: they were drawn from its old value."""
    before = {(r["table"], r["column"]): out[r["table"]][r["column"]].copy() for r in rules if _dated(out, schema, r)}
    keep_lookup_orders(rules, out, schema, rng)
    for (table, column), values in before.items():
        shift_ordered_from(pre.orderings, out, schema, table, column, values)
        # the dates under its row tracking it (a consent's visits; none in older models)
        found = {
            tuple(f) for r in rules if (r["table"], r["column"]) == (table, column) for f in r.get("followers") or []
        }
        shift_followers(sorted(found), pre.orderings, out, schema, table, column, values)


def _dated(out: dict[str, pd.DataFrame], schema, rule: dict) -> bool:
    """Whether `rule`'s column is a written date column (the only bases `shift_ordered_from` follows)."""
    table, column = rule["table"], rule["column"]
    return table in out and column in out[table] and schema.tables[table].columns[column].kind in DATED

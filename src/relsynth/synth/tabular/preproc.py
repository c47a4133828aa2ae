"""TabularPreproc: a database as token sequences, one per root entity, and back.

A root row with all its descendants is serialised depth first. Each row contributes a
*header*: one token per modelled column (in its own vocabulary slice) followed by one
*count* token per child table (how many child rows follow). Then come the child rows, child
table by child table, each recursively. Counts make the structure explicit: the model learns
the children-per-parent distribution as one categorical, and the grammar (which slot comes
next) is known at every position, so generation can never produce an invalid structure.

Keys are not modelled: primary keys are regenerated, parent foreign keys follow from nesting,
lookup foreign keys are categories over the lookup's keys. Text columns are left to the text
model (generated as missing here).
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational.data import SQL_FORMAT
from relsynth.relational.derived_codes import find_derived_codes
from relsynth.relational.key_like import key_like_columns
from relsynth.relational.orders import (
    ancestor_column,
    ancestor_ordered,
    parent_ordered,
    previous_end,
    running_numbers,
    sibling_key,
    walking_numbers,
)
from relsynth.relational.row_keys import row_key_references
from relsynth.synth.core.files import LoadError, atomic_dir, fingerprint, read_config, write_config
from relsynth.synth.tabular import _dp_fit
from relsynth.synth.tabular._assemble import assemble, entity_lengths, sibling_order
from relsynth.synth.tabular._decode import decode_entities
from relsynth.synth.tabular._identifiers import (
    code_repeats,
    identifier_format,
    known_codes,
    listed_format,
    parent_labels,
    replay_share,
)
from relsynth.synth.tabular._references import (
    declared_links,
    find_extreme_keys,
    keyed_links,
    mirrored_links,
    parent_copies,
    reference_stats,
    row_numbers,
    unique_links,
)
from relsynth.synth.tabular._references.extreme_rows import find_extreme_row_keys
from relsynth.synth.tabular._references.fit import null_by as reference_null_by
from relsynth.synth.tabular._references.fit import referencing_tokens
from relsynth.synth.tabular._references.pairing import coarse_tokens, n_groups
from relsynth.synth.tabular._tables import child_counts, key_date, pk_format, records
from relsynth.synth.tabular.encoders import (
    CategoricalPreproc,
    ColumnPreproc,
    CountPreproc,
    NumericPreproc,
    column_preproc_from_dict,
    to_number,
)
from relsynth.synth.tabular.grammar import N_SPECIAL, PLACEHOLDER, Encoded, Slot, TableLayout
from relsynth.synth.tabular.orderings import (
    Ordering,
    after_itself,
    bound_as_cap,
    counter_steps,
    find_orderings,
    in_calendar_window,
    orderings_from_dict,
    running_ordering,
    sequence_ordering,
    sibling_gaps,
    walk_ordering,
    with_cap_gaps,
    with_offsets,
)
from relsynth.synth.tabular.rules.ancestor_once import find_ancestor_once_labels
from relsynth.synth.tabular.rules.ancestor_orders import find_ancestor_orders
from relsynth.synth.tabular.rules.balanced_sums import find_balanced_sums
from relsynth.synth.tabular.rules.bounded_sums import find_bounded_sums
from relsynth.synth.tabular.rules.calendar_labels import find_calendar_labels
from relsynth.synth.tabular.rules.capped_sums import find_capped_sums
from relsynth.synth.tabular.rules.carried_values import find_carried_values
from relsynth.synth.tabular.rules.category_decimals import find_category_decimals
from relsynth.synth.tabular.rules.category_gaps import find_category_gaps
from relsynth.synth.tabular.rules.category_points import find_category_points
from relsynth.synth.tabular.rules.category_ranges import find_category_ranges
from relsynth.synth.tabular.rules.chained_labels import find_chained_labels
from relsynth.synth.tabular.rules.changed_rows import find_changed_rows
from relsynth.synth.tabular.rules.child_labels import find_child_labels
from relsynth.synth.tabular.rules.code_numbers import find_code_numbers
from relsynth.synth.tabular.rules.constant_sums import find_constant_sums
from relsynth.synth.tabular.rules.count_caps import find_count_caps
from relsynth.synth.tabular.rules.count_rules import find_count_rules
from relsynth.synth.tabular.rules.count_sums import find_count_sums
from relsynth.synth.tabular.rules.cut_labels import find_cut_labels
from relsynth.synth.tabular.rules.date_parts import find_date_parts
from relsynth.synth.tabular.rules.declared_domains import declared_lengths, declared_list
from relsynth.synth.tabular.rules.dependencies import (
    find_dependencies,
    find_distinct,
    find_held_rules,
    find_later_null_rules,
    find_null_rules,
    find_parent_dependencies,
)
from relsynth.synth.tabular.rules.disjoint_intervals import find_disjoint_intervals
from relsynth.synth.tabular.rules.edge_labels import find_edge_labels
from relsynth.synth.tabular.rules.extreme_labels import find_extreme_labels, find_parent_extremes
from relsynth.synth.tabular.rules.flagged_copies import copied_columns, find_flagged_copies
from relsynth.synth.tabular.rules.formulas import (
    find_formulas,
    without_ordered_dividends,
    without_ordered_late_formulas,
)
from relsynth.synth.tabular.rules.held_days import find_held_days
from relsynth.synth.tabular.rules.held_first import find_held_first
from relsynth.synth.tabular.rules.held_sides import find_held_sides
from relsynth.synth.tabular.rules.inequalities import find_inequalities
from relsynth.synth.tabular.rules.interval_labels import find_interval_labels
from relsynth.synth.tabular.rules.keyed_intervals import find_keyed_intervals
from relsynth.synth.tabular.rules.label_points import label_points
from relsynth.synth.tabular.rules.last_ends import find_last_ends
from relsynth.synth.tabular.rules.last_labels import find_last_labels
from relsynth.synth.tabular.rules.last_nulls import find_last_nulls
from relsynth.synth.tabular.rules.late_nulls import find_late_nulls
from relsynth.synth.tabular.rules.linear_pairs import find_linear_pairs
from relsynth.synth.tabular.rules.lookup_capacities import find_lookup_capacities
from relsynth.synth.tabular.rules.lookup_links import find_lookup_links
from relsynth.synth.tabular.rules.lookup_matches import find_lookup_matches
from relsynth.synth.tabular.rules.lookup_orders import find_lookup_orders, find_reference_sides
from relsynth.synth.tabular.rules.month_steps import find_month_steps
from relsynth.synth.tabular.rules.moved_bases import base_of
from relsynth.synth.tabular.rules.never_pairs import find_never_pairs
from relsynth.synth.tabular.rules.next_starts import find_next_starts, spans_without_joined, without_joined
from relsynth.synth.tabular.rules.none_boxes import find_none_boxes
from relsynth.synth.tabular.rules.null_cuts import find_null_cuts
from relsynth.synth.tabular.rules.number_endings import find_number_endings
from relsynth.synth.tabular.rules.ordered_labels import find_ordered_labels
from relsynth.synth.tabular.rules.pair_orders import key_orders
from relsynth.synth.tabular.rules.pair_values import find_pair_values
from relsynth.synth.tabular.rules.parent_ends import find_parent_ends, own_end, without_moved_caps
from relsynth.synth.tabular.rules.parent_lookup_ranges import find_parent_lookup_ranges
from relsynth.synth.tabular.rules.period_counts import find_period_counts
from relsynth.synth.tabular.rules.place_values import find_place_values
from relsynth.synth.tabular.rules.prefixed_codes import prefixed_codes
from relsynth.synth.tabular.rules.range_labels import find_range_labels
from relsynth.synth.tabular.rules.ratio_ranges import find_ratio_ranges
from relsynth.synth.tabular.rules.rising_steps import find_rising_steps, named_by_rules
from relsynth.synth.tabular.rules.running_sums import (
    before_columns,
    find_running_sums,
    without_floor_on_formulas,
    without_step_formulas,
)
from relsynth.synth.tabular.rules.series_calendars import calendar_label, find_series_calendars, with_calendars
from relsynth.synth.tabular.rules.shared_values import find_shared_values, set_columns
from relsynth.synth.tabular.rules.sibling_numbers import find_sibling_numbers
from relsynth.synth.tabular.rules.sibling_spans import find_sibling_spans
from relsynth.synth.tabular.rules.sibling_sums import find_sibling_sums
from relsynth.synth.tabular.rules.sign_labels import find_sign_labels
from relsynth.synth.tabular.rules.sorted_siblings import find_sorted_siblings
from relsynth.synth.tabular.rules.spelled_values import find_spelled_values, spelled_columns
from relsynth.synth.tabular.rules.split_sums import find_split_sums, formula_totals
from relsynth.synth.tabular.rules.step_numbers import find_step_numbers, only_lowering
from relsynth.synth.tabular.rules.times_of_day import (
    after_whole_days,
    find_times_of_day,
    keeps_calendar,
    named_columns,
)
from relsynth.synth.tabular.rules.totals import find_totals
from relsynth.synth.tabular.rules.unique_labels import (
    find_ancestor_unique_labels,
    find_lookup_slots,
    find_once_labels,
    find_shared_labels,
    find_unique_label_pairs,
    find_unique_labels,
)
from relsynth.synth.tabular.rules.unique_numbers import find_unique_numbers
from relsynth.synth.tabular.rules.whole_multiples import find_whole_multiples
from relsynth.synth.tabular.rules.whole_years import find_whole_years
from relsynth.synth.tabular.rules.year_sides import find_year_sides

if TYPE_CHECKING:
    from relsynth.relational.data import Whole
    from relsynth.synth.core.training.dp import DpBudget

log = logging.getLogger(__name__)
CONFIG_FILE, KIND = "preproc.json", "TabularPreproc"
_SAVED_KEYS = ("schema", "ctx_cols", "n_bins", "min_count", "max_exact_count", "ignored", "layouts", "slots", "stats")

# a category no value of which min_count rows hold is drawn fresh as an identifier (`_shapeless_columns`) where
# a drawn code falls on a value of the data this share of the time at most (IP addresses 10.a.b.c, 300 of 22,750: 1.3 %)
REPLAY_SHARE = 0.02

_NUMERIC_KINDS = {
    Column.NUMERIC: "numeric",
    Column.INTEGER: "integer",
    Column.DATETIME: "datetime",
    Column.DATE: "date",
    Column.TIME: "time",
}


def _fresh_how(share: float, listed: bool, col: str, longest: int | None) -> str:
    """How `_shapeless_columns` draws a column no value of which is frequent, for its warning: among
    the labels its source lists, or in its values' shapes, redrawn where a code is one of the data's
    (`known_codes`), which a NOT NULL column past REPLAY_SHARE mostly is (a tiny table's labels). Where
    `<column>_<n>` is longer than the source's type holds (`longest`: a tier 'A' to 'D' in a VARCHAR(1)), it says
    so now, before training: to_sql refuses such codes."""
    if listed:
        return "drawn among the labels its source lists"
    if share > REPLAY_SHARE:
        too_long = (
            f" {col}_1 and on are longer than the {longest} characters its source's type holds, which to_sql "
            "refuses: lower min_count (its labels then learnt, where they may be repeated) or leave the column out"
            if longest is not None and len(f"{col}_1") > longest
            else " lower min_count where its labels may be repeated"
        )
        return (
            "NOT NULL in its source, so generated as fresh codes none of which is a value of the data (mostly "
            f"`<column>_<n>`, as its values' shapes leave little room for others;{too_long})"
        )
    return f"generated as fresh codes in its values' shapes (about {share:.1%} of them a value of the data by chance)"


def _scaled_parts(split: list[dict], whole: list[dict]) -> set[tuple[str, str]]:
    """(table, column) of the parts the `split` rules scale to their row's number and the `whole`
    rules (`constant_sums`, `capped_sums`) to a fixed whole or under a cap."""
    return {(r["child"], r["of"]) for r in split} | {(r["table"], r["of"]) for r in whole}


class TabularPreproc:
    """Fit column preprocessors on a database and encode/decode it as token sequences."""

    def __init__(
        self,
        schema: Schema,
        ctx_cols: list[str] | None = None,
        preprocessors: Mapping[str, Mapping[str, ColumnPreproc | None]] | None = None,
        n_bins: int = 32,
        min_count: int = 5,
        max_exact_count: int = 100,
        keep_orders: bool = True,
    ):
        self.schema = schema
        if isinstance(ctx_cols, str) or not isinstance(ctx_cols, Sequence | None):  # "rname" is no list of letters
            raise TypeError(f"ctx_cols must be a list of column names, got {ctx_cols!r}")
        self.ctx_cols = list(ctx_cols or [])
        # the user's word, never changed by a fit; `overrides` is what a fit uses: these and the columns it
        # leaves out or bins itself (`_shapeless_columns`, `_binned_categories`), chosen afresh from its data
        self.preprocessors = {t: dict(cols) for t, cols in (preprocessors or {}).items()}
        self.overrides = {t: dict(cols) for t, cols in self.preprocessors.items()}
        self.n_bins, self.min_count, self.max_exact_count = n_bins, min_count, max_exact_count
        if not isinstance(keep_orders, bool):
            raise TypeError(f"keep_orders must be True or False, got {keep_orders!r}")
        self.keep_orders = keep_orders
        self._check_options()
        self.layouts: dict[str, TableLayout] = {}
        self.orderings: dict[str, dict[str, Ordering]] = {}  # table -> date column -> the column it follows
        self.sibling_keys: dict[str, str] = {}  # child table -> the date its siblings are encoded in order of
        self.past_float: frozenset[tuple[str, str]] = frozenset()  # integers float64 cannot hold (`float_numbers`)
        self.slots: list[Slot] = []
        self.stats: dict = {}
        self.fitted = False

    @classmethod
    def from_schema(
        cls,
        schema: Schema,
        ctx_cols: list[str] | None = None,
        preprocessors: Mapping[str, Mapping[str, ColumnPreproc | None]] | None = None,
        *,
        n_bins: int = 32,
        min_count: int = 5,
        max_exact_count: int = 100,
        keep_orders: bool = True,
    ) -> TabularPreproc:
        """An unfitted preprocessor for `schema` (aindo.rdml's constructor); call `fit(data)` next.

        `ctx_cols`: root-table columns generation can be conditioned on; `preprocessors`: per table and
        column a `ColumnPreproc` to use (None: leave the column out); `n_bins`: quantile bins per
        numeric column; `min_count`: rarer categories become the protected `<rare>`, and rarer numbers,
        dates and times get no token of their own (they are binned);
        `max_exact_count`: child counts up to this are exact tokens, larger ones binned (a bin holds
        `min_count` parents at least: fewer larger counts are written as max_exact_count);
        `keep_orders`: a date or number that follows another of its row or parent row in every row
        is modelled as its offset, so generated rows keep the order (`orderings`), and each parent's
        rows are encoded in the order of a date of theirs (`sibling_keys`); False: every
        column as itself (a column generated before it that depends on its absolute value, a status
        flag set by a cut-off date, then agrees more often; see docs/model.md)."""
        return cls(
            schema,
            ctx_cols=ctx_cols,
            preprocessors=preprocessors,
            n_bins=n_bins,
            min_count=min_count,
            max_exact_count=max_exact_count,
            keep_orders=keep_orders,
        )

    def _check_options(self) -> None:
        s = self.schema
        for table, cols in self.overrides.items():
            if table not in s.synth_tables:
                raise ValueError(
                    f"preprocessors names table {table!r}, not a synthesised table of the schema ({s.synth_tables})"
                )
            for col, pre in cols.items():
                if col not in s.tables[table].columns:
                    raise ValueError(f"preprocessors names column {table}.{col}, which the schema does not have")
                if pre is not None and not isinstance(pre, ColumnPreproc):
                    raise TypeError(f"preprocessors[{table!r}][{col!r}] must be a ColumnPreproc or None")
        if self.ctx_cols:
            if len(s.roots) != 1:
                raise ValueError(
                    f"ctx_cols needs a schema with exactly one root table; this one has {s.roots}: a table "
                    "that nests under no parent is a root (a key marked nest=False, or not nested by "
                    "Schema.infer: its schema.inference says why; a table of another tree: leave it out)"
                )
            root = s.roots[0]
            own = self._own_fields(root)
            bad = [c for c in self.ctx_cols if c not in own]
            if bad:
                raise ValueError(f"ctx_cols {bad} are not modelled columns of the root table {root!r} (options: {own})")

    # ---- what is modelled ------------------------------------------------------------------
    def modelled_columns(self, table: str) -> list[str]:
        """Columns that get a token: not keys (except lookup FKs), not text, not ignored."""
        out = self._own_fields(table)
        if table in self.schema.roots and self.ctx_cols:
            out = self.ctx_cols + [c for c in out if c not in self.ctx_cols]
        return out

    def _order_bases(self) -> set[tuple[str, str]]:
        """(table, column) an order within rows reads (a base or a bound): moved, it would break it."""
        return {
            (t, c)
            for t, found in self.orderings.items()
            for o in found.values()
            for c in (o.base, o.bound, o.sibling_base, o.fallback, o.cap)
            if isinstance(c, str)
        }

    def _derived_codes(self, data: RelationalData, table: str) -> dict[str, dict]:
        """The codes of `table` built from its keys, categories and other codes (`derived_codes`), but those
        that extend another code or are extended (`prefixed_codes`, fitted before)."""
        kinds = self.schema.tables[table]
        extended = self.stats["prefixed_codes"].get(table, {})  # codes written, or read, there: not here
        settled = set(extended) | {r["prefix"] for r in extended.values()}
        targets = [c for c in kinds.cols_of(Column.IDENTIFIER) if c not in settled]
        keys = [c for c in (kinds.primary_key, *kinds.cols_of(Column.FOREIGN_KEY)) if c is not None]
        sources = [*keys, *kinds.cols_of(Column.CATEGORICAL, Column.IDENTIFIER)]
        if not targets:
            return {}
        return find_derived_codes(data[table], targets, sources, self.min_count, np.random.default_rng(0))

    def given_columns(self, table: str) -> set[str]:
        """The columns of `table` a generation's context gives (`ctx_cols`, root tables only): the
        rules fitted on generated values leave them as given."""
        return set(self.ctx_cols) if table in self.schema.roots else set()

    def float_numbers(self, table: str, columns: Iterable[str]) -> list[str]:
        """The number columns among `columns` of `table` that the rules reading numbers as float64 may
        take (sums, formulas, ranges, orders): not integers past 2**53, where two values can be one
        float (9007199254740993 read as ...992, its rules' results written back ...992 and ...994);
        those are left to NumericPreproc's exact int64 path. Nor a composite key's columns, which
        name rows (a sub-task's (tenant_id, parent_id)): a bracket formula read parent_id as a rate of
        id and wrote parents that were no earlier sub-task. Nor a field outside the schema (a series'
        calendar label, `series_calendars`)."""
        t = self.schema.tables[table]
        keys = set(t.composite_key or ()) | {c for fk in t.composite_fks for c in fk.columns}
        return [
            c
            for c in columns
            if c in t.columns
            and t.columns[c].kind in (Column.NUMERIC, Column.INTEGER)
            and (table, c) not in self.past_float
            and c not in keys
        ]

    def generated_columns(self, table: str) -> list[str]:
        """The modelled columns of `table` that generation writes: not the context's (`given_columns`),
        so the rules fitted on generated values may set them."""
        given = self.given_columns(table)
        return [c for c in self.modelled_columns(table) if c not in given]

    def generated_numbers(self, table: str) -> list[str]:
        """The `float_numbers` among `generated_columns(table)`: the numbers a rule may read and set."""
        return self.float_numbers(table, self.generated_columns(table))

    def table_rules(self, kind: str, table: str) -> list[dict]:
        """The fitted rules of `kind` (a key of `stats`) on `table`: none in a model saved before that
        kind was fitted, nor where the kind is not fitted under DP."""
        return [r for r in self.stats.get(kind, []) if r["table"] == table]

    def column_categories(self, table: str, col: str) -> list:
        """The categories a generated categorical column holds (plain values; a rare value is none of
        them); [] where the column is no modelled category."""
        layout = self.layouts.get(table)
        if layout is None or col not in layout.fields:
            return []
        return list(getattr(self.slots[layout.slots[layout.fields.index(col)]].preproc, "categories", None) or [])

    def category_texts(self, table: str, col: str) -> dict[str, object]:
        """`column_categories` by their text: a rule that sets a label from a value writes its text."""
        return {str(c): c for c in self.column_categories(table, col)}

    def same_label_tokens(self, source: int, target: int) -> np.ndarray:
        """(vocab,): for each token of slot `source`'s labels, the token of the same label in slot
        `target`, -1 elsewhere (a label `target` lacks, or any other token): a rule copying a label
        from one column to another (a leg's origin from the previous leg's destination)."""
        ids = self.slots[target].category_tokens()
        token = np.full(self.vocab_size, -1, dtype=np.int64)
        for label, t in self.slots[source].category_tokens().items():
            token[t] = ids.get(label, -1)
        return token

    def _own_fields(self, table: str) -> list[str]:
        """The modelled columns in schema order, before the context columns are moved first."""
        t, lookups = self.schema.tables[table], self.schema.lookup_fks(table)
        out = []
        for col, kind in t.columns.items():
            if kind.kind in (Column.PRIMARY_KEY, Column.TEXT, Column.IDENTIFIER):
                continue
            if kind.kind is Column.FOREIGN_KEY and col not in lookups:
                continue
            if col in self.overrides.get(table, {}) and self.overrides[table][col] is None:
                continue
            out.append(col)
        return out

    def _ignore_row_key_copies(self, data: RelationalData) -> None:
        """Leave unmodelled the columns of a composite key that a table nests by (`RowKey`): they are
        copied from the row it nests under (`copy_row_keys`). Modelled, they were read as the
        table's own numbers: a line's number taken for the sum of its one delivery's line numbers,
        so the generated lines got numbers their keys repeated. From the declarations only."""
        for table, cols, _, _, _ in row_key_references(data.formats):
            if table in self.schema.synth_tables:
                self.overrides.setdefault(table, {}).update(dict.fromkeys(cols))

    def _as_generated(self, data: RelationalData) -> RelationalData:
        """`data` with the columns left out of the model (`preprocessors={...: None}`) null, as
        generation writes them, so no rule is fitted on their values: an age in whole years from a
        patient's birth date left out, a balance floored at an account's limit left out, each set
        from nulls then, did nothing. The key columns a row key copies (`_ignore_row_key_copies`)
        are generated, copied: they stay."""
        copies = {(t, c) for t, cols, *_ in row_key_references(data.formats) for c in cols}
        left = {
            t: cols
            for t, given in self.overrides.items()
            if (cols := [c for c, p in given.items() if p is None and (t, c) not in copies and c in data[t]])
        }
        if not left:
            return data
        out = copy.copy(data)  # a shallow copy: the frames of the other tables shared, not validated again
        out.data = dict(data.data)
        for table, cols in left.items():
            frame = data[table]
            out.data[table] = frame.assign(**{c: frame[c].where(np.zeros(len(frame), dtype=bool)) for c in cols})
        return out

    def label_tokens(self, table: str, column: str) -> tuple[int, dict[str, int]] | None:
        """The header position of a categorical `column` of `table` and its labels' tokens (label
        text -> token id), what a rule masking its labels reads; None where it is no field (a fit
        without it, an older model)."""
        layout = self.layouts.get(table)
        if layout is None or column not in layout.fields:
            return None
        j = layout.fields.index(column)
        return j, self.slots[layout.slots[j]].category_tokens()

    def _children_named_by_keys(self) -> None:
        """A row whose key never null names a row of its own child table (a staff's store, nested under
        the staff: `within` the table, `never_null`) has such a child in every row of the data: its count
        is never generated 0, else the key had no row to name and a briefly trained model left the store
        table empty. Read from the fitted references (never under DP, whose fit returns before)."""
        for name, ref in self.stats["references"].items():
            table = ref.get("within")  # "table.fk": the table holding the key, where it is the scope
            if table not in self.layouts or not name.startswith(f"{table}.") or not ref.get("never_null"):
                continue
            nest = self.schema.parent(ref["parent"])
            layout = self.layouts[table]
            if nest is None or nest.parent != table or ref["parent"] not in layout.children:
                continue
            count = self.slots[layout.slots[layout.n_fields + layout.children.index(ref["parent"])]].preproc
            count.least = max(count.least, 1)

    def _column_preproc(self, table: str, col: str) -> ColumnPreproc:
        """A fresh preprocessor for a fit: a copy of the one given in `preprocessors` (never fitted in
        place, so a fit never turns it into a "public domain" for the next one: a DP fit keeps a given
        preprocessor that holds categories or edges as public, at no cost), else the default."""
        given = self.overrides.get(table, {}).get(col)
        return copy.deepcopy(given) if given is not None else self._default_preproc(table, col)

    def _default_preproc(self, table: str, col: str) -> ColumnPreproc:
        kind = self.schema.tables[table].columns[col].kind
        if kind in _NUMERIC_KINDS:
            return NumericPreproc(n_bins=self.n_bins, kind=_NUMERIC_KINDS[kind], min_count=self.min_count)
        if kind is Column.BOOLEAN:  # its two values are public: one stands for <rare> where neither is frequent
            return CategoricalPreproc(min_count=self.min_count, type_values=[False, True])
        return CategoricalPreproc(min_count=self.min_count)

    # ---- fit -------------------------------------------------------------------------------
    def fit(
        self,
        data: RelationalData,
        dp: DpBudget | None = None,
        public: Mapping[str, Sequence | tuple[float, float]] | None = None,
    ) -> TabularPreproc:
        """Fit on `data`. `dp=DpBudget(...)`: with DP mechanisms spending `dp.preproc_part` of the
        budget (see `relsynth.synth.tabular._dp_fit`); the spend is kept in `stats["dp"]` for the trainer.
        `public` (DP only): what is known without the data, used at no cost, the caller's
        responsibility: {"table.column": [categories or values], "table.column": (lo, hi)}."""
        self.orderings, self.sibling_keys = {}, {}  # never under DP: read from private data at no cost
        # the user's preprocessors alone: a previous fit's fallbacks were read from its data, not this one's
        self.overrides = {t: dict(cols) for t, cols in self.preprocessors.items()}
        self.past_float = past_float(data)
        self._ignore_row_key_copies(data)
        if dp is not None:
            return _dp_fit.fit_dp(self, data, dp, public=public)
        if public is not None:
            raise ValueError("public= declares what a DP fit may use for free: give it with dp=DpBudget(...)")
        self._check_data(data)
        self._binned_categories(data)  # numbers and dates no value of which is frequent: binned as numbers
        shapeless = self._shapeless_columns(data)  # drawn fresh in their shapes: left out of the model
        for table, cols in shapeless.items():
            self.overrides.setdefault(table, {}).update(dict.fromkeys(cols))
        raw, data = data, self._as_generated(data)  # the rules below read what generation writes
        for note in key_like_columns(data):  # keys modelled as numbers name no generated row
            log.warning(note)
        # totals first: a sum is set after generation, so it may be neither an ordered column nor a base
        totals = find_totals(self, data)
        # ... but a sum its row's formula gives too (valid = cast - invalid ballots) is that formula, its rows split it
        split_totals = formula_totals(self, data, totals)
        totals = [t for t in totals if t not in split_totals]
        summed = {(t["table"], t["column"]) for t in totals}
        above: dict[str, tuple[pd.DataFrame | None, dict]] = {}
        running: list[dict] = []
        if self.keep_orders:  # a balance after each transaction, its siblings in the sibling key's order
            self.sibling_keys = self._sibling_keys(data, summed)
            running = find_running_sums(self, data, summed)
            summed |= {(r["table"], r["column"]) for r in running} | before_columns(running)
        later = set(summed)  # set after generation: a formula reading one is set again then
        formulas = find_formulas(self, data, summed)  # set after generation too: out of the orders as well
        formulas = without_step_formulas(formulas, running)  # a step of a running sum is generated, not computed
        summed |= {(f["table"], f["column"]) for f in formulas}
        whole_years = find_whole_years(self, data, summed)  # an age on a date: set once the dates are final
        summed |= {(r["table"], r["column"]) for r in whole_years}
        running = without_floor_on_formulas(running, formulas)  # a formula set again would undo a shortened step
        if self.keep_orders:
            unsettled = summed - self._settled_formulas(formulas)  # a child's date or number may follow those
            above = {t: self._parent_values(data, t, unsettled) for t in self.schema.synth_tables}
            self.orderings = {
                t: found for t in self.schema.synth_tables if (found := self._find_orderings(data, t, above, summed))
            }
            self.sibling_keys = self._sibling_keys(data, summed)
            running = [r for r in running if r["key"] == self.sibling_keys.get(r["table"])]  # summed in that order
            self._offsets_after_siblings(data, above)
            self.orderings = {t: with_cap_gaps(f, data[t], above[t][0]) for t, f in self.orderings.items()}
            self._running_after_siblings(data, summed)
        ordered = self._ordered_columns()  # what the orders within rows set or read: others leave it be
        formulas = without_ordered_dividends(formulas, ordered)
        formulas = without_ordered_late_formulas(formulas, ordered, later)  # a payment under its order's total due
        spelled = find_spelled_values(self, data)  # a lab value's text spelling its number: <rare> generated

        offset_tables: dict[str, pd.DataFrame] = {}  # each table's offsets, computed once for all its ordered columns

        # a series' stepped date's month, a field the model reads beside it (`series_calendars`)
        calendars = find_series_calendars(self, data) if self.keep_orders else []
        derived = {(r["table"], r["column"]): r for r in calendars}

        def fit_column(table: str, col: str) -> ColumnPreproc:
            if (rule := derived.get((table, col))) is not None:
                label = calendar_label(data[table][rule["date"]], rule["part"])
                return CategoricalPreproc(min_count=self.min_count).fit(label.rename(f"{table}.{col}"))
            pre = fit_values(table, col)
            if data.whole and data.whole.nulls[table].get(col) and hasattr(pre, "has_missing"):
                pre.has_missing = True  # nulls of the whole database the sample missed: generated too
            if (table, col) in spelled_columns(spelled) and isinstance(pre, CategoricalPreproc):
                pre.rare_spelled = True  # a rare value is a number of its row, written from it
            return pre

        def fit_values(table: str, col: str) -> ColumnPreproc:
            order = self.orderings.get(table, {}).get(col)
            if order is not None and not order.loose:  # its offset from the column it follows (`orderings`)
                if table not in offset_tables:
                    siblings = self._siblings(data[table], table)
                    offset_tables[table] = with_offsets(data[table], self.orderings[table], above[table][0], siblings)
                pre = NumericPreproc(n_bins=self.n_bins, kind="numeric", min_count=self.min_count)
                on_bound = (1.0,) if order.bound else ()  # a row ending on its bound (`_last_nulls` at_bound)
                return pre.fit(offset_tables[table][col].rename(f"{table}.{col}"), keep=on_bound)
            pre = self._column_preproc(table, col)
            if (lookup := self.schema.lookup_fks(table).get(col)) is not None and isinstance(pre, CategoricalPreproc):
                pre.rare_keys = data[lookup][self.schema.tables[lookup].primary_key].dropna().tolist()  # public
            whole = data.whole and data.whole.value_counts.get(table, {}).get(col)  # a sample's (`SQLSource.sample`)
            if whole is not None and isinstance(pre, CategoricalPreproc):
                return pre.fit(data[table][col].rename(f"{table}.{col}"), whole=whole)
            if isinstance(pre, NumericPreproc) and pre.kind in ("numeric", "integer"):
                # a label's few values (a fee of 2.50, 5.00 or 10.00 among amounts of any size): tokens too
                kinds = self.schema.tables[table].columns
                labels = [c for c in self.modelled_columns(table) if kinds[c].kind is Column.CATEGORICAL]
                keep = label_points(data[table], col, labels, self.min_count)
                return pre.fit(data[table][col].rename(f"{table}.{col}"), keep=keep)
            return pre.fit(data[table][col].rename(f"{table}.{col}"))

        def fit_count(table: str, child: str) -> ColumnPreproc:
            whole = data.whole.child_counts[child] if data.whole else None  # a sample's (`SQLSource.sample`)
            return CountPreproc(max_exact=self.max_exact_count, min_count=self.min_count).fit(
                pd.Series(child_counts(data, self.schema, child)), whole=whole
            )

        self._build_layouts(data, fit_column, fit_count, calendars)
        self.fitted = True
        dependencies = find_dependencies(self, data)  # after the layouts: their categories are the tokens
        lengths = entity_lengths(self, data)  # not self.transform(data): fit stays light on large data
        rows = _table_rows(data, self.tables)
        signs, ranges = find_sign_labels(self, data), find_range_labels(self, data)  # before the intervals: theirs
        # numbers a label marks as copies of one further up (after the layouts): no sum scaled after them takes them
        flagged = find_flagged_copies(self, data, summed | ordered, self._settled_formulas(formulas))
        copied = copied_columns(self.schema, flagged)  # decoded before the sums: a part scaled after breaks its copy
        self.stats = {
            "max_entity_len": int(lengths.max()) if len(lengths) else 0,
            "root_shares": {r: rows[r] / sum(rows[x] for x in self.schema.roots) for r in self.schema.roots},
            # rows per root entity of each table: the totals a generated database aims for (_sizes)
            "rows_per_root": {t: rows[t] / max(sum(rows[r] for r in self.schema.roots), 1) for t in self.tables},
            "key_dates": {  # keys numbered in the order of a date, as the source's are (`key_date`)
                t: d
                for t in self.schema.synth_tables
                if (pk := self.schema.tables[t].primary_key) is not None
                and (d := key_date(data[t], pk, self.schema.tables[t].cols_of(Column.DATE, Column.DATETIME)))
                is not None
            },
            "pk_formats": {
                t: pk_format(data[t][pk], data[t][self.schema.tables[t].cols_of(Column.DATE, Column.DATETIME)])
                for t in self.schema.synth_tables
                if (pk := self.schema.tables[t].primary_key) is not None
            },
            "identifiers": {  # codes drawn fresh in their format (`_identifiers`)
                t: self._identifier_formats(data, t, raw[t][shapeless.get(t, [])])
                for t in self.schema.synth_tables
                if self.schema.tables[t].cols_of(Column.IDENTIFIER) or t in shapeless
            },
            # lookups are copied as they are, so a saved model can generate on its own
            "lookups": {t: records(data[t]) for t in self.schema.lookups},
            "formats": data.formats,  # the source's dtypes and spellings, restored by to_dir
            "references": reference_stats(self, data, summed),  # keys that do not nest their rows (`_references`)
            "parent_copies": parent_copies(self, data),  # values a row copies from its parent row (a ship city)
            # link tables whose keys never repeat together, and the composite keys the source declares
            # ... and tables keyed by a surrogate nothing names, linking rows (a bond's atoms: `keyed_links`)
            "unique_links": (links := unique_links(data) | declared_links(data)) | keyed_links(data),
            "row_numbers": row_numbers(data, links),  # a key's number counting its group's rows (1..n)
            "mirrored_links": mirrored_links(data, links),  # link tables storing each pair both ways (friends)
            "key_orders": key_orders(data),  # two references to one table in order in every row (a < b)
            "totals": totals,  # numbers that sum their rows' numbers (`_totals`)
            "running_sums": running,  # numbers that are the previous sibling's plus a number of their row
            "sign_labels": signs,  # labels that follow the sign of a number (DEBIT, CREDIT)
            "range_labels": ranges,  # ... or whether it is within a range (a lab's flag)
            # ... or which interval of a number or a share it lies in (a grade's A from 90 % of the maximum)
            "interval_labels": (
                intervals := find_interval_labels(self, data, {(r["table"], r["column"]) for r in signs + ranges})
            ),
            "date_parts": (parts := find_date_parts(self, data)),  # a calendar's day name, month, quarter of its date
            # ... or which side of a cut of a date they lie on, several to a side (a policy expired, or active)
            "cut_labels": find_cut_labels(
                self, data, {(r["table"], r["column"]) for r in signs + ranges + intervals + parts}
            ),
            "series_calendars": calendars,  # ... or a field outside the schema: a stepped date's month
            "month_steps": find_month_steps(self, data),  # a policy's end, 12 months after its start less a day
            "held_days": find_held_days(self, data) if self.keep_orders else [],  # a stock's trading days, every one
            "spelled_values": spelled,  # texts spelling a number of their row (a lab value's '0.94')
            "formulas": formulas,  # numbers computed from earlier numbers of their row (`_formulas`)
            "whole_years": whole_years,  # whole years between two dates of the row or its parent (an age)
            "balanced_sums": find_balanced_sums(self, data, summed),  # an entry's debits sum to its credits
            # numbers their child rows split where they have any (an approved amount paid in parts)
            "split_sums": (
                split := find_split_sums(
                    self,
                    data,
                    summed - {(t["table"], t["column"]) for t in split_totals},
                    unscaled := self._ordered_reads() | copied,  # read by an order, or a copy's: no sum scales it
                )
            ),
            # ... or a fixed whole, where no number of the parent holds it (allocations adding up to 100 %)
            "constant_sums": (constant := find_constant_sums(self, data, summed, unscaled, split)),
            # ... or at most a fixed whole, piled under it (a country's languages: at most 100 % of its people)
            "capped_sums": (
                capped := find_capped_sums(
                    self,
                    data,
                    summed | unscaled | {(r["child"], r["of"]) for r in split},
                    constant,
                )
            ),
            # ... or at most a number of the parent row (a country's cities' populations: at most its own),
            # decoded before the sums above: neither a number nor its bound may be a part they scale after
            "bounded_sums": find_bounded_sums(
                self,
                data,
                summed | self._not_lowered(summed) | (parts := _scaled_parts(split, constant + capped)) | copied,
                summed | parts,
            ),
            "dependencies": dependencies,  # categories that follow from an earlier one of their row (`_dependencies`)
            # ... or numbers some of its labels fix to one exact value (an Antarctic territory's population, 0)
            "category_points": find_category_points(
                self, data, summed | {(d["table"], d["column"]) for d in dependencies}
            ),
            "parent_dependencies": find_parent_dependencies(self, data),  # ... or of their parent row
            # within a lookup row's range; a base of orders within rows only moved the way that keeps them,
            # and a date an order writes from its user's signup moved later (a lookup row is no base of it)
            "lookup_capacities": find_lookup_capacities(self, data),  # a leg's vehicle carries its shipment's weight
            "lookup_orders": find_lookup_orders(
                self, data, summed | ordered, movable := self._movable_bases(summed, True)
            ),
            # within the range of the lookup row their parent names, clipped: an amount rising from the last one
            # stays so (a salary history within its employee's grade); none in older models
            "parent_lookup_ranges": find_parent_lookup_ranges(
                self, data, summed | self._ordered_columns(but_after_itself=True)
            ),
            # on their side of a year a whole number of their row or parent row holds (a copy acquired no earlier
            # than its book's publication year); none in older models
            "year_sides": find_year_sides(self, data, summed),
            # on their side of the row a reference names where pairing could not keep it (a payment after its rental)
            "reference_sides": find_reference_sides(self, data, summed | ordered, movable),
            # dates on their side of a date further up than their parent's row (a return after its order); a
            # column an order writes from such a date already keeps it
            "ancestor_orders": find_ancestor_orders(
                self, data, summed | ordered, self._movable_bases(summed), self._shiftable_sequences(summed)
            ),
            "distinct": find_distinct(self, data),  # categories never equal to an earlier one of their row
            "lookup_links": find_lookup_links(data),  # two lookup keys never equal, repeated or in a cycle (parts)
            "lookup_matches": find_lookup_matches(self, data),  # a scorer of one of its match's two teams
            # categories and numbers never beside an earlier category (a man's pregnancy, another drug's dose)
            "never_pairs": find_never_pairs(self, data, summed),
            # numbers within the range of their row's category (a lab value within its test's)
            "category_ranges": find_category_ranges(self, data, summed | ordered),
            # ... or of their ratio to another number of their row (a premium's rate of its limit, per product)
            "ratio_ranges": find_ratio_ranges(self, data, summed | ordered),
            # ... or a whole multiple of a number further up (a payment, its film's rental rate once or twice)
            # (or of one of its row: a prescription's quantity, its days' supply times 1 or 2 tablets a day)
            "whole_multiples": find_whole_multiples(self, data, summed, ordered, self._lone_orders()),
            # ... or one value per pair of categories of its row (a leg's distance, per origin and destination)
            "pair_values": find_pair_values(self, data, summed | ordered),
            # ... or equal to a number further up in the rows a label marks (an accepted offer's, the sale price)
            # (or to the number of a sibling row, of a table one a parent row: an account's loan's payments)
            "flagged_copies": flagged,
            # dates a time after another that their row's or parent's category sets (a child's loan due in 21 days)
            "category_gaps": find_category_gaps(self, data, summed | self._order_bases()),
            # ... and written with their category's decimals (whole yen beside cents)
            "category_decimals": (decimals := find_category_decimals(self, data, summed)),
            # ... and ending as the data's values mostly do (prices at .99 and .00)
            "number_endings": find_number_endings(self, data, summed | ordered, decimals),
            "null_rules": find_null_rules(self, data),  # columns missing exactly where an earlier category says
            # ... or a later one (a claim's closed date, missing while its later status is OPEN)
            "later_null_rules": find_later_null_rules(self, data),
            "null_cuts": find_null_cuts(self, data),  # ... or on one side of a number of their row (`_null_cuts`)
            "last_nulls": find_last_nulls(self, data),  # columns missing only in their parent's last row
            "last_labels": find_last_labels(self, data),  # labels their last child row holds (a status)
            "edge_labels": find_edge_labels(self, data),  # labels kept to or off a parent's first and last rows
            "sorted_siblings": find_sorted_siblings(self, data),  # a date the rows are stored in order of (calls)
            "sibling_numbers": find_sibling_numbers(self, data, summed),  # an integer numbering them 1..n (a line's)
            # child tables a category (or a number's exact value) says a row has none of, or some
            "count_rules": find_count_rules(self, data, frozenset(summed)),
            # child counts numbers of the row give (goals, scores)
            "count_sums": (count_sums := find_count_sums(self, data, summed)),
            # ... or cap (a prescription's fills, its refills + 1), of numbers no rule sets
            "count_caps": find_count_caps(self, data, summed | {(r["table"], c) for r in count_sums for c in r["of"]}),
            "unique_labels": (unique := find_unique_labels(self, data)),  # labels never repeated under one parent row
            "ancestor_unique_labels": find_ancestor_unique_labels(self, data),  # ... under one row further up (a seat)
            "once_labels": (once := find_once_labels(self, data, unique)),  # single values of such a column (one owner)
            # ... or under a row further up (a sold listing's one accepted offer, under its viewings)
            "ancestor_once_labels": find_ancestor_once_labels(self, data),
            "shared_labels": find_shared_labels(self, data, once),  # ... never across two columns (home, away teams)
            "unique_label_pairs": find_unique_label_pairs(self, data, unique),  # one lesson a (weekday, period)
            "lookup_slots": find_lookup_slots(self, data),  # a lookup's teacher in one lesson a slot, any class
            "ordered_labels": find_ordered_labels(self, data, unique),  # labels whose order siblings follow
            "changed_rows": (changed := find_changed_rows(self, data)),  # rows changing a label of the one before
            # ... and values kept from it while a label is (a version's credit limit, while its segment)
            "carried_values": find_carried_values(self, data, summed | self.past_float, changed),
            # ... or a label of it at another column (a leg's origin, the previous leg's destination)
            "chained_labels": find_chained_labels(self, data, summed),
        }
        # numbers whose rows add up to a sibling table's sum under their parent row (an order's payments, to its
        # items' price + freight), where no rule above sets, scales or reads them in an order
        sum_rules = [
            r for k in ("constant_sums", "capped_sums", "bounded_sums", "balanced_sums") for r in self.stats[k]
        ]
        self.stats["sibling_sums"] = find_sibling_sums(
            self,
            data,
            summed | unscaled | {(r["child"], r["of"]) for r in split} | _sum_parts(sum_rules),
            later | _sum_parts(self.stats["balanced_sums"]),
        )
        self._children_named_by_keys()
        # numbers near the line another number of their row draws (a price with tax from the one without),
        # where no rule above sets, clips or reads either
        self._unsplit_totals_back(split_totals)
        # a label on the row of the most of a number under its parent (a precinct's winner), where no rule sets it
        # nor decides it from another column of its row, nor which of its row's columns are missing (a
        # work order's completion date, held when done only): a swap would break that
        paired = {(r["table"], r[k]) for r in self.stats["dependencies"] for k in ("column", "of")}
        paired |= {(r["table"], r["of"]) for r in self.stats["null_rules"] + self.stats["later_null_rules"]}
        self.stats["extreme_labels"] = find_extreme_labels(self, data, summed | set_columns(self.stats) | paired)
        # ... or on the parent row, the label of its row of the most (a precinct's winning party)
        self.stats["parent_extremes"] = find_parent_extremes(self, data, summed | set_columns(self.stats) | paired)
        # ... or set from its child rows (an item sold iff it has bids, the highest at its reserve), where no rule
        # sets it nor a dependency decides it from another column of its row
        dependent = {(r["table"], r[k]) for r in self.stats["dependencies"] for k in ("column", "of")}
        self.stats["child_labels"] = find_child_labels(self, data, summed | set_columns(self.stats) | dependent)
        # ... and a key naming its scope's row of the most, far above chance (a country's capital, its largest city)
        self.stats["extreme_keys"] = find_extreme_keys(self, data)
        # ... or naming what its child row of the most names (an auction's winner, the bidder of its highest bid)
        self.stats["extreme_row_keys"] = find_extreme_row_keys(self, data)
        self.stats["linear_pairs"] = find_linear_pairs(self, data, summed | ordered | self._number_rule_columns())
        self.stats["none_boxes"] = find_none_boxes(self, data, summed | ordered)  # a survey's 'None of these'
        # an alarm within its device's readings' span, once every rule above says what it reads or moves
        self.stats["sibling_spans"] = find_sibling_spans(self, data, self._unmovable(summed))
        # a death on or after its patient's admissions and discharges
        null_ruled = self.stats["null_rules"] + self.stats["later_null_rules"] + self.stats["null_cuts"]
        kept_missing = {(r["table"], r["column"]) for r in null_ruled}
        # ... or never missing under some labels of an earlier category, at will under others (a first response)
        self.stats["held_rules"] = find_held_rules(self, data, kept_missing)
        # ... or held on one side of a number only, missing at will there (snow only below 2 °C)
        last_missing = {(r["table"], r["column"]) for r in self.stats["last_nulls"]}
        self.stats["held_sides"] = find_held_sides(self, data, kept_missing | last_missing)
        # ... or missing only past a date of their row, held at will there (an order not shipped yet), where
        # no other column follows their value or missing (`paired`: a ship_via filled or cleared after its
        # null rule wrote shipped_date, 253 of 1,000 orders held one of the two only)
        sided = {(r["table"], r["column"]) for r in self.stats["held_sides"]}
        self.stats["late_nulls"] = find_late_nulls(self, data, kept_missing | last_missing | sided | paired)
        self.stats["parent_ends"] = find_parent_ends(self, data, self._counted_from(summed), kept_missing)
        # a room's bookings, never two at once, where no rule above moves their dates across rows
        self.stats["disjoint_intervals"] = find_disjoint_intervals(self, data)
        # a refill its prescription's days_supply after the fill before, where no rule above sets the date
        fixed = summed | set_columns(self.stats)
        self.stats["step_numbers"] = find_step_numbers(self, data, fixed, only_lowering(self.stats) - summed)
        # a value its row's place among its parent's rows and their count decide (an assessment's weight)
        self.stats["place_values"] = find_place_values(self, data, summed | set_columns(self.stats))
        # a subscription ending on the next one's start, where no rule above moves either date after decoding
        self.stats["next_starts"] = find_next_starts(self, data)
        # ... which no lay-out need keep apart: joined, they cannot overlap, and one drops rows it finds no room for
        self.stats["disjoint_intervals"] = without_joined(self.stats["disjoint_intervals"], self.stats["next_starts"])
        self.stats["sibling_spans"] = spans_without_joined(self.stats["sibling_spans"], self.stats["next_starts"])
        # ... whose last periods, in sibling tables, end together (an employee's salaries, titles and departments)
        self.stats["last_ends"] = find_last_ends(self, data)
        # a department's managers, one at a time, where no rule above moves their dates across rows
        self.stats["keyed_intervals"] = find_keyed_intervals(self, data)
        # an integer written inside a code of its row (a seat 12C's row 12), where no rule above sets or numbers it
        numbered = {(r["table"], r["column"]) for r in self.stats["sibling_numbers"]}
        self.stats["code_numbers"] = find_code_numbers(self, data, summed | numbered)
        # a code that extends another of its row (a company's domain, its name and `.com`)
        self.stats["prefixed_codes"] = {
            t: found
            for t in self.schema.synth_tables
            if (found := prefixed_codes(data[t], self.schema.tables[t].cols_of(Column.IDENTIFIER), self.min_count))
        }
        # ... or is built from values of its row (a country's code2, its code's first two letters)
        self.stats["derived_codes"] = {
            t: found for t in self.schema.synth_tables if (found := self._derived_codes(data, t))
        }
        # times of day within hours (a warehouse's 07:00 to 18:00), where no rule orders or moves the column
        hours_only = after_whole_days(data, self._date_moving_rules())  # a receipt after its store's opening day
        compared = self._compared_dates() - hours_only
        early = self._calendar_first(data, compared)
        self.stats["times_of_day"] = find_times_of_day(self, data, compared, early, hours_only)
        # numbers at most a difference, sum or share of others of their row or further up (approved <= claimed
        # - deductible, a bonus <= 30 % of the salary), where no later rule sets or scales them (`_inequalities`)
        scaled = {(r["child"], r["of"]) for r in self.stats["split_sums"]} | {
            (r["table"], c)
            for k in ("constant_sums", "capped_sums", "bounded_sums", "balanced_sums", "sibling_sums")
            for r in self.stats[k]
            for c in _as_list(r["of"])
        }
        # ... nor set to a value above them (a payment, its film's rate times 1 to 3; an accepted offer, the price)
        scaled |= {(r["table"], r["column"]) for k in ("whole_multiples", "flagged_copies") for r in self.stats[k]}
        # ... nor the number of its row a multiple is set from (a quantity's days' supply): it moves after
        scaled |= {(r["table"], r["of"]) for r in self.stats["whole_multiples"] if not r.get("above", True)}
        # ... nor kept near a number of the row a key names (a listing's longitude, its city's): a bound of its
        # own row's numbers holds of the referenced rows' values, and moving it breaks the gap
        scaled |= {
            (r["table"], r["column"])
            for k in ("lookup_orders", "reference_sides")
            for r in self.stats[k]
            if r.get("near")
        }
        # a formula on some labels' rows only (scrap once done) is drawn free on the others: kept below there too
        labelled = {(f["table"], f["column"]) for f in self.stats["formulas"] if f.get("where")}
        self.stats["inequalities"] = find_inequalities(self, data, (summed - labelled) | scaled)
        # labels a calendar sets (a holiday week, the same for every store), where no other rule sets the column
        self.stats["calendar_labels"] = find_calendar_labels(self, data, summed | set_columns(self.stats))
        # values cousins share (a due date per course and assignment), where no other rule sets the column
        self.stats["shared_values"] = find_shared_values(self, data, summed | set_columns(self.stats))
        # numbers no two rows of a table share (a chart's account codes), where no other rule sets, moves or reads them
        # (within their category's range where they keep one: an asset's code among the 1000s)
        self.stats["unique_numbers"] = find_unique_numbers(
            self,
            data,
            summed | ordered | scaled | self._number_rule_columns(but="category_ranges") | set_columns(self.stats),
            self.stats["category_ranges"],
        )
        # a journal entry's debit lines before its credit lines, where no rule above reads the rows' order
        self.stats["held_first"] = find_held_first(self, data)
        # a payment's multiple of its film's rate counting the rental periods its rental began
        self.stats["period_counts"] = find_period_counts(self, data, self.stats["whole_multiples"])
        # last, so the rules above read the caps as they were: a cap a parent's end moves past is no cap
        self.orderings = without_moved_caps(self.stats["parent_ends"], self.orderings)
        # a formula on some labels' rows only where no rule sets the label once the formulas are set (a
        # status from the share produced): the rows it holds on would change after it
        relabelled = set_columns(self.stats)
        self.stats["formulas"] = [
            f for f in self.stats["formulas"] if (f["table"], (f.get("where") or {}).get("column")) not in relabelled
        ]
        # a salary rising 0-10 % from the year before, where no rule above sets, moves or reads it
        busy = summed | self._number_rule_columns() | named_by_rules(self.stats, self.schema.tables)
        self.stats["rising_steps"] = find_rising_steps(self, data, busy)
        return self

    def _number_rule_columns(self, but: str | None = None) -> set[tuple[str, str]]:
        """(table, column) that a rule keeping a number by its row's values clips, sets or reads
        (`category_ranges`, `ratio_ranges`, `whole_multiples`, `pair_values`, `flagged_copies`):
        a line moving one after them would undo them. `but`: a kind left out (one the caller keeps)."""
        kinds = ("category_ranges", "ratio_ranges", "whole_multiples", "pair_values", "flagged_copies")
        kinds = tuple(k for k in kinds if k != but)
        return {
            (r["table"], c)
            for k in kinds
            for r in self.stats.get(k, [])
            for key in ("column", "of", "by")
            if r.get(key) is not None
            for c in _as_list(r[key])
        }

    def _compared_dates(self) -> set[tuple[str, str]]:
        """(table, column) that an order within rows, or a rule moving dates across rows, reads or
        writes with another column: a column ordered only after its own previous sibling's value
        (a movement after the one before) is not."""
        moved = named_columns(self.schema, self._date_moving_rules())
        return self._ordered_columns(but_after_itself=True) | moved

    def _date_moving_rules(self) -> list[dict]:
        """The fitted rules that move dates across rows (a receipt after its store's opening)."""
        rules = ("ancestor_orders", "lookup_orders", "reference_sides", "sibling_spans", "parent_ends")
        return [r for key in rules for r in self.stats.get(key, [])]

    def _calendar_first(self, data: RelationalData, compared: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(table, column) -> how the `compared` dates are kept on their hours as their table's orders
        are decoded (`_times_of_day` early), where no rule across rows moves them and they are in or
        read by no sequence of siblings or near order: "map" (weekdays and hours) where counted from no
        base or from one keeping no hours or weekdays of its own (a booking's start from its creation),
        else "clip" into its hours alone (its end, counted from the start by its length)."""
        rules = ("ancestor_orders", "lookup_orders", "reference_sides", "sibling_spans", "parent_ends")
        moved = named_columns(self.schema, [r for key in rules for r in self.stats.get(key, [])])
        moved |= {(r["table"], r["column"]) for r in self.stats.get("category_gaps", [])}
        for table, found in self.orderings.items():
            parent = edge.parent if (edge := self.schema.parent(table)) else table
            for o in found.values():
                if o.after_sibling or o.near or o.loose or o.sibling_base is not None:
                    moved |= {(table, o.column), (parent if o.from_parent else table, o.base)}
                    moved |= {(table, o.sibling_base)} if o.sibling_base else set()
        out = {}
        for table, col in compared - moved:
            o = self.orderings.get(table, {}).get(col)
            out[(table, col)] = "map"
            if (
                o is not None
                and o.origin is None
                and keeps_calendar(data[(at := base_of(self.schema, table, o))[0]][at[1]])
            ):
                out[(table, col)] = "clip"
        return out

    def _shapeless_columns(self, data: RelationalData) -> dict[str, list[str]]:
        """table -> its categorical columns of text that no value `min_count` rows hold (a host's IP
        address declared categorical, a string part of a composite key, an SQL enum of hundreds of
        labels): a category model has nothing to write there but the protected `<rare>`, so they
        came back all null. They are drawn fresh instead, as identifiers are (`identifier_format`):
        a shape, a constant run, a label of a run each held by `min_count` values, digits drawn in
        their range or counted on past it, where a drawn code falls on a value of the data at most
        REPLAY_SHARE of the time (`replay_share`: not L0..L9, 3 rows each, which it would write whole,
        nor a tiny table's values, which no shape of `min_count` values holds), or whatever that share
        where the source declares the column NOT NULL: all null, to_sql refused the whole database (L0..L9
        declared categorical, 3 rows each), and a fresh code is never a value of the data
        (`known_codes`: redrawn, else `<column>_<n>`); or, where the source lists the labels (an
        enum, CHECK IN: public, as the schema), among those (`listed_format`).
        Not a column given a preprocessor or left out, nor the context's, nor one that spells a
        number of its row (written from it: `spelled_values`); never under DP (read from the values)."""
        found: dict[str, dict[str, float]] = {}
        for table, col in self._categories_without_one(data, kind="text"):
            share = self._replay_share(data, table, col)
            if share <= REPLAY_SHARE or col in data.not_null_columns(table):
                found.setdefault(table, {})[col] = share
        if found:  # a lab value's texts ('141', '0.94') beside its number: those are written from it
            spelled = spelled_columns(find_spelled_values(self, data))
            found = {
                t: kept
                for t, cols in found.items()
                if (kept := {c: v for c, v in cols.items() if (t, c) not in spelled})
            }
        for table, cols in found.items():
            for col, share in cols.items():
                log.warning(
                    "%s.%s: no value appears %d+ times, so as a category it would be generated all missing: %s "
                    "instead (as an identifier; declare it identifier to say so, or text if it holds free text)",
                    table,
                    col,
                    self.min_count,
                    _fresh_how(
                        share,
                        bool(declared_list(data.formats, table, col)),
                        col,
                        declared_lengths(data.formats, table, col)[1],
                    ),
                )
        return {t: list(cols) for t, cols in found.items()}

    def _binned_categories(self, data: RelationalData) -> None:
        """Model as numbers (`NumericPreproc`: quantile bins, a rare value never replayed whole) the
        categorical columns of numbers, dates or datetimes no value of which `min_count` rows hold
        (an all-distinct integer code declared `Categorical()`, a score, a day): a category model has
        nothing to write there but the protected `<rare>`, so they came back all null. Given as a
        preprocessor (`overrides`), so no rule reads them as labels; not a column given one or left
        out, nor the context's; never under DP (read from the values: `fit_dp` returns before)."""
        for table, col in self._categories_without_one(data, kind="number"):
            kind = _number_kind(data[table][col], data.formats, table, col)
            self.overrides.setdefault(table, {})[col] = NumericPreproc(
                n_bins=self.n_bins, kind=kind, min_count=self.min_count
            )
            log.warning(
                "%s.%s: no value appears %d+ times, so as a category it would be generated all missing: "
                "modelled as %s values instead (binned; declare it %s to say so)",
                table,
                col,
                self.min_count,
                kind,
                kind,
            )

    def _categories_without_one(self, data: RelationalData, kind: str) -> list[tuple[str, str]]:
        """(table, column) of the categorical columns of `kind` with no category to model (`_no_category`)
        that the fit may model otherwise itself (`_binned_categories`, `_shapeless_columns`): not a
        column given a preprocessor or left out (`overrides`, so not one an earlier of those took), nor
        the context's."""
        out = []
        for table in self.schema.synth_tables:
            skipped = set(self.overrides.get(table, {})) | self.given_columns(table)
            cols = self.schema.tables[table].cols_of(Column.CATEGORICAL)
            out += [(table, c) for c in cols if c not in skipped and self._no_category(data, table, c, kind)]
        return out

    def _replay_share(self, data: RelationalData, table: str, col: str) -> float:
        """About the share of codes drawn fresh for `table.col` that fall on a value of its (`replay_share`);
        0 where its source lists its labels (public)."""
        if declared_list(data.formats, table, col):
            return 0.0
        values, whole = data[table][col], data.whole
        scale = whole.rows[table] / len(values) if whole and len(values) else 1.0
        ends = _whole_ends(whole, table, col) if whole else ()
        fmt = identifier_format(
            values, self.min_count, ends=ends, scale=scale, lengths=declared_lengths(data.formats, table, col)
        )
        return replay_share(fmt, values.nunique() * scale)

    def _no_category(self, data: RelationalData, table: str, col: str, kind: str = "text") -> bool:
        """Whether `table.col`'s values are text (`kind="number"`: numbers or dates, `_number_kind`) of
        which no value `min_count` rows hold (of the whole database, on a sample of it: `SQLSource.sample`)."""
        values = data[table][col]
        if not values.notna().any():
            return False
        if kind == "text" and pd.api.types.infer_dtype(values, skipna=True) != "string":
            return False
        if kind == "number" and _number_kind(values, data.formats, table, col) is None:
            return False
        whole = data.whole and data.whole.value_counts.get(table, {}).get(col)
        with warnings.catch_warnings():  # its warning says what this fit no longer does
            warnings.simplefilter("ignore")
            pre = CategoricalPreproc(min_count=self.min_count).fit(values, whole=whole)
        return not pre.categories

    def _identifier_formats(
        self, data: RelationalData, table: str, fresh: pd.DataFrame | None = None
    ) -> dict[str, dict]:
        """Each identifier column's format (`identifier_format`), a counter read against the row's key,
        shapes told by a category or lookup key of the row (an IBAN's country) fitted per value of it;
        on a sample (`SQLSource.sample`), its numbers' range and density and its null rate those of the
        whole database (a sample may hold none of its nulls). `fresh`: the values of the categorical
        columns drawn as identifiers (`_shapeless_columns`), null in `data` as generation writes them."""
        pk = self.schema.tables[table].primary_key
        keys = None if pk is None else data[table][pk]
        # categories and lookup keys (a customer's country, a row of a countries lookup)
        labels = data[table][
            self.schema.tables[table].cols_of(Column.CATEGORICAL) + list(self.schema.lookup_fks(table))
        ]
        if (edge := self.schema.parent(table)) is not None:  # ... or the parent row's (an invoice's customer's)
            parent = self.schema.tables[edge.parent]
            cols = parent.cols_of(Column.CATEGORICAL) + list(self.schema.lookup_fks(edge.parent))
            labels = labels.join(parent_labels(data[table][edge.fk], data[edge.parent], parent.primary_key, cols))
        dates = data[table][self.schema.tables[table].cols_of(Column.DATE, Column.DATETIME)]
        whole = data.whole
        scale = whole.rows[table] / len(data[table]) if whole and len(data[table]) else 1.0
        fresh = data[table][[]] if fresh is None else fresh
        values = {c: data[table][c] for c in self.schema.tables[table].cols_of(Column.IDENTIFIER)} | dict(fresh.items())
        return {
            c: {
                **(
                    listed_format(v, listed)
                    if c in fresh and (listed := declared_list(data.formats, table, c))
                    else identifier_format(
                        v,
                        self.min_count,
                        keys,
                        labels,
                        dates,
                        ends=_whole_ends(whole, table, c) if whole else (),
                        scale=scale,
                        lengths=declared_lengths(data.formats, table, c),
                        integers=data[table][self.schema.tables[table].cols_of(Column.INTEGER)],
                    )
                ),
                **({} if c in fresh and declared_list(data.formats, table, c) else known_codes(v)),
                **self._identifier_nulls(data, table, v),
                **code_repeats(v, data[table][self._single_fks(table)]),
                **(
                    {"null_rate": whole.nulls[table].get(c, 0) / whole.rows[table]}
                    if whole and whole.rows[table]
                    else {}
                ),
            }
            for c, v in values.items()
        }

    def _single_fks(self, table: str) -> list[str]:
        """`table`'s foreign keys of one column (its parent's, its references')."""
        return [c for c in self.schema.tables[table].foreign_keys if c in self.schema.tables[table].columns]

    def _identifier_nulls(self, data: RelationalData, table: str, values: pd.Series) -> dict:
        """{"null_by", "null_groups"}: the null rate of an identifier per token of the row's field
        that best tells (a shipment's tracking number, null on every other event), or of its parent
        row's (an order line's tracking number, null on online orders), read as a reference's null
        share is (`_references.fit.null_by`); {} where no field tells."""
        groups = n_groups(len(data[table]), self.min_count)
        null = values.isna().to_numpy()
        raw = referencing_tokens(self, data, table)
        found = reference_null_by(self, table, data[table], null, coarse_tokens(self, groups), raw)
        return {} if found is None else {"null_by": found, "null_groups": groups}

    def _find_orderings(
        self,
        data: RelationalData,
        table: str,
        above: Mapping[str, tuple[pd.DataFrame | None, dict]],
        summed: set[tuple[str, str]] = frozenset(),
    ) -> dict[str, Ordering]:
        """`table`'s date and number columns that follow another of its row or of its parent row
        (`orderings`), among `_orderable_columns`."""
        columns = self._orderable_columns(table, summed)
        kinds = {c: self.schema.tables[table].columns[c].kind for c in columns}
        previous = self._previous_siblings(data[table], table)
        found = find_orderings(data[table], columns, kinds, *above[table], min_count=self.min_count, previous=previous)
        edge = self.schema.parent(table)
        for o in found.values():
            how = "kept at decoding (its base is far)" if o.loose else "modelled as an offset"
            how = "modelled as its signed gap from it" if o.near else how
            how += f", at least {_as_gap(o.min_gap)} from it" if o.min_gap else ""
            how += f", at least {_as_gap(o.gap_low)} apart" if o.gap_low is not None else ""
            how += f", at most {_as_gap(o.gap_high)} apart" if o.gap_high is not None else ""
            how += f", never after {o.cap}" if o.cap and o.sign > 0 else f", never before {o.cap}" if o.cap else ""
            log.info("%s: %s in every row: %s", table, o.describe(edge.parent if edge else None), how)
        return found

    def _ordered_columns(self, but_after_itself: bool = False) -> set[tuple[str, str]]:
        """(table, column) of every column an order within rows writes or reads (its base and bound,
        of the row or of its parent row); `but_after_itself`: but the orders of a column after its own
        previous sibling's value alone (`after_itself`)."""
        written = {
            (table, o.column)
            for table, found in self.orderings.items()
            for o in found.values()
            if not (but_after_itself and after_itself(o))
        }
        return written | self._ordered_reads(but_after_itself)

    def _ordered_reads(self, but_after_itself: bool = False) -> set[tuple[str, str]]:
        """(table, column) of every column an order within rows reads: its base, bound, cap, fallback
        and floor, of the row or of its parent row, and the previous sibling's base."""
        return {
            read
            for table, found in self.orderings.items()
            for o in found.values()
            if not (but_after_itself and after_itself(o))
            for read in self._order_reads(table, o)
        }

    def _order_reads(self, table: str, o: Ordering) -> set[tuple[str, str]]:
        """(table, column) that one order of `table` reads (`_ordered_reads`)."""
        parent = edge.parent if (edge := self.schema.parent(table)) else table
        out = {(parent if o.from_parent else table, o.base)}
        if o.sibling_base is not None:  # the previous sibling's
            out.add((table, o.sibling_base))
        if o.bound is not None:
            out.add((parent if o.bound_from_parent else table, o.bound))
        if o.cap is not None:
            out.add((parent if o.cap_from_parent else table, o.cap))
        if o.fallback is not None:
            out.add((parent if o.fallback_from_parent else table, o.fallback))
        if o.floor is not None:
            out.add((parent, o.floor))
        return out

    def _lone_orders(self) -> set[tuple[str, str, str]]:
        """(table, column, base) of the orders within a row that read their base alone, where no other
        order writes or reads either (a days' supply at most its quantity): a rule may set the column
        after their offsets are decoded, keeping the order, without breaking another."""
        touched: Counter = Counter()
        for table, found in self.orderings.items():
            for o in found.values():
                touched.update({(table, o.column)} | self._order_reads(table, o))
        return {
            (table, o.column, o.base)
            for table, found in self.orderings.items()
            for o in found.values()
            if self._order_reads(table, o) == {(table, o.base)}
            and not o.from_parent
            and touched[(table, o.column)] == touched[(table, o.base)] == 1
        }

    def _unsplit_totals_back(self, split_totals: list[dict]) -> None:
        """The `split_totals` (`formula_totals`) whose rows no split sum scales (an order reads their
        number): totals again, set from their rows as before, not formulas, which would undo them."""
        split = {(r["table"], r["column"]) for r in self.stats["split_sums"]}
        back = [t for t in split_totals if (t["table"], t["column"]) not in split]
        cols = {(t["table"], t["column"]) for t in back}
        self.stats["totals"] = self.stats["totals"] + back
        self.stats["formulas"] = [f for f in self.stats["formulas"] if (f["table"], f["column"]) not in cols]

    def _settled_formulas(self, formulas: list[dict]) -> set[tuple[str, str]]:
        """(table, column) of the formulas set as soon as their table's rows are decoded, before its
        children's (`_decode`), never again changed: none reads a referenced row's number, and no
        reference copies a value into their rows. A child's order may take them as its base (a
        return's refund at most its line's total, the total quantity x price - discount)."""
        return {
            (f["table"], f["column"]) for f in formulas if not f.get("refs") and not self.schema.references(f["table"])
        }

    def _movable_bases(self, summed: set[tuple[str, str]], written: bool = False) -> dict[tuple[str, str], int]:
        """(table, column) -> the way (-1 down, 1 up) a column may move after its row is decoded and
        keep every order within rows that reads it: those it is only the `base` (or `fallback`) of (a
        line's amount on or after its unit price: a lower unit price keeps it), and with `written` the
        columns an order of one side writes, away from its base (a like on or after its user's signup:
        a later like keeps it; its post's date then moves it). Not the columns an order of a bound,
        cap or sibling writes, nor bounds, caps and siblings' bases (the way is not one)."""
        ways: dict[tuple[str, str], set[int]] = {}
        for table, found in self.orderings.items():
            where = partial(_read_at, self.schema, table)
            for o in found.values():
                one_side = o.bound is None and o.cap is None and not o.after_sibling and o.step_quantiles is None
                one_side = one_side and not o.near  # a near number: neither way keeps its gap
                ways.setdefault((table, o.column), set()).add(o.sign if written and one_side else 0)
                base_way = 0 if o.after_sibling or o.near else -o.sign  # col >= base: a lower base keeps it
                ways.setdefault(where(o.base, o.from_parent), set()).add(base_way)
                if o.fallback is not None:  # the base where a row lacks it: the same way keeps it
                    ways.setdefault(where(o.fallback, o.fallback_from_parent), set()).add(base_way)
                for col, from_parent in (
                    (o.sibling_base, False),
                    (o.bound, o.bound_from_parent),
                    (o.cap, o.cap_from_parent),
                    (o.floor, True),
                ):
                    if col is not None:
                        ways.setdefault(where(col, from_parent), set()).add(0)
        # a total or formula is set after the moves: never moved
        return {key: way.pop() for key, way in ways.items() if len(way) == 1 and 0 not in way and key not in summed}

    def _not_lowered(self, summed: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """(table, column) an order within rows writes or reads that a lower value would break: all
        but those `_movable_bases` lets move down (a city's population, at most its country's)."""
        down = {key for key, way in self._movable_bases(summed, True).items() if way == -1}
        return self._ordered_columns() - down

    def _unmovable(self, summed: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """(table, column) that a move once every table is written would break (`_sibling_spans`):
        totals and formulas (`summed`), what an order within rows reads, or writes otherwise than from a
        base of one side, what an ancestor's range reads or moves, the values a key never repeats with,
        and what a lookup's or referenced row's range or a reference's order reads but on the row
        itself (kept: `_sibling_spans` undoes a move breaking it)."""
        out, schema = set(summed), self.schema
        for table, found in self.orderings.items():
            for o in found.values():
                if (
                    o.bound is not None
                    or o.cap is not None
                    or o.after_sibling
                    or o.step_quantiles is not None
                    or o.near
                ):
                    out.add((table, o.column))
                reads = [(o.base, o.from_parent), (o.sibling_base, False), (o.bound, o.bound_from_parent)]
                reads += [(o.cap, o.cap_from_parent), (o.fallback, o.fallback_from_parent), (o.floor, True)]
                out |= {_read_at(schema, table, c, up) for c, up in reads if c is not None}
        for table in schema.synth_tables:
            for e in schema.references(table):
                ref = self.stats["references"].get(f"{table}.{e.fk}") or {}
                for o in ref.get("orders", []):  # [column, referenced column, sign(, "parent" | "child", table)]
                    out.add(_named_at(schema, e.parent, o[1]))  # the row's own column: a move breaking it is undone
                    if len(o) > 3:
                        out.add((o[4], o[0]) if o[3] == "child" else (schema.parent(table).parent, o[0]))
                if ref.get("after"):  # a row names earlier rows of its table by this date
                    out.add((table, ref["after"][0]))
                out |= {(table, c) for c in ref.get("unique_with") or []}  # a teacher in one lesson a slot
                out |= {(table, c) for c in ref.get("unique_under") or []}  # a student in a course once a semester
                out |= {(e.parent, p[1]) for p in ref.get("year_periods") or []}  # a season's year: its dates'
                out |= {(table, c) for pair in ref.get("ranked") or [] for c in pair}  # a round, in date order
                out |= {(table, c) for combo in ref.get("unique_with_also") or [] for c in combo}
        out |= {(r["table"], c) for r in self.stats["lookup_slots"] for c in r["with"]}
        for rule in self.stats["lookup_orders"] + self.stats["reference_sides"]:  # the row's own: as an order's
            named = schema.tables[rule["table"]].columns[rule["fk"]].parent
            out |= {_named_at(schema, named, rule[s]) for s in ("low", "high") if rule[s]}
        for rule in self.stats["ancestor_orders"]:
            out |= {(rule["table"], rule["column"])} | {ancestor_column(schema, rule[s]) for s in ("low", "high") if rule[s]}  # fmt: skip
        return out

    def _counted_from(self, summed: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """(table, column) that a move later would break (`_parent_ends`): totals and formulas
        (`summed`), a date with a bound or cap of its own (but one counted forward to a bound of its
        own row: a cancellation before its policy's end, `own_end`), and the dates an order within rows keeps
        another on or after (its base going forward, its bound or cap going back)."""
        out = set(summed)
        for table, found in self.orderings.items():
            for o in found.values():
                if (o.bound is not None or o.cap is not None) and own_end(o) is None:
                    out.add((table, o.column))  # one bounded in its own row alone moves up to that bound
                later = [(o.base, o.from_parent), (o.sibling_base, False), (o.fallback, o.fallback_from_parent)]
                later.append((o.floor, True))
                if o.sign < 0:
                    later = [(o.bound, o.bound_from_parent), (o.cap, o.cap_from_parent)]
                out |= {_read_at(self.schema, table, c, up) for c, up in later if c is not None and c != o.column}
        for rule in self.stats["ancestor_orders"] + self.stats["lookup_orders"] + self.stats["reference_sides"]:
            out.add((rule["table"], rule["column"]))
        return out

    def _shiftable_sequences(self, summed: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """(table, column) of the dates whose siblings follow one another from a constant origin
        (`orderings.sequence_ordering`: a line's shipment events, the line holding no date) that no
        other order of their row reads, nor a total or formula: moving all of a parent's rows by
        one amount keeps their order and their gaps (`_ancestor_orders`)."""
        out = set()
        for table, found in self.orderings.items():
            read = {
                c
                for o in found.values()
                for c, from_parent in (
                    (o.base if o.base != o.column else None, o.from_parent),
                    (o.sibling_base, False),
                    (o.bound, o.bound_from_parent),
                    (o.cap, o.cap_from_parent),
                )
                if c is not None and not from_parent
            }
            for o in found.values():
                sequence = o.after_sibling and o.origin is not None and o.base == o.column and not o.from_parent
                if (
                    sequence
                    and o.dated
                    and o.sibling_base is None
                    and o.cap is None
                    and o.floor is None
                    and o.column not in read
                ):
                    out.add((table, o.column))
        return out - summed

    def _orderable_columns(self, table: str, summed: set[tuple[str, str]]) -> list[str]:
        """`table`'s modelled columns an order may take: not those given a preprocessor of the user's,
        nor context columns (given as values at generation), nor those set after generation
        (`summed`: totals and formulas, as (table, column))."""
        given = self.overrides.get(table, {})
        return [
            c
            for c in self.modelled_columns(table)
            if c not in given and c not in self.ctx_cols and (table, c) not in summed | self.past_float
        ]

    def _sibling_keys(self, data: RelationalData, summed: set[tuple[str, str]]) -> dict[str, str]:
        """Each child table's sibling key (`_find_sibling_key`), where it has one."""
        keys = {t: self._find_sibling_key(data, t, summed) for t in self.schema.synth_tables}
        return {t: key for t, key in keys.items() if key is not None}

    def _find_sibling_key(self, data: RelationalData, table: str, summed: set[tuple[str, str]]) -> str | None:
        """The date column `table`'s rows are encoded in order of under each parent row
        (`relational.orders.sibling_key`), among `_orderable_columns`."""
        edge = self.schema.parent(table)
        if edge is None:
            return None
        columns = self._orderable_columns(table, summed)
        kinds = {c: self.schema.tables[table].columns[c].kind for c in columns}
        key = sibling_key(data[table], edge.fk, columns, kinds)
        if key is not None:
            log.info("%s: each %s row's rows encoded in order of %s", table, edge.parent, key)
        return key

    def _offsets_after_siblings(
        self, data: RelationalData, above: Mapping[str, tuple[pd.DataFrame | None, dict]]
    ) -> None:
        """A sibling key (an account's transactions; a patient's stays) becomes the offset from the
        previous sibling's value, the first's from the parent's date it follows (the account's
        opening) or else from the column's least value (`Ordering.after_sibling`), or from the previous sibling's end
        where each starts after the previous one ends (`Ordering.sibling_base`: stays that never
        overlap), so generated siblings keep their order too."""
        for table, key in self.sibling_keys.items():
            found = self.orderings.get(table, {})
            kinds = {c: k.kind for c, k in self.schema.tables[table].columns.items()}
            o = found.get(key)
            # no base, one too far (a birth), or a parent's date after it (a death): from the column's least
            # value, the date after it kept as a cap
            if o is None or o.loose or (o.from_parent and o.sign < 0 and o.bound is None):
                o = sequence_ordering(data[table], key, kinds[key], o)
            elif o.from_parent and o.bound_from_parent and o.sign > 0:
                o = bound_as_cap(o)  # rows until a termination: a sequence still, the termination its cap
            elif (
                o.from_parent
                and o.sign > 0
                and o.bound is None
                and not o.day_base
                and in_calendar_window(data[table], o, above[table][0], self._siblings(data[table], table))
            ):  # a year's trips of vehicles bought over 15 years: from the least trip, after the purchase
                o = sequence_ordering(data[table], key, kinds[key], replace(o, floor=o.base, floor_gap=0.0))
            if not (o.from_parent or o.origin is not None) or o.bound is not None or o.sign < 0:
                continue
            ends = [
                c
                for c, e in found.items()
                if e.base == key and not e.from_parent and e.sign > 0 and e.dated and not e.loose
            ]
            end = previous_end(data[table], self.schema.parent(table).fk, key, ends, kinds)
            others = {c: e for c, e in found.items() if c != key}  # the key's base is no column of its row: first
            # and the least gaps the siblings keep; the latest kept, from the previous one's end too: a chain
            # of salary periods ran past the data's end (`orderings._after_previous_ends` stops it there)
            o = replace(o, after_sibling=True, sibling_base=end)
            o = sibling_gaps(data[table], o, above[table][0], self._siblings(data[table], table), self.min_count)
            self.orderings[table] = {key: o, **others}
            log.info(
                "%s: %s modelled as the offset from the previous sibling's %s", table, key, key if end is None else end
            )

    def _running_after_siblings(self, data: RelationalData, summed: set[tuple[str, str]]) -> None:
        """A number that never goes down from one sibling to the next in the sibling key's order (a
        meter's cumulative energy: `relational.orders.running_numbers`), and is in no order within its
        row, becomes its increase over the previous sibling's value (`running_ordering`), decoded
        after the key and before the orders within rows that may read it."""
        for table, key in self.sibling_keys.items():
            found = self.orderings.get(table, {})
            columns = [c for c in self._orderable_columns(table, summed) if c not in found]
            kinds = {c: self.schema.tables[table].columns[c].kind for c in {*columns, key}}
            fk = self.schema.parent(table).fk
            running = running_numbers(data[table], fk, key, columns, kinds)
            walking = walking_numbers(data[table], fk, key, [c for c in columns if c not in running], kinds)
            if not running and not walking:
                continue
            first = {key: found[key]} if key in found else {}
            parents = self._siblings(data[table], table)
            counters = {  # a version number's first 1 and steps of 1 kept so
                c: counter_steps(data[table], running_ordering(data[table], c, kinds[c], parents), parents)
                for c in running
            }
            walks = {c: walk_ordering(data[table], c, kinds[c], key, parents) for c in walking}
            self.orderings[table] = first | counters | walks | {c: o for c, o in found.items() if c != key}
            if running:
                log.info(
                    "%s: %s never down from the previous sibling's: modelled as the increase", table, ", ".join(running)
                )
            if walking:
                log.info("%s: %s near the previous sibling's: modelled as the step from it", table, ", ".join(walking))

    def _previous_siblings(self, df: pd.DataFrame, table: str) -> np.ndarray | None:
        """Each row's previous sibling's position in `df`, in order of the sibling key (-1 for a
        parent's first row); None where the rows are no series (no parent or no sibling key)."""
        edge, key = self.schema.parent(table), self.sibling_keys.get(table)
        if edge is None or key is None:
            return None
        order, follows = sibling_order(df, edge.fk, key)
        previous = np.full(len(df), -1, dtype=np.int64)
        previous[order[follows]] = order[np.flatnonzero(follows) - 1]
        return previous

    def _siblings(self, df: pd.DataFrame, table: str) -> np.ndarray | None:
        """Each row's parent key (for `Ordering.after_sibling` offsets); None for a root table."""
        edge = self.schema.parent(table)
        return None if edge is None else df[edge.fk].to_numpy()

    def _parent_values(
        self, tables: Mapping[str, pd.DataFrame], table: str, summed: set[tuple[str, str]] = frozenset()
    ) -> tuple[pd.DataFrame | None, dict]:
        """The modelled date and number columns of `table`'s parent, and the modelled dates of the rows
        above it (`<ancestor>.<column>`: an event's first date follows its order's, the line between
        holding none), one row per row of `table`, and their kinds; not its totals (`summed`)."""
        edge = self.schema.parent(table)
        if edge is None:
            return None, {}
        columns = [c for c in self.modelled_columns(edge.parent) if (edge.parent, c) not in summed | self.past_float]
        parent, kinds = parent_ordered(tables, self.schema, table, columns)
        up, up_kinds = ancestor_ordered(tables, self.schema, table)  # a date further up: an event's order's
        modelled = {n for n in up_kinds if (at := ancestor_column(self.schema, n))[1] in self.modelled_columns(at[0])}
        if up is None or not modelled:
            return parent, kinds
        far = up[sorted(modelled)]
        return (far if parent is None else pd.concat([parent, far], axis=1)), kinds | {n: up_kinds[n] for n in far}

    def parent_bases(self, table: str) -> list[str]:
        """The parent's columns that `table`'s ordered columns follow (encoding needs their values)."""
        ordered = self.orderings.get(table, {}).values()
        bounds = {o.bound for o in ordered if o.bound_from_parent} | {o.cap for o in ordered if o.cap_from_parent}
        fallbacks = {o.fallback for o in ordered if o.fallback_from_parent} | {o.floor for o in ordered if o.floor}
        return sorted({o.base for o in ordered if o.from_parent} | bounds | fallbacks)

    def _build_layouts(
        self,
        data: RelationalData,
        fit_column: Callable[[str, str], ColumnPreproc],
        fit_count: Callable[[str, str], ColumnPreproc],
        calendars: Sequence[dict] = (),
    ) -> None:
        """The grammar: per table, depth first, its field slots then one count slot per child table.

        `fit_column(table, col)` and `fit_count(table, child)` return each slot's fitted
        preprocessor (plainly here, with DP mechanisms in `_dp_fit`); `calendars`: fields outside
        the schema, each right after its date (`series_calendars`)."""
        self.layouts, self.slots = {}, []
        offset = N_SPECIAL
        if all(len(data[r]) == 0 for r in self.schema.roots):
            raise ValueError(f"root table(s) {list(self.schema.roots)} are empty: there is no entity to learn from")
        for table in self.schema.depth_first():
            # a child's counts are all 0, an empty root's share of the entities is 0 (`stats`): never
            # generated, so its columns need no fit (a legacy database's unused archive table)
            if len(data[table]) == 0:
                log.warning("table %r is empty: it stays empty in the synthetic database", table)
            fields, children = self.modelled_columns(table), self.schema.children(table)
            for r in (r for r in calendars if r["table"] == table):
                fields.insert(fields.index(r["date"]) + 1, r["column"])
            layout = TableLayout(table, fields or ([PLACEHOLDER] if not children else []), children)
            for col in layout.fields:
                pre = _placeholder() if col == PLACEHOLDER else fit_column(table, col)
                offset = self._add_slot(layout, Slot(table, col, pre), offset)
            for child in children:
                offset = self._add_slot(layout, Slot(table, "#" + child, fit_count(table, child)), offset)
            self.layouts[table] = layout

    def _add_slot(self, layout: TableLayout, slot: Slot, offset: int) -> int:
        slot.offset = offset
        layout.slots.append(len(self.slots))
        self.slots.append(slot)
        return offset + slot.preproc.n_tokens

    def _check_data(self, data: RelationalData) -> None:
        if not isinstance(data, RelationalData):
            raise TypeError(f"expected RelationalData, got {type(data).__name__}")
        if data.schema != self.schema:
            raise ValueError("the data's schema differs from the preprocessor's schema")

    def __repr__(self) -> str:
        state = f"vocab={self.vocab_size}" if self.fitted else "unfitted"
        ctx = f", ctx_cols={self.ctx_cols}" if self.ctx_cols else ""
        return f"TabularPreproc(tables={list(self.schema.tables)}{ctx}, {state})"

    def _check_fitted(self) -> None:
        if not self.fitted:
            raise RuntimeError("this TabularPreproc is not fitted: call .fit(data) first")

    # ---- vocabulary and grammar ------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        last = self.slots[-1]
        return last.offset + last.preproc.n_tokens

    @property
    def tables(self) -> list[str]:
        return list(self.layouts)

    def allowed_mask(self, generation: bool = False) -> np.ndarray:
        """(n_slots, vocab) bool: the tokens each slot may take (at generation: never forbidden ones)."""
        mask = np.zeros((len(self.slots), self.vocab_size), dtype=bool)
        for i, s in enumerate(self.slots):
            mask[i, s.offset : s.offset + s.preproc.n_tokens] = True
            if generation:
                for f in s.preproc.forbidden:
                    mask[i, s.offset + f] = False
        return mask

    # ---- transform -------------------------------------------------------------------------
    def transform(self, data: RelationalData) -> Encoded:
        """Encode every root entity (vectorised: no Python loop over rows)."""
        self._check_fitted()
        self._check_data(data)
        return assemble(self, data)

    def transform_tables(self, tables: Mapping[str, pd.DataFrame]) -> Encoded:
        """Encode already validated tables (a chunk of a RelationalData), skipping validation."""
        self._check_fitted()
        return assemble(self, tables)

    def encode_columns(
        self,
        table: str,
        df: pd.DataFrame,
        n_fields: int | None = None,
        parent: pd.DataFrame | None = None,
        siblings: np.ndarray | None = None,
    ) -> np.ndarray:
        """(n_rows, header fields) global token ids of the table's field slots (the first `n_fields`);
        `parent`: each row's parent row's `parent_bases(table)` columns, where the table has any;
        `siblings`: each row's parent (any labels; offsets from the previous sibling need it)."""
        layout = self.layouts[table]
        fields = layout.fields[: layout.n_fields if n_fields is None else n_fields]
        df = with_calendars(df, self.stats.get("series_calendars", []), table)  # none in older models
        df = with_offsets(df, self.orderings.get(table, {}), parent, siblings)
        out = np.empty((len(df), len(fields)), dtype=np.int64)
        for j, (col, slot_id) in enumerate(zip(fields, layout.slots, strict=False)):
            slot = self.slots[slot_id]
            if col == PLACEHOLDER:
                out[:, j] = slot.offset + 2
                continue
            values = df[col]
            pre = slot.preproc
            if isinstance(pre, CategoricalPreproc):
                unseen = pre.unseen(values)
                if len(unseen):
                    warnings.warn(
                        f"{table}.{col}: {unseen.nunique()} value(s) unseen at fit are encoded as <rare>, "
                        f"e.g. {list(unseen.unique()[:3])}",
                        stacklevel=3,
                    )
            out[:, j] = slot.offset + pre.encode(values)
        return out

    # ---- inverse ---------------------------------------------------------------------------
    def inverse_transform(self, enc: Encoded, seed: int = 0) -> RelationalData:
        seqs = [enc.tokens[enc.offsets[e] : enc.offsets[e + 1]] for e in range(enc.n_entities)]
        roots = [self.slots[int(enc.slots[enc.offsets[e]])].table for e in range(enc.n_entities)]
        return self.decode_entities(seqs, roots, seed=seed)

    def decode_entities(self, sequences: list[np.ndarray], roots: list[str], seed: int = 0) -> RelationalData:
        """Parse token sequences (one per root entity) back into tables with fresh keys."""
        return decode_entities(self, sequences, roots, np.random.default_rng(seed))

    # ---- context ---------------------------------------------------------------------------
    def select_ctx(self, data: RelationalData, idx: np.ndarray | list[int] | None = None) -> pd.DataFrame:
        """The context columns of the root rows at positions `idx` (all rows when None)."""
        if not self.ctx_cols:
            raise ValueError("this preprocessor has no ctx_cols: build it with from_schema(schema, ctx_cols=[...])")
        root = self.schema.roots[0]
        df = data[root][self.ctx_cols]
        return (df if idx is None else df.iloc[np.asarray(idx)]).reset_index(drop=True)

    def ctx_frame(self, ctx: object) -> object:
        """`ctx` as `generate` reads it: aindo.rdml's `{root_table: DataFrame}` is that table's
        DataFrame; anything else is returned as it is, for `check_ctx` to judge."""
        if not isinstance(ctx, Mapping):
            return ctx
        root = self.schema.roots[0]
        if set(ctx) != {root}:
            raise ValueError(
                f"ctx as a mapping must be {{{root!r}: DataFrame}}: generation is conditioned on the root table's "
                f"ctx_cols {self.ctx_cols} only, got the table(s) {sorted(map(str, ctx))}"
            )
        return ctx[root]

    def check_ctx(self, ctx: object) -> None:
        """Refuse a generation context the model cannot take, before any work: not a DataFrame, no
        rows, missing columns, or values outside the fitted columns (wrong type, unseen or rare
        category, number outside the fitted range, null where none was seen), listed per column."""
        if not self.ctx_cols:
            raise ValueError("this preprocessor has no ctx_cols: build it with from_schema(schema, ctx_cols=[...])")
        if not isinstance(ctx, pd.DataFrame):
            raise TypeError(f"ctx must be a DataFrame of the columns {self.ctx_cols}, got {type(ctx).__name__}")
        missing = [c for c in self.ctx_cols if c not in ctx.columns]
        if missing:
            raise ValueError(f"ctx must hold the preprocessor's ctx_cols {self.ctx_cols}; missing {missing}")
        if len(ctx) == 0:
            raise ValueError(f"ctx has no rows: give one row of {self.ctx_cols} per entity to generate")
        root = self.schema.roots[0]
        layout = self.layouts[root]
        problems = []
        for col, slot_id in zip(layout.fields, layout.slots, strict=False):
            if col in self.ctx_cols:
                bad, takes = _ctx_outside(self.slots[slot_id].preproc, ctx[col])
                if len(bad):
                    examples = ", ".join(repr(_plain_value(v)) for v in pd.unique(bad)[:5])
                    problems.append(
                        f"ctx column {col!r} ({root}.{col}): {len(bad)} value(s) such as {examples}; {takes}"
                    )
        if problems:
            raise ValueError("ctx holds values the model cannot generate from:\n  - " + "\n  - ".join(problems))

    # ---- save / load -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        self._check_fitted()
        return {
            "schema": self.schema.to_dict(),
            "ctx_cols": self.ctx_cols,
            "n_bins": self.n_bins,
            "min_count": self.min_count,
            "max_exact_count": self.max_exact_count,
            "keep_orders": self.keep_orders,
            "ignored": {t: [c for c, p in cols.items() if p is None] for t, cols in self.overrides.items()},
            # ... of which the user's (`preprocessors`): a fit of the loaded preprocessor starts from these
            "given_ignored": {t: [c for c, p in cols.items() if p is None] for t, cols in self.preprocessors.items()},
            "layouts": [
                {"name": lay.name, "fields": lay.fields, "children": lay.children, "slots": lay.slots}
                for lay in self.layouts.values()
            ],
            "slots": [
                {"table": s.table, "column": s.column, "offset": s.offset, "preproc": s.preproc.to_dict()}
                for s in self.slots
            ],
            "stats": self.stats,
            "orderings": {t: {b: o.to_dict() for b, o in cols.items()} for t, cols in self.orderings.items()},
            "sibling_keys": self.sibling_keys,
        }

    @classmethod
    def from_dict(cls, d: dict) -> TabularPreproc:
        schema = Schema.from_dict(d["schema"])
        given = d.get("given_ignored", d.get("ignored", {}))  # saved before the two were told apart: all given
        self = cls(
            schema,
            ctx_cols=d["ctx_cols"],
            preprocessors={t: dict.fromkeys(cols) for t, cols in given.items()},
            n_bins=d["n_bins"],
            min_count=d["min_count"],
            max_exact_count=d["max_exact_count"],
            keep_orders=d.get("keep_orders", True),
        )
        self.slots = [
            Slot(s["table"], s["column"], column_preproc_from_dict(s["preproc"]), s["offset"]) for s in d["slots"]
        ]
        self.layouts = {x["name"]: TableLayout(x["name"], x["fields"], x["children"], x["slots"]) for x in d["layouts"]}
        self.overrides = {t: dict.fromkeys(cols) for t, cols in d.get("ignored", {}).items()}  # as fitted
        self.stats, self.fitted = d["stats"], True
        self.orderings = orderings_from_dict(d.get("orderings", {}))  # saved before orderings: none
        self.sibling_keys = dict(d.get("sibling_keys", {}))  # saved before sibling orders: stored order
        return self

    config_file = CONFIG_FILE  # what `save` writes: the mark of a saved preprocessor

    def save(self, path: str | Path) -> None:
        """Write `preproc.json` to the directory `path` (atomically)."""
        with atomic_dir(path, marker=CONFIG_FILE) as tmp:
            write_config(tmp / CONFIG_FILE, KIND, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> TabularPreproc:
        """The fitted preprocessor `save` wrote at `path`; a missing, damaged or foreign file is an
        error naming it."""
        file = Path(path) / CONFIG_FILE
        payload = read_config(
            file, KIND, keys=_SAVED_KEYS, optional=("orderings", "keep_orders", "sibling_keys", "given_ignored")
        )
        try:
            self = cls.from_dict(payload)
            problem = self._grammar_problem()
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
            problem = f"{type(e).__name__}: {e}"
        if problem:
            raise LoadError(f"{file}: a damaged TabularPreproc ({problem}); fit and save it again")
        return self

    def _grammar_problem(self) -> str | None:
        """What makes a loaded vocabulary inconsistent (a tampered file), checked at load, not at generate."""
        if list(self.layouts) != self.schema.depth_first():
            return f"layouts {list(self.layouts)} are not the schema's tables {self.schema.depth_first()}"
        offset = N_SPECIAL
        for i, slot in enumerate(self.slots):
            if slot.offset != offset:
                return f"slot {i} ({slot.table}.{slot.column}) starts at token {slot.offset}, expected {offset}"
            offset += slot.preproc.n_tokens
            pre = slot.preproc
            if isinstance(pre, NumericPreproc):
                numbers = np.asarray(pre.points + pre.edges, dtype=float)
                if not np.isfinite(numbers).all() or np.any(np.diff(pre.edges) < 0) or np.any(np.diff(pre.points) <= 0):
                    return f"slot {i} ({slot.table}.{slot.column}): points or bin edges not finite and increasing"
                if pre.sub_edges and len(pre.sub_edges) != pre.n_bins_used:
                    return f"slot {i} ({slot.table}.{slot.column}): {len(pre.sub_edges)} sub-bins for {pre.n_bins_used} bins"
                if pre.log_sub and np.shape(pre.log_sub) != np.shape(pre.sub_edges)[:1] + (pre.n_sub,):
                    return f"slot {i} ({slot.table}.{slot.column}): log_sub does not match the sub-bins"
                if pre.gaps and len(pre.gaps) != pre.n_bins_used:
                    return f"slot {i} ({slot.table}.{slot.column}): empty gaps for {len(pre.gaps)} bins, not {pre.n_bins_used}"
        for layout in self.layouts.values():
            ids = layout.slots
            if len(ids) != layout.n_fields + len(layout.children) or any(not 0 <= j < len(self.slots) for j in ids):
                return f"table {layout.name!r}: slot ids {ids} do not fit its {layout.n_fields} fields and children"
            if any(self.slots[j].table != layout.name for j in ids):
                return f"table {layout.name!r}: its slots belong to other tables"
        return None

    def fingerprint(self) -> str:
        """A short hash of the fitted vocabulary and of the orders it encodes as offsets (the same
        vocabulary means other values then) and of the dates siblings are encoded in order of, to
        check that saved datasets belong to it. Without orders it is the vocabulary's alone, as
        before orders were kept."""
        d = self.to_dict()
        if not self.orderings and not self.sibling_keys:
            return fingerprint(d["slots"])
        kept = {"slots": d["slots"], "orderings": d["orderings"]}
        return fingerprint(kept | {"sibling_keys": d["sibling_keys"]} if self.sibling_keys else kept)


def _ctx_outside(pre: ColumnPreproc, values: pd.Series) -> tuple[pd.Series, str]:
    """The context values a fitted column cannot take, and what it takes."""
    if isinstance(pre, NumericPreproc):
        plain = values.reset_index(drop=True)
        if pre.kind in ("datetime", "date"):  # a value that is no date is listed below, not a parser's error
            plain = pd.to_datetime(plain, errors="coerce", format="mixed")
        x = to_number(plain, pre.kind) if len(values) else np.array([])
        known = [v for v in (pre.points + pre.edges) if np.isfinite(v)]
        lo, hi = (min(known), max(known)) if known else (np.nan, np.nan)
        nulls = values.isna().to_numpy()
        wrong = (~nulls & np.isnan(x)) | np.isinf(x) | (x < lo) | (x > hi)
        if not pre.has_missing:
            wrong |= nulls
        null = "" if pre.has_missing else ", no nulls"
        return values[wrong], f"it takes {pre.kind} values in [{_shown(lo, pre)}, {_shown(hi, pre)}]{null}"
    if isinstance(pre, CategoricalPreproc):
        # A value of another type is an error; an unknown or rare one of the right type is generated as
        # missing, like every rare value (never replayed), with a warning that lists them.
        types = {type(c) for c in pre.categories} | (
            {int, float} if {int, float} & {type(c) for c in pre.categories} else set()
        )
        plain = values.dropna().map(_plain_value)
        wrong = plain[~plain.map(lambda v: type(v) in types)] if types else plain[:0]
        unknown = plain[~plain.isin(pd.Index(pre.categories)) & ~plain.index.isin(wrong.index)]
        if len(unknown):
            warnings.warn(
                f"ctx column {values.name!r}: {unknown.nunique()} value(s) unknown or rarer than min_count are "
                f"generated as missing, e.g. {list(pd.unique(unknown))[:5]}",
                stacklevel=4,
            )
        shown = pre.categories[:10] + (["..."] if len(pre.categories) > 10 else [])
        kinds = sorted(t.__name__ for t in types)
        return values.loc[wrong.index], f"it takes values of type {kinds} such as {shown}"
    return values[:0], ""


def _shown(x: float, pre: NumericPreproc):
    """A bound in the column's own terms (dates as dates)."""
    if np.isnan(x) or pre.kind not in ("date", "datetime"):
        return x
    return pd.Timestamp(int(x * 1e9))


def _plain_value(v):
    if isinstance(v, np.datetime64 | np.timedelta64):  # their .item() in nanoseconds is an int
        return pd.Timestamp(v) if isinstance(v, np.datetime64) else pd.Timedelta(v)
    return v.item() if hasattr(v, "item") else v


def _placeholder() -> CategoricalPreproc:
    """The one-token field of a table with neither modelled columns nor children."""
    return CategoricalPreproc(min_count=1, categories=["row"], dtype="object")


def _named_at(schema: Schema, table: str, col: str) -> tuple[str, str]:
    """(table, column) of a column a reference's order reads of the row it names: the named row's own,
    or a date of a row it nests under (`<ancestor>.<column>`: a site's trial's start)."""
    return (table, col) if col in schema.tables[table].columns else ancestor_column(schema, col)


def _read_at(schema: Schema, table: str, col: str, from_parent: bool) -> tuple[str, str]:
    """(table, column) of a column an order of `table` reads: its own, its parent row's, or a row's
    further up (`<ancestor>.<column>`: a return's order's date, the line between holding none)."""
    parent = edge.parent if (edge := schema.parent(table)) else table
    if not from_parent:
        return (table, col)
    if col in schema.tables[parent].columns or "." not in col:
        return (parent, col)
    try:  # split at the longest table name: a table's may hold dots too (sales.order.placed)
        return ancestor_column(schema, col)
    except KeyError:
        return (parent, col)


def _whole_ends(whole: Whole, table: str, col: str) -> list[str]:
    """The whole database's codes at the ends of `table.col`'s range, of a sample (`SQLSource.sample`):
    an identifier's (`code_ends`), or a category drawn fresh's (`_shapeless_columns`), its lowest and
    highest value of each length from the whole's value counts: fitted on the sample alone, its codes
    counted on past the sample's highest number, over real codes the sample missed."""
    if col in whole.code_ends.get(table, {}):
        return whole.code_ends[table][col]
    counts = whole.value_counts.get(table, {}).get(col)
    held = pd.Series([] if counts is None else [str(v) for v in counts.index if not pd.isna(v)], dtype=object)
    return sorted(set(held.groupby(held.str.len()).agg(["min", "max"]).to_numpy().ravel().tolist()))


def _table_rows(data: RelationalData, tables: Sequence[str]) -> dict[str, int]:
    """Each table's rows; of a sample (`SQLSource.sample`), the whole database's, which the model is
    trained on: the sample's rows per root entity are its draw's (a few large customers in or out)."""
    if data.whole is not None:
        return {t: data.whole.rows[t] for t in tables}
    return {t: len(data[t]) for t in tables}


def _as_gap(ns: float) -> str:
    """A loose date's gap (`min_gap`, `gap_low`, `gap_high`; nanoseconds) as a log shows it: days (and years past one)."""
    days = ns / 86_400e9
    return f"{days:.0f} days" + (f" ({days / 365.25:.1f} years)" if days >= 365.25 else "")


def past_float(data: RelationalData) -> frozenset[tuple[str, str]]:
    """(table, column) of the integer columns holding a value past 2**53, which float64 cannot tell
    from its neighbours (`TabularPreproc.float_numbers`)."""
    out = set()
    for name, table in data.schema.tables.items():
        for col in table.cols_of(Column.INTEGER):
            held = data[name][col].dropna() if col in data[name] else pd.Series(dtype="int64")
            if (
                len(held)
                and pd.api.types.is_integer_dtype(held.dtype)
                and max(int(held.max()), -int(held.min())) > 2**53
            ):
                out.add((name, col))
    return frozenset(out)


def _as_list(of: str | list[str]) -> list[str]:
    """A rule's `of`, one column or several, as a list."""
    return [of] if isinstance(of, str) else list(of)


def _sum_parts(rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) of the parts the sum rules `rules` scale or balance (their `of`)."""
    return {(r["table"], c) for r in rules for c in _as_list(r["of"])}


def _number_kind(values: pd.Series, formats: Mapping, table: str, col: str) -> str | None:
    """The `NumericPreproc` kind of a categorical column's values where they are all numbers or all
    dates (integer, numeric, date, datetime), or texts of days or whole numbers (`_text_number_kind`);
    None for other texts, booleans, mixed or empty columns."""
    found = pd.api.types.infer_dtype(values, skipna=True)
    if found == "string":
        return _text_number_kind(values.dropna(), formats, table, col)
    if found == "integer":
        return "integer"
    if found in ("floating", "mixed-integer-float"):
        return "numeric"
    if found == "date":
        return "date"
    if found in ("datetime64", "datetime"):
        return "datetime"
    return None


def _text_number_kind(texts: pd.Series, formats: Mapping, table: str, col: str) -> str | None:
    """ "date" for texts that are all real days written yyyy-mm-dd (a categorical column's dates are
    held as such texts); "integer" for whole numbers (`2221`, no leading zero: `007` is a code) its
    source stores as an SQL integer (`from_sql` reads a column declared categorical as text)."""
    if texts.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
        return "date" if pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce").notna().all() else None
    sql = ((formats.get(table) or {}).get(col) or {}).get(SQL_FORMAT) or {}
    whole = sql.get("type") == "integer" or (sql.get("type") == "numeric" and sql.get("scale") == 0)
    return "integer" if whole and texts.str.fullmatch(r"-?(0|[1-9]\d{0,17})").all() else None

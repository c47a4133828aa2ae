"""Child tables whose presence a category of their parent row decides: a 'pending' order has no
shipment and a 'shipped' one has one, a 'returned' order has a return and no other order has,
a 'cancelled' flight has no boarding.

The parent's header holds its categories, then one count token per child table, drawn one by one,
so a generated row can pair them as no training row does (a small model trained 2 epochs on a
shop gave 159 of 261 pending or cancelled orders a shipment, 91 of 121 returned ones no return). The fit keeps, per
categorical column of a table with child tables and per child table, the frequent categories
whose every training row has no row of that child (`none`), or at least one (`some`), in
`MIN_ROWS` rows at least and not by chance: the other rows' share of parents with children would
have given that value's rows all one way `CHANCE` of the time at most, or the column decides in
every row (each value's rows all one way), which children independent of it would have done
`CHANCE` of the time at most. Generation forces the count token 0 after a `none` value, and bans
it after a `some` one (`count_tables`), as `_dependencies.null_tables` does with `<missing>`.
Likewise a category of the parent row for its rows' children (a cancelled flight's bookings have
no boarding, the status two levels above the boardings): read as each row starts, from its parent
row's header (`parent_count_rules`). Not fitted under DP.

A category whose every row has one number of that child's rows, 1 or more (a CRM's opportunity in
`proposal` has two stage changes, one `closed_won` four), has that count forced (`exact`), where
`MIN_EXACT_ROWS` rows hold it and the other rows' share of the count would have put them all there
`CHANCE` of the time at most, over all the column's values tried (a composer's many): a small model
gave 2-3 of ~320 opportunities another number, a `qualification` with four changes. Chinook's
playlist memberships keep such counts too (its 93 TV-show tracks are each in two playlists).

A number of the row is read as a category too, each exact value (point) one and every binned value
one more (`_number_sources`): a country's population in the millions always has a city, where a
small model left 3 and 7 of 239 countries of a world-shaped database people and no city (seeds 0/1,
none in the data). Only such bans are kept for numbers (see `_number_sources`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular._tables import child_counts
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc

log = logging.getLogger(__name__)
MIN_ROWS = 5  # rows holding the value (and rows not holding it), at least
CHANCE = 0.001  # how likely children independent of the column would have put the rows so, at most
MIN_EXACT_ROWS = 20  # rows holding a value whose count is forced (`exact`), at least
BINNED = "<binned>"  # a number's values without a token of their own, read as one category
NUMBER_KINDS = ("numeric", "integer")  # numbers whose points are read as categories (not dates)


def find_count_rules(pre, data: RelationalData, fixed: frozenset = frozenset()) -> list[dict]:
    """[{"table", "column", "child", "none": [...], "some": [...], "parent"}]: every row of `table`
    whose categorical `column` (of its parent row where `parent`) holds a value of `none` has no
    `child` row, every one holding a value of `some` at least one (frequent categories, the tokens);
    or whose number `column` holds an exact value (a point) of `some`, or any binned value where
    it holds `BINNED`, has one at least (a population in millions, never without a city: `_number_sources`).
    `fixed`: (table, column) a rule sets after generation, never read as a number here."""
    out = []
    for table, layout in pre.layouts.items():
        if not layout.children or len(data[table]) < 2 * MIN_ROWS:
            continue
        counts = {c: child_counts(data, pre.schema, c) for c in layout.children}
        numbers = list(_number_sources(pre, data, table, fixed))
        for parent, col, categories, tokens, rows in [*_sources(pre, data, table), *numbers]:
            for child, n_rows in counts.items():
                none, some = decided_values(tokens, n_rows[rows] > 0, categories) or ([], [])
                number = BINNED in categories
                if number:  # bans only (`_number_sources`); a count a number gives is `count_sums`'
                    none = []
                # read from the parent row, the count is its rows' sum, never one number: none or some only
                by_value = parent or number
                exact = [] if by_value else exact_counts(tokens, n_rows[rows], categories, _n_exact(pre, table, child))
                if not (none or some or exact):
                    continue
                log.info(
                    "%s rows with %s.%s in %s have no %s row, in %s at least one, in %s exactly so many: kept so",
                    table,
                    parent or table,
                    col,
                    none,
                    child,
                    some,
                    exact,
                )
                rule = {"table": table, "column": col, "child": child, "none": none, "some": some, "parent": parent}
                out.append(rule | ({"exact": exact} if exact else {}))  # none: as before the key
    return out


def _n_exact(pre, table: str, child: str) -> int:
    """The counts of `child` rows under a `table` row that have a token of their own (`CountPreproc.n_exact`)."""
    layout = pre.layouts[table]
    return pre.slots[layout.slots[layout.n_fields + layout.children.index(child)]].preproc.n_exact


def exact_counts(tokens: np.ndarray, counts: np.ndarray, categories: list, n_exact: int) -> list[list]:
    """[[category, count]]: the frequent categories whose every row has one number of child rows, 1
    or more (a CRM's opportunity in `proposal` has two stage changes, one `closed_won` four), not by
    chance: the other rows' share of that count would have put `MIN_ROWS` rows or more all at it
    `CHANCE` of the time at most. Counts past `n_exact` (drawn in a bin) are left out."""
    rows = np.bincount(tokens, minlength=len(categories) + 2)
    tried = max(int((rows[2:] >= MIN_EXACT_ROWS).sum()), 1)  # one chance a category tried: a composer's many
    out = []
    for k, v in enumerate(categories, start=2):
        held = tokens == k
        if rows[k] < MIN_EXACT_ROWS or len(tokens) - rows[k] < MIN_ROWS:
            continue
        n = int(counts[held][0])
        if n < 1 or n >= n_exact or (counts[held] != n).any():
            continue
        if float(np.mean(counts[~held] == n)) ** int(rows[k]) <= CHANCE / tried:
            out.append([v, n])
    return out


def _sources(pre, data: RelationalData, table: str):
    """(parent table or None, column, its categories, its tokens, the rows of `table` they are
    for) of each categorical column of a `table` row's own, then of its parent row's (a cancelled
    flight's bookings have no boarding), as generation reads them (a nullable Int64's 2, not 2.0)."""
    edge = pre.schema.parent(table)
    pos = np.arange(len(data[table]))
    owners = [(None, table, pos)]
    if edge is not None and edge.fk in data[table].columns and edge.parent in pre.layouts:
        pk = pre.schema.tables[edge.parent].primary_key
        owners.append((edge.parent, edge.parent, pd.Index(data[edge.parent][pk]).get_indexer(data[table][edge.fk])))
    for parent, owner, at in owners:
        layout, rows = pre.layouts[owner], at >= 0  # a row without a parent row: none to read
        for col, slot in zip(layout.fields, layout.slots, strict=False):
            col_pre = pre.slots[slot].preproc
            if isinstance(col_pre, CategoricalPreproc) and col_pre.categories and col in data[owner].columns:
                yield parent, col, col_pre.categories, col_pre.encode(data[owner][col])[at[rows]], rows


def _number_sources(pre, data: RelationalData, table: str, fixed: frozenset):
    """As `_sources`, for each number of a `table` row's own written with exact values (points),
    where no rule sets it after generation: its points read as categories and every binned value
    as one more, `BINNED` (a population 0 is one value, the millions another). Only its values
    always with children are kept (`some`, a ban): a force of a later number's value (a GNP 0,
    drawn after a population in millions) would override the ban an earlier one set, and a model
    pairs numbers the data never does (6 of 6 such countries kept no city, seed 0)."""
    layout, rows = pre.layouts[table], np.ones(len(data[table]), dtype=bool)
    for col, slot in zip(layout.fields, layout.slots, strict=False):
        p = pre.slots[slot].preproc
        if not isinstance(p, NumericPreproc) or p.kind not in NUMBER_KINDS or not p.points:
            continue
        if col not in data[table].columns or (table, col) in fixed:
            continue
        local = p.encode(data[table][col])  # <missing>, the points, then the bins
        tokens = np.where(local == 0, 0, np.minimum(local, len(p.points) + 1) + 1)
        yield None, col, [_exact(v) for v in p.points] + [BINNED], tokens, rows


def decided_values(tokens: np.ndarray, has: np.ndarray, categories: list) -> tuple[list, list] | None:
    """(categories whose rows never have a child, those whose rows always have one), from each
    row's local token of the column (`CategoricalPreproc.encode`: `<missing>`, `<rare>`, then the
    `categories`, the tokens a rule follows), of `MIN_ROWS` rows each and not by chance; None
    where there is none. Not by chance: the rows of the other tokens would have put the value's
    rows all its way `CHANCE` of the time at most, or every token's rows are all one way (the
    column decides), which children independent of it at the table's share would give `CHANCE` of
    the time at most (a cancelled order's 30 rows without a return are no evidence alone where 9
    in 10 orders have none, but beside 30 returned orders with one and every other order without,
    they are)."""
    rows = np.bincount(tokens, minlength=len(categories) + 2)
    with_children = np.bincount(tokens, weights=has.astype(float), minlength=len(categories) + 2)
    pure = (with_children == 0) | (with_children == rows)
    share = float(has.mean()) if len(has) else 0.0  # of the rows with at least one child
    # a token's rows all one way, children independent of it (no row: no chance taken)
    by_chance = np.where(rows > 0, (1.0 - share) ** rows + share**rows, 1.0)
    decides = bool(pure.all()) and float(np.prod(by_chance)) <= CHANCE
    none, some = [], []
    for k, v in enumerate(categories, start=2):
        if rows[k] < MIN_ROWS or not pure[k] or len(has) - rows[k] < MIN_ROWS:
            continue
        others = (with_children.sum() - with_children[k]) / (len(has) - rows[k])  # their share with children
        alone = (1.0 - others if with_children[k] == 0 else others) ** int(rows[k]) <= CHANCE
        if decides or alone:
            (none if with_children[k] == 0 else some).append(v)
    return (none, some) if none or some else None


def count_tables(pre, rules: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(force position, force token, ban position, ban token), each (n, vocab) for the n rules of
    `find_count_rules`: after a token of `column`, the header position of `child`'s count and its
    token 0 (no row), forced after a value of `none` and banned after one of `some` (-1: none); the
    token of its count forced after a value of `exact` (none in older models)."""
    shape = (len(rules), pre.vocab_size)
    force_pos, force_tok = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    ban_pos, ban_tok = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    for n, r in enumerate(rules):
        layout = pre.layouts.get(r["table"])
        if r.get("parent") or layout is None or r["column"] not in layout.fields or r["child"] not in layout.children:
            continue
        of_slot = pre.slots[layout.slots[layout.fields.index(r["column"])]]
        j = layout.n_fields + layout.children.index(r["child"])
        zero = pre.slots[layout.slots[j]].offset  # a count's local id 0: no row (exact counts come first)
        ids = of_slot.category_tokens() if isinstance(of_slot.preproc, CategoricalPreproc) else {}
        values_at = _number_tokens(of_slot) if isinstance(of_slot.preproc, NumericPreproc) else {}
        for values, pos, tok in ((r["none"], force_pos, force_tok), (r["some"], ban_pos, ban_tok)):
            for v in values:
                if str(v) in ids:
                    pos[n, ids[str(v)]], tok[n, ids[str(v)]] = j, zero
                for t in values_at.get(_exact(v), []):
                    pos[n, t], tok[n, t] = j, zero
        for v, count in r.get("exact", []):
            if str(v) in ids:  # a count's local id is the count (`CountPreproc.encode`)
                ban_pos[n, ids[str(v)]] = ban_tok[n, ids[str(v)]] = -1
                force_pos[n, ids[str(v)]], force_tok[n, ids[str(v)]] = j, zero + int(count)
    return force_pos, force_tok, ban_pos, ban_tok


def _number_tokens(slot) -> dict[object, list[int]]:
    """A number slot's global token ids by the value a rule names: each point's, keyed by its value
    (`_exact`), and every bin's under `BINNED`."""
    p = slot.preproc
    binned = list(range(slot.offset + 1 + len(p.points), slot.offset + p.n_tokens))
    points = {_exact(v): [slot.offset + 1 + k] for k, v in enumerate(p.points)}  # local ids: <missing>, the points
    return points | {BINNED: binned}


def _exact(value: float | int | str) -> float | int | str:
    """A point as a rule names it and looks it up: an exact int where integral (a float above 2**53
    is no longer one integer: 2**53 and 2**53 + 1 spelled alike as `str(float)`), else the float
    (-0.0 and 0.0 one key, as their values are equal); a text (`BINNED`, a category) as it is."""
    if isinstance(value, str):
        return value
    return int(value) if float(value).is_integer() else float(value)


def parent_count_rules(pre, rules: list[dict]) -> dict[str, list[tuple[int, int, int, frozenset, frozenset]]]:
    """table -> [(header position of the parent row's column, header position of the child's count,
    its token 0, parent tokens after which it is forced, those after which it is banned)] of the
    `find_count_rules` read from the parent row, applied as each row starts."""
    out: dict[str, list] = {}
    for r in rules:
        layout, parent = pre.layouts.get(r["table"]), pre.layouts.get(r.get("parent") or "")
        if layout is None or parent is None or r["column"] not in parent.fields or r["child"] not in layout.children:
            continue
        of_slot = pre.slots[parent.slots[parent.fields.index(r["column"])]]
        j = layout.n_fields + layout.children.index(r["child"])
        ids = of_slot.category_tokens()
        none, some = ({ids[str(v)] for v in r[side] if str(v) in ids} for side in ("none", "some"))
        rule = (
            parent.fields.index(r["column"]),
            j,
            pre.slots[layout.slots[j]].offset,
            frozenset(none),
            frozenset(some),
        )
        out.setdefault(r["table"], []).append(rule)
    return out

"""Labels never repeated under one parent: a booking's seat within its flight, a line's product
within its order (`UNIQUE (flight_id, seat)` in the source, or just never repeated in the data).

The model writes each child row's label from the rows before it, so it can give two siblings the
same one (69 of 3,356 generated bookings shared their flight's seat with another booking). The
fit keeps, per table nested under a parent, the categorical columns that no parent repeats in the
data, where labels drawn at random by their shares would have repeated in `MIN_REPEATS` parents'
rows at least (so not by chance), or that the source declares UNIQUE with the parent key (under DP
only those: `declared_unique_labels`); generation masks, at such a column, the tokens its earlier
siblings under the same parent row took (`_generate._Cursor.sibling_tokens`), unless that leaves
no category to draw.

Likewise single values of a column whose other values repeat: an account's one OWNER among any
number of DISPONENT rights, an order's one `shipping` line among its product lines
(`find_once_labels`). Where every parent row with rows under it holds such a value once (not by
chance: chance would have left `MIN_REPEATS` parent rows without it), generation also writes it
in the parent's last row when no earlier sibling did (the parent's child counts are drawn before
its children): a small model left 4 of 500 generated accounts without an owner and gave 2 two.

And labels never repeated across two columns of one parent's rows: a round's matches, where a team
is no match's home team when it is another's away team (`find_shared_labels`); generation masks,
at each column, the labels its earlier siblings took at the other: an untrained model on a league
of 8 teams had a team play twice in 71 of 124 generated rounds, each column kept on its own.

And pairs of values never repeated together under one parent, each repeating alone: a class's
lessons, one a (weekday, period) (`find_unique_label_pairs`); generation masks, at the later
column, the values its earlier siblings holding the row's value of the earlier one took.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.schema import Edge
from relsynth.synth.tabular.encoders import CategoricalPreproc, one_per_value, plain_texts
from relsynth.synth.tabular.rules.columns import categoricals, exact_values, is_exact, nested_categories
from relsynth.synth.tabular.rules.unique_sets import declared_pair

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows under a parent holding the label, at least
MIN_REPEATS = 5.0  # pairs of siblings chance would give one label, at least


def find_unique_labels(pre, data: RelationalData) -> dict[str, list[str]]:
    """table -> its categorical columns that no row of its parent repeats among its rows (and
    that chance would have repeated)."""
    out: dict[str, list[str]] = {}
    for table, edge, col, _ in nested_categories(pre, data):
        if declared_pair(pre.schema, table, edge.fk, col) or _never_repeated(data[table][edge.fk], data[table][col]):
            log.info("%s.%s is never repeated under one %s row: kept so", table, col, edge.parent)
            out.setdefault(table, []).append(col)
    return out


def find_ancestor_unique_labels(pre, data: RelationalData) -> dict[str, dict[str, int]]:
    """table -> {categorical column: levels up (2: its grandparent)}: columns of a table nested under
    a parent's parent that no row further up repeats among the rows under it, where chance would
    have (`_never_repeated`): a seat, unique within its booking's flight and not only within the
    booking (the highest such ancestor). Generation masks the labels taken under that row."""
    out: dict[str, dict[str, int]] = {}
    for table, edge, col, _ in nested_categories(pre, data):
        key, level, found = data[table][edge.fk], 1, None
        while (up := pre.schema.parent(edge.parent)) is not None and (key := _up_key(pre, data, edge, key)) is not None:
            edge, level = up, level + 1
            if _never_repeated(key, data[table][col]):
                found = level
        if found is not None:
            log.info("%s.%s is never repeated under one row %d levels up: kept so", table, col, found)
            out.setdefault(table, {})[col] = found
    return out


def _up_key(pre, data: RelationalData, edge: Edge, key: pd.Series) -> pd.Series | None:
    """`key` (values of `edge`'s parent key) as the keys of that parent row's own parent (None:
    keys that are not one column)."""
    pk, up = pre.schema.tables[edge.parent].primary_key, pre.schema.parent(edge.parent)
    parent = data[edge.parent]
    if not isinstance(pk, str) or pk not in parent.columns or up.fk not in parent.columns:
        return None
    return key.map(parent.drop_duplicates(pk).set_index(pk)[up.fk])


def declared_unique_labels(pre, data: RelationalData) -> dict[str, list[str]]:
    """`find_unique_labels` from the declarations alone (UNIQUE (parent key, column) in the source;
    public like the schema, so under DP too)."""
    out: dict[str, list[str]] = {}
    for table, edge, col, _ in nested_categories(pre, data):
        if declared_pair(pre.schema, table, edge.fk, col):
            out.setdefault(table, []).append(col)
    return out


def _never_repeated(parent: pd.Series, label: pd.Series) -> bool:
    """Whether no parent key holds one label twice, where labels drawn by their shares would have
    repeated `MIN_REPEATS` times (pairs of siblings) at least."""
    held = parent.notna() & label.notna()
    if held.sum() < MIN_ROWS:
        return False
    frame = pd.DataFrame({"p": parent[held].to_numpy(), "v": plain_texts(label)[held].to_numpy()})
    if frame.duplicated().any():
        return False
    sizes = frame.groupby("p").size().to_numpy(dtype=np.float64)
    same = float((frame["v"].value_counts(normalize=True) ** 2).sum())  # chance two siblings share a label
    return float((sizes * (sizes - 1) / 2).sum()) * same >= MIN_REPEATS


def _never_repeated_codes(parent: np.ndarray, label: np.ndarray) -> bool:
    """`_never_repeated` of codes (-1: missing) of the parent keys and of the labels' texts: the same
    answer, on integers (the joined texts of a line item's pairs of 600k rows took 0.3 s a pair)."""
    held = (parent >= 0) & (label >= 0)
    if held.sum() < MIN_ROWS:
        return False
    p, v = parent[held].astype(np.int64), label[held].astype(np.int64)
    if pd.Series(p * (int(v.max()) + 1) + v).duplicated().any():
        return False
    sizes = np.bincount(p).astype(np.float64)
    sizes = sizes[sizes > 0]  # the parents' numbers of rows (whole: summed exactly in any order)
    # the labels' shares in decreasing order, as the texts' value_counts (ties are equal shares)
    same = float((pd.Series(v).value_counts(normalize=True) ** 2).sum())  # chance two siblings share a label
    return float((sizes * (sizes - 1) / 2).sum()) * same >= MIN_REPEATS


def _joined_codes(a_text: pd.Series, b_text: pd.Series, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each row's two texts joined by a unit separator (U+001F) as a code (-1: either missing; `a`,
    `b`: the texts' codes), each distinct pair's joined once (texts holding it may join alike)."""
    held, out = (a >= 0) & (b >= 0), np.full(len(a), -1, dtype=np.int64)
    pair = pd.factorize(a[held].astype(np.int64) * (int(b.max(initial=0)) + 1) + b[held])[0]
    before = np.maximum.accumulate(np.concatenate([[-1], pair[:-1]])) if len(pair) else pair
    rows = np.flatnonzero(held)[np.flatnonzero(pair > before)]  # each pair's first row
    joined = (a_text.iloc[rows] + "\x1f" + b_text.iloc[rows]).to_numpy(dtype=object)
    out[held] = pd.factorize(joined)[0][pair]
    return out


def _repeated_alone(parent: np.ndarray, codes: np.ndarray) -> bool:
    """Whether a parent row holds one code (-1: missing) of a column twice."""
    held = (parent >= 0) & (codes >= 0)
    key = parent[held].astype(np.int64) * (int(codes.max(initial=0)) + 1) + codes[held]
    return bool(pd.Series(key).duplicated().any())


def _repeated_codes(parent: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether a parent row holds one (a, b) pair of codes (-1: missing) twice: `_never_repeated`
    then holds no rule, found on integers once per pair (a line item's pairs of 600k rows: their text
    joined and hashed took seconds)."""
    held = (parent >= 0) & (a >= 0) & (b >= 0)
    if not held.any():
        return False
    pair = a[held].astype(np.int64) * (int(b.max()) + 1) + b[held]
    pair = pd.factorize(pair)[0].astype(np.int64)
    return bool(pd.Series(parent[held].astype(np.int64) * (int(pair.max()) + 1) + pair).duplicated().any())


def find_shared_labels(pre, data: RelationalData, once: list[dict] = ()) -> list[dict]:
    """[{"table", "columns": [a, b]}]: pairs of categorical columns of a table nested under a parent
    whose label in one row is never the other's label in another row under the same parent (a team
    playing home in one match of a round, away in none of its others), where independent labels
    would have met in `MIN_REPEATS` pairs of siblings at least. Not columns whose single values only
    are kept (`once`: their siblings' labels are recorded value by value)."""
    partial = {(r["table"], r["column"]) for r in once}
    columns: dict[str, list[str]] = {}
    for table, _edge, col, _ in nested_categories(pre, data):
        if (table, col) not in partial:
            columns.setdefault(table, []).append(col)
    out = []
    for table, cols in columns.items():
        fk = pre.schema.parent(table).fk
        sides = {c: _side(data[table][fk], data[table][c]) for c in cols}  # each column's text once, not per pair
        pairs, shares = _held_pairs(sides), {c: s["v"].value_counts(normalize=True) for c, s in sides.items()}
        for i, a in enumerate(cols):
            for b in cols[i + 1 :]:
                met = functools.partial(_met_pairs, pairs[a], pairs[b])
                if _never_across(sides[a], sides[b], (shares[a], shares[b]), met):
                    log.info("%s.%s and %s.%s never share a label under one parent row: kept so", table, a, table, b)
                    out.append({"table": table, "columns": [a, b]})
    return out


def _side(parent: pd.Series, label: pd.Series) -> pd.DataFrame:
    """The rows holding both a parent key and a label: their parent key ("p"), label as text ("v")
    and row number ("row")."""
    held = parent.notna() & label.notna()
    frame = pd.DataFrame({"p": parent[held].to_numpy(), "v": plain_texts(label)[held].to_numpy()})
    frame["row"] = np.arange(len(parent))[held.to_numpy()]
    return frame


def _held_pairs(sides: dict[str, pd.DataFrame]) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per column's `_side`: its distinct (parent key, label) pairs as sorted integers, coded alike
    across the columns, with the first row and the number of rows holding each: read once per
    column, so that `_met_pairs` tells two columns apart on integers (TPC-H sf 0.1's line items: 6
    pairs of 600k rows grouped by their text took 2 s)."""
    frames = list(sides.values())
    if not frames:
        return {}
    p = pd.factorize(pd.concat([f["p"] for f in frames], ignore_index=True))[0].astype(np.int64)
    v = pd.factorize(pd.concat([f["v"] for f in frames], ignore_index=True))[0].astype(np.int64)
    keys, out, start = p * (int(v.max(initial=0)) + 1) + v, {}, 0
    for c, f in sides.items():
        key = keys[start : start + len(f)]
        start += len(f)
        pairs, first, counts = np.unique(key, return_index=True, return_counts=True)
        out[c] = (pairs, f["row"].to_numpy()[first], counts)  # rows ascending: the first is the least
    return out


def _met_pairs(a: tuple[np.ndarray, np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray, np.ndarray]) -> bool:
    """`_met` of two columns' `_held_pairs`: a pair both hold in other rows, or more than once."""
    _, at_a, at_b = np.intersect1d(a[0], b[0], assume_unique=True, return_indices=True)
    return bool(((a[2][at_a] > 1) | (b[2][at_b] > 1) | (a[1][at_a] != b[1][at_b])).any())


def _never_across(
    a: pd.DataFrame,
    b: pd.DataFrame,
    shares: tuple[pd.Series, pd.Series] | None = None,
    met: Callable[[], bool] | None = None,
) -> bool:
    """Whether no row's label `a` is another row's label `b` under one parent key (`_side`s), where
    labels drawn by their shares would have been so in `MIN_REPEATS` (ordered) pairs of siblings at
    least. `shares`: each side's labels' shares, `met`: `_met` of the two, where known apart."""
    sides = [a, b]
    if min(len(s) for s in sides) < MIN_ROWS:
        return False
    shares = shares or tuple(s["v"].value_counts(normalize=True) for s in sides)
    same = float(shares[0].mul(shares[1], fill_value=0.0).sum())  # chance a row's a is another's b
    if same == 0.0 or (met() if met else _met(*sides)):
        return False  # no label both columns write (a flag's and a status's), or one row's met another's
    together = sides[0][["row", "p"]].merge(sides[1][["row"]], on="row")  # rows holding both labels
    sizes = together.groupby("p").size().to_numpy(dtype=np.float64)
    return float((sizes * (sizes - 1)).sum()) * same >= MIN_REPEATS


def find_unique_label_pairs(pre, data: RelationalData, unique: dict[str, list[str]]) -> list[dict]:
    """[{"table", "columns": [a, b]}]: pairs of exact columns (categories, numbers of points only) of
    a table nested under a parent, neither kept whole by `unique` nor never repeated alone (its
    pairs then never repeat either: no rule of their own), that no parent row repeats together
    among its rows, where pairs drawn by their shares would have (`_never_repeated`): a class's
    lessons never two in one (weekday, period). Not the columns kept in order (offsets)."""
    out = []
    for table, layout in pre.layouts.items():
        edge = pre.schema.parent(table)
        if edge is None or edge.fk not in data[table].columns:
            continue
        skip = {edge.fk, *unique.get(table, ()), *pre.orderings.get(table, {})}
        fields = [
            (c, pre.slots[s].preproc)
            for c, s in zip(layout.fields, layout.slots, strict=False)
            if c not in skip and c in data[table].columns and is_exact(pre.slots[s].preproc)
        ]
        plain = {c: _exact_texts(data[table][c], p) for c, p in fields}
        parent, codes = pd.factorize(data[table][edge.fk])[0], {c: pd.factorize(v)[0] for c, v in plain.items()}
        # a column never repeated alone (a line number, 1 to n an order, an integer no label rule keeps)
        # never repeats any pair: no rule of its own. Kept, it masked at the other column the values of
        # the siblings the model gave the same number, and left a row no value a `never_pairs` ban allows
        fields = [(c, p) for c, p in fields if _repeated_alone(parent, codes[c])]
        for i, (a, _) in enumerate(fields):
            for b, _ in fields[i + 1 :]:
                if _repeated_codes(parent, codes[a], codes[b]):
                    continue  # a parent row holding the pair twice: no rule, known without its text
                if _never_repeated_codes(parent, _joined_codes(plain[a], plain[b], codes[a], codes[b])):
                    log.info("%s: (%s, %s) is never repeated under one %s row: kept so", table, a, b, edge.parent)
                    out.append({"table": table, "columns": [a, b]})
    return out


def _exact_texts(values: pd.Series, p) -> pd.Series:
    """`exact_values(values, p)` as text, NaN where missing; each distinct value written once where
    that writes every row (`one_per_value`)."""
    sample, spread = one_per_value(values)
    texts = spread(exact_values(sample, p).astype(str).where(sample.notna()).to_numpy(dtype=object))
    return pd.Series(texts, index=values.index, name=values.name, dtype=object)


def label_pair_positions(pre, rules: list[dict]) -> dict[str, list[tuple[int, int, frozenset[int], frozenset[int]]]]:
    """table -> [(header position of a, of b, a's value tokens, b's)] of `find_unique_label_pairs`'
    rules (a missing or `<rare>` value pairs with nothing)."""
    out: dict[str, list[tuple[int, int, frozenset[int], frozenset[int]]]] = {}
    for r in rules:
        layout = pre.layouts.get(r["table"])
        if layout is None or not all(c in layout.fields for c in r["columns"]):
            continue
        a, b = (layout.fields.index(c) for c in r["columns"])
        values = [frozenset(pre.slots[layout.slots[j]].value_tokens().values()) for j in (a, b)]
        out.setdefault(r["table"], []).append((a, b, *values))
    return out


MAX_SLOT_COLUMNS = 8  # columns of a row `never_repeated_with` tries, alone and in pairs
SLOT_KINDS = (Column.CATEGORICAL, Column.INTEGER, Column.BOOLEAN, Column.DATE, Column.DATETIME, Column.TIME)


def never_repeated_with(
    schema, table: str, df: pd.DataFrame, key: str, where: pd.Series | None, also: tuple[str, ...] = ()
) -> list[str] | None:
    """The fewest columns of `table` (one or two labels, integers or dates shared by rows: a lesson's
    weekday and period; or of `also`, keys to other rows) with which `key` never repeats among the
    rows of one `where` value (a school; None: all rows) in `MIN_ROWS` rows holding them all, where
    keys drawn by their shares there would have in `MIN_REPEATS` pairs of rows at least (no teacher in
    two lessons at once). None: no such columns."""
    columns = _slot_columns(schema, table, df, key, also)  # a wide table's pairs are not all tried
    return next(_never_repeated_combos(df, key, where, columns), None)


def never_repeated_sets(
    schema, table: str, df: pd.DataFrame, key: str, where: pd.Series | None, also: tuple[str, ...] = ()
) -> list[list[str]]:
    """Every fewest set of columns (`never_repeated_with`'s, in its order; none holding all of an
    earlier one) with which `key` never repeats among the rows of one `where` value, where chance
    would have: a match's home team once a date, and once a season against each away team (`also`:
    the match's away team). A key can be kept unique with several such sets at once."""
    columns = _slot_columns(schema, table, df, key, also)
    out: list[list[str]] = []
    for combo in _never_repeated_combos(df, key, where, columns):
        if not any(set(kept) <= set(combo) for kept in out):
            out.append(combo)
    return out


def _slot_columns(schema, table: str, df: pd.DataFrame, key: str, also: tuple[str, ...]) -> list[str]:
    """The columns `never_repeated_with` tries: values shared by rows (a slot), the fewest first."""
    columns = [
        c
        for c, k in schema.tables[table].columns.items()
        if (k.kind in SLOT_KINDS or c in also)
        and c != key
        and c in df.columns
        and df[c].nunique() * 2 <= df[c].notna().sum()
    ]
    return sorted(columns, key=lambda c: df[c].nunique())[:MAX_SLOT_COLUMNS]


def _never_repeated_combos(
    df: pd.DataFrame, key: str, where: pd.Series | None, columns: list[str]
) -> Iterator[list[str]]:
    """The columns, alone then in pairs, with which `key` never repeats under one `where` value in
    `MIN_ROWS` rows holding them all, where keys drawn by their shares would have."""
    for combo in [[c] for c in columns] + [[a, b] for i, a in enumerate(columns) for b in columns[i + 1 :]]:
        frame = df[[*combo, key]].assign(_scope=0 if where is None else where)
        frame = frame[frame.notna().all(axis=1)]
        if len(frame) >= MIN_ROWS and not frame.duplicated().any() and _repeats_by_chance(frame, key, combo):
            yield combo


def _repeats_by_chance(frame: pd.DataFrame, key: str, combo: list[str]) -> bool:
    """Whether keys drawn by their shares in each scope ("_scope") would repeat within the rows of
    one (scope, `combo`) in `MIN_REPEATS` pairs of rows at least."""
    same = frame.groupby("_scope")[key].apply(lambda k: float((k.value_counts(normalize=True) ** 2).sum()))
    sizes = frame.groupby(["_scope", *combo]).size()
    pairs = sizes * (sizes - 1) / 2
    return float((pairs * same.reindex(pairs.index.get_level_values("_scope")).to_numpy()).sum()) >= MIN_REPEATS


def find_lookup_slots(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "with": [columns]}]: lookup keys (categories the model writes: a lesson's
    teacher, of a lookup table) never repeated with one or two values of their row across all the
    table's rows, whatever entity holds them (`never_repeated_with`: no teacher in two classes' lessons
    of one weekday and period), or with a reference of the row (a product stocked once in a
    warehouse, the stock lines a root table referencing it: 45 of 214 generated lines repeated a
    pair). Masks see one entity; generation swaps them once every row and reference is written
    (`_references.unique_with_rows`)."""
    out = []
    for table, layout in pre.layouts.items():
        refs = tuple(e.fk for e in pre.schema.references(table))
        for fk in pre.schema.lookup_fks(table):
            if fk in layout.fields and fk in data[table].columns:
                if combo := never_repeated_with(pre.schema, table, data[table], fk, None, also=refs):
                    log.info("%s.%s is never repeated with its row's %s: kept so", table, fk, combo)
                    out.append({"table": table, "column": fk, "with": combo})
                    # and further sets, with the row's other lookup keys too (a home team once a season against each away team)
                    others = (*refs, *(c for c in pre.schema.lookup_fks(table) if c != fk and c in layout.fields))
                    sets = never_repeated_sets(pre.schema, table, data[table], fk, None, also=others)
                    if also := [c for c in sets if not set(combo) <= set(c)]:
                        out[-1]["also"] = also
    return out


def met_across(parent: pd.Series, a: pd.Series, b: pd.Series) -> bool:
    """Whether some row's `a` is another row's `b` under one parent key (a null meets nothing)."""
    rows = np.arange(len(parent))
    sides = []
    for label in (a, b):
        held = (parent.notna() & label.notna()).to_numpy()
        sides.append(pd.DataFrame({"p": parent[held].to_numpy(), "v": label[held].to_numpy(), "row": rows[held]}))
    return _met(*sides)


def _met(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether a (parent "p", value "v") held at row "row" of `a` is held at another row of `b`."""
    # per (parent, value) of each side: its rows; the two meet in other rows unless each holds it once, in one row
    held_a, held_b = (side.groupby(["p", "v"])["row"].agg(["min", "size"]) for side in (a, b))
    both = held_a.join(held_b, how="inner", lsuffix="_a", rsuffix="_b")
    return bool(((both["size_a"] > 1) | (both["size_b"] > 1) | (both["min_a"] != both["min_b"])).any())


def shared_label_bans(pre, rules: list[dict]) -> dict[str, dict[int, list[tuple[int, np.ndarray]]]]:
    """table -> {header position of a column: [(the position of a column sharing its labels, (vocab,)
    a token of that column -> the token of the same label in this one, -1: none)]} of
    `find_shared_labels`' rules, both ways."""
    out: dict[str, dict[int, list[tuple[int, np.ndarray]]]] = {}
    for r in rules:
        layout = pre.layouts.get(r["table"])
        if layout is None or not all(c in layout.fields for c in r["columns"]):
            continue
        positions = [layout.fields.index(c) for c in r["columns"]]
        ids = [pre.slots[layout.slots[j]].category_tokens() for j in positions]
        for this, other in ((0, 1), (1, 0)):
            same = np.full(pre.vocab_size, -1, dtype=np.int64)
            for label, token in ids[other].items():
                same[token] = ids[this].get(label, -1)
            out.setdefault(r["table"], {}).setdefault(positions[this], []).append((positions[other], same))
    return out


def find_once_labels(pre, data: RelationalData, unique: dict[str, list[str]]) -> list[dict]:
    """[{"table", "column", "once": [values], "exactly": [values]}]: per categorical column nested
    under a parent (not one `unique` keeps whole), its frequent values that no parent row holds
    twice among its rows, where chance would have repeated them `MIN_REPEATS` times at least;
    `exactly`: those of them every parent row with rows holds, where chance would have left
    `MIN_REPEATS` parent rows without them."""
    out = []
    for table, edge, col, preproc in nested_categories(pre, data):
        if col not in unique.get(table, ()) and (rule := _once_values(data[table][edge.fk], data[table][col], preproc)):
            log.info("%s.%s holds %s once at most under one %s row: kept so", table, col, rule["once"], edge.parent)
            if by := _exactly_by(pre, data, edge, col, [v for v in rule["once"] if v not in rule["exactly"]]):
                rule["exactly_by"] = by
                log.info("%s.%s holds %s once under each %s row of those labels: kept so", table, col, by, edge.parent)
            out.append({"table": table, "column": col, **rule})
    return out


def _exactly_by(pre, data: RelationalData, edge: Edge, col: str, values: list[str]) -> dict[str, list]:
    """{value: [parent column, [its labels]]}: of `values` (held once at most under a parent row),
    those every parent row of some labels of one of its categorical columns holds and no other
    parent row does (`split_by_labels`): a sold listing's one accepted offer, which an active or
    withdrawn listing's offers never hold."""
    child = data[edge.child]
    return split_by_labels(pre, data, edge.parent, child[edge.fk], child[col], values)


def split_by_labels(
    pre, data: RelationalData, parent_table: str, keys: pd.Series, label: pd.Series, values: list[str]
) -> dict[str, list]:
    """{value: [column of `parent_table`, [its labels]]}: of `values`, those every row of
    `parent_table` of some labels of one of its categorical columns holds among the rows under it
    (`keys`: each row's key of its `parent_table` row, `label`: its label) and no other row does,
    among the rows with rows under them, where chance would have left `MIN_REPEATS` of the first
    without it and given it to as many of the others. The column whose labels cover the most rows;
    none where no column splits them so."""
    held = keys.notna().to_numpy()
    if not values or held.sum() < MIN_ROWS:
        return {}
    keys_, p = np.unique(keys[held].to_numpy(), return_inverse=True)
    sizes = np.bincount(p).astype(np.float64)
    text = plain_texts(label)[held].to_numpy()
    pk = pre.schema.tables[parent_table].primary_key
    parent = data[parent_table].drop_duplicates(pk).set_index(pk).reindex(keys_)
    out = {}
    for value in values:
        has = np.bincount(p, weights=(text == value).astype(np.float64), minlength=len(keys_)) > 0
        share = float((text == value).mean())
        best: tuple[int, list] | None = None
        for by, preproc in categoricals(pre, data, parent_table):
            groups = plain_texts(parent[by]).to_numpy()
            labels = [str(c) for c in preproc.categories if (rows := groups == str(c)).any() and has[rows].all()]
            inside = np.isin(groups, labels)
            # the labels decide it: chance would have left some of theirs without it, given it to some others
            missed = float(((1 - share) ** sizes[inside]).sum())
            given = float((1 - (1 - share) ** sizes[~inside]).sum())
            if (
                not has[~inside].any()
                and min(missed, given) >= MIN_REPEATS
                and (best is None or inside.sum() > best[0])
            ):
                best = (int(inside.sum()), [by, labels])
        if best is not None:
            out[value] = best[1]
    return out


def _once_values(parent: pd.Series, label: pd.Series, preproc: CategoricalPreproc) -> dict | None:
    """{"once", "exactly"} of one column's frequent values (`find_once_labels`); None: none. Every
    value's count under each parent in one pass (a category by category scan of the rows cost
    categories x rows)."""
    held = parent.notna()
    if held.sum() < MIN_ROWS:
        return None
    p = pd.factorize(parent[held])[0]
    codes, uniques = pd.factorize(plain_texts(label)[held])
    sizes = np.bincount(p).astype(np.float64)
    known = codes >= 0
    pairs, per_pair = np.unique(p[known].astype(np.int64) * len(uniques) + codes[known], return_counts=True)
    code_of_pair = pairs % len(uniques) if len(uniques) else pairs
    most = np.zeros(len(uniques), dtype=np.int64)  # the most rows one parent holds of each value
    np.maximum.at(most, code_of_pair, per_pair)
    parents = np.bincount(code_of_pair, minlength=len(uniques))  # parents holding each value
    shares = np.bincount(codes[known], minlength=len(uniques)) / len(codes)
    sibling_pairs = float((sizes * (sizes - 1) / 2).sum())
    index = {str(u): k for k, u in enumerate(uniques)}
    once, exactly = [], []
    for value in (str(c) for c in preproc.categories):
        k = index.get(value)
        if k is None or most[k] > 1 or sibling_pairs * shares[k] ** 2 < MIN_REPEATS:
            continue
        once.append(value)
        if parents[k] == len(sizes) and float(((1 - shares[k]) ** sizes).sum()) >= MIN_REPEATS:
            exactly.append(value)
    return {"once": once, "exactly": exactly} if once else None


def unique_positions(
    pre, unique: dict[str, list[str]], once: list[dict] = ()
) -> tuple[dict[str, dict[int, frozenset[int] | None]], dict[str, list[tuple[int, list[int]]]]]:
    """(table -> {header position: the tokens its siblings may not repeat, None: every label}, table
    -> [(header position, the tokens one of its parent's rows must hold, None or (the parent's header
    position, its tokens): only under a parent row holding one of those)]) for `unique` and `once`."""
    banned: dict[str, dict[int, frozenset[int] | None]] = {}
    required: dict[str, list[tuple[int, list[int]]]] = {}
    for t, cols in unique.items():
        if t in pre.layouts:
            banned[t] = {pre.layouts[t].fields.index(c): None for c in cols if c in pre.layouts[t].fields}
    for rule in once:
        if (found := pre.label_tokens(rule["table"], rule["column"])) is None:
            continue
        j, ids = found
        banned.setdefault(rule["table"], {})[j] = frozenset(ids[v] for v in rule["once"] if v in ids)
        if tokens := [ids[v] for v in rule["exactly"] if v in ids]:
            required.setdefault(rule["table"], []).append((j, tokens, None))
        for value, (by, labels) in rule.get("exactly_by", {}).items():  # none in older models
            edge = pre.schema.parent(rule["table"])
            if value in ids and (above := pre.label_tokens(edge.parent, by)) is not None:
                under = frozenset(above[1][v] for v in labels if v in above[1])
                required.setdefault(rule["table"], []).append((j, [ids[value]], (above[0], under)))
    return banned, required

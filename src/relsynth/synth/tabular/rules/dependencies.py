"""Categories that follow from an earlier category of their row (a measurement's unit from its
analyte, a city's country from its city): in every training row holding the earlier value, one
value of the later column goes with each value of the earlier one.

The model writes the later column as a token of its own, drawn after the earlier one, so a
generated row can pair them as no training row does (a small model gave 3 % of measurements a
unit their analyte never had). The fit keeps, per categorical column of a table, the first earlier
categorical column of its row that determines it in every row holding that column's value, with
at least `MIN_ROWS` rows away from the later column's most common value (a column that is nearly
always one value follows from anything by chance), as a map between their frequent categories
(values rarer than `min_count` are no token, so never in the map). Generation writes the later
column's token from the earlier one's, where the map has it (as the context columns are forced):
the columns after it are conditioned on the value the row really has. A context column given at
generation is neither forced nor a source of forcing beyond its own value. Not fitted under DP.

Likewise two categorical columns of a row that share their values but never hold the same one
(a flight's origin and destination airport, a match's home and away team), where chance would
have paired them in `MIN_EQUAL` rows at least: the later column never takes the earlier one's
value at generation (`banning_tables`), which a model drawing them one by one does (9 of 426
generated flights landed where they took off).

And a column that is missing exactly where an earlier category of its row, or a number of exact
values (a survey's score 1 to 5: a follow-up asked at 1 or 2 only), holds some values
(a cancelled flight's delay and actual times, in every row, and only there): after such a value
the column's `<missing>` token is forced, after any other frequent one it is banned
(`null_tables`), where a model drawing them one by one gave 13 of 16 cancelled flights a delay
and 25 flown ones none. Each value read so has `MIN_NULLS` rows at least, all missing or none.
Where no value says so, a column missing in exactly the rows where an earlier column of its row
is (a seller's reply and its date: 8 of 1,050 generated reviews held one without the other) is
forced missing after that column's `<missing>` token and banned after any other of its tokens.
Where some values never miss the column and others miss it at will (a ticket's first response,
missing for some open tickets, never for a solved one), the `<missing>` token is banned after the
former alone (`find_held_rules`), where chance would have left one of their rows missing.

Likewise a category that follows from one of its parent row's (a shipment's state from its
order's status: `find_parent_dependencies`), forced as each row starts (`parent_forcing`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular.encoders import CategoricalPreproc, NumericPreproc
from relsynth.synth.tabular.grammar import Slot
from relsynth.synth.tabular.rules.columns import categoricals, exact_values, is_exact, value_codes

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows away from the later column's most common value, at least
SCREEN = 2000  # rows a candidate is tried on before all: most pairs of columns fail on a few
MIN_NULLS = 5  # rows of a value whose column is always missing (and rows not missing), at least
HELD_CHANCE = 1e-3  # the most a label's rows may owe to chance in holding a column missing under others
MIN_EQUAL = 5.0  # rows chance would give one value in two columns, at least, to call them never equal


def find_dependencies(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "of", "pairs": [[value of `of`, value of `column`], ...]}]: in every
    row of `table` holding `of`, `column` is the value paired with it. Each table's categorical
    fields in header order, and its numbers written exactly (a grade's points from its letter: a
    small model gave 4 of 1,776 generated enrollments points their grade never has), each from
    an earlier categorical field; not the root's context columns (given at generation)."""
    out = []
    for table, layout in pre.layouts.items():
        given = pre.given_columns(table)
        cats = categoricals(pre, data, table)
        codes = {c: value_codes(data[table][c]) for c, _ in cats}  # once a column: pairs are many on a wide table
        for col, col_pre in _exact_numbers(pre, data, table):  # a grade's points: a number written exactly
            codes[col] = value_codes(exact_values(data[table][col], col_pre))
        at = {c: k for k, c in enumerate(layout.fields)}
        targets = sorted(cats + _exact_numbers(pre, data, table), key=lambda f: at[f[0]])  # in header order
        for col, col_pre in targets:
            if col in given or not _values_of(col_pre) or not _varied(codes[col][0]):
                continue
            for of, of_pre in (f for f in cats if at[f[0]] < at[col]):
                if _decides(codes[of][0], codes[col][0]):
                    pairs = _pairs(codes[of], codes[col], of_pre, col_pre)
                    if pairs is not None:
                        log.info("%s.%s follows from %s.%s in every row: kept so", table, col, table, of)
                        out.append({"table": table, "column": col, "of": of, "pairs": pairs})
                        break
    return out


def find_parent_dependencies(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "of", "pairs"}]: as `find_dependencies`, a categorical column of a
    nested table that follows in every row from a categorical column `of` of its parent row (a
    shipment's state from its order's status: a small model gave 2 to 4 of 890 generated shipments
    a state their order's status never has); the first such `of` in the parent's header. Generation
    forces it as each row starts, from its parent's header (`parent_forcing`)."""
    out = []
    for table in pre.layouts:
        edge = pre.schema.parent(table)
        if edge is None or edge.fk not in data[table].columns or edge.parent not in pre.layouts:
            continue
        mine, theirs = categoricals(pre, data, table), categoricals(pre, data, edge.parent)
        if not mine or not theirs:
            continue
        pk = pre.schema.tables[edge.parent].primary_key
        pos = pd.Index(data[edge.parent][pk]).get_indexer(data[table][edge.fk])
        above = {}
        for of, _ in theirs:
            codes, text = value_codes(data[edge.parent][of])
            above[of] = (np.where(pos >= 0, codes[np.maximum(pos, 0)], -1), text)
        for col, col_pre in mine:
            codes = value_codes(data[table][col])
            if not col_pre.categories or not _varied(codes[0]):
                continue
            for of, of_pre in theirs:
                if _decides(above[of][0], codes[0]) and (pairs := _pairs(above[of], codes, of_pre, col_pre)):
                    log.info("%s.%s follows from its %s row's %s in every row: kept so", table, col, edge.parent, of)
                    out.append({"table": table, "column": col, "of": of, "pairs": pairs})
                    break
    return out


def _exact_numbers(pre, data: RelationalData, table: str) -> list[tuple[str, NumericPreproc]]:
    """`table`'s modelled numbers of exact values only (`is_exact`), not modelled as an offset."""
    layout = pre.layouts[table]
    return [
        (c, pre.slots[s].preproc)
        for c, s in zip(layout.fields, layout.slots, strict=False)
        if isinstance(pre.slots[s].preproc, NumericPreproc)
        and is_exact(pre.slots[s].preproc)
        and c in data[table].columns
        and c not in pre.orderings.get(table, {})
    ]


def _values_of(p) -> list:
    """The values with a token of their own: a column's categories, or a number's points (as floats)."""
    return list(p.categories) if isinstance(p, CategoricalPreproc) else [float(v) for v in p.points]


def parent_forcing(pre, rules: list[dict]) -> dict[str, list[tuple[int, int, np.ndarray]]]:
    """table -> [(the parent header position of `of`, the header position of `column`, (vocab,) the
    token it takes after each parent token, -1: none)] of `find_parent_dependencies`' rules."""
    out: dict[str, list[tuple[int, int, np.ndarray]]] = {}
    for r in rules:
        edge = pre.schema.parent(r["table"])
        layout = pre.layouts.get(r["table"])
        above = pre.layouts.get(edge.parent) if edge is not None else None
        if layout is None or above is None or r["column"] not in layout.fields or r["of"] not in above.fields:
            continue
        i, j = above.fields.index(r["of"]), layout.fields.index(r["column"])
        of_ids, ids = pre.slots[above.slots[i]].category_tokens(), pre.slots[layout.slots[j]].category_tokens()
        token = np.full(pre.vocab_size, -1, dtype=np.int64)
        for a, b in r["pairs"]:
            if str(a) in of_ids and str(b) in ids:
                token[of_ids[str(a)]] = ids[str(b)]
        out.setdefault(r["table"], []).append((i, j, token))
    return out


def find_distinct(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "of"}]: categorical columns of a row, or numbers written exactly (every
    value a point: a survey's ranks 1 to 5), that share values yet never hold the same one in the
    rows holding both, where independent columns would in `MIN_EQUAL` rows at least (so not by
    chance); `of` is the earlier one in the header, of the same kind."""
    out = []
    for table, layout in pre.layouts.items():
        fields = [
            (c, pre.slots[s].preproc)
            for c, s in zip(layout.fields, layout.slots, strict=False)
            if is_exact(pre.slots[s].preproc) and c in data[table].columns and c not in pre.orderings.get(table, {})
        ]  # a column kept in order is modelled as its offset: its tokens name no value of its own
        codes, n_values = _shared_codes({c: exact_values(data[table][c], p) for c, p in fields})
        for i, (col, p) in enumerate(fields):
            for of, of_p in fields[:i]:
                if type(of_p) is type(p) and never_equal(codes[of], codes[col], n_values):
                    log.info("%s.%s never equals %s.%s: kept so", table, col, table, of)
                    out.append({"table": table, "column": col, "of": of})
    return out


def find_null_rules(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "of", "missing": [...], "held": [...]}]: `column` is missing in every
    row of `table` whose earlier categorical column (or number of exact values) `of` holds a value
    of `missing`, and in no row holding one of `held` (frequent categories or points, the tokens;
    `MIN_NULLS` rows each side at least). Modelled one by one, a follow-up asked below a score of 3
    was answered, or not, against its score in 4 of 1,000 generated respondents.
    The first such `of` in the header, for each column that has a `<missing>` token."""
    out = []
    for table in pre.layouts:
        fields = _token_fields(pre, data, table)  # `of`: the exact ones only (`is_exact`), whose tokens name values
        groups: dict = {}
        for i, (col, col_pre) in enumerate(fields):
            if not col_pre.has_missing:
                continue
            missing = data[table][col].isna()
            found = _missing_by_value(pre, data, table, col, missing, fields[:i], groups)
            found = found or _missing_alike(data, table, col, missing, fields[:i])
            if found is not None:
                out.append(found)
    return out


def _token_fields(pre, data: RelationalData, table: str) -> list[tuple[str, object]]:
    """(column, its preproc) of `table`'s header fields in order, the categorical and numeric ones the data holds."""
    layout = pre.layouts[table]
    return [
        (c, pre.slots[s].preproc)
        for c, s in zip(layout.fields, layout.slots, strict=False)
        if isinstance(pre.slots[s].preproc, (CategoricalPreproc, NumericPreproc)) and c in data[table].columns
    ]


def find_held_rules(pre, data: RelationalData, ruled: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "of", "missing": [], "held": [...]}] as `find_null_rules`, where `column`
    is missing at will under some values of its earlier category `of` but never under others
    (`held`): a ticket's first response, missing under `open` only, where no agent took it.
    Each held value has `MIN_NULLS` rows at least, and the chance that they all hold the column,
    at its missing share in the rows holding `of`, is under `HELD_CHANCE`. Modelled one by one,
    1 to 3 % of a trained model's solved and closed tickets had no first response. The first such
    `of` in the header, for each column with a `<missing>` token that no rule in `ruled` decides."""
    out = []
    for table in pre.layouts:
        fields = _token_fields(pre, data, table)
        for i, (col, col_pre) in enumerate(fields):
            if not col_pre.has_missing or (table, col) in ruled:
                continue
            missing = data[table][col].isna()
            for of, of_pre in fields[:i]:
                exact = isinstance(of_pre, CategoricalPreproc) and of not in pre.orderings.get(table, {})
                held = _held_values(data[table][of], missing, of_pre) if exact else []
                if held:
                    log.info("%s.%s is never missing where %s.%s is one of %s: kept so", table, col, table, of, held)
                    out.append({"table": table, "column": col, "of": of, "missing": [], "held": held})
                    break
    return out


def _held_values(of: pd.Series, missing: pd.Series, of_pre: CategoricalPreproc) -> list:
    """The frequent categories of `of` whose rows never miss the column, where chance would have left
    one missing (`HELD_CHANCE`, at the missing share of the rows holding `of`), while rows of another
    category do miss it; [] where none."""
    held = of.notna()
    p = float(missing[held].mean()) if held.any() else 0.0
    if p in (0.0, 1.0):
        return []
    share = missing[held].groupby(of[held].astype(str)).agg(["sum", "size"])
    known = {str(v): v for v in of_pre.categories}
    share = share[share.index.isin(list(known))]
    never = share[(share["sum"] == 0) & (share["size"] >= MIN_NULLS) & ((1.0 - p) ** share["size"] < HELD_CHANCE)]
    return [known[v] for v in never.index] if len(never) < len(share) else []


def find_later_null_rules(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "of", "missing": [...], "held": [...]}] as `find_null_rules`, where the
    category `of` comes after `column` in the header (a claim's closed date before its status, OPEN
    where none): the model draws the date, then the label against it (10 % of a small model's open
    claims had a closed date, 7 % of denied ones none). Generation bans the labels of the other side
    once the column is written. Categories, or numbers of exact values (a stay's died flag, 0 / 1,
    after its discharge location, missing where 1: 2 % of a small model's stays had both or neither),
    the first after the column. Not fitted under DP."""
    out = []
    for table, layout in pre.layouts.items():
        fields = [
            (c, pre.slots[s].preproc)
            for c, s in zip(layout.fields, layout.slots, strict=False)
            if c in data[table].columns and hasattr(pre.slots[s].preproc, "has_missing")
        ]
        groups: dict = {}
        for i, (col, col_pre) in enumerate(fields):
            if not col_pre.has_missing:
                continue
            missing = data[table][col].isna()
            for of, of_pre in fields[i + 1 :]:
                exact = is_exact(of_pre) and of not in pre.orderings.get(table, {})  # an order's: an offset
                rule = _missing_with(data[table][of], missing, of_pre, groups) if exact else None
                if rule is not None:
                    log.info(
                        "%s.%s is one of %s exactly where %s.%s is missing: kept so", table, of, rule[0], table, col
                    )
                    out.append({"table": table, "column": col, "of": of, "missing": rule[0], "held": rule[1]})
                    break
    return out


def later_null_bans(pre, rules: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(position, token), each (n, vocab), n the most labels of one side of a rule: after the
    `<missing>` token of a rule's column, the header position of its later category `of` and a
    label of `held` there, banned; after any other token of the column, a label of `missing`."""
    width = max((max(len(r["missing"]), len(r["held"])) for r in rules), default=0)
    position = np.full((len(rules) * width, pre.vocab_size), -1, dtype=np.int64)
    token = np.full((len(rules) * width, pre.vocab_size), -1, dtype=np.int64)
    for n, r in enumerate(rules):
        layout = pre.layouts[r["table"]]
        if r["of"] not in layout.fields or r["column"] not in layout.fields:
            continue
        j = layout.fields.index(r["of"])
        slot = pre.slots[layout.slots[layout.fields.index(r["column"])]]
        labels = pre.slots[layout.slots[j]].value_tokens()  # a number's points as `str(float)`
        written = np.arange(slot.offset + 1, slot.offset + slot.preproc.n_tokens)  # local id 0: <missing>
        for k in range(width):
            row = n * width + k
            if k < len(r["held"]) and str(r["held"][k]) in labels:
                position[row, slot.offset], token[row, slot.offset] = j, labels[str(r["held"][k])]
            if k < len(r["missing"]) and str(r["missing"][k]) in labels:
                position[row, written], token[row, written] = j, labels[str(r["missing"][k])]
    return position, token


def _missing_by_value(
    pre, data, table: str, col: str, missing: pd.Series, earlier: list, groups: dict | None = None
) -> dict | None:
    """The rule of the first `earlier` (column, preprocessor) some of whose values say where `col`
    is `missing` (`_missing_with`, `groups` its cache), None where none."""
    for of, of_pre in earlier:
        exact = is_exact(of_pre) and of not in pre.orderings.get(table, {})  # an order's: an offset
        rule = _missing_with(data[table][of], missing, of_pre, groups) if exact else None
        if rule is not None:
            log.info("%s.%s is missing exactly where %s.%s is one of %s: kept so", table, col, table, of, rule[0])
            found = {"table": table, "column": col, "of": of, "missing": rule[0], "held": rule[1]}
            spelled = isinstance(of_pre, CategoricalPreproc) and of_pre.rare_spelled  # a number: no <rare>
            if spelled and not missing[of_pre.encode(data[table][of]) == 1].any():
                found["rare_held"] = True  # <rare> spells the number: held where it is drawn
            return found
    return None


def _missing_alike(data, table: str, col: str, missing: pd.Series, earlier: list) -> dict | None:
    """The rule of the first `earlier` column missing in exactly the rows where `col` is (a reply
    and its date; `MIN_NULLS` rows each way at least), None where none: `missing_alike`, no values."""
    if missing.sum() < MIN_NULLS or (~missing).sum() < MIN_NULLS:
        return None
    for of, of_pre in earlier:
        if of_pre.has_missing and data[table][of].isna().equals(missing):
            log.info("%s.%s is missing exactly where %s.%s is: kept so", table, col, table, of)
            return {"table": table, "column": col, "of": of, "missing": [], "held": [], "missing_alike": True}
    return None


def _missing_with(
    of: pd.Series, missing: pd.Series, of_pre: CategoricalPreproc, groups: dict | None = None
) -> tuple[list, list] | None:
    """(values of `of` whose rows are all missing, values whose rows are none), frequent categories
    of `MIN_NULLS` rows each, where every row holding `of` is one or the other; None where not.
    `groups`: `of`'s held rows' value codes by column name, kept across calls on one table."""
    held = of.notna()
    if groups is not None:  # a wide table asks each column against every column with nulls: most mix at once
        if of.name not in groups:
            groups[of.name] = pd.factorize(exact_values(of[held], of_pre).astype(str))[0]
        size = np.bincount(groups[of.name])
        nulls = np.bincount(groups[of.name], weights=missing[held].to_numpy(dtype=np.float64), minlength=len(size))
        if not np.all((nulls == 0) | (nulls == size)):
            return None
    share = missing[held].groupby(exact_values(of[held], of_pre).astype(str)).agg(["mean", "size"])
    if not share["mean"].isin([0.0, 1.0]).all():
        return None
    known = {str(v): v for v in _values_of(of_pre)}  # a number's points as `str(float)`, as `exact_values`
    share = share[share.index.isin(list(known)) & (share["size"] >= MIN_NULLS)]
    ones, zeros = share.index[share["mean"] == 1.0], share.index[share["mean"] == 0.0]
    if not len(ones) or not len(zeros):
        return None
    return [known[v] for v in ones], [known[v] for v in zeros]


def _shared_codes(columns: dict[str, pd.Series]) -> tuple[dict[str, np.ndarray], int]:
    """Each column's values as codes of one vocabulary of their text across the columns (-1:
    missing), and its size: read once per column, not once per pair (a survey of 120 columns has
    7,000 pairs: 25 of a 35 s fit on 3,000 rows went to reading them again)."""
    texts = {c: s.dropna().astype(str).to_numpy(dtype=object) for c, s in columns.items()}
    vocab = pd.Index(pd.unique(np.concatenate([np.empty(0, dtype=object), *texts.values()])))
    out = {}
    for c, s in columns.items():
        codes = np.full(len(s), -1, dtype=np.int64)
        codes[s.notna().to_numpy()] = vocab.get_indexer(texts[c])
        out[c] = codes
    return out, len(vocab)


def never_equal(a: np.ndarray, b: np.ndarray, n_values: int) -> bool:
    """Whether no row holding both (codes of `_shared_codes`) has one value in both, where chance
    (the two columns' value shares, independent) would give `MIN_EQUAL` such rows at least."""
    held = (a >= 0) & (b >= 0)
    a, b = a[held], b[held]
    if len(a) < MIN_ROWS or (a == b).any():
        return False
    chance = np.bincount(a, minlength=n_values) @ np.bincount(b, minlength=n_values) / len(a)  # rows
    return float(chance) >= MIN_EQUAL


def _varied(b: np.ndarray) -> bool:
    """At least `MIN_ROWS` rows away from the most common value (missing counted as one): a column
    that is nearly always one value would follow from anything by chance."""
    counts = np.bincount(b + 1)
    return len(b) - int(counts.max(initial=0)) >= MIN_ROWS


def _decides(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether each value of `a` goes with one value of `b` (missing being one) in every row
    holding `a`, of at least `MIN_ROWS` such rows; tried on a first few rows, then on all."""
    held = a >= 0
    if held.sum() < MIN_ROWS:
        return False
    a, b = a[held], b[held]
    for rows in (slice(0, SCREEN), slice(None)):
        x, y = a[rows], b[rows]
        if len(np.unique(x * (int(b.max()) + 2) + y + 1)) != len(np.unique(x)):
            return False
    return True


def _pairs(
    a: tuple[np.ndarray, list[str]],
    b: tuple[np.ndarray, list[str]],
    a_pre: CategoricalPreproc,
    b_pre: CategoricalPreproc,
) -> list[list] | None:
    """The (a, b) pairs of frequent categories (a rare value is no token) where `a` decides `b`,
    of at least two values of `b`; None where fewer."""
    (a_codes, a_text), (b_codes, b_text) = a, b
    held = a_codes >= 0
    b_of = dict(zip(a_codes[held].tolist(), b_codes[held].tolist(), strict=True))
    b_of_text = {a_text[k]: (b_text[v] if v >= 0 else None) for k, v in b_of.items()}
    known_b = {str(v): v for v in _values_of(b_pre)}
    pairs = [[v, known_b[b_of_text[str(v)]]] for v in a_pre.categories if b_of_text.get(str(v)) in known_b]
    if len(pairs) < 2 or len({str(p[1]) for p in pairs}) < 2:
        return None
    return pairs


def _slots_of(pre, rule: dict) -> tuple[int, Slot, Slot] | None:
    """(the header position of `rule`'s column, the slot of its earlier column `of`, its own slot)
    in the layout of `rule`'s table; None where the layout lacks either (a column not modelled)."""
    layout = pre.layouts[rule["table"]]
    if rule["of"] not in layout.fields or rule["column"] not in layout.fields:
        return None
    j_of, j = layout.fields.index(rule["of"]), layout.fields.index(rule["column"])
    return j, pre.slots[layout.slots[j_of]], pre.slots[layout.slots[j]]


def forcing_tables(pre, dependencies: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(position, token), each (n, vocab) for the n `dependencies`: after a token of an earlier
    column, the header position of the column that follows from it and the token it takes there
    (-1: none). One row each: a city decides both its region and its country (one row for all
    kept only the last, and 86 % of a warehouse's generated stores had a region of another city)."""
    position = np.full((len(dependencies), pre.vocab_size), -1, dtype=np.int64)
    token = np.full((len(dependencies), pre.vocab_size), -1, dtype=np.int64)
    for n, d in enumerate(dependencies):
        if (found := _slots_of(pre, d)) is None:
            continue
        j, of_slot, slot = found
        of_ids, ids = of_slot.category_tokens(), slot.value_tokens()  # a category's, or a number's points
        for a, b in d["pairs"]:
            if str(a) in of_ids and str(b) in ids:
                position[n, of_ids[str(a)]] = j
                token[n, of_ids[str(a)]] = ids[str(b)]
    return position, token


def banning_tables(pre, distinct: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """(position, token), each (n, vocab) for the n pairs of `distinct`: after a token of an
    earlier column, the header position of a column that never equals it and the token of the
    same value there, which that row may not take (-1: none)."""
    position = np.full((len(distinct), pre.vocab_size), -1, dtype=np.int64)
    token = np.full((len(distinct), pre.vocab_size), -1, dtype=np.int64)
    for n, d in enumerate(distinct):
        if (found := _slots_of(pre, d)) is None:
            continue
        j, of_slot, slot = found
        ids = slot.value_tokens()
        for v, t in of_slot.value_tokens().items():
            if v in ids:
                position[n, t] = j
                token[n, t] = ids[v]
    return position, token


def null_tables(pre, rules: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(force position, force token, ban position, ban token), each (n, vocab) for the n rules of
    `find_null_rules`: after a token of `of`, the header position of `column` and its `<missing>`
    token, forced after a value of `missing` and banned after one of `held` (-1: none)."""
    shape = (len(rules), pre.vocab_size)
    force_pos, force_tok = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    ban_pos, ban_tok = np.full(shape, -1, dtype=np.int64), np.full(shape, -1, dtype=np.int64)
    for n, r in enumerate(rules):
        if (found := _slots_of(pre, r)) is None:
            continue
        j, of_slot, slot = found
        ids = of_slot.value_tokens()  # a category's, or a number's points (`str(float)`)
        text = str if hasattr(of_slot.preproc, "categories") else lambda v: str(float(v))
        for values, pos, tok in ((r["missing"], force_pos, force_tok), (r["held"], ban_pos, ban_tok)):
            for v in values:
                if text(v) in ids:
                    pos[n, ids[text(v)]], tok[n, ids[text(v)]] = j, slot.offset  # local id 0: <missing>
        if r.get("rare_held"):  # a number spelt by `of`'s <rare> (`_spelled_values`), local id 1
            ban_pos[n, of_slot.offset + 1], ban_tok[n, of_slot.offset + 1] = j, slot.offset
        if r.get("missing_alike"):  # after `of`'s <missing> (local id 0), after any other of its tokens not
            force_pos[n, of_slot.offset], force_tok[n, of_slot.offset] = j, slot.offset
            held = slice(of_slot.offset + 1, of_slot.offset + of_slot.preproc.n_tokens)
            ban_pos[n, held], ban_tok[n, held] = j, slot.offset
    return force_pos, force_tok, ban_pos, ban_tok

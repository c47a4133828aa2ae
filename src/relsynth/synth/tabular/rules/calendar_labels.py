"""Labels a calendar sets: every row of one date holds one value, whichever entity it is under (a
holiday week, the same for every store of a chain; a chain-wide promotion day of all its shops).

The model writes each store's rows in its own entity, so nothing tied one store's flag for a date to
another's: a small model's generated weekly rows of 30 stores agreed on the holiday weeks in 80 % of
the rows (the data: every row). The fit keeps, per categorical, integer or boolean column of a table
and the first date of its row such that every row of one date held by `min_count` root entities at
least holds one value (missing counting as one), in `MIN_DATES` such dates, where values drawn by
their shares would have broken it in `MIN_BREAKS` dates at least (a column nearly always one value
agrees by chance), the map from those dates to their values: each date is shared by `min_count`
entities, so no one entity's value is kept. Generation sets the column of every row on one of those
dates, once every date is set; a row on another date keeps the model's value, and so does a row where
the date's value would make a pair of values no row of the data holds (`never_pairs`: TPC-H's line
status, set from the ship date, beside the return flag the model drew for its own status: 30 % of a
small model's line items returned 'R' or 'A' while still open, 11 % without the rule, none in the
data), or break a value following from another (a holiday flag from a promotion drawn before it:
`dependencies`), or contradict the child rows drawn for the model's value (`count_rules`: a day
closed on a holiday, every store's, set so where the model drew it open, with its sales). Not fitted
under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational.orders import DATED, ancestor_keys, as_numbers
from relsynth.synth.tabular.rules.shared_values import ancestor_row_codes, text_codes

log = logging.getLogger(__name__)
MIN_DATES = 20  # dates shared by `min_count` entities at least, at least
MIN_BREAKS = 5.0  # dates that values drawn by their shares would have broken, at least
_KINDS = (Column.CATEGORICAL, Column.INTEGER, Column.BOOLEAN)


def find_calendar_labels(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "date", "dates": [ns since the epoch], "values": [value or None]}]:
    every row of `table` on one of `dates` holds its value of `values` in `column`. Not `skip`'s
    columns (set by another rule) nor context columns."""
    out = []
    for table in data.schema.synth_tables:
        kinds = data.schema.tables[table].columns
        modelled = [c for c in pre.modelled_columns(table) if c in data[table].columns]
        frame = data[table].reset_index(drop=True)
        given = pre.given_columns(table)
        labels = [c for c in modelled if kinds[c].kind in _KINDS and c not in given and (table, c) not in skip]
        if not labels:
            continue
        roots = _root_codes(pre, data, table)
        days = [
            d
            for c in modelled
            if kinds[c].kind in DATED and (d := _Days.of(frame[c], kinds[c].kind, roots, pre.min_count)) is not None
        ]
        for col in labels:
            codes = text_codes(frame[col])
            for d in days:
                found = d.calendar(codes, frame[col])
                if found is not None:
                    out.append({"table": table, "column": col, "date": d.name, **found})
                    log.info("%s.%s holds one value on each date of %s across entities: kept so", table, col, d.name)
                    break
    return out


def _root_codes(pre, data: RelationalData, table: str) -> np.ndarray:
    """Per row of `table`, a code of the highest row above it its keys reach (itself for a root)."""
    above = ancestor_row_codes(pre, data, table)
    return above[-1][2] if above else np.arange(len(data[table]))


class _Days:
    """A date column's rows sorted by date, cut where the date changes, and which dates `min_count`
    entities share: read once for every label of its table (a wide table's labels each grouped
    600k line items by each date again)."""

    def __init__(self, name: str, order: np.ndarray, starts: np.ndarray, shared: np.ndarray, ns: np.ndarray):
        self.name, self.order, self.starts, self.shared, self.ns = name, order, starts, shared, ns
        self.sizes = np.diff(np.append(starts, len(order)))

    @classmethod
    def of(cls, dates: pd.Series, kind: Column, roots: np.ndarray, min_count: int) -> _Days | None:
        x = as_numbers(dates, kind)  # ns since the epoch, NaN where missing (datetimes taken as they are)
        held = np.flatnonzero(~np.isnan(x))
        if len(held) < 2 * MIN_DATES:
            return None
        by_date = np.argsort(x[held], kind="stable")
        order, ns = held[by_date], x[held][by_date].astype(np.int64)
        starts = np.flatnonzero(np.r_[True, ns[1:] != ns[:-1]])
        sizes = np.diff(np.append(starts, len(order)))
        entities = pd.DataFrame({"d": np.repeat(np.arange(len(starts)), sizes), "r": roots[order]})
        shared = entities.drop_duplicates().groupby("d").size().to_numpy() >= max(min_count, 2)
        if shared.sum() < MIN_DATES:
            return None
        return cls(str(dates.name), order, starts, shared, ns[starts])

    def calendar(self, codes: np.ndarray, values: pd.Series) -> dict | None:
        """{"dates", "values"} where every row of each shared date holds one value (`codes`, missing
        one of them), on `MIN_DATES` dates breaking `MIN_BREAKS` by chance, else None."""
        v = codes[self.order]
        low, high = np.minimum.reduceat(v, self.starts), np.maximum.reduceat(v, self.starts)
        if (low != high)[self.shared].any():
            return None
        first = low[self.shared]
        if len(np.unique(first)) < 2:
            return None  # one value on every date: nothing the calendar sets
        n = self.sizes[self.shared]
        _, shares = np.unique(np.repeat(first, n), return_counts=True)
        shares = shares / n.sum()
        same = (shares[None, :] ** n[:, None]).sum(axis=1)  # chance a date's rows all agree
        if float((1.0 - same).sum()) < MIN_BREAKS:
            return None
        rows = self.order[self.starts[self.shared]]  # each date's first row, to read its value
        return {"dates": [int(d) for d in self.ns[self.shared]], "values": [_plain(v) for v in values.iloc[rows]]}


def _plain(v):
    """A value as JSON holds it (None: missing)."""
    if pd.isna(v):
        return None
    return v.item() if hasattr(v, "item") else v


def apply_calendar_labels(
    rules: list[dict], tables: dict[str, pd.DataFrame], bans: list[dict] = (), schema: Schema | None = None
) -> None:
    """Set (in place) each fitted column of the generated `tables` on the rule's dates to their value;
    rows on other dates or without one keep theirs, and so do rows where it would make a pair `bans`
    (`pair_rules`; `schema` reads an ancestor row's value) says no row has. Written in the column's dtype."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame) or r["column"] not in frame.columns:
            continue
        day = frame[r["date"]]
        day = day if pd.api.types.is_datetime64_any_dtype(day) else pd.to_datetime(day, errors="coerce")
        ns = day.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        where = pd.Index(np.asarray(r["dates"], dtype=np.int64)).get_indexer(ns)
        on = (where >= 0) & day.notna().to_numpy()
        column = frame[r["column"]].astype(object).to_numpy().copy()
        value = np.asarray(r["values"], dtype=object)[np.maximum(where, 0)]
        on &= ~_banned(r, value, tables, bans, schema)
        if not on.any():
            continue
        column[on] = value[on]
        frame[r["column"]] = pd.Series(column, index=frame.index).astype(frame[r["column"]].dtype)


def _banned(rule: dict, value: np.ndarray, tables: dict[str, pd.DataFrame], bans, schema) -> np.ndarray:
    """Per row of the rule's table, whether `value` in its column would make a pair of categories a
    `never_pairs` rule bans (`bans` with "level"), or break a value that follows from another
    (`dependencies`, its own row's: level 0; `parent_dependencies`, its parent row's: "level" 1):
    beside an earlier column of its row or an ancestor row's (the rule's column the later one), or
    beside a later column of its row (the rule's column the earlier one)."""
    table, col = rule["table"], rule["column"]
    frame, out = tables[table], np.zeros(len(tables[table]), dtype=bool)
    for ban in bans:
        if ban.get("counts"):
            out |= _count_banned(ban, rule, value, tables, schema)
        if ban["table"] != table or ban.get("number") or not ban.get("pairs"):
            continue
        level, follows = int(ban.get("level", 0)), "follows" in ban
        allowed = {str(a): str(b) for a, b in ban["pairs"]} if follows else None
        pairs = {(str(a), str(b)) for a, b in ban["pairs"]}
        if ban["column"] == col:
            earlier, later = _texts(_values_at(tables, schema, table, ban["of"], level)), _texts(value)
        elif ban["of"] == col and level == 0 and ban["column"] in frame:
            earlier, later = _texts(value), _texts(frame[ban["column"]])
        else:
            continue
        if follows:  # the later value is the one its earlier value gives, where it gives one
            out |= [a in allowed and b is not None and allowed[a] != b for a, b in zip(earlier, later, strict=True)]
        else:
            out |= [(a, b) in pairs for a, b in zip(earlier, later, strict=True)]
    return out


def _count_banned(ban: dict, rule: dict, value: np.ndarray, tables: dict[str, pd.DataFrame], schema) -> np.ndarray:
    """Per row of the rule's table, whether `value` in its column says it has no row of a child table
    (`count_rules`' "none") where it has some, or some where it has none (the children drawn for the
    model's value: a store's day closed on a holiday, generated with sales)."""
    table, n = rule["table"], len(tables[rule["table"]])
    edge = schema.parent(ban["child"]) if schema is not None and ban["child"] in tables else None
    if ban["table"] != table or ban["column"] != rule["column"] or ban.get("parent") or edge is None:
        return np.zeros(n, dtype=bool)
    pk = schema.tables[table].primary_key
    has = tables[table][pk].isin(tables[ban["child"]][edge.fk]).to_numpy() if pk in tables[table] else None
    if has is None:
        return np.zeros(n, dtype=bool)
    texts = _texts(value)
    none = np.array([t in {str(v) for v in ban["none"]} for t in texts], dtype=bool)
    some = np.array([t in {str(v) for v in ban["some"]} for t in texts], dtype=bool)
    return (none & has) | (some & ~has)


def pair_rules(stats: dict) -> list[dict]:
    """The rules a calendar's value must keep to (`_banned`): `never_pairs`, the `dependencies` (own
    row) and `parent_dependencies` (parent row) marked "follows", and the `count_rules` marked
    "counts" (none in older models)."""
    follows = [r | {"follows": True, "level": 0} for r in stats.get("dependencies", [])]
    follows += [r | {"follows": True, "level": 1} for r in stats.get("parent_dependencies", [])]
    counts = [r | {"counts": True} for r in stats.get("count_rules", [])]
    return list(stats.get("never_pairs", [])) + follows + counts


def _values_at(tables: dict[str, pd.DataFrame], schema: Schema | None, table: str, col: str, level: int) -> np.ndarray:
    """`col` of each row of `table`'s row `level` levels up (0: its own; missing where not read)."""
    at = table
    for _ in range(level):
        edge = schema.parent(at) if schema is not None else None
        if edge is None:
            return np.full(len(tables[table]), None, dtype=object)
        at = edge.parent
    if col not in tables[at]:
        return np.full(len(tables[table]), None, dtype=object)
    if at == table:
        return tables[table][col].to_numpy(dtype=object)
    rows = pd.Index(tables[at][schema.tables[at].primary_key]).get_indexer(ancestor_keys(schema, tables, table, at))
    values = tables[at][col].to_numpy(dtype=object)
    return np.where(rows >= 0, values[np.maximum(rows, 0)], None)


def _texts(values) -> list[str | None]:
    """Values as a category names them (missing: None, in no pair)."""
    return [None if _missing(v) else str(v) for v in values]


def _missing(v) -> bool:
    return v is None or (not isinstance(v, str) and bool(pd.isna(v)))

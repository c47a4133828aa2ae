"""Lookup rows chosen to match their row: a goal's scorer plays for one of the two teams of its
match (players and teams lookups, the scorer's team one of the match's home and away teams), a
line's product sold by the order's store.

A lookup key is a category of its row, drawn as a token of its own, so nothing tied the scorer to
the match: a briefly trained model gave 1,623 of 2,489 generated goals a scorer of neither team.
The fit keeps, per lookup key of a table and per column of the lookup, the categorical column of
the row's own (written before it) or of its parent row, else the pair of such columns, that the
lookup row's column equals (one of the pair) in every training row holding them, where keys drawn
by their shares would have broken it in `MIN_EXPECTED` rows at least. Generation masks the keys
whose lookup row matches none of the columns' values once they are written (`lookup_match_bans`);
a row left with nothing to draw keeps its logits. Not fitted under DP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.orders import parent_rows
from relsynth.synth.tabular.encoders import CategoricalPreproc, plain_scalar
from relsynth.synth.tabular.rules.columns import field_preproc

log = logging.getLogger(__name__)
RARE_KEYS = "\x00<rare>"  # `<rare>` among a key's tokens, where it stands for the lookup's other keys
MIN_ROWS = 20  # rows holding the key and the columns, at least
MIN_EXPECTED = 5.0  # rows keys drawn by their shares would have put off the rule, at least
SCREEN = 2000  # rows a lookup column is tried on before all


def find_lookup_matches(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "lookup", "via", "of": [column, ...], "level"}]: in every row of `table`,
    the `lookup` row its key `column` names holds in `via` the value of one of the columns `of` of
    the row's own (`level` 0, written before `column`) or of its parent row (1). Not a root's
    context columns (given at generation)."""
    out = []
    for table, layout in pre.layouts.items():
        given = pre.given_columns(table)
        sources = None
        for col, lookup in pre.schema.lookup_fks(table).items():
            if (
                col in given
                or col not in layout.fields
                or not isinstance(field_preproc(pre, table, col), CategoricalPreproc)
            ):
                continue
            sources = _sources(pre, data, table) if sources is None else sources
            candidates = [
                (lv, c, v) for lv, c, v in sources if lv > 0 or layout.fields.index(c) < layout.fields.index(col)
            ]
            for via, named in _lookup_columns(pre, data, table, col, lookup):
                found = _first_match(named, candidates)
                if found is not None:
                    level, of = found
                    out.append({"table": table, "column": col, "lookup": lookup, "via": via, "of": of, "level": level})
                    log.info("%s.%s names a %s row whose %s is one of %s: kept so", table, col, lookup, via, of)
                    break
    return out


def _texts(values: pd.Series) -> np.ndarray:
    """Values as text (None where missing), as categories compare."""
    held = values.notna().to_numpy()
    out = np.full(len(values), None, dtype=object)
    out[held] = [str(plain_scalar(v)) for v in values.to_numpy(dtype=object)[held]]
    return out


def _sources(pre, data: RelationalData, table: str) -> list[tuple[int, str, np.ndarray]]:
    """(level, column, each row's value as text) of the categorical columns of `table`'s own row and
    of its parent row."""
    out = []
    for c in pre.layouts[table].fields:
        if isinstance(field_preproc(pre, table, c), CategoricalPreproc) and c in data[table].columns:
            out.append((0, c, _texts(data[table][c])))
    edge = pre.schema.parent(table)
    if edge is not None and edge.parent in pre.layouts and edge.fk in data[table].columns:
        pk = pre.schema.tables[edge.parent].primary_key
        at = pd.Index(data[edge.parent][pk]).get_indexer(data[table][edge.fk])
        for c in pre.layouts[edge.parent].fields:
            if isinstance(field_preproc(pre, edge.parent, c), CategoricalPreproc) and c in data[edge.parent].columns:
                values = _texts(data[edge.parent][c])
                out.append((1, c, np.where(at >= 0, values[np.maximum(at, 0)], None)))
    return out


def _lookup_columns(pre, data: RelationalData, table: str, col: str, lookup: str):
    """(lookup column, each row's lookup value as text) of the lookup row each row of `table` names."""
    frame = data[lookup]
    pk = pre.schema.tables[lookup].primary_key
    if pk is None or not len(frame):  # an empty lookup (a code table no row uses yet) names nothing
        return
    at = pd.Index(_texts(frame[pk])).get_indexer(_texts(data[table][col]))
    for via in frame.columns:
        if via != pk:
            values = _texts(frame[via])
            yield via, np.where(at >= 0, values[np.maximum(at, 0)], None)


def _first_match(named: np.ndarray, candidates: list) -> tuple[int, list[str]] | None:
    """(level, [column] or [column, column]) of the first source, else pair of sources of one
    level, that the named lookup value equals (one of) in every row, not by chance. Rows missing
    a value do not count; a source that matches no row is in no pair. Tried on a first few rows,
    then on all: most lookup columns match nothing."""
    if len(named) > SCREEN and not _matches(named[:SCREEN], [(lv, c, v[:SCREEN]) for lv, c, v in candidates]):
        return None
    return _matches(named, candidates, MIN_ROWS)


def _matches(named: np.ndarray, candidates: list, min_rows: int = 0) -> tuple[int, list[str]] | None:
    """`_first_match` on these rows: not by chance where `min_rows` rows at least hold them (0:
    any match of every row)."""
    known = pd.notna(named)
    single = [(lv, c, v, known & pd.notna(v), named == v) for lv, c, v in candidates]  # once each
    pairs = [
        (la, [a, b], ha & hb, ma | mb)
        for i, (la, a, _, ha, ma) in enumerate(single)
        if ma.any()
        for lb, b, _, hb, mb in single[i + 1 :]
        if la == lb and mb.any()
    ]
    for level, of, held, match in [(lv, [c], h, m) for lv, c, _, h, m in single] + pairs:
        if not match[held].all() or held.sum() < min_rows:
            continue
        if not min_rows or _not_by_chance(named[held], candidates, level, of, held):
            return level, of
    return None


def _not_by_chance(named: np.ndarray, candidates, level: int, of: list[str], held: np.ndarray) -> bool:
    """Whether lookup values drawn by their shares would have matched none of the columns in
    `MIN_EXPECTED` rows at least."""
    shares = pd.Series(named).value_counts(normalize=True)
    columns = [v[held] for lv, c, v in candidates if lv == level and c in of]
    hit = np.zeros(len(named))
    for value, share in shares.items():
        hit += share * np.any([c == value for c in columns], axis=0)
    return float((1.0 - np.minimum(hit, 1.0)).sum()) >= MIN_EXPECTED


@dataclass(frozen=True)
class LookupMatch:
    """At a header position: the lookup keys a row may take, by the tokens its columns `sources`
    hold (`level` 0: the row's own header positions; 1: its parent row's); the others of
    `candidates` are masked."""

    level: int
    sources: tuple[int, ...]
    allowed: dict[int, np.ndarray]  # a source token -> the key tokens matching its value
    candidates: np.ndarray

    def banned(self, held: list[int]) -> list[int]:
        """The key tokens to mask after the sources' tokens `held`; none where one holds no frequent value."""
        if any(t not in self.allowed for t in held):
            return []
        ok = np.concatenate([self.allowed[t] for t in held])
        return self.candidates[~np.isin(self.candidates, ok)].tolist()


def lookup_match_bans(pre, rules: list[dict]) -> dict[str, dict[int, list[LookupMatch]]]:
    """table -> {header position of `column`: its `LookupMatch`es} of `find_lookup_matches`' rules
    (a rule whose columns are no longer modelled: left out)."""
    out: dict[str, dict[int, list[LookupMatch]]] = {}
    records = pre.stats.get("lookups", {})
    for r in rules:
        layout = pre.layouts.get(r["table"])
        source_table = r["table"] if r["level"] == 0 else pre.schema.parent(r["table"]).parent
        above = pre.layouts.get(source_table)
        rows = pd.DataFrame(records.get(r["lookup"], []))
        pk = pre.schema.tables[r["lookup"]].primary_key
        if layout is None or above is None or r["column"] not in layout.fields or not set(r["of"]) <= set(above.fields):
            continue
        if r["via"] not in rows.columns or pk not in rows.columns:
            continue
        slot = pre.slots[layout.slots[layout.fields.index(r["column"])]]
        ids = slot.category_tokens()
        key_value = dict(zip(_texts(rows[pk]), _texts(rows[r["via"]]), strict=True))
        by_value: dict[str, list[int]] = {}
        for key, token in ids.items():
            by_value.setdefault(key_value.get(key), []).append(token)
        # `<rare>`, one of the lookup's keys no category is (a player who scored a few goals), where
        # one of those matches: kept apart from the others (`keep_lookup_matches` picks it)
        rare_keys = getattr(slot.preproc, "rare_keys", None) or []
        for value in {key_value.get(str(plain_scalar(k))) for k in rare_keys}:
            by_value.setdefault(value, []).append(slot.offset + 1)
        if rare_keys:
            ids = {**ids, RARE_KEYS: slot.offset + 1}
        allowed: dict[int, np.ndarray] = {}
        for c in r["of"]:
            for value, token in pre.slots[above.slots[above.fields.index(c)]].category_tokens().items():
                allowed[token] = np.asarray(by_value.get(value, []), dtype=np.int64)
        sources = tuple(above.fields.index(c) for c in r["of"])
        match = LookupMatch(r["level"], sources, allowed, np.asarray(sorted(ids.values()), dtype=np.int64))
        out.setdefault(r["table"], {}).setdefault(layout.fields.index(r["column"]), []).append(match)
    return out


def match_scope(pre, tables: dict[str, pd.DataFrame], table: str, column: str) -> pd.Series | None:
    """Each row's values, in the lookup row its key `column` names, of the lookup columns a rule
    matches to the row (`find_lookup_matches`: a teacher's subject), as one text; None where no rule
    does. Keys swapped only among rows of one such value keep every match (`_decode`'s lookup slots)."""
    rules = [r for r in pre.stats.get("lookup_matches", []) if r["table"] == table and r["column"] == column]
    if not rules or table not in tables:
        return None
    keys = _texts(tables[table][column])
    parts = []
    for r in rules:
        rows = pd.DataFrame(pre.stats.get("lookups", {}).get(r["lookup"], []))
        pk = pre.schema.tables[r["lookup"]].primary_key
        if pk not in rows.columns or r["via"] not in rows.columns:
            continue
        via = dict(zip(_texts(rows[pk]), _texts(rows[r["via"]]), strict=True))
        parts.append([str(via.get(k)) for k in keys])
    if not parts:
        return None
    return pd.Series(["\x1f".join(p) for p in zip(*parts, strict=True)], index=tables[table].index)


def keep_lookup_matches(pre, tables: dict[str, pd.DataFrame], schema, rng: np.random.Generator) -> None:
    """Lookup keys that match none of their row's values (in place), once every value is set: a
    key decoded from `<rare>` is one of the lookup's keys no category is, drawn evenly, blind to the
    row (a goal's scorer, a player of neither team), so it is drawn again among those keys whose
    lookup row matches; a lookup key swapped since is too, among every matching key. How many is
    logged."""
    for r in pre.stats.get("lookup_matches", []):
        table, col = r["table"], r["column"]
        if table not in tables or col not in tables[table] or r["lookup"] not in tables:
            continue
        frame, lookup = tables[table], tables[r["lookup"]]
        pk = schema.tables[r["lookup"]].primary_key
        if r["level"] == 0:
            values = frame[r["of"]].reset_index(drop=True)
        else:
            values = parent_rows(tables, schema, table, r["of"])
        if values is None:
            continue
        via = dict(zip(_texts(lookup[pk]), _texts(lookup[r["via"]]), strict=True))
        named = np.array([via.get(k) for k in _texts(frame[col])], dtype=object)
        ok = np.logical_or.reduce([named == _texts(values[c]) for c in r["of"]]) | pd.isna(frame[col]).to_numpy()
        rows = np.flatnonzero(~ok)
        if not len(rows):
            continue
        slot = pre.slots[pre.layouts[table].slots[pre.layouts[table].fields.index(col)]]
        rare = {str(plain_scalar(k)) for k in getattr(slot.preproc, "rare_keys", None) or []}
        keys = frame[col].to_numpy(dtype=object).copy()
        by_value = pd.Series(_texts(lookup[pk])).groupby(_texts(lookup[r["via"]])).apply(list).to_dict()
        fixed = 0
        for i in rows:
            wanted = {_texts(values[c].iloc[[i]])[0] for c in r["of"]} - {None}
            pool = [k for v in sorted(wanted, key=str) for k in by_value.get(v, [])]
            if str(plain_scalar(keys[i])) in rare:
                pool = [k for k in pool if k in rare] or pool
            if pool:
                keys[i] = pool[int(rng.integers(len(pool)))]
                fixed += 1
        texts = dict(zip(_texts(lookup[pk]), lookup[pk].to_numpy(dtype=object), strict=True))
        frame[col] = pd.array([texts.get(k, k) if isinstance(k, str) else k for k in keys], dtype=frame[col].dtype)
        log.info(
            "%s.%s: %d lookup key(s) drawn again among the %s rows matching their row", table, col, fixed, r["lookup"]
        )

"""References kept among a sibling table's: a user's tags name movies the user rated (MovieLens'
tags and ratings, both nested under users, both naming movies), after rating them.

Each reference is drawn apart, so a generated tag named any movie: 42 of 61 tags of a
MovieLens-like database's tiny model named a movie their user never rated, where every tag of
the data names a rated one. The fit keeps (`named_by_sibling`), for a reference of a table nested
under a parent, a reference to the same table of another table nested under the same parent
whose rows under the same parent row name the referencing row's key in `MIN_SHARE` of at least
`MIN_ROWS` rows, where keys drawn by chance among the referenced rows would be so in half of
them at most; and an order between a column of each (`dates`: the tag's time on or after the
rating's), one the matched rows keep in `MIN_SHARE` of them where the parent's other sibling rows
keep it in `MAX_CHANCE` at most. Generation (`keep_sibling_named`), once every reference is drawn,
moves a key that names no key of its parent row's sibling rows onto one that does, one its other
rows do not name where the data's never name one twice, keeping the order where one of them
allows. Not under DP (references' pairings are not fitted there).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.orders import as_numbers
from relsynth.relational.schema import Edge
from relsynth.synth.tabular._references.decided import keep_decided

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # share of the referencing rows whose key a sibling row under their parent row names
MIN_ROWS = 20  # referencing rows holding a key and a parent, at least
MAX_CHANCE = 0.8  # share of the sibling rows an order holds with by chance, at most
N_GAPS = 21  # a date's gaps from its sibling row's are kept as this many quantiles
_ORDERED = (Column.DATE, Column.DATETIME, Column.INTEGER, Column.NUMERIC)


def named_by_sibling(data: RelationalData, e: Edge, fixed: set[tuple[str, str]] = frozenset()) -> dict | None:
    """{"table", "fk", "dates", "gaps"} for the sibling table and reference whose rows under the
    same parent row name the key of reference `e` (see the module docstring); "dates": [own column,
    sibling column] that the matched rows keep in order (own on or after), or None; "gaps": the
    quantiles of own - sibling in the matched rows, where the own column may be moved (not in
    `fixed`: (table, column) other rules read or set), else None."""
    schema = data.schema
    nest = schema.parent(e.child)
    if nest is None or e.parent == e.child or not isinstance(e.fk, str):
        return None
    own = data[e.child][[nest.fk, e.fk]].reset_index(drop=True)
    held = own.notna().all(axis=1).to_numpy()
    if held.sum() < MIN_ROWS:
        return None
    n_keys = len(data[e.parent])
    for sib in schema.synth_tables:
        edge = schema.parent(sib)
        if sib == e.child or edge is None or edge.parent != nest.parent:
            continue
        for ref in schema.references(sib):
            if ref.parent != e.parent or not isinstance(ref.fk, str):
                continue
            theirs = data[sib][[edge.fk, ref.fk]].reset_index(drop=True).dropna()  # labels: row positions
            match = _matched(own[held], theirs)
            if (match >= 0).mean() < MIN_SHARE or _chance(own[held], theirs, n_keys) > 0.5:
                continue
            dates = _dates(data, e.child, sib, held, match, own[held][nest.fk].to_numpy(), edge.fk)
            gaps = _gaps(data, e.child, sib, held, match, dates) if dates and (e.child, dates[0]) not in fixed else None
            return {"table": sib, "fk": ref.fk, "dates": dates, "gaps": gaps}
    return None


def _matched(own: pd.DataFrame, theirs: pd.DataFrame) -> np.ndarray:
    """Per row of `own` (parent key, key), the label in `theirs` of a row holding the same pair
    (its first), -1 where none does."""
    first = theirs.drop_duplicates()
    index = pd.MultiIndex.from_frame(first)
    return np.where((pos := index.get_indexer(pd.MultiIndex.from_frame(own))) >= 0, first.index.to_numpy()[pos], -1)


def _chance(own: pd.DataFrame, theirs: pd.DataFrame, n_keys: int) -> float:
    """The share of `own`'s rows a key drawn at random among the `n_keys` referenced rows would
    find among its parent row's sibling keys: their number over `n_keys`, on average."""
    per_parent = theirs.drop_duplicates().groupby(theirs.columns[0]).size()
    named = per_parent.reindex(own.iloc[:, 0].to_numpy()).fillna(0).to_numpy()
    return float(named.mean() / max(n_keys, 1))


def _dates(
    data: RelationalData,
    table: str,
    sib: str,
    held: np.ndarray,
    match: np.ndarray,
    parents: np.ndarray,
    sib_parent: str,
) -> list[str] | None:
    """[own column, sibling column] of one kind, the own on or after the sibling's in the matched
    rows (`MIN_SHARE` of them), but against the parent's other sibling rows in `MAX_CHANCE` at most."""
    schema = data.schema
    found = match >= 0
    sib_frame = data[sib].reset_index(drop=True)
    for mine, kind in schema.tables[table].columns.items():
        if kind.kind not in _ORDERED:
            continue
        for theirs, other in schema.tables[sib].columns.items():
            if other.kind is not kind.kind:
                continue
            a = as_numbers(data[table][mine].reset_index(drop=True), kind.kind)[held][found]
            b = as_numbers(sib_frame[theirs], kind.kind)[match[found]]
            both = ~np.isnan(a) & ~np.isnan(b)
            if both.sum() < MIN_ROWS or (a[both] >= b[both]).mean() < MIN_SHARE:
                continue
            pairs = pd.DataFrame({"p": parents[found][both], "a": a[both]}).merge(
                pd.DataFrame({"p": sib_frame[sib_parent], "b": as_numbers(sib_frame[theirs], kind.kind)}), on="p"
            )
            if len(pairs) and (pairs["a"] >= pairs["b"]).mean() <= MAX_CHANCE:
                return [mine, theirs]
    return None


def _gaps(
    data: RelationalData, table: str, sib: str, held: np.ndarray, match: np.ndarray, dates: list[str]
) -> list[float] | None:
    """`N_GAPS` quantiles of own - sibling date (in the columns' numbers: seconds, ns) over the
    matched rows holding both in order, `MIN_ROWS` at least; None where fewer."""
    kind = data.schema.tables[table].columns[dates[0]].kind
    found = match >= 0
    a = as_numbers(data[table][dates[0]].reset_index(drop=True), kind)[held][found]
    b = as_numbers(data[sib][dates[1]].reset_index(drop=True), kind)[match[found]]
    gap = (a - b)[~np.isnan(a) & ~np.isnan(b) & (a >= b)]
    return np.quantile(gap, np.linspace(0, 1, N_GAPS)).tolist() if len(gap) >= MIN_ROWS else None


def keep_sibling_named(pre, tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> None:
    """Move (in place) each generated reference with a `named_by` rule that names no key its
    parent row's sibling rows name onto one they do (see the module docstring). Run after
    `keep_decided`, it keeps what that decided: a key another key of its row decides (`decided_by`:
    a return's seller, its product's) is not moved on its own but carried with its deciding key
    (`_carried`), and each deciding value's rows get one key again once its keys are moved."""
    schema, fitted = pre.schema, pre.stats.get("references", {})
    for table in schema.synth_tables:
        for e in schema.references(table):
            stats = fitted.get(f"{e.child}.{e.fk}") or {}
            rule = stats.get("named_by")
            if rule and rule["table"] in tables and len(tables[table]) and not stats.get("decided_by"):
                carried = _carried(schema, fitted, e, rule["table"])
                moved = _keep(schema, tables, e, rule, bool(stats.get("unique_pairs")), rng, carried)
                for other in schema.references(table):  # rows not matched to a sibling row, too
                    if (fitted.get(f"{table}.{other.fk}") or {}).get("decided_by") == e.fk:
                        keep_decided(tables, other, e.fk)
                if moved:
                    log.info(
                        "%s.%s: %d keys moved onto ones their parent's %s rows name", table, e.fk, moved, rule["table"]
                    )


def _carried(schema, fitted: dict[str, dict], e: Edge, sib: str) -> dict[str, str]:
    """{own column: sibling column}: the keys of `e.child` that `e.fk` decides (`decided_by`) and that
    the sibling table `sib` names too (`named_by`): a row takes them from the sibling row its key
    is matched to, so the pair stays one the sibling rows hold (a return's product and seller, one
    of its order's items')."""
    out = {}
    for other in schema.references(e.child):
        stats = fitted.get(f"{e.child}.{other.fk}") or {}
        named = stats.get("named_by") or {}
        if other.fk != e.fk and stats.get("decided_by") == e.fk and named.get("table") == sib:
            out[other.fk] = named["fk"]
    return out


def _keep(
    schema,
    tables: dict[str, pd.DataFrame],
    e: Edge,
    rule: dict,
    unique: bool,
    rng: np.random.Generator,
    carried: dict[str, str],
) -> int:
    """The keys of `e` moved (in place) onto the keys `rule`'s sibling rows under their parent row
    name; the `carried` keys of each matched row set from its sibling row (`_carried`)."""
    rows, sib = tables[e.child], tables[rule["table"]]
    fk, sib_fk, parent_fk = e.fk, rule["fk"], schema.parent(e.child).fk
    sib_parent = schema.parent(rule["table"]).fk
    dates = rule.get("dates")
    kind = schema.tables[e.child].columns[dates[0]].kind if dates else None
    mine = as_numbers(rows[dates[0]], kind) if dates else None
    theirs = as_numbers(sib[dates[1]], kind) if dates else None
    by_parent: dict[object, list[int]] = {}
    for j, p in enumerate(sib[sib_parent].to_numpy()):
        if not pd.isna(p) and not pd.isna(sib[sib_fk].iat[j]):
            by_parent.setdefault(p, []).append(j)
    keys = rows[fk].to_numpy(dtype=object).copy()
    matched = np.full(len(rows), -1)  # per row, the sibling row its key is one of
    moved = 0
    for p, idx in pd.Series(np.arange(len(rows))).groupby(rows[parent_fk].to_numpy(), sort=False).groups.items():
        pool = by_parent.get(p, [])
        named = {}  # key -> its sibling rows' positions
        for j in pool:
            named.setdefault(sib[sib_fk].iat[j], []).append(j)
        if not named:
            continue
        kept: set = set()  # the keys rows of this parent row name already (a tag's movie: once a user)

        def in_order(i: int, js: list[int]) -> list[int]:  # the sibling rows `js` on or before row i's date
            return js if not dates or np.isnan(mine[i]) else [j for j in js if not theirs[j] > mine[i]]

        wrong = []
        for i in idx:
            if pd.isna(keys[i]):
                continue
            if keys[i] in named and not (unique and keys[i] in kept) and (js := in_order(i, named[keys[i]])):
                kept.add(keys[i])
                matched[i] = js[0]
            else:
                wrong.append(i)
        for i in wrong:
            free = [j for j in pool if not (unique and sib[sib_fk].iat[j] in kept)]
            before = in_order(i, free)
            if not before and keys[i] in named and not (unique and keys[i] in kept):
                kept.add(keys[i])  # named, none in order left: stays
                matched[i] = named[keys[i]][0]
                continue
            free = before or free  # a rating before the tag where one is left
            if not free:
                continue  # nothing left to name: the key stays as drawn
            matched[i] = free[int(rng.integers(len(free)))]
            keys[i] = sib[sib_fk].iat[matched[i]]
            kept.add(keys[i])
            moved += 1
    rows[fk] = pd.Series(keys, index=rows.index).astype(rows[fk].dtype)
    at = np.flatnonzero(matched >= 0)
    for own, theirs in carried.items():  # a return's seller, that of the item its product is matched to
        column = rows[own].copy()
        column.iloc[at] = sib[theirs].to_numpy()[matched[at]]
        rows[own] = column
    if dates and rule.get("gaps"):
        _keep_after(
            rows, dates[0], kind, keys, by_key(sib, sib_parent, sib_fk, theirs), rows[parent_fk], rule["gaps"], rng
        )
    return moved


def by_key(sib: pd.DataFrame, parent: str, fk: str, dates: np.ndarray) -> dict:
    """(parent key, key) -> the earliest date of the sibling rows holding them."""
    frame = pd.DataFrame({"p": sib[parent].to_numpy(), "k": sib[fk].to_numpy(), "d": dates}).dropna()
    return frame.groupby(["p", "k"])["d"].min().to_dict()


def _keep_after(
    rows: pd.DataFrame, col: str, kind, keys: np.ndarray, earliest: dict, parents: pd.Series, gaps: list, rng
) -> None:
    """Move (in place) each row's `col` before its sibling row's date (`earliest`, by parent and
    key) to that date plus a gap drawn from the data's quantiles (a tag a while after its rating)."""
    mine = as_numbers(rows[col], kind)
    theirs = np.array([earliest.get((p, k), np.nan) for p, k in zip(parents.to_numpy(), keys, strict=True)], float)
    early = np.flatnonzero(theirs > mine)
    if not len(early):
        return
    q = np.asarray(gaps, dtype=float)
    levels = rng.random(len(early)) * (len(q) - 1)
    low = np.floor(levels).astype(np.int64)
    gap = q[low] + (q[np.minimum(low + 1, len(q) - 1)] - q[low]) * (levels - low)
    new = theirs[early] + gap
    column = rows[col].copy()
    if kind in (Column.DATE, Column.DATETIME):
        values = pd.to_datetime(new.astype(np.int64)).as_unit("ns")
        if kind is Column.DATE:
            values = values.normalize()
        column.iloc[early] = values.astype(column.dtype) if hasattr(column, "dt") else values
    else:
        column.iloc[early] = np.round(new) if kind is Column.INTEGER else new
    rows[col] = column
    log.info("%s: %d values moved after their sibling row's %s", col, len(early), col)

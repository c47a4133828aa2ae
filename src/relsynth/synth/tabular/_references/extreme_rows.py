"""Keys of a row that name what its child row of the greatest (or least) number names: an
auction's winner, the bidder of its highest bid; a race's winner, the runner of its least time.

The parent row's key and its child rows' keys are each dealt by degrees and affinities, so a
generated auction's winner was any user: 0 and 0.4 % of the sold items of a small model (seeds
0/1) named their highest bid's bidder, every one in the data. The fit keeps, per reference of a
table and reference of a table nested under it naming the same table, the first number of the
child rows and direction (`EXTREMES`) whose extreme row names, under every parent row holding the
key and child rows of that number, the parent row's key, where `MIN_ROWS` such parent rows at
least hold rows naming two keys or more (a parent of one bidder tells nothing). Not where values
are copied across the key (`copies`, `ratios`: they would stay the old row's) nor where the key
decides another (`decided`). Generation, once every number and key is final, sets the key of
every parent row holding one to the key its child row of the extreme names; a parent row left
without such rows keeps its key. Not fitted under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.synth.tabular._references.decided import decides_another
from relsynth.synth.tabular.rules.numbers import as_floats

log = logging.getLogger(__name__)
MIN_ROWS = 20  # parent rows holding the key whose child rows name two keys or more, at least
EXTREMES = ("max", "min")
BLOCKING = ("copies", "ratios")  # values copied from the named row: moved, the key would leave them the old row's


def find_extreme_row_keys(pre, data: RelationalData) -> list[dict]:
    """[{"table", "fk", "child", "nest", "child_fk", "of", "how"}]: each row of `table` holding `fk`
    names what its row of `child` (under it by `nest`) of the `how` of `of` names by `child_fk` (see
    the module docstring)."""
    schema, fitted, out = data.schema, pre.stats.get("references") or {}, []
    for table in schema.synth_tables:
        pk = schema.tables[table].primary_key
        for e in schema.references(table):
            stats = fitted.get(f"{table}.{e.fk}") or {}
            if (
                pk is None
                or e.parent == table
                or any(stats.get(k) for k in BLOCKING)
                or decides_another(fitted, e.child, e.fk)
            ):
                continue
            found = _found(pre, data, table, e.fk, e.parent)
            if found is not None:
                child, child_fk, of, how = found
                log.info("%s.%s names what its %s row of the %s %s names: kept so", table, e.fk, child, how, of)
                nest = schema.parent(child).fk
                out.append(
                    {"table": table, "fk": e.fk, "child": child, "nest": nest, "child_fk": child_fk}
                    | {"of": of, "how": how}
                )
    return out


def _found(pre, data: RelationalData, table: str, fk: str, named: str) -> tuple[str, str, str, str] | None:
    """(child table, its key, number, direction) of the first extreme child row whose key `table`'s
    `fk` names wherever held, else None."""
    schema = data.schema
    keys = pd.Series(data[table][fk].to_numpy(), index=data[table][schema.tables[table].primary_key].to_numpy())
    for child in schema.children(table):
        nest = schema.parent(child).fk
        for r in schema.references(child):
            if r.parent != named:
                continue
            for of in pre.generated_numbers(child):
                frame = data[child]
                rows = pd.DataFrame(
                    {"parent": frame[nest].to_numpy(), "key": frame[r.fk].to_numpy(), "x": as_floats(frame[of])}
                )
                for how in EXTREMES:
                    if _names_extreme(keys, rows, how):
                        return child, r.fk, of, how
    return None


def _names_extreme(keys: pd.Series, rows: pd.DataFrame, how: str) -> bool:
    """Whether every parent key held (`keys`, by parent row key) with child rows of a number
    (`rows`: "parent" key, named "key", number "x") is one its extreme rows name, `MIN_ROWS` of them
    over rows naming two keys or more."""
    rows = rows[rows["x"].notna() & rows["key"].notna()]
    rows = rows[rows["parent"].map(keys).notna().to_numpy()]
    if rows.empty:
        return False
    at = rows[rows["x"].to_numpy() == rows.groupby("parent")["x"].transform(how).to_numpy()]
    hit = at["key"].to_numpy() == at["parent"].map(keys).to_numpy()
    held = pd.Series(hit).groupby(at["parent"].to_numpy()).any()
    if not held.all():
        return False
    telling = rows.groupby("parent")["key"].nunique()
    return int((telling >= 2).sum()) >= MIN_ROWS


def keep_extreme_row_keys(rules: list[dict], tables: dict[str, pd.DataFrame], pks: dict[str, str]) -> None:
    """Set (in place) each rule's key, in every parent row holding one and child rows of the number,
    to what its first child row of the extreme number names."""
    for rule in rules:
        parent, rows = tables.get(rule["table"]), tables.get(rule["child"])
        if parent is None or rows is None or not len(rows) or rule["of"] not in rows or rule["fk"] not in parent:
            continue
        nest = rule["nest"]
        x = as_floats(rows[rule["of"]])
        held = ~np.isnan(x) & rows[rule["child_fk"]].notna().to_numpy()
        frame = pd.DataFrame(
            {"parent": rows[nest].to_numpy()[held], "x": x[held], "key": rows[rule["child_fk"]].to_numpy()[held]}
        )
        at = frame[frame["x"].to_numpy() == frame.groupby("parent")["x"].transform(rule["how"]).to_numpy()]
        named = parent[pks[rule["table"]]].map(at.drop_duplicates("parent").set_index("parent")["key"])
        keep = parent[rule["fk"]].isna().to_numpy() | named.isna().to_numpy()
        column = parent[rule["fk"]].copy()  # written as `keep_decided` writes: the keys' own dtype kept
        column.iloc[np.flatnonzero(~keep)] = named[~keep].astype(column.dtype).to_numpy()
        parent[rule["fk"]] = column

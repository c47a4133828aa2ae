"""Child counts that a number of the parent row caps: a prescription's fills, at most its
`refills_allowed` + 1.

A row's count of each child table is a token of its own, drawn after the row's numbers but not
bound by them: a small model gave 0.6-0.9 % of a pharmacy's prescriptions more fills than their
refills allowed, none in the data. The fit keeps, per table nested under a parent and per integer
column of the parent, the least offset `extra` with count <= number + extra in every training row
(`MIN_ROWS` rows at least), where the cap binds (`min_count` rows on it) and the same numbers
beside other rows' counts would break it in `MIN_BROKEN` rows at least (so not a bound any count
keeps by chance), of numbers no total, formula or count sum sets or ties to the count. Decoding drops each row past its parent's cap, with the rows under it (the last
ones: the rows keep their order). Not under DP.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular._tables import child_counts

log = logging.getLogger(__name__)
MIN_ROWS = 20  # parent rows a cap needs
MIN_BROKEN = 5  # rows the numbers, paired with other rows' counts, break the cap in at least


def find_count_caps(pre, data: RelationalData, fixed: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "parent", "number", "extra"}]: `table`'s rows under each `parent` row number at
    most the parent's `number` + `extra` in every training row (`fixed`: (table, column) a rule sets
    from the rows or makes their count: a total, a formula, a count sum)."""
    schema, out = data.schema, []
    for table in schema.synth_tables:
        edge = schema.parent(table)
        if edge is None:
            continue
        counts = child_counts(data, schema, table)
        for number, col in schema.tables[edge.parent].columns.items():
            if col.kind is not Column.INTEGER or (edge.parent, number) in fixed:
                continue
            extra = _cap(to_numbers(data[edge.parent][number]).to_numpy(float), counts, pre.min_count)
            if extra is not None:
                log.info("%s rows under each %s row at most its %s + %d: kept so", table, edge.parent, number, extra)
                out.append({"table": table, "parent": edge.parent, "number": number, "extra": extra})
    return out


def _cap(number: np.ndarray, counts: np.ndarray, min_count: int) -> int | None:
    """The least `extra` with counts <= number + extra in every row holding a number, where it binds
    in `min_count` rows and would not hold of the counts shifted one row on; else None."""
    held = ~np.isnan(number)
    number, counts = number[held], counts[held]
    if len(counts) < MIN_ROWS or len(np.unique(number)) < 2:
        return None
    extra = int(np.max(counts - number))
    on_cap = int(np.sum(counts == number + extra))
    shifted = np.roll(counts, len(counts) // 2)  # the counts beside other rows' numbers
    if on_cap < min_count or int(np.sum(shifted > number + extra)) < MIN_BROKEN:
        return None
    return extra


def past_count_caps(rules: list[dict], table: str, parents: np.ndarray, up: dict[str, pd.DataFrame]) -> np.ndarray:
    """Per decoded row of `table`, whether its place under its parent row (`parents`) is past the cap
    its parent's number gives; `up`: the decoded tables above."""
    past = np.zeros(len(parents), dtype=bool)
    for rule in rules:
        if rule["table"] != table or rule["parent"] not in up or not len(parents):
            continue
        cap = up[rule["parent"]][rule["number"]].to_numpy(dtype=float)[parents] + rule["extra"]
        place = pd.Series(parents).groupby(parents).cumcount().to_numpy() + 1
        past |= place > np.nan_to_num(cap, nan=np.inf)
    return past

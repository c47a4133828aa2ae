"""A 'none of these' box: a 0/1 column of a row that is 1 exactly where a set of other 0/1 columns
of the row are all 0 (a survey's multi-select question stored as one column per option, its last
option 'None of these').

The model writes each box as a token of its own, one after another, so a briefly trained one
ticks 'None of these' beside an option, or nothing at all: a household survey's default small model
did one or the other in 6 % of its generated questionnaires. The fit keeps, per 0/1 column of a
table (0 and 1, or a flag, never missing), the other 0/1 columns of its row that are 0 in every row
where it is 1, where every row where it is 0 has one of them at 1, two columns at least, none of
them 1 in all those rows (a complement, female beside male, is no option of a set), and
`MIN_ROWS` rows each way; decoding sets the box from them (`keep_none_boxes`), after the model
drew them. Not a column a rule sets after generation, nor a context column. Not fitted under DP.

Its mirror, an 'any of these' gate, is 1 exactly where one of the options at least is 1 (a survey's
"Did you use any of these?" asked before its options, `"when": "any"`): the same options, 0 in every
row where the gate is 0, one of them 1 in every row where it is 1, none 1 in all those rows; a
briefly trained model left a gate's options all 0 under 'Y' in 202 of 1,766 generated rows (the data:
none). Decoding keeps the gate as drawn, its share a survey's first figure (set from the options, 'Y'
fell from 0.589 to 0.521 of the rows, the data's 0.597) and the nulls of the questions it skips drawn
after it: a row whose gate is ticked and no option is ticks one option, drawn by the options' shares
of the ticks in the data ("shares"), and a row with an option ticked ticks its gate.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData

log = logging.getLogger(__name__)
MIN_ROWS = 10  # rows with the box ticked, and rows without it, at least


def find_none_boxes(pre, data: RelationalData, skip: set[tuple[str, str]] = frozenset()) -> list[dict]:
    """[{"table", "column", "of": [columns]}]: `column` is 1 (or true) in exactly the rows of
    `table` where every column of `of` is 0, or, with "when": "any", where one of them at least is 1
    (`skip`: (table, column) set or read elsewhere)."""
    out = []
    for table, layout in pre.layouts.items():
        frame, given = data[table], pre.given_columns(table)
        boxes = {
            c: b
            for c in layout.fields
            if c in frame.columns and (table, c) not in skip and (b := _ticked(frame[c])) is not None
        }
        for col, ticked in boxes.items():
            if col in given or ticked.sum() < MIN_ROWS or (~ticked).sum() < MIN_ROWS:
                continue
            for when, options_at in (("none", ~ticked), ("any", ticked)):
                of = [c for c, b in boxes.items() if c != col and not b[~options_at].any()]
                if _one_of_several(boxes, of, options_at):
                    log.info("%s.%s is 1 exactly where %s are %s: kept so", table, col, of, _SAYS[when])
                    out.append(
                        {"table": table, "column": col, "of": of} | (_shares(boxes, of) if when == "any" else {})
                    )
                    break
    return out


_SAYS = {"none": "all 0", "any": "not all 0"}


def _one_of_several(boxes: dict[str, np.ndarray], of: list[str], rows: np.ndarray) -> bool:
    """Whether `of` are two options at least, one of them ticked in each of `rows`, none in all of
    them: one option ticked wherever the box is not is its complement (male, female), no set of options."""
    if len(of) < 2:
        return False
    options = np.column_stack([boxes[c] for c in of])[rows]
    return bool(options.any(axis=1).all() and not options.all(axis=0).any())


def _shares(boxes: dict[str, np.ndarray], of: list[str]) -> dict:
    """{"when": "any", "shares": each option's share of the ticks of `of`}: an 'any' gate's rule."""
    ticks = np.array([boxes[c].sum() for c in of], dtype=np.float64)
    return {"when": "any", "shares": [round(float(t), 6) for t in ticks / ticks.sum()]}


def _ticked(values: pd.Series) -> np.ndarray | None:
    """Whether each row's box is ticked, for a column of 0 and 1 (or a flag) with no missing value
    holding both; None for any other column."""
    if values.isna().any() or not (pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values)):
        return None
    x = values.to_numpy(dtype=np.float64)
    if not np.isin(x, (0.0, 1.0)).all() or len(np.unique(x)) < 2:
        return None
    return x == 1.0


def keep_none_boxes(rules: list[dict], table: str, frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Set, in place, each rule's box of `frame` (rows of `table`) to whether its options are all
    0: 1 (or true) there, 0 elsewhere, in the column's dtype. A row missing an option (none in
    the data, but a model may write one) counts as not ticked there. An 'any' gate ("when": "any")
    is kept as drawn where it agrees: one option drawn by "shares" ticked where it is ticked and
    none is, the gate ticked where an option is; gates first, so a 'None of these' box of the same
    options reads the options they tick."""
    for rule in sorted(rules, key=lambda r: r.get("when") != "any"):
        if rule["table"] != table or rule["column"] not in frame or not all(c in frame for c in rule["of"]):
            continue
        options = np.column_stack([frame[c].to_numpy(dtype=np.float64, na_value=0.0) for c in rule["of"]]) == 1.0
        if rule.get("when") == "any":  # none in models saved before gates: a 'None of these' box
            box = frame[rule["column"]].to_numpy(dtype=np.float64, na_value=0.0) == 1.0
            empty = box & ~options.any(axis=1)
            chosen = np.full(len(frame), -1)
            shares = np.asarray(rule["shares"], dtype=np.float64)
            chosen[empty] = rng.choice(len(rule["of"]), size=int(empty.sum()), p=shares / shares.sum())
            for k, col in enumerate(rule["of"]):
                if (rows := chosen == k).any():
                    frame.loc[rows, col] = True if pd.api.types.is_bool_dtype(frame[col].dtype) else 1
            box |= options.any(axis=1) | empty
        else:
            box = ~options.any(axis=1)
        dtype = frame[rule["column"]].dtype
        values = box if pd.api.types.is_bool_dtype(dtype) else box.astype(np.int64)
        frame[rule["column"]] = pd.Series(values, index=frame.index).astype(dtype)

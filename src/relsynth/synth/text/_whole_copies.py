"""Texts a row repeats whole from its parent row: an order's ship address is its customer's address,
an invoice's billing city its customer's city (`relational.copies`).

Copy tokens let the model repeat a parent's words, but it still writes such a text word by word, so
a generated ship address matched its generated customer's in few rows. The fit keeps, per text
column, the parent's text column it repeats whole and in which share of the rows; where another
column of the row decides it (an order shipped to another country than its customer's has its own
address), that column and the share on either side. Generation copies the *generated* parent's
value (never a training one) into that share of the rows and samples the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational.copies import MIN_ROWS, copied_share, equal_as_text

MIN_GATE_GAP = 0.5  # a column of the row decides a copy where its copy shares, equal vs not, differ this much


def fit_parent_copy(values: pd.Series, row: pd.DataFrame, parent: pd.DataFrame, sources: list[str]) -> dict | None:
    """How `values` (a text column, row by row) repeats its parent row's text, or None where it does not:
    {"column": the column among `sources` (the parent's texts and codes) it repeats most, "share": in that share of the rows
    holding both, "by": None or [column of `row`, column of `parent`] whose agreeing decides the copy,
    "shares": the copy shares where those agree and where they do not, "nulls": None or the shares of missing
    values where the parent's is missing and where it is not, where they differ by `MIN_GATE_GAP` (a billing
    state missing where the customer's is)}. `row` holds the row's other columns and `parent` its parent row's
    columns, aligned with `values` (missing where none)."""
    found = [(share, c) for c in sources if c in parent and (share := copied_share(values, parent[c])) is not None]
    if not found:
        return None
    share, source = max(found)
    known, copied = equal_as_text(values, parent[source])
    # a deciding pair generation can make agree: a label of the parent, not one of its texts or codes
    by, shares = _deciding_column(copied, known, row, parent.drop(columns=[c for c in sources if c in parent]))
    return {
        "column": source,
        "share": round(share, 4),
        "by": by,
        "shares": shares,
        "nulls": _null_shares(values, parent[source]),
    }


def _null_shares(values: pd.Series, theirs: pd.Series) -> list[float] | None:
    """[share of `values` missing where `theirs` is, where it is not], or None where they differ by less than
    `MIN_GATE_GAP` or either side has fewer than `MIN_ROWS` rows: the row's own null rule (`_nulls`) then."""
    missing, gone = values.isna().to_numpy(), theirs.isna().to_numpy()
    if gone.sum() < MIN_ROWS or (~gone).sum() < MIN_ROWS:
        return None
    shares = [round(float(missing[gone].mean()), 4), round(float(missing[~gone].mean()), 4)]
    return shares if shares[0] - shares[1] >= MIN_GATE_GAP else None


def parent_null_rates(rule: dict, parent: pd.DataFrame, rates: np.ndarray) -> np.ndarray:
    """Per row, the rate its text is missing: by whether its parent's copied value is (`rule["nulls"]`, fitted
    by `fit_parent_copy`), else `rates` (the row's own null rule)."""
    if not rule.get("nulls") or rule["column"] not in parent:
        return rates
    gone = parent[rule["column"]].isna().to_numpy()
    return np.where(gone, rule["nulls"][0], rule["nulls"][1])


def _deciding_column(
    copied: np.ndarray, known: np.ndarray, row: pd.DataFrame, parent: pd.DataFrame
) -> tuple[list[str] | None, list[float] | None]:
    """The pair [row column, parent column] that the row itself copies (`copied_share`) and whose agreeing
    best tells the copied rows (a ship country, the customer's), with the copy shares where it agrees and
    where it does not; (None, None) where none tells them apart by `MIN_GATE_GAP`."""
    best: tuple[float, list[str], list[float]] | None = None
    for c in row.columns:
        for p in parent.columns:
            if copied_share(row[c], parent[p]) is None:
                continue
            both, same = equal_as_text(row[c], parent[p])
            held, agree = known & both, known & same
            differ = held & ~agree
            if not agree.any() or not differ.any():
                continue
            shares = [round(float(copied[agree].mean()), 4), round(float(copied[differ].mean()), 4)]
            gap = shares[0] - shares[1]
            if gap >= MIN_GATE_GAP and (best is None or gap > best[0]):
                best = (gap, [c, p], shares)
    return (None, None) if best is None else (best[1], best[2])


def parent_copied_rows(
    rule: dict, row: pd.DataFrame, parent: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Of `rows` (positions given a text), those that copy their parent row's value by `rule`
    (`fit_parent_copy`), and those values: each row whose parent holds one, at the share its deciding
    column says (agreeing with its parent's or not), else at the overall share."""
    source = parent[rule["column"]].to_numpy(dtype=object)[rows]
    odds = np.full(len(rows), float(rule["share"]))
    if rule.get("by") and rule["by"][0] in row and rule["by"][1] in parent:
        mine, theirs = row[rule["by"][0]].iloc[rows], parent[rule["by"][1]].iloc[rows]
        held, agree = equal_as_text(mine, theirs)
        odds[held] = np.where(agree[held], rule["shares"][0], rule["shares"][1])
    take = ~pd.isna(source) & (rng.random(len(rows)) < odds)
    return rows[take], source[take]


def parent_frame(parent: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """`parent`'s rows at `positions` (one per child row, NaN: none, a row of missing values), indexed 0..n-1."""
    at = np.where(pd.isna(positions), -1, positions).astype(np.int64)
    # as objects: a missing row leaves an integer column's other values as they are (1, not 1.0)
    return parent.astype(object).reset_index(drop=True).reindex(at).reset_index(drop=True)

"""An integer that numbers a parent's rows: a line number, 1..n under each order, never repeated
under it and with no gap (TPC-H's `l_linenumber`), where no key declares it (`row_numbers` numbers
the keys that do).

The model writes each row's number from the rows before it, so it repeats or skips some: an
undertrained model on TPC-H repeated a line number of its order in 3,526 of 7,997 generated lines
(`sorted_siblings` sorts them, but a sorted 1, 1, 3 is still no numbering). The fit keeps, per
table nested under a parent, the integer columns modelled as themselves (no offset, no sum or
formula sets them), never missing, whose values under every parent are exactly start, start + 1,
..., start + n - 1 for its n rows, the same start everywhere, over `MIN_PAIRS` pairs of siblings
at least (so not by chance: a parent of two rows holding 1 and 2). Generation sets each such column
to its parent's rows' places in the order of the numbers drawn (ties in row order), from `start`:
1..n by construction, in the order the model gave them. Not under DP.

A categorical code of one prefix and a number (a trial's sites S-01, S-02, ...) numbers them the
same way: it is drawn as one of the data's labels, and a label fewer than `min_count` rows hold
is never generated (S-04 of the few trials with 4 sites), so a fourth generated site repeated one,
which the source's UNIQUE (trial, site number) refuses. The rule then also keeps the prefix and
the width the numbers are zero-padded to, and writes the code from the row's place.

The model's order of the numbers need not be its order of the rows' dates: a small model numbered a
prescription's fills 0, 1, 2, 4, 5, 3 by date (1.5 % of prescriptions; none in the data, where
each refill's number follows its date). Where the numbers rise with a date of the row under every
parent in the data (`dated`: its dates never fall as the numbers rise, over the same `MIN_PAIRS`),
generation numbers the rows in the order of their dates, ties in the order of the numbers drawn.

A number may count the rows a reference names rather than the row a table nests under (a store's
receipts 1..n, the store a reference of the receipt: a small model repeated a store's receipt number
in 28 to 43 of 347 generated receipts). Where no parent numbering holds, the fit tries each reference
key the same way and keeps it as the rule's `by`; such a column is numbered once the keys are dealt
(`renumber_siblings(..., referenced=True)`), in the order of the numbers drawn.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbering import numbering_start
from relsynth.relational.numbers import to_numbers
from relsynth.relational.orders import DATED, as_numbers
from relsynth.synth.tabular._tables import digits_width

log = logging.getLogger(__name__)


def find_sibling_numbers(pre, data: RelationalData, summed: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "column", "start"}]: `column` numbers `table`'s rows under each parent row from
    `start`, one to one, in the data, or (with "by": the key) under each row a reference names;
    `summed`: the columns another rule sets (not modelled)."""
    out = []
    declared = pre.stats.get("row_numbers") or {}
    for table in pre.schema.synth_tables:
        edge = pre.schema.parent(table)
        groupings = [e for e in [edge, *pre.schema.references(table)] if e is not None and e.fk in data[table].columns]
        df, kinds = data[table], pre.schema.tables[table].columns
        # an ordered column (a sibling key in steps of one) is numbered again too: its places keep its order
        skip = {*pre.given_columns(table), declared.get(table, {}).get("column")}
        for col in pre.modelled_columns(table) if groupings else []:
            if col in skip or (table, col) in summed:
                continue
            code = _prefixed_numbers(df[col]) if kinds[col].kind is Column.CATEGORICAL else None
            if kinds[col].kind is not Column.INTEGER and code is None:
                continue
            numbers = df[col] if code is None else code.pop("numbers")
            for grouping in groupings:
                if (start := numbering_start(df[grouping.fk], numbers)) is None:
                    continue
                by = {} if grouping == edge else {"by": grouping.fk}  # a reference: numbered once it is dealt
                dated = _rising_date(pre, table, df, grouping.fk, numbers) if not by else None
                out.append({"table": table, "column": col, "start": start, **(code or {}), **by})
                if dated is not None:  # numbered in date order (a refill's fill_number, by its fill_date)
                    out[-1]["dated"] = dated
                log.info("%s.%s numbers each %s row's rows from %d: generated so", table, col, grouping.parent, start)
                break
    return out


def _rising_date(pre, table: str, df: pd.DataFrame, fk: str, numbers: pd.Series) -> str | None:
    """The first date column of `table`, never missing, whose dates never fall as `numbers` rise
    under each parent (`fk`), else None."""
    order = np.lexsort((numbers.to_numpy(np.float64), pd.factorize(df[fk])[0]))
    same = pd.factorize(df[fk])[0][order]
    same = same[1:] == same[:-1]
    for col, kind in pre.schema.tables[table].columns.items():
        if kind.kind not in DATED or col not in df.columns or df[col].isna().any():
            continue
        dates = as_numbers(df[col], kind.kind)[order]
        if (np.diff(dates)[same] >= 0).all():
            return col
    return None


def _prefixed_numbers(values: pd.Series) -> dict | None:
    """{"prefix", "width", "numbers"} where every value is one prefix and a number (S-01, S-12), else None."""
    parts = values.astype("string").str.extract(r"^(\D*)(\d+)$")
    if values.isna().any() or parts[0].isna().any() or parts[0].nunique() != 1:
        return None
    return {"prefix": str(parts[0].iloc[0]), "width": digits_width(parts[1]), "numbers": parts[1].astype("int64")}


def keep_sibling_numbers(rules: list[dict], table: str, cols: dict[str, pd.Series], parents: np.ndarray) -> None:
    """Set (in place) each rule's column of `table` to its rows' places under their parent
    (`parents`: each row's parent position), in the order of the numbers drawn, from the rule's start."""
    for rule in rules:
        if rule["table"] != table or rule["column"] not in cols or not len(parents) or "by" in rule:
            continue
        col = cols[rule["column"]]
        prefix = rule.get("prefix")  # a code's number follows its prefix; older rules hold integers only
        digits = col if prefix is None else col.astype("string").str.extract(r"(\d+)$")[0]
        drawn = to_numbers(digits).reset_index(drop=True)
        if rule.get("dated") in cols:  # in the order of the rows' dates, ties in that of the numbers drawn
            places = _date_places(as_numbers(cols[rule["dated"]], Column.DATETIME), drawn.to_numpy(np.float64), parents)
        else:
            places = drawn.groupby(parents).rank(method="first", na_option="bottom").to_numpy()
        numbered = pd.Series(places + (rule["start"] - 1), index=col.index)
        if prefix is not None:
            codes = [f"{prefix}{n:0{rule['width']}d}" for n in numbered.astype("int64")]
            cols[rule["column"]] = pd.Series(codes, index=col.index, dtype=col.dtype)
        else:
            cols[rule["column"]] = numbered.astype(col.dtype) if col.dtype != object else numbered.astype("int64")


def _date_places(dates: np.ndarray, drawn: np.ndarray, parents: np.ndarray) -> np.ndarray:
    """Each row's place (1..n) under its parent in the order of its date, then of its number drawn
    (NaN, a missing date or number: last)."""
    order = np.lexsort((np.nan_to_num(drawn, nan=np.inf), np.nan_to_num(dates, nan=np.inf), parents))
    places = np.empty(len(order))
    places[order] = pd.Series(parents[order]).groupby(parents[order]).cumcount().to_numpy() + 1
    return places


def renumber_siblings(
    pre, tables: dict[str, pd.DataFrame], only: Collection[str] | None = None, referenced: bool = False
) -> None:
    """Number each rule's column again (in place) in the tables as they now stand (`only`: in these
    tables, None: in all): a row dropped after decoding (a line naming its order's product again,
    `drop_repeated_links`; one repeating a UNIQUE set, `keep_unique_sets`) leaves no gap
    (classicmodels' orderLineNumber: an order of 9 lines numbered 1, 2, 4, ..., 10). `referenced`:
    the rules numbering the rows a reference names only (a store's receipts), once the keys are dealt."""
    for rule in pre.stats.get("sibling_numbers", []):
        table, edge = rule["table"], pre.schema.parent(rule["table"])
        fk = rule.get("by", None if edge is None else edge.fk)
        df = tables.get(table) if only is None or rule["table"] in only else None
        if df is None or fk is None or rule["column"] not in df.columns or fk not in df.columns:
            continue
        if referenced and "by" not in rule:
            continue
        cols = {c: df[c] for c in (rule["column"], rule.get("dated")) if c in df.columns}
        keep_sibling_numbers([{k: v for k, v in rule.items() if k != "by"}], table, cols, pd.factorize(df[fk])[0])
        tables[table] = df.assign(**cols)

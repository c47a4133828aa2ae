"""Balanced sums: two numbers of a table whose sums over the rows under one parent row are equal
(a journal entry's lines: its debits sum to its credits), or one number whose sum there is zero
(signed amounts of one entry, or unsigned ones whose side a two-label column of the row says:
`D` or `C`).

The model writes each value in bins, row after row, so the sums of a generated parent's rows
never meet: not one of 273 generated journal entries balanced. The fit keeps, per table nested
under a parent, the first pair of its numbers (or single number) whose sums agree, to the
columns' decimals, under at least `MIN_SHARE` of at least `MIN_PARENTS` parent rows, where some
value is not zero (a pair of columns equal in each row balances trivially and is left out), and
whether each row holds one of the two at most (`exclusive`: a line is a debit or a credit, the
other side zero or missing, `blank`).

Generation first nets such a row holding both (the difference on the larger side: the row's
balance unchanged, 0.4 % of generated lines held a debit and a credit), then closes each parent's
gap on one row, among those no flagged copy set before where it has any (48 of 191 copies of their
entry's fee took the gap and left it): a row holding neither side takes it, else it is added to the side that is short,
on the row holding the most of it, so no value changes sign; where no row holds that side, the row holding the least of the other is turned
over to it (its sibling rows then balance it). A parent of one row with a value cannot balance
and is counted in a warning. Columns a total, a formula or a running sum sets are left to it, and
so are context columns. Not under DP.
"""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pandas as pd

from relsynth.relational import RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.encoders import decimals_of
from relsynth.synth.tabular.rules.columns import categoricals
from relsynth.synth.tabular.rules.flagged_copies import copied_rows

log = logging.getLogger(__name__)
MIN_SHARE = 0.95  # sums agree under this share of the parent rows
MIN_PARENTS = 20  # parent rows with rows the share is read from, at least


def find_balanced_sums(pre, data: RelationalData, skip: set[tuple[str, str]]) -> list[dict]:
    """[{"table", "fk", "of", "decimals", "exclusive", "blank"}]: `table`'s rows under one parent row
    (`fk`) sum `of[0]` to `of[1]` (one column: to zero), to `decimals`; `exclusive`: no row holds
    both, the other missing (`blank` "null") or zero. `skip`: (table, column) set by another rule."""
    out = []
    for table in data.schema.synth_tables:
        edge = data.schema.parent(table)
        if edge is None or edge.fk not in data[table].columns:
            continue
        numbers = [c for c in pre.generated_numbers(table) if (table, c) not in skip]
        if not numbers:
            continue
        x = pd.DataFrame({c: to_numbers(data[table][c]).astype(float) for c in numbers})
        keys = data[table][edge.fk].to_numpy()
        sums = x.fillna(0.0).groupby(keys, dropna=True).sum()  # once for every pair tried
        sizes = x.abs().fillna(0.0).groupby(keys, dropna=True).sum()
        for of in [list(p) for p in itertools.combinations(numbers, 2)] + [[c] for c in numbers]:
            if (rule := _match(x[of], sums[of], sizes[of].sum(axis=1))) is not None:
                shown = " = ".join(of if len(of) == 2 else [*of, "0"])
                log.info("%s: %s under each %s row: kept so", table, shown, edge.parent)
                out.append({"table": table, "fk": edge.fk, "of": of, **rule})
                break
        else:
            if (rule := _signed_by_label(pre, data, table, x, keys)) is not None:
                log.info(
                    "%s: %s by its %s balance under each %s row: kept so",
                    table,
                    *rule["of"],
                    rule["sign_by"],
                    edge.parent,
                )
                out.append({"table": table, "fk": edge.fk, **rule})
    return out


def _signed_by_label(pre, data: RelationalData, table: str, x: pd.DataFrame, keys: np.ndarray) -> dict | None:
    """{"of", "sign_by", "signs", ...} of the first unsigned number that sums to zero under each
    parent row when a two-label column of its row signs it (`signs`: label -> 1 or -1: a line's
    amount, a debit or a credit as its side `D` or `C` says), else None."""
    for by, _ in categoricals(pre, data, table):
        if data[table][by].nunique() != 2:
            continue  # no side label: read no further
        labels = data[table][by].astype(object).where(data[table][by].notna(), None).to_numpy()
        names = sorted({str(v) for v in labels if v is not None})
        if len(names) != 2:
            continue
        signs = {names[0]: 1.0, names[1]: -1.0}
        sign = np.array([signs.get(str(v), 0.0) if v is not None else 0.0 for v in labels])
        for col in x.columns:
            if (x[col].dropna() < 0).any():
                continue  # a signed number says its side itself
            signed = (x[col] * sign).to_frame(col)
            sums = signed.fillna(0.0).groupby(keys, dropna=True).sum()
            sizes = signed.abs().fillna(0.0).groupby(keys, dropna=True).sum()[col]
            if (rule := _match(signed, sums, sizes)) is not None:
                return {"of": [col], "sign_by": by, "signs": signs, **rule}
    return None


def _match(x: pd.DataFrame, sums: pd.DataFrame, sizes: pd.Series) -> dict | None:
    """{"decimals", "exclusive", "blank"} where the sums of `x`'s one or two columns under each
    parent row (`sums`; `sizes`: the sums of their absolute values) agree (see
    `find_balanced_sums`), else None."""
    if len(sums) < MIN_PARENTS or (sizes != 0).mean() < MIN_SHARE:
        return None  # a parent's values all zero: nothing is balanced
    values = x.to_numpy()
    a, b = (np.nan_to_num(values[:, 0]), np.nan_to_num(values[:, 1]) if x.shape[1] == 2 else 0.0)
    if x.shape[1] == 2 and np.isclose(a, b).mean() >= MIN_SHARE:
        return None  # the same number twice: balanced in every row
    d = decimals_of(values[~np.isnan(values)])
    gap = sums.iloc[:, 0] - (sums.iloc[:, 1] if x.shape[1] == 2 else 0.0)
    if (np.abs(gap) <= 0.5 * 10.0**-d + 1e-9 * sizes).mean() < MIN_SHARE:
        return None
    exclusive = x.shape[1] == 2 and bool((a >= 0).all() and (b >= 0).all() and ((a == 0) | (b == 0)).all())
    blank = "null" if exclusive and np.isnan(values).any(axis=1).mean() >= 0.5 else "zero"
    return {"decimals": d, "exclusive": exclusive, "blank": blank}


def apply_balanced_sums(rules: list[dict], tables: dict[str, pd.DataFrame], copies: list[dict] = ()) -> None:
    """Balance (in place) each rule's rows under every parent row (see the module's docstring),
    closing a gap on rows no flagged copy set (`copies`, set before) where the parent has any."""
    for rule in rules:
        frame, of, d = tables[rule["table"]], rule["of"], int(rule["decimals"])
        if not len(frame) or any(c not in frame for c in of):
            continue
        x = [frame[c].to_numpy(np.float64, na_value=np.nan) for c in of]
        fixed = copied_rows(list(copies), rule["table"], frame, of)
        if "sign_by" in rule:
            _balance_by_label(rule, frame, x[0], fixed)
            continue
        a, b = np.nan_to_num(x[0]), np.nan_to_num(x[1]) if len(of) == 2 else np.zeros(len(frame))
        if rule["exclusive"] or len(of) == 1:  # one signed column: its positive and negative parts
            a, b = np.maximum(a - b, 0), np.maximum(b - a, 0)  # a row holding both: netted, its balance kept
        a, b, stuck = _balanced(a, b, frame[rule["fk"]].to_numpy(), d, fixed)
        if stuck:
            log.warning("%s: %d parent row(s) of one row cannot balance %s", rule["table"], stuck, " and ".join(of))
        sides = [a - b] if len(of) == 1 else [a, b]
        for c, v, old in zip(of, sides, x, strict=True):
            v = np.round(v, d) + 0.0  # + 0.0: no -0.0
            if rule["exclusive"] and rule["blank"] == "null":
                v = np.where(v == 0, np.nan, v)  # the side a row does not hold: missing, as the data's
            frame[c] = _written(np.where(np.isnan(old) & (v == 0), np.nan, v), frame[c].dtype, frame.index)


def _balance_by_label(rule: dict, frame: pd.DataFrame, x: np.ndarray, fixed: np.ndarray) -> None:
    """Balance (in place) an unsigned number whose row's label says its side (`rule["signs"]`),
    setting the label of a row the balance turns over to the other side."""
    col, by, d = rule["of"][0], rule["sign_by"], int(rule["decimals"])
    plus, minus = (next(k for k, v in rule["signs"].items() if v == s) for s in (1.0, -1.0))
    label = frame[by].astype(object).where(frame[by].notna(), None).map(lambda v: None if v is None else str(v))
    held = np.nan_to_num(x)
    a, b = np.where(label == plus, held, 0.0), np.where(label == minus, held, 0.0)
    a, b, stuck = _balanced(a, b, frame[rule["fk"]].to_numpy(), d, fixed)
    if stuck:
        log.warning("%s: %d parent row(s) of one row cannot balance %s", rule["table"], stuck, col)
    sided = (label == plus).to_numpy() | (label == minus).to_numpy() | (a > 0) | (b > 0)
    values = np.where(sided, np.round(a + b, d) + 0.0, x)
    frame[col] = _written(values, frame[col].dtype, frame.index)
    turned = np.where(a > 0, plus, np.where(b > 0, minus, None))
    kept = frame[by].astype(object).to_numpy()
    source = {str(v): v for v in kept if v is not None and not pd.isna(v)}  # the labels in their own type
    frame[by] = pd.Series(
        [source.get(t, t) if t is not None else k for t, k in zip(turned, kept, strict=True)], index=frame.index
    ).astype(frame[by].dtype)


def _balanced(
    a: np.ndarray, b: np.ndarray, keys: np.ndarray, d: int, fixed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """(a, b) with each key's sums equal, and the count of keys that could not be (one row); a gap
    is closed on rows not `fixed` (a flagged copy's) where the key has any."""
    a, b = a.copy(), b.copy()
    codes = pd.factorize(keys, use_na_sentinel=True)[0]
    gap = np.round(np.bincount(codes[codes >= 0], weights=(a - b)[codes >= 0]), d)
    order = np.argsort(codes, kind="stable")  # each key's rows together, found once
    starts = np.searchsorted(codes[order], np.arange(len(gap) + 1))
    stuck = 0
    for k in np.flatnonzero(gap != 0):
        group = order[starts[k] : starts[k + 1]]
        free = group if fixed is None else group[~fixed[group]]
        rows = free if len(free) else group  # a copy moved only where every row is one
        short, other = (b, a) if gap[k] > 0 else (a, b)  # the side that is short of the other
        need = abs(gap[k])
        empty = rows[(a[rows] == 0) & (b[rows] == 0)]
        if len(empty):  # a row holding neither side (the data's hold one): it takes the gap
            short[empty[0]] = need
        elif short[rows].max() > 0:
            short[rows[short[rows].argmax()]] += need  # on the row holding most of it: no sign changes
        elif len(group) > 1:
            turned = rows[other[rows].argmin()]  # its siblings balance it once it is turned over
            short[turned], other[turned] = need - other[turned], 0.0
        else:
            stuck += 1
    return a, b, stuck


def _written(v: np.ndarray, dtype, index: pd.Index) -> pd.Series:
    """`v` in the column's dtype where it holds it (integers with missing values: nullable)."""
    s = pd.Series(v, index=index)
    if np.isnan(v).any() and pd.api.types.is_integer_dtype(dtype):
        return s.astype("Int64")
    try:
        return s.astype(dtype)
    except (TypeError, ValueError):
        return s

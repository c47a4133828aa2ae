"""Privacy of a synthetic database: distance to closest record and exact copies, per table.

DCR: every row becomes a vector of its compared (non-key, non-text) columns: a continuous column
scaled by the range between the 1% and 99% quantiles of the training data (nulls at the median
plus a null flag), a discrete column one-hot over the training data's most frequent categories
scaled so that a mismatch costs 1. For each synthetic row we find its nearest training row and its
nearest held-out (test) row. A generator that learned the distribution, not the records, is no
closer to training rows than to test rows: the share of synthetic rows nearer a training row
should be about the share of training rows among training + test rows (`dcr_baseline`).

Exact copies: a synthetic row equal to some training row on every column but its keys (lookup
keys are compared: they stand for a label), text included. Held-out real rows equal to a training
row give the rate the data has by itself (`exact_copy_rate_test`), the ceiling of what is acceptable.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from relsynth.eval._common import (
    CONTINUOUS,
    Notes,
    as_category,
    check_same_schema,
    column_roles,
    encode,
    mean,
    plain,
    rnd,
    subsample,
)
from relsynth.relational import RelationalData

MAX_ONE_HOT = 50  # most frequent training categories one-hot encoded; the rest share one column
TIE = 1e-9  # distances closer than this count as equal (half a point each way)


class _Featurizer:
    """Turns encoded rows into DCR vectors; fitted on the training rows."""

    def __init__(self, train: pd.DataFrame, roles: dict[str, str]):
        self.roles = roles
        self.scale: dict[str, tuple[float, float]] = {}
        self.cats: dict[str, pd.Index] = {}
        for col, role in roles.items():
            if role == CONTINUOUS:
                x = train[col].to_numpy(float)
                x = x[np.isfinite(x)]
                q01, q50, q99 = np.quantile(x, [0.01, 0.5, 0.99]) if len(x) else (0.0, 0.0, 1.0)
                span = q99 - q01 if q99 > q01 else (np.ptp(x) if len(x) and np.ptp(x) > 0 else 1.0)
                self.scale[col] = (float(q50), float(span))
            else:
                self.cats[col] = pd.Index(train[col].value_counts().index[:MAX_ONE_HOT])

    def __call__(self, df: pd.DataFrame) -> np.ndarray:
        parts = []
        for col, role in self.roles.items():
            if role == CONTINUOUS:
                center, span = self.scale[col]
                x = df[col].to_numpy(float)
                null = ~np.isfinite(x)
                parts.append(np.where(null, 0.0, (x - center) / span)[:, None])
                parts.append(null.astype(float)[:, None])  # a null differs from any value by 1
            else:
                codes = self.cats[col].get_indexer(df[col])  # -1 for a category outside the top
                onehot = np.zeros((len(df), len(self.cats[col]) + 1))
                onehot[np.arange(len(df)), codes] = 1.0  # -1 lands in the last ("other") column
                parts.append(onehot / np.sqrt(2.0))
        return np.hstack(parts) if parts else np.zeros((len(df), 0))


def _nearest(reference: np.ndarray, query: np.ndarray) -> np.ndarray:
    nn = NearestNeighbors(n_neighbors=1).fit(reference)
    return nn.kneighbors(query, return_distance=True)[0][:, 0]


def _row_keys(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """One hash per row over `cols`, values compared as text (so 3 and 3.0 agree), nulls as one value."""
    text = pd.DataFrame({c: as_category(df[c]) for c in cols}, index=pd.RangeIndex(len(df)))
    return pd.util.hash_pandas_object(text, index=False)


def _copy_rate(rows: pd.DataFrame, train: pd.DataFrame, cols: list[str]) -> float | None:
    if not cols or not len(rows) or not len(train):
        return None
    return rnd(_row_keys(rows, cols).isin(set(_row_keys(train, cols))).mean())


def table_privacy(
    train: RelationalData,
    test: RelationalData,
    synth: RelationalData,
    table: str,
    notes: Notes,
    max_rows: int,
    seed: int,
    unscored: frozenset[str] = frozenset(),
) -> dict:
    """DCR share and exact-copy rates of one table; for an `unscored` one (too few held-out rows)
    only the synthetic rows' exact copies, which do not depend on the held-out rows."""
    schema = train.schema
    lookups = schema.lookup_fks(table)  # a lookup key stands for its label: compared
    # other keys and identifiers name rows, and generated ones are fresh: a parent's number is no value
    copy_cols = [c for c, k in schema.tables[table].columns.items() if not k.names_row or c in lookups]
    tr, te, sy = (subsample(d[table], max_rows, seed) for d in (train, test, synth))
    out = {
        "n_train": len(train[table]),
        "n_test": len(test[table]),
        "n_synth": len(synth[table]),
        "exact_copy_rate": _copy_rate(synth[table], train[table], copy_cols),
        "exact_copy_rate_test": None if table in unscored else _copy_rate(test[table], train[table], copy_cols),
        "dcr_share_train_closer": None,
        "dcr_baseline": None,
        "dcr_synth_train_median": None,
        "dcr_test_train_median": None,
    }
    roles = column_roles(schema, table)
    if not roles or table in unscored:
        return out  # only keys and text: no DCR (exact copies still cover the text)
    if not len(tr) or not len(te) or not len(sy):
        empty = [n for n, d in (("train", tr), ("test", te), ("synthetic", sy)) if not len(d)]
        notes.warn(f"table {table!r}: the {' and '.join(empty)} table has no rows; no DCR")
        return out
    er, ee, es = encode(tr, roles), encode(te, roles), encode(sy, roles)
    featurize = _Featurizer(er, roles)
    xr, xe, xs = featurize(er), featurize(ee), featurize(es)
    d_train, d_test = _nearest(xr, xs), _nearest(xe, xs)
    closer = np.where(np.abs(d_train - d_test) <= TIE, 0.5, (d_train < d_test).astype(float))
    out["dcr_share_train_closer"] = rnd(closer.mean())
    out["dcr_baseline"] = rnd(len(tr) / (len(tr) + len(te)))
    out["dcr_synth_train_median"] = rnd(np.median(d_train))
    out["dcr_test_train_median"] = rnd(np.median(_nearest(xr, xe)))
    return out


def privacy_scores(
    train: RelationalData,
    test: RelationalData,
    synth: RelationalData,
    *,
    max_rows: int = 5_000,
    seed: int = 0,
    unscored: Iterable[str] = (),
) -> dict:
    """DCR and exact-copy rates (shares, 0–1) of `synth` against `train` with `test` as the reference.

    Returns `{"overall": {dcr_share_train_closer, dcr_baseline, exact_copy_rate, exact_copy_rate_test},
    "tables": {table: {dcr_share_train_closer, dcr_baseline, dcr_synth_train_median,
    dcr_test_train_median, exact_copy_rate, exact_copy_rate_test, n_train, n_test, n_synth}},
    "warnings": [...]}`. Each table is subsampled to at most `max_rows` rows with `seed`; `dcr_baseline`
    is the training share of the rows searched. A value is None where it cannot be computed (no
    compared columns, an empty table, a table of `unscored`: too few held-out rows to compare with,
    whose synthetic exact copies still count); the overall values are means over tables.
    """
    check_same_schema(train, test, "the test data")
    check_same_schema(train, synth, "the synthetic data")
    notes = Notes()
    unscored = frozenset(unscored)
    tables = {
        t: table_privacy(train, test, synth, t, notes, max_rows, seed, unscored) for t in train.schema.synth_tables
    }
    keys = ["dcr_share_train_closer", "dcr_baseline", "exact_copy_rate", "exact_copy_rate_test"]
    dcr_tables = [t for t in tables.values() if t["dcr_share_train_closer"] is not None]
    overall = {k: mean(t[k] for t in (dcr_tables if k.startswith("dcr") else tables.values())) for k in keys}
    return plain({"overall": overall, "tables": tables, "warnings": notes.messages})

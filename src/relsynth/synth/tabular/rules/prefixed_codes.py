"""Codes that extend another code of their row: a company's domain is its name and a suffix
(`acme290` -> `acme290.com`), an e-mail its login and `@corp.com`. Codes are drawn each on its own
(`_identifiers`), so the two would disagree in every generated row.

The fit keeps, per identifier column, the first other identifier column of its table that every row
holding both starts it, where what follows is one of a few labels (`.com`, `.io`) that at least
`min_count` rows each hold and no row holds another (MIN_ROWS rows at least); generation writes the
code as the other's followed by a label drawn at the data's shares. Not fitted under DP (the
DP fit draws identifiers from their shapes alone)."""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_ROWS = 20  # rows holding both codes the rule needs


def prefixed_codes(df: pd.DataFrame, columns: list[str], min_count: int) -> dict[str, dict]:
    """{column: {"prefix": other column, "suffixes": [[label, share], ...]}} for the codes that extend another."""
    out: dict[str, dict] = {}
    for col in columns:
        for other in columns:
            if other == col or other in out:
                continue
            found = _suffixes(df[other], df[col], min_count)
            if found is not None:
                out[col] = {"prefix": other, "suffixes": found}
                break
    return out


def _suffixes(prefix: pd.Series, code: pd.Series, min_count: int) -> list[list] | None:
    both = prefix.notna() & code.notna()
    if both.sum() < MIN_ROWS:
        return None
    p, c = prefix[both].astype(str), code[both].astype(str)
    if not all(b.startswith(a) and len(b) > len(a) for a, b in zip(p, c, strict=True)):
        return None
    rests = pd.Series([b[len(a) :] for a, b in zip(p, c, strict=True)]).value_counts()
    if rests.min() < min_count:  # a rare suffix would be replayed: no rule
        return None
    return [[str(k), float(v / rests.sum())] for k, v in rests.items()]


def apply_prefixed_codes(rules: dict[str, dict], df: pd.DataFrame, rng: np.random.Generator) -> None:
    """Write each ruled code, where its row holds both, as its prefix code and a drawn suffix, in place."""
    for col, rule in rules.items():
        if col not in df.columns or rule["prefix"] not in df.columns:
            continue
        both = (df[col].notna() & df[rule["prefix"]].notna()).to_numpy()
        labels = [s for s, _ in rule["suffixes"]]
        shares = np.array([w for _, w in rule["suffixes"]], dtype=float)
        drawn = rng.choice(labels, size=int(both.sum()), p=shares / shares.sum())
        prefix = df.loc[both, rule["prefix"]].astype(str).to_numpy()
        values = df[col].astype("string").to_numpy(dtype=object)
        values[both] = [a + s for a, s in zip(prefix, drawn, strict=True)]
        df[col] = pd.Series(values, index=df.index, dtype="string")

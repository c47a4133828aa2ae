"""Text columns of a synthetic database against real ones: length, vocabulary, novelty, nulls.

Per text column of every synthesised table:
- `length`: sdmetrics `KSComplement` between the character lengths of the non-null texts (0–100);
- `vocab_jaccard`: Jaccard index of the two sets of words (lower-cased `\\w+` tokens, 0–100);
- `vocab_seen_share`: share of synthetic word occurrences whose word the reference text has (0–1);
- `verbatim_share`: share of non-null synthetic texts equal to a reference text (0–1): high means
  the generator replays rather than writes;
- `null_rate_diff`: |real null rate - synthetic null rate| (0–1).

The reference for `vocab_seen_share` and `verbatim_share` is `train` when given (what a generator
could have memorised), else `real`.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sdmetrics.single_column import KSComplement

from relsynth.eval._common import Notes, check_same_schema, mean, pct, plain, rnd
from relsynth.relational import RelationalData

_WORD = re.compile(r"\w+")


def _texts(s: pd.Series) -> pd.Series:
    return s.dropna().astype(str).reset_index(drop=True)


def _words(texts: pd.Series) -> list[str]:
    return [w for t in texts for w in _WORD.findall(t.lower())]


def column_text_scores(real: pd.Series, synth: pd.Series, reference: pd.Series) -> dict:
    """The text scores of one column (see the module docstring); every input may be empty or all null."""
    r, s, ref = _texts(real), _texts(synth), _texts(reference)
    out: dict = {
        "n_real": int(real.notna().sum()),
        "n_synth": int(synth.notna().sum()),
        "length_mean_real": rnd(r.str.len().mean()) if len(r) else None,
        "length_mean_synth": rnd(s.str.len().mean()) if len(s) else None,
        "null_rate_diff": rnd(abs(real.isna().mean() - synth.isna().mean())) if len(real) and len(synth) else None,
    }
    if len(r) and len(s):
        out["length"] = pct(KSComplement.compute(r.str.len().to_numpy(float), s.str.len().to_numpy(float)))
    else:
        out["length"] = 0.0 if len(r) or len(s) else None
    wr, ws, wref = set(_words(r)), _words(s), set(_words(ref))
    union = wr | set(ws)
    out["vocab_jaccard"] = pct(len(wr & set(ws)) / len(union)) if union else None
    out["vocab_seen_share"] = rnd(np.mean([w in wref for w in ws])) if ws else None
    out["verbatim_share"] = rnd(s.isin(set(ref)).mean()) if len(s) else None
    return out


def text_scores(real: RelationalData, synth: RelationalData, train: RelationalData | None = None) -> dict:
    """Text scores of `synth` against `real` for every text column of every synthesised table.

    Returns `{"overall": {text, length, vocab_jaccard, vocab_seen_share, verbatim_share, null_rate_diff},
    "columns": {"table.column": {length, vocab_jaccard, vocab_seen_share, verbatim_share, null_rate_diff,
    length_mean_real, length_mean_synth, n_real, n_synth}}, "warnings": [...]}`; `overall.text` is
    the mean of `length` and `vocab_jaccard` (0–100), the others are means over columns. Novelty
    (`vocab_seen_share`, `verbatim_share`) is measured against `train` when given, else `real`.
    """
    check_same_schema(real, synth, "the synthetic data")
    reference = train if train is not None else real
    notes = Notes()
    columns = {}
    for table in real.schema.synth_tables:
        for col in real.schema.tables[table].text_columns:
            name = f"{table}.{col}"
            r, s = real[table][col], synth[table][col]
            if r.notna().any() != s.notna().any():
                side = "synthetic" if r.notna().any() else "real"
                notes.warn(f"text column {name}: the {side} side has no text; its length score is 0")
            columns[name] = column_text_scores(r, s, reference[table][col])
    keys = ["length", "vocab_jaccard", "vocab_seen_share", "verbatim_share", "null_rate_diff"]
    overall = {k: mean(c[k] for c in columns.values()) for k in keys}
    overall = {"text": mean([overall["length"], overall["vocab_jaccard"]]), **overall}
    return plain({"overall": overall, "columns": columns, "warnings": notes.messages})

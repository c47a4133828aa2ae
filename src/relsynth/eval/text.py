"""Text columns of a synthetic database against real ones: length, vocabulary, novelty, nulls.

Per text column of every synthesised table:
- `length`: sdmetrics `KSComplement` between the character lengths of the non-null texts (0–100);
- `vocab_jaccard`: Jaccard index of the two sets of words (lower-cased `\\w+` tokens, 0–100);
- `vocab_seen_share`: share of synthetic word occurrences whose word the reference text has (0–1);
- `verbatim_share`: share of non-null synthetic texts equal to a reference text (0–1): high means
  the generator replays rather than writes;
- `bigram_seen_share`: share of synthetic word pairs (adjacent words of a text) the reference
  texts hold (0–1): word order real texts use (word salad scores low, copied phrases high);
- `bigram_reused_share`: share of the reference texts' word pairs that a text of another root
  entity also holds (0–1): what held-out texts score on `bigram_seen_share` on average, estimated
  from every reference text (a held-out split of a few dozen texts swings widely around it);
- `invalid_rate`: share of non-null synthetic texts holding U+FFFD or a control/format/private
  character the reference texts never held (0–1);
- `consistency`: accuracy of a naive Bayes classifier (words of the text -> the row's category:
  its most even categorical or lookup column, e.g. genre; trained on the reference) on the
  synthetic rows (0–1; compare with the same on real rows, the ceiling; `consistency_target`
  names that column); `parent_word_share`: share of texts sharing a word of >= 4 letters with
  the parent row's first text column (album title vs artist name);
- `null_rate_diff`: |real null rate - synthetic null rate| (0–1);
- `samples`: a few random non-null texts.

The reference for `vocab_seen_share`, `bigram_seen_share`, `verbatim_share`, `invalid_rate` and
`consistency` is `train` when given (what a generator could have memorised), else `real`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sdmetrics.single_column import KSComplement

from relsynth.eval._common import Notes, check_same_schema, mean, pct, plain, rnd
from relsynth.eval.quality import root_of_rows
from relsynth.relational import Column, RelationalData

_WORD = re.compile(r"\w+")


def _texts(s: pd.Series) -> pd.Series:
    return s.dropna().astype(str).reset_index(drop=True)


def _words(texts: pd.Series) -> list[str]:
    return [w for t in texts for w in _WORD.findall(t.lower())]


def _bigrams(texts: pd.Series) -> list[tuple[str, str]]:
    out = []
    for t in texts:
        w = _WORD.findall(t.lower())
        out += zip(w, w[1:], strict=False)
    return out


def _unusual(c: str) -> bool:
    return c == "\ufffd" or unicodedata.category(c).startswith("C")


def _invalid_rate(texts: pd.Series, reference: pd.Series) -> float | None:
    if not len(texts):
        return None
    seen = {c for t in reference for c in t if _unusual(c)}
    return rnd(np.mean([any(_unusual(c) and c not in seen for c in t) for t in texts]))


N_SAMPLES = 5  # random texts shown per column


def column_text_scores(real: pd.Series, synth: pd.Series, reference: pd.Series, seed: int = 0) -> dict:
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
    bs, bref = _bigrams(s), set(_bigrams(ref))
    out["bigram_seen_share"] = rnd(np.mean([b in bref for b in bs])) if bs else None
    out["invalid_rate"] = _invalid_rate(s, ref)
    out["samples"] = list(s.sample(min(N_SAMPLES, len(s)), random_state=seed)) if len(s) else []
    return out


class _NaiveBayes:
    """Multinomial naive Bayes over lower-cased words (Laplace smoothing): text -> label."""

    def __init__(self, texts: pd.Series, labels: np.ndarray):
        self.labels = np.unique(labels)
        self.vocab: dict[str, int] = {}
        rows = [[self.vocab.setdefault(w, len(self.vocab)) for w in _WORD.findall(t.lower())] for t in texts]
        counts = np.ones((len(self.labels), len(self.vocab) + 1))  # + an unknown-word column
        index = {v: i for i, v in enumerate(self.labels)}
        prior = np.zeros(len(self.labels))
        for ids, y in zip(rows, labels, strict=True):
            np.add.at(counts[index[y]], ids, 1)
            prior[index[y]] += 1
        self.log_p = np.log(counts / counts.sum(1, keepdims=True))
        self.log_prior = np.log(prior / prior.sum())

    def predict(self, texts: pd.Series) -> np.ndarray:
        unknown = len(self.vocab)
        scores = []
        for t in texts:
            ids = [self.vocab.get(w, unknown) for w in _WORD.findall(t.lower())]
            scores.append(self.log_prior + self.log_p[:, ids].sum(1))
        return self.labels[np.argmax(np.array(scores), axis=1)] if scores else np.array([])


MAX_CLASSES = 50  # a category column with more values is closer to an identifier than a class


def _category_column(data: RelationalData, table: str) -> str | None:
    """The categorical or lookup column of `table` a text should agree with: of those with 2 to
    `MAX_CLASSES` values, the most even (highest entropy), so a near-constant column (media type)
    does not make a trivial score and genre wins; else the first such column."""
    lookups = data.schema.lookup_fks(table)
    cols = [c for c, k in data.schema.tables[table].columns.items() if c in lookups or k.kind is Column.CATEGORICAL]
    entropy = {}
    for col in cols:
        p = data[table][col].value_counts(normalize=True).to_numpy()
        if 2 <= len(p) <= MAX_CLASSES:
            entropy[col] = float(-(p * np.log(p)).sum())
    return max(entropy, key=entropy.get) if entropy else (cols[0] if cols else None)


def consistency(reference: RelationalData, data: RelationalData, table: str, col: str) -> float | None:
    """Accuracy of a words -> category classifier trained on `reference` on the rows of `data`."""
    cat = _category_column(reference, table)
    if cat is None:
        return None
    ref = reference[table][[col, cat]].dropna()
    rows = data[table][[col, cat]].dropna()
    if len(ref) < 2 or not len(rows):
        return None
    model = _NaiveBayes(ref[col].astype(str), ref[cat].astype(str).to_numpy())
    return rnd(np.mean(model.predict(rows[col].astype(str)) == rows[cat].astype(str).to_numpy()))


def parent_word_share(data: RelationalData, table: str, col: str) -> float | None:
    """Share of texts sharing a word of >= 4 letters with their parent row's first text column."""
    edge = data.schema.parent(table)
    if edge is None or not data.schema.tables[edge.parent].text_columns:
        return None
    pcol = data.schema.tables[edge.parent].text_columns[0]
    parent = data[edge.parent]
    ptext = pd.Series(parent[pcol].to_numpy(dtype=object), index=parent[data.schema.tables[edge.parent].primary_key])
    df = data[table]
    hits = [
        bool({w for w in _WORD.findall(t.lower()) if len(w) >= 4} & set(_WORD.findall(str(ptext.get(k, "")).lower())))
        for t, k in zip(df[col], df[edge.fk], strict=True)
        if isinstance(t, str)
    ]
    return rnd(np.mean(hits)) if hits else None


def bigram_reused_share(data: RelationalData, table: str, col: str) -> float | None:
    """Share of the word pairs of `table.col`'s texts that a text of another root entity also holds."""
    roots = root_of_rows(data)[table]
    found = [(r, b) for r, t in zip(roots, data[table][col], strict=True) if isinstance(t, str) for b in _bigrams([t])]
    if not found:
        return None
    pairs = pd.DataFrame(found, columns=["root", "pair"])
    users = pairs.drop_duplicates().groupby("pair").size()  # distinct root entities per pair
    return rnd(float((pairs["pair"].map(users) >= 2).mean()))


HELD_OUT_TEXT_KEYS = ["length", "vocab_jaccard", "null_rate_diff", "length_mean_real"]  # what needs the real side


def text_scores(
    real: RelationalData,
    synth: RelationalData,
    train: RelationalData | None = None,
    unscored: Iterable[str] = (),
    novelty_of_unscored: bool = False,
) -> dict:
    """Text scores of `synth` against `real` for every text column of every synthesised table.

    Returns `{"overall": {text, length, vocab_jaccard, vocab_seen_share, verbatim_share, null_rate_diff,
    bigram_seen_share, invalid_rate, consistency}, "columns": {"table.column": {length, vocab_jaccard,
    vocab_seen_share, verbatim_share, null_rate_diff, bigram_seen_share, bigram_reused_share, invalid_rate,
    consistency, consistency_target, parent_word_share, samples, length_mean_real, length_mean_synth, n_real,
    n_synth}}, "warnings": [...]}`; `overall.text` is the mean of `length` and `vocab_jaccard`
    (0–100), the others are means over columns. Novelty (`vocab_seen_share`, `verbatim_share`) is
    measured against `train` when given, else `real`. The text columns of `unscored` tables (too
    few held-out rows to judge, `report`) are left out, unless `novelty_of_unscored` (and `train`):
    then their novelty against `train` (verbatim copies, words and word pairs seen, invalid characters)
    is kept, since it needs no held-out row: a tiny table is where whole names get copied.
    """
    check_same_schema(real, synth, "the synthetic data")
    reference = train if train is not None else real
    notes = Notes()
    columns = {}
    for table in real.schema.synth_tables:
        if table in unscored:
            if novelty_of_unscored and train is not None:
                columns.update(_novelty_only(synth, train, table))
            continue
        for col in real.schema.tables[table].text_columns:
            name = f"{table}.{col}"
            r, s = real[table][col], synth[table][col]
            if r.notna().any() != s.notna().any():
                side = "synthetic" if r.notna().any() else "real"
                notes.warn(f"text column {name}: the {side} side has no text; its length score is 0")
            columns[name] = column_text_scores(r, s, reference[table][col])
            columns[name]["consistency"] = consistency(reference, synth, table, col)
            columns[name]["consistency_target"] = _category_column(reference, table)  # what the words predict
            columns[name]["parent_word_share"] = parent_word_share(synth, table, col)
            columns[name]["bigram_reused_share"] = bigram_reused_share(reference, table, col)
    keys = ["length", "vocab_jaccard", "vocab_seen_share", "verbatim_share", "null_rate_diff"]
    keys += ["bigram_seen_share", "invalid_rate", "consistency"]
    overall = {k: mean(c[k] for c in columns.values()) for k in keys}
    overall = {"text": mean([overall["length"], overall["vocab_jaccard"]]), **overall}
    return plain({"overall": overall, "columns": columns, "warnings": notes.messages})


def _novelty_only(synth: RelationalData, train: RelationalData, table: str) -> dict[str, dict]:
    """`table`'s text columns scored for novelty against `train` alone: the scores that need held-out
    texts (`HELD_OUT_TEXT_KEYS`, consistency) are None."""
    out = {}
    for col in train.schema.tables[table].text_columns:
        scores = column_text_scores(train[table][col], synth[table][col], train[table][col])
        out[f"{table}.{col}"] = {**scores, **dict.fromkeys(HELD_OUT_TEXT_KEYS), "consistency": None}
    return out

"""Texts that decide a label of their row: a customer's city its country.

A city is a text column (most customers' cities are their own), but the few cities several customers
share each lie in one country. Generation may write such a text whole (a word token, or a spelled
word that `_rare_words` replaced by one) beside any country: Chinook's generated customers named a
training city under another country in every row that named one ("Prague" under USA), and the
invoices copying their customer's city (`_whole_copies`) repeated the mistake.

The fit keeps, per text column and label column of its row (a category, a flag), the texts held by
at least `word_k` root entities (the only ones generation may write whole: rarer ones are sampled
again) and, for each, the labels at least `word_k` entities give it, where the column's texts shared
by several entities agree on their label (`MIN_AGREEMENT`) more than any of `PERMUTATIONS` shuffles
of the labels does (a chance test: a label most rows hold agrees by chance alone). Generation samples
again a text that is one of them in a row whose label it was never given (`mislabelled`), after writing
in its place a text given the row's label, where there is one (`relabel`): the row wrote a shared city,
and now writes one of its country's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_AGREEMENT = 0.9  # share of a shared text's holders giving it its most given label, over the column
PERMUTATIONS = 99  # shuffles of the labels that must all agree less than the data does (p < 0.01): at 19, Chinook's
#                    8 employees' titles (3 agents in Calgary, 2 IT staff in Lethbridge, p = 0.1) decided their city
MAX_TEXTS = 10_000  # texts kept per rule at most (the most widely held first): a bound on the saved config
MAX_UNITS = 50_000  # (text, label, entity) units the chance test reads at most (a sample beyond)
SEED = 0  # the shuffles' seed: the same fit every time


def fit_labelled_texts(values: pd.Series, labels: pd.DataFrame, entity: np.ndarray, k: int) -> list[list]:
    """[[label column, {text: {label: entities giving it}}], ...] for the columns of `labels` (the row's
    categories and flags, aligned with `values`) that `values`' shared texts decide; [] where none does
    or `k` < 2 (no word tokens: nothing is known shared)."""
    if k < 2 or not len(values):
        return []
    out = []
    for col in labels.columns:
        units = _units(values, labels[col], entity)
        if len(units) and _decides(units):
            given = _given_labels(units, k)
            if given:
                out.append([col, given])
    return out


def _units(values: pd.Series, labels: pd.Series, entity: np.ndarray) -> pd.DataFrame:
    """Distinct (text, label, entity) of the rows holding both: one entity's many rows are one witness."""
    held = (values.notna() & labels.notna()).to_numpy()
    frame = pd.DataFrame(
        {
            "text": values[held].astype(str).to_numpy(),
            "label": labels[held].astype(str).to_numpy(),
            "entity": entity[held],
        }
    )
    return frame.drop_duplicates(ignore_index=True)


def _decides(units: pd.DataFrame) -> bool:
    """Whether the texts several entities hold agree on their label (`MIN_AGREEMENT`) beyond chance."""
    holders = units.groupby("text")["entity"].transform("nunique")
    shared = units[holders.to_numpy() > 1]
    if shared["text"].nunique() < 2:  # one shared text proves nothing
        return False
    rng = np.random.default_rng(SEED)
    if len(shared) > MAX_UNITS:
        shared = shared.iloc[np.sort(rng.choice(len(shared), MAX_UNITS, replace=False))]
    text = pd.factorize(shared["text"])[0]
    label = pd.factorize(shared["label"])[0]
    observed = _agreement(text, label)
    if observed < MIN_AGREEMENT:
        return False
    return all(_agreement(text, rng.permutation(label)) < observed for _ in range(PERMUTATIONS))


def _agreement(text: np.ndarray, label: np.ndarray) -> float:
    """Share of the units whose label is their text's most given one."""
    n_labels = int(label.max()) + 1
    pairs, counts = np.unique(text.astype(np.int64) * n_labels + label, return_counts=True)
    most = np.zeros(int(text.max()) + 1, dtype=np.int64)
    np.maximum.at(most, pairs // n_labels, counts)
    return float(most.sum() / len(text))


def _given_labels(units: pd.DataFrame, k: int) -> dict[str, dict[str, int]]:
    """{text: {label: entities}} of the labels >= k entities give it, for the texts >= k entities hold (the
    most held first)."""
    holders = units.groupby("text")["entity"].nunique()
    common = holders[holders >= k].sort_values(ascending=False, kind="stable").index[:MAX_TEXTS]
    per_label = units[units["text"].isin(common)].groupby(["text", "label"])["entity"].nunique()
    given: dict[str, dict[str, int]] = {str(t): {} for t in common}
    for (text, label), n in per_label[per_label >= k].items():
        given[str(text)][str(label)] = int(n)
    return given


def mislabelled(rules: list[list], frame: pd.DataFrame) -> list[frozenset[str]]:
    """Per row of `frame` (the generated table), the texts of `rules` (`fit_labelled_texts`) never given
    its label: a row of a label no rule names (a rare one) may write none of them; a missing label, any."""
    out = [frozenset()] * len(frame)
    for col, given in rules:
        if col not in frame.columns:
            continue
        labels = frame[col].to_numpy(dtype=object)
        missing = pd.isna(labels)
        barred: dict[str, frozenset[str]] = {}
        for i, (label, gone) in enumerate(zip(labels, missing, strict=True)):
            if gone:
                continue
            key = str(label)
            if key not in barred:
                barred[key] = frozenset(t for t, ls in given.items() if key not in ls)
            out[i] = out[i] | barred[key] if out[i] else barred[key]
    return out


def label_texts(rules: list[list], frame: pd.DataFrame) -> list[tuple[list[str], np.ndarray] | None]:
    """Per row of `frame`, the texts of `rules` given its labels (by every rule naming the text) and their
    weights (the entities giving them that label), or None where there is none (`relabel` draws from them)."""
    columns = [(col, given) for col, given in rules if col in frame.columns]
    if not columns:
        return [None] * len(frame)
    keys = list(zip(*(frame[col].to_numpy(dtype=object) for col, _ in columns), strict=True))
    memo: dict[tuple, tuple[list[str], np.ndarray] | None] = {}
    out: list[tuple[list[str], np.ndarray] | None] = []
    for key in keys:
        labels = tuple(None if pd.isna(v) else str(v) for v in key)
        if labels not in memo:
            memo[labels] = _label_texts(columns, labels)
        out.append(memo[labels])
    return out


def _label_texts(columns: list[tuple[str, dict]], labels: tuple) -> tuple[list[str], np.ndarray] | None:
    weight: dict[str, int] = {}
    barred: set[str] = set()
    for (_, given), label in zip(columns, labels, strict=True):
        if label is None:
            continue
        for text, counts in given.items():
            if label in counts:
                weight[text] = max(weight.get(text, 0), counts[label])
            else:
                barred.add(text)
    texts = [t for t in weight if t not in barred]
    if not texts:
        return None
    p = np.array([weight[t] for t in texts], dtype=float)
    return texts, p / p.sum()


def relabel(
    texts: list[str], barred: list[frozenset[str]], given: list[tuple[list[str], np.ndarray] | None], rng
) -> int:
    """Write, in place, a text given its row's label (`label_texts`, drawn by its entities) for each text
    its row bars (`mislabelled`) where the row's label has one; returns how many were written. The row
    wrote a shared text, and still does: the share of rows writing one stays the model's."""
    n = 0
    for i, t in enumerate(texts):
        if t in barred[i] and given[i] is not None:
            options, p = given[i]
            texts[i] = options[int(rng.choice(len(options), p=p))]
            n += 1
    return n

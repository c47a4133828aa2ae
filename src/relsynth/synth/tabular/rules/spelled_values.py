"""A text column that spells a number of its row wherever that number is present: a lab result's
`value` ('141', '0.94', or a label where no number is: '<0.5', 'POS') beside its `valuenum`.

The text is a categorical column whose numbers are mostly rare (a value each), so the model drew
one of its few frequent ones and the number apart from it: 1,610 of 2,908 generated lab results
of a hospital database spelt another number than their `valuenum` (a white-cell count of '141',
the sodium's frequent value, its number 141 too). The fit keeps, per categorical column and
number column of its row, the spelling (`SPELLINGS`: the shortest, or a fixed number of
decimals) in which the text is the number in every training row holding the number (`MIN_ROWS`
at least). Its `<rare>` token is then generated (`CategoricalPreproc.rare_spelled`: it stands for
a number, which the row's number column spells, so no rare value is replayed), and generation
writes the text from the generated number wherever the row holds one. Not fitted under DP.

A text may also write each number with the decimals of a label of its row (`spelling` "by"): a
lab result's '1.0' creatinine beside a '126' glucose and a '0.12' troponin, each item's values
with its own count, trailing zeros kept, which neither the shortest spelling nor one count of
decimals reads (an EHR's 15,371 lab results: no rule, so 1,631 distinct texts drawn as
categories apart from their number). The fit keeps the categorical column of the row (or its
reference to a lookup) each of whose labels holds one count, and the counts; a label it lacks
is written shortest.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from relsynth.relational import Column, RelationalData
from relsynth.relational.numbers import to_numbers
from relsynth.synth.tabular.rules.columns import value_codes

log = logging.getLogger(__name__)
MIN_ROWS = 20  # rows holding the number (and so its spelling), at least
SCREEN = 200  # rows a spelling is tried on before the whole column (TPC-H sf 0.01's fit: 15.6 s of 38.6 s here)
SPELLINGS = ["shortest", *(f"{d}f" for d in range(7))]  # '0.94' / '141'; or always 2 decimals: '141.00'
LABEL_ROWS = 5  # rows a label holds on average, at least, for its count of decimals to be its own
_PLAIN = re.compile(r"-?\d+(?:\.(\d+))?")  # a number as a fixed count of decimals writes it: '1.0', '-3', '140'


def spell(x: pd.Series, spelling: str) -> pd.Series:
    """Numbers `x` as text in `spelling` (missing stays missing)."""
    v = to_numbers(x).astype("float64")
    if spelling == "shortest":  # repr's digits, a whole number without its '.0'
        text = v.map(lambda n: _shortest(n), na_action="ignore")
    else:
        text = v.map(lambda n: f"{n + 0.0:.{spelling}}", na_action="ignore")
    return text.astype("string")


def _shortest(n: float) -> str:
    text = repr(float(n) + 0.0)  # + 0.0: no '-0'
    return text[:-2] if text.endswith(".0") else text


def find_spelled_values(pre, data: RelationalData) -> list[dict]:
    """[{"table", "column", "number", "spelling"}]: `table.column` (categorical) is `spell(number,
    spelling)` in every row where `number` (a number column of its row) is present. Not a root's
    context columns."""
    out = []
    for table in data.schema.synth_tables:
        columns = data.schema.tables[table].columns
        given = pre.given_columns(table)
        texts = [c for c, k in columns.items() if k.kind is Column.CATEGORICAL and c not in given]
        numbers = pre.float_numbers(table, columns)
        labels = [c for c in columns if c not in given and _label(data.schema, columns[c])]
        screens: dict[tuple[str, str], np.ndarray] = {}  # a wide table's numbers spelt once, not once a text column
        for col in texts:
            for number in numbers:
                rule = _rule(data[table], col, number, [c for c in labels if c != col], screens)
                if rule is not None:
                    log.info(
                        "%s.%s spells %s.%s (%s) where it is present: written so",
                        table,
                        col,
                        table,
                        number,
                        rule["spelling"] if rule["spelling"] != "by" else f"the decimals of its {rule['by']}",
                    )
                    out.append({"table": table, "column": col, "number": number, **rule})
                    break
    return out


def _label(schema, column) -> bool:
    """Whether a column's values are labels a count of decimals may follow: a category, or a
    reference to a lookup (a lab result's item)."""
    return column.kind is Column.CATEGORICAL or getattr(column, "parent", None) in schema.lookups


def _rule(frame: pd.DataFrame, col: str, number: str, labels: list[str], screens: dict) -> dict | None:
    """{"spelling"[, "by", "decimals"]} in which `frame[col]` spells `frame[number]`: one of
    `SPELLINGS`, else the decimals of a label column of the row (`_label_spelling`); None."""
    if (spelling := _spelling(frame[col], frame[number], screens)) is not None:
        return {"spelling": spelling}
    return _label_spelling(frame[col], frame[number], [(c, frame[c]) for c in labels])


def _label_spelling(text: pd.Series, number: pd.Series, labels: list[tuple[str, pd.Series]]) -> dict | None:
    """{"spelling": "by", "by", "decimals": [[label, count], ...]}: `text` writes `number` with a
    fixed count of decimals in every row holding it, one count per label of the first of `labels`
    whose every label holding the number holds one count (the lab item of a creatinine's '1.0')."""
    held = number.notna().to_numpy()
    if held.sum() < MIN_ROWS or text[held].isna().any():
        return None
    numbers = number[held].reset_index(drop=True)
    if _counts(numbers.iloc[:SCREEN], _words(text[held].iloc[:SCREEN])) is None:
        return None  # most pairs of a wide table part here, on their first rows
    if (counts := _counts(numbers, _words(text[held]))) is None:
        return None
    for by, values in labels:
        codes, names = value_codes(values[held].reset_index(drop=True))
        if (codes < 0).any() or not 2 <= len(names) <= len(codes) / LABEL_ROWS:
            continue  # a label of a row or two holds one count whatever it is
        low = np.full(len(names), np.iinfo(np.int64).max)
        high = np.full(len(names), -1)
        np.minimum.at(low, codes, counts)
        np.maximum.at(high, codes, counts)
        if (low == high).all():
            return {"spelling": "by", "by": by, "decimals": [[n, int(d)] for n, d in zip(names, low, strict=True)]}
    return None


def _counts(numbers: pd.Series, words: np.ndarray) -> np.ndarray | None:
    """Each word's count of decimals where every word is its number written with that many
    ('1.0' for 1.0, '140' for 140.0); None where one is not."""
    counts = np.empty(len(words), dtype=np.int64)
    for i, (n, w) in enumerate(zip(numbers.to_numpy(np.float64), words, strict=True)):
        match = _PLAIN.fullmatch(w) if isinstance(w, str) else None
        if match is None:
            return None
        counts[i] = len(match.group(1) or "")
        if f"{n + 0.0:.{counts[i]}f}" != w:
            return None
    return counts


def _spelling(
    text: pd.Series, number: pd.Series, screens: dict[tuple[str, str], np.ndarray] | None = None
) -> str | None:
    """The first of `SPELLINGS` in which `text` is `number` in every row holding the number.
    `screens`: (number's name, spelling) -> its first held rows spelt, kept across calls."""
    held = number.notna().to_numpy()
    if held.sum() < MIN_ROWS or (text := text[held]).isna().any():
        return None
    numbers, words = number[held], None
    head = _words(text.iloc[:SCREEN])  # the first rows first: spelling (and stripping) every row is slow
    screens = {} if screens is None else screens
    for spelling in SPELLINGS:  # and most pairs differ at once
        key = (str(number.name), spelling)
        if key not in screens:
            screens[key] = spell(numbers.iloc[:SCREEN], spelling).to_numpy(dtype=object)
        if bool((screens[key] == head).all()):
            words = _words(text) if words is None else words
            if _spelt(numbers, words, spelling):
                return spelling
    return None


def _words(text: pd.Series) -> np.ndarray:
    return text.astype("string").str.strip().to_numpy(dtype=object)


def _spelt(numbers: pd.Series, words, spelling: str) -> bool:
    return bool((spell(numbers, spelling).to_numpy(dtype=object) == words).all())


def spelled_columns(rules: list[dict]) -> set[tuple[str, str]]:
    """(table, column) of the text columns the rules write."""
    return {(r["table"], r["column"]) for r in rules}


def apply_spelled_values(rules: list[dict], tables: dict[str, pd.DataFrame]) -> None:
    """Write (in place) each rule's text from its row's number where the row holds one; elsewhere
    the generated label stays (`<rare>` drawn without a number: missing)."""
    for r in rules:
        frame = tables.get(r["table"])
        if frame is None or not len(frame):
            continue
        held = frame[r["number"]].notna().to_numpy()
        text = spell(frame[r["number"]], r["spelling"]) if r["spelling"] != "by" else _spell_by(r, frame)
        column = frame[r["column"]]
        if isinstance(column.dtype, pd.CategoricalDtype):  # a label the categories lack: the column as text
            column = column.astype("string")
        frame[r["column"]] = column.where(~held, text).astype(column.dtype)
        if held.any():
            log.debug("%s.%s: %d value(s) written from %s", r["table"], r["column"], int(held.sum()), r["number"])


def _spell_by(rule: dict, frame: pd.DataFrame) -> pd.Series:
    """`rule`'s number written with its row's label's decimals where that count writes it whole;
    shortest elsewhere: under a label the rule does not name (none held its number in the data),
    or a number with more decimals than its label's (a label too rare for `category_decimals` to
    round its numbers: '1' for 0.55 would be another number)."""
    counts = dict(map(tuple, rule["decimals"]))
    text = spell(frame[rule["number"]], "shortest")
    if rule["by"] not in frame:
        return text
    x = to_numbers(frame[rule["number"]]).to_numpy(np.float64, na_value=np.nan)
    codes, names = value_codes(frame[rule["by"]].reset_index(drop=True))
    for k, name in enumerate(names):
        if (d := counts.get(name)) is None:
            continue
        whole = np.abs(np.round(x, int(d)) - x) <= 1e-9 * np.maximum(1.0, np.abs(x))  # missing: False
        if (rows := (codes == k) & whole).any():
            text.loc[rows] = spell(frame[rule["number"]][rows], f"{int(d)}f").to_numpy(dtype=object)
    return text

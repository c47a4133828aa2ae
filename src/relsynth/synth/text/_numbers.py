"""A text column that writes a number of its row: a lab result's `value_text` is its `value_num`
as written (129.93, 4.1, 12) wherever the number is held, and a qualifier ('<0.1') where it is
not. The text model sees the number in its context rounded (`digits`), so it wrote other digits:
1,534 of 1,629 generated lab texts of a clinical database disagreed with their own number. The
fit keeps the number column whose every held value (`MIN_ROWS` at least) the text writes in its
shortest form (`written`); generation writes the text so wherever the row holds the number, the
model's own text elsewhere.

A text may also hold the number among its words: a film's title ends with its year in parentheses
('Heat (1995)') beside a `year` column, and the model, seeing 2000 for 1995, wrote another year
or none into 596 of 600 generated titles (a small model, 8 epochs). The fit keeps (`number_embedded`) the
number column that the text writes as a number of its own (no letter, digit or point beside it) in
`EMBEDDED_SHARE` of the rows holding both (`MIN_ROWS` at least, `MIN_DISTINCT` values: no constant
or small count met by chance), as the text's first or last number, and the characters around it
where the texts end with it (' (' and ')'); generation writes the row's number in place of the
generated text's first or last number, or, where the data's texts end with it and the generated
one does not so ('Apollo 13'), adds it at its end so (`write_embedded`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.relational import Column

MIN_ROWS = 20  # rows holding the number, at least
EMBEDDED_SHARE = 0.95  # share of the rows holding a number and a text whose text holds the number as one of its own
MIN_DISTINCT = 5  # distinct numbers a text must hold so, at least: a constant or a small count is met by chance
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?!\w|\.\d)")  # a number of its own: no letter, digit or point beside it
ENDING = re.compile(r"(\W{0,3})$")  # the characters after a text's last number, when they end it


def written(values: pd.Series) -> list[str]:
    """Each number in its shortest form: 129.93, 4.1, 12 (not 12.0), -0.5."""
    return [np.format_float_positional(float(v), trim="-") for v in values]


def number_written(df: pd.DataFrame, text: str, kinds: Mapping[str, Column]) -> str | None:
    """The number column of `df` (`kinds`: each column's kind) whose every held value the text
    column writes (`written`), in `MIN_ROWS` rows at least; None where there is none."""
    for col, kind in kinds.items():
        if kind not in (Column.NUMERIC, Column.INTEGER) or col not in df:
            continue
        held = df[col].notna().to_numpy()
        if held.sum() < MIN_ROWS:
            continue
        texts = df[text].to_numpy(dtype=object)[held]
        if all(isinstance(t, str) for t in texts) and texts.tolist() == written(df[col][held]):
            return col
    return None


def write_numbers(values: np.ndarray, df: pd.DataFrame, col: str | None) -> int:
    """Set (in place) `values` (the texts, one per row of `df`) to their row's number `col` written,
    where the row holds it; the rows so written."""
    if col is None or col not in df:
        return 0
    held = df[col].notna().to_numpy()
    values[held] = written(df[col][held])
    return int(held.sum())


def number_embedded(df: pd.DataFrame, text: str, kinds: Mapping[str, Column]) -> dict | None:
    """{"column", "at", "end"} for the number column of `df` whose value the text column holds as a
    number of its own (`NUMBER`) in `EMBEDDED_SHARE` of the rows holding both: "at" "last" or "first"
    of the text's numbers (the one that holds in that share), "end" [before, after] the characters
    around it where that share of the texts end with it so (' (' and ')'), else None."""
    for col, kind in kinds.items():
        if kind not in (Column.NUMERIC, Column.INTEGER) or col not in df:
            continue
        held = (df[col].notna() & df[text].notna()).to_numpy()
        if held.sum() < MIN_ROWS or df[col][held].nunique() < MIN_DISTINCT:
            continue
        texts = [str(t) for t in df[text].to_numpy(dtype=object)[held]]
        numbers = written(df[col][held])
        if texts == numbers:
            continue  # the whole text is the number (`number_written`)
        found = [[m for m in NUMBER.finditer(t)] for t in texts]
        for at, pick in (("last", -1), ("first", 0)):
            hits = [bool(ms) and ms[pick].group() == n for ms, n in zip(found, numbers, strict=True)]
            if np.mean(hits) >= EMBEDDED_SHARE:
                return {"column": col, "at": at, "end": _ending(texts, found, hits) if at == "last" else None}
    return None


def _ending(texts: list[str], found: list[list[re.Match]], hits: list[bool]) -> list[str] | None:
    """[before, after]: the non-word characters (3 at most) around the last number of the texts
    that end with it so, where `EMBEDDED_SHARE` of them do; else None."""
    ends = Counter()
    for t, ms, hit in zip(texts, found, hits, strict=True):
        if hit and (after := ENDING.match(t, ms[-1].end())) is not None:
            ends[re.search(r"\W{0,3}$", t[: ms[-1].start()]).group(), after.group(1)] += 1
    if not ends:
        return None
    (before, after), n = ends.most_common(1)[0]
    return [before, after] if n >= EMBEDDED_SHARE * len(texts) else None


def write_embedded(values: np.ndarray, df: pd.DataFrame, rule: dict | None) -> int:
    """Write (in place) into each text of `values` (one per row of `df`) its row's number `rule`
    keeps in it (`number_embedded`): where the texts end with it, in place of a last number ending
    the text so, else added at its end so; elsewhere in place of the text's first or last number;
    the texts so changed."""
    if not rule or rule["column"] not in df:
        return 0
    changed = 0
    numbers = df[rule["column"]]
    for i in np.flatnonzero(numbers.notna().to_numpy()):
        text = values[i]
        if not isinstance(text, str) or not text:
            continue  # a missing or empty text stays so
        number = written(numbers.iloc[[i]])[0]
        matches, end = list(NUMBER.finditer(text)), rule.get("end")
        m = matches[-1 if rule["at"] == "last" else 0] if matches else None
        if end and not (m and text[: m.start()].endswith(end[0]) and text[m.end() :] == end[1]):
            new = text.rstrip() + end[0] + number + end[1]  # 'Apollo 13' ends as titles do: 'Apollo 13 (1995)'
        elif m:
            new = text[: m.start()] + number + text[m.end() :]
        else:
            continue
        changed += new != text
        values[i] = new
    return changed

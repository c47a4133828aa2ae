"""Codes built from other values of their row: a country's two-letter code, the first two letters of
its three-letter one (`ABW` -> `AB`); a username, the first name and the last name's initial in lower
case and two digits (`jamess42`); a zip3, the first three characters of the zip code. Codes are drawn
each on its own (`_identifiers`), so a generated code agreed with its row's values in no row.

A *template* is pieces of the row's values (`Piece`: a column, as written or in lower or upper case,
whole or its first 1 to MAX_PREFIX characters) between *slots* of literal text: each slot either one
of a few labels (`.`, `@corp.example.com`) that at least `min_count` rows each hold, or a run of
digits. The fit reads each row's pieces (`_pieces_of`: left to right, the longest piece that starts at
a word's edge), keeps the most frequent sequences as candidates and counts the rows that the
candidate writes with slots it keeps (`_fit_template`). A template is kept where it writes MIN_SHARE
of the rows at least, MIN_ROWS at least, and the rows' values shuffled among the rows
(CHANCE_ROUNDS times) write at most MAX_CHANCE of that share: codes drawn from a small alphabet share
a first letter by chance, and then as often shuffled as not.

Generation writes the code from the row's generated values in the data's share of the rows holding
them, drawing the slots at the data's shares; the other rows keep the code drawn for them. Where the
column's codes never repeat, a written code that repeats another goes back to the one drawn. A
digit slot is drawn again where the code it makes is one of the data's (`known` hashes,
KNOWN_REDRAWS rounds): the pieces come from generated values that each follow their own privacy
rule (a category's `<rare>`, a fresh key), so a written code holds nothing of a training row that
the generated values do not. Not fitted under DP (read from the values).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_ROWS = 20  # rows a template writes, at least
MIN_SHARE = 0.3  # ... and this share of the rows holding the code and its pieces' values, at least
MAX_CHANCE = 0.1  # the share it writes with the values shuffled among the rows, at most this part of the share
CHANCE_ROUNDS = 3  # shuffles the chance share is the highest of
MAX_PREFIX = 3  # the longest prefix of a value a piece takes (a zip3)
CANDIDATES = 3  # the most frequent sequences of pieces tried as templates
SCREEN = 300  # rows whose pieces are read for the candidates
FIT_ROWS = 5_000  # rows (drawn at random) the shares are read from, at most: a large table's fit stays short
MAX_PIECES = 4  # pieces a template holds, at most
KNOWN_REDRAWS = 10  # rounds of drawing a digit slot again where the code it makes is the data's
CASES = ("asis", "lower", "upper")


@dataclass(frozen=True)
class Piece:
    """A value of the row as a code writes it: `column`, in `case`, its first `length` characters (None: whole)."""

    column: str
    case: str
    length: int | None

    def of(self, value: str) -> str:
        text = value.lower() if self.case == "lower" else value.upper() if self.case == "upper" else value
        return text if self.length is None else text[: self.length]


def find_derived_codes(
    frame: pd.DataFrame, targets: list[str], sources: list[str], min_count: int, rng: np.random.Generator
) -> dict[str, dict]:
    """{target: template} for the columns of `targets` that a template of `sources` (other columns of
    the row, as text) writes beyond chance (`_best_template`). Where two columns write each other (a
    zip3 the zip's first digits, the zip the zip3 and two digits), the one whose slots leave less to
    draw (`_drawn_bits`) is written from the other; a written column is never a piece of another. Columns of
    numbers are no pieces: a number inside a code (`INV-00042` of row 42) is the identifiers' counters' and
    `code_numbers`', which keep the code's width and never write a real one."""
    if len(frame) > FIT_ROWS:
        frame = frame.iloc[np.sort(rng.choice(len(frame), FIT_ROWS, replace=False))].reset_index(drop=True)
    found = {}
    texts = [s for s in sources if s in frame and not pd.api.types.is_numeric_dtype(frame[s])]
    for target in targets:
        own = [s for s in texts if s != target]
        if own and target in frame and (fit := _best_template(frame, target, own, min_count, rng)) is not None:
            found[target] = fit
    out: dict[str, dict] = {}
    for target, fit in sorted(found.items(), key=lambda kv: (_drawn_bits(kv[1]), -kv[1]["share"])):
        read = {p[0] for p in fit["pieces"]}
        if not read & set(out) and target not in derived_sources(out):
            out[target] = fit
    return out


def _drawn_bits(template: dict) -> float:
    """How much a template's slots draw: the entropy of their labels, and of their digits."""
    bits = 0.0
    for slot in template["slots"]:
        if "labels" in slot:
            shares = np.array([s for _, s in slot["labels"]], dtype=float)
            bits -= float((shares * np.log2(np.where(shares > 0, shares, 1))).sum())
        else:
            bits += sum(n * s for n, s in slot["digits"]) * float(np.log2(10))
    return bits


def _best_template(
    frame: pd.DataFrame, target: str, sources: list[str], min_count: int, rng: np.random.Generator
) -> dict | None:
    """The candidate template writing the most rows of `target`, where it passes the chance test."""
    code = frame[target]
    values = {s: frame[s].astype("string") for s in sources}
    held = code.notna().to_numpy()
    if held.sum() < MIN_ROWS:
        return None
    best = None
    for pieces in _candidates(code[held], {s: v[held] for s, v in values.items()}):
        fit = _fit_template(code, values, pieces, min_count)
        if fit is None or (best is not None and fit["share"] <= best["share"]):
            continue
        if _beyond_chance(code, values, pieces, min_count, fit["share"], rng):
            best = fit
    return best


def _candidates(code: pd.Series, values: dict[str, pd.Series]) -> list[tuple[Piece, ...]]:
    """The CANDIDATES most frequent sequences of pieces among the first SCREEN rows' codes, read in half
    MIN_SHARE of them at least (the pieces of a row the template writes may be read otherwise)."""
    counts: Counter = Counter()
    screened = min(SCREEN, len(code))
    for i in range(screened):
        row = {s: v.iloc[i] for s, v in values.items() if not pd.isna(v.iloc[i]) and len(str(v.iloc[i]))}
        pieces = _pieces_of(str(code.iloc[i]), row)
        if 0 < len(pieces) <= MAX_PIECES:
            counts[pieces] += 1
    return [p for p, n in counts.most_common(CANDIDATES) if n >= max(2, MIN_SHARE * screened / 2)]


def _pieces_of(code: str, row: dict[str, str]) -> tuple[Piece, ...]:
    """The pieces of `row`'s values that `code` writes, left to right: at each word's edge (the start,
    after a piece, after a character neither letter nor digit, between a letter and a digit) the
    longest piece of a value not used yet, ties to a whole value as written."""
    out: list[Piece] = []
    used: set[str] = set()
    i, edge = 0, True
    while i < len(code):
        best = _longest_at(code, i, row, used) if edge or _edge(code, i) else None
        if best is not None:
            out.append(best[0])
            used.add(best[0].column)
            i, edge = i + len(best[1]), True
        else:
            i, edge = i + 1, False
    return tuple(out)


def _edge(code: str, i: int) -> bool:
    before, here = code[i - 1], code[i]
    return not before.isalnum() or before.isdigit() != here.isdigit()


def _longest_at(code: str, i: int, row: dict[str, str], used: set[str]) -> tuple[Piece, str] | None:
    best: tuple[Piece, str] | None = None
    for column, value in row.items():
        if column in used:
            continue
        for piece in _pieces(column, str(value)):
            text = piece.of(str(value))
            if text and code.startswith(text, i) and (best is None or len(text) > len(best[1])):
                best = (piece, text)
    return best


def _pieces(column: str, value: str) -> list[Piece]:
    """Every piece of `column` a code may write of `value`: whole first, then its prefixes."""
    lengths = [None, *range(min(MAX_PREFIX, len(value) - 1), 0, -1)]
    return [Piece(column, case, n) for n in lengths for case in CASES]


def _fit_template(
    code: pd.Series, values: dict[str, pd.Series], pieces: tuple[Piece, ...], min_count: int
) -> dict | None:
    """{"pieces", "slots", "share"}: the rows `pieces` write with slots (`_fit_slots`) between them, or
    None under MIN_ROWS or MIN_SHARE. The share is of the rows holding the code and every piece's value."""
    held, parts = _slot_texts(code, values, pieces)
    if held.sum() < MIN_ROWS:
        return None
    slots, written = _fit_slots(parts, min_count)
    share = float(written.sum() / held.sum())
    if written.sum() < MIN_ROWS or share < MIN_SHARE:
        return None
    return {
        "pieces": [[p.column, p.case, p.length] for p in pieces],
        "slots": slots,
        "share": round(share, 4),
    }


def _slot_texts(
    code: pd.Series, values: dict[str, pd.Series], pieces: tuple[Piece, ...]
) -> tuple[np.ndarray, list[list[str] | None]]:
    """Per row: whether it holds the code and every piece's value; the texts between the pieces where
    the code writes them in order (len(pieces) + 1 texts), else None."""
    n = len(code)
    columns = [values[p.column] for p in pieces]
    held = code.notna().to_numpy() & np.logical_and.reduce([c.notna().to_numpy() for c in columns])
    codes = code.astype("string").to_numpy(dtype=object)
    raw = [c.to_numpy(dtype=object) for c in columns]
    parts: list[list[str] | None] = [None] * n
    for i in np.flatnonzero(held):
        texts = [p.of(str(r[i])) for p, r in zip(pieces, raw, strict=True)]
        if not all(texts):
            continue
        match = re.fullmatch("(.*?)" + "(.*?)".join(map(re.escape, texts)) + "(.*)", str(codes[i]), re.DOTALL)
        if match is not None:
            parts[i] = list(match.groups())
    return held, parts


def _fit_slots(parts: list[list[str] | None], min_count: int) -> tuple[list[dict], np.ndarray]:
    """Each slot's model over the rows written in order, and the rows every slot's model writes: a
    slot is the labels that at least `min_count` rows hold each ({"labels": [[text, share], ...]}), or
    runs of digits ({"digits": [[length, share], ...], "lead_zero": bool}), whichever writes more rows."""
    rows = [i for i, p in enumerate(parts) if p is not None]
    written = np.zeros(len(parts), dtype=bool)
    if not rows:
        return [], written
    ok = np.ones(len(rows), dtype=bool)
    slots = []
    for k in range(len(parts[rows[0]])):
        texts = pd.Series([parts[i][k] for i in rows], dtype=object)
        slot, fits = _fit_slot(texts, min_count)
        slots.append(slot)
        ok &= fits
    written[np.array(rows)[ok]] = True
    return slots, written


def _fit_slot(texts: pd.Series, min_count: int) -> tuple[dict, np.ndarray]:
    counts = texts.value_counts()
    kept = counts[counts >= max(min_count, 1)]
    labelled = texts.isin(kept.index).to_numpy()
    digits = texts.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    if labelled.sum() >= digits.sum():
        shares = kept / kept.sum() if len(kept) else kept
        return {"labels": [[str(t), float(s)] for t, s in shares.items()]}, labelled
    lengths = texts[digits].str.len().value_counts(normalize=True)
    lead_zero = bool(texts[digits].str.match(r"0\d").any())
    return {"digits": [[int(n), float(s)] for n, s in lengths.items()], "lead_zero": lead_zero}, digits


def _beyond_chance(
    code: pd.Series,
    values: dict[str, pd.Series],
    pieces: tuple[Piece, ...],
    min_count: int,
    share: float,
    rng: np.random.Generator,
) -> bool:
    """Whether `share` is far above the share the template writes with its pieces' values shuffled
    among the rows (the highest of CHANCE_ROUNDS shuffles): at most MAX_CHANCE of it."""
    for _ in range(CHANCE_ROUNDS):
        order = rng.permutation(len(code))
        shuffled = {p.column: values[p.column].iloc[order].reset_index(drop=True) for p in pieces}
        held, parts = _slot_texts(code.reset_index(drop=True), shuffled, pieces)
        _, written = _fit_slots(parts, min_count)
        if held.sum() and written.sum() / held.sum() > MAX_CHANCE * share:
            return False
    return True


def derived_sources(rules: dict[str, dict]) -> set[str]:
    """The columns the rules' pieces read."""
    return {p[0] for r in rules.values() for p in r["pieces"]}


KnownAt = Callable[[pd.Series, dict], np.ndarray]  # where codes are the data's, by a format's `known` hashes


def apply_derived_codes(
    rules: dict[str, dict], df: pd.DataFrame, formats: dict[str, dict], rng: np.random.Generator, known_at: KnownAt
) -> None:
    """Write each ruled code from its row's values in the rule's share of the rows holding the code and
    the values, in place. Where the column's codes never repeat (`formats[col]["unique"]`), rows taken
    in random order give up a written code repeating another's and the next rows take their place, so
    the share holds where the values allow it (239 countries' code2 over 676 two-letter prefixes)."""
    for col, rule in rules.items():
        pieces = [Piece(c, case, n) for c, case, n in rule["pieces"]]
        if col not in df.columns or any(p.column not in df.columns for p in pieces):
            continue
        fmt = formats.get(col, {})
        drawn = df[col].astype("string")
        held = drawn.notna().to_numpy() & np.logical_and.reduce([df[p.column].notna().to_numpy() for p in pieces])
        rows = rng.permutation(np.flatnonzero(held))
        want = int(rng.binomial(len(rows), min(rule["share"], 1.0)))
        if not fmt.get("unique"):
            rows = rows[:want]
        written = _written(rule, pieces, df.iloc[rows], fmt.get("known"), rng, known_at)
        if fmt.get("unique"):
            rows, written = _without_repeats(drawn, rows, written, want)
        values = drawn.to_numpy(dtype=object)
        values[rows] = written
        df[col] = pd.Series(values, index=df.index, dtype="string")


def _without_repeats(
    drawn: pd.Series, rows: np.ndarray, written: np.ndarray, want: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first `want` rows (and their codes) that take their written code without repeating another
    row's, in the order of `rows`, twice over (a code a later row gave up is free on the second pass);
    the others keep the code drawn for them, which no other drawn code repeats."""
    codes = drawn.to_numpy(dtype=object)
    current = set(drawn.dropna())
    kept = np.zeros(len(rows), dtype=bool)
    for _ in range(2):
        for k in np.flatnonzero(~kept):
            if kept.sum() >= want:
                break
            if written[k] not in current:
                current.discard(codes[rows[k]])
                current.add(written[k])
                kept[k] = True
    return rows[kept], written[kept]


def _written(
    rule: dict, pieces: list[Piece], rows: pd.DataFrame, known: dict | None, rng: np.random.Generator, known_at: KnownAt
) -> np.ndarray:
    """The codes `rule` writes for `rows`, a digit slot drawn again where the code is a known one."""
    texts = [rows[p.column].astype(str).map(p.of).to_numpy(dtype=object) for p in pieces]
    out = _assemble(rule["slots"], texts, len(rows), rng)
    if known is None or not any("digits" in s for s in rule["slots"]):
        return out
    for _ in range(KNOWN_REDRAWS):
        again = np.flatnonzero(known_at(pd.Series(out, dtype="string"), known))
        if not len(again):
            break
        out[again] = _assemble(rule["slots"], [t[again] for t in texts], len(again), rng)
    return out


def template_texts(rule: dict, rows: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """The values `rule` (a fitted template) writes for `rows` (each holding every piece's value), slots drawn
    at the data's shares."""
    pieces = [Piece(c, case, n) for c, case, n in rule["pieces"]]
    return _written(rule, pieces, rows, None, rng, lambda codes, known: np.zeros(len(codes), dtype=bool))


def _assemble(slots: list[dict], texts: list[np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
    """n codes: each slot drawn (`_draw_slot`) with the pieces' texts between them."""
    drawn = [_draw_slot(s, n, rng) for s in slots]
    out = drawn[0].astype(object)
    for piece, slot in zip(texts, drawn[1:], strict=True):
        out = out + piece.astype(object) + slot.astype(object)
    return out


def _draw_slot(slot: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    if "labels" in slot:
        labels = [t for t, _ in slot["labels"]]
        shares = np.array([s for _, s in slot["labels"]], dtype=float)
        return (
            np.asarray(rng.choice(labels, size=n, p=shares / shares.sum()), dtype=object)
            if labels
            else np.full(n, "", dtype=object)
        )
    lengths = rng.choice([k for k, _ in slot["digits"]], size=n, p=_shares(slot["digits"]))
    return np.array([_digits(int(k), slot["lead_zero"], rng) for k in lengths], dtype=object)


def _shares(pairs: list[list]) -> np.ndarray:
    shares = np.array([s for _, s in pairs], dtype=float)
    return shares / shares.sum()


def _digits(length: int, lead_zero: bool, rng: np.random.Generator) -> str:
    first = str(rng.integers(0 if lead_zero or length == 1 else 1, 10))
    return first + "".join(str(d) for d in rng.integers(0, 10, length - 1))

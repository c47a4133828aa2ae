"""Sampling texts from a TextModel: batched, with a preallocated KV cache.

Prompts `[bos] context [marker]` of different lengths are left-padded (`valid` hides the
padding). Finished rows leave the batch. A row whose input would pass the model's block size
is re-encoded as its context plus the last part of its text, the same windows it was trained
on (see `TextDataset`), so generation never reads more than `block_size` tokens.

Every token is drawn among those that keep the text valid (`_utf8.Utf8Mask`): no broken UTF-8,
no split character, no lone combining mark, no control character the column never had; `end` only after a whole
character. A text that reaches `max_text_len` tokens without `end` is cut at its last whole
character, drawn again (`_resample_unwanted`), and counted where no redraw did better:
`model.last_generation[column]["truncated"]`, with a logged warning.
A copy token is drawn only where its row has that copy word (its parent's text, see `TextPreproc`).
Texts sampled again for being a training value are never ended where they spell one (`Sampler.sample(avoid=...)`).
A table's text columns are written in `TextPreproc.text_order`, each text seeing its row's texts written before it,
as they were finally written (`TextDataset`'s prefixes: a post's body sees its generated tags and title).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from relsynth.relational import RelationalData, Schema, Table, Text
from relsynth.relational.data import generated_data
from relsynth.relational.progress import progress
from relsynth.synth.core.sampling import left_pad, sample_tokens
from relsynth.synth.core.transformer import KVCache
from relsynth.synth.text._breaks import kept_breaks
from relsynth.synth.text._derived_texts import derived_rows
from relsynth.synth.text._json import escaped, is_document, write_document_numbers
from relsynth.synth.text._labelled_texts import label_texts, mislabelled, relabel
from relsynth.synth.text._lists import write_label_lists
from relsynth.synth.text._markup import balanced
from relsynth.synth.text._nulls import row_null_rates
from relsynth.synth.text._numbers import write_embedded, write_numbers
from relsynth.synth.text._rare_words import NewSpellings, RareWordReplacer, context_spelled, context_words
from relsynth.synth.text._shapes import shape
from relsynth.synth.text._spaces import Spacing
from relsynth.synth.text._utf8 import Utf8Mask, is_mark, paired_bidi, whole_emoji
from relsynth.synth.text._whole_copies import parent_copied_rows, parent_null_rates
from relsynth.synth.text.dataset import encoded_texts, sample_prefixes
from relsynth.synth.text.preproc import (
    RARE_WORDS_REPLACE,
    WORD_PIECE,
    TextColumnStats,
    TextPreproc,
    entity_ids,
    glued_words,
)

log = logging.getLogger(__name__)
DEFAULT_BATCH = 512
FEW_WORDS_WARN_SHARE = 0.05  # of a column's texts, written with one of the few words of their case: warned
REPLACE = "replace"  # spell_words mode: spell, then swap each spelled word for a word token of its shape
AUTO = "auto"  # spell_words mode: REPLACE for a column whose words are mostly rare, else word tokens only


def spelling_mode(spell_words, rare_word_rate: float):
    """The mode for one column. With word tokens only, the probability the model gives to spelling
    a word goes to the word tokens instead: harmless when few words are rare, but a column of
    mostly rare words (names) then comes out as long strings of common words that never end on
    time. There `auto` lets the model spell and replaces the spelled words (see _rare_words)."""
    if spell_words == AUTO:
        return REPLACE if rare_word_rate >= RARE_WORDS_REPLACE else False
    return spell_words


@torch.inference_mode()  # no autograd bookkeeping: ~10 % of a small decode step
def generate(
    model,
    data: RelationalData,
    batch_size: int,
    max_text_len: int,
    temp: float,
    top_p: float,
    seed: int | None,
    spell_words: bool | str = AUTO,
    avoid: RelationalData | None = None,
) -> RelationalData:
    check_generate_args(batch_size, max_text_len, temp, top_p, spell_words)
    preproc = model.preproc
    df = preproc._table_frame(data)
    context_texts = preproc.contexts(data)
    contexts = preproc.encode_contexts(context_texts)
    copy_words = preproc.copy_words(data)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(int(rng.integers(2**62)))  # CPU noise: the same texts on any device
    was_training = model.training
    model.eval()
    out = df.copy()
    model.last_generation = {}
    written: dict[str, dict[int, list[int]]] = {}  # per column written, its rows' texts as tokens (`earlier`)
    try:
        for col in preproc.text_order:  # a row's texts in the order each was trained seeing the ones before it
            stats = preproc.config.stats.get(col)
            if stats is None:
                raise RuntimeError(f"the preproc has no statistics for column {col!r}: fit it before generating")
            nulls = row_null_rates(stats.null_by, df, preproc.null_columns(), stats.null_rate)
            frames = preproc.copy_frames(data) if stats.parent_copy else None
            if frames is not None:  # a billing state missing where the customer's is
                nulls = parent_null_rates(stats.parent_copy, frames[1], nulls)
            rows = np.flatnonzero(rng.random(len(df)) >= nulls)  # null where rows like it are (`_nulls`)
            empty, rows = _empty_rows(stats, df, rows, preproc.null_columns(), rng)
            copied, copied_texts = rows[:0], np.array([], dtype=object)
            if frames is not None:  # a ship address: the generated customer's, in the share of rows the data has
                copied, copied_texts = parent_copied_rows(stats.parent_copy, *frames, rows, rng)
                rows = np.setdiff1d(rows, copied)
            derived, derived_texts = rows[:0], np.array([], dtype=object)
            if stats.derived:  # a full name: its row's generated first and last names, in the data's share of rows
                derived, derived_texts = derived_rows(stats.derived, out, rows, stats.unique, rng)
                rows = np.setdiff1d(rows, derived)
            spell = spelling_mode(spell_words, stats.rare_word_rate)
            checks = form_checks(stats)
            earlier = [{c: written[c][r] for c in preproc.earlier_texts(col) if r in written[c]} for r in rows]
            prefixes = sample_prefixes(preproc, [contexts[r] for r in rows], col, earlier, model.config.block_size)
            allow_empty = stats.empty_rate > 0 and stats.empty_by is None  # else drawn apart (`_empty_rows`)
            sampler = Sampler(
                model,
                max_text_len or max(stats.max_tokens, 1),
                temp,
                top_p,
                gen,
                allow_empty=allow_empty,
                chars=stats.chars,
                words_only=spell is False and bool(preproc.config.word_k),
                lead_space=stats.lead_space_rate > 0,
                tokens=stats.tokens,
                scripts=stats.scripts,
            )
            spellings = _new_spellings(avoid, preproc, col) if spell == REPLACE else None
            replacer = _replacer(preproc, stats if spell == REPLACE else None, spell is False, spellings)
            trimmed: list[int] = []  # texts of every draw whose whitespace the column never shows was trimmed
            spacing = Spacing(stats.lead_space_rate > 0, stats.end_space, stats.double_space)
            decode = _decoder(preproc, replacer, rng, breaks=stats.breaks, spacing=spacing, trimmed=trimmed)
            copies_of = preproc.column_copies(
                col, copy_words, preproc.row_words(out, preproc.config.row_copies.get(col, []))
            )
            barred = mislabelled(stats.labelled_texts, df)  # a city beside another country than its own
            found = [RowWords(context_texts[r], copies_of[r], barred[r]) for r in rows]
            ids = sampler.sample(prefixes, batch_size or DEFAULT_BATCH, desc=f"{preproc.table}.{col}", rows=found)
            texts, cut_at_limit = decode(ids, found), sampler.cut.copy()
            # a shared city beside another country: one of its country's shared cities, where it has one
            given = label_texts(stats.labelled_texts, df) if stats.labelled_texts else None
            given = [given[r] for r in rows] if given else None
            relabelled = relabel(texts, [r.barred for r in found], given, rng) if given else 0
            avoid_values, rare = _values(avoid, preproc, col), _rare_glued_words(avoid, preproc, col)
            limit, cut_limit = length_limits(stats, declared_length(data, preproc.table, col))
            copies, repeats, rare_left = _resample_unwanted(
                texts,
                cut_at_limit,
                prefixes,
                found,
                avoid_values,
                sampler,
                decode,
                batch_size,
                f"{preproc.table}.{col}",
                limit,
                distinct=stats.unique,
                rare=rare,
                checks=checks,
                groups=unique_groups(data.schema, preproc.table, col, out.iloc[rows], under=stats.unique_under),
                rng=rng,
                known=frozenset(preproc.config.words),
            )
            relabelled += relabel(texts, [r.barred for r in found], given, rng) if given else 0  # redrawn ones
            truncated = int(cut_at_limit.sum())  # of the texts kept (not of the ones sampled again)
            texts, cut = cut_to_length(texts, cut_limit)
            texts = [paired_bidi(t) for t in texts]  # again: a text cut to length may have lost a closer
            if cut:  # a cut may leave a value to avoid ('Night Night Night' -> one entity's 'Night Night')
                copies = sum(t in avoid_values for t in texts)
            if stats.json_escapes:  # documents the source wrote with \\u escapes, in its share
                texts = escape_documents(texts, stats.json_escapes, rng, declared_length(data, preproc.table, col))
            broken = {c.key: _left_broken(texts, c, f"{preproc.table}.{col}") for c in checks}
            model.last_generation[col] = {
                "texts": len(rows) + len(empty) + len(copied) + len(derived),
                "truncated": truncated,
                "copies": copies,
                "rare_words": rare_left,
                "repeats": repeats,
                **{key: broken.get(key, 0) for key in FORM_KEYS},
                "cut_to_length": cut,
                "spaces_trimmed": sum(trimmed),
                "emptied": 0 if allow_empty else _warn_emptied(texts, preproc, col),
                "few_words": _warn_few_words(replacer, preproc, col, avoid is not None, len(rows)),
                "mislabelled": _warn_mislabelled(texts, found, f"{preproc.table}.{col}"),
                "relabelled": relabelled,
            }
            if cut:
                log.warning(
                    "%s.%s: %d of %d texts were still longer than %d characters (the longest training text and a margin "
                    "for how few were seen, or the column's declared SQL length) after %d resamplings and were cut to "
                    "it, at a space where there is one",
                    preproc.table,
                    col,
                    cut,
                    len(rows),
                    cut_limit,
                    COPY_RETRIES,
                )
            if truncated:
                log.warning(
                    "%s.%s: %d of %d texts reached max_text_len=%d tokens without their end and were cut at their "
                    "last whole character; raise max_text_len (or train longer) if this is more than a few",
                    preproc.table,
                    col,
                    truncated,
                    len(rows),
                    sampler.limit,
                )
            values = np.full(len(df), None, dtype=object)
            values[rows] = texts
            values[empty] = ""
            if stats.parent_copy:
                values[copied] = copied_texts
                model.last_generation[col]["copied_from_parent"] = len(copied)
            if stats.derived:
                values[derived] = derived_texts
                model.last_generation[col]["derived_from_row"] = len(derived)
            if stats.number_of:  # a lab value's text: its row's number as written
                model.last_generation[col]["numbers_written"] = write_numbers(values, df, stats.number_of)
            if stats.label_list:  # a movie's genres, 'Action|Comedy': labels kept, each once, in order
                model.last_generation[col]["label_lists_written"] = write_label_lists(values, stats.label_list)
            if stats.embedded:  # a title's year: its row's year column
                model.last_generation[col]["numbers_embedded"] = write_embedded(values, df, stats.embedded)
            if stats.document_numbers:  # a payment event's amount: its order's total
                written = write_document_numbers(values, preproc.number_frame(data), stats.document_numbers)
                model.last_generation[col]["document_numbers_written"] = written
            out[col] = pd.array(values, dtype="string")
            if any(col in preproc.earlier_texts(c) for c in preproc.text_columns):
                written[col] = encoded_texts(preproc, pd.Series(values, dtype=object), col, copies_of)
    finally:
        model.train(was_training)
    return _with_texts(data, preproc, out)


def _warn_mislabelled(texts: list[str], rows: list[RowWords], where: str) -> int:
    """How many texts still name a text the data gives another label than their row's (`_labelled_texts`: a
    city of another country), with a warning where any does."""
    left = sum(t in r.barred for t, r in zip(texts, rows, strict=True))
    if left:
        log.warning(
            "%s: %d of %d texts still name a text the data gives only other labels than their row's (a city of "
            "another country) after %d resamplings (counted in last_generation[column]['mislabelled']); train longer",
            where,
            left,
            len(texts),
            COPY_RETRIES,
        )
    return left


def _warn_emptied(texts: list[str], preproc, col: str) -> int:
    """How many of `texts`, sampled never empty, came out blank, with a warning where any did: every
    word written was one fewer than `word_k` entities use and the vocabulary held no word of its shape
    to put in its place (`RareWordReplacer`), as in a table of a few rows whose every name is its own
    (a league's 8 teams: every team name and city written ""), which no other check reports."""
    emptied = sum(not t.strip() for t in texts)
    if emptied:
        log.warning(
            "%s.%s: %d of %d generated texts are empty (the data's are not): their words are each used by fewer "
            "than word_k=%d root entities (%d word tokens in the vocabulary), so they were left out with nothing "
            "of their shape to replace them; fit on more rows, or give the column another kind (a lookup table, "
            "an identifier) in the schema",
            preproc.table,
            col,
            emptied,
            len(texts),
            preproc.config.word_k,
            len(preproc.config.words),
        )
    return emptied


def _warn_few_words(replacer: RareWordReplacer | None, preproc, col: str, given_training: bool, n_texts: int) -> int:
    """How many spelled words were replaced by one of the fewer than MIN_SHAPE_WORDS vocabulary words of their
    case (every department's name "CC"), with a warning where they are FEW_WORDS_WARN_SHARE of the texts or
    more and no new spelling could be made (one training word of that case to join), or, without `avoid`
    (none asked for), where they are also half the spelled words or more (not Chinook's few lower-case
    words in artist names)."""
    if replacer is None or not replacer.thin_replaced:
        return 0
    if replacer.thin_replaced < FEW_WORDS_WARN_SHARE * n_texts:  # Chinook's 4 track-name words of 2,600 texts
        return replacer.thin_replaced
    if not given_training and replacer.thin_replaced * 2 < replacer.spelled:  # a few words of a rare case
        return replacer.thin_replaced
    why = (
        "no new word could be spelt from the column's few training words of their case"
        if given_training
        else "without the training data (avoid=) a spelled word cannot be told new, so none is kept"
    )
    log.warning(
        "%s.%s: %d of %d spelled words were written as one of the few vocabulary words of their case (%d word "
        "tokens in all: each word must be used by word_k=%d root entities), so the texts repeat those few words: %s; "
        "fit on more rows, or give the column another kind (a categorical, a lookup table) in the schema",
        preproc.table,
        col,
        replacer.thin_replaced,
        replacer.thin,
        len(preproc.config.words),
        preproc.config.word_k,
        why,
    )
    return replacer.thin_replaced


def _empty_rows(
    stats: TextColumnStats, df: pd.DataFrame, rows: np.ndarray, kinds: dict, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Of the rows given a text, those whose text is "" (at the rate rows like it hold one, `stats.empty_by`) and
    those whose text is sampled, never empty; older saves (no `empty_by`): none, the model decides."""
    if stats.empty_by is None or stats.empty_rate <= 0:
        return rows[:0], rows
    empty = rng.random(len(rows)) < row_null_rates(stats.empty_by, df.iloc[rows], kinds, stats.empty_rate)
    return rows[empty], rows[~empty]


def escape_documents(texts: list[str], share: float, rng: np.random.Generator, limit: int | None) -> list[str]:
    """The JSON documents `texts`, `share` of them (among those holding a non-ASCII letter or symbol) with
    those characters written as \\u escapes, as the column's source wrote that share; a document the
    escapes would make longer than `limit` characters (a declared SQL length) stays plain."""
    out = []
    for text in texts:
        if rng.random() < share:
            written = escaped(text)
            text = written if limit is None or len(written) <= limit else text
        out.append(text)
    return out


def length_limits(stats: TextColumnStats, declared: int | None) -> tuple[int | None, int | None]:
    """(sampled again above, cut above) in characters: a text longer than the longest training text is
    sampled again; one still longer after the resamplings is kept whole up to a margin past it, then cut.
    The longest of n texts seen is one a new text passes about once in n + 1, so with few seen (19 users'
    names, the longest 11 characters) it is a poor cap, and cutting a name there leaves a first name alone
    ('Pia'); the margin, `longest / sqrt(n)`, shrinks to nothing as texts grow many. The column's declared
    SQL length caps both."""
    seen = stats.n_rows * (1.0 - stats.null_rate)
    margin = round(stats.max_chars / math.sqrt(seen)) if stats.max_chars and seen >= 1 else 0
    return _length_limit(stats.max_chars, declared), _length_limit(stats.max_chars + margin, declared)


def _length_limit(longest: int, declared: int | None) -> int | None:
    """The most characters a generated text may hold: the longest training text (a longer one reads
    as made up; 0: not known, a preproc saved before) and the column's declared SQL length."""
    limits = [n for n in (longest, declared) if n]
    return min(limits) if limits else None


def declared_length(data: RelationalData, table: str, col: str) -> int | None:
    """The most characters the source's SQL type allows the column (VARCHAR(n), CHAR(n)), if any."""
    length = data.formats.get(table, {}).get(col, {}).get("sql", {}).get("length")
    return int(length) if length else None


def cut_to_length(texts: list[str], length: int | None) -> tuple[list[str], int]:
    """(texts, how many were cut): each text longer than `length` characters (the longest training
    text, the column's declared SQL length) cut to fit, at its last space within the length where
    it has one (no half word)."""
    if length is None:
        return texts, 0
    out, cut = [], 0
    for text in texts:
        if len(text) > length:
            cut += 1
            head = text[: length + 1]
            space = head.rstrip().rfind(" ") if head[length] != " " else length
            text = (head[:space] if space > 0 else head[: _grapheme_start(text, length)]).rstrip()
        out.append(text)
    return out, cut


_ZWJ = "\u200d"


def _attached(c: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a variation selector, a
    skin tone, a tag (flag sequences)."""
    o = ord(c)
    return is_mark(c) or 0xFE00 <= o <= 0xFE0F or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F


def _grapheme_start(text: str, i: int) -> int:
    """The cut at or before `i` that splits no character as a reader sees it: not before a mark or
    modifier (an e without its accent), not after a joiner (a family emoji is cut to its first
    person, without a dangling U+200D), not between a flag's two regional indicators."""
    while 0 < i < len(text) and (_attached(text[i]) or text[i - 1] == _ZWJ):
        i -= 1
    run = 0  # regional indicators just before the cut: an odd run splits a flag
    while i - run > 0 and 0x1F1E6 <= ord(text[i - run - 1]) <= 0x1F1FF:
        run += 1
    return i - 1 if run % 2 and i < len(text) and 0x1F1E6 <= ord(text[i]) <= 0x1F1FF else i


@dataclass(frozen=True)
class RowWords:
    """What a text may repeat of its row: the context string and the copy words (parent's text)."""

    context: str
    copies: list[str]
    barred: frozenset[str] = frozenset()  # texts that decide another label than the row's (`_labelled_texts`)


def _replacer(
    preproc, replace: TextColumnStats | None, numbers: bool = False, spellings: NewSpellings | None = None
) -> RareWordReplacer | None:
    """The replacer of a column's spelled words where `replace` (its statistics: spell_words="replace") or its
    spelled `numbers` (word tokens only: letters come from word tokens, digits may be spelled, so a phone or
    account number one entity wrote is not replayed) are replaced; None where nothing is (no word tokens by
    choice, `word_k=0`); with `word_k` >= 2 and none kept, every spelled word is left out, never written as
    spelled. `spellings` keeps new spelled words where too few words of their case could replace them."""
    if not preproc.config.word_k or (replace is None and not numbers):
        return None
    pairs, share = (replace.word_pairs, replace.pair_share) if replace is not None else (None, 0.0)
    return RareWordReplacer(
        preproc.config.words, pairs, share, numbers=preproc.config.text_numbers, spellings=spellings
    )


def _new_spellings(avoid: RelationalData | None, preproc: TextPreproc, col: str) -> NewSpellings | None:
    """What tells a spelled word of `col` new (`NewSpellings`): the words of `avoid`'s texts (every text column
    of every table) that the vocabulary lacks, and those of `col`'s to join; None without `avoid`."""
    if not isinstance(avoid, RelationalData) or not preproc.config.word_k:  # a wrong type: `_values` says so
        return None

    def words(values: pd.Series) -> list[str]:  # as often as written
        return [p.lstrip(" ") for v in values.dropna().astype(str) for p in WORD_PIECE.findall(v)]

    texts = {
        (table, c): frame[c]
        for table, frame in avoid.data.items()
        if table in avoid.schema.tables
        for c in avoid.schema.tables[table].text_columns
        if c in frame.columns
    }
    known = {w.lstrip(" ") for w in preproc.config.words}
    column = words(texts[(preproc.table, col)]) if (preproc.table, col) in texts else []

    def lacking() -> set[str]:  # every text of the database tokenised: only where a spelled word is checked
        return {w for values in texts.values() for w in words(values)} - known

    return NewSpellings(column, lacking, preproc.config.words)


def _decoder(
    preproc,
    replacer: RareWordReplacer | None,
    rng: np.random.Generator,
    breaks: list[str] | None = None,
    spacing: Spacing | None = None,
    trimmed: list[int] | None = None,
):
    """(token ids, their rows' words) -> texts, copy tokens written as the row's copy words, and
    spelled words replaced by word tokens of their shape by `replacer` (`_replacer`: where the column
    spells and replaces, or spells numbers only; None: nothing replaced), a word of the row's context
    staying (see _rare_words). Unpaired bidi controls and the broken parts of emoji sequences are dropped
    (`paired_bidi`, `whole_emoji`), and line breaks the column never wrote are written as its own (`breaks`: `kept_breaks`), and leading, trailing or doubled
    spaces it never shows are trimmed (`spacing`: `_spaces`; how many texts of each call, appended to `trimmed`),
    before the texts are checked for being a training value. `avoid` (texts sampled again for being a training value): a replacement that
    writes one of them is drawn again, up to `REPLACE_RETRIES` times (a spelled one-word album title
    replaced by a word of its shape that is itself one album's whole title)."""

    def replaced(text: str, row: RowWords, avoid: set[str] | frozenset[str]) -> str:
        # a copy word stays as the context's do: a parent's code (`copy_codes`) is in no context string
        given = " ".join([row.context, *row.copies])
        out, n = replacer(text, rng, given)
        for _ in range(REPLACE_RETRIES if n else 0):  # nothing replaced: the same text at every draw
            if out not in avoid and out not in row.barred:
                break
            out = replacer(text, rng, given)[0]
        return out

    def decode(ids: list[list[int]], rows: list[RowWords], avoid: set[str] | frozenset[str] = frozenset()) -> list[str]:
        texts = preproc.decode_batch(ids, [r.copies for r in rows])
        if replacer is not None:
            texts = [replaced(t, r, avoid) for t, r in zip(texts, rows, strict=True)]
        # bidi controls paired and emoji sequences made whole before texts are checked: a character dropped
        # later could leave a copy or a repeat
        texts = [whole_emoji(paired_bidi(kept_breaks(t, breaks or []))) for t in texts]
        if spacing is None:
            return texts
        kept = [spacing.kept(t) for t in texts]
        if trimmed is not None:
            trimmed.append(sum(a != b for a, b in zip(texts, kept, strict=True)))
        return kept

    return decode


COPY_RETRIES = 5  # rounds of resampling the texts that equal a value to avoid
MAX_SWAP_TRIES = 200  # rows tried for a text still repeating one of its group, to trade places with
REPLACE_RETRIES = 16  # draws of a resampled text's replacement words while they write a value to avoid


def _values(avoid: RelationalData | None, preproc: TextPreproc, col: str) -> set[str]:
    """The texts of `col` in `avoid` that fewer than `word_k` root entities hold (every text
    without word tokens, `word_k=0`): a text one artist's track has would name that record, while
    one many entities share ("Intro", a templated comment) is not a record's and reads as real;
    avoiding those too pushed texts away from the common ones (2 % of synthetic bios equal to a
    training one, against 36 % of held-out ones)."""
    if avoid is None:
        return set()
    if not isinstance(avoid, RelationalData):
        raise TypeError(f"avoid must be a RelationalData (the training data), got {type(avoid).__name__}")
    table, k = preproc.table, preproc.config.word_k
    if table not in avoid.data or col not in avoid[table].columns:
        return set()
    values = preproc.modelled(avoid[table][col], col)  # as generated texts are compared (JSON without escapes)
    held = values.notna().to_numpy()
    if k < 2:
        return set(values[held].astype(str))
    entity = entity_ids(preproc.schema, avoid, table)
    holders = pd.Series(entity[held]).groupby(values[held].astype(str).to_numpy()).nunique()
    return set(holders.index[holders < k])


def _rare_glued_words(avoid: RelationalData | None, preproc: TextPreproc, col: str) -> frozenset[str]:
    """The glued words (`glued_words`: an e-mail address, an order number, `kruger7`) of `col` in `avoid` that
    fewer than `word_k` root entities write: each piece is a word token many entities use, so the model can
    write one customer's e-mail address whole, which the word tokens alone keep out of a single word."""
    k = preproc.config.word_k
    if avoid is None or k < 2 or preproc.table not in avoid.data or col not in avoid[preproc.table].columns:
        return frozenset()
    values = preproc.modelled(avoid[preproc.table][col], col)
    held = values.notna().to_numpy()
    entity = entity_ids(preproc.schema, avoid, preproc.table)[held]
    found = [(w, e) for v, e in zip(values[held].astype(str), entity, strict=True) for w in glued_words(v)]
    if not found:
        return frozenset()
    holders = pd.DataFrame(found, columns=["word", "entity"]).groupby("word")["entity"].nunique()
    return frozenset(holders.index[holders < k])


def _resample_unwanted(
    texts: list[str],
    cut: np.ndarray,
    prefixes,
    rows: list[RowWords],
    avoid: set[str],
    sampler,
    decode,
    batch_size: int,
    where: str = "text",
    max_chars: int | None = None,
    distinct: bool = False,
    rare: frozenset[str] = frozenset(),
    checks: Sequence[FormCheck] = (),
    groups: Sequence[Sequence[Hashable]] = (),
    rng: np.random.Generator | None = None,
    known: frozenset[str] = frozenset(),
) -> tuple[int, int, int]:
    """Sample again, in place, the texts found in `avoid` or holding a glued word of `rare` (one entity's
    e-mail address), longer than `max_chars`, where `distinct` (a column of codes, every value distinct at
    fit) equal to an earlier text, or to an earlier one of its group in one of `groups` (`unique_groups`), without a form every text of the column has at fit (`checks`: a JSON
    document, tags that nest, one of a few shapes), or flagged `cut` (they reached the token limit without
    their end: a run-on), and their flags `cut`; a text still repeating one of its group then trades places
    with another row's (`_swap_repeats`, given `rng` and the vocabulary `known`); returns how many copies, repeats and texts with rare
    words are left."""
    # where the model all but ends a text that spells a training value (after the word `Acústico`, an album
    # title's context put 97 % on `end`: at top_p 0.95 the nucleus held `end` alone), a retry that draws the
    # word writes the whole title again: retries may not end a text there
    spelt = frozenset(v.encode("utf-8").strip() for v in avoid if v.strip())  # "" is left to the empty share
    for _ in range(COPY_RETRIES):
        again = _unwanted(texts, avoid, max_chars, distinct, rare, checks, cut, groups, [r.barred for r in rows])
        if not again:
            return 0, 0, 0
        found = [rows[i] for i in again]
        ids = sampler.sample([prefixes[i] for i in again], batch_size or DEFAULT_BATCH, rows=found, avoid=spelt)
        new = decode(ids, found, avoid)
        for i, t, run_on in zip(again, new, sampler.cut, strict=True):
            # a run-on is kept over a redraw no better: one that runs on too, or breaks a rule (a copy, too
            # long: cut to length, it often reads as a training value again)
            if cut[i] and not _faulty(texts[i], avoid, max_chars, rare, checks) and texts[i] not in rows[i].barred:
                if run_on or _faulty(t, avoid, max_chars, rare, checks) or t in rows[i].barred:
                    continue
            texts[i], cut[i] = t, run_on
    if rng is not None:
        _swap_repeats(texts, cut, rows, groups, rng, known)
    if numbered := _number_repeats(texts, groups, avoid, max_chars):
        log.warning(
            "%s: %d of %d texts still repeated another of their UNIQUE group after %d resamplings and trades of "
            "place; each got a number ('name 2') so that the database they are written to takes them; train longer",
            where,
            numbered,
            len(texts),
            COPY_RETRIES,
        )
    left = sum(t in avoid for t in texts)
    rare_left = sum(_holds_rare(t, rare) for t in texts)
    repeats = len(_repeats(texts, distinct, groups))
    if left:
        log.warning(
            "%s: %d of %d texts still equal a value of that column in the data to avoid after %d resamplings "
            "(counted in last_generation[column]['copies'])",
            where,
            left,
            len(texts),
            COPY_RETRIES,
        )
    if rare_left:
        log.warning(
            "%s: %d of %d texts still write a string of the data to avoid (an e-mail address, a code) that fewer than "
            "word_k entities write, after %d resamplings (counted in last_generation[column]['rare_words'])",
            where,
            rare_left,
            len(texts),
            COPY_RETRIES,
        )
    if repeats:
        log.warning(
            "%s: every value of the column is distinct in the data (or within the column sets declared UNIQUE), "
            "but %d of %d generated texts still repeat another after %d resamplings (counted in "
            "last_generation[column]['repeats']); train longer",
            where,
            repeats,
            len(texts),
            COPY_RETRIES,
        )
    return left, repeats, rare_left


def _holds_rare(text: str, rare: frozenset[str]) -> bool:
    return bool(rare) and any(w in rare for w in glued_words(text))


@dataclass(frozen=True)
class FormCheck:
    """A form every text of a column has in the data: a generated text without it (`broken`) is sampled
    again (`_resample_unwanted`), and those still without it are counted in `last_generation[column][key]`
    and logged: the data's texts are `fact`, the generated ones left `fault`."""

    key: str
    broken: Callable[[str], bool]
    fact: str
    fault: str


FORM_KEYS = ("invalid_json", "unbalanced_markup", "off_shape")  # every column's counts: 0 where no check applies


def form_checks(stats: TextColumnStats) -> list[FormCheck]:
    """The forms the column's texts all have at fit: JSON documents (`stats.json`), markup whose tags nest
    (`stats.markup`, `_markup`), a few fixed shapes (`stats.shapes`, `_shapes`: phone numbers declared text).
    An empty text is left to the column's empty share."""
    checks = []
    if stats.json:
        checks.append(
            FormCheck(
                "invalid_json",
                lambda t: t != "" and not is_document(t),
                "every value of the column is a JSON object or array in the data",
                "do not parse as one",
            )
        )
    if stats.markup:
        checks.append(
            FormCheck(
                "unbalanced_markup",
                lambda t: not balanced(t),
                "the column's texts are markup whose tags nest in the data",
                "leave a tag open or close one not open",
            )
        )
    if stats.shapes:
        shapes = frozenset(stats.shapes)
        checks.append(
            FormCheck(
                "off_shape",
                lambda t: t != "" and shape(t) not in shapes,
                f"nearly every text of the column has one of {len(shapes)} shapes in the data "
                f"({', '.join(sorted(shapes)[:3])})",
                "have another",
            )
        )
    return checks


def _left_broken(texts: list[str], check: FormCheck, where: str) -> int:
    """How many texts lack the `check`'s form (still, after resampling, or cut to length), logged."""
    left = sum(map(check.broken, texts))
    if left:
        log.warning(
            "%s: %s, but %d of %d generated texts %s after %d resamplings (counted in last_generation[column][%r]); "
            "train longer",
            where,
            check.fact,
            left,
            len(texts),
            check.fault,
            COPY_RETRIES,
            check.key,
        )
    return left


def _unwanted(
    texts: list[str],
    avoid: set[str],
    max_chars: int | None,
    distinct: bool,
    rare: frozenset[str] = frozenset(),
    checks: Sequence[FormCheck] = (),
    cut: np.ndarray | None = None,
    groups: Sequence[Sequence[Hashable]] = (),
    barred: Sequence[frozenset[str]] = (),
) -> list[int]:
    """Positions of the texts to sample again: in `avoid` or in their row's `barred` (a city of another
    country than the row's: `_labelled_texts`), holding a glued word of `rare`, too long,
    (`distinct`) a repeat of an earlier one, without a form of `checks` (`form_checks`), or `cut` at the
    token limit: mostly a text whose `end` a value to avoid banned (`Sampler.sample(avoid=...)`), which then
    ran on ('Vertex Inc - new deal Ltd'); another draw may end on a text of its own."""
    repeated = set(_repeats(texts, distinct, groups))
    out = []
    for i, t in enumerate(texts):
        run_on = cut is not None and bool(cut[i])
        wrong_label = bool(barred) and t in barred[i]
        if _faulty(t, avoid, max_chars, rare, checks) or i in repeated or run_on or wrong_label:
            out.append(i)
    return out


def _repeats(texts: list[str], distinct: bool, groups: Sequence[Sequence[Hashable]]) -> list[int]:
    """Positions of the texts equal to an earlier one (`distinct`), or to an earlier one of the same group
    in one of `groups` (each text's group: a repository's owner, where (owner_id, name) is declared UNIQUE)."""
    keyed = [[None] * len(texts)] if distinct else []
    seen: list[set] = [set() for _ in [*keyed, *groups]]
    out = []
    for i, t in enumerate(texts):
        keys = [(g[i], t) for g in [*keyed, *groups]]
        if any(k in s for k, s in zip(keys, seen, strict=True)):
            out.append(i)
        for k, s in zip(keys, seen, strict=True):
            s.add(k)
    return out


def _swap_repeats(
    texts: list[str],
    cut: np.ndarray,
    rows: list[RowWords],
    groups: Sequence[Sequence[Hashable]],
    rng: np.random.Generator,
    known: set[str] | frozenset[str] = frozenset(),
) -> int:
    """Swap, in place, each text repeating one of its group in `groups` with the text of another row (up to
    `MAX_SWAP_TRIES` drawn at random) where neither then repeats one of its new group's, neither row copying
    words of its own (`RowWords.copies`), and each new row's context holds the words its text spelled from
    its old row's (`context_spelled`, `known`: the vocabulary; empty: every context word a text holds):
    the texts stay those drawn, only their rows change. Resampling alone left 37 of 221 repository names
    repeated under their owner, the few names of a large owner's model all drawn; a name moved to another
    owner is one that owner lacks, but "alice-site" moved to carol's row names the wrong owner. Returns the
    swaps made."""
    if not groups:
        return 0
    held = [Counter(zip(g, texts, strict=True)) for g in groups]
    spelled: dict[tuple[str, str], frozenset[str]] = {}  # (text, context) -> its words spelled from the context

    def fits(a: int, b: int) -> bool:  # row a's text may move to row b
        key = (texts[a], rows[a].context)
        if key not in spelled:
            spelled[key] = context_spelled(*key, known)
        return not spelled[key] or spelled[key] <= context_words(rows[b].context)

    swaps = 0
    for i in _repeats(texts, False, groups):
        if rows[i].copies or all(h[(g[i], texts[i])] < 2 for g, h in zip(groups, held, strict=True)):
            continue  # copying its row's words, or freed by an earlier swap
        tried = rng.choice(len(texts), size=min(len(texts), MAX_SWAP_TRIES), replace=False)  # no permutation of all
        for j in tried:
            if texts[j] == texts[i] or rows[j].copies or not (fits(i, int(j)) and fits(int(j), i)):
                continue
            if _swapped_apart(texts, groups, held, i, int(j)):
                texts[i], texts[j] = texts[j], texts[i]
                cut[i], cut[j] = cut[j], cut[i]
                swaps += 1
                break
    return swaps


def _swapped_apart(texts: list[str], groups, held: list[Counter], i: int, j: int) -> bool:
    """Whether rows `i` and `j`, their texts swapped, each hold a text no other row of its group holds, in
    every grouping where their groups differ (within one group a swap changes nothing): if so the counts
    `held` are updated for the swap."""
    t, u = texts[i], texts[j]
    moved = [(g, h) for g, h in zip(groups, held, strict=True) if g[i] != g[j]]
    if not moved or any(h[(g[i], u)] > 0 or h[(g[j], t)] > 0 for g, h in moved):
        return False
    for g, h in moved:
        h[(g[i], t)] -= 1
        h[(g[j], u)] -= 1
        h[(g[i], u)] += 1
        h[(g[j], t)] += 1
    return True


def _number_repeats(
    texts: list[str], groups: Sequence[Sequence[Hashable]], avoid: set[str], max_chars: int | None
) -> int:
    """Give, in place, each text still repeating an earlier one of its group in `groups` the first number from
    2 that no text of its groups holds ('fast-parser' -> 'fast-parser-2', after the text's own separator: a
    space, '-' or '_', else none), cutting the text where the number would pass `max_chars`: a declared
    UNIQUE (owner_id, name) that a few repeats break makes the database refuse the whole write. Returns how
    many were numbered."""
    if not groups:
        return 0
    held = [set(zip(g, texts, strict=True)) for g in groups]
    repeated = _repeats(texts, False, groups)
    for i in repeated:
        sep = next((c for c in " -_" if c in texts[i]), "")
        for n in itertools.count(2):
            suffix = f"{sep}{n}"
            base = texts[i] if max_chars is None else texts[i][: max(max_chars - len(suffix), 1)]
            text = base.rstrip() + suffix
            if text not in avoid and all((g[i], text) not in h for g, h in zip(groups, held, strict=True)):
                break
        texts[i] = text
        for g, h in zip(groups, held, strict=True):
            h.add((g[i], text))
    return len(repeated)


def unique_groups(
    schema: Schema, table: str, col: str, frame: pd.DataFrame, under: str | None = None
) -> list[list[Hashable]]:
    """Per set of columns the schema declares UNIQUE holding `col` (`Table.unique`: a repository's (owner_id,
    name)), each row of `frame`'s group: its values of the set's other columns, where each is held in every row
    (a text column not yet written is not); a set of `col` alone, one group. The tabular model keeps such sets
    (`rules/unique_sets`) but leaves the text columns, written later, to the text model. `under`: the parent key
    under which the fit found the values never repeat (`ColumnStats.unique_under`), a set declared or not."""
    out = []
    for unique in [*schema.tables[table].unique, *([(under, col)] if under is not None else [])]:
        others = [c for c in unique if c != col]
        if col not in unique or any(c not in frame.columns or frame[c].isna().any() for c in others):
            continue
        out.append(list(zip(*(frame[c].tolist() for c in others), strict=True)) if others else [()] * len(frame))
    return out


def _faulty(
    text: str, avoid: set[str], max_chars: int | None, rare: frozenset[str], checks: Sequence[FormCheck]
) -> bool:
    """Whether `text` alone is one to sample again (`_unwanted`, less repeats and run-ons)."""
    too_long = max_chars is not None and len(text) > max_chars
    return text in avoid or _holds_rare(text, rare) or too_long or any(c.broken(text) for c in checks)


class Sampler:
    """Samples the text tokens after each prompt (without `end`), valid UTF-8 by construction.

    `chars`: the control/format characters the column's texts held (any other is never written).
    `scripts`: the sets of scripts the column's texts write together (`_utf8.text_scripts`; None: any).
    `tokens`: the BPE and word tokens the column's texts are written with (empty: any); no other is
    drawn, so a text never holds a piece only the contexts use (a lab value `dL.28`, from `unit=mg/dL`,
    written by a briefly trained model in 17 of 1,781 rows).
    `cut` flags, per prompt of the last `sample`, the texts cut at `limit` tokens: those whose next
    token after `limit` was not `end` (a text of exactly `limit` tokens that ends there is whole).
    `sample(avoid=...)`: UTF-8 strings no text may end as (unless no other token may follow): `end` is
    banned wherever the bytes a text's tokens spell so far (copy tokens as their row's words), without the
    whitespace around them, are one."""

    def __init__(
        self,
        model,
        limit: int,
        temp: float,
        top_p: float,
        gen: torch.Generator,
        allow_empty: bool,
        chars: str = "",
        words_only: bool = False,
        lead_space: bool = True,
        tokens: Sequence[int] = (),
        scripts: list[list[str]] | None = None,
    ):
        self.model, self.limit, self.temp, self.top_p, self.gen = model, limit, temp, top_p, gen
        self.allow_empty = allow_empty
        self.cut: np.ndarray = np.zeros(0, dtype=bool)
        self.block = model.max_block_size
        self.device = model.embed.weight.device
        pre = model.preproc
        self.pad, self.end = pre.pad_id, pre.end_id
        unused = set(range(pre.copy_base)) - set(tokens) if len(tokens) else set()  # copy tokens: masked per row
        banned = (set(pre.special_ids) | unused) - {self.end}
        self.banned = torch.tensor(sorted(banned), dtype=torch.long, device=self.device)
        words = frozenset(range(pre.n_bpe, pre.vocab_size)) if words_only else None
        self.utf8 = Utf8Mask(
            pre.token_bytes(), chars, device=self.device, word_ids=words, scripts=scripts, script_free=pre.copy_base
        )
        spaced = [i for i, b in enumerate(pre.token_bytes()) if b[:1].isspace()]
        self.first_banned = torch.tensor([] if lead_space else spaced, dtype=torch.long, device=self.device)
        n_copy = pre.vocab_size - pre.copy_base
        self.copy_ids = torch.arange(pre.copy_base, pre.vocab_size, device=self.device)
        self.copy_slot = torch.arange(n_copy, device=self.device) // 2
        self.n_copies: np.ndarray = np.zeros(0, dtype=np.int64)  # per prompt of the batch: its copy words
        self.state: np.ndarray = np.zeros(0, dtype=np.int64)  # per prompt of the batch: pending UTF-8 state
        self.whole: np.ndarray = np.zeros(0, dtype=np.int64)  # per prompt: text tokens up to its last whole char
        self.token_bytes = pre.token_bytes()
        self.avoid: frozenset[bytes] = frozenset()  # texts not to end as (`sample`)
        self.copies: list[list[str]] = []  # per prompt of the batch: its copy words (spelt only under `avoid`)
        self.spelt: list[bytearray] = []  # per prompt of the batch: the bytes its text spells (only under `avoid`)

    def sample(
        self,
        prompts: list[list[int]],
        batch_size: int,
        desc: str = "",
        rows: list[RowWords] | None = None,
        avoid: frozenset[bytes] = frozenset(),
    ) -> list[list[int]]:
        """The text tokens after each prompt; `rows[i].copies`: the copy words prompt i may write; `avoid`:
        the UTF-8 texts none may end as (while another token may follow)."""
        prompts = self._fitted(prompts, desc)
        self.avoid = avoid
        order = np.argsort([len(p) for p in prompts], kind="stable")  # similar lengths share a batch
        out: list[list[int]] = [[] for _ in prompts]
        self.cut = np.zeros(len(prompts), dtype=bool)
        batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
        bar = progress(len(prompts), desc or "text", "texts")  # a bar on a terminal, else log lines
        n_copies = np.array([len(r.copies) for r in rows] if rows is not None else [0] * len(prompts), dtype=np.int64)
        for idx in batches:
            self.n_copies = n_copies[idx]
            self.copies = [rows[i].copies for i in idx] if rows is not None else [[] for _ in idx]
            texts, cut = self._batch([prompts[i] for i in idx])
            for i, text in zip(idx, texts, strict=True):
                out[i] = text
            self.cut[idx] = cut
            bar.update(len(idx))
        bar.close()
        return out

    def _fitted(self, prompts: list[list[int]], desc: str) -> list[list[int]]:
        """The prompts, each cut to leave a quarter of the block (or the text limit) for its text:
        a synthetic row's context can outgrow every training one (its parent's generated text is
        longer), and failing here would lose a whole run after training. `[bos]` stays; the
        context's first fields go (its last ones and the column marker are nearest the text)."""
        keep = self.block - max(1, min(self.limit, self.block // 4))
        cut = [len(p) for p in prompts if len(p) > keep]
        if not cut:
            return prompts
        log.warning(
            "%s: %d context(s) of up to %d tokens were cut to their last %d tokens to leave room for the text in the "
            "model's block_size=%d (their first fields are not seen); a larger block_size when building the model "
            "avoids it",
            desc or "text",
            len(cut),
            max(cut),
            keep,
            self.block,
        )
        return [p if len(p) <= keep else [p[0], *p[len(p) - keep + 1 :]] for p in prompts]

    def _batch(self, prompts: list[list[int]]) -> tuple[list[list[int]], np.ndarray]:
        """The texts of these prompts, and which were cut at the limit."""
        texts: list[list[int]] = [[] for _ in prompts]
        self.state = np.zeros(len(prompts), dtype=np.int64)
        self.whole = np.zeros(len(prompts), dtype=np.int64)
        self.spelt = [bytearray() for _ in prompts]
        cut = np.zeros(len(prompts), dtype=bool)
        active = np.arange(len(prompts))
        while len(active):
            active = self._run(prompts, texts, cut, active)
        return texts, cut

    def _run(self, prompts, texts, cut: np.ndarray, active: np.ndarray) -> np.ndarray:
        """Encode the active rows' windows, then sample until they finish or one row's window is full.

        Returns the rows still unfinished."""
        windows = [prompts[b] + _tail(texts[b], self._keep(len(prompts[b]))) for b in active]
        lengths = np.array([len(w) for w in windows])
        x, valid = left_pad(windows, self.pad)
        P = x.shape[1]
        room = int((self.block - lengths).min())  # tokens that can be fed before some row is full
        room = min(room, self.limit - min(len(texts[b]) for b in active))  # fed: a row's last token, then its end
        cfg = self.model.transformer.cfg
        cache = KVCache(cfg, len(active), P + room, device=self.device)
        pos = torch.arange(P, device=self.device).expand(len(active), P)
        logits = self._logits(x.to(self.device), pos, cache, valid.to(self.device))
        rows = active  # the batch row of each cache row; finished ones stay (fed padding) until compaction
        live = np.ones(len(rows), dtype=bool)
        fed = 0
        while True:
            r_live = np.flatnonzero(live)
            act = rows[r_live]
            first = torch.tensor([not texts[b] for b in act], device=self.device)
            live_logits = logits[torch.from_numpy(r_live).to(self.device)]
            no_end = self._spells_avoided(act, texts) if self.avoid else None
            tok = self._pick(live_logits, first, self.state[act], self.n_copies[act], no_end).cpu().numpy()
            done = tok == self.end
            self.state[act] = self.utf8.advance(self.state[act], tok)
            for r, b in enumerate(act):
                if done[r]:
                    del texts[b][self.whole[b] :]  # a dead end (see _pick) ends at the last whole character
                elif len(texts[b]) >= self.limit:  # `limit` tokens written, and the next one is no `end`: cut
                    done[r] = cut[b] = True
                    del texts[b][self.whole[b] :]  # never a split character
                else:
                    texts[b].append(int(tok[r]))
                    if self.avoid:
                        self.spelt[b] += self._bytes(b, int(tok[r]))
                    if not self.utf8.states[self.state[b]][0]:
                        self.whole[b] = len(texts[b])
            live[r_live[done]] = False
            if not live.any() or fed == room:  # all done, or a row's window is full: re-encode from the context
                return rows[live]
            feed = np.full(len(rows), self.pad, dtype=np.int64)
            feed[r_live[~done]] = tok[~done]
            if live.sum() < 0.75 * len(rows):  # compact the cache once a quarter of its rows finished
                keep = np.flatnonzero(live)
                cache.keep(torch.from_numpy(keep).to(self.device))
                rows, live, feed = rows[keep], live[keep], feed[keep]
            pos = torch.full((len(rows),), cache.length, device=self.device)
            h = self.model.transformer.step(self.model.embed.weight[torch.from_numpy(feed).to(self.device)], pos, cache)
            logits = self.model.head(h).float()  # (A, V)
            fed += 1

    def _bytes(self, b: int, tok: int) -> bytes:
        """What token `tok` writes in batch row `b`'s text (a copy token: its row's word, as `decode`)."""
        if tok < self.model.preproc.copy_base:
            return self.token_bytes[tok]
        slot, spaced = divmod(tok - self.model.preproc.copy_base, 2)
        words = self.copies[b]
        return ((" " if spaced else "") + words[slot]).encode("utf-8") if slot < len(words) else b""

    def _spells_avoided(self, act: np.ndarray, texts: list[list[int]]) -> torch.Tensor:
        """Per row of `act`: whether its text so far spells a text to avoid (so `end` may not come next),
        short of the limit (a text there can only end, or be cut as it is)."""
        # spaces around it too ("Gold " reads as "Gold"): the end of a text to avoid is then a word or mark away
        spells = [len(texts[b]) < self.limit and bytes(self.spelt[b].strip()) in self.avoid for b in act]
        return torch.tensor(spells, dtype=torch.bool, device=self.device)

    def _keep(self, prefix_len: int) -> int:
        """Text tokens kept when a window slides: those a later training window scores after."""
        room = self.block - prefix_len + 1
        return room - max(1, room // 2)

    def _logits(self, x, pos, cache, valid):
        h = self.model.transformer(
            self.model.embed_input(x), pos, cache=cache, valid=valid, last_only=True
        )  # (A, 1, d)
        return self.model.head(h[:, -1]).float()  # (A, V)

    def _pick(
        self,
        logits: torch.Tensor,
        first: torch.Tensor,
        state: np.ndarray,
        n_copies: np.ndarray,
        no_end: torch.Tensor | None = None,
    ) -> torch.Tensor:
        logits = logits.clone()
        logits[:, self.banned] = -torch.inf
        if len(self.copy_ids):  # a copy token only where the row has that copy word
            absent = self.copy_slot[None, :] >= torch.from_numpy(n_copies).to(self.device)[:, None]
            logits[:, self.copy_ids] = logits[:, self.copy_ids].masked_fill(absent, -torch.inf)
        logits.masked_fill_(self.utf8.banned(state), -torch.inf)
        pending = torch.from_numpy(self.utf8.pending(state)).to(self.device)
        logits[pending, self.end] = -torch.inf  # end only after a whole character
        if len(self.first_banned):  # the column's texts never start with whitespace
            rows = torch.nonzero(first).flatten()
            logits[rows[:, None], self.first_banned[None, :]] = -torch.inf
        if not self.allow_empty:
            logits[first, self.end] = -torch.inf
        if no_end is not None:  # a text to avoid: only where nothing else may follow (below)
            logits[no_end, self.end] = -torch.inf
        dead = logits.amax(-1) == -torch.inf
        if dead.any():  # no token may follow (the masks should prevent it): end the text rather than fail
            logits[dead, self.end] = 0.0
        return sample_tokens(logits, self.gen, temp=self.temp, top_p=self.top_p)


def _tail(tokens: list[int], n: int) -> list[int]:
    return tokens[max(0, len(tokens) - n) :] if n > 0 else []


def check_generate_args(batch_size: int, max_text_len: int, temp: float, top_p: float, spell_words=AUTO) -> None:
    """What `TextModel.generate` refuses among its options."""
    if not isinstance(spell_words, bool) and spell_words not in (REPLACE, AUTO):
        raise TypeError(f"spell_words must be True, False, {REPLACE!r} or {AUTO!r}, got {spell_words!r}")
    for name, value in (("batch_size", batch_size), ("max_text_len", max_text_len)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0 (0: automatic), got {value!r}")
    if isinstance(temp, bool) or not isinstance(temp, int | float | np.number) or not np.isfinite(temp) or temp < 0:
        raise ValueError(f"temp must be a finite number >= 0 (0: greedy), got {temp!r}")
    if isinstance(top_p, bool) or not isinstance(top_p, int | float | np.number) or not 0.0 < top_p <= 1.0:
        raise ValueError(f"top_p must be a number in (0, 1], got {top_p!r}")  # nan fails the comparison too


def _with_texts(data: RelationalData, preproc, df: pd.DataFrame) -> RelationalData:
    """A new RelationalData with `df` as the preproc's table, its schema gaining any absent text column."""
    table = preproc.table
    own = data.schema.tables[table].columns if table in data.schema.tables else {}
    known = preproc.schema.tables[table].columns
    order = [c for c in known if c in own or c in preproc.text_columns] + [c for c in own if c not in known]
    columns = {c: own.get(c, known[c] if c in known else Text()) for c in order}
    tables = dict(data.schema.tables)
    tables[table] = tables[table].with_columns(columns) if table in tables else Table(columns=columns)
    schema = Schema(tables=tables, lookups=data.schema.lookups)
    frames = dict(data.data)
    frames[table] = df[order].reset_index(drop=True)
    with generated_data():  # the schema's warnings were said when the source was read
        return RelationalData(frames, schema, formats=data.formats, partial=data.partial)  # the source's spellings

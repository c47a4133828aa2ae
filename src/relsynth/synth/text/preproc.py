"""TextPreproc: the tokenizer of one table's text columns and the context each text is written in.

A text is conditioned on a short *context* string made of its row's tabular values and its
parent row's values (the parent's text columns included), then the non-text values of the tables above
the parent (a message's customer's language), e.g.
`genre=Rock; milliseconds=340000; album.title=For Those About To Rock; artist.country=UK`. Numbers are rounded to
`digits` significant digits so they tokenise short; a foreign key to a lookup table shows the
lookup's first non-key value that names its row (the genre's name) instead of its key, or its first
non-key value and the key where none does (a question's type: `likert 3`).

Tokens: *words* first, then a byte-level BPE fallback. A string is cut into pieces (a word with
its leading space, a number, a run of punctuation, whitespace); a piece that occurs in at least
`word_k` distinct root entities (an artist with its albums and tracks) is one token of its own,
so a model writes real words and recombines them, while a word only one entity uses is never a
token (the protection rare categories have) and is spelt from sub-word pieces of at most
`max_subword_chars` characters. The BPE (`tokenizers`) is trained on the texts *and* the
contexts, and every string round-trips exactly (any unicode: bytes are the alphabet).

*Copy tokens*: a text often repeats its parent's text (the album "Led Zeppelin IV" of the artist
"Led Zeppelin"), and such words are mostly rare, so without help the model could only spell them.
The first `copy_slots` distinct words of the parent row's text columns are the row's *copy
words*; a rare piece of a text that is one of them is encoded as `<copy:i>` (`<copy: i>` with its
leading space), the i-th copy word. The model learns where texts repeat their parent, not the
words; generation writes the copy words of the row it fills, never a training text's word.
With `copy_codes`, the parent's identifier columns (`Column.IDENTIFIER`: an account's domain
`acme.com`) give copy words too, after its text's: a contact's e-mail `anna.lee@acme.com` repeats
them, and since an identifier is no context field (its generated codes are fresh) a copy is the only
way a text can write them. Such a word is copied even where it is a word token (`com`, or `acme`
where several accounts' domains hold it): the text repeats its parent's code, not a common word.
A text column of a table further up (`ancestors`) whose words the texts repeat far more often than
chance (`COPY_LIFT`; an agent's "Hi Anna," naming the ticket's customer, two tables up) gives copy
words too, first (a greeting's name is always `<copy:0>`) and copied even where they are word tokens:
its text is no context field, so without them a message could only name some customer.
Where a table has several text columns, a text sees its row's texts written before it (`row_texts`, the shortest
column first: a post's tags, title, body; see `TextDataset`), and an earlier column whose words it repeats far more
often than chance (`ROW_COPY_LIFT`; a title's language, its first tag) gives its first copy words (`row_copies`),
judged without the common words ("the", an email's "com": `ROW_COMMON_SHARE`) that do not beat chance themselves,
and those it repeats no more than chance are no copy words (`row_copy_skip`: a title's "How").

*Field tokens*: a context field's value that at least `FIELD_MIN_ROWS` (2) rows hold (`genre=Rock`,
`unit_price=0.99`) is read as one input-only token of its own, label included, instead of its label
and the value's pieces: a Chinook track name's context falls from 32.5 to 17.0 tokens, and a table of
100 columns fits a block of 256. A value one row held, and a parent's text (its words may be
copied), are spelt as before. Field tokens have ids from `vocab_size` on: the model reads them and
never writes one, so unlike a word token a rare value does not need `word_k` entities.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from relsynth.relational import Column, RelationalData, Schema
from relsynth.relational.copies import COPIED_KINDS
from relsynth.relational.numbers import to_numbers
from relsynth.synth.core.files import LoadError, atomic_dir, config_from_dict, fingerprint, read_config, write_config
from relsynth.synth.text._breaks import line_breaks
from relsynth.synth.text._derived_texts import derived_last, fit_derived_texts
from relsynth.synth.text._first_rows import FIRST_LABEL, first_rows, first_value, texts_tell_first
from relsynth.synth.text._json import all_documents, document_numbers, escaped_share, unescaped
from relsynth.synth.text._labelled_texts import fit_labelled_texts
from relsynth.synth.text._lists import label_list
from relsynth.synth.text._markup import is_markup
from relsynth.synth.text._nulls import null_by
from relsynth.synth.text._numbers import number_embedded, number_written
from relsynth.synth.text._shapes import text_shapes
from relsynth.synth.text._spaces import doubles_space, ends_on_space
from relsynth.synth.text._utf8 import HAN, text_scripts, unusual_chars
from relsynth.synth.text._whole_copies import fit_parent_copy, parent_frame

log = logging.getLogger(__name__)

PAD, BOS, END = "<pad>", "<bos>", "<end>"
NULL_VALUE = "?"  # how a missing context value is written
CONFIG_FILE, TOKENIZER_FILE, KIND = "preproc.json", "tokenizer.json", "TextPreproc"
WORD_PREFIX = "<w>"  # how a word token is named in `vocab()` (apart from BPE token strings)
MAX_WORD_PAIRS = 20_000  # word pairs kept per column (the most widely used first)
RARE_WORDS_REPLACE = 0.5  # a column whose fitted words are at least this share spelled (rare) is one whose spelled
#                           words generation replaces (spell_words="auto"); only such columns record word pairs
MIN_COPY_RATE = 0.05  # copy tokens only where at least this share of a column's texts repeats its parent:
# Chinook album titles 0.18 (titles sharing an artist word 0.03 -> 0.16, real 0.26, on the Kedro job); track
# names 0.04, where they cost more than they bring (genre accuracy 0.32 -> 0.28, word pairs 0.23 -> 0.19, 3 seeds)
FIELD_MIN_ROWS = 2  # a context value this many rows hold is a field token (input only: no entity count needed)
MAX_FIELD_VALUES = 1000  # field tokens of one context field at most (the values most entities hold first)
ROW_COPY_LIFT = 2.0  # an earlier text of the row gives a text copy words where the text repeats one of its words
#                      this many times as often as beside another row's (posts: tags -> title 7.6, tags -> body 7.0,
#                      title -> body 3.6); within a row chance is high, few labels share the rows (4: 4.0)
ROW_COMMON_SHARE = 0.1  # a word in this share of the rows of either text is common: judged on its own (its lift),
#                      with the rare words only where its lift is ROW_COPY_LIFT (a tag's "css"; title -> body 1.6 with
#                      "a", "the", "How", 3.6 without; email -> website 1.3 with "com", 14.8 without)
ROW_WORD_LIFT = 1.25  # a common word is a copy word only where its text repeats it this many times as often as chance:
#                      a word in every row of the source repeats exactly as often (a title's "How", "in": 0, 1.0; an
#                      email's "com" 1.0), one the row tells more (a title's "the", in its body: 1.47, a tag's "python"
#                      1.47) keeps its slot: skipping a tag shifts the next ones' copy slots ("import <copy:0>")
ROW_WORD_MIN_ROWS = 5  # rows a common word must be repeated in, at least, to beat chance (a few rows prove nothing)
ROW_TEXT_TOKENS = 32  # tokens of each earlier text of its row a text sees at most (tags whole, a title's start)
UNIQUE_MIN_ROWS = 20  # values a column holds, at least, for "every value distinct" to say it is a column of codes
MIN_CHANCE_REPEATS = 5.0  # pairs of siblings drawing one value that chance expects, at least, for siblings that never
#                           do to say the column is unique under its parent (a repository's name, per owner)
COPY_LIFT = 5.0  # an ancestor's text column gives copy words where its rows' texts repeat one of its words this many
# times as often as texts paired with other rows' values do (a support database's agent greetings: 0.38 of the
# messages name their customer, 0.01 another's); a column of common words (a description) repeats as often by chance
LABEL_KINDS = (Column.CATEGORICAL, Column.BOOLEAN)  # the columns that may decide a whole copy (a ship country)
COPY_BYTES = (b"Aa", b" Aa")  # what the UTF-8 mask sees a copy token write: a word (a letter last), spaced or not


def _mark_class() -> str:
    """A regex class body of the combining marks (Unicode category M*: accents written apart, Indic vowel
    signs, Arabic and Hebrew points, variation selectors), which `\\w` leaves out, in planes 0, 1 and 14."""
    runs, start = [], None
    for c in [*range(0x20000), *range(0xE0000, 0xE1000), 0x110000]:
        mark = c < 0x110000 and unicodedata.category(chr(c))[0] == "M"
        if mark and start is None:
            start = c
        elif not mark and start is not None:
            runs.append(f"{re.escape(chr(start))}-{re.escape(chr(c - 1))}")
            start = None
    return "".join(runs)


# Pieces a string is cut into: an English contraction ('s, 't, ...), a word, a number or a run of
# punctuation (each with one leading space), or whitespace. Word tokens are pieces; the BPE fallback spells the others.
# A word is letters with their combining marks: without them, दिल्ली (Devanagari), e + U+0301 (decomposed é) or
# Arabic with its vowel points fell apart into single letters and marks, each a word token every entity uses.
# A Han character (Chinese, Japanese kanji) is a word of its own, as in BERT's tokenizer: those texts have no spaces,
# so a whole phrase was one word that no two entities shared, and a Chinese column had no word to write.
MARKS = _mark_class()
WORD_PIECE = re.compile(rf" ?[{HAN}][{MARKS}]*| ?[^\W\d_{HAN}](?:[^\W\d_{HAN}]|[{MARKS}])*| ?\d+")  # a word or a number
PIECES = re.compile(r"'(?:s|t|d|m|ll|ve|re)(?![^\W\d_])|" + WORD_PIECE.pattern + r"| ?(?:[^\w\s]|_)+|\s+(?!\S)|\s+")


class CodeWord(str):
    """A copy word copied even where it is a word token: from the parent's identifier columns (`copy_codes`), from
    an ancestor's text column the texts repeat (`ancestor_copies`), or from an earlier text of the row (`row_copies`)."""

    __slots__ = ()


def column_marker(column: str) -> str:
    """The special token that announces the text of `column`."""
    return f"<col:{column}>"


@dataclass
class TextColumnStats:
    """What `fit` saw in one text column."""

    n_rows: int = 0  # rows of the table
    null_rate: float = 0.0  # share of null values (generation writes nulls at this rate)
    null_by: list = field(default_factory=list)  # [column, [[value, null rate], ...]]: the rate per value of the
    #                      row's column that best tells which texts are null (`_nulls`); [] (older saves): null_rate
    empty_rate: float = 0.0  # share of empty strings among non-null values (0: never generate "")
    empty_by: list | None = None  # as null_by, for the empty strings among the non-null values: generation writes ""
    #                      at those rates and samples the other texts never empty; None (older saves): the model decides
    max_tokens: int = 0  # longest text in tokens (without markers): the default generation limit
    max_chars: int = 0  # longest text in characters: a longer one is sampled again, then cut (0: saved before)
    mean_tokens: float = 0.0  # mean text length in tokens
    chars: str = ""  # control/format/private characters (or U+FFFD) the texts hold: only these may be generated
    lead_space_rate: float = 0.0  # share of texts starting with whitespace (0: a text never starts with one)
    end_space: bool = True  # some text ends with whitespace (False: generation trims it, `_spaces`); True in older
    #                         saves
    double_space: bool = True  # some text holds two whitespace characters in a row, no line break (False: generation
    #                            writes such a run as its first character); True in older saves
    rare_word_rate: float = 0.0  # share of the letter/number pieces that are no word token (spelled)
    copy_rate: float = 0.0  # share of the texts repeating a rare word of their parent's text (a copy token)
    word_pairs: dict[str, int] = field(default_factory=dict)  # "a b": adjacent lower-cased words used by >= word_k
    #                      entities, and by how many (the MAX_WORD_PAIRS most used); what replaced words may pair into.
    #                      Recorded where rare_word_rate >= RARE_WORDS_REPLACE (the columns auto replaces), else empty
    unique: bool = (
        False  # every value distinct (at least UNIQUE_MIN_ROWS of them: codes, identifiers): so are the generated
    )
    unique_under: str | None = None  # the parent key under which no two values repeat at fit where chance would have
    #                     repeated MIN_CHANCE_REPEATS pairs (a repository's name, per owner): nor do the generated ones
    json: bool = False  # every non-empty value a JSON object or array: a generated text that does not parse is
    #                     sampled again (False in older saves)
    json_escapes: float | None = None  # (JSON columns) share of the documents holding a non-ASCII letter or symbol that
    #                     write it as a \\u escape: the model writes them plainly (`_json.unescaped`) and generation
    #                     escapes that share again; None (older saves): the documents are modelled as written
    markup: bool = False  # HTML or XML whose tags nest (`_markup`): a generated text whose tags do not is sampled
    #                       again (False in older saves)
    shapes: list[str] = field(default_factory=list)  # the few shapes (digits 9, letters a / A) nearly every text has
    #                      (`_shapes`: phone numbers declared text): a generated text of another is sampled again; []
    #                      (any other column, or older saves): any
    tokens: list[int] = field(default_factory=list)  # the BPE and word tokens the texts are written with: only these
    #                      are generated (not a context's `test_code=` or `mg`); [] (older saves): any
    number_of: str | None = None  # the number of its row the text writes wherever the row holds it (`_numbers`)
    label_list: dict | None = None  # {"separator", "joiner", "labels", "distinct", "sorted"}: texts that list labels
    #                   ('Action|Comedy'), rewritten so by generation (`_lists.label_list`); None: none
    embedded: dict | None = None  # {"column", "at", "end"}: the number of its row the text holds among its words (a
    #                   title's year, 'Heat (1995)'), written in by generation (`_numbers.number_embedded`); None: none
    document_numbers: list = field(default_factory=list)  # [[key, column]]: a JSON key whose number is the row's
    #                      (or its parent's, `parent.column`) number column in every document (`_json`)
    breaks: list[str] = field(default_factory=list)  # runs of whitespace holding a line break the texts use, most
    #                      used first ("\n\n"): a generated run that is none of them is written as the first; [] (no
    #                      break, or older saves): left as written
    scripts: list[list[str]] = field(default_factory=list)  # the sets of scripts (LATIN, ARABIC, CJK, ...) the
    #                      texts write together, widest only (`_utf8.text_scripts`): a generated text's letters keep to
    #                      one of them, so no Arabic review takes a Hebrew word; [] (older saves): any
    parent_copy: dict | None = None  # {"column", "share", "by", "shares"}: the parent row's text column the texts
    #                      repeat whole in that share of the rows (`_whole_copies`: a ship address, the customer's),
    #                      which generation copies from the generated parent; None (no such column, or older saves)
    labelled_texts: list = field(default_factory=list)  # [[label column, {text: [labels]}]]: the texts >= word_k
    #                      entities hold and the labels of the row's column they decide (`_labelled_texts`: a city,
    #                      its country), given by >= word_k entities; generation writes none beside another label
    #                      ([]: none decides one, or older saves)
    derived: dict | None = None  # {"pieces", "slots", "share"}: the template of the row's other values writing the
    #                      texts in that share of the rows (`_derived_texts`: a full name, its first and last names),
    #                      which generation writes from the row's generated values; None (none, or older saves)
    pair_share: float = 0.0  # share of the texts' adjacent word pairs that are word_pairs >= word_k other entities also
    #                      use: how often an unseen real text's pairs are word_pairs (leaving one entity out); the rate
    #                      replaced words aim at


@dataclass
class TextPreprocConfig:
    table: str  # the table whose text columns are modelled
    schema: dict  # the schema as `Schema.to_dict()` (context columns, parent, lookups)
    vocab_size: int = 512  # BPE vocabulary size, special tokens and the 256 bytes included (words come on top)
    min_frequency: int = 2  # a pair must occur this often to be merged (unique strings stay split)
    digits: int = 2  # significant digits of numbers in the context
    max_value_chars: int = 48  # a context value is cut to this many characters
    word_k: int = 2  # a piece is a word token only if this many distinct root entities use it; 0: no words
    max_words: int = 4096  # word tokens at most (the most widely used first)
    max_subword_chars: int = 4  # longest BPE token (characters): rare words are spelt, never one token
    copy_slots: int = 0  # copy tokens: the parent's first text words a text may repeat (0: none, in older
    #                      saves, and after fit where fewer than MIN_COPY_RATE of the texts repeat their parent)
    copy_codes: bool = False  # the parent's identifier columns give copy words too (copied even where a word token);
    #                           False in older saves: its text columns alone
    ancestor_copies: list[str] = field(default_factory=list)  # "table.column" of the text columns above the parent
    #                      whose words are copy words (first), set by fit (COPY_LIFT); [] in older saves: none
    ancestors: bool = False  # the context also shows the non-text values of the parent's ancestors (a message's
    #                          customer's language, two tables up); False in older saves: own and parent's only
    words: list[str] = field(default_factory=list)  # the word tokens, set by fit
    text_numbers: list[str] | None = None  # the number words the texts use (>= word_k entities), set by fit: what
    #                      a spelled number may be replaced by (context numbers are rounded, 5900: not text numbers);
    #                      None in older saves: every number word
    stats: dict[str, TextColumnStats] = field(default_factory=dict)  # per text column, set by fit
    lookup_keys: bool = False  # a lookup named by no column of its own shows its key too (`likert 3`); False in
    #                            older saves: their first column alone, as their model was trained on
    field_tokens: bool = False  # a context value FIELD_MIN_ROWS rows hold is one token (False in older saves)
    first_rows: bool = False  # the context shows whether the row is its parent's first (`_first_rows`), set by fit
    #                           where the texts tell them apart; False in older saves
    field_values: list[list[str]] = field(default_factory=list)  # [label, value] of each field token, set by fit
    row_texts: list[str] = field(default_factory=list)  # the order a row's text columns are written in, each seeing
    #                      the ones before it (`earlier_texts`), set by fit where the table has several, the shortest
    #                      first; [] in older saves and for one text column: each text sees the context alone
    row_copies: dict[str, list[str]] = field(default_factory=dict)  # per text column, the earlier ones of its row
    #                      whose words are its first copy words (ROW_COPY_LIFT: a title's language, its first tag), set
    #                      by fit; {} in older saves: the parent's words alone
    row_copy_skip: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # per text column and column of
    #                      row_copies, its common words (ROW_COMMON_SHARE, vocabulary words) the text does not repeat
    #                      more than chance (ROW_WORD_LIFT: "How", "com"): never its copy words; {} in older saves:
    #                      every word copied


class TextPreproc:
    """Tokenizer and context serialiser for the text columns of one table.

    `TextPreproc.from_schema_table(schema, "album").fit(data)`; then `contexts(data)`,
    `encode(texts)`, `decode(ids)`, `save(path)` / `TextPreproc.load(path)`.
    """

    def __init__(self, config: TextPreprocConfig, tokenizer: Tokenizer | None = None):
        self.config = config
        self.schema = Schema.from_dict(config.schema)
        self.tokenizer = tokenizer
        self._reset_tables()

    def _reset_tables(self) -> None:
        """Forget the derived lookup tables (after the tokenizer or the words changed)."""
        self._piece_ids: dict[str, list[int]] = {}  # encoding cache: piece -> token ids
        self._bytes: list[bytes] | None = None
        self._word_ids = {w: i for i, w in enumerate(self.config.words)}
        self._label_re: re.Pattern | None = None
        starts = {label: start for (label, _, _), start in zip(self.context_columns(), self.field_labels, strict=True)}
        self._field_ids = {  # (field label token, value) -> field token id
            (starts[label], value): self.vocab_size + i
            for i, (label, value) in enumerate(self.config.field_values)
            if label in starts and self.config.field_tokens and self.is_fitted
        }

    # ---- construction ----------------------------------------------------------------------
    @classmethod
    def from_schema_table(
        cls,
        schema: Schema,
        table: str,
        *,
        vocab_size: int = 512,
        min_frequency: int = 2,
        digits: int = 2,
        max_value_chars: int = 48,
        word_k: int = 2,
        max_words: int = 4096,
        max_subword_chars: int = 4,
        copy_slots: int = 8,
        copy_codes: bool = True,
        ancestors: bool = True,
        field_tokens: bool = True,
    ) -> TextPreproc:
        """An unfitted preprocessor for the text columns of `table`; call `fit(data)` next.

        `vocab_size` is the BPE part; `word_k` (>= 2, or 0 for no word tokens) the number of
        distinct root entities a word must occur in to become a token, `max_words` the most word
        tokens, `max_subword_chars` the longest BPE token, `copy_slots` how many of the parent's
        text words a text may repeat through copy tokens (0: none; see the module docstring), `copy_codes`
        whether the parent's identifier columns give copy words too (an e-mail's domain), `ancestors`
        whether a context shows the non-text values of the tables above the parent too (a message's
        customer's language, the grandparent's: without it a message never sees it), `field_tokens` whether a
        context value that several rows hold is read as one token (see the module docstring)."""
        if table not in schema.tables:
            raise ValueError(f"table {table!r} is not in the schema; tables: {list(schema.tables)}")
        if table in schema.lookups:
            raise ValueError(f"table {table!r} is a lookup table (copied, not synthesised): it has no text to model")
        if not schema.tables[table].text_columns:
            raise ValueError(
                f"table {table!r} has no text column; its columns are {list(schema.tables[table].columns)} "
                "(declare free-text columns as `text` in the schema)"
            )
        n_special = 3 + len(schema.tables[table].text_columns)
        if vocab_size < 256 + n_special:
            raise ValueError(
                f"vocab_size must be at least {256 + n_special} (256 bytes + special tokens), got {vocab_size}"
            )
        if digits < 1 or max_value_chars < 1:
            raise ValueError(f"digits and max_value_chars must be >= 1, got {digits} and {max_value_chars}")
        if word_k == 1 or word_k < 0 or max_words < 0 or max_subword_chars < 1:
            raise ValueError(
                f"word_k must be 0 (no word tokens) or >= 2 (a word one entity uses is never a token), max_words >= 0 "
                f"and max_subword_chars >= 1; got word_k={word_k}, max_words={max_words}, "
                f"max_subword_chars={max_subword_chars}"
            )
        if isinstance(copy_slots, bool) or not isinstance(copy_slots, int) or not 0 <= copy_slots <= 64:
            raise ValueError(f"copy_slots must be an integer from 0 to 64, got {copy_slots!r}")
        config = TextPreprocConfig(
            table=table,
            schema=schema.to_dict(),
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            digits=digits,
            max_value_chars=max_value_chars,
            word_k=word_k,
            max_words=max_words,
            max_subword_chars=max_subword_chars,
            copy_slots=copy_slots,
            copy_codes=bool(copy_codes),
            ancestors=bool(ancestors),
            lookup_keys=True,
            field_tokens=bool(field_tokens),
        )
        return cls(config)

    @property
    def table(self) -> str:
        return self.config.table

    @property
    def text_columns(self) -> list[str]:
        return self.schema.tables[self.table].text_columns

    @property
    def field_labels(self) -> list[str]:
        """How each context field starts ("genre=", "; milliseconds="): one special token each."""
        return [f"{label}=" if i == 0 else f"; {label}=" for i, (label, _, _) in enumerate(self.context_columns())]

    @property
    def special_tokens(self) -> list[str]:
        return [PAD, BOS, END, *(column_marker(c) for c in self.text_columns), *self.field_labels]

    @property
    def is_fitted(self) -> bool:
        return self.tokenizer is not None

    def fit(self, data: RelationalData) -> TextPreproc:
        """Train the tokenizer on the table's texts and contexts and record per-column statistics."""
        df = self._table_frame(data)
        missing = [c for c in self.text_columns if c not in df.columns]
        if missing:
            raise ValueError(f"table {self.table!r} of the data has no text column(s) {missing} to fit on")
        self.config.first_rows = self._texts_tell_first(df)  # before the contexts: a field of theirs
        documents = [c for c in self.text_columns if all_documents(_text_values(df[c]))]
        escapes = {c: escaped_share(_text_values(df[c])) for c in documents}
        # JSON documents as the model writes them: escaped non-ASCII characters written plainly
        df = df.assign(**{c: df[c].map(unescaped, na_action="ignore") for c in documents})
        texts = {c: _text_values(df[c]) for c in self.text_columns}
        fields = self._context_values(data)
        contexts = self._joined(fields, len(df))
        corpus = [t for values in texts.values() for t in values if t] + list(contexts)
        if not corpus:
            raise ValueError(f"table {self.table!r} has no text and no context to train a tokenizer on")
        self.tokenizer = self._train_tokenizer(corpus)
        entity = entity_ids(self.schema, data, self.table) if self.config.word_k else None
        self.config.words, self.config.text_numbers = self._fit_words(df, contexts, entity)
        self.config.field_values = self._fit_field_values(fields) if self.config.field_tokens else []
        self.config.ancestor_copies = self._fit_ancestor_copies(data) if self.config.copy_slots else []
        derived = fit_derived_texts(df, self.text_columns, self._derived_sources(df))
        self.config.row_texts = derived_last(self._row_order(texts), derived)  # a full name after its names
        self.config.row_copies, self.config.row_copy_skip = (
            self._fit_row_copies(df) if self.config.copy_slots else ({}, {})
        )
        copies = self.copy_words(data) if self._parent_copy_columns() or self.config.ancestor_copies else None
        if self.config.row_copies:
            rows = [[] for _ in range(len(df))] if copies is None else copies
            copies = {c: self.column_copies(c, rows, self.row_words(df)) for c in self.text_columns}
        self._reset_tables()
        if (
            entity is not None
            and not self.config.words
            and any(WORD_PIECE.search(t) for v in texts.values() for t in v)
        ):
            log.warning(
                "table %r: no word of its texts is used by word_k=%d distinct root entities, so it has no word tokens "
                "and its generated texts will hold no words (a rare word is never written); fit on more rows, or "
                "word_k=0 to let the model spell words (without that protection)",
                self.table,
                self.config.word_k,
            )
        for col, values in texts.items():
            encoded = self.encode(values)
            lengths = np.array([len(ids) for ids in encoded], dtype=np.int64)
            rare = self._rare_word_rate(values)
            replaced = entity is not None and rare >= RARE_WORDS_REPLACE  # generation swaps its spelled words
            self.config.stats[col] = TextColumnStats(
                n_rows=len(df),
                null_rate=float(df[col].isna().mean()) if len(df) else 0.0,
                null_by=null_by(df, self.null_columns(), df[col].isna().to_numpy()),
                empty_rate=float(np.mean([v == "" for v in values])) if values else 0.0,
                empty_by=_empty_by(df, col, self.null_columns()),
                max_tokens=int(lengths.max()) if len(lengths) else 0,
                max_chars=max((len(v) for v in values), default=0),
                mean_tokens=float(lengths.mean()) if len(lengths) else 0.0,
                chars=unusual_chars(values),
                scripts=text_scripts(values),
                breaks=line_breaks(values),
                tokens=sorted({int(i) for ids in encoded for i in ids}),
                lead_space_rate=float(np.mean([v[:1].isspace() for v in values])) if values else 0.0,
                end_space=ends_on_space(values),
                double_space=doubles_space(values),
                rare_word_rate=rare,
                copy_rate=self._copy_rate(df[col], copies[col] if isinstance(copies, dict) else copies),
                unique=(unique := len(values) >= UNIQUE_MIN_ROWS and len(set(values)) == len(values)),
                unique_under=None if unique else self._unique_under(df, col),
                json=(json_docs := col in escapes),
                json_escapes=escapes.get(col),
                markup=is_markup(values),
                shapes=text_shapes(values),
                number_of=number_written(df, col, self.null_columns()),
                embedded=number_embedded(df, col, self.null_columns()),
                label_list=label_list(values),
                document_numbers=document_numbers(df[col].tolist(), self.number_frame(data)) if json_docs else [],
                parent_copy=self._fit_parent_copy(data, df[col]),
                derived=derived.get(col),
                labelled_texts=self._fit_labelled_texts(df, col, entity),
                **(word_pairs(df[col], entity, self.config.word_k) if replaced else {}),
            )
        if max((st.copy_rate for st in self.config.stats.values()), default=0.0) < MIN_COPY_RATE:
            self.config.copy_slots = 0  # texts (almost) never repeat their parent: no copy tokens
            self.config.row_copies, self.config.row_copy_skip = {}, {}
            self._reset_tables()
        log.info(
            "text preproc for %r: vocabulary %d (%d words), %d field tokens, stats %s",
            self.table,
            self.vocab_size,
            len(self.config.words),
            self.n_field_values,
            {
                c: {**asdict(st), "word_pairs": len(st.word_pairs), "tokens": len(st.tokens)}
                for c, st in self.config.stats.items()
            },
        )
        return self

    def _row_order(self, texts: dict[str, list[str]]) -> list[str]:
        """The text columns in the order a row's texts are written, the shortest (mean characters) first, ties in
        schema order; [] for one column. A short text seen whole tells a long one most (a post's tags, then its
        title, then its body that names them), while a long text cut to its start would tell a short one little."""
        if len(texts) < 2:
            return []
        return sorted(texts, key=lambda c: np.mean([len(t) for t in texts[c]]) if texts[c] else 0.0)  # stable

    def row_words(self, df: pd.DataFrame, columns: list[str] | None = None) -> dict[str, list[list[str]]]:
        """Per text column of `df` (default: all; as the model writes them, `modelled`), each row's distinct words
        (letters or digits, without their leading space): what `column_copies` reads."""
        out = {}
        for c in self.text_columns if columns is None else columns:
            values = self.modelled(df[c], c)
            out[c] = [
                list(dict.fromkeys(p.lstrip(" ") for p in WORD_PIECE.findall(v))) if isinstance(v, str) else []
                for v in values
            ]
        return out

    def _fit_row_copies(self, df: pd.DataFrame) -> tuple[dict[str, list[str]], dict[str, dict[str, list[str]]]]:
        """Per text column, the earlier ones of its row (`row_texts`) whose words its texts repeat in at least
        MIN_COPY_RATE of the rows and ROW_COPY_LIFT times as often as beside another row's (a title ends in its first
        tag's language), and per such pair the earlier column's common words not copied (ROW_WORD_LIFT). The repeats
        are counted without the common words under ROW_COPY_LIFT (`common_word_lifts`): a title's "a" in its body, an
        email's "com" in a website, in (nearly) every row, hid the rare words a body or website does repeat."""
        words = self.row_words(df)
        vocabulary = {w.lstrip(" ") for w in self.config.words}
        out: dict[str, list[str]] = {}
        skips: dict[str, dict[str, list[str]]] = {}
        for col in self.config.row_texts:
            for before in self.earlier_texts(col):
                held = [r for r in range(len(df)) if words[col][r] and words[before][r]]
                if not held:
                    continue
                other = np.random.default_rng(0).permutation(held)  # chance: each text beside another row's words
                mine = [set(words[col][r]) for r in held]
                source = [words[before][r] for r in held]
                lifts = common_word_lifts(source, mine, vocabulary)
                weak = {w for w, lift in lifts.items() if lift < ROW_COPY_LIFT}  # its repeats tell little of the row
                rate = np.mean([any(w in m and w not in weak for w in s) for m, s in zip(mine, source, strict=True)])
                chance = np.mean(
                    [any(w in m and w not in weak for w in words[before][o]) for m, o in zip(mine, other, strict=True)]
                )
                if rate >= MIN_COPY_RATE and rate >= ROW_COPY_LIFT * chance:
                    out.setdefault(col, []).append(before)
                    if skip := sorted(w for w, lift in lifts.items() if lift < ROW_WORD_LIFT):
                        skips.setdefault(col, {})[before] = skip
        return out, skips

    def column_copies(self, column: str, copies: list[list[str]], words: dict[str, list[list[str]]]) -> list[list[str]]:
        """Per row, the copy words of a `column` text: the words of its row's earlier texts that it repeats
        (`row_copies`, from `words`: per column, each row's words, as `row_words`), then `copies` (the row's
        `copy_words`), the first `copy_slots` distinct; `copies` itself where the column copies none of its row."""
        earlier = self.earlier_texts(column)  # a text sees only those written before it
        sources = [c for c in self.config.row_copies.get(column, []) if c in earlier]
        if not sources:
            return copies
        skip = {c: set(self.config.row_copy_skip.get(column, {}).get(c, [])) for c in sources}  # "How", "com"
        out = []
        for r, given in enumerate(copies):
            # copied even where a word token: its row's own, but for common words it repeats no more than chance
            own = [CodeWord(w) for c in sources for w in words[c][r] if w not in skip[c]]
            out.append(list(dict.fromkeys([*own, *given]))[: self.config.copy_slots])
        return out

    def earlier_texts(self, column: str) -> list[str]:
        """The text columns of the row that `column`'s texts see, written before it (`row_texts`)."""
        order = self.config.row_texts
        return order[: order.index(column)] if column in order else []

    @property
    def text_order(self) -> list[str]:
        """The order generation writes a row's text columns in: `row_texts`, or the schema's (older saves)."""
        return list(self.config.row_texts) or self.text_columns

    def _fit_words(
        self, df: pd.DataFrame, contexts: list[str], entity: np.ndarray | None
    ) -> tuple[list[str], list[str]]:
        """Pieces of the texts and contexts used by >= word_k distinct root entities (the most used
        first), and the number pieces among them that the texts alone have that many users of."""
        k = self.config.word_k
        if entity is None or self.config.max_words == 0:
            return [], []
        users: dict[str, set] = defaultdict(set)
        in_texts: dict[str, set] = defaultdict(set)
        strings = [(df[c].to_numpy(dtype=object), False) for c in self.text_columns] + [(contexts, True)]
        for values, is_context in strings:
            for row, value in enumerate(values):
                if isinstance(value, str):
                    for piece in self._pieces(value, is_context):
                        if isinstance(piece, str):
                            users[piece].add(entity[row])
                            if not is_context and piece.lstrip(" ").isdigit():
                                in_texts[piece].add(entity[row])
        kept = [(len(e), w) for w, e in users.items() if len(e) >= k]
        kept.sort(key=lambda x: (-x[0], x[1]))
        words = [w for _, w in kept[: self.config.max_words]]
        return words, [w for w in words if len(in_texts.get(w, ())) >= k]

    def _fit_field_values(self, fields: list[np.ndarray]) -> list[list[str]]:
        """[label, value] of the context values that FIELD_MIN_ROWS rows hold, per field the most held
        first (at most MAX_FIELD_VALUES); a parent's text is left out (spelt: its words are the ones a
        text repeats)."""
        out: list[list[str]] = []
        for (label, table, col), values in zip(self.context_columns(), fields, strict=True):
            if table != self.table and col in self.schema.tables[table].text_columns:
                continue
            held = pd.Series(values, dtype=object).value_counts(sort=False).sort_index()
            held = held[held >= FIELD_MIN_ROWS].sort_values(ascending=False, kind="stable")
            out += [[label, str(v)] for v in held.index[:MAX_FIELD_VALUES]]
        return out

    def _train_tokenizer(self, corpus: list[str]) -> Tokenizer:
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=self.config.vocab_size,
            min_frequency=self.config.min_frequency,
            special_tokens=self.special_tokens,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            max_token_length=self.config.max_subword_chars,
            show_progress=False,
        )
        tokenizer.train_from_iterator(corpus, trainer, length=len(corpus))
        return tokenizer

    # ---- tokens ----------------------------------------------------------------------------
    def _require_fitted(self) -> Tokenizer:
        if self.tokenizer is None:
            raise RuntimeError("this TextPreproc is not fitted: call .fit(data) first (or TextPreproc.load(path))")
        return self.tokenizer

    @property
    def n_bpe(self) -> int:
        """Tokens of the BPE part (special tokens included); word tokens come after them."""
        return self._require_fitted().get_vocab_size()

    @property
    def vocab_size(self) -> int:
        return self.n_bpe + len(self.config.words) + 2 * self.config.copy_slots

    @property
    def n_field_values(self) -> int:
        """Field tokens (input only): ids vocab_size to vocab_size + n_field_values - 1."""
        return len(self.config.field_values) if self.config.field_tokens else 0

    @property
    def n_input_tokens(self) -> int:
        """Ids a sequence may hold: the vocabulary and the field tokens."""
        return self.vocab_size + self.n_field_values

    @property
    def copy_base(self) -> int:
        """Id of `<copy:0>`; `<copy:i>` is copy_base + 2i, `<copy: i>` (leading space) copy_base + 2i + 1."""
        return self.n_bpe + len(self.config.words)

    def token_id(self, token: str) -> int:
        tid = self._require_fitted().token_to_id(token)
        if tid is None:
            raise KeyError(f"token {token!r} is not in the vocabulary")
        return tid

    @property
    def pad_id(self) -> int:
        return self.token_id(PAD)

    @property
    def bos_id(self) -> int:
        return self.token_id(BOS)

    @property
    def end_id(self) -> int:
        return self.token_id(END)

    def column_id(self, column: str) -> int:
        if column not in self.text_columns:
            raise ValueError(f"{column!r} is not a text column of {self.table!r}; they are {self.text_columns}")
        return self.token_id(column_marker(column))

    @property
    def special_ids(self) -> list[int]:
        return [self.token_id(t) for t in self.special_tokens]

    def vocab(self) -> dict[str, int]:
        """Token string -> id (a word token is named `<w>` + the word)."""
        out = self._require_fitted().get_vocab(with_added_tokens=True)
        base, copy = self.n_bpe, self.copy_base
        copies = {f"<copy:{' ' * s}{i}>": copy + 2 * i + s for i in range(self.config.copy_slots) for s in (0, 1)}
        return out | {WORD_PREFIX + w: base + i for i, w in enumerate(self.config.words)} | copies

    def token_bytes(self) -> list[bytes]:
        """The bytes each token writes (b"" for special tokens)."""
        if self._bytes is None:
            tokenizer = self._require_fitted()
            special = set(self.special_tokens)
            bpe = [tokenizer.id_to_token(i) for i in range(self.n_bpe)]
            self._bytes = [b"" if t in special else bytes(_BYTE_OF[c] for c in t) for t in bpe]
            self._bytes += [w.encode("utf-8") for w in self.config.words]
            self._bytes += list(COPY_BYTES) * self.config.copy_slots
        return self._bytes

    def encode(self, texts: Iterable[str], copies: list[list[str]] | None = None) -> list[list[int]]:
        """Token ids of each text; a special token's spelling inside a text is encoded as plain bytes.

        `copies` (from `copy_words`, one list per text): a rare word of a text that is one of
        its copy words becomes that copy token."""
        return self._encode(texts, context=False, copies=copies)

    def copy_words(self, data: RelationalData) -> list[list[str]]:
        """Per row of the table: the first `copy_slots` distinct words (letters or digits, without
        their leading space) of its ancestors' copied text columns (`ancestor_copies`), then of its parent row's
        text columns, then (`copy_codes`) identifiers; [] for every row without them."""
        parents = self._parent_copy_words(data)
        if not self.config.copy_slots or not self.config.ancestor_copies:
            return parents
        above = self._ancestor_copy_words(data)
        return [list(dict.fromkeys([*a, *p]))[: self.config.copy_slots] for a, p in zip(above, parents, strict=True)]

    def _parent_copy_words(self, data: RelationalData) -> list[list[str]]:
        n = len(self._table_frame(data))
        edge, columns = self.schema.parent(self.table), self._parent_copy_columns()
        if not self.config.copy_slots or not columns or edge.parent not in data.data:
            return [[] for _ in range(n)]
        parent, rows = data[edge.parent], self._parent_rows(data)
        texts = [parent[c].to_numpy(dtype=object) if c in parent.columns else None for c in columns]
        words_of_parent = [self._parent_words([None if t is None else t[i] for t in texts]) for i in range(len(parent))]
        return [[] if pd.isna(r) else words_of_parent[int(r)] for r in rows]

    def _ancestor_copy_words(self, data: RelationalData, columns: list[str] | None = None) -> list[list[CodeWord]]:
        """Per row of the table: the distinct words of its ancestors' `columns` ("table.column", default
        `ancestor_copies`) as `CodeWord`s, in that order ([] where the table or its row is missing)."""
        n = len(self._table_frame(data))
        columns = self.config.ancestor_copies if columns is None else columns
        if not columns or any(c.partition(".")[0] not in data.data for c in columns):
            return [[] for _ in range(n)]  # the ancestors' text not generated yet: nothing to copy
        rows = self._ancestor_rows(data)
        out: list[dict[str, CodeWord]] = [{} for _ in range(n)]
        for name in columns:
            table, _, col = name.partition(".")
            if col not in data[table].columns:
                continue
            values = _take_float(data[table][col].to_numpy(dtype=object), rows[table])
            for words, v in zip(out, values, strict=True):
                if isinstance(v, str):
                    for piece in WORD_PIECE.findall(v):
                        words.setdefault(piece.lstrip(" "), CodeWord(piece.lstrip(" ")))
        return [list(w.values()) for w in out]

    def _texts_tell_first(self, df: pd.DataFrame) -> bool:
        """Whether the context should show a row's being its parent's first: its texts tell it (`_first_rows`)."""
        edge = self.schema.parent(self.table)
        if edge is None or edge.fk not in df.columns or FIRST_LABEL in df.columns:
            return False
        words = [
            {p.lstrip(" ") for c in self.text_columns if isinstance(v := row[c], str) for p in WORD_PIECE.findall(v)}
            for row in df[self.text_columns].to_dict("records")
        ]
        return texts_tell_first(words, first_rows(df[edge.fk]))

    def _fit_ancestor_copies(self, data: RelationalData) -> list[str]:
        """The text columns above the parent (`ancestors`) whose words the table's texts repeat in at least
        MIN_COPY_RATE of the rows and COPY_LIFT times as often as texts paired with other rows' values do."""
        candidates = [f"{t}.{c}" for t in self._ancestors()[1:] for c in self.schema.tables[t].text_columns]
        if not candidates:
            return []
        df = self._table_frame(data)
        texts = [
            {p.lstrip(" ") for c in self.text_columns if isinstance(v := row[c], str) for p in WORD_PIECE.findall(v)}
            for row in df[self.text_columns].to_dict("records")
        ]
        out = []
        for name in candidates:
            words = self._ancestor_copy_words(data, [name])
            held = [r for r in range(len(df)) if words[r] and texts[r]]
            if not held:
                continue
            other = np.random.default_rng(0).permutation(held)  # chance: each text beside another row's words
            rate = np.mean([any(w in texts[r] for w in words[r]) for r in held])
            chance = np.mean([any(w in texts[r] for w in words[o]) for r, o in zip(held, other, strict=True)])
            if rate >= MIN_COPY_RATE and rate >= COPY_LIFT * chance:
                out.append(name)
        return out

    def _fit_labelled_texts(self, df: pd.DataFrame, col: str, entity: np.ndarray | None) -> list[list]:
        """The row's labels (categories, flags) that `col`'s shared texts decide (`_labelled_texts`)."""
        if entity is None:  # no word tokens: no text is known shared
            return []
        labels = [c for c in self.schema.tables[self.table].cols_of(*LABEL_KINDS) if c in df.columns]
        return fit_labelled_texts(
            df[col].reset_index(drop=True), df[labels].reset_index(drop=True), entity, self.config.word_k
        )

    def _derived_sources(self, df: pd.DataFrame) -> list[str]:
        """The columns of the row a text may be built from (`_derived_texts`): its texts, labels, codes and keys,
        each written before the texts at generation (the texts in `text_order`)."""
        t = self.schema.tables[self.table]
        kinds = (Column.TEXT, Column.CATEGORICAL, Column.IDENTIFIER, Column.PRIMARY_KEY, Column.FOREIGN_KEY)
        return [c for c in t.cols_of(*kinds) if c in df.columns]

    def _fit_parent_copy(self, data: RelationalData, values: pd.Series) -> dict | None:
        """How the column's `values` repeat a text or code (`COPIED_KINDS`) of their parent row whole
        (`_whole_copies`), or None."""
        edge = self.schema.parent(self.table)
        if edge is None or not (sources := self.schema.tables[edge.parent].cols_of(*COPIED_KINDS)):
            return None
        row, parent = self.copy_frames(data)
        return fit_parent_copy(values.reset_index(drop=True), row, parent, sources)

    def copy_frames(self, data: RelationalData) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The table's labels (categorical or boolean columns) a whole copy may be decided by, and beside each row
        its parent row's texts, codes and labels (missing where it has none), both indexed 0..n-1."""
        df, edge = self._table_frame(data), self.schema.parent(self.table)
        parent = data[edge.parent]
        mine = [c for c in self.schema.tables[self.table].cols_of(*LABEL_KINDS) if c in df.columns]
        theirs = [c for c in self.schema.tables[edge.parent].cols_of(*COPIED_KINDS, *LABEL_KINDS) if c in parent]
        return df[mine].reset_index(drop=True), parent_frame(parent[theirs], self._parent_rows(data))

    def _parent_rows(self, data: RelationalData) -> np.ndarray:
        """Per row of the table: its parent row's position in the parent table (NaN: none)."""
        df, edge = self._table_frame(data), self.schema.parent(self.table)
        if edge.fk not in df.columns:
            raise ValueError(f"table {self.table!r} of the data has no parent key column {edge.fk!r}")
        parent = data[edge.parent]
        pos = pd.Series(np.arange(len(parent)), index=parent[self.schema.tables[edge.parent].primary_key].to_numpy())
        return df[edge.fk].map(pos).to_numpy()

    def _ancestor_rows(self, data: RelationalData) -> dict[str, np.ndarray]:
        """Per context table above this one: each row's position in it (NaN: no such row)."""
        out: dict[str, np.ndarray] = {}
        table, rows = self.table, np.arange(len(self._table_frame(data)), dtype=np.float64)
        for above in self._ancestors():
            edge = self.schema.parent(table)
            if above not in data.data:
                raise ValueError(
                    f"the data has no table {above!r}, whose values the {self.table!r} texts are written with"
                )
            child = data[table]
            if edge.fk not in child.columns:
                raise ValueError(f"table {table!r} of the data has no parent key column {edge.fk!r}")
            key = data[above][self.schema.tables[above].primary_key].to_numpy()
            where = pd.Series(np.arange(len(key), dtype=np.float64), index=key)
            rows = _take_float(child[edge.fk].to_numpy(dtype=object), rows).map(where).to_numpy(dtype=np.float64)
            out[above], table = rows, above
        return out

    def _parent_copy_columns(self) -> list[str]:
        """The parent's columns whose words are copy words: its text columns, then (`copy_codes`) its identifiers."""
        edge = self.schema.parent(self.table)
        if edge is None:
            return []
        parent = self.schema.tables[edge.parent]
        codes = [c for c, k in parent.columns.items() if k.kind is Column.IDENTIFIER] if self.config.copy_codes else []
        return parent.text_columns + codes

    def _parent_words(self, values: list) -> list[str]:
        """The first `copy_slots` distinct words of a parent row's `_parent_copy_columns` values (in that order),
        those first found in an identifier as `CodeWord`s."""
        n_text = len(self.schema.tables[self.schema.parent(self.table).parent].text_columns)
        out: dict[str, str] = {}
        for i, v in enumerate(values):
            if isinstance(v, str):
                for piece in WORD_PIECE.findall(v):
                    word = piece.lstrip(" ")
                    out.setdefault(word, word if i < n_text else CodeWord(word))
        return list(out.values())[: self.config.copy_slots]

    def encode_contexts(self, contexts: Iterable[str]) -> list[list[int]]:
        """Token ids of each context string (from `contexts`); its field labels become single tokens."""
        return self._encode(contexts, context=True)

    def modelled(self, values: pd.Series, column: str) -> pd.Series:
        """A text column's values as the model writes them: a JSON column's documents with their escaped
        non-ASCII characters written plainly (`_json.unescaped`); any other column's as they are."""
        stats = self.config.stats.get(column)
        if stats is None or stats.json_escapes is None:
            return values
        return values.map(unescaped, na_action="ignore")

    def _copy_rate(self, column: pd.Series, copies: list[list[str]] | None) -> float:
        if copies is None or not self.config.copy_slots:
            return 0.0
        rows = np.flatnonzero(column.notna().to_numpy())
        ids = self.encode([str(column.iloc[r]) for r in rows], [copies[r] for r in rows])
        return float(np.mean([any(i >= self.copy_base for i in t) for t in ids])) if len(ids) else 0.0

    def _rare_word_rate(self, values: list[str]) -> float:
        words = [p for v in values for p in PIECES.findall(v) if WORD_PIECE.fullmatch(p)]
        return float(np.mean([w not in self._word_ids for w in words])) if words else 0.0

    def _pieces(self, string: str, context: bool) -> list[str | int]:
        """The pieces of `string` (a field label of a context as its token id)."""
        if not context:
            return PIECES.findall(string)
        if self._label_re is None:
            labels = sorted(self.field_labels, key=len, reverse=True)
            self._label_re = re.compile("(" + "|".join(re.escape(x) for x in labels) + ")") if labels else None
        if self._label_re is None:
            return PIECES.findall(string)
        out: list[str | int] = []
        parts = self._label_re.split(string)
        if parts[0]:
            out += PIECES.findall(parts[0])
        for label, value in zip(parts[1::2], parts[2::2], strict=True):
            field_id = self._field_ids.get((label, value))
            if field_id is not None:
                out.append(field_id)
                continue
            out.append(self.token_id(label))
            out += PIECES.findall(value)
        return out

    def _encode(self, strings: Iterable[str], context: bool, copies: list[list[str]] | None = None) -> list[list[int]]:
        tokenizer = self._require_fitted()
        split = [self._pieces(s, context) for s in strings]
        if copies is not None and self.config.copy_slots:
            split = [self._with_copies(pieces, words) for pieces, words in zip(split, copies, strict=True)]
        new = list({p for pieces in split for p in pieces if isinstance(p, str) and p not in self._piece_ids})
        base = self.n_bpe
        words = [p for p in new if p in self._word_ids]
        for w in words:
            self._piece_ids[w] = [base + self._word_ids[w]]
        rest = [p for p in new if p not in self._word_ids]
        if rest:
            tokenizer.encode_special_tokens = True  # a special token's spelling in a piece is plain bytes
            for p, e in zip(rest, tokenizer.encode_batch_fast(rest, add_special_tokens=False), strict=True):
                self._piece_ids[p] = e.ids
        ids = self._piece_ids
        return [[t for p in pieces for t in (ids[p] if isinstance(p, str) else (p,))] for pieces in split]

    def _with_copies(self, pieces: list[str | int], words: list[str]) -> list[str | int]:
        """`pieces` with each rare word that is one of `words` as its copy token id."""
        if not words:
            return pieces
        slot = {w: i for i, w in enumerate(words)}
        out: list[str | int] = []
        for p in pieces:
            i = slot.get(p.lstrip(" ")) if isinstance(p, str) else None
            # a parent's code is copied even where it is a word token: the text repeats that code, not a common word
            if (
                i is not None
                and (p not in self._word_ids or isinstance(words[i], CodeWord))
                and WORD_PIECE.fullmatch(p)
            ):
                out.append(self.copy_base + 2 * i + p.startswith(" "))
            else:
                out.append(p)
        return out

    def decode(self, ids: Iterable[int], copies: list[str] | None = None) -> str:
        """The string of these token ids (special tokens skipped); a copy token writes its word of
        `copies` (the row's `copy_words`), or nothing when the row has no such word."""
        table, first = self.token_bytes(), self.copy_base
        parts = []
        for i in ids:
            if i < first:
                parts.append(table[i])
            else:
                slot, spaced = divmod(i - first, 2)
                if copies is not None and slot < len(copies):
                    parts.append((" " if spaced else "").encode() + copies[slot].encode("utf-8"))
        return b"".join(parts).decode("utf-8", errors="replace")

    def decode_batch(self, batch: list[list[int]], copies: list[list[str]] | None = None) -> list[str]:
        return [self.decode(b, None if copies is None else copies[k]) for k, b in enumerate(batch)]

    # ---- contexts --------------------------------------------------------------------------
    def _unique_under(self, df: pd.DataFrame, col: str) -> str | None:
        """The parent key under which `col`'s values never repeat (`never_repeated_under`), else None."""
        edge = self.schema.parent(self.table)
        if edge is None or edge.fk not in df.columns:
            return None
        held = df[[edge.fk, col]].dropna()
        return edge.fk if never_repeated_under(held[edge.fk], held[col].astype(str)) else None

    def _table_frame(self, data: RelationalData) -> pd.DataFrame:
        if not isinstance(data, RelationalData):
            raise TypeError(f"data must be a RelationalData, got {type(data).__name__}")
        if self.table not in data.data:
            raise ValueError(f"the data has no table {self.table!r}; it has {list(data.data)}")
        return data[self.table]

    def context_columns(self) -> list[tuple[str, str, str]]:
        """(label, table, column) of every context field, in order: own columns, the parent's, then (`ancestors`)
        the non-text ones of each table above it, nearest first; `first_rows` adds whether the row is its parent's
        first after its own columns."""
        out = [(c, self.table, c) for c in self._value_columns(self.table, with_text=False)]
        if self.config.first_rows:
            out.append((FIRST_LABEL, self.table, FIRST_LABEL))
        for depth, table in enumerate(self._ancestors()):
            out += [(f"{table}.{c}", table, c) for c in self._value_columns(table, with_text=depth == 0)]
        return out

    def _ancestors(self) -> list[str]:
        """The parent table, then (`ancestors`) its parent and so on up to the root."""
        out, edge = [], self.schema.parent(self.table)
        while edge is not None and (not out or self.config.ancestors):
            out.append(edge.parent)
            edge = self.schema.parent(edge.parent)
        return out

    def _value_columns(self, table: str, with_text: bool) -> list[str]:
        """The columns of `table` a context shows: no keys but lookup keys (shown by name). A key to a
        synthesised table (the parent's, a reference) names a row, and a generated row's keys are
        fresh: `reports_to=3` would name another employee there, so its number tells nothing."""
        t, lookups = self.schema.tables[table], self.schema.lookup_fks(table)
        skip = {Column.PRIMARY_KEY, Column.IDENTIFIER} | (set() if with_text else {Column.TEXT})
        return [
            c for c, k in t.columns.items() if k.kind not in skip and (k.kind is not Column.FOREIGN_KEY or c in lookups)
        ]

    def number_frame(self, data: RelationalData) -> pd.DataFrame:
        """The numbers of each row of the table (one row each): its own number columns, then its
        parent row's as `parent.column` (missing where it has none)."""
        df, numbers = self._table_frame(data), (Column.NUMERIC, Column.INTEGER)
        out = {c: df[c].reset_index(drop=True) for c in self.schema.tables[self.table].cols_of(*numbers) if c in df}
        edge = self.schema.parent(self.table)
        if edge is not None:
            pos, parent = self._parent_rows(data), data[edge.parent]
            held = ~pd.isna(pos)
            for c in self.schema.tables[edge.parent].cols_of(*numbers):
                if c in parent:
                    values = np.full(len(df), np.nan)
                    number = to_numbers(parent[c]).to_numpy(dtype=np.float64, na_value=np.nan)
                    values[held] = number[pos[held].astype(np.int64)]
                    out[f"{edge.parent}.{c}"] = pd.Series(values)
        return pd.DataFrame(out, index=range(len(df)))

    def null_columns(self) -> dict[str, Column]:
        """The columns of the table, not its texts, whose values may tell which texts are null, with their
        kinds (a lookup's key as a category: its values name the same rows in generated data)."""
        lookups = self.schema.lookup_fks(self.table)
        columns = self.schema.tables[self.table].columns.items()
        return {c: Column.CATEGORICAL if c in lookups else k.kind for c, k in columns if k.kind is not Column.TEXT}

    def contexts(self, data: RelationalData) -> list[str]:
        """The context string of every row of the table, in row order."""
        return self._joined(self._context_values(data), len(self._table_frame(data)))

    def _joined(self, fields: list[np.ndarray], n_rows: int) -> list[str]:
        """Each row's context string from its field values (`_context_values`)."""
        out = np.full(n_rows, "", dtype=object)
        for label, values in zip(self.field_labels, fields, strict=True):
            out = out + label + values  # object arrays: elementwise str concatenation
        return [str(v) for v in out]

    def _context_values(self, data: RelationalData) -> list[np.ndarray]:
        """Per context field (`context_columns` order), its value for every row of the table, formatted."""
        df = self._table_frame(data)
        rows_in = self._ancestor_rows(data)
        parts: list[np.ndarray] = []
        empty_parent_texts: list[str] = []
        for _, table, col in self.context_columns():
            if col == FIRST_LABEL and table == self.table and self.config.first_rows:
                parts.append(first_value(first_rows(df[self.schema.parent(self.table).fk])))
                continue
            frame = df if table == self.table else data[table]
            parent_text = table != self.table and col in self.schema.tables[table].text_columns
            if col not in frame.columns and not parent_text:
                raise ValueError(f"context column {table}.{col} is missing from the data")
            if parent_text and len(frame) and (col not in frame.columns or frame[col].isna().all()):
                empty_parent_texts.append(f"{table}.{col}")
            if col not in frame.columns:
                values = np.full(len(frame), NULL_VALUE, dtype=object)
            else:
                values = self._format(data, table, col, frame[col])
            if table != self.table:
                values = _take(values, rows_in[table])
            parts.append(values)
        if empty_parent_texts:  # one line for all of them
            log.warning(
                "the parent text(s) %s are empty: generate the %r texts before the %r texts, so each text is written "
                "in the context it was trained on (in the Kedro project: add %r to text_tables)",
                empty_parent_texts,
                self.schema.parent(self.table).parent,
                self.table,
                self.schema.parent(self.table).parent,
            )
        return parts

    def _format(self, data: RelationalData, table: str, col: str, s: pd.Series) -> np.ndarray:
        """Short strings for one column's values (object array, nulls as `NULL_VALUE`)."""
        kind = self.schema.tables[table].columns[col]
        lookup = self.schema.lookup_fks(table).get(col)
        if lookup is not None:
            s = self._lookup_names(data, lookup, s)
            kind_value = Column.CATEGORICAL
        else:
            kind_value = kind.kind
        notna = s.notna().to_numpy()
        out = np.full(len(s), NULL_VALUE, dtype=object)
        if not notna.any():
            return out
        values = s[notna]
        if kind_value in (Column.NUMERIC, Column.INTEGER) and ptypes.is_numeric_dtype(values.dtype):
            formatted = [_round_number(float(v), self.config.digits) for v in values.to_numpy(dtype=float)]
        elif kind_value in (Column.DATE, Column.DATETIME) and ptypes.is_datetime64_any_dtype(values.dtype):
            formatted = list(values.dt.strftime("%Y-%m-%d"))
        elif kind_value == Column.TIME:
            formatted = [str(v)[:5] for v in values]
        elif kind_value == Column.BOOLEAN:
            formatted = ["true" if bool(v) else "false" for v in values]
        else:
            cut = self.config.max_value_chars
            formatted = [str(v)[:cut].replace(";", ",") for v in values]
        out[notna] = formatted
        return out

    def _lookup_names(self, data: RelationalData, lookup: str, keys: pd.Series) -> pd.Series:
        """A lookup FK shown by the lookup table's first non-key column that names each of its rows
        once (the genre's name), else by its first non-key column and the key (`likert 3`: a
        question's type alone tells 4 kinds of 12 questions apart, and an answer of 1 to 5 was
        written for a number question of 100 to 900), else by the key."""
        t = self.schema.tables[lookup]
        table = data.data.get(lookup)
        names = [c for c, k in t.columns.items() if not k.is_key and table is not None and c in table.columns]
        if not names:
            return keys.astype(object)
        unique = [c for c in names if table[c].notna().all() and table[c].is_unique]
        key, first = table[t.primary_key].to_numpy(), table[unique[0] if unique else names[0]]
        shown = (
            first.to_numpy(dtype=object)
            if unique or not self.config.lookup_keys  # an older save: its first column alone
            else np.where(first.notna(), first.astype(str) + " ", "") + key.astype(str)
        )
        mapping = pd.Series(shown, index=key)
        mapped = keys.map(mapping).astype(object)
        return mapped.where(mapped.notna(), keys.astype(object))

    # ---- files -----------------------------------------------------------------------------
    config_file = CONFIG_FILE  # what `save` writes: the mark of a saved preprocessor

    def save(self, path: str | Path) -> None:
        """Write `preproc.json` and `tokenizer.json` to the directory `path` (atomically)."""
        tokenizer = self._require_fitted()
        with atomic_dir(path, marker=CONFIG_FILE) as tmp:
            write_config(tmp / CONFIG_FILE, KIND, {"config": asdict(self.config)})
            tokenizer.save(str(tmp / TOKENIZER_FILE))

    @classmethod
    def load(cls, path: str | Path) -> TextPreproc:
        """The fitted preprocessor `save` wrote at `path` (its config and tokenizer); a missing,
        damaged or foreign file is an error naming it."""
        path = Path(path)
        file, tok_file = path / CONFIG_FILE, path / TOKENIZER_FILE
        raw = dict(read_config(file, KIND, keys=("config",))["config"])
        stats = raw.get("stats", {})
        if not isinstance(stats, dict):
            raise LoadError(f"{file}: stats must be a mapping of column to statistics")
        raw["stats"] = {c: config_from_dict(TextColumnStats, s, file) for c, s in stats.items()}
        config = config_from_dict(TextPreprocConfig, raw, file)
        if not tok_file.is_file():
            raise FileNotFoundError(f"no TextPreproc at {path}: {TOKENIZER_FILE} is missing")
        try:
            tokenizer = Tokenizer.from_file(str(tok_file))
        except Exception as e:  # tokenizers raises a bare Exception for a damaged file
            raise LoadError(f"{tok_file}: unreadable tokenizer ({e}); fit and save the TextPreproc again") from None
        return cls(config, tokenizer)

    def fingerprint(self) -> str:
        """A short hash of the table and the tokenizer, to refuse a dataset encoded by another."""
        tokenizer = self._require_fitted().to_str()
        copies = {"copy_slots": self.config.copy_slots} if self.config.copy_slots else {}  # older saves: none
        if self.config.copy_slots and self.config.copy_codes:
            copies["copy_codes"] = True  # older saves: none
        if self.config.copy_slots and self.config.ancestor_copies:
            copies["ancestor_copies"] = self.config.ancestor_copies  # older saves: none
        fields = {"field_values": self.config.field_values} if self.n_field_values else {}  # older saves: none
        rows = {"row_texts": self.config.row_texts} if self.config.row_texts else {}  # older saves, one column: none
        if self.config.row_copies:
            rows["row_copies"] = self.config.row_copies  # older saves: none
        if self.config.row_copy_skip:
            rows["row_copy_skip"] = self.config.row_copy_skip  # older saves: none
        return fingerprint(
            {"table": self.table, "tokenizer": tokenizer, "words": self.config.words, **copies, **fields, **rows}
        )

    def __repr__(self) -> str:
        state = f"vocab={self.vocab_size}" if self.is_fitted else "unfitted"
        return f"TextPreproc(table={self.table!r}, text_columns={self.text_columns}, {state})"


# ---- helpers ---------------------------------------------------------------------------------
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte -> printable character map, which the byte-level BPE writes tokens in."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs, strict=True)}


_BYTE_OF = {c: b for b, c in bytes_to_unicode().items()}


def entity_ids(schema: Schema, data: RelationalData, table: str) -> np.ndarray:
    """The root entity of every row of `table` as an integer (rows without a parent row: their own)."""
    n = len(data[table])
    pos = np.arange(n, dtype=np.float64)  # row of the current ancestor table (NaN: no parent row)
    edge = schema.parent(table)
    while edge is not None and edge.parent in data.data:
        frame, parent = data[table], data[edge.parent]
        where = pd.Series(np.arange(len(parent)), index=parent[schema.tables[edge.parent].primary_key].to_numpy())
        ok = ~np.isnan(pos)
        fk = frame[edge.fk].to_numpy()[pos[ok].astype(np.int64)]
        nxt = np.full(n, np.nan)
        nxt[ok] = pd.Series(fk).map(where).to_numpy(dtype=float)
        pos, table, edge = nxt, edge.parent, schema.parent(edge.parent)
    return np.where(np.isnan(pos), -1 - np.arange(n), np.nan_to_num(pos)).astype(np.int64)


def text_words(text: str) -> list[str]:
    """The letter and number pieces of `text` as the tokenizer splits it ("It's" -> "it", not "s"), lower-cased
    and without their leading space: the words of a word pair."""
    return [p.lstrip(" ").lower() for p in PIECES.findall(text) if WORD_PIECE.fullmatch(p)]


def glued_words(text: str) -> list[str]:
    """The strings of `text` between spaces, outer punctuation stripped, that the tokenizer cuts into several
    pieces (`anna.weiss7@mail.example.com`, `ORD-123456`, `kruger7`): strings the model writes from word tokens
    each many entities use, so one entity's string is not kept out by the word tokens alone."""
    out = []
    for chunk in text.split():
        word = _OUTER_PUNCTUATION.sub("", chunk)
        if len(PIECES.findall(word)) > 1:
            out.append(word)
            # and its letters-and-digits runs (`kruger7` of an address): one customer's, whatever the domain
            out += [w for w in _LETTERS_AND_DIGITS.findall(word) if w != word and len(PIECES.findall(w)) > 1]
    return out


_OUTER_PUNCTUATION = re.compile(r"^[^\w]+|[^\w]+$")
_LETTERS_AND_DIGITS = re.compile(r"[^\W_]+")


def word_pairs(texts: pd.Series, entity: np.ndarray, k: int) -> dict:
    """`word_pairs` and `pair_share` of a text column (see `TextColumnStats`); `entity`: each row's root entity."""
    rows, pairs = [], []
    for row, value in enumerate(texts.to_numpy(dtype=object)):
        if isinstance(value, str):
            words = text_words(value)
            pairs += [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
            rows += [row] * max(len(words) - 1, 0)
    if not pairs:
        return {"word_pairs": {}, "pair_share": 0.0}
    found = pd.DataFrame({"pair": pairs, "entity": np.asarray(entity)[rows]})
    users = found.drop_duplicates().groupby("pair").size()  # distinct entities per pair
    kept = users[users >= k].sort_values(ascending=False, kind="stable").head(MAX_WORD_PAIRS)
    # an occurrence of a kept pair that k entities besides the text's own use: what replaced words can match
    share = float(((found["pair"].map(users) > k) & found["pair"].isin(kept.index)).mean())
    return {"word_pairs": {p: int(n) for p, n in kept.items()}, "pair_share": share}


def _empty_by(df: pd.DataFrame, col: str, kinds: dict) -> list:
    """`null_by` of the empty strings among the rows whose `col` is not null: an undertrained model ends a text at
    once far more often than the data does (a column of notes, a third "" and a third words: 0.56 of the rows "",
    after 300 steps of a tiny model), so which rows hold "" is drawn as which hold a null is."""
    filled = df[col].notna().to_numpy()
    return null_by(df[filled], kinds, (df.loc[filled, col] == "").to_numpy(dtype=bool))


def common_word_lifts(source: list[list[str]], texts: list[set[str]], vocabulary: set[str]) -> dict[str, float]:
    """Per common word of an earlier text column (`source`: per row, its distinct words; in ROW_COMMON_SHARE of its
    rows or of the `texts`', per row a set of words), how many times as often a row's text holds it where its
    source does than texts hold it at all (0 where repeated in fewer than ROW_WORD_MIN_ROWS rows). Only words of the
    `vocabulary` (k-anonymous: saving them tells nothing); the others are judged as rare words. A tag's "css", in a
    tenth of the tags and the titles of half of those (a fifteenth of all titles): 7.5; a title's "How", in every
    title and no body: 0."""
    n = len(texts)
    in_source = Counter(w for words in source for w in words)
    in_text = Counter(w for words in texts for w in words)
    out = {}
    for w, k in in_source.items():
        if w not in vocabulary or max(k, in_text[w]) < ROW_COMMON_SHARE * n:
            continue  # a rare word: judged with the rest, a repeat far likelier to be the row's
        repeated = sum(w in t for words, t in zip(source, texts, strict=True) if w in words)
        out[w] = repeated / k * n / in_text[w] if repeated >= ROW_WORD_MIN_ROWS else 0.0
    return out


def never_repeated_under(parents: pd.Series, values: pd.Series) -> bool:
    """Whether no parent's rows repeat a value where values drawn at their shares would have repeated
    `MIN_CHANCE_REPEATS` pairs of siblings at least: a repository's name, never twice under its owner though
    names repeat across owners (an owner of 79 repositories, 20 pairs expected), not a comment's body that
    repeats rarely anyway (free text: hardly any pair expected)."""
    if values.empty or pd.DataFrame({"p": parents.to_numpy(), "v": values.to_numpy()}).duplicated().any():
        return False
    sizes = parents.value_counts().to_numpy(np.float64)
    same = float((values.value_counts(normalize=True).to_numpy(np.float64) ** 2).sum())  # two draws, one value
    return float((sizes * (sizes - 1) / 2).sum()) * same >= MIN_CHANCE_REPEATS


def _text_values(s: pd.Series) -> list[str]:
    return [str(v) for v in s.dropna()]


def _take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """values[rows] where rows may be NaN (no parent row): those become `NULL_VALUE`."""
    ok = ~pd.isna(rows)
    out = np.full(len(rows), NULL_VALUE, dtype=object)
    out[ok] = values[rows[ok].astype(np.int64)]
    return out


def _take_float(values: np.ndarray, rows: np.ndarray) -> pd.Series:
    """values[rows] as a Series where rows may be NaN (no row): those become null."""
    ok = ~np.isnan(rows)
    out = np.full(len(rows), None, dtype=object)
    out[ok] = values[rows[ok].astype(np.int64)]
    return pd.Series(out)


def _round_number(x: float, digits: int) -> str:
    """`x` to `digits` significant digits, written without exponent: 343719 -> '340000', 0.987 -> '0.99'."""
    if not np.isfinite(x):
        return str(x)
    rounded = float(f"{x:.{digits}g}")
    if rounded == int(rounded) and abs(rounded) < 1e18:
        return str(int(rounded))
    return np.format_float_positional(rounded, trim="-")

"""Spaces as the column writes them: no text ending on whitespace, no doubled space, where none of
the column's texts does.

A column whose words are mostly rare is spelled and its spelled words replaced (`_rare_words`): the
model writes a name as "Pia", a bare " ", then the surname's own spaced token (" Olsen"), or ends after
the bare space: a CRM's 23 user names, none with a trailing or doubled space, came out "Pia " or
"Pia  Olsen" in 9 of 23. Masking `end` and spaced tokens after a bare space while sampling leaves the
model only pieces it rarely writes there: its draws fell on training names (copies of the training
names 76 -> 104 over 6 seeds) or, where a copy's end was banned on a redraw, ran on ("Raj Berg Berg").
Instead the fit records whether any text ends on whitespace or holds two whitespace characters in a row
(line breaks are `_breaks`'), and decoding trims and collapses only what the column never shows, keeping
the model's words, before a text is checked for being a training value: a trimmed text that is one is
drawn again as any copy is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_DOUBLED = re.compile(r"[^\S\n\r\x0b\x0c\x85\u2028\u2029]{2,}")  # two or more whitespace characters, no line break


def ends_on_space(texts: Iterable[str]) -> bool:
    """Whether any of `texts` ends with whitespace."""
    return any(t[-1:].isspace() for t in texts)


def doubles_space(texts: Iterable[str]) -> bool:
    """Whether any of `texts` holds two whitespace characters in a row that are no line break."""
    return any(_DOUBLED.search(t) for t in texts)


@dataclass(frozen=True)
class Spacing:
    """The whitespace a column's texts show (`TextColumnStats`): what a generated text may keep."""

    lead: bool = True  # some text starts with whitespace
    end: bool = True  # some text ends with whitespace
    double: bool = True  # some text holds two whitespace characters in a row (no line break)

    def kept(self, text: str) -> str:
        """`text` without the whitespace the column never shows: runs of spaces written as their first
        character, leading and trailing whitespace dropped."""
        if not self.double:
            text = _DOUBLED.sub(lambda m: m[0][0], text)
        if not self.lead:
            text = text.lstrip()
        if not self.end:
            text = text.rstrip()
        return text

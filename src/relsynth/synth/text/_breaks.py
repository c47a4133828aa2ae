"""Line breaks as the column writes them: the runs of whitespace holding a line break that its
texts use (paragraphs apart by one blank line: "\\n\\n", or a form's "\\r\\n").

The model writes a break one token at a time and can stop after one newline or go on to three: a
small model's reviews, whose every break was "\\n\\n", held "\\n", "\\n\\n\\n" or "\\n\\n\\n\\n" in 6 of
13 generated texts with a break. The fit keeps the runs the column's texts hold, most used first;
a generated run holding a break the column never wrote is written as its most used one. A column
without breaks keeps none: a newline is then a control character it never had, never written
(`_utf8`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_BREAK = re.compile(r"[\n\r\x0b\x0c\x85\u2028\u2029]")  # what str.splitlines splits at (no \x1c-\x1e)
_WHITESPACE = re.compile(r"\s+")


def line_breaks(texts: Iterable[str]) -> list[str]:
    """The runs of whitespace holding a line break that `texts` use, most used first."""
    runs = Counter(m for t in texts for m in _WHITESPACE.findall(t) if _BREAK.search(m))
    return [run for run, _ in runs.most_common()]


def kept_breaks(text: str, breaks: list[str]) -> str:
    """`text` with each run of whitespace holding a line break that is none of `breaks` written as
    the first (the column's most used); as it is where `breaks` is empty."""
    if not breaks or not _BREAK.search(text):
        return text
    seen = set(breaks)
    return _WHITESPACE.sub(lambda m: breaks[0] if _BREAK.search(m[0]) and m[0] not in seen else m[0], text)

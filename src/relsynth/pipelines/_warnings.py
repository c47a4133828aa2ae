"""The library's logged warnings of one node call, kept so that the report can show them.

A generation node logs what a user must read beside the scores (rows dropped, empty texts, a
runaway entity); in a long run's log they scroll away, so the node returns them as a dataset and the
evaluation node puts them in the report (`relsynth.eval.report(generation_warnings=...)`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

LIBRARY_LOGGER = "relsynth"  # the parent of every relsynth.* logger; others' (Kedro's, torch's) are not ours to report


class _WarningCollector(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.messages:  # a warning once, as the report lists it
            self.messages.append(message)


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Inside the block, the messages of the WARNING (and worse) records of `relsynth.*` loggers,
    each once, in the order logged; the handler is removed on leaving, so each call gets its own."""
    messages: list[str] = []
    handler = _WarningCollector(messages)
    logger = logging.getLogger(LIBRARY_LOGGER)
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)

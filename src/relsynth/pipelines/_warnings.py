"""The library's logged warnings of one node call, kept so that the report can show them.

A generation node logs what a user must read beside the scores (rows dropped, empty texts, a
runaway entity); in a long run's log they scroll away, so the node returns them as a dataset and the
evaluation node puts them in the report (`relsynth.eval.report(generation_warnings=...)`). The text
training nodes do the same (`returning_warnings`: a column left without word tokens, a fallback to
training one model after another), gathered into `text_training_warnings` (`training_warnings=...`).
Both ways the library warns count: a WARNING record of a `relsynth.*` logger and a `warnings.warn`
of relsynth's code (an untrained model, a block size past the trained window); what a worker process
warned counts too, as `relsynth.synth.core.relay` raises it again in this process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps

from relsynth.synth.core.relay import LIBRARY, library_warnings_to  # its loggers' and code's, not Kedro's or torch's


class _WarningCollector(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        _keep(self.messages, record.getMessage())


def _keep(messages: list[str], message: str) -> None:
    if message not in messages:  # a warning once, as the report lists it
        messages.append(message)


@contextmanager
def collect_warnings() -> Iterator[list[str]]:
    """Inside the block, the messages of the WARNING (and worse) records of `relsynth.*` loggers and
    of the warnings relsynth's code raises (those the filters show), each once, in the order raised;
    they are printed as before. The handler and `showwarning` are put back on leaving, so each call
    gets its own."""
    messages: list[str] = []
    handler = _WarningCollector(messages)
    logger = logging.getLogger(LIBRARY)

    def keep(message, category, filename, lineno) -> bool:
        _keep(messages, str(message))
        return False  # printed as before

    logger.addHandler(handler)
    try:
        with library_warnings_to(keep):
            yield messages
    finally:
        logger.removeHandler(handler)


def returning_warnings(func: Callable) -> Callable:
    """`func` as a node that also returns, as its last output, the warnings the library raised during the
    call (`collect_warnings`): a text model's fit and training, whose warnings the report lists. A list
    that `func` returns is its several outputs."""

    @wraps(func)
    def node_func(*args, **kwargs):
        with collect_warnings() as warnings:
            out = func(*args, **kwargs)
        return [*out, warnings] if isinstance(out, list) else (out, warnings)

    return node_func


def each_once(*warning_lists: Iterable[str]) -> list[str]:
    """The warnings of several nodes in one list, in order, a warning once (two tables' models warn alike)."""
    out: list[str] = []
    for warnings in warning_lists:
        for w in warnings:
            _keep(out, w)
    return out

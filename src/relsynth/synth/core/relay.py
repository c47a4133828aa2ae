"""relsynth's warnings raised in a worker process, handed to the process that started it.

A worker's own logging and `warnings` machinery print what it warns on its stderr (a forked
worker's inherited handlers, a spawned one's last-resort handler), out of reach of anything that
listens in the parent: the handler that puts generation's warnings in the report, a test's
`caplog`, a user's `warnings.catch_warnings`. So in a worker (`caught_for_parent`) the WARNING
records of relsynth's loggers and the warnings relsynth's code raises are kept, not printed, and
come back with its result; the parent (`replay`) logs and warns them again, as if raised there,
each once per job however many workers raised it. Whatever else a worker logs or warns (INFO
lines, torch's or pandas' warnings) is left as it was.
"""

from __future__ import annotations

import logging
import pickle
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

LIBRARY = "relsynth"  # the package (and logger) whose warnings are relayed
WARNING_MACHINERY = ("warnings",)  # the module whose frames lie between a `warnings.warn` call and `showwarning`
STANDARD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__)  # a record's own attributes, all plain values
REPLAYED: dict = {}  # the registry `replay` warns in: a warning once per process, as `warnings.warn` shows it


@dataclass(frozen=True)
class RaisedWarning:
    """A `warnings.warn` of relsynth's code in a worker, as `warnings.warn_explicit` takes it back."""

    text: str
    category: type[Warning]
    filename: str
    lineno: int


def is_library(module: str) -> bool:
    """Whether `module` (a dotted module or logger name) is relsynth's."""
    return module == LIBRARY or module.startswith(LIBRARY + ".")


def raised_by_library(frame: types.FrameType | None) -> bool:
    """Whether the warning being shown was raised by relsynth's code. `frame` is the caller of the
    `showwarning` replacement asking; the frames of the warnings machinery are skipped up to the
    code that called `warnings.warn` (whatever `stacklevel` it gave, which names its caller)."""
    while frame is not None and frame.f_globals.get("__name__") in WARNING_MACHINERY:
        frame = frame.f_back
    return frame is not None and is_library(frame.f_globals.get("__name__", ""))


@contextmanager
def caught_for_parent() -> Iterator[list]:
    """In a worker: relsynth's WARNING records and warnings of the block, kept in the list yielded
    (in order) instead of printed here; the rest of the worker's logging and warnings untouched."""
    caught: list = []
    catcher = _RecordCatcher(caught)
    library = logging.getLogger(LIBRARY)
    handlers = [h for h in _all_handlers() if h is not catcher]

    def keep(message, category, filename, lineno) -> bool:
        caught.append(RaisedWarning(str(message), _sendable(category), filename, lineno))
        return True  # not printed here

    library.addHandler(catcher)
    for h in handlers:
        h.addFilter(_not_library_warning)
    try:
        with library_warnings_to(keep):
            yield caught
    finally:
        for h in handlers:
            h.removeFilter(_not_library_warning)
        library.removeHandler(catcher)


@contextmanager
def library_warnings_to(take: Callable[[Warning | str, type[Warning], str, int], bool]) -> Iterator[None]:
    """Inside the block, each warning relsynth's code raises (those the filters show) is handed to
    `take(message, category, filename, lineno)` first, and shown as before unless it returns True;
    the previous `warnings.showwarning` is put back on leaving."""
    previous_show = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if raised_by_library(sys._getframe(1)) and take(message, category, filename, lineno):
            return
        previous_show(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous_show


def replay(caught: list, seen: set) -> None:
    """In the parent: log and warn again what a worker caught, skipping what `seen` (one job's set,
    updated here) holds: several workers of one job that warn the same are one warning."""
    for item in caught:
        key = (item.name, item.levelno, item.msg) if isinstance(item, logging.LogRecord) else item
        if key in seen:
            continue
        seen.add(key)
        if isinstance(item, logging.LogRecord):
            logger = logging.getLogger(item.name)
            if logger.isEnabledFor(item.levelno):  # a spawned worker starts at logging's defaults, not ours
                logger.handle(item)
        else:
            warnings.warn_explicit(item.text, item.category, item.filename, item.lineno, registry=REPLAYED)


class _RecordCatcher(logging.Handler):
    """Keeps the WARNING (and worse) records reaching relsynth's logger, made picklable."""

    def __init__(self, caught: list) -> None:
        super().__init__(level=logging.WARNING)
        self.caught = caught

    def emit(self, record: logging.LogRecord) -> None:
        self.caught.append(_sendable_record(record))


def _not_library_warning(record: logging.LogRecord) -> bool:
    """A handler filter: False for the records `caught_for_parent` keeps (the parent prints them)."""
    return not (record.levelno >= logging.WARNING and is_library(record.name))


def _all_handlers() -> list[logging.Handler]:
    """Every handler of this process's loggers: those a relsynth record could reach on its way up."""
    loggers = [
        logging.getLogger(),
        *(v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)),
    ]
    return list({id(h): h for logger in loggers for h in logger.handlers}.values())


def _sendable_record(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of `record` that pickles: its standard fields only (an `extra` may hold anything), its
    message formatted and its traceback as text (as `logging.handlers.QueueHandler` sends one)."""
    fields = {k: v for k, v in record.__dict__.items() if k in STANDARD_FIELDS}
    fields.update(msg=record.getMessage(), args=None, exc_info=None, exc_text=record.exc_text)
    if record.exc_info and not record.exc_text:
        fields["exc_text"] = logging.Formatter().formatException(record.exc_info)
    return logging.makeLogRecord(fields)


def _sendable(category: type[Warning]) -> type[Warning]:
    """`category`, or UserWarning where it would not come back from a pickle (a class defined in a
    function, or in a main script a spawned parent does not share)."""
    try:
        return category if pickle.loads(pickle.dumps(category)) is category else UserWarning
    except Exception:  # noqa: BLE001 - any failure to pickle means the parent cannot name it
        return UserWarning

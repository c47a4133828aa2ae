"""Column kinds: what a column holds, as declared in a schema.

Two spellings work everywhere a kind is expected, so users of aindo.rdml can switch by
changing the import: an instance (`Categorical()`, `ForeignKey(parent="artist")`) or a
`Column` member (`Column.CATEGORICAL`). `as_kind` turns either into an instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Column(StrEnum):
    """The kinds of column a table may declare."""

    PRIMARY_KEY = "primary_key"
    FOREIGN_KEY = "foreign_key"
    CATEGORICAL = "categorical"
    NUMERIC = "numeric"
    INTEGER = "integer"
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    TEXT = "text"
    IDENTIFIER = "identifier"


@dataclass(frozen=True)
class ColumnKind:
    """Base of every column kind; `kind` names it in YAML and error messages."""

    # Not an __init__ argument, so `ForeignKey("artist")` sets the parent, not the kind.
    kind: Column = field(default=Column.CATEGORICAL, init=False, repr=False)  # overridden by each subclass

    @property
    def is_key(self) -> bool:
        return self.kind in (Column.PRIMARY_KEY, Column.FOREIGN_KEY)

    @property
    def names_row(self) -> bool:
        """A key or an identifier: the value names a row instead of describing it, so a generated
        one is fresh and no comparison of values (quality, copies) reads it."""
        return self.is_key or self.kind is Column.IDENTIFIER

    def to_yaml(self) -> str | dict:
        return self.kind.value


@dataclass(frozen=True)
class PrimaryKey(ColumnKind):
    kind: Column = field(default=Column.PRIMARY_KEY, init=False, repr=False)


@dataclass(frozen=True, repr=False)
class ForeignKey(ColumnKind):
    """A reference to the primary key of `parent`: the table its rows nest under, a lookup table,
    or (`nest=False`, and for every further key to a synthesised table) a *reference*: the rows
    are not nested under it, the key is drawn among the synthetic rows of `parent` (see `Schema`)."""

    parent: str = ""
    nest: bool = True
    kind: Column = field(default=Column.FOREIGN_KEY, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.parent, str) or not self.parent:
            raise ValueError(
                f"ForeignKey needs the referenced table's name: ForeignKey(parent='artist'), got {self.parent!r}"
            )
        if not isinstance(self.nest, bool):
            raise ValueError(f"ForeignKey nest must be true or false, got {self.nest!r}")

    def __repr__(self) -> str:
        return f"ForeignKey(parent={self.parent!r}" + (")" if self.nest else ", nest=False)")

    def to_yaml(self) -> dict:
        return {"foreign_key": self.parent} if self.nest else {"foreign_key": self.parent, "nest": False}


@dataclass(frozen=True)
class Categorical(ColumnKind):
    kind: Column = field(default=Column.CATEGORICAL, init=False, repr=False)


@dataclass(frozen=True)
class Numeric(ColumnKind):
    kind: Column = field(default=Column.NUMERIC, init=False, repr=False)


@dataclass(frozen=True)
class Integer(ColumnKind):
    kind: Column = field(default=Column.INTEGER, init=False, repr=False)


@dataclass(frozen=True, repr=False)
class Date(ColumnKind):
    """A calendar date. `day_first`: dates written as text with the day before the month
    (`03/05/2021` is 3 May), which the values alone cannot say where every day is 12 or less
    (read month first then, with a warning); read and written back so."""

    day_first: bool = False
    kind: Column = field(default=Column.DATE, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.day_first, bool):
            raise ValueError(f"{type(self).__name__} day_first must be true or false, got {self.day_first!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(day_first=True)" if self.day_first else f"{type(self).__name__}()"

    def to_yaml(self) -> str | dict:
        return {self.kind.value: {"day_first": True}} if self.day_first else self.kind.value


@dataclass(frozen=True)
class Time(ColumnKind):
    kind: Column = field(default=Column.TIME, init=False, repr=False)


@dataclass(frozen=True, repr=False)
class Datetime(Date):
    """A date with a time of day; `day_first` as `Date`'s."""

    kind: Column = field(default=Column.DATETIME, init=False, repr=False)


@dataclass(frozen=True)
class Boolean(ColumnKind):
    kind: Column = field(default=Column.BOOLEAN, init=False, repr=False)


@dataclass(frozen=True)
class Text(ColumnKind):
    kind: Column = field(default=Column.TEXT, init=False, repr=False)


@dataclass(frozen=True)
class Identifier(ColumnKind):
    """A code that names its row without being a key (`INV-2019-00042`, a UUID, a phone number):
    never modelled, generated fresh in the source's format (`synth/tabular/_identifiers.py`)."""

    kind: Column = field(default=Column.IDENTIFIER, init=False, repr=False)


def day_first(kind: ColumnKind) -> bool:
    """Whether a column's dates are declared written day first (`Date(day_first=True)`)."""
    return bool(getattr(kind, "day_first", False))


_DATED = ("date", "datetime")  # the kinds a YAML mapping may give options: {date: {day_first: true}}


_KIND_CLASSES: dict[Column, type[ColumnKind]] = {
    Column.PRIMARY_KEY: PrimaryKey,
    Column.CATEGORICAL: Categorical,
    Column.NUMERIC: Numeric,
    Column.INTEGER: Integer,
    Column.DATE: Date,
    Column.TIME: Time,
    Column.DATETIME: Datetime,
    Column.BOOLEAN: Boolean,
    Column.TEXT: Text,
    Column.IDENTIFIER: Identifier,
}


def as_kind(value: ColumnKind | Column | str | dict) -> ColumnKind:
    """Normalise a kind given as an instance, a `Column` member, its name, or YAML mapping."""
    if isinstance(value, ColumnKind):
        return value
    if isinstance(value, dict) and len(value) == 1 and (name := next(iter(value))) in _DATED:
        options = value[name] or {}
        if not isinstance(options, dict) or not set(options) <= {"day_first"}:
            raise ValueError(f"a {name} column's options must be {{{name}: {{day_first: true}}}}, got {value!r}")
        return _KIND_CLASSES[Column(name)](**options)
    if isinstance(value, dict):
        if "foreign_key" not in value or not set(value) <= {"foreign_key", "nest"}:
            raise ValueError(
                f"a mapping column kind must be {{foreign_key: <table>}} or {{foreign_key: <table>, nest: false}}, "
                f"got {value!r}"
            )
        return ForeignKey(parent=str(value["foreign_key"]), nest=value.get("nest", True))
    try:
        member = Column(value.value if isinstance(value, Column) else str(value).lower())
    except ValueError:
        options = ", ".join(c.value for c in Column)
        raise ValueError(f"unknown column kind {value!r}; expected one of: {options}") from None
    if member is Column.FOREIGN_KEY:
        raise ValueError(
            "a foreign key needs the table it references: {foreign_key: <table>} in a schema YAML, "
            "ForeignKey(parent='<table>') in Python"
        )
    return _KIND_CLASSES[member]()

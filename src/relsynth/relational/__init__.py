"""The relational core: schemas, column kinds and validated multi-table data."""

from relsynth.relational.columns import (
    Boolean,
    Categorical,
    Column,
    ColumnKind,
    Date,
    Datetime,
    ForeignKey,
    Identifier,
    Integer,
    Numeric,
    PrimaryKey,
    Text,
    Time,
)
from relsynth.relational.data import RelationalData
from relsynth.relational.errors import DataError, SchemaError
from relsynth.relational.schema import Edge, Schema, Table

__all__ = [
    "Boolean",
    "Categorical",
    "Column",
    "ColumnKind",
    "DataError",
    "Date",
    "Datetime",
    "Edge",
    "ForeignKey",
    "Identifier",
    "Integer",
    "Numeric",
    "PrimaryKey",
    "RelationalData",
    "Schema",
    "SchemaError",
    "Table",
    "Text",
    "Time",
]


def __getattr__(name: str) -> object:
    # SQLSource needs SQLAlchemy: imported when asked for, so `import relsynth.relational` stays light
    if name == "SQLSource":
        from relsynth.relational.sql_source import SQLSource

        return SQLSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

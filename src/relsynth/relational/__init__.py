"""The relational core: schemas, column kinds and validated multi-table data."""

from relsynth.relational.columns import (
    Boolean,
    Categorical,
    Column,
    ColumnKind,
    Date,
    Datetime,
    ForeignKey,
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

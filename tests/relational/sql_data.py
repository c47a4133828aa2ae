"""Data for the database tests (test_sql.py, test_sql_postgres.py): the shipped Chinook, a small
database holding every kind, and `run_sql` to build a source database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from relsynth.relational import (
    Boolean,
    Categorical,
    Date,
    Datetime,
    ForeignKey,
    Integer,
    Numeric,
    PrimaryKey,
    RelationalData,
    Schema,
    Table,
    Text,
    Time,
)

ROOT = Path(__file__).resolve().parents[2]
CHINOOK_SQLITE = ROOT / "data" / "01_raw" / "chinook" / "chinook.sqlite"
CHINOOK_URL = f"sqlite:///{CHINOOK_SQLITE}"
MAIN_TABLES = ["artist", "album", "track", "genre", "media_type"]  # the main job's tables (schema_chinook.yml)


def run_sql(target: str, *statements: str) -> None:
    """Run `statements` on the database at `target`, in one transaction."""
    engine = sa.create_engine(target)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def every_kind() -> RelationalData:
    """shop -> sale, kind a lookup; every kind, nulls, and an integer past float64's exact range."""
    schema = Schema(
        shop=Table(id=PrimaryKey(), name=Text(), opened=Date(), active=Boolean(), rating=Numeric()),
        sale=Table(
            id=PrimaryKey(),
            shop=ForeignKey("shop"),
            at=Datetime(),
            quantity=Integer(),
            big=Integer(),
            slot=Time(),
            channel=Categorical(),
            paid=Boolean(),
            kind=ForeignKey("kind"),
        ),
        kind=Table(id=PrimaryKey(), label=Categorical()),
        lookups=["kind"],
    )
    shop = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "name": ["Corner shop", None, "Big market hall"],
            "opened": [dt.date(1999, 12, 31), dt.date(2020, 2, 29), None],
            "active": [True, None, False],
            "rating": [4.25, None, -1.5],
        }
    )
    sale = pd.DataFrame(
        {
            "id": [10, 11, 12, 13],
            "shop": [1, 1, 3, 3],
            "at": [dt.datetime(2021, 1, 2, 3, 4, 5), None, dt.datetime(2000, 1, 1), dt.datetime(2021, 6, 1, 12)],
            "quantity": [1, None, 3, 4],
            "big": pd.array([2**62 + 1, 2**53 + 1, None, -(2**62)], dtype="Int64"),
            "slot": [dt.time(9, 30), dt.time(23, 59, 59), None, dt.time(0, 0)],
            "channel": ["web", None, "store", "web"],
            "paid": [True, False, None, True],
            "kind": [1, 2, None, 1],
        }
    )
    kind = pd.DataFrame({"id": [1, 2], "label": ["food", "drink"]})
    return RelationalData({"shop": shop, "sale": sale, "kind": kind}, schema)


def unstorable(data: RelationalData) -> RelationalData:
    """`data` whose last table written repeats a primary key (set after validation, which refuses
    it): the insert fails in the database (its PRIMARY KEY) after every table was created and the
    earlier tables' rows were inserted. (SQLite, which keeps any value a column is given, is written
    labels in a DECIMAL column as stored.)"""
    data["sale"].loc[data["sale"].index[-1], "id"] = data["sale"]["id"].iloc[0]
    return data

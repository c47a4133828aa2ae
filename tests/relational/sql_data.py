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


def tenant_db(source: str, author_key_first: bool = False) -> None:
    """A multi-tenant database in SQLite at `source`: every table keyed (tenant_id, id), users
    UNIQUE (tenant_id, email), tasks nested under their project by (tenant_id, project_id), their
    assignee (tenant_id, assignee_id) a user of the same tenant; task ids count the tenant's tasks
    across its projects, comments' its comments across its tasks (`author_key_first`: comments
    declare their key to users before the one to tasks)."""
    users, projects, tasks, comments = [], [], [], []
    for t in range(1, 61):
        n_users = 2 + t % 3
        users += [(t, u, f"u{u}@t{t % 7}.example", "admin" if u == 1 else "member") for u in range(1, n_users + 1)]
        for p in range(1, 2 + t % 3):
            projects.append((t, p, "active" if (t + p) % 3 else "archived"))
            for _ in range(1 + (t + p) % 3):
                task = sum(1 for row in tasks if row[0] == t) + 1
                assignee = "NULL" if (t + task) % 5 == 0 else str(1 + (t * task) % n_users)
                tasks.append((t, task, p, assignee, 1 + (t + task) % 4))
                for _ in range((t + task) % 3):
                    author = 1 + (t + task + len(comments)) % n_users
                    comments.append(
                        (t, sum(1 for row in comments if row[0] == t) + 1, task, author, 1 + len(comments) % 9)
                    )
    keys = [
        "FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)",
        "FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)",
    ]
    run_sql(
        source,
        "CREATE TABLE tenants (id INTEGER PRIMARY KEY, plan VARCHAR(10) NOT NULL)",
        "CREATE TABLE users (tenant_id INTEGER NOT NULL REFERENCES tenants (id), id INTEGER NOT NULL, "
        "email VARCHAR(40) NOT NULL, role VARCHAR(10) NOT NULL, PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, email))",
        "CREATE TABLE projects (tenant_id INTEGER NOT NULL REFERENCES tenants (id), id INTEGER NOT NULL, "
        "status VARCHAR(10) NOT NULL, PRIMARY KEY (tenant_id, id))",
        "CREATE TABLE tasks (tenant_id INTEGER NOT NULL, id INTEGER NOT NULL, project_id INTEGER NOT NULL, "
        "assignee_id INTEGER, priority INTEGER NOT NULL, PRIMARY KEY (tenant_id, id), "
        "FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id), "
        "FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, id))",
        "CREATE TABLE comments (tenant_id INTEGER NOT NULL, id INTEGER NOT NULL, task_id INTEGER NOT NULL, "
        "author_id INTEGER NOT NULL, words INTEGER NOT NULL, PRIMARY KEY (tenant_id, id), "
        + ", ".join(keys if not author_key_first else keys[::-1])
        + ")",
        "INSERT INTO tenants VALUES " + ", ".join(f"({t}, '{('free', 'pro')[t % 2]}')" for t in range(1, 61)),
        "INSERT INTO users VALUES " + ", ".join(f"({t}, {u}, '{e}', '{r}')" for t, u, e, r in users),
        "INSERT INTO projects VALUES " + ", ".join(f"({t}, {p}, '{s}')" for t, p, s in projects),
        "INSERT INTO tasks VALUES " + ", ".join(f"({t}, {i}, {p}, {a}, {q})" for t, i, p, a, q in tasks),
        "INSERT INTO comments VALUES " + ", ".join(str(c) for c in comments),
    )


def fitted_tenants(source: str, n_steps: int = 30, least: bool = True) -> RelationalData:
    """The tenant database at `source` read, a tiny model fitted on it in `n_steps`, and 40 tenants
    generated (after 30 steps each with users; after 3 with `least=False`, some without: every
    tenant of the data has users, so the fit's least counts (`CountPreproc.least`) give each one at
    least one, and `least=False` sets them to 0, as an older model's or other data's)."""
    from relsynth.synth import TabularDataset, TabularModel, TabularModelSize, TabularPreproc, TabularTrainer

    data = RelationalData.from_sql(source)
    pre = TabularPreproc.from_schema(data.schema).fit(data)
    for slot in pre.slots if not least else ():
        if slot.is_count:
            slot.preproc.least = 0
    model = TabularModel.build(pre, size=TabularModelSize(n_layers=1, h=2, d=16), block_size=128)
    TabularTrainer(model, calibrate_counts=False).train(
        TabularDataset.from_data(data, pre, block_size=128), n_steps=n_steps, batch_size=8, progress=False
    )
    return model.generate(n_samples=40, seed=0)
